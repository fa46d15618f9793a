//! Streaming HTML personalization with lol_html, through the core slot language
//! ([`crate::slots`], the same functions the npm package's DOM module calls through wasm):
//!
//! * `data-persona="trait:…"`: the element's content becomes the value, as text (`ContentType::Text`,
//!   so `<script>` in a value arrives as `&lt;script&gt;`); without a value, `data-persona-default`
//!   (as text) when present, else the authored content stays. Never inside an element whose content
//!   a browser does not show as text ([`RAW_TEXT_ELEMENTS`]: a value there would be code, CSS or
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

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use lol_html::errors::RewritingError;
use lol_html::html_content::{ContentType, Element, EndTag};
use lol_html::{
    element, AsciiCompatibleEncoding, EndTagHandler, HtmlRewriter, MemorySettings, Settings,
};

use crate::personalizer::Personalizer;
use crate::settings::Checked;

/// Why rewriting stopped (the caller then ends the response; the origin's bytes are not re-sent).
#[derive(Debug)]
pub struct RewriteFailed;

/// Elements whose content a browser does not render as text (script, CSS, raw text, form values,
/// inert templates, other documents): no slot inside one of them is filled.
pub const RAW_TEXT_ELEMENTS: &str =
    "script, style, template, textarea, title, noscript, iframe, xmp, noembed, noframes, plaintext";
/// Variants ranked per group at most; a group with more is left as authored.
pub const MAX_VARIANTS_PER_GROUP: usize = 64;
/// Variants ranked per page at most (ranking costs about one query each); later groups stay as
/// authored.
pub const MAX_VARIANTS_PER_PAGE: usize = 256;
/// The longest `data-persona-variant` text ranked (bytes); the rest of a longer one is ignored.
pub const MAX_VARIANT_WORDS_BYTES: usize = 512;

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

/// Decodes the character references lol_html leaves in attribute values (`&amp;`, `&lt;`, `&gt;`,
/// `&quot;`, `&#39;`, `&apos;`, `&#NN;`, `&#xHH;`); anything else stays as written.
pub fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let tail = rest.get(i..).unwrap_or("");
        let end = tail.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = tail.get(1..e)?;
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => '\u{a0}',
                _ => {
                    let num = name.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(code).filter(|c| *c != '\0')?
                }
            };
            Some((c, e + 1))
        });
        match decoded {
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

fn attr(el: &Element<'_, '_>, name: &str) -> Option<String> {
    el.get_attribute(name).map(|v| decode_entities(&v))
}

/// Fills a `data-persona` slot; the slot's spec when the profile filled it (for the audit).
fn fill_slot(el: &mut Element<'_, '_>, p: &Personalizer) -> Option<String> {
    let spec = attr(el, "data-persona")?;
    if !el.can_have_content() {
        return None;
    }
    if let Some(value) = p.slot_value(&spec) {
        el.set_inner_content(value, ContentType::Text);
        return Some(spec);
    } else if let Some(fallback) = attr(el, "data-persona-default") {
        el.set_inner_content(&fallback, ContentType::Text);
    }
    None
}

/// Removes an element whose `data-persona-if` / `-unless` says it should not show.
fn apply_condition(el: &mut Element<'_, '_>, p: &Personalizer) {
    let keep_if = attr(el, "data-persona-if").is_none_or(|c| p.condition_holds(&c));
    let keep_unless = attr(el, "data-persona-unless").is_none_or(|c| !p.condition_holds(&c));
    if keep_if && keep_unless {
        // As the browser module does (`hidden = !keep`): an element authored hidden shows when it holds.
        el.remove_attribute("hidden");
    } else {
        el.remove();
    }
}

/// The comment markers of one response: `<!--ep<nonce><kind><group id>-->`, where kind is `g` / `G`
/// (before a group's start tag / after its end tag) or `v` / `V` (the same around a variant).
struct Markers {
    prefix: Vec<u8>,
}

enum Scan {
    /// A marker at `start..end`.
    Marker {
        start: usize,
        end: usize,
        kind: u8,
        id: u32,
    },
    /// What starts here may be a marker whose rest has not arrived yet.
    Partial(usize),
    Nothing,
}

enum Parsed {
    Marker { len: usize, kind: u8, id: u32 },
    Incomplete,
    No,
}

impl Markers {
    fn new(nonce: u64) -> Self {
        Self {
            prefix: format!("<!--ep{nonce:016x}").into_bytes(),
        }
    }

    fn marker(&self, kind: char, id: u32) -> String {
        format!("{}{kind}{id}-->", String::from_utf8_lossy(&self.prefix))
    }

    /// The next marker in `bytes` from `from`, scanning each byte once.
    fn next(&self, bytes: &[u8], from: usize) -> Scan {
        let mut at = from;
        while let Some(offset) = bytes
            .get(at..)
            .and_then(|rest| rest.iter().position(|&b| b == b'<'))
        {
            let start = at + offset;
            match self.parse(bytes.get(start..).unwrap_or_default()) {
                Parsed::Marker { len, kind, id } => {
                    return Scan::Marker {
                        start,
                        end: start + len,
                        kind,
                        id,
                    }
                }
                Parsed::Incomplete => return Scan::Partial(start),
                Parsed::No => at = start + 1,
            }
        }
        Scan::Nothing
    }

    fn parse(&self, rest: &[u8]) -> Parsed {
        if rest.len() < self.prefix.len() {
            return if self.prefix.starts_with(rest) {
                Parsed::Incomplete
            } else {
                Parsed::No
            };
        }
        let Some(tail) = rest.strip_prefix(self.prefix.as_slice()) else {
            return Parsed::No;
        };
        let Some((&kind, digits)) = tail.split_first() else {
            return Parsed::Incomplete;
        };
        if !matches!(kind, b'g' | b'G' | b'v' | b'V') {
            return Parsed::No;
        }
        let n = digits.iter().take_while(|b| b.is_ascii_digit()).count();
        if n > 10 {
            return Parsed::No;
        }
        let after = digits.get(n..).unwrap_or_default();
        if after.len() < 3 {
            return if b"-->".starts_with(after) {
                Parsed::Incomplete
            } else {
                Parsed::No
            };
        }
        let id = std::str::from_utf8(digits.get(..n).unwrap_or_default())
            .ok()
            .and_then(|d| d.parse::<u32>().ok());
        match id {
            Some(id) if after.starts_with(b"-->") => Parsed::Marker {
                len: self.prefix.len() + 1 + n + 3,
                kind,
                id,
            },
            _ => Parsed::No,
        }
    }

    /// `bytes` without markers: the group as authored.
    fn strip(&self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len());
        let mut at = 0;
        while let Scan::Marker { start, end, .. } = self.next(bytes, at) {
            out.extend_from_slice(bytes.get(at..start).unwrap_or_default());
            at = end;
        }
        out.extend_from_slice(bytes.get(at..).unwrap_or_default());
        out
    }
}

