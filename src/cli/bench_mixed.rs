//! `ansinh bench mixed`: a province's disbursement day on the current
//! database. The server runs on a loopback port; `--clients` keep-alive
//! clients read a mix like the provincial office's and the districts' (35 %
//! summary reports, 35 % reconciliation pages across every program and
//! district, 29 % journal entries, 1 % verify) while a district officer's
//! approval roll of new people is committed every `--import-every` seconds.
//! It prints each endpoint's p50/p99/max and errors, the imports committed,
//! the process's peak RSS, and checks afterwards that every committed roll's
//! entries are in the ledger and that `verify` passes.

use super::{CliError, CliResult, Context};
use crate::domain::{Program, User};
use crate::import::parse::RollKind;
use crate::import::pipeline::{self, RollUpload};
use crate::ledger::verify;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The kinds of request, with their share of the mix in percent.
const MIX: [(Kind, u32); 4] = [
    (Kind::Summary, 35),
    (Kind::Reconciliation, 35),
    (Kind::JournalEntry, 29),
    (Kind::Verify, 1),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Summary,
    Reconciliation,
    JournalEntry,
    Verify,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Summary => "summary report",
            Kind::Reconciliation => "reconciliation page",
            Kind::JournalEntry => "journal entry",
            Kind::Verify => "verify",
        }
    }
}

/// What the run is asked to do.
pub struct Mixed {
    pub seconds: u64,
    pub clients: usize,
    pub import_every_seconds: u64,
    /// People on each roll the importer commits.
    pub roll_people: usize,
    /// The district officer who commits the rolls.
    pub importer: String,
    pub program: String,
    /// A commune of the importer's district, for the rolls' rows.
    pub commune: String,
}

/// One request's kind, latency and whether it answered 200.
type Sample = (Kind, f64, bool);

pub async fn run(context: &Context, mixed: Mixed) -> CliResult {
    let reader = context.user().await?;
    let store = context.store.clone();
    let (importer, _) = store
        .find_user(&mixed.importer)
        .await?
        .ok_or_else(|| CliError::Usage(format!("no user {}", mixed.importer)))?;
    let scopes = reconciliation_scopes(context).await?;
    let importer_district = importer.district.clone().unwrap_or_default();
    let approved_before = approved_totals(context, &mixed.program, &importer_district).await?;
    let head_seq = store.head().await?.map_or(1, |head| head.seq);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?.to_string();
    let app = crate::http::app(crate::http::AppState::new(store.clone()));
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    let password = context.credentials.password.clone().unwrap_or_default();
    let token = super::bench_http::login(&address, &reader.username, &password).await?;
    println!(
        "mixed load on {} for {} s: {} clients as {} ({}), a roll of {} people committed by {} every {} s",
        store.backend_name(),
        mixed.seconds,
        mixed.clients,
        reader.username,
        reader.role.as_str(),
        mixed.roll_people,
        importer.username,
        mixed.import_every_seconds
    );
    let deadline = Instant::now() + Duration::from_secs(mixed.seconds);
    let scopes = Arc::new(scopes);
    let clients: Vec<_> = (0..mixed.clients)
        .map(|_| {
            let (address, token, scopes) = (address.clone(), token.clone(), scopes.clone());
            tokio::spawn(async move { client(&address, &token, &scopes, head_seq, deadline).await })
        })
        .collect();
    let imports = import_loop(context, &importer, &mixed, deadline).await;
    let mut samples: Vec<Sample> = Vec::new();
    for task in clients {
        samples.extend(task.await.map_err(|e| CliError::Other(e.to_string()))??);
    }
    server.abort();
    print_figures(&samples);
    let committed = imports?;
    let approved_after = approved_totals(context, &mixed.program, &importer_district).await?;
    let people_approved: u64 = committed.iter().map(|roll| roll.rows_accepted).sum();
    let rolls_dong = people_approved as i64 * ROLL_PERSON_DONG;
    let grown = (
        approved_after.0 - approved_before.0,
        approved_after.1 - approved_before.1,
    );
    if grown != (rolls_dong, rolls_dong) {
        return Err(CliError::Refused(format!(
            "the committed rolls hold {rolls_dong} đồng, but the report grew by {} and the reconciliation by {}",
            grown.0, grown.1
        )));
    }
    println!(
        "report and reconciliation grew by the committed rolls' {} đồng",
        crate::domain::Money::from_dong(rolls_dong).format_vi()
    );
    let checkpoints: Vec<_> = committed.into_iter().map(|roll| roll.checkpoints).collect();
    check_nothing_lost(context, &checkpoints).await
}

