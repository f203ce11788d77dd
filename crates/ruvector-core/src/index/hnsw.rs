//! Hierarchical navigable small world graph (Malkov & Yashunin, "Efficient and robust
//! approximate nearest neighbor search using Hierarchical Navigable Small World graphs",
//! 2018), over the vectors of a [`BuildSpace`]: the float32 arena, or int8 codes.
//!
//! * Levels come from a seeded SplitMix64 with integer thresholds `P(level ≥ l) = m^-l`
//!   (the paper's `mL = 1/ln(M)`), so one seed and one insertion order give one graph on
//!   every build.
//! * Insert (Algorithm 1): greedy descent with `ef = 1` above the node's level, then
//!   `search_layer` with `efConstruction` and the neighbour-selection heuristic
//!   (Algorithm 4) picking `M` links; reverse links shrink, with the same heuristic, to
//!   `Mmax = M` above layer 0 and `Mmax0 = 2·M` at layer 0.
//! * Delete is a tombstone: the node keeps routing searches but is never returned, and
//!   every live neighbour that linked to it is re-linked by the heuristic over its own and
//!   the deleted node's neighbours.
//! * Search takes an `accept` predicate (live, and the filter if any): rejected nodes are
//!   walked through but never enter the results.

use super::{push_bounded, BuildSpace, Candidate, Scratch, Space};
use crate::rng::SplitMix64;
use crate::vectors::{grow, Slot};

/// The highest level a node can have.
pub const MAX_LEVEL: usize = 15;

/// HNSW parameters, with the paper's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HnswParams {
    /// `M`: links per node above layer 0 (layer 0 keeps up to `2·M`). Default 16; 2 to 128.
    pub m: usize,
    /// `efConstruction`: candidate list size while inserting. Default 200; 1 to 4096.
    pub ef_construction: usize,
    /// `ef`: candidate list size while searching, unless a query gives its own.
    /// Default 64; 1 to 4096. A search uses `max(ef, k)`.
    pub ef_search: usize,
    /// Seed of the level generator. Default `0x5EED`.
    pub seed: u64,
}

impl Default for HnswParams {
    fn default() -> Self {
        HnswParams {
            m: 16,
            ef_construction: 200,
            ef_search: 64,
            seed: 0x5EED,
        }
    }
}

const NO_UPPER: u32 = u32::MAX;

/// The graph. Node numbers are arena [`Slot`]s; the vectors stay in their space.
#[derive(Clone, Debug)]
pub struct Hnsw {
    params: HnswParams,
    m0: usize,
    /// `thresholds[l-1] = ⌊2⁶⁴ / Mˡ⌋`: a draw below it reaches level `l`.
    thresholds: Vec<u64>,
    rng: SplitMix64,
    /// Layer 0: per node `[len, link × m0]`.
    layer0: Vec<u32>,
    levels: Vec<u8>,
    /// Start of the node's upper layers in `upper` (`NO_UPPER` for level 0 nodes).
    upper_start: Vec<u32>,
    /// Layers 1..=level per node: `[len, link × m]` each.
    upper: Vec<u32>,
    entry: Option<Slot>,
    top: usize,
    /// Every list changed since tracking was last taken, as `(node << 8) | level` (packed so
    /// that sorting them shares the crate's one cold-path `u64` sort); `None`: not tracking.
    touched: Option<Vec<u64>>,
}

/// The graph's scalar state: what a log record or manifest stores besides the lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GraphHeader {
    /// The entry point, if any node exists.
    pub entry: Option<Slot>,
    /// The entry point's level.
    pub top: usize,
    /// The level generator's state.
    pub rng_state: u64,
}

impl Hnsw {
    /// An empty graph.
    pub fn new(params: HnswParams) -> Self {
        let m = params.m.max(2) as u128;
        let mut thresholds = Vec::with_capacity(MAX_LEVEL);
        let mut p = m;
        for _ in 0..MAX_LEVEL {
            thresholds.push(((1u128 << 64) / p).min(u64::MAX as u128) as u64);
            p = p.saturating_mul(m);
        }
        Hnsw {
            params,
            m0: 2 * params.m,
            thresholds,
            rng: SplitMix64::new(params.seed),
            layer0: Vec::new(),
            levels: Vec::new(),
            upper_start: Vec::new(),
            upper: Vec::new(),
            entry: None,
            top: 0,
            touched: None,
        }
    }

