//! `/mcp`: a Model Context Protocol server over Streamable HTTP, stateless, speaking the
//! 2026-07-28 revision and the `initialize` revisions on one endpoint (the protocol is the core's,
//! [`crate::mcp`]); this file is HTTP, identity, and running the tools over the caller's own
//! profile: the same snapshots as `/v1/context`, the same memory writes as `/v1/memories`.
//!
//! * **Origins.** A request that carries an `Origin` (a browser) is served only when that origin is
//!   `PUBLIC_URL`'s or one of `MCP_ALLOWED_ORIGINS`; any other, `null` included, is 403, so a page
//!   on another site (or one reached by DNS rebinding) cannot call tools. Allowed origins get CORS
//!   answers (`OPTIONS` preflight, `Access-Control-Allow-Origin`, the MCP headers allowed,
//!   `WWW-Authenticate` exposed).
//! * **Identity** only from `Authorization: Bearer` ([`super::bearer`]): a first-party token or the
//!   identity provider's. None, or one that does not verify: 401 with
//!   `WWW-Authenticate: Bearer resource_metadata="<PUBLIC_URL>/.well-known/oauth-protected-resource/mcp"`
//!   and the `scope` of `MCP_SCOPES`; a provider's token without those scopes: 403
//!   `insufficient_scope`. Every URL advertised comes from `PUBLIC_URL`, never from `Host`.
//! * Every answer is `Cache-Control: no-store`.

use serde_json::{json, Value as Json};
use worker::{Context, Env, Headers, Method, Request, Response};

use crate::mcp::{self, Action, ToolCall};
use crate::rank::RankSettings;
use crate::settings::Checked;

use super::audit;
use super::bearer::{bearer_user, Refusal};
use super::config::Config;
use super::store::load_why;
use super::{memories, now_ms, read_body, Failure, Outcome};

/// The endpoint.
pub(super) const PATH: &str = "/mcp";
/// Where the protected-resource metadata is (RFC 9728: the well-known prefix, then the
/// resource's path); the bare prefix answers too.
pub(super) const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";
/// The largest message read.
const MAX_MCP_BODY: usize = 1 << 20;
/// How long clients may cache `tools/list` and `server/discover` (they are the same for everyone).
const LIST_TTL_MS: u64 = 3_600_000;
/// The request headers a browser client may send (the CORS preflight's answer).
const ALLOWED_HEADERS: &str =
    "authorization, content-type, accept, mcp-protocol-version, mcp-method, mcp-name, last-event-id";

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

/// The request's `Origin`, and whether it may call: absent (not a browser), `PUBLIC_URL`'s
/// origin, or one of `MCP_ALLOWED_ORIGINS` (compared as serialized origins).
fn origin_check(req: &Request, cfg: &Config) -> (Option<String>, bool) {
    let Some(origin) = req.headers().get("origin").ok().flatten() else {
        return (None, true);
    };
    let o = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    let allowed = o != "null"
        && (cfg.public_url.as_deref() == Some(o.as_str()) || cfg.mcp_allowed_origins.contains(&o));
    (Some(origin), allowed)
}

/// Adds the CORS headers an allowed browser origin needs.
fn with_cors(mut resp: Response, origin: Option<&str>) -> Outcome {
    if let Some(origin) = origin {
        let h = resp.headers_mut();
        h.set("access-control-allow-origin", origin)?;
        h.set("access-control-expose-headers", "www-authenticate")?;
        h.append("vary", "Origin")?;
    }
    Ok(resp)
}

/// The `WWW-Authenticate` challenge: the metadata's URL (from `PUBLIC_URL` only), the scopes, and
/// an error code when a token was sent.
fn challenge(cfg: &Config, error: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some(e) = error {
        parts.push(format!("error=\"{e}\""));
    }
    if let Some(meta) = cfg.public(&[METADATA_PATH, PATH].concat()) {
        parts.push(format!("resource_metadata=\"{meta}\""));
    }
    if !cfg.mcp_scopes.is_empty() {
        parts.push(format!("scope=\"{}\"", cfg.mcp_scopes.join(" ")));
    }
    if parts.is_empty() {
        "Bearer".into()
    } else {
        format!("Bearer {}", parts.join(", "))
    }
}

/// `GET /.well-known/oauth-protected-resource[/mcp]`: the RFC 9728 metadata of `/mcp`, built from
/// configuration only, so a request with any `Host` gets the same document. Without `PUBLIC_URL`
/// there is no resource URL to name: 404 saying so.
pub(super) fn metadata_route(cfg: &Config) -> Outcome {
    let Some(resource) = cfg.public(PATH) else {
        return Err(Failure::NotConfigured(
            "PUBLIC_URL is not configured: no protected-resource metadata",
        ));
    };
    let mut body = json!({
        "resource": resource,
        "bearer_methods_supported": ["header"],
        "resource_name": "edge-persona",
    });
    if let Some(obj) = body.as_object_mut() {
        if let Some(server) = &cfg.mcp_authorization_server {
            obj.insert("authorization_servers".into(), json!([server]));
        }
        if !cfg.mcp_scopes.is_empty() {
            obj.insert("scopes_supported".into(), json!(cfg.mcp_scopes));
        }
    }
    let mut resp = answer(200, Some(&body))?;
    resp.headers_mut().set("access-control-allow-origin", "*")?;
    Ok(resp)
}

