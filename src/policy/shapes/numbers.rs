//! Digit runs: phones, cards, SSNs, IPv4 and IPv6 addresses, dates after a birth word.

use super::context::{Context, Span};
use super::tokens::{Kind, Tok};
use crate::policy::class::PiiClass::{self, Birthday, GovernmentId, IpAddress, PaymentId, Phone};

/// Whether a run of digit groups starts at `i`: digits, or `+` / `(` before digits.
pub(super) fn starts_number(toks: &[Tok], i: usize) -> bool {
    match toks.get(i) {
        Some(t) if t.is_num() => true,
        Some(t) if t.is_punct('+') || t.is_punct('(') => toks.get(i + 1).is_some_and(Tok::is_num),
        _ => false,
    }
}

/// What stands between two digit groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sep {
    Space,
    Dash,
    Dot,
    Slash,
    /// Parentheses, with or without a space or dash (`(415) 555`).
    Paren,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Group {
    pub(super) tok: usize,
    pub(super) digits: u32,
    pub(super) value: u64,
    /// The separator before this group (none for the first of a run).
    pub(super) sep: Option<Sep>,
}

/// The separator tokens starting at `i` and the token after them, when a digit group follows.
pub(super) fn separator(toks: &[Tok], i: usize) -> Option<(Sep, usize)> {
    let mut j = i;
    let mut kinds = [None; 2];
    for slot in &mut kinds {
        let t = toks.get(j)?;
        if t.is_num() {
            break;
        }
        *slot = Some(match t.kind {
            Kind::Space if t.is_gap() => Sep::Space,
            Kind::Punct('-') => Sep::Dash,
            Kind::Punct('.') => Sep::Dot,
            Kind::Punct('/') => Sep::Slash,
            Kind::Punct('(' | ')') => Sep::Paren,
            _ => return None,
        });
        j += 1;
    }
    if !toks.get(j).is_some_and(Tok::is_num) {
        return None;
    }
    match kinds {
        [Some(a), None] => Some((a, j)),
        [Some(Sep::Paren), Some(_)] | [Some(_), Some(Sep::Paren)] => Some((Sep::Paren, j)),
        _ => None,
    }
}

/// Whether the token before `i` glues a number to a word (`ord_87731`, `A-10023`, `v1.2`, `$212`).
pub(super) fn glued_before(toks: &[Tok], i: usize) -> bool {
    let Some(p) = i.checked_sub(1).and_then(|p| toks.get(p)) else {
        return false;
    };
    match p.kind {
        Kind::Word => true,
        Kind::Punct('_' | '#' | '/' | '$' | '€' | '£' | '¥' | '@' | '&' | '=' | '\\') => true,
        Kind::Punct('-' | '.') => i
            .checked_sub(2)
            .and_then(|q| toks.get(q))
            .is_some_and(Tok::is_word),
        _ => false,
    }
}

/// Whether the token at `i` (right after a run) glues it to a word (`10.5cm`, `…-20T11:59`).
pub(super) fn glued_after(toks: &[Tok], i: usize) -> bool {
    match toks.get(i) {
        Some(t) if t.is_word() => true,
        Some(t) if matches!(t.kind, Kind::Punct('_' | '%' | '-' | '.' | '/' | ':' | '@')) => toks
            .get(i + 1)
            .is_some_and(|n| n.is_word() && n.letters > 0),
        _ => false,
    }
}

/// Most groups a phone, card, SSN, IPv4 address or date spans.
pub(super) const MAX_GROUPS: usize = 7;

