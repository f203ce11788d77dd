//! Risk: text search that ranks wrongly, forgets a change, returns a deleted record, loses
//! texts across a reopen or an export, or fuses a hybrid search other than documented. The
//! scores are checked against a plain per-record BM25 written here from the formula (not
//! the engine's postings), fed the engine's own analyzer.

mod common;

use std::collections::HashMap;

use common::seed;
use ruvector_core::storage::{PageKind, MANIFEST_KEY};
use ruvector_core::text::Analyzer;
use ruvector_core::{
    CollectionConfig, Filter, Fusion, InsertError, Item, MemoryBackend, RecordSource, SearchError,
    SearchMode, SearchQuery, SplitMix64, Store, TextConfig, TextError, Update,
};
use serde_json::json;

const DIM: usize = 8;
const WORDS: [&str; 24] = [
    "running",
    "runs",
    "library",
    "libraries",
    "secure",
    "socket",
    "layer",
    "compression",
    "compressed",
    "python",
    "numpy",
    "the",
    "of",
    "and",
    "data",
    "file",
    "files",
    "network",
    "server",
    "client",
    "café",
    "naïve",
    "kernel",
    "module",
];

/// Seeded records: a few words each (skewed to the first ones), a unique package-like name,
/// a vector, and metadata with a group.
fn records(n: usize, sd: u64) -> Vec<Item> {
    let mut rng = SplitMix64::new(sd);
    (0..n)
        .map(|i| {
            let len = 2 + rng.below(12) as usize;
            let mut words = vec![format!("pkg{i}")];
            for _ in 0..len {
                let a = rng.below(WORDS.len() as u64);
                let b = rng.below(WORDS.len() as u64);
                words.push(WORDS[a.min(b) as usize].to_owned());
            }
            let v: Vec<f32> = (0..DIM).map(|_| rng.normal() as f32).collect();
            Item::new(format!("r{i}"), v)
                .with_metadata(json!({ "group": i % 5 }))
                .with_text(words.join(" "))
        })
        .collect()
}

fn config() -> CollectionConfig {
    CollectionConfig::new(DIM).text(TextConfig::default())
}

/// BM25 of every record for `query`, from the formula, record by record: `(id, score)`
/// best first, equal scores in insertion order (`order`).
fn reference(
    texts: &[(String, String)],
    query: &str,
    filter: impl Fn(&str) -> bool,
) -> Vec<(String, f64)> {
    let a = Analyzer::new(TextConfig::default());
    let docs: Vec<Vec<String>> = texts.iter().map(|(_, t)| a.terms(t)).collect();
    let n = docs.len() as f64;
    let avgdl = docs.iter().map(|d| d.len() as f64).sum::<f64>() / n;
    let q = a.terms(query);
    let mut out: Vec<(String, f64)> = Vec::new();
    for ((id, _), d) in texts.iter().zip(&docs) {
        let mut score = 0.0;
        let mut any = false;
        for t in &q {
            let tf = d.iter().filter(|x| *x == t).count() as f64;
            if tf == 0.0 {
                continue;
            }
            any = true;
            let nt = docs.iter().filter(|d| d.contains(t)).count() as f64;
            let idf = (1.0 + (n - nt + 0.5) / (nt + 0.5)).ln();
            let dl = d.len() as f64;
            score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * dl / avgdl));
        }
        if any && filter(id) {
            out.push((id.clone(), score));
        }
    }
    // A stable sort keeps insertion order among equal scores.
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

/// Live `(id, text)` pairs in the order of their slots (the tie rule's order).
fn live_texts(items: &[Item], gone: &[&str]) -> Vec<(String, String)> {
    items
        .iter()
        .filter(|it| !gone.contains(&it.id.as_deref().unwrap_or_default()))
        .map(|it| {
            (
                it.id.clone().unwrap_or_default(),
                it.text.clone().unwrap_or_default(),
            )
        })
        .collect()
}

