//! `POST /v1/webhooks/segment`: checks Segment's HMAC-SHA1 `X-Signature`, reads the message with
//! the core ([`crate::webhook::parse_message`]) and hands it to the person's object, which applies
//! it in order, once. The answer is 2xx only once the update is stored (a 5xx makes Segment retry;
//! a retry is a duplicate and changes nothing).

use hmac::{Hmac, Mac};
use serde_json::{json, Value as Json};
use worker::{Env, Request, Response};

use crate::import::segment::webhook::{parse_message, Message};
use crate::import::ImportLimits;
use crate::state::Consent;

use super::config::Config;
use super::store::saw_version;
use super::{now_ms, person_client, read_body, Failure, Outcome};
use crate::state::Outcome as Applied;

/// The largest webhook body read (Segment's calls are far smaller).
const MAX_WEBHOOK_BODY: usize = 1 << 20;

/// `POST /v1/webhooks/segment`: a signed Segment call applied to the person's state (a `delete`
/// erases them).
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
    let now = now_ms();
    let message = parse_message(&payload, &ImportLimits::default(), now).map_err(|e| {
        worker::console_warn!("edge-persona: webhook: {e}");
        Failure::BadRequest("the message does not import")
    })?;
    // The message's consent, checked before anything is stored (a malformed one is a 400).
    let at = payload
        .get("timestamp")
        .and_then(Json::as_str)
        .and_then(crate::time::parse_timestamp)
        .unwrap_or(now);
    let consent = Consent::from_message(&payload, at).map_err(|e| {
        worker::console_warn!("edge-persona: webhook consent: {e}");
        Failure::BadSetting(e.to_string())
    })?;
    match message {
        Message::Ignored { reason } => {
            Ok(Response::from_json(&json!({"updated": false, "reason": reason}))?.with_status(202))
        }
        Message::Delete { user_id } => {
            // Segment sent the deletion: it needs no regulation filed back.
            let erased = person_client::erase(env, &user_id, false).await?;
            saw_version(&user_id, erased.version, now);
            Ok(Response::from_json(&json!({"erased": true}))?)
        }
        Message::Update { user_id, update } => {
            if let Some(c) = &consent {
                let kept = person_client::consent(env, &user_id, c).await?;
                saw_version(&user_id, kept.version, now);
            }
            let answer = person_client::apply(env, &user_id, &update).await?;
            saw_version(&user_id, answer.version, now);
            let body = match answer.outcome {
                Applied::Changed => json!({"updated": true, "version": answer.version}),
                Applied::Suppressed => {
                    return Ok(Response::from_json(
                        &json!({"updated": false, "reason": "erased and suppressed"}),
                    )?
                    .with_status(202))
                }
                Applied::Erased => {
                    return Ok(Response::from_json(
                        &json!({"updated": false, "reason": "dated before the person's erasure"}),
                    )?
                    .with_status(202))
                }
                Applied::Duplicate => {
                    json!({"updated": false, "reason": "duplicate", "version": answer.version})
                }
                Applied::Stale => {
                    json!({"updated": false, "reason": "older than the values kept", "version": answer.version})
                }
            };
            Ok(Response::from_json(&body)?)
        }
    }
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
