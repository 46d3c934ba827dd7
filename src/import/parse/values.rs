//! The values of a roll's cells: the types they become (birth date, sex, payment method)
//! and the parsers that read them from text (amounts, dates, free text in NFC), with the
//! measured fast paths that keep a large roll quick to read (plain amounts, NFC-stable
//! Vietnamese, birth dates written by hand).

use super::fields::header_key;
use super::FIELD_CHARS_MAX;
use crate::domain::money::{Money, MoneyError, MONEY_MAX_DONG};
use crate::domain::text::nfc;
use chrono::{Datelike, NaiveDate};
use std::fmt::{self, Write as _};

/// Values quoted in a [`super::Problem`] are cut to this many characters.
const VALUE_SHOWN_CHARS_MAX: usize = 120;
/// Dates outside these years are refused as typing errors.
pub(super) const YEAR_MIN: i32 = 1900;
pub(super) const YEAR_MAX: i32 = 2100;

/// The money fast path reads at most this many bytes, so at most this many digits: its
/// value stays below [`MONEY_MAX_DONG`] (checked below, at compile time) and it needs no
/// range check; a longer text goes through [`Money::parse`], which checks it.
const MONEY_FAST_PATH_BYTES_MAX: usize = 15;
const _: () = assert!(10i64.pow(MONEY_FAST_PATH_BYTES_MAX as u32) <= MONEY_MAX_DONG);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BirthDate {
    Full(NaiveDate),
    YearOnly(i32),
}

impl BirthDate {
    pub fn year(self) -> i32 {
        match self {
            BirthDate::Full(date) => date.year(),
            BirthDate::YearOnly(year) => year,
        }
    }
}

/// `dd/mm/yyyy`, or `yyyy` for a year alone.
impl fmt::Display for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BirthDate::Full(date) => {
                // dd/mm/yyyy by hand: written once per person of every roll.
                let digit = |n: u32| char::from(b'0' + (n % 10) as u8);
                let (day, month) = (date.day(), date.month());
                let year = date.year().clamp(0, 9999) as u32;
                let text: [char; 10] = [
                    digit(day / 10),
                    digit(day),
                    '/',
                    digit(month / 10),
                    digit(month),
                    '/',
                    digit(year / 1000),
                    digit(year / 100),
                    digit(year / 10),
                    digit(year),
                ];
                text.iter().try_for_each(|c| f.write_char(*c))
            }
            BirthDate::YearOnly(year) => write!(f, "{year:04}"),
        }
    }
}

impl serde::Serialize for BirthDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Sex as written in rolls. Accepted (any case, with or without diacritics):
/// `Nam`, `Nữ`/`Nu`, `male`, `female`, `M`, `F`. Numeric codes (`1`/`0`) are refused:
/// offices disagree on which is which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// `male` or `female`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    pub fn parse(text: &str) -> Option<Sex> {
        match text.trim() {
            "Nam" | "nam" | "NAM" | "M" | "m" | "Male" | "male" | "MALE" => return Some(Sex::Male),
            "Nữ" | "nữ" | "NỮ" | "F" | "f" | "Female" | "female" | "FEMALE" => {
                return Some(Sex::Female)
            }
            _ => {}
        }
        match header_key(text).as_str() {
            "nam" | "m" | "male" => Some(Sex::Male),
            "nu" | "f" | "female" => Some(Sex::Female),
            _ => None,
        }
    }

    pub fn name_vi(self) -> &'static str {
        match self {
            Sex::Male => "Nam",
            Sex::Female => "Nữ",
        }
    }
}

/// How the money reaches the beneficiary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// tiền mặt (also: TM, trực tiếp, cash)
    Cash,
    /// chuyển khoản (also: CK, ngân hàng, qua tài khoản, bank transfer)
    BankTransfer,
    /// bưu điện (also: qua bưu điện, bưu chính, VNPost, post)
    Post,
}

