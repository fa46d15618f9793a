//! What both reverse proxies (LLM upstream and origin) share: which request headers go upstream
//! (allow-lists), the call itself under deadlines, the response relayed back with its headers
//! filtered and its body guarded by idle and total deadlines, and the cache rules of personal
//! responses.

use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::stream::{self, Stream, StreamExt};
use worker::{
    AbortController, ByteStream, Date, Delay, Fetch, Headers, Request, RequestInit, Response,
};

use super::Failure;

/// The request headers the LLM provider gets, and no others: what its API reads (content type,
/// the caller's key and API version, organization and project), `accept` and `user-agent`. Never
/// the visitor's IP or location (`cf-*`, `x-forwarded-*`, `true-client-ip`, …), cookies, referer,
/// nor the identity header.
pub(super) const LLM_REQUEST_HEADERS: &[&str] = &[
    "accept",
    "anthropic-beta",
    "anthropic-version",
    "api-key",
    "authorization",
    "content-type",
    "idempotency-key",
    "openai-beta",
    "openai-organization",
    "openai-project",
    "user-agent",
    "x-api-key",
];

/// The visitor's request headers the origin gets (plus `ORIGIN_FORWARD_HEADERS`): what a site
/// needs to work behind a reverse proxy. The Worker adds `x-forwarded-for` (from
/// `cf-connecting-ip`), `x-forwarded-proto` and `x-forwarded-host`; nothing else about the visitor's
/// IP or location, and never the identity header.
pub(super) const ORIGIN_REQUEST_HEADERS: &[&str] = &[
    "accept",
    "accept-language",
    "authorization",
    "cache-control",
    "content-type",
    "cookie",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "origin",
    "pragma",
    "range",
    "referer",
    "sec-fetch-dest",
    "sec-fetch-mode",
    "sec-fetch-site",
    "sec-fetch-user",
    "upgrade-insecure-requests",
    "user-agent",
    "x-csrf-token",
    "x-csrftoken",
    "x-requested-with",
    "x-xsrf-token",
];

/// The response headers that would let a shared cache (a CDN, a proxy) keep a response or answer
/// from it: dropped from personal responses, which get [`PERSONAL_CACHE_CONTROL`] instead.
const SHARED_CACHE_HEADERS: &[&str] = &[
    "age",
    "cache-control",
    "cdn-cache-control",
    "cloudflare-cdn-cache-control",
    "etag",
    "expires",
    "last-modified",
    "surrogate-control",
    "surrogate-key",
];
/// `Cache-Control` of every personal response.
pub(super) const PERSONAL_CACHE_CONTROL: &str = "private, no-store";
/// Every header a person's identity can come in: the `Vary` of responses that depend on it.
pub(super) const IDENTITY_VARY: &str = "Cookie, Authorization, X-Edge-Persona-Identity";

/// Hop-by-hop and framing headers, never relayed.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "content-length",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
];

/// The request headers to send upstream: those named in `allow` or `extra` (lowercase), as the
/// visitor sent them.
pub(super) fn allowed_request_headers(
    from: &Headers,
    allow: &[&str],
    extra: &[String],
) -> Result<Headers, Failure> {
    let to = Headers::new();
    for (k, v) in from.entries() {
        let k = k.to_ascii_lowercase();
        if allow.contains(&k.as_str()) || extra.contains(&k) {
            to.append(&k, &v)?;
        }
    }
    Ok(to)
}

/// How long an upstream may take (milliseconds): until its response headers, between two chunks
/// of its body, and in all.
#[derive(Debug, Clone, Copy)]
pub(super) struct Deadlines {
    pub(super) first_byte_ms: u64,
    pub(super) idle_ms: u64,
    pub(super) total_ms: u64,
}

/// A response whose body is still coming: the controller that cancels it, and when it was asked for.
pub(super) struct Upstream {
    pub(super) response: Response,
    controller: AbortController,
    started_ms: u64,
    deadlines: Deadlines,
}

fn clock_ms() -> u64 {
    Date::now().as_millis()
}

/// Sends a request upstream: a failure to reach it is a 502, no response headers within the
/// first-byte deadline a 504 (the request is cancelled). `what` names it in the log.
pub(super) async fn send(
    target: &str,
    init: &RequestInit,
    deadlines: Deadlines,
    what: &str,
) -> Result<Upstream, Failure> {
    let started_ms = clock_ms();
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(Request::new_with_init(target, init)?);
    let call = Box::pin(fetch.send_with_signal(&signal));
    let timer = Delay::from(Duration::from_millis(deadlines.first_byte_ms));
    let first = select(call, timer).await;
    match first {
        Either::Left((Ok(response), _)) => Ok(Upstream {
            response,
            controller,
            started_ms,
            deadlines,
        }),
        Either::Left((Err(e), _)) => {
            worker::console_warn!("edge-persona: {what}: {e}");
            Err(Failure::BadGateway)
        }
        Either::Right(_) => {
            controller.abort();
            worker::console_warn!(
                "edge-persona: {what}: no response within {} ms",
                deadlines.first_byte_ms
            );
            Err(Failure::GatewayTimeout)
        }
    }
}

/// The event an SSE answer ends with when its upstream failed mid-stream, after a blank line that
/// ends any event cut short. OpenAI's and Anthropic's SDKs raise it as an API error; the stream then
/// errors too.
pub(super) const SSE_FAILURE_EVENT: &str = "\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"upstream_error\",\"message\":\"the upstream failed or timed out mid-stream: this answer is incomplete\"}}\n\n";

