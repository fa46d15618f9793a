//! The snapshot's byte layout, in one place. A snapshot is read in place: loading checks the
//! header, the checksum, the section table and the parts every read relies on (`validate.rs`),
//! and from then on the ranker and the renderer read the records they need straight from the
//! bytes; what a request never touches is never decoded.
//!
//! ```text
//! offset  size  field
//! 0       4     magic  b"EPSN"
//! 4       2     format version, u16 little-endian (currently 6)
//! 6       2     flags, u16 little-endian (0; reserved)
//! 8       4     payload length in bytes, u32 little-endian
//! 12      4     CRC-32 (IEEE) of the payload, u32 little-endian
//! 16      …     payload
//! ```
//!
//! The payload starts with its section table, `u32 × (SECTIONS + 1)` little-endian: the offset of
//! each section within the payload, then the payload's length. Integers inside sections are
//! unsigned LEB128 varints (`v`) unless named otherwise, signed ones zigzag-encoded (`s`),
//! durations in ms `m` (`v (seconds << 1)` when whole seconds, else `v (ms << 1 | 1)`); a
//! string reference is `v offset` into `STRINGS`, where each string is `v length` and its UTF-8. Items are numbered traits first (the
//! profile's traits, then the memories, newest first), then event groups (newest first).
//!
//! | section | content |
//! | --- | --- |
//! | `META` | profile id (string ref), target (u8: 0 server, 1 browser), updated-at (u8 flag, `s` ms), time zone (u8 flag, `s` standard minutes, u8 DST rule), counts `v` traits (memories included), memories, groups, occurrences, terms; u8 bytes per `ITEM_AT` entry (2 or 4); `s` the newest occurrence's ms (the time base); the average length of each field over items (4 × `f32` LE) |
//! | `STRINGS` | every string once (interned): `v` length, UTF-8 |
//! | `ITEMS` | one record per item (below) |
//! | `ITEM_AT` | `(items + 1)` little-endian offsets of 2 bytes (when `ITEMS` fits 64 KiB) or 4: where each record starts in `ITEMS` |
//! | `PROPS` | event groups' properties: `(key ref, value ref)` pairs |
//! | `TERMS` | the term dictionary, sorted by text, front-coded: per term the bytes shared with the term before (0 for every 16th) and the length of the rest, as one byte `shared << 4 \| rest` when both are under 15, else `0xFF`, `v`, `v`; the rest (UTF-8), `v` bytes of postings, the postings |
//! | `TIMES` | every event occurrence, oldest first: `m` after the previous one (0 for the first), `v` its item |
//! | `TIME_AT` | one block every [`TIME_BLOCK`] occurrences: `u64` ms of its first occurrence, `u32` its offset in `TIMES` (a read starts at a block, at its time) |
//! | `IDS` | message and memory ids: `v (n << 1 \| packed)`, then `n` bytes of UTF-8, or when packed (an id ending in at least 16 lowercase hex digits, as Segment's and UUID-less ids do) `v` prefix length, the prefix, and the `n` hex digits two to a byte |
//! | `DATES` | every date found in a value, by first instant: `s` ms after the previous one (the first: ms), `v` last − first, `v` its item |
//!
//! An item record: a tag byte (bits 0–1 the kind: 0 trait, 1 memory, 2 group; bit 2 audience;
//! bit 3 holds a word of an open state; bit 4 withheld; bits 5–7 the value kind), its name
//! (trait or memory key, event name) ref; a trait or memory: its text ref, the withheld class
//! (u8, when withheld); a memory: `s` ms noted, its id (`v` offset in `IDS`); a group: `v` offset of its first
//! property pair in `PROPS`, `v` their count, its id (`v` offset in `IDS`: the newest occurrence's message id),
//! `v` occurrences, `m` of the newest before the time base, `v` groups of the same name; then every item: four
//! field lengths `v` (name, keys, values, initials), `v` dates and each as `s` first ms, `v` last
//! − first, and `v` rare values and each as `v` term id (a value term in 2..=[`RARE_MAX_DF`]
//! items, in ascending order, as deltas).
//!
//! A posting is `v (item delta << 3 | field << 1 | tf > 1)`, then `v tf − 2` when `tf > 1`; a
//! term's postings run in item order, an item's fields in field order (delta 0 after the first).
//!
//! Changing anything here means a new [`FORMAT_VERSION`]; the header stays.

