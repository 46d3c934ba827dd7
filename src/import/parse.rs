//! Streaming parser for district rolls: the bytes of a CSV file in, typed rows out.
//!
//! [`read_approvals`] and [`read_payments`] first check the file as a whole (size, that it
//! is a CSV and not a workbook, UTF-8, the header row and its required columns) and refuse
//! it with a [`FileError`] when it cannot be read at all. They return a [`Roll`]: an
//! iterator that parses one record at a time straight from the byte slice (nothing is
//! collected, one `csv::StringRecord` buffer is reused) and yields
//! `Result<Record<R>, FileError>`:
//!
//! * `Ok(Record::Row(Parsed { row, warnings }))`: an accepted row; warnings (spaces removed
//!   from a national ID, a commune code zero-padded, a name normalised to NFC) do not reject it;
//! * `Ok(Record::Rejected { .. })`: a row with problems: *every* problem of the row is
//!   listed, not only the first;
//! * `Ok(Record::Totals(..))`: a `Tổng cộng` / `Cộng` / `Total` row: the roll's control totals;
//! * `Ok(Record::Ignored(..))`: a line skipped on purpose, with the reason: the column-number
//!   row `(1) (2) (3) …` right under the header, footer lines (signatures, place and date)
//!   after the totals row;
//! * `Err(FileError)`: a limit passed while streaming ([`ROWS_MAX`]) or an unreadable
//!   record. The **whole file is refused**: whatever was yielded before must be discarded.
//!   The iterator ends after an `Err`.
//!
//! Blank lines (every field empty) are skipped without a record.
//!
//! This stage checks the syntax of every field and nothing that needs the ledger or the
//! program: whether the commune is in the district, the category exists, the person is a
//! duplicate or the budget suffices is decided by the later stages.
//!
//! Header matching ignores case, diacritics, punctuation and parenthesised notes
//! (`Số tiền (đồng)` = `so tien` = `amount`); see [`Field::aliases`]. The header row may be
//! preceded by title lines (`UBND HUYỆN …`, `DANH SÁCH …`): the first
//! [`HEADER_SEARCH_RECORDS`] non-blank lines are searched, and the line and delimiter that
//! name the most known columns win. An Excel `sep=;` first line is honoured.

use crate::domain::money::{group_digits, Money, MoneyError};
use crate::domain::national_id::{NationalId, NationalIdError};
use crate::domain::text::{fold_key, nfc};
use chrono::{Datelike, NaiveDate};
use csv::StringRecord;
use std::fmt::{self, Write as _};

/// Largest file accepted, in bytes (64 MiB: about a million roll lines).
pub const FILE_BYTES_MAX: usize = 64 * 1024 * 1024;
/// Largest number of non-blank lines after the header (rows, totals and footer lines).
pub const ROWS_MAX: usize = 500_000;
/// Longest value accepted in a recognised column, in characters (after trimming).
pub const FIELD_CHARS_MAX: usize = 500;
/// How many non-blank lines at the top of the file are searched for the header row.
pub const HEADER_SEARCH_RECORDS: usize = 20;
/// Values quoted in a [`Problem`] are cut to this many characters.
const VALUE_SHOWN_CHARS_MAX: usize = 120;
/// Dates outside these years are refused as typing errors.
const YEAR_MIN: i32 = 1900;
const YEAR_MAX: i32 = 2100;

// ---------------------------------------------------------------------------------------
// Roll kinds and fields
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RollKind {
    Approvals,
    Payments,
}

/// A column the importer understands, by its canonical name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Stt,
    FullName,
    DateOfBirth,
    Sex,
    NationalId,
    CommuneCode,
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

const FIELD_COUNT: usize = 16;

impl RollKind {
    /// The columns recognised in this kind of roll, in the usual order.
    pub fn fields(self) -> &'static [Field] {
        use Field::*;
        match self {
            RollKind::Approvals => &[
                Stt,
                FullName,
                DateOfBirth,
                Sex,
                NationalId,
                CommuneCode,
                Address,
                Category,
                Amount,
                DecisionNo,
                DecisionDate,
                PaymentMethod,
                BankAccount,
                Note,
            ],
            RollKind::Payments => &[
                Stt,
                NationalId,
                FullName,
                Amount,
                PaidDate,
                PaymentMethod,
                Reference,
                DecisionNo,
                BankAccount,
                Note,
            ],
        }
    }

    /// The columns that must be present (and filled in on every row).
    pub fn required_fields(self) -> &'static [Field] {
        use Field::*;
        match self {
            RollKind::Approvals => &[
                FullName,
                NationalId,
                CommuneCode,
                Category,
                Amount,
                DecisionNo,
                DecisionDate,
            ],
            RollKind::Payments => &[NationalId, Amount, PaidDate, Reference],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RollKind::Approvals => "approvals",
            RollKind::Payments => "payments",
        }
    }

    pub fn name_vi(self) -> &'static str {
        match self {
            RollKind::Approvals => "danh sách phê duyệt",
            RollKind::Payments => "danh sách chi trả",
        }
    }
}

impl Field {
    /// The canonical (English, snake_case) name, also accepted as a header.
    pub fn name(self) -> &'static str {
        match self {
            Field::Stt => "stt",
            Field::FullName => "full_name",
            Field::DateOfBirth => "date_of_birth",
            Field::Sex => "sex",
            Field::NationalId => "national_id",
            Field::CommuneCode => "commune_code",
            Field::Address => "address",
            Field::Category => "category",
            Field::Amount => "amount",
            Field::DecisionNo => "decision_no",
            Field::DecisionDate => "decision_date",
            Field::PaymentMethod => "payment_method",
            Field::BankAccount => "bank_account",
            Field::Note => "note",
            Field::PaidDate => "paid_date",
            Field::Reference => "reference",
        }
    }

    /// The usual Vietnamese header.
    pub fn name_vi(self) -> &'static str {
        match self {
            Field::Stt => "STT",
            Field::FullName => "Họ và tên",
            Field::DateOfBirth => "Ngày sinh",
            Field::Sex => "Giới tính",
            Field::NationalId => "Số CCCD/CMND",
            Field::CommuneCode => "Mã xã",
            Field::Address => "Địa chỉ",
            Field::Category => "Nhóm đối tượng",
            Field::Amount => "Số tiền",
            Field::DecisionNo => "Số quyết định",
            Field::DecisionDate => "Ngày quyết định",
            Field::PaymentMethod => "Hình thức chi trả",
            Field::BankAccount => "Số tài khoản",
            Field::Note => "Ghi chú",
            Field::PaidDate => "Ngày chi trả",
            Field::Reference => "Số chứng từ",
        }
    }

    /// Header spellings recognised for this field, as matching keys: lower case, without
    /// diacritics, punctuation as single spaces, parenthesised notes removed (see
    /// [`header_key`]). `Họ và tên`, `HỌ VÀ TÊN`, `ho va ten` and `Họ và tên (*)` all give
    /// `ho va ten`.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::Stt => &["stt", "so thu tu", "so tt", "thu tu", "tt", "no"],
            Field::FullName => &[
                "full name",
                "ho va ten",
                "ho ten",
                "ho va ten doi tuong",
                "ho ten doi tuong",
                "ho va ten nguoi nhan",
                "ho ten nguoi nhan",
                "ho va ten nguoi lao dong",
                "ten nguoi nhan",
                "nguoi nhan",
                "ten doi tuong",
                "name",
                "beneficiary",
                "beneficiary name",
            ],
            Field::DateOfBirth => &[
                "date of birth",
                "ngay sinh",
                "nam sinh",
                "ngay thang nam sinh",
                "ngay sinh nam sinh",
                "ngay sinh hoac nam sinh",
                "birth date",
                "dob",
                "year of birth",
            ],
            Field::Sex => &["sex", "gioi tinh", "gioi", "gender"],
            Field::NationalId => &[
                "national id",
                "so cccd cmnd",
                "so cmnd cccd",
                "cccd cmnd",
                "cmnd cccd",
                "so cccd",
                "so cmnd",
                "cccd",
                "cmnd",
                "so cccd hoac cmnd",
                "so dinh danh",
                "so dinh danh ca nhan",
                "ma dinh danh",
                "so can cuoc cong dan",
                "can cuoc cong dan",
                "id number",
                "citizen id",
            ],
            Field::CommuneCode => &[
                "commune code",
                "ma xa",
                "ma xa phuong",
                "ma xa phuong thi tran",
                "ma phuong xa",
                "ma don vi hanh chinh",
                "ma dvhc",
            ],
            Field::Address => &[
                "address",
                "dia chi",
                "dia chi thuong tru",
                "noi thuong tru",
                "dia chi noi o",
                "noi o",
                "noi o hien nay",
                "cho o hien nay",
            ],
            Field::Category => &[
                "category",
                "nhom doi tuong",
                "doi tuong",
                "loai doi tuong",
                "nhom",
                "ma nhom",
                "ma nhom doi tuong",
                "group",
            ],
            Field::Amount => &[
                "amount",
                "so tien",
                "so tien ho tro",
                "thanh tien",
                "muc ho tro",
                "kinh phi ho tro",
                "so tien duoc ho tro",
                "so tien de nghi ho tro",
                "so tien chi",
                "so tien chi tra",
                "so tien da chi",
                "so tien thanh toan",
                "so tien nhan",
            ],
            Field::DecisionNo => &[
                "decision no",
                "so quyet dinh",
                "so qd",
                "quyet dinh so",
                "qd so",
                "quyet dinh",
                "so quyet dinh phe duyet",
                "decision number",
                "decision",
            ],
            Field::DecisionDate => &[
                "decision date",
                "ngay quyet dinh",
                "ngay qd",
                "ngay ky quyet dinh",
                "ngay ky qd",
                "ngay quyet dinh phe duyet",
                "ngay ban hanh",
            ],
            Field::PaymentMethod => &[
                "payment method",
                "hinh thuc chi tra",
                "hinh thuc chi",
                "hinh thuc nhan",
                "hinh thuc thanh toan",
                "phuong thuc chi tra",
                "method",
            ],
            Field::BankAccount => &[
                "bank account",
                "so tai khoan",
                "so tai khoan ngan hang",
                "tai khoan",
                "tai khoan ngan hang",
                "stk",
                "account",
                "account number",
            ],
            Field::Note => &["note", "ghi chu", "notes", "remarks"],
            Field::PaidDate => &[
                "paid date",
                "ngay chi",
                "ngay chi tra",
                "ngay thanh toan",
                "ngay giao dich",
                "ngay nhan",
                "payment date",
                "date paid",
                "paid on",
            ],
            Field::Reference => &[
                "reference",
                "so chung tu",
                "ma giao dich",
                "so giao dich",
                "so phieu chi",
                "ma chung tu",
                "so tham chieu",
                "ma tham chieu",
                "chung tu",
                "ref",
                "transaction id",
            ],
        }
    }

    fn slot(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The matching key of a header cell: parenthesised or bracketed notes and `*` removed,
/// then [`fold_key`]. `Số tiền (đồng)` → `so tien`; `Họ và tên *` → `ho va ten`.
pub fn header_key(text: &str) -> String {
    let mut kept = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            '*' => {}
            _ if depth == 0 => kept.push(c),
            _ => {}
        }
    }
    let key = fold_key(&kept);
    if key.is_empty() {
        fold_key(text)
    } else {
        key
    }
}

