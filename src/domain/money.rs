//! Money in Vietnamese đồng. VND has no minor unit, so a `Money` is always a
//! whole number of đồng; it is stored as `BIGINT` and computed with checked
//! arithmetic so that overflow is an error, never a wrap.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::fmt;

/// Largest amount accepted anywhere: 10^15 đồng (one million tỷ), far above any
/// province's budget and far below `i64::MAX`, so sums of many amounts stay exact.
pub const MONEY_MAX_DONG: i64 = 1_000_000_000_000_000;

/// Most integer digits an amount may be written with: every 18-digit number
/// fits an `i64`, and the largest amount has fewer digits, so this length
/// check never refuses an amount the limit allows.
const AMOUNT_DIGITS_MAX: usize = 18;
const _: () = assert!(10_i64.pow(AMOUNT_DIGITS_MAX as u32 - 1) <= i64::MAX / 10);
const _: () = assert!(MONEY_MAX_DONG < 10_i64.pow(AMOUNT_DIGITS_MAX as u32 - 1));

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("số tiền trống / empty amount")]
    Empty,
    #[error("'{0}' không phải số tiền / '{0}' is not an amount")]
    NotANumber(String),
    #[error("'{0}' có phần lẻ dưới 1 đồng; tiền đồng không có đơn vị lẻ / '{0}' has a fractional đồng; VND has no minor unit")]
    Fractional(String),
    #[error("'{0}' là số tiền âm / '{0}' is negative")]
    Negative(String),
    #[error("'{0}' vượt giới hạn {MONEY_MAX_DONG} đồng / '{0}' exceeds the limit of {MONEY_MAX_DONG} đồng")]
    TooLarge(String),
    #[error("tràn số khi cộng tiền / amount overflow")]
    Overflow,
}

impl MoneyError {
    /// The reason in English alone, for reports that show each language in its own column.
    pub fn reason_en(&self) -> String {
        match self {
            MoneyError::Empty => "empty amount".to_string(),
            MoneyError::NotANumber(v) => {
                format!("'{v}' is not an amount (write it like 1.500.000 or 1500000)")
            }
            MoneyError::Fractional(v) => {
                format!("'{v}' has a fractional đồng; VND has no minor unit")
            }
            MoneyError::Negative(v) => format!("'{v}' is negative"),
            MoneyError::TooLarge(v) => {
                format!("'{v}' exceeds the limit of {MONEY_MAX_DONG} đồng")
            }
            MoneyError::Overflow => "amount overflow".to_string(),
        }
    }

