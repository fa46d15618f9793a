//! Compilation: a [`Profile`] becomes a [`Snapshot`] under a [`PrivacyPolicy`]. Events are grouped,
//! every field is analyzed into postings, strings are interned, and personal data is withheld or
//! removed here ([`PrivacyPolicy`] applied to every trait and property, nested members included),
//! before any of it reaches the snapshot's text. Display text is normalized and instruction phrases
//! are defused here too ([`crate::text::defuse()`]), with Unicode's full compatibility folding,
//! which the request path does not carry.

use std::collections::{BTreeMap, HashMap};

use super::{Field, GroupRecord, Posting, Snapshot, Span, TraitRecord, ValueKind, FIELD_COUNT};
use crate::policy::{Applied, PrivacyPolicy, Target};
use crate::profile::{Memory, Profile, Value};
use crate::text::initials::initialisms;
use crate::text::{thesaurus, Analyzer};
use crate::time::scan::dates_in;
use crate::time::zone::Zone;
use crate::time::DAY_MS;

/// Compiles a profile under a privacy policy.
pub fn compile(profile: &Profile, policy: &PrivacyPolicy) -> Snapshot {
    let mut b = Builder {
        zone: profile_zone(profile),
        ..Builder::default()
    };
    let mut traits = Vec::with_capacity(profile.traits.len());
    for t in &profile.traits {
        let (text, restricted) = match policy.apply(&t.key, &t.value) {
            Applied::Remove => continue,
            Applied::Withheld(_) if policy.target == Target::Browser => continue,
            Applied::Withheld(class) => (String::new(), Some(class)),
            Applied::Text(text) => (defused(&text), None),
        };
        let postings = b.postings(&[(Field::Name, &t.key), (Field::Values, &text)]);
        let dates = b.dates(&[text.as_str()]);
        traits.push(TraitRecord {
            key: b.intern(&t.key),
            kind: kind_of(&t.value),
            text: b.intern(&text),
            audience: t.audience,
            withheld: restricted,
            postings,
            dates,
            noted_ms: None,
            memory_id: Span::default(),
        });
    }
    for m in &profile.memories {
        if let Some(record) = memory_record(&mut b, policy, m) {
            traits.push(record);
        }
    }

    // Group identical events; BTreeMap keeps compilation deterministic.
    type GroupKey = (String, Vec<(String, String)>);
    let mut grouped: BTreeMap<GroupKey, Vec<(i64, &str)>> = BTreeMap::new();
    let mut seen = Seen::default();
    for e in &profile.events {
        let props: Vec<(String, String)> = e
            .properties
            .iter()
            .filter_map(|(k, v)| {
                let text = seen.property(policy, k, v)?;
                Some((seen.text(policy, k), text))
            })
            .collect();
        grouped
            .entry((seen.text(policy, &e.name), props))
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
        let name = name.as_str();
        let mut fields: Vec<(Field, &str)> = vec![(Field::Name, name)];
        for (k, v) in &props {
            fields.push((Field::Keys, k));
            fields.push((Field::Values, v));
        }
        let postings = b.postings(&fields);
        let values: Vec<&str> = props.iter().map(|(_, v)| v.as_str()).collect();
        let dates = b.dates(&values);
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
            .map_or(String::new(), |(_, id)| policy.text("", id));
        let newest_id = truncate_to(&newest_id, MAX_ID_BYTES);
        groups.push(GroupRecord {
            name: b.intern(name),
            properties: Span::of(prop_start, b.properties.len()),
            postings,
            id: b.append(newest_id),
            occurrences: Span::of(occ_start, b.occurrence_times.len()),
            dates,
        });
    }
    b.finish(profile, policy.target, traits, groups)
}

/// A memory as a trait record: its key (or `memory`) and text go through the policy like a
/// trait's; its category is a name term too. `None` when the policy removes it, or withholds it
/// for the browser.
fn memory_record(b: &mut Builder, policy: &PrivacyPolicy, m: &Memory) -> Option<TraitRecord> {
    let key = m.key.as_deref().unwrap_or("");
    let policy_key = if key.is_empty() { "memory" } else { key };
    let (text, withheld) = match policy.apply(policy_key, &Value::Text(m.text.clone())) {
        Applied::Remove => return None,
        Applied::Withheld(_) if policy.target == Target::Browser => return None,
        Applied::Withheld(class) => (String::new(), Some(class)),
        Applied::Text(text) => (defused(&text), None),
    };
    let key = defused(&policy.text(policy_key, key));
    let category = defused(&policy.text("category", m.category.as_deref().unwrap_or("")));
    let postings = b.postings(&[
        (Field::Name, &key),
        (Field::Name, &category),
        (Field::Values, &text),
    ]);
    let dates = b.dates(&[text.as_str()]);
    let id = truncate_to(&m.id, MAX_ID_BYTES);
    Some(TraitRecord {
        key: b.intern(&key),
        kind: ValueKind::Text,
        text: b.intern(&text),
        audience: false,
        withheld,
        postings,
        dates,
        noted_ms: Some(m.created_ms),
        memory_id: b.append(id),
    })
}

