//! The discrete-event kernel: simulated time and the event queue.
//!
//! # Ordering guarantees
//! Events come out in order of their time; events scheduled for the **same
//! time come out in the order they were scheduled** (FIFO), by a sequence
//! number the queue assigns at `schedule`. Nothing else (memory addresses,
//! hash order, thread timing) affects the order, so a run is a function of
//! its scenario and seed alone.
//!
//! Storage, four stores, invisible in the order:
//! - a run of events scheduled in time order (each at or after the last one
//!   in the run), kept in a plain FIFO: arrivals drawn in advance go there
//!   at O(1);
//! - events more than an hour ahead of the released horizon wait unsorted
//!   in hourly buckets (bookings made days ahead, stays that end hours
//!   later);
//! - when simulated time reaches a bucket's hour, the bucket is sorted once
//!   and becomes the *ripe* run, popped from its front;
//! - a binary heap for the rest (events due within the released hour),
//!   which so stays a handful of entries.
//!
//! `pop` releases every bucket whose hour has begun, then takes the
//! smallest `(time, sequence)` of the three heads; the sequence number is
//! fixed at `schedule`, so the order is exactly the one a single heap
//! would give.
//!
//! Time is integer milliseconds since the start of day 0 of the run
//! ([`SimTime`]); there is no wall clock here.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

/// Width of a deferred bucket [ms].
const BUCKET_MS: i64 = 3_600_000;

/// Simulated time [ms since the start of day 0].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(pub i64);

impl SimTime {
    pub const MS_PER_DAY: i64 = 86_400_000;

    pub fn from_secs_f64(s: f64) -> SimTime {
        SimTime((s * 1000.0).round() as i64)
    }

    pub fn secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// Whole seconds (floor).
    pub fn secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// The day index (0-based).
    pub fn day(self) -> i64 {
        self.0.div_euclid(Self::MS_PER_DAY)
    }

    /// Milliseconds since midnight.
    pub fn of_day(self) -> i64 {
        self.0.rem_euclid(Self::MS_PER_DAY)
    }

    /// `self` plus `s` seconds.
    pub fn plus_secs(self, s: f64) -> SimTime {
        SimTime(self.0 + (s * 1000.0).round() as i64)
    }
}

#[derive(Debug)]
struct Entry<E> {
    at: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(o.at, o.seq))
    }
}

/// What [`EventQueue::pop_unless`] found next.
#[derive(Debug, PartialEq, Eq)]
pub enum Next<E> {
    /// This event, popped.
    Event(SimTime, E),
    /// The event kept outside the queue comes first.
    Outside,
    /// Nothing anywhere.
    Empty,
}

/// Which store holds the next event.
#[derive(Debug, Clone, Copy)]
enum Store {
    Run,
    Ripe,
    Heap,
}

