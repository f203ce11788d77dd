//! The tokenizer pipeline: UAX #29 words, lowercased, optionally folded to ASCII, stop words
//! optionally dropped, optionally stemmed. Records and queries go through the same one, so a
//! query term matches exactly the terms its words would have been indexed as.

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

use super::{Stemming, TextConfig};

/// Terms longer than this many UTF-8 bytes (after lowercasing and folding) are dropped, as
/// tantivy's `RemoveLongFilter` drops them: long runs (base64, minified code) would only
/// bloat the dictionary. 64 keeps a SHA-256 in hex.
pub const MAX_TERM_BYTES: usize = 64;

/// The English stop words dropped when `stopWords` is on: Lucene's and tantivy's default
/// English set, sorted.
pub const STOP_WORDS: [&str; 33] = [
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];

/// Splits text into terms by a [`TextConfig`].
pub struct Analyzer {
    config: TextConfig,
    stemmer: Option<Stemmer>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("config", &self.config)
            .finish()
    }
}

impl Analyzer {
    /// The pipeline `config` describes.
    pub fn new(config: TextConfig) -> Self {
        Analyzer {
            config,
            stemmer: match config.stem {
                Stemming::English => Some(Stemmer::create(Algorithm::English)),
                Stemming::None => None,
            },
        }
    }

    /// The settings it was made with.
    pub fn config(&self) -> TextConfig {
        self.config
    }

    /// Calls `emit` with each term of `text`, in order, repeats included.
    pub fn each_term(&self, text: &str, mut emit: impl FnMut(&str)) {
        let mut word = String::new();
        let mut folded = String::new();
        for w in text.unicode_words() {
            word.clear();
            if w.is_ascii() {
                word.push_str(w);
                word.make_ascii_lowercase();
            } else {
                word.extend(w.chars().flat_map(char::to_lowercase));
                if self.config.fold {
                    folded.clear();
                    folded.extend(word.nfkd().filter(|c| !is_combining_mark(*c)));
                    std::mem::swap(&mut word, &mut folded);
                }
            }
            if word.is_empty() || word.len() > MAX_TERM_BYTES {
                continue;
            }
            if self.config.stop_words && STOP_WORDS.binary_search(&word.as_str()).is_ok() {
                continue;
            }
            match &self.stemmer {
                Some(s) => emit(&s.stem(&word)),
                None => emit(&word),
            }
        }
    }

    /// The terms of `text`, in order, repeats included.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.each_term(text, |t| out.push(t.to_owned()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(config: TextConfig, text: &str) -> Vec<String> {
        Analyzer::new(config).terms(text)
    }

    const PLAIN: TextConfig = TextConfig {
        stem: Stemming::None,
        fold: false,
        stop_words: false,
    };

    #[test]
    fn words_follow_uax29_and_are_lowercased() {
        assert_eq!(
            terms(
                PLAIN,
                "libssl3: Secure Sockets Layer, ERR_QUOTA at 3.14 — don't panic!"
            ),
            [
                "libssl3",
                "secure",
                "sockets",
                "layer",
                "err_quota",
                "at",
                "3.14",
                "don't",
                "panic"
            ]
        );
        assert_eq!(terms(PLAIN, "python3-numpy"), ["python3", "numpy"]);
        assert_eq!(terms(PLAIN, "ÉCOLE Straße"), ["école", "straße"]);
        assert!(terms(PLAIN, " ,.;!? — ").is_empty());
    }

    #[test]
    fn folding_strips_marks_from_non_ascii_words_only() {
        let fold = TextConfig {
            fold: true,
            ..PLAIN
        };
        assert_eq!(
            terms(fold, "Café naïve coöperate"),
            ["cafe", "naive", "cooperate"]
        );
        assert_eq!(terms(fold, "Ångström ﬁle"), ["angstrom", "file"]);
        assert_eq!(terms(fold, "日本語"), terms(PLAIN, "日本語"));
    }

    #[test]
    fn stop_words_are_dropped_only_when_asked() {
        let stop = TextConfig {
            stop_words: true,
            ..PLAIN
        };
        assert_eq!(terms(stop, "The cat and the hat"), ["cat", "hat"]);
        assert_eq!(terms(PLAIN, "The cat").len(), 2);
        let mut sorted = STOP_WORDS;
        sorted.sort_unstable();
        assert_eq!(sorted, STOP_WORDS, "binary search needs them sorted");
    }

    #[test]
    fn english_stemming_conflates_forms() {
        let stem = TextConfig {
            stem: Stemming::English,
            ..PLAIN
        };
        assert_eq!(terms(stem, "running runs ran"), ["run", "run", "ran"]);
        assert_eq!(terms(stem, "libraries library"), ["librari", "librari"]);
        assert_eq!(
            terms(stem, "Compression compressed"),
            ["compress", "compress"]
        );
    }

    #[test]
    fn overlong_terms_are_dropped() {
        let long = "x".repeat(MAX_TERM_BYTES + 1);
        let ok = "y".repeat(MAX_TERM_BYTES);
        assert_eq!(terms(PLAIN, &format!("{long} {ok} z")), [ok.as_str(), "z"]);
    }
}
