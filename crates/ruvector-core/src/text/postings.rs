//! The inverted index: per term, the slots holding it with their term counts, in slot
//! order; per slot, its text and term count. Kept exact under upserts and deletes (a
//! record's postings leave with it), so N, n(t) and avgdl are always those of the live
//! records. Terms are grouped into [`TEXT_BUCKETS`] buckets by a hash of their bytes: a
//! bucket is what a text page stores, and what a checkpoint rewrites once a term of it
//! changed.

use std::collections::HashMap;
use std::sync::Mutex;

use super::fusion::{from_rank_key, rank_key};
use super::{Analyzer, Bm25, Ranked, TextConfig};

/// How many buckets (text pages) the terms are spread over.
pub const TEXT_BUCKETS: u32 = 256;

/// The bucket of `term`: XXH3-64 of its bytes, modulo [`TEXT_BUCKETS`] (stable across
/// builds, as stored pages need).
pub fn bucket_of(term: &str) -> u32 {
    (xxhash_rust::xxh3::xxh3_64(term.as_bytes()) % TEXT_BUCKETS as u64) as u32
}

/// One slot holding a term, and how many times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Posting {
    /// The slot.
    pub slot: u32,
    /// The term's count in the slot's text (at least 1).
    pub tf: u32,
}

#[derive(Debug)]
struct Term {
    text: Box<str>,
    postings: Vec<Posting>,
}

/// A query's known terms (by id) with their counts in the query ([`TextIndex::query`]).
#[derive(Debug)]
pub struct QueryTerms(Vec<(u32, u32)>);

/// A query's accumulators, kept between searches.
#[derive(Debug, Default)]
struct Scratch {
    scores: Vec<f32>,
    touched: Vec<u32>,
}

/// The text index of a collection.
#[derive(Debug)]
pub struct TextIndex {
    analyzer: Analyzer,
    bm25: Bm25,
    dict: HashMap<Box<str>, u32, foldhash::fast::RandomState>,
    terms: Vec<Term>,
    buckets: Vec<Vec<u32>>,
    lengths: Vec<u32>,
    texts: Vec<Option<Box<str>>>,
    docs: u32,
    tokens: u64,
    text_bytes: usize,
    postings: usize,
    changed: Option<Vec<u32>>,
    scratch: Mutex<Scratch>,
}

impl TextIndex {
    /// An empty index splitting text by `config`.
    pub fn new(config: TextConfig) -> Self {
        TextIndex {
            analyzer: Analyzer::new(config),
            bm25: Bm25::default(),
            dict: HashMap::default(),
            terms: Vec::new(),
            buckets: vec![Vec::new(); TEXT_BUCKETS as usize],
            lengths: Vec::new(),
            texts: Vec::new(),
            docs: 0,
            tokens: 0,
            text_bytes: 0,
            postings: 0,
            changed: None,
            scratch: Mutex::new(Scratch::default()),
        }
    }

    /// The text of `slot`, if it has one.
    pub fn text(&self, slot: u32) -> Option<&str> {
        self.texts.get(slot as usize)?.as_deref()
    }

    /// Live records with text (BM25's N).
    pub fn docs(&self) -> u32 {
        self.docs
    }

    /// Postings held (record–term pairs).
    pub fn postings(&self) -> usize {
        self.postings
    }

    /// Distinct terms held by at least one record.
    pub fn terms(&self) -> usize {
        self.terms.iter().filter(|t| !t.postings.is_empty()).count()
    }

    /// Bytes held: texts, postings, the dictionary and per-slot arrays, roughly.
    pub fn bytes(&self) -> usize {
        let per_term = std::mem::size_of::<Term>() + 16 + 4;
        self.text_bytes
            + self.postings * std::mem::size_of::<Posting>()
            + self
                .terms
                .iter()
                .map(|t| 2 * t.text.len() + per_term)
                .sum::<usize>()
            + self.texts.len() * (std::mem::size_of::<Option<Box<str>>>() + 4)
    }

    /// Starts (or stops) recording the buckets that change.
    pub fn set_tracking(&mut self, on: bool) {
        self.changed = on.then(Vec::new);
    }

    /// Buckets whose terms changed since the last call, sorted, each once.
    pub fn take_changed(&mut self) -> Vec<u32> {
        let c = self.changed.as_mut().map(std::mem::take);
        sorted_ids(c.unwrap_or_default().into_iter().map(|b| (b, 1)).collect())
            .into_iter()
            .map(|(b, _)| b)
            .collect()
    }

    fn grow_to(&mut self, slot: u32) {
        let n = slot as usize + 1;
        if self.texts.len() < n {
            self.texts.resize(n, None);
            self.lengths.resize(n, 0);
        }
    }

