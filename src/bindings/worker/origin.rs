//! Every other path: a reverse proxy to `ORIGIN_URL`, where a `text/html` answer for a known person
//! has its `data-persona` slots filled by [`super::html`] while it streams.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::stream::{self, StreamExt};
use worker::{Context, Env, Headers, Method, Request, RequestInit, RequestRedirect, Response};

use super::config::Config;
use super::html::{is_html, SlotRewriter};
use super::proxy::{copy_request_headers, join_url, relay, response_headers, send};
use super::store::load;
use super::{identify, now_ms, Failure, Outcome, REPORT_HEADER};

/// Any other path: relayed to `ORIGIN_URL` (404 without one), its HTML personalized for a verified
/// caller with a snapshot.
pub(super) async fn origin_route(req: Request, env: &Env, ctx: &Context, cfg: &Config) -> Outcome {
    let origin = cfg.origin.as_deref().ok_or(Failure::NotFound)?;
    let now = now_ms();
    let user = identify(&req, cfg, now, false);
    let url = req.url()?;
    let target = join_url(origin, url.path(), url.query());
    let method = req.method();
    let headers = copy_request_headers(req.headers(), false)?;
    let mut init = RequestInit::new();
    init.with_method(method.clone())
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual);
    if !matches!(method, Method::Get | Method::Head) {
        init.with_body(req.inner().body().map(Into::into));
    }
    let mut upstream = send(&target, &init, "origin").await?;
    let html = is_html(
        upstream
            .headers()
            .get("content-type")
            .ok()
            .flatten()
            .as_deref(),
    );
    let personalizer = match (&user, html, method == Method::Head) {
        (Some(u), true, false) => load(u, env, ctx, cfg, now).await,
        _ => None,
    };
    let Some(p) = personalizer else {
        return relay(
            upstream,
            &["content-length", "content-encoding", "transfer-encoding"],
            &[],
        );
    };
    let status = upstream.status_code();
    let chunks = upstream.stream()?;
    let mut extra = vec![("cache-control", "private, no-store".to_string())];
    extra.push((REPORT_HEADER, "html".to_string()));
    let rewriter = Rc::new(RefCell::new(SlotRewriter::new(p, now)));
    let tail_rewriter = rewriter.clone();
    let body = chunks
        .map(move |chunk| {
            let chunk = chunk?;
            rewriter
                .borrow_mut()
                .push(&chunk)
                .map_err(|_| worker::Error::RustError("rewrite".into()))
        })
        .chain(stream::once(async move {
            tail_rewriter
                .borrow_mut()
                .finish()
                .map_err(|_| worker::Error::RustError("rewrite".into()))
        }))
        .filter(|r| {
            let keep = !matches!(r, Ok(v) if v.is_empty());
            async move { keep }
        });
    let raw_headers: worker::web_sys::Response = upstream.into();
    let headers = response_headers(
        &Headers(raw_headers.headers()),
        &[
            "content-length",
            "content-encoding",
            "transfer-encoding",
            "etag",
            "last-modified",
            "cache-control",
        ],
        &extra,
    )?;
    Ok(Response::from_stream(body)?
        .with_headers(headers)
        .with_status(status))
}
