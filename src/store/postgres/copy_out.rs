//! PostgreSQL: a scan's many rows read as a binary `COPY … TO STDOUT`
//! instead of a query's result. A query's rows each become a `PgRow`,
//! whose columns are checked against their types and decoded one by one;
//! a `COPY`'s tuples are read here in place, each field by its length,
//! through the same mappers ([`CopyRow`] is a [`StoreRow`]).
//!
//! The format (PostgreSQL's `COPY` documentation, "Binary Format"): an
//! 11-byte signature, flags and a header extension; then each tuple as a
//! 16-bit field count and, per field, a 32-bit length (−1 for NULL) and
//! that many bytes in the type's binary form; then a count of −1.

use crate::store::rows::{Column, StoreRow};
use crate::store::{StoreError, StoreResult};
use futures_util::TryStreamExt;
use sqlx::PgConnection;

const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";
/// Bit 16 of the flags: OIDs are included (never asked for here).
const FLAG_WITH_OIDS: u32 = 1 << 16;
/// The widest row read this way (`person_balances`, 11 columns).
const COLUMNS_MAX: usize = 16;
/// The longest field accepted: a scan's texts are names, accounts and
/// lists of refused lines, far shorter.
const FIELD_BYTES_MAX: usize = 16 << 20;

/// Runs `query` (a `SELECT` without parameters) as a binary `COPY` on
/// `conn` and hands each row to `each`, in order. `columns` names the
/// query's columns, in order: the mappers read by position and name.
pub async fn copy_rows(
    conn: &mut PgConnection,
    query: &str,
    columns: &[&str],
    mut each: impl FnMut(&CopyRow<'_>) -> StoreResult<()>,
) -> StoreResult<()> {
    assert!(columns.len() <= COLUMNS_MAX, "too many columns for a copy");
    let statement = format!("COPY ({query}) TO STDOUT (FORMAT binary)");
    let mut chunks = conn.copy_out_raw(&statement).await?;
    let mut reader = TupleReader::new(columns);
    // PostgreSQL sends a tuple a message; the reader keeps what a message
    // ends with that the next one completes.
    while let Some(chunk) = chunks.try_next().await? {
        reader.feed(&chunk, &mut each)?;
    }
    reader.finish()
}

/// One tuple of a binary `COPY`: its fields' bytes, `None` for NULL.
pub struct CopyRow<'a> {
    columns: &'a [&'a str],
    fields: [Option<&'a [u8]>; COLUMNS_MAX],
}

impl CopyRow<'_> {
    fn field(&self, index: usize) -> Option<&[u8]> {
        self.fields[index]
    }
}

impl StoreRow for CopyRow<'_> {
    fn get<T: Column>(&self, column: &str) -> Result<T, sqlx::Error> {
        let index = self
            .columns
            .iter()
            .position(|c| *c == column)
            .ok_or_else(|| sqlx::Error::ColumnNotFound(column.to_string()))?;
        T::from_copy(self.field(index)).map_err(|why| decode_error(column, why))
    }

    fn at<T: Column>(&self, index: usize, column: &str) -> Result<T, sqlx::Error> {
        debug_assert_eq!(self.columns.get(index), Some(&column));
        if index >= self.columns.len() {
            return Err(sqlx::Error::ColumnIndexOutOfBounds {
                index,
                len: self.columns.len(),
            });
        }
        T::from_copy(self.field(index)).map_err(|why| decode_error(column, why))
    }
}

fn decode_error(column: &str, why: String) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: why.into(),
    }
}

/// A value as a binary `COPY` writes it.
pub trait CopyValue: Sized {
    fn from_copy(field: Option<&[u8]>) -> Result<Self, String>;
}

fn not_null(field: Option<&[u8]>) -> Result<&[u8], String> {
    field.ok_or_else(|| "unexpected NULL".to_string())
}

fn fixed<const N: usize>(field: Option<&[u8]>) -> Result<[u8; N], String> {
    let bytes = not_null(field)?;
    bytes
        .try_into()
        .map_err(|_| format!("{} bytes where {N} were expected", bytes.len()))
}

