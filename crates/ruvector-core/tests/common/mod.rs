//! Helpers shared by the integration tests: collections built from row-major data whose ids
//! are the row numbers, and searches returning row numbers.
#![allow(dead_code)]

use ruvector_core::{Collection, CollectionConfig, Filter, Item, SearchPath, SearchQuery};

/// Seeds print so a failing run can be replayed.
pub fn seed(name: &str, seed: u64) -> u64 {
    println!("{name}: seed {seed:#x}");
    seed
}

pub fn build(config: CollectionConfig, rows: &[f32]) -> Collection {
    let mut c = Collection::new(config).expect("valid config");
    let items: Vec<Item> = rows
        .chunks_exact(config.dimensions)
        .enumerate()
        .map(|(i, v)| Item::new(i.to_string(), v.to_vec()))
        .collect();
    c.insert_batch(items).expect("valid rows");
    c
}

pub fn search_rows(c: &Collection, queries: &[f32], k: usize, ef: usize, filter: Option<&Filter>) -> (Vec<Vec<usize>>, Vec<SearchPath>) {
    let dim = c.config().dimensions;
    let mut rows = Vec::new();
    let mut paths = Vec::new();
    for q in queries.chunks_exact(dim) {
        let mut query = SearchQuery::new(q, k).ef(ef);
        query.filter = filter;
        let r = c.search(&query).expect("valid query");
        paths.push(r.path);
        rows.push(r.hits.iter().map(|h| h.id.parse::<usize>().expect("numeric id")).collect());
    }
    (rows, paths)
}
