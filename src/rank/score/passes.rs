//! The passes over the lexical candidates: threads (an item's rare values lift the items that
//! share them), repeats (the k-th event of one name keeps `repeat_decay^k`, its newest all) and salience (blended
//! in for questions that ask for what matters).

use super::{by_score, Candidate, Parts, Scorer};
use crate::rank::salience::Salience;
use crate::rank::ItemRef;
use crate::sort::sort_by;

impl<'a> Scorer<'a> {
    /// Follows threads: the best `thread_seeds` items' values that only a few items share (an
    /// order id, a claim number, a merchant: df 2..=`thread_max_df`) lift the other items that
    /// have them by `thread_weight` times the seed's score, so that the `Delivery Delayed` of the
    /// order the question found comes with it.
    #[inline(never)]
    pub(in crate::rank) fn follow_threads(&self, candidates: &mut Vec<Candidate>) {
        let s = self.settings;
        if s.thread_weight <= 0.0 || s.thread_seeds == 0 {
            return;
        }
        let order = by_score(candidates);
        // (term, seed score): the shared values of each seed, best seed first.
        let mut shared: Vec<(u32, f32)> = Vec::new();
        let mut seeds: Vec<usize> = Vec::new();
        for i in order.take(s.thread_seeds) {
            let Some(c) = candidates.get(i) else {
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
    /// score, so that twelve monthly `Payment Received` do not fill a context meant for facts;
    /// but the newest of a name that matched is not damped (the latest bill, when an older one
    /// matched a word more), though it counts against the ones after it.
    #[inline(never)]
    pub(in crate::rank) fn damp_repeats(&self, candidates: &mut [Candidate]) {
        let decay = self.settings.repeat_decay;
        if decay >= 1.0 {
            return;
        }
        // Groups are stored newest first: the newest of a name is its lowest group index.
        let group_and_name = |c: &Candidate| match c.item {
            ItemRef::Group(g) => self.snapshot.group_name_key(g).map(|name| (g, name)),
            _ => None,
        };
        // Per name key (sorted, for lookups): the newest group of that name among the
        // candidates (each candidate is a different item: met once), and how many of that name
        // ranked so far.
        let mut names: Vec<(u32, usize, i32)> = candidates
            .iter()
            .filter_map(group_and_name)
            .map(|(g, name)| (name, g, 0))
            .collect();
        sort_by(&mut names, |a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        names.dedup_by(|later, first| later.0 == first.0);
        let mut order = by_score(candidates);
        // The best damped scores above `min_score`, at most `limit` of them, best first: once the
        // next score, undamped, is below the `limit`-th of these, no later candidate can be
        // returned (damping only lowers a score), and they are left as they are.
        let limit = self.settings.limit;
        let mut best: Vec<f32> = Vec::with_capacity(limit.min(64));
        while let Some(i) = order.next() {
            if limit > 0
                && best.len() == limit
                && best.last().is_some_and(|kth| order.key(i) < *kth)
            {
                break;
            }
            let Some(c) = candidates.get_mut(i) else {
                continue;
            };
            let mut note = |score: f32| {
                if score > self.settings.min_score {
                    let at = best.iter().position(|b| score > *b).unwrap_or(best.len());
                    best.insert(at, score);
                    best.truncate(limit);
                }
            };
            let seen = group_and_name(c).and_then(|(g, name)| {
                let at = names.binary_search_by_key(&name, |n| n.0).ok()?;
                names.get_mut(at).map(|(_, newest, k)| (g == *newest, k))
            });
            if let Some((is_newest, k)) = seen {
                if !is_newest {
                    c.parts.repeat = decay.powi(*k);
                    c.parts.score *= c.parts.repeat;
                    c.score = c.parts.score;
                }
                *k += 1;
            }
            note(c.score);
        }
    }

    /// Blends salience into `candidates` (relevance divided by the best relevance, plus
    /// `salience_weight` times salience), for a question that asks for what matters; with
    /// `add_unmatched` (a question of no content word, "anything new?"), the salient items that
    /// matched nothing too.
    #[inline(never)]
    pub(in crate::rank) fn blend_salience(
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
}
