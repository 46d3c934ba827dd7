//! What validating a roll reads of the ledger, defined once. The batch scheduler keeps
//! apart rolls whose reads another's commit changes ([`RollReads::changed_by`]); the
//! commit checks, under the append lock, that nothing validation read changed since
//! ([`RollReads::accounts`]).
//!
//! A payment roll reads its district's approvals, payments and voucher references in
//! every program: all of them live on the district's `payable` accounts, which any roll
//! of that district writes. An approval roll reads who holds an approval in its program
//! (in any district): only approval rolls of that program change it. Budgets are not a
//! read of this kind: the commit checks them again under the lock as balance rules.

use super::parse::RollKind;
use crate::domain::{AccountScope, AccountsRead};

/// A roll, as far as what it reads and writes goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollReads<'a> {
    pub kind: RollKind,
    pub program: &'a str,
    pub district: &'a str,
}

impl<'a> RollReads<'a> {
    pub fn new(kind: RollKind, program: &'a str, district: &'a str) -> RollReads<'a> {
        RollReads {
            kind,
            program,
            district,
        }
    }

    /// The accounts this roll's validation reads, for the commit's stale check:
    /// a change to them after validation makes the validation stale.
    pub fn accounts(&self) -> AccountsRead {
        match self.kind {
            RollKind::Payments => AccountsRead {
                scope: AccountScope::payable_of_district(self.district),
                approvals_only: false,
            },
            RollKind::Approvals => AccountsRead {
                scope: AccountScope::payable_of_program(self.program),
                approvals_only: true,
            },
        }
    }

    /// Whether committing `writer` changes what this roll's validation reads.
    /// Every roll writes the `payable` accounts of its program and district:
    /// approvals (an approval roll) or payments (a payment roll).
    pub fn changed_by(&self, writer: &RollReads<'_>) -> bool {
        match self.kind {
            RollKind::Payments => writer.district == self.district,
            RollKind::Approvals => {
                writer.kind == RollKind::Approvals && writer.program == self.program
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scheduler's rule and the commit's accounts say the same thing: a
    /// writer changes what a roll reads exactly when the payable accounts it
    /// writes match the pattern (with approvals, when only approvals count).
    #[test]
    fn the_scheduler_and_the_stale_check_agree() {
        let kinds = [RollKind::Approvals, RollKind::Payments];
        let places = [("NQ68", "842"), ("NQ68", "844"), ("NQ116", "842")];
        for reader_kind in kinds {
            for (program, district) in places {
                let reader = RollReads::new(reader_kind, program, district);
                let read = reader.accounts();
                for writer_kind in kinds {
                    for (wp, wd) in places {
                        let writer = RollReads::new(writer_kind, wp, wd);
                        let written = crate::domain::AccountPath::payable(wp, wd, "tu-do");
                        let counts = !read.approvals_only || writer_kind == RollKind::Approvals;
                        assert_eq!(
                            reader.changed_by(&writer),
                            read.scope.contains(&written) && counts,
                            "{reader:?} after {writer:?}"
                        );
                    }
                }
            }
        }
    }
}
