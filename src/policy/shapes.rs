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
//! | payment id | card numbers of 13–19 digits that pass the Luhn check with an issuer prefix, in one run or in groups; IBANs (country, check digits, 11–30 letters or digits, spaced or not) that pass the mod-97 check; any id-like run after a payment word (`IBAN`, `BIC`, `Kontonummer`…) |
//! | government id | US social security numbers `123-45-6789` / `123 45 6789`; after an identity word (`SSN`, `passport`, `Reisepass`, `DNI`, `national insurance`, `driver's license`, `personnummer`…) any id-like run of 6–24 letters and digits with at least four digits (`X1234567`, `123456789`, `QQ 12 34 56 C`) |
//! | ip address | IPv4 (`192.168.1.20`), IPv6 (`2001:db8::1`, full or compressed, with an embedded IPv4) |
//! | address | a house number before street words in several languages (`12 Main St`, `221B Baker Street`, `10 rue de Rivoli`), a street word before its number (`Calle Mayor 12`, `Via Roma 1`, `Rua Augusta 100`, `ul. Długa 5`), compound street names (`Lindenstraße 12`, `Kerkstraat 5`, `Storgatan 3`), P.O. boxes, UK and Canadian postcodes, `City, ST 12345` |
//! | birthday | any date (numeric, `4 December 1977`, `December 4, 1977`, `4 de diciembre de 1977`, or a year) within four words after a birth word (`born`, `DOB`, `birthday`, `geboren`, `né`, `nacido`…) |
//!
//! Dates, times, prices, sizes, versions, order numbers, SKUs and other numbers glued to letters
//! (`ord_87731`, `A-10023`, `2026-11-20T11:59:50Z`) or after an order word (`order`, `invoice`,
//! `ticket`, `tracking`…) are not phone numbers. Not recognised: personal names, free-form
//! locations without a number, numbers in words, and identifiers without a telling word nearby.

use super::PiiClass::{self, Address, Birthday, Email, GovernmentId, IpAddress, PaymentId, Phone};

/// One token of the text.
#[derive(Debug, Clone)]
struct Tok<'a> {
    text: &'a str,
    start: usize,
    end: usize,
    kind: Kind,
    /// ASCII digits in the token.
    digits: u32,
    /// Letters in the token.
    letters: u32,
    /// Uppercase letters in the token.
    upper: u32,
    /// Lowercase, accents folded, for words of at most [`MAX_KEYWORD`] bytes; empty otherwise.
    key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Letters and digits.
    Word,
    /// White space.
    Space,
    /// One other character (`%40` counts as one `@`).
    Punct(char),
}

/// Longest word compared with the vocabularies, in bytes.
const MAX_KEYWORD: usize = 24;

impl Tok<'_> {
    fn is_word(&self) -> bool {
        self.kind == Kind::Word
    }
    /// Only ASCII digits.
    fn is_num(&self) -> bool {
        self.kind == Kind::Word && self.letters == 0 && self.digits as usize == self.text.len()
    }
    fn is_punct(&self, c: char) -> bool {
        self.kind == Kind::Punct(c)
    }
    /// One ordinary space (or tab): a gap inside a number or an address.
    fn is_gap(&self) -> bool {
        self.kind == Kind::Space && !self.text.contains('\n') && self.text.len() <= 2
    }
    fn is(&self, words: &[&str]) -> bool {
        !self.key.is_empty() && words.contains(&self.key.as_str())
    }
    /// Capitalized or all uppercase.
    fn capitalized(&self) -> bool {
        self.text.chars().next().is_some_and(char::is_uppercase)
    }
    fn value(&self) -> u64 {
        if self.digits > 18 {
            return u64::MAX;
        }
        self.text
            .bytes()
            .filter(u8::is_ascii_digit)
            .fold(0, |v, b| v * 10 + u64::from(b - b'0'))
    }
}