/// The length of the start tag at the beginning of `bytes` (through its `>`), and the span of its
/// `hidden` attribute with the whitespace before it. The delimiters looked for are ASCII below 0x40,
/// which no byte of a multi-byte character is in the encodings lol_html supports.
fn start_tag(bytes: &[u8]) -> Option<(usize, Option<(usize, usize)>)> {
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

/// A variants group whose end tag has not been seen yet (in the handlers' view).
struct OpenGroup {
    id: u32,
    words: Vec<String>,
    /// Not personalized: a variant itself, or more variants than [`MAX_VARIANTS_PER_GROUP`].
    as_authored: bool,
}

/// What the handlers and the releaser share.
#[derive(Default)]
struct DocState {
    next_id: u32,
    open: Vec<OpenGroup>,
    /// The chosen variant of each ranked group (none: as authored).
    decisions: HashMap<u32, usize>,
    ranked: usize,
    /// The outermost group released as authored while still open: it and what opens inside it
    /// are not ranked.
    abandoned: Option<u32>,
    /// How many raw-text elements ([`RAW_TEXT_ELEMENTS`]) are open.
    raw_depth: usize,
    /// The specs of the slots the profile filled (at most [`MAX_FILLED_RECORDED`]), for the audit.
    filled: Vec<String>,
}

/// Most filled slots remembered for the audit of one page.
const MAX_FILLED_RECORDED: usize = 64;

impl DocState {
    /// The group's end tag has passed: rank its variants (within the page's budget).
    fn close_group(&mut self, id: u32, p: &Personalizer, now_ms: i64) {
        let Some(pos) = self.open.iter().rposition(|g| g.id == id) else {
            return;
        };
        // Groups opened after this one and never closed were closed implicitly by it.
        let group = self.open.swap_remove(pos);
        self.open.truncate(pos);
        let abandoned = self.abandoned.is_some_and(|a| id >= a);
        if self.abandoned == Some(id) {
            self.abandoned = None;
        }
        if abandoned || group.as_authored || group.words.is_empty() {
            return;
        }
        if self.ranked + group.words.len() > MAX_VARIANTS_PER_PAGE {
            return;
        }
        self.ranked += group.words.len();
        let words: Vec<&str> = group.words.iter().map(String::as_str).collect();
        if let Some(chosen) = p.choose_variant(&words, now_ms, &Checked::default()) {
            self.decisions.insert(id, chosen);
        }
    }
}

/// The longest prefix of `s` within `max` bytes, cut at a character boundary.
fn clip(s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default().to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Outside any group: output is released as it comes.
    Stream,
    /// Inside a group: output is held from its start marker.
    Hold,
    /// Inside a group that outgrew the bound: released as it comes, as authored.
    Abandoned,
}

type Sink = Box<dyn FnMut(&[u8])>;

/// A streaming rewriter: feed origin chunks with [`SlotRewriter::push`], get personalized bytes back.
pub struct SlotRewriter {
    rewriter: Option<HtmlRewriter<'static, Sink>>,
    /// lol_html's output since the last push.
    out: Rc<RefCell<Vec<u8>>>,
    state: Rc<RefCell<DocState>>,
    markers: Rc<Markers>,
    /// Output not yet released: a held group, or the start of a marker cut by a chunk boundary.
    pending: Vec<u8>,
    /// How far `pending` has been scanned for markers.
    scanned: usize,
    /// The ids of the groups open in `pending` (outermost first).
    open: Vec<u32>,
    mode: Mode,
    max_group_bytes: usize,
    /// lol_html hit its memory bound: the rest of the document passes through as it is.
    bypass: bool,
}

fn pop_to(open: &mut Vec<u32>, id: u32) {
    if let Some(pos) = open.iter().rposition(|&g| g == id) {
        open.truncate(pos);
    }
}

impl SlotRewriter {
    /// The specs (`trait:<key>`, `memory:<key>`) of the slots the profile filled so far.
    pub fn filled(&self) -> Vec<String> {
        self.state.borrow().filled.clone()
    }

    /// A rewriter for one response; `nonce` (random per response) keeps its markers apart from
    /// anything the page itself contains.
    pub fn new(
        personalizer: Rc<Personalizer>,
        now_ms: i64,
        settings: &HtmlSettings,
        nonce: u64,
    ) -> Self {
        let out: Rc<RefCell<Vec<u8>>> = Rc::new(RefCell::new(Vec::with_capacity(16 << 10)));
        let state = Rc::new(RefCell::new(DocState::default()));
        let markers = Rc::new(Markers::new(nonce));
        let sink_out = out.clone();
        let sink: Sink = Box::new(move |chunk: &[u8]| {
            if let Ok(mut o) = sink_out.try_borrow_mut() {
                o.extend_from_slice(chunk);
            }
        });
        let (s_raw, s_slot, s_group, s_variant) =
            (state.clone(), state.clone(), state.clone(), state.clone());
        let (p_cond, p_slot, p_group) = (personalizer.clone(), personalizer.clone(), personalizer);
        let (m_group, m_variant) = (markers.clone(), markers.clone());
        let memory = MemorySettings::new()
            .with_max_allowed_memory_usage(settings.max_group_bytes)
            .with_graceful_bail_out_on_memory_limit_exceeded(true);
        let lol = Settings::new()
            .with_encoding(settings.encoding)
            .with_adjust_charset_on_meta_tag(settings.charset_from_meta)
            .with_memory_settings(memory)
            .append_element_content_handler(element!(RAW_TEXT_ELEMENTS, move |el| {
                s_raw.borrow_mut().raw_depth += 1;
                if el.can_have_content() {
                    let s = s_raw.clone();
                    let handler: EndTagHandler<'static> = Box::new(move |_end: &mut EndTag<'_>| {
                        let mut s = s.borrow_mut();
                        s.raw_depth = s.raw_depth.saturating_sub(1);
                        Ok(())
                    });
                    el.on_end_tag(handler)?;
                } else {
                    let mut s = s_raw.borrow_mut();
                    s.raw_depth = s.raw_depth.saturating_sub(1);
                }
                Ok(())
            }))
            .append_element_content_handler(element!(
                "[data-persona-if], [data-persona-unless]",
                move |el| {
                    apply_condition(el, &p_cond);
                    Ok(())
                }
            ))
            .append_element_content_handler(element!("[data-persona]", move |el| {
                if !el.removed() && s_slot.borrow().raw_depth == 0 {
                    if let Some(spec) = fill_slot(el, &p_slot) {
                        let mut s = s_slot.borrow_mut();
                        if s.filled.len() < MAX_FILLED_RECORDED {
                            s.filled.push(spec);
                        }
                    }
                }
                Ok(())
            }))
            .append_element_content_handler(element!("[data-persona-variants]", move |el| {
                if el.removed() || !el.can_have_content() {
                    return Ok(());
                }
                let id = {
                    let mut s = s_group.borrow_mut();
                    let id = s.next_id;
                    s.next_id = s.next_id.wrapping_add(1);
                    // A group that is itself a variant stays as authored (its parent decides).
                    let as_authored = el.has_attribute("data-persona-variant");
                    s.open.push(OpenGroup {
                        id,
                        words: Vec::new(),
                        as_authored,
                    });
                    id
                };
                el.before(&m_group.marker('g', id), ContentType::Html);
                let (s, m, p) = (s_group.clone(), m_group.clone(), p_group.clone());
                let handler: EndTagHandler<'static> = Box::new(move |end: &mut EndTag<'_>| {
                    s.borrow_mut().close_group(id, &p, now_ms);
                    end.after(&m.marker('G', id), ContentType::Html);
                    Ok(())
                });
                el.on_end_tag(handler)
            }))
            .append_element_content_handler(element!(
                "[data-persona-variants] > [data-persona-variant]",
                move |el| {
                    if el.removed() {
                        return Ok(());
                    }
                    let id = {
                        let mut s = s_variant.borrow_mut();
                        let Some(group) = s.open.last_mut() else {
                            return Ok(());
                        };
                        if group.words.len() >= MAX_VARIANTS_PER_GROUP {
                            group.as_authored = true;
                        }
                        let words = attr(el, "data-persona-variant").unwrap_or_default();
                        group.words.push(clip(words, MAX_VARIANT_WORDS_BYTES));
                        group.id
                    };
                    el.before(&m_variant.marker('v', id), ContentType::Html);
                    let close = m_variant.marker('V', id);
                    if el.can_have_content() {
                        let handler: EndTagHandler<'static> =
                            Box::new(move |end: &mut EndTag<'_>| {
                                end.after(&close, ContentType::Html);
                                Ok(())
                            });
                        el.on_end_tag(handler)?;
                    } else {
                        el.after(&close, ContentType::Html);
                    }
                    Ok(())
                }
            ));
        Self {
            rewriter: Some(HtmlRewriter::new(lol, sink)),
            out,
            state,
            markers,
            pending: Vec::new(),
            scanned: 0,
            open: Vec::new(),
            mode: Mode::Stream,
            max_group_bytes: settings.max_group_bytes,
            bypass: false,
        }
    }

    /// Rewrites one chunk of the origin's body; returns what can be sent now (possibly empty).
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<u8>, RewriteFailed> {
        if self.bypass {
            return Ok(chunk.to_vec());
        }
        let r = self.rewriter.as_mut().ok_or(RewriteFailed)?;
        let written = r.write(chunk);
        self.after_write(written, false)
    }

    /// Ends the document; returns the rest.
    pub fn finish(&mut self) -> Result<Vec<u8>, RewriteFailed> {
        if self.bypass {
            return Ok(Vec::new());
        }
        let ended = match self.rewriter.take() {
            Some(r) => r.end(),
            None => Ok(()),
        };
        self.after_write(ended, true)
    }

    fn after_write(
        &mut self,
        written: Result<(), RewritingError>,
        at_end: bool,
    ) -> Result<Vec<u8>, RewriteFailed> {
        match written {
            Ok(()) => Ok(self.release(at_end)),
            // lol_html flushed what it had as it was: so is everything held, and all that follows.
            Err(RewritingError::MemoryLimitExceeded(_)) => {
                self.rewriter = None;
                self.bypass = true;
                Ok(self.release(true))
            }
            Err(_) => Err(RewriteFailed),
        }
    }

    /// Moves lol_html's output to `pending` and releases everything not inside an open group.
    fn release(&mut self, at_end: bool) -> Vec<u8> {
        if let Ok(mut o) = self.out.try_borrow_mut() {
            self.pending.append(&mut o);
        }
        let mut ready = Vec::with_capacity(self.pending.len());
        // `from`: the start of what is not released yet.
        let mut from = 0usize;
        loop {
            match self.markers.next(&self.pending, self.scanned) {
                Scan::Marker {
                    start,
                    end,
                    kind,
                    id,
                } => {
                    self.scanned = end;
                    if self.mode != Mode::Hold {
                        ready.extend_from_slice(self.pending.get(from..start).unwrap_or_default());
                        from = end;
                    }
                    match kind {
                        b'g' => {
                            self.open.push(id);
                            if self.mode == Mode::Stream {
                                self.mode = Mode::Hold;
                                from = start;
                            }
                        }
                        b'G' => {
                            pop_to(&mut self.open, id);
                            if self.open.is_empty() {
                                if self.mode == Mode::Hold {
                                    let group = self.pending.get(from..end).unwrap_or_default();
                                    ready.extend(resolve(&self.markers, &self.state, group));
                                    from = end;
                                }
                                self.mode = Mode::Stream;
                            }
                        }
                        _ => {}
                    }
                }
                Scan::Partial(at) => {
                    if self.mode != Mode::Hold {
                        ready.extend_from_slice(self.pending.get(from..at).unwrap_or_default());
                        from = at;
                    }
                    self.scanned = at;
                    break;
                }
                Scan::Nothing => {
                    self.scanned = self.pending.len();
                    if self.mode != Mode::Hold {
                        ready.extend_from_slice(self.pending.get(from..).unwrap_or_default());
                        from = self.pending.len();
                    }
                    break;
                }
            }
        }
        if self.mode == Mode::Hold && self.pending.len().saturating_sub(from) > self.max_group_bytes
        {
            // Too large, or never closed: released as authored from here on.
            let held = self.pending.get(from..self.scanned).unwrap_or_default();
            ready.extend(self.markers.strip(held));
            from = self.scanned;
            self.mode = Mode::Abandoned;
            self.state.borrow_mut().abandoned = self.open.first().copied();
        }
        if at_end {
            // A truncated or unclosed group: as authored.
            ready.extend(
                self.markers
                    .strip(self.pending.get(from..).unwrap_or_default()),
            );
            from = self.pending.len();
        }
        let from = from.min(self.pending.len());
        self.pending.drain(..from);
        self.scanned = self.scanned.saturating_sub(from);
        ready
    }
}

