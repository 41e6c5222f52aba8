//! Bookings as the platform sees them: when it sends 6001 to the garage,
//! its own slot inventory for the bookings it holds until then, and the
//! standard's time limits on changes and cancellations (6.3 b, c).
//!
//! Two policies a planner compares ([`BookingPolicy::lock_ahead`]):
//! - **at booking** (`None`): the platform sends 6001 the moment the
//!   driver books, and the garage locks a stall from then until
//!   `overTime + obligatTime` — the standard's 6001 ("系统锁定一个空闲车位")
//!   taken literally;
//! - **lock ahead** (`Some(d)`): the platform accepts the booking into its
//!   own [`Inventory`] and sends 6001 `d` before the expected arrival, so
//!   the garage's stall is locked only from then. The inventory accepts a
//!   booking only if, at every instant of its window (lock to expiry plus
//!   hold), fewer than `reservable_stalls` accepted bookings are held.
//!   A 6001 the garage then refuses is a *late refusal*.

use super::demand::{BookerPlan, DriverId};
use super::kernel::SimTime;

/// Where a booking is, as the platform sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResvState {
    /// Not made yet.
    Planned,
    /// Accepted into the platform's inventory; 6001 not sent yet.
    Held,
    /// The garage locked a stall (6001 answered 0).
    Locked,
    /// Refused when made (by the platform or by the garage).
    Refused,
    /// Accepted by the platform, then refused by the garage at the lock.
    LateRefused,
    Cancelled,
}

/// One booking of the run.
#[derive(Debug, Clone)]
pub struct Resv {
    pub driver: DriverId,
    /// `bookCode`: `YD` and the 1-based index, 10 digits.
    pub code: String,
    /// The booked arrival time (`overTime`).
    pub booked: SimTime,
    /// A moved time sent in a 6001 change, until the garage answers.
    pub pending: Option<SimTime>,
    /// Its window in the platform's inventory.
    pub window: Option<Window>,
    /// Bumped when a change moves the driver: older arrivals are stale.
    pub arrival_gen: u32,
    /// Bumped when a change moves the lock: older locks are stale.
    pub lock_gen: u32,
    pub state: ResvState,
    /// The driver has come (or the time to come has passed).
    pub arrived: bool,
    /// Its booked time falls in the measured days.
    pub counted: bool,
    pub plan: BookerPlan,
}

impl Resv {
    /// The booking index a `bookCode` names.
    pub fn index_of(code: &str) -> Option<usize> {
        code.strip_prefix("YD")?
            .parse::<usize>()
            .ok()?
            .checked_sub(1)
    }

    /// `YD` and `i + 1` in at least 10 decimal digits (`YD{:010}`),
    /// written by hand: `format!` with a width cost 2 % of a hospital week.
    pub fn code_of(i: usize) -> String {
        let mut n = i as u64 + 1;
        let mut buf = [b'0'; 20];
        let mut at = buf.len();
        while n > 0 {
            at -= 1;
            buf[at] = b'0' + (n % 10) as u8;
            n /= 10;
        }
        let start = at.min(buf.len() - 10);
        let mut s = String::with_capacity(2 + buf.len() - start);
        s.push_str("YD");
        // ASCII digits only.
        s.push_str(std::str::from_utf8(&buf[start..]).unwrap_or_default());
        s
    }
}

/// The platform's booking policy, from `[booking]` and
/// `demand.obligat_min`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BookingPolicy {
    /// How long before the expected arrival the platform sends 6001 [ms];
    /// `None`: at the booking moment.
    pub lock_ahead: Option<i64>,
    /// A change later than this before the booked time is refused [ms].
    pub change_until: i64,
    /// A cancellation later than this before the booked time is refused [ms].
    pub cancel_until: i64,
    /// `obligatTime`: the hold after the booked time [ms].
    pub hold: i64,
}

impl BookingPolicy {
    /// The platform keeps bookings in its own inventory until the lock.
    pub fn holds_bookings(&self) -> bool {
        self.lock_ahead.is_some()
    }

