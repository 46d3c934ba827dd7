-- Each upload checks how many of its district's uploads of the last day
-- nobody committed (the upload quota): an index instead of reading every
-- upload row. (SQLite needs it most: there a row's columns after its stored
-- file are reached through the file's overflow pages.)
CREATE INDEX imports_district_uploaded ON imports (district, uploaded_at_us);
