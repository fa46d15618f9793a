//! The Cloudflare Worker (workers-rs), feature `worker`: a thin router over the core.
//!
//! | route | what |
//! | --- | --- |
//! | `POST /v1/context` | ranked items and the context block for the caller's own profile |
//! | `POST /v1/chat/completions`, `/v1/responses`, `/v1/messages` | inject the context, forward to `LLM_UPSTREAM_URL` with the caller's own `Authorization` / `x-api-key`, stream the answer back unchanged; `x-edge-persona: items=N; tokens=M` |
//! | `GET /v1/snapshot` | the caller's own browser-policy snapshot (ETag, `Cache-Control: private`) |
//! | `POST /v1/webhooks/segment` | Segment webhook (HMAC-SHA1 `X-Signature`): applied by the person's object; `delete` erases |
//! | `POST`/`GET /v1/memories`, `DELETE /v1/memories/<id>` | the caller's own memories (`memories.rs`), through their person object |
//! | `POST /mcp` | Model Context Protocol server (`mcp.rs`), 2026-07-28 and the `initialize` revisions: `get_user_context`, `search_profile`, `remember`, `forget` over the caller's own profile; `GET /.well-known/oauth-protected-resource[/mcp]` its RFC 9728 metadata |
//! | `GET /v1/audit` | what each prompt was told about the caller (`audit.rs`); with `ADMIN_SECRET`, anyone's |
//! | `DELETE`/`GET /v1/profiles/<user_id>[/suppression]` | admin (`ADMIN_SECRET`): erasure, lifting the suppression, state counters |
//! | `/inspect/…` | admin (`ADMIN_SECRET`): the inspector page and its API (`inspect.rs`) |
//! | anything else | reverse proxy to `ORIGIN_URL`; `text/html` is personalized while it streams |
//!
//! Identity comes only from a signed token ([`crate::identity`]): the `ep_id` cookie, the
//! `x-edge-persona-identity` header, or (except on the LLM routes, whose `Authorization` carries the
//! caller's LLM key) `Authorization: Bearer <jwt>`. No token, a forged or an expired one: the request
//! is served unpersonalized. Errors map to a status and a fixed message; internals are only logged.
//!
//! This file holds the entry, the route table, identity and the error mapping; each route group has
//! its own file (`context.rs`, `llm.rs`, `browser_snapshot.rs`, `webhook.rs`, `admin.rs`,
//! `memories.rs`, `mcp.rs`, `origin.rs`), over `config.rs` (settings), `store.rs` (snapshots: cache, KV, the person's
//! object), `person.rs` (the Durable Object that owns a person's state, with `person_sql.rs` its
//! table and `person_client.rs` the Worker's calls to it), `tracking.rs` (Segment's Tracking
//! API, where memories are forwarded), `proxy.rs` (upstream relays),
//! `profile_api.rs` (Segment's Profile API) and `html.rs` (the streaming slot rewriter).

mod admin;
mod audit;
mod bearer;
mod browser_snapshot;
mod config;
mod context;
mod html;
mod inflate;
mod inspect;
mod jwks;
mod knowledge;
mod llm;
mod mcp;
mod memories;
mod origin;
mod person;
mod person_client;
mod person_compilers;
mod person_flight;
mod person_kv;
mod person_sql;
mod profile_api;
mod proxy;
mod regulations;
mod store;
mod tracking;
mod webhook;

use serde_json::json;
use worker::{event, Context, Date, Env, Headers, Method, Request, Response};

use crate::identity;

use config::Config;

/// The header carrying the identity token on the LLM routes (their `Authorization` is the LLM key).
pub const IDENTITY_HEADER: &str = "x-edge-persona-identity";
/// The response header that says what was injected.
pub const REPORT_HEADER: &str = "x-edge-persona";
/// The largest JSON request body (`/v1/context` and the LLM routes) the Worker reads.
const MAX_JSON_BODY: usize = 8 << 20;

/// What went wrong, as callers see it: a status and a fixed message, nothing internal.
#[derive(Debug)]
enum Failure {
    BadRequest(&'static str),
    /// A request option outside the core's bounds; the text names the setting and its range.
    BadSetting(String),
    /// Well-formed, but refused for what it says (a memory the policy would withhold); the text
    /// says why.
    Unprocessable(String),
    Unauthorized,
    NotFound,
    /// The request conflicts with the resource's state (an erased person).
    Conflict(&'static str),
    MethodNotAllowed,
    TooLarge,
    NotConfigured(&'static str),
    BadGateway,
    /// An upstream sent no response headers within its first-byte deadline.
    GatewayTimeout,
    Internal,
}

impl Failure {
    fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) | Self::BadSetting(_) => 400,
            Self::Unauthorized => 401,
            Self::NotFound => 404,
            Self::Conflict(_) => 409,
            Self::Unprocessable(_) => 422,
            Self::MethodNotAllowed => 405,
            Self::TooLarge => 413,
            Self::NotConfigured(_) => 503,
            Self::BadGateway => 502,
            Self::GatewayTimeout => 504,
            Self::Internal => 500,
        }
    }
    fn message(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed(match self {
            Self::BadSetting(m) | Self::Unprocessable(m) => {
                return std::borrow::Cow::Owned(m.clone())
            }
            Self::BadRequest(m) | Self::NotConfigured(m) | Self::Conflict(m) => m,
            Self::Unauthorized => "no valid identity token",
            Self::NotFound => "not found",
            Self::MethodNotAllowed => "method not allowed",
            Self::TooLarge => "request body too large",
            Self::BadGateway => "upstream unavailable",
            Self::GatewayTimeout => "upstream timed out",
            Self::Internal => "internal error",
        })
    }
}

