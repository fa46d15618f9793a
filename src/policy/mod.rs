//! The privacy policy: which values are personal data, and what a snapshot keeps of them.
//!
//! Personal data — e-mail addresses, phone numbers, street addresses and precise locations,
//! birthdays, government and payment identifiers, IP addresses — is recognised in three layers,
//! each documented where it lives:
//!
//! 1. **By key** ([`keys`], [`classify_key`]): the words of a trait or property key, normalized
//!    (case, separators, camelCase, accents, plurals, compounds) and looked up in a vocabulary of
//!    personal-data words in the major European languages (`email`, `mobile_no`, `tel_no`, `bday`,
//!    `shipTo`, `Telefonnummer`, `fecha_de_nacimiento`, `adresse`, `codice_fiscale`…), with words that
//!    say a key is only *about* such data (`email_opt_in`, `phone_verified`) left alone.
//! 2. **By path**: a key inside an object value is judged with the keys above it (`address.street`,
//!    `contact: {tel: …}`, `billing: {bank_account: …}`), the same way for traits and event properties.
//! 3. **By shape** ([`mask_text`]): inside every remaining value, in one linear pass — phones,
//!    validated card numbers and IBANs, SSNs, e-mails (also written out: `a at b dot com`, `a[at]b.com`,
//!    `a%40b.com`), IPv4 and IPv6, street addresses and postcodes, dates after a birth word,
//!    identifiers after an identity word.
//!
//! Values are normalized first ([`crate::text::normalize`]: invisible characters out, NFKC), so
//! `ｊｅｆｆ＠ｅｘａｍｐｌｅ．ｃｏｍ` and `+1\u{200B}415…` are caught like their plain forms. Booleans and
//! nulls are never personal data. The policy is applied when a snapshot is compiled, so what is
//! withheld never enters the snapshot at all:
//!
//! * [`Target::Server`] (prompts): a personal-data trait keeps its key but not its value, so the
//!   context can say "Phone: on file (withheld)"; a personal-data property or nested member keeps
//!   its key with `[phone withheld]` as its value; free text shows `[email withheld]` and the like.
//! * [`Target::Browser`] (snapshots served to the page): personal-data traits, properties and
//!   nested members are removed entirely.
//!
//! A key whose own text holds personal data (`{"jeff@example.com": true}`) is removed under both.
//! A deployment opts a key in with [`PrivacyPolicy::allow`] (a trait or property key, a nested
//! member's key or its dotted path); nothing else changes the defaults. When unsure, the policy
//! withholds: `phone_extra` is withheld, a 10-digit number in the North American shape is a phone.
//! What it does not recognise: personal names, towns and free-form locations without a house
//! number, numbers spelled in words, identifiers without a telling key or word, and languages
//! outside its vocabulary. Value text beyond [`PrivacyPolicy::max_value_bytes`] is cut, never kept
//! unread.

mod class;
mod keys;
mod shapes;

use serde::{Deserialize, Serialize};

use crate::profile::Value;

pub use class::PiiClass;
pub use keys::classify_key;
pub(crate) use keys::{classify_path, Certainty};
pub use shapes::mask_text;

/// Where a compiled snapshot will be used.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    bincode::Encode,
    bincode::Decode,
)]
pub enum Target {
    /// Stays on the server (Worker, CLI); personal-data values are withheld, keys kept.
    #[default]
    Server,
    /// Sent to the person's browser; personal-data items are removed.
    Browser,
}

/// The privacy policy of a deployment: a target, the keys it explicitly allows, and how much of a
/// value it reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivacyPolicy {
    /// Where the compiled snapshot will be used.
    pub target: Target,
    /// Keys (trait keys, event property keys, nested member keys or their dotted paths such as
    /// `contact.tel`; exact match) whose personal data may pass.
    pub allow: Vec<String>,
    /// Longest value text kept, in bytes (cut at a character boundary before it is read, so the
    /// policy's work per value is bounded). Default 16 KiB, [`crate::ImportLimits`]'s longest string.
    #[serde(default = "default_max_value_bytes")]
    pub max_value_bytes: usize,
}

fn default_max_value_bytes() -> usize {
    PrivacyPolicy::DEFAULT_MAX_VALUE_BYTES
}

