//! Risk: the browser and a server disagree about the same data. `make test` first runs a
//! seeded operation sequence in headless Chromium (playwright/worker.test.mjs) once per
//! build, saving the operations, the browser's search results and its export files under
//! `target/parity/simd/` and `target/parity/scalar/`.
//! Here the same operations run natively on redb: every search hit must match the
//! browser's (ids, distances to the bit), the browser's export must open natively with the
//! same records, and the native export must equal the browser's byte for byte. Under
//! `CI=true` a missing file fails; elsewhere it is skipped with a message.
#![cfg(feature = "native")]

use std::path::PathBuf;

use ruvector_core::{
    CollectionConfig, IndexKind, Item, MemoryBackend, Metric, RedbBackend, SearchQuery, Store,
    TextConfig, Update,
};
use serde_json::Value;

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x.as_f64().unwrap_or(f64::NAN) as f32)
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn native_replay_matches_the_simd_browser_build() {
    replay("simd");
}

#[test]
fn native_replay_matches_the_scalar_browser_build() {
    replay("scalar");
}

fn replay(build: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/parity")
        .join(build);
    let Ok(text) = std::fs::read_to_string(dir.join("ops.json")) else {
        assert!(
            std::env::var("CI").is_err(),
            "CI: {} is missing; the browser suite must run first",
            dir.display()
        );
        println!(
            "SKIPPED native replay of the {build} build: no {} (run `make test`)",
            dir.join("ops.json").display()
        );
        return;
    };
    let fixture: Value = serde_json::from_str(&text).expect("ops.json");
    let dim = fixture["dim"].as_u64().expect("dim") as usize;
    let queries: Vec<Vec<f32>> = fixture["queries"]
        .as_array()
        .expect("queries")
        .iter()
        .map(floats)
        .collect();
    for db in fixture["databases"].as_array().expect("databases") {
        let metric: Metric = db["metric"]
            .as_str()
            .expect("metric")
            .parse()
            .expect("metric name");
        let index = if db["index"] == "flat" {
            IndexKind::Flat
        } else {
            IndexKind::Hnsw
        };
        let config = CollectionConfig::new(dim)
            .metric(metric)
            .index(index)
            .text(TextConfig::default());
        let path = std::env::temp_dir().join(format!(
            "ruvector-parity-{}-{build}-{metric}.redb",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        let mut native =
            Store::create(RedbBackend::open(&path).expect("redb"), config).expect("create");
        for op in fixture["ops"].as_array().expect("ops") {
            match op["op"].as_str() {
                Some("insert") => {
                    let items = op["items"]
                        .as_array()
                        .expect("items")
                        .iter()
                        .map(|it| Item {
                            id: it["id"].as_str().map(str::to_owned),
                            vector: floats(&it["vector"]),
                            metadata: it.get("metadata").cloned(),
                            text: it.get("text").and_then(Value::as_str).map(str::to_owned),
                        })
                        .collect();
                    native.insert_batch(items).expect("insert");
                }
                Some("upsert") => {
                    let v = op.get("vector").map(floats);
                    // `text`: absent keeps, null clears, a string sets.
                    let text = op.get("text").map(|t| t.as_str().map(str::to_owned));
                    let update = Update {
                        vector: v.as_deref(),
                        metadata: op.get("metadata").cloned(),
                        text,
                    };
                    native
                        .upsert_with(op["id"].as_str().expect("id"), update)
                        .expect("upsert");
                }
                Some("delete") => {
                    let ids: Vec<&str> = op["ids"]
                        .as_array()
                        .expect("ids")
                        .iter()
                        .filter_map(|i| i.as_str())
                        .collect();
                    native.delete(&ids).expect("delete");
                }
                other => panic!("unknown op {other:?}"),
            }
        }
        let label = format!("{build} {metric}/{index:?}");
        for (q, browser_hits) in queries
            .iter()
            .zip(db["results"].as_array().expect("results"))
        {
            let mut query = SearchQuery::new(q, 10);
            query.include_metadata = true;
            let hits = native.collection().search(&query).expect("search").hits;
            let theirs = browser_hits.as_array().expect("hits");
            assert_eq!(hits.len(), theirs.len(), "{label}");
            for (h, b) in hits.iter().zip(theirs) {
                assert_eq!(Some(h.id.as_str()), b["id"].as_str(), "{label}");
                // Distances are f32; the browser's numbers reach this file through the DevTools
                // protocol, which keeps 16 significant digits, enough to recover every f32 bit.
                let bits = |v: &Value| (v.as_f64().unwrap_or(f64::NAN) as f32).to_bits();
                assert_eq!(
                    h.distance.to_bits(),
                    bits(&b["distance"]),
                    "{label}: distance bits"
                );
                assert_eq!(h.score.to_bits(), bits(&b["score"]), "{label}: score bits");
                assert_eq!(h.metadata.as_ref(), b.get("metadata"), "{label}: metadata");
            }
        }
        let text_queries = fixture["textQueries"].as_array().expect("text queries");
        let text_results = db["textResults"].as_array().expect("text results");
        for (q, browser_hits) in text_queries.iter().zip(text_results) {
            let q = q.as_str().expect("text query");
            let hits = (native.collection().search(&SearchQuery::text(q, 10)))
                .expect("text search")
                .hits;
            let theirs = browser_hits.as_array().expect("hits");
            let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
            let browser_ids: Vec<&str> = theirs.iter().filter_map(|b| b["id"].as_str()).collect();
            assert_eq!(ids, browser_ids, "{label}: text query {q:?}");
            for (h, b) in hits.iter().zip(theirs) {
                let bits = (b["score"].as_f64().unwrap_or(f64::NAN) as f32).to_bits();
                assert_eq!(h.score.to_bits(), bits, "{label}: {q:?}: BM25 bits");
            }
        }
        let browser_file =
            std::fs::read(dir.join(db["file"].as_str().expect("file"))).expect("browser export");
        let from_browser = Store::import(MemoryBackend::new(), &browser_file)
            .expect("the browser's export opens natively");
        let ids: Vec<&str> = native.collection().ids().collect();
        assert_eq!(
            from_browser.collection().ids().collect::<Vec<_>>(),
            ids,
            "{label}"
        );
        for id in &ids {
            assert_eq!(from_browser.get(id), native.get(id), "{label}: {id}");
        }
        assert!(
            native.export().expect("export") == browser_file,
            "{label}: the native export differs from the browser's"
        );
        println!(
            "{label}: {} vectors, {} queries and {} text queries identical, exports byte-identical",
            ids.len(),
            queries.len(),
            text_queries.len()
        );
        drop(native);
        let _ = std::fs::remove_file(&path);
    }
}
