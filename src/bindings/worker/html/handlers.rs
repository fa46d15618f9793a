//! The lol_html element handlers: slots, conditions, raw-text elements, variants groups and
//! their variants. Attribute values are decoded with the core's one reference decoder
//! ([`crate::text::entities`]).

use std::cell::RefCell;
use std::rc::Rc;

use lol_html::html_content::{ContentType, Element, EndTag};
use lol_html::{element, EndTagHandler, MemorySettings, Settings};

use super::groups::DocState;
use super::markers::Markers;
use super::settings::HtmlSettings;
use crate::personalizer::Personalizer;
use crate::slots::RAW_TEXT_ELEMENTS;
use crate::text::entities::{decode, Context};

/// lol_html's settings for one response: its encoding and memory bound, and the handlers, which
/// share `state` and `markers` with the rewriter.
pub(super) fn settings(
    personalizer: Rc<Personalizer>,
    state: Rc<RefCell<DocState>>,
    markers: Rc<Markers>,
    html: &HtmlSettings,
    now_ms: i64,
) -> Settings<'static, 'static> {
    let (s_raw, s_slot, s_group, s_variant) =
        (state.clone(), state.clone(), state.clone(), state.clone());
    let (p_cond, p_slot, p_group) = (personalizer.clone(), personalizer.clone(), personalizer);
    let (m_group, m_variant) = (markers.clone(), markers.clone());
    let memory = MemorySettings::new()
        .with_max_allowed_memory_usage(html.max_group_bytes)
        .with_graceful_bail_out_on_memory_limit_exceeded(true);
    Settings::new()
        .with_encoding(html.encoding)
        .with_adjust_charset_on_meta_tag(html.charset_from_meta)
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
                    s_slot.borrow_mut().record_filled(spec);
                }
            }
            Ok(())
        }))
        .append_element_content_handler(element!("[data-persona-variants]", move |el| {
            if el.removed() || !el.can_have_content() {
                return Ok(());
            }
            // A group that is itself a variant stays as authored (its parent decides).
            let id = s_group
                .borrow_mut()
                .open_group(el.has_attribute("data-persona-variant"));
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
                let words = attr(el, "data-persona-variant").unwrap_or_default();
                let Some(id) = s_variant.borrow_mut().add_variant(words) else {
                    return Ok(());
                };
                el.before(&m_variant.marker('v', id), ContentType::Html);
                let close = m_variant.marker('V', id);
                if el.can_have_content() {
                    let handler: EndTagHandler<'static> = Box::new(move |end: &mut EndTag<'_>| {
                        end.after(&close, ContentType::Html);
                        Ok(())
                    });
                    el.on_end_tag(handler)?;
                } else {
                    el.after(&close, ContentType::Html);
                }
                Ok(())
            }
        ))
}

fn attr(el: &Element<'_, '_>, name: &str) -> Option<String> {
    el.get_attribute(name)
        .map(|v| decode(&v, Context::Attribute))
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
