//! The second step of compilation: analyzed items laid out as a snapshot's bytes, section by
//! section ([`codec`]): strings interned, the term dictionary with its postings, the occurrences
//! in time order with their block index, the dates and the ids. Linear in the snapshot's size.

use super::intern::Interner;
use super::{part, Analyzed, Assembly, GroupPart};
use crate::bytes::Writer;
use crate::policy::Target;
use crate::snapshot::codec::{self, Section, RARE_MAX_DF, SECTIONS, TIME_BLOCK};
use crate::snapshot::pace::{pause_after, Pace};
use crate::snapshot::validate::dst_code;
use crate::snapshot::{Field, Meta, Snapshot, FIELD_COUNT};

/// Writes the `STRINGS` section: each string the compiler numbered ([`Interner`]) once, at its
/// first use, as its length and its bytes.
struct Strings<'t> {
    table: &'t Interner,
    out: Writer,
    /// Each number's offset in `out` (`NONE`: not written yet).
    at: Vec<u32>,
}

const NONE: u32 = u32::MAX;

impl Strings<'_> {
    fn offset(&mut self, id: u32) -> usize {
        match self.at.get(id as usize) {
            Some(at) if *at != NONE => *at as usize,
            _ => {
                let r = self.out.len();
                let s = self.table.text(id);
                self.out.size(s.len());
                self.out.bytes(s.as_bytes());
                if let Some(slot) = self.at.get_mut(id as usize) {
                    *slot = u32::try_from(r).unwrap_or(NONE);
                }
                r
            }
        }
    }
}

fn write_ref(w: &mut Writer, offset: usize) {
    w.size(offset);
}

