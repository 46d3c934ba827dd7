//! Whole rolls as real tools write them: Excel and LibreOffice in Vietnamese
//! and English, printed forms, bank exports, the samples, line endings.

use super::*;

#[test]
fn vi_excel_semicolon_bom_crlf_quotes_and_multiline() {
    let roll = read_approvals(fixture!("approvals-vi-semicolon-bom-crlf.csv")).unwrap();
    assert_eq!(roll.header.delimiter, ';');
    assert!(roll.header.had_bom);
    assert_eq!(roll.header.header_line, 1);
    assert_eq!(roll.header.columns.len(), 14);
    assert_eq!(
        roll.header.columns[1],
        ("Họ và tên".to_string(), "full_name".to_string())
    );
    assert!(roll.header.ignored_columns.is_empty());
    let records = all(roll);
    assert_eq!(rejected(&records), vec![]);
    let rows = rows(&records);
    assert_eq!(
        rows.iter().map(|r| r.row.line).collect::<Vec<_>>(),
        [2, 3, 5]
    );
    assert!(rows.iter().all(|r| r.warnings.is_empty()));
    let first = &rows[0].row;
    assert_eq!(first.full_name, "Thạch Sa Rây");
    assert_eq!(
        first.date_of_birth,
        Some(BirthDate::Full(date(12, 3, 1978)))
    );
    assert_eq!(first.sex, Some(Sex::Male));
    assert_eq!(first.national_id.as_str(), "084078918650");
    assert_eq!(first.commune_code, "29239");
    assert_eq!(first.address.as_deref(), Some("Khóm 3; Phường 1"));
    assert_eq!(first.category, "tu-do");
    assert_eq!(first.amount, Money::from_dong(1_500_000));
    assert_eq!(first.decision_no, "2315/QĐ-UBND");
    assert_eq!(first.decision_date, date(16, 8, 2021));
    assert_eq!(first.payment_method, Some(PaymentMethod::Cash));
    assert_eq!(first.stt.as_deref(), Some("1"));
    let second = &rows[1].row;
    assert_eq!(second.address.as_deref(), Some("Ấp Ô Rồm Xã Long Đức"));
    assert_eq!(
        second.date_of_birth,
        Some(BirthDate::Full(date(5, 11, 1985)))
    );
    assert_eq!(second.decision_date, date(16, 8, 2021));
    assert_eq!(second.sex, Some(Sex::Female));
    assert_eq!(second.payment_method, Some(PaymentMethod::BankTransfer));
    assert_eq!(second.bank_account.as_deref(), Some("0926 1228 1170"));
    assert_eq!(second.note.as_deref(), Some("Nhận qua \"Agribank\""));
    let third = &rows[2].row;
    assert_eq!(third.amount, Money::from_dong(1_500_000));
    assert_eq!(third.date_of_birth, Some(BirthDate::YearOnly(1969)));
    assert_eq!(third.payment_method, Some(PaymentMethod::Post));
    assert_eq!(
        totals(&records),
        vec![ControlTotals {
            line: 6,
            label: "Tổng cộng".to_string(),
            rows: None,
            amount: Some(Money::from_dong(6_710_000)),
            subtotal: false,
        }]
    );
}

#[test]
fn english_headers_in_any_order_comma_and_extra_column() {
    let roll = read_approvals(fixture!("approvals-en-comma.csv")).unwrap();
    assert_eq!(roll.header.delimiter, ',');
    assert!(!roll.header.had_bom);
    assert_eq!(roll.header.ignored_columns, ["district_name"]);
    let records = all(roll);
    assert_eq!(rejected(&records), vec![]);
    let rows = rows(&records);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1].row.amount, Money::from_dong(1_855_000));
    assert_eq!(
        rows[1].row.date_of_birth,
        Some(BirthDate::Full(date(5, 11, 1985)))
    );
    assert_eq!(
        rows[1].row.payment_method,
        Some(PaymentMethod::BankTransfer)
    );
    assert_eq!(rows[2].row.sex, Some(Sex::Male));
    assert_eq!(rows[2].row.payment_method, Some(PaymentMethod::Post));
    let t = totals(&records);
    assert_eq!(t.len(), 1);
    assert_eq!(
        (t[0].line, t[0].rows, t[0].amount),
        (5, Some(3), Some(Money::from_dong(4_855_000)))
    );
}

