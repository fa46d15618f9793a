//! Import of Segment Profile API response bodies.
//!
//! The input is one *bundle* object whose members are verbatim Profile API bodies:
//!
//! ```json
//! { "profile_id": "user_id:jeff",
//!   "traits":       {"traits": {"shoe_size": "10.5", ...}, "cursor": {...}},
//!   "external_ids": {"data": [{"type": "email", "id": "..."}], "cursor": {...}},
//!   "events":       {"data": [{"message_id": "...", "event": "...", ...}], "cursor": {...}},
//!   "metadata":     {"metadata": {"updated_at": "..."}},
//!   "audiences":    ["high_value_customers"] }
//! ```
//!
//! Also accepted: `events` (and `traits`, `external_ids`) as an array of pages; verbose traits
//! (`{"value": .., "source_id": .., "updated_at": ..}`); events in the tracking-spec camelCase shape
//! (`messageId`, `userId`, `receivedAt`) as well as the Profile API's snake_case; `page`, `screen` and
//! `identify` calls; and NDJSON with one bundle per line ([`import_ndjson`]). Repeated message ids
//! across pages are kept once (the first). Audiences are boolean traits whose key reads like an
//! audience ([`crate::profile::looks_like_audience`]) or is listed in `audiences`. A `null` trait is
//! no trait, and `null` members of objects (an event's properties, nested values) are dropped, as
//! Segment treats them: a value that is not there.
//!
//! [`webhook`] reads one Segment message (a webhook call) into a typed [`crate::state::Update`].

pub mod webhook;

use serde_json::{Map, Value as Json};

use super::{normalized_len, ImportLimits};
use crate::errors::{ImportError, LimitExceeded};
use crate::profile::{looks_like_audience, Event, Identity, Profile, Trait, Value};
use crate::time::parse_timestamp;

/// Imports one bundle from JSON text.
pub fn import_bundle(json: &str, limits: &ImportLimits) -> Result<Profile, ImportError> {
    check_limit(
        "input",
        "max_input_bytes",
        limits.max_input_bytes,
        json.len(),
    )?;
    let doc: Json = serde_json::from_str(json).map_err(|e| ImportError::Json {
        line: e.line(),
        column: e.column(),
        message: short_json_error(&e),
    })?;
    import_value(&doc, limits)
}

/// Imports NDJSON, one bundle per non-blank line. Each line's result is returned separately, so one
/// bad profile does not stop a bulk run; errors are prefixed with `line N:`.
pub fn import_ndjson<'a>(
    text: &'a str,
    limits: &'a ImportLimits,
) -> impl Iterator<Item = Result<Profile, ImportError>> + 'a {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(move |(i, line)| import_bundle(line, limits).map_err(|e| e.at_line(i + 1)))
}

/// Imports an already parsed bundle.
pub fn import_value(doc: &Json, limits: &ImportLimits) -> Result<Profile, ImportError> {
    let root = doc
        .as_object()
        .ok_or_else(|| invalid("(root)", "a bundle object"))?;
    let mut profile = Profile::default();
    if let Some(id) = root.get("profile_id") {
        profile.profile_id = string_at(id, "profile_id", limits)?;
    }
    let explicit_audiences = match root.get("audiences") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(keys)) => keys
            .iter()
            .enumerate()
            .map(|(i, k)| string_at(k, &format!("audiences[{i}]"), limits))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(invalid("audiences", "an array of trait keys")),
    };
    if let Some(traits) = root.get("traits") {
        let mut index = std::collections::HashMap::new();
        for_each_page(traits, "traits", &mut |body, path| {
            read_traits(body, path, limits, &mut profile, &mut index)
        })?;
    }
    for trait_ in &mut profile.traits {
        trait_.audience = matches!(trait_.value, Value::Bool(_))
            && (explicit_audiences.contains(&trait_.key) || looks_like_audience(&trait_.key));
    }
    if let Some(ids) = root.get("external_ids") {
        for_each_page(ids, "external_ids", &mut |body, path| {
            read_identities(body, path, limits, &mut profile)
        })?;
    }
    if let Some(events) = root.get("events") {
        let mut seen = std::collections::HashSet::new();
        for_each_page(events, "events", &mut |body, path| {
            read_events(body, path, limits, &mut profile, &mut seen)
        })?;
    }
    if let Some(meta) = root.get("metadata") {
        let inner = meta.get("metadata").unwrap_or(meta);
        if let Some(updated) = inner.get("updated_at").filter(|v| !v.is_null()) {
            let path = "metadata.metadata.updated_at";
            let text = updated.as_str().ok_or_else(|| invalid(path, "a string"))?;
            profile.updated_at_ms = Some(
                parse_timestamp(text)
                    .ok_or_else(|| ImportError::Timestamp { path: path.into() })?,
            );
        }
    }
    if profile.profile_id.is_empty() {
        if let Some(user) = profile.identities.iter().find(|i| i.id_type == "user_id") {
            profile.profile_id = format!("user_id:{}", user.id);
        }
    }
    Ok(profile)
}

