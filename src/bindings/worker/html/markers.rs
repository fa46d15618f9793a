//! The comment markers a response's rewriter puts around variants groups and their variants while
//! they stream through lol_html, and the scanner that finds them again in its output, reading
//! each byte once. A per-response nonce keeps them apart from anything the page contains.

/// The comment markers of one response: `<!--ep<nonce><kind><group id>-->`, where kind is `g` / `G`
/// (before a group's start tag / after its end tag) or `v` / `V` (the same around a variant).
pub(super) struct Markers {
    prefix: Vec<u8>,
}

pub(super) enum Scan {
    /// A marker at `start..end`.
    Marker {
        start: usize,
        end: usize,
        kind: u8,
        id: u32,
    },
    /// What starts here may be a marker whose rest has not arrived yet.
    Partial(usize),
    Nothing,
}

enum Parsed {
    Marker { len: usize, kind: u8, id: u32 },
    Incomplete,
    No,
}

impl Markers {
    pub(super) fn new(nonce: u64) -> Self {
        Self {
            prefix: format!("<!--ep{nonce:016x}").into_bytes(),
        }
    }

    pub(super) fn marker(&self, kind: char, id: u32) -> String {
        format!("{}{kind}{id}-->", String::from_utf8_lossy(&self.prefix))
    }

    /// The next marker in `bytes` from `from`, scanning each byte once.
    pub(super) fn next(&self, bytes: &[u8], from: usize) -> Scan {
        let mut at = from;
        while let Some(offset) = bytes
            .get(at..)
            .and_then(|rest| rest.iter().position(|&b| b == b'<'))
        {
            let start = at + offset;
            match self.parse(bytes.get(start..).unwrap_or_default()) {
                Parsed::Marker { len, kind, id } => {
                    return Scan::Marker {
                        start,
                        end: start + len,
                        kind,
                        id,
                    }
                }
                Parsed::Incomplete => return Scan::Partial(start),
                Parsed::No => at = start + 1,
            }
        }
        Scan::Nothing
    }

    fn parse(&self, rest: &[u8]) -> Parsed {
        if rest.len() < self.prefix.len() {
            return if self.prefix.starts_with(rest) {
                Parsed::Incomplete
            } else {
                Parsed::No
            };
        }
        let Some(tail) = rest.strip_prefix(self.prefix.as_slice()) else {
            return Parsed::No;
        };
        let Some((&kind, digits)) = tail.split_first() else {
            return Parsed::Incomplete;
        };
        if !matches!(kind, b'g' | b'G' | b'v' | b'V') {
            return Parsed::No;
        }
        let n = digits.iter().take_while(|b| b.is_ascii_digit()).count();
        if n > 10 {
            return Parsed::No;
        }
        let after = digits.get(n..).unwrap_or_default();
        if after.len() < 3 {
            return if b"-->".starts_with(after) {
                Parsed::Incomplete
            } else {
                Parsed::No
            };
        }
        let id = std::str::from_utf8(digits.get(..n).unwrap_or_default())
            .ok()
            .and_then(|d| d.parse::<u32>().ok());
        match id {
            Some(id) if after.starts_with(b"-->") => Parsed::Marker {
                len: self.prefix.len() + 1 + n + 3,
                kind,
                id,
            },
            _ => Parsed::No,
        }
    }

    /// `bytes` without markers: the group as authored.
    pub(super) fn strip(&self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len());
        let mut at = 0;
        while let Scan::Marker { start, end, .. } = self.next(bytes, at) {
            out.extend_from_slice(bytes.get(at..start).unwrap_or_default());
            at = end;
        }
        out.extend_from_slice(bytes.get(at..).unwrap_or_default());
        out
    }
}
