//! The SZTC frame of the TCP interface (7.1.4.1.3, table 14).
//!
//! ```text
//!  0      4    5    6          10         14   15       17        17+N   19+N
//!  +------+----+----+----------+----------+----+--------+---------+------+
//!  | SZTC |maj |min | packetNo | length N | dir| command| data    | crc16|
//!  +------+----+----+----------+----------+----+--------+---------+------+
//! ```
//! Big-endian, packed. `crc16` is CRC-16/XMODEM over everything from `SZTC`
//! through `data`.
//!
//! [`Frame`] is a zero-copy view over a buffer; once [`Frame::new_checked`]
//! has passed, no accessor panics. [`FrameRepr`] is the parsed high-level
//! form with [`FrameRepr::parse`] and [`FrameRepr::emit`].

use crc::{CRC_16_XMODEM, Crc, Table};
use std::fmt;

/// CRC-16/XMODEM (poly 0x1021, init 0, no reflection, no xor-out), with
/// slice-by-16 tables (8 KiB, built at compile time).
pub const CRC16: Crc<u16, Table<16>> = Crc::<u16, Table<16>>::new(&CRC_16_XMODEM);

/// The four magic bytes that open every frame.
pub const MAGIC: &[u8; 4] = b"SZTC";

/// Largest `data` one send may carry: 10 MiB (7.1.4.1.1 g).
pub const MAX_DATA_LEN: usize = 10 * 1024 * 1024;

/// Byte ranges of the header fields.
pub mod field {
    pub type Field = core::ops::Range<usize>;
    pub const MAGIC: Field = 0..4;
    pub const VERSION_MAJOR: usize = 4;
    pub const VERSION_MINOR: usize = 5;
    pub const PACKET_NO: Field = 6..10;
    pub const LENGTH: Field = 10..14;
    pub const DIRECTION: usize = 14;
    pub const COMMAND: Field = 15..17;
    /// Header length: the data starts here.
    pub const HEADER_LEN: usize = 17;
    /// Trailer length (the CRC).
    pub const CRC_LEN: usize = 2;
}

/// Request or reply (`direction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Request,
    Reply,
}

impl Direction {
    pub const fn byte(self) -> u8 {
        match self {
            Direction::Request => 0,
            Direction::Reply => 1,
        }
    }

    pub const fn from_byte(b: u8) -> Option<Direction> {
        match b {
            0 => Some(Direction::Request),
            1 => Some(Direction::Reply),
            _ => None,
        }
    }
}

/// Why bytes are not a valid frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// Fewer bytes than the header and trailer, or than `length` promises.
    Truncated { needed: usize, have: usize },
    /// The first four bytes are not `SZTC`.
    BadMagic,
    /// `length` exceeds [`MAX_DATA_LEN`].
    TooLong { length: u64, max: usize },
    /// `direction` is neither 0 nor 1.
    BadDirection(u8),
    /// The CRC in the trailer is not the CRC of the frame.
    CrcMismatch { expected: u16, found: u16 },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Truncated { needed, have } => {
                write!(f, "truncated frame: need {needed} bytes, have {have}")
            }
            FrameError::BadMagic => write!(f, "bad magic: frame does not start with SZTC"),
            FrameError::TooLong { length, max } => {
                write!(f, "data length {length} exceeds the {max}-byte limit")
            }
            FrameError::BadDirection(b) => write!(f, "bad direction byte {b} (0 or 1)"),
            FrameError::CrcMismatch { expected, found } => write!(
                f,
                "CRC mismatch: computed 0x{expected:04X}, frame carries 0x{found:04X}"
            ),
        }
    }
}

impl std::error::Error for FrameError {}

/// A read view of an SZTC frame in a byte buffer.
#[derive(Debug, Clone)]
pub struct Frame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Frame<T> {
    /// Wraps a buffer without checks; accessors may panic on a short one.
    pub const fn new_unchecked(buffer: T) -> Frame<T> {
        Frame { buffer }
    }

    /// Wraps a buffer after [`Frame::check`]: then no accessor panics.
    pub fn new_checked(buffer: T) -> Result<Frame<T>, FrameError> {
        let f = Frame::new_unchecked(buffer);
        f.check()?;
        Ok(f)
    }

