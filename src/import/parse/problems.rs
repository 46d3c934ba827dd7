//! What is wrong with a row, and where: [`Problem`], and [`ProblemCode`], the stable,
//! machine-readable name of every problem the importer reports, from the parser's syntax
//! checks to the row rules and the ledger checks of the later stages.

use super::fields::Field;
use std::fmt;

/// One problem, pointing at the exact place: `line` is the 1-based physical line where the
/// record starts (newlines inside quoted fields are counted); `column` is the header text
/// as it appears in the file (whitespace collapsed), or the canonical field name when the
/// column is missing; `column_index` is 1-based, `None` when the problem concerns the whole
/// row. `code` is stable and machine-readable (for grouping in reports).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub line: u64,
    pub column: Option<String>,
    pub column_index: Option<usize>,
    pub field: Option<Field>,
    pub value: Option<String>,
    pub code: ProblemCode,
    pub reason_en: String,
    pub reason_vi: String,
}

impl Problem {
    /// A problem about a whole row (no column).
    pub fn row(line: u64, code: ProblemCode, reason_en: String, reason_vi: String) -> Problem {
        Problem {
            line,
            column: None,
            column_index: None,
            field: None,
            value: None,
            code,
            reason_en,
            reason_vi,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dòng/line {}", self.line)?;
        if let Some(column) = &self.column {
            write!(f, ", cột/column '{column}'")?;
        }
        if let Some(value) = &self.value {
            write!(f, ", giá trị/value '{value}'")?;
        }
        write!(f, ": {} / {}", self.reason_vi, self.reason_en)
    }
}

/// The stable name of a problem, as stored in import reports (`snake_case`, e.g.
/// `national_id_leading_zero`). Reports stored by every earlier version use only these
/// names; an unknown name does not load.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    // Lines the parser skips on purpose, and whole-row problems.
    ColumnNumbers,
    AfterTotals,
    AfterTotalsRow,
    TotalsAmount,
    ExtraValues,
    UnclosedQuote,
    UnreadableRow,
    TooLong,
    MissingValue,
    TooFewValues,
    // Values.
    NameHasDigits,
    NameNoLetters,
    NameNormalized,
    NameFormula,
    NationalIdSpaces,
    NationalIdScientific,
    NationalIdLeadingZero,
    NationalIdLength,
    NationalIdNotDigits,
    NationalIdProvince,
    CommuneCode,
    CommuneCodePadded,
    AmountZero,
    AmountFractional,
    AmountNegative,
    AmountTooLarge,
    AmountNotANumber,
    DateFormat,
    DateYearOnly,
    DateTwoDigitYear,
    DateExcelSerial,
    DateYearRange,
    DateMonth,
    DateImpossible,
    BirthAfterDecision,
    Sex,
    PaymentMethod,
    ScientificNotation,
    BankAccount,
    // Row rules (program and district).
    CommuneOutsideDistrict,
    UnknownCategory,
    AmountRule,
    // Against the file and the ledger.
    DuplicateInFile,
    DuplicateApproval,
    DuplicatePayment,
    PaidWithoutApproval,
    Overpaid,
}

impl ProblemCode {
    /// Every code, in declaration order.
    pub const ALL: [ProblemCode; 47] = {
        use ProblemCode::*;
        [
            ColumnNumbers,
            AfterTotals,
            AfterTotalsRow,
            TotalsAmount,
            ExtraValues,
            UnclosedQuote,
            UnreadableRow,
            TooLong,
            MissingValue,
            TooFewValues,
            NameHasDigits,
            NameNoLetters,
            NameNormalized,
            NameFormula,
            NationalIdSpaces,
            NationalIdScientific,
            NationalIdLeadingZero,
            NationalIdLength,
            NationalIdNotDigits,
            NationalIdProvince,
            CommuneCode,
            CommuneCodePadded,
            AmountZero,
            AmountFractional,
            AmountNegative,
            AmountTooLarge,
            AmountNotANumber,
            DateFormat,
            DateYearOnly,
            DateTwoDigitYear,
            DateExcelSerial,
            DateYearRange,
            DateMonth,
            DateImpossible,
            BirthAfterDecision,
            Sex,
            PaymentMethod,
            ScientificNotation,
            BankAccount,
            CommuneOutsideDistrict,
            UnknownCategory,
            AmountRule,
            DuplicateInFile,
            DuplicateApproval,
            DuplicatePayment,
            PaidWithoutApproval,
            Overpaid,
        ]
    };

    /// The stored name (the same as serde's).
    pub fn as_str(self) -> &'static str {
        use ProblemCode::*;
        match self {
            ColumnNumbers => "column_numbers",
            AfterTotals => "after_totals",
            AfterTotalsRow => "after_totals_row",
            TotalsAmount => "totals_amount",
            ExtraValues => "extra_values",
            UnclosedQuote => "unclosed_quote",
            UnreadableRow => "unreadable_row",
            TooLong => "too_long",
            MissingValue => "missing_value",
            TooFewValues => "too_few_values",
            NameHasDigits => "name_has_digits",
            NameNoLetters => "name_no_letters",
            NameNormalized => "name_normalized",
            NameFormula => "name_formula",
            NationalIdSpaces => "national_id_spaces",
            NationalIdScientific => "national_id_scientific",
            NationalIdLeadingZero => "national_id_leading_zero",
            NationalIdLength => "national_id_length",
            NationalIdNotDigits => "national_id_not_digits",
            NationalIdProvince => "national_id_province",
            CommuneCode => "commune_code",
            CommuneCodePadded => "commune_code_padded",
            AmountZero => "amount_zero",
            AmountFractional => "amount_fractional",
            AmountNegative => "amount_negative",
            AmountTooLarge => "amount_too_large",
            AmountNotANumber => "amount_not_a_number",
            DateFormat => "date_format",
            DateYearOnly => "date_year_only",
            DateTwoDigitYear => "date_two_digit_year",
            DateExcelSerial => "date_excel_serial",
            DateYearRange => "date_year_range",
            DateMonth => "date_month",
            DateImpossible => "date_impossible",
            BirthAfterDecision => "birth_after_decision",
            Sex => "sex",
            PaymentMethod => "payment_method",
            ScientificNotation => "scientific_notation",
            BankAccount => "bank_account",
            CommuneOutsideDistrict => "commune_outside_district",
            UnknownCategory => "unknown_category",
            AmountRule => "amount_rule",
            DuplicateInFile => "duplicate_in_file",
            DuplicateApproval => "duplicate_approval",
            DuplicatePayment => "duplicate_payment",
            PaidWithoutApproval => "paid_without_approval",
            Overpaid => "overpaid",
        }
    }
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for ProblemCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ProblemCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}
