//! Risk: filters that match the wrong documents, parse what they should refuse, or
//! filtered searches that miss neighbours or return fewer than k.

mod common;

use common::{search_rows, seed};
use ruvector_core::{
    Collection, CollectionConfig, Filter, FilterError, Item, Metric, SearchPath, SearchQuery,
};
use ruvector_testkit::dataset::{recall_at, Mixture};
use serde_json::{json, Value};

fn matches(filter: Value, doc: Value) -> bool {
    Filter::parse(&filter)
        .expect("valid filter")
        .matches(Some(&doc))
}

#[test]
fn operators_match_like_mongodb() {
    let doc = json!({"section": "web", "size": 1200, "tags": ["gui", "net"], "pkg": {"arch": "amd64", "deps": 3}, "ok": true});
    let yes = [
        json!({"section": "web"}),
        json!({"section": {"$eq": "web"}}),
        json!({"section": {"$ne": "libs"}}),
        json!({"size": {"$gt": 1000, "$lte": 1200}}),
        json!({"size": {"$gte": 1200.0}}),
        json!({"size": {"$lt": 1201}}),
        json!({"section": {"$gt": "admin"}}),
        json!({"section": {"$in": ["x", "web"]}}),
        json!({"section": {"$nin": ["x", "y"]}}),
        json!({"tags": "net"}),
        json!({"tags": {"$in": ["gui"]}}),
        json!({"tags": ["gui", "net"]}),
        json!({"pkg.arch": "amd64"}),
        json!({"pkg.deps": {"$lt": 5}}),
        json!({"pkg": {"arch": "amd64", "deps": 3}}),
        json!({"missing": {"$exists": false}}),
        json!({"ok": {"$exists": true}}),
        json!({"missing": {"$ne": 1}}),
        json!({"missing": {"$nin": [1]}}),
        json!({"$and": [{"section": "web"}, {"ok": true}]}),
        json!({"$or": [{"section": "libs"}, {"size": 1200}]}),
        json!({"$not": {"section": "libs"}}),
        json!({"size": {"$not": {"$gt": 5000}}}),
        json!({}),
    ];
    let no = [
        json!({"section": "libs"}),
        json!({"size": {"$gt": 1200}}),
        json!({"size": {"$gt": "1000"}}),
        json!({"section": {"$in": []}}),
        json!({"tags": "db"}),
        json!({"pkg.arch": "i386"}),
        json!({"pkg.arch.deep": "x"}),
        json!({"missing": 1}),
        json!({"missing": {"$exists": true}}),
        json!({"missing": {"$gt": 0}}),
        json!({"$and": [{"section": "web"}, {"ok": false}]}),
        json!({"$or": [{"section": "libs"}, {"size": 1}]}),
        json!({"$not": {"section": "web"}}),
        json!({"section": "web", "size": 1}),
    ];
    for f in yes {
        assert!(matches(f.clone(), doc.clone()), "should match: {f}");
    }
    for f in no {
        assert!(!matches(f.clone(), doc.clone()), "should not match: {f}");
    }
    // A vector without metadata matches only absence conditions.
    let f = Filter::parse(&json!({"a": {"$exists": false}})).unwrap();
    assert!(f.matches(None));
    assert!(!Filter::parse(&json!({"a": 1})).unwrap().matches(None));
}

#[test]
fn malformed_filters_are_typed_errors() {
    let cases: Vec<(Value, ExpectErr)> = vec![
        (
            json!({"a": {"$regex": "x"}}),
            |e| matches!(e, FilterError::UnknownOperator { op, .. } if op == "$regex"),
        ),
        (
            json!({"$nor": []}),
            |e| matches!(e, FilterError::UnknownOperator { op, .. } if op == "$nor"),
        ),
        (json!([1]), |e| matches!(e, FilterError::NotAnObject { .. })),
        (json!({"$and": {}}), |e| {
            matches!(e, FilterError::BadOperand { op: "$and", .. })
        }),
        (json!({"$or": []}), |e| {
            matches!(e, FilterError::BadOperand { op: "$or", .. })
        }),
        (json!({"$and": [1]}), |e| {
            matches!(e, FilterError::NotAnObject { .. })
        }),
        (json!({"a": {"$in": 3}}), |e| {
            matches!(e, FilterError::BadOperand { op: "$in", .. })
        }),
        (json!({"a": {"$gt": [1]}}), |e| {
            matches!(e, FilterError::BadOperand { op: "$gt", .. })
        }),
        (json!({"a": {"$exists": 1}}), |e| {
            matches!(e, FilterError::BadOperand { op: "$exists", .. })
        }),
        (json!({"a": {"$not": 3}}), |e| {
            matches!(e, FilterError::BadOperand { op: "$not", .. })
        }),
        (json!({"a": {"$gt": 1, "b": 2}}), |e| {
            matches!(e, FilterError::MixedObject { .. })
        }),
        (json!({"a..b": 1}), |e| {
            matches!(e, FilterError::EmptyPath { .. })
        }),
    ];
    for (f, expected) in cases {
        let err = Filter::parse(&f).unwrap_err();
        assert!(expected(&err), "{f}: {err:?}");
        assert!(
            err.to_string().contains(':') || matches!(err, FilterError::TooDeep),
            "{err}"
        );
    }
    let mut deep = json!({"a": 1});
    for _ in 0..40 {
        deep = json!({ "$not": deep });
    }
    assert_eq!(Filter::parse(&deep), Err(FilterError::TooDeep));
}

