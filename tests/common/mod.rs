//! Fixtures and relevance metrics shared by the integration tests, the benchmarks and the
//! `relevance` example.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use edge_persona::snapshot::{compile, Snapshot};
use edge_persona::time::parse_timestamp;
use edge_persona::PrivacyPolicy;
use edge_persona::Profile;
use edge_persona::{import_bundle, ImportLimits};
use edge_persona::{rank, rank_conversation, RankSettings};

/// The labelled sets' `now`, and the time the tests' profiles are built around: 2026-11-20T12:00:00Z,
/// a Friday.
pub const NOW: &str = "2026-11-20T12:00:00Z";
/// [`NOW`] in milliseconds since the epoch.
pub const NOW_MS: i64 = 1_795_176_000_000;
/// An hour and a day in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 86_400_000;

/// A Segment bundle (the Profile API's response bodies in one object) as its JSON text: the
/// profile id, its traits object and its events.
pub fn bundle(
    profile_id: &str,
    traits: serde_json::Value,
    events: Vec<serde_json::Value>,
) -> String {
    serde_json::json!({"profile_id": profile_id, "traits": {"traits": traits}, "events": {"data": events}})
        .to_string()
}

/// A track event of a bundle, `at_ms` as its ISO-8601 timestamp.
pub fn event(
    message_id: &str,
    name: &str,
    at_ms: i64,
    properties: serde_json::Value,
) -> serde_json::Value {
    serde_json::json!({"message_id": message_id, "type": "track", "event": name,
        "timestamp": edge_persona::time::format_timestamp(at_ms), "properties": properties})
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The text of a fixture; `profile-retail-large.json` is stored gzip-compressed.
pub fn fixture_text(name: &str) -> String {
    let dir = fixtures_dir();
    let plain = dir.join(name);
    if plain.exists() {
        return std::fs::read_to_string(&plain).expect("read fixture");
    }
    let gz = std::fs::File::open(dir.join(format!("{name}.gz"))).expect("open compressed fixture");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(gz), &mut text)
        .expect("gunzip fixture");
    text
}

pub fn profile(name: &str) -> Profile {
    import_bundle(
        &fixture_text(&format!("{name}.json")),
        &ImportLimits::default(),
    )
    .expect("import fixture")
}

pub fn snapshot(name: &str) -> Snapshot {
    compile(&profile(name), &PrivacyPolicy::default())
}

pub struct Case {
    pub id: String,
    /// The question; of a conversation, its last user turn.
    pub query: String,
    /// A conversation's user turns, oldest first (the question alone in the single-turn sets).
    pub turns: Vec<String>,
    /// The profile's fixture name (`profile-retail-jeff`, `dev2/profile-banking-aisha`).
    pub profile: String,
    pub relevant: HashMap<String, u32>,
}

pub struct DevSet {
    pub name: &'static str,
    pub now_ms: i64,
    pub cases: Vec<Case>,
}

/// The labelled sets: `relevance-dev.json` (12 questions, retail and telecom, the set the model's
/// constants were first chosen on), `dev2/relevance-dev2.json` and `dev3/relevance-dev3.json`
/// (48 questions each over eight other domains, written as customers type by someone who had not
/// seen the engine).
pub const DEV_SETS: [&str; 3] = [
    "relevance-dev.json",
    "dev2/relevance-dev2.json",
    "dev3/relevance-dev3.json",
];

/// An item's score recomputed from its explanation alone, by the formula the ranker documents:
/// `(base + thread) · repeat`, where `base` is `lexical · coverage · recency · frequency`, or with
/// salience that divided by the relevance scale plus the salience weight times its value.
pub fn score_from_explanation(e: &edge_persona::Explanation) -> f32 {
    let relevance = e.lexical * e.coverage * e.recency * e.frequency;
    let base = match &e.salience {
        None => relevance,
        Some(s) => relevance / s.relevance_scale + s.weight * s.value,
    };
    (base + e.thread) * e.repeat
}

/// The first labelled set (`relevance-dev.json`).
pub fn dev_set() -> DevSet {
    labelled_set(DEV_SETS[0])
}

/// The multi-turn labelled set: conversations whose labels grade the last turn's needs.
pub const CONVERSATIONS: &str = "conversations.json";

/// A labelled set by its file under `fixtures/`; its profiles are fixtures in the same folder.
pub fn labelled_set(file: &'static str) -> DevSet {
    let doc: serde_json::Value = serde_json::from_str(&fixture_text(file)).expect("labels");
    let folder = Path::new(file)
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| !p.is_empty());
    let now_ms = parse_timestamp(doc["now"].as_str().expect("now")).expect("now time");
    let cases = doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            let profile = c["profile"].as_str().expect("profile");
            let turns: Vec<String> = match c["turns"].as_array() {
                Some(turns) => turns
                    .iter()
                    .map(|t| t.as_str().expect("turn").to_string())
                    .collect(),
                None => vec![c["query"].as_str().expect("query").to_string()],
            };
            Case {
                id: c["id"].as_str().expect("id").to_string(),
                query: turns.last().expect("a turn").clone(),
                turns,
                profile: match &folder {
                    Some(dir) => format!("{dir}/{profile}"),
                    None => profile.to_string(),
                },
                relevant: c["relevant"]
                    .as_object()
                    .expect("relevant")
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_u64().expect("grade") as u32))
                    .collect(),
            }
        })
        .collect();
    DevSet {
        name: file,
        now_ms,
        cases,
    }
}

