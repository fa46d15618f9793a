//! Personal data judged by key: what a trait key, an event property key or a path of nested keys
//! (`address.street`, `contact.tel`) says its value is.
//!
//! A key is first made into words: normalized ([`crate::text::normalize`]: `ｐｈｏｎｅ` → `phone`), split at `_`, `-`, `.`, spaces and camelCase humps, lowercased,
//! accents folded (`Teléfono` → `telefono`, `Straße` → `strasse`), connectives dropped (`date_de_naissance`
//! → `date naissance`), plurals tried without their `s`, and compound words split against the
//! vocabulary (`telefonnummer` → `telefon nummer`, `shipTo`, `mobileno` → `mobile no`,
//! `geburtsdatum` → `geburt datum`). Then each word is looked up in a vocabulary of personal-data words
//! in English, German, French, Spanish, Italian, Portuguese, Dutch, Polish, the Nordic languages,
//! Czech, Hungarian, Romanian, Turkish and Russian, each with how it counts:
//!
//! * a **term** names personal data wherever it stands (`email`, `work_phone`, `telefon`, `adresse`,
//!   `passport`, `iban`, `bday`); two-word terms likewise (`ship to`, `bank account`, `social security`);
//! * a **head** word only as the key's last word, or followed only by modifiers (`mobile`,
//!   `mobile_no`, `tel_no`, `zip_code`; not `mobile_app_version`, `last_ip_country`);
//! * a **whole-key** word only when it starts the key and modifiers at most follow it (`home`, `cap`,
//!   `credit_card`; not `home_club`);
//! * a **modifier** qualifies without changing what is named (`number`, `no`, `nr`, `primary`, `line1`);
//! * an **attribute** word after the personal-data word says the key is *about* the data, not the data
//!   (`email_opt_in`, `email_verified`, `phone_type`, `email_bounce_count`, `credit_card_balance`).
//!
//! After the last personal-data word, the first word that is neither a modifier nor another
//! personal-data word decides: an attribute clears the key, anything else keeps it personal
//! (conservative: `phone_extra` is withheld). A term is *sure*: the whole value under it is personal,
//! nested members included. Head and whole-key words are sure only of a scalar value: under an object
//! (`debitCard: {scheme, last4, number}`, `mobile: {os}`) each member is judged by its own path
//! (`debit card number` is payment data, `debit card scheme` is not).
//!
//! A word the vocabulary does not know is compared by its confusable skeleton (Unicode TS #39, after
//! NFKC and case folding, in lower and in upper case): `рhone` with a Cyrillic `р`, `ΡΗΟΝΕ` in Greek
//! capitals, `ph0ne` and `bаnk_account` are the keys they imitate.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::class::PiiClass::{
    self, Address, Birthday, Email, GovernmentId, IpAddress, PaymentId, Phone,
};
use Sense::{Attribute, Head, Modifier, Part, Term, Whole};

/// Longest key, in bytes, whose words are judged; a longer key is judged on its first this many
/// bytes (keys are short; this bounds the work for a hostile one).
const MAX_KEY_BYTES: usize = 256;

/// How sure a key's class is (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Certainty {
    /// The whole value under the key is personal data.
    Sure,
    /// A scalar value under the key is personal data; an object's members are judged by their paths.
    Scalar,
}

/// How a word of a key counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sense {
    Term(PiiClass),
    Head(PiiClass),
    Whole(PiiClass),
    /// Only part of a two-word term (`bank`, `ship`) or of a compound (`liefer`, `rechnungs`).
    Part,
    Modifier,
    Attribute,
}

/// The class of the value at a path of keys (outermost first): `["address", "street"]`,
/// `["contact", "tel"]`, `["email"]`.
pub(crate) fn classify_path(path: &[&str]) -> Option<(PiiClass, Certainty)> {
    let mut words: Vec<String> = Vec::new();
    for key in path {
        key_words(key, &mut words);
    }
    classify_words(&words)
}

/// The personal-data class of a key, judged by its words (`work_email` → Email; `email_opt_in` →
/// none). See the module docs for the rules.
pub fn classify_key(key: &str) -> Option<PiiClass> {
    classify_path(&[key]).map(|(class, _)| class)
}