impl CopyValue for i64 {
    fn from_copy(field: Option<&[u8]>) -> Result<i64, String> {
        fixed::<8>(field).map(i64::from_be_bytes)
    }
}

impl CopyValue for i32 {
    fn from_copy(field: Option<&[u8]>) -> Result<i32, String> {
        fixed::<4>(field).map(i32::from_be_bytes)
    }
}

impl CopyValue for bool {
    fn from_copy(field: Option<&[u8]>) -> Result<bool, String> {
        fixed::<1>(field).map(|[byte]| byte != 0)
    }
}

impl CopyValue for String {
    fn from_copy(field: Option<&[u8]>) -> Result<String, String> {
        let bytes = not_null(field)?;
        std::str::from_utf8(bytes)
            .map(str::to_string)
            .map_err(|e| format!("not UTF-8: {e}"))
    }
}

impl CopyValue for Vec<u8> {
    fn from_copy(field: Option<&[u8]>) -> Result<Vec<u8>, String> {
        not_null(field).map(<[u8]>::to_vec)
    }
}

impl<T: CopyValue> CopyValue for Option<T> {
    fn from_copy(field: Option<&[u8]>) -> Result<Option<T>, String> {
        field.map(|bytes| T::from_copy(Some(bytes))).transpose()
    }
}

/// Reads tuples from the chunks of a binary `COPY`, however they are cut.
struct TupleReader<'c> {
    columns: &'c [&'c str],
    header_read: bool,
    trailer_read: bool,
    /// The start of a tuple (or the header) that the last chunk cut.
    pending: Vec<u8>,
    /// Tuples read, for the place of a fault.
    tuples: u64,
}

/// What [`TupleReader::parse`] found at the start of its bytes.
enum Parsed {
    /// A tuple of this many bytes, its fields put in place.
    Tuple(usize),
    Trailer(usize),
    /// The bytes end before the tuple does.
    Incomplete,
}

