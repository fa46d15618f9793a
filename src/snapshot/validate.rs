//! What loading checks, once, so that reading in place is safe and cheap: the header and checksum
//! ([`super::codec::open`]), then the limits and the structure every read relies on — the meta
//! section, the string table's UTF-8, the item offset table, the term dictionary (each term's
//! text, order and postings length) and the time index's blocks. A record or a posting that does
//! not decode later is skipped by the reader (every read is bounds-checked); what is checked here
//! is what would otherwise make reads wrong rather than absent. Bytes made by
//! [`super::compile()`] pass by construction; bytes from storage are not trusted.

use std::ops::Range;

use super::codec::{Section, SECTIONS, TIME_BLOCK};
use super::terms::TermIndex;
use super::{Meta, Snapshot, SnapshotLimits, FIELD_COUNT};
use crate::bytes::Reader;
use crate::errors::{LimitExceeded, SnapshotError};
use crate::policy::Target;
use crate::time::zone::{DstRule, Zone};

/// Checks `bytes` (whose header [`super::codec::open`] accepted) and derives the term tables.
pub(super) fn load(
    bytes: Vec<u8>,
    sections: [Range<usize>; SECTIONS],
    limits: &SnapshotLimits,
) -> Result<Snapshot, SnapshotError> {
    let section = |s: Section| -> &[u8] {
        sections
            .get(s as usize)
            .and_then(|r| bytes.get(r.clone()))
            .unwrap_or_default()
    };
    let meta =
        read_meta(section(Section::Meta)).ok_or_else(|| SnapshotError::corrupt("meta section"))?;
    check_limits(&meta, limits)?;
    let strings = section(Section::Strings);
    let mut r = Reader::at(strings, meta.profile_id);
    let profile_id = r.size().and_then(|len| r.take(len));
    if profile_id.is_none_or(|id| std::str::from_utf8(id).is_err()) {
        return Err(SnapshotError::corrupt(
            "profile id outside the string table",
        ));
    }
    check_item_offsets(section(Section::ItemAt), section(Section::Items), &meta)?;
    let terms = TermIndex::read(section(Section::Terms), meta.terms, limits.max_string_bytes)?;
    check_time_index(section(Section::TimeAt), section(Section::Times), &meta)?;
    Ok(Snapshot {
        bytes,
        sections,
        meta,
        terms: std::sync::OnceLock::from(terms),
    })
}

fn read_meta(b: &[u8]) -> Option<Meta> {
    let mut r = Reader::new(b);
    let profile_id = r.size()?;
    let target = match r.u8()? {
        0 => Target::Server,
        1 => Target::Browser,
        _ => return None,
    };
    let updated_at_ms = match r.u8()? {
        0 => None,
        1 => Some(r.signed()?),
        _ => return None,
    };
    let zone = match r.u8()? {
        0 => None,
        1 => Some(Zone {
            standard_minutes: i16::try_from(r.signed()?).ok()?,
            dst: dst_rule(r.u8()?)?,
        }),
        _ => return None,
    };
    let traits = r.size()?;
    let memories = r.size()?;
    let groups = r.size()?;
    let occurrences = r.size()?;
    let terms = r.size()?;
    let offset_width = usize::from(r.u8()?);
    let time_base = r.signed()?;
    if offset_width != 2 && offset_width != 4 {
        return None;
    }
    let mut avg_field_len = [0f32; FIELD_COUNT];
    for avg in &mut avg_field_len {
        *avg = f32::from_bits(r.u32()?);
        if !avg.is_finite() || *avg < 0.0 {
            return None;
        }
    }
    if !r.is_done() || memories > traits {
        return None;
    }
    Some(Meta {
        profile_id,
        target,
        updated_at_ms,
        zone,
        traits,
        memories,
        groups,
        occurrences,
        terms,
        avg_field_len,
        offset_width,
        time_base,
    })
}

/// A DST rule's byte in the meta section.
pub(super) fn dst_code(rule: DstRule) -> u8 {
    match rule {
        DstRule::None => 0,
        DstRule::Europe => 1,
        DstRule::NorthAmerica => 2,
        DstRule::Australia => 3,
        DstRule::NewZealand => 4,
    }
}

fn dst_rule(code: u8) -> Option<DstRule> {
    Some(match code {
        0 => DstRule::None,
        1 => DstRule::Europe,
        2 => DstRule::NorthAmerica,
        3 => DstRule::Australia,
        4 => DstRule::NewZealand,
        _ => return None,
    })
}

fn check_limits(meta: &Meta, limits: &SnapshotLimits) -> Result<(), SnapshotError> {
    for (what, limit, actual) in [
        ("max_traits", limits.max_traits, meta.traits),
        ("max_groups", limits.max_groups, meta.groups),
        ("max_occurrences", limits.max_occurrences, meta.occurrences),
        ("max_terms", limits.max_terms, meta.terms),
    ] {
        if actual > limit {
            return Err(SnapshotError::Limit(LimitExceeded {
                what,
                limit,
                actual,
            }));
        }
    }
    Ok(())
}

/// One record offset per item and one for the end, ascending, the last one ending `ITEMS`.
fn check_item_offsets(table: &[u8], items: &[u8], meta: &Meta) -> Result<(), SnapshotError> {
    let count = meta.traits + meta.groups;
    let width = meta.offset_width;
    if table.len() != count.saturating_add(1).saturating_mul(width) {
        return Err(SnapshotError::corrupt("item offset table: wrong length"));
    }
    let mut prev = 0usize;
    for i in 0..=count {
        let at = super::item_offset(table, width, i).unwrap_or(usize::MAX);
        if at < prev || (i == 0 && at != 0) {
            return Err(SnapshotError::corrupt("item offset table: not ascending"));
        }
        prev = at;
    }
    if prev != items.len() {
        return Err(SnapshotError::corrupt(
            "item offset table: does not end the item records",
        ));
    }
    Ok(())
}

/// One block per [`TIME_BLOCK`] occurrences, times ascending, offsets ascending inside `TIMES`.
fn check_time_index(blocks: &[u8], times: &[u8], meta: &Meta) -> Result<(), SnapshotError> {
    let expected = meta.occurrences.div_ceil(TIME_BLOCK);
    if blocks.len() != expected.saturating_mul(12) {
        return Err(SnapshotError::corrupt("time index: wrong number of blocks"));
    }
    let mut r = Reader::new(blocks);
    let (mut prev_time, mut prev_offset) = (0u64, None::<u32>);
    for _ in 0..expected {
        let (Some(time), Some(offset)) = (r.u64(), r.u32()) else {
            return Err(SnapshotError::corrupt("time index: a block"));
        };
        let offset_ok = prev_offset.is_none_or(|p| offset > p) && (offset as usize) < times.len();
        if !offset_ok || (prev_offset.is_some() && (time as i64) < prev_time as i64) {
            return Err(SnapshotError::corrupt("time index: blocks out of order"));
        }
        if prev_offset.is_none() && offset != 0 {
            return Err(SnapshotError::corrupt(
                "time index: the first block is not at 0",
            ));
        }
        prev_time = time;
        prev_offset = Some(offset);
    }
    if expected == 0 && !times.is_empty() {
        return Err(SnapshotError::corrupt("occurrences without a time index"));
    }
    Ok(())
}
