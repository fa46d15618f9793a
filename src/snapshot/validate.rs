//! Validation of a decoded snapshot: every limit, string reference, table range and ordering is
//! checked once, so that the accessors and the ranker never meet a bad reference. A snapshot built
//! by [`super::compile()`] passes by construction; bytes from storage are not trusted.

use super::{Posting, Snapshot, SnapshotLimits, Span, FIELD_COUNT};
use crate::errors::{LimitExceeded, SnapshotError};

impl Snapshot {
    /// The postings span of every item: traits, then groups.
    fn item_spans(&self) -> impl Iterator<Item = Span> + '_ {
        self.traits
            .iter()
            .map(|t| t.postings)
            .chain(self.groups.iter().map(|g| g.postings))
    }

    /// Computes document frequencies and average field lengths from the postings, in the same pass
    /// that checks them: items' ranges consecutive and covering the table, each item's postings
    /// strictly increasing by (term, field), every term in the dictionary, every field known, no
    /// zero frequency. A compiled snapshot passes by construction; a decoded one that fails is
    /// refused. One pass rather than a check and then a count: decoding is most of a request.
    #[inline(never)]
    pub(super) fn derive_statistics(&mut self) -> Result<(), &'static str> {
        let mut doc_freq = vec![0u32; self.terms.len()];
        let mut totals = [0f64; FIELD_COUNT];
        // Items' ranges tile the table in item order, so that every posting is checked below.
        if !tiles(self.item_spans(), self.postings.len()) {
            return Err("postings ranges do not cover the table in item order");
        }
        for span in self.item_spans() {
            let postings = self
                .postings
                .get(span.range())
                .ok_or("a postings range is out of bounds")?;
            let mut last: Option<&Posting> = None;
            for p in postings {
                if last.is_some_and(|l| l >= p) {
                    return Err("postings are not sorted");
                }
                let (Some(df), Some(total), true) = (
                    doc_freq.get_mut(p.term as usize),
                    totals.get_mut(usize::from(p.field)),
                    p.tf > 0,
                ) else {
                    return Err("a posting names a term or field that does not exist");
                };
                // Sorted by term, so each term of an item is counted once.
                if last.is_none_or(|l| l.term != p.term) {
                    *df += 1;
                }
                *total += f64::from(p.tf);
                last = Some(p);
            }
        }
        let n = self.item_count().max(1) as f64;
        self.doc_freq = doc_freq;
        self.avg_field_len = totals.map(|t| (t / n) as f32);
        Ok(())
    }

    /// Checks every limit, index, range and ordering but the postings' (see
    /// [`Snapshot::derive_statistics`]), so that accessors never see a bad reference.
    pub(super) fn validate(&self, limits: &SnapshotLimits) -> Result<(), SnapshotError> {
        let limit = |what: &'static str, limit: usize, actual: usize| {
            if actual > limit {
                Err(SnapshotError::Limit(LimitExceeded {
                    what,
                    limit,
                    actual,
                }))
            } else {
                Ok(())
            }
        };
        limit("max_traits", limits.max_traits, self.traits.len())?;
        limit("max_groups", limits.max_groups, self.groups.len())?;
        limit("max_terms", limits.max_terms, self.terms.len())?;
        limit(
            "max_occurrences",
            limits.max_occurrences,
            self.occurrence_times.len(),
        )?;
        limit(
            "max_string_bytes",
            limits.max_string_bytes,
            self.profile_id.len(),
        )?;
        limit(
            "max_string_bytes",
            limits.max_string_bytes,
            self.check_string_refs()?,
        )?;
        // Each check is its own function: V8 recompiles whichever loop gets hot during the first
        // request, and a small function is a small recompilation.
        self.check_terms_sorted()
            .and_then(|()| self.check_groups())
            .and_then(|()| self.check_dates())
            .and_then(|()| self.check_links())
            .map_err(SnapshotError::corrupt)
    }

    /// Every string reference inside the string table; returns the longest length.
    #[inline(never)]
    fn check_string_refs(&self) -> Result<usize, SnapshotError> {
        let mut longest = 0;
        let mut inside = true;
        let mut check = |r: &Span| {
            inside &= self.strings.get(r.range()).is_some();
            longest = longest.max(r.len());
        };
        self.terms.iter().for_each(&mut check);
        for (key, text) in &self.properties {
            check(key);
            check(text);
        }
        for t in &self.traits {
            check(&t.key);
            check(&t.text);
            check(&t.memory_id);
        }
        for g in &self.groups {
            check(&g.id);
        }
        // Event names are checked for place, not length (they were not limited when compiled).
        let names_inside = self
            .groups
            .iter()
            .all(|g| self.strings.get(g.name.range()).is_some());
        if !inside || !names_inside {
            return Err(SnapshotError::corrupt(
                "a string reference is outside the string table",
            ));
        }
        Ok(longest)
    }

    #[inline(never)]
    fn check_terms_sorted(&self) -> Result<(), &'static str> {
        if self
            .terms
            .windows(2)
            .all(|w| matches!(w, [a, b] if self.str(*a) < self.str(*b)))
        {
            Ok(())
        } else {
            Err("term dictionary is not sorted and unique")
        }
    }

    /// Item date ranges tile the dates table in item order, each date a forward interval.
    #[inline(never)]
    fn check_dates(&self) -> Result<(), &'static str> {
        let spans = self
            .traits
            .iter()
            .map(|t| t.dates)
            .chain(self.groups.iter().map(|g| g.dates));
        if !tiles(spans, self.dates.len()) {
            return Err("item dates do not cover the dates table in item order");
        }
        if self.dates.iter().any(|(first, last)| first > last) {
            return Err("a date interval ends before it starts");
        }
        Ok(())
    }

    /// Links sorted and unique, each to a term of the dictionary.
    #[inline(never)]
    fn check_links(&self) -> Result<(), &'static str> {
        let terms = self.terms.len();
        let sorted = self.links.windows(2).all(|w| matches!(w, [a, b] if a < b));
        if !sorted || self.links.iter().any(|(_, t)| *t as usize >= terms) {
            return Err("thesaurus links are unsorted or name a term that does not exist");
        }
        Ok(())
    }

    #[inline(never)]
    fn check_groups(&self) -> Result<(), &'static str> {
        // Groups own non-empty occurrence ranges that cover the table in group order.
        if !tiles(
            self.groups.iter().map(|g| g.occurrences),
            self.occurrence_times.len(),
        ) {
            return Err("event group occurrences do not cover the table in group order");
        }
        for g in &self.groups {
            if self.properties.get(g.properties.range()).is_none() {
                return Err("a properties range is out of bounds");
            }
            let occ = g.occurrences.range();
            if occ.is_empty() {
                return Err("an event group has no occurrences");
            }
            let Some(times) = self.occurrence_times.get(occ) else {
                return Err("an occurrence range is out of bounds");
            };
            if times.iter().skip(1).any(|d| *d < 0) {
                return Err("event group occurrences are not newest first");
            }
        }
        Ok(())
    }
}

