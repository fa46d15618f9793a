//! `POST /v1/context`: the caller's ranked items and context block as JSON, for an app that builds
//! its own prompt; the query is a text or a conversation's user turns.

use serde_json::{json, Value as Json};
use worker::{Context, Env, Request, Response};

use crate::rank::RankSettings;
use crate::render::ContextFormat;

use super::config::Config;
use super::store::load;
use super::{identify, now_ms, read_body, Failure, Outcome, MAX_JSON_BODY};

/// A non-negative integer member, if present; anything else there is a 400.
fn count(args: &Json, key: &'static str) -> Result<Option<usize>, Failure> {
    match args.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .map(Some)
            .ok_or(Failure::BadRequest(
                "limit and budget_tokens must be non-negative integers",
            )),
    }
}

const QUERY_SHAPE: &str =
    "expected a JSON object {\"query\": \"...\"} or {\"query\": [\"earlier turn\", ..., \"last turn\"]}";

/// `query`: one text, or a conversation's user turns, oldest first (the last weighs most).
fn query_turns(args: &Json) -> Result<Vec<&str>, Failure> {
    match args.get("query") {
        Some(Json::String(s)) => Ok(vec![s.as_str()]),
        Some(Json::Array(turns)) => turns
            .iter()
            .map(|t| t.as_str().ok_or(Failure::BadRequest(QUERY_SHAPE)))
            .collect(),
        _ => Err(Failure::BadRequest(QUERY_SHAPE)),
    }
}

fn no_store(resp: &mut Response) {
    let h = resp.headers_mut();
    let _ = h.set("cache-control", "private, no-store");
}

/// `POST /v1/context`: ranked items and the context block for the caller's own profile (an
/// unpersonalized, empty answer without a verified identity or a snapshot).
pub(super) async fn context_route(
    mut req: Request,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
) -> Outcome {
    let now = now_ms();
    let user = identify(&req, cfg, now, false);
    let body = read_body(&mut req, MAX_JSON_BODY).await?;
    let args: Json = serde_json::from_slice(&body).map_err(|_| Failure::BadRequest(QUERY_SHAPE))?;
    let turns = query_turns(&args)?;
    let mut rank = RankSettings::default();
    if let Some(limit) = count(&args, "limit")? {
        rank.limit = limit;
    }
    let mut render = cfg.render_settings().into_inner();
    if let Some(b) = count(&args, "budget_tokens")? {
        render.budget_tokens = b;
    }
    if args.get("format").and_then(Json::as_str) == Some("json") {
        render.format = ContextFormat::Json;
    }
    // The core's bounds, shared with the npm package.
    let (rank, render) = rank
        .checked()
        .and_then(|rank| Ok((rank, render.checked()?)))
        .map_err(|e| Failure::BadSetting(e.to_string()))?;
    let personalizer = match &user {
        Some(u) => load(u, env, ctx, cfg, now).await,
        None => None,
    };
    let body = match &personalizer {
        Some(p) => {
            let (items, context) = p.ranked_context(&turns, now, &rank, &render);
            let items: Vec<Json> = items
                .iter()
                .map(|i| json!({"id": i.id, "kind": i.kind, "score": i.score}))
                .collect();
            json!({"personalized": true, "items": items, "context": context})
        }
        None => json!({
            "personalized": false, "items": [],
            "context": {"text": "", "items": [], "estimated_tokens": 0, "omitted": 0}
        }),
    };
    let mut resp = Response::from_json(&body)?;
    no_store(&mut resp);
    Ok(resp)
}
