//! Derived forms the stemmer keeps apart: agent nouns and comparatives (`drive` ↔ `driver`,
//! `late` → `later`). The stemmer leaves `-er` alone, which would over-stem `order` or `member`;
//! the ranker looks these forms up beside the typed word instead, at a lower weight.

use super::stem::MAX_TERM_BYTES;

/// The agent nouns and comparatives of a stem, and the stems such a word comes from: `drive` ↔
/// `driver`, `rent` ↔ `renter`, `run` ↔ `runner`, `late` → `later`. English morphology, not a
/// word list: a query's word reaches a profile's form of it that the stemmer keeps apart (it
/// leaves `-er` alone, which would over-stem `order` or `member`). At most four forms, each a
/// few bytes longer or shorter than `stem`; none for words of three letters or fewer or not
/// plain ASCII letters.
pub fn agent_forms(stem: &str) -> Vec<String> {
    let b = stem.as_bytes();
    if b.len() <= 3 || b.len() > MAX_TERM_BYTES || !b.iter().all(u8::is_ascii_lowercase) {
        return Vec::new();
    }
    let vowel = |c: u8| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u');
    let mut out = Vec::new();
    if let Some(base) = stem.strip_suffix("er").filter(|base| base.len() >= 3) {
        // driver → drive, renter → rent, runner → run.
        out.push(format!("{base}e"));
        out.push(base.to_string());
        let bb = base.as_bytes();
        if let [.., x, y] = bb {
            if x == y && !vowel(*y) {
                out.push(base[..base.len() - 1].to_string());
            }
        }
    } else if stem.ends_with('e') {
        out.push(format!("{stem}r"));
    } else {
        out.push(format!("{stem}er"));
        // run → runner: a short stem ending consonant-vowel-consonant doubles its last letter.
        if let [.., c1, v, c2] = b {
            if !vowel(*c1) && vowel(*v) && !vowel(*c2) && !matches!(c2, b'w' | b'x' | b'y') {
                out.push(format!("{stem}{}er", *c2 as char));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::agent_forms;

    #[test]
    fn agent_nouns_and_comparatives_and_what_they_come_from() {
        assert_eq!(agent_forms("drive"), ["driver"]);
        assert_eq!(agent_forms("rent"), ["renter"]);
        assert_eq!(
            agent_forms("run"),
            Vec::<String>::new(),
            "three letters: none"
        );
        assert_eq!(agent_forms("ship"), ["shiper", "shipper"]);
        assert_eq!(agent_forms("plan"), ["planer", "planner"]);
        assert_eq!(agent_forms("show"), ["shower"], "no doubled w");
        assert_eq!(agent_forms("driver"), ["drive", "driv"]);
        assert_eq!(agent_forms("runner"), ["runne", "runn", "run"]);
        assert_eq!(agent_forms("renter"), ["rente", "rent"]);
        assert!(agent_forms("café").is_empty() && agent_forms("a1b2").is_empty());
        assert!(agent_forms(&"x".repeat(100)).is_empty());
        // Each form is a few bytes from the word: the work is linear in it.
        for w in ["drive", "runner", "teach", "ship"] {
            assert!(agent_forms(w)
                .iter()
                .all(|f| f.len().abs_diff(w.len()) <= 3));
        }
    }
}