impl PaymentMethod {
    pub fn parse(text: &str) -> Option<PaymentMethod> {
        match text.trim() {
            "Tiền mặt" | "tiền mặt" | "TIỀN MẶT" => return Some(PaymentMethod::Cash),
            "Chuyển khoản" | "chuyển khoản" | "CHUYỂN KHOẢN" => {
                return Some(PaymentMethod::BankTransfer)
            }
            "Bưu điện" | "bưu điện" | "BƯU ĐIỆN" => return Some(PaymentMethod::Post),
            _ => {}
        }
        // Notes in parentheses do not matter: `Chuyển khoản (Agribank)`.
        match header_key(text).as_str() {
            "tien mat" | "tm" | "cash" | "truc tiep" | "chi truc tiep" | "tien mat truc tiep" => {
                Some(PaymentMethod::Cash)
            }
            "chuyen khoan"
            | "ck"
            | "chuyen khoan ngan hang"
            | "ngan hang"
            | "qua ngan hang"
            | "qua tai khoan"
            | "bank transfer"
            | "bank"
            | "transfer" => Some(PaymentMethod::BankTransfer),
            "buu dien" | "qua buu dien" | "chi qua buu dien" | "buu chinh" | "vnpost" | "post"
            | "post office" => Some(PaymentMethod::Post),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "cash",
            PaymentMethod::BankTransfer => "bank_transfer",
            PaymentMethod::Post => "post",
        }
    }

    pub fn name_vi(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "tiền mặt",
            PaymentMethod::BankTransfer => "chuyển khoản",
            PaymentMethod::Post => "bưu điện",
        }
    }
}

pub(super) fn is_too_long(value: &str) -> bool {
    value.len() > FIELD_CHARS_MAX && value.chars().count() > FIELD_CHARS_MAX
}

/// A value as quoted in a problem: cut to a readable length.
pub(super) fn shown(value: &str) -> String {
    if value.len() <= VALUE_SHOWN_CHARS_MAX {
        return value.to_string();
    }
    let mut cut: String = value.chars().take(VALUE_SHOWN_CHARS_MAX).collect();
    if cut.len() < value.len() {
        cut.push('…');
    }
    cut
}

/// Trimmed, inner whitespace (tabs, newlines, no-break spaces, runs) as single spaces,
/// NFC. The flag tells whether NFC normalisation changed the text.
pub(super) fn clean_text(value: &str) -> (String, bool) {
    let value = value.trim();
    if is_plain_nfc(value) {
        return (value.to_string(), false);
    }
    let mut irregular_space = false;
    let mut previous_space = false;
    for c in value.chars() {
        if c.is_whitespace() {
            if c != ' ' || previous_space {
                irregular_space = true;
                break;
            }
            previous_space = true;
        } else {
            previous_space = false;
        }
    }
    let is_nfc = value.is_ascii() || unicode_normalization::is_nfc(value);
    match (irregular_space, is_nfc) {
        (false, true) => (value.to_string(), false),
        (true, true) => (collapse_whitespace(value), false),
        (false, false) => (nfc(value), true),
        (true, false) => (nfc(&collapse_whitespace(value)), true),
    }
}

/// Fast path for [`clean_text`]: single ASCII spaces only, and every character either below
/// U+0300 or in Latin Extended Additional (U+1E00–U+1EFF), which is how Vietnamese looks
/// in NFC; all those characters are NFC-stable. `false` means "look closer", not "not NFC".
fn is_plain_nfc(value: &str) -> bool {
    let bytes = value.as_bytes();
    let mut i = 0;
    let mut previous_space = false;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b' ' => {
                if previous_space {
                    return false;
                }
                previous_space = true;
                i += 1;
                continue;
            }
            0x00..=0x1F | 0x7F => return false,
            0x21..=0x7E => i += 1,
            // U+0080–U+00BF (C2 xx) holds NBSP and NEL: leave those to the slow path.
            0xC2 => {
                if matches!(bytes.get(i + 1), Some(0xA0 | 0x85)) {
                    return false;
                }
                i += 2;
            }
            // U+00C0–U+02FF
            0xC3..=0xCB => i += 2,
            // U+1E00–U+1EFF
            0xE1 if matches!(bytes.get(i + 1), Some(0xB8..=0xBB)) => i += 3,
            _ => return false,
        }
        previous_space = false;
    }
    true
}