fn lex(text: &str) -> Vec<Tok<'_>> {
    let mut toks = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let (kind, end) = if c.is_alphanumeric() {
            let mut end = start + c.len_utf8();
            while let Some(&(i, n)) = chars.peek() {
                if !n.is_alphanumeric() {
                    break;
                }
                end = i + n.len_utf8();
                chars.next();
            }
            (Kind::Word, end)
        } else if c.is_whitespace() {
            let mut end = start + c.len_utf8();
            while let Some(&(i, n)) = chars.peek() {
                if !n.is_whitespace() {
                    break;
                }
                end = i + n.len_utf8();
                chars.next();
            }
            (Kind::Space, end)
        } else if c == '%' && text.get(start + 1..start + 3) == Some("40") {
            chars.next();
            chars.next();
            (Kind::Punct('@'), start + 3)
        } else {
            let c = match c {
                '＠' | '﹫' => '@',
                '–' | '‐' | '‑' | '‒' => '-',
                c => c,
            };
            (
                Kind::Punct(c),
                start
                    + text
                        .get(start..)
                        .and_then(|r| r.chars().next())
                        .map_or(1, char::len_utf8),
            )
        };
        let t = text.get(start..end).unwrap_or("");
        crate::work::step(t.len());
        let (mut digits, mut letters, mut upper) = (0, 0, 0);
        if kind == Kind::Word {
            for ch in t.chars() {
                if ch.is_ascii_digit() {
                    digits += 1;
                } else if ch.is_alphabetic() {
                    letters += 1;
                    upper += u32::from(ch.is_uppercase());
                }
            }
        }
        let mut key = String::new();
        if kind == Kind::Word && t.len() <= MAX_KEYWORD && letters > 0 {
            for ch in t.chars().flat_map(char::to_lowercase) {
                match ch {
                    'ß' => key.push_str("ss"),
                    ch => key.push(crate::text::latin_base(ch).unwrap_or(ch)),
                }
            }
        }
        toks.push(Tok {
            text: t,
            start,
            end,
            kind,
            digits,
            letters,
            upper,
            key,
        });
    }
    toks
}

/// A match: tokens `start..end` are personal data of `class`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
    class: PiiClass,
}

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

/// Words that make a nearby value a phone number, an order number, a birthday, an identity or a
/// payment number (folded lowercase).
const PHONE_WORDS: &[&str] = &[
    "phone",
    "telephone",
    "tel",
    "mobile",
    "cell",
    "call",
    "ring",
    "text",
    "sms",
    "whatsapp",
    "fax",
    "telefon",
    "telefono",
    "telephone",
    "telefone",
    "telefoon",
    "handy",
    "portable",
    "movil",
    "celular",
    "cellulare",
    "anrufen",
    "appeler",
    "llamar",
    "chiamare",
    "bellen",
    "tlf",
    "tfno",
    "mob",
    "landline",
    "viber",
    "telegram",
    "puhelin",
    "телефон",
];
const ORDER_WORDS: &[&str] = &[
    "order",
    "orders",
    "invoice",
    "ticket",
    "sku",
    "ref",
    "reference",
    "booking",
    "confirmation",
    "tracking",
    "item",
    "product",
    "model",
    "part",
    "serial",
    "policy",
    "member",
    "customer",
    "case",
    "transaction",
    "txn",
    "receipt",
    "shipment",
    "parcel",
    "package",
    "id",
    "bestellung",
    "commande",
    "pedido",
    "ordine",
    "factura",
    "facture",
    "rechnung",
    "reservation",
    "claim",
    "loyalty",
    "account",
    "meter",
    "mpan",
    "mprn",
];
const BIRTH_WORDS: &[&str] = &[
    "born",
    "birthday",
    "birth",
    "dob",
    "bday",
    "birthdate",
    "geboren",
    "geb",
    "geburtstag",
    "geburtsdatum",
    "ne",
    "nee",
    "naissance",
    "nacido",
    "nacida",
    "nacimiento",
    "cumpleanos",
    "nato",
    "nata",
    "nascita",
    "compleanno",
    "nascido",
    "nascida",
    "nascimento",
    "geboortedatum",
    "urodzony",
    "urodzona",
    "urodzenia",
    "urodziny",
    "fodd",
    "fodelsedag",
    "fodt",
    "fodselsdag",
    "syntynyt",
    "narozen",
    "narozena",
    "dogum",
    "родился",
    "родилась",
    "рождения",
];
const ID_WORDS: &[&str] = &[
    "ssn",
    "passport",
    "passeport",
    "pasaporte",
    "passaporto",
    "passaporte",
    "reisepass",
    "paspoort",
    "paszport",
    "ausweis",
    "personalausweis",
    "ausweisnummer",
    "dni",
    "nie",
    "nif",
    "nss",
    "cpf",
    "pesel",
    "bsn",
    "personnummer",
    "cpr",
    "hetu",
    "henkilotunnus",
    "nino",
    "aadhaar",
    "itin",
    "license",
    "licence",
    "fuhrerschein",
    "rijbewijs",
    "curp",
    "cnp",
    "steuernummer",
    "steuer",
    "паспорт",
    "инн",
    "снилс",
];
/// Second words of identity phrases, counted when the word before is in [`ID_FIRST_WORDS`].
const ID_SECOND_WORDS: &[&str] = &[
    "security",
    "insurance",
    "id",
    "number",
    "card",
    "no",
    "code",
];
const ID_FIRST_WORDS: &[&str] = &[
    "social",
    "national",
    "tax",
    "identity",
    "personal",
    "voter",
    "government",
    "citizen",
    "id",
    "fiscale",
    "identite",
    "identidad",
];
const PAYMENT_WORDS: &[&str] = &[
    "iban",
    "bic",
    "swift",
    "routing",
    "kontonummer",
    "konto",
    "rekening",
    "rekeningnummer",
    "clabe",
    "cvv",
    "cvc",
    "bankverbindung",
];
const EMAIL_WORDS: &[&str] = &[
    "email", "mail", "courriel", "correo", "write", "contact", "reach",
];

