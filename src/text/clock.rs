//! The digits of clock times and calendar dates inside text (`20:38:08`, `10:12`,
//! `2026-11-19T20:38:08Z`, `2026-11-19`): the snapshot compiler does not index them as numbers,
//! so that a question's "38 Mbps" or "12 dollars" does not meet a timestamp's minutes. Dates and
//! times are matched as times (`text::when`, the time index), not as words.

/// `text` with the characters of its clock times and ISO dates replaced by spaces (a copy only
/// when it has any). Linear: one pass, each character looked at a bounded number of times.
pub fn without_clock_digits(text: &str) -> std::borrow::Cow<'_, str> {
    blank_clock_digits(text, |_| {})
}

/// [`without_clock_digits`], telling `hour` the hour of each clock time that is not part of an
/// ISO date-time ([`clock_hours`]) in the same pass.
pub fn blank_clock_digits(text: &str, mut hour: impl FnMut(u8)) -> std::borrow::Cow<'_, str> {
    let mut blank: Vec<(usize, usize)> = Vec::new();
    each_span(text.as_bytes(), |start, end, alone| {
        blank.push((start, end));
        if let Some(h) = alone {
            hour(h);
        }
    });
    if blank.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in blank {
        out.push_str(text.get(at..start).unwrap_or(""));
        out.extend(std::iter::repeat_n(' ', end - start));
        at = end;
    }
    out.push_str(text.get(at..).unwrap_or(""));
    std::borrow::Cow::Owned(out)
}

/// Calls `emit` with the hour (0–23) of each clock time in `text` that is not part of an ISO
/// date-time: `06:00` in `to_time=06:00`, not the UTC hour of `2026-11-19T20:38:08Z`, which
/// says when something was recorded rather than a time of day someone chose. Linear.
pub fn clock_hours(text: &str, mut emit: impl FnMut(u8)) {
    each_span(text.as_bytes(), |_, _, alone| {
        if let Some(h) = alone {
            emit(h);
        }
    });
}

/// Each ISO date (with its time, if any) and each clock time of `bytes`, in one pass: its
/// span, and for a clock time on its own its hour (when under 24).
#[inline(never)]
fn each_span(bytes: &[u8], mut f: impl FnMut(usize, usize, Option<u8>)) {
    let mut i = 0;
    while i < bytes.len() {
        crate::work::step(1);
        if let Some(end) = iso_date(bytes, i) {
            f(i, end, None);
            i = end;
        } else if let Some(end) = clock(bytes, i) {
            let hour = bytes
                .get(i..end)
                .unwrap_or_default()
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .fold(0u8, |h, d| h.saturating_mul(10).saturating_add(d - b'0'));
            f(i, end, (hour < 24).then_some(hour));
            i = end;
        } else {
            i += 1;
        }
    }
}

/// The term a clock hour is indexed and asked by: `06:00`. Text never analyzes to it (clock
/// digits are left out of words), so it meets only another hour.
pub fn hour_term(hour: u8) -> String {
    let mut term = String::with_capacity(5);
    term.push(char::from(b'0' + hour / 10 % 10));
    term.push(char::from(b'0' + hour % 10));
    term.push_str(":00");
    term
}

/// An hour a question names: where its word is, how many words the expression uses, the hour,
/// and the other half of the day's when it does not say which ("7 o'clock").
pub type NamedHour = (usize, usize, u8, Option<u8>);

/// The hours a question names ("6am", "6 pm", "7 p.m.", "6 in the morning", "9 at night",
/// "7 o'clock", "18:30"). Only the typed words' shapes, no domain words; a constant look-ahead
/// a word.
#[inline(never)]
pub fn hours_named(words: &[String], text: &str) -> Vec<NamedHour> {
    let word = |i: usize| words.get(i).map_or("", String::as_str);
    // Which hours the text types as clock times (a set: the text may be long).
    let mut typed = [false; 24];
    clock_hours(text, |h| {
        if let Some(seen) = typed.get_mut(usize::from(h)) {
            *seen = true;
        }
    });
    let mut out: Vec<NamedHour> = Vec::new();
    for i in 0..words.len() {
        let w = word(i).as_bytes();
        let n = w.iter().take_while(|b| b.is_ascii_digit()).count().min(3);
        if n == 0 || n > 2 {
            continue;
        }
        let v = w.iter().take(n).fold(0u8, |v, d| v * 10 + (d - b'0'));
        let suffix = word(i).get(n..).unwrap_or_default();
        // (words used, afternoon?) of a 12-hour reading; `None` for none.
        let (used, pm) = match (suffix, word(i + 1), word(i + 2), word(i + 3)) {
            ("am", ..) => (1, Some(false)),
            ("pm", ..) => (1, Some(true)),
            ("", "am", ..) => (2, Some(false)),
            ("", "pm", ..) => (2, Some(true)),
            ("", "a", "m", _) => (3, Some(false)),
            ("", "p", "m", _) => (3, Some(true)),
            ("", "in", "the", "morning") => (4, Some(false)),
            ("", "in", "the", "afternoon" | "evening") => (4, Some(true)),
            ("", "at", "night", _) => (3, Some((6..12).contains(&v))),
            ("", "o", "clock", _) => (3, None),
            ("", "oclock", ..) => (2, None),
            ("", ..) if typed.get(usize::from(v)).copied().unwrap_or(false) => {
                if let Some(seen) = typed.get_mut(usize::from(v)) {
                    *seen = false;
                }
                out.push((i, 1, v, None));
                continue;
            }
            _ => continue,
        };
        if v > 12 {
            continue;
        }
        let morning = v % 12;
        match pm {
            Some(pm) => out.push((i, used, morning + if pm { 12 } else { 0 }, None)),
            None => out.push((i, used, morning, Some(morning + 12))),
        }
    }
    out
}

