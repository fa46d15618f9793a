//! Streaming HTML personalization with lol_html, through the core slot language
//! ([`crate::slots`], the same functions the npm package's DOM module calls through wasm):
//!
//! * `data-persona="trait:…"`: the element's content becomes the value, as text (`ContentType::Text`,
//!   so `<script>` in a value arrives as `&lt;script&gt;`); without a value, `data-persona-default`
//!   (as text) when present, else the authored content stays.
//! * `data-persona-if` / `data-persona-unless`: the element (and its content) is removed unless it
//!   should show. The browser module hides instead (`hidden`); here nothing needs to reach the page.
//!   An element that shows loses an authored `hidden` attribute, as in the browser module.
//! * `data-persona-variants`: only the chosen `data-persona-variant` child is kept, and the group gets
//!   `data-persona-chosen="<index>"`, and the chosen child loses an authored `hidden`; when no variant
//!   is relevant the group is left as authored.
//!
//! Output streams chunk by chunk. The one exception is a variants group: its children must all be seen
//! before one is chosen, so the output from the group's start tag to its end tag is held back (and
//! only that), then resolved with a second, in-memory pass and released.

use std::cell::RefCell;
use std::rc::Rc;

use lol_html::html_content::{ContentType, Element, EndTag};
use lol_html::{element, rewrite_str, EndTagHandler, HtmlRewriter, RewriteStrSettings, Settings};

use crate::personalizer::Personalizer;
use crate::rank::RankSettings;

/// Why rewriting stopped (the caller then ends the response; the origin's bytes are not re-sent).
#[derive(Debug)]
pub struct RewriteFailed;

type Sink = Box<dyn FnMut(&[u8])>;

/// A streaming rewriter: feed origin chunks with [`SlotRewriter::push`], get personalized bytes back.
pub struct SlotRewriter {
    rewriter: Option<HtmlRewriter<'static, Sink>>,
    out: Rc<RefCell<Vec<u8>>>,
    /// Output not yet released (only while a variants group is open).
    pending: Vec<u8>,
    hold: String,
    unhold: String,
    personalizer: Rc<Personalizer>,
    now_ms: i64,
}

/// The content-type of an HTML response.
pub fn is_html(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/html"))
    })
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

