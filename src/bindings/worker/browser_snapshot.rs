//! `GET /v1/snapshot`: the caller's own browser-policy snapshot (for the npm package), with an ETag
//! and a 304 on `If-None-Match`. `private, no-cache` and a `Vary` on every identity source: no
//! shared cache keeps it, and the browser's own cache revalidates it, with the current identity,
//! before each use.

use worker::{Context, Env, Headers, Request, Response};

use crate::policy::Target;
use crate::snapshot::codec;

use super::config::Config;
use super::proxy::IDENTITY_VARY;
use super::store::current;
use super::{identify, now_ms, Failure, Outcome};

/// A strong ETag: the state version the snapshot was compiled from and the length and CRC-32 its
/// header carries (the checksum of everything after it), in hex. Read off the header rather than
/// hashed: a snapshot at the bounds is over a megabyte, and a digest of it was most of the route's
/// CPU.
fn etag_of(bytes: &[u8], version: u64) -> String {
    let mut id = version.to_be_bytes().to_vec();
    let header = bytes.get(8..codec::HEADER_LEN).unwrap_or(bytes);
    id.extend_from_slice(header);
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
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
    let (bytes, version) = current(&user, Target::Browser, env, now, Some)
        .await
        .ok_or(Failure::NotFound)?;
    let etag = etag_of(&bytes, version);
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