fn digits(bytes: &[u8], at: usize, n: usize) -> bool {
    bytes
        .get(at..at + n)
        .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
}

/// Digits before `at` (the pattern must start a number, not sit inside one).
fn starts_number(bytes: &[u8], at: usize) -> bool {
    at == 0 || !bytes.get(at - 1).is_some_and(u8::is_ascii_digit)
}

/// `YYYY-MM-DD`, optionally followed by `THH:MM[:SS[.fff]]` and a zone: where it ends.
fn iso_date(bytes: &[u8], at: usize) -> Option<usize> {
    if !starts_number(bytes, at)
        || !digits(bytes, at, 4)
        || bytes.get(at + 4) != Some(&b'-')
        || !digits(bytes, at + 5, 2)
        || bytes.get(at + 7) != Some(&b'-')
        || !digits(bytes, at + 8, 2)
    {
        return None;
    }
    let end = at + 10;
    if matches!(bytes.get(end), Some(b'T' | b't' | b' ')) {
        if let Some(time_end) = clock(bytes, end + 1) {
            let mut e = time_end;
            if matches!(bytes.get(e), Some(b'Z' | b'z')) {
                e += 1;
            }
            return Some(e);
        }
    }
    Some(end)
}

/// `H:MM` or `HH:MM`, optionally `:SS` and `.fff`: where it ends.
fn clock(bytes: &[u8], at: usize) -> Option<usize> {
    if !starts_number(bytes, at) {
        return None;
    }
    let h = if digits(bytes, at, 2) {
        2
    } else if digits(bytes, at, 1) {
        1
    } else {
        return None;
    };
    let mut e = at + h;
    if bytes.get(e) != Some(&b':') || !digits(bytes, e + 1, 2) {
        return None;
    }
    e += 3;
    if bytes.get(e) == Some(&b':') && digits(bytes, e + 1, 2) {
        e += 3;
        if bytes.get(e) == Some(&b'.') {
            let frac = bytes
                .get(e + 1..)
                .map_or(0, |r| r.iter().take_while(|b| b.is_ascii_digit()).count());
            if frac > 0 {
                e += 1 + frac;
            }
        }
    }
    if bytes.get(e).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    Some(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_of_clock_times_but_not_of_timestamps() {
        let mut hours = Vec::new();
        clock_hours(
            "from_time=21:00; to_time=06:00; slot 9:30-13:00 at 2026-11-19T20:38:08Z, 99:00",
            |h| hours.push(h),
        );
        assert_eq!(hours, [21, 6, 9, 13]);
        assert_eq!(hour_term(6), "06:00");
    }

    #[test]
    fn hours_a_question_names() {
        let named = |text: &str| {
            let mut words = Vec::new();
            crate::text::split_words(text, |w| words.push(w.to_string()));
            hours_named(&words, text)
                .into_iter()
                .map(|(at, used, hour, other)| {
                    (
                        words[at].clone(),
                        used,
                        [Some(hour), other]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<u8>>(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            named("pinging me at 6 in the morning"),
            [("6".into(), 4, vec![6])]
        );
        assert_eq!(named("the 6pm class"), [("6pm".into(), 1, vec![18])]);
        assert_eq!(named("at 7 p.m."), [("7".into(), 3, vec![19])]);
        assert_eq!(named("9 at night"), [("9".into(), 3, vec![21])]);
        assert_eq!(named("12am"), [("12am".into(), 1, vec![0])]);
        assert_eq!(named("7 o'clock"), [("7".into(), 3, vec![7, 19])]);
        assert_eq!(named("moved to 18:30"), [("18".into(), 1, vec![18])]);
        // Numbers that are not hours stay numbers.
        assert!(named("level 6, 40 dollars, 13pm, 25 in the morning").is_empty());
    }

    #[test]
    fn clock_times_and_iso_dates_are_blanked() {
        assert_eq!(
            without_clock_digits("loaded 2026-11-19T20:38:08.000Z ok").trim(),
            "loaded                          ok".trim()
        );
        assert!(!without_clock_digits("at 10:12 and 6:05").contains(char::is_numeric));
        assert!(!without_clock_digits("due 2026-11-28").contains(char::is_numeric));
        assert!(!without_clock_digits("2026-11-19 20:38").contains(char::is_numeric));
    }

    #[test]
    fn other_numbers_stay() {
        for text in [
            "38.6 Mbps",
            "order 2026-114",
            "room 1007",
            "10.5",
            "12345:678",
            "v1:2",
        ] {
            assert_eq!(without_clock_digits(text), text, "{text}");
        }
        assert_eq!(without_clock_digits("ratio 3:1").as_ref(), "ratio 3:1");
    }
}
