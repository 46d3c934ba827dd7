//! The import report: what was read, what was accepted, what was refused and
//! why, the control totals, and what stops a commit ([`Blocker`]). Stored with
//! the import as JSON, served as JSON, printed as text.

use super::parse::{HeaderReport, Problem, ProblemCode, RollKind};
use crate::domain::Checkpoint;
use crate::domain::Money;
use serde::{Deserialize, Serialize};
use std::fmt::{self, Write as _};

/// Where the declared figures of `--expect-rows/--expect-total` (or the form's
/// `expect_rows`, `expect_total`) are said to come from, in a [`ControlCheck`].
pub const COMMAND_LINE_SOURCE: &str = "--expect-rows/--expect-total";

/// A problem as kept in the stored report: where (line, column), what (value)
/// and why, in English and Vietnamese, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Issue {
    /// The physical line of the file where the record starts.
    pub line: u64,
    /// The spreadsheet's row, where it differs from `line` (a cell above
    /// holds a line break): the row the officer finds in Excel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    pub column: Option<String>,
    pub column_index: Option<usize>,
    pub value: Option<String>,
    pub code: ProblemCode,
    pub reason_en: String,
    pub reason_vi: String,
}

impl From<Problem> for Issue {
    fn from(problem: Problem) -> Issue {
        Issue {
            line: problem.line,
            row: None,
            column: problem.column,
            column_index: problem.column_index,
            value: problem.value,
            code: problem.code,
            reason_en: problem.reason_en,
            reason_vi: problem.reason_vi,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Validated, nothing posted; may be committed.
    Validated,
    /// Validated, but something stops the commit (see `blocking`).
    Refused,
    /// Committed: accepted rows are in the ledger.
    Committed,
}

/// Why a row was not accepted, as a stable code scripts and reconciliation use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectionCode {
    Invalid,
    Duplicate,
    PaidWithoutApproval,
    DuplicatePayment,
    Overpaid,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RejectedRow {
    pub line: u64,
    /// The spreadsheet's row, where it differs from `line` (see [`Issue::row`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    pub code: RejectionCode,
    pub national_id: Option<String>,
    pub full_name: Option<String>,
    pub amount_dong: Option<i64>,
    pub reference: Option<String>,
    pub problems: Vec<Issue>,
}

/// Control totals the uploader declared beside the file (`--expect-rows`,
/// `--expect-total`), kept in the stored report so that a commit of the stored
/// import checks the same figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeclaredTotals {
    pub rows: Option<u64>,
    pub total_dong: Option<i64>,
}

impl DeclaredTotals {
    pub fn total(&self) -> Option<Money> {
        self.total_dong.map(Money::from_dong)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ControlCheck {
    /// Where the declared figures come from: a totals row, or the command line.
    pub source: String,
    pub declared_rows: Option<u64>,
    pub declared_total_dong: Option<i64>,
    pub computed_rows: u64,
    pub computed_total_dong: i64,
    pub matches: bool,
}

/// One journal entry the commit will post (or posted).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlannedEntry {
    pub reference: String,
    pub effective_date: String,
    pub rows: u64,
    pub total_dong: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub import_id: Option<i64>,
    pub kind: RollKind,
    pub program: String,
    pub district: String,
    pub file_name: String,
    /// The workbook sheet read, when the uploader chose one (else the first
    /// sheet of a workbook, or the CSV text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    pub sha256: String,
    pub size_bytes: u64,
    pub status: ImportStatus,
    pub delimiter: String,
    pub had_bom: bool,
    /// Pairs of (field, column header as written in the file).
    #[schema(value_type = Vec<Vec<String>>)]
    pub columns: Vec<(String, String)>,
    pub ignored_columns: Vec<String>,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    pub accepted_total_dong: i64,
    pub rejected: Vec<RejectedRow>,
    pub warnings: Vec<Issue>,
    pub controls: Vec<ControlCheck>,
    /// Control totals declared beside the file; absent in reports stored before
    /// they were kept here (see [`ImportReport::declared_totals`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared: Option<DeclaredTotals>,
    /// Reasons the commit is refused; empty when it may go ahead. As text in JSON.
    #[schema(value_type = Vec<String>)]
    pub blocking: Vec<Blocker>,
    pub entries: Vec<PlannedEntry>,
    pub checkpoints: Vec<Checkpoint>,
    /// (line, spreadsheet row) where they differ, from the parser; written
    /// into the issues by [`ImportReport::number_sheet_rows`], never stored.
    #[serde(skip)]
    pub sheet_rows: Vec<(u64, u64)>,
}

impl ImportReport {
    /// A report with nothing read yet, describing the file's header.
    pub fn empty(
        header: &HeaderReport,
        program: &str,
        district: &str,
        file_name: &str,
        sha256: &str,
        size_bytes: u64,
    ) -> ImportReport {
        ImportReport {
            import_id: None,
            kind: header.kind,
            program: program.to_string(),
            district: district.to_string(),
            file_name: file_name.to_string(),
            sheet: None,
            sha256: sha256.to_string(),
            size_bytes,
            status: ImportStatus::Validated,
            delimiter: header.delimiter.to_string(),
            had_bom: header.had_bom,
            columns: header.columns.clone(),
            ignored_columns: header.ignored_columns.clone(),
            rows_read: 0,
            rows_accepted: 0,
            rows_rejected: 0,
            accepted_total_dong: 0,
            rejected: Vec::new(),
            warnings: Vec::new(),
            controls: Vec::new(),
            declared: None,
            blocking: Vec::new(),
            entries: Vec::new(),
            checkpoints: Vec::new(),
            sheet_rows: Vec::new(),
        }
    }

