//! Tests of the value parsers: totals labels, dates, amounts, header keys, sex and
//! payment method spellings, free text.

use super::super::fields::match_header;
use super::super::totals::{first_integer, totals_label, TotalsKind};
use super::super::values::{clean_text, parse_birth_date, parse_date, parse_money, DateError};
use super::*;
use crate::domain::money::Money;

#[test]
fn totals_labels() {
    for label in [
        "Tổng cộng",
        "TỔNG CỘNG:",
        "tong cong",
        "Tổng số",
        "Cộng",
        "CỘNG",
        "Total",
        "Grand total",
        "Tổng cộng: 7 người",
        "Tổng cộng (1.234 đối tượng)",
        "Tổng",
        "Tổng cộng toàn huyện",
    ] {
        assert_eq!(totals_label(label), Some(TotalsKind::Total), "{label}");
    }
    for label in [
        "Cộng xã Long Đức",
        "Cộng phường 1",
        "Cộng ấp Sóc Ruộng",
        "Cộng thị trấn Cầu Kè",
    ] {
        assert_eq!(totals_label(label), Some(TotalsKind::Subtotal), "{label}");
    }
    for name in [
        "Tống Thị Lan",
        "Tống Huyền",
        "Công Văn Lý",
        "Trần Văn Tổng",
        "Thạch Sa Rây",
        "",
    ] {
        assert_eq!(totals_label(name), None, "{name}");
    }
    assert_eq!(first_integer("Tổng cộng (1.234 đối tượng)"), Some(1234));
    assert_eq!(first_integer("Tổng cộng: 7 người"), Some(7));
    assert_eq!(first_integer("Tổng cộng"), None);
}

#[test]
fn dates() {
    assert_eq!(parse_date("15/07/2021"), Ok(date(15, 7, 2021)));
    assert_eq!(parse_date("5/7/2021"), Ok(date(5, 7, 2021)));
    assert_eq!(parse_date("2021-07-05"), Ok(date(5, 7, 2021)));
    assert_eq!(parse_date("05-07-2021"), Ok(date(5, 7, 2021)));
    assert_eq!(parse_date("05.07.2021"), Ok(date(5, 7, 2021)));
    assert_eq!(parse_date("2021-07-05 00:00:00"), Ok(date(5, 7, 2021)));
    assert_eq!(
        parse_date("31/02/2021"),
        Err(DateError::NoSuchDay {
            year: 2021,
            month: 2,
            day: 31
        })
    );
    assert_eq!(parse_date("29/02/2020"), Ok(date(29, 2, 2020)));
    assert_eq!(
        parse_date("0/02/2020"),
        Err(DateError::NoSuchDay {
            year: 2020,
            month: 2,
            day: 0
        })
    );
    assert_eq!(parse_date("07/15/2021"), Err(DateError::MonthRange(15)));
    assert_eq!(parse_date("15/07/21"), Err(DateError::TwoDigitYear));
    assert_eq!(parse_date("44392"), Err(DateError::ExcelSerial));
    assert_eq!(parse_date("2021"), Err(DateError::YearOnly));
    assert_eq!(parse_date("15/07/1800"), Err(DateError::YearRange(1800)));
    for bad in [
        "",
        "hôm qua",
        "15/07",
        "15/07/2021/1",
        "15 07 2021",
        "15/07-2021",
        "2021-07-05 10:30",
    ] {
        assert_eq!(parse_date(bad), Err(DateError::Format), "{bad}");
    }
    assert_eq!(parse_birth_date("1948"), Ok(BirthDate::YearOnly(1948)));
    assert_eq!(
        parse_birth_date("02/09/1945"),
        Ok(BirthDate::Full(date(2, 9, 1945)))
    );
    assert_eq!(parse_birth_date("1848"), Err(DateError::YearRange(1848)));
    assert_eq!(
        serde_json::to_string(&BirthDate::YearOnly(1948)).unwrap(),
        "\"1948\""
    );
    assert_eq!(
        serde_json::to_string(&BirthDate::Full(date(2, 9, 1945))).unwrap(),
        "\"02/09/1945\""
    );
}