fn match_header(kind: RollKind, key: &str) -> Option<Field> {
    kind.fields()
        .iter()
        .copied()
        .find(|field| field.aliases().contains(&key))
}

// ---------------------------------------------------------------------------------------
// Problems and file errors
// ---------------------------------------------------------------------------------------

/// One problem, pointing at the exact place: `line` is the 1-based physical line where the
/// record starts (newlines inside quoted fields are counted); `column` is the header text
/// as it appears in the file (whitespace collapsed), or the canonical field name when the
/// column is missing; `column_index` is 1-based, `None` when the problem concerns the whole
/// row. `code` is stable and machine-readable (for grouping in reports).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub line: u64,
    pub column: Option<String>,
    pub column_index: Option<usize>,
    pub field: Option<Field>,
    pub value: Option<String>,
    pub code: &'static str,
    pub reason_en: String,
    pub reason_vi: String,
}

impl Problem {
    /// A problem about a whole row (no column).
    pub fn row(line: u64, code: &'static str, reason_en: String, reason_vi: String) -> Problem {
        Problem {
            line,
            column: None,
            column_index: None,
            field: None,
            value: None,
            code,
            reason_en,
            reason_vi,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(column) = &self.column {
            write!(f, ", column '{column}'")?;
        }
        if let Some(value) = &self.value {
            write!(f, ", value '{value}'")?;
        }
        write!(f, ": {} / {}", self.reason_en, self.reason_vi)
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
    /// UTF-16 text (Excel's "Unicode Text").
    Utf16,
    /// Not UTF-8: the first invalid byte, its 0-based offset in the file and its line.
    NotUtf8 {
        byte_offset: usize,
        line: u64,
        byte: u8,
    },
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
            FileError::Utf16 => "utf16",
            FileError::NotUtf8 { .. } => "not_utf8",
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
            | FileError::MissingColumns { line, .. }
            | FileError::DuplicateColumns { line, .. }
            | FileError::TooManyRows { line }
            | FileError::Malformed { line, .. } => Some(*line),
            _ => None,
        }
    }

    pub fn reason_en(&self) -> String {
        match self {
            FileError::Empty => "the file is empty: it has no header and no rows".to_string(),
            FileError::TooLarge { bytes } => format!(
                "the file has {} bytes; the limit is {} bytes (64 MiB): split the roll into several files",
                group_digits(*bytes as i64, ','),
                group_digits(FILE_BYTES_MAX as i64, ',')
            ),
            FileError::Spreadsheet { format } => format!(
                "this is an Excel workbook (.{format}), not a CSV file: open it and save it as CSV UTF-8 ({SAVE_AS_EN})"
            ),
            FileError::Utf16 => format!(
                "the file is UTF-16 text (Excel's \"Unicode Text\"), not UTF-8: save it as CSV UTF-8 ({SAVE_AS_EN})"
            ),
            FileError::NotUtf8 { byte_offset, line, byte } => format!(
                "the file is not UTF-8 text: byte 0x{byte:02X} at offset {byte_offset} (line {line}) is invalid. \
                 It was probably saved in a legacy Vietnamese encoding (Windows-1258, TCVN3/ABC or VNI); \
                 save it as CSV UTF-8 ({SAVE_AS_EN})"
            ),
            FileError::NoHeader { kind } => format!(
                "no header row found in the first {HEADER_SEARCH_RECORDS} non-empty lines: the {} roll needs a row naming its columns, for example: {}",
                kind.as_str(),
                example_header(*kind)
            ),
            FileError::MissingColumns { kind, line, missing, found, garbled } => {
                let mut text = format!(
                    "the header on line {line} lacks required columns of an {} roll: {}. Columns found: {}.",
                    kind.as_str(),
                    missing
                        .iter()
                        .map(|f| format!("'{}' ({})", f.name_vi(), f.name()))
                        .collect::<Vec<_>>()
                        .join(", "),
                    quoted_list(found)
                );
                if *garbled {
                    text.push_str(
                        " The column names look garbled (like 'Há» vÃ  tÃªn'): the file was converted with the wrong \
                         encoding; export it again as CSV UTF-8.",
                    );
                }
                text
            }
            FileError::DuplicateColumns { line, field, first, second } => format!(
                "columns '{first}' and '{second}' on line {line} both mean {} ('{}'): keep one of them or rename the other",
                field.name(),
                field.name_vi()
            ),
            FileError::TooManyRows { line } => format!(
                "the roll has more than {} lines after the header (line {line} is past the limit): split it into several files",
                group_digits(ROWS_MAX as i64, ',')
            ),
            FileError::Malformed { line, detail } => {
                format!("the CSV structure cannot be read at line {line}: {detail}")
            }
        }
    }

    pub fn reason_vi(&self) -> String {
        match self {
            FileError::Empty => "tệp rỗng: không có dòng tiêu đề và không có dữ liệu".to_string(),
            FileError::TooLarge { bytes } => format!(
                "tệp có dung lượng {} byte, vượt giới hạn {} byte (64 MiB): hãy chia danh sách thành nhiều tệp",
                group_digits(*bytes as i64, '.'),
                group_digits(FILE_BYTES_MAX as i64, '.')
            ),
            FileError::Spreadsheet { format } => format!(
                "đây là tệp bảng tính Excel (.{format}), không phải tệp CSV: hãy mở tệp và lưu lại dạng CSV UTF-8 ({SAVE_AS_VI})"
            ),
            FileError::Utf16 => format!(
                "tệp ở dạng UTF-16 (\"Unicode Text\" của Excel), không phải UTF-8: hãy lưu lại dạng CSV UTF-8 ({SAVE_AS_VI})"
            ),
            FileError::NotUtf8 { byte_offset, line, byte } => format!(
                "tệp không phải văn bản UTF-8: byte 0x{byte:02X} ở vị trí {byte_offset} (dòng {line}) không hợp lệ. \
                 Có thể tệp được lưu bằng bảng mã tiếng Việt cũ (Windows-1258, TCVN3/ABC hoặc VNI); \
                 hãy lưu lại dạng CSV UTF-8 ({SAVE_AS_VI})"
            ),
            FileError::NoHeader { kind } => format!(
                "không tìm thấy dòng tiêu đề trong {HEADER_SEARCH_RECORDS} dòng đầu có dữ liệu: {} cần một dòng ghi tên các cột, ví dụ: {}",
                kind.name_vi(),
                example_header(*kind)
            ),
            FileError::MissingColumns { kind, line, missing, found, garbled } => {
                let mut text = format!(
                    "dòng tiêu đề (dòng {line}) của {} thiếu cột bắt buộc: {}. Các cột có trong tệp: {}.",
                    kind.name_vi(),
                    missing
                        .iter()
                        .map(|f| format!("'{}' ({})", f.name_vi(), f.name()))
                        .collect::<Vec<_>>()
                        .join(", "),
                    quoted_list(found)
                );
                if *garbled {
                    text.push_str(
                        " Tên cột bị lỗi phông chữ (kiểu 'Há» vÃ  tÃªn'): tệp đã bị chuyển sai bảng mã; \
                         hãy xuất lại dưới dạng CSV UTF-8.",
                    );
                }
                text
            }
            FileError::DuplicateColumns { line, field, first, second } => format!(
                "cột '{first}' và cột '{second}' (dòng {line}) cùng là '{}' ({}): hãy giữ một cột hoặc đổi tên cột kia",
                field.name_vi(),
                field.name()
            ),
            FileError::TooManyRows { line } => format!(
                "danh sách có quá {} dòng sau dòng tiêu đề (dòng {line} vượt giới hạn): hãy chia thành nhiều tệp",
                group_digits(ROWS_MAX as i64, '.')
            ),
            FileError::Malformed { line, detail } => {
                format!("không đọc được cấu trúc CSV ở dòng {line}: {detail}")
            }
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.reason_en(), self.reason_vi())
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

// ---------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------

/// A date of birth: full, or only the year (common for the elderly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BirthDate {
    Full(NaiveDate),
    YearOnly(i32),
}

impl BirthDate {
    pub fn year(self) -> i32 {
        match self {
            BirthDate::Full(date) => date.year(),
            BirthDate::YearOnly(year) => year,
        }
    }
}

/// `dd/mm/yyyy`, or `yyyy` for a year alone.
impl fmt::Display for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BirthDate::Full(date) => {
                // dd/mm/yyyy by hand: written once per person of every roll.
                let digit = |n: u32| char::from(b'0' + (n % 10) as u8);
                let (day, month) = (date.day(), date.month());
                let year = date.year().clamp(0, 9999) as u32;
                let text: [char; 10] = [
                    digit(day / 10),
                    digit(day),
                    '/',
                    digit(month / 10),
                    digit(month),
                    '/',
                    digit(year / 1000),
                    digit(year / 100),
                    digit(year / 10),
                    digit(year),
                ];
                text.iter().try_for_each(|c| f.write_char(*c))
            }
            BirthDate::YearOnly(year) => write!(f, "{year:04}"),
        }
    }
}

