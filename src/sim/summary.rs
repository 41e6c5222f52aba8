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

/// The run's summary. Every figure covers the measured days only (after
/// `warmup_days`): a driver counts by the time they arrive, a booking by its
/// booked time, a frame by the time it is sent. `_total` figures cover the
/// whole run. A rate or mean whose population is empty is `None` (JSON
/// `null`). `docs/METRICS.md` defines every key.
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
    /// Every driver who came (walk-ins + refused bookers + reserved).
    pub vehicles_arrived: u64,
    /// Drivers who never tried to book.
    pub walkin_arrived: u64,
    pub walkin_entered: u64,
    pub walkin_turned_away: u64,
    /// walkin_turned_away / walkin_arrived.
    pub walkin_blocking_rate: Option<f64>,
    /// Drivers whose booking was refused (at once or late) who came anyway.
    pub refused_arrived: u64,
    /// General-class arrivals: drivers with no live booking when they came
    /// (walk-ins, refused bookers, reserved drivers whose hold had lapsed).
    pub general_arrived: u64,
    /// Of those, entered (as general).
    pub general_entered: u64,
    /// Of those, drove away (a long queue, no stall with `when_full =
    /// "leave"`, the control list, no entrance for them).
    pub general_turned_away: u64,
    /// general_turned_away / general_arrived.
    pub blocking_rate: Option<f64>,
    /// Booking attempts.
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
    /// Of those, the ones whose hold had lapsed when they came.
    pub reserved_lapsed: u64,
    /// Of `reserved_arrived`, entered as reserved within
    /// `metrics.fulfilment_wait_s` of arriving.
    pub reserved_fulfilled: u64,
    /// reserved_fulfilled / reserved_arrived.
    pub fulfilment_rate: Option<f64>,
    /// (reserved_booked − late_refusals) / booking_attempts: the share of
    /// attempts that ended with a stall locked for the driver.
    pub booking_success_rate: Option<f64>,
    /// Entrance wait of every vehicle that entered [s].
    pub mean_wait_s: Option<f64>,
    pub p95_wait_s: Option<f64>,
    /// Entrance wait of reserved drivers who entered as reserved [s].
    pub reserved_mean_wait_s: Option<f64>,
    /// Entrance wait of walk-ins who entered [s].
    pub walkin_mean_wait_s: Option<f64>,
    pub walkin_p95_wait_s: Option<f64>,
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
    /// Hours the garage spent at the full level [h].
    pub hours_full: f64,
    /// Stall-hours locked for bookings with no car in them [stall·h].
    pub held_empty_stall_hours: f64,
    /// Cars the control list held at the exit (strategies 2, 3) until staff
    /// let them out.
    pub control_held: u64,
    pub time_share: TimeShare,
    /// Received fees [yuan].
    pub revenue: f64,
    /// Frames (TCP) or HTTP messages sent, both ways.
    pub frames_sent: u64,
    pub frames_sent_total: u64,
    /// Frames that passed every check at their receiver.
    pub frames_verified: u64,
    pub frames_verified_total: u64,
    pub frames_rejected: u64,
    pub frames_rejected_total: u64,
    /// Report frames (5003, 5004, 5005, 5006, 5008, 7001) at the platform
    /// within 3 s of their event (7.2).
    pub uplink_within_3s_rate: Option<f64>,
    /// Resent records the platform already held.
    pub duplicates_ignored: u64,
    pub duplicates_ignored_total: u64,
    pub reconciled: bool,
    /// What did not reconcile (empty when `reconciled`).
    pub reconcile_problems: Vec<String>,
    /// arrived = entered + turned away + queued, entered = exited + inside
    /// (whole run).
    pub conservation_ok: bool,
    /// Events processed.
    pub events: u64,
    pub events_total: u64,
    pub vehicles_inside_at_end: u64,
}

impl Summary {
    /// The run kept its invariants: vehicles conserved and the platform's
    /// ledger reconciled with the garage. A run that did not is a fault of
    /// the simulator, and every command that reads runs says so (exit 3).
    pub fn checks_passed(&self) -> bool {
        self.conservation_ok && self.reconciled
    }

