//! The person object: one Durable Object per user id (`idFromName(user_id)`), the single writer of
//! that person's profile state ([`crate::state`]). Updates reach it one at a time, in order; it
//! keeps the state in its SQLite table and in memory, compiles the snapshots, and publishes them to
//! KV from its alarm, at most once per second per key. Everything it decides is the core's; this
//! file is storage, KV, the Profile API and scheduling.
//!
//! Internal routes (only the Worker reaches them, through the binding; `?user=<id>` on each):
//!
//! | route | what |
//! | --- | --- |
//! | `POST /apply` | body: an encoded [`Update`]; answers `{"outcome", "version"}` once stored |
//! | `GET /snapshot?target=server\|browser[&missing=1]` | the current snapshot (`x-state-version`), compiled here when stale; seeds from the Profile API when the state is empty; 404 when there is none or the person is erased |
//! | `POST /erase` | erasure: rows, KV snapshots and the legacy source go, the suppression marker stays |
//! | `POST /lift` | lifts the suppression |
//! | `POST /memories` | body `{"text", "key"?, "category"?, "source"}`: remembers; 201 `{"memory", "version"}` once stored, 400 `{"error"}` for bad input, 409 for an erased person |
//! | `GET /memories` | `{"memories": [...]}`, newest first |
//! | `DELETE /memories?id=<id>` | forgets; `{"forgotten", "version"}`, 404 when there is no such memory |
//! | `GET /stats` | counts and counters, no profile data |
//! | `POST /consent` | body: encoded [`Consent`]; kept when it is the newest (`consent.rs` of the state) |
//! | `POST /audit`, `GET /audit?limit=&since=` | records what a read was told; lists the records (`audit.rs`) |
//!
//! A person first seen here is migrated from a legacy `src:v1:` bundle in KV when there is one
//! (which is then deleted); else, with the Profile API configured, seeded from it before its first
//! publication. Rows are written in one transaction per operation; the Durable Object's output gate
//! holds the answer until they are durable.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use serde_json::{json, Value as Json};
use worker::{durable_object, DurableObject, Env, Headers, Method, Request, Response, State};

use crate::errors::{MemoryError, StateError};
use crate::import::segment::import_value;
use crate::import::ImportLimits;
use crate::policy::Target;
use crate::snapshot::kv;
use crate::snapshot::pace::Every;
use crate::state::{
    Applied, AuditQuery, AuditRecord, Change, Consent, Filing, MemoryInput, Outcome, PersonState,
    Update, WriteRules,
};

use super::config::Config;
use super::now_ms;
use super::person_compilers::{slot_of, Compilers};
use super::person_flight::InFlight;
use super::person_kv::{self, Put};
use super::person_sql as sql;
use super::profile_api::FetchFailure;

/// The header of the state version a snapshot answer was compiled from.
pub(super) const VERSION_HEADER: &str = "x-state-version";
/// The header of a `404` snapshot answer naming the consent category the person has not granted.
pub(super) const REASON_HEADER: &str = "x-missing-consent";
/// How long a read waits for a Profile API fetch another event has under way.
const FETCH_WAIT_MS: u64 = 10_000;
/// The pause after a failed KV publication before the alarm tries again.
const PUBLISH_RETRY_MS: i64 = 5_000;
/// Bytes of values a compiler analyzes in one turn of the event loop ([`Person::compiled`]): a few
/// milliseconds of CPU, after which the requests of other people that share this isolate go.
const WARM_SLICE_BYTES: usize = 8 * 1024;
/// Units of assembly work ([`crate::snapshot::pace`]: an item, a term, a posting) done in one
/// turn of the event loop: a few milliseconds at most.
const ASSEMBLY_SLICE_UNITS: usize = 16 * 1024;

/// One policy's snapshot of one state version.
struct Compiled {
    version: u64,
    bytes: Vec<u8>,
}

/// KV metadata of a published snapshot: the state version it was compiled from.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct SnapshotMeta {
    pub(super) v: u64,
}

#[durable_object(alarm)]
pub struct Person {
    state: State,
    env: Env,
    /// The state, once loaded (rows, or a new person's).
    person: RefCell<Option<PersonState>>,
    /// Whether the table has rows: an unknown person who was only read is never stored.
    stored: Cell<bool>,
    /// The last compiled snapshot per policy (server, browser): a read compiles only its own.
    compiled: RefCell<[Option<Rc<Compiled>>; 2]>,
    /// Per policy (server, browser), the compiler that keeps what it analyzed between
    /// publications: an update re-analyzes only what it changed.
    compilers: Compilers,
    fetching: Cell<bool>,
    last_fetch_ms: Cell<Option<i64>>,
    /// Publications and memory sends under way ([`InFlight`]).
    flight: InFlight,
    /// A reader found no readable snapshot in KV: publish the current one again.
    kv_missing: Cell<bool>,
    alarm_at: Cell<Option<i64>>,
    /// Whole-state writes found unfinished and discarded since the object started (a
    /// migration interrupted, then started over): `GET /stats`.
    discarded_writes: Cell<u32>,
}

