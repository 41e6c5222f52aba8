//! What the garage sent against what the platform recorded, checked as
//! records arrive instead of at the end.
//!
//! The simulated platform's [`Ledger`] is taken after every call, as the
//! network platform's is ([`Books::fold`]); these books are the platform's
//! store in a run. A platform that keeps digests
//! ([`Platform::keep_digests`](crate::platform::Platform::keep_digests))
//! hands over each report as its id and digest, not the record. They keep, per kind of record (5004, 5005, 5008, 7001),
//! the ids recorded (a resent id is a duplicate, acknowledged and not
//! recorded again) and, for records the garage sent and the platform has
//! not yet recorded, a 64-bit digest of the record. A recorded record is
//! checked against its digest and dropped, so memory grows by one bit per
//! recorded id (the garage's ids are its seed and a counter, 32 hex
//! digits: [`IdSet`]), not by the record.
//!
//! At the end ([`Books::problems`]) a record still pending is **missing**,
//! one recorded that the garage never sent is **unknown**, one whose
//! content differs from what the garage sent is **altered**; an id the
//! garage sent twice with different records is **reused**. The last space
//! count (5003, the latest envelope timestamp wins) is compared with the
//! garage's counters.

use crate::platform::{Ledger, Report};
use crate::proto::messages::ParkSpaceInfo;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::hash::Hash;

/// The kinds of record reconciled by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 5004.
    Entry,
    /// 5005.
    Exit,
    /// 5008.
    Charge,
    /// 7001.
    Switch,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Entry, Kind::Exit, Kind::Charge, Kind::Switch];

    fn name(self) -> &'static str {
        match self {
            Kind::Entry => "5004 entries",
            Kind::Exit => "5005 exits",
            Kind::Charge => "5008 charges",
            Kind::Switch => "7001 switches",
        }
    }
}

/// A record id as held: 32 lowercase hex digits (every id the garage
/// makes) as 16 bytes, anything else as its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Hex(u128),
    Text(Box<str>),
}

/// The value of each lowercase hex digit; 0xFF for every other byte.
const HEX: [u8; 256] = {
    let mut t = [0xFF; 256];
    let mut c = 0;
    while c < 10 {
        t[b'0' as usize + c] = c as u8;
        c += 1;
    }
    let mut c = 0;
    while c < 6 {
        t[b'a' as usize + c] = 10 + c as u8;
        c += 1;
    }
    t
};

impl Key {
    fn of(id: &str) -> Key {
        let b = id.as_bytes();
        if b.len() == 32 {
            // Each half into a u64, a table lookup per digit; any byte not
            // a lowercase hex digit sets a high bit in `bad`.
            let mut bad = 0u8;
            let mut half = |h: &[u8]| {
                h.iter().fold(0u64, |v, &c| {
                    let d = HEX[usize::from(c)];
                    bad |= d;
                    v << 4 | u64::from(d & 0xF)
                })
            };
            let (hi, lo) = (half(&b[..16]), half(&b[16..]));
            if bad & 0xF0 == 0 {
                return Key::Hex(u128::from(hi) << 64 | u128::from(lo));
            }
        }
        Key::Text(id.into())
    }
}

/// A set of record ids. The garage's ids are its seed (high 64 bits) and
/// a counter (low 64): ids under the first seed seen with a counter below
/// 2^32 are bits of a bitmap (one bit per id, and a lookup touches one
/// word, not a slot of a hash table megabytes wide); any other id goes to
/// a hash set. Membership is exact either way.
#[derive(Debug, Default)]
struct IdSet {
    seed: Option<u64>,
    bits: Vec<u64>,
    other: HashSet<Key>,
    len: usize,
}

impl IdSet {
    /// The bit of `k`, if `k` is an id under the bitmap's seed.
    fn bit(&self, k: &Key) -> Option<usize> {
        let &Key::Hex(v) = k else { return None };
        let (hi, lo) = ((v >> 64) as u64, v as u64);
        (self.seed.is_none_or(|s| s == hi) && lo < 1 << 32).then_some(lo as usize)
    }

