//! A stream decoder for SZTC frames: bytes go in in any pieces, frames come
//! out.
//!
//! [`FrameDecoder::decode`] has the three-way contract of tokio-util's
//! `Decoder`: `Ok(Some(frame))`, `Ok(None)` for "need more bytes", or
//! `Err(e)` for a bad stretch of the stream. After an error the decoder
//! resynchronizes by itself on the next `SZTC`, so calling `decode` again
//! goes on with the frames after the bad stretch; each bad stretch is
//! reported once.
//!
//! Memory: the decoder holds only bytes it was fed and has not yet
//! consumed. A header announcing more than [`MAX_DATA_LEN`] is rejected as
//! soon as its 17 bytes are in, before any room is made for its data.

use super::frame::{CRC16, Direction, FrameRepr, MAGIC, MAX_DATA_LEN, field};
use std::fmt;

/// A decoded frame that owns its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedFrame {
    pub version: (u8, u8),
    pub packet_no: u32,
    pub direction: Direction,
    pub command: u16,
    pub data: Vec<u8>,
    /// Stream offset of the frame's first byte [B].
    pub offset: u64,
}

/// A bad stretch of the stream. `offset` is where it starts [B].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// `len` bytes that are not a frame (do not start with `SZTC`).
    BadMagic { offset: u64, len: u64 },
    /// A header announcing more than the cap.
    TooLong {
        offset: u64,
        length: u64,
        max: usize,
    },
    /// A header whose direction byte is neither 0 nor 1.
    BadDirection { offset: u64, byte: u8 },
    /// A whole frame whose CRC does not match.
    CrcMismatch {
        offset: u64,
        expected: u16,
        found: u16,
    },
    /// The stream ended inside a frame.
    Truncated { offset: u64, have: u64 },
}

impl DecodeError {
    pub fn offset(&self) -> u64 {
        match *self {
            DecodeError::BadMagic { offset, .. }
            | DecodeError::TooLong { offset, .. }
            | DecodeError::BadDirection { offset, .. }
            | DecodeError::CrcMismatch { offset, .. }
            | DecodeError::Truncated { offset, .. } => offset,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::BadMagic { len, .. } => {
                write!(f, "bad magic: {len} bytes that do not start a SZTC frame")
            }
            DecodeError::TooLong { length, max, .. } => {
                write!(f, "data length {length} exceeds the {max}-byte limit")
            }
            DecodeError::BadDirection { byte, .. } => {
                write!(f, "bad direction byte {byte} (0 or 1)")
            }
            DecodeError::CrcMismatch {
                expected, found, ..
            } => write!(
                f,
                "CRC mismatch: computed 0x{expected:04X}, frame carries 0x{found:04X}"
            ),
            DecodeError::Truncated { have, .. } => {
                write!(f, "stream ended inside a frame after {have} bytes")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Expecting a header at `pos`.
    Head,
    /// A valid header is at `pos`; waiting for `length` data bytes and the CRC.
    Data { length: usize },
    /// Discarding bytes up to the next `SZTC`. `start` is the stream offset
    /// where the bad stretch began; `reported` is true when an error for it
    /// has already been returned.
    Skipping { start: u64, reported: bool },
}

/// See the module doc.
#[derive(Debug)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    /// Bytes of `buf` already consumed.
    pos: usize,
    /// Stream offset of `buf[pos]` [B].
    offset: u64,
    state: State,
    max_len: usize,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        FrameDecoder::new()
    }
}

impl FrameDecoder {
    pub fn new() -> FrameDecoder {
        FrameDecoder::with_max_len(MAX_DATA_LEN)
    }

    /// A decoder with a smaller cap on `length` (never above 10 MiB).
    pub fn with_max_len(max_len: usize) -> FrameDecoder {
        FrameDecoder {
            buf: Vec::new(),
            pos: 0,
            offset: 0,
            state: State::Head,
            max_len: max_len.min(MAX_DATA_LEN),
        }
    }

    /// Appends received bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.pos > 0 && self.pos >= self.buf.len() / 2 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The whole, valid frame at the start of `bytes`, read in place, and
    /// its length — only while nothing is buffered and the decoder is not
    /// resynchronising (the common case: one read, whole frames). Counts
    /// toward [`FrameDecoder::offset`]. `None`: `feed` the bytes instead.
    pub fn take_whole<'a>(&mut self, bytes: &'a [u8]) -> Option<(FrameRepr<'a>, usize)> {
        if self.buffered() > 0 || !matches!(self.state, State::Head) {
            return None;
        }
        let f = FrameRepr::parse(bytes).ok()?;
        if f.data.len() > self.max_len {
            return None;
        }
        let n = f.buffer_len();
        self.offset += n as u64;
        Some((f, n))
    }