impl serde::Serialize for BirthDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Sex as written in rolls. Accepted (any case, with or without diacritics):
/// `Nam`, `Nữ`/`Nu`, `male`, `female`, `M`, `F`. Numeric codes (`1`/`0`) are refused:
/// offices disagree on which is which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// `male` or `female`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    pub fn parse(text: &str) -> Option<Sex> {
        match text.trim() {
            "Nam" | "nam" | "NAM" | "M" | "m" | "Male" | "male" | "MALE" => return Some(Sex::Male),
            "Nữ" | "nữ" | "NỮ" | "F" | "f" | "Female" | "female" | "FEMALE" => {
                return Some(Sex::Female)
            }
            _ => {}
        }
        match header_key(text).as_str() {
            "nam" | "m" | "male" => Some(Sex::Male),
            "nu" | "f" | "female" => Some(Sex::Female),
            _ => None,
        }
    }

    pub fn name_vi(self) -> &'static str {
        match self {
            Sex::Male => "Nam",
            Sex::Female => "Nữ",
        }
    }
}

/// How the money reaches the beneficiary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// tiền mặt (also: TM, trực tiếp, cash)
    Cash,
    /// chuyển khoản (also: CK, ngân hàng, qua tài khoản, bank transfer)
    BankTransfer,
    /// bưu điện (also: qua bưu điện, bưu chính, VNPost, post)
    Post,
}

impl PaymentMethod {
    pub fn parse(text: &str) -> Option<PaymentMethod> {
        match text.trim() {
            "Tiền mặt" | "tiền mặt" | "TIỀN MẶT" => return Some(PaymentMethod::Cash),
            "Chuyển khoản" | "chuyển khoản" | "CHUYỂN KHOẢN" => {
                return Some(PaymentMethod::BankTransfer)
            }
            "Bưu điện" | "bưu điện" | "BƯU ĐIỆN" => return Some(PaymentMethod::Post),
            _ => {}
        }
        // Notes in parentheses do not matter: `Chuyển khoản (Agribank)`.
        match header_key(text).as_str() {
            "tien mat" | "tm" | "cash" | "truc tiep" | "chi truc tiep" | "tien mat truc tiep" => {
                Some(PaymentMethod::Cash)
            }
            "chuyen khoan"
            | "ck"
            | "chuyen khoan ngan hang"
            | "ngan hang"
            | "qua ngan hang"
            | "qua tai khoan"
            | "bank transfer"
            | "bank"
            | "transfer" => Some(PaymentMethod::BankTransfer),
            "buu dien" | "qua buu dien" | "chi qua buu dien" | "buu chinh" | "vnpost" | "post"
            | "post office" => Some(PaymentMethod::Post),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "cash",
            PaymentMethod::BankTransfer => "bank_transfer",
            PaymentMethod::Post => "post",
        }
    }

    pub fn name_vi(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "tiền mặt",
            PaymentMethod::BankTransfer => "chuyển khoản",
            PaymentMethod::Post => "bưu điện",
        }
    }
}

/// One line of an approval roll (danh sách phê duyệt), syntax checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApprovalRow {
    pub line: u64,
    pub stt: Option<String>,
    /// NFC, trimmed, inner whitespace collapsed to single spaces.
    pub full_name: String,
    pub date_of_birth: Option<BirthDate>,
    pub sex: Option<Sex>,
    pub national_id: NationalId,
    /// Five digits (zero-padded, with a warning, when Excel dropped leading zeros).
    pub commune_code: String,
    pub address: Option<String>,
    /// As written (NFC, trimmed): matched against the program's categories later.
    pub category: String,
    /// Greater than zero.
    pub amount: Money,
    pub decision_no: String,
    pub decision_date: NaiveDate,
    pub payment_method: Option<PaymentMethod>,
    pub bank_account: Option<String>,
    pub note: Option<String>,
}

/// One line of a payment roll (danh sách chi trả / bảng kê), syntax checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PaymentRow {
    pub line: u64,
    pub stt: Option<String>,
    pub national_id: NationalId,
    pub full_name: Option<String>,
    /// Greater than zero.
    pub amount: Money,
    pub paid_date: NaiveDate,
    pub payment_method: Option<PaymentMethod>,
    pub reference: String,
    pub decision_no: Option<String>,
    pub bank_account: Option<String>,
    pub note: Option<String>,
}

/// An accepted row and the warnings it raised (which do not reject it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Parsed<R> {
    pub row: R,
    pub warnings: Vec<Problem>,
}

/// Control totals declared by a totals row (`Tổng cộng`, `Cộng`, `Total`, …).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ControlTotals {
    pub line: u64,
    /// The label as written, e.g. `Tổng cộng` or `Cộng xã Long Đức` (a subtotal).
    pub label: String,
    /// Number of rows, when one can be read: the number in the STT cell, or a number in
    /// the label (`Tổng cộng: 7 người`).
    pub rows: Option<u64>,
    /// The amount column's value; `None` when that cell is empty.
    pub amount: Option<Money>,
    /// A subtotal of part of the roll (`Cộng xã Long Đức`, `Cộng phường 1`, `Cộng ấp …`),
    /// not the total of the whole roll.
    pub subtotal: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Record<R> {
    Row(Parsed<R>),
    Rejected {
        line: u64,
        /// Every error of the row (at least one).
        problems: Vec<Problem>,
        /// Warnings raised by the row's other fields.
        warnings: Vec<Problem>,
        /// The row's values as in the file, in file order, for the "rows to fix" list.
        raw: Vec<String>,
    },
    /// A totals row. A roll may carry subtotals (`subtotal: true`, per commune or hamlet)
    /// and a grand total; the last totals row with `subtotal: false` is the control total
    /// of the whole roll.
    Totals(ControlTotals),
    /// A line skipped on purpose; the problem says why (`code` is `column_numbers` or
    /// `after_totals`).
    Ignored(Problem),
}

// ---------------------------------------------------------------------------------------
// The roll
// ---------------------------------------------------------------------------------------

/// What the header row told us.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HeaderReport {
    pub kind: RollKind,
    pub delimiter: char,
    pub had_bom: bool,
    /// 1-based line of the header row (lines above it are titles and are skipped).
    pub header_line: u64,
    /// Recognised columns in file order: (header as in the file, canonical field name).
    pub columns: Vec<(String, String)>,
    /// Named columns that were not recognised and are ignored.
    pub ignored_columns: Vec<String>,
}

type RowParser<R> = fn(&mut RowCtx<'_>) -> Option<R>;

/// A roll being read: iterate it for [`Record`]s (see the module documentation).
pub struct Roll<'a, R> {
    pub header: HeaderReport,
    reader: csv::Reader<&'a [u8]>,
    record: StringRecord,
    lines: Lines<'a>,
    columns: Columns,
    parse_row: RowParser<R>,
    records_after_header: usize,
    rows_max: usize,
    after_totals: bool,
    finished: bool,
    keep_free_text: bool,
}

pub fn read_approvals(bytes: &[u8]) -> Result<Roll<'_, ApprovalRow>, FileError> {
    open(bytes, RollKind::Approvals, parse_approval)
}

pub fn read_payments(bytes: &[u8]) -> Result<Roll<'_, PaymentRow>, FileError> {
    open(bytes, RollKind::Payments, parse_payment)
}

impl<R> Roll<'_, R> {
    pub fn kind(&self) -> RollKind {
        self.columns.kind
    }

    /// Rows without the free text that no rule reads (row number, address,
    /// note): the ledger keeps none of it (the stored file does), and
    /// cleaning it is much of the cost of reading a large roll.
    pub fn without_free_text(mut self) -> Self {
        self.keep_free_text = false;
        self
    }

    /// Non-blank lines read after the header so far (rows, totals, ignored lines).
    pub fn records_read(&self) -> usize {
        self.records_after_header
    }
}

