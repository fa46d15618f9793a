//! Segment webhook calls (identify, track, page, screen; Engage audience payloads) folded into a
//! stored source bundle, which is then imported like any other; the bundle's pages are read with the
//! importer's own page rule, so a merge keeps exactly what an import would read.

use serde_json::{json, Map, Value as Json};

use super::{for_each_page, list_of, trait_map};

/// Most events kept in a stored source bundle (newest first), so webhooks cannot grow it forever.
pub const MAX_SOURCE_EVENTS: usize = 5_000;

/// An empty bundle for a person the source store does not know yet.
pub fn empty_bundle(user_id: &str) -> Json {
    json!({"profile_id": format!("user_id:{user_id}"), "traits": {"traits": {}}, "events": {"data": []}})
}

/// The user id a Segment webhook payload is about (`userId`, or `user_id` in Engage payloads).
pub fn webhook_user_id(payload: &Json) -> Option<String> {
    ["userId", "user_id"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(Json::as_str))
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= crate::identity::MAX_USER_ID_BYTES)
        .map(str::to_string)
}

/// Merges a webhook payload (identify, track, page, screen; Engage audience and computed-trait
/// payloads are identify or track calls) into a source bundle. Returns whether anything changed.
pub fn merge_webhook(bundle: &mut Json, payload: &Json) -> bool {
    let kind = payload.get("type").and_then(Json::as_str).unwrap_or("");
    let mut changed = false;
    // Traits: identify `traits`, and Engage's `properties.audience_key` on `Audience Entered/Exited`
    // track calls.
    let mut new_traits: Map<String, Json> = Map::new();
    if kind == "identify" {
        if let Some(t) = payload.get("traits").and_then(Json::as_object) {
            new_traits.extend(t.clone());
        }
    }
    let event = payload.get("event").and_then(Json::as_str).unwrap_or("");
    if kind == "track" && matches!(event, "Audience Entered" | "Audience Exited") {
        let props = payload.get("properties");
        if let Some(key) = props
            .and_then(|p| p.get("audience_key"))
            .and_then(Json::as_str)
        {
            new_traits.insert(key.to_string(), Json::Bool(event == "Audience Entered"));
        }
    }
    if !new_traits.is_empty() {
        let mut traits = bundle_traits(bundle);
        for (k, v) in new_traits {
            traits.insert(k, v);
        }
        if let Some(obj) = bundle.as_object_mut() {
            obj.insert("traits".into(), json!({"traits": traits}));
        }
        changed = true;
    }
    if matches!(kind, "track" | "page" | "screen") {
        let mut event = Map::new();
        let id = payload
            .get("messageId")
            .or_else(|| payload.get("message_id"))
            .cloned()
            .unwrap_or(Json::Null);
        if id.is_null() {
            return changed;
        }
        event.insert("message_id".into(), id);
        event.insert("type".into(), Json::String(kind.into()));
        let name = match kind {
            "track" => payload.get("event").cloned(),
            _ => payload
                .get("name")
                .cloned()
                .or_else(|| Some(Json::String(format!("{} Viewed", title(kind))))),
        };
        if let Some(n) = name {
            event.insert("event".into(), n);
        }
        // An event without a time cannot be ranked for recency (nor imported): skip it.
        let Some(ts) = payload
            .get("timestamp")
            .or_else(|| payload.get("receivedAt"))
            .or_else(|| payload.get("sentAt"))
        else {
            return changed;
        };
        event.insert("timestamp".into(), ts.clone());
        if let Some(p) = payload.get("properties") {
            event.insert("properties".into(), p.clone());
        }
        let mut events = bundle_events(bundle);
        events.insert(0, Json::Object(event));
        events.truncate(MAX_SOURCE_EVENTS);
        if let Some(obj) = bundle.as_object_mut() {
            obj.insert("events".into(), json!({"data": events}));
        }
        changed = true;
    }
    changed
}

