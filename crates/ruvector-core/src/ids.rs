//! External string ids and their mapping to internal [`Slot`]s.

use std::collections::HashMap;

use crate::error::IdError;
use crate::vectors::Slot;

/// The longest id accepted, in UTF-8 bytes.
pub const MAX_ID_BYTES: usize = 512;

/// Checks a user-given id.
pub fn validate(id: &str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty);
    }
    if id.len() > MAX_ID_BYTES {
        return Err(IdError::TooLong {
            len: id.len(),
            max: MAX_ID_BYTES,
        });
    }
    Ok(())
}

/// A fresh random id: a version-4 UUID from the platform's secure random source
/// (`crypto.getRandomValues` in browsers, the OS elsewhere). Should that source fail, the
/// bytes come from SplitMix64 seeded with `fallback_seed`; the collection checks every
/// generated id for collisions either way.
pub fn generate(fallback_seed: u64) -> String {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        let mut x = crate::rng::SplitMix64::new(fallback_seed);
        b[..8].copy_from_slice(&x.next_u64().to_le_bytes());
        b[8..].copy_from_slice(&x.next_u64().to_le_bytes());
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Both directions of the id mapping. Ids hash with foldhash (randomly seeded): the std
/// SipHash made restoring 20k ids a third of an open's metadata phase in a fresh worker.
#[derive(Clone, Debug, Default)]
pub struct IdMap {
    by_id: HashMap<Box<str>, Slot, foldhash::fast::RandomState>,
    by_slot: Vec<Option<Box<str>>>,
    /// Bytes of the live ids, kept as they change (memory_bytes stays O(1)).
    key_bytes: usize,
}

impl IdMap {
    /// The slot of a live id.
    pub fn slot(&self, id: &str) -> Option<Slot> {
        self.by_id.get(id).copied()
    }

    /// The id of a live slot.
    pub fn id(&self, slot: Slot) -> Option<&str> {
        self.by_slot.get(slot.index()).and_then(|s| s.as_deref())
    }

    /// Binds `id` to `slot` (a new slot, or the id's replacement slot).
    pub fn bind(&mut self, id: &str, slot: Slot) {
        match self.by_id.insert(id.into(), slot) {
            Some(old) if old != slot => self.by_slot[old.index()] = None,
            Some(_) => {}
            None => self.key_bytes += id.len(),
        }
        if self.by_slot.len() <= slot.index() {
            self.by_slot.resize(slot.index() + 1, None);
        }
        self.by_slot[slot.index()] = Some(id.into());
    }

    /// Forgets `id`; returns the slot it had.
    pub fn remove(&mut self, id: &str) -> Option<Slot> {
        let slot = self.by_id.remove(id)?;
        self.key_bytes -= id.len();
        self.by_slot[slot.index()] = None;
        Some(slot)
    }

    /// Live ids.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// True when no id is live.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Live `(id, slot)` pairs in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Slot)> {
        self.by_slot
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_deref().map(|id| (id, Slot(i as u32))))
    }

    /// Bytes of the live ids.
    pub(crate) fn key_bytes(&self) -> usize {
        self.key_bytes
    }

    /// Approximate bytes held (keys twice, table overhead, slot array).
    pub fn memory_bytes(&self) -> usize {
        2 * self.key_bytes()
            + self.by_id.capacity() * (std::mem::size_of::<(Box<str>, Slot)>() + 1)
            + self.by_slot.capacity() * std::mem::size_of::<Option<Box<str>>>()
    }
}
