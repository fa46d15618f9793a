//! E-mail addresses, anchored at their `@` or a written-out form of it.

use super::context::{Context, Span};
use super::tokens::{Kind, Tok};
use crate::policy::class::PiiClass::Email;

/// Characters that may join the words of an e-mail's local part.
pub(super) fn is_local_punct(c: char) -> bool {
    matches!(c, '.' | '_' | '%' | '+' | '-' | '\'')
}

/// The written-out `at` at token `i`: `(first token, end, strong)`; `strong` when it cannot be
/// an ordinary word (`@`, `[at]`, `(at)`, `%40`).
pub(super) fn at_sign(toks: &[Tok], i: usize) -> Option<(usize, usize, bool)> {
    let t = toks.get(i)?;
    if t.is_punct('@') {
        return Some((i, i + 1, true));
    }
    if matches!(t.kind, Kind::Punct('[' | '(' | '{' | '<')) {
        let mut j = i + 1;
        if toks.get(j).is_some_and(Tok::is_gap) {
            j += 1;
        }
        if toks.get(j).is_some_and(|w| w.key == "at") {
            j += 1;
            if toks.get(j).is_some_and(Tok::is_gap) {
                j += 1;
            }
            if toks
                .get(j)
                .is_some_and(|c| matches!(c.kind, Kind::Punct(']' | ')' | '}' | '>')))
            {
                return Some((i, j + 1, true));
            }
        }
        return None;
    }
    if t.key == "at"
        && toks.get(i.wrapping_sub(1)).is_some_and(Tok::is_gap)
        && toks.get(i + 1).is_some_and(Tok::is_gap)
    {
        return Some((i, i + 1, false));
    }
    None
}

/// A dot between two labels of a domain at token `i` (`.`, ` . `, ` dot `, `[dot]`, `(dot)`):
/// `(the token after it, written_out)`.
pub(super) fn dot_sign(toks: &[Tok], i: usize) -> Option<(usize, bool)> {
    let gap = |j: usize| toks.get(j).is_some_and(Tok::is_gap);
    let gap_before = gap(i);
    let j = if gap_before { i + 1 } else { i };
    let t = toks.get(j)?;
    let bare_word = t.key == "dot";
    let (after, written) = if t.is_punct('.') {
        (j + 1, gap_before)
    } else if bare_word && gap_before {
        (j + 1, true)
    } else if matches!(t.kind, Kind::Punct('[' | '(' | '{'))
        && toks.get(j + 1).is_some_and(|w| w.key == "dot")
        && toks
            .get(j + 2)
            .is_some_and(|c| matches!(c.kind, Kind::Punct(']' | ')' | '}')))
    {
        (j + 3, true)
    } else {
        return None;
    };
    if bare_word && !gap(after) {
        return None;
    }
    Some(if gap(after) && written {
        (after + 1, true)
    } else {
        (after, written)
    })
}

pub(super) fn emails(toks: &[Tok], hint: &Context) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut ctx = Context {
        email: hint.email,
        words: hint.words,
        ..Context::default()
    };
    let mut floor = 0; // the local part of an address never reaches back before this token
    let mut i = 0;
    while i < toks.len() {
        crate::work::step(1);
        let Some((at_start, at_end, strong)) = at_sign(toks, i) else {
            if let Some(t) = toks.get(i) {
                ctx.observe(t);
            }
            i += 1;
            continue;
        };
        // Local part: the words and joining marks right before the `at` (a gap before a
        // written-out one).
        let mut local_end = at_start;
        if at_start > floor && toks.get(at_start - 1).is_some_and(Tok::is_gap) {
            local_end -= 1;
        }
        let mut local_start = local_end;
        let mut local_has_word = false;
        let mut local_marked = false;
        while local_start > floor {
            crate::work::step(1);
            let Some(t) = toks.get(local_start - 1) else {
                break;
            };
            match t.kind {
                Kind::Word => {
                    local_has_word = true;
                    local_marked |= t.digits > 0;
                }
                Kind::Punct(c) if is_local_punct(c) => local_marked = true,
                _ => break,
            }
            local_start -= 1;
        }
        while toks.get(local_start).is_some_and(|t| !t.is_word()) && local_start < local_end {
            crate::work::step(1);
            local_start += 1;
        }
        // Domain: labels joined by dots, at least one dot, ending in letters.
        let mut j = at_end;
        if toks.get(j).is_some_and(Tok::is_gap) {
            j += 1;
        }
        let mut end = None;
        let mut written_dot = false;
        let mut labels = 0;
        while labels < 12 {
            crate::work::step(1);
            // A label: words joined by hyphens.
            let Some(t) = toks.get(j) else { break };
            if !t.is_word() {
                break;
            }
            let mut k = j + 1;
            while toks.get(k).is_some_and(|h| h.is_punct('-'))
                && toks.get(k + 1).is_some_and(Tok::is_word)
            {
                crate::work::step(1);
                k += 2;
            }
            labels += 1;
            let tld = toks
                .get(k - 1)
                .is_some_and(|w| w.digits == 0 && (2..=24).contains(&w.letters) && k == j + 1);
            if labels > 1 && tld {
                end = Some(k);
            }
            match dot_sign(toks, k) {
                Some((after, written)) if toks.get(after).is_some_and(Tok::is_word) => {
                    written_dot |= written;
                    j = after;
                }
                _ => break,
            }
        }
        let accepted = strong || written_dot || local_marked || ctx.near(ctx.email);
        match end {
            Some(end) if local_has_word && accepted => {
                spans.push(Span {
                    start: local_start,
                    end,
                    class: Email,
                });
                floor = end;
                for t in toks.get(i..end).unwrap_or(&[]) {
                    ctx.observe(t);
                }
                i = end;
            }
            _ => {
                floor = at_end;
                for t in toks.get(i..at_end).unwrap_or(&[]) {
                    ctx.observe(t);
                }
                i = at_end;
            }
        }
    }
    spans
}
