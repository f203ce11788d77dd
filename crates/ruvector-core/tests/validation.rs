//! Risk: bad input that slips in, or that changes the collection before it is refused.

use ruvector_core::{
    Collection, CollectionConfig, CreateError, DeleteError, HnswParams, IdError, IndexKind,
    InsertError, Item, MetadataError, Metric, SearchError, SearchQuery, UpsertError, Upserted,
    VectorError, MAX_ID_BYTES,
};
use serde_json::json;

fn db(metric: Metric) -> Collection {
    Collection::new(CollectionConfig::new(4).metric(metric)).expect("valid config")
}

/// Everything observable about a collection, to prove an error changed nothing.
fn snapshot(
    c: &Collection,
) -> (
    usize,
    Vec<String>,
    Vec<Option<ruvector_core::StoredItem>>,
    ruvector_core::SearchResults,
) {
    let ids: Vec<String> = c.ids().map(str::to_owned).collect();
    let records = ids.iter().map(|id| c.get(id).expect("in memory")).collect();
    let res = c
        .search(&SearchQuery::new(&[0.1, 0.2, 0.3, 0.4], 10))
        .expect("valid query");
    (c.len(), ids, records, res)
}

/// A batch and a check of the error it must produce.
type Expect = fn(&InsertError) -> bool;

fn seeded() -> Collection {
    let mut c = db(Metric::Cosine);
    c.insert_batch(vec![
        Item::new("a", vec![1.0, 0.0, 0.0, 0.0]).with_metadata(json!({"kind": "x"})),
        Item::new("b", vec![0.0, 1.0, 0.0, 0.0]),
        Item::new("c", vec![0.0, 0.0, 1.0, 0.5]),
    ])
    .expect("valid batch");
    c
}

#[test]
fn create_rejects_bad_config() {
    assert!(matches!(
        Collection::new(CollectionConfig::new(0)),
        Err(CreateError::Dimensions { got: 0, .. })
    ));
    assert!(matches!(
        Collection::new(CollectionConfig::new(100_000)),
        Err(CreateError::Dimensions { .. })
    ));
    let bad = HnswParams {
        m: 1,
        ..HnswParams::default()
    };
    let err = Collection::new(CollectionConfig::new(8).hnsw(bad)).unwrap_err();
    assert!(matches!(
        err,
        CreateError::HnswParam {
            name: "m",
            got: 1,
            ..
        }
    ));
    assert!(err.to_string().contains("m = 1"));
}

#[test]
fn every_bad_insert_is_typed_and_changes_nothing() {
    let mut c = seeded();
    let before = snapshot(&c);
    let v = || vec![0.5, 0.5, 0.5, 0.5];
    let cases: Vec<(Vec<Item>, Expect)> = vec![
        (vec![Item::new("d", vec![1.0, 2.0])], |e| {
            matches!(
                e,
                InsertError::Vector {
                    item: 0,
                    source: VectorError::DimensionMismatch {
                        expected: 4,
                        got: 2
                    }
                }
            )
        }),
        (vec![Item::new("d", vec![1.0, f32::NAN, 0.0, 0.0])], |e| {
            matches!(
                e,
                InsertError::Vector {
                    source: VectorError::NonFinite { position: 1 },
                    ..
                }
            )
        }),
        (
            vec![Item::new("d", vec![1.0, 0.0, f32::INFINITY, 0.0])],
            |e| {
                matches!(
                    e,
                    InsertError::Vector {
                        source: VectorError::NonFinite { position: 2 },
                        ..
                    }
                )
            },
        ),
        (vec![Item::new("d", vec![0.0; 4])], |e| {
            matches!(
                e,
                InsertError::Vector {
                    source: VectorError::ZeroNorm,
                    ..
                }
            )
        }),
        (vec![Item::new("", v())], |e| {
            matches!(
                e,
                InsertError::Id {
                    source: IdError::Empty,
                    ..
                }
            )
        }),
        (vec![Item::new("x".repeat(MAX_ID_BYTES + 1), v())], |e| {
            matches!(
                e,
                InsertError::Id {
                    source: IdError::TooLong { .. },
                    ..
                }
            )
        }),
        (
            vec![Item::new("a", v())],
            |e| matches!(e, InsertError::DuplicateId { id, .. } if id == "a"),
        ),
        (
            vec![Item::new("d", v()).with_metadata(json!([1, 2]))],
            |e| {
                matches!(
                    e,
                    InsertError::Metadata {
                        source: MetadataError::NotObject("an array"),
                        ..
                    }
                )
            },
        ),
        // Batches: one bad item anywhere refuses the whole batch.
        (
            vec![
                Item::new("d", v()),
                Item::new("e", v()),
                Item::new("d", v()),
            ],
            |e| {
                matches!(
                    e,
                    InsertError::DuplicateInBatch {
                        first: 0,
                        second: 2,
                        ..
                    }
                )
            },
        ),
        (
            vec![
                Item::new("d", v()),
                Item::new("e", v()),
                Item::new("f", vec![1.0]),
            ],
            |e| matches!(e, InsertError::Vector { item: 2, .. }),
        ),
    ];
    for (i, (items, expected)) in cases.into_iter().enumerate() {
        let err = c.insert_batch(items).unwrap_err();
        assert!(expected(&err), "case {i}: unexpected error {err:?}");
        assert!(!err.to_string().is_empty());
        assert_eq!(snapshot(&c), before, "case {i} changed the collection");
    }
}

