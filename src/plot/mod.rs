//! Figures for planners (plotters), each written as PNG and SVG next to
//! the tables they come from, so `parksim plot DIR` redraws them without
//! rerunning:
//!
//! - a run (`run.rs`, from `series.csv`, `summary.csv`, `hourly.csv`,
//!   and `provenance.json`/`scenario.toml` where the run wrote them):
//!   `occupancy_by_time_of_day` (share of stalls with the saturated and
//!   full bands), `queue_by_time_of_day` (per entrance, each in its own
//!   colour, dash and marker) — both means per 10 minutes over the
//!   measured days with a 5–95 % band — and `by_hour_of_day` (drivers
//!   turned away, mean and p95 entrance wait, booking attempts and
//!   refusals per hour). Times read `HH:MM`; every figure is titled with
//!   the scenario, stalls, days and seed and marks the priority window
//!   and the platform-link outages of the measured days (with their day).
//! - a sweep (`sweep.rs`, from `summary.csv` and `sweep.toml`): booking
//!   success, blocking (of walk-ins, else of all general arrivals), p95
//!   wait, and fulfilment only where it varies, each against the knob the
//!   sweep file lists first among those it varies, one line per value of
//!   the second (numbers sorted as numbers), one panel per value of the
//!   third, with 95 % CI bars: `<metric>_by_<x>`; and
//!   `heatmap_<metric>_<x>_<y>` (`heatmap.rs`: viridis, a labelled scale
//!   never narrower than the noise, mean and CI in each cell).
//!
//! Knobs and metrics carry human labels with units (`labels.rs`); the
//! shared pieces — writing both formats, styles, the legend beside the
//! data, titles, number formats — are in `chart.rs`. Text needs a
//! TrueType font: DejaVu Sans from the system (`fonts-dejavu-core`),
//! loaded once.

mod chart;
mod heatmap;
mod labels;
mod run;
mod sweep;

pub(crate) use chart::font;
pub use chart::{hhmm, pct, plain, secs};
pub use heatmap::{scale_range, viridis};
pub use run::{binned_profile, daily_profile, plot_run, quantile};
pub use sweep::plot_sweep;

use std::path::{Path, PathBuf};

/// The metrics a sweep's figures show, as (summary key, axis title), in
/// order; see [`sweep::metrics`] for which and why.
pub fn sweep_metrics(df: &polars::prelude::DataFrame) -> Vec<(&'static str, &'static str)> {
    sweep::metrics(df)
        .into_iter()
        .map(|m| (m.key, m.axis))
        .collect()
}

/// `parksim plot DIR`: a run's figures or a sweep's, by what `DIR` holds;
/// returns the files written.
pub fn plot_dir(dir: &Path) -> Result<Vec<PathBuf>, String> {
    if dir.join("series.csv").exists() {
        plot_run(dir)
    } else if dir.join("summary.csv").exists() {
        plot_sweep(dir)
    } else {
        Err(format!(
            "{}: neither series.csv (a run) nor summary.csv (a sweep)",
            dir.display()
        ))
    }
}
