//! Helpers shared by the integration tests: collections built from row-major data whose ids
//! are the row numbers, and searches returning row numbers.
#![allow(dead_code)]

use ruvector_core::{
    Collection, CollectionConfig, Filter, Item, RecordSource, RecordWriter, SearchPath, SearchQuery,
};

/// Seeds print so a failing run can be replayed.
pub fn seed(name: &str, seed: u64) -> u64 {
    println!("{name}: seed {seed:#x}");
    seed
}

pub fn build(config: CollectionConfig, rows: &[f32]) -> Collection {
    let mut c = Collection::new(config).expect("valid config");
    let items: Vec<Item> = rows
        .chunks_exact(config.dimensions)
        .enumerate()
        .map(|(i, v)| Item::new(i.to_string(), v.to_vec()))
        .collect();
    c.insert_batch(items).expect("valid rows");
    c
}

pub fn search_rows(
    c: &Collection,
    queries: &[f32],
    k: usize,
    ef: usize,
    filter: Option<&Filter>,
) -> (Vec<Vec<usize>>, Vec<SearchPath>) {
    let dim = c.config().dimensions;
    let mut rows = Vec::new();
    let mut paths = Vec::new();
    for q in queries.chunks_exact(dim) {
        let mut query = SearchQuery::new(q, k).ef(ef);
        query.filter = filter;
        let r = c.search(&query).expect("valid query");
        paths.push(r.path);
        rows.push(
            r.hits
                .iter()
                .map(|h| h.id.parse::<usize>().expect("numeric id"))
                .collect(),
        );
    }
    (rows, paths)
}

/// A fingerprint of a seeded HNSW build and search: FNV-1a over every hit's id, distance
/// bits and each search's evaluation count. Equal fingerprints mean the same graph and the
/// same bits; native and wasm tests assert the same constant.
pub fn graph_fingerprint() -> u64 {
    use ruvector_testkit::dataset::Mixture;
    let dim = 48;
    let m = Mixture::with_spread(dim, 40, 0xF1, 1.5);
    let c = build(CollectionConfig::new(dim), &m.sample(1_500, 1));
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h = (h ^ *b as u64).wrapping_mul(0x100_0000_01b3);
        }
    };
    for q in m.sample(40, 2).chunks_exact(dim) {
        let r = c
            .search(&SearchQuery::new(q, 10).ef(24))
            .expect("valid query");
        eat(&r.evaluations.to_le_bytes());
        for hit in r.hits {
            eat(hit.id.as_bytes());
            eat(&hit.distance.to_bits().to_le_bytes());
        }
    }
    h
}

/// The fingerprint every build must produce. It changes only when graph construction or
/// the kernels' summation order change on purpose; update it then, on every build at once.
pub const GRAPH_FINGERPRINT: u64 = 0x1f79_e78d_c256_e1a7;

/// FNV-1a of the export file of a seeded store (inserts, a bulk batch, upserts, deletes,
/// a checkpoint). Equal on every build means a browser export opens natively byte for byte.
pub fn export_fingerprint() -> u64 {
    use ruvector_core::{MemoryBackend, Store};
    use ruvector_testkit::dataset::Mixture;
    let dim = 20;
    let rows = Mixture::with_spread(dim, 10, 0xE1, 1.5).sample(700, 3);
    let item = |i: usize| {
        Item::new(format!("e{i}"), rows[i * dim..(i + 1) * dim].to_vec())
            .with_metadata(serde_json::json!({"i": i, "even": i.is_multiple_of(2)}))
    };
    let mut s = Store::create(MemoryBackend::new(), CollectionConfig::new(dim)).expect("create");
    s.insert_batch((0..300).map(item).collect()).expect("bulk");
    for i in 300..340 {
        s.insert(item(i)).expect("insert");
    }
    s.checkpoint().expect("checkpoint");
    s.upsert("e3", Some(&rows[650 * dim..651 * dim]), None)
        .expect("upsert");
    s.upsert("e4", None, Some(serde_json::json!({"moved": true})))
        .expect("upsert");
    s.delete(&["e5", "e6"]).expect("delete");
    let file = s.export().expect("export");
    file.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// The export fingerprint every build must produce (changes only with the format).
pub const EXPORT_FINGERPRINT: u64 = 0xef42_97e7_aa4a_a11c;

/// A backend that records every key read, in order (repeats included).
pub struct Counting {
    pub inner: ruvector_core::MemoryBackend,
    pub reads: std::cell::RefCell<Vec<String>>,
}

impl Counting {
    /// Counts the reads of a copy of `b`.
    pub fn copy_of(b: &ruvector_core::MemoryBackend) -> Counting {
        Counting {
            inner: ruvector_core::MemoryBackend::new_from(b),
            reads: Default::default(),
        }
    }
}

impl RecordWriter for Counting {
    fn write(
        &self,
        batch: &ruvector_core::storage::WriteBatch,
    ) -> Result<(), ruvector_core::BackendError> {
        self.inner.write(batch)
    }
}

impl RecordSource for Counting {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, ruvector_core::BackendError> {
        self.reads.borrow_mut().push(key.to_owned());
        self.inner.get(key)
    }
    fn keys(&self, prefix: &str) -> Result<Vec<String>, ruvector_core::BackendError> {
        self.inner.keys(prefix)
    }
}