impl<R> Iterator for Roll<'_, R> {
    type Item = Result<Record<R>, FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.finished {
            match self.reader.read_record(&mut self.record) {
                Ok(true) => {}
                Ok(false) => {
                    self.finished = true;
                    return None;
                }
                Err(error) => {
                    self.finished = true;
                    let at = error.position().map_or(0, |p| p.byte() as usize);
                    let line = self.lines.line_of(at);
                    return Some(Err(FileError::Malformed {
                        line,
                        detail: error.to_string(),
                    }));
                }
            }
            let start = self.record.position().map_or(0, |p| p.byte() as usize);
            let line = self.lines.line_of(start);
            if is_blank(&self.record) {
                continue;
            }
            let first = self.records_after_header == 0;
            self.records_after_header += 1;
            if self.records_after_header > self.rows_max {
                self.finished = true;
                return Some(Err(FileError::TooManyRows { line }));
            }
            if first && is_column_numbers(&self.record) {
                return Some(Ok(Record::Ignored(Problem::row(
                    line,
                    "column_numbers",
                    "ignored: the row of column numbers under the header".to_string(),
                    "bỏ qua: dòng đánh số thứ tự cột dưới dòng tiêu đề".to_string(),
                ))));
            }
            let columns = &self.columns;
            let record = &self.record;
            if let Some(totals) = detect_totals(columns, record, line) {
                if let Record::Totals(ControlTotals {
                    subtotal: false, ..
                }) = totals
                {
                    self.after_totals = true;
                }
                return Some(Ok(totals));
            }
            let id_empty = columns.text(record, Field::NationalId).is_empty();
            if self.after_totals && id_empty {
                return Some(Ok(Record::Ignored(Problem::row(
                    line,
                    "after_totals",
                    "ignored: a line after the totals row without a national ID (signatures, place and date)"
                        .to_string(),
                    "bỏ qua: dòng sau dòng tổng cộng, không có số CCCD/CMND (chữ ký, địa danh, ngày tháng)"
                        .to_string(),
                ))));
            }
            let mut ctx = RowCtx {
                record,
                columns,
                line,
                problems: Vec::new(),
                warnings: Vec::new(),
                keep_free_text: self.keep_free_text,
            };
            ctx.check_shape();
            if self.after_totals {
                ctx.warnings.push(Problem::row(
                    line,
                    "after_totals_row",
                    "this row comes after the totals row: check that the totals include it".to_string(),
                    "dòng này nằm sau dòng tổng cộng: hãy kiểm tra số tổng cộng đã tính dòng này chưa"
                        .to_string(),
                ));
            }
            let parsed = (self.parse_row)(&mut ctx);
            if !ctx.problems.is_empty() && record.len() > columns.width {
                // Rejected anyway: the shift is the likely cause, say so.
                ctx.extra_values();
            }
            let RowCtx {
                mut problems,
                warnings,
                ..
            } = ctx;
            return Some(Ok(match parsed {
                Some(row) if problems.is_empty() => Record::Row(Parsed { row, warnings }),
                _ => {
                    if problems.is_empty() {
                        problems.push(Problem::row(
                            line,
                            "unreadable_row",
                            "the row could not be read".to_string(),
                            "không đọc được dòng này".to_string(),
                        ));
                    }
                    Record::Rejected {
                        line,
                        problems,
                        warnings,
                        raw: record.iter().map(str::to_string).collect(),
                    }
                }
            }));
        }
        None
    }
}

// ---------------------------------------------------------------------------------------
// Opening a file: size, encoding, delimiter, header
// ---------------------------------------------------------------------------------------

fn open<R>(
    bytes: &[u8],
    kind: RollKind,
    parse_row: RowParser<R>,
) -> Result<Roll<'_, R>, FileError> {
    if bytes.len() > FILE_BYTES_MAX {
        return Err(FileError::TooLarge { bytes: bytes.len() });
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(FileError::Spreadsheet { format: "xlsx" });
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(FileError::Spreadsheet { format: "xls" });
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(FileError::Utf16);
    }
    let had_bom = bytes.starts_with(b"\xEF\xBB\xBF");
    let bom_len = if had_bom { 3 } else { 0 };
    let body = &bytes[bom_len..];
    // The SIMD check first: it is many times faster on Vietnamese text, and
    // only a file that fails it needs the position of its first bad byte.
    let first_bad_byte = simdutf8::basic::from_utf8(body)
        .err()
        .and_then(|_| std::str::from_utf8(body).err());
    if let Some(error) = first_bad_byte {
        let offset = error.valid_up_to();
        let break_byte = line_break_byte(body);
        return Err(FileError::NotUtf8 {
            byte_offset: bom_len + offset,
            line: 1 + count_byte(&body[..offset], break_byte),
            byte: body.get(offset).copied().unwrap_or(0),
        });
    }
    // UTF-16 without a byte order mark: ASCII characters come with NUL bytes.
    if body[..body.len().min(4096)].contains(&0) {
        return Err(FileError::Utf16);
    }
    if body
        .iter()
        .all(|b| b.is_ascii_whitespace() || matches!(b, b',' | b';' | b'"'))
    {
        return Err(FileError::Empty);
    }
    let (data, forced_delimiter, first_line) = strip_sep_line(body);
    let header = find_header(data, kind, forced_delimiter, first_line)?;
    let columns = build_columns(kind, header.delimiter, &header.cells, header.line)?;

    let mut reader = csv_reader(data, header.delimiter);
    let mut record = StringRecord::new();
    for _ in 0..=header.index {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => {
                return Err(FileError::Malformed {
                    line: header.line,
                    detail: error.to_string(),
                })
            }
        }
    }
    let mut lines = Lines::new(data, first_line);
    lines.line_of(record.position().map_or(0, |p| p.byte() as usize));

    let report = HeaderReport {
        kind,
        delimiter: char::from(header.delimiter),
        had_bom,
        header_line: header.line,
        columns: columns
            .headers
            .iter()
            .enumerate()
            .filter_map(|(index, text)| {
                Field::ALL_SLOTS
                    .iter()
                    .find(|f| columns.slot[f.slot()] == Some(index))
                    .map(|f| (text.clone(), f.name().to_string()))
            })
            .collect(),
        ignored_columns: columns.ignored.clone(),
    };
    Ok(Roll {
        header: report,
        reader,
        record,
        lines,
        columns,
        parse_row,
        records_after_header: 0,
        rows_max: ROWS_MAX,
        after_totals: false,
        finished: false,
        keep_free_text: true,
    })
}

impl Field {
    const ALL_SLOTS: [Field; FIELD_COUNT] = [
        Field::Stt,
        Field::FullName,
        Field::DateOfBirth,
        Field::Sex,
        Field::NationalId,
        Field::CommuneCode,
        Field::Address,
        Field::Category,
        Field::Amount,
        Field::DecisionNo,
        Field::DecisionDate,
        Field::PaymentMethod,
        Field::BankAccount,
        Field::Note,
        Field::PaidDate,
        Field::Reference,
    ];
}

fn csv_reader(data: &[u8], delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(data)
}

/// Excel writes `sep=;` as the first line when asked to; it names the delimiter.
fn strip_sep_line(body: &[u8]) -> (&[u8], Option<u8>, u64) {
    let lower: Vec<u8> = body.iter().take(4).map(u8::to_ascii_lowercase).collect();
    if lower == b"sep=" {
        if let Some(&delimiter) = body.get(4) {
            let rest = &body[5..];
            let line_end = rest.iter().position(|&b| b == b'\n' || b == b'\r');
            let usable =
                delimiter.is_ascii_punctuation() && delimiter != b'"' || delimiter == b'\t';
            if let (true, Some(end)) = (usable, line_end) {
                if rest[..end].iter().all(|b| b.is_ascii_whitespace()) {
                    let mut next = end;
                    if rest[next] == b'\r' && rest.get(next + 1) == Some(&b'\n') {
                        next += 1;
                    }
                    return (&rest[next + 1..], Some(delimiter), 2);
                }
            }
        }
    }
    (body, None, 1)
}

struct HeaderChoice {
    delimiter: u8,
    /// 0-based index of the header among the CSV records of the data slice.
    index: usize,
    line: u64,
    cells: Vec<String>,
    score: usize,
}

/// Tries each delimiter on the first non-blank lines and keeps the (delimiter, line) that
/// names the most known columns; ties go to the earlier line, then to `,` `;` tab in order.
fn find_header(
    data: &[u8],
    kind: RollKind,
    forced: Option<u8>,
    first_line: u64,
) -> Result<HeaderChoice, FileError> {
    let candidates: &[u8] = match forced {
        Some(ref d) => std::slice::from_ref(d),
        None => b",;\t",
    };
    let mut best: Option<HeaderChoice> = None;
    let mut saw_content = false;
    for &delimiter in candidates {
        let mut reader = csv_reader(data, delimiter);
        let mut record = StringRecord::new();
        let mut lines = Lines::new(data, first_line);
        let mut index = 0usize;
        let mut non_blank = 0usize;
        while non_blank < HEADER_SEARCH_RECORDS {
            match reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) | Err(_) => break,
            }
            let this = index;
            index += 1;
            if is_blank(&record) {
                continue;
            }
            non_blank += 1;
            saw_content = true;
            let line = lines.line_of(record.position().map_or(0, |p| p.byte() as usize));
            let mut seen = [false; FIELD_COUNT];
            for cell in record.iter() {
                if let Some(field) = match_header(kind, &header_key(cell)) {
                    seen[field.slot()] = true;
                }
            }
            let score = seen.iter().filter(|s| **s).count();
            let better = match &best {
                None => score > 0,
                Some(b) => score > b.score || (score == b.score && line < b.line),
            };
            if better {
                best = Some(HeaderChoice {
                    delimiter,
                    index: this,
                    line,
                    cells: record.iter().map(str::to_string).collect(),
                    score,
                });
            }
        }
    }
    match best {
        Some(choice) => Ok(choice),
        None if saw_content => Err(FileError::NoHeader { kind }),
        None => Err(FileError::Empty),
    }
}

