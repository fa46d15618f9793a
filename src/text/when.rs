//! Time expressions in a query — "tonight", "last night", "tomorrow's show", "Monday's order",
//! "last weekend", "this week", "next month", "before April", "on 5 December", "an hour ago",
//! "coming up", "before Christmas" (named days: `when/holidays.rs`) — read as windows of time
//! relative to `now`, in the person's time zone.
//!
//! The ranker matches a window against an item's times: an event's occurrences and the dates
//! found in its values (`show_date`, `due_date`, `renews_at`). The words are general English
//! time vocabulary; nothing here knows a domain. A weekday or a month named without `last` or
//! `next` could be either side of today ("Monday's order", "the quiz on Sunday"), so it gives two
//! windows, the nearest past and the nearest future one.
//!
//! Parsing is one pass over the query's words with a fixed look-around, so linear in the query.

mod holidays;

use super::split_words;
use crate::time::zone::Zone;
use crate::time::{days_from_civil, days_in_month, parse_timestamp, weekday, DAY_MS, HOUR_MS};

/// A span of time a query refers to, as instants (ms since the epoch, `start` inclusive, `end`
/// exclusive), with the words that named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeWindow {
    /// First instant inside.
    pub start_ms: i64,
    /// First instant after.
    pub end_ms: i64,
    /// The expression, as typed (lowercased): `tonight`, `last weekend`, `5 december`.
    pub label: String,
    /// A soft window ("recently", "lately", "these days"): a preference for what is newer
    /// inside it, not a bound; see [`SOFT_RECENCY_DAYS`].
    pub soft: bool,
}

/// How far back a soft recency word ("recently", "lately", "nowadays", "these days") reaches:
/// 30 days, inside which newer counts more. A fixed short window dropped a week-old item.
pub const SOFT_RECENCY_DAYS: i64 = 30;

/// Whether an expression's words are a soft recency word.
fn is_soft(words: &[String]) -> bool {
    match words {
        [w] => matches!(w.as_str(), "recently" | "lately" | "nowadays"),
        [a, b] => a == "these" && b == "days",
        _ => false,
    }
}

/// Longest span a window may cover, so that "this year" or "since 2019" does not match
/// everything: 400 days.
const MAX_SPAN_MS: i64 = 400 * DAY_MS;

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

const MONTHS: [(&str, &str); 12] = [
    ("january", "jan"),
    ("february", "feb"),
    ("march", "mar"),
    ("april", "apr"),
    ("may", "may"),
    ("june", "jun"),
    ("july", "jul"),
    ("august", "aug"),
    ("september", "sep"),
    ("october", "oct"),
    ("november", "nov"),
    ("december", "dec"),
];

/// The time windows of `text` at `now_ms` in `zone`, at most `max` of them, in query order.
pub fn time_windows(text: &str, now_ms: i64, zone: &Zone, max: usize) -> Vec<TimeWindow> {
    read(text, now_ms, zone, max).0
}

/// Which of `text`'s words (as [`split_words`] gives them, in order) belong to a time expression:
/// the query's lexical side leaves them out ("last" in "last night" is not about a `last_name`).
pub fn time_words(text: &str) -> Vec<bool> {
    read(text, 0, &Zone::UTC, usize::MAX).1
}

/// Most words of a query read for time expressions.
const MAX_WORDS: usize = 256;

/// The windows, and which words are part of an expression.
fn read(text: &str, now_ms: i64, zone: &Zone, max: usize) -> (Vec<TimeWindow>, Vec<bool>) {
    let mut words: Vec<String> = Vec::new();
    split_words(text, |w| {
        if words.len() < MAX_WORDS {
            words.push(w.to_string());
        }
    });
    let cal = Calendar::new(now_ms, zone);
    let mut out = Vec::new();
    let mut consumed = vec![false; words.len()];
    let mut i = 0;
    while i < words.len() && out.len() < max {
        match expression_at(&words, i, &cal) {
            Some((used, windows)) => {
                for c in consumed.iter_mut().skip(i).take(used.max(1)) {
                    *c = true;
                }
                let named = words
                    .get(i..(i + used.max(1)).min(words.len()))
                    .unwrap_or_default();
                let (label, soft) = (named.join(" "), is_soft(named));
                for (start, end) in windows {
                    if out.len() < max && end > start {
                        let start_ms = start.max(end.saturating_sub(MAX_SPAN_MS));
                        out.push(TimeWindow {
                            start_ms,
                            end_ms: end,
                            label: label.clone(),
                            soft,
                        });
                    }
                }
                i += used.max(1);
            }
            None => i += 1,
        }
    }
    (out, consumed)
}

