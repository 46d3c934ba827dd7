-- Room for every update of a payment roll beside its row (migration 0007
-- left 40 %). A commit writes a new version of each person it pays, and the
-- versions it replaces stay until it commits: a page needs room for a new
-- version of every row on it. With 40 % free, a third of a province's
-- payment updates (93,000 of 300,000) found no room, went to another page
-- and added a key to the primary key's index. With 50 %, all but a handful
-- stay on their page: the province's read model writes 2.2 → 1.5 s, and
-- the table is smaller (79 against 86 MB), its index not bloated.
-- `VACUUM FULL person_balances` gives the room to rows written before.
ALTER TABLE person_balances SET (fillfactor = 50);
