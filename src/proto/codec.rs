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
//! consumed (and a 2-byte running CRC per held byte). A header announcing
//! more than the cap ([`MAX_DATA_LEN`], or less: [`FrameDecoder::set_max_len`])
//! is rejected as soon as its 17 bytes are in, before any room is made for
//! its data.
//!
//! Cost: linear in the bytes fed, whatever the stream. Every held byte
//! carries the CRC register after it (a prefix CRC), and CRC-16/XMODEM is
//! linear over GF(2) with a zero start, so the CRC of any stretch
//! `a..b` is `pre[b] ^ pre[a]·x^(8(b−a)) mod G`: O(log n) per candidate
//! frame instead of O(n). A hostile stream that nests a header every 17
//! bytes, all announcing the same end, costs one pass over the bytes plus
//! a few dozen operations per header ([`FrameDecoder::work`] counts them).

#[cfg(test)]
use super::frame::CRC16;
use super::frame::{Direction, FrameRepr, MAGIC, MAX_DATA_LEN, field};
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
    /// `pre[i]`: the CRC register after `buf[..i]` (from an arbitrary
    /// base; only differences are used). `pre.len() == buf.len() + 1`.
    pre: Vec<u16>,
    /// Work done so far [byte steps]: bytes hashed, bytes searched for
    /// `SZTC`, and 2 table lookups per bit of a CRC combination's span.
    work: u64,
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
            pre: vec![0],
            work: 0,
        }
    }

    /// Changes the cap on `length` (never above 10 MiB), e.g. from a small
    /// one before login to the full one after. Takes effect for headers
    /// not yet read.
    pub fn set_max_len(&mut self, max_len: usize) {
        self.max_len = max_len.min(MAX_DATA_LEN);
    }

    /// The cap on `length` [B].
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Work done so far [byte steps] (see the field): a bound on the CPU a
    /// stream cost, for tests that the cost is linear in its bytes.
    pub fn work(&self) -> u64 {
        self.work
    }

    /// Appends received bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.pos > 0 && self.pos >= self.buf.len() / 2 {
            self.buf.drain(..self.pos);
            self.pre.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
        let mut c = *self.pre.last().unwrap_or(&0);
        self.pre.reserve(bytes.len());
        for &b in bytes {
            c = crc_step(c, b);
            self.pre.push(c);
        }
        self.work += bytes.len() as u64;
    }

    /// CRC-16/XMODEM of `buf[a..b]` from the prefix CRCs: O(log(b − a)).
    fn crc_of(&mut self, a: usize, b: usize) -> u16 {
        self.work += 2 * (usize::BITS - (b - a).leading_zeros()) as u64 + 2;
        self.pre[b] ^ crc_shift(self.pre[a], (b - a) as u64)
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
                    let found = find_magic(self.avail());
                    self.work += found.map_or(self.buffered(), |i| i + MAGIC.len()) as u64;
                    let avail = self.avail();
                    match found {
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
                    let found = u16::from_be_bytes([avail[body_end], avail[body_end + 1]]);
                    let expected = self.crc_of(self.pos, self.pos + body_end);
                    let avail = self.avail();
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

/// The CRC-16/XMODEM table (poly 0x1021, MSB first).
const CRC_TABLE: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u16) << 8;
        let mut k = 0;
        while k < 8 {
            c = if c & 0x8000 != 0 {
                (c << 1) ^ 0x1021
            } else {
                c << 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// One byte into the CRC register.
#[inline]
fn crc_step(c: u16, b: u8) -> u16 {
    (c << 8) ^ CRC_TABLE[((c >> 8) as u8 ^ b) as usize]
}

/// `a·b mod G` for polynomials of degree < 16 over GF(2), G = x^16 + 0x1021.
fn gf_mul(a: u16, b: u16) -> u16 {
    let mut r = 0u16;
    for k in (0..16).rev() {
        r = if r & 0x8000 != 0 {
            (r << 1) ^ 0x1021
        } else {
            r << 1
        };
        if b >> k & 1 != 0 {
            r ^= a;
        }
    }
    r
}

/// `SHIFT[k]`: multiplication by `x^(8·2^k) mod G` as two byte tables
/// (it is linear: the high byte's part xor the low byte's part).
type ShiftTables = [[[u16; 256]; 2]; 40];

fn shift_tables() -> &'static ShiftTables {
    static T: std::sync::OnceLock<Box<ShiftTables>> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let mut t = Box::new([[[0u16; 256]; 2]; 40]);
        let mut m = 0x0100u16; // x^8
        for k in 0..40 {
            for b in 0..256u16 {
                t[k][0][b as usize] = gf_mul(b, m);
                t[k][1][b as usize] = gf_mul(b << 8, m);
            }
            m = gf_mul(m, m);
        }
        t
    })
}

