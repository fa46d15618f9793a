//! `/inspect`: the inspector (`www/inspect.html`) for operators, on the Worker's own server-policy
//! snapshots, with a person picker and their audit. Only for `ADMIN_SECRET`: every path under
//! `/inspect` — the page, its script and style, and the API — first checks
//! `Authorization: Bearer <ADMIN_SECRET>`, or HTTP Basic with it as the password (what a browser
//! sends after its login prompt: the page answers `401` with a Basic challenge), compared in
//! constant time. The API also needs an `x-edge-persona-inspect` header, which a page of another
//! site cannot send without a preflight the Worker never grants, so a browser that remembers the
//! password cannot be made to read the API from elsewhere.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /inspect/` | the page (the static files are compiled in; `/inspect` redirects here) |
//! | `GET /inspect/api/people[?cursor=]` | user ids with a server snapshot in KV (`snap:v1:`), 100 at a time (a person whose snapshot expired from KV is not listed, but can be named) |
//! | `GET /inspect/api/overview?user=` | counts, events per week, bytes by section, what was withheld |
//! | `POST /inspect/api/inspect?user=` | the answer to an inspection request ([`crate::inspect`]) |
//! | `GET /inspect/api/audit?user=[&limit=]` | what the person's recent prompts were told |
//!
//! Every answer is `no-store` and carries a strict Content-Security-Policy (no inline script or
//! style, nothing from elsewhere, no framing, Trusted Types): the page only ever puts profile
//! values into text nodes, and the API answers JSON (`nosniff`), never HTML. Nothing here writes:
//! an inspection is not a prompt, so it leaves no audit record.

use serde_json::json;
use worker::{Context, Env, Headers, Method, Request, Response};

use crate::inspect::{inspect, overview, InspectRequest};
use crate::snapshot::kv;

use super::admin::same_secret;
use super::config::Config;
use super::store::{load_why, Missing};
use super::{failure_response, now_ms, person_client, read_body, Failure, Outcome, MAX_JSON_BODY};

/// The page's path (without the trailing slash, which redirects to it with one).
pub(super) const PREFIX: &str = "/inspect";

const PAGE: &str = include_str!("../../../www/inspect.html");
const SCRIPT: &str = include_str!("../../../www/inspect.js");
const STYLE: &str = include_str!("../../../www/inspect.css");
/// The npm package's DOM module, which the page runs on a pasted page (its source is the build's).
const DOM: &str = include_str!("../../../npm/src/dom.js");

/// The budget field as authored, and as served: the deployment's `CONTEXT_BUDGET_TOKENS`, so that
/// the block shown is the one its prompts get.
const BUDGET_FIELD: &str = r#"id="budget" type="number" min="0" max="100000" value="200""#;

/// The page's engine marker: `file` in `www/`, `worker` as served here.
const FILE_MODE: &str = r#"<meta name="edge-persona-inspect" content="file">"#;
const WORKER_MODE: &str = r#"<meta name="edge-persona-inspect" content="worker">"#;

/// Nothing inline, nothing from elsewhere, no framing, no HTML sinks but the one policy the page
/// parses pasted pages with (into an inert document).
pub(super) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types edge-persona-inspect-page";

/// The header the API needs (see the module docs).
const API_HEADER: &str = "x-edge-persona-inspect";
/// User ids listed per page of the person picker.
const PEOPLE_PER_PAGE: u64 = 100;

/// The secret a request offers: a Bearer token, or a Basic password.
fn offered_secret(req: &Request) -> Option<String> {
    let auth = req.headers().get("authorization").ok().flatten()?;
    if let Some(token) = auth.strip_prefix("Bearer ") {
        return Some(token.trim().to_string());
    }
    let encoded = auth.strip_prefix("Basic ")?.trim();
    let decoded = String::from_utf8(crate::base64::standard_decode(encoded)?).ok()?;
    decoded
        .split_once(':')
        .map(|(_, password)| password.to_string())
}

/// Whether the request carries the admin secret.
fn authorized(req: &Request, secret: &str) -> bool {
    offered_secret(req).is_some_and(|given| same_secret(&given, secret))
}

