//! The knowledge pack and the compiler's word list, built from the general sources in `data/`
//! (layouts in src/knowledge/mod.rs and src/text/thesaurus.rs). Included by build.rs.

use std::collections::{BTreeMap, BTreeSet};

use crate::stem;
use crate::term_hash::term_hash;

/// Relation kinds of a pack entry (src/knowledge/mod.rs: `Link`).
const RELATED: u64 = 0;
const BROADER: u64 = 1;
const NARROWER: u64 = 2;
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

/// The pack: for every query-side word or phrase, the profile words it reaches, inverted from the
/// thesaurus (a key `t` listing neighbour `n` under relation `r` lets a query's `n` reach `t`).
pub fn pack(
    table: &BTreeMap<String, BTreeMap<String, u64>>,
    crc32: impl Fn(&[u8]) -> u32,
) -> Vec<u8> {
    // Query word → (profile word, relation).
    let mut inverted: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
    // Profile words of two letters (`os`, `pt`) are too ambiguous to reach through a thesaurus.
    let reachable = |t: &str| t.len() >= 3 && t.bytes().all(|b| b.is_ascii_lowercase());
    for (target, neighbors) in table.iter().filter(|(t, _)| reachable(t)) {
        for (neighbor, relation) in neighbors {
            let kept = inverted
                .entry(neighbor.as_str())
                .or_default()
                .entry(target.as_str())
                .or_insert(*relation);
            *kept = (*kept).min(*relation);
        }
    }
    let mut words: BTreeSet<&str> = table.keys().map(String::as_str).collect();
    words.extend(inverted.keys().copied());
    // Sorted by hash, so a query finds a word by binary search on its hash.
    let mut words: Vec<(u64, &str)> = words.into_iter().map(|w| (term_hash(w), w)).collect();
    words.sort_unstable();
    words.dedup_by_key(|(h, _)| *h);
    let index: BTreeMap<&str, u32> = words
        .iter()
        .enumerate()
        .map(|(i, (_, w))| (*w, i as u32))
        .collect();
    // Entry lists, offset 0 being the shared empty list.
    let mut entries = vec![0u8];
    let mut table_out = Vec::with_capacity(words.len() * 12);
    for (hash, word) in &words {
        let offset = match inverted.get(word) {
            Some(targets) if !targets.is_empty() => {
                let at = entries.len() as u32;
                let mut list: Vec<(u32, u64)> = targets
                    .iter()
                    .filter_map(|(t, r)| Some((*index.get(t)?, *r)))
                    .collect();
                list.sort_unstable();
                varint(&mut entries, list.len() as u64);
                for (target, relation) in list {
                    varint(&mut entries, u64::from(target) << 3 | relation);
                    entries.push(NO_COSINE);
                }
                at
            }
            _ => 0,
        };
        let known = u32::from(table.contains_key(*word)) << 31;
        table_out.extend_from_slice(&hash.to_le_bytes());
        table_out.extend_from_slice(&(offset | known).to_le_bytes());
    }
    let mut payload = (words.len() as u32).to_le_bytes().to_vec();
    payload.extend_from_slice(&table_out);
    payload.extend_from_slice(&entries);
    let mut out = b"EPKP".to_vec();
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}
