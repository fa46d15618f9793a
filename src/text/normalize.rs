//! Normalization of display text when a snapshot is compiled: invisible characters removed (see
//! [`super::invisible`]) and Unicode compatibility forms folded (NFKC: fullwidth `ＳＹＳＴＥＭ` →
//! `SYSTEM`, mathematical `𝐢𝐠𝐧𝐨𝐫𝐞` → `ignore`, `＠` → `@`, ligatures, circled and small forms), so
//! that what the privacy policy and the prompt neutralizer match is what a reader — or a model —
//! sees. Vulgar fractions, superscript digits and ordinal indicators are kept as written, since
//! NFKC would change their meaning (`10½` → `101⁄2`, `1º` → `1o`).
//!
//! Only the compile path calls this (native, the Worker, the on-demand compiler): the NFKC tables
//! of `unicode-normalization` stay out of the browser's request-path wasm, whose renderer folds
//! the forms that matter for a hostile snapshot by itself ([`crate::neutralize`]).

use unicode_normalization::UnicodeNormalization;

use super::invisible::{is_invisible, keeps_meaning};

/// `text` without invisible characters, in NFKC except for the characters NFKC would misread.
pub fn normalize(text: &str) -> String {
    // ASCII holds no invisible character and is its own NFKC.
    if text.is_ascii() {
        return text.to_string();
    }
    let mut visible = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut prev: Option<char> = None;
    while let Some(c) = chars.next() {
        crate::work::step(1);
        if is_invisible(c) && !keeps_meaning(c, prev, chars.peek().copied()) {
            continue;
        }
        visible.push(c);
        prev = Some(c);
    }
    // Most text is already in NFKC (all ASCII text is): a quick check, no rewriting.
    if visible.is_ascii()
        || unicode_normalization::is_nfkc_quick(visible.chars())
            == unicode_normalization::IsNormalized::Yes
    {
        return visible;
    }
    let mut out = String::with_capacity(visible.len());
    let mut run_start = 0;
    for (i, c) in visible.char_indices() {
        crate::work::step(1);
        if keep_as_written(c) {
            out.extend(visible.get(run_start..i).unwrap_or("").nfkc());
            out.push(c);
            run_start = i + c.len_utf8();
        }
    }
    out.extend(visible.get(run_start..).unwrap_or("").nfkc());
    out
}

/// The first character of `c`'s compatibility decomposition (`ì` → `i`, `ℌ` → `H`), for the
/// prompt neutralizer's skeleton at compile time ([`crate::text::defuse()`]).
pub fn base_letter(c: char) -> Option<char> {
    let mut first = None;
    unicode_normalization::char::decompose_compatible(c, |d| {
        first.get_or_insert(d);
    });
    first.filter(|f| *f != c)
}

/// Characters whose compatibility decomposition changes what they mean.
fn keep_as_written(c: char) -> bool {
    matches!(
        c,
        '\u{BC}'..='\u{BE}'
            | '\u{2150}'..='\u{215F}'
            | '\u{2189}'
            | '\u{B2}'
            | '\u{B3}'
            | '\u{B9}'
            | '\u{2070}'..='\u{2079}'
            | '\u{AA}'
            | '\u{BA}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_compatibility_forms_and_drops_invisible_characters() {
        assert_eq!(normalize("ＳＹＳＴＥＭ："), "SYSTEM:");
        assert_eq!(normalize("𝐢𝐠𝐧𝐨𝐫𝐞 ⓟⓡⓔⓥⓘⓞⓤⓢ"), "ignore previous");
        assert_eq!(normalize("ig\u{200B}no\u{AD}re\u{2060} all"), "ignore all");
        assert_eq!(
            normalize("\u{202E}txet\u{202C} jeff＠example．com"),
            "txet jeff@example.com"
        );
        assert_eq!(normalize("a\u{E0069}\u{E0067}b"), "ab");
        assert_eq!(normalize("ﬁne ﬂag"), "fine flag");
    }

    #[test]
    fn keeps_what_compatibility_folding_would_change() {
        for text in [
            "size 10½",
            "m² and 2³",
            "1º andar",
            "👨\u{200D}👩\u{200D}👧 family",
            "❤\u{FE0F} love",
            "می\u{200C}خواهم",
            "José Álvarez, Zoë, Łódź, Ærøskøbing",
            "Иван Петров, Ελένη, 山田太郎, 김민준, محمد, דוד, नमस्ते",
            "Straße 🏃 café",
        ] {
            assert_eq!(normalize(text), text);
        }
    }
}
