//! What the detectors share: a match, and the words seen before the current token.

use super::tokens::Tok;
use super::vocabulary::list;
use crate::policy::class::PiiClass::{self, GovernmentId, PaymentId};

/// A match: tokens `start..end` are personal data of `class`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) class: PiiClass,
}

/// How many words after a context word it still applies to.
const CONTEXT_WORDS: u32 = 4;

/// The words seen so far, for the detectors that depend on a word before the value.
#[derive(Debug, Default)]
pub(super) struct Context {
    pub(super) words: u32,
    pub(super) phone: Option<u32>,
    pub(super) order: Option<u32>,
    pub(super) birth: Option<u32>,
    pub(super) id: Option<(u32, PiiClass)>,
    pub(super) email: Option<u32>,
    /// The last word was the first of an identity phrase (`social`, `national`, `tax`…).
    pub(super) previous_id_first: bool,
}

impl Context {
    pub(super) fn observe(&mut self, t: &Tok) {
        crate::work::step(1);
        if !t.is_word() {
            return;
        }
        self.words += 1;
        let w = Some(self.words);
        if t.is(list::PHONE) {
            self.phone = w;
        }
        if t.is(list::ORDER) {
            self.order = w;
        }
        if t.is(list::BIRTH) {
            self.birth = w;
        }
        if t.is(list::ID) || (t.is(list::ID_SECOND) && self.previous_id_first) {
            self.id = Some((self.words, GovernmentId));
        }
        if t.is(list::PAYMENT) {
            self.id = Some((self.words, PaymentId));
        }
        if t.is(list::EMAIL) {
            self.email = w;
        }
        self.previous_id_first = t.is(list::ID_FIRST);
    }

    pub(super) fn near(&self, at: Option<u32>) -> bool {
        at.is_some_and(|w| self.words - w < CONTEXT_WORDS)
    }
}
