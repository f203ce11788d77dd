//! Helpers shared by the benchmark binaries: data loading with a seeded fallback, search
//! sweeps measured per query, and the JSON results that `report` turns into tables.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ruvector_core::Metric;
use ruvector_testkit::dataset::{ground_truth, recall_at, Mixture};
use ruvector_testkit::native::{debian_minilm_dir, load_texmex, TexmexSet};
use serde_json::{json, Value};

/// The ef values every sweep measures.
pub const EF_SWEEP: [usize; 5] = [16, 32, 64, 128, 256];

/// The benchmark data: `debian-minilm-20k` when present, else a seeded 20k×384 mixture
/// with exact ground truth. Returns the set and its name.
pub fn load_data() -> (TexmexSet, String) {
    let dir = debian_minilm_dir();
    match load_texmex(&dir) {
        Ok(Some(set)) => return (set, "debian-minilm-20k".into()),
        Ok(None) => eprintln!("{} absent: using seeded synthetic data", dir.display()),
        Err(e) => eprintln!("{e}: using seeded synthetic data"),
    }
    let dim = 384;
    let m = Mixture::new(dim, 1_000, 0xBE7C);
    let (base, queries) = (m.sample(20_000, 1), m.sample(500, 2));
    let truth = ground_truth(&base, &queries, dim, 10, Metric::Cosine);
    (
        TexmexSet {
            dim,
            base,
            queries,
            truth,
        },
        "synthetic-mixture-20k-384 (seed 0xBE7C)".into(),
    )
}

/// Runs every query once through `search` and returns QPS, recall@10 and latency
/// percentiles as JSON.
pub fn sweep_point(set: &TexmexSet, mut search: impl FnMut(&[f32]) -> Vec<usize>) -> Value {
    let mut lat = Vec::new();
    let mut found = Vec::new();
    let start = Instant::now();
    for q in set.queries.chunks_exact(set.dim) {
        let t = Instant::now();
        let r = search(q);
        lat.push(t.elapsed().as_secs_f64() * 1e6);
        found.push(r);
    }
    let total = start.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    json!({
        "qps": found.len() as f64 / total,
        "recall10": recall_at(&found, &set.truth, 10),
        "p50_us": pct(0.5),
        "p99_us": pct(0.99),
    })
}

/// QPS at recall@10 = `target` on a sweep ordered by ef, as ann-benchmarks reads its
/// curves: log-linear interpolation between the two points around `target`; the first
/// point's QPS when it already reaches `target` (never extrapolated upwards); `None` when
/// no point reaches it.
pub fn qps_at_recall(points: &[Value], target: f64) -> Option<f64> {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .filter_map(|p| Some((p["recall10"].as_f64()?, p["qps"].as_f64()?)))
        .collect();
    let i = pts.iter().position(|&(r, _)| r >= target)?;
    if i == 0 {
        return Some(pts[0].1);
    }
    let ((r0, q0), (r1, q1)) = (pts[i - 1], pts[i]);
    let t = if r1 > r0 {
        (target - r0) / (r1 - r0)
    } else {
        1.0
    };
    Some((q0.ln() + t * (q1.ln() - q0.ln())).exp())
}

/// `RUVECTOR_BENCH_QUICK=1` measures only our own indexes (for iterating on them); the
/// results then go to `results/core-quick.json`, never into the tables.
pub fn quick() -> bool {
    std::env::var_os("RUVECTOR_BENCH_QUICK").is_some_and(|v| v == "1")
}

/// `benches/` of this workspace.
pub fn bench_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Writes `value` to `benches/results/<name>.json`.
pub fn write_result(name: &str, value: &Value) -> std::io::Result<PathBuf> {
    let dir = bench_dir().join("results");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{name}.json"));
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    std::fs::write(&path, text + "\n")?;
    Ok(path)
}
