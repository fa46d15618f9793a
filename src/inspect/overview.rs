//! A snapshot at a glance: what it holds by kind, events per week, its bytes by section, and what
//! the privacy policy withheld. Keys, names and classes only: a snapshot holds no withheld value
//! (the server policy keeps a withheld trait's key and class; the browser policy removes it), so
//! none can be shown.

use serde::Serialize;

use crate::policy::{classify_key, Target};
use crate::snapshot::{Snapshot, ValueKind};

/// Most event names listed by count (the rest are summed in `other_events`).
pub const MAX_EVENT_NAMES: usize = 12;
/// Most weeks charted, the newest (older events are summed in `earlier_events`).
pub const MAX_WEEKS: usize = 104;
/// Most withheld and masked entries listed each (the totals count them all).
pub const MAX_LISTED: usize = 500;

const DAY_MS: i64 = 86_400_000;
const WEEK_MS: i64 = 7 * DAY_MS;
/// 1970-01-01 was a Thursday: weeks start on the Monday three days before.
const MONDAY_OFFSET_MS: i64 = 3 * DAY_MS;

/// How many traits have values of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KindCount {
    /// `text`, `number`, `bool`, `list`, `object`, `null`, `audience` or `withheld`.
    pub kind: &'static str,
    /// How many.
    pub count: usize,
}

/// An event name and its occurrences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventName {
    /// The name.
    pub name: String,
    /// Occurrences of it.
    pub count: usize,
}

/// Occurrences in one week (Monday 00:00 UTC on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Week {
    /// Its first instant (ms).
    pub start_ms: i64,
    /// Occurrences in it.
    pub count: usize,
}

/// One part of the snapshot's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SectionSize {
    /// Its name, as `edge-persona inspect` prints it.
    pub name: &'static str,
    /// Its bytes.
    pub bytes: usize,
}

/// Something the privacy policy withheld as a whole: which item, which key, which class, and
/// whether the key or the value's shape told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Withheld {
    /// The item (`trait:phone`, `memory:<id>`, `event:<message id>`).
    pub id: String,
    /// `trait`, `memory` or `property` (of an event).
    pub what: &'static str,
    /// The trait, memory or property key.
    pub key: String,
    /// The event's name, for a property.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// The personal-data class (`email`, `phone`, …).
    pub class: String,
    /// `key`: the key names personal data; `value`: the value had its shape.
    pub rule: &'static str,
}

/// A value that kept its text with personal data inside it masked (`[email withheld]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Masked {
    /// The item.
    pub id: String,
    /// The trait or property key.
    pub key: String,
    /// The event's name, for a property.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// The classes masked in it, in order of appearance.
    pub classes: Vec<String>,
}

/// What a snapshot holds.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    /// The profile's id.
    pub profile_id: String,
    /// `server` (withheld values kept as keys) or `browser` (removed).
    pub target: &'static str,
    /// The snapshot's bytes.
    pub bytes: usize,
    /// The profile's `updated_at`, when the export had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at_ms: Option<i64>,
    /// Traits (memories not counted).
    pub traits: usize,
    /// Memories.
    pub memories: usize,
    /// Traits by the kind of their value; audiences and withheld traits on their own.
    pub trait_kinds: Vec<KindCount>,
    /// Event occurrences.
    pub events: usize,
    /// Groups of identical events.
    pub event_groups: usize,
    /// The most frequent event names, by count.
    pub events_by_name: Vec<EventName>,
    /// Occurrences of the names not listed.
    pub other_events: usize,
    /// The oldest and newest occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_event_ms: Option<i64>,
    /// The newest occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_event_ms: Option<i64>,
    /// Occurrences per week, oldest first, from the first week with an event (at most
    /// [`MAX_WEEKS`], the newest; empty weeks included).
    pub weeks: Vec<Week>,
    /// Occurrences before the first week charted.
    pub earlier_events: usize,
    /// Bytes by section.
    pub sections: Vec<SectionSize>,
    /// What was withheld as a whole (at most [`MAX_LISTED`]).
    pub withheld: Vec<Withheld>,
    /// How many were withheld in all.
    pub withheld_total: usize,
    /// Values with personal data masked inside them (at most [`MAX_LISTED`]).
    pub masked: Vec<Masked>,
    /// How many in all.
    pub masked_total: usize,
}

