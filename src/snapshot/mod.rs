//! Compact, versioned profile snapshots, pre-processed for ranking.
//!
//! A [`Snapshot`] is a profile compiled for the request path: [`compile()`] builds one from a
//! [`crate::profile::Profile`] under a [`crate::policy::PrivacyPolicy`], [`Snapshot::encode`] writes
//! it as bytes and [`Snapshot::decode`] reads and validates them. Everything the per-request path
//! would otherwise recompute is done at compile time:
//!
//! * **Event groups.** Occurrences of the same event with the same properties (441 `Page Viewed` of
//!   ten pages) become one group with its occurrence times (newest first) and the message id of its
//!   newest occurrence, which is the group's id. The ranker scores groups and the renderer says "×14,
//!   last 10 seconds ago"; older occurrences' message ids are not kept (they were half the bytes of
//!   a real profile's snapshot, and nothing reads them).
//! * **Terms.** Every field is analyzed once ([`crate::text::Analyzer`]); the snapshot holds a sorted
//!   term dictionary with document frequencies, and each item holds `(term id, frequency)` postings per
//!   field ([`FIELD_COUNT`] of them): name (trait key / event name), property keys, values, and the
//!   initialisms of the name's and values' phrases.
//! * **Display text.** Values are flattened to one-line text with personal data already withheld or
//!   removed by the policy, so nothing downstream can leak it by accident.
//! * **Times** are integers (ms since the epoch), delta-encoded inside a group.
//! * **Memories** ([`crate::Memory`]) are trait records after the profile's traits, with their id,
//!   the time they were noted (their category is a name term); the policy reads their key (or `memory`) and text like
//!   a trait's, and the ranker gives them a recency from that time.
//!
//! The files of this module: this one holds the types and their read-only views; `compile.rs`
//! the profile → snapshot step; `validate.rs` the checks that make a decoded snapshot
//! safe to read; [`codec`] the byte layout (header and payload, with its table); [`kv`] where
//! snapshots live in Workers KV. Decoding is bounded by [`SnapshotLimits`] and checks every index
//! and length, so a snapshot that decodes can be ranked and rendered without further checks.

pub mod codec;
mod compile;
pub mod kv;
mod validate;

use bincode::{Decode, Encode};
use serde::{Deserialize, Serialize};

use crate::errors::SnapshotError;
use crate::policy::{PiiClass, Target};
use crate::time::zone::Zone;

pub use compile::compile;

/// The kind of a trait's value, kept so slots and JSON output can tell `true` from `"true"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Encode, Decode)]
pub enum ValueKind {
    /// JSON `null`.
    Null,
    /// A boolean.
    Bool,
    /// A number.
    Number,
    /// A string.
    Text,
    /// An array.
    List,
    /// An object.
    Object,
}

/// Which part of an item a term came from; each has its own weight in the ranker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Trait key or event name.
    Name = 0,
    /// Event property keys.
    Keys = 1,
    /// Trait value or event property values.
    Values = 2,
    /// Initialisms of the phrases in the name and values (`personal training` → `pt`).
    Initials = 3,
}

/// Number of [`Field`]s.
pub const FIELD_COUNT: usize = 4;

/// A range of one of the snapshot's tables: bytes of the string table (a string), or rows of the
/// postings, properties or occurrence tables. Two `u32`s in the payload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Encode, Decode)]
pub struct Span {
    start: u32,
    len: u32,
}

impl Span {
    /// The range this span covers. Computed in `usize`, so `start + len` cannot overflow on
    /// 64-bit targets; on wasm32 a corrupt span past `u32::MAX` saturates to an empty range,
    /// which the table lookups then reject.
    pub fn range(self) -> std::ops::Range<usize> {
        let start = self.start as usize;
        start..start.saturating_add(self.len as usize)
    }

    /// Number of rows (or bytes) covered.
    pub fn len(self) -> usize {
        self.len as usize
    }

    /// Whether the span covers nothing.
    pub fn is_empty(self) -> bool {
        self.len == 0
    }

    /// The span `start..end` of a table being built (clamped to `u32`, which the size limits keep
    /// far away).
    fn of(start: usize, end: usize) -> Span {
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            len: u32::try_from(end.saturating_sub(start)).unwrap_or(0),
        }
    }
}

/// One term of one field of an item, with its frequency there. An item's postings are sorted by
/// `(term, field)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Encode, Decode)]
pub struct Posting {
    /// Index into the term dictionary.
    pub term: u32,
    /// The [`Field`], as its number.
    pub field: u8,
    /// Occurrences of the term in that field of the item.
    pub tf: u16,
}

