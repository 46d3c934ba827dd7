//! The audit trail's hash chain, encoding version 1.
//!
//! `hash = SHA-256(prev_hash ‖ bytes(event))`, where `prev_hash` is the
//! previous chained event's 32-byte hash (32 zero bytes before the first).
//! Layout, as the journal's (integers big-endian; `str` = u32 byte length
//! then UTF-8 bytes):
//!
//! ```text
//! "ansinh-audit" u16 version=1
//! i64 at (µs since Unix epoch, UTC) · str actor · str action · str outcome · str detail
//! ```
//! The event's id is not hashed: PostgreSQL draws it from a sequence, and the
//! chain's order is its links. Any change to this layout gets a new version.

use sha2::{Digest, Sha256};

pub const AUDIT_ENCODING_VERSION: u16 = 1;
const MAGIC: &[u8] = b"ansinh-audit";
/// The link of the first chained event.
pub const AUDIT_GENESIS_HASH: [u8; 32] = [0; 32];

/// The fields of an audit event that its hash covers, borrowed.
pub struct AuditFields<'a> {
    pub at_us: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub outcome: &'a str,
    pub detail: &'a str,
}

/// The hash of an event chained after `prev_hash`.
pub fn audit_hash(prev_hash: &[u8; 32], event: &AuditFields<'_>) -> [u8; 32] {
    let mut sha = Sha256::new();
    sha.update(prev_hash);
    sha.update(MAGIC);
    sha.update(AUDIT_ENCODING_VERSION.to_be_bytes());
    sha.update(event.at_us.to_be_bytes());
    for text in [event.actor, event.action, event.outcome, event.detail] {
        put_str(&mut sha, text);
    }
    sha.finalize().into()
}

/// A text's length and bytes. Audit texts are built by this program from
/// bounded inputs, far below 4 GiB; a longer one would be cut to its length's
/// low 32 bits and still hash deterministically.
pub(crate) fn put_str(sha: &mut Sha256, text: &str) {
    sha.update((text.len() as u32).to_be_bytes());
    sha.update(text.as_bytes());
}

/// The action of the event that begins the chain in a trail that has events
/// from before it: it seals them (their count, ids and digest).
pub const SEAL_ACTION: &str = "audit.chain.begin";

/// The digest of the events recorded before the chain began, in id order:
/// what the chain's first event states, so that none can be added, changed
/// or removed among them afterwards.
#[derive(Default, Clone)]
pub struct PreChainSeal {
    sha: Sha256,
    count: u64,
    ids: Option<(i64, i64)>,
}

impl PreChainSeal {
    pub fn add(&mut self, id: i64, event: &AuditFields<'_>) {
        self.sha.update(id.to_be_bytes());
        self.sha.update(event.at_us.to_be_bytes());
        for text in [event.actor, event.action, event.outcome, event.detail] {
            put_str(&mut self.sha, text);
        }
        self.count += 1;
        self.ids = Some(self.ids.map_or((id, id), |(first, _)| (first, id)));
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The sealing event's detail.
    pub fn detail(&self) -> String {
        let (first, last) = self.ids.unwrap_or((0, 0));
        format!(
            "sealed {} events recorded before the audit chain began, ids {first}-{last}, sha256 {}",
            self.count,
            hex::encode(self.sha.clone().finalize())
        )
    }
}

/// The SHA-256 of some stored bytes, as lowercase hex: how digests are kept.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(detail: &str) -> AuditFields<'_> {
        AuditFields {
            at_us: 1_637_800_000_000_000,
            actor: "tinh",
            action: "login",
            outcome: "ok",
            detail,
        }
    }

    #[test]
    fn hash_is_stable_across_versions_of_this_code() {
        // A fixed vector, also computed by a Python script from the layout
        // above: if it changes, the encoding needs a new version.
        let hash = audit_hash(&AUDIT_GENESIS_HASH, &event("from 127.0.0.1"));
        assert_eq!(
            hex::encode(hash),
            "265c7485b7a9b187a2e28e5135f6c294b7f3dbbff3b238e11afb2fb53cbca233"
        );
    }

    #[test]
    fn every_field_and_the_link_change_the_hash() {
        let base = audit_hash(&AUDIT_GENESIS_HASH, &event("a"));
        assert_ne!(base, audit_hash(&AUDIT_GENESIS_HASH, &event("b")));
        assert_ne!(base, audit_hash(&[1; 32], &event("a")));
        // Length-prefixed texts: moving a character across fields changes it.
        let mut moved = event("a");
        moved.actor = "tinha";
        moved.detail = "";
        assert_ne!(base, audit_hash(&AUDIT_GENESIS_HASH, &moved));
    }
}
