//! The term dictionary: in the bytes, front-coded (each term as the bytes it shares with the one
//! before and the rest, every [`RESTART`]-th whole), each with its postings; in memory, built once
//! when the snapshot is loaded, the terms' text, where each one's postings are, and a hash table
//! to find a term by text or by [`crate::text::term_hash`] without a search.

use crate::bytes::{Reader, Writer};
use crate::errors::{LimitExceeded, SnapshotError};

/// Every this many terms, one is written whole.
pub(crate) const RESTART: usize = 16;

/// Writes sorted terms with their postings (see [`super::codec`]).
pub(crate) fn write<'t>(out: &mut Writer, terms: impl Iterator<Item = (&'t str, &'t [u8])>) {
    let mut prev: &[u8] = &[];
    for (i, (term, postings)) in terms.enumerate() {
        let bytes = term.as_bytes();
        let shared = if i % RESTART == 0 {
            0
        } else {
            bytes.iter().zip(prev).take_while(|(a, b)| a == b).count()
        };
        let rest = bytes.get(shared..).unwrap_or_default();
        // Both lengths in one byte when each is under 15 (nearly every term), else 0xFF and two
        // varints.
        if shared < 15 && rest.len() < 15 {
            out.u8((shared as u8) << 4 | rest.len() as u8);
        } else {
            out.u8(0xFF);
            out.size(shared);
            out.size(rest.len());
        }
        out.bytes(rest);
        out.size(postings.len());
        out.bytes(postings);
        prev = bytes;
    }
}

/// The dictionary as loaded.
#[derive(Debug, Clone, Default)]
pub(crate) struct TermIndex {
    /// Every term's text, concatenated, in dictionary order.
    text: String,
    /// Where each term's text starts in `text` (one more for the end).
    text_at: Vec<u32>,
    /// Where each term's postings are in the `TERMS` section: `(start, end)`.
    postings: Vec<(u32, u32)>,
    hashes: Vec<u64>,
    /// Open addressing over `hashes`: term id + 1 per slot (0: empty).
    table: Vec<u32>,
}

impl TermIndex {
    /// Reads `count` terms: each one's text is UTF-8, within `max_bytes` and after the one before
    /// (sorted, unique), shares no more than the term before has, and its postings lie inside the
    /// section, which the last term ends.
    pub(crate) fn read(
        section: &[u8],
        count: usize,
        max_bytes: usize,
    ) -> Result<TermIndex, SnapshotError> {
        let bad = |what: &str| SnapshotError::corrupt(&format!("term dictionary: {what}"));
        // The texts are gathered as bytes and checked as UTF-8 once, at the end: one pass over a
        // few kilobytes instead of a check per term. (A term that only became valid next to
        // its neighbour is not at a character boundary, and reads as missing.)
        let mut text: Vec<u8> = Vec::with_capacity(section.len());
        let mut index = TermIndex {
            text: String::new(),
            text_at: Vec::with_capacity(count + 1),
            postings: Vec::with_capacity(count),
            hashes: Vec::with_capacity(count),
            table: Vec::new(),
        };
        let mut r = Reader::new(section);
        let mut term: Vec<u8> = Vec::new();
        for i in 0..count {
            let (shared, rest) = match r.u8().ok_or_else(|| bad("a term's lengths"))? {
                0xFF => (
                    r.size().ok_or_else(|| bad("a term's shared length"))?,
                    r.size().ok_or_else(|| bad("a term's length"))?,
                ),
                both => (usize::from(both >> 4), usize::from(both & 15)),
            };
            if (i % RESTART == 0 && shared != 0) || shared > term.len() {
                return Err(bad("a term shares more than the term before it"));
            }
            let len = shared.saturating_add(rest);
            if len > max_bytes {
                return Err(SnapshotError::Limit(LimitExceeded {
                    what: "max_string_bytes",
                    limit: max_bytes,
                    actual: len,
                }));
            }
            let suffix = r
                .take(rest)
                .ok_or_else(|| bad("a term runs past the end"))?;
            let prev_start = text.len().saturating_sub(term.len());
            term.truncate(shared);
            term.extend_from_slice(suffix);
            // Sorted and unique: after the term before.
            if i > 0
                && text
                    .get(prev_start..)
                    .is_none_or(|prev| term.as_slice() <= prev)
            {
                return Err(bad("terms are not sorted"));
            }
            index.text_at.push(len_u32(text.len())?);
            text.extend_from_slice(&term);
            index.hashes.push(crate::text::term_hash_bytes(&term));
            let plen = r.size().ok_or_else(|| bad("a postings length"))?;
            let start = r.position();
            r.take(plen)
                .ok_or_else(|| bad("postings run past the end"))?;
            index
                .postings
                .push((len_u32(start)?, len_u32(r.position())?));
        }
        if !r.is_done() {
            return Err(bad("bytes after the last term"));
        }
        index.text_at.push(len_u32(text.len())?);
        index.text = String::from_utf8(text).map_err(|_| bad("terms are not UTF-8"))?;
        index.table = hash_table(&index.hashes);
        Ok(index)
    }