/// What each person of a bench roll is approved.
const ROLL_PERSON_DONG: i64 = 1_500_000;

/// The province's approved total (the summary report, every entry) and the
/// importer's district's (its reconciliation, from the read models).
async fn approved_totals(
    context: &Context,
    program: &str,
    district: &str,
) -> CliResult<(i64, i64)> {
    let store = context.store.as_ref();
    let every_date = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default();
    let summary =
        crate::report::summary(store, every_date, None, crate::report::GroupBy::Program).await?;
    let reconciliation = crate::reconcile::page(
        store,
        &crate::reconcile::Scope::of(program, Some(district)),
        0,
        1,
    )
    .await?;
    Ok((
        summary.total.approved_dong,
        reconciliation.total.approved_dong,
    ))
}

/// Every (program, district) a program budgets for.
async fn reconciliation_scopes(context: &Context) -> CliResult<Vec<(String, String)>> {
    let mut scopes = Vec::new();
    for (code, definition) in context.store.program_definitions().await? {
        let program = Program::from_toml(&definition)
            .map_err(|e| CliError::Other(format!("program {code}: {e}")))?;
        for district in program.budgets.keys() {
            scopes.push((code.clone(), district.as_str().to_string()));
        }
    }
    if scopes.is_empty() {
        return Err(CliError::Refused(
            "no program in this database: run `ansinh demo --no-serve` first".into(),
        ));
    }
    Ok(scopes)
}

fn pick_path(rng: &mut impl Rng, scopes: &[(String, String)], head_seq: i64) -> (Kind, String) {
    let mut roll = rng.gen_range(0..100);
    let kind = MIX
        .iter()
        .find(|(_, share)| {
            let hit = roll < *share;
            roll = roll.saturating_sub(*share);
            hit
        })
        .map_or(Kind::Summary, |(kind, _)| *kind);
    let path = match kind {
        Kind::Summary => format!("/api/v1/reports/summary?as_of={}", crate::demo::AS_OF),
        Kind::Reconciliation => {
            let (program, district) = &scopes[rng.gen_range(0..scopes.len())];
            format!("/api/v1/reconciliation?program={program}&district={district}&limit=100")
        }
        Kind::JournalEntry => format!("/api/v1/journal/{}", rng.gen_range(1..=head_seq.max(1))),
        Kind::Verify => "/api/v1/verify".to_string(),
    };
    (kind, path)
}

async fn client(
    address: &str,
    token: &str,
    scopes: &[(String, String)],
    head_seq: i64,
    deadline: Instant,
) -> CliResult<Vec<Sample>> {
    let mut rng = rand::rngs::StdRng::from_entropy();
    let mut reader = BufReader::new(TcpStream::connect(address).await?);
    let mut samples = Vec::new();
    while Instant::now() < deadline {
        let (kind, path) = pick_path(&mut rng, scopes, head_seq);
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\r\n"
        );
        let started = Instant::now();
        reader.get_mut().write_all(request.as_bytes()).await?;
        let (status, _) = super::bench_http::read_response(&mut reader).await?;
        samples.push((
            kind,
            started.elapsed().as_secs_f64() * 1000.0,
            status == 200,
        ));
    }
    Ok(samples)
}

/// A roll the importer committed.
struct CommittedRoll {
    rows_accepted: u64,
    /// Its entries (seq, hash).
    checkpoints: Vec<crate::domain::Checkpoint>,
}