#[test]
fn bad_upserts_deletes_and_searches_change_nothing() {
    let mut c = seeded();
    let before = snapshot(&c);
    assert!(matches!(
        c.upsert("new", None, Some(json!({}))),
        Err(UpsertError::MissingVector(_))
    ));
    assert!(matches!(
        c.upsert("a", Some(&[1.0]), None),
        Err(UpsertError::Vector(VectorError::DimensionMismatch { .. }))
    ));
    assert!(matches!(
        c.upsert("a", None, Some(json!("s"))),
        Err(UpsertError::Metadata(MetadataError::NotObject("a string")))
    ));
    assert!(matches!(
        c.upsert("", Some(&[1.0; 4]), None),
        Err(UpsertError::Id(IdError::Empty))
    ));
    assert_eq!(c.delete("nope"), Err(DeleteError::UnknownId("nope".into())));
    let q = [0.0f32; 4];
    assert!(matches!(
        c.search(&SearchQuery::new(&q, 3)),
        Err(SearchError::Vector(VectorError::ZeroNorm))
    ));
    assert!(matches!(
        c.search(&SearchQuery::new(&[1.0; 3], 3)),
        Err(SearchError::Vector(_))
    ));
    assert!(matches!(
        c.search(&SearchQuery::new(&[1.0; 4], 0)),
        Err(SearchError::K { got: 0, .. })
    ));
    assert!(matches!(
        c.search(&SearchQuery::new(&[1.0; 4], 1_000_000)),
        Err(SearchError::K { .. })
    ));
    assert!(matches!(
        c.search(&SearchQuery::new(&[1.0; 4], 3).ef(0)),
        Err(SearchError::Ef { got: 0, .. })
    ));
    assert_eq!(snapshot(&c), before);
}

#[test]
fn crud_round_trip() {
    let mut c = seeded();
    assert_eq!(c.len(), 3);
    let a = c.get("a").expect("in memory").unwrap();
    assert_eq!(a.metadata, Some(json!({"kind": "x"})));
    // Upsert metadata only: vector kept.
    assert_eq!(
        c.upsert("a", None, Some(json!({"kind": "y"}))).unwrap(),
        Upserted::Updated
    );
    assert_eq!(c.get("a").expect("in memory").unwrap().vector, a.vector);
    assert_eq!(
        c.get("a").expect("in memory").unwrap().metadata,
        Some(json!({"kind": "y"}))
    );
    // Upsert vector only: metadata kept, search sees the new vector.
    c.upsert("a", Some(&[0.0, 0.0, 0.0, 2.0]), None).unwrap();
    assert_eq!(
        c.get("a").expect("in memory").unwrap().metadata,
        Some(json!({"kind": "y"}))
    );
    let top = c
        .search(&SearchQuery::new(&[0.0, 0.0, 0.0, 1.0], 1))
        .unwrap();
    assert_eq!(top.hits[0].id, "a");
    // Clearing metadata with null.
    c.upsert("a", None, Some(serde_json::Value::Null)).unwrap();
    assert_eq!(c.get("a").expect("in memory").unwrap().metadata, None);
    // Upsert of a new id inserts.
    assert_eq!(
        c.upsert("z", Some(&[1.0, 1.0, 0.0, 0.0]), None).unwrap(),
        Upserted::Inserted
    );
    assert_eq!(c.len(), 4);
    c.delete("b").unwrap();
    assert_eq!(c.len(), 3);
    assert!(c.get("b").expect("in memory").is_none());
    assert!(!c.contains("b"));
    let all = c
        .search(&SearchQuery::new(&[0.0, 1.0, 0.0, 0.0], 10))
        .unwrap();
    assert_eq!(all.hits.len(), 3);
    assert!(all.hits.iter().all(|h| h.id != "b"));
    // A deleted id can be inserted again.
    c.insert(Item::new("b", vec![0.0, 1.0, 0.0, 0.0])).unwrap();
    assert_eq!(
        c.search(&SearchQuery::new(&[0.0, 1.0, 0.0, 0.0], 1))
            .unwrap()
            .hits[0]
            .id,
        "b"
    );
    // One replaced vector and one delete are held as tombstones.
    assert_eq!(c.stats().tombstones, 2);
}

#[test]
fn cosine_get_returns_the_vector_as_given() {
    let mut c = db(Metric::Cosine);
    let v = vec![3.5f32, -1.25e-3, 1.0e4, 7.0];
    c.insert(Item::new("v", v.clone())).unwrap();
    let got = c.get("v").expect("in memory").unwrap().vector;
    for (x, y) in v.iter().zip(&got) {
        assert!(
            (x - y).abs() <= 1e-6 * x.abs().max(1e-30) + 1e-6 * 1e4 * f32::EPSILON,
            "{x} vs {y}"
        );
    }
}