/// Whether `spans`, in order, are consecutive from 0 and end at `table_len`: each row of the table
/// belongs to exactly one of them.
fn tiles(spans: impl Iterator<Item = Span>, table_len: usize) -> bool {
    let mut next = 0usize;
    for span in spans {
        let range = span.range();
        if range.start != next {
            return false;
        }
        next = range.end;
    }
    next == table_len
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::profile;

    fn fresh() -> Snapshot {
        profile("user_id:u1")
            .text("shoe_size", "10.5")
            .text("note", "trail runner")
            .text("renews_on", "2026-12-01")
            .event("m1", 1_000, "Page Viewed", &[("page", "Home")])
            .event("m2", 5_000, "Page Viewed", &[("page", "Home")])
            .event("m3", 3_000, "Login", &[("page", "Home")])
            .compile()
    }

    fn decode(s: &Snapshot) -> Result<Snapshot, SnapshotError> {
        Snapshot::decode(&s.encode().unwrap(), &SnapshotLimits::default())
    }

    /// The `detail` of the `Corrupt` error that decoding `s` gives.
    fn corrupt_detail(s: &Snapshot) -> String {
        match decode(s) {
            Err(SnapshotError::Corrupt { detail }) => detail,
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }

    #[test]
    fn a_compiled_snapshot_round_trips() {
        let s = fresh();
        assert_eq!(decode(&s).unwrap(), s);
    }

    /// Each mutation keeps the checksum valid (it is recomputed on encode) and must be caught by
    /// the check named, not merely by some check.
    #[test]
    fn each_inconsistency_is_caught_by_its_own_check() {
        type Mutation = fn(&mut Snapshot);
        let cases: [(&str, Mutation, &str); 13] = [
            (
                "a date outside every item",
                |s| s.dates.push((0, 0)),
                "item dates do not cover the dates table in item order",
            ),
            (
                "a date ending before it starts",
                |s| s.dates[0] = (5, 4),
                "a date interval ends before it starts",
            ),
            (
                "posting term outside the dictionary",
                |s| s.postings[0].term = u32::MAX,
                "a posting names a term or field that does not exist",
            ),
            (
                "posting field unknown",
                |s| s.postings[0].field = FIELD_COUNT as u8,
                "a posting names a term or field that does not exist",
            ),
            (
                "postings of an item out of order",
                |s| s.postings.swap(0, 1),
                "postings are not sorted",
            ),
            (
                "dictionary out of order",
                |s| s.terms.swap(0, 1),
                "term dictionary is not sorted and unique",
            ),
            (
                "group id past the string table",
                |s| s.groups[0].id.len = u32::MAX,
                "a string reference is outside the string table",
            ),
            (
                "trait key past the string table",
                |s| s.traits[0].key.start = u32::MAX - 1,
                "a string reference is outside the string table",
            ),
            (
                "an occurrence outside every group",
                |s| s.occurrence_times.push(1),
                "event group occurrences do not cover the table in group order",
            ),
            (
                "two groups sharing occurrences",
                |s| s.groups[1].occurrences.start = 0,
                "event group occurrences do not cover the table in group order",
            ),
            (
                "occurrences not newest first",
                |s| s.occurrence_times[1] = -1,
                "event group occurrences are not newest first",
            ),
            (
                "a posting outside every item",
                |s| {
                    s.postings.push(Posting {
                        term: 0,
                        field: 0,
                        tf: 1,
                    })
                },
                "postings ranges do not cover the table in item order",
            ),
            (
                "an item's postings past the table",
                |s| s.traits[0].postings.len = 10_000,
                "postings ranges do not cover the table in item order",
            ),
        ];
        for (what, mutate, expected) in cases {
            let mut s = fresh();
            mutate(&mut s);
            assert_eq!(corrupt_detail(&s), expected, "{what}");
        }
    }

    #[test]
    fn zero_frequencies_and_bad_property_ranges_are_refused() {
        let mut s = fresh();
        s.postings[0].tf = 0;
        assert_eq!(
            corrupt_detail(&s),
            "a posting names a term or field that does not exist"
        );
        let mut s = fresh();
        s.groups[0].properties.len = 1_000;
        assert_eq!(corrupt_detail(&s), "a properties range is out of bounds");
    }

    #[test]
    fn a_reference_splitting_a_character_is_refused() {
        let mut s = fresh();
        s.strings.push('é');
        let at = s.strings.len() - 1;
        s.traits[0].key = Span::of(at, at + 1);
        assert_eq!(
            corrupt_detail(&s),
            "a string reference is outside the string table"
        );
    }

    #[test]
    fn decode_enforces_limits() {
        let bytes = fresh().encode().unwrap();
        let limit_of = |limits: SnapshotLimits| match Snapshot::decode(&bytes, &limits) {
            Err(SnapshotError::Limit(LimitExceeded { what, .. })) => what,
            other => panic!("expected a limit, got {other:?}"),
        };
        let d = SnapshotLimits::default();
        let cases = [
            (SnapshotLimits { max_traits: 1, ..d }, "max_traits"),
            (SnapshotLimits { max_groups: 1, ..d }, "max_groups"),
            (SnapshotLimits { max_terms: 2, ..d }, "max_terms"),
            (
                SnapshotLimits {
                    max_occurrences: 2,
                    ..d
                },
                "max_occurrences",
            ),
            (
                SnapshotLimits {
                    max_string_bytes: 5,
                    ..d
                },
                "max_string_bytes",
            ),
            (SnapshotLimits { max_bytes: 20, ..d }, "max_bytes"),
        ];
        for (limits, what) in cases {
            assert_eq!(limit_of(limits), what);
        }
    }

    #[test]
    fn tiles_means_consecutive_from_zero_to_the_end() {
        let spans = |v: &[(usize, usize)]| {
            v.iter()
                .map(|&(a, b)| Span::of(a, b))
                .collect::<Vec<_>>()
                .into_iter()
        };
        assert!(tiles(spans(&[(0, 2), (2, 2), (2, 5)]), 5));
        assert!(tiles(spans(&[]), 0));
        assert!(!tiles(spans(&[(0, 2), (3, 5)]), 5), "a gap");
        assert!(!tiles(spans(&[(0, 3), (2, 5)]), 5), "an overlap");
        assert!(!tiles(spans(&[(0, 2)]), 5), "rows left over");
        assert!(!tiles(spans(&[(1, 5)]), 5), "not from zero");
    }
}