/// Most dates kept per item: enough for an event's start, end and deadline, or an object trait's
/// several dates, and a bound on what a hostile value can add.
const MAX_DATES_PER_ITEM: usize = 16;

/// The person's time zone: the first trait whose key says time zone (`timezone`, `time_zone`,
/// `tz`) and whose value names one ([`Zone::named`]).
fn profile_zone(profile: &Profile) -> Option<Zone> {
    profile.traits.iter().find_map(|t| {
        let words = crate::text::key_words(&t.key);
        let says_zone = words == "tz"
            || words.ends_with("timezone")
            || words.ends_with("time zone")
            || words.ends_with(" tz");
        match &t.value {
            Value::Text(name) if says_zone => Zone::named(name),
            _ => None,
        }
    })
}

/// The thesaurus links of a sorted term dictionary: for every word term the thesaurus knows,
/// the hashes of the words and phrases related to it, with the relation, and the term's id.
fn thesaurus_links(terms: &[(String, u32)]) -> Vec<(u32, u32)> {
    let mut links = Vec::new();
    for (id, (term, _)) in (0u32..).zip(terms) {
        if term.len() < 3 || !term.bytes().all(|b| b.is_ascii_lowercase()) {
            continue;
        }
        links.extend(
            thesaurus::related(term)
                .into_iter()
                .map(|entry| (entry, id)),
        );
    }
    links.sort_unstable();
    links.dedup();
    links
}

/// Longest message id kept, in bytes: under the default [`super::SnapshotLimits::max_string_bytes`], so
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

/// The policy's verdicts on event names, property keys and scalar property values, kept for the
/// compilation: a profile repeats the same ones thousands of times (2,114 events, 160 groups).
#[derive(Default)]
struct Seen<'p> {
    texts: HashMap<&'p str, String>,
    values: HashMap<(&'p str, &'p str), Option<String>>,
}

impl<'p> Seen<'p> {
    /// An event name or property key: masked and defused.
    fn text(&mut self, policy: &PrivacyPolicy, text: &'p str) -> String {
        self.texts
            .entry(text)
            .or_insert_with(|| defused(&policy.text("", text)))
            .clone()
    }

    /// A property's display text, `None` when the property is removed.
    fn property(
        &mut self,
        policy: &PrivacyPolicy,
        key: &'p str,
        value: &'p Value,
    ) -> Option<String> {
        let judge = || match policy.apply(key, value) {
            Applied::Remove => None,
            Applied::Withheld(_) if policy.target == Target::Browser => None,
            Applied::Withheld(class) => Some(class.mask()),
            Applied::Text(text) => Some(defused(&text)),
        };
        match value {
            Value::Text(text) => self.values.entry((key, text)).or_insert_with(judge).clone(),
            _ => judge(),
        }
    }
}

/// Display text with its instruction phrases and role markers defused.
fn defused(text: &str) -> String {
    crate::text::defuse(text, crate::text::base_letter)
}

/// Collects strings, terms and postings while compiling. Term ids are provisional until
/// [`Builder::finish`] sorts the dictionary.
#[derive(Default)]
struct Builder {
    strings: String,
    interned: HashMap<String, Span>,
    term_ids: HashMap<String, u32>,
    postings: Vec<Posting>,
    properties: Vec<(Span, Span)>,
    occurrence_times: Vec<i64>,
    dates: Vec<(i64, i64)>,
    zone: Option<Zone>,
    scratch: Vec<String>,
}

impl Builder {
    fn append(&mut self, s: &str) -> Span {
        let start = self.strings.len();
        self.strings.push_str(s);
        Span::of(start, self.strings.len())
    }

    fn intern(&mut self, s: &str) -> Span {
        if let Some(r) = self.interned.get(s) {
            return *r;
        }
        let r = self.append(s);
        self.interned.insert(s.to_string(), r);
        r
    }

    /// The dates in an item's value texts, as instants: a date-time with an offset as it is, one
    /// without in the person's zone, a plain date as its whole local day.
    fn dates(&mut self, texts: &[&str]) -> Span {
        let zone = self.zone.unwrap_or(Zone::UTC);
        let start = self.dates.len();
        for text in texts {
            let room = MAX_DATES_PER_ITEM.saturating_sub(self.dates.len() - start);
            for stamp in dates_in(text, room) {
                let first = if stamp.zoned {
                    stamp.ms
                } else {
                    zone.to_utc(stamp.ms)
                };
                let last = if stamp.date_only {
                    zone.to_utc(stamp.ms.saturating_add(DAY_MS)) - 1
                } else {
                    first
                };
                self.dates.push((first, last.max(first)));
            }
        }
        Span::of(start, self.dates.len())
    }

