//! Memories in a person's state: what an assistant was told to remember (`remember`), kept as
//! rows of their own until forgotten, erased, dropped past [`StateSettings::max_memories`] (the
//! oldest first) or expired [`StateSettings::memory_retention_ms`] after they were noted.
//!
//! With forwarding on, each memory also waits to be sent to Segment's Tracking API as a
//! [`MEMORY_EVENT`] track call with a message id of its own ([`PersonState::memory_message_id`]);
//! the person's object sends what [`PersonState::forwards_due`] lists and reports back. When
//! Segment sends the call back through the webhook, [`PersonState::apply`] knows its message id and
//! changes nothing, so a memory is never stored twice.

use bincode::{Decode, Encode};
use serde_json::{json, Value as Json};

use super::{memory_rules, Applied, Outcome, PersonState, RowKind, StateSettings, Tx};
use crate::errors::{MemoryError, StateError};
use crate::policy::PrivacyPolicy;
use crate::profile::Memory;

/// The Segment track event a memory is forwarded as.
pub const MEMORY_EVENT: &str = "Memory Noted";
/// The start of every forwarded memory's message id.
const MESSAGE_PREFIX: &str = "edge-persona-memory-";
/// Longest memory key or category, in characters.
pub const MAX_MEMORY_LABEL_CHARS: usize = 64;

/// What a caller asks to remember.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryInput {
    /// The fact (trimmed; 1 to `max_memory_chars` characters).
    pub text: String,
    /// What it is about, if named (at most 64 characters).
    pub key: Option<String>,
    /// A grouping, if any (at most 64 characters).
    pub category: Option<String>,
    /// Who writes it (`mcp`, `rest`).
    pub source: String,
}

/// A memory's forwarding to Segment still to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct PendingForward {
    /// Attempts made so far.
    pub attempts: u32,
    /// When to try (ms).
    pub due_ms: i64,
}

/// A memory's row.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub(super) struct MemoryRow {
    pub(super) memory: Memory,
    pub(super) forward: Option<PendingForward>,
}

/// What [`PersonState::remember_memory`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Remembered {
    /// The memory as stored (or, for a duplicate, as it was already kept).
    pub memory: Memory,
    /// Stored, a duplicate of a kept one, or stored in place of the one with its key.
    pub outcome: MemoryOutcome,
    /// The rows to write (none for a duplicate).
    pub applied: Applied,
}

/// What became of a `remember`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemoryOutcome {
    /// A new memory.
    Stored,
    /// The same fact was already kept: nothing changed.
    Duplicate,
    /// Stored in place of the memory with the same key (its id), which is removed.
    Superseded(String),
}

impl MemoryOutcome {
    /// `stored`, `duplicate` or `superseded`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Stored => "stored",
            Self::Duplicate => "duplicate",
            Self::Superseded(_) => "superseded",
        }
    }
}

/// What a memory write is checked against, from the deployment's settings.
#[derive(Debug, Clone, Copy)]
pub struct WriteRules<'a> {
    /// The server policy (with the deployment's allowed keys): what it would withhold is refused.
    pub policy: &'a PrivacyPolicy,
    /// Consent categories memory writes need ([`super::ConsentSettings::memory`]).
    pub consent: &'a [String],
    /// Queue the memory for forwarding to Segment (configured, and the person consented to it).
    pub forward: bool,
}

/// Characters of `text` once normalized ([`crate::text::normalize`]), as the snapshot holds it:
/// one character that NFKC expands eighteenfold counts eighteen.
fn normalized_chars(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        crate::text::normalize(text).chars().count()
    }
}

fn label(field: &'static str, value: &Option<String>) -> Result<Option<String>, MemoryError> {
    let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let chars = normalized_chars(v);
    if chars > MAX_MEMORY_LABEL_CHARS {
        return Err(MemoryError::TooLong {
            field,
            chars,
            max: MAX_MEMORY_LABEL_CHARS,
        });
    }
    Ok(Some(v.to_string()))
}

impl Memory {
    /// The memory as the Worker's routes answer it: `id`, `item_id` (`memory:<id>`, as ranked),
    /// `text`, `key`, `category`, `source`, `created_at` (ISO 8601).
    pub fn to_json(&self) -> Json {
        json!({
            "id": self.id,
            "item_id": format!("memory:{}", self.id),
            "text": self.text,
            "key": self.key,
            "category": self.category,
            "source": self.source,
            "created_at": crate::time::format_timestamp(self.created_ms),
        })
    }
}

impl PersonState {
    /// Memories kept.
    pub fn memory_count(&self) -> usize {
        self.memories.len()
    }