impl DurableObject for Person {
    fn new(state: State, env: Env) -> Self {
        if let Err(e) = sql::ensure_schema(&state.storage().sql()) {
            worker::console_error!("edge-persona: person schema: {e}");
        }
        Self {
            state,
            env,
            person: RefCell::new(None),
            stored: Cell::new(false),
            compiled: RefCell::new([None, None]),
            compilers: Compilers::default(),
            fetching: Cell::new(false),
            last_fetch_ms: Cell::new(None),
            flight: InFlight::default(),
            kv_missing: Cell::new(false),
            alarm_at: Cell::new(None),
            discarded_writes: Cell::new(0),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let url = req.url()?;
        let param = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        let Some(user) = param("user").filter(|u| !u.is_empty()) else {
            return Response::error("no user", 400);
        };
        let cfg = Config::from_env(&self.env);
        if let Err(e) = self.ensure_loaded(&user, &cfg).await {
            worker::console_error!("edge-persona: person state: {e}");
            return Response::error("state unavailable", 500);
        }
        let result = match (req.method(), url.path()) {
            (Method::Post, "/apply") => {
                let body = req.bytes().await?;
                self.apply(&body, &cfg).await
            }
            (Method::Get, "/snapshot") => {
                let target = match param("target").as_deref() {
                    Some("browser") => Target::Browser,
                    _ => Target::Server,
                };
                if param("missing").as_deref() == Some("1") {
                    self.kv_missing.set(true);
                }
                self.snapshot(target, &cfg).await
            }
            (Method::Post, "/erase") => {
                let file = param("regulation").as_deref() == Some("1");
                self.erase(&cfg, file).await
            }
            (Method::Post, "/consent") => {
                let body = req.bytes().await?;
                self.consent(&body, &cfg).await
            }
            (Method::Post, "/audit") => {
                let body = req.bytes().await?;
                self.record_audit(&body, &cfg)
            }
            (Method::Get, "/audit") => {
                let pairs: Vec<(String, String)> = url
                    .query_pairs()
                    .filter(|(k, _)| k != "user")
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                self.list_audit(&pairs)
            }
            (Method::Post, "/lift") => self.lift(&cfg).await,
            (Method::Get, "/stats") => self.stats(),
            (Method::Post, "/memories") => {
                let body = req.bytes().await?;
                self.remember(&body, &cfg).await
            }
            (Method::Get, "/memories") => self.list_memories(),
            (Method::Delete, "/memories") => {
                self.forget(param("id").as_deref().unwrap_or(""), &cfg)
                    .await
            }
            _ => Response::error("not found", 404),
        };
        result.or_else(|e| {
            worker::console_error!("edge-persona: person: {e}");
            Response::error("state unavailable", 500)
        })
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.alarm_at.set(None);
        let cfg = Config::from_env(&self.env);
        if self.person.borrow().is_none() {
            // Woken after eviction: the rows say who this is (an alarm is only set once stored).
            let storage = self.state.storage();
            // An unfinished migration's rows are not a state (the next event starts it over).
            let discarded = sql::discard_unfinished(&storage)?;
            self.count_discarded(discarded);
            match PersonState::from_rows(sql::read_rows(&storage.sql())?) {
                Ok(Some(st)) => {
                    self.stored.set(true);
                    *self.person.borrow_mut() = Some(st);
                }
                Ok(None) => return Response::ok(""),
                Err(e) => return Err(e.to_string().into()),
            }
        }
        let now = now_ms();
        let fetch_due = self.with_state(|st| {
            st.suppressed_since().is_none() && st.pending_fetch().is_some_and(|f| f.due_ms <= now)
        });
        if fetch_due == Some(true) {
            self.fetch_profile(&cfg).await;
        }
        self.forward_memories(&cfg).await?;
        self.file_regulation(&cfg).await?;
        let now = now_ms();
        if self
            .with_state(|st| st.next_expiry(&cfg.state).is_some_and(|t| t <= now))
            .unwrap_or(false)
        {
            if let Some(result) = self.with_state(|st| st.expire(&cfg.state, now)) {
                self.store(result)?;
            }
        }
        let retry = match self.publish(&cfg, false).await {
            Ok(_) => None,
            Err(e) => {
                worker::console_warn!("edge-persona: publish: {e}");
                Some(now_ms() + PUBLISH_RETRY_MS)
            }
        };
        self.schedule(&cfg, retry).await?;
        Response::ok("")
    }
}

impl Person {
    /// Counts an unfinished whole-state write found and discarded when loading.
    fn count_discarded(&self, discarded: bool) {
        if discarded {
            self.discarded_writes.set(self.discarded_writes.get() + 1);
        }
    }

