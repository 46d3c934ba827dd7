//! `ansinh bench import|report|verify`: benchmarks that print figures.
//!
//! `import` builds the demo province into a fresh SQLite file and a fresh
//! PostgreSQL database (each in a child process, so peak memory is that
//! backend's alone), and times the `sqlite3` shell's `.import` of the same
//! CSV bytes as a baseline in the same run. `report` and `verify` time the
//! database given by --database-url (build it first with `ansinh demo`).

use super::{CliError, CliResult, Context};
use crate::demo::Scale;
use crate::ledger::verify;
use crate::report::{self, GroupBy};
use std::process::Command;

use std::time::Instant;

#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Import the demo rolls on SQLite and PostgreSQL; compare with sqlite3's .import.
    Import {
        #[arg(long, value_enum, default_value_t)]
        scale: Scale,
        /// PostgreSQL server to create a scratch database on (default: ANSINH_TEST_POSTGRES_URL).
        #[arg(long, env = "ANSINH_TEST_POSTGRES_URL")]
        postgres_url: Option<String>,
    },
    /// One backend's import, run as a child process by `bench import`.
    #[command(hide = true)]
    ImportRun {
        #[arg(long, value_enum, default_value_t)]
        scale: Scale,
    },
    /// p50/p99 of the report and reconciliation endpoints under concurrent clients
    /// (serves the current database on a loopback port; logs in as --user).
    Http {
        #[arg(long, default_value_t = 32)]
        clients: usize,
        #[arg(long, default_value_t = 20)]
        requests_per_client: usize,
        #[arg(long, default_value = "NQ68")]
        program: String,
        #[arg(long, default_value = "842")]
        district: String,
    },
    /// A province's day: concurrent readers (summary, reconciliation pages,
    /// journal entries, verify) while a district commits a roll every few
    /// seconds; p50/p99 per endpoint, peak RSS, nothing lost (logs in as --user).
    Mixed {
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        #[arg(long, default_value_t = 32)]
        clients: usize,
        #[arg(long, default_value_t = 10)]
        import_every: u64,
        /// People on each committed roll (at most 10,000; each is approved
        /// 1.500.000 đồng from the district's budget).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=10_000))]
        roll_people: u16,
        /// The district officer whose rolls are committed.
        #[arg(long, default_value = "huyen842")]
        importer: String,
        #[arg(long, default_value = "NQ68")]
        program: String,
        /// A commune of the importer's district.
        #[arg(long, default_value = "29239")]
        commune: String,
    },
    /// A ledger per province on PostgreSQL: approval rolls imported with
    /// provinces side by side, in waves of 1, 8 and 63 provinces, each wave
    /// followed by rows/s, peak RSS, database size, national report,
    /// reconciliation page and verify of every ledger.
    National {
        /// How many provinces, by code (1 to 63).
        #[arg(long, default_value_t = 63)]
        provinces: usize,
        /// Fraction of the national scale (1: 15.01 M approvals).
        #[arg(long, default_value_t = 0.01)]
        scale: f64,
        /// Provinces importing at once.
        #[arg(long, default_value_t = 2)]
        parallel: usize,
        /// Keep the scratch database afterwards (its URL is printed).
        #[arg(long)]
        keep: bool,
        /// PostgreSQL server to create a scratch database on (default: ANSINH_TEST_POSTGRES_URL).
        #[arg(long, env = "ANSINH_TEST_POSTGRES_URL")]
        postgres_url: Option<String>,
    },
    /// Time `report` on the current database.
    Report {
        #[arg(long, default_value_t = 50)]
        runs: usize,
    },
    /// Time `verify` on the current database.
    Verify {
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
}

