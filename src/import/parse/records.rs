//! Every record of a roll as the officer's spreadsheet shows it, title lines
//! and blank rows included, with the line and spreadsheet row that the import
//! report's problems name: what an annotated copy of the roll is written from
//! (`import::annotate`). The same header search, delimiter and line counting
//! as the parser, so that a problem's line finds its record.

use super::errors::FileError;
use super::fields::RollKind;
use super::header::{find_header, strip_sep_line};
use super::lines::{count_byte, csv_reader, line_break_byte, Lines};
use csv::StringRecord;

/// Where a roll's header is, and how its records are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SheetLayout {
    pub delimiter: u8,
    /// The physical line of the header row.
    pub header_line: u64,
    /// The header row as the spreadsheet shows it.
    pub header_row: u64,
    /// The line of the first record: 2 after an Excel `sep=;` line, else 1.
    pub first_line: u64,
}

/// One record: its first physical line, its spreadsheet row, its cells.
pub struct SheetRecord<'r> {
    pub line: u64,
    pub row: u64,
    pub cells: &'r StringRecord,
}

/// Calls `visit` with every record of `bytes` (a roll's text, as the parser
/// reads it), in order, blank ones included.
pub fn sheet_records<E: From<FileError>>(
    bytes: &[u8],
    kind: RollKind,
    mut visit: impl FnMut(&SheetLayout, SheetRecord<'_>) -> Result<(), E>,
) -> Result<SheetLayout, E> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let (data, forced_delimiter, first_line) = strip_sep_line(body);
    let header = find_header(data, kind, forced_delimiter, first_line)?;
    let mut layout = SheetLayout {
        delimiter: header.delimiter,
        header_line: header.line,
        header_row: header.line,
        first_line,
    };
    let mut reader = csv_reader(data, header.delimiter);
    let mut record = StringRecord::new();
    let mut lines = Lines::new(data, first_line);
    let break_byte = line_break_byte(data);
    let mut breaks_in_cells = 0;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => {
                let at = error.position().map_or(0, |p| p.byte() as usize);
                return Err(FileError::Malformed {
                    line: lines.line_of(at),
                    detail: error.to_string(),
                }
                .into());
            }
        }
        let line = lines.line_of(record.position().map_or(0, |p| p.byte() as usize));
        let row = line - breaks_in_cells;
        if line == header.line {
            layout.header_row = row;
        }
        breaks_in_cells += count_byte(record.as_slice().as_bytes(), break_byte);
        visit(
            &layout,
            SheetRecord {
                line,
                row,
                cells: &record,
            },
        )?;
    }
    Ok(layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_keep_their_lines_and_rows() {
        let text = "sep=;\nDANH SÁCH\n\nHọ và tên;Số CCCD;Mã xã;Nhóm;Số tiền;Số quyết định;Ngày quyết định\n\"An\nBình\";084078918650;29239;tu-do;1500000;1/QĐ;16/08/2021\nCư;1;2;3;4;5;6\n";
        let mut seen = Vec::new();
        let layout = sheet_records::<FileError>(text.as_bytes(), RollKind::Approvals, |_, r| {
            seen.push((r.line, r.row, r.cells.get(0).unwrap_or("").to_string()));
            Ok(())
        })
        .unwrap();
        assert_eq!(layout.delimiter, b';');
        assert_eq!((layout.header_line, layout.first_line), (4, 2));
        assert_eq!(
            seen,
            vec![
                (2, 2, "DANH SÁCH".to_string()),
                (4, 4, "Họ và tên".to_string()),
                (5, 5, "An\nBình".to_string()),
                (7, 6, "Cư".to_string()),
            ]
        );
    }
}
