//! The annotated roll: the officer's own rows as uploaded (CSV or workbook),
//! every cell as text (IDs keep their leading zeros), the header kept, and a
//! last column headed [`ANNOTATION_HEADER`] saying, on each row, what the
//! import report found there: errors first, Vietnamese then English, with the
//! column and the value. Rows with errors are red, rows with only warnings
//! yellow, the header frozen; every row stays, so the officer fixes cells in
//! place and uploads the whole workbook again. The parser recognises the
//! added column by its header and ignores it (`parse::is_annotation_header`).
//!
//! Rows are placed on the spreadsheet rows the report names, so "dòng 12"
//! in the report is row 12 here too. Written row by row (constant memory):
//! a roll of half a million rows costs a temporary file, not its size in RAM.

use super::parse::{
    is_annotation_header, sheet_records, FileError, ProblemCode, SheetRecord, ANNOTATION_HEADER,
};
use super::report::{ImportReport, Issue, RejectedRow};
use super::workbook::roll_text_of_sheet;
use rust_xlsxwriter::{Color, Format, FormatAlign, Workbook, Worksheet, XlsxError};
use std::collections::BTreeMap;

/// The media type of an `.xlsx` workbook.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Excel's limit on a cell's text, in UTF-16 units (kept in characters, below it).
const CELL_CHARS_MAX: usize = 32_000;
/// Excel's last column is XFD (16,384 columns); the annotation needs one.
const COLUMNS_MAX: usize = 16_383;