struct Columns {
    kind: RollKind,
    /// For each field (by slot), its 0-based column index.
    slot: [Option<usize>; FIELD_COUNT],
    /// Header text per file column, whitespace collapsed.
    headers: Vec<String>,
    ignored: Vec<String>,
    /// Number of header cells; values beyond it are suspicious.
    width: usize,
    delimiter: char,
}

impl Columns {
    fn index(&self, field: Field) -> Option<usize> {
        self.slot[field.slot()]
    }

    /// The trimmed value of a field, empty when the column is absent or the row short.
    fn text<'r>(&self, record: &'r StringRecord, field: Field) -> &'r str {
        self.index(field)
            .and_then(|i| record.get(i))
            .map_or("", str::trim)
    }

    fn header_of(&self, field: Field) -> String {
        match self.index(field) {
            Some(i) => self.headers[i].clone(),
            None => field.name().to_string(),
        }
    }
}

fn build_columns(
    kind: RollKind,
    delimiter: u8,
    cells: &[String],
    line: u64,
) -> Result<Columns, FileError> {
    let headers: Vec<String> = cells
        .iter()
        .map(|c| collapse_whitespace(c.trim()))
        .collect();
    let mut slot: [Option<usize>; FIELD_COUNT] = [None; FIELD_COUNT];
    let mut ignored = Vec::new();
    for (index, cell) in cells.iter().enumerate() {
        match match_header(kind, &header_key(cell)) {
            Some(field) => {
                if let Some(previous) = slot[field.slot()] {
                    return Err(FileError::DuplicateColumns {
                        line,
                        field,
                        first: headers[previous].clone(),
                        second: headers[index].clone(),
                    });
                }
                slot[field.slot()] = Some(index);
            }
            None if !headers[index].is_empty() => ignored.push(headers[index].clone()),
            None => {}
        }
    }
    let missing: Vec<Field> = kind
        .required_fields()
        .iter()
        .copied()
        .filter(|f| slot[f.slot()].is_none())
        .collect();
    if !missing.is_empty() {
        let found: Vec<String> = headers.iter().filter(|h| !h.is_empty()).cloned().collect();
        let garbled = found.iter().any(|h| looks_garbled(h));
        return Err(FileError::MissingColumns {
            kind,
            line,
            missing,
            found,
            garbled,
        });
    }
    Ok(Columns {
        kind,
        slot,
        width: headers.len(),
        headers,
        ignored,
        delimiter: char::from(delimiter),
    })
}

/// UTF-8 Vietnamese read as Windows-1252 and saved again ("mojibake").
fn looks_garbled(text: &str) -> bool {
    [
        "á»", "áº", "Æ°", "Ä‘", "Ã¡", "Ã ", "Ãª", "Ã´", "Ã¢", "Ã©", "Ã¨",
    ]
    .iter()
    .any(|pattern| text.contains(pattern))
}

// ---------------------------------------------------------------------------------------
// Line numbers
// ---------------------------------------------------------------------------------------

/// Physical line numbers of record starts. The csv crate's own line counter lags by the
/// line ending and blank lines, so lines are counted here from byte offsets, once over
/// the file (the records arrive in order).
struct Lines<'a> {
    data: &'a [u8],
    break_byte: u8,
    cursor: usize,
    line: u64,
    first_line: u64,
}

impl<'a> Lines<'a> {
    fn new(data: &'a [u8], first_line: u64) -> Lines<'a> {
        Lines {
            data,
            break_byte: line_break_byte(data),
            cursor: 0,
            line: first_line,
            first_line,
        }
    }

    /// The line of the record whose reading started at `position` (which may point at the
    /// previous record's line ending or at blank lines).
    fn line_of(&mut self, position: usize) -> u64 {
        let mut start = position.min(self.data.len());
        while start < self.data.len() && matches!(self.data[start], b'\r' | b'\n') {
            start += 1;
        }
        if start < self.cursor {
            self.cursor = 0;
            self.line = self.first_line;
        }
        self.line += count_byte(&self.data[self.cursor..start], self.break_byte);
        self.cursor = start;
        self.line
    }
}

/// `\n` ends lines (LF and CRLF files); old Mac files use `\r` alone.
fn line_break_byte(data: &[u8]) -> u8 {
    if !data.contains(&b'\n') && data.contains(&b'\r') {
        b'\r'
    } else {
        b'\n'
    }
}

fn count_byte(haystack: &[u8], needle: u8) -> u64 {
    memchr::memchr_iter(needle, haystack).count() as u64
}

// ---------------------------------------------------------------------------------------
// Special lines: blank, column numbers, totals
// ---------------------------------------------------------------------------------------

fn is_blank(record: &StringRecord) -> bool {
    // The fields' concatenation is blank exactly when every field is.
    record.as_slice().trim().is_empty()
}

/// `(1) (2) (3) …` or `A B C 1 2 3` under the header of Vietnamese forms.
fn is_column_numbers(record: &StringRecord) -> bool {
    let mut filled = 0;
    for field in record.iter() {
        let field = field.trim();
        if field.is_empty() {
            continue;
        }
        let inner = field
            .strip_prefix('(')
            .and_then(|f| f.strip_suffix(')'))
            .unwrap_or(field);
        if inner.is_empty() || inner.len() > 3 || !inner.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return false;
        }
        filled += 1;
    }
    filled >= 3
}

/// A totals row: a label (`Tổng cộng`, `Cộng`, `Total`, `Cộng xã …`) in the STT, name or
/// first column, and no national ID (or the label itself in the ID column).
fn detect_totals<R>(columns: &Columns, record: &StringRecord, line: u64) -> Option<Record<R>> {
    let id = columns.text(record, Field::NationalId);
    if id
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'\'')
    {
        return None;
    }
    let id_index = columns.index(Field::NationalId);
    let stt_index = columns.index(Field::Stt);
    let candidates = [stt_index, columns.index(Field::FullName), Some(0)];
    let mut found = None;
    for (n, index) in candidates.iter().enumerate() {
        let Some(index) = *index else { continue };
        if candidates[..n].contains(&Some(index)) {
            continue;
        }
        if !id.is_empty() && Some(index) != id_index {
            continue;
        }
        let text = record.get(index).unwrap_or("").trim();
        if let Some(kind) = totals_label(text) {
            found = Some((index, text, kind));
            break;
        }
    }
    let (label_index, label, kind) = found?;
    let stt_count = stt_index
        .filter(|&i| i != label_index)
        .and_then(|i| record.get(i))
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<u64>().ok());
    let name_count = columns
        .index(Field::FullName)
        .filter(|&i| i != label_index)
        .and_then(|i| record.get(i))
        .map(str::trim)
        .filter(|s| s.len() <= 40)
        .and_then(first_integer);
    let rows = first_integer(label).or(stt_count).or(name_count);
    let amount_text = columns.text(record, Field::Amount);
    let amount = if amount_text.is_empty() {
        None
    } else {
        match Money::parse(amount_text) {
            Ok(amount) => Some(amount),
            Err(error) => {
                let header = columns.header_of(Field::Amount);
                return Some(Record::Rejected {
                    line,
                    problems: vec![Problem {
                        line,
                        column: Some(header.clone()),
                        column_index: columns.index(Field::Amount).map(|i| i + 1),
                        field: Some(Field::Amount),
                        value: Some(shown(amount_text)),
                        code: "totals_amount",
                        reason_en: format!("the totals row's '{header}': {}", error.reason_en()),
                        reason_vi: format!("dòng tổng cộng, cột '{header}': {}", error.reason_vi()),
                    }],
                    warnings: Vec::new(),
                    raw: record.iter().map(str::to_string).collect(),
                });
            }
        }
    };
    Some(Record::Totals(ControlTotals {
        line,
        label: collapse_whitespace(label),
        rows,
        amount,
        subtotal: kind == TotalsKind::Subtotal,
    }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TotalsKind {
    Total,
    Subtotal,
}

/// Whether a cell labels a totals row: `Tổng cộng`, `TỔNG CỘNG:`, `Tổng số`, `Cộng`,
/// `Total`, `Grand total`, optionally followed by a count (`Tổng cộng: 7 người`) or a
/// place (`Tổng cộng toàn huyện`; `Cộng xã Long Đức` is a subtotal). Case and diacritics
/// do not matter. A bare `Tống`/`Tổng` followed by other words is a name (the surname
/// Tống) unless the words are a count.
pub fn is_totals_label(text: &str) -> bool {
    totals_label(text).is_some()
}

fn totals_label(text: &str) -> Option<TotalsKind> {
    let first = text.bytes().next()?;
    if !matches!(first, b'T' | b't' | b'C' | b'c' | b'G' | b'g') || text.len() > 120 {
        return None;
    }
    let key = fold_key(text);
    let words: Vec<&str> = key.split(' ').collect();
    let (rest, bare_tong): (&[&str], bool) = match words.as_slice() {
        ["tong", "cong", rest @ ..] | ["tong", "so", rest @ ..] | ["grand", "total", rest @ ..] => {
            (rest, false)
        }
        ["cong", rest @ ..] | ["total", rest @ ..] => (rest, false),
        ["tong", rest @ ..] => (rest, true),
        _ => return None,
    };
    const COUNT_WORDS: &[&str] = &[
        "nguoi",
        "doi",
        "tuong",
        "dt",
        "ho",
        "truong",
        "hop",
        "suat",
        "so",
        "tien",
        "cong",
        "rows",
        "row",
        "people",
        "persons",
        "person",
        "beneficiaries",
    ];
    const WHOLE_WORDS: &[&str] = &["toan", "huyen", "tinh", "thanh", "district", "all"];
    const PART_WORDS: &[&str] = &["xa", "phuong", "thi", "ap", "khom", "commune"];
    let mut words = rest
        .iter()
        .filter(|w| !w.bytes().all(|b| b.is_ascii_digit()));
    match words.next() {
        None => Some(TotalsKind::Total),
        Some(word) if !bare_tong && WHOLE_WORDS.contains(word) => Some(TotalsKind::Total),
        Some(word) if !bare_tong && PART_WORDS.contains(word) => Some(TotalsKind::Subtotal),
        Some(word) => (COUNT_WORDS.contains(word) && words.all(|w| COUNT_WORDS.contains(w)))
            .then_some(TotalsKind::Total),
    }
}

/// The first whole number in a text, accepting `.` `,` or space thousands separators:
/// `Tổng cộng: 1.234 người` → 1234.
fn first_integer(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    let start = bytes.iter().position(u8::is_ascii_digit)?;
    let mut value: u64 = 0;
    let mut i = start;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_digit() {
            value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
            i += 1;
        } else if matches!(b, b'.' | b',' | b' ')
            && bytes.len() >= i + 4
            && bytes[i + 1..i + 4].iter().all(u8::is_ascii_digit)
            && bytes.get(i + 4).is_none_or(|c| !c.is_ascii_digit())
        {
            i += 1;
        } else {
            break;
        }
    }
    Some(value)
}

// ---------------------------------------------------------------------------------------
// Row parsing
// ---------------------------------------------------------------------------------------

enum Cell<'r> {
    Absent,
    Empty,
    TooLong,
    Value(&'r str),
}

/// One record being parsed: finds fields, records problems and warnings.
struct RowCtx<'r> {
    record: &'r StringRecord,
    columns: &'r Columns,
    line: u64,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
    /// See [`Roll::without_free_text`].
    keep_free_text: bool,
}

