-- PostgreSQL keeps its index of approving postings as a hash index (its
-- migration 0011). SQLite has none: its B-tree stays, but the versions of
-- both backends stay the same.
SELECT 1;
