//! An uploaded file as the ledger keeps it: LZ4-compressed (block format,
//! its length kept beside it), because a province's rolls are about 100 MB
//! of CSV that compress about 3.7 to 1, and every byte stored is written
//! twice on SQLite (its WAL, then the database) and read back by each
//! `verify --full`. The digest is always the original file's.

/// Largest file accepted, in bytes (64 MiB: about a million roll lines).
pub const FILE_BYTES_MAX: usize = 64 * 1024 * 1024;

/// How a stored file's bytes are encoded (the `content_encoding` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileEncoding {
    /// The file as uploaded: every import stored before migration 0012, and
    /// a file LZ4 would not make smaller.
    Identity,
    /// LZ4 block format, without a length prefix (the length is `size_bytes`).
    Lz4,
}

impl FileEncoding {
    pub fn as_str(self) -> &'static str {
        match self {
            FileEncoding::Identity => "identity",
            FileEncoding::Lz4 => "lz4",
        }
    }

    pub fn parse(text: &str) -> Result<FileEncoding, String> {
        match text {
            "identity" => Ok(FileEncoding::Identity),
            "lz4" => Ok(FileEncoding::Lz4),
            other => Err(format!("unknown file encoding {other:?}")),
        }
    }
}

/// A file encoded for storage, with its original length; made only by
/// [`StoredFile::encode`], so its bytes always decode to the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    encoding: FileEncoding,
    bytes: Vec<u8>,
    size_bytes: usize,
}

impl StoredFile {
    pub fn encoding(&self) -> FileEncoding {
        self.encoding
    }

    /// The bytes to store.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The original file's length.
    pub fn size_bytes(&self) -> usize {
        self.size_bytes
    }

    /// Compresses `file`, or keeps it as it is when that is not smaller.
    pub fn encode(file: Vec<u8>) -> StoredFile {
        let size_bytes = file.len();
        let compressed = lz4_flex::block::compress(&file);
        if compressed.len() < size_bytes {
            StoredFile {
                encoding: FileEncoding::Lz4,
                bytes: compressed,
                size_bytes,
            }
        } else {
            StoredFile {
                encoding: FileEncoding::Identity,
                bytes: file,
                size_bytes,
            }
        }
    }

    /// The original file, from what a store read back: its encoding and
    /// length as stored. Refuses a length over [`FILE_BYTES_MAX`] before
    /// allocating anything, and bytes that do not decode to that length.
    pub fn decode(encoding: &str, bytes: Vec<u8>, size_bytes: i64) -> Result<Vec<u8>, String> {
        let size_bytes = usize::try_from(size_bytes)
            .ok()
            .filter(|size| *size <= FILE_BYTES_MAX)
            .ok_or_else(|| format!("a stored file's length {size_bytes} is out of range"))?;
        let file = match FileEncoding::parse(encoding)? {
            FileEncoding::Identity => bytes,
            FileEncoding::Lz4 => lz4_flex::block::decompress(&bytes, size_bytes)
                .map_err(|e| format!("a stored file does not decompress: {e}"))?,
        };
        if file.len() != size_bytes {
            return Err(format!(
                "a stored file holds {} bytes where its record says {size_bytes}",
                file.len()
            ));
        }
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roll_text(lines: usize) -> Vec<u8> {
        let mut text = String::from("national_id,full_name,amount\n");
        for line in 0..lines {
            text.push_str(&format!("0841{line:08},Nguyễn Thị Tâm,1500000\n"));
        }
        text.into_bytes()
    }

    #[test]
    fn a_roll_is_stored_compressed_and_read_back_exactly() {
        let roll = roll_text(10_000);
        let stored = StoredFile::encode(roll.clone());
        assert_eq!(stored.encoding, FileEncoding::Lz4);
        assert!(
            stored.bytes.len() * 3 < roll.len(),
            "{}",
            stored.bytes.len()
        );
        let size = i64::try_from(stored.size_bytes).unwrap();
        let back = StoredFile::decode(stored.encoding.as_str(), stored.bytes, size).unwrap();
        assert_eq!(back, roll);
    }

    #[test]
    fn bytes_lz4_cannot_shrink_are_kept_as_they_are() {
        for file in [Vec::new(), vec![7u8]] {
            let stored = StoredFile::encode(file.clone());
            assert_eq!(stored.encoding, FileEncoding::Identity);
            assert_eq!(stored.bytes, file);
            let size = i64::try_from(file.len()).unwrap();
            assert_eq!(StoredFile::decode("identity", stored.bytes, size), Ok(file));
        }
    }

    #[test]
    fn a_stored_file_that_does_not_match_its_record_is_refused() {
        let roll = roll_text(1_000);
        let stored = StoredFile::encode(roll.clone());
        let size = i64::try_from(roll.len()).unwrap();
        // Its length changed, its bytes cut, its encoding unknown, a length
        // over the limit: each refused, none allocating past the limit.
        assert!(StoredFile::decode("lz4", stored.bytes.clone(), size + 1).is_err());
        let cut = stored.bytes[..stored.bytes.len() / 2].to_vec();
        assert!(StoredFile::decode("lz4", cut, size).is_err());
        assert!(StoredFile::decode("zstd", stored.bytes.clone(), size).is_err());
        let over = i64::try_from(FILE_BYTES_MAX).unwrap() + 1;
        assert!(StoredFile::decode("identity", roll.clone(), over).is_err());
        assert!(StoredFile::decode("identity", roll, -1).is_err());
    }
}
