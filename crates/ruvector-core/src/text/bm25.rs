//! Okapi BM25 as tantivy scores it, with the exact token count of a record (tantivy rounds
//! it to a one-byte field norm):
//!
//! score(d, q) = Σ over query terms t of idf(t) · tf · (k1 + 1) / (tf + k1 · (1 − b + b · dl / avgdl))
//!
//! idf(t) = ln(1 + (N − n(t) + 0.5) / (n(t) + 0.5)), with N the live records that have text,
//! n(t) those holding t, tf the count of t in d, dl d's term count and avgdl the mean dl.

/// The BM25 parameters: `k1` (term-frequency saturation) and `b` (length normalisation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bm25 {
    /// Default 1.2.
    pub k1: f32,
    /// Default 0.75.
    pub b: f32,
}

impl Default for Bm25 {
    /// k1 = 1.2, b = 0.75 (tantivy's, Lucene's).
    fn default() -> Self {
        Bm25 { k1: 1.2, b: 0.75 }
    }
}

impl Bm25 {
    /// idf(t) for a term held by `n` of `docs` records.
    pub fn idf(n: u32, docs: u32) -> f32 {
        let (n, docs) = (n as f64, docs as f64);
        (1.0 + (docs - n + 0.5) / (n + 0.5)).ln() as f32
    }

    /// The weight of one query term held `tf` times by a record of `dl` terms, given its
    /// `idf` and the mean length `avgdl`.
    pub fn term(&self, idf: f32, tf: u32, dl: u32, avgdl: f32) -> f32 {
        let tf = tf as f32;
        let norm = self.k1 * (1.0 - self.b + self.b * dl as f32 / avgdl);
        idf * tf * (self.k1 + 1.0) / (tf + norm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idf_falls_as_a_term_gets_common_and_stays_positive() {
        let rare = Bm25::idf(1, 1_000);
        let common = Bm25::idf(900, 1_000);
        assert!(rare > common && common > 0.0);
        assert!((Bm25::idf(1, 1) - (1.0f64 + 0.5 / 1.5).ln() as f32).abs() < 1e-7);
    }

    #[test]
    fn term_weight_saturates_in_tf_and_falls_with_length() {
        let s = Bm25::default();
        let w = |tf, dl| s.term(1.0, tf, dl, 10.0);
        assert!(w(2, 10) > w(1, 10));
        assert!(w(2, 10) - w(1, 10) > w(3, 10) - w(2, 10));
        assert!(w(1, 5) > w(1, 10) && w(1, 10) > w(1, 40));
        // At dl = avgdl: tf·(k1+1)/(tf+k1) exactly.
        assert!((w(1, 10) - 2.2 / 2.2).abs() < 1e-6);
        assert!(w(3, 10) < 2.2, "bounded by k1 + 1");
    }
}
