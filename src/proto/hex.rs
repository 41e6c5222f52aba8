//! Fixed-width hexadecimal without `core::fmt` (ids and signs are written
//! on every frame; the formatting machinery cost more than the hashing).

pub(crate) const LOWER: &[u8; 16] = b"0123456789abcdef";
const UPPER: &[u8; 16] = b"0123456789ABCDEF";

fn push(out: &mut String, n: u64, width: usize, digits: &[u8; 16]) {
    let mut buf = [b'0'; 16];
    let width = width.clamp(1, 16);
    let need = (64 - n.leading_zeros() as usize).div_ceil(4).max(1);
    let w = width.max(need);
    let mut x = n;
    for slot in buf[16 - w..].iter_mut().rev() {
        *slot = digits[(x & 0xF) as usize];
        x >>= 4;
    }
    // ASCII digits only.
    out.push_str(std::str::from_utf8(&buf[16 - w..]).unwrap_or_default());
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
        }
        let mut v = Vec::new();
        encode_into(&[0x00, 0x9f, 0xff, 0x10], &mut v);
        assert_eq!(v, b"009fff10");
    }
}
