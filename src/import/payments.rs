//! Payment rolls: each line is matched to an approval in this program and
//! district by national ID (and decision number when the line has one). Lines
//! that match nothing, pay beyond what is outstanding, or repeat a voucher
//! reference are not posted; each is listed with its reason.

use super::parse::{self, ControlTotals, PaymentRow, ProblemCode, Record};
use super::report::{
    invalid_row, DeclaredTotals, ImportReport, Issue, PlannedEntry, RawWho, RejectedRow,
    RejectionCode,
};
use super::roll::{drop_in_background, Checked, ImportError, Source};
use super::validate::{check_controls, problem_at, ColumnNames};
use crate::domain::journal::{EntryKind, NewEntry, Posting};
use crate::domain::{AccountPath, AccountPrefix, AccountScope, Money, Program};
use crate::fast_hash::{FastMap, FastSet};
use crate::store::{Store, StoreError};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the ledger says about one person in this program: their approval in
/// this district, if any, else the district where they are approved.
#[derive(Debug, Default)]
struct Holding {
    here: Option<Place>,
    approved_elsewhere: Option<String>,
    decisions: Vec<String>,
}

#[derive(Debug)]
struct Place {
    category: Arc<str>,
    /// Approved đồng (outstanding + paid).
    approved: i64,
    outstanding: i64,
}

impl Holding {
    /// The approval in this district, while it is in force.
    fn in_force_here(&mut self) -> Option<&mut Place> {
        self.here.as_mut().filter(|p| p.approved > 0)
    }
}

struct Accepted {
    row: PaymentRow,
    category: Arc<str>,
}

/// A payment roll read and checked for syntax; the ledger is not consulted yet.
pub struct ReadPayments {
    report: ImportReport,
    rows: Vec<PaymentRow>,
    totals_row: Option<ControlTotals>,
    columns: ColumnNames,
}

/// Reads the roll; touches no database.
pub fn read(
    program: &Program,
    district: &str,
    bytes: &[u8],
    source: &Source,
) -> Result<ReadPayments, ImportError> {
    let mut laps = crate::telemetry::Laps::start("read payments");
    let mut roll = parse::read_payments(bytes)?.without_free_text();
    let mut report = ImportReport::empty(
        &roll.header,
        program.code.as_str(),
        district,
        &source.file_name,
        &source.sha256,
        bytes.len() as u64,
    );
    let columns = ColumnNames::new(&roll.column_positions());
    let mut rows = Vec::new();
    let mut totals_row: Option<ControlTotals> = None;
    let name_column = roll.column_index(parse::Field::FullName);
    let id_column = roll.column_index(parse::Field::NationalId);
    for record in roll.by_ref() {
        match record? {
            Record::Row(parsed) => {
                report
                    .warnings
                    .extend(parsed.warnings.into_iter().map(Issue::from));
                let mut row = parsed.row;
                // Kept in the stored file, not needed to match or plan.
                row.bank_account = None;
                rows.push(row);
            }
            Record::Rejected {
                line,
                problems,
                warnings,
                raw,
            } => {
                report
                    .warnings
                    .extend(warnings.into_iter().map(Issue::from));
                report.rejected.push(invalid_row(
                    line,
                    problems,
                    RawWho {
                        raw: &raw,
                        full_name: name_column,
                        national_id: id_column,
                    },
                ));
            }
            Record::Totals(totals) if !totals.subtotal => totals_row = Some(totals),
            Record::Totals(_) => {}
            Record::Ignored(problem) => report.warnings.push(problem.into()),
        }
    }
    report.rows_read = (rows.len() + report.rejected.len()) as u64;
    report.sheet_rows = roll.take_sheet_rows();
    laps.lap("parse");
    Ok(ReadPayments {
        report,
        rows,
        totals_row,
        columns,
    })
}

/// Matches a read roll's lines to the approvals in the ledger and plans its entries.
pub async fn check(
    store: &dyn Store,
    program: &Program,
    district: &str,
    declared: Option<DeclaredTotals>,
    source: &Source,
    read: ReadPayments,
) -> Result<Checked, ImportError> {
    let ReadPayments {
        mut report,
        rows,
        totals_row,
        columns,
    } = read;
    let mut laps = crate::telemetry::Laps::start("validate payments");
    // Two reads on two connections at once.
    let (mut holdings, seen) = futures_util::future::try_join(
        load_holdings(store, program, district, &rows),
        load_seen_references(store, district),
    )
    .await?;
    laps.lap("holdings and seen references");
    let accepted = match_rows(
        program,
        district,
        rows,
        &mut holdings,
        &seen,
        &columns,
        &mut report,
    );
    report.rows_accepted = accepted.len() as u64;
    report.rows_rejected = report.rejected.len() as u64;
    report.accepted_total_dong = accepted
        .iter()
        .try_fold(Money::ZERO, |sum, a| sum.checked_add(a.row.amount))
        .map_err(|e| ImportError::Refused(e.to_string()))?
        .dong();
    report.rejected.sort_by_key(|r| r.line);
    check_controls(&mut report, totals_row, declared);
    let entries = plan(program, district, source, accepted, &mut report);
    drop_in_background((holdings, seen));
    laps.lap("match and plan");
    Ok(Checked {
        report,
        entries,
        roll_people: None,
    })
}

