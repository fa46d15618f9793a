//! Personal data never leaves the compiler: a corpus of personal-data forms (keys in many spellings
//! and languages, nested members, shapes inside free text, disguised by Unicode), each placed both as
//! a trait and as an event property of a real bundle, imported, compiled under the default policies,
//! ranked and rendered — and each of its telling pieces asserted absent from the text context, the
//! JSON context and the browser snapshot's bytes. A second corpus of values that only look like
//! personal data (order ids, prices, dates, versions…) is asserted to survive.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use edge_persona::snapshot::compile;
use edge_persona::{import_bundle, rank, render, ImportLimits, RankSettings, RenderSettings};
use edge_persona::{ContextFormat, PrivacyPolicy, Target};
use serde_json::{json, Value};

use common::{HOUR_MS, NOW_MS as NOW};

/// `(key, value as JSON, pieces that must not appear anywhere)`.
type Form = (&'static str, &'static str, &'static [&'static str]);

/// Personal data recognised by its key: the value itself is plain.
const BY_KEY: &[Form] = &[
    ("email", r#""jeff@example.com""#, &["jeff@", "example.com"]),
    (
        "Email",
        r#""JL <jl@corp.example>""#,
        &["jl@", "corp.example"],
    ),
    ("e_mail", r#""anna.k@web.example""#, &["anna.k"]),
    (
        "emailAddress",
        r#""k.tanaka@mail.example.jp""#,
        &["k.tanaka"],
    ),
    ("work_email", r#""pat@acme.example""#, &["pat@"]),
    ("contact_email", r#""sam.lee@x.example""#, &["sam.lee"]),
    (
        "E-Mail-Adresse",
        r#""m.mueller@post.example""#,
        &["m.mueller"],
    ),
    (
        "correo_electronico",
        r#""lucia@correo.example""#,
        &["lucia@"],
    ),
    (
        "courriel",
        r#""julie.martin@orange.example""#,
        &["julie.martin"],
    ),
    ("phone", r#""+1 415 555 0142""#, &["555 0142", "0142"]),
    ("mobile", r#""07700 900123""#, &["900123"]),
    ("mobile_no", r#""9876543210""#, &["9876543210"]),
    ("mobileNumber", r#""612 34 56 78""#, &["34 56 78"]),
    ("tel_no", r#""030 1234567""#, &["1234567"]),
    ("tel", r#"4155550199"#, &["4155550199"]),
    ("phone_home", r#""(212) 555-0187""#, &["555-0187"]),
    ("home_phone", r#""212.555.0133""#, &["555.0133"]),
    ("cell", r#""555 0111 222""#, &["0111 222"]),
    ("whatsapp", r#""+44 7911 123456""#, &["123456"]),
    ("landline", r#""+44 29 2018 0071""#, &["2018 0071"]),
    ("fax", r#""+49 89 1234 5678""#, &["1234 5678"]),
    ("Telefonnummer", r#""0171 2345678""#, &["2345678"]),
    ("Handynummer", r#""0151 98765432""#, &["98765432"]),
    ("telefono", r#""+34 612 345 678""#, &["345 678"]),
    ("numero_de_telefono", r#""912 345 678""#, &["345 678"]),
    (
        "telephone_portable",
        r#""06 12 34 56 78""#,
        &["12 34 56 78"],
    ),
    ("cellulare", r#""347 123 4567""#, &["123 4567"]),
    ("telemovel", r#""912 345 670""#, &["345 670"]),
    ("telefoonnummer", r#""06-12345678""#, &["12345678"]),
    ("numer_telefonu", r#""601 234 567""#, &["234 567"]),
    ("telefon", r#""+46 70 123 45 67""#, &["123 45 67"]),
    ("телефон", r#""+7 912 345-67-89""#, &["345-67-89"]),
    ("address", r#""12 Main St, Springfield""#, &["Main St"]),
    ("shipTo", r#""742 Evergreen Terrace""#, &["Evergreen"]),
    ("ship_to", r#""Flat 2, 10 Downing Street""#, &["Downing"]),
    (
        "shipping_addr",
        r#""1600 Amphitheatre Pkwy""#,
        &["Amphitheatre"],
    ),
    ("billing_address", r#""4 Privet Drive""#, &["Privet"]),
    ("home", r#""221B Baker Street""#, &["Baker"]),
    ("street", r#""Elm Row""#, &["Elm Row"]),
    ("addressLine1", r#""Apartment 5C""#, &["5C"]),
    ("postalCode", r#""94105""#, &["94105"]),
    ("zip", r#""10001""#, &["10001"]),
    ("zip_code", r#"60614"#, &["60614"]),
    ("postcode", r#""SW1A 2AA""#, &["SW1A"]),
    ("Straße", r#""Hauptstraße 5""#, &["Hauptstra"]),
    ("Anschrift", r#""Marienplatz 1, München""#, &["Marienplatz"]),
    ("Lieferadresse", r#""Königsallee 92""#, &["Königsallee"]),
    ("PLZ", r#""80331""#, &["80331"]),
    ("adresse", r#""5 rue de la Paix""#, &["Paix"]),
    ("code_postal", r#""75002""#, &["75002"]),
    ("direccion", r#""Calle Mayor 10""#, &["Mayor"]),
    ("codigo_postal", r#""28013""#, &["28013"]),
    ("indirizzo", r#""Via Roma 12""#, &["Roma 12"]),
    ("CAP", r#""00184""#, &["00184"]),
    ("endereco", r#""Rua Augusta 100""#, &["Augusta"]),
    ("morada", r#""Avenida da Liberdade 50""#, &["Liberdade"]),
    ("adres", r#""Kerkstraat 12""#, &["Kerkstraat"]),
    ("ulica", r#""Marszałkowska 10""#, &["Marszałkowska"]),
    ("адрес", r#""ул. Тверская, 7""#, &["Тверская"]),
    ("latitude", r#"51.50722"#, &["51.50722"]),
    ("birthday", r#""1977-12-04""#, &["1977"]),
    ("bday", r#""12/04""#, &["12/04"]),
    ("dob", r#""04.12.1977""#, &["1977"]),
    ("date_of_birth", r#""December 4, 1977""#, &["1977"]),
    ("dateOfBirth", r#""1990-02-11""#, &["1990"]),
    ("Geburtsdatum", r#""11.02.1990""#, &["1990"]),
    ("fecha_de_nacimiento", r#""11/02/1990""#, &["1990"]),
    ("date_de_naissance", r#""11 février 1990""#, &["1990"]),
    ("data_di_nascita", r#""1990-02-11""#, &["1990"]),
    ("geboortedatum", r#""11-02-1990""#, &["1990"]),
    ("ssn", r#""078-05-1120""#, &["1120"]),
    ("social_security_number", r#""219099999""#, &["219099999"]),
    ("passport_number", r#""X1234567""#, &["X1234567"]),
    ("national_id", r#""AB123456C""#, &["AB123456C"]),
    ("tax_id", r#""12-3456789""#, &["3456789"]),
    ("drivers_license", r#""D123-4567-8901""#, &["4567"]),
    ("Personalausweis", r#""L01X00T47""#, &["L01X00T47"]),
    ("Steuer-ID", r#""12 345 678 901""#, &["678 901"]),
    ("dni", r#""12345678Z""#, &["12345678Z"]),
    (
        "codice_fiscale",
        r#""RSSMRA85T10A562S""#,
        &["RSSMRA85T10A562S"],
    ),
    (
        "numero_securite_sociale",
        r#""1 85 05 78 006 084 36""#,
        &["006 084"],
    ),
    ("personnummer", r#""811228-9874""#, &["9874"]),
    ("pesel", r#""44051401359""#, &["44051401359"]),
    ("cpf", r#""123.456.789-09""#, &["789-09"]),
    ("card_number", r#""4111 1111 1111 1111""#, &["1111 1111"]),
    ("credit_card", r#""5500-0000-0000-0004""#, &["0000-0004"]),
    ("cc_number", r#"378282246310005"#, &["378282246310005"]),
    ("cvv", r#""123""#, &["\"123\""]),
    ("iban", r#""DE89 3704 0044 0532 0130 00""#, &["3704 0044"]),
    ("bank_account", r#""12345678""#, &["12345678"]),
    ("account_number", r#""0012345678""#, &["0012345678"]),
    ("sort_code", r#""20-41-17""#, &["20-41-17"]),
    ("routing_number", r#""021000021""#, &["021000021"]),
    ("Kontonummer", r#""1234567890""#, &["1234567890"]),
    ("ip", r#""203.0.113.7""#, &["203.0.113"]),
    ("ip_address", r#""2001:db8::42""#, &["2001:db8"]),
    ("lastIpAddress", r#""198.51.100.23""#, &["198.51.100"]),
    ("client_ip", r#""192.0.2.99""#, &["192.0.2"]),
];

/// Personal data inside objects: judged by the path of keys.
const NESTED: &[Form] = &[
    (
        "address",
        r#"{"street": "410 Union St", "city": "Brooklyn", "zip": "11231"}"#,
        &["Union", "11231"],
    ),
    (
        "contact",
        r#"{"tel": "030 7654321", "preferred_time": "evening"}"#,
        &["7654321"],
    ),
    (
        "contact",
        r#"{"email": "c@example.org", "name": "Kasia"}"#,
        &["c@", "example.org"],
    ),
    (
        "emergency_contact",
        r#"{"name": "Kasia", "phone": "+1 647 555 0119"}"#,
        &["555 0119"],
    ),
    (
        "billing",
        r#"{"plan": "monthly", "bank_account": "checking 6610 0012"}"#,
        &["6610"],
    ),
    (
        "drivers",
        r#"[{"name": "Amara", "dob": "2010-06-21"}]"#,
        &["2010-06-21"],
    ),
    (
        "shipping",
        r#"{"line1": "Flat 4B", "postcode": "E5 0LH"}"#,
        &["E5 0LH"],
    ),
    (
        "customer",
        r#"{"tier": "gold", "address": {"street": "Hauptstraße 5", "city": "Köln"}}"#,
        &["Hauptstra"],
    ),
    (
        "debitCard",
        r#"{"scheme": "Visa", "number": "4000 0566 5566 5556"}"#,
        &["5566 5556"],
    ),
    (
        "profile",
        r#"{"birth_date": "1988-02-11", "plan": "pro"}"#,
        &["1988-02-11"],
    ),
    (
        "household",
        r#"{"members": [{"name": "Ana", "mobile": "0612345678"}]}"#,
        &["0612345678"],
    ),
    (
        "device",
        r#"{"model": "Pixel 8", "ip": "10.1.2.3"}"#,
        &["10.1.2.3"],
    ),
    (
        "kyc",
        r#"{"status": "verified", "passport": "P4366918"}"#,
        &["P4366918"],
    ),
    (
        "payout",
        r#"{"method": "bank", "iban": "GB82WEST12345698765432"}"#,
        &["WEST1234"],
    ),
    (
        "Kunde",
        r#"{"Telefon": "089 123456", "Stufe": "Gold"}"#,
        &["123456"],
    ),
    (
        "cliente",
        r#"{"direccion": "Calle Luna 3", "nivel": "oro"}"#,
        &["Luna"],
    ),
    ("jeff@example.com", r#"true"#, &["jeff@example.com"]),
    ("notes", r#"{"j.doe@example.net": "vip"}"#, &["j.doe"]),
];

/// Personal data by shape inside free text (under keys that say nothing).
const IN_TEXT: &[Form] = &[
    (
        "notes",
        r#""write to jeff@example.com today""#,
        &["jeff@", "example.com"],
    ),
    (
        "notes",
        r#""mail jeff.lawson+shop@sub.example.co.uk""#,
        &["jeff.lawson", "sub.example"],
    ),
    (
        "notes",
        r#""jeff at example dot com""#,
        &["example dot com"],
    ),
    (
        "notes",
        r#""jeff [at] example [dot] com""#,
        &["example [dot]"],
    ),
    ("notes", r#""jeff(at)example(dot)com""#, &["example(dot)"]),
    (
        "notes",
        r#""reach me: jeff (at) example.com""#,
        &["example.com"],
    ),
    ("notes", r#""jeff%40example.com""#, &["example.com"]),
    ("notes", r#""jeff @ example . com""#, &["example . com"]),
    ("notes", r#""j.lawson at example.com""#, &["example.com"]),
    (
        "notes",
        r#""email: jl2 at corp.example.org""#,
        &["corp.example"],
    ),
    ("notes", r#""call +1 415 555 0142 after 5""#, &["555 0142"]),
    ("notes", r#""call (415) 555-0142""#, &["555-0142"]),
    ("notes", r#""my number is 4155550142""#, &["4155550142"]),
    ("notes", r#""ring 14155550142 anytime""#, &["14155550142"]),
    ("notes", r#""+14155550142""#, &["14155550142"]),
    ("notes", r#""0044 20 7946 0958""#, &["7946 0958"]),
    ("notes", r#""tel. 020 7946 0958""#, &["7946 0958"]),
    ("notes", r#""Rückruf unter 030/1234567""#, &["1234567"]),
    ("notes", r#""appelez le 06 12 34 56 78""#, &["34 56 78"]),
    ("notes", r#""teléfono 612345678""#, &["612345678"]),
    ("notes", r#""whatsapp 07911123456""#, &["07911123456"]),
    ("notes", r#""1-800-555-0199 support line""#, &["555-0199"]),
    ("notes", r#""+44 (0) 20 7946 0958""#, &["7946 0958"]),
    ("notes", r#""cell: 555.867.5309""#, &["867.5309"]),
    (
        "notes",
        r#""card 4111 1111 1111 1111 declined""#,
        &["1111 1111"],
    ),
    (
        "notes",
        r#""paid with 4111111111111111""#,
        &["4111111111111111"],
    ),
    ("notes", r#""amex 3782 822463 10005""#, &["822463"]),
    ("notes", r#""mc 5555-5555-5555-4444""#, &["5555-4444"]),
    (
        "notes",
        r#""IBAN DE89 3704 0044 0532 0130 00 please""#,
        &["3704 0044"],
    ),
    (
        "notes",
        r#""refund to GB82WEST12345698765432""#,
        &["WEST1234"],
    ),
    (
        "notes",
        r#""fr7630006000011234567890189""#,
        &["30006000011234567890189"],
    ),
    ("notes", r#""SSN 078-05-1120 on file""#, &["078-05"]),
    ("notes", r#""ssn is 078051120""#, &["078051120"]),
    (
        "notes",
        r#""social security number: 219 09 9999""#,
        &["219 09"],
    ),
    ("notes", r#""from 192.168.1.20 at noon""#, &["192.168"]),
    (
        "notes",
        r#""login from 2001:0db8:85a3:0000:0000:8a2e:0370:7334""#,
        &["85a3", "7334"],
    ),
    ("notes", r#""seen at fe80::1ff:fe23:4567:890a""#, &["fe23"]),
    ("notes", r#""mapped ::ffff:192.0.2.128""#, &["192.0.2"]),
    (
        "notes",
        r#""ship to 12 Main Street please""#,
        &["Main Street"],
    ),
    (
        "notes",
        r#""lives at 221B Baker St, London""#,
        &["Baker St"],
    ),
    (
        "notes",
        r#""1600 Pennsylvania Ave NW, Washington""#,
        &["Pennsylvania"],
    ),
    (
        "notes",
        r#""88 Harbord St, Unit 3""#,
        &["Harbord", "Unit 3"],
    ),
    ("notes", r#""deliver to 5 Elm Close""#, &["Elm Close"]),
    (
        "notes",
        r#""Lieferung an Lindenstraße 12, 50674 Köln""#,
        &["Lindenstra", "50674"],
    ),
    ("notes", r#""Rathausstr. 3""#, &["Rathausstr"]),
    ("notes", r#""envoyer au 10 rue de Rivoli""#, &["Rivoli"]),
    ("notes", r#""Calle Mayor 12, Madrid""#, &["Mayor 12"]),
    ("notes", r#""Via Roma 1, Milano""#, &["Roma 1"]),
    (
        "notes",
        r#""Rua Barão de Jaguara 1240, apto 52""#,
        &["Jaguara", "apto 52"],
    ),
    ("notes", r#""Kerkstraat 5, Amsterdam""#, &["Kerkstraat"]),
    ("notes", r#""Storgatan 3, Stockholm""#, &["Storgatan"]),
    ("notes", r#""ul. Długa 5, Gdańsk""#, &["Długa 5"]),
    ("notes", r#""PO Box 1234""#, &["Box 1234"]),
    ("notes", r#""Postfach 4711""#, &["4711"]),
    ("notes", r#""postcode SW1A 1AA""#, &["SW1A 1AA"]),
    ("notes", r#""Toronto M5S 1G5""#, &["M5S 1G5"]),
    ("notes", r#""Brooklyn, NY 11231""#, &["NY 11231"]),
    ("notes", r#""born 1977-12-04""#, &["1977-12-04"]),
    ("notes", r#""DOB: 04/12/1977""#, &["04/12/1977"]),
    ("notes", r#""born on 4 December 1977""#, &["December 1977"]),
    ("notes", r#""birthday December 4, 1977""#, &["December 4"]),
    ("notes", r#""geboren am 4. Dezember 1977""#, &["Dezember"]),
    (
        "notes",
        r#""nacido el 4 de diciembre de 1977""#,
        &["diciembre"],
    ),
    ("notes", r#""née le 04.12.1977""#, &["04.12.1977"]),
    ("notes", r#""born in 1977""#, &["1977"]),
    (
        "notes",
        r#""passport X1234567 expires soon""#,
        &["X1234567"],
    ),
    ("notes", r#""passport no. 533380006""#, &["533380006"]),
    ("notes", r#""Reisepass C01X00T47""#, &["C01X00T47"]),
    (
        "notes",
        r#""national insurance QQ 12 34 56 C""#,
        &["12 34 56"],
    ),
    ("notes", r#""DNI 12345678Z""#, &["12345678Z"]),
    (
        "notes",
        r#""driver's license D1234-56789-01234""#,
        &["56789"],
    ),
    ("notes", r#""personnummer 19811228-9874""#, &["9874"]),
    ("notes", r#""IBAN: NL91ABNA0417164300""#, &["0417164300"]),
    // Without a separator between the number and the text around it.
    (
        "notes",
        r#""paid with card4111111111111111 ok""#,
        &["4111111111111111"],
    ),
    ("notes", r#""cc#5555555555554444""#, &["5555555555554444"]),
    ("notes", r#""pan=378282246310005;""#, &["378282246310005"]),
    ("notes", r#""ref 6011000990139424x""#, &["6011000990139424"]),
    (
        "notes",
        r#""send to ibanDE89370400440532013000""#,
        &["370400440532013000"],
    ),
    (
        "notes",
        r#""account_GB82WEST12345698765432""#,
        &["12345698765432"],
    ),
    ("notes", r#""NL91ABNA0417164300X""#, &["0417164300"]),
    (
        "notes",
        r#""iban=FR76 3000 6000 0112 3456 7890 189""#,
        &["0112 3456"],
    ),
];

/// The same data in Unicode disguises: fullwidth, zero-width characters, NFKC-only forms.
const DISGUISED: &[Form] = &[
    (
        "notes",
        r#""ｊｅｆｆ＠ｅｘａｍｐｌｅ．ｃｏｍ""#,
        &["ｅｘａｍｐｌｅ", "example"],
    ),
    (
        "notes",
        r#""call ＋１ ４１５ ５５５ ０１４２""#,
        &["５５５", "555 0142"],
    ),
    ("notes", "\"jeff\u{200B}@example.com\"", &["example.com"]),
    ("notes", "\"+1 415\u{2060} 555 0142\"", &["555 0142"]),
    (
        "notes",
        "\"4111\u{00AD}1111\u{00AD}1111\u{00AD}1111\"",
        &["1111"],
    ),
    ("notes", r#""jeff﹫example.com""#, &["example.com"]),
    ("notes", r#""𝟒𝟏𝟓 𝟓𝟓𝟓 𝟎𝟏𝟒𝟐""#, &["𝟓𝟓𝟓", "555"]),
    (
        "email",
        r#""ｊｅｆｆ＠ｅｘａｍｐｌｅ．ｃｏｍ""#,
        &["ｅｘａｍｐｌｅ"],
    ),
    ("ｐｈｏｎｅ", r#""+1 415 555 0177""#, &["0177"]),
    ("notes", "\"192\u{200C}.168.0.1\"", &["168.0"]),
];

/// Personal-data keys with letters swapped for look-alikes of other scripts (Cyrillic, Greek) or
/// digits, whose values are plain only by their key: compared by their confusable skeleton
/// (Unicode TS #39), they are the keys they imitate.
pub const CONFUSABLE_KEYS: &[Form] = &[
    ("dаte_of_birth", r#""1977-12-04""#, &["1977-12-04"]),
    ("birthdаy", r#""1977-12-04""#, &["1977-12-04"]),
    ("bіrthday", r#""1977-12-04""#, &["1977-12-04"]),
    ("dоb", r#""1977-12-04""#, &["1977-12-04"]),
    ("DОB", r#""04/12/1977""#, &["04/12/1977"]),
    ("Geburtsdаtum", r#""04.12.1977""#, &["04.12.1977"]),
    ("fecha_de_nacіmiento", r#""04-12-1977""#, &["04-12-1977"]),
    ("pаssport", r#""C01X00T47""#, &["C01X00T47"]),
    ("passpоrt_no", r#""533380006""#, &["533380006"]),
    ("раssport", r#""533380006""#, &["533380006"]),
    ("ΡΑSSPORT", r#""533380006""#, &["533380006"]),
    ("pаsaporte", r#""XDA123456""#, &["XDA123456"]),
    ("bаnk_account", r#""12345678""#, &["12345678"]),
    ("bank_аccount", r#""12345678""#, &["12345678"]),
    ("bank_acсount", r#""12345678""#, &["12345678"]),
    ("ΙBAN", r#""ABNA 0417 1643 00""#, &["0417 1643"]),
    ("іban", r#""ABNA 0417 1643 00""#, &["0417 1643"]),
    ("kontonummеr", r#""0532013000""#, &["0532013000"]),
    ("card_numbеr", r#""7412 3698 5214""#, &["3698 5214"]),
    ("саrd_number", r#""7412 3698 5214""#, &["3698 5214"]),
    ("credit_cаrd", r#""7412 3698 5214""#, &["3698 5214"]),
    ("сс_number", r#""7412 3698 5214""#, &["3698 5214"]),
    ("cardnumbеr", r#""7412 3698 5214""#, &["3698 5214"]),
    ("сvv", r#""737""#, &["737"]),
    ("рhone", r#""555 0142""#, &["555 0142"]),
    ("phоne", r#""555 0142""#, &["555 0142"]),
    ("ph0ne", r#""555 0142""#, &["555 0142"]),
    ("telеphone", r#""555 0142""#, &["555 0142"]),
    ("mоbile", r#""555 0142""#, &["555 0142"]),
    ("ΡΗΟΝΕ", r#""555 0142""#, &["555 0142"]),
    ("whatsаpp", r#""555 0142""#, &["555 0142"]),
    ("tеl", r#""555 0142""#, &["555 0142"]),
];

/// Values that look like personal data but are not, and must reach the context unchanged.
const LOOK_ALIKES: &[(&str, &str)] = &[
    ("shoe_size", "10.5"),
    ("order", "order ord_87731 has not arrived"),
    ("due", "due 2026-11-28"),
    ("tracking_number", "1Z999AA10123456784"),
    ("card", "visa ending 4242"),
    ("loyalty_points", "18420 points"),
    ("last_seen", "2026-11-20T11:59:50.000Z"),
    ("app_version", "version 7.2.0"),
    ("os_build", "10.0.19041.1"),
    ("last_bill_amount", "$212.40"),
    ("price", "€1.299,00"),
    ("balance", "182340.55"),
    ("order_id", "PS-8841-22910"),
    ("reference", "LTR-2509-0412"),
    ("claim_number", "AC-26-118240"),
    ("policy_number", "HMA-4471902"),
    ("customer_number", "HM-00918244"),
    ("invoice", "invoice 4155550142"),
    ("order_ref", "order 20240611123"),
    ("meter", "mprn 7390182204"),
    ("steam_id", "76561198047712093"),
    ("timestamp_ms", "1795176000000"),
    ("epoch", "1795176000"),
    ("product", "Court Ace Tennis Shoes"),
    ("product_2", "Nike Court Vision 2"),
    ("product_3", "Trail Runner 5"),
    ("vehicle", "2014 Toyota Corolla"),
    ("plan", "Season 10 Battle Pass"),
    ("device", "iPhone 15 Pro Max 256GB"),
    ("store", "shopped at amazon.com"),
    ("note", "meet at the cafe"),
    ("review", "walked 3 blocks down the street"),
    ("years", "1990-2020"),
    ("delivery_window", "10-12 business days"),
    ("opening", "open 9-17, Sat 10-14"),
    ("time", "12:30"),
    ("resolution", "1920/1080"),
    ("rating", "rated 4.5/5"),
    ("pages", "page 12 of 30"),
    ("shards", "1,000 Shards"),
    ("gate", "Gate B12, seat 14C"),
    ("flight", "BA 283"),
    ("iso", "ISO 9001"),
    ("discount", "+20% off"),
    ("scores", "scores 12 15 18 21"),
    ("sizes", "sizes 8 9 10 11"),
    ("email_subject", "Spring running sale: 20% off trail shoes"),
    ("email_opt_in", "true"),
    ("dimension", "2 x 4"),
    ("ratio", "16:9"),
    ("colgate", "Colgate 360 toothbrush"),
    ("console", "PS5 1TB bundle"),
    ("version_list", "v1.2.3, v1.2.4"),
    ("credit_card_balance", "1537.43"),
    ("credit_card_last4", "8820"),
    ("mpan", "21 1200 0048 3921"),
];

fn bundle(key: &str, value: Value) -> String {
    common::bundle(
        "user_id:privacy-test",
        json!({key: value.clone(), "favorite_color": "green"}),
        vec![common::event(
            "m1",
            "Order Placed",
            NOW - HOUR_MS,
            json!({key: value, "item": "Trail Runner 5"}),
        )],
    )
}

/// The text and JSON contexts (server policy) and the browser snapshot's bytes for a profile
/// holding `value` under `key`, with a query that reaches both the trait and the event.
fn outputs(key: &str, value: &Value) -> (String, String, String) {
    let profile = import_bundle(&bundle(key, value.clone()), &ImportLimits::default()).unwrap();
    let server = compile(&profile, &PrivacyPolicy::new(Target::Server));
    let query = format!("{key} {} order placed trail runner", value);
    let settings = RankSettings {
        limit: 50,
        ..RankSettings::default()
    }
    .checked()
    .unwrap();
    let items = rank(&server, &query, NOW, &settings);
    assert!(
        items.iter().any(|i| i.id == "event:m1"),
        "{key}: the event is not in the ranking, the test would prove nothing"
    );
    let context = |format| {
        render(
            &server,
            &items,
            NOW,
            &RenderSettings {
                budget_tokens: 4000,
                format,
                ..RenderSettings::default()
            }
            .checked()
            .unwrap(),
        )
        .text
    };
    let browser = compile(&profile, &PrivacyPolicy::new(Target::Browser))
        .encode()
        .unwrap();
    (
        context(ContextFormat::Text),
        context(ContextFormat::Json),
        String::from_utf8_lossy(&browser).into_owned(),
    )
}

fn assert_absent(corpus: &[Form]) -> usize {
    let mut leaks = Vec::new();
    for (key, value, secrets) in corpus {
        let value: Value = serde_json::from_str(value).unwrap();
        let (text, json, browser) = outputs(key, &value);
        for secret in *secrets {
            for (what, out) in [("text", &text), ("json", &json), ("browser", &browser)] {
                // The JSON context escapes non-ASCII; compare its decoded form too.
                let decoded = serde_json::from_str::<Value>(out)
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                if out.contains(secret) || decoded.contains(secret) {
                    leaks.push(format!("{key} = {value}: {secret:?} in the {what} output"));
                }
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
    corpus.len()
}

#[test]
fn personal_data_recognised_by_key_never_leaves() {
    assert_absent(BY_KEY);
}

#[test]
fn personal_data_in_nested_members_never_leaves() {
    assert_absent(NESTED);
}

#[test]
fn personal_data_inside_free_text_never_leaves() {
    assert_absent(IN_TEXT);
}

#[test]
fn personal_data_in_unicode_disguise_never_leaves() {
    assert_absent(DISGUISED);
}

#[test]
fn confusable_keys_never_leave() {
    assert_eq!(assert_absent(CONFUSABLE_KEYS), 32);
    // Each of them is a key the policy reads as personal data.
    for (key, _, _) in CONFUSABLE_KEYS {
        assert!(edge_persona::classify_key(key).is_some(), "{key}");
    }
}

#[test]
fn the_corpus_is_large() {
    let forms = BY_KEY.len() + NESTED.len() + IN_TEXT.len() + DISGUISED.len();
    assert!(forms >= 150, "{forms} forms");
    assert!(LOOK_ALIKES.len() >= 50);
}

#[test]
fn look_alike_values_survive() {
    let mut lost = Vec::new();
    for (key, value) in LOOK_ALIKES {
        let (text, _, browser) = outputs(key, &Value::String((*value).into()));
        for (what, out) in [("text", &text), ("browser", &browser)] {
            if !out.contains(value) {
                lost.push(format!("{key} = {value:?} lost from the {what} output"));
            }
        }
    }
    assert!(lost.is_empty(), "{}:\n{}", lost.len(), lost.join("\n"));
}

#[test]
fn the_allow_list_lets_one_key_through() {
    let value = json!({"tel": "030 7654321", "email": "c@example.org"});
    let profile = import_bundle(&bundle("contact", value), &ImportLimits::default()).unwrap();
    let policy = PrivacyPolicy::new(Target::Browser).allow("contact.tel");
    let bytes = compile(&profile, &policy).encode().unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("030 7654321"));
    assert!(!text.contains("c@example.org"));
}
