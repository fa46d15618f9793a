//! The inspector's answers: why the engine chose what it chose for a question, what it withheld,
//! and what a page's slots would show. `www/inspect.html` draws them; the browser computes them
//! with the wasm `Inspector` (`src/bindings/wasm_inspect.rs`), the Worker's `/inspect` with the
//! same functions on the server snapshot (`src/bindings/worker/inspect.rs`), so both show the same
//! thing for the same snapshot and question.
//!
//! * [`inspect()`]: the ranked items with every factor of their scores ([`crate::rank()`]'s
//!   explanations), which of them made the context block, the first ones that did not (over the
//!   budget, or past the limit), each item's line as the block renders it, and the block itself
//!   line by line with its estimated tokens against the budget;
//! * [`overview()`]: counts by kind, events per week, bytes by section, and what the privacy policy
//!   withheld (keys and classes only: a snapshot never holds a withheld value);
//! * [`page()`]: a pasted page's slot values, conditions and variant choices with the items that
//!   decided them.
//!
//! Everything is computed from the snapshot and the request alone (no clock, no I/O).

mod overview;
mod page;
mod request;

use serde::Serialize;

use crate::rank::{rank_conversation, ItemRef, RankSettings, RankedItem};
use crate::render::{render, Context, ContextFormat, RenderSettings};
use crate::snapshot::Snapshot;

pub use overview::{
    overview, EventName, KindCount, Masked, Overview, SectionSize, Week, Withheld, MAX_LISTED,
    MAX_WEEKS,
};
pub use page::{
    page, ConditionReport, Evidence, GroupReport, PageReport, SlotReport, VariantReport,
};
pub use request::{
    GroupRequest, InspectError, InspectRequest, PageRequest, MAX_BELOW, MAX_GROUP_VARIANTS,
    MAX_PAGE_GROUPS, MAX_PAGE_SLOTS, MAX_TURNS,
};

/// Most occurrence times listed per event row (the newest).
pub const MAX_OCCURRENCES: usize = 300;

/// Where a ranked item ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// In the context block.
    Context,
    /// Ranked within the limit, but its line did not fit the token budget.
    Budget,
    /// Ranked past the limit (shown because of `below`).
    Limit,
}

/// One ranked item, as the inspector shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The item, its score and every factor of it.
    #[serde(flatten)]
    pub item: RankedItem,
    /// Where it ended up.
    pub placement: Placement,
    /// Its line as the context block renders it (text format), whether or not it made the block.
    pub line: String,
    /// The trait or memory key, or the event name.
    pub name: String,
    /// When it last happened (events) or was noted (memories).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newest_ms: Option<i64>,
    /// The event's occurrences, newest first (at most [`MAX_OCCURRENCES`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub occurrences: Vec<i64>,
    /// Dates found in its values (their first instants).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<i64>,
    /// The personal-data class its value was withheld as (server snapshots).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withheld: Option<&'static str>,
}

/// One line of the context block with its share of the budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// The line, exactly as in the block.
    pub text: String,
    /// Its characters, with the line break after it (none after the last).
    pub chars: usize,
    /// Its estimated tokens on its own: `chars / 4`, rounded up.
    pub tokens: usize,
    /// The block's estimated tokens up to and including this line; the last equals the block's.
    pub cumulative_tokens: usize,
    /// The item it states, for an item line of the text format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
}

/// The context block, line by line.
#[derive(Debug, Clone, Serialize)]
pub struct ContextView {
    /// The block and its items, as [`crate::render()`] returns them.
    #[serde(flatten)]
    pub context: Context,
    /// The budget it was rendered within.
    pub budget_tokens: usize,
    /// Its lines.
    pub lines: Vec<Line>,
}

/// The inspector's answer to one question.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// The query's user turns, oldest first.
    pub turns: Vec<String>,
    /// The time ranked at.
    pub now_ms: i64,
    /// The ranking settings used.
    pub settings: RankSettings,
    /// The rendering settings used.
    pub render: RenderSettings,
    /// The items ranked within the limit, best first, then up to `below` past it.
    pub rows: Vec<Row>,
    /// The context block.
    pub context: ContextView,
    /// The pasted page's slots, when the request had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<PageReport>,
}

