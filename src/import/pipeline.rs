//! The staged import as types that can only be used in order, each step consuming the
//! one before: [`Upload`] (authorized, district parsed) → [`Prepared`] (read and checked
//! by the row rules; no database) → [`Validated`] (checked against the ledger; nothing
//! stored) → [`Staged`] (bytes, digest and report kept as evidence; nothing posted) →
//! [`Committed`] (every accepted row posted in one transaction, or nothing).
//!
//! [`validate`], [`stage`], [`commit`] and [`commit_staged`] run these steps for the
//! entry points.

use super::approvals;
use super::parse::ProblemCode;
use super::parse::RollKind;
use super::payments;
use super::reads::RollReads;
use super::report::{Blocker, ImportReport, ImportStatus};
pub use super::roll::{ImportError, RollUpload, Source, FILE_NAME_LEN_MAX};
use crate::auth::{authorize, Action};
use crate::domain::audit::sha256_hex;
use crate::domain::journal::NewEntry;
use crate::domain::{DistrictCode, Money, Program, StoredFile, User};
use crate::ledger::read_model::{PersonChanges, RollScope};
use crate::ledger::{append_prepared, AppendError, Batch, ImportCommit, ReadAt};
use crate::store::{now_us, AuditEvent, NewImport, RollPeople, Store, StoreError};

pub async fn load_program(store: &dyn Store, code: &str) -> Result<Program, ImportError> {
    let definitions = store.program_definitions().await?;
    let (_, text) = definitions
        .into_iter()
        .find(|(c, _)| c == code)
        .ok_or_else(|| {
            ImportError::Refused(format!(
                "chương trình '{code}' không tồn tại / program '{code}' does not exist"
            ))
        })?;
    Program::from_toml(&text)
        .map_err(|e| StoreError::Corrupt(format!("stored program {code}: {e}")).into())
}

/// An upload whose district is parsed and whose user may import for it: both
/// decided here, once per import.
pub struct Upload {
    roll: RollUpload,
    district: DistrictCode,
    user: User,
}

impl Upload {
    /// Parses the district and checks that `user` may import rolls for it.
    pub fn new(user: &User, roll: RollUpload) -> Result<Upload, ImportError> {
        let district = DistrictCode::parse(&roll.district).map_err(ImportError::Refused)?;
        authorize(
            user,
            Action::ImportRoll {
                district: district.as_str(),
            },
        )?;
        Ok(Upload {
            roll,
            district,
            user: user.clone(),
        })
    }

    pub fn kind(&self) -> RollKind {
        self.roll.kind
    }

    /// What this roll's validation will read of the ledger.
    pub fn reads(&self) -> RollReads<'_> {
        RollReads::new(self.roll.kind, &self.roll.program, self.district.as_str())
    }

    /// Digests and reads the upload and applies the row rules; touches no
    /// database. `program` is the upload's program, as stored.
    pub fn prepare(mut self, program: Program) -> Result<Prepared, ImportError> {
        if program.code.as_str() != self.roll.program {
            return Err(ImportError::Refused(format!(
                "the roll is for program {}, not {}",
                self.roll.program, program.code
            )));
        }
        let mut laps = crate::telemetry::Laps::start("prepare");
        let source = Source::of(&self.roll);
        laps.lap("sha256");
        let district = self.district.as_str();
        let text =
            super::workbook::roll_text_of_sheet(&self.roll.bytes, self.roll.sheet.as_deref())?;
        let bytes = text.as_ref();
        laps.lap("workbook");
        let read = match self.roll.kind {
            RollKind::Approvals => {
                ReadRoll::Approvals(approvals::read(&program, district, bytes, &source)?)
            }
            RollKind::Payments => {
                ReadRoll::Payments(payments::read(&program, district, bytes, &source)?)
            }
        };
        laps.lap("read");
        // Here, beside the reading of other rolls, not where uploads are
        // stored one at a time; the file as uploaded is no longer needed.
        // A dry run compresses too (a fifth of the time spent reading the
        // roll) rather than the pipeline keeping two shapes of an upload.
        let file = StoredFile::encode(std::mem::take(&mut self.roll.bytes));
        laps.lap("compress");
        Ok(Prepared {
            upload: self,
            file,
            program,
            source,
            read,
        })
    }

    /// [`Upload::prepare`] on a blocking thread, off the async runtime.
    pub async fn prepare_in_background(self, program: Program) -> Result<Prepared, ImportError> {
        tokio::task::spawn_blocking(move || self.prepare(program))
            .await
            .map_err(|e| ImportError::Refused(format!("reading the roll failed: {e}")))?
    }
}

/// A roll read and checked by every rule that needs no database: the half of
/// validation that is pure CPU work, so that a batch can read the next roll
/// while the ledger takes the one before it.
pub struct Prepared {
    upload: Upload,
    /// The upload's file, encoded for storage.
    file: StoredFile,
    program: Program,
    source: Source,
    read: ReadRoll,
}

