//! Compact, versioned profile snapshots, read in place.
//!
//! A [`Snapshot`] is a profile compiled for the request path: [`compile()`] builds one from a
//! [`crate::profile::Profile`] under a [`crate::policy::PrivacyPolicy`]; its bytes
//! ([`Snapshot::as_bytes`]) are what is stored, and [`Snapshot::decode`] checks stored bytes once
//! (checksum, bounds, structure) and then reads them where they lie. Everything the per-request
//! path would otherwise recompute is done at compile time:
//!
//! * **Event groups.** Occurrences of the same event with the same properties (441 `Page Viewed` of
//!   ten pages) become one group with its count, its newest time and the message id of its newest
//!   occurrence, which is the group's id. The ranker scores groups and the renderer says "×14,
//!   last 10 seconds ago".
//! * **Terms.** Every field is analyzed once ([`crate::text::Analyzer`]); the snapshot holds the
//!   term dictionary with each term's postings (the items it is in, per field, with its frequency),
//!   so a query reads the postings of its own terms only. The fields ([`FIELD_COUNT`]): name (trait
//!   key, event name), property keys, values, and the initialisms of the name's and values' phrases.
//! * **Times.** Every occurrence, in time order with a block index, so a time expression in a
//!   query ("last weekend") reads the occurrences of its window only; the dates found in values.
//! * **Display text.** Values are flattened to one-line text with personal data already withheld or
//!   removed by the policy, so nothing downstream can leak it by accident.
//! * **Memories** ([`crate::Memory`]) are trait records after the profile's traits, with their id,
//!   the time they were noted (their category is a name term); the policy reads their key (or
//!   `memory`) and text like a trait's, and the ranker gives them a recency from that time.
//!
//! General knowledge (the thesaurus, word vectors) is not in a snapshot: the knowledge pack
//! ([`crate::knowledge`]) is shared by all of them.
//!
//! The files of this module: this one holds the handle and its read-only views; `compile.rs`
//! the profile → snapshot step; `validate.rs` the checks made when bytes are loaded; [`codec`] the
//! byte layout; `bytes.rs` its integers; [`kv`] where snapshots live in Workers KV. Loading is
//! bounded by [`SnapshotLimits`]; every later read is bounds-checked, so a snapshot that loads can
//! be ranked and rendered without panicking whatever its bytes.

pub mod codec;
mod compile;
pub mod kv;
pub mod pace;
mod terms;
mod validate;

use std::borrow::Cow;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::bytes::Reader;
use crate::errors::SnapshotError;
use crate::policy::{PiiClass, Target};
use crate::time::zone::Zone;
use codec::Section;

pub use compile::{compile, Assembly, Compiler, TraitRef};

/// The kind of a trait's value, kept so slots and JSON output can tell `true` from `"true"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

impl ValueKind {
    fn code(self) -> u8 {
        self as u8
    }

    fn from_code(c: u8) -> Option<ValueKind> {
        Some(match c {
            0 => ValueKind::Null,
            1 => ValueKind::Bool,
            2 => ValueKind::Number,
            3 => ValueKind::Text,
            4 => ValueKind::List,
            5 => ValueKind::Object,
            _ => return None,
        })
    }
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

/// One term of one field of an item, with its frequency there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Posting {
    /// The item (traits first, then event groups).
    pub item: u32,
    /// The [`Field`], as its number.
    pub field: u8,
    /// Occurrences of the term in that field of the item.
    pub tf: u32,
}

/// Bounds checked while loading. Exceeding one is [`SnapshotError::Limit`].
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
    /// Longest term, in bytes. Default 64 KiB.
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

/// What the `META` section says, read when the snapshot is loaded.
#[derive(Debug, Clone, PartialEq)]
struct Meta {
    profile_id: usize,
    target: Target,
    updated_at_ms: Option<i64>,
    zone: Option<Zone>,
    traits: usize,
    memories: usize,
    groups: usize,
    occurrences: usize,
    terms: usize,
    avg_field_len: [f32; FIELD_COUNT],
    /// Bytes of each entry of `ITEM_AT`: 2 when the records fit 64 KiB, else 4.
    offset_width: usize,
    /// The newest occurrence's time: groups store theirs as ms before it.
    time_base: i64,
}

