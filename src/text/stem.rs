//! A light English stemmer: enough to fold `shoes`/`shoe`, `running`/`run`, `arrived`/`arrive`,
//! `monthly`/`month`, without Porter's full rule set (which over-stems short CDP keys).

/// Returns the stem of one lowercase word. Words with digits or non-ASCII letters, and words of three
/// letters or fewer, are returned unchanged.
///
/// Rules, in order: plural (`-ies` → `-y`, `-sses` → `-ss`, `-s` unless `-ss`/`-us`/`-is`); then
/// `-ing`, `-ed` or `-ly` when at least three letters with a vowel remain (a doubled final consonant
/// other than `l`, `s`, `z` is undoubled: `running` → `run`); then a final `-e` is dropped
/// (`arrive`/`arrived` → `arriv`); a final `-ll` of a stem of six letters or more becomes `-l`
/// (`travelling`/`travel`, `cancelled`/`cancel`). Both the data and the query go through it, so only
/// consistency matters, not linguistic correctness.
pub fn stem(word: &str) -> String {
    if word.len() <= 3 || !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return word.to_string();
    }
    let mut s = word.to_string();
    if let Some(base) = s.strip_suffix("ies") {
        if s.len() > 4 {
            s = format!("{base}y");
        }
    } else if s.ends_with("sses") {
        s.truncate(s.len() - 2);
    } else if s.ends_with('s') && !(s.ends_with("ss") || s.ends_with("us") || s.ends_with("is")) {
        s.pop();
    }
    for (suffix, min_stem) in [("ing", 3), ("ed", 3), ("ly", 4)] {
        if let Some(base) = s.strip_suffix(suffix) {
            if base.len() >= min_stem && base.bytes().any(is_vowel) {
                let mut base = base.to_string();
                undouble(&mut base);
                s = base;
                break;
            }
        }
    }
    if s.len() >= 4 && s.ends_with('e') {
        s.pop();
    }
    if s.len() >= 6 && s.ends_with("ll") {
        s.pop();
    }
    s
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
}

/// Undoubles a final consonant pair (`runn` → `run`) unless that would leave fewer than three letters
/// (`add` stays `add`).
fn undouble(base: &mut String) {
    let bytes = base.as_bytes();
    if let [_, _, .., a, b] = bytes {
        if a == b && !is_vowel(*a) && !matches!(a, b'l' | b's' | b'z') {
            base.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::stem;

    fn same(a: &str, b: &str) {
        assert_eq!(stem(a), stem(b), "{a} / {b}");
    }

    #[test]
    fn folds_plurals() {
        same("shoes", "shoe");
        same("categories", "category");
        same("points", "point");
        same("addresses", "address");
        same("sizes", "size");
        assert_eq!(stem("tennis"), "tennis");
        assert_eq!(stem("status"), "status");
    }

    #[test]
    fn folds_verb_endings() {
        same("running", "run");
        same("shipped", "ship");
        same("shipping", "ship");
        same("arrived", "arrive");
        same("billing", "bill");
        same("travelling", "travel");
        same("cancelled", "cancel");
        same("monthly", "month");
        same("updated", "update");
        same("added", "add");
    }

    #[test]
    fn leaves_short_numeric_and_non_ascii_words() {
        assert_eq!(stem("sms"), "sms");
        assert_eq!(stem("10.5"), "10.5");
        assert_eq!(stem("7d"), "7d");
        assert_eq!(stem("größe"), "größe");
        assert_eq!(stem("string"), "string");
        assert_eq!(stem("early"), "early");
    }
}
