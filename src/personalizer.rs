//! One decoded profile behind one handle: the object every binding wraps (the npm package's
//! `Personalizer`, the Worker's per-request state), so that bindings only convert types. Settings
//! are passed per call.

use serde_json::Value as Json;

use crate::errors::{ImportError, InjectError, SnapshotError};
use crate::import::{segment::import_bundle, ImportLimits};
use crate::inject::{inject, user_turns, Api};
use crate::policy::PrivacyPolicy;
use crate::rank::{rank, rank_conversation, RankSettings, RankedItem};
use crate::render::{render, Context, RenderSettings};
use crate::settings::Checked;
use crate::slots;
use crate::snapshot::{compile, Snapshot, SnapshotLimits};

/// A snapshot decoded once, ready for many requests.
#[derive(Debug, Clone)]
pub struct Personalizer {
    snapshot: Snapshot,
}

/// The outcome of personalizing an LLM request.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonalizedRequest {
    /// The request body with the context added (unchanged when nothing was relevant).
    pub body: Json,
    /// The rendered context that was added.
    pub context: Context,
    /// The request shape the body was read as.
    pub api: Api,
}

impl Personalizer {
    /// Decodes snapshot bytes.
    pub fn from_snapshot(bytes: &[u8], limits: &SnapshotLimits) -> Result<Self, SnapshotError> {
        Ok(Self {
            snapshot: Snapshot::decode(bytes, limits)?,
        })
    }

    /// Imports a Segment bundle and compiles it under `policy`.
    pub fn from_profile(
        json: &str,
        policy: &PrivacyPolicy,
        limits: &ImportLimits,
    ) -> Result<Self, ImportError> {
        Ok(Self {
            snapshot: compile(&import_bundle(json, limits)?, policy),
        })
    }

    /// Wraps an already compiled snapshot (the Worker after a rebuild, the CLI).
    pub fn from_compiled(snapshot: Snapshot) -> Self {
        Self { snapshot }
    }

    /// The decoded snapshot.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// Ranked items for a query.
    pub fn rank(
        &self,
        query: &str,
        now_ms: i64,
        settings: &Checked<RankSettings>,
    ) -> Vec<RankedItem> {
        rank(&self.snapshot, query, now_ms, settings)
    }

    /// The context block for a query.
    pub fn context(
        &self,
        query: &str,
        now_ms: i64,
        rank_settings: &Checked<RankSettings>,
        render_settings: &Checked<RenderSettings>,
    ) -> Context {
        self.conversation_context(&[query], now_ms, rank_settings, render_settings)
    }

    /// The context block for a conversation's user turns, oldest first ([`rank_conversation`]).
    pub fn conversation_context(
        &self,
        turns: &[&str],
        now_ms: i64,
        rank_settings: &Checked<RankSettings>,
        render_settings: &Checked<RenderSettings>,
    ) -> Context {
        self.ranked_context(turns, now_ms, rank_settings, render_settings)
            .1
    }

    /// The ranked items of a conversation's user turns and the context block rendered from them,
    /// for callers that answer both (the Worker's `/v1/context` and MCP's `get_user_context`).
    pub fn ranked_context(
        &self,
        turns: &[&str],
        now_ms: i64,
        rank_settings: &Checked<RankSettings>,
        render_settings: &Checked<RenderSettings>,
    ) -> (Vec<RankedItem>, Context) {
        let items = rank_conversation(&self.snapshot, turns, now_ms, rank_settings);
        let context = render(&self.snapshot, &items, now_ms, render_settings);
        (items, context)
    }

    /// Adds the context for the request's user turns (the last weighing most; or `query` alone,
    /// when given) to an LLM request body. `api` is detected from the body when `None`.
    pub fn personalize_request(
        &self,
        mut body: Json,
        api: Option<Api>,
        query: Option<&str>,
        now_ms: i64,
        rank_settings: &Checked<RankSettings>,
        render_settings: &Checked<RenderSettings>,
    ) -> Result<PersonalizedRequest, InjectError> {
        if !body.is_object() {
            return Err(InjectError::NotAnObject);
        }
        let api = api
            .or_else(|| Api::detect(&body))
            .ok_or(InjectError::UnknownApi)?;
        let turns = match query {
            Some(q) => vec![q.to_string()],
            None => user_turns(&body, api, rank_settings.max_turns)?,
        };
        let turns: Vec<&str> = turns.iter().map(String::as_str).collect();
        let context = self.conversation_context(&turns, now_ms, rank_settings, render_settings);
        inject(&mut body, api, &context.text)?;
        Ok(PersonalizedRequest { body, context, api })
    }

    /// See [`slots::slot_value`].
    pub fn slot_value(&self, spec: &str) -> Option<&str> {
        slots::slot_value(&self.snapshot, spec)
    }

    /// See [`slots::condition_holds`].
    pub fn condition_holds(&self, expr: &str) -> bool {
        slots::condition_holds(&self.snapshot, expr)
    }

    /// See [`slots::choose_variant`].
    pub fn choose_variant(
        &self,
        variants: &[&str],
        now_ms: i64,
        settings: &Checked<RankSettings>,
    ) -> Option<usize> {
        slots::choose_variant(&self.snapshot, variants, now_ms, settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BUNDLE: &str = r#"{"profile_id":"user_id:u","traits":{"traits":{"shoe_size":"10.5","first_name":"Ana"}},
        "events":{"data":[{"message_id":"m","event":"Product Viewed","timestamp":"2026-11-20T11:00:00Z","properties":{"category":"Running Shoes"}}]}}"#;

    #[test]
    fn personalizes_a_chat_request_from_its_last_user_turn() {
        let p =
            Personalizer::from_profile(BUNDLE, &PrivacyPolicy::default(), &ImportLimits::default())
                .unwrap();
        let body = json!({"model": "m", "messages": [{"role": "user", "content": "running shoes in my size"}]});
        let out = p
            .personalize_request(
                body,
                None,
                None,
                0,
                &Checked::default(),
                &Checked::default(),
            )
            .unwrap();
        assert_eq!(out.api, Api::OpenAiChat);
        assert_eq!(out.body["messages"][0]["role"], "system");
        assert!(out.body["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("Shoe size"));
        assert_eq!(out.context.items.len(), 2);
    }

    #[test]
    fn round_trips_through_snapshot_bytes_and_rejects_non_objects() {
        let p =
            Personalizer::from_profile(BUNDLE, &PrivacyPolicy::default(), &ImportLimits::default())
                .unwrap();
        let bytes = p.snapshot().encode().unwrap();
        let q = Personalizer::from_snapshot(&bytes, &SnapshotLimits::default()).unwrap();
        assert_eq!(q.slot_value("trait:first_name"), Some("Ana"));
        let err = q.personalize_request(
            json!("x"),
            None,
            None,
            0,
            &Checked::default(),
            &Checked::default(),
        );
        assert_eq!(err.unwrap_err(), InjectError::NotAnObject);
        let err = q.personalize_request(
            json!({}),
            None,
            None,
            0,
            &Checked::default(),
            &Checked::default(),
        );
        assert_eq!(err.unwrap_err(), InjectError::UnknownApi);
    }
}