/// The held bytes of one complete (outermost) group, in one pass: the children not chosen dropped,
/// `data-persona-chosen` added to each ranked group's start tag, `hidden` removed from the chosen
/// child's. Groups without a choice stay as authored; markers are removed.
fn resolve(markers: &Markers, state: &RefCell<DocState>, group: &[u8]) -> Vec<u8> {
    struct Frame {
        id: u32,
        chosen: Option<usize>,
        next: usize,
    }
    let mut decisions = std::mem::take(&mut state.borrow_mut().decisions);
    let mut out = Vec::with_capacity(group.len());
    let mut frames: Vec<Frame> = Vec::new();
    // The group whose variant is being dropped (up to its `V`, its next `v`, or its `G`).
    let mut dropping: Option<u32> = None;
    let mut at = 0;
    loop {
        let (text_end, marker) = match markers.next(group, at) {
            Scan::Marker {
                start,
                end,
                kind,
                id,
            } => (start, Some((end, kind, id))),
            _ => (group.len(), None),
        };
        if dropping.is_none() {
            out.extend_from_slice(group.get(at..text_end).unwrap_or_default());
        }
        let Some((end, kind, id)) = marker else {
            break;
        };
        at = end;
        if let Some(d) = dropping {
            if d != id || kind == b'g' {
                continue; // inside the dropped variant
            }
            dropping = None;
            if kind == b'V' {
                continue;
            }
        }
        match kind {
            b'g' => {
                let chosen = decisions.remove(&id);
                if let Some(c) = chosen {
                    at = copy_tag(group, at, &mut out, TagEdit::Chosen(c));
                }
                frames.push(Frame {
                    id,
                    chosen,
                    next: 0,
                });
            }
            b'v' => {
                let Some(frame) = frames.last_mut().filter(|f| f.id == id) else {
                    continue;
                };
                let index = frame.next;
                frame.next += 1;
                match frame.chosen {
                    Some(c) if c == index => {
                        at = copy_tag(group, at, &mut out, TagEdit::Unhide);
                    }
                    Some(_) => dropping = Some(id),
                    None => {}
                }
            }
            b'G' => {
                if let Some(pos) = frames.iter().rposition(|f| f.id == id) {
                    frames.truncate(pos);
                }
            }
            _ => {}
        }
    }
    // Later groups already ranked in the same chunk keep their decisions.
    state.borrow_mut().decisions.extend(decisions);
    out
}