/// A trait as stored: spans into the string and postings tables. Its fields, in this order, are
/// part of the payload layout ([`codec`]).
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
struct TraitRecord {
    key: Span,
    kind: ValueKind,
    text: Span,
    audience: bool,
    withheld: Option<PiiClass>,
    postings: Span,
    /// Into `dates`: the dates found in the value.
    dates: Span,
    /// Set for a memory (the trait table holds the profile's traits, then its memories): when it
    /// was noted (ms). Its category is only a name term, in the postings.
    noted_ms: Option<i64>,
    /// A memory's id; empty for a trait. (An `Option` and a span rather than a record of its own:
    /// they decode with code the browser's wasm already has.)
    memory_id: Span,
}

/// An event group as stored; its fields, in this order, are part of the payload layout ([`codec`]).
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
struct GroupRecord {
    name: Span,
    /// Into `properties`.
    properties: Span,
    postings: Span,
    /// The message id of the newest occurrence: the group's id.
    id: Span,
    /// Into `occurrence_times`.
    occurrences: Span,
    /// Into `dates`: the dates found in the properties.
    dates: Span,
}

/// Bounds checked while decoding. Exceeding one is [`SnapshotError::Limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotLimits {
    /// Largest snapshot in bytes. Default 16 MiB (Workers KV allows 25 MiB values); never above
    /// [`codec::DECODE_ALLOCATION_CAP`].
    pub max_bytes: usize,
    /// Most trait records: traits and memories. Default 6,000 (the state's 5,000 traits and up to
    /// 1,000 memories).
    pub max_traits: usize,
    /// Most event groups. Default 100,000.
    pub max_groups: usize,
    /// Most event occurrences across groups. Default 1,000,000.
    pub max_occurrences: usize,
    /// Most distinct terms. Default 500,000.
    pub max_terms: usize,
    /// Longest string (key, display text, message id), in bytes. Default 64 KiB.
    pub max_string_bytes: usize,
}

impl Default for SnapshotLimits {
    fn default() -> Self {
        Self {
            max_bytes: 16 << 20,
            max_traits: 6_000,
            max_groups: 100_000,
            max_occurrences: 1_000_000,
            max_terms: 500_000,
            max_string_bytes: 64 << 10,
        }
    }
}

/// A compiled profile, ready to rank and render. Strings live in one interned table and records
/// refer to them by offset, so decoding is a handful of allocations whatever the profile's size.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    profile_id: String,
    target: Target,
    updated_at_ms: Option<i64>,
    /// The person's time zone, from a `timezone` trait, when it names one.
    zone: Option<Zone>,
    /// Every string of the snapshot, interned (each distinct string once) and concatenated.
    strings: String,
    /// The term dictionary, sorted by text; a term id is an index.
    terms: Vec<Span>,
    postings: Vec<Posting>,
    properties: Vec<(Span, Span)>,
    traits: Vec<TraitRecord>,
    groups: Vec<GroupRecord>,
    /// Per group: the newest time in ms, then non-negative deltas to each older occurrence.
    occurrence_times: Vec<i64>,
    /// Thesaurus links, sorted: `(term_hash(query word) | relation, term id)`, so that a query
    /// word the profile does not contain reaches the terms WordNet relates to it.
    links: Vec<(u32, u32)>,
    /// Dates found in values, item after item (traits, then groups), as instants `(first, last)`
    /// in ms: a date-time is one instant, a plain date its whole local day.
    dates: Vec<(i64, i64)>,
    /// Derived on decode: items containing each term.
    doc_freq: Vec<u32>,
    /// Derived on decode: average field length over items.
    avg_field_len: [f32; FIELD_COUNT],
}

/// A trait of a snapshot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraitView<'a> {
    /// The trait key.
    pub key: &'a str,
    /// The kind of its value.
    pub kind: ValueKind,
    /// Display text of the value; empty when `withheld`.
    pub text: &'a str,
    /// Whether it is an audience membership.
    pub audience: bool,
    /// Set when the value is personal data the policy withholds (server target only; the browser
    /// target drops such traits).
    pub withheld: Option<PiiClass>,
    /// Its postings, sorted by (term, field).
    pub postings: &'a [Posting],
    /// Dates in its value, as `(first, last)` instants in ms.
    pub dates: &'a [(i64, i64)],
    /// Set when the item is a memory: when it was noted (ms since the epoch). `key` is then the
    /// memory's key (empty when it has none), `text` its text; [`Snapshot::memory_id`] its id.
    pub noted_ms: Option<i64>,
}

