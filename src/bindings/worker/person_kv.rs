//! A person's copies in Workers KV, as their object writes and deletes them: a version's snapshots,
//! each put sent only while the person may still be published (checked after the last await
//! before it, so an erasure that lands between two puts stops the second), and the deletion of
//! every copy, each key retried until KV confirms it.

use std::time::Duration;

use worker::KvStore;

use super::person::SnapshotMeta;
use crate::snapshot::kv;

/// Attempts at deleting one key within one publication (then the object's alarm tries again,
/// until it is confirmed).
const DELETE_ATTEMPTS: u32 = 4;
/// The pause after the first failed attempt; it doubles.
const DELETE_RETRY_MS: u64 = 100;

/// One snapshot to write: its key, its bytes, the state version it was compiled from.
pub(super) struct Put<'a> {
    pub(super) key: String,
    pub(super) bytes: &'a [u8],
    pub(super) version: u64,
}

/// Writes the snapshots in order, each only if `may_write()` says so right before it is sent.
/// `Ok(false)`: stopped by the mark (what was written before stays, for the eraser to delete).
pub(super) async fn put_snapshots(
    store: &KvStore,
    puts: &[Put<'_>],
    ttl_seconds: u64,
    may_write: impl Fn() -> bool,
) -> worker::Result<bool> {
    for put in puts {
        if !may_write() {
            return Ok(false);
        }
        store
            .put_bytes(&put.key, put.bytes)?
            .metadata(SnapshotMeta { v: put.version })?
            .expiration_ttl(ttl_seconds)
            .execute()
            .await?;
    }
    Ok(true)
}

/// The keys an erasure deletes: both snapshots and the legacy source bundle.
pub(super) fn every_key(user: &str) -> [String; 3] {
    [
        kv::snapshot_key(user),
        kv::browser_snapshot_key(user),
        kv::source_key(user),
    ]
}

/// Deletes each key, retrying one that fails (with a doubling pause) up to [`DELETE_ATTEMPTS`]
/// times; `Ok` once KV confirmed every deletion.
pub(super) async fn delete_confirmed(store: &KvStore, keys: &[String]) -> worker::Result<()> {
    for key in keys {
        let mut pause = DELETE_RETRY_MS;
        let mut attempt = 1;
        loop {
            match store.delete(key).await {
                Ok(()) => break,
                Err(e) if attempt >= DELETE_ATTEMPTS => return Err(e.into()),
                Err(e) => {
                    worker::console_warn!("edge-persona: KV delete {attempt}: {e}");
                    worker::Delay::from(Duration::from_millis(pause)).await;
                    pause *= 2;
                    attempt += 1;
                }
            }
        }
    }
    Ok(())
}
