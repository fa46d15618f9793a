//! The knowledge pack and the compiler's word list, built from the general sources in `data/`
//! (layouts in src/knowledge/mod.rs and src/text/thesaurus.rs). Included by build.rs.

use std::collections::{BTreeMap, BTreeSet};

use crate::stem;
use crate::term_hash::term_hash;

/// Relation kinds of a pack entry (src/knowledge/mod.rs: `Source`).
const RELATED: u64 = 0;
const BROADER: u64 = 1;
const NARROWER: u64 = 2;
const VECTOR: u64 = 3;
/// How many of the most common English words (data/vectors/common.txt) are flagged as common.
const COMMON_TOP: usize = 1000;
/// A word's flags in the pack's word table, above its link list's offset.
const KNOWN_BIT: u32 = 1 << 31;
const COMMON_BIT: u32 = 1 << 30;

/// Most vector links kept per query word (the closest).
const VECTOR_LINKS_MAX: usize = 24;
/// Below this cosine, a pair of words one of which begins with the other (`bill` / `billow`,
/// `ring` / `ringgit`) is taken for a shared word piece, not a shared meaning.
const PREFIX_PAIR_MIN: f32 = 0.7;
/// An entry's cosine byte when no vector judged the pair.
const NO_COSINE: u8 = 255;

/// A word or phrase of the extract (`cash_machine`, `furbish_up`) as the analyzer would see it:
/// its words stemmed, joined by one space; `None` for anything but plain lowercase words.
pub fn stemmed_phrase(lemma: &str) -> Option<String> {
    let words: Vec<String> = lemma
        .split(['_', '-', ' '])
        .filter(|w| !w.is_empty())
        .map(stem::stem)
        .collect();
    let plain = !words.is_empty()
        && words.len() <= 3
        && words
            .iter()
            .all(|w| w.bytes().all(|b| b.is_ascii_lowercase()));
    plain.then(|| words.join(" "))
}

/// What the thesaurus extract says: each stemmed word (a key with at least one neighbour) and
/// its neighbours (stemmed words or phrases) with the closest relation. Words that stem alike
/// are merged.
pub fn thesaurus(text: &str) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut table: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let mut columns = line.split('\t');
        let Some(key) = columns.next().and_then(stemmed_phrase) else {
            continue;
        };
        if key.contains(' ') {
            continue;
        }
        let entry = table.entry(key.clone()).or_default();
        for (relation, column) in [RELATED, BROADER, NARROWER].into_iter().zip(columns) {
            for lemma in column.split(' ') {
                let Some(phrase) = stemmed_phrase(lemma) else {
                    continue;
                };
                if phrase != key {
                    let kept = entry.entry(phrase).or_insert(relation);
                    *kept = (*kept).min(relation);
                }
            }
        }
    }
    table.retain(|_, neighbors| !neighbors.is_empty());
    table
}

/// The cosine of each (stemmed thesaurus word, stemmed lemma) pair, from
/// data/vectors/wordnet-cosine.txt (the extract's lines, each lemma written `lemma:cos`).
pub fn wordnet_cosines(text: &str) -> BTreeMap<(String, String), f32> {
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let mut columns = line.split('\t');
        let Some(key) = columns.next().and_then(stemmed_phrase) else {
            continue;
        };
        for column in columns {
            for item in column.split(' ') {
                let Some((lemma, cos)) = item.rsplit_once(':') else {
                    continue;
                };
                let (Some(phrase), Ok(cos)) = (stemmed_phrase(lemma), cos.parse::<f32>()) else {
                    continue;
                };
                let kept = out.entry((key.clone(), phrase)).or_insert(cos);
                *kept = kept.max(cos);
            }
        }
    }
    out
}

/// Each stemmed word's nearest stemmed words by static vectors (data/vectors/neighbors.txt),
/// both ways (a cosine is symmetric; the file lists each word's closest only), at most
/// [`VECTOR_LINKS_MAX`] per word, without pairs that only share a word piece.
pub fn vector_neighbors(text: &str) -> BTreeMap<String, Vec<(String, f32)>> {
    let mut pairs: BTreeMap<String, BTreeMap<String, f32>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((word, list)) = line.split_once('\t') else {
            continue;
        };
        let Some(a) = stemmed_phrase(word) else {
            continue;
        };
        for item in list.split(' ') {
            let Some((neighbor, cos)) = item.rsplit_once(':') else {
                continue;
            };
            let (Some(b), Ok(cos)) = (stemmed_phrase(neighbor), cos.parse::<f32>()) else {
                continue;
            };
            let shares_piece = a.starts_with(b.as_str()) || b.starts_with(a.as_str());
            if a == b || (shares_piece && cos < PREFIX_PAIR_MIN) {
                continue;
            }
            for (x, y) in [(&a, &b), (&b, &a)] {
                let kept = pairs
                    .entry(x.clone())
                    .or_default()
                    .entry(y.clone())
                    .or_insert(cos);
                *kept = kept.max(cos);
            }
        }
    }
    pairs
        .into_iter()
        .map(|(word, neighbors)| {
            let mut list: Vec<(String, f32)> = neighbors.into_iter().collect();
            list.sort_by(|x, y| y.1.total_cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
            list.truncate(VECTOR_LINKS_MAX);
            (word, list)
        })
        .collect()
}