    /// Starts (or stops) recording which lists change; see [`Hnsw::take_touched`].
    pub fn set_tracking(&mut self, on: bool) {
        self.touched = on.then(Vec::new);
    }

    /// The `(node, level)` lists changed since the last call, sorted and deduplicated.
    pub fn take_touched(&mut self) -> Vec<(u32, u8)> {
        let mut t = self
            .touched
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        t.sort_unstable();
        t.dedup();
        t.iter().map(|&k| ((k >> 8) as u32, k as u8)).collect()
    }

    /// The entry point, its level and the level generator's state.
    pub fn header(&self) -> GraphHeader {
        GraphHeader {
            entry: self.entry,
            top: self.top,
            rng_state: self.rng.state(),
        }
    }

    /// Restores the header written by [`Hnsw::header`].
    pub fn set_header(&mut self, h: GraphHeader) {
        self.entry = h.entry;
        self.top = h.top;
        self.rng = SplitMix64::new(h.rng_state);
    }

    /// Appends a node with `level` and empty lists (restoring from storage).
    pub fn restore_node(&mut self, s: Slot, level: usize) {
        self.add_node(s, level.min(MAX_LEVEL));
    }

    /// Sets the links of `s` at `level` as stored (restoring from storage). Links beyond
    /// the level's capacity are ignored; the caller has checked they name existing nodes.
    pub fn restore_links(&mut self, s: Slot, level: usize, links: &[u32]) {
        self.set_links(s, level, links.iter().map(|&l| Slot(l)));
    }

    /// The parameters the graph was built with.
    pub fn params(&self) -> &HnswParams {
        &self.params
    }

    /// Nodes in the graph (deleted ones included).
    pub fn nodes(&self) -> usize {
        self.levels.len()
    }

    /// The entry point and the top level, if the graph has a node.
    pub fn entry(&self) -> Option<(Slot, usize)> {
        self.entry.map(|e| (e, self.top))
    }

    /// The level of a node.
    pub fn level(&self, s: Slot) -> usize {
        self.levels[s.index()] as usize
    }

    /// How many links a list at `level` holds at most (`2·m` at layer 0, `m` above).
    pub fn capacity(&self, level: usize) -> usize {
        self.cap(level)
    }

    fn cap(&self, level: usize) -> usize {
        if level == 0 {
            self.m0
        } else {
            self.params.m
        }
    }

    fn span(&self, s: Slot, level: usize) -> (bool, usize) {
        if level == 0 {
            (false, s.index() * (self.m0 + 1))
        } else {
            let start = self.upper_start[s.index()] as usize;
            (true, start + (level - 1) * (self.params.m + 1))
        }
    }

    /// The links of `s` at `level` (`level ≤ self.level(s)`).
    #[inline(always)]
    pub fn links(&self, s: Slot, level: usize) -> &[u32] {
        let (up, at) = self.span(s, level);
        let arr = if up { &self.upper } else { &self.layer0 };
        let len = arr[at] as usize;
        &arr[at + 1..at + 1 + len]
    }

    /// `[len, link × cap]` of `s` at `level`, mutable.
    fn list_mut(&mut self, s: Slot, level: usize) -> &mut [u32] {
        let cap = self.cap(level);
        let (up, at) = self.span(s, level);
        let arr = if up {
            &mut self.upper
        } else {
            &mut self.layer0
        };
        &mut arr[at..at + 1 + cap]
    }

    fn set_links(&mut self, s: Slot, level: usize, links: impl IntoIterator<Item = Slot>) {
        if let Some(t) = self.touched.as_mut() {
            t.push(((s.0 as u64) << 8) | level as u64);
        }
        let list = self.list_mut(s, level);
        let mut len = 0;
        for l in links.into_iter().take(list.len() - 1) {
            len += 1;
            list[len] = l.0;
        }
        list[0] = len as u32;
    }

