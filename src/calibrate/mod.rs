//! Calibration: a scenario whose simulated occupancy by time of day
//! matches an observed one.
//!
//! From a base scenario and an occupancy series ([`observed`]), the
//! calibration sets `garage.stalls` to the observed capacity (the
//! reservable pool keeps its share of the stalls), and fits the arrival
//! profile (`demand.arrivals_per_hour`, or `arrivals_per_hour_by_weekday`
//! when every weekday has at least two observed days) and the length of
//! stay (`demand.stay_min`, lognormal). Every other key of the base stays
//! as written.
//!
//! The method, deterministic from [`Options::seed`]:
//! 1. the mean share of stalls occupied by weekday (or day) and half hour
//!    is the target ([`observed::Profile`]);
//! 2. an infinite-server model gives the first guess ([`fit`]): hourly
//!    rates by least squares for each stay of a grid (or for the stays the
//!    data measured), the best kept;
//! 3. simulation-guided refinement: the scenario is simulated
//!    ([`crate::sim::run::run`], minute series of vehicles inside, frames
//!    off) over `replications` seeds, the target is moved by the
//!    observed − simulated difference (what the model misses: a full
//!    garage, queues, bookings that lapse or come early) and the rates are
//!    refitted; the best of the iterations is kept;
//! 4. the fit is reported on fresh seeds: the RMSE of the occupancy share
//!    over the observed (weekday,) half-hour cells, one per replication,
//!    with its mean and 95 % CI (Student t over replications).
//!
//! Hours the observation does not cover (Birmingham: 16:30 to 08:00) are
//! carried smoothly by the fit and not checked.

pub mod fit;
pub mod observed;
pub mod plot;

use crate::planner::splitmix64;
use crate::scenario::Scenario;
use crate::sim::run::{DAY0, RunOptions, run};
use fit::{Stay, Target};
use observed::{Observed, Profile, ProfileKind, Sample};
use std::fmt;

/// Why a calibration could not be made.
#[derive(Debug, Clone, PartialEq)]
pub enum CalibrateError {
    /// A file or database that cannot be read as an input.
    Input { source: String, message: String },
    /// A row of the observed file that cannot be read (1-based line).
    BadRow {
        source: String,
        line: usize,
        message: String,
    },
    /// Nothing to fit.
    Empty { source: String, message: String },
    /// The garage asked for is not in the data.
    UnknownGarage { garage: String, known: Vec<String> },
    /// Several garages in the data and none chosen.
    ChooseGarage { known: Vec<String> },
    /// The base scenario, or the calibrated one, is not valid.
    Scenario(String),
    /// A simulation run failed.
    Sim(String),
    /// The plot could not be drawn.
    Plot(String),
}

fn list(known: &[String]) -> String {
    const MAX: usize = 40;
    let mut s = known
        .iter()
        .take(MAX)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if known.len() > MAX {
        s.push_str(&format!(", … ({} in all)", known.len()));
    }
    s
}

impl fmt::Display for CalibrateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalibrateError::Input { source, message } => write!(f, "{source}: {message}"),
            CalibrateError::BadRow {
                source,
                line,
                message,
            } => write!(f, "{source}: line {line}: {message}"),
            CalibrateError::Empty { source, message } => {
                write!(f, "{source}: nothing to fit: {message}")
            }
            CalibrateError::UnknownGarage { garage, known } if known.is_empty() => {
                write!(f, "no garage `{garage}`: the data names no garage")
            }
            CalibrateError::UnknownGarage { garage, known } => {
                write!(
                    f,
                    "no garage `{garage}` in the data; it has: {}",
                    list(known)
                )
            }
            CalibrateError::ChooseGarage { known } => write!(
                f,
                "the data holds {} garages; choose one with --garage: {}",
                known.len(),
                list(known)
            ),
            CalibrateError::Scenario(m) => write!(f, "scenario: {m}"),
            CalibrateError::Sim(m) => write!(f, "simulation: {m}"),
            CalibrateError::Plot(m) => write!(f, "plot: {m}"),
        }
    }
}

impl std::error::Error for CalibrateError {}