/// Calls `f` with each page body: the member itself, or each element when it is an array of pages.
fn for_each_page(
    member: &Json,
    name: &str,
    f: &mut dyn FnMut(&Json, &str) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    match member {
        Json::Array(pages) if pages.first().is_some_and(is_page_body) => {
            for (i, page) in pages.iter().enumerate() {
                f(page, &format!("{name}[{i}]"))?;
            }
            Ok(())
        }
        other => f(other, name),
    }
}

/// Whether an array element is a page body (an events or external-ids page with `data`, or a traits
/// page with a `traits` object) rather than an item of a bare list.
fn is_page_body(v: &Json) -> bool {
    v.get("data").is_some() || v.get("traits").is_some_and(Json::is_object)
}

/// Reads one traits page into `profile`; `index` holds the position of every trait key read so far
/// (a key on a later page replaces the earlier value, in constant time).
fn read_traits(
    body: &Json,
    path: &str,
    limits: &ImportLimits,
    profile: &mut Profile,
    index: &mut std::collections::HashMap<String, usize>,
) -> Result<(), ImportError> {
    let (map, map_path) =
        trait_map(body, path).ok_or_else(|| invalid(path, "a traits body object"))?;
    for (key, raw) in map {
        let item_path = format!("{map_path}.{key}");
        let mut item = Item::default();
        item.text(key, &item_path, limits)?;
        let raw = verbose_value(raw).unwrap_or(raw);
        if raw.is_null() {
            continue;
        }
        let value = convert(raw, &item_path, limits, 1, &mut item)?;
        if let Some(existing) = index.get(key).and_then(|&i| profile.traits.get_mut(i)) {
            existing.value = value;
            continue;
        }
        check_limit(
            &item_path,
            "max_traits",
            limits.max_traits,
            profile.traits.len() + 1,
        )?;
        index.insert(key.clone(), profile.traits.len());
        profile.traits.push(Trait {
            key: key.clone(),
            value,
            audience: false,
        });
    }
    Ok(())
}

/// The trait map of one traits page body, with its path: the body's `traits` object, or the body
/// itself when it is the bare map. `None` when it is neither.
fn trait_map<'a>(body: &'a Json, path: &str) -> Option<(&'a Map<String, Json>, String)> {
    match body.get("traits") {
        Some(Json::Object(inner)) => Some((inner, format!("{path}.traits"))),
        _ => body.as_object().map(|map| (map, path.to_string())),
    }
}

/// The inner value of a verbose trait (`{"value": .., "source_id": .., "updated_at": ..}`).
fn verbose_value(raw: &Json) -> Option<&Json> {
    let obj = raw.as_object()?;
    let value = obj.get("value")?;
    let verbose = obj.keys().all(|k| {
        matches!(
            k.as_str(),
            "value" | "source_id" | "updated_at" | "timestamp"
        )
    }) && (obj.contains_key("source_id") || obj.contains_key("updated_at"));
    verbose.then_some(value)
}

fn read_identities(
    body: &Json,
    path: &str,
    limits: &ImportLimits,
    profile: &mut Profile,
) -> Result<(), ImportError> {
    let (items, list_path) = list_of(body, path, "data")?;
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{list_path}[{i}]");
        let obj = item
            .as_object()
            .ok_or_else(|| invalid(&item_path, "an external id object"))?;
        let id_type = string_at(
            required(obj, "type", &item_path)?,
            &format!("{item_path}.type"),
            limits,
        )?;
        let id = string_at(
            required(obj, "id", &item_path)?,
            &format!("{item_path}.id"),
            limits,
        )?;
        profile.identities.push(Identity { id_type, id });
    }
    Ok(())
}

