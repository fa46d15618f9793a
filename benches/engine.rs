//! Snapshot encode / decode, rank and render on the retail fixtures (small: 48 traits, 60 events;
//! jeff: 132 traits, 2,114 events; large: 600 traits, 20,000 events), and the whole per-request path
//! (decode + rank + render); and the worst inputs a caller controls next to ordinary ones: a 1 MB
//! query of `1,1,1,…`, a 1 MB pasted chat message, and compiling a profile whose trait values are
//! 16 KiB runs of `1 1 1 …`, `a@a a@a …` or `1,1,1,…`. Run: `cargo bench --bench engine`.
// Test and tooling code may panic on broken fixtures; the no-panic rule is for src/.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "../tests/common/mod.rs"]
mod common;

use divan::counter::BytesCount;
use divan::{black_box, Bencher};
use edge_persona::snapshot::{Snapshot, SnapshotLimits};
use edge_persona::Checked;
use edge_persona::{compile, PrivacyPolicy, Profile, Trait, Value};
use edge_persona::{rank, RankSettings};
use edge_persona::{render, Personalizer, RenderSettings};
use serde_json::json;

const PROFILES: &[&str] = &[
    "profile-retail-small",
    "profile-retail-jeff",
    "profile-retail-large",
];
const QUERY: &str = "Can you recommend some running shoes in my size?";
const NOW: i64 = 1_795_176_000_000;

fn main() {
    divan::main();
}

fn bytes_of(name: &str) -> Vec<u8> {
    common::snapshot(name).encode().expect("encode")
}

/// `Snapshot::encode`: a snapshot is held as its encoded bytes, so this is a copy of them (the
/// encoding itself is part of `compile_profile`).
#[divan::bench(args = PROFILES)]
fn encode(bencher: Bencher, name: &str) {
    let snapshot = common::snapshot(name);
    let len = snapshot.encode().expect("encode").len();
    bencher
        .counter(BytesCount::new(len))
        .bench_local(|| black_box(&snapshot).encode());
}

/// Decoding snapshot bytes (checksum, bounds, structure), the first step of a request.
#[divan::bench(args = PROFILES)]
fn decode(bencher: Bencher, name: &str) {
    let bytes = bytes_of(name);
    bencher
        .counter(BytesCount::new(bytes.len()))
        .bench_local(|| Snapshot::decode(black_box(&bytes), &SnapshotLimits::default()));
}

/// Ranking the running-shoes question on a decoded snapshot.
#[divan::bench(args = PROFILES)]
fn rank_only(bencher: Bencher, name: &str) {
    let snapshot = common::snapshot(name);
    let settings: Checked<RankSettings> = Checked::default();
    bencher.bench_local(|| rank(black_box(&snapshot), black_box(QUERY), NOW, &settings));
}

/// Rendering the context block of items already ranked.
#[divan::bench(args = PROFILES)]
fn render_only(bencher: Bencher, name: &str) {
    let snapshot = common::snapshot(name);
    let items = rank(&snapshot, QUERY, NOW, &Checked::default());
    bencher.bench_local(|| {
        render(
            black_box(&snapshot),
            black_box(&items),
            NOW,
            &Checked::default(),
        )
    });
}

/// What one personalized request costs: decode the stored snapshot, rank, render the context.
#[divan::bench(args = PROFILES)]
fn request(bencher: Bencher, name: &str) {
    let bytes = bytes_of(name);
    let (rank_settings, render_settings): (Checked<RankSettings>, Checked<RenderSettings>) =
        (Checked::default(), Checked::default());
    bencher
        .counter(BytesCount::new(bytes.len()))
        .bench_local(|| {
            let snapshot =
                Snapshot::decode(black_box(&bytes), &SnapshotLimits::default()).expect("decode");
            let items = rank(&snapshot, QUERY, NOW, &rank_settings);
            render(&snapshot, &items, NOW, &render_settings)
        });
}

