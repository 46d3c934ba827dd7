-- Each upload checks how many of its district's uploads of the last day
-- nobody committed (the upload quota). Without an index that query read
-- every upload row of the district, and on SQLite a row's columns after its
-- stored file (`uploaded_at_us` among them) are reached by walking the
-- file's overflow pages: 2 ms a check after one province's rolls, growing
-- with every file the district ever uploaded. The index answers it alone.
CREATE INDEX imports_district_uploaded ON imports (district, uploaded_at_us);
