//! Command-line parsing (what the user typed) and dispatch. The only layer,
//! with the network one, that reads the wall clock.

use clap::{Parser, Subcommand};

mod calibrate;
mod compare;
mod net;
mod planner;
mod progress;
mod proto;
mod report;
mod run;

#[derive(Parser)]
#[command(
    name = "parksim",
    version,
    about = "Reservation-garage simulator and T/SZPIA 001-2020 protocol tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Top,
}

#[derive(Subcommand)]
enum Top {
    /// Protocol tools: sign, encode, decode and check messages of T/SZPIA 001-2020.
    Proto {
        #[command(subcommand)]
        cmd: proto::ProtoCmd,
    },
    /// Simulate a scenario (default: the embedded hospital garage) and print its summary.
    Run {
        /// Scenario file (default: the embedded hospital scenario).
        file: Option<std::path::PathBuf>,
        /// Simulated days after the warm-up (overrides `days`).
        #[arg(long)]
        days: Option<u32>,
        /// RNG seed (overrides `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Override a key, e.g. --set garage.stalls=200 (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Print one JSON object instead of the readable summary.
        #[arg(long)]
        json: bool,
        /// Write the per-minute series and the summary (CSV and Parquet) here.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Run a sweep of scenarios in parallel and write its tables.
    Sweep {
        file: std::path::PathBuf,
        #[arg(long, default_value = "sweep-out")]
        out: std::path::PathBuf,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Run only shard I of N (runs i with i % N == I); merge the shards after.
        #[arg(long)]
        shard: Option<parksim::planner::Shard>,
        /// No progress bar, no messages.
        #[arg(long)]
        quiet: bool,
        /// When stderr is not a terminal (a batch log): a progress line per
        /// this many runs (default: 5 % of the runs), or per minute.
        #[arg(long, value_name = "RUNS")]
        progress_every: Option<usize>,
        /// Replace the results of another sweep found in --out.
        #[arg(long)]
        force: bool,
    },
    /// Merge the output directories of a sharded sweep into one.
    Merge {
        #[arg(required = true)]
        dirs: Vec<std::path::PathBuf>,
        #[arg(long, default_value = "sweep-out")]
        out: std::path::PathBuf,
        /// Replace the results of another sweep found in --out.
        #[arg(long)]
        force: bool,
    },
    /// Two policies side by side: every metric, B − A and its 95 % CI
    /// (paired by seed: common random numbers).
    ///
    /// A and B: a sweep point `DIR@N` or `DIR@key=value,key=value` (a sweep
    /// directory; `DIR` alone when it has one point), a run directory
    /// (`run --out`: its scenario.toml) or a scenario file; runs and
    /// scenarios are replicated with a sweep's seeds.
    Compare {
        a: String,
        b: String,
        /// Runs of each replicated side (a run directory or scenario file);
        /// against a sweep point: that point's replications.
        #[arg(long, default_value_t = 10)]
        replications: u32,
        /// Seed of the replications (default: the sweep's, else A's).
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Print one JSON object instead of the table.
        #[arg(long)]
        json: bool,
        /// Every metric, not only the headline ones.
        #[arg(long)]
        all: bool,
        /// Write compare.json, compare.csv and report.html (the page) here.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Find the smallest value of a knob whose 95 % CI meets every target.
    Plan {
        /// Scenario file (default: the embedded hospital scenario).
        file: Option<std::path::PathBuf>,
        /// The numeric scenario key to vary, e.g. garage.reservable_stalls.
        #[arg(long)]
        knob: String,
        /// A..=B: the knob's values A, A+step, ... up to B.
        #[arg(long)]
        range: String,
        /// Grid step (integer knobs: default 1; real knobs: required).
        #[arg(long)]
        step: Option<String>,
        /// Write the evidence table here (CSV, or JSON for a .json name).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// metric>=value or metric<=value (repeatable).
        #[arg(long = "target")]
        targets: Vec<String>,
        #[arg(long, default_value_t = 10)]
        replications: u32,
        #[arg(long)]
        threads: Option<usize>,
        /// Override a key of the scenario (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
    /// A platform over the network: serve, status, and downlinks to connected garages.
    Platform {
        #[command(subcommand)]
        cmd: net::PlatformCmd,
    },
    /// A simulated garage against a real platform over the network.
    Garage {
        #[command(subcommand)]
        cmd: net::GarageCmd,
    },
    /// Fit a scenario's arrival profile and stay to observed occupancy
    /// (the Birmingham car-park CSV, or a platform database with --db).
    Calibrate(calibrate::CalibrateArgs),
    /// Redraw the plots of a run (`series.csv`) or a sweep (`summary.csv`) directory.
    Plot { dir: std::path::PathBuf },
    /// One self-contained HTML page of a run, sweep or merge directory, to share.
    Report(report::ReportArgs),
    /// Check a scenario file and explain every problem (key and line).
    Validate {
        /// Scenario file (default: the embedded hospital scenario).
        file: Option<std::path::PathBuf>,
        /// Override a key, e.g. --set garage.stalls=200 (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
}

/// Runs the command line; returns the process exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        Top::Proto { cmd } => proto::run(cmd),
        Top::Platform { cmd } => net::platform(cmd),
        Top::Garage { cmd } => net::garage(cmd),
        Top::Validate { file, sets } => validate(file, &sets),
        Top::Calibrate(args) => calibrate::run(args),
        Top::Report(args) => report::run(args),
        Top::Sweep {
            file,
            out,
            threads,
            shard,
            quiet,
            progress_every,
            force,
        } => planner::sweep(file, out, threads, shard, quiet, progress_every, force),
        Top::Merge { dirs, out, force } => planner::merge(dirs, out, force),
        Top::Compare {
            a,
            b,
            replications,
            seed,
            threads,
            json,
            all,
            out,
        } => compare::run(compare::CompareArgs {
            a,
            b,
            replications,
            seed,
            threads: planner::threads_or_all(threads),
            json,
            all,
            out,
        }),
        Top::Plot { dir } => parksim::plot::plot_dir(&dir).map(|files| {
            for f in files {
                println!("{}", f.display());
            }
            0
        }),
        Top::Plan {
            file,
            knob,
            range,
            step,
            out,
            targets,
            replications,
            threads,
            sets,
        } => planner::plan_cmd(
            file,
            knob,
            range,
            step,
            targets,
            replications,
            threads,
            sets,
            out,
        ),
        Top::Run {
            file,
            days,
            seed,
            sets,
            json,
            out,
        } => run::run(file, days, seed, sets, json, out),
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("parksim: {msg}");
            1
        }
    }
}

/// The scenario text and a label for messages.
pub(crate) fn scenario_text(file: &Option<std::path::PathBuf>) -> Result<(String, String), String> {
    Ok(match file {
        Some(p) => (
            p.display().to_string(),
            std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?,
        ),
        None => (
            "(embedded hospital scenario)".to_string(),
            parksim::scenario::DEFAULT.to_string(),
        ),
    })
}

fn validate(file: Option<std::path::PathBuf>, sets: &[String]) -> Result<i32, String> {
    let (label, text) = scenario_text(&file)?;
    match parksim::scenario::Scenario::from_toml_with_overrides(&text, sets) {
        Ok(s) => {
            for (k, m) in s.warnings() {
                eprintln!("{label}: warning: `{k}`: {m}");
            }
            println!(
                "{label}: ok — \"{}\", {} stalls ({} reservable), {} entrances, {} exits, {} days + {} warm-up",
                s.name,
                s.garage.stalls,
                s.garage.reservable_stalls,
                s.garage.entrances.len(),
                s.garage.exits.len(),
                s.days,
                s.warmup_days
            );
            Ok(0)
        }
        Err(errs) => {
            for e in &errs {
                eprintln!("{label}: {e}");
            }
            eprintln!("{label}: {} problem(s)", errs.len());
            Ok(1)
        }
    }
}

/// Seconds since 1970 by the wall clock.
pub(crate) fn wall_clock_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