/// Lays the analyzed items out as a snapshot (see [`codec`]). `profile_id` is a number of
/// `tables.strings`.
///
/// Every loop tells `pace` its work (one unit an item, a term or an occurrence, plus one a
/// posting) and awaits the pause it asks for, so that an assembly at the state's bounds can give
/// its thread up every few milliseconds; nothing it reads can change meanwhile.
pub(super) async fn assemble<P: Pace>(assembly: &Assembly<'_>, pace: &mut P) -> Snapshot {
    let (profile_id, updated_at_ms, target, zone) = assembly.meta;
    let tables = assembly.tables;
    let traits: Vec<&Analyzed> = assembly.traits.iter().map(|a| &**a).collect();
    let memories: Vec<(&Analyzed, i64, &str)> = assembly
        .memories
        .iter()
        .map(|(a, noted, id)| (*a, *noted, &**id))
        .collect();
    let groups = &assembly.groups;
    let times_of = |g: &GroupPart| assembly.times.get(g.times.clone()).unwrap_or_default();
    let term_count = tables.terms.len();
    let term_order = tables.terms.text_order();
    let mut strings = Strings {
        table: &tables.strings,
        out: Writer::default(),
        at: vec![NONE; tables.strings.len()],
    };
    // Items in order: traits, memories, groups.
    let items: Vec<&Analyzed> = traits
        .iter()
        .copied()
        .chain(memories.iter().map(|(a, _, _)| *a))
        .chain(groups.iter().map(|g| g.analyzed))
        .collect();
    // The term dictionary: the terms the items use, by the compiler's numbers; their postings
    // in item order, laid out flat (counted, then filled as items are visited in order).
    let mut count: Vec<u32> = vec![0; term_count];
    for a in &items {
        for (term, _, _) in &a.terms {
            if let Some(c) = count.get_mut(*term as usize) {
                *c += 1;
            }
        }
        pause_after(pace, 1 + a.terms.len()).await;
    }
    // The used terms in text order: each one's id in the snapshot, and where its postings start.
    let mut term_id: Vec<u32> = vec![NONE; count.len()];
    let mut sorted: Vec<u32> = Vec::new();
    let mut start: Vec<usize> = Vec::new();
    let mut total = 0usize;
    for id in term_order.iter() {
        pause_after(pace, 1).await;
        let n = count.get(*id as usize).copied().unwrap_or(0);
        if n > 0 {
            if let Some(slot) = term_id.get_mut(*id as usize) {
                *slot = u32::try_from(sorted.len()).unwrap_or(NONE);
            }
            sorted.push(*id);
            start.push(total);
            total += n as usize;
        }
    }
    start.push(total);
    let mut postings_flat: Vec<(u32, u8, u32)> = vec![(0, 0, 0); total];
    let mut fill: Vec<usize> = start.clone();
    for (i, a) in (0u32..).zip(&items) {
        for (term, field, tf) in &a.terms {
            let Some(t) = term_id.get(*term as usize).map(|t| *t as usize) else {
                continue;
            };
            if let Some(at) = fill.get_mut(t) {
                if let Some(slot) = postings_flat.get_mut(*at) {
                    *slot = (i, *field, *tf);
                }
                *at += 1;
            }
        }
        pause_after(pace, 1 + a.terms.len()).await;
    }
    let postings_of = |t: usize| part(&postings_flat, &start, t);
    let doc_freq = |postings: &[(u32, u8, u32)]| {
        let mut n = 0usize;
        let mut last = None;
        for (item, _, _) in postings {
            if last != Some(*item) {
                n += 1;
                last = Some(*item);
            }
        }
        n
    };
    let mut is_rare: Vec<bool> = Vec::with_capacity(sorted.len());
    for t in 0..sorted.len() {
        let postings = postings_of(t);
        is_rare.push((2..=RARE_MAX_DF).contains(&doc_freq(postings)));
        pause_after(pace, 1 + postings.len()).await;
    }

    // Groups per event name, for salience's rarity.
    let mut same_name: Vec<u32> = vec![0; tables.strings.len()];
    for g in groups {
        if let Some(n) = same_name.get_mut(g.analyzed.name as usize) {
            *n += 1;
        }
    }

    let mut items_w = Writer::default();
    let mut ids = Writer::default();
    // Groups' newest times are stored as ms before the newest of all.
    let time_base = groups
        .iter()
        .filter_map(|g| times_of(g).first().copied())
        .max()
        .unwrap_or(0);
    let mut record_at: Vec<usize> = Vec::with_capacity(items.len() + 1);
    let mut props_w = Writer::default();
    let mut totals = [0f64; FIELD_COUNT];
    let memory_of = |i: usize| i.checked_sub(traits.len()).and_then(|m| memories.get(m));
    let group_of = |i: usize| {
        i.checked_sub(traits.len() + memories.len())
            .and_then(|g| groups.get(g))
    };
    // Each item's rare value terms, in one buffer reused item after item.
    let mut rare: Vec<u32> = Vec::new();
    for (i, a) in items.iter().enumerate() {
        pause_after(pace, 1 + a.terms.len() + a.props.len() + a.dates.len()).await;
        record_at.push(items_w.len());
        let group = group_of(i);
        let memory = memory_of(i).filter(|_| group.is_none());
        let kind = match (group, memory) {
            (Some(_), _) => codec::KIND_GROUP,
            (None, Some(_)) => codec::KIND_MEMORY,
            (None, None) => codec::KIND_TRAIT,
        };
        let mut tag = kind | (a.value_kind.code() << 5);
        if a.audience {
            tag |= codec::TAG_AUDIENCE;
        }
        if a.open {
            tag |= codec::TAG_OPEN;
        }
        if a.withheld.is_some() {
            tag |= codec::TAG_WITHHELD;
        }
        items_w.u8(tag);
        write_ref(&mut items_w, strings.offset(a.name));
        match (group, memory) {
            (Some(g), _) => {
                items_w.size(props_w.len());
                items_w.size(a.props.len());
                for (k, v) in &a.props {
                    write_ref(&mut props_w, strings.offset(*k));
                    write_ref(&mut props_w, strings.offset(*v));
                }
                items_w.size(ids.len());
                codec::write_id(&mut ids, g.id);
                let times = times_of(g);
                items_w.size(times.len());
                let newest = times.first().copied().unwrap_or(time_base);
                items_w.ms(u64::try_from(time_base.saturating_sub(newest)).unwrap_or(0));
                items_w.size(same_name.get(a.name as usize).map_or(1, |n| *n as usize));
            }
            (None, m) => {
                write_ref(&mut items_w, strings.offset(a.text));
                if let Some(class) = a.withheld {
                    items_w.u8(codec::pii_code(class));
                }
                if let Some((_, noted, id)) = m {
                    items_w.signed(*noted);
                    items_w.size(ids.len());
                    codec::write_id(&mut ids, id);
                }
            }
        }
        for (len, total) in a.lens.iter().zip(totals.iter_mut()) {
            items_w.varint(u64::from(*len));
            *total += f64::from(*len);
        }
        items_w.size(a.dates.len());
        for (first, last) in &a.dates {
            items_w.signed(*first);
            items_w.varint(u64::try_from(last.saturating_sub(*first)).unwrap_or(0));
        }
        rare.clear();
        rare.extend(
            a.terms
                .iter()
                .filter(|(_, field, _)| *field == Field::Values as u8)
                .filter_map(|(term, _, _)| term_id.get(*term as usize).copied())
                .filter(|t| is_rare.get(*t as usize).copied().unwrap_or(false)),
        );
        rare.sort_unstable();
        rare.dedup();
        items_w.size(rare.len());
        let mut prev = 0;
        for t in &rare {
            items_w.varint(u64::from(t - prev));
            prev = *t;
        }
    }
    record_at.push(items_w.len());
    // Two bytes an offset when the records fit 64 KiB (most profiles), else four.
    let offset_width = if items_w.len() <= usize::from(u16::MAX) {
        2
    } else {
        4
    };
    let mut item_at = Writer::default();
    for at in record_at {
        let at = u32::try_from(at).unwrap_or(u32::MAX);
        item_at.bytes(at.to_le_bytes().get(..offset_width).unwrap_or_default());
    }

    // Every term's postings coded into one buffer, where each term's start and end are noted.
    let mut coded = Writer::default();
    let mut coded_at: Vec<usize> = Vec::with_capacity(sorted.len() + 1);
    coded_at.push(0);
    for list in (0..sorted.len()).map(postings_of) {
        pause_after(pace, 1 + list.len()).await;
        let mut prev = 0u32;
        for (item, field, tf) in list {
            let delta = u64::from(item - prev);
            prev = *item;
            let more = u64::from(*tf > 1);
            coded.varint(delta << 3 | u64::from(*field) << 1 | more);
            if *tf > 1 {
                coded.varint(u64::from(tf - 2));
            }
        }
        coded_at.push(coded.len());
    }
    let mut terms_w = Writer::default();
    crate::snapshot::terms::write(
        &mut terms_w,
        sorted
            .iter()
            .map(|id| tables.terms.text(*id))
            .zip((0..sorted.len()).map(|t| part(&coded.out, &coded_at, t))),
    );

    pause_after(pace, sorted.len()).await;

    // Every occurrence, oldest first (ties by item), with a block index.
    let first_group = traits.len() + memories.len();
    let mut occurrences: Vec<(i64, u32)> = Vec::new();
    for (g, input) in groups.iter().enumerate() {
        let item = u32::try_from(first_group + g).unwrap_or(u32::MAX);
        occurrences.extend(times_of(input).iter().map(|t| (*t, item)));
    }
    occurrences.sort_unstable();
    let mut times_w = Writer::default();
    let mut time_at = Writer::default();
    let mut prev = occurrences.first().map_or(0, |o| o.0);
    for (i, (time, item)) in occurrences.iter().enumerate() {
        if i % TIME_BLOCK == 0 {
            time_at.u64(*time as u64);
            time_at.u32(u32::try_from(times_w.len()).unwrap_or(u32::MAX));
        }
        times_w.ms(u64::try_from(time.saturating_sub(prev)).unwrap_or(0));
        times_w.varint(u64::from(*item));
        prev = *time;
    }

    pause_after(pace, occurrences.len()).await;

    // Every date found in a value, by first instant (ties by item), for time expressions.
    let mut all_dates: Vec<(i64, i64, u32)> = Vec::new();
    for (i, a) in (0u32..).zip(&items) {
        all_dates.extend(a.dates.iter().map(|(first, last)| (*first, *last, i)));
    }
    all_dates.sort_unstable();
    let mut dates_w = Writer::default();
    let mut prev_first = 0i64;
    for (first, last, item) in &all_dates {
        dates_w.signed(first.saturating_sub(prev_first));
        dates_w.varint(u64::try_from(last.saturating_sub(*first)).unwrap_or(0));
        dates_w.varint(u64::from(*item));
        prev_first = *first;
    }

    let profile_id = strings.offset(profile_id);
    let n = items.len().max(1) as f64;
    let meta = Meta {
        profile_id,
        target,
        updated_at_ms,
        zone,
        traits: traits.len() + memories.len(),
        memories: memories.len(),
        groups: groups.len(),
        occurrences: occurrences.len(),
        terms: sorted.len(),
        avg_field_len: totals.map(|t| (t / n) as f32),
        offset_width,
        time_base,
    };
    let mut meta_w = Writer::default();
    write_meta(&mut meta_w, &meta);

    let mut sections: [Vec<u8>; SECTIONS] = Default::default();
    for (section, bytes) in [
        (Section::Meta, meta_w.out),
        (Section::Strings, strings.out.out),
        (Section::Items, items_w.out),
        (Section::ItemAt, item_at.out),
        (Section::Props, props_w.out),
        (Section::Terms, terms_w.out),
        (Section::Times, times_w.out),
        (Section::TimeAt, time_at.out),
        (Section::Dates, dates_w.out),
        (Section::Ids, ids.out),
    ] {
        if let Some(slot) = sections.get_mut(section as usize) {
            *slot = bytes;
        }
    }
    // The sections' ranges in the sealed bytes, as loading would find them.
    let mut ranges: [std::ops::Range<usize>; SECTIONS] = Default::default();
    let mut at = codec::HEADER_LEN + codec::TABLE_LEN;
    for (range, bytes) in ranges.iter_mut().zip(&sections) {
        *range = at..at + bytes.len();
        at += bytes.len();
    }
    let bytes = codec::sealed(sections);
    // The dictionary is read from the bytes when a ranking first asks for it: a publication
    // only needs the bytes.
    Snapshot {
        bytes,
        sections: ranges,
        meta,
        terms: std::sync::OnceLock::new(),
    }
}

fn write_meta(w: &mut Writer, meta: &Meta) {
    write_ref(w, meta.profile_id);
    w.u8(match meta.target {
        Target::Server => 0,
        Target::Browser => 1,
    });
    match meta.updated_at_ms {
        Some(t) => {
            w.u8(1);
            w.signed(t);
        }
        None => w.u8(0),
    }
    match meta.zone {
        Some(z) => {
            w.u8(1);
            w.signed(i64::from(z.standard_minutes));
            w.u8(dst_code(z.dst));
        }
        None => w.u8(0),
    }
    w.size(meta.traits);
    w.size(meta.memories);
    w.size(meta.groups);
    w.size(meta.occurrences);
    w.size(meta.terms);
    w.u8(u8::try_from(meta.offset_width).unwrap_or(4));
    w.signed(meta.time_base);
    for avg in meta.avg_field_len {
        w.u32(avg.to_bits());
    }
}
