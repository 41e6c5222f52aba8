//! What a run reports: the [`Summary`] and the minute [`Series`], and the
//! [`Tally`] that collects them while the run goes.
//!
//! Figures cover the measured days only (after `warmup_days`), except the
//! conservation and network counts, which cover the whole run. Time
//! integrals (occupancy, stall-hours held) are exact: the state between two
//! events is integrated over the time between them ([`Tally::observe`]).

use super::kernel::SimTime;
use serde::{Deserialize, Serialize};

/// Per-entrance figures.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EntranceSummary {
    pub name: String,
    /// Time-average queue length, sampled each minute [vehicles].
    pub mean_queue: f64,
    pub max_queue: u32,
    pub entered: u64,
}

/// Shares of time per saturation level [0..1].
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TimeShare {
    pub unsaturated: f64,
    pub saturated: f64,
    pub full: f64,
}

/// The run's summary (after the warm-up days, except the conservation
/// and network counts, which cover the whole run).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub scenario: String,
    pub seed: u64,
    pub days: u32,
    /// Total stalls [stalls].
    pub stalls: u32,
    /// The saturation thresholds [share of stalls].
    pub saturated_at: f64,
    pub full_at: f64,
    pub vehicles_arrived: u64,
    /// Drivers who came without a live booking: walk-ins, and drivers whose
    /// booking was refused and who came anyway.
    pub general_arrived: u64,
    pub general_entered: u64,
    pub general_turned_away: u64,
    /// general_turned_away / general_arrived.
    pub blocking_rate: f64,
    /// Booking attempts (by booked time in the measured days).
    pub booking_attempts: u64,
    /// Attempts accepted when made (by the platform's inventory when it
    /// holds bookings, else by the garage's 6001 answer).
    pub reserved_booked: u64,
    /// Attempts refused when made (`platform_refusals` + the garage's 1501).
    pub reserved_refused: u64,
    /// Of `reserved_refused`, refused by the platform's slot inventory.
    pub platform_refusals: u64,
    /// Accepted bookings whose 6001 the garage refused when the platform
    /// sent it later (no stall free to lock).
    pub late_refusals: u64,
    pub reserved_cancelled: u64,
    /// Cancellations refused: inside the `cancel_until_min` window (6.3 c).
    pub cancels_refused: u64,
    pub reserved_changed: u64,
    /// Changes refused: inside the `change_until_min` window (6.3 b) or no
    /// room in the platform's inventory for the new window.
    pub changes_refused: u64,
    /// Booked drivers who never came (their own choice, or a refused
    /// cancellation).
    pub reserved_no_show: u64,
    /// Drivers with a locked booking who came.
    pub reserved_arrived: u64,
    /// Of those, the ones who entered as reserved.
    pub reserved_fulfilled: u64,
    /// reserved_fulfilled / reserved_arrived.
    pub fulfilment_rate: f64,
    /// (reserved_booked − late_refusals) / booking_attempts: the share of
    /// attempts that ended with a stall locked for the driver.
    pub booking_success_rate: f64,
    /// Entrance wait of entered vehicles [s].
    pub mean_wait_s: f64,
    pub p95_wait_s: f64,
    pub max_queue: u32,
    /// Total of all entrance queues, time-averaged [vehicles].
    pub mean_queue: f64,
    pub entrances: Vec<EntranceSummary>,
    /// Vehicles inside / stalls, time-averaged (exact integral).
    pub mean_occupancy: f64,
    /// Most vehicles inside at once [vehicles].
    pub max_inside: u32,
    /// Highest share of stalls occupied, averaged over one simulated minute.
    pub peak_occupancy: f64,
    /// Stall-hours locked for bookings with no car in them [stall·h].
    pub held_empty_stall_hours: f64,
    /// Cars the control list held at the exit (strategies 2, 3) until staff
    /// let them out.
    pub control_held: u64,
    pub time_share: TimeShare,
    /// Received fees [yuan].
    pub revenue: f64,
    pub frames_sent: u64,
    pub frames_verified: u64,
    pub frames_rejected: u64,
    /// Report frames (5003, 5004, 5005, 5006, 5008, 7001) at the platform
    /// within 3 s of their event (7.2).
    pub uplink_within_3s_rate: f64,
    pub duplicates_ignored: u64,
    pub reconciled: bool,
    /// What did not reconcile (empty when `reconciled`).
    pub reconcile_problems: Vec<String>,
    /// arrived = entered + turned away + queued, entered = exited + inside.
    pub conservation_ok: bool,
    pub events: u64,
    pub vehicles_inside_at_end: u64,
}