/// A compiled profile, ready to rank and render: its bytes, checked once when loaded, and the
/// term dictionary read then (its texts, where each term's postings are, a hash table); a
/// snapshot just compiled reads its dictionary when first ranked.
#[derive(Clone)]
pub struct Snapshot {
    bytes: Vec<u8>,
    sections: [Range<usize>; codec::SECTIONS],
    meta: Meta,
    /// The term dictionary's texts, postings ranges and hash table: read on load (a decoded
    /// snapshot), or on first use (a compiled one, which is often only published).
    terms: std::sync::OnceLock<terms::TermIndex>,
}

impl PartialEq for Snapshot {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("profile_id", &self.profile_id())
            .field("bytes", &self.bytes.len())
            .field("items", &self.item_count())
            .field("terms", &self.term_count())
            .finish()
    }
}

/// A trait (or a memory) of a snapshot, read from its record.
#[derive(Debug, Clone)]
pub struct TraitView<'a> {
    /// The trait key (a memory's key, empty when it has none).
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
    /// Set when the item is a memory: when it was noted (ms since the epoch).
    pub noted_ms: Option<i64>,
    /// A memory's id; empty for a trait.
    pub memory_id: Cow<'a, str>,
    record: Record<'a>,
}

/// A group of identical events (same name and properties) of a snapshot.
#[derive(Debug, Clone)]
pub struct GroupView<'a> {
    snapshot: &'a Snapshot,
    /// The event name.
    pub name: &'a str,
    record: Record<'a>,
}

/// An item's record, decoded: what every item has, and its lists as readers.
#[derive(Debug, Clone)]
pub(crate) struct Record<'a> {
    pub(crate) tag: u8,
    pub(crate) name: usize,
    pub(crate) text: usize,
    pub(crate) withheld: Option<PiiClass>,
    pub(crate) noted_ms: Option<i64>,
    pub(crate) id: usize,
    pub(crate) props: (usize, usize),
    pub(crate) count: usize,
    pub(crate) newest_ms: i64,
    pub(crate) same_name: usize,
    /// Terms in each field (the BM25 length).
    pub(crate) lens: [u32; FIELD_COUNT],
    dates: (Reader<'a>, usize),
    rare: (Reader<'a>, usize),
}

impl Record<'_> {
    pub(crate) fn kind(&self) -> u8 {
        self.tag & 3
    }

    /// Whether it holds a word of an open state (pending, failed, due…).
    pub(crate) fn is_open(&self) -> bool {
        self.tag & codec::TAG_OPEN != 0
    }

    /// The dates in its values, as `(first, last)` instants in ms.
    pub(crate) fn dates(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        let (mut r, n) = self.dates;
        (0..n).map_while(move |_| {
            let first = r.signed()?;
            let span = r.varint()?;
            Some((first, first.saturating_add(i64::try_from(span).ok()?)))
        })
    }

    /// Its rare value terms (in 2..=[`codec::RARE_MAX_DF`] items), ascending.
    pub(crate) fn rare_terms(&self) -> impl Iterator<Item = u32> + '_ {
        let (mut r, n) = self.rare;
        let mut term = 0u32;
        (0..n).map_while(move |_| {
            term = term.checked_add(r.u32v()?)?;
            Some(term)
        })
    }
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

    /// Dates in its value, as `(first, last)` instants in ms.
    pub fn dates(&self) -> Vec<(i64, i64)> {
        self.record.dates().collect()
    }

    pub(crate) fn record(&self) -> &Record<'_> {
        &self.record
    }
}

impl<'a> GroupView<'a> {
    /// `(key, display text)` of each property.
    pub fn properties(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let s = self.snapshot;
        let (start, count) = self.record.props;
        let props = s.section(Section::Props);
        let mut r = Reader::at(props, start);
        (0..count).map_while(move |_| {
            let key = s.string_ref(&mut r)?;
            let value = s.string_ref(&mut r)?;
            Some((s.str_at(key)?, s.str_at(value)?))
        })
    }

    /// Dates in its properties, as `(first, last)` instants in ms.
    pub fn dates(&self) -> Vec<(i64, i64)> {
        self.record.dates().collect()
    }

    /// Number of occurrences.
    pub fn count(&self) -> usize {
        self.record.count
    }

