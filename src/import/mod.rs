//! Imports of district rolls: parse → validate → plan → commit, and the import report.
//!
//! `parse` turns the bytes of a CSV roll into typed rows (syntax only: no database,
//! no program). `validate` checks rows against the program and district;
//! `approvals` and `payments` check them against the ledger and plan the
//! entries; `pipeline` stages and commits atomically.

pub mod approvals;
pub mod batch;
pub mod parse;
pub mod payments;
pub mod pipeline;
pub mod report;
pub mod validate;
