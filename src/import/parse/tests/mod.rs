//! The parser's tests: whole rolls as real tools write them (fixtures under
//! `tests/fixtures/rolls/`), file refusals and row problems; value parsers in `values`.

use super::*;
use crate::domain::Money;
use chrono::NaiveDate;

mod values;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/rolls/",
            $name
        ))
        .as_slice()
    };
}

fn all<R>(roll: Roll<'_, R>) -> Vec<Record<R>> {
    roll.map(|r| r.expect("no file error while streaming"))
        .collect()
}

fn rows<R: Clone>(records: &[Record<R>]) -> Vec<Parsed<R>> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Row(parsed) => Some(parsed.clone()),
            _ => None,
        })
        .collect()
}

fn rejected<R>(records: &[Record<R>]) -> Vec<(u64, Vec<&'static str>)> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Rejected { line, problems, .. } => {
                Some((*line, problems.iter().map(|p| p.code.as_str()).collect()))
            }
            _ => None,
        })
        .collect()
}

fn totals<R>(records: &[Record<R>]) -> Vec<ControlTotals> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Totals(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

fn date(d: u32, m: u32, y: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn assert_both_languages(problem: &Problem) {
    assert!(
        !problem.reason_en.is_empty() && !problem.reason_vi.is_empty(),
        "{problem:?}"
    );
    assert_ne!(problem.reason_en, problem.reason_vi, "{problem:?}");
}

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
fn windows_1258_is_refused_with_position_and_advice() {
    let Err(error) = read_approvals(fixture!("approvals-windows-1258.csv")) else {
        panic!("must refuse");
    };
    assert_eq!(
        error,
        FileError::NotUtf8 {
            byte_offset: 6,
            line: 1,
            byte: 0xF2
        }
    );
    let text = error.to_string();
    for needle in [
        "not UTF-8",
        "Windows-1258",
        "TCVN3",
        "CSV UTF-8",
        "không phải văn bản UTF-8",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
}

#[test]
fn tcvn3_is_refused() {
    let Err(error) = read_approvals(fixture!("approvals-tcvn3.csv")) else {
        panic!("must refuse");
    };
    assert_eq!(
        error,
        FileError::NotUtf8 {
            byte_offset: 1,
            line: 1,
            byte: 0xE9
        }
    );
}

#[test]
fn non_utf8_after_a_bom_reports_the_file_offset_and_line() {
    let mut bytes = b"\xEF\xBB\xBFHo va ten,So CCCD\r\nNguy".to_vec();
    bytes.push(0xEA);
    bytes.extend_from_slice(b"n,084078918650\r\n");
    let error = read_approvals(&bytes).err().unwrap();
    assert_eq!(
        error,
        FileError::NotUtf8 {
            byte_offset: 3 + 19 + 4,
            line: 2,
            byte: 0xEA
        }
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
fn missing_required_columns_are_listed_in_both_languages() {
    let error = read_approvals(fixture!("approvals-missing-columns.csv"))
        .err()
        .unwrap();
    let FileError::MissingColumns {
        line,
        missing,
        found,
        garbled,
        ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(*line, 1);
    assert_eq!(
        missing,
        &[Field::CommuneCode, Field::DecisionNo, Field::DecisionDate]
    );
    assert!(found.contains(&"Dân tộc".to_string()));
    assert!(!garbled);
    let text = error.to_string();
    for needle in [
        "'Mã xã' (commune_code)",
        "'Số quyết định'",
        "thiếu cột bắt buộc",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
}

#[test]
fn garbled_headers_get_an_encoding_hint() {
    let error = read_approvals(fixture!("approvals-mojibake.csv"))
        .err()
        .unwrap();
    assert!(
        matches!(error, FileError::MissingColumns { garbled: true, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("CSV UTF-8"));
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
    let rejected = rejected(&records);
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].0, 3);
    assert!(rejected[0].1.contains(&"too_long"));
    assert!(rejected[0].1.contains(&"unclosed_quote"));
    // A short swallow (under the length limit) is caught too.
    let text =
        "Họ và tên,Số CCCD,Mã xã,Nhóm đối tượng,Số tiền,Số quyết định,Ngày quyết định,Ghi chú\n\
                A Văn,084078918650,29239,tu-do,1500000,1/QĐ,16/08/2021,\"ghi chú\n\
                B Văn,084078918651,29239,tu-do,1500000,1/QĐ,16/08/2021,\n";
    let records = all(read_approvals(text.as_bytes()).unwrap());
    assert_eq!(rejected_codes(&records), vec![(2, vec!["unclosed_quote"])]);
}

fn rejected_codes<R>(records: &[Record<R>]) -> Vec<(u64, Vec<&'static str>)> {
    rejected(records)
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

fn check_clean<R: std::fmt::Debug>(
    roll: Roll<'_, R>,
    amount: impl Fn(&R) -> Money,
    name: &str,
) -> (usize, i64, ControlTotals) {
    let mut count = 0;
    let mut sum = 0;
    let mut declared = None;
    for record in roll {
        match record.unwrap() {
            Record::Row(parsed) => {
                assert!(parsed.warnings.is_empty(), "{name}: {:?}", parsed.warnings);
                count += 1;
                sum += amount(&parsed.row).dong();
            }
            Record::Totals(t) => declared = Some(t),
            other => panic!("{name}: {other:?}"),
        }
    }
    (count, sum, declared.expect("a totals row"))
}

#[test]
fn whole_file_refusals() {
    assert_eq!(read_approvals(b"").err(), Some(FileError::Empty));
    assert_eq!(
        read_approvals(b"\xEF\xBB\xBF\r\n\r\n  \n").err(),
        Some(FileError::Empty)
    );
    assert_eq!(read_approvals(b";;;\n,,,\n").err(), Some(FileError::Empty));
    assert_eq!(
        read_approvals(b"PK\x03\x04\x14\x00xl/workbook.xml").err(),
        Some(FileError::Spreadsheet { format: "xlsx" })
    );
    assert_eq!(
        read_approvals(b"\xD0\xCF\x11\xE0\xA1\xB1").err(),
        Some(FileError::Spreadsheet { format: "xls" })
    );
    assert_eq!(
        read_approvals(b"\xFF\xFES\x00T\x00").err(),
        Some(FileError::Utf16)
    );
    assert_eq!(
        read_approvals(b"S\x00T\x00T\x00").err(),
        Some(FileError::Utf16)
    );
    assert_eq!(
        read_approvals(b"a,b,c\n1,2,3\n").err(),
        Some(FileError::NoHeader {
            kind: RollKind::Approvals
        })
    );
    let too_large = vec![b'a'; FILE_BYTES_MAX + 1];
    assert_eq!(
        read_approvals(&too_large).err(),
        Some(FileError::TooLarge {
            bytes: FILE_BYTES_MAX + 1
        })
    );
    let duplicate = "Họ và tên,Số CCCD,CMND,Mã xã,Nhóm đối tượng,Số tiền,Số QĐ,Ngày QĐ\n";
    assert_eq!(
        read_approvals(duplicate.as_bytes()).err(),
        Some(FileError::DuplicateColumns {
            line: 1,
            field: Field::NationalId,
            first: "Số CCCD".to_string(),
            second: "CMND".to_string()
        })
    );
    for error in [
        FileError::Empty,
        FileError::TooLarge { bytes: 1 },
        FileError::Utf16,
        FileError::NoHeader {
            kind: RollKind::Payments,
        },
        FileError::TooManyRows { line: 9 },
    ] {
        assert_ne!(error.reason_en(), error.reason_vi());
        assert!(error.to_string().contains(" / "));
    }
}

/// What a reader of the roll meets at the end: the first file error, if any.
fn stream_error<R>(roll: Roll<'_, R>) -> Option<FileError> {
    roll.filter_map(Result::err).next()
}

#[test]
fn a_header_without_rows_is_refused_as_a_file() {
    let header = "Họ và tên;Số CCCD;Mã xã;Nhóm đối tượng;Số tiền;Số QĐ;Ngày QĐ\n";
    let refused = Some(FileError::NoRows { header_line: 1 });
    assert_eq!(
        stream_error(read_approvals(header.as_bytes()).unwrap()),
        refused
    );
    // Blank lines, a column-number row, a totals row and a footer are no people either.
    let with_totals = format!(
        "UBND HUYỆN CÀNG LONG\n\n{header}(1);(2);(3);(4);(5);(6);(7)\nTổng cộng;;;;0;;\n;;;;;;\nNgười lập biểu\n"
    );
    assert_eq!(
        stream_error(read_approvals(with_totals.as_bytes()).unwrap()),
        Some(FileError::NoRows { header_line: 3 })
    );
    let payments = "Số CCCD,Số tiền,Ngày chi,Số chứng từ\r\n";
    assert_eq!(
        stream_error(read_payments(payments.as_bytes()).unwrap()),
        Some(FileError::NoRows { header_line: 1 })
    );
    // One rejected row is a row: the report lists it.
    let one_bad = format!("{header}Lê Văn A;1;29236;tu-do;x;1/QĐ;01/08/2021\n");
    assert_eq!(
        stream_error(read_approvals(one_bad.as_bytes()).unwrap()),
        None
    );
    let error = FileError::NoRows { header_line: 3 };
    assert_eq!(error.code(), "no_rows");
    assert_eq!(error.line(), Some(3));
}

#[test]
fn nul_bytes_zip_archives_and_workbooks_are_named_apart() {
    assert_eq!(
        read_approvals(b"Ho va ten;So CCCD\n084\x00078\n").err(),
        Some(FileError::NulByte {
            byte_offset: 21,
            line: 2
        })
    );
    assert_eq!(
        read_approvals(b"\xEF\xBB\xBFa\x00").err(),
        Some(FileError::NulByte {
            byte_offset: 4,
            line: 1
        })
    );
    let archive = b"PK\x03\x04\x14\x00\x00\x00rolls/approvals-842.csv";
    assert_eq!(read_approvals(archive).err(), Some(FileError::Archive));
    let workbook = b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml";
    assert_eq!(
        read_approvals(workbook).err(),
        Some(FileError::Spreadsheet { format: "xlsx" })
    );
    let ods = b"PK\x03\x04\x14\x00mimetypeapplication/vnd.oasis.opendocument.spreadsheet";
    assert_eq!(
        read_approvals(ods).err(),
        Some(FileError::Spreadsheet { format: "ods" })
    );
    for error in [
        FileError::Archive,
        FileError::NulByte {
            byte_offset: 3,
            line: 1,
        },
    ] {
        assert!(error.reason_vi().contains("không phải"), "{error}");
    }
}

#[test]
fn row_limit_stops_the_stream_with_a_file_error() {
    let mut text = String::from("Số CCCD;Số tiền;Ngày chi;Số chứng từ\n");
    for i in 0..5 {
        text.push_str(&format!("084078918650;1.500.000;25/08/2021;PC-{i}\n"));
    }
    let mut roll = read_payments(text.as_bytes()).unwrap();
    roll.rows_max = 3;
    let results: Vec<_> = roll.collect();
    assert_eq!(results.len(), 4);
    assert!(results[..3].iter().all(|r| matches!(r, Ok(Record::Row(_)))));
    assert_eq!(results[3], Err(FileError::TooManyRows { line: 5 }));
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

#[test]
fn optional_payment_names_only_warn() {
    let text = "Số CCCD;Họ và tên;Số tiền;Ngày chi;Số chứng từ\n084078918650;Thạch Sa Rây 0926;1.500.000;25/08/2021;PC-1\n";
    let records = all(read_payments(text.as_bytes()).unwrap());
    let rows = rows(&records);
    assert_eq!(rows[0].warnings[0].code, "name_has_digits");
    assert_eq!(rows[0].row.full_name.as_deref(), Some("Thạch Sa Rây 0926"));
}

const APPROVAL_HEADER: &str =
    "Họ và tên;Số CCCD;Mã xã;Nhóm đối tượng;Số tiền;Số QĐ;Ngày QĐ;Địa chỉ;Ghi chú\n";

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
