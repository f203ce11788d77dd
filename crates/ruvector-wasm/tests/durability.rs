//! Risk: the engine in a browser worker loses or changes data across a reopen, commits
//! without strict durability, spends a transaction per write, leaves writes behind at close,
//! or loses int8 originals or an export on the way. Runs in headless Chromium inside a
//! dedicated worker: `cargo test -p ruvector-wasm --target wasm32-unknown-unknown --test durability`.
#![cfg(target_arch = "wasm32")]
// These are tests; clippy's allow-unwrap-in-tests only recognises #[test].
#![allow(clippy::unwrap_used)]

mod support;

use js_sys::{Array, Float32Array, Reflect, Uint8Array};
use ruvector_wasm as rv;
use support::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

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
    insert_rows(&name, &data, dim, 0, 300, "p").await;
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
    rv::delete(name.clone(), JsValue::from_str("p7"), JsValue::UNDEFINED)
        .await
        .unwrap();
    rv::upsert(
        name.clone(),
        "p8".into(),
        Float32Array::from(&data[350 * dim..351 * dim]).into(),
        obj(r#"{"moved": true}"#),
        JsValue::UNDEFINED,
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
    assert_eq!(hits_of(&before, 0), hits_of(&after, 0));
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
            JsValue::UNDEFINED,
            JsValue::UNDEFINED,
            None,
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
            JsValue::UNDEFINED,
            JsValue::UNDEFINED,
            None,
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
            JsValue::UNDEFINED,
            JsValue::UNDEFINED,
            None,
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
        JsValue::UNDEFINED,
        Float32Array::from(&data[..]),
        ids.into(),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
        None,
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
    let hits = hits_of(&found, 0);
    assert_eq!(hits.len(), 5);
    for h in &hits {
        let i: usize = h.id[1..].parse().unwrap();
        assert!(close(h.vector.as_ref().unwrap(), i), "hit {}", h.id);
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
    let hits = hits_of(&rescored, 0);
    assert_eq!(hits.len(), 5);
    for h in &hits {
        let i: usize = h.id[1..].parse().unwrap();
        let x = unit(&data[i * dim..(i + 1) * dim]);
        let want = 1.0 - qn.iter().zip(&x).map(|(a, b)| a * b).sum::<f32>();
        let got = h.distance;
        assert!((got - want).abs() < 1e-5, "p{i}: {got} vs {want}");
        assert!(close(h.vector.as_ref().unwrap(), i), "rescored hit p{i}");
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
    assert_eq!(hits_of(&again, 0), hits_of(&found, 0));
    rv::delete_database(name).await.unwrap();
    rv::delete_database(copy).await.unwrap();
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
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
        None,
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
        format!("{:?}", hits_of(&hits, 0))
    };
    assert_eq!(answers(other.clone()).await, answers(copy.clone()).await);
    rv::delete_database(other).await.unwrap();
    rv::delete_database(name).await.unwrap();
    rv::delete_database(copy).await.unwrap();
}