use crate::bytes::{u32_at, Reader, Writer};
use crate::errors::{LimitExceeded, SnapshotError};
use crate::policy::PiiClass;

/// The first four bytes of every snapshot.
pub const MAGIC: [u8; 4] = *b"EPSN";
/// The format version this build writes and reads.
/// 2: event groups keep only their newest occurrence's message id (1 kept every occurrence's).
/// 3: fixed-width integers (decoding the whole snapshot on every request was most of its cost).
/// 4: the person's time zone, dates found in values, thesaurus links of its terms.
/// 5: memories, as trait records with an id, a category and the time they were noted.
/// 6: read in place: sections of varints, a term dictionary with each term's postings (the
/// ranker touches only the query's terms), occurrences in time order; general knowledge
/// (thesaurus links) moved out to the knowledge pack, shared by every snapshot.
pub const FORMAT_VERSION: u16 = 6;
/// Header length in bytes.
pub const HEADER_LEN: usize = 16;
/// Upper bound on a snapshot's size whatever the limits say. It also caps
/// [`super::SnapshotLimits::max_bytes`].
pub const DECODE_ALLOCATION_CAP: usize = 32 << 20;
/// Occurrences per block of the time index.
pub const TIME_BLOCK: usize = 64;
/// Most items a value term may be in to be kept as an item's rare value (for threads).
pub const RARE_MAX_DF: usize = 16;

/// The payload's sections, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Meta = 0,
    Strings = 1,
    Items = 2,
    ItemAt = 3,
    Props = 4,
    Terms = 5,
    Times = 6,
    TimeAt = 7,
    Dates = 8,
    Ids = 9,
}

/// Number of sections.
pub(crate) const SECTIONS: usize = 10;
/// Bytes of the section table.
pub(crate) const TABLE_LEN: usize = (SECTIONS + 1) * 4;

/// Item kinds in a record's tag.
pub(crate) const KIND_TRAIT: u8 = 0;
pub(crate) const KIND_MEMORY: u8 = 1;
pub(crate) const KIND_GROUP: u8 = 2;
/// Tag bits.
pub(crate) const TAG_AUDIENCE: u8 = 1 << 2;
pub(crate) const TAG_OPEN: u8 = 1 << 3;
pub(crate) const TAG_WITHHELD: u8 = 1 << 4;

/// Fewest trailing hex digits for an id to be packed two to a byte.
const MIN_PACKED_HEX: usize = 16;

/// Writes an id (see `IDS` above).
pub(crate) fn write_id(w: &mut Writer, id: &str) {
    let hex = id
        .bytes()
        .rev()
        .take_while(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
        .count();
    if hex < MIN_PACKED_HEX {
        w.size(id.len() << 1);
        w.bytes(id.as_bytes());
        return;
    }
    let (prefix, digits) = id.split_at(id.len() - hex);
    w.size(hex << 1 | 1);
    w.size(prefix.len());
    w.bytes(prefix.as_bytes());
    let nibble = |b: u8| {
        if b.is_ascii_digit() {
            b - b'0'
        } else {
            b - b'a' + 10
        }
    };
    for pair in digits.as_bytes().chunks(2) {
        let hi = pair.first().map_or(0, |b| nibble(*b));
        let lo = pair.get(1).map_or(0, |b| nibble(*b));
        w.u8(hi << 4 | lo);
    }
}

/// Reads an id written by [`write_id`].
pub(crate) fn read_id<'a>(r: &mut Reader<'a>) -> Option<std::borrow::Cow<'a, str>> {
    let head = r.size()?;
    let n = head >> 1;
    if head & 1 == 0 {
        return std::str::from_utf8(r.take(n)?)
            .ok()
            .map(std::borrow::Cow::Borrowed);
    }
    let prefix_len = r.size()?;
    let prefix = std::str::from_utf8(r.take(prefix_len)?).ok()?;
    let packed = r.take(n.div_ceil(2))?;
    let mut out = String::with_capacity(prefix.len() + n);
    out.push_str(prefix);
    let digit = |v: u8| char::from_digit(u32::from(v), 16).unwrap_or('0');
    for (i, byte) in packed.iter().enumerate() {
        out.push(digit(byte >> 4));
        if 2 * i + 1 < n {
            out.push(digit(byte & 15));
        }
    }
    Some(std::borrow::Cow::Owned(out))
}

