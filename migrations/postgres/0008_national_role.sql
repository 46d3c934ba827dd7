-- The national role (a ministry's reader of every provincial ledger) joins
-- the roles a user may have.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'provincial', 'district', 'auditor', 'national'));