impl<'r> RowCtx<'r> {
    fn cell(&self, field: Field) -> Cell<'r> {
        let Some(index) = self.columns.index(field) else {
            return Cell::Absent;
        };
        let value = self.record.get(index).unwrap_or("").trim();
        if value.is_empty() {
            Cell::Empty
        } else if is_too_long(value) {
            Cell::TooLong
        } else {
            Cell::Value(value)
        }
    }

    fn problem(
        &self,
        field: Field,
        code: &'static str,
        value: Option<&str>,
        en: String,
        vi: String,
    ) -> Problem {
        let index = self.columns.index(field);
        Problem {
            line: self.line,
            column: Some(self.columns.header_of(field)),
            column_index: index.map(|i| i + 1),
            field: Some(field),
            value: value.map(shown),
            code,
            reason_en: en,
            reason_vi: vi,
        }
    }

    fn error(&mut self, field: Field, code: &'static str, value: &str, en: String, vi: String) {
        let problem = self.problem(field, code, Some(value), en, vi);
        self.problems.push(problem);
    }

    fn warn(&mut self, field: Field, code: &'static str, value: &str, en: String, vi: String) {
        let problem = self.problem(field, code, Some(value), en, vi);
        self.warnings.push(problem);
    }

    fn missing(&mut self, field: Field) {
        let header = self.columns.header_of(field);
        let problem = self.problem(
            field,
            "missing_value",
            None,
            format!("missing value: '{header}' is required"),
            format!("thiếu giá trị: cột '{header}' bắt buộc phải có"),
        );
        self.problems.push(problem);
    }

    /// Record-level checks: over-long values in recognised columns, values past the header.
    fn check_shape(&mut self) {
        let all = self.record.as_slice();
        let width = self.columns.width;
        if self.record.len() > width && self.record.iter().skip(width).any(|v| !v.trim().is_empty())
        {
            self.extra_values();
        }
        if all.len() > FIELD_CHARS_MAX {
            self.check_lengths();
        }
        if all.as_bytes().contains(&b'\n') || all.as_bytes().contains(&b'\r') {
            self.check_line_breaks();
        }
    }

    fn check_lengths(&mut self) {
        for field in Field::ALL_SLOTS {
            let Some(index) = self.columns.index(field) else {
                continue;
            };
            let value = self.record.get(index).unwrap_or("").trim();
            if is_too_long(value) {
                let chars = value.chars().count();
                let multiline = value.contains('\n') || value.contains('\r');
                let (hint_en, hint_vi) = if multiline {
                    (
                        "; it spans several lines: a quotation mark (\") is probably not closed",
                        "; giá trị kéo dài nhiều dòng: có thể thiếu dấu ngoặc kép (\") đóng",
                    )
                } else {
                    ("", "")
                };
                self.error(
                    field,
                    "too_long",
                    value,
                    format!(
                        "the value has {chars} characters; the limit is {FIELD_CHARS_MAX}{hint_en}"
                    ),
                    format!(
                        "giá trị dài {chars} ký tự, vượt giới hạn {FIELD_CHARS_MAX} ký tự{hint_vi}"
                    ),
                );
            }
        }
    }

    fn check_line_breaks(&mut self) {
        let width = self.columns.width;
        // An opening quote that is never closed swallows the following lines into one
        // value; short swallows stay under FIELD_CHARS_MAX, so look for whole rows inside.
        let delimiter = self.columns.delimiter;
        for (index, value) in self.record.iter().enumerate() {
            if width > 2
                && (value.contains('\n') || value.contains('\r'))
                && value.chars().filter(|&c| c == delimiter).count() + 1 >= width
            {
                let column = self.columns.headers.get(index).cloned();
                self.problems.push(Problem {
                    line: self.line,
                    column,
                    column_index: Some(index + 1),
                    field: None,
                    value: Some(shown(value)),
                    code: "unclosed_quote",
                    reason_en: "this value runs over several lines that look like whole rows: a quotation mark (\") \
                                is probably not closed, and the rows after it were read as part of this value"
                        .to_string(),
                    reason_vi: "giá trị này kéo dài qua nhiều dòng trông như các dòng dữ liệu: có thể thiếu dấu ngoặc \
                                kép (\") đóng, nên các dòng sau bị đọc gộp vào giá trị này"
                        .to_string(),
                });
            }
        }
    }

    /// More values than header columns: an unquoted delimiter inside a value.
    fn extra_values(&mut self) {
        if self.problems.iter().any(|p| p.code == "extra_values") {
            return;
        }
        let values = self.record.len();
        let width = self.columns.width;
        let d = match self.columns.delimiter {
            '\t' => "tab".to_string(),
            other => other.to_string(),
        };
        self.problems.push(Problem::row(
            self.line,
            "extra_values",
            format!(
                "the row has {values} values but the header has {width} columns: a value probably contains \
                 the delimiter '{d}' without quotes, which shifts the columns after it"
            ),
            format!(
                "dòng có {values} giá trị nhưng tiêu đề chỉ có {width} cột: có thể một giá trị chứa dấu phân \
                 cách '{d}' mà không đặt trong ngoặc kép, làm lệch các cột sau nó"
            ),
        ));
    }

    fn required(&mut self, field: Field) -> Option<&'r str> {
        match self.cell(field) {
            Cell::Value(value) => Some(value),
            Cell::Empty | Cell::Absent => {
                self.missing(field);
                None
            }
            Cell::TooLong => None,
        }
    }

    fn optional(&self, field: Field) -> Option<&'r str> {
        match self.cell(field) {
            Cell::Value(value) => Some(value),
            _ => None,
        }
    }

    /// Optional free text that no rule reads (row number, address, note):
    /// cleaned like [`RowCtx::text`], or not read at all when not kept.
    fn free_text(&mut self, field: Field) -> Option<String> {
        if self.keep_free_text {
            self.text(field, false)
        } else {
            None
        }
    }

    /// Free text: NFC, whitespace collapsed.
    fn text(&mut self, field: Field, required: bool) -> Option<String> {
        let value = if required {
            self.required(field)?
        } else {
            self.optional(field)?
        };
        Some(clean_text(value).0)
    }

    /// A person's name: free text that must contain letters and no digits.
    fn name(&mut self, field: Field, required: bool) -> Option<String> {
        let value = if required {
            self.required(field)?
        } else {
            self.optional(field)?
        };
        let doubt = if value.bytes().any(|b| b.is_ascii_digit()) {
            Some((
                "name_has_digits",
                "a name cannot contain digits: are the columns shifted?",
                "họ tên không được chứa chữ số: các cột có bị lệch không?",
            ))
        } else if !value.chars().any(char::is_alphabetic) {
            Some((
                "name_no_letters",
                "a name must contain letters",
                "họ tên phải có chữ cái",
            ))
        } else {
            None
        };
        if let Some((code, en, vi)) = doubt {
            if required {
                self.error(field, code, value, en.to_string(), vi.to_string());
                return None;
            }
            // An optional name (payment rolls match by national ID) only raises a warning.
            self.warn(field, code, value, en.to_string(), vi.to_string());
        }
        let (name, normalised) = clean_text(value);
        if normalised {
            self.warn(
                field,
                "name_normalized",
                value,
                "the name was in decomposed Unicode (NFD, as macOS exports) and was normalised to NFC".to_string(),
                "họ tên ở dạng Unicode tổ hợp (NFD, thường do máy Mac xuất ra) đã được chuẩn hoá về dạng dựng sẵn (NFC)"
                    .to_string(),
            );
        }
        Some(name)
    }

    fn national_id(&mut self) -> Option<NationalId> {
        let field = Field::NationalId;
        let value = self.required(field)?;
        match NationalId::parse_lenient(value) {
            Ok(parsed) => {
                if parsed.had_spaces {
                    let id = parsed.id.as_str();
                    self.warn(
                        field,
                        "national_id_spaces",
                        value,
                        format!("spaces (or dots, dashes) were removed from the national ID: read as {id}"),
                        format!("đã bỏ dấu cách (hoặc dấu chấm, gạch) trong số CCCD/CMND: đọc là {id}"),
                    );
                }
                Some(parsed.id)
            }
            Err(error) => {
                let code = match error {
                    NationalIdError::Empty => "missing_value",
                    NationalIdError::ScientificNotation(_) => "national_id_scientific",
                    NationalIdError::LeadingZeroDropped(_) => "national_id_leading_zero",
                    NationalIdError::WrongLength(_) => "national_id_length",
                    NationalIdError::NotDigits(_) => "national_id_not_digits",
                    NationalIdError::UnknownProvince { .. } => "national_id_province",
                };
                self.error(field, code, value, error.reason_en(), error.reason_vi());
                None
            }
        }
    }

    fn commune_code(&mut self) -> Option<String> {
        let field = Field::CommuneCode;
        let value = self.required(field)?;
        let digits = value.trim_start_matches('\'').trim();
        if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            self.error(
                field,
                "commune_code",
                value,
                format!("'{value}' is not a commune code: GSO commune codes have 5 digits (for example 29236)"),
                format!(
                    "'{value}' không phải mã xã: mã xã theo danh mục của Tổng cục Thống kê gồm 5 chữ số (ví dụ 29236)"
                ),
            );
            return None;
        }
        if digits.len() < 5 {
            let padded = format!("{digits:0>5}");
            self.warn(
                field,
                "commune_code_padded",
                value,
                format!(
                    "commune code '{value}' was read as {padded}: Excel dropped the leading zero(s); format the column as Text"
                ),
                format!(
                    "mã xã '{value}' được đọc là {padded}: Excel đã bỏ số 0 ở đầu; hãy định dạng cột là Văn bản (Text)"
                ),
            );
            return Some(padded);
        }
        Some(digits.to_string())
    }

    fn amount(&mut self) -> Option<Money> {
        let field = Field::Amount;
        let value = self.required(field)?;
        match parse_money(value) {
            Ok(amount) if amount.is_zero() => {
                self.error(
                    field,
                    "amount_zero",
                    value,
                    "the amount is zero".to_string(),
                    "số tiền bằng 0".to_string(),
                );
                None
            }
            Ok(amount) => Some(amount),
            Err(error) => {
                let code = match error {
                    MoneyError::Fractional(_) => "amount_fractional",
                    MoneyError::Negative(_) => "amount_negative",
                    MoneyError::TooLarge(_) | MoneyError::Overflow => "amount_too_large",
                    MoneyError::Empty | MoneyError::NotANumber(_) => "amount_not_a_number",
                };
                self.error(field, code, value, error.reason_en(), error.reason_vi());
                None
            }
        }
    }

    /// A full date (decision date, paid date).
    fn date(&mut self, field: Field) -> Option<NaiveDate> {
        let value = self.required(field)?;
        match parse_date(value) {
            Ok(date) => Some(date),
            Err(error) => {
                self.date_error(field, value, error);
                None
            }
        }
    }

    fn birth_date(&mut self) -> Option<BirthDate> {
        let field = Field::DateOfBirth;
        let value = self.optional(field)?;
        match parse_birth_date(value) {
            Ok(date) => Some(date),
            Err(error) => {
                self.date_error(field, value, error);
                None
            }
        }
    }

    fn date_error(&mut self, field: Field, value: &str, error: DateError) {
        let (code, en, vi) = match error {
            DateError::Format => (
                "date_format",
                format!("'{value}' is not a date: write dd/mm/yyyy (for example 15/07/2021) or yyyy-mm-dd"),
                format!("'{value}' không phải ngày: ghi theo dạng ngày/tháng/năm (ví dụ 15/07/2021) hoặc năm-tháng-ngày"),
            ),
            DateError::YearOnly => (
                "date_year_only",
                format!("'{value}' is only a year: this date needs day, month and year (dd/mm/yyyy)"),
                format!("'{value}' chỉ có năm: ngày này cần đủ ngày, tháng, năm (dd/mm/yyyy)"),
            ),
            DateError::TwoDigitYear => (
                "date_two_digit_year",
                format!("'{value}': the year must have four digits (dd/mm/yyyy)"),
                format!("'{value}': năm phải ghi đủ 4 chữ số (dd/mm/yyyy)"),
            ),
            DateError::ExcelSerial => (
                "date_excel_serial",
                format!(
                    "'{value}' is an Excel date serial number, not a date: format the column as a date (dd/mm/yyyy) before saving"
                ),
                format!(
                    "'{value}' là số thứ tự ngày của Excel, không phải ngày: hãy định dạng cột là ngày (dd/mm/yyyy) trước khi lưu"
                ),
            ),
            DateError::YearRange(year) => (
                "date_year_range",
                format!("'{value}': the year {year} is outside {YEAR_MIN}–{YEAR_MAX}"),
                format!("'{value}': năm {year} nằm ngoài khoảng {YEAR_MIN}–{YEAR_MAX}"),
            ),
            DateError::MonthRange(month) => (
                "date_month",
                format!(
                    "'{value}': there is no month {month}; day and month may be swapped (write dd/mm/yyyy, day first)"
                ),
                format!(
                    "'{value}': không có tháng {month}; có thể ngày và tháng bị đảo (ghi ngày trước: dd/mm/yyyy)"
                ),
            ),
            DateError::NoSuchDay { year, month, day } => (
                "date_impossible",
                format!("'{value}': there is no day {day} in month {month} of {year}"),
                format!("'{value}': tháng {month}/{year} không có ngày {day}"),
            ),
        };
        self.error(field, code, value, en, vi);
    }

    fn sex(&mut self) -> Option<Sex> {
        let field = Field::Sex;
        let value = self.optional(field)?;
        let sex = Sex::parse(value);
        if sex.is_none() {
            self.error(
                field,
                "sex",
                value,
                format!("'{value}' is not a sex: write Nam or Nữ (male or female)"),
                format!("'{value}' không phải giới tính: ghi Nam hoặc Nữ"),
            );
        }
        sex
    }

    fn payment_method(&mut self) -> Option<PaymentMethod> {
        let field = Field::PaymentMethod;
        let value = self.optional(field)?;
        let method = PaymentMethod::parse(value);
        if method.is_none() {
            self.error(
                field,
                "payment_method",
                value,
                format!(
                    "'{value}' is not a payment method: write tiền mặt (cash), chuyển khoản (bank transfer) or bưu điện (post)"
                ),
                format!("'{value}' không phải hình thức chi trả: ghi tiền mặt, chuyển khoản hoặc bưu điện"),
            );
        }
        method
    }

    /// Account numbers and transaction references: no spreadsheet damage, plain characters.
    fn code_text(&mut self, field: Field, required: bool) -> Option<String> {
        let value = if required {
            self.required(field)?
        } else {
            self.optional(field)?
        };
        let value = value.trim_start_matches('\'').trim();
        if looks_scientific(value) {
            let header = self.columns.header_of(field);
            self.error(
                field,
                "scientific_notation",
                value,
                format!(
                    "'{value}' in '{header}' is in scientific notation: Excel turned it into a number and lost digits; \
                     format the column as Text and re-enter it"
                ),
                format!(
                    "'{value}' ở cột '{header}' bị Excel đổi sang dạng số mũ và đã mất chữ số; \
                     hãy định dạng cột là Văn bản (Text) rồi nhập lại"
                ),
            );
            return None;
        }
        if field == Field::BankAccount
            && !value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b' ' | b'-' | b'.'))
        {
            self.error(
                field,
                "bank_account",
                value,
                format!("'{value}' is not a bank account number: use only digits, letters, spaces and dashes"),
                format!("'{value}' không phải số tài khoản: chỉ gồm chữ số, chữ cái, dấu cách và dấu gạch"),
            );
            return None;
        }
        Some(clean_text(value).0)
    }
}

