//! Kernel micro-benchmarks: scalar reference, the portable kernel as the x86-64 baseline
//! (SSE2) compiles it, and the dispatched kernel the engine runs (AVX when present), per
//! metric and dimension, plus an exact flat scan of 20k×384 beside a plain streaming read
//! of the same bytes (the memory-bandwidth bound). `make bench` folds the results into
//! `benches/results/kernels.json`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ruvector_core::distance::{self, portable, scalar};
use ruvector_core::{
    Collection, CollectionConfig, IndexKind, Item, Metric, SearchQuery, SplitMix64,
};
use ruvector_testkit::dataset::Mixture;

type Kernel = fn(&[f32], &[f32]) -> f32;

fn kernels(c: &mut Criterion) {
    let mut rng = SplitMix64::new(1);
    let table: [(&str, Kernel, Kernel, Kernel); 3] = [
        ("dot", scalar::dot, portable::dot, distance::dot),
        (
            "l2",
            scalar::l2_squared,
            portable::l2_squared,
            distance::l2_squared,
        ),
        (
            "l1",
            scalar::manhattan_sum,
            portable::manhattan_sum,
            distance::manhattan_sum,
        ),
    ];
    for (name, s, p, d) in table {
        let mut g = c.benchmark_group(format!("kernel_{name}"));
        for dim in [128usize, 384, 768, 1536] {
            let a: Vec<f32> = (0..dim).map(|_| rng.normal() as f32).collect();
            let b: Vec<f32> = (0..dim).map(|_| rng.normal() as f32).collect();
            g.throughput(Throughput::Elements(dim as u64));
            g.bench_with_input(BenchmarkId::new("scalar", dim), &dim, |bench, _| {
                bench.iter(|| s(black_box(&a), black_box(&b)))
            });
            g.bench_with_input(BenchmarkId::new("portable", dim), &dim, |bench, _| {
                bench.iter(|| p(black_box(&a), black_box(&b)))
            });
            g.bench_with_input(BenchmarkId::new("dispatch", dim), &dim, |bench, _| {
                bench.iter(|| d(black_box(&a), black_box(&b)))
            });
        }
        g.finish();
    }
}

fn flat_scan(c: &mut Criterion) {
    let (n, dim) = (20_000, 384);
    let m = Mixture::new(dim, 100, 7);
    let rows = m.sample(n, 8);
    let mut db = Collection::new(
        CollectionConfig::new(dim)
            .metric(Metric::DotProduct)
            .index(IndexKind::Flat),
    )
    .expect("config");
    db.insert_batch(
        rows.chunks_exact(dim)
            .enumerate()
            .map(|(i, v)| Item::new(i.to_string(), v.to_vec()))
            .collect(),
    )
    .expect("rows");
    let q = m.sample(1, 9);
    let mut g = c.benchmark_group("flat_20k_384");
    g.throughput(Throughput::Bytes((n * dim * 4) as u64));
    g.bench_function("search_k10", |b| {
        b.iter(|| {
            db.search(&SearchQuery::new(black_box(&q), 10))
                .expect("search")
        })
    });
    // The bound: stream the same number of bytes with a vectorised sum.
    g.bench_function("stream_read", |b| {
        b.iter(|| {
            let mut acc = [0.0f32; 16];
            for ch in black_box(&rows).chunks_exact(16) {
                for l in 0..16 {
                    acc[l] += ch[l];
                }
            }
            acc
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(2));
    targets = kernels, flat_scan
}
criterion_main!(benches);
