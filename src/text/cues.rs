//! Words with which people ask for what matters rather than name it: "anything new?", "any
//! update?", "what's happening?", "what should I do next?", "anything I need to sort out?". A
//! query with one of them, or with no content word at all ("how am I doing?"), is answered from
//! the profile's salient items (recent and rare events, open states, things coming up), which
//! the ranker blends in (see `RankSettings::salience_weight`). General English, no domain.

/// Cue words, sorted: matched on the lowercased word before stemming.
const CUES: &[&str] = &[
    "anything",
    "doing",
    "everything",
    "happened",
    "happening",
    "latest",
    "new",
    "news",
    "next",
    "todo",
    "update",
    "updates",
];

/// Words of CDP data that mark an item as open, waiting on the person or gone wrong (a status of
/// `pending`, a `Payment Failed`, a `due_date`, `action needed`): general vocabulary of states,
/// stemmed by the ranker before use.
pub const OPEN_STATE_WORDS: &[&str] = &[
    "action",
    "alert",
    "awaiting",
    "blocked",
    "cancelled",
    "declined",
    "delayed",
    "deadline",
    "disputed",
    "due",
    "error",
    "expires",
    "expiring",
    "failed",
    "incomplete",
    "late",
    "missed",
    "outstanding",
    "overdue",
    "pending",
    "rejected",
    "required",
    "rescheduled",
    "suspended",
    "unpaid",
    "unread",
    "warning",
];

/// Whether a lowercase word asks for what matters.
pub fn is_cue(word: &str) -> bool {
    CUES.binary_search(&word).is_ok()
}

/// Whether a cue word is also a word worth matching (`next` in a `next_step`, `update` in a
/// `Claim Updated`), rather than only a request for what matters (`anything`, `doing`).
pub fn is_content_cue(word: &str) -> bool {
    matches!(word, "latest" | "news" | "next" | "update" | "updates")
}

/// Whether a pair of adjacent words does ("sort out", "to do", "going on", "coming up" is a time).
pub fn is_cue_pair(first: &str, second: &str) -> bool {
    matches!(
        (first, second),
        ("sort", "out") | ("to", "do") | ("going", "on") | ("look", "into") | ("deal", "with")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_for_binary_search() {
        assert!(CUES.windows(2).all(|w| w[0] < w[1]));
        assert!(is_cue("update") && is_cue("next") && !is_cue("order"));
        assert!(is_cue_pair("sort", "out") && !is_cue_pair("sort", "code"));
    }
}
