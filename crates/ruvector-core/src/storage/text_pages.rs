//! The text page (format version 4): one bucket of the text index's terms, each with its
//! postings. Slots are stored as gaps from the previous one and counts as they are, both in
//! LEB128, so a posting takes two or three bytes rather than eight.

use super::codec::{open_envelope, seal, Kind, Reader, Writer};
use super::RecordError;
use crate::text::postings::Posting;

/// The terms of bucket `bucket`, in byte order, each with its postings in slot order.
#[derive(Clone, Debug, PartialEq)]
pub struct TextPage {
    /// The bucket.
    pub bucket: u32,
    /// `(term, postings)`.
    pub terms: Vec<(String, Vec<Posting>)>,
}

/// Encodes a text page from borrowed terms (what a checkpoint has in memory).
pub fn encode_text_page(key: &str, bucket: u32, terms: &[(&str, &[Posting])]) -> Vec<u8> {
    let mut w = Writer::default();
    w.u32(bucket);
    w.u32(terms.len() as u32);
    for (term, postings) in terms {
        w.bytes(term.as_bytes());
        w.u32(postings.len() as u32);
        let mut last = 0;
        for p in *postings {
            w.varint(p.slot - last);
            w.varint(p.tf);
            last = p.slot;
        }
    }
    seal(key, Kind::TextPage, &w.0)
}

impl TextPage {
    /// The sealed record.
    pub fn encode(&self, key: &str) -> Vec<u8> {
        let terms: Vec<(&str, &[Posting])> = (self.terms.iter())
            .map(|(t, p)| (t.as_str(), &p[..]))
            .collect();
        encode_text_page(key, self.bucket, &terms)
    }

    /// Decodes the record at `key`: terms must be UTF-8, slots ascending (a term stored
    /// twice is refused by the index that restores them).
    pub fn decode(key: &str, bytes: &[u8]) -> Result<TextPage, RecordError> {
        let mut r = Reader::new(key, open_envelope(key, Kind::TextPage, bytes)?);
        let bucket = r.u32()?;
        let n = r.u32()?;
        let mut terms: Vec<(String, Vec<Posting>)> = Vec::new();
        for _ in 0..n {
            let term = String::from_utf8(r.bytes()?.to_vec())
                .map_err(|_| r.corrupt("a term is not UTF-8"))?;
            let count = r.u32()? as usize;
            let mut postings = Vec::with_capacity(count.min(bytes.len() / 2));
            let mut slot: u32 = 0;
            for i in 0..count {
                let gap = r.varint()?;
                if i > 0 && gap == 0 {
                    return Err(r.corrupt(format!("term {term:?} names a slot twice")));
                }
                slot = slot
                    .checked_add(gap)
                    .ok_or_else(|| r.corrupt("slot beyond 32 bits"))?;
                let tf = r.varint()?;
                postings.push(Posting { slot, tf });
            }
            terms.push((term, postings));
        }
        r.finish()?;
        Ok(TextPage { bucket, terms })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_damage() {
        let page = TextPage {
            bucket: 9,
            terms: vec![
                (
                    "alpha".into(),
                    vec![
                        Posting { slot: 0, tf: 1 },
                        Posting {
                            slot: 300,
                            tf: 70_000,
                        },
                    ],
                ),
                (
                    "beta".into(),
                    vec![Posting {
                        slot: u32::MAX - 1,
                        tf: 2,
                    }],
                ),
            ],
        };
        let key = "txt/0000000009/00000000000000000001";
        let bytes = page.encode(key);
        assert_eq!(TextPage::decode(key, &bytes), Ok(page.clone()));
        let mut twice = page;
        twice.terms[1].1.push(Posting {
            slot: u32::MAX - 1,
            tf: 1,
        });
        assert!(
            TextPage::decode(key, &twice.encode(key)).is_err(),
            "a slot twice"
        );
        let mut cut = bytes.clone();
        cut.truncate(bytes.len() - 12);
        assert!(TextPage::decode(key, &cut).is_err());
    }
}
