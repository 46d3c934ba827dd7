//! Workbooks as rolls: Excel (`.xlsx`) and LibreOffice (`.ods`). One sheet's
//! cells (the first, or the one named) are written out as CSV text, one line
//! per sheet row (so "line N" is the officer's row N), and read by the same
//! parser as a CSV roll: every row rule, limit and message is the one a CSV
//! file gets. The workbook's own bytes stay the import's evidence; the CSV
//! text is only how it is read.
//!
//! Cells become text as Excel shows them in a plain cell: whole numbers
//! without a decimal point (an ID typed as a number, its leading zero lost,
//! reads as it would from a CSV and gets the same explanation), dates as
//! `dd/mm/yyyy`, errors as `#N/A`. Formulas give their cached value. Every
//! row is as wide as the widest, as Excel's own CSV export writes them (a
//! workbook does not store empty cells at the end of a row).
//!
//! Limits come before memory: the archive's declared unpacked size is
//! bounded before anything is unpacked. An `.xlsx` sheet's cells are
//! streamed, so a sheet that claims a million columns costs nothing until it
//! has cells there; an `.ods` is read whole by calamine, within its cell limit.

use super::parse::{FileError, FILE_BYTES_MAX, ROWS_MAX};
use calamine::{Data, DataRef, Ods, Reader, Xlsx};
use std::borrow::Cow;
use std::io::Cursor;

/// Most bytes a workbook may unpack to (its XML parts, as declared by the archive).
const UNPACKED_BYTES_MAX: u64 = 512 * 1024 * 1024;
/// Columns read from a sheet; a roll has about ten.
const COLUMNS_MAX: u32 = 256;
/// Sheet rows read: the roll limit, plus the header search and a footer.
const SHEET_ROWS_MAX: u32 = (ROWS_MAX + 1_000) as u32;

/// The workbook formats read as rolls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkbookFormat {
    Xlsx,
    Ods,
}

/// The text a roll is read from: the bytes themselves, or a workbook's first sheet as CSV.
pub fn roll_text(bytes: &[u8]) -> Result<Cow<'_, [u8]>, FileError> {
    roll_text_of_sheet(bytes, None)
}

/// The text a roll is read from: the bytes themselves, or a workbook's sheet
/// `sheet` (the first when `None`) as CSV. A sheet named for CSV text is refused.
pub fn roll_text_of_sheet<'a>(
    bytes: &'a [u8],
    sheet: Option<&str>,
) -> Result<Cow<'a, [u8]>, FileError> {
    let Some(format) = workbook_format(bytes) else {
        return match sheet {
            Some(name) => Err(FileError::NoSuchSheet {
                name: name.to_string(),
                sheets: Vec::new(),
            }),
            None => Ok(Cow::Borrowed(bytes)),
        };
    };
    if bytes.len() > FILE_BYTES_MAX {
        return Err(FileError::TooLarge { bytes: bytes.len() });
    }
    check_unpacked_size(bytes)?;
    let csv = match format {
        WorkbookFormat::Xlsx => xlsx_sheet_as_csv(bytes, sheet)?,
        WorkbookFormat::Ods => ods_sheet_as_csv(bytes, sheet)?,
    };
    Ok(Cow::Owned(csv))
}

/// The workbook format of `bytes`, when they are a ZIP archive holding one:
/// named by the parts each format has near its start.
pub fn workbook_format(bytes: &[u8]) -> Option<WorkbookFormat> {
    if !bytes.starts_with(b"PK\x03\x04") {
        return None;
    }
    let has = |needle: &[u8]| memchr::memmem::find(bytes, needle).is_some();
    let head = &bytes[..bytes.len().min(1024)];
    if memchr::memmem::find(head, b"application/vnd.oasis.opendocument.spreadsheet").is_some() {
        Some(WorkbookFormat::Ods)
    } else if has(b"xl/workbook.xml") {
        Some(WorkbookFormat::Xlsx)
    } else {
        None
    }
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

/// The sheet to read: the one named, or the first.
fn chosen_sheet(names: Vec<String>, wanted: Option<&str>) -> Result<String, FileError> {
    match wanted {
        None => names
            .into_iter()
            .next()
            .ok_or_else(|| unreadable("it has no sheet")),
        Some(name) => match names.iter().find(|n| n.as_str() == name) {
            Some(found) => Ok(found.clone()),
            None => Err(FileError::NoSuchSheet {
                name: name.to_string(),
                sheets: names,
            }),
        },
    }
}

fn xlsx_sheet_as_csv(bytes: &[u8], wanted: Option<&str>) -> Result<Vec<u8>, FileError> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let sheet = chosen_sheet(workbook.sheet_names(), wanted)?;
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
        csv.put_in_order(row, column, &cell_text(cell.get_value()))?;
    }
    Ok(csv.finish())
}

fn ods_sheet_as_csv(bytes: &[u8], wanted: Option<&str>) -> Result<Vec<u8>, FileError> {
    let mut workbook: Ods<_> = Ods::new(Cursor::new(bytes)).map_err(unreadable)?;
    let sheet = chosen_sheet(workbook.sheet_names(), wanted)?;
    let range = workbook.worksheet_range(&sheet).map_err(unreadable)?;
    let (first_row, first_column) = range.start().unwrap_or((0, 0));
    let mut csv = CsvLines::default();
    for (row, column, value) in range.used_cells() {
        let (row, column) = (first_row + row as u32, first_column + column as u32);
        if row >= SHEET_ROWS_MAX {
            break;
        }
        csv.put_in_order(row, column, &data_text(value))?;
    }
    Ok(csv.finish())
}