    /// Runs `f` on the loaded state (no await inside, so nothing interleaves).
    fn with_state<T>(&self, f: impl FnOnce(&mut PersonState) -> T) -> Option<T> {
        self.person.borrow_mut().as_mut().map(f)
    }

    /// Loads the state on the first event: the rows, else a legacy source bundle from KV, else a
    /// new person. Other events wait (`blockConcurrencyWhile`), so it happens once.
    async fn ensure_loaded(&self, user: &str, cfg: &Config) -> worker::Result<()> {
        if self.person.borrow().is_some() {
            return Ok(());
        }
        let storage = self.state.storage();
        let kv = self.env.kv("PROFILES").ok();
        let (user, settings) = (user.to_string(), cfg.state);
        let (fetch_first, slice_rows) = (cfg.fetch_configured(), cfg.slice_rows);
        let loaded = self
            .state
            .block_concurrency_while(async move {
                // Errors are values here: an `Err` would reset the object.
                let how = (&settings, fetch_first, slice_rows);
                Ok(load_or_migrate(storage, kv, &user, how).await)
            })
            .await?;
        let loaded = loaded.map_err(worker::Error::RustError)?;
        self.count_discarded(loaded.discarded);
        if self.person.borrow().is_none() {
            self.stored.set(loaded.stored);
            *self.person.borrow_mut() = Some(loaded.state);
        }
        Ok(())
    }

    /// Writes an operation's rows (when the person is stored or the operation changed something);
    /// on any failure the memory copy is dropped, to be reloaded from the rows.
    fn store(&self, result: Result<Applied, StateError>) -> worker::Result<Applied> {
        let applied = result.map_err(|e| {
            *self.person.borrow_mut() = None;
            worker::Error::RustError(e.to_string())
        })?;
        if self.stored.get() || applied.outcome == Outcome::Changed {
            if let Err(e) = sql::write(&self.state.storage(), applied.changes.clone()) {
                *self.person.borrow_mut() = None;
                *self.compiled.borrow_mut() = [None, None];
                self.compilers.forget();
                return Err(e);
            }
            self.stored.set(true);
        }
        Ok(applied)
    }

    /// Stores an erasure: the whole database goes (`deleteAll`, so that no page or log of SQLite
    /// keeps the person's rows), then the table and the metadata row with the suppression marker.
    async fn store_erasure(&self, result: Result<Applied, StateError>) -> worker::Result<Applied> {
        let mut applied = result.map_err(|e| {
            *self.person.borrow_mut() = None;
            worker::Error::RustError(e.to_string())
        })?;
        let storage = self.state.storage();
        let rest = match applied.changes.split_first() {
            Some((Change::Clear, rest)) => rest.to_vec(),
            _ => return Err(worker::Error::RustError("erasure without a clear".into())),
        };
        let written = async {
            storage.delete_all().await?;
            sql::ensure_schema(&storage.sql())?;
            sql::write(&storage, rest)
        }
        .await;
        if let Err(e) = written {
            *self.person.borrow_mut() = None;
            return Err(e);
        }
        self.stored.set(true);
        self.alarm_at.set(None);
        applied.changes.clear();
        Ok(applied)
    }

    async fn apply(&self, body: &[u8], cfg: &Config) -> worker::Result<Response> {
        let update = match Update::decode(body) {
            Ok(u) => u,
            Err(e) => return Response::error(e.to_string(), 400),
        };
        let now = now_ms();
        let result = self
            .with_state(|st| st.apply(&update, &cfg.state, now))
            .ok_or_else(|| worker::Error::RustError("state not loaded".into()))?;
        let applied = self.store(result)?;
        self.schedule(cfg, None).await?;
        Response::from_json(&json!({
            "outcome": applied.outcome,
            "version": applied.version,
        }))
    }

    async fn snapshot(&self, target: Target, cfg: &Config) -> worker::Result<Response> {
        let now = now_ms();
        let Some((suppressed, empty, fetch_due)) = self.with_state(|st| {
            (
                st.suppressed_since().is_some(),
                st.is_empty(),
                st.pending_fetch().is_some_and(|f| f.due_ms <= now),
            )
        }) else {
            return Response::error("state not loaded", 500);
        };
        if suppressed {
            return Response::error("no profile", 404);
        }
        if let Some(category) = self
            .with_state(|st| st.missing_consent(&cfg.consent.personalization))
            .flatten()
        {
            let headers = Headers::new();
            headers.set(REASON_HEADER, &category)?;
            return Ok(Response::error("no consent", 404)?.with_headers(headers));
        }
        // An empty state is seeded from the Profile API now: when a fetch is due, or (a person
        // whose rows all expired, or who was never found) at most once per retry pause.
        let recently = self
            .last_fetch_ms
            .get()
            .is_some_and(|t| now - t < cfg.state.fetch_retry_ms);
        if empty && (fetch_due || !recently) {
            self.fetch_profile(cfg).await;
        }
        let compiled = self.compiled(cfg, target).await;
        self.schedule(cfg, None).await?;
        let Some(c) = compiled else {
            return Response::error("no profile", 404);
        };
        let headers = Headers::new();
        headers.set(VERSION_HEADER, &c.version.to_string())?;
        headers.set("content-type", "application/octet-stream")?;
        Ok(Response::from_bytes(c.bytes.clone())?.with_headers(headers))
    }