/// Reads the run of digit groups at `i` and the personal data in it: `(end of the run, matches)`.
pub(super) fn number_run(toks: &[Tok], i: usize, ctx: &Context) -> (usize, Vec<Span>) {
    let plus = toks.get(i).is_some_and(|t| t.is_punct('+'));
    let paren = toks.get(i).is_some_and(|t| t.is_punct('('));
    let first = if plus || paren { i + 1 } else { i };
    let mut groups = Vec::new();
    let mut j = first;
    let mut sep = None;
    while let Some(t) = toks.get(j) {
        crate::work::step(1);
        groups.push(Group {
            tok: j,
            digits: t.digits,
            value: t.value(),
            sep,
        });
        match separator(toks, j + 1) {
            Some((s, next)) => {
                sep = Some(if paren && groups.len() == 1 {
                    Sep::Paren
                } else {
                    s
                });
                j = next;
            }
            None => break,
        }
    }
    // A closing parenthesis right after the first group belongs to it: `(415) 555-0142`.
    let end = groups.last().map_or(first, |g| g.tok + 1);
    // A run glued to a word (`ord_87731`, `v1.2`) is no phone, date or address; a card number, which
    // its checksum tells, it still may be (`cc#4111 1111 1111 1111`).
    let glued = glued_before(toks, i) || glued_after(toks, end);
    let mut spans = Vec::new();
    let mut a = 0;
    while a < groups.len() {
        let mut best = None;
        let mut digits = 0;
        for b in a..groups.len().min(a + MAX_GROUPS) {
            crate::work::step(1);
            digits += groups.get(b).map_or(0, |g| g.digits);
            if digits > 19 {
                break;
            }
            let window = groups.get(a..=b).unwrap_or(&[]);
            let whole = (a == 0, b + 1 == groups.len());
            if let Some(class) = classify_number(toks, window, plus && a == 0, whole, ctx) {
                if !glued || class == PaymentId {
                    best = Some((b, class));
                }
            }
            // Past four groups only phones and cards grow, and neither has a one-digit group
            // inside (`1 1 1 1 1 …` is not read as windows of seven).
            let one_digit = b > a && groups.get(b).is_some_and(|g| g.digits == 1);
            if one_digit && b - a >= 3 && !(plus && a == 0) && !ctx.near(ctx.phone) {
                break;
            }
        }
        match best {
            Some((b, class)) => {
                let start = if a == 0 && (plus || paren) {
                    i
                } else {
                    groups.get(a).map_or(i, |g| g.tok)
                };
                let end = groups.get(b).map_or(start, |g| g.tok + 1);
                spans.push(Span { start, end, class });
                a = b + 1;
            }
            None => a += 1,
        }
    }
    (end, spans)
}

