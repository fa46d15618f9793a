//! The privacy policy: which keys hold personal data, and masking of personal data inside free text.
//!
//! Personal data — e-mail addresses, phone numbers, street addresses, birthdays, government and payment
//! identifiers, IP addresses — is recognised by key (`email`, `work_phone`, `address`, `postalCode`,
//! `date_of_birth`, `ssn`, `card_number`, `ip_address`, …) and, inside any free-text value, by shape
//! (`someone@example.com`, `+1 415 555 0142`, `10.0.0.1`, 13–19 digit card numbers). The policy is
//! applied when a snapshot is compiled, so what is withheld never enters the snapshot's text at all:
//!
//! * [`Target::Server`] (prompts): a personal-data trait keeps its key but not its value, so the
//!   context can say "Phone: on file (withheld)"; masked text replaces personal data in free text.
//! * [`Target::Browser`] (snapshots served to the page): personal-data traits and properties are
//!   dropped entirely.
//!
//! A deployment opts a key in with [`PrivacyPolicy::allow`]; nothing else changes the defaults.

use serde::{Deserialize, Serialize};

/// Kinds of personal data the policy recognises.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    bincode::Encode,
    bincode::Decode,
)]
pub enum PiiClass {
    /// An e-mail address.
    Email,
    /// A phone number.
    Phone,
    /// A street or postal address.
    Address,
    /// A birthday or date of birth.
    Birthday,
    /// A government identifier (SSN, passport, national id, driver's licence).
    GovernmentId,
    /// A payment identifier (card number, IBAN, account number).
    PaymentId,
    /// An IP address.
    IpAddress,
}

impl PiiClass {
    /// Lowercase name, as shown in masks and explanations.
    pub fn as_str(self) -> &'static str {
        match self {
            PiiClass::Email => "email",
            PiiClass::Phone => "phone",
            PiiClass::Address => "address",
            PiiClass::Birthday => "birthday",
            PiiClass::GovernmentId => "government id",
            PiiClass::PaymentId => "payment id",
            PiiClass::IpAddress => "ip address",
        }
    }
}

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

/// The privacy policy of a deployment: a target and the keys it explicitly allows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PrivacyPolicy {
    /// Where the compiled snapshot will be used.
    pub target: Target,
    /// Keys (trait keys or event property keys, exact match) whose personal data may pass.
    pub allow: Vec<String>,
}

impl PrivacyPolicy {
    /// The default policy for a target: nothing allowed.
    pub fn new(target: Target) -> Self {
        Self {
            target,
            allow: Vec::new(),
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
}

/// The personal-data class of a key, judged by its words (`work_email` → Email; `email_opt_in` → none).
pub fn classify_key(key: &str) -> Option<PiiClass> {
    let mut words: Vec<String> = Vec::new();
    crate::text::split_words(key, |w| words.push(w.to_string()));
    let has = |w: &str| words.iter().any(|x| x == w);
    let pair = |a: &str, b: &str| {
        words
            .windows(2)
            .any(|p| matches!(p, [x, y] if x == a && y == b))
    };
    let last = words.last().map(String::as_str).unwrap_or("");
    if last == "ip" || pair("ip", "address") || pair("ip", "addr") {
        return Some(PiiClass::IpAddress);
    }
    if matches!(last, "email" | "mail")
        || pair("email", "address")
        || key.eq_ignore_ascii_case("e-mail")
    {
        return Some(PiiClass::Email);
    }
    if matches!(
        last,
        "phone" | "mobile" | "telephone" | "tel" | "cell" | "fax" | "msisdn"
    ) || pair("phone", "number")
        || pair("mobile", "number")
    {
        return Some(PiiClass::Phone);
    }
    if has("birthday") || has("birthdate") || has("dob") || has("birth") {
        return Some(PiiClass::Birthday);
    }
    if has("ssn")
        || has("passport")
        || pair("national", "id")
        || pair("tax", "id")
        || pair("social", "security")
        || (has("driver") || has("drivers")) && has("license")
    {
        return Some(PiiClass::GovernmentId);
    }
    if has("iban")
        || has("cvv")
        || has("cvc")
        || pair("card", "number")
        || pair("credit", "card")
        || pair("account", "number")
        || pair("routing", "number")
        || has("swift")
        || has("bic")
    {
        return Some(PiiClass::PaymentId);
    }
    if has("address")
        || has("street")
        || has("postal")
        || has("postcode")
        || has("zip")
        || has("zipcode")
    {
        return Some(PiiClass::Address);
    }
    None
}

/// Replaces e-mail addresses, phone numbers, IPv4 addresses and card numbers inside free text with
/// `[email withheld]`, `[phone withheld]`, `[ip address withheld]`, `[payment id withheld]`.
pub fn mask_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let at_boundary = i == 0 || chars.get(i - 1).is_some_and(|c| !c.is_alphanumeric());
        if at_boundary {
            if let Some((len, class)) = match_pii(&chars, i) {
                out.push('[');
                out.push_str(class.as_str());
                out.push_str(" withheld]");
                i += len;
                continue;
            }
        }
        if let Some(c) = chars.get(i) {
            out.push(*c);
        }
        i += 1;
    }
    out
}

