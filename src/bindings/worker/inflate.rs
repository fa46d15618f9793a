//! `Content-Encoding: deflate` bodies, decoded while they stream so that such pages are
//! personalized like gzip and br ones (which the runtime decodes itself). HTTP's `deflate` is a
//! zlib stream (RFC 1950), but servers also send raw deflate (RFC 1951), as browsers accept: the
//! first two bytes tell them apart. Output comes in pieces of at most [`PIECE`] bytes, so a body that
//! inflates a thousandfold is handed on bit by bit, never held whole.

use futures_util::stream::{self, Stream, StreamExt};
use miniz_oxide::inflate::stream::{inflate, InflateState};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

/// The most decoded bytes one call hands out.
pub(super) const PIECE: usize = 64 << 10;

/// Why a body could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Corrupt;

/// Whether a `Content-Encoding` header names deflate alone.
pub(super) fn is_deflate(content_encoding: Option<&str>) -> bool {
    content_encoding.is_some_and(|ce| ce.trim().eq_ignore_ascii_case("deflate"))
}

/// Whether two bytes start a zlib stream: method 8 (deflate), a window of at most 32 KiB, and
/// the header check (a multiple of 31).
fn zlib_header(cmf: u8, flg: u8) -> bool {
    cmf & 0x0F == 8 && cmf >> 4 <= 7 && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0
}

/// A streaming deflate decoder.
pub(super) struct Inflater {
    state: Option<Box<InflateState>>,
    /// The first byte, while the second has not arrived.
    first: Option<u8>,
    /// Input given but not consumed yet.
    input: Vec<u8>,
    ended: bool,
}

impl Inflater {
    pub(super) fn new() -> Self {
        Self {
            state: None,
            first: None,
            input: Vec::new(),
            ended: false,
        }
    }

    /// Takes the next chunk of the encoded body.
    pub(super) fn give(&mut self, chunk: &[u8]) {
        if self.state.is_none() {
            let mut bytes = self.first.take().into_iter().chain(chunk.iter().copied());
            let (Some(a), Some(b)) = (bytes.next(), bytes.next()) else {
                self.first = chunk.first().copied().or(self.first);
                return;
            };
            let format = if zlib_header(a, b) {
                DataFormat::Zlib
            } else {
                DataFormat::Raw
            };
            self.state = Some(InflateState::new_boxed(format));
            self.input.extend([a, b]);
            self.input.extend(bytes);
            return;
        }
        self.input.extend_from_slice(chunk);
    }

    /// The next piece of decoded bytes (at most [`PIECE`]); empty when the input given so far is
    /// used up. `last`: no more input will come (then a truncated stream is an error).
    pub(super) fn next_piece(&mut self, last: bool) -> Result<Vec<u8>, Corrupt> {
        if self.ended {
            return Ok(Vec::new());
        }
        if last && self.state.is_none() {
            // Fewer than two bytes in all: not a deflate stream (an empty body is nothing).
            return match self.first {
                None => Ok(Vec::new()),
                Some(_) => Err(Corrupt),
            };
        }
        let Some(state) = self.state.as_mut() else {
            return Ok(Vec::new());
        };
        let mut out = vec![0u8; PIECE];
        let r = inflate(state, &self.input, &mut out, MZFlush::None);
        self.input.drain(..r.bytes_consumed.min(self.input.len()));
        out.truncate(r.bytes_written);
        match r.status {
            Ok(MZStatus::StreamEnd) => {
                self.ended = true;
                Ok(out)
            }
            Ok(_) if !out.is_empty() || !last => Ok(out),
            // No progress possible: more input is needed, unless there is none to come (truncated).
            Err(MZError::Buf) if !last => Ok(out),
            Err(MZError::Buf) if !out.is_empty() => Ok(out),
            _ => Err(Corrupt),
        }
    }
}

/// Where [`inflated`] is.
enum Reading {
    /// The body may have more.
    Body,
    /// The body ended: what is left is drained.
    Ended,
    /// Done, or failed.
    Over,
}

/// The decoded body of a deflate-encoded `body`, in pieces of at most [`PIECE`] bytes; a corrupt or
/// truncated stream ends in an error.
pub(super) fn inflated<S>(body: S) -> impl Stream<Item = Result<Vec<u8>, worker::Error>>
where
    S: Stream<Item = Result<Vec<u8>, worker::Error>>,
{
    let corrupt = || worker::Error::RustError("deflate body does not decode".into());
    stream::unfold(
        (Box::pin(body), Inflater::new(), Reading::Body),
        move |(mut body, mut inf, reading)| async move {
            loop {
                match reading {
                    Reading::Over => return None,
                    Reading::Ended => {
                        return match inf.next_piece(true) {
                            Ok(piece) if piece.is_empty() => None,
                            Ok(piece) => Some((Ok(piece), (body, inf, Reading::Ended))),
                            Err(Corrupt) => Some((Err(corrupt()), (body, inf, Reading::Over))),
                        };
                    }
                    Reading::Body => {}
                }
                match inf.next_piece(false) {
                    Ok(piece) if !piece.is_empty() => {
                        return Some((Ok(piece), (body, inf, Reading::Body)))
                    }
                    Ok(_) => {}
                    Err(Corrupt) => return Some((Err(corrupt()), (body, inf, Reading::Over))),
                }
                match body.next().await {
                    Some(Ok(chunk)) => inf.give(&chunk),
                    Some(Err(e)) => return Some((Err(e), (body, inf, Reading::Over))),
                    None => {
                        return match inf.next_piece(true) {
                            Ok(piece) if piece.is_empty() => None,
                            Ok(piece) => Some((Ok(piece), (body, inf, Reading::Ended))),
                            Err(Corrupt) => Some((Err(corrupt()), (body, inf, Reading::Over))),
                        }
                    }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn decode(encoded: &[u8], chunk: usize) -> Result<Vec<u8>, Corrupt> {
        let mut inf = Inflater::new();
        let mut out = Vec::new();
        for c in encoded.chunks(chunk) {
            inf.give(c);
            loop {
                let piece = inf.next_piece(false)?;
                assert!(piece.len() <= PIECE);
                if piece.is_empty() {
                    break;
                }
                out.extend(piece);
            }
        }
        loop {
            let piece = inf.next_piece(true)?;
            if piece.is_empty() {
                break;
            }
            out.extend(piece);
        }
        Ok(out)
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn raw(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn zlib_and_raw_streams_decode_whatever_the_chunking() {
        let page = "<html><body><span data-persona=\"trait:firstName\">x</span>".repeat(500);
        for encoded in [zlib(page.as_bytes()), raw(page.as_bytes())] {
            for chunk in [1, 2, 3, 100, 1 << 20] {
                assert_eq!(decode(&encoded, chunk).unwrap(), page.as_bytes(), "{chunk}");
            }
        }
        assert!(is_deflate(Some(" Deflate ")) && !is_deflate(Some("gzip")) && !is_deflate(None));
    }

    #[test]
    fn a_bomb_comes_out_in_bounded_pieces_and_damage_is_an_error() {
        let big = vec![b'a'; 10 * PIECE + 7];
        assert_eq!(decode(&zlib(&big), 1 << 20).unwrap().len(), big.len());
        let mut damaged = zlib(b"hello hello hello hello");
        let n = damaged.len();
        damaged.truncate(n - 6);
        assert_eq!(decode(&damaged, 4), Err(Corrupt));
        assert_eq!(decode(b"\xff\xff\xff\xff", 4), Err(Corrupt));
        assert_eq!(decode(b"x", 4), Err(Corrupt));
        assert_eq!(decode(b"", 4), Ok(Vec::new()));
    }
}
