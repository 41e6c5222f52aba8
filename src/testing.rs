//! Helpers for the unit tests only.

/// xorshift64 (13, 7, 17) from `seed` (non-zero): a deterministic stream
/// for tests that mix many cases, with no dependency.
pub fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}
