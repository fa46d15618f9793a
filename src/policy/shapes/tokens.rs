//! The tokens the detectors read: runs of letters and digits, runs of white space, single marks.

use std::borrow::Cow;

use super::vocabulary::flags_of;

/// One token of the text.
#[derive(Debug, Clone)]
pub(super) struct Tok<'a> {
    pub(super) text: &'a str,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) kind: Kind,
    /// ASCII digits in the token.
    pub(super) digits: u32,
    /// Letters in the token.
    pub(super) letters: u32,
    /// Uppercase letters in the token.
    pub(super) upper: u32,
    /// Lowercase, accents folded, for words of at most [`MAX_KEYWORD`] bytes; empty otherwise.
    pub(super) key: Cow<'a, str>,
    /// The word lists [`key`](Tok::key) is in ([`super::vocabulary::list`]).
    pub(super) flags: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Letters and digits.
    Word,
    /// White space.
    Space,
    /// One other character (`%40` counts as one `@`).
    Punct(char),
}

/// Longest word compared with the vocabularies, in bytes.
pub(super) const MAX_KEYWORD: usize = 24;

impl Tok<'_> {
    pub(super) fn is_word(&self) -> bool {
        self.kind == Kind::Word
    }
    /// Only ASCII digits.
    pub(super) fn is_num(&self) -> bool {
        self.kind == Kind::Word && self.letters == 0 && self.digits as usize == self.text.len()
    }
    pub(super) fn is_punct(&self, c: char) -> bool {
        self.kind == Kind::Punct(c)
    }
    /// One ordinary space (or tab): a gap inside a number or an address.
    pub(super) fn is_gap(&self) -> bool {
        self.kind == Kind::Space && !self.text.contains('\n') && self.text.len() <= 2
    }
    /// Whether the word is in the list of `flag` ([`super::vocabulary::list`]).
    pub(super) fn is(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }
    /// Whether the word is one of `words` (short lists used in one place).
    pub(super) fn is_one_of(&self, words: &[&str]) -> bool {
        !self.key.is_empty() && words.contains(&self.key.as_ref())
    }
    /// Capitalized or all uppercase.
    pub(super) fn capitalized(&self) -> bool {
        self.text.chars().next().is_some_and(char::is_uppercase)
    }
    pub(super) fn value(&self) -> u64 {
        if self.digits > 18 {
            return u64::MAX;
        }
        self.text
            .bytes()
            .filter(u8::is_ascii_digit)
            .fold(0, |v, b| v * 10 + u64::from(b - b'0'))
    }
}

pub(super) fn lex(text: &str) -> Vec<Tok<'_>> {
    let mut toks = Vec::with_capacity(text.len() / 2);
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let (kind, end) = if c.is_alphanumeric() {
            let mut end = start + c.len_utf8();
            while let Some(&(i, n)) = chars.peek() {
                if !n.is_alphanumeric() {
                    break;
                }
                end = i + n.len_utf8();
                chars.next();
            }
            (Kind::Word, end)
        } else if c.is_whitespace() {
            let mut end = start + c.len_utf8();
            while let Some(&(i, n)) = chars.peek() {
                if !n.is_whitespace() {
                    break;
                }
                end = i + n.len_utf8();
                chars.next();
            }
            (Kind::Space, end)
        } else if c == '%' && text.get(start + 1..start + 3) == Some("40") {
            chars.next();
            chars.next();
            (Kind::Punct('@'), start + 3)
        } else {
            let c = match c {
                '＠' | '﹫' => '@',
                '–' | '‐' | '‑' | '‒' => '-',
                c => c,
            };
            (
                Kind::Punct(c),
                start
                    + text
                        .get(start..)
                        .and_then(|r| r.chars().next())
                        .map_or(1, char::len_utf8),
            )
        };
        let t = text.get(start..end).unwrap_or("");
        crate::work::step(t.len());
        let (mut digits, mut letters, mut upper) = (0, 0, 0);
        if kind == Kind::Word {
            for ch in t.chars() {
                if ch.is_ascii_digit() {
                    digits += 1;
                } else if ch.is_alphabetic() {
                    letters += 1;
                    upper += u32::from(ch.is_uppercase());
                }
            }
        }
        let key = if kind != Kind::Word || t.len() > MAX_KEYWORD || letters == 0 {
            Cow::Borrowed("")
        } else if t.is_ascii() && upper == 0 {
            Cow::Borrowed(t)
        } else {
            let mut key = String::with_capacity(t.len());
            for ch in t.chars().flat_map(char::to_lowercase) {
                match ch {
                    'ß' => key.push_str("ss"),
                    ch => key.push(crate::text::latin_base(ch).unwrap_or(ch)),
                }
            }
            Cow::Owned(key)
        };
        let flags = if key.is_empty() { 0 } else { flags_of(&key) };
        toks.push(Tok {
            text: t,
            start,
            end,
            kind,
            digits,
            letters,
            upper,
            key,
            flags,
        });
    }
    toks
}
