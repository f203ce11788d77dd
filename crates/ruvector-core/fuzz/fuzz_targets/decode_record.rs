//! Feeds arbitrary bytes to the record decoder under every kind of key, both as raw values
//! (exercising the envelope) and sealed with a valid envelope and checksum (exercising the
//! body decoders behind it). It must return a value or a typed error, never panic or loop.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ruvector_core::storage::codec::{seal, Kind};
use ruvector_core::storage::records::decode_any;

const KEYS: [(&str, Kind); 5] = [
    ("manifest", Kind::Manifest),
    ("log/00000000000000000007", Kind::Log),
    ("vec/0000000000/00000000000000000003", Kind::VectorPage),
    ("graph/0000000000/00000000000000000003", Kind::GraphPage),
    ("meta/0000000000/00000000000000000003", Kind::MetaPage),
];

fuzz_target!(|data: &[u8]| {
    if let Some((&which, bytes)) = data.split_first() {
        let (key, kind) = KEYS[(which & 0x7f) as usize % KEYS.len()];
        if which & 0x80 == 0 {
            let _ = decode_any(key, bytes);
        } else {
            let _ = decode_any(key, &seal(key, kind, bytes));
        }
    }
});
