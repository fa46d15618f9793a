//! One person's profile state, as its single writer (the Worker's Durable Object) keeps it: traits
//! with the time of the message that wrote them, events, memories (`memory.rs`), the message ids
//! already applied, counters, and what has been published. Pure: every operation takes `now` and returns the row
//! [`Change`]s that make the stored copy equal to the one in memory.
//!
//! * **Idempotent**: a message id already applied is a duplicate and changes nothing.
//! * **Ordered by the messages' own time**: a trait keeps the value of the newest message
//!   (timestamp, then message id), whatever order the messages arrive in; a time more than
//!   [`MAX_FUTURE_SKEW_MS`] after the message was stored counts as the storing time. A `null`
//!   value unsets the trait: its row stays, valueless, so that an older message arriving later
//!   cannot bring the value back, and it is no trait of the profile.
//! * **Bounded**: [`StateSettings`] caps traits, events and bytes; past a cap the oldest go
//!   (counted in [`Counters`]), so a full profile keeps taking new data.
//! * **Retention**: rows are deleted `retention_ms` after they were last stored ([`PersonState::expire`]).
//! * **Erasure**: [`PersonState::erase`] deletes every row and leaves a suppression marker that
//!   refuses updates and fetches until [`PersonState::lift_suppression`].
//! * **Coalesced publication**: [`PersonState::publish_due`] says when the compiled snapshots may be
//!   written to KV again (at most once per [`MIN_PUBLISH_INTERVAL_MS`]).

mod audit;
mod consent;
mod memory;
mod memory_rules;
mod regulation;
mod rows;
mod settings;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bincode::{Decode, Encode};

pub use audit::{AuditQuery, AuditRecord, AuditSettings, MAX_AUDIT_PAGE};
pub use consent::{Consent, ConsentSettings};
pub use memory::{
    MemoryInput, MemoryOutcome, PendingForward, Remembered, WriteRules, MAX_MEMORY_LABEL_CHARS,
    MEMORY_EVENT,
};
pub use regulation::{Filing, Regulation};
pub use rows::{Change, RowKind, META_KEY, ROW_FORMAT};
pub use settings::{
    Counters, StateSettings, DAY_MS, MAX_FUTURE_SKEW_MS, MAX_PUBLISH_SPACING_MS,
    MIN_PUBLISH_INTERVAL_MS, PUBLISH_SPACING_PER_MIB_MS,
};

use crate::errors::StateError;
use crate::profile::{looks_like_audience, Event, Profile, Trait, Value};
use crate::snapshot::{Assembly, Compiler, Snapshot, TraitRef};

/// One update to a person's state: the traits and the event of one message (a Segment call). Built by [`crate::webhook::parse_message`] from a Segment message.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Update {
    /// The message's id (Segment's `messageId`): applied once. `None`: not deduplicated.
    pub message_id: Option<String>,
    /// The message's own time (ms): trait writes are ordered by it, not by arrival.
    pub at_ms: i64,
    /// Traits to write (`audience: true` for explicit audience memberships).
    pub traits: Vec<Trait>,
    /// The event to add, if the message is one (its `message_id` is the message's).
    pub event: Option<Event>,
}

impl Update {
    /// The update in the state's row encoding (format byte, checksum, bincode), for handing it to
    /// the person's object.
    pub fn encode(&self) -> Result<Vec<u8>, StateError> {
        rows::encode(self)
    }

    /// An update from [`Update::encode`]'s bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, StateError> {
        rows::decode("update", "", bytes)
    }
}

/// What [`PersonState::apply`] did. Serialized in lowercase (`"changed"`, …): the person's object
/// answers it to the Worker as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Something changed; the state has a new version.
    Changed,
    /// The message was applied before: nothing changed.
    Duplicate,
    /// Every trait write was older than the value kept, and there was no new event.
    Stale,
    /// The person is erased and suppressed: nothing is kept.
    Suppressed,
    /// The message is dated at or before the person's erasure: refused for ever, also once the
    /// suppression is lifted (an old message replayed cannot bring erased values back).
    Erased,
}

/// A Profile API fetch still to make: the first (seeding a new person) or a retry of a partial or
/// failed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct PendingFetch {
    /// Attempts made so far (0: none yet).
    pub attempts: u32,
    /// When to try (ms).
    pub due_ms: i64,
    /// Whether what is stored came from a partial answer (traits without events).
    pub partial: bool,
}

