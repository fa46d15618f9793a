//! Scoring one snapshot against one query: the BM25F sum, coverage, recency and frequency of
//! every item (the formula is in the module docs of [`super`]), and the explanation of the items
//! returned.

use super::{
    prefixed, sort_by, Explanation, ItemKind, ItemRef, Query, RankSettings, RankedItem,
    TermContribution,
};
use crate::snapshot::{GroupView, Posting, Snapshot, TraitView, FIELD_COUNT};

/// A query term resolved against one snapshot.
struct Resolved<'q> {
    id: u32,
    term: &'q str,
    weight: f32,
    idf: f32,
}

/// The factors of one item's score.
pub(super) struct Parts {
    lexical: f32,
    coverage: f32,
    recency: f32,
    frequency: f32,
}

impl Parts {
    pub(super) fn score(&self) -> f32 {
        self.lexical * self.coverage * self.recency * self.frequency
    }
}

pub(super) struct Scorer<'a> {
    snapshot: &'a Snapshot,
    settings: &'a RankSettings,
    /// Sorted by term id, for a merge join with an item's postings.
    terms: Vec<Resolved<'a>>,
    total_weight: f32,
    avg_len: [f32; FIELD_COUNT],
}

impl<'a> Scorer<'a> {
    pub(super) fn new(
        snapshot: &'a Snapshot,
        query: &'a Query,
        settings: &'a RankSettings,
    ) -> Option<Self> {
        let n = snapshot.item_count() as f32;
        let mut terms: Vec<Resolved> = query
            .terms
            .iter()
            .filter_map(|(term, weight)| {
                let id = snapshot.term_id(term)?;
                let df = snapshot.doc_freq(id) as f32;
                Some(Resolved {
                    id,
                    term,
                    weight: *weight,
                    idf: (1.0 + (n - df + 0.5) / (df + 0.5)).ln(),
                })
            })
            .collect();
        sort_by(&mut terms, |a, b| a.id.cmp(&b.id));
        let total_weight: f32 = query.terms.iter().map(|(_, w)| *w).sum();
        if terms.is_empty() || total_weight <= 0.0 {
            return None;
        }
        let avg_len = std::array::from_fn(|f| snapshot.avg_field_len(f).max(1e-3));
        Some(Scorer {
            snapshot,
            settings,
            terms,
            total_weight,
            avg_len,
        })
    }

    /// Lexical score and matched query weight of an item, calling `each` with every matched term's
    /// index and contribution.
    fn lexical(&self, postings: &[Posting], mut each: impl FnMut(usize, f32)) -> (f32, f32) {
        let s = self.settings;
        let mut lens = [0f32; FIELD_COUNT];
        for p in postings {
            if let Some(l) = lens.get_mut(usize::from(p.field)) {
                *l += f32::from(p.tf);
            }
        }
        let norms: [f32; FIELD_COUNT] = std::array::from_fn(|f| {
            let len = lens.get(f).copied().unwrap_or(0.0);
            let avg = self.avg_len.get(f).copied().unwrap_or(1.0);
            (1.0 - s.b + s.b * len / avg).max(1e-3)
        });
        let (mut lexical, mut matched) = (0.0, 0.0);
        let (mut qi, mut pi) = (0, 0);
        while let (Some(q), Some(first)) = (self.terms.get(qi), postings.get(pi)) {
            match q.id.cmp(&first.term) {
                std::cmp::Ordering::Less => qi += 1,
                std::cmp::Ordering::Greater => pi += 1,
                std::cmp::Ordering::Equal => {
                    let mut tf = 0.0;
                    while let Some(p) = postings.get(pi).filter(|p| p.term == q.id) {
                        let f = usize::from(p.field);
                        let w = s.field_weights.get(f).copied().unwrap_or(0.0);
                        tf += w * f32::from(p.tf) / norms.get(f).copied().unwrap_or(1.0);
                        pi += 1;
                    }
                    if tf > 0.0 {
                        let part = q.weight * q.idf * tf * (s.k1 + 1.0) / (tf + s.k1);
                        lexical += part;
                        matched += q.weight;
                        each(qi, part);
                    }
                    qi += 1;
                }
            }
        }
        (lexical, matched)
    }

