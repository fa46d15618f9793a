//! The tools `/mcp` offers, their JSON Schemas, and the checking of a `tools/call`'s arguments
//! into a typed [`ToolCall`] (the same for every protocol revision).

use serde_json::{json, Map, Value as Json};

use crate::errors::ToolArgsError;

/// Most earlier turns `get_user_context` takes (the ranker reads the last `max_turns` anyway).
pub const MAX_EARLIER_TURNS: usize = 16;
/// Most items `search_profile` returns.
pub const MAX_LIMIT: u64 = 50;
/// The tools' names, in the order `tools/list` gives them.
pub const TOOL_NAMES: [&str; 4] = ["get_user_context", "search_profile", "remember", "forget"];

/// A checked tool call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolCall {
    /// The context block for a query, and its items.
    GetUserContext {
        /// What the conversation is about: the person's latest message.
        query: String,
        /// The person's earlier messages, oldest first: they weigh less than `query`
        /// ([`crate::rank_conversation`]), so a follow-up ("and in blue?") keeps its topic.
        earlier_turns: Vec<String>,
    },
    /// Ranked, explained items for a query.
    SearchProfile {
        /// The query.
        query: String,
        /// How many items (1 to [`MAX_LIMIT`], default 10).
        limit: usize,
    },
    /// Remember a fact.
    Remember {
        /// The fact.
        text: String,
        /// What it is about.
        key: Option<String>,
        /// A grouping.
        category: Option<String>,
    },
    /// Forget a memory by id (`<id>` or `memory:<id>`).
    Forget {
        /// The memory's id.
        id: String,
    },
}

impl ToolCall {
    /// The tool's name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::GetUserContext { .. } => "get_user_context",
            Self::SearchProfile { .. } => "search_profile",
            Self::Remember { .. } => "remember",
            Self::Forget { .. } => "forget",
        }
    }
}

/// The tools, with their input and output JSON Schemas.
pub fn tools() -> Json {
    let item = json!({
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "trait:<key>, event:<message id> or memory:<id>"},
            "kind": {"type": "string", "enum": ["trait", "event", "memory"]},
            "score": {"type": "number"},
        },
        "required": ["id", "kind", "score"],
    });
    let mut explained = item.clone();
    if let Some(props) = explained
        .get_mut("properties")
        .and_then(Json::as_object_mut)
    {
        props.insert(
            "explain".into(),
            json!({"type": "object", "description": "how the score was reached"}),
        );
    }
    let memory = json!({
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "item_id": {"type": "string"},
            "text": {"type": "string"},
            "key": {"type": ["string", "null"]},
            "category": {"type": ["string", "null"]},
            "source": {"type": "string"},
            "created_at": {"type": "string"},
        },
        "required": ["id", "item_id", "text", "source", "created_at"],
    });
    let query = json!({"type": "string", "description": "what the conversation is about"});
    json!([
        {
            "name": "get_user_context",
            "title": "Get user context",
            "description": "The delimited, privacy-filtered block of what the signed-in person's profile says about a query (traits, recent events, memories), ready to put in a prompt, and the ids of its items.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "query": query,
                    "earlier_turns": {
                        "type": "array",
                        "items": {"type": "string"},
                        "maxItems": MAX_EARLIER_TURNS,
                        "description": "the person's earlier messages in this conversation, oldest first (they weigh less than query)",
                    },
                },
                "required": ["query"],
                "additionalProperties": false,
            },
            "outputSchema": {
                "type": "object",
                "properties": {
                    "personalized": {"type": "boolean"},
                    "context": {"type": "string"},
                    "estimated_tokens": {"type": "integer"},
                    "items": {"type": "array", "items": item},
                },
                "required": ["personalized", "context", "estimated_tokens", "items"],
            },
        },
        {
            "name": "search_profile",
            "title": "Search profile",
            "description": "The signed-in person's profile items ranked for a query, each with its score explained.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "query": query,
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 10},
                },
                "required": ["query"],
                "additionalProperties": false,
            },
            "outputSchema": {
                "type": "object",
                "properties": {"items": {"type": "array", "items": explained}},
                "required": ["items"],
            },
        },
        {
            "name": "remember",
            "title": "Remember",
            "description": "Keeps a lasting fact about the signed-in person (\"prefers aisle seats\") in their profile; later conversations see it. The same fact twice is kept once; a new fact under the same key replaces the old one. Personal data (e-mail, phone, …) is refused, with the reason.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "text": {"type": "string", "minLength": 1, "description": "the fact, in a short sentence"},
                    "key": {"type": "string", "maxLength": 64, "description": "what it is about (seat_preference)"},
                    "category": {"type": "string", "maxLength": 64, "description": "a grouping (travel)"},
                },
                "required": ["text"],
                "additionalProperties": false,
            },
            "outputSchema": {
                "type": "object",
                "properties": {
                    "memory": memory,
                    "outcome": {"type": "string", "enum": ["stored", "duplicate", "superseded"]},
                    "superseded": {"type": ["string", "null"], "description": "the id of the memory with the same key it replaced"},
                },
                "required": ["memory", "outcome"],
            },
        },
        {
            "name": "forget",
            "title": "Forget",
            "description": "Deletes one of the signed-in person's memories by id (as remember or get_user_context gave it).",
            "inputSchema": {
                "type": "object",
                "properties": {"id": {"type": "string", "minLength": 1, "description": "<id> or memory:<id>"}},
                "required": ["id"],
                "additionalProperties": false,
            },
            "outputSchema": {
                "type": "object",
                "properties": {"forgotten": {"type": "string"}},
                "required": ["forgotten"],
            },
        },
    ])
}

