//! `/v1/memories`: the caller's own memories, written through their person object
//! ([`super::person`]), which answers once they are stored. `POST` remembers (`{text, key?,
//! category?}` → 201 with the memory), `GET` lists them newest first, `DELETE /v1/memories/<id>`
//! forgets one. Identity only from a verified token; answers are `Cache-Control: no-store`. The
//! operations are shared with the MCP tools (`mcp.rs`).

use serde_json::{json, Value as Json};
use worker::{Env, Request, Response};

use super::config::Config;
use super::store::saw_version;
use super::{identify, now_ms, person_client, read_body, Failure, Outcome};

/// The path of the collection; one memory is `<PREFIX>/<id>`.
pub(super) const PREFIX: &str = "/v1/memories";
/// The largest body read (a memory is at most `MEMORY_MAX_CHARS` characters).
const MAX_MEMORY_BODY: usize = 64 << 10;

/// What to remember, from a JSON object: `text` (a string), `key` and `category` (strings, absent
/// or null). The object checks the lengths.
pub(super) fn memory_input(args: &Json, source: &str) -> Result<Json, Failure> {
    const SHAPE: &str = "expected {\"text\": \"...\", \"key\"?: \"...\", \"category\"?: \"...\"}";
    let text = args
        .get("text")
        .and_then(Json::as_str)
        .ok_or(Failure::BadRequest(SHAPE))?;
    let label = |k: &str| match args.get(k) {
        None | Some(Json::Null) => Ok(Json::Null),
        Some(Json::String(s)) => Ok(Json::String(s.clone())),
        Some(_) => Err(Failure::BadRequest(SHAPE)),
    };
    Ok(json!({
        "text": text,
        "key": label("key")?,
        "category": label("category")?,
        "source": source,
    }))
}

/// Remembers for `user`: `{"memory", "outcome", "superseded"}` (`outcome`: `stored`,
/// `duplicate` (the same fact was kept already; `memory` is that one) or `superseded` (the memory
/// with the same key, named by `superseded`, was replaced)); with whether it is new (201) or not
/// (200). A memory the policy would withhold, or one without the consent memories need, is a 422
/// with the reason, which the MCP tool answers as `isError` text.
pub(super) async fn remember(env: &Env, user: &str, input: &Json) -> Result<(Json, u16), Failure> {
    let answer = person_client::remember(env, user, input).await?;
    let message = answer.error().unwrap_or("refused").to_string();
    match answer.status {
        200 | 201 => {
            if let Some(v) = answer.version() {
                saw_version(user, v, now_ms());
            }
            let mut body = answer.body;
            if let Some(obj) = body.as_object_mut() {
                obj.remove("version");
            }
            Ok((body, answer.status))
        }
        409 => Err(Failure::Conflict("the person is erased and suppressed")),
        422 => Err(Failure::Unprocessable(message)),
        _ => Err(Failure::BadSetting(message)),
    }
}

/// `user`'s memories, newest first.
pub(super) async fn list(env: &Env, user: &str) -> Result<Json, Failure> {
    let answer = person_client::memories(env, user).await?;
    Ok(answer.body.get("memories").cloned().unwrap_or(json!([])))
}

/// Forgets `user`'s memory `id` (`<id>` or its item id `memory:<id>`).
pub(super) async fn forget(env: &Env, user: &str, id: &str) -> Result<(), Failure> {
    let id = id.strip_prefix("memory:").unwrap_or(id);
    if id.is_empty() {
        return Err(Failure::NotFound);
    }
    let answer = person_client::forget(env, user, id).await?;
    match answer.status {
        200 => {
            if let Some(v) = answer.version() {
                saw_version(user, v, now_ms());
            }
            Ok(())
        }
        _ => Err(Failure::NotFound),
    }
}

fn no_store(mut resp: Response) -> Response {
    let _ = resp.headers_mut().set("cache-control", "no-store");
    resp
}

/// `POST`/`GET /v1/memories`, `DELETE /v1/memories/<id>`.
pub(super) async fn memories_route(
    mut req: Request,
    path: &str,
    env: &Env,
    cfg: &Config,
) -> Outcome {
    let user = identify(&req, cfg, now_ms(), false).ok_or(Failure::Unauthorized)?;
    let id = path
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.strip_prefix('/'));
    let resp = match (req.method(), id) {
        (worker::Method::Post, None) => {
            let body = read_body(&mut req, MAX_MEMORY_BODY).await?;
            let args: Json = serde_json::from_slice(&body)
                .map_err(|_| Failure::BadRequest("expected a JSON object"))?;
            let (body, status) = remember(env, &user, &memory_input(&args, "rest")?).await?;
            Response::from_json(&body)?.with_status(status)
        }
        (worker::Method::Get, None) => {
            Response::from_json(&json!({ "memories": list(env, &user).await? }))?
        }
        (worker::Method::Delete, Some(id)) if !id.is_empty() => {
            let id = urlencoding_decode(id);
            forget(env, &user, &id).await?;
            Response::from_json(&json!({ "forgotten": id }))?
        }
        (_, None) | (_, Some(_)) => return Err(Failure::MethodNotAllowed),
    };
    Ok(no_store(resp))
}

/// `%XX` escapes of a path segment decoded (ids are hex, but a client may escape the colon of
/// `memory:<id>`); invalid escapes stay as they are.
fn urlencoding_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
