//! How a page is rewritten: the bound of what a variants group may hold back, and the encoding.

use lol_html::AsciiCompatibleEncoding;

/// How a page is rewritten.
#[derive(Debug, Clone, Copy)]
pub struct HtmlSettings {
    /// The most output a variants group may hold back, and the most lol_html may buffer (bytes).
    pub max_group_bytes: usize,
    /// The document's encoding.
    pub encoding: AsciiCompatibleEncoding,
    /// Whether a `<meta charset>` may change it (when `Content-Type` names no charset).
    pub charset_from_meta: bool,
}

impl HtmlSettings {
    /// Default of `HTML_MAX_GROUP_BYTES`.
    pub const DEFAULT_MAX_GROUP_BYTES: usize = 256 << 10;
    /// The smallest bound accepted (lol_html preallocates 1 KiB of parsing buffer).
    pub const MIN_GROUP_BYTES: usize = 4 << 10;
}
