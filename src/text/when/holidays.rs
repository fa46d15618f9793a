//! Named days of the calendar: "before Christmas", "by New Year's", "Easter weekend",
//! "Halloween", "Thanksgiving". General calendar facts (fixed dates, Easter by the Gregorian
//! computus, the United States' Thanksgiving as the fourth Thursday of November, the usual
//! reading of the name in English), no domain's words; the nearest occurrence to today is meant,
//! as for a month named alone.

use super::{word, Calendar, Found};
use crate::time::{civil_from_days, days_from_civil, weekday};

/// The named day starting at word `i`, if any: how many words it used and its window (the day).
#[inline(never)]
pub(super) fn holiday_at(words: &[String], i: usize, cal: &Calendar) -> Option<Found> {
    let (day_of_year, used): (fn(i64) -> i64, usize) = match word(words, i) {
        "christmas" | "xmas" => match word(words, i + 1) {
            "eve" => (|y| days_from_civil(y, 12, 24), 2),
            "day" => (|y| days_from_civil(y, 12, 25), 2),
            _ => (|y| days_from_civil(y, 12, 25), 1),
        },
        "new" => {
            let year = word(words, i + 1);
            if !matches!(year, "year" | "years" | "yr" | "yrs") {
                return None;
            }
            // "new year's eve" splits as new, year, s, eve.
            let at = i + 2 + usize::from(word(words, i + 2) == "s");
            match word(words, at) {
                "eve" => (|y| days_from_civil(y - 1, 12, 31), at - i + 1),
                "day" => (|y| days_from_civil(y, 1, 1), at - i + 1),
                _ => (|y| days_from_civil(y, 1, 1), at - i),
            }
        }
        "boxing" if word(words, i + 1) == "day" => (|y| days_from_civil(y, 12, 26), 2),
        "halloween" => (|y| days_from_civil(y, 10, 31), 1),
        "valentine" | "valentines" => (|y| days_from_civil(y, 2, 14), 1),
        "easter" => (easter, 1),
        "thanksgiving" => (thanksgiving, 1),
        _ => return None,
    };
    let (this_year, _, _) = civil_from_days(cal.today);
    // The occurrence nearest to today: last year's, this year's or next year's.
    let day = [this_year - 1, this_year, this_year + 1]
        .map(day_of_year)
        .into_iter()
        .min_by_key(|d| (d - cal.today).abs())?;
    Some((used, vec![cal.days(day, 1)]))
}

/// Easter Sunday of year `y` (the anonymous Gregorian algorithm), as a day number.
fn easter(y: i64) -> i64 {
    let a = y.rem_euclid(19);
    let (b, c) = (y.div_euclid(100), y.rem_euclid(100));
    let (d, e) = (b / 4, b % 4);
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let (i, k) = (c / 4, c % 4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    days_from_civil(y, month, day)
}

/// The fourth Thursday of November of year `y`, as a day number.
fn thanksgiving(y: i64) -> i64 {
    let first = days_from_civil(y, 11, 1);
    first + (3 - weekday(first)).rem_euclid(7) + 21
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::zone::Zone;
    use crate::time::{format_timestamp, parse_timestamp};

    fn day_of(query: &str, now: &str) -> Option<(usize, String)> {
        let mut words = Vec::new();
        crate::text::split_words(query, |w| words.push(w.to_string()));
        let now_ms = parse_timestamp(now)?;
        let zone = Zone::UTC;
        let cal = Calendar::new(now_ms, &zone);
        let (used, windows) = holiday_at(&words, 0, &cal)?;
        let (start, _) = windows.first().copied()?;
        Some((used, format_timestamp(start)))
    }

    #[test]
    fn named_days_are_their_nearest_occurrence() {
        let now = "2026-11-20T12:00:00Z";
        let cases = [
            ("christmas", 1, "2026-12-25"),
            ("xmas eve", 2, "2026-12-24"),
            ("new years", 2, "2027-01-01"),
            ("new year's eve", 4, "2026-12-31"),
            ("halloween", 1, "2026-10-31"),
            ("thanksgiving", 1, "2026-11-26"),
            ("easter", 1, "2027-03-28"),
            ("boxing day", 2, "2026-12-26"),
        ];
        for (query, used, day) in cases {
            let (n, start) = day_of(query, now).unwrap_or_default();
            assert_eq!(n, used, "{query}");
            assert!(start.starts_with(day), "{query}: {start}");
        }
        // In January, last Christmas is nearer than the next one.
        let (_, start) = day_of("christmas", "2027-01-03T12:00:00Z").unwrap_or_default();
        assert!(start.starts_with("2026-12-25"), "{start}");
        assert_eq!(day_of("new shoes", now), None);
        assert_eq!(day_of("boxing gloves", now), None);
    }

    #[test]
    fn easter_follows_the_computus() {
        for (y, m, d) in [
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2038, 4, 25),
        ] {
            assert_eq!(easter(y), days_from_civil(y, m, d), "{y}");
        }
    }
}