/// The metadata row.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
struct Meta {
    user_id: String,
    version: u64,
    counters: Counters,
    updated_at_ms: Option<i64>,
    published_version: u64,
    /// The last KV write of this person's keys (ms; `i64::MIN` never).
    published_at_ms: i64,
    /// The KV snapshots and the legacy source are still to delete (erasure).
    kv_erase_pending: bool,
    suppressed_since_ms: Option<i64>,
    fetch: Option<PendingFetch>,
    /// The last erasure (ms): the watermark of [`Outcome::Erased`], kept when the suppression is
    /// lifted.
    erased_at_ms: Option<i64>,
}

/// The metadata row as builds before the erasure watermark wrote it (read, then written anew).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
struct MetaV1 {
    user_id: String,
    version: u64,
    counters: Counters,
    updated_at_ms: Option<i64>,
    published_version: u64,
    published_at_ms: i64,
    kv_erase_pending: bool,
    suppressed_since_ms: Option<i64>,
    fetch: Option<PendingFetch>,
}

impl Meta {
    /// The metadata row in the current layout, or in the one before it.
    fn decode(key: &str, body: &[u8]) -> Result<Self, StateError> {
        let name = RowKind::Meta.name();
        rows::decode(name, key, body).or_else(|e| {
            let old: MetaV1 = rows::decode(name, key, body).map_err(|_| e)?;
            Ok(Meta {
                user_id: old.user_id,
                version: old.version,
                counters: old.counters,
                updated_at_ms: old.updated_at_ms,
                published_version: old.published_version,
                published_at_ms: old.published_at_ms,
                kv_erase_pending: old.kv_erase_pending,
                // A person erased before the watermark existed: their erasure time is unknown
                // beyond the suppression, if it is still on.
                erased_at_ms: old.suppressed_since_ms,
                suppressed_since_ms: old.suppressed_since_ms,
                fetch: old.fetch,
            })
        })
    }
}

#[derive(Debug, Clone, PartialEq, Encode, Decode)]
struct TraitRow {
    /// `Value::Null`: unset (kept for ordering, not a trait of the profile).
    value: Value,
    audience: bool,
    at_ms: i64,
    message_id: String,
    stored_ms: i64,
}

impl TraitRow {
    /// The time the row's message counts as: its own, unless that is more than
    /// [`MAX_FUTURE_SKEW_MS`] after the row was stored.
    fn effective_at(&self) -> i64 {
        self.at_ms
            .min(self.stored_ms.saturating_add(MAX_FUTURE_SKEW_MS))
    }
    fn is_unset(&self) -> bool {
        self.value == Value::Null
    }
}

#[derive(Debug, Clone, PartialEq, Encode, Decode)]
struct EventRow {
    event: Event,
    stored_ms: i64,
}

/// One person's state in memory, equal to its stored rows.
#[derive(Debug, Clone)]
pub struct PersonState {
    meta: Meta,
    traits: BTreeMap<String, (TraitRow, usize)>,
    /// (timestamp of the writing message, key): the trait written longest ago first.
    trait_order: BTreeSet<(i64, String)>,
    events: BTreeMap<(i64, String), (EventRow, usize)>,
    event_time: HashMap<String, i64>,
    seen: HashMap<String, i64>,
    seen_order: BTreeSet<(i64, String)>,
    memories: BTreeMap<String, memory::MemoryRow>,
    /// (when noted, id): the oldest memory first.
    memory_order: BTreeSet<(i64, String)>,
    /// The newest consent preferences (`consent.rs`).
    consent: Option<consent::Consent>,
    /// What reads were told (`audit.rs`).
    audit: audit::AuditLog,
    /// The Segment regulation to file after an erasure (`regulation.rs`).
    regulation: regulation::Regulation,
    /// Trait rows that only keep an unset trait's order ([`TraitRow::is_unset`]).
    unset: usize,
    /// Encoded bytes of the trait and event rows (keys included).
    bytes: usize,
    /// Bytes of the rows this state's operations wrote, all told, and which state this is: what a
    /// compiler that last saw everything at a count may have left to analyze ([`PersonState::warm`]).
    written: std::cell::Cell<u64>,
    instance: u64,
}

/// Numbers each state made in this process.
static INSTANCES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// The rows of the changes one operation makes, collected as it goes.
#[derive(Default)]
struct Tx {
    changes: Vec<Change>,
    error: Option<StateError>,
}

impl Tx {
    fn put<T: Encode>(&mut self, kind: RowKind, key: &str, row: &T) -> usize {
        match rows::encode(row) {
            Ok(body) => {
                let size = body.len() + key.len();
                self.changes.push(Change::Put {
                    kind,
                    key: key.to_string(),
                    body,
                });
                size
            }
            Err(e) => {
                self.error.get_or_insert(e);
                0
            }
        }
    }
    fn delete(&mut self, kind: RowKind, key: &str) {
        self.changes.push(Change::Delete {
            kind,
            key: key.to_string(),
        });
    }
}

