//! Prints nDCG@10 and grade-3 recall@10 of the ranker on the labelled sets (fixtures/relevance-dev.json,
//! dev2/, dev3/) per question and per profile, and on the conversations three ways.
//! Run: `cargo run --release --example relevance [-- -v]` (`-v` lists each case's top 10);
//! `-- --set name=value,…` tries other settings; `-- --write FILE` writes the per-set and
//! per-domain figures and the ablation (each part of the model switched off in turn) as Markdown.
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
    match arg_after("--set") {
        Some(spec) => with_overrides(&spec),
        None => edge_persona::Checked::default(),
    }
}

/// The argument after `flag`, if any.
fn arg_after(flag: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let i = args.iter().position(|a| a == flag)?;
    args.get(i + 1).cloned()
}

/// The default settings with `name=value,…` applied.
fn with_overrides(spec: &str) -> edge_persona::Checked<RankSettings> {
    let mut s = RankSettings::default();
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
            "compound_weight" => s.compound_weight = v,
            "derived_weight" => s.derived_weight = v,
            "hour_weight" => s.hour_weight = v,
            "amount_weight" => s.amount_weight = v,
            "common_name_weight" => s.common_name_weight = v,
            "group_time_share" => s.group_time_share = v,
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

/// Each part of the model and the settings that switch it off.
const ABLATION: &[(&str, &str)] = &[
    ("CDP lexicon", "expansion_weight=0"),
    (
        "WordNet thesaurus",
        "related_weight=0,broader_weight=0,narrower_weight=0",
    ),
    ("static word vectors (neighbours)", "vector_weight=0"),
    ("vector veto of WordNet links", "veto_cosine=0"),
    ("clipped and misspelt words", "fuzzy_weight=0"),
    ("typed compounds split", "compound_weight=0"),
    ("agent nouns and comparatives", "derived_weight=0"),
    ("hours of the day", "hour_weight=0"),
    ("amounts", "amount_weight=0"),
    ("common words in names weigh less", "common_name_weight=1"),
    ("time expressions", "time_weight=0"),
    (
        "a group's time match by the share of its copies",
        "group_time_share=0",
    ),
    ("metric traits weigh less", "metric_weight=1"),
    ("threads", "thread_weight=0"),
    ("threads bring unmatched items", "thread_adds_unmatched=0"),
    ("repeat damping", "repeat_decay=1"),
    ("salience for vague questions", "salience_weight=0"),
    ("frequency", "frequency_weight=0"),
];

/// One row of figures: nDCG@10 and grade-3 recall@10 per labelled set, then the conversations.
fn figures(settings: &RankSettings, policy: &PrivacyPolicy) -> Vec<(f64, f64)> {
    let mut row: Vec<(f64, f64)> = common::DEV_SETS
        .iter()
        .map(|file| {
            let e = common::evaluate_set(&common::labelled_set(file), settings, policy);
            (e.mean_ndcg, e.must_recall)
        })
        .collect();
    let set = common::labelled_set(common::CONVERSATIONS);
    let e = common::evaluate_reading(&set, settings, policy, common::Reading::Conversation);
    row.push((e.mean_ndcg, e.must_recall));
    row
}

/// The Markdown that `--write` saves: per set, per domain, and the ablation.
fn report(policy: &PrivacyPolicy) -> String {
    use std::fmt::Write as _;
    let defaults = edge_persona::Checked::<RankSettings>::default();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let mut out = String::new();
    let _ = writeln!(out, "# Relevance on the labelled sets\n");
    let _ = writeln!(
        out,
        "Written by `cargo run --release --example relevance -- --write docs/benchmarks/relevance.md` \
         on {} (default settings, default privacy policy, the embedded knowledge pack). nDCG@10 with \
         gain 2^grade − 1; recall@10 of the grade-3 items, pooled. The sets are described in \
         [docs/relevance.md](../relevance.md); floors a little below these are asserted in \
         `tests/fixtures.rs`.\n",
        edge_persona::time::format_timestamp(now)
    );
    // The default model on every set, evaluated once for all three tables.
    let evaluated: Vec<(&str, common::DevSet, common::Evaluation)> = common::DEV_SETS
        .iter()
        .map(|file| {
            let set = common::labelled_set(file);
            let e = common::evaluate_set(&set, &defaults, policy);
            (*file, set, e)
        })
        .collect();
    let mut full: Vec<(f64, f64)> = evaluated
        .iter()
        .map(|(_, _, e)| (e.mean_ndcg, e.must_recall))
        .collect();
    let _ = writeln!(out, "| set | questions | nDCG@10 | grade-3 recall@10 |");
    let _ = writeln!(out, "| --- | ---: | ---: | ---: |");
    for (file, set, e) in &evaluated {
        let _ = writeln!(
            out,
            "| `{file}` | {} | {:.3} | {:.3} |",
            set.cases.len(),
            e.mean_ndcg,
            e.must_recall
        );
    }
    let set = common::labelled_set(common::CONVERSATIONS);
    for (name, reading) in [
        ("last turn only", common::Reading::LastTurn),
        ("all turns, unweighted", common::Reading::Joined),
        (
            "conversation query (what the engine does)",
            common::Reading::Conversation,
        ),
    ] {
        let e = common::evaluate_reading(&set, &defaults, policy, reading);
        if matches!(reading, common::Reading::Conversation) {
            full.push((e.mean_ndcg, e.must_recall));
        }
        let _ = writeln!(
            out,
            "| `{}`, {name} | {} | {:.3} | {:.3} |",
            common::CONVERSATIONS,
            set.cases.len(),
            e.mean_ndcg,
            e.must_recall
        );
    }
    let _ = writeln!(out, "\n## Per profile (domain)\n");
    let _ = writeln!(out, "| set | profile | nDCG@10 | grade-3 recall@10 |");
    let _ = writeln!(out, "| --- | --- | ---: | ---: |");
    for (file, _, e) in &evaluated {
        for (profile, p) in e.per_profile() {
            let _ = writeln!(
                out,
                "| `{file}` | {profile} | {:.3} | {:.3} |",
                p.mean_ndcg, p.must_recall
            );
        }
    }
    let _ = writeln!(out, "\n## Ablation\n");
    let _ = writeln!(
        out,
        "Each part switched off alone, the rest at defaults: nDCG@10 (grade-3 recall@10), and the \
         change in nDCG@10 from the full model.\n"
    );
    let mut header = String::from("| part switched off | settings |");
    let mut rule = String::from("| --- | --- |");
    for file in common::DEV_SETS.iter().chain([&common::CONVERSATIONS]) {
        let _ = write!(header, " `{file}` |");
        rule.push_str(" ---: |");
    }
    let _ = writeln!(out, "{header}\n{rule}");
    let cell = |(n, r): (f64, f64), base: Option<(f64, f64)>| match base {
        Some((b, _)) => format!("{n:.3} ({r:.3}) {:+.3}", n - b),
        None => format!("{n:.3} ({r:.3})"),
    };
    let _ = write!(out, "| nothing (the full model) | defaults |");
    for f in &full {
        let _ = write!(out, " {} |", cell(*f, None));
    }
    out.push('\n');
    for (part, spec) in ABLATION {
        let row = figures(&with_overrides(spec), policy);
        let _ = write!(out, "| {part} | `{spec}` |");
        for (f, base) in row.iter().zip(&full) {
            let _ = write!(out, " {} |", cell(*f, Some(*base)));
        }
        out.push('\n');
    }
    out
}

fn main() {
    let verbose = std::env::args().any(|a| a == "-v");
    if let Some(file) = arg_after("--write") {
        std::fs::write(&file, report(&PrivacyPolicy::default())).expect("write the report");
        println!("wrote {file}");
        return;
    }
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
