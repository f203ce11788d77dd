//! Risk: the engine in a browser worker loses or changes data across a reopen, commits
//! without strict durability, spends a transaction per write, or fails silently. Runs in
//! headless Chromium inside a dedicated worker:
//! `cargo test -p ruvector-wasm --target wasm32-unknown-unknown --test browser`.
#![cfg(target_arch = "wasm32")]
// These are tests; clippy's allow-unwrap-in-tests only recognises #[test].
#![allow(clippy::unwrap_used)]

use js_sys::{Array, Float32Array, Reflect, Uint8Array, JSON};
use ruvector_core::dataset::Mixture;
use ruvector_wasm as rv;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}-{}",
        js_sys::Date::now(),
        (js_sys::Math::random() * 1e9) as u64
    )
}

fn obj(json: &str) -> JsValue {
    JSON::parse(json).unwrap()
}

fn field(v: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(v.clone(), |v, k| {
        Reflect::get(&v, &k.into()).unwrap_or(JsValue::UNDEFINED)
    })
}

fn code(e: JsValue) -> String {
    field(&e, "code")
        .as_string()
        .unwrap_or_else(|| format!("not a typed error: {e:?}"))
}

fn json(v: &JsValue) -> String {
    JSON::stringify(v).unwrap().as_string().unwrap()
}

fn rows(n: usize, dim: usize, seed: u64) -> Vec<f32> {
    Mixture::with_spread(dim, 10, seed, 1.5).sample(n, seed + 1)
}

