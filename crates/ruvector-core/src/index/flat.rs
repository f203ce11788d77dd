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
    heap.clear();
    let mut evaluations = 0;
    for i in 0..vectors.slots() {
        let slot = Slot(i as u32);
        if !accept(slot) {
            continue;
        }
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
