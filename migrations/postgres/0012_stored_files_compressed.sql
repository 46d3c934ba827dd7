-- Uploaded files are stored LZ4-compressed by the application (block
-- format; `size_bytes` stays the original length and `sha256` the original
-- file's digest), as on SQLite: a province's 97 MB of rolls travel to the
-- server and back to `verify` as about 26 MB. The server no longer tries
-- to compress them again (EXTERNAL: out of line, uncompressed); files
-- stored before this migration keep their bytes and their compression.
ALTER TABLE imports ADD COLUMN content_encoding TEXT NOT NULL DEFAULT 'identity'
    CHECK (content_encoding IN ('identity', 'lz4'));
ALTER TABLE imports ALTER COLUMN content SET STORAGE EXTERNAL;
