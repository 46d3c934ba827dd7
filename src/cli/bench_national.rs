//! `ansinh bench national [--provinces N] [--scale F] [--parallel K]`: a
//! ledger per province in one scratch PostgreSQL database, approval rolls
//! imported through the real pipeline with provinces side by side, in waves
//! of 1, 8 and 63 provinces (or N), each wave followed by the figures that
//! show how the service grows with rows: import rows/s, peak RSS, database
//! size, the national report, a reconciliation page, `verify` of every
//! ledger (one at a time, as a nightly check would: a province's whole
//! verification is the largest working set of the run).
//!
//! The rolls are synthetic but shaped like the real ones: every province's
//! real districts and communes, people spread over them by commune count
//! (the shared data holds no population; communes follow it loosely),
//! 15.01 M approvals and about 20,280 tỷ đồng nationally at scale 1 — 70.22 %
//! of people approved 1.500.000 đồng (free-lance workers), the others
//! 1.000.000 (children), which averages 1.351.100 đồng a person.

use super::{CliError, CliResult};
use crate::domain::{admin_units, LedgerCode, NewUser, Role, User};
use crate::import::batch::{self, Job};
use crate::import::parse::RollKind;
use crate::ledger::verify;
use crate::reconcile::{self, Scope};
use crate::report::national;
use crate::store::{self, now_us, AuditEvent, OpenOptions, Store};
use futures_util::{StreamExt, TryStreamExt};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Approvals nationally at scale 1 (Resolution 68's support, end of 2021).
const PEOPLE_NATIONAL: f64 = 15_010_000.0;
/// Per 10,000 people, how many are free-lance workers (1.500.000 đồng).
const FREELANCE_PER_10K: u64 = 7_022;
const PROGRAM: &str = "NQ68";
/// Connections of a province's ledger while its rolls import (one validates
/// the next roll while the other commits).
const IMPORT_CONNECTIONS: u32 = 2;
/// Connections of each ledger kept open for the reads after a wave: dozens
/// of ledgers share the server's connection limit.
const READ_CONNECTIONS: u32 = 1;
/// An open ledger's unused connections close after this.
const LEDGER_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);
/// Ledgers verified at once after a wave.
const LEDGERS_VERIFIED_AT_ONCE: usize = 1;
/// Timed repetitions of each read, of which the median is printed.
const READ_REPETITIONS: usize = 5;
/// A password hash no password matches (`!`: disabled): bench users act
/// through the library, never log in.
const NO_LOGIN_HASH: &str = "!bench";

pub struct National {
    pub provinces: usize,
    pub scale: f64,
    pub parallel: usize,
    pub keep: bool,
    pub server: String,
}

/// One province's part of the bench.
struct ProvincePlan {
    ledger: LedgerCode,
    /// (district code, its communes, people approved there).
    districts: Vec<(String, Vec<String>, u64)>,
}

pub async fn run(bench: National) -> CliResult {
    let scale_ok = bench.scale > 0.0 && bench.scale <= 1.0;
    if !scale_ok || !(1..=63).contains(&bench.provinces) {
        return Err(CliError::Usage(
            "--scale must be above 0 and at most 1, --provinces from 1 to 63".into(),
        ));
    }
    let plans = plan(bench.provinces, bench.scale)?;
    let name = format!("ansinh_national_{}", std::process::id());
    let url = super::bench::scratch_database(&bench.server, &name).await?;
    let outcome = run_waves(&bench, &plans, &url).await;
    if bench.keep {
        println!("kept: {url}");
    } else {
        super::bench::drop_database(&bench.server, &name).await;
    }
    outcome
}

async fn run_waves(bench: &National, plans: &[ProvincePlan], url: &str) -> CliResult {
    let people: u64 = plans.iter().flat_map(|p| &p.districts).map(|d| d.2).sum();
    println!(
        "National benchmark: {} provinces, {people} approvals (scale {}), {} provinces importing at once, on PostgreSQL",
        plans.len(),
        bench.scale,
        bench.parallel
    );
    println!(
        "{:>9} {:>11} {:>9} {:>9} {:>11} {:>10} {:>10} {:>12} {:>9} {:>9}",
        "provinces",
        "approvals",
        "import s",
        "rows/s",
        "import RSS",
        "reads RSS",
        "db MiB",
        "national ms",
        "recon ms",
        "verify s"
    );
    let folder = tempfile::Builder::new()
        .prefix("ansinh-national-")
        .tempdir()?;
    let mut opened: Vec<(LedgerCode, Arc<dyn Store>)> = Vec::new();
    let mut rows_total = 0u64;
    for wave_end in wave_ends(plans.len()) {
        let wave = &plans[opened.len()..wave_end];
        crate::telemetry::reset_peak_rss();
        let started = Instant::now();
        let imported: Vec<u64> = futures_util::stream::iter(wave)
            .map(|plan| import_province(url, plan, folder.path()))
            .buffer_unordered(bench.parallel.max(1))
            .try_collect()
            .await?;
        let seconds = started.elapsed().as_secs_f64();
        // This wave's imports' peak; the reads' is measured from here.
        let import_rss_mib = crate::telemetry::peak_rss_mib();
        crate::telemetry::reset_peak_rss();
        let rows: u64 = imported.iter().sum();
        rows_total += rows;
        for plan in wave {
            let store =
                store::open_with(url, &ledger_options(&plan.ledger, READ_CONNECTIONS)).await?;
            opened.push((plan.ledger.clone(), store));
        }
        let figures = measure(&opened, plans, url).await?;
        println!(
            "{:>9} {:>11} {:>9.1} {:>9.0} {:>11.0} {:>10.0} {:>10.0} {:>12.1} {:>9.1} {:>9.1}",
            opened.len(),
            rows_total,
            seconds,
            rows as f64 / seconds.max(1e-9),
            import_rss_mib,
            crate::telemetry::peak_rss_mib(),
            figures.database_mib,
            figures.national_ms,
            figures.reconciliation_ms,
            figures.verify_seconds
        );
    }
    Ok(())
}

