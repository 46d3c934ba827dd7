//! Reconciliation: per program, district and beneficiary, what was approved,
//! paid and is outstanding, with a status. Amounts come from the ledger; the
//! payment lines the importer refused (paid without approval, duplicate,
//! beyond what was outstanding) come from the committed imports' reports.

use crate::domain::national_id::mask;
use crate::domain::text::csv_safe;
use crate::domain::Checkpoint;
use crate::domain::{AccountPath, AccountPrefix, Money};
use crate::import::report::{ImportReport, RejectionCode};
use crate::store::{
    ImportRecord, Page, PersonFilter, PersonRecord, Store, StoreError, StoreResult,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Unpaid,
    Paid,
    PartiallyPaid,
    Overpaid,
    PaidWithoutApproval,
    DuplicatePayment,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Unpaid,
        Status::Paid,
        Status::PartiallyPaid,
        Status::Overpaid,
        Status::PaidWithoutApproval,
        Status::DuplicatePayment,
    ];

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unpaid => "unpaid",
            Status::Paid => "paid",
            Status::PartiallyPaid => "partially_paid",
            Status::Overpaid => "overpaid",
            Status::PaidWithoutApproval => "paid_without_approval",
            Status::DuplicatePayment => "duplicate_payment",
        }
    }
}

