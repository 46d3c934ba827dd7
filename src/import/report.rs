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
    pub line: u64,
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
                "  entry     {} dated {}: {} rows, {} đồng",
                entry.reference,
                entry.effective_date,
                entry.rows,
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
            ImportStatus::Validated => "validated, nothing posted / đã kiểm tra, chưa ghi sổ",
            ImportStatus::Refused => "refused, nothing posted / bị từ chối, không ghi sổ",
            ImportStatus::Committed => "committed / đã ghi sổ",
        };
        let _ = writeln!(text, "  status    {status}");
        for checkpoint in &self.checkpoints {
            let _ = writeln!(text, "  posted    entry {}", checkpoint);
        }
        text
    }

    /// The file, its format and the counts.
    fn write_summary(&self, text: &mut String) {
        let kind = match self.kind {
            RollKind::Approvals => "approval roll / danh sách phê duyệt",
            RollKind::Payments => "payment roll / danh sách chi trả",
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
            "  rows      {} read, {} accepted, {} rejected / {} dòng, {} hợp lệ, {} bị từ chối",
            self.rows_read,
            self.rows_accepted,
            self.rows_rejected,
            self.rows_read,
            self.rows_accepted,
            self.rows_rejected
        );
        let _ = writeln!(
            text,
            "  accepted total / tổng tiền hợp lệ: {} đồng",
            Money::from_dong(self.accepted_total_dong).format_vi()
        );
    }

    fn write_controls(&self, text: &mut String) {
        for control in &self.controls {
            let _ = writeln!(
                text,
                "  control ({}): declared {} rows / {} đồng, computed {} rows / {} đồng — {}",
                control.source,
                control
                    .declared_rows
                    .map(|r| r.to_string())
                    .unwrap_or_else(|| "-".into()),
                control
                    .declared_total_dong
                    .map(|t| Money::from_dong(t).format_vi())
                    .unwrap_or_else(|| "-".into()),
                control.computed_rows,
                Money::from_dong(control.computed_total_dong).format_vi(),
                if control.matches {
                    "OK"
                } else {
                    "MISMATCH / KHÔNG KHỚP"
                }
            );
        }
    }

    fn write_rejected(&self, text: &mut String) {
        for row in &self.rejected {
            for problem in &row.problems {
                let _ = writeln!(
                    text,
                    "  rejected  [{}] {}",
                    code_name(row.code),
                    describe(problem)
                );
            }
        }
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

/// `line 12, column "Số CCCD/CMND" (5), value "84123456789": reason / lý do`.
pub fn describe(problem: &Issue) -> String {
    let mut text = format!("line {}", problem.line);
    if let Some(column) = &problem.column {
        let _ = write!(text, ", column \"{column}\"");
        if let Some(index) = problem.column_index {
            let _ = write!(text, " ({index})");
        }
    }
    if let Some(value) = &problem.value {
        let _ = write!(text, ", value \"{value}\"");
    }
    let _ = write!(text, ": {} / {}", problem.reason_en, problem.reason_vi);
    text
}

/// A row the parser refused: every problem it found.
pub fn invalid_row(line: u64, problems: Vec<Problem>) -> RejectedRow {
    RejectedRow {
        line,
        code: RejectionCode::Invalid,
        national_id: None,
        full_name: None,
        amount_dong: None,
        reference: None,
        problems: problems.into_iter().map(Issue::from).collect(),
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
                "this file was already imported for program {program} and district {district} (import {import_id}); it will not be posted twice / tệp này đã được nhập (lần nhập {import_id})"
            ),
            Blocker::NoRowAccepted => f.write_str("no row was accepted / không có dòng hợp lệ"),
            Blocker::ControlTotals {
                source,
                declared_rows,
                declared_total_dong,
                accepted_rows,
                accepted_total_dong,
            } => write!(
                f,
                "control totals differ ({source}): declared {} rows / {} đồng, accepted {accepted_rows} rows / {} đồng / tổng kiểm soát không khớp",
                declared_rows.map(|r| r.to_string()).unwrap_or_else(|| "-".into()),
                declared_total_dong
                    .map(|t| Money::from_dong(t).format_vi())
                    .unwrap_or_else(|| "-".into()),
                Money::from_dong(*accepted_total_dong).format_vi(),
            ),
            Blocker::BudgetExceeded {
                account,
                available_dong,
                asked_dong,
            } => {
                let over = Money::from_dong(asked_dong - available_dong).format_vi();
                write!(
                    f,
                    "the district budget {account} would be exceeded by {over} đồng (available {}, asked {}) / vượt dự toán {over} đồng",
                    Money::from_dong(*available_dong).format_vi(),
                    Money::from_dong(*asked_dong).format_vi(),
                )
            }
            Blocker::BalanceRule(broken) => write!(f, "budget exceeded / vượt dự toán: {broken}"),
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
        let typed = Blocker::ControlTotals {
            source: COMMAND_LINE_SOURCE.into(),
            declared_rows: Some(3),
            declared_total_dong: None,
            accepted_rows: 1,
            accepted_total_dong: 1_500_000,
        };
        assert_eq!(report.blocking_text(), typed.to_string());
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
                "this file was already imported for program NQ68 and district 842 (import 4); it will not be posted twice / tệp này đã được nhập (lần nhập 4)",
                "no row was accepted / không có dòng hợp lệ",
                "the district budget budget:SMALL:842 would be exceeded by 1.000.000 đồng (available 2.000.000, asked 3.000.000) / vượt dự toán 1.000.000 đồng",
            ]
        );
    }
}