/// How many words after a context word it still applies to.
const CONTEXT_WORDS: u32 = 4;

/// The words seen so far, for the detectors that depend on a word before the value.
#[derive(Debug, Default)]
struct Context {
    words: u32,
    phone: Option<u32>,
    order: Option<u32>,
    birth: Option<u32>,
    id: Option<(u32, PiiClass)>,
    email: Option<u32>,
    previous: String,
}

impl Context {
    fn observe(&mut self, t: &Tok) {
        crate::work::step(1);
        if !t.is_word() {
            return;
        }
        self.words += 1;
        let w = Some(self.words);
        if t.is(PHONE_WORDS) {
            self.phone = w;
        }
        if t.is(ORDER_WORDS) {
            self.order = w;
        }
        if t.is(BIRTH_WORDS) {
            self.birth = w;
        }
        if t.is(ID_WORDS)
            || (t.is(ID_SECOND_WORDS) && ID_FIRST_WORDS.contains(&self.previous.as_str()))
        {
            self.id = Some((self.words, GovernmentId));
        }
        if t.is(PAYMENT_WORDS) {
            self.id = Some((self.words, PaymentId));
        }
        if t.is(EMAIL_WORDS) {
            self.email = w;
        }
        self.previous.clear();
        self.previous.push_str(&t.key);
    }

