//! Dates and date-times inside free text: a `show_date` of `2026-11-21 20:00`, a
//! `"expires_on": "2026-12-20"` member of an object value, a `due 2026-11-28` in a message. The
//! snapshot compiler keeps them per item, so that "tomorrow's show" can match a date that is not
//! the event's own time.
//!
//! Only ISO-8601 shapes are read (`YYYY-MM-DD`, optionally a time and an offset): they are
//! unambiguous, and they are what CDP payloads carry. One pass, each byte looked at a bounded
//! number of times.

use super::{parse_prefix, Stamp};

/// Every date or date-time in `text`, in order, at most `max` of them. A date must not be glued
/// to letters or digits before it (`ord2026-11-20x` is an id, not a date).
pub fn dates_in(text: &str, max: usize) -> Vec<Stamp> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut prev_alnum = false;
    while i < b.len() && out.len() < max {
        let Some(&c) = b.get(i) else { break };
        if c.is_ascii_digit() && !prev_alnum {
            if let Some((stamp, used)) = b.get(i..).and_then(parse_prefix) {
                out.push(stamp);
                i += used;
                prev_alnum = b.get(i - 1).is_some_and(u8::is_ascii_alphanumeric);
                continue;
            }
            // Not a date: skip the whole run of digits, so it is not retried at every digit.
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            prev_alnum = true;
            continue;
        }
        prev_alnum = c.is_ascii_alphanumeric();
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_timestamp;

    fn ms(text: &str) -> i64 {
        parse_timestamp(text).unwrap()
    }

    #[test]
    fn finds_dates_and_times_in_text() {
        let found = dates_in(
            "event_date_local: 2026-11-21 20:00, expires_on: 2026-12-20; at 2026-11-20T10:40:00Z.",
            10,
        );
        assert_eq!(
            found,
            [
                Stamp {
                    ms: ms("2026-11-21T20:00:00Z"),
                    zoned: false,
                    date_only: false
                },
                Stamp {
                    ms: ms("2026-12-20"),
                    zoned: false,
                    date_only: true
                },
                Stamp {
                    ms: ms("2026-11-20T10:40:00Z"),
                    zoned: true,
                    date_only: false
                },
            ]
        );
    }

    #[test]
    fn ids_numbers_and_non_dates_are_not_dates() {
        for text in [
            "ord2026-11-20",
            "2026-11-20x",
            "20261120",
            "2026-13-01",
            "tax year 2026/27",
            "version 1.2.3",
            "TX-91204417",
            "",
        ] {
            assert!(dates_in(text, 10).is_empty(), "{text}");
        }
        assert_eq!(dates_in("2026-01-01 2026-01-02 2026-01-03", 2).len(), 2);
    }

    #[test]
    fn a_long_run_of_digits_and_dashes_is_read_once() {
        let text = "1-".repeat(100_000) + "2026-11-20";
        let found = dates_in(&text, 10);
        assert_eq!(found.len(), 1);
        let digits = "9".repeat(200_000);
        assert!(dates_in(&digits, 10).is_empty());
    }
}
