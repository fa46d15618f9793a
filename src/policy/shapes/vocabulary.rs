//! The words the shape detectors look for, and their lookup: each list is a bit in a token's
//! flags ([`list`]), so that a word is looked up once, when the text is cut into tokens
//! ([`super::tokens::lex`]), instead of once per list per detector. The lists live here, below
//! every detector and the tokenizer, so that imports only go one way: detectors → tokens →
//! vocabulary.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// Words that make a nearby value a phone number, an order number, a birthday, an identity or a
/// payment number (folded lowercase).
#[rustfmt::skip]
pub(super) const PHONE_WORDS: &[&str] = &[
    "phone", "telephone", "tel", "mobile", "cell", "call", "ring", "text", "sms", "whatsapp", "fax",
    "telefon", "telefono", "telephone", "telefone", "telefoon", "handy", "portable", "movil",
    "celular", "cellulare", "anrufen", "appeler", "llamar", "chiamare", "bellen", "tlf", "tfno",
    "mob", "landline", "viber", "telegram", "puhelin", "телефон",
];

#[rustfmt::skip]
pub(super) const ORDER_WORDS: &[&str] = &[
    "order", "orders", "invoice", "ticket", "sku", "ref", "reference", "booking", "confirmation",
    "tracking", "item", "product", "model", "part", "serial", "policy", "member", "customer",
    "case", "transaction", "txn", "receipt", "shipment", "parcel", "package", "id", "bestellung",
    "commande", "pedido", "ordine", "factura", "facture", "rechnung", "reservation", "claim",
    "loyalty", "account", "meter", "mpan", "mprn",
];

#[rustfmt::skip]
pub(super) const BIRTH_WORDS: &[&str] = &[
    "born", "birthday", "birth", "dob", "bday", "birthdate", "geboren", "geb", "geburtstag",
    "geburtsdatum", "ne", "nee", "naissance", "nacido", "nacida", "nacimiento", "cumpleanos",
    "nato", "nata", "nascita", "compleanno", "nascido", "nascida", "nascimento", "geboortedatum",
    "urodzony", "urodzona", "urodzenia", "urodziny", "fodd", "fodelsedag", "fodt", "fodselsdag",
    "syntynyt", "narozen", "narozena", "dogum", "родился", "родилась", "рождения",
];

#[rustfmt::skip]
pub(super) const ID_WORDS: &[&str] = &[
    "ssn", "passport", "passeport", "pasaporte", "passaporto", "passaporte", "reisepass",
    "paspoort", "paszport", "ausweis", "personalausweis", "ausweisnummer", "dni", "nie", "nif",
    "nss", "cpf", "pesel", "bsn", "personnummer", "cpr", "hetu", "henkilotunnus", "nino", "aadhaar",
    "itin", "license", "licence", "fuhrerschein", "rijbewijs", "curp", "cnp", "steuernummer",
    "steuer", "паспорт", "инн", "снилс",
];

/// Second words of identity phrases, counted when the word before is in [`ID_FIRST_WORDS`].
#[rustfmt::skip]
pub(super) const ID_SECOND_WORDS: &[&str] = &[
    "security", "insurance", "id", "number", "card", "no", "code",
];

#[rustfmt::skip]
pub(super) const ID_FIRST_WORDS: &[&str] = &[
    "social", "national", "tax", "identity", "personal", "voter", "government", "citizen", "id",
    "fiscale", "identite", "identidad",
];

#[rustfmt::skip]
pub(super) const PAYMENT_WORDS: &[&str] = &[
    "iban", "bic", "swift", "routing", "kontonummer", "konto", "rekening", "rekeningnummer",
    "clabe", "cvv", "cvc", "bankverbindung",
];

pub(super) const EMAIL_WORDS: &[&str] = &[
    "email", "mail", "courriel", "correo", "write", "contact", "reach",
];

#[rustfmt::skip]
pub(super) const MONTHS: &[&str] = &[
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "januar", "februar", "marz", "mai", "juni", "juli", "oktober",
    "dezember", "janvier", "fevrier", "mars", "avril", "juin", "juillet", "aout", "septembre",
    "octobre", "novembre", "decembre", "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre", "gennaio", "febbraio",
    "aprile", "maggio", "giugno", "luglio", "settembre", "ottobre", "dicembre", "janeiro",
    "fevereiro", "marco", "maio", "junho", "julho", "setembro", "outubro", "novembro", "dezembro",
    "januari", "februari", "maart", "mei", "augustus",
];

/// Street words that follow the street's name (English).
#[rustfmt::skip]
pub(super) const STREET_AFTER: &[&str] = &[
    "street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "lane", "ln", "highway",
    "hwy", "parkway", "pkwy", "drive", "dr", "way", "court", "ct", "place", "pl", "square", "sq",
    "terrace", "crescent", "cres", "close", "circle", "cir", "grove", "gardens", "mews", "row",
    "alley", "plaza", "trail", "walk", "hill", "rise", "vale", "wharf", "broadway",
];

/// Abbreviated street words (after which a lowercase name still makes an address).
pub(super) const STREET_ABBREVIATIONS: &[&str] = &[
    "st", "ave", "rd", "blvd", "ln", "hwy", "pkwy", "dr", "ct", "pl", "sq", "cres", "cir",
];

/// The ones that also name other things (`Nike Court Vision`): only at the end of the address.
pub(super) const STREET_AFTER_WEAK: &[&str] = &[
    "way", "court", "ct", "place", "pl", "square", "sq", "terrace", "close", "circle", "grove",
    "gardens", "row", "plaza", "trail", "walk", "hill", "rise", "vale", "drive", "dr", "mews",
];

