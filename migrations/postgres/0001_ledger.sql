-- Ledger schema for PostgreSQL. Money is BIGINT whole đồng. Times are BIGINT
-- µs since the epoch and dates ISO text, so that both backends hash alike.

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'provincial', 'district', 'auditor')),
    district      TEXT,
    password_hash TEXT NOT NULL,
    created_at_us BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users(id),
    created_at_us BIGINT NOT NULL,
    expires_at_us BIGINT NOT NULL
);

CREATE TABLE audit_events (
    id      BIGSERIAL PRIMARY KEY,
    at_us   BIGINT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail  TEXT NOT NULL
);

CREATE TABLE programs (
    code          TEXT PRIMARY KEY,
    definition    TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    created_by    TEXT NOT NULL
);

CREATE TABLE imports (
    id             BIGSERIAL PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('approvals', 'payments')),
    program        TEXT NOT NULL,
    district       TEXT NOT NULL,
    file_name      TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    size_bytes     BIGINT NOT NULL,
    content        BYTEA NOT NULL,
    report         TEXT NOT NULL,
    uploaded_at_us BIGINT NOT NULL,
    uploaded_by    TEXT NOT NULL
);

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
    seq            BIGINT PRIMARY KEY,
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
);
CREATE INDEX postings_beneficiary ON postings(beneficiary) WHERE beneficiary IS NOT NULL;
CREATE INDEX postings_reference ON postings(reference) WHERE reference IS NOT NULL;

CREATE TABLE account_totals (
    entry_seq       BIGINT NOT NULL,
    account         TEXT NOT NULL,
    amount          BIGINT NOT NULL,
    approvals_delta BIGINT NOT NULL,
    PRIMARY KEY (entry_seq, account)
);

CREATE TABLE beneficiaries (
    national_id   TEXT PRIMARY KEY,
    full_name     TEXT NOT NULL,
    date_of_birth TEXT,
    sex           TEXT,
    commune_code  TEXT,
    first_import  BIGINT
);

-- History is never rewritten: the database refuses it too.
CREATE FUNCTION ansinh_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;

CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION ansinh_refuse_change();
CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ansinh_refuse_change();
CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings
    FOR EACH ROW EXECUTE FUNCTION ansinh_refuse_change();
CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON postings
    FOR EACH STATEMENT EXECUTE FUNCTION ansinh_refuse_change();
CREATE TRIGGER account_totals_append_only BEFORE UPDATE OR DELETE ON account_totals
    FOR EACH ROW EXECUTE FUNCTION ansinh_refuse_change();
CREATE TRIGGER imports_append_only BEFORE UPDATE OR DELETE ON imports
    FOR EACH ROW EXECUTE FUNCTION ansinh_refuse_change();
CREATE TRIGGER import_commits_append_only BEFORE UPDATE OR DELETE ON import_commits
    FOR EACH ROW EXECUTE FUNCTION ansinh_refuse_change();
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION ansinh_refuse_change();
CREATE TRIGGER programs_append_only BEFORE UPDATE OR DELETE ON programs
    FOR EACH ROW EXECUTE FUNCTION ansinh_refuse_change();