    /// Gives `slot` this text (or none), indexing it and unindexing what it had.
    pub fn set(&mut self, slot: u32, text: Option<Box<str>>) {
        self.grow_to(slot);
        if let Some(old) = self.texts[slot as usize].take() {
            self.unindex(slot, &old);
            self.text_bytes -= old.len();
            self.docs -= 1;
        }
        if let Some(t) = &text {
            self.index(slot, t);
            self.text_bytes += t.len();
            self.docs += 1;
        }
        self.texts[slot as usize] = text;
    }

    /// The distinct known terms of `text` with their counts, by term id; `create` adds the
    /// unknown ones to the dictionary, else they are left out.
    fn term_counts(&mut self, text: &str, create: bool) -> Vec<(u32, u32)> {
        let mut ids = Vec::new();
        let analyzer = &self.analyzer;
        let mut terms = Vec::new();
        analyzer.each_term(text, |t| terms.push(t.to_owned()));
        for t in terms {
            match (self.dict.get(t.as_str()), create) {
                (Some(&id), _) => ids.push((id, 1)),
                (None, true) => ids.push((self.term_id(&t), 1)),
                (None, false) => {}
            }
        }
        sorted_ids(ids)
    }

    /// A query's known terms with their counts, the dictionary unchanged: tokenized once for
    /// every use of the query ([`TextIndex::search_terms`], [`TextIndex::score_terms`]).
    pub fn query(&self, text: &str) -> QueryTerms {
        let mut ids = Vec::new();
        self.analyzer.each_term(text, |t| {
            if let Some(&id) = self.dict.get(t) {
                ids.push((id, 1));
            }
        });
        QueryTerms(sorted_ids(ids))
    }

    fn note(&mut self, bucket: u32) {
        if let Some(c) = self.changed.as_mut() {
            c.push(bucket);
        }
    }

    fn index(&mut self, slot: u32, text: &str) {
        let mut dl = 0u32;
        for (id, tf) in self.term_counts(text, true) {
            dl = dl.saturating_add(tf);
            let term = &mut self.terms[id as usize];
            let list = &mut term.postings;
            let at = list.partition_point(|p| p.slot < slot);
            list.insert(at, Posting { slot, tf });
            self.postings += 1;
            let bucket = bucket_of(&term.text);
            self.note(bucket);
        }
        self.lengths[slot as usize] = dl;
        self.tokens += dl as u64;
    }

    fn unindex(&mut self, slot: u32, text: &str) {
        for (id, _) in self.term_counts(text, false) {
            let term = &mut self.terms[id as usize];
            let list = &mut term.postings;
            if let Ok(at) = list.binary_search_by_key(&slot, |p| p.slot) {
                list.remove(at);
                self.postings -= 1;
            }
            let bucket = bucket_of(&term.text);
            self.note(bucket);
        }
        self.tokens -= self.lengths[slot as usize] as u64;
        self.lengths[slot as usize] = 0;
    }

    fn term_id(&mut self, term: &str) -> u32 {
        if let Some(&id) = self.dict.get(term) {
            return id;
        }
        let id = self.terms.len() as u32;
        self.dict.insert(term.into(), id);
        self.terms.push(Term {
            text: term.into(),
            postings: Vec::new(),
        });
        self.buckets[bucket_of(term) as usize].push(id);
        id
    }

    /// Opening: gives `slot` its stored text without indexing it (its postings come from
    /// text pages, [`TextIndex::restore_postings`]).
    pub fn restore_text(&mut self, slot: u32, text: Option<Box<str>>) {
        self.grow_to(slot);
        if let Some(old) = self.texts[slot as usize].take() {
            self.text_bytes -= old.len();
        }
        self.text_bytes += text.as_ref().map_or(0, |t| t.len());
        self.texts[slot as usize] = text;
    }

    /// Opening: the stored postings of `term` (in bucket `bucket`). Every slot must have
    /// text and come after the one before it; `Err` says what is wrong.
    pub fn restore_postings(
        &mut self,
        bucket: u32,
        term: &str,
        postings: Vec<Posting>,
    ) -> Result<(), String> {
        if bucket_of(term) != bucket {
            return Err(format!("term {term:?} does not belong in bucket {bucket}"));
        }
        if self.dict.contains_key(term) {
            return Err(format!("term {term:?} is stored twice"));
        }
        for (i, p) in postings.iter().enumerate() {
            if self.text(p.slot).is_none() {
                return Err(format!(
                    "term {term:?} names slot {}, which has no text",
                    p.slot
                ));
            }
            if p.tf == 0 || (i > 0 && postings[i - 1].slot >= p.slot) {
                return Err(format!("postings of term {term:?} are out of order"));
            }
            let dl = &mut self.lengths[p.slot as usize];
            *dl = dl.saturating_add(p.tf);
        }
        let id = self.term_id(term);
        self.postings += postings.len();
        self.terms[id as usize].postings = postings;
        Ok(())
    }

