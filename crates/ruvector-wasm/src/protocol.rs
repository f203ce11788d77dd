//! The shapes JavaScript sends: open, import and search options (read from JavaScript by
//! `js::fields`), the limits of one call, and the errors of arguments. Pure Rust, tested
//! natively.

use ruvector_core::{
    CollectionConfig, Fusion, HnswParams, IndexKind, Metric, Quantization, SearchMode, TextConfig,
};

use crate::errors::ErrorInfo;

/// How durable a commit must be before a write is acknowledged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// `durability: 'strict'`: flushed to disk before `complete`; survives OS crashes and power loss.
    #[default]
    Strict,
    /// `durability: 'relaxed'`: survives tab and browser crashes, not OS crashes.
    Relaxed,
}

/// HNSW options, each optional (defaults from `HnswParams`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HnswOptions {
    /// Links per node above layer 0.
    pub m: Option<usize>,
    /// Candidate list while inserting.
    pub ef_construction: Option<usize>,
    /// Candidate list while searching.
    pub ef_search: Option<usize>,
    /// Level generator seed.
    pub seed: Option<u64>,
}

/// When the worker folds the log into pages (it does so while idle).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckpointOptions {
    /// Fold once the log holds this many records (default 1,000).
    pub max_log_records: Option<usize>,
    /// Fold once the log holds this many bytes (default 32 MiB).
    pub max_log_bytes: Option<usize>,
}

impl CheckpointOptions {
    /// The policy, defaults filled in.
    pub fn policy(&self) -> ruvector_core::CheckpointPolicy {
        let d = ruvector_core::CheckpointPolicy::default();
        ruvector_core::CheckpointPolicy {
            max_log_records: self.max_log_records.unwrap_or(d.max_log_records).max(1),
            max_log_bytes: self.max_log_bytes.unwrap_or(d.max_log_bytes).max(1),
            ..d
        }
    }
}

/// `open(name, options)`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OpenOptions {
    /// Needed to create a database; when opening one, must match it if given.
    pub dimensions: Option<usize>,
    /// Default `cosine`; must match an existing database if given.
    pub metric: Option<Metric>,
    /// Default `hnsw`; must match an existing database if given.
    pub index: Option<IndexKind>,
    /// HNSW parameters for a new database.
    pub hnsw: Option<HnswOptions>,
    /// Default `none`; `int8` also keeps int8 codes and walks the graph on them (see
    /// `ruvector_core::Quantization`). Must match an existing database if given.
    pub quantization: Option<Quantization>,
    /// Default `strict`.
    pub durability: Option<Durability>,
    /// When to checkpoint (this session only; not stored).
    pub checkpoint: Option<CheckpointOptions>,
    /// Use the scalar build even where SIMD128 is available (read by the worker script).
    pub simd: Option<bool>,
    /// Ask for persistent storage (read by the page facade).
    pub persist: Option<bool>,
    /// When a log record is damaged: drop it and the log after it, open at the record
    /// before, and report the loss in `stats().persistence.recovery` (default: refuse with
    /// `CORRUPT`).
    pub recover: Option<bool>,
    /// A text index with these settings: created with a new database, added (empty) to an
    /// existing one without, and, when given as settings (`text_settings`), checked against
    /// one that has it.
    pub text: Option<TextConfig>,
    /// True when `text` was given as settings; `text: true` asks for a text index, with the
    /// default settings if one is made, and takes the settings of one that exists.
    pub text_settings: bool,
    /// The embedder of this session.
    pub embedder: Option<EmbedderOption>,
    /// How long one `embed` call may take (default 30 s).
    pub embed_timeout_ms: Option<f64>,
    /// `compaction: 'auto'` (default, `Some(true)`) compacts when idle once dead slots are as
    /// many as live ones ([`crate::engine::compact::due`]); `'manual'` only on `compact()`.
    pub compaction: Option<bool>,
}