    /// Bytes held and not yet consumed [B].
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Stream offset of the next unconsumed byte [B].
    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn avail(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    fn advance(&mut self, n: usize) {
        self.pos += n;
        self.offset += n as u64;
    }

    /// The next frame, `Ok(None)` if more bytes are needed, or the next bad
    /// stretch.
    pub fn decode(&mut self) -> Result<Option<OwnedFrame>, DecodeError> {
        loop {
            match self.state {
                State::Skipping { start, reported } => {
                    let avail = self.avail();
                    match find_magic(avail) {
                        Some(i) => {
                            self.advance(i);
                            self.state = State::Head;
                            if !reported {
                                return Err(DecodeError::BadMagic {
                                    offset: start,
                                    len: self.offset - start,
                                });
                            }
                        }
                        None => {
                            // Keep a tail that may be the start of `SZTC`.
                            let keep = magic_prefix_len(avail);
                            let drop = avail.len() - keep;
                            self.advance(drop);
                            return Ok(None);
                        }
                    }
                }
                State::Head => {
                    let avail = self.avail();
                    let n = avail.len().min(MAGIC.len());
                    if avail[..n] != MAGIC[..n] {
                        self.state = State::Skipping {
                            start: self.offset,
                            reported: false,
                        };
                        continue;
                    }
                    if avail.len() < field::HEADER_LEN {
                        return Ok(None);
                    }
                    let length =
                        u32::from_be_bytes([avail[10], avail[11], avail[12], avail[13]]) as usize;
                    let dir = avail[field::DIRECTION];
                    if length > self.max_len {
                        return Err(self.resync(DecodeError::TooLong {
                            offset: self.offset,
                            length: length as u64,
                            max: self.max_len,
                        }));
                    }
                    if Direction::from_byte(dir).is_none() {
                        return Err(self.resync(DecodeError::BadDirection {
                            offset: self.offset,
                            byte: dir,
                        }));
                    }
                    self.state = State::Data { length };
                }
                State::Data { length } => {
                    let total = field::HEADER_LEN + length + field::CRC_LEN;
                    let avail = self.avail();
                    if avail.len() < total {
                        return Ok(None);
                    }
                    let body_end = field::HEADER_LEN + length;
                    let expected = CRC16.checksum(&avail[..body_end]);
                    let found = u16::from_be_bytes([avail[body_end], avail[body_end + 1]]);
                    if expected != found {
                        return Err(self.resync(DecodeError::CrcMismatch {
                            offset: self.offset,
                            expected,
                            found,
                        }));
                    }
                    let frame = OwnedFrame {
                        version: (avail[4], avail[5]),
                        packet_no: u32::from_be_bytes([avail[6], avail[7], avail[8], avail[9]]),
                        direction: Direction::from_byte(avail[field::DIRECTION])
                            .unwrap_or(Direction::Request),
                        command: u16::from_be_bytes([avail[15], avail[16]]),
                        data: avail[field::HEADER_LEN..body_end].to_vec(),
                        offset: self.offset,
                    };
                    self.advance(total);
                    self.state = State::Head;
                    return Ok(Some(frame));
                }
            }
        }
    }

    /// Drops the first byte of a bad frame and skips silently to the next
    /// `SZTC` (this error already reports the stretch).
    fn resync(&mut self, err: DecodeError) -> DecodeError {
        let start = self.offset;
        self.advance(1);
        self.state = State::Skipping {
            start,
            reported: true,
        };
        err
    }

    /// Like [`decode`](Self::decode), at the end of the stream: leftover
    /// bytes are an error rather than "need more". A frame cut short (or
    /// whose corrupted `length` ran past the end) is reported as
    /// `Truncated`, and decoding goes on from its second byte, so intact
    /// frames it had swallowed still come out. Call until `Ok(None)`.
    pub fn decode_eof(&mut self) -> Result<Option<OwnedFrame>, DecodeError> {
        if let Some(f) = self.decode()? {
            return Ok(Some(f));
        }
        let have = self.buffered();
        if have == 0 {
            return Ok(None);
        }
        match self.state {
            State::Skipping { start, reported } => {
                self.advance(have);
                self.state = State::Head;
                if reported {
                    Ok(None)
                } else {
                    Err(DecodeError::BadMagic {
                        offset: start,
                        len: self.offset - start,
                    })
                }
            }
            State::Head | State::Data { .. } => {
                let e = DecodeError::Truncated {
                    offset: self.offset,
                    have: have as u64,
                };
                Err(self.resync(e))
            }
        }
    }
}

fn find_magic(b: &[u8]) -> Option<usize> {
    b.windows(MAGIC.len()).position(|w| w == MAGIC)
}

/// Length of the longest suffix of `b` that is a proper prefix of `SZTC`.
fn magic_prefix_len(b: &[u8]) -> usize {
    (1..MAGIC.len())
        .rev()
        .find(|&k| b.len() >= k && b[b.len() - k..] == MAGIC[..k])
        .unwrap_or(0)
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::proto::frame::FrameRepr;

    fn frame(packet_no: u32, data: &[u8]) -> Vec<u8> {
        FrameRepr {
            version: (1, 0),
            packet_no,
            direction: Direction::Request,
            command: 1006,
            data,
        }
        .to_bytes()
        .unwrap()
    }

    fn drain(d: &mut FrameDecoder) -> Vec<Result<OwnedFrame, DecodeError>> {
        let mut out = Vec::new();
        loop {
            match d.decode() {
                Ok(Some(f)) => out.push(Ok(f)),
                Ok(None) => break,
                Err(e) => out.push(Err(e)),
            }
        }
        out
    }

    #[test]
    fn bytes_one_at_a_time() {
        let mut stream = frame(1, b"{\"a\":1}");
        stream.extend(frame(2, b"{}"));
        let mut d = FrameDecoder::new();
        let mut got = Vec::new();
        for b in &stream {
            d.feed(std::slice::from_ref(b));
            got.extend(drain(&mut d));
        }
        assert_eq!(d.decode_eof(), Ok(None));
        let nos: Vec<u32> = got.into_iter().map(|r| r.unwrap().packet_no).collect();
        assert_eq!(nos, vec![1, 2]);
    }

    #[test]
    fn garbage_between_frames_is_one_error_each() {
        let mut stream = b"xxSZ".to_vec();
        let first = stream.len() as u64;
        stream.extend(frame(1, b"{}"));
        stream.extend(b"garbage!");
        let second = stream.len() as u64;
        stream.extend(frame(2, b"{}"));
        for chunk in [1usize, 3, 7, 1000] {
            let mut d = FrameDecoder::new();
            let mut got = Vec::new();
            for c in stream.chunks(chunk) {
                d.feed(c);
                got.extend(drain(&mut d));
            }
            assert_eq!(
                got,
                vec![
                    Err(DecodeError::BadMagic { offset: 0, len: 4 }),
                    Ok(OwnedFrame {
                        version: (1, 0),
                        packet_no: 1,
                        direction: Direction::Request,
                        command: 1006,
                        data: b"{}".to_vec(),
                        offset: first
                    }),
                    Err(DecodeError::BadMagic {
                        offset: second - 8,
                        len: 8
                    }),
                    Ok(OwnedFrame {
                        version: (1, 0),
                        packet_no: 2,
                        direction: Direction::Request,
                        command: 1006,
                        data: b"{}".to_vec(),
                        offset: second
                    }),
                ],
                "chunk size {chunk}"
            );
        }
    }

    #[test]
    fn crc_error_then_resync() {
        let mut bad = frame(1, b"{\"x\":1}");
        let n = bad.len();
        bad[n - 1] ^= 0xFF;
        let good = frame(2, b"{}");
        let mut d = FrameDecoder::new();
        d.feed(&bad);
        d.feed(&good);
        let got = drain(&mut d);
        assert_eq!(got.len(), 2);
        match &got[0] {
            Err(DecodeError::CrcMismatch {
                offset: 0,
                expected,
                found,
            }) => assert_eq!(*expected, *found ^ 0x00FF),
            other => panic!("{other:?}"),
        }
        assert_eq!(got[1].as_ref().unwrap().packet_no, 2);
    }

    #[test]
    fn oversized_length_rejected_on_header_alone() {
        let mut hdr = frame(1, b"");
        hdr.truncate(field::HEADER_LEN);
        hdr[10..14].copy_from_slice(&u32::MAX.to_be_bytes());
        let mut d = FrameDecoder::new();
        d.feed(&hdr);
        assert_eq!(
            d.decode(),
            Err(DecodeError::TooLong {
                offset: 0,
                length: u32::MAX as u64,
                max: MAX_DATA_LEN
            })
        );
        // The decoder did not reserve room for the announced data.
        assert!(d.buf.capacity() < 1024);
        d.feed(&frame(9, b"{}"));
        assert_eq!(d.decode().unwrap().unwrap().packet_no, 9);
    }

    #[test]
    fn truncated_at_eof() {
        let f = frame(1, b"{}");
        let mut d = FrameDecoder::new();
        d.feed(&f[..f.len() - 1]);
        assert_eq!(d.decode(), Ok(None));
        assert_eq!(
            d.decode_eof(),
            Err(DecodeError::Truncated {
                offset: 0,
                have: f.len() as u64 - 1
            })
        );
        assert_eq!(d.decode_eof(), Ok(None));
    }

    /// Whole frames are read in place and counted in the offset; once
    /// bytes are buffered (or the head is bad) the caller must `feed`.
    #[test]
    fn take_whole_in_place_then_feed() {
        let (a, b) = (frame(1, b"{}"), frame(2, b"[1]"));
        let mut all = a.clone();
        all.extend_from_slice(&b);
        let mut d = FrameDecoder::new();
        let (f, n) = d.take_whole(&all).unwrap();
        assert_eq!((f.packet_no, n, d.offset()), (1, a.len(), a.len() as u64));
        // Half a frame: not whole, so it is fed; then nothing is taken in
        // place until the buffer is drained.
        assert!(d.take_whole(&b[..5]).is_none());
        d.feed(&b[..5]);
        assert!(d.take_whole(&a).is_none());
        d.feed(&b[5..]);
        assert_eq!(d.decode().unwrap().unwrap().packet_no, 2);
        assert_eq!(d.offset(), all.len() as u64);
        assert!(d.take_whole(&a).is_some());
        // A bad CRC is never taken in place.
        let mut bad = a.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(FrameDecoder::new().take_whole(&bad).is_none());
    }
}
