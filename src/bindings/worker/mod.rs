//! The Cloudflare Worker (workers-rs), feature `worker`: a thin router over the core.
//!
//! | route | what |
//! | --- | --- |
//! | `POST /v1/context` | ranked items and the context block for the caller's own profile |
//! | `POST /v1/chat/completions`, `/v1/responses`, `/v1/messages` | inject the context, forward to `LLM_UPSTREAM_URL` with the caller's own `Authorization` / `x-api-key`, stream the answer back unchanged; `x-edge-persona: items=N; tokens=M` |
//! | `GET /v1/snapshot` | the caller's own browser-policy snapshot (ETag, `Cache-Control: private`) |
//! | `POST /v1/webhooks/segment` | Segment webhook (HMAC-SHA1 `X-Signature`): updates the person's snapshot |
//! | anything else | reverse proxy to `ORIGIN_URL`; `text/html` is personalized while it streams |
//!
//! Identity comes only from a signed token ([`crate::identity`]): the `ep_id` cookie, the
//! `x-edge-persona-identity` header, or (except on the LLM routes, whose `Authorization` carries the
//! caller's LLM key) `Authorization: Bearer <jwt>`. No token, a forged or an expired one: the request
//! is served unpersonalized. Errors map to a status and a fixed message; internals are only logged.

mod html;
mod profile_api;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use futures_util::stream::{self, StreamExt};
use hmac::{Hmac, Mac};
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};
use worker::{
    event, Context, Date, Env, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
    Response, ResponseBody,
};

use crate::identity;
use crate::import::segment::{import_value, webhook};
use crate::import::ImportLimits;
use crate::inject::Api;
use crate::personalizer::Personalizer;
use crate::policy::{PrivacyPolicy, Target};
use crate::rank::RankSettings;
use crate::render::{ContextFormat, RenderSettings};
use crate::snapshot::{compile, kv, Snapshot, SnapshotLimits};

use html::{is_html, SlotRewriter};
use profile_api::SegmentApi;

/// The header carrying the identity token on the LLM routes (their `Authorization` is the LLM key).
pub const IDENTITY_HEADER: &str = "x-edge-persona-identity";
/// The response header that says what was injected.
pub const REPORT_HEADER: &str = "x-edge-persona";
const MAX_JSON_BODY: usize = 8 << 20;
const MAX_WEBHOOK_BODY: usize = 1 << 20;

/// What went wrong, as callers see it: a status and a fixed message, nothing internal.
#[derive(Debug)]
enum Failure {
    BadRequest(&'static str),
    Unauthorized,
    NotFound,
    MethodNotAllowed,
    TooLarge,
    NotConfigured(&'static str),
    BadGateway,
    Internal,
}

impl Failure {
    fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Unauthorized => 401,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::TooLarge => 413,
            Self::NotConfigured(_) => 503,
            Self::BadGateway => 502,
            Self::Internal => 500,
        }
    }
    fn message(&self) -> &'static str {
        match self {
            Self::BadRequest(m) | Self::NotConfigured(m) => m,
            Self::Unauthorized => "no valid identity token",
            Self::NotFound => "not found",
            Self::MethodNotAllowed => "method not allowed",
            Self::TooLarge => "request body too large",
            Self::BadGateway => "upstream unavailable",
            Self::Internal => "internal error",
        }
    }
}

impl From<worker::Error> for Failure {
    fn from(e: worker::Error) -> Self {
        worker::console_error!("edge-persona: {e}");
        Failure::Internal
    }
}

type Outcome = Result<Response, Failure>;

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

