//! The LLM routes: the caller's context goes into the chat request, which is forwarded with the
//! caller's own key to `LLM_UPSTREAM_URL` (only the headers of [`LLM_REQUEST_HEADERS`]); the answer
//! streams back as it comes, with `x-edge-persona`, never cacheable by a shared cache, under the
//! `LLM_*_TIMEOUT_MS` deadlines.

use serde_json::Value as Json;
use worker::{Context, Env, Method, Request, RequestInit, RequestRedirect};

use crate::inject::Api;
use crate::settings::Checked;

use super::audit;
use super::config::Config;
use super::proxy::{
    allowed_request_headers, join_url, respond, response_headers, send, LLM_REQUEST_HEADERS,
};
use super::store::load;
use super::{identify, now_ms, read_body, Failure, Outcome, MAX_JSON_BODY, REPORT_HEADER};

/// `POST /v1/chat/completions`, `/v1/responses`, `/v1/messages`: the caller's context injected into
/// the body (when there is one to inject), forwarded to `LLM_UPSTREAM_URL`, the answer relayed back.
pub(super) async fn llm_route(
    mut req: Request,
    path: &str,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
) -> Outcome {
    let upstream_base = cfg
        .llm_upstream
        .as_deref()
        .ok_or(Failure::NotConfigured("LLM_UPSTREAM_URL is not configured"))?;
    let now = now_ms();
    let user = identify(&req, cfg, now, true);
    let body = read_body(&mut req, MAX_JSON_BODY).await?;
    let mut report = "items=0; tokens=0".to_string();
    let mut forward_body: Option<Vec<u8>> = None;
    if let Some(user) = &user {
        if let Some(p) = load(user, env, ctx, cfg, now).await {
            if let Ok(json) = serde_json::from_slice::<Json>(&body) {
                match p.personalize_request(
                    json,
                    Api::from_path(path),
                    None,
                    now,
                    &Checked::default(),
                    &cfg.render_settings(),
                ) {
                    Ok(out) if !out.context.items.is_empty() => {
                        audit::record(
                            env,
                            ctx,
                            cfg,
                            user,
                            "chat",
                            &out.context.items,
                            out.context.estimated_tokens,
                        );
                        report = format!(
                            "items={}; tokens={}",
                            out.context.items.len(),
                            out.context.estimated_tokens
                        );
                        forward_body = serde_json::to_vec(&out.body).ok();
                    }
                    Ok(_) => {}
                    Err(e) => worker::console_warn!("edge-persona: not personalized: {e}"),
                }
            }
        }
    }
    let url = req.url()?;
    let target = join_url(upstream_base, path, url.query());
    let headers = allowed_request_headers(req.headers(), LLM_REQUEST_HEADERS, &[])?;
    let payload = forward_body.unwrap_or(body);
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(js_sys::Uint8Array::from(payload.as_slice()).into()));
    let upstream = send(&target, &init, cfg.llm_deadlines, "LLM upstream").await?;
    let sse = upstream
        .response
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("text/event-stream")
        });
    let (raw, body) = upstream.into_parts(sse);
    // Every answer is personal: it answers this caller's request, with their key.
    let headers = response_headers(
        &worker::Headers(raw.headers()),
        true,
        &[(REPORT_HEADER, report)],
    )?;
    respond(raw.status(), headers, body)
}
