//! Whether a response is HTML, and in which encoding it is read and written.

use lol_html::AsciiCompatibleEncoding;

/// The content-type of an HTML response.
pub fn is_html(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/html"))
    })
}

/// How an HTML response is decoded: the `charset` of its `Content-Type`, else UTF-8 unless a
/// `<meta charset>` says otherwise (the `bool`). `None` for a charset lol_html cannot rewrite
/// (UTF-16, ISO-2022-JP, an unknown label): such a page passes through unpersonalized.
pub fn html_encoding(content_type: &str) -> Option<(AsciiCompatibleEncoding, bool)> {
    let charset = content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']))
    });
    match charset {
        None => Some((AsciiCompatibleEncoding::utf_8(), true)),
        Some(label) => {
            let encoding = encoding_rs::Encoding::for_label_no_replacement(label.as_bytes())?;
            AsciiCompatibleEncoding::new(encoding).map(|e| (e, false))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_and_charsets() {
        assert!(is_html(Some("text/html; charset=utf-8")));
        assert!(is_html(Some("TEXT/HTML")));
        assert!(!is_html(Some("text/css")) && !is_html(None));
        assert!(html_encoding("text/html; charset=utf-16").is_none());
        assert!(html_encoding("text/html; charset=\"bogus\"").is_none());
        assert_eq!(
            html_encoding("text/html; Charset=\"Shift_JIS\"").map(|(_, m)| m),
            Some(false)
        );
        assert_eq!(html_encoding("text/html").map(|(_, m)| m), Some(true));
    }
}
