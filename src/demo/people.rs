//! Demo people: names, birth dates, national IDs, addresses. Everything about a
//! person is a pure function of their global index, so the approval roll and
//! the payment roll that mention them agree without storing any strings.

use super::rng::Rng;
use crate::domain::admin_units::Commune;
use chrono::{Datelike, NaiveDate};

const SEED_PERSON: u64 = 0x7AE5_0084_2021_1125;
const SEED_PLACE: u64 = 0x0084_C0DE_0000_0001;

/// Six digits of a CCCD are a serial; the index is spread over them by an
/// affine bijection on 0..10^6 (the multiplier is coprime to 10), so two
/// indices below a million can never give the same ID.
pub const PEOPLE_MAX: u32 = 1_000_000;
const SERIAL_MULTIPLIER: u64 = 387_419;
const SERIAL_OFFSET: u64 = 104_729;

/// Hands out person indices; every approval, bad row and unknown payee gets a new one.
#[derive(Default)]
pub struct People {
    next: u32,
}

impl People {
    pub fn fresh(&mut self) -> u32 {
        let index = self.next;
        self.next += 1;
        index
    }

    pub fn count(&self) -> u32 {
        self.next
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn label(self) -> &'static str {
        match self {
            Sex::Male => "Nam",
            Sex::Female => "Nữ",
        }
    }
}

/// A person as derived from their index.
pub struct Person {
    pub index: u32,
    pub sex: Sex,
    pub birth: NaiveDate,
    pub khmer: bool,
    surname: &'static str,
    middle: &'static str,
    given: &'static str,
}

impl Person {
    /// `born` is the inclusive range of birth years fitting the person's category.
    pub fn derive(index: u32, born: (u16, u16), khmer_percent: u8) -> Person {
        let mut rng = Rng::for_item(SEED_PERSON, u64::from(index));
        let sex = if rng.chance(500) {
            Sex::Male
        } else {
            Sex::Female
        };
        let year = rng.between(u64::from(born.0), u64::from(born.1)) as i32;
        let ordinal = rng.between(1, 365) as u32;
        // Cannot fail: every year has at least 365 days.
        let birth = NaiveDate::from_yo_opt(year, ordinal).unwrap_or_default();
        let khmer = rng.below(100) < u64::from(khmer_percent);
        let child = year >= 2006;
        let (surname, middle, given) = choose_name(&mut rng, sex, khmer, child);
        Person {
            index,
            sex,
            birth,
            khmer,
            surname,
            middle,
            given,
        }
    }

    pub fn push_name(&self, out: &mut String) {
        out.push_str(self.surname);
        if !self.middle.is_empty() {
            out.push(' ');
            out.push_str(self.middle);
        }
        out.push(' ');
        out.push_str(self.given);
    }

    /// CCCD: `084` (Trà Vinh) + sex/century digit + two digits of the birth
    /// year + a six-digit serial unique to the index.
    pub fn push_national_id(&self, out: &mut String) {
        let century_sex = match (self.birth.year() >= 2000, self.sex) {
            (false, Sex::Male) => 0,
            (false, Sex::Female) => 1,
            (true, Sex::Male) => 2,
            (true, Sex::Female) => 3,
        };
        let serial = (u64::from(self.index) * SERIAL_MULTIPLIER + SERIAL_OFFSET) % 1_000_000;
        push_fmt(
            out,
            format_args!("084{century_sex}{:02}{serial:06}", self.birth.year() % 100),
        );
    }

    pub fn ethnicity(&self) -> &'static str {
        if self.khmer {
            "Khmer"
        } else {
            "Kinh"
        }
    }
}

