//! `ansinh verify [--checkpoint SEQ:HASH]`: exit 1 naming the first bad entry.

use super::{CliError, CliResult, Context};
use crate::domain::Checkpoint;
use crate::ledger::verify;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A checkpoint from an old report: proves the ledger still extends it.
    #[arg(long, value_parser = Checkpoint::parse)]
    checkpoint: Option<Checkpoint>,
}

pub async fn run(context: &Context, args: Args) -> CliResult {
    let started = std::time::Instant::now();
    let report = verify::run(context.store.as_ref(), args.checkpoint.clone()).await?;
    let elapsed_ms = started.elapsed().as_millis();
    if let Some(problem) = &report.problem {
        return Err(CliError::Refused(format!(
            "kiểm tra thất bại tại bút toán {0} / verification FAILED at entry {0}: {1}",
            problem.seq, problem.reason
        )));
    }
    let head = report
        .head
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| "0:(empty)".into());
    println!(
        "ok: {0} bút toán, {1} dòng hạch toán, chuỗi hash và số dư đều đúng / {0} entries, {1} postings, chain and balances verified in {elapsed_ms} ms; head {head}",
        report.entries, report.postings
    );
    if let Some(checkpoint) = args.checkpoint {
        println!("sổ cái nối tiếp điểm kiểm tra / the ledger extends checkpoint {checkpoint}");
    }
    Ok(())
}
