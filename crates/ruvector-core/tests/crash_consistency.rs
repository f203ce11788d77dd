//! Risk: a crash loses an acknowledged write or leaves half a batch. A child process (this
//! same test binary, in child mode) writes batches to redb (inserts, upserts, deletes, bulk
//! batches, checkpoints) and prints `ACK n` after each returns; the parent kills it with
//! SIGKILL at a random moment, reopens, and checks every acknowledged batch is there whole
//! and no batch is there in part. At least 20 seeds; CI runs all of them. Records carry texts,
//! and the reopened text index must find exactly the live records of each batch.
#![cfg(all(feature = "native", unix))]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ruvector_core::{
    CollectionConfig, Item, RedbBackend, SearchQuery, SplitMix64, Store, TextConfig,
};
use ruvector_testkit::dataset::Mixture;
use serde_json::json;

const DIM: usize = 12;
const CHILD_ENV: &str = "RUVECTOR_CRASH_CHILD";

/// Batch `n`'s content, derived from the seed alone so the parent can recompute it:
/// every batch inserts `size` vectors with ids `b{n}-{j}`; every 7th also deletes the
/// first id of batch n−1 and upserts the second one's metadata to `{"by": n}`.
fn batch(seed: u64, n: u64) -> (Vec<Item>, usize) {
    let mut rng = SplitMix64::new(seed ^ n.wrapping_mul(0x9E37));
    let size = if rng.below(15) == 0 {
        300
    } else {
        1 + rng.below(12) as usize
    };
    let rows = Mixture::new(DIM, 8, seed).sample(size, seed ^ n);
    let items = (0..size)
        .map(|j| {
            Item::new(format!("b{n}-{j}"), rows[j * DIM..(j + 1) * DIM].to_vec())
                .with_metadata(json!({"n": n}))
                .with_text(format!("batch{n} item{j}"))
        })
        .collect();
    (items, size)
}

fn touches_previous(n: u64) -> bool {
    n > 0 && n.is_multiple_of(7)
}

/// Child mode: write batches until killed.
#[test]
fn crash_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (path, seed) = spec.split_once(',').expect("path,seed");
    let seed: u64 = seed.parse().expect("seed");
    let config = CollectionConfig::new(DIM).text(TextConfig::default());
    let mut store =
        Store::create(RedbBackend::open(Path::new(path)).expect("redb"), config).expect("create");
    store
        .database_mut()
        .set_checkpoint_policy(ruvector_core::CheckpointPolicy {
            max_log_bytes: 200_000,
            max_log_records: 25,
            ..Default::default()
        });
    for n in 0.. {
        let (items, _) = batch(seed, n);
        store.insert_batch(items).expect("insert");
        if touches_previous(n) {
            let prev = format!("b{}-0", n - 1);
            store.delete(&[&prev]).expect("delete");
            let _ = store.upsert(&format!("b{}-1", n - 1), None, Some(json!({"by": n})));
        }
        println!("ACK {n}");
    }
}

/// One atomic write of the child, in order.
enum Step {
    Insert(Vec<Item>),
    Delete(String),
    Upsert(String, u64),
}

/// The child's writes for batches `0..=last`, each tagged with its batch number.
fn steps(seed: u64, last: u64) -> Vec<(u64, Step)> {
    let mut out = Vec::new();
    for n in 0..=last {
        out.push((n, Step::Insert(batch(seed, n).0)));
        if touches_previous(n) {
            out.push((n, Step::Delete(format!("b{}-0", n - 1))));
            out.push((n, Step::Upsert(format!("b{}-1", n - 1), n)));
        }
    }
    out
}