/// An operation's result: what it did, the state's version after it, the row changes to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// What happened.
    pub outcome: Outcome,
    /// The state's version after the operation.
    pub version: u64,
    /// The rows to write, in order.
    pub changes: Vec<Change>,
}

impl PersonState {
    /// A person the object has no rows for. `fetch_first`: seed from the Profile API before the
    /// first publication (when it is configured), so a webhook cannot replace a richer snapshot
    /// with the few traits it carries.
    pub fn new(user_id: &str, fetch_first: bool, now_ms: i64) -> Self {
        Self {
            meta: Meta {
                user_id: user_id.to_string(),
                version: 0,
                counters: Counters::default(),
                updated_at_ms: None,
                published_version: 0,
                published_at_ms: i64::MIN,
                kv_erase_pending: false,
                suppressed_since_ms: None,
                erased_at_ms: None,
                fetch: fetch_first.then_some(PendingFetch {
                    attempts: 0,
                    due_ms: now_ms,
                    partial: false,
                }),
            },
            traits: BTreeMap::new(),
            trait_order: BTreeSet::new(),
            events: BTreeMap::new(),
            event_time: HashMap::new(),
            seen: HashMap::new(),
            seen_order: BTreeSet::new(),
            memories: BTreeMap::new(),
            memory_order: BTreeSet::new(),
            consent: None,
            audit: audit::AuditLog::default(),
            regulation: regulation::Regulation::default(),
            unset: 0,
            bytes: 0,
            written: std::cell::Cell::new(0),
            instance: INSTANCES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// The state of stored rows `(kind code, key, body)`; `None` when there are none. A row of an
    /// unknown kind or one that does not decode is an error naming it.
    pub fn from_rows(
        rows: impl IntoIterator<Item = (i64, String, Vec<u8>)>,
    ) -> Result<Option<Self>, StateError> {
        let mut meta: Option<Meta> = None;
        let mut state = Self::new("", false, 0);
        for (code, key, body) in rows {
            let kind = RowKind::from_code(code).ok_or_else(|| StateError::Corrupt {
                row: format!("kind {code} {key}"),
                detail: "unknown row kind".into(),
            })?;
            let size = body.len() + key.len();
            match kind {
                RowKind::Meta => meta = Some(Meta::decode(&key, &body)?),
                RowKind::Trait => {
                    let row: TraitRow = rows::decode(kind.name(), &key, &body)?;
                    state.unset += usize::from(row.is_unset());
                    state.trait_order.insert((row.at_ms, key.clone()));
                    state.bytes += size;
                    state.traits.insert(key, (row, size));
                }
                RowKind::Event => {
                    let row: EventRow = rows::decode(kind.name(), &key, &body)?;
                    let ts = row.event.timestamp_ms;
                    state.event_time.insert(key.clone(), ts);
                    state.bytes += size;
                    state.events.insert((ts, key), (row, size));
                }
                RowKind::Seen => {
                    let stored: i64 = rows::decode(kind.name(), &key, &body)?;
                    state.seen_order.insert((stored, key.clone()));
                    state.seen.insert(key, stored);
                }
                RowKind::Memory => state.load_memory(rows::decode(kind.name(), &key, &body)?),
                RowKind::Audit => {
                    let record = rows::decode(kind.name(), &key, &body)?;
                    state.audit.load(key, record);
                }
                RowKind::Consent => state.consent = Some(rows::decode(kind.name(), &key, &body)?),
                RowKind::Regulation => state.regulation = rows::decode(kind.name(), &key, &body)?,
            }
        }
        match meta {
            Some(m) => {
                state.meta = m;
                Ok(Some(state))
            }
            None if state.is_empty() => Ok(None),
            None => Err(StateError::Corrupt {
                row: format!("meta {META_KEY}"),
                detail: "missing".into(),
            }),
        }
    }

    /// The person's user id.
    pub fn user_id(&self) -> &str {
        &self.meta.user_id
    }
    /// The version: it grows with every change of the profile's content (and with erasure).
    pub fn version(&self) -> u64 {
        self.meta.version
    }
    /// The counters.
    pub fn counters(&self) -> Counters {
        self.meta.counters
    }
    /// Traits kept (unset ones not counted).
    pub fn trait_count(&self) -> usize {
        self.traits.len().saturating_sub(self.unset)
    }
    /// Events kept.
    pub fn event_count(&self) -> usize {
        self.events.len()
    }
    /// Encoded bytes of the traits and events kept.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
    /// Whether nothing of the profile is kept (no trait, no event, no memory).
    pub fn is_empty(&self) -> bool {
        self.trait_count() == 0 && self.events.is_empty() && self.memories.is_empty()
    }
    /// Since when the person is erased and suppressed (ms), if they are.
    pub fn suppressed_since(&self) -> Option<i64> {
        self.meta.suppressed_since_ms
    }
    /// The Profile API fetch still to make, if any.
    pub fn pending_fetch(&self) -> Option<PendingFetch> {
        self.meta.fetch
    }
    /// The version last published to KV.
    pub fn published_version(&self) -> u64 {
        self.meta.published_version
    }
    /// Whether the erased person's KV copies are still to delete.
    pub fn kv_erase_pending(&self) -> bool {
        self.meta.kv_erase_pending
    }

    /// The profile to compile: traits by key, events and memories newest first.
    pub fn profile(&self) -> Profile {
        Profile {
            profile_id: format!("user_id:{}", self.meta.user_id),
            traits: self
                .traits
                .iter()
                .filter(|(_, (row, _))| !row.is_unset())
                .map(|(key, (row, _))| Trait {
                    key: key.clone(),
                    value: row.value.clone(),
                    audience: row.audience,
                })
                .collect(),
            events: self
                .events
                .values()
                .rev()
                .map(|(row, _)| row.event.clone())
                .collect(),
            identities: Vec::new(),
            updated_at_ms: self.meta.updated_at_ms,
            memories: self.memories().cloned().collect(),
        }
    }

    /// The person's snapshot under `compiler`'s policy, from the state as it is, borrowed (nothing
    /// is copied): what `compile(&self.profile(), policy)` makes, without re-analyzing what the
    /// compiler analyzed before.
    pub fn compile(&self, compiler: &mut Compiler) -> Snapshot {
        let profile_id = format!("user_id:{}", self.meta.user_id);
        let snapshot = compiler.compile_parts(
            &profile_id,
            self.meta.updated_at_ms,
            self.trait_refs(),
            self.memories(),
            self.event_refs(),
        );
        compiler.seen_state = Some((self.instance, self.written.get()));
        snapshot
    }

    /// [`Compiler::prepare`] of this state: what the compiler has not analyzed is analyzed now,
    /// and the assembly is handed back to run in slices ([`crate::snapshot::Assembly::run`]),
    /// followed by [`Compiler::assembled`]. The same snapshot as [`PersonState::compile`].
    pub fn prepare_compile<'c>(&self, compiler: &'c mut Compiler) -> Assembly<'c> {
        let profile_id = format!("user_id:{}", self.meta.user_id);
        let plan = compiler.plan(
            &profile_id,
            self.meta.updated_at_ms,
            self.trait_refs(),
            self.memories(),
            self.event_refs(),
        );
        compiler.seen_state = Some((self.instance, self.written.get()));
        compiler.assembly(plan)
    }