/// Deployment settings from vars and secrets.
struct Config {
    identity_secret: Option<String>,
    webhook_secret: Option<String>,
    llm_upstream: Option<String>,
    origin: Option<String>,
    segment: Option<SegmentApi>,
    budget_tokens: usize,
    allow: Vec<String>,
    snapshot_ttl: u64,
    cache_ms: i64,
}

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .map(|v| v.to_string())
        .ok()
        .or_else(|| env.secret(name).map(|v| v.to_string()).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

impl Config {
    fn from_env(env: &Env) -> Self {
        let num = |name: &str, default: u64| {
            var(env, name)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(default)
        };
        let segment = match (
            var(env, "SEGMENT_SPACE_ID"),
            var(env, "SEGMENT_ACCESS_TOKEN"),
        ) {
            (Some(space_id), Some(token)) => Some(SegmentApi {
                base: var(env, "SEGMENT_API_BASE")
                    .unwrap_or_else(|| "https://profiles.segment.com".into()),
                space_id,
                token,
                timeout_ms: u32::try_from(num("SEGMENT_TIMEOUT_MS", 2_000)).unwrap_or(2_000),
                max_pages: usize::try_from(num("SEGMENT_MAX_PAGES", 10)).unwrap_or(10),
            }),
            _ => None,
        };
        Self {
            identity_secret: var(env, "IDENTITY_SECRET")
                .filter(|s| s.len() >= identity::MIN_SECRET_BYTES),
            webhook_secret: var(env, "SEGMENT_WEBHOOK_SECRET"),
            llm_upstream: var(env, "LLM_UPSTREAM_URL"),
            origin: var(env, "ORIGIN_URL"),
            segment,
            budget_tokens: usize::try_from(num("CONTEXT_BUDGET_TOKENS", 200).clamp(16, 4_000))
                .unwrap_or(200),
            allow: var(env, "POLICY_ALLOW")
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            snapshot_ttl: num("SNAPSHOT_TTL_SECONDS", 86_400).max(60),
            cache_ms: i64::try_from(num("SNAPSHOT_CACHE_SECONDS", 30)).unwrap_or(30) * 1000,
        }
    }

    fn policy(&self, target: Target) -> PrivacyPolicy {
        PrivacyPolicy {
            target,
            allow: self.allow.clone(),
        }
    }

    fn render_settings(&self) -> RenderSettings {
        RenderSettings {
            budget_tokens: self.budget_tokens,
            ..RenderSettings::default()
        }
    }
}

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

/// Until when (ms) an entry holds, and the person's personalizer (`None`: known to have none).
type CacheEntry = (i64, Option<Rc<Personalizer>>);

thread_local! {
    /// Decoded snapshots of this isolate, for `SNAPSHOT_CACHE_SECONDS` (KV itself is eventually
    /// consistent for about 60 s, so this adds little staleness and saves a KV read and a decode).
    /// `None` remembers a person with no snapshot anywhere (KV, source, Profile API), so that their
    /// requests do not read KV or call the Profile API again until the entry expires.
    static CACHE: RefCell<HashMap<String, CacheEntry>> = RefCell::new(HashMap::new());
}
const CACHE_ENTRIES: usize = 512;

fn cache_get(user: &str, now: i64) -> Option<Option<Rc<Personalizer>>> {
    CACHE.with(|c| {
        let c = c.borrow();
        c.get(user)
            .filter(|(until, _)| *until > now)
            .map(|(_, p)| p.clone())
    })
}

fn cache_put(user: &str, p: Option<Rc<Personalizer>>, until: i64) {
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_ENTRIES {
            c.clear();
        }
        c.insert(user.to_string(), (until, p));
    });
}

fn cache_forget(user: &str) {
    CACHE.with(|c| {
        c.borrow_mut().remove(user);
    });
}

/// Snapshots compiled from a source bundle: (server bytes, browser bytes, server snapshot).
fn compile_both(bundle: &Json, cfg: &Config) -> Option<(Vec<u8>, Vec<u8>, Snapshot)> {
    let profile = import_value(bundle, &ImportLimits::default())
        .map_err(|e| worker::console_warn!("edge-persona: profile import: {e}"))
        .ok()?;
    let server = compile(&profile, &cfg.policy(Target::Server));
    let browser = compile(&profile, &cfg.policy(Target::Browser));
    Some((server.encode().ok()?, browser.encode().ok()?, server))
}

/// Stores a person's snapshots (and source bundle) with the TTL.
async fn store(
    kv: &worker::KvStore,
    user: &str,
    server: &[u8],
    browser: &[u8],
    source: &Json,
    ttl: u64,
) -> Result<(), worker::KvError> {
    kv.put_bytes(&kv::snapshot_key(user), server)?
        .expiration_ttl(ttl)
        .execute()
        .await?;
    kv.put_bytes(&kv::browser_snapshot_key(user), browser)?
        .expiration_ttl(ttl)
        .execute()
        .await?;
    // The source outlives the snapshots: webhooks recompile from it.
    kv.put(&kv::source_key(user), source.to_string())?
        .execute()
        .await
}

