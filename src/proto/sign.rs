//! Canonical JSON and the envelope sign (7.1.4.1.1 e).
//!
//! The canonical form of a JSON value: object keys sorted by byte (ASCII)
//! order at every depth, compact (no spaces), strings UTF-8 as is (no
//! `\uXXXX` for non-ASCII text, no escaped `/`), `null` and empty values
//! included, and **numbers with exactly the text they arrived with**. The
//! crate enables serde_json's `arbitrary_precision`, so a [`Value`] parsed
//! from bytes keeps `20.00` as `20.00` and a 20-digit `parkCode` as its
//! digits; a verifier canonicalizes from the received bytes and never goes
//! through floats.
//!
//! The sign is the lowercase hex SHA1 (or MD5, per connection) of the
//! canonical form of the envelope's `data` array.

use super::canon::{self, CanonError, Node};
use serde_json::Value;
use sha1::Digest;
use std::fmt;
use std::str::FromStr;

/// The digest behind a sign. SHA1 is the standard's default; 7.1.4.1.2
/// names MD5 for HTTPS, so it is a per-connection setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignAlgo {
    #[default]
    Sha1,
    Md5,
}

impl FromStr for SignAlgo {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "sha1" => Ok(SignAlgo::Sha1),
            "md5" => Ok(SignAlgo::Md5),
            _ => Err(format!("unknown sign algorithm `{s}` (sha1 or md5)")),
        }
    }
}

impl fmt::Display for SignAlgo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignAlgo::Sha1 => "sha1",
            SignAlgo::Md5 => "md5",
        })
    }
}

/// Writes the canonical form of a value built in memory (see the module
/// doc). To verify received bytes use [`canonical_from_slice`] or
/// [`verify`], which keep number text exactly.
///
/// serde_json's `Map` is a `BTreeMap<String, Value>` in this crate (no
/// `preserve_order`), which iterates keys in byte order, and its compact
/// writer already leaves non-ASCII text and `/` unescaped.
pub fn canonical(value: &Value) -> Vec<u8> {
    // Serializing a `Value` into a Vec cannot fail: keys are strings and
    // the writer is infallible.
    serde_json::to_vec(value).unwrap_or_default()
}

/// Canonical form of the JSON text in `bytes`, every number's text kept
/// exactly (see [`canon`](super::canon)).
pub fn canonical_from_slice(bytes: &[u8]) -> Result<Vec<u8>, CanonError> {
    Ok(canon::parse(bytes)?.canonical())
}

/// The sign of the JSON text in `bytes` (numbers hashed as received).
pub fn sign_slice(algo: SignAlgo, bytes: &[u8]) -> Result<String, CanonError> {
    Ok(digest_hex(algo, &canonical_from_slice(bytes)?))
}

