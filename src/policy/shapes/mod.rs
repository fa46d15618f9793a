//! Personal data recognised by shape inside free text, in one linear pass.
//!
//! The text is cut into tokens (runs of letters and digits, runs of white space, single
//! punctuation marks) and every detector looks at a bounded window of tokens from where it starts,
//! so the work is linear in the text whatever it holds (`1 1 1 …`, `a@a a@a …`, `1,1,1,…`): no
//! detector rescans from every word. What is recognised:
//!
//! | class | shapes |
//! | --- | --- |
//! | e-mail | `a@b.co`, and written out: `a at b dot com`, `a [at] b [dot] com`, `a(at)b.com`, `a%40b.com`, `a @ b . com` |
//! | phone | `+` and 8–15 digits in any grouping (E.164), `00` international prefixes, national formats with separators (`(415) 555-0142`, `020 7946 0958`, `06 12 34 56 78`, `030/1234567`), unseparated national numbers (`4155550142` in the North American shape, `0612345678` with a trunk `0`), any 7–15 digits after a phone word (`call`, `tel`, `WhatsApp`, `Handy`, `móvil`…) |
//! | payment id | card numbers of 13–19 digits that pass the Luhn check with an issuer prefix, in one run or in groups, also glued to other text (`card4111…`, `cc#4111 1111…`); IBANs (country, check digits, 11–30 letters or digits, spaced or not) that pass the mod-97 check, also glued to other text when they have their country's registered length (`ibanDE89…`, `DE89…X`); any id-like run after a payment word (`IBAN`, `BIC`, `Kontonummer`…) |
//! | government id | US social security numbers `123-45-6789` / `123 45 6789`; after an identity word (`SSN`, `passport`, `Reisepass`, `DNI`, `national insurance`, `driver's license`, `personnummer`…) any id-like run of 6–24 letters and digits with at least four digits (`X1234567`, `123456789`, `QQ 12 34 56 C`) |
//! | ip address | IPv4 (`192.168.1.20`), IPv6 (`2001:db8::1`, full or compressed, with an embedded IPv4) |
//! | address | a house number before street words in several languages (`12 Main St`, `221B Baker Street`, `10 rue de Rivoli`), a street word before its number (`Calle Mayor 12`, `Via Roma 1`, `Rua Augusta 100`, `ul. Długa 5`), compound street names (`Lindenstraße 12`, `Kerkstraat 5`, `Storgatan 3`), P.O. boxes, UK and Canadian postcodes, `City, ST 12345` |
//! | birthday | any date (numeric, `4 December 1977`, `December 4, 1977`, `4 de diciembre de 1977`, or a year) within four words after a birth word (`born`, `DOB`, `birthday`, `geboren`, `né`, `nacido`…) |
//!
//! Dates, times, prices, sizes, versions, order numbers, SKUs and other numbers glued to letters
//! (`ord_87731`, `A-10023`, `2026-11-20T11:59:50Z`) or after an order word (`order`, `invoice`,
//! `ticket`, `tracking`…) are not phone numbers. Not recognised: personal names, free-form
//! locations without a number, numbers in words, and identifiers without a telling word nearby.

mod address;
mod context;
mod email;
mod glued;
mod ids;
mod numbers;
mod tokens;
mod vocabulary;

use super::class::PiiClass::{Address, Birthday, IpAddress, PaymentId};
use address::address;
use context::{Context, Span};
use email::emails;
use glued::glued_payment;
use ids::{iban, id_run, written_date};
use numbers::{ipv6, number_run, starts_number};
use tokens::{lex, Tok};

/// Replaces personal data inside free text with `[email withheld]`, `[phone withheld]`,
/// `[payment id withheld]`, `[government id withheld]`, `[ip address withheld]`, `[address
/// withheld]`, `[birthday withheld]` (see the module docs for what is recognised).
pub fn mask_text(text: &str) -> String {
    mask_text_after("", text)
}