    /// The reason in Vietnamese alone.
    pub fn reason_vi(&self) -> String {
        match self {
            MoneyError::Empty => "số tiền trống".to_string(),
            MoneyError::NotANumber(v) => {
                format!("'{v}' không phải số tiền (ghi dạng 1.500.000 hoặc 1500000)")
            }
            MoneyError::Fractional(v) => {
                format!("'{v}' có phần lẻ dưới 1 đồng; tiền đồng không có đơn vị lẻ")
            }
            MoneyError::Negative(v) => format!("'{v}' là số âm"),
            MoneyError::TooLarge(v) => {
                format!("'{v}' vượt giới hạn {MONEY_MAX_DONG} đồng")
            }
            MoneyError::Overflow => "tràn số khi tính tiền".to_string(),
        }
    }
}

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Builds from whole đồng as stored in the database.
    pub fn from_dong(dong: i64) -> Money {
        Money(Decimal::from(dong))
    }

    /// Builds from a Decimal, refusing fractions and values past the limit.
    pub fn from_decimal(value: Decimal) -> Result<Money, MoneyError> {
        if !value.fract().is_zero() {
            return Err(MoneyError::Fractional(value.to_string()));
        }
        let normalized = value.trunc();
        if normalized.abs() > Decimal::from(MONEY_MAX_DONG) {
            return Err(MoneyError::TooLarge(value.to_string()));
        }
        Ok(Money(normalized))
    }

    pub fn dong(self) -> i64 {
        // Constructors keep the value integral and within `i64`; only
        // negating `i64::MIN` could leave it, and no amount comes near it.
        self.0
            .to_i64()
            .expect("Money holds whole đồng within i64 (constructors keep it so)")
    }

    pub fn decimal(self) -> Decimal {
        self.0
    }

    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        let sum = self.0.checked_add(other.0).ok_or(MoneyError::Overflow)?;
        Money::from_decimal(sum).map_err(|_| MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        let difference = self.0.checked_sub(other.0).ok_or(MoneyError::Overflow)?;
        Money::from_decimal(difference).map_err(|_| MoneyError::Overflow)
    }

    /// The opposite amount (also available as the `-` operator).
    #[allow(clippy::should_implement_trait)]
    pub fn neg(self) -> Money {
        Money(-self.0)
    }

    /// Parses what spreadsheets in Vietnam produce: `1.500.000`, `1,500,000`,
    /// `1500000`, `1 500 000`, `1.500.000 đ`, `1500000,00`. A decimal part other
    /// than zero is refused: VND has no minor unit.
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let cleaned = strip_currency(text);
        if cleaned.is_empty() {
            return Err(MoneyError::Empty);
        }
        if let Some(unsigned) = cleaned.strip_prefix('-') {
            // `-0` is zero, not a negative amount: say what is wrong with it.
            if unsigned.chars().any(|c| matches!(c, '1'..='9')) {
                return Err(MoneyError::Negative(text.trim().to_string()));
            }
            return Money::parse(unsigned);
        }
        let digits_only: String = cleaned
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
            .collect();
        if digits_only.is_empty()
            || !digits_only
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        {
            return Err(MoneyError::NotANumber(text.trim().to_string()));
        }
        let (integer, fraction) = split_decimal_part(&digits_only)
            .ok_or_else(|| MoneyError::NotANumber(text.trim().to_string()))?;
        if fraction.chars().any(|c| c != '0') {
            return Err(MoneyError::Fractional(text.trim().to_string()));
        }
        if integer.is_empty() || integer.len() > AMOUNT_DIGITS_MAX {
            return Err(if integer.is_empty() {
                MoneyError::NotANumber(text.trim().to_string())
            } else {
                MoneyError::TooLarge(text.trim().to_string())
            });
        }
        let value: i64 = integer
            .parse()
            .map_err(|_| MoneyError::NotANumber(text.trim().to_string()))?;
        if value > MONEY_MAX_DONG {
            return Err(MoneyError::TooLarge(text.trim().to_string()));
        }
        Ok(Money::from_dong(value))
    }

    /// vi-VN grouping: `1.500.000`.
    pub fn format_vi(self) -> String {
        group_digits(self.dong(), '.')
    }

    /// Rounded to tỷ (10^9) with two decimals in vi-VN style: `455,55 tỷ`.
    pub fn format_ty(self) -> String {
        format!("{} tỷ", format_scaled(self.dong(), 1_000_000_000, 2))
    }
}

impl std::ops::Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

/// JSON carries whole đồng as an integer: exact in every client.
impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.dong())
    }
}

impl<'de> serde::Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        let dong = i64::deserialize(deserializer)?;
        Money::from_decimal(Decimal::from(dong)).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.dong())
    }
}

fn strip_currency(text: &str) -> &str {
    let mut trimmed = text.trim();
    for suffix in ["VNĐ", "VND", "vnđ", "vnd", "đồng", "Đồng", "đ", "Đ", "d"] {
        if let Some(rest) = trimmed.strip_suffix(suffix) {
            trimmed = rest.trim_end();
            break;
        }
    }
    trimmed
}

/// Splits `1.500.000,00` / `1,500,000.00` / `1.500.000` into integer digits and
/// fraction digits. A separator is a thousands separator when every group after
/// it has exactly three digits; a single trailing group of other length is a
/// decimal part.
fn split_decimal_part(text: &str) -> Option<(String, String)> {
    let separators: Vec<(usize, char)> = text
        .char_indices()
        .filter(|(_, c)| *c == '.' || *c == ',')
        .collect();
    let Some(&(last_index, last_char)) = separators.last() else {
        return Some((text.to_string(), String::new()));
    };
    let tail = &text[last_index + 1..];
    let distinct_kinds = separators
        .iter()
        .map(|(_, c)| *c)
        .collect::<std::collections::BTreeSet<_>>();
    let last_is_decimal = if distinct_kinds.len() == 2 {
        true
    } else {
        // One kind only: a decimal mark if it occurs once and its tail is not 3 digits.
        separators.len() == 1 && tail.len() != 3
    };
    let (integer_part, fraction) = if last_is_decimal {
        (&text[..last_index], tail.to_string())
    } else {
        (text, String::new())
    };
    let thousands = if last_is_decimal {
        if distinct_kinds.len() == 2 {
            if last_char == '.' {
                ','
            } else {
                '.'
            }
        } else {
            // No thousands separator in the integer part.
            '\0'
        }
    } else {
        last_char
    };
    let groups: Vec<&str> = if thousands == '\0' {
        vec![integer_part]
    } else {
        integer_part.split(thousands).collect()
    };
    if groups.len() > 1 {
        let first_ok = !groups[0].is_empty() && groups[0].len() <= 3;
        let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
        if !first_ok || !rest_ok {
            return None;
        }
    }
    let integer: String = groups.concat();
    if !integer.chars().all(|c| c.is_ascii_digit()) || !fraction.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    Some((integer, fraction))
}

