//! Card numbers and IBANs glued to other text, with no separator to tell where they start
//! (`card4111111111111111`, `cc#4111111111111111`, `ibanDE89370400440532013000`,
//! `DE89370400440532013000X`): found inside one token, and told from order numbers, SKUs and
//! other long numbers by their checksums — Luhn with an issuer prefix for a card, ISO 13616's
//! mod 97 with the length its country registers for an IBAN.

use super::ids::mod97;
use super::numbers::{card_prefix, luhn};
use super::tokens::Tok;

/// IBAN lengths by country code (the ISO 13616 registry).
#[rustfmt::skip]
const IBAN_LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24), (b"AE", 23), (b"AL", 28), (b"AT", 20), (b"AZ", 28), (b"BA", 20), (b"BE", 16),
    (b"BG", 22), (b"BH", 22), (b"BI", 27), (b"BR", 29), (b"BY", 28), (b"CH", 21), (b"CR", 22),
    (b"CY", 28), (b"CZ", 24), (b"DE", 22), (b"DJ", 27), (b"DK", 18), (b"DO", 28), (b"EE", 20),
    (b"EG", 29), (b"ES", 24), (b"FI", 18), (b"FK", 18), (b"FO", 18), (b"FR", 27), (b"GB", 22),
    (b"GE", 22), (b"GI", 23), (b"GL", 18), (b"GR", 27), (b"GT", 28), (b"HN", 28), (b"HR", 21),
    (b"HU", 28), (b"IE", 22), (b"IL", 23), (b"IQ", 23), (b"IS", 26), (b"IT", 27), (b"JO", 30),
    (b"KW", 30), (b"KZ", 20), (b"LB", 28), (b"LC", 32), (b"LI", 21), (b"LT", 20), (b"LU", 20),
    (b"LV", 21), (b"LY", 25), (b"MC", 27), (b"MD", 24), (b"ME", 22), (b"MK", 19), (b"MN", 20),
    (b"MR", 27), (b"MT", 31), (b"MU", 30), (b"NI", 28), (b"NL", 18), (b"NO", 15), (b"OM", 23),
    (b"PK", 24), (b"PL", 28), (b"PS", 29), (b"PT", 25), (b"QA", 29), (b"RO", 24), (b"RS", 22),
    (b"RU", 33), (b"SA", 24), (b"SC", 31), (b"SD", 18), (b"SE", 24), (b"SI", 19), (b"SK", 24),
    (b"SM", 27), (b"SO", 23), (b"ST", 25), (b"SV", 28), (b"TL", 23), (b"TN", 24), (b"TR", 26),
    (b"UA", 29), (b"VA", 22), (b"VG", 24), (b"XK", 20), (b"YE", 30),
];

/// The length of an IBAN of `country` (two letters, any case), if the registry has the country.
pub(super) fn iban_length(country: &[u8]) -> Option<usize> {
    let [a, b] = country else { return None };
    let code = [a.to_ascii_uppercase(), b.to_ascii_uppercase()];
    IBAN_LENGTHS
        .iter()
        .find(|(c, _)| **c == code)
        .map(|(_, n)| *n)
}

/// The end of the token at `i` when a card number or an IBAN is inside it.
pub(super) fn glued_payment(toks: &[Tok], i: usize) -> Option<usize> {
    let t = toks.get(i)?;
    if !t.is_word() || t.digits < 2 || !t.text.is_ascii() {
        return None;
    }
    let bytes = t.text.as_bytes();
    (card_inside(bytes) || iban_inside(bytes)).then_some(i + 1)
}

/// A maximal run of 13–19 digits that passes the Luhn check and starts with an issuer prefix.
fn card_inside(bytes: &[u8]) -> bool {
    let mut at = 0;
    while at < bytes.len() {
        crate::work::step(1);
        let run = bytes
            .get(at..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if run == 0 {
            at += 1;
            continue;
        }
        if (13..=19).contains(&run) {
            let digits =
                std::str::from_utf8(bytes.get(at..at + run).unwrap_or_default()).unwrap_or("");
            crate::work::step(run);
            if luhn(digits) && card_prefix(digits) {
                return true;
            }
        }
        at += run;
    }
    false
}

/// Two letters of a registered country, two check digits and the rest of its length, passing the
/// mod-97 check, anywhere in the token.
fn iban_inside(bytes: &[u8]) -> bool {
    let mut buf = [0u8; 34];
    for p in 0..bytes.len().saturating_sub(3) {
        crate::work::step(1);
        let Some(head) = bytes.get(p..p + 4) else {
            break;
        };
        let shaped = head.iter().take(2).all(u8::is_ascii_alphabetic)
            && head.iter().skip(2).all(u8::is_ascii_digit);
        let Some(len) = shaped
            .then(|| iban_length(head.get(..2).unwrap_or_default()))
            .flatten()
        else {
            continue;
        };
        let Some(candidate) = bytes.get(p..p + len) else {
            continue;
        };
        crate::work::step(len);
        let Some(upper) = buf.get_mut(..len) else {
            continue;
        };
        for (slot, b) in upper.iter_mut().zip(candidate) {
            *slot = b.to_ascii_uppercase();
        }
        if mod97(upper) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::mask_text;

    #[test]
    fn glued_cards_and_ibans_are_found_by_their_checksums() {
        for glued in [
            "card4111111111111111",
            "cc#4111111111111111",
            "pan=4111111111111111",
            "4111111111111111x",
            "ccn_5555555555554444",
            "card-4111111111111111",
            "ibanDE89370400440532013000",
            "account_DE89370400440532013000",
            "DE89370400440532013000X",
            "1234gb82west12345698765432",
            "iban=DE89 3704 0044 0532 0130 00",
            "cc#4111 1111 1111 1111",
        ] {
            let masked = mask_text(&format!("paid with {glued} yesterday"));
            assert!(
                masked.contains("[payment id withheld]"),
                "{glued}: {masked}"
            );
            assert!(
                !masked.contains("1111") && !masked.contains("0130") && !masked.contains("9876"),
                "{glued}: {masked}"
            );
        }
        // Luhn fails, no issuer prefix, an unregistered country or the wrong length: kept.
        for kept in [
            "card4111111111111112",
            "sku_76561198047712093",
            "ts1795176000000",
            "1Z999AA10123456784",
            "ref_AA89370400440532013000",
            "DE8937040044053201300",
        ] {
            assert_eq!(mask_text(kept), kept);
        }
        assert_eq!(iban_length(b"de"), Some(22));
        assert_eq!(iban_length(b"QQ"), None);
    }
}
