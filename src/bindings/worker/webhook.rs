//! `POST /v1/webhooks/segment`: checks Segment's HMAC-SHA1 `X-Signature`, then lets the core merge
//! the call into the stored source bundle ([`crate::import::segment::webhook`]) and stores the result.

use hmac::{Hmac, Mac};
use serde_json::{json, Value as Json};
use worker::{Env, Request, Response};

use crate::import::segment::webhook::{empty_bundle, merge_webhook, webhook_user_id};
use crate::snapshot::kv;

use super::config::Config;
use super::store::{cache_forget, compile_both, store};
use super::{read_body, Failure, Outcome};

/// The largest webhook body read (Segment's calls are far smaller).
const MAX_WEBHOOK_BODY: usize = 1 << 20;

/// `POST /v1/webhooks/segment`: a signed Segment call merged into the person's stored source bundle,
/// both snapshots recompiled and stored, the isolate's cached copy forgotten.
pub(super) async fn webhook_route(mut req: Request, env: &Env, cfg: &Config) -> Outcome {
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
    let Some(user) = webhook_user_id(&payload) else {
        return Ok(
            Response::from_json(&json!({"updated": false, "reason": "no userId"}))?
                .with_status(202),
        );
    };
    let kv = env.kv("PROFILES").map_err(|_| Failure::Internal)?;
    let mut bundle = match kv.get(&kv::source_key(&user)).text().await.ok().flatten() {
        Some(text) => serde_json::from_str(&text).unwrap_or_else(|_| empty_bundle(&user)),
        None => match &cfg.segment {
            Some(api) => api
                .fetch_bundle(&user)
                .await
                .unwrap_or_else(|_| empty_bundle(&user)),
            None => empty_bundle(&user),
        },
    };
    if !merge_webhook(&mut bundle, &payload) {
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

/// The bytes of a hex `X-Signature` (an optional `sha1=` prefix allowed); `None` when not hex.
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
