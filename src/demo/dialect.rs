//! How each district's spreadsheet writes its files: delimiter, BOM, line
//! ends, header language, number and date formats, column order. The nine
//! districts differ on purpose, as real rolls do, so that the importer meets
//! every format the design promises to accept.

use super::people::push_fmt;
use chrono::{Datelike, NaiveDate};
use std::borrow::Cow;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Column {
    Stt,
    FullName,
    BirthDate,
    Sex,
    Ethnicity,
    NationalId,
    Commune,
    Address,
    Category,
    Amount,
    DecisionNo,
    DecisionDate,
    PaymentMethod,
    BankAccount,
    Note,
    PaidDate,
    Reference,
}

pub const COLUMN_COUNT: usize = 17;

#[derive(Clone, Copy)]
pub enum HeaderStyle {
    /// `Họ và tên` as on the official form.
    Vietnamese,
    /// `HỌ VÀ TÊN`.
    VietnameseUpper,
    /// `Ho va ten`: typed on a keyboard without Vietnamese input.
    VietnameseAscii,
    /// `full_name`: exported from another system.
    English,
}

#[derive(Clone, Copy)]
pub enum AmountStyle {
    /// `1.500.000` (vi-VN Excel).
    Dots,
    /// `1.500.000 đ`.
    DotsWithUnit,
    /// `1500000`.
    Plain,
    /// `1,500,000` (en-US Excel).
    Commas,
    /// `1 500 000` (LibreOffice with a French-style locale).
    Spaces,
}

#[derive(Clone, Copy)]
pub enum DateStyle {
    /// `05/08/2021`.
    Dmy,
    /// `5/8/2021`.
    DmyUnpadded,
    /// `2021-08-05`.
    Iso,
}

pub struct Dialect {
    pub bom: bool,
    pub delimiter: u8,
    pub crlf: bool,
    pub headers: HeaderStyle,
    pub amounts: AmountStyle,
    pub dates: DateStyle,
    /// The category column holds the code (`tu-do`) instead of the Vietnamese name.
    pub category_codes: bool,
    /// People born before this year are listed with their birth year only.
    pub year_only_before: i32,
    pub approval_columns: &'static [Column],
    pub payment_columns: &'static [Column],
    pub totals_label: &'static str,
    /// One row's note has a line break typed with Alt+Enter.
    pub multiline_note: bool,
}

use Column::*;

const STANDARD: &[Column] = &[
    Stt,
    FullName,
    BirthDate,
    Sex,
    NationalId,
    Commune,
    Address,
    Category,
    Amount,
    DecisionNo,
    DecisionDate,
    PaymentMethod,
    BankAccount,
    Note,
];
const WITH_ETHNICITY: &[Column] = &[
    Stt,
    FullName,
    BirthDate,
    Sex,
    Ethnicity,
    NationalId,
    Commune,
    Address,
    Category,
    Amount,
    DecisionNo,
    DecisionDate,
    PaymentMethod,
    BankAccount,
    Note,
];
const ID_FIRST: &[Column] = &[
    Stt,
    NationalId,
    FullName,
    BirthDate,
    Sex,
    Commune,
    Address,
    Category,
    Amount,
    PaymentMethod,
    BankAccount,
    DecisionNo,
    DecisionDate,
    Note,
];
const EXPORTED: &[Column] = &[
    NationalId,
    FullName,
    Sex,
    BirthDate,
    Ethnicity,
    Commune,
    Address,
    Category,
    Amount,
    DecisionNo,
    DecisionDate,
    PaymentMethod,
    BankAccount,
    Note,
    Stt,
];
const PAYMENTS_VI: &[Column] = &[
    Stt,
    NationalId,
    FullName,
    Amount,
    PaidDate,
    PaymentMethod,
    Reference,
    DecisionNo,
];
const PAYMENTS_EN: &[Column] = &[
    NationalId,
    FullName,
    Amount,
    PaidDate,
    PaymentMethod,
    Reference,
    DecisionNo,
];

const fn excel_vi(columns: &'static [Column]) -> Dialect {
    Dialect {
        bom: true,
        delimiter: b';',
        crlf: true,
        headers: HeaderStyle::Vietnamese,
        amounts: AmountStyle::Dots,
        dates: DateStyle::Dmy,
        category_codes: false,
        year_only_before: 0,
        approval_columns: columns,
        payment_columns: PAYMENTS_VI,
        totals_label: "Tổng cộng",
        multiline_note: false,
    }
}

const fn exported_en(columns: &'static [Column], crlf: bool) -> Dialect {
    Dialect {
        bom: false,
        delimiter: b',',
        crlf,
        headers: HeaderStyle::English,
        amounts: AmountStyle::Plain,
        dates: DateStyle::Iso,
        category_codes: true,
        year_only_before: 0,
        approval_columns: columns,
        payment_columns: PAYMENTS_EN,
        totals_label: "Tổng cộng",
        multiline_note: false,
    }
}

