//! Segment's Tracking API (`POST /v1/track`, HTTP Basic with the source's write key): where the
//! person's object forwards each memory, from its alarm, so that Segment stays the system of
//! record. One attempt per call; the retries and their backoff are the core's
//! ([`crate::state::PersonState::forward_done`]).

use serde_json::Value as Json;
use worker::{AbortSignal, Fetch, Headers, Method, Request, RequestInit};

use super::profile_api::basic_auth;

/// The Tracking API of a Segment source.
#[derive(Debug, Clone)]
pub(super) struct TrackingApi {
    /// `SEGMENT_TRACKING_URL` (default `https://api.segment.io/v1/track`).
    pub(super) url: String,
    /// `SEGMENT_WRITE_KEY`.
    pub(super) write_key: String,
    /// Per attempt, in ms.
    pub(super) timeout_ms: u32,
}

impl TrackingApi {
    /// Sends one call; `true` when Segment answered 2xx.
    pub(super) async fn send(&self, body: &Json) -> bool {
        match self.send_once(body).await {
            Ok(status) if (200..300).contains(&status) => true,
            Ok(status) => {
                worker::console_warn!("edge-persona: Segment tracking answered {status}");
                false
            }
            Err(e) => {
                worker::console_warn!("edge-persona: Segment tracking: {e}");
                false
            }
        }
    }

    async fn send_once(&self, body: &Json) -> worker::Result<u16> {
        let headers = Headers::new();
        headers.set("authorization", &basic_auth(&self.write_key))?;
        headers.set("content-type", "application/json")?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.to_string().into()));
        let req = Request::new_with_init(&self.url, &init)?;
        let signal = AbortSignal::from(worker::web_sys::AbortSignal::timeout_with_u32(
            self.timeout_ms,
        ));
        let resp = Fetch::Request(req).send_with_signal(&signal).await?;
        Ok(resp.status_code())
    }
}