/// Appends the normalized words of `key` to `out`.
fn key_words(key: &str, out: &mut Vec<String>) {
    let key = crate::text::normalize(cut(key, MAX_KEY_BYTES));
    crate::text::split_words(&key, |w| {
        crate::work::step(w.len());
        let w = fold(w);
        if is_connective(&w) {
            return;
        }
        let w = canonical(w);
        match split_compound(&w) {
            Some(parts) => out.extend(parts),
            None => out.push(w),
        }
    });
}

fn cut(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

/// Accents folded, `ß` → `ss`, `æ` → `ae`, `œ` → `oe`, dotless `ı` → `i`.
fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        match c {
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            c => out.push(crate::text::latin_base(c).unwrap_or(c)),
        }
    }
    out
}

fn is_connective(w: &str) -> bool {
    matches!(
        w,
        "de" | "di"
            | "da"
            | "do"
            | "del"
            | "della"
            | "dei"
            | "des"
            | "du"
            | "d"
            | "l"
            | "of"
            | "the"
            | "la"
            | "le"
            | "el"
            | "von"
            | "vom"
            | "der"
            | "den"
            | "het"
            | "na"
    )
}

/// A word's sense, also trying it without a plural ending (`emails`, `addresses`, `phones`).
fn sense_of(word: &str) -> Option<Sense> {
    sense(word).or_else(|| {
        let singular = word.strip_suffix('s')?;
        if singular.len() < 3 {
            return None;
        }
        sense(singular).or_else(|| sense(singular.strip_suffix('e')?))
    })
}

/// A word with a personal-data sense found; `end` is the index of its last word.
#[derive(Debug, Clone, Copy)]
struct Hit {
    class: PiiClass,
    end: usize,
    sure: bool,
}

fn classify_words(words: &[String]) -> Option<(PiiClass, Certainty)> {
    let w = |i: usize| words.get(i).map_or("", String::as_str);
    let rest_modifiers = |from: usize| {
        words
            .get(from..)
            .unwrap_or(&[])
            .iter()
            .all(|x| matches!(sense_of(x), Some(Sense::Modifier)))
    };
    let mut best: Option<Hit> = None;
    let mut take = |hit: Hit| {
        best = match best {
            // An address word right after an e-mail or IP word is that address (`e_mail_adresse`).
            Some(b)
                if hit.class == Address
                    && matches!(b.class, Email | IpAddress)
                    && b.end + 1 == hit.end =>
            {
                Some(Hit { end: hit.end, ..b })
            }
            // The last sure hit wins over everything; otherwise the last hit.
            Some(b) if b.sure && !hit.sure => Some(b),
            _ => Some(hit),
        };
    };
    let mut i = 0;
    while i < words.len() {
        if let Some((class, whole)) = pair(w(i), w(i + 1)) {
            if !whole {
                take(Hit {
                    class,
                    end: i + 1,
                    sure: true,
                });
                i += 2;
                continue;
            }
            if i == 0 && rest_modifiers(2) {
                take(Hit {
                    class,
                    end: 1,
                    sure: false,
                });
            }
        }
        match sense_of(w(i)) {
            Some(Sense::Term(class)) => take(Hit {
                class,
                end: i,
                sure: true,
            }),
            Some(Sense::Head(class)) if rest_modifiers(i + 1) => take(Hit {
                class,
                end: i,
                sure: false,
            }),
            Some(Sense::Whole(class)) if i == 0 && rest_modifiers(1) => take(Hit {
                class,
                end: i,
                sure: false,
            }),
            _ => {}
        }
        i += 1;
    }
    let hit = best?;
    // After the personal-data word: modifiers and other personal-data words pass; an attribute says
    // the key is about the data; anything else keeps it personal.
    for word in words.get(hit.end + 1..).unwrap_or(&[]) {
        match sense_of(word) {
            Some(Sense::Attribute) => return None,
            Some(Sense::Modifier | Sense::Term(_) | Sense::Head(_) | Sense::Whole(_)) => {}
            _ => break,
        }
    }
    let certainty = if hit.sure {
        Certainty::Sure
    } else {
        Certainty::Scalar
    };
    Some((hit.class, certainty))
}

