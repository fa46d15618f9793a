//! Little-endian integers and LEB128 varints, written to a `Vec<u8>` and read back from a slice
//! with every read bounds-checked: a reader past the end yields `None`, never a panic, so a
//! corrupt snapshot read in place degrades to a typed error or a missing item.

/// Appends varints and fixed-width integers.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    pub(crate) out: Vec<u8>,
}

impl Writer {
    /// An unsigned LEB128 varint: 7 bits a byte, low bits first.
    pub(crate) fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.out.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
    }

    /// A signed integer as a zigzag varint (small magnitudes, either sign, take few bytes).
    pub(crate) fn signed(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }

    /// A non-negative duration in ms: whole seconds (as most event times are) in a byte or two
    /// less, as `v (s << 1)`; anything else as `v (ms << 1 | 1)`.
    pub(crate) fn ms(&mut self, ms: u64) {
        if ms % 1000 == 0 {
            self.varint((ms / 1000) << 1);
        } else {
            self.varint(ms << 1 | 1);
        }
    }

    /// A `usize` as a varint.
    pub(crate) fn size(&mut self, v: usize) {
        self.varint(v as u64);
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.out.push(v);
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }

    pub(crate) fn len(&self) -> usize {
        self.out.len()
    }
}

/// Reads varints and fixed-width integers from a slice, front to back.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    /// A reader at `at` (past the end reads nothing).
    pub(crate) fn at(bytes: &'a [u8], at: usize) -> Self {
        Reader { bytes, at }
    }

    /// Bytes read so far (the position).
    pub(crate) fn position(&self) -> usize {
        self.at
    }

    /// Whether every byte was read.
    pub(crate) fn is_done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    /// An unsigned LEB128 varint of at most ten bytes; `None` past the end or for an overlong one.
    #[inline]
    pub(crate) fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = *self.bytes.get(self.at)?;
            self.at += 1;
            v |= u64::from(b & 0x7F).checked_shl(shift)?;
            if b < 0x80 {
                return Some(v);
            }
        }
        None
    }

    /// A duration written by [`Writer::ms`].
    pub(crate) fn ms(&mut self) -> Option<u64> {
        let v = self.varint()?;
        if v & 1 == 1 {
            Some(v >> 1)
        } else {
            (v >> 1).checked_mul(1000)
        }
    }

    pub(crate) fn signed(&mut self) -> Option<i64> {
        let v = self.varint()?;
        Some(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    /// A varint that must fit a `u32`.
    #[inline]
    pub(crate) fn u32v(&mut self) -> Option<u32> {
        u32::try_from(self.varint()?).ok()
    }

    /// A varint that must fit a `usize`.
    pub(crate) fn size(&mut self) -> Option<usize> {
        usize::try_from(self.varint()?).ok()
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let b = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(b)
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        let b = self.take(4)?;
        Some(u32::from_le_bytes([
            *b.first()?,
            *b.get(1)?,
            *b.get(2)?,
            *b.get(3)?,
        ]))
    }

    pub(crate) fn u64(&mut self) -> Option<u64> {
        let lo = u64::from(self.u32()?);
        let hi = u64::from(self.u32()?);
        Some(lo | hi << 32)
    }
}

/// The `i`-th little-endian `u32` of a table of them.
#[inline]
pub(crate) fn u32_at(table: &[u8], i: usize) -> Option<u32> {
    let at = i.checked_mul(4)?;
    let b = table.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([
        *b.first()?,
        *b.get(1)?,
        *b.get(2)?,
        *b.get(3)?,
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_refuse_garbage() {
        let mut w = Writer::default();
        let values = [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX];
        for v in values {
            w.varint(v);
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX, -1_795_176_000_000] {
            w.signed(v);
        }
        w.u32(0xDEAD_BEEF);
        w.u64(u64::MAX - 5);
        for ms in [0u64, 1000, 86_400_000, 1, 1_999] {
            w.ms(ms);
        }
        let mut r = Reader::new(&w.out);
        for v in values {
            assert_eq!(r.varint(), Some(v));
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX, -1_795_176_000_000] {
            assert_eq!(r.signed(), Some(v));
        }
        assert_eq!(r.u32(), Some(0xDEAD_BEEF));
        assert_eq!(r.u64(), Some(u64::MAX - 5));
        for ms in [0u64, 1000, 86_400_000, 1, 1_999] {
            assert_eq!(r.ms(), Some(ms));
        }
        assert!(r.is_done());
        assert_eq!(r.varint(), None, "past the end");
        // Eleven continuation bytes: overlong, refused.
        assert_eq!(Reader::new(&[0xFF; 11]).varint(), None);
        // Truncated.
        assert_eq!(Reader::new(&[0x80]).varint(), None);
        assert_eq!(u32_at(&[1, 0, 0, 0, 2, 0, 0], 1), None);
    }
}
