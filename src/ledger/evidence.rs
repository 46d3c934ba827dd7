//! Verification of what lies under the chain beside the journal (entry
//! encoding 2): each import's commit record and the files, report and people
//! it stored, and the audit trail's own hash chain with the anchors entries
//! hold in it. [`super::verify::Verifier`] feeds it what the store's scan
//! streams; it keeps the first problem, as the verifier does.

use super::verify::{Place, VerifyProblem};
use crate::domain::audit::{audit_hash, sha256_hex, PreChainSeal, AUDIT_GENESIS_HASH, SEAL_ACTION};
use crate::domain::journal::{parse_hash, Checkpoint, ImportEvidence, StoredHeader};
use crate::domain::StoredFile;
use crate::store::{AuditRecord, ChainedAuditEvent, StoredEvidence, StoredImportCommit};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The entries that name one import: their lowest and highest seq, and how many.
#[derive(Debug, Clone, Copy)]
struct Named {
    first_seq: i64,
    last_seq: i64,
    count: i64,
    /// Who appended them and when (hashed): the commit's own actor and time.
    recorded_at_us: i64,
}

#[derive(Default)]
pub struct EvidenceCheck {
    commits: BTreeMap<i64, StoredImportCommit>,
    named: BTreeMap<i64, Named>,
    /// The actor of the first entry naming each import.
    actors: HashMap<i64, String>,
    evidence_seen: HashSet<i64>,
    /// Audit event id → (its hash as anchored, the first entry anchoring it).
    anchors: HashMap<i64, (String, i64)>,
    audit_prev: Option<[u8; 32]>,
    /// The events recorded before the chain began, as the chain's first seals them.
    pre_chain: PreChainSeal,
    /// The newest chained event: the audit trail's checkpoint.
    pub audit_head: Option<Checkpoint>,
    /// An audit checkpoint from an earlier verification (event id, hash),
    /// and whether the trail still holds it.
    pub audit_checkpoint: Option<Checkpoint>,
    audit_checkpoint_met: bool,
    /// Where an incremental verification starts: the trail up to this event
    /// was verified before.
    verified_audit: Option<Checkpoint>,
    pub audit_events: u64,
    /// Events recorded before the audit chain began (migration 0005).
    pub audit_events_unchained: u64,
    pub problem: Option<VerifyProblem>,
}

impl EvidenceCheck {
    /// Checks only what follows `audit_head`, verified before (`None`: an
    /// earlier verification found no chained event).
    pub fn start_after(&mut self, audit_head: Option<Checkpoint>) -> Result<(), String> {
        if let Some(head) = &audit_head {
            let hash = parse_hash(&head.hash)
                .ok_or_else(|| format!("the verified audit head {head} is not a hash"))?;
            self.audit_prev = Some(hash);
        }
        self.audit_head.clone_from(&audit_head);
        self.verified_audit = audit_head;
        Ok(())
    }

    pub fn import_commit(&mut self, commit: StoredImportCommit) {
        self.commits.insert(commit.import_id, commit);
    }

    pub fn imports_checked(&self) -> u64 {
        self.evidence_seen.len() as u64
    }

    /// The evidence an entry of encoding 2 hashes, from its import's stored
    /// commit record; `Err` names the import whose record is gone.
    pub fn evidence_of(
        &self,
        header: &StoredHeader,
    ) -> Result<Option<ImportEvidence>, VerifyProblem> {
        let Some(import_id) = header.import_id else {
            return Ok(None);
        };
        let gone = |vi: &str, en: &str| {
            VerifyProblem {
            at: Place::Import(import_id),
            reason: format!(
                "bút toán {0} do lần nhập {import_id} ghi, nhưng bản ghi xác nhận của lần nhập {vi} / entry {0} was posted by import {import_id}, whose commit record {en}",
                header.seq
            ),
        }
        };
        match self.commits.get(&import_id) {
            None => Err(gone("không còn", "is missing (import_commits)")),
            Some(commit) => commit
                .evidence()
                .map(Some)
                .ok_or_else(|| gone("đã mất mã băm báo cáo", "has lost its report digest")),
        }
    }

