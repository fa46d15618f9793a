//! The snapshot's byte layout, in one place: the header, the payload's field order, and the one
//! place that names the codec (bincode).
//!
//! ```text
//! offset  size  field
//! 0       4     magic  b"EPSN"
//! 4       2     format version, u16 little-endian (currently 5)
//! 6       2     flags, u16 little-endian (0; reserved)
//! 8       4     payload length in bytes, u32 little-endian
//! 12      4     CRC-32 (IEEE) of the payload, u32 little-endian
//! 16      …     payload: bincode 2, standard config with fixed-width little-endian integers
//! ```
//!
//! The payload, in order (a `Vec` is a u64 length and its elements; a `String` a u64 length and
//! its UTF-8 bytes; an `Option` a u8 tag and the value; an enum a u32 variant index; a span two
//! u32s, `start` and `len`):
//!
//! | field | type | what |
//! | --- | --- | --- |
//! | `profile_id` | `String` | `user_id:<id>` |
//! | `target` | enum | 0 server, 1 browser |
//! | `updated_at_ms` | `Option<i64>` | the profile's `updated_at` |
//! | `zone` | `Option<(i16 standard minutes, u32 rule)>` | the person's time zone |
//! | `strings` | `String` | every string, interned and concatenated |
//! | `terms` | `Vec<span>` | the term dictionary, sorted by text; a term id is an index |
//! | `postings` | `Vec<(u32 term, u8 field, u16 tf)>` | every item's postings, item after item, each sorted by (term, field) |
//! | `properties` | `Vec<(span key, span text)>` | event properties, group after group |
//! | `traits` | `Vec<(span key, u32 kind, span text, bool audience, Option<u32 pii class>, span postings, span dates, Option<i64> noted ms, span memory id)>` | the traits in profile order, then the memories newest first |
//! | `groups` | `Vec<(span name, span properties, span postings, span id, span occurrences, span dates)>` | newest first |
//! | `occurrence_times` | `Vec<i64>` | per group: the newest time in ms, then deltas to each older one |
//! | `dates` | `Vec<(i64, i64)>` | dates found in values, item after item, as (first, last) instants |
//! | `links` | `Vec<(u32, u32)>` | thesaurus links (query word hash \| relation, term id), sorted |
//!
//! Swapping the codec means changing [`encode_payload`] / [`decode_payload`] and bumping
//! [`FORMAT_VERSION`]; the header stays. Changing the payload's fields or their order also means a
//! new version.

use bincode::{Decode, Encode};

use super::{Snapshot, FIELD_COUNT};
use crate::errors::{LimitExceeded, SnapshotError};

/// The first four bytes of every snapshot.
pub const MAGIC: [u8; 4] = *b"EPSN";
/// The format version this build writes and reads.
/// 2: event groups keep only their newest occurrence's message id (1 kept every occurrence's).
/// 3: integers are fixed-width instead of varints: decoding, most of a request, is a fifth faster
/// (the npm package's wasm, jeff: 0.40 → 0.32 ms per request) for a half again as many bytes, about
/// the same gzipped (25.5 → 26.3 KB).
/// 4: the person's time zone, and the dates found in each item's values, for time expressions in
/// queries ("tomorrow's show"); the thesaurus links of its terms.
/// 5: memories, as trait records with an id, a category and the time they were noted.
pub const FORMAT_VERSION: u16 = 5;
/// Header length in bytes.
pub const HEADER_LEN: usize = 16;
/// Upper bound on what the codec may allocate for strings while decoding, whatever the input claims.
/// It also caps [`super::SnapshotLimits::max_bytes`].
pub const DECODE_ALLOCATION_CAP: usize = 32 << 20;

/// Fixed-width integers: a varint costs a branch per byte to decode, and every request decodes its
/// snapshot whole.
fn config() -> bincode::config::Configuration<bincode::config::LittleEndian, bincode::config::Fixint>
{
    bincode::config::standard().with_fixed_int_encoding()
}

