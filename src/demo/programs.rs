//! The three demo programs: categories with their legal amounts, the realistic
//! mix of beneficiaries among them, and the program files (TOML) they become.

use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

pub const NQ68: usize = 0;
pub const NQ116: usize = 1;
pub const FOOD: usize = 2;

/// Category indices inside NQ68 that the total-fitting step swaps between.
pub const NQ68_TU_DO: u8 = 0;
pub const NQ68_NGUNG_VIEC: u8 = 2;

/// Food support is paid per day of quarantine.
pub const FOOD_PER_DAY: i64 = 80_000;
pub const FOOD_DAYS_MIN: u32 = 7;
pub const FOOD_DAYS_MAX: u32 = 28;

#[derive(Clone, Copy)]
pub enum Rule {
    Fixed(i64),
    Range(i64, i64),
}

impl Rule {
    pub fn allows(self, amount: i64) -> bool {
        match self {
            Rule::Fixed(fixed) => amount == fixed,
            Rule::Range(min, max) => (min..=max).contains(&amount),
        }
    }
}

pub struct CategorySpec {
    pub code: &'static str,
    pub name: &'static str,
    pub rule: Rule,
    /// Share of the program's beneficiaries, per 10 000.
    pub weight: u32,
    /// The amounts people really get (the legal levels), with relative weights.
    pub levels: &'static [(i64, u32)],
    /// Birth years of the people in this category.
    pub born: (u16, u16),
    /// Typical remarks an officer writes in the `Ghi chú` column.
    pub notes: &'static [&'static str],
}

impl CategorySpec {
    pub fn typical_amount(&self) -> i64 {
        self.levels[0].0
    }
}

pub struct ProgramSpec {
    pub code: &'static str,
    pub name: &'static str,
    pub legal_basis: &'static str,
    pub footnote: &'static str,
    pub categories: &'static [CategorySpec],
    /// Decisions of the main rolls are dated inside this window (all before 25/11/2021).
    pub decision_window: (NaiveDate, NaiveDate),
    pub decisions_per_roll: usize,
}

impl ProgramSpec {
    pub fn is_support(&self) -> bool {
        self.footnote == "support"
    }

    pub fn category_weights(&self) -> Vec<u32> {
        self.categories.iter().map(|c| c.weight).collect()
    }
}

/// A date for constants only: an invalid date then fails the build, not a run.
pub const fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => panic!("invalid constant date"),
    }
}

const NQ116_LEVELS_ACTIVE: &[(i64, u32)] = &[
    (1_800_000, 35),
    (2_100_000, 40),
    (2_650_000, 12),
    (2_900_000, 6),
    (3_200_000, 4),
    (3_300_000, 3),
];
const NQ116_LEVELS_STOPPED: &[(i64, u32)] = &[
    (1_800_000, 50),
    (2_100_000, 35),
    (2_650_000, 8),
    (2_900_000, 4),
    (3_200_000, 2),
    (3_300_000, 1),
];

