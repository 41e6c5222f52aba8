//! The discrete-event kernel: simulated time and the event queue.
//!
//! # Ordering guarantees
//! Events come out in order of their time; events scheduled for the **same
//! time come out in the order they were scheduled** (FIFO), by a sequence
//! number the queue assigns at `schedule`. Nothing else (memory addresses,
//! hash order, thread timing) affects the order, so a run is a function of
//! its scenario and seed alone.
//!
//! Time is integer milliseconds since the start of day 0 of the run
//! ([`SimTime`]); there is no wall clock here.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

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

/// A priority queue of events ordered by `(time, sequence)`.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<Entry<E>>>,
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
            seq: 0,
            now: SimTime(0),
        }
    }

    /// The time of the last event popped.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `at`; a time in the past is moved to now, so
    /// time never runs backwards. O(log n).
    pub fn schedule(&mut self, at: SimTime, event: E) {
        let at = at.max(self.now);
        self.heap.push(Reverse(Entry {
            at,
            seq: self.seq,
            event,
        }));
        self.seq += 1;
    }

    /// The next event, advancing `now` to its time. O(log n).
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let Reverse(e) = self.heap.pop()?;
        self.now = e.at;
        Some((e.at, e.event))
    }

    /// Time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|Reverse(e)| e.at)
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
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
