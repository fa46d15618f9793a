//! A small lexicon of customer-data vocabulary: the everyday words people type, linked to the words
//! CDP schemas and event names use. It is deliberately general (messaging, billing, delivery, loyalty,
//! support, travel, streaming, B2B SaaS, grocery) rather than tuned to any one profile.
//!
//! Each group is a set of words that stand in for one another; a query word expands to the other
//! members of every group it belongs to (one hop, no chaining), at a reduced weight set in
//! [`crate::rank::RankSettings::expansion_weight`].

use std::sync::OnceLock;

use super::stem;

const GROUPS: &[&[&str]] = &[
    // messaging channels and consent
    &["sms", "text", "texting", "message", "messaging"],
    &["email", "mail", "newsletter", "inbox"],
    &["notification", "push", "alert", "reminder"],
    &["stop", "unsubscribe", "opt", "consent", "subscribe"],
    // money
    &["bill", "invoice", "charge", "statement", "fee"],
    &["pay", "payment", "paid", "autopay", "transaction", "card"],
    &["refund", "return", "exchange", "reimburse"],
    &["price", "cost", "amount", "total", "spend", "value"],
    &["higher", "increase", "overage", "extra", "spike"],
    &[
        "discount",
        "coupon",
        "promo",
        "promotion",
        "sale",
        "deal",
        "voucher",
        "offer",
    ],
    &["credit", "balance", "wallet", "funds"],
    // orders and delivery
    &["buy", "purchase", "order", "bought"],
    &[
        "late", "delay", "arrive", "arrival", "deliver", "delivery", "ship", "shipment", "track",
        "carrier", "parcel", "transit", "dispatch",
    ],
    &["cart", "basket", "add", "checkout"],
    &["broken", "damaged", "defective", "wrong"],
    &["wishlist", "wish", "saved"],
    &["gift", "present"],
    &["store", "shop", "pickup"],
    // product fit and taste
    &["size", "fit", "sizing"],
    &["shoe", "sneaker", "trainer", "footwear"],
    &["jacket", "coat", "outerwear"],
    &[
        "recommend",
        "suggest",
        "favorite",
        "favourite",
        "prefer",
        "preferred",
        "interest",
    ],
    &["sport", "fitness", "workout", "training", "exercise"],
    &["review", "rating", "feedback", "survey"],
    // membership and support
    &["loyalty", "reward", "point", "member", "membership", "mile"],
    &["tier", "level", "status", "rank"],
    &["ticket", "case", "complaint", "issue", "support", "problem"],
    &["cancel", "cancellation", "churn", "terminate"],
    &["pause", "hold", "suspend"],
    &["renew", "renewal", "expire", "expiry", "expiration"],
    &["warranty", "guarantee", "repair"],
    &[
        "account",
        "login",
        "password",
        "signin",
        "sign",
        "credentials",
    ],
    &["change", "modify", "reschedule", "rebook", "switch"],
    &["language", "locale", "translation"],
    // telecom and devices
    &["phone", "mobile", "device", "handset", "smartphone", "cell"],
    &[
        "upgrade",
        "eligible",
        "eligibility",
        "contract",
        "financing",
        "installment",
    ],
    &["plan", "subscription", "bundle"],
    &["data", "usage", "gigabyte", "gb"],
    &["outage", "network", "coverage", "signal", "slow"],
    // travel
    &[
        "travel",
        "trip",
        "abroad",
        "overseas",
        "international",
        "roaming",
        "vacation",
    ],
    &["flight", "booking", "reservation", "itinerary", "seat"],
    &["baggage", "luggage", "bag", "suitcase"],
    &["hotel", "stay", "room", "accommodation"],
    // streaming and media
    &[
        "watch", "stream", "episode", "show", "movie", "series", "film", "video", "playback",
        "program",
    ],
    &["watchlist", "queue", "playlist"],
    &["download", "offline"],
    // B2B SaaS
    &["license", "seat", "user"],
    &[
        "workspace",
        "team",
        "organization",
        "company",
        "invite",
        "colleague",
    ],
    &["integration", "api", "connector", "webhook"],
    &["admin", "owner", "role", "permission"],
    &["trial", "onboarding", "demo"],
    &["quota", "limit", "usage", "overage"],
    // grocery
    &["substitution", "substitute", "replacement", "swap"],
    &["produce", "fruit", "vegetable", "fresh"],
    &[
        "allergy",
        "allergen",
        "dietary",
        "gluten",
        "vegan",
        "vegetarian",
    ],
    &["slot", "window", "schedule", "appointment"],
];

fn stemmed_groups() -> &'static [Vec<String>] {
    static GROUPS_STEMMED: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    GROUPS_STEMMED.get_or_init(|| {
        GROUPS
            .iter()
            .map(|group| {
                let mut terms: Vec<String> = group.iter().map(|w| stem(w)).collect();
                terms.dedup();
                terms
            })
            .collect()
    })
}

/// The stemmed terms linked to a stemmed query term, without the term itself, in lexicon order.
pub fn expansions(term: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for group in stemmed_groups() {
        if group.iter().any(|t| t == term) {
            for other in group {
                if other != term && !out.contains(&other.as_str()) {
                    out.push(other.as_str());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everyday_words_reach_cdp_words() {
        assert!(expansions(&stem("texts")).contains(&"sms"));
        assert!(expansions(&stem("bill")).contains(&stem("invoice").as_str()));
        assert!(expansions(&stem("late")).contains(&stem("delayed").as_str()));
        assert!(expansions(&stem("abroad")).contains(&stem("roaming").as_str()));
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
