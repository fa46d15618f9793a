use std::collections::BTreeMap;

use super::*;
use crate::errors::MemoryError;
use crate::profile::{Event, Trait, Value};

mod governance;

/// The rows a Durable Object would hold: every change written as it comes.
#[derive(Default)]
struct Rows(BTreeMap<(i64, String), Vec<u8>>);

impl Rows {
    fn write(&mut self, applied: &Applied) {
        for c in &applied.changes {
            match c {
                Change::Put { kind, key, body } => {
                    self.0.insert((kind.code(), key.clone()), body.clone());
                }
                Change::Delete { kind, key } => {
                    self.0.remove(&(kind.code(), key.clone()));
                }
                Change::Clear => self.0.clear(),
            }
        }
    }
    fn load(&self) -> Option<PersonState> {
        PersonState::from_rows(
            self.0
                .iter()
                .map(|((k, key), b)| (*k, key.clone(), b.clone())),
        )
        .unwrap()
    }
}

/// A state and its rows, kept in step; every operation is checked against a reload.
struct Person {
    state: PersonState,
    rows: Rows,
    settings: StateSettings,
}

impl Person {
    fn new(settings: StateSettings) -> Self {
        Self {
            state: PersonState::new("u1", false, 0),
            rows: Rows::default(),
            settings,
        }
    }
    fn check(&mut self, applied: Result<Applied, StateError>) -> Applied {
        let applied = applied.unwrap();
        self.rows.write(&applied);
        let reloaded = self.rows.load().expect("rows");
        assert_eq!(reloaded.profile(), self.state.profile());
        assert_eq!(reloaded.meta, self.state.meta);
        assert_eq!(reloaded.bytes, self.state.bytes);
        assert_eq!(reloaded.unset, self.state.unset);
        assert_eq!(reloaded.seen, self.state.seen);
        assert_eq!(reloaded.consent, self.state.consent);
        assert_eq!(reloaded.audit.rows, self.state.audit.rows);
        assert_eq!(reloaded.regulation, self.state.regulation);
        applied
    }
    fn apply(&mut self, u: &Update, now: i64) -> Outcome {
        let r = self.state.apply(u, &self.settings, now);
        self.check(r).outcome
    }
    fn trait_value(&self, key: &str) -> Option<Value> {
        self.state
            .profile()
            .traits
            .into_iter()
            .find(|t| t.key == key)
            .map(|t| t.value)
    }
    fn event_ids(&self) -> Vec<String> {
        self.state
            .profile()
            .events
            .into_iter()
            .map(|e| e.message_id)
            .collect()
    }
}

fn identify(id: &str, at: i64, traits: &[(&str, Value)]) -> Update {
    Update {
        message_id: Some(id.to_string()),
        at_ms: at,
        traits: traits
            .iter()
            .map(|(k, v)| Trait {
                key: (*k).to_string(),
                value: v.clone(),
                audience: false,
            })
            .collect(),
        event: None,
    }
}

