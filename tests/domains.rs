//! Small hand-made profiles from domains the dev labels do not cover (streaming, B2B SaaS, grocery,
//! travel), each with noise events: the item a support agent would want must be in the top three.
//! They are regression tests, not a measure of generality: they were written by the hands that
//! built the ranker. The lexicon holds only general CDP vocabulary, so each question here is one a
//! general mechanism (stems, the thesaurus, initials, time) can answer; "watch offline on the
//! plane" → `downloads_enabled` needs domain knowledge nothing general has, and was dropped.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use edge_persona::snapshot::compile;
use edge_persona::PrivacyPolicy;
use edge_persona::{import_bundle, ImportLimits};
use edge_persona::{rank, RankSettings};
use serde_json::{json, Value};

use common::{HOUR_MS, NOW_MS as NOW};

/// A bundle with the given traits, the given events, and 300 noise events (logins, page views,
/// e-mail opens) spread over the last year.
fn bundle(traits: Value, events: &[(&str, &str, i64, Value)]) -> String {
    let mut data: Vec<Value> = events
        .iter()
        .map(|(id, name, hours, props)| {
            common::event(id, name, NOW - hours * HOUR_MS, props.clone())
        })
        .collect();
    let pages = ["Home", "Pricing", "Help Center", "Account Settings", "Blog"];
    for i in 0..300i64 {
        let (name, props) = match i % 3 {
            0 => ("User Login", json!({"method": "password"})),
            1 => (
                "Page Viewed",
                json!({"title": pages[(i as usize) % pages.len()]}),
            ),
            _ => (
                "Email Opened",
                json!({"email_subject": "Your weekly update"}),
            ),
        };
        data.push(common::event(
            &format!("noise_{i}"),
            name,
            NOW - (i * 29 + 1) * HOUR_MS,
            props,
        ));
    }
    common::bundle("user_id:u", traits, data)
}

fn top3(bundle: &str, query: &str) -> Vec<String> {
    let profile = import_bundle(bundle, &ImportLimits::default()).unwrap();
    let snapshot = compile(&profile, &PrivacyPolicy::default());
    rank(
        &snapshot,
        query,
        NOW,
        &RankSettings {
            limit: 3,
            ..RankSettings::default()
        }
        .checked()
        .unwrap(),
    )
    .into_iter()
    .map(|i| i.id)
    .collect()
}

fn assert_top3(bundle: &str, query: &str, expected: &str) {
    let top = top3(bundle, query);
    assert!(
        top.iter().any(|id| id == expected),
        "{query:?}: {expected} not in {top:?}"
    );
}

#[test]
fn streaming() {
    let b = bundle(
        json!({"plan": "Premium 4K", "preferred_genre": "documentary", "profiles_count": 3, "downloads_enabled": true}),
        &[
            (
                "v1",
                "Video Playback Completed",
                14,
                json!({"title": "Planet Deep", "genre": "documentary", "season": 2, "episode": 5}),
            ),
            (
                "v2",
                "Video Playback Started",
                200,
                json!({"title": "Kitchen Wars", "genre": "reality"}),
            ),
            (
                "s1",
                "Subscription Renewed",
                300,
                json!({"plan": "Premium 4K", "amount": 22.99}),
            ),
        ],
    );
    assert_top3(
        &b,
        "Recommend something like the episode I watched last night",
        "event:v1",
    );
    assert_top3(
        &b,
        "Why was I charged 22.99 for my subscription?",
        "event:s1",
    );
    assert_top3(
        &b,
        "Can I download episodes for the plane?",
        "trait:downloads_enabled",
    );
}

#[test]
fn b2b_saas() {
    let b = bundle(
        json!({"company": "Acme", "seats_purchased": 25, "seats_used": 25, "plan_tier": "Team", "renewal_date": "2027-01-15"}),
        &[
            (
                "i1",
                "Invite Failed",
                3,
                json!({"reason": "seat limit reached", "invitee_role": "editor"}),
            ),
            ("t1", "Trial Started", 2000, json!({"plan": "Business"})),
            (
                "n1",
                "Invoice Paid",
                500,
                json!({"amount": 1250, "currency": "USD"}),
            ),
        ],
    );
    assert_top3(
        &b,
        "I can't invite my colleague to our workspace",
        "event:i1",
    );
    assert_top3(&b, "How many seats do we have left?", "trait:seats_used");
    assert_top3(&b, "When does our contract renew?", "trait:renewal_date");
}

#[test]
fn grocery() {
    let b = bundle(
        json!({"dietary_preference": "vegan", "delivery_slot_preference": "evening", "loyalty_points": 340}),
        &[
            (
                "o1",
                "Order Completed",
                30,
                json!({"order_id": "G-118", "items": ["oat milk", "tofu", "spinach"], "substitutions": 1}),
            ),
            (
                "o2",
                "Item Substituted",
                29,
                json!({"order_id": "G-118", "original": "oat milk", "replacement": "soy milk"}),
            ),
            (
                "d1",
                "Delivery Scheduled",
                5,
                json!({"order_id": "G-121", "window": "18:00-20:00"}),
            ),
        ],
    );
    assert_top3(
        &b,
        "Why did I get soy milk instead of oat milk?",
        "event:o2",
    );
    assert_top3(&b, "When will my groceries be delivered?", "event:d1");
    assert_top3(&b, "Do you have vegan options?", "trait:dietary_preference");
}

#[test]
fn travel() {
    let b = bundle(
        json!({"home_airport": "SFO", "frequent_flyer_tier": "Silver", "miles_balance": 48200, "seat_preference": "aisle"}),
        &[
            (
                "f1",
                "Flight Booked",
                48,
                json!({"booking_ref": "QX7P2", "route": "SFO-LHR", "departure": "2026-12-02"}),
            ),
            (
                "b1",
                "Baggage Delayed",
                400,
                json!({"booking_ref": "ML22A", "bag_tag": "BA123456"}),
            ),
            (
                "h1",
                "Hotel Booked",
                47,
                json!({"city": "London", "nights": 4}),
            ),
        ],
    );
    assert_top3(&b, "Can I change my flight to London?", "event:f1");
    assert_top3(&b, "How many miles do I have?", "trait:miles_balance");
    assert_top3(&b, "My suitcase never arrived last time", "event:b1");
}