/// How to calibrate.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The arrival profile's shape; `None`: per weekday when every weekday
    /// has at least two observed days, else daily.
    pub kind: Option<ProfileKind>,
    /// Simulation runs (seeds) per evaluation.
    pub replications: u32,
    /// Simulation-guided refinements after the first guess.
    pub iterations: u32,
    /// Measured days per simulation run (after one warm-up day at least).
    pub sim_days: u32,
    /// Seeds of the runs derive from this.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            kind: None,
            replications: 5,
            iterations: 2,
            sim_days: 14,
            seed: 1,
        }
    }
}

/// Where the stay came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaySource {
    /// Mean and sd of the stays in the data's exit records.
    Measured,
    /// The best of the grid [`fit::STAY_MEANS`] × [`fit::STAY_CVS`].
    Grid,
}

/// A scenario's simulated occupancy against an observed profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// RMSE of the occupancy share per replication [share of stalls].
    pub rmse: Vec<f64>,
    /// Their mean and the half-width of its 95 % CI (Student t; NaN for
    /// one replication).
    pub mean: f64,
    pub ci: f64,
    /// The simulated profile of each replication.
    pub sims: Vec<Profile>,
}

impl Fit {
    /// The fit of simulated profiles `sims` to `obs`.
    pub fn of(obs: &Profile, sims: Vec<Profile>) -> Fit {
        let rmse: Vec<f64> = sims
            .iter()
            .map(|s| observed::rmse(obs, s).unwrap_or(f64::NAN))
            .collect();
        let (mean, ci) = mean_ci(&rmse);
        Fit {
            rmse,
            mean,
            ci,
            sims,
        }
    }

    /// The simulated share by half hour over every class, averaged over
    /// replications, with the lowest and highest replication.
    pub fn pooled(&self) -> Vec<Option<(f64, f64, f64)>> {
        let per: Vec<[Option<f64>; observed::BINS]> =
            self.sims.iter().map(|s| s.pooled()).collect();
        (0..observed::BINS)
            .map(|b| {
                let xs: Vec<f64> = per.iter().filter_map(|p| p[b]).collect();
                if xs.is_empty() {
                    return None;
                }
                let m = xs.iter().sum::<f64>() / xs.len() as f64;
                let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                Some((m, lo, hi))
            })
            .collect()
    }
}

/// Mean and 95 % CI half-width (Student t) of `xs`.
pub fn mean_ci(xs: &[f64]) -> (f64, f64) {
    let n = xs.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let m = xs.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return (m, f64::NAN);
    }
    let sd = (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
    (m, t975(n - 1) * sd / (n as f64).sqrt())
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom.
fn t975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    T.get(df.wrapping_sub(1)).copied().unwrap_or(1.96)
}

/// A calibrated scenario and how well it fits.
#[derive(Debug, Clone)]
pub struct Calibration {
    pub scenario: Scenario,
    /// The scenario file: the base's keys with the fitted ones replaced
    /// (the base's comments are not kept).
    pub toml: String,
    pub kind: ProfileKind,
    pub stay: Stay,
    pub stay_source: StaySource,
    /// The observed profile fitted.
    pub target: Profile,
    /// RMSE of the first guess's model at the targets [share of stalls].
    pub model_rmse: f64,
    /// Simulated RMSE after each step (first guess, then each refinement),
    /// mean over the fitting seeds.
    pub steps: Vec<f64>,
    /// The fit on fresh seeds against `target`.
    pub fit: Fit,
}

/// The base with `garage.stalls` = `capacity` and the reservable pool
/// scaled to keep its share.
pub fn with_capacity(base: &Scenario, capacity: u32) -> Scenario {
    let mut s = base.clone();
    let share = base.garage.reservable_stalls as f64 / base.garage.stalls.max(1) as f64;
    s.garage.stalls = capacity;
    s.garage.reservable_stalls = ((share * capacity as f64).round() as u32).min(capacity);
    s
}

