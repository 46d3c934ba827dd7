//! Text normalisation shared by header matching, category matching and names,
//! and the one rule that keeps exported cells from running as formulas.

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
    let mut push = |c: char| {
        if is_combining_mark(c) {
            return;
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
            return;
        }
        if c.is_ascii() {
            folded.push(c.to_ascii_lowercase());
        } else {
            folded.extend(c.to_lowercase());
        }
        last_space = false;
    };
    // Each character decomposed on its own, not the text through an NFD
    // iterator: marks are dropped whatever their order, so the result is
    // the same, at a fraction of the cost (verify folds every name).
    for c in text.chars() {
        if c.is_ascii() {
            push(c);
        } else {
            unicode_normalization::char::decompose_canonical(c, &mut push);
        }
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

    /// The folding of the whole text through NFD, as it was written first.
    fn fold_key_through_nfd(text: &str) -> String {
        let mut folded = String::new();
        let mut last_space = true;
        for c in text.nfd().filter(|c| !is_combining_mark(*c)) {
            let c = match c {
                'đ' | 'Đ' => 'd',
                '_' | '-' | '/' | '.' | '(' | ')' | ':' => ' ',
                other => other,
            };
            if c.is_whitespace() {
                if !last_space {
                    folded.push(' ');
                }
                last_space = true;
                continue;
            }
            folded.extend(c.to_lowercase());
            last_space = false;
        }
        folded.trim_end().to_string()
    }

    #[test]
    fn folding_each_character_equals_folding_through_nfd() {
        let names = [
            "Nguyễn Thị Ánh",
            "ĐẶNG VĂN HƯỞNG",
            "Trần  Quốc-Toản (con)",
            "Lê Thị Ỷ Lan ",
            "Phạm Ngọc Thạch / Hồ Xuân Hương",
            "Ngô Bảo Châu\tÊ-đê",
            "Ơ Ư Ằ Ẵ Ặ ẫ ẩ ậ ở ỡ ợ ử ữ ự ỳ ỹ ỵ",
        ];
        for name in names {
            let decomposed: String = name.nfd().collect();
            assert_eq!(fold_key(name), fold_key_through_nfd(name), "{name}");
            assert_eq!(fold_key(&decomposed), fold_key_through_nfd(name), "{name}");
        }
    }
}
