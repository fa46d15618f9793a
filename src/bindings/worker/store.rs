//! Where a person's snapshot comes from: this isolate's cache of decoded snapshots, Workers KV
//! (`snap:`, `snapb:` and `src:` keys), and a rebuild from the stored source bundle or the Profile
//! API, compiled under both policies and stored back.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use serde_json::Value as Json;
use worker::{Context, Env};

use crate::import::segment::import_value;
use crate::import::ImportLimits;
use crate::personalizer::Personalizer;
use crate::policy::Target;
use crate::snapshot::{compile, kv, Snapshot, SnapshotLimits};

use super::config::Config;

/// Until when (ms) an entry holds, and the person's personalizer (`None`: known to have none).
type CacheEntry = (i64, Option<Rc<Personalizer>>);

thread_local! {
    /// Decoded snapshots of this isolate, for `SNAPSHOT_CACHE_SECONDS` (KV itself is eventually
    /// consistent for about 60 s, so this adds little staleness and saves a KV read and a decode).
    /// `None` remembers a person with no snapshot anywhere (KV, source, Profile API), so that their
    /// requests do not read KV or call the Profile API again until the entry expires.
    static CACHE: RefCell<HashMap<String, CacheEntry>> = RefCell::new(HashMap::new());
}
/// Most people cached per isolate.
const CACHE_ENTRIES: usize = 512;

/// The cached entry of a person, while it holds: `Some(None)` for one known to have no snapshot.
fn cache_get(user: &str, now: i64) -> Option<Option<Rc<Personalizer>>> {
    CACHE.with(|c| {
        let c = c.borrow();
        c.get(user)
            .filter(|(until, _)| *until > now)
            .map(|(_, p)| p.clone())
    })
}

/// Caches a person's personalizer (or their having none) until `until` (ms); a full cache is
/// emptied first.
fn cache_put(user: &str, p: Option<Rc<Personalizer>>, until: i64) {
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_ENTRIES {
            c.clear();
        }
        c.insert(user.to_string(), (until, p));
    });
}

/// Drops a person's cached entry (their snapshot has changed, or is being rebuilt).
pub(super) fn cache_forget(user: &str) {
    CACHE.with(|c| {
        c.borrow_mut().remove(user);
    });
}

/// Snapshots compiled from a source bundle: (server bytes, browser bytes, server snapshot).
pub(super) fn compile_both(bundle: &Json, cfg: &Config) -> Option<(Vec<u8>, Vec<u8>, Snapshot)> {
    let profile = import_value(bundle, &ImportLimits::default())
        .map_err(|e| worker::console_warn!("edge-persona: profile import: {e}"))
        .ok()?;
    let server = compile(&profile, &cfg.policy(Target::Server));
    let browser = compile(&profile, &cfg.policy(Target::Browser));
    Some((server.encode().ok()?, browser.encode().ok()?, server))
}

/// Stores a person's snapshots (and source bundle) with the TTL.
pub(super) async fn store(
    kv: &worker::KvStore,
    user: &str,
    server: &[u8],
    browser: &[u8],
    source: &Json,
    ttl: u64,
) -> Result<(), worker::KvError> {
    kv.put_bytes(&kv::snapshot_key(user), server)?
        .expiration_ttl(ttl)
        .execute()
        .await?;
    kv.put_bytes(&kv::browser_snapshot_key(user), browser)?
        .expiration_ttl(ttl)
        .execute()
        .await?;
    // The source outlives the snapshots: webhooks recompile from it.
    kv.put(&kv::source_key(user), source.to_string())?
        .execute()
        .await
}

/// The person's server-policy personalizer: isolate cache, then the KV snapshot, then the stored
/// source bundle, then the Profile API.
pub(super) async fn load(
    user: &str,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
    now: i64,
) -> Option<Rc<Personalizer>> {
    if let Some(known) = cache_get(user, now) {
        return known;
    }
    let kv = env.kv("PROFILES").ok()?;
    if let Ok(Some(bytes)) = kv.get(&kv::snapshot_key(user)).bytes().await {
        match Personalizer::from_snapshot(&bytes, &SnapshotLimits::default()) {
            Ok(p) => {
                let p = Rc::new(p);
                cache_put(user, Some(p.clone()), now + cfg.cache_ms);
                return Some(p);
            }
            Err(e) => worker::console_warn!("edge-persona: stored snapshot unreadable: {e}"),
        }
    }
    let p = rebuild(user, &kv, ctx, cfg)
        .await
        .map(|s| Rc::new(Personalizer::from_compiled(s)));
    cache_put(user, p.clone(), now + cfg.cache_ms);
    p
}

/// A miss or an unreadable snapshot (e.g. written by an older format version): recompiles from the
/// stored source bundle when there is one, else from the Profile API; stores both policies'
/// snapshots after the response (`waitUntil`). Returns the server snapshot and the browser bytes.
pub(super) async fn rebuild_both(
    user: &str,
    kv: &worker::KvStore,
    ctx: &Context,
    cfg: &Config,
) -> Option<(Snapshot, Vec<u8>)> {
    let stored_source = kv
        .get(&kv::source_key(user))
        .text()
        .await
        .ok()
        .flatten()
        .and_then(|t| serde_json::from_str::<Json>(&t).ok());
    let bundle = match (stored_source, cfg.segment.as_ref()) {
        (Some(b), _) => b,
        (None, Some(api)) => match api.fetch_bundle(user).await {
            Ok(b) => b,
            Err(e) => {
                worker::console_warn!("edge-persona: Profile API: {e:?}");
                return None;
            }
        },
        (None, None) => return None,
    };
    let (server, browser, snapshot) = compile_both(&bundle, cfg)?;
    let (kv, user_owned, ttl, browser_copy) = (
        kv.clone(),
        user.to_string(),
        cfg.snapshot_ttl,
        browser.clone(),
    );
    ctx.wait_until(async move {
        if let Err(e) = store(&kv, &user_owned, &server, &browser_copy, &bundle, ttl).await {
            worker::console_warn!("edge-persona: KV store: {e}");
        }
    });
    Some((snapshot, browser))
}

/// [`rebuild_both`], for a caller that needs only the server snapshot.
async fn rebuild(
    user: &str,
    kv: &worker::KvStore,
    ctx: &Context,
    cfg: &Config,
) -> Option<Snapshot> {
    rebuild_both(user, kv, ctx, cfg).await.map(|(s, _)| s)
}
