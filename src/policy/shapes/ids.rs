//! IBANs, identifiers after an identity or payment word, dates written with month names.

use super::glued::iban_length;
use super::numbers::{glued_before, is_date};
use super::tokens::{Kind, Tok};
use super::vocabulary::list;

/// An IBAN starting at `i`: its end token when the mod-97 check passes. Glued to a word before it
/// (`iban=DE89 3704…`), it must have its country's registered length too.
pub(super) fn iban(toks: &[Tok], i: usize) -> Option<usize> {
    let t = toks.get(i)?;
    let head = t.text.as_bytes();
    if !t.is_word()
        || head.len() < 4
        || !head.iter().take(2).all(u8::is_ascii_alphabetic)
        || !head.get(2..4)?.iter().all(u8::is_ascii_digit)
        || !t.text.is_ascii()
    {
        return None;
    }
    let required = if glued_before(toks, i) {
        Some(iban_length(head.get(..2)?)?)
    } else {
        None
    };
    let mut chars: Vec<u8> = Vec::new();
    let mut best = None;
    let mut j = i;
    loop {
        crate::work::step(1);
        let w = toks.get(j)?;
        if !w.is_word() || !w.text.is_ascii() || chars.len() + w.text.len() > 34 {
            break;
        }
        chars.extend(w.text.bytes().map(|b| b.to_ascii_uppercase()));
        let length_ok = required.is_none_or(|n| n == chars.len());
        if (15..=34).contains(&chars.len()) && length_ok && mod97(&chars) {
            best = Some(j + 1);
        }
        if toks.get(j + 1).is_some_and(Tok::is_gap)
            && toks
                .get(j + 2)
                .is_some_and(|n| n.is_word() && n.text.len() <= 4)
        {
            j += 2;
        } else {
            break;
        }
    }
    best
}

pub(super) fn mod97(iban: &[u8]) -> bool {
    let (head, rest) = iban.split_at(4.min(iban.len()));
    let mut r: u32 = 0;
    for &b in rest.iter().chain(head) {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return false,
        };
        r = if v >= 10 {
            (r * 100 + v) % 97
        } else {
            (r * 10 + v) % 97
        };
    }
    r == 1
}

/// An id-like run at `i` (after an identity or payment word): letters and digits, joined by single
/// spaces, dashes, dots or slashes, 6–24 of them with at least four digits.
pub(super) fn id_run(toks: &[Tok], i: usize) -> Option<usize> {
    if is_date(toks, i) {
        return None;
    }
    let idish = |t: &Tok| t.is_word() && (t.digits > 0 || (t.letters <= 3 && t.upper == t.letters));
    let first = toks.get(i)?;
    let digit_soon = first.digits > 0 || toks.get(i + 2).is_some_and(|n| n.digits > 0);
    if !idish(first) || !digit_soon {
        return None;
    }
    let (mut alnum, mut digits, mut end, mut j) = (0usize, 0u32, i, i);
    while let Some(t) = toks.get(j) {
        crate::work::step(1);
        if !idish(t) || alnum + t.text.len() > 24 {
            break;
        }
        alnum += t.text.len();
        digits += t.digits;
        end = j + 1;
        let joined = toks
            .get(j + 1)
            .is_some_and(|s| s.is_gap() || matches!(s.kind, Kind::Punct('-' | '.' | '/')));
        if joined && toks.get(j + 2).is_some_and(idish) {
            j += 2;
        } else {
            break;
        }
    }
    (alnum >= 6 && digits >= 4).then_some(end)
}

/// `4 December 1977`, `4. Dezember 1977`, `4 de diciembre de 1977`, `December 4, 1977`.
pub(super) fn written_date(toks: &[Tok], i: usize) -> Option<usize> {
    let mut j = i;
    let word = |j: usize| toks.get(j);
    let skip = |mut j: usize, fillers: &[&str]| loop {
        crate::work::step(1);
        match toks.get(j) {
            Some(t) if t.kind == Kind::Space || matches!(t.kind, Kind::Punct('.' | ',')) => j += 1,
            Some(t) if t.is_one_of(fillers) => j += 1,
            _ => return j,
        }
    };
    let day = |t: &Tok| t.is_num() && (1..=31).contains(&t.value()) && t.digits <= 2;
    let year = |t: &Tok| t.is_num() && t.digits == 4 && (1900..=2099).contains(&t.value());
    if word(j).is_some_and(day) {
        j = skip(j + 1, &["de", "of", "the"]);
        if !word(j).is_some_and(|t| t.is(list::MONTH)) {
            return None;
        }
        let month_end = j + 1;
        j = skip(month_end, &["de", "del"]);
        return Some(if word(j).is_some_and(year) {
            j + 1
        } else {
            month_end
        });
    }
    if word(j).is_some_and(|t| t.is(list::MONTH)) {
        j = skip(j + 1, &[]);
        if !word(j).is_some_and(|t| day(t) || year(t)) {
            return None;
        }
        let end = j + 1;
        let k = skip(end, &[]);
        return Some(if word(k).is_some_and(year) {
            k + 1
        } else {
            end
        });
    }
    None
}
