//! Erasure that reaches Segment: when the deployment has a Segment Public API token, an erasure
//! queues a regulation (a user deletion in Segment's workspace, `POST /regulations`) in its own
//! row, written in the same transaction as the erasure, so it survives the wipe and a restart.
//! The person's object files it from its alarm; a failure (a 5xx, a 429, a timeout) is retried
//! with the memory forwarding's backoff ([`StateSettings::forward_pause_ms`]) up to
//! [`StateSettings::max_forward_attempts`], then given up and counted; a refusal Segment will not
//! change its mind about (another 4xx) ends it at once, counted the same way.

use bincode::{Decode, Encode};

use super::{Applied, Outcome, PendingForward, PersonState, RowKind, StateSettings, Tx};
use crate::errors::StateError;

/// The key of the regulation row.
pub(super) const REGULATION_KEY: &str = "regulation";

/// A regulation still to file, and what became of the ones filed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Encode, Decode)]
pub struct Regulation {
    /// The filing still to do, if any.
    pub pending: Option<PendingForward>,
    /// Regulations Segment accepted.
    pub filed: u32,
    /// Regulations given up (refused, or out of attempts).
    pub given_up: u32,
}

/// How a filing went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filing {
    /// Segment accepted it (2xx).
    Accepted,
    /// Worth another try (5xx, 429, network, timeout).
    Retry,
    /// Segment refused it for good (another 4xx).
    Refused,
}

impl PersonState {
    /// The regulation row, as kept.
    pub fn regulation(&self) -> Regulation {
        self.regulation
    }

    /// Queues a regulation now (called with an erasure, whose transaction it joins).
    pub(super) fn queue_regulation(&mut self, tx: &mut Tx, now_ms: i64) {
        self.regulation.pending = Some(PendingForward {
            attempts: 0,
            due_ms: now_ms,
        });
        tx.put(RowKind::Regulation, REGULATION_KEY, &self.regulation);
    }

    /// When the pending filing is due (ms), if one is.
    pub fn next_regulation(&self) -> Option<i64> {
        self.regulation.pending.map(|p| p.due_ms)
    }

    /// Records a filing attempt.
    pub fn regulation_done(
        &mut self,
        filing: Filing,
        settings: &StateSettings,
        now_ms: i64,
    ) -> Result<Applied, StateError> {
        let mut tx = Tx::default();
        let Some(p) = self.regulation.pending else {
            return self.finish(tx, Outcome::Stale);
        };
        let attempts = p.attempts.saturating_add(1);
        self.regulation.pending = match filing {
            Filing::Accepted => {
                self.regulation.filed = self.regulation.filed.saturating_add(1);
                None
            }
            Filing::Retry if attempts < settings.max_forward_attempts => Some(PendingForward {
                attempts,
                due_ms: now_ms.saturating_add(settings.forward_pause_ms(attempts)),
            }),
            Filing::Retry | Filing::Refused => {
                self.regulation.given_up = self.regulation.given_up.saturating_add(1);
                None
            }
        };
        tx.put(RowKind::Regulation, REGULATION_KEY, &self.regulation);
        self.finish(tx, Outcome::Stale)
    }
}
