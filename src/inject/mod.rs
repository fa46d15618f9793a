//! Injects a rendered context into LLM request bodies, changing nothing else.
//!
//! | API | where the context goes | where the query comes from |
//! | --- | --- | --- |
//! | OpenAI Chat Completions (`messages`) | a `system` message after the request's leading system/developer messages | the last `user` message |
//! | OpenAI Responses (`instructions`, `input`) | appended to `instructions` (set when absent) | `input` when a string, else its last `user` item |
//! | Anthropic Messages (`system`, `messages`) | appended to `system` (a string, or a new text block when it is an array) | the last `user` message |
//!
//! Message content may be a string or an array of parts; text parts (`text`, `input_text`) are joined.
//! Existing system prompts are kept, in place. An empty context leaves the body untouched.

use serde_json::{json, Map, Value as Json};

use crate::errors::InjectError;

/// Which request body shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// OpenAI Chat Completions (`/v1/chat/completions`).
    OpenAiChat,
    /// OpenAI Responses (`/v1/responses`).
    OpenAiResponses,
    /// Anthropic Messages (`/v1/messages`).
    AnthropicMessages,
}

impl Api {
    /// The API served at an HTTP path: `/v1/chat/completions`, `/v1/responses`, `/v1/messages`.
    pub fn from_path(path: &str) -> Option<Api> {
        let path = path.trim_end_matches('/');
        if path.ends_with("/chat/completions") {
            Some(Api::OpenAiChat)
        } else if path.ends_with("/responses") {
            Some(Api::OpenAiResponses)
        } else if path.ends_with("/messages") {
            Some(Api::AnthropicMessages)
        } else {
            None
        }
    }

    /// Parses `openai-chat`, `openai-responses`, `anthropic-messages`.
    pub fn from_name(name: &str) -> Option<Api> {
        match name {
            "openai-chat" | "chat" => Some(Api::OpenAiChat),
            "openai-responses" | "responses" => Some(Api::OpenAiResponses),
            "anthropic-messages" | "anthropic" | "messages" => Some(Api::AnthropicMessages),
            _ => None,
        }
    }

    /// Guesses the API from a body: `input`/`instructions` → Responses; a top-level `system` with
    /// `messages` → Anthropic; `messages` → Chat Completions.
    pub fn detect(body: &Json) -> Option<Api> {
        let obj = body.as_object()?;
        if obj.contains_key("input") || obj.contains_key("instructions") {
            Some(Api::OpenAiResponses)
        } else if obj.contains_key("messages") && obj.contains_key("system") {
            Some(Api::AnthropicMessages)
        } else if obj.contains_key("messages") {
            Some(Api::OpenAiChat)
        } else {
            None
        }
    }
}

/// The text of the last user turn, used as the ranking query.
pub fn last_user_text(body: &Json, api: Api) -> Result<String, InjectError> {
    Ok(user_turns(body, api, 1)?.pop().unwrap_or_default())
}

/// The texts of the last `max` user turns, oldest first: a conversation query
/// ([`crate::rank::Query::conversation`]). Assistant, system and tool turns are not query text.
pub fn user_turns(body: &Json, api: Api, max: usize) -> Result<Vec<String>, InjectError> {
    let obj = body.as_object().ok_or(InjectError::NotAnObject)?;
    match api {
        Api::OpenAiChat | Api::AnthropicMessages => {
            users_in(messages_of(obj, "messages")?, "messages", max)
        }
        Api::OpenAiResponses => match obj.get("input") {
            Some(Json::String(s)) => Ok(vec![s.clone()]),
            Some(Json::Array(items)) => users_in(items, "input", max),
            Some(_) => Err(InjectError::Invalid {
                path: "input".into(),
                expected: "a string or an array",
            }),
            None => Err(InjectError::Missing {
                path: "input".into(),
            }),
        },
    }
}

fn messages_of<'a>(obj: &'a Map<String, Json>, key: &str) -> Result<&'a Vec<Json>, InjectError> {
    match obj.get(key) {
        Some(Json::Array(items)) => Ok(items),
        Some(_) => Err(InjectError::Invalid {
            path: key.into(),
            expected: "an array",
        }),
        None => Err(InjectError::Missing { path: key.into() }),
    }
}

fn users_in(items: &[Json], path: &str, max: usize) -> Result<Vec<String>, InjectError> {
    let mut turns = Vec::new();
    for (i, item) in items.iter().enumerate().rev() {
        if turns.len() == max {
            break;
        }
        if item.get("role").and_then(Json::as_str) == Some("user") {
            turns.push(content_text(
                item.get("content"),
                &format!("{path}[{i}].content"),
            )?);
        }
    }
    turns.reverse();
    Ok(turns)
}