async fn load_holdings(
    store: &dyn Store,
    program: &Program,
    district: &str,
    rows: &[PaymentRow],
) -> Result<FastMap<String, Holding>, ImportError> {
    let code = program.code.as_str();
    // The district's own approvals and payments are read in one pass over its
    // entries; only the people not approved here are looked up across the
    // program, to say where they are approved, if anywhere.
    let balances = store
        .beneficiary_balances(&AccountPrefix::payable_of_program_district(code, district))
        .await?;
    let mut holdings: FastMap<String, Holding> =
        FastMap::with_capacity_and_hasher(balances.len(), Default::default());
    // A district has a few accounts, one per category, and many people.
    let mut categories: FastMap<String, Arc<str>> = FastMap::default();
    for balance in balances {
        let category = match categories.get(&balance.account) {
            Some(category) => category.clone(),
            None => {
                let category: Arc<str> = Arc::from(account_segment(&balance.account, 3)?);
                categories.insert(balance.account.clone(), category.clone());
                category
            }
        };
        let approved = balance.approved_dong();
        let holding = holdings.entry(balance.beneficiary).or_default();
        for decision in balance.decisions.into_iter().flatten() {
            if !holding.decisions.contains(&decision) {
                holding.decisions.push(decision);
            }
        }
        match &mut holding.here {
            Some(place) => {
                // One approval is in force per person: a payment goes to the
                // category that holds it, not to one reversed before it.
                if balance.amount_dong > 0 {
                    place.category = category;
                }
                place.approved += approved;
                place.outstanding += balance.amount_dong;
            }
            None => {
                holding.here = Some(Place {
                    category,
                    approved,
                    outstanding: balance.amount_dong,
                })
            }
        }
    }
    add_approvals_elsewhere(store, code, district, rows, &mut holdings).await?;
    Ok(holdings)
}

/// For the people of `rows` without an approval in force in this district:
/// the district where they are approved in the program, if any.
async fn add_approvals_elsewhere(
    store: &dyn Store,
    code: &str,
    district: &str,
    rows: &[PaymentRow],
    holdings: &mut FastMap<String, Holding>,
) -> Result<(), ImportError> {
    let mut others: Vec<String> = rows
        .iter()
        .map(|r| r.national_id.as_str())
        .filter(|id| {
            holdings
                .get(*id)
                .and_then(|h| h.here.as_ref())
                .is_none_or(|p| p.approved <= 0)
        })
        .map(str::to_string)
        .collect();
    others.sort_unstable();
    others.dedup();
    if others.is_empty() {
        return Ok(());
    }
    for approval in store
        .approvals_of(&AccountPrefix::payable_of_program(code), &others)
        .await?
    {
        let elsewhere = account_segment(&approval.account, 2)?;
        if elsewhere != district && approval.approved_dong > 0 {
            let holding = holdings.entry(approval.beneficiary).or_default();
            holding
                .approved_elsewhere
                .get_or_insert_with(|| elsewhere.to_string());
        }
    }
    Ok(())
}

/// Segment `index` of a `payable` account read from the ledger (2: district,
/// 3: category); a payable account without it is a corrupt ledger.
fn account_segment(account: &str, index: usize) -> Result<String, ImportError> {
    AccountPath::parse(account)
        .ok()
        .and_then(|a| a.segment(index).map(str::to_string))
        .ok_or_else(|| {
            StoreError::Corrupt(format!("payable account {account} has no segment {index}")).into()
        })
}

/// Voucher references the district has already posted, in any program: a
/// district's payment office numbers its vouchers, so a number seen twice
/// there is one payment paid twice.
async fn load_seen_references(
    store: &dyn Store,
    district: &str,
) -> Result<FastSet<String>, ImportError> {
    Ok(store
        .vouchers_in(&AccountScope::payable_of_district(district))
        .await?
        .into_iter()
        .collect())
}

