//! One error type per failure domain, all of them here (identity tokens' [`IdentityError`] lives
//! beside the token code and is re-exported here). Display texts are short and name the place and
//! the problem; none of them carries profile data.

use std::fmt;

pub use crate::identity::IdentityError;

/// A documented limit was exceeded; `what` names the setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitExceeded {
    /// The limit's name, as in the settings struct (`max_events`, `max_string_bytes`, …).
    pub what: &'static str,
    /// The configured limit.
    pub limit: usize,
    /// What the input had (or at least this much).
    pub actual: usize,
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "limit {} exceeded: {} > {}",
            self.what, self.actual, self.limit
        )
    }
}

/// Why a Segment profile could not be imported. `path` names the place in the input, such as
/// `events.data[17].timestamp`, or `line 4: traits` for NDJSON.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ImportError {
    /// The input is not JSON; `line`/`column` as serde_json reports them.
    Json {
        /// Line of the error, from 1.
        line: usize,
        /// Column of the error, from 1.
        column: usize,
        /// serde_json's description, without its position.
        message: String,
    },
    /// A member has the wrong type or shape.
    Invalid {
        /// Where, as `events.data[17].properties`.
        path: String,
        /// What was expected there.
        expected: &'static str,
    },
    /// A timestamp is not an ISO-8601 time.
    Timestamp {
        /// Where, as `events.data[17].timestamp`.
        path: String,
    },
    /// A required member is missing.
    Missing {
        /// Where, as `events.data[0].timestamp`.
        path: String,
    },
    /// A limit of [`crate::ImportLimits`] was exceeded.
    Limit {
        /// Where.
        path: String,
        /// Which limit, and by how much.
        limit: LimitExceeded,
    },
}

impl ImportError {
    /// Prefixes the path with `line N: ` (for NDJSON input).
    pub fn at_line(self, line: usize) -> Self {
        let prefix = |p: String| format!("line {line}: {p}");
        match self {
            Self::Json {
                message, column, ..
            } => Self::Json {
                line,
                column,
                message,
            },
            Self::Invalid { path, expected } => Self::Invalid {
                path: prefix(path),
                expected,
            },
            Self::Timestamp { path } => Self::Timestamp { path: prefix(path) },
            Self::Missing { path } => Self::Missing { path: prefix(path) },
            Self::Limit { path, limit } => Self::Limit {
                path: prefix(path),
                limit,
            },
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json {
                line,
                column,
                message,
            } => write!(
                f,
                "not valid JSON at line {line} column {column}: {message}"
            ),
            Self::Invalid { path, expected } => write!(f, "{path}: expected {expected}"),
            Self::Timestamp { path } => write!(f, "{path}: not an ISO-8601 time"),
            Self::Missing { path } => write!(f, "{path}: missing"),
            Self::Limit { path, limit } => write!(f, "{path}: {limit}"),
        }
    }
}

impl std::error::Error for ImportError {}

/// Why snapshot bytes could not be decoded. Each corruption class has its own variant, so callers
/// can tell "rebuild from the source" (`UnsupportedVersion`) from "storage is damaged"
/// (`ChecksumMismatch`, `Corrupt`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SnapshotError {
    /// Fewer bytes than the header announces, or than a header needs.
    Truncated {
        /// Bytes needed.
        needed: usize,
        /// Bytes given.
        actual: usize,
    },
    /// The bytes do not start with the snapshot magic: not a snapshot at all.
    WrongMagic,
    /// A snapshot of a format version this build does not read.
    UnsupportedVersion {
        /// The version in the header.
        found: u16,
        /// The version this build reads and writes.
        supported: u16,
    },
    /// The payload does not match its checksum: damaged in storage or transit.
    ChecksumMismatch {
        /// The checksum in the header.
        expected: u32,
        /// The checksum of the payload.
        actual: u32,
    },
    /// The payload passed its checksum but does not decode or is inconsistent; names what is wrong.
    Corrupt {
        /// What is inconsistent.
        detail: String,
    },
    /// A limit of [`crate::SnapshotLimits`] was exceeded.
    Limit(LimitExceeded),
    /// Encoding failed (only on a broken codec; never for valid input).
    Encode {
        /// What the codec said.
        detail: String,
    },
}

