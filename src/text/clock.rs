//! The digits of clock times and calendar dates inside text (`20:38:08`, `10:12`,
//! `2026-11-19T20:38:08Z`, `2026-11-19`): the snapshot compiler does not index them as numbers,
//! so that a question's "38 Mbps" or "12 dollars" does not meet a timestamp's minutes. Dates and
//! times are matched as times (`text::when`, the time index), not as words.

/// `text` with the characters of its clock times and ISO dates replaced by spaces (a copy only
/// when it has any). Linear: one pass, each character looked at a bounded number of times.
pub fn without_clock_digits(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut blank: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        crate::work::step(1);
        if let Some(end) = iso_date(bytes, i).or_else(|| clock(bytes, i)) {
            blank.push((i, end));
            i = end;
        } else {
            i += 1;
        }
    }
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
