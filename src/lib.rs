//! ansinh: an audited, hash-chained ledger for social-support disbursement.
#![forbid(unsafe_code)]

pub mod auth;
pub mod domain;
pub mod ledger;
pub mod store;
