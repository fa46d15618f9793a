//! Scoring one snapshot against one query (the formula is documented on [`super::rank`]), reading
//! only what the query touches: the postings of its terms and of the terms its words reach
//! through the knowledge pack, the occurrences and dates inside its time windows, and the
//! records of the items those name. Salience, for questions that ask for what matters, is the
//! one part that looks at every item.

mod passes;
mod time;

use std::ops::Range;

use super::query::{MAX_QUERY_WORDS, TIME_WORDS};
use super::salience::SalienceParts;
use super::SalienceExplanation;
use super::{amounts, fuzzy};
use super::{
    prefixed, Explanation, ItemKind, ItemRef, Query, RankSettings, RankedItem, TermContribution,
};
use crate::knowledge::{self, Source};
use crate::snapshot::{Field, Record, Snapshot, FIELD_COUNT};
use crate::sort::{merge_runs, sort_by, Descending};
use crate::text::when::{time_windows, TimeWindow};

/// A query term resolved against one snapshot: a term of its dictionary, what led there, and
/// which typed words matching it covers.
struct Resolved<'a> {
    id: u32,
    /// The term as the snapshot has it.
    term: &'a str,
    /// The typed word (or pair) it stands for, when it is not the typed word itself.
    via: Option<&'a str>,
    weight: f32,
    idf: f32,
    /// The typed words it covers (first, last), indexes into `Query::words`.
    words: (usize, usize),
    /// Whether it stands for one of the most common English words (`time`, `last`): a trait
    /// name it matches says little about what the trait holds.
    common: bool,
}

/// One posting of a resolved term: `term` indexes `Scorer::terms`.
#[derive(Debug, Clone, Copy)]
struct Hit {
    item: u32,
    term: u32,
    field: u8,
    tf: u32,
}

/// The factors of one item's score.
pub(super) struct Parts {
    lexical: f32,
    coverage: f32,
    recency: f32,
    frequency: f32,
    /// Blended in for questions that ask for what matters: the salience, and the best relevance
    /// among the items, by which relevance is divided.
    salience: Option<(SalienceParts, f32)>,
    /// `repeat_decay^k` for the item that is the k-th best of its event name (1 for its newest).
    repeat: f32,
    /// Added for sharing a rare value with one of the best items.
    thread: f32,
    /// The final score.
    pub(super) score: f32,
}

impl Parts {
    fn relevance(&self) -> f32 {
        self.lexical * self.coverage * self.recency * self.frequency
    }

    fn new(lexical: f32, coverage: f32, recency: f32, frequency: f32) -> Parts {
        let mut parts = Parts {
            lexical,
            coverage,
            recency,
            frequency,
            salience: None,
            repeat: 1.0,
            thread: 0.0,
            score: 0.0,
        };
        parts.score = parts.relevance();
        parts
    }

    /// Blends salience in: `relevance / scale + weight · salience`.
    fn blend(&mut self, salience: SalienceParts, is_event: bool, scale: f32, weight: f32) {
        self.salience = Some((salience, scale));
        self.score =
            self.relevance() / scale.max(f32::MIN_POSITIVE) + weight * salience.value(is_event);
    }
}

/// An item that may be returned: its score's parts, and where its hits are.
pub(super) struct Candidate {
    pub(super) score: f32,
    pub(super) parts: Parts,
    pub(super) item: ItemRef,
    hits: Range<usize>,
    time_match: f32,
}

pub(super) struct Scorer<'a> {
    snapshot: &'a Snapshot,
    settings: &'a RankSettings,
    /// Sorted by term id.
    terms: Vec<Resolved<'a>>,
    total_weight: f32,
    /// [`RankSettings::time_weight`] times the query's [`Query::time_scale`].
    time_weight: f32,
    avg_len: [f32; FIELD_COUNT],
    /// The query's time expressions in the person's zone (empty when it has none).
    windows: Vec<TimeWindow>,
    time_idf: f32,
    /// Every posting of the resolved terms, by item, then term.
    hits: Vec<Hit>,
}

