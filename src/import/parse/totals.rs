//! Lines that are not beneficiaries: the row of column numbers under a printed form's
//! header, and totals rows (`Tổng cộng`, `Cộng`, `Total`; subtotals such as `Cộng xã …`),
//! which declare the roll's control totals.

use super::header::Columns;
use super::problems::{Problem, ProblemCode};
use super::rows::{ControlTotals, Record};
use super::text_record::TextRecord;
use super::values::{collapse_whitespace, shown};
use super::Field;
use crate::domain::money::Money;
use crate::domain::text::fold_key;

/// `(1) (2) (3) …` or `A B C 1 2 3` under the header of Vietnamese forms.
pub(super) fn is_column_numbers(record: &TextRecord) -> bool {
    let mut filled = 0;
    for field in record.iter() {
        let field = field.trim();
        if field.is_empty() {
            continue;
        }
        let inner = field
            .strip_prefix('(')
            .and_then(|f| f.strip_suffix(')'))
            .unwrap_or(field);
        if inner.is_empty() || inner.len() > 3 || !inner.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return false;
        }
        filled += 1;
    }
    filled >= 3
}

/// A totals row: a label (`Tổng cộng`, `Cộng`, `Total`, `Cộng xã …`) in the STT, name or
/// first column, and no national ID (or the label itself in the ID column).
#[inline]
pub(super) fn detect_totals<R>(
    columns: &Columns,
    record: &TextRecord,
    line: u64,
) -> Option<Record<R>> {
    let (label_index, label, kind) = find_label(columns, record)?;
    let rows = declared_rows(columns, record, label_index, label);
    let amount = match declared_amount(columns, record, line) {
        Ok(amount) => amount,
        Err(problem) => {
            return Some(Record::Rejected {
                line,
                problems: vec![*problem],
                warnings: Vec::new(),
                raw: record.iter().map(str::to_string).collect(),
            })
        }
    };
    Some(Record::Totals(ControlTotals {
        line,
        label: collapse_whitespace(label),
        rows,
        amount,
        subtotal: kind == TotalsKind::Subtotal,
    }))
}

/// The totals label of a record, its column and kind: looked for in the STT, name and
/// first columns, in that order.
#[inline]
fn find_label<'r>(
    columns: &Columns,
    record: &'r TextRecord,
) -> Option<(usize, &'r str, TotalsKind)> {
    let id = columns.text(record, Field::NationalId);
    if id
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'\'')
    {
        return None;
    }
    let id_index = columns.index(Field::NationalId);
    let candidates = [
        columns.index(Field::Stt),
        columns.index(Field::FullName),
        Some(0),
    ];
    for (n, index) in candidates.iter().enumerate() {
        let Some(index) = *index else { continue };
        if candidates[..n].contains(&Some(index)) {
            continue;
        }
        if !id.is_empty() && Some(index) != id_index {
            continue;
        }
        let text = record.get(index).unwrap_or("").trim();
        if let Some(kind) = totals_label(text) {
            return Some((index, text, kind));
        }
    }
    None
}

/// The number of rows a totals row declares: a number in its label, else in the STT
/// cell, else in the name cell.
fn declared_rows(
    columns: &Columns,
    record: &TextRecord,
    label_index: usize,
    label: &str,
) -> Option<u64> {
    let stt_count = columns
        .index(Field::Stt)
        .filter(|&i| i != label_index)
        .and_then(|i| record.get(i))
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<u64>().ok());
    let name_count = columns
        .index(Field::FullName)
        .filter(|&i| i != label_index)
        .and_then(|i| record.get(i))
        .map(str::trim)
        .filter(|s| s.len() <= 40)
        .and_then(first_integer);
    first_integer(label).or(stt_count).or(name_count)
}