/// An `.ods` cell as the text a plain cell shows (see [`cell_text`]).
fn data_text(value: &Data) -> String {
    match value {
        Data::Empty => String::new(),
        Data::String(text) | Data::DurationIso(text) => text.clone(),
        Data::DateTimeIso(text) => iso_date_text(text),
        Data::Int(number) => number.to_string(),
        Data::Float(number) => number_text(*number),
        Data::Bool(true) => "TRUE".into(),
        Data::Bool(false) => "FALSE".into(),
        Data::DateTime(date) if date.is_datetime() => {
            let (year, month, day, ..) = date.to_ymd_hms_milli();
            format!("{day:02}/{month:02}/{year:04}")
        }
        Data::DateTime(date) => number_text(date.as_f64()),
        Data::Error(error) => error.to_string(),
    }
}

/// A date stored as a date (`2021-08-16`, `2021-08-16T00:00:00`) as the
/// importer's `dd/mm/yyyy`; a time of day other than midnight is kept as written.
fn iso_date_text(text: &str) -> String {
    let (date, time) = text.split_once('T').unwrap_or((text, ""));
    let midnight = time.is_empty() || time.trim_start_matches(['0', ':', '.']).is_empty();
    let parts: Vec<&str> = date.split('-').collect();
    match parts.as_slice() {
        [year, month, day]
            if midnight
                && year.len() == 4
                && month.len() == 2
                && day.len() == 2
                && date.bytes().all(|b| b.is_ascii_digit() || b == b'-') =>
        {
            format!("{day}/{month}/{year}")
        }
        _ => text.to_string(),
    }
}

/// A cell as the text a plain Excel cell shows.
fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Empty => String::new(),
        DataRef::String(text) | DataRef::DurationIso(text) => text.clone(),
        DataRef::DateTimeIso(text) => iso_date_text(text),
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
    /// Where each row with fields ends in `text`, and how many fields it has:
    /// [`CsvLines::finish`] widens the short ones.
    row_ends: Vec<(usize, u32)>,
    widest: u32,
}

impl CsvLines {
    /// Puts a cell that must come after every cell put so far; past
    /// [`COLUMNS_MAX`] cells are left out, past the file limit the sheet is refused.
    fn put_in_order(&mut self, row: u32, column: u32, value: &str) -> Result<(), FileError> {
        if column >= COLUMNS_MAX {
            return Ok(());
        }
        if !self.is_ahead(row, column) {
            return Err(unreadable(format!(
                "its cells are not in sheet order at row {}",
                row + 1
            )));
        }
        self.put(row, column, value);
        if self.text.len() > FILE_BYTES_MAX {
            return Err(FileError::TooLarge {
                bytes: self.text.len(),
            });
        }
        Ok(())
    }

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
            self.end_row();
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

    fn end_row(&mut self) {
        if self.has_field {
            let fields = self.column + 1;
            self.row_ends.push((self.text.len(), fields));
            self.widest = self.widest.max(fields);
        }
        self.text.push(b'\n');
    }

    /// The text, every row with fields as wide as the widest.
    fn finish(mut self) -> Vec<u8> {
        self.end_row();
        let missing: usize = self
            .row_ends
            .iter()
            .map(|&(_, fields)| (self.widest - fields) as usize)
            .sum();
        if missing == 0 {
            return self.text;
        }
        let mut widened = Vec::with_capacity(self.text.len() + missing);
        let mut copied = 0;
        for &(end, fields) in &self.row_ends {
            widened.extend_from_slice(&self.text[copied..end]);
            widened.resize(widened.len() + (self.widest - fields) as usize, b',');
            copied = end;
        }
        widened.extend_from_slice(&self.text[copied..]);
        widened
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
    fn short_rows_are_widened_to_the_widest() {
        let mut csv = CsvLines::default();
        csv.put(0, 0, "title");
        csv.put(2, 0, "a");
        csv.put(2, 2, "c");
        csv.put(3, 1, "x,y");
        assert_eq!(
            String::from_utf8_lossy(&csv.finish()),
            "title,,\n\na,,c\n,\"x,y\",\n"
        );
    }

    #[test]
    fn dates_stored_as_dates_read_as_the_importers_dates() {
        assert_eq!(iso_date_text("2021-08-16"), "16/08/2021");
        assert_eq!(iso_date_text("2021-08-16T00:00:00"), "16/08/2021");
        assert_eq!(iso_date_text("2021-08-16T10:30:00"), "2021-08-16T10:30:00");
        assert_eq!(iso_date_text("16/08/2021"), "16/08/2021");
    }

    #[test]
    fn whole_numbers_lose_their_decimal_point_only() {
        assert_eq!(number_text(1_500_000.0), "1500000");
        assert_eq!(number_text(84_069_106_889.0), "84069106889");
        assert_eq!(number_text(1.5), "1.5");
        assert_eq!(number_text(-0.0), "0");
    }
}