fn choose_name(
    rng: &mut Rng,
    sex: Sex,
    khmer: bool,
    child: bool,
) -> (&'static str, &'static str, &'static str) {
    // Many Khmer in Trà Vinh carry Kinh-style given names; the rest keep Khmer ones.
    if khmer && rng.chance(600) {
        let surname = *rng.pick(KHMER_SURNAMES);
        return match sex {
            Sex::Male => (surname, "", *rng.pick(KHMER_GIVEN_MALE)),
            Sex::Female => {
                let middle = if rng.chance(700) { "Thị" } else { "" };
                (surname, middle, *rng.pick(KHMER_GIVEN_FEMALE))
            }
        };
    }
    let surname = if khmer {
        *rng.pick(KHMER_SURNAMES)
    } else {
        KINH_SURNAMES[rng.weighted(KINH_SURNAME_WEIGHTS)]
    };
    let (middles, givens) = match (sex, child) {
        (Sex::Male, false) => (MIDDLE_MALE, GIVEN_MALE),
        (Sex::Female, false) => (MIDDLE_FEMALE, GIVEN_FEMALE),
        (Sex::Male, true) => (MIDDLE_BOY, GIVEN_BOY),
        (Sex::Female, true) => (MIDDLE_GIRL, GIVEN_GIRL),
    };
    (surname, *rng.pick(middles), *rng.pick(givens))
}

/// How a person is paid; the approval roll and the payment roll agree on it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Cash,
    Transfer,
    Post,
}

impl Method {
    pub fn of(index: u32) -> Method {
        let mut rng = Rng::for_item(SEED_PLACE ^ 0x4D, u64::from(index));
        match rng.below(100) {
            0..=59 => Method::Cash,
            60..=87 => Method::Transfer,
            _ => Method::Post,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Method::Cash => "Tiền mặt",
            Method::Transfer => "Chuyển khoản",
            Method::Post => "Bưu điện",
        }
    }
}

/// A 13-digit account at a Trà Vinh bank branch, only for transfers.
pub fn push_bank_account(index: u32, out: &mut String) {
    let mut rng = Rng::for_item(SEED_PLACE ^ 0xBA, u64::from(index));
    push_fmt(out, format_args!("740{:010}", rng.below(10_000_000_000)));
}

/// Picks the person's commune and writes their address in it.
pub fn place<'a>(
    index: u32,
    communes: &[&'a Commune],
    district_name: &str,
    out: &mut String,
) -> &'a Commune {
    let mut rng = Rng::for_item(SEED_PLACE, u64::from(index));
    let commune = *rng.pick(communes);
    push_address(&mut rng, commune, district_name, out);
    commune
}

pub fn push_address(rng: &mut Rng, commune: &Commune, district_name: &str, out: &mut String) {
    if commune.name.starts_with("Phường") {
        push_fmt(
            out,
            format_args!(
                "Số {}, đường {}, Khóm {}, ",
                rng.between(1, 250),
                rng.pick(STREETS),
                rng.between(1, 10)
            ),
        );
    } else if commune.name.starts_with("Thị trấn") {
        push_fmt(out, format_args!("Khóm {}, ", rng.between(1, 8)));
    } else {
        push_fmt(out, format_args!("Ấp {}, ", rng.pick(HAMLETS)));
    }
    out.push_str(&commune.name);
    out.push_str(", ");
    out.push_str(district_name);
}

/// Writes formatted text into a reused buffer without a temporary String.
pub fn push_fmt(out: &mut String, args: std::fmt::Arguments<'_>) {
    use std::fmt::Write;
    // Writing into a String cannot fail.
    let _ = out.write_fmt(args);
}