impl Default for PrivacyPolicy {
    fn default() -> Self {
        Self::new(Target::default())
    }
}

/// What the policy makes of one trait or property value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Applied {
    /// The key itself holds personal data: the item is removed under every target.
    Remove,
    /// The value is personal data as a whole: withheld (server) or removed (browser).
    Withheld(PiiClass),
    /// The value's display text, normalized, personal data inside it withheld or removed.
    Text(String),
}

impl PrivacyPolicy {
    /// Default of [`PrivacyPolicy::max_value_bytes`].
    pub const DEFAULT_MAX_VALUE_BYTES: usize = 16 * 1024;

    /// The default policy for a target: nothing allowed.
    pub fn new(target: Target) -> Self {
        Self {
            target,
            allow: Vec::new(),
            max_value_bytes: Self::DEFAULT_MAX_VALUE_BYTES,
        }
    }

    /// Allows the personal data of `key` through (builder style).
    pub fn allow(mut self, key: impl Into<String>) -> Self {
        self.allow.push(key.into());
        self
    }

    /// Whether `key` is on the allow-list.
    pub fn is_allowed(&self, key: &str) -> bool {
        self.allow.iter().any(|k| k == key)
    }

    /// The personal-data class of `key` unless the policy allows it.
    pub fn restricted(&self, key: &str) -> Option<PiiClass> {
        classify_key(key).filter(|_| !self.is_allowed(key))
    }

    /// Applies the policy to the value of a trait or event property `key` (see the module docs).
    pub(crate) fn apply(&self, key: &str, value: &Value) -> Applied {
        if holds_personal_data(key) {
            return Applied::Remove;
        }
        if self.is_allowed(key) {
            return Applied::Text(self.read(&value.display()));
        }
        if matches!(value, Value::Null | Value::Bool(_)) {
            return Applied::Text(value.display());
        }
        match classify_path(&[key]) {
            Some((class, Certainty::Sure)) => return Applied::Withheld(class),
            Some((class, Certainty::Scalar)) if !has_objects(value) => {
                return Applied::Withheld(class)
            }
            _ => {}
        }
        let mut seen = Leaves::default();
        let pruned = self.prune(value, &mut vec![key], &mut seen);
        match seen {
            Leaves {
                kept: false,
                withheld: Some(class),
            } => Applied::Withheld(class),
            _ => Applied::Text(self.read(&pruned.display())),
        }
    }

    /// Free text that is not a value of a key (an event name, a property key): normalized, cut,
    /// personal data inside it masked.
    pub(crate) fn text(&self, key: &str, text: &str) -> String {
        shapes::mask_text_after(key, &self.read(text))
    }

    /// `text` cut to [`PrivacyPolicy::max_value_bytes`] and normalized.
    fn read(&self, text: &str) -> String {
        let normalized = crate::text::normalize(cut(text, self.max_value_bytes));
        cut(&normalized, self.max_value_bytes).to_string()
    }

    /// `value` without the members whose paths are personal data (under the server target they
    /// keep their key with `[class withheld]`, under the browser target they go), and with the
    /// personal data inside each remaining text or number masked, read with its own key as context.
    fn prune<'k>(&self, value: &'k Value, path: &mut Vec<&'k str>, seen: &mut Leaves) -> Value {
        match value {
            Value::Object(members) => {
                let mut kept = Vec::with_capacity(members.len());
                for (k, v) in members {
                    path.push(k);
                    if let Some(member) = self.prune_member(k, v, path, seen) {
                        kept.push((k.clone(), member));
                    }
                    path.pop();
                }
                Value::Object(kept)
            }
            Value::List(items) => {
                Value::List(items.iter().map(|i| self.prune(i, path, seen)).collect())
            }
            Value::Text(text) => {
                seen.kept = true;
                Value::Text(self.text(path.last().copied().unwrap_or(""), text))
            }
            Value::Number(n) => {
                seen.kept = true;
                let shown = crate::profile::format_number(*n);
                let masked = self.text(path.last().copied().unwrap_or(""), &shown);
                if masked == shown {
                    Value::Number(*n)
                } else {
                    Value::Text(masked)
                }
            }
            other => {
                seen.kept = true;
                other.clone()
            }
        }
    }

    fn prune_member<'k>(
        &self,
        key: &str,
        value: &'k Value,
        path: &mut Vec<&'k str>,
        seen: &mut Leaves,
    ) -> Option<Value> {
        if holds_personal_data(key) {
            return None;
        }
        if self.is_allowed(key) || self.is_allowed(&path.join(".")) {
            seen.kept = true;
            return Some(value.clone());
        }
        if matches!(value, Value::Null | Value::Bool(_)) {
            seen.kept = true;
            return Some(value.clone());
        }
        let class = match classify_path(path) {
            Some((class, Certainty::Sure)) => Some(class),
            Some((class, Certainty::Scalar)) if !has_objects(value) => Some(class),
            _ => None,
        };
        match class {
            Some(class) => {
                seen.withheld.get_or_insert(class);
                (self.target == Target::Server).then(|| Value::Text(class.mask()))
            }
            None => Some(self.prune(value, path, seen)),
        }
    }
}

