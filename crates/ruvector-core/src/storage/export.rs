//! The portable export file: every record of a fully folded snapshot in one file that any
//! backend can import.
//!
//! Layout (little-endian): the 16-byte magic `RUVECTOR-EXPORT\0`, `u32` file version, `u32`
//! record count, then per record `u32` key length, key bytes, `u32` value length, value
//! bytes (a sealed record), and last a checksum of everything before it: XXH3-64 (8 bytes)
//! from version 2 on, CRC-32 (4 bytes) in version 1 files, which are still read.

use super::{Backend, RecordError, WriteBatch};

/// The file's first 16 bytes.
pub const MAGIC: &[u8; 16] = b"RUVECTOR-EXPORT\0";
/// The export layout version this code writes (it reads this one and every older one).
pub const EXPORT_VERSION: u32 = 2;

/// The checksum a file of `version` ends with, over everything before it (the low
/// [`checksum_len`] bytes are stored, little-endian). Version 2 changed CRC-32 to XXH3-64, as
/// format version 3 did for records: a fresh browser worker checks a 33 MB file in a few ms
/// instead of 12-15.
fn file_checksum(version: u32, bytes: &[u8]) -> u64 {
    if version >= 2 {
        super::codec::xxh3(bytes, 0)
    } else {
        super::codec::CRC32.checksum(bytes).into()
    }
}

/// Bytes of the checksum that ends a file of `version`.
fn checksum_len(version: u32) -> usize {
    if version >= 2 {
        8
    } else {
        4
    }
}

/// Why an export file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Not a ruvector export (wrong magic).
    #[error("not a ruvector export file")]
    NotAnExport,
    /// Written by a newer ruvector.
    #[error(
        "export version {0} is newer than this build reads ({EXPORT_VERSION}): upgrade ruvector"
    )]
    NewerVersion(u32),
    /// Truncated or damaged; `at` is the byte offset where reading failed.
    #[error("export file is damaged at byte {at}: {what}")]
    Damaged {
        /// Byte offset.
        at: usize,
        /// What is wrong.
        what: String,
    },
    /// A record inside is damaged.
    #[error(transparent)]
    Record(#[from] RecordError),
}

/// The first 24 bytes of an export file of `count` records: magic, version, count.
pub fn export_header(count: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(24);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&EXPORT_VERSION.to_le_bytes());
    out.extend_from_slice(&(count as u32).to_le_bytes());
    out
}

/// Appends one record to `out` as an export file frames it: key and value, each after its
/// `u32` length.
pub fn frame_record(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    out.extend_from_slice(value);
}

/// Writes `records` as an export file.
pub fn write_export(records: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = export_header(records.len());
    out.reserve(
        records
            .iter()
            .map(|(k, v)| 8 + k.len() + v.len())
            .sum::<usize>()
            + 8,
    );
    for (k, v) in records {
        frame_record(&mut out, k, v);
    }
    let sum = file_checksum(EXPORT_VERSION, &out).to_le_bytes();
    out.extend_from_slice(&sum[..checksum_len(EXPORT_VERSION)]);
    out
}

/// Reads an export file into its records (each still sealed; `Database::open` checks them).
pub fn read_export(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, ImportError> {
    if bytes.len() < 28 || &bytes[..16] != MAGIC {
        return Err(ImportError::NotAnExport);
    }
    let le =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let version = le(16);
    if version > EXPORT_VERSION {
        return Err(ImportError::NewerVersion(version));
    }
    if version == 0 {
        return Err(ImportError::Damaged {
            at: 16,
            what: "export version 0 does not exist".into(),
        });
    }
    let len = checksum_len(version);
    let body = (bytes.len().checked_sub(len))
        .filter(|&b| b >= 24)
        .ok_or_else(|| ImportError::Damaged {
            at: bytes.len(),
            what: "truncated".into(),
        })?;
    if bytes[body..] != file_checksum(version, &bytes[..body]).to_le_bytes()[..len] {
        return Err(ImportError::Damaged {
            at: body,
            what: "checksum mismatch".into(),
        });
    }
    let count = le(20) as usize;
    let mut at = 24;
    let mut out = Vec::with_capacity(count.min(1 << 16));
    let damaged = |at: usize| ImportError::Damaged {
        at,
        what: "record runs past the end".into(),
    };
    let field = |at: &mut usize| -> Result<&[u8], ImportError> {
        if *at + 4 > body {
            return Err(damaged(*at));
        }
        let n = le(*at) as usize;
        let start = *at + 4;
        let end = start
            .checked_add(n)
            .filter(|&e| e <= body)
            .ok_or_else(|| damaged(*at))?;
        *at = end;
        Ok(&bytes[start..end])
    };
    for _ in 0..count {
        let key =
            String::from_utf8(field(&mut at)?.to_vec()).map_err(|_| ImportError::Damaged {
                at,
                what: "key is not UTF-8".into(),
            })?;
        let value = field(&mut at)?.to_vec();
        out.push((key, value));
    }
    if at != body {
        return Err(ImportError::Damaged {
            at,
            what: "bytes after the last record".into(),
        });
    }
    Ok(out)
}

/// The batch that writes imported records, replacing whatever the backend holds.
pub fn import_batch(records: Vec<(String, Vec<u8>)>) -> WriteBatch {
    WriteBatch {
        seq: 0,
        clear: true,
        puts: records,
        deletes: Vec::new(),
    }
}

/// True when `backend` holds no ruvector records.
pub fn is_empty(backend: &impl Backend) -> Result<bool, super::BackendError> {
    Ok(backend.get(super::MANIFEST_KEY)?.is_none())
}
