//! The figures say what a planner needs: checked on the SVG text (series
//! names, axis titles, `HH:MM` ticks, titles, legends, marks, panels),
//! one table of cases for runs and one for sweeps.

use parksim::planner::output::{write_all, write_provenance, write_run_provenance};
use parksim::planner::{Sweep, run_sweep};
use parksim::scenario::{DEFAULT, Scenario};
use parksim::sim::run::{RunOptions, run};
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("parksim-plot-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// Every file is a real PNG or SVG; returns the file names.
fn names(files: &[PathBuf]) -> Vec<String> {
    for f in files {
        let bytes = std::fs::read(f).unwrap();
        match f.extension().and_then(|e| e.to_str()) {
            Some("png") => {
                assert!(bytes.starts_with(b"\x89PNG"), "{}", f.display());
                assert!(
                    bytes.len() > 10_000,
                    "{} is {} bytes",
                    f.display(),
                    bytes.len()
                );
            }
            Some("svg") => assert!(bytes.starts_with(b"<svg"), "{}", f.display()),
            other => panic!("unexpected {other:?}"),
        }
    }
    files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().to_string())
        .collect()
}

/// The text nodes of an SVG, in document order.
fn texts(dir: &Path, stem: &str) -> Vec<String> {
    let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg")))
        .unwrap_or_else(|e| panic!("{stem}.svg: {e}"));
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = &t[t.find('>')? + 1..];
            Some(body[..body.find("</text>")?].to_string())
        })
        .collect()
}

/// `want` are all text nodes of `stem`, in this order; `unwanted` none.
fn check(dir: &Path, stem: &str, want: &[&str], unwanted: &[&str]) {
    let t = texts(dir, stem);
    let mut from = 0;
    for w in want {
        match t[from..].iter().position(|x| x.contains(w)) {
            Some(i) => from += i + 1,
            None => panic!("{stem}.svg: no `{w}` after text {from} (in order: {want:?})\n{t:?}"),
        }
    }
    for u in unwanted {
        assert!(
            !t.iter().any(|x| x.contains(u)),
            "{stem}.svg has `{u}`: {t:?}"
        );
    }
}

struct RunCase {
    /// A file of scenarios/, or the embedded default.
    scenario: Option<&'static str>,
    sets: &'static [&'static str],
    /// (figure, texts in order, texts that must not appear).
    figures: &'static [(
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    )],
}

const RUNS: &[RunCase] = &[
    RunCase {
        scenario: None,
        sets: &["days=2"],
        figures: &[
            (
                "queue_by_time_of_day",
                &[
                    "Entrance queues by time of day",
                    "scenario hospital · 300 stalls · 2 measured days after 1 warm-up · seed 42",
                    "queue [vehicles]",
                    "time of day",
                    "08:00",
                    "14:00",
                    "entrance A",
                    "entrance B",
                    "reserved priority 07:30–19:30",
                ],
                &["14.0", "[h]", "takes general cars"],
            ),
            (
                "occupancy_by_time_of_day",
                &[
                    "Occupancy by time of day",
                    "seed 42",
                    "occupied stalls [% of stalls]",
                    "18:00",
                    "occupancy",
                    "saturated (70–90 %)",
                    "full (≥ 90 %)",
                    "reserved priority 07:30–19:30",
                ],
                &[],
            ),
            (
                "by_hour_of_day",
                &[
                    "Turn-aways, entrance waits and booking refusals by hour of day",
                    "scenario hospital",
                    "turned away [per day]",
                    "drivers turned away",
                    "entrance wait [s]",
                    "mean wait",
                    "95th percentile",
                    "bookings [per day]",
                    "hour of day",
                    "booking attempts",
                    "refused",
                ],
                &[],
            ),
        ],
    },
    RunCase {
        scenario: Some("outage-heavy.toml"),
        sets: &["days=2"],
        figures: &[
            (
                "queue_by_time_of_day",
                &[
                    "scenario outage-heavy · 300 stalls · 2 measured days after 1 warm-up · seed 11",
                    "time of day",
                    "12:00",
                    "entrance A",
                    "entrance B",
                    "reserved priority 07:30–19:30",
                    "platform link down:",
                    "day 1, 08:30–10:30",
                    "day 1, 15:00–15:05",
                    "day 2, 00:10–00:40",
                    "day 2, 10:00–10:45",
                    "A takes general cars 12:00–13:00",
                ],
                &[],
            ),
            (
                "occupancy_by_time_of_day",
                &["day 1", "platform link down:", "day 2, 10:00–10:45"],
                &["takes general cars"],
            ),
            ("by_hour_of_day", &["day 1", "platform link down:"], &[]),
        ],
    },
];

#[test]
fn run_figures_are_titled_timed_and_marked() {
    for (i, case) in RUNS.iter().enumerate() {
        let (label, text) = match case.scenario {
            Some(f) => (
                f.to_string(),
                std::fs::read_to_string(scenarios().join(f)).unwrap(),
            ),
            None => ("(embedded)".to_string(), DEFAULT.to_string()),
        };
        let sets: Vec<String> = case.sets.iter().map(|s| s.to_string()).collect();
        let s = Scenario::from_toml_with_overrides(&text, &sets).unwrap();
        let opts = RunOptions {
            series: true,
            ..RunOptions::default()
        };
        let r = run(&s, opts).unwrap();
        let dir = tmp(&format!("run{i}"));
        write_run_provenance(&dir, &s, &label, &sets).unwrap();
        parksim::sim::tables::write_run(&dir, &r).unwrap();
        let files = parksim::plot::plot_dir(&dir).unwrap();
        let names = names(&files);
        assert_eq!(files.len(), 2 * case.figures.len(), "{label}: {names:?}");
        for (stem, want, unwanted) in case.figures {
            assert!(names.contains(&format!("{stem}.png")), "{label}: {names:?}");
            check(&dir, stem, want, unwanted);
        }
    }
}

