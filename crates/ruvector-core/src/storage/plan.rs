//! Read plans: the key ranges a read needs, named by the format that knows them, so that a
//! store whose reads are asynchronous (IndexedDB) can read them ahead in one transaction and
//! serve the engine from memory, without knowing which record holds what.

use std::borrow::Cow;

use super::records::Manifest;
use super::{log_key, PageKind, LOG_PREFIX, MANIFEST_KEY};

/// Keys from `from` (inclusive) to `to` (exclusive, or inclusive when `to_inclusive`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRange {
    /// The first key.
    pub from: Cow<'static, str>,
    /// The bound after the last key.
    pub to: &'static str,
    /// Whether `to` itself is in the range.
    pub to_inclusive: bool,
    /// Whether the values are wanted (else only the keys).
    pub values: bool,
}

/// What every log key sorts below: [`LOG_PREFIX`] with its `/` replaced by `0`, the next
/// character.
const LOG_END: &str = "log0";
/// What every vector page key sorts below (as [`LOG_END`] for the log).
const VECTORS_END: &str = "vec0";
/// What every key of the format sorts below.
const ALL_END: &str = "~";

impl KeyRange {
    /// Every key from `from` below `to`, with its value.
    fn between(from: impl Into<Cow<'static, str>>, to: &'static str) -> KeyRange {
        KeyRange {
            from: from.into(),
            to,
            to_inclusive: false,
            values: true,
        }
    }

    /// Exactly `key`.
    pub fn key(key: &'static str) -> KeyRange {
        KeyRange {
            from: Cow::Borrowed(key),
            to: key,
            to_inclusive: true,
            values: true,
        }
    }

    /// The same keys, without their values.
    pub fn keys_only(self) -> KeyRange {
        KeyRange {
            values: false,
            ..self
        }
    }
}

/// The key ranges one read needs, to be read together (one transaction where the store has
/// them). Every key of the format is ASCII and sorts below `~`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadPlan {
    /// The ranges, in no particular order.
    pub ranges: Vec<KeyRange>,
}

impl ReadPlan {
    /// Every record.
    pub fn everything() -> ReadPlan {
        ReadPlan {
            ranges: vec![KeyRange::between("", ALL_END)],
        }
    }

    /// The manifest alone.
    pub fn manifest() -> ReadPlan {
        ReadPlan {
            ranges: vec![KeyRange::key(MANIFEST_KEY)],
        }
    }

    /// Every log record: what an open needs beside pages it has from elsewhere (a page
    /// cache whose manifest is the stored one).
    pub fn log() -> ReadPlan {
        ReadPlan {
            ranges: vec![KeyRange::between(LOG_PREFIX, LOG_END)],
        }
    }

    /// The manifest and the keys (not the values) of the log: what
    /// [`crate::Database::stored_seq`] needs.
    pub fn manifest_and_log_keys() -> ReadPlan {
        ReadPlan {
            ranges: vec![
                KeyRange::between(LOG_PREFIX, LOG_END).keys_only(),
                KeyRange::key(MANIFEST_KEY),
            ],
        }
    }

    /// What [`crate::Database::open`] reads when the stored manifest is `manifest` (`None`:
    /// not read, or none): every record but the vector pages an open restores from code
    /// pages instead (format version 2 on, [`Manifest::first_vector_page_read`]).
    pub fn open(manifest: Option<&[u8]>) -> ReadPlan {
        let first = manifest
            .and_then(|bytes| Manifest::decode(MANIFEST_KEY, bytes).ok())
            .map_or(0, |m| m.first_vector_page_read());
        if first == 0 {
            return ReadPlan::everything();
        }
        let below = KeyRange::between("", PageKind::Vectors.prefix());
        let from_first = KeyRange::between(PageKind::Vectors.key(first, 0), VECTORS_END);
        ReadPlan {
            ranges: vec![below, from_first],
        }
    }

    /// The log records after sequence number `seq` and the manifest: the first read of a
    /// catch-up with other writers ([`crate::Database::sync`]).
    pub fn log_since(seq: u64) -> ReadPlan {
        ReadPlan {
            ranges: vec![
                KeyRange::between(log_key(seq + 1), LOG_END),
                KeyRange::key(MANIFEST_KEY),
            ],
        }
    }

    /// The vector pages from page `page` on: the second read of a catch-up that found log
    /// records (bulk records keep their vectors in those pages;
    /// [`crate::Database::sync_vector_page`]).
    pub fn vector_pages_from(page: u32) -> ReadPlan {
        ReadPlan {
            ranges: vec![KeyRange::between(
                PageKind::Vectors.key(page, 0),
                VECTORS_END,
            )],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl ReadPlan {
        /// True when `key` is in one of the ranges.
        pub fn covers(&self, key: &str) -> bool {
            self.ranges
                .iter()
                .any(|r| key >= r.from.as_ref() && (key < r.to || (r.to_inclusive && key == r.to)))
        }
    }

    #[test]
    fn ranges_cover_exactly_their_keys() {
        let log = ReadPlan::log();
        assert!(log.covers(&log_key(1)) && log.covers(&log_key(u64::MAX)));
        assert!(!log.covers(MANIFEST_KEY) && !log.covers("log0") && !log.covers("lo"));
        let since = ReadPlan::log_since(7);
        assert!(!since.covers(&log_key(7)) && since.covers(&log_key(8)));
        assert!(since.covers(MANIFEST_KEY) && !since.covers("manifest2"));
        let pages = ReadPlan::vector_pages_from(3);
        assert!(!pages.covers(&PageKind::Vectors.key(2, 9)));
        assert!(pages.covers(&PageKind::Vectors.key(3, 0)));
        assert!(!pages.covers(&PageKind::Graph.key(3, 0)));
        let all = ReadPlan::everything();
        for k in [
            MANIFEST_KEY.to_owned(),
            log_key(1),
            PageKind::Meta.key(0, 1),
        ] {
            assert!(all.covers(&k), "{k}");
        }
        // The bounds end exactly the prefixes they stand for.
        let vectors = PageKind::Vectors.prefix();
        let bounds = [
            (LOG_PREFIX, LOG_END, log_key(u64::MAX)),
            (
                vectors,
                VECTORS_END,
                PageKind::Vectors.key(u32::MAX, u64::MAX),
            ),
        ];
        for (prefix, end, last) in bounds {
            assert!(prefix < end && last.as_str() < end && !end.starts_with(prefix));
            assert_eq!(end.len(), prefix.len());
        }
        assert!(PageKind::Codes.key(u32::MAX, u64::MAX).as_str() < ALL_END);
        // No manifest (or a damaged one): read everything, and let the open say what is wrong.
        assert_eq!(ReadPlan::open(None), ReadPlan::everything());
        assert_eq!(ReadPlan::open(Some(b"garbage")), ReadPlan::everything());
    }
}
