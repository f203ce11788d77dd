//! Risk: the wasm32 build differs from the native one: SIMD128 silently off (a lost
//! rustflag), SIMD and scalar kernels that disagree, or a different graph for one seed.
//! Runs under node: `cargo test -p ruvector-core --target wasm32-unknown-unknown --test wasm`.
#![cfg(target_arch = "wasm32")]
// These are tests; clippy's allow-unwrap-in-tests only recognises #[test], not #[wasm_bindgen_test].
#![allow(clippy::unwrap_used)]

mod common;

use ruvector_core::distance::{self, scalar, Metric};
use ruvector_core::{CollectionConfig, Filter, IndexKind, SplitMix64};
use ruvector_testkit::dataset::{ground_truth, recall_at, Mixture};
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn simd128_is_compiled_in() {
    assert!(
        distance::simd128_compiled(),
        "built without +simd128: check .cargo/config.toml and RUSTFLAGS"
    );
    assert_eq!(distance::kernel_name(), "simd128");
}

#[wasm_bindgen_test]
fn the_simd128_int8_kernel_equals_the_reference() {
    let mut rng = SplitMix64::new(0x1_8D08);
    for len in (0..70).chain([127, 128, 129, 384, 1536]) {
        let w = distance::int8::max_query_weight(len) as u64;
        let q: Vec<i16> = (0..len)
            .map(|_| (rng.below(2 * w + 1) as i64 - w as i64) as i16)
            .collect();
        let c: Vec<i8> = (0..len)
            .map(|_| (rng.below(255) as i32 - 127) as i8)
            .collect();
        assert_eq!(
            distance::int8::dot(&q, &c),
            distance::int8::scalar_dot(&q, &c),
            "len {len}"
        );
        // The paired kernel: the same two numbers, also when the second row is shorter.
        let mut d: Vec<i8> = c.iter().rev().copied().collect();
        let expected = (
            distance::int8::scalar_dot(&q, &c),
            distance::int8::scalar_dot(&q, &d),
        );
        assert_eq!(distance::int8::dot2(&q, &c, &d), expected, "len {len}");
        d.truncate(len / 2);
        let short = distance::int8::scalar_dot(&q[..len / 2], &c[..len / 2]);
        let got = distance::int8::dot2(&q, &c, &d);
        assert_eq!(got.0, short, "len {len}: both run over the common length");
    }
}

#[wasm_bindgen_test]
fn the_two_row_kernel_equals_two_single_calls() {
    let mut rng = SplitMix64::new(0x2B0);
    for len in (0..70).chain([127, 128, 129, 384, 1536]) {
        let row = |rng: &mut SplitMix64| -> Vec<f32> {
            (0..len).map(|_| (rng.normal() * 2.0) as f32).collect()
        };
        let (q, a, b) = (row(&mut rng), row(&mut rng), row(&mut rng));
        for m in Metric::ALL {
            let (x, y) = m.distance2(&q, &a, &b);
            assert_eq!(x.to_bits(), m.distance(&q, &a).to_bits(), "{m} len {len}");
            assert_eq!(y.to_bits(), m.distance(&q, &b).to_bits(), "{m} len {len}");
        }
    }
}

#[cfg(target_feature = "simd128")]
#[wasm_bindgen_test]
fn simd128_and_scalar_agree_bit_for_bit() {
    use ruvector_core::distance::simd128;
    let mut rng = SplitMix64::new(0x51AD);
    for len in (0..70).chain([127, 128, 129, 384, 1536]) {
        for _ in 0..10 {
            let a: Vec<f32> = (0..len).map(|_| (rng.normal() * 3.0) as f32).collect();
            let b: Vec<f32> = (0..len).map(|_| (rng.normal() * 3.0) as f32).collect();
            assert_eq!(
                simd128::dot(&a, &b).to_bits(),
                scalar::dot(&a, &b).to_bits(),
                "dot len {len}"
            );
            assert_eq!(
                simd128::l2_squared(&a, &b).to_bits(),
                scalar::l2_squared(&a, &b).to_bits(),
                "l2 len {len}"
            );
            assert_eq!(
                simd128::manhattan_sum(&a, &b).to_bits(),
                scalar::manhattan_sum(&a, &b).to_bits(),
                "l1 len {len}"
            );
            assert_eq!(
                distance::dot(&a, &b).to_bits(),
                scalar::dot(&a, &b).to_bits()
            );
        }
    }
}

#[wasm_bindgen_test]
fn same_graph_as_native() {
    assert_eq!(common::graph_fingerprint(), common::GRAPH_FINGERPRINT);
}

#[wasm_bindgen_test]
fn hnsw_recall_and_flat_exactness() {
    let dim = 64;
    let m = Mixture::with_spread(dim, 200, 0xA5, 1.5);
    let (base, queries) = (m.sample(2_000, 1), m.sample(50, 2));
    for metric in Metric::ALL {
        let truth = ground_truth(&base, &queries, dim, 10, metric);
        let hnsw = common::build(CollectionConfig::new(dim).metric(metric), &base);
        let r = recall_at(
            &common::search_rows(&hnsw, &queries, 10, 64, None).0,
            &truth,
            10,
        );
        assert!(r >= 0.95, "{metric}: recall {r}");
        let flat = common::build(
            CollectionConfig::new(dim)
                .metric(metric)
                .index(IndexKind::Flat),
            &base,
        );
        assert_eq!(
            common::search_rows(&flat, &queries, 10, 64, None).0,
            truth,
            "{metric}"
        );
    }
}

#[wasm_bindgen_test]
fn filters_and_generated_ids_work() {
    let f = Filter::parse(&serde_json::json!({"a.b": {"$in": [1, 2]}, "c": {"$exists": false}}))
        .unwrap();
    assert!(f.matches(Some(&serde_json::json!({"a": {"b": 2}}))));
    assert!(!f.matches(Some(&serde_json::json!({"a": {"b": 2}, "c": 0}))));
    assert!(Filter::parse(&serde_json::json!({"a": {"$bogus": 1}})).is_err());
    let mut c = ruvector_core::Collection::new(CollectionConfig::new(2)).unwrap();
    let id = c
        .insert(ruvector_core::Item {
            vector: vec![1.0, 2.0],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(id.len(), 36, "getrandom works in wasm: {id}");
}

#[wasm_bindgen_test]
fn export_is_byte_identical_to_native() {
    assert_eq!(common::export_fingerprint(), common::EXPORT_FINGERPRINT);
}

#[wasm_bindgen_test]
fn storage_round_trip_in_wasm() {
    use ruvector_core::{MemoryBackend, SearchQuery, Store};
    let dim = 16;
    let rows = Mixture::new(dim, 6, 8).sample(400, 9);
    let item =
        |i: usize| ruvector_core::Item::new(format!("w{i}"), rows[i * dim..(i + 1) * dim].to_vec());
    let mut s = Store::create(MemoryBackend::new(), CollectionConfig::new(dim)).unwrap();
    s.insert_batch((0..300).map(item).collect()).unwrap();
    s.delete(&["w1"]).unwrap();
    let q = &rows[..dim];
    let before = s.collection().search(&SearchQuery::new(q, 5)).unwrap();
    let reopened = Store::open(s.into_backend()).unwrap();
    assert_eq!(reopened.collection().stats().distance_evaluations, 0);
    assert_eq!(
        reopened
            .collection()
            .search(&SearchQuery::new(q, 5))
            .unwrap(),
        before
    );
}
