//! Row rules that need the program and the district but not the ledger:
//! commune within the district, category exists, amount obeys its rule.

use super::parse::{ApprovalRow, ControlTotals, ProblemCode};
use super::report::{
    Blocker, ControlCheck, DeclaredTotals, ImportReport, Issue, COMMAND_LINE_SOURCE,
};
use crate::domain::admin_units::units;
use crate::domain::program::{AmountRule, Category};
use crate::domain::{Money, Program};
use std::collections::{HashMap, HashSet};

pub struct RowRules<'a> {
    program: &'a Program,
    district: &'a str,
    communes: HashSet<&'static str>,
    /// Category text as written in files → index, memoised (files repeat a few values).
    categories: HashMap<String, Option<usize>>,
}

impl<'a> RowRules<'a> {
    pub fn new(program: &'a Program, district: &'a str) -> RowRules<'a> {
        let communes = units()
            .communes_of(district)
            .into_iter()
            .map(|c| c.code.as_str())
            .collect();
        RowRules {
            program,
            district,
            communes,
            categories: HashMap::new(),
        }
    }

    /// Checks one approval row; returns the index of its category in the
    /// program, or every problem found.
    pub fn check_approval(
        &mut self,
        row: &ApprovalRow,
        columns: &ColumnNames,
    ) -> Result<usize, Vec<Issue>> {
        let mut problems = Vec::new();
        if let Some(problem) = self.check_commune(row, columns) {
            problems.push(problem);
        }
        let index = self.category_index(&row.category);
        let category = index.map(|i| &self.program.categories[i]);
        match category {
            None => problems.push(problem_at(
                row.line,
                columns.get("category"),
                &row.category,
                ProblemCode::UnknownCategory,
                format!(
                    "category is not one of program {}'s: {}",
                    self.program.code,
                    self.category_list()
                ),
                format!(
                    "nhóm đối tượng không thuộc chương trình {}: {}",
                    self.program.code,
                    self.category_list()
                ),
            )),
            Some(category) => {
                if category.rule.check(row.amount).is_err() {
                    let (en, vi) = amount_rule_reason(self.program, category, row.amount);
                    problems.push(problem_at(
                        row.line,
                        columns.get("amount"),
                        &row.amount.format_vi(),
                        ProblemCode::AmountRule,
                        en,
                        vi,
                    ));
                }
            }
        }
        match (index, problems.is_empty()) {
            (Some(index), true) => Ok(index),
            _ => Err(problems),
        }
    }

    fn check_commune(&self, row: &ApprovalRow, columns: &ColumnNames) -> Option<Issue> {
        if self.communes.contains(row.commune_code.as_str()) {
            return None;
        }
        let (en, vi) = match units().commune(&row.commune_code) {
            Some(commune) => {
                let district = units()
                    .district(&commune.district_code)
                    .map(|d| d.name.as_str())
                    .unwrap_or("?");
                (
                    format!(
                        "commune {} ({}) belongs to district {} ({district}), not to district {}",
                        commune.code, commune.name, commune.district_code, self.district
                    ),
                    format!(
                        "xã {} thuộc huyện {} ({district}), không thuộc huyện {}",
                        commune.name, commune.district_code, self.district
                    ),
                )
            }
            None => (
                "not a commune code in the GSO list".to_string(),
                "mã xã không có trong danh mục của Tổng cục Thống kê".to_string(),
            ),
        };
        Some(problem_at(
            row.line,
            columns.get("commune_code"),
            &row.commune_code,
            ProblemCode::CommuneOutsideDistrict,
            en,
            vi,
        ))
    }

    fn category_index(&mut self, text: &str) -> Option<usize> {
        let program = self.program;
        match self.categories.get(text) {
            Some(index) => *index,
            None => {
                let index = program
                    .category(text)
                    .and_then(|c| program.categories.iter().position(|x| x.code == c.code));
                self.categories.insert(text.to_string(), index);
                index
            }
        }
    }

    fn category_list(&self) -> String {
        self.program
            .categories
            .iter()
            .map(|c| format!("{} ({})", c.code, c.name))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Why an amount breaks its category's rule, with the rule's figures, in
/// English and Vietnamese.
fn amount_rule_reason(program: &Program, category: &Category, amount: Money) -> (String, String) {
    let amount = amount.format_vi();
    let code = &category.code;
    let name = &category.name;
    let where_en = format!(
        "the program's categories and amounts: `ansinh program show --program {}`",
        program.code
    );
    let where_vi = format!(
        "xem các nhóm và mức hỗ trợ của chương trình: `ansinh program show --program {}`",
        program.code
    );
    match category.rule {
        AmountRule::Fixed { amount: fixed } => {
            let fixed = Money::from_dong(fixed).format_vi();
            (
                format!("{amount} đồng differs from the fixed amount {fixed} đồng of category {code} ({name}); {where_en}"),
                format!("số tiền {amount} đồng khác mức cố định {fixed} đồng của nhóm {code} ({name}); {where_vi}"),
            )
        }
        AmountRule::Range { min, max } => {
            let min = Money::from_dong(min).format_vi();
            let max = Money::from_dong(max).format_vi();
            (
                format!("{amount} đồng is outside the range {min}–{max} đồng of category {code} ({name}); {where_en}"),
                format!("số tiền {amount} đồng nằm ngoài mức {min}–{max} đồng của nhóm {code} ({name}); {where_vi}"),
            )
        }
    }
}

/// Canonical field name → (header as written in the file, 1-based column).
#[derive(Debug, Default, Clone)]
pub struct ColumnNames(HashMap<String, (String, usize)>);

impl ColumnNames {
    /// From [`super::parse::Roll::column_positions`]: positions count the
    /// columns the importer ignores, as the parser's own problems do.
    pub fn new(columns: &[(String, String, usize)]) -> ColumnNames {
        ColumnNames(
            columns
                .iter()
                .map(|(in_file, canonical, position)| {
                    (canonical.clone(), (in_file.clone(), *position))
                })
                .collect(),
        )
    }

    pub fn get(&self, canonical: &str) -> (Option<String>, Option<usize>) {
        match self.0.get(canonical) {
            Some((name, index)) => (Some(name.clone()), Some(*index)),
            None => (Some(canonical.to_string()), None),
        }
    }
}

pub fn problem_at(
    line: u64,
    column: (Option<String>, Option<usize>),
    value: &str,
    code: ProblemCode,
    reason_en: String,
    reason_vi: String,
) -> Issue {
    Issue {
        line,
        row: None,
        column: column.0,
        column_index: column.1,
        value: Some(value.to_string()),
        code,
        reason_en,
        reason_vi,
    }
}

/// Checks the accepted rows against each declared control total (a totals
/// row in the file, the uploader's `--expect-rows/--expect-total`): every
/// check is listed in the report, and one that differs stops the commit.
/// The same for every roll kind.
pub(crate) fn check_controls(
    report: &mut ImportReport,
    totals_row: Option<ControlTotals>,
    declared: Option<DeclaredTotals>,
) {
    let computed_rows = report.rows_accepted;
    let computed_total = report.accepted_total_dong;
    let mut checks = Vec::new();
    if let Some(totals) = totals_row {
        checks.push((
            format!("totals row '{}', line {}", totals.label, totals.line),
            totals.rows,
            totals.amount.map(Money::dong),
        ));
    }
    if let Some(declared) = declared {
        checks.push((
            COMMAND_LINE_SOURCE.to_string(),
            declared.rows,
            declared.total_dong,
        ));
    }
    for (source, rows, total) in checks {
        let matches =
            rows.is_none_or(|r| r == computed_rows) && total.is_none_or(|t| t == computed_total);
        if !matches {
            report.blocking.push(Blocker::ControlTotals {
                source: source.clone(),
                declared_rows: rows,
                declared_total_dong: total,
                accepted_rows: computed_rows,
                accepted_total_dong: computed_total,
            });
        }
        report.controls.push(ControlCheck {
            source,
            declared_rows: rows,
            declared_total_dong: total,
            computed_rows,
            computed_total_dong: computed_total,
            matches,
        });
    }
}
