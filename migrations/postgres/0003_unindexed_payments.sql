-- Payments are no longer indexed by person.
--
-- Every payment roll inserted one key per line into `postings_paid`; the
-- only readers were the look-ups of a person's paid amount, which now read
-- the district's own entries (found through `account_totals`) as a payment
-- roll and a reconciliation already do. One index fewer to maintain on every
-- payment line.
DROP INDEX postings_paid;

-- The rows of a roll name their import. A foreign key checked that once per
-- row (a trigger call and a row lock each, a third of a large roll's commit);
-- one check per statement over the inserted rows keeps the guarantee.
ALTER TABLE roll_beneficiaries DROP CONSTRAINT roll_beneficiaries_import_id_fkey;
CREATE FUNCTION ansinh_roll_import_exists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT import_id FROM new_rows) AS n
               WHERE NOT EXISTS (SELECT 1 FROM imports i WHERE i.id = n.import_id)) THEN
        RAISE EXCEPTION 'roll_beneficiaries: the import named does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER roll_beneficiaries_import_exists AFTER INSERT ON roll_beneficiaries
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ansinh_roll_import_exists();

-- Original files are kept compressed with lz4 where the server has it: as
-- small as pglz makes them, at several times the speed. Elsewhere they are
-- stored uncompressed rather than slowly.
DO $$
BEGIN
    ALTER TABLE imports ALTER COLUMN content SET COMPRESSION lz4;
EXCEPTION WHEN OTHERS THEN
    ALTER TABLE imports ALTER COLUMN content SET STORAGE EXTERNAL;
END $$;