    /// The postings of an item's fields; the initialisms of its name and values are added in
    /// [`Field::Initials`], once each.
    fn postings(&mut self, fields: &[(Field, &str)]) -> Span {
        let mut counts: BTreeMap<(u32, u8), u16> = BTreeMap::new();
        let mut initials: Vec<String> = Vec::new();
        for (field, text) in fields {
            self.scratch.clear();
            Analyzer::index_terms(text, &mut self.scratch);
            if matches!(field, Field::Name | Field::Values) {
                initialisms(text, &mut initials);
            }
            for term in self.scratch.drain(..) {
                let next = u32::try_from(self.term_ids.len()).unwrap_or(u32::MAX);
                let id = *self.term_ids.entry(term).or_insert(next);
                let tf = counts.entry((id, *field as u8)).or_insert(0);
                *tf = tf.saturating_add(1);
            }
        }
        for term in initials {
            let next = u32::try_from(self.term_ids.len()).unwrap_or(u32::MAX);
            let id = *self.term_ids.entry(term).or_insert(next);
            counts.insert((id, Field::Initials as u8), 1);
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
        let links = thesaurus_links(&entries);
        let mut snapshot = Snapshot {
            profile_id: profile.profile_id.clone(),
            target,
            updated_at_ms: profile.updated_at_ms,
            zone: self.zone,
            strings: self.strings,
            terms,
            postings: self.postings,
            properties: self.properties,
            traits,
            groups,
            occurrence_times: self.occurrence_times,
            dates: self.dates,
            links,
            doc_freq: Vec::new(),
            avg_field_len: [0.0; FIELD_COUNT],
        };
        // Compiled postings are sorted, unique and in range by construction.
        let checked = snapshot.derive_statistics();
        debug_assert!(checked.is_ok(), "{checked:?}");
        snapshot
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PiiClass;
    use crate::testing::profile;

    fn sample() -> Profile {
        profile("user_id:u1")
            .text("shoe_size", "10.5")
            .text("email", "a@example.com")
            .text("note", "call +1 415 555 0142")
            .audience("vip_customers", true)
            .event("m1", 1_000, "Page Viewed", &[("page", "Home")])
            .event("m2", 5_000, "Page Viewed", &[("page", "Home")])
            .event("m3", 3_000, "Login", &[("page", "Home")])
            .updated_at(9)
            .build()
    }

    #[test]
    fn groups_identical_events_newest_first() {
        let s = compile(&sample(), &PrivacyPolicy::default());
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
        let server = compile(&sample(), &PrivacyPolicy::new(Target::Server));
        let email = server.trait_by_key("email").unwrap();
        assert_eq!((email.text, email.withheld), ("", Some(PiiClass::Email)));
        assert_eq!(
            server.trait_by_key("note").unwrap().text,
            "call [phone withheld]"
        );
        let browser = compile(&sample(), &PrivacyPolicy::new(Target::Browser));
        assert!(browser.trait_by_key("email").is_none());
        let allowed = compile(
            &sample(),
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
    fn document_frequencies_count_items_not_occurrences() {
        let s = compile(&sample(), &PrivacyPolicy::default());
        assert!(s.term_id("zebra").is_none());
        assert_eq!(s.doc_freq(s.term_id("size").unwrap()), 1);
        // "home" is in both groups (three events).
        assert_eq!(s.doc_freq(s.term_id("home").unwrap()), 2);
    }

    #[test]
    fn dates_in_values_are_kept_in_the_persons_zone() {
        let s = profile("user_id:u1")
            .text("timezone", "America/New_York")
            .text("renews_at", "2026-12-01")
            .event(
                "m1",
                1_000,
                "Order Completed",
                &[
                    ("event_date_local", "2026-11-21 20:00"),
                    ("paid_at", "2026-10-01T10:00:00Z"),
                ],
            )
            .compile();
        assert_eq!(s.zone().standard_minutes, -300);
        let at = |t: &str| crate::time::parse_timestamp(t).unwrap();
        let renews = s.trait_by_key("renews_at").unwrap().dates;
        // The whole local day of 1 December in New York (UTC−5).
        assert_eq!(
            renews,
            [(at("2026-12-01T05:00:00Z"), at("2026-12-02T05:00:00Z") - 1)]
        );
        let order = s.group_at(0).unwrap();
        let mut dates = order.dates().to_vec();
        dates.sort_unstable();
        assert_eq!(
            dates,
            [
                (at("2026-10-01T10:00:00Z"), at("2026-10-01T10:00:00Z")),
                (at("2026-11-22T01:00:00Z"), at("2026-11-22T01:00:00Z")),
            ],
            "a wall-clock time without an offset is read in the person's zone"
        );
        assert!(s.trait_by_key("timezone").unwrap().dates.is_empty());
        let utc = profile("p").text("due", "2026-12-01").compile();
        assert_eq!(utc.zone(), Zone::UTC);
    }

    #[test]
    fn truthiness_follows_the_value() {
        let s = compile(&sample(), &PrivacyPolicy::default());
        assert!(s.trait_by_key("vip_customers").unwrap().is_truthy());
        assert!(!s.trait_by_key("email").unwrap().is_truthy());
    }
}
