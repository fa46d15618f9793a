//! Consent, as Segment carries it: `context.consent.categoryPreferences` on every event, an object
//! of category names and booleans (`{"Advertising": false, "Personalization": true}`). The person's
//! object keeps the newest it was sent (by the message's own `timestamp`, so a retried older call
//! cannot undo a newer choice), and the deployment names the categories each use needs
//! ([`ConsentSettings`]): personalization (what reads may use), memory writes, and forwarding to
//! Segment. A category counts as granted only when the newest preferences say `true`; a person who
//! never sent any has granted nothing. With no category named for a use (the default), that use
//! needs no consent.

use bincode::{Decode, Encode};
use serde_json::{json, Value as Json};

use super::{Applied, Outcome, PersonState, RowKind, Tx};
use crate::errors::{ConsentError, StateError};

/// Most categories read from one message.
pub const MAX_CATEGORIES: usize = 64;
/// Longest category name, in characters.
pub const MAX_CATEGORY_CHARS: usize = 100;
/// The key of the consent row.
pub(super) const CONSENT_KEY: &str = "consent";

/// One message's consent preferences.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct Consent {
    /// Each category and whether it is granted, as sent.
    pub categories: Vec<(String, bool)>,
    /// The message's own time (ms): the newest preferences win.
    pub at_ms: i64,
}

impl Consent {
    /// The preferences in the row encoding, for handing them to the person's object.
    pub fn encode(&self) -> Result<Vec<u8>, StateError> {
        super::rows::encode(self)
    }

    /// Preferences from [`Consent::encode`]'s bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, StateError> {
        super::rows::decode("consent", "", bytes)
    }

    /// Whether `category` is granted (names compare without regard to case).
    pub fn grants(&self, category: &str) -> bool {
        self.categories
            .iter()
            .any(|(c, granted)| *granted && c.eq_ignore_ascii_case(category))
    }

    /// The preferences as JSON (`{"categories": {...}, "at": "<ISO time>"}`).
    pub fn to_json(&self) -> Json {
        let cats: serde_json::Map<String, Json> = self
            .categories
            .iter()
            .map(|(c, g)| (c.clone(), json!(g)))
            .collect();
        json!({"categories": cats, "at": crate::time::format_timestamp(self.at_ms)})
    }

    /// The consent of a Segment message, if it carries `context.consent.categoryPreferences`;
    /// `at_ms` is the message's time. A `consent` or `categoryPreferences` of the wrong shape, a
    /// non-boolean preference, too many categories or too long a name is an error naming the
    /// place, so nothing of the message is stored.
    pub fn from_message(message: &Json, at_ms: i64) -> Result<Option<Self>, ConsentError> {
        let Some(consent) = message.get("context").and_then(|c| c.get("consent")) else {
            return Ok(None);
        };
        let invalid = |path: &str, expected: &'static str| ConsentError::Invalid {
            path: path.to_string(),
            expected,
        };
        let consent = consent
            .as_object()
            .ok_or_else(|| invalid("context.consent", "an object"))?;
        let Some(prefs) = consent.get("categoryPreferences") else {
            return Ok(None);
        };
        let prefs = prefs.as_object().ok_or_else(|| {
            invalid(
                "context.consent.categoryPreferences",
                "an object of booleans",
            )
        })?;
        if prefs.len() > MAX_CATEGORIES {
            return Err(ConsentError::TooMany {
                max: MAX_CATEGORIES,
            });
        }
        let mut categories = Vec::with_capacity(prefs.len());
        for (name, granted) in prefs {
            let chars = name.chars().count();
            if chars == 0 || chars > MAX_CATEGORY_CHARS || name.chars().any(char::is_control) {
                return Err(ConsentError::BadName {
                    max: MAX_CATEGORY_CHARS,
                });
            }
            let granted = granted.as_bool().ok_or_else(|| {
                let shown: String = name.chars().take(40).collect();
                invalid(
                    &format!("context.consent.categoryPreferences.{shown}"),
                    "a boolean",
                )
            })?;
            categories.push((name.clone(), granted));
        }
        Ok(Some(Self { categories, at_ms }))
    }
}

/// The consent categories each use needs; every one named must be granted. Empty (the default):
/// that use needs no consent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsentSettings {
    /// What reads need to be personalized (`CONSENT_PERSONALIZATION`).
    pub personalization: Vec<String>,
    /// What `remember` needs (`CONSENT_MEMORY`).
    pub memory: Vec<String>,
    /// What forwarding a memory to Segment needs (`CONSENT_FORWARDING`).
    pub forwarding: Vec<String>,
}

impl PersonState {
    /// The newest consent preferences kept, if any were sent.
    pub fn consent(&self) -> Option<&Consent> {
        self.consent.as_ref()
    }

    /// The first of `required` the person has not granted, if any.
    pub fn missing_consent(&self, required: &[String]) -> Option<String> {
        required
            .iter()
            .find(|c| !self.consent.as_ref().is_some_and(|k| k.grants(c)))
            .cloned()
    }

    /// Keeps `consent` when it is newer than what is kept (an equal or older one changes nothing).
    /// A change is a new version: what reads may use has changed.
    pub fn apply_consent(&mut self, consent: &Consent) -> Result<Applied, StateError> {
        let mut tx = Tx::default();
        if self.meta.suppressed_since_ms.is_some() {
            return self.finish(tx, Outcome::Suppressed);
        }
        if self
            .consent
            .as_ref()
            .is_some_and(|kept| kept.at_ms >= consent.at_ms)
        {
            return self.finish(tx, Outcome::Stale);
        }
        let changed = self
            .consent
            .as_ref()
            .is_none_or(|kept| kept.categories != consent.categories);
        tx.put(RowKind::Consent, CONSENT_KEY, consent);
        self.consent = Some(consent.clone());
        if changed {
            self.meta.version += 1;
        }
        self.put_meta(&mut tx);
        self.finish(
            tx,
            if changed {
                Outcome::Changed
            } else {
                Outcome::Stale
            },
        )
    }
}
