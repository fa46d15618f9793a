//! A query analyzed once, reusable across snapshots: its words (stop words dropped, stemmed), the
//! terms looked up for each (the word itself and the lexicon's expansions, with their weights),
//! the hashes by which its words and adjacent word pairs find their links in the knowledge pack, and its
//! text, whose time expressions are read per snapshot (each has its own time zone).
//!
//! Each typed word is one unit of the coverage factor: an item matching a word, or a word the
//! lexicon or the thesaurus relates to it, covers that word (in proportion to the weight of what
//! matched), so related words add reach without diluting the query.

use std::borrow::Cow;

use super::RankSettings;
use crate::knowledge;
use crate::text::cues::{is_content_cue, is_cue, is_cue_pair};
use crate::text::thesaurus::split_compound_by;
use crate::text::when::time_words;
use crate::text::{compound_words, expansions, is_stop_word, split_words, term_hash, Analyzer};

/// Most words of a query that count towards coverage (and are looked up at all).
pub const MAX_QUERY_WORDS: usize = 64;

/// The word index of the words of the query's time expressions (`month` in "this month"): they
/// are looked up at the lexicon's weight and cover the time expression, not a word of their own.
pub const TIME_WORDS: usize = MAX_QUERY_WORDS;

/// Words of time expressions that only say which side of now ("last", "next"), not of what.
const TIME_MODIFIERS: &[&str] = &[
    "after", "ago", "before", "by", "coming", "in", "last", "next", "on", "past", "since", "this",
    "till", "until",
];

/// A term looked up in a snapshot's dictionary for a query.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryTerm {
    /// The stemmed term.
    pub term: String,
    /// 1 for a typed word, [`RankSettings::expansion_weight`] for a lexicon expansion.
    pub weight: f32,
    /// The typed word it stands for (an index into [`Query::words`]).
    pub word: usize,
}

/// A hash by which a query finds its links in the knowledge pack: of a typed word, or of two
/// adjacent typed words (`cash machine`).
#[derive(Debug, Clone, PartialEq)]
pub struct LinkKey {
    /// [`crate::text::term_hash`] of the stemmed word or pair.
    pub hash: u64,
    /// The typed words it covers (one, or two adjacent ones), indexes into [`Query::words`].
    pub words: (usize, usize),
    /// The stemmed word or pair, for explanations.
    pub text: String,
    /// The weight of the turn it comes from (1 for the last or only one).
    pub weight: f32,
}

/// A query analyzed once, reusable across snapshots.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The typed words, stop words dropped, stemmed, first occurrence of each.
    pub words: Vec<String>,
    /// The weight of each of [`Query::words`] in the coverage factor: 1 for a word of the last
    /// (or only) turn, [`RankSettings::turn_decay`]`^k` for one first met `k` turns earlier.
    pub weights: Vec<f32>,
    /// The terms to look up: each typed word, then the lexicon's expansions.
    pub terms: Vec<QueryTerm>,
    /// The thesaurus keys: each typed word and each pair of adjacent typed words.
    pub links: Vec<LinkKey>,
    /// The text whose time expressions are read against each snapshot's time zone: the query as
    /// typed, or of a conversation the last turn (or the latest earlier one with a time
    /// expression, when the last has none).
    pub text: String,
    /// Whether it asks for what matters ("anything new?", "any update on …", "what should I do
    /// next?"; [`crate::text::cues`]): salient items are blended in.
    pub cue: bool,
    /// The weight of the time expressions of [`Query::text`]: 1, or the weight of the earlier
    /// turn they come from.
    pub time_scale: f32,
}

impl Query {
    /// Analyzes query text: stop words, stemming, lexicon expansion, thesaurus keys.
    pub fn parse(text: &str, settings: &RankSettings) -> Query {
        Query::conversation(&[text], settings)
    }