/// `open`'s `embedder`: a module the worker loads, or one the page runs (the worker only
/// records and checks its name and dimension).
#[derive(Clone, Debug, PartialEq)]
pub enum EmbedderOption {
    /// `embedder: url`.
    Module(String),
    /// `embedder: { name, dimensions }`, sent by the facade for an embedder object.
    Page {
        /// Its name.
        name: String,
        /// Its dimension.
        dimensions: usize,
    },
}

/// `import(name, data, options)`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportOptions {
    /// Default `strict`.
    pub durability: Option<Durability>,
    /// When to checkpoint (this session only; not stored).
    pub checkpoint: Option<CheckpointOptions>,
    /// Replace the contents of the open database `name` instead of creating a new one.
    pub replace: Option<bool>,
}

impl OpenOptions {
    /// The configuration of a new database.
    pub fn config(&self) -> Result<CollectionConfig, ErrorInfo> {
        let dimensions = self.dimensions.ok_or_else(|| {
            ErrorInfo::new("INVALID_CONFIG", "creating a database needs `dimensions`")
        })?;
        let d = HnswParams::default();
        let h = self.hnsw.unwrap_or_default();
        let config = CollectionConfig::new(dimensions)
            .metric(self.metric.unwrap_or_default())
            .index(self.index.unwrap_or_default())
            .quantization(self.quantization.unwrap_or_default())
            .hnsw(HnswParams {
                m: h.m.unwrap_or(d.m),
                ef_construction: h.ef_construction.unwrap_or(d.ef_construction),
                ef_search: h.ef_search.unwrap_or(d.ef_search),
                seed: h.seed.unwrap_or(d.seed),
            });
        Ok(match self.text {
            Some(t) => config.text(t),
            None => config,
        })
    }

    /// Checks the options against an existing database's configuration.
    pub fn check_against(&self, existing: &CollectionConfig) -> Result<(), ErrorInfo> {
        let clash = |what: &str, asked: String, has: String| {
            ErrorInfo::new(
                "CONFIG_MISMATCH",
                format!("the database exists with {what} {has}, not {asked}; open it without {what} or use another name"),
            )
        };
        if let Some(d) = self.dimensions.filter(|&d| d != existing.dimensions) {
            return Err(clash(
                "dimensions",
                d.to_string(),
                existing.dimensions.to_string(),
            ));
        }
        if let Some(m) = self.metric.filter(|&m| m != existing.metric) {
            return Err(clash("metric", m.to_string(), existing.metric.to_string()));
        }
        if let Some(i) = self.index.filter(|&i| i != existing.index) {
            return Err(clash(
                "index",
                format!("{i:?}"),
                format!("{:?}", existing.index),
            ));
        }
        if let Some(q) = self.quantization.filter(|&q| q != existing.quantization) {
            return Err(clash(
                "quantization",
                format!("{q:?}"),
                format!("{:?}", existing.quantization),
            ));
        }
        if let (Some(t), Some(has), true) = (self.text, existing.text, self.text_settings) {
            if t != has {
                return Err(clash("text", text_settings(&t), text_settings(&has)));
            }
        }
        Ok(())
    }
}

/// `search(vector, options)`, read by the binding field by field (not through serde: it is
/// on every query's path).
#[derive(Clone, Debug, PartialEq)]
pub struct SearchOptions {
    /// Results wanted (default 10).
    pub k: usize,
    /// Candidate list for this query.
    pub ef: Option<usize>,
    /// A metadata filter (see the filter docs).
    pub filter: Option<serde_json::Value>,
    /// Return each hit's metadata.
    pub include_metadata: bool,
    /// Return each hit's vector.
    pub include_vectors: bool,
    /// Rescore `k · RESCORE_CANDIDATES` hits of the int8 ranking from their float32
    /// vectors in IndexedDB (exact distances; slower).
    pub rescore: bool,
    /// `vector`, `text` or `hybrid`; `None`: from what the query holds.
    pub mode: Option<SearchMode>,
    /// How a hybrid search fuses its rankings (default RRF, rank constant 60).
    pub fusion: Fusion,
    /// Return each hit's text.
    pub include_text: bool,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            k: 10,
            ef: None,
            filter: None,
            include_metadata: false,
            include_vectors: false,
            rescore: false,
            mode: None,
            fusion: Fusion::default(),
            include_text: false,
        }
    }
}