pub(super) fn classify_number(
    toks: &[Tok],
    g: &[Group],
    plus: bool,
    whole: (bool, bool),
    ctx: &Context,
) -> Option<PiiClass> {
    crate::work::step(g.len());
    let digits: u32 = g.iter().map(|x| x.digits).sum();
    let k = g.len();
    // Too short for anything but a date, an IPv4 address or a year: most windows end here.
    if digits < 7 && k != 3 && k != 4 && !(k == 1 && digits == 4) {
        return None;
    }
    let sizes = |i: usize| g.get(i).map_or(0, |x| x.digits);
    let mut sep_buf = [Sep::Space; MAX_GROUPS];
    let mut n = 0;
    for (slot, sep) in sep_buf
        .iter_mut()
        .zip(g.iter().skip(1).filter_map(|x| x.sep))
    {
        *slot = sep;
        n += 1;
    }
    let seps = sep_buf.get(..n).unwrap_or(&[]);
    let all_seps = |s: Sep| seps.iter().all(|x| *x == s);
    if let Some(date) = date_like(g, seps) {
        return (date && ctx.near(ctx.birth)).then_some(Birthday);
    }
    if k == 1
        && (1900..=2099).contains(&g.first().map_or(0, |x| x.value))
        && sizes(0) == 4
        && ctx.near(ctx.birth)
    {
        return Some(Birthday);
    }
    // US social security numbers.
    if let [area, group, serial] = g {
        let shaped = (area.digits, group.digits, serial.digits) == (3, 2, 4)
            && (all_seps(Sep::Dash) || all_seps(Sep::Space));
        let (area, group, serial) = (area.value, group.value, serial.value);
        if shaped && area != 0 && area != 666 && area < 900 && group != 0 && serial != 0 {
            return Some(GovernmentId);
        }
    }
    // IPv4, the whole run only (`1.2.3.4.5` is not an address).
    if k == 4
        && whole == (true, true)
        && all_seps(Sep::Dot)
        && g.iter().all(|x| x.digits <= 3 && x.value <= 255)
        && !plus
    {
        return Some(IpAddress);
    }
    // Cards and phones have seven digits or more.
    if digits < 7 {
        return None;
    }
    // The window's digits (at most 19: longer windows are not classified).
    let mut digit_buf = [0u8; 19];
    let mut len = 0;
    for b in g
        .iter()
        .filter_map(|x| toks.get(x.tok))
        .flat_map(|t| t.text.bytes())
    {
        if let Some(slot) = digit_buf.get_mut(len) {
            *slot = b;
            len += 1;
        }
    }
    let text = std::str::from_utf8(digit_buf.get(..len).unwrap_or(&[])).unwrap_or("");
    // Payment cards.
    if (13..=19).contains(&digits) && !plus {
        let grouped = k == 1
            || (g.iter().take(k - 1).all(|x| x.digits == 4)
                && sizes(k - 1) <= 4
                && (all_seps(Sep::Space) || all_seps(Sep::Dash)))
            || (k == 3 && sizes(0) == 4 && sizes(1) == 6 && (4..=5).contains(&sizes(2)));
        if grouped && luhn(text) && card_prefix(text) {
            return Some(PaymentId);
        }
    }
    if ctx.near(ctx.order) && !ctx.near(ctx.phone) && !plus {
        return None;
    }
    let phone_word = ctx.near(ctx.phone);
    // Phones with a `+` or a `00` international prefix.
    if plus {
        let grouping = g
            .iter()
            .skip(1)
            .all(|x| x.digits >= 2 || (x.value == 0 && x.sep == Some(Sep::Paren)));
        return ((8..=15).contains(&digits) && grouping).then_some(Phone);
    }
    if k == 1 {
        let leading = text.as_bytes();
        let nanp = |d: &[u8]| {
            d.len() == 10
                && matches!(d.first(), Some(b'2'..=b'9'))
                && matches!(d.get(3), Some(b'2'..=b'9'))
        };
        let shaped = (text.starts_with("00") && (11..=15).contains(&digits))
            || nanp(leading)
            || (leading.first() == Some(&b'1') && nanp(leading.get(1..).unwrap_or(&[])))
            || (leading.first() == Some(&b'0')
                && leading.get(1) != Some(&b'0')
                && (10..=12).contains(&digits));
        return (shaped || (phone_word && (7..=15).contains(&digits))).then_some(Phone);
    }
    // National formats with separators.
    if !(7..=15).contains(&digits) {
        return None;
    }
    if phone_word {
        return Some(Phone);
    }
    let after_first = seps.get(1..).unwrap_or(&[]);
    let consistent = after_first
        .windows(2)
        .all(|w| matches!(w, [a, b] if a == b))
        && !after_first.contains(&Sep::Paren);
    let groups_ok = g.iter().skip(1).all(|x| (2..=8).contains(&x.digits)) && sizes(0) <= 5;
    let leading_zero = text.starts_with('0');
    let spaced_only = seps.iter().all(|s| *s == Sep::Space);
    // Space-separated numbers need a group of three digits or more, or the French 0x xx xx xx xx.
    let spaced_ok = !spaced_only || g.iter().any(|x| x.digits >= 3) || (leading_zero && k == 5);
    let pair_ok = k > 2
        || match seps.first() {
            Some(Sep::Dot) => false,          // 1234.5678: a decimal number
            Some(Sep::Slash) => leading_zero, // 030/1234567, not 1920/1080
            _ => true,
        };
    let year_range = k == 2
        && g.iter()
            .all(|x| x.digits == 4 && (1900..=2099).contains(&x.value));
    (consistent && groups_ok && spaced_ok && pair_ok && !year_range).then_some(Phone)
}

/// `Some(true)` for a plausible date (day, month and year in some order, one separator),
/// `Some(false)` for something dated-shaped that is not one (`99/99/9999`), `None` otherwise.
pub(super) fn date_like(g: &[Group], seps: &[Sep]) -> Option<bool> {
    let [a, b, c] = g else { return None };
    let sep = seps.first()?;
    if !matches!(sep, Sep::Dash | Sep::Dot | Sep::Slash) || seps.iter().any(|s| s != sep) {
        return None;
    }
    let dm = |d: u64, m: u64| (1..=31).contains(&d) && (1..=12).contains(&m);
    let short = |x: &Group| (1..=2).contains(&x.digits);
    if a.digits == 4 && short(b) && short(c) {
        return Some(dm(c.value, b.value));
    }
    if short(a) && short(b) && (c.digits == 4 || c.digits == 2) {
        return Some(dm(a.value, b.value) || dm(b.value, a.value));
    }
    None
}

