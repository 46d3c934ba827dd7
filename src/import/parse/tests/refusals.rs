//! Files refused whole: encodings, missing or garbled headers, header-only
//! files, archives and workbooks, size and row limits.

use super::*;

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
