//! Storage costs: reopening 100k×384 with its graph against rebuilding the graph from the
//! same vectors, and write amplification (bytes handed to the backend ÷ n·4·dim) for 100k
//! inserts in batches of 1,000 under the default checkpoint policy. Seeded mixture data
//! (issue #9's recipe). Writes `benches/results/storage.json`.

use std::time::Instant;

use ruvector_benches::write_result;
use ruvector_core::{
    CollectionConfig, Database, Item, MemoryBackend, RecordWriter, RedbBackend, Store,
};
use ruvector_testkit::dataset::Mixture;
use serde_json::json;

fn main() {
    let (n, dim) = if std::env::var_os("RUVECTOR_BENCH_QUICK").is_some() {
        (20_000, 384)
    } else {
        (100_000, 384)
    };
    eprintln!("storage bench: {n} x {dim}");
    let rows = Mixture::new(dim, 1_000, 0x5704).sample(n, 1);
    let items: Vec<Item> = rows
        .chunks_exact(dim)
        .enumerate()
        .map(|(i, v)| Item::new(format!("doc-{i}"), v.to_vec()))
        .collect();
    let raw = (n * dim * 4) as f64;

    // Build, durably, in batches of 1,000 (default checkpoint policy), into memory.
    let backend = MemoryBackend::new();
    let (mut db, b) = Database::create(CollectionConfig::new(dim)).expect("create");
    backend.write(&b).expect("write");
    let t = Instant::now();
    for chunk in items.chunks(1_000) {
        let (_, b) = db.insert_batch(chunk.to_vec()).expect("insert");
        backend.write(&b).expect("write");
        if db.wants_checkpoint() {
            if let Some(cp) = db.checkpoint() {
                backend.write(&cp).expect("write");
            }
        }
    }
    let build_s = t.elapsed().as_secs_f64();
    let st = db.storage_stats();
    eprintln!(
        "built in {build_s:.1}s; {} batches, {} checkpoints, {} bytes",
        st.batches, st.checkpoints, st.bytes_written
    );
    let write_amp = st.bytes_written as f64 / raw;
    drop(db);

    // Reopen from memory: decode and copy, no distances.
    let t = Instant::now();
    let reopened = Database::open(&backend).expect("open");
    let reopen_s = t.elapsed().as_secs_f64();
    assert_eq!(reopened.collection().len(), n);
    assert_eq!(reopened.collection().stats().distance_evaluations, 0);
    drop(reopened);

    // The same data through redb, reopened from disk.
    let path = std::env::temp_dir().join(format!("ruvector-bench-{}.redb", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let redb_reopen_s = {
        let file = write_export_of(&backend);
        let store = Store::import(RedbBackend::open(&path).expect("redb"), &file).expect("import");
        drop(store);
        let t = Instant::now();
        let s = Store::open(RedbBackend::open(&path).expect("redb")).expect("open");
        let dt = t.elapsed().as_secs_f64();
        assert_eq!(s.collection().len(), n);
        dt
    };
    let _ = std::fs::remove_file(&path);

    // Rebuilding the graph from the vectors (in memory, no storage).
    let t = Instant::now();
    let mut c = ruvector_core::Collection::new(CollectionConfig::new(dim)).expect("config");
    for chunk in items.chunks(1_000) {
        c.insert_batch(chunk.to_vec()).expect("insert");
    }
    let rebuild_s = t.elapsed().as_secs_f64();
    eprintln!("reopen {reopen_s:.3}s (redb {redb_reopen_s:.3}s), rebuild {rebuild_s:.1}s, write amplification {write_amp:.2}");

    let result = json!({
        "bench": "storage",
        "dataset": format!("seeded mixture {n}x{dim} (1,000 clusters, seed 0x5704)"),
        "n": n,
        "dim": dim,
        "durable_build_s": build_s,
        "durable_inserts_per_s": n as f64 / build_s,
        "batches": st.batches,
        "checkpoints": st.checkpoints,
        "bytes_written": st.bytes_written,
        "write_amplification": write_amp,
        "reopen_memory_s": reopen_s,
        "reopen_redb_s": redb_reopen_s,
        "rebuild_graph_s": rebuild_s,
        "reopen_speedup_vs_rebuild": rebuild_s / reopen_s,
        "reopen_redb_speedup_vs_rebuild": rebuild_s / redb_reopen_s,
    });
    let name = if n == 100_000 {
        "storage"
    } else {
        "storage-quick"
    };
    match write_result(name, &result) {
        Ok(p) => eprintln!("wrote {}", p.display()),
        Err(e) => {
            eprintln!("could not write results: {e}");
            std::process::exit(1);
        }
    }
}

fn write_export_of(backend: &MemoryBackend) -> Vec<u8> {
    let store = Store::open(MemoryBackend::new_from(backend)).expect("open");
    store.export().expect("export")
}
