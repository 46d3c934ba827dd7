//! The canonical encoding of an entry, versions 1 and 2, and the hash chain.
//!
//! `hash = SHA-256(prev_hash ‖ canonical_bytes(entry))`, where `prev_hash` is
//! the previous entry's 32-byte hash (32 zero bytes before the first entry).
//! The bytes depend only on the entry's values, never on the database, so
//! SQLite and PostgreSQL produce the same chain. Layout (all integers
//! big-endian; `str` = u32 byte length then UTF-8 bytes; `opt` = 0 for none,
//! or 1 followed by the value):
//!
//! ```text
//! "ansinh-entry" u16 version
//! i64 seq · str effective_date (YYYY-MM-DD) · i64 recorded_at (µs since Unix epoch, UTC)
//! str actor · str kind · str reference · str memo · opt i64 corrects_seq
//! version 2 only:
//!   opt import evidence: i64 import_id · str kind · str program · str district
//!     · str file_sha256 · str report_sha256 · opt str people_sha256   (digests as hex)
//!   opt audit anchor: i64 event_id · str event_hash (hex)
//! u32 posting count, then per posting in order:
//!   str account · i64 amount (đồng) · opt str beneficiary · opt u64 source_line
//!   · opt str reference
//! ```
//! Version 2 (migration 0005) puts an import's evidence and the audit trail
//! under the chain; entries keep the version they were appended with (the
//! `encoding` column), so a ledger written before still verifies. Any change
//! to this layout gets a new version number.

use crate::domain::journal::{AuditAnchor, ImportEvidence, Posting, POSTINGS_PER_ENTRY_MAX};
use sha2::{Digest, Sha256};

/// The version new entries are appended with.
pub const ENCODING_VERSION: u16 = 2;
/// The first version, before evidence and audit anchors were hashed.
pub const ENCODING_VERSION_1: u16 = 1;
const MAGIC: &[u8] = b"ansinh-entry";
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// The fields of an entry that the hash covers, borrowed.
pub struct EntryFields<'a> {
    pub seq: i64,
    pub effective_date: &'a str,
    pub recorded_at_us: i64,
    pub actor: &'a str,
    pub kind: &'a str,
    pub reference: &'a str,
    pub memo: &'a str,
    pub corrects_seq: Option<i64>,
    /// [`ENCODING_VERSION`] or [`ENCODING_VERSION_1`]: a version-1 entry
    /// hashes neither of the two fields below.
    pub encoding: u16,
    pub evidence: Option<&'a ImportEvidence>,
    pub audit_anchor: Option<&'a AuditAnchor>,
}

/// Incremental hasher: postings are fed one by one so that verification can
/// stream a large entry without holding its bytes.
pub struct EntryHasher {
    sha: Sha256,
}

impl EntryHasher {
    pub fn new(prev_hash: &[u8; 32], fields: &EntryFields<'_>, posting_count: u32) -> EntryHasher {
        let mut sha = Sha256::new();
        sha.update(prev_hash);
        sha.update(MAGIC);
        sha.update(fields.encoding.to_be_bytes());
        sha.update(fields.seq.to_be_bytes());
        put_str(&mut sha, fields.effective_date);
        sha.update(fields.recorded_at_us.to_be_bytes());
        put_str(&mut sha, fields.actor);
        put_str(&mut sha, fields.kind);
        put_str(&mut sha, fields.reference);
        put_str(&mut sha, fields.memo);
        match fields.corrects_seq {
            None => sha.update([0u8]),
            Some(seq) => {
                sha.update([1u8]);
                sha.update(seq.to_be_bytes());
            }
        }
        if fields.encoding >= ENCODING_VERSION {
            put_evidence(&mut sha, fields.evidence);
            put_anchor(&mut sha, fields.audit_anchor);
        }
        sha.update(posting_count.to_be_bytes());
        EntryHasher { sha }
    }

    pub fn posting(
        &mut self,
        account: &str,
        amount_dong: i64,
        beneficiary: Option<&str>,
        line: Option<u64>,
        reference: Option<&str>,
    ) {
        put_str(&mut self.sha, account);
        self.sha.update(amount_dong.to_be_bytes());
        match beneficiary {
            None => self.sha.update([0u8]),
            Some(id) => {
                self.sha.update([1u8]);
                put_str(&mut self.sha, id);
            }
        }
        match line {
            None => self.sha.update([0u8]),
            Some(line) => {
                self.sha.update([1u8]);
                self.sha.update(line.to_be_bytes());
            }
        }
        match reference {
            None => self.sha.update([0u8]),
            Some(reference) => {
                self.sha.update([1u8]);
                put_str(&mut self.sha, reference);
            }
        }
    }

    pub fn finish(self) -> [u8; 32] {
        self.sha.finalize().into()
    }
}

/// The posting count is written as a `u32`: every entry that can be
/// appended fits it.
const _: () = assert!(POSTINGS_PER_ENTRY_MAX as u64 <= u32::MAX as u64);

fn put_evidence(sha: &mut Sha256, evidence: Option<&ImportEvidence>) {
    let Some(evidence) = evidence else {
        sha.update([0u8]);
        return;
    };
    sha.update([1u8]);
    sha.update(evidence.import_id.to_be_bytes());
    for text in [
        &evidence.kind,
        &evidence.program,
        &evidence.district,
        &evidence.file_sha256,
        &evidence.report_sha256,
    ] {
        put_str(sha, text);
    }
    match &evidence.people_sha256 {
        None => sha.update([0u8]),
        Some(digest) => {
            sha.update([1u8]);
            put_str(sha, digest);
        }
    }
}

