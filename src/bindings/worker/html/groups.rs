//! Variants groups as the handlers see them: open, collecting their variants' words, ranked at
//! their end tag within the slot language's caps ([`crate::slots`]): groups are decided in the
//! order they end, each knowing how many variants the page's earlier groups had.

use std::collections::HashMap;

use crate::personalizer::Personalizer;
use crate::settings::Checked;
use crate::slots::{self, MAX_VARIANTS_PER_GROUP, MAX_VARIANT_WORDS_BYTES};

/// Most filled slots remembered for the audit of one page.
const MAX_FILLED_RECORDED: usize = 64;

/// A variants group whose end tag has not been seen yet (in the handlers' view).
struct OpenGroup {
    id: u32,
    /// The words of its first variants (one more than a group may rank: enough to know it is over).
    words: Vec<String>,
    /// Its variants.
    count: usize,
    /// A variant itself: its parent decides, it stays as authored and counts for nothing.
    is_variant: bool,
}

/// What the handlers and the releaser share.
#[derive(Default)]
pub(super) struct DocState {
    next_id: u32,
    open: Vec<OpenGroup>,
    /// The chosen variant of each ranked group (none: as authored).
    pub(super) decisions: HashMap<u32, usize>,
    /// The variants of the groups ended so far ([`slots::choose_variant_on_page`]'s `earlier`).
    earlier: usize,
    /// The outermost group released as authored while still open: it and what opens inside it
    /// are not ranked.
    pub(super) abandoned: Option<u32>,
    /// How many raw-text elements ([`slots::RAW_TEXT_ELEMENTS`]) are open.
    pub(super) raw_depth: usize,
    /// The specs of the slots the profile filled (at most [`MAX_FILLED_RECORDED`]), for the audit.
    pub(super) filled: Vec<String>,
}

impl DocState {
    /// Remembers a slot the profile filled, for the audit (the first [`MAX_FILLED_RECORDED`]).
    pub(super) fn record_filled(&mut self, spec: String) {
        if self.filled.len() < MAX_FILLED_RECORDED {
            self.filled.push(spec);
        }
    }

    /// A group's start tag: its id.
    pub(super) fn open_group(&mut self, is_variant: bool) -> u32 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        self.open.push(OpenGroup {
            id,
            words: Vec::new(),
            count: 0,
            is_variant,
        });
        id
    }

    /// A variant of the innermost open group, with its words: the group's id.
    pub(super) fn add_variant(&mut self, words: String) -> Option<u32> {
        let group = self.open.last_mut()?;
        group.count += 1;
        if group.words.len() <= MAX_VARIANTS_PER_GROUP {
            group.words.push(clip(words, MAX_VARIANT_WORDS_BYTES));
        }
        Some(group.id)
    }

    /// The group's end tag has passed: rank its variants (within the page's budget).
    pub(super) fn close_group(&mut self, id: u32, p: &Personalizer, now_ms: i64) {
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
        if group.is_variant {
            return;
        }
        let earlier = self.earlier;
        self.earlier = self.earlier.saturating_add(group.count);
        if abandoned || group.count != group.words.len() {
            return;
        }
        let words: Vec<&str> = group.words.iter().map(String::as_str).collect();
        let chosen = slots::choose_variant_on_page(
            p.snapshot(),
            &words,
            earlier,
            now_ms,
            &Checked::default(),
        );
        if let Some(chosen) = chosen {
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