fn read_events(
    body: &Json,
    path: &str,
    limits: &ImportLimits,
    profile: &mut Profile,
    seen: &mut std::collections::HashSet<String>,
) -> Result<(), ImportError> {
    let (items, list_path) = list_of(body, path, "data")?;
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{list_path}[{i}]");
        let event = read_event(item, &item_path, limits, &mut Item::default())?;
        if seen.insert(event.message_id.clone()) {
            check_limit(
                &item_path,
                "max_events",
                limits.max_events,
                profile.events.len() + 1,
            )?;
            profile.events.push(event);
        }
    }
    Ok(())
}

/// One event; its text is counted in `budget` (its own, or a webhook message's).
pub(crate) fn read_event(
    item: &Json,
    path: &str,
    limits: &ImportLimits,
    budget: &mut Item,
) -> Result<Event, ImportError> {
    let obj = item
        .as_object()
        .ok_or_else(|| invalid(path, "an event object"))?;
    let id_key = if obj.contains_key("message_id") {
        "message_id"
    } else {
        "messageId"
    };
    let message_id = string_at(
        required(obj, id_key, path)?,
        &format!("{path}.{id_key}"),
        limits,
    )?;
    if message_id.is_empty() {
        return Err(invalid(&format!("{path}.{id_key}"), "a non-empty string"));
    }
    let time_key = [
        "timestamp",
        "received_at",
        "receivedAt",
        "sent_at",
        "sentAt",
        "original_timestamp",
        "originalTimestamp",
    ]
    .into_iter()
    .find(|k| obj.get(*k).is_some_and(|v| !v.is_null()))
    .ok_or_else(|| ImportError::Missing {
        path: format!("{path}.timestamp"),
    })?;
    let time_path = format!("{path}.{time_key}");
    let timestamp_ms = obj
        .get(time_key)
        .and_then(Json::as_str)
        .and_then(parse_timestamp)
        .ok_or(ImportError::Timestamp { path: time_path })?;
    let call = match obj.get("type") {
        None | Some(Json::Null) => "track".to_string(),
        Some(t) => string_at(t, &format!("{path}.type"), limits)?,
    };
    let name = match obj.get("event").filter(|e| !e.is_null()) {
        Some(e) => {
            let name = string_at(e, &format!("{path}.event"), limits)?;
            budget.text(&name, &format!("{path}.event"), limits)?;
            name
        }
        None => match call.as_str() {
            "page" => "Page Viewed".to_string(),
            "screen" => "Screen Viewed".to_string(),
            "identify" => "Identify".to_string(),
            "group" => "Group".to_string(),
            "alias" => "Alias".to_string(),
            _ => {
                return Err(ImportError::Missing {
                    path: format!("{path}.event"),
                })
            }
        },
    };
    let props_key = if call == "identify" && !obj.contains_key("properties") {
        "traits"
    } else {
        "properties"
    };
    let properties = match obj.get(props_key) {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Object(map)) => members(map, &format!("{path}.{props_key}"), limits, 1, budget)?,
        Some(_) => return Err(invalid(&format!("{path}.{props_key}"), "an object")),
    };
    Ok(Event {
        message_id,
        name,
        timestamp_ms,
        properties,
    })
}

/// The array under `key` of a body object, or the body itself when it is an array.
fn list_of<'a>(
    body: &'a Json,
    path: &str,
    key: &str,
) -> Result<(&'a Vec<Json>, String), ImportError> {
    match body {
        Json::Array(items) => Ok((items, path.to_string())),
        Json::Object(obj) => match obj.get(key) {
            Some(Json::Array(items)) => Ok((items, format!("{path}.{key}"))),
            Some(_) => Err(invalid(&format!("{path}.{key}"), "an array")),
            None => Err(ImportError::Missing {
                path: format!("{path}.{key}"),
            }),
        },
        _ => Err(invalid(path, "an object with a data array")),
    }
}

/// An object's members, `null` ones dropped.
fn members(
    map: &Map<String, Json>,
    path: &str,
    limits: &ImportLimits,
    depth: usize,
    item: &mut Item,
) -> Result<Vec<(String, Value)>, ImportError> {
    check_limit(path, "max_members", limits.max_members, map.len())?;
    let mut out = Vec::with_capacity(map.len());
    for (k, v) in map {
        if v.is_null() {
            continue;
        }
        let item_path = format!("{path}.{k}");
        item.text(k, &item_path, limits)?;
        out.push((k.clone(), convert(v, &item_path, limits, depth, item)?));
    }
    Ok(out)
}

