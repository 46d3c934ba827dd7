//! The Trà Vinh demo province: a deterministic generator of the files a
//! province really receives — program files (TOML), district approval and
//! payment rolls (CSV) — and of the Covid-19 fund's donations, with the figures
//! an import of them must produce (`ExpectedFigures`).
//!
//! Output is byte-identical on every machine and version: all randomness comes
//! from our own SplitMix64 with fixed seeds, and nothing depends on hash-map
//! order, the clock or the locale.
//!
//! # Files written into `out_dir`
//! - `program-NQ68.toml`, `program-NQ116.toml`, `program-AN-CACH-LY.toml`, with
//!   budgets per district 10 % above what the rolls approve.
//! - Per program and district, in import order (`DemoPlan::rolls`):
//!   1. `<district>-<program>-phe-duyet.csv`: approvals decided Aug–Nov 2021.
//!   2. `<district>-<program>-phe-duyet-bo-sung-t12.csv`: supplementary approvals
//!      decided in December 2021 (only some districts; new people).
//!   3. `<district>-<program>-chi-tra.csv`: payments of both.
//!
//! Each district writes its files its own way (see `dialect.rs`): vi-VN Excel
//! with BOM, `;`, CRLF and `1.500.000`; English-header exports with `,` and
//! ISO dates; tab-separated; headers upper-case or without diacritics; amounts
//! as `1,500,000`, `1 500 000` or `1.500.000 đ`; birth year alone for old people;
//! an extra `Dân tộc` column; one note with a line break inside quotes.
//!
//! # Rows an importer must refuse (never counted in `valid_rows` or figures)
//! - Main support approval files (`phe-duyet`, NQ68 and NQ116) carry damaged rows
//!   and therefore **no** totals row: every NQ68 file has 4 (an 11-digit ID, an ID
//!   in scientific notation, an amount with `,5` đồng, a commune of the next
//!   district); every NQ116 file has 2 (even district positions — 842, 845, 847,
//!   849, 851 — an 11-digit ID and a foreign commune; the others an ID in
//!   scientific notation and a fractional amount).
//! - Food-support files and all December files have no damaged rows and end with
//!   a totals row (`Tổng cộng`, or `Cộng` in 848) equal to the sum of their rows.
//! - Every payment file has exactly 2 refused lines: a line exported twice (same
//!   reference as the line before it) and a payment to a person never approved.
//!
//! `RollFile::rejects` lists these rows by record number (1-based, header not
//! counted, totals row not counted).

mod dialect;
mod donations;
mod files;
mod people;
mod programs;
mod province;
mod rng;
mod rolls;
#[cfg(test)]
mod tests;

use crate::domain::Money;
use chrono::NaiveDate;
use files::{ApprovalFile, Tally, Written};
use people::{People, PEOPLE_MAX};
use programs::{ProgramSpec, PROGRAMS};
use province::Province;
use rolls::{Batch, Roll};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// The date of the directive whose figures the demo reproduces.
pub const AS_OF: NaiveDate = programs::ymd(2021, 11, 25);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// The province's real size: 292.983 support beneficiaries by 25/11/2021.
    #[default]
    Full,
    /// About a hundredth, for tests.
    Small,
}

