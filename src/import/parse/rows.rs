//! What reading a roll yields: the typed rows of approval and payment rolls, the
//! [`Record`]s of the stream (row, rejected row, totals, ignored line), the header
//! report, and the two row parsers that fill a row from its cells.

use super::cells::RowCtx;
use super::fields::{Field, RollKind};
use super::problems::{Problem, ProblemCode};
use super::values::{BirthDate, PaymentMethod, Sex};
use crate::domain::money::Money;
use crate::domain::national_id::NationalId;
use chrono::{Datelike, NaiveDate};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApprovalRow {
    pub line: u64,
    pub stt: Option<String>,
    /// NFC, trimmed, inner whitespace collapsed to single spaces.
    pub full_name: String,
    pub date_of_birth: Option<BirthDate>,
    pub sex: Option<Sex>,
    pub national_id: NationalId,
    /// Five digits (zero-padded, with a warning, when Excel dropped leading zeros).
    pub commune_code: String,
    pub address: Option<String>,
    /// As written (NFC, trimmed): matched against the program's categories later.
    pub category: String,
    /// Greater than zero.
    pub amount: Money,
    pub decision_no: String,
    pub decision_date: NaiveDate,
    pub payment_method: Option<PaymentMethod>,
    pub bank_account: Option<String>,
    pub note: Option<String>,
}

/// One line of a payment roll (danh sách chi trả / bảng kê), syntax checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PaymentRow {
    pub line: u64,
    pub stt: Option<String>,
    pub national_id: NationalId,
    pub full_name: Option<String>,
    /// Greater than zero.
    pub amount: Money,
    pub paid_date: NaiveDate,
    pub payment_method: Option<PaymentMethod>,
    pub reference: String,
    pub decision_no: Option<String>,
    pub bank_account: Option<String>,
    pub note: Option<String>,
}

/// An accepted row and the warnings it raised (which do not reject it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Parsed<R> {
    pub row: R,
    pub warnings: Vec<Problem>,
}

/// Control totals declared by a totals row (`Tổng cộng`, `Cộng`, `Total`, …).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ControlTotals {
    pub line: u64,
    /// The label as written, e.g. `Tổng cộng` or `Cộng xã Long Đức` (a subtotal).
    pub label: String,
    /// Number of rows, when one can be read: the number in the STT cell, or a number in
    /// the label (`Tổng cộng: 7 người`).
    pub rows: Option<u64>,
    /// The amount column's value; `None` when that cell is empty.
    pub amount: Option<Money>,
    /// A subtotal of part of the roll (`Cộng xã Long Đức`, `Cộng phường 1`, `Cộng ấp …`),
    /// not the total of the whole roll.
    pub subtotal: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Record<R> {
    Row(Parsed<R>),
    Rejected {
        line: u64,
        /// Every error of the row (at least one).
        problems: Vec<Problem>,
        /// Warnings raised by the row's other fields.
        warnings: Vec<Problem>,
        /// The row's values as in the file, in file order, for the "rows to fix" list.
        raw: Vec<String>,
    },
    /// A totals row. A roll may carry subtotals (`subtotal: true`, per commune or hamlet)
    /// and a grand total; the last totals row with `subtotal: false` is the control total
    /// of the whole roll.
    Totals(ControlTotals),
    /// A line skipped on purpose; the problem says why (`code` is `column_numbers` or
    /// `after_totals`).
    Ignored(Problem),
}

/// What the header row told us.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HeaderReport {
    pub kind: RollKind,
    pub delimiter: char,
    pub had_bom: bool,
    /// 1-based line of the header row (lines above it are titles and are skipped).
    pub header_line: u64,
    /// Recognised columns in file order: (header as in the file, canonical field name).
    pub columns: Vec<(String, String)>,
    /// Named columns that were not recognised and are ignored.
    pub ignored_columns: Vec<String>,
}

pub(super) fn parse_approval(ctx: &mut RowCtx<'_>) -> Option<ApprovalRow> {
    let stt = ctx.free_text(Field::Stt);
    let full_name = ctx.name(Field::FullName, true);
    let date_of_birth = ctx.birth_date();
    let sex = ctx.sex();
    let national_id = ctx.national_id();
    let commune_code = ctx.commune_code();
    let address = ctx.free_text(Field::Address);
    let category = ctx.text(Field::Category, true);
    let amount = ctx.amount();
    let decision_no = ctx.text(Field::DecisionNo, true);
    let decision_date = ctx.date(Field::DecisionDate);
    let payment_method = ctx.payment_method();
    let bank_account = ctx.code_text(Field::BankAccount, false);
    let note = ctx.free_text(Field::Note);
    if let (Some(born), Some(decided)) = (date_of_birth, decision_date) {
        born_before_decision(ctx, born, decided);
    }
    if !ctx.problems.is_empty() {
        return None;
    }
    let (
        Some(full_name),
        Some(national_id),
        Some(commune_code),
        Some(category),
        Some(amount),
        Some(decision_no),
        Some(decision_date),
    ) = (
        full_name,
        national_id,
        commune_code,
        category,
        amount,
        decision_no,
        decision_date,
    )
    else {
        return None;
    };
    Some(ApprovalRow {
        line: ctx.line,
        stt,
        full_name,
        date_of_birth,
        sex,
        national_id,
        commune_code,
        address,
        category,
        amount,
        decision_no,
        decision_date,
        payment_method,
        bank_account,
        note,
    })
}

/// A person cannot be born after the decision that approves them.
fn born_before_decision(ctx: &mut RowCtx<'_>, born: BirthDate, decided: NaiveDate) {
    let after = match born {
        BirthDate::Full(date) => date > decided,
        BirthDate::YearOnly(year) => year > decided.year(),
    };
    if after {
        let value = ctx.columns.text(ctx.record, Field::DateOfBirth);
        ctx.error(
            Field::DateOfBirth,
            ProblemCode::BirthAfterDecision,
            value,
            format!(
                "the date of birth {born} is after the decision date {}",
                decided.format("%d/%m/%Y")
            ),
            format!(
                "ngày sinh {born} sau ngày quyết định {}",
                decided.format("%d/%m/%Y")
            ),
        );
    }
}

pub(super) fn parse_payment(ctx: &mut RowCtx<'_>) -> Option<PaymentRow> {
    let stt = ctx.free_text(Field::Stt);
    let national_id = ctx.national_id();
    let full_name = ctx.name(Field::FullName, false);
    let amount = ctx.amount();
    let paid_date = ctx.date(Field::PaidDate);
    let payment_method = ctx.payment_method();
    let reference = ctx.code_text(Field::Reference, true);
    let decision_no = ctx.text(Field::DecisionNo, false);
    let bank_account = ctx.code_text(Field::BankAccount, false);
    let note = ctx.free_text(Field::Note);
    if !ctx.problems.is_empty() {
        return None;
    }
    let (Some(national_id), Some(amount), Some(paid_date), Some(reference)) =
        (national_id, amount, paid_date, reference)
    else {
        return None;
    };
    Some(PaymentRow {
        line: ctx.line,
        stt,
        national_id,
        full_name,
        amount,
        paid_date,
        payment_method,
        reference,
        decision_no,
        bank_account,
        note,
    })
}

// Values
