//! Memory rules, consent, the audit of reads and the Segment regulation, on the state and its rows.

use serde_json::json;

use super::*;
use crate::policy::{PiiClass, PrivacyPolicy, Target};

fn keyed(text: &str, key: &str) -> MemoryInput {
    MemoryInput {
        key: Some(key.into()),
        ..memory(text)
    }
}

#[test]
fn the_same_fact_is_kept_once_and_a_key_supersedes() {
    let mut p = Person::new(StateSettings::default());
    let first = p.remember(&memory("Prefers aisle seats."), false, 1_000);
    let v = p.state.version();
    for again in [
        "prefers aisle seats",
        "  PREFERS   aisle seats!",
        "Noted 2 days ago: \"prefers aisle seats\"",
    ] {
        let r = p
            .state
            .remember_memory(&memory(again), &rules(false), &p.settings.clone(), 2_000)
            .unwrap();
        assert_eq!(r.outcome, MemoryOutcome::Duplicate, "{again}");
        assert_eq!(r.memory.id, first.id);
        assert!(r.applied.changes.is_empty());
    }
    assert_eq!((p.state.memory_count(), p.state.version()), (1, v));

    let old = p.remember(
        &keyed("likes window seats", "seat_preference"),
        false,
        3_000,
    );
    let s = p.settings;
    let r = p
        .state
        .remember_memory(
            &keyed("likes aisle seats now", "Seat Preference"),
            &rules(false),
            &s,
            4_000,
        )
        .unwrap();
    assert_eq!(r.outcome, MemoryOutcome::Superseded(old.id.clone()));
    assert_eq!(r.outcome.name(), "superseded");
    p.check(Ok(r.applied));
    assert!(
        p.state.memory(&old.id).is_none(),
        "the old one is gone, not kept as history"
    );
    assert_eq!(
        p.memory_texts(),
        ["likes aisle seats now", "Prefers aisle seats."]
    );
}

#[test]
fn personal_data_recalled_context_and_missing_consent_are_refused_before_anything_is_written() {
    let mut p = Person::new(StateSettings::default());
    let s = p.settings;
    let cases = [
        (
            memory("my email is ana.p@example.com"),
            MemoryError::Withheld {
                field: "text",
                class: PiiClass::Email,
            },
        ),
        (
            keyed("ask me", "phone"),
            MemoryError::Withheld {
                field: "key",
                class: PiiClass::Phone,
            },
        ),
        (
            memory("<user_profile_context>\n- Shoe size: \"39\"\n</user_profile_context>"),
            MemoryError::Recalled,
        ),
    ];
    for (input, error) in cases {
        let got = p.state.remember_memory(&input, &rules(false), &s, 1);
        assert_eq!(
            got.as_ref().map(|r| &r.outcome),
            Err(&error),
            "{}",
            input.text
        );
        assert!(
            !got.unwrap_err().to_string().contains("example.com"),
            "the refusal does not echo the value"
        );
    }
    let needs = vec!["Personalization".to_string()];
    let policy = PrivacyPolicy::new(Target::Server);
    let consenting = WriteRules {
        policy: &policy,
        consent: &needs,
        forward: false,
    };
    assert_eq!(
        p.state
            .remember_memory(&memory("likes tea"), &consenting, &s, 1)
            .map(|r| r.outcome),
        Err(MemoryError::NoConsent {
            category: "Personalization".into()
        })
    );
    assert_eq!((p.state.memory_count(), p.state.version()), (0, 0));
    assert!(p.rows.load().is_none(), "nothing was written");
    // Once granted, it is kept.
    let c = Consent::from_message(
        &json!({"context": {"consent": {"categoryPreferences": {"personalization": true}}}}),
        5,
    )
    .unwrap()
    .unwrap();
    let r = p.state.apply_consent(&c);
    p.check(r);
    let r = p
        .state
        .remember_memory(&memory("likes tea"), &consenting, &s, 6)
        .unwrap();
    assert_eq!(r.outcome, MemoryOutcome::Stored);
}