fn check_against_reference(s: &Store<MemoryBackend>, texts: &[(String, String)], label: &str) {
    let filter = Filter::parse(&json!({ "group": { "$in": [1, 3] } })).expect("filter");
    let group = |id: &str| {
        let n: usize = id[1..].parse().expect("numeric");
        n % 5 == 1 || n % 5 == 3
    };
    for (i, q) in [
        "running library",
        "secure socket layer",
        "pkg17 data",
        "café naive",
        "the",
    ]
    .iter()
    .enumerate()
    {
        for filtered in [false, true] {
            let mut query = SearchQuery::text(q, 10);
            if filtered {
                query = query.filter(&filter);
            }
            let got = s.collection().search(&query).expect("search").hits;
            let want = reference(texts, q, |id| !filtered || group(id));
            assert_eq!(got.len(), want.len().min(10), "{label} {q:?} {filtered}: k");
            for (h, (_, score)) in got.iter().zip(&want) {
                assert!(
                    ((h.score as f64) - score).abs() <= 1e-4 * score.abs(),
                    "{label} query {i} {q:?}: {} scored {} against {score}",
                    h.id,
                    h.score
                );
                assert_eq!(h.scores.text, Some(h.score));
                assert!(h.distance.is_nan() && h.scores.vector.is_none());
            }
            // Ids agree wherever the reference's neighbouring scores differ.
            for (j, (h, (id, score))) in got.iter().zip(&want).enumerate() {
                let tied = |k: usize| want.get(k).is_some_and(|w| (w.1 - score).abs() < 1e-5);
                let tied_before = j > 0 && tied(j - 1);
                if !tied_before && !tied(j + 1) {
                    assert_eq!(&h.id, id, "{label} {q:?} rank {j}");
                }
            }
        }
    }
}

#[test]
fn text_search_scores_as_the_formula_and_keeps_k_under_a_filter() {
    let items = records(600, seed("text ranking", 0x7E_01));
    let mut s = Store::create(MemoryBackend::new(), config()).expect("create");
    s.insert_batch(items[..400].to_vec()).expect("bulk");
    for it in &items[400..] {
        s.insert(it.clone()).expect("insert");
    }
    check_against_reference(&s, &live_texts(&items, &[]), "fresh");
    let stats = s.collection().stats();
    let text = stats.text.expect("text stats");
    assert_eq!(text.records, 600);
    assert!(stats.memory.text > 0 && text.terms > 600);
}

#[test]
fn upserts_and_deletes_keep_scores_exact_through_reopen_and_export() {
    let items = records(500, seed("text churn", 0x7E_02));
    let mut s = Store::create(MemoryBackend::new(), config()).expect("create");
    s.insert_batch(items.clone()).expect("bulk");
    s.checkpoint().expect("checkpoint");
    // Texts rewritten (in place and with a new vector), cleared, and records deleted.
    let mut items = items;
    for (i, it) in items.iter_mut().enumerate().take(60) {
        let text = format!("rewritten network kernel pkg{i} module");
        let vector = (i % 2 == 0).then(|| it.vector.clone());
        let update = Update {
            vector: vector.as_deref(),
            metadata: None,
            text: Some(Some(text.clone())),
        };
        s.upsert_with(it.id.as_deref().unwrap_or_default(), update)
            .expect("upsert");
        it.text = Some(text);
    }
    let gone = ["r100", "r101", "r250"];
    s.delete(&gone).expect("delete");
    // A record moved by an upsert with a vector goes after every other in the tie order.
    let order = |items: &[Item]| {
        let mut moved: Vec<Item> = Vec::new();
        let mut rest: Vec<Item> = Vec::new();
        for (i, it) in items.iter().enumerate() {
            if i < 60 && i % 2 == 0 {
                moved.push(it.clone());
            } else {
                rest.push(it.clone());
            }
        }
        rest.extend(moved);
        rest
    };
    let texts = live_texts(&order(&items), &gone);
    check_against_reference(&s, &texts, "churned");
    // Text hits have no distance (NaN, unequal to itself): compared by id and score.
    let hits = |s: &Store<MemoryBackend>| -> Vec<(String, f32)> {
        let q = SearchQuery::text("pkg100 pkg250 rewritten", 50);
        let hits = s.collection().search(&q).expect("search").hits;
        hits.into_iter().map(|h| (h.id, h.score)).collect()
    };
    assert!(hits(&s).iter().all(|h| !gone.contains(&h.0.as_str())));
    let before = hits(&s);
    let reopened = Store::open(MemoryBackend::new_from(s.backend())).expect("reopen from log");
    assert_eq!(hits(&reopened), before, "replaying the log");
    s.checkpoint().expect("checkpoint");
    let folded = Store::open(MemoryBackend::new_from(s.backend())).expect("reopen from pages");
    assert_eq!(hits(&folded), before, "from text pages");
    check_against_reference(&folded, &texts, "reopened");
    let file = s.export().expect("export");
    let imported = Store::import(MemoryBackend::new(), &file).expect("import");
    assert_eq!(hits(&imported), before, "imported");
    assert_eq!(imported.export().expect("export"), file, "byte-identical");
    let got = imported.get("r7").expect("get").expect("r7");
    assert_eq!(
        got.text.as_deref(),
        Some("rewritten network kernel pkg7 module")
    );
    assert_eq!(
        imported.collection().config().text,
        Some(TextConfig::default())
    );
}

