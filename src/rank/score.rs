//! Scoring one snapshot against one query: the BM25F sum, coverage, recency and frequency of
//! every item (the formula is in the module docs of [`super`]), and the explanation of the items
//! returned.

use super::query::{MAX_QUERY_WORDS, TIME_WORDS};
use super::salience::{Salience, SalienceParts};
use super::SalienceExplanation;
use super::{
    prefixed, sort_by, Explanation, ItemKind, ItemRef, Query, RankSettings, RankedItem,
    TermContribution,
};
use crate::snapshot::{Field, GroupView, Posting, Snapshot, TraitView, FIELD_COUNT};
use crate::text::thesaurus::Relation;
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

pub(super) struct Scorer<'a> {
    snapshot: &'a Snapshot,
    settings: &'a RankSettings,
    /// Sorted by term id, for a merge join with an item's postings.
    terms: Vec<Resolved<'a>>,
    total_weight: f32,
    /// [`RankSettings::time_weight`] times the query's [`Query::time_scale`].
    time_weight: f32,
    avg_len: [f32; FIELD_COUNT],
    /// The query's time expressions in the person's zone (empty when it has none).
    windows: Vec<TimeWindow>,
    /// How well each item's times meet the windows, 0..=1: traits, then groups.
    time_match: Vec<f32>,
    time_idf: f32,
}

