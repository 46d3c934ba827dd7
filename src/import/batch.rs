//! Many rolls in one go (the demo province, a backlog of district files),
//! using both cores: each roll is read (digest, parse, row rules) ahead of its
//! turn, and checked against the ledger while the rolls before it commit,
//! once those whose writes it reads have committed. Every
//! commit checks again, under the append lock, that nothing its validation
//! read has changed since (`store::commit`); a roll that lost that race is
//! validated again from its stored bytes and committed.
//!
//! Where the backend can write beside an append (PostgreSQL), each roll's
//! upload is stored as soon as it is validated, while the rolls before it
//! commit: storing 65 files took 1.4 s of a province's import off the
//! commits' path. SQLite has one writer, so there the committer stores each
//! roll just before committing it. A batch that stops at a roll may leave
//! the rolls stored ahead of it uncommitted: they are logged by number, and
//! can be committed as any stored upload can (`POST /api/v1/imports/{id}/commit`).

use super::parse::RollKind;
use super::pipeline::{self, ImportError, Prepared, RollUpload, Staged, Upload, Validated};
use super::reads::RollReads;
use super::report::ImportReport;
use crate::domain::User;
use crate::store::Store;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// Validated rolls that may wait for their commit: big approval rolls are
/// slow to commit and payment rolls slow to validate, and a queue of two
/// evens out such runs.
const VALIDATED_WAITING_ROLLS: usize = 2;

/// How far validation may run ahead of the roll committing: the rolls
/// waiting and the one being validated.
const ROLLS_AHEAD_OF_COMMIT: usize = VALIDATED_WAITING_ROLLS + 1;

/// Rolls read ahead of the one being validated.
const READ_AHEAD_ROLLS: usize = 1;

/// At most this many rolls in one batch.
pub const JOBS_MAX: usize = 10_000;

/// One roll to import, as `user`.
#[derive(Debug, Clone)]
pub struct Job {
    pub user: User,
    pub kind: RollKind,
    pub program: String,
    pub district: String,
    pub path: PathBuf,
}

/// A committed roll, in the order they were committed.
pub struct Done<'a> {
    pub job: &'a Job,
    pub report: ImportReport,
    /// Reading and validation, and storing the upload where the backend
    /// writes beside appends (overlapped with the commit before).
    pub validate_seconds: f64,
    /// Storing the upload (if not stored ahead) and committing.
    pub commit_seconds: f64,
}

impl Job {
    fn reads(&self) -> RollReads<'_> {
        RollReads::new(self.kind, &self.program, &self.district)
    }
}

/// Whether validating `next` reads accounts that committing `current` writes
/// (see [`RollReads`]).
fn reads_what_it_writes(next: &Job, current: &Job) -> bool {
    next.reads().changed_by(&current.reads())
}

/// The order to import in. A payment roll waits for the approval rolls of its
/// program and district; among the rolls ready, the first that does not read
/// what the previous one writes goes next, so that it can be validated while
/// that one commits.
pub fn schedule(jobs: Vec<Job>) -> Vec<Job> {
    let mut pending = jobs;
    let mut order: Vec<Job> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready = |job: &Job| {
            job.kind == RollKind::Approvals
                || !pending.iter().any(|other| {
                    other.kind == RollKind::Approvals
                        && other.program == job.program
                        && other.district == job.district
                })
        };
        // Independent of the `recent` rolls scheduled last, which may still
        // be committing when this one is validated.
        let independent = |job: &Job, recent: usize| {
            order
                .iter()
                .rev()
                .take(recent)
                .all(|earlier| !reads_what_it_writes(job, earlier))
        };
        let pick = pending
            .iter()
            .position(|job| ready(job) && independent(job, ROLLS_AHEAD_OF_COMMIT))
            .or_else(|| {
                pending
                    .iter()
                    .position(|job| ready(job) && independent(job, 1))
            })
            .or_else(|| pending.iter().position(ready))
            .expect("an approval roll is always ready, and a payment roll waits only for approval rolls");
        order.push(pending.remove(pick));
    }
    order
}

type Reading = JoinHandle<Result<Prepared, ImportError>>;
/// A roll validated, in schedule order, for the committer.
type Checked = Result<(Ready, f64), ImportError>;

/// A validated roll, its upload stored already where the backend writes
/// beside appends.
enum Ready {
    Validated(Validated),
    Staged(Staged),
}

impl Ready {
    async fn new(validated: Validated, store: &dyn Store) -> Result<Ready, ImportError> {
        if store.writes_beside_appends() {
            Ok(Ready::Staged(validated.stage(store).await?))
        } else {
            Ok(Ready::Validated(validated))
        }
    }

    async fn staged(self, store: &dyn Store) -> Result<Staged, ImportError> {
        match self {
            Ready::Validated(validated) => validated.stage(store).await,
            Ready::Staged(staged) => Ok(staged),
        }
    }

