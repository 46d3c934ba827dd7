//! Refusals of a whole file ([`FileError`]) and the texts of the problems that the value
//! parsers find: each message in one place, in English and Vietnamese together
//! ([`Reason`]), so that the two languages cannot drift apart.

use super::fields::{Field, RollKind};
use super::problems::ProblemCode;
use super::values::{DateError, YEAR_MAX, YEAR_MIN};
use super::{FILE_BYTES_MAX, HEADER_SEARCH_RECORDS, ROWS_MAX};
use crate::domain::money::group_digits;
use std::fmt;

/// A message in English and in Vietnamese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub en: String,
    pub vi: String,
}

impl Reason {
    fn new(en: impl Into<String>, vi: impl Into<String>) -> Reason {
        Reason {
            en: en.into(),
            vi: vi.into(),
        }
    }
}

/// Refusal of the whole file: nothing of it may be imported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum FileError {
    /// No content at all (or only blank lines).
    Empty,
    /// Larger than [`FILE_BYTES_MAX`].
    TooLarge { bytes: usize },
    /// An Excel workbook (`xlsx` or `xls`) instead of CSV text.
    Spreadsheet { format: &'static str },
    /// An `.xlsx` workbook that cannot be read (damaged, encrypted, too large unpacked).
    UnreadableWorkbook { detail: String },
    /// A sheet was named that the workbook does not have (`sheets` empty: the
    /// file is CSV text, which has no sheets).
    NoSuchSheet { name: String, sheets: Vec<String> },
    /// A ZIP archive that is not a workbook: the roll may be inside it.
    Archive,
    /// UTF-16 text (Excel's "Unicode Text").
    Utf16,
    /// A NUL byte (0x00) in text that is not UTF-16: a binary file, or a damaged one.
    NulByte { byte_offset: usize, line: u64 },
    /// Not UTF-8: the first invalid byte, its 0-based offset in the file and its line.
    NotUtf8 {
        byte_offset: usize,
        line: u64,
        byte: u8,
    },
    /// A header and no row of anyone (perhaps a totals row or footer lines):
    /// refused as a file, like an empty one, so nothing is stored.
    NoRows { header_line: u64 },
    /// No line among the first [`HEADER_SEARCH_RECORDS`] names any known column.
    NoHeader { kind: RollKind },
    /// The header lacks required columns.
    MissingColumns {
        kind: RollKind,
        line: u64,
        missing: Vec<Field>,
        found: Vec<String>,
        garbled: bool,
    },
    /// Two columns mean the same field.
    DuplicateColumns {
        line: u64,
        field: Field,
        first: String,
        second: String,
    },
    /// More than [`ROWS_MAX`] lines after the header; `line` is the first one past the limit.
    TooManyRows { line: u64 },
    /// The CSV structure could not be read.
    Malformed { line: u64, detail: String },
}

const SAVE_AS_EN: &str =
    "in Excel choose File → Save As → \"CSV UTF-8 (Comma delimited) (*.csv)\"; \
     in LibreOffice choose Save As → Text CSV with character set \"Unicode (UTF-8)\"";
const SAVE_AS_VI: &str =
    "trong Excel chọn File → Save As (Lưu thành) → \"CSV UTF-8 (Comma delimited) (*.csv)\"; \
     trong LibreOffice chọn Save As → Text CSV với bộ ký tự \"Unicode (UTF-8)\"";