fn match_pii(chars: &[char], start: usize) -> Option<(usize, PiiClass)> {
    if let Some(len) = match_email(chars, start) {
        return Some((len, PiiClass::Email));
    }
    if let Some(len) = match_ipv4(chars, start) {
        return Some((len, PiiClass::IpAddress));
    }
    match_number_run(chars, start)
}

fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn match_email(chars: &[char], start: usize) -> Option<usize> {
    let mut i = start;
    while chars.get(i).is_some_and(|c| is_local_char(*c)) {
        i += 1;
    }
    if i == start || chars.get(i) != Some(&'@') {
        return None;
    }
    i += 1;
    let domain_start = i;
    while chars
        .get(i)
        .is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | '-'))
    {
        i += 1;
    }
    while i > domain_start && chars.get(i - 1) == Some(&'.') {
        i -= 1;
    }
    let domain: String = chars.get(domain_start..i)?.iter().collect();
    let dot = domain.rfind('.')?;
    (dot > 0 && domain.len() - dot > 2).then_some(i - start)
}

fn match_ipv4(chars: &[char], start: usize) -> Option<usize> {
    let mut i = start;
    for part in 0..4 {
        let begin = i;
        while chars.get(i).is_some_and(|c| c.is_ascii_digit()) && i - begin < 3 {
            i += 1;
        }
        if i == begin {
            return None;
        }
        let n: u32 = chars
            .get(begin..i)?
            .iter()
            .collect::<String>()
            .parse()
            .ok()?;
        if n > 255 {
            return None;
        }
        if part < 3 {
            if chars.get(i) != Some(&'.') {
                return None;
            }
            i += 1;
        }
    }
    let ends_cleanly = chars
        .get(i)
        .is_none_or(|c| !c.is_alphanumeric() && *c != '.');
    ends_cleanly.then_some(i - start)
}

/// Phone numbers (7–15 digits, with a leading `+` or at least two separated groups, not a date) and
/// card numbers (13–19 digits in groups or one run).
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '(' | ')' | '+')
}

/// Whether the separator at `i` starts a run of at most two separators followed by a digit.
fn separator_then_digit(chars: &[char], i: usize) -> bool {
    match (chars.get(i + 1), chars.get(i + 2)) {
        (Some(n), _) if n.is_ascii_digit() => true,
        (Some(n), Some(m)) => is_separator(*n) && m.is_ascii_digit(),
        _ => false,
    }
}

fn match_number_run(chars: &[char], start: usize) -> Option<(usize, PiiClass)> {
    let first = *chars.get(start)?;
    if !(first.is_ascii_digit() || first == '+' || first == '(') {
        return None;
    }
    let mut i = start;
    let mut digits = 0;
    let mut groups: Vec<usize> = Vec::new();
    let mut current = 0;
    while let Some(&c) = chars.get(i) {
        if c.is_ascii_digit() {
            digits += 1;
            current += 1;
        } else if is_separator(c) && separator_then_digit(chars, i) {
            if c == '+' && i != start {
                break;
            }
            if current > 0 {
                groups.push(current);
                current = 0;
            }
        } else {
            break;
        }
        i += 1;
    }
    if current > 0 {
        groups.push(current);
    }
    if chars.get(i).is_some_and(|c| c.is_alphanumeric()) {
        return None;
    }
    let len = i - start;
    let date_like = matches!(groups.as_slice(), [4, 2, 2] | [2, 2, 4] | [4, 2, 2, ..]);
    if (13..=19).contains(&digits)
        && (groups.len() == 1 || groups.iter().all(|g| *g == 4 || *g <= 6))
        && !date_like
    {
        let grouped_like_card = groups.len() == 1 || groups.first() == Some(&4);
        if grouped_like_card && first != '+' {
            return Some((len, PiiClass::PaymentId));
        }
    }
    let phone_shaped = first == '+' || first == '(' || groups.len() >= 2;
    if (7..=15).contains(&digits) && phone_shaped && !date_like {
        return Some((len, PiiClass::Phone));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_personal_keys() {
        for (key, class) in [
            ("email", PiiClass::Email),
            ("work_email", PiiClass::Email),
            ("phone", PiiClass::Phone),
            ("mobilePhone", PiiClass::Phone),
            ("address", PiiClass::Address),
            ("postalCode", PiiClass::Address),
            ("shipping_address", PiiClass::Address),
            ("birthday", PiiClass::Birthday),
            ("date_of_birth", PiiClass::Birthday),
            ("ssn", PiiClass::GovernmentId),
            ("passport_number", PiiClass::GovernmentId),
            ("card_number", PiiClass::PaymentId),
            ("iban", PiiClass::PaymentId),
            ("ip", PiiClass::IpAddress),
            ("ip_address", PiiClass::IpAddress),
            ("lastIpAddress", PiiClass::IpAddress),
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
}
