//! Feeds arbitrary bytes to the filter parser and evaluator (`filter::check_bytes`, the
//! same function a CI property test calls): the first byte splits the input into a filter
//! and a metadata document. It must return a filter or a typed error, never panic, and
//! `$not` must stay the complement.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ruvector_core::filter::check_bytes;

fuzz_target!(|data: &[u8]| {
    if let Some((&split, rest)) = data.split_first() {
        let at = (split as usize).min(rest.len());
        let (filter, doc) = rest.split_at(at);
        let _ = check_bytes(filter, doc);
    }
});