enum TagEdit {
    Chosen(usize),
    Unhide,
}

/// Copies the start tag at `group[at..]` to `out` with `edit` applied; returns where it ends (or
/// `at`, copying nothing, when no start tag is there).
fn copy_tag(group: &[u8], at: usize, out: &mut Vec<u8>, edit: TagEdit) -> usize {
    let rest = group.get(at..).unwrap_or_default();
    let Some((len, hidden)) = start_tag(rest) else {
        return at;
    };
    let tag = rest.get(..len).unwrap_or_default();
    match edit {
        TagEdit::Chosen(c) => {
            // Before the closing `>` (or `/>`).
            let mut close = len.saturating_sub(1);
            if close > 0 && tag.get(close - 1) == Some(&b'/') {
                close -= 1;
            }
            out.extend_from_slice(tag.get(..close).unwrap_or_default());
            out.extend_from_slice(format!(" data-persona-chosen=\"{c}\"").as_bytes());
            out.extend_from_slice(tag.get(close..).unwrap_or_default());
        }
        TagEdit::Unhide => match hidden {
            Some((from, to)) => {
                out.extend_from_slice(tag.get(..from).unwrap_or_default());
                out.extend_from_slice(tag.get(to..).unwrap_or_default());
            }
            None => out.extend_from_slice(tag),
        },
    }
    at + len
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::ImportLimits;
    use crate::policy::PrivacyPolicy;

    fn personalizer() -> Rc<Personalizer> {
        let bundle = r#"{"profile_id":"user_id:u","traits":{"traits":{"first_name":"Ana <b> é 日本","email":"a@example.com",
            "running_enthusiasts":true,"sms_opt_in":false,"css":"@import url(//evil.example/x.css)"}},
            "events":{"data":[{"message_id":"m","event":"Product Viewed","timestamp":"2026-11-20T11:00:00Z",
            "properties":{"category":"Running Shoes","name":"Trail Runner 5"}}]}}"#;
        Rc::new(
            Personalizer::from_profile(bundle, &PrivacyPolicy::default(), &ImportLimits::default())
                .unwrap(),
        )
    }

    fn settings(max_group_bytes: usize, content_type: &str) -> HtmlSettings {
        let (encoding, charset_from_meta) = html_encoding(content_type).unwrap();
        HtmlSettings {
            max_group_bytes,
            encoding,
            charset_from_meta,
        }
    }

    fn rewrite_bytes(html: &[u8], chunk: usize, s: &HtmlSettings) -> Vec<u8> {
        let mut r = SlotRewriter::new(personalizer(), 1_795_000_000_000, s, 0x1234_5678_9abc_def0);
        let mut out = Vec::new();
        for c in html.chunks(chunk.max(1)) {
            out.extend(r.push(c).unwrap());
        }
        out.extend(r.finish().unwrap());
        out
    }

    fn rewrite(html: &str, chunk: usize) -> String {
        let s = settings(HtmlSettings::DEFAULT_MAX_GROUP_BYTES, "text/html");
        String::from_utf8(rewrite_bytes(html.as_bytes(), chunk, &s)).unwrap()
    }

    const PAGE: &str = r#"<p>Hi <b data-persona="trait:first_name" data-persona-default="there">x</b>