    /// Checks length, magic, the 10 MiB cap, direction, and the CRC.
    pub fn check(&self) -> Result<(), FrameError> {
        let b = self.buffer.as_ref();
        let min = field::HEADER_LEN + field::CRC_LEN;
        if b.len() < min {
            return Err(FrameError::Truncated {
                needed: min,
                have: b.len(),
            });
        }
        if &b[field::MAGIC] != MAGIC {
            return Err(FrameError::BadMagic);
        }
        let length = self.length() as usize;
        if length > MAX_DATA_LEN {
            return Err(FrameError::TooLong {
                length: length as u64,
                max: MAX_DATA_LEN,
            });
        }
        let total = min + length;
        if b.len() < total {
            return Err(FrameError::Truncated {
                needed: total,
                have: b.len(),
            });
        }
        let d = b[field::DIRECTION];
        if Direction::from_byte(d).is_none() {
            return Err(FrameError::BadDirection(d));
        }
        let expected = CRC16.checksum(&b[..field::HEADER_LEN + length]);
        let found = self.crc();
        if expected != found {
            return Err(FrameError::CrcMismatch { expected, found });
        }
        Ok(())
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    pub fn version(&self) -> (u8, u8) {
        let b = self.buffer.as_ref();
        (b[field::VERSION_MAJOR], b[field::VERSION_MINOR])
    }

    pub fn packet_no(&self) -> u32 {
        be32(&self.buffer.as_ref()[field::PACKET_NO])
    }

    pub fn length(&self) -> u32 {
        be32(&self.buffer.as_ref()[field::LENGTH])
    }

    pub fn direction_byte(&self) -> u8 {
        self.buffer.as_ref()[field::DIRECTION]
    }

    pub fn command(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::COMMAND];
        u16::from_be_bytes([b[0], b[1]])
    }

    pub fn data(&self) -> &[u8] {
        let n = self.length() as usize;
        &self.buffer.as_ref()[field::HEADER_LEN..field::HEADER_LEN + n]
    }

    pub fn crc(&self) -> u16 {
        let n = field::HEADER_LEN + self.length() as usize;
        let b = &self.buffer.as_ref()[n..n + 2];
        u16::from_be_bytes([b[0], b[1]])
    }

    /// Total frame length in bytes [B].
    pub fn total_len(&self) -> usize {
        field::HEADER_LEN + self.length() as usize + field::CRC_LEN
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// The high-level form of a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRepr<'a> {
    pub version: (u8, u8),
    /// 1..=2^31-1, wrapping; a reply carries its request's number.
    pub packet_no: u32,
    pub direction: Direction,
    /// The interface code (may be one the standard does not define; the
    /// layer above answers that).
    pub command: u16,
    /// UTF-8 JSON envelope.
    pub data: &'a [u8],
}

/// The protocol version parksim speaks: 1.0.
pub const VERSION: (u8, u8) = (1, 0);

impl<'a> FrameRepr<'a> {
    /// Parses a frame at the start of `bytes`.
    pub fn parse(bytes: &'a [u8]) -> Result<FrameRepr<'a>, FrameError> {
        let view = Frame::new_checked(bytes)?;
        let n = view.length() as usize;
        Ok(FrameRepr {
            version: view.version(),
            packet_no: view.packet_no(),
            direction: Direction::from_byte(view.direction_byte())
                .ok_or(FrameError::BadDirection(view.direction_byte()))?,
            command: view.command(),
            data: &bytes[field::HEADER_LEN..field::HEADER_LEN + n],
        })
    }

    /// Bytes [`FrameRepr::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        field::HEADER_LEN + self.data.len() + field::CRC_LEN
    }

    /// Appends the frame to `out`. Fails only if `data` exceeds the cap.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), FrameError> {
        if self.data.len() > MAX_DATA_LEN {
            return Err(FrameError::TooLong {
                length: self.data.len() as u64,
                max: MAX_DATA_LEN,
            });
        }
        let start = out.len();
        out.reserve(self.buffer_len());
        out.resize(start + field::HEADER_LEN, 0);
        self.write_header(&mut out[start..], self.data.len());
        out.extend_from_slice(self.data);
        let crc = CRC16.checksum(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
        Ok(())
    }