/// Where the waves end: after 1, 8 and 63 provinces, as far as there are.
fn wave_ends(provinces: usize) -> Vec<usize> {
    let mut ends: Vec<usize> = [1, 8, 63].into_iter().filter(|&n| n < provinces).collect();
    ends.push(provinces);
    ends
}

/// The first `provinces` provinces by code, and their people by commune.
fn plan(provinces: usize, scale: f64) -> CliResult<Vec<ProvincePlan>> {
    let units = admin_units::units();
    let communes_national = units.communes_count() as f64;
    let people_per_commune = PEOPLE_NATIONAL * scale / communes_national;
    let mut plans = Vec::with_capacity(provinces);
    for code in units.province_codes().into_iter().take(provinces) {
        let ledger = LedgerCode::parse(code).map_err(CliError::Other)?;
        let districts = units
            .districts_of(code)
            .into_iter()
            .map(|district| {
                let communes: Vec<String> = units
                    .communes_of(&district.code)
                    .into_iter()
                    .map(|commune| commune.code.clone())
                    .collect();
                let people = (communes.len() as f64 * people_per_commune).round() as u64;
                (district.code.clone(), communes, people)
            })
            .filter(|(_, communes, people)| !communes.is_empty() && *people > 0)
            .collect();
        plans.push(ProvincePlan { ledger, districts });
    }
    Ok(plans)
}

fn ledger_options(ledger: &LedgerCode, connections: u32) -> OpenOptions {
    OpenOptions {
        ledger: Some(ledger.clone()),
        create_ledger: true,
        connections_max: Some(connections),
        idle_timeout: Some(LEDGER_IDLE_TIMEOUT),
        ..OpenOptions::default()
    }
}

/// Creates the province's ledger, users and program, writes its rolls and
/// imports them through the pipeline; returns how many rows it accepted.
async fn import_province(url: &str, plan: &ProvincePlan, folder: &Path) -> CliResult<u64> {
    let store = store::open_with(url, &ledger_options(&plan.ledger, IMPORT_CONNECTIONS)).await?;
    add_user(store.as_ref(), "tinh", Role::Provincial, None).await?;
    crate::programs::add(store.as_ref(), "tinh", &program_toml(plan))
        .await
        .map_err(|e| CliError::Other(format!("program of {}: {e}", plan.ledger)))?;
    let province_folder = folder.join(plan.ledger.as_str());
    std::fs::create_dir_all(&province_folder)?;
    let mut jobs = Vec::with_capacity(plan.districts.len());
    let mut serial = 0u64;
    for (district, communes, people) in &plan.districts {
        let officer = add_user(
            store.as_ref(),
            &format!("huyen{district}"),
            Role::District,
            Some(district),
        )
        .await?;
        let path = province_folder.join(format!("{district}.csv"));
        std::fs::write(
            &path,
            roll_csv(&plan.ledger, communes, *people, &mut serial),
        )?;
        jobs.push(Job {
            user: officer,
            kind: RollKind::Approvals,
            program: PROGRAM.into(),
            district: district.clone(),
            path,
        });
    }
    let mut rows = 0u64;
    batch::import_all(store.clone(), jobs, |done| {
        rows += done.report.rows_accepted
    })
    .await
    .map_err(|e| CliError::Other(format!("rolls of {}: {e}", plan.ledger)))?;
    std::fs::remove_dir_all(&province_folder)?;
    Ok(rows)
}

async fn add_user(
    store: &dyn Store,
    username: &str,
    role: Role,
    district: Option<&str>,
) -> CliResult<User> {
    let audit = AuditEvent {
        at_us: now_us(),
        actor: "bench".into(),
        action: "user.add".into(),
        outcome: "ok".into(),
        detail: format!("bench user {username}"),
    };
    let user = NewUser {
        username: username.into(),
        role,
        district: district.map(str::to_string),
        password_hash: NO_LOGIN_HASH.into(),
    };
    Ok(store.add_user(user, audit).await?)
}