/// The person's server-policy personalizer: isolate cache, then the KV snapshot, then the stored
/// source bundle, then the Profile API.
async fn load(
    user: &str,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
    now: i64,
) -> Option<Rc<Personalizer>> {
    if let Some(known) = cache_get(user, now) {
        return known;
    }
    let kv = env.kv("PROFILES").ok()?;
    if let Ok(Some(bytes)) = kv.get(&kv::snapshot_key(user)).bytes().await {
        match Personalizer::from_snapshot(&bytes, &SnapshotLimits::default()) {
            Ok(p) => {
                let p = Rc::new(p);
                cache_put(user, Some(p.clone()), now + cfg.cache_ms);
                return Some(p);
            }
            Err(e) => worker::console_warn!("edge-persona: stored snapshot unreadable: {e}"),
        }
    }
    let p = rebuild(user, &kv, ctx, cfg)
        .await
        .map(|s| Rc::new(Personalizer::from_compiled(s)));
    cache_put(user, p.clone(), now + cfg.cache_ms);
    p
}

/// A miss or an unreadable snapshot (e.g. written by an older format version): recompiles from the
/// stored source bundle when there is one, else from the Profile API; stores both policies'
/// snapshots after the response (`waitUntil`). Returns the server snapshot and the browser bytes.
async fn rebuild_both(
    user: &str,
    kv: &worker::KvStore,
    ctx: &Context,
    cfg: &Config,
) -> Option<(Snapshot, Vec<u8>)> {
    let stored_source = kv
        .get(&kv::source_key(user))
        .text()
        .await
        .ok()
        .flatten()
        .and_then(|t| serde_json::from_str::<Json>(&t).ok());
    let bundle = match (stored_source, cfg.segment.as_ref()) {
        (Some(b), _) => b,
        (None, Some(api)) => match api.fetch_bundle(user).await {
            Ok(b) => b,
            Err(e) => {
                worker::console_warn!("edge-persona: Profile API: {e:?}");
                return None;
            }
        },
        (None, None) => return None,
    };
    let (server, browser, snapshot) = compile_both(&bundle, cfg)?;
    let (kv, user_owned, ttl, browser_copy) = (
        kv.clone(),
        user.to_string(),
        cfg.snapshot_ttl,
        browser.clone(),
    );
    ctx.wait_until(async move {
        if let Err(e) = store(&kv, &user_owned, &server, &browser_copy, &bundle, ttl).await {
            worker::console_warn!("edge-persona: KV store: {e}");
        }
    });
    Some((snapshot, browser))
}

async fn rebuild(
    user: &str,
    kv: &worker::KvStore,
    ctx: &Context,
    cfg: &Config,
) -> Option<Snapshot> {
    rebuild_both(user, kv, ctx, cfg).await.map(|(s, _)| s)
}

#[event(fetch)]
pub async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let cfg = Config::from_env(&env);
    let out = route(req, &env, &ctx, &cfg).await;
    Ok(out.unwrap_or_else(|f| failure_response(&f)))
}

async fn route(req: Request, env: &Env, ctx: &Context, cfg: &Config) -> Outcome {
    let path = req.path();
    let method = req.method();
    match path.as_str() {
        "/v1/context" => match method {
            Method::Post => context_route(req, env, ctx, cfg).await,
            _ => Err(Failure::MethodNotAllowed),
        },
        "/v1/chat/completions" | "/v1/responses" | "/v1/messages" => match method {
            Method::Post => llm_route(req, &path, env, ctx, cfg).await,
            _ => Err(Failure::MethodNotAllowed),
        },
        "/v1/snapshot" => match method {
            Method::Get | Method::Head => snapshot_route(req, env, ctx, cfg).await,
            _ => Err(Failure::MethodNotAllowed),
        },
        "/v1/webhooks/segment" => match method {
            Method::Post => webhook_route(req, env, cfg).await,
            _ => Err(Failure::MethodNotAllowed),
        },
        _ => origin_route(req, env, ctx, cfg).await,
    }
}

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

