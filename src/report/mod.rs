//! Reports as of an effective date, optionally pinned to a checkpoint:
//! beneficiaries approved, amounts approved, paid and outstanding, by
//! program, district or category, and the directive footnote.
//!
//! Figures come from the per-entry account totals: outstanding is the
//! `payable` balance, paid the `disbursed` balance, approved their sum, and
//! beneficiaries the approvals in force (one per person per program, which
//! the duplicate rule guarantees).

pub mod export;
pub mod national;
pub mod xlsx;

use crate::domain::money::format_scaled;
use crate::domain::program::FootnoteGroup;
use crate::domain::Checkpoint;
use crate::domain::{AccountPath, Money, Program};

use crate::store::{AccountSum, Store, StoreResult};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// How a report's rows are grouped; the names are those of `--by` and `?by=`.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Serialize,
    serde::Deserialize,
    clap::ValueEnum,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    #[default]
    Program,
    District,
    Category,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Figures {
    pub beneficiaries: i64,
    pub approved_dong: i64,
    pub paid_dong: i64,
    pub outstanding_dong: i64,
}

impl Figures {
    pub(crate) fn add(&mut self, other: &Figures) {
        self.beneficiaries += other.beneficiaries;
        self.approved_dong += other.approved_dong;
        self.paid_dong += other.paid_dong;
        self.outstanding_dong += other.outstanding_dong;
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Row {
    /// Program code, district code, or `program:category`.
    pub key: String,
    pub label: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Summary {
    #[schema(value_type = String, format = Date)]
    pub as_of: NaiveDate,
    pub at_seq: Option<i64>,
    /// The journal position the figures were computed at.
    pub checkpoint: Option<Checkpoint>,
    pub by: GroupBy,
    pub rows: Vec<Row>,
    pub total: Figures,
    /// Donations received by each fund (`fund:*` balances).
    pub funds: BTreeMap<String, i64>,
    /// Totals per footnote group of programs.
    pub support: Figures,
    pub food_support: Figures,
}

/// Computes the summary from the store, at a consistent journal position.
pub async fn summary(
    store: &dyn Store,
    as_of: NaiveDate,
    at_seq: Option<i64>,
    by: GroupBy,
) -> StoreResult<Summary> {
    summary_of(store, as_of, at_seq, by, None).await
}

/// [`summary`] of one district's accounts (`None`: the whole province);
/// a district's summary holds no funds (donations are provincial).
pub async fn summary_of(
    store: &dyn Store,
    as_of: NaiveDate,
    at_seq: Option<i64>,
    by: GroupBy,
    district: Option<&str>,
) -> StoreResult<Summary> {
    let head = store.head().await?;
    let seq = match (at_seq, &head) {
        (Some(asked), Some(head)) => Some(asked.min(head.seq)),
        (_, Some(head)) => Some(head.seq),
        (_, None) => None,
    };
    let checkpoint = match seq {
        Some(seq) if Some(seq) != head.as_ref().map(|h| h.seq) => store
            .entry(seq)
            .await?
            .map(|e| Checkpoint { seq, hash: e.hash }),
        _ => head,
    };
    let mut sums = store
        .account_sums(Some(as_of), Some(seq.unwrap_or(0)))
        .await?;
    if let Some(district) = district {
        sums.retain(|sum| {
            AccountPath::parse(&sum.account).is_ok_and(|account| {
                account.kind() != "fund" && account.segment(2) == Some(district)
            })
        });
    }
    let programs = load_programs(store).await?;
    Ok(compute(as_of, at_seq, checkpoint, by, &sums, &programs))
}

async fn load_programs(store: &dyn Store) -> StoreResult<Vec<Program>> {
    store
        .program_definitions()
        .await?
        .into_iter()
        .map(|(code, text)| {
            Program::from_toml(&text)
                .map_err(|e| crate::store::StoreError::Corrupt(format!("program {code}: {e}")))
        })
        .collect()
}

/// What one account's sum adds to a report: approved and outstanding on a
/// `payable` account, approved and paid on a `disbursed` one, nothing on
/// others.
fn figures_of(account: &AccountPath, sum: &AccountSum) -> Option<Figures> {
    match account.kind() {
        "payable" => Some(Figures {
            beneficiaries: sum.approvals,
            approved_dong: sum.amount_dong,
            paid_dong: 0,
            outstanding_dong: sum.amount_dong,
        }),
        "disbursed" => Some(Figures {
            beneficiaries: 0,
            approved_dong: sum.amount_dong,
            paid_dong: sum.amount_dong,
            outstanding_dong: 0,
        }),
        _ => None,
    }
}

/// Pure: account sums → the summary.
pub fn compute(
    as_of: NaiveDate,
    at_seq: Option<i64>,
    checkpoint: Option<Checkpoint>,
    by: GroupBy,
    sums: &[AccountSum],
    programs: &[Program],
) -> Summary {
    let mut rows: BTreeMap<String, Figures> = BTreeMap::new();
    let mut funds = BTreeMap::new();
    let mut support = Figures::default();
    let mut food_support = Figures::default();
    for sum in sums {
        let Ok(account) = AccountPath::parse(&sum.account) else {
            continue;
        };
        if account.kind() == "fund" {
            funds.insert(
                account.segment(1).unwrap_or_default().to_string(),
                sum.amount_dong,
            );
            continue;
        }
        let Some(figures) = figures_of(&account, sum) else {
            continue;
        };
        let program = account.segment(1).unwrap_or_default();
        let key = match by {
            GroupBy::Program => program.to_string(),
            GroupBy::District => account.segment(2).unwrap_or_default().to_string(),
            GroupBy::Category => format!("{program}:{}", account.segment(3).unwrap_or_default()),
        };
        rows.entry(key).or_default().add(&figures);
        match programs
            .iter()
            .find(|p| p.code.as_str() == program)
            .map(|p| p.footnote)
        {
            Some(FootnoteGroup::FoodSupport) => food_support.add(&figures),
            _ => support.add(&figures),
        }
    }
    let mut total = Figures::default();
    let rows = rows
        .into_iter()
        .map(|(key, figures)| {
            total.add(&figures);
            Row {
                label: label(by, &key, programs),
                key,
                figures,
            }
        })
        .collect();
    Summary {
        as_of,
        at_seq,
        checkpoint,
        by,
        rows,
        total,
        funds,
        support,
        food_support,
    }
}

fn label(by: GroupBy, key: &str, programs: &[Program]) -> String {
    match by {
        GroupBy::Program => programs
            .iter()
            .find(|p| p.code.as_str() == key)
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        GroupBy::District => crate::domain::admin_units::units()
            .district(key)
            .map(|d| d.name.clone())
            .unwrap_or_default(),
        GroupBy::Category => {
            let (program, category) = key.split_once(':').unwrap_or((key, ""));
            programs
                .iter()
                .find(|p| p.code.as_str() == program)
                .and_then(|p| p.category(category))
                .map(|c| c.name.clone())
                .unwrap_or_default()
        }
    }
}

impl Summary {
    fn checkpoint_text(&self) -> String {
        self.checkpoint
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_else(|| "0:(empty ledger)".into())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn to_text(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "Report as of {} / Báo cáo đến ngày {}",
            self.as_of,
            self.as_of.format("%d/%m/%Y")
        );
        let _ = writeln!(text, "checkpoint {}", self.checkpoint_text());
        let _ = writeln!(
            text,
            "{:<22} {:>12} {:>22} {:>22} {:>22}  name",
            "key", "beneficiaries", "approved", "paid", "outstanding"
        );
        for row in &self.rows {
            let _ = writeln!(
                text,
                "{}  {}",
                figures_line(&row.key, &row.figures),
                row.label
            );
        }
        let _ = writeln!(text, "{}", figures_line("tổng cộng / total", &self.total));
        for (fund, amount) in &self.funds {
            let _ = writeln!(
                text,
                "fund {fund}: {} đồng received",
                Money::from_dong(*amount).format_vi()
            );
        }
        text
    }

    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let _ = writer.write_record([
            "as_of",
            "checkpoint",
            "key",
            "label",
            "beneficiaries",
            "approved",
            "paid",
            "outstanding",
        ]);
        let total = Row {
            key: "total".into(),
            label: String::new(),
            figures: self.total.clone(),
        };
        for row in self.rows.iter().chain(std::iter::once(&total)) {
            let _ = writer.write_record([
                self.as_of.to_string(),
                self.checkpoint_text(),
                crate::domain::text::csv_safe(&row.key),
                crate::domain::text::csv_safe(&row.label),
                row.figures.beneficiaries.to_string(),
                row.figures.approved_dong.to_string(),
                row.figures.paid_dong.to_string(),
                row.figures.outstanding_dong.to_string(),
            ]);
        }
        String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    /// The directive's sentences, vi-VN formatted, exact đồng beside each rounded figure.
    pub fn to_footnote(&self) -> String {
        let fund: i64 = self.funds.values().sum();
        let mut text = format!(
            "Đến ngày {}, đã phê duyệt hỗ trợ cho {} đối tượng với tổng kinh phí {} tỷ đồng ({} đồng), \
             hỗ trợ tiền ăn cho người dân từ Thành phố Hồ Chí Minh và các tỉnh về địa phương trong thời gian cách ly \
             với kinh phí {} tỷ đồng ({} đồng).",
            self.as_of.format("%d/%m/%Y"),
            crate::domain::money::group_digits(self.support.beneficiaries, '.'),
            format_scaled(self.support.approved_dong, 1_000_000_000, 2),
            Money::from_dong(self.support.approved_dong).format_vi(),
            format_scaled(self.food_support.approved_dong, 1_000_000_000, 2),
            Money::from_dong(self.food_support.approved_dong).format_vi(),
        );
        if fund > 0 {
            let _ = write!(
                text,
                " Vận động quỹ phòng, chống Covid-19 của tỉnh {} tỷ đồng ({} đồng).",
                approximately(fund),
                Money::from_dong(fund).format_vi()
            );
        }
        let _ = write!(
            text,
            "\n(Số liệu từ sổ cái tại điểm kiểm tra {}.)\n",
            self.checkpoint_text()
        );
        text
    }
}

/// "hơn 70" when above a whole number of tỷ, else the exact rounded figure.
fn approximately(amount_dong: i64) -> String {
    const TY: i64 = 1_000_000_000;
    if amount_dong > TY && amount_dong % TY != 0 {
        format!(
            "hơn {}",
            crate::domain::money::group_digits(amount_dong / TY, '.')
        )
    } else {
        format_scaled(amount_dong, TY, 2)
    }
}

fn figures_line(key: &str, figures: &Figures) -> String {
    format!(
        "{:<22} {:>12} {:>22} {:>22} {:>22}",
        key,
        crate::domain::money::group_digits(figures.beneficiaries, '.'),
        Money::from_dong(figures.approved_dong).format_vi(),
        Money::from_dong(figures.paid_dong).format_vi(),
        Money::from_dong(figures.outstanding_dong).format_vi()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footnote_figures_are_vi_vn() {
        let summary = Summary {
            as_of: NaiveDate::from_ymd_opt(2021, 11, 25).unwrap(),
            at_seq: None,
            checkpoint: None,
            by: GroupBy::Program,
            rows: Vec::new(),
            total: Figures::default(),
            funds: BTreeMap::from([("covid19".to_string(), 70_482_350_000)]),
            support: Figures {
                beneficiaries: 292_983,
                approved_dong: 455_549_800_000,
                paid_dong: 0,
                outstanding_dong: 0,
            },
            food_support: Figures {
                beneficiaries: 1,
                approved_dong: 8_600_000_000,
                paid_dong: 0,
                outstanding_dong: 0,
            },
        };
        let text = summary.to_footnote();
        assert!(text.contains("Đến ngày 25/11/2021"), "{text}");
        assert!(text.contains("292.983 đối tượng"), "{text}");
        assert!(
            text.contains("455,55 tỷ đồng (455.549.800.000 đồng)"),
            "{text}"
        );
        assert!(text.contains("8,6 tỷ đồng (8.600.000.000 đồng)"), "{text}");
        assert!(
            text.contains("hơn 70 tỷ đồng (70.482.350.000 đồng)"),
            "{text}"
        );
    }
}
