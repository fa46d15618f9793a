//! Compact, versioned profile snapshots, pre-processed for ranking.
//!
//! [`compile`] turns a [`Profile`] into a [`Snapshot`] under a [`PrivacyPolicy`]; [`Snapshot::encode`]
//! writes it as bytes (see [`codec`] for the header) and [`Snapshot::decode`] reads and validates them.
//! Everything the per-request path would otherwise recompute is done at compile time:
//!
//! * **Event groups.** Occurrences of the same event with the same properties (441 `Page Viewed` of
//!   ten pages) become one group with its occurrence times (newest first) and the message id of its
//!   newest occurrence, which is the group's id. The ranker scores groups and the renderer says "×14,
//!   last 10 seconds ago"; older occurrences' message ids are not kept (they were half the bytes of
//!   a real profile's snapshot, and nothing reads them).
//! * **Terms.** Every field is analyzed once ([`crate::text::Analyzer`]); the snapshot holds a sorted
//!   term dictionary with document frequencies, and each item holds `(term id, frequency)` postings per
//!   field: name (trait key / event name), property keys, values.
//! * **Display text.** Values are flattened to one-line text with personal data already withheld or
//!   removed by the policy, so nothing downstream can leak it by accident.
//! * **Times** are integers (ms since the epoch), delta-encoded inside a group.
//!
//! Decoding is bounded by [`SnapshotLimits`] and checks every index and length, so a snapshot that
//! decodes can be ranked and rendered without further checks.

pub mod codec;
pub mod kv;

use std::collections::{BTreeMap, HashMap};

use bincode::{Decode, Encode};
use serde::{Deserialize, Serialize};

use crate::errors::{LimitExceeded, SnapshotError};
use crate::policy::{mask_text, PiiClass, PrivacyPolicy, Target};
use crate::profile::{Profile, Value};
use crate::text::{Analyzer, Tokenizer};

/// The kind of a trait's value, kept so slots and JSON output can tell `true` from `"true"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Encode, Decode)]
pub enum ValueKind {
    Null,
    Bool,
    Number,
    Text,
    List,
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
}

/// Number of [`Field`]s.
pub const FIELD_COUNT: usize = 3;

/// A string in the snapshot's string table: byte offset and length.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Encode, Decode)]
pub struct StrRef {
    start: u32,
    len: u32,
}

/// A range of a snapshot-wide table (postings, properties, occurrences).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Encode, Decode)]
pub struct Span {
    start: u32,
    len: u32,
}

impl Span {
    fn range(self) -> std::ops::Range<usize> {
        let start = self.start as usize;
        start..start + self.len as usize
    }

    fn of(start: usize, end: usize) -> Span {
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            len: u32::try_from(end - start).unwrap_or(0),
        }
    }
}

/// One term of one field of an item, with its frequency there. An item's postings are sorted by
/// `(term, field)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Encode, Decode)]
pub struct Posting {
    pub term: u32,
    pub field: u8,
    pub tf: u16,
}

#[derive(Debug, Clone, PartialEq, Encode, Decode)]
struct TraitRecord {
    key: StrRef,
    kind: ValueKind,
    text: StrRef,
    audience: bool,
    withheld: Option<PiiClass>,
    postings: Span,
}

#[derive(Debug, Clone, PartialEq, Encode, Decode)]
struct GroupRecord {
    name: StrRef,
    /// Into `properties`.
    properties: Span,
    postings: Span,
    /// The message id of the newest occurrence: the group's id.
    id: StrRef,
    /// Into `occurrence_times`.
    occurrences: Span,
}

/// Bounds checked while decoding. Exceeding one is [`SnapshotError::Limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotLimits {
    /// Largest snapshot in bytes. Default 16 MiB (Workers KV allows 25 MiB values); never above
    /// [`codec::DECODE_ALLOCATION_CAP`].
    pub max_bytes: usize,
    /// Most traits. Default 5,000.
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
            max_traits: 5_000,
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
    /// Every string of the snapshot, interned (each distinct string once) and concatenated.
    strings: String,
    /// The term dictionary, sorted by text; a term id is an index.
    terms: Vec<StrRef>,
    postings: Vec<Posting>,
    properties: Vec<(StrRef, StrRef)>,
    traits: Vec<TraitRecord>,
    groups: Vec<GroupRecord>,
    /// Per group: the newest time in ms, then non-negative deltas to each older occurrence.
    occurrence_times: Vec<i64>,
    /// Derived on decode: items containing each term.
    doc_freq: Vec<u32>,
    /// Derived on decode: average field length over items.
    avg_field_len: [f32; FIELD_COUNT],
}