    /// The header fields, for `length` bytes of data, into the first
    /// [`field::HEADER_LEN`] bytes of `h`.
    fn write_header(&self, h: &mut [u8], length: usize) {
        h[field::MAGIC].copy_from_slice(MAGIC);
        h[field::VERSION_MAJOR] = self.version.0;
        h[field::VERSION_MINOR] = self.version.1;
        h[field::PACKET_NO].copy_from_slice(&self.packet_no.to_be_bytes());
        h[field::LENGTH].copy_from_slice(&(length as u32).to_be_bytes());
        h[field::DIRECTION] = self.direction.byte();
        h[field::COMMAND].copy_from_slice(&self.command.to_be_bytes());
    }

    /// Seals a frame written in place: `buf` holds [`field::HEADER_LEN`]
    /// bytes of room, then the data. Fills the header from `self` (its
    /// `data` is ignored) and appends the CRC. Fails only if the data
    /// exceeds the cap.
    pub fn seal(&self, mut buf: Vec<u8>) -> Result<Vec<u8>, FrameError> {
        if buf.len() < field::HEADER_LEN {
            return Err(FrameError::Truncated {
                needed: field::HEADER_LEN,
                have: buf.len(),
            });
        }
        let length = buf.len() - field::HEADER_LEN;
        if length > MAX_DATA_LEN {
            return Err(FrameError::TooLong {
                length: length as u64,
                max: MAX_DATA_LEN,
            });
        }
        self.write_header(&mut buf, length);
        let crc = CRC16.checksum(&buf);
        buf.extend_from_slice(&crc.to_be_bytes());
        Ok(buf)
    }

