//! Text analysis shared by snapshot compilation and queries.
//!
//! [`Analyzer`] is the one analysis both sides of a match go through: words are split on anything
//! that is not a letter or digit and also at `camelCase` humps, so `preferred_color`, `firstName`,
//! `postalCode` and `dotted.keys` yield their parts ([`split_words`]); numbers keep their decimal
//! point (`10.5`) and digit-group commas (`18,420` → `18420`); everything is lowercased
//! (Unicode-aware); then a word becomes a term by [`Analyzer::term`]: a light English stemmer folds
//! plurals and `-ing`/`-ed`/`-ly` endings, and a word longer than [`MAX_TERM_BYTES`] is cut. The
//! compiler indexes [`Analyzer::index_terms`] of every field (which adds camel-case wholes and the
//! parts of compounds); a query reads the same words, drops its stop words, and looks up
//! [`Analyzer::term`] of each, so `how_did_you_hear` as a key still indexes every word.

pub mod clock;
pub mod cues;
pub mod defuse;
mod derived;
pub mod entities;
mod fold;
pub mod initials;
mod invisible;
mod lexicon;
mod normalize;
mod stem;
mod stopwords;
mod term_hash;
pub mod thesaurus;
pub mod when;

pub use defuse::defuse;
pub use derived::agent_forms;
pub(crate) use fold::latin_base;
pub use invisible::{is_invisible, keeps_meaning};
pub use lexicon::expansions;
pub use normalize::{base_letter, normalize};
pub use stem::{stem, MAX_TERM_BYTES};
pub use stopwords::is_stop_word;
pub use term_hash::{term_hash, term_hash_bytes};

/// The analysis both sides of a match share (see the module docs). English, general, no domain
/// words: a deployment in another language replaces this type, and the compiler and the query
/// parser follow, since neither analyzes text any other way.
#[derive(Debug, Clone, Copy, Default)]
pub struct Analyzer;

impl Analyzer {
    /// The term of one lowercase word as [`split_words`] yields it: its stem, cut at
    /// [`MAX_TERM_BYTES`].
    pub fn term(word: &str) -> String {
        stem(word)
    }

    /// Appends the terms of `text` to `out`, in order, repeats kept: each word's term, then the
    /// term of each camel-case whole (`LinkedIn` → `linkedin`).
    pub fn terms(text: &str, out: &mut Vec<String>) {
        split_words(text, |word| out.push(Self::term(word)));
        compound_words(text, |word| out.push(Self::term(word)));
    }

    /// [`Analyzer::terms`] of a field of data, plus the two parts of a compound the thesaurus does
    /// not know as a whole (`timezone` → `time`, `zone`), so that a query typed in two words meets
    /// it. What the snapshot compiler indexes.
    /// The digits of clock times and ISO dates are left out ([`clock`]): times are matched as
    /// times, and their minutes must not meet a question's numbers. A zero-padded number of at
    /// least [`MIN_UNPADDED_DIGITS`] digits is indexed without its zeros too (`INV-2026-04596`
    /// meets "4596"): people type identifiers without the padding.
    pub fn index_terms(text: &str, out: &mut Vec<String>) {
        let mut hours: Vec<u8> = Vec::new();
        let text = clock::blank_clock_digits(text, |hour| hours.push(hour));
        let text = text.as_ref();
        Self::terms(text, out);
        split_words(text, |word| {
            if let Some((a, b)) = thesaurus::split_compound(word) {
                out.push(a);
                out.push(b);
            }
            if let Some(unpadded) = unpadded_number(word) {
                out.push(unpadded.to_string());
            }
        });
        out.extend(hours.into_iter().map(clock::hour_term));
    }
}

/// Fewest digits a zero-padded number keeps without its zeros for it to be indexed that way too:
/// an identifier (`04596`), not a day or a month (`05`).
pub const MIN_UNPADDED_DIGITS: usize = 3;