    /// Analyzes a conversation's user turns, oldest first, as one query: the last turn's words
    /// weigh 1, a word first met `k` turns earlier [`RankSettings::turn_decay`]`^k`, over the last
    /// [`RankSettings::max_turns`] turns, so that a follow-up ("and in blue?") keeps the topic of
    /// the turns before it. Whether it asks for what matters follows the last turn only; its time
    /// expressions too, unless it has none, when the latest earlier turn's count at that turn's
    /// weight. The turns share one [`RankSettings::max_query_bytes`] budget (the last turn first)
    /// and one word limit, so a long conversation costs what its last turns do. One turn is
    /// exactly [`Query::parse`].
    pub fn conversation(turns: &[&str], settings: &RankSettings) -> Query {
        let mut q = Query {
            words: Vec::new(),
            weights: Vec::new(),
            terms: Vec::new(),
            links: Vec::new(),
            text: String::new(),
            cue: false,
            time_scale: 1.0,
        };
        let mut budget = settings.max_query_bytes;
        let mut weight = 1.0;
        let mut has_time = false;
        for (k, turn) in turns
            .iter()
            .rev()
            .take(settings.max_turns.max(1))
            .enumerate()
        {
            if budget == 0 || weight <= 0.0 {
                break;
            }
            let text = head_and_tail(turn, budget);
            budget = budget.saturating_sub(text.len());
            let turn_has_time = q.add_turn(&text, weight, k == 0, settings);
            if k == 0 || (!has_time && turn_has_time) {
                q.text = text.into_owned();
                q.time_scale = weight;
                has_time = turn_has_time;
            }
            weight *= settings.turn_decay;
        }
        q
    }

