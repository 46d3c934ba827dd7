//! The OpenAPI document, served at /api/v1/openapi.json. Written by hand and
//! checked by a test that every route in it answers.

use super::AppState;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/openapi.json", get(|| async { Json(document()) }))
}

fn op(summary: &str, tag: &str) -> Value {
    json!({ "summary": summary, "tags": [tag], "responses": {
        "200": { "description": "OK" },
        "401": { "description": "not logged in", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
        "403": { "description": "role or district does not allow it", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
    }})
}

pub fn document() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": { "title": "ansinh", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Audited ledger for social-support disbursement. Amounts are whole đồng (integers)." },
        "servers": [{ "url": "/" }],
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer" },
                "cookie": { "type": "apiKey", "in": "cookie", "name": "ansinh_session" }
            },
            "schemas": {
                "Error": { "type": "object", "required": ["error", "message"], "properties": {
                    "error": { "type": "string" }, "message": { "type": "string" }, "details": {} } },
                "Login": { "type": "object", "required": ["username", "password"], "properties": {
                    "username": { "type": "string" }, "password": { "type": "string" } } }
            }
        },
        "security": [{ "bearer": [] }, { "cookie": [] }],
        "paths": {
            "/api/v1/health": { "get": { "summary": "Liveness and journal head", "tags": ["system"], "security": [],
                                         "responses": { "200": { "description": "OK" } } } },
            "/api/v1/session": {
                "post": { "summary": "Log in", "tags": ["session"], "security": [],
                          "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Login" } } } },
                          "responses": { "200": { "description": "session token (also set as an HttpOnly cookie) and CSRF token" },
                                         "401": { "description": "wrong username or password" },
                                         "429": { "description": "too many failed attempts" } } },
                "get": op("Who am I", "session"),
                "delete": op("Log out", "session")
            },
            "/api/v1/imports": { "post": op("Upload a roll (multipart: kind, program, district, file[, expect_rows, expect_total]); validates, posts nothing; 201 with the import report, or 422 with it in details when the roll cannot be committed", "imports") },
            "/api/v1/imports/{id}": { "get": op("An import and its report", "imports") },
            "/api/v1/imports/{id}/commit": { "post": op("Commit an import's accepted rows atomically", "imports") },
            "/api/v1/reconciliation": { "get": op("Reconciliation of a program (query: program, district, format=json|csv; JSON pages its lines with offset and limit, default 1000, at most 10000, beside lines_total; CSV holds every line)", "reconciliation") },
            "/api/v1/reports/summary": { "get": op("Totals as of a date (query: as_of, at_seq, by, format=json|csv|text|footnote)", "reports") },
            "/api/v1/journal/{seq}": { "get": op("One journal entry", "journal") },
            "/api/v1/journal/{seq}/reverse": { "post": op("Reverse an entry or one beneficiary's part of it", "journal") },
            "/api/v1/verify": { "get": op("Verify the chain and balances (query: checkpoint=SEQ:HASH)", "journal") },
            "/api/v1/audit": { "get": op("The audit trail, auditors and administrators only (query: limit, at most 1000)", "journal") }
        }
    })
}
