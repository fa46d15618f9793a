//! Compact, versioned profile snapshots, pre-processed for ranking.
//!
//! [`compile`] turns a [`Profile`] into a [`Snapshot`] under a [`PrivacyPolicy`]; [`Snapshot::encode`]
//! writes it as bytes (see [`codec`] for the header) and [`Snapshot::decode`] reads and validates them.
//! Everything the per-request path would otherwise recompute is done at compile time:
//!
//! * **Event groups.** Occurrences of the same event with the same properties (441 `Page Viewed` of
//!   ten pages) become one group with its occurrence list (message ids, times newest first). The ranker
//!   scores groups, the renderer says "×14, last 10 seconds ago", and the id of a group is the id of
//!   its newest occurrence.
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

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::errors::{LimitExceeded, SnapshotError};
use crate::policy::{mask_text, PiiClass, PrivacyPolicy, Target};
use crate::profile::{Profile, Value};
use crate::text::{Analyzer, Tokenizer};

/// The kind of a trait's value, kept so slots and JSON output can tell `true` from `"true"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// `(term id, term frequency)` postings of one item, per field, sorted by term id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Postings {
    pub fields: [Vec<(u32, u16)>; FIELD_COUNT],
}

impl Postings {
    /// Length of a field in terms (sum of frequencies).
    pub fn field_len(&self, field: usize) -> u32 {
        self.fields
            .get(field)
            .map_or(0, |p| p.iter().map(|(_, tf)| u32::from(*tf)).sum())
    }
}

/// One trait as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraitRecord {
    pub key: String,
    pub kind: ValueKind,
    /// Display text of the value; empty when `withheld`.
    pub text: String,
    pub audience: bool,
    /// Set when the value is personal data the policy withholds (server target only; the browser
    /// target drops such traits).
    pub withheld: Option<PiiClass>,
    pub postings: Postings,
}

impl TraitRecord {
    /// Truthiness for slot conditions: `true`, non-zero numbers, non-empty text other than
    /// `false`/`0`/`no`, non-empty lists and objects.
    pub fn is_truthy(&self) -> bool {
        match self.kind {
            ValueKind::Null => false,
            ValueKind::Bool | ValueKind::Text => !matches!(
                self.text.trim().to_ascii_lowercase().as_str(),
                "" | "false" | "0" | "no"
            ),
            ValueKind::Number => self.text.parse::<f64>().is_ok_and(|n| n != 0.0),
            ValueKind::List | ValueKind::Object => !self.text.is_empty(),
        }
    }
}

/// One event property as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyRecord {
    pub key: String,
    pub text: String,
}

/// A group of identical events (same name and properties).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventGroup {
    pub name: String,
    pub properties: Vec<PropertyRecord>,
    pub postings: Postings,
    /// Message ids of the occurrences, concatenated, newest first; split by `id_lens`.
    id_blob: String,
    id_lens: Vec<u16>,
    /// First: newest time in ms; then non-negative deltas to each older occurrence.
    time_deltas: Vec<i64>,
}

impl EventGroup {
    /// Number of occurrences.
    pub fn count(&self) -> usize {
        self.id_lens.len()
    }

    /// Time of the newest occurrence (ms since the epoch).
    pub fn last_ms(&self) -> i64 {
        self.time_deltas.first().copied().unwrap_or(0)
    }

    /// Message id of the newest occurrence: the group's id.
    pub fn last_message_id(&self) -> &str {
        let len = self.id_lens.first().map_or(0, |l| usize::from(*l));
        self.id_blob.get(..len).unwrap_or("")
    }

    /// `(message id, time ms)` of every occurrence, newest first.
    pub fn occurrences(&self) -> impl Iterator<Item = (&str, i64)> + '_ {
        let mut offset = 0usize;
        let mut time = 0i64;
        self.id_lens
            .iter()
            .zip(&self.time_deltas)
            .enumerate()
            .map(move |(i, (len, delta))| {
                let end = offset + usize::from(*len);
                let id = self.id_blob.get(offset..end).unwrap_or("");
                offset = end;
                time = if i == 0 {
                    *delta
                } else {
                    time.saturating_sub(*delta)
                };
                (id, time)
            })
    }
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

