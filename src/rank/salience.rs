//! Salience: how much an item deserves attention whatever the query, for the questions that ask
//! for what matters instead of naming it ("anything new?", "any update?", "how am I doing?"):
//!
//! ```text
//! rarity(g)   = 1 / (1 + ln groups_named(g)) · 1 / (1 + 0.5 · ln count(g))      (events)
//! recent(g)   = 2^(−age / half_life_hours)                                      (events)
//! open(d)     = 1 when d holds a word of an open state (pending, failed, due, …) and, for a
//!               trait, its value is truthy (not 0, false or empty); else 0
//! upcoming(d) = 1 − (t − now) / horizon for its nearest date t in (now, now + horizon], else 0
//!               (horizon: salience_horizon_days)
//! salience(g) = rarity · (0.4 · recent + 0.3 · open + 0.3 · upcoming)
//! salience(t) = 0.3 · open + 0.3 · upcoming                                      (traits)
//! ```
//!
//! Analytics noise (hundreds of `Page Viewed` in many groups) is neither rare nor open; the
//! claim updated yesterday, the message that says "action needed", the payment due on Monday
//! are. The ranker blends salience in for such questions (see `RankSettings::salience_weight`).

use super::RankSettings;
use crate::snapshot::{GroupView, TraitView};
use crate::time::{DAY_MS, HOUR_MS};

/// The parts of an item's salience.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(super) struct SalienceParts {
    pub rarity: f32,
    pub recent: f32,
    pub open: f32,
    pub upcoming: f32,
}

impl SalienceParts {
    pub(super) fn value(&self, is_event: bool) -> f32 {
        if is_event {
            self.rarity * (0.4 * self.recent + 0.3 * self.open + 0.3 * self.upcoming)
        } else {
            0.3 * self.open + 0.3 * self.upcoming
        }
    }
}

/// Salience at one `now`. What it reads of an item was derived when the snapshot was compiled:
/// whether the item holds a word of an open state, how many groups share its event name.
pub(super) struct Salience {
    now_ms: i64,
    horizon_ms: i64,
    half_life_ms: f32,
}

impl Salience {
    pub(super) fn new(now_ms: i64, settings: &RankSettings) -> Self {
        Salience {
            now_ms,
            horizon_ms: (settings.salience_horizon_days * DAY_MS as f32) as i64,
            half_life_ms: settings.half_life_hours * HOUR_MS as f32,
        }
    }

    fn upcoming(&self, dates: impl Iterator<Item = (i64, i64)>) -> f32 {
        let mut best = 0f32;
        for (first, _) in dates {
            let ahead = first - self.now_ms;
            if ahead > 0 && ahead <= self.horizon_ms && self.horizon_ms > 0 {
                best = best.max(1.0 - ahead as f32 / self.horizon_ms as f32);
            }
        }
        best
    }

    pub(super) fn of_trait(&self, t: &TraitView) -> SalienceParts {
        let record = t.record();
        SalienceParts {
            rarity: 1.0,
            recent: 0.0,
            // `account_balance_due: 0` or `late_fee: false` is nothing open.
            open: if t.is_truthy() && record.is_open() {
                1.0
            } else {
                0.0
            },
            upcoming: self.upcoming(record.dates()),
        }
    }

    pub(super) fn of_group(&self, g: &GroupView) -> SalienceParts {
        let record = g.record();
        let same_name = record.same_name.max(1) as f32;
        let count = g.count().max(1) as f32;
        let age = (self.now_ms - g.last_ms()).max(0) as f32;
        SalienceParts {
            rarity: 1.0 / (1.0 + same_name.ln()) / (1.0 + 0.5 * count.ln()),
            recent: (-age / self.half_life_ms.max(1.0)).exp2(),
            open: if record.is_open() { 1.0 } else { 0.0 },
            upcoming: self.upcoming(record.dates()),
        }
    }
}