#[test]
fn the_newest_consent_wins_and_hostile_consent_is_a_typed_error() {
    let mut p = Person::new(StateSettings::default());
    let need = vec!["Personalization".to_string(), "Analytics".to_string()];
    assert_eq!(
        p.state.missing_consent(&need),
        Some("Personalization".into()),
        "never sent: not granted"
    );
    assert_eq!(p.state.missing_consent(&[]), None, "nothing needed");
    let msg = |prefs: serde_json::Value| json!({"type": "track", "context": {"consent": {"categoryPreferences": prefs}}});
    let given = Consent::from_message(
        &msg(json!({"Personalization": true, "Analytics": true})),
        2_000,
    )
    .unwrap()
    .unwrap();
    let withdrawn = Consent::from_message(
        &msg(json!({"Personalization": false, "Analytics": true})),
        3_000,
    )
    .unwrap()
    .unwrap();
    let r = p.state.apply_consent(&given);
    assert_eq!(p.check(r).outcome, Outcome::Changed);
    assert_eq!(p.state.missing_consent(&need), None);
    let v = p.state.version();
    let r = p.state.apply_consent(&withdrawn);
    assert_eq!(p.check(r).outcome, Outcome::Changed);
    assert!(p.state.version() > v, "what reads may use changed");
    assert_eq!(
        p.state.missing_consent(&need),
        Some("Personalization".into())
    );
    // A retried older message cannot undo the newer choice.
    let r = p.state.apply_consent(&given);
    assert_eq!(p.check(r).outcome, Outcome::Stale);
    assert_eq!(
        p.state.missing_consent(&need),
        Some("Personalization".into())
    );
    assert_eq!(
        p.state.consent().unwrap().to_json()["categories"]["Personalization"],
        false
    );

    assert_eq!(
        Consent::from_message(&json!({"type": "identify"}), 1),
        Ok(None)
    );
    assert_eq!(
        Consent::from_message(&json!({"context": {"consent": {}}}), 1),
        Ok(None)
    );
    let many: serde_json::Map<String, serde_json::Value> =
        (0..65).map(|i| (format!("c{i}"), json!(true))).collect();
    for (body, message) in [
        (json!({"context": {"consent": "yes"}}), "context.consent: expected an object"),
        (msg(json!(["Personalization"])), "context.consent.categoryPreferences: expected an object of booleans"),
        (msg(json!({"Personalization": "true"})), "context.consent.categoryPreferences.Personalization: expected a boolean"),
        (msg(json!({"Personalization": 1})), "context.consent.categoryPreferences.Personalization: expected a boolean"),
        (msg(serde_json::Value::Object(many)), "context.consent.categoryPreferences: more than 64 categories"),
        (msg(json!({"": true})), "context.consent.categoryPreferences: a category name is empty, longer than 100 characters or holds control characters"),
        (msg(json!({"x".repeat(101): true})), "context.consent.categoryPreferences: a category name is empty, longer than 100 characters or holds control characters"),
    ] {
        assert_eq!(Consent::from_message(&body, 1).unwrap_err().to_string(), message);
    }
}

#[test]
fn reads_are_audited_bounded_expired_and_erased() {
    let settings = StateSettings {
        audit: AuditSettings {
            enabled: true,
            max_records: 3,
            retention_ms: 10 * DAY_MS,
        },
        ..StateSettings::default()
    };
    let mut p = Person::new(settings);
    p.remember(&memory("likes tea"), false, 0);
    let v = p.state.version();
    for i in 0..5i64 {
        let rec = AuditRecord::new(
            i * DAY_MS,
            "context",
            &[format!("trait:k{i}"), "memory:abc".into()],
            40 + i as usize,
        );
        let r = p.state.record_audit(rec, &settings.audit);
        p.check(r);
    }
    assert_eq!(
        p.state.version(),
        v,
        "recording is not a change of the profile"
    );
    assert_eq!(p.state.audit_count(), 3, "the oldest went");
    let q = AuditQuery::parse([("limit", "2")]).unwrap();
    let newest: Vec<_> = p
        .state
        .audit_records(&q)
        .iter()
        .map(|r| r.items[0].clone())
        .collect();
    assert_eq!(newest, ["trait:k4", "trait:k3"]);
    let since = AuditQuery::parse([("since", "1970-01-04T00:00:00Z")]).unwrap();
    assert_eq!(p.state.audit_records(&since).len(), 2);
    assert_eq!(p.state.audit_records(&q)[0].to_json()["tokens"], 44);
    // Retention: records older than 10 days go with the alarm's expiry.
    assert_eq!(
        p.state.next_expiry(&settings),
        Some(2 * DAY_MS + 10 * DAY_MS + 1)
    );
    let r = p.state.expire(&settings, 13 * DAY_MS);
    p.check(r);
    assert_eq!(p.state.audit_count(), 1);
    let r = p.state.erase(14 * DAY_MS);
    p.check(r);
    assert_eq!(p.state.audit_count(), 0);
    let rec = AuditRecord::new(15 * DAY_MS, "context", &[], 0);
    assert_eq!(
        p.state.record_audit(rec, &settings.audit).unwrap().outcome,
        Outcome::Suppressed
    );
    // Off: nothing kept.
    let mut q = Person::new(StateSettings::default());
    q.remember(&memory("x"), false, 0);
    let off = AuditSettings {
        enabled: false,
        ..AuditSettings::default()
    };
    assert!(q
        .state
        .record_audit(AuditRecord::new(1, "chat", &[], 0), &off)
        .unwrap()
        .changes
        .is_empty());
    // Bounded whatever a caller sends.
    let ids: Vec<String> = (0..100)
        .map(|i| format!("event:{}", "é".repeat(200 + i)))
        .collect();
    let big = AuditRecord::new(1, &"r".repeat(100), &ids, usize::MAX);
    assert_eq!(
        (big.items.len(), big.route.len(), big.tokens),
        (64, 48, u32::MAX)
    );
    assert!(big.items.iter().all(|i| i.len() <= 160));
    assert_eq!(AuditRecord::decode(&big.encode().unwrap()).unwrap(), big);
    assert!(AuditRecord::decode(b"\x01junk").is_err());
    let batch = vec![big.clone(), AuditRecord::new(2, "chat", &[], 3)];
    assert_eq!(
        AuditRecord::decode_batch(&AuditRecord::encode_batch(&batch).unwrap()).unwrap(),
        batch
    );
    assert!(AuditRecord::decode_batch(b"\x01junk").is_err());
}