const KINH_SURNAMES: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Đặng", "Bùi", "Đỗ", "Ngô",
    "Dương", "Lý", "Đoàn", "Châu", "Mai", "Tô", "Lâm", "Hồ", "Đinh", "Cao", "Thái", "La",
];
const KINH_SURNAME_WEIGHTS: &[u32] = &[
    31, 11, 9, 5, 6, 5, 4, 2, 2, 1, 1, 2, 2, 2, 1, 1, 1, 1, 2, 2, 1, 1, 1, 1,
];
const KHMER_SURNAMES: &[&str] = &[
    "Thạch", "Thạch", "Thạch", "Kim", "Kim", "Sơn", "Sơn", "Lâm", "Kiên", "Trầm", "Danh", "Dương",
];
const MIDDLE_MALE: &[&str] = &[
    "Văn", "Văn", "Văn", "Văn", "Văn", "Văn", "Minh", "Hoàng", "Thanh", "Quốc", "Hữu", "Công",
    "Tấn", "Chí", "Phước", "Thành", "Đức", "Ngọc", "Trung",
];
const MIDDLE_FEMALE: &[&str] = &[
    "Thị", "Thị", "Thị", "Thị", "Thị", "Ngọc", "Thanh", "Kim", "Thúy", "Bích", "Mỹ", "Hồng", "Cẩm",
    "Diễm", "Thu", "Kiều", "Tuyết",
];
const MIDDLE_BOY: &[&str] = &[
    "Gia", "Minh", "Hoàng", "Quốc", "Đăng", "Bảo", "Anh", "Thiên", "Văn", "Văn",
];
const MIDDLE_GIRL: &[&str] = &[
    "Ngọc", "Gia", "Khánh", "Bảo", "Thảo", "Phương", "Anh", "Bích", "Thị", "Thị",
];
const GIVEN_MALE: &[&str] = &[
    "Hùng", "Dũng", "Tuấn", "Minh", "Phúc", "Tài", "Lộc", "Thành", "Hải", "Nam", "Sơn", "Khánh",
    "Tâm", "Toàn", "Phong", "Hiếu", "Nghĩa", "Trung", "Bình", "Long", "Quang", "Hòa", "Vũ", "Tùng",
    "Đạt", "Thắng", "Lợi", "Tú", "Hậu", "Nhân", "Tín", "Kiệt", "Khang", "Huy", "Duy", "Thiện",
    "Trí", "Phát", "Cường", "Hưng", "Thái", "Đông", "Út", "Mến",
];
const GIVEN_FEMALE: &[&str] = &[
    "Lan",
    "Hương",
    "Hoa",
    "Mai",
    "Linh",
    "Ngọc",
    "Trang",
    "Thảo",
    "Nhung",
    "Hạnh",
    "Yến",
    "Vy",
    "Nhi",
    "Hằng",
    "Thủy",
    "Trinh",
    "Diễm",
    "Kiều",
    "Phượng",
    "Loan",
    "Tuyết",
    "Xuân",
    "Hồng",
    "Thu",
    "Ánh",
    "Oanh",
    "Bích",
    "Cúc",
    "Hiền",
    "Hà",
    "Giang",
    "Ngân",
    "Tiên",
    "Quyên",
    "Thơ",
    "Nga",
    "Tâm",
    "My",
    "Út",
    "Lệ",
    "Đào",
    "Liên",
    "Huệ",
    "Nguyệt",
];
const GIVEN_BOY: &[&str] = &[
    "Khôi", "Bảo", "Huy", "Khang", "Phúc", "An", "Nam", "Khoa", "Minh", "Kiệt", "Thịnh", "Lâm",
    "Phát", "Duy", "Quân", "Hào", "Vinh",
];
const GIVEN_GIRL: &[&str] = &[
    "Hân", "Thư", "Ngọc", "An", "Vy", "Nhi", "Như", "Trân", "Quỳnh", "My", "Thy", "Tú", "Uyên",
    "Châu", "Linh", "Ngân", "Tiên",
];
const KHMER_GIVEN_MALE: &[&str] = &[
    "Sóc Kha",
    "Chanh Đa",
    "Sa Ly",
    "Pho",
    "Phol",
    "Sà Rinh",
    "Sô Khol",
    "Kim Sên",
    "Ra Vy",
    "Sóc Khanh",
    "Sa Mát",
    "Thươl",
    "Sơ Phon",
    "Chanh Tha",
    "Sa Ri",
    "Kha Na",
    "Sóc Phal",
    "Bô Pha",
    "Nươl",
    "Sa Vin",
    "Sây",
    "Dếp",
    "Khen",
    "Sóc Thên",
    "Thạch Đa",
];
const KHMER_GIVEN_FEMALE: &[&str] = &[
    "Sa Rết",
    "Sô Phi",
    "Chanh Thu",
    "Sa Vênh",
    "Sóc Thi",
    "Sa Rươne",
    "Kim Sa",
    "Sây Ly",
    "Mol",
    "Sa Mơl",
    "Chanh Thy",
    "Sô Phanh",
    "Ra Ny",
    "Sóc Na",
    "Sà Phia",
    "Sa Ly",
    "Sô Kha",
    "Nang",
    "Sà Rum",
    "Chăn Thu",
    "Sóc Mây",
    "Kha Ri",
];
const STREETS: &[&str] = &[
    "Nguyễn Đáng",
    "Điện Biên Phủ",
    "Phạm Ngũ Lão",
    "Lê Lợi",
    "Trần Phú",
    "Nguyễn Thị Minh Khai",
    "Kiên Thị Nhẫn",
    "Bạch Đằng",
    "Lý Thường Kiệt",
    "Sơn Thông",
    "Võ Nguyên Giáp",
    "Nguyễn Du",
    "Phạm Thái Bường",
    "Trần Quốc Tuấn",
    "Hùng Vương",
    "Lê Thánh Tôn",
];
const HAMLETS: &[&str] = &[
    "Chợ",
    "Phú Hòa",
    "Long Bình",
    "Sóc Ruộng",
    "Ô Chát",
    "Trà Sất",
    "Cà Săng",
    "Bến Có",
    "Ô Rồm",
    "Chông Nô",
    "Kim Câu",
    "Tân Lập",
    "Đầu Giồng",
    "Giồng Lức",
    "Bãi Vàng",
    "Sa Bình",
    "Phước Hưng",
    "Mỹ Thập",
    "Tân Thành",
    "Hòa Lạc",
    "Chợ Dưới",
    "Ba Se",
    "Xoài Xiêm",
    "Rạch Gốc",
    "Cồn Phụng",
    "Nhứt",
    "Nhì",
    "Giồng Giữa",
    "Trà Kha",
    "Cây Da",
    "Đại Thôn",
    "Ô Đùng",
    "Bà Nhì",
    "Tân Qui",
    "Cái Cối",
    "Mé Rạch",
];