/// A compiled profile, ready to rank and render.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub profile_id: String,
    /// Which policy target the snapshot was compiled for.
    pub target: Target,
    /// The profile's `updated_at`, when known.
    pub updated_at_ms: Option<i64>,
    /// Sorted, unique term dictionary; a term id is an index.
    terms: Vec<String>,
    /// Number of items (traits and event groups) containing each term.
    doc_freq: Vec<u32>,
    /// Average field length over items, per field.
    avg_field_len: [f32; FIELD_COUNT],
    pub traits: Vec<TraitRecord>,
    pub groups: Vec<EventGroup>,
}

/// Compiles a profile under a privacy policy.
pub fn compile(profile: &Profile, policy: &PrivacyPolicy) -> Snapshot {
    let mut builder = TermBuilder::default();
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
        let postings = builder.postings(&[(Field::Name, &t.key), (Field::Values, &text)]);
        traits.push(TraitRecord {
            key: t.key.clone(),
            kind: kind_of(&t.value),
            text,
            audience: t.audience,
            withheld: restricted,
            postings,
        });
    }

    // Group identical events; BTreeMap keeps compilation deterministic.
    let mut grouped: BTreeMap<(String, Vec<(String, String)>), Vec<(i64, &str)>> = BTreeMap::new();
    for e in &profile.events {
        let props: Vec<(String, String)> = e
            .properties
            .iter()
            .filter(|(k, _)| policy.restricted(k).is_none())
            .map(|(k, v)| (k.clone(), display_value(v, k, policy)))
            .collect();
        grouped
            .entry((e.name.clone(), props))
            .or_default()
            .push((e.timestamp_ms, &e.message_id));
    }
    let mut groups = Vec::with_capacity(grouped.len());
    for ((name, props), mut occ) in grouped {
        occ.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        let mut fields: Vec<(Field, &str)> = vec![(Field::Name, &name)];
        for (k, v) in &props {
            fields.push((Field::Keys, k));
            fields.push((Field::Values, v));
        }
        let postings = builder.postings(&fields);
        let mut id_blob = String::new();
        let mut id_lens = Vec::with_capacity(occ.len());
        let mut time_deltas = Vec::with_capacity(occ.len());
        let mut prev: Option<i64> = None;
        for (ts, id) in occ {
            // Import limits keep ids far below 64 KiB; clamp rather than trust that here.
            let id = truncate_to(id, usize::from(u16::MAX));
            id_blob.push_str(id);
            id_lens.push(u16::try_from(id.len()).unwrap_or(u16::MAX));
            time_deltas.push(match prev {
                None => ts,
                Some(p) => p.saturating_sub(ts),
            });
            prev = Some(ts);
        }
        let properties = props
            .into_iter()
            .map(|(key, text)| PropertyRecord { key, text })
            .collect();
        groups.push(EventGroup {
            name,
            properties,
            postings,
            id_blob,
            id_lens,
            time_deltas,
        });
    }
    // Newest groups first: a stable, useful order for inspection and ties.
    groups.sort_by(|a, b| {
        b.last_ms()
            .cmp(&a.last_ms())
            .then_with(|| a.last_message_id().cmp(b.last_message_id()))
    });

    let (terms, remap) = builder.finish();
    for postings in traits
        .iter_mut()
        .map(|t| &mut t.postings)
        .chain(groups.iter_mut().map(|g| &mut g.postings))
    {
        for field in &mut postings.fields {
            for (term, _) in field.iter_mut() {
                *term = remap.get(*term as usize).copied().unwrap_or(0);
            }
            field.sort_unstable();
        }
    }
    let mut snapshot = Snapshot {
        profile_id: profile.profile_id.clone(),
        target: policy.target,
        updated_at_ms: profile.updated_at_ms,
        doc_freq: vec![0; terms.len()],
        terms,
        avg_field_len: [0.0; FIELD_COUNT],
        traits,
        groups,
    };
    snapshot.derive_statistics();
    snapshot
}

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

/// Interns terms while compiling; ids are provisional until [`TermBuilder::finish`] sorts them.
#[derive(Default)]
struct TermBuilder {
    ids: HashMap<String, u32>,
    scratch: Vec<String>,
}