impl SnapshotError {
    /// A [`SnapshotError::Corrupt`] naming the inconsistency.
    pub(crate) fn corrupt(detail: &str) -> Self {
        Self::Corrupt {
            detail: detail.to_string(),
        }
    }
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { needed, actual } => {
                write!(f, "snapshot truncated: {actual} bytes, {needed} needed")
            }
            Self::WrongMagic => write!(f, "not an edge-persona snapshot (wrong magic bytes)"),
            Self::UnsupportedVersion { found, supported } => {
                write!(f, "snapshot format version {found} is not supported (this build reads {supported})")
            }
            Self::ChecksumMismatch { expected, actual } => {
                write!(
                    f,
                    "snapshot checksum mismatch: header {expected:08x}, payload {actual:08x}"
                )
            }
            Self::Corrupt { detail } => write!(f, "snapshot corrupt: {detail}"),
            Self::Limit(limit) => write!(f, "snapshot {limit}"),
            Self::Encode { detail } => write!(f, "snapshot encoding failed: {detail}"),
        }
    }
}

impl std::error::Error for SnapshotError {}

/// Why knowledge pack bytes could not be loaded ([`crate::knowledge::Knowledge::from_bytes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KnowledgeError {
    /// Fewer bytes than the header or its length says.
    Truncated,
    /// Not a knowledge pack.
    WrongMagic,
    /// A pack format this build does not read.
    UnsupportedVersion {
        /// The version in the header.
        found: u16,
        /// The version this build reads.
        supported: u16,
    },
    /// The payload does not match its checksum.
    ChecksumMismatch,
    /// The payload is inconsistent; names what is wrong.
    Corrupt(&'static str),
}

impl fmt::Display for KnowledgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => write!(f, "knowledge pack truncated"),
            Self::WrongMagic => write!(f, "not an edge-persona knowledge pack (wrong magic bytes)"),
            Self::UnsupportedVersion { found, supported } => write!(
                f,
                "knowledge pack format {found} is not supported (this build reads {supported})"
            ),
            Self::ChecksumMismatch => write!(f, "knowledge pack checksum mismatch"),
            Self::Corrupt(what) => write!(f, "knowledge pack corrupt: {what}"),
        }
    }
}

impl std::error::Error for KnowledgeError {}

/// An invalid ranking or rendering setting.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SettingsError {
    /// A numeric setting is outside its valid range; `name` is the setting's field name.
    OutOfRange {
        /// The setting's field name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The least valid value.
        min: f64,
        /// The greatest valid value.
        max: f64,
    },
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OutOfRange {
                name,
                value,
                min,
                max,
            } => {
                write!(f, "setting {name} = {value} is outside {min}..={max}")
            }
        }
    }
}

impl std::error::Error for SettingsError {}

/// Why an LLM request body could not be personalized. `path` names the member.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InjectError {
    /// The body is not a JSON object.
    NotAnObject,
    /// The body is not JSON at all.
    Json {
        /// serde_json's description.
        message: String,
    },
    /// A member has the wrong type.
    Invalid {
        /// Where, as `messages[2].content`.
        path: String,
        /// What was expected there.
        expected: &'static str,
    },
    /// A required member is missing.
    Missing {
        /// Where, as `messages`.
        path: String,
    },
    /// The API could not be told from the body; name it explicitly.
    UnknownApi,
}

impl fmt::Display for InjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnObject => write!(f, "request body: expected a JSON object"),
            Self::Json { message } => write!(f, "request body is not valid JSON: {message}"),
            Self::Invalid { path, expected } => {
                write!(f, "request body {path}: expected {expected}")
            }
            Self::Missing { path } => write!(f, "request body {path}: missing"),
            Self::UnknownApi => write!(
                f,
                "request body: not a Chat Completions, Responses or Messages request"
            ),
        }
    }
}

impl std::error::Error for InjectError {}

