//! Risk: what JavaScript gets back differs from the documented objects (search results,
//! the in-thread class). Runs in headless Chromium inside a dedicated worker:
//! `cargo test -p ruvector-wasm --target wasm32-unknown-unknown --test conversions`.
#![cfg(target_arch = "wasm32")]
// These are tests; clippy's allow-unwrap-in-tests only recognises #[test].
#![allow(clippy::unwrap_used)]

mod support;

use js_sys::{Array, Float32Array, Reflect};
use ruvector_wasm as rv;
use support::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// The fast builder of search results makes exactly the object serde-wasm-bindgen makes:
/// same fields, order and values, ids with characters outside the BMP included (JavaScript
/// counts those as two units, which the slicing of the joined ids must too).
#[wasm_bindgen_test]
fn search_results_are_the_object_serde_makes() {
    use ruvector_core::{Hit, SearchPath, SearchResults};
    use serde::Serialize;
    let hit = |id: &str, score: f32, metadata: Option<&str>, vector: Option<Vec<f32>>| Hit {
        id: id.into(),
        score,
        distance: 1.0 - score,
        metadata: metadata.map(|m| serde_json::from_str(m).unwrap()),
        vector,
    };
    let cases = [
        SearchResults {
            hits: vec![],
            path: SearchPath::Graph,
            evaluations: 0,
        },
        SearchResults {
            hits: vec![
                hit("a", 0.912_345_6, None, None),
                hit(
                    "é😀x",
                    -0.25,
                    Some(r#"{"k": [1, "😀", null], "n": 2.5}"#),
                    None,
                ),
                hit("", 1.0e-7, None, Some(vec![0.1, -3.5, f32::MIN_POSITIVE])),
                hit("𝄞𝄞", 0.5, Some("{}"), Some(vec![])),
                hit("tail", 0.3, None, None),
            ],
            path: SearchPath::ExactScan,
            evaluations: 9_007_199_254_740_991,
        },
    ];
    for found in &cases {
        let serde = found
            .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .unwrap();
        let fast = rv::results::search_results_to_js(found).unwrap();
        // Vectors come as Float32Arrays (as `get` gives them); as plain arrays, the very
        // object serde makes.
        for hit in Array::from(&field(&fast, "hits")).iter() {
            let v = field(&hit, "vector");
            if !v.is_undefined() {
                assert!(
                    v.is_instance_of::<Float32Array>(),
                    "a hit's vector is a Float32Array"
                );
                Reflect::set(&hit, &"vector".into(), &Array::from(&v)).unwrap();
            }
        }
        assert_eq!(json(&fast), json(&serde));
        let ids: Vec<_> = Array::from(&field(&fast, "hits"))
            .iter()
            .map(|h| field(&h, "id").as_string().unwrap())
            .collect();
        let want: Vec<_> = found.hits.iter().map(|h| h.id.clone()).collect();
        assert_eq!(ids, want);
    }
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
    assert_eq!(
        field(&Array::from(&field(&r, "hits")).get(0), "id")
            .as_string()
            .as_deref(),
        Some("x")
    );
    let filtered = c
        .search(
            obj("[0, 0.1, 0.9]"),
            obj(r#"{"k": 1, "filter": {"k": 1}, "includeMetadata": true}"#),
        )
        .unwrap();
    assert_eq!(
        json(&field(
            &Array::from(&field(&filtered, "hits")).get(0),
            "metadata"
        )),
        r#"{"k":1}"#
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
