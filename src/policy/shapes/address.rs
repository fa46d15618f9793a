//! Street addresses, P.O. boxes and postcodes.

use super::numbers::glued_before;
use super::tokens::{Kind, Tok};
use super::vocabulary::list;

/// Endings of one-word street names (German, Dutch, Nordic, Finnish, Hungarian).
pub(super) const STREET_SUFFIXES: &[&str] = &[
    "strasse", "str", "weg", "gasse", "allee", "platz", "damm", "ufer", "chaussee", "steig",
    "pfad", "straat", "laan", "plein", "gracht", "kade", "singel", "dijk", "gatan", "vagen",
    "gata", "gaten", "gade", "vej", "veien", "vegen", "katu", "utca",
];

/// A house number: 1–5 digits, optionally one letter (`221B`, `12a`).
pub(super) fn house_number(t: &Tok) -> bool {
    t.is_word()
        && (1..=5).contains(&t.digits)
        && t.letters <= 1
        && t.text.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

/// A word of a street's name: letters, possibly joined by `-`, `'` or `.` to the next (`O'Connell`,
/// `Saint-Denis`). Returns the token after it.
pub(super) fn name_word(toks: &[Tok], i: usize) -> Option<usize> {
    let t = toks.get(i)?;
    if !t.is_word() || t.letters == 0 || t.digits > 0 {
        return None;
    }
    let mut j = i + 1;
    while toks
        .get(j)
        .is_some_and(|p| matches!(p.kind, Kind::Punct('-' | '\'' | '’')))
        && toks
            .get(j + 1)
            .is_some_and(|w| w.is_word() && w.digits == 0)
    {
        crate::work::step(1);
        j += 2;
    }
    Some(j)
}

pub(super) fn address(toks: &[Tok], i: usize) -> Option<usize> {
    let t = toks.get(i)?;
    if glued_before(toks, i) && !t.is(list::STREET_BEFORE) {
        return None;
    }
    let gap = |j: usize| toks.get(j).is_some_and(Tok::is_gap);
    let dot = |j: usize| {
        if toks.get(j).is_some_and(|p| p.is_punct('.')) {
            j + 1
        } else {
            j
        }
    };
    // `12 Main Street`, `221B Baker St.`, `10 rue de Rivoli`, `12, rue de la Paix`.
    if house_number(t) {
        let mut j = i + 1;
        if toks.get(j).is_some_and(|p| p.is_punct(',')) {
            j += 1;
        }
        if !gap(j) {
            return None;
        }
        j += 1;
        if toks
            .get(j)
            .is_some_and(|w| w.is(list::STREET_FIRST_AFTER_NUMBER))
        {
            // The name: capitalized words and connectives, at least one capitalized.
            let mut k = dot(j + 1);
            let mut capitals = 0;
            while capitals < 5 && gap(k) {
                crate::work::step(1);
                let Some(w) = toks.get(k + 1) else { break };
                if !(w.capitalized() || w.is(list::CONNECTIVE)) {
                    break;
                }
                let Some(next) = name_word(toks, k + 1) else {
                    break;
                };
                capitals += usize::from(w.capitalized());
                k = next;
            }
            return (capitals > 0).then_some(k);
        }
        let mut names = 0;
        while names < 5 {
            crate::work::step(1);
            let next = name_word(toks, j)?;
            let w = toks.get(j)?;
            if names > 0 && w.is(list::STREET_AFTER) {
                // Lowercase names only before an abbreviated street word (`12 main st`), so that
                // `3 blocks down the street` is not an address.
                let lowercase_name = toks
                    .get(i + 2..j)
                    .unwrap_or(&[])
                    .iter()
                    .any(|n| n.is_word() && !n.capitalized() && !n.is(list::CONNECTIVE));
                if lowercase_name && !w.is(list::STREET_ABBREVIATION) {
                    return None;
                }
                let end = dot(next);
                let weak = w.is(list::STREET_AFTER_WEAK);
                let ends_here = match toks.get(end) {
                    None => true,
                    Some(n)
                        if n.kind == Kind::Punct(',')
                            || n.kind == Kind::Punct('.')
                            || n.text.contains('\n') =>
                    {
                        true
                    }
                    Some(n) if n.is_gap() => toks.get(end + 1).is_none_or(|a| {
                        a.is(list::UNIT)
                            || a.is(list::DIRECTION)
                            || a.is_punct('#')
                            || !a.capitalized()
                    }),
                    _ => false,
                };
                if weak && !ends_here {
                    return None;
                }
                return Some(address_tail(toks, end));
            }
            if !gap(next) {
                return None;
            }
            j = next + 1;
            names += 1;
        }
        return None;
    }
    // `Calle Mayor 12`, `Via Roma 1`, `ul. Długa 5`, `Rua Barão de Jaguara 1240`.
    if t.is(list::STREET_BEFORE) && t.capitalized()
        || t.key == "ul"
        || t.key == "c" && toks.get(i + 1).is_some_and(|p| p.is_punct('/'))
    {
        let mut k = dot(i + 1);
        if toks.get(k).is_some_and(|p| p.is_punct('/')) {
            k += 1;
        }
        let mut names = 0;
        while names < 6 {
            crate::work::step(1);
            if gap(k) {
                k += 1;
            }
            let w = toks.get(k)?;
            if house_number(w) && names > 0 {
                return Some(address_tail(toks, k + 1));
            }
            if !(w.capitalized() || w.is(list::CONNECTIVE)) {
                return None;
            }
            k = name_word(toks, k)?;
            names += 1;
        }
        return None;
    }
    // `Lindenstraße 12`, `Lindenstr. 12`, `Kerkstraat 5`, `Storgatan 3`.
    if t.is_word() && t.digits == 0 && t.capitalized() && !t.key.is_empty() {
        let key = &t.key;
        let compound = STREET_SUFFIXES
            .iter()
            .any(|s| key.len() >= s.len() + 3 && key.ends_with(s));
        if compound {
            let k = dot(i + 1);
            if gap(k) && toks.get(k + 1).is_some_and(house_number) {
                return Some(address_tail(toks, k + 2));
            }
        }
    }
    // P.O. boxes.
    if t.key == "po" || t.key == "pob" || t.key == "p" {
        let mut k = dot(i + 1);
        if t.key == "p" {
            if toks.get(k).is_none_or(|o| o.key != "o") {
                return None;
            }
            k = dot(k + 1);
        }
        if gap(k) {
            k += 1;
        }
        if toks.get(k).is_some_and(|b| b.key == "box")
            && gap(k + 1)
            && toks.get(k + 2).is_some_and(Tok::is_num)
        {
            return Some(k + 3);
        }
    }
    if t.is_one_of(&["postfach", "postbus", "apartado"])
        && gap(i + 1)
        && toks.get(i + 2).is_some_and(Tok::is_num)
    {
        return Some(i + 3);
    }
    // UK (`SW1A 1AA`) and Canadian (`M5S 1G5`) postcodes.
    if t.is_word() && t.upper == t.letters && t.text.is_ascii() && gap(i + 1) {
        let n = toks.get(i + 2)?;
        if n.upper == n.letters
            && n.text.is_ascii()
            && (uk_outward(t.text) && uk_inward(n.text)
                || ca_part(t.text, true) && ca_part(n.text, false))
        {
            return Some(i + 3);
        }
    }
    // `City, ST 12345` and `ST 12345-6789`.
    if t.is_word() && t.text.len() == 2 && t.upper == 2 && gap(i + 1) {
        let before_comma = i
            .checked_sub(2)
            .and_then(|p| toks.get(p))
            .is_some_and(|c| c.is_punct(','))
            && i.checked_sub(1).is_some_and(gap);
        let zip = toks.get(i + 2).is_some_and(|z| z.is_num() && z.digits == 5);
        if before_comma && zip {
            let mut end = i + 3;
            if toks.get(end).is_some_and(|d| d.is_punct('-'))
                && toks
                    .get(end + 1)
                    .is_some_and(|z| z.is_num() && z.digits == 4)
            {
                end += 2;
            }
            return Some(end);
        }
    }
    None
}

/// After a street: a direction (`NW`), a unit (`Apt 2R`, `, Unit 3`, `#4`) and a postal code with
/// its town (`, 10115 Berlin`).
pub(super) fn address_tail(toks: &[Tok], mut end: usize) -> usize {
    let gap = |j: usize| toks.get(j).is_some_and(Tok::is_gap);
    if gap(end)
        && toks
            .get(end + 1)
            .is_some_and(|d| d.is(list::DIRECTION) && d.upper == d.letters)
    {
        end += 2;
    }
    let mut k = end;
    if toks.get(k).is_some_and(|c| c.is_punct(',')) {
        k += 1;
    }
    if gap(k) {
        k += 1;
    }
    if toks.get(k).is_some_and(|u| u.is(list::UNIT)) {
        let mut m = k + 1;
        if toks.get(m).is_some_and(|p| p.is_punct('.')) {
            m += 1;
        }
        if gap(m) {
            m += 1;
        }
        if toks
            .get(m)
            .is_some_and(|n| n.is_word() && n.digits > 0 && n.text.len() <= 6)
        {
            return m + 1;
        }
    }
    if toks.get(k).is_some_and(|h| h.is_punct('#'))
        && toks.get(k + 1).is_some_and(|n| n.is_word() && n.digits > 0)
    {
        return k + 2;
    }
    if toks
        .get(k)
        .is_some_and(|z| z.is_num() && (4..=5).contains(&z.digits))
        && gap(k + 1)
        && toks
            .get(k + 2)
            .is_some_and(|c| c.capitalized() && c.digits == 0)
        && k > end
    {
        return k + 3;
    }
    end
}

/// The postcode areas of the United Kingdom.
#[rustfmt::skip]
pub(super) const UK_AREAS: &[&str] = &[
    "AB", "AL", "B", "BA", "BB", "BD", "BF", "BH", "BL", "BN", "BR", "BS", "BT", "BX", "CA", "CB",
    "CF", "CH", "CM", "CO", "CR", "CT", "CV", "CW", "DA", "DD", "DE", "DG", "DH", "DL", "DN", "DT",
    "DY", "E", "EC", "EH", "EN", "EX", "FK", "FY", "G", "GL", "GU", "GY", "HA", "HD", "HG", "HP",
    "HR", "HS", "HU", "HX", "IG", "IM", "IP", "IV", "JE", "KA", "KT", "KW", "KY", "L", "LA", "LD",
    "LE", "LL", "LN", "LS", "LU", "M", "ME", "MK", "ML", "N", "NE", "NG", "NN", "NP", "NR", "NW",
    "OL", "OX", "PA", "PE", "PH", "PL", "PO", "PR", "RG", "RH", "RM", "S", "SA", "SE", "SG", "SK",
    "SL", "SM", "SN", "SO", "SP", "SR", "SS", "ST", "SW", "SY", "TA", "TD", "TF", "TN", "TQ", "TR",
    "TS", "TW", "UB", "W", "WA", "WC", "WD", "WF", "WN", "WR", "WS", "WV", "YO", "ZE",
];

pub(super) fn uk_outward(s: &str) -> bool {
    let b = s.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    s.get(..letters)
        .is_some_and(|area| UK_AREAS.contains(&area))
        && (2..=4).contains(&b.len())
        && (1..=2).contains(&letters)
        && b.get(letters).is_some_and(u8::is_ascii_digit)
        && b.iter().skip(letters + 1).all(u8::is_ascii_alphanumeric)
}

pub(super) fn uk_inward(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 3
        && b.first().is_some_and(u8::is_ascii_digit)
        && b.iter().skip(1).all(u8::is_ascii_alphabetic)
}

pub(super) fn ca_part(s: &str, outward: bool) -> bool {
    let b = s.as_bytes();
    let (l, d) = (u8::is_ascii_alphabetic, u8::is_ascii_digit);
    b.len() == 3
        && match b {
            [x, y, z] if outward => l(x) && d(y) && l(z) && b"ABCEGHJKLMNPRSTVXY".contains(x),
            [x, y, z] => d(x) && l(y) && d(z),
            _ => false,
        }
}
