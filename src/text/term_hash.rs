//! The 64-bit hash (FNV-1a) by which a term is found: in a snapshot's term table, built when the
//! snapshot is loaded, and in the knowledge pack, whose links name their targets by it. Shared
//! with build.rs, which hashes the pack's words when it builds the pack. At 64 bits, two words
//! of a profile and a pack colliding is about one chance in 10^15 per lookup.

/// The hash of a stemmed word or phrase (words joined by one space).
pub fn term_hash(text: &str) -> u64 {
    term_hash_bytes(text.as_bytes())
}

/// [`term_hash`] of a term's UTF-8 bytes.
pub fn term_hash_bytes(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}