    fn contains(&self, k: &Key) -> bool {
        match self.bit(k) {
            Some(b) if self.seed.is_some() => self
                .bits
                .get(b / 64)
                .is_some_and(|w| w >> (b % 64) & 1 == 1),
            Some(_) => false,
            None => self.other.contains(k),
        }
    }

    fn insert(&mut self, k: Key) {
        match self.bit(&k) {
            Some(b) => {
                if let Key::Hex(v) = k {
                    self.seed = Some((v >> 64) as u64);
                }
                if self.bits.len() <= b / 64 {
                    self.bits.resize(b / 64 + 1, 0);
                }
                let w = &mut self.bits[b / 64];
                self.len += usize::from(*w >> (b % 64) & 1 == 0);
                *w |= 1 << (b % 64);
            }
            None => self.len += usize::from(self.other.insert(k)),
        }
    }

    fn len(&self) -> usize {
        self.len
    }
}

/// A record's content as 64 bits: the platform's [`digest`](crate::platform::digest),
/// so a digest the platform kept ([`Platform::keep_digests`](crate::platform::Platform::keep_digests))
/// and one of a record it kept compare alike.
pub use crate::platform::digest;

/// One kind's books.
#[derive(Debug, Default)]
struct Book {
    /// Sent by the garage and not yet recorded: id → digest.
    pending: HashMap<Key, u64>,
    /// Every id the platform recorded.
    recorded: IdSet,
    /// Distinct ids the garage sent.
    sent: u64,
    /// Recorded, never sent by the garage.
    unknown: u64,
    /// Recorded with content other than the garage's.
    altered: u64,
    /// Ids the garage sent again with another record.
    reused: u64,
}

impl Book {
    fn sent(&mut self, id: &str, digest: u64) {
        let k = Key::of(id);
        if self.recorded.contains(&k) {
            // Already recorded: only a different record is a problem.
            self.reused += 1;
            return;
        }
        match self.pending.insert(k, digest) {
            None => self.sent += 1,
            Some(d) if d == digest => {}
            Some(_) => self.reused += 1,
        }
    }

    /// Returns false for a duplicate (the id was recorded before).
    fn recorded(&mut self, id: &str, digest: u64) -> bool {
        let k = Key::of(id);
        if self.recorded.contains(&k) {
            return false;
        }
        match self.pending.remove(&k) {
            Some(d) if d == digest => {}
            Some(_) => self.altered += 1,
            None => self.unknown += 1,
        }
        self.recorded.insert(k);
        true
    }
}

/// The run's books: the garage's records against the platform's.
#[derive(Debug, Default)]
pub struct Books {
    books: [Book; 4],
    /// The latest space count and its envelope timestamp [s].
    space: Option<(i64, ParkSpaceInfo)>,
    /// Records the platform received again after recording them.
    pub duplicates: u64,
}

impl Books {
    fn book(&mut self, kind: Kind) -> &mut Book {
        &mut self.books[kind as usize]
    }

    /// The garage sent `record` (`id`) of `kind`.
    pub fn sent<T: Hash>(&mut self, kind: Kind, id: &str, record: &T) {
        let d = digest(record);
        self.book(kind).sent(id, d);
    }

    /// The platform recorded `record` (`id`) of `kind`; false: a duplicate.
    pub fn recorded<T: Hash>(&mut self, kind: Kind, id: &str, record: &T) -> bool {
        self.recorded_digest(kind, id, digest(record))
    }

    /// The platform recorded a record of `kind` whose [`digest`] is
    /// `digest`; false: a duplicate.
    pub fn recorded_digest(&mut self, kind: Kind, id: &str, digest: u64) -> bool {
        let fresh = self.book(kind).recorded(id, digest);
        self.duplicates += u64::from(!fresh);
        fresh
    }

