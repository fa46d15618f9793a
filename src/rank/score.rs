//! Scoring one snapshot against one query (the formula is documented on [`super::rank`]), reading
//! only what the query touches: the postings of its terms and of the terms its words reach
//! through the knowledge pack, the occurrences and dates inside its time windows, and the
//! records of the items those name. Salience, for questions that ask for what matters, is the
//! one part that looks at every item.

use std::ops::Range;

use super::query::{MAX_QUERY_WORDS, TIME_WORDS};
use super::salience::{Salience, SalienceParts};
use super::SalienceExplanation;
use super::{amounts, fuzzy};
use super::{
    prefixed, Explanation, ItemKind, ItemRef, Query, RankSettings, RankedItem, TermContribution,
};
use crate::knowledge::{self, Source};
use crate::snapshot::{Field, Record, Snapshot, FIELD_COUNT};
use crate::sort::{merge_runs, sort_by};
use crate::text::when::{time_windows, TimeWindow};
use crate::time::{DAY_MS, HOUR_MS};

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
    /// `repeat_decay^k` for the item that is the k-th best of its event name.
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

    /// How well each item's times meet the query's windows, `(item, 0..=1)` by item, for the
    /// items that come near them: its dates (the dates index) and its occurrences (the time
    /// index, read only around each window). 1 when one falls inside a window, falling linearly
    /// to 0 at a slack of half the window's length (between 2 hours and 3 days) outside it —
    /// except at an edge that is `now` ("before April", "recently"): the other side of now is
    /// not near.
    fn time_matches(&self, now_ms: i64) -> Vec<(u32, f32)> {
        let mut out: Vec<(u32, f32)> = Vec::new();
        if self.windows.is_empty() {
            return out;
        }
        let mut note = |item: u32, m: f32| {
            if m > 0.0 {
                out.push((item, m));
            }
        };
        for (first, last, item) in self.snapshot.all_dates() {
            note(item, best_match(&self.windows, first, last, now_ms));
        }
        for w in &self.windows {
            let slack = slack(w);
            let from = w.start_ms.saturating_sub(slack);
            let to = w.end_ms.saturating_add(slack);
            for (t, item) in self.snapshot.occurrences_between(from, to) {
                note(item, window_match(w, t, t, now_ms));
            }
        }
        // One entry per item, its best match.
        sort_by(&mut out, |a, b| a.0.cmp(&b.0));
        let mut merged: Vec<(u32, f32)> = Vec::with_capacity(out.len());
        for (item, m) in out {
            match merged.last_mut() {
                Some(last) if last.0 == item => last.1 = last.1.max(m),
                _ => merged.push((item, m)),
            }
        }
        merged
    }

    /// Follows threads: the best `thread_seeds` items' values that only a few items share (an
    /// order id, a claim number, a merchant: df 2..=`thread_max_df`) lift the other items that
    /// have them by `thread_weight` times the seed's score, so that the `Delivery Delayed` of the
    /// order the question found comes with it.
    #[inline(never)]
    pub(super) fn follow_threads(&self, candidates: &mut Vec<Candidate>) {
        let s = self.settings;
        if s.thread_weight <= 0.0 || s.thread_seeds == 0 {
            return;
        }
        let order = by_score(candidates);
        // (term, seed score): the shared values of each seed, best seed first.
        let mut shared: Vec<(u32, f32)> = Vec::new();
        let mut seeds: Vec<usize> = Vec::new();
        for i in order.iter().take(s.thread_seeds) {
            let Some(c) = candidates.get(*i) else {
                continue;
            };
            let index = self.index_of(c.item);
            seeds.push(index);
            let Some(record) = self.snapshot.record(index) else {
                continue;
            };
            for term in record.rare_terms() {
                // A value the query itself matched is relevance, not a thread.
                let queried = self.terms.iter().any(|q| q.id == term);
                let df = self.snapshot.doc_freq(term) as usize;
                if (2..=s.thread_max_df).contains(&df)
                    && !queried
                    && !shared.iter().any(|(t, _)| *t == term)
                {
                    shared.push((term, c.score));
                }
            }
        }
        if shared.is_empty() {
            return;
        }
        // The best seed score each item shares a value with (first seed best).
        let mut lifts: Vec<(u32, f32)> = Vec::new();
        for (term, seed) in &shared {
            for p in self.snapshot.postings(*term) {
                lifts.push((p.item, *seed));
            }
        }
        sort_by(&mut lifts, |a, b| a.0.cmp(&b.0));
        let lift_of = |index: usize| -> f32 {
            let at = lifts.partition_point(|l| (l.0 as usize) < index);
            lifts
                .get(at..)
                .unwrap_or_default()
                .iter()
                .take_while(|l| l.0 as usize == index)
                .map(|l| l.1)
                .fold(0f32, f32::max)
                * s.thread_weight
        };
        for c in candidates.iter_mut() {
            let index = self.index_of(c.item);
            if seeds.contains(&index) {
                continue;
            }
            let add = lift_of(index);
            if add > 0.0 {
                c.parts.thread = add;
                c.parts.score += add;
                c.score = c.parts.score;
            }
        }
        if !s.thread_adds_unmatched {
            return;
        }
        let mut present: Vec<usize> = candidates.iter().map(|c| self.index_of(c.item)).collect();
        sort_by(&mut present, |a, b| a.cmp(b));
        let mut lifted: Vec<u32> = lifts.iter().map(|l| l.0).collect();
        lifted.dedup();
        for index in lifted {
            let index_usize = index as usize;
            if present.binary_search(&index_usize).is_ok() || seeds.contains(&index_usize) {
                continue;
            }
            let add = lift_of(index_usize);
            if add > 0.0 {
                let mut parts = Parts::new(0.0, 0.0, 0.0, 1.0);
                parts.thread = add;
                parts.score = add;
                candidates.push(Candidate {
                    score: add,
                    parts,
                    item: self.item_ref(index),
                    hits: 0..0,
                    time_match: 0.0,
                });
            }
        }
    }

    /// Damps repeats: among events of the same name, the k-th best keeps `repeat_decay^k` of its
    /// score, so that twelve monthly `Payment Received` do not fill a context meant for facts.
    #[inline(never)]
    pub(super) fn damp_repeats(&self, candidates: &mut [Candidate]) {
        let decay = self.settings.repeat_decay;
        if decay >= 1.0 {
            return;
        }
        let order = by_score(candidates);
        // (name key, how many of that name ranked so far): few distinct names, so a list.
        let mut seen: Vec<(u32, i32)> = Vec::new();
        for i in order {
            let Some(c) = candidates.get_mut(i) else {
                continue;
            };
            let ItemRef::Group(g) = c.item else { continue };
            let Some(name) = self.snapshot.group_at(g).map(|g| g.name_key()) else {
                continue;
            };
            let k = match seen.iter_mut().find(|(n, _)| *n == name) {
                Some((_, k)) => k,
                None => {
                    seen.push((name, 0));
                    match seen.last_mut() {
                        Some((_, k)) => k,
                        None => continue,
                    }
                }
            };
            c.parts.repeat = decay.powi(*k);
            c.parts.score *= c.parts.repeat;
            c.score = c.parts.score;
            *k += 1;
        }
    }

    /// Blends salience into `candidates` (relevance divided by the best relevance, plus
    /// `salience_weight` times salience), for a question that asks for what matters; with
    /// `add_unmatched` (a question of no content word, "anything new?"), the salient items that
    /// matched nothing too.
    #[inline(never)]
    pub(super) fn blend_salience(
        &self,
        candidates: &mut Vec<Candidate>,
        now_ms: i64,
        add_unmatched: bool,
    ) {
        let s = self.settings;
        let salience = Salience::new(now_ms, s);
        let scale = candidates
            .iter()
            .map(|c| c.score)
            .fold(0f32, f32::max)
            .max(f32::MIN_POSITIVE);
        let traits = self.snapshot.trait_count();
        let mut seen = vec![false; self.snapshot.item_count()];
        for c in candidates.iter_mut() {
            let index = self.index_of(c.item);
            let (sal, is_event) = match c.item {
                ItemRef::Trait(i) => match self.snapshot.trait_at(i) {
                    Some(t) => (salience.of_trait(&t), false),
                    None => continue,
                },
                ItemRef::Group(i) => match self.snapshot.group_at(i) {
                    Some(g) => (salience.of_group(&g), true),
                    None => continue,
                },
            };
            if let Some(flag) = seen.get_mut(index) {
                *flag = true;
            }
            c.parts.blend(sal, is_event, scale, s.salience_weight);
            c.score = c.parts.score;
        }
        if !add_unmatched {
            return;
        }
        for (i, t) in self.snapshot.traits().enumerate() {
            let sal = salience.of_trait(&t);
            if !seen.get(i).copied().unwrap_or(true) && sal.value(false) > 0.0 {
                let mut parts = Parts::new(0.0, 0.0, 0.0, 1.0);
                parts.blend(sal, false, scale, s.salience_weight);
                candidates.push(Candidate {
                    score: parts.score,
                    parts,
                    item: ItemRef::Trait(i),
                    hits: 0..0,
                    time_match: 0.0,
                });
            }
        }
        for (i, g) in self.snapshot.groups().enumerate() {
            let sal = salience.of_group(&g);
            if !seen.get(traits + i).copied().unwrap_or(true) && sal.value(true) > 0.0 {
                let mut parts = Parts::new(0.0, 0.0, 0.0, 1.0);
                parts.blend(sal, true, scale, s.salience_weight);
                candidates.push(Candidate {
                    score: parts.score,
                    parts,
                    item: ItemRef::Group(i),
                    hits: 0..0,
                    time_match: 0.0,
                });
            }
        }
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

/// The best match of an instant range with any window.
fn best_match(windows: &[TimeWindow], first: i64, last: i64, now_ms: i64) -> f32 {
    windows
        .iter()
        .map(|w| window_match(w, first, last, now_ms))
        .fold(0f32, f32::max)
}

/// How far outside a window a time still counts a little: half its length, 2 hours to 3 days.
fn slack(w: &TimeWindow) -> i64 {
    ((w.end_ms - w.start_ms) / 2).clamp(2 * HOUR_MS, 3 * DAY_MS)
}

fn window_match(w: &TimeWindow, first: i64, last: i64, now_ms: i64) -> f32 {
    if last >= w.start_ms && first < w.end_ms {
        return 1.0;
    }
    if (last < w.start_ms && w.start_ms == now_ms) || (first >= w.end_ms && w.end_ms == now_ms) {
        return 0.0;
    }
    let gap = if last < w.start_ms {
        w.start_ms - last
    } else {
        first - w.end_ms + 1
    };
    (1.0 - gap as f32 / slack(w) as f32).max(0.0)
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

/// Indexes of `candidates`, best score first (ties in candidate order).
fn by_score(candidates: &[Candidate]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    sort_by(&mut order, |a, b| {
        let score = |i: &usize| candidates.get(*i).map_or(0.0, |c| c.score);
        score(b).total_cmp(&score(a))
    });
    order
}
