//! The audit of what each prompt was told: recording (off the read path) and `GET /v1/audit`.
//!
//! **Recording.** A personalized read (`/v1/context`, a chat injection, MCP `get_user_context` and
//! `search_profile`, a page fill) leaves its record (route, time, item ids, token count; never a
//! value) in this isolate's batch for the person; the first record of a batch starts a task in
//! `ctx.waitUntil` that, [`FLUSH_AFTER_MS`] later (or at once when the batch is full), hands the
//! batch to the person's object in one call: the read does not wait for it, and a busy person
//! costs their object one write a second, not one per read. A batch the object could not store
//! (it failed, or the runtime ended the task) is logged with `console.error` as `audit records
//! lost`, with their count, so a loss is never silent; it is not retried (the answers it
//! describes were already sent).
//!
//! **Reading.** `GET /v1/audit[?limit=1..1000&since=<ISO time>]`: the caller's own records, newest
//! first, with their token (a first-party one or the identity provider's); with
//! `Authorization: Bearer <ADMIN_SECRET>`, any person's, named by `user=<id>`. `Cache-Control:
//! no-store`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use serde_json::json;
use worker::{Context, Env, Request, Response};

use crate::state::{AuditQuery, AuditRecord};

use super::admin::same_secret;
use super::bearer::{bearer_token, bearer_user};
use super::config::Config;
use super::{now_ms, person_client, Failure, Outcome};

/// The route.
pub(super) const PATH: &str = "/v1/audit";

/// How long a batch waits for more records before it is sent.
const FLUSH_AFTER_MS: u64 = 1_000;
/// Most records in one batch: a full batch is sent at once.
const MAX_BATCH: usize = 64;
/// Most people with a batch waiting in one isolate: past it, a record is sent on its own.
const MAX_PENDING_PEOPLE: usize = 256;

thread_local! {
    /// Records waiting to be sent, per person.
    static PENDING: RefCell<HashMap<String, Vec<AuditRecord>>> = RefCell::new(HashMap::new());
}

/// Records, without waiting, that `route` gave `user` these items and tokens.
pub(super) fn record(
    env: &Env,
    ctx: &Context,
    cfg: &Config,
    user: &str,
    route: &str,
    items: &[String],
    tokens: usize,
) {
    if !cfg.state.audit.enabled {
        return;
    }
    let record = AuditRecord::new(now_ms(), route, items, tokens);
    // Queued: whether this record starts a batch (then its task sends it later) or fills one.
    let (first, full, alone) = PENDING.with(|p| {
        let mut p = p.borrow_mut();
        if !p.contains_key(user) && p.len() >= MAX_PENDING_PEOPLE {
            return (false, false, Some(record));
        }
        let batch = p.entry(user.to_string()).or_default();
        batch.push(record);
        (batch.len() == 1, batch.len() >= MAX_BATCH, None)
    });
    let (env, user) = (env.clone(), user.to_string());
    if let Some(record) = alone {
        ctx.wait_until(async move { send(&env, &user, vec![record]).await });
    } else if full {
        ctx.wait_until(async move { flush(&env, &user).await });
    } else if first {
        ctx.wait_until(async move {
            worker::Delay::from(Duration::from_millis(FLUSH_AFTER_MS)).await;
            flush(&env, &user).await;
        });
    }
}

/// Sends `user`'s waiting batch, if any.
async fn flush(env: &Env, user: &str) {
    let batch = PENDING
        .with(|p| p.borrow_mut().remove(user))
        .unwrap_or_default();
    if !batch.is_empty() {
        send(env, user, batch).await;
    }
}

async fn send(env: &Env, user: &str, batch: Vec<AuditRecord>) {
    if let Err(e) = person_client::record_audit(env, user, &batch).await {
        worker::console_error!(
            "edge-persona: audit records lost ({} records): {e}",
            batch.len()
        );
    }
}

/// Records now (inside a task the caller keeps alive), logging a loss.
pub(super) async fn record_now(
    env: &Env,
    user: &str,
    route: &str,
    items: &[String],
    tokens: usize,
) {
    send(
        env,
        user,
        vec![AuditRecord::new(now_ms(), route, items, tokens)],
    )
    .await;
}

/// `GET /v1/audit`.
pub(super) async fn audit_route(req: Request, env: &Env, cfg: &Config) -> Outcome {
    if req.method() != worker::Method::Get {
        return Err(Failure::MethodNotAllowed);
    }
    let url = req.url()?;
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let named = pairs
        .iter()
        .find(|(k, _)| k == "user")
        .map(|(_, v)| v.clone());
    let admin = match (&cfg.admin_secret, bearer_token(&req)) {
        (Some(secret), Some(token)) => same_secret(&token, secret),
        _ => false,
    };
    let user = if admin {
        named
            .filter(|u| !u.is_empty() && u.len() <= crate::identity::MAX_USER_ID_BYTES)
            .ok_or(Failure::BadRequest("the admin secret needs user=<id>"))?
    } else {
        bearer_user(&req, cfg, now_ms())
            .await
            .map_err(|_| Failure::Unauthorized)?
    };
    // Checked here too, so a bad query is a 400 naming it before the object is asked.
    let rest: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(k, _)| !(admin && k == "user"))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let query = AuditQuery::parse(rest).map_err(|e| Failure::BadSetting(e.to_string()))?;
    let mut q = format!("&limit={}", query.limit);
    if let Some(since) = query.since_ms {
        q.push_str(&format!("&since={}", crate::time::format_timestamp(since)));
    }
    let body = person_client::audit(env, &user, &q).await?;
    let records = body.get("records").cloned().unwrap_or(json!([]));
    let mut resp = Response::from_json(&json!({"user": user, "records": records}))?;
    resp.headers_mut().set("cache-control", "no-store")?;
    Ok(resp)
}