    async fn erase(&self, cfg: &Config, file_regulation: bool) -> worker::Result<Response> {
        let now = now_ms();
        let file = file_regulation && cfg.regulations.is_some();
        let result = self
            .with_state(|st| st.erase_filing(now, file))
            .ok_or_else(|| worker::Error::RustError("state not loaded".into()))?;
        let applied = self.store_erasure(result).await?;
        *self.compiled.borrow_mut() = [None, None];
        // What the compilers analyzed is the person's data too.
        self.compilers.forget();
        // Marked: no memory send starts any more; the one under way, if any, ends first.
        self.flight.forwards_settled(None).await;
        // The KV copies go now (after the publication under way and the KV write interval, at
        // most a second), each key retried; else from the alarm, until confirmed.
        if let Err(e) = self.publish(cfg, true).await {
            worker::console_warn!("edge-persona: erase KV: {e}");
        }
        let kv_deleted = self
            .with_state(|st| !st.kv_erase_pending())
            .unwrap_or(false);
        let retry = (!kv_deleted).then(|| now_ms() + PUBLISH_RETRY_MS);
        self.schedule(cfg, retry).await?;
        Response::from_json(
            &json!({"erased": true, "version": applied.version, "kv_deleted": kv_deleted}),
        )
    }

    async fn lift(&self, cfg: &Config) -> worker::Result<Response> {
        let now = now_ms();
        let result = self
            .with_state(|st| st.lift_suppression(cfg.fetch_configured(), now))
            .ok_or_else(|| worker::Error::RustError("state not loaded".into()))?;
        let applied = self.store(result)?;
        self.last_fetch_ms.set(None);
        self.schedule(cfg, None).await?;
        Response::from_json(&json!({"suppressed": false, "version": applied.version}))
    }

    async fn remember(&self, body: &[u8], cfg: &Config) -> worker::Result<Response> {
        let Ok(args) = serde_json::from_slice::<Json>(body) else {
            return Response::from_json(&json!({"error": "expected a JSON object"}))
                .map(|r| r.with_status(400));
        };
        let label = |k: &str| args.get(k).and_then(Json::as_str).map(str::to_string);
        let input = MemoryInput {
            text: label("text").unwrap_or_default(),
            key: label("key"),
            category: label("category"),
            source: label("source").unwrap_or_else(|| "api".into()),
        };
        let now = now_ms();
        let policy = cfg.policy(Target::Server);
        let result = self
            .with_state(|st| {
                let forward =
                    cfg.tracking.is_some() && st.missing_consent(&cfg.consent.forwarding).is_none();
                let rules = WriteRules {
                    policy: &policy,
                    consent: &cfg.consent.memory,
                    forward,
                };
                st.remember_memory(&input, &rules, &cfg.state, now)
            })
            .ok_or_else(|| worker::Error::RustError("state not loaded".into()))?;
        let remembered = match result {
            Ok(r) => r,
            Err(MemoryError::State(e)) => {
                *self.person.borrow_mut() = None;
                return Err(worker::Error::RustError(e.to_string()));
            }
            Err(e @ MemoryError::Suppressed) => {
                return Response::from_json(&json!({"error": e.to_string()}))
                    .map(|r| r.with_status(409))
            }
            Err(e @ (MemoryError::Withheld { .. } | MemoryError::NoConsent { .. })) => {
                let code = match e {
                    MemoryError::NoConsent { .. } => "consent_not_granted",
                    _ => "personal_data",
                };
                return Response::from_json(&json!({"error": e.to_string(), "code": code}))
                    .map(|r| r.with_status(422));
            }
            Err(e) => {
                return Response::from_json(&json!({"error": e.to_string()}))
                    .map(|r| r.with_status(400))
            }
        };
        let applied = self.store(Ok(remembered.applied))?;
        self.schedule(cfg, None).await?;
        let superseded = match &remembered.outcome {
            crate::state::MemoryOutcome::Superseded(id) => Some(id.clone()),
            _ => None,
        };
        let status = match remembered.outcome {
            crate::state::MemoryOutcome::Duplicate => 200,
            _ => 201,
        };
        Ok(Response::from_json(&json!({
            "memory": remembered.memory.to_json(),
            "outcome": remembered.outcome.name(),
            "superseded": superseded,
            "version": applied.version,
        }))?
        .with_status(status))
    }

    fn list_memories(&self) -> worker::Result<Response> {
        let memories: Vec<Json> = self
            .with_state(|st| st.memories().map(|m| m.to_json()).collect())
            .unwrap_or_default();
        Response::from_json(&json!({ "memories": memories }))
    }

