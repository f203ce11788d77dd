//! External string ids and their mapping to internal [`Slot`]s.

use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::error::IdError;
use crate::limits::MAX_ID_BYTES;
use crate::vectors::Slot;

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

/// Both directions of the id mapping. Each id is stored once, in `by_slot`; `by_id` holds
/// slots only, found by their id's hash (foldhash, randomly seeded). Two copies of every id
/// (a map key and the slot's) cost twice the memory and two allocations per id at open.
#[derive(Clone, Default)]
pub struct IdMap {
    by_id: HashTable<Slot>,
    hasher: foldhash::fast::RandomState,
    by_slot: Vec<Option<Box<str>>>,
    /// Bytes of the live ids, kept as they change (memory_bytes stays O(1)).
    key_bytes: usize,
}

impl std::fmt::Debug for IdMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdMap").field("len", &self.len()).finish()
    }
}

/// The id of `s` (every slot in `by_id` has one).
fn id_of(by_slot: &[Option<Box<str>>], s: Slot) -> &str {
    by_slot
        .get(s.index())
        .and_then(|x| x.as_deref())
        .unwrap_or("")
}

impl IdMap {
    /// The slot of a live id.
    pub fn slot(&self, id: &str) -> Option<Slot> {
        let h = self.hasher.hash_one(id);
        self.by_id
            .find(h, |&s| id_of(&self.by_slot, s) == id)
            .copied()
    }

    /// The id of a live slot.
    pub fn id(&self, slot: Slot) -> Option<&str> {
        self.by_slot.get(slot.index()).and_then(|s| s.as_deref())
    }

    /// Binds `id` to `slot` (a new slot, or the id's replacement slot).
    pub fn bind(&mut self, id: &str, slot: Slot) {
        let h = self.hasher.hash_one(id);
        let Self {
            by_id,
            hasher,
            by_slot,
            key_bytes,
        } = self;
        if by_slot.len() <= slot.index() {
            by_slot.resize(slot.index() + 1, None);
        }
        match by_id.find_mut(h, |&s| id_of(by_slot, s) == id) {
            Some(old) if *old != slot => {
                let was = std::mem::replace(old, slot);
                by_slot[slot.index()] = by_slot[was.index()].take();
            }
            Some(_) => {}
            None => {
                by_slot[slot.index()] = Some(id.into());
                *key_bytes += id.len();
                by_id.insert_unique(h, slot, |&s| hasher.hash_one(id_of(by_slot, s)));
            }
        }
    }

    /// Forgets `id`; returns the slot it had.
    pub fn remove(&mut self, id: &str) -> Option<Slot> {
        let h = self.hasher.hash_one(id);
        let by_slot = &self.by_slot;
        let entry = self
            .by_id
            .find_entry(h, |&s| id_of(by_slot, s) == id)
            .ok()?;
        let (slot, _) = entry.remove();
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

    /// Approximate bytes held (each id once, table overhead, slot array).
    pub fn memory_bytes(&self) -> usize {
        self.key_bytes()
            + self.by_id.capacity() * (std::mem::size_of::<Slot>() + 1)
            + self.by_slot.capacity() * std::mem::size_of::<Option<Box<str>>>()
    }
}

#[cfg(test)]
mod tests {
    use super::IdMap;
    use crate::rng::SplitMix64;
    use crate::vectors::Slot;
    use std::collections::HashMap;

    /// Seeded random binds (new slots and moves to a replacement slot) and removes, checked
    /// after each step against a plain map: lookups both ways, the count and the id bytes.
    #[test]
    fn agrees_with_a_plain_map_under_random_changes() {
        let seed = 0x1D5;
        println!("seed {seed:#x}");
        let mut rng = SplitMix64::new(seed);
        let (mut ids, mut want) = (IdMap::default(), HashMap::<String, Slot>::new());
        let mut next = 0u32;
        for step in 0..5_000 {
            let id = format!("id-{}", rng.below(400));
            if rng.below(4) == 0 {
                assert_eq!(
                    ids.remove(&id),
                    want.remove(&id),
                    "step {step}: remove {id}"
                );
            } else {
                ids.bind(&id, Slot(next));
                want.insert(id.clone(), Slot(next));
                next += 1;
            }
            assert_eq!(ids.slot(&id), want.get(&id).copied(), "step {step}: {id}");
            assert_eq!(ids.len(), want.len(), "step {step}");
        }
        for (id, &slot) in &want {
            assert_eq!(ids.slot(id), Some(slot));
            assert_eq!(ids.id(slot), Some(id.as_str()));
        }
        assert_eq!(ids.iter().count(), want.len());
        assert_eq!(ids.key_bytes(), want.keys().map(String::len).sum::<usize>());
    }
}