#[wasm_bindgen_test]
async fn write_close_reopen_gives_the_same_results_without_distance_work() {
    let name = unique("reopen");
    let dim = 16;
    let data = rows(400, dim, 1);
    rv::open(
        name.clone(),
        obj(r#"{"dimensions": 16, "metric": "cosine"}"#),
    )
    .await
    .unwrap();
    let ids: Array = (0..300)
        .map(|i| JsValue::from_str(&format!("p{i}")))
        .collect();
    rv::insert_packed(
        name.clone(),
        ids.into(),
        Float32Array::from(&data[..300 * dim]),
        JsValue::UNDEFINED,
    )
    .await
    .unwrap();
    for i in 300..310 {
        let item = obj(&format!(r#"[{{"id": "s{i}", "metadata": {{"i": {i}}}}}]"#));
        Reflect::set(
            &Array::from(&item).get(0),
            &"vector".into(),
            &Float32Array::from(&data[i * dim..(i + 1) * dim]),
        )
        .unwrap();
        rv::insert(name.clone(), item).await.unwrap();
    }
    rv::delete(name.clone(), JsValue::from_str("p7"))
        .await
        .unwrap();
    rv::upsert(
        name.clone(),
        "p8".into(),
        Float32Array::from(&data[350 * dim..351 * dim]).into(),
        obj(r#"{"moved": true}"#),
    )
    .await
    .unwrap();
    let q: JsValue = Float32Array::from(&data[390 * dim..391 * dim]).into();
    let opts = obj(r#"{"k": 10, "includeMetadata": true}"#);
    let before = rv::search(name.clone(), q.clone(), opts.clone())
        .await
        .unwrap();
    let stats = rv::stats(name.clone()).await.unwrap();
    assert_eq!(
        field(&stats, "persistence.lastDurability")
            .as_string()
            .as_deref(),
        Some("strict")
    );
    assert_eq!(field(&stats, "len").as_f64(), Some(309.0));
    assert!(rv::close(name.clone()).await.unwrap());

    let reopened = rv::open(name.clone(), JsValue::UNDEFINED).await.unwrap();
    assert_eq!(
        field(&reopened, "distanceEvaluations").as_f64(),
        Some(0.0),
        "open computed distances"
    );
    assert_eq!(field(&reopened, "len").as_f64(), Some(309.0));
    let after = rv::search(name.clone(), q, opts).await.unwrap();
    assert_eq!(json(&field(&before, "hits")), json(&field(&after, "hits")));
    assert!(rv::get(name.clone(), "p7".into()).await.unwrap().is_null());
    assert_eq!(
        json(&field(
            &rv::get(name.clone(), "p8".into()).await.unwrap(),
            "metadata"
        )),
        r#"{"moved":true}"#
    );
    rv::delete_database(name).await.unwrap();
}

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
            rv::delete(name.clone(), JsValue::from_str("zz"))
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

#[wasm_bindgen_test]
async fn group_commit_bounds_transactions_and_idle_or_closing_folds_the_log() {
    let dim = 16;
    let data = rows(10_000, dim, 3);
    // Awaited one by one: one transaction per batch, plus creation.
    let name = unique("sequential");
    rv::open(name.clone(), obj(r#"{"dimensions": 16}"#))
        .await
        .unwrap();
    for c in data.chunks(1_000 * dim) {
        rv::insert_packed(
            name.clone(),
            JsValue::UNDEFINED,
            Float32Array::from(c),
            JsValue::UNDEFINED,
        )
        .await
        .unwrap();
    }
    let seq_tx = field(
        &rv::stats(name.clone()).await.unwrap(),
        "persistence.transactions",
    )
    .as_f64()
    .unwrap();
    assert!(seq_tx <= 10.0 + 2.0, "{seq_tx} transactions for 10 batches");
    // The log of HNSW lists has outgrown the pages it changes: once the worker has been idle
    // for a moment, one checkpoint folds it, so a reopen reads pages, not ten big records.
    let stats = rv::stats(name.clone()).await.unwrap();
    let log_bytes = field(&stats, "storage.logBytes").as_f64().unwrap();
    assert!(log_bytes > 1e6, "log bytes {log_bytes}");
    assert_eq!(field(&stats, "storage.checkpoints").as_f64(), Some(0.0));
    gloo_timers::future::TimeoutFuture::new(rv::engine::IDLE_CHECKPOINT_MS * 3).await;
    let stats = rv::stats(name.clone()).await.unwrap();
    assert_eq!(field(&stats, "storage.checkpoints").as_f64(), Some(1.0));
    assert_eq!(field(&stats, "storage.logRecords").as_f64(), Some(0.0));
    assert_eq!(
        field(&stats, "persistence.transactions").as_f64(),
        Some(seq_tx + 1.0)
    );
    rv::delete_database(name).await.unwrap();
    // Issued together: batches arriving during a transaction share the next one.
    let name = unique("grouped");
    rv::open(name.clone(), obj(r#"{"dimensions": 16}"#))
        .await
        .unwrap();
    let writes = data.chunks(1_000 * dim).map(|c| {
        rv::insert_packed(
            name.clone(),
            JsValue::UNDEFINED,
            Float32Array::from(c),
            JsValue::UNDEFINED,
        )
    });
    for r in futures_util::future::join_all(writes).await {
        r.unwrap();
    }
    let stats = rv::stats(name.clone()).await.unwrap();
    let grouped_tx = field(&stats, "persistence.transactions").as_f64().unwrap();
    assert_eq!(field(&stats, "len").as_f64(), Some(10_000.0));
    assert!(
        grouped_tx < seq_tx,
        "group commit: {grouped_tx} transactions vs {seq_tx} one by one"
    );
    // Closed before any idle moment: the close folds the log itself, so the next open reads
    // pages, from the page cache the close then wrote, instead of replaying the log.
    let log_bytes = field(&stats, "storage.logBytes").as_f64().unwrap();
    assert!(log_bytes > 1e6, "log bytes {log_bytes} at close");
    rv::close(name.clone()).await.unwrap();
    let reopened = rv::open(name.clone(), JsValue::UNDEFINED).await.unwrap();
    assert_eq!(field(&reopened, "len").as_f64(), Some(10_000.0));
    assert_eq!(field(&reopened, "storage.logRecords").as_f64(), Some(0.0));
    assert_eq!(
        field(&reopened, "persistence.openFromCache").as_bool(),
        Some(true)
    );
    rv::delete_database(name).await.unwrap();
}

#[wasm_bindgen_test]
async fn relaxed_durability_on_request_and_database_listing() {
    let name = unique("relaxed");
    rv::open(
        name.clone(),
        obj(r#"{"dimensions": 2, "durability": "relaxed"}"#),
    )
    .await
    .unwrap();
    rv::insert(name.clone(), obj(r#"[{"vector": [1, 2]}]"#))
        .await
        .unwrap();
    let stats = rv::stats(name.clone()).await.unwrap();
    assert_eq!(
        field(&stats, "persistence.lastDurability")
            .as_string()
            .as_deref(),
        Some("relaxed")
    );
    let listed = rv::databases().await.unwrap();
    assert!(
        Array::from(&listed)
            .iter()
            .any(|n| n.as_string().as_deref() == Some(name.as_str())),
        "{}",
        json(&listed)
    );
    rv::delete_database(name.clone()).await.unwrap();
    let listed = rv::databases().await.unwrap();
    assert!(!Array::from(&listed)
        .iter()
        .any(|n| n.as_string().as_deref() == Some(name.as_str())));
}

#[wasm_bindgen_test]
async fn export_import_round_trip_in_the_browser() {
    let name = unique("export");
    let data = rows(50, 8, 4);
    rv::open(name.clone(), obj(r#"{"dimensions": 8}"#))
        .await
        .unwrap();
    rv::insert_packed(
        name.clone(),
        JsValue::UNDEFINED,
        Float32Array::from(&data[..]),
        JsValue::UNDEFINED,
    )
    .await
    .unwrap();
    let file = rv::export_db(name.clone()).await.unwrap();
    let copy = unique("import");
    rv::import_db(copy.clone(), file.clone(), JsValue::UNDEFINED)
        .await
        .unwrap();
    let q: JsValue = Float32Array::from(&data[..8]).into();
    let a = rv::search(name.clone(), q.clone(), JsValue::UNDEFINED)
        .await
        .unwrap();
    let b = rv::search(copy.clone(), q, JsValue::UNDEFINED)
        .await
        .unwrap();
    assert_eq!(json(&a), json(&b));
    assert_eq!(
        rv::export_db(copy.clone()).await.unwrap().to_vec(),
        file.to_vec()
    );
    assert_eq!(
        code(
            rv::import_db(copy.clone(), file.clone(), JsValue::UNDEFINED)
                .await
                .unwrap_err()
        ),
        "ALREADY_EXISTS"
    );
    // Replacing the contents of an open database: a damaged file changes nothing…
    let other = unique("replace");
    rv::open(other.clone(), obj(r#"{"dimensions": 4}"#))
        .await
        .unwrap();
    rv::insert(
        other.clone(),
        obj(r#"[{"id": "old", "vector": [1, 2, 3, 4]}]"#),
    )
    .await
    .unwrap();
    let before = rv::export_db(other.clone()).await.unwrap().to_vec();
    let mut damaged = file.to_vec();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0x40;
    let replace = || obj(r#"{"replace": true}"#);
    let err = rv::import_db(other.clone(), Uint8Array::from(&damaged[..]), replace())
        .await
        .unwrap_err();
    assert_eq!(code(err), "CORRUPT");
    assert_eq!(rv::export_db(other.clone()).await.unwrap().to_vec(), before);
    // …a sound one replaces everything, in memory and in IndexedDB.
    let stats = rv::import_db(other.clone(), file.clone(), replace())
        .await
        .unwrap();
    assert_eq!(field(&stats, "len").as_f64(), Some(50.0));
    assert_eq!(field(&stats, "dimensions").as_f64(), Some(8.0));
    assert!(rv::get(other.clone(), "old".into())
        .await
        .unwrap()
        .is_null());
    rv::close(other.clone()).await.unwrap();
    let stats = rv::open(other.clone(), JsValue::UNDEFINED).await.unwrap();
    // Numbered after the replaced state (so other tabs reload), and otherwise the file's
    // contents: the same answers as the database imported from it.
    assert!(field(&stats, "storage.seq").as_f64() > Some(1.0));
    let answers = |db: String| async move {
        let q = obj(r#"[0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8]"#);
        let hits = rv::search(db, q, obj(r#"{"k": 20, "includeVectors": true}"#))
            .await
            .unwrap();
        js_sys::JSON::stringify(&hits).unwrap().as_string().unwrap()
    };
    assert_eq!(answers(other.clone()).await, answers(copy.clone()).await);
    rv::delete_database(other).await.unwrap();
    rv::delete_database(name).await.unwrap();
    rv::delete_database(copy).await.unwrap();
}

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

#[wasm_bindgen_test]
async fn close_lets_queued_writes_finish() {
    let name = unique("close");
    let data = rows(500, 8, 6);
    rv::open(name.clone(), obj(r#"{"dimensions": 8}"#))
        .await
        .unwrap();
    let writes = data.chunks(100 * 8).map(|c| {
        rv::insert_packed(
            name.clone(),
            JsValue::UNDEFINED,
            Float32Array::from(c),
            JsValue::UNDEFINED,
        )
    });
    // The writes are applied and queued, then close is called while they commit.
    let (results, closed) = futures_util::future::join(
        futures_util::future::join_all(writes),
        rv::close(name.clone()),
    )
    .await;
    for r in results {
        r.unwrap();
    }
    assert!(closed.unwrap());
    let reopened = rv::open(name.clone(), JsValue::UNDEFINED).await.unwrap();
    assert_eq!(field(&reopened, "len").as_f64(), Some(500.0));
    rv::delete_database(name).await.unwrap();
}

#[wasm_bindgen_test]
async fn int8_originals_leave_memory_and_come_back_from_indexeddb() {
    // quantization int8: once stored in full pages, the float32 vectors are in IndexedDB
    // only; get, includeVectors, export and a reopen give back exactly what was inserted.
    let (name, dim, n) = (unique("tiers"), 64, 17_000);
    let data = rows(n, dim, 9);
    rv::open(
        name.clone(),
        obj(r#"{"dimensions": 64, "quantization": "int8", "checkpoint": {"maxLogRecords": 1}}"#),
    )
    .await
    .unwrap();
    let ids: Array = (0..n).map(|i| JsValue::from(format!("p{i}"))).collect();
    rv::insert_packed(
        name.clone(),
        ids.into(),
        Float32Array::from(&data[..]),
        JsValue::UNDEFINED,
    )
    .await
    .unwrap();
    let stats = rv::stats(name.clone()).await.unwrap();
    let in_memory = field(&stats, "memory.vectorsInMemory").as_f64().unwrap();
    assert!(in_memory < 256.0, "{}", json(&field(&stats, "memory")));
    let close = |got: &[f32], i: usize| {
        let want = &data[i * dim..(i + 1) * dim];
        got.len() == dim
            && got
                .iter()
                .zip(want)
                .all(|(a, b)| (a - b).abs() <= 1e-6 * b.abs().max(1e-3))
    };
    let vector = |r: &JsValue| Float32Array::from(field(r, "vector")).to_vec();
    for i in [0, 5, 4_321, 16_895, 16_999] {
        let r = rv::get(name.clone(), format!("p{i}")).await.unwrap();
        assert!(close(&vector(&r), i), "get p{i}: {}", json(&r));
    }
    let q: JsValue = Float32Array::from(&data[40 * dim..41 * dim]).into();
    let top5 = |db: String| rv::search(db, q.clone(), obj(r#"{"k": 5, "includeVectors": true}"#));
    let found = top5(name.clone()).await.unwrap();
    let hits = Array::from(&field(&found, "hits"));
    assert_eq!(hits.length(), 5);
    for h in hits.iter() {
        let id = field(&h, "id").as_string().unwrap();
        let i: usize = id[1..].parse().unwrap();
        assert!(close(&vector(&h), i), "hit {id}");
    }
    // Export reads the stored pages; the copy answers alike and re-exports the same bytes.
    let file = rv::export_db(name.clone()).await.unwrap();
    let copy = unique("tiers-copy");
    rv::import_db(copy.clone(), file.clone(), JsValue::UNDEFINED)
        .await
        .unwrap();
    assert_eq!(
        rv::export_db(copy.clone()).await.unwrap().to_vec(),
        file.to_vec()
    );
    let r = rv::get(copy.clone(), "p5".into()).await.unwrap();
    assert!(close(&vector(&r), 5));
    // Rescored: exact float32 distances of the stored vectors, read back from IndexedDB,
    // and the vectors themselves from the same pages.
    let options = obj(r#"{"k": 5, "rescore": true, "includeVectors": true}"#);
    let rescored = rv::search(name.clone(), q.clone(), options).await.unwrap();
    let unit = |v: &[f32]| {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect::<Vec<f32>>()
    };
    let qn = unit(&data[40 * dim..41 * dim]);
    let hits = Array::from(&field(&rescored, "hits"));
    assert_eq!(hits.length(), 5);
    for h in hits.iter() {
        let i: usize = field(&h, "id").as_string().unwrap()[1..].parse().unwrap();
        let x = unit(&data[i * dim..(i + 1) * dim]);
        let want = 1.0 - qn.iter().zip(&x).map(|(a, b)| a * b).sum::<f32>();
        let got = field(&h, "distance").as_f64().unwrap() as f32;
        assert!((got - want).abs() < 1e-5, "p{i}: {got} vs {want}");
        assert!(close(&vector(&h), i), "rescored hit p{i}");
    }
    // Retrained on demand: the vectors come back from IndexedDB to be encoded again.
    rv::retrain(name.clone()).await.unwrap();
    let r = rv::get(name.clone(), "p5".into()).await.unwrap();
    assert!(close(&vector(&r), 5));
    let found = top5(name.clone()).await.unwrap();
    assert_eq!(
        code(
            rv::retrain(copy.clone().replace("tiers-copy", "never-opened"))
                .await
                .unwrap_err()
        ),
        "NOT_OPEN"
    );
    // Closed (after the checkpoint that wrote the code pages) and reopened: the same
    // answers, and the open read the code pages instead of the vector pages.
    rv::close(name.clone()).await.unwrap();
    let reopened = rv::open(name.clone(), JsValue::UNDEFINED).await.unwrap();
    let read = field(&reopened, "persistence.openBytesRead")
        .as_f64()
        .unwrap();
    assert!(read < (n * dim * 4) as f64, "read {read} B");
    let again = top5(name.clone()).await.unwrap();
    assert_eq!(json(&field(&again, "hits")), json(&field(&found, "hits")));
    rv::delete_database(name).await.unwrap();
    rv::delete_database(copy).await.unwrap();
}

/// The page cache (OPFS) as records, manifest first; `None` when there is none.
async fn cached(name: &str) -> Option<Vec<(String, Vec<u8>)>> {
    let (keys, values) = rv::cache::read(name).await?;
    let pairs = keys.iter().zip(values.iter());
    Some(
        pairs
            .map(|(k, v)| (k.as_string().unwrap(), Uint8Array::new(&v).to_vec()))
            .collect(),
    )
}

/// Open options of a 16-dimensional database whose every write is folded at once: nothing
/// waits for a checkpoint, so a page cache can be written at any idle moment.
const FOLDING: &str = r#"{"dimensions": 16, "checkpoint": {"maxLogRecords": 1}}"#;

/// The ids and scores of the 10 nearest to `q`, as JSON.
async fn top10(name: &str, q: &JsValue) -> String {
    let r = rv::search(name.to_owned(), q.clone(), obj(r#"{"k": 10}"#));
    json(&field(&r.await.unwrap(), "hits"))
}

async fn opened_from_cache(name: &str, options: &str) -> bool {
    let stats = rv::open(name.to_owned(), obj(options)).await.unwrap();
    field(&stats, "persistence.openFromCache")
        .as_bool()
        .unwrap()
}

/// Risk: an open that trusts a stale or damaged copy. The page cache serves an open only
/// while its manifest is IndexedDB's (the log read from IndexedDB on top), and any failure
/// of it falls back to IndexedDB with the same answers.
#[wasm_bindgen_test]
async fn the_page_cache_serves_opens_but_is_never_trusted() {
    let name = unique("cache");
    let dim = 16;
    let data = rows(1_400, dim, 9);
    let q: JsValue = Float32Array::from(&data[1_390 * dim..1_391 * dim]).into();
    let packed = |from: usize, to: usize| {
        rv::insert_packed(
            name.clone(),
            JsValue::UNDEFINED,
            Float32Array::from(&data[from * dim..to * dim]),
            JsValue::UNDEFINED,
        )
    };
    // Every write folded at once: nothing waits for a checkpoint, so closing writes the cache.
    assert!(!opened_from_cache(&name, FOLDING).await);
    packed(0, 1_000).await.unwrap();
    let before = top10(&name, &q).await;
    rv::close(name.clone()).await.unwrap();
    let records = cached(&name).await.expect("close wrote the cache");
    assert_eq!(records[0].0, "manifest");
    assert!(records.iter().any(|(k, _)| k.starts_with("vec/")));
    assert!(!records.iter().any(|(k, _)| k.starts_with("log/")));
    assert!(
        opened_from_cache(&name, "{}").await,
        "the cache served the open"
    );
    assert_eq!(top10(&name, &q).await, before);

    // Writes that only add log records keep the manifest: the cache still serves, the log
    // comes from IndexedDB.
    for i in 1_000..1_005 {
        let item = obj(&format!(r#"[{{"id": "s{i}"}}]"#));
        let v = Float32Array::from(&data[i * dim..(i + 1) * dim]);
        Reflect::set(&Array::from(&item).get(0), &"vector".into(), &v).unwrap();
        rv::insert(name.clone(), item).await.unwrap();
    }
    let before = top10(&name, &q).await;
    rv::close(name.clone()).await.unwrap();
    assert!(opened_from_cache(&name, "{}").await);
    assert_eq!(rv::count(name.clone()).unwrap(), 1_005);
    assert_eq!(top10(&name, &q).await, before);

    // A cache that missed a checkpoint (another tab's, say) holds an older manifest whose log
    // is gone: opened, it would be a consistent, older database. It must not serve.
    rv::close(name.clone()).await.unwrap();
    let older = cached(&name).await.expect("cache");
    rv::open(name.clone(), obj(FOLDING)).await.unwrap();
    rv::delete(name.clone(), JsValue::from_str("s1000"))
        .await
        .unwrap();
    rv::close(name.clone()).await.unwrap();
    assert!(rv::cache::write(&name, &older).await);
    assert!(
        !opened_from_cache(&name, "{}").await,
        "an older cache served an open"
    );
    assert!(rv::get(name.clone(), "s1000".into())
        .await
        .unwrap()
        .is_null());
    assert_eq!(rv::count(name.clone()).unwrap(), 1_004);

    // A bulk batch writes pages and a new manifest, and its log waits for a checkpoint; the
    // page ends without closing (a close would fold the log and write the cache again): the
    // cache is stale and must not serve.
    packed(1_005, 1_306).await.unwrap();
    let before = top10(&name, &q).await;
    assert!(rv::engine::unregister(&name));
    assert!(
        cached(&name).await.is_some(),
        "the stale cache is still there"
    );
    assert!(
        !opened_from_cache(&name, FOLDING).await,
        "a stale cache served an open"
    );
    assert_eq!(rv::count(name.clone()).unwrap(), 1_305);
    assert_eq!(top10(&name, &q).await, before);

    // A damaged record in a current cache: the open falls back to IndexedDB, deletes the
    // cache, and answers the same.
    packed(1_305, 1_400).await.unwrap();
    let before = top10(&name, &q).await;
    rv::close(name.clone()).await.unwrap();
    let mut records = cached(&name).await.expect("cache");
    let page = records
        .iter_mut()
        .find(|(k, _)| k.starts_with("vec/"))
        .unwrap();
    page.1[40] ^= 0x10;
    assert!(rv::cache::write(&name, &records).await);
    assert!(
        !opened_from_cache(&name, "{}").await,
        "a damaged cache served an open"
    );
    assert!(
        cached(&name).await.is_none(),
        "the damaged cache was deleted"
    );
    assert_eq!(rv::count(name.clone()).unwrap(), 1_400);
    assert_eq!(top10(&name, &q).await, before);
    // Garbage instead of a cache file reads as no cache.
    rv::close(name.clone()).await.unwrap();
    assert!(rv::cache::write_raw(&name, b"not a cache").await);
    assert!(cached(&name).await.is_none());
    assert!(!opened_from_cache(&name, "{}").await);
    assert_eq!(rv::count(name.clone()).unwrap(), 1_400);

    rv::delete_database(name.clone()).await.unwrap();
    assert!(
        cached(&name).await.is_none(),
        "deleting the database deletes its cache"
    );
}

/// Risk: a close that returns while the page cache is still being written (an idle worker
/// started the write): the page then ends the worker, and the next visit finds no cache or
/// an older one. A close waits for a cache write in flight, then brings it up to date.
#[wasm_bindgen_test]
async fn close_waits_for_a_page_cache_write_in_flight() {
    let name = unique("cachewait");
    let dim = 16;
    let data = rows(600, dim, 21);
    rv::open(name.clone(), obj(FOLDING)).await.unwrap();
    let packed = Float32Array::from(&data[..]);
    rv::insert_packed(name.clone(), JsValue::UNDEFINED, packed, JsValue::UNDEFINED)
        .await
        .unwrap();
    // Folded: nothing waits for a checkpoint, so memory is what the cache must hold.
    while field(
        &rv::stats(name.clone()).await.unwrap(),
        "storage.logRecords",
    ) != 0
    {
        gloo_timers::future::TimeoutFuture::new(5).await;
    }
    let engine = rv::engine::get(&name).unwrap();
    let writer = engine.clone();
    // A cache write that has started and waits for the write lock (held here) when the close
    // comes; the lock is given back just before.
    let lock = rv::locks::acquire(&name).await.unwrap();
    wasm_bindgen_futures::spawn_local(async move { writer.refresh_cache().await });
    gloo_timers::future::TimeoutFuture::new(0).await;
    drop(lock);
    rv::close(name.clone()).await.unwrap();
    assert_eq!(
        engine.stats.borrow().cache_writes,
        1,
        "close returned before the cache write in flight ended"
    );
    assert!(
        opened_from_cache(&name, "{}").await,
        "the cache close left serves the next open"
    );
    assert_eq!(rv::count(name.clone()).unwrap(), 600);
    rv::delete_database(name).await.unwrap();
}

/// Risk: a database a stream of writes never leaves idle gets no page cache (one is written
/// only when nothing waits for a checkpoint), so every open replays its log from IndexedDB.
/// A close folds a log that stands between memory and a current cache, however small; a
/// small log over a cache that is still current stays, for the next open to replay.
#[wasm_bindgen_test]
async fn close_folds_the_log_a_stale_page_cache_needs() {
    let name = unique("closefold");
    let dim = 16;
    let data = rows(603, dim, 33);
    let q: JsValue = Float32Array::from(&data[7 * dim..8 * dim]).into();
    let one = |i: usize| {
        let item = obj(&format!(r#"[{{"id": "s{i}"}}]"#));
        let v = Float32Array::from(&data[i * dim..(i + 1) * dim]);
        Reflect::set(&Array::from(&item).get(0), &"vector".into(), &v).unwrap();
        rv::insert(name.clone(), item)
    };
    rv::open(name.clone(), obj(r#"{"dimensions": 16}"#))
        .await
        .unwrap();
    let packed = Float32Array::from(&data[..600 * dim]);
    rv::insert_packed(name.clone(), JsValue::UNDEFINED, packed, JsValue::UNDEFINED)
        .await
        .unwrap();
    for i in 600..602 {
        one(i).await.unwrap();
    }
    let stats = rv::stats(name.clone()).await.unwrap();
    assert!(field(&stats, "storage.logRecords").as_f64().unwrap() > 0.0);
    let log_bytes = field(&stats, "storage.logBytes").as_f64().unwrap();
    assert!(
        log_bytes < 1e6,
        "a log too small to fold for its own sake: {log_bytes}"
    );
    let before = top10(&name, &q).await;
    rv::close(name.clone()).await.unwrap();
    let reopened = rv::open(name.clone(), JsValue::UNDEFINED).await.unwrap();
    assert_eq!(
        field(&reopened, "persistence.openFromCache").as_bool(),
        Some(true),
        "the close folded the log and wrote the cache"
    );
    assert_eq!(field(&reopened, "storage.logRecords").as_f64(), Some(0.0));
    assert_eq!(top10(&name, &q).await, before);
    // The cache is current now: one more write only adds a log record, which the close keeps.
    one(602).await.unwrap();
    let before = top10(&name, &q).await;
    rv::close(name.clone()).await.unwrap();
    let reopened = rv::open(name.clone(), JsValue::UNDEFINED).await.unwrap();
    assert_eq!(
        field(&reopened, "persistence.openFromCache").as_bool(),
        Some(true)
    );
    assert_eq!(field(&reopened, "storage.logRecords").as_f64(), Some(1.0));
    assert_eq!(rv::count(name.clone()).unwrap(), 603);
    assert_eq!(top10(&name, &q).await, before);
    // A delete closes too, but neither folds the log nor writes the cache it is removing
    // (after a bulk batch, which stores pages and a new manifest, a close would do both).
    let packed = Float32Array::from(&data[..300 * dim]);
    let ids: Array = (0..300).map(|i| JsValue::from(format!("t{i}"))).collect();
    rv::insert_packed(name.clone(), ids.into(), packed, JsValue::UNDEFINED)
        .await
        .unwrap();
    let engine = rv::engine::get(&name).unwrap();
    let checkpoints = engine.db.borrow().storage_stats().checkpoints;
    assert!(engine.db.borrow().storage_stats().log_records > 0);
    rv::delete_database(name.clone()).await.unwrap();
    assert_eq!(engine.db.borrow().storage_stats().checkpoints, checkpoints);
    assert_eq!(engine.stats.borrow().cache_writes, 0);
    assert!(cached(&name).await.is_none());
}

/// Waits (up to `ms`) for a page cache write of `engine` to be under way: some records
/// written, the write not finished. False if none was seen.
async fn cache_write_under_way(engine: &rv::engine::Engine, ms: f64) -> bool {
    let t = js_sys::Date::now();
    while js_sys::Date::now() - t < ms {
        if engine.cache_records_written.get() > 0 {
            return true;
        }
        gloo_timers::future::TimeoutFuture::new(0).await;
    }
    false
}

/// Risk: a worker that stops answering while it writes a large page cache (a million
/// vectors' cache takes seconds). The write gives the worker back between chunks: searches
/// are answered meanwhile, and a write that comes in, or anyone else asking for the write
/// lock it holds, makes it give up; a later idle moment or the close writes it again.
#[wasm_bindgen_test]
async fn a_page_cache_write_lets_searches_and_writes_through() {
    let name = unique("cachechunks");
    let dim = 16;
    let data = rows(1_300, dim, 41);
    let q: JsValue = Float32Array::from(&data[3 * dim..4 * dim]).into();
    rv::open(name.clone(), obj(FOLDING)).await.unwrap();
    let engine = rv::engine::get(&name).unwrap();
    engine.cache_chunk_bytes.set(1_024); // 1 KiB chunks: the write takes dozens of pauses
    let packed = |from: usize, to: usize| {
        let ids: Array = (from..to).map(|i| JsValue::from(format!("v{i}"))).collect();
        let vectors = Float32Array::from(&data[from * dim..to * dim]);
        rv::insert_packed(name.clone(), ids.into(), vectors, JsValue::UNDEFINED)
    };
    packed(0, 1_200).await.unwrap();
    // Folded at once; the idle moment after it starts the cache write.
    assert!(
        cache_write_under_way(&engine, 3_000.0).await,
        "no cache write seen in progress"
    );
    let found = top10(&name, &q).await;
    assert!(found.contains("\"v3\""), "{found}");
    assert_eq!(
        engine.stats.borrow().cache_writes,
        0,
        "the search was answered while the cache was being written"
    );
    engine.cache_written().await;
    assert_eq!(engine.stats.borrow().cache_writes, 1);
    assert_eq!(engine.cache_records_written.get(), 0);

    // A bulk batch makes the cache stale; during the next write, an insert comes in: the
    // write gives up rather than hold the insert's commit back, and the insert lands.
    packed(1_200, 1_290).await.unwrap();
    assert!(cache_write_under_way(&engine, 3_000.0).await);
    let item = obj(r#"[{"id": "late", "vector": [1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}]"#);
    rv::insert(name.clone(), item).await.unwrap();
    engine.cache_written().await;
    assert_eq!(
        engine.stats.borrow().cache_writes,
        1,
        "the write in flight gave up"
    );
    // The insert made the cache stale again, and the idle moment after it starts another
    // write. Someone else asking for the write lock (as another tab's commit would) makes it
    // give up too, and is granted the lock.
    assert!(cache_write_under_way(&engine, 3_000.0).await);
    let other = rv::locks::acquire(&name).await.unwrap();
    drop(other);
    engine.cache_written().await;
    assert_eq!(
        engine.stats.borrow().cache_writes,
        1,
        "the write gave the lock up"
    );
    let before = top10(&name, &q).await;
    rv::close(name.clone()).await.unwrap();
    assert!(
        opened_from_cache(&name, "{}").await,
        "the close wrote the cache again"
    );
    assert_eq!(rv::count(name.clone()).unwrap(), 1_291);
    assert_eq!(top10(&name, &q).await, before);
    rv::delete_database(name).await.unwrap();
}
