//! What the inspector is asked, read from JSON: the same text whether it comes from the browser
//! (the wasm `Inspector`) or the Worker's `/inspect/api/inspect`, so both answer the same question
//! the same way. Every member is checked; an unknown one, a wrong type or a setting out of its
//! range is an [`InspectError`] naming it.

use std::fmt;

use serde_json::{Map, Value as Json};

use crate::errors::SettingsError;
use crate::rank::RankSettings;
use crate::render::{ContextFormat, RenderSettings};
use crate::settings::Checked;
use crate::slots::MAX_VARIANTS_PER_PAGE;

/// Most rows shown past the cut (`below`).
pub const MAX_BELOW: usize = 50;
/// Most `data-persona` slots, and most conditions, one page may ask about.
pub const MAX_PAGE_SLOTS: usize = 1_000;
/// Most variants groups one page may ask about (each is at least one variant, and a page ranks at
/// most [`MAX_VARIANTS_PER_PAGE`] variants).
pub const MAX_PAGE_GROUPS: usize = MAX_VARIANTS_PER_PAGE;
/// Most variants listed per group (a group of more stays as authored, unranked, in any case).
pub const MAX_GROUP_VARIANTS: usize = 1_000;
/// Most user turns read from a conversation (the ranker reads the last `max_turns` of them).
pub const MAX_TURNS: usize = 1_000;

/// Why an inspection request was refused.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum InspectError {
    /// The request is not a JSON object.
    Json,
    /// A member this request does not have (`path` names it, as `settings.k2`).
    Unknown {
        /// Where, as `settings.k2`.
        path: String,
    },
    /// A member of the wrong type or shape.
    Invalid {
        /// Where, as `page.groups[3].variants`.
        path: String,
        /// What was expected there.
        expected: &'static str,
    },
    /// A list longer than the inspector reads.
    TooMany {
        /// Where, as `page.slots`.
        path: &'static str,
        /// The most it may hold.
        limit: usize,
    },
    /// A setting outside its range.
    Setting(SettingsError),
}

impl fmt::Display for InspectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json => f.write_str("inspect request: expected a JSON object"),
            Self::Unknown { path } => write!(f, "inspect request: unknown member {path}"),
            Self::Invalid { path, expected } => {
                write!(f, "inspect request: {path}: expected {expected}")
            }
            Self::TooMany { path, limit } => {
                write!(f, "inspect request: {path}: more than {limit} entries")
            }
            Self::Setting(e) => write!(f, "inspect request: {e}"),
        }
    }
}

impl std::error::Error for InspectError {}

impl From<SettingsError> for InspectError {
    fn from(e: SettingsError) -> Self {
        Self::Setting(e)
    }
}

/// A pasted page's questions, as the DOM module asks them (`npm/src/dom.js`): slot specs, condition
/// expressions, and the variants groups in the order they end.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageRequest {
    /// `data-persona` specs (`trait:first_name`).
    pub slots: Vec<String>,
    /// `data-persona-if` / `-unless` expressions.
    pub conditions: Vec<String>,
    /// Variants groups: each variant's words, and how many variants the page's earlier groups had.
    pub groups: Vec<GroupRequest>,
}

/// One variants group of a page.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRequest {
    /// Each variant's `data-persona-variant` words.
    pub variants: Vec<String>,
    /// Variants of the page's groups decided before this one.
    pub earlier: usize,
}

/// One question to the inspector, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct InspectRequest {
    /// The query: one text, or a conversation's user turns, oldest first.
    pub turns: Vec<String>,
    /// The time to rank at (ms since the epoch).
    pub now_ms: i64,
    /// Ranking settings (`limit` is how many items the context block may take).
    pub rank: Checked<RankSettings>,
    /// Rendering settings of the context block.
    pub render: Checked<RenderSettings>,
    /// How many of the items past the cut to show. Default 5.
    pub below: usize,
    /// A pasted page's slots and groups, if any.
    pub page: Option<PageRequest>,
}

const MEMBERS: &str =
    "query, now, budget_tokens, format, max_value_chars, max_properties, below, settings, page";