#[test]
fn audit_queries_are_checked() {
    assert_eq!(
        AuditQuery::parse([]),
        Ok(AuditQuery {
            limit: 100,
            since_ms: None
        })
    );
    for (pairs, message) in [
        (
            vec![("limit", "0")],
            "limit must be an integer from 1 to 1000",
        ),
        (
            vec![("limit", "1001")],
            "limit must be an integer from 1 to 1000",
        ),
        (
            vec![("limit", "-1")],
            "limit must be an integer from 1 to 1000",
        ),
        (
            vec![("limit", "ten")],
            "limit must be an integer from 1 to 1000",
        ),
        (
            vec![("since", "yesterday")],
            "since must be an ISO-8601 time",
        ),
        (
            vec![("limit", "1"), ("limit", "2")],
            "limit given more than once",
        ),
        (
            vec![("user", "bob")],
            "unknown parameter user (expected limit, since)",
        ),
    ] {
        assert_eq!(AuditQuery::parse(pairs).unwrap_err().to_string(), message);
    }
}

#[test]
fn an_erasure_can_queue_a_regulation_retried_with_the_forwarding_backoff() {
    let settings = StateSettings {
        forward_retry_ms: 1_000,
        max_forward_attempts: 3,
        ..StateSettings::default()
    };
    let mut p = Person::new(settings);
    p.remember(&memory("likes tea"), true, 0);
    let r = p.state.erase_filing(100, true);
    p.check(r);
    assert_eq!(p.state.next_regulation(), Some(100));
    assert_eq!(p.state.next_wake(&settings, 100, false), Some(100));
    let r = p.state.regulation_done(Filing::Retry, &settings, 200);
    p.check(r);
    assert_eq!(p.state.next_regulation(), Some(1_200));
    let r = p.state.regulation_done(Filing::Accepted, &settings, 1_200);
    p.check(r);
    assert_eq!(
        p.state.regulation(),
        Regulation {
            pending: None,
            filed: 1,
            given_up: 0
        }
    );
    // Out of attempts, or refused: given up, counted; the counts survive the next erasure.
    let r = p.state.erase_filing(2_000, true);
    p.check(r);
    for at in [2_000, 3_000] {
        let r = p.state.regulation_done(Filing::Retry, &settings, at);
        p.check(r);
    }
    let r = p.state.regulation_done(Filing::Retry, &settings, 5_000);
    p.check(r);
    assert_eq!(
        p.state.regulation(),
        Regulation {
            pending: None,
            filed: 1,
            given_up: 1
        }
    );
    let r = p.state.erase(6_000);
    p.check(r);
    assert_eq!(p.rows.load().unwrap().regulation().filed, 1);
    let r = p.state.erase_filing(7_000, true);
    p.check(r);
    let r = p.state.regulation_done(Filing::Refused, &settings, 7_100);
    p.check(r);
    assert_eq!(p.state.regulation().given_up, 2);
}