impl TermBuilder {
    fn postings(&mut self, fields: &[(Field, &str)]) -> Postings {
        let mut counts: [BTreeMap<u32, u16>; FIELD_COUNT] = Default::default();
        for (field, text) in fields {
            self.scratch.clear();
            Analyzer.terms(text, &mut self.scratch);
            for term in self.scratch.drain(..) {
                let next = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
                let id = *self.ids.entry(term).or_insert(next);
                if let Some(map) = counts.get_mut(*field as usize) {
                    let tf = map.entry(id).or_insert(0);
                    *tf = tf.saturating_add(1);
                }
            }
        }
        Postings {
            fields: counts.map(|m| m.into_iter().collect()),
        }
    }

    /// The sorted dictionary and the map from provisional to final ids.
    fn finish(self) -> (Vec<String>, Vec<u32>) {
        let mut entries: Vec<(String, u32)> = self.ids.into_iter().collect();
        entries.sort();
        let mut remap = vec![0u32; entries.len()];
        let mut terms = Vec::with_capacity(entries.len());
        for (new_id, (term, old_id)) in entries.into_iter().enumerate() {
            if let Some(slot) = remap.get_mut(old_id as usize) {
                *slot = u32::try_from(new_id).unwrap_or(u32::MAX);
            }
            terms.push(term);
        }
        (terms, remap)
    }
}

impl Snapshot {
    /// Writes the snapshot as bytes (header + bincode payload).
    pub fn encode(&self) -> Result<Vec<u8>, SnapshotError> {
        codec::encode_payload(self)
    }

    /// Reads and validates snapshot bytes.
    pub fn decode(bytes: &[u8], limits: &SnapshotLimits) -> Result<Snapshot, SnapshotError> {
        let snapshot: Snapshot = codec::decode_payload(bytes, limits.max_bytes)?;
        snapshot.validate(limits)?;
        Ok(snapshot)
    }

    /// The term dictionary (sorted).
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// The id of a term, if the profile has it.
    pub fn term_id(&self, term: &str) -> Option<u32> {
        self.terms
            .binary_search_by(|t| t.as_str().cmp(term))
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
        self.groups.iter().map(EventGroup::count).sum()
    }

    /// A trait by key.
    pub fn trait_by_key(&self, key: &str) -> Option<&TraitRecord> {
        self.traits.iter().find(|t| t.key == key)
    }

    fn all_postings(&self) -> impl Iterator<Item = &Postings> {
        self.traits
            .iter()
            .map(|t| &t.postings)
            .chain(self.groups.iter().map(|g| &g.postings))
    }

