-- The national role (a ministry's reader of every provincial ledger) joins
-- the roles a user may have. SQLite cannot change a CHECK constraint, and
-- this runs in a transaction with foreign keys on, where renaming a table
-- also renames the references to it: so `users` is rebuilt beside the old
-- one, then `sessions` (its one child) is rebuilt to refer to the new one,
-- and the old pair is dropped, child first. Rows and ids are unchanged.
ALTER TABLE users RENAME TO users_before_0008;
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'provincial', 'district', 'auditor', 'national')),
    district      TEXT,
    password_hash TEXT NOT NULL,
    created_at_us BIGINT NOT NULL
);
INSERT INTO users (id, username, role, district, password_hash, created_at_us)
    SELECT id, username, role, district, password_hash, created_at_us FROM users_before_0008;

ALTER TABLE sessions RENAME TO sessions_before_0008;
CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    created_at_us BIGINT NOT NULL,
    expires_at_us BIGINT NOT NULL
);
INSERT INTO sessions (token_hash, user_id, created_at_us, expires_at_us)
    SELECT token_hash, user_id, created_at_us, expires_at_us FROM sessions_before_0008;

DROP TABLE sessions_before_0008;
DROP TABLE users_before_0008;
CREATE UNIQUE INDEX users_username_folded ON users (lower(username));
