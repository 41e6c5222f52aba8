//! Who comes, and when: every driver of a run drawn before it starts.
//!
//! Arrivals are a non-homogeneous Poisson process (thinning against the
//! highest hourly rate). Each driver is a walk-in, a walk-in on the
//! platform's control list, or a booker; a booker's whole story — when
//! they book, whether they cancel or change and when, whether they show,
//! how early or late they come, whether they would come anyway if refused
//! — is drawn here too, so the run's own events never draw from the demand
//! stream and the drivers are the same whatever happens to them.

use super::dist::Dist;
use super::kernel::SimTime;
use super::run::SimError;
use crate::scenario::Scenario;
use rand::RngExt;
use rand::rngs::StdRng;

/// A driver's identity for the run: an index into the drawn drivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DriverId(pub u32);

impl DriverId {
    /// The driver a plate of this run belongs to: plates are `粤B` and the
    /// driver's 1-based index in six hex digits (see [`Demand::draw`]).
    pub fn of_plate(plate: &str) -> Option<DriverId> {
        let hex = plate.strip_prefix("粤B")?;
        let n = u32::from_str_radix(hex, 16).ok()?;
        n.checked_sub(1).map(DriverId)
    }

    /// This driver's plate: `粤B` and the 1-based index in upper-case hex,
    /// at least six digits. Made on the stack when needed, so a run keeps
    /// no plate per driver.
    pub fn plate(self) -> Plate {
        // Its own digit loop, not `proto::hex`: a plate is made several
        // times per vehicle, and the general writer's buffer and copy cost
        // 5 % of a month's instructions here.
        const PREFIX: &[u8] = "粤B".as_bytes();
        const UPPER: &[u8; 16] = b"0123456789ABCDEF";
        let n = self.0 as u64 + 1;
        let digits = (64 - n.leading_zeros() as usize).div_ceil(4).max(6);
        let mut buf = [0u8; 13];
        buf[..PREFIX.len()].copy_from_slice(PREFIX);
        let len = PREFIX.len() + digits;
        let mut x = n;
        for slot in buf[PREFIX.len()..len].iter_mut().rev() {
            *slot = UPPER[(x & 0xF) as usize];
            x >>= 4;
        }
        Plate {
            buf,
            len: len as u8,
        }
    }
}

/// A driver's plate (see [`DriverId::plate`]), 10 to 13 bytes inline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plate {
    buf: [u8; 13],
    len: u8,
}

impl Plate {
    pub fn as_str(&self) -> &str {
        // `粤B` and ASCII hex digits: always UTF-8.
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or_default()
    }
}

impl std::ops::Deref for Plate {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

/// One driver.
#[derive(Debug, Clone)]
pub struct Driver {
    /// When they mean to come (a booker: the booked time).
    pub at: SimTime,
    pub visit: Visit,
}

#[derive(Debug, Clone)]
pub enum Visit {
    /// Comes without booking.
    Walkin,
    /// Comes without booking; the platform pushes a control-list entry
    /// (4001) with this strategy (table 10) at `push_at`.
    Listed { strategy: u8, push_at: SimTime },
    /// Books through the platform first.
    Booker(BookerPlan),
}

/// What a booker will do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BookerPlan {
    /// When the booking is made.
    pub book_at: SimTime,
    /// Asks to cancel at this time (and never comes).
    pub cancel_at: Option<SimTime>,
    /// Asks to move the booked time at this time, by this much [ms].
    pub change: Option<(SimTime, i64)>,
    /// Never comes (without cancelling).
    pub no_show: bool,
    /// Arrival minus booked time [ms].
    pub offset_ms: i64,
    /// Comes as a general driver if the booking is refused.
    pub come_anyway: bool,
}

/// The demand side of a scenario, ready to draw.
#[derive(Debug, Clone)]
pub struct Demand {
    profile: Profile,
    reserved_share: f64,
    /// Control list: share of walk-ins, strategy, push lead [ms].
    listed: Option<(f64, u8, i64)>,
    lead: Dist,
    offset: Dist,
    change_shift: Dist,
    no_show: f64,
    cancel: f64,
    change: f64,
    come_anyway: f64,
}

#[derive(Debug, Clone)]
enum Profile {
    Constant(f64),
    Daily(Vec<f64>),
    Weekly(Vec<Vec<f64>>),
}

fn build(d: &super::dist::DistSpec) -> Result<Dist, SimError> {
    d.build().map_err(|e| SimError(e.to_string()))
}

