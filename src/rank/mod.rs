//! The lexical-plus-recency relevance model.
//!
//! Every trait and every event group of a [`Snapshot`] is scored against a [`Query`] and a `now`
//! timestamp (no clock is read). The query's typed words `u` (stop words dropped, at most
//! [`MAX_QUERY_WORDS`]) each stand for terms `t` looked up in the snapshot: the word's stem
//! (weight 1), the general CDP lexicon's expansions ([`RankSettings::expansion_weight`]), and the
//! thesaurus links the snapshot compiled for its own words from WordNet 3.0 (synonyms and
//! derivations at `related_weight`, more general words at `broader_weight`, more specific at
//! `narrower_weight`). An item's fields `f` are its name, property keys, values and the
//! initialisms of its phrases (`personal training` → `pt`), weighted by `field_weights`. The
//! query's time expressions ("tonight", "last weekend", "before April"), read in the person's time
//! zone, form one more query word `τ` matched by the item's times (occurrences, dates in values):
//!
//! ```text
//! tf'(t,d)    = Σ_f  W_f · tf(t,d,f) / (1 − b + b · len(d,f) / avglen(f))      (BM25F)
//! lexical(d)  = Σ_t  w_t · idf(t) · tf'(t,d) · (k1 + 1) / (tf'(t,d) + k1)
//!             + time_weight · idf(τ) · m(d) · (k1 + 1) / (m(d) + k1)          (m: time match 0..1)
//! idf(t)      = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))                   (N: items, not events)
//! matched(d)  = Σ_u max{min(w_t, 1) : t stands for u and matches d} + time_weight · m(d)
//! coverage(d) = (matched(d) / (|u| + time_weight [if the query has times])) ^ coverage_exponent
//! recency(d)  = floor + (1 − floor) · 2^(−age(d) / half_life)              (events)
//!             = trait_recency (· withheld_weight) (· metric_weight)     (traits)
//! freq(d)     = 1 + frequency_weight · ln(count(d))
//! rel(d)      = lexical(d) · coverage(d) · recency(d) · freq(d)
//! ```
//!
//! Then, in order: **threads**: the best `thread_seeds` items' rare values (in 2..=`thread_max_df`
//! items: an order id, a claim number) add `thread_weight` × the seed's score to the other items
//! holding them; **salience**, for questions that ask for what matters ("anything I need to sort
//! out?", `text::cues`): `score = rel / max rel + salience_weight · salience(d)` (see
//! `salience.rs`: recent and rare events, open states, dates coming up), and with no content word
//! salient items that matched nothing join in; **repeats**: the k-th best event of a name keeps
//! `repeat_decay^k` of its score. [`Explanation`] reports every factor.
//!
//! **What a single profile's IDF gets wrong.** A profile is a few hundred items, many of them the
//! same event repeated (441 `Page Viewed`). Counting *event groups* (identical events collapsed at
//! compile time) makes `N` and `df` measure distinct facts; a word in nearly every item (`product`,
//! the schema's own vocabulary) still gets an IDF near zero, as it should.
//!
//! **Recent but irrelevant.** Recency multiplies relevance, it never adds to it: an event from ten
//! seconds ago that shares no word and no time with the query scores zero and is not returned
//! (only salience, for questions that ask for it, adds). Among relevant events, the newest win; an
//! old but specific event keeps at least `floor` of its weight.
//!
//! **Coverage** counts typed words, not terms: "running shoes in my size" prefers the product added
//! *in size 10.5* over the dozens of running-shoe page views, and a word's many thesaurus links add
//! reach without diluting the query.
//!
//! **Conversations.** [`Query::conversation`] reads a conversation's user turns as one query: a word
//! of the last turn weighs 1, a word first met `k` turns earlier [`RankSettings::turn_decay`]`^k`
//! (in `lexical` as `w_t`, in `coverage` as the word's unit), over the last
//! [`RankSettings::max_turns`] turns; cue and time expressions follow the last turn.
//!
//! Order is deterministic: score descending ([`f32::total_cmp`]), then id ascending.

use serde::Serialize;

mod query;
mod salience;
mod score;

pub use query::{LinkKey, Query, QueryTerm, MAX_QUERY_WORDS};

use crate::errors::SettingsError;
use crate::snapshot::{Snapshot, FIELD_COUNT};
use score::Scorer;