/// A check of the error a malformed filter must produce.
type ExpectErr = fn(&FilterError) -> bool;

const DIM: usize = 64;

/// 10k vectors whose metadata `bucket` is uniform in 0..1000, so `bucket < t` selects t/1000.
fn filtered_setup(s: u64) -> (Collection, Vec<f32>, Vec<f32>, Vec<u64>) {
    let m = Mixture::with_spread(DIM, 500, s, 1.5);
    let (base, queries) = (m.sample(10_000, s + 1), m.sample(100, s + 2));
    let mut rng = ruvector_core::SplitMix64::new(s + 3);
    let buckets: Vec<u64> = (0..10_000).map(|_| rng.below(1000)).collect();
    let mut c = Collection::new(CollectionConfig::new(DIM).metric(Metric::Euclidean))
        .expect("valid config");
    let items = base
        .chunks_exact(DIM)
        .zip(&buckets)
        .enumerate()
        .map(|(i, (v, b))| {
            Item::new(i.to_string(), v.to_vec())
                .with_metadata(json!({ "bucket": b, "tag": format!("t{}", b % 7) }))
        })
        .collect();
    c.insert_batch(items).expect("valid rows");
    (c, base, queries, buckets)
}

fn filtered_truth(
    base: &[f32],
    queries: &[f32],
    keep: impl Fn(usize) -> bool,
    k: usize,
) -> Vec<Vec<usize>> {
    queries
        .chunks_exact(DIM)
        .map(|q| {
            let mut d: Vec<(f32, usize)> = base
                .chunks_exact(DIM)
                .enumerate()
                .filter(|(i, _)| keep(*i))
                .map(|(i, v)| (Metric::Euclidean.distance(q, v), i))
                .collect();
            d.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            d.into_iter().take(k).map(|(_, i)| i).collect()
        })
        .collect()
}

#[test]
fn filtered_search_against_filtered_brute_force() {
    let s = seed("filtered", 0xF117);
    let (c, base, queries, buckets) = filtered_setup(s);
    for (threshold, min_recall) in [(500u64, 0.95), (50, 0.95), (1, 1.0)] {
        let filter = Filter::parse(&json!({ "bucket": { "$lt": threshold } })).unwrap();
        let truth = filtered_truth(&base, &queries, |i| buckets[i] < threshold, 10);
        let (found, paths) = search_rows(&c, &queries, 10, 64, Some(&filter));
        for (f, t) in found.iter().zip(&truth) {
            assert_eq!(f.len(), t.len(), "exactly k whenever k match");
            assert!(
                f.iter().all(|&i| buckets[i] < threshold),
                "a result fails the filter"
            );
        }
        let r = recall_at(&found, &truth, 10);
        let scans = paths
            .iter()
            .filter(|p| **p == SearchPath::ExactScan)
            .count();
        println!(
            "selectivity {:.1}%: recall@10 {r:.4}, exact scans {scans}/100",
            threshold as f64 / 10.0
        );
        assert!(r >= min_recall, "selectivity {threshold}/1000: recall {r}");
        if threshold == 500 {
            assert_eq!(scans, 0, "50% walks the graph");
        } else {
            // At 64 dimensions a filter check costs more than a distance, so the scan wins
            // well above the 2% floor (see `scan_is_cheaper`), and it is exact.
            assert_eq!(found, truth, "{threshold}/1000: identical results");
            assert_eq!(scans, 100, "{threshold}/1000 takes the exact scan");
        }
    }
}

