//! What makes a memory worth keeping, decided before it is written:
//!
//! * **Once.** Two texts that are the same fact after normalization (Unicode NFKC, case, white
//!   space, trailing punctuation, surrounding quotes, a leading `Noted … ago (…):` label) are one
//!   memory: the second `remember` answers the first, unchanged ([`fact_key`]).
//! * **Superseded by key.** A new memory whose key names the same thing as a kept one (`seat
//!   preference`, `seatPreference`, `seat_preference`: [`crate::text::key_words`]) replaces it:
//!   the old one is removed, not kept as history, so it can never be ranked or recalled again.
//! * **Refused when the policy would withhold it.** A key, text or category the deployment's
//!   privacy policy would withhold from a prompt is refused with the kind of personal data
//!   ([`crate::errors::MemoryError::Withheld`]), so the agent can tell the person, instead of being
//!   stored and silently hidden.
//! * **Never fed back.** Text that quotes a context block (its `<user_profile_context>` tag) is
//!   refused ([`crate::errors::MemoryError::Recalled`]); reads never write memories.

use crate::policy::{PiiClass, PrivacyPolicy};
use crate::profile::Value;
use crate::render::CONTEXT_TAG;

const CLASSES: [PiiClass; 7] = [
    PiiClass::Email,
    PiiClass::Phone,
    PiiClass::Address,
    PiiClass::Birthday,
    PiiClass::GovernmentId,
    PiiClass::PaymentId,
    PiiClass::IpAddress,
];

/// The fact a memory's text states, for comparison: normalized, lowercased, white space
/// collapsed, a recalled `Noted … ago (…):` label, surrounding quotes and trailing punctuation
/// dropped.
pub(super) fn fact_key(text: &str) -> String {
    let normalized = crate::text::normalize(text).to_lowercase();
    let mut s = normalized.trim();
    if let Some(rest) = s.strip_prefix("noted ") {
        if let Some((label, fact)) = rest.split_once(':') {
            if label.contains(" ago") || label.starts_with("today") || label.starts_with("just") {
                s = fact.trim();
            }
        }
    }
    let s = s.trim_matches(|c: char| {
        matches!(c, '"' | '\'' | '“' | '”' | '‘' | '’') || c.is_whitespace()
    });
    let s = s.trim_end_matches(|c: char| matches!(c, '.' | '!' | ';' | ',') || c.is_whitespace());
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The thing a memory's key names, for comparison (`seat_preference` = `Seat Preference`).
pub(super) fn key_name(key: &str) -> String {
    crate::text::key_words(key)
}

/// Whether a text quotes a context block.
pub(super) fn quotes_context(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains(&["<", CONTEXT_TAG].concat()) || lower.contains(&["</", CONTEXT_TAG].concat())
}

/// The kind of personal data a masked text shows (`[phone withheld]`), if any.
fn class_in(masked: &str) -> Option<PiiClass> {
    CLASSES.into_iter().find(|c| masked.contains(&c.mask()))
}

/// What the policy would withhold of a memory: the field and the kind of personal data. The
/// memory is read as the snapshot compiler reads it: a trait whose key is the memory's key (or
/// `memory`) and whose value is its text, and its category as free text.
pub(super) fn withheld(
    policy: &PrivacyPolicy,
    key: Option<&str>,
    text: &str,
    category: Option<&str>,
) -> Option<(&'static str, PiiClass)> {
    let policy_key = key.filter(|k| !k.is_empty()).unwrap_or("memory");
    if let Some(class) = policy.restricted(policy_key) {
        return Some(("key", class));
    }
    let key_text = policy.text(policy_key, policy_key);
    if let Some(class) = class_in(&key_text) {
        return Some(("key", class));
    }
    match policy.apply(policy_key, &Value::Text(text.to_string())) {
        crate::policy::Applied::Remove => {
            return Some((
                "key",
                class_in(&policy.text("", policy_key)).unwrap_or(PiiClass::Email),
            ))
        }
        crate::policy::Applied::Withheld(class) => return Some(("key", class)),
        crate::policy::Applied::Text(shown) => {
            if let Some(class) = class_in(&shown) {
                return Some(("text", class));
            }
        }
    }
    let category = category.unwrap_or("");
    class_in(&policy.text("category", category)).map(|class| ("category", class))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Target;

    #[test]
    fn facts_compare_after_normalization() {
        let same = [
            "Prefers aisle seats.",
            "prefers   aisle seats",
            "  \"Prefers aisle seats!\" ",
            "ＰＲＥＦＥＲＳ aisle seats",
            "Noted 3 days ago (seat preference): \"prefers aisle seats\"",
        ];
        for t in same {
            assert_eq!(fact_key(t), "prefers aisle seats", "{t}");
        }
        assert_ne!(
            fact_key("prefers window seats"),
            fact_key("prefers aisle seats")
        );
        assert_eq!(key_name("seat_preference"), key_name("Seat Preference"));
        assert_eq!(key_name("seatPreference"), key_name("seat-preference"));
        assert!(quotes_context(
            "<user_profile_context>\n- x\n</user_profile_context>"
        ));
        assert!(quotes_context("remember </USER_PROFILE_CONTEXT> this"));
        assert!(!quotes_context("user profile context"));
    }

    #[test]
    fn personal_data_is_named_with_its_field() {
        let server = PrivacyPolicy::new(Target::Server);
        assert_eq!(
            withheld(&server, None, "prefers aisle seats", Some("travel")),
            None
        );
        assert_eq!(
            withheld(&server, None, "my email is ana.p@example.com", None),
            Some(("text", PiiClass::Email))
        );
        assert_eq!(
            withheld(&server, None, "call me on +1 415 555 0134", None),
            Some(("text", PiiClass::Phone))
        );
        assert_eq!(
            withheld(&server, Some("phone_number"), "ask at the desk", None),
            Some(("key", PiiClass::Phone))
        );
        assert_eq!(
            withheld(&server, Some("seat"), "aisle", Some("ana@example.com")),
            Some(("category", PiiClass::Email))
        );
        // A deployment that allows the key lets it through.
        let allowing = PrivacyPolicy::new(Target::Server).allow("phone_number");
        assert_eq!(
            withheld(&allowing, Some("phone_number"), "+1 415 555 0134", None),
            None
        );
    }
}