    /// Whether the platform holds record `id` of `kind`.
    pub fn holds(&self, kind: Kind, id: &str) -> bool {
        self.books[kind as usize].recorded.contains(&Key::of(id))
    }

    /// Everything one platform call recorded, leaving its ledger empty.
    pub fn fold(&mut self, l: &mut Ledger) {
        for (id, r) in &l.entries {
            self.recorded(Kind::Entry, id, r);
        }
        for (id, r) in &l.exits {
            self.recorded(Kind::Exit, id, r);
        }
        for (id, r) in &l.charges {
            self.recorded(Kind::Charge, id, r);
        }
        for (id, r) in &l.priority_switches {
            self.recorded(Kind::Switch, id, r);
        }
        for d in &l.digested {
            let kind = match d.report {
                Report::Entry => Kind::Entry,
                Report::Exit => Kind::Exit,
                Report::Charge => Kind::Charge,
                Report::Switch => Kind::Switch,
            };
            self.recorded_digest(kind, &d.id, d.digest);
        }
        if let Some((t, s)) = l.space.take()
            && self.space.as_ref().is_none_or(|(held, _)| t >= *held)
        {
            self.space = Some((t, s));
        }
        l.clear();
    }

    /// What does not reconcile, given the garage's last counts (used,
    /// unused, reserved stalls); empty when everything does.
    pub fn problems(&self, used: u32, unused: u32, reserved: u32) -> Vec<String> {
        let mut p = Vec::new();
        for kind in Kind::ALL {
            let b = &self.books[kind as usize];
            let missing = b.pending.len();
            if missing > 0 || b.unknown > 0 || b.altered > 0 || b.reused > 0 {
                let mut m = format!("{}: {missing} missing, {} unknown", kind.name(), b.unknown);
                if b.altered > 0 {
                    m.push_str(&format!(", {} altered", b.altered));
                }
                if b.reused > 0 {
                    m.push_str(&format!(", {} ids reused", b.reused));
                }
                m.push_str(&format!(
                    " (garage {}, platform {})",
                    b.sent,
                    b.recorded.len()
                ));
                p.push(m);
            }
        }
        match &self.space {
            Some((_, s))
                if s.used_stalls == used as i64
                    && s.unused_stalls == unused as i64
                    && s.reserved_stalls == Some(reserved as i64) => {}
            other => p.push(format!(
                "5003: platform has {:?}, garage has used {used} unused {unused} reserved {reserved}",
                other.as_ref().map(|x| &x.1),
            )),
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::messages::{Amount, ParkCarInfo, ParkRecordInfo};
    use crate::proto::time::DateTime;
    use rust_decimal::Decimal;

    /// The bitmap and the hash set together answer exactly as one hash
    /// set would, whatever mix of seeds, counters and text ids comes.
    #[test]
    fn id_set_is_a_set() {
        let mut next = crate::testing::xorshift(0x2545_F491_4F6C_DD1D);
        let mut set = IdSet::default();
        let mut reference = std::collections::HashSet::new();
        for _ in 0..20_000 {
            let id = match next() % 6 {
                0 => format!("{:016x}{:016x}", 0xbeefu64, next() % 5_000),
                1 => format!("{:016x}{:016x}", 0xbeefu64, (1u64 << 32) + next() % 50),
                2 => format!("{:016x}{:016x}", 0xcafeu64, next() % 500),
                3 => format!("ID-{}", next() % 300),
                4 => format!("{:016X}{:016x}", 0xbeefu64, next() % 50),
                _ => format!("{:016x}{:016x}", 0xbeefu64, next() % 5_000),
            };
            let k = Key::of(&id);
            assert_eq!(set.contains(&k), reference.contains(&k), "{id}");
            if next().is_multiple_of(2) {
                set.insert(k.clone());
                reference.insert(k);
            }
            assert_eq!(set.len(), reference.len());
        }
        assert!(!set.bits.is_empty() && !set.other.is_empty());
    }

    fn rec(n: u64, plate: &str) -> ParkRecordInfo {
        ParkRecordInfo {
            car_info: ParkCarInfo {
                plate_no: plate.into(),
                ..ParkCarInfo::default()
            },
            charge_id_list: None,
            discount: Amount::ZERO,
            enter_time: DateTime(1_000 + n as i64),
            id: format!("{:016x}{n:016x}", 0xabcu64),
            in_equipment_id: None,
            leave_time: None,
            out_equipment_id: None,
            park_code: None,
            receivables: Amount(Decimal::new(1500, 2)),
            received: Amount(Decimal::new(15, 0)),
            stall_no: None,
        }
    }

    fn space(used: i64) -> ParkSpaceInfo {
        ParkSpaceInfo {
            park_code: "P".into(),
            reserved_stalls: Some(0),
            unused_stalls: 10 - used,
            used_stalls: used,
        }
    }

    /// Three entries sent; the platform's ledger is built by `platform`
    /// (one call per ledger); the problems found.
    /// Each ledger is folded as it is and as a platform that keeps
    /// digests would hand it over ([`as_digests`]): the two must agree.
    fn check(platform: impl Fn(&[ParkRecordInfo]) -> Vec<Ledger>) -> (Vec<String>, u64) {
        let sent: Vec<_> = (1..=3).map(|n| rec(n, "粤B12345")).collect();
        let (mut b, mut d) = (Books::default(), Books::default());
        for r in &sent {
            b.sent(Kind::Entry, &r.id, r);
            d.sent(Kind::Entry, &r.id, r);
        }
        for mut l in platform(&sent) {
            d.fold(&mut as_digests(l.clone()));
            b.fold(&mut l);
        }
        let out = (b.problems(3, 7, 0), b.duplicates);
        assert_eq!((d.problems(3, 7, 0), d.duplicates), out);
        out
    }

    /// The ledger a platform keeping digests would have made.
    fn as_digests(mut l: Ledger) -> Ledger {
        for (id, r) in std::mem::take(&mut l.entries) {
            l.digested.push(crate::platform::Digested {
                report: Report::Entry,
                digest: digest(&r),
                id,
            });
        }
        l
    }

    fn ledger(records: &[ParkRecordInfo], used: i64) -> Ledger {
        let mut l = Ledger::default();
        for r in records {
            l.entries.insert(r.id.clone(), r.clone());
        }
        l.space = Some((used, space(used)));
        l
    }

    #[test]
    fn every_record_once_reconciles() {
        // Recorded over two calls; the later space count wins.
        let (p, dup) = check(|s| vec![ledger(&s[..1], 1), ledger(&s[1..], 3)]);
        assert_eq!(p, Vec::<String>::new());
        assert_eq!(dup, 0);
        // Equal amounts written with other scales are the same record.
        let (p, _) = check(|s| {
            let mut s = s.to_vec();
            s[0].received = Amount(Decimal::new(1500, 2));
            vec![ledger(&s, 3)]
        });
        assert_eq!(p, Vec::<String>::new());
    }

    #[test]
    fn a_resent_record_is_a_duplicate_not_a_problem() {
        let (p, dup) = check(|s| vec![ledger(s, 3), ledger(&s[1..2], 3)]);
        assert_eq!(p, Vec::<String>::new());
        assert_eq!(dup, 1);
    }

    #[test]
    fn lost_altered_unknown_and_stale_records_fail() {
        type Platform = Box<dyn Fn(&[ParkRecordInfo]) -> Vec<Ledger>>;
        let cases: Vec<(&str, Platform, &str)> = vec![
            (
                "lost",
                Box::new(|s| vec![ledger(&s[..2], 3)]),
                "5004 entries: 1 missing, 0 unknown (garage 3, platform 2)",
            ),
            (
                "altered plate",
                Box::new(|s| {
                    let mut s = s.to_vec();
                    s[2].car_info.plate_no = "粤B99999".into();
                    vec![ledger(&s, 3)]
                }),
                "5004 entries: 0 missing, 0 unknown, 1 altered (garage 3, platform 3)",
            ),
            (
                "altered amount",
                Box::new(|s| {
                    let mut s = s.to_vec();
                    s[0].received = Amount(Decimal::new(1501, 2));
                    vec![ledger(&s, 3)]
                }),
                "5004 entries: 0 missing, 0 unknown, 1 altered (garage 3, platform 3)",
            ),
            (
                "unknown",
                Box::new(|s| {
                    let mut s = s.to_vec();
                    s.push(rec(9, "粤B00000"));
                    vec![ledger(&s, 3)]
                }),
                "5004 entries: 0 missing, 1 unknown (garage 3, platform 4)",
            ),
            (
                "one lost, an id not the garage's",
                Box::new(|s| {
                    let mut s = s[..2].to_vec();
                    s.push(ParkRecordInfo {
                        id: "x".into(),
                        ..s[0].clone()
                    });
                    vec![ledger(&s, 3)]
                }),
                "5004 entries: 1 missing, 1 unknown (garage 3, platform 3)",
            ),
        ];
        for (name, platform, want) in cases {
            let (p, _) = check(platform);
            assert_eq!(p, vec![want.to_string()], "{name}");
        }
        // An older space count arriving last does not overwrite the newer.
        let (p, _) = check(|s| {
            let mut late = ledger(&[], 2);
            late.space = Some((0, space(2)));
            vec![ledger(s, 3), late]
        });
        assert_eq!(p, Vec::<String>::new());
        // No space count at all, or a wrong one.
        let (p, _) = check(|s| vec![ledger(s, 2)]);
        assert_eq!(p.len(), 1);
        assert!(p[0].starts_with("5003: platform has"), "{p:?}");
    }

    #[test]
    fn an_id_sent_twice_with_two_records_fails() {
        let mut b = Books::default();
        let r = rec(1, "粤B12345");
        b.sent(Kind::Exit, &r.id, &r);
        b.sent(Kind::Exit, &r.id, &r); // the same record again: fine
        let mut other = r.clone();
        other.enter_time = DateTime(5);
        b.sent(Kind::Exit, &r.id, &other);
        assert_eq!(b.books[Kind::Exit as usize].reused, 1);
    }

    #[test]
    fn keys_take_the_garage_ids_as_integers() {
        assert_eq!(Key::of(&"0".repeat(32)), Key::Hex(0));
        assert_eq!(Key::of(&format!("{:032x}", u128::MAX)), Key::Hex(u128::MAX));
        let id = "0123456789abcdef0011223344556677";
        assert_eq!(Key::of(id), Key::Hex(u128::from_str_radix(id, 16).unwrap()));
        // Upper case or another length is another id: kept as text.
        assert_eq!(Key::of(&"A".repeat(32)), Key::Text("A".repeat(32).into()));
        assert_eq!(Key::of("abc"), Key::Text("abc".into()));
        // Against u128's own reading (which also takes upper case and a
        // sign): every byte value in every position of a hex id.
        let naive = |id: &str| {
            if id.len() == 32 && id.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
                Key::Hex(u128::from_str_radix(id, 16).unwrap())
            } else {
                Key::Text(id.into())
            }
        };
        let base = b"0123456789abcdeffedcba9876543210";
        for at in 0..32 {
            for c in 0..=127u8 {
                let mut b = *base;
                b[at] = c;
                let id = std::str::from_utf8(&b).unwrap();
                assert_eq!(Key::of(id), naive(id), "{id:?}");
            }
        }
        assert_eq!(
            Key::of("é0123456789abcdef0123456789abcd"),
            naive("é0123456789abcdef0123456789abcd")
        );
    }
}