/// Finds the prefix of the child's writes that the reopened database equals; fails if there
/// is none (a half-applied batch, a stray or a changed record) or if it stops before the
/// last acknowledged batch. Returns how many writes were present.
fn check(path: &Path, seed: u64, acked: Option<u64>) -> usize {
    let store = Store::open(RedbBackend::open(path).expect("reopen redb"))
        .expect("a crashed database opens");
    let c = store.collection();
    let all = steps(seed, acked.map_or(0, |a| a + 1));
    let mut expected: std::collections::BTreeMap<String, (Vec<f32>, serde_json::Value)> =
        Default::default();
    let matches = |e: &std::collections::BTreeMap<String, (Vec<f32>, serde_json::Value)>| {
        c.len() == e.len()
            && e.iter().all(|(id, (v, m))| {
                c.get(id).ok().flatten().is_some_and(|r| {
                    let (n, j) = id[1..].split_once('-').unwrap_or_default();
                    r.text.as_deref() == Some(format!("batch{n} item{j}").as_str())
                        && r.metadata.as_ref() == Some(m)
                        && r.vector
                            .iter()
                            .zip(v)
                            .all(|(a, b)| (a - b).abs() <= 1e-6 * b.abs().max(1e-3))
                })
            })
    };
    let mut found = None;
    for p in 0..=all.len() {
        if matches(&expected) {
            found = Some(p);
        }
        let Some((_, step)) = all.get(p) else { break };
        match step {
            Step::Insert(items) => {
                for it in items {
                    let md = it.metadata.clone().unwrap_or_default();
                    expected.insert(it.id.clone().unwrap_or_default(), (it.vector.clone(), md));
                }
            }
            Step::Delete(id) => {
                expected.remove(id);
            }
            Step::Upsert(id, by) => {
                if let Some(e) = expected.get_mut(id) {
                    e.1 = json!({"by": by});
                }
            }
        }
    }
    let p = found.unwrap_or_else(|| {
        panic!("seed {seed}: the database equals no prefix of the writes (half-applied batch?)")
    });
    // The text index holds exactly the live records: each batch's text finds its live items.
    let mut live = std::collections::BTreeMap::<String, usize>::new();
    for (id, _) in c.ids().map(|id| (id, ())) {
        let n = id
            .trim_start_matches('b')
            .split('-')
            .next()
            .unwrap_or_default();
        *live.entry(n.to_owned()).or_default() += 1;
    }
    assert_eq!(
        c.stats().text.map(|t| t.records as usize),
        Some(c.len()),
        "seed {seed}"
    );
    for (n, count) in live.iter().rev().take(4) {
        let q = format!("batch{n}");
        let hits = c
            .search(&SearchQuery::text(&q, 1_000))
            .expect("text search")
            .hits;
        assert_eq!(hits.len(), *count, "seed {seed}: text search {q:?}");
    }
    if let Some(a) = acked {
        let needed = all.iter().take_while(|(n, _)| *n <= a).count();
        assert!(
            p >= needed,
            "seed {seed}: only {p} writes present, {needed} were acknowledged"
        );
    }
    p
}

#[test]
fn killed_writers_lose_no_acknowledged_batch() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    let dir = std::env::temp_dir().join(format!("ruvector-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let seeds = 20u64;
    let mut kills = 0;
    for seed in 1..=seeds {
        let path = dir.join(format!("crash-{seed}.redb"));
        let _ = std::fs::remove_file(&path);
        let mut rng = SplitMix64::new(seed * 7919);
        let wait_acks = 1 + rng.below(40);
        let extra = Duration::from_micros(rng.below(20_000));
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, format!("{},{seed}", path.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(n) = line
                    .strip_prefix("ACK ")
                    .and_then(|n| n.parse::<u64>().ok())
                {
                    if tx.send(n).is_err() {
                        break;
                    }
                }
            }
        });
        let start = Instant::now();
        let mut last = None;
        while last.is_none_or(|l| l + 1 < wait_acks) && start.elapsed() < Duration::from_secs(60) {
            if let Ok(n) = rx.recv_timeout(Duration::from_millis(50)) {
                last = Some(n);
            }
        }
        std::thread::sleep(extra);
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        kills += 1;
        let _ = reader.join();
        while let Ok(n) = rx.try_recv() {
            last = Some(n);
        }
        let present = check(&path, seed, last);
        println!("seed {seed}: killed after ack {last:?} (+{extra:?}); {present} writes present");
        let _ = std::fs::remove_file(&path);
    }
    println!("crash loop: {kills} SIGKILLs over {seeds} seeds, 0 acknowledged batches lost");
    let _ = std::fs::remove_dir_all(&dir);
}
