//! `ansinh demo [--scale full|small] [--no-serve]`: builds the Trà Vinh demo
//! province through the real pipeline — users, programs and budgets, district
//! approval and payment rolls, the Covid-19 fund's donations — prints the
//! logins and the directive footnote, then serves.

use super::{CliError, CliResult, Context};
use crate::auth::password;
use crate::demo::{self, DemoPlan, Scale};
use crate::domain::{NewUser, Role, User};
use crate::import::batch;
use crate::import::parse::RollKind;
use crate::import::pipeline::ImportError;
use crate::ledger::append::{append, Batch};
use crate::ledger::rules;
use crate::report::{self, GroupBy};
use crate::store::{now_us, AuditEvent, Store};
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value_t)]
    scale: Scale,
    /// Build the demo and exit instead of serving it.
    #[arg(long)]
    no_serve: bool,
    #[arg(long, default_value = crate::config::DEFAULT_BIND)]
    bind: String,
}

/// The province's Covid-19 fund, as named in account paths.
pub const DEMO_FUND: &str = "covid19";

/// Demo logins: (username, role, district, password). Printed for the user.
pub fn demo_users() -> Vec<(String, Role, Option<String>, String)> {
    let mut users = vec![
        (
            "admin".to_string(),
            Role::Admin,
            None,
            "demo-admin-2021".to_string(),
        ),
        (
            "tinh".to_string(),
            Role::Provincial,
            None,
            "demo-tinh-2021".to_string(),
        ),
        (
            "kiemtoan".to_string(),
            Role::Auditor,
            None,
            "demo-kiemtoan-2021".to_string(),
        ),
    ];
    for district in [
        "842", "844", "845", "846", "847", "848", "849", "850", "851",
    ] {
        users.push((
            format!("huyen{district}"),
            Role::District,
            Some(district.to_string()),
            format!("demo-huyen{district}-2021"),
        ));
    }
    users
}

pub async fn run(context: &Context, args: Args) -> CliResult {
    let store = context.store.as_ref();
    let scale = args.scale;
    if store.program_definitions().await?.is_empty() {
        build(&context.store, scale, Generation::ChildProcess).await?;
        // Recorded: the next `verify` (and the web page's) checks only
        // what follows.
        let started = Instant::now();
        let report = crate::ledger::verify::run_recorded(store).await?;
        let head = super::verify::verified_head(&report)?;
        println!(
            "sổ cái đã kiểm tra / ledger verified in {} ms: {} entries, {} postings, head {head}",
            started.elapsed().as_millis(),
            report.entries,
            report.postings
        );
    } else {
        println!("{}", already_built(&context.database_url, args.no_serve));
    }
    print_logins();
    let as_of = demo::AS_OF;
    let summary = report::summary(store, as_of, None, GroupBy::Program).await?;
    println!(
        "\nansinh report --as-of {as_of} --format footnote\n{}",
        summary.to_footnote()
    );
    if !args.no_serve {
        super::serve::serve(context, &args.bind).await?;
    }
    Ok(())
}

/// What the demo says when the database already holds a province: it is
/// left as it is, and served unless `--no-serve`.
fn already_built(database_url: &str, no_serve: bool) -> String {
    let (vi, en) = if no_serve {
        (
            "giữ nguyên, không thay đổi gì",
            "left as it is, nothing changed",
        )
    } else {
        ("giữ nguyên và mở để dùng", "left as it is and served")
    };
    format!(
        "tỉnh dùng thử đã có trong {database_url}: {vi} (muốn tạo lại, hãy xoá tệp này hoặc dùng --database-url khác) / \
         the demo province is already in {database_url}: {en} (to build it again, delete that file or pass another --database-url)"
    )
}

fn print_logins() {
    println!("\nTài khoản dùng thử / demo logins:");
    for (username, role, district, password) in demo_users() {
        let district = district
            .map(|d| format!(" (district {d})"))
            .unwrap_or_default();
        println!(
            "  {username:<10} {:<10} password {password}{district}",
            role.as_str()
        );
    }
}

/// What building the demo measured.
pub struct BuildStats {
    pub plan: DemoPlan,
    pub rows: usize,
    pub bytes: usize,
    pub import_seconds: f64,
}

/// Budgets are allocated at the start of the support period, so that reports
/// as of any date in 2021 show them.
const DEMO_ALLOCATION_DATE: &str = "2021-07-01";

/// Where the demo's rolls are generated. The generator holds the whole
/// province in memory while it writes; in a child process that memory is
/// not counted against the importer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    InProcess,
    ChildProcess,
}

/// `ansinh generate-demo`: writes the rolls and `manifest.json` (the plan).
pub fn generate_to(scale: Scale, directory: &std::path::Path) -> CliResult {
    let plan = demo::generate(scale, directory)?;
    let manifest = serde_json::to_vec(&plan).map_err(|e| CliError::Other(e.to_string()))?;
    std::fs::write(directory.join(MANIFEST), manifest)?;
    Ok(())
}

const MANIFEST: &str = "manifest.json";

