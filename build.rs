//! Stems the query lexicon's groups (src/text/lexicon_groups.rs) with the crate's own stemmer
//! (src/text/stem.rs) into `$OUT_DIR/lexicon_stemmed.rs`, which src/text/lexicon.rs includes, so
//! that no query pays for stemming the whole lexicon on first use (a cold start in the npm
//! package's wasm did: about 420 stem calls and 340 allocations).

use std::{env, fs, io, path::PathBuf};

#[path = "src/text/stem.rs"]
mod stem;

include!("src/text/lexicon_groups.rs");

fn main() -> io::Result<()> {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/text/stem.rs");
    println!("cargo:rerun-if-changed=src/text/lexicon_groups.rs");
    let mut out = String::from("static GROUPS_STEMMED: &[&[&str]] = &[\n");
    for group in GROUPS {
        let mut terms: Vec<String> = group.iter().map(|w| stem::stem(w)).collect();
        terms.dedup();
        let quoted: Vec<String> = terms.iter().map(|t| format!("{t:?}")).collect();
        out.push_str(&format!("    &[{}],\n", quoted.join(", ")));
    }
    out.push_str("];\n");
    let dir = env::var_os("OUT_DIR").ok_or_else(|| io::Error::other("OUT_DIR is not set"))?;
    fs::write(PathBuf::from(dir).join("lexicon_stemmed.rs"), out)
}