/// Every constant of the model, with its default.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankSettings {
    /// How many items `rank` returns. Default 10.
    pub limit: usize,
    /// BM25 term-frequency saturation. Default 1.2.
    pub k1: f32,
    /// BM25 length normalisation, 0 (none) to 1 (full). Default 0.5: CDP fields are short, and a
    /// long product name should not be punished much for its length.
    pub b: f32,
    /// Weights of the fields name (trait key, event name), property keys, values, and the
    /// initialisms of the name's and values' phrases. Default `[3.0, 0.5, 1.0, 1.0]`: a trait
    /// named `shoe_size` is about shoe size; a property key `size` only says the event has a size;
    /// a `pt` typed may or may not mean the `personal training` a phrase abbreviates.
    pub field_weights: [f32; FIELD_COUNT],
    /// Weight of a word reached through the lexicon rather than typed. Default 0.35.
    pub expansion_weight: f32,
    /// Exponent on the matched share of the query's weight. 0 switches coverage off. Default 1.0.
    pub coverage_exponent: f32,
    /// Half-life of an event's recency, in hours. Default 336 (two weeks).
    pub half_life_hours: f32,
    /// The least recency factor an event keeps however old, 0..=1. Default 0.5: a specific old
    /// event (the racket viewed last month) still beats a vague recent one.
    pub recency_floor: f32,
    /// The recency factor of traits, which describe the present (as fresh as a just-seen event,
    /// slightly favoured since a trait is the profile's summary). Default 1.2.
    pub trait_recency: f32,
    /// Factor for a trait whose value the privacy policy withholds: the context can only say it is
    /// on file, so it is worth less than a fact it can state. Default 0.5.
    pub withheld_weight: f32,
    /// Weight of `ln(count)` for repeated events. Default 0: repetition earns nothing by itself (the repeats factor damps it instead).
    pub frequency_weight: f32,
    /// Items scoring at or below this are not returned. Default 0.
    pub min_score: f32,
    /// Most distinct words taken from a query (the rest is ignored). Default 32.
    pub max_query_terms: usize,
    /// Weight of the query's time expressions ("tonight", "last weekend", "on 5 December") as
    /// one query word, matched by an item's occurrence times and the dates in its values
    /// ([`crate::text::when`]). 0 switches time matching off. Default 1.0.
    pub time_weight: f32,
    /// Factor for traits whose key names a computed metric (`…_rate`, `…_risk`, `…_score`,
    /// `…_count`, `…_id`): they describe the profile, not the situation asked about. Default 0.4.
    pub metric_weight: f32,
    /// Most time windows read from one query. Default 4.
    pub max_time_windows: usize,
    /// Weight of a profile word the thesaurus gives as a synonym or derivation of a typed word
    /// (`fix` → `repair`). Default 0.3.
    pub related_weight: f32,
    /// Weight of a profile word the thesaurus gives as more general than a typed word
    /// (`couch` → `seat`). Default 0.15.
    pub broader_weight: f32,
    /// Weight of a profile word the thesaurus gives as more specific than a typed word
    /// (`collision` → `fender bender`, read from the profile's side). Default 0.15.
    pub narrower_weight: f32,
    /// For questions that ask for what matters ("anything new?", "any update on …?", "how am I
    /// doing?"; [`crate::text::cues`]): the weight of an item's salience (recent and rare events,
    /// open states, dates coming up) added to its relevance divided by the best relevance.
    /// 0 switches salience off. Default 0.5.
    pub salience_weight: f32,
    /// How far ahead a date counts as coming up, in days. Default 45.
    pub salience_horizon_days: f32,
    /// Factor on the score of each further event of a name already ranked higher (the second
    /// `Payment Received` keeps this much, the third its square): varied facts over repeats.
    /// 1 switches it off. Default 0.5.
    pub repeat_decay: f32,
    /// How many of the best items lend their rare values to the items that share them. Default 1.
    pub thread_seeds: usize,
    /// Most items a value may be in to count as a thread between them (an order id, not a
    /// currency). Default 6.
    pub thread_max_df: usize,
    /// Share of a seed's score added to an item that shares one of its rare values. 0 switches
    /// threads off. Default 0.3.
    pub thread_weight: f32,
    /// Most bytes of a query read: of a longer one (a pasted document, a hostile 1 MB message),
    /// the first and the last half of this many, cut at character boundaries, so a question
    /// before or after the paste is still seen. Default 4096.
    pub max_query_bytes: usize,
    /// Weight of a conversation's earlier user turns, per turn back ([`Query::conversation`]):
    /// a word first met `k` turns before the last weighs `turn_decay^k`. 0 reads the last turn
    /// only. Default 0.5: the one word of a follow-up ("and in blue?") still outweighs each word
    /// of the turn before, and the words of three turns back (0.125) barely count.
    pub turn_decay: f32,
    /// Most user turns of a conversation read, the last ones: a 1,000-turn conversation costs
    /// what this many turns do. Default 4.
    pub max_turns: usize,
}