impl TraitView<'_> {
    /// Truthiness for slot conditions: `true`, non-zero numbers, non-empty text other than
    /// `false`/`0`/`no`, non-empty lists and objects.
    pub fn is_truthy(&self) -> bool {
        match self.kind {
            ValueKind::Null => false,
            ValueKind::Bool | ValueKind::Text => !matches!(
                self.text.trim().to_ascii_lowercase().as_str(),
                "" | "false" | "0" | "no"
            ),
            // A number's text is an f64's display: non-zero iff its mantissa has a non-zero digit
            // (checked without float parsing, whose tables would weigh on the browser wasm).
            ValueKind::Number => self
                .text
                .split(['e', 'E'])
                .next()
                .is_some_and(|m| m.bytes().any(|b| (b'1'..=b'9').contains(&b))),
            ValueKind::List | ValueKind::Object => !self.text.is_empty(),
        }
    }
}

/// A group of identical events (same name and properties) of a snapshot.
#[derive(Debug, Clone, Copy)]
pub struct GroupView<'a> {
    snapshot: &'a Snapshot,
    record: &'a GroupRecord,
    /// The event name.
    pub name: &'a str,
    /// Its postings, sorted by (term, field).
    pub postings: &'a [Posting],
}

impl<'a> GroupView<'a> {
    /// `(key, display text)` of each property.
    pub fn properties(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let s = self.snapshot;
        s.properties
            .get(self.record.properties.range())
            .unwrap_or_default()
            .iter()
            .map(move |(k, v)| (s.str(*k), s.str(*v)))
    }

    /// Dates in its properties, as `(first, last)` instants in ms.
    pub fn dates(&self) -> &'a [(i64, i64)] {
        self.snapshot
            .dates
            .get(self.record.dates.range())
            .unwrap_or_default()
    }

    /// A number that is the same for groups of the same event name and differs otherwise (names
    /// are interned once in the string table).
    pub(crate) fn name_key(&self) -> u32 {
        self.record.name.start
    }

    /// Number of occurrences.
    pub fn count(&self) -> usize {
        self.record.occurrences.len()
    }

    fn times(&self) -> &'a [i64] {
        self.snapshot
            .occurrence_times
            .get(self.record.occurrences.range())
            .unwrap_or_default()
    }

    /// Time of the newest occurrence (ms since the epoch).
    pub fn last_ms(&self) -> i64 {
        self.times().first().copied().unwrap_or(0)
    }

    /// Message id of the newest occurrence: the group's id.
    pub fn last_message_id(&self) -> &'a str {
        self.snapshot.str(self.record.id)
    }

    /// The time (ms since the epoch) of every occurrence, newest first.
    pub fn occurrence_times(&self) -> impl Iterator<Item = i64> + 'a {
        let mut time = 0i64;
        self.times().iter().enumerate().map(move |(i, delta)| {
            time = if i == 0 {
                *delta
            } else {
                time.saturating_sub(*delta)
            };
            time
        })
    }
}

impl Snapshot {
    /// Writes the snapshot as bytes (header + payload, see [`codec`]).
    pub fn encode(&self) -> Result<Vec<u8>, SnapshotError> {
        codec::encode_payload(self)
    }

    /// Reads snapshot bytes and validates them (see `validate.rs`), so that every accessor below
    /// finds what it refers to.
    pub fn decode(bytes: &[u8], limits: &SnapshotLimits) -> Result<Snapshot, SnapshotError> {
        let mut snapshot: Snapshot = codec::decode_payload(bytes, limits.max_bytes)?;
        snapshot.validate(limits)?;
        snapshot
            .derive_statistics()
            .map_err(SnapshotError::corrupt)?;
        Ok(snapshot)
    }

    /// `user_id:<id>` style profile id.
    pub fn profile_id(&self) -> &str {
        &self.profile_id
    }

    /// The policy target the snapshot was compiled for.
    pub fn target(&self) -> Target {
        self.target
    }

    /// The profile's `updated_at`, when the export had one.
    pub fn updated_at_ms(&self) -> Option<i64> {
        self.updated_at_ms
    }

    /// The person's time zone (UTC when the profile names none).
    pub fn zone(&self) -> Zone {
        self.zone.unwrap_or(Zone::UTC)
    }

