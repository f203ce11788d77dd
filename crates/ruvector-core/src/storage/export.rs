//! The portable export file: every record of a fully folded snapshot in one file that any
//! backend can import.
//!
//! Layout (little-endian): the 16-byte magic `RUVECTOR-EXPORT\0`, `u32` file version, `u32`
//! record count, then per record `u32` key length, key bytes, `u32` value length, value
//! bytes (a sealed record), and last a CRC-32 of everything before it.

use super::{Backend, RecordError, WriteBatch};

/// The file's first 16 bytes.
pub const MAGIC: &[u8; 16] = b"RUVECTOR-EXPORT\0";
/// The export layout version this code writes and reads.
pub const EXPORT_VERSION: u32 = 1;

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

/// Writes `records` as an export file.
pub fn write_export(records: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        24 + records
            .iter()
            .map(|(k, v)| 8 + k.len() + v.len())
            .sum::<usize>(),
    );
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&EXPORT_VERSION.to_le_bytes());
    out.extend_from_slice(&(records.len() as u32).to_le_bytes());
    for (k, v) in records {
        out.extend_from_slice(&(k.len() as u32).to_le_bytes());
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
        out.extend_from_slice(v);
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
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
    let body = bytes.len() - 4;
    if crc32fast::hash(&bytes[..body]) != le(body) {
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