fn match_rows(
    program: &Program,
    district: &str,
    rows: Vec<PaymentRow>,
    holdings: &mut FastMap<String, Holding>,
    seen: &FastSet<String>,
    columns: &ColumnNames,
    report: &mut ImportReport,
) -> Vec<Accepted> {
    // Each line's outcome first, with the file's references borrowed from
    // the rows; then the rows move into what is accepted and rejected.
    let mut references_in_file: FastMap<&str, u64> = FastMap::default();
    let outcomes: Vec<_> = rows
        .iter()
        .map(|row| {
            let outcome = match_row(
                program,
                district,
                row,
                holdings,
                seen,
                &references_in_file,
                columns,
            );
            if outcome.is_ok() {
                references_in_file.insert(&row.reference, row.line);
            }
            outcome
        })
        .collect();
    let mut accepted = Vec::with_capacity(rows.len());
    for (row, outcome) in rows.into_iter().zip(outcomes) {
        match outcome {
            Ok(category) => accepted.push(Accepted { row, category }),
            Err(refusal) => {
                let (code, problem) = *refusal;
                report.rejected.push(RejectedRow {
                    line: row.line,
                    row: None,
                    code,
                    national_id: Some(row.national_id.into_string()),
                    full_name: row.full_name,
                    amount_dong: Some(row.amount.dong()),
                    reference: Some(row.reference),
                    problems: vec![problem],
                });
            }
        }
    }
    accepted
}

/// Why a line is not posted: its rejection code and the problem.
type Refusal = Box<(RejectionCode, Issue)>;

/// The three ways a payment line is refused.
#[derive(Clone, Copy)]
enum Refused {
    DuplicatePayment,
    PaidWithoutApproval,
    Overpaid,
}

/// A line's refusal: the rejection and the problem, under one code.
fn refusal(
    row: &PaymentRow,
    columns: &ColumnNames,
    refused: Refused,
    column: &str,
    value: &str,
    en: String,
    vi: String,
) -> Refusal {
    let (rejection, code) = match refused {
        Refused::DuplicatePayment => (
            RejectionCode::DuplicatePayment,
            ProblemCode::DuplicatePayment,
        ),
        Refused::PaidWithoutApproval => (
            RejectionCode::PaidWithoutApproval,
            ProblemCode::PaidWithoutApproval,
        ),
        Refused::Overpaid => (RejectionCode::Overpaid, ProblemCode::Overpaid),
    };
    Box::new((
        rejection,
        problem_at(row.line, columns.get(column), value, code, en, vi),
    ))
}

/// Matches one line: its voucher reference is new, its person holds an
/// approval in force here (under its decision, when it names one), and it
/// pays no more than is outstanding. The category paid, or the refusal.
fn match_row(
    program: &Program,
    district: &str,
    row: &PaymentRow,
    holdings: &mut FastMap<String, Holding>,
    seen: &FastSet<String>,
    references_in_file: &FastMap<&str, u64>,
    columns: &ColumnNames,
) -> Result<Arc<str>, Refusal> {
    check_reference(district, row, seen, references_in_file, columns)?;
    let place = approval_here(program, district, row, holdings, columns)?;
    let Place {
        category,
        approved,
        outstanding,
    } = place;
    if row.amount.dong() > *outstanding {
        return Err(refusal(
            row,
            columns,
            Refused::Overpaid,
            "amount",
            &row.amount.format_vi(),
            format!(
                "overpaid: pays {} but only {} of {} approved is outstanding",
                row.amount.format_vi(),
                Money::from_dong(*outstanding).format_vi(),
                Money::from_dong(*approved).format_vi()
            ),
            format!(
                "chi vượt: chi {} nhưng chỉ còn {} chưa chi",
                row.amount.format_vi(),
                Money::from_dong(*outstanding).format_vi()
            ),
        ));
    }
    *outstanding -= row.amount.dong();
    Ok(category.clone())
}

/// A voucher reference is posted once per district: not before, not twice in the file.
fn check_reference(
    district: &str,
    row: &PaymentRow,
    seen: &FastSet<String>,
    references_in_file: &FastMap<&str, u64>,
    columns: &ColumnNames,
) -> Result<(), Refusal> {
    if seen.contains(&row.reference) {
        return Err(refusal(
            row,
            columns,
            Refused::DuplicatePayment,
            "reference",
            &row.reference,
            format!("duplicate payment: this voucher reference was already posted in district {district}"),
            format!("chi trùng: số chứng từ này đã được ghi sổ ở huyện {district}"),
        ));
    }
    if let Some(first) = references_in_file.get(row.reference.as_str()) {
        return Err(refusal(
            row,
            columns,
            Refused::DuplicatePayment,
            "reference",
            &row.reference,
            format!(
                "duplicate payment: the same voucher reference is on line {first} of this file"
            ),
            format!("chi trùng: số chứng từ đã có ở dòng {first}"),
        ));
    }
    Ok(())
}