impl Default for RankSettings {
    fn default() -> Self {
        Self {
            limit: 10,
            k1: 1.2,
            b: 0.5,
            field_weights: [3.0, 0.5, 1.0, 1.0],
            expansion_weight: 0.35,
            coverage_exponent: 1.0,
            half_life_hours: 336.0,
            recency_floor: 0.5,
            trait_recency: 1.2,
            withheld_weight: 0.5,
            frequency_weight: 0.0,
            min_score: 0.0,
            max_query_terms: 32,
            time_weight: 1.0,
            metric_weight: 0.4,
            max_time_windows: 4,
            related_weight: 0.3,
            broader_weight: 0.15,
            narrower_weight: 0.15,
            salience_weight: 0.5,
            salience_horizon_days: 45.0,
            repeat_decay: 0.5,
            thread_seeds: 1,
            thread_max_df: 6,
            thread_weight: 0.3,
            max_query_bytes: 4096,
            turn_decay: 0.5,
            max_turns: 4,
        }
    }
}

impl RankSettings {
    /// Most items one ranking may return; the bindings refuse a larger `limit`.
    pub const MAX_LIMIT: usize = 1_000;

    /// Checks every setting's range. The bindings call it on settings built from a caller's
    /// options, so that every binding accepts the same values.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let [name_w, keys_w, values_w, initials_w] = self.field_weights;
        // (setting, value, min, max), checked in one loop: one call site is less wasm for a cold
        // start to compile than fifteen.
        let checks = [
            ("k1", self.k1, 0.0, 100.0),
            ("b", self.b, 0.0, 1.0),
            ("field_weights", name_w, 0.0, 100.0),
            ("field_weights", keys_w, 0.0, 100.0),
            ("field_weights", values_w, 0.0, 100.0),
            ("field_weights", initials_w, 0.0, 100.0),
            ("expansion_weight", self.expansion_weight, 0.0, 1.0),
            ("coverage_exponent", self.coverage_exponent, 0.0, 10.0),
            ("half_life_hours", self.half_life_hours, 0.001, 1e7),
            ("recency_floor", self.recency_floor, 0.0, 1.0),
            ("trait_recency", self.trait_recency, 0.0, 10.0),
            ("withheld_weight", self.withheld_weight, 0.0, 1.0),
            ("frequency_weight", self.frequency_weight, 0.0, 10.0),
            ("min_score", self.min_score, 0.0, f32::MAX),
            ("limit", self.limit as f32, 1.0, Self::MAX_LIMIT as f32),
            (
                "max_query_terms",
                self.max_query_terms as f32,
                1.0,
                query::MAX_QUERY_WORDS as f32,
            ),
            ("time_weight", self.time_weight, 0.0, 10.0),
            ("metric_weight", self.metric_weight, 0.0, 1.0),
            ("max_time_windows", self.max_time_windows as f32, 0.0, 16.0),
            ("related_weight", self.related_weight, 0.0, 1.0),
            ("broader_weight", self.broader_weight, 0.0, 1.0),
            ("narrower_weight", self.narrower_weight, 0.0, 1.0),
            ("salience_weight", self.salience_weight, 0.0, 10.0),
            (
                "salience_horizon_days",
                self.salience_horizon_days,
                0.0,
                3650.0,
            ),
            (
                "max_query_bytes",
                self.max_query_bytes as f32,
                16.0,
                1_048_576.0,
            ),
            ("turn_decay", self.turn_decay, 0.0, 1.0),
            ("max_turns", self.max_turns as f32, 1.0, 16.0),
        ];
        check_ranges(&checks)
    }
}

