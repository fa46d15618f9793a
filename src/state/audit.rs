//! The audit of what each prompt was told: one record per personalized read (the context route,
//! a chat injection, an MCP `get_user_context` or `search_profile`, a page fill) with the route,
//! the time, the ids of the items it was given and their token count; never their values. Kept
//! as rows of the person's state, at most [`AuditSettings::max_records`] (the oldest go) and for
//! [`AuditSettings::retention_ms`], erased with the person. Recording is not a change of the
//! profile: the state's version stays.

use std::collections::BTreeMap;

use bincode::{Decode, Encode};
use serde_json::{json, Value as Json};

use super::{Applied, Outcome, PersonState, RowKind, Tx, DAY_MS};
use crate::errors::{AuditQueryError, StateError};

/// Most item ids kept per record (a context holds far fewer).
pub const MAX_AUDIT_ITEMS: usize = 64;
/// Longest item id kept, in bytes (longer ones are cut at a character boundary).
pub const MAX_AUDIT_ID_BYTES: usize = 160;
/// Longest route name kept, in bytes.
pub const MAX_AUDIT_ROUTE_BYTES: usize = 48;
/// Most records one `GET /v1/audit` answers.
pub const MAX_AUDIT_PAGE: usize = 1000;

/// How much audit a person's object keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditSettings {
    /// Record reads at all (`AUDIT_ENABLED`, default on).
    pub enabled: bool,
    /// Most records kept per person (`AUDIT_MAX_RECORDS`, default 1,000, at most 10,000); past it
    /// the oldest go.
    pub max_records: usize,
    /// How long a record is kept (`AUDIT_RETENTION_SECONDS`, default 30 days).
    pub retention_ms: i64,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            max_records: 1_000,
            retention_ms: 30 * DAY_MS,
        }
    }
}

/// What one read was told.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct AuditRecord {
    /// When (ms).
    pub at_ms: i64,
    /// Which route: `context`, `chat`, `mcp:get_user_context`, `mcp:search_profile`, `page`.
    pub route: String,
    /// The ids of the items it was given (`trait:<key>`, `event:<id>`, `memory:<id>`).
    pub items: Vec<String>,
    /// Their estimated tokens (0 where nothing was rendered, as for `search_profile`).
    pub tokens: u32,
}

fn cut(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("").to_string()
}

impl AuditRecord {
    /// A record, bounded: the route and ids cut to their limits, at most `MAX_AUDIT_ITEMS` ids.
    pub fn new(at_ms: i64, route: &str, items: &[String], tokens: usize) -> Self {
        Self {
            at_ms,
            route: cut(route, MAX_AUDIT_ROUTE_BYTES),
            items: items
                .iter()
                .take(MAX_AUDIT_ITEMS)
                .map(|i| cut(i, MAX_AUDIT_ID_BYTES))
                .collect(),
            tokens: u32::try_from(tokens).unwrap_or(u32::MAX),
        }
    }

    /// The record in the row encoding, for handing it to the person's object.
    pub fn encode(&self) -> Result<Vec<u8>, StateError> {
        super::rows::encode(self)
    }

    /// A record from [`AuditRecord::encode`]'s bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, StateError> {
        super::rows::decode("audit record", "", bytes)
    }

    /// Several records in the row encoding (one call to the person's object for a batch).
    pub fn encode_batch(records: &[AuditRecord]) -> Result<Vec<u8>, StateError> {
        super::rows::encode(&records.to_vec())
    }

    /// Records from [`AuditRecord::encode_batch`]'s bytes.
    pub fn decode_batch(bytes: &[u8]) -> Result<Vec<Self>, StateError> {
        super::rows::decode("audit batch", "", bytes)
    }

    /// As `GET /v1/audit` answers it.
    pub fn to_json(&self) -> Json {
        json!({
            "at": crate::time::format_timestamp(self.at_ms),
            "route": self.route,
            "items": self.items,
            "tokens": self.tokens,
        })
    }
}

/// A checked `GET /v1/audit` query: `limit` (1 to [`MAX_AUDIT_PAGE`], default 100) and `since`
/// (an ISO-8601 time: only records at or after it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditQuery {
    /// Most records answered, newest first.
    pub limit: usize,
    /// Only records at or after this time (ms).
    pub since_ms: Option<i64>,
}

