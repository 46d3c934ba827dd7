//! The parser's tests, by concern: whole rolls as real tools write them
//! (`tools`, fixtures under `tests/fixtures/rolls/`), files refused whole
//! (`refusals`), single rows' problems (`row_problems`), value parsers
//! (`values`). What they share is here.

use super::*;
use crate::domain::Money;
use chrono::NaiveDate;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/rolls/",
            $name
        ))
        .as_slice()
    };
}

mod refusals;
mod row_problems;
mod tools;
mod values;

fn all<R>(roll: Roll<'_, R>) -> Vec<Record<R>> {
    roll.map(|r| r.expect("no file error while streaming"))
        .collect()
}

fn rows<R: Clone>(records: &[Record<R>]) -> Vec<Parsed<R>> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Row(parsed) => Some(parsed.clone()),
            _ => None,
        })
        .collect()
}

fn rejected<R>(records: &[Record<R>]) -> Vec<(u64, Vec<&'static str>)> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Rejected { line, problems, .. } => {
                Some((*line, problems.iter().map(|p| p.code.as_str()).collect()))
            }
            _ => None,
        })
        .collect()
}

fn totals<R>(records: &[Record<R>]) -> Vec<ControlTotals> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Totals(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

fn date(d: u32, m: u32, y: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn assert_both_languages(problem: &Problem) {
    assert!(
        !problem.reason_en.is_empty() && !problem.reason_vi.is_empty(),
        "{problem:?}"
    );
    assert_ne!(problem.reason_en, problem.reason_vi, "{problem:?}");
}

fn check_clean<R: std::fmt::Debug>(
    roll: Roll<'_, R>,
    amount: impl Fn(&R) -> Money,
    name: &str,
) -> (usize, i64, ControlTotals) {
    let mut count = 0;
    let mut sum = 0;
    let mut declared = None;
    for record in roll {
        match record.unwrap() {
            Record::Row(parsed) => {
                assert!(parsed.warnings.is_empty(), "{name}: {:?}", parsed.warnings);
                count += 1;
                sum += amount(&parsed.row).dong();
            }
            Record::Totals(t) => declared = Some(t),
            other => panic!("{name}: {other:?}"),
        }
    }
    (count, sum, declared.expect("a totals row"))
}

/// What a reader of the roll meets at the end: the first file error, if any.
fn stream_error<R>(roll: Roll<'_, R>) -> Option<FileError> {
    roll.filter_map(Result::err).next()
}

const APPROVAL_HEADER: &str =
    "Họ và tên;Số CCCD;Mã xã;Nhóm đối tượng;Số tiền;Số QĐ;Ngày QĐ;Địa chỉ;Ghi chú\n";
