//! A light English stemmer: Porter's steps 1a, 1b and 5 (plurals, `-ed`/`-ing`, final `-e` and
//! `-ll`) plus `-ly`, without the derivational steps that over-stem short CDP keys.
//!
//! Both the data and the query go through it, so consistency matters more than linguistics:
//! `shoes`/`shoe`, `running`/`run`, `arrived`/`arrive`, `created`/`create`, `monthly`/`month`,
//! `travelling`/`travel` fold together, while `plane` stays apart from `plan` and `rate` from `rat`
//! (Porter's measure and consonant-vowel-consonant rules decide where a final `e` belongs).

/// Longest term, in bytes: a longer word (a hostile 16,000-letter value, a pasted token) is indexed
/// and looked up by its first this many bytes, cut at a character boundary and not stemmed. Both
/// sides of a match go through [`stem`], so they still meet; the value itself keeps the whole word.
pub const MAX_TERM_BYTES: usize = 64;

/// Returns the stem of one lowercase word. Words with digits or non-ASCII letters, and words of three
/// letters or fewer, are returned unchanged; words longer than [`MAX_TERM_BYTES`] are cut to it.
/// Linear in the word's length.
pub fn stem(word: &str) -> String {
    crate::work::step(word.len().min(MAX_TERM_BYTES));
    if word.len() > MAX_TERM_BYTES {
        let mut end = MAX_TERM_BYTES;
        while !word.is_char_boundary(end) {
            end -= 1;
        }
        return word.get(..end).unwrap_or_default().to_string();
    }
    if word.len() <= 3 || !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return word.to_string();
    }
    let mut s: Vec<u8> = word.as_bytes().to_vec();
    // Step 1a: plurals (`-ies` → `-y` keeps `category`/`categories` together).
    if s.ends_with(b"ies") && s.len() > 4 {
        s.truncate(s.len() - 3);
        s.push(b'y');
    } else if s.ends_with(b"sses") {
        s.truncate(s.len() - 2);
    } else if s.ends_with(b"s") && !(s.ends_with(b"ss") || s.ends_with(b"us") || s.ends_with(b"is"))
    {
        s.pop();
    }
    // Step 1b: `-ed`, `-ing`, and `-ly`, when a vowel remains in a stem of three letters or more.
    for (suffix, min_stem) in [(&b"ing"[..], 3), (&b"ed"[..], 3), (&b"ly"[..], 4)] {
        if let Some(base) = s.strip_suffix(suffix) {
            if base.len() >= min_stem && has_vowel(base) {
                let mut base = base.to_vec();
                if suffix != b"ly" {
                    restore_after_suffix(&mut base);
                }
                s = base;
            }
            break;
        }
    }
    // Step 5a: a final `e` goes when the rest is long enough not to need it.
    if let Some(rest) = s.strip_suffix(b"e").filter(|r| r.len() >= 3) {
        let m = measure(rest);
        if m > 1 || (m == 1 && !ends_cvc(rest)) {
            s.pop();
        }
    }
    // Step 5b: `-ll` → `-l` in longer words (`travell` → `travel`, but `bill` stays).
    if s.ends_with(b"ll") && measure(&s) > 1 {
        s.pop();
    }
    String::from_utf8(s).unwrap_or_else(|_| word.to_string())
}

/// After removing `-ed`/`-ing`: `creat` → `create`, `runn` → `run`, `hop` → `hope`.
fn restore_after_suffix(base: &mut Vec<u8>) {
    if base.ends_with(b"at") || base.ends_with(b"bl") || base.ends_with(b"iz") {
        base.push(b'e');
    } else if let [.., a, b] = base.as_slice() {
        let doubled =
            a == b && is_consonant(base, base.len() - 1) && !matches!(a, b'l' | b's' | b'z');
        if doubled && base.len() > 3 {
            base.pop();
        } else if !doubled && measure(base) == 1 && ends_cvc(base) {
            base.push(b'e');
        }
    }
}