/// `now` in the person's calendar: local day boundaries are turned back into instants.
struct Calendar<'z> {
    zone: &'z Zone,
    now_ms: i64,
    /// Today's day number in local time.
    today: i64,
    /// The local hour now.
    hour: i64,
}

/// How many words an expression used, and its windows.
type Found = (usize, Vec<(i64, i64)>);

impl<'z> Calendar<'z> {
    fn new(now_ms: i64, zone: &'z Zone) -> Self {
        let local = zone.to_local(now_ms);
        Calendar {
            zone,
            now_ms,
            today: local.div_euclid(DAY_MS),
            hour: local.rem_euclid(DAY_MS) / HOUR_MS,
        }
    }

    /// The instant of local day `day` at local `hour` (hours may run past 24).
    fn at(&self, day: i64, hour: i64) -> i64 {
        self.zone
            .to_utc(day.saturating_mul(DAY_MS).saturating_add(hour * HOUR_MS))
    }

    /// Whole local days `first..first + count`.
    fn days(&self, first: i64, count: i64) -> (i64, i64) {
        (self.at(first, 0), self.at(first + count, 0))
    }
}

fn word(words: &[String], i: usize) -> &str {
    words.get(i).map_or("", String::as_str)
}

/// The expression starting at word `i`: how many words it used and its windows.
fn expression_at(words: &[String], i: usize, cal: &Calendar) -> Option<Found> {
    let w = word(words, i);
    let next = word(words, i + 1);
    let one = |start: i64, end: i64| Some((1, vec![(start, end)]));
    let today = cal.today;
    match w {
        "tonight" => one(cal.at(today, 17), cal.at(today + 1, 5)),
        "today" => {
            let (s, e) = cal.days(today, 1);
            one(s, e)
        }
        "yesterday" => {
            let (s, e) = cal.days(today - 1, 1);
            one(s, e)
        }
        "tomorrow" | "tmrw" | "tomorrows" => {
            let (s, e) = cal.days(today + 1, 1);
            one(s, e)
        }
        "recently" | "lately" | "nowadays" => {
            one(cal.now_ms - SOFT_RECENCY_DAYS * DAY_MS, cal.now_ms)
        }
        "these" if next == "days" => Some((
            2,
            vec![(cal.now_ms - SOFT_RECENCY_DAYS * DAY_MS, cal.now_ms)],
        )),
        "upcoming" | "soon" => one(cal.now_ms, cal.now_ms + 30 * DAY_MS),
        "coming" if next == "up" => Some((2, vec![(cal.now_ms, cal.now_ms + 30 * DAY_MS)])),
        "this" | "last" | "next" | "past" | "coming" => relative_at(words, i, cal),
        "before" | "until" | "till" | "by" | "after" | "since" => bounded_at(words, i, cal),
        _ => {
            if let Some(found) = part_of_day(words, i, cal) {
                return Some(found);
            }
            if let Some(d) = WEEKDAYS.iter().position(|d| *d == w) {
                return Some((1, weekday_windows(cal, d as i64, None)));
            }
            if let Some(found) = date_at(words, i, cal) {
                return Some(found);
            }
            if let Some(found) = holidays::holiday_at(words, i, cal) {
                return Some(found);
            }
            ago_at(words, i, cal)
        }
    }
}

/// "this morning", "tomorrow night", "last night", "yesterday evening".
#[inline(never)]
fn part_of_day(words: &[String], i: usize, cal: &Calendar) -> Option<Found> {
    let (day, first) = match word(words, i) {
        "this" => (cal.today, 1),
        "tomorrow" => (cal.today + 1, 1),
        "yesterday" => (cal.today - 1, 1),
        "last" if word(words, i + 1) == "night" => {
            let night_of = if cal.hour < 5 {
                cal.today - 2
            } else {
                cal.today - 1
            };
            return Some((2, vec![(cal.at(night_of, 17), cal.at(night_of + 1, 5))]));
        }
        _ => return None,
    };
    let part = word(words, i + first);
    let (from, to) = match part {
        "morning" => (5, 12),
        "afternoon" => (12, 18),
        "evening" => (17, 24),
        "night" => (17, 29),
        _ => return None,
    };
    Some((first + 1, vec![(cal.at(day, from), cal.at(day, to))]))
}

