//! ansinh: an audited, hash-chained ledger for social-support disbursement.
//!
//! Layers point down only, with no import cycles:
//! - entry points: [`cli`], [`http`], [`web`];
//! - use cases: [`import`], [`reconcile`], [`report`], [`reverse`], [`programs`];
//! - services: [`ledger`] (journal rules, the append, verification) and
//!   [`auth`] (passwords, sessions, authorization);
//! - storage: [`store`] (rows in and out, no rules, no roles);
//! - values: [`domain`] (no I/O).
//!
//! [`demo`] generates the demo province from [`domain`] values alone;
//! [`telemetry`] and [`fast_hash`] serve every layer; [`config`] the entry points.
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
pub mod users;
pub mod web;