#[test]
fn generated_ids_are_unique_uuids() {
    let mut c = db(Metric::Euclidean);
    let items: Vec<Item> = (0..500)
        .map(|i| Item {
            vector: vec![i as f32, 1.0, 2.0, 3.0],
            ..Item::default()
        })
        .collect();
    let ids = c.insert_batch(items).unwrap();
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), 500);
    for id in &ids {
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4", "version-4 uuid: {id}");
        assert!(c.contains(id));
    }
}

#[test]
fn results_carry_distance_score_metadata_and_vectors() {
    for index in [IndexKind::Flat, IndexKind::Hnsw] {
        let mut c = Collection::new(
            CollectionConfig::new(2)
                .metric(Metric::Euclidean)
                .index(index),
        )
        .unwrap();
        c.insert(Item::new("p", vec![3.0, 4.0]).with_metadata(json!({"n": 1})))
            .unwrap();
        let mut q = SearchQuery::new(&[0.0, 0.0], 1);
        q.include_metadata = true;
        q.include_vectors = true;
        let h = &c.search(&q).unwrap().hits[0];
        assert_eq!((h.distance, h.score), (5.0, -5.0));
        assert_eq!(h.metadata, Some(json!({"n": 1})));
        assert_eq!(h.vector.as_deref(), Some(&[3.0, 4.0][..]));
        let plain = &c.search(&SearchQuery::new(&[0.0, 0.0], 1)).unwrap().hits[0];
        assert_eq!(
            (plain.metadata.as_ref(), plain.vector.as_ref()),
            (None, None)
        );
    }
}

#[test]
fn ties_go_to_the_lower_internal_id() {
    for index in [IndexKind::Flat, IndexKind::Hnsw] {
        let mut c = Collection::new(
            CollectionConfig::new(3)
                .metric(Metric::Euclidean)
                .index(index),
        )
        .unwrap();
        for id in ["m", "c", "x", "a"] {
            c.insert(Item::new(id, vec![1.0, 1.0, 1.0])).unwrap();
        }
        let hits = c
            .search(&SearchQuery::new(&[0.0, 0.0, 0.0], 4))
            .unwrap()
            .hits;
        let order: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(
            order,
            ["m", "c", "x", "a"],
            "{index:?}: insertion order breaks ties"
        );
    }
}

/// Metadata limits: too deep or too large is refused by a typed error, and the collection is
/// unchanged; at the limits it is accepted.
#[test]
fn metadata_limits_are_enforced_without_recursion() {
    use ruvector_core::{MAX_METADATA_BYTES, MAX_METADATA_DEPTH};
    let mut c = Collection::new(CollectionConfig::new(3)).expect("collection");
    let nest = |depth: usize| {
        let mut v = json!(1);
        for _ in 1..depth {
            v = json!({ "a": v });
        }
        v
    };
    let big = |len: usize| json!({ "s": "x".repeat(len - 8) }); // {"s":"…"} is 8 bytes more
    let v = vec![1.0, 2.0, 3.0];
    let insert =
        |c: &mut Collection, m| c.insert_batch(vec![Item::new("m", v.clone()).with_metadata(m)]);
    // As deep as serde_json parses (128): refused, not walked recursively. (Deeper values
    // cannot even be dropped safely; the wasm layer parses JSON text, which stops at 128.)
    assert!(matches!(
        insert(&mut c, nest(127)),
        Err(InsertError::Metadata {
            source: MetadataError::TooDeep,
            ..
        })
    ));
    assert!(matches!(
        insert(&mut c, nest(MAX_METADATA_DEPTH + 2)), // MAX + 1 objects around a number
        Err(InsertError::Metadata {
            source: MetadataError::TooDeep,
            ..
        })
    ));
    assert!(matches!(
        insert(&mut c, big(MAX_METADATA_BYTES + 1)),
        Err(InsertError::Metadata {
            source: MetadataError::TooLarge,
            ..
        })
    ));
    assert!(matches!(
        c.upsert("m", Some(&v), Some(big(MAX_METADATA_BYTES + 1))),
        Err(UpsertError::Metadata(MetadataError::TooLarge))
    ));
    assert_eq!(c.len(), 0, "nothing was inserted");
    insert(&mut c, big(MAX_METADATA_BYTES)).expect("exactly the size limit");
    c.upsert("m", None, Some(nest(MAX_METADATA_DEPTH + 1)))
        .expect("exactly the depth limit");
    assert_eq!(c.len(), 1);
}

/// A binding's warm-up search, taken back off the counter, leaves what a user reads as it was.
#[test]
fn an_uncounted_search_leaves_the_counter_as_it_was() {
    let c = seeded();
    let before = c.stats().distance_evaluations;
    let found = c
        .search(&SearchQuery::new(&[1.0, 1.0, 1.0, 1.0], 10))
        .expect("valid query");
    assert_eq!(found.hits.len(), 3);
    assert!(c.stats().distance_evaluations > before, "it searched");
    c.uncount(found.evaluations);
    assert_eq!(c.stats().distance_evaluations, before);
}