/// Simulated profiles of `scn`, one per seed (runs in parallel, collected
/// in seed order): `sim_days` measured days, at least one warm-up day,
/// frames and outages off.
pub fn simulate_profiles(
    scn: &Scenario,
    kind: ProfileKind,
    sim_days: u32,
    seeds: &[u64],
) -> Result<Vec<Profile>, CalibrateError> {
    use rayon::prelude::*;
    let mut base = scn.clone();
    base.days = sim_days.max(1);
    base.warmup_days = base.warmup_days.max(1);
    base.network.frames = false;
    base.network.outages.clear();
    let capacity = base.garage.stalls;
    let runs: Vec<Result<Profile, CalibrateError>> = seeds
        .par_iter()
        .map(|&seed| {
            let mut s = base.clone();
            s.seed = seed;
            let r = run(
                &s,
                RunOptions {
                    series: true,
                    ..RunOptions::default()
                },
            )
            .map_err(|e| CalibrateError::Sim(e.to_string()))?;
            let series = r
                .series
                .ok_or_else(|| CalibrateError::Sim("the run kept no series".into()))?;
            let samples: Vec<Sample> = series
                .minute
                .iter()
                .zip(&series.inside)
                .map(|(&m, &n)| Sample {
                    at: crate::proto::time::DateTime(DAY0.0 + m as i64 * 60),
                    used: n as f64,
                })
                .collect();
            Ok(Profile::of(&samples, capacity, kind))
        })
        .collect();
    runs.into_iter().collect()
}

/// Seeds `0..n` of a family (`salt` 0: fitting, 1: reporting).
fn seeds(opts: &Options, salt: u64, n: u32) -> Vec<u64> {
    (0..n as u64)
        .map(|i| splitmix64(splitmix64(opts.seed ^ (salt << 32)) ^ i))
        .collect()
}

/// Evaluates `scn` against observed profiles on the reporting seeds: one
/// [`Fit`] per profile (all of one kind), from the same runs.
pub fn evaluate(
    scn: &Scenario,
    obs: &[&Profile],
    opts: &Options,
) -> Result<Vec<Fit>, CalibrateError> {
    let kind = obs.first().map(|p| p.kind).unwrap_or(ProfileKind::Daily);
    let sims = simulate_profiles(scn, kind, opts.sim_days, &seeds(opts, 1, opts.replications))?;
    Ok(obs.iter().map(|o| Fit::of(o, sims.clone())).collect())
}

fn targets(p: &Profile, capacity: u32) -> Vec<Target> {
    p.cells()
        .map(|(c, b, s)| Target {
            minute: c * 1440 + b * 30,
            vehicles: s * capacity as f64,
        })
        .collect()
}

/// Formats a TOML float array of rates with two decimals.
fn rates_value(r: &[f64]) -> toml::Value {
    toml::Value::Array(
        r.iter()
            .map(|x| toml::Value::Float((x * 100.0).round() / 100.0))
            .collect(),
    )
}

/// The base's text with the fitted keys set; checked by reading it back.
fn write_scenario(
    base_text: &str,
    capacity: u32,
    reservable: u32,
    kind: ProfileKind,
    rates: &[f64],
    stay: &Stay,
) -> Result<(String, Scenario), CalibrateError> {
    let bad = |m: String| CalibrateError::Scenario(m);
    let mut doc: toml::Table = toml::from_str(base_text).map_err(|e| bad(e.to_string()))?;
    let table = |doc: &mut toml::Table, k: &str| -> Result<toml::Table, CalibrateError> {
        match doc.remove(k) {
            Some(toml::Value::Table(t)) => Ok(t),
            None => Ok(toml::Table::new()),
            Some(_) => Err(bad(format!("`{k}` is not a table"))),
        }
    };
    let mut garage = table(&mut doc, "garage")?;
    garage.insert("stalls".into(), toml::Value::Integer(capacity as i64));
    garage.insert(
        "reservable_stalls".into(),
        toml::Value::Integer(reservable as i64),
    );
    doc.insert("garage".into(), toml::Value::Table(garage));
    let mut demand = table(&mut doc, "demand")?;
    for k in [
        "arrival_rate",
        "arrivals_per_hour",
        "arrivals_per_hour_by_weekday",
    ] {
        demand.remove(k);
    }
    match kind {
        ProfileKind::Daily => {
            demand.insert("arrivals_per_hour".into(), rates_value(rates));
        }
        ProfileKind::Weekday => {
            demand.insert(
                "arrivals_per_hour_by_weekday".into(),
                toml::Value::Array(rates.chunks(24).map(rates_value).collect()),
            );
        }
    }
    let mut st = toml::Table::new();
    st.insert("dist".into(), toml::Value::String("lognormal".into()));
    st.insert(
        "mean".into(),
        toml::Value::Float((stay.mean * 10.0).round() / 10.0),
    );
    st.insert(
        "sd".into(),
        toml::Value::Float((stay.sd * 10.0).round() / 10.0),
    );
    demand.insert("stay_min".into(), toml::Value::Table(st));
    doc.insert("demand".into(), toml::Value::Table(demand));
    let text = toml::to_string(&doc).map_err(|e| bad(e.to_string()))?;
    let scn = Scenario::from_toml(&text).map_err(|errs| {
        bad(errs
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("; "))
    })?;
    Ok((text, scn))
}