    /// An entry that passed the chain check: which import and audit event it names.
    pub fn entry(&mut self, header: &StoredHeader) {
        if let Some(import_id) = header.import_id {
            let named = self.named.entry(import_id).or_insert_with(|| Named {
                first_seq: header.seq,
                last_seq: header.seq,
                count: 0,
                recorded_at_us: header.recorded_at_us,
            });
            if named.count == 0 {
                self.actors.insert(import_id, header.actor.clone());
            }
            named.last_seq = header.seq;
            named.count += 1;
        }
        if let Some(anchor) = header
            .audit_anchor
            .as_ref()
            .filter(|_| header.encoding >= 2)
        {
            if let Some(verified) = self.verified_audit.clone() {
                // An event the earlier verification reached: its own hash
                // is known; older ones were checked then.
                if anchor.event_id == verified.seq && anchor.hash != verified.hash {
                    self.fail(VerifyProblem {
                        at: Place::AuditEvent(anchor.event_id),
                        reason: format!(
                            "bút toán {} neo vào sự kiện này với mã băm khác / entry {} anchors it with another hash",
                            header.seq, header.seq
                        ),
                    });
                }
                if anchor.event_id <= verified.seq {
                    return;
                }
            }
            self.anchors
                .entry(anchor.event_id)
                .or_insert((anchor.hash.clone(), header.seq));
        }
    }

    /// After the journal: every commit record agrees with the entries that name it.
    pub fn check_commits(&mut self) {
        for (import_id, commit) in &self.commits {
            let named = self.named.get(import_id).copied();
            let recorded = commit.first_seq.zip(commit.last_seq);
            let agrees = match (named, recorded) {
                // Every import that commits posts at least one entry (an
                // import with no accepted row is refused), so a record
                // without entries was never written by a commit.
                (None, None) => false,
                (Some(n), Some((first, last))) => {
                    n.first_seq == first && n.last_seq == last && n.count == last - first + 1
                }
                _ => false,
            };
            let by_whom_agrees = named.is_some_and(|n| n.recorded_at_us == commit.committed_at_us)
                && self.actors.get(import_id) == Some(&commit.committed_by);
            if !agrees || !by_whom_agrees {
                let reason = if agrees {
                    format!(
                        "bản ghi xác nhận ghi người và thời điểm ghi sổ ({0}, {1}) khác với các bút toán của nó / its commit record's committer and time ({0}, {1}) differ from its entries'",
                        commit.committed_by, commit.committed_at_us
                    )
                } else {
                    format!(
                        "bản ghi xác nhận ghi các bút toán {0} nhưng sổ cái có {1} / its commit record says it posted entries {0} but the journal's entries naming it are {1}",
                        recorded.map_or("none".into(), |(a, b)| format!("{a}–{b}")),
                        named.map_or("none".into(), |n| format!("{}–{} ({} entries)", n.first_seq, n.last_seq, n.count)),
                    )
                };
                let problem = VerifyProblem {
                    at: Place::Import(*import_id),
                    reason,
                };
                self.fail(problem);
                return;
            }
        }
        for import_id in self.named.keys() {
            if !self.commits.contains_key(import_id) {
                self.fail(VerifyProblem {
                    at: Place::Import(*import_id),
                    reason: "có bút toán ghi tên lần nhập này nhưng thiếu bản ghi xác nhận (import_commits) / entries name it, but its commit record is missing (import_commits)".into(),
                });
                return;
            }
        }
    }

    /// What a committed import stored, recomputed against its commit record.
    pub fn import_evidence(&mut self, mut stored: StoredEvidence) {
        self.evidence_seen.insert(stored.import_id);
        let Some(commit) = self.commits.get(&stored.import_id) else {
            return;
        };
        // Decoding also holds the file to the length its upload record says.
        let encoded = std::mem::take(&mut stored.content);
        let decoded = StoredFile::decode(&stored.content_encoding, encoded, stored.size_bytes);
        let problem = match decoded {
            Ok(file) => stored_evidence_problem(commit, &stored, &file),
            Err(why) => Some(format!(
                "Tệp gốc đã lưu ({0}) không đọc lại được ({why}): đã bị thay đổi sau khi ghi sổ / its stored file ({0}) cannot be read back ({why}): it was changed after the commit",
                stored.file_name
            )),
        };
        if let Some(problem) = problem {
            self.fail(VerifyProblem {
                at: Place::Import(stored.import_id),
                reason: problem,
            });
        }
    }