    async fn forget(&self, id: &str, cfg: &Config) -> worker::Result<Response> {
        let result = self
            .with_state(|st| st.forget_memory(id))
            .ok_or_else(|| worker::Error::RustError("state not loaded".into()))?;
        let applied = match result {
            Ok(a) => self.store(Ok(a))?,
            Err(MemoryError::State(e)) => {
                *self.person.borrow_mut() = None;
                return Err(worker::Error::RustError(e.to_string()));
            }
            Err(e) => {
                return Response::from_json(&json!({"error": e.to_string()}))
                    .map(|r| r.with_status(404))
            }
        };
        // Forgotten: its send, if one is under way, ends before the answer; none starts again.
        self.flight.forwards_settled(Some(id)).await;
        self.schedule(cfg, None).await?;
        Response::from_json(&json!({"forgotten": id, "version": applied.version}))
    }

    /// Sends the memories whose forwarding is due to Segment's Tracking API, one at a time, and
    /// stores each outcome (the core decides the retries). Without a write key (removed since the
    /// memory was queued) there is nothing to send to: the forwarding is dropped.
    async fn forward_memories(&self, cfg: &Config) -> worker::Result<()> {
        let due = self
            .with_state(|st| st.forwards_due(now_ms()))
            .unwrap_or_default();
        for memory in due {
            // After the last await, before sending: still kept, still to send, the person not
            // erased (a forget or an erasure may have landed while the previous one was sent);
            // consent withdrawn since the memory was queued: nothing is sent, the forwarding ends.
            let check = self
                .with_state(|st| {
                    let may =
                        st.suppressed_since().is_none() && st.forward_pending(&memory.id).is_some();
                    let consented = st.missing_consent(&cfg.consent.forwarding).is_none();
                    may.then(|| (consented, st.track_body(&memory)))
                })
                .flatten();
            let Some((consented, body)) = check else {
                continue;
            };
            let sent = match &cfg.tracking {
                Some(_) if !consented => true,
                Some(api) => {
                    let _sending = self.flight.forwarding(&memory.id);
                    api.send(&body).await
                }
                None => true,
            };
            let now = now_ms();
            if let Some(result) =
                self.with_state(|st| st.forward_done(&memory.id, sent, &cfg.state, now))
            {
                self.store(result)?;
            }
        }
        Ok(())
    }

    fn stats(&self) -> worker::Result<Response> {
        let stored = self.stored.get();
        let body = self
            .with_state(|st| {
                let c = st.counters();
                json!({
                    "stored": stored,
                    "unfinished_writes_discarded": self.discarded_writes.get(),
                    "version": st.version(),
                    "published_version": st.published_version(),
                    "traits": st.trait_count(),
                    "events": st.event_count(),
                    "memories": st.memory_count(),
                    "bytes": st.bytes(),
                    "suppressed": st.suppressed_since().is_some(),
                    "kv_erase_pending": st.kv_erase_pending(),
                    "audit_records": st.audit_count(),
                    "consent": st.consent().map(|c| c.to_json()),
                    "regulation": {
                        "pending": st.regulation().pending.is_some(),
                        "filed": st.regulation().filed,
                        "given_up": st.regulation().given_up,
                    },
                    "pending_fetch": st.pending_fetch().map(|f| json!({
                        "attempts": f.attempts, "due_ms": f.due_ms, "partial": f.partial,
                    })),
                    "counters": {
                        "applied": c.applied,
                        "duplicates": c.duplicates,
                        "stale_trait_writes": c.stale_trait_writes,
                        "events_evicted": c.events_evicted,
                        "traits_evicted": c.traits_evicted,
                        "events_expired": c.events_expired,
                        "traits_expired": c.traits_expired,
                        "fetches_given_up": c.fetches_given_up,
                    },
                })
            })
            .unwrap_or(Json::Null);
        Response::from_json(&body)
    }

    /// Keeps a message's consent preferences when they are the newest.
    async fn consent(&self, body: &[u8], cfg: &Config) -> worker::Result<Response> {
        let consent = match Consent::decode(body) {
            Ok(c) => c,
            Err(e) => return Response::error(e.to_string(), 400),
        };
        let result = self
            .with_state(|st| st.apply_consent(&consent))
            .ok_or_else(|| worker::Error::RustError("state not loaded".into()))?;
        let applied = self.store(result)?;
        self.schedule(cfg, None).await?;
        Response::from_json(&json!({
            "outcome": applied.outcome,
            "version": applied.version,
        }))
    }