    /// When the platform sends 6001 for a booking for `booked`, decided at
    /// `now` (never before `now`).
    pub fn lock_at(&self, now: SimTime, booked: SimTime) -> SimTime {
        match self.lock_ahead {
            None => now,
            Some(d) => SimTime(booked.0 - d).max(now),
        }
    }

    /// The booking's window in the inventory: lock to expiry plus hold.
    pub fn window(&self, now: SimTime, booked: SimTime) -> Window {
        Window {
            from: self.lock_at(now, booked),
            to: SimTime(booked.0 + self.hold),
        }
    }

    /// A change asked for at `now` of a booking for `booked` is in time.
    pub fn may_change(&self, now: SimTime, booked: SimTime) -> bool {
        booked.0 - now.0 >= self.change_until
    }

    /// A cancellation asked for at `now` is in time.
    pub fn may_cancel(&self, now: SimTime, booked: SimTime) -> bool {
        booked.0 - now.0 >= self.cancel_until
    }
}

/// A half-open interval of simulated time `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: SimTime,
    pub to: SimTime,
}

impl Window {
    fn is_empty(&self) -> bool {
        self.to <= self.from
    }
}

/// The platform's slot inventory: how many accepted bookings are held at
/// each instant, as a step function (`+1` where a window starts, `−1` where
/// it ends). Steps before the `floor` are folded into `base`, so the work
/// per query is proportional to the bookings still ahead. Deterministic:
/// a `Vec` of `(time, change)` sorted by time, one entry per time (a few
/// hundred entries: a scan of contiguous memory beats a tree's pointers).
/// The steps folded are left before `head` and cut off only when they are
/// half the `Vec`, so moving the floor does not shift the steps ahead each
/// time.
#[derive(Debug, Clone)]
pub struct Inventory {
    cap: u32,
    floor: SimTime,
    base: i64,
    steps: Vec<(SimTime, i64)>,
    /// `steps[..head]` are folded into `base`.
    head: usize,
}

impl Inventory {
    /// An empty inventory of `cap` slots (`garage.reservable_stalls`).
    pub fn new(cap: u32) -> Inventory {
        Inventory {
            cap,
            floor: SimTime(0),
            base: 0,
            steps: Vec::new(),
            head: 0,
        }
    }

    /// The steps at or after the floor.
    fn ahead(&self) -> &[(SimTime, i64)] {
        &self.steps[self.head..]
    }

    fn step(&mut self, t: SimTime, d: i64) {
        if t < self.floor {
            self.base += d;
            return;
        }
        let at = self.head + self.ahead().partition_point(|&(x, _)| x < t);
        match self.steps.get_mut(at) {
            Some((x, e)) if *x == t => {
                *e += d;
                if *e == 0 {
                    self.steps.remove(at);
                }
            }
            _ if d != 0 => self.steps.insert(at, (t, d)),
            _ => {}
        }
    }

    /// Folds the steps before `now` into the base count. O(n) for n steps
    /// held.
    pub fn advance(&mut self, now: SimTime) {
        if now <= self.floor {
            return;
        }
        let k = self.ahead().partition_point(|&(t, _)| t < now);
        self.base += self.ahead()[..k].iter().map(|(_, d)| d).sum::<i64>();
        self.head += k;
        if self.head > 32 && 2 * self.head > self.steps.len() {
            self.steps.drain(..self.head);
            self.head = 0;
        }
        self.floor = now;
    }

    /// Bookings held at instant `t` (`t` at or after the floor).
    pub fn held_at(&self, t: SimTime) -> i64 {
        let ahead = self.ahead();
        let k = ahead.partition_point(|&(x, _)| x <= t);
        self.base + ahead[..k].iter().map(|(_, d)| d).sum::<i64>()
    }

    /// Fewer than `cap` bookings are held at every instant of `w` at or
    /// after the floor (the instants before it are past: nothing can be
    /// booked there any more).
    pub fn fits(&self, w: Window) -> bool {
        let start = w.from.max(self.floor);
        if w.to <= start {
            return true;
        }
        let cap = self.cap as i64;
        let mut held = self.held_at(start);
        if held >= cap {
            return false;
        }
        // The steps after `start`: `held_at` counted those at it.
        let ahead = self.ahead();
        let from = ahead.partition_point(|&(x, _)| x <= start);
        let to = ahead.partition_point(|&(x, _)| x < w.to);
        for (_, d) in &ahead[from..to.max(from)] {
            held += d;
            if held >= cap {
                return false;
            }
        }
        true
    }

