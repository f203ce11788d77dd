//! Risk: text and hybrid search that work in the engine but not through the binding: texts
//! lost between the page's arguments and IndexedDB, a text index not there after a reopen,
//! settings not checked, bad text or options written or accepted. Runs in headless Chromium
//! inside a dedicated worker: `cargo test -p ruvector-wasm --target wasm32-unknown-unknown
//! --test text`.
#![cfg(target_arch = "wasm32")]
// These are tests; clippy's allow-unwrap-in-tests only recognises #[test].
#![allow(clippy::unwrap_used)]

mod support;

use js_sys::{Array, Float32Array};
use ruvector_wasm as rv;
use support::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

const DIM: usize = 16;
const TEXTS: [&str; 6] = [
    "libssl3: Secure Sockets Layer toolkit, shared libraries",
    "python3-numpy: fast array facility for Python 3",
    "zstd: fast lossless compression algorithm, command line tool",
    "openssl: Secure Sockets Layer toolkit, cryptographic utility",
    "gzip: the GNU compression utility",
    "curl: command line tool for transferring data with URL syntax",
];

fn strings(list: &[&str]) -> JsValue {
    list.iter()
        .map(|s| JsValue::from_str(s))
        .collect::<Array>()
        .into()
}

/// A database of `TEXTS` (ids `t0`…), opened with `text: true`.
async fn notes(prefix: &str) -> (String, Vec<f32>) {
    let name = unique(prefix);
    let data = rows(TEXTS.len(), DIM, 5);
    let opts = format!(r#"{{"dimensions": {DIM}, "text": true}}"#);
    rv::open(name.clone(), obj(&opts)).await.unwrap();
    let ids: Vec<String> = (0..TEXTS.len()).map(|i| format!("t{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    rv::insert_packed(
        name.clone(),
        JsValue::UNDEFINED,
        Float32Array::from(&data[..]),
        strings(&ids),
        JsValue::UNDEFINED,
        strings(&TEXTS),
        None,
    )
    .await
    .unwrap();
    (name, data)
}

fn ids(set: &JsValue) -> Vec<String> {
    hits_of(set, 0).into_iter().map(|h| h.id).collect()
}

#[wasm_bindgen_test]
async fn text_and_hybrid_search_survive_a_reopen_from_indexeddb() {
    let (name, data) = notes("text-reopen").await;
    let text = rv::search(name.clone(), "secure sockets".into(), obj(r#"{"k": 3}"#))
        .await
        .unwrap();
    assert_eq!(ids(&text), ["t0", "t3"]);
    assert_eq!(field(&text, "paths").as_string(), None);
    assert_eq!(Array::from(&field(&text, "paths")).get(0), "text");
    let scores = Float32Array::from(field(&text, "textScores")).to_vec();
    let distances = Float32Array::from(field(&text, "distances")).to_vec();
    assert!(scores.iter().all(|s| *s > 0.0) && distances.iter().all(|d| d.is_nan()));
    // Hybrid: the query text and the vector of t4 (about compression).
    let q = js_sys::Object::new();
    let v = Float32Array::from(&data[4 * DIM..5 * DIM]);
    js_sys::Reflect::set(&q, &"vector".into(), &v).unwrap();
    js_sys::Reflect::set(&q, &"text".into(), &"compression".into()).unwrap();
    let opts = obj(r#"{"k": 2, "includeText": true}"#);
    let hybrid = rv::search(name.clone(), q.clone().into(), opts.clone())
        .await
        .unwrap();
    assert_eq!(ids(&hybrid), ["t4", "t2"]);
    let texts = Array::from(&field(&hybrid, "texts"));
    assert_eq!(texts.get(0), TEXTS[4]);
    let vector_scores = Float32Array::from(field(&hybrid, "vectorScores")).to_vec();
    assert!(vector_scores.iter().all(|s| !s.is_nan()));
    // A vector search posts neither per-ranking column: its scores say it all.
    let plain = rv::search(name.clone(), v.into(), JsValue::UNDEFINED)
        .await
        .unwrap();
    assert!(
        field(&plain, "textScores").is_undefined() && field(&plain, "vectorScores").is_undefined()
    );

    assert!(rv::close(name.clone()).await.unwrap());
    let stats = rv::open(name.clone(), JsValue::UNDEFINED).await.unwrap();
    assert_eq!(field(&stats, "text.records").as_f64(), Some(6.0));
    let again = rv::search(name.clone(), q.into(), opts).await.unwrap();
    assert_eq!(hits_of(&again, 0), hits_of(&hybrid, 0));
    let got = rv::get(name.clone(), "t1".into()).await.unwrap();
    assert_eq!(field(&got, "text"), TEXTS[1]);
    rv::delete_database(name).await.unwrap();
}

#[wasm_bindgen_test]
async fn upserts_and_deletes_change_what_text_finds() {
    let (name, data) = notes("text-churn").await;
    let search = |q: &'static str| rv::search(name.clone(), q.into(), JsValue::UNDEFINED);
    rv::upsert(
        name.clone(),
        "t5".into(),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
        "zstd benchmarks".into(),
    )
    .await
    .unwrap();
    assert_eq!(ids(&search("zstd").await.unwrap()), ["t5", "t2"]);
    assert!(ids(&search("curl").await.unwrap()).is_empty());
    rv::upsert(
        name.clone(),
        "t5".into(),
        Float32Array::from(&data[..DIM]).into(),
        JsValue::UNDEFINED,
        JsValue::NULL,
    )
    .await
    .unwrap();
    rv::delete(name.clone(), "t2".into(), JsValue::UNDEFINED)
        .await
        .unwrap();
    assert!(ids(&search("zstd").await.unwrap()).is_empty());
    let insert =
        obj(r#"[{"id": "n", "vector": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1], "text": "zstd again"}]"#);
    rv::insert(name.clone(), insert).await.unwrap();
    assert_eq!(ids(&search("zstd").await.unwrap()), ["n"]);
    rv::delete_database(name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_database_gains_a_text_index_and_settings_are_checked() {
    let name = unique("text-enable");
    rv::open(name.clone(), obj(r#"{"dimensions": 2}"#))
        .await
        .unwrap();
    let refused = rv::insert(
        name.clone(),
        obj(r#"[{"id": "a", "vector": [1, 0], "text": "hello"}]"#),
    )
    .await
    .unwrap_err();
    assert_eq!(code(refused), "NO_TEXT_INDEX");
    assert_eq!(
        code(
            rv::search(name.clone(), "hello".into(), JsValue::UNDEFINED)
                .await
                .unwrap_err()
        ),
        "NO_TEXT_INDEX"
    );
    // Asked of the open database, then kept across a close.
    rv::open(name.clone(), obj(r#"{"text": {"stem": false}}"#))
        .await
        .unwrap();
    rv::insert(
        name.clone(),
        obj(r#"[{"id": "a", "vector": [1, 0], "text": "hello worlds"}]"#),
    )
    .await
    .unwrap();
    rv::close(name.clone()).await.unwrap();
    let mismatch = rv::open(name.clone(), obj(r#"{"text": {"stem": "english"}}"#))
        .await
        .unwrap_err();
    assert_eq!(code(mismatch), "CONFIG_MISMATCH");
    // `text: true` asks for a text index, whatever its settings: this one has one.
    rv::open(name.clone(), obj(r#"{"text": true}"#))
        .await
        .unwrap();
    rv::close(name.clone()).await.unwrap();
    rv::open(name.clone(), JsValue::UNDEFINED).await.unwrap();
    // No stemming: "world" is not "worlds".
    let found = rv::search(name.clone(), "world".into(), JsValue::UNDEFINED)
        .await
        .unwrap();
    assert!(ids(&found).is_empty());
    let found = rv::search(name.clone(), "worlds".into(), JsValue::UNDEFINED)
        .await
        .unwrap();
    assert_eq!(ids(&found), ["a"]);
    rv::delete_database(name).await.unwrap();
}

#[wasm_bindgen_test]
async fn bad_text_and_options_are_typed_errors_that_write_nothing() {
    let (name, _) = notes("text-bad").await;
    let before = rv::count(name.clone()).unwrap();
    let cases = [
        (
            "BAD_ARGUMENT",
            rv::insert(
                name.clone(),
                obj(r#"[{"id": "x", "vector": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1], "text": 7}]"#),
            )
            .await
            .unwrap_err(),
        ),
        (
            "TOO_LARGE",
            rv::upsert(
                name.clone(),
                "t0".into(),
                JsValue::UNDEFINED,
                JsValue::UNDEFINED,
                "x".repeat(300_000).into(),
            )
            .await
            .unwrap_err(),
        ),
    ];
    // Options of a text search that are refused, each with its code.
    let options = [
        ("BAD_ARGUMENT", r#"{"mode": "fuzzy"}"#),
        ("BAD_ARGUMENT", r#"{"fusion": {"method": "borda"}}"#),
        (
            "BAD_ARGUMENT",
            r#"{"fusion": {"method": "rrf", "text": 0.5}}"#,
        ),
        ("INVALID_QUERY", r#"{"mode": "hybrid"}"#),
    ];
    let mut cases = cases.to_vec();
    for (want, o) in options {
        let e = rv::search(name.clone(), "a".into(), obj(o)).await;
        cases.push((want, e.unwrap_err()));
    }
    let e = rv::search(name.clone(), obj(r#"{"text": 5}"#), JsValue::UNDEFINED).await;
    cases.push(("BAD_ARGUMENT", e.unwrap_err()));
    for (want, e) in &cases {
        assert_eq!(&code(e.clone()), want, "{}", json(e));
    }
    let message = field(&cases[3].1, "message").as_string().unwrap();
    assert_eq!(cases.len(), 7);
    assert!(message.contains("options.fusion.method"), "{message}");
    assert_eq!(rv::count(name.clone()).unwrap(), before);
    let t0 = rv::get(name.clone(), "t0".into()).await.unwrap();
    assert_eq!(field(&t0, "text"), TEXTS[0]);
    rv::delete_database(name).await.unwrap();
}
