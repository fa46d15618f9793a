//! # edge-persona
//!
//! Retrieve, from a customer profile (Segment traits, events, audiences), only what is relevant to
//! the current context — a chat message, a page — and inject it into an LLM request or a web page,
//! in well under a millisecond, at the edge or in the browser.
//!
//! ```
//! use edge_persona::import::{segment::import_bundle, ImportLimits};
//! use edge_persona::policy::PrivacyPolicy;
//! use edge_persona::rank::{rank, RankSettings};
//! use edge_persona::render::{render, RenderSettings};
//! use edge_persona::snapshot::{compile, Snapshot, SnapshotLimits};
//! use edge_persona::time::parse_timestamp;
//!
//! let bundle = r#"{"profile_id": "user_id:u1",
//!   "traits": {"traits": {"shoe_size": "10.5", "email": "u1@example.com", "runners": true}},
//!   "events": {"data": [{"message_id": "m1", "event": "Product Viewed", "timestamp": "2026-11-20T11:59:50Z",
//!                        "properties": {"name": "Trail Runner 5", "category": "Running Shoes"}}]}}"#;
//! let profile = import_bundle(bundle, &ImportLimits::default())?;
//! // Compile once (CLI, Worker on a KV miss); store the bytes.
//! let bytes = compile(&profile, &PrivacyPolicy::default()).encode()?;
//!
//! // Per request: decode, rank, render.
//! let snapshot = Snapshot::decode(&bytes, &SnapshotLimits::default())?;
//! let now = parse_timestamp("2026-11-20T12:00:00Z").unwrap_or_default();
//! let items = rank(&snapshot, "running shoes in my size", now, &RankSettings::default());
//! let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
//! assert_eq!(ids, ["trait:shoe_size", "event:m1"]);
//! let context = render(&snapshot, &items, now, &RenderSettings::default());
//! assert!(context.text.contains("Shoe size: \"10.5\""));
//! assert!(!context.text.contains("example.com"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Design
//!
//! * **A pure core.** No I/O, no clock (`now` is an argument), no wasm or Worker types; bindings are
//!   thin modules behind cargo features that convert types and errors once, at the edge.
//! * **Compile once, decode per request.** [`snapshot::compile`] does the expensive work (grouping
//!   repeated events, tokenizing, interning, applying the privacy policy); a snapshot is a compact,
//!   checksummed, versioned byte string ([`snapshot::codec`]) that decodes in microseconds.
//! * **A relevance model you can read.** [`rank`] documents its formula and exposes every constant
//!   in [`rank::RankSettings`]; each result carries an explanation of its score.
//! * **No panic on any input.** Bad input is a typed error from [`errors`]; limits are settings
//!   ([`import::ImportLimits`], [`snapshot::SnapshotLimits`]). `unwrap`, `expect`, `panic!` and
//!   indexing are denied in this crate by lint.
//! * **Privacy by default.** Personal data is withheld or removed when a snapshot is compiled
//!   ([`policy`]); values are neutralized before they reach a prompt ([`render::neutralize`]).
#![forbid(unsafe_code)]

pub mod base64;
pub mod bindings;
pub mod errors;
pub mod identity;
pub mod import;
pub mod inject;
pub mod personalizer;
pub mod policy;
pub mod profile;
pub mod rank;
pub mod render;
pub mod slots;
pub mod snapshot;
pub mod text;
pub mod time;
