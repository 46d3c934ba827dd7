//! Domain types: values and nouns (money, IDs, admin units, programs,
//! accounts, journal entries and checkpoints, users and roles), parsed once at
//! the boundary and trusted inside. No I/O here, and nothing from the layers
//! above: every other module may use these, these use none of them.

pub mod account;
pub mod admin_units;
pub mod audit;
pub mod date;
pub mod journal;
pub mod ledger;
pub mod money;
pub mod national_id;
pub mod program;
pub mod stored_file;
pub mod text;
pub mod user;

pub use account::{AccountPath, AccountPrefix, AccountScope, AccountsRead};
pub use admin_units::DistrictCode;
pub use journal::{Checkpoint, Entry, EntryKind, NewEntry, Posting};
pub use ledger::LedgerCode;
pub use money::Money;
pub use national_id::NationalId;
pub use program::{Code, Program};
pub use stored_file::{FileEncoding, StoredFile};
pub use user::{NewUser, Role, User};
