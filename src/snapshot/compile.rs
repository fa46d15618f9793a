//! Compilation: a [`Profile`] becomes a [`Snapshot`] under a [`PrivacyPolicy`]. Events are grouped,
//! every field is analyzed into terms, strings are interned, and personal data is withheld or
//! removed here ([`PrivacyPolicy`] applied to every trait and property, nested members included),
//! before any of it reaches the snapshot's text. Display text is normalized and instruction phrases
//! are defused here too ([`crate::text::defuse()`]), with Unicode's full compatibility folding,
//! which the request path does not carry.
//!
//! Two steps: each trait, memory and event group is *analyzed* on its own (the policy, the
//! analyzer, the dates in its values), then the analyzed items are *assembled* into the byte
//! layout ([`super::codec`], in `compile/assemble.rs`). A [`Compiler`] keeps what it analyzed, so compiling a person's
//! profile again after an update analyzes only the items the update changed, and assembling is
//! linear in the snapshot's size.

mod assemble;
mod intern;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::pace::{self, Pace, Unpaced};
use super::{Field, Snapshot, ValueKind, FIELD_COUNT};
use crate::policy::{Applied, PiiClass, PrivacyPolicy, Target};
use crate::profile::{Event, Memory, Profile, Value};
use crate::text::cues::OPEN_STATE_WORDS;
use crate::text::initials::initialisms;
use crate::text::Analyzer;
use crate::time::scan::dates_in;
use crate::time::zone::Zone;
use crate::time::DAY_MS;
use intern::Interner;

/// Compiles a profile under a privacy policy.
pub fn compile(profile: &Profile, policy: &PrivacyPolicy) -> Snapshot {
    Compiler::new(policy.clone()).compile(profile)
}

/// A trait as [`Compiler::compile_parts`] reads it.
#[derive(Debug, Clone, Copy)]
pub struct TraitRef<'p> {
    /// The trait key.
    pub key: &'p str,
    /// Its value.
    pub value: &'p Value,
    /// Whether it is an audience membership.
    pub audience: bool,
}

/// Compiles one person's profile again and again (the Worker's person object does, after every
/// update): what it analyzed is kept, by trait key and value, by memory, by event group, and
/// which group each event went to by its message id (an event never changes). So a new event
/// that joins a known group, or a changed trait, costs its own analysis and the assembly, not the
/// whole profile's; what the profile no longer holds is forgotten.
#[derive(Debug)]
pub struct Compiler {
    policy: PrivacyPolicy,
    /// Traits by key: the value they were analyzed from, the result (`None`: removed), and the
    /// compilation that last saw them.
    traits: HashMap<String, (Value, Option<Arc<Analyzed>>, u32)>,
    /// Memories by id.
    memories: HashMap<String, (Memory, Option<Analyzed>, u32)>,
    /// The policy's verdicts on event names, property keys and scalar property values.
    seen: Seen,
    /// Event groups by slot.
    groups: Vec<Option<Group>>,
    /// The slot of each group's key, and slots free for reuse.
    group_slots: HashMap<GroupKey, u32>,
    free_slots: Vec<u32>,
    /// Each event's group slot by message id, with the compilation that last saw it.
    events: HashMap<String, (u32, u32)>,
    /// Counts compilations, to forget what the latest no longer saw.
    generation: u32,
    /// The numbers of the terms and display strings of what was analyzed.
    tables: Tables,
    /// The person's zone what was analyzed was read in.
    zone: Option<Zone>,
    /// How many items, in [`Compiler::warm`]'s order, the warming under way found analyzed.
    warm_cursor: usize,
    /// Set by a person's state: which state, and how many bytes of rows it had written, when this
    /// compiler last analyzed all of it ([`crate::state::PersonState::warm`]).
    pub(crate) seen_state: Option<(u64, u64)>,
}

/// The compiler's numbered terms and display strings ([`Interner`]).
#[derive(Debug, Default)]
struct Tables {
    terms: Interner,
    strings: Interner,
}

impl Tables {
    /// Renumbers `a` from `old`'s numbers to this table's.
    fn renumber(&mut self, old: &Tables, a: &mut Analyzed) {
        for (term, _, _) in &mut a.terms {
            *term = self.terms.intern(old.terms.text(*term));
        }
        a.name = self.strings.intern(old.strings.text(a.name));
        a.text = self.strings.intern(old.strings.text(a.text));
        for (k, v) in &mut a.props {
            *k = self.strings.intern(old.strings.text(*k));
            *v = self.strings.intern(old.strings.text(*v));
        }
    }
}

/// Numbers kept without use before the tables are renumbered: past this many, and past twice
/// what the latest snapshot used.
const TABLE_SLACK: usize = 4096;

/// An event group's identity: its name and properties as displayed (after the policy).
type GroupKey = (String, Vec<(String, String)>);

/// An event group the compiler keeps.
#[derive(Debug)]
struct Group {
    key: GroupKey,
    analyzed: Analyzed,
    /// Its newest event's message id, and that id as shown under the policy (derived again
    /// only when a newer event joins).
    shown: Option<(String, String)>,
}

/// One item as compilation derived it; strings and terms by their numbers in the compiler's
/// [`Tables`].
#[derive(Debug, Clone)]
struct Analyzed {
    name: u32,
    text: u32,
    value_kind: ValueKind,
    audience: bool,
    withheld: Option<PiiClass>,
    props: Vec<(u32, u32)>,
    /// `(term, field, frequency)`; a term's fields in field order.
    terms: Vec<(u32, u8, u32)>,
    lens: [u32; FIELD_COUNT],
    dates: Vec<(i64, i64)>,
    open: bool,
}

impl Compiler {
    /// A compiler for one policy.
    pub fn new(policy: PrivacyPolicy) -> Self {
        Compiler {
            policy,
            traits: HashMap::new(),
            memories: HashMap::new(),
            seen: Seen::default(),
            groups: Vec::new(),
            group_slots: HashMap::new(),
            free_slots: Vec::new(),
            events: HashMap::new(),
            generation: 0,
            tables: Tables::default(),
            zone: None,
            warm_cursor: 0,
            seen_state: None,
        }
    }

    /// The policy it compiles under.
    pub fn policy(&self) -> &PrivacyPolicy {
        &self.policy
    }