impl FileError {
    /// Stable, machine-readable name of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            FileError::Empty => "empty",
            FileError::TooLarge { .. } => "too_large",
            FileError::Spreadsheet { .. } => "spreadsheet",
            FileError::UnreadableWorkbook { .. } => "unreadable_workbook",
            FileError::NoSuchSheet { .. } => "no_such_sheet",
            FileError::Archive => "archive",
            FileError::Utf16 => "utf16",
            FileError::NulByte { .. } => "nul_byte",
            FileError::NotUtf8 { .. } => "not_utf8",
            FileError::NoRows { .. } => "no_rows",
            FileError::NoHeader { .. } => "no_header",
            FileError::MissingColumns { .. } => "missing_columns",
            FileError::DuplicateColumns { .. } => "duplicate_columns",
            FileError::TooManyRows { .. } => "too_many_rows",
            FileError::Malformed { .. } => "malformed",
        }
    }

    /// The line the refusal points at, when there is one.
    pub fn line(&self) -> Option<u64> {
        match self {
            FileError::NotUtf8 { line, .. }
            | FileError::NulByte { line, .. }
            | FileError::MissingColumns { line, .. }
            | FileError::DuplicateColumns { line, .. }
            | FileError::TooManyRows { line }
            | FileError::NoRows { header_line: line }
            | FileError::Malformed { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// Why the file is refused, in both languages.
    pub fn reason(&self) -> Reason {
        match self {
            FileError::Empty => Reason::new(
                "the file is empty: it has no header and no rows",
                "tệp rỗng: không có dòng tiêu đề và không có dữ liệu",
            ),
            FileError::TooLarge { bytes } => Reason::new(
                format!(
                    "the file has {} bytes; the limit is {} bytes (64 MiB): split the roll into several files",
                    group_digits(*bytes as i64, ','),
                    group_digits(FILE_BYTES_MAX as i64, ',')
                ),
                format!(
                    "tệp có dung lượng {} byte, vượt giới hạn {} byte (64 MiB): hãy chia danh sách thành nhiều tệp",
                    group_digits(*bytes as i64, '.'),
                    group_digits(FILE_BYTES_MAX as i64, '.')
                ),
            ),
            FileError::Spreadsheet { format } => Reason::new(
                format!(
                    "this is an Excel workbook (.{format}), not a CSV file: open it and save it as CSV UTF-8 ({SAVE_AS_EN})"
                ),
                format!(
                    "đây là tệp bảng tính Excel (.{format}), không phải tệp CSV: hãy mở tệp và lưu lại dạng CSV UTF-8 ({SAVE_AS_VI})"
                ),
            ),
            FileError::UnreadableWorkbook { detail } => Reason::new(
                format!(
                    "this Excel workbook cannot be read ({detail}): open it in Excel, check it, and save it again as .xlsx or as CSV UTF-8 ({SAVE_AS_EN})"
                ),
                format!(
                    "không đọc được tệp Excel này ({detail}): hãy mở bằng Excel, kiểm tra rồi lưu lại dạng .xlsx hoặc CSV UTF-8 ({SAVE_AS_VI})"
                ),
            ),
            FileError::NoSuchSheet { name, sheets } if sheets.is_empty() => Reason::new(
                format!("sheet '{name}' was asked for, but this is a CSV file, which has no sheets: upload it without a sheet, or upload the workbook"),
                format!("có chọn trang tính '{name}' nhưng đây là tệp CSV, không có trang tính: hãy nộp mà không chọn trang, hoặc nộp tệp bảng tính"),
            ),
            FileError::NoSuchSheet { name, sheets } => Reason::new(
                format!(
                    "the workbook has no sheet named '{name}'; its sheets are {}",
                    quoted_list(sheets)
                ),
                format!(
                    "tệp bảng tính không có trang tính tên '{name}'; các trang tính của tệp: {}",
                    quoted_list(sheets)
                ),
            ),
            FileError::Archive => Reason::new(
                "this is a ZIP archive, not a CSV file: extract the roll from it and upload the .csv file",
                "đây là tệp nén ZIP, không phải tệp CSV: hãy giải nén và nộp tệp .csv bên trong",
            ),
            FileError::NulByte { byte_offset, line } => Reason::new(
                format!(
                    "the file holds a NUL byte (0x00) at offset {byte_offset} (line {line}): it is not CSV text, or it is damaged; save the roll again as CSV UTF-8 ({SAVE_AS_EN})"
                ),
                format!(
                    "tệp có byte NUL (0x00) ở vị trí {byte_offset} (dòng {line}): đây không phải văn bản CSV, hoặc tệp bị hỏng; hãy lưu lại danh sách dạng CSV UTF-8 ({SAVE_AS_VI})"
                ),
            ),
            FileError::Utf16 => Reason::new(
                format!(
                    "the file is UTF-16 text (Excel's \"Unicode Text\"), not UTF-8: save it as CSV UTF-8 ({SAVE_AS_EN})"
                ),
                format!(
                    "tệp ở dạng UTF-16 (\"Unicode Text\" của Excel), không phải UTF-8: hãy lưu lại dạng CSV UTF-8 ({SAVE_AS_VI})"
                ),
            ),
            FileError::NotUtf8 { byte_offset, line, byte } => Reason::new(
                format!(
                    "the file is not UTF-8 text: byte 0x{byte:02X} at offset {byte_offset} (line {line}) is invalid. \
                     It was probably saved in a legacy Vietnamese encoding (Windows-1258, TCVN3/ABC or VNI); \
                     save it as CSV UTF-8 ({SAVE_AS_EN})"
                ),
                format!(
                    "tệp không phải văn bản UTF-8: byte 0x{byte:02X} ở vị trí {byte_offset} (dòng {line}) không hợp lệ. \
                     Có thể tệp được lưu bằng bảng mã tiếng Việt cũ (Windows-1258, TCVN3/ABC hoặc VNI); \
                     hãy lưu lại dạng CSV UTF-8 ({SAVE_AS_VI})"
                ),
            ),
            FileError::NoRows { header_line } => Reason::new(
                format!(
                    "the file has a header row (line {header_line}) but no row of any person under it: nothing to import; add the rows, or check that they were saved"
                ),
                format!(
                    "tệp có dòng tiêu đề (dòng {header_line}) nhưng không có dòng đối tượng nào bên dưới: không có gì để nhập; hãy thêm các dòng, hoặc kiểm tra lại tệp đã lưu đủ chưa"
                ),
            ),
            FileError::NoHeader { kind } => Reason::new(
                format!(
                    "no header row found in the first {HEADER_SEARCH_RECORDS} non-empty lines: the {} roll needs a row naming its columns, for example: {}",
                    kind.as_str(),
                    example_header(*kind)
                ),
                format!(
                    "không tìm thấy dòng tiêu đề trong {HEADER_SEARCH_RECORDS} dòng đầu có dữ liệu: {} cần một dòng ghi tên các cột, ví dụ: {}",
                    kind.name_vi(),
                    example_header(*kind)
                ),
            ),
            FileError::MissingColumns { kind, line, missing, found, garbled } => {
                missing_columns(*kind, *line, missing, found, *garbled)
            }
            FileError::DuplicateColumns { line, field, first, second } => Reason::new(
                format!(
                    "columns '{first}' and '{second}' on line {line} both mean {} ('{}'): keep one of them or rename the other",
                    field.name(),
                    field.name_vi()
                ),
                format!(
                    "cột '{first}' và cột '{second}' (dòng {line}) cùng là '{}' ({}): hãy giữ một cột hoặc đổi tên cột kia",
                    field.name_vi(),
                    field.name()
                ),
            ),
            FileError::TooManyRows { line } => Reason::new(
                format!(
                    "the roll has more than {} lines after the header (line {line} is past the limit): split it into several files",
                    group_digits(ROWS_MAX as i64, ',')
                ),
                format!(
                    "danh sách có quá {} dòng sau dòng tiêu đề (dòng {line} vượt giới hạn): hãy chia thành nhiều tệp",
                    group_digits(ROWS_MAX as i64, '.')
                ),
            ),
            FileError::Malformed { line, detail } => Reason::new(
                format!("the CSV structure cannot be read at line {line}: {detail}"),
                format!("không đọc được cấu trúc CSV ở dòng {line}: {detail}"),
            ),
        }
    }

    pub fn reason_en(&self) -> String {
        self.reason().en
    }

    pub fn reason_vi(&self) -> String {
        self.reason().vi
    }
}

fn missing_columns(
    kind: RollKind,
    line: u64,
    missing: &[Field],
    found: &[String],
    garbled: bool,
) -> Reason {
    let missing = missing
        .iter()
        .map(|f| format!("'{}' ({})", f.name_vi(), f.name()))
        .collect::<Vec<_>>()
        .join(", ");
    let found = quoted_list(found);
    let mut reason = Reason::new(
        format!(
            "the header on line {line} lacks required columns of an {} roll: {missing}. Columns found: {found}.",
            kind.as_str(),
        ),
        format!(
            "dòng tiêu đề (dòng {line}) của {} thiếu cột bắt buộc: {missing}. Các cột có trong tệp: {found}.",
            kind.name_vi(),
        ),
    );
    if garbled {
        reason.en.push_str(
            " The column names look garbled (like 'Há» vÃ  tÃªn'): the file was converted with the wrong \
             encoding; export it again as CSV UTF-8.",
        );
        reason.vi.push_str(
            " Tên cột bị lỗi phông chữ (kiểu 'Há» vÃ  tÃªn'): tệp đã bị chuyển sai bảng mã; \
             hãy xuất lại dưới dạng CSV UTF-8.",
        );
    }
    reason
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Reason { en, vi } = self.reason();
        write!(f, "{vi} / {en}")
    }
}

impl std::error::Error for FileError {}

fn example_header(kind: RollKind) -> String {
    kind.required_fields()
        .iter()
        .map(|f| f.name_vi())
        .collect::<Vec<_>>()
        .join(";")
}

fn quoted_list(items: &[String]) -> String {
    if items.is_empty() {
        return "—".to_string();
    }
    items
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl DateError {
    /// The problem's code and text for `value`, a cell that did not read as a date.
    pub(super) fn reason(self, value: &str) -> (ProblemCode, Reason) {
        let (code, en, vi) = match self {
        DateError::Format => (
            ProblemCode::DateFormat,
            format!("'{value}' is not a date: write dd/mm/yyyy (for example 15/07/2021) or yyyy-mm-dd"),
            format!("'{value}' không phải ngày: ghi theo dạng ngày/tháng/năm (ví dụ 15/07/2021) hoặc năm-tháng-ngày"),
        ),
        DateError::YearOnly => (
            ProblemCode::DateYearOnly,
            format!("'{value}' is only a year: this date needs day, month and year (dd/mm/yyyy)"),
            format!("'{value}' chỉ có năm: ngày này cần đủ ngày, tháng, năm (dd/mm/yyyy)"),
        ),
        DateError::TwoDigitYear => (
            ProblemCode::DateTwoDigitYear,
            format!("'{value}': the year must have four digits (dd/mm/yyyy)"),
            format!("'{value}': năm phải ghi đủ 4 chữ số (dd/mm/yyyy)"),
        ),
        DateError::ExcelSerial => (
            ProblemCode::DateExcelSerial,
            format!(
                "'{value}' is an Excel date serial number, not a date: format the column as a date (dd/mm/yyyy) before saving"
            ),
            format!(
                "'{value}' là số thứ tự ngày của Excel, không phải ngày: hãy định dạng cột là ngày (dd/mm/yyyy) trước khi lưu"
            ),
        ),
        DateError::YearRange(year) => (
            ProblemCode::DateYearRange,
            format!("'{value}': the year {year} is outside {YEAR_MIN}–{YEAR_MAX}"),
            format!("'{value}': năm {year} nằm ngoài khoảng {YEAR_MIN}–{YEAR_MAX}"),
        ),
        DateError::MonthRange(month) => (
            ProblemCode::DateMonth,
            format!(
                "'{value}': there is no month {month}; day and month may be swapped (write dd/mm/yyyy, day first)"
            ),
            format!(
                "'{value}': không có tháng {month}; có thể ngày và tháng bị đảo (ghi ngày trước: dd/mm/yyyy)"
            ),
        ),
        DateError::NoSuchDay { year, month, day } => (
            ProblemCode::DateImpossible,
            format!("'{value}': there is no day {day} in month {month} of {year}"),
            format!("'{value}': tháng {month}/{year} không có ngày {day}"),
        ),
    };
        (code, Reason { en, vi })
    }
}