    /// Adds one turn's words at `weight` (words already met in a later turn keep theirs); only
    /// the last turn (`last`) sets the cue and adds the words of its time expressions as terms.
    /// Whether the turn has time expressions.
    fn add_turn(&mut self, text: &str, weight: f32, last: bool, settings: &RankSettings) -> bool {
        let max_words = settings.max_query_terms.min(MAX_QUERY_WORDS);
        let first_new = self.words.len();
        let words = &mut self.words;
        // The word index of each position in the text, `None` for stop words, so that pairs are
        // of words adjacent in the text.
        let mut sequence: Vec<Option<usize>> = Vec::new();
        // Words of time expressions are matched as times, and cue words ("any update?") ask for
        // salience: neither is matched as a word.
        let time_words = time_words(text);
        let has_time = time_words.contains(&true);
        let mut raw: Vec<String> = Vec::new();
        split_words(text, |w| {
            if raw.len() < 4 * MAX_QUERY_WORDS {
                raw.push(w.to_string());
            }
        });
        // Hours of the day the question names ("6 in the morning"): the word that names one
        // stands for its hour term, the rest of the expression is not matched as words.
        let mut hours: Vec<Option<(u8, Option<u8>)>> = vec![None; raw.len()];
        let mut in_hour = vec![false; raw.len()];
        let named_hours = match settings.hour_weight > 0.0 {
            true => crate::text::clock::hours_named(&raw, text),
            false => Vec::new(),
        };
        for (at, used, hour, other) in named_hours {
            for flag in in_hour.iter_mut().skip(at).take(used) {
                *flag = true;
            }
            if let Some(place) = hours.get_mut(at) {
                *place = Some((hour, other));
            }
        }
        let mut cue = false;
        let mut skip_next = false;
        let mut time_terms: Vec<String> = Vec::new();
        let mut hour_terms: Vec<(String, usize)> = Vec::new();
        let weights = &mut self.weights;
        // A term's index among the words, added (at this turn's weight) when new and room is left.
        let mut word_index = |term: String| match words.iter().position(|x| *x == term) {
            Some(i) => Some(i),
            None if words.len() < max_words => {
                words.push(term);
                weights.push(weight);
                Some(words.len() - 1)
            }
            None => None,
        };
        for (position, w) in raw.iter().enumerate() {
            if let Some((hour, other)) = hours.get(position).copied().flatten() {
                let term = crate::text::clock::hour_term(hour);
                let index = word_index(term);
                if let (Some(index), Some(other)) = (index, other) {
                    hour_terms.push((crate::text::clock::hour_term(other), index));
                }
                sequence.push(index);
                continue;
            }
            if in_hour.get(position).copied().unwrap_or(false) {
                sequence.push(None);
                continue;
            }
            let next = raw.get(position + 1).map_or("", String::as_str);
            let in_time = time_words.get(position).copied().unwrap_or(false);
            let pair = is_cue_pair(w, next);
            if in_time
                && !TIME_MODIFIERS.contains(&w.as_str())
                && !is_stop_word(w)
                && w.bytes().all(|b| b.is_ascii_lowercase())
            {
                let t = Analyzer::term(w);
                if !time_terms.contains(&t) {
                    time_terms.push(t);
                }
            }
            if skip_next || in_time {
                skip_next = false;
                sequence.push(None);
                continue;
            }
            if pair || is_cue(w) {
                cue = true;
                skip_next = pair;
                if pair || !is_content_cue(w) {
                    sequence.push(None);
                    continue;
                }
            }
            if is_stop_word(w) {
                sequence.push(None);
                continue;
            }
            sequence.push(word_index(Analyzer::term(w)));
        }
        if last {
            self.cue = cue;
        }
        let terms = &mut self.terms;
        // An hour's term (the only words with a colon) weighs `hour_weight`.
        let weight_of = |t: &str| match t.contains(':') {
            true => weight * settings.hour_weight,
            false => weight,
        };
        for (word, t) in words.iter().enumerate().skip(first_new) {
            terms.push(QueryTerm {
                term: t.clone(),
                weight: weight_of(t),
                word,
            });
        }
        // The other half of the day of an ambiguous hour ("7 o'clock"), for the same word.
        for (term, word) in hour_terms {
            if !terms.iter().any(|t| t.term == term) {
                let weight = weight_of(&term);
                terms.push(QueryTerm { term, weight, word });
            }
        }
        if last && settings.expansion_weight > 0.0 {
            for term in time_terms {
                if !terms.iter().any(|t| t.term == term) {
                    terms.push(QueryTerm {
                        term,
                        weight: settings.expansion_weight,
                        word: TIME_WORDS,
                    });
                }
            }
        }
        // `LinkedIn` also as `linkedin`, standing for its first part's word.
        compound_words(text, |whole| {
            let term = Analyzer::term(whole);
            let first: String = whole.chars().take(2).collect();
            let word = words.iter().position(|w| w.starts_with(&first));
            if let Some(word) = word {
                if !terms.iter().any(|t| t.term == term) {
                    terms.push(QueryTerm { term, weight, word });
                }
            }
        });
        // A typed compound the dictionary does not know also as its two words ("speedtest" meets
        // "Speed Test"), each at `compound_weight` of the word's: the compiler splits a profile's
        // compounds the same way, so either side may be the joined one.
        // The dictionary is the knowledge pack's (none loaded: no splitting, as no links).
        let pack = knowledge::current();
        let knows = |stem: &str| pack.is_known(term_hash(stem));
        for w in raw.iter().filter(|_| settings.compound_weight > 0.0) {
            let Some((a, b)) = split_compound_by(w, &knows) else {
                continue;
            };
            let whole = Analyzer::term(w);
            let Some(word) = words.iter().skip(first_new).position(|x| *x == whole) else {
                continue;
            };
            for part in [a, b] {
                if !terms.iter().any(|t| t.term == part) {
                    terms.push(QueryTerm {
                        term: part,
                        weight: weight * settings.compound_weight,
                        word: first_new + word,
                    });
                }
            }
        }
        if settings.expansion_weight > 0.0 {
            for (word, t) in words.iter().enumerate().skip(first_new) {
                for e in expansions(t) {
                    if !terms.iter().any(|x| x.term == e) {
                        terms.push(QueryTerm {
                            term: e.to_string(),
                            weight: weight * settings.expansion_weight,
                            word,
                        });
                    }
                }
            }
        }
        let links = &mut self.links;
        for (i, w) in words.iter().enumerate().skip(first_new) {
            links.push(LinkKey {
                hash: term_hash(w),
                words: (i, i),
                text: w.clone(),
                weight,
            });
        }
        for pair in sequence.windows(2) {
            if let [Some(a), Some(b)] = pair {
                if a != b {
                    let (Some(wa), Some(wb)) = (words.get(*a), words.get(*b)) else {
                        continue;
                    };
                    let text = [wa.as_str(), " ", wb.as_str()].concat();
                    if !links.iter().any(|l| l.text == text) {
                        links.push(LinkKey {
                            hash: term_hash(&text),
                            words: (*a, *b),
                            text,
                            weight,
                        });
                    }
                }
            }
        }
        has_time
    }
}

