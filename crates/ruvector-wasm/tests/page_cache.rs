//! Risk: the OPFS page cache serves a stale or damaged copy, holds up searches and writes
//! while it is written, or is left half written at close. Runs in headless Chromium inside a
//! dedicated worker: `cargo test -p ruvector-wasm --target wasm32-unknown-unknown --test page_cache`.
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

/// The page cache (OPFS) as records, manifest first; `None` when there is none.
async fn cached(name: &str) -> Option<Vec<(String, Vec<u8>)>> {
    let (keys, values) = rv::engine::cache::read(name).await?;
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

/// The 10 nearest to `q`.
async fn top10(name: &str, q: &JsValue) -> Vec<HitOf> {
    let r = rv::search(name.to_owned(), q.clone(), obj(r#"{"k": 10}"#));
    hits_of(&r.await.unwrap(), 0)
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
            JsValue::UNDEFINED,
            JsValue::UNDEFINED,
            None,
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
    rv::delete(name.clone(), JsValue::from_str("s1000"), JsValue::UNDEFINED)
        .await
        .unwrap();
    rv::close(name.clone()).await.unwrap();
    assert!(rv::engine::cache::write(&name, &older).await);
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
    assert!(rv::engine::cache::write(&name, &records).await);
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
    assert!(rv::engine::cache::write_raw(&name, b"not a cache").await);
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
    rv::insert_packed(
        name.clone(),
        JsValue::UNDEFINED,
        packed,
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
        None,
    )
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
    let lock = rv::engine::locks::acquire(&name).await.unwrap();
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
    rv::insert_packed(
        name.clone(),
        JsValue::UNDEFINED,
        packed,
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
        None,
    )
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
    insert_rows(&name, &data, dim, 0, 300, "t").await;
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
        rv::insert_packed(
            name.clone(),
            JsValue::UNDEFINED,
            vectors,
            ids.into(),
            JsValue::UNDEFINED,
            JsValue::UNDEFINED,
            None,
        )
    };
    packed(0, 1_200).await.unwrap();
    // Folded at once; the idle moment after it starts the cache write.
    assert!(
        cache_write_under_way(&engine, 3_000.0).await,
        "no cache write seen in progress"
    );
    let found = top10(&name, &q).await;
    assert!(found.iter().any(|h| h.id == "v3"), "{found:?}");
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
    let other = rv::engine::locks::acquire(&name).await.unwrap();
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
