//! Plots are drawn, non-empty, and labelled.

use parksim::planner::output::write_all;
use parksim::planner::{Sweep, run_sweep};
use parksim::scenario::{DEFAULT, Scenario};
use parksim::sim::run::{RunOptions, run};

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("parksim-plot-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn check(files: &[std::path::PathBuf], labels: &[&str]) {
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
            Some("svg") => {
                let text = String::from_utf8(bytes).unwrap();
                assert!(text.contains("<svg"), "{}", f.display());
                assert!(
                    labels.iter().any(|l| text.contains(l)),
                    "{} lacks its axis labels",
                    f.display()
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn a_run_draws_queue_and_occupancy() {
    let s = Scenario::from_toml_with_overrides(DEFAULT, &["days=2".into()]).unwrap();
    let r = run(
        &s,
        RunOptions {
            series: true,
            ..RunOptions::default()
        },
    )
    .unwrap();
    let dir = tmp("run");
    parksim::sim::tables::write_run(&dir, &r).unwrap();
    let files = parksim::plot::plot_dir(&dir).unwrap();
    assert_eq!(files.len(), 4);
    check(&files, &["time of day [h]"]);
}

#[test]
fn a_sweep_draws_metric_lines_and_heatmaps() {
    let text = "base = \"default\"\nreplications = 2\n[grid]\n\"days\" = [1]\n\"garage.reservable_stalls\" = [20, 80]\n\"flow_control.full_rule\" = [\"out1in1\", \"out3in1\"]\n";
    let sweep = Sweep::from_toml(text, std::path::Path::new(".")).unwrap();
    let runs = run_sweep(&sweep, 2, None, &|_, _| {}).unwrap();
    let dir = tmp("sweep");
    write_all(&dir, &runs).unwrap();
    let files = parksim::plot::plot_dir(&dir).unwrap();
    // Four metrics against the first parameter, three heatmaps; PNG and SVG.
    assert_eq!(files.len(), 14, "{files:?}");
    check(&files, &["garage.reservable_stalls"]);
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    for stem in [
        "booking_success_rate_by_garage_reservable_stalls",
        "p95_wait_s_by_garage_reservable_stalls",
        "fulfilment_rate_by_garage_reservable_stalls",
        "heatmap_booking_success_rate_garage_reservable_stalls_flow_control_full_rule",
    ] {
        assert!(names.contains(&format!("{stem}.png")), "{stem}: {names:?}");
    }
    // Blocking of walk-ins where the summary has it, else of all general arrivals.
    let blocking = if names
        .iter()
        .any(|n| n.starts_with("walkin_blocking_rate_by_"))
    {
        "walkin_blocking_rate"
    } else {
        "blocking_rate"
    };
    assert!(
        names.contains(&format!("{blocking}_by_garage_reservable_stalls.svg")),
        "{names:?}"
    );
    assert!(parksim::plot::plot_dir(&tmp("empty")).is_err());
}

#[test]
fn a_sweep_without_bookings_skips_booking_success_and_still_draws() {
    // No driver books in mmcc.toml: booking success is undefined at every
    // point, so it gets no plot (an empty scale once made plotters spin).
    let base = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"));
    let text = "base = \"mmcc.toml\"\nreplications = 2\n[grid]\n\"days\" = [1]\n\"garage.stalls\" = [10, 20]\n\"demand.arrival_rate\" = [15.0, 30.0]\n";
    let sweep = Sweep::from_toml(text, base).unwrap();
    let runs = run_sweep(&sweep, 2, None, &|_, _| {}).unwrap();
    let dir = tmp("sweep-no-bookings");
    write_all(&dir, &runs).unwrap();
    let files = parksim::plot::plot_dir(&dir).unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    assert!(
        !names.iter().any(|n| n.contains("booking_success")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.starts_with("p95_wait_s_by_")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.contains("blocking_rate_by_")),
        "{names:?}"
    );
    check(&files, &["garage.stalls", "demand.arrival_rate"]);
}