fn parse_approval(ctx: &mut RowCtx<'_>) -> Option<ApprovalRow> {
    let stt = ctx.free_text(Field::Stt);
    let full_name = ctx.name(Field::FullName, true);
    let date_of_birth = ctx.birth_date();
    let sex = ctx.sex();
    let national_id = ctx.national_id();
    let commune_code = ctx.commune_code();
    let address = ctx.free_text(Field::Address);
    let category = ctx.text(Field::Category, true);
    let amount = ctx.amount();
    let decision_no = ctx.text(Field::DecisionNo, true);
    let decision_date = ctx.date(Field::DecisionDate);
    let payment_method = ctx.payment_method();
    let bank_account = ctx.code_text(Field::BankAccount, false);
    let note = ctx.free_text(Field::Note);
    if let (Some(born), Some(decided)) = (date_of_birth, decision_date) {
        let after = match born {
            BirthDate::Full(date) => date > decided,
            BirthDate::YearOnly(year) => year > decided.year(),
        };
        if after {
            let value = ctx.columns.text(ctx.record, Field::DateOfBirth);
            ctx.error(
                Field::DateOfBirth,
                "birth_after_decision",
                value,
                format!(
                    "the date of birth {born} is after the decision date {}",
                    decided.format("%d/%m/%Y")
                ),
                format!(
                    "ngày sinh {born} sau ngày quyết định {}",
                    decided.format("%d/%m/%Y")
                ),
            );
        }
    }
    if !ctx.problems.is_empty() {
        return None;
    }
    let (
        Some(full_name),
        Some(national_id),
        Some(commune_code),
        Some(category),
        Some(amount),
        Some(decision_no),
        Some(decision_date),
    ) = (
        full_name,
        national_id,
        commune_code,
        category,
        amount,
        decision_no,
        decision_date,
    )
    else {
        return None;
    };
    Some(ApprovalRow {
        line: ctx.line,
        stt,
        full_name,
        date_of_birth,
        sex,
        national_id,
        commune_code,
        address,
        category,
        amount,
        decision_no,
        decision_date,
        payment_method,
        bank_account,
        note,
    })
}

