//! The slot language for personalizing HTML, shared by the browser module and the Worker's streaming
//! rewriter so a page behaves the same wherever it is personalized.
//!
//! | attribute | meaning |
//! | --- | --- |
//! | `data-persona="trait:first_name"` | replace the element's content with the trait's value, as text |
//! | `data-persona="memory:seat_preference"` | the same with the text of the newest memory of that key |
//! | `data-persona-default="there"` | the text to use when the profile has no such value |
//! | `data-persona-if="audience:running_enthusiasts"` | keep the element only when the condition holds |
//! | `data-persona-unless="trait:sms_opt_in"` | keep the element only when the condition does not hold |
//! | `data-persona-variants` on a parent, `data-persona-variant="running trail shoes"` on children | show only the child whose words are most relevant to the profile |
//!
//! Conditions: `audience:<key>` (an audience the person is in), `trait:<key>` (a trait with a truthy
//! value), `memory:<key>` (a memory of that key), `event:<Event Name>` (the person has such an event). A condition that names something the
//! profile does not have is false. Values are always text; escaping is the caller's job, decided by
//! where the text goes (the DOM's `textContent`, lol_html's `ContentType::Text`).

use crate::rank::{rank, RankSettings};
use crate::settings::Checked;
use crate::snapshot::Snapshot;

/// The value a `data-persona` slot gets, or `None` when the profile has no usable value (missing,
/// withheld by the privacy policy, or a spec this build does not understand).
pub fn slot_value<'a>(snapshot: &'a Snapshot, spec: &str) -> Option<&'a str> {
    let spec = spec.trim();
    let t = match spec.strip_prefix("memory:") {
        Some(key) => newest_memory(snapshot, key)?,
        None => snapshot.trait_by_key(spec.strip_prefix("trait:")?)?,
    };
    (t.withheld.is_none() && !t.text.is_empty()).then_some(t.text)
}

/// The newest memory noted with `key` (memories are stored newest first).
fn newest_memory<'a>(snapshot: &'a Snapshot, key: &str) -> Option<crate::snapshot::TraitView<'a>> {
    snapshot.memories().map(|(_, m)| m).find(|m| m.key == key)
}

/// Whether a `data-persona-if` / `-unless` condition holds for the profile.
pub fn condition_holds(snapshot: &Snapshot, expr: &str) -> bool {
    let expr = expr.trim();
    if let Some(key) = expr.strip_prefix("audience:") {
        return snapshot
            .trait_by_key(key)
            .is_some_and(|t| t.audience && t.is_truthy());
    }
    if let Some(key) = expr.strip_prefix("trait:") {
        return snapshot
            .trait_by_key(key)
            .is_some_and(|t| t.withheld.is_none() && t.is_truthy());
    }
    if let Some(key) = expr.strip_prefix("memory:") {
        return newest_memory(snapshot, key).is_some_and(|m| m.withheld.is_none());
    }
    if let Some(name) = expr.strip_prefix("event:") {
        return snapshot
            .groups()
            .any(|g| g.name.eq_ignore_ascii_case(name.trim()));
    }
    false
}

/// How many of the profile's best matches count towards a variant's score.
pub const VARIANT_DEPTH: usize = 5;

/// The index of the variant most relevant to the profile: each variant's words are ranked as a query
/// and scored by the sum of its best [`VARIANT_DEPTH`] item scores. Ties go to the earlier variant;
/// `None` when no variant matches anything (keep the page's default).
pub fn choose_variant(
    snapshot: &Snapshot,
    variants: &[&str],
    now_ms: i64,
    settings: &Checked<RankSettings>,
) -> Option<usize> {
    let Ok(settings) = (RankSettings {
        limit: VARIANT_DEPTH,
        ..RankSettings::clone(settings)
    })
    .checked() else {
        return None;
    };
    let mut best: Option<(usize, f32)> = None;
    for (i, words) in variants.iter().enumerate() {
        let score: f32 = rank(snapshot, words, now_ms, &settings)
            .iter()
            .map(|item| item.score)
            .sum();
        if score > 0.0 && best.is_none_or(|(_, b)| score > b) {
            best = Some((i, score));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::profile;

    fn snapshot() -> Snapshot {
        profile("p")
            .text("first_name", "Jeff")
            .text("email", "j@example.com")
            .audience("running_enthusiasts", true)
            .audience("golfers", false)
            .value("sms_opt_in", crate::profile::Value::Bool(false))
            .event("m", 0, "Product Viewed", &[("category", "Running Shoes")])
            .compile()
    }

    #[test]
    fn values_come_from_traits_but_never_withheld_ones() {
        let s = snapshot();
        assert_eq!(slot_value(&s, "trait:first_name"), Some("Jeff"));
        assert_eq!(slot_value(&s, " trait:first_name "), Some("Jeff"));
        assert_eq!(slot_value(&s, "trait:email"), None);
        assert_eq!(slot_value(&s, "trait:nope"), None);
        assert_eq!(slot_value(&s, "first_name"), None);
    }

    #[test]
    fn conditions() {
        let s = snapshot();
        assert!(condition_holds(&s, "audience:running_enthusiasts"));
        assert!(!condition_holds(&s, "audience:golfers"));
        assert!(
            !condition_holds(&s, "audience:first_name"),
            "not an audience"
        );
        assert!(!condition_holds(&s, "trait:sms_opt_in"));
        assert!(condition_holds(&s, "trait:first_name"));
        assert!(
            !condition_holds(&s, "trait:email"),
            "withheld values are not evidence"
        );
        assert!(condition_holds(&s, "event:product viewed"));
        assert!(!condition_holds(&s, "event:Order Completed"));
        assert!(!condition_holds(&s, "garbage"));
    }

    #[test]
    fn the_most_relevant_variant_wins() {
        let s = snapshot();
        let variants = ["golf clubs", "running trail shoes", "yoga mats"];
        assert_eq!(
            choose_variant(&s, &variants, 0, &Checked::default()),
            Some(1)
        );
        assert_eq!(
            choose_variant(&s, &["zebra", "quartz"], 0, &Checked::default()),
            None
        );
        assert_eq!(choose_variant(&s, &[], 0, &Checked::default()), None);
    }
}