pub async fn run(context: &Context, command: BenchCommand) -> CliResult {
    match command {
        BenchCommand::Import {
            scale,
            postgres_url,
        } => import(scale, postgres_url).await,
        BenchCommand::ImportRun { scale } => import_run(context, scale).await,
        // Run before any store opens (`cli::execute`): it makes its own database.
        BenchCommand::National { .. } => Ok(()),
        BenchCommand::Report { runs } => bench_report(context, runs).await,
        BenchCommand::Http {
            clients,
            requests_per_client,
            program,
            district,
        } => {
            let paths = [
                format!("/api/v1/reports/summary?as_of={}", crate::demo::AS_OF),
                format!("/api/v1/reconciliation?program={program}&district={district}"),
                format!("/api/v1/reconciliation?program={program}&district={district}&format=csv"),
            ];
            super::bench_http::run(context, clients, requests_per_client, &paths).await
        }
        BenchCommand::Verify { runs } => bench_verify(context, runs).await,
        BenchCommand::Mixed {
            seconds,
            clients,
            import_every,
            roll_people,
            importer,
            program,
            commune,
        } => {
            let mixed = super::bench_mixed::Mixed {
                seconds,
                clients,
                import_every_seconds: import_every,
                roll_people: usize::from(roll_people),
                importer,
                program,
                commune,
            };
            super::bench_mixed::run(context, mixed).await
        }
    }
}

async fn import_run(context: &Context, scale: Scale) -> CliResult {
    let stats =
        super::demo::build(&context.store, scale, super::demo::Generation::ChildProcess).await?;
    println!(
        "BENCH rows={} bytes={} seconds={:.3} peak_rss_mib={:.1}",
        stats.rows,
        stats.bytes,
        stats.import_seconds,
        crate::telemetry::peak_rss_mib()
    );
    Ok(())
}

struct RunFigures {
    rows: f64,
    bytes: f64,
    seconds: f64,
    peak_rss_mib: f64,
}

