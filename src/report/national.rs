//! The national report: each province's ledger summarized at its own head,
//! summed, with a national checkpoint — the digest of the provincial
//! checkpoints — that pins the whole answer. Anyone holding the provincial
//! checkpoints (each verifiable with `ansinh --ledger CODE verify
//! --checkpoint SEQ:HASH`) can recompute it.

use super::{figures_line, summary, Figures, GroupBy};
use crate::domain::{admin_units, Checkpoint, LedgerCode};
use crate::store::{Store, StoreResult};
use chrono::NaiveDate;
use futures_util::{StreamExt, TryStreamExt};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::sync::Arc;

/// Ledgers read at once: each read holds one of the database's connections.
const LEDGERS_READ_AT_ONCE: usize = 8;

/// What the national checkpoint's digest starts with: its format's version.
const CHECKPOINT_FORMAT: &str = "ansinh national checkpoint v1\n";

#[derive(Debug, Clone, Serialize)]
pub struct ProvinceFigures {
    pub ledger: String,
    pub province: String,
    /// The provincial head the figures were read at (none: an empty ledger).
    pub checkpoint: Option<Checkpoint>,
    pub total: Figures,
    /// The directive footnote's support programs.
    pub support: Figures,
}

#[derive(Debug, Clone, Serialize)]
pub struct NationalSummary {
    pub as_of: NaiveDate,
    pub provinces: Vec<ProvinceFigures>,
    pub total: Figures,
    pub support: Figures,
    /// SHA-256 (hex) of the provincial checkpoints, in ledger order.
    pub checkpoint: String,
}

/// Sums the summaries of `ledgers` (any order; reported by code), each read
/// at its own head at the moment it is read.
pub async fn national(
    ledgers: &[(LedgerCode, Arc<dyn Store>)],
    as_of: NaiveDate,
) -> StoreResult<NationalSummary> {
    let summaries: Vec<_> = futures_util::stream::iter(ledgers)
        .map(|(_, store)| summary(store.as_ref(), as_of, None, GroupBy::Program))
        .buffered(LEDGERS_READ_AT_ONCE)
        .try_collect()
        .await?;
    let mut provinces: Vec<ProvinceFigures> = ledgers
        .iter()
        .zip(summaries)
        .map(|((ledger, _), summary)| ProvinceFigures {
            ledger: ledger.to_string(),
            province: admin_units::units()
                .province_name(ledger.as_str())
                .unwrap_or_default()
                .to_string(),
            checkpoint: summary.checkpoint,
            total: summary.total,
            support: summary.support,
        })
        .collect();
    provinces.sort_by(|a, b| a.ledger.cmp(&b.ledger));
    let mut total = Figures::default();
    let mut support = Figures::default();
    for province in &provinces {
        total.add(&province.total);
        support.add(&province.support);
    }
    Ok(NationalSummary {
        as_of,
        checkpoint: national_checkpoint(&provinces),
        provinces,
        total,
        support,
    })
}

/// The digest of one line per province, `CODE SEQ HASH` (`CODE 0 -` for an
/// empty ledger), in code order.
pub fn national_checkpoint(provinces: &[ProvinceFigures]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(CHECKPOINT_FORMAT);
    for province in provinces {
        let line = match &province.checkpoint {
            Some(checkpoint) => format!(
                "{} {} {}\n",
                province.ledger, checkpoint.seq, checkpoint.hash
            ),
            None => format!("{} 0 -\n", province.ledger),
        };
        hasher.update(line);
    }
    hex::encode(hasher.finalize())
}

impl NationalSummary {
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "National report as of {} / Báo cáo toàn quốc đến ngày {}: {} ledgers",
            self.as_of,
            self.as_of.format("%d/%m/%Y"),
            self.provinces.len()
        );
        let _ = writeln!(
            text,
            "{:<22} {:>12} {:>22} {:>22} {:>22}  province, checkpoint",
            "ledger", "beneficiaries", "approved", "paid", "outstanding"
        );
        for province in &self.provinces {
            let checkpoint = province
                .checkpoint
                .as_ref()
                .map_or("0 (empty)".to_string(), |c| format!("{}:{}", c.seq, c.hash));
            let _ = writeln!(
                text,
                "{}  {}, {checkpoint}",
                figures_line(&province.ledger, &province.total),
                province.province
            );
        }
        let _ = writeln!(text, "{}", figures_line("tổng cộng / total", &self.total));
        let _ = writeln!(
            text,
            "national checkpoint / điểm kiểm tra toàn quốc {}",
            self.checkpoint
        );
        text
    }
}
