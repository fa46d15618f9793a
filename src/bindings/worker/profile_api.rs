//! The Segment Profile API client: the person's object ([`super::person`]) seeds their state from
//! the bundle it fetches.
//!
//! `GET <base>/v1/spaces/<space>/collections/users/profiles/user_id:<id>/{traits,events}`, HTTP Basic
//! with the access token as user name and an empty password, pages followed through `cursor.next`
//! (bounded), every call bounded by a timeout (`AbortSignal.timeout`) and the whole fetch, pages and
//! retries together, by a budget (`SEGMENT_BUDGET_MS`). A 429, a 5xx or a network error (a timeout
//! included) is retried once after a short pause; a 404, a second failure or a spent budget gives
//! up. Traits without their events (those failed, or the budget ran out during them) are answered
//! as incomplete, so that the object stores them as partial and fetches again later.

use serde_json::{json, Value as Json};
use worker::{AbortSignal, Date, Delay, Fetch, Headers, Method, Request, RequestInit};

/// Profile API settings.
#[derive(Debug, Clone)]
pub struct SegmentApi {
    pub base: String,
    pub space_id: String,
    pub token: String,
    pub timeout_ms: u32,
    pub max_pages: usize,
    /// The most one fetch may take in all, pages and retries included (milliseconds).
    pub budget_ms: u64,
}

/// Why a profile could not be fetched (logged, never shown to callers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchFailure {
    NotFound,
    /// A 429, with the pause `Retry-After` asked for (milliseconds), when it did.
    RateLimited(Option<u64>),
    Upstream(u16),
    Network,
    BadBody,
    /// The budget was spent before the profile was complete.
    OutOfTime,
}

/// Milliseconds left until `deadline` (a `Date::now()` in milliseconds).
fn left_until(deadline: u64) -> u64 {
    deadline.saturating_sub(Date::now().as_millis())
}

/// What [`SegmentApi::fetch_bundle`] got: the bundle, and whether its events could be read.
#[derive(Debug, Clone)]
pub struct FetchedBundle {
    pub bundle: Json,
    pub events_complete: bool,
}

const RETRY_PAUSE_MS: u64 = 250;
/// The longest pause before the retry, whatever `Retry-After` says: the person is waiting.
const MAX_RETRY_PAUSE_MS: u64 = 1_000;

/// The pause before retrying after `failure`, when it is worth a retry: a 429 after what its
/// `Retry-After` asked for (at most [`MAX_RETRY_PAUSE_MS`]), a 5xx or a network error after
/// [`RETRY_PAUSE_MS`].
fn retry_pause(failure: &FetchFailure) -> Option<u64> {
    let pause = match failure {
        FetchFailure::RateLimited(asked) => asked.unwrap_or(RETRY_PAUSE_MS),
        FetchFailure::Upstream(500..=599) | FetchFailure::Network => RETRY_PAUSE_MS,
        _ => return None,
    };
    Some(pause.min(MAX_RETRY_PAUSE_MS))
}

/// Percent-encodes a path segment (RFC 3986 unreserved characters stay).
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `Authorization` value of HTTP Basic with the token as user name and an empty password.
pub(super) fn basic_auth(token: &str) -> String {
    format!(
        "Basic {}",
        crate::base64::standard_encode(format!("{token}:").as_bytes())
    )
}

impl SegmentApi {
    fn profile_url(&self, user_id: &str, what: &str) -> String {
        format!(
            "{}/v1/spaces/{}/collections/users/profiles/user_id:{}/{what}",
            self.base.trim_end_matches('/'),
            encode_segment(&self.space_id),
            encode_segment(user_id)
        )
    }