impl InspectRequest {
    /// Reads a request: `{"query": "…" | ["turn", …], "now"?: ms | "RFC 3339", "budget_tokens"?,
    /// "format"?: "text" | "json", "max_value_chars"?, "max_properties"?, "below"?, "settings"?:
    /// {any [`RankSettings`] member}, "page"?: {"slots", "conditions", "groups": [{"variants",
    /// "earlier"}]}}`. `now_ms` is the time when the request names none.
    pub fn from_json(text: &str, now_ms: i64) -> Result<Self, InspectError> {
        let value: Json = serde_json::from_str(text).map_err(|_| InspectError::Json)?;
        let obj = value.as_object().ok_or(InspectError::Json)?;
        let mut render = RenderSettings::default();
        let mut rank = RankSettings::default();
        let mut req = InspectRequest {
            turns: Vec::new(),
            now_ms,
            rank: Checked::default(),
            render: Checked::default(),
            below: 5,
            page: None,
        };
        for (key, v) in obj {
            match key.as_str() {
                "query" => req.turns = turns(v)?,
                "now" => req.now_ms = time(v)?,
                "budget_tokens" => render.budget_tokens = count(v, "budget_tokens")?,
                "max_value_chars" => render.max_value_chars = count(v, "max_value_chars")?,
                "max_properties" => render.max_properties = count(v, "max_properties")?,
                "format" => render.format = format(v)?,
                "below" => req.below = bounded(v, "below", MAX_BELOW)?,
                "settings" => set_rank(&mut rank, v)?,
                "page" => req.page = Some(page(v)?),
                other => return Err(unknown(other, "")),
            }
        }
        if !obj.contains_key("query") {
            return Err(invalid("query", "a text or an array of user turns"));
        }
        req.rank = rank.checked()?;
        req.render = render.checked()?;
        Ok(req)
    }
}

fn unknown(key: &str, parent: &str) -> InspectError {
    let key: String = key.chars().take(40).collect();
    let path = if parent.is_empty() {
        format!("{key:?} (known: {MEMBERS})")
    } else {
        format!("{parent}.{key:?}")
    };
    InspectError::Unknown { path }
}

fn invalid(path: impl Into<String>, expected: &'static str) -> InspectError {
    InspectError::Invalid {
        path: path.into(),
        expected,
    }
}

fn turns(v: &Json) -> Result<Vec<String>, InspectError> {
    const SHAPE: &str = "a text or an array of user turns (texts, oldest first)";
    match v {
        Json::String(s) => Ok(vec![s.clone()]),
        Json::Array(items) if !items.is_empty() => {
            if items.len() > MAX_TURNS {
                return Err(InspectError::TooMany {
                    path: "query",
                    limit: MAX_TURNS,
                });
            }
            items
                .iter()
                .map(|t| {
                    t.as_str()
                        .map(str::to_string)
                        .ok_or(invalid("query", SHAPE))
                })
                .collect()
        }
        _ => Err(invalid("query", SHAPE)),
    }
}

fn time(v: &Json) -> Result<i64, InspectError> {
    const SHAPE: &str = "milliseconds since the epoch or an RFC 3339 time";
    match v {
        Json::Number(n) => n.as_i64().ok_or(invalid("now", SHAPE)),
        Json::String(s) => crate::time::parse_timestamp(s).ok_or(invalid("now", SHAPE)),
        _ => Err(invalid("now", SHAPE)),
    }
}

fn count(v: &Json, path: &str) -> Result<usize, InspectError> {
    v.as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| invalid(path, "a non-negative integer"))
}

fn bounded(v: &Json, path: &'static str, max: usize) -> Result<usize, InspectError> {
    let n = count(v, path)?;
    if n > max {
        return Err(InspectError::TooMany { path, limit: max });
    }
    Ok(n)
}

fn format(v: &Json) -> Result<ContextFormat, InspectError> {
    match v.as_str() {
        Some("text") => Ok(ContextFormat::Text),
        Some("json") => Ok(ContextFormat::Json),
        _ => Err(invalid("format", "\"text\" or \"json\"")),
    }
}

fn number(v: &Json, path: &str) -> Result<f32, InspectError> {
    v.as_f64()
        .map(|x| x as f32)
        .ok_or_else(|| invalid(path, "a number"))
}

