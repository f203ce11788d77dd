//! The record envelope and a little-endian reader/writer for record bodies.
//!
//! Every stored value is `kind u8 · version u16 · body_len u32 · body · checksum`, all
//! little-endian. From version 3 the checksum is XXH3-64 (8 bytes) of everything before it,
//! seeded with the XXH3-64 of the key; versions 1 and 2 end with a CRC-32 (IEEE, 4 bytes) of
//! the key's bytes, then everything before it. Checking the key too means a value copied
//! under the wrong key is caught.

use super::RecordError;

/// The format version this code writes, and the newest it reads. Version 2 added int8 code
/// pages and the quantiser to the manifest; version 3 changed the checksum from CRC-32 to
/// XXH3-64, which a fresh browser worker checks in a third of the time (33 MB: 3-5 ms against
/// 12-15), and made the manifest's version 2 fields unconditional. Version 4 added the text
/// index: text pages, a text per slot, and the text pages' list in the manifest. Records of
/// every version are read, and a database may mix them: each record is checked by its own
/// version.
pub const FORMAT_VERSION: u16 = 4;
/// The first version whose records end with an XXH3-64 checksum; every later one keeps it,
/// so a newer record's checksum is checked before its version is refused.
pub const XXH3_VERSION: u16 = 3;
const HEAD: usize = 1 + 2 + 4;

/// What a record holds; the first byte of every value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// The manifest: configuration, sequence numbers and the live page table.
    Manifest = 1,
    /// One committed batch of changes.
    Log = 2,
    /// Vectors (and cosine norms) of a slot range.
    VectorPage = 3,
    /// HNSW levels and links of a slot range.
    GraphPage = 4,
    /// Ids, live flags and metadata of a slot range.
    MetaPage = 5,
    /// Int8 codes, residuals and norms of a slot range (format version 2).
    CodesPage = 6,
    /// The terms of one text bucket with their postings (format version 4).
    TextPage = 7,
}

impl Kind {
    fn from_u8(b: u8) -> Option<Kind> {
        Some(match b {
            1 => Kind::Manifest,
            2 => Kind::Log,
            3 => Kind::VectorPage,
            4 => Kind::GraphPage,
            5 => Kind::MetaPage,
            6 => Kind::CodesPage,
            7 => Kind::TextPage,
            _ => return None,
        })
    }
}

/// CRC-32 (ISO-HDLC, as zlib's), a byte at a time: only records of format versions 1 and 2
/// and export files of version 1 use it, and one 1 KiB table keeps it small in wasm.
pub(crate) const CRC32: crc::Crc<u32, crc::Table<1>> =
    crc::Crc::<u32, crc::Table<1>>::new(&crc::CRC_32_ISO_HDLC);

fn crc(key: &str, bytes: &[u8]) -> u32 {
    let mut h = CRC32.digest();
    h.update(key.as_bytes());
    h.update(bytes);
    h.finalize()
}

/// The checksum a record of `version` ends with, over the key and `bytes` (its first
/// [`checksum_len`] bytes, little-endian, are stored).
fn checksum(version: u16, key: &str, bytes: &[u8]) -> u64 {
    if version >= XXH3_VERSION {
        xxh3(bytes, xxhash_rust::xxh3::xxh3_64(key.as_bytes()))
    } else {
        crc(key, bytes).into()
    }
}

/// XXH3-64 of `bytes` with `seed`: records and export files share this one copy of the
/// hash's long-input path (inlined, it is ~1 KB of wasm at each use).
#[inline(never)]
pub(crate) fn xxh3(bytes: &[u8], seed: u64) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(bytes, seed)
}

/// Bytes of the checksum that ends a record of `version`.
fn checksum_len(version: u16) -> usize {
    if version >= XXH3_VERSION {
        8
    } else {
        4
    }
}

/// Wraps `body` in the envelope for `key`, at [`FORMAT_VERSION`].
pub fn seal(key: &str, kind: Kind, body: &[u8]) -> Vec<u8> {
    seal_at(key, kind, FORMAT_VERSION, body)
}

/// Wraps `body` in the envelope for `key`, marked as format `version` and with that
/// version's checksum (older versions: what their code wrote, for compatibility tests).
pub fn seal_at(key: &str, kind: Kind, version: u16, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEAD + body.len() + checksum_len(version));
    out.push(kind as u8);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    let sum = checksum(version, key, &out).to_le_bytes();
    out.extend_from_slice(&sum[..checksum_len(version)]);
    out
}

/// Checks the envelope of the value stored at `key` and returns its body. Never panics:
/// every malformed input is a [`RecordError`] naming the key.
pub fn open_envelope<'a>(
    key: &str,
    expected: Kind,
    bytes: &'a [u8],
) -> Result<&'a [u8], RecordError> {
    Ok(open_versioned(key, expected, bytes)?.1)
}

