//! Risk: bad input or damaged storage fails silently, with an untyped error, or changes
//! something. Runs in headless Chromium inside a dedicated worker:
//! `cargo test -p ruvector-wasm --target wasm32-unknown-unknown --test bad_input`.
#![cfg(target_arch = "wasm32")]
// These are tests; clippy's allow-unwrap-in-tests only recognises #[test].
#![allow(clippy::unwrap_used)]

mod support;

use js_sys::{Array, Float32Array, Reflect};
use ruvector_wasm as rv;
use support::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen_test]
async fn every_error_is_typed_and_changes_nothing() {
    let name = unique("errors");
    rv::open(
        name.clone(),
        obj(r#"{"dimensions": 3, "metric": "euclidean"}"#),
    )
    .await
    .unwrap();
    rv::insert(name.clone(), obj(r#"[{"id": "a", "vector": [1, 2, 3]}]"#))
        .await
        .unwrap();
    let cases: Vec<(&str, JsValue)> = vec![
        (
            "DIMENSION_MISMATCH",
            rv::insert(name.clone(), obj(r#"[{"vector": [1, 2]}]"#))
                .await
                .unwrap_err(),
        ),
        (
            "DUPLICATE_ID",
            rv::insert(name.clone(), obj(r#"[{"id": "a", "vector": [1, 2, 3]}]"#))
                .await
                .unwrap_err(),
        ),
        (
            "INVALID_ID",
            rv::insert(name.clone(), obj(r#"[{"id": "", "vector": [1, 2, 3]}]"#))
                .await
                .unwrap_err(),
        ),
        (
            "BAD_ARGUMENT",
            rv::insert(name.clone(), obj(r#"[{"id": "b", "vector": "x"}]"#))
                .await
                .unwrap_err(),
        ),
        (
            "BAD_ARGUMENT",
            rv::insert(name.clone(), obj(r#"{"not": "an array"}"#))
                .await
                .unwrap_err(),
        ),
        (
            "INVALID_METADATA",
            rv::insert(
                name.clone(),
                obj(r#"[{"id": "b", "vector": [1, 2, 3], "metadata": 5}]"#),
            )
            .await
            .unwrap_err(),
        ),
        (
            "NOT_FOUND",
            rv::delete(name.clone(), JsValue::from_str("zz"), JsValue::UNDEFINED)
                .await
                .unwrap_err(),
        ),
        (
            "MISSING_VECTOR",
            rv::upsert(
                name.clone(),
                "new".into(),
                JsValue::UNDEFINED,
                JsValue::UNDEFINED,
                JsValue::UNDEFINED,
            )
            .await
            .unwrap_err(),
        ),
        (
            "INVALID_K",
            rv::search(name.clone(), obj("[1, 2, 3]"), obj(r#"{"k": 0}"#))
                .await
                .unwrap_err(),
        ),
        (
            "INVALID_K",
            rv::search(name.clone(), obj("[1, 2, 3]"), obj(r#"{"k": 1000000}"#))
                .await
                .unwrap_err(),
        ),
        (
            "BAD_ARGUMENT",
            rv::search(name.clone(), obj("[1, 2, 3]"), obj(r#"{"ef": -4}"#))
                .await
                .unwrap_err(),
        ),
        (
            "BAD_ARGUMENT",
            rv::search(name.clone(), obj("[1, 2, 3]"), obj(r#"{"topK": 4}"#))
                .await
                .unwrap_err(),
        ),
        (
            "INVALID_FILTER",
            rv::search(
                name.clone(),
                obj("[1, 2, 3]"),
                obj(r#"{"filter": {"a": {"$regex": "x"}}}"#),
            )
            .await
            .unwrap_err(),
        ),
        (
            "DIMENSION_MISMATCH",
            rv::search(name.clone(), obj("[1, 2]"), JsValue::UNDEFINED)
                .await
                .unwrap_err(),
        ),
        (
            "CONFIG_MISMATCH",
            rv::open(name.clone(), obj(r#"{"dimensions": 4}"#))
                .await
                .unwrap_err(),
        ),
        (
            "NOT_OPEN",
            rv::search("never-opened".into(), obj("[1]"), JsValue::UNDEFINED)
                .await
                .unwrap_err(),
        ),
        (
            "INVALID_CONFIG",
            rv::open(unique("nodim"), JsValue::UNDEFINED)
                .await
                .unwrap_err(),
        ),
    ];
    for (expected, e) in cases {
        assert_eq!(code(e.clone()), expected, "{}", json(&e));
        assert!(!field(&e, "message")
            .as_string()
            .unwrap_or_default()
            .is_empty());
    }
    // NaN cannot be written in JSON; pass it as a Float32Array.
    let nan = obj(r#"[{"id": "n"}]"#);
    Reflect::set(
        &Array::from(&nan).get(0),
        &"vector".into(),
        &Float32Array::from(&[1.0, f32::NAN, 0.0][..]),
    )
    .unwrap();
    assert_eq!(
        code(rv::insert(name.clone(), nan).await.unwrap_err()),
        "NON_FINITE"
    );
    assert_eq!(
        rv::count(name.clone()).unwrap(),
        1,
        "refused writes changed nothing"
    );
    rv::delete_database(name).await.unwrap();
}

/// Options are read field by field (crates/ruvector-wasm/src/js/fields.rs): every field of
/// every kind is checked, and the error names the field.
#[wasm_bindgen_test]
async fn options_are_read_strictly_and_errors_name_the_field() {
    let name = unique("options");
    let full = r#"{"dimensions": 3, "metric": "euclidean", "index": "hnsw",
        "hnsw": {"m": 8, "efConstruction": 40, "efSearch": 20, "seed": 7},
        "quantization": "none", "durability": "relaxed",
        "checkpoint": {"maxLogRecords": 10, "maxLogBytes": 100000},
        "simd": true, "persist": false, "recover": false}"#;
    let stats = rv::open(name.clone(), obj(full)).await.unwrap();
    assert_eq!(
        field(&stats, "metric").as_string().as_deref(),
        Some("euclidean")
    );
    rv::insert(name.clone(), obj(r#"[{"id": "a", "vector": [1, 2, 3]}]"#))
        .await
        .unwrap();
    let search = |o: JsValue| rv::search(name.clone(), obj("[1, 2, 3]"), o);
    let all = r#"{"k": 1, "ef": 5, "filter": null, "includeMetadata": true,
        "includeVectors": true, "rescore": false}"#;
    let set = search(obj(all)).await.unwrap();
    assert!(field(&set, "vectors").is_instance_of::<Float32Array>());
    assert_eq!(hits_of(&set, 0)[0].vector, Some(vec![1.0, 2.0, 3.0]));
    let nan_k = obj("{}");
    Reflect::set(&nan_k, &"k".into(), &JsValue::from_f64(f64::NAN)).unwrap();
    let refused_open = |o: &str| {
        let opened = rv::open(unique("x"), obj(o));
        async move { opened.await.unwrap_err() }
    };
    let cases: Vec<(&str, &str, JsValue)> = vec![
        (
            "BAD_ARGUMENT",
            "options.k",
            search(obj(r#"{"k": 2.5}"#)).await.unwrap_err(),
        ),
        (
            "BAD_ARGUMENT",
            "options.k",
            search(nan_k).await.unwrap_err(),
        ),
        (
            "BAD_ARGUMENT",
            "options.k",
            search(obj(r#"{"k": "3"}"#)).await.unwrap_err(),
        ),
        (
            "BAD_ARGUMENT",
            "options.includeMetadata",
            search(obj(r#"{"includeMetadata": 1}"#)).await.unwrap_err(),
        ),
        (
            "BAD_ARGUMENT",
            "options",
            search(obj("[1]")).await.unwrap_err(),
        ),
        (
            "BAD_ARGUMENT",
            "options",
            search(JsValue::from(3)).await.unwrap_err(),
        ),
        (
            "INVALID_CONFIG",
            "options.metric",
            refused_open(r#"{"dimensions": 3, "metric": "l2"}"#).await,
        ),
        (
            "INVALID_CONFIG",
            "dimension",
            refused_open(r#"{"dimension": 3}"#).await,
        ),
        (
            "INVALID_CONFIG",
            "options.hnsw.m",
            refused_open(r#"{"dimensions": 3, "hnsw": {"m": -1}}"#).await,
        ),
        (
            "INVALID_CONFIG",
            "options.hnsw",
            refused_open(r#"{"dimensions": 3, "hnsw": {"M": 4}}"#).await,
        ),
        (
            "INVALID_CONFIG",
            "options.checkpoint.maxLogRecords",
            refused_open(r#"{"dimensions": 3, "checkpoint": {"maxLogRecords": true}}"#).await,
        ),
        (
            "INVALID_CONFIG",
            "options.durability",
            refused_open(r#"{"dimensions": 3, "durability": "lazy"}"#).await,
        ),
        (
            "BAD_ARGUMENT",
            "ids",
            rv::delete(name.clone(), obj(r#"["a", 2]"#), JsValue::UNDEFINED)
                .await
                .unwrap_err(),
        ),
    ];
    for (expected, names, e) in cases {
        let message = field(&e, "message").as_string().unwrap_or_default();
        assert_eq!(code(e.clone()), expected, "{message}");
        assert!(message.contains(names), "{message:?} names {names}");
    }
    assert_eq!(rv::count(name.clone()).unwrap(), 1, "nothing was deleted");
    let names = js_sys::JSON::stringify(&rv::databases().await.unwrap()).unwrap();
    assert!(
        !names.as_string().unwrap().contains("\"x-"),
        "no refused open created a database"
    );
    rv::delete_database(name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_damaged_record_is_reported_by_key_on_open() {
    let name = unique("corrupt");
    rv::open(name.clone(), obj(r#"{"dimensions": 4}"#))
        .await
        .unwrap();
    for (id, v) in [
        ("a", "[1, 0, 0, 0]"),
        ("b", "[0, 1, 0, 0]"),
        ("c", "[0, 0, 1, 0]"),
    ] {
        let items = format!(r#"[{{"id": "{id}", "vector": {v}}}]"#);
        rv::insert(name.clone(), obj(&items)).await.unwrap();
    }
    // Ended without a close, as a page that goes away does: the log stays unfolded (a close
    // would fold it into pages).
    assert!(rv::engine::unregister(&name));
    // The second write's log record (the first is the creation's manifest write, seq 0).
    let key = "log/00000000000000000002";
    rv::put_raw_record(
        name.clone(),
        key.into(),
        js_sys::Uint8Array::from(&[1u8, 2, 3][..]),
    )
    .await
    .unwrap();
    let e = rv::open(name.clone(), JsValue::UNDEFINED)
        .await
        .unwrap_err();
    assert_eq!(code(e.clone()), "CORRUPT");
    let message = field(&e, "message").as_string().unwrap();
    assert!(message.contains(key), "{}", json(&e));
    assert!(
        message.contains("recover: true"),
        "the message names the way out"
    );
    // The documented recovery: drop the damaged record and the log after it, and say so.
    let stats = rv::open(name.clone(), obj(r#"{"recover": true}"#))
        .await
        .unwrap();
    assert_eq!(
        field(&stats, "len").as_f64(),
        Some(1.0),
        "only the first write stays"
    );
    assert_eq!(
        field(&stats, "persistence.recovery.droppedRecords").as_f64(),
        Some(2.0)
    );
    assert_eq!(
        field(&stats, "persistence.recovery.firstDamaged")
            .as_string()
            .as_deref(),
        Some(key)
    );
    rv::insert(
        name.clone(),
        obj(r#"[{"id": "d", "vector": [0, 0, 0, 1]}]"#),
    )
    .await
    .unwrap();
    rv::close(name.clone()).await.unwrap();
    // The tail is gone from IndexedDB: a plain open works and holds the new write.
    let stats = rv::open(name.clone(), JsValue::UNDEFINED).await.unwrap();
    assert_eq!(field(&stats, "len").as_f64(), Some(2.0));
    assert!(
        field(&stats, "persistence.recovery").is_null()
            || field(&stats, "persistence.recovery").is_undefined()
    );
    assert!(!rv::get(name.clone(), "d".into()).await.unwrap().is_null());
    rv::delete_database(name).await.unwrap();
}