#[test]
fn diacritic_free_upper_case_headers_tab_delimited() {
    let roll = read_approvals(fixture!("approvals-tab-no-diacritics.csv")).unwrap();
    assert_eq!(roll.header.delimiter, '\t');
    assert_eq!(
        roll.header.columns[0],
        ("HO VA TEN".to_string(), "full_name".to_string())
    );
    let records = all(roll);
    assert_eq!(rejected(&records), vec![]);
    let rows = rows(&records);
    assert_eq!(rows.len(), 2);
    assert!(rows
        .iter()
        .all(|r| r.row.amount == Money::from_dong(1_000_000)));
    assert_eq!(rows[0].row.sex, Some(Sex::Female));
    assert_eq!(rows[0].row.decision_date, date(1, 9, 2021));
    assert_eq!(rows[0].row.payment_method, Some(PaymentMethod::Cash));
    assert_eq!(rows[1].row.sex, Some(Sex::Male));
    assert_eq!(
        rows[1].row.payment_method,
        Some(PaymentMethod::BankTransfer)
    );
    let t = totals(&records);
    assert_eq!(
        (t[0].line, t[0].rows, t[0].amount),
        (4, Some(2), Some(Money::from_dong(2_000_000)))
    );
}

#[test]
fn nfd_names_and_headers_from_macos_become_nfc() {
    let roll = read_approvals(fixture!("approvals-nfd-macos.csv")).unwrap();
    assert_eq!(roll.header.columns.len(), 7);
    let records = all(roll);
    assert_eq!(rejected(&records), vec![]);
    let rows = rows(&records);
    assert_eq!(rows[0].row.full_name, "Nguyễn Thị Ánh Tuyết");
    assert!(unicode_normalization::is_nfc(&rows[0].row.full_name));
    assert_eq!(rows[0].warnings.len(), 1);
    assert_eq!(rows[0].warnings[0].code, "name_normalized");
    assert_both_languages(&rows[0].warnings[0]);
    assert_eq!(rows[1].row.full_name, "Thạch Sa Rây");
}

#[test]
fn printed_form_layout_titles_numbers_subtotals_and_signatures() {
    let roll = read_approvals(fixture!("approvals-form-layout.csv")).unwrap();
    assert_eq!(roll.header.header_line, 6);
    assert_eq!(roll.header.delimiter, ';');
    assert_eq!(
        roll.header.columns[1],
        ("Họ và tên đối tượng".to_string(), "full_name".to_string())
    );
    assert_eq!(
        roll.header.columns[7],
        ("Số tiền (đồng)".to_string(), "amount".to_string())
    );
    let records = all(roll);
    let summary: Vec<(u64, &str)> = records
        .iter()
        .map(|r| match r {
            Record::Row(p) => (
                p.row.line,
                if p.warnings.is_empty() {
                    "row"
                } else {
                    "row+warning"
                },
            ),
            Record::Rejected { line, .. } => (*line, "rejected"),
            Record::Totals(t) => (t.line, if t.subtotal { "subtotal" } else { "total" }),
            Record::Ignored(p) => (p.line, p.code.as_str()),
        })
        .collect();
    assert_eq!(
        summary,
        // The header spans lines 6–8 (two quoted line breaks); line 16 is blank.
        vec![
            (9, "column_numbers"),
            (10, "row"),
            (11, "row"),
            (12, "subtotal"),
            (13, "row"),
            (14, "subtotal"),
            (15, "total"),
            (17, "after_totals"),
            (18, "after_totals"),
            (19, "after_totals"),
        ]
    );
    let t = totals(&records);
    assert_eq!(t[0].label, "Cộng phường 1");
    assert_eq!(t[0].amount, Some(Money::from_dong(3_000_000)));
    assert_eq!(t[2].label, "TỔNG CỘNG: 3 người");
    assert_eq!(
        (t[2].rows, t[2].amount),
        (Some(3), Some(Money::from_dong(4_500_000)))
    );
    assert_eq!(
        rows(&records)[0].row.date_of_birth,
        Some(BirthDate::YearOnly(1978))
    );
}