/// The overview of `snapshot`.
pub fn overview(snapshot: &Snapshot) -> Overview {
    let mut o = Overview {
        profile_id: snapshot.profile_id().to_string(),
        target: match snapshot.target() {
            Target::Server => "server",
            Target::Browser => "browser",
        },
        bytes: snapshot.as_bytes().len(),
        updated_at_ms: snapshot.updated_at_ms(),
        traits: snapshot
            .trait_count()
            .saturating_sub(snapshot.memory_count()),
        memories: snapshot.memory_count(),
        trait_kinds: Vec::new(),
        events: snapshot.event_count(),
        event_groups: snapshot.group_count(),
        events_by_name: Vec::new(),
        other_events: 0,
        first_event_ms: None,
        last_event_ms: None,
        weeks: Vec::new(),
        earlier_events: 0,
        sections: snapshot
            .section_sizes()
            .into_iter()
            .map(|(name, bytes)| SectionSize { name, bytes })
            .collect(),
        withheld: Vec::new(),
        withheld_total: 0,
        masked: Vec::new(),
        masked_total: 0,
    };
    traits(snapshot, &mut o);
    events(snapshot, &mut o);
    weeks(snapshot, &mut o);
    o
}

fn kind_name(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Null => "null",
        ValueKind::Bool => "bool",
        ValueKind::Number => "number",
        ValueKind::Text => "text",
        ValueKind::List => "list",
        ValueKind::Object => "object",
    }
}

fn bump(counts: &mut Vec<KindCount>, kind: &'static str) {
    match counts.iter_mut().find(|c| c.kind == kind) {
        Some(c) => c.count += 1,
        None => counts.push(KindCount { kind, count: 1 }),
    }
}

fn withhold(o: &mut Overview, entry: Withheld) {
    o.withheld_total += 1;
    if o.withheld.len() < MAX_LISTED {
        o.withheld.push(entry);
    }
}

fn mask(o: &mut Overview, id: &str, key: &str, event: Option<&str>, text: &str) {
    let classes = masks_in(text);
    if classes.is_empty() {
        return;
    }
    o.masked_total += 1;
    if o.masked.len() < MAX_LISTED {
        o.masked.push(Masked {
            id: id.to_string(),
            key: key.to_string(),
            event: event.map(str::to_string),
            classes,
        });
    }
}

/// `key` when the key names personal data, else `value` (its shape did).
fn rule(key: &str) -> &'static str {
    if classify_key(key).is_some() {
        "key"
    } else {
        "value"
    }
}

fn traits(snapshot: &Snapshot, o: &mut Overview) {
    for t in snapshot.traits() {
        let memory = t.noted_ms.is_some();
        let id = if memory {
            ["memory:", &t.memory_id].concat()
        } else {
            ["trait:", t.key].concat()
        };
        if !memory {
            bump(
                &mut o.trait_kinds,
                if t.withheld.is_some() {
                    "withheld"
                } else if t.audience {
                    "audience"
                } else {
                    kind_name(t.kind)
                },
            );
        }
        match t.withheld {
            Some(class) => withhold(
                o,
                Withheld {
                    id,
                    what: if memory { "memory" } else { "trait" },
                    key: t.key.to_string(),
                    event: None,
                    class: class.as_str().to_string(),
                    rule: rule(if memory && t.key.is_empty() {
                        "memory"
                    } else {
                        t.key
                    }),
                },
            ),
            None => mask(o, &id, t.key, None, t.text),
        }
    }
    o.trait_kinds
        .sort_by(|a, b| b.count.cmp(&a.count).then(a.kind.cmp(b.kind)));
}

fn events(snapshot: &Snapshot, o: &mut Overview) {
    let mut names: Vec<EventName> = Vec::new();
    for g in snapshot.groups() {
        match names.iter_mut().find(|n| n.name == g.name) {
            Some(n) => n.count += g.count(),
            None => names.push(EventName {
                name: g.name.to_string(),
                count: g.count(),
            }),
        }
        let id = ["event:", &g.last_message_id()].concat();
        for (key, value) in g.properties() {
            match whole_mask(value) {
                Some(class) => withhold(
                    o,
                    Withheld {
                        id: id.clone(),
                        what: "property",
                        key: key.to_string(),
                        event: Some(g.name.to_string()),
                        class: class.to_string(),
                        rule: rule(key),
                    },
                ),
                None => mask(o, &id, key, Some(g.name), value),
            }
        }
    }
    names.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    o.other_events = names.iter().skip(MAX_EVENT_NAMES).map(|n| n.count).sum();
    names.truncate(MAX_EVENT_NAMES);
    o.events_by_name = names;
}

