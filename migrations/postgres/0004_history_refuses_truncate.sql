-- TRUNCATE passes row triggers: every table that holds history refuses it
-- with a statement trigger too (journal_entries, postings and roll_people
-- already did).
CREATE TRIGGER account_totals_no_truncate BEFORE TRUNCATE ON account_totals
    FOR EACH STATEMENT EXECUTE FUNCTION ansinh_refuse_change();
CREATE TRIGGER imports_no_truncate BEFORE TRUNCATE ON imports
    FOR EACH STATEMENT EXECUTE FUNCTION ansinh_refuse_change();
CREATE TRIGGER import_commits_no_truncate BEFORE TRUNCATE ON import_commits
    FOR EACH STATEMENT EXECUTE FUNCTION ansinh_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION ansinh_refuse_change();
CREATE TRIGGER programs_no_truncate BEFORE TRUNCATE ON programs
    FOR EACH STATEMENT EXECUTE FUNCTION ansinh_refuse_change();

-- A username is one person whatever its case: `Huyen842` cannot be added
-- beside `huyen842`. Usernames are ASCII (checked when added), which
-- lower() folds alike on both backends.
CREATE UNIQUE INDEX users_username_folded ON users (lower(username));