/// `idf = ln(1 + (N − df + 0.5) / (df + 0.5))`: of a term in `df` of `n` items (or of the query's
/// time expressions, met by `df` items).
fn idf(n: f32, df: f32) -> f32 {
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// Most profile words a query word the profile lacks reaches as clipped or misspelt.
const FUZZY_MAX: usize = 3;

/// The contribution index that stands for the time expressions in `lexical`'s callback.
const TIME_TERM: usize = usize::MAX;

impl<'a> Scorer<'a> {
    pub(super) fn new(
        snapshot: &'a Snapshot,
        query: &'a Query,
        now_ms: i64,
        settings: &'a RankSettings,
    ) -> Option<Self> {
        let n = snapshot.item_count() as f32;
        let pack = knowledge::current();
        let mut terms: Vec<Resolved> = Vec::new();
        let mut add = |r: Resolved<'a>| match terms.iter_mut().find(|t| t.id == r.id) {
            // One entry per term (its postings are read once): the strongest reading wins.
            Some(t) if t.weight >= r.weight => {}
            Some(t) => *t = r,
            None => terms.push(r),
        };
        for q in &query.terms {
            if let Some(id) = snapshot.term_id(&q.term) {
                let typed = query.words.get(q.word).map(String::as_str);
                let common = typed.is_some_and(|t| pack.is_common(crate::text::term_hash(t)));
                add(Resolved {
                    id,
                    term: snapshot.term_text(id),
                    via: typed.filter(|t| *t != q.term),
                    weight: q.weight,
                    idf: 0.0,
                    words: (q.word, q.word),
                    common,
                });
            }
        }
        for key in &query.links {
            let single_word = key.words.0 == key.words.1;
            let common = single_word && pack.is_common(key.hash);
            for link in pack.links(key.hash) {
                let base = match link.source {
                    Source::Related => settings.related_weight,
                    Source::Broader => settings.broader_weight,
                    Source::Narrower => settings.narrower_weight,
                    Source::Vector => settings.vector_weight * link.cosine.unwrap_or(0.0),
                };
                let vetoed = link.source != Source::Vector
                    && single_word
                    && link.cosine.is_some_and(|c| c < settings.veto_cosine);
                let weight = key.weight * base;
                if weight <= 0.0 || vetoed {
                    continue;
                }
                if let Some(id) = snapshot.term_by_hash(link.target) {
                    add(Resolved {
                        id,
                        term: snapshot.term_text(id),
                        via: Some(&key.text),
                        weight,
                        idf: 0.0,
                        words: key.words,
                        common,
                    });
                }
            }
        }
        if settings.fuzzy_weight > 0.0 {
            for (w, word) in query.words.iter().enumerate() {
                if snapshot.term_id(word).is_some() {
                    continue;
                }
                let weight = query.weights.get(w).copied().unwrap_or(1.0) * settings.fuzzy_weight;
                // The closest few profile words: typos first, then the shortest words begun.
                let mut found: Vec<(f32, usize, u32)> = snapshot
                    .terms()
                    .filter_map(|(id, text)| {
                        let kind = fuzzy::reaches(word, text)?;
                        Some((kind.quality(), text.len(), id))
                    })
                    .collect();
                sort_by(&mut found, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                for (quality, _, id) in found.into_iter().take(FUZZY_MAX) {
                    add(Resolved {
                        id,
                        term: snapshot.term_text(id),
                        via: Some(word),
                        weight: weight * quality,
                        idf: 0.0,
                        words: (w, w),
                        common: false,
                    });
                }
            }
        }
        if settings.derived_weight > 0.0 {
            for (w, word) in query.words.iter().enumerate() {
                let weight = query.weights.get(w).copied().unwrap_or(1.0) * settings.derived_weight;
                let common = pack.is_common(crate::text::term_hash(word));
                for form in crate::text::agent_forms(word) {
                    if let Some(id) = snapshot.term_id(&form) {
                        add(Resolved {
                            id,
                            term: snapshot.term_text(id),
                            via: Some(word),
                            weight,
                            idf: 0.0,
                            words: (w, w),
                            common,
                        });
                    }
                }
            }
        }
        if settings.amount_weight > 0.0 {
            for (w, word) in query.words.iter().enumerate() {
                let Some(amount) = amounts::parse(word) else {
                    continue;
                };
                let weight = query.weights.get(w).copied().unwrap_or(1.0) * settings.amount_weight;
                for (id, text) in snapshot.terms() {
                    if amounts::parse(text).is_some_and(|other| amounts::near(amount, other)) {
                        add(Resolved {
                            id,
                            term: text,
                            via: Some(word),
                            weight,
                            idf: 0.0,
                            words: (w, w),
                            common: false,
                        });
                    }
                }
            }
        }
        sort_by(&mut terms, |a, b| a.id.cmp(&b.id));
        // Each term's postings, read once: its hits and its document frequency.
        let mut hits: Vec<Hit> = Vec::new();
        let mut runs: Vec<usize> = Vec::with_capacity(terms.len());
        for (qi, t) in (0u32..).zip(terms.iter_mut()) {
            runs.push(hits.len());
            let mut df = 0u32;
            let mut last = None;
            for p in snapshot.postings(t.id) {
                if last != Some(p.item) {
                    df += 1;
                    last = Some(p.item);
                }
                hits.push(Hit {
                    item: p.item,
                    term: qi,
                    field: p.field,
                    tf: p.tf,
                });
            }
            t.idf = idf(n, df as f32);
        }
        // By item, then by term: one sorted run per term, merged stably.
        merge_runs(&mut hits, &runs, |h| h.item);
        let windows = if settings.time_weight > 0.0 {
            time_windows(
                &query.text,
                now_ms,
                &snapshot.zone(),
                settings.max_time_windows,
            )
        } else {
            Vec::new()
        };
        // The time expressions weigh as one typed word (of the turn they come from).
        let time_weight = settings.time_weight * query.time_scale;
        let total_weight =
            query.weights.iter().sum::<f32>() + if windows.is_empty() { 0.0 } else { time_weight };
        if (terms.is_empty() && windows.is_empty() && !query.cue) || total_weight < 0.0 {
            return None;
        }
        let avg_len = std::array::from_fn(|f| snapshot.avg_field_len(f).max(1e-3));
        Some(Scorer {
            snapshot,
            settings,
            terms,
            total_weight,
            time_weight,
            avg_len,
            windows,
            time_idf: 0.0,
            hits,
        })
    }

    /// Lexical score and matched query weight of an item from its hits, calling `each` with every
    /// matched term's index and contribution.
    fn lexical(
        &self,
        hits: &[Hit],
        lens: &[u32; FIELD_COUNT],
        is_trait: bool,
        time_match: f32,
        mut each: impl FnMut(usize, f32),
    ) -> (f32, f32) {
        let s = self.settings;
        let norms: [f32; FIELD_COUNT] = std::array::from_fn(|f| {
            let len = lens.get(f).copied().unwrap_or(0) as f32;
            let avg = self.avg_len.get(f).copied().unwrap_or(1.0);
            (1.0 - s.b + s.b * len / avg).max(1e-3)
        });
        let mut lexical = 0.0;
        // How much of each typed word the item matches: the weight of the strongest term that
        // stands for it. One more for the words of the time expressions (`TIME_WORDS`).
        let mut covered = [0f32; MAX_QUERY_WORDS + 1];
        let mut at = 0;
        while let Some(first) = hits.get(at) {
            let qi = first.term as usize;
            let common = self.terms.get(qi).is_some_and(|q| q.common);
            let mut tf = 0.0;
            while let Some(h) = hits.get(at).filter(|h| h.term == first.term) {
                let f = usize::from(h.field);
                let mut w = s.field_weights.get(f).copied().unwrap_or(0.0);
                if common && is_trait && f == Field::Name as usize {
                    w *= s.common_name_weight;
                }
                tf += w * h.tf as f32 / norms.get(f).copied().unwrap_or(1.0);
                at += 1;
            }
            let Some(q) = self.terms.get(qi) else {
                continue;
            };
            if tf > 0.0 {
                let part = q.weight * q.idf * tf * (s.k1 + 1.0) / (tf + s.k1);
                lexical += part;
                for c in covered.iter_mut().take(q.words.1 + 1).skip(q.words.0) {
                    *c = c.max(q.weight.min(1.0));
                }
                each(qi, part);
            }
        }
        let time_words = covered.get(TIME_WORDS).copied().unwrap_or(0.0);
        let mut matched: f32 = covered.iter().take(MAX_QUERY_WORDS).sum();
        // The time expression is covered by a time of the item, or (less) by its words.
        matched += self.time_weight * time_words.max(time_match);
        if time_match > 0.0 {
            // The time expressions count as one query word, matched once, as strongly as the
            // item's times meet them.
            let tf = time_match;
            let part = self.time_weight * self.time_idf * tf * (s.k1 + 1.0) / (tf + s.k1);
            lexical += part;
            each(TIME_TERM, part);
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

    /// The item `index` (traits first, then groups) as a reference.
    fn item_ref(&self, index: u32) -> ItemRef {
        let traits = self.snapshot.trait_count();
        let i = index as usize;
        if i < traits {
            ItemRef::Trait(i)
        } else {
            ItemRef::Group(i - traits)
        }
    }

    fn index_of(&self, item: ItemRef) -> usize {
        match item {
            ItemRef::Trait(i) => i,
            ItemRef::Group(i) => self.snapshot.trait_count() + i,
        }
    }

    /// Every item with a lexical or time match, with its score and factors. The scoring loops are
    /// kept out of `rank_query` (and each other): V8 recompiles hot functions whole on a cold
    /// start, and small ones recompile quickly.
    #[inline(never)]
    pub(super) fn candidates(&mut self, now_ms: i64) -> Vec<Candidate> {
        let time = self.time_matches(now_ms);
        let df = time.len() as f32;
        self.time_idf = idf(self.snapshot.item_count() as f32, df);
        let mut candidates = Vec::new();
        // Merge the hits (by item) with the time matches (by item).
        let (mut hi, mut ti) = (0usize, 0usize);
        loop {
            let next_hit = self.hits.get(hi).map(|h| h.item);
            let next_time = time.get(ti).map(|t| t.0);
            let item = match (next_hit, next_time) {
                (None, None) => break,
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) => a,
                (None, Some(b)) => b,
            };
            let start = hi;
            while self.hits.get(hi).is_some_and(|h| h.item == item) {
                hi += 1;
            }
            let mut time_match = 0.0;
            if next_time == Some(item) {
                time_match = time.get(ti).map_or(0.0, |t| t.1);
                ti += 1;
            }
            let item_ref = self.item_ref(item);
            if let Some(parts) = self.parts(item_ref, start..hi, time_match, now_ms) {
                candidates.push(Candidate {
                    score: parts.score,
                    parts,
                    item: item_ref,
                    hits: start..hi,
                    time_match,
                });
            }
        }
        candidates
    }

    /// The parts of an item's relevance, `None` when it matched nothing.
    fn parts(
        &self,
        item: ItemRef,
        hits: Range<usize>,
        time_match: f32,
        now_ms: i64,
    ) -> Option<Parts> {
        let record = self.snapshot.record(self.index_of(item))?;
        let hits = self.hits.get(hits).unwrap_or_default();
        let is_trait = matches!(item, ItemRef::Trait(_));
        let (lexical, matched) = self.lexical(hits, &record.lens, is_trait, time_match, |_, _| {});
        if lexical <= 0.0 {
            return None;
        }
        let s = self.settings;
        let coverage = self.coverage(matched);
        match item {
            ItemRef::Trait(_) => {
                let mut recency = if record.withheld.is_some() {
                    s.trait_recency * s.withheld_weight
                } else {
                    s.trait_recency
                };
                let key = self.snapshot.trait_at(self.index_of(item)).map(|t| t.key);
                if key.is_some_and(is_metric_key) {
                    recency *= s.metric_weight;
                }
                if let Some(noted) = record.noted_ms {
                    recency *= self.recency_of(noted, now_ms);
                }
                Some(Parts::new(lexical, coverage, recency, 1.0))
            }
            ItemRef::Group(_) => {
                let recency = self.recency_of(record.newest_ms, now_ms);
                let frequency = 1.0 + s.frequency_weight * (record.count as f32).ln();
                Some(Parts::new(lexical, coverage, recency, frequency))
            }
        }
    }

    /// `floor + (1 − floor) · 2^(−age / half-life)`.
    fn recency_of(&self, at_ms: i64, now_ms: i64) -> f32 {
        let s = self.settings;
        let age_hours = now_ms.saturating_sub(at_ms).max(0) as f32 / 3_600_000.0;
        s.recency_floor + (1.0 - s.recency_floor) * (-age_hours / s.half_life_hours).exp2()
    }

    fn contributions(&self, c: &Candidate, record: &Record) -> Vec<TermContribution> {
        let mut out = Vec::new();
        let hits = self.hits.get(c.hits.clone()).unwrap_or_default();
        let is_trait = matches!(c.item, ItemRef::Trait(_));
        self.lexical(hits, &record.lens, is_trait, c.time_match, |qi, score| {
            if qi == TIME_TERM {
                let labels: Vec<&str> = self.windows.iter().map(|w| w.label.as_str()).collect();
                out.push(TermContribution {
                    term: ["time:", &labels.join(", ")].concat(),
                    via: None,
                    weight: self.time_weight * c.time_match,
                    idf: self.time_idf,
                    score,
                });
            } else if let Some(q) = self.terms.get(qi) {
                out.push(TermContribution {
                    term: q.term.to_string(),
                    via: q.via.map(str::to_string),
                    weight: q.weight,
                    idf: q.idf,
                    score,
                });
            }
        });
        out
    }

    /// The returned form of a candidate: its id and an explanation of its parts.
    pub(super) fn ranked_item(&self, c: Candidate, now_ms: i64) -> Option<RankedItem> {
        let record = self.snapshot.record(self.index_of(c.item))?;
        let (id, kind, age_seconds, count) = match c.item {
            ItemRef::Trait(i) => {
                let t = self.snapshot.trait_at(i)?;
                match t.noted_ms {
                    Some(noted) => (
                        prefixed("memory:", &t.memory_id),
                        ItemKind::Memory,
                        Some(now_ms.saturating_sub(noted).max(0) / 1000),
                        None,
                    ),
                    None => (prefixed("trait:", t.key), ItemKind::Trait, None, None),
                }
            }
            ItemRef::Group(i) => {
                let g = self.snapshot.group_at(i)?;
                let age = now_ms.saturating_sub(g.last_ms()).max(0) / 1000;
                (
                    prefixed("event:", &g.last_message_id()),
                    ItemKind::Event,
                    Some(age),
                    Some(g.count()),
                )
            }
        };
        let parts = &c.parts;
        let salience = parts.salience.map(|(sal, scale)| SalienceExplanation {
            value: sal.value(kind == ItemKind::Event),
            rarity: sal.rarity,
            recent: sal.recent,
            open: sal.open,
            upcoming: sal.upcoming,
            relevance_scale: scale,
            weight: self.settings.salience_weight,
        });
        Some(RankedItem {
            id,
            kind,
            score: parts.score,
            explain: Explanation {
                lexical: parts.lexical,
                coverage: parts.coverage,
                recency: parts.recency,
                frequency: parts.frequency,
                repeat: parts.repeat,
                thread: parts.thread,
                salience,
                age_seconds,
                count,
                terms: self.contributions(&c, &record),
            },
            item: c.item,
        })
    }
}

/// Whether a trait key names a computed metric rather than a fact (`refund_rate`,
/// `churn_risk_score`, `high_refund_risk`, `nps_score`, `sessions_count_30d`): general naming of
/// CDP computed traits, by its last word.
fn is_metric_key(key: &str) -> bool {
    let mut last = String::new();
    crate::text::split_words(key, |w| {
        last.clear();
        last.push_str(w);
    });
    matches!(
        last.as_str(),
        "rate"
            | "risk"
            | "score"
            | "count"
            | "pct"
            | "percent"
            | "probability"
            | "propensity"
            | "index"
            | "bucket"
            | "variant"
            | "cluster"
            | "ratio"
            | "version"
            | "id"
    )
}

/// Indexes of `candidates`, best score (as it is now) first, ties in candidate order; taken
/// lazily.
fn by_score(candidates: &[Candidate]) -> Descending {
    Descending::new(candidates.iter().map(|c| c.score).collect())
}
