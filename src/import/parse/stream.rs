//! The streaming reader: [`read_approvals`] and [`read_payments`] check the file as a
//! whole (size, not a workbook, UTF-8 by a SIMD check, header), then [`Roll`] yields one
//! [`Record`] at a time straight from the bytes, reusing one [`TextRecord`].

use super::cells::RowCtx;
use super::errors::FileError;
use super::fields::{Field, RollKind};
use super::header::{build_columns, find_header, strip_sep_line, Columns};
use super::lines::{count_byte, csv_reader, is_blank, line_break_byte, Lines};
use super::problems::{Problem, ProblemCode};
use super::rows::{
    parse_approval, parse_payment, ApprovalRow, ControlTotals, HeaderReport, Parsed, PaymentRow,
    Record,
};
use super::text_record::TextRecord;
use super::totals::{detect_totals, is_column_numbers};
use super::{FILE_BYTES_MAX, ROWS_MAX};

type RowParser<R> = fn(&mut RowCtx<'_>) -> Option<R>;

/// A roll being read: iterate it for [`Record`]s (see the module documentation).
pub struct Roll<'a, R> {
    pub header: HeaderReport,
    reader: csv::Reader<&'a [u8]>,
    record: TextRecord,
    lines: Lines<'a>,
    columns: Columns,
    parse_row: RowParser<R>,
    records_after_header: usize,
    pub(super) rows_max: usize,
    after_totals: bool,
    /// Rows of people yielded (accepted or rejected): none at the end refuses the file.
    people_rows: usize,
    /// The byte that ends lines in this file.
    break_byte: u8,
    /// Line breaks inside quoted cells of the records read so far: each makes
    /// the file's lines run one ahead of the spreadsheet's rows.
    breaks_in_cells: u64,
    /// (line, spreadsheet row) of every record after the first cell holding a
    /// line break; empty for most files.
    sheet_rows: Vec<(u64, u64)>,
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

    /// Recognised columns in file order: (header as in the file, canonical
    /// field name, 1-based column in the file, counting ignored columns).
    pub fn column_positions(&self) -> Vec<(String, String, usize)> {
        column_positions(&self.columns)
    }

    /// The 0-based column of `field` in the file, when it has one.
    pub fn column_index(&self, field: Field) -> Option<usize> {
        self.columns.index(field)
    }

    /// (physical line, spreadsheet row) of each record read whose row in a
    /// spreadsheet differs from its line in the file (a cell above it holds a
    /// line break), in line order. Empty when no cell holds a line break.
    pub fn take_sheet_rows(&mut self) -> Vec<(u64, u64)> {
        std::mem::take(&mut self.sheet_rows)
    }

    /// Non-blank lines read after the header so far (rows, totals, ignored lines).
    pub fn records_read(&self) -> usize {
        self.records_after_header
    }

    /// Reads the next non-blank record into `self.record`; its line, or `None` at the end.
    /// An error (unreadable record, [`ROWS_MAX`] passed) ends the stream.
    fn read_next(&mut self) -> Option<Result<u64, FileError>> {
        while !self.finished {
            match self.record.read(&mut self.reader) {
                Ok(true) => {}
                Ok(false) => {
                    self.finished = true;
                    return None;
                }
                Err(error) => {
                    self.finished = true;
                    let line = self.lines.line_of(error.byte());
                    return Some(Err(FileError::Malformed {
                        line,
                        detail: error.to_string(),
                    }));
                }
            }
            let line = self.lines.line_of(self.record.start_byte());
            if self.breaks_in_cells > 0 {
                self.sheet_rows.push((line, line - self.breaks_in_cells));
            }
            self.breaks_in_cells += breaks_in(&self.record, self.break_byte);
            if is_blank(self.record.as_slice()) {
                continue;
            }
            self.records_after_header += 1;
            if self.records_after_header > self.rows_max {
                self.finished = true;
                return Some(Err(FileError::TooManyRows { line }));
            }
            return Some(Ok(line));
        }
        None
    }

    /// What the record just read is: a line to skip, a totals row, or a row.
    /// (Typed as the iterator's item, so that the large record is built in place.)
    fn classify(&mut self, line: u64) -> Option<Result<Record<R>, FileError>> {
        if self.records_after_header == 1 && is_column_numbers(&self.record) {
            return Some(Ok(Record::Ignored(Problem::row(
                line,
                ProblemCode::ColumnNumbers,
                "ignored: the row of column numbers under the header".to_string(),
                "bỏ qua: dòng đánh số thứ tự cột dưới dòng tiêu đề".to_string(),
            ))));
        }
        if let Some(totals) = detect_totals(&self.columns, &self.record, line) {
            if let Record::Totals(ControlTotals {
                subtotal: false, ..
            }) = totals
            {
                self.after_totals = true;
            }
            return Some(Ok(totals));
        }
        let id_empty = self
            .columns
            .text(&self.record, Field::NationalId)
            .is_empty();
        if self.after_totals && id_empty {
            return Some(Ok(Record::Ignored(Problem::row(
                line,
                ProblemCode::AfterTotals,
                "ignored: a line after the totals row without a national ID (signatures, place and date)"
                    .to_string(),
                "bỏ qua: dòng sau dòng tổng cộng, không có số CCCD/CMND (chữ ký, địa danh, ngày tháng)"
                    .to_string(),
            ))));
        }
        self.parse_record(line)
    }

    /// A beneficiary's row: accepted with its warnings, or rejected with every problem.
    fn parse_record(&self, line: u64) -> Option<Result<Record<R>, FileError>> {
        let columns = &self.columns;
        let record = &self.record;
        let mut ctx = RowCtx {
            record,
            columns,
            line,
            problems: Vec::new(),
            warnings: Vec::new(),
            keep_free_text: self.keep_free_text,
            missing_past_end: Vec::new(),
        };
        ctx.check_shape();
        if self.after_totals {
            ctx.warnings.push(Problem::row(
                line,
                ProblemCode::AfterTotalsRow,
                "this row comes after the totals row: check that the totals include it".to_string(),
                "dòng này nằm sau dòng tổng cộng: hãy kiểm tra số tổng cộng đã tính dòng này chưa"
                    .to_string(),
            ));
        }
        let parsed = (self.parse_row)(&mut ctx);
        ctx.check_short_row();
        if !ctx.problems.is_empty() && record.len() > columns.width {
            // Rejected anyway: the shift is the likely cause, say so.
            ctx.extra_values();
        }
        let RowCtx {
            mut problems,
            warnings,
            ..
        } = ctx;
        Some(Ok(match parsed {
            Some(row) if problems.is_empty() => Record::Row(Parsed { row, warnings }),
            _ => {
                if problems.is_empty() {
                    problems.push(Problem::row(
                        line,
                        ProblemCode::UnreadableRow,
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
        }))
    }
}

impl<R> Iterator for Roll<'_, R> {
    type Item = Result<Record<R>, FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        let was_finished = self.finished;
        match self.read_next() {
            Some(Ok(line)) => {
                let record = self.classify(line);
                if let Some(Ok(Record::Row(_) | Record::Rejected { .. })) = &record {
                    self.people_rows += 1;
                }
                record
            }
            Some(Err(error)) => Some(Err(error)),
            None if !was_finished && self.people_rows == 0 => Some(Err(FileError::NoRows {
                header_line: self.header.header_line,
            })),
            None => None,
        }
    }
}

/// The file as a whole: refuses what cannot be a roll, finds its header, and positions
/// a reader on the first record after it.
fn open<R>(
    bytes: &[u8],
    kind: RollKind,
    parse_row: RowParser<R>,
) -> Result<Roll<'_, R>, FileError> {
    let had_bom = bytes.starts_with(b"\xEF\xBB\xBF");
    let body = check_text(bytes, had_bom)?;
    let (data, forced_delimiter, first_line) = strip_sep_line(body);
    let header = find_header(data, kind, forced_delimiter, first_line)?;
    let columns = build_columns(kind, header.delimiter, &header.cells, header.line)?;

    let mut reader = csv_reader(data, header.delimiter);
    let mut record = TextRecord::default();
    let break_byte = line_break_byte(data);
    let mut breaks_in_cells = 0;
    for _ in 0..=header.index {
        match record.read(&mut reader) {
            Ok(true) => breaks_in_cells += breaks_in(&record, break_byte),
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
    lines.line_of(record.start_byte());

    let report = HeaderReport {
        kind,
        delimiter: char::from(header.delimiter),
        had_bom,
        header_line: header.line,
        columns: recognised_columns(&columns),
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
        people_rows: 0,
        break_byte,
        breaks_in_cells,
        sheet_rows: Vec::new(),
        finished: false,
        keep_free_text: true,
    })
}

/// The text after the byte order mark, once the file is known to be UTF-8 text with
/// something in it: not too large, not a workbook, not UTF-16, not a legacy encoding.
fn check_text(bytes: &[u8], had_bom: bool) -> Result<&[u8], FileError> {
    if bytes.len() > FILE_BYTES_MAX {
        return Err(FileError::TooLarge { bytes: bytes.len() });
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(zip_kind(bytes));
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(FileError::Spreadsheet { format: "xls" });
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(FileError::Utf16);
    }
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
    if let Some(offset) = memchr::memchr(0, body) {
        return Err(if looks_utf16(body) {
            FileError::Utf16
        } else {
            FileError::NulByte {
                byte_offset: bom_len + offset,
                line: 1 + count_byte(&body[..offset], line_break_byte(body)),
            }
        });
    }
    if body
        .iter()
        .all(|b| b.is_ascii_whitespace() || matches!(b, b',' | b';' | b'"'))
    {
        return Err(FileError::Empty);
    }
    Ok(body)
}

/// Line breaks inside the cells of a record (the csv reader keeps them in the cell).
fn breaks_in(record: &TextRecord, break_byte: u8) -> u64 {
    count_byte(record.as_slice().as_bytes(), break_byte)
}

/// A ZIP file: an Excel or LibreOffice workbook (named by the entries every
/// such file has near its start), or any other archive.
fn zip_kind(bytes: &[u8]) -> FileError {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let has = |needle: &[u8]| memchr::memmem::find(head, needle).is_some();
    if has(b"opendocument.spreadsheet") {
        FileError::Spreadsheet { format: "ods" }
    } else if has(b"[Content_Types].xml") || has(b"xl/") {
        FileError::Spreadsheet { format: "xlsx" }
    } else {
        FileError::Archive
    }
}

/// UTF-16 without a byte order mark: ASCII characters come with NUL bytes,
/// every other byte of the first line. At least 3 of its first 4 pairs are
/// one NUL and one other byte.
fn looks_utf16(body: &[u8]) -> bool {
    let pairs = body.chunks_exact(2).take(4);
    let count = pairs.len();
    let mixed = pairs.filter(|p| (p[0] == 0) != (p[1] == 0)).count();
    count >= 2 && mixed * 4 >= count * 3
}

/// Recognised columns in file order: (header as in the file, canonical field name).
fn recognised_columns(columns: &Columns) -> Vec<(String, String)> {
    column_positions(columns)
        .into_iter()
        .map(|(text, name, _)| (text, name))
        .collect()
}

/// Recognised columns in file order, with their 1-based column in the file.
fn column_positions(columns: &Columns) -> Vec<(String, String, usize)> {
    columns
        .headers
        .iter()
        .enumerate()
        .filter_map(|(index, text)| {
            Field::ALL_SLOTS
                .iter()
                .find(|f| columns.slot[f.slot()] == Some(index))
                .map(|f| (text.clone(), f.name().to_string(), index + 1))
        })
        .collect()
}
