//! Timestamps without a clock: RFC 3339 / ISO-8601 parsing into Unix milliseconds, the calendar
//! arithmetic behind it, relative phrases ("12 minutes ago") for the renderer, time zones
//! ([`zone`]) and the dates found inside free text ([`scan`]). The core never reads the current
//! time; callers pass it.

pub mod scan;
pub mod zone;

/// Parses an RFC 3339 / ISO-8601 date-time (`2026-11-20T11:59:50.000Z`, `+02:00` offsets, a space
/// instead of `T`, any number of fraction digits) or a plain date (`2026-11-20`, taken as midnight UTC)
/// into milliseconds since the Unix epoch. Returns `None` for anything else.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let b = text.trim().as_bytes();
    let (stamp, used) = parse_prefix(b)?;
    (used == b.len()).then_some(stamp.ms)
}

/// A date or date-time read from text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Milliseconds since the epoch, the time read as UTC when it names no offset.
    pub ms: i64,
    /// Whether it named an offset (`Z`, `+02:00`): without one it is a local (wall-clock) time.
    pub zoned: bool,
    /// Whether it was a plain date (`2026-11-20`), which stands for the whole day.
    pub date_only: bool,
}

/// Reads a date or date-time at the start of `b` (no leading spaces): the stamp and the bytes used.
/// Stops at the end of the date or time, so `2026-11-21 20:00 at the door` reads `2026-11-21 20:00`.
pub(crate) fn parse_prefix(b: &[u8]) -> Option<(Stamp, usize)> {
    let year = digits(b, 0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let date = Stamp {
        ms: days * DAY_MS,
        zoned: false,
        date_only: true,
    };
    let has_time = matches!(b.get(10), Some(b'T' | b't' | b' '))
        && b.get(13) == Some(&b':')
        && digits(b, 11, 2).is_some()
        && digits(b, 14, 2).is_some();
    if !has_time {
        // A date followed by a digit or letter is part of something longer (an id).
        return (!b.get(10).is_some_and(|c| c.is_ascii_alphanumeric())).then_some((date, 10));
    }
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let (second, mut pos) = match (b.get(16), digits(b, 17, 2)) {
        (Some(b':'), Some(s)) => (s, 19),
        _ => (0, 16),
    };
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut millis = 0i64;
    if b.get(pos) == Some(&b'.') {
        pos += 1;
        let start = pos;
        let mut scale = 100;
        while let Some(d) = b.get(pos).filter(|c| c.is_ascii_digit()) {
            millis += i64::from(d - b'0') * scale;
            scale /= 10;
            pos += 1;
        }
        if pos == start {
            return None;
        }
    }
    let (offset_minutes, zoned) = match b.get(pos) {
        Some(b'Z' | b'z') => {
            pos += 1;
            (0, true)
        }
        Some(sign @ (b'+' | b'-')) if b.get(pos + 3) == Some(&b':') => {
            let h = digits(b, pos + 1, 2)?;
            let m = digits(b, pos + 4, 2)?;
            if h > 23 || m > 59 {
                return None;
            }
            let total = h * 60 + m;
            pos += 6;
            (if *sign == b'+' { total } else { -total }, true)
        }
        _ => (0, false),
    };
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    let stamp = Stamp {
        ms: seconds * 1000 + millis,
        zoned,
        date_only: false,
    };
    Some((stamp, pos))
}

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;
/// Milliseconds in an hour.
pub const HOUR_MS: i64 = 3_600_000;

/// Formats milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn format_timestamp(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

/// "just now", "10 seconds ago", "12 minutes ago", "3 days ago", "2 years ago", or "in 5 days" for
/// times after `now`. Units: seconds, minutes, hours, days, months of 30 days, years of 365 days.
pub fn relative(ms: i64, now_ms: i64) -> String {
    let delta = now_ms.saturating_sub(ms);
    let secs = delta.unsigned_abs() / 1000;
    if secs == 0 {
        return "just now".to_string();
    }
    let (n, unit) = match secs {
        s if s < 60 => (s, "second"),
        s if s < 3600 => (s / 60, "minute"),
        s if s < 86_400 => (s / 3600, "hour"),
        s if s < 30 * 86_400 => (s / 86_400, "day"),
        s if s < 365 * 86_400 => (s / (30 * 86_400), "month"),
        s => (s / (365 * 86_400), "year"),
    };
    // Built by hand rather than with `format!`: this runs for every rendered event, and the
    // formatting machinery is code a cold start would compile first.
    let mut out = String::with_capacity(20);
    if delta < 0 {
        out.push_str("in ");
    }
    push_number(&mut out, n);
    out.push(' ');
    out.push_str(unit);
    if n != 1 {
        out.push('s');
    }
    if delta >= 0 {
        out.push_str(" ago");
    }
    out
}

/// Appends the decimal digits of `n`.
pub fn push_number(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        if let Some(d) = digits.get_mut(start) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || start == 0 {
            break;
        }
    }
    for d in digits.get(start..).unwrap_or_default() {
        out.push(char::from(*d));
    }
}

fn digits(b: &[u8], start: usize, len: usize) -> Option<i64> {
    let slice = b.get(start..start + len)?;
    slice.iter().try_fold(0i64, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

pub(crate) fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub(crate) fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The day of the week of a day number (days since 1970-01-01): 0 Monday … 6 Sunday.
pub(crate) fn weekday(days: i64) -> i64 {
    // 1970-01-01 was a Thursday.
    (days + 3).rem_euclid(7)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_decimal_numbers() {
        for n in [0, 7, 10, 99, 1_234_567_890, u64::MAX] {
            let mut out = String::from("x");
            push_number(&mut out, n);
            assert_eq!(out, format!("x{n}"));
        }
    }

    #[test]
    fn parses_segment_timestamps() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(
            parse_timestamp("2026-11-20T12:00:00.000Z"),
            Some(1_795_176_000_000)
        );
        assert_eq!(
            parse_timestamp("2026-11-20T14:00:00+02:00"),
            Some(1_795_176_000_000)
        );
        assert_eq!(
            parse_timestamp("2026-11-20 12:00:00Z"),
            Some(1_795_176_000_000)
        );
        assert_eq!(
            parse_timestamp("2026-11-20T12:00:00.5Z"),
            Some(1_795_176_000_500)
        );
        assert_eq!(parse_timestamp("2026-11-20"), Some(1_795_132_800_000));
    }

    #[test]
    fn rejects_malformed_times() {
        for bad in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-02-30",
            "2026-11-20T25:00:00Z",
            "2026-11-20T12:00:00.Z",
            "2026-11-20T12:00:00Zjunk",
            "2026-11-20T12:00:00+0200",
            "२०२६-11-20",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_round_trip() {
        for ms in [0, 1_763_640_000_123, -86_400_000, 951_782_400_000] {
            assert_eq!(parse_timestamp(&format_timestamp(ms)), Some(ms));
        }
    }

    #[test]
    fn relative_phrases() {
        let now = 1_795_176_000_000;
        assert_eq!(relative(now, now), "just now");
        assert_eq!(relative(now - 10_000, now), "10 seconds ago");
        assert_eq!(relative(now - 12 * 60_000, now), "12 minutes ago");
        assert_eq!(relative(now - 3_600_000, now), "1 hour ago");
        assert_eq!(relative(now - 3 * 86_400_000, now), "3 days ago");
        assert_eq!(relative(now - 400 * 86_400_000, now), "1 year ago");
        assert_eq!(relative(now + 5 * 86_400_000, now), "in 5 days");
        assert_eq!(relative(i64::MIN, i64::MAX), "292471208 years ago");
    }
}
