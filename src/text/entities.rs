//! HTML character references, decoded once for everyone who reads HTML-ish text: the Worker's
//! slot rewriter (attribute values, which lol_html leaves encoded) and the prompt neutralizer's
//! skeleton (`&lt;|im_start|&gt;`, `&#58;`). Numeric references, and the named ones that spell what
//! those two care about: markup and the delimiters of chat templates (`&lt;`, `&gt;`, `&amp;`,
//! `&quot;`, `&apos;`, `&colon;`, `&vert;`, `&lsqb;`…) and the invisible or spacing characters
//! (`&nbsp;`, `&shy;`, `&zwj;`…). The full HTML table (2,231 names) would cost the browser wasm
//! more than it is worth; anything else stays as written.
//!
//! As in HTML, names are case-sensitive (`&LT;` is `<`, `&Lt;` is not), and the legacy names
//! (`&lt`, `&amp`…) are read without their semicolon too, except, inside an attribute value, when
//! a letter, a digit or `=` follows (`?a=1&ltb=2` stays as written there).

/// Where a reference is read: HTML decodes legacy references without a semicolon differently in
/// text and in attribute values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Text content (or text that is not HTML at all, read as a browser or a model would).
    Text,
    /// An attribute value.
    Attribute,
}

/// Named references: `(name, character, legacy)`; a legacy name is also read without `;`.
const NAMED: &[(&str, char, bool)] = &[
    ("amp", '&', true),
    ("AMP", '&', true),
    ("lt", '<', true),
    ("LT", '<', true),
    ("gt", '>', true),
    ("GT", '>', true),
    ("quot", '"', true),
    ("QUOT", '"', true),
    ("apos", '\'', false),
    ("nbsp", '\u{A0}', true),
    ("shy", '\u{AD}', true),
    ("zwj", '\u{200D}', false),
    ("zwnj", '\u{200C}', false),
    ("lrm", '\u{200E}', false),
    ("rlm", '\u{200F}', false),
    ("colon", ':', false),
    ("vert", '|', false),
    ("verbar", '|', false),
    ("VerticalLine", '|', false),
    ("lsqb", '[', false),
    ("lbrack", '[', false),
    ("rsqb", ']', false),
    ("rbrack", ']', false),
    ("sol", '/', false),
    ("num", '#', false),
];

/// Longest name looked for, in bytes.
const MAX_NAME: usize = 12;

/// The character the reference at the start of `text` (which starts with `&`) stands for, and
/// the reference's length in bytes; `None` when no reference this module knows starts there.
/// Numeric references (`&#58;`, `&#x7C;`, with or without `;`) stand for any character but NUL
/// and surrogates.
pub fn reference_at(text: &str, context: Context) -> Option<(char, usize)> {
    let body = text.strip_prefix('&')?;
    if let Some(num) = body.strip_prefix('#') {
        let (digits, radix, prefix) = match num.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16, 2),
            None => (num, 10, 1),
        };
        let len = digits
            .bytes()
            .take_while(|b| (*b as char).is_digit(radix))
            .count();
        let code = digits.get(..len)?.bytes().try_fold(0u32, |v, b| {
            let d = (b as char).to_digit(radix)?;
            v.checked_mul(radix)?.checked_add(d)
        })?;
        if len == 0 {
            return None;
        }
        let c = char::from_u32(code).filter(|c| *c != '\0')?;
        let semi = usize::from(digits.get(len..).is_some_and(|r| r.starts_with(';')));
        return Some((c, 1 + prefix + len + semi));
    }
    let name_len = body
        .bytes()
        .take(MAX_NAME + 1)
        .take_while(u8::is_ascii_alphanumeric)
        .count();
    let name = body.get(..name_len)?;
    if body.get(name_len..).is_some_and(|r| r.starts_with(';')) {
        if let Some((_, c, _)) = NAMED.iter().find(|(n, _, _)| *n == name) {
            return Some((*c, name_len + 2));
        }
    }
    // A legacy name without its semicolon: the longest one that starts the name.
    let (n, c, _) = NAMED
        .iter()
        .filter(|(n, _, legacy)| *legacy && name.starts_with(n))
        .max_by_key(|(n, _, _)| n.len())?;
    let next = body.get(n.len()..).and_then(|r| r.chars().next());
    let glued = next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '=');
    (context == Context::Text || !glued).then_some((*c, n.len() + 1))
}

/// [`reference_at`] in text: what the prompt skeleton reads (`&lt;` as `<`, so an encoded role
/// marker is seen).
pub(crate) fn decode_entity(text: &str) -> Option<(char, usize)> {
    reference_at(text, Context::Text)
}

/// `text` with the references [`reference_at`] knows decoded; anything else stays as written.
pub fn decode(text: &str, context: Context) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        crate::work::step(i + 1);
        out.push_str(rest.get(..i).unwrap_or(""));
        let tail = rest.get(i..).unwrap_or("");
        match reference_at(tail, context) {
            Some((c, len)) => {
                out.push(c);
                rest = tail.get(len..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = tail.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_what_it_knows_and_leaves_the_rest() {
        assert_eq!(
            decode(
                "a &amp; b &lt;&gt; &quot;&#39;&#x41;&#66; &bogus; &",
                Context::Attribute
            ),
            "a & b <> \"'AB &bogus; &"
        );
        assert_eq!(
            decode("&#0; &#xFFFFFFFF; &#xD800;", Context::Text),
            "&#0; &#xFFFFFFFF; &#xD800;"
        );
        assert_eq!(
            decode("&colon;&vert;&lsqb;&rsqb;&sol;&num;", Context::Text),
            ":|[]/#"
        );
        assert_eq!(decode("&LT;&Lt;&AMP;", Context::Text), "<&Lt;&");
        assert_eq!(decode("&#58&#x7c &#0000000058;", Context::Text), ":| :");
    }

    #[test]
    fn legacy_names_without_semicolon_follow_the_context() {
        assert_eq!(decode("&ltsystem&gt", Context::Text), "<system>");
        assert_eq!(decode("&ltsystem&gt", Context::Attribute), "&ltsystem>");
        assert_eq!(decode("?a=1&ampb=2", Context::Attribute), "?a=1&ampb=2");
        assert_eq!(decode("a&amp b", Context::Attribute), "a& b");
        assert_eq!(reference_at("&nbsp;x", Context::Text), Some(('\u{A0}', 6)));
        assert_eq!(reference_at("&colonx", Context::Text), None);
        assert_eq!(reference_at("x", Context::Text), None);
    }

    #[test]
    fn named_and_numeric_references() {
        assert_eq!(decode_entity("&lt;b"), Some(('<', 4)));
        assert_eq!(decode_entity("&lt b"), Some(('<', 3)));
        assert_eq!(decode_entity("&#58;"), Some((':', 5)));
        assert_eq!(decode_entity("&#x7C;"), Some(('|', 6)));
        assert_eq!(decode_entity("&AMP;"), Some(('&', 5)));
        assert_eq!(decode_entity("&bogus;"), None);
        assert_eq!(decode_entity("&#xD800;"), None, "not a character");
        assert_eq!(decode_entity("&"), None);
    }

    #[test]
    fn decoding_is_linear() {
        for unit in ["&", "&#", "&#x1", "&amp", "&lt;", "&verbar", "a&"] {
            let cost =
                |n: usize| crate::work::steps_of(|| drop(decode(&unit.repeat(n), Context::Text)));
            assert!(cost(4000) <= 4 * cost(1000) + 64, "{unit}");
        }
    }
}
