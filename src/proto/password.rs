//! Passwords of 1001, 1002 and 1004: DES in CBC mode with PKCS7 padding,
//! then Base64, with the 8-byte key the platform assigns. The standard does
//! not name the IV; the common reading, and the default here, is the key
//! itself.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use std::fmt;

type DesCbcEnc = cbc::Encryptor<des::Des>;
type DesCbcDec = cbc::Decryptor<des::Des>;

/// Why a password could not be encrypted or decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordError {
    /// The key or IV is not exactly 8 bytes.
    KeyLength { what: &'static str, len: usize },
    /// The ciphertext is not Base64.
    Base64(String),
    /// The ciphertext is not a whole number of blocks, or the padding is wrong
    /// (usually: a wrong key).
    Padding,
    /// The plaintext is not UTF-8.
    Utf8,
}

impl fmt::Display for PasswordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordError::KeyLength { what, len } => {
                write!(f, "the DES {what} must be 8 bytes, got {len}")
            }
            PasswordError::Base64(e) => write!(f, "ciphertext is not Base64: {e}"),
            PasswordError::Padding => {
                write!(f, "bad ciphertext or padding (wrong key or IV?)")
            }
            PasswordError::Utf8 => write!(f, "decrypted password is not UTF-8"),
        }
    }
}

impl std::error::Error for PasswordError {}

/// A DES key and IV.
#[derive(Clone, PartialEq, Eq)]
pub struct DesKey {
    key: [u8; 8],
    iv: [u8; 8],
}

impl fmt::Debug for DesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DesKey(..)")
    }
}

fn eight(what: &'static str, b: &[u8]) -> Result<[u8; 8], PasswordError> {
    b.try_into()
        .map_err(|_| PasswordError::KeyLength { what, len: b.len() })
}

impl DesKey {
    /// A key whose IV is the key itself (the default reading).
    pub fn new(key: &[u8]) -> Result<DesKey, PasswordError> {
        let key = eight("key", key)?;
        Ok(DesKey { key, iv: key })
    }

    /// A key with an explicit IV.
    pub fn with_iv(key: &[u8], iv: &[u8]) -> Result<DesKey, PasswordError> {
        Ok(DesKey {
            key: eight("key", key)?,
            iv: eight("IV", iv)?,
        })
    }

    /// Encrypts and Base64-encodes `plain`.
    pub fn encrypt(&self, plain: &str) -> String {
        let msg = plain.as_bytes();
        let mut out = vec![0u8; (msg.len() / 8 + 1) * 8];
        let enc = DesCbcEnc::new(&self.key.into(), &self.iv.into());
        // The buffer has room for the padded message, so this cannot fail.
        let ct = enc
            .encrypt_padded_b2b::<Pkcs7>(msg, &mut out)
            .unwrap_or(&[]);
        STANDARD.encode(ct)
    }

    /// Decodes and decrypts a Base64 ciphertext.
    pub fn decrypt(&self, b64: &str) -> Result<String, PasswordError> {
        let ct = STANDARD
            .decode(b64.trim())
            .map_err(|e| PasswordError::Base64(e.to_string()))?;
        if ct.is_empty() || ct.len() % 8 != 0 {
            return Err(PasswordError::Padding);
        }
        let mut out = vec![0u8; ct.len()];
        let dec = DesCbcDec::new(&self.key.into(), &self.iv.into());
        let pt = dec
            .decrypt_padded_b2b::<Pkcs7>(&ct, &mut out)
            .map_err(|_| PasswordError::Padding)?;
        String::from_utf8(pt.to_vec()).map_err(|_| PasswordError::Utf8)
    }

    /// True when `b64` decrypts to `expected` (compared in constant time).
    pub fn check(&self, b64: &str, expected: &str) -> bool {
        match self.decrypt(b64) {
            Ok(p) => super::sign::ct_eq(p.as_bytes(), expected.as_bytes()),
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    // Vectors made with `openssl enc -des-cbc -K … -iv … -base64` (legacy provider).
    #[test]
    fn openssl_vectors() {
        let k = DesKey::new(b"12345678").unwrap();
        assert_eq!(k.encrypt("secret"), "k5WbHqyaHus=");
        assert_eq!(k.decrypt("k5WbHqyaHus=").unwrap(), "secret");
        let k = DesKey::with_iv(b"key12345", &[1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
        let ct = "11/LcTCujDdv1+/v74N9y+ETPr8z7H/99NoXKKGDvpofl80eH2UMBg==";
        assert_eq!(k.encrypt("hello world! this is my plaintext."), ct);
        assert_eq!(k.decrypt(ct).unwrap(), "hello world! this is my plaintext.");
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert_eq!(
            DesKey::new(b"short").unwrap_err(),
            PasswordError::KeyLength {
                what: "key",
                len: 5
            }
        );
        let k = DesKey::new(b"12345678").unwrap();
        assert!(matches!(
            k.decrypt("not base64!"),
            Err(PasswordError::Base64(_))
        ));
        assert_eq!(k.decrypt("AAAA"), Err(PasswordError::Padding));
        let other = DesKey::new(b"87654321").unwrap();
        assert!(!other.check("k5WbHqyaHus=", "secret"));
        assert!(k.check("k5WbHqyaHus=", "secret"));
        assert!(!k.check("k5WbHqyaHus=", "secreT"));
    }

    #[test]
    fn round_trip_lengths() {
        let k = DesKey::new(b"abcdefgh").unwrap();
        for n in 0..40 {
            let p: String = "密码x".chars().cycle().take(n).collect();
            assert_eq!(k.decrypt(&k.encrypt(&p)).unwrap(), p);
        }
    }
}
