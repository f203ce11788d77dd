//! Risk: what JavaScript gets back differs from the documented objects (search results,
//! the in-thread class). Runs in headless Chromium inside a dedicated worker:
//! `cargo test -p ruvector-wasm --target wasm32-unknown-unknown --test conversions`.
#![cfg(target_arch = "wasm32")]
// These are tests; clippy's allow-unwrap-in-tests only recognises #[test].
#![allow(clippy::unwrap_used)]

mod support;

use js_sys::{Array, Float32Array};
use ruvector_wasm as rv;
use support::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// A result set holds every hit of every query, in order, with the values the engine found:
/// ids with characters outside the BMP included (JavaScript counts those as two units, which
/// the slicing of the joined ids must too), metadata as `null` where a hit has none, vectors
/// packed at `i·dim`, a path and an evaluation count per query, and a query without hits.
#[wasm_bindgen_test]
fn result_sets_hold_every_hit_in_columns() {
    use ruvector_core::{Hit, SearchPath, SearchResults};
    let hit = |id: &str, score: f32, metadata: Option<&str>, vector: Option<Vec<f32>>| Hit {
        id: id.into(),
        score,
        distance: 1.0 - score,
        scores: ruvector_core::HitScores {
            text: None,
            vector: Some(score),
        },
        metadata: metadata.map(|m| serde_json::from_str(m).unwrap()),
        vector,
        text: None,
    };
    let plain = SearchResults {
        hits: vec![
            hit("a", 0.912_345_6, None, None),
            hit("𝄞𝄞", 0.5, None, None),
        ],
        path: SearchPath::Graph,
        evaluations: 365,
    };
    let none = SearchResults {
        hits: vec![],
        path: SearchPath::Graph,
        evaluations: 0,
    };
    let rich = SearchResults {
        hits: vec![
            hit(
                "é😀x",
                -0.25,
                Some(r#"{"k":[1,"😀",null],"n":2.5}"#),
                Some(vec![0.1, -3.5]),
            ),
            hit("", 1.0e-7, None, Some(vec![f32::MIN_POSITIVE, 0.0])),
            hit("tail", 0.3, Some("{}"), Some(vec![1.0, 2.0])),
        ],
        path: SearchPath::ExactScan,
        evaluations: 9_007_199_254_740_991,
    };
    let check = |found: &[&SearchResults]| {
        let owned: Vec<SearchResults> = found.iter().map(|r| (*r).clone()).collect();
        let set = rv::results::result_set(&owned).unwrap();
        for (q, r) in found.iter().enumerate() {
            let want: Vec<HitOf> = r
                .hits
                .iter()
                .map(|h| HitOf {
                    id: h.id.clone(),
                    score: h.score,
                    distance: h.distance,
                    metadata: h.metadata.as_ref().map(|m| m.to_string()),
                    vector: h.vector.clone(),
                })
                .collect();
            assert_eq!(hits_of(&set, q), want, "query {q}");
            let path = Array::from(&field(&set, "paths")).get(q as u32).as_string();
            let exact = r.path == SearchPath::ExactScan;
            assert_eq!(
                path.as_deref(),
                Some(if exact { "exactScan" } else { "graph" })
            );
            let evaluations = js_sys::Float64Array::from(field(&set, "evaluations")).to_vec();
            assert_eq!(evaluations[q], r.evaluations as f64);
        }
        set
    };
    let set = check(&[&plain]);
    assert!(field(&set, "metadata").is_undefined() && field(&set, "vectors").is_undefined());
    assert!(field(&set, "scores").is_instance_of::<Float32Array>());
    check(&[&none]);
    let set = check(&[&plain, &none, &plain]);
    assert_eq!(Array::from(&field(&set, "ids")).length(), 4);
    let set = check(&[&rich, &none, &rich]);
    assert_eq!(Float32Array::from(field(&set, "vectors")).length(), 12);
    assert!(
        rv::results::result_set(&[plain.clone(), rich.clone()]).is_err(),
        "a set where only some hits have vectors is refused, not misaligned"
    );
    check(&[&rich]);
}

#[wasm_bindgen_test]
fn memory_collection_works_synchronously() {
    let mut c =
        rv::MemoryCollection::new(obj(r#"{"dimensions": 3, "metric": "euclidean"}"#)).unwrap();
    assert!(c.is_empty());
    let ids = c
        .insert(obj(
            r#"[{"id": "x", "vector": [0, 0, 1]}, {"vector": [0, 1, 0], "metadata": {"k": 1}}]"#,
        ))
        .unwrap();
    assert_eq!(Array::from(&ids).length(), 2);
    assert_eq!(c.len(), 2);
    let r = c.search(obj("[0, 0.1, 0.9]"), obj(r#"{"k": 1}"#)).unwrap();
    assert_eq!(hits_of(&r, 0)[0].id, "x");
    let filtered = c
        .search(
            obj("[0, 0.1, 0.9]"),
            obj(r#"{"k": 1, "filter": {"k": 1}, "includeMetadata": true}"#),
        )
        .unwrap();
    assert_eq!(
        hits_of(&filtered, 0)[0].metadata.as_deref(),
        Some(r#"{"k":1}"#)
    );
    assert_eq!(
        code(
            c.insert(obj(r#"[{"id": "x", "vector": [1, 1, 1]}]"#))
                .unwrap_err()
        ),
        "DUPLICATE_ID"
    );
    assert!(c.delete("x"));
    assert!(!c.delete("x"));
    assert_eq!(c.len(), 1);
    assert_eq!(
        code(
            rv::MemoryCollection::new(obj(r#"{"metric": "cosine"}"#))
                .err()
                .unwrap()
        ),
        "INVALID_CONFIG"
    );
}
