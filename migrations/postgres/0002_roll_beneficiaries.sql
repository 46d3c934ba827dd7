-- Lookups by person, shaped so that an import touches few index pages.
--
-- One index over every posting's beneficiary meant that each large roll
-- inserted tens of thousands of random keys across the whole index, and the
-- commit rewrote most of its pages. Approvals (no voucher reference) keep an
-- index by person, for "is this person already approved in the program?";
-- payments are indexed by (account, person), which clusters a district's
-- payments together and is how a person's paid amount is found from the
-- account of their approval.
DROP INDEX postings_beneficiary;
CREATE INDEX postings_approved ON postings(beneficiary)
    WHERE beneficiary IS NOT NULL AND reference IS NULL;
CREATE INDEX postings_paid ON postings(account, beneficiary)
    WHERE beneficiary IS NOT NULL AND reference IS NOT NULL;

-- People as written on the roll that approved them, keyed by that import:
-- an import appends its own range of keys instead of scattering them over a
-- table of every person. A person on two programs' rolls has a row for each.
CREATE TABLE roll_beneficiaries (
    import_id     BIGINT NOT NULL REFERENCES imports(id),
    national_id   TEXT NOT NULL,
    full_name     TEXT NOT NULL,
    date_of_birth TEXT,
    sex           TEXT,
    commune_code  TEXT,
    PRIMARY KEY (import_id, national_id)
);
INSERT INTO roll_beneficiaries (import_id, national_id, full_name, date_of_birth, sex, commune_code)
    SELECT first_import, national_id, full_name, date_of_birth, sex, commune_code
    FROM beneficiaries WHERE first_import IS NOT NULL;
DROP TABLE beneficiaries;

CREATE TRIGGER roll_beneficiaries_append_only BEFORE UPDATE OR DELETE ON roll_beneficiaries
    FOR EACH ROW EXECUTE FUNCTION ansinh_refuse_change();
CREATE TRIGGER roll_beneficiaries_no_truncate BEFORE TRUNCATE ON roll_beneficiaries
    FOR EACH STATEMENT EXECUTE FUNCTION ansinh_refuse_change();