/// Two-word terms: `(class, whole_key_only)`.
fn pair(a: &str, b: &str) -> Option<(PiiClass, bool)> {
    let found = match (a, b) {
        ("e", "mail") | ("email" | "mail", "address" | "addr" | "adresse" | "adres") => {
            (Email, false)
        }
        ("correo", "electronico") | ("posta", "elettronica") | ("adresse", "email" | "mail") => {
            (Email, false)
        }
        ("ip" | "remote" | "client", "address" | "addr" | "adresse" | "adres" | "adresa") => {
            (IpAddress, false)
        }
        ("mac", "address" | "addr") | ("adresse" | "direccion" | "indirizzo", "ip") => {
            (IpAddress, false)
        }
        ("ship" | "bill", "to") | ("house" | "street", "number" | "no") => (Address, false),
        ("po" | "p", "box") | ("post" | "zip", "code" | "box") | ("code" | "codigo", "postal") => {
            (Address, false)
        }
        ("birth", "date" | "day" | "place") | ("date" | "day", "birth") => (Birthday, false),
        ("social", "security" | "insurance") | ("securite", "sociale") => (GovernmentId, false),
        ("seguridad" | "seguranca", "social") | ("sicurezza", "sociale") => (GovernmentId, false),
        ("national" | "personal" | "citizen", "id" | "identifier" | "number" | "insurance") => {
            (GovernmentId, false)
        }
        ("tax" | "taxpayer" | "steuer", "id" | "identifier" | "number" | "code" | "nummer") => {
            (GovernmentId, false)
        }
        ("identity" | "id", "card" | "document") | ("carte" | "carta", "identite" | "identita") => {
            (GovernmentId, false)
        }
        ("driver" | "drivers" | "driving", "license" | "licence" | "lic" | "permit") => {
            (GovernmentId, false)
        }
        ("permis", "conduire") | ("carnet" | "licencia", "conducir") => (GovernmentId, false),
        ("codice", "fiscale") | ("rodne", "cislo") | ("tc", "kimlik") => (GovernmentId, false),
        ("card" | "karte" | "carte" | "tarjeta" | "cartao" | "carta", "number" | "no" | "num")
        | ("card" | "karte" | "carte" | "tarjeta" | "cartao" | "carta", "nr" | "numero") => {
            (PaymentId, false)
        }
        ("numero", "carte" | "tarjeta" | "cuenta" | "conta" | "conto" | "cartao") => {
            (PaymentId, false)
        }
        ("cc" | "pan", "number" | "num" | "no") | ("security", "code") => (PaymentId, false),
        ("bank", "account" | "acct" | "details" | "number") => (PaymentId, false),
        ("account" | "acct" | "acc", "number" | "no" | "num" | "nr") => (PaymentId, false),
        ("konto" | "rekening", "nummer" | "nr") | ("cuenta", "bancaria") => (PaymentId, false),
        ("routing" | "aba", "number" | "no") | ("sort" | "swift" | "bic", "code") => {
            (PaymentId, false)
        }
        ("forwarded", "for") => (IpAddress, false),
        ("credit", "card") | ("id", "number") => (PaymentId, true),
        _ => return None,
    };
    // `id number` names an identity document's number, not a payment one.
    Some(match (a, b) {
        ("id", "number") => (GovernmentId, true),
        _ => found,
    })
}