/// Fills a `data-persona` slot.
fn fill_slot(el: &mut Element<'_, '_>, p: &Personalizer) {
    let Some(spec) = attr(el, "data-persona") else {
        return;
    };
    if !el.can_have_content() {
        return;
    }
    if let Some(value) = p.slot_value(&spec) {
        el.set_inner_content(value, ContentType::Text);
    } else if let Some(fallback) = attr(el, "data-persona-default") {
        el.set_inner_content(&fallback, ContentType::Text);
    }
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

impl SlotRewriter {
    pub fn new(personalizer: Rc<Personalizer>, now_ms: i64) -> Self {
        let out: Rc<RefCell<Vec<u8>>> = Rc::new(RefCell::new(Vec::with_capacity(16 << 10)));
        let nonce = format!(
            "{:x}",
            now_ms.unsigned_abs().wrapping_mul(0x9e37_79b9_7f4a_7c15)
        );
        let hold = format!("<!--ep-hold-{nonce}-->");
        let unhold = format!("<!--ep-unhold-{nonce}-->");
        let (p1, p2) = (personalizer.clone(), personalizer.clone());
        let (h, u) = (hold.clone(), unhold.clone());
        let sink_out = out.clone();
        let sink: Sink = Box::new(move |chunk: &[u8]| {
            if let Ok(mut o) = sink_out.try_borrow_mut() {
                o.extend_from_slice(chunk);
            }
        });
        let settings = Settings::new()
            .append_element_content_handler(element!(
                "[data-persona-if], [data-persona-unless]",
                move |el| {
                    apply_condition(el, &p1);
                    Ok(())
                }
            ))
            .append_element_content_handler(element!("[data-persona]", move |el| {
                if !el.removed() {
                    fill_slot(el, &p2);
                }
                Ok(())
            }))
            .append_element_content_handler(element!("[data-persona-variants]", move |el| {
                if el.removed() || !el.can_have_content() {
                    return Ok(());
                }
                el.before(&h, ContentType::Html);
                let u = u.clone();
                let handler: EndTagHandler<'static> = Box::new(move |end: &mut EndTag<'_>| {
                    end.after(&u, ContentType::Html);
                    Ok(())
                });
                el.on_end_tag(handler)
            }));
        Self {
            rewriter: Some(HtmlRewriter::new(settings, sink)),
            out,
            pending: Vec::new(),
            hold,
            unhold,
            personalizer,
            now_ms,
        }
    }

    /// Rewrites one chunk of the origin's body; returns what can be sent now (possibly empty).
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<u8>, RewriteFailed> {
        let r = self.rewriter.as_mut().ok_or(RewriteFailed)?;
        r.write(chunk).map_err(|_| RewriteFailed)?;
        Ok(self.release(false))
    }

    /// Ends the document; returns the rest.
    pub fn finish(&mut self) -> Result<Vec<u8>, RewriteFailed> {
        if let Some(r) = self.rewriter.take() {
            r.end().map_err(|_| RewriteFailed)?;
        }
        Ok(self.release(true))
    }

    /// Moves the sink's output to `pending` and releases everything not inside an open variants group.
    fn release(&mut self, at_end: bool) -> Vec<u8> {
        if let Ok(mut o) = self.out.try_borrow_mut() {
            self.pending.append(&mut o);
        }
        let mut ready = Vec::with_capacity(self.pending.len());
        loop {
            let Some(start) = find(&self.pending, self.hold.as_bytes(), 0) else {
                ready.append(&mut self.pending);
                break;
            };
            ready.extend(self.pending.drain(..start));
            // Find the matching unhold (groups nest).
            let Some(end) =
                matching_end(&self.pending, self.hold.as_bytes(), self.unhold.as_bytes())
            else {
                if at_end {
                    // Unbalanced (truncated document): release as it is, markers removed.
                    let rest = std::mem::take(&mut self.pending);
                    ready.extend(self.strip_markers(&rest));
                }
                break;
            };
            let group: Vec<u8> = self.pending.drain(..end).collect();
            ready.extend(self.resolve_variants(&group));
        }
        ready
    }

    fn strip_markers(&self, bytes: &[u8]) -> Vec<u8> {
        String::from_utf8_lossy(bytes)
            .replace(&self.hold, "")
            .replace(&self.unhold, "")
            .into_bytes()
    }

    /// The held output of one complete (outermost) variants group: keep only the chosen children.
    fn resolve_variants(&self, group: &[u8]) -> Vec<u8> {
        let html = String::from_utf8_lossy(&self.strip_markers(group)).into_owned();
        // Pass 1: the variants of each group, in document order of the groups.
        let groups: RefCell<Vec<Vec<String>>> = RefCell::new(Vec::new());
        let stack: Rc<RefCell<Vec<usize>>> = Rc::new(RefCell::new(Vec::new()));
        let collected = rewrite_str(
            &html,
            RewriteStrSettings::new()
                .append_element_content_handler(element!("[data-persona-variants]", |el| {
                    let mut g = groups.borrow_mut();
                    stack.borrow_mut().push(g.len());
                    g.push(Vec::new());
                    pop_at_end_tag(el, &stack)
                }))
                .append_element_content_handler(element!(
                    "[data-persona-variants] > [data-persona-variant]",
                    |el| {
                        let words = attr(el, "data-persona-variant").unwrap_or_default();
                        if let Some(&top) = stack.borrow().last() {
                            if let Some(g) = groups.borrow_mut().get_mut(top) {
                                g.push(words);
                            }
                        }
                        Ok(())
                    }
                )),
        );
        if collected.is_err() {
            return html.into_bytes();
        }
        let choices: Vec<Option<usize>> = groups
            .borrow()
            .iter()
            .map(|words| {
                let w: Vec<&str> = words.iter().map(String::as_str).collect();
                self.personalizer
                    .choose_variant(&w, self.now_ms, &RankSettings::default())
            })
            .collect();
        // Pass 2: remove the children that were not chosen.
        let next_group = RefCell::new(0usize);
        let stack: Rc<RefCell<Vec<(usize, usize)>>> = Rc::new(RefCell::new(Vec::new()));
        let resolved = rewrite_str(
            &html,
            RewriteStrSettings::new()
                .append_element_content_handler(element!("[data-persona-variants]", |el| {
                    let g = {
                        let mut n = next_group.borrow_mut();
                        *n += 1;
                        *n - 1
                    };
                    if let Some(Some(chosen)) = choices.get(g) {
                        el.set_attribute("data-persona-chosen", &chosen.to_string())?;
                    }
                    stack.borrow_mut().push((g, 0));
                    pop_at_end_tag(el, &stack)
                }))
                .append_element_content_handler(element!(
                    "[data-persona-variants] > [data-persona-variant]",
                    |el| {
                        let mut s = stack.borrow_mut();
                        if let Some((g, i)) = s.last_mut() {
                            if let Some(Some(chosen)) = choices.get(*g) {
                                if *i == *chosen {
                                    el.remove_attribute("hidden");
                                } else {
                                    el.remove();
                                }
                            }
                            *i += 1;
                        }
                        Ok(())
                    }
                )),
        );
        resolved.unwrap_or(html).into_bytes()
    }
}