/// The program of Resolution 68's two flat amounts, with each district's
/// budget the most its people could be approved.
fn program_toml(plan: &ProvincePlan) -> String {
    let mut text = String::from(
        "code = \"NQ68\"\n\
         name = \"Hỗ trợ người lao động và người sử dụng lao động gặp khó khăn do đại dịch COVID-19\"\n\
         legal_basis = \"Nghị quyết 68/NQ-CP ngày 01/7/2021\"\n\
         footnote = \"support\"\n\
         allocated_on = \"2021-07-15\"\n\n\
         [[categories]]\ncode = \"tu-do\"\nname = \"Lao động tự do\"\namount = 1500000\n\n\
         [[categories]]\ncode = \"tre-em\"\nname = \"Trẻ em\"\namount = 1000000\n\n\
         [budgets]\n",
    );
    for (district, _, people) in &plan.districts {
        let _ = writeln!(text, "\"{district}\" = {}", people * 1_500_000);
    }
    text
}

/// A district's approval roll: `people` rows over its communes, national
/// IDs of the province (`0PP` and a serial), names made of the serial.
fn roll_csv(ledger: &LedgerCode, communes: &[String], people: u64, serial: &mut u64) -> String {
    let mut text = String::with_capacity(people as usize * 96 + 128);
    text.push_str(
        "STT;Họ và tên;Số CCCD/CMND;Mã xã;Nhóm đối tượng;Số tiền;Số quyết định;Ngày quyết định\n",
    );
    for row in 0..people {
        *serial += 1;
        let name: String = format!("{:07}", *serial)
            .bytes()
            .map(|digit| char::from(b'a' + (digit - b'0')))
            .collect();
        let commune = &communes[(row as usize) % communes.len()];
        let (category, amount) = if (*serial * 7_919) % 10_000 < FREELANCE_PER_10K {
            ("tu-do", "1.500.000")
        } else {
            ("tre-em", "1.000.000")
        };
        let _ = writeln!(
            text,
            "{};Người {name};0{ledger}{:09};{commune};{category};{amount};{}/QĐ-UBND;16/08/2021",
            row + 1,
            *serial,
            1 + row / 5_000
        );
    }
    text
}

struct WaveFigures {
    database_mib: f64,
    national_ms: f64,
    reconciliation_ms: f64,
    verify_seconds: f64,
}

/// The reads after a wave: the national report and the reconciliation page
/// of the largest district (medians), then `verify` of every ledger.
async fn measure(
    opened: &[(LedgerCode, Arc<dyn Store>)],
    plans: &[ProvincePlan],
    url: &str,
) -> CliResult<WaveFigures> {
    let as_of = chrono::NaiveDate::from_ymd_opt(2021, 11, 25).unwrap_or_default();
    let national_ms =
        median_ms(|| async { national::national(opened, as_of).await.map(|_| ()) }).await?;
    let (store, district) = largest_district(opened, plans)?;
    let scope = Scope::of(PROGRAM, Some(&district));
    let reconciliation_ms = median_ms(|| async {
        reconcile::page(store.as_ref(), &scope, 0, 50)
            .await
            .map(|_| ())
    })
    .await?;
    let started = Instant::now();
    let reports: Vec<verify::VerifyReport> = futures_util::stream::iter(opened)
        .map(|(_, store)| verify::run(store.as_ref(), None))
        .buffer_unordered(LEDGERS_VERIFIED_AT_ONCE)
        .try_collect()
        .await?;
    let verify_seconds = started.elapsed().as_secs_f64();
    if let Some(problem) = reports.iter().find_map(|r| r.problem.as_ref()) {
        return Err(CliError::Refused(format!(
            "a ledger does not verify: {problem:?}"
        )));
    }
    Ok(WaveFigures {
        database_mib: database_bytes(url).await? as f64 / (1024.0 * 1024.0),
        national_ms,
        reconciliation_ms,
        verify_seconds,
    })
}

fn largest_district(
    opened: &[(LedgerCode, Arc<dyn Store>)],
    plans: &[ProvincePlan],
) -> CliResult<(Arc<dyn Store>, String)> {
    let mut people: BTreeMap<(u64, String), &LedgerCode> = BTreeMap::new();
    for plan in plans
        .iter()
        .filter(|p| opened.iter().any(|(c, _)| *c == p.ledger))
    {
        for (district, _, count) in &plan.districts {
            people.insert((*count, district.clone()), &plan.ledger);
        }
    }
    let ((_, district), ledger) = people
        .into_iter()
        .next_back()
        .ok_or_else(|| CliError::Other("no district was imported".into()))?;
    let store = opened
        .iter()
        .find(|(code, _)| code == ledger)
        .map(|(_, store)| store.clone())
        .ok_or_else(|| CliError::Other(format!("ledger {ledger} is not open")))?;
    Ok((store, district))
}

async fn median_ms<F, Fut>(read: F) -> CliResult<f64>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = crate::store::StoreResult<()>>,
{
    let mut times = Vec::with_capacity(READ_REPETITIONS);
    for _ in 0..READ_REPETITIONS {
        let started = Instant::now();
        read().await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

async fn database_bytes(url: &str) -> CliResult<i64> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| CliError::Other(e.to_string()))?;
    sqlx::query_scalar("SELECT pg_database_size(current_database())")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| CliError::Other(e.to_string()))
}