    /// The traits set, as compilation reads them.
    fn trait_refs(&self) -> impl Iterator<Item = TraitRef<'_>> {
        self.traits
            .iter()
            .filter(|(_, (row, _))| !row.is_unset())
            .map(|(key, (row, _))| TraitRef {
                key,
                value: &row.value,
                audience: row.audience,
            })
    }

    /// The events, newest first.
    fn event_refs(&self) -> impl Iterator<Item = &Event> {
        self.events.values().rev().map(|(row, _)| &row.event)
    }

    /// [`Compiler::warm`] on this state: analyzes up to about `budget` bytes of what `compiler`
    /// has not analyzed; returns whether nothing is left.
    ///
    /// A compiler that saw this state whole when at most `budget` bytes of rows had been written
    /// since, and that reads dates in the person's zone still, is left as it is: what those rows
    /// hold is analyzed by the compilation, within the budget, and a publication after one
    /// webhook does not walk every item twice. (A new zone means every date read again: that is
    /// warmed in slices.)
    pub fn warm(&self, compiler: &mut Compiler, budget: usize) -> bool {
        let written = self.written.get();
        if compiler.seen_state.is_some_and(|(instance, at)| {
            instance == self.instance && written >= at && written - at <= budget as u64
        }) && compiler.reads_zone_of(self.trait_refs())
        {
            return true;
        }
        let done = compiler.warm(
            self.trait_refs(),
            self.memories(),
            self.event_refs(),
            budget,
        );
        if done {
            compiler.seen_state = Some((self.instance, written));
        }
        done
    }

    /// Applies one update: a duplicate message id or a suppressed person changes nothing; each
    /// trait is written unless the kept value comes from a newer message; the event is added;
    /// then the bounds are enforced.
    pub fn apply(
        &mut self,
        update: &Update,
        settings: &StateSettings,
        now_ms: i64,
    ) -> Result<Applied, StateError> {
        let mut tx = Tx::default();
        if self.meta.suppressed_since_ms.is_some() {
            return self.finish(tx, Outcome::Suppressed);
        }
        if self
            .meta
            .erased_at_ms
            .is_some_and(|erased| update.at_ms <= erased)
        {
            return self.finish(tx, Outcome::Erased);
        }
        let mid = update.message_id.as_deref().unwrap_or("");
        let known_event = update
            .event
            .as_ref()
            .is_some_and(|e| self.event_time.contains_key(&e.message_id));
        if self.seen.contains_key(mid) || known_event || self.is_memory_message(mid) {
            self.meta.counters.duplicates += 1;
            self.put_meta(&mut tx);
            return self.finish(tx, Outcome::Duplicate);
        }
        let mut changed = false;
        let at_ms = if update.at_ms > now_ms.saturating_add(MAX_FUTURE_SKEW_MS) {
            now_ms
        } else {
            update.at_ms
        };
        for t in &update.traits {
            let audience =
                t.audience || (matches!(t.value, Value::Bool(_)) && looks_like_audience(&t.key));
            changed |= self.write_trait(&mut tx, t, audience, at_ms, mid, now_ms);
        }
        if let Some(event) = &update.event {
            self.add_event(&mut tx, event.clone(), now_ms);
            changed = true;
        }
        if !mid.is_empty() {
            self.remember(&mut tx, mid, now_ms, settings);
        }
        self.enforce_bounds(&mut tx, settings);
        let outcome = if changed {
            self.meta.counters.applied += 1;
            self.meta.version += 1;
            self.meta.updated_at_ms = Some(self.meta.updated_at_ms.map_or(at_ms, |u| u.max(at_ms)));
            Outcome::Changed
        } else {
            Outcome::Stale
        };
        self.put_meta(&mut tx);
        self.finish(tx, outcome)
    }

    /// Merges what the Profile API (or a legacy stored source bundle) answered, as of `at_ms`: its
    /// traits are writes at that time (a newer message's value stays), its events are added unless
    /// known. `complete: false` (traits without events) keeps a retry pending.
    pub fn merge_fetched(
        &mut self,
        profile: &Profile,
        at_ms: i64,
        complete: bool,
        settings: &StateSettings,
        now_ms: i64,
    ) -> Result<Applied, StateError> {
        let mut tx = Tx::default();
        if self.meta.suppressed_since_ms.is_some() {
            return self.finish(tx, Outcome::Suppressed);
        }
        let mut changed = false;
        for t in &profile.traits {
            changed |= self.write_trait(&mut tx, t, t.audience, at_ms, "", now_ms);
        }
        for e in &profile.events {
            if !self.event_time.contains_key(&e.message_id) {
                self.add_event(&mut tx, e.clone(), now_ms);
                changed = true;
            }
        }
        self.enforce_bounds(&mut tx, settings);
        self.meta.fetch = if complete {
            None
        } else {
            self.next_attempt(settings, now_ms, true)
        };
        if changed {
            self.meta.counters.applied += 1;
            self.meta.version += 1;
        }
        self.put_meta(&mut tx);
        self.finish(
            tx,
            if changed {
                Outcome::Changed
            } else {
                Outcome::Stale
            },
        )
    }

    /// A Profile API fetch failed. `gone`: Segment has no such profile (nothing to retry);
    /// otherwise it is retried later, up to `max_fetch_attempts`.
    pub fn fetch_failed(
        &mut self,
        gone: bool,
        settings: &StateSettings,
        now_ms: i64,
    ) -> Result<Applied, StateError> {
        let mut tx = Tx::default();
        let partial = self.meta.fetch.is_some_and(|f| f.partial);
        self.meta.fetch = if gone {
            None
        } else {
            self.next_attempt(settings, now_ms, partial)
        };
        self.put_meta(&mut tx);
        self.finish(tx, Outcome::Stale)
    }

    fn next_attempt(
        &mut self,
        settings: &StateSettings,
        now_ms: i64,
        partial: bool,
    ) -> Option<PendingFetch> {
        let attempts = self.meta.fetch.map_or(0, |f| f.attempts).saturating_add(1);
        if attempts >= settings.max_fetch_attempts {
            self.meta.counters.fetches_given_up += 1;
            return None;
        }
        Some(PendingFetch {
            attempts,
            due_ms: now_ms.saturating_add(settings.retry_pause_ms(attempts)),
            partial,
        })
    }

    /// Deletes what has been kept longer than `retention_ms` since it was stored.
    pub fn expire(&mut self, settings: &StateSettings, now_ms: i64) -> Result<Applied, StateError> {
        let mut tx = Tx::default();
        let cutoff = now_ms.saturating_sub(settings.retention_ms);
        let old_traits: Vec<String> = self
            .traits
            .iter()
            .filter(|(_, (row, _))| row.stored_ms <= cutoff)
            .map(|(k, _)| k.clone())
            .collect();
        let old_events: Vec<(i64, String)> = self
            .events
            .iter()
            .filter(|(_, (row, _))| row.stored_ms <= cutoff)
            .map(|(k, _)| k.clone())
            .collect();
        let old_memories =
            self.memories_noted_by(now_ms.saturating_sub(settings.memory_retention_ms));
        let changed = !old_traits.is_empty() || !old_events.is_empty() || !old_memories.is_empty();
        for id in old_memories {
            self.remove_memory(&mut tx, &id);
        }
        for key in old_traits {
            self.remove_trait(&mut tx, &key);
            self.meta.counters.traits_expired += 1;
        }
        for key in old_events {
            self.remove_event(&mut tx, &key);
            self.meta.counters.events_expired += 1;
        }
        self.expire_audit(&mut tx, &settings.audit, now_ms);
        while let Some((stored, id)) = self.seen_order.first().cloned() {
            if stored > cutoff {
                break;
            }
            self.forget_seen(&mut tx, stored, &id);
        }
        if changed {
            self.meta.version += 1;
        }
        if !tx.changes.is_empty() {
            self.put_meta(&mut tx);
        }
        let outcome = if changed {
            Outcome::Changed
        } else {
            Outcome::Stale
        };
        self.finish(tx, outcome)
    }

    /// When the next row expires (ms), if any row is kept.
    pub fn next_expiry(&self, settings: &StateSettings) -> Option<i64> {
        let traits = self.traits.values().map(|(r, _)| r.stored_ms);
        let events = self.events.values().map(|(r, _)| r.stored_ms);
        let seen = self.seen_order.first().map(|(s, _)| *s);
        let kept = traits
            .chain(events)
            .chain(seen)
            .min()
            .map(|s| s.saturating_add(settings.retention_ms));
        let memory = self
            .memory_order
            .first()
            .map(|(at, _)| at.saturating_add(settings.memory_retention_ms));
        kept.into_iter()
            .chain(memory)
            .min()
            .map(|t| t.saturating_add(1))
            .into_iter()
            .chain(self.next_audit_expiry(&settings.audit))
            .min()
    }

    /// Erases the person: every row goes, then only the metadata is written again, with the
    /// suppression marker set, the counters kept, and the KV copies marked for deletion.
    pub fn erase(&mut self, now_ms: i64) -> Result<Applied, StateError> {
        self.erase_filing(now_ms, false)
    }

    /// [`PersonState::erase`], and with `file_regulation` a Segment deletion queued in the same
    /// rows (`regulation.rs`).
    pub fn erase_filing(
        &mut self,
        now_ms: i64,
        file_regulation: bool,
    ) -> Result<Applied, StateError> {
        let mut tx = Tx::default();
        tx.changes.push(Change::Clear);
        self.traits.clear();
        self.trait_order.clear();
        self.events.clear();
        self.event_time.clear();
        self.seen.clear();
        self.seen_order.clear();
        self.memories.clear();
        self.memory_order.clear();
        self.consent = None;
        self.audit.clear();
        self.unset = 0;
        self.bytes = 0;
        self.meta.version += 1;
        self.meta.updated_at_ms = None;
        self.meta.fetch = None;
        self.meta.kv_erase_pending = true;
        self.meta.suppressed_since_ms = Some(now_ms);
        self.meta.erased_at_ms = Some(self.meta.erased_at_ms.map_or(now_ms, |e| e.max(now_ms)));
        self.put_meta(&mut tx);
        if file_regulation {
            self.queue_regulation(&mut tx, now_ms);
        } else if self.regulation != regulation::Regulation::default() {
            // Its counts outlive the wipe, as the other counters do.
            tx.put(
                RowKind::Regulation,
                regulation::REGULATION_KEY,
                &self.regulation,
            );
        }
        self.finish(tx, Outcome::Changed)
    }

    /// Lifts the suppression: updates and fetches are accepted again (`fetch_first`: seed from the
    /// Profile API before the next publication), except messages dated at or before the erasure
    /// ([`Outcome::Erased`]). A KV deletion still pending stays pending, and goes first.
    pub fn lift_suppression(
        &mut self,
        fetch_first: bool,
        now_ms: i64,
    ) -> Result<Applied, StateError> {
        let mut tx = Tx::default();
        self.meta.suppressed_since_ms = None;
        self.meta.fetch = fetch_first.then_some(PendingFetch {
            attempts: 0,
            due_ms: now_ms,
            partial: false,
        });
        self.put_meta(&mut tx);
        self.finish(tx, Outcome::Changed)
    }

    /// When the compiled snapshots (or, after erasure, the deletion of the KV copies) may be
    /// written: `None` when there is nothing to write, else the earliest time (ms) that keeps KV
    /// writes at least [`MIN_PUBLISH_INTERVAL_MS`] apart, and publications
    /// [`PersonState::publish_spacing_ms`] apart. `kv_missing`: a reader found no readable
    /// snapshot in KV (expired by its TTL, or of an older format), so the current one is due again.
    /// A new person's first publication waits for the first Profile API attempt.
    pub fn publish_due(&self, now_ms: i64, kv_missing: bool) -> Option<i64> {
        if self.meta.kv_erase_pending {
            return Some(
                now_ms.max(
                    self.meta
                        .published_at_ms
                        .saturating_add(MIN_PUBLISH_INTERVAL_MS),
                ),
            );
        }
        let needed = self.meta.suppressed_since_ms.is_none()
            && (self.meta.version != self.meta.published_version
                || (kv_missing && !self.is_empty()))
            && self.meta.fetch.is_none_or(|f| f.attempts != 0);
        needed.then(|| {
            now_ms.max(
                self.meta
                    .published_at_ms
                    .saturating_add(self.publish_spacing_ms()),
            )
        })
    }

    /// The least time between two publications ([`PUBLISH_SPACING_PER_MIB_MS`], at most
    /// [`MAX_PUBLISH_SPACING_MS`]).
    pub fn publish_spacing_ms(&self) -> i64 {
        let per_mib = i64::try_from(self.bytes)
            .unwrap_or(i64::MAX)
            .saturating_mul(PUBLISH_SPACING_PER_MIB_MS)
            / (1 << 20);
        per_mib.clamp(MIN_PUBLISH_INTERVAL_MS, MAX_PUBLISH_SPACING_MS)
    }

    /// Records that the snapshots of `version` were written to KV at `now_ms`. (A publication
    /// never ends a pending erasure: only [`PersonState::kv_erased`] does.)
    pub fn published(&mut self, version: u64, now_ms: i64) -> Result<Applied, StateError> {
        let mut tx = Tx::default();
        self.meta.published_version = self.meta.published_version.max(version);
        self.meta.published_at_ms = now_ms;
        self.put_meta(&mut tx);
        self.finish(tx, Outcome::Changed)
    }

    /// Records that the deletion of every KV copy, asked for by the erasure, was confirmed at
    /// `now_ms`. A suppressed person's deletion counts as the publication of their version.
    pub fn kv_erased(&mut self, now_ms: i64) -> Result<Applied, StateError> {
        let mut tx = Tx::default();
        self.meta.kv_erase_pending = false;
        self.meta.published_at_ms = now_ms;
        if self.meta.suppressed_since_ms.is_some() {
            self.meta.published_version = self.meta.version;
        }
        self.put_meta(&mut tx);
        self.finish(tx, Outcome::Changed)
    }

    /// The last erasure (ms), if the person was ever erased: messages dated at or before it are
    /// refused for ever.
    pub fn erased_at(&self) -> Option<i64> {
        self.meta.erased_at_ms
    }

    /// The earliest time anything is due: a publication, a fetch, a memory's forwarding, an expiry.
    pub fn next_wake(
        &self,
        settings: &StateSettings,
        now_ms: i64,
        kv_missing: bool,
    ) -> Option<i64> {
        let fetch = match self.meta.suppressed_since_ms {
            Some(_) => None,
            None => self.meta.fetch.map(|f| f.due_ms),
        };
        [
            self.publish_due(now_ms, kv_missing),
            fetch,
            self.next_forward(),
            self.next_expiry(settings),
            self.next_regulation(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn write_trait(
        &mut self,
        tx: &mut Tx,
        t: &Trait,
        audience: bool,
        at_ms: i64,
        mid: &str,
        now_ms: i64,
    ) -> bool {
        if let Some((row, _)) = self.traits.get(&t.key) {
            if (row.effective_at(), row.message_id.as_str()) > (at_ms, mid) {
                self.meta.counters.stale_trait_writes += 1;
                return false;
            }
            if row.value == t.value && row.audience == audience {
                // The same value from a newer message: keep the newer time, nothing to recompile.
                let row = TraitRow {
                    at_ms,
                    message_id: mid.to_string(),
                    stored_ms: now_ms,
                    ..row.clone()
                };
                self.store_trait(tx, &t.key, row);
                return false;
            }
        }
        let row = TraitRow {
            value: t.value.clone(),
            audience,
            at_ms,
            message_id: mid.to_string(),
            stored_ms: now_ms,
        };
        // Unsetting a trait the profile does not have changes nothing anyone sees.
        let visible =
            !row.is_unset() || self.traits.get(&t.key).is_some_and(|(r, _)| !r.is_unset());
        self.store_trait(tx, &t.key, row);
        visible
    }

    fn store_trait(&mut self, tx: &mut Tx, key: &str, row: TraitRow) {
        let size = tx.put(RowKind::Trait, key, &row);
        if let Some((old, old_size)) = self.traits.remove(key) {
            self.trait_order.remove(&(old.at_ms, key.to_string()));
            self.bytes = self.bytes.saturating_sub(old_size);
            self.unset = self.unset.saturating_sub(usize::from(old.is_unset()));
        }
        self.unset += usize::from(row.is_unset());
        self.trait_order.insert((row.at_ms, key.to_string()));
        self.bytes += size;
        self.traits.insert(key.to_string(), (row, size));
    }

    fn remove_trait(&mut self, tx: &mut Tx, key: &str) {
        if let Some((row, size)) = self.traits.remove(key) {
            self.trait_order.remove(&(row.at_ms, key.to_string()));
            self.bytes = self.bytes.saturating_sub(size);
            self.unset = self.unset.saturating_sub(usize::from(row.is_unset()));
            tx.delete(RowKind::Trait, key);
        }
    }

    fn add_event(&mut self, tx: &mut Tx, event: Event, now_ms: i64) {
        let key = (event.timestamp_ms, event.message_id.clone());
        let row = EventRow {
            event,
            stored_ms: now_ms,
        };
        let size = tx.put(RowKind::Event, &key.1, &row);
        self.event_time.insert(key.1.clone(), key.0);
        self.bytes += size;
        self.events.insert(key, (row, size));
    }

    fn remove_event(&mut self, tx: &mut Tx, key: &(i64, String)) {
        if let Some((_, size)) = self.events.remove(key) {
            self.event_time.remove(&key.1);
            self.bytes = self.bytes.saturating_sub(size);
            tx.delete(RowKind::Event, &key.1);
        }
    }

    fn remember(&mut self, tx: &mut Tx, mid: &str, now_ms: i64, settings: &StateSettings) {
        tx.put(RowKind::Seen, mid, &now_ms);
        self.seen.insert(mid.to_string(), now_ms);
        self.seen_order.insert((now_ms, mid.to_string()));
        while self.seen.len() > settings.max_seen {
            let Some((stored, id)) = self.seen_order.first().cloned() else {
                break;
            };
            self.forget_seen(tx, stored, &id);
        }
    }

    fn forget_seen(&mut self, tx: &mut Tx, stored: i64, id: &str) {
        self.seen_order.remove(&(stored, id.to_string()));
        self.seen.remove(id);
        tx.delete(RowKind::Seen, id);
    }

    /// Evicts until within the bounds: the oldest events past `max_events`; the trait written
    /// longest ago past `max_traits`; past `max_bytes`, the oldest events, then traits.
    fn enforce_bounds(&mut self, tx: &mut Tx, settings: &StateSettings) {
        while self.events.len() > settings.max_events {
            self.evict_oldest_event(tx);
        }
        while self.traits.len() > settings.max_traits {
            self.evict_oldest_trait(tx);
        }
        while self.bytes > settings.max_bytes && !self.is_empty() {
            if self.events.is_empty() {
                self.evict_oldest_trait(tx);
            } else {
                self.evict_oldest_event(tx);
            }
        }
    }

    fn evict_oldest_event(&mut self, tx: &mut Tx) {
        if let Some(key) = self.events.keys().next().cloned() {
            self.remove_event(tx, &key);
            self.meta.counters.events_evicted += 1;
        }
    }

    fn evict_oldest_trait(&mut self, tx: &mut Tx) {
        if let Some((_, key)) = self.trait_order.first().cloned() {
            self.remove_trait(tx, &key);
            self.meta.counters.traits_evicted += 1;
        }
    }

    fn put_meta(&self, tx: &mut Tx) {
        tx.put(RowKind::Meta, META_KEY, &self.meta);
    }

    /// The operation's result; an encoding error (never expected) means the memory copy is ahead
    /// of the rows: the caller stores nothing and reloads from its rows.
    fn finish(&self, tx: Tx, outcome: Outcome) -> Result<Applied, StateError> {
        let written: usize = tx
            .changes
            .iter()
            .map(|c| match c {
                Change::Put { key, body, .. } => key.len() + body.len(),
                Change::Delete { .. } | Change::Clear => 0,
            })
            .sum();
        self.written
            .set(self.written.get().saturating_add(written as u64));
        match tx.error {
            Some(e) => Err(e),
            None => Ok(Applied {
                outcome,
                version: self.meta.version,
                changes: tx.changes,
            }),
        }
    }
}

#[cfg(test)]
mod tests;
