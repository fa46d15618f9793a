//! Build-time tables, stemmed with the crate's own stemmer (src/text/stem.rs) so that they agree
//! with the analyzer whatever it becomes:
//!
//! * `$OUT_DIR/lexicon_stemmed.rs`: the query lexicon's groups (src/text/lexicon_groups.rs), so
//!   that no query pays for stemming the whole lexicon on first use (a cold start in the npm
//!   package's wasm did: about 420 stem calls and 340 allocations).
//! * `$OUT_DIR/knowledge.bin`: the knowledge pack (src/knowledge/mod.rs), general word knowledge
//!   shared by every snapshot: for each query-side word or phrase, the stemmed words it reaches
//!   through the WordNet extract (data/wordnet/thesaurus.txt) and by static word vectors
//!   (data/vectors/, made by scripts/vectors.py), with the vectors' cosine of each pair.
//! * `$OUT_DIR/words.bin`: the stemmed words WordNet knows, for the compiler's compound splitting
//!   (src/text/thesaurus.rs).

use std::{env, fs, io, path::PathBuf};

#[path = "src/text/stem.rs"]
mod stem;
/// The crate's step counter (src/work.rs) counts only in its own tests.
mod work {
    pub fn step(_: usize) {}
}
#[path = "build-support/knowledge.rs"]
mod knowledge;
#[path = "src/text/term_hash.rs"]
mod term_hash;

include!("src/text/lexicon_groups.rs");

fn main() -> io::Result<()> {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/text/stem.rs");
    println!("cargo:rerun-if-changed=src/text/lexicon_groups.rs");
    println!("cargo:rerun-if-changed=src/text/term_hash.rs");
    println!("cargo:rerun-if-changed=data/wordnet/thesaurus.txt");
    println!("cargo:rerun-if-changed=build-support/knowledge.rs");
    println!("cargo:rerun-if-changed=data/vectors/neighbors.txt");
    println!("cargo:rerun-if-changed=data/vectors/wordnet-cosine.txt");
    println!("cargo:rerun-if-changed=data/vectors/common.txt");
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
    let table = knowledge::thesaurus(&text);
    fs::write(dir.join("words.bin"), knowledge::word_list(&table))?;
    let cosines = knowledge::wordnet_cosines(&fs::read_to_string(
        manifest.join("data/vectors/wordnet-cosine.txt"),
    )?);
    let vectors = knowledge::vector_neighbors(&fs::read_to_string(
        manifest.join("data/vectors/neighbors.txt"),
    )?);
    let common = knowledge::common_words(&fs::read_to_string(
        manifest.join("data/vectors/common.txt"),
    )?);
    fs::write(
        dir.join("knowledge.bin"),
        knowledge::pack(&table, &cosines, &vectors, &common, crc32),
    )
}

/// CRC-32 (IEEE), bit by bit: a few megabytes once per build.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                0xEDB8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