/// Pops `stack` when the element's end tag passes: a variants group's scope ends with it.
fn pop_at_end_tag<T: 'static>(
    el: &mut Element<'_, '_>,
    stack: &Rc<RefCell<Vec<T>>>,
) -> lol_html::HandlerResult {
    if el.can_have_content() {
        let stack = Rc::clone(stack);
        let handler: EndTagHandler<'static> = Box::new(move |_end: &mut EndTag<'_>| {
            stack.borrow_mut().pop();
            Ok(())
        });
        el.on_end_tag(handler)?;
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// The end (exclusive, after the unhold marker) of the group opened by the hold marker at 0.
fn matching_end(bytes: &[u8], hold: &[u8], unhold: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut at = 0usize;
    loop {
        let h = find(bytes, hold, at);
        let u = find(bytes, unhold, at)?;
        match h {
            Some(h) if h < u => {
                depth += 1;
                at = h + hold.len();
            }
            _ => {
                depth = depth.saturating_sub(1);
                at = u + unhold.len();
                if depth == 0 {
                    return Some(at);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::ImportLimits;
    use crate::policy::PrivacyPolicy;

    fn personalizer() -> Rc<Personalizer> {
        let bundle = r#"{"profile_id":"user_id:u","traits":{"traits":{"first_name":"Ana <b>","email":"a@example.com",
            "running_enthusiasts":true,"sms_opt_in":false}},
            "events":{"data":[{"message_id":"m","event":"Product Viewed","timestamp":"2026-11-20T11:00:00Z",
            "properties":{"category":"Running Shoes","name":"Trail Runner 5"}}]}}"#;
        Rc::new(
            Personalizer::from_profile(bundle, &PrivacyPolicy::default(), &ImportLimits::default())
                .unwrap(),
        )
    }

    fn rewrite(html: &str, chunk: usize) -> String {
        let mut r = SlotRewriter::new(personalizer(), 1_795_000_000_000);
        let mut out = Vec::new();
        for c in html.as_bytes().chunks(chunk.max(1)) {
            out.extend(r.push(c).unwrap());
        }
        out.extend(r.finish().unwrap());
        String::from_utf8(out).unwrap()
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
        assert!(one.contains(">Ana &lt;b&gt;</b>"), "{one}");
        assert!(
            one.contains(">A &amp; B</i>"),
            "withheld → default, decoded then escaped once: {one}"
        );
        assert!(one.contains("RUN") && one.contains("SMS") && !one.contains("ORDER"));
        assert!(one.contains(">R</li>") && !one.contains(">G</li>"), "{one}");
        assert!(
            !one.contains("hidden"),
            "shown elements lose an authored hidden: {one}"
        );
        assert!(one.contains(r#"data-persona-chosen="1""#));
        assert!(
            one.contains(">1</p>") && one.contains(">2</p>"),
            "no match: as authored"
        );
        assert!(!one.contains("ep-hold") && !one.contains("ep-unhold"));
        for chunk in [1, 2, 3, 7, 64] {
            assert_eq!(rewrite(PAGE, chunk), one, "chunk size {chunk}");
        }
    }

    #[test]
    fn output_streams_except_inside_a_variants_group() {
        let mut r = SlotRewriter::new(personalizer(), 0);
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
        assert!(out.contains('x') && !out.contains("ep-hold"), "{out}");
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
