//! A blank roll for a program, as an Excel workbook: the first sheet's
//! header names the roll's columns as the importer reads them (their usual
//! Vietnamese headers, required ones marked by colour), the category and
//! commune columns offer drop-down lists of the program's codes, and every
//! code column is text, so that an ID typed in keeps its leading zero. The
//! second sheet, `Danh mục`, lists the codes with their names (the lists the
//! drop-downs read). Filled in, the workbook is uploaded as it is.

use super::parse::{Field, RollKind};
use crate::domain::admin_units::Commune;
use crate::domain::money::dong_as_exact_f64;
use crate::domain::program::AmountRule;
use crate::domain::Program;
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, Format, Formula, Workbook, Worksheet,
    XlsxError,
};

/// Rows of the first sheet that get the drop-downs and formats (the header
/// is row 1). Far more than a district's roll; the importer's limit is larger
/// still, and rows past this one are read all the same.
const TEMPLATE_ROWS: u32 = 100_000;
const LISTS_SHEET: &str = "Danh mục";

/// The blank roll of `kind` for `program`; `communes` are the codes offered.
pub fn blank_roll(
    program: &Program,
    kind: RollKind,
    communes: &[&Commune],
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let roll = workbook.add_worksheet();
    roll.set_name("Danh sách")?;
    write_roll_sheet(roll, program, kind, communes.len())?;
    let lists = workbook.add_worksheet();
    lists.set_name(LISTS_SHEET)?;
    write_lists_sheet(lists, program, communes)?;
    workbook.save_to_buffer()
}

/// `mau-NQ68-phe-duyet.xlsx` ("mẫu": template).
pub fn template_file_name(program: &Program, kind: RollKind) -> String {
    let kind = match kind {
        RollKind::Approvals => "phe-duyet",
        RollKind::Payments => "chi-tra",
    };
    format!("mau-{}-{kind}.xlsx", program.code.as_str())
}

fn write_roll_sheet(
    sheet: &mut Worksheet,
    program: &Program,
    kind: RollKind,
    commune_count: usize,
) -> Result<(), XlsxError> {
    let text = Format::new().set_num_format("@");
    let money = Format::new().set_num_format("#,##0");
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_background_color(Color::RGB(0xD9E1F2));
    let required = header.clone().set_background_color(Color::RGB(0xF8CBAD));
    for (index, field) in kind.fields().iter().enumerate() {
        let column = index as u16;
        let is_required = kind.required_fields().contains(field);
        let format = if is_required { &required } else { &header };
        sheet.write_string_with_format(0, column, field.name_vi(), format)?;
        let (width, cells) = match field {
            Field::Stt => (6, None),
            Field::Amount => (14, Some(&money)),
            Field::FullName | Field::Address => (26, Some(&text)),
            Field::Note => (24, Some(&text)),
            _ => (16, Some(&text)),
        };
        sheet.set_column_width(column, width)?;
        if let Some(format) = cells {
            sheet.set_column_format(column, format)?;
        }
        if let Some(validation) = drop_down(*field, program, commune_count)? {
            sheet.add_data_validation(1, column, TEMPLATE_ROWS, column, &validation)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The drop-down list of a column, when it has one.
fn drop_down(
    field: Field,
    program: &Program,
    commune_count: usize,
) -> Result<Option<DataValidation>, XlsxError> {
    let from_list = |column: char, count: usize, what_vi: &str, what_en: &str| {
        // Row 1 of the list sheet is its header; an empty list offers nothing.
        let last = count.max(1) + 1;
        DataValidation::new()
            .allow_list_formula(Formula::new(format!(
                "='{LISTS_SHEET}'!${column}$2:${column}${last}"
            )))
            .set_error_style(DataValidationErrorStyle::Warning)
            .set_error_title("Mã không có trong danh mục")
            .and_then(|v| {
                v.set_error_message(format!(
                    "{what_vi}: chọn trong danh sách (trang '{LISTS_SHEET}') / {what_en}: pick one from the list"
                ))
            })
    };
    Ok(match field {
        Field::Category => Some(from_list(
            'A',
            program.categories.len(),
            "Mã nhóm đối tượng",
            "category code",
        )?),
        Field::CommuneCode => Some(from_list('D', commune_count, "Mã xã", "commune code")?),
        Field::PaymentMethod => Some(
            DataValidation::new()
                .allow_list_strings(&["tiền mặt", "chuyển khoản", "bưu điện"])?
                .set_error_style(DataValidationErrorStyle::Warning),
        ),
        Field::Sex => Some(
            DataValidation::new()
                .allow_list_strings(&["Nam", "Nữ"])?
                .set_error_style(DataValidationErrorStyle::Warning),
        ),
        _ => None,
    })
}

/// Categories in columns A–C, communes in D–F, each with a header row.
fn write_lists_sheet(
    sheet: &mut Worksheet,
    program: &Program,
    communes: &[&Commune],
) -> Result<(), XlsxError> {
    let text = Format::new().set_num_format("@");
    let money = Format::new().set_num_format("#,##0");
    let bold = Format::new().set_bold();
    for (column, title) in [
        "Mã nhóm / category",
        "Tên nhóm / name",
        "Số tiền / amount (đồng)",
        "Mã xã / commune",
        "Tên xã / name",
        "Mã huyện / district",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(0, column as u16, *title, &bold)?;
    }
    for (index, category) in program.categories.iter().enumerate() {
        let row = index as u32 + 1;
        sheet.write_string_with_format(row, 0, category.code.as_str(), &text)?;
        sheet.write_string(row, 1, &category.name)?;
        match category.rule {
            AmountRule::Fixed { amount } => match dong_as_exact_f64(amount) {
                Some(number) => sheet.write_number_with_format(row, 2, number, &money)?,
                None => sheet.write_string(row, 2, amount.to_string())?,
            },
            AmountRule::Range { min, max } => {
                sheet.write_string(row, 2, format!("{min} – {max}"))?
            }
        };
    }
    for (index, commune) in communes.iter().enumerate() {
        let row = index as u32 + 1;
        sheet.write_string_with_format(row, 3, &commune.code, &text)?;
        sheet.write_string(row, 4, &commune.name)?;
        sheet.write_string_with_format(row, 5, &commune.district_code, &text)?;
    }
    for (column, width) in [(0, 14), (1, 40), (2, 18), (3, 10), (4, 30), (5, 10)] {
        sheet.set_column_width(column, width)?;
    }
    Ok(())
}