#[derive(Debug, thiserror::Error)]
pub enum AnnotateError {
    /// The stored file cannot be read again (it was read when it was uploaded).
    #[error("{0}")]
    File(#[from] FileError),
    #[error("không ghi được tệp Excel / the workbook could not be written: {0}")]
    Write(#[from] XlsxError),
}

/// `danh-sach.csv` → `danh-sach-loi.xlsx` ("lỗi": errors).
pub fn annotated_file_name(original: &str) -> String {
    let stem = match original.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => original,
    };
    let stem = if stem.is_empty() { "danh-sach" } else { stem };
    format!("{stem}-loi.xlsx")
}

/// The annotated workbook of an upload: `original` is the file as stored,
/// `report` its import report.
pub fn annotated_workbook(
    original: &[u8],
    report: &ImportReport,
) -> Result<Vec<u8>, AnnotateError> {
    let text = roll_text_of_sheet(original, report.sheet.as_deref())?;
    let notes = notes_by_line(report);
    let shape = measure(&text, report)?;
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name("Danh sách")?;
    prepare_columns(sheet, &shape, &formats)?;
    sheet_records::<AnnotateError>(&text, report.kind, |layout, record| {
        let row_notes = notes.get(&record.line);
        if record.line == layout.header_line {
            write_header(sheet, &record, &shape, &formats)
        } else {
            write_row(sheet, &record, row_notes, &shape, &formats)
        }
    })?;
    Ok(workbook.save_to_buffer()?)
}

/// What the report says of one line.
#[derive(Default)]
struct RowNotes {
    errors: Vec<String>,
    warnings: Vec<String>,
}

impl RowNotes {
    fn text(&self) -> String {
        let errors = self.errors.iter().map(|e| format!("Lỗi/Error: {e}"));
        let warnings = self
            .warnings
            .iter()
            .map(|w| format!("Cảnh báo/Warning: {w}"));
        errors.chain(warnings).collect::<Vec<_>>().join(" | ")
    }
}

fn notes_by_line(report: &ImportReport) -> BTreeMap<u64, RowNotes> {
    let mut notes: BTreeMap<u64, RowNotes> = BTreeMap::new();
    for rejected in &report.rejected {
        let row = notes.entry(rejected.line).or_default();
        row.errors.extend(rejected.problems.iter().map(issue_text));
        if rejected.problems.is_empty() {
            row.errors.push(rejection_text(rejected));
        }
    }
    for warning in &report.warnings {
        // Lines skipped on purpose (the column-number row, signatures under
        // the totals) must stay as they are to be skipped again.
        if matches!(
            warning.code,
            ProblemCode::ColumnNumbers | ProblemCode::AfterTotals
        ) {
            continue;
        }
        notes
            .entry(warning.line)
            .or_default()
            .warnings
            .push(issue_text(warning));
    }
    notes
}

/// An issue without its line (the row says it): reason in Vietnamese, the
/// column and the value, then the reason in English.
fn issue_text(issue: &Issue) -> String {
    let mut text = issue.reason_vi.clone();
    match (&issue.column, &issue.value) {
        (Some(column), Some(value)) => text.push_str(&format!(
            " — cột/column \"{column}\", giá trị/value \"{value}\""
        )),
        (Some(column), None) => text.push_str(&format!(" — cột/column \"{column}\"")),
        (None, Some(value)) => text.push_str(&format!(" — giá trị/value \"{value}\"")),
        (None, None) => {}
    }
    text.push_str(" / ");
    text.push_str(&issue.reason_en);
    text
}

fn rejection_text(rejected: &RejectedRow) -> String {
    format!("dòng bị từ chối / row rejected ({:?})", rejected.code)
}

/// The columns of the sheet: where the officer's cells end and the annotation goes.
struct Shape {
    /// The column of the annotation: the file's own `Lỗi / Error` column
    /// when it has one (an annotated roll annotated again), else the first
    /// column after every cell.
    annotation: usize,
    /// The header row, 0-based.
    header_row: u32,
}

/// Reads the records once to place the annotation column.
fn measure(text: &[u8], report: &ImportReport) -> Result<Shape, AnnotateError> {
    let mut width = 0usize;
    let mut existing = None;
    let layout = sheet_records::<AnnotateError>(text, report.kind, |layout, record| {
        if record.line == layout.header_line {
            existing = record.cells.iter().position(is_annotation_header);
        }
        let filled = record
            .cells
            .iter()
            .enumerate()
            .filter(|(_, cell)| !cell.trim().is_empty())
            .last()
            .map_or(0, |(last, _)| last + 1);
        width = width.max(filled);
        Ok(())
    })?;
    Ok(Shape {
        annotation: existing.unwrap_or(width).min(COLUMNS_MAX),
        header_row: sheet_row(layout.header_row),
    })
}

fn sheet_row(row: u64) -> u32 {
    u32::try_from(row.saturating_sub(1)).unwrap_or(u32::MAX)
}

struct Formats {
    text: Format,
    header: Format,
    error: Format,
    warning: Format,
    note_error: Format,
    note_warning: Format,
}

impl Formats {
    fn new() -> Formats {
        // Text, so that a fixed ID typed into the cell keeps its leading zero.
        let text = Format::new().set_num_format("@");
        let error_fill = |f: Format| {
            f.set_background_color(Color::RGB(0xFFC7CE))
                .set_font_color(Color::RGB(0x9C0006))
        };
        let warning_fill = |f: Format| {
            f.set_background_color(Color::RGB(0xFFEB9C))
                .set_font_color(Color::RGB(0x9C5700))
        };
        let note = text.clone().set_text_wrap().set_align(FormatAlign::Top);
        Formats {
            header: text
                .clone()
                .set_bold()
                .set_background_color(Color::RGB(0xD9E1F2)),
            error: error_fill(text.clone()),
            warning: warning_fill(text.clone()),
            note_error: error_fill(note.clone()),
            note_warning: warning_fill(note),
            text,
        }
    }
}

fn prepare_columns(
    sheet: &mut Worksheet,
    shape: &Shape,
    formats: &Formats,
) -> Result<(), XlsxError> {
    for column in 0..shape.annotation {
        let column = column as u16;
        sheet.set_column_format(column, &formats.text)?;
        sheet.set_column_width(column, 16)?;
    }
    let annotation = shape.annotation as u16;
    sheet.set_column_format(annotation, &formats.text)?;
    sheet.set_column_width(annotation, 90)?;
    sheet.set_freeze_panes(shape.header_row + 1, 0)?;
    Ok(())
}

fn write_header(
    sheet: &mut Worksheet,
    record: &SheetRecord<'_>,
    shape: &Shape,
    formats: &Formats,
) -> Result<(), AnnotateError> {
    let row = sheet_row(record.row);
    for (column, cell) in officer_cells(record, shape) {
        sheet.write_string_with_format(row, column, cell.as_ref(), &formats.header)?;
    }
    sheet.write_string_with_format(
        row,
        shape.annotation as u16,
        ANNOTATION_HEADER,
        &formats.header,
    )?;
    Ok(())
}

fn write_row(
    sheet: &mut Worksheet,
    record: &SheetRecord<'_>,
    notes: Option<&RowNotes>,
    shape: &Shape,
    formats: &Formats,
) -> Result<(), AnnotateError> {
    if record.cells.iter().all(|cell| cell.trim().is_empty()) && notes.is_none() {
        return Ok(());
    }
    let row = sheet_row(record.row);
    let (format, note_format) = match notes {
        Some(notes) if !notes.errors.is_empty() => (&formats.error, &formats.note_error),
        Some(_) => (&formats.warning, &formats.note_warning),
        None => (&formats.text, &formats.text),
    };
    if notes.is_some() {
        // The whole row coloured, not only its filled cells.
        for column in 0..shape.annotation as u16 {
            sheet.write_blank(row, column, format)?;
        }
    }
    for (column, cell) in officer_cells(record, shape) {
        sheet.write_string_with_format(row, column, cell.as_ref(), format)?;
    }
    if let Some(notes) = notes {
        let text = truncated(&notes.text());
        sheet.write_string_with_format(row, shape.annotation as u16, &text, note_format)?;
    }
    Ok(())
}

/// The officer's non-empty cells of a record with their columns, the old
/// annotation (of a roll annotated before) left out.
fn officer_cells<'r>(
    record: &'r SheetRecord<'_>,
    shape: &'r Shape,
) -> impl Iterator<Item = (u16, std::borrow::Cow<'r, str>)> + 'r {
    record
        .cells
        .iter()
        .enumerate()
        .take(COLUMNS_MAX)
        .filter(|(column, cell)| *column != shape.annotation && !cell.is_empty())
        .map(|(column, cell)| (column as u16, truncated_cow(cell)))
}

fn truncated_cow(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.len() <= CELL_CHARS_MAX {
        std::borrow::Cow::Borrowed(cell)
    } else {
        std::borrow::Cow::Owned(truncated(cell))
    }
}

fn truncated(text: &str) -> String {
    text.chars().take(CELL_CHARS_MAX).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_says_errors() {
        assert_eq!(annotated_file_name("danh-sach.csv"), "danh-sach-loi.xlsx");
        assert_eq!(annotated_file_name("a.b.xlsx"), "a.b-loi.xlsx");
        assert_eq!(annotated_file_name("roll"), "roll-loi.xlsx");
        assert_eq!(annotated_file_name(""), "danh-sach-loi.xlsx");
    }
}
