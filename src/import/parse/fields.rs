//! The columns a roll may have: the roll kinds, each kind's fields (recognised and
//! required), their canonical and Vietnamese names, and the header spellings (aliases)
//! that name them, compared by [`header_key`].

use crate::domain::text::fold_key;
use std::fmt;

/// What a roll lists: approvals (danh sách phê duyệt) or payments (danh sách chi trả).
/// As text (`approvals`, `payments`) in the CLI, forms, stored imports and reports;
/// any other text is refused ([`std::str::FromStr`]), never read as a default.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RollKind {
    Approvals,
    Payments,
}

/// A column the importer understands, by its canonical name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Stt,
    FullName,
    DateOfBirth,
    Sex,
    NationalId,
    CommuneCode,
    Address,
    Category,
    Amount,
    DecisionNo,
    DecisionDate,
    PaymentMethod,
    BankAccount,
    Note,
    PaidDate,
    Reference,
}

pub(super) const FIELD_COUNT: usize = 16;

// Every field has a slot below FIELD_COUNT, in declaration order.
const _: () = assert!(Field::Reference as usize + 1 == FIELD_COUNT);

impl RollKind {
    /// The columns recognised in this kind of roll, in the usual order.
    pub fn fields(self) -> &'static [Field] {
        use Field::*;
        match self {
            RollKind::Approvals => &[
                Stt,
                FullName,
                DateOfBirth,
                Sex,
                NationalId,
                CommuneCode,
                Address,
                Category,
                Amount,
                DecisionNo,
                DecisionDate,
                PaymentMethod,
                BankAccount,
                Note,
            ],
            RollKind::Payments => &[
                Stt,
                NationalId,
                FullName,
                Amount,
                PaidDate,
                PaymentMethod,
                Reference,
                DecisionNo,
                BankAccount,
                Note,
            ],
        }
    }

    /// The columns that must be present (and filled in on every row).
    pub fn required_fields(self) -> &'static [Field] {
        use Field::*;
        match self {
            RollKind::Approvals => &[
                FullName,
                NationalId,
                CommuneCode,
                Category,
                Amount,
                DecisionNo,
                DecisionDate,
            ],
            RollKind::Payments => &[NationalId, Amount, PaidDate, Reference],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RollKind::Approvals => "approvals",
            RollKind::Payments => "payments",
        }
    }

    pub fn name_vi(self) -> &'static str {
        match self {
            RollKind::Approvals => "danh sách phê duyệt",
            RollKind::Payments => "danh sách chi trả",
        }
    }
}

impl fmt::Display for RollKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A roll kind that is neither `approvals` nor `payments`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("kind '{0}' must be approvals or payments")]
pub struct UnknownRollKind(pub String);

impl std::str::FromStr for RollKind {
    type Err = UnknownRollKind;

    fn from_str(text: &str) -> Result<RollKind, UnknownRollKind> {
        match text {
            "approvals" => Ok(RollKind::Approvals),
            "payments" => Ok(RollKind::Payments),
            other => Err(UnknownRollKind(other.to_string())),
        }
    }
}