fn content_text(content: Option<&Json>, path: &str) -> Result<String, InjectError> {
    match content {
        None | Some(Json::Null) => Ok(String::new()),
        Some(Json::String(s)) => Ok(s.clone()),
        Some(Json::Array(parts)) => Ok(parts
            .iter()
            .filter(|p| {
                matches!(
                    p.get("type").and_then(Json::as_str),
                    Some("text" | "input_text")
                )
            })
            .filter_map(|p| p.get("text").and_then(Json::as_str))
            .collect::<Vec<_>>()
            .join("\n")),
        Some(_) => Err(InjectError::Invalid {
            path: path.into(),
            expected: "a string or an array of parts",
        }),
    }
}

/// Adds `context` to `body` as a system part for `api`. An empty context changes nothing.
pub fn inject(body: &mut Json, api: Api, context: &str) -> Result<(), InjectError> {
    let obj = body.as_object_mut().ok_or(InjectError::NotAnObject)?;
    if context.is_empty() {
        return Ok(());
    }
    match api {
        Api::OpenAiChat => {
            let messages = match obj.get_mut("messages") {
                Some(Json::Array(items)) => items,
                Some(_) => {
                    return Err(InjectError::Invalid {
                        path: "messages".into(),
                        expected: "an array",
                    })
                }
                None => {
                    return Err(InjectError::Missing {
                        path: "messages".into(),
                    })
                }
            };
            let at = messages
                .iter()
                .position(|m| {
                    !matches!(
                        m.get("role").and_then(Json::as_str),
                        Some("system" | "developer")
                    )
                })
                .unwrap_or(messages.len());
            messages.insert(at, json!({ "role": "system", "content": context }));
        }
        Api::OpenAiResponses => append_text(obj, "instructions", context)?,
        Api::AnthropicMessages => match obj.get_mut("system") {
            Some(Json::Array(blocks)) => blocks.push(json!({ "type": "text", "text": context })),
            _ => append_text(obj, "system", context)?,
        },
    }
    Ok(())
}

