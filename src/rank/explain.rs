//! What a ranking returns: items with their ids and an explanation of every factor of their score
//! (the formula is in the module docs of [`super`]).

use serde::Serialize;

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

/// The parts of a score, which recompute it by the formula documented on [`crate::rank()`]:
///
/// ```text
/// relevance = lexical · coverage · recency · frequency
/// base      = relevance                                              (no salience)
///           = relevance / salience.relevance_scale + salience.weight · salience.value
/// score     = (base + thread) · repeat
/// ```
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
    /// `repeat_decay^k` when the item is the k-th best event of its name (1 for the newest of its
    /// name, and for items that are not events): a factor
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
    /// For a question that asks for what matters: the item's salience, blended into the base
    /// score as the formula above says. Absent otherwise.
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
    /// [`super::RankSettings::salience_weight`]: the weight of `value` in the base score.
    pub weight: f32,
}

/// A ranked item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedItem {
    /// `trait:<key>`, `event:<message_id>` (the newest occurrence of the group) or `memory:<id>`.
    pub id: String,
    /// Trait or event.
    pub kind: ItemKind,
    /// The score, as its explanation recomputes it.
    pub score: f32,
    /// How the score was reached.
    pub explain: Explanation,
    #[serde(skip)]
    /// Where the item lives in the snapshot it was ranked in (not serialized).
    pub item: ItemRef,
}
