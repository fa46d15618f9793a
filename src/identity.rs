//! Signed identity tokens: who a request is about, proven by a secret only the deployment holds.
//!
//! Two formats carry the same claim (a user id and an expiry), both signed with HMAC-SHA256 and
//! verified in constant time ([`hmac::Mac::verify_slice`]):
//!
//! * **JWT (HS256)**: `base64url(header).base64url(payload).base64url(signature)`, the payload
//!   `{"sub": "<user id>", "iat": <s>, "exp": <s>}`. The header must say `"alg": "HS256"`; `none` and
//!   every other algorithm are rejected before any signature is looked at.
//! * **Cookie value**: `v1.<base64url(user id)>.<exp seconds>.<base64url(signature)>`, the signature
//!   over `edge-persona-cookie|v1.<base64url(user id)>.<exp>` (a distinct prefix, so a cookie
//!   signature can never be replayed as a JWT signature or the other way round).
//!
//! There is no clock here: `now_ms` is an argument (the Worker passes `Date.now()`). A token is valid
//! while `now < exp`.

use std::fmt;

use hmac::{Hmac, Mac};
use serde_json::{json, Value as Json};
use sha2::Sha256;

use crate::base64;

type HmacSha256 = Hmac<Sha256>;

/// The cookie name the Worker reads (`Cookie: ep_id=<cookie value>`).
pub const COOKIE_NAME: &str = "ep_id";
/// Longest accepted user id, in bytes.
pub const MAX_USER_ID_BYTES: usize = 256;
/// Longest accepted token, in bytes (anything longer is malformed without further work).
pub const MAX_TOKEN_BYTES: usize = 4096;
/// Shortest accepted secret, in bytes.
pub const MIN_SECRET_BYTES: usize = 16;

const COOKIE_VERSION: &str = "v1";
const COOKIE_DOMAIN: &[u8] = b"edge-persona-cookie|";

/// A verified identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The user id (the Segment `user_id`, the `<user_id>` of KV key `snap:v1:<user_id>`).
    pub user_id: String,
    /// Expiry, seconds since the Unix epoch.
    pub expires_at: i64,
}

/// Which token format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenFormat {
    /// An HS256 JSON Web Token (`Authorization: Bearer`, `x-edge-persona-identity`).
    Jwt,
    /// A signed cookie value (`ep_id`).
    Cookie,
}

/// Why a token was not accepted (or could not be minted).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdentityError {
    /// The secret is shorter than [`MIN_SECRET_BYTES`].
    WeakSecret,
    /// The user id is empty, too long, or holds control characters.
    InvalidUserId,
    /// The token does not have the format's shape (parts, base64url, JSON, claim types).
    Malformed,
    /// A JWT whose header names an algorithm other than HS256 (including `none`).
    UnsupportedAlgorithm,
    /// The signature does not match.
    BadSignature,
    /// The token expired (`now >= exp`).
    Expired,
}

impl fmt::Display for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::WeakSecret => "identity secret too short (16 bytes at least)",
            Self::InvalidUserId => "user id empty, too long or with control characters",
            Self::Malformed => "identity token malformed",
            Self::UnsupportedAlgorithm => "identity token algorithm not HS256",
            Self::BadSignature => "identity token signature does not match",
            Self::Expired => "identity token expired",
        })
    }
}

impl std::error::Error for IdentityError {}

fn mac(secret: &[u8]) -> Result<HmacSha256, IdentityError> {
    if secret.len() < MIN_SECRET_BYTES {
        return Err(IdentityError::WeakSecret);
    }
    HmacSha256::new_from_slice(secret).map_err(|_| IdentityError::WeakSecret)
}

/// Whether a user id is acceptable: not empty, at most [`MAX_USER_ID_BYTES`], no control characters.
pub(crate) fn check_user_id(user_id: &str) -> Result<(), IdentityError> {
    let ok = !user_id.is_empty()
        && user_id.len() <= MAX_USER_ID_BYTES
        && !user_id.chars().any(char::is_control);
    ok.then_some(()).ok_or(IdentityError::InvalidUserId)
}