    fn near(&self, at: Option<u32>) -> bool {
        at.is_some_and(|w| self.words - w < CONTEXT_WORDS)
    }
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
            .or_else(|| ipv6(toks, i).map(|end| (end, IpAddress)));
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

// ---------------------------------------------------------------------------------------------
// E-mail addresses, anchored at their `@` (or a written-out form of it).

/// Characters that may join the words of an e-mail's local part.
fn is_local_punct(c: char) -> bool {
    matches!(c, '.' | '_' | '%' | '+' | '-' | '\'')
}

/// The written-out `at` at token `i`: `(first token, end, strong)`; `strong` when it cannot be
/// an ordinary word (`@`, `[at]`, `(at)`, `%40`).
fn at_sign(toks: &[Tok], i: usize) -> Option<(usize, usize, bool)> {
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
fn dot_sign(toks: &[Tok], i: usize) -> Option<(usize, bool)> {
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

fn emails(toks: &[Tok], hint: &Context) -> Vec<Span> {
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

// ---------------------------------------------------------------------------------------------
// Numbers: phones, cards, SSNs, IPv4 addresses, and dates after a birth word.

/// Whether a run of digit groups starts at `i`: digits, or `+` / `(` before digits.
fn starts_number(toks: &[Tok], i: usize) -> bool {
    match toks.get(i) {
        Some(t) if t.is_num() => true,
        Some(t) if t.is_punct('+') || t.is_punct('(') => toks.get(i + 1).is_some_and(Tok::is_num),
        _ => false,
    }
}

/// What stands between two digit groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sep {
    Space,
    Dash,
    Dot,
    Slash,
    /// Parentheses, with or without a space or dash (`(415) 555`).
    Paren,
}

#[derive(Debug, Clone, Copy)]
struct Group {
    tok: usize,
    digits: u32,
    value: u64,
    /// The separator before this group (none for the first of a run).
    sep: Option<Sep>,
}

/// The separator tokens starting at `i` and the token after them, when a digit group follows.
fn separator(toks: &[Tok], i: usize) -> Option<(Sep, usize)> {
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
fn glued_before(toks: &[Tok], i: usize) -> bool {
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
fn glued_after(toks: &[Tok], i: usize) -> bool {
    match toks.get(i) {
        Some(t) if t.is_word() => true,
        Some(t) if matches!(t.kind, Kind::Punct('_' | '%' | '-' | '.' | '/' | ':' | '@')) => toks
            .get(i + 1)
            .is_some_and(|n| n.is_word() && n.letters > 0),
        _ => false,
    }
}

/// Most groups a phone, card, SSN, IPv4 address or date spans.
const MAX_GROUPS: usize = 7;

/// Reads the run of digit groups at `i` and the personal data in it: `(end of the run, matches)`.
fn number_run(toks: &[Tok], i: usize, ctx: &Context) -> (usize, Vec<Span>) {
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
    if glued_before(toks, i) || glued_after(toks, end) {
        return (end, Vec::new());
    }
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
                best = Some((b, class));
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

fn classify_number(
    toks: &[Tok],
    g: &[Group],
    plus: bool,
    whole: (bool, bool),
    ctx: &Context,
) -> Option<PiiClass> {
    crate::work::step(g.len());
    let digits: u32 = g.iter().map(|x| x.digits).sum();
    let sizes = |i: usize| g.get(i).map_or(0, |x| x.digits);
    let seps: Vec<Sep> = g.iter().skip(1).filter_map(|x| x.sep).collect();
    let all_seps = |s: Sep| seps.iter().all(|x| *x == s);
    let k = g.len();
    if let Some(date) = date_like(g, &seps) {
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
    let text: String = g
        .iter()
        .filter_map(|x| toks.get(x.tok))
        .map(|t| t.text)
        .collect();
    // Payment cards.
    if (13..=19).contains(&digits) && !plus {
        let grouped = k == 1
            || (g.iter().take(k - 1).all(|x| x.digits == 4)
                && sizes(k - 1) <= 4
                && (all_seps(Sep::Space) || all_seps(Sep::Dash)))
            || (k == 3 && sizes(0) == 4 && sizes(1) == 6 && (4..=5).contains(&sizes(2)));
        if grouped && luhn(&text) && card_prefix(&text) {
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
fn date_like(g: &[Group], seps: &[Sep]) -> Option<bool> {
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

fn luhn(digits: &str) -> bool {
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
fn card_prefix(digits: &str) -> bool {
    let p2: u32 = digits.get(..2).and_then(|p| p.parse().ok()).unwrap_or(0);
    let p4: u32 = digits.get(..4).and_then(|p| p.parse().ok()).unwrap_or(0);
    digits.starts_with('4')
        || (51..=55).contains(&p2)
        || (2221..=2720).contains(&p4)
        || matches!(p2, 34 | 37 | 35 | 36 | 38 | 30 | 62 | 50 | 56..=69)
}

// ---------------------------------------------------------------------------------------------
// IBANs and identifiers after an identity or payment word.

/// An IBAN starting at `i`: its end token when the mod-97 check passes.
fn iban(toks: &[Tok], i: usize) -> Option<usize> {
    let t = toks.get(i)?;
    let head = t.text.as_bytes();
    if !t.is_word()
        || head.len() < 4
        || !head.iter().take(2).all(u8::is_ascii_alphabetic)
        || !head.get(2..4)?.iter().all(u8::is_ascii_digit)
        || !t.text.is_ascii()
        || glued_before(toks, i)
    {
        return None;
    }
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
        if (15..=34).contains(&chars.len()) && mod97(&chars) {
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

fn mod97(iban: &[u8]) -> bool {
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
fn id_run(toks: &[Tok], i: usize) -> Option<usize> {
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

/// A numeric date at `i` (`2026-09-15`, `15.09.2026`, `09/15/26`): not an identifier.
fn is_date(toks: &[Tok], i: usize) -> bool {
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

// ---------------------------------------------------------------------------------------------
// Dates written with month names, after a birth word.

const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "januar",
    "februar",
    "marz",
    "mai",
    "juni",
    "juli",
    "oktober",
    "dezember",
    "janvier",
    "fevrier",
    "mars",
    "avril",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
    "gennaio",
    "febbraio",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "settembre",
    "ottobre",
    "dicembre",
    "janeiro",
    "fevereiro",
    "marco",
    "maio",
    "junho",
    "julho",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
    "januari",
    "februari",
    "maart",
    "mei",
    "augustus",
];

/// `4 December 1977`, `4. Dezember 1977`, `4 de diciembre de 1977`, `December 4, 1977`.
fn written_date(toks: &[Tok], i: usize) -> Option<usize> {
    let mut j = i;
    let word = |j: usize| toks.get(j);
    let skip = |mut j: usize, fillers: &[&str]| loop {
        crate::work::step(1);
        match toks.get(j) {
            Some(t) if t.kind == Kind::Space || matches!(t.kind, Kind::Punct('.' | ',')) => j += 1,
            Some(t) if t.is(fillers) => j += 1,
            _ => return j,
        }
    };
    let day = |t: &Tok| t.is_num() && (1..=31).contains(&t.value()) && t.digits <= 2;
    let year = |t: &Tok| t.is_num() && t.digits == 4 && (1900..=2099).contains(&t.value());
    if word(j).is_some_and(day) {
        j = skip(j + 1, &["de", "of", "the"]);
        if !word(j).is_some_and(|t| t.is(MONTHS)) {
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
    if word(j).is_some_and(|t| t.is(MONTHS)) {
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

// ---------------------------------------------------------------------------------------------
// Street addresses.

/// Street words that follow the street's name (English).
const STREET_AFTER: &[&str] = &[
    "street",
    "st",
    "avenue",
    "ave",
    "road",
    "rd",
    "boulevard",
    "blvd",
    "lane",
    "ln",
    "highway",
    "hwy",
    "parkway",
    "pkwy",
    "drive",
    "dr",
    "way",
    "court",
    "ct",
    "place",
    "pl",
    "square",
    "sq",
    "terrace",
    "crescent",
    "cres",
    "close",
    "circle",
    "cir",
    "grove",
    "gardens",
    "mews",
    "row",
    "alley",
    "plaza",
    "trail",
    "walk",
    "hill",
    "rise",
    "vale",
    "wharf",
    "broadway",
];
/// Abbreviated street words (after which a lowercase name still makes an address).
const STREET_ABBREVIATIONS: &[&str] = &[
    "st", "ave", "rd", "blvd", "ln", "hwy", "pkwy", "dr", "ct", "pl", "sq", "cres", "cir",
];
/// The ones that also name other things (`Nike Court Vision`): only at the end of the address.
const STREET_AFTER_WEAK: &[&str] = &[
    "way", "court", "ct", "place", "pl", "square", "sq", "terrace", "close", "circle", "grove",
    "gardens", "row", "plaza", "trail", "walk", "hill", "rise", "vale", "drive", "dr", "mews",
];
/// Street words that come before the street's name (French, Spanish, Catalan, Italian,
/// Portuguese, Polish, Romanian, Welsh, Dutch).
const STREET_BEFORE: &[&str] = &[
    "rue",
    "avenue",
    "av",
    "boulevard",
    "bd",
    "allee",
    "chemin",
    "impasse",
    "quai",
    "cours",
    "calle",
    "c",
    "avenida",
    "avda",
    "paseo",
    "plaza",
    "carrer",
    "via",
    "viale",
    "piazza",
    "corso",
    "largo",
    "vicolo",
    "rua",
    "travessa",
    "praca",
    "alameda",
    "estrada",
    "ul",
    "ulica",
    "al",
    "aleja",
    "os",
    "strada",
    "calea",
    "bulevardul",
    "heol",
    "ffordd",
    "plein",
];
/// Street words before the name that also follow a house number (`10 rue de Rivoli`).
const STREET_FIRST_AFTER_NUMBER: &[&str] = &[
    "rue",
    "avenue",
    "boulevard",
    "bd",
    "allee",
    "chemin",
    "impasse",
    "quai",
    "place",
    "calle",
    "carrer",
    "rua",
    "via",
    "viale",
    "piazza",
    "heol",
];
/// Endings of one-word street names (German, Dutch, Nordic, Finnish, Hungarian).
const STREET_SUFFIXES: &[&str] = &[
    "strasse", "str", "weg", "gasse", "allee", "platz", "damm", "ufer", "chaussee", "steig",
    "pfad", "straat", "laan", "plein", "gracht", "kade", "singel", "dijk", "gatan", "vagen",
    "gata", "gaten", "gade", "vej", "veien", "vegen", "katu", "utca",
];
const UNIT_WORDS: &[&str] = &[
    "apt",
    "apartment",
    "unit",
    "suite",
    "ste",
    "flat",
    "floor",
    "fl",
    "no",
    "nr",
    "apto",
    "piso",
    "etage",
    "wohnung",
    "whg",
    "bloco",
    "lote",
    "door",
    "room",
];
const DIRECTIONS: &[&str] = &[
    "n", "s", "e", "w", "ne", "nw", "se", "sw", "north", "south", "east", "west",
];
const CONNECTIVES: &[&str] = &[
    "de", "la", "le", "les", "del", "della", "di", "da", "do", "dos", "das", "du", "des", "von",
    "van", "der", "den", "of", "the", "st", "saint", "san", "santa", "sainte", "dei",
];

/// A house number: 1–5 digits, optionally one letter (`221B`, `12a`).
fn house_number(t: &Tok) -> bool {
    t.is_word()
        && (1..=5).contains(&t.digits)
        && t.letters <= 1
        && t.text.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

/// A word of a street's name: letters, possibly joined by `-`, `'` or `.` to the next (`O'Connell`,
/// `Saint-Denis`). Returns the token after it.
fn name_word(toks: &[Tok], i: usize) -> Option<usize> {
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

fn address(toks: &[Tok], i: usize) -> Option<usize> {
    let t = toks.get(i)?;
    if glued_before(toks, i) && !t.is(STREET_BEFORE) {
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
        if toks.get(j).is_some_and(|w| w.is(STREET_FIRST_AFTER_NUMBER)) {
            // The name: capitalized words and connectives, at least one capitalized.
            let mut k = dot(j + 1);
            let mut capitals = 0;
            while capitals < 5 && gap(k) {
                crate::work::step(1);
                let Some(w) = toks.get(k + 1) else { break };
                if !(w.capitalized() || w.is(CONNECTIVES)) {
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
            if names > 0 && w.is(STREET_AFTER) {
                // Lowercase names only before an abbreviated street word (`12 main st`), so that
                // `3 blocks down the street` is not an address.
                let lowercase_name = toks
                    .get(i + 2..j)
                    .unwrap_or(&[])
                    .iter()
                    .any(|n| n.is_word() && !n.capitalized() && !n.is(CONNECTIVES));
                if lowercase_name && !w.is(STREET_ABBREVIATIONS) {
                    return None;
                }
                let end = dot(next);
                let weak = w.is(STREET_AFTER_WEAK);
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
                        a.is(UNIT_WORDS) || a.is(DIRECTIONS) || a.is_punct('#') || !a.capitalized()
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
    if t.is(STREET_BEFORE) && t.capitalized()
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
            if !(w.capitalized() || w.is(CONNECTIVES)) {
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
    if t.is(&["postfach", "postbus", "apartado"])
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
fn address_tail(toks: &[Tok], mut end: usize) -> usize {
    let gap = |j: usize| toks.get(j).is_some_and(Tok::is_gap);
    if gap(end)
        && toks
            .get(end + 1)
            .is_some_and(|d| d.is(DIRECTIONS) && d.upper == d.letters)
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
    if toks.get(k).is_some_and(|u| u.is(UNIT_WORDS)) {
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
const UK_AREAS: &[&str] = &[
    "AB", "AL", "B", "BA", "BB", "BD", "BF", "BH", "BL", "BN", "BR", "BS", "BT", "BX", "CA", "CB",
    "CF", "CH", "CM", "CO", "CR", "CT", "CV", "CW", "DA", "DD", "DE", "DG", "DH", "DL", "DN", "DT",
    "DY", "E", "EC", "EH", "EN", "EX", "FK", "FY", "G", "GL", "GU", "GY", "HA", "HD", "HG", "HP",
    "HR", "HS", "HU", "HX", "IG", "IM", "IP", "IV", "JE", "KA", "KT", "KW", "KY", "L", "LA", "LD",
    "LE", "LL", "LN", "LS", "LU", "M", "ME", "MK", "ML", "N", "NE", "NG", "NN", "NP", "NR", "NW",
    "OL", "OX", "PA", "PE", "PH", "PL", "PO", "PR", "RG", "RH", "RM", "S", "SA", "SE", "SG", "SK",
    "SL", "SM", "SN", "SO", "SP", "SR", "SS", "ST", "SW", "SY", "TA", "TD", "TF", "TN", "TQ", "TR",
    "TS", "TW", "UB", "W", "WA", "WC", "WD", "WF", "WN", "WR", "WS", "WV", "YO", "ZE",
];

fn uk_outward(s: &str) -> bool {
    let b = s.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    s.get(..letters)
        .is_some_and(|area| UK_AREAS.contains(&area))
        && (2..=4).contains(&b.len())
        && (1..=2).contains(&letters)
        && b.get(letters).is_some_and(u8::is_ascii_digit)
        && b.iter().skip(letters + 1).all(u8::is_ascii_alphanumeric)
}

fn uk_inward(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 3
        && b.first().is_some_and(u8::is_ascii_digit)
        && b.iter().skip(1).all(u8::is_ascii_alphabetic)
}

fn ca_part(s: &str, outward: bool) -> bool {
    let b = s.as_bytes();
    let (l, d) = (u8::is_ascii_alphabetic, u8::is_ascii_digit);
    b.len() == 3
        && match b {
            [x, y, z] if outward => l(x) && d(y) && l(z) && b"ABCEGHJKLMNPRSTVXY".contains(x),
            [x, y, z] => d(x) && l(y) && d(z),
            _ => false,
        }
}

// ---------------------------------------------------------------------------------------------
// IPv6.

/// An IPv6 address at `i`: hexadecimal groups joined by `:` (with one `::` or eight groups), an
/// IPv4 tail allowed.
fn ipv6(toks: &[Tok], i: usize) -> Option<usize> {
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

#[cfg(test)]
mod tests {
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
        assert_eq!(t.first().map(|t| t.key.as_str()), Some("call"));
    }

    #[test]
    fn checksums() {
        assert!(luhn("4111111111111111") && !luhn("4111111111111112"));
        assert!(mod97(b"GB82WEST12345698765432") && !mod97(b"GB82WEST12345698765433"));
    }
}
