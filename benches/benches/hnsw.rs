//! HNSW build and search, ours beside hnsw_rs on the same data in the same run, single
//! threaded both (m = 16, ef_construction = 200; hnsw_rs with `DistDot` on the unit
//! vectors, and again with our kernel as its distance). Also the flat index and memory per
//! vector. Writes `benches/results/core.json`; `make bench` then regenerates the tables.

use std::time::Instant;

use hnsw_rs::prelude::Distance;
use ruvector_benches::{load_data, qps_at_recall, quick, sweep_point, write_result, EF_SWEEP};
use ruvector_core::{Collection, CollectionConfig, HnswParams, IndexKind, Item, SearchQuery};
use ruvector_testkit::native::{HnswRsBaseline, OurDot, TexmexSet};
use serde_json::{json, Value};

const M: usize = 16;
const EF_CONSTRUCTION: usize = 200;

fn items(base: &[f32], dim: usize) -> Vec<Item> {
    base.chunks_exact(dim)
        .enumerate()
        .map(|(i, v)| Item::new(i.to_string(), v.to_vec()))
        .collect()
}

fn ours(set: &TexmexSet, index: IndexKind) -> (Collection, f64) {
    let config = CollectionConfig::new(set.dim)
        .index(index)
        .hnsw(HnswParams {
            m: M,
            ef_construction: EF_CONSTRUCTION,
            ..HnswParams::default()
        });
    let mut db = Collection::new(config).expect("config");
    let items = items(&set.base, set.dim);
    let t = Instant::now();
    for chunk in items.chunks(1_000) {
        db.insert_batch(chunk.to_vec()).expect("rows");
    }
    (db, t.elapsed().as_secs_f64())
}

fn search_ours(db: &Collection, q: &[f32], ef: usize) -> Vec<usize> {
    let r = db.search(&SearchQuery::new(q, 10).ef(ef)).expect("search");
    r.hits
        .iter()
        .map(|h| h.id.parse().expect("row id"))
        .collect()
}

fn system(name: &str, build_s: Option<f64>, n: usize, points: Vec<Value>) -> Value {
    json!({
        "name": name,
        "build": build_s.map(|s| json!({"seconds": s, "inserts_per_s": n as f64 / s})),
        "search": points,
    })
}

/// Builds an hnsw_rs baseline (timed, one thread) and sweeps ef.
fn baseline<D: Distance<f32> + Send + Sync + 'static>(
    set: &TexmexSet,
    name: &str,
    make: impl FnOnce() -> HnswRsBaseline<D>,
) -> Value {
    let n = set.base.len() / set.dim;
    let t = Instant::now();
    let mut rs = make();
    rs.insert_rows(&set.base, 0);
    let build = t.elapsed().as_secs_f64();
    eprintln!("{name}: build {build:.1}s");
    let pts = EF_SWEEP
        .iter()
        .map(|&ef| {
            let mut p = sweep_point(set, |q| rs.search(q, 10, ef));
            p["ef"] = json!(ef);
            p
        })
        .collect();
    system(name, Some(build), n, pts)
}

fn main() {
    let (set, data_name) = load_data();
    let n = set.base.len() / set.dim;
    eprintln!(
        "{data_name}: {n} x {}, {} queries",
        set.dim,
        set.queries.len() / set.dim
    );
    let mut systems = Vec::new();

    let (db, build) = ours(&set, IndexKind::Hnsw);
    let pts: Vec<Value> = EF_SWEEP
        .iter()
        .map(|&ef| {
            let mut p = sweep_point(&set, |q| search_ours(&db, q, ef));
            p["ef"] = json!(ef);
            p
        })
        .collect();
    eprintln!("ours: build {build:.1}s; {pts:?}");
    systems.push(system("ruvector (ours)", Some(build), n, pts));
    let stats = db.stats();
    drop(db);

    let (flat, _) = ours(&set, IndexKind::Flat);
    let mut p = sweep_point(&set, |q| search_ours(&flat, q, 10));
    p["ef"] = Value::Null;
    systems.push(system("ruvector flat (exact)", None, n, vec![p]));
    drop(flat);

    if quick() {
        let at = qps_at_recall(systems[0]["search"].as_array().expect("points"), 0.95);
        let v = json!({"systems": systems, "qps_at_recall_0_95": at, "memory": stats.memory});
        eprintln!(
            "quick: ours QPS at recall 0.95: {at:?}; memory {:?}",
            stats.memory
        );
        let _ = write_result("core-quick", &v);
        return;
    }
    systems.push(baseline(&set, "hnsw_rs 0.3.5 (DistDot)", || {
        HnswRsBaseline::new(set.dim, n, M, EF_CONSTRUCTION)
    }));
    systems.push(baseline(&set, "hnsw_rs 0.3.5 + our kernel", || {
        HnswRsBaseline::with_distance(set.dim, n, M, EF_CONSTRUCTION, OurDot)
    }));

    let raw = set.dim * 4;
    let budget = 1.25 * (raw + 3 * M * 4) as f64;
    let per = |b: usize| b as f64 / n as f64;
    let memory = json!({
        "vectors": per(stats.memory.vectors),
        "graph": per(stats.memory.graph),
        "ids": per(stats.memory.ids),
        "metadata": per(stats.memory.metadata),
        "vectors_plus_graph": per(stats.memory.vectors + stats.memory.graph),
        "budget": budget,
    });

    let qps_at = |i: usize| qps_at_recall(systems[i]["search"].as_array().expect("points"), 0.95);
    let qps_ratio = match (qps_at(0), qps_at(2)) {
        (Some(a), Some(b)) => json!(a / b),
        _ => Value::Null,
    };
    let build_ratio = systems[0]["build"]["inserts_per_s"].as_f64().unwrap_or(0.0)
        / systems[2]["build"]["inserts_per_s"]
            .as_f64()
            .unwrap_or(f64::NAN);
    let result = json!({
        "bench": "core",
        "dataset": data_name,
        "n": n,
        "dim": set.dim,
        "queries": set.queries.len() / set.dim,
        "params": {"m": M, "ef_construction": EF_CONSTRUCTION, "threads": 1, "k": 10},
        "kernel": ruvector_core::kernel_name(),
        "systems": systems,
        "memory_bytes_per_vector": memory,
        "ratios": {
            "search_qps_vs_hnsw_rs_at_recall_0_95": qps_ratio,
            "qps_at_recall_0_95": {"ours": qps_at(0), "hnsw_rs": qps_at(2), "hnsw_rs_our_kernel": qps_at(3)},
            "build_inserts_per_s_vs_hnsw_rs": build_ratio,
            "memory_vs_budget": per(stats.memory.vectors + stats.memory.graph) / budget,
        },
    });
    match write_result("core", &result) {
        Ok(p) => eprintln!("wrote {}", p.display()),
        Err(e) => {
            eprintln!("could not write results: {e}");
            std::process::exit(1);
        }
    }
}