    /// The snapshot of `profile` under the compiler's policy.
    pub fn compile(&mut self, profile: &Profile) -> Snapshot {
        let traits = profile.traits.iter().map(|t| TraitRef {
            key: &t.key,
            value: &t.value,
            audience: t.audience,
        });
        self.compile_parts(
            &profile.profile_id,
            profile.updated_at_ms,
            traits,
            profile.memories.iter(),
            &profile.events,
        )
    }

    /// [`Compiler::compile`] of a profile given as its parts, borrowed where its owner keeps them
    /// (the person object's state), so that nothing is copied to compile it: traits in profile
    /// order, memories newest first, events in any order.
    pub fn compile_parts<'p>(
        &mut self,
        profile_id: &str,
        updated_at_ms: Option<i64>,
        traits: impl IntoIterator<Item = TraitRef<'p>>,
        memories: impl IntoIterator<Item = &'p Memory>,
        events: impl IntoIterator<Item = &'p Event>,
    ) -> Snapshot {
        let assembly = self.prepare(profile_id, updated_at_ms, traits, memories, events);
        let snapshot = pace::ready(assembly.run(&mut Unpaced));
        drop(assembly);
        self.assembled(&snapshot);
        snapshot
    }

    /// [`Compiler::compile_parts`] up to the assembly: what changed is analyzed, and the
    /// assembly, which borrows this compiler only (not the profile's parts), is handed back to
    /// run, in slices if need be ([`Assembly::run`] with a [`Pace`]); then
    /// [`Compiler::assembled`].
    pub fn prepare<'p>(
        &mut self,
        profile_id: &str,
        updated_at_ms: Option<i64>,
        traits: impl IntoIterator<Item = TraitRef<'p>>,
        memories: impl IntoIterator<Item = &'p Memory>,
        events: impl IntoIterator<Item = &'p Event>,
    ) -> Assembly<'_> {
        let plan = self.plan(profile_id, updated_at_ms, traits, memories, events);
        self.assembly(plan)
    }

    /// The analysis of [`Compiler::prepare`]: every part looked up, what changed analyzed, the
    /// groups gathered and ordered. (A person's state marks the compiler as having seen it
    /// between this and [`Compiler::assembly`].)
    pub(crate) fn plan<'p>(
        &mut self,
        profile_id: &str,
        updated_at_ms: Option<i64>,
        traits: impl IntoIterator<Item = TraitRef<'p>>,
        memories: impl IntoIterator<Item = &'p Memory>,
        events: impl IntoIterator<Item = &'p Event>,
    ) -> Plan {
        let memories: Vec<&Memory> = memories.into_iter().collect();
        self.warm_cursor = 0;
        self.generation = self.generation.wrapping_add(1);
        let generation = self.generation;
        let traits: Vec<TraitRef> = traits.into_iter().collect();
        let zone = profile_zone(traits.iter().copied());
        self.adopt_zone(zone);
        let policy = &self.policy;
        // Traits: analyzed again only when the value changed; each looked up once.
        let mut trait_items: Vec<Arc<Analyzed>> = Vec::with_capacity(traits.len());
        for t in &traits {
            let analyzed = match self.traits.get_mut(t.key) {
                Some((value, analyzed, seen)) if value == t.value => {
                    *seen = generation;
                    analyzed.clone()
                }
                _ => {
                    let analyzed = analyze_trait(policy, t, zone, &mut self.tables).map(Arc::new);
                    self.traits.insert(
                        t.key.to_string(),
                        (t.value.clone(), analyzed.clone(), generation),
                    );
                    analyzed
                }
            };
            trait_items.extend(analyzed);
        }
        self.traits.retain(|_, (_, _, seen)| *seen == generation);
        for m in memories.iter().copied() {
            match self.memories.get_mut(&m.id) {
                Some((old, _, seen)) if old == m => *seen = generation,
                _ => {
                    let analyzed = analyze_memory(policy, m, zone, &mut self.tables);
                    self.memories
                        .insert(m.id.clone(), (m.clone(), analyzed, generation));
                }
            }
        }
        self.memories.retain(|_, (_, _, seen)| *seen == generation);
        // Events into their groups: a known message id goes where it went before. Each
        // occurrence is noted in the order given (newest first from a person's state), then
        // gathered by slot.
        let mut noted: Vec<(u32, i64, &'p str)> = Vec::new();
        for e in events {
            let slot = match self.events.get_mut(&e.message_id) {
                Some((slot, seen)) => {
                    *seen = generation;
                    *slot
                }
                None => {
                    let slot = self.group_of(e, zone);
                    self.events.insert(e.message_id.clone(), (slot, generation));
                    slot
                }
            };
            noted.push((slot, e.timestamp_ms, &e.message_id));
        }
        self.events.retain(|_, (_, seen)| *seen == generation);
        let (slot_order, by_slot, slot_start) = gather_by_slot(&noted, self.groups.len());
        drop(noted);
        // Groups no event is in any more are forgotten, their slots reused.
        for slot in 0..self.groups.len() {
            if part(&by_slot, &slot_start, slot).is_empty() {
                if let Some(Some(group)) = self.groups.get_mut(slot).map(Option::take) {
                    self.group_slots.remove(&group.key);
                    self.free_slots
                        .push(u32::try_from(slot).unwrap_or(u32::MAX));
                }
            }
        }
        // Newest groups first (ties by id): a stable, useful order for inspection and ties.
        // Slots come in the order their newest occurrence was met, so this sort finds its
        // input sorted when the events came newest first.
        let mut grouped: Vec<(usize, &[(i64, &str)])> = slot_order
            .iter()
            .map(|slot| (*slot, part(&by_slot, &slot_start, *slot)))
            .collect();
        grouped.sort_by(|a, b| {
            let (ta, ia) = a.1.first().copied().unwrap_or((0, ""));
            let (tb, ib) = b.1.first().copied().unwrap_or((0, ""));
            tb.cmp(&ta).then_with(|| ia.cmp(ib))
        });
        // Each group's id as shown: its newest event's, derived when that event changed.
        let policy = &self.policy;
        for (slot, occ) in &grouped {
            let newest = occ.first().map_or("", |(_, id)| *id);
            if let Some(Some(group)) = self.groups.get_mut(*slot) {
                if group.shown.as_ref().is_none_or(|(raw, _)| raw != newest) {
                    let shown = truncate_to(&policy.text("", newest), MAX_ID_BYTES).to_string();
                    group.shown = Some((newest.to_string(), shown));
                }
            }
        }
        let profile_id = self.tables.strings.intern(profile_id);
        // New terms are put in text order now: the assembly only reads the tables.
        self.tables.terms.order_new();
        // The groups' occurrence times, laid out flat in group order.
        let mut times: Vec<i64> = Vec::with_capacity(by_slot.len());
        let mut groups: Vec<(usize, std::ops::Range<usize>)> = Vec::with_capacity(grouped.len());
        for (slot, occ) in &grouped {
            let at = times.len();
            times.extend(occ.iter().map(|(t, _)| *t));
            groups.push((*slot, at..times.len()));
        }
        Plan {
            meta: (profile_id, updated_at_ms, self.policy.target, zone),
            traits: trait_items,
            memories: memories
                .iter()
                .map(|m| (m.id.clone(), m.created_ms))
                .collect(),
            groups,
            times,
        }
    }

    /// The assembly of what [`Compiler::plan`] analyzed, reading this compiler's tables.
    pub(crate) fn assembly(&self, plan: Plan) -> Assembly<'_> {
        let memories = plan
            .memories
            .iter()
            .filter_map(|(id, noted)| {
                let analyzed = self.memories.get(id)?.1.as_ref()?;
                Some((analyzed, *noted, truncate_to(id, MAX_ID_BYTES).into()))
            })
            .collect();
        let groups = plan
            .groups
            .into_iter()
            .filter_map(|(slot, times)| {
                let group = self.groups.get(slot)?.as_ref()?;
                Some(GroupPart {
                    analyzed: &group.analyzed,
                    id: group.shown.as_ref().map_or("", |(_, shown)| shown.as_str()),
                    times,
                })
            })
            .collect();
        Assembly {
            meta: plan.meta,
            tables: &self.tables,
            traits: plan.traits,
            memories,
            groups,
            times: plan.times,
        }
    }

    /// What follows an assembly of this compiler's: the tables are renumbered when most of
    /// their numbers are no longer used.
    pub fn assembled(&mut self, snapshot: &Snapshot) {
        self.compact_tables(
            snapshot.meta.terms,
            snapshot.meta.traits + snapshot.meta.groups,
        );
    }

    /// Renumbers the tables from what is kept when most of their numbers are no longer used
    /// (`terms` the latest snapshot used, `items` its items): a person whose values keep
    /// changing does not grow them for ever.
    fn compact_tables(&mut self, terms: usize, items: usize) {
        let strings_bound = items.saturating_mul(4);
        let terms_stale = self.tables.terms.len() > terms.saturating_mul(2) + TABLE_SLACK;
        let strings_stale = self.tables.strings.len() > strings_bound + TABLE_SLACK;
        if !terms_stale && !strings_stale {
            return;
        }
        let old = std::mem::take(&mut self.tables);
        let tables = &mut self.tables;
        let analyzed = self
            .traits
            .values_mut()
            .filter_map(|(_, a, _)| a.as_mut().map(Arc::make_mut))
            .chain(
                self.memories
                    .values_mut()
                    .filter_map(|(_, a, _)| a.as_mut()),
            )
            .chain(
                self.groups
                    .iter_mut()
                    .filter_map(|g| g.as_mut().map(|g| &mut g.analyzed)),
            );
        for a in analyzed {
            tables.renumber(&old, a);
        }
    }

    /// Whether `traits` put the person in the zone what this compiler analyzed was read in (when
    /// not, the next compilation or warming analyzes everything again).
    pub(crate) fn reads_zone_of<'p>(&self, traits: impl Iterator<Item = TraitRef<'p>>) -> bool {
        profile_zone(traits) == self.zone
    }

    /// Dates in values are read in the person's zone: when it changed, what was analyzed in
    /// another is analyzed again.
    fn adopt_zone(&mut self, zone: Option<Zone>) {
        if zone != self.zone {
            let generation = self.generation;
            *self = Compiler::new(self.policy.clone());
            self.generation = generation;
            self.zone = zone;
        }
    }

    /// Analyzes ahead of [`Compiler::compile_parts`] what it has not analyzed yet (changed
    /// traits, new memories, events of groups not seen), until about `budget` bytes of values
    /// were read; returns whether nothing is left. A caller that must not hold its thread for
    /// long (the Worker, whose isolate serves other people meanwhile) spreads a first
    /// compilation over several turns this way; the compilation that follows only assembles.
    pub fn warm<'p>(
        &mut self,
        traits: impl IntoIterator<Item = TraitRef<'p>>,
        memories: impl IntoIterator<Item = &'p Memory>,
        events: impl IntoIterator<Item = &'p Event>,
        budget: usize,
    ) -> bool {
        let traits: Vec<TraitRef> = traits.into_iter().collect();
        self.adopt_zone(profile_zone(traits.iter().copied()));
        let (zone, generation) = (self.zone, self.generation);
        // Items before the cursor were found analyzed by the calls before: not looked up again,
        // so that warming in many slices stays linear. (One the state changed since is analyzed
        // by the compilation, as any item warming missed.)
        let skip = self.warm_cursor;
        let mut position = 0usize;
        let mut spent = 0usize;
        for t in &traits {
            position += 1;
            if position <= skip
                || matches!(self.traits.get(t.key), Some((value, _, _)) if value == t.value)
            {
                continue;
            }
            if spent >= budget {
                self.warm_cursor = position - 1;
                return false;
            }
            spent += t.key.len() + value_bytes(t.value);
            let analyzed = analyze_trait(&self.policy, t, zone, &mut self.tables).map(Arc::new);
            self.traits
                .insert(t.key.to_string(), (t.value.clone(), analyzed, generation));
        }
        for m in memories {
            position += 1;
            if position <= skip || matches!(self.memories.get(&m.id), Some((old, _, _)) if old == m)
            {
                continue;
            }
            if spent >= budget {
                self.warm_cursor = position - 1;
                return false;
            }
            spent += m.text.len();
            let analyzed = analyze_memory(&self.policy, m, zone, &mut self.tables);
            self.memories
                .insert(m.id.clone(), (m.clone(), analyzed, generation));
        }
        for e in events {
            position += 1;
            if position <= skip || self.events.contains_key(&e.message_id) {
                continue;
            }
            if spent >= budget {
                self.warm_cursor = position - 1;
                return false;
            }
            spent += e.name.len()
                + e.properties
                    .iter()
                    .map(|(k, v)| k.len() + value_bytes(v))
                    .sum::<usize>();
            let slot = self.group_of(e, zone);
            self.events.insert(e.message_id.clone(), (slot, generation));
        }
        self.warm_cursor = 0;
        true
    }

    /// The group slot of an event not seen before: its name and properties under the policy,
    /// analyzed when no known group has them.
    fn group_of(&mut self, e: &Event, zone: Option<Zone>) -> u32 {
        let policy = &self.policy;
        let props: Vec<(String, String)> = e
            .properties
            .iter()
            .filter_map(|(k, v)| {
                let text = self.seen.property(policy, k, v)?;
                Some((self.seen.text(policy, k), text))
            })
            .collect();
        let key: GroupKey = (self.seen.text(policy, &e.name), props);
        if let Some(slot) = self.group_slots.get(&key) {
            return *slot;
        }
        let analyzed = analyze_group(&key, zone, &mut self.tables);
        let slot = match self.free_slots.pop() {
            Some(slot) => slot,
            None => {
                self.groups.push(None);
                u32::try_from(self.groups.len() - 1).unwrap_or(u32::MAX)
            }
        };
        if let Some(place) = self.groups.get_mut(slot as usize) {
            *place = Some(Group {
                key: key.clone(),
                analyzed,
                shown: None,
            });
        }
        self.group_slots.insert(key, slot);
        slot
    }
}