/// Why a stored row of a person's state could not be read (see [`crate::state`]): the rows are
/// the Durable Object's own, so this means damage or a row written by a newer build.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateError {
    /// A row of a row format this build does not read.
    UnsupportedVersion {
        /// The row's format byte.
        found: u8,
        /// The format this build reads and writes.
        supported: u8,
    },
    /// The row is truncated, fails its checksum, or does not decode; names the row.
    Corrupt {
        /// The row's kind and key, as `event m1`.
        row: String,
        /// What is wrong.
        detail: String,
    },
    /// Encoding failed (only on a broken codec; never for valid state).
    Encode {
        /// What the codec said.
        detail: String,
    },
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnsupportedVersion { found, supported } => write!(
                f,
                "state row format {found} is not supported (this build reads {supported})"
            ),
            Self::Corrupt { row, detail } => write!(f, "state row {row} corrupt: {detail}"),
            Self::Encode { detail } => write!(f, "state row encoding failed: {detail}"),
        }
    }
}

impl std::error::Error for StateError {}

/// A memory could not be remembered or forgotten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemoryError {
    /// The text is empty (or only white space).
    Empty,
    /// A field is longer than its limit, in characters.
    TooLong {
        /// `text`, `key` or `category`.
        field: &'static str,
        /// Its length.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// No memory has this id.
    NotFound {
        /// The id asked for.
        id: String,
    },
    /// The person is erased and suppressed: nothing is kept.
    Suppressed,
    /// The privacy policy would withhold it (its key, text or category is personal data): it is
    /// refused rather than stored and silently hidden.
    Withheld {
        /// `key`, `text` or `category`.
        field: &'static str,
        /// What kind of personal data.
        class: crate::policy::PiiClass,
    },
    /// The text quotes a recalled context block: what a read returned is not stored again.
    Recalled,
    /// The person has not granted a consent category memories need.
    NoConsent {
        /// The category.
        category: String,
    },
    /// Storing failed.
    State(StateError),
}

impl fmt::Display for MemoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "memory text is empty"),
            Self::TooLong { field, chars, max } => {
                write!(
                    f,
                    "memory {field} is {chars} characters long (at most {max})"
                )
            }
            Self::NotFound { id } => write!(f, "no memory {id}"),
            Self::Suppressed => write!(f, "the person is erased: nothing is kept"),
            Self::Withheld { field, class } => write!(
                f,
                "memory {field} holds personal data ({}): it is not kept",
                class.as_str()
            ),
            Self::Recalled => write!(
                f,
                "memory text quotes a recalled context block: what was read is not stored again"
            ),
            Self::NoConsent { category } => write!(
                f,
                "the person has not granted consent category {category}: no memory is kept"
            ),
            Self::State(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for MemoryError {}

impl From<StateError> for MemoryError {
    fn from(e: StateError) -> Self {
        Self::State(e)
    }
}

/// Why the arguments of an MCP `tools/call` were refused (JSON-RPC `-32602`, Invalid Params).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ToolArgsError {
    /// `params.name` is missing or not a string.
    NoName,
    /// No tool has this name (at most 64 characters of it).
    UnknownTool {
        /// The name asked for.
        name: String,
    },
    /// `params.arguments` is not an object.
    NotAnObject,
    /// An argument the tool's schema does not have.
    Unexpected {
        /// The tool.
        tool: &'static str,
        /// The argument (at most 64 characters of it).
        argument: String,
    },
    /// A required argument is missing.
    Missing {
        /// The tool.
        tool: &'static str,
        /// The argument.
        argument: &'static str,
    },
    /// An argument of the wrong type or outside its range; `expected` says what fits.
    Invalid {
        /// The tool.
        tool: &'static str,
        /// The argument.
        argument: &'static str,
        /// What the schema asks for.
        expected: &'static str,
    },
}

impl fmt::Display for ToolArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoName => write!(f, "tools/call needs a tool name"),
            Self::UnknownTool { name } => write!(f, "unknown tool: {name}"),
            Self::NotAnObject => write!(f, "arguments must be an object"),
            Self::Unexpected { tool, argument } => {
                write!(f, "{tool}: unexpected argument {argument}")
            }
            Self::Missing { tool, argument } => write!(f, "{tool}: {argument} is required"),
            Self::Invalid {
                tool,
                argument,
                expected,
            } => write!(f, "{tool}: {argument} must be {expected}"),
        }
    }
}

impl std::error::Error for ToolArgsError {}