impl Field {
    /// The canonical (English, snake_case) name, also accepted as a header.
    pub fn name(self) -> &'static str {
        match self {
            Field::Stt => "stt",
            Field::FullName => "full_name",
            Field::DateOfBirth => "date_of_birth",
            Field::Sex => "sex",
            Field::NationalId => "national_id",
            Field::CommuneCode => "commune_code",
            Field::Address => "address",
            Field::Category => "category",
            Field::Amount => "amount",
            Field::DecisionNo => "decision_no",
            Field::DecisionDate => "decision_date",
            Field::PaymentMethod => "payment_method",
            Field::BankAccount => "bank_account",
            Field::Note => "note",
            Field::PaidDate => "paid_date",
            Field::Reference => "reference",
        }
    }

    /// The usual Vietnamese header.
    pub fn name_vi(self) -> &'static str {
        match self {
            Field::Stt => "STT",
            Field::FullName => "Họ và tên",
            Field::DateOfBirth => "Ngày sinh",
            Field::Sex => "Giới tính",
            Field::NationalId => "Số CCCD/CMND",
            Field::CommuneCode => "Mã xã",
            Field::Address => "Địa chỉ",
            Field::Category => "Nhóm đối tượng",
            Field::Amount => "Số tiền",
            Field::DecisionNo => "Số quyết định",
            Field::DecisionDate => "Ngày quyết định",
            Field::PaymentMethod => "Hình thức chi trả",
            Field::BankAccount => "Số tài khoản",
            Field::Note => "Ghi chú",
            Field::PaidDate => "Ngày chi trả",
            Field::Reference => "Số chứng từ",
        }
    }

    /// Header spellings recognised for this field, as matching keys: lower case, without
    /// diacritics, punctuation as single spaces, parenthesised notes removed (see
    /// [`header_key`]). `Họ và tên`, `HỌ VÀ TÊN`, `ho va ten` and `Họ và tên (*)` all give
    /// `ho va ten`.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::Stt => &["stt", "so thu tu", "so tt", "thu tu", "tt", "no"],
            Field::FullName => &[
                "full name",
                "ho va ten",
                "ho ten",
                "ho va ten doi tuong",
                "ho ten doi tuong",
                "ho va ten nguoi nhan",
                "ho ten nguoi nhan",
                "ho va ten nguoi lao dong",
                "ten nguoi nhan",
                "nguoi nhan",
                "ten doi tuong",
                "name",
                "beneficiary",
                "beneficiary name",
            ],
            Field::DateOfBirth => &[
                "date of birth",
                "ngay sinh",
                "nam sinh",
                "ngay thang nam sinh",
                "ngay sinh nam sinh",
                "ngay sinh hoac nam sinh",
                "birth date",
                "dob",
                "year of birth",
            ],
            Field::Sex => &["sex", "gioi tinh", "gioi", "gender"],
            Field::NationalId => &[
                "national id",
                "so cccd cmnd",
                "so cmnd cccd",
                "cccd cmnd",
                "cmnd cccd",
                "so cccd",
                "so cmnd",
                "cccd",
                "cmnd",
                "so cccd hoac cmnd",
                "so dinh danh",
                "so dinh danh ca nhan",
                "ma dinh danh",
                "so can cuoc cong dan",
                "can cuoc cong dan",
                "id number",
                "citizen id",
            ],
            Field::CommuneCode => &[
                "commune code",
                "ma xa",
                "ma xa phuong",
                "ma xa phuong thi tran",
                "ma phuong xa",
                "ma don vi hanh chinh",
                "ma dvhc",
            ],
            Field::Address => &[
                "address",
                "dia chi",
                "dia chi thuong tru",
                "noi thuong tru",
                "dia chi noi o",
                "noi o",
                "noi o hien nay",
                "cho o hien nay",
            ],
            Field::Category => &[
                "category",
                "nhom doi tuong",
                "doi tuong",
                "loai doi tuong",
                "nhom",
                "ma nhom",
                "ma nhom doi tuong",
                "group",
            ],
            Field::Amount => &[
                "amount",
                "so tien",
                "so tien ho tro",
                "thanh tien",
                "muc ho tro",
                "kinh phi ho tro",
                "so tien duoc ho tro",
                "so tien de nghi ho tro",
                "so tien chi",
                "so tien chi tra",
                "so tien da chi",
                "so tien thanh toan",
                "so tien nhan",
            ],
            Field::DecisionNo => &[
                "decision no",
                "so quyet dinh",
                "so qd",
                "quyet dinh so",
                "qd so",
                "quyet dinh",
                "so quyet dinh phe duyet",
                "decision number",
                "decision",
            ],
            Field::DecisionDate => &[
                "decision date",
                "ngay quyet dinh",
                "ngay qd",
                "ngay ky quyet dinh",
                "ngay ky qd",
                "ngay quyet dinh phe duyet",
                "ngay ban hanh",
            ],
            Field::PaymentMethod => &[
                "payment method",
                "hinh thuc chi tra",
                "hinh thuc chi",
                "hinh thuc nhan",
                "hinh thuc thanh toan",
                "phuong thuc chi tra",
                "method",
            ],
            Field::BankAccount => &[
                "bank account",
                "so tai khoan",
                "so tai khoan ngan hang",
                "tai khoan",
                "tai khoan ngan hang",
                "stk",
                "account",
                "account number",
            ],
            Field::Note => &["note", "ghi chu", "notes", "remarks"],
            Field::PaidDate => &[
                "paid date",
                "ngay chi",
                "ngay chi tra",
                "ngay thanh toan",
                "ngay giao dich",
                "ngay nhan",
                "payment date",
                "date paid",
                "paid on",
            ],
            Field::Reference => &[
                "reference",
                "so chung tu",
                "ma giao dich",
                "so giao dich",
                "so phieu chi",
                "ma chung tu",
                "so tham chieu",
                "ma tham chieu",
                "chung tu",
                "ref",
                "transaction id",
            ],
        }
    }

    pub(super) fn slot(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The matching key of a header cell: parenthesised or bracketed notes and `*` removed,
/// then [`fold_key`]. `Số tiền (đồng)` → `so tien`; `Họ và tên *` → `ho va ten`.
pub fn header_key(text: &str) -> String {
    let mut kept = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            '*' => {}
            _ if depth == 0 => kept.push(c),
            _ => {}
        }
    }
    let key = fold_key(&kept);
    if key.is_empty() {
        fold_key(text)
    } else {
        key
    }
}

pub(super) fn match_header(kind: RollKind, key: &str) -> Option<Field> {
    kind.fields()
        .iter()
        .copied()
        .find(|field| field.aliases().contains(&key))
}

impl Field {
    /// Every field, by slot.
    pub(super) const ALL_SLOTS: [Field; FIELD_COUNT] = [
        Field::Stt,
        Field::FullName,
        Field::DateOfBirth,
        Field::Sex,
        Field::NationalId,
        Field::CommuneCode,
        Field::Address,
        Field::Category,
        Field::Amount,
        Field::DecisionNo,
        Field::DecisionDate,
        Field::PaymentMethod,
        Field::BankAccount,
        Field::Note,
        Field::PaidDate,
        Field::Reference,
    ];
}