#[test]
fn text_pages_are_what_an_open_reads() {
    let items = records(300, seed("text pages", 0x7E_03));
    let mut s = Store::create(MemoryBackend::new(), config()).expect("create");
    s.insert_batch(items).expect("bulk");
    s.checkpoint().expect("checkpoint");
    let text_keys = s.backend().keys(PageKind::Text.prefix()).expect("keys");
    assert!(text_keys.len() > 100, "{} text pages", text_keys.len());
    // Damage one: the open names it, so postings come from the pages, not the texts.
    let backend = MemoryBackend::new_from(s.backend());
    let key = &text_keys[3];
    let mut v = backend.get(key).expect("get").expect("page");
    let mid = v.len() / 2;
    v[mid] ^= 0x40;
    backend.put_raw(key, v);
    let err = Store::open(backend)
        .err()
        .expect("a damaged text page fails the open");
    assert!(err.to_string().contains(key.as_str()), "{err}");
}

#[test]
fn a_database_without_text_refuses_it_and_changes_nothing() {
    let mut s = Store::create(MemoryBackend::new(), CollectionConfig::new(DIM)).expect("create");
    s.insert(Item::new("a", vec![1.0; DIM])).expect("insert");
    let before = s.export().expect("export");
    let err = s
        .insert(Item::new("b", vec![1.0; DIM]).with_text("hello"))
        .expect_err("no text index");
    assert!(matches!(
        err,
        ruvector_core::WriteError::Rejected(InsertError::Text {
            item: 0,
            source: TextError::Disabled
        })
    ));
    let update = Update {
        text: Some(Some("hello".into())),
        ..Update::default()
    };
    assert!(s.upsert_with("a", update).is_err());
    assert_eq!(
        s.collection().search(&SearchQuery::text("hello", 3)).err(),
        Some(SearchError::Text(TextError::Disabled))
    );
    assert_eq!(s.export().expect("export"), before, "nothing written");

    let mut t = Store::create(MemoryBackend::new(), config()).expect("create");
    let long = "word ".repeat(ruvector_core::text::MAX_TEXT_BYTES / 5 + 1);
    assert!(t
        .insert(Item::new("x", vec![1.0; DIM]).with_text(long.clone()))
        .is_err());
    assert!(matches!(
        t.collection().search(&SearchQuery::text(&long, 3)),
        Err(SearchError::Text(TextError::TooLong { .. }))
    ));
    let mut q = SearchQuery::new(&[1.0; DIM], 3);
    q.mode = SearchMode::Hybrid;
    assert!(matches!(
        t.collection().search(&q),
        Err(SearchError::Missing { mode: "hybrid", .. })
    ));
    assert!(t.collection().is_empty());
}

/// Reciprocal rank fusion and the weighted sum, written from their definitions.
fn fuse_by_hand(
    fusion: Fusion,
    text: &[(String, f32)],
    vector: &[(String, f32)],
    slot: &HashMap<String, usize>,
) -> Vec<(String, f64)> {
    let mut sum: HashMap<String, f64> = HashMap::new();
    for (list, which) in [(text, 0), (vector, 1)] {
        let lo = list
            .iter()
            .map(|x| x.1 as f64)
            .fold(f64::INFINITY, f64::min);
        let hi = list
            .iter()
            .map(|x| x.1 as f64)
            .fold(f64::NEG_INFINITY, f64::max);
        for (rank, (id, score)) in list.iter().enumerate() {
            let add = match fusion {
                Fusion::Rrf { rank_constant } => 1.0 / (rank_constant as f64 + rank as f64 + 1.0),
                Fusion::Weighted {
                    text: wt,
                    vector: wv,
                } => {
                    let w = if which == 0 { wt } else { wv } as f64;
                    let norm = if hi > lo {
                        (*score as f64 - lo) / (hi - lo)
                    } else {
                        1.0
                    };
                    w * norm
                }
            };
            *sum.entry(id.clone()).or_default() += add;
        }
    }
    let mut out: Vec<(String, f64)> = sum.into_iter().collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(slot[&a.0].cmp(&slot[&b.0])));
    out
}

