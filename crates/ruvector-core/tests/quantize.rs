//! Risk: int8 codes that lose the ranking: a kernel that overflows or disagrees with the
//! reference, ranges that do not hold the data, a query estimate far from the decoded
//! vector's inner product, and, end to end, top-10 lists by int8 that miss the true ones.

mod common;

use common::seed;
use ruvector_core::distance::{int8, Metric};
use ruvector_core::quantize::{Int8Quantizer, QuantizeError};
use ruvector_core::SplitMix64;
use ruvector_testkit::dataset::{ground_truth, recall_at, Mixture};

#[test]
fn the_kernel_is_exact_at_the_extremes_and_never_overflows() {
    let mut rng = SplitMix64::new(seed("int8 kernel", 0x1_8D07));
    for len in (0..70).chain([127, 128, 129, 384, 1536, 16_384]) {
        let w = int8::max_query_weight(len);
        assert!(w as i64 * 127 * len as i64 <= i32::MAX as i64 && w <= i16::MAX as i32);
        for extreme in [false, true] {
            let q: Vec<i16> = (0..len)
                .map(|_| {
                    if extreme {
                        -w as i16
                    } else {
                        (rng.below(2 * w as u64 + 1) as i32 - w) as i16
                    }
                })
                .collect();
            let c: Vec<i8> = (0..len)
                .map(|_| {
                    if extreme {
                        -127
                    } else {
                        (rng.below(255) as i32 - 127) as i8
                    }
                })
                .collect();
            let exact: i64 = q.iter().zip(&c).map(|(&a, &b)| a as i64 * b as i64).sum();
            assert_eq!(int8::dot(&q, &c) as i64, exact, "len {len}");
            assert_eq!(int8::scalar_dot(&q, &c) as i64, exact, "len {len}");
            let rev: Vec<i8> = c.iter().rev().copied().collect();
            let pair = int8::dot2(&q, &c, &rev);
            assert_eq!(pair, (int8::dot(&q, &c), int8::dot(&q, &rev)), "len {len}");
        }
    }
}

#[test]
fn codes_stay_within_half_a_step_and_the_query_estimate_is_tight() {
    let s = seed("int8 ranges", 0x1_8A9E);
    let dim = 96;
    let data = Mixture::new(dim, 20, s).sample(2_000, s + 1);
    let q = Int8Quantizer::train(&data, dim).expect("data");
    assert_eq!(q.dimensions(), dim);
    let query = Mixture::new(dim, 20, s).sample(1, s + 2);
    let prepared = q.query(&query);
    let (mut within, mut codes) = (0usize, Vec::new());
    for row in data.chunks_exact(dim) {
        codes.clear();
        q.encode(row, &mut codes);
        let back = q.decode(&codes);
        for ((x, y), s) in row.iter().zip(&back).zip(q.scale()) {
            within += ((x - y).abs() <= s / 2.0 + 1e-6) as usize;
        }
        // Against the decoded vector the estimate only rounds the query's weights.
        let exact: f32 = query.iter().zip(&back).map(|(a, b)| a * b).sum();
        let err = (prepared.dot(&codes) - exact).abs();
        assert!(err <= 1e-3 * (1.0 + exact.abs()), "estimate off by {err}");
    }
    let share = within as f64 / data.len() as f64;
    println!("values within half a step of their code: {:.4}", share);
    // Only the trimmed tails (0.1% at each end) may be clamped.
    assert!(share >= 0.997, "{share}");
}

#[test]
fn int8_top_ten_finds_the_true_neighbours() {
    let s = seed("int8 recall", 0x1_8EC0);
    let dim = 128;
    let m = Mixture::new(dim, 50, s);
    let (base, queries) = (m.sample(5_000, s + 1), m.sample(50, s + 2));
    let truth = ground_truth(&base, &queries, dim, 10, Metric::DotProduct);
    let q = Int8Quantizer::train(&base, dim).expect("data");
    let mut codes = Vec::new();
    for row in base.chunks_exact(dim) {
        q.encode(row, &mut codes);
    }
    let found: Vec<Vec<usize>> = queries
        .chunks_exact(dim)
        .map(|v| {
            let p = q.query(v);
            let mut d: Vec<(f32, usize)> = codes
                .chunks_exact(dim)
                .enumerate()
                .map(|(i, c)| (-p.dot(c), i))
                .collect();
            d.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            d.iter().take(10).map(|x| x.1).collect()
        })
        .collect();
    let r = recall_at(&found, &truth, 10);
    println!("int8 exact-scan recall@10 against float32: {r:.4}");
    assert!(r >= 0.95, "{r}");
}