/// One dialect per district, in the province's district order (842, 844 … 851).
pub static DIALECTS: [Dialect; 9] = [
    // 842 Thành phố Trà Vinh: vi-VN Excel "CSV (;)".
    excel_vi(STANDARD),
    // 844 Càng Long: exported from the labour office's system.
    exported_en(STANDARD, false),
    // 845 Cầu Kè: vi-VN Excel, an extra ethnicity column, old people by birth year.
    Dialect {
        year_only_before: 1960,
        multiline_note: true,
        ..excel_vi(WITH_ETHNICITY)
    },
    // 846 Tiểu Cần: headers typed without diacritics, en-US number format.
    Dialect {
        bom: false,
        delimiter: b',',
        headers: HeaderStyle::VietnameseAscii,
        amounts: AmountStyle::Commas,
        dates: DateStyle::DmyUnpadded,
        category_codes: true,
        ..excel_vi(STANDARD)
    },
    // 847 Châu Thành: LibreOffice, tab-separated, national ID first.
    Dialect {
        bom: false,
        delimiter: b'\t',
        crlf: false,
        amounts: AmountStyle::Plain,
        ..excel_vi(ID_FIRST)
    },
    // 848 Cầu Ngang: upper-case headers, amounts with the currency sign.
    Dialect {
        headers: HeaderStyle::VietnameseUpper,
        amounts: AmountStyle::DotsWithUnit,
        year_only_before: 1965,
        totals_label: "Cộng",
        ..excel_vi(STANDARD)
    },
    // 849 Trà Cú: exported, columns in another order, ethnicity column.
    exported_en(EXPORTED, true),
    // 850 Duyên Hải: vi-VN Excel with category codes and ethnicity.
    Dialect {
        category_codes: true,
        ..excel_vi(WITH_ETHNICITY)
    },
    // 851 Thị xã Duyên Hải: LibreOffice, UTF-8 without BOM, spaces in amounts.
    Dialect {
        bom: false,
        delimiter: b',',
        crlf: false,
        amounts: AmountStyle::Spaces,
        ..excel_vi(STANDARD)
    },
];

pub fn header(column: Column, style: HeaderStyle) -> Cow<'static, str> {
    let (vietnamese, english) = header_names(column);
    match style {
        HeaderStyle::Vietnamese => Cow::Borrowed(vietnamese),
        HeaderStyle::English => Cow::Borrowed(english),
        HeaderStyle::VietnameseUpper => Cow::Owned(vietnamese.to_uppercase()),
        HeaderStyle::VietnameseAscii => Cow::Owned(strip_diacritics(vietnamese)),
    }
}

fn header_names(column: Column) -> (&'static str, &'static str) {
    match column {
        Stt => ("STT", "stt"),
        FullName => ("Họ và tên", "full_name"),
        BirthDate => ("Ngày sinh", "date_of_birth"),
        Sex => ("Giới tính", "sex"),
        Ethnicity => ("Dân tộc", "ethnicity"),
        NationalId => ("Số CCCD/CMND", "national_id"),
        Commune => ("Mã xã", "commune_code"),
        Address => ("Địa chỉ", "address"),
        Category => ("Nhóm đối tượng", "category"),
        Amount => ("Số tiền", "amount"),
        DecisionNo => ("Số quyết định", "decision_no"),
        DecisionDate => ("Ngày quyết định", "decision_date"),
        PaymentMethod => ("Hình thức chi trả", "payment_method"),
        BankAccount => ("Số tài khoản", "bank_account"),
        Note => ("Ghi chú", "note"),
        PaidDate => ("Ngày chi", "paid_date"),
        Reference => ("Số chứng từ", "reference"),
    }
}

fn strip_diacritics(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            other => other,
        })
        .collect()
}

pub fn push_amount(out: &mut String, dong: i64, style: AmountStyle) {
    push_grouped(out, dong, style);
    if matches!(style, AmountStyle::DotsWithUnit) {
        out.push_str(" đ");
    }
}

/// An amount with half a đồng, as a spreadsheet formula leaves it: refused,
/// since VND has no minor unit.
pub fn push_fractional_amount(out: &mut String, dong: i64, style: AmountStyle) {
    push_grouped(out, dong, style);
    out.push_str(match style {
        AmountStyle::Plain | AmountStyle::Commas => ".5",
        AmountStyle::Dots | AmountStyle::DotsWithUnit | AmountStyle::Spaces => ",5",
    });
    if matches!(style, AmountStyle::DotsWithUnit) {
        out.push_str(" đ");
    }
}

