//! How a person's state is stored: rows of `(kind, key, body)`, one per trait, event, remembered
//! message id and memory, plus one for the metadata. A body is versioned and checksummed:
//!
//! ```text
//! offset  size  field
//! 0       1     row format (currently 1)
//! 1       4     CRC-32 (IEEE) of the payload, u32 little-endian
//! 5       …     payload: bincode 2, standard config (varint integers)
//! ```
//!
//! | kind | key | payload |
//! | --- | --- | --- |
//! | 0 meta | `meta` | [`super::Meta`] |
//! | 1 trait | the trait key | value, audience flag, the writing message's timestamp (ms) and id, when stored (ms) |
//! | 2 event | the message id | the event, when stored (ms) |
//! | 3 seen | the message id | when stored (ms) |
//! | 4 memory | the memory id | the memory, its forwarding to Segment still to do (attempts, when due) |
//! | 5 audit | `<time, 16 hex digits>-<sequence>` | what one read was told: route, time, item ids, tokens |
//! | 6 consent | `consent` | the newest consent preferences and their message's time |
//! | 7 regulation | `regulation` | a Segment deletion still to file (attempts, when due), and counts of those filed and given up |
//!
//! Changes to the state come out of the core as [`Change`]s on these rows; the Durable Object
//! writes them to its SQLite table as they are, so the stored rows always equal the state in memory.

use bincode::{Decode, Encode};

use crate::errors::StateError;

/// The row format this build writes and reads.
pub const ROW_FORMAT: u8 = 1;
const HEADER_LEN: usize = 5;
/// Upper bound on what decoding one row may allocate, whatever its bytes claim.
const DECODE_ALLOCATION_CAP: usize = 16 << 20;

/// What a row holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowKind {
    /// The metadata row (key `meta`).
    Meta = 0,
    /// One trait (key: the trait key).
    Trait = 1,
    /// One event (key: its message id).
    Event = 2,
    /// One applied message id, for deduplication (key: the id).
    Seen = 3,
    /// One memory (key: its id).
    Memory = 4,
    /// One audit record (key: its time and sequence).
    Audit = 5,
    /// The consent preferences (key `consent`).
    Consent = 6,
    /// The Segment regulation to file (key `regulation`).
    Regulation = 7,
}

impl RowKind {
    /// The kind stored as this number, if any.
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            0 => Some(Self::Meta),
            1 => Some(Self::Trait),
            2 => Some(Self::Event),
            3 => Some(Self::Seen),
            4 => Some(Self::Memory),
            5 => Some(Self::Audit),
            6 => Some(Self::Consent),
            7 => Some(Self::Regulation),
            _ => None,
        }
    }

    /// The number this kind is stored as.
    pub fn code(self) -> i64 {
        self as i64
    }

    /// The kind's name, in errors.
    pub fn name(self) -> &'static str {
        match self {
            Self::Meta => "meta",
            Self::Trait => "trait",
            Self::Event => "event",
            Self::Seen => "seen",
            Self::Memory => "memory",
            Self::Audit => "audit",
            Self::Consent => "consent",
            Self::Regulation => "regulation",
        }
    }
}

/// One change to the stored rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Insert or replace a row.
    Put {
        /// The row's kind.
        kind: RowKind,
        /// The row's key.
        key: String,
        /// The encoded body.
        body: Vec<u8>,
    },
    /// Delete a row (absent is fine).
    Delete {
        /// The row's kind.
        kind: RowKind,
        /// The row's key.
        key: String,
    },
    /// Delete every row (erasure); the changes after it write what remains.
    Clear,
}

/// The key of the metadata row.
pub const META_KEY: &str = "meta";

fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// A row body: the format byte, the payload's checksum, the payload.
pub(crate) fn encode<T: Encode>(payload: &T) -> Result<Vec<u8>, StateError> {
    let body = bincode::encode_to_vec(payload, config()).map_err(|e| StateError::Encode {
        detail: e.to_string(),
    })?;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.push(ROW_FORMAT);
    out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// The payload of a row body, checked: format, checksum, and that it decodes whole.
pub(crate) fn decode<T: Decode<()>>(what: &str, key: &str, bytes: &[u8]) -> Result<T, StateError> {
    let corrupt = |detail: &str| StateError::Corrupt {
        row: format!("{what} {key}"),
        detail: detail.to_string(),
    };
    let (&format, rest) = bytes.split_first().ok_or_else(|| corrupt("empty"))?;
    if format != ROW_FORMAT {
        return Err(StateError::UnsupportedVersion {
            found: format,
            supported: ROW_FORMAT,
        });
    }
    let (crc, payload) = rest
        .split_first_chunk::<4>()
        .ok_or_else(|| corrupt("truncated header"))?;
    if u32::from_le_bytes(*crc) != crc32fast::hash(payload) {
        return Err(corrupt("checksum mismatch"));
    }
    let (value, used) =
        bincode::decode_from_slice(payload, config().with_limit::<DECODE_ALLOCATION_CAP>())
            .map_err(|e| corrupt(&e.to_string()))?;
    if used != payload.len() {
        return Err(corrupt("trailing bytes"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_and_damage_is_named() {
        let body = encode(&(7i64, "x".to_string())).unwrap();
        assert_eq!(body[0], ROW_FORMAT);
        let back: (i64, String) = decode("event", "m1", &body).unwrap();
        assert_eq!(back, (7, "x".to_string()));
        let mut flipped = body.clone();
        *flipped.last_mut().unwrap() ^= 1;
        let err = decode::<(i64, String)>("event", "m1", &flipped).unwrap_err();
        assert_eq!(
            err.to_string(),
            "state row event m1 corrupt: checksum mismatch"
        );
        let mut newer = body.clone();
        newer[0] = 9;
        assert_eq!(
            decode::<(i64, String)>("trait", "k", &newer),
            Err(StateError::UnsupportedVersion {
                found: 9,
                supported: 1
            })
        );
        for cut in 0..body.len() {
            assert!(decode::<(i64, String)>("seen", "s", &body[..cut]).is_err());
        }
        let mut longer = encode(&(7i64, "x".to_string(), 1u8)).unwrap();
        assert!(decode::<(i64, String)>("seen", "s", &longer).is_err());
        longer.clear();
        assert!(decode::<i64>("seen", "s", &longer).is_err());
        for code in 0..8 {
            assert_eq!(RowKind::from_code(code).unwrap().code(), code);
        }
        assert_eq!(RowKind::from_code(8), None);
    }
}