// By hand rather than derived, to leave out the fields derived on decode. The payload is these
// fields in this order; changing them means a new `codec::FORMAT_VERSION`.
impl Encode for Snapshot {
    fn encode<E: bincode::enc::Encoder>(
        &self,
        e: &mut E,
    ) -> Result<(), bincode::error::EncodeError> {
        self.profile_id.encode(e)?;
        self.target.encode(e)?;
        self.updated_at_ms.encode(e)?;
        self.strings.encode(e)?;
        self.terms.encode(e)?;
        self.postings.encode(e)?;
        self.properties.encode(e)?;
        self.traits.encode(e)?;
        self.groups.encode(e)?;
        self.occurrence_times.encode(e)
    }
}

impl<C> Decode<C> for Snapshot {
    fn decode<D: bincode::de::Decoder<Context = C>>(
        d: &mut D,
    ) -> Result<Self, bincode::error::DecodeError> {
        Ok(Snapshot {
            profile_id: field(d)?,
            target: field(d)?,
            updated_at_ms: field(d)?,
            strings: field(d)?,
            terms: field(d)?,
            postings: field(d)?,
            properties: field(d)?,
            traits: field(d)?,
            groups: field(d)?,
            occurrence_times: field(d)?,
            doc_freq: Vec::new(),
            avg_field_len: [0.0; FIELD_COUNT],
        })
    }
}

/// Decodes one field. Not inlined, so each table's loop is its own small wasm function: V8
/// recompiles the ones that get hot on the first decode, and small ones recompile quickly.
#[inline(never)]
fn field<T: Decode<C>, C, D: bincode::de::Decoder<Context = C>>(
    d: &mut D,
) -> Result<T, bincode::error::DecodeError> {
    T::decode(d)
}