impl From<worker::Error> for Failure {
    fn from(e: worker::Error) -> Self {
        worker::console_error!("edge-persona: {e}");
        Failure::Internal
    }
}

/// What a route handler returns: a response, or the failure [`failure_response`] turns into one.
type Outcome = Result<Response, Failure>;

/// The JSON error answer of a failure (`{"error": {"status", "message"}}`, not cached).
fn failure_response(f: &Failure) -> Response {
    let body = json!({"error": {"status": f.status(), "message": f.message()}});
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json");
    let _ = headers.set("cache-control", "no-store");
    Response::builder()
        .with_status(f.status())
        .with_headers(headers)
        .fixed(body.to_string().into_bytes())
}

/// The current time, in milliseconds since the epoch.
fn now_ms() -> i64 {
    i64::try_from(Date::now().as_millis()).unwrap_or(0)
}

/// The verified user id of a request, if any.
fn identify(req: &Request, cfg: &Config, now: i64, llm_route: bool) -> Option<String> {
    let secret = cfg.identity_secret.as_deref()?.as_bytes();
    let headers = req.headers();
    let mut candidates: Vec<String> = Vec::new();
    if let Ok(Some(t)) = headers.get(IDENTITY_HEADER) {
        candidates.push(t);
    }
    if let Ok(Some(cookies)) = headers.get("cookie") {
        if let Some(v) = identity::cookie_value(&cookies, identity::COOKIE_NAME) {
            candidates.push(v.to_string());
        }
    }
    if !llm_route {
        if let Ok(Some(auth)) = headers.get("authorization") {
            if let Some(t) = auth
                .strip_prefix("Bearer ")
                .or_else(|| auth.strip_prefix("bearer "))
            {
                candidates.push(t.to_string());
            }
        }
    }
    candidates
        .iter()
        .find_map(|t| identity::verify(secret, t, now).ok())
        .map(|id| id.user_id)
}

#[event(fetch)]
pub async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let cfg = Config::from_env(&env);
    let out = route(req, &env, &ctx, &cfg).await;
    Ok(out.unwrap_or_else(|f| failure_response(&f)))
}

/// The route table: path, then method (405 for another method on a known path).
async fn route(req: Request, env: &Env, ctx: &Context, cfg: &Config) -> Outcome {
    let path = req.path();
    let method = req.method();
    match path.as_str() {
        "/v1/context" => match method {
            Method::Post => context::context_route(req, env, ctx, cfg).await,
            _ => Err(Failure::MethodNotAllowed),
        },
        "/v1/chat/completions" | "/v1/responses" | "/v1/messages" => match method {
            Method::Post => llm::llm_route(req, &path, env, ctx, cfg).await,
            _ => Err(Failure::MethodNotAllowed),
        },
        "/v1/snapshot" => match method {
            Method::Get | Method::Head => {
                browser_snapshot::snapshot_route(req, env, ctx, cfg).await
            }
            _ => Err(Failure::MethodNotAllowed),
        },
        "/v1/webhooks/segment" => match method {
            Method::Post => webhook::webhook_route(req, env, cfg).await,
            _ => Err(Failure::MethodNotAllowed),
        },
        mcp::PATH => mcp::mcp_route(req, env, ctx, cfg).await,
        p if p == mcp::METADATA_PATH || p == [mcp::METADATA_PATH, mcp::PATH].concat() => {
            match method {
                Method::Get | Method::Head => mcp::metadata_route(cfg),
                _ => Err(Failure::MethodNotAllowed),
            }
        }
        audit::PATH => audit::audit_route(req, env, cfg).await,
        p if p == memories::PREFIX || p.starts_with("/v1/memories/") => {
            memories::memories_route(req, p, env, cfg).await
        }
        p if p.starts_with(admin::PREFIX) => admin::admin_route(req, p, env, cfg).await,
        p if p == inspect::PREFIX || p.starts_with("/inspect/") => {
            inspect::inspect_route(req, p, env, ctx, cfg).await
        }
        _ => origin::origin_route(req, env, ctx, cfg).await,
    }
}

/// The request body, refused with 413 when `Content-Length` or the body itself is over `max` bytes.
async fn read_body(req: &mut Request, max: usize) -> Result<Vec<u8>, Failure> {
    if let Ok(Some(len)) = req.headers().get("content-length") {
        if len.parse::<usize>().is_ok_and(|n| n > max) {
            return Err(Failure::TooLarge);
        }
    }
    let bytes = req
        .bytes()
        .await
        .map_err(|_| Failure::BadRequest("unreadable request body"))?;
    if bytes.len() > max {
        return Err(Failure::TooLarge);
    }
    Ok(bytes)
}