#[test]
fn hybrid_fuses_both_rankings_as_documented() {
    let items = records(800, seed("hybrid", 0x7E_04));
    let mut s = Store::create(MemoryBackend::new(), config()).expect("create");
    s.insert_batch(items.clone()).expect("bulk");
    let slot: HashMap<String, usize> = (items.iter().enumerate())
        .map(|(i, it)| (it.id.clone().unwrap_or_default(), i))
        .collect();
    let c = s.collection();
    let filter = Filter::parse(&json!({ "group": { "$ne": 2 } })).expect("filter");
    for (i, fusion) in [
        Fusion::default(),
        Fusion::Weighted {
            text: 0.3,
            vector: 0.7,
        },
    ]
    .into_iter()
    .enumerate()
    {
        for (j, q) in ["secure socket", "compressed files pkg5"]
            .iter()
            .enumerate()
        {
            let v = &items[(i * 7 + j * 13) % items.len()].vector;
            let k = 10;
            let depth = (2 * k).max(ruvector_core::HYBRID_CANDIDATES);
            let ranked = |query: SearchQuery<'_>| -> Vec<(String, f32)> {
                let query = query.filter(&filter);
                let hits = c.search(&query).expect("search").hits;
                hits.into_iter().map(|h| (h.id, h.score)).collect()
            };
            let ef = depth.max(c.config().hnsw.ef_search);
            let text = ranked(SearchQuery::text(q, depth));
            let vector = ranked(SearchQuery::new(v, depth).ef(ef));
            let want = fuse_by_hand(fusion, &text, &vector, &slot);
            let query = SearchQuery::hybrid(v, q, k).fusion(fusion).filter(&filter);
            let got = c.search(&query).expect("hybrid").hits;
            assert_eq!(got.len(), k);
            for (h, (id, score)) in got.iter().zip(&want) {
                assert_eq!(&h.id, id, "fusion {i}, query {j}");
                assert!(
                    ((h.score as f64) - score).abs() < 1e-5,
                    "fusion {i}, query {j}"
                );
                let n: usize = h.id[1..].parse().expect("numeric");
                assert_ne!(n % 5, 2, "the filter holds");
                assert!(!h.distance.is_nan() && h.scores.vector.is_some());
                let in_text = text.iter().find(|t| t.0 == h.id).map(|t| t.1);
                if let Some(t) = in_text {
                    assert_eq!(h.scores.text, Some(t));
                }
            }
        }
    }
}

#[test]
fn a_format_3_database_gains_a_text_index_durably() {
    let backend = MemoryBackend::new();
    let file = include_bytes!("fixtures/v3-database.records");
    for (k, v) in ruvector_core::storage::export::read_export(file).expect("fixture") {
        backend.put_raw(&k, v);
    }
    let mut s = Store::open(backend).expect("open");
    let seq_before = s.database().storage_stats().seq;
    let len = s.collection().len();
    s.enable_text(TextConfig::default()).expect("enable");
    s.enable_text(TextConfig::default())
        .expect("a second time is nothing");
    // Readers at the old sequence number are told to reload.
    assert!(matches!(
        ruvector_core::Database::records_after(s.backend(), seq_before).expect("records"),
        ruvector_core::CatchUp::Folded { .. }
    ));
    let update = Update {
        text: Some(Some("a note about sockets".into())),
        ..Update::default()
    };
    s.upsert_with("r10", update).expect("text on an old record");
    s.insert(Item::new("fresh", vec![0.5; DIM]).with_text("another socket note"))
        .expect("insert");
    let reopened = Store::open(MemoryBackend::new_from(s.backend())).expect("reopen");
    assert_eq!(reopened.collection().len(), len + 1);
    assert_eq!(
        reopened.collection().config().text,
        Some(TextConfig::default())
    );
    let hits = reopened
        .collection()
        .search(&SearchQuery::text("socket", 5))
        .expect("search")
        .hits;
    let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&"r10") && ids.contains(&"fresh"));
    let manifest = reopened
        .backend()
        .get(MANIFEST_KEY)
        .expect("get")
        .expect("manifest");
    let (version, _) = ruvector_core::storage::codec::open_versioned(
        MANIFEST_KEY,
        ruvector_core::storage::codec::Kind::Manifest,
        &manifest,
    )
    .expect("manifest");
    assert_eq!(version, ruvector_core::storage::codec::FORMAT_VERSION);
}

#[test]
fn the_embedder_name_is_recorded_once_and_kept_by_reopen_and_export() {
    let mut s = Store::create(MemoryBackend::new(), config()).expect("create");
    s.insert(Item::new("a", vec![1.0; DIM]).with_text("one"))
        .expect("insert");
    assert_eq!(s.database().embedder(), None);
    let seq = s.database().storage_stats().seq;
    let batch = s.database_mut().record_embedder("words").expect("a change");
    ruvector_core::RecordWriter::write(s.backend(), &batch).expect("write");
    assert!(
        s.database_mut().record_embedder("words").is_none(),
        "recorded already"
    );
    assert!(matches!(
        ruvector_core::Database::records_after(s.backend(), seq).expect("records"),
        ruvector_core::CatchUp::Folded { .. }
    ));
    let reopened = Store::open(MemoryBackend::new_from(s.backend())).expect("reopen");
    assert_eq!(reopened.database().embedder(), Some("words"));
    let file = reopened.export().expect("export");
    let imported = Store::import(MemoryBackend::new(), &file).expect("import");
    assert_eq!(imported.database().embedder(), Some("words"));
    assert_eq!(imported.collection().len(), 1);
}
