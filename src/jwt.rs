//! Access tokens from an identity provider (Auth0, Okta, Clerk, Cloudflare Access, WorkOS…): JWTs
//! signed RS256 or ES256 with a key the issuer publishes in its JSON Web Key Set. Everything but
//! the signature is checked here, without I/O or a clock: the token's shape and algorithm
//! ([`parse`]), the JWKS ([`Jwks::parse`], [`Jwks::find`]) and the claims ([`check_claims`]).
//! The signature is the binding's, through WebCrypto (`crypto.subtle.verify`), so the Worker
//! carries no big-integer code; [`Jwk::webcrypto`] gives the key in the form `importKey` takes.
//!
//! The algorithm comes from the token's header but only ever selects among RS256 and ES256 with a
//! key whose type matches: `none` and HMAC are refused here (first-party HS256 tokens are
//! [`crate::identity`]'s, verified with the deployment's secret, never with a public key).

use serde_json::{json, Map, Value as Json};

use crate::base64;
use crate::errors::{JwksError, JwtError};
use crate::identity::{check_user_id, MAX_TOKEN_BYTES};

/// Largest JWKS body read, in bytes.
pub const MAX_JWKS_BYTES: usize = 64 * 1024;
/// Most keys read from a JWKS.
pub const MAX_JWKS_KEYS: usize = 32;
/// Most skew between the issuer's clock and this one that [`check_claims`] allows, in seconds.
pub const MAX_SKEW_SECONDS: i64 = 300;

/// A signature algorithm of identity providers' access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// ECDSA on P-256 with SHA-256 (the signature is `r || s`, 64 bytes).
    Es256,
}

impl Alg {
    /// The JOSE name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
        }
    }

    /// WebCrypto's algorithm for `importKey`.
    pub fn import_params(self) -> Json {
        match self {
            Self::Rs256 => json!({"name": "RSASSA-PKCS1-v1_5", "hash": "SHA-256"}),
            Self::Es256 => json!({"name": "ECDSA", "namedCurve": "P-256"}),
        }
    }

    /// WebCrypto's algorithm for `verify`.
    pub fn verify_params(self) -> Json {
        match self {
            Self::Rs256 => json!({"name": "RSASSA-PKCS1-v1_5"}),
            Self::Es256 => json!({"name": "ECDSA", "hash": "SHA-256"}),
        }
    }
}

/// The `alg` a JWT's header names, if the token has a readable header (for choosing between
/// first-party HS256 tokens and an issuer's).
pub fn header_alg(token: &str) -> Option<String> {
    let head = token.get(..token.find('.')?)?;
    let header: Json = serde_json::from_slice(&base64::url_decode(head)?).ok()?;
    header.get("alg")?.as_str().map(str::to_string)
}

/// A token split and read, its signature not yet checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<'a> {
    /// The algorithm.
    pub alg: Alg,
    /// The key id, if the header names one.
    pub kid: Option<String>,
    /// `header.payload`: the bytes that were signed.
    pub signing_input: &'a str,
    /// The signature's bytes.
    pub signature: Vec<u8>,
    /// The claims.
    pub claims: Map<String, Json>,
}

/// Splits and reads a token: three base64url parts, a JSON header naming RS256 or ES256 (no
/// `crit`), a JSON object of claims.
pub fn parse(token: &str) -> Result<Parsed<'_>, JwtError> {
    let token = token.trim();
    if token.len() > MAX_TOKEN_BYTES {
        return Err(JwtError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let json = |part: &str| -> Result<Map<String, Json>, JwtError> {
        let bytes = base64::url_decode(part).ok_or(JwtError::Malformed)?;
        match serde_json::from_slice(&bytes) {
            Ok(Json::Object(m)) => Ok(m),
            _ => Err(JwtError::Malformed),
        }
    };
    let header = json(h)?;
    let alg = match header.get("alg").and_then(Json::as_str) {
        Some("RS256") => Alg::Rs256,
        Some("ES256") => Alg::Es256,
        Some(_) => return Err(JwtError::UnsupportedAlgorithm),
        None => return Err(JwtError::Malformed),
    };
    if header.contains_key("crit") {
        return Err(JwtError::UnsupportedAlgorithm);
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Json::String(k)) => Some(k.clone()),
        Some(_) => return Err(JwtError::Malformed),
    };
    let signature = base64::url_decode(s).ok_or(JwtError::Malformed)?;
    if alg == Alg::Es256 && signature.len() != 64 {
        return Err(JwtError::Malformed);
    }
    let signing_input = token
        .get(..h.len() + 1 + p.len())
        .ok_or(JwtError::Malformed)?;
    Ok(Parsed {
        alg,
        kid,
        signing_input,
        signature,
        claims: json(p)?,
    })
}