/// A trait of a snapshot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraitView<'a> {
    pub key: &'a str,
    pub kind: ValueKind,
    /// Display text of the value; empty when `withheld`.
    pub text: &'a str,
    pub audience: bool,
    /// Set when the value is personal data the policy withholds (server target only; the browser
    /// target drops such traits).
    pub withheld: Option<PiiClass>,
    pub postings: &'a [Posting],
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
    pub name: &'a str,
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

    /// Number of occurrences.
    pub fn count(&self) -> usize {
        self.record.occurrences.len as usize
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

/// Compiles a profile under a privacy policy.
pub fn compile(profile: &Profile, policy: &PrivacyPolicy) -> Snapshot {
    let mut b = Builder::default();
    let mut traits = Vec::with_capacity(profile.traits.len());
    for t in &profile.traits {
        let restricted = policy.restricted(&t.key);
        if restricted.is_some() && policy.target == Target::Browser {
            continue;
        }
        let text = if restricted.is_some() {
            String::new()
        } else {
            display_value(&t.value, &t.key, policy)
        };
        let postings = b.postings(&[(Field::Name, &t.key), (Field::Values, &text)]);
        traits.push(TraitRecord {
            key: b.intern(&t.key),
            kind: kind_of(&t.value),
            text: b.intern(&text),
            audience: t.audience,
            withheld: restricted,
            postings,
        });
    }

    // Group identical events; BTreeMap keeps compilation deterministic.
    type GroupKey<'p> = (&'p str, Vec<(&'p str, String)>);
    let mut grouped: BTreeMap<GroupKey, Vec<(i64, &str)>> = BTreeMap::new();
    for e in &profile.events {
        let props: Vec<(&str, String)> = e
            .properties
            .iter()
            .filter(|(k, _)| policy.restricted(k).is_none())
            .map(|(k, v)| (k.as_str(), display_value(v, k, policy)))
            .collect();
        grouped
            .entry((e.name.as_str(), props))
            .or_default()
            .push((e.timestamp_ms, &e.message_id));
    }
    // Newest groups first: a stable, useful order for inspection and ties.
    let mut grouped: Vec<_> = grouped
        .into_iter()
        .map(|(key, mut occ)| {
            occ.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
            (key, occ)
        })
        .collect();
    grouped.sort_by(|a, b| {
        let (ta, ia) = a.1.first().copied().unwrap_or((0, ""));
        let (tb, ib) = b.1.first().copied().unwrap_or((0, ""));
        tb.cmp(&ta).then_with(|| ia.cmp(ib))
    });
    let mut groups = Vec::with_capacity(grouped.len());
    for ((name, props), occ) in grouped {
        let mut fields: Vec<(Field, &str)> = vec![(Field::Name, name)];
        for (k, v) in &props {
            fields.push((Field::Keys, k));
            fields.push((Field::Values, v));
        }
        let postings = b.postings(&fields);
        let prop_start = b.properties.len();
        for (k, v) in &props {
            let pair = (b.intern(k), b.intern(v));
            b.properties.push(pair);
        }
        let occ_start = b.occurrence_times.len();
        let mut prev: Option<i64> = None;
        for (ts, _) in &occ {
            b.occurrence_times.push(match prev {
                None => *ts,
                Some(p) => p.saturating_sub(*ts),
            });
            prev = Some(*ts);
        }
        // Import limits keep ids far below the decoder's string limit; clamp rather than trust that.
        let newest_id = occ
            .first()
            .map_or("", |(_, id)| truncate_to(id, MAX_ID_BYTES));
        groups.push(GroupRecord {
            name: b.intern(name),
            properties: Span::of(prop_start, b.properties.len()),
            postings,
            id: b.append(newest_id),
            occurrences: Span::of(occ_start, b.occurrence_times.len()),
        });
    }
    b.finish(profile, policy.target, traits, groups)
}

/// Longest message id kept, in bytes: under the default [`SnapshotLimits::max_string_bytes`], so
/// that a snapshot compiled with default limits decodes with them.
const MAX_ID_BYTES: usize = 65_535;

fn truncate_to(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

fn kind_of(v: &Value) -> ValueKind {
    match v {
        Value::Null => ValueKind::Null,
        Value::Bool(_) => ValueKind::Bool,
        Value::Number(_) => ValueKind::Number,
        Value::Text(_) => ValueKind::Text,
        Value::List(_) => ValueKind::List,
        Value::Object(_) => ValueKind::Object,
    }
}

/// Display text of a value under the policy: nested members with restricted keys are removed and
/// personal data in free text is masked, unless `key` is allowed.
fn display_value(v: &Value, key: &str, policy: &PrivacyPolicy) -> String {
    if policy.is_allowed(key) {
        return v.display();
    }
    mask_text(&strip_restricted(v, policy).display())
}

fn strip_restricted(v: &Value, policy: &PrivacyPolicy) -> Value {
    match v {
        Value::Object(members) => Value::Object(
            members
                .iter()
                .filter(|(k, _)| policy.restricted(k).is_none())
                .map(|(k, v)| (k.clone(), strip_restricted(v, policy)))
                .collect(),
        ),
        Value::List(items) => {
            Value::List(items.iter().map(|i| strip_restricted(i, policy)).collect())
        }
        other => other.clone(),
    }
}

/// Collects strings, terms and postings while compiling. Term ids are provisional until
/// [`Builder::finish`] sorts the dictionary.
#[derive(Default)]
struct Builder {
    strings: String,
    interned: HashMap<String, StrRef>,
    term_ids: HashMap<String, u32>,
    postings: Vec<Posting>,
    properties: Vec<(StrRef, StrRef)>,
    occurrence_times: Vec<i64>,
    scratch: Vec<String>,
}

impl Builder {
    fn append(&mut self, s: &str) -> StrRef {
        let start = u32::try_from(self.strings.len()).unwrap_or(u32::MAX);
        self.strings.push_str(s);
        StrRef {
            start,
            len: u32::try_from(s.len()).unwrap_or(0),
        }
    }

    fn intern(&mut self, s: &str) -> StrRef {
        if let Some(r) = self.interned.get(s) {
            return *r;
        }
        let r = self.append(s);
        self.interned.insert(s.to_string(), r);
        r
    }

    fn postings(&mut self, fields: &[(Field, &str)]) -> Span {
        let mut counts: BTreeMap<(u32, u8), u16> = BTreeMap::new();
        for (field, text) in fields {
            self.scratch.clear();
            Analyzer.terms(text, &mut self.scratch);
            for term in self.scratch.drain(..) {
                let next = u32::try_from(self.term_ids.len()).unwrap_or(u32::MAX);
                let id = *self.term_ids.entry(term).or_insert(next);
                let tf = counts.entry((id, *field as u8)).or_insert(0);
                *tf = tf.saturating_add(1);
            }
        }
        let start = self.postings.len();
        self.postings
            .extend(
                counts
                    .into_iter()
                    .map(|((term, field), tf)| Posting { term, field, tf }),
            );
        Span::of(start, self.postings.len())
    }

    fn finish(
        mut self,
        profile: &Profile,
        target: Target,
        traits: Vec<TraitRecord>,
        groups: Vec<GroupRecord>,
    ) -> Snapshot {
        let mut entries: Vec<(String, u32)> =
            std::mem::take(&mut self.term_ids).into_iter().collect();
        entries.sort();
        let mut remap = vec![0u32; entries.len()];
        let mut terms = Vec::with_capacity(entries.len());
        for (new_id, (term, old_id)) in entries.iter().enumerate() {
            if let Some(slot) = remap.get_mut(*old_id as usize) {
                *slot = u32::try_from(new_id).unwrap_or(u32::MAX);
            }
            terms.push(self.intern(term));
        }
        for p in &mut self.postings {
            p.term = remap.get(p.term as usize).copied().unwrap_or(0);
        }
        let spans: Vec<Span> = traits
            .iter()
            .map(|t| t.postings)
            .chain(groups.iter().map(|g| g.postings))
            .collect();
        for span in spans {
            if let Some(slice) = self.postings.get_mut(span.range()) {
                slice.sort_unstable();
            }
        }
        let mut snapshot = Snapshot {
            profile_id: profile.profile_id.clone(),
            target,
            updated_at_ms: profile.updated_at_ms,
            strings: self.strings,
            terms,
            postings: self.postings,
            properties: self.properties,
            traits,
            groups,
            occurrence_times: self.occurrence_times,
            doc_freq: Vec::new(),
            avg_field_len: [0.0; FIELD_COUNT],
        };
        // Compiled postings are sorted, unique and in range by construction.
        let checked = snapshot.derive_statistics();
        debug_assert!(checked.is_ok(), "{checked:?}");
        snapshot
    }
}

impl Snapshot {
    /// Writes the snapshot as bytes (header + bincode payload).
    pub fn encode(&self) -> Result<Vec<u8>, SnapshotError> {
        codec::encode_payload(self)
    }

    /// Reads and validates snapshot bytes.
    pub fn decode(bytes: &[u8], limits: &SnapshotLimits) -> Result<Snapshot, SnapshotError> {
        let mut snapshot: Snapshot = codec::decode_payload(bytes, limits.max_bytes)?;
        snapshot.validate(limits)?;
        snapshot
            .derive_statistics()
            .map_err(|detail| SnapshotError::Corrupt {
                detail: detail.to_string(),
            })?;
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

    fn str(&self, r: StrRef) -> &str {
        let start = r.start as usize;
        self.strings
            .get(start..start + r.len as usize)
            .unwrap_or("")
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

    /// Number of items (traits and event groups) containing the term.
    pub fn doc_freq(&self, term_id: u32) -> u32 {
        self.doc_freq.get(term_id as usize).copied().unwrap_or(0)
    }

    /// Number of rankable items: traits plus event groups.
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

    pub fn trait_count(&self) -> usize {
        self.traits.len()
    }

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

    pub fn traits(&self) -> impl Iterator<Item = TraitView<'_>> {
        (0..self.traits.len()).filter_map(|i| self.trait_at(i))
    }

    pub fn groups(&self) -> impl Iterator<Item = GroupView<'_>> {
        (0..self.groups.len()).filter_map(|i| self.group_at(i))
    }

    /// A trait by key.
    pub fn trait_by_key(&self, key: &str) -> Option<TraitView<'_>> {
        self.traits().find(|t| t.key == key)
    }

    fn item_spans(&self) -> impl Iterator<Item = Span> + '_ {
        self.traits
            .iter()
            .map(|t| t.postings)
            .chain(self.groups.iter().map(|g| g.postings))
    }

    /// Computes document frequencies and average field lengths from the postings, in the same pass
    /// that checks them: items' ranges consecutive and covering the table, each item's postings
    /// strictly increasing by (term, field), every term in the dictionary, every field known, no
    /// zero frequency. A compiled snapshot passes by construction; a decoded one that fails is
    /// refused. One pass rather than a check and then a count: decoding is most of a request.
    #[inline(never)]
    fn derive_statistics(&mut self) -> Result<(), &'static str> {
        let mut doc_freq = vec![0u32; self.terms.len()];
        let mut totals = [0f64; FIELD_COUNT];
        // Items' ranges tile the table in item order, so that every posting is checked below.
        if !tiles(self.item_spans(), self.postings.len()) {
            return Err("postings ranges do not cover the table in item order");
        }
        for span in self.item_spans() {
            let postings = self
                .postings
                .get(span.range())
                .ok_or("a postings range is out of bounds")?;
            let mut last: Option<&Posting> = None;
            for p in postings {
                if last.is_some_and(|l| l >= p) {
                    return Err("postings are not sorted");
                }
                let (Some(df), Some(total), true) = (
                    doc_freq.get_mut(p.term as usize),
                    totals.get_mut(usize::from(p.field)),
                    p.tf > 0,
                ) else {
                    return Err("a posting names a term or field that does not exist");
                };
                // Sorted by term, so each term of an item is counted once.
                if last.is_none_or(|l| l.term != p.term) {
                    *df += 1;
                }
                *total += f64::from(p.tf);
                last = Some(p);
            }
        }
        let n = self.item_count().max(1) as f64;
        self.doc_freq = doc_freq;
        self.avg_field_len = totals.map(|t| (t / n) as f32);
        Ok(())
    }

    /// Checks every limit, index, range and ordering but the postings' (see
    /// [`Snapshot::derive_statistics`]), so that accessors never see a bad reference.
    fn validate(&self, limits: &SnapshotLimits) -> Result<(), SnapshotError> {
        let limit = |what: &'static str, limit: usize, actual: usize| {
            if actual > limit {
                Err(SnapshotError::Limit(LimitExceeded {
                    what,
                    limit,
                    actual,
                }))
            } else {
                Ok(())
            }
        };
        limit("max_traits", limits.max_traits, self.traits.len())?;
        limit("max_groups", limits.max_groups, self.groups.len())?;
        limit("max_terms", limits.max_terms, self.terms.len())?;
        limit(
            "max_occurrences",
            limits.max_occurrences,
            self.occurrence_times.len(),
        )?;
        limit(
            "max_string_bytes",
            limits.max_string_bytes,
            self.profile_id.len(),
        )?;
        limit(
            "max_string_bytes",
            limits.max_string_bytes,
            self.check_string_refs()?,
        )?;
        // Each check is its own function: V8 recompiles whichever loop gets hot during the first
        // request, and a small function is a small recompilation.
        self.check_terms_sorted()
            .and_then(|()| self.check_groups())
            .map_err(|detail| SnapshotError::Corrupt {
                detail: detail.to_string(),
            })
    }

    /// Every string reference inside the string table; returns the longest length.
    #[inline(never)]
    fn check_string_refs(&self) -> Result<usize, SnapshotError> {
        let mut longest = 0;
        let mut inside = true;
        let mut check = |r: &StrRef| {
            let start = r.start as usize;
            inside &= self.strings.get(start..start + r.len as usize).is_some();
            longest = longest.max(r.len as usize);
        };
        self.terms.iter().for_each(&mut check);
        for (key, text) in &self.properties {
            check(key);
            check(text);
        }
        for t in &self.traits {
            check(&t.key);
            check(&t.text);
        }
        for g in &self.groups {
            check(&g.id);
        }
        // Event names are checked for place, not length (they were not limited when compiled).
        let names_inside = self.groups.iter().all(|g| {
            let start = g.name.start as usize;
            self.strings
                .get(start..start + g.name.len as usize)
                .is_some()
        });
        if !inside || !names_inside {
            return Err(SnapshotError::Corrupt {
                detail: "a string reference is outside the string table".into(),
            });
        }
        Ok(longest)
    }

    #[inline(never)]
    fn check_terms_sorted(&self) -> Result<(), &'static str> {
        if self
            .terms
            .windows(2)
            .all(|w| matches!(w, [a, b] if self.str(*a) < self.str(*b)))
        {
            Ok(())
        } else {
            Err("term dictionary is not sorted and unique")
        }
    }

    #[inline(never)]
    fn check_groups(&self) -> Result<(), &'static str> {
        // Groups own non-empty occurrence ranges that cover the table in group order.
        if !tiles(
            self.groups.iter().map(|g| g.occurrences),
            self.occurrence_times.len(),
        ) {
            return Err("event group occurrences do not cover the table in group order");
        }
        for g in &self.groups {
            if self.properties.get(g.properties.range()).is_none() {
                return Err("a properties range is out of bounds");
            }
            let occ = g.occurrences.range();
            if occ.is_empty() {
                return Err("an event group has no occurrences");
            }
            let Some(times) = self.occurrence_times.get(occ) else {
                return Err("an occurrence range is out of bounds");
            };
            if times.iter().skip(1).any(|d| *d < 0) {
                return Err("event group occurrences are not newest first");
            }
        }
        Ok(())
    }
}