    /// Opening: counts N and the total term count once every text and posting is in.
    pub fn finish_restore(&mut self) {
        self.docs = self.texts.iter().filter(|t| t.is_some()).count() as u32;
        self.tokens = self.lengths.iter().map(|&l| l as u64).sum();
    }

    /// The terms of bucket `bucket` that some record holds, with their postings: a text
    /// page's contents. In the order the terms were first seen, so that the same changes,
    /// or an import of the pages, give the same bytes.
    pub fn bucket(&self, bucket: u32) -> Vec<(&str, &[Posting])> {
        (self.buckets[bucket as usize].iter())
            .map(|&id| &self.terms[id as usize])
            .filter(|t| !t.postings.is_empty())
            .map(|t| (&*t.text, &t.postings[..]))
            .collect()
    }

    /// Whether bucket `bucket` holds a term some record holds (its text page is not empty).
    pub fn bucket_used(&self, bucket: u32) -> bool {
        (self.buckets[bucket as usize].iter())
            .any(|&id| !self.terms[id as usize].postings.is_empty())
    }

    /// Buckets holding at least one term some record holds.
    pub fn used_buckets(&self) -> impl Iterator<Item = u32> + '_ {
        (0..TEXT_BUCKETS).filter(|&b| self.bucket_used(b))
    }

    /// The BM25 score of `slot` for `query` alone (`None` when it holds no query term):
    /// one binary search per query term.
    pub fn score_terms(&self, query: &QueryTerms, slot: u32) -> Option<f32> {
        if self.docs == 0 {
            return None;
        }
        let avgdl = self.tokens as f32 / self.docs as f32;
        let dl = *self.lengths.get(slot as usize)?;
        let mut score = None;
        for &(id, qtf) in &query.0 {
            let list = &self.terms[id as usize].postings;
            if let Ok(at) = list.binary_search_by_key(&slot, |p| p.slot) {
                let idf = Bm25::idf(list.len() as u32, self.docs);
                let w = qtf as f32 * self.bm25.term(idf, list[at].tf, dl, avgdl);
                *score.get_or_insert(0.0) += w;
            }
        }
        score
    }

    /// The best `k` records for `query` (its terms, [`TextIndex::query`]) by BM25 among those
    /// `accept` takes, best first (equal scores: lower slot first), and how many postings were
    /// read. Exact:
    /// term-at-a-time into one accumulator per slot, then the best `k` kept in order (a
    /// candidate is placed by binary search only when it beats the `k`-th); `accept` is
    /// asked only of records that would be kept, so a filter costs little and still yields
    /// `k` whenever `k` matching records hold a query term.
    pub fn search_terms(
        &self,
        query: &QueryTerms,
        k: usize,
        mut accept: impl FnMut(u32) -> bool,
    ) -> (Vec<Ranked>, u64) {
        if self.docs == 0 || k == 0 {
            return (Vec::new(), 0);
        }
        let mut own;
        let mut guard = self.scratch.try_lock().ok();
        let s: &mut Scratch = match guard.as_deref_mut() {
            Some(s) => s,
            None => {
                own = Scratch::default();
                &mut own
            }
        };
        if s.scores.len() < self.lengths.len() {
            s.scores.resize(self.lengths.len(), 0.0);
        }
        let avgdl = self.tokens as f32 / self.docs as f32;
        let mut read = 0u64;
        for &(id, qtf) in &query.0 {
            let list = &self.terms[id as usize].postings;
            let idf = Bm25::idf(list.len() as u32, self.docs);
            read += list.len() as u64;
            for p in list {
                let dl = self.lengths[p.slot as usize];
                let w = qtf as f32 * self.bm25.term(idf, p.tf, dl, avgdl);
                let acc = &mut s.scores[p.slot as usize];
                if *acc == 0.0 {
                    s.touched.push(p.slot);
                }
                *acc += w;
            }
        }
        // The best `k` as rank keys, ascending (best first).
        let mut best: Vec<u64> = Vec::with_capacity(k + 1);
        for &slot in &s.touched {
            let score = std::mem::take(&mut s.scores[slot as usize]);
            let key = rank_key(Ranked { slot, score });
            if best.len() == k && best.last().is_some_and(|&w| key >= w) {
                continue;
            }
            if accept(slot) {
                let at = best.partition_point(|&b| b < key);
                best.insert(at, key);
                best.truncate(k);
            }
        }
        s.touched.clear();
        (best.into_iter().map(from_rank_key).collect(), read)
    }
}