/// Answers `req` on `snapshot`: rank (for a conversation, its turns), render the block, and rank
/// again with room for `below` more items to show the first ones past the limit.
pub fn inspect(snapshot: &Snapshot, req: &InspectRequest) -> Inspection {
    let turns: Vec<&str> = req.turns.iter().map(String::as_str).collect();
    let ranked = rank_conversation(snapshot, &turns, req.now_ms, &req.rank);
    let context = render(snapshot, &ranked, req.now_ms, &req.render);
    let mut items: Vec<(RankedItem, Placement)> = ranked
        .iter()
        .map(|item| {
            let placement = if context.items.contains(&item.id) {
                Placement::Context
            } else {
                Placement::Budget
            };
            (item.clone(), placement)
        })
        .collect();
    if req.below > 0 {
        let wider = RankSettings {
            limit: req
                .rank
                .limit
                .saturating_add(req.below)
                .min(RankSettings::MAX_LIMIT),
            ..RankSettings::clone(&req.rank)
        };
        if let Ok(wider) = wider.checked() {
            let past = rank_conversation(snapshot, &turns, req.now_ms, &wider)
                .into_iter()
                .filter(|i| !ranked.iter().any(|r| r.id == i.id))
                .take(req.below);
            items.extend(past.map(|i| (i, Placement::Limit)));
        }
    }
    let rows = rows(snapshot, items, req);
    let lines = lines(&context);
    Inspection {
        turns: req.turns.clone(),
        now_ms: req.now_ms,
        settings: RankSettings::clone(&req.rank),
        render: RenderSettings::clone(&req.render),
        rows,
        context: ContextView {
            budget_tokens: req.render.budget_tokens,
            context,
            lines,
        },
        page: req
            .page
            .as_ref()
            .map(|p| page(snapshot, p, req.now_ms, &req.rank)),
    }
}

/// The rows of `items`: each one's line, name, times and withheld class.
fn rows(
    snapshot: &Snapshot,
    items: Vec<(RankedItem, Placement)>,
    req: &InspectRequest,
) -> Vec<Row> {
    let one_line = RenderSettings {
        budget_tokens: RenderSettings::MAX_BUDGET_TOKENS,
        format: ContextFormat::Text,
        ..RenderSettings::clone(&req.render)
    }
    .checked()
    .unwrap_or_default();
    let groups: Vec<usize> = items
        .iter()
        .filter_map(|(i, _)| match i.item {
            ItemRef::Group(g) => Some(g),
            ItemRef::Trait(_) => None,
        })
        .collect();
    let mut times = occurrences_of(snapshot, &groups);
    items
        .into_iter()
        .map(|(item, placement)| {
            let block = render(snapshot, std::slice::from_ref(&item), req.now_ms, &one_line);
            // The block's third line is the item's (after the tag and the preamble).
            let line = block
                .text
                .split('\n')
                .nth(2)
                .unwrap_or_default()
                .to_string();
            let mut row = Row {
                placement,
                line,
                name: String::new(),
                newest_ms: None,
                occurrences: Vec::new(),
                dates: Vec::new(),
                withheld: None,
                item,
            };
            match row.item.item {
                ItemRef::Trait(i) => {
                    if let Some(t) = snapshot.trait_at(i) {
                        row.name = t.key.to_string();
                        row.newest_ms = t.noted_ms;
                        row.withheld = t.withheld.map(|c| c.as_str());
                        row.dates = t.dates().into_iter().map(|(first, _)| first).collect();
                    }
                }
                ItemRef::Group(g) => {
                    if let Some(group) = snapshot.group_at(g) {
                        row.name = group.name.to_string();
                        row.newest_ms = Some(group.last_ms());
                        row.dates = group.dates().into_iter().map(|(first, _)| first).collect();
                    }
                    if let Some((_, t)) = times.iter_mut().find(|(at, _)| *at == g) {
                        row.occurrences = std::mem::take(t);
                    }
                }
            }
            row
        })
        .collect()
}

/// The occurrence times of the given event groups, newest first (at most [`MAX_OCCURRENCES`]
/// each), in one pass over the snapshot's time index.
fn occurrences_of(snapshot: &Snapshot, groups: &[usize]) -> Vec<(usize, Vec<i64>)> {
    let mut out: Vec<(usize, Vec<i64>)> = groups.iter().map(|g| (*g, Vec::new())).collect();
    if out.is_empty() {
        return out;
    }
    let traits = snapshot.trait_count();
    for (time, item) in snapshot.occurrences_between(i64::MIN, i64::MAX) {
        let Some(g) = (item as usize).checked_sub(traits) else {
            continue;
        };
        if let Some((_, times)) = out.iter_mut().find(|(at, _)| *at == g) {
            times.push(time);
        }
    }
    for (_, times) in &mut out {
        times.reverse();
        times.truncate(MAX_OCCURRENCES);
    }
    out
}

/// The block's lines with their characters and tokens; for the text format, the item of each
/// item line (the block is the tag, the preamble, one line per item, the closing tag).
fn lines(context: &Context) -> Vec<Line> {
    if context.text.is_empty() {
        return Vec::new();
    }
    let parts: Vec<&str> = context.text.split('\n').collect();
    let last = parts.len().saturating_sub(1);
    let per_item = parts.len() == context.items.len() + 3;
    let mut cumulative = 0usize;
    parts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let chars = text.chars().count() + usize::from(i < last);
            cumulative += chars;
            let item = i
                .checked_sub(2)
                .filter(|_| per_item && i < last)
                .and_then(|k| context.items.get(k).cloned());
            Line {
                text: (*text).to_string(),
                chars,
                tokens: chars.div_ceil(4),
                cumulative_tokens: cumulative.div_ceil(4),
                item,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