    /// Gives every rejected row, problem and warning its spreadsheet row
    /// where that differs from its line in the file.
    pub fn number_sheet_rows(&mut self) {
        let rows = std::mem::take(&mut self.sheet_rows);
        if rows.is_empty() {
            return;
        }
        let row_of = |line: u64| {
            rows.binary_search_by_key(&line, |(l, _)| *l)
                .ok()
                .map(|i| rows[i].1)
        };
        for rejected in &mut self.rejected {
            rejected.row = row_of(rejected.line);
            for problem in &mut rejected.problems {
                problem.row = row_of(problem.line);
            }
        }
        for warning in &mut self.warnings {
            warning.row = row_of(warning.line);
        }
    }

    pub fn can_commit(&self) -> bool {
        self.blocking.is_empty()
    }

    /// Every reason the commit is refused, as one line (`; ` between them).
    pub fn blocking_text(&self) -> String {
        let mut text = String::new();
        for (n, blocker) in self.blocking.iter().enumerate() {
            if n > 0 {
                text.push_str("; ");
            }
            let _ = write!(text, "{blocker}");
        }
        text
    }

    /// The control totals declared beside the file. Reports stored before
    /// [`ImportReport::declared`] existed name them only in their command-line
    /// control check, which is where they are read from then.
    pub fn declared_totals(&self) -> Option<DeclaredTotals> {
        self.declared.or_else(|| {
            self.controls
                .iter()
                .find(|c| c.source == COMMAND_LINE_SOURCE)
                .map(|c| DeclaredTotals {
                    rows: c.declared_rows,
                    total_dong: c.declared_total_dong,
                })
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    pub fn to_text(&self) -> String {
        let mut text = String::new();
        self.write_summary(&mut text);
        self.write_controls(&mut text);
        for entry in &self.entries {
            let _ = writeln!(
                text,
                "  entry     {} ngày/dated {}: {} dòng/{}, {} đồng",
                entry.reference,
                entry.effective_date,
                entry.rows,
                rows_en(entry.rows),
                Money::from_dong(entry.total_dong).format_vi()
            );
        }
        self.write_rejected(&mut text);
        for warning in &self.warnings {
            let _ = writeln!(text, "  warning   {}", describe(warning));
        }
        for blocker in &self.blocking {
            let _ = writeln!(text, "  BLOCKED   {blocker}");
        }
        let status = match self.status {
            ImportStatus::Validated => "đã kiểm tra, chưa ghi sổ, có thể ghi sổ / validated, nothing posted, may be committed",
            ImportStatus::Refused => "bị từ chối, không ghi sổ / refused, nothing posted",
            ImportStatus::Committed => "đã ghi sổ / committed",
        };
        let _ = writeln!(text, "  status    {status}");
        for checkpoint in &self.checkpoints {
            let _ = writeln!(text, "  posted    bút toán/entry {}", checkpoint);
        }
        text
    }

    /// The file, its format and the counts.
    fn write_summary(&self, text: &mut String) {
        let kind = match self.kind {
            RollKind::Approvals => "danh sách phê duyệt / approval roll",
            RollKind::Payments => "danh sách chi trả / payment roll",
        };
        let _ = writeln!(
            text,
            "Import {} — {kind}",
            self.import_id
                .map(|i| i.to_string())
                .unwrap_or_else(|| "(dry run)".into())
        );
        let _ = writeln!(
            text,
            "  file      {} ({} bytes, sha256 {})",
            self.file_name, self.size_bytes, self.sha256
        );
        let _ = writeln!(
            text,
            "  program   {}   district {}",
            self.program, self.district
        );
        let _ = writeln!(
            text,
            "  format    delimiter '{}'{}",
            self.delimiter,
            if self.had_bom { ", UTF-8 BOM" } else { "" }
        );
        if !self.ignored_columns.is_empty() {
            let _ = writeln!(
                text,
                "  ignored columns / cột bỏ qua: {}",
                self.ignored_columns.join(", ")
            );
        }
        let _ = writeln!(
            text,
            "  rows      {} dòng, {} hợp lệ, {} bị từ chối / {} read, {} accepted, {} rejected",
            self.rows_read,
            self.rows_accepted,
            self.rows_rejected,
            self.rows_read,
            self.rows_accepted,
            self.rows_rejected
        );
        let _ = writeln!(
            text,
            "  tổng tiền hợp lệ / accepted total: {} đồng",
            Money::from_dong(self.accepted_total_dong).format_vi()
        );
    }

    fn write_controls(&self, text: &mut String) {
        for control in &self.controls {
            let figures = ControlFigures {
                declared_rows: control.declared_rows,
                declared_total_dong: control.declared_total_dong,
                accepted_rows: control.computed_rows,
                accepted_total_dong: control.computed_total_dong,
            };
            let _ =
                writeln!(
                text,
                "  control   tổng tiền kiểm tra ({}): {} — {}\n            control total ({}): {}",
                source_vi(&control.source),
                figures.vi(),
                if control.matches { "khớp" } else { "KHÔNG KHỚP" },
                control.source,
                if control.matches {
                    format!("{} — OK", figures.en())
                } else {
                    format!("{} — MISMATCH", figures.en())
                },
            );
        }
    }

    fn write_rejected(&self, text: &mut String) {
        for row in &self.rejected {
            let who = match (&row.full_name, &row.national_id) {
                (Some(name), _) => format!(" {name} —"),
                (None, Some(id)) => format!(" {id} —"),
                (None, None) => String::new(),
            };
            for problem in &row.problems {
                let _ = writeln!(
                    text,
                    "  rejected  [{}]{who} {}",
                    code_name(row.code),
                    describe(problem)
                );
            }
        }
    }
}

/// `1 row`, `2 rows`.
pub fn rows_en(rows: u64) -> String {
    if rows == 1 {
        "1 row".to_string()
    } else {
        format!("{rows} rows")
    }
}

/// The declared and accepted figures of a control total, with the difference.
struct ControlFigures {
    declared_rows: Option<u64>,
    declared_total_dong: Option<i64>,
    accepted_rows: u64,
    accepted_total_dong: i64,
}

impl ControlFigures {
    fn vi(&self) -> String {
        let rows = self
            .declared_rows
            .map_or("không khai báo số dòng".to_string(), |r| {
                format!("khai báo {r} dòng")
            });
        let total = self
            .declared_total_dong
            .map_or("không khai báo số tiền".to_string(), |t| {
                format!("{} đồng", Money::from_dong(t).format_vi())
            });
        let mut text = format!(
            "{rows}, {total}; các dòng hợp lệ: {} dòng, {} đồng",
            self.accepted_rows,
            Money::from_dong(self.accepted_total_dong).format_vi()
        );
        if let Some(difference) = self.difference_vi() {
            let _ = write!(text, "; chênh lệch: {difference}");
        }
        text
    }

    fn en(&self) -> String {
        let rows = self
            .declared_rows
            .map_or("rows not declared".to_string(), |r| {
                format!("declared {}", rows_en(r))
            });
        let total = self
            .declared_total_dong
            .map_or("total not declared".to_string(), |t| {
                format!("{} đồng", Money::from_dong(t).format_vi())
            });
        let mut text = format!(
            "{rows}, {total}; accepted {}, {} đồng",
            rows_en(self.accepted_rows),
            Money::from_dong(self.accepted_total_dong).format_vi()
        );
        if let Some(difference) = self.difference_en() {
            let _ = write!(text, "; difference: {difference}");
        }
        text
    }

    /// (declared − accepted rows, declared − accepted đồng), where declared and different.
    fn differences(&self) -> (Option<i64>, Option<i64>) {
        let rows = self
            .declared_rows
            .map(|r| r as i64 - self.accepted_rows as i64)
            .filter(|d| *d != 0);
        let total = self
            .declared_total_dong
            .map(|t| t - self.accepted_total_dong)
            .filter(|d| *d != 0);
        (rows, total)
    }

    fn difference_vi(&self) -> Option<String> {
        let (rows, total) = self.differences();
        let more = |d: i64| if d > 0 { "nhiều hơn" } else { "ít hơn" };
        let parts: Vec<String> = [
            rows.map(|d| format!("{} {} dòng", more(d), d.abs())),
            total.map(|d| format!("{} {} đồng", more(d), Money::from_dong(d.abs()).format_vi())),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!parts.is_empty())
            .then(|| format!("số khai báo {} so với các dòng hợp lệ", parts.join(", ")))
    }

    fn difference_en(&self) -> Option<String> {
        let (rows, total) = self.differences();
        let parts: Vec<String> = [
            rows.map(|d| {
                format!(
                    "{} {}",
                    rows_en(d.unsigned_abs()),
                    if d > 0 { "more" } else { "fewer" }
                )
            }),
            total.map(|d| {
                format!(
                    "{} đồng {}",
                    Money::from_dong(d.abs()).format_vi(),
                    if d > 0 { "more" } else { "less" }
                )
            }),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!parts.is_empty()).then(|| format!("{} declared than accepted", parts.join(", ")))
    }
}

/// A control total's source in Vietnamese: the command line's figures, or
/// the file's totals row (`totals row 'Tổng cộng', line 5`).
fn source_vi(source: &str) -> String {
    if source == COMMAND_LINE_SOURCE {
        return format!("số liệu khai báo khi nhập, {COMMAND_LINE_SOURCE}");
    }
    match source
        .strip_prefix("totals row ")
        .and_then(|rest| rest.rsplit_once(", line "))
    {
        Some((label, line)) => format!("dòng tổng cộng {label}, dòng {line}"),
        None => source.to_string(),
    }
}

pub fn code_name(code: RejectionCode) -> &'static str {
    match code {
        RejectionCode::Invalid => "invalid",
        RejectionCode::Duplicate => "duplicate",
        RejectionCode::PaidWithoutApproval => "paid_without_approval",
        RejectionCode::DuplicatePayment => "duplicate_payment",
        RejectionCode::Overpaid => "overpaid",
    }
}

/// `dòng/line 12, cột/column "Số CCCD/CMND" (5), giá trị/value "84123456789": lý do / reason`;
/// where the spreadsheet's row differs from the file's line:
/// `dòng/line 12 (dòng 14 của tệp / file line 14), …`.
pub fn describe(problem: &Issue) -> String {
    let mut text = match problem.row {
        Some(row) if row != problem.line => format!(
            "dòng/line {row} (dòng {line} của tệp / file line {line})",
            line = problem.line
        ),
        _ => format!("dòng/line {}", problem.line),
    };
    if let Some(column) = &problem.column {
        let _ = write!(text, ", cột/column \"{column}\"");
        if let Some(index) = problem.column_index {
            let _ = write!(text, " ({index})");
        }
    }
    if let Some(value) = &problem.value {
        let _ = write!(text, ", giá trị/value \"{value}\"");
    }
    let _ = write!(text, ": {} / {}", problem.reason_vi, problem.reason_en);
    text
}

/// A row the parser refused: every problem it found, with the name and
/// national ID as written (so that the officer knows whose row it is).
pub fn invalid_row(line: u64, problems: Vec<Problem>, who: RawWho<'_>) -> RejectedRow {
    RejectedRow {
        line,
        row: None,
        code: RejectionCode::Invalid,
        national_id: who.cell(who.national_id),
        full_name: who.cell(who.full_name),
        amount_dong: None,
        reference: None,
        problems: problems.into_iter().map(Issue::from).collect(),
    }
}

/// Where a refused row's name and national ID are among its cells.
#[derive(Debug, Clone, Copy)]
pub struct RawWho<'a> {
    pub raw: &'a [String],
    pub full_name: Option<usize>,
    pub national_id: Option<usize>,
}

impl RawWho<'_> {
    fn cell(&self, index: Option<usize>) -> Option<String> {
        let text = self.raw.get(index?)?.trim();
        let shown: String = text.chars().take(100).collect();
        (!shown.is_empty()).then(|| shown.replace(['\r', '\n'], " "))
    }
}

/// What stops a commit. Each renders the message users have always seen; in
/// JSON a blocker is that message, and a stored report's blockers load as
/// [`Blocker::Recorded`] (a stored report is shown, never committed from:
/// a commit validates the stored bytes again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    /// The same bytes are already committed for this program and district.
    AlreadyImported {
        import_id: i64,
        program: String,
        district: String,
    },
    /// Every row was rejected.
    NoRowAccepted,
    /// Declared control totals differ from the accepted rows.
    ControlTotals {
        source: String,
        declared_rows: Option<u64>,
        declared_total_dong: Option<i64>,
        accepted_rows: u64,
        accepted_total_dong: i64,
    },
    /// The district's budget is smaller than the accepted total.
    BudgetExceeded {
        account: String,
        available_dong: i64,
        asked_dong: i64,
    },
    /// The ledger's balance rules refused the commit (under the append lock).
    BalanceRule(String),
    /// The ledger refused the commit as conflicting with another (the same file committed meanwhile).
    Conflict(String),
    /// What validation read changed before the commit; validating again may succeed.
    Stale(String),
    /// A reason read back from a stored report, as its text.
    Recorded(String),
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blocker::AlreadyImported {
                import_id,
                program,
                district,
            } => write!(
                f,
                "tệp này đã được nhập cho chương trình {program}, huyện {district} (lần nhập {import_id}); không ghi sổ hai lần / this file was already imported for program {program} and district {district} (import {import_id}); it will not be posted twice"
            ),
            Blocker::NoRowAccepted => {
                f.write_str("không có dòng hợp lệ / no row was accepted")
            }
            Blocker::ControlTotals {
                source,
                declared_rows,
                declared_total_dong,
                accepted_rows,
                accepted_total_dong,
            } => {
                let figures = ControlFigures {
                    declared_rows: *declared_rows,
                    declared_total_dong: *declared_total_dong,
                    accepted_rows: *accepted_rows,
                    accepted_total_dong: *accepted_total_dong,
                };
                write!(
                    f,
                    "tổng tiền kiểm tra không khớp ({}): {} / control total differs ({source}): {}",
                    source_vi(source),
                    figures.vi(),
                    figures.en()
                )
            }
            Blocker::BudgetExceeded {
                account,
                available_dong,
                asked_dong,
            } => {
                let over = Money::from_dong(asked_dong - available_dong).format_vi();
                let available = Money::from_dong(*available_dong).format_vi();
                let asked = Money::from_dong(*asked_dong).format_vi();
                let mut parts = account.split(':').skip(1);
                let show = match (parts.next(), parts.next()) {
                    (Some(program), Some(district)) => {
                        format!("ansinh program show --program {program} --district {district}")
                    }
                    _ => "ansinh program show --program P".to_string(),
                };
                write!(
                    f,
                    "vượt dự toán {account} {over} đồng (còn lại {available} đồng, danh sách cần {asked} đồng); xem số còn lại: `{show}` / the district budget {account} would be exceeded by {over} đồng (left {available} đồng, the roll asks {asked} đồng); see what is left: `{show}`"
                )
            }
            Blocker::BalanceRule(broken) => write!(f, "vượt dự toán / budget exceeded: {broken}"),
            Blocker::Conflict(message) | Blocker::Stale(message) | Blocker::Recorded(message) => {
                f.write_str(message)
            }
        }
    }
}