    fn push_link(&mut self, s: Slot, level: usize, link: Slot) -> bool {
        let list = self.list_mut(s, level);
        let len = list[0] as usize;
        if len + 1 >= list.len() {
            return false;
        }
        if let Some(t) = self.touched.as_mut() {
            t.push(((s.0 as u64) << 8) | level as u64);
        }
        let list = self.list_mut(s, level);
        list[1 + len] = link.0;
        list[0] += 1;
        true
    }

    fn random_level(&mut self) -> usize {
        let r = self.rng.next_u64();
        self.thresholds.iter().take_while(|&&t| r < t).count()
    }

    fn add_node(&mut self, s: Slot, level: usize) {
        debug_assert_eq!(
            s.index(),
            self.levels.len(),
            "graph nodes follow arena slots"
        );
        self.levels.push(level as u8);
        self.layer0.resize(self.layer0.len() + self.m0 + 1, 0);
        if level == 0 {
            self.upper_start.push(NO_UPPER);
        } else {
            self.upper_start.push(self.upper.len() as u32);
            self.upper
                .resize(self.upper.len() + level * (self.params.m + 1), 0);
        }
    }

    /// Inserts the vector at `slot` (the next slot of the arena). `live` tells which nodes
    /// may become its neighbours.
    pub fn insert<S: BuildSpace + ?Sized>(
        &mut self,
        vectors: &S,
        slot: Slot,
        live: &impl Fn(Slot) -> bool,
        scratch: &mut Scratch,
    ) {
        let level = self.random_level();
        self.add_node(slot, level);
        let Some(entry) = self.entry else {
            self.entry = Some(slot);
            self.top = level;
            return;
        };
        let prepared = vectors.query_of(slot);
        let q = &*prepared;
        let mut ep = Candidate {
            distance: vectors.distance(q, entry),
            slot: entry,
        };
        scratch.evaluations += 1;
        for l in (level + 1..=self.top).rev() {
            ep = self.greedy(vectors, q, ep, l, scratch);
        }
        let mut eps = std::mem::take(&mut scratch.eps);
        let mut chosen = std::mem::take(&mut scratch.chosen);
        eps.clear();
        eps.push(ep);
        for l in (0..=level.min(self.top)).rev() {
            self.search_layer(
                vectors,
                q,
                &eps,
                self.params.ef_construction,
                l,
                &mut |s| s != slot && live(s),
                scratch,
            );
            take_sorted(scratch);
            if scratch.sorted.is_empty() {
                continue;
            }
            self.select(vectors, self.params.m, scratch);
            chosen.clear();
            chosen.extend_from_slice(&scratch.selected);
            self.set_links(slot, l, chosen.iter().map(|c| c.slot));
            for c in &chosen {
                self.connect(vectors, c.slot, slot, c.distance, l, live, scratch);
            }
            eps.clear();
            eps.extend_from_slice(&scratch.sorted);
        }
        scratch.eps = eps;
        scratch.chosen = chosen;
        if level > self.top {
            self.entry = Some(slot);
            self.top = level;
        }
    }

    /// Adds the link `n → new`; a full list is re-chosen by the heuristic.
    #[allow(clippy::too_many_arguments)]
    fn connect<S: BuildSpace + ?Sized>(
        &mut self,
        vectors: &S,
        n: Slot,
        new: Slot,
        d: f32,
        level: usize,
        live: &impl Fn(Slot) -> bool,
        scratch: &mut Scratch,
    ) {
        if self.push_link(n, level, new) {
            return;
        }
        scratch.sorted.clear();
        scratch.sorted.push(Candidate {
            distance: d,
            slot: new,
        });
        for &l in self.links(n, level) {
            vectors.prefetch(Slot(l));
        }
        let qn = vectors.query_of(n);
        for &l in self.links(n, level) {
            let l = Slot(l);
            if live(l) {
                scratch.sorted.push(Candidate {
                    distance: vectors.distance(&qn, l),
                    slot: l,
                });
            }
        }
        scratch.evaluations += scratch.sorted.len() as u64 - 1;
        scratch.sorted.sort_unstable();
        self.select(vectors, self.cap(level), scratch);
        self.set_links(n, level, scratch.selected.iter().map(|c| c.slot));
    }

