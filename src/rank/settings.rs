//! The ranking model's constants, each a setting with a documented default and range.

use serde::Serialize;

use super::query::MAX_QUERY_WORDS;
use crate::errors::SettingsError;
use crate::settings::{check_ranges, Checked, Validate};
use crate::snapshot::FIELD_COUNT;

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
    /// Weight of a profile word near a typed word by static word vectors (`sore` → `pain`,
    /// `fridge` → `refrigerator`), times the two words' cosine (0.55 to 1: the knowledge pack
    /// keeps nearer pairs only). 0 switches vector links off. Default 0.35.
    pub vector_weight: f32,
    /// A thesaurus link between two single words whose vector cosine is known and below this is
    /// not followed: WordNet's rarer senses (`bill` → `beak`, `charge` → `heraldic bearing`)
    /// drown the right one. 0 follows every link. Default 0.2.
    pub veto_cosine: f32,
    /// Factor on the name weight of a trait whose key a typed word matches when that word is one
    /// of the thousand most common English words (`time` in `send_time_optimization_hour`,
    /// `last` in `last_seen_at`): such a word is part of many names without naming what the trait
    /// holds. 1 switches it off. Default 0.5.
    pub common_name_weight: f32,
    /// How much a group of identical events meets a time window by the share of its copies
    /// inside it rather than by its best copy (1: by the share, "one view last week" of a
    /// product viewed fifty times is not last week's; 0: by the best copy). Default 1.
    pub group_time_share: f32,
    /// Weight of a profile number within 5% of a number in the question ("38" → `38.6`, "about
    /// 40 dollars" → `39.99`; `rank/amounts.rs`). 0 switches it off. Default 0.3.
    pub amount_weight: f32,
    /// Weight of a profile word reached by a query word the profile does not have, as its clipped
    /// form (`info` → `information`, `acct` → `account`) or a misspelling (`adress` →
    /// `address`); see `rank/fuzzy.rs`. 0 switches it off. Default 0.4.
    pub fuzzy_weight: f32,
    /// Weight of each of the two words a typed compound the dictionary does not know is split
    /// into ("speedtest" → `speed`, `test`), times the typed word's. 0 switches it off. Default 0.5.
    pub compound_weight: f32,
    /// Weight of a profile word that is the typed word's agent noun or comparative, or the word
    /// such a typed word comes from ("driving" → `driver`, "renter" → `rent`, "late" →
    /// `later`; [`crate::text::agent_forms`]), times the typed word's. 0 switches it off.
    /// Default 0.5.
    pub derived_weight: f32,
    /// Weight of an hour of the day the question names ("6 in the morning", "6pm", "18:30") as
    /// the term `06:00` that clock times in values are indexed by ([`crate::text::clock`]); the
    /// number itself is then not matched as a number. 0 switches it off (the words are matched
    /// as words). Default 1.
    pub hour_weight: f32,
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
    /// currency), 2..=16 (the snapshot keeps each item's values in at most 16). Default 6.
    pub thread_max_df: usize,
    /// Share of a seed's score added to an item that shares one of its rare values. 0 switches
    /// threads off. Default 0.3.
    pub thread_weight: f32,
    /// Whether a thread may bring in an item that matched nothing of the query (an item that did
    /// match is lifted either way). Default true: the delivery delay of the order asked about
    /// shares its order number, not its words.
    pub thread_adds_unmatched: bool,
    /// Most bytes of a query read: of a longer one (a pasted document, a hostile 1 MB message),
    /// the first and the last half of this many, cut at character boundaries, so a question
    /// before or after the paste is still seen. Default 4096.
    pub max_query_bytes: usize,
    /// Weight of a conversation's earlier user turns, per turn back ([`super::Query::conversation`]):
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
            vector_weight: 0.35,
            fuzzy_weight: 0.4,
            compound_weight: 0.5,
            derived_weight: 0.5,
            hour_weight: 1.0,
            amount_weight: 0.3,
            common_name_weight: 0.5,
            group_time_share: 1.0,
            veto_cosine: 0.2,
            salience_weight: 0.5,
            salience_horizon_days: 45.0,
            repeat_decay: 0.5,
            thread_seeds: 1,
            thread_max_df: 6,
            thread_weight: 0.3,
            thread_adds_unmatched: true,
            max_query_bytes: 4096,
            turn_decay: 0.5,
            max_turns: 4,
        }
    }
}

impl RankSettings {
    /// Most items one ranking may return; a larger `limit` is refused.
    pub const MAX_LIMIT: usize = 1_000;

    /// These settings, checked: what [`super::rank`] takes.
    pub fn checked(self) -> Result<Checked<RankSettings>, SettingsError> {
        Checked::new(self)
    }
}

impl Validate for RankSettings {
    /// Checks every setting's range, so that every binding accepts the same values.
    fn validate(&self) -> Result<(), SettingsError> {
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
                MAX_QUERY_WORDS as f32,
            ),
            ("time_weight", self.time_weight, 0.0, 10.0),
            ("metric_weight", self.metric_weight, 0.0, 1.0),
            ("max_time_windows", self.max_time_windows as f32, 0.0, 16.0),
            ("related_weight", self.related_weight, 0.0, 1.0),
            ("broader_weight", self.broader_weight, 0.0, 1.0),
            ("narrower_weight", self.narrower_weight, 0.0, 1.0),
            ("vector_weight", self.vector_weight, 0.0, 1.0),
            ("veto_cosine", self.veto_cosine, 0.0, 1.0),
            ("fuzzy_weight", self.fuzzy_weight, 0.0, 1.0),
            ("compound_weight", self.compound_weight, 0.0, 1.0),
            ("derived_weight", self.derived_weight, 0.0, 1.0),
            ("hour_weight", self.hour_weight, 0.0, 1.0),
            ("amount_weight", self.amount_weight, 0.0, 1.0),
            ("common_name_weight", self.common_name_weight, 0.0, 1.0),
            ("group_time_share", self.group_time_share, 0.0, 1.0),
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
            (
                "thread_max_df",
                self.thread_max_df as f32,
                2.0,
                crate::snapshot::codec::RARE_MAX_DF as f32,
            ),
            ("thread_seeds", self.thread_seeds as f32, 0.0, 16.0),
            ("turn_decay", self.turn_decay, 0.0, 1.0),
            ("max_turns", self.max_turns as f32, 1.0, 16.0),
        ];
        check_ranges(&checks)
    }
}
