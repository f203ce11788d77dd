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

#[wasm_bindgen_test]
async fn a_search_during_a_checkpoint_is_answered_before_it_ends() {
    let (n, dim) = (4_000, 64);
    let name = unique("fold");
    // No checkpoint unless asked: the log keeps every insert until the fold below.
    let options =
        r#"{"dimensions": 64, "checkpoint": {"maxLogRecords": 100000, "maxLogBytes": 1000000000}}"#;
    rv::open(name.clone(), obj(options)).await.unwrap();
    let data = rows(n, dim, 11);
    for start in (0..n).step_by(1_000) {
        insert_rows(&name, &data, dim, start, start + 1_000, "v").await;
    }
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
