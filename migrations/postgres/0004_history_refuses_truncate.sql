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

-- `beneficiaries` (0001) has had no writer since 0002; what an older
-- version wrote there is history all the same.
CREATE TRIGGER beneficiaries_append_only BEFORE UPDATE OR DELETE ON beneficiaries
    FOR EACH ROW EXECUTE FUNCTION ansinh_refuse_change();
CREATE TRIGGER beneficiaries_no_truncate BEFORE TRUNCATE ON beneficiaries
    FOR EACH STATEMENT EXECUTE FUNCTION ansinh_refuse_change();

-- A username is one person whatever its case: `Huyen842` cannot be added
-- beside `huyen842`. Usernames are ASCII (checked when added), which
-- lower() folds alike on both backends.
CREATE UNIQUE INDEX users_username_folded ON users (lower(username));