/// What the claims of an access token must say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRules {
    /// `iss`, exactly (the issuer URL as the provider writes it).
    pub issuer: String,
    /// A value `aud` must hold (a string, or one of an array): this server's resource URL (RFC 8707).
    pub audience: String,
    /// The claim that names the person (`sub` by default).
    pub subject_claim: String,
    /// Allowed clock skew for `exp`, `nbf` and `iat`, in seconds (at most [`MAX_SKEW_SECONDS`]).
    pub skew_seconds: i64,
    /// Scopes the token must carry (`scope`, space-separated, or `scp`, an array).
    pub required_scopes: Vec<String>,
}

/// The person a token names, once every claim holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The user id (the subject claim's value).
    pub user_id: String,
    /// `exp`, seconds since the epoch.
    pub expires_at: i64,
}

fn seconds(claims: &Map<String, Json>, name: &str) -> Result<Option<i64>, JwtError> {
    match claims.get(name) {
        None => Ok(None),
        // Integral seconds; a fractional NumericDate is allowed and floored.
        Some(v) => v
            .as_i64()
            .or_else(|| {
                v.as_f64()
                    .filter(|f| f.is_finite())
                    .map(|f| f.floor() as i64)
            })
            .map(Some)
            .ok_or(JwtError::Malformed),
    }
}

/// Checks `iss`, `aud`, `exp` (required), `nbf` and `iat` (when present) with the allowed skew,
/// the required scopes and the subject claim.
pub fn check_claims(
    claims: &Map<String, Json>,
    rules: &ClaimRules,
    now_ms: i64,
) -> Result<Subject, JwtError> {
    if claims.get("iss").and_then(Json::as_str) != Some(rules.issuer.as_str()) {
        return Err(JwtError::WrongIssuer);
    }
    let audience_ok = match claims.get("aud") {
        Some(Json::String(a)) => *a == rules.audience,
        Some(Json::Array(list)) => list.iter().any(|a| a.as_str() == Some(&rules.audience)),
        _ => false,
    };
    if !audience_ok {
        return Err(JwtError::WrongAudience);
    }
    let skew_ms = rules.skew_seconds.clamp(0, MAX_SKEW_SECONDS) * 1000;
    let exp = seconds(claims, "exp")?.ok_or(JwtError::Expired)?;
    if now_ms >= exp.saturating_mul(1000).saturating_add(skew_ms) {
        return Err(JwtError::Expired);
    }
    for name in ["nbf", "iat"] {
        if let Some(t) = seconds(claims, name)? {
            if t.saturating_mul(1000) > now_ms.saturating_add(skew_ms) {
                return Err(JwtError::NotYetValid);
            }
        }
    }
    if !rules.required_scopes.is_empty() {
        let granted: Vec<&str> = match (claims.get("scope"), claims.get("scp")) {
            (Some(Json::String(s)), _) => s.split_ascii_whitespace().collect(),
            (_, Some(Json::Array(list))) => list.iter().filter_map(Json::as_str).collect(),
            (_, Some(Json::String(s))) => s.split_ascii_whitespace().collect(),
            _ => Vec::new(),
        };
        if rules
            .required_scopes
            .iter()
            .any(|s| !granted.contains(&s.as_str()))
        {
            return Err(JwtError::InsufficientScope);
        }
    }
    let user_id = claims
        .get(&rules.subject_claim)
        .and_then(Json::as_str)
        .filter(|u| check_user_id(u).is_ok())
        .ok_or(JwtError::NoSubject)?;
    Ok(Subject {
        user_id: user_id.to_string(),
        expires_at: exp,
    })
}

