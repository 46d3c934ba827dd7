-- Read models: derived data kept in each commit's own transaction, so a
-- reconciliation page is an indexed read whose cost does not grow with the
-- ledger. `verify` rebuilds them from the postings and refuses a ledger
-- whose read models differ; `ansinh rebuild-read-models` rebuilds them.

-- Per program × district × person: what reconciliation shows.
CREATE TABLE person_balances (
    program     TEXT NOT NULL,
    district    TEXT NOT NULL,
    national_id TEXT NOT NULL,
    category    TEXT NOT NULL,
    full_name   TEXT NOT NULL,
    -- The name folded (lower case, no tone marks) for search.
    name_key    TEXT NOT NULL,
    outstanding BIGINT NOT NULL,
    paid        BIGINT NOT NULL,
    approvals   BIGINT NOT NULL,
    -- A reconciliation status, or 'settled' (nothing left to reconcile).
    status      TEXT NOT NULL,
    -- The payment lines refused for this person, a JSON array; NULL when none.
    refused     TEXT,
    PRIMARY KEY (program, district, national_id)
) WITHOUT ROWID;

-- Per program × district × status: the reconciliation's totals.
CREATE TABLE scope_totals (
    program       TEXT NOT NULL,
    district      TEXT NOT NULL,
    status        TEXT NOT NULL,
    beneficiaries BIGINT NOT NULL,
    approved      BIGINT NOT NULL,
    paid          BIGINT NOT NULL,
    outstanding   BIGINT NOT NULL,
    PRIMARY KEY (program, district, status)
) WITHOUT ROWID;

-- Whether the read models hold the whole journal: a ledger upgraded from an
-- earlier schema has entries and empty read models until they are rebuilt.
CREATE TABLE read_model_state (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    built BOOLEAN NOT NULL
);
INSERT INTO read_model_state (id, built)
    SELECT 1, NOT EXISTS (SELECT 1 FROM journal_entries);

-- Each verification's reach: the next incremental one starts there.
CREATE TABLE verifications (
    id             INTEGER PRIMARY KEY,
    seq            BIGINT NOT NULL,
    hash           TEXT NOT NULL,
    audit_id       BIGINT,
    audit_hash     TEXT,
    full_check     BOOLEAN NOT NULL,
    verified_at_us BIGINT NOT NULL
);
CREATE TRIGGER verifications_no_update BEFORE UPDATE ON verifications
BEGIN SELECT RAISE(ABORT, 'verifications is append-only'); END;
CREATE TRIGGER verifications_no_delete BEFORE DELETE ON verifications
BEGIN SELECT RAISE(ABORT, 'verifications is append-only'); END;
