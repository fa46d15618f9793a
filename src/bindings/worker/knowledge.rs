//! The knowledge pack in this isolate: read once from KV (`knowledge:v1`, the bytes
//! `edge-persona knowledge` writes, uploaded at deploy), then installed for every request after.
//! A Worker's bundle cannot also carry it (Cloudflare's free plan caps a Worker at 3 MB
//! gzipped). Without it ranking is lexical only, and the Worker says so once in its log.

use std::cell::Cell;
use std::time::Duration;

use worker::Env;

use crate::knowledge::{self, Knowledge};

/// The KV key of the pack.
pub(super) const KEY: &str = "knowledge:v1";

#[derive(Clone, Copy, PartialEq)]
enum State {
    NotTried,
    Loading,
    Done,
}

thread_local! {
    static STATE: Cell<State> = const { Cell::new(State::NotTried) };
}

/// Installs the pack from KV if this isolate has not tried yet; a request that arrives while
/// another is reading it waits for that (up to a few seconds), so that every request of an
/// isolate ranks with the same knowledge.
pub(super) async fn ensure(env: &Env) {
    match STATE.get() {
        State::Done => return,
        State::Loading => {
            for _ in 0..200 {
                worker::Delay::from(Duration::from_millis(10)).await;
                if STATE.get() == State::Done {
                    return;
                }
            }
            return;
        }
        State::NotTried => {}
    }
    STATE.set(State::Loading);
    let bytes = match env.kv("PROFILES") {
        Ok(kv) => kv.get(KEY).bytes().await.ok().flatten(),
        Err(_) => None,
    };
    match bytes.map(Knowledge::from_bytes) {
        Some(Ok(k)) => {
            knowledge::install(k);
        }
        Some(Err(e)) => {
            worker::console_error!("edge-persona: knowledge pack {KEY} unreadable ({e}): ranking is lexical only")
        }
        None => worker::console_warn!(
            "edge-persona: no knowledge pack at {KEY} in PROFILES: ranking is lexical only (upload it with `edge-persona knowledge -o k.bin && wrangler kv key put {KEY} --path k.bin`)"
        ),
    }
    STATE.set(State::Done);
}
