//! National ID numbers: the 12-digit CCCD (first three digits are the province
//! of registration, `0` + the GSO province code) and the legacy 9-digit CMND.

use super::admin_units;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct NationalId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NationalIdError {
    #[error("thiếu số CCCD/CMND / national ID is empty")]
    Empty,
    #[error(
        "'{0}' is in scientific notation: Excel turned the ID into a number and lost digits; \
         format the column as Text and re-enter it / số CCCD bị Excel đổi sang dạng số mũ, mất chữ số"
    )]
    ScientificNotation(String),
    #[error(
        "'{0}' has 11 digits: Excel probably dropped the leading zero (did you mean 0{0}?); \
         format the column as Text / số CCCD có 11 chữ số, có thể Excel đã bỏ số 0 đầu"
    )]
    LeadingZeroDropped(String),
    #[error("'{0}': số CCCD phải có 12 chữ số, CMND 9 chữ số / '{0}' must be 12 digits (CCCD) or 9 digits (CMND)")]
    WrongLength(String),
    #[error("'{0}': số CCCD/CMND chỉ gồm chữ số / '{0}' contains characters other than digits")]
    NotDigits(String),
    #[error("'{value}': {code} không phải mã tỉnh nên đây không phải số CCCD hợp lệ / '{value}': {code} is not a province code, so this is not a valid CCCD")]
    UnknownProvince { value: String, code: String },
}

/// Keys below this are IDs of digits ([`digits_key`]): their length in the
/// top bits, their value below; the keys above are free for other IDs.
pub const DIGITS_KEYS_END: u64 = 1 << 63;
/// The longest ID of digits read as a number: its length (4 bits) above bit
/// 59 and its value (10^15 < 2^59) below stay under [`DIGITS_KEYS_END`].
const DIGITS_MAX: usize = 15;
pub const DIGITS_LENGTH_SHIFT: u32 = 59;
const _: () = assert!((DIGITS_MAX as u64) << DIGITS_LENGTH_SHIFT < DIGITS_KEYS_END);
const _: () = assert!(10u64.pow(DIGITS_MAX as u32) < 1 << DIGITS_LENGTH_SHIFT);

/// An ID of digits (a CCCD, a CMND) as a number that keeps its length, so
/// that two IDs have the same key exactly when they are the same text:
/// hundreds of thousands of people keyed by a `u64` cost a fraction of
/// keying them by a `String`. `None` for any other text.
pub fn digits_key(id: &str) -> Option<u64> {
    if id.is_empty() || id.len() > DIGITS_MAX || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value = id.parse::<u64>().ok()?;
    Some(((id.len() as u64) << DIGITS_LENGTH_SHIFT) | value)
}

/// Result of parsing: the ID, and whether spaces had to be removed (reported as a warning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedNationalId {
    pub id: NationalId,
    pub had_spaces: bool,
}

impl NationalIdError {
    /// The reason in English alone, for reports that show each language in its own column.
    pub fn reason_en(&self) -> String {
        match self {
            NationalIdError::Empty => "national ID is empty".to_string(),
            NationalIdError::ScientificNotation(v) => format!(
                "'{v}' is in scientific notation: Excel turned the ID into a number and lost digits; \
                 format the column as Text and re-enter the IDs"
            ),
            NationalIdError::LeadingZeroDropped(v) => format!(
                "'{v}' has 11 digits: Excel probably dropped the leading zero (did you mean 0{v}?); \
                 format the column as Text and check the number"
            ),
            NationalIdError::WrongLength(v) => format!(
                "'{v}' has {} digits; a CCCD has 12 digits and a CMND 9",
                v.chars().count()
            ),
            NationalIdError::NotDigits(v) => {
                format!("'{v}' contains characters other than digits")
            }
            NationalIdError::UnknownProvince { value, code } => format!(
                "'{value}': {code} is not a province code, so this is not a valid CCCD"
            ),
        }
    }

    /// The reason in Vietnamese alone.
    pub fn reason_vi(&self) -> String {
        match self {
            NationalIdError::Empty => "thiếu số CCCD/CMND".to_string(),
            NationalIdError::ScientificNotation(v) => format!(
                "'{v}' bị Excel đổi sang dạng số mũ và đã mất chữ số; \
                 hãy định dạng cột là Văn bản (Text) rồi nhập lại số CCCD/CMND"
            ),
            NationalIdError::LeadingZeroDropped(v) => format!(
                "'{v}' chỉ có 11 chữ số: có thể Excel đã bỏ số 0 ở đầu (có phải 0{v}?); \
                 hãy định dạng cột là Văn bản (Text) và kiểm tra lại"
            ),
            NationalIdError::WrongLength(v) => format!(
                "'{v}' có {} chữ số; số CCCD phải có 12 chữ số, CMND 9 chữ số",
                v.chars().count()
            ),
            NationalIdError::NotDigits(v) => format!("'{v}' chứa ký tự không phải chữ số"),
            NationalIdError::UnknownProvince { value, code } => {
                format!("'{value}': {code} không phải mã tỉnh, nên đây không phải số CCCD hợp lệ")
            }
        }
    }
}

