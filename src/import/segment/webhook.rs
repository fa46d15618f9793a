//! One Segment message, as a webhook destination receives it (identify, track, page, screen; Engage
//! audience and computed-trait payloads, which are identify or track calls; `delete`, Segment's user
//! deletion), read into what the person's state does with it: a typed [`Update`], an erasure, or
//! nothing. Values are read with the importer's own rules and [`ImportLimits`]; the whole message
//! is one item ([`ImportLimits::max_item_bytes`], Segment's own size for one call).
//!
//! As Segment means them: a trait whose value is `null` is unset (the state forgets its value, in
//! the message's order); `null` properties and members are dropped. A message time later than its
//! receipt by more than [`MAX_FUTURE_SKEW_MS`] is a clock gone wrong (or a forged message trying
//! to win every later write): the message is taken as of its receipt, and that is the time stored
//! for its traits and its event.

use serde_json::Value as Json;

use super::{check_limit, convert, invalid, read_event, Item};
use crate::errors::ImportError;
use crate::import::ImportLimits;
use crate::profile::{Trait, Value};
use crate::state::{Update, MAX_FUTURE_SKEW_MS};
use crate::time::parse_timestamp;

/// What a Segment message asks of a person's state.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// Apply this update to `user_id`'s state.
    Update {
        /// Whose state.
        user_id: String,
        /// What to apply.
        update: Update,
    },
    /// Segment's user deletion (`type: "delete"`): erase everything about `user_id`.
    Delete {
        /// Whom to erase.
        user_id: String,
    },
    /// Nothing to apply; the reason, for the answer.
    Ignored {
        /// Why (`no userId`, `nothing to apply`, …).
        reason: &'static str,
    },
}

/// The user id a Segment message is about (`userId`, or `user_id` in Engage payloads), trimmed;
/// `None` when absent, blank or longer than an identity may be.
pub fn webhook_user_id(payload: &Json) -> Option<String> {
    ["userId", "user_id"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(Json::as_str))
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= crate::identity::MAX_USER_ID_BYTES)
        .map(str::to_string)
}

/// The members that may carry a message's time, in the order Segment means them: `timestamp`
/// (the event's time, corrected for clock skew), then the others.
const TIME_KEYS: [&str; 4] = ["timestamp", "originalTimestamp", "receivedAt", "sentAt"];

/// Reads one Segment message received at `now_ms` (also the time of a message that carries none,
/// or whose time is more than [`MAX_FUTURE_SKEW_MS`] later). Malformed
/// content (a trait or property over a limit, a time that is not ISO-8601) is an error naming
/// its place; a message with nothing this state keeps is [`Message::Ignored`].
pub fn parse_message(
    payload: &Json,
    limits: &ImportLimits,
    now_ms: i64,
) -> Result<Message, ImportError> {
    if !payload.is_object() {
        return Err(invalid("(root)", "a Segment message object"));
    }
    let Some(user_id) = webhook_user_id(payload) else {
        return Ok(Message::Ignored {
            reason: "no userId",
        });
    };
    let kind = payload.get("type").and_then(Json::as_str).unwrap_or("");
    if kind == "delete" {
        return Ok(Message::Delete { user_id });
    }
    let message_id = ["messageId", "message_id"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(Json::as_str))
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    if let Some(id) = &message_id {
        check_limit(
            "messageId",
            "max_string_bytes",
            limits.max_string_bytes,
            id.len(),
        )?;
    }
    let at_ms = match TIME_KEYS
        .iter()
        .find(|k| payload.get(**k).is_some_and(|v| !v.is_null()))
    {
        Some(key) => payload
            .get(*key)
            .and_then(Json::as_str)
            .and_then(parse_timestamp)
            .ok_or_else(|| ImportError::Timestamp {
                path: (*key).to_string(),
            })?,
        None => now_ms,
    };
    let at_ms = received_clamp(at_ms, now_ms);
    let mut budget = Item::default();
    let mut traits = Vec::new();
    if kind == "identify" {
        match payload.get("traits") {
            None | Some(Json::Null) => {}
            Some(Json::Object(map)) => {
                for (key, raw) in map {
                    let path = format!("traits.{key}");
                    budget.text(key, &path, limits)?;
                    // `null` stays: the state reads it as "unset this trait".
                    traits.push(Trait {
                        key: key.clone(),
                        value: convert(raw, &path, limits, 1, &mut budget)?,
                        audience: false,
                    });
                }
            }
            Some(_) => return Err(invalid("traits", "an object")),
        }
    }
    let event_name = payload.get("event").and_then(Json::as_str).unwrap_or("");
    if kind == "track" && matches!(event_name, "Audience Entered" | "Audience Exited") {
        let key = payload
            .get("properties")
            .and_then(|p| p.get("audience_key"))
            .and_then(Json::as_str);
        if let Some(key) = key {
            budget.text(key, "properties.audience_key", limits)?;
            traits.push(Trait {
                key: key.to_string(),
                value: Value::Bool(event_name == "Audience Entered"),
                audience: true,
            });
        }
    }
    // An event needs its id (for deduplication and as its item id) and a time of its own.
    let has_time = TIME_KEYS
        .iter()
        .any(|k| payload.get(*k).is_some_and(|v| !v.is_null()));
    let event = match (kind, &message_id) {
        ("track" | "page" | "screen", Some(_)) if has_time => {
            let mut event = read_event(payload, "(root)", limits, &mut budget)?;
            if kind != "track" {
                if let Some(name) = payload.get("name").and_then(Json::as_str) {
                    budget.text(name, "name", limits)?;
                    event.name = name.to_string();
                }
            }
            event.timestamp_ms = received_clamp(event.timestamp_ms, now_ms);
            Some(event)
        }
        _ => None,
    };
    if traits.is_empty() && event.is_none() {
        return Ok(Message::Ignored {
            reason: "nothing to apply",
        });
    }
    Ok(Message::Update {
        user_id,
        update: Update {
            message_id,
            at_ms,
            traits,
            event,
        },
    })
}

