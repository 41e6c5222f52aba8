//! The ids the garage gives its records, charges, discounts and switches:
//! its seed and a counter, written `{seed:016x}{n:016x}` (32 lowercase hex
//! digits). Kept as the two numbers, so an entry or a payment that no
//! frame reports costs no text; the text is written only when a report or
//! a caller needs it.

use std::fmt;

/// One id of the garage (see the module docs). Ordered as its text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReportId {
    seed: u64,
    n: u64,
}

impl ReportId {
    pub(crate) const fn new(seed: u64, n: u64) -> ReportId {
        ReportId { seed, n }
    }

    /// The id whose text this is: exactly 32 lowercase hex digits (what
    /// [`ReportId::text`] writes); anything else is no id of a garage.
    pub fn parse(text: &str) -> Option<ReportId> {
        let b = text.as_bytes();
        if b.len() != 32 {
            return None;
        }
        let half = |h: &[u8]| {
            h.iter().try_fold(0u64, |acc, &c| {
                let d = match c {
                    b'0'..=b'9' => c - b'0',
                    b'a'..=b'f' => c - b'a' + 10,
                    _ => return None,
                };
                Some(acc << 4 | d as u64)
            })
        };
        Some(ReportId {
            seed: half(&b[..16])?,
            n: half(&b[16..])?,
        })
    }

    /// The counter half: the record's place in the garage's sequence.
    pub fn n(self) -> u64 {
        self.n
    }

    /// The id as its 32 hex digits.
    pub fn text(self) -> String {
        let mut s = String::with_capacity(32);
        crate::proto::hex::push_lower(&mut s, self.seed, 16);
        crate::proto::hex::push_lower(&mut s, self.n, 16);
        s
    }
}

impl fmt::Display for ReportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}{:016x}", self.seed, self.n)
    }
}

impl PartialEq<str> for ReportId {
    fn eq(&self, text: &str) -> bool {
        ReportId::parse(text) == Some(*self)
    }
}

impl PartialEq<&str> for ReportId {
    fn eq(&self, text: &&str) -> bool {
        *self == **text
    }
}

impl PartialEq<String> for ReportId {
    fn eq(&self, text: &String) -> bool {
        *self == *text.as_str()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn text_parse_and_order_agree() {
        let mut next = crate::testing::xorshift(0x0001_D50F_7E57);
        let mut ids: Vec<ReportId> = (0..500)
            .map(|i| {
                let seed = if i % 3 == 0 { next() } else { next() % 4 };
                ReportId::new(seed, if i % 5 == 0 { next() } else { next() % 300 })
            })
            .collect();
        ids.push(ReportId::new(0, 0));
        ids.push(ReportId::new(u64::MAX, u64::MAX));
        for &id in &ids {
            let t = id.text();
            assert_eq!(t, format!("{:016x}{:016x}", id.seed, id.n));
            assert_eq!(t, id.to_string());
            assert_eq!(ReportId::parse(&t), Some(id));
            assert!(id == t.as_str() && id == t);
        }
        let mut by_id = ids.clone();
        by_id.sort();
        let mut by_text: Vec<String> = ids.iter().map(|i| i.text()).collect();
        by_text.sort();
        let sorted: Vec<String> = by_id.iter().map(|i| i.text()).collect();
        assert_eq!(sorted, by_text);
    }

    #[test]
    fn only_32_lowercase_hex_digits_parse() {
        let good = "000000000000abcd0000000000000001";
        assert_eq!(ReportId::parse(good), Some(ReportId::new(0xabcd, 1)));
        for bad in [
            "",
            "nope",
            "000000000000ABCD0000000000000001",
            "000000000000abcd000000000000001",
            "000000000000abcd00000000000000011",
            "000000000000abcd000000000000000g",
            "+00000000000abcd0000000000000001",
            "000000000000abcd 000000000000001",
        ] {
            assert_eq!(ReportId::parse(bad), None, "{bad:?}");
            assert!(ReportId::new(0xabcd, 1) != bad);
        }
    }
}
