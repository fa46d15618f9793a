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
//!
//! Where slots are not filled and how much ranking a page may ask for are part of the language too,
//! defined here for both: no slot inside [`RAW_TEXT_ELEMENTS`]; a variants group that is itself a
//! variant stays as authored (its parent decides); a group of more than [`MAX_VARIANTS_PER_GROUP`]
//! variants stays as authored; groups are ranked in the order they end (an inner group before the
//! one around it), and once the variants of a page's groups so far pass
//! [`MAX_VARIANTS_PER_PAGE`], later groups stay as authored; a variant's words are read up to
//! [`MAX_VARIANT_WORDS_BYTES`].

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

/// Elements whose content a browser does not render as text (script, CSS, raw text, form values,
/// inert templates, other documents), as a CSS selector list: no slot inside one of them is filled
/// (a value there would be code, CSS or markup).
pub const RAW_TEXT_ELEMENTS: &str =
    "script, style, template, textarea, title, noscript, iframe, xmp, noembed, noframes, plaintext";
/// Variants ranked per group at most; a group with more is left as authored.
pub const MAX_VARIANTS_PER_GROUP: usize = 64;
/// Variants per page at most (ranking costs about one query each): a group whose variants, with
/// those of the page's earlier groups, pass it is left as authored.
pub const MAX_VARIANTS_PER_PAGE: usize = 256;
/// The longest `data-persona-variant` text ranked (bytes); the rest of a longer one is ignored.
pub const MAX_VARIANT_WORDS_BYTES: usize = 512;

/// Whether a group of `count` variants is ranked when the page's earlier groups had `earlier`
/// variants (see the module docs).
pub fn group_is_ranked(count: usize, earlier: usize) -> bool {
    count > 0
        && count <= MAX_VARIANTS_PER_GROUP
        && earlier.saturating_add(count) <= MAX_VARIANTS_PER_PAGE
}

/// [`choose_variant`] for a group of a page whose earlier groups had `earlier` variants: `None`
/// (as authored) past the page's or the group's cap.
pub fn choose_variant_on_page(
    snapshot: &Snapshot,
    variants: &[&str],
    earlier: usize,
    now_ms: i64,
    settings: &Checked<RankSettings>,
) -> Option<usize> {
    if !group_is_ranked(variants.len(), earlier) {
        return None;
    }
    choose_variant(snapshot, variants, now_ms, settings)
}

/// `s` cut to [`MAX_VARIANT_WORDS_BYTES`] at a character boundary.
fn variant_words(s: &str) -> &str {
    let mut end = s.len().min(MAX_VARIANT_WORDS_BYTES);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

/// The index of the variant most relevant to the profile: each variant's words (up to
/// [`MAX_VARIANT_WORDS_BYTES`]) are ranked as a query and scored by the sum of its best
/// [`VARIANT_DEPTH`] item scores. Ties go to the earlier variant; `None` when no variant matches
/// anything, or the group has more than [`MAX_VARIANTS_PER_GROUP`] (keep the page's default).
pub fn choose_variant(
    snapshot: &Snapshot,
    variants: &[&str],
    now_ms: i64,
    settings: &Checked<RankSettings>,
) -> Option<usize> {
    if variants.len() > MAX_VARIANTS_PER_GROUP {
        return None;
    }
    let Ok(settings) = (RankSettings {
        limit: VARIANT_DEPTH,
        ..RankSettings::clone(settings)
    })
    .checked() else {
        return None;
    };
    let mut best: Option<(usize, f32)> = None;
    for (i, words) in variants.iter().enumerate() {
        let score: f32 = rank(snapshot, variant_words(words), now_ms, &settings)
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

    #[test]
    fn caps_leave_groups_as_authored() {
        let s = snapshot();
        let settings = Checked::default();
        let mut many = vec!["golf clubs"; MAX_VARIANTS_PER_GROUP];
        many[3] = "running trail shoes";
        assert_eq!(choose_variant(&s, &many, 0, &settings), Some(3));
        many.push("yoga");
        assert_eq!(choose_variant(&s, &many, 0, &settings), None, "65 variants");
        let two = ["golf clubs", "running trail shoes"];
        assert_eq!(choose_variant_on_page(&s, &two, 254, 0, &settings), Some(1));
        assert_eq!(choose_variant_on_page(&s, &two, 255, 0, &settings), None);
        assert!(!group_is_ranked(0, 0));
        // Words past the byte limit are not read.
        let padded = format!(
            "{} running trail shoes",
            "x ".repeat(MAX_VARIANT_WORDS_BYTES)
        );
        assert_eq!(
            choose_variant(&s, &["zebra", padded.as_str()], 0, &settings),
            None
        );
        assert_eq!(variant_words(&"é".repeat(300)).len(), 512);
    }
}