impl Demand {
    pub fn new(scn: &Scenario) -> Result<Demand, SimError> {
        let d = &scn.demand;
        let profile = if let Some(r) = d.arrival_rate {
            Profile::Constant(r)
        } else if let Some(w) = &d.arrivals_per_hour_by_weekday {
            Profile::Weekly(w.clone())
        } else {
            Profile::Daily(d.arrivals_per_hour.clone().unwrap_or_else(|| vec![0.0; 24]))
        };
        Ok(Demand {
            profile,
            reserved_share: d.reserved_share,
            listed: d
                .control_list
                .as_ref()
                .map(|c| (c.share, c.strategy, c.pushed_min_before as i64 * 60_000)),
            lead: build(&d.lead_time_min)?,
            offset: build(&d.arrival_offset_min)?,
            change_shift: build(&d.change_shift_min)?,
            no_show: d.no_show,
            cancel: d.cancel,
            change: d.change,
            come_anyway: d.refused_come_anyway,
        })
    }

    /// Arrival rate at `t` [vehicles/h].
    pub fn rate(&self, t: SimTime) -> f64 {
        let hour = (t.of_day() / 3_600_000) as usize;
        match &self.profile {
            Profile::Constant(r) => *r,
            Profile::Daily(p) => p.get(hour).copied().unwrap_or(0.0),
            Profile::Weekly(w) => w
                .get(t.day().rem_euclid(7) as usize)
                .and_then(|p| p.get(hour))
                .copied()
                .unwrap_or(0.0),
        }
    }

    fn max_rate(&self) -> f64 {
        match &self.profile {
            Profile::Constant(r) => *r,
            Profile::Daily(p) => p.iter().copied().fold(0.0, f64::max),
            Profile::Weekly(w) => w.iter().flatten().copied().fold(0.0, f64::max),
        }
    }

    /// Every driver who means to come before `end`, in that order. Plates
    /// are numbered in draw order.
    pub fn draw(&self, rng: &mut StdRng, end: SimTime) -> Vec<Driver> {
        let lmax = self.max_rate();
        if lmax <= 0.0 {
            return Vec::new();
        }
        let end_h = end.0 as f64 / 3_600_000.0;
        let mut out = Vec::with_capacity(self.room_for(end_h));
        let mut t = 0.0f64; // hours
        loop {
            let u: f64 = rng.random();
            t += -(1.0 - u).ln() / lmax;
            if t >= end_h {
                break;
            }
            let at = SimTime((t * 3_600_000.0) as i64);
            let accept: f64 = rng.random();
            if accept * lmax > self.rate(at) {
                continue;
            }
            let booker: f64 = rng.random();
            let visit = if booker < self.reserved_share {
                Visit::Booker(self.plan_booker(rng, at))
            } else {
                let u: f64 = rng.random();
                match self.listed {
                    Some((share, strategy, before)) if u < share => Visit::Listed {
                        strategy,
                        push_at: SimTime((at.0 - before).max(0)),
                    },
                    _ => Visit::Walkin,
                }
            };
            out.push(Driver { at, visit });
        }
        out
    }

    /// Room for the drivers of `end_h` hours: the expected count and four
    /// standard deviations (Poisson), so the drawn `Vec` is not grown and
    /// copied again and again. Only capacity: the draw is the same.
    fn room_for(&self, end_h: f64) -> usize {
        let hours = end_h.ceil().clamp(0.0, 24.0 * 3_700.0) as i64;
        let mean: f64 = (0..hours).map(|h| self.rate(SimTime(h * 3_600_000))).sum();
        (mean + 4.0 * mean.sqrt() + 16.0).min(50_000_000.0) as usize
    }