    /// Time of the newest occurrence (ms since the epoch).
    pub fn last_ms(&self) -> i64 {
        self.record.newest_ms
    }

    /// Message id of the newest occurrence: the group's id.
    pub fn last_message_id(&self) -> Cow<'a, str> {
        self.snapshot.id_at(self.record.id).unwrap_or_default()
    }

    /// The time (ms since the epoch) of every occurrence, newest first. Reads the whole time
    /// index (for inspection and tests; the ranker reads the windows it needs).
    pub fn occurrence_times(&self, index: usize) -> Vec<i64> {
        let item = self.snapshot.trait_count() + index;
        let mut out: Vec<i64> = self
            .snapshot
            .occurrences_between(i64::MIN, i64::MAX)
            .filter(|(_, g)| *g as usize == item)
            .map(|(t, _)| t)
            .collect();
        out.reverse();
        out
    }

    pub(crate) fn record(&self) -> &Record<'a> {
        &self.record
    }
}

impl Snapshot {
    /// The snapshot's bytes: header and payload, as stored.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The snapshot's bytes, owned (what is stored in KV or served to a browser).
    pub fn encode(&self) -> Result<Vec<u8>, SnapshotError> {
        Ok(self.bytes.clone())
    }

    /// Loads snapshot bytes: checks the header, the checksum, the limits and the structure every
    /// read relies on (see `validate.rs`), and builds the term table.
    pub fn decode(bytes: &[u8], limits: &SnapshotLimits) -> Result<Snapshot, SnapshotError> {
        Self::load(bytes.to_vec(), limits)
    }

    /// [`Snapshot::decode`] of bytes the caller gives up (no copy).
    pub fn load(bytes: Vec<u8>, limits: &SnapshotLimits) -> Result<Snapshot, SnapshotError> {
        let sections = codec::open(&bytes, limits.max_bytes)?;
        validate::load(bytes, sections, limits)
    }

    fn section(&self, s: Section) -> &[u8] {
        self.sections
            .get(s as usize)
            .and_then(|r| self.bytes.get(r.clone()))
            .unwrap_or_default()
    }

    /// A string of the string table; `None` for a reference outside it or not at a character
    /// boundary.
    fn str_at(&self, offset: usize) -> Option<&str> {
        let mut r = Reader::at(self.section(Section::Strings), offset);
        let len = r.size()?;
        std::str::from_utf8(r.take(len)?).ok()
    }