enum ReadRoll {
    Approvals(approvals::ReadApprovals),
    Payments(payments::ReadPayments),
}

impl Prepared {
    /// Checks the roll against the ledger and decides whether it may be
    /// committed; stores and posts nothing.
    pub async fn validate(self, store: &dyn Store) -> Result<Validated, ImportError> {
        let Prepared {
            upload,
            file,
            program,
            source,
            read,
        } = self;
        let district = upload.district.as_str();
        let declared = upload.roll.declared();
        let mut laps = crate::telemetry::Laps::start("validate");
        let validated_at_seq = store.head().await?.map_or(0, |head| head.seq);
        let checked = match read {
            ReadRoll::Approvals(read) => {
                approvals::check(store, &program, district, declared, &source, read).await?
            }
            ReadRoll::Payments(read) => {
                payments::check(store, &program, district, declared, &source, read).await?
            }
        };
        laps.lap("ledger checks");
        let mut report = checked.report;
        report.sheet = upload.roll.sheet.clone();
        report.number_sheet_rows();
        report.declared = declared;
        refuse_over_long_fields(&report)?;
        if let Some(existing) = store
            .committed_import_with_digest(
                upload.roll.kind.as_str(),
                program.code.as_str(),
                district,
                &report.sha256,
            )
            .await?
        {
            report.blocking.push(Blocker::AlreadyImported {
                import_id: existing,
                program: program.code.as_str().to_string(),
                district: district.to_string(),
            });
        }
        laps.lap("committed digest");
        if report.rows_accepted == 0 {
            report.blocking.push(Blocker::NoRowAccepted);
        }
        report.status = if report.can_commit() {
            ImportStatus::Validated
        } else {
            ImportStatus::Refused
        };
        // Worked out here, ahead of the commits, which run one at a time.
        let roll = RollScope::new(report.kind.as_str(), &report.program, &report.district);
        let person_changes =
            PersonChanges::of_roll(&checked.entries, Some(&roll), checked.roll_people.as_ref())?;
        laps.lap("person changes");
        Ok(Validated {
            report,
            upload,
            file,
            validated_at_seq,
            entries: checked.entries,
            roll_people: checked.roll_people,
            person_changes,
        })
    }
}

/// A field past the documented length limit refuses the whole file, like
/// the size and row limits: such a value is almost always a broken quote
/// that swallowed other rows, so nothing of the file can be trusted.
fn refuse_over_long_fields(report: &ImportReport) -> Result<(), ImportError> {
    let too_long = report
        .rejected
        .iter()
        .flat_map(|r| &r.problems)
        .find(|p| p.code == ProblemCode::TooLong);
    match too_long {
        Some(problem) => Err(ImportError::Refused(format!(
            "tệp bị từ chối, không lưu gì / the file is refused, nothing was stored: {}",
            super::report::describe(problem)
        ))),
        None => Ok(()),
    }
}

/// A roll checked against the ledger: its report (which says whether it may
/// be committed), and the entries a commit would post. Nothing is stored.
pub struct Validated {
    pub report: ImportReport,
    upload: Upload,
    file: StoredFile,
    /// The journal's head before validation read the ledger (0 when empty).
    validated_at_seq: i64,
    entries: Vec<NewEntry>,
    roll_people: Option<RollPeople>,
    /// What the entries and the roll's names change of its people's read
    /// model rows.
    person_changes: PersonChanges,
}

impl Validated {
    pub fn into_report(self) -> ImportReport {
        self.report
    }

    /// Keeps the upload (bytes, digest, report) as evidence; posts nothing.
    pub async fn stage(self, store: &dyn Store) -> Result<Staged, ImportError> {
        let Validated {
            mut report,
            upload,
            file,
            validated_at_seq,
            entries,
            roll_people,
            person_changes,
        } = self;
        let Upload { roll, user, .. } = upload;
        let mut laps = crate::telemetry::Laps::start("store upload");
        check_upload_quota(store, &report.district).await?;
        laps.lap("quota");
        let report_json = report.to_json();
        let report_sha256 = sha256_hex(report_json.as_bytes());
        let import_id = store
            .save_import(NewImport {
                kind: roll.kind.as_str().into(),
                program: roll.program,
                district: report.district.clone(),
                file_name: report.file_name.clone(),
                sha256: report.sha256.clone(),
                file,
                report_json,
                uploaded_at_us: now_us(),
                uploaded_by: user.username.clone(),
            })
            .await?;
        laps.lap("save");
        report.import_id = Some(import_id);
        Ok(Staged {
            report,
            import_id,
            report_sha256,
            user,
            validated_at_seq,
            entries,
            roll_people,
            person_changes,
        })
    }