impl Serialize for Blocker {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Blocker {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Blocker, D::Error> {
        String::deserialize(deserializer).map(Blocker::Recorded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report as versions before typed blockers and declared totals stored it.
    const STORED_BEFORE: &str = r#"{
        "import_id": 7, "kind": "approvals", "program": "NQ68", "district": "842",
        "file_name": "a.csv", "sha256": "ab", "size_bytes": 10, "status": "refused",
        "delimiter": ";", "had_bom": false, "columns": [["Số tiền", "amount"]],
        "ignored_columns": [], "rows_read": 2, "rows_accepted": 1, "rows_rejected": 1,
        "accepted_total_dong": 1500000,
        "rejected": [{"line": 3, "code": "invalid", "national_id": null, "full_name": null,
            "amount_dong": null, "reference": null, "problems": [{"line": 3,
            "column": "Số tiền", "column_index": 1, "value": "x", "code": "amount_not_a_number",
            "reason_en": "not a number", "reason_vi": "không phải số"}]}],
        "warnings": [],
        "controls": [{"source": "--expect-rows/--expect-total", "declared_rows": 3,
            "declared_total_dong": null, "computed_rows": 1, "computed_total_dong": 1500000,
            "matches": false}],
        "blocking": ["control totals differ (--expect-rows/--expect-total): declared 3 rows / - đồng, accepted 1 rows / 1.500.000 đồng / tổng kiểm soát không khớp"],
        "entries": [], "checkpoints": []
    }"#;