    /// The neighbour-selection heuristic (Algorithm 4, without extending or keeping pruned
    /// candidates): walking `scratch.sorted` from the closest, keep a candidate only if it
    /// is closer to the base than to every candidate kept so far. At most `m` go to
    /// `scratch.selected`.
    fn select<S: BuildSpace + ?Sized>(&self, vectors: &S, m: usize, scratch: &mut Scratch) {
        scratch.selected.clear();
        // Each kept candidate is prepared as a query once (for int8 codes that costs about a
        // distance), and the rest are compared against it: d(s, c), the same value as d(c, s).
        let mut kept: Vec<S::Prepared<'_>> = Vec::with_capacity(m);
        for &c in &scratch.sorted {
            if scratch.selected.len() >= m {
                break;
            }
            let mut good = true;
            for q in &kept {
                scratch.evaluations += 1;
                if vectors.distance(q, c.slot) < c.distance {
                    good = false;
                    break;
                }
            }
            if good {
                scratch.selected.push(c);
                if scratch.selected.len() < m {
                    kept.push(vectors.query_of(c.slot));
                }
            }
        }
    }

    /// Greedy walk at one level towards `q`, from `ep` (the search with `ef = 1`).
    fn greedy<S: Space + ?Sized>(
        &self,
        vectors: &S,
        q: &S::Query,
        mut cur: Candidate,
        level: usize,
        scratch: &mut Scratch,
    ) -> Candidate {
        loop {
            let mut changed = false;
            for &nb in self.links(cur.slot, level) {
                let c = Candidate {
                    distance: vectors.distance(q, Slot(nb)),
                    slot: Slot(nb),
                };
                scratch.evaluations += 1;
                if c < cur {
                    cur = c;
                    changed = true;
                }
            }
            if !changed {
                return cur;
            }
        }
    }

    /// `search_layer` (Algorithm 2) with a predicate: every node is walked through, only
    /// accepted ones enter `scratch.results` (at most `ef`, a max-heap).
    #[allow(clippy::too_many_arguments)]
    fn search_layer<S: Space + ?Sized>(
        &self,
        vectors: &S,
        q: &S::Query,
        eps: &[Candidate],
        ef: usize,
        level: usize,
        accept: &mut impl FnMut(Slot) -> bool,
        scratch: &mut Scratch,
    ) {
        let Scratch {
            visited,
            candidates,
            results,
            evaluations,
            fresh,
            ..
        } = scratch;
        visited.reset(self.nodes());
        candidates.clear();
        results.clear();
        for &ep in eps {
            if visited.insert(ep.slot) {
                candidates.push(std::cmp::Reverse(ep));
                if accept(ep.slot) {
                    push_bounded(results, ef, ep);
                }
            }
        }
        let mut bound = match results.peek() {
            Some(w) if results.len() >= ef => w.distance,
            _ => f32::INFINITY,
        };
        while let Some(std::cmp::Reverse(c)) = candidates.pop() {
            if c.distance > bound {
                break;
            }
            fresh.clear();
            for &nb in self.links(c.slot, level) {
                if visited.insert(Slot(nb)) {
                    vectors.prefetch(Slot(nb));
                    fresh.push(nb);
                }
            }
            // Two neighbours per kernel call (the same bits as one by one), handled in order.
            for pair in fresh.chunks(2) {
                let ds = match *pair {
                    [a, b] => {
                        let (x, y) = vectors.distance2(q, Slot(a), Slot(b));
                        [(Slot(a), x), (Slot(b), y)]
                    }
                    _ => [(Slot(pair[0]), vectors.distance(q, Slot(pair[0]))); 2],
                };
                for &(nb, d) in &ds[..pair.len()] {
                    *evaluations += 1;
                    if d < bound || results.len() < ef {
                        let cand = Candidate {
                            distance: d,
                            slot: nb,
                        };
                        candidates.push(std::cmp::Reverse(cand));
                        if accept(nb) {
                            push_bounded(results, ef, cand);
                            if results.len() >= ef {
                                bound = results.peek().map_or(f32::INFINITY, |w| w.distance);
                            }
                        }
                    }
                }
            }
        }
    }

