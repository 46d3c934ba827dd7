-- Ledger schema for SQLite. Money is BIGINT whole đồng (never NUMERIC, which
-- SQLite would turn into floating point). Times are BIGINT µs since the epoch.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'provincial', 'district', 'auditor')),
    district      TEXT,
    password_hash TEXT NOT NULL,
    created_at_us BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    created_at_us BIGINT NOT NULL,
    expires_at_us BIGINT NOT NULL
);

CREATE TABLE audit_events (
    id        INTEGER PRIMARY KEY,
    at_us     BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    detail    TEXT NOT NULL
);

CREATE TABLE programs (
    code          TEXT PRIMARY KEY,
    definition    TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    created_by    TEXT NOT NULL
);

CREATE TABLE imports (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('approvals', 'payments')),
    program        TEXT NOT NULL,
    district       TEXT NOT NULL,
    file_name      TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    size_bytes     BIGINT NOT NULL,
    content        BLOB NOT NULL,
    report         TEXT NOT NULL,
    uploaded_at_us BIGINT NOT NULL,
    uploaded_by    TEXT NOT NULL
);

-- A commit is a row of its own, so that imports are never updated.
-- The same bytes committed twice for one program and district are refused here.
CREATE TABLE import_commits (
    import_id       BIGINT PRIMARY KEY REFERENCES imports(id),
    kind            TEXT NOT NULL,
    program         TEXT NOT NULL,
    district        TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    committed_at_us BIGINT NOT NULL,
    committed_by    TEXT NOT NULL,
    first_seq       BIGINT,
    last_seq        BIGINT,
    UNIQUE (kind, program, district, sha256)
);

CREATE TABLE journal_entries (
    seq            INTEGER PRIMARY KEY,
    effective_date TEXT NOT NULL,
    recorded_at_us BIGINT NOT NULL,
    actor          TEXT NOT NULL,
    kind           TEXT NOT NULL,
    reference      TEXT NOT NULL,
    memo           TEXT NOT NULL,
    corrects_seq   BIGINT REFERENCES journal_entries(seq),
    import_id      BIGINT REFERENCES imports(id),
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL UNIQUE,
    encoding       INTEGER NOT NULL
);
CREATE INDEX journal_entries_date ON journal_entries(effective_date);
CREATE INDEX journal_entries_corrects ON journal_entries(corrects_seq) WHERE corrects_seq IS NOT NULL;

CREATE TABLE postings (
    entry_seq   BIGINT NOT NULL,
    idx         INTEGER NOT NULL,
    account     TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    beneficiary TEXT,
    source_line BIGINT,
    reference   TEXT,
    PRIMARY KEY (entry_seq, idx)
) WITHOUT ROWID;
CREATE INDEX postings_beneficiary ON postings(beneficiary) WHERE beneficiary IS NOT NULL;
CREATE INDEX postings_reference ON postings(reference) WHERE reference IS NOT NULL;

CREATE TABLE account_totals (
    entry_seq       BIGINT NOT NULL,
    account         TEXT NOT NULL,
    amount          BIGINT NOT NULL,
    approvals_delta BIGINT NOT NULL,
    PRIMARY KEY (entry_seq, account)
) WITHOUT ROWID;

CREATE TABLE beneficiaries (
    national_id   TEXT PRIMARY KEY,
    full_name     TEXT NOT NULL,
    date_of_birth TEXT,
    sex           TEXT,
    commune_code  TEXT,
    first_import  BIGINT
) WITHOUT ROWID;

-- History is never rewritten: the database refuses it too.
CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries
BEGIN SELECT RAISE(ABORT, 'journal_entries is append-only'); END;
CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries
BEGIN SELECT RAISE(ABORT, 'journal_entries is append-only'); END;
CREATE TRIGGER postings_no_update BEFORE UPDATE ON postings
BEGIN SELECT RAISE(ABORT, 'postings is append-only'); END;
CREATE TRIGGER postings_no_delete BEFORE DELETE ON postings
BEGIN SELECT RAISE(ABORT, 'postings is append-only'); END;
CREATE TRIGGER account_totals_no_update BEFORE UPDATE ON account_totals
BEGIN SELECT RAISE(ABORT, 'account_totals is append-only'); END;
CREATE TRIGGER account_totals_no_delete BEFORE DELETE ON account_totals
BEGIN SELECT RAISE(ABORT, 'account_totals is append-only'); END;
CREATE TRIGGER imports_no_update BEFORE UPDATE ON imports
BEGIN SELECT RAISE(ABORT, 'imports is append-only'); END;
CREATE TRIGGER imports_no_delete BEFORE DELETE ON imports
BEGIN SELECT RAISE(ABORT, 'imports is append-only'); END;
CREATE TRIGGER import_commits_no_update BEFORE UPDATE ON import_commits
BEGIN SELECT RAISE(ABORT, 'import_commits is append-only'); END;
CREATE TRIGGER import_commits_no_delete BEFORE DELETE ON import_commits
BEGIN SELECT RAISE(ABORT, 'import_commits is append-only'); END;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER programs_no_update BEFORE UPDATE ON programs
BEGIN SELECT RAISE(ABORT, 'programs is append-only'); END;
CREATE TRIGGER programs_no_delete BEFORE DELETE ON programs
BEGIN SELECT RAISE(ABORT, 'programs is append-only'); END;