fn no_store(resp: &mut Response) {
    let h = resp.headers_mut();
    let _ = h.set("cache-control", "private, no-store");
}

async fn context_route(mut req: Request, env: &Env, ctx: &Context, cfg: &Config) -> Outcome {
    let now = now_ms();
    let user = identify(&req, cfg, now, false);
    let body = read_body(&mut req, MAX_JSON_BODY).await?;
    let args: Json = serde_json::from_slice(&body)
        .map_err(|_| Failure::BadRequest("expected a JSON object {\"query\": \"...\"}"))?;
    let query = args
        .get("query")
        .and_then(Json::as_str)
        .ok_or(Failure::BadRequest(
            "expected a JSON object {\"query\": \"...\"}",
        ))?;
    let mut rank = RankSettings::default();
    if let Some(limit) = args.get("limit").and_then(Json::as_u64) {
        rank.limit = usize::try_from(limit.clamp(1, 100)).unwrap_or(10);
    }
    let mut render = cfg.render_settings();
    if let Some(b) = args.get("budget_tokens").and_then(Json::as_u64) {
        render.budget_tokens = usize::try_from(b.clamp(16, 4_000)).unwrap_or(200);
    }
    if args.get("format").and_then(Json::as_str) == Some("json") {
        render.format = ContextFormat::Json;
    }
    let personalizer = match &user {
        Some(u) => load(u, env, ctx, cfg, now).await,
        None => None,
    };
    let body = match &personalizer {
        Some(p) => {
            let items = p.rank(query, now, &rank);
            let context = crate::render::render(p.snapshot(), &items, now, &render);
            let items: Vec<Json> = items
                .iter()
                .map(|i| json!({"id": i.id, "kind": i.kind, "score": i.score}))
                .collect();
            json!({"personalized": true, "items": items, "context": context})
        }
        None => json!({
            "personalized": false, "items": [],
            "context": {"text": "", "items": [], "estimated_tokens": 0, "omitted": 0}
        }),
    };
    let mut resp = Response::from_json(&body)?;
    no_store(&mut resp);
    Ok(resp)
}

/// Request headers not forwarded upstream: hop-by-hop, the Worker's own, and the platform's.
fn forwardable(name: &str) -> bool {
    !matches!(
        name,
        "host"
            | "content-length"
            | "connection"
            | "keep-alive"
            | "transfer-encoding"
            | "upgrade"
            | "accept-encoding"
            | "cf-connecting-ip"
            | "cf-ipcountry"
            | "cf-ray"
            | "cf-visitor"
            | "cf-worker"
            | "x-real-ip"
            | "x-forwarded-proto"
            | IDENTITY_HEADER
    )
}

fn copy_request_headers(from: &Headers, drop_cookie: bool) -> Result<Headers, Failure> {
    let to = Headers::new();
    for (k, v) in from.entries() {
        let k = k.to_ascii_lowercase();
        if forwardable(&k) && !(drop_cookie && k == "cookie") {
            to.append(&k, &v)?;
        }
    }
    Ok(to)
}

/// A response with the upstream's status, headers (minus `drop`) and streaming body.
fn relay(upstream: Response, drop: &[&str], extra: &[(&str, String)]) -> Result<Response, Failure> {
    let raw: worker::web_sys::Response = upstream.into();
    let headers = Headers::new();
    for (k, v) in Headers(raw.headers()).entries() {
        let k = k.to_ascii_lowercase();
        if !drop.contains(&k.as_str()) {
            headers.append(&k, &v)?;
        }
    }
    for (k, v) in extra {
        headers.set(k, v)?;
    }
    let body = match raw.body() {
        Some(s) => ResponseBody::Stream(s),
        None => ResponseBody::Empty,
    };
    Ok(Response::builder()
        .with_status(raw.status())
        .with_headers(headers)
        .body(body))
}