    /// A validation of an import already stored (its bytes read back, its
    /// stored report's digest given).
    fn into_stored(self, import_id: i64, report_sha256: String) -> Staged {
        let Validated {
            mut report,
            upload,
            file: _,
            validated_at_seq,
            entries,
            roll_people,
            person_changes,
        } = self;
        report.import_id = Some(import_id);
        Staged {
            report,
            import_id,
            report_sha256,
            user: upload.user,
            validated_at_seq,
            entries,
            roll_people,
            person_changes,
        }
    }
}

/// A validated roll kept as evidence under its import id; nothing posted.
pub struct Staged {
    pub report: ImportReport,
    import_id: i64,
    /// SHA-256 (hex) of the report stored with the upload: evidence the
    /// commit puts under the chain.
    report_sha256: String,
    /// Who uploaded and validated it: the commit's actor.
    user: User,
    validated_at_seq: i64,
    entries: Vec<NewEntry>,
    roll_people: Option<RollPeople>,
    person_changes: PersonChanges,
}

/// A committed roll: its accepted rows are in the ledger.
pub struct Committed {
    pub report: ImportReport,
}

impl Staged {
    pub fn import_id(&self) -> i64 {
        self.import_id
    }

    /// Commits: all accepted rows in one transaction, or nothing.
    pub async fn commit(self, store: &dyn Store) -> Result<Committed, ImportError> {
        let Staged {
            mut report,
            import_id,
            report_sha256,
            user,
            validated_at_seq,
            entries,
            roll_people,
            person_changes,
        } = self;
        if !report.can_commit() {
            audit_refusal(store, &user, import_id, &report).await?;
            return Err(ImportError::Blocked(Box::new(report)));
        }
        let batch = commit_batch(
            &user,
            (import_id, report_sha256),
            validated_at_seq,
            &report,
            entries,
            roll_people,
        );
        match append_prepared(store, batch, person_changes).await {
            Ok(checkpoints) => {
                report.checkpoints = checkpoints;
                report.status = ImportStatus::Committed;
                Ok(Committed { report })
            }
            Err(AppendError::BalanceRule(broken)) => {
                report
                    .blocking
                    .push(Blocker::BalanceRule(broken.to_string()));
                report.status = ImportStatus::Refused;
                audit_refusal(store, &user, import_id, &report).await?;
                Err(ImportError::Blocked(Box::new(report)))
            }
            Err(AppendError::Conflict(message)) => {
                report.blocking.push(Blocker::Conflict(message));
                report.status = ImportStatus::Refused;
                Err(ImportError::Blocked(Box::new(report)))
            }
            Err(AppendError::Stale(message)) => {
                report.blocking.push(Blocker::Stale(message));
                report.status = ImportStatus::Refused;
                Err(ImportError::Stale(Box::new(report)))
            }
            Err(other) => Err(other.into()),
        }
    }
}

/// The ledger batch that posts a staged roll's entries.
fn commit_batch(
    user: &User,
    (import_id, report_sha256): (i64, String),
    validated_at_seq: i64,
    report: &ImportReport,
    entries: Vec<NewEntry>,
    roll_people: Option<RollPeople>,
) -> Batch {
    let now = now_us();
    Batch {
        actor: user.username.clone(),
        recorded_at_us: now,
        entries,
        program: None,
        import_commit: Some(ImportCommit {
            import_id,
            kind: report.kind.as_str(),
            program: report.program.clone(),
            district: report.district.clone(),
            sha256: report.sha256.clone(),
            report_sha256,
        }),
        roll_people,
        refused_payments: match report.kind {
            RollKind::Payments => crate::ledger::read_model::refused_payments(import_id, report),
            RollKind::Approvals => Vec::new(),
        },
        read_at: Some(ReadAt {
            seq: validated_at_seq,
            reads: RollReads::new(report.kind, &report.program, &report.district).accounts(),
            // Only a payment roll's read is refused whole (an approval roll's
            // is checked person by person).
            stale_message: format!(
                "số liệu phê duyệt hoặc chi trả của huyện {0} đã thay đổi sau khi danh sách được kiểm tra; chưa ghi gì: hãy kiểm tra lại / district {0}'s approvals or payments changed after this roll was validated; nothing was posted: validate it again",
                report.district
            ),
        }),
        audit: AuditEvent {
            at_us: now,
            actor: user.username.clone(),
            action: format!("import.commit.{}", report.kind.as_str()),
            outcome: "ok".into(),
            detail: format!(
                "import {import_id}: {} rows, {} đồng accepted; {} rejected",
                report.rows_accepted,
                Money::from_dong(report.accepted_total_dong).format_vi(),
                report.rows_rejected
            ),
        },
    }
}

