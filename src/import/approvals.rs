//! Approval rolls: rows → approvals, with duplicates, control totals and the
//! district budget checked before anything is posted. One journal entry per
//! approval decision (number and date) in the file.

use super::parse::{self, ApprovalRow, ControlTotals, ProblemCode, Record, Sex};
use super::report::{
    Blocker, DeclaredTotals, ImportReport, Issue, PlannedEntry, RawWho, RejectedRow, RejectionCode,
};
use super::roll::{drop_in_background, Checked, ImportError, Source};
use super::validate::{check_controls, problem_at, ColumnNames, RowRules};
use crate::domain::journal::{EntryKind, NewEntry, Posting};
use crate::domain::{AccountPath, AccountPrefix, Money, Program};
use crate::fast_hash::FastMap;
use crate::store::{ApprovalSource, RollPeople, RollPerson, Store, StoreError};
use std::collections::{HashMap, HashSet};

/// A row that passed the row rules: what the ledger needs of it, with the
/// index of its category in the program. The rest of the row (address, bank
/// account, notes) stays in the stored file and is not kept in memory.
pub(crate) struct Accepted {
    row: KeptRow,
    category: usize,
}

struct KeptRow {
    line: u64,
    national_id: crate::domain::NationalId,
    full_name: String,
    date_of_birth: Option<parse::BirthDate>,
    sex: Option<Sex>,
    commune_code: String,
    amount: Money,
    decision_no: String,
    decision_date: chrono::NaiveDate,
}

impl From<ApprovalRow> for KeptRow {
    fn from(row: ApprovalRow) -> KeptRow {
        KeptRow {
            line: row.line,
            national_id: row.national_id,
            full_name: row.full_name,
            date_of_birth: row.date_of_birth,
            sex: row.sex,
            commune_code: row.commune_code,
            amount: row.amount,
            decision_no: row.decision_no,
            decision_date: row.decision_date,
        }
    }
}

/// An approval roll read and checked by the rules that need no ledger:
/// syntax, commune, category and amount, duplicates within the file.
pub struct ReadApprovals {
    report: ImportReport,
    accepted: Vec<Accepted>,
    totals_row: Option<ControlTotals>,
    columns: ColumnNames,
}