/// The vocabulary: words (folded, lowercase, singular) and how each counts; a word listed twice
/// counts as its first listing.
#[rustfmt::skip]
const VOCABULARY: &[(Sense, &[&str])] = &[
    (Term(Email), &["email", "emailaddress", "courriel", "mel", "eposta", "epost", "epostadresse",
        "sahkoposti", "mejl", "почта", "емейл", "имейл"]),
    (Head(Email), &["mail", "correo", "posta"]),
    (Term(Phone), &["phone", "telephone", "telefon", "telefono", "telefone", "telefoon",
        "telefonu", "telefonszam", "rufnummer", "puhelin", "puhelinnumero", "landline", "msisdn",
        "whatsapp", "viber", "cellphone", "mobilephone", "movil", "celular", "cellulare",
        "telemovel", "telefonnummer", "handynummer", "mobilnummer", "телефон"]),
    (Head(Phone), &["mobile", "mobil", "mobiel", "mob", "cell", "cel", "tel", "tlf", "tlfn",
        "tfno", "fax", "handy", "portable", "gsm", "telegram", "тел"]),
    (Term(Address), &["address", "addr", "street", "strasse", "straat", "calle", "ulica", "ulice",
        "adresse", "adres", "adresa", "adress", "adressa", "indirizzo", "direccion", "endereco",
        "morada", "domicilio", "domicile", "anschrift", "wohnadresse", "lieferadresse",
        "rechnungsadresse", "postleitzahl", "postcode", "postal", "zipcode", "postnummer",
        "postinumero", "pocztowy", "osoite", "cim", "hausnummer", "huisnummer", "postfach",
        "pobox", "shipto", "billto", "latitude", "longitude", "geolocation", "coordinates",
        "адрес", "улица"]),
    (Head(Address), &["zip", "adr", "plz", "lat", "lng", "lon", "apt", "psc"]),
    (Whole(Address), &["home", "via", "rue", "rua", "cap", "cep", "cp"]),
    (Term(Birthday), &["birthday", "bday", "birthdate", "birth", "dob", "geburtstag",
        "geburtsdatum", "geburt", "geboortedatum", "geboorte", "verjaardag", "naissance",
        "cumpleanos", "nacimiento", "compleanno", "nascita", "nascimento", "urodzenia", "urodziny",
        "fodelsedag", "fodelsedatum", "fodelse", "fodselsdag", "fodselsdato", "fodsel",
        "syntymapaiva", "syntymaaika", "narozeni", "dogum", "szuletesi", "nasterii", "рождения"]),
    (Whole(Birthday), &["anniversaire", "aniversario", "geb"]),
    (Term(GovernmentId), &["ssn", "passport", "passeport", "pasaporte", "passaporto", "passaporte",
        "paszport", "reisepass", "paspoort", "personalausweis", "ausweis", "ausweisnummer",
        "steuernummer", "steueridentifikationsnummer", "sozialversicherungsnummer",
        "sozialversicherung", "personnummer", "henkilotunnus", "hetu", "aadhaar", "pesel", "dni",
        "nie", "nif", "nss", "cpf", "curp", "bsn", "itin", "nino", "identite", "identidad",
        "identidade", "identita", "fuhrerschein", "rijbewijs", "cnp", "паспорт", "инн", "снилс"]),
    (Whole(GovernmentId), &["sin", "tin", "nin", "nir", "rg", "rfc", "cpr", "ahv", "svnr", "dl",
        "kimlik"]),
    (Term(PaymentId), &["iban", "cvv", "cvc", "cvv2", "cvc2", "cardnumber", "kreditkartennummer",
        "kartennummer", "kontonummer", "rekeningnummer", "clabe", "bankverbindung"]),
    (Head(PaymentId), &["swift", "bic"]),
    (Whole(PaymentId), &["pan", "rib", "konto", "rekening", "ccnum"]),
    (Term(IpAddress), &["ipv4", "ipv6", "ipaddr", "ipaddress"]),
    (Head(IpAddress), &["ip", "forwarded"]),
    (Part, &["e", "ship", "bill", "to", "house", "po", "p", "box", "post", "code", "codigo",
        "social", "security", "insurance", "national", "personal", "citizen", "tax", "taxpayer",
        "steuer", "identity", "card", "karte", "karten", "carte", "carta", "tarjeta", "cartao",
        "driver", "driving", "license", "licence", "lic", "permit", "permis", "conduire", "carnet",
        "licencia", "conducir", "codice", "fiscale", "rodne", "cislo", "tc", "bank", "account",
        "acct", "acc", "routing", "aba", "sort", "remote", "client", "mac", "credit", "kredit",
        "debit", "cc", "securite", "sociale", "seguridad", "seguranca", "sicurezza", "cuenta",
        "bancaria", "conta", "conto", "electronico", "elettronica", "liefer", "rechnung", "wohn",
        "haupt", "privat", "geschaft", "firmen", "arbeit", "work", "business", "datum", "dato",
        "date", "day", "place", "tag", "identifier", "document"]),
    (Modifier, &["number", "no", "nr", "num", "numero", "nummer", "numer", "nro", "szam", "line",
        "line1", "line2", "line3", "1", "2", "3", "primary", "secondary", "main", "alt",
        "alternate", "alternative", "other", "full", "raw", "value", "e164", "intl", "formatted",
        "normalized", "current", "new", "old", "previous", "default", "billing", "shipping",
        "delivery", "mailing", "contact", "private", "office", "fixed", "id"]),
    (Attribute, &["opt", "optin", "optout", "in", "out", "consent", "consented", "verified",
        "verification", "valid", "validity", "validated", "confirmed", "bounce", "bounced",
        "engaged", "engagement", "open", "opened", "click", "clicked", "sent", "delivered",
        "subject", "campaign", "template", "domain", "provider", "carrier", "country", "city",
        "state", "province", "region", "county", "type", "kind", "status", "count", "total",
        "enabled", "disabled", "allowed", "subscribed", "subscription", "subscriber",
        "unsubscribed", "preference", "pref", "channel", "format", "model", "brand", "os", "make",
        "frequency", "limit", "marketing", "notification", "permission", "present", "exist",
        "known", "missing", "changed", "updated", "created", "at", "on", "since", "ts", "time",
        "timestamp", "score", "risk", "rate", "ratio", "pct", "percent", "share", "quality",
        "reputation", "digest", "newsletter", "list", "sec", "second", "minute", "min", "ms",
        "hour", "length", "len", "last4", "last", "first", "masked", "handling", "support",
        "usage", "spam", "complaint", "balance", "apr", "product", "payment", "due", "statement",
        "scheme", "issuer", "network", "expiry", "expires", "expiration", "exp", "art", "design",
        "fraud", "watchlist", "download", "downloaded", "upload", "uploaded", "request",
        "requested", "label", "category", "language", "locale", "timezone", "source", "medium",
        "plan", "tier", "level", "class", "zone", "distance", "radius", "match", "matched",
        "check", "checked", "lookup", "change", "reminder", "alert", "cooldown", "year", "age",
        "nickname", "username", "handle", "avatar", "style", "bucket", "segment", "cohort",
        "variant", "experiment", "flag", "feature", "setting", "option", "mode", "theme",
        "version", "app", "device", "browser", "agent", "platform", "pay", "token", "reader",
        "signal"]),
];

