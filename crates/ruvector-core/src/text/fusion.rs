//! Fusing a text ranking with a vector ranking into one, as hybrid search does.

use std::collections::HashMap;

/// The `k` of reciprocal rank fusion when none is given (Cormack et al., 2009).
pub const DEFAULT_RANK_CONSTANT: u32 = 60;

/// How two rankings become one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fusion {
    /// Reciprocal rank fusion: each list adds 1 / (`rank_constant` + rank), ranks from 1.
    /// Needs no comparable scores. The default, with rank constant 60.
    Rrf {
        /// Damps the weight of the top ranks; larger is flatter.
        rank_constant: u32,
    },
    /// Each list's scores are min–max normalised to 0..1 (all 1 when they are equal), then
    /// added with these weights; a record missing from a list gets 0 from it.
    Weighted {
        /// The text list's weight.
        text: f32,
        /// The vector list's weight.
        vector: f32,
    },
}

impl Default for Fusion {
    /// RRF with rank constant 60.
    fn default() -> Self {
        Fusion::Rrf {
            rank_constant: DEFAULT_RANK_CONSTANT,
        }
    }
}

/// An entry of a ranking: a record (a slot, whose order breaks ties) and its score, larger
/// is better.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ranked {
    /// The record.
    pub slot: u32,
    /// Its score in the list.
    pub score: f32,
}

/// `(score, slot)` as one integer that sorts ascending in the ranking order: larger score
/// first, then lower slot. Rankings are ordered as `u64`s: each element type is a copy of
/// the standard library's sort in the browser build, and the crate has one for `u64`.
pub(crate) fn rank_key(r: Ranked) -> u64 {
    let b = r.score.to_bits();
    let ascending = if b >> 31 == 1 { !b } else { b | 1 << 31 };
    (u64::from(!ascending) << 32) | u64::from(r.slot)
}

/// The entry [`rank_key`] made `key` from.
pub(crate) fn from_rank_key(key: u64) -> Ranked {
    let ascending = !((key >> 32) as u32);
    let b = if ascending >> 31 == 1 {
        ascending & !(1 << 31)
    } else {
        !ascending
    };
    Ranked {
        slot: key as u32,
        score: f32::from_bits(b),
    }
}

/// The fused ranking of `text` and `vector` (each best first, a record at most once),
/// best first; equal fused scores go to the lower slot (the earlier written record).
pub fn fuse(fusion: Fusion, text: &[Ranked], vector: &[Ranked]) -> Vec<Ranked> {
    let mut sum: HashMap<u32, f32> = HashMap::with_capacity(text.len() + vector.len());
    for (list, weight) in [(text, 0), (vector, 1)] {
        let add =
            |sum: &mut HashMap<u32, f32>, slot: u32, s: f32| *sum.entry(slot).or_default() += s;
        match fusion {
            Fusion::Rrf { rank_constant } => {
                for (i, r) in list.iter().enumerate() {
                    add(
                        &mut sum,
                        r.slot,
                        1.0 / (rank_constant as f32 + i as f32 + 1.0),
                    );
                }
            }
            Fusion::Weighted {
                text: wt,
                vector: wv,
            } => {
                let w = if weight == 0 { wt } else { wv };
                let (lo, hi) = list
                    .iter()
                    .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), r| {
                        (lo.min(r.score), hi.max(r.score))
                    });
                for r in list {
                    let norm = if hi > lo {
                        (r.score - lo) / (hi - lo)
                    } else {
                        1.0
                    };
                    add(&mut sum, r.slot, w * norm);
                }
            }
        }
    }
    let mut keys: Vec<u64> = (sum.into_iter())
        .map(|(slot, score)| rank_key(Ranked { slot, score }))
        .collect();
    keys.sort_unstable();
    keys.into_iter().map(from_rank_key).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[(u32, f32)]) -> Vec<Ranked> {
        entries
            .iter()
            .map(|&(slot, score)| Ranked { slot, score })
            .collect()
    }

    #[test]
    fn rank_keys_order_by_score_then_slot_and_round_trip() {
        let entries = list(&[
            (3, 1.5),
            (1, 1.5),
            (0, -2.0),
            (9, 0.0),
            (2, 7.25),
            (4, -0.0),
        ]);
        let mut keys: Vec<u64> = entries.iter().map(|&r| rank_key(r)).collect();
        keys.sort_unstable();
        let back: Vec<Ranked> = keys.into_iter().map(from_rank_key).collect();
        let slots: Vec<u32> = back.iter().map(|r| r.slot).collect();
        assert_eq!(slots, [2, 1, 3, 9, 4, 0]);
        for r in &entries {
            assert!(back
                .iter()
                .any(|b| b.slot == r.slot && b.score.to_bits() == r.score.to_bits()));
        }
    }

    #[test]
    fn rrf_adds_reciprocal_ranks() {
        let t = list(&[(1, 9.0), (2, 5.0)]);
        let v = list(&[(2, 0.9), (3, 0.8)]);
        let f = fuse(Fusion::Rrf { rank_constant: 60 }, &t, &v);
        let ids: Vec<u32> = f.iter().map(|r| r.slot).collect();
        assert_eq!(ids, [2, 1, 3]);
        assert!((f[0].score - (1.0 / 62.0 + 1.0 / 61.0)).abs() < 1e-7);
        // 1 and 3 are both first or second in one list only: 1/61 against 1/62.
        assert!((f[1].score - 1.0 / 61.0).abs() < 1e-7);
    }

    #[test]
    fn equal_fused_scores_go_to_the_lower_slot() {
        let t = list(&[(7, 1.0)]);
        let v = list(&[(4, 1.0)]);
        let f = fuse(Fusion::default(), &t, &v);
        assert_eq!(f.iter().map(|r| r.slot).collect::<Vec<_>>(), [4, 7]);
    }

    #[test]
    fn weighted_normalises_each_list() {
        let t = list(&[(1, 20.0), (2, 10.0), (3, 0.0)]);
        let v = list(&[(3, 0.5), (1, 0.25)]);
        let f = fuse(
            Fusion::Weighted {
                text: 0.7,
                vector: 0.3,
            },
            &t,
            &v,
        );
        let score = |s: u32| f.iter().find(|r| r.slot == s).map(|r| r.score);
        assert_eq!(score(1), Some(0.7));
        assert!((score(2).unwrap_or(0.0) - 0.35).abs() < 1e-6);
        assert_eq!(score(3), Some(0.3));
        let one = fuse(
            Fusion::Weighted {
                text: 1.0,
                vector: 1.0,
            },
            &list(&[(5, 3.0)]),
            &[],
        );
        assert_eq!(
            one,
            list(&[(5, 1.0)]),
            "a list of equal scores normalises to 1"
        );
    }
}