    /// Records what reads were told, a batch at a time (nothing for a person with no rows: reads
    /// of nobody are not audited into existence).
    fn record_audit(&self, body: &[u8], cfg: &Config) -> worker::Result<Response> {
        let records = match AuditRecord::decode_batch(body) {
            Ok(r) => r,
            Err(e) => return Response::error(e.to_string(), 400),
        };
        if !self.stored.get() {
            return Response::ok("");
        }
        // One transaction for the batch.
        let mut batch: Option<Applied> = None;
        for record in records {
            let Some(result) = self.with_state(|st| st.record_audit(record, &cfg.state.audit))
            else {
                break;
            };
            match (&mut batch, result) {
                (_, Err(e)) => return self.store(Err(e)).map(|_| Response::empty())?,
                (Some(b), Ok(a)) => {
                    b.changes.extend(a.changes);
                    b.outcome = a.outcome;
                }
                (None, Ok(a)) => batch = Some(a),
            }
        }
        if let Some(b) = batch {
            self.store(Ok(b))?;
        }
        Response::ok("")
    }

    fn list_audit(&self, pairs: &[(String, String)]) -> worker::Result<Response> {
        let query = match AuditQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
            Ok(q) => q,
            Err(e) => return Response::error(e.to_string(), 400),
        };
        let records: Vec<Json> = self
            .with_state(|st| {
                st.audit_records(&query)
                    .iter()
                    .map(|r| r.to_json())
                    .collect()
            })
            .unwrap_or_default();
        Response::from_json(&json!({ "records": records }))
    }

    /// Files the Segment regulation an erasure queued, when it is due; the core decides retries.
    async fn file_regulation(&self, cfg: &Config) -> worker::Result<()> {
        let now = now_ms();
        let Some((user, due)) = self.with_state(|st| {
            (
                st.user_id().to_string(),
                st.next_regulation().is_some_and(|t| t <= now),
            )
        }) else {
            return Ok(());
        };
        if !due {
            return Ok(());
        }
        let filing = match &cfg.regulations {
            Some(api) => api.file(&user).await,
            // The token was removed since: nothing to file with.
            None => Filing::Refused,
        };
        let now = now_ms();
        if let Some(result) = self.with_state(|st| st.regulation_done(filing, &cfg.state, now)) {
            self.store(result)?;
        }
        Ok(())
    }

    /// The `target` snapshot of the current version: the one kept, else compiled here. What the
    /// compiler has not analyzed is analyzed [`WARM_SLICE_BYTES`] per turn of the event loop,
    /// then the assembly runs [`ASSEMBLY_SLICE_UNITS`] per turn, so that a compilation at the
    /// state's bounds never holds the isolate (shared with other people's requests) for long.
    /// `None` for an empty state, a person without consent, or one erased meanwhile.
    async fn compiled(&self, cfg: &Config, target: Target) -> Option<Rc<Compiled>> {
        let slot = slot_of(target);
        if let Some(kept) = self.kept_compiled(cfg, slot)? {
            return Some(kept);
        }
        let mut held = self.compilers.hold(cfg, target).await;
        // Compiled by the compilation this one waited for, perhaps.
        if let Some(kept) = self.kept_compiled(cfg, slot)? {
            return Some(kept);
        }
        loop {
            let compiler = &mut held.compiler;
            let done = self
                .with_state(|st| st.warm(compiler, WARM_SLICE_BYTES))
                .unwrap_or(true);
            if done {
                break;
            }
            worker::Delay::from(Duration::ZERO).await;
        }
        let compiler = &mut held.compiler;
        let (version, assembly) = self.with_state(move |st| {
            (!st.is_empty()).then(|| (st.version(), st.prepare_compile(compiler)))
        })??;
        let mut pace = Every::new(ASSEMBLY_SLICE_UNITS, || worker::Delay::from(Duration::ZERO));
        let snapshot = assembly.run(&mut pace).await;
        drop(assembly);
        held.compiler.assembled(&snapshot);
        drop(held);
        // The mark, after the last await: nothing compiled for an erased person leaves here.
        if self.with_state(|st| st.suppressed_since().is_some()) != Some(false) {
            return None;
        }
        let bytes = snapshot
            .encode()
            .map_err(|e| worker::console_error!("edge-persona: snapshot encode: {e}"))
            .ok()?;
        let compiled = Rc::new(Compiled { version, bytes });
        if let Some(place) = self.compiled.borrow_mut().get_mut(slot) {
            // Unless a compilation of a newer version ended first.
            if place.as_ref().is_none_or(|kept| kept.version <= version) {
                *place = Some(compiled.clone());
            }
        }
        Some(compiled)
    }

    /// The kept snapshot of slot `slot` when it is of the current version (`Some(None)`: there
    /// is none); `None` when there is nothing to compile (no state loaded, or no consent: KV's
    /// copies are then deleted and reads are unpersonalized).
    fn kept_compiled(&self, cfg: &Config, slot: usize) -> Option<Option<Rc<Compiled>>> {
        let (version, consented) = self.with_state(|st| {
            (
                st.version(),
                st.missing_consent(&cfg.consent.personalization).is_none(),
            )
        })?;
        if !consented {
            return None;
        }
        let kept = self.compiled.borrow().get(slot).cloned().flatten();
        Some(kept.filter(|c| c.version == version))
    }