/// What [`Compiler::plan`] found, owned: the assembly looks its items up in the compiler.
pub(crate) struct Plan {
    meta: (u32, Option<i64>, Target, Option<Zone>),
    traits: Vec<Arc<Analyzed>>,
    /// Memory ids and the times they were noted, newest first.
    memories: Vec<(String, i64)>,
    /// Group slots in snapshot order, with their ranges of `times`.
    groups: Vec<(usize, std::ops::Range<usize>)>,
    times: Vec<i64>,
}

/// A compilation's analyzed items, ready to be assembled ([`Compiler::prepare`]). It borrows
/// the compiler, not what was compiled (the person's state may change while it runs in slices).
pub struct Assembly<'c> {
    meta: (u32, Option<i64>, Target, Option<Zone>),
    tables: &'c Tables,
    traits: Vec<Arc<Analyzed>>,
    /// With the time each was noted and its id.
    memories: Vec<(&'c Analyzed, i64, Box<str>)>,
    groups: Vec<GroupPart<'c>>,
    /// Every group's occurrence times, newest first within a group.
    times: Vec<i64>,
}

/// A group to assemble: what was analyzed, its id, and where its occurrences' times (newest
/// first) lie in [`Assembly::times`].
struct GroupPart<'c> {
    analyzed: &'c Analyzed,
    id: &'c str,
    times: std::ops::Range<usize>,
}

