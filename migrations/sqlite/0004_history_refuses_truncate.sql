-- SQLite has no TRUNCATE: a DELETE without WHERE fires the delete triggers
-- (a table with one does not take the truncate shortcut), which 0001-0003
-- put on every table that holds history.

-- A username is one person whatever its case: `Huyen842` cannot be added
-- beside `huyen842`. Usernames are ASCII (checked when added), which
-- lower() folds alike on both backends.
CREATE UNIQUE INDEX users_username_folded ON users (lower(username));