fn append_text(obj: &mut Map<String, Json>, key: &str, context: &str) -> Result<(), InjectError> {
    match obj.get_mut(key) {
        None | Some(Json::Null) => {
            obj.insert(key.into(), Json::String(context.to_string()));
        }
        Some(Json::String(existing)) if existing.is_empty() => *existing = context.to_string(),
        Some(Json::String(existing)) => {
            existing.push_str("\n\n");
            existing.push_str(context);
        }
        Some(_) => {
            return Err(InjectError::Invalid {
                path: key.into(),
                expected: "a string",
            })
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: &str = "<user_profile_context>\n- Shoe size: \"10.5\"\n</user_profile_context>";

    #[test]
    fn user_turns_are_the_last_ones_oldest_first_without_the_assistant() {
        let body = json!({"system": "s", "messages": [
            {"role": "user", "content": "one"},
            {"role": "assistant", "content": "not query text"},
            {"role": "user", "content": [{"type": "text", "text": "two"}, {"type": "image"}]},
            {"role": "assistant", "content": [{"type": "text", "text": "nor this"}]},
            {"role": "user", "content": [{"type": "tool_result", "content": "x"}]},
            {"role": "user", "content": "four"},
        ]});
        let turns = user_turns(&body, Api::AnthropicMessages, 3).unwrap();
        assert_eq!(turns, ["two", "", "four"]);
        assert_eq!(
            user_turns(&body, Api::AnthropicMessages, 1).unwrap(),
            ["four"]
        );
        let responses = json!({"input": [
            {"role": "user", "content": [{"type": "input_text", "text": "a"}]},
            {"type": "function_call_output", "call_id": "c", "output": "{}"},
            {"role": "user", "content": "b"},
        ]});
        assert_eq!(
            user_turns(&responses, Api::OpenAiResponses, 4).unwrap(),
            ["a", "b"]
        );
        // Only the turns read are checked: a bad old turn beyond `max` is not an error.
        let old_bad = json!({"messages": [{"role": "user", "content": 5}, {"role": "user", "content": "ok"}]});
        assert_eq!(user_turns(&old_bad, Api::OpenAiChat, 1).unwrap(), ["ok"]);
        assert_eq!(
            user_turns(&old_bad, Api::OpenAiChat, 2).unwrap_err(),
            InjectError::Invalid {
                path: "messages[0].content".into(),
                expected: "a string or an array of parts"
            }
        );
    }

    #[test]
    fn chat_gets_a_system_message_after_existing_ones() {
        let mut body = json!({"model": "m", "stream": true, "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello"},
            {"role": "user", "content": [{"type": "text", "text": "running shoes"}, {"type": "image_url", "image_url": {"url": "x"}}]}
        ]});
        let original = body.clone();
        assert_eq!(
            last_user_text(&body, Api::OpenAiChat).unwrap(),
            "running shoes"
        );
        inject(&mut body, Api::OpenAiChat, CTX).unwrap();
        let messages = body["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 5);
        assert_eq!(messages[0], original["messages"][0]);
        assert_eq!(messages[1], json!({"role": "system", "content": CTX}));
        assert_eq!(
            &messages[2..],
            &original["messages"].as_array().unwrap()[1..]
        );
        assert_eq!(body["model"], "m");
        assert_eq!(body["stream"], true);
    }

    #[test]
    fn responses_instructions_are_appended_or_set() {
        let mut body = json!({"model": "m", "instructions": "Be brief.", "input": "my size?"});
        assert_eq!(
            last_user_text(&body, Api::OpenAiResponses).unwrap(),
            "my size?"
        );
        inject(&mut body, Api::OpenAiResponses, CTX).unwrap();
        assert_eq!(body["instructions"], format!("Be brief.\n\n{CTX}"));
        assert_eq!(body["input"], "my size?");
        let mut body = json!({"model": "m", "input": [{"role": "user", "content": [{"type": "input_text", "text": "shoes"}]}]});
        assert_eq!(
            last_user_text(&body, Api::OpenAiResponses).unwrap(),
            "shoes"
        );
        inject(&mut body, Api::OpenAiResponses, CTX).unwrap();
        assert_eq!(body["instructions"], CTX);
    }

    #[test]
    fn anthropic_system_string_or_blocks() {
        let mut body = json!({"model": "m", "max_tokens": 10, "system": "Be brief.", "messages": [{"role": "user", "content": "shoes"}]});
        inject(&mut body, Api::AnthropicMessages, CTX).unwrap();
        assert_eq!(body["system"], format!("Be brief.\n\n{CTX}"));
        let mut body = json!({"system": [{"type": "text", "text": "Be brief."}], "messages": []});
        inject(&mut body, Api::AnthropicMessages, CTX).unwrap();
        assert_eq!(body["system"][1], json!({"type": "text", "text": CTX}));
        let mut body = json!({"messages": [{"role": "user", "content": "x"}]});
        inject(&mut body, Api::AnthropicMessages, CTX).unwrap();
        assert_eq!(body["system"], CTX);
    }

    #[test]
    fn bad_bodies_are_typed_errors_and_empty_context_changes_nothing() {
        assert_eq!(
            inject(&mut json!([1]), Api::OpenAiChat, CTX),
            Err(InjectError::NotAnObject)
        );
        assert!(matches!(
            inject(&mut json!({"messages": 5}), Api::OpenAiChat, CTX),
            Err(InjectError::Invalid { .. })
        ));
        assert!(matches!(
            inject(&mut json!({}), Api::OpenAiChat, CTX),
            Err(InjectError::Missing { .. })
        ));
        assert!(matches!(
            inject(&mut json!({"instructions": 5}), Api::OpenAiResponses, CTX),
            Err(InjectError::Invalid { .. })
        ));
        assert!(matches!(
            last_user_text(
                &json!({"messages": [{"role": "user", "content": 5}]}),
                Api::OpenAiChat
            ),
            Err(InjectError::Invalid { .. })
        ));
        let mut body = json!({"messages": []});
        inject(&mut body, Api::OpenAiChat, "").unwrap();
        assert_eq!(body, json!({"messages": []}));
    }

    #[test]
    fn apis_from_paths_names_and_bodies() {
        assert_eq!(
            Api::from_path("/v1/chat/completions"),
            Some(Api::OpenAiChat)
        );
        assert_eq!(Api::from_path("/v1/responses"), Some(Api::OpenAiResponses));
        assert_eq!(Api::from_path("/v1/messages"), Some(Api::AnthropicMessages));
        assert_eq!(Api::from_path("/v1/other"), None);
        assert_eq!(
            Api::detect(&json!({"input": "x"})),
            Some(Api::OpenAiResponses)
        );
        assert_eq!(
            Api::detect(&json!({"system": "x", "messages": []})),
            Some(Api::AnthropicMessages)
        );
        assert_eq!(Api::detect(&json!({"messages": []})), Some(Api::OpenAiChat));
        assert_eq!(Api::detect(&json!({})), None);
    }
}