/// Whole đồng as the double a workbook stores (Excel keeps every number as
/// one), when that double is exactly the amount: integers up to 2^53 are.
/// The only way money leaves as a floating-point number; nothing computes with it.
pub fn dong_as_exact_f64(dong: i64) -> Option<f64> {
    const EXACT_INTEGER_MAX: i64 = 1 << 53;
    (-EXACT_INTEGER_MAX..=EXACT_INTEGER_MAX)
        .contains(&dong)
        .then_some(dong as f64)
}

/// `1234567` → `1.234.567` with the given separator; negative values keep a sign.
pub fn group_digits(value: i64, separator: char) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(separator);
        }
        grouped.push(digit);
    }
    if value < 0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// Formats `value / unit` rounded half-up to `decimals` places, vi-VN style
/// (`.` groups thousands, `,` marks decimals): 455_550_000_000 / 10^9 → `455,55`.
pub fn format_scaled(value: i64, unit: i64, decimals: u32) -> String {
    let scaled = Decimal::from(value) / Decimal::from(unit);
    let rounded = scaled.round_dp_with_strategy(
        decimals,
        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
    );
    let integer = rounded.trunc().to_i64().unwrap_or(0);
    let fraction = (rounded.fract().abs() * Decimal::from(10_i64.pow(decimals)))
        .round()
        .to_i64()
        .unwrap_or(0);
    let mut text = group_digits(integer, '.');
    if decimals > 0 && fraction != 0 {
        let mut fraction_text = format!("{:0width$}", fraction, width = decimals as usize);
        while fraction_text.ends_with('0') {
            fraction_text.pop();
        }
        text.push(',');
        text.push_str(&fraction_text);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_spreadsheet_amounts() {
        for text in [
            "1.500.000",
            "1,500,000",
            "1500000",
            "1 500 000",
            "1.500.000 đ",
            "1.500.000đ",
            "1500000,00",
            "1.500.000,00",
            "1,500,000.00",
            " 1500000 VNĐ ",
        ] {
            assert_eq!(
                Money::parse(text),
                Ok(Money::from_dong(1_500_000)),
                "{text}"
            );
        }
        assert_eq!(Money::parse("500"), Ok(Money::from_dong(500)));
        assert_eq!(Money::parse("1.500"), Ok(Money::from_dong(1_500)));
    }

    #[test]
    fn refuses_fractional_dong() {
        assert!(matches!(
            Money::parse("1500000,5"),
            Err(MoneyError::Fractional(_))
        ));
        assert!(matches!(
            Money::parse("1.500.000,50"),
            Err(MoneyError::Fractional(_))
        ));
        assert!(matches!(
            Money::from_decimal(Decimal::new(15, 1)),
            Err(MoneyError::Fractional(_))
        ));
    }

    #[test]
    fn refuses_garbage_and_negative() {
        assert!(matches!(Money::parse(""), Err(MoneyError::Empty)));
        assert!(matches!(
            Money::parse("abc"),
            Err(MoneyError::NotANumber(_))
        ));
        assert!(matches!(
            Money::parse("1.50.000"),
            Err(MoneyError::NotANumber(_))
        ));
        assert!(matches!(Money::parse("-5"), Err(MoneyError::Negative(_))));
        assert!(matches!(Money::parse("-0,5"), Err(MoneyError::Negative(_))));
        assert_eq!(Money::parse("-0").unwrap(), Money::ZERO);
        assert_eq!(Money::parse("-0.000").unwrap(), Money::ZERO);
        assert!(matches!(
            Money::parse("99999999999999999999"),
            Err(MoneyError::TooLarge(_))
        ));
    }

    #[test]
    fn checked_arithmetic_overflows_to_error() {
        let max = Money::from_dong(MONEY_MAX_DONG);
        assert_eq!(
            max.checked_add(Money::from_dong(1)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Money::from_dong(5).checked_sub(Money::from_dong(7)),
            Ok(Money::from_dong(-2))
        );
    }

    #[test]
    fn formats_vi_vn() {
        assert_eq!(Money::from_dong(1_500_000).format_vi(), "1.500.000");
        assert_eq!(Money::from_dong(455_548_000_000).format_ty(), "455,55 tỷ");
        assert_eq!(Money::from_dong(8_600_000_000).format_ty(), "8,6 tỷ");
        assert_eq!(Money::from_dong(70_000_000_000).format_ty(), "70 tỷ");
        assert_eq!(group_digits(292_983, '.'), "292.983");
    }
}
