//! Initialisms of the profile's own phrases: `personal_training` and "Personal Training - 60 min"
//! give `pt`, "Direct Debit" `dd`, "General Admission" `ga`, `uninsured_motorist_bi` `um` and
//! `umb`. The snapshot compiler indexes them (in a field of their own, at a lower weight), so a
//! customer's "how many PT sessions" or "is it GA" reaches the phrase whatever the domain: the
//! abbreviations come from the data, not from a list.
//!
//! A phrase is a run of words inside one segment of text (segments end at punctuation other
//! than a hyphen or an underscore inside a word); stop words are skipped ("estimated time of
//! arrival" gives `eta`), numbers end a run. Runs of 2 to 4 words give one initialism each.

use super::{is_stop_word, split_words};

/// Most initialisms taken from one text.
pub const MAX_PER_TEXT: usize = 24;

/// Appends the initialisms of `text` to `out` (lowercase, deduplicated within the text).
pub fn initialisms(text: &str, out: &mut Vec<String>) {
    let start = out.len();
    for segment in text.split(|c: char| {
        matches!(
            c,
            ',' | ';' | ':' | '(' | ')' | '[' | ']' | '{' | '}' | '"' | '/' | '|' | '.' | '!' | '?'
        ) || c == '–'
            || c == '—'
    }) {
        // A dash between spaces separates too ("Personal Training - 60 min").
        for part in segment.split(" - ") {
            phrase_initials(part, out, start);
            if out.len() - start >= MAX_PER_TEXT {
                return;
            }
        }
    }
}

fn phrase_initials(part: &str, out: &mut Vec<String>, start: usize) {
    let mut letters: Vec<char> = Vec::new();
    let run_end = |letters: &mut Vec<char>, out: &mut Vec<String>| {
        for len in 2..=4usize {
            for window in letters.windows(len) {
                if out.len() - start >= MAX_PER_TEXT {
                    return;
                }
                let initialism: String = window.iter().collect();
                if !out.get(start..).unwrap_or_default().contains(&initialism) {
                    out.push(initialism);
                }
            }
        }
        letters.clear();
    };
    split_words(part, |word| {
        if word.chars().any(|c| c.is_ascii_digit()) {
            run_end(&mut letters, out);
        } else if !is_stop_word(word) {
            if let Some(first) = word.chars().next().filter(char::is_ascii_alphabetic) {
                letters.push(first);
            }
        }
    });
    run_end(&mut letters, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        initialisms(text, &mut out);
        out
    }

    #[test]
    fn phrases_give_their_initials() {
        assert_eq!(of("personal_training"), ["pt"]);
        assert_eq!(of("Personal Training - 60 min"), ["pt"]);
        assert_eq!(of("Direct Debit"), ["dd"]);
        assert_eq!(of("estimated time of arrival"), ["et", "ta", "eta"]);
        assert_eq!(of("uninsured_motorist_bi"), ["um", "mb", "umb"]);
        assert_eq!(of("paymentMethod"), ["pm"]);
    }

    #[test]
    fn segments_numbers_and_single_words_end_runs() {
        assert!(of("Gold").is_empty());
        assert!(of("tier: Gold, status: active").is_empty());
        assert_eq!(of("Machine Learning 101, Intro"), ["ml"]);
        assert_eq!(of("general admission (standing)"), ["ga"]);
    }

    #[test]
    fn bounded_whatever_the_text() {
        let long = "alpha beta gamma delta ".repeat(10_000);
        assert!(of(&long).len() <= MAX_PER_TEXT);
    }
}