/// A withheld class's byte in an item record.
pub(crate) fn pii_code(class: PiiClass) -> u8 {
    match class {
        PiiClass::Email => 0,
        PiiClass::Phone => 1,
        PiiClass::Address => 2,
        PiiClass::Birthday => 3,
        PiiClass::GovernmentId => 4,
        PiiClass::PaymentId => 5,
        PiiClass::IpAddress => 6,
    }
}

/// The withheld class of a record's byte.
pub(crate) fn pii_class(code: u8) -> Option<PiiClass> {
    Some(match code {
        0 => PiiClass::Email,
        1 => PiiClass::Phone,
        2 => PiiClass::Address,
        3 => PiiClass::Birthday,
        4 => PiiClass::GovernmentId,
        5 => PiiClass::PaymentId,
        6 => PiiClass::IpAddress,
        _ => return None,
    })
}

/// Wraps a payload (section table and sections) in the header (tests build payloads by hand).
#[cfg(test)]
pub(crate) fn seal(payload: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.resize(HEADER_LEN, 0);
    out.extend_from_slice(&payload);
    write_header(&mut out);
    out
}

/// The sealed bytes of `sections`: the header, the section table and the sections, written into
/// one buffer. A payload over 4 GiB (which the import limits rule out) would get a wrong length,
/// and fail to load as truncated.
pub(crate) fn sealed(sections: [Vec<u8>; SECTIONS]) -> Vec<u8> {
    let total = TABLE_LEN + sections.iter().map(Vec::len).sum::<usize>();
    let mut out = Vec::with_capacity(HEADER_LEN + total);
    out.resize(HEADER_LEN, 0);
    write_payload(&mut out, sections);
    write_header(&mut out);
    out
}

/// Fills the header in front of the payload that follows it in `out`.
fn write_header(out: &mut [u8]) {
    let (header, payload) = out.split_at_mut(HEADER_LEN.min(out.len()));
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    let mut h = Vec::with_capacity(HEADER_LEN);
    h.extend_from_slice(&MAGIC);
    h.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes());
    h.extend_from_slice(&len.to_le_bytes());
    h.extend_from_slice(&crc32(payload).to_le_bytes());
    if header.len() == h.len() {
        header.copy_from_slice(&h);
    }
}

/// Lays sections out behind their table.
#[cfg(test)]
pub(crate) fn payload(sections: [Vec<u8>; SECTIONS]) -> Vec<u8> {
    let mut out = Vec::new();
    write_payload(&mut out, sections);
    out
}

fn write_payload(out: &mut Vec<u8>, sections: [Vec<u8>; SECTIONS]) {
    let mut at = TABLE_LEN;
    for s in &sections {
        out.extend_from_slice(&u32::try_from(at).unwrap_or(u32::MAX).to_le_bytes());
        at += s.len();
    }
    out.extend_from_slice(&u32::try_from(at).unwrap_or(u32::MAX).to_le_bytes());
    for s in sections {
        out.extend_from_slice(&s);
    }
}