/// Why an access token from an identity provider (an RS256 or ES256 JWT) was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwtError {
    /// Not three base64url parts of JSON, too long, or a claim of the wrong type.
    Malformed,
    /// The header names an algorithm other than RS256 or ES256 (`none`, `HS256`…), or a `crit`
    /// extension.
    UnsupportedAlgorithm,
    /// No key of the issuer's JWKS has the token's `kid` and algorithm.
    UnknownKey,
    /// The signature does not verify with the issuer's key.
    BadSignature,
    /// `iss` is not the configured issuer.
    WrongIssuer,
    /// `aud` does not name this server's resource URL.
    WrongAudience,
    /// `exp` has passed (beyond the allowed skew), or is missing.
    Expired,
    /// `nbf` or `iat` is in the future (beyond the allowed skew).
    NotYetValid,
    /// The configured subject claim is missing, not a string, or not a valid user id.
    NoSubject,
    /// The token lacks scopes the server requires.
    InsufficientScope,
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "access token malformed",
            Self::UnsupportedAlgorithm => "access token algorithm not RS256 or ES256",
            Self::UnknownKey => "access token signed by a key the issuer does not publish",
            Self::BadSignature => "access token signature does not verify",
            Self::WrongIssuer => "access token from another issuer",
            Self::WrongAudience => "access token for another audience",
            Self::Expired => "access token expired",
            Self::NotYetValid => "access token not valid yet",
            Self::NoSubject => "access token names no valid subject",
            Self::InsufficientScope => "access token lacks a required scope",
        })
    }
}

impl std::error::Error for JwtError {}

/// Why an issuer's JSON Web Key Set could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwksError {
    /// The body is longer than the limit, in bytes.
    TooLarge {
        /// The limit.
        max: usize,
    },
    /// The body is not JSON, or not an object with a `keys` array.
    Malformed,
    /// More keys than the limit.
    TooManyKeys {
        /// The limit.
        max: usize,
    },
    /// No key is an RSA (2048 to 8192 bits) or P-256 signing key.
    NoUsableKey,
}

impl fmt::Display for JwksError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { max } => write!(f, "JWKS larger than {max} bytes"),
            Self::Malformed => write!(f, "JWKS is not a JSON object with a keys array"),
            Self::TooManyKeys { max } => write!(f, "JWKS has more than {max} keys"),
            Self::NoUsableKey => write!(f, "JWKS has no RS256 or ES256 signing key"),
        }
    }
}

impl std::error::Error for JwksError {}

/// Why a Segment message's consent (`context.consent.categoryPreferences`) was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConsentError {
    /// A member of the wrong type.
    Invalid {
        /// Where, as `context.consent.categoryPreferences.Advertising`.
        path: String,
        /// What was expected there.
        expected: &'static str,
    },
    /// More categories than the limit.
    TooMany {
        /// The limit.
        max: usize,
    },
    /// A category name that is empty, too long or holds control characters.
    BadName {
        /// The longest name, in characters.
        max: usize,
    },
}

impl fmt::Display for ConsentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid { path, expected } => write!(f, "{path}: expected {expected}"),
            Self::TooMany { max } => {
                write!(f, "context.consent.categoryPreferences: more than {max} categories")
            }
            Self::BadName { max } => write!(
                f,
                "context.consent.categoryPreferences: a category name is empty, longer than {max} characters or holds control characters"
            ),
        }
    }
}

impl std::error::Error for ConsentError {}

/// Why a `GET /v1/audit` query was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditQueryError {
    /// A parameter the route does not have (at most 40 characters of its name).
    Unknown {
        /// The parameter.
        name: String,
    },
    /// `limit` is not an integer from 1 to the maximum.
    Limit {
        /// The maximum.
        max: usize,
    },
    /// `since` is not an ISO-8601 time.
    Since,
    /// A parameter given twice.
    Repeated {
        /// The parameter.
        name: &'static str,
    },
}

impl fmt::Display for AuditQueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown { name } => write!(f, "unknown parameter {name} (expected limit, since)"),
            Self::Limit { max } => write!(f, "limit must be an integer from 1 to {max}"),
            Self::Since => write!(f, "since must be an ISO-8601 time"),
            Self::Repeated { name } => write!(f, "{name} given more than once"),
        }
    }
}

impl std::error::Error for AuditQueryError {}
