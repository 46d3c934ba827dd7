//! Text normalisation shared by header matching, category matching and
//! names, and the one rule for text written into CSV cells.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// NFC form: what we store and compare (macOS exports NFD).
pub fn nfc(text: &str) -> String {
    text.nfc().collect()
}

/// A matching key: lower case, no diacritics (đ → d), single spaces, `_`/`-`/`/` as spaces.
/// `Họ và tên` → `ho va ten`; `full_name` → `full name`.
pub fn fold_key(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    let mut last_space = true;
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' => 'd',
            '_' | '-' | '/' | '.' | '(' | ')' | ':' => ' ',
            other => other,
        };
        if c.is_whitespace() {
            if !last_space {
                folded.push(' ');
                last_space = true;
            }
            continue;
        }
        folded.extend(c.to_lowercase());
        last_space = false;
    }
    if folded.ends_with(' ') {
        folded.pop();
    }
    folded
}

/// Neutralizes spreadsheet formulas: a cell starting with `=`, `+`, `-` or `@`
/// (or a tab/CR) gets a leading apostrophe so Excel shows it as text.
pub fn csv_safe(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralized() {
        assert_eq!(csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_safe("+1"), "'+1");
        assert_eq!(csv_safe("-1+2"), "'-1+2");
        assert_eq!(csv_safe("Nguyễn Văn A"), "Nguyễn Văn A");
    }

    #[test]
    fn folds_vietnamese_headers() {
        assert_eq!(fold_key("Họ và tên"), "ho va ten");
        assert_eq!(fold_key("  HO VA TEN "), "ho va ten");
        assert_eq!(fold_key("full_name"), "full name");
        assert_eq!(fold_key("Số CCCD/CMND"), "so cccd cmnd");
        assert_eq!(fold_key("Đối tượng"), "doi tuong");
    }

    #[test]
    fn nfd_and_nfc_fold_alike() {
        let nfd: String = "Nguyễn Thị Ánh".nfd().collect();
        assert_ne!(nfd, "Nguyễn Thị Ánh");
        assert_eq!(nfc(&nfd), "Nguyễn Thị Ánh");
        assert_eq!(fold_key(&nfd), fold_key("Nguyễn Thị Ánh"));
    }
}