/// Wraps an encoded payload in the header.
pub fn encode_payload<T: bincode::Encode>(payload: &T) -> Result<Vec<u8>, SnapshotError> {
    let body = bincode::encode_to_vec(payload, config()).map_err(|e| SnapshotError::Encode {
        detail: e.to_string(),
    })?;
    let len = u32::try_from(body.len()).map_err(|_| SnapshotError::Encode {
        detail: "payload over 4 GiB".into(),
    })?;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc32(&body).to_le_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// Checks the header (size limit, magic, version, length, checksum) and decodes the payload.
pub fn decode_payload<T: bincode::Decode<()>>(
    bytes: &[u8],
    max_bytes: usize,
) -> Result<T, SnapshotError> {
    let max_bytes = max_bytes.min(DECODE_ALLOCATION_CAP);
    if bytes.len() > max_bytes {
        return Err(SnapshotError::Limit(LimitExceeded {
            what: "max_bytes",
            limit: max_bytes,
            actual: bytes.len(),
        }));
    }
    let header = bytes.get(..HEADER_LEN).ok_or(SnapshotError::Truncated {
        needed: HEADER_LEN,
        actual: bytes.len(),
    })?;
    let field = |at: usize, len: usize| header.get(at..at + len).unwrap_or_default();
    if field(0, 4) != MAGIC {
        return Err(SnapshotError::WrongMagic);
    }
    let version = u16::from_le_bytes(le(field(4, 2)));
    if version != FORMAT_VERSION {
        return Err(SnapshotError::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let len = u32::from_le_bytes(le(field(8, 4))) as usize;
    let expected_crc = u32::from_le_bytes(le(field(12, 4)));
    let body = bytes.get(HEADER_LEN..).unwrap_or_default();
    if body.len() < len {
        return Err(SnapshotError::Truncated {
            needed: HEADER_LEN + len,
            actual: bytes.len(),
        });
    }
    if body.len() > len {
        return Err(SnapshotError::Corrupt {
            detail: format!("{} bytes after the payload", body.len() - len),
        });
    }
    let actual_crc = crc32(body);
    if actual_crc != expected_crc {
        return Err(SnapshotError::ChecksumMismatch {
            expected: expected_crc,
            actual: actual_crc,
        });
    }
    let (value, used) =
        bincode::decode_from_slice(body, config().with_limit::<DECODE_ALLOCATION_CAP>()).map_err(
            |e| SnapshotError::Corrupt {
                detail: e.to_string(),
            },
        )?;
    if used != body.len() {
        return Err(SnapshotError::Corrupt {
            detail: "payload has unread bytes".into(),
        });
    }
    Ok(value)
}

// By hand rather than derived, to leave out the fields derived on decode. The payload is these
// fields in this order (the table above); changing them means a new `FORMAT_VERSION`.
impl Encode for Snapshot {
    fn encode<E: bincode::enc::Encoder>(
        &self,
        e: &mut E,
    ) -> Result<(), bincode::error::EncodeError> {
        self.profile_id.encode(e)?;
        self.target.encode(e)?;
        self.updated_at_ms.encode(e)?;
        self.zone.encode(e)?;
        self.strings.encode(e)?;
        self.terms.encode(e)?;
        self.postings.encode(e)?;
        self.properties.encode(e)?;
        self.traits.encode(e)?;
        self.groups.encode(e)?;
        self.occurrence_times.encode(e)?;
        self.dates.encode(e)?;
        self.links.encode(e)
    }
}

impl<C> Decode<C> for Snapshot {
    fn decode<D: bincode::de::Decoder<Context = C>>(
        d: &mut D,
    ) -> Result<Self, bincode::error::DecodeError> {
        Ok(Snapshot {
            profile_id: field(d)?,
            target: field(d)?,
            updated_at_ms: field(d)?,
            zone: field(d)?,
            strings: field(d)?,
            terms: field(d)?,
            postings: field(d)?,
            properties: field(d)?,
            traits: field(d)?,
            groups: field(d)?,
            occurrence_times: field(d)?,
            dates: field(d)?,
            links: field(d)?,
            doc_freq: Vec::new(),
            avg_field_len: [0.0; FIELD_COUNT],
        })
    }
}

/// Decodes one field. Not inlined, so each table's loop is its own small wasm function: V8
/// recompiles the ones that get hot on the first decode, and small ones recompile quickly.
#[inline(never)]
fn field<T: Decode<C>, C, D: bincode::de::Decoder<Context = C>>(
    d: &mut D,
) -> Result<T, bincode::error::DecodeError> {
    T::decode(d)
}

fn le<const N: usize>(slice: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    for (o, b) in out.iter_mut().zip(slice) {
        *o = *b;
    }
    out
}

/// CRC-32 (IEEE 802.3, reflected, as in zlib and PNG). crc32fast uses the CPU's carry-less multiply
/// where there is one (native builds: about ten times a table loop) and slicing-by-16 elsewhere
/// (wasm); every request verifies its snapshot, so this is on the hot path.
pub fn crc32(data: &[u8]) -> u32 {
    #[cfg(not(target_arch = "wasm32"))]
    return crc32fast::hash(data);
    #[cfg(target_arch = "wasm32")]
    return crc32_sliced(data);
}

/// Slicing-by-16 (sixteen table lookups per 16 bytes) over tables built on first use (about 20 µs)
/// rather than stored: crc32fast's 16 KiB static table does not compress and the npm package's
/// browser wasm has a size budget. It was slicing-by-8 until fixed-width integers made snapshots
/// half again as long and the checksum a sixth of a request.
#[cfg(any(test, target_arch = "wasm32"))]
fn crc32_sliced(data: &[u8]) -> u32 {
    static TABLES: std::sync::OnceLock<[[u32; 256]; 16]> = std::sync::OnceLock::new();
    let t = TABLES.get_or_init(|| {
        let mut t = [[0u32; 256]; 16];
        let mut first = [0u32; 256];
        for (i, slot) in (0u32..).zip(first.iter_mut()) {
            let mut c = i;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *slot = c;
        }
        let mut prev = first;
        for table in t.iter_mut() {
            *table = prev;
            let mut next = [0u32; 256];
            for (n, p) in next.iter_mut().zip(prev.iter()) {
                *n = (p >> 8) ^ byte_entry(&first, *p as u8);
            }
            prev = next;
        }
        t
    });
    let [t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13, t14, t15] = t;
    let mut crc = !0u32;
    let mut chunks = data.chunks_exact(16);
    for c in &mut chunks {
        let Ok([b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15]) =
            <[u8; 16]>::try_from(c)
        else {
            continue;
        };
        let lo = u32::from_le_bytes([b0, b1, b2, b3]) ^ crc;
        crc = byte_entry(t15, lo as u8)
            ^ byte_entry(t14, (lo >> 8) as u8)
            ^ byte_entry(t13, (lo >> 16) as u8)
            ^ byte_entry(t12, (lo >> 24) as u8)
            ^ byte_entry(t11, b4)
            ^ byte_entry(t10, b5)
            ^ byte_entry(t9, b6)
            ^ byte_entry(t8, b7)
            ^ byte_entry(t7, b8)
            ^ byte_entry(t6, b9)
            ^ byte_entry(t5, b10)
            ^ byte_entry(t4, b11)
            ^ byte_entry(t3, b12)
            ^ byte_entry(t2, b13)
            ^ byte_entry(t1, b14)
            ^ byte_entry(t0, b15);
    }
    for &b in chunks.remainder() {
        crc = (crc >> 8) ^ byte_entry(t0, (crc as u8) ^ b);
    }
    !crc
}

#[cfg(any(test, target_arch = "wasm32"))]
#[inline(always)]
fn byte_entry(table: &[u32; 256], index: u8) -> u32 {
    table.get(usize::from(index)).copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        // Lengths around the 16-byte stride agree with the bitwise definition.
        let data: Vec<u8> = (0..40u32).map(|i| (i * 37 + 11) as u8).collect();
        for len in 0..data.len() {
            let mut bitwise = !0u32;
            for &b in &data[..len] {
                bitwise ^= u32::from(b);
                for _ in 0..8 {
                    bitwise = if bitwise & 1 != 0 {
                        0xEDB8_8320 ^ (bitwise >> 1)
                    } else {
                        bitwise >> 1
                    };
                }
            }
            assert_eq!(crc32(&data[..len]), !bitwise, "length {len}");
            assert_eq!(crc32_sliced(&data[..len]), !bitwise, "sliced, length {len}");
        }
    }

    #[test]
    fn header_round_trip_and_golden_bytes() {
        let bytes = encode_payload(&(7u32, "ab".to_string())).unwrap();
        assert_eq!(
            bytes,
            [
                b'E', b'P', b'S', b'N', 5, 0, 0, 0, 14, 0, 0, 0, 168, 89, 217, 111, // header
                7, 0, 0, 0, // 7u32
                2, 0, 0, 0, 0, 0, 0, 0, b'a', b'b', // "ab": u64 length, bytes
            ]
        );
        let back: (u32, String) = decode_payload(&bytes, 1 << 20).unwrap();
        assert_eq!(back, (7, "ab".to_string()));
    }

    #[test]
    fn each_header_fault_has_its_error() {
        let good = encode_payload(&(7u32, "ab".to_string())).unwrap();
        let decode = |b: &[u8]| decode_payload::<(u32, String)>(b, 1 << 20).unwrap_err();
        assert!(matches!(
            decode(&good[..10]),
            SnapshotError::Truncated {
                needed: 16,
                actual: 10
            }
        ));
        assert!(matches!(
            decode(&good[..good.len() - 1]),
            SnapshotError::Truncated { .. }
        ));
        let mut bad = good.clone();
        bad[0] = b'X';
        assert_eq!(decode(&bad), SnapshotError::WrongMagic);
        let mut bad = good.clone();
        bad[4] = 9;
        assert_eq!(
            decode(&bad),
            SnapshotError::UnsupportedVersion {
                found: 9,
                supported: FORMAT_VERSION
            }
        );
        let mut bad = good.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(matches!(
            decode(&bad),
            SnapshotError::ChecksumMismatch { .. }
        ));
        let mut bad = good.clone();
        bad.push(0);
        assert!(matches!(decode(&bad), SnapshotError::Corrupt { .. }));
        assert!(matches!(
            decode_payload::<(u32, String)>(&good, 8),
            Err(SnapshotError::Limit(_))
        ));
    }

    #[test]
    fn a_huge_claimed_string_is_an_error_not_an_allocation() {
        // A payload whose string claims u64::MAX bytes, with a valid checksum.
        let body = [7u8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        let mut bytes = Vec::from(MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&0u16.to_le_bytes());
        bytes.extend_from_slice(&(body.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&crc32(&body).to_le_bytes());
        bytes.extend_from_slice(&body);
        assert!(matches!(
            decode_payload::<(u32, String)>(&bytes, 1 << 20),
            Err(SnapshotError::Corrupt { .. })
        ));
    }
}