/// Reads the roll and applies the row rules; touches no database.
pub fn read(
    program: &Program,
    district: &str,
    bytes: &[u8],
    source: &Source,
) -> Result<ReadApprovals, ImportError> {
    let mut laps = crate::telemetry::Laps::start("read approvals");
    let mut roll = parse::read_approvals(bytes)?.without_free_text();
    let mut report = ImportReport::empty(
        &roll.header,
        program.code.as_str(),
        district,
        &source.file_name,
        &source.sha256,
        bytes.len() as u64,
    );
    let columns = ColumnNames::new(&roll.column_positions());
    let mut rules = RowRules::new(program, district);
    let mut accepted: Vec<Accepted> = Vec::new();
    let mut totals_row: Option<ControlTotals> = None;
    let name_column = roll.column_index(parse::Field::FullName);
    let id_column = roll.column_index(parse::Field::NationalId);
    for record in roll.by_ref() {
        match record? {
            Record::Row(parsed) => {
                report.rows_read += 1;
                report
                    .warnings
                    .extend(parsed.warnings.into_iter().map(Issue::from));
                let row = parsed.row;
                match rules.check_approval(&row, &columns) {
                    Err(problems) => reject(&mut report, &row, RejectionCode::Invalid, problems),
                    Ok(category) => accepted.push(Accepted {
                        row: row.into(),
                        category,
                    }),
                }
            }
            Record::Rejected {
                line,
                problems,
                warnings,
                raw,
            } => {
                report.rows_read += 1;
                report
                    .warnings
                    .extend(warnings.into_iter().map(Issue::from));
                report.rejected.push(super::report::invalid_row(
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
    report.sheet_rows = roll.take_sheet_rows();
    let accepted = drop_file_duplicates(&mut report, accepted, &columns);
    laps.lap("parse and row rules");
    Ok(ReadApprovals {
        report,
        accepted,
        totals_row,
        columns,
    })
}

/// Checks a read roll against the ledger (people already approved, the
/// district budget) and plans its entries.
pub async fn check(
    store: &dyn Store,
    program: &Program,
    district: &str,
    declared: Option<DeclaredTotals>,
    source: &Source,
    read: ReadApprovals,
) -> Result<Checked, ImportError> {
    let ReadApprovals {
        mut report,
        accepted,
        totals_row,
        columns,
    } = read;
    let mut laps = crate::telemetry::Laps::start("validate approvals");
    let accepted = drop_ledger_duplicates(store, program, &mut report, accepted, &columns).await?;
    laps.lap("ledger duplicates");
    finish(
        store, program, district, declared, source, report, accepted, totals_row,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    store: &dyn Store,
    program: &Program,
    district: &str,
    declared: Option<DeclaredTotals>,
    source: &Source,
    mut report: ImportReport,
    accepted: Vec<Accepted>,
    totals_row: Option<ControlTotals>,
) -> Result<Checked, ImportError> {
    let total = accepted
        .iter()
        .try_fold(Money::ZERO, |sum, a| sum.checked_add(a.row.amount))
        .map_err(|e| ImportError::Refused(e.to_string()))?;
    report.rows_accepted = accepted.len() as u64;
    report.rows_rejected = report.rejected.len() as u64;
    report.accepted_total_dong = total.dong();
    report.rejected.sort_by_key(|r| r.line);
    check_controls(&mut report, totals_row, declared);
    let mut laps = crate::telemetry::Laps::start("validate approvals");
    check_budget(store, program, district, &mut report, total).await?;
    laps.lap("budget");
    let (entries, people) = plan(program, district, source, accepted, &mut report);
    laps.lap("plan");
    Ok(Checked {
        report,
        entries,
        roll_people: Some(people),
    })
}

fn reject(report: &mut ImportReport, row: &ApprovalRow, code: RejectionCode, problems: Vec<Issue>) {
    report.rejected.push(RejectedRow {
        line: row.line,
        row: None,
        code,
        national_id: Some(row.national_id.as_str().to_string()),
        full_name: Some(row.full_name.clone()),
        amount_dong: Some(row.amount.dong()),
        reference: Some(row.decision_no.clone()),
        problems,
    });
}

fn reject_accepted(report: &mut ImportReport, row: KeptRow, problems: Vec<Issue>) {
    report.rejected.push(RejectedRow {
        line: row.line,
        row: None,
        code: RejectionCode::Duplicate,
        national_id: Some(row.national_id.into_string()),
        full_name: Some(row.full_name),
        amount_dong: Some(row.amount.dong()),
        reference: Some(row.decision_no),
        problems,
    });
}

/// Rejects each row whose person is on an earlier accepted row of the file,
/// naming that row's line.
fn drop_file_duplicates(
    report: &mut ImportReport,
    accepted: Vec<Accepted>,
    columns: &ColumnNames,
) -> Vec<Accepted> {
    let mut first_of: FastMap<&str, u64> =
        FastMap::with_capacity_and_hasher(accepted.len(), Default::default());
    let first_line: Vec<Option<u64>> = accepted
        .iter()
        .map(|item| {
            let line = first_of
                .entry(item.row.national_id.as_str())
                .or_insert(item.row.line);
            (*line != item.row.line).then_some(*line)
        })
        .collect();
    drop(first_of);
    let mut kept = Vec::with_capacity(accepted.len());
    for (item, first) in accepted.into_iter().zip(first_line) {
        let Some(first) = first else {
            kept.push(item);
            continue;
        };
        let problem = problem_at(
            item.row.line,
            columns.get("national_id"),
            item.row.national_id.as_str(),
            ProblemCode::DuplicateInFile,
            format!("duplicate: the same person is already on line {first} of this file"),
            format!("trùng: người này đã có ở dòng {first} của tệp"),
        );
        reject_accepted(report, item.row, vec![problem]);
    }
    kept
}

/// Rejects rows whose person already holds an approval in this program, in
/// any district, saying where that approval is when it is in this district.
async fn drop_ledger_duplicates(
    store: &dyn Store,
    program: &Program,
    report: &mut ImportReport,
    accepted: Vec<Accepted>,
    columns: &ColumnNames,
) -> Result<Vec<Accepted>, ImportError> {
    let code = program.code.as_str();
    let here = report.district.clone();
    let ids: Vec<String> = accepted
        .iter()
        .map(|a| a.row.national_id.as_str().to_string())
        .collect();
    // Half the people each on two connections: the lookups are the
    // database's work, and the other core is often free for it.
    let prefix = AccountPrefix::payable_of_program(code);
    let (first, second) = ids.split_at(ids.len() / 2);
    let (mut holdings, more) = futures_util::future::try_join(
        store.approvals_of(&prefix, first),
        store.approvals_of(&prefix, second),
    )
    .await?;
    holdings.extend(more);
    let mut approved: HashMap<String, i64> = HashMap::new();
    for holding in holdings {
        *approved.entry(holding.beneficiary).or_default() += holding.approved_dong;
    }
    let holders: Vec<String> = approved
        .into_iter()
        .filter(|(_, amount)| *amount > 0)
        .map(|(id, _)| id)
        .collect();
    if holders.is_empty() {
        return Ok(accepted);
    }
    let mut sources = HashMap::new();
    for source in store.approval_sources(&prefix, &holders).await? {
        sources.insert(source.beneficiary.clone(), source);
    }
    let holders: HashSet<String> = holders.into_iter().collect();
    let mut kept = Vec::with_capacity(accepted.len());
    for item in accepted {
        let id = item.row.national_id.as_str();
        if !holders.contains(id) {
            kept.push(item);
            continue;
        }
        let (en, vi) = match sources.get(id) {
            Some(source) => where_approved(code, &here, source)?,
            None => (
                format!("duplicate: already approved in program {code}"),
                format!("trùng: đã được phê duyệt trong chương trình {code}"),
            ),
        };
        let problem = problem_at(
            item.row.line,
            columns.get("national_id"),
            id,
            ProblemCode::DuplicateApproval,
            en,
            vi,
        );
        reject_accepted(report, item.row, vec![problem]);
    }
    Ok(kept)
}

/// Where a person's approval in program `code` is: file and line when it is
/// in district `here`, the importing one. Another district's people, files
/// and entries are not the importing officer's to see (the report is theirs
/// to read): "another district" is all it says, and the provincial office
/// finds the rest in the province's reconciliation.
fn where_approved(
    code: &str,
    here: &str,
    source: &ApprovalSource,
) -> Result<(String, String), ImportError> {
    let district = AccountPath::parse(&source.account)
        .ok()
        .and_then(|a| a.segment(2).map(str::to_string))
        .ok_or_else(|| {
            StoreError::Corrupt(format!(
                "approval account {} of entry {} names no district",
                source.account, source.entry_seq
            ))
        })?;
    if district != here {
        return Ok((
            format!(
                "duplicate: already approved in program {code} in another district (ask the provincial office)"
            ),
            format!(
                "trùng: đã được phê duyệt trong chương trình {code} ở huyện khác (hỏi cán bộ cấp tỉnh)"
            ),
        ));
    }
    let file = source.file_name.clone().unwrap_or_else(|| "-".into());
    let line = source
        .source_line
        .map(|l| l.to_string())
        .unwrap_or_else(|| "-".into());
    Ok((
        format!(
            "duplicate: already approved in program {code}, district {district}, file {file} line {line} (entry {}, decision {})",
            source.entry_seq, source.reference
        ),
        format!(
            "trùng: đã được phê duyệt trong chương trình {code}, huyện {district}, tệp {file} dòng {line} (quyết định {})",
            source.reference
        ),
    ))
}

async fn check_budget(
    store: &dyn Store,
    program: &Program,
    district: &str,
    report: &mut ImportReport,
    total: Money,
) -> Result<(), ImportError> {
    let account = AccountPath::budget(program.code.as_str(), district);
    let available = store.account_balance(account.as_str()).await?;
    if total.dong() > available {
        report.blocking.push(Blocker::BudgetExceeded {
            account: account.as_str().to_string(),
            available_dong: available,
            asked_dong: total.dong(),
        });
    }
    Ok(())
}

/// A decision: its number and date.
type Decision = (String, chrono::NaiveDate);

/// The accepted rows of each decision (number and date), in the order decisions
/// first appear.
fn by_decision(accepted: Vec<Accepted>) -> Vec<(Decision, Vec<Accepted>)> {
    let mut groups: Vec<(Decision, Vec<Accepted>)> = Vec::new();
    let mut group_of: HashMap<Decision, usize> = HashMap::new();
    let mut last: Option<usize> = None;
    for item in accepted {
        let same_as_last = last.filter(|&index| {
            let (decision, date) = &groups[index].0;
            *decision == item.row.decision_no && *date == item.row.decision_date
        });
        // Rows of one decision usually come together: look up only on a change.
        let index = match same_as_last {
            Some(index) => index,
            None => {
                let key = (item.row.decision_no.clone(), item.row.decision_date);
                match group_of.get(&key) {
                    Some(index) => *index,
                    None => {
                        group_of.insert(key.clone(), groups.len());
                        groups.push((key, Vec::new()));
                        groups.len() - 1
                    }
                }
            }
        };
        last = Some(index);
        groups[index].1.push(item);
    }
    groups
}

/// One entry per (decision number, decision date), in the order decisions
/// first appear; and each person as written on the roll.
fn plan(
    program: &Program,
    district: &str,
    source: &Source,
    accepted: Vec<Accepted>,
    report: &mut ImportReport,
) -> (Vec<NewEntry>, RollPeople) {
    let code = program.code.as_str();
    let groups = by_decision(accepted);
    let payable_accounts: Vec<AccountPath> = program
        .categories
        .iter()
        .map(|c| AccountPath::payable(code, district, c.code.as_str()))
        .collect();
    let mut entries = Vec::with_capacity(groups.len());
    for ((decision, date), items) in &groups {
        let mut postings = Vec::with_capacity(items.len() + 1);
        let mut total = 0i64;
        for Accepted { row, category } in items {
            total += row.amount.dong();
            postings.push(Posting {
                account: payable_accounts[*category].clone(),
                amount: row.amount,
                beneficiary: Some(row.national_id.as_str().to_string()),
                source_line: Some(row.line),
                reference: None,
            });
        }
        postings.push(Posting {
            account: AccountPath::budget(code, district),
            amount: Money::from_dong(-total),
            beneficiary: None,
            source_line: None,
            reference: None,
        });
        report.entries.push(PlannedEntry {
            reference: decision.clone(),
            effective_date: date.format("%Y-%m-%d").to_string(),
            rows: items.len() as u64,
            total_dong: total,
        });
        entries.push(NewEntry {
            effective_date: *date,
            kind: EntryKind::Approval,
            reference: decision.clone(),
            memo: format!(
                "approval roll {} (sha256 {})",
                source.file_name, source.sha256
            ),
            corrects_seq: None,
            postings,
        });
    }
    let people = roll_people(&groups);
    drop_in_background(groups);
    (entries, people)
}

/// Each accepted person as written on the roll, in entry order.
fn roll_people(groups: &[(Decision, Vec<Accepted>)]) -> RollPeople {
    let people = groups
        .iter()
        .flat_map(|(_, items)| items)
        .map(|Accepted { row, .. }| RollPerson {
            national_id: row.national_id.as_str(),
            full_name: &row.full_name,
            date_of_birth: row
                .date_of_birth
                .as_ref()
                .map(|d| d as &dyn std::fmt::Display),
            sex: row.sex.map(Sex::as_str),
            commune_code: &row.commune_code,
        })
        .collect();
    RollPeople::new(people)
}