/// Whether `w[i]` is a consonant in Porter's sense: a `y` is one at the start or after a vowel.
/// Decided from the letters before `i` in one backward pass over the run of `y`s ending at `i`
/// (no recursion: `yyyy…` costs its length, not its length squared, and no stack).
fn is_consonant(w: &[u8], i: usize) -> bool {
    match w.get(i) {
        Some(b'a' | b'e' | b'i' | b'o' | b'u') => false,
        Some(b'y') => {
            // y at an even distance from the start of its run of y's follows what precedes the
            // run: a consonant after a vowel (or at the start), alternating along the run.
            let run = w.get(..i).map_or(0, |before| {
                before.iter().rev().take_while(|b| **b == b'y').count()
            });
            let before_run = i - run;
            let run_starts_consonant = before_run == 0 || !is_plain_consonant(w, before_run - 1);
            run_starts_consonant == (run % 2 == 0)
        }
        Some(_) => true,
        None => false,
    }
}

/// [`is_consonant`] for a letter that is not a `y`.
fn is_plain_consonant(w: &[u8], i: usize) -> bool {
    !matches!(w.get(i), Some(b'a' | b'e' | b'i' | b'o' | b'u') | None)
}

/// The consonant flag of every letter of `w`, in one forward pass.
fn consonants(w: &[u8]) -> impl Iterator<Item = bool> + '_ {
    let mut prev_consonant = false;
    w.iter().enumerate().map(move |(i, b)| {
        let c = match b {
            b'a' | b'e' | b'i' | b'o' | b'u' => false,
            b'y' => i == 0 || !prev_consonant,
            _ => true,
        };
        prev_consonant = c;
        c
    })
}

fn has_vowel(w: &[u8]) -> bool {
    consonants(w).any(|c| !c)
}

/// Porter's measure: the number of vowel-consonant sequences.
fn measure(w: &[u8]) -> usize {
    let mut m = 0;
    let mut prev_vowel = false;
    for consonant in consonants(w) {
        let vowel = !consonant;
        if prev_vowel && !vowel {
            m += 1;
        }
        prev_vowel = vowel;
    }
    m
}

/// Ends consonant-vowel-consonant, the last not `w`, `x` or `y` (`hop`, `rat`, but not `show`).
fn ends_cvc(w: &[u8]) -> bool {
    let n = w.len();
    n >= 3
        && is_consonant(w, n - 3)
        && !is_consonant(w, n - 2)
        && is_consonant(w, n - 1)
        && !matches!(w.last(), Some(b'w' | b'x' | b'y'))
}

#[cfg(test)]
mod tests {
    use super::stem;

    fn same(a: &str, b: &str) {
        assert_eq!(stem(a), stem(b), "{a} / {b}");
    }

    fn apart(a: &str, b: &str) {
        assert_ne!(stem(a), stem(b), "{a} / {b}");
    }

    #[test]
    fn folds_plurals() {
        same("shoes", "shoe");
        same("categories", "category");
        same("points", "point");
        same("addresses", "address");
        same("sizes", "size");
        same("phones", "phone");
        assert_eq!(stem("tennis"), "tennis");
        assert_eq!(stem("status"), "status");
    }

    #[test]
    fn folds_verb_endings() {
        same("running", "run");
        same("shipped", "ship");
        same("shipping", "ship");
        same("arrived", "arrive");
        same("billing", "bill");
        same("travelling", "travel");
        same("cancelled", "cancel");
        same("monthly", "month");
        same("updated", "update");
        same("created", "create");
        same("added", "add");
        same("rated", "rate");
        same("shared", "share");
        same("charged", "charge");
        same("preferred", "prefer");
        same("scheduled", "schedule");
    }

    #[test]
    fn keeps_different_words_apart() {
        apart("plane", "plan");
        apart("rate", "rat");
        apart("hoping", "hopping");
        apart("bill", "bil");
    }

    #[test]
    fn long_words_are_cut_and_runs_of_y_cost_their_length() {
        let long = "y".repeat(20_000);
        assert_eq!(stem(&long), "y".repeat(super::MAX_TERM_BYTES));
        let long = "é".repeat(100);
        assert_eq!(stem(&long).len(), super::MAX_TERM_BYTES);
        // Porter's `y`: a consonant at the start and after a vowel, alternating along a run.
        assert_eq!(stem("yyyyyyyyed"), stem("yyyyyyyy"));
        same("played", "play");
        same("enjoying", "enjoy");
        same("crying", "cry");
    }

    #[test]
    fn leaves_short_numeric_and_non_ascii_words() {
        assert_eq!(stem("sms"), "sms");
        assert_eq!(stem("10.5"), "10.5");
        assert_eq!(stem("7d"), "7d");
        assert_eq!(stem("größe"), "größe");
        assert_eq!(stem("string"), "string");
        assert_eq!(stem("early"), "early");
    }
}
