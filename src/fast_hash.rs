//! Hash maps for the import's hot paths, keyed by national IDs, voucher
//! references and account paths by the hundred thousand.
//!
//! The standard SipHash is built to resist collision attacks from untrusted
//! keys, at several times the cost per key. foldhash keeps a random seed per
//! process, which is enough here: keys come from files that an authenticated
//! officer uploads, each file bounded in rows (DESIGN.md, *Imports*).

pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub type FastSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;