fn expiry(now_ms: i64, ttl_seconds: u64) -> i64 {
    let ttl = i64::try_from(ttl_seconds).unwrap_or(i64::MAX);
    now_ms.div_euclid(1000).saturating_add(ttl)
}

fn check_expiry(exp: i64, now_ms: i64) -> Result<(), IdentityError> {
    // Valid while now < exp, compared in milliseconds so a token dies at its second exactly.
    if now_ms < exp.saturating_mul(1000) {
        Ok(())
    } else {
        Err(IdentityError::Expired)
    }
}

/// Mints an HS256 JWT for `user_id`, valid for `ttl_seconds` from `now_ms`.
pub fn mint_jwt(
    secret: &[u8],
    user_id: &str,
    now_ms: i64,
    ttl_seconds: u64,
) -> Result<String, IdentityError> {
    check_user_id(user_id)?;
    let mut mac = mac(secret)?;
    let header = base64::url_encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims =
        json!({"sub": user_id, "iat": now_ms.div_euclid(1000), "exp": expiry(now_ms, ttl_seconds)});
    let payload = base64::url_encode(claims.to_string().as_bytes());
    let signing_input = format!("{header}.{payload}");
    mac.update(signing_input.as_bytes());
    let sig = base64::url_encode(&mac.finalize().into_bytes());
    Ok(format!("{signing_input}.{sig}"))
}