/// Sets the named [`RankSettings`] members (their ranges are checked with the rest afterwards).
fn set_rank(s: &mut RankSettings, v: &Json) -> Result<(), InspectError> {
    let obj = v
        .as_object()
        .ok_or(invalid("settings", "an object of ranking settings"))?;
    for (key, v) in obj {
        let path = ["settings.", key].concat();
        let f = || number(v, &path);
        let n = || count(v, &path);
        match key.as_str() {
            "limit" => s.limit = n()?,
            "k1" => s.k1 = f()?,
            "b" => s.b = f()?,
            "field_weights" => s.field_weights = field_weights(v, &path)?,
            "expansion_weight" => s.expansion_weight = f()?,
            "coverage_exponent" => s.coverage_exponent = f()?,
            "half_life_hours" => s.half_life_hours = f()?,
            "recency_floor" => s.recency_floor = f()?,
            "trait_recency" => s.trait_recency = f()?,
            "withheld_weight" => s.withheld_weight = f()?,
            "frequency_weight" => s.frequency_weight = f()?,
            "min_score" => s.min_score = f()?,
            "max_query_terms" => s.max_query_terms = n()?,
            "time_weight" => s.time_weight = f()?,
            "metric_weight" => s.metric_weight = f()?,
            "max_time_windows" => s.max_time_windows = n()?,
            "related_weight" => s.related_weight = f()?,
            "broader_weight" => s.broader_weight = f()?,
            "narrower_weight" => s.narrower_weight = f()?,
            "vector_weight" => s.vector_weight = f()?,
            "veto_cosine" => s.veto_cosine = f()?,
            "common_name_weight" => s.common_name_weight = f()?,
            "group_time_share" => s.group_time_share = f()?,
            "amount_weight" => s.amount_weight = f()?,
            "fuzzy_weight" => s.fuzzy_weight = f()?,
            "compound_weight" => s.compound_weight = f()?,
            "derived_weight" => s.derived_weight = f()?,
            "hour_weight" => s.hour_weight = f()?,
            "salience_weight" => s.salience_weight = f()?,
            "salience_horizon_days" => s.salience_horizon_days = f()?,
            "repeat_decay" => s.repeat_decay = f()?,
            "thread_seeds" => s.thread_seeds = n()?,
            "thread_max_df" => s.thread_max_df = n()?,
            "thread_weight" => s.thread_weight = f()?,
            "thread_adds_unmatched" => {
                s.thread_adds_unmatched = v
                    .as_bool()
                    .ok_or_else(|| invalid(path.as_str(), "true or false"))?;
            }
            "max_query_bytes" => s.max_query_bytes = n()?,
            "turn_decay" => s.turn_decay = f()?,
            "max_turns" => s.max_turns = n()?,
            other => return Err(unknown(other, "settings")),
        }
    }
    Ok(())
}

fn field_weights(v: &Json, path: &str) -> Result<[f32; 4], InspectError> {
    const SHAPE: &str = "four numbers (name, keys, values, initials)";
    let items = v.as_array().ok_or_else(|| invalid(path, SHAPE))?;
    let mut out = [0f32; 4];
    if items.len() != out.len() {
        return Err(invalid(path, SHAPE));
    }
    for (slot, item) in out.iter_mut().zip(items) {
        *slot = item
            .as_f64()
            .map(|x| x as f32)
            .ok_or_else(|| invalid(path, SHAPE))?;
    }
    Ok(out)
}

fn strings(v: Option<&Json>, path: &'static str, max: usize) -> Result<Vec<String>, InspectError> {
    let Some(v) = v else {
        return Ok(Vec::new());
    };
    let items = v.as_array().ok_or(invalid(path, "an array of texts"))?;
    if items.len() > max {
        return Err(InspectError::TooMany { path, limit: max });
    }
    items
        .iter()
        .map(|s| {
            s.as_str()
                .map(str::to_string)
                .ok_or(invalid(path, "an array of texts"))
        })
        .collect()
}

