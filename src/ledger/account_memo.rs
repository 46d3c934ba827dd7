//! What the people's checks work out of an account (is it payable, its
//! program, district, category, its interned number), once per account of an
//! entry rather than once per posting: a roll's entry holds tens of
//! thousands of postings on a handful of accounts, and the verifier gives
//! every posting of one account the same shared text.

use crate::domain::AccountPath;

/// Accounts remembered at most: past them (an entry over unusually many
/// accounts), each posting's account is worked out anew.
const ACCOUNTS_MAX: usize = 32;

/// One entry's accounts and what was worked out of each.
pub struct AccountMemo<'a, T> {
    accounts: Vec<(&'a str, T)>,
}

impl<'a, T: Copy> AccountMemo<'a, T> {
    pub fn new() -> AccountMemo<'a, T> {
        AccountMemo {
            accounts: Vec::new(),
        }
    }

    /// What `make` works out of `account`, made once per shared text.
    pub fn get(&mut self, account: &'a AccountPath, make: impl FnOnce(&'a AccountPath) -> T) -> T {
        let text = account.as_str();
        // The same allocation is the same text; equal texts apart are
        // simply worked out twice.
        if let Some((_, known)) = self
            .accounts
            .iter()
            .find(|(seen, _)| std::ptr::eq(*seen, text))
        {
            return *known;
        }
        let made = make(account);
        if self.accounts.len() < ACCOUNTS_MAX {
            self.accounts.push((text, made));
        }
        made
    }
}

#[cfg(test)]
mod tests {
    use super::AccountMemo;
    use crate::domain::AccountPath;

    #[test]
    fn an_account_is_worked_out_once_and_equal_texts_apart_agree() {
        let payable = AccountPath::parse("payable:NQ68:842:F0").unwrap();
        let same_text_apart = AccountPath::parse("payable:NQ68:842:F0").unwrap();
        let budget = AccountPath::parse("budget:NQ68:842").unwrap();
        let shared = payable.clone();
        let mut made = 0;
        let mut memo = AccountMemo::new();
        let mut district = |account| {
            memo.get(account, |a: &AccountPath| {
                made += 1;
                a.segment(2)
            })
        };
        assert_eq!(district(&payable), Some("842"));
        assert_eq!(district(&shared), Some("842"));
        assert_eq!(district(&budget), Some("842"));
        assert_eq!(district(&same_text_apart), Some("842"));
        assert_eq!(
            made, 3,
            "a clone shares the text; an equal text apart is worked out again"
        );
    }
}
