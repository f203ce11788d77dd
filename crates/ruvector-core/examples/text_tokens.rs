//! Prints the terms the text analyzer (default settings: English stemming, ASCII folding, no
//! stop words) makes of each line of standard input, one JSON array per line: the token
//! streams `scripts/bm25-reference.py` scores with its own BM25, so that the reference checks
//! the scorer and the analyzer has tests of its own.
//!
//! `cargo run -q -p ruvector-core --example text_tokens < lines.txt > tokens.jsonl`

use std::io::{BufRead, Write};

use ruvector_core::text::Analyzer;
use ruvector_core::TextConfig;

fn main() -> std::io::Result<()> {
    let analyzer = Analyzer::new(TextConfig::default());
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in std::io::stdin().lock().lines() {
        let terms = analyzer.terms(&line?);
        let json = serde_json::to_string(&terms).map_err(std::io::Error::other)?;
        writeln!(out, "{json}")?;
    }
    out.flush()
}