#[test]
fn the_scan_or_walk_choice_has_one_crossover() {
    // Cheaper-to-scan below one selectivity, cheaper-to-walk above it: never flapping, the
    // 2% floor always scans, and a wider candidate list moves the crossover up.
    let s = seed("crossover", 0xC055);
    let (c, _, _, _) = filtered_setup(s);
    let choice = |ef: usize| -> Vec<bool> {
        (1..=100)
            .map(|p| c.scan_is_cheaper(p as f64 / 100.0, ef, 16))
            .collect()
    };
    let cross = |v: &[bool]| v.iter().position(|scan| !scan).unwrap_or(v.len());
    for ef in [16, 64, 256] {
        let v = choice(ef);
        let x = cross(&v);
        println!("ef {ef}: scans up to {x}% selectivity");
        assert!(v[..x].iter().all(|&scan| scan) && v[x..].iter().all(|&scan| !scan));
        assert!(x >= 2, "the 2% floor scans");
        if 2 * 16 * ef * 4 <= 10_000 {
            // An unfiltered walk reaching under a quarter of the nodes beats checking all.
            assert!(
                x < 100,
                "ef {ef}: a filter matching everything walks the graph"
            );
        }
    }
    assert!(cross(&choice(16)) <= cross(&choice(256)));
}

#[test]
fn filtered_search_returns_k_when_matches_are_scattered() {
    // A filter the estimate misjudges (matches only in a few slots) still returns every
    // match: the graph walk comes back short and the scan completes it.
    let s = seed("scattered", 0x5CA7);
    let (c, _, queries, buckets) = filtered_setup(s);
    let filter =
        Filter::parse(&json!({"$or": [{"bucket": 7}, {"tag": "t3", "bucket": {"$lt": 30}}]}))
            .unwrap();
    let matching = buckets
        .iter()
        .filter(|&&b| b == 7 || (b % 7 == 3 && b < 30))
        .count();
    assert!(matching >= 20);
    let r = c
        .search(&SearchQuery::new(&queries[..DIM], 20).filter(&filter))
        .unwrap();
    assert_eq!(r.hits.len(), 20);
    let all = c
        .search(&SearchQuery::new(&queries[..DIM], 10_000).filter(&filter))
        .unwrap();
    assert_eq!(all.hits.len(), matching);
    assert_eq!(all.path, SearchPath::ExactScan);
}

