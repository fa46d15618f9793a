//! Importers turn exported CDP data into a [`crate::profile::Profile`]. Every importer is bounded by
//! [`ImportLimits`] and reports bad input as an [`crate::errors::ImportError`] naming the place.

pub mod segment;

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
    /// Longest string (key or value), in bytes. Default 16 KiB.
    pub max_string_bytes: usize,
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
            max_depth: 16,
        }
    }
}
