//! Streaming HTML personalization with lol_html, through the core slot language
//! ([`crate::slots`], the same functions the npm package's DOM module calls through wasm):
//!
//! * `data-persona="trait:…"`: the element's content becomes the value, as text (`ContentType::Text`,
//!   so `<script>` in a value arrives as `&lt;script&gt;`); without a value, `data-persona-default`
//!   (as text) when present, else the authored content stays. Never inside an element whose content
//!   a browser does not show as text ([`crate::slots::RAW_TEXT_ELEMENTS`]: a value there would be code, CSS or
//!   markup), and never into an attribute.
//! * `data-persona-if` / `data-persona-unless`: the element (and its content) is removed unless it
//!   should show. The browser module hides instead (`hidden`); here nothing needs to reach the page.
//!   An element that shows loses an authored `hidden` attribute, as in the browser module.
//! * `data-persona-variants`: only the chosen `data-persona-variant` child is kept, the group gets
//!   `data-persona-chosen="<index>"`, and the chosen child loses an authored `hidden`; when no variant
//!   is relevant the group is left as authored.
//!
//! Output streams chunk by chunk, in the document's own encoding ([`html_encoding`]). The one
//! exception is a variants group: its children must all be seen before one is chosen, so the output
//! from the group's start to its end is held back, at most [`HtmlSettings::max_group_bytes`]; a larger
//! or unclosed group is released as authored once it passes that bound. While a group streams through
//! lol_html, comment markers (with a per-response nonce) bracket it and each of its variants; the
//! variants are ranked at the group's end tag, and one linear pass over the held bytes then drops the
//! children not chosen and edits two start tags. Nothing is parsed twice.
//!
//! The slot language itself — values, conditions, variant choice, its caps and the raw-text
//! elements — is the core's ([`crate::slots`]), shared with the browser module. Here, one file per
//! concern: `content_type.rs` (is it HTML, in which encoding), `settings.rs`, `handlers.rs` (the
//! lol_html element handlers), `groups.rs` (variants groups and their ranking), `markers.rs` (the
//! comment-marker protocol), `tag.rs` (the start-tag scanner), `splice.rs` (the one pass over a held
//! group) and `rewriter.rs` (streaming and holding).

mod content_type;
mod groups;
mod handlers;
mod markers;
mod rewriter;
mod settings;
mod splice;
mod tag;
#[cfg(test)]
mod tests;

pub use content_type::{html_encoding, is_html};
pub use rewriter::SlotRewriter;
pub use settings::HtmlSettings;