/// The text one item has used so far ([`ImportLimits::max_item_bytes`]).
#[derive(Debug, Default)]
pub(crate) struct Item {
    used: usize,
}

impl Item {
    /// Counts a key or a string value at `path`: its normalized length within `max_string_bytes`,
    /// the item's within `max_item_bytes`.
    pub(crate) fn text(
        &mut self,
        s: &str,
        path: &str,
        limits: &ImportLimits,
    ) -> Result<(), ImportError> {
        let n = normalized_len(s);
        check_limit(path, "max_string_bytes", limits.max_string_bytes, n)?;
        self.used = self.used.saturating_add(n);
        check_limit(path, "max_item_bytes", limits.max_item_bytes, self.used)
    }
}

pub(crate) fn convert(
    v: &Json,
    path: &str,
    limits: &ImportLimits,
    depth: usize,
    item: &mut Item,
) -> Result<Value, ImportError> {
    check_limit(path, "max_depth", limits.max_depth, depth)?;
    Ok(match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
        Json::String(s) => {
            item.text(s, path, limits)?;
            Value::Text(s.clone())
        }
        Json::Array(items) => {
            check_limit(path, "max_members", limits.max_members, items.len())?;
            Value::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| convert(v, &format!("{path}[{i}]"), limits, depth + 1, item))
                    .collect::<Result<_, _>>()?,
            )
        }
        Json::Object(map) => Value::Object(members(map, path, limits, depth + 1, item)?),
    })
}

fn required<'a>(
    obj: &'a Map<String, Json>,
    key: &str,
    path: &str,
) -> Result<&'a Json, ImportError> {
    obj.get(key).ok_or_else(|| ImportError::Missing {
        path: format!("{path}.{key}"),
    })
}

fn string_at(v: &Json, path: &str, limits: &ImportLimits) -> Result<String, ImportError> {
    let s = v.as_str().ok_or_else(|| invalid(path, "a string"))?;
    check_limit(
        path,
        "max_string_bytes",
        limits.max_string_bytes,
        normalized_len(s),
    )?;
    Ok(s.to_string())
}

pub(crate) fn invalid(path: &str, expected: &'static str) -> ImportError {
    ImportError::Invalid {
        path: path.to_string(),
        expected,
    }
}

pub(crate) fn check_limit(
    path: &str,
    what: &'static str,
    limit: usize,
    actual: usize,
) -> Result<(), ImportError> {
    if actual > limit {
        return Err(ImportError::Limit {
            path: path.to_string(),
            limit: LimitExceeded {
                what,
                limit,
                actual,
            },
        });
    }
    Ok(())
}