    /// The up-to-`k` accepted nodes closest to the prepared query `q`, ascending, into
    /// `scratch.sorted`, searching with `max(ef, k)` in `vectors` (any [`Space`]).
    pub fn search<S: Space + ?Sized>(
        &self,
        vectors: &S,
        q: &S::Query,
        k: usize,
        ef: usize,
        accept: &mut impl FnMut(Slot) -> bool,
        scratch: &mut Scratch,
    ) {
        scratch.sorted.clear();
        let Some(entry) = self.entry else {
            return;
        };
        let mut ep = Candidate {
            distance: vectors.distance(q, entry),
            slot: entry,
        };
        scratch.evaluations += 1;
        for l in (1..=self.top).rev() {
            ep = self.greedy(vectors, q, ep, l, scratch);
        }
        self.search_layer(vectors, q, &[ep], ef.max(k), 0, accept, scratch);
        take_sorted(scratch);
        scratch.sorted.truncate(k);
    }

    /// Tombstones `slot` (the caller marks it dead first, so `live(slot)` is false) and
    /// repairs its neighbourhood: every live neighbour `n` that linked to it drops that link
    /// and keeps the rest of its list; the freed place goes to the closest of the deleted
    /// node's live neighbours that `n` does not link to yet and that passes the selection
    /// heuristic against `n`'s remaining links (or, if none passes, the closest one).
    pub fn delete<S: BuildSpace + ?Sized>(
        &mut self,
        vectors: &S,
        slot: Slot,
        live: &impl Fn(Slot) -> bool,
        scratch: &mut Scratch,
    ) {
        for level in 0..=self.level(slot) {
            let gone: Vec<Slot> = self.links(slot, level).iter().map(|&l| Slot(l)).collect();
            for &n in &gone {
                if !live(n) || !self.links(n, level).contains(&slot.0) {
                    continue;
                }
                let kept: Vec<Slot> = self
                    .links(n, level)
                    .iter()
                    .map(|&l| Slot(l))
                    .filter(|&l| l != slot)
                    .collect();
                scratch.sorted.clear();
                let qn = vectors.query_of(n);
                for &c in &gone {
                    if c != n && live(c) && !kept.contains(&c) {
                        scratch.sorted.push(Candidate {
                            distance: vectors.distance(&qn, c),
                            slot: c,
                        });
                        scratch.evaluations += 1;
                    }
                }
                scratch.sorted.sort_unstable();
                let mut pick = scratch.sorted.first().copied();
                for &c in &scratch.sorted {
                    let qc = vectors.query_of(c.slot);
                    let diverse = kept.iter().all(|&k| {
                        scratch.evaluations += 1;
                        vectors.distance(&qc, k) >= c.distance
                    });
                    if diverse {
                        pick = Some(c);
                        break;
                    }
                }
                self.set_links(n, level, kept.into_iter().chain(pick.map(|c| c.slot)));
            }
        }
    }

    /// Bytes held by the graph (capacity).
    pub fn memory_bytes(&self) -> usize {
        (self.layer0.capacity() + self.upper.capacity() + self.upper_start.capacity()) * 4
            + self.levels.capacity()
    }

    /// Makes room for `additional` more nodes at layer 0 (bounded growth, see `vectors::grow`).
    pub fn reserve(&mut self, additional: usize) {
        grow(&mut self.layer0, additional * (self.m0 + 1));
        grow(&mut self.levels, additional);
        grow(&mut self.upper_start, additional);
    }
}

/// Moves `scratch.results` into `scratch.sorted`, ascending.
fn take_sorted(scratch: &mut Scratch) {
    scratch.sorted.clear();
    scratch.sorted.extend(scratch.results.drain());
    scratch.sorted.sort_unstable();
}