/// Text settings as `open` takes them, for messages.
fn text_settings(t: &TextConfig) -> String {
    let stem = match t.stem {
        ruvector_core::Stemming::English => "'english'",
        ruvector_core::Stemming::None => "false",
    };
    format!(
        "{{ stem: {stem}, fold: {}, stopWords: {} }}",
        t.fold, t.stop_words
    )
}

/// The most vectors one `insert` or `insertPacked` call takes (`insertMany` sends chunks).
pub const MAX_BATCH_ITEMS: usize = 100_000;
/// The most queries one `searchMany` takes.
pub const MAX_QUERIES: usize = 10_000;
/// The most hits (queries · `k`) one `searchMany` returns.
pub const MAX_HITS: usize = 1_000_000;
/// Rows an `insertMany` commits at a time when it is given no `chunk`.
pub const DEFAULT_CHUNK: usize = 1000;
/// The most bytes of vector data one `insert` or `insertPacked` call takes (64 MiB).
pub const MAX_BATCH_BYTES: usize = 64 << 20;
/// The largest filter of a search, as JSON text.
pub const MAX_FILTER_BYTES: usize = 1 << 20;

/// `TOO_LARGE`: `what` has `got` `unit`, more than `max`.
pub fn too_large(what: &str, got: usize, max: usize, unit: &str) -> ErrorInfo {
    ErrorInfo::new(
        "TOO_LARGE",
        format!(
            "{what}: {got} {unit}, more than the {max} one call takes; split it (insertMany does)"
        ),
    )
}

/// `BAD_ARGUMENT` naming the field.
pub fn bad_argument(what: &str, e: impl std::fmt::Display) -> ErrorInfo {
    ErrorInfo::new("BAD_ARGUMENT", format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_fill_defaults_and_refuse_clashes() {
        let o = OpenOptions {
            dimensions: Some(3),
            metric: Some(Metric::Euclidean),
            hnsw: Some(HnswOptions {
                ef_search: Some(32),
                ..Default::default()
            }),
            ..Default::default()
        };
        let c = o.config().unwrap();
        assert_eq!(
            (c.dimensions, c.metric, c.hnsw.ef_search, c.hnsw.m),
            (3, Metric::Euclidean, 32, 16)
        );
        assert_eq!(
            OpenOptions::default().config().unwrap_err().code,
            "INVALID_CONFIG"
        );
        let existing = CollectionConfig::new(3);
        let mismatch = OpenOptions {
            dimensions: Some(4),
            ..Default::default()
        }
        .check_against(&existing);
        assert_eq!(mismatch.unwrap_err().code, "CONFIG_MISMATCH");
        assert!(
            o.check_against(&existing).is_err(),
            "euclidean is not cosine"
        );
    }

    #[test]
    fn text_settings_are_checked_only_when_given() {
        let stemless = TextConfig {
            stem: ruvector_core::Stemming::None,
            ..TextConfig::default()
        };
        let existing = CollectionConfig::new(3).text(stemless);
        let asked = |text_settings| OpenOptions {
            text: Some(TextConfig::default()),
            text_settings,
            ..Default::default()
        };
        let clash = asked(true).check_against(&existing).unwrap_err();
        assert_eq!(clash.code, "CONFIG_MISMATCH");
        assert!(clash.message.contains("stem: false"), "{}", clash.message);
        assert!(
            asked(false).check_against(&existing).is_ok(),
            "text: true takes any"
        );
        assert!(
            asked(true).check_against(&CollectionConfig::new(3)).is_ok(),
            "none yet"
        );
        let created = OpenOptions {
            dimensions: Some(3),
            ..asked(false)
        };
        assert_eq!(created.config().unwrap().text, Some(TextConfig::default()));
    }
}
