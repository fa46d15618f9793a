//! The Worker's deployment settings, read once per request from `wrangler.toml` vars and secrets
//! (unset, blank or unparsable values fall back to the documented defaults).

use worker::Env;

use crate::identity;
use crate::policy::{PrivacyPolicy, Target};
use crate::render::RenderSettings;
use crate::settings::Checked;
use crate::state::{AuditSettings, ConsentSettings, StateSettings, DAY_MS};

use super::html::HtmlSettings;
use super::jwks::Issuer;
use super::profile_api::SegmentApi;
use super::proxy::Deadlines;
use super::regulations::RegulationApi;
use super::tracking::TrackingApi;

/// Deployment settings from vars and secrets.
pub(super) struct Config {
    pub(super) identity_secret: Option<String>,
    pub(super) webhook_secret: Option<String>,
    pub(super) llm_upstream: Option<String>,
    pub(super) origin: Option<String>,
    pub(super) segment: Option<SegmentApi>,
    pub(super) budget_tokens: usize,
    pub(super) allow: Vec<String>,
    pub(super) snapshot_ttl: u64,
    pub(super) cache_ms: i64,
    /// `LLM_FIRST_BYTE_TIMEOUT_MS`, `LLM_IDLE_TIMEOUT_MS`, `LLM_TOTAL_TIMEOUT_MS`.
    pub(super) llm_deadlines: Deadlines,
    /// `ORIGIN_FIRST_BYTE_TIMEOUT_MS`, `ORIGIN_IDLE_TIMEOUT_MS`, `ORIGIN_TOTAL_TIMEOUT_MS`.
    pub(super) origin_deadlines: Deadlines,
    /// `HTML_MAX_GROUP_BYTES`: the most a variants group holds back.
    pub(super) html_max_group_bytes: usize,
    /// `ORIGIN_FORWARD_HEADERS`: request headers the origin gets beyond the built-in allow-list.
    pub(super) origin_forward: Vec<String>,
    /// The bearer secret of the admin routes (`/v1/profiles/<user_id>`); unset: they answer 503.
    pub(super) admin_secret: Option<String>,
    /// Bounds, retention and fetch retries of the person's state (its Durable Object).
    pub(super) state: StateSettings,
    /// `STATE_SLICE_ROWS`: rows a person's object writes or reads per turn of the event loop
    /// when it stores or loads a whole state (a migration; a load after eviction).
    pub(super) slice_rows: usize,
    /// `SEGMENT_WRITE_KEY` (and `SEGMENT_TRACKING_URL`): memories are forwarded to Segment.
    pub(super) tracking: Option<TrackingApi>,
    /// `MCP_AUTHORIZATION_SERVER`: the authorization server `/mcp`'s protected-resource metadata
    /// names (default: `OIDC_ISSUER`).
    pub(super) mcp_authorization_server: Option<String>,
    /// `PUBLIC_URL`: the Worker's public origin (`https://persona.example.com`), the base of every
    /// URL it advertises; never taken from `Host`.
    pub(super) public_url: Option<String>,
    /// `MCP_ALLOWED_ORIGINS`: browser origins allowed to call `/mcp` (the `PUBLIC_URL`'s own origin
    /// always is); a request with any other `Origin` is 403.
    pub(super) mcp_allowed_origins: Vec<String>,
    /// `MCP_SCOPES`: scopes `/mcp` names (metadata, 401s) and requires of an identity provider's tokens.
    pub(super) mcp_scopes: Vec<String>,
    /// `OIDC_*`: the identity provider whose RS256/ES256 tokens `/mcp` and `/v1/audit` accept.
    pub(super) issuer: Option<Issuer>,
    /// `CONSENT_*`: the consent categories personalization, memory writes and forwarding need.
    pub(super) consent: ConsentSettings,
    /// `SEGMENT_PUBLIC_API_TOKEN` (and `SEGMENT_PUBLIC_API_URL`, `SEGMENT_REGULATION_TYPE`): an
    /// erasure files a deletion with Segment.
    pub(super) regulations: Option<RegulationApi>,
}

