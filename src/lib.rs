//! ansinh: an audited, hash-chained ledger for social-support disbursement.
#![forbid(unsafe_code)]

pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod fast_hash;
pub mod http;
pub mod import;
pub mod ledger;
pub mod programs;
pub mod reconcile;
pub mod report;
pub mod reverse;
pub mod store;
pub mod telemetry;
pub mod web;