pub(super) fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, b) in digits.bytes().rev().filter(u8::is_ascii_digit).enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// Issuer prefixes of the major card networks (Visa, Mastercard, Amex, Discover, JCB, Diners,
/// UnionPay, Maestro).
pub(super) fn card_prefix(digits: &str) -> bool {
    let p2: u32 = digits.get(..2).and_then(|p| p.parse().ok()).unwrap_or(0);
    let p4: u32 = digits.get(..4).and_then(|p| p.parse().ok()).unwrap_or(0);
    digits.starts_with('4')
        || (51..=55).contains(&p2)
        || (2221..=2720).contains(&p4)
        || matches!(p2, 34 | 37 | 35 | 36 | 38 | 30 | 62 | 50 | 56..=69)
}

/// A numeric date at `i` (`2026-09-15`, `15.09.2026`, `09/15/26`): not an identifier.
pub(super) fn is_date(toks: &[Tok], i: usize) -> bool {
    let num = |j: usize| toks.get(j).filter(|t| t.is_num());
    let sep = |j: usize| {
        toks.get(j).and_then(|t| match t.kind {
            Kind::Punct('-') => Some(Sep::Dash),
            Kind::Punct('.') => Some(Sep::Dot),
            Kind::Punct('/') => Some(Sep::Slash),
            _ => None,
        })
    };
    let (Some(a), Some(b), Some(c)) = (num(i), num(i + 2), num(i + 4)) else {
        return false;
    };
    let (Some(x), Some(y)) = (sep(i + 1), sep(i + 3)) else {
        return false;
    };
    let group = |t: &Tok, sep| Group {
        tok: 0,
        digits: t.digits,
        value: t.value(),
        sep,
    };
    let groups = [group(a, None), group(b, Some(x)), group(c, Some(y))];
    date_like(&groups, &[x, y]) == Some(true)
}

/// An IPv6 address at `i`: hexadecimal groups joined by `:` (with one `::` or eight groups), an
/// IPv4 tail allowed.
pub(super) fn ipv6(toks: &[Tok], i: usize) -> Option<usize> {
    let hex =
        |t: &Tok| t.is_word() && t.text.len() <= 4 && t.text.bytes().all(|b| b.is_ascii_hexdigit());
    let colon = |j: usize| toks.get(j).is_some_and(|t| t.is_punct(':'));
    let first = toks.get(i)?;
    if !(hex(first) || colon(i) && colon(i + 1)) || glued_before(toks, i) {
        return None;
    }
    let (mut j, mut groups, mut double, mut end) = (i, 0, false, i);
    loop {
        crate::work::step(1);
        if colon(j) && colon(j + 1) {
            if double {
                return None;
            }
            double = true;
            j += 2;
            end = j;
            continue;
        }
        let Some(t) = toks.get(j) else { break };
        if !hex(t) {
            break;
        }
        groups += 1;
        end = j + 1;
        if groups > 8 {
            return None;
        }
        if colon(j + 1) && !colon(j + 2) {
            j += 2;
        } else if colon(j + 1) && colon(j + 2) {
            j += 1;
        } else {
            break;
        }
    }
    // An embedded IPv4 address: `::ffff:192.0.2.1`.
    let dotted = |j: usize| {
        toks.get(j).is_some_and(|t| t.is_punct('.'))
            && toks.get(j + 1).is_some_and(|n| n.is_num() && n.digits <= 3)
    };
    if groups >= 1 && dotted(end) && dotted(end + 2) && dotted(end + 4) {
        end += 6;
    }
    if toks
        .get(end)
        .is_some_and(|t| t.is_word() || t.is_punct(':'))
    {
        return None;
    }
    ((double && groups >= 1 && end > i + 1) || groups == 8).then_some(end)
}
