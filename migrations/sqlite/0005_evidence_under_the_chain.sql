-- Evidence under the chain (entry encoding version 2).
--
-- An import's commit record keeps the digests of its stored report and of
-- its people document beside the file's; entries of encoding 2 hash the
-- record, so `verify` can recompute each digest from what is stored.
-- Commits made before this migration keep NULL here (encoding-1 entries
-- never hashed them).
ALTER TABLE import_commits ADD COLUMN report_sha256 TEXT;
ALTER TABLE import_commits ADD COLUMN people_sha256 TEXT;

-- The audit trail is a hash chain of its own: each event hashes its
-- predecessor's hash. Events recorded before this migration have none.
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;

-- Each entry of encoding 2 names the newest audit event when it was
-- appended (its anchor), and hashes it: the audit trail up to there cannot
-- be cut or changed without the journal showing it.
ALTER TABLE journal_entries ADD COLUMN audit_anchor_id BIGINT;
ALTER TABLE journal_entries ADD COLUMN audit_anchor_hash TEXT;

-- One chain: two events can never link to the same predecessor, whatever a
-- writer's isolation level (a fork is refused, not stored).
CREATE UNIQUE INDEX audit_events_prev_hash ON audit_events (prev_hash);
CREATE UNIQUE INDEX audit_events_hash ON audit_events (hash);