/// Checks `(setting, value, min, max)` rows: the first value that is not finite or lies outside
/// its `min..=max` is the error.
pub(crate) fn check_ranges(checks: &[(&'static str, f32, f32, f32)]) -> Result<(), SettingsError> {
    for &(name, value, min, max) in checks {
        if !(value.is_finite() && value >= min && value <= max) {
            return Err(SettingsError::OutOfRange {
                name,
                value: f64::from(value),
                min: f64::from(min),
                max: f64::from(max),
            });
        }
    }
    Ok(())
}

/// Trait, event or memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// A trait (including audiences).
    Trait,
    /// An event group.
    Event,
    /// A memory (a trait record with the time it was noted).
    Memory,
}

/// Where an item lives in its snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemRef {
    /// The trait at this index of the snapshot.
    Trait(usize),
    /// The event group at this index of the snapshot.
    Group(usize),
}

/// One query term's part of a score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TermContribution {
    /// The term matched, as the profile has it (stemmed), or `time:<expressions>` for the query's
    /// time expressions.
    pub term: String,
    /// The typed word (or pair of words) that led to it through the lexicon or the thesaurus;
    /// absent when it is the typed word itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// 1 for a typed word, less for a word reached through the lexicon or the thesaurus.
    pub weight: f32,
    /// Its inverse document frequency in this profile.
    pub idf: f32,
    /// Its part of the lexical score.
    pub score: f32,
}

/// The parts of a score: `score = lexical · coverage · recency · frequency · repeat + thread`
/// (with salience blended in as its field says).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The BM25F sum over matched terms.
    pub lexical: f32,
    /// The share of the query's weight the item matches, raised to `coverage_exponent`.
    pub coverage: f32,
    /// The recency factor (events), the trait factor (traits), or both (memories: the trait
    /// factor times the events' recency of the time it was noted).
    pub recency: f32,
    /// `1 + frequency_weight · ln(count)`.
    pub frequency: f32,
    /// `repeat_decay^k` when the item is the k-th best event of its name, 1 otherwise: a factor
    /// of the score.
    pub repeat: f32,
    /// Added to the score for sharing a rare value (an order id, a claim number) with one of the
    /// best items; 0 for those items themselves.
    pub thread: f32,
    /// Age of the newest occurrence (events) or since it was noted (memories), in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_seconds: Option<i64>,
    /// Occurrences (events only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    /// For a question that asks for what matters: the item's salience, blended in as
    /// `score = lexical · coverage · recency · frequency / relevance_scale + salience_weight ·
    /// salience`. Absent otherwise (`score` is then the product alone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salience: Option<SalienceExplanation>,
    /// Each matched term's contribution.
    pub terms: Vec<TermContribution>,
}

/// Why an item is salient (see `rank::salience`'s formula): each part in 0..=1.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SalienceExplanation {
    /// The salience itself.
    pub value: f32,
    /// How rare the event is among the profile's (1 for traits).
    pub rarity: f32,
    /// How recent its newest occurrence is (0 for traits).
    pub recent: f32,
    /// 1 when it holds a word of an open state (pending, failed, due, …).
    pub open: f32,
    /// How near its nearest future date is, within `salience_horizon_days`.
    pub upcoming: f32,
    /// The best relevance among the items, by which this one's relevance was divided.
    pub relevance_scale: f32,
}

/// A ranked item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedItem {
    /// `trait:<key>`, `event:<message_id>` (the newest occurrence of the group) or `memory:<id>`.
    pub id: String,
    /// Trait or event.
    pub kind: ItemKind,
    /// The score; the product of the explanation's factors.
    pub score: f32,
    /// How the score was reached.
    pub explain: Explanation,
    #[serde(skip)]
    /// Where the item lives in the snapshot it was ranked in (not serialized).
    pub item: ItemRef,
}

/// Ranks `snapshot` against `query` at time `now_ms`, returning at most `settings.limit` items.
pub fn rank(
    snapshot: &Snapshot,
    query: &str,
    now_ms: i64,
    settings: &RankSettings,
) -> Vec<RankedItem> {
    rank_conversation(snapshot, &[query], now_ms, settings)
}