    fn coverage(&self, matched: f32) -> f32 {
        let share = (matched / self.total_weight).clamp(0.0, 1.0);
        if share <= 0.0 {
            return 0.0;
        }
        // share^exponent as 2^(exponent · log2 share): `exp2` is already used for recency, and
        // `powf` would be 1.5 KB more wasm to compile on a cold start.
        (self.settings.coverage_exponent * share.log2()).exp2()
    }

    /// Every item with a lexical match, with its score and factors. The scoring loops are kept out
    /// of `rank_query` (and each other): V8 recompiles hot functions whole on a cold start, and
    /// small ones recompile quickly.
    #[inline(never)]
    pub(super) fn candidates(&self, now_ms: i64) -> Vec<(f32, Parts, ItemRef)> {
        let mut candidates = Vec::new();
        for (i, t) in self.snapshot.traits().enumerate() {
            if let Some(parts) = self.trait_parts(&t) {
                candidates.push((parts.score(), parts, ItemRef::Trait(i)));
            }
        }
        for (i, g) in self.snapshot.groups().enumerate() {
            if let Some(parts) = self.group_parts(&g, now_ms) {
                candidates.push((parts.score(), parts, ItemRef::Group(i)));
            }
        }
        candidates
    }

    #[inline(never)]
    fn trait_parts(&self, t: &TraitView) -> Option<Parts> {
        let (lexical, matched) = self.lexical(t.postings, |_, _| {});
        if lexical <= 0.0 {
            return None;
        }
        let s = self.settings;
        let recency = if t.withheld.is_some() {
            s.trait_recency * s.withheld_weight
        } else {
            s.trait_recency
        };
        Some(Parts {
            lexical,
            coverage: self.coverage(matched),
            recency,
            frequency: 1.0,
        })
    }

    #[inline(never)]
    fn group_parts(&self, g: &GroupView, now_ms: i64) -> Option<Parts> {
        let (lexical, matched) = self.lexical(g.postings, |_, _| {});
        if lexical <= 0.0 {
            return None;
        }
        let s = self.settings;
        let age_hours = now_ms.saturating_sub(g.last_ms()).max(0) as f32 / 3_600_000.0;
        let recency =
            s.recency_floor + (1.0 - s.recency_floor) * (-age_hours / s.half_life_hours).exp2();
        let frequency = 1.0 + s.frequency_weight * (g.count() as f32).ln();
        Some(Parts {
            lexical,
            coverage: self.coverage(matched),
            recency,
            frequency,
        })
    }

    fn contributions(&self, postings: &[Posting]) -> Vec<TermContribution> {
        let mut out = Vec::new();
        self.lexical(postings, |qi, score| {
            if let Some(q) = self.terms.get(qi) {
                out.push(TermContribution {
                    term: q.term.to_string(),
                    weight: q.weight,
                    idf: q.idf,
                    score,
                });
            }
        });
        out
    }

    /// The returned form of a scored item: its id and an explanation of `parts`.
    pub(super) fn ranked_item(
        &self,
        item: ItemRef,
        parts: Parts,
        now_ms: i64,
    ) -> Option<RankedItem> {
        let (id, kind, postings, age_seconds, count) = match item {
            ItemRef::Trait(i) => {
                let t = self.snapshot.trait_at(i)?;
                (
                    prefixed("trait:", t.key),
                    ItemKind::Trait,
                    t.postings,
                    None,
                    None,
                )
            }
            ItemRef::Group(i) => {
                let g = self.snapshot.group_at(i)?;
                let age = now_ms.saturating_sub(g.last_ms()).max(0) / 1000;
                (
                    prefixed("event:", g.last_message_id()),
                    ItemKind::Event,
                    g.postings,
                    Some(age),
                    Some(g.count()),
                )
            }
        };
        Some(RankedItem {
            id,
            kind,
            score: parts.score(),
            explain: Explanation {
                lexical: parts.lexical,
                coverage: parts.coverage,
                recency: parts.recency,
                frequency: parts.frequency,
                age_seconds,
                count,
                terms: self.contributions(postings),
            },
            item,
        })
    }
}