/// `word` without its leading zeros, when it is all digits, starts with a zero and keeps at least
/// [`MIN_UNPADDED_DIGITS`] digits.
fn unpadded_number(word: &str) -> Option<&str> {
    if !word.starts_with('0') || !word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rest = word.trim_start_matches('0');
    (rest.len() >= MIN_UNPADDED_DIGITS).then_some(rest)
}

/// Calls `emit` with each word that [`split_words`] splits at camel-case humps, whole and
/// lowercased (`LinkedIn` → `linkedin`, `PlayStation` → `playstation`), so that a brand written
/// `LinkedIn` in one place and `linkedin` in another still meets. Words without humps are not
/// repeated.
pub fn compound_words(text: &str, mut emit: impl FnMut(&str)) {
    let mut word = String::new();
    let mut humps = false;
    let mut prev: Option<char> = None;
    let mut flush = |word: &mut String, humps: &mut bool| {
        if *humps && !word.is_empty() {
            emit(word);
        }
        word.clear();
        *humps = false;
    };
    for c in text.chars() {
        if c.is_alphabetic() {
            if prev.is_some_and(|p| p.is_lowercase()) && c.is_uppercase() {
                humps = true;
            }
            word.extend(c.to_lowercase());
            prev = Some(c);
        } else {
            flush(&mut word, &mut humps);
            prev = None;
        }
    }
    flush(&mut word, &mut humps);
}

/// Splits `text` into lowercase words (before stemming) and calls `emit` for each.
///
/// Word boundaries: any character that is neither a letter nor a digit; a lowercase→uppercase hump
/// (`firstName`); the last capital of an acronym followed by lowercase (`HTMLParser` → `html`, `parser`).
/// A `.` or `,` between two digits stays inside the number (`10.5`); the comma is dropped (`18,420`).
pub fn split_words(text: &str, mut emit: impl FnMut(&str)) {
    split_words_into(text, &mut emit);
}

// One compiled copy for all callers (a generic `emit` made one per caller, 1.5 KB each in wasm).
#[inline(never)]
fn split_words_into(text: &str, emit: &mut dyn FnMut(&str)) {
    let mut chars = text.chars().peekable();
    let mut word = String::new();
    // What `word` holds so far, kept as we go so that no character is looked at twice: only
    // digits and at most one `.` (a number), and whether that `.` is there.
    let mut numeric = true;
    let mut has_dot = false;
    let mut prev: Option<char> = None;
    while let Some(c) = chars.next() {
        crate::work::step(1);
        let next = chars.peek().copied();
        if c.is_alphanumeric() {
            if let Some(p) = prev {
                let hump = c.is_uppercase() && p.is_lowercase();
                let acronym_end =
                    c.is_uppercase() && p.is_uppercase() && next.is_some_and(|n| n.is_lowercase());
                if (hump || acronym_end) && !word.is_empty() {
                    emit(&word);
                    word.clear();
                    (numeric, has_dot) = (true, false);
                }
            }
            if c.is_ascii() {
                word.push(c.to_ascii_lowercase());
            } else {
                word.extend(c.to_lowercase());
            }
            numeric &= c.is_ascii_digit();
            prev = Some(c);
            continue;
        }
        let between_digits =
            prev.is_some_and(|p| p.is_ascii_digit()) && next.is_some_and(|n| n.is_ascii_digit());
        if between_digits && numeric {
            if c == ',' {
                continue;
            }
            if c == '.' && !has_dot {
                word.push('.');
                has_dot = true;
                continue;
            }
        }
        if !word.is_empty() {
            emit(&word);
            word.clear();
        }
        (numeric, has_dot) = (true, false);
        prev = None;
    }
    if !word.is_empty() {
        emit(&word);
    }
}