/// "this week", "last weekend", "next month", "past 3 days", "last Monday", "next year".
#[inline(never)]
fn relative_at(words: &[String], i: usize, cal: &Calendar) -> Option<Found> {
    if let Some(found) = part_of_day(words, i, cal) {
        return Some(found);
    }
    let modifier = word(words, i);
    let step: i64 = match modifier {
        "last" | "past" => -1,
        "next" | "coming" => 1,
        _ => 0,
    };
    let unit = word(words, i + 1);
    let today = cal.today;
    // Monday of this week (weeks start on Monday, as ISO-8601 has it).
    let monday = today - weekday(today);
    let window = match unit {
        "week" => cal.days(monday + 7 * step, 7),
        // This week's Saturday and Sunday, whether or not they have begun; "last" is the one
        // before.
        "weekend" => cal.days(monday + 5 + 7 * step, 2),
        "month" => {
            let (y, m, _) = crate::time::civil_from_days(today);
            let (y, m) = add_months(y, m, step);
            let first = days_from_civil(y, m, 1);
            cal.days(first, days_in_month(y, m))
        }
        "year" => {
            let (y, _, _) = crate::time::civil_from_days(today);
            let y = y + step;
            let first = days_from_civil(y, 1, 1);
            cal.days(first, days_from_civil(y + 1, 1, 1) - first)
        }
        _ => {
            if let Some(d) = WEEKDAYS.iter().position(|d| *d == unit) {
                let side = match step {
                    -1 => Some(false),
                    1 => Some(true),
                    _ => None,
                };
                return Some((2, weekday_windows(cal, d as i64, side)));
            }
            // "past 3 days", "last 2 weeks", "next 10 days".
            let n: i64 = unit.parse().ok().filter(|n| (1..=400).contains(n))?;
            let span = unit_ms(word(words, i + 2))?;
            let total = n.saturating_mul(span);
            let w = if step < 0 {
                (cal.now_ms - total, cal.now_ms)
            } else if step > 0 {
                (cal.now_ms, cal.now_ms + total)
            } else {
                return None;
            };
            return Some((3, vec![w]));
        }
    };
    Some((2, vec![window]))
}

/// Milliseconds of a unit word (`hours`, `days`, `weeks`, `months`).
#[inline(never)]
fn unit_ms(unit: &str) -> Option<i64> {
    Some(match unit.trim_end_matches('s') {
        "minute" | "min" => 60_000,
        "hour" | "hr" => HOUR_MS,
        "day" => DAY_MS,
        "week" | "wk" => 7 * DAY_MS,
        "month" => 30 * DAY_MS,
        "year" => 365 * DAY_MS,
        _ => return None,
    })
}

/// "an hour ago", "3 days ago", "like 2 weeks ago", "in 5 days".
#[inline(never)]
fn ago_at(words: &[String], i: usize, cal: &Calendar) -> Option<Found> {
    let w = word(words, i);
    if w == "in" {
        let n = count_word(word(words, i + 1))?;
        let span = unit_ms(word(words, i + 2))?;
        let at = cal.now_ms + n * span;
        return Some((3, vec![(at - span.max(HOUR_MS), at + span.max(HOUR_MS))]));
    }
    let n = count_word(w)?;
    let span = unit_ms(word(words, i + 1))?;
    if word(words, i + 2) != "ago" {
        return None;
    }
    let at = cal.now_ms - n * span;
    // Rough: "an hour ago" is anything from the last two hours.
    Some((3, vec![(at - span, (at + span).min(cal.now_ms))]))
}

#[inline(never)]
fn count_word(w: &str) -> Option<i64> {
    match w {
        "a" | "an" | "one" => Some(1),
        "two" | "couple" => Some(2),
        "three" | "few" => Some(3),
        _ => w.parse().ok().filter(|n| (1..=400).contains(n)),
    }
}