<i data-persona="trait:email" data-persona-default="A &amp; B">y</i>
<span data-persona-if="audience:running_enthusiasts" hidden>RUN</span><span data-persona-unless="trait:sms_opt_in">SMS</span>
<span data-persona-if="event:Order Completed">ORDER</span>
<ul data-persona-variants><li data-persona-variant="golf">G</li><li data-persona-variant="running shoes" hidden>R</li>
<li data-persona-variant="knitting"><ul data-persona-variants><li data-persona-variant="yoga">Y</li><li data-persona-variant="zebra">Z</li></ul></li></ul>
<div data-persona-variants><p data-persona-variant="zebra">1</p><p data-persona-variant="quartz">2</p></div></p>"#;

    #[test]
    fn slots_conditions_and_variants_whatever_the_chunking() {
        let one = rewrite(PAGE, usize::MAX);
        assert!(one.contains(">Ana &lt;b&gt; é 日本</b>"), "{one}");
        assert!(
            one.contains(">A &amp; B</i>"),
            "withheld → default, decoded then escaped once: {one}"
        );
        assert!(one.contains("RUN") && one.contains("SMS") && !one.contains("ORDER"));
        assert!(one.contains(">R</li>") && !one.contains(">G</li>"), "{one}");
        assert!(
            !one.contains(">Y</li>"),
            "nested group dropped with its variant"
        );
        assert!(
            !one.contains("hidden"),
            "shown elements lose an authored hidden: {one}"
        );
        assert!(one.contains(r#"<ul data-persona-variants data-persona-chosen="1">"#));
        assert!(
            one.contains("<div data-persona-variants><p"),
            "no match: as authored"
        );
        assert!(one.contains(">1</p>") && one.contains(">2</p>"));
        assert!(!one.contains("<!--ep"), "{one}");
        for chunk in [1, 2, 3, 7, 64] {
            assert_eq!(rewrite(PAGE, chunk), one, "chunk size {chunk}");
        }
    }

    #[test]
    fn output_streams_except_inside_a_variants_group() {
        let s = settings(HtmlSettings::DEFAULT_MAX_GROUP_BYTES, "text/html");
        let mut r = SlotRewriter::new(personalizer(), 0, &s, 1);
        let first = r
            .push(b"<p>hello</p><div data-persona-variants><i data-persona-variant=\"golf\">")
            .unwrap();
        assert!(String::from_utf8_lossy(&first).contains("hello"));
        assert!(!String::from_utf8_lossy(&first).contains("golf"));
        let rest = [
            r.push(b"g</i></div><p>after</p>").unwrap(),
            r.finish().unwrap(),
        ]
        .concat();
        let rest = String::from_utf8(rest).unwrap();
        assert!(rest.contains("golf") && rest.contains("after"), "{rest}");
    }

    #[test]
    fn a_truncated_document_is_released_without_markers() {
        let out = rewrite(
            "<div data-persona-variants><i data-persona-variant=\"a\">x",
            5,
        );
        assert!(out.contains('x') && !out.contains("<!--ep"), "{out}");
    }

    #[test]
    fn no_slot_inside_raw_text_elements_nor_in_attributes() {
        let page = r#"<title data-persona="trait:first_name">T</title><style data-persona="trait:css">S</style>
<script data-persona="trait:first_name">J</script><textarea data-persona="trait:first_name">A</textarea>
<noscript data-persona="trait:first_name">N</noscript><template><b data-persona="trait:first_name">P</b></template>
<svg><style><tspan data-persona="trait:css">V</tspan></style></svg><style data-persona-if="trait:nope">x</style>
<em data-persona="trait:first_name" onclick="go()">after</em>"#;
        let out = rewrite(page, usize::MAX);
        for kept in [">T<", ">S<", ">J<", ">A<", ">N<", ">P<", ">V<"] {
            assert!(out.contains(kept), "{kept} in {out}");
        }
        assert!(!out.contains("evil.example"), "{out}");
        assert!(
            out.contains(
                r#"<em data-persona="trait:first_name" onclick="go()">Ana &lt;b&gt; é 日本</em>"#
            ),
            "slots outside still filled, attributes untouched: {out}"
        );
    }

    #[test]
    fn an_oversized_group_is_released_as_authored_and_the_rest_still_personalized() {
        let mut page = String::from("<div id=a data-persona-variants>");
        for i in 0..200 {
            page.push_str(&format!(
                "<p data-persona-variant=\"running shoes {i}\" hidden>{}</p>",
                "x".repeat(100)
            ));
        }
        page.push_str("</div><section data-persona-variants><p data-persona-variant=\"golf\">G</p><p data-persona-variant=\"running\" hidden>R</p></section>");
        let s = settings(HtmlSettings::MIN_GROUP_BYTES, "text/html");
        let out = String::from_utf8(rewrite_bytes(page.as_bytes(), 1000, &s)).unwrap();
        assert_eq!(
            out.matches("<p data-persona-variant=\"running shoes")
                .count(),
            200
        );
        assert_eq!(out.matches("hidden").count(), 200, "as authored");
        assert!(out.contains(r#"<section data-persona-variants data-persona-chosen="1"><p data-persona-variant="running">R</p></section>"#), "{}", &out[out.len() - 200..]);
        assert!(!out.contains("<!--ep"));
    }

    #[test]
    fn an_unclosed_group_is_released_once_it_passes_the_bound() {
        let s = settings(HtmlSettings::MIN_GROUP_BYTES, "text/html");
        let mut r = SlotRewriter::new(personalizer(), 0, &s, 7);
        let mut released = r
            .push(b"<div data-persona-variants><p data-persona-variant=\"running\">R</p>")
            .unwrap();
        for _ in 0..10 {
            released.extend(
                r.push(format!("<p>{}</p>", "y".repeat(1000)).as_bytes())
                    .unwrap(),
            );
        }
        let text = String::from_utf8(released).unwrap();
        assert!(
            text.contains(">R</p>") && text.len() > 8000,
            "{}",
            text.len()
        );
        assert!(!text.contains("<!--ep"));
    }

    #[test]
    fn implied_end_tags_void_variants_and_many_variants() {
        // lol_html does not close `<li>` implicitly: the later items are not children of the group,
        // so it is not personalized, and stays whole.
        let page = "<ul data-persona-variants><li data-persona-variant=golf>G<li data-persona-variant='running shoes'>R<li data-persona-variant=yoga>Y</ul>";
        assert_eq!(rewrite(page, 4), page);
        let out = rewrite(
            r#"<div data-persona-variants><img data-persona-variant="golf" src=g><img hidden data-persona-variant="running" src=r></div>"#,
            3,
        );
        assert_eq!(
            out,
            r#"<div data-persona-variants data-persona-chosen="1"><img data-persona-variant="running" src=r></div>"#
        );
        let many: String = (0..=MAX_VARIANTS_PER_GROUP)
            .map(|i| format!("<i data-persona-variant=\"running {i}\">{i}</i>"))
            .collect();
        let out = rewrite(&format!("<div data-persona-variants>{many}</div>"), 50);
        assert!(
            !out.contains("data-persona-chosen"),
            "over {MAX_VARIANTS_PER_GROUP} variants: as authored"
        );
    }

    #[test]
    fn markers_cannot_be_forged_by_values_nor_met_by_authored_comments() {
        let page = "<!--ep0000000000000007g0--><div data-persona-variants><p data-persona-variant=running>R</p><p data-persona-variant=golf>G</p></div><!-- ep -->";
        let s = settings(HtmlSettings::DEFAULT_MAX_GROUP_BYTES, "text/html");
        let out = String::from_utf8(rewrite_bytes(page.as_bytes(), 2, &s)).unwrap();
        assert!(
            out.starts_with("<!--ep0000000000000007g0-->"),
            "authored comment kept: {out}"
        );
        assert!(
            out.ends_with("<!-- ep -->") && !out.contains(">G<"),
            "{out}"
        );
    }

    #[test]
    fn other_encodings_round_trip() {
        // windows-1252 from Content-Type: é is 0xE9; a value's 日本 becomes character references.
        let page = b"<p data-persona=\"trait:first_name\">x</p><div data-persona-variants><p data-persona-variant=golf>Caf\xe9 G</p><p data-persona-variant=running hidden>Caf\xe9 R</p></div>";
        let out = rewrite_bytes(
            page,
            5,
            &settings(1 << 20, "text/html; charset=windows-1252"),
        );
        assert!(
            out.starts_with(
                b"<p data-persona=\"trait:first_name\">Ana &lt;b&gt; \xe9 &#26085;&#26412;</p>"
            ),
            "{}",
            String::from_utf8_lossy(&out)
        );
        assert!(
            out.ends_with(b"<p data-persona-variant=running>Caf\xe9 R</p></div>"),
            "{}",
            String::from_utf8_lossy(&out)
        );
        // Shift_JIS from <meta charset>: 表 is 95 5C (a backslash as its second byte).
        let page = b"<meta charset=shift_jis><p data-persona=\"trait:first_name\">x</p><div data-persona-variants><p data-persona-variant=golf>\x95\x5c G</p><p data-persona-variant=running>\x95\x5c R</p></div>";
        let out = rewrite_bytes(page, 3, &settings(1 << 20, "text/html"));
        assert!(
            out.windows(4).any(|w| w == b"\x93\xfa\x96\x7b"),
            "日本 in Shift_JIS: {:?}",
            out
        );
        assert!(out.ends_with(b"<p data-persona-variant=running>\x95\x5c R</p></div>"));
        assert!(html_encoding("text/html; charset=utf-16").is_none());
        assert!(html_encoding("text/html; charset=\"bogus\"").is_none());
        assert_eq!(
            html_encoding("text/html; Charset=\"Shift_JIS\"").map(|(_, m)| m),
            Some(false)
        );
    }

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

    #[test]
    fn entities_and_content_types() {
        assert_eq!(
            decode_entities("a &amp; b &lt;&gt; &quot;&#39;&#x41;&#66; &bogus; &"),
            "a & b <> \"'AB &bogus; &"
        );
        assert_eq!(decode_entities("&#0; &#xFFFFFFFF;"), "&#0; &#xFFFFFFFF;");
        assert!(is_html(Some("text/html; charset=utf-8")));
        assert!(is_html(Some("TEXT/HTML")));
        assert!(!is_html(Some("text/css")) && !is_html(None));
    }
}