    /// What [`Summary::checks_passed`] found wrong, one phrase per problem
    /// (every one, in the order conservation, then reconciliation); empty
    /// when it passed.
    pub fn check_failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.conservation_ok {
            out.push("vehicles not conserved".to_string());
        }
        if !self.reconciled {
            if self.reconcile_problems.is_empty() {
                out.push("the platform's records did not reconcile".to_string());
            } else {
                out.extend(self.reconcile_problems.iter().cloned());
            }
        }
        out
    }
}

/// How many of `summaries` did not pass [`Summary::checks_passed`].
pub fn failed_checks<'a>(summaries: impl IntoIterator<Item = &'a Summary>) -> usize {
    summaries.into_iter().filter(|s| !s.checks_passed()).count()
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

/// The measured days by hour of day: sums over the days (counts) or
/// averages (waits, occupancy) per hour 0–23.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hourly {
    pub arrivals: [u64; 24],
    pub entries: [u64; 24],
    pub turned_away: [u64; 24],
    /// Booking attempts by the hour of their booked time.
    pub booking_attempts: [u64; 24],
    /// Refused attempts (at once or late) by the hour of their booked time.
    pub booking_refusals: [u64; 24],
    /// Entrance wait of vehicles entered in that hour [s].
    pub mean_wait_s: [Option<f64>; 24],
    pub p95_wait_s: [Option<f64>; 24],
    /// Vehicles inside / stalls, time-averaged over the hour.
    pub mean_occupancy: [Option<f64>; 24],
    /// The hour's highest share of stalls occupied, averaged over days.
    pub max_occupancy: [Option<f64>; 24],
    /// Measured days (the divisor of per-day figures).
    pub days: u32,
}

#[derive(Debug, Clone)]
pub struct RunResult {
    pub summary: Summary,
    pub hourly: Hourly,
    pub series: Option<Series>,
    /// Present when the run was audited.
    pub audit: Option<Audit>,
}

/// The run's counters. Fields without `all_` count the measured days only
/// (a driver by the time they arrive, a booking by its booked time).
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub vehicles_arrived: u64,
    pub walkin_arrived: u64,
    pub walkin_entered: u64,
    pub walkin_turned_away: u64,
    pub refused_arrived: u64,
    pub general_arrived: u64,
    pub general_entered: u64,
    pub general_turned_away: u64,
    pub reserved_lapsed: u64,
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