impl NationalId {
    pub fn parse(text: &str) -> Result<NationalId, NationalIdError> {
        Self::parse_lenient(text).map(|parsed| parsed.id)
    }

    /// Parses, accepting spaces inside the number (they lose nothing) but
    /// refusing every kind of damage that lost digits.
    pub fn parse_lenient(text: &str) -> Result<ParsedNationalId, NationalIdError> {
        let trimmed = text.trim().trim_start_matches('\'');
        if trimmed.is_empty() {
            return Err(NationalIdError::Empty);
        }
        // Fast path: a clean 12-digit CCCD, as almost every row has.
        if trimmed.len() == 12 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            if trimmed.starts_with('0') && admin_units::is_province_code(&trimmed[1..3]) {
                return Ok(ParsedNationalId {
                    id: NationalId(trimmed.to_string()),
                    had_spaces: false,
                });
            }
            return Err(NationalIdError::UnknownProvince {
                value: trimmed.to_string(),
                code: trimmed[..3].to_string(),
            });
        }
        let upper = trimmed.to_ascii_uppercase();
        if upper.contains('E') && upper.chars().any(|c| c.is_ascii_digit()) {
            let looks_numeric = upper
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, 'E' | '+' | '-' | '.' | ','));
            if looks_numeric {
                return Err(NationalIdError::ScientificNotation(trimmed.to_string()));
            }
        }
        let compact: String = trimmed
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '-' | '.'))
            .collect();
        let had_spaces = compact.len() != trimmed.len();
        if !compact.chars().all(|c| c.is_ascii_digit()) {
            return Err(NationalIdError::NotDigits(trimmed.to_string()));
        }
        match compact.len() {
            12 => {
                let code = &compact[1..3];
                if !compact.starts_with('0') || !admin_units::is_province_code(code) {
                    return Err(NationalIdError::UnknownProvince {
                        value: compact.clone(),
                        code: compact[..3].to_string(),
                    });
                }
            }
            9 => {}
            11 => return Err(NationalIdError::LeadingZeroDropped(compact)),
            _ => return Err(NationalIdError::WrongLength(compact)),
        }
        Ok(ParsedNationalId {
            id: NationalId(compact),
            had_spaces,
        })
    }

    /// Trusted constructor for values read back from our own storage.
    pub fn from_trusted(value: String) -> NationalId {
        NationalId(value)
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `084*******89`: province digits and the last two, for roles that need not see the ID.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks any stored ID string, keeping three leading and two trailing characters.
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 5 {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - 5;
    let mut masked: String = chars[..3].iter().collect();
    masked.push_str(&"*".repeat(hidden));
    masked.extend(&chars[chars.len() - 2..]);
    masked
}

impl fmt::Display for NationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_cccd_and_cmnd() {
        assert_eq!(
            NationalId::parse("084123456789").unwrap().as_str(),
            "084123456789"
        );
        assert_eq!(
            NationalId::parse("331234567").unwrap().as_str(),
            "331234567"
        );
    }

    #[test]
    fn spaces_are_removed_but_reported() {
        let parsed = NationalId::parse_lenient("084 123 456 789").unwrap();
        assert_eq!(parsed.id.as_str(), "084123456789");
        assert!(parsed.had_spaces);
    }

    #[test]
    fn explains_excel_damage() {
        assert!(matches!(
            NationalId::parse("84123456789"),
            Err(NationalIdError::LeadingZeroDropped(_))
        ));
        assert!(matches!(
            NationalId::parse("8.41234E+11"),
            Err(NationalIdError::ScientificNotation(_))
        ));
        assert!(matches!(
            NationalId::parse("099123456789"),
            Err(NationalIdError::UnknownProvince { .. })
        ));
        assert!(matches!(
            NationalId::parse("12345"),
            Err(NationalIdError::WrongLength(_))
        ));
        assert!(matches!(
            NationalId::parse("08412345678X"),
            Err(NationalIdError::NotDigits(_))
        ));
    }

    #[test]
    fn masks() {
        assert_eq!(
            NationalId::parse("084123456789").unwrap().masked(),
            "084*******89"
        );
    }
}
