-- Uploaded files are stored LZ4-compressed (block format; `size_bytes`
-- stays the original length and `sha256` the original file's digest). A
-- province's 97 MB of rolls take about 26 MB: every byte stored is written
-- twice (the WAL, then the database) and read back by `verify --full`.
-- Files stored before this migration keep their bytes as uploaded.
ALTER TABLE imports ADD COLUMN content_encoding TEXT NOT NULL DEFAULT 'identity'
    CHECK (content_encoding IN ('identity', 'lz4'));
