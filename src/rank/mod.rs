//! The lexical-plus-recency relevance model: settings, query analysis, scoring, explanations. The
//! model itself is documented on [`rank`], where users of the crate read it.

mod amounts;
mod explain;
mod fuzzy;
mod query;
mod salience;
mod score;
mod settings;

pub use explain::{
    Explanation, ItemKind, ItemRef, RankedItem, SalienceExplanation, TermContribution,
};
pub use query::{LinkKey, Query, QueryTerm, MAX_QUERY_WORDS};
pub use settings::RankSettings;

use crate::settings::Checked;
use crate::snapshot::Snapshot;
use crate::sort::sort_by;
use score::Scorer;

/// Ranks `snapshot` against `query` at time `now_ms`, returning at most `settings.limit` items,
/// best first, each with an [`Explanation`] of its score. The model:
///
/// Every trait and every event group of a [`Snapshot`] is scored against a [`Query`] and a `now`
/// timestamp (no clock is read). The query's typed words `u` (stop words dropped, at most
/// [`MAX_QUERY_WORDS`]) each stand for terms `t` looked up in the snapshot: the word's stem
/// (weight 1), the general CDP lexicon's expansions ([`RankSettings::expansion_weight`]), and the
/// thesaurus links the snapshot compiled for its own words from WordNet 3.0 (synonyms and
/// derivations at `related_weight`, more general words at `broader_weight`, more specific at
/// `narrower_weight`). An item's fields `f` are its name, property keys, values and the
/// initialisms of its phrases (`personal training` → `pt`), weighted by `field_weights`. The
/// query's time expressions ("tonight", "last weekend", "before April"), read in the person's time
/// zone, form one more query word `τ` matched by the item's times (occurrences, dates in values):
///
/// ```text
/// tf'(t,d)    = Σ_f  W_f · tf(t,d,f) / (1 − b + b · len(d,f) / avglen(f))      (BM25F)
/// lexical(d)  = Σ_t  w_t · idf(t) · tf'(t,d) · (k1 + 1) / (tf'(t,d) + k1)
///             + time_weight · idf(τ) · m(d) · (k1 + 1) / (m(d) + k1)          (m: time match 0..1)
/// idf(t)      = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))                   (N: items, not events)
/// matched(d)  = Σ_u max{min(w_t, 1) : t stands for u and matches d} + time_weight · m(d)
/// coverage(d) = (matched(d) / (|u| + time_weight [if the query has times])) ^ coverage_exponent
/// recency(d)  = floor + (1 − floor) · 2^(−age(d) / half_life)              (events)
///             = trait_recency (· withheld_weight) (· metric_weight)     (traits)
/// freq(d)     = 1 + frequency_weight · ln(count(d))
/// rel(d)      = lexical(d) · coverage(d) · recency(d) · freq(d)
/// ```
///
/// Then, in order: **salience**, for questions that ask for what matters ("anything I need to sort
/// out?", `text::cues`): the relevance of every item is divided by the best one and
/// `salience_weight · salience(d)` added (see `salience.rs`: recent and rare events, open states,
/// dates coming up), and with no content word, salient items that matched nothing join in;
/// **threads**: the best `thread_seeds` items' rare values (in 2..=`thread_max_df` items: an order
/// id, a claim number) add `thread_weight` × the seed's score to the other items holding them;
/// **repeats**: the k-th best event of a name keeps `repeat_decay^k` of its score, except the newest
/// of the name (it still counts against those after it). So:
///
/// ```text
/// base(d)     = rel(d)                                                  (no salience)
///             = rel(d) / max rel + salience_weight · salience(d)        (salience)
/// score(d)    = (base(d) + thread(d)) · repeat(d)
/// ```
///
/// [`Explanation`] reports every factor; its fields recompute the score (tested on every labelled
/// question, natively and through the npm package).
///
/// **What a single profile's IDF gets wrong.** A profile is a few hundred items, many of them the
/// same event repeated (441 `Page Viewed`). Counting *event groups* (identical events collapsed at
/// compile time) makes `N` and `df` measure distinct facts; a word in nearly every item (`product`,
/// the schema's own vocabulary) still gets an IDF near zero, as it should.
///
/// **Recent but irrelevant.** Recency multiplies relevance, it never adds to it: an event from ten
/// seconds ago that shares no word and no time with the query scores zero and is not returned
/// (only salience, for questions that ask for it, adds). Among relevant events, the newest win; an
/// old but specific event keeps at least `floor` of its weight.
///
/// **Coverage** counts typed words, not terms: "running shoes in my size" prefers the product added
/// *in size 10.5* over the dozens of running-shoe page views, and a word's many thesaurus links add
/// reach without diluting the query.
///
/// **Conversations.** [`Query::conversation`] reads a conversation's user turns as one query: a word
/// of the last turn weighs 1, a word first met `k` turns earlier [`RankSettings::turn_decay`]`^k`
/// (in `lexical` as `w_t`, in `coverage` as the word's unit), over the last
/// [`RankSettings::max_turns`] turns; cue and time expressions follow the last turn.
///
/// Order is deterministic: score descending ([`f32::total_cmp`]), then id ascending.
pub fn rank(
    snapshot: &Snapshot,
    query: &str,
    now_ms: i64,
    settings: &Checked<RankSettings>,
) -> Vec<RankedItem> {
    rank_conversation(snapshot, &[query], now_ms, settings)
}

