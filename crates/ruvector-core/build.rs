//! Generates the ASCII-folding table of the text analyzer (`text/analyzer.rs`): each Latin
//! letter with diacritics (U+00C0–U+024F, U+1E00–U+1EFF) and the base letter its canonical
//! decomposition starts with, taken from the `unicode-normalization` crate at build time.
//! Linking that crate's decomposition tables for all of Unicode instead cost 18 KB of gzipped
//! wasm; this table is about 2 KB.

use std::fmt::Write;

fn main() {
    let mut table = String::from("&[\n");
    for c in ('\u{00C0}'..='\u{024F}').chain('\u{1E00}'..='\u{1EFF}') {
        let mut base = Vec::new();
        unicode_normalization::char::decompose_canonical(c, |d| {
            if !('\u{0300}'..='\u{036F}').contains(&d) {
                base.push(d);
            }
        });
        if let [b] = base[..] {
            if b != c {
                let _ = writeln!(table, "    ({:?}, {:?}),", c, b);
            }
        }
    }
    table.push_str("]\n");
    let out = std::env::var("OUT_DIR").map(std::path::PathBuf::from);
    if let Ok(dir) = out {
        let _ = std::fs::write(dir.join("latin_fold.rs"), table);
    }
    println!("cargo:rerun-if-changed=build.rs");
}
