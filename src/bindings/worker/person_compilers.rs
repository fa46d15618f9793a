//! A person object's compilers, one per policy (server, browser), kept between publications so
//! that an update re-analyzes only what it changed. A compilation holds its policy's compiler
//! across the turns of the event loop it spreads over (warming, then the assembly in slices):
//! it is taken out while held, a second compilation of the same policy waits for it, and an
//! erasure that lands meanwhile keeps it from coming back (what it analyzed is the person's data).

use std::cell::{Cell, RefCell};
use std::time::Duration;

use crate::policy::Target;
use crate::snapshot::Compiler;

use super::config::Config;

/// The pause between two looks at a compiler held by another compilation.
const POLL_MS: u64 = 5;

/// The compilers, and which are held.
#[derive(Default)]
pub(super) struct Compilers {
    kept: RefCell<[Option<Compiler>; 2]>,
    held: [Cell<bool>; 2],
    /// Raised by [`Compilers::forget`]: a compiler held since does not come back.
    epoch: Cell<u64>,
}

/// The place of a policy's compiler and snapshot in a person's pairs.
pub(super) fn slot_of(target: Target) -> usize {
    match target {
        Target::Server => 0,
        Target::Browser => 1,
    }
}

impl Compilers {
    /// The `target` compiler, once no other compilation holds it (a new one when none is kept),
    /// until the returned hold is dropped.
    pub(super) async fn hold(&self, cfg: &Config, target: Target) -> Held<'_> {
        let slot = slot_of(target);
        while self.held.get(slot).is_some_and(Cell::get) {
            worker::Delay::from(Duration::from_millis(POLL_MS)).await;
        }
        if let Some(flag) = self.held.get(slot) {
            flag.set(true);
        }
        let kept = self
            .kept
            .try_borrow_mut()
            .ok()
            .and_then(|mut kept| kept.get_mut(slot).and_then(Option::take));
        Held {
            compilers: self,
            slot,
            epoch: self.epoch.get(),
            compiler: kept.unwrap_or_else(|| Compiler::new(cfg.policy(target))),
        }
    }

    /// Drops every compiler, held ones included (when their holds end): the person was erased,
    /// or their state could not be stored and is loaded again.
    pub(super) fn forget(&self) {
        self.epoch.set(self.epoch.get().wrapping_add(1));
        if let Ok(mut kept) = self.kept.try_borrow_mut() {
            *kept = [None, None];
        }
    }
}

/// A compiler taken out of [`Compilers`]; it goes back when this is dropped, unless they were
/// told to [`Compilers::forget`] meanwhile.
pub(super) struct Held<'a> {
    compilers: &'a Compilers,
    slot: usize,
    epoch: u64,
    pub(super) compiler: Compiler,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let compilers = self.compilers;
        if compilers.epoch.get() == self.epoch {
            if let Ok(mut kept) = compilers.kept.try_borrow_mut() {
                if let Some(place) = kept.get_mut(self.slot) {
                    // An empty compiler in its place: only `Drop` moves it out.
                    let policy = self.compiler.policy().clone();
                    *place = Some(std::mem::replace(&mut self.compiler, Compiler::new(policy)));
                }
            }
        }
        if let Some(flag) = compilers.held.get(self.slot) {
            flag.set(false);
        }
    }
}
