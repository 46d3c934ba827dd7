//! What every stage of an import shares, below them all: the upload as received, the
//! identity of its bytes, the import's error, and what checking a roll against the
//! ledger produces. `approvals` and `payments` use these; `pipeline` orders the stages.

use super::parse::{FileError, RollKind};
use super::report::{DeclaredTotals, ImportReport};
use crate::auth::Forbidden;
use crate::domain::journal::NewEntry;
use crate::domain::Money;
use crate::ledger::AppendError;
use crate::store::{RollPeople, StoreError};
use sha2::{Digest, Sha256};

/// A file name longer than this is cut: it is a label, the digest is the identity.
pub const FILE_NAME_LEN_MAX: usize = 255;

/// A roll as received: its kind, program and district as given, the file, and
/// the control totals declared beside it.
#[derive(Debug, Clone)]
pub struct RollUpload {
    pub kind: RollKind,
    pub program: String,
    pub district: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// The workbook sheet to read; `None`: the first (or the CSV text).
    pub sheet: Option<String>,
    pub expect_rows: Option<u64>,
    pub expect_total: Option<Money>,
}

impl RollUpload {
    /// The declared control totals, when any was declared.
    pub fn declared(&self) -> Option<DeclaredTotals> {
        (self.expect_rows.is_some() || self.expect_total.is_some()).then(|| DeclaredTotals {
            rows: self.expect_rows,
            total_dong: self.expect_total.map(Money::dong),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Forbidden(#[from] Forbidden),
    /// The whole file is refused; nothing was stored.
    #[error("{0}")]
    File(#[from] FileError),
    #[error("{0}")]
    Refused(String),
    #[error("không tìm thấy lần nhập {0} / import {0} not found")]
    NotFound(i64),
    /// Validated, but the commit is refused; the report says why.
    #[error("không ghi sổ / commit refused: {}", .0.blocking_text())]
    Blocked(Box<ImportReport>),
    /// Validated, but the ledger changed what validation read before the
    /// commit: nothing was posted; validating again may succeed.
    #[error("không ghi sổ / commit refused: {}", .0.blocking_text())]
    Stale(Box<ImportReport>),
    /// Too many stored uploads nobody committed: nothing was stored.
    #[error("{0}")]
    Quota(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Append(#[from] AppendError),
}

/// The identity of the uploaded file.
pub struct Source {
    pub sha256: String,
    pub file_name: String,
}

impl Source {
    /// Digests the bytes; cuts the name to [`FILE_NAME_LEN_MAX`] characters.
    pub fn of(upload: &RollUpload) -> Source {
        Source {
            sha256: hex::encode(Sha256::digest(&upload.bytes)),
            file_name: upload.file_name.chars().take(FILE_NAME_LEN_MAX).collect(),
        }
    }
}

/// A roll checked against the ledger: its report, and what a commit would post.
pub struct Checked {
    pub report: ImportReport,
    pub entries: Vec<NewEntry>,
    /// The people of an approval roll, as written on it.
    pub roll_people: Option<RollPeople>,
}

/// Frees `value` on a blocking thread when there is a runtime: the maps and
/// rows of a large roll take a while to free, and the next roll's validation
/// waits for this one's.
pub(crate) fn drop_in_background<T: Send + 'static>(value: T) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            runtime.spawn_blocking(move || drop(value));
        }
        Err(_) => drop(value),
    }
}