/// What pruning a value found: whether any leaf was kept, and the first class withheld.
#[derive(Debug, Default)]
struct Leaves {
    kept: bool,
    withheld: Option<PiiClass>,
}

/// Whether a key's own text holds personal data by shape (`jeff@example.com`, `+1 415 555 0142`).
fn holds_personal_data(key: &str) -> bool {
    let key = cut(key, 256);
    let normalized = crate::text::normalize(key);
    mask_text(&normalized) != normalized
}

/// Whether a value is or holds an object, whose members are judged one by one.
fn has_objects(value: &Value) -> bool {
    match value {
        Value::Object(_) => true,
        Value::List(items) => items.iter().any(has_objects),
        _ => false,
    }
}

fn cut(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_personal_keys() {
        for (key, class) in [
            ("email", PiiClass::Email),
            ("work_email", PiiClass::Email),
            ("E-Mail-Adresse", PiiClass::Email),
            ("correo_electronico", PiiClass::Email),
            ("courriel", PiiClass::Email),
            ("phone", PiiClass::Phone),
            ("mobilePhone", PiiClass::Phone),
            ("mobile_no", PiiClass::Phone),
            ("tel_no", PiiClass::Phone),
            ("phone_home", PiiClass::Phone),
            ("whatsapp", PiiClass::Phone),
            ("landline", PiiClass::Phone),
            ("Telefonnummer", PiiClass::Phone),
            ("numero_de_telefono", PiiClass::Phone),
            ("address", PiiClass::Address),
            ("postalCode", PiiClass::Address),
            ("zip_code", PiiClass::Address),
            ("shipping_address", PiiClass::Address),
            ("shipping_addr", PiiClass::Address),
            ("shipTo", PiiClass::Address),
            ("home", PiiClass::Address),
            ("Straße", PiiClass::Address),
            ("Lieferanschrift", PiiClass::Address),
            ("code_postal", PiiClass::Address),
            ("indirizzo", PiiClass::Address),
            ("birthday", PiiClass::Birthday),
            ("bday", PiiClass::Birthday),
            ("date_of_birth", PiiClass::Birthday),
            ("Geburtsdatum", PiiClass::Birthday),
            ("fecha_de_nacimiento", PiiClass::Birthday),
            ("date_de_naissance", PiiClass::Birthday),
            ("ssn", PiiClass::GovernmentId),
            ("passport_number", PiiClass::GovernmentId),
            ("codice_fiscale", PiiClass::GovernmentId),
            ("numero_securite_sociale", PiiClass::GovernmentId),
            ("drivers_license", PiiClass::GovernmentId),
            ("card_number", PiiClass::PaymentId),
            ("iban", PiiClass::PaymentId),
            ("bank_account", PiiClass::PaymentId),
            ("Kontonummer", PiiClass::PaymentId),
            ("credit_card", PiiClass::PaymentId),
            ("ip", PiiClass::IpAddress),
            ("ip_address", PiiClass::IpAddress),
            ("lastIpAddress", PiiClass::IpAddress),
            ("адрес", PiiClass::Address),
        ] {
            assert_eq!(classify_key(key), Some(class), "{key}");
        }
        for key in [
            "email_opt_in",
            "sms_opt_in",
            "preferred_channel",
            "last_ip_country",
            "payment_method",
            "city",
            "first_name",
            "shoe_size",
            "device_model",
            "license_seats",
            "email_engaged_30d",
            "email_subject",
            "email_verified",
            "phone_type",
            "credit_card_balance",
            "credit_card_last4",
            "home_club",
            "homeBranch",
            "iphone_model",
            "smartphone",
            "shipping_method",
            "tracking_number",
            "order_id",
            "customer_number",
            "mobile_app_version",
            "ip_risk_score",
            "fraud_alerts_sms",
            "tax_year",
            "birth_country",
        ] {
            assert_eq!(classify_key(key), None, "{key}");
        }
    }

    #[test]
    fn masks_personal_data_in_free_text() {
        assert_eq!(
            mask_text("write to jeff@example.com today"),
            "write to [email withheld] today"
        );
        assert_eq!(mask_text("call +1 415 555 0142."), "call [phone withheld].");
        assert_eq!(mask_text("call (415) 555-0142"), "call [phone withheld]");
        assert_eq!(
            mask_text("from 192.168.1.20 at noon"),
            "from [ip address withheld] at noon"
        );
        assert_eq!(
            mask_text("card 4111 1111 1111 1111 declined"),
            "card [payment id withheld] declined"
        );
    }

    #[test]
    fn leaves_ordinary_numbers_alone() {
        for text in [
            "size 10.5",
            "order ord_87731",
            "due 2026-11-28",
            "1Z999AA10123456784",
            "visa ending 4242",
            "18420 points",
            "2026-11-20T11:59:50.000Z",
            "version 7.2.0",
            "$212.40",
        ] {
            assert_eq!(mask_text(text), text);
        }
    }

    #[test]
    fn allow_list_opts_keys_in() {
        let policy = PrivacyPolicy::new(Target::Server).allow("phone");
        assert_eq!(policy.restricted("phone"), None);
        assert_eq!(policy.restricted("email"), Some(PiiClass::Email));
    }

    fn object(members: &[(&str, Value)]) -> Value {
        Value::Object(
            members
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn nested_members_are_judged_by_their_paths() {
        let contact = object(&[
            ("name", text("Kasia")),
            ("tel", text("+48 601 234 567")),
            ("relation", text("sister")),
        ]);
        let server = PrivacyPolicy::new(Target::Server);
        assert_eq!(
            server.apply("emergency_contact", &contact),
            Applied::Text("name: Kasia, tel: [phone withheld], relation: sister".into())
        );
        let browser = PrivacyPolicy::new(Target::Browser);
        assert_eq!(
            browser.apply("emergency_contact", &contact),
            Applied::Text("name: Kasia, relation: sister".into())
        );
        let card = object(&[("scheme", text("Visa Debit")), ("last4", text("4417"))]);
        assert_eq!(
            server.apply("debitCard", &card),
            Applied::Text("scheme: Visa Debit, last4: 4417".into())
        );
        let address = object(&[("street", text("1 Main St")), ("city", text("Leeds"))]);
        assert_eq!(
            server.apply("address", &address),
            Applied::Withheld(PiiClass::Address)
        );
        assert_eq!(
            server.apply(
                "shipping",
                &object(&[("line1", text("x")), ("zip", text("94105"))])
            ),
            Applied::Text("line1: x, zip: [address withheld]".into())
        );
        let allowed = PrivacyPolicy::new(Target::Browser).allow("emergency_contact.tel");
        assert_eq!(
            allowed.apply("emergency_contact", &contact),
            Applied::Text("name: Kasia, tel: +48 601 234 567, relation: sister".into())
        );
    }

    #[test]
    fn keys_that_hold_personal_data_are_removed() {
        let policy = PrivacyPolicy::default();
        assert_eq!(
            policy.apply("jeff@example.com", &Value::Bool(true)),
            Applied::Remove
        );
        assert_eq!(
            policy.apply("notes", &object(&[("jeff@example.com", text("vip"))])),
            Applied::Text(String::new())
        );
        assert_eq!(
            policy.apply("email_opt_in", &Value::Bool(true)),
            Applied::Text("true".into())
        );
    }

    #[test]
    fn value_text_is_cut_to_the_limit() {
        let policy = PrivacyPolicy {
            max_value_bytes: 8,
            ..PrivacyPolicy::default()
        };
        assert_eq!(
            policy.apply("note", &text("abcdéfghij")),
            Applied::Text("abcdéfg".into())
        );
    }
}