/// `(id, count)` pairs with equal ids merged (counts added), by id: sorted as `u64`, the
/// crate's one integer sort.
fn sorted_ids(pairs: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    let mut wide: Vec<u64> = (pairs.iter())
        .flat_map(|&(id, n)| std::iter::repeat_n(u64::from(id), n as usize))
        .collect();
    wide.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for id in wide {
        match out.last_mut() {
            Some((last, n)) if u64::from(*last) == id => *n += 1,
            _ => out.push((id as u32, 1)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Stemming;

    fn plain() -> TextIndex {
        TextIndex::new(TextConfig {
            stem: Stemming::None,
            fold: false,
            stop_words: false,
        })
    }

    fn search(
        ix: &TextIndex,
        q: &str,
        k: usize,
        accept: impl FnMut(u32) -> bool,
    ) -> (Vec<Ranked>, u64) {
        ix.search_terms(&ix.query(q), k, accept)
    }

    fn ids(r: &[Ranked]) -> Vec<u32> {
        r.iter().map(|r| r.slot).collect()
    }

    #[test]
    fn scores_follow_the_formula() {
        let mut ix = plain();
        ix.set(0, Some("apple banana apple".into()));
        ix.set(1, Some("banana cherry".into()));
        ix.set(2, Some("cherry".into()));
        let (r, read) = search(&ix, "apple cherry", 10, |_| true);
        assert_eq!(read, 3);
        let avgdl = 6.0 / 3.0;
        let bm = Bm25::default();
        let apple = bm.term(Bm25::idf(1, 3), 2, 3, avgdl);
        let cherry1 = bm.term(Bm25::idf(2, 3), 1, 2, avgdl);
        let cherry2 = bm.term(Bm25::idf(2, 3), 1, 1, avgdl);
        assert_eq!(ids(&r), [0, 2, 1]);
        assert!((r[0].score - apple).abs() < 1e-6);
        assert!((r[1].score - cherry2).abs() < 1e-6);
        assert!((r[2].score - cherry1).abs() < 1e-6);
    }

    #[test]
    fn ties_go_to_the_lower_slot_and_k_bounds() {
        let mut ix = plain();
        for s in [5, 1, 3] {
            ix.set(s, Some("same words".into()));
        }
        assert_eq!(ids(&search(&ix, "words", 10, |_| true).0), [1, 3, 5]);
        assert_eq!(ids(&search(&ix, "words", 2, |_| true).0), [1, 3]);
        assert_eq!(ids(&search(&ix, "words", 2, |s| s != 1).0), [3, 5]);
    }

    #[test]
    fn replacing_and_removing_keep_statistics_exact() {
        let mut fresh = plain();
        fresh.set(0, Some("red fox".into()));
        fresh.set(2, Some("blue fox jumps".into()));
        let mut churned = plain();
        churned.set(0, Some("green fox fox".into()));
        churned.set(1, Some("red red red".into()));
        churned.set(2, Some("blue fox jumps".into()));
        churned.set(0, Some("red fox".into()));
        churned.set(1, None);
        assert_eq!(churned.docs(), fresh.docs());
        assert_eq!(churned.terms(), fresh.terms());
        for q in ["fox", "red", "jumps blue", "green"] {
            assert_eq!(
                search(&churned, q, 5, |_| true),
                search(&fresh, q, 5, |_| true),
                "{q}"
            );
        }
        assert!(search(&churned, "green", 5, |_| true).0.is_empty());
    }

    #[test]
    fn buckets_round_trip_through_restore() {
        let mut ix = plain();
        ix.set_tracking(true);
        ix.set(0, Some("one two three".into()));
        ix.set(1, Some("two three four".into()));
        let changed = ix.take_changed();
        assert!(!changed.is_empty() && changed.windows(2).all(|w| w[0] < w[1]));
        let mut back = plain();
        for s in 0..2 {
            back.restore_text(s, ix.text(s).map(Into::into));
        }
        for b in ix.used_buckets() {
            for (term, postings) in ix.bucket(b) {
                back.restore_postings(b, term, postings.to_vec())
                    .expect("sound");
            }
        }
        back.finish_restore();
        for q in ["two", "one four", "three"] {
            assert_eq!(search(&back, q, 5, |_| true), search(&ix, q, 5, |_| true));
        }
        let wrong = (bucket_of("zzz") + 1) % TEXT_BUCKETS;
        assert!(back.restore_postings(wrong, "zzz", vec![]).is_err());
        let b = bucket_of("yyy");
        let none = vec![Posting { slot: 7, tf: 1 }];
        assert!(
            back.restore_postings(b, "yyy", none).is_err(),
            "slot without text"
        );
    }
}