    /// The memories, newest first.
    pub fn memories(&self) -> impl Iterator<Item = &Memory> {
        self.memory_order
            .iter()
            .rev()
            .filter_map(|(_, id)| self.memories.get(id).map(|r| &r.memory))
    }

    /// A memory by id.
    pub fn memory(&self, id: &str) -> Option<&Memory> {
        self.memories.get(id).map(|r| &r.memory)
    }

    /// Stores a new memory noted now, by the rules of `memory_rules.rs`: a fact already
    /// kept is answered as it is ([`MemoryOutcome::Duplicate`], nothing written); one with the
    /// key of a kept memory replaces it ([`MemoryOutcome::Superseded`]); one the policy would
    /// withhold, one quoting a context block, one without the consent memories need, is refused.
    /// Past `max_memories` the oldest go. Refuses empty or too long text and labels, and a
    /// suppressed person.
    pub fn remember_memory(
        &mut self,
        input: &MemoryInput,
        rules: &WriteRules<'_>,
        settings: &StateSettings,
        now_ms: i64,
    ) -> Result<Remembered, MemoryError> {
        if self.meta.suppressed_since_ms.is_some() {
            return Err(MemoryError::Suppressed);
        }
        let text = input.text.trim();
        if text.is_empty() {
            return Err(MemoryError::Empty);
        }
        let chars = normalized_chars(text);
        if chars > settings.max_memory_chars {
            return Err(MemoryError::TooLong {
                field: "text",
                chars,
                max: settings.max_memory_chars,
            });
        }
        let key = label("key", &input.key)?;
        let category = label("category", &input.category)?;
        if memory_rules::quotes_context(text) {
            return Err(MemoryError::Recalled);
        }
        if let Some((field, class)) =
            memory_rules::withheld(rules.policy, key.as_deref(), text, category.as_deref())
        {
            return Err(MemoryError::Withheld { field, class });
        }
        if let Some(category) = self.missing_consent(rules.consent) {
            return Err(MemoryError::NoConsent { category });
        }
        let fact = memory_rules::fact_key(text);
        if let Some(kept) = self
            .memories()
            .find(|m| memory_rules::fact_key(&m.text) == fact)
        {
            return Ok(Remembered {
                memory: kept.clone(),
                outcome: MemoryOutcome::Duplicate,
                applied: Applied {
                    outcome: Outcome::Duplicate,
                    version: self.meta.version,
                    changes: Vec::new(),
                },
            });
        }
        let same_key: Option<String> = key.as_deref().and_then(|k| {
            let name = memory_rules::key_name(k);
            self.memories()
                .find(|m| {
                    m.key
                        .as_deref()
                        .is_some_and(|mk| memory_rules::key_name(mk) == name)
                })
                .map(|m| m.id.clone())
        });
        let version = self.meta.version.saturating_add(1);
        let seed = [
            self.meta.user_id.as_bytes(),
            &now_ms.to_le_bytes(),
            &version.to_le_bytes(),
            text.as_bytes(),
        ]
        .concat();
        // The version grows with every change, so the id is new within the person.
        let memory = Memory {
            id: format!("{version:x}{:08x}", crc32fast::hash(&seed)),
            text: text.to_string(),
            key,
            category,
            source: input.source.clone(),
            created_ms: now_ms,
        };
        let mut tx = Tx::default();
        if let Some(old) = &same_key {
            self.remove_memory(&mut tx, old);
        }
        let row = MemoryRow {
            memory: memory.clone(),
            forward: rules.forward.then_some(PendingForward {
                attempts: 0,
                due_ms: now_ms,
            }),
        };
        self.put_memory(&mut tx, row);
        let mid = self.memory_message_id(&memory.id);
        self.remember(&mut tx, &mid, now_ms, settings);
        while self.memories.len() > settings.max_memories {
            let Some((_, oldest)) = self.memory_order.first().cloned() else {
                break;
            };
            self.remove_memory(&mut tx, &oldest);
        }
        self.meta.version = version;
        self.meta.counters.applied += 1;
        self.put_meta(&mut tx);
        let applied = self.finish(tx, Outcome::Changed)?;
        let outcome = match same_key {
            Some(old) => MemoryOutcome::Superseded(old),
            None => MemoryOutcome::Stored,
        };
        Ok(Remembered {
            memory,
            applied,
            outcome,
        })
    }

    /// Deletes a memory (and its forwarding, if still pending).
    pub fn forget_memory(&mut self, id: &str) -> Result<Applied, MemoryError> {
        if !self.memories.contains_key(id) {
            return Err(MemoryError::NotFound { id: id.to_string() });
        }
        let mut tx = Tx::default();
        self.remove_memory(&mut tx, id);
        self.meta.version += 1;
        self.put_meta(&mut tx);
        Ok(self.finish(tx, Outcome::Changed)?)
    }

