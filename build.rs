//! Build-time tables, stemmed with the crate's own stemmer (src/text/stem.rs) so that they agree
//! with the analyzer whatever it becomes:
//!
//! * `$OUT_DIR/lexicon_stemmed.rs`: the query lexicon's groups (src/text/lexicon_groups.rs), so
//!   that no query pays for stemming the whole lexicon on first use (a cold start in the npm
//!   package's wasm did: about 420 stem calls and 340 allocations).
//! * `$OUT_DIR/thesaurus.bin`: the WordNet extract (data/wordnet/thesaurus.txt) packed for the
//!   snapshot compiler (layout in src/text/thesaurus.rs): each stemmed word, and the hashes of
//!   the stemmed words and phrases it relates to.

use std::collections::BTreeMap;
use std::{env, fs, io, path::PathBuf};

#[path = "src/text/stem.rs"]
mod stem;
/// The crate's step counter (src/work.rs) counts only in its own tests.
mod work {
    pub fn step(_: usize) {}
}
#[path = "src/text/term_hash.rs"]
mod term_hash;

include!("src/text/lexicon_groups.rs");

fn main() -> io::Result<()> {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/text/stem.rs");
    println!("cargo:rerun-if-changed=src/text/lexicon_groups.rs");
    println!("cargo:rerun-if-changed=src/text/term_hash.rs");
    println!("cargo:rerun-if-changed=data/wordnet/thesaurus.txt");
    let mut out = String::from("static GROUPS_STEMMED: &[&[&str]] = &[\n");
    for group in GROUPS {
        let mut terms: Vec<String> = group.iter().map(|w| stem::stem(w)).collect();
        terms.dedup();
        let quoted: Vec<String> = terms.iter().map(|t| format!("{t:?}")).collect();
        out.push_str(&format!("    &[{}],\n", quoted.join(", ")));
    }
    out.push_str("];\n");
    let dir = PathBuf::from(
        env::var_os("OUT_DIR").ok_or_else(|| io::Error::other("OUT_DIR is not set"))?,
    );
    fs::write(dir.join("lexicon_stemmed.rs"), out)?;
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let text = fs::read_to_string(manifest.join("data/wordnet/thesaurus.txt"))?;
    fs::write(dir.join("thesaurus.bin"), pack_thesaurus(&text))
}

/// A word or phrase of the extract (`cash_machine`, `furbish_up`) as the analyzer would see it:
/// its words stemmed, joined by one space; `None` for anything but plain lowercase words.
fn stemmed_phrase(lemma: &str) -> Option<String> {
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

/// Packs the extract: `u32 keys, u32 pool bytes, u32 entries`, then `keys + 1` pool offsets,
/// `keys + 1` entry starts, the pool (the stemmed keys, sorted), and the entries: the hash of each
/// related word with its relation (0 related, 1 broader, 2 narrower) in the two low bits.
/// Words that stem alike are merged; of duplicate neighbors the closest relation is kept.
fn pack_thesaurus(text: &str) -> Vec<u8> {
    let mut table: BTreeMap<String, BTreeMap<u32, u32>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let mut columns = line.split('\t');
        let Some(key) = columns.next().and_then(stemmed_phrase) else {
            continue;
        };
        if key.contains(' ') {
            continue;
        }
        let own = term_hash::term_hash(&key);
        let entry = table.entry(key).or_default();
        for (relation, column) in (0u32..).zip(columns) {
            for lemma in column.split(' ') {
                let Some(phrase) = stemmed_phrase(lemma) else {
                    continue;
                };
                let hash = term_hash::term_hash(&phrase);
                if hash != own {
                    let kept = entry.entry(hash).or_insert(relation);
                    *kept = (*kept).min(relation);
                }
            }
        }
    }
    table.retain(|_, neighbors| !neighbors.is_empty());
    let (mut offsets, mut starts, mut pool, mut entries) =
        (vec![0u32], vec![0u32], Vec::new(), Vec::new());
    for (key, neighbors) in &table {
        pool.extend_from_slice(key.as_bytes());
        offsets.push(pool.len() as u32);
        entries.extend(neighbors.iter().map(|(hash, relation)| hash | relation));
        starts.push(entries.len() as u32);
    }
    let mut out = Vec::new();
    for n in [table.len() as u32, pool.len() as u32, entries.len() as u32] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    for n in offsets.iter().chain(&starts) {
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(&pool);
    for e in &entries {
        out.extend_from_slice(&e.to_le_bytes());
    }
    out
}