/// serde_json's message without its trailing " at line L column C" (reported separately).
fn short_json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text.get(..cut).unwrap_or(&text).to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ImportLimits {
        ImportLimits::default()
    }

    fn event(id: &str, ts: &str) -> String {
        format!(
            r#"{{"message_id":"{id}","timestamp":"{ts}","event":"Product Viewed","type":"track","properties":{{"name":"Shoe"}}}}"#
        )
    }

    #[test]
    fn reads_profile_api_bodies() {
        let json = format!(
            r#"{{"profile_id":"user_id:u1","traits":{{"traits":{{"shoe_size":"10.5","vip_customers":true,"sms_opt_in":true}},"cursor":{{"has_more":false}}}},
               "external_ids":{{"data":[{{"type":"user_id","id":"u1"}}]}},
               "events":{{"data":[{}],"cursor":{{"has_more":false}}}},
               "metadata":{{"metadata":{{"updated_at":"2026-11-20T11:59:50.000Z"}}}}}}"#,
            event("m1", "2026-11-20T11:59:50.000Z")
        );
        let p = import_bundle(&json, &limits()).unwrap();
        assert_eq!(p.profile_id, "user_id:u1");
        assert_eq!(p.traits.len(), 3);
        assert!(
            p.traits
                .iter()
                .find(|t| t.key == "vip_customers")
                .unwrap()
                .audience
        );
        assert!(
            !p.traits
                .iter()
                .find(|t| t.key == "sms_opt_in")
                .unwrap()
                .audience
        );
        assert_eq!(p.events[0].message_id, "m1");
        assert_eq!(p.identities[0].id_type, "user_id");
        assert!(p.updated_at_ms.is_some());
    }

    #[test]
    fn reads_pages_verbose_traits_camel_case_and_explicit_audiences() {
        let json = format!(
            r#"{{"traits":{{"traits":{{"tier":{{"value":"Gold","source_id":"s","updated_at":"2026-01-01T00:00:00Z"}},"beta":true}}}},
               "audiences":["beta"],
               "events":[{{"data":[{}]}},{{"data":[{},{}]}}]}}"#,
            event("m1", "2026-11-20T11:00:00Z"),
            r#"{"messageId":"m2","userId":"u","timestamp":"2026-11-20T12:00:00Z","event":"Order Completed","properties":{}}"#,
            event("m1", "2026-11-20T11:00:00Z"),
        );
        let p = import_bundle(&json, &limits()).unwrap();
        assert_eq!(
            p.traits.iter().find(|t| t.key == "tier").unwrap().value,
            Value::Text("Gold".into())
        );
        assert!(p.traits.iter().find(|t| t.key == "beta").unwrap().audience);
        let ids: Vec<_> = p.events.iter().map(|e| e.message_id.as_str()).collect();
        assert_eq!(ids, ["m1", "m2"]);
    }

    #[test]
    fn names_non_track_calls() {
        let json = r#"{"events":{"data":[{"message_id":"p","type":"page","timestamp":"2026-01-01T00:00:00Z","properties":{"title":"Home"}},
            {"message_id":"i","type":"identify","timestamp":"2026-01-01T00:00:00Z","traits":{"plan":"pro"}}]}}"#;
        let p = import_bundle(json, &limits()).unwrap();
        assert_eq!(p.events[0].name, "Page Viewed");
        assert_eq!(p.events[1].name, "Identify");
        assert_eq!(p.events[1].properties[0].0, "plan");
    }

    #[test]
    fn bad_timestamp_names_its_place() {
        let mut evs: Vec<String> = (0..17)
            .map(|i| event(&format!("m{i}"), "2026-11-20T11:00:00Z"))
            .collect();
        evs.push(event("bad", "last tuesday"));
        let json = format!(r#"{{"events":{{"data":[{}]}}}}"#, evs.join(","));
        let err = import_bundle(&json, &limits()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "events.data[17].timestamp: not an ISO-8601 time"
        );
    }

    #[test]
    fn each_malformed_class_has_its_error() {
        let cases = [
            ("{", "not valid JSON"),
            ("[]", "(root): expected a bundle object"),
            (r#"{"traits":5}"#, "traits: expected a traits body object"),
            (
                r#"{"events":{"data":{}}}"#,
                "events.data: expected an array",
            ),
            (r#"{"events":{}}"#, "events.data: missing"),
            (
                r#"{"events":{"data":[{"timestamp":"2026-01-01"}]}}"#,
                "events.data[0].messageId: missing",
            ),
            (
                r#"{"events":{"data":[{"message_id":"m"}]}}"#,
                "events.data[0].timestamp: missing",
            ),
            (
                r#"{"events":{"data":[{"message_id":"m","timestamp":"2026-01-01","event":"x","properties":[]}]}}"#,
                "events.data[0].properties: expected an object",
            ),
            (r#"{"profile_id":7}"#, "profile_id: expected a string"),
            (
                r#"{"external_ids":{"data":[{"type":"email"}]}}"#,
                "external_ids.data[0].id: missing",
            ),
        ];
        for (json, want) in cases {
            let err = import_bundle(json, &limits()).unwrap_err().to_string();
            assert!(err.starts_with(want), "{json}: {err}");
        }
    }

    #[test]
    fn limits_are_enforced_with_typed_errors() {
        let small = ImportLimits {
            max_events: 1,
            ..ImportLimits::default()
        };
        let two = format!(
            r#"{{"events":{{"data":[{},{}]}}}}"#,
            event("a", "2026-01-01"),
            event("b", "2026-01-01")
        );
        assert!(matches!(
            import_bundle(&two, &small),
            Err(ImportError::Limit {
                limit: LimitExceeded {
                    what: "max_events",
                    ..
                },
                ..
            })
        ));
        let small = ImportLimits {
            max_depth: 2,
            max_string_bytes: 8,
            ..ImportLimits::default()
        };
        let deep = r#"{"traits":{"traits":{"a":[[["x"]]]}}}"#;
        assert!(matches!(
            import_bundle(deep, &small),
            Err(ImportError::Limit {
                limit: LimitExceeded {
                    what: "max_depth",
                    ..
                },
                ..
            })
        ));
        let long = r#"{"traits":{"traits":{"a":"123456789"}}}"#;
        assert!(matches!(
            import_bundle(long, &small),
            Err(ImportError::Limit {
                limit: LimitExceeded {
                    what: "max_string_bytes",
                    ..
                },
                ..
            })
        ));
        let tiny = ImportLimits {
            max_input_bytes: 4,
            ..ImportLimits::default()
        };
        assert!(matches!(
            import_bundle("{}     ", &tiny),
            Err(ImportError::Limit { .. })
        ));
    }

    #[test]
    fn ndjson_reports_each_line() {
        let text = "{\"profile_id\":\"a\"}\n\n{\"profile_id\":5}\n";
        let results: Vec<_> = import_ndjson(text, &limits()).collect();
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].as_ref().unwrap().profile_id, "a");
        assert_eq!(
            results[1].as_ref().unwrap_err().to_string(),
            "line 3: profile_id: expected a string"
        );
    }

    #[test]
    fn strings_and_items_are_measured_after_normalization() {
        // 1,000 × U+FDFA: 3,000 bytes as sent, 33,000 once normalized.
        let wide = "\u{FDFA}".repeat(1000);
        let json = format!(r#"{{"traits":{{"traits":{{"note":"{wide}"}}}}}}"#);
        let err = import_bundle(&json, &limits()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "traits.traits.note: limit max_string_bytes exceeded: 33000 > 16384"
        );
        // Invisible characters are not counted: they are not in what is kept.
        let hidden = format!("a{}b", "\u{200B}".repeat(10_000));
        let json = format!(r#"{{"traits":{{"traits":{{"note":"{hidden}"}}}}}}"#);
        assert!(import_bundle(&json, &limits()).is_ok());
        // One event of 64 properties of 1 KB: each within its limit, the event over its item's.
        let props: Vec<String> = (0..64)
            .map(|i| format!(r#""p{i}":"{}""#, "y".repeat(1000)))
            .collect();
        let json = format!(
            r#"{{"events":{{"data":[{{"message_id":"m","timestamp":"2026-01-01T00:00:00Z","event":"E","properties":{{{}}}}}]}}}}"#,
            props.join(",")
        );
        let err = import_bundle(&json, &limits()).unwrap_err();
        assert!(
            matches!(&err, ImportError::Limit { limit: LimitExceeded { what: "max_item_bytes", .. }, path } if path.starts_with("events.data[0].properties.p")),
            "{err}"
        );
    }

    #[test]
    fn nulls_are_no_value() {
        let json = r#"{"traits":{"traits":{"gone":null,"kept":"x","obj":{"a":null,"b":1}}},
            "events":{"data":[{"message_id":"m","timestamp":"2026-01-01T00:00:00Z","event":"E","properties":{"c":null,"d":"e"}}]}}"#;
        let p = import_bundle(json, &limits()).unwrap();
        let keys: Vec<&str> = p.traits.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(keys, ["kept", "obj"]);
        assert_eq!(
            p.traits[1].value,
            Value::Object(vec![("b".into(), Value::Number(1.0))])
        );
        assert_eq!(
            p.events[0].properties,
            [("d".into(), Value::Text("e".into()))]
        );
    }

    #[test]
    fn traits_across_pages_are_read_in_linear_work() {
        // A later page's value replaces an earlier one, found by key (not by a scan of every
        // trait read so far: 5,000 traits were 12.5 million key comparisons).
        let page = |from: usize, n: usize, v: &str| {
            let traits: Vec<String> = (from..from + n)
                .map(|i| format!(r#""t{i}":"{v}""#))
                .collect();
            format!(r#"{{"traits":{{{}}}}}"#, traits.join(","))
        };
        let json = format!(
            r#"{{"traits":[{},{}]}}"#,
            page(0, 3000, "a"),
            page(2000, 3000, "b")
        );
        let p = import_bundle(&json, &limits()).unwrap();
        assert_eq!(p.traits.len(), 5000);
        let value = |k: &str| {
            p.traits
                .iter()
                .find(|t| t.key == k)
                .map(|t| t.value.clone())
        };
        assert_eq!(value("t1999"), Some(Value::Text("a".into())));
        assert_eq!(value("t2000"), Some(Value::Text("b".into())));
        assert_eq!(value("t4999"), Some(Value::Text("b".into())));
    }
}
