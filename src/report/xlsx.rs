//! A reconciliation as an Excel workbook: one row per beneficiary under a
//! Vietnamese header, amounts as whole đồng shown `#,##0`, national IDs as
//! text; then a row per district and the total. Written row by row (constant
//! memory): a province's reconciliation holds every beneficiary.
//!
//! Money stays exact: a workbook stores numbers as doubles, and every
//! amount written is an integer of đồng read from the ledger, converted
//! once by [`dong_as_exact_f64`], which refuses what a double cannot hold exactly.

use crate::domain::money::dong_as_exact_f64;
use crate::reconcile::{Line, Reconciliation, Status, Totals};
use rust_xlsxwriter::{Color, Format, Workbook, Worksheet, XlsxError};

#[derive(Debug, thiserror::Error)]
pub enum WorkbookError {
    #[error(
        "{0} đồng vượt giới hạn số nguyên chính xác của Excel (2^53) / {0} đồng is beyond the exact integers of a workbook's numbers (2^53)"
    )]
    Inexact(i64),
    #[error("không ghi được tệp Excel / the workbook could not be written: {0}")]
    Write(#[from] XlsxError),
}

const HEADER: [&str; 10] = [
    "Huyện",
    "Số CCCD/CMND",
    "Họ và tên",
    "Nhóm đối tượng",
    "Phê duyệt (đồng)",
    "Đã chi (đồng)",
    "Còn phải chi (đồng)",
    "Tình trạng",
    "Dòng chi bị từ chối",
    "Mã tình trạng",
];

/// The status as the header's language says it.
pub fn status_vi(status: Status) -> &'static str {
    match status {
        Status::Unpaid => "chưa chi",
        Status::Paid => "đã chi đủ",
        Status::PartiallyPaid => "chi một phần",
        Status::Overpaid => "chi vượt",
        Status::PaidWithoutApproval => "chi không có phê duyệt",
        Status::DuplicatePayment => "chi trùng",
    }
}

struct Formats {
    text: Format,
    money: Format,
    bold: Format,
    bold_money: Format,
    header: Format,
}

/// The reconciliation as an `.xlsx` workbook.
pub fn reconciliation_workbook(reconciliation: &Reconciliation) -> Result<Vec<u8>, WorkbookError> {
    let formats = Formats {
        text: Format::new().set_num_format("@"),
        money: Format::new().set_num_format("#,##0"),
        bold: Format::new().set_bold(),
        bold_money: Format::new().set_bold().set_num_format("#,##0"),
        header: Format::new()
            .set_bold()
            .set_text_wrap()
            .set_background_color(Color::RGB(0xD9E1F2)),
    };
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name("Đối chiếu")?;
    for (column, width) in [6, 15, 28, 14, 16, 16, 18, 20, 40, 20].iter().enumerate() {
        sheet.set_column_width(column as u16, *width)?;
    }
    let mut row = write_title(sheet, reconciliation, &formats)?;
    for (column, title) in HEADER.iter().enumerate() {
        sheet.write_string_with_format(row, column as u16, *title, &formats.header)?;
    }
    sheet.set_freeze_panes(row + 1, 0)?;
    for line in &reconciliation.lines {
        row += 1;
        write_line(sheet, row, line, &formats)?;
    }
    row += 1;
    for (district, totals) in &reconciliation.districts {
        row += 1;
        write_totals(sheet, row, &format!("Huyện {district}"), totals, &formats)?;
    }
    row += 2;
    write_totals(sheet, row, "Tổng cộng", &reconciliation.total, &formats)?;
    Ok(workbook.save_to_buffer()?)
}

/// The title rows (program, scope, checkpoint); the header's row.
fn write_title(
    sheet: &mut Worksheet,
    reconciliation: &Reconciliation,
    formats: &Formats,
) -> Result<u32, WorkbookError> {
    let scope = match &reconciliation.district {
        Some(district) => format!("huyện {district}"),
        None => "mọi huyện".to_string(),
    };
    sheet.write_string_with_format(
        0,
        0,
        format!(
            "Đối chiếu chi trả / Reconciliation — chương trình {}, {scope}",
            reconciliation.program
        ),
        &formats.bold,
    )?;
    let checkpoint = reconciliation
        .checkpoint
        .as_ref()
        .map_or_else(|| "—".to_string(), ToString::to_string);
    sheet.write_string(
        1,
        0,
        format!("Điểm kiểm tra sổ cái / checkpoint: {checkpoint}"),
    )?;
    Ok(3)
}

fn write_money(
    sheet: &mut Worksheet,
    row: u32,
    column: u16,
    dong: i64,
    format: &Format,
) -> Result<(), WorkbookError> {
    let number = dong_as_exact_f64(dong).ok_or(WorkbookError::Inexact(dong))?;
    sheet.write_number_with_format(row, column, number, format)?;
    Ok(())
}

fn write_line(
    sheet: &mut Worksheet,
    row: u32,
    line: &Line,
    formats: &Formats,
) -> Result<(), WorkbookError> {
    sheet.write_string_with_format(row, 0, &line.district, &formats.text)?;
    sheet.write_string_with_format(row, 1, &line.national_id, &formats.text)?;
    sheet.write_string_with_format(row, 2, &line.full_name, &formats.text)?;
    sheet.write_string_with_format(row, 3, &line.category, &formats.text)?;
    write_money(sheet, row, 4, line.approved_dong, &formats.money)?;
    write_money(sheet, row, 5, line.paid_dong, &formats.money)?;
    write_money(sheet, row, 6, line.outstanding_dong, &formats.money)?;
    sheet.write_string(row, 7, status_vi(line.status))?;
    let refused = line
        .refused
        .iter()
        .map(|r| {
            format!(
                "{} dòng {} ({}): {} đồng",
                r.file_name,
                r.line,
                crate::import::report::code_name(r.code),
                crate::domain::money::group_digits(r.amount_dong, '.')
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    if !refused.is_empty() {
        sheet.write_string_with_format(row, 8, refused, &formats.text)?;
    }
    sheet.write_string(row, 9, line.status.as_str())?;
    Ok(())
}

fn write_totals(
    sheet: &mut Worksheet,
    row: u32,
    label: &str,
    totals: &Totals,
    formats: &Formats,
) -> Result<(), WorkbookError> {
    sheet.write_string_with_format(row, 0, label, &formats.bold)?;
    sheet.write_string_with_format(
        row,
        2,
        format!("{} đối tượng", totals.beneficiaries),
        &formats.bold,
    )?;
    write_money(sheet, row, 4, totals.approved_dong, &formats.bold_money)?;
    write_money(sheet, row, 5, totals.paid_dong, &formats.bold_money)?;
    write_money(sheet, row, 6, totals.outstanding_dong, &formats.bold_money)?;
    let by_status = totals
        .by_status
        .iter()
        .map(|(status, count)| format!("{status} {count}"))
        .collect::<Vec<_>>()
        .join(", ");
    sheet.write_string(row, 7, by_status)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_doubles_are_written() {
        const TWO_TO_53: i64 = 9_007_199_254_740_992;
        assert_eq!(dong_as_exact_f64(455_549_800_000), Some(455_549_800_000.0));
        assert_eq!(dong_as_exact_f64(TWO_TO_53), Some(TWO_TO_53 as f64));
        assert_eq!(dong_as_exact_f64(TWO_TO_53 + 1), None);
        assert_eq!(dong_as_exact_f64(-TWO_TO_53 - 1), None);
    }
}
