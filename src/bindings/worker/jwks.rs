//! Access tokens of the deployment's identity provider (`OIDC_ISSUER`): its JWKS fetched with a
//! deadline and kept per isolate, fetched again for a `kid` it does not hold (key rotation, at
//! most once per [`REFETCH_GAP_MS`] so random `kid`s cannot make the Worker hammer the issuer),
//! the signature checked with WebCrypto (`crypto.subtle`), everything else by the core
//! ([`crate::jwt`]).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{AbortSignal, Fetch, Headers, Method, Request, RequestInit};

use crate::errors::{JwksError, JwtError};
use crate::jwt::{self, ClaimRules, Jwks};

/// The least time between two fetches of the JWKS for an unknown `kid`.
pub(super) const REFETCH_GAP_MS: i64 = 30_000;

/// The identity provider, from `OIDC_*` settings.
#[derive(Debug, Clone)]
pub(super) struct Issuer {
    /// `OIDC_ISSUER`: `iss`, exactly.
    pub(super) issuer: String,
    /// `OIDC_JWKS_URL` (default `<issuer>/.well-known/jwks.json`).
    pub(super) jwks_url: String,
    /// `OIDC_AUDIENCE` (default `<PUBLIC_URL>/mcp`, the resource URL of RFC 8707).
    pub(super) audience: Option<String>,
    /// `OIDC_SUBJECT_CLAIM` (default `sub`): the claim that is the person's user id.
    pub(super) subject_claim: String,
    /// `OIDC_CLOCK_SKEW_SECONDS` (default 60, at most 300).
    pub(super) skew_seconds: i64,
    /// `OIDC_JWKS_CACHE_SECONDS` (default 600).
    pub(super) cache_ms: i64,
    /// `OIDC_JWKS_TIMEOUT_MS` (default 2000): the deadline of one JWKS fetch.
    pub(super) timeout_ms: u32,
}

impl Issuer {
    pub(super) fn from_env(
        var: &dyn Fn(&str) -> Option<String>,
        num: &dyn Fn(&str, u64) -> u64,
    ) -> Option<Self> {
        let issuer = var("OIDC_ISSUER")?;
        let jwks_url = var("OIDC_JWKS_URL")
            .unwrap_or_else(|| [issuer.trim_end_matches('/'), "/.well-known/jwks.json"].concat());
        Some(Self {
            issuer,
            jwks_url,
            audience: var("OIDC_AUDIENCE"),
            subject_claim: var("OIDC_SUBJECT_CLAIM").unwrap_or_else(|| "sub".into()),
            skew_seconds: i64::try_from(num("OIDC_CLOCK_SKEW_SECONDS", 60))
                .unwrap_or(60)
                .min(jwt::MAX_SKEW_SECONDS),
            cache_ms: i64::try_from(num("OIDC_JWKS_CACHE_SECONDS", 600))
                .unwrap_or(600)
                .saturating_mul(1000),
            timeout_ms: u32::try_from(num("OIDC_JWKS_TIMEOUT_MS", 2_000).clamp(1, 30_000))
                .unwrap_or(2_000),
        })
    }
}

/// This isolate's copy of the issuer's keys.
struct Cached {
    url: String,
    jwks: Rc<Jwks>,
    fetched_ms: i64,
}

thread_local! {
    static CACHE: RefCell<Option<Cached>> = const { RefCell::new(None) };
    /// When the JWKS was last fetched for an unknown `kid`.
    static KID_REFETCH: RefCell<i64> = const { RefCell::new(i64::MIN) };
    /// When a fetch last failed.
    static FAILED: RefCell<i64> = const { RefCell::new(i64::MIN) };
}

/// After a failed fetch, the least time before the next (a down issuer is not asked on every
/// request).
const FAILED_GAP_MS: i64 = 5_000;

/// Why a token was refused: its own fault, or the issuer's keys could not be had.
#[derive(Debug)]
pub(super) enum TokenRefused {
    /// The token is not acceptable.
    Token(JwtError),
    /// The JWKS could not be fetched or read (logged): nobody is identified by this issuer now.
    Keys,
}

/// The user id an identity provider's token names, once its signature and claims hold.
pub(super) async fn verify(
    issuer: &Issuer,
    audience: &str,
    required_scopes: &[String],
    token: &str,
    now_ms: i64,
) -> Result<String, TokenRefused> {
    let parsed = jwt::parse(token).map_err(TokenRefused::Token)?;
    let rules = ClaimRules {
        issuer: issuer.issuer.clone(),
        audience: audience.to_string(),
        subject_claim: issuer.subject_claim.clone(),
        skew_seconds: issuer.skew_seconds,
        required_scopes: required_scopes.to_vec(),
    };
    // The claims first: a token for another audience or expired costs no key lookup.
    let subject = jwt::check_claims(&parsed.claims, &rules, now_ms).map_err(TokenRefused::Token)?;
    let mut jwks = keys(issuer, now_ms, false).await?;
    let key = match jwks.find(parsed.kid.as_deref(), parsed.alg) {
        Some(k) => k.clone(),
        None => {
            // Rotated keys: fetch once more, unless fetched a moment ago.
            jwks = keys(issuer, now_ms, true).await?;
            jwks.find(parsed.kid.as_deref(), parsed.alg)
                .cloned()
                .ok_or(TokenRefused::Token(JwtError::UnknownKey))?
        }
    };
    let ok = webcrypto_verify(&key, &parsed).await.map_err(|e| {
        worker::console_warn!("edge-persona: WebCrypto verify: {e:?}");
        TokenRefused::Token(JwtError::BadSignature)
    })?;
    if ok {
        Ok(subject.user_id)
    } else {
        Err(TokenRefused::Token(JwtError::BadSignature))
    }
}