    /// Recomputes document frequencies and average field lengths from the postings.
    fn derive_statistics(&mut self) {
        let mut doc_freq = vec![0u32; self.terms.len()];
        let mut totals = [0f64; FIELD_COUNT];
        for postings in self.all_postings() {
            let mut seen: Vec<u32> = postings.fields.iter().flatten().map(|(t, _)| *t).collect();
            seen.sort_unstable();
            seen.dedup();
            for t in seen {
                if let Some(df) = doc_freq.get_mut(t as usize) {
                    *df += 1;
                }
            }
            for (f, total) in totals.iter_mut().enumerate() {
                *total += f64::from(postings.field_len(f));
            }
        }
        let n = self.item_count().max(1) as f64;
        self.doc_freq = doc_freq;
        self.avg_field_len = totals.map(|t| (t / n) as f32);
    }

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
        let corrupt = |detail: String| Err(SnapshotError::Corrupt { detail });
        limit("max_traits", limits.max_traits, self.traits.len())?;
        limit("max_groups", limits.max_groups, self.groups.len())?;
        limit("max_terms", limits.max_terms, self.terms.len())?;
        let mut occurrences = 0usize;
        let strings = std::iter::once(&self.profile_id)
            .chain(&self.terms)
            .chain(self.traits.iter().flat_map(|t| [&t.key, &t.text]))
            .chain(self.groups.iter().flat_map(|g| {
                std::iter::once(&g.name).chain(g.properties.iter().flat_map(|p| [&p.key, &p.text]))
            }));
        for s in strings {
            limit("max_string_bytes", limits.max_string_bytes, s.len())?;
        }
        if !self.terms.windows(2).all(|w| matches!(w, [a, b] if a < b)) {
            return corrupt("term dictionary is not sorted and unique".into());
        }
        let n_terms = self.terms.len();
        for postings in self.all_postings() {
            for field in &postings.fields {
                if field
                    .iter()
                    .any(|(t, tf)| *t as usize >= n_terms || *tf == 0)
                {
                    return corrupt("posting names a term outside the dictionary".into());
                }
                if !field.windows(2).all(|w| matches!(w, [a, b] if a.0 < b.0)) {
                    return corrupt("postings are not sorted by term".into());
                }
            }
        }
        for (i, g) in self.groups.iter().enumerate() {
            occurrences += g.count();
            limit("max_occurrences", limits.max_occurrences, occurrences)?;
            if g.count() == 0 || g.time_deltas.len() != g.count() {
                return corrupt(format!("event group {i} has inconsistent occurrences"));
            }
            let total: usize = g.id_lens.iter().map(|l| usize::from(*l)).sum();
            if total != g.id_blob.len() {
                return corrupt(format!("event group {i} message ids do not add up"));
            }
            let mut offset = 0;
            for len in &g.id_lens {
                offset += usize::from(*len);
                if !g.id_blob.is_char_boundary(offset) {
                    return corrupt(format!("event group {i} message id splits a character"));
                }
            }
            if g.time_deltas.iter().skip(1).any(|d| *d < 0) {
                return corrupt(format!("event group {i} occurrences are not newest first"));
            }
        }
        // Statistics are derived, not trusted: recompute and compare.
        let mut check = Snapshot {
            doc_freq: Vec::new(),
            avg_field_len: [0.0; FIELD_COUNT],
            ..self.clone_structure()
        };
        check.derive_statistics();
        if check.doc_freq != self.doc_freq || check.avg_field_len != self.avg_field_len {
            return corrupt("term statistics do not match the postings".into());
        }
        Ok(())
    }

    fn clone_structure(&self) -> Snapshot {
        self.clone()
    }
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
        assert_eq!(s.groups.len(), 2);
        let page = s.groups.iter().find(|g| g.name == "Page Viewed").unwrap();
        assert_eq!(page.count(), 2);
        assert_eq!(page.last_message_id(), "m2");
        assert_eq!(
            page.occurrences().collect::<Vec<_>>(),
            [("m2", 5_000), ("m1", 1_000)]
        );
        assert_eq!(s.groups[0].name, "Page Viewed");
    }

    #[test]
    fn server_target_withholds_and_browser_target_drops_personal_data() {
        let server = compile(&profile(), &PrivacyPolicy::new(Target::Server));
        let email = server.trait_by_key("email").unwrap();
        assert_eq!(
            (email.text.as_str(), email.withheld),
            ("", Some(PiiClass::Email))
        );
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
        let size = s.term_id("siz").unwrap();
        assert_eq!(s.doc_freq(size), 1);
    }

    #[test]
    fn decode_rejects_inconsistent_payloads_with_valid_checksums() {
        let mut s = compile(&profile(), &PrivacyPolicy::default());
        s.traits[0].postings.fields[0].push((u32::MAX, 1));
        let err = Snapshot::decode(&s.encode().unwrap(), &SnapshotLimits::default()).unwrap_err();
        assert!(matches!(err, SnapshotError::Corrupt { .. }), "{err}");

        let mut s = compile(&profile(), &PrivacyPolicy::default());
        s.doc_freq[0] += 1;
        assert!(matches!(
            Snapshot::decode(&s.encode().unwrap(), &SnapshotLimits::default()),
            Err(SnapshotError::Corrupt { .. })
        ));

        let mut s = compile(&profile(), &PrivacyPolicy::default());
        s.groups[0].id_lens[0] += 1;
        assert!(matches!(
            Snapshot::decode(&s.encode().unwrap(), &SnapshotLimits::default()),
            Err(SnapshotError::Corrupt { .. })
        ));
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
    }

    #[test]
    fn truthiness_follows_the_value() {
        let s = compile(&profile(), &PrivacyPolicy::default());
        assert!(s.trait_by_key("vip_customers").unwrap().is_truthy());
        assert!(!s.trait_by_key("email").unwrap().is_truthy());
    }
}