/// [`mask_text`] for the value of `key`: the key's words count as the words before the text, so
/// that the value of `tracking_number` is not read as a phone and the value of `whatsapp` is.
pub(crate) fn mask_text_after(key: &str, text: &str) -> String {
    let toks = lex(text);
    let mut ctx = Context::default();
    let mut hint = String::new();
    crate::text::split_words(key.get(..key.len().min(64)).unwrap_or(""), |w| {
        hint.push_str(w);
        hint.push(' ');
    });
    for t in &lex(&hint) {
        ctx.observe(t);
    }
    let mut spans = find(&toks, ctx);
    spans.sort_by_key(|s| s.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0; // byte offset copied so far
    let mut covered = 0; // token index up to which text is masked
    for s in spans {
        let (Some(first), Some(last)) = (
            toks.get(s.start),
            s.end.checked_sub(1).and_then(|e| toks.get(e)),
        ) else {
            continue;
        };
        if s.start < covered {
            // Overlaps the previous mask (an e-mail's local part that looked like a phone): the
            // earlier mask already hides the start; extend it over the rest.
            if last.end > at {
                at = last.end;
            }
            covered = covered.max(s.end);
            continue;
        }
        out.push_str(text.get(at..first.start).unwrap_or(""));
        out.push('[');
        out.push_str(s.class.as_str());
        out.push_str(" withheld]");
        at = last.end;
        covered = s.end;
    }
    out.push_str(text.get(at..).unwrap_or(""));
    out
}

fn find(toks: &[Tok], mut ctx: Context) -> Vec<Span> {
    let mut spans = emails(toks, &ctx);
    let mut pending: Vec<Span> = Vec::new(); // matches of the current number run, reversed
    let mut run_end = 0;
    let mut i = 0;
    while i < toks.len() {
        crate::work::step(1);
        if i >= run_end && starts_number(toks, i) {
            let (end, mut found) = number_run(toks, i, &ctx);
            found.reverse();
            pending = found;
            run_end = end;
        }
        while pending.last().is_some_and(|s| s.start < i) {
            crate::work::step(1);
            pending.pop();
        }
        let found = iban(toks, i)
            .map(|end| (end, PaymentId))
            .or_else(|| {
                ctx.id
                    .filter(|(w, _)| ctx.near(Some(*w)))
                    .and_then(|(_, class)| id_run(toks, i).map(|end| (end, class)))
            })
            .or_else(|| {
                ctx.near(ctx.birth)
                    .then(|| written_date(toks, i))
                    .flatten()
                    .map(|end| (end, Birthday))
            })
            .or_else(|| address(toks, i).map(|end| (end, Address)))
            .or_else(|| {
                pending
                    .last()
                    .filter(|s| s.start == i)
                    .map(|s| (s.end, s.class))
            })
            .or_else(|| ipv6(toks, i).map(|end| (end, IpAddress)))
            .or_else(|| glued_payment(toks, i).map(|end| (end, PaymentId)));
        match found {
            Some((end, class)) if end > i => {
                spans.push(Span {
                    start: i,
                    end,
                    class,
                });
                for t in toks.get(i..end).unwrap_or(&[]) {
                    ctx.observe(t);
                }
                i = end;
            }
            _ => {
                if let Some(t) = toks.get(i) {
                    ctx.observe(t);
                }
                i += 1;
            }
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::ids::mod97;
    use super::numbers::luhn;
    use super::tokens::Kind;
    use super::*;

    #[test]
    fn tokens_carry_their_counts() {
        let t = lex("Call 415-555 jeff%40x.com");
        let kinds: Vec<&str> = t.iter().map(|t| t.text).collect();
        assert_eq!(
            kinds,
            ["Call", " ", "415", "-", "555", " ", "jeff", "%40", "x", ".", "com"]
        );
        assert!(t.get(2).is_some_and(Tok::is_num));
        assert_eq!(t.get(7).map(|t| t.kind), Some(Kind::Punct('@')));
        assert_eq!(t.first().map(|t| t.key.as_ref()), Some("call"));
    }

    #[test]
    fn checksums() {
        assert!(luhn("4111111111111111") && !luhn("4111111111111112"));
        assert!(mod97(b"GB82WEST12345698765432") && !mod97(b"GB82WEST12345698765433"));
    }
}