impl Assembly<'_> {
    /// The snapshot's bytes laid out, telling `pace` the work done and pausing when it asks.
    pub async fn run<P: Pace>(&self, pace: &mut P) -> Snapshot {
        assemble::assemble(self, pace).await
    }
}

/// Part `t` of a flat list whose parts start at `bounds[t]` and end at `bounds[t + 1]`.
fn part<'a, T>(flat: &'a [T], bounds: &[usize], t: usize) -> &'a [T] {
    flat.get(part_range(bounds, t)).unwrap_or_default()
}

/// Where part `t` lies (see [`part`]).
fn part_range(bounds: &[usize], t: usize) -> std::ops::Range<usize> {
    bounds.get(t).copied().unwrap_or(0)..bounds.get(t + 1).copied().unwrap_or(0)
}

/// Occurrences `(slot, time, message id)` gathered by slot (a counting sort, so linear): the
/// slots in the order their first occurrence was met, every slot's occurrences newest first
/// (ties by id), and where each of the `slots` slots' part of that list starts.
#[allow(clippy::type_complexity)]
fn gather_by_slot<'p>(
    noted: &[(u32, i64, &'p str)],
    slots: usize,
) -> (Vec<usize>, Vec<(i64, &'p str)>, Vec<usize>) {
    let mut count = vec![0usize; slots];
    let mut order = Vec::new();
    for (slot, _, _) in noted {
        if let Some(c) = count.get_mut(*slot as usize) {
            if *c == 0 {
                order.push(*slot as usize);
            }
            *c += 1;
        }
    }
    let mut start = Vec::with_capacity(slots + 1);
    let mut total = 0;
    for c in &count {
        start.push(total);
        total += c;
    }
    start.push(total);
    let mut fill = start.clone();
    let mut by_slot = vec![(0i64, ""); total];
    for (slot, time, id) in noted {
        if let Some(at) = fill.get_mut(*slot as usize) {
            if let Some(place) = by_slot.get_mut(*at) {
                *place = (*time, *id);
            }
            *at += 1;
        }
    }
    let newest_first = |a: &(i64, &str), b: &(i64, &str)| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1));
    for slot in &order {
        if let Some(occ) = by_slot.get_mut(part_range(&start, *slot)) {
            if !occ.is_sorted_by(|a, b| newest_first(a, b).is_le()) {
                occ.sort_unstable_by(newest_first);
            }
        }
    }
    (order, by_slot, start)
}

