-- SQLite has no TRUNCATE: a DELETE without WHERE fires the delete triggers
-- (a table with one does not take the truncate shortcut).
--
-- `beneficiaries` (0001) has had no writer since 0002; what an older
-- version wrote there is history all the same.
CREATE TRIGGER beneficiaries_no_update BEFORE UPDATE ON beneficiaries
BEGIN SELECT RAISE(ABORT, 'beneficiaries is append-only'); END;
CREATE TRIGGER beneficiaries_no_delete BEFORE DELETE ON beneficiaries
BEGIN SELECT RAISE(ABORT, 'beneficiaries is append-only'); END;

-- A username is one person whatever its case: `Huyen842` cannot be added
-- beside `huyen842`. Usernames are ASCII (checked when added), which
-- lower() folds alike on both backends.
CREATE UNIQUE INDEX users_username_folded ON users (lower(username));