#[test]
fn money_fast_path_agrees_with_money_parse() {
    for text in [
        "1500000",
        "1.500.000",
        "1,500,000",
        "1.500",
        "500",
        "1.50.000",
        "1,5",
        "1500000,00",
        "1.500.000,50",
        "1.500,000",
        "1234.567",
        "0",
        "01500000",
        "999999999999999",
        "1 500 000",
        "1.500.000 đ",
        "-5",
        "abc",
        "1.",
        ".5",
        "1..500",
    ] {
        assert_eq!(parse_money(text), Money::parse(text), "{text}");
    }
}

#[test]
fn header_keys_and_aliases() {
    assert_eq!(header_key("Số tiền (đồng)"), "so tien");
    assert_eq!(header_key("Họ và tên (*)"), "ho va ten");
    assert_eq!(header_key(" HỌ TÊN "), "ho ten");
    assert_eq!(header_key("Số tiền\r\n(đồng)"), "so tien");
    assert_eq!(header_key("(1)"), "1");
    for kind in [RollKind::Approvals, RollKind::Payments] {
        for field in kind.fields() {
            assert_eq!(match_header(kind, &header_key(field.name())), Some(*field));
            assert_eq!(
                match_header(kind, &header_key(field.name_vi())),
                Some(*field),
                "{field}"
            );
            for alias in field.aliases() {
                assert_eq!(header_key(alias), *alias, "aliases are stored as keys");
                assert_eq!(match_header(kind, alias), Some(*field), "{alias}");
            }
        }
    }
}

#[test]
fn sex_and_payment_method_spellings() {
    for text in ["Nam", "NAM", "nam", "male", "M"] {
        assert_eq!(Sex::parse(text), Some(Sex::Male), "{text}");
    }
    let nfd: String = unicode_normalization::UnicodeNormalization::nfd("Nữ").collect();
    for text in ["Nữ", "NỮ", "nu", "Nu", "female", "F", nfd.as_str()] {
        assert_eq!(Sex::parse(text), Some(Sex::Female), "{text}");
    }
    assert_eq!(Sex::parse("1"), None);
    assert_eq!(Sex::parse("0"), None);
    for (text, method) in [
        ("Tiền mặt", PaymentMethod::Cash),
        ("TIEN MAT", PaymentMethod::Cash),
        ("cash", PaymentMethod::Cash),
        ("Chuyển khoản", PaymentMethod::BankTransfer),
        ("chuyen khoan", PaymentMethod::BankTransfer),
        ("CK", PaymentMethod::BankTransfer),
        ("bank transfer", PaymentMethod::BankTransfer),
        ("Bưu điện", PaymentMethod::Post),
        ("qua bưu điện", PaymentMethod::Post),
        ("post", PaymentMethod::Post),
        ("Chuyển khoản (Agribank)", PaymentMethod::BankTransfer),
    ] {
        assert_eq!(PaymentMethod::parse(text), Some(method), "{text}");
    }
    assert_eq!(PaymentMethod::parse("ví điện tử"), None);
}

#[test]
fn field_slots_follow_declaration_order() {
    for (index, field) in Field::ALL_SLOTS.iter().enumerate() {
        assert_eq!(field.slot(), index);
    }
}

#[test]
fn clean_text_collapses_and_normalises() {
    assert_eq!(
        clean_text("  Thạch   Sa\tRây "),
        ("Thạch Sa Rây".to_string(), false)
    );
    assert_eq!(
        clean_text("Thạch\u{a0}Sa Rây"),
        ("Thạch Sa Rây".to_string(), false)
    );
    let nfd: String = unicode_normalization::UnicodeNormalization::nfd("Nguyễn").collect();
    assert_eq!(clean_text(&nfd), ("Nguyễn".to_string(), true));
}

#[test]
fn problem_codes_are_stored_by_their_names() {
    for code in ProblemCode::ALL {
        let json = serde_json::to_value(code).unwrap();
        assert_eq!(json, code.as_str());
        let back: ProblemCode = serde_json::from_value(json).unwrap();
        assert_eq!(back, code);
    }
    let mut names: Vec<&str> = ProblemCode::ALL.iter().map(|c| c.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), ProblemCode::ALL.len());
    assert!(serde_json::from_str::<ProblemCode>("\"no_such_code\"").is_err());
}

#[test]
fn roll_kinds_are_parsed_strictly() {
    for kind in [RollKind::Approvals, RollKind::Payments] {
        assert_eq!(kind.as_str().parse::<RollKind>(), Ok(kind));
    }
    let error = "approval".parse::<RollKind>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "kind 'approval' must be approvals or payments"
    );
}