fn child_import(url: &str, scale: Scale) -> CliResult<RunFigures> {
    let exe = std::env::current_exe()?;
    let output = Command::new(exe)
        .args([
            "--database-url",
            url,
            "bench",
            "import-run",
            "--scale",
            scale.name(),
        ])
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(CliError::Other(format!(
            "import run on {url} failed: {}{}",
            stdout,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let line = stdout
        .lines()
        .find(|l| l.starts_with("BENCH "))
        .ok_or_else(|| CliError::Other(format!("no figures from the import run: {stdout}")))?;
    let field = |name: &str| -> f64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    Ok(RunFigures {
        rows: field("rows"),
        bytes: field("bytes"),
        seconds: field("seconds"),
        peak_rss_mib: field("peak_rss_mib"),
    })
}

fn print_figures(backend: &str, figures: &RunFigures, baseline_seconds: Option<f64>) {
    let ratio = baseline_seconds
        .map(|b| format!(", {:.2}× sqlite3 .import", figures.seconds / b.max(1e-9)))
        .unwrap_or_default();
    println!(
        "{backend:<10} {:>8.0} rows in {:>6.2} s = {:>8.0} rows/s ({:.1} MB/s), peak RSS {:.0} MiB{ratio}",
        figures.rows,
        figures.seconds,
        figures.rows / figures.seconds.max(1e-9),
        figures.bytes / figures.seconds.max(1e-9) / 1e6,
        figures.peak_rss_mib
    );
}

pub async fn import(scale: Scale, postgres_url: Option<String>) -> CliResult {
    // Removed when dropped, whatever the outcome.
    let dir = tempfile::Builder::new().prefix("ansinh-bench-").tempdir()?;
    import_in(dir.path(), scale, postgres_url).await
}

async fn import_in(dir: &std::path::Path, scale: Scale, postgres_url: Option<String>) -> CliResult {
    let rolls = dir.join("rolls");
    let plan = crate::demo::generate(scale, &rolls)?;
    let baseline = sqlite3_import_seconds(dir, &plan);
    println!("Import benchmark: the demo province's {} rolls through the real pipeline (parse, validate, dedupe, hash, commit)", plan.rolls.len());
    match baseline {
        Ok(seconds) => println!(
            "{:<10} sqlite3 shell .import of the same CSV bytes: {seconds:.2} s",
            "baseline"
        ),
        Err(ref e) => println!(
            "{:<10} sqlite3 shell not available ({e}); no baseline",
            "baseline"
        ),
    }
    let sqlite_url = format!("sqlite://{}", dir.join("bench.db").display());
    let figures = child_import(&sqlite_url, scale)?;
    print_figures("sqlite", &figures, baseline.as_ref().ok().copied());
    match postgres_url {
        Some(server) => {
            let name = format!("ansinh_bench_{}", std::process::id());
            let url = scratch_database(&server, &name).await?;
            let result = child_import(&url, scale);
            drop_database(&server, &name).await;
            print_figures("postgres", &result?, None);
        }
        None => println!("postgres   skipped: pass --postgres-url or set ANSINH_TEST_POSTGRES_URL"),
    }
    Ok(())
}

/// Times `sqlite3`'s own `.import` of every roll into a fresh database file.
fn sqlite3_import_seconds(
    dir: &std::path::Path,
    plan: &crate::demo::DemoPlan,
) -> Result<f64, String> {
    let mut script = String::from(".mode csv\n");
    for (index, roll) in plan.rolls.iter().enumerate() {
        let first_line = std::fs::read_to_string(&roll.path)
            .map_err(|e| e.to_string())?
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        let separator = [';', '\t', ',']
            .into_iter()
            .max_by_key(|c| first_line.matches(*c).count())
            .unwrap_or(',');
        let separator = if separator == '\t' {
            "\\t".to_string()
        } else {
            separator.to_string()
        };
        script.push_str(&format!(
            ".separator \"{separator}\"\n.import '{}' roll{index}\n",
            roll.path.display()
        ));
    }
    let database = dir.join("sqlite3-baseline.db");
    let started = Instant::now();
    let mut child = Command::new("sqlite3")
        .arg(&database)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        stdin
            .write_all(script.as_bytes())
            .map_err(|e| e.to_string())?;
    }
    child.wait().map_err(|e| e.to_string())?;
    Ok(started.elapsed().as_secs_f64())
}

pub(super) async fn scratch_database(server: &str, name: &str) -> CliResult<String> {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(server)
        .await
        .map_err(|e| CliError::Other(e.to_string()))?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .map_err(|e| CliError::Other(e.to_string()))?;
    let base = server.split('?').next().unwrap_or(server);
    let base = base.rsplit_once('/').map(|(b, _)| b).unwrap_or(base);
    Ok(format!("{base}/{name}"))
}

pub(super) async fn drop_database(server: &str, name: &str) {
    use sqlx::Connection;
    if let Ok(mut admin) = sqlx::PgConnection::connect(server).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)
            .await;
    }
}

fn percentile(sorted_ms: &[f64], p: f64) -> f64 {
    let index = ((sorted_ms.len() as f64 - 1.0) * p).round() as usize;
    sorted_ms.get(index).copied().unwrap_or(0.0)
}

async fn bench_report(context: &Context, runs: usize) -> CliResult {
    let as_of = crate::demo::AS_OF;
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        last = Some(report::summary(context.store.as_ref(), as_of, None, GroupBy::District).await?);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let total = last.map(|s| s.total).unwrap_or_default();
    println!(
        "report --as-of {as_of} on {}: {} runs, median {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} beneficiaries, {} đồng approved)",
        context.store.backend_name(),
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        percentile(&times, 1.0),
        total.beneficiaries,
        crate::domain::Money::from_dong(total.approved_dong).format_vi()
    );
    Ok(())
}

async fn bench_verify(context: &Context, runs: usize) -> CliResult {
    let mut times = Vec::with_capacity(runs);
    let mut postings = 0;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let result = verify::run(context.store.as_ref(), None).await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        if let Some(problem) = result.problem {
            return Err(CliError::Refused(format!(
                "verification failed: {}: {}",
                problem.at, problem.reason
            )));
        }
        postings = result.postings;
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "verify on {}: {} runs over {postings} postings, median {:.0} ms, max {:.0} ms, peak RSS {:.0} MiB",
        context.store.backend_name(),
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 1.0),
        crate::telemetry::peak_rss_mib()
    );
    Ok(())
}