/// As [`open_envelope`], also returning the record's format version.
pub fn open_versioned<'a>(
    key: &str,
    expected: Kind,
    bytes: &'a [u8],
) -> Result<(u16, &'a [u8]), RecordError> {
    let err = |what: &str| RecordError::Corrupt {
        key: key.to_owned(),
        what: what.to_owned(),
    };
    if bytes.len() < HEAD + 4 {
        return Err(err("shorter than a record header"));
    }
    // The version says which checksum ends the record; the checksum covers the version, so
    // a damaged version fails it as any other damaged byte does.
    let version = u16::from_le_bytes([bytes[1], bytes[2]]);
    let sum = checksum_len(version);
    let len = u32::from_le_bytes([bytes[3], bytes[4], bytes[5], bytes[6]]) as usize;
    // Saturating: a damaged length near u32::MAX must not overflow a 32-bit usize (wasm).
    let whole = len.saturating_add(HEAD + sum);
    if bytes.len() != whole {
        return Err(err(&format!(
            "length {} does not match the header's {whole}",
            bytes.len()
        )));
    }
    let (data, tail) = bytes.split_at(HEAD + len);
    let mut stored = [0u8; 8];
    stored[..sum].copy_from_slice(tail);
    if u64::from_le_bytes(stored) != checksum(version, key, data) {
        return Err(err("checksum mismatch"));
    }
    if version > FORMAT_VERSION {
        return Err(RecordError::NewerFormat {
            key: key.to_owned(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    match Kind::from_u8(bytes[0]) {
        Some(k) if k == expected => Ok((version, &data[HEAD..])),
        Some(k) => Err(err(&format!("holds a {k:?} record, expected {expected:?}"))),
        None => Err(err(&format!("unknown record kind {}", bytes[0]))),
    }
}

/// Appends little-endian values to a body.
#[derive(Default)]
pub struct Writer(pub Vec<u8>);

impl Writer {
    /// A `u8`.
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    /// A `u16`.
    pub fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    /// A `u32`.
    pub fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    /// A `u64`.
    pub fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    /// Floats, each as its 4 little-endian bytes.
    pub fn f32s(&mut self, v: &[f32]) {
        self.0.reserve(v.len() * 4);
        for x in v {
            self.0.extend_from_slice(&x.to_le_bytes());
        }
    }
    /// `u32`s, each little-endian.
    pub fn u32s(&mut self, v: &[u32]) {
        self.0.reserve(v.len() * 4);
        for x in v {
            self.0.extend_from_slice(&x.to_le_bytes());
        }
    }
    /// A `u32` in LEB128: seven bits a byte, low first, the high bit set on all but the last.
    pub fn varint(&mut self, mut v: u32) {
        while v >= 0x80 {
            self.0.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    /// A `u32` length, then the bytes.
    pub fn bytes(&mut self, v: &[u8]) {
        self.u32(v.len() as u32);
        self.0.extend_from_slice(v);
    }
}

/// Reads a body written by [`Writer`]; every read is bounds-checked.
pub struct Reader<'a> {
    key: &'a str,
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// Reads `data`, the body of the record at `key`.
    pub fn new(key: &'a str, data: &'a [u8]) -> Self {
        Reader { key, data, at: 0 }
    }

    /// An error naming this record.
    pub fn corrupt(&self, what: impl Into<String>) -> RecordError {
        RecordError::Corrupt {
            key: self.key.to_owned(),
            what: what.into(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], RecordError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or_else(|| {
            self.corrupt(format!("truncated at byte {} (needs {n} more)", self.at))
        })?;
        let s = &self.data[self.at..end];
        self.at = end;
        Ok(s)
    }

    /// A `u8`.
    pub fn u8(&mut self) -> Result<u8, RecordError> {
        Ok(self.take(1)?[0])
    }
    /// A `u16`.
    pub fn u16(&mut self) -> Result<u16, RecordError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    /// A `u32`.
    pub fn u32(&mut self) -> Result<u32, RecordError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// A `u64`.
    pub fn u64(&mut self) -> Result<u64, RecordError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    /// `n` floats, appended to `out`.
    pub fn f32s_into(&mut self, n: usize, out: &mut Vec<f32>) -> Result<(), RecordError> {
        let b = self.take(
            n.checked_mul(4)
                .ok_or_else(|| self.corrupt("length overflow"))?,
        )?;
        out.extend(
            b.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        );
        Ok(())
    }
    /// `n` `u32`s.
    pub fn u32s(&mut self, n: usize) -> Result<Vec<u32>, RecordError> {
        let b = self.take(
            n.checked_mul(4)
                .ok_or_else(|| self.corrupt("length overflow"))?,
        )?;
        Ok(b.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
    /// A `u32` written by [`Writer::varint`]; more than five bytes, or bits beyond 32, are
    /// damage.
    pub fn varint(&mut self) -> Result<u32, RecordError> {
        let mut v: u64 = 0;
        for i in 0..5 {
            let b = self.u8()?;
            v |= ((b & 0x7f) as u64) << (7 * i);
            if b & 0x80 == 0 {
                return u32::try_from(v).map_err(|_| self.corrupt("varint beyond 32 bits"));
            }
        }
        Err(self.corrupt("varint longer than 5 bytes"))
    }
    /// `n` raw bytes.
    pub fn bytes_n(&mut self, n: usize) -> Result<&'a [u8], RecordError> {
        self.take(n)
    }
    /// A `u32` length, then that many bytes.
    pub fn bytes(&mut self) -> Result<&'a [u8], RecordError> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    /// Fails unless every byte was read.
    pub fn finish(&self) -> Result<(), RecordError> {
        if self.at == self.data.len() {
            Ok(())
        } else {
            Err(self.corrupt(format!(
                "{} unexpected trailing bytes",
                self.data.len() - self.at
            )))
        }
    }
}