/// `/mcp`: `POST` one JSON-RPC message; `OPTIONS` for an allowed browser origin's preflight; any
/// other method is 405 (no SSE stream to open, no session to delete).
pub(super) async fn mcp_route(mut req: Request, env: &Env, ctx: &Context, cfg: &Config) -> Outcome {
    let (origin, allowed) = origin_check(&req, cfg);
    if !allowed {
        let body = mcp::error(&Json::Null, -32000, "origin not allowed", None);
        return answer(403, Some(&body));
    }
    let cors = origin.as_deref();
    if req.method() == Method::Options {
        let mut resp = answer(204, None)?;
        let h = resp.headers_mut();
        h.set("access-control-allow-methods", "POST, OPTIONS")?;
        h.set("access-control-allow-headers", ALLOWED_HEADERS)?;
        h.set("access-control-max-age", "600")?;
        return with_cors(resp, cors);
    }
    if req.method() != Method::Post {
        let mut resp = answer(405, None)?;
        resp.headers_mut().set("allow", "POST")?;
        return with_cors(resp, cors);
    }
    let now = now_ms();
    let user = match bearer_user(&req, cfg, now).await {
        Ok(u) => u,
        Err(refusal) => {
            let (status, error, description) = match refusal {
                Refusal::Missing => (401, None, "an access token is required"),
                Refusal::Invalid => (401, Some("invalid_token"), "the access token is not valid"),
                Refusal::InsufficientScope => (
                    403,
                    Some("insufficient_scope"),
                    "the access token lacks a required scope",
                ),
            };
            let body = json!({"error": error.unwrap_or("invalid_request"), "error_description": description});
            let mut resp = answer(status, Some(&body))?;
            resp.headers_mut()
                .set("www-authenticate", &challenge(cfg, error))?;
            return with_cors(resp, cors);
        }
    };
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let (version, method, name) = (
        header("mcp-protocol-version"),
        header("mcp-method"),
        header("mcp-name"),
    );
    let body = read_body(&mut req, MAX_MCP_BODY).await?;
    let headers = mcp::Headers {
        protocol_version: version.as_deref(),
        method: method.as_deref(),
        name: name.as_deref(),
    };
    let server = mcp::Server {
        name: "edge-persona",
        version: env!("CARGO_PKG_VERSION"),
        cache_ttl_ms: LIST_TTL_MS,
    };
    let resp = match mcp::handle(&body, &headers, &server) {
        Action::Respond { status, body } => answer(status, Some(&body))?,
        Action::Accepted => answer(202, None)?,
        Action::Call { era, id, call } => {
            let out = match run(call, &user, env, ctx, cfg, now).await {
                Ok(structured) => mcp::tool_result(era, &id, structured),
                Err(f) => mcp::tool_error(era, &id, &f.message()),
            };
            answer(200, Some(&out))?
        }
    };
    with_cors(resp, cors)
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
            let loaded = load_why(user, env, ctx, cfg, now).await;
            let p = match loaded {
                Ok(p) => p,
                Err(why) => {
                    return Ok(json!({
                        "personalized": false, "context": "", "estimated_tokens": 0, "items": [],
                        "reason": why.reason(),
                    }))
                }
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
            audit::record(
                env,
                ctx,
                cfg,
                user,
                "mcp:get_user_context",
                &context.items,
                context.estimated_tokens,
            );
            Ok(json!({
                "personalized": true,
                "context": context.text,
                "estimated_tokens": context.estimated_tokens,
                "items": listed,
            }))
        }
        ToolCall::SearchProfile { query, limit } => {
            let items = match load_why(user, env, ctx, cfg, now).await {
                // The tool's arguments bound `limit` to 1..=mcp::MAX_LIMIT, inside the ranker's range.
                Ok(p) => match (RankSettings {
                    limit,
                    ..RankSettings::default()
                })
                .checked()
                {
                    Ok(settings) => p.rank(&query, now, &settings),
                    Err(e) => return Err(Failure::BadSetting(e.to_string())),
                },
                Err(_) => Vec::new(),
            };
            if !items.is_empty() {
                let ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
                audit::record(env, ctx, cfg, user, "mcp:search_profile", &ids, 0);
            }
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
            memories::remember(env, user, &input)
                .await
                .map(|(body, _)| body)
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
