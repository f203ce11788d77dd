//! Full-text search beside the vectors: a record's text is split into terms by an
//! [`Analyzer`], kept in an inverted index scored by [`Bm25`], and a text ranking can be
//! fused with a vector ranking ([`Fusion`]). Small pieces, each with its own tests, as
//! tantivy builds them; `docs/text.md` says how they fit.

mod analyzer;
mod bm25;
mod fusion;
pub(crate) mod postings;

pub use analyzer::{Analyzer, MAX_TERM_BYTES, STOP_WORDS};
pub use bm25::Bm25;
pub use fusion::{fuse, Fusion, Ranked, DEFAULT_RANK_CONSTANT};

/// The longest text a record may hold, in UTF-8 bytes.
pub const MAX_TEXT_BYTES: usize = 256 * 1024;

/// How a database's text is split into terms; fixed when its text index is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TextConfig {
    /// Reduce words to their stem (`english`: the Snowball English stemmer) or keep them
    /// (`none`). Default `english`.
    #[serde(default)]
    pub stem: Stemming,
    /// Fold letters to ASCII where they have a base letter (`é` → `e`). Default true.
    #[serde(default = "yes")]
    pub fold: bool,
    /// Drop the English stop words of [`STOP_WORDS`]. Default false: BM25's idf already
    /// makes them count for little, and a query of only stop words still finds something.
    #[serde(default)]
    pub stop_words: bool,
}

fn yes() -> bool {
    true
}

impl Default for TextConfig {
    /// `{ stem: english, fold: true, stopWords: false }`.
    fn default() -> Self {
        TextConfig {
            stem: Stemming::English,
            fold: true,
            stop_words: false,
        }
    }
}

/// Which stemmer, if any, an [`Analyzer`] applies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stemming {
    /// The Snowball English ("Porter 2") stemmer of the `rust-stemmers` crate.
    #[default]
    English,
    /// Words are kept whole.
    None,
}