/// Analyzes the terms of an item's fields; the initialisms of its name and values are added in
/// [`Field::Initials`], once each.
fn analyze_terms(
    fields: &[(Field, &str)],
    terms_table: &mut Interner,
) -> (Vec<(u32, u8, u32)>, [u32; FIELD_COUNT], bool) {
    let mut counts: BTreeMap<(String, u8), u32> = BTreeMap::new();
    let mut initials: Vec<String> = Vec::new();
    let mut scratch: Vec<String> = Vec::new();
    for (field, text) in fields {
        scratch.clear();
        Analyzer::index_terms(text, &mut scratch);
        if matches!(field, Field::Name | Field::Values) {
            initialisms(text, &mut initials);
        }
        for term in scratch.drain(..) {
            let tf = counts.entry((term, *field as u8)).or_insert(0);
            *tf = tf.saturating_add(1);
        }
    }
    for term in initials {
        counts.insert((term, Field::Initials as u8), 1);
    }
    let mut lens = [0u32; FIELD_COUNT];
    let open = holds_open_state(counts.keys().map(|(term, _)| term.as_str()));
    let terms: Vec<(u32, u8, u32)> = counts
        .into_iter()
        .map(|((term, field), tf)| {
            if let Some(l) = lens.get_mut(usize::from(field)) {
                *l = l.saturating_add(tf);
            }
            (terms_table.intern(&term), field, tf)
        })
        .collect();
    (terms, lens, open)
}

/// Whether any of the terms is a word of an open state (pending, failed, due…), for salience.
/// The words' terms are derived once per process, sorted for a binary search per term.
fn holds_open_state<'t>(mut terms: impl Iterator<Item = &'t str>) -> bool {
    static OPEN_TERMS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let open = OPEN_TERMS.get_or_init(|| {
        let mut terms: Vec<String> = OPEN_STATE_WORDS.iter().map(|w| Analyzer::term(w)).collect();
        terms.sort_unstable();
        terms
    });
    terms.any(|t| open.binary_search_by(|o| o.as_str().cmp(t)).is_ok())
}

fn item(
    (name, text): (&str, &str),
    fields: &[(Field, &str)],
    date_texts: &[&str],
    zone: Option<Zone>,
    tables: &mut Tables,
) -> Analyzed {
    let (terms, lens, open) = analyze_terms(fields, &mut tables.terms);
    Analyzed {
        name: tables.strings.intern(name),
        text: tables.strings.intern(text),
        value_kind: ValueKind::Text,
        audience: false,
        withheld: None,
        props: Vec::new(),
        terms,
        lens,
        dates: dates(date_texts, zone),
        open,
    }
}

/// A trait under the policy: `None` when removed, or withheld for the browser.
fn analyze_trait(
    policy: &PrivacyPolicy,
    t: &TraitRef,
    zone: Option<Zone>,
    tables: &mut Tables,
) -> Option<Analyzed> {
    let (text, withheld) = match policy.apply(t.key, t.value) {
        Applied::Remove => return None,
        Applied::Withheld(_) if policy.target == Target::Browser => return None,
        Applied::Withheld(class) => (String::new(), Some(class)),
        Applied::Text(text) => (defused(&text), None),
    };
    let fields = [(Field::Name, t.key), (Field::Values, text.as_str())];
    let mut a = item((t.key, &text), &fields, &[text.as_str()], zone, tables);
    a.value_kind = kind_of(t.value);
    a.audience = t.audience;
    a.withheld = withheld;
    Some(a)
}

/// A memory as a trait record: its key (or `memory`) and text go through the policy like a
/// trait's; its category is a name term too. `None` when the policy removes it, or withholds it
/// for the browser.
fn analyze_memory(
    policy: &PrivacyPolicy,
    m: &Memory,
    zone: Option<Zone>,
    tables: &mut Tables,
) -> Option<Analyzed> {
    let key = m.key.as_deref().unwrap_or("");
    let policy_key = if key.is_empty() { "memory" } else { key };
    let (text, withheld) = match policy.apply(policy_key, &Value::Text(m.text.clone())) {
        Applied::Remove => return None,
        Applied::Withheld(_) if policy.target == Target::Browser => return None,
        Applied::Withheld(class) => (String::new(), Some(class)),
        Applied::Text(text) => (defused(&text), None),
    };
    let key = defused(&policy.text(policy_key, key));
    let category = defused(&policy.text("category", m.category.as_deref().unwrap_or("")));
    let fields = [
        (Field::Name, key.as_str()),
        (Field::Name, category.as_str()),
        (Field::Values, text.as_str()),
    ];
    let mut a = item((&key, &text), &fields, &[text.as_str()], zone, tables);
    a.withheld = withheld;
    Some(a)
}

fn analyze_group((name, props): &GroupKey, zone: Option<Zone>, tables: &mut Tables) -> Analyzed {
    let mut fields: Vec<(Field, &str)> = vec![(Field::Name, name.as_str())];
    for (k, v) in props {
        fields.push((Field::Keys, k));
        fields.push((Field::Values, v));
    }
    let values: Vec<&str> = props.iter().map(|(_, v)| v.as_str()).collect();
    let mut a = item((name, ""), &fields, &values, zone, tables);
    a.props = props
        .iter()
        .map(|(k, v)| (tables.strings.intern(k), tables.strings.intern(v)))
        .collect();
    a
}

/// Most dates kept per item: enough for an event's start, end and deadline, or an object trait's
/// several dates, and a bound on what a hostile value can add.
const MAX_DATES_PER_ITEM: usize = 16;

/// The dates in an item's value texts, as instants: a date-time with an offset as it is, one
/// without in the person's zone, a plain date as its whole local day.
fn dates(texts: &[&str], zone: Option<Zone>) -> Vec<(i64, i64)> {
    let zone = zone.unwrap_or(Zone::UTC);
    let mut out = Vec::new();
    for text in texts {
        let room = MAX_DATES_PER_ITEM.saturating_sub(out.len());
        for stamp in dates_in(text, room) {
            let first = if stamp.zoned {
                stamp.ms
            } else {
                zone.to_utc(stamp.ms)
            };
            let last = if stamp.date_only {
                zone.to_utc(stamp.ms.saturating_add(DAY_MS)) - 1
            } else {
                first
            };
            out.push((first, last.max(first)));
        }
    }
    out
}

/// The person's time zone: the first trait whose key says time zone (`timezone`, `time_zone`,
/// `tz`) and whose value names one ([`Zone::named`]).
fn profile_zone<'p>(mut traits: impl Iterator<Item = TraitRef<'p>>) -> Option<Zone> {
    traits.find_map(|t| {
        // Most keys are ASCII and say nothing of zones: skip them without splitting them.
        if t.key.is_ascii() && !mentions_zone(t.key.as_bytes()) {
            return None;
        }
        let words = crate::text::key_words(t.key);
        let says_zone = words == "tz"
            || words.ends_with("timezone")
            || words.ends_with("time zone")
            || words.ends_with(" tz");
        match t.value {
            Value::Text(name) if says_zone => Zone::named(name),
            _ => None,
        }
    })
}