/// The issuer's keys: the isolate's copy while fresh, else fetched (`unknown_kid`: fetch again
/// even though the copy is fresh, at most once per [`REFETCH_GAP_MS`]); after a failed fetch, the
/// stale copy (if any) for [`FAILED_GAP_MS`].
async fn keys(issuer: &Issuer, now_ms: i64, unknown_kid: bool) -> Result<Rc<Jwks>, TokenRefused> {
    let cached = CACHE.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|c| c.url == issuer.jwks_url)
            .map(|c| (c.jwks.clone(), c.fetched_ms))
    });
    let fresh = cached
        .as_ref()
        .is_some_and(|(_, at)| now_ms.saturating_sub(*at) < issuer.cache_ms);
    if unknown_kid {
        let last = KID_REFETCH.with(|l| *l.borrow());
        if now_ms.saturating_sub(last) < REFETCH_GAP_MS {
            return Err(TokenRefused::Token(JwtError::UnknownKey));
        }
        KID_REFETCH.with(|l| *l.borrow_mut() = now_ms);
    } else if fresh {
        if let Some((jwks, _)) = cached {
            return Ok(jwks);
        }
    }
    let failed = FAILED.with(|f| *f.borrow());
    if now_ms.saturating_sub(failed) < FAILED_GAP_MS {
        return cached.map(|(j, _)| j).ok_or(TokenRefused::Keys);
    }
    match fetch_jwks(issuer).await {
        Ok(jwks) => {
            let jwks = Rc::new(jwks);
            CACHE.with(|c| {
                *c.borrow_mut() = Some(Cached {
                    url: issuer.jwks_url.clone(),
                    jwks: jwks.clone(),
                    fetched_ms: now_ms,
                })
            });
            Ok(jwks)
        }
        Err(e) => {
            worker::console_warn!("edge-persona: JWKS {}: {e}", issuer.jwks_url);
            FAILED.with(|f| *f.borrow_mut() = now_ms);
            // A stale copy beats none while the issuer is unreachable.
            cached.map(|(j, _)| j).ok_or(TokenRefused::Keys)
        }
    }
}

/// Why a JWKS fetch failed.
#[derive(Debug)]
enum FetchError {
    Http(u16),
    Network(String),
    Body(JwksError),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Http(s) => write!(f, "answered {s}"),
            Self::Network(e) => write!(f, "{e}"),
            Self::Body(e) => write!(f, "{e}"),
        }
    }
}

async fn fetch_jwks(issuer: &Issuer) -> Result<Jwks, FetchError> {
    let headers = Headers::new();
    headers
        .set("accept", "application/json")
        .map_err(|e| FetchError::Network(e.to_string()))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    let req = Request::new_with_init(&issuer.jwks_url, &init)
        .map_err(|e| FetchError::Network(e.to_string()))?;
    let signal = AbortSignal::from(worker::web_sys::AbortSignal::timeout_with_u32(
        issuer.timeout_ms,
    ));
    let mut resp = Fetch::Request(req)
        .send_with_signal(&signal)
        .await
        .map_err(|e| FetchError::Network(e.to_string()))?;
    if resp.status_code() != 200 {
        return Err(FetchError::Http(resp.status_code()));
    }
    if let Ok(Some(len)) = resp.headers().get("content-length") {
        if len.parse::<usize>().is_ok_and(|n| n > jwt::MAX_JWKS_BYTES) {
            return Err(FetchError::Body(JwksError::TooLarge {
                max: jwt::MAX_JWKS_BYTES,
            }));
        }
    }
    let body = resp
        .bytes()
        .await
        .map_err(|e| FetchError::Network(e.to_string()))?;
    Jwks::parse(&body).map_err(FetchError::Body)
}

fn js_json(value: &serde_json::Value) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(&value.to_string())
}

async fn call_promise(target: &JsValue, method: &str, args: &Array) -> Result<JsValue, JsValue> {
    let f: Function = Reflect::get(target, &JsValue::from_str(method))?.dyn_into()?;
    let promise: Promise = f.apply(target, args)?.dyn_into()?;
    JsFuture::from(promise).await
}

/// `crypto.subtle.importKey("jwk", …)` then `crypto.subtle.verify(…)` over the signing input.
async fn webcrypto_verify(key: &jwt::Jwk, parsed: &jwt::Parsed<'_>) -> Result<bool, JsValue> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))?;
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle"))?;
    let usages = Array::of1(&JsValue::from_str("verify"));
    let import_args = Array::of5(
        &JsValue::from_str("jwk"),
        &js_json(&key.webcrypto())?,
        &js_json(&key.alg.import_params())?,
        &JsValue::FALSE,
        &usages,
    );
    let crypto_key = call_promise(&subtle, "importKey", &import_args).await?;
    let signature = Uint8Array::from(parsed.signature.as_slice());
    let data = Uint8Array::from(parsed.signing_input.as_bytes());
    let verify_args = Array::of4(
        &js_json(&key.alg.verify_params())?,
        &crypto_key,
        &signature.into(),
        &data.into(),
    );
    Ok(call_promise(&subtle, "verify", &verify_args)
        .await?
        .as_bool()
        .unwrap_or(false))
}
