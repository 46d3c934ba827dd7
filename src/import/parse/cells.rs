//! Reading the cells of one record into typed values: [`RowCtx`] finds each field's cell,
//! checks the record's shape (values past the header, over-long values, unclosed quotes)
//! and records every problem and warning of the row, each with its line, column and
//! value, in English and Vietnamese.

use super::errors::Reason;
use super::fields::Field;
use super::header::Columns;
use super::problems::{Problem, ProblemCode};
use super::text_record::TextRecord;
use super::values::{
    clean_text, is_too_long, looks_scientific, parse_birth_date, parse_date, parse_money, shown,
    BirthDate, DateError, PaymentMethod, Sex,
};
use super::FIELD_CHARS_MAX;
use crate::domain::money::{Money, MoneyError};
use crate::domain::national_id::{NationalId, NationalIdError};
use chrono::NaiveDate;

enum Cell<'r> {
    Absent,
    Empty,
    TooLong,
    Value(&'r str),
}

/// One record being parsed: finds fields, records problems and warnings.
pub(super) struct RowCtx<'r> {
    pub(super) record: &'r TextRecord,
    pub(super) columns: &'r Columns,
    pub(super) line: u64,
    pub(super) problems: Vec<Problem>,
    pub(super) warnings: Vec<Problem>,
    /// See [`super::Roll::without_free_text`].
    pub(super) keep_free_text: bool,
    /// Required columns past the end of a row shorter than the header: named
    /// together by [`RowCtx::check_short_row`] instead of one problem each.
    pub(super) missing_past_end: Vec<String>,
}