    /// Fetches the person from the Profile API and merges what it answers (one fetch at a time: a
    /// second caller waits for the first's).
    async fn fetch_profile(&self, cfg: &Config) {
        let Some(api) = cfg.segment.clone() else {
            return;
        };
        let Some(user) = self.with_state(|st| st.user_id().to_string()) else {
            return;
        };
        if self.fetching.replace(true) {
            // Another event is fetching (the alarm, a read): wait for its answer rather than
            // answer without it.
            let mut waited = 0;
            while self.fetching.get() && waited < FETCH_WAIT_MS {
                worker::Delay::from(Duration::from_millis(25)).await;
                waited += 25;
            }
            return;
        }
        // The mark, after the last await: no Profile API call for an erased person.
        if self.with_state(|st| st.suppressed_since().is_some()) != Some(false) {
            self.fetching.set(false);
            return;
        }
        let started = now_ms();
        self.last_fetch_ms.set(Some(started));
        let fetched = api.fetch_bundle(&user).await;
        self.fetching.set(false);
        let now = now_ms();
        let settings = cfg.state;
        let result = match fetched {
            Ok(f) => match import_value(&f.bundle, &ImportLimits::default()) {
                Ok(profile) => self.with_state(|st| {
                    st.merge_fetched(&profile, started, f.events_complete, &settings, now)
                }),
                Err(e) => {
                    worker::console_warn!("edge-persona: Profile API answer does not import: {e}");
                    self.with_state(|st| st.fetch_failed(false, &settings, now))
                }
            },
            Err(FetchFailure::NotFound) => {
                self.with_state(|st| st.fetch_failed(true, &settings, now))
            }
            Err(e) => {
                worker::console_warn!("edge-persona: Profile API: {e:?}");
                self.with_state(|st| st.fetch_failed(false, &settings, now))
            }
        };
        if let Some(result) = result {
            if let Err(e) = self.store(result) {
                worker::console_error!("edge-persona: store fetched profile: {e}");
            }
        }
    }

    /// Publishes what is due ([`PersonState::publish_due`]): a pending erasure's deletion of every
    /// KV copy first (each key retried until KV confirms it), else both snapshots to KV with the
    /// state version as metadata (or, for an empty state, the deletion of the snapshot keys).
    /// Publications never overlap. `wait`: wait for the one under way and out the KV write
    /// interval (erasure); else a publication already under way or not yet due is left to the
    /// alarm. Returns whether nothing is left to publish.
    async fn publish(&self, cfg: &Config, wait: bool) -> worker::Result<bool> {
        let lock = if wait {
            self.flight.publish_when_free().await
        } else {
            self.flight.try_publish()
        };
        let Some(_lock) = lock else {
            return Ok(false);
        };
        self.publish_due_now(cfg, wait).await
    }

    async fn publish_due_now(&self, cfg: &Config, wait: bool) -> worker::Result<bool> {
        let now = now_ms();
        let kv_missing = self.kv_missing.get();
        let Some(due) = self
            .with_state(|st| st.publish_due(now, kv_missing))
            .flatten()
        else {
            return Ok(true);
        };
        if due > now {
            if !wait {
                return Ok(false);
            }
            worker::Delay::from(Duration::from_millis(u64::try_from(due - now).unwrap_or(0))).await;
        }
        let Some(user) = self.with_state(|st| st.user_id().to_string()) else {
            return Ok(false);
        };
        let store = self.env.kv("PROFILES")?;
        if self.with_state(|st| st.kv_erase_pending()) == Some(true) {
            person_kv::delete_confirmed(&store, &person_kv::every_key(&user)).await?;
            if let Some(result) = self.with_state(|st| st.kv_erased(now_ms())) {
                self.store(result)?;
            }
            self.kv_missing.set(false);
            // Lifted since, with something of its own to publish: that is due next (alarm).
            return Ok(self
                .with_state(|st| st.publish_due(now_ms(), false).is_none())
                .unwrap_or(true));
        }
        let Some(version) = self
            .with_state(|st| st.suppressed_since().is_none().then(|| st.version()))
            .flatten()
        else {
            return Ok(true);
        };
        // Each compilation gives the isolate up between its slices. Each key carries its own
        // version.
        let server = self.compiled(cfg, Target::Server).await;
        let browser = match server {
            Some(_) => self.compiled(cfg, Target::Browser).await,
            None => None,
        };
        let compiled = server.zip(browser);
        let published_version = match &compiled {
            Some((server, browser)) => {
                let puts = [
                    Put {
                        key: kv::snapshot_key(&user),
                        bytes: &server.bytes,
                        version: server.version,
                    },
                    Put {
                        key: kv::browser_snapshot_key(&user),
                        bytes: &browser.bytes,
                        version: browser.version,
                    },
                ];
                // The mark, after every await: an erasure (or one pending) stops the next put.
                let may_write = || {
                    self.with_state(|st| st.suppressed_since().is_none() && !st.kv_erase_pending())
                        .unwrap_or(false)
                };
                if !person_kv::put_snapshots(&store, &puts, cfg.snapshot_ttl, may_write).await? {
                    return Ok(false);
                }
                server.version.min(browser.version)
            }
            None => {
                let keys = [kv::snapshot_key(&user), kv::browser_snapshot_key(&user)];
                person_kv::delete_confirmed(&store, &keys).await?;
                version
            }
        };
        self.kv_missing.set(false);
        if let Some(result) = self.with_state(|st| st.published(published_version, now_ms())) {
            self.store(result)?;
        }
        Ok(true)
    }

