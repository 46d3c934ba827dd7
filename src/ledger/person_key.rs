//! National IDs as numbers, for the maps `verify` and the read models keep
//! of every person in a ledger: a province's hundreds of thousands of
//! people cost tens of MiB keyed by a `u64`, hundreds keyed by a `String`
//! (each its own allocation, which the allocator then keeps).

use crate::domain::national_id::{digits_key, DIGITS_KEYS_END, DIGITS_LENGTH_SHIFT};
use crate::fast_hash::FastMap;

/// Every ID seen, as a `u64`: an ID of digits (a CCCD, a CMND) is its
/// value and length; any other text (which the parser never lets in, but a
/// stored row may hold) is interned above the digits' keys. Two IDs have
/// the same key exactly when they are the same text.
#[derive(Debug, Default)]
pub struct PersonKeys {
    others: FastMap<String, u64>,
    other_ids: Vec<String>,
}

impl PersonKeys {
    /// The key of `id`, interning it if it is not all digits.
    pub fn key(&mut self, id: &str) -> u64 {
        if let Some(key) = digits_key(id) {
            return key;
        }
        if let Some(&key) = self.others.get(id) {
            return key;
        }
        let key = DIGITS_KEYS_END + self.other_ids.len() as u64;
        self.others.insert(id.to_string(), key);
        self.other_ids.push(id.to_string());
        key
    }

    /// The key of `id` if it has one (an ID not all digits and never seen has none).
    pub fn existing(&self, id: &str) -> Option<u64> {
        digits_key(id).or_else(|| self.others.get(id).copied())
    }

    /// The ID a key stands for.
    pub fn id(&self, key: u64) -> String {
        if key < DIGITS_KEYS_END {
            let length = (key >> DIGITS_LENGTH_SHIFT) as usize;
            let value = key & ((1 << DIGITS_LENGTH_SHIFT) - 1);
            return format!("{value:0length$}");
        }
        let index = (key - DIGITS_KEYS_END) as usize;
        self.other_ids.get(index).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::PersonKeys;

    #[test]
    fn every_id_has_its_own_key_and_comes_back_unchanged() {
        let mut keys = PersonKeys::default();
        let ids = [
            "084100000001",
            "84100000001",
            "000000000001",
            "012345678",
            "0",
            "999999999999999",
            "9999999999999999",
            "08410000000A",
            "",
        ];
        let assigned: Vec<u64> = ids.iter().map(|id| keys.key(id)).collect();
        for (index, id) in ids.iter().enumerate() {
            assert_eq!(keys.id(assigned[index]), *id);
            assert_eq!(keys.existing(id), Some(assigned[index]));
            assert_eq!(keys.key(id), assigned[index], "{id} keeps its key");
            for (other, other_id) in ids.iter().enumerate() {
                assert_eq!(assigned[index] == assigned[other], id == other_id);
            }
        }
        assert_eq!(keys.existing("not seen"), None);
    }
}