/// Checks the header (size limit, magic, version, length, checksum) and the section table;
/// returns each section's byte range within `bytes`.
pub(crate) fn open(
    bytes: &[u8],
    max_bytes: usize,
) -> Result<[std::ops::Range<usize>; SECTIONS], SnapshotError> {
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
    let mut r = Reader::new(header);
    if r.take(4) != Some(&MAGIC[..]) {
        return Err(SnapshotError::WrongMagic);
    }
    let version = r.take(2).map_or(0, |b| {
        u16::from_le_bytes([
            b.first().copied().unwrap_or(0),
            b.get(1).copied().unwrap_or(0),
        ])
    });
    if version != FORMAT_VERSION {
        return Err(SnapshotError::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let _flags = r.take(2);
    let len = r.u32().unwrap_or(0) as usize;
    let expected_crc = r.u32().unwrap_or(0);
    let body = bytes.get(HEADER_LEN..).unwrap_or_default();
    if body.len() < len {
        return Err(SnapshotError::Truncated {
            needed: HEADER_LEN + len,
            actual: bytes.len(),
        });
    }
    if body.len() > len {
        return Err(SnapshotError::corrupt("bytes after the payload"));
    }
    let actual_crc = crc32(body);
    if actual_crc != expected_crc {
        return Err(SnapshotError::ChecksumMismatch {
            expected: expected_crc,
            actual: actual_crc,
        });
    }
    let table = body
        .get(..TABLE_LEN)
        .ok_or_else(|| SnapshotError::corrupt("payload shorter than its section table"))?;
    let mut ranges: [std::ops::Range<usize>; SECTIONS] = Default::default();
    let mut prev = TABLE_LEN;
    for (i, range) in ranges.iter_mut().enumerate() {
        let (Some(start), Some(end)) = (u32_at(table, i), u32_at(table, i + 1)) else {
            return Err(SnapshotError::corrupt("section table"));
        };
        let (start, end) = (start as usize, end as usize);
        if start != prev || end < start || end > body.len() {
            return Err(SnapshotError::corrupt(
                "section table: sections out of order or out of bounds",
            ));
        }
        prev = end;
        *range = HEADER_LEN + start..HEADER_LEN + end;
    }
    if prev != body.len() {
        return Err(SnapshotError::corrupt(
            "section table: the last section does not end the payload",
        ));
    }
    Ok(ranges)
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
    fn ids_are_packed_when_they_end_in_hex() {
        for id in [
            "m1",
            "msg_5ef5cecc2c3b392cbaf6",
            "ajs-next-1700000000000-0123456789abcdef0",
            "0123456789abcdef",
            "UPPER0123456789ABCDEF",
            "",
            "é-0123456789abcdef01234",
        ] {
            let mut w = Writer::default();
            write_id(&mut w, id);
            let mut r = Reader::new(&w.out);
            assert_eq!(read_id(&mut r).as_deref(), Some(id), "{id}");
            assert!(r.is_done());
        }
        let mut w = Writer::default();
        write_id(&mut w, "msg_5ef5cecc2c3b392cbaf6");
        assert_eq!(
            w.out.len(),
            16,
            "head, prefix length, msg_, ten bytes of digits"
        );
    }

    fn sections() -> [Vec<u8>; SECTIONS] {
        std::array::from_fn(|i| vec![i as u8; i])
    }

    #[test]
    fn header_and_section_table_golden_bytes() {
        let bytes = seal(payload(sections()));
        let table_len = TABLE_LEN as u8;
        assert_eq!(&bytes[..8], [b'E', b'P', b'S', b'N', 6, 0, 0, 0]);
        let content: usize = (0..SECTIONS).sum();
        assert_eq!(bytes[8..12], ((TABLE_LEN + content) as u32).to_le_bytes());
        // The table: section i starts where i-1 ended (lengths 0, 1, 2, …).
        assert_eq!(&bytes[16..24], [table_len, 0, 0, 0, table_len, 0, 0, 0]);
        let ranges = open(&bytes, 1 << 20).unwrap();
        for (i, r) in ranges.iter().enumerate() {
            assert_eq!(
                &bytes[r.clone()],
                vec![i as u8; i].as_slice(),
                "section {i}"
            );
        }
    }

    #[test]
    fn each_header_fault_has_its_error() {
        let good = seal(payload(sections()));
        let open_err = |b: &[u8]| open(b, 1 << 20).unwrap_err();
        assert!(matches!(
            open_err(&good[..10]),
            SnapshotError::Truncated {
                needed: 16,
                actual: 10
            }
        ));
        assert!(matches!(
            open_err(&good[..good.len() - 1]),
            SnapshotError::Truncated { .. }
        ));
        let mut bad = good.clone();
        bad[0] = b'X';
        assert_eq!(open_err(&bad), SnapshotError::WrongMagic);
        let mut bad = good.clone();
        bad[4] = 9;
        assert_eq!(
            open_err(&bad),
            SnapshotError::UnsupportedVersion {
                found: 9,
                supported: FORMAT_VERSION
            }
        );
        let mut bad = good.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(matches!(
            open_err(&bad),
            SnapshotError::ChecksumMismatch { .. }
        ));
        let mut bad = good.clone();
        bad.push(0);
        assert!(matches!(open_err(&bad), SnapshotError::Corrupt { .. }));
        assert!(matches!(open(&good, 8), Err(SnapshotError::Limit(_))));
        // A section table whose sections overlap, resealed: corrupt, not a panic.
        let mut body = good[16..].to_vec();
        body[4..8].copy_from_slice(&1000u32.to_le_bytes());
        let resealed = seal(body);
        assert!(matches!(open_err(&resealed), SnapshotError::Corrupt { .. }));
    }
}