fn week_of(ms: i64) -> i64 {
    (ms + MONDAY_OFFSET_MS).div_euclid(WEEK_MS)
}

fn weeks(snapshot: &Snapshot, o: &mut Overview) {
    let (mut first, mut last) = (None::<i64>, None::<i64>);
    for (t, _) in snapshot.occurrences_between(i64::MIN, i64::MAX) {
        first = Some(first.map_or(t, |f| f.min(t)));
        last = Some(last.map_or(t, |l| l.max(t)));
    }
    let (Some(first), Some(last)) = (first, last) else {
        return;
    };
    o.first_event_ms = Some(first);
    o.last_event_ms = Some(last);
    let last_week = week_of(last);
    let first_week = week_of(first).max(last_week - (MAX_WEEKS as i64 - 1));
    let span = usize::try_from(last_week - first_week + 1).unwrap_or(0);
    let mut counts = vec![0usize; span];
    for (t, _) in snapshot.occurrences_between(i64::MIN, i64::MAX) {
        match usize::try_from(week_of(t) - first_week)
            .ok()
            .and_then(|w| counts.get_mut(w))
        {
            Some(c) => *c += 1,
            None => o.earlier_events += 1,
        }
    }
    o.weeks = counts
        .into_iter()
        .enumerate()
        .map(|(i, count)| Week {
            start_ms: (first_week + i as i64) * WEEK_MS - MONDAY_OFFSET_MS,
            count,
        })
        .collect();
}

const MASK_END: &str = " withheld]";
/// The longest class name a mask holds (`government id`, `ip address`, with room).
const MAX_CLASS_CHARS: usize = 24;

/// The class of a value that is one mask as a whole (`[phone withheld]`).
fn whole_mask(value: &str) -> Option<&str> {
    let class = value.strip_prefix('[')?.strip_suffix(MASK_END)?;
    is_class(class).then_some(class)
}

fn is_class(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_CLASS_CHARS
        && s.bytes().all(|b| b.is_ascii_lowercase() || b == b' ')
}

