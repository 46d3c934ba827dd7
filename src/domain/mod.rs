//! Domain types: parsed once at the boundary, trusted inside. No I/O here.

pub mod account;
pub mod admin_units;
pub mod date;
pub mod money;
pub mod national_id;
pub mod program;
pub mod text;

pub use account::AccountPath;
pub use admin_units::DistrictCode;
pub use money::Money;
pub use national_id::NationalId;
pub use program::{Code, Program};