    #[test]
    fn reports_stored_by_earlier_versions_load() {
        let report: ImportReport = serde_json::from_str(STORED_BEFORE).unwrap();
        assert_eq!(
            report.rejected[0].problems[0].code,
            ProblemCode::AmountNotANumber
        );
        assert_eq!(
            report.declared_totals(),
            Some(DeclaredTotals {
                rows: Some(3),
                total_dong: None
            })
        );
        assert!(!report.can_commit());
        // A stored blocker is shown as it was stored.
        assert!(report.blocking_text().starts_with("control totals differ"));
        // Written again, the report is the same JSON.
        let again: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        let before: serde_json::Value = serde_json::from_str(STORED_BEFORE).unwrap();
        assert_eq!(again, before);
    }

    #[test]
    fn declared_totals_are_stored_as_data() {
        let mut report: ImportReport = serde_json::from_str(STORED_BEFORE).unwrap();
        report.controls.clear();
        report.declared = Some(DeclaredTotals {
            rows: None,
            total_dong: Some(2_000_000),
        });
        let json = report.to_json();
        assert!(json.contains("\"declared\""), "{json}");
        let back: ImportReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back.declared_totals(), report.declared);
        assert_eq!(
            back.declared_totals().and_then(|d| d.total()),
            Some(Money::from_dong(2_000_000))
        );
    }

