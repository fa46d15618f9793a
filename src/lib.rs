//! # edge-persona
//!
//! Retrieve, from a customer profile (Segment traits, events, audiences), only what is relevant to
//! the current context — a chat message, a page — and inject it into an LLM request or a web page,
//! in well under a millisecond, at the edge or in the browser.
//!
//! ```
//! use edge_persona::{
//!     compile, import_bundle, rank, render, Checked, ImportLimits, PrivacyPolicy, RankSettings,
//!     Snapshot, SnapshotLimits,
//! };
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
//! let items = rank(&snapshot, "running shoes in my size", now, &Checked::default());
//! let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
//! assert_eq!(ids, ["trait:shoe_size", "event:m1", "trait:runners"]);
//! let context = render(&snapshot, &items, now, &Checked::default());
//! assert!(context.text.contains("Shoe size: \"10.5\""));
//! assert!(!context.text.contains("example.com"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Design
//!
//! * **A pure core.** No I/O, no clock (`now` is an argument), no wasm or Worker types; bindings are
//!   thin modules behind cargo features that convert types and errors once, at the edge.
//! * **Compile once, decode per request.** [`compile`] does the expensive work (grouping
//!   repeated events, tokenizing, interning, applying the privacy policy); a snapshot is a compact,
//!   checksummed, versioned byte string ([`snapshot::codec`]) that decodes in microseconds.
//! * **A relevance model you can read.** [`rank()`] documents its formula and exposes every
//!   constant in [`RankSettings`]; each result carries an explanation of its score.
//! * **No panic on any input.** Bad input is a typed error from [`errors`]; limits are settings
//!   ([`ImportLimits`], [`SnapshotLimits`]). `unwrap`, `expect`, `panic!` and
//!   indexing are denied in this crate by lint.
//! * **Privacy by default.** Personal data is withheld or removed when a snapshot is compiled
//!   ([`PrivacyPolicy`]); values are neutralized before they reach a prompt ([`neutralize`]).
//!
//! ## The public surface
//!
//! Modules are private and their types re-exported here, as the pipeline's steps: import
//! ([`import_bundle`]), compile under a policy ([`compile`], [`PrivacyPolicy`]), decode
//! ([`Snapshot::decode`]), rank ([`rank()`]), render ([`render()`]), inject into LLM requests
//! ([`inject()`]), or all of it behind one handle ([`Personalizer`]). A few namespaces stay
//! public: [`errors`], [`identity`] (signed tokens), [`jwt`] (identity providers' RS256/ES256
//! access tokens, checked but for the signature), [`mcp`] (the Model Context Protocol of both
//! generations, without I/O), [`slots`] (the page slot language),
//! [`snapshot`] (its byte layout and KV keys), [`webhook`] (a Segment message read into an
//! update), [`state`] (one person's profile state: ordered, idempotent updates, bounds, retention,
//! erasure, as the Worker's Durable Object keeps it), [`text`] (the tokenizer), [`time`] and
//! [`base64`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod base64;
mod bindings;
mod bytes;
pub mod errors;
pub mod identity;
mod import;
mod inject;
pub mod inspect;
pub mod jwt;
pub mod knowledge;
pub mod mcp;
mod personalizer;
mod policy;
mod profile;
mod rank;
mod render;
mod settings;
pub mod slots;
pub mod snapshot;
mod sort;
pub mod state;
#[cfg(test)]
mod testing;
pub mod text;
pub mod time;
mod work;

pub use errors::{
    IdentityError, ImportError, InjectError, JwksError, JwtError, KnowledgeError, LimitExceeded,
    MemoryError, SettingsError, SnapshotError, StateError, ToolArgsError,
};
pub use import::segment::webhook;
pub use import::segment::{import_bundle, import_ndjson, import_value};
pub use import::ImportLimits;
pub use inject::{inject, last_user_text, user_turns, Api};
pub use personalizer::{PersonalizedRequest, Personalizer};
pub use policy::{classify_key, mask_text, PiiClass, PrivacyPolicy, Target};
pub use profile::{looks_like_audience, Event, Identity, Memory, Profile, Trait, Value};
pub use rank::{
    rank, rank_conversation, rank_query, Explanation, ItemKind, ItemRef, LinkKey, Query, QueryTerm,
    RankSettings, RankedItem, SalienceExplanation, TermContribution, MAX_QUERY_WORDS,
};
pub use render::{
    estimate_tokens, neutralize, render, Context, ContextFormat, RenderSettings, CONTEXT_TAG,
};
pub use settings::{Checked, Validate};
pub use snapshot::{
    compile, Field, GroupView, Posting, Snapshot, SnapshotLimits, TraitView, ValueKind,
};
