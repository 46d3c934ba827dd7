//! Finding the header row: an Excel `sep=` line, the delimiter and the line among the
//! first [`HEADER_SEARCH_RECORDS`] that name the most known columns, and the [`Columns`]
//! they map to (missing, duplicate and ignored columns; garbled names).

use super::errors::FileError;
use super::fields::{header_key, match_header, Field, RollKind, FIELD_COUNT};
use super::lines::{csv_reader, is_blank, Lines};
use super::text_record::TextRecord;
use super::values::collapse_whitespace;
use super::HEADER_SEARCH_RECORDS;
use csv::StringRecord;

/// Excel writes `sep=;` as the first line when asked to; it names the delimiter.
pub(super) fn strip_sep_line(body: &[u8]) -> (&[u8], Option<u8>, u64) {
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

pub(super) struct HeaderChoice {
    pub(super) delimiter: u8,
    /// 0-based index of the header among the CSV records of the data slice.
    pub(super) index: usize,
    pub(super) line: u64,
    pub(super) cells: Vec<String>,
    score: usize,
}

/// Tries each delimiter on the first non-blank lines and keeps the (delimiter, line) that
/// names the most known columns; ties go to the earlier line, then to `,` `;` tab in order.
pub(super) fn find_header(
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
            if is_blank(record.as_slice()) {
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

/// Where each field is in a roll's records.
pub(super) struct Columns {
    pub(super) kind: RollKind,
    /// For each field (by slot), its 0-based column index.
    pub(super) slot: [Option<usize>; FIELD_COUNT],
    /// Header text per file column, whitespace collapsed.
    pub(super) headers: Vec<String>,
    pub(super) ignored: Vec<String>,
    /// Number of header cells; values beyond it are suspicious.
    pub(super) width: usize,
    pub(super) delimiter: char,
}

impl Columns {
    pub(super) fn index(&self, field: Field) -> Option<usize> {
        self.slot[field.slot()]
    }

    /// The trimmed value of a field, empty when the column is absent or the row short.
    pub(super) fn text<'r>(&self, record: &'r TextRecord, field: Field) -> &'r str {
        self.index(field)
            .and_then(|i| record.get(i))
            .map_or("", str::trim)
    }

    pub(super) fn header_of(&self, field: Field) -> String {
        match self.index(field) {
            Some(i) => self.headers[i].clone(),
            None => field.name().to_string(),
        }
    }
}

pub(super) fn build_columns(
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
            None if headers[index].is_empty() || is_annotation_header(&headers[index]) => {}
            None => ignored.push(headers[index].clone()),
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

/// The header of the column that the annotated workbook adds (`import::annotate`):
/// recognised by this exact text and ignored, so that a fixed annotated roll
/// can be uploaded as it is.
pub const ANNOTATION_HEADER: &str = "Lỗi / Error";

/// Whether a header cell is [`ANNOTATION_HEADER`] (in NFC or NFD, as macOS writes it).
pub fn is_annotation_header(text: &str) -> bool {
    let text = text.trim();
    text == ANNOTATION_HEADER || crate::domain::text::nfc(text) == ANNOTATION_HEADER
}

/// UTF-8 Vietnamese read as Windows-1252 and saved again ("mojibake").
fn looks_garbled(text: &str) -> bool {
    [
        "á»", "áº", "Æ°", "Ä‘", "Ã¡", "Ã ", "Ãª", "Ã´", "Ã¢", "Ã©", "Ã¨",
    ]
    .iter()
    .any(|pattern| text.contains(pattern))
}