    /// The next audit event in id order.
    pub fn audit_event(&mut self, event: ChainedAuditEvent) {
        self.audit_events += 1;
        let id = event.record.id;
        if let Err(reason) = self.link(&event) {
            self.fail(VerifyProblem {
                at: Place::AuditEvent(id),
                reason,
            });
        }
    }

    fn link(&mut self, event: &ChainedAuditEvent) -> Result<(), String> {
        let (Some(prev_text), Some(hash_text)) = (&event.prev_hash, &event.hash) else {
            if let Some((_, seq)) = self.anchors.remove(&event.record.id) {
                return Err(format!(
                    "bút toán {seq} neo vào sự kiện này nhưng mã băm của nó đã bị xoá / entry {seq} anchors it, but its hash was removed"
                ));
            }
            if self.audit_prev.is_some() {
                return Err("sự kiện không có mã băm dù các sự kiện trước đã nối chuỗi: liên kết đã bị xoá / it has no hash, but events before it are chained: its link was removed".into());
            }
            self.audit_events_unchained += 1;
            self.pre_chain.add(event.record.id, &event.record.fields());
            return Ok(());
        };
        if self.audit_prev.is_none() {
            self.check_seal(&event.record)?;
        }
        let prev = self.audit_prev.unwrap_or(AUDIT_GENESIS_HASH);
        if parse_hash(prev_text) != Some(prev) {
            return Err("liên kết không khớp sự kiện trước: một sự kiện đã bị xoá hoặc sửa / its link does not match the event before it: an event was removed or changed".into());
        }
        let record = &event.record;
        let recomputed = audit_hash(&prev, &record.fields());
        if hex::encode(recomputed) != *hash_text {
            return Err("nội dung không khớp mã băm: sự kiện đã bị sửa / its contents do not match its hash: the event was changed".into());
        }
        self.audit_prev = Some(recomputed);
        self.audit_head = Some(Checkpoint {
            seq: record.id,
            hash: hash_text.clone(),
        });
        if let Some(checkpoint) = self
            .audit_checkpoint
            .as_ref()
            .filter(|c| c.seq == record.id)
        {
            if checkpoint.hash != *hash_text {
                return Err(format!(
                    "mã băm khác với điểm kiểm tra nhật ký {checkpoint}: nhật ký đã bị viết lại / its hash differs from the audit checkpoint {checkpoint}: the trail was rewritten"
                ));
            }
            self.audit_checkpoint_met = true;
        }
        if let Some((anchored, seq)) = self.anchors.remove(&record.id) {
            if anchored != *hash_text {
                return Err(format!(
                    "mã băm khác với mã bút toán {seq} đã neo / its hash differs from the one entry {seq} anchored"
                ));
            }
        }
        Ok(())
    }

    /// The chain's first event seals the events recorded before it, if any:
    /// none of them can be added, changed or removed unseen.
    fn check_seal(&self, first: &AuditRecord) -> Result<(), String> {
        let sealing = first.action == SEAL_ACTION;
        match (self.pre_chain.count(), sealing) {
            (0, false) => Ok(()),
            (_, true) if first.detail == self.pre_chain.detail() => Ok(()),
            (0, true) => Err("sự kiện niêm phong các sự kiện cũ nhưng chúng không còn / it seals events recorded before the chain, but they are gone".into()),
            (count, false) => Err(format!(
                "{count} sự kiện không nối chuỗi đứng trước chuỗi mà không được niêm phong: đã bị thêm vào / {count} events without a hash stand before the chain, and no seal covers them: they were added"
            )),
            (_, true) => Err("các sự kiện ghi trước chuỗi không khớp niêm phong: một sự kiện đã bị thêm, sửa hoặc xoá / the events recorded before the chain do not match its seal: one was added, changed or removed".into()),
        }
    }

