//! Risk: background work holds searches up. The log fold (a checkpoint) encodes its pages
//! and puts them a slice at a time, giving the worker back between slices: a search asked
//! for while it runs is answered before it ends, and what it stores is what a fold in one
//! go would. Runs in headless Chromium inside a dedicated worker:
//! `cargo test -p ruvector-wasm --target wasm32-unknown-unknown --test background`.
#![cfg(target_arch = "wasm32")]
// These are tests; clippy's allow-unwrap-in-tests only recognises #[test].
#![allow(clippy::unwrap_used)]

mod support;

use std::cell::Cell;
use std::rc::Rc;

use js_sys::Float32Array;
use ruvector_wasm as rv;
use support::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// A new database `prefix-…` of `dim` dimensions that folds nothing unless asked, holding
/// the first `n` of `data` in its log (inserted 1,000 at a time).
async fn unfolded(prefix: &str, data: &[f32], n: usize, dim: usize) -> String {
    let name = unique(prefix);
    let options = format!(
        r#"{{"dimensions": {dim}, "checkpoint": {{"maxLogRecords": 100000, "maxLogBytes": 1000000000}}}}"#
    );
    rv::open(name.clone(), obj(&options)).await.unwrap();
    for start in (0..n).step_by(1_000) {
        insert_rows(&name, data, dim, start, start + 1_000, "v").await;
    }
    name
}

#[wasm_bindgen_test]
async fn a_search_during_a_checkpoint_is_answered_before_it_ends() {
    let (n, dim) = (4_000, 64);
    let data = rows(n, dim, 11);
    let name = unfolded("fold", &data, n, dim).await;
    let engine = rv::engine::get(&name).unwrap();
    assert!(
        engine.db.borrow().storage_stats().log_records >= 4,
        "nothing folded yet"
    );
    engine.slice_bytes.set(16 << 10); // 16 KiB slices: this small fold takes dozens
    let q: JsValue = Float32Array::from(&data[..dim]).into();
    let before = hits_of(
        &rv::search(name.clone(), q.clone(), JsValue::UNDEFINED)
            .await
            .unwrap(),
        0,
    );

    let done = Rc::new(Cell::new(false));
    let flag = done.clone();
    let folding = name.clone();
    wasm_bindgen_futures::spawn_local(async move {
        rv::checkpoint_now(folding).await.unwrap();
        flag.set(true);
    });
    // One search per turn of the event loop until the fold ends; each notes how far the
    // fold was when it was answered.
    let mut answered_during = Vec::new();
    while !done.get() {
        gloo_timers::future::TimeoutFuture::new(0).await;
        let (folding, slices) = {
            let s = engine.stats.borrow();
            (s.checkpointing, s.checkpoint_slices)
        };
        let found = rv::search(name.clone(), q.clone(), JsValue::UNDEFINED)
            .await
            .unwrap();
        assert_eq!(
            hits_of(&found, 0),
            before,
            "a search during the fold answers as before it"
        );
        let still = engine.stats.borrow().checkpointing;
        if folding && still {
            answered_during.push(slices);
        }
    }
    let slices = engine.stats.borrow().checkpoint_slices;
    println!("{slices} slices; searches answered during the fold, at slice: {answered_during:?}");
    assert!(
        slices > 2,
        "the fold's pages were encoded in slices: {slices}"
    );
    assert!(
        answered_during.iter().any(|&s| s < slices),
        "a search was answered while the fold was still encoding its pages: {answered_during:?} of {slices}"
    );
    let stats = engine.db.borrow().storage_stats();
    assert_eq!(
        (stats.log_records, stats.checkpoints),
        (0, 1),
        "the log was folded once"
    );
    // What the fold stored opens to the same answers, from IndexedDB alone.
    rv::close(name.clone()).await.unwrap();
    rv::engine::cache::remove(&name).await;
    rv::open(name.clone(), JsValue::UNDEFINED).await.unwrap();
    let reopened = rv::search(name.clone(), q, JsValue::UNDEFINED)
        .await
        .unwrap();
    assert_eq!(hits_of(&reopened, 0), before);
    assert_eq!(rv::count(name.clone()).unwrap(), n as u32);
    rv::delete_database(name).await.unwrap();
}

/// A checkpoint whose transaction fails changes nothing stored, and a write queued while it
/// ran is still committed (the commit loop used to stop there, leaving it unanswered).
#[wasm_bindgen_test]
async fn a_write_queued_behind_a_failed_checkpoint_is_committed() {
    let (n, dim) = (2_000, 16);
    let data = rows(n + 1, dim, 12);
    let name = unfolded("failed-fold", &data, n, dim).await;
    let engine = rv::engine::get(&name).unwrap();
    engine.slice_bytes.set(1 << 10); // many slices: the write below comes while it runs
    engine.idb.fail_writes.set(1);
    let outcome = Rc::new(std::cell::RefCell::new(None));
    let slot = outcome.clone();
    let folding = name.clone();
    wasm_bindgen_futures::spawn_local(async move {
        *slot.borrow_mut() = Some(rv::checkpoint_now(folding).await);
    });
    while !engine.stats.borrow().checkpointing {
        gloo_timers::future::TimeoutFuture::new(0).await;
    }
    let vector: JsValue = Float32Array::from(&data[n * dim..]).into();
    let write = rv::upsert(
        name.clone(),
        "late".into(),
        vector,
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    );
    let gave_up = gloo_timers::future::TimeoutFuture::new(10_000);
    let written = match futures_util::future::select(Box::pin(write), gave_up).await {
        futures_util::future::Either::Left((written, _)) => written,
        futures_util::future::Either::Right(_) => panic!("the queued write was never answered"),
    };
    assert_eq!(written.unwrap().as_string().as_deref(), Some("inserted"));
    let failed = outcome
        .borrow_mut()
        .take()
        .expect("the checkpoint has ended");
    assert_eq!(code(failed.unwrap_err()), "STORAGE");
    assert_eq!(rv::count(name.clone()).unwrap(), n as u32 + 1);
    // The log was not folded by the failed checkpoint; the next one folds it.
    assert!(engine.db.borrow().storage_stats().log_records > 0);
    rv::checkpoint_now(name.clone()).await.unwrap();
    assert_eq!(engine.db.borrow().storage_stats().log_records, 0);
    rv::close(name.clone()).await.unwrap();
    rv::open(name.clone(), JsValue::UNDEFINED).await.unwrap();
    assert_eq!(
        rv::count(name.clone()).unwrap(),
        n as u32 + 1,
        "every acknowledged write reopens"
    );
    rv::delete_database(name).await.unwrap();
}