    /// The text of term `id`.
    pub(crate) fn text(&self, id: u32) -> Option<&str> {
        let i = id as usize;
        let (start, end) = (
            *self.text_at.get(i)? as usize,
            *self.text_at.get(i + 1)? as usize,
        );
        self.text.get(start..end)
    }

    /// The byte range of term `id`'s postings in the section.
    pub(crate) fn postings(&self, id: u32) -> Option<std::ops::Range<usize>> {
        let (start, end) = *self.postings.get(id as usize)?;
        Some(start as usize..end as usize)
    }

    /// The id of the term whose hash is `hash` and for which `same` holds.
    pub(crate) fn find(&self, hash: u64, same: impl Fn(u32) -> bool) -> Option<u32> {
        let mask = self.table.len().checked_sub(1)?;
        let mut slot = (hash as usize) & mask;
        for _ in 0..self.table.len() {
            let id = self.table.get(slot)?.checked_sub(1)?;
            if self.hashes.get(id as usize) == Some(&hash) && same(id) {
                return Some(id);
            }
            slot = (slot + 1) & mask;
        }
        None
    }
}

fn len_u32(n: usize) -> Result<u32, SnapshotError> {
    u32::try_from(n).map_err(|_| SnapshotError::corrupt("term dictionary over 4 GiB"))
}

/// An open-addressing table of term ids + 1, sized a power of two at least twice the terms.
fn hash_table(hashes: &[u64]) -> Vec<u32> {
    let size = (hashes.len() * 2).max(2).next_power_of_two();
    let mask = size - 1;
    let mut table = vec![0u32; size];
    for (id, hash) in (1u32..).zip(hashes) {
        let mut slot = (*hash as usize) & mask;
        while let Some(entry) = table.get_mut(slot) {
            if *entry == 0 {
                *entry = id;
                break;
            }
            slot = (slot + 1) & mask;
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(terms: &[&str]) -> Vec<u8> {
        let mut w = Writer::default();
        write(&mut w, terms.iter().map(|t| (*t, &[7u8][..])));
        w.out
    }

    #[test]
    fn front_coded_terms_read_back_with_their_postings() {
        let terms: Vec<String> = (0..40).map(|i| format!("ship{i:02}")).collect();
        let refs: Vec<&str> = terms.iter().map(String::as_str).collect();
        let bytes = section(&refs);
        let index = TermIndex::read(&bytes, refs.len(), 64).unwrap();
        assert_eq!(index.hashes.len(), 40);
        for (i, t) in (0u32..).zip(&refs) {
            assert_eq!(index.text(i), Some(*t));
            let p = index.postings(i).unwrap();
            assert_eq!(bytes.get(p), Some(&[7u8][..]));
            let h = crate::text::term_hash(t);
            assert_eq!(index.find(h, |id| index.text(id) == Some(*t)), Some(i));
        }
        assert_eq!(index.find(crate::text::term_hash("nope"), |_| true), None);
        // Shares are smaller than whole terms: the section is shorter than the texts.
        assert!(bytes.len() < refs.iter().map(|t| t.len() + 3).sum());
    }

    #[test]
    fn unsorted_overlong_or_truncated_dictionaries_are_refused() {
        let bytes = section(&["b", "a"]);
        assert!(TermIndex::read(&bytes, 2, 64).is_err(), "not sorted");
        let bytes = section(&["a", "a"]);
        assert!(TermIndex::read(&bytes, 2, 64).is_err(), "not unique");
        let bytes = section(&["abcdef"]);
        assert!(matches!(
            TermIndex::read(&bytes, 1, 3),
            Err(SnapshotError::Limit(_))
        ));
        assert!(TermIndex::read(&bytes[..bytes.len() - 1], 1, 64).is_err());
        assert!(
            TermIndex::read(&bytes, 2, 64).is_err(),
            "fewer than counted"
        );
        // A first term that claims to share with nothing.
        assert!(TermIndex::read(&[0x11, b'a', 0], 1, 64).is_err());
        // Long terms take the escape: lengths as varints.
        let long = "x".repeat(40);
        let bytes = section(&["a", &long]);
        let index = TermIndex::read(&bytes, 2, 64).unwrap();
        assert_eq!(index.text(1), Some(long.as_str()));
    }
}