    /// The frame as a new vector.
    pub fn to_bytes(&self) -> Result<Vec<u8>, FrameError> {
        let mut v = Vec::with_capacity(self.buffer_len());
        self.emit(&mut v)?;
        Ok(v)
    }
}

/// Next packet number after `n`: 1..=2^31-1, wrapping to 1.
pub const fn next_packet_no(n: u32) -> u32 {
    if n >= i32::MAX as u32 || n == 0 {
        1
    } else {
        n + 1
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// A 1006 heartbeat request, packetNo 7, data `{"data":[],"sign":"97d170e1550eee4afc0af065b78cda302a97674c","timestamp":1700000000}`.
    static HEARTBEAT_DATA: &[u8] =
        br#"{"data":[],"sign":"97d170e1550eee4afc0af065b78cda302a97674c","timestamp":1700000000}"#;

    fn heartbeat() -> Vec<u8> {
        let mut v = vec![
            b'S', b'Z', b'T', b'C', 0x01, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00,
        ];
        v.push(HEARTBEAT_DATA.len() as u8);
        v.extend_from_slice(&[0x00, 0x03, 0xEE]);
        v.extend_from_slice(HEARTBEAT_DATA);
        v
    }

    #[test]
    fn seal_in_place_equals_emit() {
        for data in [&b""[..], b"{}", &[0xA5; 300]] {
            let repr = FrameRepr {
                version: VERSION,
                packet_no: 0x0102_0304,
                direction: Direction::Reply,
                command: 5004,
                data,
            };
            let mut buf = vec![0xFF; field::HEADER_LEN];
            buf.extend_from_slice(data);
            assert_eq!(repr.seal(buf).unwrap(), repr.to_bytes().unwrap());
        }
        let repr = FrameRepr {
            version: VERSION,
            packet_no: 1,
            direction: Direction::Request,
            command: 1006,
            data: &[],
        };
        assert!(matches!(
            repr.seal(vec![0; 3]),
            Err(FrameError::Truncated {
                needed: 17,
                have: 3
            })
        ));
    }

    #[test]
    fn crc_check_value() {
        assert_eq!(CRC16.checksum(b"123456789"), 0x31C3);
    }

    #[test]
    fn parse_fixture_header() {
        let mut bytes = heartbeat();
        let crc = CRC16.checksum(&bytes);
        bytes.extend_from_slice(&crc.to_be_bytes());
        let repr = FrameRepr::parse(&bytes).unwrap();
        assert_eq!(repr.version, (1, 0));
        assert_eq!(repr.packet_no, 7);
        assert_eq!(repr.direction, Direction::Request);
        assert_eq!(repr.command, 1006);
        assert_eq!(repr.data, HEARTBEAT_DATA);
        assert_eq!(repr.to_bytes().unwrap(), bytes);
    }

    #[test]
    fn errors_are_typed() {
        let mut bytes = heartbeat();
        let crc = CRC16.checksum(&bytes);
        bytes.extend_from_slice(&(crc ^ 0x0101).to_be_bytes());
        assert_eq!(
            FrameRepr::parse(&bytes),
            Err(FrameError::CrcMismatch {
                expected: crc,
                found: crc ^ 0x0101
            })
        );
        let mut bad = bytes.clone();
        bad[0] = b'X';
        assert_eq!(FrameRepr::parse(&bad), Err(FrameError::BadMagic));
        assert!(matches!(
            FrameRepr::parse(&bytes[..10]),
            Err(FrameError::Truncated { .. })
        ));
        let mut long = bytes.clone();
        long[10..14].copy_from_slice(&(MAX_DATA_LEN as u32 + 1).to_be_bytes());
        assert!(matches!(
            FrameRepr::parse(&long),
            Err(FrameError::TooLong { .. })
        ));
        let mut dir = heartbeat();
        dir[14] = 2;
        let c = CRC16.checksum(&dir);
        dir.extend_from_slice(&c.to_be_bytes());
        assert_eq!(FrameRepr::parse(&dir), Err(FrameError::BadDirection(2)));
    }

    // Byte fixtures made by `fixtures/make.py` (Python: hashlib, a bitwise
    // CRC, struct), independently of this code.
    static ENTRY_5004: &[u8] = include_bytes!("fixtures/5004-request.sztc");
    static HEARTBEAT_1006: &[u8] = include_bytes!("fixtures/1006-request.sztc");
    static BOOK_REPLY_6001: &[u8] = include_bytes!("fixtures/6001-reply.sztc");

    #[test]
    fn python_fixtures_parse() {
        let f = FrameRepr::parse(HEARTBEAT_1006).unwrap();
        assert_eq!(
            (f.packet_no, f.command, f.direction),
            (i32::MAX as u32, 1006, Direction::Request)
        );
        assert_eq!(f.to_bytes().unwrap(), HEARTBEAT_1006);
        let f = FrameRepr::parse(ENTRY_5004).unwrap();
        assert_eq!((f.packet_no, f.command, f.version), (1, 5004, (1, 0)));
        assert_eq!(f.buffer_len(), ENTRY_5004.len());
        let f = FrameRepr::parse(BOOK_REPLY_6001).unwrap();
        assert_eq!((f.packet_no, f.direction), (42, Direction::Reply));
    }

    #[test]
    fn typed_messages_emit_the_python_bytes() {
        use crate::proto::envelope::{reply_frame, request_frame};
        use crate::proto::messages::*;
        use crate::proto::{ResultCode, SignAlgo};
        let t = |s| crate::proto::time::DateTime::parse(s).unwrap();
        let entry = Request::Entry(vec![ParkRecordInfo {
            car_info: ParkCarInfo {
                car_color: Some("白色".into()),
                car_model: Some(3),
                plate_color: Some("蓝色".into()),
                plate_no: "粤B88888".into(),
            },
            charge_id_list: None,
            discount: Amount::new(500),
            enter_time: t("2018-01-01 01:01:01"),
            id: "c78e319dab604a268842acf164774592".into(),
            in_equipment_id: Some("c78e319dab604a268842acf164774591".into()),
            leave_time: None,
            out_equipment_id: None,
            park_code: Some("44030400100101000010".into()),
            receivables: Amount::new(2000),
            received: Amount::new(1500),
            stall_no: Some("4403040010010100001000B1A108".into()),
        }]);
        assert_eq!(
            request_frame(&entry, 1, 1_700_000_000, SignAlgo::Sha1),
            ENTRY_5004
        );
        let hb = Request::Heartbeat(vec![]);
        assert_eq!(
            request_frame(&hb, i32::MAX as u32, 1_700_000_003, SignAlgo::Sha1),
            HEARTBEAT_1006
        );
        let book = Reply::Book(vec![BookReply {
            bluetooth_address: None,
            book_code: "YD201801061235241240001".into(),
            code: 0,
            message: "成功".into(),
            rest_reserved_stalls: Some(14),
            stall_no: Some("4403040010010100001000B1A108".into()),
        }]);
        assert_eq!(
            reply_frame(&book, ResultCode::Ok, 42, 1_700_000_001),
            BOOK_REPLY_6001
        );
    }

    #[test]
    fn packet_numbers_wrap() {
        assert_eq!(next_packet_no(1), 2);
        assert_eq!(next_packet_no(i32::MAX as u32), 1);
        assert_eq!(next_packet_no(0), 1);
    }
}
