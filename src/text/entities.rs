//! HTML character references, decoded where text may carry them: the prompt skeleton reads
//! `&lt;` as `<`, so an encoded role marker is seen.

/// The character an HTML character reference at the start of `text` stands for, and its length
/// in bytes (`&lt;` → `<`, `&#58;` → `:`, `&#x7C;` → `|`).
pub(crate) fn decode_entity(text: &str) -> Option<(char, usize)> {
    let body = text.get(1..text.len().min(12))?;
    let semi = body.find(';');
    let (name, len) = match semi {
        Some(i) => (body.get(..i)?, i + 2),
        // `&lt` and `&gt` are read without their semicolon by browsers too.
        None if body.starts_with("lt") || body.starts_with("gt") => (body.get(..2)?, 3),
        None => return None,
    };
    let c = if let Some(num) = name.strip_prefix('#') {
        let n = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        char::from_u32(n)?
    } else {
        match name.to_ascii_lowercase().as_str() {
            "lt" => '<',
            "gt" => '>',
            "colon" => ':',
            "vert" | "verbar" | "vbar" => '|',
            "lsqb" | "lbrack" => '[',
            "rsqb" | "rbrack" => ']',
            "sol" => '/',
            "num" => '#',
            "amp" => '&',
            "shy" | "zwj" | "zwnj" | "lrm" | "rlm" | "nbsp" => ' ',
            _ => return None,
        }
    };
    Some((c, len))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
