//! The 32-bit hash by which a snapshot's thesaurus links name the query words that reach a term
//! (FNV-1a). Shared with build.rs, which hashes the thesaurus's words when it packs the table, so
//! the browser runtime needs neither the thesaurus nor its strings. Two bits are left for the
//! relation: a query word hashing like another word of the links (about one chance in a
//! billion per pair) would borrow its links; nothing else can follow from a collision.

/// The hash of a stemmed word or phrase (words joined by one space), its two low bits cleared.
pub fn term_hash(text: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in text.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h & !3
}
