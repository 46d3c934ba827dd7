-- PostgreSQL leaves more room in the pages of person_balances for its
-- updates (its migration 0010). SQLite writes a changed row in place:
-- nothing to do, but the versions of both backends stay the same.
SELECT 1;
