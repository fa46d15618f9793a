//! Prints nDCG@10 and grade-3 recall@10 of the ranker on both labelled sets
//! (fixtures/relevance-dev.json and fixtures/dev2/relevance-dev2.json), per question and per profile.
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

use edge_persona::{PrivacyPolicy, RankSettings};

fn main() {
    let verbose = std::env::args().any(|a| a == "-v");
    let policy = PrivacyPolicy::default();
    for file in common::DEV_SETS {
        let set = common::labelled_set(file);
        let eval = common::evaluate_set(&set, &RankSettings::default(), &policy);
        println!("== {file} ({} questions)", set.cases.len());
        for (case, result) in set.cases.iter().zip(&eval.cases) {
            println!(
                "{:<24} nDCG@10 {:.3}  grade-3 {}/{}",
                result.id,
                result.ndcg + 0.0,
                result.must_found,
                result.must_total
            );
            if verbose {
                println!("    query: {}", case.query);
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
        for (profile, e) in eval.per_profile() {
            println!(
                "  {:<36} nDCG@10 {:.3}  grade-3 recall@10 {:.3}",
                profile, e.mean_ndcg, e.must_recall
            );
        }
        println!(
            "{file}: mean nDCG@10 {:.3}   grade-3 recall@10 {:.3}\n",
            eval.mean_ndcg, eval.must_recall
        );
    }
}
