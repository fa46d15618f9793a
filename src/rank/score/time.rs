//! How well an item's times meet the question's time windows ("last weekend", "before April"):
//! the dates found in its values, read from the dates index, and its occurrences, read from the
//! time index only around each window.

use super::Scorer;
use crate::sort::sort_by;
use crate::text::when::TimeWindow;
use crate::time::{DAY_MS, HOUR_MS};

impl<'a> Scorer<'a> {
    /// How well each item's times meet the query's windows, `(item, 0..=1)` by item, for the
    /// items that come near them: its dates (the dates index) and its occurrences (the time
    /// index, read only around each window). 1 when one falls inside a window, falling linearly
    /// to 0 at a slack of half the window's length (between 2 hours and 3 days) outside it —
    /// except at an edge that is `now` ("before April", "recently"): the other side of now is
    /// not near.
    pub(super) fn time_matches(&self, now_ms: i64) -> Vec<(u32, f32)> {
        let mut out: Vec<(u32, f32)> = Vec::new();
        if self.windows.is_empty() {
            return out;
        }
        let mut note = |item: u32, m: f32| {
            if m > 0.0 {
                out.push((item, m));
            }
        };
        for (first, last, item) in self.snapshot.all_dates() {
            note(item, best_match(&self.windows, first, last, now_ms));
        }
        for w in &self.windows {
            let slack = slack(w);
            let from = w.start_ms.saturating_sub(slack);
            let to = w.end_ms.saturating_add(slack);
            for (t, item) in self.snapshot.occurrences_between(from, to) {
                note(item, window_match(w, t, t, now_ms));
            }
        }
        // One entry per item, its best match.
        sort_by(&mut out, |a, b| a.0.cmp(&b.0));
        let mut merged: Vec<(u32, f32)> = Vec::with_capacity(out.len());
        for (item, m) in out {
            match merged.last_mut() {
                Some(last) if last.0 == item => last.1 = last.1.max(m),
                _ => merged.push((item, m)),
            }
        }
        merged
    }
}

/// The best match of an instant range with any window.
fn best_match(windows: &[TimeWindow], first: i64, last: i64, now_ms: i64) -> f32 {
    windows
        .iter()
        .map(|w| window_match(w, first, last, now_ms))
        .fold(0f32, f32::max)
}

/// How far outside a window a time still counts a little: half its length, 2 hours to 3 days.
fn slack(w: &TimeWindow) -> i64 {
    ((w.end_ms - w.start_ms) / 2).clamp(2 * HOUR_MS, 3 * DAY_MS)
}

fn window_match(w: &TimeWindow, first: i64, last: i64, now_ms: i64) -> f32 {
    if last >= w.start_ms && first < w.end_ms {
        return 1.0;
    }
    if (last < w.start_ms && w.start_ms == now_ms) || (first >= w.end_ms && w.end_ms == now_ms) {
        return 0.0;
    }
    let gap = if last < w.start_ms {
        w.start_ms - last
    } else {
        first - w.end_ms + 1
    };
    (1.0 - gap as f32 / slack(w) as f32).max(0.0)
}
