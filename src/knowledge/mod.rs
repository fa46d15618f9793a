//! General word knowledge, shared by every snapshot: for a word or phrase a query uses, the
//! words a profile may hold that mean something related: from WordNet 3.0 (synonyms and
//! derivations, broader and narrower words), and the nearest words by static word vectors
//! distilled from a general sentence-embedding model (sore ↔ pain, fridge ↔ refrigerator), with
//! the vectors' cosine on every link, so the ranker can weigh a thesaurus link by how near its
//! two words really are. A snapshot holds only its own profile's words; the
//! ranker reaches them from a query's words through this pack, so no snapshot carries a copy of
//! general knowledge, and the browser's runtime module carries none unless a page loads the pack.
//!
//! Where the pack comes from: build.rs makes it (`build-support/knowledge.rs`) from the sources in
//! `data/`. Native builds embed it (the CLI writes it out: `edge-persona knowledge`); the Worker
//! reads it once per isolate from KV, and the npm package ships it as a file its users load once
//! (`loadKnowledge`), since the Worker's bundle and the browser's module must stay small.
//! [`current`] is the pack in use: the one a binding [`install`]ed, the embedded one, or an empty
//! one (ranking is then lexical only).
//!
//! ```text
//! offset  size  field
//! 0       4     magic b"EPKP"
//! 4       2     format version, u16 LE (2)
//! 6       2     flags (0)
//! 8       4     payload length, u32 LE
//! 12      4     CRC-32 of the payload, u32 LE
//! 16      4     words, u32 LE
//! 20      12×n  per word, sorted by hash: u64 LE term_hash of the word, u32 LE offset of its
//!               links in the link lists (bit 31: the word is a dictionary word; bit 30: one of
//!               the thousand most common English words, data/vectors/common.txt)
//! …             link lists: varint count, then per link varint (target word << 3 | kind: 0
//!               related, 1 broader, 2 narrower, 3 vector), u8 cosine × 100 of the pair by word
//!               vectors (255: not known); offset 0 is the empty list
//! ```

use std::sync::OnceLock;

use crate::bytes::Reader;
use crate::errors::KnowledgeError;
use crate::snapshot::codec::crc32;

/// The pack's magic bytes.
pub const MAGIC: [u8; 4] = *b"EPKP";
/// The pack format this build reads.
pub const FORMAT_VERSION: u16 = 2;

const HEADER_LEN: usize = 16;
const WORD_LEN: usize = 12;
const KNOWN_BIT: u32 = 1 << 31;
const COMMON_BIT: u32 = 1 << 30;
const FLAGS: u32 = KNOWN_BIT | COMMON_BIT;

/// How a word reaches another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A synonym or a derivationally related word (WordNet).
    Related,
    /// A more general word: the query's word is broader than the profile's (WordNet).
    Broader,
    /// A more specific word (WordNet).
    Narrower,
    /// A near word by static word vectors (distilled from a general sentence-embedding model).
    Vector,
}

impl Source {
    fn of(kind: u64) -> Option<Source> {
        Some(match kind {
            0 => Source::Related,
            1 => Source::Broader,
            2 => Source::Narrower,
            3 => Source::Vector,
            _ => return None,
        })
    }

    /// Its name in explanations.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Related => "related",
            Source::Broader => "broader",
            Source::Narrower => "narrower",
            Source::Vector => "vector",
        }
    }
}

/// One link from a query's word to a word a profile may hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    /// [`crate::text::term_hash`] of the word reached.
    pub target: u64,
    /// How it is reached.
    pub source: Source,
    /// The cosine of the two words' static vectors, when known.
    pub cosine: Option<f32>,
}

/// A knowledge pack, checked once when loaded and then read in place.
#[derive(Debug, Clone)]
pub struct Knowledge {
    bytes: Bytes,
    words: usize,
}

#[derive(Debug, Clone)]
enum Bytes {
    Static(&'static [u8]),
    Owned(Vec<u8>),
}

impl Knowledge {
    /// A pack with no words.
    pub const EMPTY: Knowledge = Knowledge {
        bytes: Bytes::Static(&[]),
        words: 0,
    };

    fn bytes(&self) -> &[u8] {
        match &self.bytes {
            Bytes::Static(b) => b,
            Bytes::Owned(b) => b,
        }
    }

    /// Checks a pack's header, checksum and word table.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Knowledge, KnowledgeError> {
        let words = check(&bytes)?;
        Ok(Knowledge {
            bytes: Bytes::Owned(bytes),
            words,
        })
    }