async fn audit_refusal(
    store: &dyn Store,
    user: &User,
    import_id: i64,
    report: &ImportReport,
) -> Result<(), StoreError> {
    store
        .audit(AuditEvent {
            at_us: now_us(),
            actor: user.username.clone(),
            action: format!("import.commit.{}", report.kind.as_str()),
            outcome: "refused".into(),
            detail: format!("import {import_id}: {}", report.blocking_text()),
        })
        .await
}

/// Authorizes, reads and checks an upload against its program and the ledger;
/// stores and posts nothing.
pub async fn validate(
    store: &dyn Store,
    user: &User,
    upload: &RollUpload,
) -> Result<Validated, ImportError> {
    let upload = Upload::new(user, upload.clone())?;
    let program = load_program(store, &upload.roll.program).await?;
    upload
        .prepare_in_background(program)
        .await?
        .validate(store)
        .await
}

/// Validates and keeps the upload (bytes, digest, report) as evidence; posts nothing.
/// Uploads a district may leave uncommitted within a day. Stored files are
/// history and never deleted, so this bounds what uploads that nobody
/// commits can add to the database: 50 files of at most 64 MiB a district a day.
pub const UNCOMMITTED_UPLOADS_PER_DAY_MAX: i64 = 50;
const DAY_US: i64 = 24 * 60 * 60 * 1_000_000;

async fn check_upload_quota(store: &dyn Store, district: &str) -> Result<(), ImportError> {
    let waiting = store
        .uncommitted_uploads_since(district, now_us() - DAY_US)
        .await?;
    if waiting >= UNCOMMITTED_UPLOADS_PER_DAY_MAX {
        return Err(ImportError::Quota(format!(
            "district {district} has {waiting} uploads from the last 24 hours that were never committed \
             (at most {UNCOMMITTED_UPLOADS_PER_DAY_MAX}): commit or drop the ones you need before uploading more / \
             huyện {district} đã có {waiting} tệp tải lên trong 24 giờ qua chưa ghi sổ (tối đa {UNCOMMITTED_UPLOADS_PER_DAY_MAX})"
        )));
    }
    Ok(())
}

pub async fn stage(
    store: &dyn Store,
    user: &User,
    upload: &RollUpload,
) -> Result<Staged, ImportError> {
    let mut laps = crate::telemetry::Laps::start("stage");
    let validated = validate(store, user, upload).await?;
    laps.lap("validate");
    let staged = validated.stage(store).await?;
    laps.lap("save import");
    Ok(staged)
}

/// Commits a staged import as `user`, who staged it.
pub async fn commit(
    store: &dyn Store,
    user: &User,
    staged: Staged,
) -> Result<ImportReport, ImportError> {
    if staged.user.username != user.username {
        return Err(ImportError::Refused(format!(
            "lần nhập {0} do người khác tải lên: hãy ghi sổ theo số lần nhập / import {0} was staged by another user: commit it by its number",
            staged.import_id
        )));
    }
    Ok(staged.commit(store).await?.report)
}

/// Re-validates a staged import from its stored bytes (the ledger may have
/// moved since it was uploaded) and commits it as `user`.
pub async fn commit_staged(
    store: &dyn Store,
    user: &User,
    import_id: i64,
) -> Result<ImportReport, ImportError> {
    let record = store
        .import_record(import_id)
        .await?
        .ok_or(ImportError::NotFound(import_id))?;
    let kind: RollKind = record
        .kind
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("import {import_id}: stored roll kind: {e}")))?;
    let mut upload = Upload::new(
        user,
        RollUpload {
            kind,
            program: record.program.clone(),
            district: record.district.clone(),
            file_name: record.file_name.clone(),
            bytes: Vec::new(),
            sheet: None,
            expect_rows: None,
            expect_total: None,
        },
    )?;
    if record.committed_by.is_some() {
        return Err(ImportError::Refused(format!(
            "lần nhập {import_id} đã được ghi sổ / import {import_id} is already committed"
        )));
    }
    upload.roll.bytes = store
        .import_content(import_id)
        .await?
        .ok_or(ImportError::NotFound(import_id))?;
    let stored: ImportReport = serde_json::from_str(&record.report_json)
        .map_err(|e| StoreError::Corrupt(format!("import {import_id}: stored report: {e}")))?;
    if let Some(declared) = stored.declared_totals() {
        upload.roll.expect_rows = declared.rows;
        upload.roll.expect_total = declared.total();
    }
    // The sheet the uploader chose is read again, not the first.
    upload.roll.sheet = stored.sheet;
    let program = load_program(store, &record.program).await?;
    let validated = upload
        .prepare_in_background(program)
        .await?
        .validate(store)
        .await?;
    let report_sha256 = sha256_hex(record.report_json.as_bytes());
    Ok(validated
        .into_stored(import_id, report_sha256)
        .commit(store)
        .await?
        .report)
}
