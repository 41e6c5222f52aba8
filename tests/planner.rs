//! Sweeps, shards, merges, statistics and the capacity search.

use parksim::planner::output::{read_merge, write_all};
use parksim::planner::plan::{PlanSpec, plan};
use parksim::planner::{Shard, Sweep, mean_sd_ci, point_stats, run_sweep, t975};
use std::path::Path;

const SMALL: &str = r#"
base = "mmcc.toml"
replications = 3
seed = 9
[grid]
"garage.stalls" = [10, 20]
"demand.arrival_rate" = [15.0, 30.0]
"days" = [2]
"#;

fn scenarios_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
}

fn small() -> Sweep {
    Sweep::from_toml(SMALL, scenarios_dir()).unwrap()
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("parksim-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn grid_expands_in_key_order_last_key_fastest() {
    let s = small();
    assert_eq!(s.keys, vec!["days", "demand.arrival_rate", "garage.stalls"]);
    assert_eq!(s.points.len(), 4);
    assert_eq!(s.total(), 12);
    assert_eq!(
        s.label(0),
        "days=2, demand.arrival_rate=15.0, garage.stalls=10"
    );
    assert_eq!(
        s.label(1),
        "days=2, demand.arrival_rate=15.0, garage.stalls=20"
    );
    assert_eq!(
        s.label(3),
        "days=2, demand.arrival_rate=30.0, garage.stalls=20"
    );
    // Each run has its own seed, fixed by the sweep seed and its index.
    let a = s.scenario(1, 2).unwrap();
    assert_eq!(a.garage.stalls, 20);
    assert_eq!(a.seed, parksim::planner::splitmix64(9 ^ 5));
}

#[test]
fn bad_paths_and_values_are_errors_before_running() {
    let bad_key = SMALL.replace("\"garage.stalls\"", "\"garage.stals\"");
    let e = Sweep::from_toml(&bad_key, scenarios_dir())
        .unwrap_err()
        .to_string();
    assert!(e.contains("stals"), "{e}");
    let bad_value = SMALL.replace("[10, 20]", "[10, \"many\"]");
    let e = Sweep::from_toml(&bad_value, scenarios_dir())
        .unwrap_err()
        .to_string();
    assert!(e.contains("grid point 1"), "{e}");
    let bad_rule = "[grid]\n\"flow_control.full_rule\" = [\"out9in1\"]\n";
    assert!(Sweep::from_toml(bad_rule, scenarios_dir()).is_err());
    let unknown = "replicatons = 3\n";
    assert!(
        Sweep::from_toml(unknown, scenarios_dir())
            .unwrap_err()
            .to_string()
            .contains("replicatons")
    );
    assert!(Sweep::from_toml("base = \"nope.toml\"", scenarios_dir()).is_err());
}

#[test]
fn threads_and_shards_do_not_change_results() {
    let s = small();
    let one = run_sweep(&s, 1, None, &|_, _| {}).unwrap();
    let two = run_sweep(&s, 2, None, &|_, _| {}).unwrap();
    assert_eq!(one, two);
    let (d1, d2) = (tmp("t1"), tmp("t2"));
    write_all(&d1, &one).unwrap();
    write_all(&d2, &two).unwrap();
    assert_eq!(
        std::fs::read(d1.join("runs.parquet")).unwrap(),
        std::fs::read(d2.join("runs.parquet")).unwrap()
    );
    // Three shards, merged, give the same tables as one whole run.
    let mut dirs = Vec::new();
    for i in 0..3 {
        let part = run_sweep(&s, 2, Some(Shard { index: i, count: 3 }), &|_, _| {}).unwrap();
        assert_eq!(part.len(), 4);
        let d = tmp(&format!("shard{i}"));
        write_all(&d, &part).unwrap();
        dirs.push(d);
    }
    let merged = read_merge(&dirs).unwrap();
    assert_eq!(merged, one);
    let m = tmp("merged");
    write_all(&m, &merged).unwrap();
    for f in ["runs.parquet", "runs.csv", "summary.parquet", "summary.csv"] {
        assert_eq!(
            std::fs::read(m.join(f)).unwrap(),
            std::fs::read(d1.join(f)).unwrap(),
            "{f}"
        );
    }
    // A missing shard is an error naming the missing runs.
    let e = read_merge(&dirs[..2]).unwrap_err();
    assert!(e.contains("missing"), "{e}");
    let e = read_merge(&[dirs[0].clone(), dirs[0].clone()]).unwrap_err();
    assert!(e.contains("twice"), "{e}");
}

#[test]
fn confidence_intervals_on_a_known_sample() {
    // Sample 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sd sqrt(32/7), t(0.975, 7) = 2.365.
    let (m, sd, h) = mean_sd_ci(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
    assert!((m - 5.0).abs() < 1e-12);
    assert!((sd - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
    assert!((h - 2.365 * sd / 8f64.sqrt()).abs() < 1e-9);
    assert!((t975(19) - 2.093).abs() < 2e-3);
    assert!((t975(29) - 2.045).abs() < 2e-3);
    assert!((t975(1000) - 1.962).abs() < 1e-3);
    let (_, sd1, h1) = mean_sd_ci(&[1.0]);
    assert!(sd1.is_nan() && h1.is_nan());
}

#[test]
fn summary_rows_per_point() {
    let runs = run_sweep(&small(), 2, None, &|_, _| {}).unwrap();
    let stats = point_stats(&runs);
    assert_eq!(stats.len(), 4);
    assert!(stats.iter().all(|p| p.runs == 3));
    // More stalls, less blocking, at the same load.
    let blocking = |p: usize| {
        stats[p]
            .metrics
            .iter()
            .find(|m| m.0 == "blocking_rate")
            .unwrap()
            .1
    };
    assert!(blocking(1) < blocking(0) && blocking(3) < blocking(2));
}

#[test]
fn plan_finds_the_erlang_b_answer() {
    // a = 15/h x 40 min = 10 erlangs: B(16, 10) = 0.0223, B(17, 10) = 0.0129,
    // so the smallest c with blocking <= 0.02 is 17.
    let spec = PlanSpec {
        base_text: std::fs::read_to_string(scenarios_dir().join("mmcc.toml")).unwrap(),
        sets: vec!["days=10".into(), "demand.arrival_rate=15".into()],
        knob: "garage.stalls".into(),
        lo: 5,
        hi: 40,
        targets: vec!["blocking_rate<=0.02".parse().unwrap()],
        replications: 8,
        threads: 2,
    };
    let (answer, evidence) = plan(&spec).unwrap();
    assert_eq!(answer, Some(17));
    assert!(
        evidence.len() <= 8,
        "a search, not the whole range: {}",
        evidence.len()
    );
    assert!(evidence.iter().any(|e| e.value == 16 && !e.meets));
    let mut none = spec.clone();
    none.hi = 12;
    assert_eq!(plan(&none).unwrap().0, None);
    let mut bad = spec.clone();
    bad.targets = vec!["no_such_metric>=1".parse().unwrap()];
    assert!(plan(&bad).is_err());
    assert!(
        "blocking_rate=0.1"
            .parse::<parksim::planner::plan::Target>()
            .is_err()
    );
}