/// Street words that come before the street's name (French, Spanish, Catalan, Italian,
/// Portuguese, Polish, Romanian, Welsh, Dutch).
#[rustfmt::skip]
pub(super) const STREET_BEFORE: &[&str] = &[
    "rue", "avenue", "av", "boulevard", "bd", "allee", "chemin", "impasse", "quai", "cours",
    "calle", "c", "avenida", "avda", "paseo", "plaza", "carrer", "via", "viale", "piazza", "corso",
    "largo", "vicolo", "rua", "travessa", "praca", "alameda", "estrada", "ul", "ulica", "al",
    "aleja", "os", "strada", "calea", "bulevardul", "heol", "ffordd", "plein",
];

/// Street words before the name that also follow a house number (`10 rue de Rivoli`).
#[rustfmt::skip]
pub(super) const STREET_FIRST_AFTER_NUMBER: &[&str] = &[
    "rue", "avenue", "boulevard", "bd", "allee", "chemin", "impasse", "quai", "place", "calle",
    "carrer", "rua", "via", "viale", "piazza", "heol",
];

#[rustfmt::skip]
pub(super) const UNIT_WORDS: &[&str] = &[
    "apt", "apartment", "unit", "suite", "ste", "flat", "floor", "fl", "no", "nr", "apto", "piso",
    "etage", "wohnung", "whg", "bloco", "lote", "door", "room",
];

pub(super) const DIRECTIONS: &[&str] = &[
    "n", "s", "e", "w", "ne", "nw", "se", "sw", "north", "south", "east", "west",
];

pub(super) const CONNECTIVES: &[&str] = &[
    "de", "la", "le", "les", "del", "della", "di", "da", "do", "dos", "das", "du", "des", "von",
    "van", "der", "den", "of", "the", "st", "saint", "san", "santa", "sainte", "dei",
];

/// The bit of each list in a token's flags (`Tok::is(list::PHONE)`).
pub(super) mod list {
    pub(in crate::policy::shapes) const BIRTH: u32 = 1 << 0;
    pub(in crate::policy::shapes) const CONNECTIVE: u32 = 1 << 1;
    pub(in crate::policy::shapes) const DIRECTION: u32 = 1 << 2;
    pub(in crate::policy::shapes) const EMAIL: u32 = 1 << 3;
    pub(in crate::policy::shapes) const ID_SECOND: u32 = 1 << 4;
    pub(in crate::policy::shapes) const ID_FIRST: u32 = 1 << 5;
    pub(in crate::policy::shapes) const ID: u32 = 1 << 6;
    pub(in crate::policy::shapes) const MONTH: u32 = 1 << 7;
    pub(in crate::policy::shapes) const ORDER: u32 = 1 << 8;
    pub(in crate::policy::shapes) const PAYMENT: u32 = 1 << 9;
    pub(in crate::policy::shapes) const PHONE: u32 = 1 << 10;
    pub(in crate::policy::shapes) const STREET_ABBREVIATION: u32 = 1 << 11;
    pub(in crate::policy::shapes) const STREET_AFTER_WEAK: u32 = 1 << 12;
    pub(in crate::policy::shapes) const STREET_AFTER: u32 = 1 << 13;
    pub(in crate::policy::shapes) const STREET_BEFORE: u32 = 1 << 14;
    pub(in crate::policy::shapes) const STREET_FIRST_AFTER_NUMBER: u32 = 1 << 15;
    pub(in crate::policy::shapes) const UNIT: u32 = 1 << 16;
}

/// Word → list bits, with FNV-1a hashing: short keys, no untrusted keys inserted.
type Lookup = HashMap<&'static str, u32, BuildHasherDefault<Fnv>>;

/// The FNV-1a hash, much cheaper than SipHash for words of a few bytes.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// The bits of the lists `word` (folded lowercase) is in; 0 for none.
pub(super) fn flags_of(word: &str) -> u32 {
    static LOOKUP: OnceLock<Lookup> = OnceLock::new();
    let lookup = LOOKUP.get_or_init(|| {
        let lists: [(&[&str], u32); 17] = [
            (BIRTH_WORDS, list::BIRTH),
            (CONNECTIVES, list::CONNECTIVE),
            (DIRECTIONS, list::DIRECTION),
            (EMAIL_WORDS, list::EMAIL),
            (ID_SECOND_WORDS, list::ID_SECOND),
            (ID_FIRST_WORDS, list::ID_FIRST),
            (ID_WORDS, list::ID),
            (MONTHS, list::MONTH),
            (ORDER_WORDS, list::ORDER),
            (PAYMENT_WORDS, list::PAYMENT),
            (PHONE_WORDS, list::PHONE),
            (STREET_ABBREVIATIONS, list::STREET_ABBREVIATION),
            (STREET_AFTER_WEAK, list::STREET_AFTER_WEAK),
            (STREET_AFTER, list::STREET_AFTER),
            (STREET_BEFORE, list::STREET_BEFORE),
            (STREET_FIRST_AFTER_NUMBER, list::STREET_FIRST_AFTER_NUMBER),
            (UNIT_WORDS, list::UNIT),
        ];
        let mut map = Lookup::default();
        for (words, flag) in lists {
            for word in words {
                *map.entry(*word).or_insert(0) |= flag;
            }
        }
        map
    });
    lookup.get(word).copied().unwrap_or(0)
}
