//! Segment's Public API regulations endpoint (`POST https://api.segmentapis.com/regulations`,
//! `Authorization: Bearer <token>`, `Content-Type: application/vnd.segment.v1+json`): where the
//! person's object files a user deletion after an erasure, so that what was forwarded to Segment
//! (memories) goes too. The body is `{"regulationType", "subjectType": "USER_ID", "subjectIds":
//! [user id]}`. One attempt per call; retries and their backoff are the core's
//! ([`crate::state::PersonState::regulation_done`]).

use serde_json::json;
use worker::{AbortSignal, Fetch, Headers, Method, Request, RequestInit};

use crate::state::Filing;

/// Segment's Public API, for regulations.
#[derive(Debug, Clone)]
pub(super) struct RegulationApi {
    /// `SEGMENT_PUBLIC_API_URL` (default `https://api.segmentapis.com/regulations`; EU workspaces:
    /// `https://eu1.api.segmentapis.com/regulations`).
    pub(super) url: String,
    /// `SEGMENT_PUBLIC_API_TOKEN`: a Public API token allowed to create regulations.
    pub(super) token: String,
    /// `SEGMENT_REGULATION_TYPE` (default `SUPPRESS_WITH_DELETE`, as the Worker's own erasure
    /// suppresses; `DELETE_ONLY` deletes without suppressing).
    pub(super) regulation_type: String,
    /// Per attempt, in ms (`SEGMENT_TIMEOUT_MS`).
    pub(super) timeout_ms: u32,
}

impl RegulationApi {
    /// Files a deletion of `user`: accepted (2xx), worth a retry (429, 5xx, network, timeout), or
    /// refused for good (another status).
    pub(super) async fn file(&self, user: &str) -> Filing {
        match self.send(user).await {
            Ok(status) if (200..300).contains(&status) => Filing::Accepted,
            Ok(status) => {
                worker::console_warn!("edge-persona: Segment regulations answered {status}");
                if status == 429 || status >= 500 {
                    Filing::Retry
                } else {
                    Filing::Refused
                }
            }
            Err(e) => {
                worker::console_warn!("edge-persona: Segment regulations: {e}");
                Filing::Retry
            }
        }
    }

    async fn send(&self, user: &str) -> worker::Result<u16> {
        let headers = Headers::new();
        headers.set("authorization", &format!("Bearer {}", self.token))?;
        headers.set("content-type", "application/vnd.segment.v1+json")?;
        headers.set("accept", "application/vnd.segment.v1+json")?;
        let body = json!({
            "regulationType": self.regulation_type,
            "subjectType": "USER_ID",
            "subjectIds": [user],
        });
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
