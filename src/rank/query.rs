//! A query analyzed once: its words (stop words dropped, stemmed) and the lexicon's expansions,
//! each with its weight, and its text for the time expressions read per snapshot.

use super::RankSettings;
use crate::text::{expansions, query_terms};

/// A query analyzed once, reusable across snapshots.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// `(stemmed term, weight)`: typed words first, then expansions.
    pub terms: Vec<(String, f32)>,
}

impl Query {
    /// Analyzes query text: stop words, stemming, lexicon expansion.
    pub fn parse(text: &str, settings: &RankSettings) -> Query {
        let typed = query_terms(text, settings.max_query_terms);
        let mut terms: Vec<(String, f32)> = typed.iter().map(|t| (t.clone(), 1.0)).collect();
        if settings.expansion_weight > 0.0 {
            for t in &typed {
                for e in expansions(t) {
                    if !terms.iter().any(|(x, _)| x == e) {
                        terms.push((e.to_string(), settings.expansion_weight));
                    }
                }
            }
        }
        Query { terms }
    }
}
