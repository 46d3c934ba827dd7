//! Excel workbooks (`.xlsx`) as rolls. The first sheet's cells are written
//! out as CSV text, one line per sheet row (so "line N" is the officer's
//! Excel row N), and read by the same parser as a CSV roll: every row rule,
//! limit and message is the one a CSV file gets. The workbook's own bytes
//! stay the import's evidence; the CSV text is only how it is read.
//!
//! Cells become text as Excel shows them in a plain cell: whole numbers
//! without a decimal point (an ID typed as a number, its leading zero lost,
//! reads as it would from a CSV and gets the same explanation), dates as
//! `dd/mm/yyyy`, errors as `#N/A`. Formulas give their cached value.
//!
//! Limits come before memory: the archive's declared unpacked size is
//! bounded before anything is unpacked, and cells are streamed, so a sheet
//! that claims a million columns costs nothing until it has cells there.

use super::parse::{FileError, FILE_BYTES_MAX, ROWS_MAX};
use calamine::{DataRef, Reader, Xlsx};
use std::borrow::Cow;
use std::io::Cursor;

/// Most bytes a workbook may unpack to (its XML parts, as declared by the archive).
const UNPACKED_BYTES_MAX: u64 = 512 * 1024 * 1024;
/// Columns read from a sheet; a roll has about ten.
const COLUMNS_MAX: u32 = 256;
/// Sheet rows read: the roll limit, plus the header search and a footer.
const SHEET_ROWS_MAX: u32 = (ROWS_MAX + 1_000) as u32;

/// The text a roll is read from: the bytes themselves, or a workbook's first sheet as CSV.
pub fn roll_text(bytes: &[u8]) -> Result<Cow<'_, [u8]>, FileError> {
    if !is_xlsx(bytes) {
        return Ok(Cow::Borrowed(bytes));
    }
    if bytes.len() > FILE_BYTES_MAX {
        return Err(FileError::TooLarge { bytes: bytes.len() });
    }
    check_unpacked_size(bytes)?;
    first_sheet_as_csv(bytes).map(Cow::Owned)
}

/// A ZIP archive holding an Excel workbook part.
fn is_xlsx(bytes: &[u8]) -> bool {
    const WORKBOOK_PART: &[u8] = b"xl/workbook.xml";
    bytes.starts_with(b"PK\x03\x04")
        && bytes
            .windows(WORKBOOK_PART.len())
            .any(|window| window == WORKBOOK_PART)
}

fn unreadable(detail: impl std::fmt::Display) -> FileError {
    FileError::UnreadableWorkbook {
        detail: detail.to_string(),
    }
}

fn check_unpacked_size(bytes: &[u8]) -> Result<(), FileError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    let mut unpacked: u64 = 0;
    for index in 0..archive.len() {
        let part = archive.by_index_raw(index).map_err(unreadable)?;
        unpacked = unpacked.saturating_add(part.size());
    }
    if unpacked > UNPACKED_BYTES_MAX {
        return Err(unreadable(format!(
            "it unpacks to {unpacked} bytes, more than {UNPACKED_BYTES_MAX}"
        )));
    }
    Ok(())
}

fn first_sheet_as_csv(bytes: &[u8]) -> Result<Vec<u8>, FileError> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let sheet = workbook
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(|| unreadable("it has no sheet"))?;
    let mut cells = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(unreadable)?;
    let mut csv = CsvLines::default();
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        let (row, column) = cell.get_position();
        if row >= SHEET_ROWS_MAX {
            // The parser refuses a roll this long, naming the line.
            break;
        }
        if column >= COLUMNS_MAX {
            continue;
        }
        if !csv.is_ahead(row, column) {
            return Err(unreadable(format!(
                "its cells are not in sheet order at row {}",
                row + 1
            )));
        }
        csv.put(row, column, &cell_text(cell.get_value()));
        if csv.text.len() > FILE_BYTES_MAX {
            return Err(FileError::TooLarge {
                bytes: csv.text.len(),
            });
        }
    }
    Ok(csv.finish())
}

/// A cell as the text a plain Excel cell shows.
fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Empty => String::new(),
        DataRef::String(text) | DataRef::DateTimeIso(text) | DataRef::DurationIso(text) => {
            text.clone()
        }
        DataRef::SharedString(text) => (*text).to_string(),
        DataRef::Int(number) => number.to_string(),
        DataRef::Float(number) => number_text(*number),
        DataRef::Bool(true) => "TRUE".into(),
        DataRef::Bool(false) => "FALSE".into(),
        DataRef::DateTime(date) if date.is_datetime() => {
            let (year, month, day, ..) = date.to_ymd_hms_milli();
            format!("{day:02}/{month:02}/{year:04}")
        }
        DataRef::DateTime(date) => number_text(date.as_f64()),
        DataRef::Error(error) => error.to_string(),
    }
}

/// A number cell as text: the shortest decimal that reads back as the same
/// number (so whole numbers carry no decimal point, and an amount typed as
/// `1500000` is the text `1500000`). Excel stores every number as a double;
/// this is the only thing done with it: money is read from the text by the
/// same exact parser as a CSV cell, which refuses what is not whole đồng.
fn number_text(number: f64) -> String {
    if number == 0.0 {
        // Not "-0": a blank-looking zero is zero.
        return "0".into();
    }
    number.to_string()
}

/// CSV text built cell by cell, in sheet order (rows ascending, then columns).
#[derive(Default)]
struct CsvLines {
    text: Vec<u8>,
    /// The sheet row the text has reached, and the column of its last field.
    row: u32,
    column: u32,
    /// Whether that row has a field yet.
    has_field: bool,
}

impl CsvLines {
    /// Whether a cell at (`row`, `column`) comes after every cell put so far.
    fn is_ahead(&self, row: u32, column: u32) -> bool {
        row > self.row
            || (row == self.row
                && (column >= self.column && !self.has_field || column > self.column))
    }

    fn put(&mut self, row: u32, column: u32, value: &str) {
        if value.is_empty() {
            return;
        }
        // Rows without cells stay as empty lines: line numbers are sheet rows.
        while self.row < row {
            self.text.push(b'\n');
            self.row += 1;
            self.column = 0;
            self.has_field = false;
        }
        while self.column < column {
            self.text.push(b',');
            self.column += 1;
        }
        push_field(&mut self.text, value);
        self.has_field = true;
    }

    fn finish(mut self) -> Vec<u8> {
        self.text.push(b'\n');
        self.text
    }
}

fn push_field(text: &mut Vec<u8>, value: &str) {
    if value.contains([',', '"', '\n', '\r']) {
        text.push(b'"');
        text.extend_from_slice(value.replace('"', "\"\"").as_bytes());
        text.push(b'"');
    } else {
        text.extend_from_slice(value.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Workbooks themselves are built and read in `tests/it/workbooks.rs`.
    #[test]
    fn text_and_other_zip_archives_pass_through() {
        assert!(matches!(
            roll_text(b"a,b\n1,2\n").unwrap(),
            Cow::Borrowed(_)
        ));
        let plain_zip = b"PK\x03\x04 not a workbook";
        assert!(matches!(roll_text(plain_zip).unwrap(), Cow::Borrowed(_)));
    }

    #[test]
    fn whole_numbers_lose_their_decimal_point_only() {
        assert_eq!(number_text(1_500_000.0), "1500000");
        assert_eq!(number_text(84_069_106_889.0), "84069106889");
        assert_eq!(number_text(1.5), "1.5");
        assert_eq!(number_text(-0.0), "0");
    }
}