/// The line's person's approval in force in this district, under the line's
/// decision when it names one.
fn approval_here<'h>(
    program: &Program,
    district: &str,
    row: &PaymentRow,
    holdings: &'h mut FastMap<String, Holding>,
    columns: &ColumnNames,
) -> Result<&'h mut Place, Refusal> {
    let code = program.code.as_str();
    let id = row.national_id.as_str();
    let unapproved = |column: &str, value: &str, en: String, vi: String| {
        refusal(
            row,
            columns,
            Refused::PaidWithoutApproval,
            column,
            value,
            en,
            vi,
        )
    };
    let approved_here = holdings
        .get(id)
        .is_some_and(|h| h.here.as_ref().is_some_and(|p| p.approved > 0));
    if !approved_here {
        let elsewhere = holdings.get(id).and_then(|h| h.approved_elsewhere.clone());
        let (en, vi) = match elsewhere {
            // Which district is not this officer's to know.
            Some(_) => (
                format!("paid without approval: approved in another district, not in district {district} (ask the provincial office)"),
                format!("chi không có phê duyệt: người này được duyệt ở huyện khác, không phải huyện {district} (hỏi cán bộ cấp tỉnh)"),
            ),
            None => (
                format!("paid without approval: no approval in program {code} for this national ID"),
                format!("chi không có phê duyệt: không có quyết định phê duyệt trong chương trình {code}"),
            ),
        };
        return Err(unapproved("national_id", id, en, vi));
    }
    let holding = holdings.get_mut(id).ok_or_else(|| {
        unapproved(
            "national_id",
            id,
            "paid without approval".into(),
            "chi không có phê duyệt".into(),
        )
    })?;
    if let Some(decision) = &row.decision_no {
        if !holding.decisions.contains(decision) {
            return Err(unapproved(
                "decision_no",
                decision,
                format!(
                    "paid without approval: no approval under decision {decision} for this person"
                ),
                format!("chi không có phê duyệt: không có phê duyệt theo quyết định {decision}"),
            ));
        }
    }
    holding.in_force_here().ok_or_else(|| {
        unapproved(
            "national_id",
            id,
            "paid without approval".into(),
            "chi không có phê duyệt".into(),
        )
    })
}

/// One entry per payment date, in date order: a `payable` posting per line
/// (beneficiary, line and voucher) and a `disbursed` posting per category.
fn plan(
    program: &Program,
    district: &str,
    source: &Source,
    accepted: Vec<Accepted>,
    report: &mut ImportReport,
) -> Vec<NewEntry> {
    let code = program.code.as_str();
    let mut by_date: BTreeMap<NaiveDate, Vec<Accepted>> = BTreeMap::new();
    for item in accepted {
        by_date.entry(item.row.paid_date).or_default().push(item);
    }
    let mut payable_accounts: FastMap<Arc<str>, AccountPath> = FastMap::default();
    let short_digest: String = source.sha256.chars().take(16).collect();
    by_date
        .into_iter()
        .map(|(date, items)| {
            let mut postings = Vec::with_capacity(items.len() + 4);
            let mut by_category: BTreeMap<Arc<str>, i64> = BTreeMap::new();
            let rows = items.len() as u64;
            for Accepted { row, category } in items {
                let account = match payable_accounts.get(&category) {
                    Some(account) => account.clone(),
                    None => {
                        let account = AccountPath::payable(code, district, &category);
                        payable_accounts.insert(category.clone(), account.clone());
                        account
                    }
                };
                *by_category.entry(category).or_default() += row.amount.dong();
                postings.push(Posting {
                    account,
                    amount: row.amount.neg(),
                    source_line: Some(row.line),
                    beneficiary: Some(row.national_id.into_string()),
                    reference: Some(row.reference),
                });
            }
            for (category, amount) in &by_category {
                postings.push(Posting {
                    account: AccountPath::disbursed(code, district, category),
                    amount: Money::from_dong(*amount),
                    beneficiary: None,
                    source_line: None,
                    reference: None,
                });
            }
            let total: i64 = by_category.values().sum();
            let reference = format!("payment roll {short_digest} {date}");
            report.entries.push(PlannedEntry {
                reference: reference.clone(),
                effective_date: date.format("%Y-%m-%d").to_string(),
                rows,
                total_dong: total,
            });
            NewEntry {
                effective_date: date,
                kind: EntryKind::Payment,
                reference,
                memo: format!(
                    "payment roll {} (sha256 {})",
                    source.file_name, source.sha256
                ),
                corrects_seq: None,
                postings,
            }
        })
        .collect()
}