    /// An id of the `IDS` section.
    fn id_at(&self, offset: usize) -> Option<Cow<'_, str>> {
        codec::read_id(&mut Reader::at(self.section(Section::Ids), offset))
    }

    /// Reads a string reference (`v offset`).
    fn string_ref(&self, r: &mut Reader) -> Option<usize> {
        r.size()
    }

    /// `user_id:<id>` style profile id.
    pub fn profile_id(&self) -> &str {
        self.str_at(self.meta.profile_id).unwrap_or("")
    }

    /// The policy target the snapshot was compiled for.
    pub fn target(&self) -> Target {
        self.meta.target
    }

    /// The profile's `updated_at`, when the export had one.
    pub fn updated_at_ms(&self) -> Option<i64> {
        self.meta.updated_at_ms
    }

    /// The person's time zone (UTC when the profile names none).
    pub fn zone(&self) -> Zone {
        self.meta.zone.unwrap_or(Zone::UTC)
    }

    /// Number of distinct terms.
    pub fn term_count(&self) -> usize {
        self.meta.terms
    }

    /// The id of a term, if the profile has it.
    pub fn term_id(&self, term: &str) -> Option<u32> {
        let hash = crate::text::term_hash(term);
        self.find_term(hash, |id| self.term_text(id) == term)
    }

    /// The id of the term whose [`crate::text::term_hash`] is `hash`, if the profile has one (the
    /// knowledge pack names its words by hash).
    pub fn term_by_hash(&self, hash: u64) -> Option<u32> {
        self.find_term(hash, |_| true)
    }

    /// The term dictionary, read from the `TERMS` section on first use (a compiled snapshot's is
    /// sorted, unique and within bounds by construction).
    fn term_index(&self) -> &terms::TermIndex {
        self.terms.get_or_init(|| {
            terms::TermIndex::read(self.section(Section::Terms), self.meta.terms, usize::MAX)
                .unwrap_or_default()
        })
    }

    fn find_term(&self, hash: u64, same: impl Fn(u32) -> bool) -> Option<u32> {
        self.term_index().find(hash, same)
    }

    /// The term of an id (empty for an id out of range).
    pub fn term_text(&self, term_id: u32) -> &str {
        self.term_index().text(term_id).unwrap_or("")
    }

    /// Every term, with its id (in dictionary order: sorted by text).
    pub fn terms(&self) -> impl Iterator<Item = (u32, &str)> {
        (0..u32::try_from(self.meta.terms).unwrap_or(u32::MAX)).map(|id| (id, self.term_text(id)))
    }

    /// The postings of a term: the items it is in, field by field, in item order. An entry that
    /// does not decode ends the list.
    pub fn postings(&self, term_id: u32) -> impl Iterator<Item = Posting> + '_ {
        let bytes = self
            .term_index()
            .postings(term_id)
            .and_then(|r| self.section(Section::Terms).get(r))
            .unwrap_or_default();
        let items = self.item_count() as u64;
        let mut r = Reader::new(bytes);
        let mut item = 0u64;
        let mut first = true;
        std::iter::from_fn(move || {
            if r.is_done() {
                return None;
            }
            let v = r.varint()?;
            let delta = v >> 3;
            // The first posting's delta is from item 0.
            item = if first {
                delta
            } else {
                item.checked_add(delta)?
            };
            first = false;
            let tf = if v & 1 == 1 {
                r.varint()?.checked_add(2)?
            } else {
                1
            };
            if item >= items {
                return None;
            }
            Some(Posting {
                item: u32::try_from(item).ok()?,
                field: ((v >> 1) & 3) as u8,
                tf: u32::try_from(tf).unwrap_or(u32::MAX),
            })
        })
    }

    /// Number of items (traits and event groups) containing the term.
    pub fn doc_freq(&self, term_id: u32) -> u32 {
        let mut count = 0;
        let mut last = None;
        for p in self.postings(term_id) {
            if last != Some(p.item) {
                count += 1;
                last = Some(p.item);
            }
        }
        count
    }

    /// Number of rankable items: traits and memories plus event groups.
    pub fn item_count(&self) -> usize {
        self.meta.traits + self.meta.groups
    }

    /// Average length of a field over all items.
    pub fn avg_field_len(&self, field: usize) -> f32 {
        self.meta.avg_field_len.get(field).copied().unwrap_or(0.0)
    }

    /// Total event occurrences.
    pub fn event_count(&self) -> usize {
        self.meta.occurrences
    }

    /// Number of trait records (memories included).
    pub fn trait_count(&self) -> usize {
        self.meta.traits
    }

    /// Number of event groups.
    pub fn group_count(&self) -> usize {
        self.meta.groups
    }

    /// The record of item `i` (traits first, then groups).
    pub(crate) fn record(&self, i: usize) -> Option<Record<'_>> {
        let at = item_offset(self.section(Section::ItemAt), self.meta.offset_width, i)?;
        let items = self.section(Section::Items);
        let mut r = Reader::at(items, at);
        let tag = r.u8()?;
        let kind = tag & 3;
        let name = self.string_ref(&mut r)?;
        let mut rec = Record {
            tag,
            name,
            text: 0,
            withheld: None,
            noted_ms: None,
            id: 0,
            props: (0, 0),
            count: 0,
            newest_ms: 0,
            same_name: 1,
            lens: [0; FIELD_COUNT],
            dates: (Reader::new(&[]), 0),
            rare: (Reader::new(&[]), 0),
        };
        match kind {
            codec::KIND_TRAIT | codec::KIND_MEMORY => {
                rec.text = self.string_ref(&mut r)?;
                if tag & codec::TAG_WITHHELD != 0 {
                    rec.withheld = Some(codec::pii_class(r.u8()?)?);
                }
                if kind == codec::KIND_MEMORY {
                    rec.noted_ms = Some(r.signed()?);
                    rec.id = self.string_ref(&mut r)?;
                }
            }
            codec::KIND_GROUP => {
                rec.props = (r.size()?, r.size()?);
                rec.id = self.string_ref(&mut r)?;
                rec.count = r.size()?;
                rec.newest_ms = self
                    .meta
                    .time_base
                    .checked_sub(i64::try_from(r.ms()?).ok()?)?;
                rec.same_name = r.size()?;
            }
            _ => return None,
        }
        for len in &mut rec.lens {
            *len = r.u32v()?;
        }
        let dates = r.size()?;
        rec.dates = (r, dates);
        for _ in 0..dates {
            r.signed()?;
            r.varint()?;
        }
        let rare = r.size()?;
        rec.rare = (r, rare);
        Some(rec)
    }

    /// The trait at an index.
    pub fn trait_at(&self, i: usize) -> Option<TraitView<'_>> {
        if i >= self.meta.traits {
            return None;
        }
        let record = self.record(i)?;
        if record.kind() == codec::KIND_GROUP {
            return None;
        }
        Some(TraitView {
            key: self.str_at(record.name)?,
            kind: ValueKind::from_code(record.tag >> 5)?,
            text: self.str_at(record.text)?,
            audience: record.tag & codec::TAG_AUDIENCE != 0,
            withheld: record.withheld,
            noted_ms: record.noted_ms,
            memory_id: if kind_is_memory(&record) {
                self.id_at(record.id)?
            } else {
                Cow::Borrowed("")
            },
            record,
        })
    }

    /// A number that is the same for groups of the same event name and differs otherwise (names
    /// are interned once in the string table), of the group at an index: read without the rest
    /// of its record, for a pass over many candidates.
    pub(crate) fn group_name_key(&self, i: usize) -> Option<u32> {
        if i >= self.meta.groups {
            return None;
        }
        let item = self.meta.traits.checked_add(i)?;
        let at = item_offset(self.section(Section::ItemAt), self.meta.offset_width, item)?;
        let mut r = Reader::at(self.section(Section::Items), at);
        let tag = r.u8()?;
        let name = self.string_ref(&mut r)?;
        (tag & 3 == codec::KIND_GROUP).then(|| u32::try_from(name).ok())?
    }

    /// The event group at an index (groups are ordered newest first).
    pub fn group_at(&self, i: usize) -> Option<GroupView<'_>> {
        if i >= self.meta.groups {
            return None;
        }
        let record = self.record(self.meta.traits.checked_add(i)?)?;
        if record.kind() != codec::KIND_GROUP {
            return None;
        }
        Some(GroupView {
            snapshot: self,
            name: self.str_at(record.name)?,
            record,
        })
    }

    /// Every trait record, in profile order, then the memories (newest first): the ranker's
    /// items before the event groups.
    pub fn traits(&self) -> impl Iterator<Item = TraitView<'_>> {
        (0..self.meta.traits).filter_map(|i| self.trait_at(i))
    }

    /// Every event group, newest first.
    pub fn groups(&self) -> impl Iterator<Item = GroupView<'_>> {
        (0..self.meta.groups).filter_map(|i| self.group_at(i))
    }

    /// A trait (not a memory) by key.
    pub fn trait_by_key(&self, key: &str) -> Option<TraitView<'_>> {
        self.traits().find(|t| t.noted_ms.is_none() && t.key == key)
    }

    /// The id of the memory at trait index `i` (item id `memory:<id>`); `None` for a trait.
    pub fn memory_id(&self, i: usize) -> Option<Cow<'_, str>> {
        let t = self.trait_at(i)?;
        t.noted_ms.map(|_| t.memory_id)
    }

    /// The memories with their ids, newest first.
    pub fn memories(&self) -> impl Iterator<Item = (Cow<'_, str>, TraitView<'_>)> {
        self.traits()
            .filter(|t| t.noted_ms.is_some())
            .map(|t| (t.memory_id.clone(), t))
    }

    /// Number of memories.
    pub fn memory_count(&self) -> usize {
        self.meta.memories
    }

    /// The occurrences with a time in `from..=to` (ms), oldest first, each with its item (its
    /// group's index plus [`Snapshot::trait_count`]). Starts at the time index's block before
    /// `from`, so it reads the window, not the history.
    pub fn occurrences_between(&self, from: i64, to: i64) -> impl Iterator<Item = (i64, u32)> + '_ {
        let blocks = self.section(Section::TimeAt);
        let count = blocks.len() / 12;
        let block_time = |b: usize| -> Option<i64> {
            let mut r = Reader::at(blocks, b.checked_mul(12)?);
            i64::try_from(r.u64()?).ok()
        };
        // The last block whose first occurrence is at or before `from` (or the first block).
        let (mut lo, mut hi) = (0usize, count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if block_time(mid).is_some_and(|t| t <= from) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let start_block = lo.saturating_sub(1);
        let mut start = None;
        let mut r = Reader::at(blocks, start_block * 12);
        if let (Some(t), Some(offset)) = (r.u64(), r.u32()) {
            start = Some((t, offset as usize));
        }
        let times = self.section(Section::Times);
        let mut reader = Reader::at(times, start.map_or(usize::MAX, |s| s.1));
        let mut time = start.and_then(|s| i64::try_from(s.0).ok()).unwrap_or(0);
        let mut first = true;
        std::iter::from_fn(move || loop {
            if reader.is_done() {
                return None;
            }
            let delta = reader.ms()?;
            let group = reader.u32v()?;
            // Deltas run on across blocks; a read starts at its block's own time.
            if !first {
                time = time.checked_add(i64::try_from(delta).ok()?)?;
            }
            first = false;
            if time > to {
                return None;
            }
            if time >= from {
                return Some((time, group));
            }
        })
    }
}

