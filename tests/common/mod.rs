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
use edge_persona::{rank, RankSettings};

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
    pub query: String,
    pub profile: String,
    pub relevant: HashMap<String, u32>,
}

pub struct DevSet {
    pub now_ms: i64,
    pub cases: Vec<Case>,
}

pub fn dev_set() -> DevSet {
    let doc: serde_json::Value =
        serde_json::from_str(&fixture_text("relevance-dev.json")).expect("labels");
    let now_ms = parse_timestamp(doc["now"].as_str().expect("now")).expect("now time");
    let cases = doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| Case {
            id: c["id"].as_str().expect("id").to_string(),
            query: c["query"].as_str().expect("query").to_string(),
            profile: c["profile"].as_str().expect("profile").to_string(),
            relevant: c["relevant"]
                .as_object()
                .expect("relevant")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_u64().expect("grade") as u32))
                .collect(),
        })
        .collect();
    DevSet { now_ms, cases }
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

pub fn evaluate(settings: &RankSettings) -> Evaluation {
    let dev = dev_set();
    let mut snapshots: HashMap<String, Snapshot> = HashMap::new();
    let settings = RankSettings {
        limit: 10,
        ..settings.clone()
    };
    let mut cases = Vec::new();
    for case in &dev.cases {
        let snap = snapshots
            .entry(case.profile.clone())
            .or_insert_with(|| snapshot(&case.profile));
        let ranked: Vec<String> = rank(snap, &case.query, dev.now_ms, &settings)
            .into_iter()
            .map(|i| i.id)
            .collect();
        let must: Vec<&String> = case
            .relevant
            .iter()
            .filter(|(_, g)| **g == 3)
            .map(|(id, _)| id)
            .collect();
        cases.push(CaseResult {
            id: case.id.clone(),
            ndcg: ndcg_at(&ranked, &case.relevant, 10),
            must_total: must.len(),
            must_found: must.iter().filter(|id| ranked.contains(id)).count(),
            ranked,
        });
    }
    let mean_ndcg = cases.iter().map(|c| c.ndcg).sum::<f64>() / cases.len() as f64;
    let total: usize = cases.iter().map(|c| c.must_total).sum();
    let found: usize = cases.iter().map(|c| c.must_found).sum();
    Evaluation {
        cases,
        mean_ndcg,
        must_recall: found as f64 / total as f64,
    }
}