/// `text` if it is at most `max` bytes; else its first and last `max / 2` bytes (at character
/// boundaries), joined by a space: a pasted document costs what `max` bytes do, and a question
/// before or after it is still read.
fn head_and_tail(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let half = max / 2;
    let mut head = half;
    while !text.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = text.len() - half;
    while !text.is_char_boundary(tail) {
        tail += 1;
    }
    let (Some(h), Some(t)) = (text.get(..head), text.get(tail..)) else {
        return Cow::Borrowed("");
    };
    Cow::Owned([h, " ", t].concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::stem;

    #[test]
    fn a_typed_compound_the_dictionary_lacks_is_also_its_two_words() {
        let q = Query::parse("speedtest says 38", &RankSettings::default());
        let whole = q.words.iter().position(|w| w == "speedtest").unwrap();
        for part in ["speed", "test"].map(Analyzer::term) {
            let t = q.terms.iter().find(|t| t.term == part).unwrap();
            assert_eq!((t.word, t.weight), (whole, 0.5), "{part}");
        }
        let off = RankSettings {
            compound_weight: 0.0,
            ..RankSettings::default()
        };
        let q = Query::parse("speedtest says 38", &off);
        assert!(!q.terms.iter().any(|t| t.term == "test"), "switched off");
        // A word the dictionary knows whole is not split.
        let q = Query::parse("checkout", &RankSettings::default());
        assert!(!q.terms.iter().any(|t| t.term == "check"));
    }

    #[test]
    fn words_terms_and_link_keys() {
        let q = Query::parse(
            "the cash machine kept my card, my bill!",
            &RankSettings::default(),
        );
        assert_eq!(q.words, ["cash", "machin", "kept", "card", "bill"]);
        assert!(q
            .terms
            .iter()
            .any(|t| t.term == stem("invoice") && t.word == 4 && t.weight < 1.0));
        let texts: Vec<&str> = q.links.iter().map(|l| l.text.as_str()).collect();
        assert!(texts.contains(&"cash machin"));
        assert!(texts.contains(&"machin kept"));
        assert!(!texts.contains(&"kept card"), "a stop word between them");
        // "card, my bill": no pair either.
        assert!(!texts.contains(&"card bill"));
        let pair = q.links.iter().find(|l| l.text == "cash machin").unwrap();
        assert_eq!(pair.words, (0, 1));
        assert_eq!(pair.hash, term_hash("cash machin"));
    }

    #[test]
    fn cue_words_ask_for_salience_and_are_not_matched() {
        let s = RankSettings::default();
        let q = Query::parse("any update on the fender bender?", &s);
        assert!(q.cue);
        assert_eq!(
            q.words,
            ["updat", "fender", "bender"],
            "update is a cue and a word"
        );
        let q = Query::parse("is there anything for me", &s);
        assert!(q.cue && q.words.is_empty(), "anything is only a cue");
        let q = Query::parse("anything I need to sort out?", &s);
        assert!(q.cue && q.words.is_empty());
        assert!(!Query::parse("what is my sort code", &s).cue);
        assert!(!Query::parse("running shoes", &s).cue);
    }

    #[test]
    fn the_word_limit_holds() {
        let long: String = (0..500).map(|i| format!("w{i} ")).collect();
        let q = Query::parse(&long, &RankSettings::default());
        assert_eq!(q.words.len(), RankSettings::default().max_query_terms);
        assert!(q.links.len() <= 2 * q.words.len());
    }

    #[test]
    fn earlier_turns_weigh_less_by_the_turn_decay() {
        let s = RankSettings::default();
        let q = Query::conversation(&["trail shoes", "jacket sizes", "and in blue?"], &s);
        assert_eq!(q.words, ["blue", "jacket", "size", "trail", "shoe"]);
        assert_eq!(q.weights, [1.0, 0.5, 0.5, 0.25, 0.25]);
        let shoe = q.terms.iter().find(|t| t.term == "shoe").unwrap();
        assert_eq!(shoe.weight, 0.25);
        assert!(q
            .links
            .iter()
            .any(|l| l.text == "jacket size" && l.weight == 0.5));
        assert!(
            !q.links
                .iter()
                .any(|l| l.text == "size trail" || l.text == "blue jacket"),
            "no pair across turns"
        );
        // A word of the last turn keeps its weight when an earlier turn has it too.
        let q = Query::conversation(&["blue shoes", "blue?"], &s);
        assert_eq!(q.weights, [1.0, 0.5]);
        // Decay 0 reads the last turn only.
        let last = RankSettings {
            turn_decay: 0.0,
            ..s.clone()
        };
        assert_eq!(
            Query::conversation(&["trail shoes", "and in blue?"], &last),
            Query::parse("and in blue?", &s)
        );
    }

    #[test]
    fn cue_and_time_follow_the_last_turn() {
        let s = RankSettings::default();
        let q = Query::conversation(&["any update on my order?", "the blue jacket"], &s);
        assert!(!q.cue, "the cue of an earlier turn is not the last turn's");
        assert!(Query::conversation(&["my order", "anything new?"], &s).cue);
        // An earlier turn's time expression counts at that turn's weight when the last has none.
        let q = Query::conversation(&["is there room in spin tonight?", "and yoga?"], &s);
        assert_eq!(q.text, "is there room in spin tonight?");
        assert_eq!(q.time_scale, 0.5);
        assert!(!q.terms.iter().any(|t| t.word == TIME_WORDS));
        let q = Query::conversation(&["spin tonight?", "what about tomorrow?"], &s);
        assert_eq!(
            (q.text.as_str(), q.time_scale),
            ("what about tomorrow?", 1.0)
        );
    }

    #[test]
    fn a_long_conversation_costs_what_its_last_turns_do() {
        let s = RankSettings::default();
        let turns: Vec<String> = (0..1_000).map(|i| format!("topic{i} words")).collect();
        let turns: Vec<&str> = turns.iter().map(String::as_str).collect();
        let q = Query::conversation(&turns, &s);
        assert_eq!(q.words.len(), 1 + s.max_turns, "{:?}", q.words);
        assert!(q.words.contains(&stem("topic999")) && !q.words.contains(&stem("topic995")));
        // The turns share one byte budget, the last turn first.
        let paste = "x ".repeat(3_000);
        let q = Query::conversation(&[paste.as_str(), "older", paste.as_str()], &s);
        assert!(!q.words.contains(&"older".to_string()), "{:?}", q.words);
    }

    #[test]
    fn long_queries_are_read_at_their_head_and_tail() {
        let paste = "1,".repeat(100_000);
        let text = format!("shoe size {paste} trail runner");
        let q = Query::parse(&text, &RankSettings::default());
        let typed: Vec<&str> = q.words.iter().map(String::as_str).collect();
        assert_eq!(typed.first(), Some(&"shoe"));
        assert!(
            typed.contains(&"trail") && typed.contains(&"runner"),
            "{typed:?}"
        );
        assert_eq!(head_and_tail("été", 4), "é é");
        assert_eq!(head_and_tail("short", 16), "short");
    }
}