fn push_grouped(out: &mut String, dong: i64, style: AmountStyle) {
    let separator = match style {
        AmountStyle::Plain => None,
        AmountStyle::Dots | AmountStyle::DotsWithUnit => Some('.'),
        AmountStyle::Commas => Some(','),
        AmountStyle::Spaces => Some(' '),
    };
    let mut buffer = [0u8; 20];
    let digits = ascii_digits(dong.unsigned_abs(), &mut buffer);
    for (index, digit) in digits.chars().enumerate() {
        if let Some(separator) = separator {
            if index > 0 && (digits.len() - index).is_multiple_of(3) {
                out.push(separator);
            }
        }
        out.push(digit);
    }
}

/// Decimal digits of `value`, written into a stack buffer: amounts are
/// formatted hundreds of thousands of times, without a heap allocation each.
fn ascii_digits(mut value: u64, buffer: &mut [u8; 20]) -> &str {
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    std::str::from_utf8(&buffer[start..]).unwrap_or("0")
}

pub fn push_date(out: &mut String, date: NaiveDate, style: DateStyle) {
    let (y, m, d) = (date.year(), date.month(), date.day());
    match style {
        DateStyle::Dmy => push_fmt(out, format_args!("{d:02}/{m:02}/{y}")),
        DateStyle::DmyUnpadded => push_fmt(out, format_args!("{d}/{m}/{y}")),
        DateStyle::Iso => push_fmt(out, format_args!("{y}-{m:02}-{d:02}")),
    }
}

/// How Excel shows a 12-digit ID it has turned into a number: the leading zero
/// is gone and only six significant digits remain, trailing zeros dropped
/// (`8,40912E+10` in vi-VN).
pub fn push_scientific_id(out: &mut String, national_id: &str, style: AmountStyle) {
    let digits = national_id.trim_start_matches('0');
    let lead = digits.get(..1).unwrap_or("0");
    let mantissa = digits.get(1..6).unwrap_or("").trim_end_matches('0');
    out.push_str(lead);
    if !mantissa.is_empty() {
        out.push(match style {
            AmountStyle::Dots | AmountStyle::DotsWithUnit | AmountStyle::Spaces => ',',
            AmountStyle::Plain | AmountStyle::Commas => '.',
        });
        out.push_str(mantissa);
    }
    push_fmt(out, format_args!("E+{}", digits.len().saturating_sub(1)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::{Money, MoneyError};
    use crate::domain::national_id::{NationalId, NationalIdError};

    const STYLES: [AmountStyle; 5] = [
        AmountStyle::Dots,
        AmountStyle::DotsWithUnit,
        AmountStyle::Plain,
        AmountStyle::Commas,
        AmountStyle::Spaces,
    ];

    #[test]
    fn amounts_round_trip_through_money_parse() {
        for style in STYLES {
            for dong in [80_000, 1_500_000, 455_549_800_000] {
                let mut text = String::new();
                push_amount(&mut text, dong, style);
                assert_eq!(Money::parse(&text), Ok(Money::from_dong(dong)), "{text}");
                let mut fractional = String::new();
                push_fractional_amount(&mut fractional, dong, style);
                assert!(
                    matches!(Money::parse(&fractional), Err(MoneyError::Fractional(_))),
                    "{fractional}"
                );
            }
        }
        let mut text = String::new();
        push_amount(&mut text, 1_500_000, AmountStyle::Spaces);
        assert_eq!(text, "1 500 000");
    }

    #[test]
    fn scientific_ids_are_recognised() {
        let mut text = String::new();
        push_scientific_id(&mut text, "084091234567", AmountStyle::Dots);
        assert_eq!(text, "8,40912E+10");
        for (id, shown) in [("084075012345", "8.4075E+10"), ("084000001234", "8.4E+10")] {
            let mut text = String::new();
            push_scientific_id(&mut text, id, AmountStyle::Plain);
            assert_eq!(text, shown);
            assert!(matches!(
                NationalId::parse(&text),
                Err(NationalIdError::ScientificNotation(_))
            ));
        }
    }

    #[test]
    fn headers_in_every_style() {
        assert_eq!(
            header(NationalId, HeaderStyle::VietnameseUpper),
            "SỐ CCCD/CMND"
        );
        assert_eq!(header(FullName, HeaderStyle::VietnameseAscii), "Ho va ten");
        assert_eq!(
            header(DecisionDate, HeaderStyle::VietnameseAscii),
            "Ngay quyet dinh"
        );
        assert_eq!(header(Amount, HeaderStyle::English), "amount");
    }

    #[test]
    fn dates_in_every_style() {
        let date = NaiveDate::from_ymd_opt(2021, 8, 5).unwrap();
        let mut text = String::new();
        for style in [DateStyle::Dmy, DateStyle::DmyUnpadded, DateStyle::Iso] {
            push_date(&mut text, date, style);
            text.push(' ');
        }
        assert_eq!(text, "05/08/2021 5/8/2021 2021-08-05 ");
    }
}
