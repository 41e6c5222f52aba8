//! `parksim run`: one scenario, its summary, optionally its tables.

use parksim::scenario::Scenario;
use parksim::sim::run::{RunOptions, RunResult, Summary, run as simulate};
use std::path::PathBuf;

pub fn run(
    file: Option<PathBuf>,
    days: Option<u32>,
    seed: Option<u64>,
    mut sets: Vec<String>,
    json: bool,
    out: Option<PathBuf>,
) -> Result<i32, String> {
    let (label, text) = super::scenario_text(&file)?;
    if let Some(d) = days {
        sets.push(format!("days={d}"));
    }
    if let Some(s) = seed {
        sets.push(format!("seed={s}"));
    }
    let scn = match Scenario::from_toml_with_overrides(&text, &sets) {
        Ok(s) => s,
        Err(errs) => {
            for e in &errs {
                eprintln!("{label}: {e}");
            }
            return Ok(1);
        }
    };
    for (k, m) in scn.warnings() {
        eprintln!("{label}: warning: `{k}`: {m}");
    }
    if let Some(dir) = &out {
        parksim::planner::output::check_run_out(dir)?;
    }
    let result = simulate(
        &scn,
        RunOptions {
            series: out.is_some(),
            ..RunOptions::default()
        },
    )
    .map_err(|e| format!("{label}: {e}"))?;
    if let Some(dir) = &out {
        parksim::planner::output::write_run_provenance(dir, &scn, &label, &sets)?;
        write_tables(dir, &result).map_err(|e| format!("cannot write {}: {e}", dir.display()))?;
        super::report::after(dir, true);
    }
    let s = &result.summary;
    if json {
        println!("{}", serde_json::to_string(s).map_err(|e| e.to_string())?);
    } else {
        print_summary(s);
    }
    if !s.conservation_ok {
        eprintln!(
            "parksim: conservation violated (arrived ≠ entered + turned away + queued, or entered ≠ exited + inside)"
        );
        return Ok(3);
    }
    if !s.reconciled {
        eprintln!(
            "parksim: the platform's ledger does not match the garage: {}",
            s.reconcile_problems.join("; ")
        );
        return Ok(3);
    }
    Ok(0)
}

fn pct(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

/// A rate that may be undefined (empty population): `n/a`.
fn pct_or(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), pct)
}

/// Seconds that may be undefined: `n/a`.
fn secs(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), |v| format!("{v:.0} s"))
}

fn print_summary(s: &Summary) {
    println!(
        "{} — {} days after warm-up, seed {}",
        s.scenario, s.days, s.seed
    );
    println!(
        "  arrivals           {}: {} walk-ins, {} refused bookers who came anyway, {} with a booking ({} of them lapsed)",
        s.vehicles_arrived,
        s.walkin_arrived,
        s.refused_arrived,
        s.reserved_arrived,
        s.reserved_lapsed
    );
    println!(
        "  walk-ins           {} entered, {} turned away (blocking {})",
        s.walkin_entered,
        s.walkin_turned_away,
        pct_or(s.walkin_blocking_rate)
    );
    println!(
        "  general class      {} arrived, {} entered, {} turned away (blocking {})",
        s.general_arrived,
        s.general_entered,
        s.general_turned_away,
        pct_or(s.blocking_rate)
    );
    println!(
        "  bookings           {} attempts: {} accepted, {} refused ({} by the platform's inventory), {} refused late by the garage; success {}",
        s.booking_attempts,
        s.reserved_booked,
        s.reserved_refused,
        s.platform_refusals,
        s.late_refusals,
        pct_or(s.booking_success_rate)
    );
    println!(
        "                     {} cancelled ({} cancellations refused), {} changed ({} changes refused), {} no-shows",
        s.reserved_cancelled,
        s.cancels_refused,
        s.reserved_changed,
        s.changes_refused,
        s.reserved_no_show
    );
    println!(
        "  fulfilment         {} of {} reserved arrivals entered as reserved in time ({})",
        s.reserved_fulfilled,
        s.reserved_arrived,
        pct_or(s.fulfilment_rate),
    );
    println!(
        "  entrance wait      all: mean {}, p95 {}; reserved: mean {}; walk-ins: mean {}, p95 {}",
        secs(s.mean_wait_s),
        secs(s.p95_wait_s),
        secs(s.reserved_mean_wait_s),
        secs(s.walkin_mean_wait_s),
        secs(s.walkin_p95_wait_s)
    );
    println!(
        "  queues             mean {:.2}, max {}",
        s.mean_queue, s.max_queue
    );
    for e in &s.entrances {
        println!(
            "    {:<16} queue mean {:.2}, max {}, entered {}",
            e.name, e.mean_queue, e.max_queue, e.entered
        );
    }
    println!(
        "  occupancy          mean {}; time unsaturated {}, saturated {}, full {} ({:.1} h)",
        pct(s.mean_occupancy),
        pct(s.time_share.unsaturated),
        pct(s.time_share.saturated),
        pct(s.time_share.full),
        s.hours_full
    );
    println!(
        "  stalls             at most {} inside (peak minute {}); {:.1} stall-hours locked for bookings with no car; {} cars held at the exit by the control list",
        s.max_inside,
        pct(s.peak_occupancy),
        s.held_empty_stall_hours,
        s.control_held
    );
    println!("  revenue            {:.2} yuan", s.revenue);
    println!(
        "  frames             {} sent, {} verified, {} rejected; {} duplicates ignored; reports within 3 s {}",
        s.frames_sent,
        s.frames_verified,
        s.frames_rejected,
        s.duplicates_ignored,
        pct_or(s.uplink_within_3s_rate)
    );
    println!(
        "  checks             reconciled {}, conservation {}; {} events ({} with the warm-up), {} vehicles inside at the end",
        s.reconciled, s.conservation_ok, s.events, s.events_total, s.vehicles_inside_at_end
    );
}

fn write_tables(dir: &std::path::Path, r: &RunResult) -> Result<(), String> {
    parksim::sim::tables::write_run(dir, r)?;
    parksim::plot::plot_run(dir).map(|_| ())
}