/// `a / b`, `None` when `b` is 0.
pub fn rate(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// `a / b` of a time average whose sample count `b` is never 0 in a run
/// of at least one measured day; 0 otherwise.
pub fn ratio(a: u64, b: u64) -> f64 {
    rate(a, b).unwrap_or(0.0)
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

    /// Mean wait [s], `None` with no waits.
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }

    /// The smallest whole second at or below which 95 % of waits fall,
    /// `None` with no waits.
    pub fn p95(&self) -> Option<f64> {
        if self.n == 0 {
            return None;
        }
        let target = (self.n as f64 * 0.95).ceil() as u64;
        let mut acc = 0;
        for (i, c) in self.counts.iter().enumerate() {
            acc += c;
            if acc >= target {
                return Some(i as f64);
            }
        }
        Some((self.counts.len() - 1) as f64)
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
    /// ∫ inside dt and measured time per hour of day [vehicle·ms, ms].
    pub hour_inside_ms: [u128; 24],
    pub hour_ms: [i64; 24],
    /// Most inside in each measured hour, by hour index since day 0.
    pub hour_max: Vec<u32>,
    /// The short step: an observation after `last` and before this time
    /// [ms] falls in `last`'s minute and hour, whose hour of day and
    /// `hour_max` index are `step_h` and `step_ix` (`i64::MIN`: none yet).
    step_until: i64,
    step_h: usize,
    step_ix: usize,
}

impl Integrals {
    pub fn new(warm: SimTime) -> Integrals {
        Integrals {
            warm,
            last: warm,
            minute: warm.0.div_euclid(60_000),
            step_until: i64::MIN,
            ..Integrals::default()
        }
    }

    /// The garage held `inside` vehicles and `holds` locks from the last
    /// observation until `t`. Times before the warm-up's end count nothing.
    pub fn observe(&mut self, t: SimTime, inside: u32, holds: u32) {
        if t > self.last && t.0 <= self.step_until {
            self.step(t, inside, holds);
            if t.0 == self.step_until {
                // `t` ends the minute (the minute samples fall there).
                self.peak_minute_inside = self
                    .peak_minute_inside
                    .max(self.minute_acc as f64 / 60_000.0);
                self.minute_acc = 0;
                self.minute += 1;
                self.aim(t);
            }
            return;
        }
        if t <= self.last {
            if t > self.warm {
                self.max_inside = self.max_inside.max(inside);
                self.hour_peak(t.0, inside);
            }
            return;
        }
        let from = self.last;
        self.last = t;
        self.max_inside = self.max_inside.max(inside);
        // By hour of day.
        let mut a = from.0;
        while a < t.0 {
            let hour = a.div_euclid(3_600_000);
            let b = ((hour + 1) * 3_600_000).min(t.0);
            let h = hour.rem_euclid(24) as usize;
            self.hour_inside_ms[h] += inside as u128 * (b - a) as u128;
            self.hour_ms[h] += b - a;
            self.hour_peak(a, inside);
            a = b;
        }
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
        self.aim(t);
    }

    /// Sets the short step for observations after `t`, the minute being
    /// integrated `t`'s.
    fn aim(&mut self, t: SimTime) {
        let hour = t.0.div_euclid(3_600_000);
        self.step_until = ((self.minute + 1) * 60_000).min((hour + 1) * 3_600_000);
        self.step_h = hour.rem_euclid(24) as usize;
        self.step_ix = (hour - self.warm.0.div_euclid(3_600_000)).max(0) as usize;
    }

    /// [`observe`](Self::observe) from `last` to `t` within one minute and
    /// one hour (`t` may end them): what the general path does for a
    /// single segment, without working out the minute and the hour again
    /// (most observations are this one).
    fn step(&mut self, t: SimTime, inside: u32, holds: u32) {
        let dt = t.0 - self.last.0;
        self.last = t;
        self.max_inside = self.max_inside.max(inside);
        let area = inside as u128 * dt as u128;
        self.hour_inside_ms[self.step_h] += area;
        self.hour_ms[self.step_h] += dt;
        if self.hour_max.len() <= self.step_ix {
            self.hour_max.resize(self.step_ix + 1, 0);
        }
        self.hour_max[self.step_ix] = self.hour_max[self.step_ix].max(inside);
        self.inside_ms += area;
        self.holds_ms += holds as u128 * dt as u128;
        self.measured_ms += dt;
        self.minute_acc += area;
    }
}

impl Integrals {
    fn hour_peak(&mut self, at_ms: i64, inside: u32) {
        let first = self.warm.0.div_euclid(3_600_000);
        let i = (at_ms.div_euclid(3_600_000) - first).max(0) as usize;
        if self.hour_max.len() <= i {
            self.hour_max.resize(i + 1, 0);
        }
        self.hour_max[i] = self.hour_max[i].max(inside);
    }

    /// Mean and average-of-maxima occupancy per hour of day.
    pub fn by_hour(&self, stalls: u32) -> ([Option<f64>; 24], [Option<f64>; 24]) {
        let s = stalls.max(1) as f64;
        let mut mean = [None; 24];
        let mut max = [None; 24];
        let first = self.warm.0.div_euclid(3_600_000);
        for h in 0..24 {
            if self.hour_ms[h] > 0 {
                mean[h] = Some(self.hour_inside_ms[h] as f64 / self.hour_ms[h] as f64 / s);
            }
            let maxima: Vec<u32> = self
                .hour_max
                .iter()
                .enumerate()
                .filter(|(i, _)| (first + *i as i64).rem_euclid(24) as usize == h)
                .map(|(_, m)| *m)
                .collect();
            if !maxima.is_empty() {
                max[h] =
                    Some(maxima.iter().map(|&m| m as f64).sum::<f64>() / maxima.len() as f64 / s);
            }
        }
        (mean, max)
    }
}

#[cfg(test)]
mod test {
    #[test]
    fn check_failures_name_every_cause() {
        let ok = super::Summary {
            conservation_ok: true,
            reconciled: true,
            ..Default::default()
        };
        assert!(ok.checks_passed() && ok.check_failures().is_empty());
        let both = super::Summary {
            conservation_ok: false,
            reconciled: false,
            reconcile_problems: vec!["5004 x: sent 1, recorded 0".into()],
            ..Default::default()
        };
        assert!(!both.checks_passed());
        assert_eq!(
            both.check_failures(),
            ["vehicles not conserved", "5004 x: sent 1, recorded 0"]
        );
        let unexplained = super::Summary {
            conservation_ok: true,
            ..Default::default()
        };
        assert_eq!(
            unexplained.check_failures(),
            ["the platform's records did not reconcile"]
        );
    }

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
        // All in hour 0: mean over the 270 measured seconds, max 80.
        let (mean, max) = i.by_hour(100);
        let m = (10.0 * 30.0 + 40.0 * 30.0 + 30.0 * 210.0) / 270.0 / 100.0;
        assert!((mean[0].unwrap() - m).abs() < 1e-12);
        assert_eq!(max[0], Some(0.8));
        assert_eq!((mean[1], max[1]), (None, None));
    }

    /// The short step gives exactly what the general path gives, on
    /// observations that cross minutes, hours and days, repeat instants
    /// and start before the warm-up ends.
    #[test]
    fn the_short_step_changes_nothing() {
        let mut next = crate::testing::xorshift(0xC0FF_EE00_D15E_A5E5);
        for round in 0..300 {
            let warm = SimTime((next() % 3) as i64 * 3_600_000 + (next() % 90_000) as i64);
            let (mut fast, mut slow) = (Integrals::new(warm), Integrals::new(warm));
            let mut t = 0i64;
            for _ in 0..400 {
                t += match next() % 7 {
                    0 => 0,
                    1 => (next() % 5) as i64,
                    2 => (next() % 7_200_000) as i64,
                    3 => 60_000 - t.rem_euclid(60_000),
                    4 => 3_600_000 - t.rem_euclid(3_600_000),
                    _ => (next() % 20_000) as i64,
                };
                let (inside, holds) = ((next() % 40) as u32, (next() % 5) as u32);
                fast.observe(SimTime(t), inside, holds);
                slow.step_until = i64::MIN;
                slow.observe(SimTime(t), inside, holds);
            }
            let key = |i: &Integrals| {
                (
                    i.inside_ms,
                    i.holds_ms,
                    i.measured_ms,
                    i.max_inside,
                    i.minute,
                    i.minute_acc,
                    i.peak_minute_inside.to_bits(),
                    i.hour_inside_ms,
                    i.hour_ms,
                    i.hour_max.clone(),
                )
            };
            assert_eq!(key(&fast), key(&slow), "round {round}");
        }
    }

    #[test]
    fn hours_split_across_days() {
        let day = SimTime::MS_PER_DAY;
        let mut i = Integrals::new(SimTime(day));
        // 10 inside from 23:30 on day 1 to 00:30 on day 2, then 20 to 01:00.
        i.observe(SimTime(day + 23 * 3_600_000 + 1_800_000), 0, 0);
        i.observe(SimTime(2 * day + 1_800_000), 10, 0);
        i.observe(SimTime(2 * day + 3_600_000), 20, 0);
        let (mean, max) = i.by_hour(100);
        assert_eq!(mean[23], Some(0.05));
        // Hour 0: empty on day 1, 15 on average on day 2.
        assert_eq!(mean[0], Some(0.075));
        // Hour 0 of day 2 peaked at 20; hour 0 of day 1 (all zero) at 0.
        assert_eq!(max[0], Some(0.1));
        assert_eq!(max[23], Some(0.1));
    }

    #[test]
    fn wait_percentile() {
        let mut h = WaitHist::default();
        assert_eq!((h.mean(), h.p95()), (None, None));
        for s in 1..=100 {
            h.add(s as f64);
        }
        assert_eq!(h.p95(), Some(95.0));
        assert!((h.mean().unwrap() - 50.5).abs() < 1e-12);
        h.add(1e9);
        assert_eq!(h.p95(), Some(96.0));
    }
}
