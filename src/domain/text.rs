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
    fold_chars(text, |c| folded.push(c));
    folded
}

/// Whether `text` folds to `key` ([`fold_key`]), without building the
/// folded text: `verify` checks every stored name's key.
pub fn folds_to(text: &str, key: &str) -> bool {
    let mut expected = key.chars();
    let mut same = true;
    fold_chars(text, |c| same = same && expected.next() == Some(c));
    same && expected.next().is_none()
}

/// The characters of [`fold_key`]'s result, one at a time.
fn fold_chars(text: &str, mut emit: impl FnMut(char)) {
    // A space is emitted only before the next character that is not one,
    // so none leads, none trails and none doubles.
    let mut emitted_any = false;
    let mut space_pending = false;
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
            space_pending = emitted_any;
            return;
        }
        if std::mem::take(&mut space_pending) {
            emit(' ');
        }
        if c.is_ascii() {
            emit(c.to_ascii_lowercase());
        } else {
            c.to_lowercase().for_each(&mut emit);
        }
        emitted_any = true;
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
            assert!(folds_to(name, &fold_key_through_nfd(name)), "{name}");
        }
    }

    #[test]
    fn folds_to_refuses_any_other_key() {
        let key = fold_key("Trần  Quốc-Toản ");
        assert_eq!(key, "tran quoc toan");
        assert!(folds_to("Trần  Quốc-Toản ", &key));
        for other in [
            "tran quoc toa",
            "tran quoc toann",
            "tran quoc toan ",
            " tran quoc toan",
            "tran  quoc toan",
            "",
        ] {
            assert!(!folds_to("Trần  Quốc-Toản ", other), "{other:?}");
        }
        assert!(folds_to("  ", ""));
        assert!(!folds_to("a", ""));
    }
}
