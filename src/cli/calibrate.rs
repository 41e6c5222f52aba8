//! `parksim calibrate`: a scenario fitted to observed occupancy, its fit
//! printed, its curves drawn and tabled next to `--out`.

use parksim::calibrate::observed::{self, BINS, Observed, Profile, ProfileKind};
use parksim::calibrate::plot::{Curve, draw};
use parksim::calibrate::{self, Fit, Options, StaySource, evaluate, with_capacity};
use parksim::proto::time::civil_from_days;
use parksim::scenario::Scenario;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct CalibrateArgs {
    /// Observed occupancy: the Birmingham car-park CSV (no header;
    /// SystemCodeNumber,Capacity,Occupancy,LastUpdated).
    observed: Option<PathBuf>,
    /// Read the observation from a platform database (`parksim platform serve --db`).
    #[arg(long, conflicts_with = "observed")]
    db: Option<PathBuf>,
    /// With --db: the garage's parkCode.
    #[arg(long, requires = "db")]
    park_code: Option<String>,
    /// With a CSV: the car park (SystemCodeNumber); needed when the file holds several.
    #[arg(long, conflicts_with = "db")]
    garage: Option<String>,
    /// Stalls (default: from the data).
    #[arg(long)]
    capacity: Option<u32>,
    /// Base scenario (default: the embedded hospital scenario).
    #[arg(long)]
    base: Option<PathBuf>,
    /// The calibrated scenario to write; the fit's table and figure go
    /// beside it (STEM.fit.csv, STEM.fit.png, STEM.fit.svg).
    #[arg(long)]
    out: PathBuf,
    /// Arrival profile: auto (per weekday when every weekday has two
    /// observed days), daily or weekday.
    #[arg(long, default_value = "auto")]
    profile: String,
    /// Leave the last N observed days out of the fit and report the fit on them.
    #[arg(long)]
    holdout_days: Option<usize>,
    /// Simulation runs (seeds) per evaluation.
    #[arg(long, default_value_t = 5)]
    replications: u32,
    /// Simulation-guided refinements after the first guess.
    #[arg(long, default_value_t = 2)]
    iterations: u32,
    /// Measured days per simulation run.
    #[arg(long, default_value_t = 14)]
    sim_days: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn date(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

fn span(days: &[i64]) -> String {
    match (days.first(), days.last()) {
        (Some(a), Some(b)) => format!("{} to {} ({} days)", date(*a), date(*b), days.len()),
        _ => "no days".into(),
    }
}

fn fit_text(f: &Fit, opts: &Options) -> String {
    format!(
        "{:.4} (95 % CI {:.4} to {:.4}; {} replications × {} days)",
        f.mean,
        f.mean - f.ci,
        f.mean + f.ci,
        f.rmse.len(),
        opts.sim_days
    )
}

fn stem_of(out: &Path) -> PathBuf {
    out.with_extension("")
}

fn beside(out: &Path, suffix: &str) -> PathBuf {
    let mut s = stem_of(out).into_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

pub fn run(a: CalibrateArgs) -> Result<i32, String> {
    let kind = match a.profile.as_str() {
        "auto" => None,
        "daily" => Some(ProfileKind::Daily),
        "weekday" => Some(ProfileKind::Weekday),
        other => return Err(format!("--profile: auto, daily or weekday, not `{other}`")),
    };
    if a.replications == 0 {
        return Err("--replications: at least 1".into());
    }
    if a.sim_days == 0 {
        return Err("--sim-days: at least 1".into());
    }
    // Where the results go must exist before anything runs.
    let dir = a
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(format!("--out: no directory {}", dir.display()));
    }
    let (base_label, base_text) = super::scenario_text(&a.base)?;
    Scenario::from_toml(&base_text).map_err(|errs| {
        let msgs: Vec<String> = errs.iter().map(|e| format!("{base_label}: {e}")).collect();
        msgs.join("\n")
    })?;
    let (obs, input_cmd) = match (&a.observed, &a.db) {
        (Some(p), None) => (
            observed::read_birmingham(p, a.garage.as_deref(), a.capacity),
            p.display().to_string(),
        ),
        (None, Some(db)) => {
            let code = a
                .park_code
                .as_deref()
                .ok_or("--db needs --park-code (the garage's parkCode)")?;
            (
                observed::read_platform_db(db, code, a.capacity),
                format!("--db {} --park-code {code}", db.display()),
            )
        }
        _ => return Err("give an observed CSV file or --db platform.db --park-code CODE".into()),
    };
    let obs = obs.map_err(|e| e.to_string())?;
    let days = obs.days();
    let (fit_obs, held): (Observed, Option<Observed>) = match a.holdout_days {
        Some(n) if n > 0 => {
            if n >= days.len() {
                return Err(format!(
                    "--holdout-days {n}: the data has only {} days",
                    days.len()
                ));
            }
            let (f, h) = obs.split_at_day(days[days.len() - n]);
            (f, Some(h))
        }
        _ => (obs.clone(), None),
    };
    let opts = Options {
        kind,
        replications: a.replications,
        iterations: a.iterations,
        sim_days: a.sim_days,
        seed: a.seed,
    };
    let cal = calibrate::calibrate(&base_text, &fit_obs, &opts).map_err(|e| e.to_string())?;
    let kind = cal.kind;
    let held_profile = held
        .as_ref()
        .map(|h| Profile::of(&h.samples, obs.capacity, kind));
    let mut held_fit = None;
    if let Some(hp) = &held_profile {
        held_fit = evaluate(&cal.scenario, &[hp], &opts)
            .map_err(|e| e.to_string())?
            .pop();
    }
    // The base as it was, with the observed number of stalls.
    let base_scn = with_capacity(
        &Scenario::from_toml(&base_text).map_err(|_| "base scenario".to_string())?,
        obs.capacity,
    );
    let mut profiles: Vec<&Profile> = vec![&cal.target];
    if let Some(hp) = &held_profile {
        profiles.push(hp);
    }
    let base_fits = evaluate(&base_scn, &profiles, &opts).map_err(|e| e.to_string())?;

    // ---- print -----------------------------------------------------------
    let c = &obs.cleaning;
    let mut out = String::new();
    let _ = writeln!(out, "observed   {}: {} stalls", obs.source, obs.capacity);
    if a.db.is_some() {
        let _ = writeln!(
            out,
            "           {} records; occupancy rebuilt from entries and exits every 30 min{}",
            c.rows,
            if c.unreadable > 0 {
                format!(", {} records without a readable time skipped", c.unreadable)
            } else {
                String::new()
            }
        );
    } else {
        let _ = writeln!(
            out,
            "cleaning   {} rows: {} exact duplicates dropped, {} above capacity clamped to it, {} negative dropped",
            c.rows, c.duplicates, c.clamped, c.negative
        );
    }
    let fit_days = fit_obs.days();
    let _ = writeln!(out, "fitted on  {}", span(&fit_days));
    if let Some(h) = &held {
        let _ = writeln!(out, "held out   {}", span(&h.days()));
    }
    let _ = writeln!(
        out,
        "profile    {}",
        match kind {
            ProfileKind::Daily => "daily: demand.arrivals_per_hour (24 rates)",
            ProfileKind::Weekday =>
                "per weekday: demand.arrivals_per_hour_by_weekday (7 × 24 rates, Monday first)",
        }
    );
    let _ = writeln!(
        out,
        "stay       lognormal mean {:.1} min, sd {:.1} ({})",
        cal.stay.mean,
        cal.stay.sd,
        match cal.stay_source {
            StaySource::Measured => "measured from the exit records",
            StaySource::Grid => "the best of the grid of means and CVs",
        }
    );
    let _ = writeln!(
        out,
        "steps      model RMSE {:.4}; simulated RMSE per step {}",
        cal.model_rmse,
        cal.steps
            .iter()
            .map(|x| format!("{x:.4}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "fit        RMSE of occupancy share by time of day, observed vs simulated: {}",
        fit_text(&cal.fit, &opts)
    );
    if let Some(f) = &held_fit {
        let _ = writeln!(out, "held out   RMSE {}", fit_text(f, &opts));
    }
    let _ = writeln!(
        out,
        "base       uncalibrated base ({base_label}, {} stalls): RMSE {} on the fitted days{}",
        obs.capacity,
        fit_text(&base_fits[0], &opts),
        base_fits
            .get(1)
            .map(|f| format!(", {:.4} held out", f.mean))
            .unwrap_or_default()
    );

    // ---- files -----------------------------------------------------------
    let cmd = format!(
        "parksim calibrate {input_cmd}{}{}{}{} --out {}{}",
        a.garage
            .as_deref()
            .map(|g| format!(" --garage {g}"))
            .unwrap_or_default(),
        a.capacity
            .map(|c| format!(" --capacity {c}"))
            .unwrap_or_default(),
        a.base
            .as_ref()
            .map(|b| format!(" --base {}", b.display()))
            .unwrap_or_default(),
        a.holdout_days
            .map(|n| format!(" --holdout-days {n}"))
            .unwrap_or_default(),
        a.out.display(),
        if a.profile != "auto" {
            format!(" --profile {}", a.profile)
        } else {
            String::new()
        }
    );
    let mut header = String::new();
    let _ = writeln!(header, "# Calibrated by `{cmd}`");
    let _ = writeln!(
        header,
        "# from {} ({} stalls), fitted on {}.",
        obs.source,
        obs.capacity,
        span(&fit_days)
    );
    let _ = writeln!(
        header,
        "# Fitted: demand.{} and demand.stay_min; garage.stalls from the data,",
        match kind {
            ProfileKind::Daily => "arrivals_per_hour",
            ProfileKind::Weekday => "arrivals_per_hour_by_weekday",
        }
    );
    let _ = writeln!(
        header,
        "# reservable_stalls scaled; every other key as in {base_label}."
    );
    let _ = writeln!(
        header,
        "# RMSE of occupancy share by time of day: {}.",
        fit_text(&cal.fit, &opts)
    );
    if let Some(f) = &held_fit {
        let _ = writeln!(header, "# Held out: RMSE {}.", fit_text(f, &opts));
    }
    let werr = |p: &Path, e: std::io::Error| format!("cannot write {}: {e}", p.display());
    std::fs::write(&a.out, format!("{header}\n{}", cal.toml)).map_err(|e| werr(&a.out, e))?;

    let obs_pooled = cal.target.pooled();
    let held_pooled = held_profile.as_ref().map(|p| p.pooled());
    let sim = cal.fit.pooled();
    let base_pooled = base_fits[0].pooled();
    let csv_path = beside(&a.out, ".fit.csv");
    let mut csv = String::from(
        "time_of_day,observed,observed_held_out,simulated,simulated_min,simulated_max,base_simulated\n",
    );
    let f = |x: Option<f64>| x.map(|v| format!("{v:.4}")).unwrap_or_default();
    for b in 0..BINS {
        let _ = writeln!(
            csv,
            "{:02}:{:02},{},{},{},{},{},{}",
            b / 2,
            (b % 2) * 30,
            f(obs_pooled[b]),
            f(held_pooled.as_ref().and_then(|p| p[b])),
            f(sim[b].map(|s| s.0)),
            f(sim[b].map(|s| s.1)),
            f(sim[b].map(|s| s.2)),
            f(base_pooled[b].map(|s| s.0)),
        );
    }
    std::fs::write(&csv_path, csv).map_err(|e| werr(&csv_path, e))?;

    // The figure over the hours observed (and an hour either side).
    let seen: Vec<usize> = (0..BINS).filter(|&b| obs_pooled[b].is_some()).collect();
    let (lo, hi) = (
        seen.first().copied().unwrap_or(0).saturating_sub(2),
        (seen.last().copied().unwrap_or(BINS - 1) + 2).min(BINS - 1),
    );
    let hour = |b: usize| b as f64 / 2.0;
    let pts = |p: &[Option<f64>; BINS]| -> Vec<(f64, f64)> {
        (0..BINS)
            .filter_map(|b| p[b].map(|v| (hour(b), v)))
            .collect()
    };
    let mut curves = vec![Curve {
        name: "observed, fitted days".into(),
        points: pts(&obs_pooled),
        band: Vec::new(),
        markers: true,
    }];
    curves.push(Curve {
        name: "calibrated scenario, simulated (band: min-max of replications)".into(),
        points: (lo..=hi)
            .filter_map(|b| sim[b].map(|s| (hour(b), s.0)))
            .collect(),
        band: (lo..=hi)
            .filter_map(|b| sim[b].map(|s| (hour(b), s.1, s.2)))
            .collect(),
        markers: false,
    });
    curves.push(Curve {
        name: "base scenario, simulated".into(),
        points: (lo..=hi)
            .filter_map(|b| base_pooled[b].map(|s| (hour(b), s.0)))
            .collect(),
        band: Vec::new(),
        markers: false,
    });
    if let Some(hp) = &held_pooled {
        curves.push(Curve {
            name: "observed, held-out days".into(),
            points: pts(hp),
            band: Vec::new(),
            markers: true,
        });
    }
    let title = format!(
        "{}: occupancy by time of day (RMSE {:.3})",
        obs.garage, cal.fit.mean
    );
    let figs = draw(&beside(&a.out, ".fit"), &title, &curves).map_err(|e| e.to_string())?;
    let _ = writeln!(
        out,
        "wrote      {}, {}, {}",
        a.out.display(),
        csv_path.display(),
        figs.iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    print!("{out}");
    Ok(0)
}