/// A payment line the importer refused, kept beside the ledger's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RefusedLine {
    pub import_id: i64,
    pub file_name: String,
    pub line: u64,
    pub amount_dong: i64,
    pub reference: Option<String>,
    pub code: RejectionCode,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Line {
    pub district: String,
    pub national_id: String,
    pub full_name: String,
    pub category: String,
    pub approved_dong: i64,
    pub paid_dong: i64,
    pub outstanding_dong: i64,
    pub status: Status,
    pub refused: Vec<RefusedLine>,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Totals {
    pub beneficiaries: u64,
    pub approved_dong: i64,
    pub paid_dong: i64,
    pub outstanding_dong: i64,
    pub by_status: BTreeMap<String, u64>,
}

impl Totals {
    fn add(&mut self, line: &Line) {
        self.beneficiaries += 1;
        self.approved_dong += line.approved_dong;
        self.paid_dong += line.paid_dong;
        self.outstanding_dong += line.outstanding_dong;
        *self
            .by_status
            .entry(line.status.as_str().to_string())
            .or_default() += 1;
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Reconciliation {
    pub program: String,
    pub district: Option<String>,
    pub checkpoint: Option<Checkpoint>,
    /// Lines in the whole reconciliation; `lines` may hold one page of them.
    pub lines_total: u64,
    /// Position of `lines[0]` among all lines.
    pub lines_offset: u64,
    pub lines: Vec<Line>,
    pub districts: BTreeMap<String, Totals>,
    pub total: Totals,
}

#[derive(Default)]
struct Person {
    category: String,
    outstanding: i64,
    paid: i64,
    refused: Vec<RefusedLine>,
}

/// A scope read again when the ledger moved while it was read (an import
/// committed meanwhile) is read at most this many times in all.
const READ_ATTEMPTS_MAX: u32 = 10;
/// The pause before the second attempt; each later one waits longer.
const RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(10);

type People = BTreeMap<(String, String), Person>;
type Names = BTreeMap<String, String>;

/// What a reconciliation page holds: a program's people, of one district or
/// all, found by name or ID, of one status.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub program: String,
    pub district: Option<String>,
    /// Digits: national IDs starting with them; other text: names holding
    /// it (tone marks and case aside).
    pub search: Option<String>,
    pub status: Option<Status>,
}

impl Scope {
    pub fn of(program: &str, district: Option<&str>) -> Scope {
        Scope {
            program: program.to_string(),
            district: district.map(str::to_string),
            ..Scope::default()
        }
    }

    fn filter(&self) -> PersonFilter {
        let search = self
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let by_id = search.filter(|s| s.bytes().all(|b| b.is_ascii_digit()));
        PersonFilter {
            program: self.program.clone(),
            district: self.district.clone(),
            national_id_prefix: by_id.map(str::to_string),
            name_part: search
                .filter(|_| by_id.is_none())
                .map(crate::domain::text::fold_key),
            status: self.status.map(|s| s.as_str().to_string()),
        }
    }
}

/// The most lines one read returns: a whole province's reconciliation.
pub const LINES_MAX: i64 = 10_000_000;

/// The whole reconciliation of a program, for one district or all of them,
/// from the read models, at the checkpoint it states.
pub async fn reconcile(
    store: &dyn Store,
    program: &str,
    district: Option<&str>,
) -> StoreResult<Reconciliation> {
    page(store, &Scope::of(program, district), 0, LINES_MAX).await
}

/// Lines `offset..offset + limit` of a reconciliation's scope (in district
/// and ID order) beside the scope's totals, from the read models in one
/// snapshot: an indexed read whose cost does not grow with the ledger.
/// `lines_total` counts the lines the search and status hold; the totals
/// are the whole scope's.
pub async fn page(
    store: &dyn Store,
    scope: &Scope,
    offset: i64,
    limit: i64,
) -> StoreResult<Reconciliation> {
    let view = store
        .reconciliation_view(&scope.filter(), Page { offset, limit })
        .await?;
    if !view.built {
        return Err(StoreError::Stale(
            "the read models are being rebuilt after an upgrade; ask again in a moment / đang dựng lại số liệu đối chiếu".into(),
        ));
    }
    let mut result = Reconciliation {
        program: scope.program.clone(),
        district: scope.district.clone(),
        checkpoint: view.head,
        lines_total: u64::try_from(view.people.total).unwrap_or_default(),
        lines_offset: u64::try_from(offset.min(view.people.total)).unwrap_or_default(),
        lines: Vec::with_capacity(view.people.rows.len()),
        districts: BTreeMap::new(),
        total: Totals::default(),
    };
    for record in &view.people.rows {
        result.lines.push(line_of_record(record)?);
    }
    for row in view.totals {
        let totals = result.districts.entry(row.district.clone()).or_default();
        for totals in [totals, &mut result.total] {
            totals.beneficiaries += u64::try_from(row.beneficiaries).unwrap_or_default();
            totals.approved_dong += row.approved_dong;
            totals.paid_dong += row.paid_dong;
            totals.outstanding_dong += row.outstanding_dong;
            *totals.by_status.entry(row.status.clone()).or_default() +=
                u64::try_from(row.beneficiaries).unwrap_or_default();
        }
    }
    result
        .districts
        .retain(|_, totals| totals.beneficiaries > 0);
    for totals in result.districts.values_mut().chain([&mut result.total]) {
        totals.by_status.retain(|_, count| *count > 0);
    }
    Ok(result)
}

fn line_of_record(record: &PersonRecord) -> StoreResult<Line> {
    let (_, state) = crate::ledger::read_model::PersonState::from_record(record)?;
    let status = status_of(state.approved_dong(), state.paid_dong, &state.refused);
    Ok(Line {
        district: record.district.clone(),
        national_id: record.national_id.clone(),
        full_name: record.full_name.clone(),
        category: record.category.clone(),
        approved_dong: state.approved_dong(),
        paid_dong: state.paid_dong,
        outstanding_dong: state.outstanding_dong,
        status,
        refused: state.refused,
    })
}

/// Builds the reconciliation of a program, for one district or all of them,
/// from the postings and the committed rolls themselves (what the read
/// models are proven equal to). Every figure is that of the stated
/// checkpoint: the reads run at once on several connections, and count only
/// when the ledger's head is the same before and after them.
pub async fn from_postings(
    store: &dyn Store,
    program: &str,
    district: Option<&str>,
) -> StoreResult<Reconciliation> {
    let prefix = match district {
        Some(d) => AccountPrefix::payable_of_program_district(program, d),
        None => AccountPrefix::payable_of_program(program),
    };
    for attempt in 1..=READ_ATTEMPTS_MAX {
        if attempt > 1 {
            // Let the commits in progress land before reading again.
            tokio::time::sleep(RETRY_PAUSE * (attempt - 1)).await;
        }
        let checkpoint = store.head().await?;
        let (people, names) = read_people(store, program, district, &prefix).await?;
        let head_after = store.head().await?;
        if head_after.map(|h| h.seq) == checkpoint.as_ref().map(|c| c.seq) {
            return Ok(assemble(program, district, checkpoint, people, &names));
        }
    }
    Err(StoreError::Stale(format!(
        "the ledger changed each of the {READ_ATTEMPTS_MAX} times the reconciliation of program \
         {program}, {} was read: imports are being committed; ask again in a moment",
        district.map_or("all districts".to_string(), |d| format!("district {d}"))
    )))
}

/// What each person of the scope was approved and paid, the payment lines
/// refused for them, and their names.
async fn read_people(
    store: &dyn Store,
    program: &str,
    district: Option<&str>,
    prefix: &AccountPrefix,
) -> StoreResult<(People, Names)> {
    let mut laps = crate::telemetry::Laps::start("reconcile");
    // Independent reads, at once: a cold answer is what a burst of requests waits for.
    let (balances, payment_imports, names) = futures_util::future::try_join3(
        store.beneficiary_balances(prefix),
        store.committed_imports("payments", program),
        store.beneficiary_names_under(prefix),
    )
    .await?;
    laps.lap("reads");
    let mut people = People::new();
    for balance in balances {
        let Ok(account) = AccountPath::parse(&balance.account) else {
            continue;
        };
        let key = (
            account.segment(2).unwrap_or_default().to_string(),
            balance.beneficiary,
        );
        let person = people.entry(key).or_default();
        person.category = account.segment(3).unwrap_or_default().to_string();
        person.outstanding += balance.amount_dong;
        person.paid += balance.paid_dong;
    }
    let mut names: Names = names.into_iter().collect();
    let written = add_refused_lines(payment_imports, district, &mut people);
    laps.lap("balances and refused lines");
    // The names on this scope's own approval rolls first. People found only
    // on refused payment lines may be on another district's roll: a
    // district's reconciliation names them as its own payment roll wrote
    // them, never from another district's rolls; the province's reads every
    // roll.
    let missing: Vec<String> = people
        .keys()
        .map(|(_, id)| id)
        .filter(|id| !names.contains_key(*id))
        .cloned()
        .collect();
    if district.is_none() && !missing.is_empty() {
        names.extend(store.beneficiary_names(&missing).await?);
    }
    for id in missing {
        if let Some(name) = written.get(&id) {
            names.entry(id).or_insert_with(|| name.clone());
        }
    }
    laps.lap("names");
    Ok((people, names))
}

fn assemble(
    program: &str,
    district: Option<&str>,
    checkpoint: Option<Checkpoint>,
    people: People,
    names: &Names,
) -> Reconciliation {
    let mut result = Reconciliation {
        program: program.to_string(),
        district: district.map(str::to_string),
        checkpoint,
        lines_total: 0,
        lines_offset: 0,
        lines: Vec::with_capacity(people.len()),
        districts: BTreeMap::new(),
        total: Totals::default(),
    };
    for ((district, national_id), person) in people {
        if person.outstanding == 0 && person.paid == 0 && person.refused.is_empty() {
            // An approval reversed in full: nothing left to reconcile.
            continue;
        }
        let line = line_of(district, national_id, person, names);
        result
            .districts
            .entry(line.district.clone())
            .or_default()
            .add(&line);
        result.total.add(&line);
        result.lines.push(line);
    }
    result.lines_total = result.lines.len() as u64;
    result
}

/// Adds the refused lines of the scope's payment rolls to its people;
/// returns the names those lines carry, as their rolls wrote them.
fn add_refused_lines(
    payment_imports: Vec<ImportRecord>,
    district: Option<&str>,
    people: &mut People,
) -> Names {
    let mut written = Names::new();
    for import in payment_imports {
        if district.is_some_and(|d| d != import.district) {
            continue;
        }
        let Ok(report) = serde_json::from_str::<ImportReport>(&import.report_json) else {
            continue;
        };
        for row in report.rejected {
            let (Some(national_id), Some(amount)) = (row.national_id, row.amount_dong) else {
                continue;
            };
            if row.code == RejectionCode::Invalid {
                continue;
            }
            if let Some(name) = row.full_name.filter(|n| !n.is_empty()) {
                written.entry(national_id.clone()).or_insert(name);
            }
            let person = people
                .entry((import.district.clone(), national_id))
                .or_default();
            person.refused.push(RefusedLine {
                import_id: import.id,
                file_name: import.file_name.clone(),
                line: row.line,
                amount_dong: amount,
                reference: row.reference,
                code: row.code,
            });
        }
    }
    written
}

fn line_of(district: String, national_id: String, person: Person, names: &Names) -> Line {
    let approved = person.outstanding + person.paid;
    let status = status_of(approved, person.paid, &person.refused);
    Line {
        full_name: names.get(&national_id).cloned().unwrap_or_default(),
        district,
        national_id,
        category: person.category,
        approved_dong: approved,
        paid_dong: person.paid,
        outstanding_dong: person.outstanding,
        status,
        refused: person.refused,
    }
}

/// The ledger decides paid/unpaid; refused lines from the rolls flag what the
/// ledger would not accept, worst first.
pub fn status_of(approved: i64, paid: i64, refused: &[RefusedLine]) -> Status {
    let has = |code| refused.iter().any(|r| r.code == code);
    if has(RejectionCode::DuplicatePayment) {
        Status::DuplicatePayment
    } else if approved <= 0 && (paid > 0 || has(RejectionCode::PaidWithoutApproval)) {
        Status::PaidWithoutApproval
    } else if paid > approved || has(RejectionCode::Overpaid) {
        Status::Overpaid
    } else if paid == 0 {
        Status::Unpaid
    } else if paid == approved {
        Status::Paid
    } else {
        Status::PartiallyPaid
    }
}

impl Reconciliation {
    /// Lines `offset..offset + limit` only (a page), with the totals of
    /// every line and `lines_total` saying how many there are.
    pub fn page(&self, offset: usize, limit: usize) -> Reconciliation {
        let start = offset.min(self.lines.len());
        let end = start.saturating_add(limit).min(self.lines.len());
        Reconciliation {
            program: self.program.clone(),
            district: self.district.clone(),
            checkpoint: self.checkpoint.clone(),
            lines_total: self.lines_total,
            lines_offset: start as u64,
            lines: self.lines[start..end].to_vec(),
            districts: self.districts.clone(),
            total: self.total.clone(),
        }
    }

    /// Masks every national ID (for roles that need not see them).
    pub fn mask_ids(&mut self) {
        for line in &mut self.lines {
            line.national_id = mask(&line.national_id);
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let _ = writer.write_record([
            "program",
            "district",
            "national_id",
            "full_name",
            "category",
            "approved",
            "paid",
            "outstanding",
            "status",
            "refused_lines",
        ]);
        for line in &self.lines {
            let refused = line
                .refused
                .iter()
                .map(|r| {
                    format!(
                        "{}:{}:{} {}",
                        r.file_name,
                        r.line,
                        crate::import::report::code_name(r.code),
                        r.amount_dong
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            let _ = writer.write_record([
                csv_safe(&self.program),
                csv_safe(&line.district),
                csv_safe(&line.national_id),
                csv_safe(&line.full_name),
                csv_safe(&line.category),
                line.approved_dong.to_string(),
                line.paid_dong.to_string(),
                line.outstanding_dong.to_string(),
                line.status.as_str().to_string(),
                csv_safe(&refused),
            ]);
        }
        String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    pub fn to_text(&self) -> String {
        let mut text = String::new();
        let scope = self
            .district
            .as_deref()
            .map(|d| format!("huyện/district {d}"))
            .unwrap_or_else(|| "mọi huyện/all districts".into());
        let _ = writeln!(
            text,
            "Đối chiếu / Reconciliation — chương trình/program {}, {scope}",
            self.program
        );
        if let Some(checkpoint) = &self.checkpoint {
            let _ = writeln!(text, "checkpoint {checkpoint}");
        }
        let _ = writeln!(
            text,
            "{:<9} {:<13} {:<28} {:>12} {:>12} {:>12}  status",
            "district", "national_id", "name", "approved", "paid", "outstanding"
        );
        for line in &self.lines {
            let _ = writeln!(
                text,
                "{:<9} {:<13} {:<28} {:>12} {:>12} {:>12}  {}",
                line.district,
                line.national_id,
                line.full_name.chars().take(28).collect::<String>(),
                Money::from_dong(line.approved_dong).format_vi(),
                Money::from_dong(line.paid_dong).format_vi(),
                Money::from_dong(line.outstanding_dong).format_vi(),
                line.status.as_str()
            );
            for refused in &line.refused {
                let _ = writeln!(
                    text,
                    "          refused: {} line {} ({}), {} đồng",
                    refused.file_name,
                    refused.line,
                    crate::import::report::code_name(refused.code),
                    Money::from_dong(refused.amount_dong).format_vi()
                );
            }
        }
        for (district, totals) in &self.districts {
            write_totals(&mut text, &format!("district {district}"), totals);
        }
        write_totals(&mut text, "tổng cộng / total", &self.total);
        text
    }
}

fn write_totals(text: &mut String, label: &str, totals: &Totals) {
    let statuses = totals
        .by_status
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        text,
        "{label}: {} beneficiaries, approved {}, paid {}, outstanding {} ({statuses})",
        totals.beneficiaries,
        Money::from_dong(totals.approved_dong).format_vi(),
        Money::from_dong(totals.paid_dong).format_vi(),
        Money::from_dong(totals.outstanding_dong).format_vi()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(code: RejectionCode) -> RefusedLine {
        RefusedLine {
            import_id: 1,
            file_name: "f".into(),
            line: 2,
            amount_dong: 5,
            reference: None,
            code,
        }
    }

    #[test]
    fn statuses() {
        assert_eq!(status_of(10, 0, &[]), Status::Unpaid);
        assert_eq!(status_of(10, 10, &[]), Status::Paid);
        assert_eq!(status_of(10, 4, &[]), Status::PartiallyPaid);
        assert_eq!(
            status_of(10, 10, &[refused(RejectionCode::Overpaid)]),
            Status::Overpaid
        );
        assert_eq!(
            status_of(0, 0, &[refused(RejectionCode::PaidWithoutApproval)]),
            Status::PaidWithoutApproval
        );
        assert_eq!(
            status_of(10, 10, &[refused(RejectionCode::DuplicatePayment)]),
            Status::DuplicatePayment
        );
    }
}
