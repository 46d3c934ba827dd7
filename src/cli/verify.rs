//! `ansinh verify [--checkpoint SEQ:HASH]`: exit 1 naming the first bad
//! entry, import or audit event.

use super::{CliError, CliResult, Context};
use crate::domain::Checkpoint;
use crate::ledger::verify;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A checkpoint from an old report: proves the ledger still extends it.
    #[arg(long, value_parser = Checkpoint::parse)]
    checkpoint: Option<Checkpoint>,
}

/// The head checkpoint of a report that verified, as `SEQ:HASH`; a report
/// that did not is the command's refusal (exit 1), naming what is bad.
pub(super) fn verified_head(report: &verify::VerifyReport) -> CliResult<String> {
    if let Some(problem) = &report.problem {
        return Err(CliError::Refused(format!(
            "kiểm tra thất bại / verification FAILED: {}: {}",
            problem.at, problem.reason
        )));
    }
    Ok(report
        .head
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| "0:(empty)".into()))
}

pub async fn run(context: &Context, args: Args) -> CliResult {
    let started = std::time::Instant::now();
    let report = verify::run(context.store.as_ref(), args.checkpoint.clone()).await?;
    let elapsed_ms = started.elapsed().as_millis();
    let head = verified_head(&report)?;
    println!(
        "ok: {} entries, {} postings, chain and balances verified in {elapsed_ms} ms; {} imports' files, reports and people match their commits; {} audit events chained{}; head {head}",
        report.entries,
        report.postings,
        report.imports,
        report.audit_events - report.audit_events_unchained,
        match report.audit_events_unchained {
            0 => String::new(),
            n => format!(", {n} older ones recorded before the audit chain began"),
        }
    );
    if let Some(checkpoint) = args.checkpoint {
        println!("the ledger extends checkpoint {checkpoint}");
    }
    Ok(())
}
