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

/// `--set name=value,…` overrides of the ranker's settings, for trying a change without editing
/// the defaults (`cargo run --release --example relevance -- --set time_weight=0.5`).
fn settings_from_args() -> edge_persona::Checked<RankSettings> {
    let mut s = RankSettings::default();
    let args: Vec<String> = std::env::args().collect();
    let Some(spec) = args
        .iter()
        .position(|a| a == "--set")
        .and_then(|i| args.get(i + 1))
    else {
        return edge_persona::Checked::default();
    };
    for pair in spec.split(',') {
        let (name, value) = pair.split_once('=').expect("name=value");
        let v: f32 = value.parse().expect("a number");
        match name {
            "k1" => s.k1 = v,
            "b" => s.b = v,
            "name_weight" => s.field_weights[0] = v,
            "keys_weight" => s.field_weights[1] = v,
            "values_weight" => s.field_weights[2] = v,
            "initials_weight" => s.field_weights[3] = v,
            "expansion_weight" => s.expansion_weight = v,
            "coverage_exponent" => s.coverage_exponent = v,
            "half_life_hours" => s.half_life_hours = v,
            "recency_floor" => s.recency_floor = v,
            "trait_recency" => s.trait_recency = v,
            "withheld_weight" => s.withheld_weight = v,
            "frequency_weight" => s.frequency_weight = v,
            "time_weight" => s.time_weight = v,
            "metric_weight" => s.metric_weight = v,
            "related_weight" => s.related_weight = v,
            "broader_weight" => s.broader_weight = v,
            "narrower_weight" => s.narrower_weight = v,
            "vector_weight" => s.vector_weight = v,
            "fuzzy_weight" => s.fuzzy_weight = v,
            "amount_weight" => s.amount_weight = v,
            "common_name_weight" => s.common_name_weight = v,
            "thread_adds_unmatched" => s.thread_adds_unmatched = v > 0.0,
            "veto_cosine" => s.veto_cosine = v,
            "salience_weight" => s.salience_weight = v,
            "salience_horizon_days" => s.salience_horizon_days = v,
            "repeat_decay" => s.repeat_decay = v,
            "turn_decay" => s.turn_decay = v,
            "max_turns" => s.max_turns = v as usize,
            "thread_weight" => s.thread_weight = v,
            "thread_seeds" => s.thread_seeds = v as usize,
            "thread_max_df" => s.thread_max_df = v as usize,
            other => panic!("unknown setting {other}"),
        }
    }
    s.checked().expect("settings in range")
}

fn main() {
    let verbose = std::env::args().any(|a| a == "-v");
    let policy = PrivacyPolicy::default();
    let settings = settings_from_args();
    for file in common::DEV_SETS {
        let set = common::labelled_set(file);
        let eval = common::evaluate_set(&set, &settings, &policy);
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
    let set = common::labelled_set(common::CONVERSATIONS);
    println!(
        "== {} ({} conversations)",
        common::CONVERSATIONS,
        set.cases.len()
    );
    let readings = [
        ("last turn only", common::Reading::LastTurn),
        ("all turns, unweighted", common::Reading::Joined),
        ("conversation query", common::Reading::Conversation),
    ];
    for (name, reading) in readings {
        let eval = common::evaluate_reading(&set, &settings, &policy, reading);
        if verbose {
            for c in &eval.cases {
                println!(
                    "  {:<26} nDCG@10 {:.3}  grade-3 {}/{}",
                    c.id, c.ndcg, c.must_found, c.must_total
                );
            }
        }
        println!(
            "{name:<22}: mean nDCG@10 {:.3}   grade-3 recall@10 {:.3}",
            eval.mean_ndcg, eval.must_recall
        );
    }
}