/// [`rank`] of a conversation's user turns, oldest first ([`Query::conversation`]): the last turn
/// weighs most. One turn ranks exactly as [`rank`] of its text.
pub fn rank_conversation(
    snapshot: &Snapshot,
    turns: &[&str],
    now_ms: i64,
    settings: &RankSettings,
) -> Vec<RankedItem> {
    let query = Query::conversation(turns, settings);
    rank_query(snapshot, &query, now_ms, settings)
}

/// [`rank`] with an already parsed query.
pub fn rank_query(
    snapshot: &Snapshot,
    query: &Query,
    now_ms: i64,
    settings: &RankSettings,
) -> Vec<RankedItem> {
    let Some(scorer) = Scorer::new(snapshot, query, now_ms, settings) else {
        return Vec::new();
    };
    // Score every item cheaply first; explanations are built only for the ones returned.
    let mut candidates = scorer.candidates(now_ms);
    if query.cue && settings.salience_weight > 0.0 {
        scorer.blend_salience(&mut candidates, now_ms, query.words.is_empty());
    }
    scorer.follow_threads(&mut candidates);
    scorer.damp_repeats(&mut candidates);
    candidates.retain(|(score, _, _)| *score > settings.min_score);
    // Keep the `limit` best scores and anything tied with the last of them (ties are broken by id,
    // which only the built items have).
    match cutoff(candidates.iter().map(|c| c.0), settings.limit) {
        Some(cutoff) => candidates.retain(|(score, _, _)| score.total_cmp(&cutoff).is_ge()),
        None if settings.limit == 0 => candidates.clear(),
        None => {}
    }
    let mut items: Vec<RankedItem> = candidates
        .into_iter()
        .filter_map(|(_, parts, item)| scorer.ranked_item(item, parts, now_ms))
        .collect();
    sort_by(&mut items, |a, b| {
        b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id))
    });
    items.truncate(settings.limit);
    items
}

/// `prefix` + `text` (an item id).
fn prefixed(prefix: &str, text: &str) -> String {
    let mut id = String::with_capacity(prefix.len() + text.len());
    id.push_str(prefix);
    id.push_str(text);
    id
}

/// The `limit`-th best of `scores`, or `None` when there are fewer. One pass keeping the best
/// `limit` so far, in order (`limit` is small next to the number of candidates).
fn cutoff(scores: impl Iterator<Item = f32>, limit: usize) -> Option<f32> {
    let mut best: Vec<f32> = Vec::with_capacity(limit.min(64));
    for score in scores {
        if best.len() == limit && best.last().is_none_or(|last| score <= *last) {
            continue;
        }
        let at = best.iter().position(|b| score > *b).unwrap_or(best.len());
        best.insert(at, score);
        best.truncate(limit);
    }
    best.get(limit.checked_sub(1)?).copied()
}

/// Sorts stably by `order`. Short slices (the usual: items returned, query terms) use insertion
/// sort; longer ones a heap sort of positions, ties broken by position (so the order is the stable
/// one), then applied by following the permutation's cycles: O(n log n) either way, and without the
/// standard sorts, several kilobytes of wasm per element type, which a cold start compiles first.
pub(crate) fn sort_by<T>(v: &mut [T], mut order: impl FnMut(&T, &T) -> std::cmp::Ordering) {
    if v.len() <= 24 {
        for i in 1..v.len() {
            let mut j = i;
            while j > 0 {
                match (v.get(j - 1), v.get(j)) {
                    (Some(a), Some(b)) if order(a, b).is_gt() => v.swap(j - 1, j),
                    _ => break,
                }
                j -= 1;
            }
        }
        return;
    }
    let n = v.len();
    let mut at: Vec<usize> = (0..n).collect();
    {
        let mut less = |a: usize, b: usize| match (v.get(a), v.get(b)) {
            (Some(x), Some(y)) => order(x, y).then(a.cmp(&b)).is_lt(),
            _ => false,
        };
        for root in (0..n / 2).rev() {
            sift_down(&mut at, root, n, &mut less);
        }
        for end in (1..n).rev() {
            at.swap(0, end);
            sift_down(&mut at, 0, end, &mut less);
        }
    }
    // `at[k]` is the position the `k`-th element comes from.
    for start in 0..n {
        let mut cur = start;
        while let Some(&from) = at.get(cur) {
            if let Some(done) = at.get_mut(cur) {
                *done = cur;
            }
            if from == start || from == cur {
                break;
            }
            v.swap(cur, from);
            cur = from;
        }
    }
}