/// Property test over the fuzz target's function: seeded random filter trees, built from
/// valid and invalid operators, wrong types and deep nesting, each parsed and evaluated
/// against random documents. Nothing may panic, `$not` stays the complement (checked inside
/// `check_bytes`), and every refusal is a typed error.
#[test]
fn random_filters_parse_or_fail_typed_and_never_panic() {
    use ruvector_core::filter::check_bytes;
    use ruvector_core::SplitMix64;
    let mut rng = SplitMix64::new(seed("random filters", 0xf1_17e5));
    fn pick<'a>(rng: &mut SplitMix64, xs: &[&'a str]) -> &'a str {
        xs[(rng.next_u64() % xs.len() as u64) as usize]
    }
    fn scalar(rng: &mut SplitMix64) -> Value {
        match rng.next_u64() % 5 {
            0 => Value::Null,
            1 => json!(rng.next_u64().is_multiple_of(2)),
            2 => json!((rng.next_u64() % 100) as f64 / 10.0 - 5.0),
            3 => json!(pick(rng, &["x", "y", "web", "net"])),
            _ => json!([1, "x"]),
        }
    }
    // A document value: scalars, arrays and objects.
    fn value(rng: &mut SplitMix64, depth: usize) -> Value {
        match rng.next_u64() % if depth > 3 { 1 } else { 3 } {
            0 => scalar(rng),
            1 => Value::Array(
                (0..rng.next_u64() % 3)
                    .map(|_| value(rng, depth + 1))
                    .collect(),
            ),
            _ => json!({ "c": value(rng, depth + 1), "d": scalar(rng) }),
        }
    }
    // A filter: mostly well-formed, sometimes an unknown operator, a wrong type or depth.
    fn filter(rng: &mut SplitMix64, depth: usize) -> Value {
        let bad = rng.next_u64().is_multiple_of(10);
        let r = rng.next_u64() % if depth > 36 { 2 } else { 5 };
        let body = match r {
            0 => {
                let op = pick(
                    rng,
                    &["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$exists"],
                );
                let operand = if op == "$exists" {
                    json!(rng.next_u64().is_multiple_of(2))
                } else {
                    scalar(rng)
                };
                json!({ pick(rng, &["a", "b.c", "a.c", "b"]): { op: operand } })
            }
            1 => {
                let op = pick(rng, &["$in", "$nin"]);
                json!({ pick(rng, &["a", "b.c"]): { op: [scalar(rng), scalar(rng)] } })
            }
            2 => json!({ "$not": filter(rng, depth + 1) }),
            3 => json!({ pick(rng, &["a", "b.d"]): { "$not": { "$gt": scalar(rng) } } }),
            _ => {
                let n = 1 + rng.next_u64() % 3;
                let op = pick(rng, &["$and", "$or"]);
                json!({ op: (0..n).map(|_| filter(rng, depth + 1)).collect::<Vec<_>>() })
            }
        };
        if !bad {
            return body;
        }
        match rng.next_u64() % 4 {
            0 => json!({ "a": { pick(rng, &["$where", "$regex", "$size"]): 1 } }),
            1 => json!({ "$and": [] }),
            2 => json!({ "$or": scalar(rng) }),
            _ => scalar(rng),
        }
    }
    let (mut parsed, mut refused) = (0, 0);
    for _ in 0..20_000 {
        let f = filter(&mut rng, 0);
        let doc = json!({ "a": value(&mut rng, 0), "b": value(&mut rng, 0) });
        let bytes = serde_json::to_vec(&f).expect("json");
        match check_bytes(&bytes, &serde_json::to_vec(&doc).expect("json")) {
            Some(Ok(_)) => parsed += 1,
            Some(Err(e)) => {
                assert!(!e.to_string().is_empty());
                refused += 1
            }
            None => panic!("valid JSON reported as not JSON"),
        }
    }
    // Damaged text is not JSON, or is a typed error, never a panic.
    for cut in 0..40 {
        let text = br#"{"$or":[{"a":{"$in":[1,2]}},{"b.c":{"$not":{"$gt":3}}}]}"#;
        let _ = check_bytes(&text[..cut.min(text.len())], b"{}");
    }
    println!("random filters: {parsed} parsed, {refused} refused with typed errors");
    assert!(parsed > 1_000 && refused > 500, "both kinds exercised");
}

#[test]
fn ids_where_lists_exactly_the_live_matches() {
    let mut c = Collection::new(CollectionConfig::new(2)).expect("valid config");
    let items = (0..50)
        .map(|i| {
            let item = Item::new(format!("r{i}"), vec![1.0 + i as f32, 2.0]);
            match i % 5 {
                0 => item, // no metadata: matched as null
                _ => item.with_metadata(json!({ "g": i % 3 })),
            }
        })
        .collect();
    c.insert_batch(items).expect("valid rows");
    c.delete("r1").expect("known id");
    let filter = Filter::parse(&json!({ "g": 1 })).expect("valid filter");
    let want: Vec<String> = (0..50)
        .filter(|i| i % 5 != 0 && i % 3 == 1 && *i != 1)
        .map(|i| format!("r{i}"))
        .collect();
    assert_eq!(c.ids_where(&filter), want);
    let missing = Filter::parse(&json!({ "g": { "$exists": false } })).expect("valid filter");
    assert_eq!(
        c.ids_where(&missing).len(),
        10,
        "records without metadata match $exists: false"
    );
}

#[test]
fn ids_from_pages_through_every_live_record_once() {
    let mut c = Collection::new(CollectionConfig::new(2)).expect("valid config");
    let items = (0..100)
        .map(|i| Item::new(format!("p{i}"), vec![i as f32, 1.0]))
        .collect();
    c.insert_batch(items).expect("valid rows");
    for i in (0..100).step_by(7) {
        c.delete(&format!("p{i}")).expect("known id");
    }
    let (mut seen, mut after) = (Vec::new(), Some(0));
    while let Some(a) = after {
        let (ids, next) = c.ids_from(a, 9);
        assert!(ids.len() <= 9);
        assert!(next.is_none_or(|n| n > a), "the cursor moves on");
        seen.extend(ids);
        after = next;
    }
    let want: Vec<String> = (0..100)
        .filter(|i| i % 7 != 0)
        .map(|i| format!("p{i}"))
        .collect();
    assert_eq!(seen, want);
    assert_eq!(c.ids_from(1000, 5), (Vec::new(), None));
}
