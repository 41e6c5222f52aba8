//! The protocol of T/SZPIA 001—2020, sans-IO: no sockets, no clock, no RNG.
//!
//! - [`codes`]: interface codes and the standard's result codes (tables 43, 44).
//! - [`time`]: the standard's `DateTime`/`Date`/`Time` strings.
//! - [`messages`]: typed structs for tables 2–11 and every request and reply.
//! - [`schema`]: the tables as data, and lenient/strict validation with the
//!   standard's codes and field paths.
//! - [`canon`]: a JSON reader that keeps number text; [`sign`]: canonical
//!   JSON and the SHA1/MD5 sign.
//! - [`envelope`]: signed request and reply envelopes, and reading one back.
//! - [`frame`]: the SZTC frame (view + Repr); [`codec`]: its stream decoder.
//! - [`password`]: DES-CBC/PKCS7/Base64 passwords; [`token`]: HTTPS tokens.
//! - [`check`]: what a platform answers to a request body.
//! - [`clean`]: the fast path's reading of a clean, canonical `data` array;
//!   [`direct`]: the hot items (5003–5008 and their replies) read, checked
//!   against their tables and written by hand, the same values and bytes
//!   as serde.
//! - [`number`]: number text → Decimal, Int, Double (one conversion for every reader).

pub mod canon;
pub mod check;
pub mod clean;
pub mod codec;
pub mod codes;
pub mod direct;
pub mod envelope;
pub mod frame;
pub mod hex;
pub mod messages;
pub mod number;
pub mod password;
pub mod schema;
pub mod sign;
pub mod time;
pub mod token;

pub use codes::{BizCode, Command, ResultCode};
pub use frame::Direction;
pub use schema::Mode;
pub use sign::SignAlgo;