/// Commits a roll of new people every `import_every_seconds` until the
/// deadline; returns each committed roll.
async fn import_loop(
    context: &Context,
    importer: &User,
    mixed: &Mixed,
    deadline: Instant,
) -> CliResult<Vec<CommittedRoll>> {
    let mut committed = Vec::new();
    let mut refused = 0;
    let run = std::process::id();
    let mut roll = 0;
    while Instant::now() + Duration::from_secs(mixed.import_every_seconds) < deadline {
        tokio::time::sleep(Duration::from_secs(mixed.import_every_seconds)).await;
        let district = importer.district.clone().unwrap_or_default();
        let upload = new_people_roll(mixed, &district, run, roll);
        roll += 1;
        let started = Instant::now();
        let result = async {
            let staged = pipeline::stage(context.store.as_ref(), importer, &upload).await?;
            pipeline::commit(context.store.as_ref(), importer, staged).await
        }
        .await;
        match result {
            Ok(report) => {
                println!(
                    "  roll {roll}: {} rows committed in {:.0} ms",
                    report.rows_accepted,
                    started.elapsed().as_secs_f64() * 1000.0
                );
                committed.push(CommittedRoll {
                    rows_accepted: report.rows_accepted,
                    checkpoints: report.checkpoints,
                });
            }
            Err(error) => {
                refused += 1;
                println!("  roll {roll}: refused: {error}");
            }
        }
    }
    println!("imports: {} committed, {refused} refused", committed.len());
    Ok(committed)
}

/// An approval roll of people no other roll holds (IDs from the process id
/// and the roll number, with the sex/century digit 9, which the demo's
/// people never have), category `tu-do` at its fixed 1.500.000 đồng.
fn new_people_roll(mixed: &Mixed, district: &str, run: u32, roll: usize) -> RollUpload {
    let mut text = String::from(
        "STT;Họ và tên;Số CCCD/CMND;Mã xã;Nhóm đối tượng;Số tiền;Số quyết định;Ngày quyết định\n",
    );
    const _: () = assert!(
        ROLL_PERSON_DONG == 1_500_000,
        "the rows below say 1.500.000"
    );
    for row in 0..mixed.roll_people {
        let serial = (u64::from(run) % 900) * 100_000 + (roll * mixed.roll_people + row) as u64;
        // Names hold letters only: the serial's digits spelled as letters.
        let name: String = format!("{serial:08}")
            .bytes()
            .map(|digit| char::from(b'a' + (digit - b'0')))
            .collect();
        text.push_str(&format!(
            "{};Người {name};0849{serial:08};{};tu-do;1.500.000;{roll}/QĐ-BENCH;20/12/2021\n",
            row + 1,
            mixed.commune
        ));
    }
    RollUpload {
        kind: RollKind::Approvals,
        program: mixed.program.clone(),
        district: district.to_string(),
        file_name: format!("bench-mixed-{run}-{roll}.csv"),
        bytes: text.into_bytes(),
        sheet: None,
        expect_rows: None,
        expect_total: None,
    }
}

fn print_figures(samples: &[Sample]) {
    for (kind, _) in MIX {
        let mut times: Vec<f64> = samples
            .iter()
            .filter(|(k, _, _)| *k == kind)
            .map(|(_, ms, _)| *ms)
            .collect();
        let errors = samples
            .iter()
            .filter(|(k, _, ok)| *k == kind && !ok)
            .count();
        if times.is_empty() {
            println!("{}: no request", kind.name());
            continue;
        }
        times.sort_by(f64::total_cmp);
        let at = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
        println!(
            "{}: {} requests, {errors} errors, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            kind.name(),
            times.len(),
            at(0.5),
            at(0.99),
            at(1.0)
        );
    }
    println!(
        "peak RSS (server and clients, one process) {:.0} MiB",
        crate::telemetry::peak_rss_mib()
    );
}

/// Every committed roll's entries are in the ledger as committed, and the
/// whole ledger verifies.
async fn check_nothing_lost(
    context: &Context,
    committed: &[Vec<crate::domain::Checkpoint>],
) -> CliResult {
    let store = context.store.as_ref();
    for checkpoint in committed.iter().flatten() {
        let stored = store.entry(checkpoint.seq).await?;
        if stored.map(|entry| entry.hash) != Some(checkpoint.hash.clone()) {
            return Err(CliError::Refused(format!(
                "entry {} of a committed roll is missing or changed",
                checkpoint.seq
            )));
        }
    }
    let started = Instant::now();
    let report = verify::run_recorded(store).await?;
    let head = super::verify::verified_head(&report)?;
    println!(
        "nothing lost: {} rolls' entries in the ledger; verify --full ok in {} ms ({} postings, read models of {} people agree), head {head}; peak RSS with it {:.0} MiB",
        committed.len(),
        started.elapsed().as_millis(),
        report.postings,
        report.read_model_people.unwrap_or(0),
        crate::telemetry::peak_rss_mib()
    );
    Ok(())
}
