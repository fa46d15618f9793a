//! Clipped, informal and misspelt query words, matched to the profile's own longer words: a word
//! the profile does not have (`acct`, `info`, `pics`, `recieve`, `adress`, `cancle`) reaches a
//! profile word it begins (`info` → `information`), whose letters it keeps in order
//! (`acct` → `account`), or that it misses by a letter or a swap (`adress` → `address`,
//! `cancle` → `cancel`). General rules over the profile's own vocabulary, no word list.
//!
//! Each test keeps the first letter (people clip and misspell the middle and the end of a word,
//! rarely its start) and asks more of short words: a two-letter word reaches nothing, a typo is
//! looked for in words of five letters or more.

/// How a query word reached a profile word, and how much that is worth (0..=1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    /// The query word begins the profile word.
    Prefix,
    /// Its letters appear in the profile word in order, first letters equal.
    Letters,
    /// One edit or one swap of neighbouring letters apart.
    Typo,
}

impl Kind {
    /// The share of the fuzzy weight a match of this kind gets.
    pub(crate) fn quality(self) -> f32 {
        match self {
            Kind::Typo => 1.0,
            Kind::Prefix => 0.8,
            Kind::Letters => 0.6,
        }
    }
}

/// Whether `word` (a stemmed query word the profile does not have) reaches `term` (a profile
/// term), and how. Both are compared as bytes: words of other scripts reach only by prefix.
pub(crate) fn reaches(word: &str, term: &str) -> Option<Kind> {
    let (w, t) = (word.as_bytes(), term.as_bytes());
    if w.len() < 3 || t.len() < 4 || w.first() != t.first() || w == t {
        return None;
    }
    if !w.iter().all(u8::is_ascii_lowercase) || !t.iter().all(u8::is_ascii_lowercase) {
        return None;
    }
    if t.len() > w.len() && t.starts_with(w) && t.len() <= 4 * w.len() {
        return Some(Kind::Prefix);
    }
    if w.len() >= 5 && one_edit_or_swap(w, t) {
        return Some(Kind::Typo);
    }
    // Letters in order: clipped words keep the consonants (`acct`, `mgmt`, `pymt`); the last
    // letters must be near the end of the profile word, and the word cover a good share of it.
    if w.len() >= 4 && t.len() > w.len() && 2 * t.len() <= 5 * w.len() && in_order(w, t) {
        return Some(Kind::Letters);
    }
    None
}

/// Whether `a` becomes `b` by one insertion, deletion, substitution, or swap of two neighbouring
/// letters. Linear in their length.
fn one_edit_or_swap(a: &[u8], b: &[u8]) -> bool {
    let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (
        a.get(common..).unwrap_or_default(),
        b.get(common..).unwrap_or_default(),
    );
    match ra.len().abs_diff(rb.len()) {
        0 => {
            let rest = |n: usize| (ra.get(n..), rb.get(n..));
            // Substitution, or a swap of two neighbours.
            matches!(rest(1), (Some(x), Some(y)) if x == y)
                || (ra.len() >= 2
                    && ra.first() == rb.get(1)
                    && ra.get(1) == rb.first()
                    && matches!(rest(2), (Some(x), Some(y)) if x == y))
        }
        1 if ra.len() > rb.len() => ra.get(1..) == Some(rb),
        1 => rb.get(1..) == Some(ra),
        _ => false,
    }
}

/// Whether the letters of `w` appear in `t` in order, the last one in `t`'s last third.
fn in_order(w: &[u8], t: &[u8]) -> bool {
    let mut at = 0;
    for c in w {
        match t
            .get(at..)
            .and_then(|rest| rest.iter().position(|x| x == c))
        {
            Some(i) => at += i + 1,
            None => return false,
        }
    }
    3 * at >= 2 * t.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::stem;

    fn reach(word: &str, term: &str) -> Option<Kind> {
        reaches(&stem(word), &stem(term))
    }

    #[test]
    fn clipped_words_reach_the_words_they_begin() {
        assert_eq!(reach("info", "information"), Some(Kind::Prefix));
        assert_eq!(reach("pics", "pictures"), Some(Kind::Prefix));
        assert_eq!(reach("pref", "preferences"), Some(Kind::Prefix));
        assert_eq!(reach("approx", "approximately"), Some(Kind::Prefix));
        assert_eq!(reach("acct", "account"), Some(Kind::Letters));
        assert_eq!(reach("mgmt", "management"), Some(Kind::Letters));
    }

    #[test]
    fn misspellings_reach_the_word_one_edit_away() {
        assert_eq!(reach("recieve", "receive"), Some(Kind::Typo));
        assert_eq!(reach("adress", "address"), Some(Kind::Typo));
        assert_eq!(reach("cancle", "cancel"), Some(Kind::Typo));
        assert_eq!(reach("shiping", "shipping"), Some(Kind::Typo));
        assert_eq!(reach("delivry", "delivery"), Some(Kind::Typo));
    }

    #[test]
    fn short_and_unrelated_words_reach_nothing() {
        assert_eq!(reach("ok", "okay"), None, "two letters");
        assert_eq!(reach("cat", "cart"), None, "a short word gets no typo");
        assert_eq!(
            reach("car", "card"),
            Some(Kind::Prefix),
            "but may begin one"
        );
        assert_eq!(reach("bill", "ball"), None);
        assert_eq!(
            reach("plan", "explanation"),
            None,
            "the first letter is kept"
        );
        assert_eq!(reach("acct", "accessibility"), None, "too far apart");
        assert_eq!(
            reach("size", "size"),
            None,
            "the same word is an exact match"
        );
        assert_eq!(reach("fee", "feedback"), Some(Kind::Prefix));
        assert_eq!(reach("a", "apple"), None);
    }

    #[test]
    fn the_checks_are_linear_in_the_words() {
        let long = "a".repeat(10_000);
        let other = format!("{long}b");
        assert!(one_edit_or_swap(long.as_bytes(), other.as_bytes()));
        assert!(!in_order(b"zz", long.as_bytes()));
    }
}
