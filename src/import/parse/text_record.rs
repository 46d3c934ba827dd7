//! One record of a roll as text, read again and again into the same buffers.

use std::fmt;

/// A record's cells as text. The csv crate's `StringRecord` checks each
/// cell of a record that is not all ASCII on its own (a Vietnamese roll's
/// every record: about a tenth of reading a roll, in the standard library's
/// check, which takes text that is not ASCII a byte at a time); here the
/// record's bytes are checked in one pass (SIMD), and each cell is a slice
/// of that text. Cells
/// end at delimiters and quotes, which are ASCII, so the cells of valid
/// text are valid text.
#[derive(Debug, Default)]
pub(super) struct TextRecord {
    bytes: csv::ByteRecord,
    text: String,
}

/// A record that could not be read.
#[derive(Debug)]
pub(super) enum RecordError {
    Csv(csv::Error),
    /// The record's bytes are not UTF-8 text (a file is checked whole
    /// first: this is a second line of defence).
    NotText {
        byte: usize,
    },
}

impl TextRecord {
    /// Reads the next record of `reader`; `Ok(false)` at the end.
    pub(super) fn read(&mut self, reader: &mut csv::Reader<&[u8]>) -> Result<bool, RecordError> {
        self.text.clear();
        if !reader
            .read_byte_record(&mut self.bytes)
            .map_err(RecordError::Csv)?
        {
            return Ok(false);
        }
        let text = simdutf8::basic::from_utf8(self.bytes.as_slice()).map_err(|_| {
            RecordError::NotText {
                byte: self.start_byte(),
            }
        })?;
        self.text.push_str(text);
        Ok(true)
    }

    /// The byte offset where the record's reading began.
    pub(super) fn start_byte(&self) -> usize {
        self.bytes.position().map_or(0, |p| p.byte() as usize)
    }

    pub(super) fn len(&self) -> usize {
        self.bytes.len()
    }

    pub(super) fn get(&self, index: usize) -> Option<&str> {
        self.text.get(self.bytes.range(index)?)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|index| self.get(index).unwrap_or_default())
    }

    /// Every cell, one after another.
    pub(super) fn as_slice(&self) -> &str {
        &self.text
    }
}

impl RecordError {
    /// The byte offset the error names (0 when it names none).
    pub(super) fn byte(&self) -> usize {
        match self {
            RecordError::Csv(error) => error.position().map_or(0, |p| p.byte() as usize),
            RecordError::NotText { byte } => *byte,
        }
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::Csv(error) => error.fmt(f),
            RecordError::NotText { .. } => f.write_str("a cell is not UTF-8 text"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(data: &[u8]) -> Vec<Vec<String>> {
        let mut reader = super::super::lines::csv_reader(data, b';');
        let mut record = TextRecord::default();
        let mut all = Vec::new();
        while record.read(&mut reader).expect("readable") {
            all.push(record.iter().map(str::to_string).collect());
        }
        all
    }

    #[test]
    fn cells_are_the_text_between_delimiters_quotes_removed() {
        let data = "Họ và tên;Số CCCD\n\"Nguyễn Văn \"\"Ba\"\"\";001085012345\n;\n".as_bytes();
        assert_eq!(
            records(data),
            vec![
                vec!["Họ và tên".to_string(), "Số CCCD".to_string()],
                vec!["Nguyễn Văn \"Ba\"".to_string(), "001085012345".to_string()],
                vec![String::new(), String::new()],
            ]
        );
    }

    #[test]
    fn a_record_that_is_not_text_is_refused_with_its_offset() {
        let mut reader = super::super::lines::csv_reader(b"a;b\nc;\xff\n", b';');
        let mut record = TextRecord::default();
        assert!(record.read(&mut reader).expect("first record"));
        let error = record.read(&mut reader).expect_err("second record");
        assert_eq!(error.byte(), 4);
        assert_eq!(error.to_string(), "a cell is not UTF-8 text");
    }
}
