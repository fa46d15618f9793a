//! A small lexicon of customer-data vocabulary: the everyday words people type, linked to the words
//! CDP schemas and event names use. It holds only what every deployment's data speaks of
//! (messaging and consent, billing, orders and delivery, loyalty and subscriptions, support,
//! accounts); general English is the thesaurus's ([`super::thesaurus`]), and no group is written
//! for one domain.
//!
//! Each group is a set of words that stand in for one another; a query word expands to the other
//! members of every group it belongs to (one hop, no chaining), at a reduced weight set in
//! [`crate::rank::RankSettings::expansion_weight`].

// The groups as written (tests only) and stemmed by build.rs with the same stemmer (text::stem):
// `static GROUPS_STEMMED: &[&[&str]]`, each group's stems in order, consecutive duplicates removed.
// Stemming them on first use instead cost the first query about 420 stem calls and 340 allocations,
// enough to make V8 tier the stemmer and the allocator up during a cold start.
#[cfg(test)]
include!("lexicon_groups.rs");
include!(concat!(env!("OUT_DIR"), "/lexicon_stemmed.rs"));

/// The stemmed terms linked to a stemmed query term, without the term itself, in lexicon order.
pub fn expansions(term: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for group in GROUPS_STEMMED {
        if group.contains(&term) {
            for &other in *group {
                if other != term && !out.contains(&other) {
                    out.push(other);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::stem;
    use super::*;

    #[test]
    fn the_build_time_table_is_the_stemmer_applied_to_the_groups() {
        assert_eq!(GROUPS.len(), GROUPS_STEMMED.len());
        for (group, stemmed) in GROUPS.iter().zip(GROUPS_STEMMED) {
            let mut terms: Vec<String> = group.iter().map(|w| stem(w)).collect();
            terms.dedup();
            assert_eq!(&terms, stemmed, "{group:?}");
        }
    }

    #[test]
    fn everyday_words_reach_cdp_words() {
        assert!(expansions(&stem("texts")).contains(&"sms"));
        assert!(expansions(&stem("bill")).contains(&stem("invoice").as_str()));
        assert!(expansions(&stem("late")).contains(&stem("delayed").as_str()));
        assert!(expansions(&stem("handset")).contains(&stem("device").as_str()));
        assert!(
            expansions(&stem("roaming")).is_empty(),
            "no words of one domain"
        );
    }

    #[test]
    fn a_term_does_not_expand_to_itself_and_unknown_terms_expand_to_nothing() {
        assert!(!expansions("sms").contains(&"sms"));
        assert!(expansions("zebra").is_empty());
    }

    #[test]
    fn groups_are_single_lowercase_words() {
        for group in GROUPS {
            for word in *group {
                assert!(word.bytes().all(|b| b.is_ascii_lowercase()), "{word}");
            }
        }
    }
}