#[test]
fn excel_sep_line_sets_the_delimiter_and_counts_as_a_line() {
    let roll = read_approvals(fixture!("approvals-sep-line.csv")).unwrap();
    assert_eq!(roll.header.delimiter, ';');
    assert_eq!(roll.header.header_line, 2);
    let records = all(roll);
    assert_eq!(
        rows(&records)
            .iter()
            .map(|r| r.row.line)
            .collect::<Vec<_>>(),
        [3]
    );
}

#[test]
fn bank_payment_export() {
    let roll = read_payments(fixture!("payments-bank.csv")).unwrap();
    assert_eq!(roll.header.ignored_columns, ["Nội dung"]);
    let canonical: Vec<&str> = roll
        .header
        .columns
        .iter()
        .map(|(_, c)| c.as_str())
        .collect();
    assert_eq!(
        canonical,
        [
            "stt",
            "paid_date",
            "reference",
            "national_id",
            "full_name",
            "bank_account",
            "amount"
        ]
    );
    let records = all(roll);
    let rows = rows(&records);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].row.full_name.as_deref(), Some("THẠCH SA RÂY"));
    assert_eq!(rows[0].row.paid_date, date(25, 8, 2021));
    assert_eq!(rows[0].row.reference, "FT21237123456");
    assert_eq!(rows[1].row.amount, Money::from_dong(3_710_000));
    assert_eq!(rows[1].warnings[0].code, "national_id_spaces");
    assert_eq!(
        rejected(&records),
        vec![
            (4, vec!["national_id_leading_zero"]),
            (5, vec!["scientific_notation"])
        ]
    );
    let t = totals(&records);
    assert_eq!(
        (t[0].line, t[0].amount),
        (6, Some(Money::from_dong(8_565_000)))
    );
}

#[test]
fn sample_rolls_parse_without_problems() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("imports/samples");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 10, "{files:?}");
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let (count, sum, declared) = if name.starts_with("approvals-") {
            check_clean(
                read_approvals(&bytes).unwrap(),
                |r: &ApprovalRow| r.amount,
                &name,
            )
        } else {
            check_clean(
                read_payments(&bytes).unwrap(),
                |r: &PaymentRow| r.amount,
                &name,
            )
        };
        assert!(
            (5..=8).contains(&count) || name.starts_with("payments"),
            "{name}: {count}"
        );
        assert_eq!(declared.amount, Some(Money::from_dong(sum)), "{name}");
    }
}

#[test]
fn old_mac_line_endings_count_lines() {
    let text = "Số CCCD,Số tiền,Ngày chi,Số chứng từ\r\r084078918650,1500000,25/08/2021,A\r084078918651,x,25/08/2021,B\r";
    let records = all(read_payments(text.as_bytes()).unwrap());
    assert_eq!(rows(&records)[0].row.line, 3);
    assert_eq!(rejected(&records), vec![(4, vec!["amount_not_a_number"])]);
}

#[test]
fn records_serialize_to_json() {
    let records = all(read_approvals(fixture!("approvals-excel-damage.csv")).unwrap());
    let json = serde_json::to_value(&records).unwrap();
    assert_eq!(json[0]["record"], "rejected");
    assert_eq!(json[0]["problems"][0]["field"], "national_id");
    assert_eq!(json[0]["problems"][0]["code"], "national_id_leading_zero");
    assert_eq!(json[3]["record"], "row");
    assert_eq!(json[3]["row"]["national_id"], "084091837303");
    assert_eq!(json[3]["row"]["amount"], 1_855_000);
    assert_eq!(json[3]["row"]["date_of_birth"], "05/05/1991");
    assert_eq!(json[3]["row"]["decision_date"], "2021-09-06");
    assert_eq!(json[3]["warnings"][0]["code"], "national_id_spaces");
    let totals = all(read_approvals(fixture!("approvals-form-layout.csv")).unwrap());
    let json = serde_json::to_value(&totals).unwrap();
    assert_eq!(json[0]["record"], "ignored");
    assert_eq!(json[3]["record"], "totals");
    assert_eq!(json[3]["subtotal"], true);
}