    fn plan_booker(&self, rng: &mut StdRng, booked: SimTime) -> BookerPlan {
        let lead_min = self.lead.sample_nonneg(rng);
        let book_at = SimTime((booked.0 - (lead_min * 60_000.0) as i64).max(0));
        let fate: f64 = rng.random();
        let cancel = fate < self.cancel;
        let no_show = !cancel && fate < self.cancel + self.no_show;
        let change: f64 = rng.random();
        // Cancellations and changes fall uniformly between booking and the
        // booked time.
        let u: f64 = rng.random();
        let when = SimTime(book_at.0 + ((booked.0 - book_at.0) as f64 * u) as i64 + 1000);
        let shift_ms = (self.change_shift.sample(rng) * 60_000.0) as i64;
        let offset_ms = (self.offset.sample(rng) * 60_000.0) as i64;
        let anyway: f64 = rng.random();
        BookerPlan {
            book_at,
            cancel_at: cancel.then_some(when),
            change: (!cancel && change < self.change).then_some((when, shift_ms)),
            no_show,
            offset_ms,
            come_anyway: anyway < self.come_anyway,
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use rand::SeedableRng;

    fn demand(sets: &[&str]) -> Demand {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let scn = Scenario::from_toml_with_overrides(crate::scenario::DEFAULT, &sets).unwrap();
        Demand::new(&scn).unwrap()
    }

    #[test]
    fn thinning_draws_the_profile() {
        let d = demand(&[]);
        let mut rng = StdRng::seed_from_u64(3);
        let days = 20;
        let drivers = d.draw(&mut rng, SimTime(days * SimTime::MS_PER_DAY));
        // The hospital profile sums to 1,488 a day.
        let expected = 1488.0 * days as f64;
        let n = drivers.len() as f64;
        assert!(
            (n - expected).abs() < 4.0 * expected.sqrt(),
            "{n} vs {expected}"
        );
        assert!(drivers.windows(2).all(|w| w[0].at <= w[1].at));
        // 08:00-09:00 (166/h) against 03:00-04:00 (2/h).
        let in_hour = |h: i64| {
            drivers
                .iter()
                .filter(|x| x.at.of_day() / 3_600_000 == h)
                .count() as f64
                / days as f64
        };
        assert!((in_hour(8) - 166.0).abs() < 15.0, "{}", in_hour(8));
        assert!(in_hour(3) < 6.0);
        let bookers = drivers
            .iter()
            .filter(|x| matches!(x.visit, Visit::Booker(_)))
            .count() as f64;
        assert!((bookers / n - 0.3).abs() < 0.02);
        // Plates are unique.
        let plates: std::collections::BTreeSet<String> = (0..drivers.len())
            .map(|i| DriverId(i as u32).plate().to_string())
            .collect();
        assert_eq!(plates.len(), drivers.len());
    }

    #[test]
    fn booker_plans_follow_the_shares() {
        let d = demand(&[
            "demand.reserved_share=1",
            "demand.cancel=0.2",
            "demand.no_show=0.1",
        ]);
        let mut rng = StdRng::seed_from_u64(9);
        let drivers = d.draw(&mut rng, SimTime(5 * SimTime::MS_PER_DAY));
        let plans: Vec<BookerPlan> = drivers
            .iter()
            .filter_map(|x| match x.visit {
                Visit::Booker(p) => Some(p),
                _ => None,
            })
            .collect();
        let n = plans.len() as f64;
        let share =
            |f: &dyn Fn(&BookerPlan) -> bool| plans.iter().filter(|p| f(p)).count() as f64 / n;
        assert!((share(&|p| p.cancel_at.is_some()) - 0.2).abs() < 0.03);
        assert!((share(&|p| p.no_show) - 0.1).abs() < 0.03);
        assert!((share(&|p| p.come_anyway) - 0.5).abs() < 0.03);
        for (x, p) in drivers.iter().zip(&plans) {
            assert!(p.book_at <= x.at);
            if let Some(c) = p.cancel_at {
                assert!(c > p.book_at && c.0 <= x.at.0 + 1000);
            }
        }
    }

    #[test]
    fn plates_name_their_driver() {
        let d = demand(&[]);
        let mut rng = StdRng::seed_from_u64(1);
        let drivers = d.draw(&mut rng, SimTime(SimTime::MS_PER_DAY));
        for i in 0..drivers.len() {
            let plate = DriverId(i as u32).plate();
            assert_eq!(DriverId::of_plate(&plate), Some(DriverId(i as u32)));
        }
        // The format: at least six digits, upper case, wider when needed.
        assert_eq!(DriverId(0).plate().as_str(), "粤B000001");
        assert_eq!(DriverId(0xABCDE).plate().as_str(), "粤B0ABCDF");
        assert_eq!(DriverId(0xFFFFFF).plate().as_str(), "粤B1000000");
        assert_eq!(DriverId(u32::MAX - 1).plate().as_str(), "粤BFFFFFFFF");
        assert_eq!(DriverId(u32::MAX).plate().as_str(), "粤B100000000");
        assert_eq!(
            DriverId::of_plate(&DriverId(0x1234567).plate()),
            Some(DriverId(0x1234567))
        );
        assert_eq!(DriverId::of_plate("粤B000000"), None);
        assert_eq!(DriverId::of_plate("京A000001"), None);
    }

    #[test]
    fn weekly_profile_by_day() {
        let mut week = vec![vec![0.0; 24]; 7];
        week[1][10] = 7.0; // Tuesday 10:00
        let d = Demand {
            profile: Profile::Weekly(week),
            ..demand(&[])
        };
        assert_eq!(
            d.rate(SimTime(SimTime::MS_PER_DAY + 10 * 3_600_000 + 5)),
            7.0
        );
        assert_eq!(d.rate(SimTime(10 * 3_600_000)), 0.0);
        assert_eq!(
            d.rate(SimTime(8 * SimTime::MS_PER_DAY + 10 * 3_600_000)),
            7.0
        );
    }
}