/// One public signing key of an issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwk {
    /// `kid`, if the issuer names its keys.
    pub kid: Option<String>,
    /// The algorithm the key verifies.
    pub alg: Alg,
    /// The key's public members (`n`, `e` or `crv`, `x`, `y`), base64url as published.
    members: Vec<(&'static str, String)>,
}

impl Jwk {
    /// The key as a JWK for WebCrypto's `importKey("jwk", …)`.
    pub fn webcrypto(&self) -> Json {
        let mut key = Map::new();
        key.insert(
            "kty".into(),
            json!(match self.alg {
                Alg::Rs256 => "RSA",
                Alg::Es256 => "EC",
            }),
        );
        for (k, v) in &self.members {
            key.insert((*k).into(), json!(v));
        }
        key.insert("ext".into(), json!(true));
        Json::Object(key)
    }
}

/// An issuer's signing keys: the RSA and P-256 keys of a JWKS, others skipped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Jwks {
    /// The usable keys, in the order published.
    pub keys: Vec<Jwk>,
}

/// A base64url member decoding to `len` bytes (any length in `len`).
fn member(
    key: &Map<String, Json>,
    name: &str,
    len: std::ops::RangeInclusive<usize>,
) -> Option<String> {
    let text = key.get(name)?.as_str()?;
    let bytes = base64::url_decode(text)?;
    len.contains(&bytes.len()).then(|| text.to_string())
}

impl Jwks {
    /// Reads a JWKS body (`{"keys": [...]}`): RSA keys of 2048 to 8192 bits and EC P-256 keys
    /// whose `use` (when present) is `sig` and `alg` (when present) fits; others are skipped.
    pub fn parse(body: &[u8]) -> Result<Self, JwksError> {
        if body.len() > MAX_JWKS_BYTES {
            return Err(JwksError::TooLarge {
                max: MAX_JWKS_BYTES,
            });
        }
        let Ok(Json::Object(doc)) = serde_json::from_slice::<Json>(body) else {
            return Err(JwksError::Malformed);
        };
        let Some(Json::Array(list)) = doc.get("keys") else {
            return Err(JwksError::Malformed);
        };
        if list.len() > MAX_JWKS_KEYS {
            return Err(JwksError::TooManyKeys { max: MAX_JWKS_KEYS });
        }
        let keys: Vec<Jwk> = list.iter().filter_map(Self::key).collect();
        if keys.is_empty() {
            return Err(JwksError::NoUsableKey);
        }
        Ok(Self { keys })
    }

    fn key(value: &Json) -> Option<Jwk> {
        let key = value.as_object()?;
        if key.get("use").is_some_and(|u| u.as_str() != Some("sig")) {
            return None;
        }
        let kid = match key.get("kid") {
            None => None,
            Some(k) => Some(k.as_str()?.to_string()),
        };
        let alg_named = key.get("alg").map(|a| a.as_str().unwrap_or(""));
        match key.get("kty")?.as_str()? {
            "RSA" if alg_named.is_none_or(|a| a == "RS256") => Some(Jwk {
                kid,
                alg: Alg::Rs256,
                members: vec![
                    ("n", member(key, "n", 256..=1024)?),
                    ("e", member(key, "e", 1..=8)?),
                ],
            }),
            "EC" if alg_named.is_none_or(|a| a == "ES256")
                && key.get("crv").and_then(Json::as_str) == Some("P-256") =>
            {
                Some(Jwk {
                    kid,
                    alg: Alg::Es256,
                    members: vec![
                        ("crv", "P-256".to_string()),
                        ("x", member(key, "x", 32..=32)?),
                        ("y", member(key, "y", 32..=32)?),
                    ],
                })
            }
            _ => None,
        }
    }

    /// The key for a token: the one with its `kid` and algorithm; without a `kid`, the only key
    /// of that algorithm (several: none, rather than a guess).
    pub fn find(&self, kid: Option<&str>, alg: Alg) -> Option<&Jwk> {
        let mut of_alg = self.keys.iter().filter(|k| k.alg == alg);
        match kid {
            Some(kid) => of_alg.find(|k| k.kid.as_deref() == Some(kid)),
            None => {
                let first = of_alg.next()?;
                of_alg.next().is_none().then_some(first)
            }
        }
    }
}

#[cfg(test)]
mod tests;
