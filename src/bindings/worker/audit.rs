//! The audit of what each prompt was told: recording (off the read path) and `GET /v1/audit`.
//!
//! **Recording.** A personalized read (`/v1/context`, a chat injection, MCP `get_user_context` and
//! `search_profile`, a page fill) hands its record (route, time, item ids, token count; never a
//! value) to the person's object in `ctx.waitUntil`, after the answer has left: the read does not
//! wait for it. A record the object could not store (it failed, or the runtime ended the task) is
//! logged with `console.error` as `audit record lost`, with the route and the count of items, so a
//! loss is never silent; it is not retried (the answer it describes was already sent).
//!
//! **Reading.** `GET /v1/audit[?limit=1..1000&since=<ISO time>]`: the caller's own records, newest
//! first, with their token (a first-party one or the identity provider's); with
//! `Authorization: Bearer <ADMIN_SECRET>`, any person's, named by `user=<id>`. `Cache-Control:
//! no-store`.

use serde_json::json;
use worker::{Context, Env, Request, Response};

use crate::state::{AuditQuery, AuditRecord};

use super::admin::same_secret;
use super::bearer::{bearer_token, bearer_user};
use super::config::Config;
use super::{now_ms, person_client, Failure, Outcome};

/// The route.
pub(super) const PATH: &str = "/v1/audit";

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
    let (env, user, route, items) = (
        env.clone(),
        user.to_string(),
        route.to_string(),
        items.to_vec(),
    );
    ctx.wait_until(async move { record_now(&env, &user, &route, &items, tokens).await });
}

/// Records now (inside a task the caller keeps alive), logging a loss.
pub(super) async fn record_now(
    env: &Env,
    user: &str,
    route: &str,
    items: &[String],
    tokens: usize,
) {
    let record = AuditRecord::new(now_ms(), route, items, tokens);
    if let Err(e) = person_client::record_audit(env, user, &record).await {
        worker::console_error!(
            "edge-persona: audit record lost ({}, {} items): {e}",
            record.route,
            record.items.len()
        );
    }
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
