//! Fixed-width hexadecimal without `core::fmt` (ids and signs are written
//! on every frame; the formatting machinery cost more than the hashing).

pub(crate) const LOWER: &[u8; 16] = b"0123456789abcdef";
const UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// `n`'s hex digits, zero-padded to `width` (1..=16; a wider number keeps
/// all its digits), at the end of a buffer: the digits are `buf[start..]`.
fn digits(n: u64, width: usize, digits: &[u8; 16]) -> ([u8; 16], usize) {
    let mut buf = [b'0'; 16];
    let width = width.clamp(1, 16);
    let need = (64 - n.leading_zeros() as usize).div_ceil(4).max(1);
    let start = 16 - width.max(need);
    let mut x = n;
    for slot in buf[start..].iter_mut().rev() {
        *slot = digits[(x & 0xF) as usize];
        x >>= 4;
    }
    (buf, start)
}

/// [`push_upper`]'s digits without a `String`: they are `buf[start..]`.
pub fn upper(n: u64, width: usize) -> ([u8; 16], usize) {
    digits(n, width, UPPER)
}

fn push(out: &mut String, n: u64, width: usize, table: &[u8; 16]) {
    let (buf, start) = digits(n, width, table);
    // ASCII digits only.
    out.push_str(std::str::from_utf8(&buf[start..]).unwrap_or_default());
}

/// Appends `n` as lowercase hex, zero-padded to `width` digits (like
/// `{:0width$x}`; a wider number keeps all its digits).
pub fn push_lower(out: &mut String, n: u64, width: usize) {
    push(out, n, width, LOWER)
}

/// As [`push_lower`], uppercase (`{:0width$X}`).
pub fn push_upper(out: &mut String, n: u64, width: usize) {
    push(out, n, width, UPPER)
}

/// Lowercase hex of bytes, appended to `out`.
pub fn encode_into(bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(bytes.len() * 2);
    for b in bytes {
        out.push(LOWER[(b >> 4) as usize]);
        out.push(LOWER[(b & 0xF) as usize]);
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn matches_core_fmt() {
        for &(n, w) in &[
            (0u64, 16usize),
            (1, 16),
            (0xabc, 6),
            (u64::MAX, 16),
            (0x1234_5678, 4),
            (42, 1),
            (0xF_FFFF_FFFF, 6),
        ] {
            let mut a = String::new();
            push_lower(&mut a, n, w);
            assert_eq!(a, format!("{n:0w$x}"));
            let mut b = String::new();
            push_upper(&mut b, n, w);
            assert_eq!(b, format!("{n:0w$X}"));
            let (buf, start) = upper(n, w);
            assert_eq!(&buf[start..], b.as_bytes());
        }
        let mut v = Vec::new();
        encode_into(&[0x00, 0x9f, 0xff, 0x10], &mut v);
        assert_eq!(v, b"009fff10");
    }
}