    #[cfg(not(target_family = "wasm"))]
    fn from_static(bytes: &'static [u8]) -> Result<Knowledge, KnowledgeError> {
        let words = check(bytes)?;
        Ok(Knowledge {
            bytes: Bytes::Static(bytes),
            words,
        })
    }

    /// Number of words.
    pub fn word_count(&self) -> usize {
        self.words
    }

    /// Size of the pack in bytes.
    pub fn byte_len(&self) -> usize {
        self.bytes().len()
    }

    /// `(hash, links offset | known bit)` of word `i`.
    fn word(&self, i: usize) -> Option<(u64, u32)> {
        let at = HEADER_LEN + 4 + i.checked_mul(WORD_LEN)?;
        let b = self.bytes().get(at..at + WORD_LEN)?;
        let mut h = [0u8; 8];
        h.copy_from_slice(b.get(..8)?);
        let mut o = [0u8; 4];
        o.copy_from_slice(b.get(8..12)?);
        Some((u64::from_le_bytes(h), u32::from_le_bytes(o)))
    }

    fn find(&self, hash: u64) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.words);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let (h, _) = self.word(mid)?;
            match h.cmp(&hash) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// Whether the word of this hash is a dictionary word (a stemmed key of the WordNet extract,
    /// the list the compiler splits compounds with).
    pub fn is_known(&self, hash: u64) -> bool {
        self.find(hash)
            .and_then(|i| self.word(i))
            .is_some_and(|(_, flags)| flags & KNOWN_BIT != 0)
    }

    /// Whether the word of this hash is among the thousand most common English words (`time`,
    /// `last`, `new`): one that can be part of any trait's name without naming what it is about.
    pub fn is_common(&self, hash: u64) -> bool {
        self.find(hash)
            .and_then(|i| self.word(i))
            .is_some_and(|(_, flags)| flags & COMMON_BIT != 0)
    }

    /// The links of the word or phrase whose [`crate::text::term_hash`] is `hash` (a stemmed
    /// query word, or two joined by a space). An entry that does not decode ends the list.
    pub fn links(&self, hash: u64) -> impl Iterator<Item = Link> + '_ {
        let lists_at = HEADER_LEN + 4 + self.words * WORD_LEN;
        let offset = self
            .find(hash)
            .and_then(|i| self.word(i))
            .map_or(0, |(_, o)| (o & !FLAGS) as usize);
        let mut r = Reader::at(self.bytes(), lists_at + offset);
        let count = if offset == 0 {
            0
        } else {
            r.size().unwrap_or(0)
        };
        (0..count).map_while(move |_| {
            let v = r.varint()?;
            let cosine = r.u8()?;
            let (target_hash, _) = self.word(usize::try_from(v >> 3).ok()?)?;
            Some(Link {
                target: target_hash,
                source: Source::of(v & 7)?,
                cosine: (cosine <= 100).then(|| f32::from(cosine) / 100.0),
            })
        })
    }
}