/// Verifies an HS256 JWT: shape, algorithm, signature (constant time), then `sub` and `exp`
/// (`nbf`, when present, must not be in the future).
pub fn verify_jwt(secret: &[u8], token: &str, now_ms: i64) -> Result<Identity, IdentityError> {
    let mut mac = mac(secret)?;
    if token.len() > MAX_TOKEN_BYTES {
        return Err(IdentityError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(IdentityError::Malformed);
    };
    let header: Json =
        serde_json::from_slice(&base64::url_decode(h).ok_or(IdentityError::Malformed)?)
            .map_err(|_| IdentityError::Malformed)?;
    match header.get("alg").and_then(Json::as_str) {
        Some("HS256") => {}
        Some(_) => return Err(IdentityError::UnsupportedAlgorithm),
        None => return Err(IdentityError::Malformed),
    }
    let sig = base64::url_decode(s).ok_or(IdentityError::Malformed)?;
    // `h.p` is a prefix of the token: the bytes that were signed.
    let signing_input = token
        .get(..h.len() + 1 + p.len())
        .ok_or(IdentityError::Malformed)?;
    mac.update(signing_input.as_bytes());
    mac.verify_slice(&sig)
        .map_err(|_| IdentityError::BadSignature)?;
    let claims: Json =
        serde_json::from_slice(&base64::url_decode(p).ok_or(IdentityError::Malformed)?)
            .map_err(|_| IdentityError::Malformed)?;
    let user_id = claims
        .get("sub")
        .and_then(Json::as_str)
        .ok_or(IdentityError::Malformed)?;
    check_user_id(user_id).map_err(|_| IdentityError::Malformed)?;
    let exp = claims
        .get("exp")
        .and_then(Json::as_i64)
        .ok_or(IdentityError::Malformed)?;
    if let Some(nbf) = claims.get("nbf") {
        let nbf = nbf.as_i64().ok_or(IdentityError::Malformed)?;
        if now_ms < nbf.saturating_mul(1000) {
            return Err(IdentityError::Expired);
        }
    }
    check_expiry(exp, now_ms)?;
    Ok(Identity {
        user_id: user_id.to_string(),
        expires_at: exp,
    })
}

/// Mints a signed cookie value for `user_id`, valid for `ttl_seconds` from `now_ms`.
pub fn mint_cookie(
    secret: &[u8],
    user_id: &str,
    now_ms: i64,
    ttl_seconds: u64,
) -> Result<String, IdentityError> {
    check_user_id(user_id)?;
    let mut mac = mac(secret)?;
    let body = format!(
        "{COOKIE_VERSION}.{}.{}",
        base64::url_encode(user_id.as_bytes()),
        expiry(now_ms, ttl_seconds)
    );
    mac.update(COOKIE_DOMAIN);
    mac.update(body.as_bytes());
    Ok(format!(
        "{body}.{}",
        base64::url_encode(&mac.finalize().into_bytes())
    ))
}

/// Verifies a signed cookie value: shape, signature (constant time), expiry.
pub fn verify_cookie(secret: &[u8], value: &str, now_ms: i64) -> Result<Identity, IdentityError> {
    let mut mac = mac(secret)?;
    if value.len() > MAX_TOKEN_BYTES {
        return Err(IdentityError::Malformed);
    }
    let (body, sig) = value.rsplit_once('.').ok_or(IdentityError::Malformed)?;
    let mut parts = body.split('.');
    let (Some(COOKIE_VERSION), Some(user), Some(exp), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(IdentityError::Malformed);
    };
    let sig = base64::url_decode(sig).ok_or(IdentityError::Malformed)?;
    mac.update(COOKIE_DOMAIN);
    mac.update(body.as_bytes());
    mac.verify_slice(&sig)
        .map_err(|_| IdentityError::BadSignature)?;
    let user_id = String::from_utf8(base64::url_decode(user).ok_or(IdentityError::Malformed)?)
        .map_err(|_| IdentityError::Malformed)?;
    check_user_id(&user_id).map_err(|_| IdentityError::Malformed)?;
    let exp: i64 = exp.parse().map_err(|_| IdentityError::Malformed)?;
    check_expiry(exp, now_ms)?;
    Ok(Identity {
        user_id,
        expires_at: exp,
    })
}

/// Mints a token in `format`.
pub fn mint(
    format: TokenFormat,
    secret: &[u8],
    user_id: &str,
    now_ms: i64,
    ttl_seconds: u64,
) -> Result<String, IdentityError> {
    match format {
        TokenFormat::Jwt => mint_jwt(secret, user_id, now_ms, ttl_seconds),
        TokenFormat::Cookie => mint_cookie(secret, user_id, now_ms, ttl_seconds),
    }
}

/// Verifies a token of either format (a cookie value starts with `v1.`; anything else is read as a
/// JWT).
pub fn verify(secret: &[u8], token: &str, now_ms: i64) -> Result<Identity, IdentityError> {
    let token = token.trim();
    if token.starts_with("v1.") {
        verify_cookie(secret, token, now_ms)
    } else {
        verify_jwt(secret, token, now_ms)
    }
}

/// The value of cookie `name` in a `Cookie` header, if present.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k.trim() == name).then(|| v.trim().trim_matches('"'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test-secret-0123456789abcdef";
    const NOW: i64 = 1_795_000_000_000; // ms

    #[test]
    fn valid_jwt_and_cookie_verify() {
        let jwt = mint_jwt(SECRET, "jeff-lawson-1138", NOW, 3600).unwrap();
        assert!(jwt.starts_with("eyJ"));
        let id = verify(SECRET, &jwt, NOW + 1000).unwrap();
        assert_eq!(id.user_id, "jeff-lawson-1138");
        assert_eq!(id.expires_at, NOW / 1000 + 3600);
        let cookie = mint_cookie(SECRET, "maria gonzalez/77", NOW, 60).unwrap();
        assert!(cookie.starts_with("v1."));
        assert_eq!(
            verify(SECRET, &cookie, NOW).unwrap().user_id,
            "maria gonzalez/77"
        );
        assert_eq!(
            cookie_value(&format!("a=1; {COOKIE_NAME}={cookie}; b=2"), COOKIE_NAME),
            Some(cookie.as_str())
        );
    }

    #[test]
    fn expired_tokens_are_rejected() {
        let jwt = mint_jwt(SECRET, "u", NOW, 10).unwrap();
        assert_eq!(
            verify(SECRET, &jwt, NOW + 9_999).map(|i| i.user_id),
            Ok("u".into())
        );
        assert_eq!(
            verify(SECRET, &jwt, NOW + 10_000),
            Err(IdentityError::Expired)
        );
        let cookie = mint_cookie(SECRET, "u", NOW, 0).unwrap();
        assert_eq!(verify(SECRET, &cookie, NOW), Err(IdentityError::Expired));
    }

    #[test]
    fn forged_tokens_are_rejected() {
        let jwt = mint_jwt(SECRET, "jeff", NOW, 3600).unwrap();
        assert_eq!(
            verify(b"another-secret-0123456789", &jwt, NOW),
            Err(IdentityError::BadSignature)
        );
        // Swap the payload for another person's, keep the signature.
        let other = mint_jwt(SECRET, "maria", NOW, 3600).unwrap();
        let mut a: Vec<&str> = jwt.split('.').collect();
        let b: Vec<&str> = other.split('.').collect();
        a[1] = b[1];
        assert_eq!(
            verify(SECRET, &a.join("."), NOW),
            Err(IdentityError::BadSignature)
        );
        // Same for cookies: another user id under Jeff's signature.
        let cookie = mint_cookie(SECRET, "jeff", NOW, 3600).unwrap();
        let (body, sig) = cookie.rsplit_once('.').unwrap();
        let forged = format!(
            "{}.{sig}",
            body.replace(&base64::url_encode(b"jeff"), &base64::url_encode(b"maria"))
        );
        assert_eq!(
            verify(SECRET, &forged, NOW),
            Err(IdentityError::BadSignature)
        );
        // A cookie signature is not a JWT signature.
        let sig = base64::url_encode(&{
            let mut m = mac(SECRET).unwrap();
            m.update(COOKIE_DOMAIN);
            m.update(b"x");
            m.finalize().into_bytes()
        });
        assert_eq!(
            verify(SECRET, &format!("x.{sig}"), NOW),
            Err(IdentityError::Malformed)
        );
    }

    #[test]
    fn alg_none_and_other_algorithms_are_rejected() {
        let payload = base64::url_encode(br#"{"sub":"jeff","exp":99999999999}"#);
        for header in [
            r#"{"alg":"none","typ":"JWT"}"#,
            r#"{"alg":"HS512"}"#,
            r#"{"alg":"RS256"}"#,
        ] {
            let token = format!("{}.{payload}.", base64::url_encode(header.as_bytes()));
            assert_eq!(
                verify(SECRET, &token, NOW),
                Err(IdentityError::UnsupportedAlgorithm)
            );
        }
    }

    #[test]
    fn malformed_tokens_are_rejected_without_panic() {
        let long = "a".repeat(5000);
        let bad = [
            "",
            ".",
            "..",
            "...",
            "a.b.c",
            "eyJ.eyJ.x",
            "v1.",
            "v1..",
            "v1.amVmZg.notanumber.AAAA",
            "v1.amVmZg.1.2.3",
            "\u{0}\u{ffff}",
            long.as_str(),
        ];
        for t in bad {
            assert!(verify(SECRET, t, NOW).is_err(), "{t:?}");
        }
        // Valid signature but no exp claim.
        let mut m = mac(SECRET).unwrap();
        let input = format!(
            "{}.{}",
            base64::url_encode(br#"{"alg":"HS256"}"#),
            base64::url_encode(br#"{"sub":"jeff"}"#)
        );
        m.update(input.as_bytes());
        let token = format!("{input}.{}", base64::url_encode(&m.finalize().into_bytes()));
        assert_eq!(verify(SECRET, &token, NOW), Err(IdentityError::Malformed));
    }

    #[test]
    fn weak_secrets_and_bad_user_ids_are_refused() {
        assert_eq!(
            mint_jwt(b"short", "u", NOW, 1),
            Err(IdentityError::WeakSecret)
        );
        assert_eq!(
            mint_cookie(SECRET, "", NOW, 1),
            Err(IdentityError::InvalidUserId)
        );
        assert_eq!(
            mint_jwt(SECRET, "a\nb", NOW, 1),
            Err(IdentityError::InvalidUserId)
        );
        assert_eq!(verify(b"short", "x", NOW), Err(IdentityError::WeakSecret));
    }
}