    /// A string of the string table; empty for a span outside it (which decoding refuses).
    fn str(&self, r: Span) -> &str {
        self.strings.get(r.range()).unwrap_or("")
    }

    /// Number of distinct terms.
    pub fn term_count(&self) -> usize {
        self.terms.len()
    }

    /// The id of a term, if the profile has it.
    pub fn term_id(&self, term: &str) -> Option<u32> {
        self.terms
            .binary_search_by(|t| self.str(*t).cmp(term))
            .ok()
            .and_then(|i| u32::try_from(i).ok())
    }

    /// The term of an id (empty for an id out of range).
    pub fn term_text(&self, term_id: u32) -> &str {
        self.terms
            .get(term_id as usize)
            .map_or("", |r| self.str(*r))
    }

    /// The thesaurus links of a query word's hash ([`crate::text::term_hash`]): each term of the
    /// profile it reaches, with the packed relation (`entry & 3`).
    pub fn links_of(&self, hash: u32) -> &[(u32, u32)] {
        let start = self.links.partition_point(|(h, _)| *h < hash);
        let end = self.links.partition_point(|(h, _)| *h <= (hash | 3));
        self.links.get(start..end).unwrap_or_default()
    }

    /// Number of thesaurus links.
    pub fn link_count(&self) -> usize {
        self.links.len()
    }

    /// Number of items (traits and event groups) containing the term.
    pub fn doc_freq(&self, term_id: u32) -> u32 {
        self.doc_freq.get(term_id as usize).copied().unwrap_or(0)
    }

    /// Number of rankable items: traits and memories plus event groups.
    pub fn item_count(&self) -> usize {
        self.traits.len() + self.groups.len()
    }

    /// Average length of a field over all items.
    pub fn avg_field_len(&self, field: usize) -> f32 {
        self.avg_field_len.get(field).copied().unwrap_or(0.0)
    }

    /// Total event occurrences.
    pub fn event_count(&self) -> usize {
        self.occurrence_times.len()
    }

    /// Number of trait records (memories included).
    pub fn trait_count(&self) -> usize {
        self.traits.len()
    }

    /// Number of event groups.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// The trait at an index.
    pub fn trait_at(&self, i: usize) -> Option<TraitView<'_>> {
        let t = self.traits.get(i)?;
        Some(TraitView {
            key: self.str(t.key),
            kind: t.kind,
            text: self.str(t.text),
            audience: t.audience,
            withheld: t.withheld,
            postings: self.postings.get(t.postings.range()).unwrap_or_default(),
            dates: self.dates.get(t.dates.range()).unwrap_or_default(),
            noted_ms: t.noted_ms,
        })
    }

    /// The event group at an index (groups are ordered newest first).
    pub fn group_at(&self, i: usize) -> Option<GroupView<'_>> {
        let g = self.groups.get(i)?;
        Some(GroupView {
            snapshot: self,
            record: g,
            name: self.str(g.name),
            postings: self.postings.get(g.postings.range()).unwrap_or_default(),
        })
    }

    /// Every trait record, in profile order, then the memories (newest first): the ranker's
    /// items before the event groups.
    pub fn traits(&self) -> impl Iterator<Item = TraitView<'_>> {
        (0..self.traits.len()).filter_map(|i| self.trait_at(i))
    }

    /// Every event group, newest first.
    pub fn groups(&self) -> impl Iterator<Item = GroupView<'_>> {
        (0..self.groups.len()).filter_map(|i| self.group_at(i))
    }

    /// A trait (not a memory) by key.
    pub fn trait_by_key(&self, key: &str) -> Option<TraitView<'_>> {
        self.traits().find(|t| t.noted_ms.is_none() && t.key == key)
    }

    /// The id of the memory at trait index `i` (item id `memory:<id>`); `None` for a trait.
    pub fn memory_id(&self, i: usize) -> Option<&str> {
        let t = self.traits.get(i)?;
        t.noted_ms.map(|_| self.str(t.memory_id))
    }

    /// The memories with their ids, newest first.
    pub fn memories(&self) -> impl Iterator<Item = (&str, TraitView<'_>)> {
        (0..self.traits.len()).filter_map(|i| Some((self.memory_id(i)?, self.trait_at(i)?)))
    }

    /// Number of memories.
    pub fn memory_count(&self) -> usize {
        self.traits.iter().filter(|t| t.noted_ms.is_some()).count()
    }
}
