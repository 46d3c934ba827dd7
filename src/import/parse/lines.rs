//! Records and physical lines: the CSV reader every pass uses, blank records, and the
//! line numbers an officer sees in the spreadsheet, counted from byte offsets (memchr).

pub(super) fn csv_reader(data: &[u8], delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(data)
}

/// Physical line numbers of record starts. The csv crate's own line counter lags by the
/// line ending and blank lines, so lines are counted here from byte offsets, once over
/// the file (the records arrive in order).
pub(super) struct Lines<'a> {
    data: &'a [u8],
    break_byte: u8,
    cursor: usize,
    line: u64,
    first_line: u64,
}

impl<'a> Lines<'a> {
    pub(super) fn new(data: &'a [u8], first_line: u64) -> Lines<'a> {
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
    pub(super) fn line_of(&mut self, position: usize) -> u64 {
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
pub(super) fn line_break_byte(data: &[u8]) -> u8 {
    if !data.contains(&b'\n') && data.contains(&b'\r') {
        b'\r'
    } else {
        b'\n'
    }
}

pub(super) fn count_byte(haystack: &[u8], needle: u8) -> u64 {
    memchr::memchr_iter(needle, haystack).count() as u64
}

/// Whether a record is blank, given its cells one after another: their
/// concatenation is blank exactly when every cell is.
pub(super) fn is_blank(cells: &str) -> bool {
    cells.trim().is_empty()
}
