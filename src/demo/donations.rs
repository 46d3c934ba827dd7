//! Donations to the provincial Covid-19 fund (Quỹ phòng, chống Covid-19 tỉnh
//! Trà Vinh). Donors and amounts are illustrative, not records of real gifts.
//! By 25/11/2021 they add up to exactly `FUND_BY_AS_OF` đồng.

use super::programs::ymd;
use super::rng::Rng;
use super::Donation;
use crate::domain::Money;
use chrono::{Days, NaiveDate};

pub const FUND_BY_AS_OF: i64 = 70_482_350_000;
const SEED_DONATIONS: u64 = 0xF0_2021;
const BY_AS_OF_WINDOW: (NaiveDate, NaiveDate) = (ymd(2021, 7, 5), ymd(2021, 11, 24));
const DECEMBER_WINDOW: (NaiveDate, NaiveDate) = (ymd(2021, 12, 2), ymd(2021, 12, 28));

#[derive(Clone, Copy)]
enum Size {
    /// The lottery company's gift, fixed.
    Lottery,
    /// 1–4 tỷ, in hundreds of millions.
    Large,
    /// 100–900 triệu, in tens of millions.
    Medium,
    /// 10–95 triệu.
    Small,
    /// Collected from staff: uneven amounts.
    Collective,
    /// Whatever makes the fund's total exact: the province-wide day's-pay collection.
    Balance,
}

const BY_AS_OF: &[(&str, Size)] = &[
    ("Công ty TNHH MTV Xổ số kiến thiết Trà Vinh", Size::Lottery),
    (
        "Ngân hàng TMCP Ngoại thương Việt Nam - Chi nhánh Trà Vinh",
        Size::Large,
    ),
    (
        "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam - Chi nhánh tỉnh Trà Vinh",
        Size::Large,
    ),
    (
        "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam - Chi nhánh Trà Vinh",
        Size::Large,
    ),
    (
        "Ngân hàng TMCP Công Thương Việt Nam - Chi nhánh Trà Vinh",
        Size::Large,
    ),
    ("Công ty Nhiệt điện Duyên Hải", Size::Large),
    ("Công ty Điện lực Trà Vinh", Size::Large),
    ("Công ty Cổ phần Đầu tư Xây dựng Cửu Long Xanh", Size::Large),
    ("Công ty TNHH Thủy sản Hải Long Trà Vinh", Size::Large),
    ("Công ty Cổ phần Chế biến Dừa Á Châu Trà Vinh", Size::Large),
    ("Tổng công ty Điện lực miền Nam", Size::Large),
    ("Công ty Xăng dầu Trà Vinh", Size::Large),
    (
        "Cộng đồng người Trà Vinh tại Thành phố Hồ Chí Minh",
        Size::Large,
    ),
    (
        "Ngân hàng Chính sách xã hội - Chi nhánh tỉnh Trà Vinh",
        Size::Medium,
    ),
    (
        "Ngân hàng TMCP Sài Gòn Thương Tín - Chi nhánh Trà Vinh",
        Size::Medium,
    ),
    ("Bưu điện tỉnh Trà Vinh", Size::Medium),
    ("Viễn thông Trà Vinh", Size::Medium),
    ("Viettel Trà Vinh", Size::Medium),
    ("Trường Đại học Trà Vinh", Size::Medium),
    ("Công ty Cổ phần Cấp thoát nước Trà Vinh", Size::Medium),
    ("Hiệp hội Doanh nghiệp tỉnh Trà Vinh", Size::Medium),
    ("Hội Doanh nhân trẻ tỉnh Trà Vinh", Size::Medium),
    ("Công ty TNHH Giày da Long Đức", Size::Medium),
    (
        "Công ty TNHH MTV Vật liệu xây dựng Thành Phát",
        Size::Medium,
    ),
    (
        "Ban Trị sự Giáo hội Phật giáo Việt Nam tỉnh Trà Vinh",
        Size::Medium,
    ),
    ("Hội Đoàn kết Sư sãi yêu nước tỉnh Trà Vinh", Size::Medium),
    ("Đồng hương Trà Vinh tại Hoa Kỳ", Size::Medium),
    ("Doanh nghiệp tư nhân Thương mại Ngọc Hân", Size::Small),
    ("Công ty TNHH Thương mại Dịch vụ Minh Khang", Size::Small),
    ("Hội Cựu chiến binh tỉnh Trà Vinh", Size::Small),
    ("Hội Liên hiệp Phụ nữ tỉnh Trà Vinh", Size::Small),
    ("Tỉnh đoàn Trà Vinh", Size::Small),
    ("Hợp tác xã Nông nghiệp Long Hiệp", Size::Small),
    ("Hội Nông dân tỉnh Trà Vinh", Size::Small),
    ("Nhà thuốc Phước Thiện", Size::Small),
    (
        "Gia đình ông Trần Văn Tâm (Phường 7, TP. Trà Vinh)",
        Size::Small,
    ),
    ("Các chùa Khmer huyện Trà Cú", Size::Small),
    ("Cán bộ, chiến sĩ Công an tỉnh Trà Vinh", Size::Collective),
    (
        "Cán bộ, chiến sĩ Bộ Chỉ huy Quân sự tỉnh Trà Vinh",
        Size::Collective,
    ),
    (
        "Cán bộ, công chức, viên chức, người lao động toàn tỉnh (một ngày lương)",
        Size::Balance,
    ),
];