fn kind_is_memory(record: &Record) -> bool {
    record.kind() == codec::KIND_MEMORY
}

/// Entry `i` of an item offset table of `width`-byte little-endian integers.
fn item_offset(table: &[u8], width: usize, i: usize) -> Option<usize> {
    let at = i.checked_mul(width)?;
    let b = table.get(at..at.checked_add(width)?)?;
    Some(
        b.iter()
            .rev()
            .fold(0usize, |acc, byte| acc << 8 | usize::from(*byte)),
    )
}

impl Snapshot {
    /// The size of each part of the snapshot in bytes, by name (the header and section table
    /// first), for inspection.
    pub fn section_sizes(&self) -> Vec<(&'static str, usize)> {
        let names = [
            "meta",
            "strings",
            "items",
            "item offsets",
            "properties",
            "terms and postings",
            "occurrences",
            "time index",
            "dates",
            "ids",
        ];
        let mut out = vec![(
            "header and section table",
            codec::HEADER_LEN + codec::TABLE_LEN,
        )];
        out.extend(names.iter().zip(&self.sections).map(|(n, r)| (*n, r.len())));
        out
    }

    /// Every date found in a value, `(first, last, item)`, by first instant. An entry that does
    /// not decode ends the list.
    pub(crate) fn all_dates(&self) -> impl Iterator<Item = (i64, i64, u32)> + '_ {
        let mut r = Reader::new(self.section(Section::Dates));
        let mut first = 0i64;
        let items = self.item_count();
        std::iter::from_fn(move || {
            if r.is_done() {
                return None;
            }
            first = first.checked_add(r.signed()?)?;
            let last = first.checked_add(i64::try_from(r.varint()?).ok()?)?;
            let item = r.u32v()?;
            ((item as usize) < items).then_some((first, last, item))
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::profile;

    #[test]
    fn occurrences_are_read_by_window_across_blocks() {
        let mut p = profile("p");
        // 200 occurrences over three groups, an hour apart: four blocks of the time index.
        for i in 0..200i64 {
            let name = ["A", "B", "C"][(i % 3) as usize];
            p = p.event(&format!("m{i}"), i * 3_600_000, name, &[]);
        }
        let s = p.compile();
        assert_eq!(s.event_count(), 200);
        let all: Vec<(i64, u32)> = s.occurrences_between(i64::MIN, i64::MAX).collect();
        assert_eq!(all.len(), 200);
        assert!(all.windows(2).all(|w| w[0].0 <= w[1].0));
        let window: Vec<i64> = s
            .occurrences_between(70 * 3_600_000, 130 * 3_600_000)
            .map(|(t, _)| t)
            .collect();
        assert_eq!(
            window,
            (70..=130).map(|h| h * 3_600_000).collect::<Vec<_>>()
        );
        assert_eq!(s.occurrences_between(300 * 3_600_000, i64::MAX).count(), 0);
        let newest_a = s.groups().find(|g| g.name == "A").unwrap();
        assert_eq!(newest_a.count(), 67);
        assert_eq!(newest_a.last_ms(), 198 * 3_600_000);
    }
}