pub static PROGRAMS: [ProgramSpec; 3] = [
    ProgramSpec {
        code: "NQ68",
        name: "Hỗ trợ người lao động và người sử dụng lao động gặp khó khăn do đại dịch Covid-19",
        legal_basis: "Nghị quyết số 68/NQ-CP ngày 01/7/2021 của Chính phủ; Quyết định số 23/2021/QĐ-TTg ngày 07/7/2021 của Thủ tướng Chính phủ",
        footnote: "support",
        categories: &[
            // Order matters: NQ68_TU_DO and NQ68_NGUNG_VIEC index this list.
            CategorySpec {
                code: "tu-do",
                name: "Lao động không có giao kết HĐLĐ (lao động tự do)",
                rule: Rule::Fixed(1_500_000),
                weight: 6_712,
                levels: &[(1_500_000, 1)],
                born: (1956, 2001),
                notes: &[
                    "Bán vé số dạo", "Bán hàng rong", "Chạy xe ôm", "Phụ hồ", "Bốc vác",
                    "Làm thuê thời vụ", "Bán hàng ăn uống", "Thu gom ve chai", "Cắt tóc",
                    "Giúp việc nhà", "Hộ nghèo", "Hộ cận nghèo", "", "", "", "",
                ],
            },
            CategorySpec {
                code: "tre-em",
                name: "Trẻ em điều trị/cách ly y tế do Covid-19",
                rule: Rule::Fixed(1_000_000),
                weight: 1_800,
                levels: &[(1_000_000, 1)],
                born: (2006, 2020),
                notes: &["Điều trị Covid-19", "Cách ly y tế tập trung", "Cách ly tại nhà (F1)", ""],
            },
            CategorySpec {
                code: "ngung-viec",
                name: "Người lao động ngừng việc",
                rule: Rule::Fixed(1_000_000),
                weight: 805,
                levels: &[(1_000_000, 1)],
                born: (1966, 2003),
                notes: &["Cách ly y tế từ 14 ngày", "Cơ sở tạm dừng hoạt động theo yêu cầu", ""],
            },
            CategorySpec {
                code: "tam-hoan-hdld",
                name: "Người lao động tạm hoãn HĐLĐ, nghỉ việc không lương",
                rule: Rule::Range(1_855_000, 3_710_000),
                weight: 500,
                levels: &[(1_855_000, 60), (2_855_000, 5), (3_710_000, 35)],
                born: (1966, 2003),
                notes: &["Tạm hoãn HĐLĐ", "Nghỉ việc không hưởng lương", ""],
            },
            CategorySpec {
                code: "ho-kinh-doanh",
                name: "Hộ kinh doanh tạm ngừng kinh doanh",
                rule: Rule::Fixed(3_000_000),
                weight: 170,
                levels: &[(3_000_000, 1)],
                born: (1955, 1995),
                notes: &["Tạm ngừng kinh doanh từ 15 ngày", "Có đăng ký kinh doanh, có mã số thuế", ""],
            },
            CategorySpec {
                code: "nghe-thuat",
                name: "Viên chức, người lao động hoạt động nghệ thuật",
                rule: Rule::Fixed(3_710_000),
                weight: 10,
                levels: &[(3_710_000, 1)],
                born: (1965, 1998),
                notes: &["Đoàn Nghệ thuật Khmer Ánh Bình Minh", "Trung tâm Văn hóa tỉnh"],
            },
            CategorySpec {
                code: "huong-dan-vien",
                name: "Hướng dẫn viên du lịch",
                rule: Rule::Fixed(3_710_000),
                weight: 3,
                levels: &[(3_710_000, 1)],
                born: (1970, 1998),
                notes: &["Thẻ hướng dẫn viên nội địa", "Thẻ hướng dẫn viên tại điểm"],
            },
        ],
        decision_window: (ymd(2021, 8, 5), ymd(2021, 11, 19)),
        decisions_per_roll: 5,
    },
    ProgramSpec {
        code: "NQ116",
        name: "Hỗ trợ người lao động bị ảnh hưởng bởi đại dịch Covid-19 từ Quỹ bảo hiểm thất nghiệp",
        legal_basis: "Nghị quyết số 116/NQ-CP ngày 24/9/2021 của Chính phủ; Quyết định số 28/2021/QĐ-TTg ngày 01/10/2021 của Thủ tướng Chính phủ",
        footnote: "support",
        categories: &[
            CategorySpec {
                code: "dang-tham-gia",
                name: "Người lao động đang tham gia bảo hiểm thất nghiệp",
                rule: Rule::Range(1_800_000, 3_300_000),
                weight: 7_000,
                levels: NQ116_LEVELS_ACTIVE,
                born: (1962, 2003),
                notes: &["Đang đóng BHTN tại ngày 30/9/2021", ""],
            },
            CategorySpec {
                code: "da-dung-dong",
                name: "Người lao động dừng tham gia BHTN, có thời gian đóng được bảo lưu",
                rule: Rule::Range(1_800_000, 3_300_000),
                weight: 3_000,
                levels: NQ116_LEVELS_STOPPED,
                born: (1962, 2003),
                notes: &["Chấm dứt HĐLĐ trong năm 2020-2021", "Bảo lưu thời gian đóng BHTN", ""],
            },
        ],
        decision_window: (ymd(2021, 10, 8), ymd(2021, 11, 19)),
        decisions_per_roll: 3,
    },
    ProgramSpec {
        code: "AN-CACH-LY",
        name: "Hỗ trợ tiền ăn cho người dân từ Thành phố Hồ Chí Minh và các tỉnh về địa phương trong thời gian cách ly",
        legal_basis: "Nghị quyết số 12/2021/NQ-HĐND ngày 20/8/2021 của Hội đồng nhân dân tỉnh Trà Vinh",
        footnote: "food_support",
        categories: &[CategorySpec {
            code: "tien-an",
            name: "Hỗ trợ tiền ăn trong thời gian cách ly (80.000 đồng/người/ngày)",
            rule: Rule::Range(FOOD_PER_DAY, FOOD_PER_DAY * FOOD_DAYS_MAX as i64),
            weight: 1,
            levels: &[(FOOD_PER_DAY * 14, 1)],
            born: (1958, 2012),
            notes: &[
                "Về từ TP. Hồ Chí Minh", "Về từ TP. Hồ Chí Minh", "Về từ Bình Dương",
                "Về từ Đồng Nai", "Về từ Long An", "Về từ Bà Rịa - Vũng Tàu", "Về từ Cần Thơ",
            ],
        }],
        decision_window: (ymd(2021, 8, 2), ymd(2021, 11, 22)),
        decisions_per_roll: 4,
    },
];