fn join_url(base: &str, path: &str, query: Option<&str>) -> String {
    let mut url = format!("{}{}", base.trim_end_matches('/'), path);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

async fn llm_route(
    mut req: Request,
    path: &str,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
) -> Outcome {
    let upstream_base = cfg
        .llm_upstream
        .as_deref()
        .ok_or(Failure::NotConfigured("LLM_UPSTREAM_URL is not configured"))?;
    let now = now_ms();
    let user = identify(&req, cfg, now, true);
    let body = read_body(&mut req, MAX_JSON_BODY).await?;
    let mut report = "items=0; tokens=0".to_string();
    let mut forward_body: Option<Vec<u8>> = None;
    if let Some(user) = &user {
        if let Some(p) = load(user, env, ctx, cfg, now).await {
            if let Ok(json) = serde_json::from_slice::<Json>(&body) {
                match p.personalize_request(
                    json,
                    Api::from_path(path),
                    None,
                    now,
                    &RankSettings::default(),
                    &cfg.render_settings(),
                ) {
                    Ok(out) if !out.context.items.is_empty() => {
                        report = format!(
                            "items={}; tokens={}",
                            out.context.items.len(),
                            out.context.estimated_tokens
                        );
                        forward_body = serde_json::to_vec(&out.body).ok();
                    }
                    Ok(_) => {}
                    Err(e) => worker::console_warn!("edge-persona: not personalized: {e}"),
                }
            }
        }
    }
    let url = req.url()?;
    let target = join_url(upstream_base, path, url.query());
    let headers = copy_request_headers(req.headers(), true)?;
    let payload = forward_body.unwrap_or(body);
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(js_sys::Uint8Array::from(payload.as_slice()).into()));
    let upstream_req = Request::new_with_init(&target, &init)?;
    let upstream = Fetch::Request(upstream_req).send().await.map_err(|e| {
        worker::console_warn!("edge-persona: LLM upstream: {e}");
        Failure::BadGateway
    })?;
    relay(
        upstream,
        &[
            "content-length",
            "content-encoding",
            "transfer-encoding",
            "connection",
        ],
        &[(REPORT_HEADER, report)],
    )
}

fn etag_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

async fn snapshot_route(req: Request, env: &Env, ctx: &Context, cfg: &Config) -> Outcome {
    let now = now_ms();
    let user = identify(&req, cfg, now, false).ok_or(Failure::Unauthorized)?;
    let kv = env.kv("PROFILES").map_err(|_| Failure::Internal)?;
    let mut bytes = kv
        .get(&kv::browser_snapshot_key(&user))
        .bytes()
        .await
        .ok()
        .flatten();
    if bytes.is_none() {
        // A miss: rebuild from the stored source or the Profile API (which stores both policies).
        cache_forget(&user);
        bytes = rebuild_both(&user, &kv, ctx, cfg).await.map(|(_, b)| b);
    }
    let bytes = bytes.ok_or(Failure::NotFound)?;
    let etag = etag_of(&bytes);
    let headers = Headers::new();
    headers.set("etag", &etag)?;
    headers.set("cache-control", "private, max-age=60, must-revalidate")?;
    headers.set("vary", "Cookie, Authorization")?;
    let matches = req
        .headers()
        .get("if-none-match")
        .ok()
        .flatten()
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        });
    if matches {
        return Ok(Response::builder()
            .with_status(304)
            .with_headers(headers)
            .empty());
    }
    headers.set("content-type", "application/octet-stream")?;
    Ok(Response::builder().with_headers(headers).fixed(bytes))
}

