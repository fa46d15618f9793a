//! Folding Latin letters with diacritics to their base letter (`é` → `e`, `Ł` → `l`), for matching
//! words written with or without accents: the privacy policy's key words (`teléfono`, `straße`) and
//! the prompt neutralizer's skeleton (`ìgnore`). A table of 192 letters (U+00C0–U+017F) rather than
//! Unicode decomposition tables, so that it costs the browser wasm a few hundred bytes.

/// Lowercase base letters of U+00C0..=U+017F; `.` where there is none (`×`, `Æ`, `Þ`, `Œ`…).
const LATIN_BASE: &[u8; 192] = b"aaaaaa.ceeeeiiiidnooooo.ouuuuy.saaaaaa.ceeeeiiiidnooooo.ouuuuy.yaaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii..jjkk.llllllllllnnnnnnnnnoooooo..rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

/// The lowercase ASCII base letter of a Latin letter with a diacritic (`É` → `e`, `ß` → `s`), or
/// `None` for anything else, ASCII included.
pub(crate) fn latin_base(c: char) -> Option<char> {
    let i = (c as usize).checked_sub(0xC0)?;
    match LATIN_BASE.get(i) {
        Some(b'.') | None => None,
        Some(b) => Some(char::from(*b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accented_letters_to_their_base() {
        let folded: String = "ÀéîõüÇñŁžßőŞğ"
            .chars()
            .map(|c| latin_base(c).unwrap_or('?'))
            .collect();
        assert_eq!(folded, "aeioucnlzsosg");
        for c in ['a', 'Z', '×', 'Æ', 'œ', 'ƀ', 'й', '\u{bf}'] {
            assert_eq!(latin_base(c), None, "{c}");
        }
    }
}