#[test]
fn training_needs_data_and_stored_parameters_are_checked() {
    assert_eq!(Int8Quantizer::train(&[], 4), Err(QuantizeError::NoData));
    assert!(Int8Quantizer::from_parts(vec![0.0; 3], vec![1.0; 2]).is_err());
    assert!(Int8Quantizer::from_parts(vec![0.0; 2], vec![1.0, 0.0]).is_err());
    assert!(Int8Quantizer::from_parts(vec![f32::NAN, 0.0], vec![1.0; 2]).is_err());
    let q = Int8Quantizer::from_parts(vec![0.5, -1.0], vec![0.25, 2.0]).expect("valid");
    let mut c = Vec::new();
    q.encode(&[0.5 + 0.25 * 3.0, 1e9], &mut c);
    assert_eq!(c, vec![3, 127], "exact codes, and a huge value clamps");
}

#[test]
fn the_int8_flat_scan_answers_exactly_as_the_plain_scan() {
    // A flat collection past MIN_SLOTS scans its int8 codes first; its answers must be the
    // float32 ground truth's, ties included (every vector appears twice), under a filter
    // too, and it must compare only a minority of vectors in float32.
    use ruvector_core::{Collection, CollectionConfig, Filter, IndexKind, Item, SearchQuery};
    use serde_json::json;
    let s = seed("int8 flat scan", 0x1_8F1A);
    let dim = 64;
    let m = Mixture::new(dim, 40, s);
    let half = m.sample(1_500, s + 1);
    let base: Vec<f32> = half.iter().chain(&half).copied().collect();
    let n = base.len() / dim;
    let queries = m.sample(40, s + 2);
    for metric in [Metric::Cosine, Metric::Euclidean, Metric::DotProduct] {
        let mut c = Collection::new(
            CollectionConfig::new(dim)
                .metric(metric)
                .index(IndexKind::Flat),
        )
        .expect("config");
        let items = base
            .chunks_exact(dim)
            .enumerate()
            .map(|(i, v)| {
                Item::new(i.to_string(), v.to_vec()).with_metadata(json!({ "odd": i % 2 }))
            })
            .collect();
        c.insert_batch(items).expect("rows");
        let truth = ground_truth(&base, &queries, dim, 10, metric);
        let odd = Filter::parse(&json!({ "odd": 1 })).expect("filter");
        let (mut compared, mut searches) = (0u64, 0u64);
        for (qi, q) in queries.chunks_exact(dim).enumerate() {
            let r = c.search(&SearchQuery::new(q, 10)).expect("search");
            let ids: Vec<usize> = r.hits.iter().map(|h| h.id.parse().expect("row")).collect();
            assert_eq!(ids, truth[qi], "{metric}, query {qi}");
            compared += r.evaluations - n as u64;
            searches += 1;
            let f = c
                .search(&SearchQuery::new(q, 10).filter(&odd))
                .expect("search");
            let plain: Vec<usize> = {
                let mut all: Vec<(f32, usize)> = base
                    .chunks_exact(dim)
                    .enumerate()
                    .filter(|(i, _)| i % 2 == 1)
                    .map(|(i, v)| {
                        (
                            metric.distance(&prepared(metric, q), &prepared(metric, v)),
                            i,
                        )
                    })
                    .collect();
                all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                all.iter().take(10).map(|x| x.1).collect()
            };
            let got: Vec<usize> = f.hits.iter().map(|h| h.id.parse().expect("row")).collect();
            assert_eq!(got, plain, "{metric}, filtered query {qi}");
        }
        let share = compared as f64 / (searches as f64 * n as f64);
        println!(
            "{metric}: float32 comparisons per query {:.1}% of the vectors",
            100.0 * share
        );
        assert!(
            share < 0.5,
            "{metric}: the codes pruned too little ({share})"
        );
    }
}

/// The row numbers of the top 10 of every query.
fn search_ids(
    c: &ruvector_core::Collection,
    queries: &[f32],
    dim: usize,
    ef: usize,
) -> Vec<Vec<usize>> {
    queries
        .chunks_exact(dim)
        .map(|q| {
            let r = c
                .search(&ruvector_core::SearchQuery::new(q, 10).ef(ef))
                .expect("search");
            r.hits.iter().map(|h| h.id.parse().expect("row")).collect()
        })
        .collect()
}