fn parse_payment(ctx: &mut RowCtx<'_>) -> Option<PaymentRow> {
    let stt = ctx.free_text(Field::Stt);
    let national_id = ctx.national_id();
    let full_name = ctx.name(Field::FullName, false);
    let amount = ctx.amount();
    let paid_date = ctx.date(Field::PaidDate);
    let payment_method = ctx.payment_method();
    let reference = ctx.code_text(Field::Reference, true);
    let decision_no = ctx.text(Field::DecisionNo, false);
    let bank_account = ctx.code_text(Field::BankAccount, false);
    let note = ctx.free_text(Field::Note);
    if !ctx.problems.is_empty() {
        return None;
    }
    let (Some(national_id), Some(amount), Some(paid_date), Some(reference)) =
        (national_id, amount, paid_date, reference)
    else {
        return None;
    };
    Some(PaymentRow {
        line: ctx.line,
        stt,
        national_id,
        full_name,
        amount,
        paid_date,
        payment_method,
        reference,
        decision_no,
        bank_account,
        note,
    })
}

// ---------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------

fn is_too_long(value: &str) -> bool {
    value.len() > FIELD_CHARS_MAX && value.chars().count() > FIELD_CHARS_MAX
}

/// A value as quoted in a problem: cut to a readable length.
fn shown(value: &str) -> String {
    if value.len() <= VALUE_SHOWN_CHARS_MAX {
        return value.to_string();
    }
    let mut cut: String = value.chars().take(VALUE_SHOWN_CHARS_MAX).collect();
    if cut.len() < value.len() {
        cut.push('…');
    }
    cut
}

/// Trimmed, inner whitespace (tabs, newlines, no-break spaces, runs) as single spaces,
/// NFC. The flag tells whether NFC normalisation changed the text.
fn clean_text(value: &str) -> (String, bool) {
    let value = value.trim();
    if is_plain_nfc(value) {
        return (value.to_string(), false);
    }
    let mut irregular_space = false;
    let mut previous_space = false;
    for c in value.chars() {
        if c.is_whitespace() {
            if c != ' ' || previous_space {
                irregular_space = true;
                break;
            }
            previous_space = true;
        } else {
            previous_space = false;
        }
    }
    let is_nfc = value.is_ascii() || unicode_normalization::is_nfc(value);
    match (irregular_space, is_nfc) {
        (false, true) => (value.to_string(), false),
        (true, true) => (collapse_whitespace(value), false),
        (false, false) => (nfc(value), true),
        (true, false) => (nfc(&collapse_whitespace(value)), true),
    }
}

/// Fast path for [`clean_text`]: single ASCII spaces only, and every character either below
/// U+0300 or in Latin Extended Additional (U+1E00–U+1EFF), which is how Vietnamese looks
/// in NFC; all those characters are NFC-stable. `false` means "look closer", not "not NFC".
fn is_plain_nfc(value: &str) -> bool {
    let bytes = value.as_bytes();
    let mut i = 0;
    let mut previous_space = false;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b' ' => {
                if previous_space {
                    return false;
                }
                previous_space = true;
                i += 1;
                continue;
            }
            0x00..=0x1F | 0x7F => return false,
            0x21..=0x7E => i += 1,
            // U+0080–U+00BF (C2 xx) holds NBSP and NEL: leave those to the slow path.
            0xC2 => {
                if matches!(bytes.get(i + 1), Some(0xA0 | 0x85)) {
                    return false;
                }
                i += 2;
            }
            // U+00C0–U+02FF
            0xC3..=0xCB => i += 2,
            // U+1E00–U+1EFF
            0xE1 if matches!(bytes.get(i + 1), Some(0xB8..=0xBB)) => i += 3,
            _ => return false,
        }
        previous_space = false;
    }
    true
}

fn collapse_whitespace(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for word in value.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// `Money::parse`, with a fast path for the plain forms most rows use
/// (`1500000`, `1.500.000`, `1,500,000`); everything else goes to `Money::parse`.
fn parse_money(text: &str) -> Result<Money, MoneyError> {
    let bytes = text.as_bytes();
    if !bytes.is_empty() && bytes.len() <= 15 && bytes[0].is_ascii_digit() && bytes[0] != b'0' {
        let mut value: i64 = 0;
        let mut separator = 0u8;
        let mut group = 0usize;
        let mut grouped = false;
        let mut plain = true;
        for &b in bytes {
            if b.is_ascii_digit() {
                value = value * 10 + i64::from(b - b'0');
                group += 1;
            } else if (b == b'.' || b == b',') && (separator == 0 || separator == b) {
                if (grouped && group != 3) || (!grouped && group > 3) {
                    plain = false;
                    break;
                }
                separator = b;
                grouped = true;
                group = 0;
            } else {
                plain = false;
                break;
            }
        }
        if plain && (!grouped || group == 3) {
            return Ok(Money::from_dong(value));
        }
    }
    Money::parse(text)
}

/// Excel's scientific notation for long numbers: `8.41234E+11`, `1,23457E+14`.
fn looks_scientific(value: &str) -> bool {
    let upper = value.as_bytes();
    upper
        .windows(2)
        .any(|w| (w[0] == b'E' || w[0] == b'e') && w[1] == b'+')
        && upper
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'E' | b'e' | b'+' | b'.' | b','))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateError {
    Format,
    YearOnly,
    TwoDigitYear,
    ExcelSerial,
    YearRange(i32),
    MonthRange(u32),
    NoSuchDay { year: i32, month: u32, day: u32 },
}

/// `dd/mm/yyyy`, `d/m/yyyy` (also with `-` or `.`), `yyyy-mm-dd` (also `/`), optionally
/// followed by a zero time (`00:00:00`) that spreadsheets sometimes add.
fn parse_date(text: &str) -> Result<NaiveDate, DateError> {
    let text = strip_zero_time(text.trim());
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return Err(DateError::Format);
    }
    if bytes.iter().all(u8::is_ascii_digit) {
        return Err(match bytes.len() {
            4 => DateError::YearOnly,
            5 => DateError::ExcelSerial,
            _ => DateError::Format,
        });
    }
    let Some(&separator) = bytes.iter().find(|b| !b.is_ascii_digit()) else {
        return Err(DateError::Format);
    };
    if !matches!(separator, b'/' | b'-' | b'.') {
        return Err(DateError::Format);
    }
    let mut parts = text.split(char::from(separator));
    let (Some(a), Some(b), Some(c), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(DateError::Format);
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(a) && digits(b) && digits(c)) {
        return Err(DateError::Format);
    }
    let number = |s: &str| s.parse::<u32>().map_err(|_| DateError::Format);
    let (year, month, day) = if a.len() == 4 && b.len() <= 2 && c.len() <= 2 {
        (number(a)?, number(b)?, number(c)?)
    } else if c.len() == 4 && a.len() <= 2 && b.len() <= 2 {
        (number(c)?, number(b)?, number(a)?)
    } else if c.len() == 2 && a.len() <= 2 && b.len() <= 2 {
        return Err(DateError::TwoDigitYear);
    } else {
        return Err(DateError::Format);
    };
    let year = year as i32;
    if !(YEAR_MIN..=YEAR_MAX).contains(&year) {
        return Err(DateError::YearRange(year));
    }
    if !(1..=12).contains(&month) {
        return Err(DateError::MonthRange(month));
    }
    NaiveDate::from_ymd_opt(year, month, day).ok_or(DateError::NoSuchDay { year, month, day })
}

/// A full date, or a year alone (`1948`).
fn parse_birth_date(text: &str) -> Result<BirthDate, DateError> {
    let trimmed = text.trim();
    if trimmed.len() == 4 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        let year: i32 = trimmed.parse().map_err(|_| DateError::Format)?;
        if !(YEAR_MIN..=YEAR_MAX).contains(&year) {
            return Err(DateError::YearRange(year));
        }
        return Ok(BirthDate::YearOnly(year));
    }
    parse_date(trimmed).map(BirthDate::Full)
}

fn strip_zero_time(text: &str) -> &str {
    if let Some((date, time)) = text.split_once([' ', 'T']) {
        let time = time.trim();
        if !time.is_empty() && time.bytes().all(|b| b == b'0' || b == b':') {
            return date.trim_end();
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

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
                    Some((*line, problems.iter().map(|p| p.code).collect()))
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
            .map(|p| (p.row.line, p.warnings.iter().map(|w| w.code).collect()))
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
                Record::Ignored(p) => (p.line, p.code),
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
        let text = "Họ và tên,Số CCCD,Mã xã,Nhóm đối tượng,Số tiền,Số quyết định,Ngày quyết định,Ghi chú\n\
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
            read_approvals(b"PK\x03\x04\x14\x00").err(),
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
}
