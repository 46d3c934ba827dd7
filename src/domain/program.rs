//! Support programs (chính sách hỗ trợ): categories with amount rules, and
//! budgets per district, read from a TOML file the provincial office writes.

use super::admin_units::DistrictCode;
use super::money::Money;
use super::text::fold_key;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Limits on what a program file may declare.
pub const PROGRAM_CODE_LEN_MAX: usize = 32;
pub const CATEGORIES_MAX: usize = 64;

/// A code used inside account paths: ASCII letters, digits, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Code(String);

impl TryFrom<String> for Code {
    type Error = String;
    fn try_from(value: String) -> Result<Code, String> {
        Code::parse(&value)
    }
}

impl From<Code> for String {
    fn from(code: Code) -> String {
        code.0
    }
}

impl Code {
    pub fn parse(text: &str) -> Result<Code, String> {
        let text = text.trim();
        if text.is_empty() || text.len() > PROGRAM_CODE_LEN_MAX {
            return Err(format!(
                "code '{text}' must be 1 to {PROGRAM_CODE_LEN_MAX} characters"
            ));
        }
        if !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "code '{text}' may contain only ASCII letters, digits, '-' and '_'"
            ));
        }
        Ok(Code(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a category's amount is decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum AmountRule {
    Fixed { amount: i64 },
    Range { min: i64, max: i64 },
}

impl AmountRule {
    pub fn check(&self, amount: Money) -> Result<(), String> {
        match *self {
            AmountRule::Fixed { amount: fixed } if amount.dong() != fixed => Err(format!(
                "amount {} differs from the category's fixed amount {} / số tiền khác mức cố định",
                amount.format_vi(),
                Money::from_dong(fixed).format_vi()
            )),
            AmountRule::Range { min, max } if amount.dong() < min || amount.dong() > max => {
                Err(format!(
                    "amount {} is outside the category's range {}–{} / số tiền ngoài mức quy định",
                    amount.format_vi(),
                    Money::from_dong(min).format_vi(),
                    Money::from_dong(max).format_vi()
                ))
            }
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Category {
    #[schema(value_type = String)]
    pub code: Code,
    pub name: String,
    pub rule: AmountRule,
}

/// Which sentence of the directive footnote a program's figures belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FootnoteGroup {
    /// "đã phê duyệt hỗ trợ cho N đối tượng với tổng kinh phí X tỷ đồng"
    #[default]
    Support,
    /// "hỗ trợ tiền ăn cho người dân ... trong thời gian cách ly với kinh phí X tỷ đồng"
    FoodSupport,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Program {
    #[schema(value_type = String)]
    pub code: Code,
    pub name: String,
    pub legal_basis: String,
    pub footnote: FootnoteGroup,
    pub categories: Vec<Category>,
    /// Whole đồng per district code.
    #[schema(value_type = BTreeMap<String, i64>)]
    pub budgets: BTreeMap<DistrictCode, Money>,
    /// Effective date of the budget allocation (`allocated_on = "2021-07-01"`).
    #[schema(value_type = Option<String>, format = Date)]
    pub allocated_on: Option<chrono::NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProgramFile {
    code: String,
    name: String,
    legal_basis: String,
    #[serde(default)]
    footnote: FootnoteGroup,
    categories: Vec<CategoryFile>,
    #[serde(default)]
    budgets: BTreeMap<String, i64>,
    allocated_on: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryFile {
    code: String,
    name: String,
    amount: Option<i64>,
    min_amount: Option<i64>,
    max_amount: Option<i64>,
}

impl Program {
    /// Parses a program file; every problem names the field it is in.
    pub fn from_toml(text: &str) -> Result<Program, String> {
        let file: ProgramFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let code = Code::parse(&file.code)?;
        if file.categories.is_empty() || file.categories.len() > CATEGORIES_MAX {
            return Err(format!(
                "a program needs 1 to {CATEGORIES_MAX} [[categories]]"
            ));
        }
        let mut categories = Vec::with_capacity(file.categories.len());
        for category in file.categories {
            let rule = match (category.amount, category.min_amount, category.max_amount) {
                (Some(amount), None, None) if amount > 0 => AmountRule::Fixed { amount },
                (None, Some(min), Some(max)) if 0 < min && min <= max => {
                    AmountRule::Range { min, max }
                }
                _ => {
                    return Err(format!(
                        "category '{}': give either amount = N, or min_amount and max_amount (0 < min ≤ max)",
                        category.code
                    ))
                }
            };
            for amount in [category.amount, category.min_amount, category.max_amount]
                .into_iter()
                .flatten()
            {
                Money::from_decimal(amount.into())
                    .map_err(|e| format!("category '{}': {e}", category.code))?;
            }
            categories.push(Category {
                code: Code::parse(&category.code)?,
                name: category.name,
                rule,
            });
        }
        let mut seen = std::collections::HashSet::new();
        for category in &categories {
            if !seen.insert(category.code.clone()) {
                return Err(format!("category '{}' is declared twice", category.code));
            }
        }
        let mut budgets = BTreeMap::new();
        for (district, amount) in file.budgets {
            let district = DistrictCode::parse(&district).map_err(|e| format!("budgets: {e}"))?;
            let amount = Money::from_decimal(amount.into())
                .map_err(|e| format!("budgets.{district}: {e}"))?;
            if amount.is_negative() {
                return Err(format!("budgets.{district}: a budget cannot be negative"));
            }
            budgets.insert(district, amount);
        }
        let allocated_on = file
            .allocated_on
            .map(|text| {
                chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                    .map_err(|_| format!("allocated_on: '{text}' is not YYYY-MM-DD"))
            })
            .transpose()?;
        Ok(Program {
            allocated_on,
            code,
            name: file.name,
            legal_basis: file.legal_basis,
            footnote: file.footnote,
            categories,
            budgets,
        })
    }

    /// Finds a category by its code or its name, ignoring case and diacritics.
    pub fn category(&self, text: &str) -> Option<&Category> {
        let key = fold_key(text);
        self.categories
            .iter()
            .find(|c| fold_key(c.code.as_str()) == key || fold_key(&c.name) == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
code = "NQ68"
name = "Hỗ trợ theo Nghị quyết 68/NQ-CP"
legal_basis = "Nghị quyết 68/NQ-CP ngày 01/7/2021"
[[categories]]
code = "tu-do"
name = "Lao động tự do"
amount = 1500000
[[categories]]
code = "ngung-viec"
name = "Người lao động ngừng việc"
min_amount = 1855000
max_amount = 3710000
[budgets]
"842" = 1000000000
"#;

    #[test]
    fn parses_program_file() {
        let program = Program::from_toml(SAMPLE).unwrap();
        assert_eq!(program.code.as_str(), "NQ68");
        assert_eq!(program.categories.len(), 2);
        assert_eq!(
            program.category("LAO DONG TU DO").unwrap().code.as_str(),
            "tu-do"
        );
        assert_eq!(
            program.category("ngung-viec").unwrap().name,
            "Người lao động ngừng việc"
        );
        let budget = program.budgets[&DistrictCode::parse("842").unwrap()];
        assert_eq!(budget, Money::from_dong(1_000_000_000));
    }

    #[test]
    fn amount_rules() {
        let program = Program::from_toml(SAMPLE).unwrap();
        let fixed = &program.categories[0].rule;
        assert!(fixed.check(Money::from_dong(1_500_000)).is_ok());
        assert!(fixed.check(Money::from_dong(1_400_000)).is_err());
        let range = &program.categories[1].rule;
        assert!(range.check(Money::from_dong(2_000_000)).is_ok());
        assert!(range.check(Money::from_dong(4_000_000)).is_err());
    }

    #[test]
    fn refuses_bad_files() {
        assert!(Program::from_toml(&SAMPLE.replace("NQ68", "NQ 68")).is_err());
        assert!(Program::from_toml(&SAMPLE.replace("\"842\"", "\"999\"")).is_err());
        assert!(Program::from_toml(&SAMPLE.replace("amount = 1500000", "")).is_err());
    }
}