/// The amount a totals row declares (`None` when its cell is empty), or the
/// problem when it cannot be read.
fn declared_amount(
    columns: &Columns,
    record: &TextRecord,
    line: u64,
) -> Result<Option<Money>, Box<Problem>> {
    let amount_text = columns.text(record, Field::Amount);
    if amount_text.is_empty() {
        return Ok(None);
    }
    Money::parse(amount_text).map(Some).map_err(|error| {
        let header = columns.header_of(Field::Amount);
        Box::new(Problem {
            line,
            column: Some(header.clone()),
            column_index: columns.index(Field::Amount).map(|i| i + 1),
            field: Some(Field::Amount),
            value: Some(shown(amount_text)),
            code: ProblemCode::TotalsAmount,
            reason_en: format!("the totals row's '{header}': {}", error.reason_en()),
            reason_vi: format!("dòng tổng cộng, cột '{header}': {}", error.reason_vi()),
        })
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TotalsKind {
    Total,
    Subtotal,
}

/// Whether a cell labels a totals row: `Tổng cộng`, `TỔNG CỘNG:`, `Tổng số`, `Cộng`,
/// `Total`, `Grand total`, optionally followed by a count (`Tổng cộng: 7 người`) or a
/// place (`Tổng cộng toàn huyện`; `Cộng xã Long Đức` is a subtotal). Case and diacritics
/// do not matter. A bare `Tống`/`Tổng` followed by other words is a name (the surname
/// Tống) unless the words are a count.
pub fn is_totals_label(text: &str) -> bool {
    totals_label(text).is_some()
}

pub(super) fn totals_label(text: &str) -> Option<TotalsKind> {
    let first = text.bytes().next()?;
    if !matches!(first, b'T' | b't' | b'C' | b'c' | b'G' | b'g') || text.len() > 120 {
        return None;
    }
    let key = fold_key(text);
    let words: Vec<&str> = key.split(' ').collect();
    let (rest, bare_tong): (&[&str], bool) = match words.as_slice() {
        ["tong", "cong", rest @ ..] | ["tong", "so", rest @ ..] | ["grand", "total", rest @ ..] => {
            (rest, false)
        }
        ["cong", rest @ ..] | ["total", rest @ ..] => (rest, false),
        ["tong", rest @ ..] => (rest, true),
        _ => return None,
    };
    const COUNT_WORDS: &[&str] = &[
        "nguoi",
        "doi",
        "tuong",
        "dt",
        "ho",
        "truong",
        "hop",
        "suat",
        "so",
        "tien",
        "cong",
        "rows",
        "row",
        "people",
        "persons",
        "person",
        "beneficiaries",
    ];
    const WHOLE_WORDS: &[&str] = &["toan", "huyen", "tinh", "thanh", "district", "all"];
    const PART_WORDS: &[&str] = &["xa", "phuong", "thi", "ap", "khom", "commune"];
    let mut words = rest
        .iter()
        .filter(|w| !w.bytes().all(|b| b.is_ascii_digit()));
    match words.next() {
        None => Some(TotalsKind::Total),
        Some(word) if !bare_tong && WHOLE_WORDS.contains(word) => Some(TotalsKind::Total),
        Some(word) if !bare_tong && PART_WORDS.contains(word) => Some(TotalsKind::Subtotal),
        Some(word) => (COUNT_WORDS.contains(word) && words.all(|w| COUNT_WORDS.contains(w)))
            .then_some(TotalsKind::Total),
    }
}

/// The first whole number in a text, accepting `.` `,` or space thousands separators:
/// `Tổng cộng: 1.234 người` → 1234.
pub(super) fn first_integer(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    let start = bytes.iter().position(u8::is_ascii_digit)?;
    let mut value: u64 = 0;
    let mut i = start;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_digit() {
            value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
            i += 1;
        } else if matches!(b, b'.' | b',' | b' ')
            && bytes.len() >= i + 4
            && bytes[i + 1..i + 4].iter().all(u8::is_ascii_digit)
            && bytes.get(i + 4).is_none_or(|c| !c.is_ascii_digit())
        {
            i += 1;
        } else {
            break;
        }
    }
    Some(value)
}
