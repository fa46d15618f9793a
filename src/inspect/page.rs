//! A pasted page's slots, as the slot language ([`crate::slots`]) resolves them, with the evidence
//! behind each variant choice: the profile's items each variant's words matched and their scores,
//! whose sum decided (the best [`VARIANT_DEPTH`] items count).

use serde::Serialize;

use crate::rank::{rank, RankSettings};
use crate::settings::Checked;
use crate::slots::{
    choose_variant_on_page, condition_holds, group_is_ranked, slot_value, MAX_VARIANT_WORDS_BYTES,
    RAW_TEXT_ELEMENTS, VARIANT_DEPTH,
};
use crate::snapshot::Snapshot;

use super::request::PageRequest;

/// A `data-persona` slot's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlotReport {
    /// The spec (`trait:first_name`).
    pub spec: String,
    /// The text the slot gets; absent: it keeps its default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The personal-data class, when the profile has the trait but the policy withheld it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withheld: Option<&'static str>,
}

/// A condition and whether it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionReport {
    /// The expression (`audience:runners`).
    pub expr: String,
    /// Whether it holds for the profile.
    pub holds: bool,
}

/// An item that counted towards a variant's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// The item's id.
    pub id: String,
    /// Its score for the variant's words.
    pub score: f32,
}

/// One variant of a group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariantReport {
    /// Its words as ranked (cut at [`MAX_VARIANT_WORDS_BYTES`]).
    pub words: String,
    /// The sum of its evidence's scores: the best wins, ties go to the earlier variant.
    pub score: f32,
    /// The items that matched, best first.
    pub evidence: Vec<Evidence>,
}

/// One variants group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupReport {
    /// Whether it was ranked at all (not past the slot language's caps).
    pub ranked: bool,
    /// The variant shown; absent: the group stays as authored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chosen: Option<usize>,
    /// Its variants, in order (empty when not ranked).
    pub variants: Vec<VariantReport>,
}

/// The page's slots, conditions and groups, in the order asked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageReport {
    /// Elements inside which no slot is filled ([`RAW_TEXT_ELEMENTS`], a CSS selector list).
    pub raw_text_elements: &'static str,
    /// Each slot asked about.
    pub slots: Vec<SlotReport>,
    /// Each condition asked about.
    pub conditions: Vec<ConditionReport>,
    /// Each group asked about.
    pub groups: Vec<GroupReport>,
}

/// `s` cut to [`MAX_VARIANT_WORDS_BYTES`] at a character boundary, as the slot language reads it.
fn variant_words(s: &str) -> &str {
    let mut end = s.len().min(MAX_VARIANT_WORDS_BYTES);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

/// Resolves `req` as a page would be personalized at `now_ms` with `settings`.
pub fn page(
    snapshot: &Snapshot,
    req: &PageRequest,
    now_ms: i64,
    settings: &Checked<RankSettings>,
) -> PageReport {
    let depth = RankSettings {
        limit: VARIANT_DEPTH,
        ..RankSettings::clone(settings)
    }
    .checked()
    .unwrap_or_default();
    let slots = req
        .slots
        .iter()
        .map(|spec| {
            let key = spec.trim().strip_prefix("trait:");
            SlotReport {
                spec: spec.clone(),
                value: slot_value(snapshot, spec).map(str::to_string),
                withheld: key
                    .and_then(|k| snapshot.trait_by_key(k))
                    .and_then(|t| t.withheld)
                    .map(|c| c.as_str()),
            }
        })
        .collect();
    let conditions = req
        .conditions
        .iter()
        .map(|expr| ConditionReport {
            expr: expr.clone(),
            holds: condition_holds(snapshot, expr),
        })
        .collect();
    let groups = req
        .groups
        .iter()
        .map(|g| {
            let words: Vec<&str> = g.variants.iter().map(String::as_str).collect();
            if !group_is_ranked(words.len(), g.earlier) {
                return GroupReport {
                    ranked: false,
                    chosen: None,
                    variants: Vec::new(),
                };
            }
            let variants = words
                .iter()
                .map(|w| {
                    let words = variant_words(w);
                    let evidence: Vec<Evidence> = rank(snapshot, words, now_ms, &depth)
                        .into_iter()
                        .map(|i| Evidence {
                            id: i.id,
                            score: i.score,
                        })
                        .collect();
                    VariantReport {
                        words: words.to_string(),
                        score: evidence.iter().map(|e| e.score).sum(),
                        evidence,
                    }
                })
                .collect();
            GroupReport {
                ranked: true,
                chosen: choose_variant_on_page(snapshot, &words, g.earlier, now_ms, settings),
                variants,
            }
        })
        .collect();
    PageReport {
        raw_text_elements: RAW_TEXT_ELEMENTS,
        slots,
        conditions,
        groups,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::GroupRequest;
    use crate::testing::{profile, HOUR};

    const NOW: i64 = 1_795_176_000_000;

    #[test]
    fn resolves_slots_conditions_and_variants_with_their_evidence() {
        let s = profile("p")
            .text("first_name", "Ana")
            .text("email", "ana@example.com")
            .audience("runners", true)
            .event(
                "m1",
                NOW - HOUR,
                "Product Viewed",
                &[("category", "Running Shoes")],
            )
            .compile();
        let req = PageRequest {
            slots: vec![
                "trait:first_name".into(),
                "trait:email".into(),
                "trait:none".into(),
            ],
            conditions: vec!["audience:runners".into(), "audience:golfers".into()],
            groups: vec![
                GroupRequest {
                    variants: vec!["golf clubs".into(), "running shoes".into()],
                    earlier: 0,
                },
                GroupRequest {
                    variants: vec!["a".into()],
                    earlier: 256,
                },
            ],
        };
        let r = page(&s, &req, NOW, &Checked::default());
        assert_eq!(r.slots[0].value.as_deref(), Some("Ana"));
        assert_eq!(
            (r.slots[1].value.as_deref(), r.slots[1].withheld),
            (None, Some("email"))
        );
        assert_eq!(
            (r.slots[2].value.as_deref(), r.slots[2].withheld),
            (None, None)
        );
        assert_eq!(
            r.conditions.iter().map(|c| c.holds).collect::<Vec<_>>(),
            [true, false]
        );
        let g = &r.groups[0];
        assert_eq!(g.chosen, Some(1));
        assert_eq!(g.variants[0].score, 0.0);
        assert!(g.variants[1].evidence.iter().any(|e| e.id == "event:m1"));
        let sum: f32 = g.variants[1].evidence.iter().map(|e| e.score).sum();
        assert_eq!(g.variants[1].score, sum);
        assert!(!r.groups[1].ranked, "past the page's cap: as authored");
        assert!(!serde_json::to_string(&r).unwrap().contains("example.com"));
    }

    #[test]
    fn variant_words_are_cut_as_the_slot_language_cuts_them() {
        let long = "é".repeat(400);
        assert_eq!(variant_words(&long).len(), 512);
        assert_eq!(variant_words("short"), "short");
    }
}
