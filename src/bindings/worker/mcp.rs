//! `/mcp`: a Model Context Protocol server (Streamable HTTP, stateless: one JSON-RPC message per
//! `POST`, JSON answers, no SSE, no session). The protocol is the core's ([`crate::mcp`]); this
//! file is identity, HTTP and running the tools over the caller's own profile: the same
//! snapshots as `/v1/context`, the same memory writes as `/v1/memories`.
//!
//! Identity only from `Authorization: Bearer <identity token>` (no cookie: a page on another site
//! cannot make a browser call tools). No or a bad token: 401 with `WWW-Authenticate: Bearer
//! resource_metadata="<origin>/.well-known/oauth-protected-resource"`, whose RFC 9728 metadata
//! names `MCP_AUTHORIZATION_SERVER`. Every answer is `Cache-Control: no-store`.

use serde_json::{json, Value as Json};
use worker::{Context, Env, Headers, Request, Response};

use crate::identity;
use crate::mcp::{self, Action, ToolCall};
use crate::rank::RankSettings;
use crate::settings::Checked;

use super::config::Config;
use super::store::load;
use super::{memories, now_ms, read_body, Failure, Outcome};

/// The endpoint.
pub(super) const PATH: &str = "/mcp";
/// Where the protected-resource metadata is (RFC 9728; also with `/mcp` appended).
pub(super) const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";
/// The largest message read.
const MAX_MCP_BODY: usize = 1 << 20;

fn answer(status: u16, body: Option<&Json>) -> Outcome {
    let headers = Headers::new();
    headers.set("cache-control", "no-store")?;
    if body.is_some() {
        headers.set("content-type", "application/json")?;
    }
    let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    Ok(Response::builder()
        .with_status(status)
        .with_headers(headers)
        .fixed(bytes))
}

/// `scheme://host[:port]` of the request.
fn origin(req: &Request) -> Result<String, Failure> {
    let url = req.url()?;
    Ok(url.origin().ascii_serialization())
}

/// The verified user id of `Authorization: Bearer <token>`, if any.
fn bearer_user(req: &Request, cfg: &Config, now: i64) -> Option<String> {
    let secret = cfg.identity_secret.as_deref()?.as_bytes();
    let auth = req.headers().get("authorization").ok().flatten()?;
    let token = auth
        .strip_prefix("Bearer ")
        .or_else(|| auth.strip_prefix("bearer "))?;
    identity::verify(secret, token, now)
        .ok()
        .map(|id| id.user_id)
}

/// `GET /.well-known/oauth-protected-resource[/mcp]`: the RFC 9728 metadata of `/mcp`.
pub(super) fn metadata_route(req: &Request, cfg: &Config) -> Outcome {
    let resource = [origin(req)?.as_str(), PATH].concat();
    let mut body = json!({
        "resource": resource,
        "bearer_methods_supported": ["header"],
        "resource_name": "edge-persona",
    });
    if let (Some(server), Some(obj)) = (&cfg.mcp_authorization_server, body.as_object_mut()) {
        obj.insert("authorization_servers".into(), json!([server]));
    }
    answer(200, Some(&body))
}

/// `/mcp`: `POST` one JSON-RPC message; any other method is 405 (no SSE stream to open).
pub(super) async fn mcp_route(mut req: Request, env: &Env, ctx: &Context, cfg: &Config) -> Outcome {
    if req.method() != worker::Method::Post {
        let mut resp = answer(405, None)?;
        resp.headers_mut().set("allow", "POST")?;
        return Ok(resp);
    }
    let now = now_ms();
    let Some(user) = bearer_user(&req, cfg, now) else {
        let metadata = [origin(&req)?.as_str(), METADATA_PATH].concat();
        let body =
            json!({"error": "invalid_token", "error_description": "no valid identity token"});
        let mut resp = answer(401, Some(&body))?;
        resp.headers_mut().set(
            "www-authenticate",
            &format!("Bearer resource_metadata=\"{metadata}\""),
        )?;
        return Ok(resp);
    };
    let version = req.headers().get("mcp-protocol-version").ok().flatten();
    if !mcp::header_version_ok(version.as_deref()) {
        let body = mcp::error(
            &Json::Null,
            mcp::INVALID_REQUEST,
            "unsupported MCP-Protocol-Version",
        );
        return answer(400, Some(&body));
    }
    let body = read_body(&mut req, MAX_MCP_BODY).await?;
    match mcp::dispatch(&body, ("edge-persona", env!("CARGO_PKG_VERSION"))) {
        Action::Respond(j) => answer(200, Some(&j)),
        Action::Accepted => answer(202, None),
        Action::Call { id, call } => {
            let out = match run(call, &user, env, ctx, cfg, now).await {
                Ok(structured) => mcp::tool_result(&id, structured),
                Err(f) => mcp::tool_error(&id, &f.message()),
            };
            answer(200, Some(&out))
        }
    }
}

/// Runs a tool for `user`; its `structuredContent`, or the failure to report as `isError`.
async fn run(
    call: ToolCall,
    user: &str,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
    now: i64,
) -> Result<Json, Failure> {
    match call {
        ToolCall::GetUserContext {
            query,
            earlier_turns,
        } => {
            let Some(p) = load(user, env, ctx, cfg, now).await else {
                return Ok(
                    json!({"personalized": false, "context": "", "estimated_tokens": 0, "items": []}),
                );
            };
            let turns: Vec<&str> = earlier_turns
                .iter()
                .map(String::as_str)
                .chain([query.as_str()])
                .collect();
            let (items, context) =
                p.ranked_context(&turns, now, &Checked::default(), &cfg.render_settings());
            let listed: Vec<Json> = items
                .iter()
                .filter(|i| context.items.contains(&i.id))
                .map(|i| json!({"id": i.id, "kind": i.kind, "score": i.score}))
                .collect();
            Ok(json!({
                "personalized": true,
                "context": context.text,
                "estimated_tokens": context.estimated_tokens,
                "items": listed,
            }))
        }
        ToolCall::SearchProfile { query, limit } => {
            let items = match load(user, env, ctx, cfg, now).await {
                // The tool's arguments bound `limit` to 1..=mcp::MAX_LIMIT, inside the ranker's range.
                Some(p) => match (RankSettings {
                    limit,
                    ..RankSettings::default()
                })
                .checked()
                {
                    Ok(settings) => p.rank(&query, now, &settings),
                    Err(e) => return Err(Failure::BadSetting(e.to_string())),
                },
                None => Vec::new(),
            };
            Ok(json!({ "items": items }))
        }
        ToolCall::Remember {
            text,
            key,
            category,
        } => {
            let input = memories::memory_input(
                &json!({"text": text, "key": key, "category": category}),
                "mcp",
            )?;
            let memory = memories::remember(env, user, &input).await?;
            Ok(json!({ "memory": memory }))
        }
        ToolCall::Forget { id } => match memories::forget(env, user, &id).await {
            Ok(()) => Ok(json!({ "forgotten": id })),
            Err(Failure::NotFound) => Err(Failure::BadSetting(format!(
                "no memory {}",
                id.chars().take(80).collect::<String>()
            ))),
            Err(f) => Err(f),
        },
    }
}