/// Where a guarded body is.
enum Guard {
    Reading(ByteStream, AbortController),
    /// The upstream failed: the failure event (if any) went out, the error follows.
    Failing(&'static str),
    Done,
}

impl Upstream {
    /// The raw response (headers, status) and its body as a stream that fails, and cancels the
    /// upstream, when the upstream fails mid-body or a deadline passes; with `sse`, the
    /// [`SSE_FAILURE_EVENT`] goes out first. A runtime that aborts the connection on a failed stream
    /// gives the client an incomplete body, never a clean end; a caller through a service binding
    /// sees the stream fail. (workerd's HTTP server still ends the chunked body cleanly then:
    /// cloudflare/workerd#6818.)
    pub(super) fn into_parts(
        self,
        sse: bool,
    ) -> (
        worker::web_sys::Response,
        impl Stream<Item = Result<Vec<u8>, worker::Error>>,
    ) {
        let raw: worker::web_sys::Response = self.response.into();
        let state = match raw.body() {
            Some(body) => Guard::Reading(ByteStream::from(body), self.controller),
            None => Guard::Done, // no body (204, 304, HEAD)
        };
        let (started, d) = (self.started_ms, self.deadlines);
        let guarded = stream::unfold(state, move |state| async move {
            let (mut body, controller) = match state {
                Guard::Reading(body, controller) => (body, controller),
                Guard::Failing(why) => {
                    return Some((Err(worker::Error::RustError(why.into())), Guard::Done))
                }
                Guard::Done => return None,
            };
            let left = (started + d.total_ms).saturating_sub(clock_ms());
            let wait = Delay::from(Duration::from_millis(d.idle_ms.min(left)));
            let why = match select(body.next(), wait).await {
                Either::Left((Some(Ok(chunk)), _)) => {
                    return Some((Ok(chunk), Guard::Reading(body, controller)))
                }
                Either::Left((None, _)) => return None,
                Either::Left((Some(Err(e)), _)) => {
                    worker::console_warn!("edge-persona: upstream body failed: {e}");
                    "upstream failed mid-stream"
                }
                Either::Right(_) => {
                    worker::console_warn!("edge-persona: upstream body deadline passed");
                    "upstream deadline passed"
                }
            };
            controller.abort();
            if sse {
                Some((
                    Ok(SSE_FAILURE_EVENT.as_bytes().to_vec()),
                    Guard::Failing(why),
                ))
            } else {
                Some((Err(worker::Error::RustError(why.into())), Guard::Done))
            }
        });
        (raw, guarded)
    }
}

/// Whether the runtime has already decoded a body sent with this `Content-Encoding` (workerd's
/// fetch decodes gzip and br, and leaves the header in place); the header then goes, since the body
/// relayed is plain. Any other encoding (deflate, zstd, unknown, several) is relayed untouched, with
/// its header, and never rewritten.
pub(super) fn decoded_by_runtime(content_encoding: Option<&str>) -> bool {
    content_encoding.is_none_or(|ce| {
        let ce = ce.trim();
        ce.is_empty()
            || ce.eq_ignore_ascii_case("gzip")
            || ce.eq_ignore_ascii_case("br")
            || ce.eq_ignore_ascii_case("identity")
    })
}

/// The headers of a relayed response: the upstream's (names lowercased) minus hop-by-hop ones,
/// `content-encoding` when the runtime decoded the body, and, for a personal response, everything a
/// shared cache acts on; then `extra` set over them. A personal response gets
/// [`PERSONAL_CACHE_CONTROL`] and varies on [`IDENTITY_VARY`].
pub(super) fn response_headers(
    upstream: &Headers,
    personal: bool,
    extra: &[(&str, String)],
) -> Result<Headers, Failure> {
    let decoded = decoded_by_runtime(upstream.get("content-encoding").ok().flatten().as_deref());
    let headers = Headers::new();
    for (k, v) in upstream.entries() {
        let k = k.to_ascii_lowercase();
        let drop = HOP_BY_HOP.contains(&k.as_str())
            || (k == "content-encoding" && decoded)
            || (personal && SHARED_CACHE_HEADERS.contains(&k.as_str()));
        if !drop {
            headers.append(&k, &v)?;
        }
    }
    if personal {
        headers.set("cache-control", PERSONAL_CACHE_CONTROL)?;
        let vary = match headers.get("vary").ok().flatten() {
            Some(v) if !v.trim().is_empty() => format!("{v}, {IDENTITY_VARY}"),
            _ => IDENTITY_VARY.to_string(),
        };
        headers.set("vary", &vary)?;
    }
    for (k, v) in extra {
        headers.set(k, v)?;
    }
    Ok(headers)
}

/// The response relayed to the client: `status`, `headers`, and `body` streamed (none for the
/// statuses that have none).
pub(super) fn respond<S>(status: u16, headers: Headers, body: S) -> Result<Response, Failure>
where
    S: Stream<Item = Result<Vec<u8>, worker::Error>> + 'static,
{
    let builder = Response::builder()
        .with_status(status)
        .with_headers(headers);
    if matches!(status, 101 | 204 | 205 | 304) {
        return Ok(builder.empty());
    }
    Ok(builder.from_stream(body)?)
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