/// Whether an ASCII key holds `tz` or `zone` in any case: one pass over its bytes, each `z`
/// looked at with its neighbours (every publication asks this of every trait key).
fn mentions_zone(key: &[u8]) -> bool {
    let lower = |i: usize| key.get(i).map(|b| b.to_ascii_lowercase());
    (0..key.len()).any(|i| {
        lower(i) == Some(b'z')
            && ((i > 0 && lower(i - 1) == Some(b't'))
                || (lower(i + 1) == Some(b'o')
                    && lower(i + 2) == Some(b'n')
                    && lower(i + 3) == Some(b'e')))
    })
}

/// Longest message id kept, in bytes: ids are strings of the snapshot like any other, and the
/// import limits keep them far below this; clamp rather than trust that.
const MAX_ID_BYTES: usize = 65_535;

fn truncate_to(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

/// About how many bytes of text `v` holds (a scalar counts 8), for [`Compiler::warm`]'s budget.
fn value_bytes(v: &Value) -> usize {
    match v {
        Value::Text(t) => t.len(),
        Value::List(items) => items.iter().map(value_bytes).sum(),
        Value::Object(members) => members.iter().map(|(k, v)| k.len() + value_bytes(v)).sum(),
        _ => 8,
    }
}

fn kind_of(v: &Value) -> ValueKind {
    match v {
        Value::Null => ValueKind::Null,
        Value::Bool(_) => ValueKind::Bool,
        Value::Number(_) => ValueKind::Number,
        Value::Text(_) => ValueKind::Text,
        Value::List(_) => ValueKind::List,
        Value::Object(_) => ValueKind::Object,
    }
}

/// The policy's verdicts on event names, property keys and scalar property values, kept across
/// compilations: a profile repeats the same ones thousands of times (2,114 events, 160 groups).
#[derive(Debug, Default)]
struct Seen {
    texts: HashMap<String, String>,
    /// By property key, then by text value.
    values: HashMap<String, HashMap<String, Option<String>>>,
    /// By property key, then by number (its bits).
    numbers: HashMap<String, HashMap<u64, Option<String>>>,
}

impl Seen {
    /// An event name or property key: masked and defused.
    fn text(&mut self, policy: &PrivacyPolicy, text: &str) -> String {
        if let Some(t) = self.texts.get(text) {
            return t.clone();
        }
        let t = defused(&policy.text("", text));
        self.texts.insert(text.to_string(), t.clone());
        t
    }

    /// A property's display text, `None` when the property is removed.
    fn property(&mut self, policy: &PrivacyPolicy, key: &str, value: &Value) -> Option<String> {
        let judge = || match policy.apply(key, value) {
            Applied::Remove => None,
            Applied::Withheld(_) if policy.target == Target::Browser => None,
            Applied::Withheld(class) => Some(class.mask()),
            Applied::Text(text) => Some(defused(&text)),
        };
        match value {
            Value::Text(text) => remembered(&mut self.values, key, text.as_str(), judge),
            // Prices, quantities and counts repeat across events too.
            Value::Number(n) => remembered(&mut self.numbers, key, &n.to_bits(), judge),
            _ => judge(),
        }
    }
}

/// The verdict kept for `value` under `key`, else `judge`'s, kept.
fn remembered<K, Q>(
    kept: &mut HashMap<String, HashMap<K, Option<String>>>,
    key: &str,
    value: &Q,
    judge: impl FnOnce() -> Option<String>,
) -> Option<String>
where
    K: std::borrow::Borrow<Q> + std::hash::Hash + Eq,
    Q: ToOwned<Owned = K> + std::hash::Hash + Eq + ?Sized,
{
    if let Some(v) = kept.get(key).and_then(|m| m.get(value)) {
        return v.clone();
    }
    let v = judge();
    kept.entry(key.to_string())
        .or_default()
        .insert(value.to_owned(), v.clone());
    v
}

/// Display text with its instruction phrases and role markers defused.
fn defused(text: &str) -> String {
    crate::text::defuse(text, crate::text::base_letter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PiiClass;
    use crate::snapshot::SnapshotLimits;
    use crate::testing::profile;

    fn sample() -> Profile {
        profile("user_id:u1")
            .text("shoe_size", "10.5")
            .text("email", "a@example.com")
            .text("note", "call +1 415 555 0142")
            .audience("vip_customers", true)
            .event("m1", 1_000, "Page Viewed", &[("page", "Home")])
            .event("m2", 5_000, "Page Viewed", &[("page", "Home")])
            .event("m3", 3_000, "Login", &[("page", "Home")])
            .updated_at(9)
            .build()
    }

    #[test]
    fn zone_keys_are_told_apart_in_one_pass() {
        for key in [
            "tz",
            "TZ",
            "timezone",
            "Time_Zone",
            "user_tz",
            "zone",
            "ZONEinfo",
            "xTz",
            "ozone",
        ] {
            assert!(mentions_zone(key.as_bytes()), "{key}");
        }
        for key in ["", "z", "t", "zip", "zon", "size", "t_z", "amazon"] {
            assert!(!mentions_zone(key.as_bytes()), "{key}");
        }
    }

    #[test]
    fn groups_identical_events_newest_first() {
        let s = compile(&sample(), &PrivacyPolicy::default());
        assert_eq!(s.group_count(), 2);
        let page = s.group_at(0).unwrap();
        assert_eq!(page.name, "Page Viewed");
        assert_eq!(page.count(), 2);
        assert_eq!(page.last_message_id(), "m2");
        assert_eq!(page.occurrence_times(0), [5_000, 1_000]);
        assert_eq!(page.properties().collect::<Vec<_>>(), [("page", "Home")]);
        let other = s.group_at(1).unwrap();
        assert_eq!(other.last_message_id(), "m3");
        assert_eq!(other.occurrence_times(1), [3_000]);
        assert_eq!(s.event_count(), 3);
    }

    #[test]
    fn a_kept_group_shows_its_newest_event_and_any_event_order_compiles_alike() {
        let mut compiler = Compiler::new(PrivacyPolicy::default());
        compiler.compile(&sample());
        // A newer copy joins the known group: the group now shows the newer id.
        let newer = profile("user_id:u1")
            .event("m1", 1_000, "Page Viewed", &[("page", "Home")])
            .event("m2", 5_000, "Page Viewed", &[("page", "Home")])
            .event("m3", 3_000, "Login", &[])
            .event("m9", 7_000, "Page Viewed", &[("page", "Home")])
            .build();
        let s = compiler.compile(&newer);
        let page = s.group_at(0).unwrap();
        assert_eq!(page.last_message_id(), "m9");
        assert_eq!(page.occurrence_times(0), [7_000, 5_000, 1_000]);
        // Events in any order, ties in time included, give the bytes of newest-first order.
        let events = [
            ("b", 2_000),
            ("a", 2_000),
            ("c", 9_000),
            ("d", 1_000),
            ("e", 2_000),
        ];
        let build = |order: &[usize]| {
            order
                .iter()
                .filter_map(|i| events.get(*i))
                .fold(profile("user_id:u2"), |p, (id, at)| {
                    p.event(id, *at, "Page Viewed", &[("page", "Home")])
                })
                .build()
        };
        let sorted = compile(&build(&[2, 0, 1, 4, 3]), &PrivacyPolicy::default());
        assert_eq!(sorted.group_at(0).unwrap().last_message_id(), "c");
        let mut kept = Compiler::new(PrivacyPolicy::default());
        for order in [[3, 1, 4, 0, 2], [0, 1, 2, 3, 4], [4, 3, 2, 1, 0]] {
            assert_eq!(kept.compile(&build(&order)), sorted, "order {order:?}");
        }
    }

    #[test]
    fn server_target_withholds_and_browser_target_drops_personal_data() {
        let server = compile(&sample(), &PrivacyPolicy::new(Target::Server));
        let email = server.trait_by_key("email").unwrap();
        assert_eq!((email.text, email.withheld), ("", Some(PiiClass::Email)));
        assert_eq!(
            server.trait_by_key("note").unwrap().text,
            "call [phone withheld]"
        );
        let browser = compile(&sample(), &PrivacyPolicy::new(Target::Browser));
        assert!(browser.trait_by_key("email").is_none());
        let allowed = compile(
            &sample(),
            &PrivacyPolicy::new(Target::Browser)
                .allow("email")
                .allow("note"),
        );
        assert_eq!(allowed.trait_by_key("email").unwrap().text, "a@example.com");
        assert_eq!(
            allowed.trait_by_key("note").unwrap().text,
            "call +1 415 555 0142"
        );
        let bytes = browser.encode().unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains("example.com"));
    }

    #[test]
    fn document_frequencies_count_items_not_occurrences() {
        let s = compile(&sample(), &PrivacyPolicy::default());
        assert!(s.term_id("zebra").is_none());
        assert_eq!(s.doc_freq(s.term_id("size").unwrap()), 1);
        // "home" is in both groups (three events).
        assert_eq!(s.doc_freq(s.term_id("home").unwrap()), 2);
    }

    #[test]
    fn dates_in_values_are_kept_in_the_persons_zone() {
        let s = profile("user_id:u1")
            .text("timezone", "America/New_York")
            .text("renews_at", "2026-12-01")
            .event(
                "m1",
                1_000,
                "Order Completed",
                &[
                    ("event_date_local", "2026-11-21 20:00"),
                    ("paid_at", "2026-10-01T10:00:00Z"),
                ],
            )
            .compile();
        assert_eq!(s.zone().standard_minutes, -300);
        let at = |t: &str| crate::time::parse_timestamp(t).unwrap();
        let renews = s.trait_by_key("renews_at").unwrap().dates();
        // The whole local day of 1 December in New York (UTC−5).
        assert_eq!(
            renews,
            [(at("2026-12-01T05:00:00Z"), at("2026-12-02T05:00:00Z") - 1)]
        );
        let order = s.group_at(0).unwrap();
        let mut dates = order.dates();
        dates.sort_unstable();
        assert_eq!(
            dates,
            [
                (at("2026-10-01T10:00:00Z"), at("2026-10-01T10:00:00Z")),
                (at("2026-11-22T01:00:00Z"), at("2026-11-22T01:00:00Z")),
            ],
            "a wall-clock time without an offset is read in the person's zone"
        );
        assert!(s.trait_by_key("timezone").unwrap().dates().is_empty());
        let utc = profile("p").text("due", "2026-12-01").compile();
        assert_eq!(utc.zone(), Zone::UTC);
    }

    #[test]
    fn truthiness_follows_the_value() {
        let s = compile(&sample(), &PrivacyPolicy::default());
        assert!(s.trait_by_key("vip_customers").unwrap().is_truthy());
        assert!(!s.trait_by_key("email").unwrap().is_truthy());
    }

    #[test]
    fn a_compiled_snapshot_loads_from_its_bytes_as_it_is() {
        let s = compile(&sample(), &PrivacyPolicy::default());
        let loaded = Snapshot::decode(s.as_bytes(), &SnapshotLimits::default()).unwrap();
        assert_eq!(loaded, s);
        assert_eq!(loaded.term_id("home"), s.term_id("home"));
        assert_eq!(loaded.profile_id(), "user_id:u1");
        assert_eq!(loaded.updated_at_ms(), Some(9));
    }

    #[test]
    fn compiling_again_reuses_what_did_not_change() {
        let mut compiler = Compiler::new(PrivacyPolicy::default());
        let first = compiler.compile(&sample());
        assert_eq!(first, compile(&sample(), &PrivacyPolicy::default()));
        // The same profile again, and one with a new event and a changed trait: the same bytes
        // as a fresh compilation.
        assert_eq!(compiler.compile(&sample()), first);
        let changed = profile("user_id:u1")
            .text("shoe_size", "11")
            .text("email", "a@example.com")
            .text("note", "call +1 415 555 0142")
            .audience("vip_customers", true)
            .event("m1", 1_000, "Page Viewed", &[("page", "Home")])
            .event("m2", 5_000, "Page Viewed", &[("page", "Home")])
            .event("m3", 3_000, "Login", &[("page", "Home")])
            .event("m4", 6_000, "Login", &[("page", "Cart")])
            .updated_at(9)
            .build();
        assert_eq!(
            compiler.compile(&changed),
            compile(&changed, &PrivacyPolicy::default())
        );
        assert_eq!(compiler.compile(&sample()), first, "and back");
    }

    #[test]
    fn warming_in_slices_bounds_each_slice_and_leaves_only_assembly() {
        let p = many_items();
        let refs = || -> Vec<TraitRef<'_>> {
            p.traits
                .iter()
                .map(|t| TraitRef {
                    key: &t.key,
                    value: &t.value,
                    audience: t.audience,
                })
                .collect()
        };
        let mut c = Compiler::new(PrivacyPolicy::default());
        let (mut slices, mut most, mut total) = (0, 0, 0);
        loop {
            let mut done = false;
            let steps = crate::work::steps_of(|| {
                done = c.warm(refs(), &p.memories, &p.events, 2_000);
            });
            slices += 1;
            most = most.max(steps);
            total += steps;
            if done {
                break;
            }
        }
        assert!(slices >= 20, "{slices} slices");
        assert!(
            most * 8 < total,
            "the largest slice took {most} of {total} steps"
        );
        let mut compiled = None;
        let assembly = crate::work::steps_of(|| compiled = Some(c.compile(&p)));
        assert_eq!(compiled.unwrap(), compile(&p, &PrivacyPolicy::default()));
        assert!(
            assembly * 10 < total,
            "compiling after warming took {assembly} steps"
        );
        assert!(c.warm(refs(), &p.memories, &p.events, 0), "nothing left");
    }

    /// A pause that gives the thread up once (pending, then ready), as the Worker's does.
    struct YieldOnce(bool);

    impl std::future::Future for YieldOnce {
        type Output = ();
        fn poll(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<()> {
            if self.0 {
                return std::task::Poll::Ready(());
            }
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }

    /// Records the work an assembly reports: the largest single report, and the work between
    /// pauses.
    #[derive(Default)]
    struct Recorder {
        budget: usize,
        since: usize,
        largest_report: usize,
        slices: Vec<usize>,
    }

    impl pace::Pace for Recorder {
        type Pause = YieldOnce;
        fn after(&mut self, units: usize) -> Option<YieldOnce> {
            self.largest_report = self.largest_report.max(units);
            self.since += units;
            if self.since < self.budget {
                return None;
            }
            self.slices.push(std::mem::take(&mut self.since));
            Some(YieldOnce(false))
        }
    }

    #[test]
    fn an_assembly_in_slices_pauses_within_its_budget_and_lays_out_the_same_bytes() {
        let p = many_items();
        let policy = PrivacyPolicy::default();
        let mut c = Compiler::new(policy.clone());
        let assembly = c.prepare(
            &p.profile_id,
            p.updated_at_ms,
            p.traits.iter().map(|t| TraitRef {
                key: &t.key,
                value: &t.value,
                audience: t.audience,
            }),
            &p.memories,
            &p.events,
        );
        let mut pace = Recorder {
            budget: 200,
            ..Recorder::default()
        };
        let snapshot = pace::ready(assembly.run(&mut pace));
        drop(assembly);
        c.assembled(&snapshot);
        assert_eq!(snapshot, compile(&p, &policy));
        let total: usize = pace.slices.iter().sum::<usize>() + pace.since;
        assert!(pace.slices.len() >= 20, "{} pauses", pace.slices.len());
        assert!(
            pace.slices.len() + 1 >= total / (pace.budget + pace.largest_report),
            "{} pauses for {total} units",
            pace.slices.len()
        );
        // No single report is large: each is an item's, a term's or a block's own work.
        assert!(
            pace.largest_report <= total / 10,
            "a report of {} of {total} units",
            pace.largest_report
        );
        // Unpaced, the compiler lays out the same bytes again.
        assert_eq!(c.compile(&p), snapshot);
    }

    /// 200 traits of long text and 300 events of distinct properties.
    fn many_items() -> Profile {
        let mut b = profile("user_id:u1");
        for i in 0..200 {
            b = b.text(
                &format!("note_{i}"),
                &format!("{} blue {i}", "parcel ".repeat(30)),
            );
        }
        for i in 0..300 {
            let sku = format!("sku {i} green");
            b = b.event(
                &format!("m{i}"),
                i64::from(i),
                "Viewed",
                &[("sku", sku.as_str())],
            );
        }
        b.build()
    }

    #[test]
    fn a_new_time_zone_reads_every_kept_date_again() {
        let with_zone = |zone: &str| {
            profile("user_id:u1")
                .text("timeZone", zone)
                .text("renews_at", "2026-12-01")
                .build()
        };
        let mut compiler = Compiler::new(PrivacyPolicy::default());
        compiler.compile(&with_zone("America/New_York"));
        let tokyo = with_zone("Asia/Tokyo");
        assert_eq!(
            compiler.compile(&tokyo),
            compile(&tokyo, &PrivacyPolicy::default())
        );
    }

    #[test]
    fn a_compiler_whose_values_keep_changing_renumbers_and_stays_exact() {
        let mut compiler = Compiler::new(PrivacyPolicy::default());
        for round in 0..40 {
            let words: Vec<String> = (0..300).map(|w| format!("w{round}x{w}")).collect();
            let p = profile("user_id:u1")
                .text("shoe_size", "10.5")
                .text("notes", &words.join(" "))
                .event(
                    &format!("m{round}"),
                    1_000,
                    "Page Viewed",
                    &[("page", &words[0])],
                )
                .build();
            let s = compiler.compile(&p);
            assert_eq!(s, compile(&p, &PrivacyPolicy::default()), "round {round}");
            let kept = compiler.tables.terms.len();
            assert!(
                kept <= 2 * s.meta.terms + TABLE_SLACK,
                "round {round}: {kept} terms kept for {} used",
                s.meta.terms
            );
            assert!(compiler.tables.strings.len() <= 4 * 3 + TABLE_SLACK);
        }
    }
}