/// "before April", "until Friday", "after 5 December", "since last week".
#[inline(never)]
fn bounded_at(words: &[String], i: usize, cal: &Calendar) -> Option<Found> {
    let (used, windows) = expression_at(words, i + 1, cal)?;
    let (start, end) = nearest(windows, cal.now_ms)?;
    let w = word(words, i);
    let (s, e) = match w {
        "before" | "until" | "till" | "by" if start > cal.now_ms => (cal.now_ms, start),
        "before" | "until" | "till" | "by" => (start - MAX_SPAN_MS, start),
        _ if end <= cal.now_ms => (start, cal.now_ms),
        _ => (end, end + MAX_SPAN_MS),
    };
    Some((used + 1, vec![(s, e)]))
}

/// Of a weekday's or a date's candidate windows, the one nearest to now.
fn nearest(windows: Vec<(i64, i64)>, now: i64) -> Option<(i64, i64)> {
    windows.into_iter().min_by_key(|(s, e)| {
        if now < *s {
            s - now
        } else {
            now.saturating_sub(*e).max(0)
        }
    })
}

/// The windows of a weekday (0 Monday … 6 Sunday): today when it is today; else the nearest
/// past one, the nearest future one, or both (`future: None`).
#[inline(never)]
fn weekday_windows(cal: &Calendar, day: i64, future: Option<bool>) -> Vec<(i64, i64)> {
    let today = cal.today;
    let ahead = (day - weekday(today)).rem_euclid(7);
    let mut out = Vec::new();
    let mut push = |d: i64| {
        let (s, e) = cal.days(d, 1);
        out.push((s, e));
    };
    match future {
        Some(true) => push(today + if ahead == 0 { 7 } else { ahead }),
        Some(false) => push(today - if ahead == 0 { 7 } else { 7 - ahead }),
        None if ahead == 0 => push(today),
        None => {
            push(today - (7 - ahead));
            push(today + ahead);
        }
    }
    out
}

#[inline(never)]
fn month_number(w: &str) -> Option<i64> {
    MONTHS
        .iter()
        .position(|(long, short)| w == *long || w == *short || (w.len() > 3 && long.starts_with(w)))
        .map(|m| m as i64 + 1)
}

/// A day of the month: `5`, `5th`, `21st`.
#[inline(never)]
fn day_number(w: &str) -> Option<i64> {
    let digits = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = w.get(digits.len()..).unwrap_or("");
    if !matches!(suffix, "" | "st" | "nd" | "rd" | "th") || digits.is_empty() || digits.len() > 2 {
        return None;
    }
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

/// "5 December", "December 5th", "dec 5", "in April", "2026-12-05", "5 Dec 2026".
#[inline(never)]
fn date_at(words: &[String], i: usize, cal: &Calendar) -> Option<Found> {
    let w = word(words, i);
    // ISO dates survive the tokenizer as `2026`, `12`, `05`.
    if w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit()) {
        let text = [w, "-", word(words, i + 1), "-", word(words, i + 2)].concat();
        if let Some(ms) = parse_timestamp(&text) {
            return Some((3, vec![cal.days(ms.div_euclid(DAY_MS), 1)]));
        }
    }
    let (month, day, used) = if let Some(d) = day_number(w) {
        let next = word(words, i + 1);
        let (m, skip) = match month_number(next) {
            Some(m) => (m, 2),
            None if next == "of" => (month_number(word(words, i + 2))?, 3),
            None => return None,
        };
        (m, Some(d), skip)
    } else {
        let m = month_number(w)?;
        match day_number(word(words, i + 1)) {
            Some(d) => (m, Some(d), 2),
            // "may" alone is the verb; other months may stand alone ("in April").
            None if w == "may" => return None,
            None => (m, None, 1),
        }
    };
    let year_word = word(words, i + used);
    let explicit_year: Option<i64> = (year_word.len() == 4)
        .then(|| year_word.parse().ok())
        .flatten()
        .filter(|y| (1970..=2200).contains(y));
    let used = used + usize::from(explicit_year.is_some());
    let (this_year, this_month, _) = crate::time::civil_from_days(cal.today);
    let window = |y: i64| -> Option<(i64, i64)> {
        match day {
            Some(d) if d <= days_in_month(y, month) => {
                Some(cal.days(days_from_civil(y, month, d), 1))
            }
            Some(_) => None,
            None => Some(cal.days(days_from_civil(y, month, 1), days_in_month(y, month))),
        }
    };
    let year = match explicit_year {
        Some(y) => y,
        // Without a year, the occurrence nearest to today: December in November is this year's,
        // January in November next year's.
        None => {
            let delta = month - this_month;
            if delta > 6 {
                this_year - 1
            } else if delta < -6 {
                this_year + 1
            } else {
                this_year
            }
        }
    };
    Some((used, vec![window(year)?]))
}