fn put_anchor(sha: &mut Sha256, anchor: Option<&AuditAnchor>) {
    let Some(anchor) = anchor else {
        sha.update([0u8]);
        return;
    };
    sha.update([1u8]);
    sha.update(anchor.event_id.to_be_bytes());
    put_str(sha, &anchor.hash);
}

fn put_str(sha: &mut Sha256, text: &str) {
    // Neither database stores a text of 4 GiB (SQLite's strings and
    // PostgreSQL's fields stop at 1 GB), and the entry limits are far lower.
    let length = u32::try_from(text.len()).expect("an entry's text is shorter than 4 GiB");
    sha.update(length.to_be_bytes());
    sha.update(text.as_bytes());
}

/// Hash of a whole entry given its predecessor's hash.
pub fn entry_hash(
    prev_hash: &[u8; 32],
    fields: &EntryFields<'_>,
    postings: &[Posting],
) -> [u8; 32] {
    // Appended entries are checked against POSTINGS_PER_ENTRY_MAX first.
    let count = u32::try_from(postings.len()).expect("an entry's postings fit a u32 count");
    let mut hasher = EntryHasher::new(prev_hash, fields, count);
    for posting in postings {
        hasher.posting(
            posting.account.as_str(),
            posting.amount.dong(),
            posting.beneficiary.as_deref(),
            posting.source_line,
            posting.reference.as_deref(),
        );
    }
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountPath, Money};

    fn fields() -> EntryFields<'static> {
        EntryFields {
            seq: 1,
            effective_date: "2021-11-25",
            recorded_at_us: 1_637_800_000_000_000,
            actor: "admin",
            kind: "donation",
            reference: "UNC-1",
            memo: "",
            corrects_seq: None,
            encoding: ENCODING_VERSION_1,
            evidence: None,
            audit_anchor: None,
        }
    }

    fn postings(amount: i64) -> Vec<Posting> {
        vec![
            Posting {
                account: AccountPath::parse("fund:covid").unwrap(),
                amount: Money::from_dong(amount),
                beneficiary: None,
                source_line: None,
                reference: None,
            },
            Posting {
                account: AccountPath::parse("donations:covid").unwrap(),
                amount: Money::from_dong(-amount),
                beneficiary: None,
                source_line: Some(3),
                reference: Some("CT-1".into()),
            },
        ]
    }

    #[test]
    fn hash_is_stable_across_versions_of_this_code() {
        // A fixed vector, also computed by an independent Python script from the
        // layout documented above: if it changes, the encoding needs a new version.
        let hash = entry_hash(&GENESIS_HASH, &fields(), &postings(1_000_000));
        assert_eq!(
            hex::encode(hash),
            "8060beee31bd2869cbed5350ed737e18d1afb0402d489786f2bcbd6277cf1186"
        );
    }

    #[test]
    fn every_field_changes_the_hash() {
        let base = entry_hash(&GENESIS_HASH, &fields(), &postings(1_000_000));
        assert_ne!(
            base,
            entry_hash(&GENESIS_HASH, &fields(), &postings(1_000_001))
        );
        let mut other = fields();
        other.seq = 2;
        assert_ne!(
            base,
            entry_hash(&GENESIS_HASH, &other, &postings(1_000_000))
        );
        assert_ne!(base, entry_hash(&[1; 32], &fields(), &postings(1_000_000)));
    }

    fn evidence() -> ImportEvidence {
        ImportEvidence {
            import_id: 7,
            kind: "approvals".into(),
            program: "NQ68".into(),
            district: "842".into(),
            file_sha256: "a".repeat(64),
            report_sha256: "b".repeat(64),
            people_sha256: Some("c".repeat(64)),
        }
    }

    fn anchor() -> AuditAnchor {
        AuditAnchor {
            event_id: 12,
            hash: "d".repeat(64),
        }
    }

    #[test]
    fn version_2_hashes_evidence_and_anchor_as_documented() {
        // Computed by a Python script from the layout in this module's doc.
        let (evidence, anchor) = (evidence(), anchor());
        let mut v2 = fields();
        v2.encoding = ENCODING_VERSION;
        v2.evidence = Some(&evidence);
        v2.audit_anchor = Some(&anchor);
        assert_eq!(
            hex::encode(entry_hash(&GENESIS_HASH, &v2, &postings(1_000_000))),
            "4596ceab632671da658b8a689070873f1f60f2321a12b7485bceab8ec8eeac19"
        );
    }

    #[test]
    fn every_evidence_digest_and_the_anchor_change_a_version_2_hash() {
        let anchor = anchor();
        let hash_with = |evidence: &ImportEvidence, anchor: Option<&AuditAnchor>| {
            let mut v2 = fields();
            v2.encoding = ENCODING_VERSION;
            v2.evidence = Some(evidence);
            v2.audit_anchor = anchor;
            entry_hash(&GENESIS_HASH, &v2, &postings(1_000_000))
        };
        let base = hash_with(&evidence(), Some(&anchor));
        let changes: [fn(&mut ImportEvidence); 5] = [
            |e| e.import_id = 8,
            |e| e.file_sha256 = "e".repeat(64),
            |e| e.report_sha256 = "e".repeat(64),
            |e| e.people_sha256 = None,
            |e| e.district = "844".into(),
        ];
        for change in changes {
            let mut changed = evidence();
            change(&mut changed);
            assert_ne!(base, hash_with(&changed, Some(&anchor)));
        }
        assert_ne!(base, hash_with(&evidence(), None));
        // Version 1 hashes neither: an old entry keeps its hash.
        let (evidence, mut v1) = (evidence(), fields());
        v1.evidence = Some(&evidence);
        assert_eq!(
            entry_hash(&GENESIS_HASH, &v1, &postings(1_000_000)),
            entry_hash(&GENESIS_HASH, &fields(), &postings(1_000_000))
        );
    }
}