fn page(v: &Json) -> Result<PageRequest, InspectError> {
    let obj: &Map<String, Json> = v
        .as_object()
        .ok_or(invalid("page", "an object {slots, conditions, groups}"))?;
    if let Some(k) = obj
        .keys()
        .find(|k| !["slots", "conditions", "groups"].contains(&k.as_str()))
    {
        return Err(unknown(k, "page"));
    }
    let mut out = PageRequest {
        slots: strings(obj.get("slots"), "page.slots", MAX_PAGE_SLOTS)?,
        conditions: strings(obj.get("conditions"), "page.conditions", MAX_PAGE_SLOTS)?,
        groups: Vec::new(),
    };
    let groups = match obj.get("groups") {
        None => return Ok(out),
        Some(g) => g
            .as_array()
            .ok_or(invalid("page.groups", "an array of groups"))?,
    };
    if groups.len() > MAX_PAGE_GROUPS {
        return Err(InspectError::TooMany {
            path: "page.groups",
            limit: MAX_PAGE_GROUPS,
        });
    }
    for (i, g) in groups.iter().enumerate() {
        let path = || format!("page.groups[{i}]");
        let g = g
            .as_object()
            .ok_or_else(|| invalid(path(), "an object {variants, earlier}"))?;
        if let Some(k) = g
            .keys()
            .find(|k| !["variants", "earlier"].contains(&k.as_str()))
        {
            return Err(unknown(k, &path()));
        }
        let variants = strings(
            g.get("variants"),
            "page.groups[].variants",
            MAX_GROUP_VARIANTS,
        )?;
        let earlier = match g.get("earlier") {
            None => 0,
            Some(e) => count(e, &[path().as_str(), ".earlier"].concat())?,
        };
        out.groups.push(GroupRequest { variants, earlier });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_000_000_000;

    #[test]
    fn a_bare_query_takes_every_default() {
        let r = InspectRequest::from_json(r#"{"query": "running shoes"}"#, NOW).unwrap();
        assert_eq!(r.turns, ["running shoes"]);
        assert_eq!(r.now_ms, NOW);
        assert_eq!(*r.rank, RankSettings::default());
        assert_eq!(*r.render, RenderSettings::default());
        assert_eq!(r.below, 5);
        assert_eq!(r.page, None);
    }

    #[test]
    fn every_member_is_read() {
        let r = InspectRequest::from_json(
            r#"{"query": ["shoes?", "and in blue?"], "now": "2026-11-20T12:00:00Z",
                "budget_tokens": 80, "format": "json", "max_value_chars": 40, "max_properties": 2,
                "below": 7, "settings": {"limit": 4, "k1": 1.5, "field_weights": [1, 2, 3, 4]},
                "page": {"slots": ["trait:a"], "conditions": ["audience:b"],
                         "groups": [{"variants": ["x", "y"], "earlier": 3}]}}"#,
            0,
        )
        .unwrap();
        assert_eq!(r.turns, ["shoes?", "and in blue?"]);
        assert_eq!(r.now_ms, 1_795_176_000_000);
        assert_eq!(
            (
                r.render.budget_tokens,
                r.render.format,
                r.render.max_value_chars
            ),
            (80, ContextFormat::Json, 40)
        );
        assert_eq!(
            (r.rank.limit, r.rank.k1, r.rank.field_weights),
            (4, 1.5, [1.0, 2.0, 3.0, 4.0])
        );
        assert_eq!(r.below, 7);
        let page = r.page.unwrap();
        assert_eq!(page.slots, ["trait:a"]);
        assert_eq!(page.groups[0].earlier, 3);
    }

    #[test]
    fn every_ranking_setting_can_be_set() {
        // The settings' own serialization names every member: each must be settable here, so
        // that a setting added to the model is one the inspector can change.
        let defaults = serde_json::to_value(RankSettings::default()).unwrap();
        let body = serde_json::json!({"query": "q", "settings": defaults});
        let r = InspectRequest::from_json(&body.to_string(), NOW).unwrap();
        assert_eq!(*r.rank, RankSettings::default());
    }

    #[test]
    fn bad_requests_name_what_is_wrong() {
        let err = |text: &str| {
            InspectRequest::from_json(text, NOW)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(err("[1]"), "inspect request: expected a JSON object");
        assert!(err(r#"{"query": "q", "limti": 3}"#).contains("unknown member \"limti\""));
        assert!(err(r#"{"query": "q", "settings": {"k2": 1}}"#).contains("settings.\"k2\""));
        assert!(err(r#"{"query": 3}"#).contains("query: expected a text"));
        assert!(err(r#"{"query": []}"#).contains("query: expected"));
        assert!(err(r#"{}"#).contains("query: expected"));
        assert!(err(r#"{"query": "q", "now": "yesterday"}"#).contains("now: expected"));
        assert!(err(r#"{"query": "q", "settings": {"limit": 0}}"#).contains("setting limit"));
        assert!(err(r#"{"query": "q", "settings": {"k1": "x"}}"#).contains("settings.k1"));
        assert!(err(r#"{"query": "q", "below": 51}"#).contains("below: more than 50"));
        assert!(err(r#"{"query": "q", "budget_tokens": -1}"#).contains("budget_tokens"));
        assert!(err(r#"{"query": "q", "budget_tokens": 100001}"#).contains("budget_tokens"));
        assert!(err(r#"{"query": "q", "page": {"slots": [1]}}"#).contains("page.slots"));
        assert!(
            err(r#"{"query": "q", "page": {"groups": [{"variants": ["a"], "x": 1}]}}"#)
                .contains("page.groups[0]")
        );
        let many = serde_json::json!({"query": "q", "page": {"slots": vec!["trait:a"; 1001]}});
        assert!(err(&many.to_string()).contains("page.slots: more than 1000"));
    }
}
