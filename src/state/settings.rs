//! The bounds of one person's state: how much it keeps, for how long, and how often its published
//! snapshots may change. Exceeding a bound evicts (oldest first) and counts; it never refuses an
//! update, so a full profile keeps taking the newest data instead of freezing.

use bincode::{Decode, Encode};

/// One day, in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// Workers KV accepts one write per second per key: the least time between two publications of a
/// person's snapshots (or their deletion).
pub const MIN_PUBLISH_INTERVAL_MS: i64 = 1_000;

/// The least time between two publications of a person's snapshots grows with what assembling
/// them costs, which is linear in the state's encoded bytes: this much per MiB (2 s), never less
/// than [`MIN_PUBLISH_INTERVAL_MS`] nor more than [`MAX_PUBLISH_SPACING_MS`]. A person at the
/// state's bounds publishes every few seconds however many webhooks arrive, so that their
/// publications take a small, bounded share of the isolate they share with others; their own
/// reads meanwhile come from their object (read-your-writes). An erasure's deletion is never
/// spaced out.
pub const PUBLISH_SPACING_PER_MIB_MS: i64 = 2_000;

/// The most time between two publications (8 s): under the 10 s of idleness after which the
/// runtime may hibernate a Durable Object and drop its memory. A person whose webhooks keep
/// coming is published by an object that still holds its compilers, so each publication
/// analyzes only what changed; a longer spacing would make every publication a first one.
pub const MAX_PUBLISH_SPACING_MS: i64 = 8_000;

/// How much later than its receipt a message's time may be (5 minutes): past that, the message is
/// taken as of its receipt ([`crate::webhook::parse_message`]), and a trait kept from before this
/// rule with a time that far ahead of when it was stored counts as of its storing, so a message
/// dated in the future can never outrank the messages that follow it.
pub const MAX_FUTURE_SKEW_MS: i64 = 5 * 60 * 1000;

/// Bounds and timings of a person's state. Defaults in the field docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateSettings {
    /// Most traits kept. Default 5,000 (the importer's limit). A new key past it evicts the trait
    /// written longest ago (by its message's timestamp).
    pub max_traits: usize,
    /// Most events kept. Default 10,000. Past it the oldest events (by timestamp) are evicted.
    pub max_events: usize,
    /// Most bytes of encoded traits and events kept. Default 8 MiB. Past it the oldest events are
    /// evicted, then (with no event left) the traits written longest ago.
    pub max_bytes: usize,
    /// Most message ids remembered for deduplication. Default 100,000; the oldest are forgotten.
    pub max_seen: usize,
    /// How long a trait, an event or a message id is kept after it was last stored, in ms.
    /// Default 30 days (Segment's Profile API itself reaches back 14 days of events).
    pub retention_ms: i64,
    /// The pause before the first retry of a partial or failed Profile API fetch, in ms; it doubles
    /// with each attempt, up to an hour. Default 60 s.
    pub fetch_retry_ms: i64,
    /// Attempts at the Profile API before giving up (what was fetched is kept). Default 8.
    pub max_fetch_attempts: u32,
    /// Most memories kept per person. Default 200. A new memory past it drops the oldest (by
    /// when it was noted), so an assistant can always remember the newest fact.
    pub max_memories: usize,
    /// Longest memory text, in characters after trimming and normalization (NFKC, invisible
    /// characters out: what the snapshot would hold). Default 500; longer is refused
    /// ([`crate::errors::MemoryError::TooLong`]), never cut.
    pub max_memory_chars: usize,
    /// How long a memory is kept after it was noted, in ms. Default 365 days: long-term memory
    /// outlives the 30-day retention of traits and events, until forgotten or erased.
    pub memory_retention_ms: i64,
    /// The pause before the first retry of forwarding a memory to Segment, in ms; it doubles
    /// with each attempt, up to an hour. Default 10 s.
    pub forward_retry_ms: i64,
    /// Attempts at forwarding a memory to Segment before giving up (the memory stays). Default 6.
    /// Filing a Segment regulation after an erasure takes the same backoff and attempts.
    pub max_forward_attempts: u32,
    /// How much audit of reads is kept ([`super::AuditSettings`]).
    pub audit: super::AuditSettings,
}

impl Default for StateSettings {
    fn default() -> Self {
        Self {
            max_traits: 5_000,
            max_events: 10_000,
            max_bytes: 8 << 20,
            max_seen: 100_000,
            retention_ms: 30 * DAY_MS,
            fetch_retry_ms: 60_000,
            max_fetch_attempts: 8,
            max_memories: 200,
            max_memory_chars: 500,
            memory_retention_ms: 365 * DAY_MS,
            forward_retry_ms: 10_000,
            max_forward_attempts: 6,
            audit: super::AuditSettings::default(),
        }
    }
}

impl StateSettings {
    /// The pause before retry number `attempt` (1 = the first retry): `fetch_retry_ms · 2^(attempt−1)`,
    /// at most an hour.
    pub fn retry_pause_ms(&self, attempt: u32) -> i64 {
        backoff_ms(self.fetch_retry_ms, attempt)
    }

    /// The pause before forwarding retry number `attempt` (1 = the first retry):
    /// `forward_retry_ms · 2^(attempt−1)`, at most an hour.
    pub fn forward_pause_ms(&self, attempt: u32) -> i64 {
        backoff_ms(self.forward_retry_ms, attempt)
    }
}

/// `base · 2^(attempt−1)`, at most an hour.
fn backoff_ms(base: i64, attempt: u32) -> i64 {
    let doubling = 1i64 << attempt.saturating_sub(1).min(20);
    base.max(0).saturating_mul(doubling).min(3_600_000)
}

/// What the state has done to keep within its bounds and to stay correct, since it was created
/// (kept across erasure: counts, never data).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Encode, Decode)]
pub struct Counters {
    /// Updates that changed something.
    pub applied: u64,
    /// Messages already applied (same message id), ignored.
    pub duplicates: u64,
    /// Trait writes older than the value kept (last writer wins by message timestamp), ignored.
    pub stale_trait_writes: u64,
    /// Events evicted by `max_events` or `max_bytes`.
    pub events_evicted: u64,
    /// Traits evicted by `max_traits` or `max_bytes`.
    pub traits_evicted: u64,
    /// Events deleted by retention.
    pub events_expired: u64,
    /// Traits deleted by retention.
    pub traits_expired: u64,
    /// Profile API fetches given up after `max_fetch_attempts`.
    pub fetches_given_up: u64,
}