    pub fn add(&mut self, w: Window) {
        if !w.is_empty() {
            self.step(w.from, 1);
            self.step(w.to, -1);
        }
    }

    /// Takes back a window [`add`](Self::add)ed before.
    pub fn remove(&mut self, w: Window) {
        if !w.is_empty() {
            self.step(w.from, -1);
            self.step(w.to, 1);
        }
    }

    /// Ends an added window early at `t` (a cancellation, a refusal, the
    /// driver's entry); returns what is left of it.
    pub fn end_at(&mut self, w: Window, t: SimTime) -> Window {
        if t >= w.to {
            return w;
        }
        self.remove(w);
        let left = Window {
            from: w.from,
            to: t.max(w.from),
        };
        self.add(left);
        left
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn w(a: i64, b: i64) -> Window {
        Window {
            from: SimTime(a),
            to: SimTime(b),
        }
    }

    #[test]
    fn fits_counts_the_most_held_at_once() {
        let mut inv = Inventory::new(2);
        assert!(inv.fits(w(0, 10)));
        inv.add(w(0, 10));
        inv.add(w(5, 15));
        // 5..10 holds two: full there, free before and after.
        assert!(!inv.fits(w(8, 9)));
        assert!(!inv.fits(w(0, 100)));
        assert!(inv.fits(w(0, 5)));
        assert!(inv.fits(w(10, 20)));
        // Two bookings that never overlap each other leave room beside both.
        let mut two = Inventory::new(2);
        two.add(w(0, 10));
        two.add(w(20, 30));
        assert!(two.fits(w(0, 30)));
        two.add(w(0, 30));
        assert!(!two.fits(w(25, 26)));
        assert!(two.fits(w(10, 20)) && !two.fits(w(9, 11)));
    }

    #[test]
    fn removal_ending_early_and_the_floor() {
        let mut inv = Inventory::new(1);
        inv.add(w(0, 10));
        inv.advance(SimTime(7));
        assert_eq!(inv.held_at(SimTime(7)), 1);
        assert!(!inv.fits(w(8, 9)));
        // Ended at 8 (the driver entered): free from 8 on.
        let left = inv.end_at(w(0, 10), SimTime(8));
        assert_eq!(left, w(0, 8));
        assert!(inv.fits(w(8, 9)));
        assert!(!inv.fits(w(7, 9)));
        inv.remove(left);
        assert!(inv.fits(w(7, 9)));
        assert_eq!(inv.held_at(SimTime(7)), 0);
        // A window ending at the floor, another starting after it: a
        // window from before the floor counts the one at the floor once.
        let mut at_floor = Inventory::new(1);
        at_floor.add(w(0, 10));
        at_floor.advance(SimTime(10));
        at_floor.add(w(15, 20));
        assert!(!at_floor.fits(w(10, 25)));
        assert!(!at_floor.fits(w(5, 25)));
        assert!(at_floor.fits(w(5, 15)) && at_floor.fits(w(0, 10)));
        let mut starts_at_floor = Inventory::new(2);
        starts_at_floor.add(w(10, 20));
        starts_at_floor.advance(SimTime(10));
        assert!(starts_at_floor.fits(w(5, 25)));
        // A zero cap refuses every window reaching past the floor; an empty
        // window fits anywhere.
        let none = Inventory::new(0);
        assert!(!none.fits(w(0, 1)));
        assert!(none.fits(w(5, 5)));
    }

    /// The inventory against a list of windows, through random adds,
    /// removals, early ends and floor moves: `held_at` is the number of
    /// windows holding the instant, and `fits` says whether every instant
    /// of a window has fewer than `cap`.
    #[test]
    fn matches_a_list_of_windows() {
        let mut next = crate::testing::xorshift(0x5EED_1234);
        for _ in 0..50 {
            let cap = 1 + (next() % 6) as u32;
            let mut inv = Inventory::new(cap);
            let mut held: Vec<Window> = Vec::new();
            let mut now = 0i64;
            let count = |ws: &[Window], t: i64| {
                ws.iter().filter(|w| w.from.0 <= t && t < w.to.0).count() as i64
            };
            for _ in 0..400 {
                let r = next() % 10;
                if r < 4 {
                    let a = now + (next() % 200) as i64;
                    let x = w(a, a + 1 + (next() % 120) as i64);
                    inv.add(x);
                    held.push(x);
                } else if r < 6 && !held.is_empty() {
                    let i = (next() % held.len() as u64) as usize;
                    inv.remove(held.swap_remove(i));
                } else if r < 7 && !held.is_empty() {
                    let i = (next() % held.len() as u64) as usize;
                    let t = SimTime(held[i].from.0 + (next() % 150) as i64);
                    held[i] = inv.end_at(held[i], t);
                } else if r < 9 {
                    now += (next() % 30) as i64;
                    inv.advance(SimTime(now));
                }
                for _ in 0..4 {
                    let t = now + (next() % 250) as i64;
                    assert_eq!(inv.held_at(SimTime(t)), count(&held, t), "held at {t}");
                    // Windows that start before the floor too (a change of
                    // a booking already locked): only the instants from the
                    // floor on count.
                    let a = now - 80 + (next() % 330) as i64;
                    let q = w(a, a + (next() % 100) as i64);
                    let start = q.from.0.max(now);
                    // Instants where the count can change: the window's
                    // first instant from the floor on and every window
                    // boundary after it.
                    let mut at: Vec<i64> = vec![start];
                    for h in &held {
                        for b in [h.from.0, h.to.0] {
                            if start < b && b < q.to.0 {
                                at.push(b);
                            }
                        }
                    }
                    let most = at.iter().map(|&t| count(&held, t)).max().unwrap_or(0);
                    let fits = q.to.0 <= start || most < cap as i64;
                    assert_eq!(inv.fits(q), fits, "fits {q:?}");
                }
            }
        }
    }

    #[test]
    fn book_codes_name_their_index() {
        assert_eq!(Resv::code_of(0), "YD0000000001");
        // The hand writer is `YD{:010}` of the 1-based index, wide numbers too.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut cases: Vec<usize> =
            vec![8, 9, 98, 99, 9_999_999_998, 9_999_999_999, usize::MAX - 1];
        for _ in 0..2_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            cases.push((x >> (x % 60)) as usize);
        }
        for i in cases {
            assert_eq!(Resv::code_of(i), format!("YD{:010}", i as u64 + 1), "{i}");
        }
        assert_eq!(Resv::index_of(&Resv::code_of(41)), Some(41));
        assert_eq!(Resv::index_of("YD0000000000"), None);
        assert_eq!(Resv::index_of("XX1"), None);
    }

    #[test]
    fn policy_windows_and_limits() {
        let min = 60_000;
        let p = BookingPolicy {
            lock_ahead: Some(30 * min),
            change_until: 60 * min,
            cancel_until: 15 * min,
            hold: 30 * min,
        };
        // Booked a day ahead for 10:00: locked at 09:30, held to 10:30.
        let booked = SimTime(600 * min);
        assert_eq!(p.window(SimTime(0), booked), w(570 * min, 630 * min));
        // Booked 10 minutes ahead: locked at once.
        assert_eq!(p.lock_at(SimTime(590 * min), booked), SimTime(590 * min));
        assert!(p.may_change(SimTime(540 * min), booked));
        assert!(!p.may_change(SimTime(541 * min), booked));
        assert!(p.may_cancel(SimTime(585 * min), booked));
        assert!(!p.may_cancel(SimTime(586 * min), booked));
        let now = BookingPolicy {
            lock_ahead: None,
            ..p
        };
        assert!(!now.holds_bookings() && p.holds_bookings());
        assert_eq!(now.window(SimTime(5), booked), w(5, 630 * min));
    }
}