impl<'c> TupleReader<'c> {
    fn new(columns: &'c [&'c str]) -> TupleReader<'c> {
        TupleReader {
            columns,
            header_read: false,
            trailer_read: false,
            pending: Vec::new(),
            tuples: 0,
        }
    }

    fn feed(
        &mut self,
        chunk: &[u8],
        each: &mut impl FnMut(&CopyRow<'_>) -> StoreResult<()>,
    ) -> StoreResult<()> {
        if self.pending.is_empty() {
            let used = self.consume(chunk, each)?;
            self.pending.extend_from_slice(&chunk[used..]);
        } else {
            let mut bytes = std::mem::take(&mut self.pending);
            bytes.extend_from_slice(chunk);
            let used = self.consume(&bytes, each)?;
            bytes.drain(..used);
            self.pending = bytes;
        }
        Ok(())
    }

    /// Reads what `bytes` holds whole; returns how many bytes that was.
    fn consume(
        &mut self,
        bytes: &[u8],
        each: &mut impl FnMut(&CopyRow<'_>) -> StoreResult<()>,
    ) -> StoreResult<usize> {
        let mut used = 0;
        if !self.header_read {
            match header_length(bytes)? {
                Some(length) => {
                    self.header_read = true;
                    used = length;
                }
                None => return Ok(0),
            }
        }
        loop {
            let rest = &bytes[used..];
            if rest.is_empty() {
                return Ok(used);
            }
            if self.trailer_read {
                return Err(self.fault("data after the end of the copy"));
            }
            let mut fields = [None; COLUMNS_MAX];
            match self.parse(rest, &mut fields)? {
                Parsed::Tuple(length) => {
                    each(&CopyRow {
                        columns: self.columns,
                        fields,
                    })?;
                    self.tuples += 1;
                    used += length;
                }
                Parsed::Trailer(length) => {
                    self.trailer_read = true;
                    used += length;
                }
                Parsed::Incomplete => return Ok(used),
            }
        }
    }

    /// Reads the tuple at the start of `bytes` into `fields`.
    fn parse<'a>(
        &self,
        bytes: &'a [u8],
        fields: &mut [Option<&'a [u8]>; COLUMNS_MAX],
    ) -> StoreResult<Parsed> {
        let Some(count) = bytes.get(..2) else {
            return Ok(Parsed::Incomplete);
        };
        let count = i16::from_be_bytes([count[0], count[1]]);
        if count == -1 {
            return Ok(Parsed::Trailer(2));
        }
        if usize::try_from(count).ok() != Some(self.columns.len()) {
            return Err(self.fault(&format!(
                "{count} fields where {} were expected",
                self.columns.len()
            )));
        }
        let mut at = 2;
        for field in fields.iter_mut().take(self.columns.len()) {
            let Some(length) = bytes.get(at..at + 4) else {
                return Ok(Parsed::Incomplete);
            };
            let length = i32::from_be_bytes([length[0], length[1], length[2], length[3]]);
            at += 4;
            if length == -1 {
                continue;
            }
            let length = usize::try_from(length)
                .ok()
                .filter(|l| *l <= FIELD_BYTES_MAX)
                .ok_or_else(|| self.fault(&format!("a field of length {length}")))?;
            let Some(value) = bytes.get(at..at + length) else {
                return Ok(Parsed::Incomplete);
            };
            *field = Some(value);
            at += length;
        }
        Ok(Parsed::Tuple(at))
    }

    fn finish(self) -> StoreResult<()> {
        if self.trailer_read && self.pending.is_empty() {
            Ok(())
        } else {
            Err(self.fault("the copy ended before its end mark"))
        }
    }

    fn fault(&self, why: &str) -> StoreError {
        StoreError::Corrupt(format!(
            "a binary COPY from PostgreSQL, after {} rows: {why}",
            self.tuples
        ))
    }
}

/// The length of the header at the start of `bytes`; `None` when `bytes`
/// ends first.
fn header_length(bytes: &[u8]) -> StoreResult<Option<usize>> {
    let fault = |why: &str| StoreError::Corrupt(format!("a binary COPY from PostgreSQL: {why}"));
    let Some(fixed) = bytes.get(..19) else {
        return Ok(None);
    };
    if &fixed[..11] != SIGNATURE {
        return Err(fault("no binary COPY signature"));
    }
    let flags = u32::from_be_bytes([fixed[11], fixed[12], fixed[13], fixed[14]]);
    if flags & FLAG_WITH_OIDS != 0 {
        return Err(fault("rows with OIDs"));
    }
    let extension = u32::from_be_bytes([fixed[15], fixed[16], fixed[17], fixed[18]]);
    let extension = usize::try_from(extension)
        .ok()
        .filter(|l| *l <= FIELD_BYTES_MAX)
        .ok_or_else(|| fault("a header extension too long"))?;
    if bytes.len() < 19 + extension {
        return Ok(None);
    }
    Ok(Some(19 + extension))
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[&str] = &["seq", "name", "note"];

    fn header() -> Vec<u8> {
        let mut bytes = SIGNATURE.to_vec();
        bytes.extend_from_slice(&0u32.to_be_bytes());
        bytes.extend_from_slice(&0u32.to_be_bytes());
        bytes
    }

    fn tuple(seq: i64, name: &str, note: Option<&str>) -> Vec<u8> {
        let mut bytes = 3i16.to_be_bytes().to_vec();
        bytes.extend_from_slice(&8i32.to_be_bytes());
        bytes.extend_from_slice(&seq.to_be_bytes());
        bytes.extend_from_slice(&(name.len() as i32).to_be_bytes());
        bytes.extend_from_slice(name.as_bytes());
        match note {
            Some(note) => {
                bytes.extend_from_slice(&(note.len() as i32).to_be_bytes());
                bytes.extend_from_slice(note.as_bytes());
            }
            None => bytes.extend_from_slice(&(-1i32).to_be_bytes()),
        }
        bytes
    }

    fn copy_of(tuples: &[Vec<u8>]) -> Vec<u8> {
        let mut bytes = header();
        for t in tuples {
            bytes.extend_from_slice(t);
        }
        bytes.extend_from_slice(&(-1i16).to_be_bytes());
        bytes
    }

    type Read = (i64, String, Option<String>);

    /// Feeds `bytes` cut every `cut` bytes; the rows read, or the fault.
    fn read(bytes: &[u8], cut: usize) -> StoreResult<Vec<Read>> {
        let mut rows = Vec::new();
        let mut reader = TupleReader::new(COLUMNS);
        let mut each = |row: &CopyRow<'_>| -> StoreResult<()> {
            rows.push((row.at(0, "seq")?, row.at(1, "name")?, row.get("note")?));
            Ok(())
        };
        for chunk in bytes.chunks(cut) {
            reader.feed(chunk, &mut each)?;
        }
        reader.finish()?;
        Ok(rows)
    }

    #[test]
    fn tuples_are_read_however_the_messages_cut_them() {
        let bytes = copy_of(&[
            tuple(1, "Nguyễn Văn An", None),
            tuple(-2, "", Some("dòng 7")),
        ]);
        let expected = vec![
            (1, "Nguyễn Văn An".to_string(), None),
            (-2, String::new(), Some("dòng 7".to_string())),
        ];
        for cut in [1, 2, 3, 7, 19, 20, bytes.len()] {
            assert_eq!(
                read(&bytes, cut).unwrap(),
                expected,
                "cut every {cut} bytes"
            );
        }
    }

    #[test]
    fn a_copy_cut_short_is_refused() {
        let bytes = copy_of(&[tuple(1, "An", None)]);
        for end in [0, 10, 19, 25, bytes.len() - 1] {
            let error = read(&bytes[..end], 4).unwrap_err().to_string();
            assert!(error.contains("before its end mark"), "{end}: {error}");
        }
    }

    #[test]
    fn malformed_copies_are_refused_with_what_was_wrong() {
        let mut unsigned = copy_of(&[]);
        unsigned[0] = b'X';
        let mut two_fields = copy_of(&[tuple(1, "An", None)]);
        two_fields[19..21].copy_from_slice(&2i16.to_be_bytes());
        let mut short_integer = header();
        short_integer.extend_from_slice(&3i16.to_be_bytes());
        short_integer.extend_from_slice(&4i32.to_be_bytes());
        short_integer.extend_from_slice(&1i32.to_be_bytes());
        short_integer.extend_from_slice(&tuple(1, "An", None)[14..]);
        short_integer.extend_from_slice(&(-1i16).to_be_bytes());
        let mut after_end = copy_of(&[]);
        after_end.extend_from_slice(&tuple(1, "An", None));
        let mut null_seq = header();
        null_seq.extend_from_slice(&3i16.to_be_bytes());
        for _ in 0..3 {
            null_seq.extend_from_slice(&(-1i32).to_be_bytes());
        }
        null_seq.extend_from_slice(&(-1i16).to_be_bytes());
        let mut huge = copy_of(&[tuple(1, "An", None)]);
        huge[33..37].copy_from_slice(&i32::MAX.to_be_bytes());
        for (bytes, why) in [
            (unsigned, "signature"),
            (two_fields, "2 fields where 3 were expected"),
            (short_integer, "where 8 were expected"),
            (after_end, "after the end"),
            (null_seq, "unexpected NULL"),
            (huge, "a field of length"),
        ] {
            let error = read(&bytes, bytes.len()).unwrap_err().to_string();
            assert!(error.contains(why), "expected '{why}' in: {error}");
        }
    }

    #[test]
    fn a_text_that_is_not_utf8_is_refused() {
        let mut bytes = copy_of(&[tuple(1, "An", None)]);
        bytes[37] = 0xff;
        let error = read(&bytes, bytes.len()).unwrap_err().to_string();
        assert!(error.contains("not UTF-8"), "{error}");
    }
}
