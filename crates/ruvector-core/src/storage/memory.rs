//! The in-memory backend: a `DashMap`, with a lock so a batch is seen whole or not at all.
//! Optionally limited to a byte quota, to test what a full disk does.

use std::sync::RwLock;

use dashmap::DashMap;

use super::{BackendError, RecordSource, RecordWriter, WriteBatch};

/// Records in memory. Cloning shares nothing; use `&MemoryBackend` to share.
#[derive(Debug, Default)]
pub struct MemoryBackend {
    map: DashMap<String, Vec<u8>>,
    gate: RwLock<()>,
    quota: Option<usize>,
}

impl MemoryBackend {
    /// An empty backend with no quota.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty backend refusing any batch that would hold more than `bytes` of keys and
    /// values in total ([`BackendError::QuotaExceeded`]).
    pub fn with_quota(bytes: usize) -> Self {
        MemoryBackend {
            quota: Some(bytes),
            ..Self::default()
        }
    }

    /// A new backend holding a copy of every record of `other`.
    pub fn new_from(other: &MemoryBackend) -> Self {
        let m = MemoryBackend::new();
        for (k, v) in other.records() {
            m.map.insert(k, v);
        }
        m
    }

    /// Bytes of keys and values held.
    pub fn bytes(&self) -> usize {
        self.map
            .iter()
            .map(|e| e.key().len() + e.value().len())
            .sum()
    }

    /// Every record, sorted by key.
    pub fn records(&self) -> Vec<(String, Vec<u8>)> {
        let _r = self.gate.read().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<_> = self
            .map
            .iter()
            .map(|e| (e.key().clone(), e.value().clone()))
            .collect();
        v.sort();
        v
    }

    /// Replaces the value at `key` directly, outside any batch (for corruption tests).
    pub fn put_raw(&self, key: &str, value: Vec<u8>) {
        self.map.insert(key.to_owned(), value);
    }

    /// Removes `key` directly, outside any batch (for corruption tests).
    pub fn remove_raw(&self, key: &str) {
        self.map.remove(key);
    }
}

impl RecordWriter for MemoryBackend {
    fn write(&self, batch: &WriteBatch) -> Result<(), BackendError> {
        let _w = self.gate.write().unwrap_or_else(|e| e.into_inner());
        if let Some(q) = self.quota {
            let mut after = if batch.clear { 0 } else { self.bytes() as i64 };
            for d in batch.deletes.iter().filter(|_| !batch.clear) {
                after -= self.map.get(d).map_or(0, |v| (d.len() + v.len()) as i64);
            }
            for (k, v) in &batch.puts {
                after += (k.len() + v.len()) as i64
                    - self
                        .map
                        .get(k)
                        .filter(|_| !batch.clear)
                        .map_or(0, |o| (k.len() + o.len()) as i64);
            }
            if after > q as i64 {
                return Err(BackendError::QuotaExceeded(format!(
                    "{after} bytes needed, quota {q}"
                )));
            }
        }
        if batch.clear {
            self.map.clear();
        }
        for d in &batch.deletes {
            self.map.remove(d);
        }
        for (k, v) in &batch.puts {
            self.map.insert(k.clone(), v.clone());
        }
        Ok(())
    }
}

impl RecordSource for MemoryBackend {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BackendError> {
        let _r = self.gate.read().unwrap_or_else(|e| e.into_inner());
        Ok(self.map.get(key).map(|v| v.clone()))
    }

    fn keys(&self, prefix: &str) -> Result<Vec<String>, BackendError> {
        let _r = self.gate.read().unwrap_or_else(|e| e.into_inner());
        let mut k: Vec<String> = self
            .map
            .iter()
            .filter(|e| e.key().starts_with(prefix))
            .map(|e| e.key().clone())
            .collect();
        k.sort_unstable();
        Ok(k)
    }
}