    /// Sets the alarm for the next thing due (not before `not_before`), when earlier than the one
    /// set. Only a stored person has an alarm.
    async fn schedule(&self, cfg: &Config, not_before: Option<i64>) -> worker::Result<()> {
        if !self.stored.get() {
            return Ok(());
        }
        let now = now_ms();
        let kv_missing = self.kv_missing.get();
        let Some(wake) = self
            .with_state(|st| st.next_wake(&cfg.state, now, kv_missing))
            .flatten()
        else {
            return Ok(());
        };
        let wake = wake.max(not_before.unwrap_or(i64::MIN));
        if self.alarm_at.get().is_some_and(|at| at <= wake) {
            return Ok(());
        }
        self.state
            .storage()
            .set_alarm(wake.saturating_sub(now).max(0))
            .await?;
        self.alarm_at.set(Some(wake));
        Ok(())
    }
}

/// What loading found: the state, whether it is stored, and whether the rows of a whole-state
/// write that did not finish were discarded first.
struct Loaded {
    state: PersonState,
    stored: bool,
    discarded: bool,
}

/// The rows' state; else a legacy source bundle's (migrated: stored, then deleted from KV); else a
/// new person's. Rows are read and a migration written `slice_rows` per turn of the event loop.
/// Errors as text (the caller is in `blockConcurrencyWhile`, where an error would reset the
/// object).
async fn load_or_migrate(
    storage: worker::Storage,
    kv: Option<worker::KvStore>,
    user: &str,
    (settings, fetch_first, slice_rows): (&crate::state::StateSettings, bool, usize),
) -> Result<Loaded, String> {
    let discarded = sql::discard_unfinished(&storage).map_err(|e| e.to_string())?;
    let rows = sql::read_rows_sliced(&storage.sql(), slice_rows)
        .await
        .map_err(|e| e.to_string())?;
    let loaded = |state, stored| Loaded {
        state,
        stored,
        discarded,
    };
    if let Some(st) = PersonState::from_rows(rows).map_err(|e| e.to_string())? {
        return Ok(loaded(st, true));
    }
    let now = now_ms();
    let mut st = PersonState::new(user, fetch_first, now);
    let Some(kv) = kv else {
        return Ok(loaded(st, false));
    };
    let legacy = kv.get(&kv::source_key(user)).text().await.ok().flatten();
    let Some(text) = legacy else {
        return Ok(loaded(st, false));
    };
    let json = serde_json::from_str::<Json>(&text).map_err(|e| e.to_string());
    drop(text);
    // A bundle can be megabytes: parsing and importing each get a turn of the event loop of
    // their own, and the events are merged and the rows written a slice per turn, so that other
    // objects of this isolate are served in between.
    worker::Delay::from(Duration::ZERO).await;
    let profile = match &json {
        Ok(j) => import_value(j, &ImportLimits::default()).map_err(|e| e.to_string()),
        Err(e) => Err(e.clone()),
    };
    worker::Delay::from(Duration::ZERO).await;
    drop(json);
    worker::Delay::from(Duration::ZERO).await;
    match profile {
        Ok(mut profile) => {
            // Merged `slice_rows` events per turn, the traits with the first. Its age is
            // unknown: any message wins over it (time 0).
            let mut events = std::mem::take(&mut profile.events).into_iter();
            let mut changes = Vec::new();
            loop {
                profile.events = events.by_ref().take(slice_rows).collect();
                let applied = st
                    .merge_fetched(&profile, 0, true, settings, now)
                    .map_err(|e| e.to_string())?;
                changes.extend(applied.changes);
                profile.traits.clear();
                worker::Delay::from(Duration::ZERO).await;
                if events.len() == 0 {
                    break;
                }
            }
            drop(profile);
            sql::write_sliced(&storage, changes, slice_rows)
                .await
                .map_err(|e| e.to_string())?;
            if let Err(e) = kv.delete(&kv::source_key(user)).await {
                worker::console_warn!("edge-persona: legacy source delete: {e}");
            }
            Ok(loaded(st, true))
        }
        Err(e) => {
            worker::console_warn!("edge-persona: legacy source unreadable, left in KV: {e}");
            Ok(loaded(st, false))
        }
    }
}
