//! `/v1/profiles/<user_id>`: the operator's routes on one person's state, authenticated with
//! `Authorization: Bearer <ADMIN_SECRET>` (compared in constant time).
//!
//! | route | what |
//! | --- | --- |
//! | `DELETE /v1/profiles/<user_id>` | erasure: every copy goes (object storage, both KV snapshots, the legacy `src:v1:` key, this isolate's cache); the person stays suppressed |
//! | `DELETE /v1/profiles/<user_id>/suppression` | lifts the suppression: webhooks and the Profile API fallback may bring the person back |
//! | `GET /v1/profiles/<user_id>` | counts and counters of the state (no profile data) |

use serde_json::json;
use sha2::{Digest, Sha256};
use worker::{Env, Method, Request, Response};

use super::config::Config;
use super::store::saw_version;
use super::{now_ms, person_client, Failure, Outcome};

/// The path prefix of the admin routes.
pub(super) const PREFIX: &str = "/v1/profiles/";

/// Whether two secrets are equal, in time independent of where they differ (their SHA-256
/// digests are compared in full, so the length does not show either).
pub(super) fn same_secret(a: &str, b: &str) -> bool {
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

/// The percent-decoded user id of a path segment; `None` when empty, not UTF-8 or too long.
fn decode_user(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out)
        .ok()
        .filter(|u| !u.is_empty() && u.len() <= crate::identity::MAX_USER_ID_BYTES)
}

/// The admin routes under [`PREFIX`].
pub(super) async fn admin_route(req: Request, path: &str, env: &Env, cfg: &Config) -> Outcome {
    let secret = cfg
        .admin_secret
        .as_deref()
        .ok_or(Failure::NotConfigured("ADMIN_SECRET is not configured"))?;
    let given = req
        .headers()
        .get("authorization")
        .ok()
        .flatten()
        .and_then(|a| a.strip_prefix("Bearer ").map(str::to_string))
        .ok_or(Failure::Unauthorized)?;
    if !same_secret(given.trim(), secret) {
        return Err(Failure::Unauthorized);
    }
    let rest = path.strip_prefix(PREFIX).unwrap_or("");
    let (segment, suppression) = match rest.strip_suffix("/suppression") {
        Some(s) => (s, true),
        None => (rest, false),
    };
    if segment.contains('/') {
        return Err(Failure::NotFound);
    }
    let user =
        decode_user(segment).ok_or(Failure::BadRequest("expected /v1/profiles/<user_id>"))?;
    let now = now_ms();
    let body = match (req.method(), suppression) {
        (Method::Delete, false) => {
            // The operator's erasure also reaches Segment when a Public API token is set.
            let erased = person_client::erase(env, &user, true).await?;
            saw_version(&user, erased.version, now);
            json!({"erased": true, "kv_deleted": erased.kv_deleted})
        }
        (Method::Delete, true) => person_client::lift(env, &user).await?,
        (Method::Get, false) => person_client::stats(env, &user).await?,
        _ => return Err(Failure::MethodNotAllowed),
    };
    let mut resp = Response::from_json(&body)?;
    let _ = resp.headers_mut().set("cache-control", "no-store");
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_user_ids() {
        assert!(same_secret("s3cret", "s3cret"));
        assert!(!same_secret("s3cret", "s3cres"));
        assert!(!same_secret("s3cret", "s3cret "));
        assert_eq!(decode_user("jeff%2F1"), Some("jeff/1".into()));
        assert_eq!(decode_user("caf%C3%A9"), Some("café".into()));
        assert_eq!(decode_user(""), None);
        assert_eq!(decode_user("%zz"), None);
        assert_eq!(decode_user("%C3"), None);
        assert_eq!(decode_user("%4"), None);
    }
}