/// Calibrates the base scenario (its file text `base_text`) to `obs`.
pub fn calibrate(
    base_text: &str,
    obs: &Observed,
    opts: &Options,
) -> Result<Calibration, CalibrateError> {
    let base = Scenario::from_toml(base_text).map_err(|errs| {
        CalibrateError::Scenario(
            errs.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    if obs.samples.is_empty() {
        return Err(CalibrateError::Empty {
            source: obs.source.clone(),
            message: "no samples".into(),
        });
    }
    let kind = opts.kind.unwrap_or_else(|| obs.auto_kind());
    let cap = obs.capacity;
    let target = Profile::of(&obs.samples, cap, kind);
    let obs_targets = targets(&target, cap);
    let (stay, mut rates, model_err, stay_source) = match Stay::measured(&obs.stays_min) {
        Some(stay) => {
            let (r, e) = fit::fit_rates(kind, &obs_targets, &stay);
            (stay, r, e, StaySource::Measured)
        }
        None => {
            let (s, r, e) = fit::fit_stay(kind, &obs_targets);
            (s, r, e, StaySource::Grid)
        }
    };
    let reservable = with_capacity(&base, cap).garage.reservable_stalls;
    let make = |rates: &[f64]| write_scenario(base_text, cap, reservable, kind, rates, &stay);
    let fit_seeds = seeds(opts, 0, opts.replications);
    let mut moved = obs_targets.clone();
    let mut steps = Vec::new();
    let mut best: Option<(f64, String, Scenario)> = None;
    for step in 0..=opts.iterations {
        let (text, scn) = make(&rates)?;
        let sims = simulate_profiles(&scn, kind, opts.sim_days, &fit_seeds)?;
        let f = Fit::of(&target, sims);
        steps.push(f.mean);
        if best.as_ref().is_none_or(|b| f.mean < b.0) {
            best = Some((f.mean, text, scn));
        }
        if step == opts.iterations {
            break;
        }
        // Move each target by what the simulation missed, then refit.
        let n = f.sims.len() as f64;
        for (t, o) in moved.iter_mut().zip(&obs_targets) {
            let (c, b) = (t.minute / 1440, (t.minute % 1440) / 30);
            let sim: f64 =
                f.sims.iter().filter_map(|p| p.share[c][b]).sum::<f64>() / n * cap as f64;
            t.vehicles = (t.vehicles + o.vehicles - sim).max(0.0);
        }
        rates = fit::fit_rates(kind, &moved, &stay).0;
    }
    let (_, toml, scenario) = best.ok_or_else(|| CalibrateError::Sim("no step ran".into()))?;
    let fit = evaluate(&scenario, &[&target], opts)?
        .pop()
        .ok_or_else(|| CalibrateError::Sim("no evaluation".into()))?;
    Ok(Calibration {
        scenario,
        toml,
        kind,
        stay,
        stay_source,
        target,
        model_rmse: model_err / cap as f64,
        steps,
        fit,
    })
}