/// Whether `spans`, in order, are consecutive from 0 and end at `table_len`: each row of the table
/// belongs to exactly one of them.
fn tiles(spans: impl Iterator<Item = Span>, table_len: usize) -> bool {
    let mut next = 0usize;
    for span in spans {
        let range = span.range();
        if range.start != next {
            return false;
        }
        next = range.end;
    }
    next == table_len
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Event, Trait};

    fn profile() -> Profile {
        let ev = |id: &str, ts: i64, name: &str| Event {
            message_id: id.into(),
            name: name.into(),
            timestamp_ms: ts,
            properties: vec![("page".into(), Value::Text("Home".into()))],
        };
        Profile {
            profile_id: "user_id:u1".into(),
            traits: vec![
                Trait {
                    key: "shoe_size".into(),
                    value: Value::Text("10.5".into()),
                    audience: false,
                },
                Trait {
                    key: "email".into(),
                    value: Value::Text("a@example.com".into()),
                    audience: false,
                },
                Trait {
                    key: "note".into(),
                    value: Value::Text("call +1 415 555 0142".into()),
                    audience: false,
                },
                Trait {
                    key: "vip_customers".into(),
                    value: Value::Bool(true),
                    audience: true,
                },
            ],
            events: vec![
                ev("m1", 1_000, "Page Viewed"),
                ev("m2", 5_000, "Page Viewed"),
                ev("m3", 3_000, "Login"),
            ],
            identities: vec![],
            updated_at_ms: Some(9),
        }
    }

    #[test]
    fn groups_identical_events_newest_first() {
        let s = compile(&profile(), &PrivacyPolicy::default());
        assert_eq!(s.group_count(), 2);
        let page = s.group_at(0).unwrap();
        assert_eq!(page.name, "Page Viewed");
        assert_eq!(page.count(), 2);
        assert_eq!(page.last_message_id(), "m2");
        assert_eq!(page.occurrence_times().collect::<Vec<_>>(), [5_000, 1_000]);
        assert_eq!(page.properties().collect::<Vec<_>>(), [("page", "Home")]);
        let other = s.group_at(1).unwrap();
        assert_eq!(other.last_message_id(), "m3");
        assert_eq!(other.occurrence_times().collect::<Vec<_>>(), [3_000]);
        assert_eq!(s.event_count(), 3);
    }

    #[test]
    fn server_target_withholds_and_browser_target_drops_personal_data() {
        let server = compile(&profile(), &PrivacyPolicy::new(Target::Server));
        let email = server.trait_by_key("email").unwrap();
        assert_eq!((email.text, email.withheld), ("", Some(PiiClass::Email)));
        assert_eq!(
            server.trait_by_key("note").unwrap().text,
            "call [phone withheld]"
        );
        let browser = compile(&profile(), &PrivacyPolicy::new(Target::Browser));
        assert!(browser.trait_by_key("email").is_none());
        let allowed = compile(
            &profile(),
            &PrivacyPolicy::new(Target::Browser)
                .allow("email")
                .allow("note"),
        );
        assert_eq!(allowed.trait_by_key("email").unwrap().text, "a@example.com");
        assert_eq!(
            allowed.trait_by_key("note").unwrap().text,
            "call +1 415 555 0142"
        );
        let bytes = browser.encode().unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains("example.com"));
    }

    #[test]
    fn round_trips_through_bytes() {
        let s = compile(&profile(), &PrivacyPolicy::default());
        let back = Snapshot::decode(&s.encode().unwrap(), &SnapshotLimits::default()).unwrap();
        assert_eq!(back, s);
        assert!(s.term_id("zebra").is_none());
        let size = s.term_id("size").unwrap();
        assert_eq!(s.doc_freq(size), 1);
        let home = s.term_id("home").unwrap();
        assert_eq!(
            s.doc_freq(home),
            2,
            "counted once per item, not per occurrence"
        );
    }

    fn decode_err(s: &Snapshot) -> SnapshotError {
        Snapshot::decode(&s.encode().unwrap(), &SnapshotLimits::default()).unwrap_err()
    }

    #[test]
    fn decode_rejects_inconsistent_payloads_with_valid_checksums() {
        let fresh = || compile(&profile(), &PrivacyPolicy::default());
        let mut s = fresh();
        s.postings[0].term = u32::MAX;
        assert!(matches!(decode_err(&s), SnapshotError::Corrupt { .. }));
        let mut s = fresh();
        s.terms.swap(0, 1);
        assert!(matches!(decode_err(&s), SnapshotError::Corrupt { .. }));
        let mut s = fresh();
        s.groups[0].id.len = u32::MAX;
        assert!(matches!(decode_err(&s), SnapshotError::Corrupt { .. }));
        let mut s = fresh();
        s.occurrence_times.push(1);
        assert!(matches!(decode_err(&s), SnapshotError::Corrupt { .. }));
        let mut s = fresh();
        s.occurrence_times[1] = -1;
        assert!(matches!(decode_err(&s), SnapshotError::Corrupt { .. }));
        let mut s = fresh();
        s.traits[0].key.start = u32::MAX - 1;
        assert!(matches!(decode_err(&s), SnapshotError::Corrupt { .. }));
        let mut s = fresh();
        s.groups[1].occurrences.start = 0;
        assert!(matches!(decode_err(&s), SnapshotError::Corrupt { .. }));
        let mut s = fresh();
        s.postings.push(Posting {
            term: u32::MAX,
            field: 0,
            tf: 1,
        });
        assert!(
            matches!(decode_err(&s), SnapshotError::Corrupt { .. }),
            "a posting outside every item"
        );
        let mut s = fresh();
        s.traits[0].postings.len = 10_000;
        assert!(matches!(decode_err(&s), SnapshotError::Corrupt { .. }));
        let mut s = fresh();
        s.strings.push('é');
        let r = s.strings.len() as u32 - 1;
        s.traits[0].key = StrRef { start: r, len: 1 };
        assert!(
            matches!(decode_err(&s), SnapshotError::Corrupt { .. }),
            "reference splitting a character"
        );
    }

    #[test]
    fn decode_enforces_limits() {
        let s = compile(&profile(), &PrivacyPolicy::default());
        let bytes = s.encode().unwrap();
        let tight = SnapshotLimits {
            max_traits: 1,
            ..SnapshotLimits::default()
        };
        assert!(matches!(
            Snapshot::decode(&bytes, &tight),
            Err(SnapshotError::Limit(LimitExceeded {
                what: "max_traits",
                ..
            }))
        ));
        let tight = SnapshotLimits {
            max_occurrences: 2,
            ..SnapshotLimits::default()
        };
        assert!(matches!(
            Snapshot::decode(&bytes, &tight),
            Err(SnapshotError::Limit(LimitExceeded {
                what: "max_occurrences",
                ..
            }))
        ));
        let tight = SnapshotLimits {
            max_string_bytes: 5,
            ..SnapshotLimits::default()
        };
        assert!(matches!(
            Snapshot::decode(&bytes, &tight),
            Err(SnapshotError::Limit(LimitExceeded {
                what: "max_string_bytes",
                ..
            }))
        ));
    }

    #[test]
    fn truthiness_follows_the_value() {
        let s = compile(&profile(), &PrivacyPolicy::default());
        assert!(s.trait_by_key("vip_customers").unwrap().is_truthy());
        assert!(!s.trait_by_key("email").unwrap().is_truthy());
    }
}
