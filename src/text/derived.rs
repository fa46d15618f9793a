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
#[inline(never)]
pub fn agent_forms(stem: &str) -> Vec<String> {
    let b = stem.as_bytes();
    if b.len() <= 3 || b.len() > MAX_TERM_BYTES || !b.iter().all(u8::is_ascii_lowercase) {
        return Vec::new();
    }
    let vowel = |c: &u8| b"aeiou".contains(c);
    let with = |base: &[u8], tail: &[u8]| {
        let mut form = base.to_vec();
        form.extend_from_slice(tail);
        String::from_utf8(form).unwrap_or_default()
    };
    let mut out = Vec::new();
    match b {
        // driver → drive, renter → rent, runner → run.
        [base @ .., b'e', b'r'] if base.len() >= 3 => {
            out.push(with(base, b"e"));
            out.push(with(base, b""));
            if let [rest @ .., x, y] = base {
                if x == y && !vowel(y) {
                    out.push(with(rest, &[*x]));
                }
            }
        }
        [.., b'e'] => out.push(with(b, b"r")),
        [.., c1, v, c2] => {
            out.push(with(b, b"er"));
            // run → runner: consonant, vowel, consonant doubles its last letter.
            if !vowel(c1) && vowel(v) && !vowel(c2) && !b"wxy".contains(c2) {
                out.push(with(b, &[*c2, b'e', b'r']));
            }
        }
        _ => {}
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