/// The checked arguments of a `tools/call`'s `params` (`name`, `arguments`; anything else in
/// `params`, such as `_meta`, is the protocol's).
pub fn check_call(params: &Json) -> Result<ToolCall, ToolArgsError> {
    let name = params
        .get("name")
        .and_then(Json::as_str)
        .ok_or(ToolArgsError::NoName)?;
    let empty = Map::new();
    let args = match params.get("arguments") {
        None | Some(Json::Null) => &empty,
        Some(Json::Object(a)) => a,
        Some(_) => return Err(ToolArgsError::NotAnObject),
    };
    let Some(tool) = TOOL_NAMES.iter().copied().find(|t| *t == name) else {
        return Err(ToolArgsError::UnknownTool {
            name: truncated(name),
        });
    };
    let allowed: &[&str] = match tool {
        "get_user_context" => &["query", "earlier_turns"],
        "search_profile" => &["query", "limit"],
        "remember" => &["text", "key", "category"],
        _ => &["id"],
    };
    if let Some(extra) = args.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ToolArgsError::Unexpected {
            tool,
            argument: truncated(extra),
        });
    }
    let text = |argument: &'static str| -> Result<Option<String>, ToolArgsError> {
        match args.get(argument) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ToolArgsError::Invalid {
                tool,
                argument,
                expected: "a string",
            }),
        }
    };
    let required = |argument: &'static str| -> Result<String, ToolArgsError> {
        text(argument)?.ok_or(ToolArgsError::Missing { tool, argument })
    };
    Ok(match tool {
        "get_user_context" => ToolCall::GetUserContext {
            query: required("query")?,
            earlier_turns: earlier_turns(args.get("earlier_turns"))?,
        },
        "search_profile" => {
            let limit = match args.get("limit") {
                None | Some(Json::Null) => 10,
                Some(v) => v
                    .as_u64()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or(ToolArgsError::Invalid {
                        tool,
                        argument: "limit",
                        expected: "an integer from 1 to 50",
                    })?,
            };
            ToolCall::SearchProfile {
                query: required("query")?,
                limit,
            }
        }
        "remember" => ToolCall::Remember {
            text: required("text")?,
            key: text("key")?,
            category: text("category")?,
        },
        _ => ToolCall::Forget {
            id: required("id")?,
        },
    })
}

fn earlier_turns(value: Option<&Json>) -> Result<Vec<String>, ToolArgsError> {
    let invalid = |expected| ToolArgsError::Invalid {
        tool: "get_user_context",
        argument: "earlier_turns",
        expected,
    };
    match value {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(Json::Array(turns)) if turns.len() <= MAX_EARLIER_TURNS => turns
            .iter()
            .map(|t| t.as_str().map(str::to_string))
            .collect::<Option<Vec<String>>>()
            .ok_or(invalid("strings")),
        Some(_) => Err(invalid("an array of at most 16 strings")),
    }
}

