//! Problems of single rows: Excel damage, short rows, stray quotes, formula-like
//! names, and the spreadsheet row each problem names.

use super::*;

#[test]
fn excel_damage_and_row_errors_are_all_reported() {
    let records = all(read_approvals(fixture!("approvals-excel-damage.csv")).unwrap());
    let accepted: Vec<(u64, Vec<&str>)> = rows(&records)
        .iter()
        .map(|p| {
            (
                p.row.line,
                p.warnings.iter().map(|w| w.code.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        accepted,
        vec![
            (5, vec!["national_id_spaces"]),
            (6, vec!["commune_code_padded"])
        ]
    );
    let accepted_rows = rows(&records);
    assert_eq!(accepted_rows[0].row.national_id.as_str(), "084091837303");
    assert_eq!(accepted_rows[1].row.commune_code, "00004");
    assert_eq!(
        rejected(&records),
        vec![
            (2, vec!["national_id_leading_zero"]),
            (3, vec!["national_id_scientific"]),
            (4, vec!["national_id_scientific"]),
            (7, vec!["date_impossible"]),
            (8, vec!["amount_fractional", "date_month"]),
            (9, vec!["missing_value"]),
            (10, vec!["name_has_digits"]),
            (
                11,
                vec![
                    "sex",
                    "national_id_leading_zero",
                    "amount_fractional",
                    "missing_value",
                    "date_excel_serial",
                    "payment_method"
                ]
            ),
            (
                12,
                vec!["date_two_digit_year", "amount_zero", "scientific_notation"]
            ),
            (13, vec!["birth_after_decision"]),
            (14, vec!["national_id_province"]),
        ]
    );
    // Every problem names its line, column and value, in both languages.
    for record in &records {
        if let Record::Rejected {
            line,
            problems,
            raw,
            ..
        } = record
        {
            assert!(!raw.is_empty());
            for problem in problems {
                assert_eq!(problem.line, *line);
                assert!(
                    problem.column.is_some() && problem.column_index.is_some(),
                    "{problem:?}"
                );
                assert_both_languages(problem);
            }
        }
    }
    let leading_zero = records
        .iter()
        .find_map(|r| match r {
            Record::Rejected {
                line: 2, problems, ..
            } => Some(problems[0].clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(leading_zero.column.as_deref(), Some("Số CCCD"));
    assert_eq!(leading_zero.column_index, Some(5));
    assert_eq!(leading_zero.value.as_deref(), Some("84055781925"));
    assert!(
        leading_zero.reason_en.contains("084055781925"),
        "{}",
        leading_zero.reason_en
    );
    assert!(
        leading_zero.reason_vi.contains("số 0"),
        "{}",
        leading_zero.reason_vi
    );
    let missing = records
        .iter()
        .find_map(|r| match r {
            Record::Rejected {
                line: 9, problems, ..
            } => Some(problems[0].clone()),
            _ => None,
        })
        .unwrap();
    assert!(missing.reason_en.starts_with("missing value"));
    assert!(missing.reason_vi.starts_with("thiếu giá trị"));
    assert_eq!(missing.column.as_deref(), Some("Họ và tên"));
}

#[test]
fn blank_lines_shifted_columns_and_long_values() {
    let records = all(read_approvals(fixture!("approvals-blank-and-shifted.csv")).unwrap());
    assert_eq!(
        rows(&records)
            .iter()
            .map(|r| r.row.line)
            .collect::<Vec<_>>(),
        [3, 9]
    );
    let rejected = rejected(&records);
    assert_eq!(rejected.len(), 2);
    assert_eq!(rejected[0].0, 6);
    assert!(rejected[0].1.contains(&"extra_values"), "{:?}", rejected[0]);
    assert!(
        rejected[0].1.contains(&"amount_not_a_number"),
        "{:?}",
        rejected[0]
    );
    assert_eq!(rejected[1], (7, vec!["too_long"]));
    let long = records
        .iter()
        .find_map(|r| match r {
            Record::Rejected {
                line: 7, problems, ..
            } => Some(problems[0].clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(long.column.as_deref(), Some("Ghi chú"));
    assert!(long.value.as_ref().unwrap().ends_with('…'));
    assert!(
        long.reason_en.contains("599 characters; the limit is 500"),
        "{}",
        long.reason_en
    );
}

#[test]
fn unclosed_quote_is_explained() {
    let records = all(read_approvals(fixture!("approvals-unclosed-quote.csv")).unwrap());
    assert_eq!(rows(&records).len(), 1);
    let found = rejected(&records);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, 3);
    assert!(found[0].1.contains(&"too_long"));
    assert!(found[0].1.contains(&"unclosed_quote"));
    // A short swallow (under the length limit) is caught too.
    let text =
        "Họ và tên,Số CCCD,Mã xã,Nhóm đối tượng,Số tiền,Số quyết định,Ngày quyết định,Ghi chú\n\
                A Văn,084078918650,29239,tu-do,1500000,1/QĐ,16/08/2021,\"ghi chú\n\
                B Văn,084078918651,29239,tu-do,1500000,1/QĐ,16/08/2021,\n";
    let records = all(read_approvals(text.as_bytes()).unwrap());
    assert_eq!(rejected(&records), vec![(2, vec!["unclosed_quote"])]);
}

#[test]
fn optional_payment_names_only_warn() {
    let text = "Số CCCD;Họ và tên;Số tiền;Ngày chi;Số chứng từ\n084078918650;Thạch Sa Rây 0926;1.500.000;25/08/2021;PC-1\n";
    let records = all(read_payments(text.as_bytes()).unwrap());
    let rows = rows(&records);
    assert_eq!(rows[0].warnings[0].code, "name_has_digits");
    assert_eq!(rows[0].row.full_name.as_deref(), Some("Thạch Sa Rây 0926"));
}

#[test]
fn a_short_row_is_one_problem_naming_what_it_does_not_reach() {
    let text = format!(
        "{APPROVAL_HEADER}Lê Văn A;084078918650;29239;tu-do\nLê Văn B;084078918651;29239;tu-do;1.500.000;1/QĐ;01/08/2021\n"
    );
    let records = all(read_approvals(text.as_bytes()).unwrap());
    assert_eq!(rejected(&records), vec![(2, vec!["too_few_values"])]);
    let Record::Rejected { problems, .. } = &records[0] else {
        panic!("{records:?}");
    };
    assert!(
        problems[0]
            .reason_en
            .starts_with("this row has 4 values where the header has 9 columns"),
        "{}",
        problems[0].reason_en
    );
    assert!(
        problems[0]
            .reason_vi
            .contains("'Số tiền', 'Số QĐ', 'Ngày QĐ'"),
        "{}",
        problems[0].reason_vi
    );
    // Reaching every required column, it is accepted with a warning.
    let parsed = rows(&records);
    assert_eq!(parsed.len(), 1);
    assert_eq!(parsed[0].warnings[0].code, ProblemCode::TooFewValues);
}

#[test]
fn a_name_like_a_formula_is_accepted_with_a_warning() {
    for name in ["=HYPERLINK(x)", "+Lê Văn A", "-Lê Văn A", "@Lê Văn A"] {
        let text = format!(
            "{APPROVAL_HEADER}{name};084078918650;29239;tu-do;1.500.000;1/QĐ;01/08/2021;;\n"
        );
        let records = all(read_approvals(text.as_bytes()).unwrap());
        let parsed = rows(&records);
        assert_eq!(parsed.len(), 1, "{name}: {records:?}");
        assert_eq!(parsed[0].warnings.len(), 1, "{name}");
        assert_eq!(parsed[0].warnings[0].code, ProblemCode::NameFormula);
        assert!(parsed[0].warnings[0].reason_vi.contains("công thức"));
    }
}

#[test]
fn spreadsheet_rows_differ_from_lines_after_a_cell_with_a_line_break() {
    let text = format!(
        "{APPROVAL_HEADER}Lê Văn A;084078918650;29239;tu-do;1.500.000;1/QĐ;01/08/2021;\"Ấp 1,\nXã A\";\nLê Văn B;084078918651;29239;tu-do;x;1/QĐ;01/08/2021;;\n\"Lê\r\nVăn C\";084078918652;29239;tu-do;1.500.000;1/QĐ;01/08/2021;;\nLê Văn D;084078918653;29239;tu-do;x;1/QĐ;01/08/2021;;\n"
    );
    let mut roll = read_approvals(text.as_bytes()).unwrap();
    let records: Vec<_> = roll.by_ref().map(Result::unwrap).collect();
    // Lines 4 and 7 of the file are rows 3 and 5 of the spreadsheet.
    assert_eq!(
        rejected(&records),
        vec![
            (4, vec!["amount_not_a_number"]),
            (7, vec!["amount_not_a_number"])
        ]
    );
    assert_eq!(roll.take_sheet_rows(), vec![(4, 3), (5, 4), (7, 5)]);
    let plain = format!("{APPROVAL_HEADER}Lê Văn B;084078918651;29239;tu-do;x;1/QĐ;01/08/2021;;\n");
    let mut roll = read_approvals(plain.as_bytes()).unwrap();
    roll.by_ref().for_each(drop);
    assert!(roll.take_sheet_rows().is_empty());
}