const IN_DECEMBER: &[(&str, Size)] = &[
    ("Hội Doanh nhân trẻ tỉnh Trà Vinh (đợt 2)", Size::Medium),
    (
        "Công ty TNHH Thủy sản Hải Long Trà Vinh (đợt 2)",
        Size::Medium,
    ),
    ("Ngân hàng TMCP Á Châu - Chi nhánh Trà Vinh", Size::Medium),
    ("Hội Chữ thập đỏ tỉnh Trà Vinh", Size::Small),
];

/// The fund's donations in date order, with receipt references `PT-2021-0001`….
pub fn list() -> Result<Vec<Donation>, String> {
    let mut rng = Rng::new(SEED_DONATIONS);
    let mut early = draw(BY_AS_OF, BY_AS_OF_WINDOW, &mut rng);
    balance(&mut early, FUND_BY_AS_OF)?;
    let late = draw(IN_DECEMBER, DECEMBER_WINDOW, &mut rng);
    let mut all: Vec<(NaiveDate, &str, i64)> = early.into_iter().chain(late).collect();
    all.sort_by_key(|(date, _, _)| *date);
    Ok(all
        .into_iter()
        .enumerate()
        .map(|(index, (date, donor, amount))| Donation {
            date,
            donor: donor.to_string(),
            amount: Money::from_dong(amount),
            reference: format!("PT-2021-{:04}", index + 1),
        })
        .collect())
}

fn draw<'a>(
    donors: &[(&'a str, Size)],
    window: (NaiveDate, NaiveDate),
    rng: &mut Rng,
) -> Vec<(NaiveDate, &'a str, i64)> {
    let span = (window.1 - window.0).num_days() as u64;
    donors
        .iter()
        .map(|&(donor, size)| {
            let amount = match size {
                Size::Lottery => 20_000_000_000,
                Size::Large => rng.between(10, 40) as i64 * 100_000_000,
                Size::Medium => rng.between(10, 90) as i64 * 10_000_000,
                Size::Small => rng.between(20, 190) as i64 * 500_000,
                Size::Collective => rng.between(80_000, 250_000) as i64 * 10_000,
                Size::Balance => 0,
            };
            (window.0 + Days::new(rng.below(span + 1)), donor, amount)
        })
        .collect()
}

fn balance(donations: &mut [(NaiveDate, &str, i64)], target: i64) -> Result<(), String> {
    let sum: i64 = donations.iter().map(|d| d.2).sum();
    let last = donations.last_mut().ok_or("no donations")?;
    last.2 = target - sum;
    if last.2 <= 0 {
        return Err(format!(
            "donations already exceed the fund's total by {}",
            -last.2
        ));
    }
    Ok(())
}
