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
            // A group of identical events meets a window by the share of its copies that do:
            // one view last week of a product viewed fifty times is not "last week's".
            let mut sums: Vec<(u32, f32)> = self
                .snapshot
                .occurrences_between(from, to)
                .map(|(t, item)| (item, window_match(w, t, t, now_ms)))
                .collect();
            sort_by(&mut sums, |a, b| a.0.cmp(&b.0));
            let share_weight = self.settings.group_time_share;
            let mut i = 0;
            while let Some(&(item, _)) = sums.get(i) {
                let (mut sum, mut best) = (0f32, 0f32);
                while let Some(&(_, m)) = sums.get(i).filter(|(x, _)| *x == item) {
                    sum += m;
                    best = best.max(m);
                    i += 1;
                }
                let copies = self
                    .snapshot
                    .record(item as usize)
                    .map_or(1, |r| r.count.max(1));
                let share = (sum / copies as f32).min(1.0);
                note(item, best + (share - best) * share_weight);
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
        if w.soft {
            // A preference, not a bound: 1 at the window's end, half at its start.
            let age = (w.end_ms - 1).saturating_sub(last).max(0) as f32;
            let span = (w.end_ms - w.start_ms).max(1) as f32;
            return 1.0 - 0.5 * (age / span).min(1.0);
        }
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
    let near = (1.0 - gap as f32 / slack(w) as f32).max(0.0);
    // Past a soft window's start, the preference goes on falling from its half.
    if w.soft {
        near * 0.5
    } else {
        near
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(days: i64, soft: bool) -> TimeWindow {
        TimeWindow {
            start_ms: NOW - days * DAY_MS,
            end_ms: NOW,
            label: String::new(),
            soft,
        }
    }

    const NOW: i64 = 1_795_176_000_000;

    #[test]
    fn a_soft_window_prefers_newer_and_keeps_a_week_old_item() {
        let recently = window(30, true);
        let at = |days_ago: i64| {
            let t = NOW - days_ago * DAY_MS - 1;
            window_match(&recently, t, t, NOW)
        };
        assert!(at(0) > 0.99);
        assert!(at(7) > 0.8, "a week-old item stays: {}", at(7));
        assert!(at(1) > at(7) && at(7) > at(20) && at(20) > at(29));
        assert!(at(29) >= 0.5);
        assert!(
            at(31) < 0.5 && at(31) > 0.0,
            "just before it, less than inside"
        );
        assert_eq!(at(200), 0.0);
        let t = NOW + DAY_MS;
        assert_eq!(window_match(&recently, t, t, NOW), 0.0, "not after now");
        // A hard window is flat inside.
        let week = window(7, false);
        let t = NOW - 6 * DAY_MS;
        assert_eq!(window_match(&week, t, t, NOW), 1.0);
    }
}
