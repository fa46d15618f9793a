//! What a person's object has under way toward the outside — a KV publication, memories being
//! sent to Segment's Tracking API — so that an erasure or a forget answers only once nothing it
//! forbids is still in flight, and publications never overlap. The object is single-threaded but
//! its events interleave at every `await`: these are the marks they share.

use std::cell::{Cell, RefCell};
use std::time::Duration;

/// How long an erasure or a forget waits for what is in flight (each outbound call has its own
/// deadline, far shorter: this only bounds a bug).
const MAX_WAIT_MS: u64 = 60_000;
/// The pause between two looks.
const POLL_MS: u64 = 5;

/// The object's calls under way.
#[derive(Default)]
pub(super) struct InFlight {
    publishing: Cell<bool>,
    /// Ids of the memories being sent to Segment.
    forwarding: RefCell<Vec<String>>,
}

/// Holds the publication lock until dropped.
pub(super) struct Publishing<'a>(&'a InFlight);

impl Drop for Publishing<'_> {
    fn drop(&mut self) {
        self.0.publishing.set(false);
    }
}

/// Marks a memory as being sent until dropped.
pub(super) struct Forwarding<'a> {
    flight: &'a InFlight,
    id: String,
}

impl Drop for Forwarding<'_> {
    fn drop(&mut self) {
        let mut ids = self.flight.forwarding.borrow_mut();
        if let Some(pos) = ids.iter().position(|i| *i == self.id) {
            ids.swap_remove(pos);
        }
    }
}

async fn pause() {
    worker::Delay::from(Duration::from_millis(POLL_MS)).await;
}

impl InFlight {
    /// The publication lock, unless a publication is under way.
    pub(super) fn try_publish(&self) -> Option<Publishing<'_>> {
        (!self.publishing.replace(true)).then_some(Publishing(self))
    }

    /// The publication lock, once the publication under way (if any) has ended.
    pub(super) async fn publish_when_free(&self) -> Option<Publishing<'_>> {
        let mut waited = 0;
        loop {
            if let Some(lock) = self.try_publish() {
                return Some(lock);
            }
            if waited >= MAX_WAIT_MS {
                return None;
            }
            pause().await;
            waited += POLL_MS;
        }
    }

    /// Marks `id` as being sent (the caller checked, after its last await, that it may be).
    pub(super) fn forwarding(&self, id: &str) -> Forwarding<'_> {
        self.forwarding.borrow_mut().push(id.to_string());
        Forwarding {
            flight: self,
            id: id.to_string(),
        }
    }

    /// Returns once no send of memory `id` (any memory: `None`) is in flight.
    pub(super) async fn forwards_settled(&self, id: Option<&str>) {
        let mut waited = 0;
        while waited < MAX_WAIT_MS {
            let busy = {
                let ids = self.forwarding.borrow();
                match id {
                    Some(id) => ids.iter().any(|i| i == id),
                    None => !ids.is_empty(),
                }
            };
            if !busy {
                return;
            }
            pause().await;
            waited += POLL_MS;
        }
    }
}