/// The stems of the [`COMMON_TOP`] most common English words (data/vectors/common.txt).
pub fn common_words(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .take(COMMON_TOP)
        .filter_map(stemmed_phrase)
        .collect()
}

/// The compiler's word list: the stemmed words the thesaurus knows, sorted, `u32 count`, `u32 ×
/// (count + 1)` offsets, then the words concatenated.
pub fn word_list(table: &BTreeMap<String, BTreeMap<String, u64>>) -> Vec<u8> {
    let mut offsets = vec![0u32];
    let mut pool = Vec::new();
    for key in table.keys() {
        pool.extend_from_slice(key.as_bytes());
        offsets.push(pool.len() as u32);
    }
    let mut out = (table.len() as u32).to_le_bytes().to_vec();
    for o in offsets {
        out.extend_from_slice(&o.to_le_bytes());
    }
    out.extend_from_slice(&pool);
    out
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The pack: for every query-side word or phrase, the profile words it reaches: inverted from
/// the thesaurus (a key `t` listing neighbour `n` under relation `r` lets a query's `n` reach
/// `t`), each link with the two words' vector cosine when known; and the word's nearest words by
/// static vectors.
pub fn pack(
    table: &BTreeMap<String, BTreeMap<String, u64>>,
    cosines: &BTreeMap<(String, String), f32>,
    vectors: &BTreeMap<String, Vec<(String, f32)>>,
    common: &BTreeSet<String>,
    crc32: impl Fn(&[u8]) -> u32,
) -> Vec<u8> {
    // Query word → (profile word, relation) → cosine.
    let mut inverted: BTreeMap<&str, BTreeMap<(&str, u64), Option<f32>>> = BTreeMap::new();
    // Profile words of two letters (`os`, `pt`) are too ambiguous to reach through general
    // knowledge.
    let reachable = |t: &str| t.len() >= 3 && t.bytes().all(|b| b.is_ascii_lowercase());
    for (target, neighbors) in table.iter().filter(|(t, _)| reachable(t)) {
        let mut closest: BTreeMap<&str, u64> = BTreeMap::new();
        for (neighbor, relation) in neighbors {
            let kept = closest.entry(neighbor.as_str()).or_insert(*relation);
            *kept = (*kept).min(*relation);
        }
        for (neighbor, relation) in closest {
            let cosine = cosines
                .get(&(target.clone(), neighbor.to_string()))
                .copied();
            inverted
                .entry(neighbor)
                .or_default()
                .insert((target.as_str(), relation), cosine);
        }
    }
    for (word, neighbors) in vectors {
        for (neighbor, cos) in neighbors.iter().filter(|(n, _)| reachable(n)) {
            inverted
                .entry(word.as_str())
                .or_default()
                .insert((neighbor.as_str(), VECTOR), Some(*cos));
        }
    }
    let mut words: BTreeSet<&str> = table.keys().map(String::as_str).collect();
    words.extend(inverted.keys().copied());
    words.extend(common.iter().map(String::as_str));
    for targets in inverted.values() {
        words.extend(targets.keys().map(|(t, _)| *t));
    }
    // Sorted by hash, so a query finds a word by binary search on its hash.
    let mut words: Vec<(u64, &str)> = words.into_iter().map(|w| (term_hash(w), w)).collect();
    words.sort_unstable();
    words.dedup_by_key(|(h, _)| *h);
    let index: BTreeMap<&str, u32> = words
        .iter()
        .enumerate()
        .map(|(i, (_, w))| (*w, i as u32))
        .collect();
    // Link lists, offset 0 being the shared empty list.
    let mut entries = vec![0u8];
    let mut table_out = Vec::with_capacity(words.len() * 12);
    for (hash, word) in &words {
        let offset = match inverted.get(word) {
            Some(targets) if !targets.is_empty() => {
                let at = entries.len() as u32;
                let mut list: Vec<(u32, u64, Option<f32>)> = targets
                    .iter()
                    .filter_map(|((t, r), cos)| Some((*index.get(t)?, *r, *cos)))
                    .collect();
                list.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
                varint(&mut entries, list.len() as u64);
                for (target, relation, cosine) in list {
                    varint(&mut entries, u64::from(target) << 3 | relation);
                    entries.push(
                        cosine.map_or(NO_COSINE, |c| (c.clamp(0.0, 1.0) * 100.0).round() as u8),
                    );
                }
                at
            }
            _ => 0,
        };
        let mut flags = 0;
        if table.contains_key(*word) {
            flags |= KNOWN_BIT;
        }
        if common.contains(*word) {
            flags |= COMMON_BIT;
        }
        table_out.extend_from_slice(&hash.to_le_bytes());
        table_out.extend_from_slice(&(offset | flags).to_le_bytes());
    }
    let mut payload = (words.len() as u32).to_le_bytes().to_vec();
    payload.extend_from_slice(&table_out);
    payload.extend_from_slice(&entries);
    let mut out = b"EPKP".to_vec();
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}