impl<'r> RowCtx<'r> {
    fn cell(&self, field: Field) -> Cell<'r> {
        let Some(index) = self.columns.index(field) else {
            return Cell::Absent;
        };
        let value = self.record.get(index).unwrap_or("").trim();
        if value.is_empty() {
            Cell::Empty
        } else if is_too_long(value) {
            Cell::TooLong
        } else {
            Cell::Value(value)
        }
    }

    fn problem(
        &self,
        field: Field,
        code: ProblemCode,
        value: Option<&str>,
        en: String,
        vi: String,
    ) -> Problem {
        let index = self.columns.index(field);
        Problem {
            line: self.line,
            column: Some(self.columns.header_of(field)),
            column_index: index.map(|i| i + 1),
            field: Some(field),
            value: value.map(shown),
            code,
            reason_en: en,
            reason_vi: vi,
        }
    }

    pub(super) fn error(
        &mut self,
        field: Field,
        code: ProblemCode,
        value: &str,
        en: String,
        vi: String,
    ) {
        let problem = self.problem(field, code, Some(value), en, vi);
        self.problems.push(problem);
    }

    fn warn(&mut self, field: Field, code: ProblemCode, value: &str, en: String, vi: String) {
        let problem = self.problem(field, code, Some(value), en, vi);
        self.warnings.push(problem);
    }

    fn missing(&mut self, field: Field) {
        let header = self.columns.header_of(field);
        if self
            .columns
            .index(field)
            .is_some_and(|index| index >= self.record.len())
        {
            self.missing_past_end.push(header);
            return;
        }
        let problem = self.problem(
            field,
            ProblemCode::MissingValue,
            None,
            format!("missing value: '{header}' is required"),
            format!("thiếu giá trị: cột '{header}' bắt buộc phải có"),
        );
        self.problems.push(problem);
    }

    /// Record-level checks: over-long values in recognised columns, values past the header.
    pub(super) fn check_shape(&mut self) {
        let all = self.record.as_slice();
        let width = self.columns.width;
        if self.record.len() > width && self.record.iter().skip(width).any(|v| !v.trim().is_empty())
        {
            self.extra_values();
        }
        if all.len() > FIELD_CHARS_MAX {
            self.check_lengths();
        }
        if all.as_bytes().contains(&b'\n') || all.as_bytes().contains(&b'\r') {
            self.check_line_breaks();
        }
    }

    fn check_lengths(&mut self) {
        for field in Field::ALL_SLOTS {
            let Some(index) = self.columns.index(field) else {
                continue;
            };
            let value = self.record.get(index).unwrap_or("").trim();
            if is_too_long(value) {
                let chars = value.chars().count();
                let multiline = value.contains('\n') || value.contains('\r');
                let (hint_en, hint_vi) = if multiline {
                    (
                        "; it spans several lines: a quotation mark (\") is probably not closed",
                        "; giá trị kéo dài nhiều dòng: có thể thiếu dấu ngoặc kép (\") đóng",
                    )
                } else {
                    ("", "")
                };
                self.error(
                    field,
                    ProblemCode::TooLong,
                    value,
                    format!(
                        "the value has {chars} characters; the limit is {FIELD_CHARS_MAX}{hint_en}"
                    ),
                    format!(
                        "giá trị dài {chars} ký tự, vượt giới hạn {FIELD_CHARS_MAX} ký tự{hint_vi}"
                    ),
                );
            }
        }
    }

    fn check_line_breaks(&mut self) {
        let width = self.columns.width;
        // An opening quote that is never closed swallows the following lines into one
        // value; short swallows stay under FIELD_CHARS_MAX, so look for whole rows inside.
        let delimiter = self.columns.delimiter;
        for (index, value) in self.record.iter().enumerate() {
            if width > 2
                && (value.contains('\n') || value.contains('\r'))
                && value.chars().filter(|&c| c == delimiter).count() + 1 >= width
            {
                let column = self.columns.headers.get(index).cloned();
                self.problems.push(Problem {
                    line: self.line,
                    column,
                    column_index: Some(index + 1),
                    field: None,
                    value: Some(shown(value)),
                    code: ProblemCode::UnclosedQuote,
                    reason_en: "this value runs over several lines that look like whole rows: a quotation mark (\") \
                                is probably not closed, and the rows after it were read as part of this value"
                        .to_string(),
                    reason_vi: "giá trị này kéo dài qua nhiều dòng trông như các dòng dữ liệu: có thể thiếu dấu ngoặc \
                                kép (\") đóng, nên các dòng sau bị đọc gộp vào giá trị này"
                        .to_string(),
                });
            }
        }
    }

    /// Fewer values than header columns (a hand-edited file, a line broken
    /// outside quotes): one problem naming the required columns the row does
    /// not reach, or, when it reaches them all, a warning (the values at the
    /// end were read as empty).
    pub(super) fn check_short_row(&mut self) {
        let values = self.record.len();
        let width = self.columns.width;
        if values >= width {
            return;
        }
        let head_en = format!("this row has {values} values where the header has {width} columns");
        let head_vi = format!("dòng này có {values} giá trị trong khi dòng tiêu đề có {width} cột");
        if self.missing_past_end.is_empty() {
            self.warnings.push(Problem::row(
                self.line,
                ProblemCode::TooFewValues,
                format!("{head_en}: the missing values at the end were read as empty"),
                format!("{head_vi}: các giá trị thiếu ở cuối dòng được coi là để trống"),
            ));
            return;
        }
        let missing = self
            .missing_past_end
            .iter()
            .map(|h| format!("'{h}'"))
            .collect::<Vec<_>>()
            .join(", ");
        self.problems.push(Problem::row(
            self.line,
            ProblemCode::TooFewValues,
            format!(
                "{head_en}, so it has no {missing}: was a line broken, or were values left out? Check the row against the header"
            ),
            format!(
                "{head_vi}, nên không có {missing}: dòng bị ngắt xuống dòng, hay thiếu giá trị? Hãy đối chiếu dòng này với dòng tiêu đề"
            ),
        ));
    }

    /// More values than header columns: an unquoted delimiter inside a value.
    pub(super) fn extra_values(&mut self) {
        if self
            .problems
            .iter()
            .any(|p| p.code == ProblemCode::ExtraValues)
        {
            return;
        }
        let values = self.record.len();
        let width = self.columns.width;
        let d = match self.columns.delimiter {
            '\t' => "tab".to_string(),
            other => other.to_string(),
        };
        self.problems.push(Problem::row(
            self.line,
            ProblemCode::ExtraValues,
            format!(
                "the row has {values} values but the header has {width} columns: a value probably contains \
                 the delimiter '{d}' without quotes, which shifts the columns after it"
            ),
            format!(
                "dòng có {values} giá trị nhưng tiêu đề chỉ có {width} cột: có thể một giá trị chứa dấu phân \
                 cách '{d}' mà không đặt trong ngoặc kép, làm lệch các cột sau nó"
            ),
        ));
    }

    fn required(&mut self, field: Field) -> Option<&'r str> {
        match self.cell(field) {
            Cell::Value(value) => Some(value),
            Cell::Empty | Cell::Absent => {
                self.missing(field);
                None
            }
            Cell::TooLong => None,
        }
    }

    fn optional(&self, field: Field) -> Option<&'r str> {
        match self.cell(field) {
            Cell::Value(value) => Some(value),
            _ => None,
        }
    }

    /// Optional free text that no rule reads (row number, address, note):
    /// cleaned like [`RowCtx::text`], or not read at all when not kept.
    pub(super) fn free_text(&mut self, field: Field) -> Option<String> {
        if self.keep_free_text {
            self.text(field, false)
        } else {
            None
        }
    }

    /// Free text: NFC, whitespace collapsed.
    pub(super) fn text(&mut self, field: Field, required: bool) -> Option<String> {
        let value = if required {
            self.required(field)?
        } else {
            self.optional(field)?
        };
        Some(clean_text(value).0)
    }

    /// A person's name: free text that must contain letters and no digits.
    pub(super) fn name(&mut self, field: Field, required: bool) -> Option<String> {
        let value = if required {
            self.required(field)?
        } else {
            self.optional(field)?
        };
        let doubt = if value.bytes().any(|b| b.is_ascii_digit()) {
            Some((
                ProblemCode::NameHasDigits,
                "a name cannot contain digits: are the columns shifted?",
                "họ tên không được chứa chữ số: các cột có bị lệch không?",
            ))
        } else if !value.chars().any(char::is_alphabetic) {
            Some((
                ProblemCode::NameNoLetters,
                "a name must contain letters",
                "họ tên phải có chữ cái",
            ))
        } else {
            None
        };
        if let Some((code, en, vi)) = doubt {
            if required {
                self.error(field, code, value, en.to_string(), vi.to_string());
                return None;
            }
            // An optional name (payment rolls match by national ID) only raises a warning.
            self.warn(field, code, value, en.to_string(), vi.to_string());
        }
        if value.starts_with(['=', '+', '-', '@']) {
            self.warn(
                field,
                ProblemCode::NameFormula,
                value,
                "the name starts with =, +, - or @, as a spreadsheet formula does: check it; every CSV that ansinh writes puts an apostrophe (') before it so that no spreadsheet runs it".to_string(),
                "họ tên bắt đầu bằng =, +, - hoặc @ như một công thức bảng tính: hãy kiểm tra lại; mọi tệp CSV do ansinh xuất ra đều thêm dấu nháy (') phía trước để bảng tính không chạy công thức".to_string(),
            );
        }
        let (name, normalised) = clean_text(value);
        if normalised {
            self.warn(
                field,
                ProblemCode::NameNormalized,
                value,
                "the name was in decomposed Unicode (NFD, as macOS exports) and was normalised to NFC".to_string(),
                "họ tên ở dạng Unicode tổ hợp (NFD, thường do máy Mac xuất ra) đã được chuẩn hoá về dạng dựng sẵn (NFC)"
                    .to_string(),
            );
        }
        Some(name)
    }

    pub(super) fn national_id(&mut self) -> Option<NationalId> {
        let field = Field::NationalId;
        let value = self.required(field)?;
        match NationalId::parse_lenient(value) {
            Ok(parsed) => {
                if parsed.had_spaces {
                    let id = parsed.id.as_str();
                    self.warn(
                        field,
                        ProblemCode::NationalIdSpaces,
                        value,
                        format!("spaces (or dots, dashes) were removed from the national ID: read as {id}"),
                        format!("đã bỏ dấu cách (hoặc dấu chấm, gạch) trong số CCCD/CMND: đọc là {id}"),
                    );
                }
                Some(parsed.id)
            }
            Err(error) => {
                let code = match error {
                    NationalIdError::Empty => ProblemCode::MissingValue,
                    NationalIdError::ScientificNotation(_) => ProblemCode::NationalIdScientific,
                    NationalIdError::LeadingZeroDropped(_) => ProblemCode::NationalIdLeadingZero,
                    NationalIdError::WrongLength(_) => ProblemCode::NationalIdLength,
                    NationalIdError::NotDigits(_) => ProblemCode::NationalIdNotDigits,
                    NationalIdError::UnknownProvince { .. } => ProblemCode::NationalIdProvince,
                };
                self.error(field, code, value, error.reason_en(), error.reason_vi());
                None
            }
        }
    }

    #[inline]
    pub(super) fn commune_code(&mut self) -> Option<String> {
        let field = Field::CommuneCode;
        let value = self.required(field)?;
        let digits = value.trim_start_matches('\'').trim();
        if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            self.error(
                field,
                ProblemCode::CommuneCode,
                value,
                format!("'{value}' is not a commune code: GSO commune codes have 5 digits (for example 29236)"),
                format!(
                    "'{value}' không phải mã xã: mã xã theo danh mục của Tổng cục Thống kê gồm 5 chữ số (ví dụ 29236)"
                ),
            );
            return None;
        }
        if digits.len() < 5 {
            let padded = format!("{digits:0>5}");
            self.warn(
                field,
                ProblemCode::CommuneCodePadded,
                value,
                format!(
                    "commune code '{value}' was read as {padded}: Excel dropped the leading zero(s); format the column as Text"
                ),
                format!(
                    "mã xã '{value}' được đọc là {padded}: Excel đã bỏ số 0 ở đầu; hãy định dạng cột là Văn bản (Text)"
                ),
            );
            return Some(padded);
        }
        Some(digits.to_string())
    }

    pub(super) fn amount(&mut self) -> Option<Money> {
        let field = Field::Amount;
        let value = self.required(field)?;
        match parse_money(value) {
            Ok(amount) if amount.is_zero() => {
                self.error(
                    field,
                    ProblemCode::AmountZero,
                    value,
                    "the amount is zero".to_string(),
                    "số tiền bằng 0".to_string(),
                );
                None
            }
            Ok(amount) => Some(amount),
            Err(error) => {
                let code = match error {
                    MoneyError::Fractional(_) => ProblemCode::AmountFractional,
                    MoneyError::Negative(_) => ProblemCode::AmountNegative,
                    MoneyError::TooLarge(_) | MoneyError::Overflow => ProblemCode::AmountTooLarge,
                    MoneyError::Empty | MoneyError::NotANumber(_) => ProblemCode::AmountNotANumber,
                };
                self.error(field, code, value, error.reason_en(), error.reason_vi());
                None
            }
        }
    }

    /// A full date (decision date, paid date).
    pub(super) fn date(&mut self, field: Field) -> Option<NaiveDate> {
        let value = self.required(field)?;
        match parse_date(value) {
            Ok(date) => Some(date),
            Err(error) => {
                self.date_error(field, value, error);
                None
            }
        }
    }

    #[inline]
    pub(super) fn birth_date(&mut self) -> Option<BirthDate> {
        let field = Field::DateOfBirth;
        let value = self.optional(field)?;
        match parse_birth_date(value) {
            Ok(date) => Some(date),
            Err(error) => {
                self.date_error(field, value, error);
                None
            }
        }
    }

    fn date_error(&mut self, field: Field, value: &str, error: DateError) {
        let (code, Reason { en, vi }) = error.reason(value);
        self.error(field, code, value, en, vi);
    }

    #[inline]
    pub(super) fn sex(&mut self) -> Option<Sex> {
        let field = Field::Sex;
        let value = self.optional(field)?;
        let sex = Sex::parse(value);
        if sex.is_none() {
            self.error(
                field,
                ProblemCode::Sex,
                value,
                format!("'{value}' is not a sex: write Nam or Nữ (male or female)"),
                format!("'{value}' không phải giới tính: ghi Nam hoặc Nữ"),
            );
        }
        sex
    }

    pub(super) fn payment_method(&mut self) -> Option<PaymentMethod> {
        let field = Field::PaymentMethod;
        let value = self.optional(field)?;
        let method = PaymentMethod::parse(value);
        if method.is_none() {
            self.error(
                field,
                ProblemCode::PaymentMethod,
                value,
                format!(
                    "'{value}' is not a payment method: write tiền mặt (cash), chuyển khoản (bank transfer) or bưu điện (post)"
                ),
                format!("'{value}' không phải hình thức chi trả: ghi tiền mặt, chuyển khoản hoặc bưu điện"),
            );
        }
        method
    }

    /// Account numbers and transaction references: no spreadsheet damage, plain characters.
    pub(super) fn code_text(&mut self, field: Field, required: bool) -> Option<String> {
        let value = if required {
            self.required(field)?
        } else {
            self.optional(field)?
        };
        let value = value.trim_start_matches('\'').trim();
        if looks_scientific(value) {
            let header = self.columns.header_of(field);
            self.error(
                field,
                ProblemCode::ScientificNotation,
                value,
                format!(
                    "'{value}' in '{header}' is in scientific notation: Excel turned it into a number and lost digits; \
                     format the column as Text and re-enter it"
                ),
                format!(
                    "'{value}' ở cột '{header}' bị Excel đổi sang dạng số mũ và đã mất chữ số; \
                     hãy định dạng cột là Văn bản (Text) rồi nhập lại"
                ),
            );
            return None;
        }
        if field == Field::BankAccount
            && !value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b' ' | b'-' | b'.'))
        {
            self.error(
                field,
                ProblemCode::BankAccount,
                value,
                format!("'{value}' is not a bank account number: use only digits, letters, spaces and dashes"),
                format!("'{value}' không phải số tài khoản: chỉ gồm chữ số, chữ cái, dấu cách và dấu gạch"),
            );
            return None;
        }
        Some(clean_text(value).0)
    }
}