fn generate_plan(
    scale: Scale,
    directory: &std::path::Path,
    generation: Generation,
) -> CliResult<DemoPlan> {
    if generation == Generation::InProcess {
        return Ok(demo::generate(scale, directory)?);
    }
    let output = std::process::Command::new(std::env::current_exe()?)
        .args(["generate-demo", "--scale", scale.name(), "--out"])
        .arg(directory)
        .output()?;
    if !output.status.success() {
        return Err(CliError::Other(format!(
            "generating the demo failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let manifest = std::fs::read(directory.join(MANIFEST))?;
    serde_json::from_slice(&manifest).map_err(|e| CliError::Other(format!("demo manifest: {e}")))
}

/// The province the demo builds.
const DEMO_PROVINCE: &str = "84";

/// Refuses another province's ledger before anything is opened or made.
pub fn check_ledger(ledger: Option<&crate::domain::LedgerCode>) -> CliResult {
    match ledger.filter(|ledger| ledger.as_str() != DEMO_PROVINCE) {
        Some(ledger) => Err(CliError::Usage(format!(
            "the demo is Trà Vinh's ({DEMO_PROVINCE}); ledger {ledger} is another province's: run \
             it with --ledger {DEMO_PROVINCE} or without --ledger"
        ))),
        None => Ok(()),
    }
}

/// Builds the whole province: users and programs, then every roll through
/// the real pipeline (timed), then the fund's donations.
pub async fn build(
    shared_store: &Arc<dyn Store>,
    scale: Scale,
    generation: Generation,
) -> CliResult<BuildStats> {
    let store = shared_store.as_ref();
    let started = Instant::now();
    let users = add_users(store).await?;
    // The generated rolls are not kept (the imports keep their bytes as
    // evidence): the folder goes when dropped.
    let directory = tempfile::Builder::new().prefix("ansinh-demo-").tempdir()?;
    let plan = generate_plan(scale, directory.path(), generation)?;
    println!(
        "generated {} programs and {} rolls in {:.1} s",
        plan.programs.len(),
        plan.rolls.len(),
        started.elapsed().as_secs_f64()
    );
    for program in &plan.programs {
        let mut text = std::fs::read_to_string(&program.path)?;
        if !text.contains("allocated_on") {
            text = format!("allocated_on = \"{DEMO_ALLOCATION_DATE}\"\n{text}");
        }
        crate::programs::add(store, "tinh", &text)
            .await
            .map_err(|e| CliError::Other(format!("demo program {}: {e}", program.code)))?;
    }
    let import_started = Instant::now();
    let jobs = plan
        .rolls
        .iter()
        .map(|roll| roll_job(&users, roll))
        .collect::<CliResult<Vec<_>>>()?;
    let (mut rows, mut bytes) = (0usize, 0usize);
    batch::import_all(shared_store.clone(), jobs, |done| {
        let report = &done.report;
        rows += report.rows_read as usize;
        bytes += report.size_bytes as usize;
        println!(
            "  {:<44} {:>7} rows: {:>7} accepted, {:>3} rejected  ({:.2} s read and validate, {:.2} s commit) rss {:.0}",
            report.file_name,
            report.rows_read,
            report.rows_accepted,
            report.rows_rejected,
            done.validate_seconds,
            done.commit_seconds,
            crate::telemetry::peak_rss_mib()
        );
    })
    .await
    .map_err(|e| match e {
        ImportError::Blocked(report) | ImportError::Stale(report) => CliError::Other(format!(
            "demo roll {} refused: {}",
            report.file_name,
            report.blocking_text()
        )),
        other => super::import::map_error(other),
    })?;
    let import_seconds = import_started.elapsed().as_secs_f64();
    post_donations(store, &plan).await?;
    println!(
        "demo built in {:.1} s: {rows} roll rows imported in {import_seconds:.2} s ({:.0} rows/s)",
        started.elapsed().as_secs_f64(),
        rows as f64 / import_seconds.max(1e-9)
    );
    Ok(BuildStats {
        plan,
        rows,
        bytes,
        import_seconds,
    })
}

async fn add_users(store: &dyn Store) -> CliResult<Vec<User>> {
    let mut users = Vec::new();
    for (username, role, district, secret) in demo_users() {
        let password_hash = password::hash_async(secret)
            .await
            .map_err(|e| CliError::Other(e.to_string()))?;
        let audit = AuditEvent {
            at_us: now_us(),
            actor: "demo".into(),
            action: "user.add".into(),
            outcome: "ok".into(),
            detail: format!("demo user {username}"),
        };
        users.push(
            store
                .add_user(
                    NewUser {
                        username,
                        role,
                        district,
                        password_hash,
                    },
                    audit,
                )
                .await?,
        );
    }
    Ok(users)
}

/// A roll of the plan, imported by its district's officer.
fn roll_job(users: &[User], roll: &demo::RollFile) -> CliResult<batch::Job> {
    let officer = users
        .iter()
        .find(|u| u.district.as_deref() == Some(roll.district.as_str()))
        .ok_or_else(|| {
            CliError::Other(format!("no demo officer for district {}", roll.district))
        })?;
    Ok(batch::Job {
        user: officer.clone(),
        kind: match roll.kind {
            demo::RollKind::Approvals => RollKind::Approvals,
            demo::RollKind::Payments => RollKind::Payments,
        },
        program: roll.program.clone(),
        district: roll.district.clone(),
        path: roll.path.clone(),
    })
}

async fn post_donations(store: &dyn Store, plan: &DemoPlan) -> CliResult {
    let entries = plan
        .donations
        .iter()
        .map(|d| rules::donation(DEMO_FUND, d.amount, d.date, &d.donor, &d.reference))
        .collect();
    let now = now_us();
    append(
        store,
        Batch {
            actor: "tinh".into(),
            recorded_at_us: now,
            entries,
            program: None,
            import_commit: None,
            roll_people: None,
            refused_payments: Vec::new(),
            read_at: None,
            audit: AuditEvent {
                at_us: now,
                actor: "tinh".into(),
                action: "fund.donations".into(),
                outcome: "ok".into(),
                detail: format!("{} donations to fund {DEMO_FUND}", plan.donations.len()),
            },
        },
    )
    .await?;
    Ok(())
}