/// `idf = ln(1 + (N − df + 0.5) / (df + 0.5))`: of a term in `df` of `n` items (or of the query's
/// time expressions, met by `df` items).
fn idf(n: f32, df: f32) -> f32 {
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

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
        let idf_of = |id: u32| idf(n, snapshot.doc_freq(id) as f32);
        let mut terms: Vec<Resolved> = Vec::new();
        let mut add = |r: Resolved<'a>| match terms.iter_mut().find(|t| t.id == r.id) {
            // One entry per term (the postings merge needs it): the strongest reading wins.
            Some(t) if t.weight >= r.weight => {}
            Some(t) => *t = r,
            None => terms.push(r),
        };
        for q in &query.terms {
            if let Some(id) = snapshot.term_id(&q.term) {
                let typed = query.words.get(q.word).map(String::as_str);
                add(Resolved {
                    id,
                    term: snapshot.term_text(id),
                    via: typed.filter(|t| *t != q.term),
                    weight: q.weight,
                    idf: idf_of(id),
                    words: (q.word, q.word),
                });
            }
        }
        for key in &query.links {
            for (entry, id) in snapshot.links_of(key.hash) {
                let weight = key.weight
                    * match Relation::of_entry(*entry) {
                        Relation::Related => settings.related_weight,
                        Relation::Broader => settings.broader_weight,
                        Relation::Narrower => settings.narrower_weight,
                    };
                if weight > 0.0 {
                    add(Resolved {
                        id: *id,
                        term: snapshot.term_text(*id),
                        via: Some(&key.text),
                        weight,
                        idf: idf_of(*id),
                        words: key.words,
                    });
                }
            }
        }
        sort_by(&mut terms, |a, b| a.id.cmp(&b.id));
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
        let time_match = time_matches(snapshot, &windows, now_ms);
        let df = time_match.iter().filter(|m| **m > 0.0).count() as f32;
        let avg_len = std::array::from_fn(|f| snapshot.avg_field_len(f).max(1e-3));
        Some(Scorer {
            snapshot,
            settings,
            terms,
            total_weight,
            time_weight,
            avg_len,
            windows,
            time_match,
            time_idf: idf(n, df),
        })
    }

    /// Lexical score and matched query weight of an item, calling `each` with every matched term's
    /// index and contribution.
    fn lexical(
        &self,
        postings: &[Posting],
        time_match: f32,
        mut each: impl FnMut(usize, f32),
    ) -> (f32, f32) {
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
        let mut lexical = 0.0;
        // How much of each typed word the item matches: the weight of the strongest term that
        // stands for it.
        // One more for the words of the time expressions (`TIME_WORDS`).
        let mut covered = [0f32; MAX_QUERY_WORDS + 1];
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
                        for c in covered.iter_mut().take(q.words.1 + 1).skip(q.words.0) {
                            *c = c.max(q.weight.min(1.0));
                        }
                        each(qi, part);
                    }
                    qi += 1;
                }
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

    /// The time match of the item at `index` (traits first, then groups).
    fn time_of(&self, index: usize) -> f32 {
        self.time_match.get(index).copied().unwrap_or(0.0)
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
        if self.terms.is_empty() && self.windows.is_empty() {
            return candidates;
        }
        for (i, t) in self.snapshot.traits().enumerate() {
            if let Some(parts) = self.trait_parts(&t, self.time_of(i), now_ms) {
                candidates.push((parts.score, parts, ItemRef::Trait(i)));
            }
        }
        let traits = self.snapshot.trait_count();
        for (i, g) in self.snapshot.groups().enumerate() {
            if let Some(parts) = self.group_parts(&g, self.time_of(traits + i), now_ms) {
                candidates.push((parts.score, parts, ItemRef::Group(i)));
            }
        }
        candidates
    }

    /// The postings of an item.
    fn postings_of(&self, item: ItemRef) -> &'a [Posting] {
        match item {
            ItemRef::Trait(i) => self.snapshot.trait_at(i).map_or(&[], |t| t.postings),
            ItemRef::Group(i) => self.snapshot.group_at(i).map_or(&[], |g| g.postings),
        }
    }

    /// Follows threads: the best `thread_seeds` items' values that only a few items share (an
    /// order id, a claim number, a merchant: df 2..=`thread_max_df`) lift the other items that
    /// have them by `thread_weight` times the seed's score, so that the `Delivery Delayed` of the
    /// order the question found comes with it.
    #[inline(never)]
    pub(super) fn follow_threads(&self, candidates: &mut Vec<(f32, Parts, ItemRef)>) {
        let s = self.settings;
        if s.thread_weight <= 0.0 || s.thread_seeds == 0 {
            return;
        }
        let order = by_score(candidates);
        // (term, seed score): the shared values of each seed, best seed first.
        let mut shared: Vec<(u32, f32)> = Vec::new();
        let mut seeds: Vec<ItemRef> = Vec::new();
        for i in order.iter().take(s.thread_seeds) {
            let Some((score, _, item)) = candidates.get(*i) else {
                continue;
            };
            seeds.push(*item);
            for p in self.postings_of(*item) {
                let df = self.snapshot.doc_freq(p.term) as usize;
                // A value the query itself matched is relevance, not a thread.
                let queried = self.terms.iter().any(|q| q.id == p.term);
                if p.field == Field::Values as u8
                    && (2..=s.thread_max_df).contains(&df)
                    && !queried
                    && !shared.iter().any(|(t, _)| *t == p.term)
                {
                    shared.push((p.term, *score));
                }
            }
        }
        if shared.is_empty() {
            return;
        }
        let lift = |postings: &[Posting]| -> f32 {
            let mut best = 0f32;
            for p in postings {
                if let Some((_, seed)) = shared.iter().find(|(t, _)| *t == p.term) {
                    best = best.max(*seed);
                }
            }
            best * s.thread_weight
        };
        let mut present = vec![false; self.snapshot.item_count()];
        let traits = self.snapshot.trait_count();
        let index = |item: &ItemRef| match item {
            ItemRef::Trait(i) => *i,
            ItemRef::Group(i) => traits + i,
        };
        for (score, parts, item) in candidates.iter_mut() {
            if let Some(flag) = present.get_mut(index(item)) {
                *flag = true;
            }
            if seeds.contains(item) {
                continue;
            }
            let add = lift(self.postings_of(*item));
            if add > 0.0 {
                parts.thread = add;
                parts.score += add;
                *score = parts.score;
            }
        }
        let items = (0..traits)
            .map(ItemRef::Trait)
            .chain((0..self.snapshot.group_count()).map(ItemRef::Group));
        for item in items {
            if present.get(index(&item)).copied().unwrap_or(true) {
                continue;
            }
            let add = lift(self.postings_of(item));
            if add > 0.0 {
                let mut parts = Parts::new(0.0, 0.0, 0.0, 1.0);
                parts.thread = add;
                parts.score = add;
                candidates.push((add, parts, item));
            }
        }
    }

    /// Damps repeats: among events of the same name, the k-th best keeps `repeat_decay^k` of its
    /// score, so that twelve monthly `Payment Received` do not fill a context meant for facts.
    #[inline(never)]
    pub(super) fn damp_repeats(&self, candidates: &mut [(f32, Parts, ItemRef)]) {
        let decay = self.settings.repeat_decay;
        if decay >= 1.0 {
            return;
        }
        let order = by_score(candidates);
        // (name key, how many of that name ranked so far): few distinct names, so a list.
        let mut seen: Vec<(u32, i32)> = Vec::new();
        for i in order {
            let Some((score, parts, item)) = candidates.get_mut(i) else {
                continue;
            };
            let ItemRef::Group(g) = *item else { continue };
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
            parts.repeat = decay.powi(*k);
            parts.score *= parts.repeat;
            *score = parts.score;
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
        candidates: &mut Vec<(f32, Parts, ItemRef)>,
        now_ms: i64,
        add_unmatched: bool,
    ) {
        let s = self.settings;
        let salience = Salience::new(self.snapshot, now_ms, s);
        let scale = candidates
            .iter()
            .map(|c| c.0)
            .fold(0f32, f32::max)
            .max(f32::MIN_POSITIVE);
        let traits = self.snapshot.trait_count();
        let mut seen = vec![false; self.snapshot.item_count()];
        for (score, parts, item) in candidates.iter_mut() {
            let (index, sal, is_event) = match *item {
                ItemRef::Trait(i) => match self.snapshot.trait_at(i) {
                    Some(t) => (i, salience.of_trait(&t), false),
                    None => continue,
                },
                ItemRef::Group(i) => match self.snapshot.group_at(i) {
                    Some(g) => (traits + i, salience.of_group(&g), true),
                    None => continue,
                },
            };
            if let Some(flag) = seen.get_mut(index) {
                *flag = true;
            }
            parts.blend(sal, is_event, scale, s.salience_weight);
            *score = parts.score;
        }
        if !add_unmatched {
            return;
        }
        for (i, t) in self.snapshot.traits().enumerate() {
            let sal = salience.of_trait(&t);
            if !seen.get(i).copied().unwrap_or(true) && sal.value(false) > 0.0 {
                let mut parts = Parts::new(0.0, 0.0, 0.0, 1.0);
                parts.blend(sal, false, scale, s.salience_weight);
                candidates.push((parts.score, parts, ItemRef::Trait(i)));
            }
        }
        for (i, g) in self.snapshot.groups().enumerate() {
            let sal = salience.of_group(&g);
            if !seen.get(traits + i).copied().unwrap_or(true) && sal.value(true) > 0.0 {
                let mut parts = Parts::new(0.0, 0.0, 0.0, 1.0);
                parts.blend(sal, true, scale, s.salience_weight);
                candidates.push((parts.score, parts, ItemRef::Group(i)));
            }
        }
    }

    #[inline(never)]
    fn trait_parts(&self, t: &TraitView, time_match: f32, now_ms: i64) -> Option<Parts> {
        let (lexical, matched) = self.lexical(t.postings, time_match, |_, _| {});
        if lexical <= 0.0 {
            return None;
        }
        let s = self.settings;
        let mut recency = if t.withheld.is_some() {
            s.trait_recency * s.withheld_weight
        } else {
            s.trait_recency
        };
        if is_metric_key(t.key) {
            recency *= s.metric_weight;
        }
        if let Some(noted) = t.noted_ms {
            recency *= self.recency_of(noted, now_ms);
        }
        Some(Parts::new(lexical, self.coverage(matched), recency, 1.0))
    }

    /// `floor + (1 − floor) · 2^(−age / half-life)`.
    fn recency_of(&self, at_ms: i64, now_ms: i64) -> f32 {
        let s = self.settings;
        let age_hours = now_ms.saturating_sub(at_ms).max(0) as f32 / 3_600_000.0;
        s.recency_floor + (1.0 - s.recency_floor) * (-age_hours / s.half_life_hours).exp2()
    }

    #[inline(never)]
    fn group_parts(&self, g: &GroupView, time_match: f32, now_ms: i64) -> Option<Parts> {
        let (lexical, matched) = self.lexical(g.postings, time_match, |_, _| {});
        if lexical <= 0.0 {
            return None;
        }
        let s = self.settings;
        let recency = self.recency_of(g.last_ms(), now_ms);
        let frequency = 1.0 + s.frequency_weight * (g.count() as f32).ln();
        Some(Parts::new(
            lexical,
            self.coverage(matched),
            recency,
            frequency,
        ))
    }

    fn contributions(&self, postings: &[Posting], time_match: f32) -> Vec<TermContribution> {
        let mut out = Vec::new();
        self.lexical(postings, time_match, |qi, score| {
            if qi == TIME_TERM {
                let labels: Vec<&str> = self.windows.iter().map(|w| w.label.as_str()).collect();
                out.push(TermContribution {
                    term: ["time:", &labels.join(", ")].concat(),
                    via: None,
                    weight: self.time_weight * time_match,
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

    /// The returned form of a scored item: its id and an explanation of `parts`.
    pub(super) fn ranked_item(
        &self,
        item: ItemRef,
        parts: Parts,
        now_ms: i64,
    ) -> Option<RankedItem> {
        let (id, kind, postings, age_seconds, count, time_match) = match item {
            ItemRef::Trait(i) => {
                let t = self.snapshot.trait_at(i)?;
                let (id, kind, age) = match (t.noted_ms, self.snapshot.memory_id(i)) {
                    (Some(noted), Some(m)) => (
                        prefixed("memory:", m),
                        ItemKind::Memory,
                        Some(now_ms.saturating_sub(noted).max(0) / 1000),
                    ),
                    _ => (prefixed("trait:", t.key), ItemKind::Trait, None),
                };
                (id, kind, t.postings, age, None, self.time_of(i))
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
                    self.time_of(self.snapshot.trait_count() + i),
                )
            }
        };
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
                terms: self.contributions(postings, time_match),
            },
            item,
        })
    }
}

/// Per item (traits, then groups), how well its times meet the query's windows: 1 when one of
/// its dates or occurrences falls inside a window, falling linearly to 0 at a slack of half the
/// window's length (between 2 hours and 3 days) outside it — except at an edge that is `now`
/// ("before April", "recently"): the other side of now is not near. Empty without windows.
fn time_matches(snapshot: &Snapshot, windows: &[TimeWindow], now_ms: i64) -> Vec<f32> {
    if windows.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(snapshot.item_count());
    for t in snapshot.traits() {
        out.push(best_match(windows, t.dates.iter().copied(), now_ms));
    }
    for g in snapshot.groups() {
        let dates = g.dates().iter().copied();
        let occurrences = g.occurrence_times().map(|t| (t, t));
        out.push(best_match(windows, dates.chain(occurrences), now_ms));
    }
    out
}

/// The best match of any of `times` (`(first, last)` instants) with any window.
fn best_match(windows: &[TimeWindow], times: impl Iterator<Item = (i64, i64)>, now_ms: i64) -> f32 {
    let mut best = 0f32;
    for (first, last) in times {
        for w in windows {
            best = best.max(window_match(w, first, last, now_ms));
        }
        if best >= 1.0 {
            break;
        }
    }
    best
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
    let slack = ((w.end_ms - w.start_ms) / 2).clamp(2 * HOUR_MS, 3 * DAY_MS);
    (1.0 - gap as f32 / slack as f32).max(0.0)
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
fn by_score(candidates: &[(f32, Parts, ItemRef)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    sort_by(&mut order, |a, b| {
        let score = |i: &usize| candidates.get(*i).map_or(0.0, |c| c.0);
        score(b).total_cmp(&score(a))
    });
    order
}