/// The sense of a word of the vocabulary.
fn sense(word: &str) -> Option<Sense> {
    vocabulary().senses.get(word).copied()
}

/// The vocabulary's lookups, built once: each word's sense, and the word each confusable skeleton
/// stands for.
struct Lookups {
    senses: HashMap<&'static str, Sense>,
    skeletons: HashMap<String, &'static str>,
}

fn vocabulary() -> &'static Lookups {
    static LOOKUPS: OnceLock<Lookups> = OnceLock::new();
    LOOKUPS.get_or_init(|| {
        let mut senses = HashMap::new();
        let mut skeletons = HashMap::new();
        for (sense, words) in VOCABULARY {
            for word in *words {
                senses.entry(*word).or_insert(*sense);
                for sk in skeletons_of(word) {
                    skeletons.entry(sk).or_insert(*word);
                }
            }
        }
        Lookups { senses, skeletons }
    })
}

/// A word's confusable skeleton (Unicode TS #39: decomposed, each character mapped to the
/// prototype of its confusables), lowercased and accents folded, so that look-alikes of every
/// script meet: `рhоne` (Cyrillic `р`, `о`), `ph0ne`, `emaіl`.
fn skeleton(word: &str) -> String {
    let lowered: String = unicode_security::skeleton(word)
        .flat_map(char::to_lowercase)
        .collect();
    fold(&lowered)
}

/// The skeletons of a lowercase word, as written and in capitals: words arrive lowercased, and the
/// lowercase of a look-alike capital is often no look-alike (Greek `Η` is `H`, its `η` is not `h`).
fn skeletons_of(word: &str) -> [String; 2] {
    [skeleton(word), skeleton(&word.to_uppercase())]
}