struct SweepCase {
    /// The sweep file; `base` relative to scenarios/.
    text: &'static str,
    /// (figure, texts in order, texts that must not appear).
    figures: &'static [(
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    )],
    /// Figures that must not be drawn (prefixes).
    not_drawn: &'static [&'static str],
    /// A text that appears once per panel, and the number of panels.
    panels: Option<(&'static str, &'static str, usize)>,
}

const SWEEPS: &[SweepCase] = &[
    // Three knobs listed against byte order: x is the first listed, lines
    // the second (40 before 100), one panel per value of the third.
    SweepCase {
        text: "base = \"hospital.toml\"\nreplications = 2\n[grid]\n\"days\" = [1]\n\"garage.reservable_stalls\" = [20, 80]\n\"flow_control.max_queue\" = [100, 40]\n\"flow_control.full_rule\" = [\"out1in1\", \"out3in1\"]\n",
        figures: &[
            (
                "booking_success_rate_by_garage_reservable_stalls",
                &[
                    "Booking success by reservable stalls",
                    "scenario hospital · 300 stalls · sweep seed 1 · mean and 95 % CI of 2 replications per point · measured days = 1",
                    "full-garage rule = out1in1",
                    "booking success [% of attempts]",
                    "reservable stalls [stalls]",
                    "full-garage rule = out3in1",
                    "max queue = 40",
                    "max queue = 100",
                    "95 % CI",
                ],
                &["garage.reservable_stalls", "flow_control"],
            ),
            (
                "p95_wait_s_by_garage_reservable_stalls",
                &["p95 entrance wait [s]", "max queue = 40", "max queue = 100"],
                &[],
            ),
            (
                "heatmap_booking_success_rate_garage_reservable_stalls_flow_control_max_queue",
                &[
                    "Booking success by reservable stalls and max queue",
                    "full-garage rule = out1in1",
                    "max queue [vehicles]",
                    "reservable stalls [stalls]",
                    " %",
                    "±",
                    "full-garage rule = out3in1",
                    "booking success [% of attempts]",
                    "cells: mean",
                ],
                &[],
            ),
        ],
        not_drawn: &[
            "booking_success_rate_by_flow_control",
            "heatmap_booking_success_rate_flow",
        ],
        panels: Some((
            "booking_success_rate_by_garage_reservable_stalls",
            "full-garage rule = ",
            2,
        )),
    },
    // No driver books in mmcc.toml: booking success is undefined at every
    // point, so it gets no figure (an empty scale once made plotters spin).
    SweepCase {
        text: "base = \"mmcc.toml\"\nreplications = 2\n[grid]\n\"days\" = [1]\n\"garage.stalls\" = [10, 20]\n\"demand.arrival_rate\" = [15.0, 30.0]\n",
        figures: &[
            (
                "p95_wait_s_by_garage_stalls",
                &[
                    "by stalls",
                    "p95 entrance wait [s]",
                    "stalls [stalls]",
                    "arrival rate = 15 vehicles/h",
                    "arrival rate = 30 vehicles/h",
                ],
                &["garage.stalls"],
            ),
            (
                "heatmap_p95_wait_s_garage_stalls_demand_arrival_rate",
                &[
                    "arrival rate [vehicles/h]",
                    "stalls [stalls]",
                    "p95 entrance wait [s]",
                ],
                &["833.667"],
            ),
        ],
        not_drawn: &["booking_success"],
        panels: None,
    },
];

#[test]
fn sweep_figures_follow_the_files_knob_order() {
    for (i, case) in SWEEPS.iter().enumerate() {
        let sweep = Sweep::from_toml(case.text, &scenarios()).unwrap();
        let runs = run_sweep(&sweep, 2, None, &|_, _| {}).unwrap();
        let dir = tmp(&format!("sweep{i}"));
        write_all(&dir, &runs).unwrap();
        write_provenance(&dir, &sweep, None, runs.len()).unwrap();
        let files = parksim::plot::plot_dir(&dir).unwrap();
        let names = names(&files);
        for (stem, want, unwanted) in case.figures {
            check(&dir, stem, want, unwanted);
        }
        for n in case.not_drawn {
            assert!(!names.iter().any(|x| x.starts_with(n)), "{n}: {names:?}");
        }
        if let Some((stem, text, n)) = case.panels {
            let t = texts(&dir, stem);
            assert_eq!(t.iter().filter(|x| x.contains(text)).count(), n, "{t:?}");
        }
        // Fulfilment is drawn exactly where it varies between points.
        let summary = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
        let mut lines = summary.lines();
        let head: Vec<&str> = lines.next().unwrap().split(',').collect();
        let col = head.iter().position(|h| *h == "fulfilment_rate_mean");
        let means: Vec<f64> = lines
            .filter_map(|l| l.split(',').nth(col?)?.parse().ok())
            .collect();
        let spread = means.iter().cloned().fold(f64::MIN, f64::max)
            - means.iter().cloned().fold(f64::MAX, f64::min);
        assert_eq!(
            names.iter().any(|n| n.starts_with("fulfilment_rate_by_")),
            !means.is_empty() && spread > 0.001,
            "{means:?} {names:?}"
        );
    }
}

#[test]
fn a_directory_without_tables_is_an_error() {
    let e = parksim::plot::plot_dir(&tmp("empty")).unwrap_err();
    assert!(e.contains("neither series.csv"), "{e}");
}