impl Scale {
    /// The name the command line takes (`full`, `small`).
    pub fn name(self) -> &'static str {
        match self {
            Scale::Full => "full",
            Scale::Small => "small",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RollKind {
    Approvals,
    Payments,
}

/// Why the importer must refuse a row the generator damaged on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RejectReason {
    /// 11-digit ID: Excel dropped the leading zero.
    IdLeadingZeroDropped,
    /// ID shown as `8,40912E+10`.
    IdScientificNotation,
    /// Amount with half a đồng (`1.500.000,5`).
    FractionalAmount,
    /// Commune code of another district.
    CommuneOutsideDistrict,
    /// Payment to a national ID never approved in the program.
    PaymentWithoutApproval,
    /// Second line with a reference already used.
    DuplicatePaymentReference,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RejectedRow {
    /// 1-based position among the file's data records (the header is not counted).
    pub record: usize,
    pub reason: RejectReason,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ProgramFile {
    pub code: String,
    pub path: PathBuf,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RollFile {
    pub kind: RollKind,
    pub program: String,
    pub district: String,
    pub path: PathBuf,
    /// Data records, valid or not, without the header and the totals row.
    pub data_rows: usize,
    /// Records the importer must accept.
    pub valid_rows: usize,
    /// Records it must refuse; `data_rows - valid_rows` of them.
    pub rejects: Vec<RejectedRow>,
    /// The declared control total, when the file ends with a totals row.
    pub totals_row: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Donation {
    pub date: NaiveDate,
    pub donor: String,
    pub amount: Money,
    pub reference: String,
}

/// What the ledger must report after importing the plan. Support = NQ68 + NQ116
/// (footnote group `support`); food = AN-CACH-LY. "As of" counts approvals by
/// decision date and payments by paid date.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExpectedFigures {
    pub as_of: NaiveDate,
    pub support_beneficiaries: u64,
    pub support_approved: Money,
    pub support_paid: Money,
    pub food_approved: Money,
    pub fund_donated: Money,
    pub all_support_beneficiaries: u64,
    pub all_support_approved: Money,
    pub all_support_paid: Money,
    pub all_food_approved: Money,
    pub all_fund_donated: Money,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DemoPlan {
    pub programs: Vec<ProgramFile>,
    /// In import order: per program and district, approvals before payments.
    pub rolls: Vec<RollFile>,
    pub donations: Vec<Donation>,
    pub expected: ExpectedFigures,
}

/// How much the rolls hold at a scale.
pub(crate) struct Targets {
    support_rows: usize,
    support_total: i64,
    food_total: i64,
    /// Supplementary December rows, indexed by program.
    december_rows: [usize; 3],
}

impl Targets {
    fn of(scale: Scale) -> Targets {
        match scale {
            Scale::Full => Targets {
                support_rows: 292_983,
                support_total: 455_549_800_000,
                food_total: 8_600_000_000,
                december_rows: [2_400, 600, 300],
            },
            Scale::Small => Targets {
                support_rows: 2_930,
                support_total: 4_555_498_000,
                food_total: 86_000_000,
                december_rows: [24, 8, 12],
            },
        }
    }
}

/// Writes the demo province's files into `out_dir` (created if missing) and
/// returns what was written and what importing it must yield.
pub fn generate(scale: Scale, out_dir: &Path) -> io::Result<DemoPlan> {
    std::fs::create_dir_all(out_dir)?;
    let targets = Targets::of(scale);
    let province = Province::tra_vinh().map_err(invalid)?;
    let mut people = People::default();
    let rolls = rolls::build(&targets, &province, &mut people).map_err(invalid)?;
    let programs = write_programs(&rolls, &province, out_dir)?;
    let mut totals = Totals::default();
    let roll_files = write_rolls(&rolls, &province, &mut people, out_dir, &mut totals)?;
    if people.count() > PEOPLE_MAX {
        return Err(invalid("more people than unique CCCD serials".to_string()));
    }
    let donations = donations::list().map_err(invalid)?;
    let expected = totals.expected(&donations);
    Ok(DemoPlan {
        programs,
        rolls: roll_files,
        donations,
        expected,
    })
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn write_programs(
    rolls: &[Roll],
    province: &Province,
    out_dir: &Path,
) -> io::Result<Vec<ProgramFile>> {
    PROGRAMS
        .iter()
        .enumerate()
        .map(|(program, spec)| {
            let budgets: BTreeMap<&str, i64> = province
                .districts
                .iter()
                .enumerate()
                .map(|(index, district)| {
                    let approved: i64 = rolls
                        .iter()
                        .filter(|r| r.program == program && r.district == index)
                        .flat_map(|r| &r.grants)
                        .map(|g| g.amount)
                        .sum();
                    (district.code, programs::budget_for(approved))
                })
                .collect();
            let text = programs::program_toml(spec, &budgets).map_err(invalid)?;
            let path = out_dir.join(format!("program-{}.toml", spec.code));
            std::fs::write(&path, text)?;
            Ok(ProgramFile {
                code: spec.code.to_string(),
                path,
            })
        })
        .collect()
}

/// Valid rows written so far, by what the footnote sums.
#[derive(Default)]
struct Totals {
    support_approved: Tally,
    food_approved: Tally,
    support_paid: Tally,
}

impl Totals {
    fn expected(&self, donations: &[Donation]) -> ExpectedFigures {
        let donated = |all: bool| {
            Money::from_dong(
                donations
                    .iter()
                    .filter(|d| all || d.date <= AS_OF)
                    .map(|d| d.amount.dong())
                    .sum(),
            )
        };
        ExpectedFigures {
            as_of: AS_OF,
            support_beneficiaries: self.support_approved.rows_as_of,
            support_approved: Money::from_dong(self.support_approved.amount_as_of),
            support_paid: Money::from_dong(self.support_paid.amount_as_of),
            food_approved: Money::from_dong(self.food_approved.amount_as_of),
            fund_donated: donated(false),
            all_support_beneficiaries: self.support_approved.rows_all,
            all_support_approved: Money::from_dong(self.support_approved.amount_all),
            all_support_paid: Money::from_dong(self.support_paid.amount_all),
            all_food_approved: Money::from_dong(self.food_approved.amount_all),
            all_fund_donated: donated(true),
        }
    }
}

fn write_rolls(
    rolls: &[Roll],
    province: &Province,
    people: &mut People,
    out_dir: &Path,
    totals: &mut Totals,
) -> io::Result<Vec<RollFile>> {
    let mut roll_files = Vec::new();
    // Payment references are numbered per district, across its programs.
    let mut references = vec![0u32; province.districts.len()];
    for (program, spec) in PROGRAMS.iter().enumerate() {
        for (index, district) in province.districts.iter().enumerate() {
            let batches: Vec<&Roll> = rolls
                .iter()
                .filter(|r| r.program == program && r.district == index)
                .collect();
            for roll in &batches {
                let bad_rows = bad_rows_of(roll);
                let file = ApprovalFile {
                    roll,
                    bad_rows,
                    totals_row: bad_rows.is_empty(),
                };
                let path = out_dir.join(approval_file_name(spec, district.code, roll.batch));
                let written = files::write_approvals(province, &file, &path, people)?;
                let tally = if spec.is_support() {
                    &mut totals.support_approved
                } else {
                    &mut totals.food_approved
                };
                tally.merge(written.tally);
                roll_files.push(roll_file(
                    RollKind::Approvals,
                    spec,
                    district.code,
                    path,
                    written,
                ));
            }
            let path = out_dir.join(format!("{}-{}-chi-tra.csv", district.code, spec.code));
            let written =
                files::write_payments(province, &batches, &path, people, &mut references[index])?;
            if spec.is_support() {
                totals.support_paid.merge(written.tally);
            }
            roll_files.push(roll_file(
                RollKind::Payments,
                spec,
                district.code,
                path,
                written,
            ));
        }
    }
    Ok(roll_files)
}

/// Damaged rows go only into the main support rolls (see the module docs).
fn bad_rows_of(roll: &Roll) -> &'static [RejectReason] {
    use RejectReason::*;
    match (roll.batch, roll.program) {
        (Batch::Main, programs::NQ68) => &[
            IdLeadingZeroDropped,
            IdScientificNotation,
            FractionalAmount,
            CommuneOutsideDistrict,
        ],
        (Batch::Main, programs::NQ116) if roll.district.is_multiple_of(2) => {
            &[IdLeadingZeroDropped, CommuneOutsideDistrict]
        }
        (Batch::Main, programs::NQ116) => &[IdScientificNotation, FractionalAmount],
        _ => &[],
    }
}

fn approval_file_name(spec: &ProgramSpec, district: &str, batch: Batch) -> String {
    match batch {
        Batch::Main => format!("{district}-{}-phe-duyet.csv", spec.code),
        Batch::December => format!("{district}-{}-phe-duyet-bo-sung-t12.csv", spec.code),
    }
}

fn roll_file(
    kind: RollKind,
    spec: &ProgramSpec,
    district: &str,
    path: PathBuf,
    written: Written,
) -> RollFile {
    RollFile {
        kind,
        program: spec.code.to_string(),
        district: district.to_string(),
        path,
        data_rows: written.data_rows,
        valid_rows: written.valid_rows,
        rejects: written.rejects,
        totals_row: written.totals_row,
    }
}
