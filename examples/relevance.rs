//! Prints nDCG@10 and grade-3 recall@10 of the ranker on fixtures/relevance-dev.json.
//! Run: `cargo run --release --example relevance [-- -v]` (`-v` lists each case's top 10).
// Test and tooling code may panic on broken fixtures; the no-panic rule is for src/.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "../tests/common/mod.rs"]
mod common;

use edge_persona::RankSettings;

fn main() {
    let verbose = std::env::args().any(|a| a == "-v");
    let labels = common::dev_set();
    let eval = common::evaluate(&RankSettings::default());
    for (case, result) in labels.cases.iter().zip(&eval.cases) {
        println!(
            "{:<22} nDCG@10 {:.3}  grade-3 {}/{}",
            result.id, result.ndcg, result.must_found, result.must_total
        );
        if verbose {
            for (i, id) in result.ranked.iter().enumerate() {
                let grade = case
                    .relevant
                    .get(id)
                    .map_or(String::from("-"), |g| g.to_string());
                println!("    {:>2}. [{grade}] {id}", i + 1);
            }
            for (id, g) in &case.relevant {
                if !result.ranked.contains(id) {
                    println!("    missed [{g}] {id}");
                }
            }
        }
    }
    println!(
        "mean nDCG@10 {:.3}   grade-3 recall@10 {:.3}",
        eval.mean_ndcg, eval.must_recall
    );
}