/// A vector as the engine compares it (unit length for cosine).
fn prepared(metric: Metric, v: &[f32]) -> Vec<f32> {
    let mut p = v.to_vec();
    if metric == Metric::Cosine {
        ruvector_core::distance::normalize(&mut p);
    }
    p
}

#[test]
fn an_int8_hnsw_walk_keeps_recall_and_returns_exact_distances() {
    // `quantization: int8` walks the graph on codes and reranks its ef candidates in
    // float32: recall within 0.01 of the float32 walk at the same ef, distances exact, and
    // the option survives a round trip through the record format.
    use ruvector_core::{
        Collection, CollectionConfig, Database, Item, MemoryBackend, Quantization, SearchQuery,
    };
    let s = seed("int8 walk", 0x1_8A1C);
    let dim = 64;
    let m = Mixture::with_spread(dim, 100, s, 1.5);
    let (base, queries) = (m.sample(6_000, s + 1), m.sample(100, s + 2));
    for metric in [Metric::Cosine, Metric::Euclidean, Metric::DotProduct] {
        let build = |q: Quantization| {
            let mut c = Collection::new(CollectionConfig::new(dim).metric(metric).quantization(q))
                .expect("config");
            let items = base
                .chunks_exact(dim)
                .enumerate()
                .map(|(i, v)| Item::new(i.to_string(), v.to_vec()))
                .collect();
            c.insert_batch(items).expect("rows");
            c
        };
        let (plain, coded) = (build(Quantization::None), build(Quantization::Int8));
        let truth = ground_truth(&base, &queries, dim, 10, metric);
        for ef in [16, 64] {
            let run = |c: &Collection| -> Vec<Vec<usize>> {
                queries
                    .chunks_exact(dim)
                    .map(|q| {
                        let r = c.search(&SearchQuery::new(q, 10).ef(ef)).expect("search");
                        for h in &r.hits {
                            let row: usize = h.id.parse().expect("row");
                            let exact = metric.distance(
                                &prepared(metric, q),
                                &prepared(metric, &base[row * dim..(row + 1) * dim]),
                            );
                            assert_eq!(
                                h.distance.to_bits(),
                                exact.to_bits(),
                                "{metric}: an exact float32 distance"
                            );
                        }
                        r.hits.iter().map(|h| h.id.parse().expect("row")).collect()
                    })
                    .collect()
            };
            let (rp, rc) = (
                recall_at(&run(&plain), &truth, 10),
                recall_at(&run(&coded), &truth, 10),
            );
            println!("{metric} ef {ef}: recall@10 float32 walk {rp:.4}, int8 walk {rc:.4}");
            assert!(rc >= rp - 0.01, "{metric} ef {ef}: {rc} < {rp} - 0.01");
        }
        // Stored and reopened: two opens answer alike (`tiers.rs` covers the originals
        // leaving memory, from 16,384 vectors on).
        let plain_recall = recall_at(&search_ids(&plain, &queries, dim, 64), &truth, 10);
        let db = Database::from_collection(coded);
        let mem = MemoryBackend::new();
        for (k, v) in db.snapshot(&mem).expect("snapshot") {
            mem.put_raw(&k, v);
        }
        let back = Database::open(&mem).expect("reopen");
        let again = Database::open(&mem).expect("reopen");
        assert_eq!(back.collection().config().quantization, Quantization::Int8);
        for q in queries.chunks_exact(dim).take(20) {
            let query = SearchQuery::new(q, 10).ef(16);
            let (x, y) = (
                back.collection().search(&query).expect("search"),
                again.collection().search(&query).expect("search"),
            );
            assert_eq!(
                x.hits, y.hits,
                "{metric}: two opens walk to the same answers"
            );
            assert_eq!(x.evaluations, y.evaluations, "{metric}: and the same way");
        }
        let stored = recall_at(
            &search_ids(back.collection(), &queries, dim, 64),
            &truth,
            10,
        );
        println!("{metric} ef 64: float32 {plain_recall:.4}, int8 reopened {stored:.4}");
        assert!(
            stored >= plain_recall - 0.02,
            "{metric}: {stored} < {plain_recall} - 0.02"
        );
    }
    assert!(Collection::new(
        CollectionConfig::new(dim)
            .metric(Metric::Manhattan)
            .quantization(Quantization::Int8)
    )
    .is_err());
}