    /// The import this roll's upload was stored as, if it was.
    fn stored_as(&self) -> Option<StoredUpload> {
        match self {
            Ready::Validated(_) => None,
            Ready::Staged(staged) => Some(StoredUpload {
                import_id: staged.import_id(),
                file_name: staged.report.file_name.clone(),
            }),
        }
    }
}

/// An upload stored ahead of its commit.
struct StoredUpload {
    import_id: i64,
    file_name: String,
}

/// Reads one roll (file, digest, parse, row rules) on one of the runtime's
/// threads: a batch has nothing else for them to do, and keeping its
/// allocations on few threads keeps the allocator's memory from spreading.
fn read_in_background(store: Arc<dyn Store>, job: Job) -> Reading {
    tokio::spawn(async move {
        let program = pipeline::load_program(store.as_ref(), &job.program).await?;
        let bytes = std::fs::read(&job.path)
            .map_err(|e| ImportError::Refused(format!("{}: {e}", job.path.display())))?;
        let upload = RollUpload {
            kind: job.kind,
            program: job.program,
            district: job.district,
            file_name: job
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            bytes,
            sheet: None,
            expect_rows: None,
            expect_total: None,
        };
        Upload::new(&job.user, upload)?.prepare(program)
    })
}

/// Reads and validates every job in order, handing each to the committer.
/// A roll is validated once the rolls before it whose commits it reads have
/// committed; the others may still be committing (and if one of them does
/// change what it read after all, its commit refuses it as stale).
///
/// Returns the uploads it stored that the committer stopped before taking.
async fn validate_all(
    store: Arc<dyn Store>,
    jobs: Arc<Vec<Job>>,
    checked: mpsc::Sender<Checked>,
    mut committed: watch::Receiver<usize>,
) -> Vec<StoredUpload> {
    let read = |index: usize| {
        jobs.get(index)
            .map(|job| read_in_background(store.clone(), job.clone()))
    };
    let mut readings: VecDeque<Reading> = (0..READ_AHEAD_ROLLS).filter_map(read).collect();
    for (index, job) in jobs.iter().enumerate() {
        readings.extend(read(index + READ_AHEAD_ROLLS));
        let Some(reading) = readings.pop_front() else {
            return Vec::new();
        };
        // `committed` counts the rolls committed so far.
        let done = *committed.borrow();
        let awaited = (done..index)
            .rev()
            .find(|&earlier| reads_what_it_writes(job, &jobs[earlier]));
        if let Some(earlier) = awaited {
            let waited = Instant::now();
            if committed.wait_for(|done| *done > earlier).await.is_err() {
                return Vec::new();
            }
            log_wait("validator waits for a commit it reads", waited);
        }
        let started = Instant::now();
        let outcome = async {
            let prepared: Prepared = reading
                .await
                .map_err(|e| ImportError::Refused(format!("reading the roll failed: {e}")))??;
            prepared.validate(store.as_ref()).await
        }
        .await;
        // Nothing is stored for a committer that has stopped.
        if checked.is_closed() {
            return Vec::new();
        }
        let outcome = match outcome {
            Ok(validated) => Ready::new(validated, store.as_ref())
                .await
                .map(|ready| (ready, started.elapsed().as_secs_f64())),
            Err(error) => Err(error),
        };
        let failed = outcome.is_err();
        let waited = Instant::now();
        let sent = checked.send(outcome).await;
        log_wait("validator waits", waited);
        // The committer stopped at a roll: this one was never taken.
        if let Err(mpsc::error::SendError(Ok((ready, _)))) = &sent {
            return ready.stored_as().into_iter().collect();
        }
        // A roll failed, or the committer stopped: nothing more to do.
        if sent.is_err() || failed {
            return Vec::new();
        }
    }
    Vec::new()
}

/// Logs how long one side of the batch waited for the other (timing target).
fn log_wait(step: &'static str, since: Instant) {
    let ms = since.elapsed().as_secs_f64() * 1000.0;
    tracing::debug!(target: "ansinh::timing", operation = "batch", step, ms);
}