/// Minute samples for plots and tables.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// Minute index since the start of day 0.
    pub minute: Vec<u32>,
    /// Queue length per entrance [vehicles], `queue[e][i]`.
    pub queue: Vec<Vec<u32>>,
    pub inside: Vec<u32>,
    /// 0 unsaturated, 1 saturated, 2 full.
    pub level: Vec<u8>,
    pub priority_on: Vec<bool>,
}

/// What an audited run found ([`RunOptions::audit`](super::run::RunOptions)).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Audit {
    /// Times an entrance with a free gate was left idle after an event
    /// although its head vehicle could enter.
    pub idle_gates: u64,
    /// Most vehicles inside at once that had entered as general.
    pub max_general_inside: u32,
    /// Plates that came round after a U-turn, and of those the ones that
    /// came back under the same plate.
    pub came_round: u64,
    pub came_round_same_plate: u64,
}

#[derive(Debug, Clone)]
pub struct RunResult {
    pub summary: Summary,
    pub series: Option<Series>,
    /// Present when the run was audited.
    pub audit: Option<Audit>,
}

/// The run's counters. Fields without `all_` count the measured days only
/// (a driver by the time they arrive, a booking by its booked time).
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub vehicles_arrived: u64,
    pub general_arrived: u64,
    pub general_entered: u64,
    pub general_turned_away: u64,
    pub booking_attempts: u64,
    pub reserved_booked: u64,
    pub reserved_refused: u64,
    pub platform_refusals: u64,
    pub late_refusals: u64,
    pub reserved_cancelled: u64,
    pub cancels_refused: u64,
    pub reserved_changed: u64,
    pub changes_refused: u64,
    pub reserved_no_show: u64,
    pub reserved_arrived: u64,
    pub reserved_fulfilled: u64,
    pub control_held: u64,
    pub max_queue: u32,
    /// Minute samples after the warm-up, and their sums.
    pub samples: u64,
    pub queue_total_samples: u64,
    pub level_samples: [u64; 3],
    /// Received fees [yuan, exact].
    pub revenue: rust_decimal::Decimal,
    pub garage_frames_verified: u64,
    pub garage_frames_rejected: u64,
    pub events: u64,
    /// Whole run, for conservation.
    pub all_arrivals: u64,
    pub all_turned: u64,
    pub all_entered: u64,
    pub all_exited: u64,
}

/// `a / b`, 0 when `b` is 0.
pub fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Entrance waits of entered vehicles, to the second, for mean and p95.
#[derive(Debug, Clone)]
pub struct WaitHist {
    counts: Vec<u64>,
    sum: f64,
    n: u64,
}

impl Default for WaitHist {
    fn default() -> Self {
        WaitHist {
            counts: vec![0; 4 * 3600 + 1],
            sum: 0.0,
            n: 0,
        }
    }
}

impl WaitHist {
    /// Records one wait [s]; waits over 4 h fall in the last bin.
    pub fn add(&mut self, wait_s: f64) {
        self.sum += wait_s;
        self.n += 1;
        let b = (wait_s.round().max(0.0) as usize).min(self.counts.len() - 1);
        self.counts[b] += 1;
    }

    /// Mean wait [s], 0 with no waits.
    pub fn mean(&self) -> f64 {
        if self.n == 0 { 0.0 } else { self.sum / self.n as f64 }
    }

    /// The smallest whole second at or below which 95 % of waits fall.
    pub fn p95(&self) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        let target = (self.n as f64 * 0.95).ceil() as u64;
        let mut acc = 0;
        for (i, c) in self.counts.iter().enumerate() {
            acc += c;
            if acc >= target {
                return i as f64;
            }
        }
        (self.counts.len() - 1) as f64
    }
}