/// A priority queue of events ordered by `(time, sequence)`.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<Entry<E>>>,
    /// Events in `(time, sequence)` order, scheduled monotonically.
    run: VecDeque<Entry<E>>,
    /// Released buckets, sorted by `(time, sequence)`.
    ripe: VecDeque<Entry<E>>,
    /// Events of hours not yet begun, by hour index, unsorted.
    deferred: BTreeMap<i64, Vec<Entry<E>>>,
    /// Start of the first deferred bucket's hour [ms]; `i64::MAX` if none.
    next_bucket_at: i64,
    /// Emptied buffers, reused for new buckets.
    spare: Vec<Vec<Entry<E>>>,
    /// Hours up to this index are released (their events go to the heap).
    released: i64,
    deferred_len: usize,
    seq: u64,
    now: SimTime,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> EventQueue<E> {
        EventQueue {
            heap: BinaryHeap::new(),
            run: VecDeque::new(),
            ripe: VecDeque::new(),
            deferred: BTreeMap::new(),
            next_bucket_at: i64::MAX,
            spare: Vec::new(),
            released: 0,
            deferred_len: 0,
            seq: 0,
            now: SimTime(0),
        }
    }

    /// Room for `n` more events in time order without reallocating (the
    /// arrivals drawn before a run).
    pub fn reserve(&mut self, n: usize) {
        self.run.reserve(n);
    }

    /// The time of the last event popped.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `at`; a time in the past is moved to now, so
    /// time never runs backwards. O(1) when `at` is not before the last
    /// event of the in-order run, else O(log n).
    pub fn schedule(&mut self, at: SimTime, event: E) {
        let at = at.max(self.now);
        let e = Entry {
            at,
            seq: self.seq,
            event,
        };
        self.seq += 1;
        match self.run.back() {
            Some(last) if at < last.at => {
                let hour = at.0.div_euclid(BUCKET_MS);
                if hour > self.released {
                    let spare = &mut self.spare;
                    self.deferred
                        .entry(hour)
                        .or_insert_with(|| spare.pop().unwrap_or_default())
                        .push(e);
                    self.deferred_len += 1;
                    self.next_bucket_at = self.next_bucket_at.min(hour * BUCKET_MS);
                } else {
                    self.heap.push(Reverse(e));
                }
            }
            _ => self.run.push_back(e),
        }
    }

    /// The `(time, sequence)` of the next event among the run, the ripe
    /// run and the heap, and which store holds it.
    fn head(&self) -> Option<((SimTime, u64), Store)> {
        let mut best: Option<((SimTime, u64), Store)> = None;
        let mut offer = |k: (SimTime, u64), s: Store| {
            if best.is_none_or(|(b, _)| k < b) {
                best = Some((k, s));
            }
        };
        if let Some(e) = self.run.front() {
            offer((e.at, e.seq), Store::Run);
        }
        if let Some(e) = self.ripe.front() {
            offer((e.at, e.seq), Store::Ripe);
        }
        if let Some(Reverse(e)) = self.heap.peek() {
            offer((e.at, e.seq), Store::Heap);
        }
        best
    }

    /// The next event's key and store, after sorting every bucket whose
    /// hour has begun by then into the ripe run.
    fn next(&mut self) -> Option<((SimTime, u64), Store)> {
        loop {
            let head = self.head();
            if head.is_some_and(|((t, _), _)| t.0 < self.next_bucket_at) {
                return head;
            }
            let Some((hour, mut bucket)) = self.deferred.pop_first() else {
                self.next_bucket_at = i64::MAX;
                return head;
            };
            self.next_bucket_at = self
                .deferred
                .first_key_value()
                .map_or(i64::MAX, |(h, _)| h * BUCKET_MS);
            self.deferred_len -= bucket.len();
            self.released = self.released.max(hour);
            bucket.sort_unstable_by_key(|e| (e.at, e.seq));
            if self.ripe.is_empty() {
                let done = std::mem::replace(&mut self.ripe, bucket.into());
                self.spare.push(done.into());
            } else {
                // Left over from an earlier hour (only when that hour's
                // events were overtaken, which ordering forbids): merge.
                let mut all: Vec<Entry<E>> = self.ripe.drain(..).collect();
                all.extend(bucket);
                all.sort_unstable_by_key(|e| (e.at, e.seq));
                self.ripe = all.into();
            }
        }
    }

    /// The next event, advancing `now` to its time. O(log n).
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        match self.pop_unless(None) {
            Next::Event(t, e) => Some((t, e)),
            Next::Outside | Next::Empty => None,
        }
    }

    /// The next event, unless the event kept outside the queue at key
    /// `outside` (a time and a [`take_seq`](Self::take_seq) number) comes
    /// first: then nothing is popped and [`Next::Outside`] says so. One
    /// look at the heads either way.
    pub fn pop_unless(&mut self, outside: Option<(SimTime, u64)>) -> Next<E> {
        let head = self.next();
        if let Some(k) = outside
            && head.is_none_or(|(h, _)| k < h)
        {
            return Next::Outside;
        }
        let Some((_, store)) = head else {
            return Next::Empty;
        };
        let e = match store {
            Store::Run => self.run.pop_front(),
            Store::Ripe => self.ripe.pop_front(),
            Store::Heap => self.heap.pop().map(|Reverse(e)| e),
        };
        let Some(e) = e else { return Next::Empty };
        self.now = e.at;
        Next::Event(e.at, e.event)
    }

    /// The sequence number an event scheduled now would get, taken as if
    /// one were: a caller that keeps a recurring event outside the queue
    /// (the minute samples) orders it against the queue's events by
    /// `(time, this number)`, exactly where the queue would have put it.
    pub fn take_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq - 1
    }

    pub fn len(&self) -> usize {
        self.heap.len() + self.run.len() + self.ripe.len() + self.deferred_len
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Events scheduled so far [count].
    pub fn scheduled(&self) -> u64 {
        self.seq
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn time_order_then_fifo_on_ties() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(50), "c");
        q.schedule(SimTime(10), "a");
        q.schedule(SimTime(50), "d");
        q.schedule(SimTime(10), "b");
        q.schedule(SimTime(50), "e");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            vec![
                (SimTime(10), "a"),
                (SimTime(10), "b"),
                (SimTime(50), "c"),
                (SimTime(50), "d"),
                (SimTime(50), "e")
            ]
        );
        assert_eq!(q.now(), SimTime(50));
    }

    /// Any mix of schedules and pops comes out exactly as sorting by
    /// (time, insertion order) would give, whichever store an event took.
    #[test]
    fn same_order_as_a_sort_whatever_the_mix() {
        let mut next = crate::testing::xorshift(0x9E37_79B9_7F4A_7C15);
        for round in 0..200 {
            let mut q = EventQueue::new();
            let mut pending: Vec<(SimTime, u64)> = Vec::new();
            let mut id = 0u64;
            let mut out = Vec::new();
            let mut expect = Vec::new();
            for _ in 0..300 {
                if !next().is_multiple_of(3) {
                    // Mostly forward in time, sometimes back, many ties.
                    let base = q.now().0;
                    let at = match next() % 8 {
                        0 | 1 => SimTime(base + (next() % 5) as i64),
                        // hours and days ahead: the deferred buckets
                        2 => SimTime(base + (next() % (3 * 86_400_000)) as i64),
                        3 => SimTime(base + BUCKET_MS * (next() % 4) as i64),
                        _ => SimTime(base + (next() % (50 + round)) as i64),
                    };
                    q.schedule(at, id);
                    pending.push((at, id));
                    id += 1;
                } else if let Some(e) = q.pop() {
                    out.push(e);
                    pending.sort();
                    expect.push(pending.remove(0));
                }
            }
            while let Some(e) = q.pop() {
                out.push(e);
            }
            pending.sort();
            expect.extend(pending);
            assert_eq!(out, expect, "round {round}");
        }
    }

    /// An event kept outside the queue with a taken sequence number sorts
    /// exactly where the queue would have put it.
    #[test]
    fn a_taken_sequence_orders_like_a_scheduled_event() {
        let mut a = EventQueue::new();
        let mut b = EventQueue::new();
        a.schedule(SimTime(5), "x");
        b.schedule(SimTime(5), "x");
        a.schedule(SimTime(5), "outside");
        let kept = (SimTime(5), b.take_seq());
        a.schedule(SimTime(5), "y");
        b.schedule(SimTime(5), "y");
        let (mut order_a, mut order_b) = (Vec::new(), Vec::new());
        while let Some((_, e)) = a.pop() {
            order_a.push(e);
        }
        let mut kept = Some(kept);
        loop {
            match b.pop_unless(kept) {
                Next::Outside => {
                    order_b.push("outside");
                    kept = None;
                }
                Next::Event(_, e) => order_b.push(e),
                Next::Empty => break,
            }
        }
        assert_eq!(order_a, order_b);
        assert_eq!(order_b, ["x", "outside", "y"]);
    }

    #[test]
    fn the_past_is_clamped_to_now() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(100), 1);
        q.pop();
        q.schedule(SimTime(5), 2);
        assert_eq!(q.pop(), Some((SimTime(100), 2)));
    }

    #[test]
    fn time_helpers() {
        let t = SimTime(SimTime::MS_PER_DAY + 3_723_000);
        assert_eq!(
            (t.day(), t.of_day(), t.secs()),
            (1, 3_723_000, 86_400 + 3_723)
        );
        assert_eq!(SimTime::from_secs_f64(1.2345), SimTime(1235));
        assert_eq!(t.plus_secs(0.5).0, t.0 + 500);
    }
}
