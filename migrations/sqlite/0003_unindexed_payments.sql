-- Payments are no longer indexed by person.
--
-- Every payment roll inserted one key per line into `postings_paid`; the
-- only readers were the look-ups of a person's paid amount, which now read
-- the district's own entries (found through `account_totals`) as a payment
-- roll and a reconciliation already do. One index fewer to maintain on every
-- payment line.
DROP INDEX postings_paid;