/// The classes of the masks inside `text`, in order (one linear scan).
fn masks_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(end) = rest.find(MASK_END) {
        let head = rest.get(..end).unwrap_or("");
        // The class runs back from the mask's end to its `[`, within MAX_CLASS_CHARS.
        let window_start = head.len().saturating_sub(MAX_CLASS_CHARS + 1);
        let window_start = (window_start..=head.len())
            .find(|&i| head.is_char_boundary(i))
            .unwrap_or(head.len());
        if let Some(open) = head.get(window_start..).and_then(|w| w.rfind('[')) {
            let class = head.get(window_start + open + 1..).unwrap_or("");
            if is_class(class) {
                out.push(class.to_string());
            }
        }
        rest = rest.get(end + MASK_END.len()..).unwrap_or("");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PrivacyPolicy;
    use crate::profile::Value;
    use crate::snapshot::compile;
    use crate::testing::{profile, HOUR};

    /// 2026-11-20T12:00:00Z, a Friday.
    const NOW: i64 = 1_795_176_000_000;

    fn person() -> crate::testing::ProfileBuilder {
        profile("user_id:p")
            .text("first_name", "Ana")
            .text("email", "ana@example.com")
            .text("phone", "+1 415 555 0142")
            .text("note", "call me at +1 415 555 0199 or ana@example.com")
            .value("points", Value::Number(12.0))
            .audience("runners", true)
            .event(
                "m1",
                NOW - HOUR,
                "Order Completed",
                &[("contact", "ana@example.com"), ("total", "99")],
            )
            .event(
                "m2",
                NOW - 8 * 24 * HOUR,
                "Page Viewed",
                &[("path", "/shoes")],
            )
            .event(
                "m3",
                NOW - 9 * 24 * HOUR,
                "Page Viewed",
                &[("path", "/shoes")],
            )
    }

    #[test]
    fn counts_kinds_events_and_weeks() {
        let o = overview(&person().compile());
        assert_eq!(o.target, "server");
        assert_eq!(
            (o.traits, o.memories, o.events, o.event_groups),
            (6, 0, 3, 2)
        );
        let kind = |k: &str| {
            o.trait_kinds
                .iter()
                .find(|c| c.kind == k)
                .map_or(0, |c| c.count)
        };
        assert_eq!(
            (
                kind("text"),
                kind("withheld"),
                kind("number"),
                kind("audience")
            ),
            (2, 2, 1, 1)
        );
        assert_eq!(
            o.events_by_name[0],
            EventName {
                name: "Page Viewed".into(),
                count: 2
            }
        );
        // Thursday 12th and Wednesday 11th are in the week of Monday 9th; Friday 20th in the next.
        let weeks: Vec<usize> = o.weeks.iter().map(|w| w.count).collect();
        assert_eq!(weeks, [2, 1]);
        assert_eq!(
            crate::time::format_timestamp(o.weeks[0].start_ms),
            "2026-11-09T00:00:00.000Z"
        );
        assert!(o
            .sections
            .iter()
            .any(|s| s.name == "strings" && s.bytes > 0));
        assert_eq!(o.sections.iter().map(|s| s.bytes).sum::<usize>(), o.bytes);
    }

    #[test]
    fn lists_what_was_withheld_by_key_and_class_never_by_value() {
        let o = overview(&person().compile());
        let listed: Vec<(&str, &str, &str, &str)> = o
            .withheld
            .iter()
            .map(|w| (w.id.as_str(), w.key.as_str(), w.class.as_str(), w.rule))
            .collect();
        assert!(
            listed.contains(&("trait:email", "email", "email", "key")),
            "{listed:?}"
        );
        assert!(
            listed.contains(&("trait:phone", "phone", "phone", "key")),
            "{listed:?}"
        );
        let prop = o.withheld.iter().find(|w| w.what == "property").unwrap();
        assert_eq!(
            (
                prop.key.as_str(),
                prop.event.as_deref(),
                prop.class.as_str(),
                prop.rule
            ),
            ("contact", Some("Order Completed"), "email", "value")
        );
        assert_eq!(o.masked.len(), 1);
        assert_eq!(
            (o.masked[0].id.as_str(), o.masked[0].classes.clone()),
            ("trait:note", vec!["phone".to_string(), "email".to_string()])
        );
        let json = serde_json::to_string(&o).unwrap();
        for secret in ["ana@example.com", "555 0142", "555 0199"] {
            assert!(!json.contains(secret), "{secret} in {json}");
        }
    }

    #[test]
    fn a_browser_snapshot_has_nothing_left_to_list() {
        let s = compile(&person().build(), &PrivacyPolicy::new(Target::Browser));
        let o = overview(&s);
        assert_eq!(o.target, "browser");
        // Withheld traits are gone; a value the policy found to be personal data by its shape
        // alone keeps its key with a mask, under both targets.
        assert!(
            o.withheld.iter().all(|w| w.what == "property"),
            "{:?}",
            o.withheld
        );
        assert_eq!(o.trait_kinds.iter().find(|k| k.kind == "withheld"), None);
        assert!(!serde_json::to_string(&o).unwrap().contains("example.com"));
    }

    #[test]
    fn masks_are_found_in_one_pass() {
        assert_eq!(
            masks_in("a [email withheld] b [government id withheld]"),
            ["email", "government id"]
        );
        assert_eq!(
            masks_in("[x withheld] [] withheld] é[ip address withheld]"),
            ["x", "ip address"]
        );
        assert!(masks_in(&"é withheld]".repeat(1000)).is_empty());
        assert_eq!(whole_mask("[phone withheld]"), Some("phone"));
        assert_eq!(whole_mask("call [phone withheld]"), None);
    }

    #[test]
    fn weeks_keep_the_newest_and_count_the_rest() {
        let mut p = profile("p");
        for w in 0..200i64 {
            p = p.event(
                &format!("m{w}"),
                NOW - w * WEEK_MS,
                "Ping",
                &[("n", &w.to_string())],
            );
        }
        let o = overview(&p.compile());
        assert_eq!(o.weeks.len(), MAX_WEEKS);
        assert_eq!(
            o.weeks.iter().map(|w| w.count).sum::<usize>() + o.earlier_events,
            200
        );
        assert_eq!(o.earlier_events, 200 - MAX_WEEKS);
    }
}