/// Exact time integrals of the garage's state over the measured days.
#[derive(Debug, Clone, Default)]
pub struct Integrals {
    warm: SimTime,
    last: SimTime,
    /// ∫ inside dt [vehicle·ms].
    pub inside_ms: u128,
    /// ∫ holds dt [stall·ms].
    pub holds_ms: u128,
    /// Measured time so far [ms].
    pub measured_ms: i64,
    pub max_inside: u32,
    /// The minute being integrated: index, and ∫ inside over it so far.
    minute: i64,
    minute_acc: u128,
    /// Highest one-minute mean of inside [vehicles].
    pub peak_minute_inside: f64,
}

impl Integrals {
    pub fn new(warm: SimTime) -> Integrals {
        Integrals {
            warm,
            last: warm,
            minute: warm.0.div_euclid(60_000),
            ..Integrals::default()
        }
    }

    /// The garage held `inside` vehicles and `holds` locks from the last
    /// observation until `t`. Times before the warm-up's end count nothing.
    pub fn observe(&mut self, t: SimTime, inside: u32, holds: u32) {
        if t <= self.last {
            if t > self.warm {
                self.max_inside = self.max_inside.max(inside);
            }
            return;
        }
        let from = self.last;
        self.last = t;
        self.max_inside = self.max_inside.max(inside);
        let dt = (t.0 - from.0) as u128;
        self.inside_ms += inside as u128 * dt;
        self.holds_ms += holds as u128 * dt;
        self.measured_ms += t.0 - from.0;
        // Minute means: close every minute that ends by `t`.
        let mut at = from.0;
        loop {
            let end = (self.minute + 1) * 60_000;
            if t.0 < end {
                self.minute_acc += inside as u128 * (t.0 - at) as u128;
                break;
            }
            self.minute_acc += inside as u128 * (end - at) as u128;
            let mean = self.minute_acc as f64 / 60_000.0;
            self.peak_minute_inside = self.peak_minute_inside.max(mean);
            self.minute_acc = 0;
            self.minute += 1;
            at = end;
            // Whole minutes at a constant count: their mean is `inside`.
            let whole = (t.0 - at) / 60_000;
            if whole > 0 {
                self.peak_minute_inside = self.peak_minute_inside.max(inside as f64);
                self.minute += whole;
                at += whole * 60_000;
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn integrals_are_exact_and_skip_the_warm_up() {
        let mut i = Integrals::new(SimTime(60_000));
        // Before the warm-up ends: nothing counts.
        i.observe(SimTime(30_000), 50, 5);
        i.observe(SimTime(60_000), 50, 5);
        assert_eq!((i.inside_ms, i.measured_ms, i.max_inside), (0, 0, 0));
        // 10 inside for 30 s, 40 inside for 30 s: the minute's mean is 25.
        i.observe(SimTime(90_000), 10, 2);
        i.observe(SimTime(120_000), 40, 0);
        assert_eq!(i.inside_ms, 10 * 30_000 + 40 * 30_000);
        assert_eq!(i.holds_ms, 2 * 30_000);
        assert_eq!(i.peak_minute_inside, 25.0);
        assert_eq!(i.max_inside, 40);
        // 30 inside for three and a half minutes: whole minutes at 30.
        i.observe(SimTime(120_000 + 210_000), 30, 0);
        assert_eq!(i.peak_minute_inside, 30.0);
        assert_eq!(i.measured_ms, 270_000);
        // An instant at 80 with no duration still sets the maximum.
        i.observe(SimTime(330_000), 80, 0);
        assert_eq!(i.max_inside, 80);
        assert_eq!(i.peak_minute_inside, 30.0);
    }

    #[test]
    fn wait_percentile() {
        let mut h = WaitHist::default();
        assert_eq!((h.mean(), h.p95()), (0.0, 0.0));
        for s in 1..=100 {
            h.add(s as f64);
        }
        assert_eq!(h.p95(), 95.0);
        assert!((h.mean() - 50.5).abs() < 1e-12);
        h.add(1e9);
        assert_eq!(h.p95(), 96.0);
    }
}