/// `y-m` plus `n` months.
fn add_months(y: i64, m: i64, n: i64) -> (i64, i64) {
    let total = y * 12 + (m - 1) + n;
    (total.div_euclid(12), total.rem_euclid(12) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_timestamp;

    /// Friday 20 November 2026, 12:00 UTC: the dev sets' `now`.
    const NOW: &str = "2026-11-20T12:00:00Z";

    fn at(text: &str) -> i64 {
        parse_timestamp(text).unwrap()
    }

    fn windows(query: &str, zone: &str) -> Vec<(String, String, String)> {
        let zone = Zone::named(zone).unwrap();
        time_windows(query, at(NOW), &zone, 8)
            .into_iter()
            .map(|w| {
                (
                    w.label,
                    crate::time::format_timestamp(w.start_ms),
                    crate::time::format_timestamp(w.end_ms),
                )
            })
            .collect()
    }

    fn one(query: &str, zone: &str) -> (String, String) {
        let w = windows(query, zone);
        assert_eq!(w.len(), 1, "{query}: {w:?}");
        let (_, s, e) = w.into_iter().next().unwrap();
        (s, e)
    }

    fn pair(s: &str, e: &str) -> (String, String) {
        (s.to_string(), e.to_string())
    }

    #[test]
    fn recency_words_are_soft_windows_of_the_last_month() {
        let zone = Zone::named("UTC").unwrap();
        for query in [
            "what did I buy recently",
            "anything new lately",
            "what do I order these days",
            "what's my plan nowadays",
        ] {
            let w = time_windows(query, at(NOW), &zone, 8);
            assert_eq!(w.len(), 1, "{query}: {w:?}");
            assert!(w[0].soft, "{query}");
            assert_eq!(w[0].end_ms, at(NOW));
            assert_eq!(w[0].end_ms - w[0].start_ms, SOFT_RECENCY_DAYS * DAY_MS);
        }
        let days = time_windows("these days", at(NOW), &zone, 8);
        assert_eq!(days[0].label, "these days");
        assert!(time_words("these days")[1], "both words are the expression");
        assert!(time_windows("these shoes", at(NOW), &zone, 8).is_empty());
        assert!(!time_windows("last week", at(NOW), &zone, 8)[0].soft);
    }

    #[test]
    fn tonight_and_last_night_follow_the_persons_evening() {
        assert_eq!(
            one("what time do doors open tonight?", "America/New_York"),
            pair("2026-11-20T22:00:00.000Z", "2026-11-21T10:00:00.000Z")
        );
        assert_eq!(
            one("a payment from last night", "Europe/London"),
            pair("2026-11-19T17:00:00.000Z", "2026-11-20T05:00:00.000Z")
        );
        assert_eq!(
            one("tomorrow's show", "UTC"),
            pair("2026-11-21T00:00:00.000Z", "2026-11-22T00:00:00.000Z")
        );
    }

    #[test]
    fn weekdays_without_a_side_give_the_nearest_past_and_future_day() {
        let w = windows("Monday's order", "UTC");
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].1, "2026-11-16T00:00:00.000Z");
        assert_eq!(w[1].1, "2026-11-23T00:00:00.000Z");
        assert_eq!(
            one("the quiz last Sunday", "UTC"),
            pair("2026-11-15T00:00:00.000Z", "2026-11-16T00:00:00.000Z")
        );
        assert_eq!(
            one("next friday", "UTC"),
            pair("2026-11-27T00:00:00.000Z", "2026-11-28T00:00:00.000Z")
        );
        assert_eq!(
            one("on friday", "UTC"),
            pair("2026-11-20T00:00:00.000Z", "2026-11-21T00:00:00.000Z"),
            "today is Friday"
        );
    }

    #[test]
    fn weeks_weekends_months_and_years() {
        assert_eq!(
            one("this week", "UTC"),
            pair("2026-11-16T00:00:00.000Z", "2026-11-23T00:00:00.000Z")
        );
        assert_eq!(
            one("charged twice last weekend", "Europe/London"),
            pair("2026-11-14T00:00:00.000Z", "2026-11-16T00:00:00.000Z")
        );
        assert_eq!(
            one("surgery next month", "UTC"),
            pair("2026-12-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z")
        );
        assert_eq!(
            one("last year", "UTC"),
            pair("2025-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z")
        );
    }

    #[test]
    fn dates_months_and_bounds() {
        assert_eq!(
            one("We're moving out on 5 December", "Europe/London"),
            pair("2026-12-05T00:00:00.000Z", "2026-12-06T00:00:00.000Z")
        );
        assert_eq!(
            one("december 5th", "UTC"),
            pair("2026-12-05T00:00:00.000Z", "2026-12-06T00:00:00.000Z")
        );
        // April, seen from November, is next year's; "before" it runs from now to midnight of
        // 1 April in London, which is on summer time by then.
        assert_eq!(
            one("how much more before April?", "Europe/London"),
            pair("2026-11-20T12:00:00.000Z", "2027-03-31T23:00:00.000Z")
        );
        assert_eq!(
            one("since October", "UTC"),
            pair("2026-10-01T00:00:00.000Z", "2026-11-20T12:00:00.000Z")
        );
        assert_eq!(
            one("on 2026-12-05", "UTC"),
            pair("2026-12-05T00:00:00.000Z", "2026-12-06T00:00:00.000Z")
        );
        assert!(windows("you may want to", "UTC").is_empty());
    }

    #[test]
    fn relative_amounts() {
        assert_eq!(
            one("bought it like an hour ago", "UTC"),
            pair("2026-11-20T10:00:00.000Z", "2026-11-20T12:00:00.000Z")
        );
        assert_eq!(
            one("in the past 3 days", "UTC"),
            pair("2026-11-17T12:00:00.000Z", "2026-11-20T12:00:00.000Z")
        );
        assert_eq!(
            one("any good gigs coming up?", "UTC"),
            pair("2026-11-20T12:00:00.000Z", "2026-12-20T12:00:00.000Z")
        );
    }

    #[test]
    fn day_boundaries_move_with_the_zone_and_daylight_time() {
        // 12:00 UTC is 21:00 in Tokyo: "today" is Tokyo's 20 November.
        assert_eq!(
            one("today", "Asia/Tokyo"),
            pair("2026-11-19T15:00:00.000Z", "2026-11-20T15:00:00.000Z")
        );
        // Sydney is on daylight time in November (UTC+11): 12:00 UTC is 23:00 there, so
        // tomorrow is 21 November, from 13:00 UTC on the 20th.
        assert_eq!(
            one("tomorrow", "Australia/Sydney"),
            pair("2026-11-20T13:00:00.000Z", "2026-11-21T13:00:00.000Z")
        );
        // A week in New York that contains the end of daylight time (1 November 2026) is
        // 7 days and one hour long.
        let zone = Zone::named("America/New_York").unwrap();
        let w = time_windows("last week", at("2026-11-04T12:00:00Z"), &zone, 4);
        assert_eq!(
            (w[0].start_ms, w[0].end_ms),
            (at("2026-10-26T04:00:00Z"), at("2026-11-02T05:00:00Z"))
        );
    }

    #[test]
    fn words_that_are_not_times_give_nothing() {
        for q in [
            "can I get a refund?",
            "what is my shoe size",
            "the 1000 pack",
            "is the ML course available in my language?",
            "my deal's ending, what now?",
            "I just want to know",
            "",
        ] {
            assert!(windows(q, "UTC").is_empty(), "{q}");
        }
        assert_eq!(
            time_words("the payment from last night, tomorrow's show"),
            [false, false, false, true, true, true, false, false]
        );
        let long = "this ".repeat(10_000);
        assert!(windows(&long, "UTC").len() <= 8);
    }
}
