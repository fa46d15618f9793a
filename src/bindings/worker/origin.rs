//! Every other path: a reverse proxy to `ORIGIN_URL`, where a `text/html` answer for a known person
//! has its `data-persona` slots filled by [`super::html`] while it streams. The origin gets the
//! headers of [`ORIGIN_REQUEST_HEADERS`] and a `x-forwarded-for` set from `cf-connecting-ip`; the
//! `ORIGIN_*_TIMEOUT_MS` deadlines bound it. A page is personalized only when the runtime could
//! decode it (no `Content-Encoding`, gzip or br) or this Worker can (deflate, zlib or raw:
//! [`super::inflate`]), and its charset is one lol_html rewrites; any other page is relayed as it
//! came, header included.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::stream::{self, Stream, StreamExt};
use worker::{Context, Env, Headers, Method, Request, RequestInit, RequestRedirect, Url};

use super::audit;
use super::config::Config;
use super::html::{html_encoding, is_html, HtmlSettings, SlotRewriter};
use super::inflate::{inflated, is_deflate};
use super::proxy::{
    allowed_request_headers, decoded_by_runtime, join_url, respond, response_headers, send,
    ORIGIN_REQUEST_HEADERS,
};
use super::store::load;
use super::{identify, now_ms, Failure, Outcome, IDENTITY_HEADER, REPORT_HEADER};

/// Conditional and partial-content request headers, not sent for an identified page request: the
/// origin must answer with the whole page for it to be personalized (the browser's cached copy is
/// the unpersonalized one, or none: personal pages are `no-store`).
const CONDITIONAL: &[&str] = &["if-modified-since", "if-none-match", "if-range", "range"];

/// What the origin is sent: the allowed headers of the visitor's request, its address as one
/// `x-forwarded-for` (from `cf-connecting-ip`, which Cloudflare's edge sets; whatever the visitor
/// sent as `x-forwarded-for` is not passed on), and the scheme and host it asked for.
fn origin_headers(
    req: &Request,
    url: &Url,
    identified: bool,
    cfg: &Config,
) -> Result<Headers, Failure> {
    let from = req.headers();
    let headers = allowed_request_headers(from, ORIGIN_REQUEST_HEADERS, &cfg.origin_forward)?;
    headers.delete(IDENTITY_HEADER)?;
    let wants_html = from
        .get("accept")
        .ok()
        .flatten()
        .is_some_and(|a| a.to_ascii_lowercase().contains("text/html"));
    if identified && wants_html {
        for h in CONDITIONAL {
            headers.delete(h)?;
        }
    }
    match from.get("cf-connecting-ip").ok().flatten() {
        Some(ip) => headers.set("x-forwarded-for", ip.trim())?,
        None => headers.delete("x-forwarded-for")?,
    }
    headers.set("x-forwarded-proto", url.scheme())?;
    if let Some(host) = url.host_str() {
        let host = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        headers.set("x-forwarded-host", &host)?;
    }
    Ok(headers)
}

/// A promise and the function that resolves it.
fn deferred() -> (js_sys::Promise, js_sys::Function) {
    let mut resolve = None;
    let promise = js_sys::Promise::new(&mut |res, _rej| resolve = Some(res));
    let resolve = resolve.unwrap_or_else(|| js_sys::Function::new_no_args(""));
    (promise, resolve)
}

/// A random nonce for the rewriter's markers.
fn nonce() -> u64 {
    let half = |r: f64| (r * f64::from(u32::MAX)) as u64;
    (half(js_sys::Math::random()) << 32) | half(js_sys::Math::random())
}

/// Any other path: relayed to `ORIGIN_URL` (404 without one), its HTML personalized for a verified
/// caller with a snapshot.
pub(super) async fn origin_route(req: Request, env: &Env, ctx: &Context, cfg: &Config) -> Outcome {
    let origin = cfg.origin.as_deref().ok_or(Failure::NotFound)?;
    let now = now_ms();
    let user = identify(&req, cfg, now, false);
    let url = req.url()?;
    let target = join_url(origin, url.path(), url.query());
    let method = req.method();
    let mut init = RequestInit::new();
    init.with_method(method.clone())
        .with_headers(origin_headers(&req, &url, user.is_some(), cfg)?)
        .with_redirect(RequestRedirect::Manual);
    if !matches!(method, Method::Get | Method::Head) {
        init.with_body(req.inner().body().map(Into::into));
    }
    let upstream = send(&target, &init, cfg.origin_deadlines, "origin").await?;
    let status = upstream.response.status_code();
    let header = |name: &str| upstream.response.headers().get(name).ok().flatten();
    let content_type = header("content-type");
    let deflate = is_deflate(header("content-encoding").as_deref());
    let rewritable = is_html(content_type.as_deref())
        && (decoded_by_runtime(header("content-encoding").as_deref()) || deflate)
        && status != 206
        && method != Method::Head;
    let encoding = content_type
        .as_deref()
        .filter(|_| rewritable)
        .and_then(html_encoding);
    let personalizer = match (&user, encoding) {
        (Some(u), Some(_)) => load(u, env, ctx, cfg, now).await,
        _ => None,
    };
    let (raw, body) = upstream.into_parts(false);
    let (Some(p), Some((encoding, charset_from_meta))) = (personalizer, encoding) else {
        let headers = response_headers(&Headers(raw.headers()), false, &[])?;
        return respond(status, headers, body);
    };
    let settings = HtmlSettings {
        max_group_bytes: cfg.html_max_group_bytes,
        encoding,
        charset_from_meta,
    };
    let rewriter = Rc::new(RefCell::new(SlotRewriter::new(p, now, &settings, nonce())));
    let tail_rewriter = rewriter.clone();
    // The audit of the fill is recorded once the page has streamed to its end (a visitor who
    // leaves first leaves no record).
    let (done, signal_done) = deferred();
    let audit_rewriter = rewriter.clone();
    if let Some(user) = user.clone() {
        let (env2, cfg_audit) = (env.clone(), cfg.state.audit);
        ctx.wait_until(async move {
            if worker::wasm_bindgen_futures::JsFuture::from(done)
                .await
                .is_ok()
            {
                let filled = audit_rewriter.borrow().filled();
                if !filled.is_empty() && cfg_audit.enabled {
                    audit::record_now(&env2, &user, "page", &filled, 0).await;
                }
            }
        });
    }
    let body: std::pin::Pin<Box<dyn Stream<Item = Result<Vec<u8>, worker::Error>>>> = if deflate {
        Box::pin(inflated(body))
    } else {
        Box::pin(body)
    };
    let body = body
        .map(move |chunk| {
            let chunk = chunk?;
            rewriter
                .borrow_mut()
                .push(&chunk)
                .map_err(|_| worker::Error::RustError("rewrite".into()))
        })
        .chain(stream::once(async move {
            let tail = tail_rewriter
                .borrow_mut()
                .finish()
                .map_err(|_| worker::Error::RustError("rewrite".into()));
            let _ = signal_done.call0(&wasm_bindgen::JsValue::NULL);
            tail
        }))
        .filter(|r| {
            let keep = !matches!(r, Ok(v) if v.is_empty());
            async move { keep }
        });
    let headers = response_headers(
        &Headers(raw.headers()),
        true,
        &[(REPORT_HEADER, "html".to_string())],
    )?;
    if deflate {
        // The body relayed is the decoded one.
        headers.delete("content-encoding")?;
    }
    respond(status, headers, body)
}
