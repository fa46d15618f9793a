//! A query analyzed once, reusable across snapshots: its words (stop words dropped, stemmed), the
//! terms looked up for each (the word itself and the lexicon's expansions, with their weights),
//! the hashes its words and adjacent word pairs reach a snapshot's thesaurus links by, and its
//! text, whose time expressions are read per snapshot (each has its own time zone).
//!
//! Each typed word is one unit of the coverage factor: an item matching a word, or a word the
//! lexicon or the thesaurus relates to it, covers that word (in proportion to the weight of what
//! matched), so related words add reach without diluting the query.

use std::borrow::Cow;

use super::RankSettings;
use crate::text::cues::{is_content_cue, is_cue, is_cue_pair};
use crate::text::when::time_words;
use crate::text::{compound_words, expansions, is_stop_word, split_words, stem, term_hash};

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

/// A hash by which a query reaches a snapshot's thesaurus links: of a typed word, or of two
/// adjacent typed words (`cash machine`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkKey {
    /// [`crate::text::term_hash`] of the stemmed word or pair.
    pub hash: u32,
    /// The typed words it covers (one, or two adjacent ones), indexes into [`Query::words`].
    pub words: (usize, usize),
    /// The stemmed word or pair, for explanations.
    pub text: String,
}

/// A query analyzed once, reusable across snapshots.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The typed words, stop words dropped, stemmed, first occurrence of each.
    pub words: Vec<String>,
    /// The terms to look up: each typed word, then the lexicon's expansions.
    pub terms: Vec<QueryTerm>,
    /// The thesaurus keys: each typed word and each pair of adjacent typed words.
    pub links: Vec<LinkKey>,
    /// The text as typed: its time expressions are read against each snapshot's time zone.
    pub text: String,
    /// Whether it asks for what matters ("anything new?", "any update on …", "what should I do
    /// next?"; [`crate::text::cues`]): salient items are blended in.
    pub cue: bool,
}

impl Query {
    /// Analyzes query text: stop words, stemming, lexicon expansion, thesaurus keys.
    pub fn parse(text: &str, settings: &RankSettings) -> Query {
        let text: &str = &head_and_tail(text, settings.max_query_bytes);
        let max_words = settings.max_query_terms.min(MAX_QUERY_WORDS);
        let mut words: Vec<String> = Vec::new();
        // The word index of each position in the text, `None` for stop words, so that pairs are
        // of words adjacent in the text.
        let mut sequence: Vec<Option<usize>> = Vec::new();
        // Words of time expressions are matched as times, and cue words ("any update?") ask for
        // salience: neither is matched as a word.
        let time_words = time_words(text);
        let mut raw: Vec<String> = Vec::new();
        split_words(text, |w| {
            if raw.len() < 4 * MAX_QUERY_WORDS {
                raw.push(w.to_string());
            }
        });
        let mut cue = false;
        let mut skip_next = false;
        let mut time_terms: Vec<String> = Vec::new();
        for (position, w) in raw.iter().enumerate() {
            let next = raw.get(position + 1).map_or("", String::as_str);
            let in_time = time_words.get(position).copied().unwrap_or(false);
            let pair = is_cue_pair(w, next);
            if in_time
                && !TIME_MODIFIERS.contains(&w.as_str())
                && !is_stop_word(w)
                && w.bytes().all(|b| b.is_ascii_lowercase())
            {
                let t = stem(w);
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
            let term = stem(w);
            let index = match words.iter().position(|x| *x == term) {
                Some(i) => Some(i),
                None if words.len() < max_words => {
                    words.push(term);
                    Some(words.len() - 1)
                }
                None => None,
            };
            sequence.push(index);
        }
        let mut terms: Vec<QueryTerm> = words
            .iter()
            .enumerate()
            .map(|(word, t)| QueryTerm {
                term: t.clone(),
                weight: 1.0,
                word,
            })
            .collect();
        if settings.expansion_weight > 0.0 {
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
            let term = stem(whole);
            let first: String = whole.chars().take(2).collect();
            let word = words.iter().position(|w| w.starts_with(&first));
            if let Some(word) = word {
                if !terms.iter().any(|t| t.term == term) {
                    terms.push(QueryTerm {
                        term,
                        weight: 1.0,
                        word,
                    });
                }
            }
        });
        if settings.expansion_weight > 0.0 {
            for (word, t) in words.iter().enumerate() {
                for e in expansions(t) {
                    if !terms.iter().any(|x| x.term == e) {
                        terms.push(QueryTerm {
                            term: e.to_string(),
                            weight: settings.expansion_weight,
                            word,
                        });
                    }
                }
            }
        }
        let mut links: Vec<LinkKey> = words
            .iter()
            .enumerate()
            .map(|(i, w)| LinkKey {
                hash: term_hash(w),
                words: (i, i),
                text: w.clone(),
            })
            .collect();
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
                        });
                    }
                }
            }
        }
        Query {
            words,
            terms,
            links,
            text: text.to_string(),
            cue,
        }
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