    /// The Segment message id a memory is forwarded with: unique per person and memory.
    pub fn memory_message_id(&self, id: &str) -> String {
        format!(
            "{MESSAGE_PREFIX}{:08x}-{id}",
            crc32fast::hash(self.meta.user_id.as_bytes())
        )
    }

    /// Whether a message id is one this state forwarded a kept memory with.
    pub(super) fn is_memory_message(&self, mid: &str) -> bool {
        mid.strip_prefix(MESSAGE_PREFIX)
            .and_then(|rest| rest.split_once('-'))
            .is_some_and(|(_, id)| {
                self.memories.contains_key(id) && self.memory_message_id(id) == mid
            })
    }

    /// The memories whose forwarding is due at `now_ms`, oldest first.
    pub fn forwards_due(&self, now_ms: i64) -> Vec<Memory> {
        if self.meta.suppressed_since_ms.is_some() {
            return Vec::new();
        }
        self.memory_order
            .iter()
            .filter_map(|(_, id)| self.memories.get(id))
            .filter(|r| r.forward.is_some_and(|f| f.due_ms <= now_ms))
            .map(|r| r.memory.clone())
            .collect()
    }

    /// When the next forwarding is due (ms), if any is pending.
    pub fn next_forward(&self) -> Option<i64> {
        if self.meta.suppressed_since_ms.is_some() {
            return None;
        }
        self.memories
            .values()
            .filter_map(|r| r.forward.map(|f| f.due_ms))
            .min()
    }

    /// Records a forwarding attempt: `ok` ends it; a failure retries after
    /// [`StateSettings::forward_pause_ms`], until `max_forward_attempts` (then it is given up,
    /// the memory stays). Returns the rows to write (none for a memory forgotten meanwhile).
    pub fn forward_done(
        &mut self,
        id: &str,
        ok: bool,
        settings: &StateSettings,
        now_ms: i64,
    ) -> Result<Applied, StateError> {
        let mut tx = Tx::default();
        let Some(mut row) = self.memories.get(id).cloned() else {
            return self.finish(tx, Outcome::Stale);
        };
        row.forward = match row.forward {
            Some(f) if !ok => {
                let attempts = f.attempts.saturating_add(1);
                (attempts < settings.max_forward_attempts).then(|| PendingForward {
                    attempts,
                    due_ms: now_ms.saturating_add(settings.forward_pause_ms(attempts)),
                })
            }
            _ => None,
        };
        self.put_memory(&mut tx, row);
        self.finish(tx, Outcome::Stale)
    }

    /// The forwarding attempts made for a memory, while it is pending.
    pub fn forward_pending(&self, id: &str) -> Option<PendingForward> {
        self.memories.get(id).and_then(|r| r.forward)
    }

    /// The body of the Tracking API call (`POST /v1/track`) forwarding a memory: a
    /// [`MEMORY_EVENT`] event of the person with the memory's fields as properties.
    pub fn track_body(&self, memory: &Memory) -> Json {
        json!({
            "type": "track",
            "userId": self.meta.user_id,
            "event": MEMORY_EVENT,
            "messageId": self.memory_message_id(&memory.id),
            "timestamp": crate::time::format_timestamp(memory.created_ms),
            "properties": {
                "memory_id": memory.id,
                "text": memory.text,
                "key": memory.key,
                "category": memory.category,
                "source": memory.source,
            },
            "context": {"library": {"name": "edge-persona", "version": env!("CARGO_PKG_VERSION")}},
        })
    }

    pub(super) fn load_memory(&mut self, row: MemoryRow) {
        self.memory_order
            .insert((row.memory.created_ms, row.memory.id.clone()));
        self.memories.insert(row.memory.id.clone(), row);
    }

    fn put_memory(&mut self, tx: &mut Tx, row: MemoryRow) {
        tx.put(RowKind::Memory, &row.memory.id.clone(), &row);
        self.load_memory(row);
    }

    pub(super) fn remove_memory(&mut self, tx: &mut Tx, id: &str) {
        if let Some(row) = self.memories.remove(id) {
            self.memory_order
                .remove(&(row.memory.created_ms, id.to_string()));
            tx.delete(RowKind::Memory, id);
        }
    }

    /// Ids of the memories noted at or before `cutoff_ms`.
    pub(super) fn memories_noted_by(&self, cutoff_ms: i64) -> Vec<String> {
        self.memory_order
            .iter()
            .take_while(|(at, _)| *at <= cutoff_ms)
            .map(|(_, id)| id.clone())
            .collect()
    }
}