/// Words of a key for display: `shoe_size` → `Shoe size`, `firstName` → `First name`.
pub fn humanize_key(key: &str) -> String {
    let mut words = key_words(key);
    match words.chars().next() {
        Some(first) if first.is_ascii() => words.get_mut(..1).map_or((), str::make_ascii_uppercase),
        Some(_) => words = capitalized(&words),
        None => {}
    }
    words
}

// Unicode capitalization in a function of its own, compiled only when a key starts with a
// non-ASCII letter.
#[inline(never)]
fn capitalized(words: &str) -> String {
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Lowercase words of a key, space-separated: `shoeSize` → `shoe size`; a key without letters or
/// digits as it is.
pub fn key_words(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    split_words(key, |word| {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    });
    if out.is_empty() {
        out.push_str(key);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        split_words(text, |w| out.push(w.to_string()));
        out
    }

    #[test]
    fn zero_padded_identifiers_are_indexed_without_their_zeros_too() {
        let indexed = |text: &str| {
            let mut out = Vec::new();
            Analyzer::index_terms(text, &mut out);
            out
        };
        let invoice = indexed("INV-2026-04596");
        assert!(invoice.iter().any(|t| t == "04596") && invoice.iter().any(|t| t == "4596"));
        assert!(indexed("order 000123").iter().any(|t| t == "123"));
        // Days, months and short codes keep their one spelling; so do unpadded numbers.
        for text in ["05/09", "room 007", "0", "4596", "0x1f"] {
            let terms = indexed(text);
            let mut again = Vec::new();
            Analyzer::terms(&clock::without_clock_digits(text), &mut again);
            assert_eq!(terms, again, "{text}");
        }
    }

    #[test]
    fn splits_snake_camel_kebab_and_dotted_keys() {
        assert_eq!(words("preferred_color"), ["preferred", "color"]);
        assert_eq!(words("firstName"), ["first", "name"]);
        assert_eq!(words("postalCode"), ["postal", "code"]);
        assert_eq!(words("kebab-case-key"), ["kebab", "case", "key"]);
        assert_eq!(words("dotted.keys.here"), ["dotted", "keys", "here"]);
        assert_eq!(words("HTMLParser"), ["html", "parser"]);
    }

    #[test]
    fn keeps_decimal_numbers_and_joins_digit_groups() {
        assert_eq!(words("size 10.5, please"), ["size", "10.5", "please"]);
        assert_eq!(words("18,420 points"), ["18420", "points"]);
        assert_eq!(words("ord_87731"), ["ord", "87731"]);
        assert_eq!(words("v1.2.3"), ["v1", "2.3"]);
        assert_eq!(words("1.2.3"), ["1.2", "3"]);
        assert_eq!(words("end."), ["end"]);
    }

    #[test]
    fn lowercases_unicode() {
        assert_eq!(words("ÉTÉ Straße"), ["été", "straße"]);
        assert_eq!(words("Überraschung"), ["überraschung"]);
    }

    #[test]
    fn camel_case_words_are_also_kept_whole() {
        let mut out = Vec::new();
        compound_words("add it to LinkedIn, PlayStation and linkedin", |w| {
            out.push(w.to_string())
        });
        assert_eq!(out, ["linkedin", "playstation"]);
        let mut terms = Vec::new();
        Analyzer::terms("firstName", &mut terms);
        assert_eq!(terms, ["first", "name", stem("firstname").as_str()]);
    }

    #[test]
    fn analyzer_indexes_every_word_of_data() {
        let mut out = Vec::new();
        Analyzer::terms("how_did_you_hear", &mut out);
        assert_eq!(out, ["how", "did", "you", "hear"]);
    }

    #[test]
    fn humanizes_keys() {
        assert_eq!(humanize_key("shoe_size"), "Shoe size");
        assert_eq!(humanize_key("firstName"), "First name");
        assert_eq!(humanize_key("__"), "__");
        assert_eq!(humanize_key("été_sale"), "Été sale");
        assert_eq!(key_words("preferredShoeSize"), "preferred shoe size");
        assert_eq!(key_words("--"), "--");
    }
}
