//! Base64 (RFC 4648) without a dependency: the url-safe unpadded form of identity tokens and the
//! standard padded form of Workers KV bulk files.

const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64url without padding (RFC 4648 §5), as JWTs and the identity cookie use.
pub fn url_encode(bytes: &[u8]) -> String {
    encode(bytes, URL_SAFE, false)
}

/// Standard base64 with padding (RFC 4648 §4), as Workers KV bulk-upload files expect.
pub fn standard_encode(bytes: &[u8]) -> String {
    encode(bytes, STANDARD, true)
}

fn encode(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b0 = chunk.first().copied().unwrap_or(0);
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        let chars = chunk.len() + 1;
        for shift in [18u32, 12, 6, 0].into_iter().take(chars) {
            let idx = ((n >> shift) & 63) as usize;
            out.push(char::from(alphabet.get(idx).copied().unwrap_or(b'A')));
        }
        if pad {
            out.extend(std::iter::repeat_n('=', 4 - chars));
        }
    }
    out
}

/// Decodes base64url without padding; `None` on any character outside the alphabet, padding, or an
/// impossible length.
pub fn url_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    // Leftover bits must be zero (canonical encoding only).
    (acc & ((1 << bits) - 1) == 0).then_some(out)
}

/// Decodes standard base64, its padding optional (an HTTP Basic credential, an `Mcp-Name`
/// sentinel): the standard alphabet read with [`url_decode`]'s decoder.
pub fn standard_decode(text: &str) -> Option<Vec<u8>> {
    let url: String = text
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    url_decode(&url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_round_trips_and_rejects_garbage() {
        for n in 0..40usize {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 % 256) as u8).collect();
            assert_eq!(url_decode(&url_encode(&bytes)).unwrap(), bytes);
        }
        assert_eq!(url_encode(b"hi?"), "aGk_");
        assert!(url_decode("a").is_none());
        assert!(url_decode("aGk=").is_none());
        assert!(url_decode("aGk+").is_none());
        assert!(url_decode("aGl").is_none(), "non-canonical trailing bits");
    }

    #[test]
    fn standard_decoding_reads_what_standard_encoding_writes() {
        for bytes in [&b""[..], b"f", b"fo", b"foo", b"\xfb\xff"] {
            assert_eq!(standard_decode(&standard_encode(bytes)).unwrap(), bytes);
        }
        assert_eq!(standard_decode("+/8").unwrap(), [0xfb, 0xff]);
        assert!(standard_decode("a*b=").is_none());
    }

    #[test]
    fn standard_encoding_pads() {
        assert_eq!(standard_encode(b""), "");
        assert_eq!(standard_encode(b"f"), "Zg==");
        assert_eq!(standard_encode(b"fo"), "Zm8=");
        assert_eq!(standard_encode(b"foo"), "Zm9v");
        assert_eq!(standard_encode(&[0xfb, 0xff]), "+/8=");
        assert_eq!(standard_encode(b"EPSN"), "RVBTTg==");
    }
}
