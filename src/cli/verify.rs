//! `ansinh verify [--full] [--checkpoint SEQ:HASH] [--audit-checkpoint ID:HASH]`:
//! exit 1 naming the first bad entry, import, audit event or read model row.
//! Without `--full` (or a checkpoint) it checks what follows the last
//! verification that passed.

use super::{CliError, CliResult, Context};
use crate::domain::Checkpoint;
use crate::ledger::verify;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Recompute the whole ledger (the chain from its first entry, every
    /// rule, every import's evidence, the read models), not only what
    /// follows the last verification.
    #[arg(long)]
    full: bool,
    /// A checkpoint from an old report: proves the ledger still extends it.
    #[arg(long, value_parser = Checkpoint::parse)]
    checkpoint: Option<Checkpoint>,
    /// An audit head (`ID:HASH`) from an earlier verification: proves the
    /// audit trail was not cut or rewritten since.
    #[arg(long, value_parser = Checkpoint::parse)]
    audit_checkpoint: Option<Checkpoint>,
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
    let store = context.store.as_ref();
    let report = if args.checkpoint.is_some() || args.audit_checkpoint.is_some() {
        verify::run_with(
            store,
            args.checkpoint.clone(),
            args.audit_checkpoint.clone(),
        )
        .await?
    } else if args.full {
        verify::run_recorded(store).await?
    } else {
        verify::run_incremental(store).await?
    };
    let elapsed_ms = started.elapsed().as_millis();
    let head = verified_head(&report)?;
    let chained = report.audit_events - report.audit_events_unchained;
    let (older_vi, older_en) = match report.audit_events_unchained {
        0 => (String::new(), String::new()),
        n => (
            format!(", {n} sự kiện cũ ghi trước khi nhật ký nối chuỗi"),
            format!(", {n} older ones recorded before the audit chain began"),
        ),
    };
    println!(
        "ok: {0} bút toán, {1} dòng hạch toán, chuỗi hash và số dư đều đúng; {2} lần nhập khớp tệp, báo cáo và danh sách người; {3} sự kiện nhật ký nối chuỗi{older_vi} / {0} entries, {1} postings, chain and balances verified in {elapsed_ms} ms; {2} imports' files, reports and people match their commits; {3} audit events chained{older_en}; head {head}; audit head {audit_head}",
        report.entries,
        report.postings,
        report.imports,
        chained,
        audit_head = report.audit_head.as_deref().unwrap_or("0:(empty)"),
    );
    match (report.checked_after_seq, report.read_model_people) {
        (Some(after), _) => println!(
            "đã kiểm tra các bút toán sau bút toán {after}, đã kiểm tra lần trước / checked what follows entry {after}, verified before (`--full` checks everything)"
        ),
        (None, Some(people)) => println!(
            "số liệu đối chiếu của {people} người khớp sổ cái / the read models' {people} people match the journal"
        ),
        (None, None) => {}
    }
    if let Some(checkpoint) = args.checkpoint {
        println!("sổ cái nối tiếp điểm kiểm tra / the ledger extends checkpoint {checkpoint}");
    }
    if let Some(checkpoint) = args.audit_checkpoint {
        println!(
            "nhật ký kiểm toán nối tiếp điểm kiểm tra / the audit trail extends audit checkpoint {checkpoint}"
        );
    }
    Ok(())
}
