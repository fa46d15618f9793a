//! The profile model: what a CDP knows about one person, independent of how it was exported.

use serde::{Deserialize, Serialize};

/// A JSON-like value with object members kept in input order. (bincode: the person state's rows.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
pub enum Value {
    /// JSON `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number (JSON numbers are read as `f64`).
    Number(f64),
    /// A string.
    Text(String),
    /// An array.
    List(Vec<Value>),
    /// An object, members in input order.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// A compact one-line rendering for display and indexing: lists joined by `, `, objects as
    /// `key: value` pairs joined by `, `, nested containers in parentheses, numbers without a
    /// trailing `.0`.
    pub fn display(&self) -> String {
        let mut out = String::new();
        self.write_display(&mut out, 0);
        out
    }

    fn write_display(&self, out: &mut String, depth: usize) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(&format_number(*n)),
            Value::Text(s) => out.push_str(s),
            Value::List(items) => {
                if depth > 0 {
                    out.push('(');
                }
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_display(out, depth + 1);
                }
                if depth > 0 {
                    out.push(')');
                }
            }
            Value::Object(members) => {
                if depth > 0 {
                    out.push('(');
                }
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(key);
                    out.push_str(": ");
                    value.write_display(out, depth + 1);
                }
                if depth > 0 {
                    out.push(')');
                }
            }
        }
    }
}

/// `139` for 139.0, `10.5` for 10.5; no exponent for ordinary magnitudes.
pub fn format_number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// One trait. Audiences (Segment Engage writes `"<audience_key>": true`) are traits with
/// `audience: true`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
pub struct Trait {
    /// The trait key as the CDP writes it (`shoe_size`, `firstName`).
    pub key: String,
    /// Its value.
    pub value: Value,
    /// Whether the trait is an audience membership.
    pub audience: bool,
}

/// One event occurrence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
pub struct Event {
    /// Segment's `message_id`: the event's identity, for deduplication and as the item id.
    pub message_id: String,
    /// The event name (`Product Viewed`); `Page Viewed` / `Screen Viewed` / `Identify` for non-track calls.
    pub name: String,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// Properties, in input order.
    pub properties: Vec<(String, Value)>,
}

/// An identity of the person (`user_id`, `email`, `anonymous_id`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// The kind of id (`user_id`, `email`, `anonymous_id`, …).
    pub id_type: String,
    /// The id itself.
    pub id: String,
}

/// Everything imported about one person.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Profile {
    /// `user_id:jeff-lawson-1138` style id, or empty when the export did not name one.
    pub profile_id: String,
    /// Traits, in input order; a key appears once.
    pub traits: Vec<Trait>,
    /// Events, in input order; a message id appears once.
    pub events: Vec<Event>,
    /// External ids.
    pub identities: Vec<Identity>,
    /// The profile's `metadata.updated_at`, in milliseconds, when present.
    pub updated_at_ms: Option<i64>,
    /// What the person asked an assistant to remember (kept by the person's state, not exported
    /// by Segment), newest first.
    #[serde(default)]
    pub memories: Vec<Memory>,
}

/// One memory: a fact an assistant was told to keep ("prefers aisle seats"). Its item id is
/// `memory:<id>`; it is ranked like a trait, with a recency from its creation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
pub struct Memory {
    /// Unique within the person (lowercase hex).
    pub id: String,
    /// The fact itself.
    pub text: String,
    /// What it is about (`seat_preference`), when the writer named it; the policy reads it like
    /// a trait key.
    pub key: Option<String>,
    /// A grouping the writer chose (`travel`), when any.
    pub category: Option<String>,
    /// Who wrote it (`mcp`, `rest`).
    pub source: String,
    /// When it was noted (ms since the epoch).
    pub created_ms: i64,
}

/// Whether a boolean trait key reads like an audience: its last word is a plural group noun
/// (`high_value_customers`, `tennis_players`) or a time window (`cart_abandoners_7d`, `late_payers_90d`),
/// rather than a flag (`sms_opt_in`, `autopay_enabled`, `feature_flag_dark_mode`).
pub fn looks_like_audience(key: &str) -> bool {
    let mut words: Vec<String> = Vec::new();
    crate::text::split_words(key, |w| words.push(w.to_string()));
    let last = match words.last() {
        Some(w) => w.as_str(),
        None => return false,
    };
    let is_window = last.len() >= 2
        && last.ends_with(['d', 'w', 'm', 'y'])
        && last
            .get(..last.len() - 1)
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
    let is_plural_noun = last.len() > 3
        && last.ends_with('s')
        && !last.ends_with("ss")
        && !last.ends_with("us")
        && !last.ends_with("is")
        && !matches!(
            last,
            "yes" | "was" | "has" | "does" | "always" | "status" | "news" | "settings"
        );
    is_window || is_plural_noun
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audience_names_are_recognised() {
        for key in [
            "high_value_customers",
            "cart_abandoners_7d",
            "running_enthusiasts",
            "email_engaged_30d",
            "tennis_players",
            "winter_jacket_intenders",
            "late_payers_90d",
            "family_plan_prospects",
        ] {
            assert!(looks_like_audience(key), "{key}");
        }
        for key in [
            "sms_opt_in",
            "push_opt_in",
            "autopay_enabled",
            "feature_flag_dark_mode",
            "push_token_present",
            "international_roaming",
            "is_vip",
            "",
        ] {
            assert!(!looks_like_audience(key), "{key}");
        }
    }

    #[test]
    fn values_display_compactly() {
        let v = Value::List(vec![Value::Object(vec![
            ("name".into(), Value::Text("Trail Runner 5".into())),
            ("quantity".into(), Value::Number(1.0)),
        ])]);
        assert_eq!(v.display(), "(name: Trail Runner 5, quantity: 1)");
        assert_eq!(Value::Number(10.5).display(), "10.5");
        assert_eq!(
            Value::List(vec![
                Value::Text("running".into()),
                Value::Text("tennis".into())
            ])
            .display(),
            "running, tennis"
        );
    }
}