/// Restores the max-heap property of `heap[..end]` below `root`.
fn sift_down(
    heap: &mut [usize],
    mut root: usize,
    end: usize,
    less: &mut impl FnMut(usize, usize) -> bool,
) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        let (Some(&l), r) = (heap.get(child), heap.get(child + 1).copied()) else {
            return;
        };
        if let Some(r) = r.filter(|_| child + 1 < end) {
            if less(l, r) {
                child += 1;
            }
        }
        match (heap.get(root).copied(), heap.get(child).copied()) {
            (Some(a), Some(b)) if less(a, b) => heap.swap(root, child),
            _ => return,
        }
        root = child;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutoff_is_the_limit_th_best_score() {
        let scores = [3.0, 1.0, 2.0, 2.0, 5.0];
        assert_eq!(cutoff(scores.into_iter(), 1), Some(5.0));
        assert_eq!(cutoff(scores.into_iter(), 2), Some(3.0));
        assert_eq!(cutoff(scores.into_iter(), 4), Some(2.0));
        assert_eq!(cutoff(scores.into_iter(), 5), Some(1.0));
        assert_eq!(cutoff(scores.into_iter(), 6), None);
        assert_eq!(cutoff(scores.into_iter(), 0), None);
        assert_eq!(cutoff([2.0, 2.0, 2.0].into_iter(), 2), Some(2.0));
    }

    #[test]
    fn sort_by_matches_the_standard_stable_sort() {
        let mut seed = 7u32;
        for len in (0..60).chain([200, 1_000]) {
            let v: Vec<(u32, usize)> = (0..len)
                .map(|i| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (seed >> 29, i)
                })
                .collect();
            let mut ours = v.clone();
            sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut std = v;
            std.sort_by_key(|a| a.0);
            assert_eq!(ours, std, "length {len}");
        }
    }
    use crate::testing::{profile, HOUR};

    const NOW: i64 = 1_000 * HOUR;

    fn snapshot() -> Snapshot {
        profile("p")
            .text("shoe_size", "10.5")
            .text("jacket_size", "L")
            .text("favorite_color", "green")
            .event(
                "new-shoe",
                NOW - HOUR,
                "Product Viewed",
                &[("name", "Trail Shoe"), ("category", "Running Shoes")],
            )
            .event(
                "old-shoe",
                NOW - 2000 * HOUR,
                "Product Viewed",
                &[("name", "Road Shoe"), ("category", "Running Shoes")],
            )
            .event("noise", NOW, "App Opened", &[("version", "7.2")])
            .event(
                "noise2",
                NOW - 5 * HOUR,
                "App Opened",
                &[("version", "7.2")],
            )
            .compile()
    }

    fn ids(items: &[RankedItem]) -> Vec<&str> {
        items.iter().map(|i| i.id.as_str()).collect()
    }

    #[test]
    fn the_trait_named_by_the_query_ranks_first() {
        let items = rank(
            &snapshot(),
            "What is my shoe size?",
            NOW,
            &RankSettings::default(),
        );
        assert_eq!(items[0].id, "trait:shoe_size");
        assert!(ids(&items).contains(&"trait:jacket_size"));
    }

    #[test]
    fn recency_orders_equally_relevant_events() {
        let items = rank(&snapshot(), "running shoes", NOW, &RankSettings::default());
        let new = ids(&items)
            .iter()
            .position(|i| *i == "event:new-shoe")
            .unwrap();
        let old = ids(&items)
            .iter()
            .position(|i| *i == "event:old-shoe")
            .unwrap();
        assert!(new < old);
        assert!(items[old].explain.recency < items[new].explain.recency);
    }

    #[test]
    fn recent_but_irrelevant_events_are_not_returned() {
        let items = rank(&snapshot(), "running shoes", NOW, &RankSettings::default());
        assert!(!ids(&items).iter().any(|i| i.starts_with("event:noise")));
        assert!(rank(&snapshot(), "the of and", NOW, &RankSettings::default()).is_empty());
    }

    #[test]
    fn repeated_events_form_one_item_with_a_count() {
        let items = rank(&snapshot(), "app opened", NOW, &RankSettings::default());
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].id, "event:noise");
        assert_eq!(items[0].explain.count, Some(2));
    }

    #[test]
    fn explanation_parts_multiply_to_the_score() {
        for item in rank(
            &snapshot(),
            "running shoes size",
            NOW,
            &RankSettings::default(),
        ) {
            let e = &item.explain;
            let product = e.lexical * e.coverage * e.recency * e.frequency;
            let score = (product + e.thread) * e.repeat;
            assert!((score - item.score).abs() < 1e-4, "{item:?}");
            let sum: f32 = e.terms.iter().map(|t| t.score).sum();
            assert!((sum - e.lexical).abs() < 1e-4);
        }
    }

    #[test]
    fn equal_scores_are_ordered_by_id_whatever_the_profile_order() {
        // Two traits that score exactly alike for "green", stored in the opposite of id order.
        let s = profile("p")
            .text("preferred_color", "green")
            .text("favorite_color", "green")
            .text("shoe_size", "10.5")
            .compile();
        let all = rank(&s, "green", NOW, &RankSettings::default());
        assert_eq!(ids(&all), ["trait:favorite_color", "trait:preferred_color"]);
        assert_eq!(all[0].score, all[1].score, "a tie, broken by id");
        // The cut-off keeps ties with the last place, so the limit takes the smaller id too.
        let one = RankSettings {
            limit: 1,
            ..RankSettings::default()
        };
        assert_eq!(ids(&rank(&s, "green", NOW, &one)), ["trait:favorite_color"]);
    }

    #[test]
    fn the_limit_keeps_the_best_scores() {
        let s = snapshot();
        let all = rank(&s, "size shoes green", NOW, &RankSettings::default());
        assert!(all.len() > 2);
        let two = RankSettings {
            limit: 2,
            ..RankSettings::default()
        };
        assert_eq!(rank(&s, "size shoes green", NOW, &two), all[..2]);
    }

    #[test]
    fn lexicon_expansions_weigh_less_than_typed_words() {
        let q = Query::parse("my bill", &RankSettings::default());
        assert_eq!((q.terms[0].term.as_str(), q.terms[0].weight), ("bill", 1.0));
        assert!(q.terms.iter().any(|t| t.term == "invoic" && t.weight < 1.0));
    }

    #[test]
    fn settings_are_validated() {
        assert!(RankSettings::default().validate().is_ok());
        let bad = RankSettings {
            half_life_hours: 0.0,
            ..RankSettings::default()
        };
        assert!(matches!(
            bad.validate(),
            Err(SettingsError::OutOfRange {
                name: "half_life_hours",
                ..
            })
        ));
        let bad = RankSettings {
            b: f32::NAN,
            ..RankSettings::default()
        };
        assert!(bad.validate().is_err());
        for (limit, ok) in [
            (0, false),
            (1, true),
            (RankSettings::MAX_LIMIT, true),
            (RankSettings::MAX_LIMIT + 1, false),
        ] {
            let s = RankSettings {
                limit,
                ..RankSettings::default()
            };
            assert_eq!(s.validate().is_ok(), ok, "limit {limit}");
        }
    }

    /// 2026-11-20T12:00:00Z, a Friday.
    const FRIDAY_NOON: i64 = 1_795_176_000_000;

    #[test]
    fn a_time_expression_matches_event_times_and_dates_in_values() {
        let now = FRIDAY_NOON;
        let s = profile("p")
            .event(
                "tonight-show",
                now - 40 * 24 * HOUR,
                "Order Completed",
                &[("event_date", "2026-11-20 20:00"), ("venue", "Arena")],
            )
            .event(
                "other-show",
                now - 40 * 24 * HOUR,
                "Order Completed",
                &[("event_date", "2026-12-24 20:00"), ("venue", "Club")],
            )
            .event(
                "last-night",
                now - 14 * HOUR,
                "Card Transaction",
                &[("merchant", "Shop")],
            )
            .compile();
        let items = rank(
            &s,
            "what time do doors open tonight?",
            now,
            &RankSettings::default(),
        );
        assert_eq!(items[0].id, "event:tonight-show");
        assert!(items[0]
            .explain
            .terms
            .iter()
            .any(|t| t.term == "time:tonight"));
        // The other show is not tonight (it may still come along a thread of shared values).
        assert!(items
            .iter()
            .filter(|i| i.id == "event:other-show")
            .all(|i| i.explain.terms.is_empty() && i.score < items[0].score));
        let items = rank(
            &s,
            "a card payment last night",
            now,
            &RankSettings::default(),
        );
        assert_eq!(items[0].id, "event:last-night");
        let off = RankSettings {
            time_weight: 0.0,
            ..RankSettings::default()
        };
        assert!(
            rank(&s, "tonight", now, &off).is_empty(),
            "time matching off"
        );
    }

    #[test]
    fn a_window_that_starts_now_does_not_reach_into_the_past() {
        let now = FRIDAY_NOON;
        let s = profile("p")
            .text("last_seen_at", "2026-11-20T11:50:00Z")
            .text("renews_on", "2027-02-01")
            .compile();
        let items = rank(
            &s,
            "anything due before April?",
            now,
            &RankSettings::default(),
        );
        assert_eq!(ids(&items), ["trait:renews_on"]);
        // A window of the past ("last week") still reaches a little past its edges.
        let s = profile("p")
            .event("m", now - 11 * 24 * HOUR, "Letter Sent", &[])
            .compile();
        assert!(!rank(
            &s,
            "the letter from last week",
            now,
            &RankSettings::default()
        )
        .is_empty());
    }

    #[test]
    fn questions_of_no_content_word_get_salient_items() {
        let now = FRIDAY_NOON;
        let mut p = profile("p")
            .text("renewal_date", "2026-11-27")
            .value("late_fee_count", crate::profile::Value::Number(0.0));
        for i in 0..20 {
            p = p.event(
                &format!("pv{i}"),
                now - i * HOUR,
                "Page Viewed",
                &[("page", &format!("page {i}"))],
            );
        }
        let s = p
            .event(
                "failed",
                now - 30 * HOUR,
                "Payment Failed",
                &[("reason", "card declined")],
            )
            .compile();
        let items = rank(&s, "anything new for me?", now, &RankSettings::default());
        assert_eq!(items[0].id, "event:failed", "{:?}", ids(&items));
        assert!(
            ids(&items).contains(&"trait:renewal_date"),
            "a date coming up"
        );
        assert!(
            !ids(&items).contains(&"trait:late_fee_count"),
            "a zero count is nothing open"
        );
        let sal = items[0].explain.salience.as_ref().unwrap();
        assert!(sal.open > 0.0 && sal.rarity > 0.0);
        // Page views: neither rare nor open; the most salient of them ranks below the failure.
        let first_view = ids(&items).iter().position(|i| i.starts_with("event:pv"));
        assert!(first_view.is_none_or(|at| at > 0));
        // Without a cue, a question of stop words alone gets nothing.
        assert!(rank(&s, "the of and", now, &RankSettings::default()).is_empty());
    }

    #[test]
    fn repeats_of_an_event_name_are_damped_and_threads_are_followed() {
        let now = FRIDAY_NOON;
        let s = profile("p")
            .event(
                "paid-1",
                now - HOUR,
                "Payment Received",
                &[("amount", "12"), ("month", "november")],
            )
            .event(
                "paid-2",
                now - 2 * HOUR,
                "Payment Received",
                &[("amount", "13"), ("month", "october")],
            )
            .event(
                "claim",
                now - 48 * HOUR,
                "Claim Opened",
                &[("claim_number", "CL-5531"), ("cause", "collision")],
            )
            .event(
                "status",
                now - 24 * HOUR,
                "Status Changed",
                &[("claim_number", "CL-5531"), ("status", "approved")],
            )
            .compile();
        let items = rank(&s, "payment received", now, &RankSettings::default());
        assert_eq!(ids(&items), ["event:paid-1", "event:paid-2"]);
        assert_eq!(
            items[1].explain.repeat,
            RankSettings::default().repeat_decay
        );
        // The collision's claim number leads to its status change, which matched nothing.
        let items = rank(&s, "my collision", now, &RankSettings::default());
        assert_eq!(ids(&items), ["event:claim", "event:status"]);
        assert!(items[1].explain.thread > 0.0 && items[1].explain.coverage == 0.0);
    }

    #[test]
    fn traits_that_name_a_metric_weigh_less() {
        let s = profile("p")
            .text("refund_rate", "0.01")
            .text("refund_policy", "30 days")
            .compile();
        let items = rank(&s, "refund", FRIDAY_NOON, &RankSettings::default());
        assert_eq!(ids(&items), ["trait:refund_policy", "trait:refund_rate"]);
    }
}