/// Adds the headers every answer under `/inspect` carries.
fn secure(headers: &Headers) {
    for (name, value) in [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("cache-control", "no-store"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
    ] {
        let _ = headers.set(name, value);
    }
}

/// Every path under [`PREFIX`].
pub(super) async fn inspect_route(
    req: Request,
    path: &str,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
) -> Outcome {
    let mut resp = match route(req, path, env, ctx, cfg).await {
        Ok(resp) => resp,
        Err(f) => {
            let challenge =
                matches!(f, Failure::Unauthorized) && !path.starts_with("/inspect/api/");
            let resp = failure_response(&f);
            if challenge {
                // A browser asks for the password (any user name, the admin secret).
                let _ = resp.headers().set(
                    "www-authenticate",
                    "Basic realm=\"edge-persona inspector\", charset=\"UTF-8\"",
                );
            }
            resp
        }
    };
    secure(resp.headers_mut());
    Ok(resp)
}

async fn route(req: Request, path: &str, env: &Env, ctx: &Context, cfg: &Config) -> Outcome {
    let secret = cfg
        .admin_secret
        .as_deref()
        .ok_or(Failure::NotConfigured("ADMIN_SECRET is not configured"))?;
    if !authorized(&req, secret) {
        return Err(Failure::Unauthorized);
    }
    let method = req.method();
    let rest = path.strip_prefix(PREFIX).unwrap_or("");
    if let Some(api) = rest.strip_prefix("/api/") {
        if req.headers().get(API_HEADER).ok().flatten().is_none() {
            return Err(Failure::BadRequest(
                "the inspector's API needs its x-edge-persona-inspect header",
            ));
        }
        return api_route(req, api, env, ctx, cfg).await;
    }
    if method != Method::Get {
        return Err(Failure::MethodNotAllowed);
    }
    let (body, kind) = match rest {
        "" => {
            let mut resp = Response::empty()?.with_status(308);
            resp.headers_mut().set("location", "/inspect/")?;
            return Ok(resp);
        }
        "/" | "/index.html" => (worker_page(cfg.budget_tokens), "text/html; charset=utf-8"),
        "/inspect.js" => (SCRIPT.to_string(), "text/javascript; charset=utf-8"),
        "/dom.js" => (DOM.to_string(), "text/javascript; charset=utf-8"),
        "/inspect.css" => (STYLE.to_string(), "text/css; charset=utf-8"),
        _ => return Err(Failure::NotFound),
    };
    let mut resp = Response::ok(body)?;
    resp.headers_mut().set("content-type", kind)?;
    Ok(resp)
}

/// The page as the Worker serves it: in its mode, with the deployment's budget.
fn worker_page(budget_tokens: usize) -> String {
    PAGE.replacen(FILE_MODE, WORKER_MODE, 1).replacen(
        BUDGET_FIELD,
        &BUDGET_FIELD.replace("value=\"200\"", &format!("value=\"{budget_tokens}\"")),
        1,
    )
}

/// The query's `user`, checked like a token's subject.
fn user_of(pairs: &[(String, String)]) -> Result<String, Failure> {
    pairs
        .iter()
        .find(|(k, _)| k == "user")
        .map(|(_, v)| v.clone())
        .filter(|u| !u.is_empty() && u.len() <= crate::identity::MAX_USER_ID_BYTES)
        .ok_or(Failure::BadRequest("expected user=<id>"))
}

fn json_response(body: &serde_json::Value) -> Outcome {
    json_text(body.to_string())
}

/// JSON text with `<`, `>` and `&` written as `\u003c`, `\u003e` and `\u0026`: the same JSON,
/// but no profile value's markup appears in the bytes, whatever reads them as what. (Outside
/// strings JSON has none of the three, so every one replaced is inside a string.)
fn markup_free(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
    out
}

/// A JSON text answer (the core's own serialization, as the browser's wasm answers it).
fn json_text(text: String) -> Outcome {
    let mut resp = Response::ok(markup_free(&text))?;
    resp.headers_mut()
        .set("content-type", "application/json; charset=utf-8")?;
    Ok(resp)
}

async fn api_route(mut req: Request, api: &str, env: &Env, ctx: &Context, cfg: &Config) -> Outcome {
    let pairs: Vec<(String, String)> = req
        .url()?
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let now = now_ms();
    match (api, req.method()) {
        ("people", Method::Get) => people(env, &pairs).await,
        ("audit", Method::Get) => {
            let user = user_of(&pairs)?;
            let limit = pairs
                .iter()
                .find(|(k, _)| k == "limit")
                .map_or(Ok(50), |(_, v)| v.parse::<usize>())
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or(Failure::BadRequest("limit must be 1..=1000"))?;
            let body = person_client::audit(env, &user, &format!("&limit={limit}")).await?;
            let records = body.get("records").cloned().unwrap_or(json!([]));
            json_response(&json!({"user": user, "records": records}))
        }
        ("overview", Method::Get) => {
            let user = user_of(&pairs)?;
            let p = load_why(&user, env, ctx, cfg, now).await.map_err(missing)?;
            json_text(
                serde_json::to_string(&overview(p.snapshot())).map_err(|_| Failure::Internal)?,
            )
        }
        ("inspect", Method::Post) => {
            let user = user_of(&pairs)?;
            let body = read_body(&mut req, MAX_JSON_BODY).await?;
            let text = std::str::from_utf8(&body)
                .map_err(|_| Failure::BadRequest("expected UTF-8 JSON"))?;
            let request = InspectRequest::from_json(text, now)
                .map_err(|e| Failure::BadSetting(e.to_string()))?;
            let p = load_why(&user, env, ctx, cfg, now).await.map_err(missing)?;
            json_text(
                serde_json::to_string(&inspect(p.snapshot(), &request))
                    .map_err(|_| Failure::Internal)?,
            )
        }
        ("people" | "audit" | "overview" | "inspect", _) => Err(Failure::MethodNotAllowed),
        _ => Err(Failure::NotFound),
    }
}

/// Why there is nothing to inspect for a person: none (404), or no consent (409).
fn missing(m: Missing) -> Failure {
    match m {
        Missing::NoProfile => Failure::NotFound,
        Missing::NoConsent(_) => Failure::Conflict(
            "the person has not granted the consent personalization needs: no snapshot",
        ),
    }
}

/// User ids with a server snapshot in KV, a page at a time.
async fn people(env: &Env, pairs: &[(String, String)]) -> Outcome {
    let prefix = kv::snapshot_key("");
    let store = env.kv("PROFILES")?;
    let mut list = store.list().prefix(prefix.clone()).limit(PEOPLE_PER_PAGE);
    if let Some((_, c)) = pairs.iter().find(|(k, _)| k == "cursor") {
        list = list.cursor(c.clone());
    }
    let page = list.execute().await.map_err(|e| {
        worker::console_error!("edge-persona: KV list: {e}");
        Failure::Internal
    })?;
    let people: Vec<&str> = page
        .keys
        .iter()
        .filter_map(|k| k.name.strip_prefix(prefix.as_str()))
        .collect();
    let cursor = if page.list_complete {
        None
    } else {
        page.cursor
    };
    json_response(&json!({"people": people, "cursor": cursor}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_served_in_worker_mode() {
        assert_eq!(
            PAGE.matches(FILE_MODE).count(),
            1,
            "the marker the Worker replaces"
        );
        assert_eq!(PAGE.matches(BUDGET_FIELD).count(), 1, "the budget field");
        let page = worker_page(350);
        assert!(page.contains(WORKER_MODE) && !page.contains(FILE_MODE));
        assert!(page.contains(r#"id="budget" type="number" min="0" max="100000" value="350""#));
        // The page loads only its own files, which the route serves.
        for file in ["inspect.js", "inspect.css"] {
            assert!(PAGE.contains(&format!("\"{file}\"")), "{file}");
        }
        assert!(SCRIPT.contains("import('./dom.js')"));
        assert!(
            !PAGE.contains("style=") && !PAGE.contains("<script>"),
            "nothing inline"
        );
        assert!(!SCRIPT.contains("innerHTML") && !SCRIPT.contains("insertAdjacentHTML"));
    }

    #[test]
    fn json_answers_carry_no_markup_and_mean_the_same() {
        let value = json!({"v": "<img src=x onerror=\"a()\"> & </script>", "n": 1});
        let text = markup_free(&value.to_string());
        assert!(!text.contains(['<', '>', '&']), "{text}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).ok(),
            Some(value)
        );
    }

    #[test]
    fn the_policy_is_strict() {
        for part in [
            "default-src 'none'",
            "script-src 'self';",
            "frame-ancestors 'none'",
            "require-trusted-types-for 'script'",
        ] {
            assert!(CSP.contains(part), "{part}");
        }
        assert!(
            !CSP.contains("unsafe"),
            "no unsafe-inline, unsafe-eval, wasm-unsafe-eval"
        );
    }
}
