//! xorshift64*: a deterministic, seedable generator for the mutation tests
//! (no dependency; proptest supplies the seeds). Included by `#[path]`.

pub struct Rng(pub u64);

#[allow(dead_code)] // each test file uses its own subset
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n` (`0` for `n = 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// True one time in `k`.
    pub fn chance(&mut self, k: u64) -> bool {
        self.next().is_multiple_of(k)
    }
}

/// xorshift64 (13, 7, 17) from `seed` (non-zero), as a closure.
#[allow(dead_code)]
pub fn stream(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}
