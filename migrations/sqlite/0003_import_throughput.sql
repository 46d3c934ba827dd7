-- Fewer rows and index keys per imported line.
--
-- Payments are no longer indexed by person. Every payment line inserted one
-- key into `postings_paid`; its only readers looked up a person's paid
-- amount, which is now read from the district's own entries (found through
-- `account_totals`), as a payment roll and a reconciliation already do.
DROP INDEX postings_paid;

-- A roll's people as written on it: one JSON document per roll instead of a
-- row per person. They are written once, with the roll's commit, and read
-- together (a district's names for its reconciliation). Each element is
-- [national_id, full_name, date_of_birth, sex, commune_code], in national ID
-- order; the last three may be null.
CREATE TABLE roll_people (
    import_id BIGINT PRIMARY KEY REFERENCES imports(id),
    people    TEXT NOT NULL
);
INSERT INTO roll_people (import_id, people)
    SELECT import_id,
           json_group_array(json_array(national_id, full_name, date_of_birth, sex, commune_code))
    FROM (SELECT * FROM roll_beneficiaries ORDER BY import_id, national_id)
    GROUP BY import_id;
DROP TABLE roll_beneficiaries;

CREATE TRIGGER roll_people_no_update BEFORE UPDATE ON roll_people
BEGIN SELECT RAISE(ABORT, 'roll_people is append-only'); END;
CREATE TRIGGER roll_people_no_delete BEFORE DELETE ON roll_people
BEGIN SELECT RAISE(ABORT, 'roll_people is append-only'); END;

-- Voucher references are checked against the paying district's own payments,
-- which a payment roll reads anyway: a district's payment office numbers its
-- vouchers. The index over every voucher of the ledger has no reader left.
DROP INDEX postings_reference;

-- Balance rules read an account's balance at every commit, and budget checks
-- at every validation: an index by account instead of a scan of every total.
CREATE INDEX account_totals_account ON account_totals(account);
