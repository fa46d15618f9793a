//! Characters that are not seen: Unicode's format characters (general category Cf: zero-width
//! space and joiners, word joiner, soft hyphen, bidirectional controls such as the right-to-left
//! override, the invisible tag characters U+E0000–E007F) and the other default-ignorable code
//! points (variation selectors, Hangul fillers, the combining grapheme joiner). Hidden inside a
//! word they defeat matching (`ig\u{200B}nore`) and smuggle text a reader never sees, so values
//! drop them before they reach a prompt.

/// Cf (Unicode 15) and Default_Ignorable_Code_Point, as inclusive ranges.
const INVISIBLE: &[(u32, u32)] = &[
    (0xAD, 0xAD),
    (0x34F, 0x34F),
    (0x600, 0x605),
    (0x61C, 0x61C),
    (0x6DD, 0x6DD),
    (0x70F, 0x70F),
    (0x890, 0x891),
    (0x8E2, 0x8E2),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
];

/// Whether `c` is a format or default-ignorable character (see the module docs).
pub fn is_invisible(c: char) -> bool {
    let c = c as u32;
    // Everything below the soft hyphen is visible or a control character (handled as a space).
    c >= 0xAD && INVISIBLE.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

/// Whether an invisible `c` carries meaning where it stands and is kept: a zero-width joiner or
/// non-joiner between two characters that are not ASCII (emoji sequences such as 👨‍👩‍👧, Persian
/// and Indic words), or a variation selector after one (❤️). Between ASCII letters, where they
/// only hide a word from matching, they go.
pub fn keeps_meaning(c: char, prev: Option<char>, next: Option<char>) -> bool {
    let non_ascii = |x: Option<char>| x.is_some_and(|x| !x.is_ascii() && !is_invisible(x));
    match c {
        '\u{200C}' | '\u{200D}' => non_ascii(prev) && non_ascii(next),
        '\u{FE00}'..='\u{FE0F}' => non_ascii(prev),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_and_ignorable_characters_are_invisible() {
        for c in [
            '\u{AD}',
            '\u{200B}',
            '\u{200D}',
            '\u{2060}',
            '\u{202E}',
            '\u{2066}',
            '\u{FEFF}',
            '\u{E0041}',
            '\u{E007F}',
            '\u{FE0F}',
            '\u{180E}',
        ] {
            assert!(is_invisible(c), "{:X}", c as u32);
        }
        for c in ['a', ' ', '\n', 'é', '‹', '🏃', '\u{300}', 'ก'] {
            assert!(!is_invisible(c), "{:X}", c as u32);
        }
    }

    #[test]
    fn joiners_keep_their_meaning_only_between_non_ascii() {
        assert!(keeps_meaning('\u{200D}', Some('👨'), Some('👩')));
        assert!(!keeps_meaning('\u{200D}', Some('g'), Some('n')));
        assert!(keeps_meaning('\u{FE0F}', Some('❤'), None));
        assert!(!keeps_meaning('\u{FE0F}', Some('a'), None));
        assert!(!keeps_meaning('\u{E0041}', Some('🏴'), Some('🏴')));
    }
}
