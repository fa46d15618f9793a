//! The Worker's side of the person object ([`super::person`]): one stub per user id
//! (`idFromName`), internal requests, typed answers.

use serde::Deserialize;
use worker::{Env, Headers, Method, Request, RequestInit, Response};

use crate::policy::Target;
use crate::state::{AuditRecord, Consent, Outcome, Update};

use super::person::{REASON_HEADER, VERSION_HEADER};
use super::profile_api::encode_segment;
use super::store::Missing;
use super::Failure;

/// The binding of the person objects in `wrangler.toml`.
const BINDING: &str = "PERSON";

/// The object's answer to an update.
#[derive(Debug, Deserialize)]
pub(super) struct ApplyAnswer {
    /// What the update did.
    pub(super) outcome: Outcome,
    /// The state's version after it.
    pub(super) version: u64,
}

/// The object's answer to an erasure.
#[derive(Debug, Deserialize)]
pub(super) struct EraseAnswer {
    pub(super) version: u64,
    pub(super) kv_deleted: bool,
}

async fn call(
    env: &Env,
    user: &str,
    method: Method,
    path: &str,
    query: &str,
    body: Option<Vec<u8>>,
) -> worker::Result<Response> {
    let stub = env
        .durable_object(BINDING)?
        .id_from_name(user)?
        .get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(method).with_headers(Headers::new());
    if let Some(bytes) = body {
        let array = js_sys::Uint8Array::from(bytes.as_slice());
        init.with_body(Some(array.into()));
    }
    let url = format!("https://person{path}?user={}{query}", encode_segment(user));
    stub.fetch_with_request(Request::new_with_init(&url, &init)?)
        .await
}

/// A failure of the object (storage, its limits) as the caller's: a 500, so that a webhook sender
/// retries.
fn unavailable(e: worker::Error) -> Failure {
    worker::console_error!("edge-persona: person object: {e}");
    Failure::Internal
}

/// Applies an update through the person's object; answers once it is stored.
pub(super) async fn apply(env: &Env, user: &str, update: &Update) -> Result<ApplyAnswer, Failure> {
    let body = update.encode().map_err(|e| {
        worker::console_error!("edge-persona: encode update: {e}");
        Failure::Internal
    })?;
    let mut resp = call(env, user, Method::Post, "/apply", "", Some(body))
        .await
        .map_err(unavailable)?;
    if resp.status_code() != 200 {
        worker::console_error!("edge-persona: person apply: {}", resp.status_code());
        return Err(Failure::Internal);
    }
    resp.json().await.map_err(unavailable)
}

/// The person's current snapshot for `target` and its version, from their object (compiled there;
/// `kv_missing` asks it to publish again). Else why not: no profile, erased, or the object failed
/// ([`Missing::NoProfile`]), or a consent category personalization needs is not granted.
pub(super) async fn snapshot(
    env: &Env,
    user: &str,
    target: Target,
    kv_missing: bool,
) -> Result<(Vec<u8>, u64), Missing> {
    let query = format!(
        "&target={}{}",
        match target {
            Target::Server => "server",
            Target::Browser => "browser",
        },
        if kv_missing { "&missing=1" } else { "" }
    );
    let mut resp = call(env, user, Method::Get, "/snapshot", &query, None)
        .await
        .map_err(|e| worker::console_warn!("edge-persona: person snapshot: {e}"))
        .map_err(|_| Missing::NoProfile)?;
    let header = |name: &str| resp.headers().get(name).ok().flatten();
    if resp.status_code() != 200 {
        return Err(match header(REASON_HEADER) {
            Some(category) => Missing::NoConsent(category),
            None => Missing::NoProfile,
        });
    }
    let version = header(VERSION_HEADER)
        .and_then(|v| v.parse().ok())
        .ok_or(Missing::NoProfile)?;
    Ok((resp.bytes().await.map_err(|_| Missing::NoProfile)?, version))
}

/// Keeps the consent preferences of a message when they are the person's newest; answers once
/// stored.
pub(super) async fn consent(
    env: &Env,
    user: &str,
    consent: &Consent,
) -> Result<ApplyAnswer, Failure> {
    let body = consent.encode().map_err(|e| {
        worker::console_error!("edge-persona: encode consent: {e}");
        Failure::Internal
    })?;
    let mut resp = call(env, user, Method::Post, "/consent", "", Some(body))
        .await
        .map_err(unavailable)?;
    if resp.status_code() != 200 {
        worker::console_error!("edge-persona: person consent: {}", resp.status_code());
        return Err(Failure::Internal);
    }
    resp.json().await.map_err(unavailable)
}

