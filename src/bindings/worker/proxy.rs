//! What both reverse proxies (LLM upstream and origin) share: which request headers go upstream,
//! the upstream URL, the call itself, and the response relayed back with its headers filtered.

use worker::{Fetch, Headers, Request, RequestInit, Response, ResponseBody};

use super::{Failure, IDENTITY_HEADER};

/// Whether a request header goes upstream: not the hop-by-hop ones, the Worker's own identity header,
/// nor the platform's.
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

/// The request headers to send upstream: the [`forwardable`] ones, without `cookie` when asked.
pub(super) fn copy_request_headers(from: &Headers, drop_cookie: bool) -> Result<Headers, Failure> {
    let to = Headers::new();
    for (k, v) in from.entries() {
        let k = k.to_ascii_lowercase();
        if forwardable(&k) && !(drop_cookie && k == "cookie") {
            to.append(&k, &v)?;
        }
    }
    Ok(to)
}

/// Sends a request upstream; a failure to reach it (logged with `what`) is a 502.
pub(super) async fn send(
    target: &str,
    init: &RequestInit,
    what: &str,
) -> Result<Response, Failure> {
    let upstream_req = Request::new_with_init(target, init)?;
    Fetch::Request(upstream_req).send().await.map_err(|e| {
        worker::console_warn!("edge-persona: {what}: {e}");
        Failure::BadGateway
    })
}

/// A response with the upstream's status, headers (minus `drop`) and streaming body.
pub(super) fn relay(
    upstream: Response,
    drop: &[&str],
    extra: &[(&str, String)],
) -> Result<Response, Failure> {
    let raw: worker::web_sys::Response = upstream.into();
    let headers = response_headers(&Headers(raw.headers()), drop, extra)?;
    let body = match raw.body() {
        Some(s) => ResponseBody::Stream(s),
        None => ResponseBody::Empty,
    };
    Ok(Response::builder()
        .with_status(raw.status())
        .with_headers(headers)
        .body(body))
}

/// The headers of a relayed response: the upstream's (names lowercased) minus `drop`, then `extra`
/// set over them.
pub(super) fn response_headers(
    upstream: &Headers,
    drop: &[&str],
    extra: &[(&str, String)],
) -> Result<Headers, Failure> {
    let headers = Headers::new();
    for (k, v) in upstream.entries() {
        let k = k.to_ascii_lowercase();
        if !drop.contains(&k.as_str()) {
            headers.append(&k, &v)?;
        }
    }
    for (k, v) in extra {
        headers.set(k, v)?;
    }
    Ok(headers)
}

/// `base` (without its trailing `/`) + `path` + `?query`.
pub(super) fn join_url(base: &str, path: &str, query: Option<&str>) -> String {
    let mut url = format!("{}{}", base.trim_end_matches('/'), path);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}
