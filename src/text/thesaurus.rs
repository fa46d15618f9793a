//! The words a general English dictionary knows, for the snapshot compiler's compound splitting:
//! the stemmed keys of the WordNet 3.0 extract (data/wordnet/thesaurus.txt, made by
//! scripts/wordnet.py), packed by build.rs as `u32 count`, `u32 × (count + 1)` offsets into the
//! pool, then the pool: the words sorted and concatenated. The thesaurus's relations themselves
//! are in the knowledge pack ([`crate::knowledge`]), which queries read.

use super::stem;

static WORDS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/words.bin"));

fn u32_at(bytes: &[u8], index: usize) -> Option<u32> {
    let at = index.checked_mul(4)?;
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([
        *b.first()?,
        *b.get(1)?,
        *b.get(2)?,
        *b.get(3)?,
    ]))
}

/// Number of words in the list.
pub fn word_count() -> usize {
    u32_at(WORDS, 0).map_or(0, |n| n as usize)
}

/// The `i`-th word, sorted.
fn word(i: usize) -> &'static [u8] {
    let count = word_count();
    let pool_at = (count + 2) * 4;
    let range = (|| Some(u32_at(WORDS, i + 1)? as usize..u32_at(WORDS, i + 2)? as usize))();
    range
        .and_then(|r| WORDS.get(pool_at + r.start..pool_at + r.end))
        .unwrap_or_default()
}

/// Whether the dictionary knows a stemmed word.
pub fn knows(stem: &str) -> bool {
    let (mut lo, mut hi) = (0, word_count());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match word(mid).cmp(stem.as_bytes()) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// Longest word [`split_compound`] tries to split: two ordinary words joined (`creditcardnumber`
/// is 16 letters).
pub const MAX_COMPOUND_BYTES: usize = 24;

/// The stems of the two known words a compound is made of (`timezone` → `time`, `zone`;
/// `sortcode` → `sort`, `code`), when the dictionary does not know the compound itself and each
/// part has at least three letters; of several splits, the one with the longer first part.
/// `word` is a lowercase word before stemming.
pub fn split_compound(word: &str) -> Option<(String, String)> {
    split_compound_by(word, &knows)
}

/// [`split_compound`] with another dictionary: the query parser asks the knowledge pack, whose
/// dictionary words are this list's, so that the browser's runtime module does not carry it.
#[inline(never)]
pub fn split_compound_by(word: &str, knows: &dyn Fn(&str) -> bool) -> Option<(String, String)> {
    // Each split point stems both parts: bounded by MAX_COMPOUND_BYTES, so a hostile long word
    // costs a constant instead of its length squared.
    if !(6..=MAX_COMPOUND_BYTES).contains(&word.len())
        || !word.bytes().all(|b| b.is_ascii_lowercase())
        || knows(&stem(word))
    {
        return None;
    }
    (3..=word.len() - 3).rev().find_map(|at| {
        let (a, b) = word.split_at_checked(at)?;
        let (a, b) = (stem(a), stem(b));
        (knows(&a) && knows(&b)).then_some((a, b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_knowledge_packs_dictionary_is_this_list() {
        let pack = crate::knowledge::current();
        for i in (0..word_count()).step_by(37) {
            let w = std::str::from_utf8(word(i)).unwrap();
            assert!(pack.is_known(crate::text::term_hash(w)), "{w}");
        }
        assert!(!pack.is_known(crate::text::term_hash("qwxzv")));
        let by_pack = |s: &str| pack.is_known(crate::text::term_hash(s));
        for compound in ["timezone", "sortcode", "speedtest", "sofa", "checkout"] {
            assert_eq!(
                split_compound_by(compound, &by_pack),
                split_compound(compound),
                "{compound}"
            );
        }
    }

    #[test]
    fn the_list_is_sorted_and_large() {
        assert!(word_count() > 30_000, "{} words", word_count());
        assert!((1..word_count()).all(|i| word(i - 1) < word(i)));
        assert!(knows("sofa") && knows(&stem("repairs")) && !knows("qwxzv"));
    }

    #[test]
    fn compounds_split_into_known_words() {
        let pair = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        assert_eq!(split_compound("timezone"), pair("time", "zone"));
        assert_eq!(split_compound("sortcode"), pair("sort", "code"));
        assert_eq!(split_compound("sofa"), None);
        assert_eq!(split_compound("checkout"), None, "a word of its own");
        assert_eq!(split_compound("xqzvwkpl"), None);
    }
}