/// Lowercase hex digest of `bytes` (already canonical).
pub fn digest_hex(algo: SignAlgo, bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(40);
    digest_hex_into(algo, bytes, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Appends the lowercase hex digest of `bytes` (already canonical).
pub fn digest_hex_into(algo: SignAlgo, bytes: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(digest_hex_array(algo, bytes).as_slice());
}

/// A lowercase hex digest held on the stack (40 digits for SHA1, 32 for
/// MD5).
pub struct HexDigest {
    buf: [u8; 40],
    len: usize,
}

impl HexDigest {
    pub fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// The lowercase hex digest of `bytes` (already canonical), without
/// allocating.
pub fn digest_hex_array(algo: SignAlgo, bytes: &[u8]) -> HexDigest {
    let mut h = HexDigest {
        buf: [0; 40],
        len: 0,
    };
    let mut put = |d: &[u8]| {
        for (i, b) in d.iter().enumerate() {
            h.buf[2 * i] = super::hex::LOWER[(b >> 4) as usize];
            h.buf[2 * i + 1] = super::hex::LOWER[(b & 0xF) as usize];
        }
        h.len = 2 * d.len();
    };
    match algo {
        SignAlgo::Sha1 => put(&sha1::Sha1::digest(bytes)),
        SignAlgo::Md5 => put(&md5::Md5::digest(bytes)),
    }
    h
}

/// True when `claimed` (hex, either case) is the sign of `canonical`,
/// bytes already in canonical form. Constant-time in the comparison.
pub fn verify_canonical(algo: SignAlgo, canonical: &[u8], claimed: &[u8]) -> bool {
    let mine = digest_hex_array(algo, canonical);
    let mine = mine.as_slice();
    if mine.len() != claimed.len() {
        return false;
    }
    mine.iter()
        .zip(claimed)
        .fold(0u8, |acc, (x, y)| acc | (x ^ y.to_ascii_lowercase()))
        == 0
}

/// The sign of a JSON value: digest of its canonical form.
pub fn sign_value(algo: SignAlgo, value: &Value) -> String {
    digest_hex(algo, &canonical(value))
}

/// Compares two byte strings in time independent of where they differ.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The outcome of checking an envelope's sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignCheck {
    /// The sign matches the canonical `data` array.
    Valid,
    /// The sign matches the only element of `data` alone, as in the
    /// standard's own example (accepted leniently, reported strictly).
    ValidElementOnly,
    /// The sign matches neither.
    Invalid,
}

/// Checks `claimed` against `data` (the envelope's `data`, as read by
/// [`canon::parse`]). Hex case is ignored; the comparison is constant-time.
pub fn verify(algo: SignAlgo, data: &Node<'_>, claimed: &str) -> SignCheck {
    let claimed = claimed.to_ascii_lowercase();
    if ct_eq(
        digest_hex(algo, &data.canonical()).as_bytes(),
        claimed.as_bytes(),
    ) {
        return SignCheck::Valid;
    }
    if let Node::Arr(items) = data
        && items.len() == 1
        && ct_eq(
            digest_hex(algo, &items[0].canonical()).as_bytes(),
            claimed.as_bytes(),
        )
    {
        return SignCheck::ValidElementOnly;
    }
    SignCheck::Invalid
}

#[cfg(test)]
mod test {
    use super::*;

    /// The standard's own vector (7.1.4.1.1 e).
    const EXAMPLE: &str = r#"{ "userId": "cadre01", "password": "205af3fa28810be321ef49d0993fee24", "callbackServer": "http://www.cncadre.com/" }"#;

    #[test]
    fn standard_sign_vector() {
        let v: Value = serde_json::from_str(EXAMPLE).unwrap();
        assert_eq!(
            sign_slice(SignAlgo::Sha1, EXAMPLE.as_bytes()).unwrap(),
            "59f5688227e06ae8059cba5286a700c95103353b"
        );
        assert_eq!(
            String::from_utf8(canonical(&v)).unwrap(),
            r#"{"callbackServer":"http://www.cncadre.com/","password":"205af3fa28810be321ef49d0993fee24","userId":"cadre01"}"#
        );
        assert_eq!(
            sign_value(SignAlgo::Sha1, &v),
            "59f5688227e06ae8059cba5286a700c95103353b"
        );
        // Wrapped as the envelope's data array: lenient element-only match.
        let text = format!("[{EXAMPLE}]");
        let data = canon::parse(text.as_bytes()).unwrap();
        assert_eq!(
            verify(
                SignAlgo::Sha1,
                &data,
                "59F5688227E06AE8059CBA5286A700C95103353B"
            ),
            SignCheck::ValidElementOnly
        );
        let full = sign_value(SignAlgo::Sha1, &Value::Array(vec![v]));
        assert_eq!(verify(SignAlgo::Sha1, &data, &full), SignCheck::Valid);
        assert_eq!(verify(SignAlgo::Md5, &data, &full), SignCheck::Invalid);
    }

    #[test]
    fn md5_is_selectable() {
        // MD5("") and SHA1("") are well known.
        assert_eq!(
            digest_hex(SignAlgo::Md5, b""),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
        assert_eq!(
            digest_hex(SignAlgo::Sha1, b""),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
        assert_eq!("MD5".parse::<SignAlgo>(), Ok(SignAlgo::Md5));
        assert!("sha256".parse::<SignAlgo>().is_err());
    }

    #[test]
    fn numbers_keep_their_text_and_keys_sort_at_every_depth() {
        let text = r#"{"z":[{"b":20.00,"a":44030400100101000010}],"A":null,"m":"","é":"粤B/1","n":1e5,"k":-0.10}"#;
        let out = String::from_utf8(canonical_from_slice(text.as_bytes()).unwrap()).unwrap();
        assert_eq!(
            out,
            r#"{"A":null,"k":-0.10,"m":"","n":1e5,"z":[{"a":44030400100101000010,"b":20.00}],"é":"粤B/1"}"#
        );
    }

    #[test]
    fn escapes_only_what_json_requires() {
        let v: Value = serde_json::from_str(r#"["a\"b\\c\u0001\n\u00e9\/"]"#).unwrap();
        assert_eq!(
            String::from_utf8(canonical(&v)).unwrap(),
            "[\"a\\\"b\\\\c\\u0001\\né/\"]"
        );
    }

    #[test]
    fn constant_time_compare() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