/// Imports every job in [`schedule`] order; `on_done` hears of each roll as
/// it commits. Stops at the first roll that cannot be committed.
///
/// Three stages run at once: rolls are read ahead, validated in order on the
/// runtime's threads, and committed in order here. At most
/// [`VALIDATED_WAITING_ROLLS`] validated rolls wait for their commit, which
/// bounds the memory to a few rolls.
pub async fn import_all(
    store: Arc<dyn Store>,
    jobs: Vec<Job>,
    on_done: impl FnMut(Done<'_>),
) -> Result<(), ImportError> {
    if jobs.len() > JOBS_MAX {
        return Err(ImportError::Refused(format!(
            "at most {JOBS_MAX} rolls in one batch / tối đa {JOBS_MAX} tệp một lần"
        )));
    }
    let jobs = Arc::new(schedule(jobs));
    let (checked_sender, mut checked) = mpsc::channel(VALIDATED_WAITING_ROLLS);
    let (committed_sender, committed) = watch::channel(0usize);
    let validator = tokio::spawn(validate_all(
        store.clone(),
        jobs.clone(),
        checked_sender,
        committed,
    ));
    let outcome = commit_all(
        store.as_ref(),
        &jobs,
        &mut checked,
        committed_sender,
        on_done,
    )
    .await;
    // Stops the validator; what it stored and the committer never took is
    // either still in the channel or handed back by the validator.
    checked.close();
    let mut uncommitted = Vec::new();
    while let Some(waiting) = checked.recv().await {
        if let Ok((ready, _)) = waiting {
            uncommitted.extend(ready.stored_as());
        }
    }
    let validated = validator.await.map(|left| uncommitted.extend(left));
    for upload in &uncommitted {
        tracing::warn!(
            import_id = upload.import_id,
            file = %upload.file_name,
            "stored ahead of its commit and not committed: the batch stopped before it (commit it by its number) / đã lưu nhưng chưa ghi sổ"
        );
    }
    // The committer's refusal says more than the validator's failure.
    outcome?;
    validated.map_err(|e| ImportError::Refused(format!("validating the rolls failed: {e}")))
}

/// Commits each validated roll as it comes, in schedule order; stops at the
/// first that cannot be committed.
async fn commit_all(
    store: &dyn Store,
    jobs: &[Job],
    checked: &mut mpsc::Receiver<Checked>,
    committed: watch::Sender<usize>,
    mut on_done: impl FnMut(Done<'_>),
) -> Result<(), ImportError> {
    for (index, job) in jobs.iter().enumerate() {
        let waited = Instant::now();
        let Some(outcome) = checked.recv().await else {
            break;
        };
        log_wait("committer waits", waited);
        let (ready, validate_seconds) = outcome?;
        let started = Instant::now();
        let report = commit(store, &job.user, ready).await?;
        let commit_seconds = started.elapsed().as_secs_f64();
        committed.send_replace(index + 1);
        on_done(Done {
            job,
            report,
            validate_seconds,
            commit_seconds,
        });
    }
    Ok(())
}

/// Stores (unless stored already) and commits one validated roll; validates
/// it again (from the stored bytes) if the ledger changed what its
/// validation read.
async fn commit(store: &dyn Store, user: &User, ready: Ready) -> Result<ImportReport, ImportError> {
    let staged = ready.staged(store).await?;
    let import_id = staged.import_id();
    match staged.commit(store).await {
        Ok(committed) => Ok(committed.report),
        Err(ImportError::Stale(_)) => pipeline::commit_staged(store, user, import_id).await,
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    fn job(kind: RollKind, program: &str, district: &str) -> Job {
        Job {
            user: User {
                id: 1,
                username: "huyen".into(),
                role: Role::District,
                district: Some(district.into()),
            },
            kind,
            program: program.into(),
            district: district.into(),
            path: PathBuf::from(format!("{program}-{district}-{kind:?}.csv")),
        }
    }

    fn names(jobs: &[Job]) -> Vec<String> {
        jobs.iter()
            .map(|j| format!("{}-{}-{:?}", j.program, j.district, j.kind))
            .collect()
    }

    #[test]
    fn payments_follow_their_approvals_and_neighbours_touch_different_accounts() {
        use RollKind::{Approvals as A, Payments as P};
        // As the demo writes them: per program, per district, approvals then payments.
        let jobs = vec![
            job(A, "NQ68", "842"),
            job(P, "NQ68", "842"),
            job(A, "NQ68", "844"),
            job(P, "NQ68", "844"),
            job(A, "NQ116", "842"),
            job(P, "NQ116", "842"),
        ];
        let order = schedule(jobs);
        assert_eq!(
            names(&order),
            [
                "NQ68-842-Approvals",
                "NQ116-842-Approvals",
                "NQ68-844-Approvals",
                "NQ68-842-Payments",
                "NQ68-844-Payments",
                "NQ116-842-Payments",
            ]
        );
        for (index, job) in order.iter().enumerate() {
            if job.kind == P {
                let approved_at = order.iter().position(|a| {
                    a.kind == A && a.program == job.program && a.district == job.district
                });
                assert!(approved_at < Some(index), "{:?}", names(&order));
            }
        }
        let dependent = order
            .windows(2)
            .filter(|pair| reads_what_it_writes(&pair[1], &pair[0]))
            .count();
        assert_eq!(dependent, 0, "{:?}", names(&order));
    }
}