/// A program file as `Program::from_toml` reads it.
#[derive(Serialize)]
struct ProgramToml<'a> {
    code: &'a str,
    name: &'a str,
    legal_basis: &'a str,
    footnote: &'a str,
    categories: Vec<CategoryToml<'a>>,
    budgets: BTreeMap<&'a str, i64>,
}

#[derive(Serialize)]
struct CategoryToml<'a> {
    code: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_amount: Option<i64>,
}

/// Budgets leave a 10 % margin over everything the rolls approve (rounded up
/// to a million đồng), so no demo import is refused for budget.
pub fn budget_for(approved: i64) -> i64 {
    // Amounts are never negative, so `(x + d - 1) / d` rounds up.
    let with_margin = (approved * 11 + 9) / 10;
    (with_margin + 999_999) / 1_000_000 * 1_000_000
}

pub fn program_toml(spec: &ProgramSpec, budgets: &BTreeMap<&str, i64>) -> Result<String, String> {
    let file = ProgramToml {
        code: spec.code,
        name: spec.name,
        legal_basis: spec.legal_basis,
        footnote: spec.footnote,
        categories: spec.categories.iter().map(category_toml).collect(),
        budgets: budgets.clone(),
    };
    let body = toml::to_string(&file).map_err(|e| e.to_string())?;
    Ok(format!(
        "# Chương trình {} — tệp do `ansinh demo` sinh ra (dữ liệu minh họa).\n{body}",
        spec.code
    ))
}

fn category_toml(category: &CategorySpec) -> CategoryToml<'_> {
    let (amount, min_amount, max_amount) = match category.rule {
        Rule::Fixed(amount) => (Some(amount), None, None),
        Rule::Range(min, max) => (None, Some(min), Some(max)),
    };
    CategoryToml {
        code: category.code,
        name: category.name,
        amount,
        min_amount,
        max_amount,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_consistent() {
        for program in &PROGRAMS {
            for category in program.categories {
                for (amount, _) in category.levels {
                    assert!(category.rule.allows(*amount), "{} {amount}", category.code);
                }
            }
            assert!(program.decision_window.0 < program.decision_window.1);
        }
        let nq68 = PROGRAMS[NQ68].categories;
        assert_eq!(nq68[usize::from(NQ68_TU_DO)].code, "tu-do");
        assert_eq!(nq68[usize::from(NQ68_NGUNG_VIEC)].code, "ngung-viec");
        assert_eq!(nq68.iter().map(|c| c.weight).sum::<u32>(), 10_000);
    }

    #[test]
    fn budgets_round_up_with_margin() {
        assert_eq!(budget_for(1_000_000_000), 1_100_000_000);
        assert_eq!(budget_for(1_500_001), 2_000_000);
    }
}