/// What a word of a key is read as: itself when the vocabulary knows it (or the compounds it
/// splits into); else, when its confusable skeleton is a word of the vocabulary, that word, or
/// when the skeleton is Latin and known (a plural, a compound), the skeleton; else itself.
fn canonical(word: String) -> String {
    if sense_of(&word).is_some() || split_compound(&word).is_some() {
        return word;
    }
    let [lower, upper] = skeletons_of(&word);
    // An ASCII word is only read as a vocabulary word it imitates (`ernail`): its capitals say
    // nothing more, and its skeleton is no Latin word of its own.
    let foreign = !word.is_ascii();
    let candidates = [Some(&lower), foreign.then_some(&upper)];
    for sk in candidates.into_iter().flatten() {
        if let Some(known) = vocabulary().skeletons.get(sk) {
            return (*known).to_string();
        }
    }
    // A foreign word whose skeleton is a Latin plural or compound of the vocabulary (`рhones`,
    // `Tеlefonnummer`); in capitals, a plural only (the capitals' `l` for `I` splits too freely).
    if foreign
        && lower.is_ascii()
        && (sense_of(&lower).is_some() || split_compound(&lower).is_some())
    {
        return lower;
    }
    if foreign && upper.is_ascii() && sense_of(&upper).is_some() {
        return upper;
    }
    word
}

/// Whether `p` can be a part of a compound: any word of the vocabulary.
fn is_compound_part(p: &str) -> bool {
    sense_of(p).is_some()
}

/// Longest part tried when splitting a compound, in bytes.
const MAX_PART: usize = 26;