/// Checks the header, the checksum and the word table's order; returns the word count.
fn check(bytes: &[u8]) -> Result<usize, KnowledgeError> {
    if bytes.len() < HEADER_LEN + 4 {
        return Err(KnowledgeError::Truncated);
    }
    if bytes.get(..4) != Some(&MAGIC[..]) {
        return Err(KnowledgeError::WrongMagic);
    }
    let u16_at = |at: usize| {
        u16::from_le_bytes([
            bytes.get(at).copied().unwrap_or(0),
            bytes.get(at + 1).copied().unwrap_or(0),
        ])
    };
    let u32_at = |at: usize| {
        let mut b = [0u8; 4];
        if let Some(s) = bytes.get(at..at + 4) {
            b.copy_from_slice(s);
        }
        u32::from_le_bytes(b)
    };
    let version = u16_at(4);
    if version != FORMAT_VERSION {
        return Err(KnowledgeError::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let len = u32_at(8) as usize;
    let payload = bytes.get(HEADER_LEN..).unwrap_or_default();
    if payload.len() != len {
        return Err(KnowledgeError::Truncated);
    }
    if crc32(payload) != u32_at(12) {
        return Err(KnowledgeError::ChecksumMismatch);
    }
    let words = u32_at(HEADER_LEN) as usize;
    let table_end = words
        .checked_mul(WORD_LEN)
        .and_then(|t| t.checked_add(HEADER_LEN + 4))
        .filter(|end| *end <= bytes.len())
        .ok_or(KnowledgeError::Corrupt("word table past the end"))?;
    let lists = bytes.len() - table_end;
    let mut prev: Option<u64> = None;
    for i in 0..words {
        let at = HEADER_LEN + 4 + i * WORD_LEN;
        let mut h = [0u8; 8];
        let mut o = [0u8; 4];
        match (bytes.get(at..at + 8), bytes.get(at + 8..at + 12)) {
            (Some(hb), Some(ob)) => {
                h.copy_from_slice(hb);
                o.copy_from_slice(ob);
            }
            _ => return Err(KnowledgeError::Corrupt("word table")),
        }
        let hash = u64::from_le_bytes(h);
        if prev.is_some_and(|p| p >= hash) {
            return Err(KnowledgeError::Corrupt("words not sorted by hash"));
        }
        prev = Some(hash);
        if (u32::from_le_bytes(o) & !FLAGS) as usize >= lists.max(1) {
            return Err(KnowledgeError::Corrupt("a link list past the end"));
        }
    }
    Ok(words)
}

/// The pack made by build.rs, embedded in native builds (the CLI, tests, benches).
#[cfg(not(target_family = "wasm"))]
static EMBEDDED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/knowledge.bin"));

static INSTALLED: OnceLock<Knowledge> = OnceLock::new();
#[cfg(not(target_family = "wasm"))]
static DEFAULT: OnceLock<Knowledge> = OnceLock::new();

/// Makes `knowledge` the pack [`current`] returns, once per process (a Worker isolate, a page);
/// `false` when one was already installed.
pub fn install(knowledge: Knowledge) -> bool {
    INSTALLED.set(knowledge).is_ok()
}

/// Whether a pack was installed (or, natively, is embedded).
pub fn is_loaded() -> bool {
    current().word_count() > 0
}

/// The pack in use: the one [`install`]ed, else (native builds) the embedded one, else an empty
/// pack: ranking is then lexical only.
pub fn current() -> &'static Knowledge {
    if let Some(k) = INSTALLED.get() {
        return k;
    }
    #[cfg(not(target_family = "wasm"))]
    return DEFAULT.get_or_init(|| Knowledge::from_static(EMBEDDED).unwrap_or(Knowledge::EMPTY));
    #[cfg(target_family = "wasm")]
    return &Knowledge::EMPTY;
}

/// The embedded pack's bytes (native builds), for the CLI to write out.
#[cfg(not(target_family = "wasm"))]
pub fn embedded_bytes() -> &'static [u8] {
    EMBEDDED
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{stem, term_hash};

    fn reaches(query: &str, profile_word: &str) -> Option<Source> {
        let key: Vec<String> = query.split(' ').map(stem).collect();
        let target = term_hash(&stem(profile_word));
        current()
            .links(term_hash(&key.join(" ")))
            .find(|l| l.target == target)
            .map(|l| l.source)
    }

    #[test]
    fn the_embedded_pack_loads_and_is_large() {
        assert!(current().word_count() > 30_000);
    }

    #[test]
    fn synonyms_derivations_broader_and_narrower_words() {
        // A profile word is reached from the query words its thesaurus entry lists.
        assert_eq!(reaches("fix", "repair"), Some(Source::Related));
        assert_eq!(reaches("repair", "fixed"), Some(Source::Related));
        assert_eq!(reaches("couch", "sofa"), Some(Source::Related));
        assert_eq!(reaches("cash machine", "atm"), Some(Source::Related));
        assert_eq!(reaches("seat", "sofa"), Some(Source::Broader));
        assert_eq!(reaches("zebra", "sofa"), None);
        assert_eq!(current().links(term_hash("qwxzv")).count(), 0);
    }

    #[test]
    fn a_damaged_pack_is_refused_with_its_error() {
        let good = EMBEDDED.to_vec();
        assert!(Knowledge::from_bytes(good.clone()).is_ok());
        assert_eq!(
            Knowledge::from_bytes(good[..10].to_vec()).unwrap_err(),
            KnowledgeError::Truncated
        );
        let mut bad = good.clone();
        bad[0] = b'X';
        assert_eq!(
            Knowledge::from_bytes(bad).unwrap_err(),
            KnowledgeError::WrongMagic
        );
        let mut bad = good.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(
            Knowledge::from_bytes(bad).unwrap_err(),
            KnowledgeError::ChecksumMismatch
        );
        let mut bad = good;
        bad[4] = 9;
        assert!(matches!(
            Knowledge::from_bytes(bad).unwrap_err(),
            KnowledgeError::UnsupportedVersion { found: 9, .. }
        ));
    }
}
