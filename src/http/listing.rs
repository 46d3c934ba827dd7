//! The one paging convention and filter style of every list: `offset`
//! (rows skipped, from 0) and `limit` (1 to [`LIMIT_MAX`], default
//! [`LIMIT_DEFAULT`]) as query parameters beside the filters, which are named
//! as the fields they filter; dates are `YYYY-MM-DD`, inclusive. Answers are
//! `{items, offset, limit, total}`, oldest first: history grows at its end,
//! so a page once read keeps its rows.

use super::Error;
use crate::store::{Listed, Page};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

pub const LIMIT_DEFAULT: i64 = 100;
pub const LIMIT_MAX: i64 = 1_000;
/// No list is this long: an offset past it is a mistake, said so.
pub const OFFSET_MAX: i64 = 1_000_000_000;

/// One page of a list.
#[derive(Serialize, ToSchema)]
pub struct Listing<T: ToSchema> {
    pub items: Vec<T>,
    /// Rows skipped before `items[0]`.
    pub offset: i64,
    /// The most rows this answer could hold.
    pub limit: i64,
    /// Rows in the whole list, with these filters.
    pub total: i64,
}

impl<T: ToSchema> Listing<T> {
    pub fn new(listed: Listed<T>, page: Page) -> Listing<T> {
        Listing {
            items: listed.rows,
            offset: page.offset,
            limit: page.limit,
            total: listed.total,
        }
    }
}

/// The page asked for, refused when out of bounds (not clamped: a client
/// that asks for more than it can get should know it).
pub fn page(offset: Option<i64>, limit: Option<i64>) -> Result<Page, Error> {
    let offset = offset.unwrap_or(0);
    let limit = limit.unwrap_or(LIMIT_DEFAULT);
    check_offset(offset)?;
    if !(1..=LIMIT_MAX).contains(&limit) {
        return Err(Error::BadRequest(format!(
            "limit {limit} must be between 1 and {LIMIT_MAX}: page with offset / limit phải từ 1 đến {LIMIT_MAX}"
        )));
    }
    Ok(Page { offset, limit })
}

/// An offset from 0 to [`OFFSET_MAX`].
pub fn check_offset(offset: i64) -> Result<(), Error> {
    if (0..=OFFSET_MAX).contains(&offset) {
        Ok(())
    } else {
        Err(Error::BadRequest(format!(
            "offset {offset} must be from 0 to {OFFSET_MAX} / offset phải từ 0 đến {OFFSET_MAX}"
        )))
    }
}

/// A `YYYY-MM-DD` query parameter named `name`.
pub fn date(name: &str, text: Option<&str>) -> Result<Option<NaiveDate>, Error> {
    text.map(|text| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| Error::BadRequest(format!("{name} '{text}' is not a date (YYYY-MM-DD)")))
    })
    .transpose()
}

/// `[from, to]` (inclusive dates) as µs since the epoch, `[from_us, until_us)`, in UTC.
pub fn time_bounds(
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(Option<i64>, Option<i64>), Error> {
    let start_us = |date: NaiveDate| {
        date.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_micros())
    };
    let from_us = date("from", from)?.and_then(start_us);
    let until_us = date("to", to)?
        .and_then(|d| d.succ_opt())
        .and_then(start_us);
    Ok((from_us, until_us))
}
