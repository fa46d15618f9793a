//! Where a request finds a person's snapshot: this isolate's cache of decoded snapshots, then
//! Workers KV (`snap:v1:`, `snapb:v1:`, with the state version as metadata), then the person's
//! object ([`super::person`]), which compiles (or seeds from the Profile API) there. The request
//! path never compiles a profile.
//!
//! Read-your-writes: an update or erasure handled by this isolate leaves a marker, the version
//! the object answered, for [`FRESH_MS`]; until then a KV copy (or cache entry) of an older
//! version is not trusted and the snapshot is read through the object. The marker only ever
//! raises the version asked for, for the verified caller's own id: it is never an identity.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use worker::{Context, Env};

use crate::personalizer::Personalizer;
use crate::policy::Target;
use crate::snapshot::{kv, SnapshotLimits};

use super::config::Config;
use super::person::SnapshotMeta;
use super::person_client;

/// Until when (ms) an entry holds, the state version it was compiled from, and the person's
/// personalizer (or why there is none).
type CacheEntry = (i64, u64, Result<Rc<Personalizer>, Missing>);

/// Why a person's reads are not personalized, though they are identified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Missing {
    /// No snapshot anywhere (no profile, erased, or the object failed).
    NoProfile,
    /// They have not granted this consent category, which personalization needs.
    NoConsent(String),
}

impl Missing {
    /// As the JSON answers say it: `no_profile` or `consent_not_granted`.
    pub(super) fn reason(&self) -> &'static str {
        match self {
            Self::NoProfile => "no_profile",
            Self::NoConsent(_) => "consent_not_granted",
        }
    }
    /// The consent category missing, if that is the reason.
    pub(super) fn category(&self) -> Option<&str> {
        match self {
            Self::NoConsent(c) => Some(c),
            Self::NoProfile => None,
        }
    }
}

/// How long an update's marker holds (ms): KV's own propagation (about 60 s) and then some.
pub(super) const FRESH_MS: i64 = 90_000;

thread_local! {
    /// Decoded snapshots of this isolate, for `SNAPSHOT_CACHE_SECONDS` (KV itself is eventually
    /// consistent for about 60 s, so this adds little staleness and saves a KV read and a decode).
    /// `None` remembers a person with no snapshot anywhere, so that their requests do not read KV
    /// or ask their object again until the entry expires.
    static CACHE: RefCell<HashMap<String, CacheEntry>> = RefCell::new(HashMap::new());
    /// The least state version a person's snapshot must have, until when (ms): set by updates
    /// handled here.
    static FRESH: RefCell<HashMap<String, (i64, u64)>> = RefCell::new(HashMap::new());
}
/// Most people cached (and marked) per isolate.
const CACHE_ENTRIES: usize = 512;

fn bounded_insert<V>(map: &mut HashMap<String, V>, key: &str, value: V) {
    if map.len() >= CACHE_ENTRIES {
        map.clear();
    }
    map.insert(key.to_string(), value);
}

/// Records that the person's object reached `version` (an update or erasure through this
/// isolate): older copies are not served here until KV has caught up. Drops the cached entry.
pub(super) fn saw_version(user: &str, version: u64, now: i64) {
    CACHE.with(|c| c.borrow_mut().remove(user));
    FRESH.with(|f| {
        let mut f = f.borrow_mut();
        let least = f
            .get(user)
            .filter(|(until, _)| *until > now)
            .map_or(0, |(_, v)| *v);
        bounded_insert(&mut f, user, (now + FRESH_MS, least.max(version)));
    });
}

/// The least version this isolate may serve for the person.
fn least_version(user: &str, now: i64) -> u64 {
    FRESH.with(|f| {
        f.borrow()
            .get(user)
            .filter(|(until, _)| *until > now)
            .map_or(0, |(_, v)| *v)
    })
}

/// The person's snapshot for `target`, read by `read` (`None`: this build cannot read it), and its
/// state version: KV's copy when it is readable and at least as new as this isolate knows of, else
/// the one the person's object answers.
pub(super) async fn current<T>(
    user: &str,
    target: Target,
    env: &Env,
    now: i64,
    read: impl Fn(Vec<u8>) -> Option<T>,
) -> Option<(T, u64)> {
    current_why(user, target, env, now, read).await.ok()
}

/// [`current`], with why there is none.
pub(super) async fn current_why<T>(
    user: &str,
    target: Target,
    env: &Env,
    now: i64,
    read: impl Fn(Vec<u8>) -> Option<T>,
) -> Result<(T, u64), Missing> {
    let least = least_version(user, now);
    let mut kv_missing = true;
    if let Ok(store) = env.kv("PROFILES") {
        let key = kv::snapshot_key_for(target, user);
        match store.get(&key).bytes_with_metadata::<SnapshotMeta>().await {
            Ok((Some(bytes), meta)) => {
                // CLI-loaded snapshots carry no version: 0.
                let version = meta.map_or(0, |m| m.v);
                if let Some(value) = read(bytes) {
                    if version >= least {
                        return Ok((value, version));
                    }
                    kv_missing = false;
                }
            }
            Ok((None, _)) => {}
            Err(e) => worker::console_warn!("edge-persona: KV read: {e}"),
        }
    }
    let (bytes, version) = person_client::snapshot(env, user, target, kv_missing).await?;
    Ok((read(bytes).ok_or(Missing::NoProfile)?, version))
}

/// The person's server-policy personalizer: isolate cache, KV, then their object. (`ctx`: the
/// routes' common signature; nothing is left to do after the response.)
pub(super) async fn load(
    user: &str,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
    now: i64,
) -> Option<Rc<Personalizer>> {
    load_why(user, env, ctx, cfg, now).await.ok()
}

/// [`load`], with why there is none.
pub(super) async fn load_why(
    user: &str,
    env: &Env,
    _ctx: &Context,
    cfg: &Config,
    now: i64,
) -> Result<Rc<Personalizer>, Missing> {
    super::knowledge::ensure(env).await;
    let least = least_version(user, now);
    let cached = CACHE.with(|c| {
        c.borrow()
            .get(user)
            .filter(|(until, version, _)| *until > now && *version >= least)
            .map(|(_, _, p)| p.clone())
    });
    if let Some(known) = cached {
        return known;
    }
    let found = current_why(user, Target::Server, env, now, |bytes| {
        Personalizer::from_snapshot(&bytes, &SnapshotLimits::default())
            .map_err(|e| worker::console_warn!("edge-persona: snapshot unreadable: {e}"))
            .ok()
    })
    .await;
    let (p, version) = match found {
        Ok((p, version)) => (Ok(Rc::new(p)), version),
        Err(why) => (Err(why), least),
    };
    CACHE.with(|c| {
        bounded_insert(
            &mut c.borrow_mut(),
            user,
            (now + cfg.cache_ms, version, p.clone()),
        )
    });
    p
}