fn track(id: &str, at: i64, name: &str) -> Update {
    Update {
        message_id: Some(id.to_string()),
        at_ms: at,
        traits: Vec::new(),
        event: Some(Event {
            message_id: id.to_string(),
            name: name.to_string(),
            timestamp_ms: at,
            properties: vec![("n".into(), Value::Number(1.0))],
        }),
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

#[test]
fn messages_apply_once_and_traits_keep_the_newest_message() {
    let mut p = Person::new(StateSettings::default());
    assert_eq!(
        p.apply(&identify("i2", 2_000, &[("tier", text("Platinum"))]), 10),
        Outcome::Changed
    );
    // A retried older identify arrives later: it loses, and is remembered as applied.
    assert_eq!(
        p.apply(&identify("i1", 1_000, &[("tier", text("Bronze"))]), 11),
        Outcome::Stale
    );
    assert_eq!(p.trait_value("tier"), Some(text("Platinum")));
    // The same message again, and an event twice.
    assert_eq!(
        p.apply(&identify("i1", 1_000, &[("tier", text("Bronze"))]), 12),
        Outcome::Duplicate
    );
    assert_eq!(p.apply(&track("t1", 1_500, "Viewed"), 13), Outcome::Changed);
    assert_eq!(
        p.apply(&track("t1", 1_500, "Viewed"), 14),
        Outcome::Duplicate
    );
    assert_eq!(p.event_ids(), ["t1"]);
    // Ties on the timestamp go to the greater message id, whatever the order of arrival.
    let mut q = Person::new(StateSettings::default());
    q.apply(&identify("b", 5, &[("k", text("from b"))]), 1);
    q.apply(&identify("a", 5, &[("k", text("from a"))]), 2);
    assert_eq!(q.trait_value("k"), Some(text("from b")));
    // A newer message with the same value moves the trait's time: an older one now loses.
    q.apply(&identify("c", 9, &[("k", text("from b"))]), 3);
    q.apply(&identify("d", 7, &[("k", text("from d"))]), 4);
    assert_eq!(q.trait_value("k"), Some(text("from b")));
    let c = p.state.counters();
    assert_eq!((c.applied, c.duplicates, c.stale_trait_writes), (2, 2, 1));
    assert_eq!(p.state.version(), 2);
    // Boolean audience-like keys, and explicit audiences, are audiences.
    let mut a = identify("x", 1, &[("vip_customers", Value::Bool(true))]);
    a.traits.push(Trait {
        key: "beta".into(),
        value: Value::Bool(true),
        audience: true,
    });
    p.apply(&a, 20);
    let profile = p.state.profile();
    assert!(profile.traits.iter().all(|t| t.key == "tier" || t.audience));
}

#[test]
fn concurrent_order_does_not_matter() {
    // The same messages in two arrival orders (with retries) end in the same profile.
    let msgs: Vec<Update> = (0..40)
        .map(|i| {
            if i % 2 == 0 {
                track(&format!("e{i}"), 1_000 + i, "Seen")
            } else {
                identify(
                    &format!("i{i}"),
                    1_000 + (i * 7919) % 40,
                    &[("tier", Value::Number(i as f64))],
                )
            }
        })
        .collect();
    let mut forward = Person::new(StateSettings::default());
    let mut backward = Person::new(StateSettings::default());
    for (n, m) in msgs.iter().enumerate() {
        forward.apply(m, n as i64);
        forward.apply(m, n as i64);
    }
    for (n, m) in msgs.iter().rev().enumerate() {
        backward.apply(m, n as i64);
    }
    assert_eq!(forward.state.profile(), backward.state.profile());
    assert_eq!(forward.event_ids().len(), 20);
}

#[test]
fn bounds_evict_the_oldest_and_count_it() {
    let settings = StateSettings {
        max_events: 3,
        max_traits: 2,
        ..StateSettings::default()
    };
    let mut p = Person::new(settings);
    for (i, at) in [50, 10, 40, 30, 20].into_iter().enumerate() {
        p.apply(&track(&format!("e{at}"), at, "E"), i as i64);
    }
    assert_eq!(p.event_ids(), ["e50", "e40", "e30"]);
    assert_eq!(p.state.counters().events_evicted, 2);
    p.apply(&identify("a", 1, &[("old", text("1"))]), 10);
    p.apply(&identify("b", 2, &[("mid", text("2"))]), 11);
    // A new key past max_traits evicts the trait written longest ago; an update of a kept key
    // (the opt-out) always applies.
    p.apply(
        &identify("c", 3, &[("new", text("3")), ("mid", Value::Bool(false))]),
        12,
    );
    assert_eq!(p.trait_value("old"), None);
    assert_eq!(p.trait_value("mid"), Some(Value::Bool(false)));
    assert_eq!(p.trait_value("new"), Some(text("3")));
    assert_eq!(p.state.counters().traits_evicted, 1);
    // Bytes: past max_bytes the oldest events go first.
    let before = p.state.bytes();
    p.settings.max_bytes = before - 1;
    p.apply(&track("e60", 60, "E"), 13);
    assert!(p.state.bytes() <= p.settings.max_bytes);
    assert_eq!(p.event_ids().first().map(String::as_str), Some("e60"));
    assert!(p.state.trait_count() == 2);
    // With no event left, traits go too, the oldest first.
    p.settings.max_bytes = 1;
    p.apply(&identify("d", 9, &[("newest", text("4"))]), 14);
    assert!(p.state.is_empty());
}

#[test]
fn retention_deletes_rows_stored_too_long_ago() {
    let mut p = Person::new(StateSettings {
        retention_ms: 100,
        ..StateSettings::default()
    });
    p.apply(&identify("i", 1, &[("a", text("x")), ("b", text("y"))]), 0);
    p.apply(&track("t", 1, "E"), 50);
    assert_eq!(p.state.next_expiry(&p.settings), Some(101));
    // `b` stored again at 80: it stays when `a` goes.
    p.apply(&identify("j", 2, &[("b", text("z"))]), 80);
    let r = p.state.expire(&p.settings, 120);
    assert_eq!(p.check(r).outcome, Outcome::Changed);
    assert_eq!(p.trait_value("a"), None);
    assert_eq!(p.trait_value("b"), Some(text("z")));
    assert_eq!(p.event_ids(), ["t"]);
    // The message id `i` was forgotten too: a replay after retention applies again.
    assert!(!p.state.seen.contains_key("i"));
    let r = p.state.expire(&p.settings, 1_000);
    p.check(r);
    assert!(p.state.is_empty());
    let c = p.state.counters();
    assert_eq!((c.traits_expired, c.events_expired), (2, 1));
    assert_eq!(p.state.next_expiry(&p.settings), None);
}

#[test]
fn erasure_keeps_nothing_and_suppresses_until_lifted() {
    let mut p = Person::new(StateSettings::default());
    p.apply(&identify("i", 1, &[("email", text("u1@example.com"))]), 0);
    p.apply(&track("t", 1, "E"), 0);
    let r = p.state.erase(5);
    let applied = p.check(r);
    assert_eq!(applied.changes.first(), Some(&Change::Clear));
    assert!(p.state.is_empty());
    assert_eq!(p.state.suppressed_since(), Some(5));
    // The rows left are the metadata only, and hold nothing of the profile.
    assert_eq!(p.rows.0.len(), 1);
    assert!(!p
        .rows
        .0
        .values()
        .any(|b| String::from_utf8_lossy(b).contains("example.com")));
    assert_eq!(p.apply(&track("t2", 9, "E"), 6), Outcome::Suppressed);
    let fetched = Profile {
        traits: vec![Trait {
            key: "a".into(),
            value: text("b"),
            audience: false,
        }],
        ..Profile::default()
    };
    let r = p.state.merge_fetched(&fetched, 7, true, &p.settings, 7);
    assert_eq!(p.check(r).outcome, Outcome::Suppressed);
    assert!(p.state.is_empty());
    // The KV copies are still to delete; a publication that finishes meanwhile does not end
    // that, only the confirmed deletion does.
    assert_eq!(p.state.publish_due(6, false), Some(6));
    let r = p.state.published(p.state.version() - 1, 6);
    p.check(r);
    assert!(p.state.kv_erase_pending());
    assert_eq!(p.state.publish_due(7, false), Some(1_006));
    let r = p.state.kv_erased(1_006);
    p.check(r);
    assert!(!p.state.kv_erase_pending());
    assert_eq!(p.state.publish_due(1_007, false), None);
    let r = p.state.lift_suppression(false, 1_008);
    p.check(r);
    assert_eq!(p.apply(&track("t3", 1_009, "E"), 1_009), Outcome::Changed);
}

#[test]
fn an_erasure_is_a_watermark_that_outlives_the_suppression() {
    let mut p = Person::new(StateSettings::default());
    let before = identify("old", 1_000, &[("first_name", text("Ana"))]);
    p.apply(&before, 1_000);
    let r = p.state.erase(5_000);
    p.check(r);
    let r = p.state.lift_suppression(false, 6_000);
    p.check(r);
    assert_eq!(p.state.erased_at(), Some(5_000));
    // The signed identify from before the erasure, replayed: refused, for ever.
    assert_eq!(p.apply(&before, 7_000), Outcome::Erased);
    assert_eq!(
        p.apply(
            &identify("older", 5_000, &[("first_name", text("Ana"))]),
            7_000
        ),
        Outcome::Erased
    );
    assert_eq!(p.trait_value("first_name"), None);
    assert_eq!(
        p.apply(
            &identify("new", 6_500, &[("first_name", text("Bea"))]),
            7_000
        ),
        Outcome::Changed
    );
    // A lift with the KV deletion still unconfirmed: the deletion is still due, first.
    let mut q = Person::new(StateSettings::default());
    let r = q.state.erase(10);
    q.check(r);
    let r = q.state.lift_suppression(false, 11);
    q.check(r);
    assert!(q.state.kv_erase_pending());
    assert_eq!(q.state.publish_due(12, false), Some(12));
}

#[test]
fn meta_rows_of_the_layout_before_the_watermark_are_read() {
    let old = MetaV1 {
        user_id: "u1".into(),
        version: 7,
        counters: Counters::default(),
        updated_at_ms: Some(3),
        published_version: 6,
        published_at_ms: 4,
        kv_erase_pending: true,
        suppressed_since_ms: Some(5),
        fetch: None,
    };
    let body = rows::encode(&old).unwrap();
    let state = PersonState::from_rows([(RowKind::Meta.code(), META_KEY.to_string(), body)])
        .unwrap()
        .unwrap();
    assert_eq!(state.version(), 7);
    assert_eq!(state.suppressed_since(), Some(5));
    assert_eq!(state.erased_at(), Some(5));
    assert!(state.kv_erase_pending());
}

#[test]
fn publication_is_coalesced_to_one_per_interval() {
    let mut p = Person::new(StateSettings::default());
    assert_eq!(p.state.publish_due(0, false), None);
    p.apply(&track("a", 1, "E"), 1_000);
    assert_eq!(p.state.publish_due(1_000, false), Some(1_000));
    let r = p.state.published(p.state.version(), 1_000);
    p.check(r);
    p.apply(&track("b", 2, "E"), 1_100);
    p.apply(&track("c", 3, "E"), 1_200);
    assert_eq!(p.state.publish_due(1_200, false), Some(2_000));
    assert_eq!(p.state.publish_due(2_500, false), Some(2_500));
    // Published, but a reader found KV without it (expired): due again.
    let r = p.state.published(p.state.version(), 2_500);
    p.check(r);
    assert_eq!(p.state.publish_due(3_000, false), None);
    assert_eq!(p.state.publish_due(3_000, true), Some(3_500));
    // A new person's first publication waits for the first Profile API attempt.
    let mut fresh = PersonState::new("u2", true, 0);
    let applied = fresh
        .apply(&track("a", 1, "E"), &StateSettings::default(), 0)
        .unwrap();
    assert_eq!(applied.outcome, Outcome::Changed);
    assert_eq!(fresh.publish_due(0, false), None);
    assert_eq!(
        fresh.next_wake(&StateSettings::default(), 0, false),
        Some(0)
    );
    fresh
        .fetch_failed(false, &StateSettings::default(), 10)
        .unwrap();
    assert_eq!(fresh.publish_due(10, false), Some(10));
}

#[test]
fn partial_and_failed_fetches_are_retried_with_backoff() {
    let settings = StateSettings {
        fetch_retry_ms: 1_000,
        max_fetch_attempts: 3,
        ..StateSettings::default()
    };
    let mut p = Person::new(settings);
    p.state = PersonState::new("u1", true, 0);
    let traits_only = Profile {
        traits: vec![Trait {
            key: "tier".into(),
            value: text("Gold"),
            audience: false,
        }],
        ..Profile::default()
    };
    let r = p
        .state
        .merge_fetched(&traits_only, 100, false, &p.settings, 100);
    p.check(r);
    assert_eq!(
        p.state.pending_fetch(),
        Some(PendingFetch {
            attempts: 1,
            due_ms: 1_100,
            partial: true
        })
    );
    let r = p.state.fetch_failed(false, &p.settings, 1_100);
    p.check(r);
    assert_eq!(p.state.pending_fetch().map(|f| f.due_ms), Some(3_100));
    let r = p.state.fetch_failed(false, &p.settings, 3_100);
    p.check(r);
    assert_eq!(p.state.pending_fetch(), None);
    assert_eq!(p.state.counters().fetches_given_up, 1);
    assert_eq!(p.trait_value("tier"), Some(text("Gold")));
    // A complete answer ends the retries; a message newer than the fetch keeps its value.
    p.state = PersonState::new("u1", true, 0);
    p.rows = Rows::default();
    p.apply(&identify("i", 500, &[("tier", text("Platinum"))]), 0);
    let mut full = traits_only.clone();
    full.events.push(Event {
        message_id: "e".into(),
        name: "E".into(),
        timestamp_ms: 1,
        properties: Vec::new(),
    });
    let r = p.state.merge_fetched(&full, 100, true, &p.settings, 600);
    p.check(r);
    assert_eq!(p.state.pending_fetch(), None);
    assert_eq!(p.trait_value("tier"), Some(text("Platinum")));
    assert_eq!(p.event_ids(), ["e"]);
    // The fetched event's id is known: the same event as a webhook is a duplicate.
    assert_eq!(p.apply(&track("e", 1, "E"), 700), Outcome::Duplicate);
    // 404: nothing to retry.
    p.state = PersonState::new("u1", true, 0);
    p.state.fetch_failed(true, &p.settings, 5).unwrap();
    assert_eq!(p.state.pending_fetch(), None);
    assert_eq!(settings.retry_pause_ms(40), 3_600_000);
}

#[test]
fn stored_rows_are_checked() {
    assert!(PersonState::from_rows(Vec::new()).unwrap().is_none());
    let mut p = Person::new(StateSettings::default());
    p.apply(&track("t", 1, "E"), 0);
    let mut rows: Vec<(i64, String, Vec<u8>)> = p
        .rows
        .0
        .iter()
        .map(|((k, key), b)| (*k, key.clone(), b.clone()))
        .collect();
    let without_meta: Vec<_> = rows.iter().filter(|r| r.0 != 0).cloned().collect();
    assert_eq!(
        PersonState::from_rows(without_meta)
            .unwrap_err()
            .to_string(),
        "state row meta meta corrupt: missing"
    );
    rows.push((9, "x".into(), Vec::new()));
    assert_eq!(
        PersonState::from_rows(rows.clone())
            .unwrap_err()
            .to_string(),
        "state row kind 9 x corrupt: unknown row kind"
    );
    rows.pop();
    if let Some(r) = rows.iter_mut().find(|r| r.0 == RowKind::Event.code()) {
        r.2.truncate(3);
    }
    assert!(PersonState::from_rows(rows).is_err());
    let u = track("t", 1, "E");
    assert_eq!(Update::decode(&u.encode().unwrap()).unwrap(), u);
    assert!(Update::decode(b"\x01junk").is_err());
}

/// The write rules of the default server policy, no consent needed.
fn rules(forward: bool) -> WriteRules<'static> {
    let policy: &'static crate::PrivacyPolicy =
        Box::leak(Box::new(crate::PrivacyPolicy::default()));
    WriteRules {
        policy,
        consent: &[],
        forward,
    }
}

fn memory(text: &str) -> MemoryInput {
    MemoryInput {
        text: text.into(),
        key: None,
        category: None,
        source: "rest".into(),
    }
}

impl Person {
    fn remember(&mut self, input: &MemoryInput, forward: bool, now: i64) -> crate::Memory {
        let r = self
            .state
            .remember_memory(input, &rules(forward), &self.settings, now)
            .unwrap();
        self.check(Ok(r.applied));
        r.memory
    }
    fn memory_texts(&self) -> Vec<String> {
        self.rows
            .load()
            .map(|s| s.memories().map(|m| m.text.clone()).collect())
            .unwrap_or_default()
    }
}

#[test]
fn memories_are_stored_listed_newest_first_and_forgotten_by_id() {
    let mut p = Person::new(StateSettings::default());
    let seat = p.remember(
        &MemoryInput {
            key: Some(" seat_preference ".into()),
            category: Some("travel".into()),
            ..memory("  prefers aisle seats ")
        },
        false,
        1_000,
    );
    assert_eq!(seat.text, "prefers aisle seats");
    assert_eq!(seat.key.as_deref(), Some("seat_preference"));
    assert_eq!(seat.created_ms, 1_000);
    let v = p.state.version();
    let nuts = p.remember(&memory("allergic to peanuts"), false, 2_000);
    assert_ne!(seat.id, nuts.id);
    assert!(p.state.version() > v);
    assert_eq!(
        p.memory_texts(),
        ["allergic to peanuts", "prefers aisle seats"]
    );
    assert_eq!(p.state.profile().memories.len(), 2);
    assert!(!p.state.is_empty());

    let v = p.state.version();
    let r = p.state.forget_memory(&seat.id);
    p.check(r.map_err(|e| match e {
        MemoryError::State(s) => s,
        other => panic!("{other}"),
    }));
    assert!(p.state.version() > v);
    assert_eq!(p.memory_texts(), ["allergic to peanuts"]);
    assert_eq!(
        p.state.forget_memory(&seat.id),
        Err(MemoryError::NotFound { id: seat.id })
    );
}

#[test]
fn bad_memories_are_refused_with_what_is_wrong_and_nothing_is_written() {
    let mut p = Person::new(StateSettings {
        max_memory_chars: 10,
        ..StateSettings::default()
    });
    let s = p.settings;
    assert_eq!(
        p.state
            .remember_memory(&memory("   "), &rules(false), &s, 1),
        Err(MemoryError::Empty)
    );
    let e = p
        .state
        .remember_memory(&memory("ünïcödé text"), &rules(false), &s, 1)
        .unwrap_err();
    assert_eq!(
        e,
        MemoryError::TooLong {
            field: "text",
            chars: 12,
            max: 10
        }
    );
    assert_eq!(
        e.to_string(),
        "memory text is 12 characters long (at most 10)"
    );
    let long_key = MemoryInput {
        key: Some("k".repeat(65)),
        ..memory("ok")
    };
    assert!(matches!(
        p.state.remember_memory(&long_key, &rules(false), &s, 1),
        Err(MemoryError::TooLong { field: "key", .. })
    ));
    assert_eq!(p.state.memory_count(), 0);
    assert_eq!(p.state.version(), 0);
    // Exactly at the limit is fine, counted in characters.
    p.remember(&memory("éééééééééé"), false, 1);
    assert_eq!(p.state.memory_count(), 1);
}

#[test]
fn past_the_count_the_oldest_memory_goes() {
    let mut p = Person::new(StateSettings {
        max_memories: 3,
        ..StateSettings::default()
    });
    for i in 0..5 {
        p.remember(&memory(&format!("fact {i}")), false, 1_000 + i);
    }
    assert_eq!(p.memory_texts(), ["fact 4", "fact 3", "fact 2"]);
}

#[test]
fn memories_expire_after_their_retention_and_go_with_erasure() {
    let settings = StateSettings {
        memory_retention_ms: 10 * DAY_MS,
        ..StateSettings::default()
    };
    let mut p = Person::new(settings);
    p.remember(&memory("old"), false, 0);
    p.remember(&memory("new"), false, 5 * DAY_MS);
    assert_eq!(p.state.next_expiry(&settings), Some(10 * DAY_MS + 1));
    let r = p.state.expire(&settings, 10 * DAY_MS);
    assert_eq!(p.check(r).outcome, Outcome::Changed);
    assert_eq!(p.memory_texts(), ["new"]);

    let r = p.state.erase(11 * DAY_MS);
    p.check(r);
    assert_eq!(p.state.memory_count(), 0);
    assert!(p.memory_texts().is_empty());
    assert_eq!(
        p.state
            .remember_memory(&memory("after"), &rules(false), &settings, 12 * DAY_MS),
        Err(MemoryError::Suppressed)
    );
}

#[test]
fn forwarding_is_due_retried_with_backoff_and_its_echo_is_a_duplicate() {
    let settings = StateSettings {
        forward_retry_ms: 1_000,
        max_forward_attempts: 3,
        ..StateSettings::default()
    };
    let mut p = Person::new(settings);
    let m = p.remember(&memory("likes window seats"), true, 100);
    assert_eq!(p.state.next_wake(&settings, 100, false), Some(100));
    assert_eq!(p.state.forwards_due(100), vec![m.clone()]);
    // The first failure waits forward_retry_ms, the second twice that; the third gives up.
    let r = p.state.forward_done(&m.id, false, &settings, 200);
    p.check(r);
    assert!(p.state.forwards_due(1_199).is_empty());
    assert_eq!(p.state.forwards_due(1_200).len(), 1);
    assert_eq!(
        p.rows
            .load()
            .unwrap()
            .forward_pending(&m.id)
            .unwrap()
            .attempts,
        1
    );
    let _ = p
        .state
        .forward_done(&m.id, false, &settings, 1_200)
        .unwrap();
    assert_eq!(p.state.next_forward(), Some(3_200));
    let _ = p
        .state
        .forward_done(&m.id, false, &settings, 3_200)
        .unwrap();
    assert_eq!(p.state.next_forward(), None);
    assert_eq!(p.state.memory_count(), 1);

    let m2 = p.remember(&memory("vegetarian"), true, 5_000);
    let r = p
        .state
        .forward_done(&m2.id, true, &settings, 5_100)
        .unwrap();
    p.check(Ok(r));
    assert!(p.state.forwards_due(i64::MAX).is_empty());

    // Segment sends the forwarded call back through the webhook: recognised, nothing stored.
    let mid = p.state.memory_message_id(&m2.id);
    let body = p.state.track_body(&m2);
    assert_eq!(body["messageId"], mid.as_str());
    assert_eq!(body["userId"], "u1");
    assert_eq!(body["event"], MEMORY_EVENT);
    assert_eq!(body["properties"]["text"], "vegetarian");
    assert_eq!(body["timestamp"], "1970-01-01T00:00:05.000Z");
    assert_eq!(m2.to_json()["item_id"], format!("memory:{}", m2.id));
    let echo = Update {
        message_id: Some(mid.clone()),
        at_ms: 5_000,
        traits: Vec::new(),
        event: Some(Event {
            message_id: mid,
            name: MEMORY_EVENT.into(),
            timestamp_ms: 5_000,
            properties: vec![("text".into(), Value::Text("vegetarian".into()))],
        }),
    };
    let version = p.state.version();
    assert_eq!(p.apply(&echo, 6_000), Outcome::Duplicate);
    assert_eq!(p.state.version(), version);
    assert_eq!(p.state.event_count(), 0);
    // Recognised even once the message id is no longer remembered as seen.
    let mut reloaded = p.rows.load().unwrap();
    reloaded.seen.clear();
    assert_eq!(
        reloaded.apply(&echo, &settings, 6_000).unwrap().outcome,
        Outcome::Duplicate
    );
}

#[test]
fn outcomes_travel_as_lowercase_names() {
    for (outcome, name) in [
        (Outcome::Changed, "changed"),
        (Outcome::Duplicate, "duplicate"),
        (Outcome::Stale, "stale"),
        (Outcome::Suppressed, "suppressed"),
        (Outcome::Erased, "erased"),
    ] {
        let json = serde_json::to_value(outcome).unwrap();
        assert_eq!(json, serde_json::json!(name));
        assert_eq!(serde_json::from_value::<Outcome>(json).unwrap(), outcome);
    }
    assert!(serde_json::from_value::<Outcome>(serde_json::json!("other")).is_err());
}

#[test]
fn null_unsets_a_trait_in_message_order() {
    let mut p = Person::new(StateSettings::default());
    p.apply(&identify("a", 1_000, &[("first_name", text("Ana"))]), 10);
    let version = p.state.version();
    assert_eq!(
        p.apply(&identify("b", 2_000, &[("first_name", Value::Null)]), 20),
        Outcome::Changed
    );
    assert_eq!(
        p.trait_value("first_name"),
        None,
        "unset: no trait, not \"null\""
    );
    assert_eq!(p.state.trait_count(), 0);
    assert!(p.state.is_empty());
    assert!(p.state.version() > version);
    // An older message arriving late does not bring the value back; a newer one sets it again.
    assert_eq!(
        p.apply(&identify("c", 1_500, &[("first_name", text("Old"))]), 30),
        Outcome::Stale
    );
    assert_eq!(p.trait_value("first_name"), None);
    p.apply(&identify("d", 3_000, &[("first_name", text("Bea"))]), 40);
    assert_eq!(p.trait_value("first_name"), Some(text("Bea")));
    // Unsetting what was never set changes nothing anyone sees.
    assert_eq!(
        p.apply(&identify("e", 4_000, &[("nickname", Value::Null)]), 50),
        Outcome::Stale
    );
    assert_eq!(p.state.trait_count(), 1);
}

#[test]
fn a_message_dated_in_the_future_never_outranks_the_next_ones() {
    let mut p = Person::new(StateSettings::default());
    let now = 1_796_083_200_000; // 2026-12-01
    let year_2099 = 4_070_908_800_000;
    p.apply(
        &identify("future", year_2099, &[("tier", text("Forged"))]),
        now,
    );
    assert_eq!(
        p.apply(
            &identify("true", now + 1_000, &[("tier", text("Gold"))]),
            now + 2_000
        ),
        Outcome::Changed
    );
    assert_eq!(p.trait_value("tier"), Some(text("Gold")));
    // A row stored before this rule, with its future time as it came: it counts as of its storing.
    let mut old = Person::new(StateSettings::default());
    old.state.traits.insert(
        "tier".into(),
        (
            TraitRow {
                value: text("Pinned"),
                audience: false,
                at_ms: year_2099,
                message_id: "old".into(),
                stored_ms: now,
            },
            10,
        ),
    );
    old.state.trait_order.insert((year_2099, "tier".into()));
    let applied = old
        .state
        .apply(
            &identify("new", now + 600_000, &[("tier", text("Gold"))]),
            &old.settings,
            now + 600_000,
        )
        .unwrap();
    assert_eq!(applied.outcome, Outcome::Changed);
}

#[test]
fn memory_limits_count_the_normalized_text() {
    let mut st = PersonState::new("u1", false, 0);
    let settings = StateSettings::default();
    // 500 × U+FDFA is 500 characters as sent and 9,000 once normalized.
    let wide = memory(&"\u{FDFA}".repeat(500));
    assert_eq!(
        st.remember_memory(&wide, &rules(false), &settings, 1)
            .unwrap_err(),
        MemoryError::TooLong {
            field: "text",
            chars: 9000,
            max: 500
        }
    );
    // Invisible characters do not count; fullwidth letters count once each.
    let hidden = memory(&format!("{}{}", "a".repeat(500), "\u{200B}".repeat(100)));
    assert!(st
        .remember_memory(&hidden, &rules(false), &settings, 2)
        .is_ok());
    let key = MemoryInput {
        key: Some("\u{FDFA}".repeat(4)),
        ..memory("ok")
    };
    assert!(matches!(
        st.remember_memory(&key, &rules(false), &settings, 3),
        Err(MemoryError::TooLong { field: "key", .. })
    ));
}

#[test]
fn a_costly_publication_is_spaced_out_an_erasure_never() {
    let mut p = Person::new(StateSettings::default());
    let note = text(&"zebra ".repeat(2_000));
    for i in 0..300 {
        let key = format!("note_{i}");
        p.apply(
            &identify(&format!("m{i}"), i, &[(key.as_str(), note.clone())]),
            i,
        );
    }
    assert!(p.state.bytes() > 3 << 20);
    let spacing = p.state.publish_spacing_ms();
    assert!(spacing >= 6_000, "{spacing}");
    assert!(
        spacing <= crate::state::MAX_PUBLISH_SPACING_MS,
        "{spacing}: under hibernation"
    );
    let r = p.state.published(p.state.version(), 100);
    p.check(r);
    p.apply(&identify("late", 200, &[("tier", text("Gold"))]), 200);
    assert_eq!(p.state.publish_due(300, false), Some(100 + spacing));
    let r = p.state.erase(400);
    p.check(r);
    assert_eq!(p.state.publish_due(1_200, false), Some(1_200));
}

#[test]
fn compiling_from_the_state_is_compiling_its_profile() {
    use crate::policy::{PrivacyPolicy, Target};
    use crate::snapshot::{compile, Compiler};
    let mut p = Person::new(StateSettings::default());
    for policy in [
        PrivacyPolicy::new(Target::Server),
        PrivacyPolicy::new(Target::Browser),
    ] {
        let mut compiler = Compiler::new(policy.clone());
        for (i, update) in [
            identify(
                "i1",
                1_000,
                &[("tier", text("Gold")), ("email", text("a@b.co"))],
            ),
            track("t1", 2_000, "Viewed"),
            track("t2", 3_000, "Viewed"),
            identify("i2", 4_000, &[("tier", text("Platinum"))]),
            track("t3", 5_000, "Checkout Started"),
        ]
        .iter()
        .enumerate()
        {
            p.apply(update, 10 + i as i64);
            assert_eq!(
                p.state.compile(&mut compiler),
                compile(&p.state.profile(), &policy),
                "after update {i}"
            );
        }
    }
}

#[test]
fn an_assembly_prepared_from_the_state_runs_while_the_state_moves_on() {
    use crate::policy::PrivacyPolicy;
    use crate::snapshot::pace::{self, Every};
    use crate::snapshot::{compile, Compiler};
    let mut p = Person::new(StateSettings::default());
    p.apply(&identify("i1", 1_000, &[("tier", text("Gold"))]), 10);
    p.apply(&track("t1", 2_000, "Viewed"), 20);
    let before = p.state.profile();
    let mut compiler = Compiler::new(PrivacyPolicy::default());
    let assembly = p.state.prepare_compile(&mut compiler);
    // The assembly borrows the compiler only: the state takes updates while it runs.
    p.apply(&identify("i2", 3_000, &[("tier", text("Platinum"))]), 30);
    p.apply(&track("t2", 4_000, "Checkout Started"), 40);
    let mut pauses = 0;
    let snapshot = pace::ready(assembly.run(&mut Every::new(1, || {
        pauses += 1;
        std::future::ready(())
    })));
    assert!(pauses > 5, "{pauses} pauses");
    assert_eq!(snapshot, compile(&before, &PrivacyPolicy::default()));
    compiler.assembled(&snapshot);
    // The compiler goes on to the state as it is now.
    assert_eq!(
        p.state.compile(&mut compiler),
        compile(&p.state.profile(), &PrivacyPolicy::default())
    );
}

#[test]
fn warming_skips_a_compiler_that_saw_the_state_unless_much_was_written_since() {
    use crate::policy::PrivacyPolicy;
    use crate::snapshot::{compile, Compiler};
    let mut p = Person::new(StateSettings::default());
    p.apply(&identify("i1", 1_000, &[("tier", text("Gold"))]), 10);
    let mut compiler = Compiler::new(PrivacyPolicy::default());
    // A compiler that never saw the state analyzes what warming reaches.
    let first = crate::work::steps_of(|| assert!(p.state.warm(&mut compiler, 1 << 20)));
    assert!(first > 0);
    p.state.compile(&mut compiler);
    // One small update since: warming leaves it to the compilation, which analyzes it.
    p.apply(
        &identify("i2", 2_000, &[("tier", text("Platinum plus"))]),
        20,
    );
    let small = crate::work::steps_of(|| assert!(p.state.warm(&mut compiler, 8 << 10)));
    assert_eq!(small, 0, "nothing walked or analyzed");
    assert_eq!(
        p.state.compile(&mut compiler),
        compile(&p.state.profile(), &PrivacyPolicy::default())
    );
    // More than the budget written since: warming analyzes, in slices.
    let words = "lorem ipsum dolor sit amet ".repeat(40);
    for i in 0..20 {
        let key = format!("note_{i}");
        p.apply(
            &identify(&format!("n{i}"), 3_000 + i, &[(key.as_str(), text(&words))]),
            30 + i,
        );
    }
    let mut slices = 0;
    let large = crate::work::steps_of(|| {
        while !p.state.warm(&mut compiler, 8 << 10) {
            slices += 1;
        }
    });
    assert!(large > 0 && slices >= 1, "{large} steps, {slices} slices");
    assert_eq!(
        p.state.compile(&mut compiler),
        compile(&p.state.profile(), &PrivacyPolicy::default())
    );
    // A few bytes that move the person to another zone: every date is read again, in slices.
    p.apply(
        &identify("z", 4_000, &[("timezone", text("America/New_York"))]),
        60,
    );
    let mut slices = 0;
    while !p.state.warm(&mut compiler, 8 << 10) {
        slices += 1;
    }
    assert!(slices >= 1, "a new zone is warmed in slices");
    assert_eq!(
        p.state.compile(&mut compiler),
        compile(&p.state.profile(), &PrivacyPolicy::default())
    );
    // A compiler that saw another state (the same person, loaded again) walks this one.
    let again = p.rows.load().unwrap();
    assert_ne!(again.instance, p.state.instance);
    assert!(again.warm(&mut compiler, 8 << 10));
    assert_eq!(compiler.seen_state, Some((again.instance, 0)));
}

#[test]
fn merging_a_fetched_profile_in_parts_is_merging_it_whole() {
    // Over the bounds (events and traits), as the Worker's migration does it: a slice of events
    // per turn, the traits with the first. (An imported profile's message ids are unique.)
    let settings = StateSettings {
        max_events: 40,
        max_traits: 8,
        ..StateSettings::default()
    };
    let events: Vec<Event> = (0..90)
        .map(|i| Event {
            message_id: format!("m{i}"),
            name: format!("E{}", i % 4),
            timestamp_ms: 1_000 + (i * 37 % 90) * 1_000,
            properties: vec![("n".into(), Value::Number(f64::from(i as i32)))],
        })
        .collect();
    let fetched = Profile {
        traits: (0..12)
            .map(|i| Trait {
                key: format!("k{i}"),
                value: text(&format!("v{i}")),
                audience: false,
            })
            .collect(),
        events,
        ..Profile::default()
    };
    let mut whole = Person::new(settings);
    let r = whole.state.merge_fetched(&fetched, 0, true, &settings, 500);
    whole.check(r);
    let mut parts = Person::new(settings);
    let mut part = fetched.clone();
    let mut rest = std::mem::take(&mut part.events).into_iter();
    loop {
        part.events = rest.by_ref().take(7).collect();
        let r = parts.state.merge_fetched(&part, 0, true, &settings, 500);
        parts.check(r);
        part.traits.clear();
        if rest.len() == 0 {
            break;
        }
    }
    assert_eq!(parts.state.profile(), whole.state.profile());
    assert_eq!(parts.state.event_count(), 40);
    assert_eq!(parts.state.trait_count(), 8);
}