/// nDCG@k with exponential gain `2^grade − 1` (Burges et al.), the usual choice for graded labels.
pub fn ndcg_at(ranked: &[String], relevant: &HashMap<String, u32>, k: usize) -> f64 {
    let gain = |g: u32| f64::from((1u32 << g) - 1);
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, id)| gain(relevant.get(id).copied().unwrap_or(0)) / ((i + 2) as f64).log2())
        .sum();
    let mut ideal: Vec<u32> = relevant.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, g)| gain(*g) / ((i + 2) as f64).log2())
        .sum();
    if idcg == 0.0 {
        0.0
    } else {
        dcg / idcg
    }
}

pub struct CaseResult {
    pub id: String,
    pub profile: String,
    pub ndcg: f64,
    pub must_total: usize,
    pub must_found: usize,
    pub ranked: Vec<String>,
}

pub struct Evaluation {
    pub cases: Vec<CaseResult>,
    pub mean_ndcg: f64,
    /// Grade-3 items found in the top 10, pooled over all cases.
    pub must_recall: f64,
}

impl Evaluation {
    fn of(cases: Vec<CaseResult>) -> Evaluation {
        let mean_ndcg = cases.iter().map(|c| c.ndcg).sum::<f64>() / cases.len().max(1) as f64;
        let total: usize = cases.iter().map(|c| c.must_total).sum();
        let found: usize = cases.iter().map(|c| c.must_found).sum();
        Evaluation {
            cases,
            mean_ndcg,
            must_recall: found as f64 / total.max(1) as f64,
        }
    }

    /// The same figures per profile (one profile per domain in the dev sets), in first-seen order.
    pub fn per_profile(&self) -> Vec<(String, Evaluation)> {
        let mut out: Vec<(String, Vec<CaseResult>)> = Vec::new();
        for c in &self.cases {
            let copy = CaseResult {
                id: c.id.clone(),
                profile: c.profile.clone(),
                ndcg: c.ndcg,
                must_total: c.must_total,
                must_found: c.must_found,
                ranked: c.ranked.clone(),
            };
            match out.iter_mut().find(|(p, _)| *p == c.profile) {
                Some((_, v)) => v.push(copy),
                None => out.push((c.profile.clone(), vec![copy])),
            }
        }
        out.into_iter()
            .map(|(p, v)| (p, Evaluation::of(v)))
            .collect()
    }
}

/// The ranker on the first labelled set, profiles compiled under the server policy.
pub fn evaluate(settings: &RankSettings) -> Evaluation {
    evaluate_set(&dev_set(), settings, &PrivacyPolicy::default())
}

/// How a case's turns are read as a query.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reading {
    /// The last turn alone (a plain query).
    LastTurn,
    /// All turns concatenated, unweighted.
    Joined,
    /// The conversation query: the last turn weighs most ([`rank_conversation`]).
    Conversation,
}

/// The ranker on a labelled set, profiles compiled under `policy`; each case's last turn alone.
pub fn evaluate_set(set: &DevSet, settings: &RankSettings, policy: &PrivacyPolicy) -> Evaluation {
    evaluate_reading(set, settings, policy, Reading::LastTurn)
}

/// The ranker on a labelled set, each case's turns read as `reading` says.
pub fn evaluate_reading(
    set: &DevSet,
    settings: &RankSettings,
    policy: &PrivacyPolicy,
    reading: Reading,
) -> Evaluation {
    let mut snapshots: HashMap<String, Snapshot> = HashMap::new();
    let settings = RankSettings {
        limit: 10,
        ..settings.clone()
    }
    .checked()
    .unwrap();
    let mut cases = Vec::new();
    for case in &set.cases {
        let snap = snapshots
            .entry(case.profile.clone())
            .or_insert_with(|| compile(&profile(&case.profile), policy));
        let items = match reading {
            Reading::LastTurn => rank(snap, &case.query, set.now_ms, &settings),
            Reading::Joined => rank(snap, &case.turns.join(" "), set.now_ms, &settings),
            Reading::Conversation => {
                let turns: Vec<&str> = case.turns.iter().map(String::as_str).collect();
                rank_conversation(snap, &turns, set.now_ms, &settings)
            }
        };
        let ranked: Vec<String> = items.into_iter().map(|i| i.id).collect();
        let must: Vec<&String> = case
            .relevant
            .iter()
            .filter(|(_, g)| **g == 3)
            .map(|(id, _)| id)
            .collect();
        cases.push(CaseResult {
            id: case.id.clone(),
            profile: case.profile.clone(),
            ndcg: ndcg_at(&ranked, &case.relevant, 10),
            must_total: must.len(),
            must_found: must.iter().filter(|id| ranked.contains(id)).count(),
            ranked,
        });
    }
    Evaluation::of(cases)
}
