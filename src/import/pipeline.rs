//! The staged import: parse → validate → plan → commit. `validate` posts
//! nothing; `commit` posts every accepted row in one transaction or nothing.

use super::approvals;
use super::parse::{FileError, RollKind};
use super::payments;
use super::report::{ImportReport, ImportStatus};
use crate::auth::{authorize, Action, Forbidden};
use crate::domain::journal::NewEntry;
use crate::domain::User;
use crate::domain::{DistrictCode, Money, Program};
use crate::ledger::{append, AppendError, Batch, ImportCommit};
use crate::store::{now_us, AuditEvent, NewImport, RollPeople, Store, StoreError};
use sha2::{Digest, Sha256};

/// A file name longer than this is cut: it is a label, the digest is the identity.
pub const FILE_NAME_LEN_MAX: usize = 255;

#[derive(Debug, Clone)]
pub struct RollUpload {
    pub kind: RollKind,
    pub program: String,
    pub district: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub expect_rows: Option<u64>,
    pub expect_total: Option<Money>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Forbidden(#[from] Forbidden),
    /// The whole file is refused; nothing was stored.
    #[error("{0}")]
    File(#[from] FileError),
    #[error("{0}")]
    Refused(String),
    #[error("import {0} not found / không tìm thấy")]
    NotFound(i64),
    /// Validated, but the commit is refused; the report says why.
    #[error("commit refused / không ghi sổ: {}", .0.blocking.join("; "))]
    Blocked(Box<ImportReport>),
    /// Validated, but the ledger changed what validation read before the
    /// commit: nothing was posted; validating again may succeed.
    #[error("commit refused / không ghi sổ: {}", .0.blocking.join("; "))]
    Stale(Box<ImportReport>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Append(#[from] AppendError),
}

/// The identity of the uploaded file.
pub struct Source {
    pub sha256: String,
    pub file_name: String,
}

/// What validation produced: the report, and the entries a commit would post.
pub struct Validated {
    pub report: ImportReport,
    /// The journal's head before validation read the ledger (0 when empty).
    pub validated_at_seq: i64,
    pub entries: Vec<NewEntry>,
    pub roll_people: Option<RollPeople>,
}

pub async fn load_program(store: &dyn Store, code: &str) -> Result<Program, ImportError> {
    let definitions = store.program_definitions().await?;
    let (_, text) = definitions
        .into_iter()
        .find(|(c, _)| c == code)
        .ok_or_else(|| {
            ImportError::Refused(format!(
                "program '{code}' does not exist / chương trình không tồn tại"
            ))
        })?;
    Program::from_toml(&text)
        .map_err(|e| StoreError::Corrupt(format!("stored program {code}: {e}")).into())
}

/// A roll read and checked by every rule that needs no database: the half of
/// validation that is pure CPU work, so that a batch can read the next roll
/// while the ledger takes the one before it.
pub struct Prepared {
    upload: RollUpload,
    program: Program,
    district: DistrictCode,
    source: Source,
    /// Taken by validation.
    read: Option<ReadRoll>,
}

enum ReadRoll {
    Approvals(approvals::ReadApprovals),
    Payments(payments::ReadPayments),
}

/// Digests and reads the upload and applies the row rules; touches no database.
pub fn prepare(program: Program, upload: RollUpload) -> Result<Prepared, ImportError> {
    let district = DistrictCode::parse(&upload.district).map_err(ImportError::Refused)?;
    let mut laps = crate::telemetry::Laps::start("prepare");
    let source = Source {
        sha256: hex::encode(Sha256::digest(&upload.bytes)),
        file_name: upload.file_name.chars().take(FILE_NAME_LEN_MAX).collect(),
    };
    laps.lap("sha256");
    let read = match upload.kind {
        RollKind::Approvals => ReadRoll::Approvals(approvals::read(
            &program,
            district.as_str(),
            &upload,
            &source,
        )?),
        RollKind::Payments => ReadRoll::Payments(payments::read(
            &program,
            district.as_str(),
            &upload,
            &source,
        )?),
    };
    Ok(Prepared {
        upload,
        program,
        district,
        source,
        read: Some(read),
    })
}

/// [`prepare`] on a blocking thread, off the async runtime.
async fn prepare_in_background(
    program: Program,
    upload: RollUpload,
) -> Result<Prepared, ImportError> {
    tokio::task::spawn_blocking(move || prepare(program, upload))
        .await
        .map_err(|e| ImportError::Refused(format!("reading the roll failed: {e}")))?
}

/// Parses and validates; stores and posts nothing.
pub async fn validate(
    store: &dyn Store,
    user: &User,
    upload: &RollUpload,
) -> Result<Validated, ImportError> {
    let mut prepared = prepare_upload(store, user, upload).await?;
    validate_prepared(store, user, &mut prepared).await
}

/// Checks that the user may import for the upload's district, then reads it.
async fn prepare_upload(
    store: &dyn Store,
    user: &User,
    upload: &RollUpload,
) -> Result<Prepared, ImportError> {
    let district = DistrictCode::parse(&upload.district).map_err(ImportError::Refused)?;
    authorize(
        user,
        Action::ImportRoll {
            district: district.as_str(),
        },
    )?;
    let program = load_program(store, &upload.program).await?;
    prepare_in_background(program, upload.clone()).await
}

/// Checks a prepared roll against the ledger; stores and posts nothing. The
/// roll's rows are used up: a prepared roll is validated once.
pub async fn validate_prepared(
    store: &dyn Store,
    user: &User,
    prepared: &mut Prepared,
) -> Result<Validated, ImportError> {
    let read = prepared.read.take().ok_or_else(|| {
        ImportError::Refused("this roll was already validated; read it again".into())
    })?;
    let Prepared {
        upload,
        program,
        district,
        source,
        ..
    } = prepared;
    authorize(
        user,
        Action::ImportRoll {
            district: district.as_str(),
        },
    )?;
    let mut laps = crate::telemetry::Laps::start("validate");
    let validated_at_seq = store.head().await?.map_or(0, |head| head.seq);
    let mut validated = match read {
        ReadRoll::Approvals(read) => {
            approvals::check(store, program, district.as_str(), upload, source, read).await?
        }
        ReadRoll::Payments(read) => {
            payments::check(store, program, district.as_str(), source, read).await?
        }
    };
    laps.lap("ledger checks");
    validated.validated_at_seq = validated_at_seq;
    let report = &mut validated.report;
    refuse_over_long_fields(report)?;
    let kind = kind_name(upload.kind);
    if let Some(existing) = store
        .committed_import_with_digest(
            kind,
            program.code.as_str(),
            district.as_str(),
            &report.sha256,
        )
        .await?
    {
        report.blocking.push(format!(
            "this file was already imported for program {} and district {} (import {existing}); it will not be posted twice / tệp này đã được nhập (lần nhập {existing})",
            program.code, district
        ));
    }
    laps.lap("committed digest");
    if report.rows_accepted == 0 {
        report
            .blocking
            .push("no row was accepted / không có dòng hợp lệ".into());
    }
    report.status = if report.can_commit() {
        ImportStatus::Validated
    } else {
        ImportStatus::Refused
    };
    Ok(validated)
}

/// A field past the documented length limit refuses the whole file, like
/// the size and row limits: such a value is almost always a broken quote
/// that swallowed other rows, so nothing of the file can be trusted.
fn refuse_over_long_fields(report: &ImportReport) -> Result<(), ImportError> {
    let too_long = report
        .rejected
        .iter()
        .flat_map(|r| &r.problems)
        .find(|p| p.code == "too_long");
    match too_long {
        Some(problem) => Err(ImportError::Refused(format!(
            "the file is refused, nothing was stored: {} / tệp bị từ chối, không lưu gì",
            super::report::describe(problem)
        ))),
        None => Ok(()),
    }
}

pub fn kind_name(kind: RollKind) -> &'static str {
    match kind {
        RollKind::Approvals => "approvals",
        RollKind::Payments => "payments",
    }
}

/// Validates and keeps the upload (bytes, digest, report) as evidence; posts nothing.
pub async fn stage(
    store: &dyn Store,
    user: &User,
    upload: &RollUpload,
) -> Result<Validated, ImportError> {
    let prepared = prepare_upload(store, user, upload).await?;
    stage_prepared(store, user, prepared).await
}

/// [`stage`] for a roll already prepared.
pub async fn stage_prepared(
    store: &dyn Store,
    user: &User,
    mut prepared: Prepared,
) -> Result<Validated, ImportError> {
    let mut laps = crate::telemetry::Laps::start("stage");
    let mut validated = validate_prepared(store, user, &mut prepared).await?;
    laps.lap("validate");
    save_prepared(store, user, prepared, &mut validated).await?;
    laps.lap("save import");
    Ok(validated)
}

/// Keeps a validated roll's bytes, digest and report as evidence, and names
/// the stored import in the report; posts nothing.
pub async fn save_prepared(
    store: &dyn Store,
    user: &User,
    prepared: Prepared,
    validated: &mut Validated,
) -> Result<(), ImportError> {
    let id = store
        .save_import(NewImport {
            kind: kind_name(prepared.upload.kind).into(),
            program: prepared.upload.program,
            district: validated.report.district.clone(),
            file_name: validated.report.file_name.clone(),
            sha256: validated.report.sha256.clone(),
            content: prepared.upload.bytes,
            report_json: validated.report.to_json(),
            uploaded_at_us: now_us(),
            uploaded_by: user.username.clone(),
        })
        .await?;
    validated.report.import_id = Some(id);
    Ok(())
}

/// Commits a validated import: all accepted rows in one transaction, or nothing.
pub async fn commit(
    store: &dyn Store,
    user: &User,
    mut validated: Validated,
) -> Result<ImportReport, ImportError> {
    let report = &mut validated.report;
    let import_id = report
        .import_id
        .ok_or_else(|| ImportError::Refused("stage the import before committing".into()))?;
    if !report.can_commit() {
        audit_refusal(store, user, report).await?;
        return Err(ImportError::Blocked(Box::new(validated.report)));
    }
    let now = now_us();
    let batch = Batch {
        actor: user.username.clone(),
        recorded_at_us: now,
        entries: std::mem::take(&mut validated.entries),
        program: None,
        import_commit: Some(ImportCommit {
            import_id,
            validated_at_seq: validated.validated_at_seq,
            kind: kind_name(report.kind).into(),
            program: report.program.clone(),
            district: report.district.clone(),
            sha256: report.sha256.clone(),
        }),
        roll_people: validated.roll_people.take(),
        audit: AuditEvent {
            at_us: now,
            actor: user.username.clone(),
            action: format!("import.commit.{}", kind_name(report.kind)),
            outcome: "ok".into(),
            detail: format!(
                "import {import_id}: {} rows, {} đồng accepted; {} rejected",
                report.rows_accepted,
                Money::from_dong(report.accepted_total_dong).format_vi(),
                report.rows_rejected
            ),
        },
    };
    match append(store, batch).await {
        Ok(checkpoints) => {
            report.checkpoints = checkpoints;
            report.status = ImportStatus::Committed;
            Ok(validated.report)
        }
        Err(AppendError::BalanceRule(broken)) => {
            report
                .blocking
                .push(format!("budget exceeded / vượt dự toán: {broken}"));
            report.status = ImportStatus::Refused;
            audit_refusal(store, user, report).await?;
            Err(ImportError::Blocked(Box::new(validated.report)))
        }
        Err(AppendError::Conflict(message)) => {
            report.blocking.push(message);
            report.status = ImportStatus::Refused;
            Err(ImportError::Blocked(Box::new(validated.report)))
        }
        Err(AppendError::Stale(message)) => {
            report.blocking.push(message);
            report.status = ImportStatus::Refused;
            Err(ImportError::Stale(Box::new(validated.report)))
        }
        Err(other) => Err(other.into()),
    }
}

async fn audit_refusal(
    store: &dyn Store,
    user: &User,
    report: &ImportReport,
) -> Result<(), StoreError> {
    store
        .audit(AuditEvent {
            at_us: now_us(),
            actor: user.username.clone(),
            action: format!("import.commit.{}", kind_name(report.kind)),
            outcome: "refused".into(),
            detail: format!(
                "import {}: {}",
                report.import_id.unwrap_or(0),
                report.blocking.join("; ")
            ),
        })
        .await
}

/// Re-validates a staged import from its stored bytes (the ledger may have
/// moved since it was uploaded) and commits it.
pub async fn commit_staged(
    store: &dyn Store,
    user: &User,
    import_id: i64,
) -> Result<ImportReport, ImportError> {
    let record = store
        .import_record(import_id)
        .await?
        .ok_or(ImportError::NotFound(import_id))?;
    authorize(
        user,
        Action::ImportRoll {
            district: &record.district,
        },
    )?;
    if record.committed_by.is_some() {
        return Err(ImportError::Refused(format!(
            "import {import_id} is already committed / đã ghi sổ"
        )));
    }
    let bytes = store
        .import_content(import_id)
        .await?
        .ok_or(ImportError::NotFound(import_id))?;
    let staged: Option<ImportReport> = serde_json::from_str(&record.report_json).ok();
    let upload = RollUpload {
        kind: if record.kind == "payments" {
            RollKind::Payments
        } else {
            RollKind::Approvals
        },
        program: record.program.clone(),
        district: record.district.clone(),
        file_name: record.file_name.clone(),
        bytes,
        expect_rows: staged
            .as_ref()
            .and_then(|r| declared(r, |c| c.declared_rows)),
        expect_total: staged
            .as_ref()
            .and_then(|r| declared(r, |c| c.declared_total_dong))
            .map(Money::from_dong),
    };
    let mut validated = validate(store, user, &upload).await?;
    validated.report.import_id = Some(import_id);
    commit(store, user, validated).await
}

fn declared<T>(
    report: &ImportReport,
    field: impl Fn(&super::report::ControlCheck) -> Option<T>,
) -> Option<T> {
    report
        .controls
        .iter()
        .filter(|c| c.source == super::approvals::COMMAND_LINE_SOURCE)
        .find_map(field)
}

/// Frees `value` on a blocking thread when there is a runtime: the maps and
/// rows of a large roll take a while to free, and the next roll's validation
/// waits for this one's.
pub(crate) fn drop_in_background<T: Send + 'static>(value: T) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            runtime.spawn_blocking(move || drop(value));
        }
        Err(_) => drop(value),
    }
}