    #[test]
    fn blockers_render_the_messages_users_know() {
        let blockers = [
            Blocker::AlreadyImported {
                import_id: 4,
                program: "NQ68".into(),
                district: "842".into(),
            },
            Blocker::NoRowAccepted,
            Blocker::BudgetExceeded {
                account: "budget:SMALL:842".into(),
                available_dong: 2_000_000,
                asked_dong: 3_000_000,
            },
        ];
        let texts: Vec<String> = blockers.iter().map(Blocker::to_string).collect();
        assert_eq!(
            texts,
            [
                "tệp này đã được nhập cho chương trình NQ68, huyện 842 (lần nhập 4); không ghi sổ hai lần / this file was already imported for program NQ68 and district 842 (import 4); it will not be posted twice",
                "không có dòng hợp lệ / no row was accepted",
                "vượt dự toán budget:SMALL:842 1.000.000 đồng (còn lại 2.000.000 đồng, danh sách cần 3.000.000 đồng); xem số còn lại: `ansinh program show --program SMALL --district 842` / the district budget budget:SMALL:842 would be exceeded by 1.000.000 đồng (left 2.000.000 đồng, the roll asks 3.000.000 đồng); see what is left: `ansinh program show --program SMALL --district 842`",
            ]
        );
    }

    #[test]
    fn a_control_total_says_the_difference_and_what_was_not_declared() {
        let blocker = Blocker::ControlTotals {
            source: "totals row 'Tổng cộng', line 15".into(),
            declared_rows: None,
            declared_total_dong: Some(18_100_000),
            accepted_rows: 12,
            accepted_total_dong: 18_000_000,
        };
        assert_eq!(
            blocker.to_string(),
            "tổng tiền kiểm tra không khớp (dòng tổng cộng 'Tổng cộng', dòng 15): không khai báo số dòng, 18.100.000 đồng; các dòng hợp lệ: 12 dòng, 18.000.000 đồng; chênh lệch: số khai báo nhiều hơn 100.000 đồng so với các dòng hợp lệ / control total differs (totals row 'Tổng cộng', line 15): rows not declared, 18.100.000 đồng; accepted 12 rows, 18.000.000 đồng; difference: 100.000 đồng more declared than accepted"
        );
        let one = Blocker::ControlTotals {
            source: COMMAND_LINE_SOURCE.into(),
            declared_rows: Some(3),
            declared_total_dong: None,
            accepted_rows: 1,
            accepted_total_dong: 1_500_000,
        };
        let text = one.to_string();
        assert!(text.contains("accepted 1 row,"), "{text}");
        assert!(text.contains("2 rows more declared"), "{text}");
        assert!(text.contains("nhiều hơn 2 dòng"), "{text}");
    }
}