/// A message time more than [`MAX_FUTURE_SKEW_MS`] after the receipt `now_ms` becomes the receipt.
fn received_clamp(at_ms: i64, now_ms: i64) -> i64 {
    if at_ms > now_ms.saturating_add(MAX_FUTURE_SKEW_MS) {
        now_ms
    } else {
        at_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// When the test messages are received: 2026-12-01T00:00:00Z.
    const NOW: i64 = 1_796_083_200_000;

    fn parse(v: Json) -> Message {
        parse_message(&v, &ImportLimits::default(), NOW).unwrap()
    }

    fn update(v: Json) -> Update {
        match parse(v) {
            Message::Update { update, .. } => update,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn identify_track_page_and_audiences() {
        let u = update(
            json!({"type": "identify", "userId": " u ", "messageId": "i1",
            "timestamp": "2026-11-20T00:00:00Z", "traits": {"tier": "Gold", "n": 3}}),
        );
        assert_eq!(u.message_id.as_deref(), Some("i1"));
        assert_eq!(u.at_ms, parse_timestamp("2026-11-20T00:00:00Z").unwrap());
        assert_eq!(u.traits.len(), 2);
        assert!(u
            .traits
            .iter()
            .any(|t| t.key == "tier" && t.value == Value::Text("Gold".into())));
        assert!(u.event.is_none());

        let u = update(
            json!({"type": "track", "userId": "u", "messageId": "t1", "event": "Audience Entered",
            "properties": {"audience_key": "vips"}, "timestamp": "2026-11-20T00:00:00Z"}),
        );
        assert_eq!(
            u.traits,
            [Trait {
                key: "vips".into(),
                value: Value::Bool(true),
                audience: true
            }]
        );
        assert_eq!(u.event.unwrap().message_id, "t1");

        let u = update(
            json!({"type": "page", "userId": "u", "messageId": "p1", "name": "Home",
            "timestamp": "2026-11-21T00:00:00Z", "properties": {"path": "/"}}),
        );
        assert_eq!(u.event.unwrap().name, "Home");
        let u = update(
            json!({"type": "screen", "userId": "u", "messageId": "s1", "sentAt": "2026-11-21T00:00:00Z"}),
        );
        assert_eq!(u.event.unwrap().name, "Screen Viewed");

        // No time: the message's time is the arrival.
        let u = update(json!({"type": "identify", "userId": "u", "traits": {"a": 1}}));
        assert_eq!((u.at_ms, u.message_id), (NOW, None));
    }

    #[test]
    fn deletion_and_what_is_ignored() {
        assert_eq!(
            parse(json!({"type": "delete", "userId": "u", "messageId": "d"})),
            Message::Delete {
                user_id: "u".into()
            }
        );
        for (v, reason) in [
            (
                json!({"type": "identify", "anonymousId": "a", "traits": {"a": 1}}),
                "no userId",
            ),
            (
                json!({"type": "track", "userId": "u", "event": "No Id", "timestamp": "2026-01-01"}),
                "nothing to apply",
            ),
            (
                json!({"type": "track", "userId": "u", "messageId": "t", "event": "No Time"}),
                "nothing to apply",
            ),
            (
                json!({"type": "alias", "userId": "u", "previousId": "x"}),
                "nothing to apply",
            ),
            (
                json!({"type": "identify", "userId": "u", "traits": {}}),
                "nothing to apply",
            ),
        ] {
            assert_eq!(parse(v), Message::Ignored { reason });
        }
    }

    #[test]
    fn malformed_content_names_its_place() {
        let limits = ImportLimits {
            max_string_bytes: 8,
            ..ImportLimits::default()
        };
        let cases = [
            (json!([1]), "(root): expected a Segment message object"),
            (
                json!({"type": "identify", "userId": "u", "traits": []}),
                "traits: expected an object",
            ),
            (
                json!({"type": "identify", "userId": "u", "timestamp": "later", "traits": {"a": 1}}),
                "timestamp: not an ISO-8601 time",
            ),
            (
                json!({"type": "identify", "userId": "u", "traits": {"a": "123456789"}}),
                "traits.a: limit max_string_bytes exceeded: 9 > 8",
            ),
            (
                json!({"type": "track", "userId": "u", "messageId": "m", "event": "E", "timestamp": "2026-01-01", "properties": [1]}),
                "(root).properties: expected an object",
            ),
        ];
        for (v, want) in cases {
            let err = parse_message(&v, &limits, 0).unwrap_err().to_string();
            assert_eq!(err, want, "{v}");
        }
        assert_eq!(webhook_user_id(&json!({"userId": "x".repeat(1000)})), None);
    }

    #[test]
    fn a_future_time_is_taken_as_the_receipt() {
        let skewed = |at: &str| {
            update(
                json!({"type": "track", "userId": "u", "messageId": "f", "event": "E",
                "timestamp": at, "traits": {}}),
            )
        };
        let u = skewed("2099-01-01T00:00:00Z");
        assert_eq!(u.at_ms, NOW);
        assert_eq!(u.event.unwrap().timestamp_ms, NOW);
        // Within the skew: the message's own time.
        let u = skewed("2026-12-01T00:04:00Z");
        assert_eq!(u.at_ms, NOW + 240_000);
    }

    #[test]
    fn null_traits_unset_and_null_properties_go() {
        let u = update(json!({"type": "identify", "userId": "u", "messageId": "n",
            "traits": {"firstName": null, "tier": "Gold", "address": {"city": null, "zip": "1"}}}));
        let value = |k: &str| {
            u.traits
                .iter()
                .find(|t| t.key == k)
                .map(|t| t.value.clone())
        };
        assert_eq!(value("firstName"), Some(Value::Null), "null: unset");
        assert_eq!(
            value("address"),
            Some(Value::Object(vec![("zip".into(), Value::Text("1".into()))]))
        );
        let u = update(
            json!({"type": "track", "userId": "u", "messageId": "p", "event": "E",
            "timestamp": "2026-11-30T00:00:00Z", "properties": {"coupon": null, "sku": "a"}}),
        );
        assert_eq!(
            u.event.unwrap().properties,
            [("sku".to_string(), Value::Text("a".into()))]
        );
    }

    #[test]
    fn a_message_is_one_item_counted_after_normalization() {
        let limits = ImportLimits::default();
        // 2,000 × U+FDFA is 6,000 bytes as sent and 66,000 once normalized.
        let wide = "\u{FDFA}".repeat(2000);
        let err = parse_message(
            &json!({"type": "identify", "userId": "u", "traits": {"note": wide}}),
            &limits,
            NOW,
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                ImportError::Limit {
                    limit: crate::errors::LimitExceeded {
                        what: "max_string_bytes",
                        ..
                    },
                    ..
                }
            ),
            "{err}"
        );
        // Sixty traits of 1,000 letters: each within its own limit, the call over Segment's.
        let traits: serde_json::Map<String, Json> = (0..60)
            .map(|i| (format!("t{i}"), Json::String("x".repeat(1000))))
            .collect();
        let err = parse_message(
            &json!({"type": "identify", "userId": "u", "traits": traits}),
            &limits,
            NOW,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("traits.t") && text.contains(": limit max_item_bytes exceeded: "),
            "{text}"
        );
    }
}
