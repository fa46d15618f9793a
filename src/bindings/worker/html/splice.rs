//! The held bytes of one complete group, in one pass: the children not chosen dropped, two start
//! tags edited, markers removed.

use std::cell::RefCell;

use super::groups::DocState;
use super::markers::{Markers, Scan};
use super::tag::start_tag;

/// The held bytes of one complete (outermost) group, in one pass: the children not chosen dropped,
/// `data-persona-chosen` added to each ranked group's start tag, `hidden` removed from the chosen
/// child's. Groups without a choice stay as authored; markers are removed.
pub(super) fn resolve(markers: &Markers, state: &RefCell<DocState>, group: &[u8]) -> Vec<u8> {
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