    /// After everything: commits whose evidence never came, anchors never
    /// met, an audit checkpoint the trail no longer reaches.
    pub fn finish(&mut self) {
        if let Some(checkpoint) = self
            .audit_checkpoint
            .clone()
            .filter(|_| !self.audit_checkpoint_met)
        {
            self.fail(VerifyProblem {
                at: Place::AuditEvent(checkpoint.seq),
                reason: format!(
                    "sự kiện nhật ký {0} của điểm kiểm tra không còn: nhật ký đã bị cắt / audit event {0} of the audit checkpoint is missing: the trail was cut",
                    checkpoint.seq
                ),
            });
        }
        if let Some(import_id) = self
            .commits
            .keys()
            .find(|id| !self.evidence_seen.contains(id))
        {
            let problem = VerifyProblem {
                at: Place::Import(*import_id),
                reason:
                    "đã ghi sổ nhưng thiếu tệp gốc đã lưu / it is recorded as committed but its stored file is missing"
                        .into(),
            };
            self.fail(problem);
        }
        if let Some((&event_id, (_, seq))) = self.anchors.iter().min_by_key(|(id, _)| **id) {
            let problem = VerifyProblem {
                at: Place::AuditEvent(event_id),
                reason: format!(
                    "bút toán {seq} neo vào sự kiện nhật ký {event_id}, nhưng sự kiện đó không còn: nhật ký kiểm toán đã bị cắt / entry {seq} anchors audit event {event_id}, which is missing: the audit trail was cut"
                ),
            };
            self.fail(problem);
        }
    }

    fn fail(&mut self, problem: VerifyProblem) {
        if self.problem.is_none() {
            self.problem = Some(problem);
        }
    }
}

/// Why what an import stored differs from its commit record, if it does:
/// the digests of its `file` (decoded), report and people, then its upload
/// record (the columns the application reads: kind, program, district, file
/// name; its size was held to the file's when the file was decoded).
fn stored_evidence_problem(
    commit: &StoredImportCommit,
    stored: &StoredEvidence,
    file: &[u8],
) -> Option<String> {
    let (in_vi, in_en) = commit
        .first_seq
        .map_or((String::new(), String::new()), |seq| {
            (format!(" tại bút toán {seq}"), format!(" in entry {seq}"))
        });
    let changed = |vi: &str, en: &str| {
        format!(
            "{vi} đã lưu ({0}) không khớp mã băm ghi cùng lần nhập{in_vi}: đã bị thay đổi sau khi ghi sổ / its stored {en} ({0}) does not match the digest committed with it{in_en}: it was changed after the commit",
            stored.file_name
        )
    };
    if sha256_hex(file) != commit.file_sha256 {
        return Some(changed("Tệp gốc", "file"));
    }
    let Some(report_sha256) = &commit.report_sha256 else {
        // Committed before reports and people were kept under the chain.
        return upload_record_problem(commit, stored, None);
    };
    if sha256_hex(stored.report.as_bytes()) != *report_sha256 {
        return Some(changed("Báo cáo kiểm tra", "report"));
    }
    if commit.people_sha256
        != stored
            .people
            .as_ref()
            .map(|people| sha256_hex(people.as_bytes()))
    {
        return Some(changed(
            "Danh sách người (tên như trên danh sách)",
            "people document (names as on the roll)",
        ));
    }
    upload_record_problem(commit, stored, Some(&stored.report))
}

/// The upload record against the commit record and, where its digest held,
/// the stored report (which names the file as uploaded).
fn upload_record_problem(
    commit: &StoredImportCommit,
    stored: &StoredEvidence,
    verified_report: Option<&str>,
) -> Option<String> {
    let reported_name = verified_report
        .and_then(|report| serde_json::from_str::<serde_json::Value>(report).ok())
        .and_then(|report| report.get("file_name")?.as_str().map(str::to_string));
    let mismatches = [
        ("kind", stored.kind == commit.kind),
        ("program", stored.program == commit.program),
        ("district", stored.district == commit.district),
        ("sha256", stored.sha256 == commit.file_sha256),
        (
            "file_name",
            reported_name.is_none_or(|name| name == stored.file_name),
        ),
    ];
    let (column, _) = mismatches.iter().find(|(_, agrees)| !agrees)?;
    Some(format!(
        "cột {column} của bản ghi tải lên (imports) không khớp bản ghi xác nhận hoặc báo cáo đã lưu: đã bị sửa / its upload record's {column} (imports) differs from its commit record or stored report: it was changed"
    ))
}