pub(super) fn collapse_whitespace(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for word in value.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// `Money::parse`, with a fast path for the plain forms most rows use
/// (`1500000`, `1.500.000`, `1,500,000`); everything else goes to `Money::parse`.
pub(super) fn parse_money(text: &str) -> Result<Money, MoneyError> {
    let bytes = text.as_bytes();
    if !bytes.is_empty()
        && bytes.len() <= MONEY_FAST_PATH_BYTES_MAX
        && bytes[0].is_ascii_digit()
        && bytes[0] != b'0'
    {
        let mut value: i64 = 0;
        let mut separator = 0u8;
        let mut group = 0usize;
        let mut grouped = false;
        let mut plain = true;
        for &b in bytes {
            if b.is_ascii_digit() {
                value = value * 10 + i64::from(b - b'0');
                group += 1;
            } else if (b == b'.' || b == b',') && (separator == 0 || separator == b) {
                if (grouped && group != 3) || (!grouped && group > 3) {
                    plain = false;
                    break;
                }
                separator = b;
                grouped = true;
                group = 0;
            } else {
                plain = false;
                break;
            }
        }
        if plain && (!grouped || group == 3) {
            return Ok(Money::from_dong(value));
        }
    }
    Money::parse(text)
}

/// Excel's scientific notation for long numbers: `8.41234E+11`, `1,23457E+14`.
pub(super) fn looks_scientific(value: &str) -> bool {
    let upper = value.as_bytes();
    upper
        .windows(2)
        .any(|w| (w[0] == b'E' || w[0] == b'e') && w[1] == b'+')
        && upper
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'E' | b'e' | b'+' | b'.' | b','))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DateError {
    Format,
    YearOnly,
    TwoDigitYear,
    ExcelSerial,
    YearRange(i32),
    MonthRange(u32),
    NoSuchDay { year: i32, month: u32, day: u32 },
}

/// `dd/mm/yyyy`, `d/m/yyyy` (also with `-` or `.`), `yyyy-mm-dd` (also `/`), optionally
/// followed by a zero time (`00:00:00`) that spreadsheets sometimes add.
pub(super) fn parse_date(text: &str) -> Result<NaiveDate, DateError> {
    let text = strip_zero_time(text.trim());
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return Err(DateError::Format);
    }
    if bytes.iter().all(u8::is_ascii_digit) {
        return Err(match bytes.len() {
            4 => DateError::YearOnly,
            5 => DateError::ExcelSerial,
            _ => DateError::Format,
        });
    }
    let Some(&separator) = bytes.iter().find(|b| !b.is_ascii_digit()) else {
        return Err(DateError::Format);
    };
    if !matches!(separator, b'/' | b'-' | b'.') {
        return Err(DateError::Format);
    }
    let mut parts = text.split(char::from(separator));
    let (Some(a), Some(b), Some(c), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(DateError::Format);
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(a) && digits(b) && digits(c)) {
        return Err(DateError::Format);
    }
    let number = |s: &str| s.parse::<u32>().map_err(|_| DateError::Format);
    let (year, month, day) = if a.len() == 4 && b.len() <= 2 && c.len() <= 2 {
        (number(a)?, number(b)?, number(c)?)
    } else if c.len() == 4 && a.len() <= 2 && b.len() <= 2 {
        (number(c)?, number(b)?, number(a)?)
    } else if c.len() == 2 && a.len() <= 2 && b.len() <= 2 {
        return Err(DateError::TwoDigitYear);
    } else {
        return Err(DateError::Format);
    };
    let year = year as i32;
    if !(YEAR_MIN..=YEAR_MAX).contains(&year) {
        return Err(DateError::YearRange(year));
    }
    if !(1..=12).contains(&month) {
        return Err(DateError::MonthRange(month));
    }
    NaiveDate::from_ymd_opt(year, month, day).ok_or(DateError::NoSuchDay { year, month, day })
}

/// A full date, or a year alone (`1948`).
pub(super) fn parse_birth_date(text: &str) -> Result<BirthDate, DateError> {
    let trimmed = text.trim();
    if trimmed.len() == 4 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        let year: i32 = trimmed.parse().map_err(|_| DateError::Format)?;
        if !(YEAR_MIN..=YEAR_MAX).contains(&year) {
            return Err(DateError::YearRange(year));
        }
        return Ok(BirthDate::YearOnly(year));
    }
    parse_date(trimmed).map(BirthDate::Full)
}

fn strip_zero_time(text: &str) -> &str {
    if let Some((date, time)) = text.split_once([' ', 'T']) {
        let time = time.trim();
        if !time.is_empty() && time.bytes().all(|b| b == b'0' || b == b':') {
            return date.trim_end();
        }
    }
    text
}