async fn webhook_route(mut req: Request, env: &Env, cfg: &Config) -> Outcome {
    let secret = cfg.webhook_secret.as_deref().ok_or(Failure::NotConfigured(
        "SEGMENT_WEBHOOK_SECRET is not configured",
    ))?;
    let signature = req.headers().get("x-signature").ok().flatten();
    let body = read_body(&mut req, MAX_WEBHOOK_BODY).await?;
    let signature = signature
        .and_then(|s| hex_decode(s.trim()))
        .ok_or(Failure::Unauthorized)?;
    let mut mac =
        Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).map_err(|_| Failure::Internal)?;
    mac.update(&body);
    mac.verify_slice(&signature)
        .map_err(|_| Failure::Unauthorized)?;
    let payload: Json =
        serde_json::from_slice(&body).map_err(|_| Failure::BadRequest("expected a JSON object"))?;
    let Some(user) = webhook::webhook_user_id(&payload) else {
        return Ok(
            Response::from_json(&json!({"updated": false, "reason": "no userId"}))?
                .with_status(202),
        );
    };
    let kv = env.kv("PROFILES").map_err(|_| Failure::Internal)?;
    let mut bundle = match kv.get(&kv::source_key(&user)).text().await.ok().flatten() {
        Some(text) => serde_json::from_str(&text).unwrap_or_else(|_| webhook::empty_bundle(&user)),
        None => match &cfg.segment {
            Some(api) => api
                .fetch_bundle(&user)
                .await
                .unwrap_or_else(|_| webhook::empty_bundle(&user)),
            None => webhook::empty_bundle(&user),
        },
    };
    if !webhook::merge_webhook(&mut bundle, &payload) {
        return Ok(
            Response::from_json(&json!({"updated": false, "reason": "nothing to apply"}))?
                .with_status(202),
        );
    }
    let (server, browser, _) =
        compile_both(&bundle, cfg).ok_or(Failure::BadRequest("payload does not import"))?;
    store(&kv, &user, &server, &browser, &bundle, cfg.snapshot_ttl)
        .await
        .map_err(|e| {
            worker::console_error!("edge-persona: KV store: {e}");
            Failure::Internal
        })?;
    cache_forget(&user);
    Ok(Response::from_json(&json!({"updated": true}))?)
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.strip_prefix("sha1=").unwrap_or(s);
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

async fn origin_route(req: Request, env: &Env, ctx: &Context, cfg: &Config) -> Outcome {
    let origin = cfg.origin.as_deref().ok_or(Failure::NotFound)?;
    let now = now_ms();
    let user = identify(&req, cfg, now, false);
    let url = req.url()?;
    let target = join_url(origin, url.path(), url.query());
    let method = req.method();
    let headers = copy_request_headers(req.headers(), false)?;
    let mut init = RequestInit::new();
    init.with_method(method.clone())
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual);
    if !matches!(method, Method::Get | Method::Head) {
        init.with_body(req.inner().body().map(Into::into));
    }
    let upstream_req = Request::new_with_init(&target, &init)?;
    let mut upstream = Fetch::Request(upstream_req).send().await.map_err(|e| {
        worker::console_warn!("edge-persona: origin: {e}");
        Failure::BadGateway
    })?;
    let html = is_html(
        upstream
            .headers()
            .get("content-type")
            .ok()
            .flatten()
            .as_deref(),
    );
    let personalizer = match (&user, html, method == Method::Head) {
        (Some(u), true, false) => load(u, env, ctx, cfg, now).await,
        _ => None,
    };
    let Some(p) = personalizer else {
        return relay(
            upstream,
            &["content-length", "content-encoding", "transfer-encoding"],
            &[],
        );
    };
    let status = upstream.status_code();
    let chunks = upstream.stream()?;
    let mut extra = vec![("cache-control", "private, no-store".to_string())];
    extra.push((REPORT_HEADER, "html".to_string()));
    let rewriter = Rc::new(RefCell::new(SlotRewriter::new(p, now)));
    let tail_rewriter = rewriter.clone();
    let body = chunks
        .map(move |chunk| {
            let chunk = chunk?;
            rewriter
                .borrow_mut()
                .push(&chunk)
                .map_err(|_| worker::Error::RustError("rewrite".into()))
        })
        .chain(stream::once(async move {
            tail_rewriter
                .borrow_mut()
                .finish()
                .map_err(|_| worker::Error::RustError("rewrite".into()))
        }))
        .filter(|r| {
            let keep = !matches!(r, Ok(v) if v.is_empty());
            async move { keep }
        });
    let raw_headers: worker::web_sys::Response = upstream.into();
    let headers = Headers::new();
    for (k, v) in Headers(raw_headers.headers()).entries() {
        let k = k.to_ascii_lowercase();
        if !matches!(
            k.as_str(),
            "content-length"
                | "content-encoding"
                | "transfer-encoding"
                | "etag"
                | "last-modified"
                | "cache-control"
        ) {
            headers.append(&k, &v)?;
        }
    }
    for (k, v) in extra {
        headers.set(k, &v)?;
    }
    Ok(Response::from_stream(body)?
        .with_headers(headers)
        .with_status(status))
}
