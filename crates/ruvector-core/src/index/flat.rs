//! Exact search: one pass over the arena with a bounded top-k heap (no full sort).

use std::collections::BinaryHeap;

use super::{push_bounded, Candidate};
use crate::vectors::{Slot, VectorStore};

/// The `k` slots closest to `query` among those `accept` lets through, ascending by
/// distance then slot. Returns how many distances it computed.
pub fn scan(
    vectors: &VectorStore,
    query: &[f32],
    k: usize,
    mut accept: impl FnMut(Slot) -> bool,
    heap: &mut BinaryHeap<Candidate>,
    out: &mut Vec<Candidate>,
) -> u64 {
    let slots = (0..vectors.slots() as u32).map(Slot).filter(|&s| accept(s));
    nearest(vectors, query, k, slots, heap, out)
}

/// The `k` of `slots` closest to `query`, ascending by distance then slot, into `out`
/// (through `heap`, never sorting more than `k`). Returns how many distances it computed.
pub fn nearest(
    vectors: &VectorStore,
    query: &[f32],
    k: usize,
    slots: impl Iterator<Item = Slot>,
    heap: &mut BinaryHeap<Candidate>,
    out: &mut Vec<Candidate>,
) -> u64 {
    heap.clear();
    let mut evaluations = 0;
    for slot in slots {
        evaluations += 1;
        let c = Candidate {
            distance: vectors.distance(query, slot),
            slot,
        };
        push_bounded(heap, k, c);
    }
    out.clear();
    out.extend(heap.drain());
    out.sort_unstable();
    evaluations
}
