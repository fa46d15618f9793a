//! Who an `Authorization: Bearer <token>` names, on the routes agents and people call with a
//! token (`/mcp`, `/v1/audit`): a first-party token signed with `IDENTITY_SECRET` (HS256 JWT or
//! the cookie format, [`crate::identity`]), or an access token of the identity provider
//! (`OIDC_ISSUER`, RS256/ES256, [`super::jwks`]). The header's `alg` only chooses which of the two
//! checks a token gets; an HMAC token is never checked with a public key nor the other way round.

use worker::Request;

use crate::errors::JwtError;
use crate::identity;
use crate::jwt;

use super::config::Config;
use super::jwks::{self, TokenRefused};

/// Why no person was identified.
#[derive(Debug)]
pub(super) enum Refusal {
    /// No `Authorization: Bearer` header.
    Missing,
    /// A token that does not verify (logged with the reason).
    Invalid,
    /// An identity provider's token without the scopes `MCP_SCOPES` requires.
    InsufficientScope,
}

/// The bearer token of a request, if any.
pub(super) fn bearer_token(req: &Request) -> Option<String> {
    let auth = req.headers().get("authorization").ok().flatten()?;
    let (scheme, token) = auth.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// The verified user id of the request's bearer token.
pub(super) async fn bearer_user(req: &Request, cfg: &Config, now: i64) -> Result<String, Refusal> {
    let token = bearer_token(req).ok_or(Refusal::Missing)?;
    let alg = jwt::header_alg(&token);
    if let (Some("RS256" | "ES256"), Some(issuer)) = (alg.as_deref(), &cfg.issuer) {
        let Some(audience) = issuer.audience.clone().or_else(|| cfg.public("/mcp")) else {
            worker::console_error!("edge-persona: OIDC_ISSUER needs OIDC_AUDIENCE or PUBLIC_URL");
            return Err(Refusal::Invalid);
        };
        return match jwks::verify(issuer, &audience, &cfg.mcp_scopes, &token, now).await {
            Ok(user) => Ok(user),
            Err(TokenRefused::Token(JwtError::InsufficientScope)) => {
                Err(Refusal::InsufficientScope)
            }
            Err(TokenRefused::Token(e)) => {
                worker::console_log!("edge-persona: access token refused: {e}");
                Err(Refusal::Invalid)
            }
            Err(TokenRefused::Keys) => Err(Refusal::Invalid),
        };
    }
    let secret = cfg.identity_secret.as_deref().ok_or(Refusal::Invalid)?;
    identity::verify(secret.as_bytes(), &token, now)
        .map(|id| id.user_id)
        .map_err(|_| Refusal::Invalid)
}
