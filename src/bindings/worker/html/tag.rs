//! The start-tag scanner the splicer edits tags with.

/// The length of the start tag at the beginning of `bytes` (through its `>`), and the span of its
/// `hidden` attribute with the whitespace before it. The delimiters looked for are ASCII below 0x40,
/// which no byte of a multi-byte character is in the encodings lol_html supports.
pub(super) fn start_tag(bytes: &[u8]) -> Option<(usize, Option<(usize, usize)>)> {
    if bytes.first() != Some(&b'<') {
        return None;
    }
    let at = |i: usize| bytes.get(i).copied();
    let mut i = 1;
    while at(i).is_some_and(|b| !(b.is_ascii_whitespace() || b == b'/' || b == b'>')) {
        i += 1;
    }
    let mut hidden = None;
    loop {
        let gap = i;
        while at(i).is_some_and(|b| b.is_ascii_whitespace() || b == b'/') {
            i += 1;
        }
        if at(i)? == b'>' {
            return Some((i + 1, hidden));
        }
        let name_start = i;
        while at(i).is_some_and(|b| !(b.is_ascii_whitespace() || b"/>=".contains(&b))) {
            i += 1;
        }
        let name_end = i;
        let mut j = i;
        while at(j).is_some_and(|b| b.is_ascii_whitespace()) {
            j += 1;
        }
        if at(j) == Some(b'=') {
            j += 1;
            while at(j).is_some_and(|b| b.is_ascii_whitespace()) {
                j += 1;
            }
            match at(j)? {
                q @ (b'"' | b'\'') => {
                    let close = bytes.get(j + 1..)?.iter().position(|&b| b == q)?;
                    j += close + 2;
                }
                _ => {
                    while at(j).is_some_and(|b| !(b.is_ascii_whitespace() || b == b'>')) {
                        j += 1;
                    }
                }
            }
            i = j;
        }
        let name = bytes.get(name_start..name_end).unwrap_or_default();
        if hidden.is_none() && name.eq_ignore_ascii_case(b"hidden") {
            hidden = Some((gap, i));
        }
        if i == name_start {
            i += 1; // a stray `=`: move on
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_tags() {
        assert_eq!(
            start_tag(b"<p a='>' hidden b=c>x"),
            Some((20, Some((8, 15))))
        );
        assert_eq!(start_tag(b"<p hidden=\"\"/>"), Some((14, Some((2, 12)))));
        assert_eq!(start_tag(b"<p data-hidden x=hidden>"), Some((24, None)));
        assert_eq!(start_tag(b"<p = a>"), Some((7, None)));
        assert_eq!(start_tag(b"<p a=\"unclosed>"), None);
        assert_eq!(start_tag(b"text"), None);
    }
}
