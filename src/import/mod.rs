//! Imports of district rolls: parse → validate → plan → commit, and the import report.
//!
//! Dependencies point one way, down this list:
//! - `batch`: many rolls at once, both cores busy;
//! - `pipeline`: the staged import as types used in order (upload → prepared →
//!   validated → staged → committed);
//! - `approvals`, `payments`: each kind checked against the ledger and planned
//!   as journal entries;
//! - `validate`: row rules that need the program and district, not the ledger;
//! - `roll`: what the stages share (the upload, its digest, the error, a checked roll);
//! - `reads`: what a roll's validation reads of the ledger (batch scheduling,
//!   the commit's stale check);
//! - `report`: the import report and what blocks a commit;
//! - `annotate`: the annotated workbook of an upload (its rows, what the report
//!   found on each);
//! - `template`: a program's blank roll as a workbook (columns, drop-downs);
//! - `workbook`: an `.xlsx` or `.ods` roll's sheet as the CSV text `parse` reads;
//! - `parse`: the bytes of a CSV roll into typed rows (syntax only: no database,
//!   no program).

pub mod annotate;
pub mod approvals;
pub mod batch;
pub mod parse;
pub mod payments;
pub mod pipeline;
pub mod reads;
pub mod report;
pub mod roll;
pub mod template;
pub mod validate;
pub mod workbook;

pub use parse::RollKind;
pub use reads::RollReads;
