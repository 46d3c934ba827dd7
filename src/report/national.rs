//! The national report: each province's ledger summarized at its own head,
//! summed, with a national checkpoint — the digest of the provincial
//! checkpoints — that pins the whole answer. Anyone holding the provincial
//! checkpoints (each verifiable with `ansinh --ledger CODE verify
//! --checkpoint SEQ:HASH`) can recompute it.

use super::{figures_line, summary, Figures, GroupBy};
use crate::domain::{admin_units, Checkpoint, LedgerCode};
use crate::store::{self, OpenOptions, Store, StoreError, StoreResult};
use chrono::NaiveDate;
use futures_util::{StreamExt, TryStreamExt};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// Ledgers read at once: each read holds one of the database's connections.
const LEDGERS_READ_AT_ONCE: usize = 8;
/// Connections per provincial ledger while the report reads it.
const CONNECTIONS_PER_LEDGER: u32 = 1;
/// An open ledger's unused connections close after this: dozens stay open.
const LEDGER_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Why a national report cannot be made of what was asked.
#[derive(Debug, thiserror::Error)]
pub enum NationalError {
    #[error(
        "ledger {missing} is not in this database (it holds: {held}); a national report reads \
         ledgers, it never creates one / cơ sở dữ liệu không có sổ của tỉnh {missing}"
    )]
    NoSuchLedger { missing: LedgerCode, held: String },
    #[error(
        "this database holds no provincial ledger: add one with `ansinh --ledger CODE …` / \
         chưa có sổ của tỉnh nào"
    )]
    NoLedgers,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The provincial ledgers of one database, opened as national reports ask
/// for them and kept open (each pool connects when read, and lets its
/// connection go when idle): the CLI's report and the ministry's server.
pub struct NationalLedgers {
    database_url: String,
    opened: tokio::sync::Mutex<BTreeMap<LedgerCode, Arc<dyn Store>>>,
}

impl NationalLedgers {
    pub fn new(database_url: &str) -> NationalLedgers {
        NationalLedgers {
            database_url: database_url.to_string(),
            opened: tokio::sync::Mutex::default(),
        }
    }

    /// The national report of `chosen` (every ledger the database holds
    /// when none is chosen) as of `as_of`.
    pub async fn report(
        &self,
        chosen: &[LedgerCode],
        as_of: NaiveDate,
    ) -> Result<NationalSummary, NationalError> {
        let ledgers = self.open(chosen).await?;
        Ok(national(&ledgers, as_of).await?)
    }

    async fn open(
        &self,
        chosen: &[LedgerCode],
    ) -> Result<Vec<(LedgerCode, Arc<dyn Store>)>, NationalError> {
        let held = store::ledgers_in(&self.database_url).await?;
        if let Some(missing) = chosen.iter().find(|code| !held.contains(code)) {
            let held = held.iter().map(ToString::to_string).collect::<Vec<_>>();
            return Err(NationalError::NoSuchLedger {
                missing: missing.clone(),
                held: if held.is_empty() {
                    "none".into()
                } else {
                    held.join(", ")
                },
            });
        }
        let chosen = if chosen.is_empty() { &held } else { chosen };
        if chosen.is_empty() {
            return Err(NationalError::NoLedgers);
        }
        let mut opened = self.opened.lock().await;
        let mut ledgers = Vec::with_capacity(chosen.len());
        for ledger in chosen {
            let store = match opened.get(ledger) {
                Some(store) => store.clone(),
                None => {
                    let options = OpenOptions {
                        ledger: Some(ledger.clone()),
                        connections_max: Some(CONNECTIONS_PER_LEDGER),
                        idle_timeout: Some(LEDGER_IDLE_TIMEOUT),
                        ..OpenOptions::default()
                    };
                    let store = store::open_with(&self.database_url, &options).await?;
                    opened.insert(ledger.clone(), store.clone());
                    store
                }
            };
            ledgers.push((ledger.clone(), store));
        }
        Ok(ledgers)
    }
}

/// What the national checkpoint's digest starts with: its format's version.
const CHECKPOINT_FORMAT: &str = "ansinh national checkpoint v1\n";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProvinceFigures {
    /// The province's code, which names its ledger.
    pub ledger: String,
    pub province: String,
    /// The provincial head the figures were read at (none: an empty ledger).
    pub checkpoint: Option<Checkpoint>,
    pub total: Figures,
    /// The directive footnote's support programs.
    pub support: Figures,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NationalSummary {
    #[schema(value_type = String, format = Date)]
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