/// [`rank`] of a conversation's user turns, oldest first ([`Query::conversation`]): the last turn
/// weighs most. One turn ranks exactly as [`rank`] of its text.
pub fn rank_conversation(
    snapshot: &Snapshot,
    turns: &[&str],
    now_ms: i64,
    settings: &Checked<RankSettings>,
) -> Vec<RankedItem> {
    let query = Query::conversation(turns, settings);
    rank_query(snapshot, &query, now_ms, settings)
}

/// [`rank`] with an already parsed query.
pub fn rank_query(
    snapshot: &Snapshot,
    query: &Query,
    now_ms: i64,
    settings: &Checked<RankSettings>,
) -> Vec<RankedItem> {
    let settings: &RankSettings = settings;
    let Some(mut scorer) = Scorer::new(snapshot, query, now_ms, settings) else {
        return Vec::new();
    };
    // Score the items the query touches; explanations are built only for the ones returned.
    let mut candidates = scorer.candidates(now_ms);
    if query.cue && settings.salience_weight > 0.0 {
        // With no content word, or none the profile has ("do you still need anything else?"),
        // the salient items are the answer.
        let add_unmatched = query.words.is_empty() || candidates.is_empty();
        scorer.blend_salience(&mut candidates, now_ms, add_unmatched);
    }
    scorer.follow_threads(&mut candidates);
    scorer.damp_repeats(&mut candidates);
    candidates.retain(|c| c.score > settings.min_score);
    // Keep the `limit` best scores and anything tied with the last of them (ties are broken by id,
    // which only the built items have).
    match cutoff(candidates.iter().map(|c| c.score), settings.limit) {
        Some(cutoff) => candidates.retain(|c| c.score.total_cmp(&cutoff).is_ge()),
        None if settings.limit == 0 => candidates.clear(),
        None => {}
    }
    let mut items: Vec<RankedItem> = candidates
        .into_iter()
        .filter_map(|c| scorer.ranked_item(c, now_ms))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::SettingsError;
    use crate::settings::Validate;

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
            &Checked::default(),
        );
        assert_eq!(items[0].id, "trait:shoe_size");
        assert!(ids(&items).contains(&"trait:jacket_size"));
    }

    #[test]
    fn recency_orders_equally_relevant_events() {
        let items = rank(&snapshot(), "running shoes", NOW, &Checked::default());
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
        let items = rank(&snapshot(), "running shoes", NOW, &Checked::default());
        assert!(!ids(&items).iter().any(|i| i.starts_with("event:noise")));
        assert!(rank(&snapshot(), "the of and", NOW, &Checked::default()).is_empty());
    }

    #[test]
    fn repeated_events_form_one_item_with_a_count() {
        let items = rank(&snapshot(), "app opened", NOW, &Checked::default());
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].id, "event:noise");
        assert_eq!(items[0].explain.count, Some(2));
    }

    /// The documented formula: `(base + thread) · repeat`, `base` the relevance product, or with
    /// salience that over the relevance scale plus the weighted salience.
    fn recomputed(e: &Explanation) -> f32 {
        let relevance = e.lexical * e.coverage * e.recency * e.frequency;
        let base = e.salience.as_ref().map_or(relevance, |s| {
            relevance / s.relevance_scale + s.weight * s.value
        });
        (base + e.thread) * e.repeat
    }

    #[test]
    fn explanation_parts_recompute_the_score() {
        let s = snapshot();
        // A plain query, and one that asks for what matters (the salience path).
        for query in ["running shoes size", "anything new about my running shoes?"] {
            let items = rank(&s, query, NOW, &Checked::default());
            assert!(!items.is_empty(), "{query}");
            for item in items {
                let e = &item.explain;
                assert!((recomputed(e) - item.score).abs() < 1e-4, "{item:?}");
                let sum: f32 = e.terms.iter().map(|t| t.score).sum();
                assert!((sum - e.lexical).abs() < 1e-4);
            }
        }
        let cue = rank(
            &s,
            "anything new about my running shoes?",
            NOW,
            &Checked::default(),
        );
        assert!(cue.iter().all(|i| i.explain.salience.is_some()));
    }

    #[test]
    fn equal_scores_are_ordered_by_id_whatever_the_profile_order() {
        // Two traits that score exactly alike for "green", stored in the opposite of id order.
        let s = profile("p")
            .text("preferred_color", "green")
            .text("favorite_color", "green")
            .text("shoe_size", "10.5")
            .compile();
        let all = rank(&s, "green", NOW, &Checked::default());
        assert_eq!(ids(&all), ["trait:favorite_color", "trait:preferred_color"]);
        assert_eq!(all[0].score, all[1].score, "a tie, broken by id");
        // The cut-off keeps ties with the last place, so the limit takes the smaller id too.
        let one = RankSettings {
            limit: 1,
            ..RankSettings::default()
        }
        .checked()
        .unwrap();
        assert_eq!(ids(&rank(&s, "green", NOW, &one)), ["trait:favorite_color"]);
    }

    #[test]
    fn the_limit_keeps_the_best_scores() {
        let s = snapshot();
        let all = rank(&s, "size shoes green", NOW, &Checked::default());
        assert!(all.len() > 2);
        let two = RankSettings {
            limit: 2,
            ..RankSettings::default()
        }
        .checked()
        .unwrap();
        assert_eq!(rank(&s, "size shoes green", NOW, &two), all[..2]);
    }

    #[test]
    fn lexicon_expansions_weigh_less_than_typed_words() {
        let q = Query::parse("my bill", &RankSettings::default());
        assert_eq!((q.terms[0].term.as_str(), q.terms[0].weight), ("bill", 1.0));
        assert!(q.terms.iter().any(|t| t.term == "invoic" && t.weight < 1.0));
    }

    #[test]
    fn a_typed_word_reaches_its_agent_noun_at_a_lower_weight() {
        let s = profile("p")
            .text("drivers", "Amara (16), Daniel")
            .text("favorite_color", "green")
            .compile();
        let question = "she just passed her driving test";
        let weight_of_driver = |settings: &Checked<RankSettings>| {
            rank(&s, question, NOW, settings)
                .iter()
                .find(|i| i.id == "trait:drivers")
                .and_then(|i| i.explain.terms.iter().find(|t| t.term == "driver").cloned())
                .map(|t| (t.weight, t.via))
        };
        let on = weight_of_driver(&Checked::default());
        assert_eq!(on, Some((0.5, Some("drive".to_string()))));
        // Off, only what the knowledge pack links, if anything, and less.
        let off = RankSettings {
            derived_weight: 0.0,
            ..RankSettings::default()
        }
        .checked()
        .unwrap();
        assert!(weight_of_driver(&off).is_none_or(|(w, _)| w < 0.5));
        let typed = rank(&s, "who are the drivers", NOW, &Checked::default());
        let typed = typed
            .iter()
            .find(|i| i.id == "trait:drivers")
            .expect("typed");
        assert_eq!(typed.explain.terms.first().map(|t| t.weight), Some(1.0));
    }

    #[test]
    fn an_hour_the_question_names_meets_clock_times_not_numbers() {
        let s = profile("p")
            .text("reminder_time", "06:00")
            .text("level", "6")
            .event("m1", NOW, "Reminder Changed", &[("to_time", "18:30")])
            .compile();
        let items = rank(
            &s,
            "it pings me at 6 in the morning",
            NOW,
            &Checked::default(),
        );
        assert_eq!(ids(&items), ["trait:reminder_time"]);
        let evening = rank(&s, "and at 6 in the evening?", NOW, &Checked::default());
        assert_eq!(ids(&evening), ["event:m1"]);
        let number = rank(&s, "what is level 6", NOW, &Checked::default());
        assert_eq!(number.first().map(|i| i.id.as_str()), Some("trait:level"));
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
            &Checked::default(),
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
        let items = rank(&s, "a card payment last night", now, &Checked::default());
        assert_eq!(items[0].id, "event:last-night");
        let off = RankSettings {
            time_weight: 0.0,
            ..RankSettings::default()
        }
        .checked()
        .unwrap();
        assert!(
            rank(&s, "tonight", now, &off).is_empty(),
            "time matching off"
        );
    }

    #[test]
    fn a_group_meets_a_window_by_the_share_of_its_copies_inside() {
        let now = FRIDAY_NOON;
        let mut b = profile("p").event(
            "order",
            now - 8 * 24 * HOUR,
            "Order Completed",
            &[("product", "Boots")],
        );
        for (i, days) in [8, 40, 41, 42].iter().enumerate() {
            b = b.event(
                &format!("view-{i}"),
                now - days * 24 * HOUR,
                "Product Viewed",
                &[("product", "Boots")],
            );
        }
        let s = b.compile();
        let time_weight = |settings: &Checked<RankSettings>, id: &str| {
            rank(&s, "boots last week", now, settings)
                .into_iter()
                .find(|i| i.id.ends_with(id))
                .and_then(|i| {
                    i.explain
                        .terms
                        .into_iter()
                        .find(|t| t.term.starts_with("time:"))
                })
                .map_or(0.0, |t| t.weight)
        };
        let default = Checked::default();
        let (order, views) = (
            time_weight(&default, "order"),
            time_weight(&default, "view-0"),
        );
        assert!(order > 0.0);
        assert!((views - order / 4.0).abs() < 1e-4, "{views} vs {order}");
        let best_copy = RankSettings {
            group_time_share: 0.0,
            ..RankSettings::default()
        }
        .checked()
        .unwrap();
        assert_eq!(time_weight(&best_copy, "view-0"), order);
    }

    #[test]
    fn a_window_that_starts_now_does_not_reach_into_the_past() {
        let now = FRIDAY_NOON;
        let s = profile("p")
            .text("last_seen_at", "2026-11-20T11:50:00Z")
            .text("renews_on", "2027-02-01")
            .compile();
        let items = rank(&s, "anything due before April?", now, &Checked::default());
        assert_eq!(ids(&items), ["trait:renews_on"]);
        // A window of the past ("last week") still reaches a little past its edges.
        let s = profile("p")
            .event("m", now - 11 * 24 * HOUR, "Letter Sent", &[])
            .compile();
        assert!(!rank(&s, "the letter from last week", now, &Checked::default()).is_empty());
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
        let items = rank(&s, "anything new for me?", now, &Checked::default());
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
        assert!(rank(&s, "the of and", now, &Checked::default()).is_empty());
        // A cue whose content words the profile does not have: the salient items still answer.
        let items = rank(
            &s,
            "anything about the xylophone?",
            now,
            &Checked::default(),
        );
        assert_eq!(
            items.first().map(|i| i.id.as_str()),
            Some("event:failed"),
            "{:?}",
            ids(&items)
        );
        // Without a cue, words the profile does not have get nothing.
        assert!(rank(&s, "zebra xylophone", now, &Checked::default()).is_empty());
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
        let items = rank(&s, "payment received", now, &Checked::default());
        assert_eq!(ids(&items), ["event:paid-1", "event:paid-2"]);
        assert_eq!(
            items[1].explain.repeat,
            RankSettings::default().repeat_decay
        );
        // The collision's claim number leads to its status change, which matched nothing.
        let items = rank(&s, "my collision", now, &Checked::default());
        assert_eq!(ids(&items), ["event:claim", "event:status"]);
        assert!(items[1].explain.thread > 0.0 && items[1].explain.coverage == 0.0);
    }

    #[test]
    fn the_newest_event_of_a_name_is_not_damped_by_older_ones_that_matched_more() {
        let now = FRIDAY_NOON;
        let bill =
            |b: crate::testing::ProfileBuilder, id: &str, days: i64, props: &[(&str, &str)]| {
                b.event(id, now - days * 24 * HOUR, "Bill Issued", props)
            };
        let b = profile("p");
        let b = bill(b, "nov", 1, &[("total", "109")]);
        let b = bill(b, "oct", 30, &[("total", "89"), ("credit", "20")]);
        let s = bill(b, "sep", 60, &[("total", "92"), ("credit", "15")]).compile();
        let items = rank(
            &s,
            "why is my bill up, where is the credit",
            now,
            &Checked::default(),
        );
        let repeat = |id: &str| items.iter().find(|i| i.id == id).map(|i| i.explain.repeat);
        let decay = RankSettings::default().repeat_decay;
        // The older bills matched "credit" too and rank first; September is October's repeat,
        // and the newest bill, ranked after both, keeps its whole score.
        assert_eq!(ids(&items), ["event:oct", "event:sep", "event:nov"]);
        assert_eq!(repeat("event:oct"), Some(1.0));
        assert_eq!(repeat("event:sep"), Some(decay));
        assert_eq!(repeat("event:nov"), Some(1.0));
    }

    #[test]
    fn traits_that_name_a_metric_weigh_less() {
        let s = profile("p")
            .text("refund_rate", "0.01")
            .text("refund_policy", "30 days")
            .compile();
        let items = rank(&s, "refund", FRIDAY_NOON, &Checked::default());
        assert_eq!(ids(&items), ["trait:refund_policy", "trait:refund_rate"]);
    }
}