/// The register `c` carried past `n` more bytes of zeros: `c·x^(8n) mod G`,
/// one table step per set bit of `n`.
fn crc_shift(mut c: u16, mut n: u64) -> u16 {
    let t = shift_tables();
    let mut k = 0;
    while n > 0 && k < 40 {
        if n & 1 != 0 {
            c = t[k][0][(c & 0xFF) as usize] ^ t[k][1][(c >> 8) as usize];
        }
        n >>= 1;
        k += 1;
    }
    c
}

fn find_magic(b: &[u8]) -> Option<usize> {
    b.windows(MAGIC.len()).position(|w| w == MAGIC)
}

/// Length of the longest suffix of `b` that is a proper prefix of `SZTC`.
/// A hostile stream of `len` bytes: a header every 17 bytes, each
/// announcing data that runs to the same end, then a wrong CRC.
pub fn nested_header_stream(len: usize) -> Vec<u8> {
    let n = len / field::HEADER_LEN;
    let end = n * field::HEADER_LEN;
    let mut out = Vec::with_capacity(end + 2);
    for k in 0..n {
        let at = k * field::HEADER_LEN;
        let length = (end - at - field::HEADER_LEN) as u32;
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&1u32.to_be_bytes());
        out.extend_from_slice(&length.to_be_bytes());
        out.push(0);
        out.extend_from_slice(&5004u16.to_be_bytes());
    }
    out.extend_from_slice(&[0, 0]);
    out
}

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

    /// The prefix CRC gives the CRC of any stretch.
    #[test]
    fn crc_of_any_stretch_from_prefixes() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        let mut d = FrameDecoder::new();
        d.feed(&data[..100]);
        d.feed(&data[100..]);
        for (a, b) in [(0, 9), (3, 3), (5, 299), (17, 200), (0, 300)] {
            assert_eq!(d.crc_of(a, b), CRC16.checksum(&data[a..b]), "{a}..{b}");
        }
        assert_eq!(crc_shift(0x1234, 0), 0x1234);
        let mut c = FrameDecoder::new();
        c.feed(b"123456789");
        assert_eq!(c.crc_of(0, 9), 0x31C3);
    }

    /// A header every 17 bytes, all announcing the same end, with a bad
    /// CRC: once quadratic (each header's CRC over its whole length), now
    /// a bounded amount of work per byte, however it is cut into pieces.
    #[test]
    fn nested_headers_cost_linear_work() {
        let stream = nested_header_stream(1 << 20);
        for chunk in [stream.len(), 65536, 1000] {
            let mut d = FrameDecoder::new();
            let mut errors = 0u64;
            for c in stream.chunks(chunk) {
                d.feed(c);
                loop {
                    match d.decode() {
                        // A nested header whose CRC happens to be 0.
                        Ok(Some(_)) => {}
                        Ok(None) => break,
                        Err(_) => errors += 1,
                    }
                }
            }
            assert!(errors > 60_000, "{errors}");
            let per_byte = d.work() as f64 / stream.len() as f64;
            assert!(per_byte < 16.0, "work per byte {per_byte} (chunk {chunk})");
        }
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