#[cfg(test)]
pub(super) fn all_name_parts() -> impl Iterator<Item = &'static str> {
    [
        KINH_SURNAMES,
        KHMER_SURNAMES,
        MIDDLE_MALE,
        MIDDLE_FEMALE,
        MIDDLE_BOY,
        MIDDLE_GIRL,
        GIVEN_MALE,
        GIVEN_FEMALE,
        GIVEN_BOY,
        GIVEN_GIRL,
        KHMER_GIVEN_MALE,
        KHMER_GIVEN_FEMALE,
        STREETS,
        HAMLETS,
    ]
    .into_iter()
    .flatten()
    .copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::NationalId;

    #[test]
    fn name_tables_agree() {
        assert_eq!(KINH_SURNAMES.len(), KINH_SURNAME_WEIGHTS.len());
    }

    #[test]
    fn ids_are_valid_cccd_and_encode_birth() {
        for index in [0, 1, 999, 123_456, PEOPLE_MAX - 1] {
            let person = Person::derive(index, (1950, 2020), 30);
            let mut id = String::new();
            person.push_national_id(&mut id);
            assert_eq!(NationalId::parse(&id).unwrap().as_str(), id);
            assert_eq!(&id[4..6], format!("{:02}", person.birth.year() % 100));
        }
    }

    #[test]
    fn serial_is_a_bijection() {
        let mut seen = vec![false; 1_000_000];
        for index in 0..u64::from(PEOPLE_MAX) {
            let serial = ((index * SERIAL_MULTIPLIER + SERIAL_OFFSET) % 1_000_000) as usize;
            assert!(!seen[serial]);
            seen[serial] = true;
        }
    }
}