/// A var or a secret, trimmed; `None` when unset or blank.
fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .map(|v| v.to_string())
        .ok()
        .or_else(|| env.secret(name).map(|v| v.to_string()).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// A comma-separated var, its items trimmed, blanks dropped.
fn list(env: &Env, name: &str) -> Vec<String> {
    var(env, name)
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

impl Config {
    pub(super) fn from_env(env: &Env) -> Self {
        let num = |name: &str, default: u64| {
            var(env, name)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(default)
        };
        let segment = match (
            var(env, "SEGMENT_SPACE_ID"),
            var(env, "SEGMENT_ACCESS_TOKEN"),
        ) {
            (Some(space_id), Some(token)) => Some(SegmentApi {
                base: var(env, "SEGMENT_API_BASE")
                    .unwrap_or_else(|| "https://profiles.segment.com".into()),
                space_id,
                token,
                timeout_ms: u32::try_from(num("SEGMENT_TIMEOUT_MS", 2_000)).unwrap_or(2_000),
                max_pages: usize::try_from(num("SEGMENT_MAX_PAGES", 10)).unwrap_or(10),
                budget_ms: num("SEGMENT_BUDGET_MS", 3_000),
            }),
            _ => None,
        };
        // Every deadline is at least 1 ms and at most a day.
        let ms = |name: &str, default: u64| num(name, default).clamp(1, 86_400_000);
        Self {
            identity_secret: var(env, "IDENTITY_SECRET")
                .filter(|s| s.len() >= identity::MIN_SECRET_BYTES),
            webhook_secret: var(env, "SEGMENT_WEBHOOK_SECRET"),
            llm_upstream: var(env, "LLM_UPSTREAM_URL"),
            origin: var(env, "ORIGIN_URL"),
            segment,
            budget_tokens: usize::try_from(
                num("CONTEXT_BUDGET_TOKENS", 200)
                    .clamp(16, RenderSettings::MAX_BUDGET_TOKENS as u64),
            )
            .unwrap_or(200),
            allow: list(env, "POLICY_ALLOW"),
            snapshot_ttl: num("SNAPSHOT_TTL_SECONDS", 86_400).max(60),
            cache_ms: i64::try_from(num("SNAPSHOT_CACHE_SECONDS", 30))
                .unwrap_or(30)
                .saturating_mul(1000),
            llm_deadlines: Deadlines {
                first_byte_ms: ms("LLM_FIRST_BYTE_TIMEOUT_MS", 120_000),
                idle_ms: ms("LLM_IDLE_TIMEOUT_MS", 60_000),
                total_ms: ms("LLM_TOTAL_TIMEOUT_MS", 600_000),
            },
            origin_deadlines: Deadlines {
                first_byte_ms: ms("ORIGIN_FIRST_BYTE_TIMEOUT_MS", 20_000),
                idle_ms: ms("ORIGIN_IDLE_TIMEOUT_MS", 20_000),
                total_ms: ms("ORIGIN_TOTAL_TIMEOUT_MS", 300_000),
            },
            html_max_group_bytes: usize::try_from(num(
                "HTML_MAX_GROUP_BYTES",
                HtmlSettings::DEFAULT_MAX_GROUP_BYTES as u64,
            ))
            .unwrap_or(HtmlSettings::DEFAULT_MAX_GROUP_BYTES)
            .max(HtmlSettings::MIN_GROUP_BYTES),
            slice_rows: usize::try_from(num("STATE_SLICE_ROWS", 1024))
                .unwrap_or(1024)
                .clamp(1, 65_536),
            origin_forward: list(env, "ORIGIN_FORWARD_HEADERS")
                .into_iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            admin_secret: var(env, "ADMIN_SECRET"),
            state: state_settings(&num),
            tracking: var(env, "SEGMENT_WRITE_KEY").map(|write_key| TrackingApi {
                url: var(env, "SEGMENT_TRACKING_URL")
                    .unwrap_or_else(|| "https://api.segment.io/v1/track".into()),
                write_key,
                timeout_ms: u32::try_from(num("SEGMENT_TIMEOUT_MS", 2_000)).unwrap_or(2_000),
            }),
            mcp_authorization_server: var(env, "MCP_AUTHORIZATION_SERVER")
                .or_else(|| var(env, "OIDC_ISSUER")),
            public_url: var(env, "PUBLIC_URL").and_then(|u| public_origin(&u)),
            mcp_allowed_origins: list(env, "MCP_ALLOWED_ORIGINS")
                .into_iter()
                .filter_map(|o| public_origin(&o))
                .collect(),
            mcp_scopes: var(env, "MCP_SCOPES")
                .map(|v| v.split_ascii_whitespace().map(str::to_string).collect())
                .unwrap_or_default(),
            issuer: Issuer::from_env(&|name| var(env, name), &num),
            consent: ConsentSettings {
                personalization: list(env, "CONSENT_PERSONALIZATION"),
                memory: list(env, "CONSENT_MEMORY"),
                forwarding: list(env, "CONSENT_FORWARDING"),
            },
            regulations: var(env, "SEGMENT_PUBLIC_API_TOKEN").map(|token| RegulationApi {
                url: var(env, "SEGMENT_PUBLIC_API_URL")
                    .unwrap_or_else(|| "https://api.segmentapis.com/regulations".into()),
                token,
                regulation_type: var(env, "SEGMENT_REGULATION_TYPE")
                    .unwrap_or_else(|| "SUPPRESS_WITH_DELETE".into()),
                timeout_ms: u32::try_from(num("SEGMENT_TIMEOUT_MS", 2_000)).unwrap_or(2_000),
            }),
        }
    }

    /// `PUBLIC_URL` joined with `path`, if configured.
    pub(super) fn public(&self, path: &str) -> Option<String> {
        self.public_url.as_deref().map(|u| [u, path].concat())
    }

    /// Whether the Profile API is configured: a new person's state is seeded from it before its
    /// first publication.
    pub(super) fn fetch_configured(&self) -> bool {
        self.segment.is_some()
    }

    pub(super) fn policy(&self, target: Target) -> PrivacyPolicy {
        PrivacyPolicy {
            allow: self.allow.clone(),
            ..PrivacyPolicy::new(target)
        }
    }

    /// The render settings of the configured budget (clamped into its range when read, so the
    /// check cannot fail; the defaults if it somehow did).
    pub(super) fn render_settings(&self) -> Checked<RenderSettings> {
        RenderSettings {
            budget_tokens: self.budget_tokens,
            ..RenderSettings::default()
        }
        .checked()
        .unwrap_or_default()
    }
}

/// The state's settings from `STATE_*` vars (defaults: [`StateSettings::default`]).
fn state_settings(num: &dyn Fn(&str, u64) -> u64) -> StateSettings {
    let d = StateSettings::default();
    let size =
        |name: &str, default: usize| usize::try_from(num(name, default as u64)).unwrap_or(default);
    let ms = |name: &str, default_ms: i64| {
        i64::try_from(num(name, (default_ms / 1000) as u64))
            .unwrap_or(default_ms / 1000)
            .saturating_mul(1000)
    };
    StateSettings {
        max_traits: size("STATE_MAX_TRAITS", d.max_traits).max(1),
        max_events: size("STATE_MAX_EVENTS", d.max_events).max(1),
        max_bytes: size("STATE_MAX_BYTES", d.max_bytes).max(1024),
        max_seen: d.max_seen,
        retention_ms: ms("STATE_RETENTION_SECONDS", d.retention_ms).max(1000),
        fetch_retry_ms: ms("PROFILE_API_RETRY_SECONDS", d.fetch_retry_ms).max(1000),
        max_fetch_attempts: d.max_fetch_attempts,
        // A snapshot holds at most 1,000 memories beside the traits (SnapshotLimits::max_traits).
        max_memories: size("MEMORY_MAX_COUNT", d.max_memories).clamp(1, 1_000),
        max_memory_chars: size("MEMORY_MAX_CHARS", d.max_memory_chars).clamp(1, 10_000),
        memory_retention_ms: ms("MEMORY_RETENTION_SECONDS", d.memory_retention_ms).max(1000),
        forward_retry_ms: ms("MEMORY_FORWARD_RETRY_SECONDS", d.forward_retry_ms).max(1000),
        audit: AuditSettings {
            enabled: num("AUDIT_ENABLED", 1) != 0,
            max_records: size("AUDIT_MAX_RECORDS", d.audit.max_records).clamp(1, 10_000),
            retention_ms: ms("AUDIT_RETENTION_SECONDS", d.audit.retention_ms)
                .clamp(1000, 400 * DAY_MS),
        },
        ..d
    }
}

/// `scheme://host[:port]` of an http(s) URL (path, query and a trailing slash dropped); `None`
/// for anything else.
fn public_origin(url: &str) -> Option<String> {
    let parsed = worker::Url::parse(url.trim()).ok()?;
    matches!(parsed.scheme(), "https" | "http")
        .then(|| parsed.origin().ascii_serialization())
        .filter(|o| o != "null")
}