fn title(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// All traits of a bundle as one map (a later page's value wins), page by page as the importer reads
/// them; a body the importer would reject adds nothing.
fn bundle_traits(bundle: &Json) -> Map<String, Json> {
    let mut out = Map::new();
    if let Some(member) = bundle.get("traits") {
        // The closure never fails: for_each_page's own result is always Ok.
        let _ = for_each_page(member, "traits", &mut |body, path| {
            if let Some((map, _)) = trait_map(body, path) {
                out.extend(map.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            Ok(())
        });
    }
    out
}

/// All events of a bundle, in order, page by page as the importer reads them; a body the importer
/// would reject adds nothing.
fn bundle_events(bundle: &Json) -> Vec<Json> {
    let mut out = Vec::new();
    if let Some(member) = bundle.get("events") {
        // The closure never fails: for_each_page's own result is always Ok.
        let _ = for_each_page(member, "events", &mut |body, path| {
            if let Ok((items, _)) = list_of(body, path, "data") {
                out.extend(items.iter().cloned());
            }
            Ok(())
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::segment::import_value;
    use crate::import::ImportLimits;
    use crate::profile::{Profile, Value};

    fn import(bundle: &Json) -> Profile {
        import_value(bundle, &ImportLimits::default()).unwrap()
    }

    /// A profile's traits as sorted (key, value) pairs, and its event ids in order.
    fn contents(p: &Profile) -> (Vec<(String, Value)>, Vec<String>) {
        let mut traits: Vec<_> = p
            .traits
            .iter()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect();
        traits.sort_by(|a, b| a.0.cmp(&b.0));
        let events = p.events.iter().map(|e| e.message_id.clone()).collect();
        (traits, events)
    }

    #[test]
    fn webhooks_merge_into_the_source_bundle() {
        let mut b = json!({"profile_id": "user_id:u", "traits": [{"traits": {"a": 1}}, {"traits": {"b": 2}}],
                           "events": [{"data": [{"message_id": "old", "event": "Old", "timestamp": "2026-11-01T00:00:00Z"}]}]});
        assert!(merge_webhook(
            &mut b,
            &json!({"type": "identify", "userId": "u", "traits": {"b": 3, "c": true}})
        ));
        assert_eq!(b["traits"], json!({"traits": {"a": 1, "b": 3, "c": true}}));
        assert!(merge_webhook(
            &mut b,
            &json!({"type": "track", "userId": "u", "messageId": "n", "event": "Audience Entered",
            "properties": {"audience_key": "vips"}, "timestamp": "2026-11-20T00:00:00Z"})
        ));
        assert_eq!(b["traits"]["traits"]["vips"], json!(true));
        assert_eq!(b["events"]["data"][0]["message_id"], "n");
        assert_eq!(b["events"]["data"][1]["message_id"], "old");
        assert!(merge_webhook(
            &mut b,
            &json!({"type": "page", "userId": "u", "messageId": "p", "timestamp": "2026-11-21T00:00:00Z"})
        ));
        assert_eq!(b["events"]["data"][0]["event"], "Page Viewed");
        assert!(!merge_webhook(
            &mut b,
            &json!({"type": "track", "userId": "u", "event": "No Id"})
        ));
        assert!(!merge_webhook(
            &mut b,
            &json!({"type": "track", "userId": "u", "messageId": "t", "event": "No Time"})
        ));
        assert!(!merge_webhook(&mut b, &json!({"type": "alias"})));
        assert_eq!(webhook_user_id(&json!({"userId": " u "})), Some("u".into()));
        assert_eq!(webhook_user_id(&json!({"anonymousId": "x"})), None);
        import(&b);
    }

    #[test]
    fn a_merge_keeps_what_the_importer_reads_from_pages() {
        let pages = json!({"profile_id": "user_id:u",
            "traits": [{"traits": {"a": 1, "tier": "Silver"}, "cursor": {"has_more": true}},
                       {"traits": {"tier": {"value": "Gold", "source_id": "s", "updated_at": "2026-01-01T00:00:00Z"}}}],
            "events": [{"data": [{"message_id": "e1", "event": "One", "timestamp": "2026-11-01T00:00:00Z"}]},
                       {"data": [{"message_id": "e2", "event": "Two", "timestamp": "2026-11-02T00:00:00Z"}]}]});
        // A bare trait map and a bare event list (not pages) are read by the importer too.
        let bare = json!({"profile_id": "user_id:u", "traits": {"a": 1, "tier": "Gold"},
            "events": [{"message_id": "e1", "event": "One", "timestamp": "2026-11-01T00:00:00Z"},
                       {"message_id": "e2", "event": "Two", "timestamp": "2026-11-02T00:00:00Z"}]});
        for original in [pages, bare] {
            let (traits_before, events_before) = contents(&import(&original));
            assert_eq!(traits_before.len(), 2);
            assert_eq!(events_before, ["e1", "e2"]);
            let mut merged = original.clone();
            assert!(merge_webhook(
                &mut merged,
                &json!({"type": "identify", "userId": "u", "traits": {"c": true}})
            ));
            assert!(merge_webhook(
                &mut merged,
                &json!({"type": "track", "userId": "u", "messageId": "e3", "event": "Three",
                        "timestamp": "2026-11-03T00:00:00Z"})
            ));
            let (traits_after, events_after) = contents(&import(&merged));
            let mut want = traits_before;
            want.push(("c".into(), Value::Bool(true)));
            want.sort_by(|a, b| a.0.cmp(&b.0));
            assert_eq!(traits_after, want, "{original}");
            assert_eq!(events_after, ["e3", "e1", "e2"], "{original}");
        }
    }
}
