//! Where a long assembly gives its thread up. The Worker's person object shares its isolate with
//! other people's requests: an assembly at the state's bounds is tens of milliseconds of CPU, so
//! [`super::Assembly::run`] tells a [`Pace`] how much work it did and awaits the pause the pace
//! asks for (a turn of the event loop there). Natively and in the CLI nothing pauses
//! ([`Unpaced`]), and `ready` runs the assembly to its end at once.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Decides when an assembly pauses.
pub trait Pace {
    /// What the assembly awaits to pause.
    type Pause: Future<Output = ()>;
    /// Told that `units` more of work were done (an item or a term visited counts one, plus one
    /// per posting it writes); a pause to await when the thread should be given up now.
    fn after(&mut self, units: usize) -> Option<Self::Pause>;
}

/// Tells `pace` that `units` more of work were done, and awaits the pause it asks for, if any.
pub(crate) async fn pause_after<P: Pace>(pace: &mut P, units: usize) {
    if let Some(pause) = pace.after(units) {
        pause.await;
    }
}

/// Never pauses.
pub struct Unpaced;

impl Pace for Unpaced {
    type Pause = std::future::Ready<()>;
    #[inline(always)]
    fn after(&mut self, _units: usize) -> Option<Self::Pause> {
        None
    }
}

/// Pauses after every `budget` units of work, with the pause `make` gives.
pub struct Every<F> {
    budget: usize,
    spent: usize,
    make: F,
}

impl<F> Every<F> {
    /// A pace that pauses once `budget` units were done since the last pause.
    pub fn new(budget: usize, make: F) -> Self {
        Every {
            budget,
            spent: 0,
            make,
        }
    }
}

impl<P: Future<Output = ()>, F: FnMut() -> P> Pace for Every<F> {
    type Pause = P;
    fn after(&mut self, units: usize) -> Option<P> {
        self.spent = self.spent.saturating_add(units);
        if self.spent < self.budget {
            return None;
        }
        self.spent = 0;
        Some((self.make)())
    }
}

/// The output of a future that never waits on anything outside it (an assembly under
/// [`Unpaced`], or one whose pauses are ready at once), polled until it is done.
pub(crate) fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}
