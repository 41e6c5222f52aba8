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
    let result = simulate(
        &scn,
        RunOptions {
            series: out.is_some(),
            ..RunOptions::default()
        },
    )
    .map_err(|e| format!("{label}: {e}"))?;
    if let Some(dir) = &out {
        write_tables(dir, &result).map_err(|e| format!("cannot write {}: {e}", dir.display()))?;
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

fn print_summary(s: &Summary) {
    println!(
        "{} — {} days after warm-up, seed {}",
        s.scenario, s.days, s.seed
    );
    println!(
        "  arrivals           {} ({} general, {} with a booking)",
        s.vehicles_arrived, s.general_arrived, s.reserved_arrived
    );
    println!(
        "  general            {} entered, {} turned away (blocking {})",
        s.general_entered,
        s.general_turned_away,
        pct(s.blocking_rate)
    );
    println!(
        "  bookings           {} attempts: {} accepted, {} refused ({} by the platform's inventory), {} refused late by the garage",
        s.booking_attempts,
        s.reserved_booked,
        s.reserved_refused,
        s.platform_refusals,
        s.late_refusals
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
        "  fulfilment         {} of {} reserved arrivals entered as reserved ({}); {} of booking attempts accepted",
        s.reserved_fulfilled,
        s.reserved_arrived,
        pct(s.fulfilment_rate),
        pct(s.booking_success_rate)
    );
    println!(
        "  entrance wait      mean {:.0} s, p95 {:.0} s; queue mean {:.2}, max {}",
        s.mean_wait_s, s.p95_wait_s, s.mean_queue, s.max_queue
    );
    for e in &s.entrances {
        println!(
            "    {:<16} queue mean {:.2}, max {}, entered {}",
            e.name, e.mean_queue, e.max_queue, e.entered
        );
    }
    println!(
        "  occupancy          mean {}; time unsaturated {}, saturated {}, full {}",
        pct(s.mean_occupancy),
        pct(s.time_share.unsaturated),
        pct(s.time_share.saturated),
        pct(s.time_share.full)
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
        pct(s.uplink_within_3s_rate)
    );
    println!(
        "  checks             reconciled {}, conservation {}; {} events, {} vehicles inside at the end",
        s.reconciled, s.conservation_ok, s.events, s.vehicles_inside_at_end
    );
}

fn write_tables(dir: &std::path::Path, r: &RunResult) -> Result<(), String> {
    parksim::sim::tables::write_run(dir, r)?;
    parksim::plot::plot_run(dir).map(|_| ())
}
