//! The import report: what was read, what was accepted, what was refused and
//! why, the control totals, and what stops a commit. Stored with the import
//! as JSON, printed as text.

use super::parse::{Problem, RollKind};

/// A problem as kept in the stored report: where (line, column), what (value)
/// and why, in English and Vietnamese, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    pub line: u64,
    pub column: Option<String>,
    pub column_index: Option<usize>,
    pub value: Option<String>,
    pub code: String,
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
            code: problem.code.to_string(),
            reason_en: problem.reason_en,
            reason_vi: problem.reason_vi,
        }
    }
}
use crate::domain::Checkpoint;
use crate::domain::Money;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionCode {
    Invalid,
    Duplicate,
    PaidWithoutApproval,
    DuplicatePayment,
    Overpaid,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RejectedRow {
    pub line: u64,
    pub code: RejectionCode,
    pub national_id: Option<String>,
    pub full_name: Option<String>,
    pub amount_dong: Option<i64>,
    pub reference: Option<String>,
    pub problems: Vec<Issue>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedEntry {
    pub reference: String,
    pub effective_date: String,
    pub rows: u64,
    pub total_dong: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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
    pub columns: Vec<(String, String)>,
    pub ignored_columns: Vec<String>,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    pub accepted_total_dong: i64,
    pub rejected: Vec<RejectedRow>,
    pub warnings: Vec<Issue>,
    pub controls: Vec<ControlCheck>,
    /// Reasons the commit is refused; empty when it may go ahead.
    pub blocking: Vec<String>,
    pub entries: Vec<PlannedEntry>,
    pub checkpoints: Vec<Checkpoint>,
}

impl ImportReport {
    pub fn can_commit(&self) -> bool {
        self.blocking.is_empty()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    pub fn to_text(&self) -> String {
        let mut text = String::new();
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
        for reason in &self.blocking {
            let _ = writeln!(text, "  BLOCKED   {reason}");
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