/// At most 64 characters of a name the caller sent, for an error message.
fn truncated(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_input_and_output_schemas() {
        let tools = tools();
        let names: Vec<&str> = tools
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, TOOL_NAMES);
        for t in tools.as_array().unwrap() {
            assert_eq!(t["inputSchema"]["type"], "object");
            assert_eq!(t["outputSchema"]["type"], "object");
            assert!(t["description"].as_str().unwrap().len() > 20);
        }
    }

    #[test]
    fn tool_arguments_are_checked_into_calls_or_typed_errors() {
        let call = |params: &str| check_call(&serde_json::from_str(params).unwrap());
        assert_eq!(
            call(r#"{"name":"search_profile","arguments":{"query":"shoes","limit":3}}"#),
            Ok(ToolCall::SearchProfile {
                query: "shoes".into(),
                limit: 3
            })
        );
        assert_eq!(
            call(
                r#"{"name":"get_user_context","arguments":{"query":"and in blue?","earlier_turns":["trail shoes in my size"]},"_meta":{"x":1}}"#
            ),
            Ok(ToolCall::GetUserContext {
                query: "and in blue?".into(),
                earlier_turns: vec!["trail shoes in my size".into()]
            })
        );
        assert_eq!(
            call(r#"{"name":"remember","arguments":{"text":"likes tea","category":null}}"#),
            Ok(ToolCall::Remember {
                text: "likes tea".into(),
                key: None,
                category: None
            })
        );
        let long = "n".repeat(500);
        for (params, error, message) in [
            (
                r#"{"arguments":{}}"#.to_string(),
                ToolArgsError::NoName,
                "tools/call needs a tool name",
            ),
            (
                r#"{"name":"nope"}"#.into(),
                ToolArgsError::UnknownTool {
                    name: "nope".into(),
                },
                "unknown tool: nope",
            ),
            (
                format!(r#"{{"name":"{long}"}}"#),
                ToolArgsError::UnknownTool {
                    name: "n".repeat(64),
                },
                "unknown tool: nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn",
            ),
            (
                r#"{"name":"forget","arguments":{}}"#.into(),
                ToolArgsError::Missing {
                    tool: "forget",
                    argument: "id",
                },
                "forget: id is required",
            ),
            (
                r#"{"name":"forget","arguments":{"id":5}}"#.into(),
                ToolArgsError::Invalid {
                    tool: "forget",
                    argument: "id",
                    expected: "a string",
                },
                "forget: id must be a string",
            ),
            (
                r#"{"name":"search_profile","arguments":{"query":"q","limit":0}}"#.into(),
                ToolArgsError::Invalid {
                    tool: "search_profile",
                    argument: "limit",
                    expected: "an integer from 1 to 50",
                },
                "search_profile: limit must be an integer from 1 to 50",
            ),
            (
                r#"{"name":"get_user_context","arguments":{"query":"q","x":1}}"#.into(),
                ToolArgsError::Unexpected {
                    tool: "get_user_context",
                    argument: "x".into(),
                },
                "get_user_context: unexpected argument x",
            ),
            (
                r#"{"name":"get_user_context","arguments":{"query":"q","earlier_turns":[1]}}"#
                    .into(),
                ToolArgsError::Invalid {
                    tool: "get_user_context",
                    argument: "earlier_turns",
                    expected: "strings",
                },
                "get_user_context: earlier_turns must be strings",
            ),
            (
                r#"{"name":"get_user_context","arguments":{"query":"q","earlier_turns":"a"}}"#
                    .into(),
                ToolArgsError::Invalid {
                    tool: "get_user_context",
                    argument: "earlier_turns",
                    expected: "an array of at most 16 strings",
                },
                "get_user_context: earlier_turns must be an array of at most 16 strings",
            ),
            (
                r#"{"name":"remember","arguments":[1]}"#.into(),
                ToolArgsError::NotAnObject,
                "arguments must be an object",
            ),
        ] {
            let got = call(&params);
            assert_eq!(got, Err(error), "{params}");
            assert_eq!(got.unwrap_err().to_string(), message);
        }
    }
}
