//! Snapshot encode / decode, rank and render on the retail fixtures (small: 50 traits, 200 events;
//! jeff: 132 traits, 2,114 events; large: 600 traits, 20,000 events), and the whole per-request path
//! (decode + rank + render). Run: `cargo bench --bench engine`.
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
use edge_persona::{rank, RankSettings};
use edge_persona::{render, RenderSettings};

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

#[divan::bench(args = PROFILES)]
fn encode(bencher: Bencher, name: &str) {
    let snapshot = common::snapshot(name);
    let len = snapshot.encode().expect("encode").len();
    bencher
        .counter(BytesCount::new(len))
        .bench_local(|| black_box(&snapshot).encode());
}

#[divan::bench(args = PROFILES)]
fn decode(bencher: Bencher, name: &str) {
    let bytes = bytes_of(name);
    bencher
        .counter(BytesCount::new(bytes.len()))
        .bench_local(|| Snapshot::decode(black_box(&bytes), &SnapshotLimits::default()));
}

#[divan::bench(args = PROFILES)]
fn rank_only(bencher: Bencher, name: &str) {
    let snapshot = common::snapshot(name);
    let settings = RankSettings::default();
    bencher.bench_local(|| rank(black_box(&snapshot), black_box(QUERY), NOW, &settings));
}

#[divan::bench(args = PROFILES)]
fn render_only(bencher: Bencher, name: &str) {
    let snapshot = common::snapshot(name);
    let items = rank(&snapshot, QUERY, NOW, &RankSettings::default());
    bencher.bench_local(|| {
        render(
            black_box(&snapshot),
            black_box(&items),
            NOW,
            &RenderSettings::default(),
        )
    });
}

/// What one personalized request costs: decode the stored snapshot, rank, render the context.
#[divan::bench(args = PROFILES)]
fn request(bencher: Bencher, name: &str) {
    let bytes = bytes_of(name);
    let (rank_settings, render_settings) = (RankSettings::default(), RenderSettings::default());
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
        let items = rank(&snapshot, &queries[i], NOW, &RankSettings::default());
        render(&snapshot, &items, NOW, &RenderSettings::default())
    });
}
