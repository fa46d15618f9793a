//! A general English thesaurus for the snapshot compiler: for a stemmed word, the words and
//! phrases WordNet 3.0 relates to it — synonyms and derivations (`repair` ~ `fix`, `mend`;
//! `substitution` ~ `substitute`), broader words (`couch` → `seat`) and narrower ones
//! (`collision` → `fender bender`).
//!
//! The compiler turns these into a snapshot's links (query word hash → term of the profile), so
//! a query reaches a profile's words through the thesaurus while the browser runtime carries
//! neither the table nor its strings. The table is data/wordnet/thesaurus.txt (extracted by
//! scripts/wordnet.py), stemmed and packed by build.rs:
//!
//! ```text
//! u32 keys, u32 pool bytes, u32 entries            (little-endian)
//! u32 × (keys + 1)   offsets of the keys in the pool
//! u32 × (keys + 1)   first entry of each key
//! pool               the stemmed keys, sorted, concatenated
//! u32 × entries      term_hash(related word) | relation (0 related, 1 broader, 2 narrower)
//! ```

use super::stem;

static TABLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/thesaurus.bin"));

/// How a related word relates to the word looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Relation {
    /// A synonym or a derivationally related word.
    Related = 0,
    /// A more general word (hypernym).
    Broader = 1,
    /// A more specific word (hyponym).
    Narrower = 2,
}

impl Relation {
    /// The relation in the two low bits of a packed entry.
    pub fn of_entry(entry: u32) -> Relation {
        match entry & 3 {
            0 => Relation::Related,
            1 => Relation::Broader,
            _ => Relation::Narrower,
        }
    }
}

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

/// The packed table's parts.
struct Table<'t> {
    keys: usize,
    offsets: &'t [u8],
    starts: &'t [u8],
    pool: &'t [u8],
    entries: &'t [u8],
}

fn table() -> Option<Table<'static>> {
    let keys = u32_at(TABLE, 0)? as usize;
    let pool_len = u32_at(TABLE, 1)? as usize;
    let index_len = (keys + 1) * 4;
    let rest = TABLE.get(12..)?;
    let (offsets, rest) = rest.split_at_checked(index_len)?;
    let (starts, rest) = rest.split_at_checked(index_len)?;
    let (pool, entries) = rest.split_at_checked(pool_len)?;
    Some(Table {
        keys,
        offsets,
        starts,
        pool,
        entries,
    })
}

impl Table<'_> {
    fn key(&self, i: usize) -> &[u8] {
        let range =
            (|| Some(u32_at(self.offsets, i)? as usize..u32_at(self.offsets, i + 1)? as usize))();
        range.and_then(|r| self.pool.get(r)).unwrap_or_default()
    }
}

/// Number of words in the table.
pub fn word_count() -> usize {
    table().map_or(0, |t| t.keys)
}

impl Table<'_> {
    /// The index of a stemmed word.
    fn find(&self, stem: &str) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.keys);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.key(mid).cmp(stem.as_bytes()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }
}

/// The packed entries (`term_hash | relation`) of a stemmed word; empty when the thesaurus does
/// not know it.
pub fn related(stem: &str) -> Vec<u32> {
    let entries = || {
        let t = table()?;
        let i = t.find(stem)?;
        let (first, end) = (u32_at(t.starts, i)?, u32_at(t.starts, i + 1)?);
        Some(
            (first as usize..end as usize)
                .filter_map(|e| u32_at(t.entries, e))
                .collect(),
        )
    };
    entries().unwrap_or_default()
}

/// Whether the thesaurus knows a stemmed word.
pub fn knows(stem: &str) -> bool {
    table().is_some_and(|t| t.find(stem).is_some())
}

/// Longest word [`split_compound`] tries to split: two ordinary words joined (`creditcardnumber`
/// is 16 letters).
pub const MAX_COMPOUND_BYTES: usize = 24;

/// The stems of the two known words a compound is made of (`timezone` → `time`, `zone`;
/// `sortcode` → `sort`, `code`), when the thesaurus does not know the compound itself and each
/// part has at least three letters; of several splits, the one with the longer first part.
/// `word` is a lowercase word before stemming.
pub fn split_compound(word: &str) -> Option<(String, String)> {
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
    use crate::text::{stem, term_hash::term_hash};

    fn relates(word: &str, other: &str) -> Option<Relation> {
        let other: Vec<String> = other.split(' ').map(stem).collect();
        let h = term_hash(&other.join(" "));
        related(&stem(word))
            .into_iter()
            .find(|e| e & !3 == h)
            .map(Relation::of_entry)
    }

    #[test]
    fn the_table_is_sorted_and_large() {
        let t = table().unwrap();
        assert!(t.keys > 30_000, "{} words", t.keys);
        assert!((1..t.keys).all(|i| t.key(i - 1) < t.key(i)));
    }

    #[test]
    fn synonyms_derivations_and_phrases() {
        assert_eq!(relates("repair", "fix"), Some(Relation::Related));
        assert_eq!(relates("fixed", "repair"), Some(Relation::Related));
        assert_eq!(relates("sofa", "couch"), Some(Relation::Related));
        assert_eq!(relates("vacation", "holiday"), Some(Relation::Related));
        assert_eq!(
            relates("substitution", "substitute"),
            Some(Relation::Related)
        );
        assert_eq!(relates("atm", "cash machine"), Some(Relation::Related));
        assert_eq!(relates("retained", "kept"), Some(Relation::Related));
    }

    #[test]
    fn broader_and_narrower_words() {
        assert_eq!(relates("sofa", "seat"), Some(Relation::Broader));
        assert_eq!(relates("resale", "selling"), Some(Relation::Broader));
        assert_eq!(relates("sister", "sis"), Some(Relation::Related));
        assert_eq!(relates("zebra", "sofa"), None);
        let pair = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        assert_eq!(split_compound("timezone"), pair("time", "zone"));
        assert_eq!(split_compound("sortcode"), pair("sort", "code"));
        assert_eq!(split_compound("sofa"), None);
        assert_eq!(split_compound("checkout"), None, "a word of its own");
        assert_eq!(split_compound("xqzvwkpl"), None);
        assert!(related("qwxzv").is_empty());
    }
}