impl AuditQuery {
    /// Reads `(name, value)` pairs of a query string (already percent-decoded).
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, AuditQueryError> {
        let (mut limit, mut since) = (None, None);
        for (name, value) in pairs {
            match name {
                "limit" => {
                    if limit.is_some() {
                        return Err(AuditQueryError::Repeated { name: "limit" });
                    }
                    let n = value
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=MAX_AUDIT_PAGE).contains(n))
                        .ok_or(AuditQueryError::Limit {
                            max: MAX_AUDIT_PAGE,
                        })?;
                    limit = Some(n);
                }
                "since" => {
                    if since.is_some() {
                        return Err(AuditQueryError::Repeated { name: "since" });
                    }
                    since =
                        Some(crate::time::parse_timestamp(value).ok_or(AuditQueryError::Since)?);
                }
                other => {
                    return Err(AuditQueryError::Unknown {
                        name: other.chars().take(40).collect(),
                    })
                }
            }
        }
        Ok(Self {
            limit: limit.unwrap_or(100),
            since_ms: since,
        })
    }
}

/// The records kept, by row key (`<time as 16 hex digits>-<sequence>`: oldest first).
#[derive(Debug, Clone, Default)]
pub(super) struct AuditLog {
    pub(super) rows: BTreeMap<String, AuditRecord>,
    next: u32,
}

impl AuditLog {
    pub(super) fn load(&mut self, key: String, record: AuditRecord) {
        // Keys made after a reload must not meet the ones kept.
        let seq = key
            .rsplit_once('-')
            .and_then(|(_, s)| u32::from_str_radix(s, 16).ok())
            .unwrap_or(0);
        self.next = self.next.max(seq.wrapping_add(1));
        self.rows.insert(key, record);
    }
    pub(super) fn clear(&mut self) {
        self.rows.clear();
    }
}

impl PersonState {
    /// Records what a read was told. Nothing is kept for an erased person, or with the audit off.
    pub fn record_audit(
        &mut self,
        record: AuditRecord,
        settings: &AuditSettings,
    ) -> Result<Applied, StateError> {
        let mut tx = Tx::default();
        if self.meta.suppressed_since_ms.is_some() {
            return self.finish(tx, Outcome::Suppressed);
        }
        if !settings.enabled {
            return self.finish(tx, Outcome::Stale);
        }
        let seq = self.audit.next;
        self.audit.next = seq.wrapping_add(1);
        let key = format!("{:016x}-{seq:08x}", record.at_ms.max(0));
        tx.put(RowKind::Audit, &key, &record);
        self.audit.rows.insert(key, record);
        while self.audit.rows.len() > settings.max_records.max(1) {
            let Some(oldest) = self.audit.rows.keys().next().cloned() else {
                break;
            };
            self.audit.rows.remove(&oldest);
            tx.delete(RowKind::Audit, &oldest);
        }
        self.finish(tx, Outcome::Changed)
    }

    /// The records, newest first, as `query` asks.
    pub fn audit_records(&self, query: &AuditQuery) -> Vec<&AuditRecord> {
        self.audit
            .rows
            .values()
            .rev()
            .filter(|r| query.since_ms.is_none_or(|s| r.at_ms >= s))
            .take(query.limit)
            .collect()
    }

    /// Records kept.
    pub fn audit_count(&self) -> usize {
        self.audit.rows.len()
    }

    /// Deletes the records older than the retention (into `tx`).
    pub(super) fn expire_audit(&mut self, tx: &mut Tx, settings: &AuditSettings, now_ms: i64) {
        let cutoff = now_ms.saturating_sub(settings.retention_ms);
        let old: Vec<String> = self
            .audit
            .rows
            .iter()
            .take_while(|(_, r)| r.at_ms <= cutoff)
            .map(|(k, _)| k.clone())
            .collect();
        for key in old {
            self.audit.rows.remove(&key);
            tx.delete(RowKind::Audit, &key);
        }
    }

    /// When the oldest record expires (ms), if any is kept.
    pub(super) fn next_audit_expiry(&self, settings: &AuditSettings) -> Option<i64> {
        self.audit.rows.values().next().map(|r| {
            r.at_ms
                .saturating_add(settings.retention_ms)
                .saturating_add(1)
        })
    }
}
