//! Streaming parser for district rolls: the bytes of a CSV file in, typed rows out.
//!
//! [`read_approvals`] and [`read_payments`] first check the file as a whole (size, that it
//! is a CSV and not a workbook, UTF-8, the header row and its required columns) and refuse
//! it with a [`FileError`] when it cannot be read at all. They return a [`Roll`]: an
//! iterator that parses one record at a time straight from the byte slice (nothing is
//! collected, one record buffer is reused) and yields
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
//!
//! By concern: `fields` (roll kinds, fields, header aliases), `header` (header search,
//! columns), `totals` (column-number and totals rows), `lines` (records and line
//! numbers), `stream` (the file checks and the iterator), `cells` (a record's cells into
//! values, with problems), `values` (value types and parsers), `rows` (row types, the two
//! row parsers), `problems` (problems and their codes), `errors` (file refusals and
//! message texts, both languages together).

mod cells;
mod errors;
mod fields;
mod header;
mod lines;
mod problems;
mod records;
mod rows;
mod stream;
mod text_record;
mod totals;
mod values;

#[cfg(test)]
mod tests;

pub use errors::{FileError, Reason};
pub use fields::{header_key, Field, RollKind, UnknownRollKind};
pub use header::{is_annotation_header, ANNOTATION_HEADER};
pub use problems::{Problem, ProblemCode};
pub use records::{sheet_records, SheetLayout, SheetRecord};
pub use rows::{ApprovalRow, ControlTotals, HeaderReport, Parsed, PaymentRow, Record};
pub use stream::{read_approvals, read_payments, Roll};
pub use totals::is_totals_label;
pub use values::{BirthDate, PaymentMethod, Sex};

pub use crate::domain::stored_file::FILE_BYTES_MAX;
/// Largest number of non-blank lines after the header (rows, totals and footer lines).
pub const ROWS_MAX: usize = 500_000;
/// Longest value accepted in a recognised column, in characters (after trimming).
pub const FIELD_CHARS_MAX: usize = 500;
/// How many non-blank lines at the top of the file are searched for the header row.
pub const HEADER_SEARCH_RECORDS: usize = 20;