/// Records what reads were told; `Ok` once stored.
pub(super) async fn record_audit(
    env: &Env,
    user: &str,
    records: &[AuditRecord],
) -> Result<(), String> {
    let body = AuditRecord::encode_batch(records).map_err(|e| e.to_string())?;
    let resp = call(env, user, Method::Post, "/audit", "", Some(body))
        .await
        .map_err(|e| e.to_string())?;
    match resp.status_code() {
        200 => Ok(()),
        s => Err(format!("person audit answered {s}")),
    }
}

/// The person's audit records, newest first (`query`: `&limit=…&since=…`, already checked).
pub(super) async fn audit(
    env: &Env,
    user: &str,
    query: &str,
) -> Result<serde_json::Value, Failure> {
    let mut resp = call(env, user, Method::Get, "/audit", query, None)
        .await
        .map_err(unavailable)?;
    if resp.status_code() != 200 {
        return Err(Failure::Internal);
    }
    resp.json().await.map_err(unavailable)
}

/// Erases the person (every copy) and suppresses them; `file_regulation`: also file a deletion
/// with Segment's Public API (when configured).
pub(super) async fn erase(
    env: &Env,
    user: &str,
    file_regulation: bool,
) -> Result<EraseAnswer, Failure> {
    let query = if file_regulation { "&regulation=1" } else { "" };
    let mut resp = call(env, user, Method::Post, "/erase", query, None)
        .await
        .map_err(unavailable)?;
    if resp.status_code() != 200 {
        return Err(Failure::Internal);
    }
    resp.json().await.map_err(unavailable)
}

/// Lifts the person's suppression; answers the object's JSON.
pub(super) async fn lift(env: &Env, user: &str) -> Result<serde_json::Value, Failure> {
    json_call(env, user, Method::Post, "/lift").await
}

/// The object's counts and counters (no profile data).
pub(super) async fn stats(env: &Env, user: &str) -> Result<serde_json::Value, Failure> {
    json_call(env, user, Method::Get, "/stats").await
}

async fn json_call(
    env: &Env,
    user: &str,
    method: Method,
    path: &str,
) -> Result<serde_json::Value, Failure> {
    let mut resp = call(env, user, method, path, "", None)
        .await
        .map_err(unavailable)?;
    if resp.status_code() != 200 {
        return Err(Failure::Internal);
    }
    resp.json().await.map_err(unavailable)
}

/// The object's answer to a memory call: its status (201, 200; 400, 404, 409 with `{"error"}`)
/// and JSON body.
pub(super) struct MemoryAnswer {
    pub(super) status: u16,
    pub(super) body: serde_json::Value,
}

impl MemoryAnswer {
    /// The state version a write reached, if it was one.
    pub(super) fn version(&self) -> Option<u64> {
        self.body.get("version").and_then(serde_json::Value::as_u64)
    }
    /// The error message of a refused call.
    pub(super) fn error(&self) -> Option<&str> {
        self.body.get("error").and_then(serde_json::Value::as_str)
    }
}

/// Remembers `{"text", "key"?, "category"?, "source"}` for the person; stored once answered 201.
pub(super) async fn remember(
    env: &Env,
    user: &str,
    memory: &serde_json::Value,
) -> Result<MemoryAnswer, Failure> {
    let body = Some(memory.to_string().into_bytes());
    memory_call(env, user, Method::Post, "", body).await
}

/// The person's memories, newest first.
pub(super) async fn memories(env: &Env, user: &str) -> Result<MemoryAnswer, Failure> {
    memory_call(env, user, Method::Get, "", None).await
}

/// Forgets one of the person's memories (404 when they have none with this id).
pub(super) async fn forget(env: &Env, user: &str, id: &str) -> Result<MemoryAnswer, Failure> {
    let query = format!("&id={}", encode_segment(id));
    memory_call(env, user, Method::Delete, &query, None).await
}

async fn memory_call(
    env: &Env,
    user: &str,
    method: Method,
    query: &str,
    body: Option<Vec<u8>>,
) -> Result<MemoryAnswer, Failure> {
    let mut resp = call(env, user, method, "/memories", query, body)
        .await
        .map_err(unavailable)?;
    let status = resp.status_code();
    if status >= 500 {
        return Err(Failure::Internal);
    }
    let body = resp.json().await.map_err(unavailable)?;
    Ok(MemoryAnswer { status, body })
}