    async fn get_once(&self, url: &str, deadline: u64) -> Result<Json, FetchFailure> {
        let left = u32::try_from(left_until(deadline)).unwrap_or(u32::MAX);
        if left == 0 {
            return Err(FetchFailure::OutOfTime);
        }
        let headers = Headers::new();
        headers
            .set("authorization", &basic_auth(&self.token))
            .map_err(|_| FetchFailure::Network)?;
        headers
            .set("accept", "application/json")
            .map_err(|_| FetchFailure::Network)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Get).with_headers(headers);
        let req = Request::new_with_init(url, &init).map_err(|_| FetchFailure::Network)?;
        let signal = AbortSignal::from(worker::web_sys::AbortSignal::timeout_with_u32(
            self.timeout_ms.min(left),
        ));
        let mut resp = Fetch::Request(req)
            .send_with_signal(&signal)
            .await
            .map_err(|_| FetchFailure::Network)?;
        match resp.status_code() {
            200..=299 => resp.json::<Json>().await.map_err(|_| FetchFailure::BadBody),
            404 => Err(FetchFailure::NotFound),
            429 => Err(FetchFailure::RateLimited(
                resp.headers()
                    .get("retry-after")
                    .ok()
                    .flatten()
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(|s| s.saturating_mul(1000)),
            )),
            s => Err(FetchFailure::Upstream(s)),
        }
    }

    /// One GET with a single retry on 429 (after `Retry-After`, at most [`MAX_RETRY_PAUSE_MS`]), 5xx and
    /// network errors (timeouts included), within the budget that ends at `deadline`.
    async fn get(&self, url: &str, deadline: u64) -> Result<Json, FetchFailure> {
        let pause = match self.get_once(url, deadline).await {
            Err(failure) => match retry_pause(&failure) {
                Some(pause) => pause,
                None => return Err(failure),
            },
            ok => return ok,
        };
        if pause >= left_until(deadline) {
            return Err(FetchFailure::OutOfTime);
        }
        Delay::from(std::time::Duration::from_millis(pause)).await;
        self.get_once(url, deadline).await
    }

    /// All pages of a list (`traits` or `events`), following `cursor.next` up to `max_pages`.
    async fn pages(
        &self,
        user_id: &str,
        what: &str,
        limit: u32,
        deadline: u64,
    ) -> Result<Vec<Json>, FetchFailure> {
        let base = self.profile_url(user_id, what);
        let mut pages = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..self.max_pages.max(1) {
            let url = match &next {
                None => format!("{base}?limit={limit}"),
                Some(cursor) => format!("{base}?limit={limit}&next={}", encode_segment(cursor)),
            };
            let page = self.get(&url, deadline).await?;
            let cursor = page.get("cursor");
            let has_more = cursor
                .and_then(|c| c.get("has_more"))
                .and_then(Json::as_bool)
                .unwrap_or(false);
            next = cursor
                .and_then(|c| c.get("next"))
                .and_then(Json::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string);
            pages.push(page);
            if !has_more || next.is_none() {
                break;
            }
        }
        Ok(pages)
    }

    /// The person's bundle (`{"profile_id", "traits": [pages], "events": [pages]}`), as the core's
    /// importer reads it.
    pub async fn fetch_bundle(&self, user_id: &str) -> Result<FetchedBundle, FetchFailure> {
        let deadline = Date::now().as_millis().saturating_add(self.budget_ms);
        let traits = self.pages(user_id, "traits", 200, deadline).await?;
        // Events are optional: a profile whose events cannot be read (or not within the budget)
        // still has its traits, and says so, so that the person's state retries the events later.
        let events = self.pages(user_id, "events", 100, deadline).await;
        let events_complete = events.is_ok();
        Ok(FetchedBundle {
            bundle: json!({
                "profile_id": format!("user_id:{user_id}"),
                "traits": traits,
                "events": events.unwrap_or_default(),
            }),
            events_complete,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_what_retry_after_asks_within_the_cap() {
        assert_eq!(
            retry_pause(&FetchFailure::RateLimited(Some(1000))),
            Some(1000)
        );
        assert_eq!(
            retry_pause(&FetchFailure::RateLimited(Some(60_000))),
            Some(MAX_RETRY_PAUSE_MS)
        );
        assert_eq!(
            retry_pause(&FetchFailure::RateLimited(None)),
            Some(RETRY_PAUSE_MS)
        );
        assert_eq!(
            retry_pause(&FetchFailure::Upstream(503)),
            Some(RETRY_PAUSE_MS)
        );
        assert_eq!(retry_pause(&FetchFailure::Network), Some(RETRY_PAUSE_MS));
        for final_answer in [
            FetchFailure::NotFound,
            FetchFailure::Upstream(400),
            FetchFailure::BadBody,
        ] {
            assert_eq!(retry_pause(&final_answer), None);
        }
    }

    #[test]
    fn auth_and_paths() {
        assert_eq!(basic_auth("tok"), "Basic dG9rOg==");
        assert_eq!(encode_segment("a b/c:d"), "a%20b%2Fc%3Ad");
        let api = SegmentApi {
            base: "https://profiles.segment.com/".into(),
            space_id: "spa".into(),
            token: "t".into(),
            timeout_ms: 1,
            max_pages: 1,
            budget_ms: 1,
        };
        assert_eq!(
            api.profile_url("jeff/1", "traits"),
            "https://profiles.segment.com/v1/spaces/spa/collections/users/profiles/user_id:jeff%2F1/traits"
        );
    }
}
