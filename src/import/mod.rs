//! Importers turn exported CDP data into a [`crate::profile::Profile`]. Every importer is bounded by
//! [`ImportLimits`] and reports bad input as an [`crate::errors::ImportError`] naming the place.
//! Text is measured as the snapshot would hold it: after normalization ([`crate::text::normalize`]:
//! NFKC, invisible characters out), so one character that NFKC expands eighteenfold counts
//! eighteen times, and a limit cannot be passed by writing the same text in a compact form.

pub mod segment;

/// The length in bytes of `s` after normalization ([`crate::text::normalize`]); ASCII is its own.
pub(crate) fn normalized_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        crate::text::normalize(s).len()
    }
}

/// Bounds on what an import accepts. Exceeding one is an [`crate::errors::ImportError::Limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    /// Largest input document, in bytes. Default 64 MiB (the 20,000-event fixture is 10 MiB).
    pub max_input_bytes: usize,
    /// Most traits in one profile. Default 5,000.
    pub max_traits: usize,
    /// Most events in one profile, across all pages. Default 200,000.
    pub max_events: usize,
    /// Most properties of one event, or members of one object value. Default 512.
    pub max_members: usize,
    /// Longest string (key or value), in bytes after normalization. Default 16 KiB.
    pub max_string_bytes: usize,
    /// Most text of one item, in bytes after normalization: a trait (its key and value), an event
    /// (its name, property keys and values), or a whole webhook message (one Segment call: its
    /// traits, or its event). Default 32 KiB, the size Segment's own Tracking API accepts for one
    /// call: what a compilation reads per item is bounded, whatever the item holds.
    pub max_item_bytes: usize,
    /// Deepest nesting of a trait or property value (a flat value is depth 1). Default 16.
    pub max_depth: usize,
}

impl Default for ImportLimits {
    fn default() -> Self {
        Self {
            max_input_bytes: 64 << 20,
            max_traits: 5_000,
            max_events: 200_000,
            max_members: 512,
            max_string_bytes: 16 << 10,
            max_item_bytes: 32 << 10,
            max_depth: 16,
        }
    }
}