/// The same request over every dev query, to show the spread across queries.
#[divan::bench(args = ["profile-retail-jeff"])]
fn request_dev_queries(bencher: Bencher, name: &str) {
    let bytes = bytes_of(name);
    let queries: Vec<String> = common::dev_set()
        .cases
        .into_iter()
        .map(|c| c.query)
        .collect();
    let mut i = 0;
    bencher.bench_local(|| {
        i = (i + 1) % queries.len();
        let snapshot = Snapshot::decode(&bytes, &SnapshotLimits::default()).expect("decode");
        let items = rank(&snapshot, &queries[i], NOW, &Checked::default());
        render(&snapshot, &items, NOW, &Checked::default())
    });
}

/// Queries on jeff, ranked and rendered: an ordinary question against 1 MB of `1,1,1,…`.
#[divan::bench(args = ["ordinary question", "1 MB of 1,1,1"])]
fn hostile_query(bencher: Bencher, which: &str) {
    let snapshot = common::snapshot("profile-retail-jeff");
    let query = match which {
        "ordinary question" => QUERY.to_string(),
        _ => "1,".repeat(1 << 19),
    };
    let (rank_settings, render_settings): (Checked<RankSettings>, Checked<RenderSettings>) =
        (Checked::default(), Checked::default());
    bencher.bench_local(|| {
        let items = rank(&snapshot, black_box(&query), NOW, &rank_settings);
        render(&snapshot, &items, NOW, &render_settings)
    });
}

/// A chat request on jeff personalized (query read from the body, ranked, rendered, injected):
/// an ordinary question against a 1 MB pasted message (a JSON array of numbers and a question).
#[divan::bench(args = ["ordinary question", "1 MB pasted message"])]
fn hostile_chat(bencher: Bencher, which: &str) {
    let p = Personalizer::from_compiled(common::snapshot("profile-retail-jeff"));
    let content = match which {
        "ordinary question" => QUERY.to_string(),
        _ => {
            let numbers: Vec<String> = (0..150_000)
                .map(|i| (i * 7919 % 100_000).to_string())
                .collect();
            format!(
                "[{}] what are these numbers about my order?",
                numbers.join(", ")
            )
        }
    };
    let body = json!({"model": "m", "messages": [{"role": "user", "content": content}]});
    let (rank_settings, render_settings): (Checked<RankSettings>, Checked<RenderSettings>) =
        (Checked::default(), Checked::default());
    bencher
        .with_inputs(|| body.clone())
        .bench_local_values(|body| {
            p.personalize_request(body, None, None, NOW, &rank_settings, &render_settings)
        });
}

/// Compiling a whole profile under the server policy (what an update or a bulk export costs per
/// person): tokenizing, the privacy policy, thesaurus links, dates, postings.
#[divan::bench(args = ["profile-retail-small", "profile-retail-jeff"])]
fn compile_profile(bencher: Bencher, name: &str) {
    let profile = common::profile(name);
    let policy = PrivacyPolicy::default();
    bencher.bench_local(|| compile(black_box(&profile), &policy));
}

/// Compiling one identify's profile: the small retail fixture (48 traits, 60 events) against four
/// traits of 16 KiB each (the import limit of a string) made of one repeated unit.
#[divan::bench(args = ["retail-small", "1 1 1", "a@a a@a", "1,1,1"])]
fn hostile_compile(bencher: Bencher, which: &str) {
    let profile = match which {
        "retail-small" => common::profile("profile-retail-small"),
        unit => {
            let unit = match unit {
                "1 1 1" => "1 ",
                "a@a a@a" => "a@a ",
                _ => "1,",
            };
            let value = unit.repeat(16 * 1024 / unit.len());
            Profile {
                profile_id: "user_id:hostile".into(),
                traits: ["nickname", "bio", "company", "notes"]
                    .iter()
                    .map(|key| Trait {
                        key: (*key).into(),
                        value: Value::Text(value.clone()),
                        audience: false,
                    })
                    .collect(),
                ..Profile::default()
            }
        }
    };
    let policy = PrivacyPolicy::default();
    bencher.bench_local(|| compile(black_box(&profile), &policy));
}