/// Splits a compound word into known parts (`telefonnummer` → `telefon`, `nummer`; `geburtsdatum`
/// → `geburt`, `datum`, with the German linking `s`), when it splits wholly into them and one of
/// them has a personal-data sense. Parts are at least three letters, except a final modifier
/// (`mobileno`). Dynamic programming over the word's bytes, fewest parts first: O(length × 26).
fn split_compound(word: &str) -> Option<Vec<String>> {
    let n = word.len();
    if !(5..=64).contains(&n) || !word.is_ascii() || sense(word).is_some() {
        return None;
    }
    let part_at = |j: usize, i: usize| -> Option<&str> {
        let p = word.get(j..i)?;
        let last = i == n;
        let ok = |p: &str| {
            (p.len() >= 3 || (last && matches!(sense(p), Some(Sense::Modifier))))
                && is_compound_part(p)
        };
        if ok(p) {
            return Some(p);
        }
        // A German linking `s` (`geburts-`, `rechnungs-`) or `n` (`karten-`) after a part.
        let stem = p.strip_suffix('s').or_else(|| p.strip_suffix('n'))?;
        (!last && stem.len() >= 4 && ok(stem)).then_some(stem)
    };
    // best[i]: (parts to cover word[..i], where the last part starts, its text).
    let mut best: Vec<Option<(usize, usize, &str)>> = vec![None; n + 1];
    if let Some(slot) = best.get_mut(0) {
        *slot = Some((0, 0, ""));
    }
    for i in 1..=n {
        for j in i.saturating_sub(MAX_PART)..i {
            let Some(Some((count, _, _))) = best.get(j).copied() else {
                continue;
            };
            let Some(part) = part_at(j, i) else {
                continue;
            };
            let better = match best.get(i).copied().flatten() {
                Some((c, _, _)) => count + 1 < c,
                None => true,
            };
            if better {
                if let Some(slot) = best.get_mut(i) {
                    *slot = Some((count + 1, j, part));
                }
            }
        }
    }
    let mut parts = Vec::new();
    let mut i = n;
    while i > 0 {
        let (_, j, part) = best.get(i).copied().flatten()?;
        parts.push(part.to_string());
        i = j;
    }
    parts.reverse();
    let personal = parts.iter().any(|p| {
        matches!(
            sense_of(p),
            Some(Sense::Term(_) | Sense::Head(_) | Sense::Whole(_))
        )
    }) || parts
        .windows(2)
        .any(|w| matches!(w, [a, b] if pair(a, b).is_some()));
    (parts.len() >= 2 && personal).then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(key: &str) -> Vec<String> {
        let mut out = Vec::new();
        key_words(key, &mut out);
        out
    }

    #[test]
    fn keys_become_normalized_words() {
        assert_eq!(words("shipTo"), ["ship", "to"]);
        assert_eq!(words("mobile_no"), ["mobile", "no"]);
        assert_eq!(words("mobileno"), ["mobile", "no"]);
        assert_eq!(words("Privattelefon"), ["privat", "telefon"]);
        assert_eq!(words("Mobilnummer"), ["mobilnummer"]);
        assert_eq!(words("Geburtsdatum"), ["geburtsdatum"]);
        assert_eq!(words("Rechnungsadresse"), ["rechnungsadresse"]);
        assert_eq!(words("Lieferanschrift"), ["liefer", "anschrift"]);
        assert_eq!(words("fecha_de_nacimiento"), ["fecha", "nacimiento"]);
        assert_eq!(words("Straße"), ["strasse"]);
        assert_eq!(words("teléfono"), ["telefono"]);
        assert_eq!(words("phonenumber"), ["phone", "number"]);
        assert_eq!(words("homephone"), ["home", "phone"]);
        // Words that only look like compounds of personal-data words stay whole.
        assert_eq!(words("iphone"), ["iphone"]);
        assert_eq!(words("smartphone"), ["smartphone"]);
        assert_eq!(words("intel"), ["intel"]);
        assert_eq!(words("hotel"), ["hotel"]);
        assert_eq!(words("homeowner"), ["homeowner"]);
    }

    #[test]
    fn nested_paths_are_judged_by_all_their_words() {
        let sure = |p: &[&str]| classify_path(p).map(|(c, k)| (c, k == Certainty::Sure));
        assert_eq!(sure(&["address", "street"]), Some((Address, true)));
        assert_eq!(sure(&["contact", "tel"]), Some((Phone, false)));
        assert_eq!(sure(&["emergency_contact", "phone"]), Some((Phone, true)));
        assert_eq!(sure(&["billing", "bank_account"]), Some((PaymentId, true)));
        assert_eq!(sure(&["drivers", "dob"]), Some((Birthday, true)));
        assert_eq!(sure(&["debitCard"]), None);
        assert_eq!(sure(&["credit_card"]), Some((PaymentId, false)));
        assert_eq!(sure(&["debitCard", "number"]), Some((PaymentId, true)));
        assert_eq!(sure(&["debitCard", "last4"]), None);
        assert_eq!(sure(&["debitCard", "scheme"]), None);
        assert_eq!(sure(&["drivers", "license_state"]), None);
        assert_eq!(sure(&["emergency_contact", "name"]), None);
        assert_eq!(sure(&["mobile"]), Some((Phone, false)));
        assert_eq!(sure(&["mobile", "os"]), None);
    }

    #[test]
    fn look_alikes_of_other_scripts_are_the_words_they_imitate() {
        assert_eq!(skeleton("m"), "rn", "TS #39's own rule");
        assert_eq!(words("ernail"), ["email"]);
        assert_eq!(words("opening"), ["opening"]);
        assert_eq!(words("рhone_numbеr"), ["phone", "number"]);
        assert_eq!(words("ΙBΑΝ"), ["iban"]);
        assert_eq!(words("bаnk_account"), ["bank", "account"]);
        assert_eq!(words("Tеlefonnummer"), ["telefonnummer"]);
        assert_eq!(
            words("тeлeфoн"),
            ["телефон"],
            "a Russian word with Latin letters in it"
        );
        assert_eq!(classify_key("ph0ne"), Some(Phone));
        assert_eq!(
            classify_key("еmail_opt_in"),
            None,
            "an attribute still clears the key"
        );
        // Words of other scripts that imitate nothing stay as they are.
        assert_eq!(words("город"), ["город"]);
        assert_eq!(words("shoe_size"), ["shoe", "size"]);
        // Two words of the vocabulary with one skeleton would be read alike: none have.
        let mut by_skeleton: HashMap<String, Sense> = HashMap::new();
        for (sense, list) in VOCABULARY {
            for word in *list {
                for sk in skeletons_of(word) {
                    let earlier = by_skeleton.entry(sk).or_insert(*sense);
                    assert_eq!(earlier, sense, "{word}");
                }
            }
        }
    }
}
