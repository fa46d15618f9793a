//! Numbers for the strings a [`super::Compiler`] has seen (terms, display strings). Analysis
//! interns each string once, when an item is analyzed; assembly then indexes by number, so
//! compiling a person again hashes and compares no string of what did not change. Numbers are
//! never reused while the table lives; the compiler renumbers (compacts) when most of them are
//! no longer used.

use std::borrow::Cow;
use std::collections::HashMap;

/// Strings by number, and numbers by string.
#[derive(Debug, Default, Clone)]
pub(super) struct Interner {
    texts: Vec<Box<str>>,
    ids: HashMap<Box<str>, u32>,
    /// The first `ordered` numbers, in the text order of their strings.
    order: Vec<u32>,
    ordered: usize,
}

impl Interner {
    /// The number of `s`, given a new one on first sight.
    pub(super) fn intern(&mut self, s: &str) -> u32 {
        if let Some(id) = self.ids.get(s) {
            return *id;
        }
        let id = u32::try_from(self.texts.len()).unwrap_or(u32::MAX);
        self.texts.push(s.into());
        self.ids.insert(s.into(), id);
        id
    }

    /// The string of number `id` (empty for a number never given).
    pub(super) fn text(&self, id: u32) -> &str {
        self.texts.get(id as usize).map_or("", |t| t)
    }

    /// How many numbers were given.
    pub(super) fn len(&self) -> usize {
        self.texts.len()
    }

    /// Puts the strings interned since the last call in text order among the others: they are
    /// sorted among themselves and placed by binary search, so a few new terms cost a few
    /// comparisons each, not a sort of the whole table.
    pub(super) fn order_new(&mut self) {
        if self.ordered < self.texts.len() {
            let texts = &self.texts;
            let mut new: Vec<u32> = (self.ordered..texts.len())
                .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
                .collect();
            new.sort_unstable_by(|a, b| texts.get(*a as usize).cmp(&texts.get(*b as usize)));
            let old = std::mem::take(&mut self.order);
            let mut merged = Vec::with_capacity(texts.len());
            let mut rest = old.as_slice();
            for id in new {
                let text = texts.get(id as usize);
                let before = rest.partition_point(|o| texts.get(*o as usize) < text);
                merged.extend_from_slice(rest.get(..before).unwrap_or_default());
                merged.push(id);
                rest = rest.get(before..).unwrap_or_default();
            }
            merged.extend_from_slice(rest);
            self.order = merged;
            self.ordered = self.texts.len();
        }
    }

    /// Every number in the text order of its string (ordered here when strings were interned
    /// since [`Interner::order_new`]).
    pub(super) fn text_order(&self) -> Cow<'_, [u32]> {
        if self.ordered == self.texts.len() {
            return Cow::Borrowed(&self.order);
        }
        let mut all: Vec<u32> = (0..self.texts.len())
            .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
            .collect();
        all.sort_unstable_by(|a, b| {
            self.texts
                .get(*a as usize)
                .cmp(&self.texts.get(*b as usize))
        });
        Cow::Owned(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_once_and_orders_by_text_as_strings_arrive() {
        let mut t = Interner::default();
        let pear = t.intern("pear");
        let apple = t.intern("apple");
        assert_eq!(t.intern("pear"), pear);
        assert_eq!(t.text(apple), "apple");
        t.order_new();
        assert_eq!(*t.text_order(), [apple, pear]);
        let fig = t.intern("fig");
        let zest = t.intern("zest");
        let banana = t.intern("banana");
        // Not ordered yet: sorted on the spot, the same order.
        assert_eq!(*t.text_order(), [apple, banana, fig, pear, zest]);
        t.order_new();
        assert_eq!(*t.text_order(), [apple, banana, fig, pear, zest]);
        assert_eq!(t.len(), 5);
        assert_eq!(t.text(99), "");
    }
}
