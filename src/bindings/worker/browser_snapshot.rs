//! `GET /v1/snapshot`: the caller's own browser-policy snapshot (for the npm package), with an ETag
//! and a 304 on `If-None-Match`. `private, no-cache` and a `Vary` on every identity source: no
//! shared cache keeps it, and the browser's own cache revalidates it, with the current identity,
//! before each use.

use sha2::{Digest, Sha256};
use worker::{Context, Env, Headers, Request, Response};

use crate::policy::Target;

use super::config::Config;
use super::proxy::IDENTITY_VARY;
use super::store::current;
use super::{identify, now_ms, Failure, Outcome};

/// A strong ETag: the first 16 bytes of the SHA-256 of the snapshot, in hex.
fn etag_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// `GET /v1/snapshot` (and `HEAD`): the verified caller's browser-policy snapshot.
pub(super) async fn snapshot_route(
    req: Request,
    env: &Env,
    _ctx: &Context,
    cfg: &Config,
) -> Outcome {
    let now = now_ms();
    let user = identify(&req, cfg, now, false).ok_or(Failure::Unauthorized)?;
    // KV, else the person's object (which compiles, or seeds from the Profile API, there).
    let (bytes, _) = current(&user, Target::Browser, env, now, Some)
        .await
        .ok_or(Failure::NotFound)?;
    let etag = etag_of(&bytes);
    let headers = Headers::new();
    headers.set("etag", &etag)?;
    headers.set("cache-control", "private, no-cache")?;
    headers.set("vary", IDENTITY_VARY)?;
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
