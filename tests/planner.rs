//! Sweeps, shards, merges, statistics and the capacity search.

use parksim::planner::output::{
    OutError, prepare_out, read_merge, recorded_sweep, write_all, write_provenance, write_rows,
};
use parksim::planner::plan::{KnobKind, Plan, PlanSpec, Trend, knob_values, plan};
use parksim::planner::stats::{Stat, is_rate, metric_keys};
use parksim::planner::{RunRecord, Shard, Sweep, mean_sd_ci, point_stats, run_sweep, t975};
use serde_json::Value;
use std::path::{Path, PathBuf};

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

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("parksim-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// [`SMALL`] as a file in `dir` (its `base` made absolute): its path.
fn small_file(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join("s.toml");
    let text = SMALL.replace(
        "base = \"mmcc.toml\"",
        &format!("base = {:?}", scenarios_dir().join("mmcc.toml")),
    );
    std::fs::write(&file, text).unwrap();
    file
}

/// Runs `shard` of `sweep` and writes it, provenance included, into `dir`.
fn shard_dir(sweep: &Sweep, shard: Option<Shard>, dir: &Path) -> Vec<RunRecord> {
    let runs = run_sweep(sweep, 2, shard, &|_, _| {}).unwrap();
    write_all(dir, &runs).unwrap();
    write_provenance(dir, sweep, shard, runs.len()).unwrap();
    runs
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
    // A run's seed is fixed by the sweep seed and its replication, the
    // same at every grid point (common random numbers).
    let a = s.scenario(1, 2).unwrap();
    assert_eq!(a.garage.stalls, 20);
    assert_eq!(a.seed, parksim::planner::splitmix64(9 ^ 2));
    assert_eq!(s.scenario(3, 2).unwrap().seed, a.seed);
    assert_ne!(s.scenario(1, 1).unwrap().seed, a.seed);
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
    // An unquoted dotted key is a nested table in TOML: named, with the fix.
    let unquoted = "[grid]\ngarage.reservable_stalls = [20, 80]\n";
    let e = Sweep::from_toml(unquoted, scenarios_dir())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`garage.reservable_stalls` is unquoted")
            && e.contains("\"garage.reservable_stalls\" = [...]"),
        "{e}"
    );
    let bare = "[grid]\n\"garage.stalls\" = 40\n";
    let e = Sweep::from_toml(bare, scenarios_dir())
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"garage.stalls\" = [40]"), "{e}");
    // A quoted key holding a table: the value is wrong, not the quoting.
    let e = Sweep::from_toml("[grid]\n\"garage.stalls\" = { a = 1 }\n", scenarios_dir())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("must list its values, not a table") && !e.contains("unquoted"),
        "{e}"
    );
    // An empty [grid.garage]: a header with nothing under it.
    let e = Sweep::from_toml("[grid.garage]\n", scenarios_dir())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("[grid.garage] is empty") && e.contains("\"garage.stalls\" = [...]"),
        "{e}"
    );
    let both = "base = \"mmcc.toml\"\nbase_scenario = \"name = 'x'\"\n";
    assert!(
        Sweep::from_toml(both, scenarios_dir())
            .unwrap_err()
            .to_string()
            .contains("not both")
    );
}

#[test]
fn the_expanded_sweep_reads_back_as_the_same_sweep() {
    let s = small();
    let text = s.expanded_toml();
    assert!(text.contains("base_scenario"), "{text}");
    // Read from anywhere: the base scenario travels with it.
    let back = Sweep::from_toml(&text, Path::new("/nonexistent")).unwrap();
    assert_eq!(back.expanded_toml(), text);
    assert_eq!(back.fingerprint(), s.fingerprint());
    assert_eq!(back.points, s.points);
    assert_eq!(back.scenario(3, 2).unwrap(), s.scenario(3, 2).unwrap());
    // Anything that changes what runs changes the fingerprint.
    for other in [
        SMALL.replace("seed = 9", "seed = 10"),
        SMALL.replace("replications = 3", "replications = 4"),
        SMALL.replace("[15.0, 30.0]", "[15.0, 31.0]"),
    ] {
        let o = Sweep::from_toml(&other, scenarios_dir()).unwrap();
        assert_ne!(o.fingerprint(), s.fingerprint(), "{other}");
    }
}

#[test]
fn threads_and_shards_do_not_change_results() {
    let s = small();
    let one = run_sweep(&s, 1, None, &|_, _| {}).unwrap();
    let two = run_sweep(&s, 2, None, &|_, _| {}).unwrap();
    assert_eq!(one, two);
    assert!(one.iter().all(|r| r.sweep == s.fingerprint()));
    let (d1, d2) = (tmp("t1"), tmp("t2"));
    write_all(&d1, &one).unwrap();
    write_provenance(&d1, &s, None, one.len()).unwrap();
    write_all(&d2, &two).unwrap();
    for f in [
        "runs.parquet",
        "runs.csv",
        "summary.parquet",
        "summary.csv",
        "runs.jsonl",
    ] {
        assert_eq!(
            std::fs::read(d1.join(f)).unwrap(),
            std::fs::read(d2.join(f)).unwrap(),
            "{f}"
        );
    }
    // Three shards, merged, give the same files as one whole run.
    let mut dirs = Vec::new();
    for i in 0..3 {
        let d = tmp(&format!("shard{i}"));
        let part = shard_dir(&s, Some(Shard { index: i, count: 3 }), &d);
        assert_eq!(part.len(), 4);
        dirs.push(d);
    }
    let merged = read_merge(&dirs).unwrap();
    assert_eq!(merged, one);
    let m = tmp("merged");
    write_all(&m, &merged).unwrap();
    write_provenance(&m, &recorded_sweep(&dirs[0]).unwrap(), None, merged.len()).unwrap();
    for f in [
        "runs.jsonl",
        "runs.parquet",
        "runs.csv",
        "summary.parquet",
        "summary.csv",
        "sweep.toml",
        "provenance.json",
    ] {
        assert_eq!(
            std::fs::read(m.join(f)).unwrap(),
            std::fs::read(d1.join(f)).unwrap(),
            "{f}"
        );
    }
    // A missing shard is an error naming the missing runs, up to the
    // sweep's last (known from sweep.toml, though no shard holds it).
    let e = read_merge(&dirs[..1]).unwrap_err();
    assert!(e.contains("missing") && e.contains("11"), "{e}");
    let e = read_merge(&[dirs[0].clone(), dirs[0].clone()]).unwrap_err();
    assert!(e.contains("twice"), "{e}");
}

#[test]
fn merging_shards_of_different_sweeps_fails_and_says_so() {
    let a = small();
    let b = Sweep::from_toml(
        &SMALL
            .replace("seed = 9", "seed = 10")
            .replace("[15.0, 30.0]", "[15.0, 25.0]"),
        scenarios_dir(),
    )
    .unwrap();
    let shard = |i| Some(Shard { index: i, count: 3 });
    let a0 = tmp("mix-a0");
    shard_dir(&a, shard(0), &a0);
    let (b1, b2, b0) = (tmp("mix-b1"), tmp("mix-b2"), tmp("mix-b0"));
    shard_dir(&b, shard(1), &b1);
    shard_dir(&b, shard(2), &b2);
    shard_dir(&b, shard(0), &b0);
    // Complementary shards of two sweeps: every run index once, yet refused.
    let e = read_merge(&[a0.clone(), b1.clone(), b2.clone()]).unwrap_err();
    assert!(e.contains("different sweeps"), "{e}");
    assert!(
        e.contains(&a.fingerprint()[..12]) && e.contains(&b.fingerprint()[..12]),
        "{e}"
    );
    assert!(e.contains("mix-a0") && e.contains("mix-b1"), "{e}");
    // Overlapping shards of two sweeps: the same message, not "run 0 twice".
    let e = read_merge(&[a0.clone(), b0.clone()]).unwrap_err();
    assert!(
        e.contains("different sweeps") && !e.contains("twice"),
        "{e}"
    );
    // A directory whose sweep.toml is not the sweep of its runs.
    std::fs::copy(b1.join("sweep.toml"), b0.join("sweep.toml")).unwrap();
    let mix = tmp("mix-inner");
    shard_dir(&a, shard(1), &mix);
    std::fs::copy(b1.join("sweep.toml"), mix.join("sweep.toml")).unwrap();
    let e = read_merge(&[a0, mix]).unwrap_err();
    assert!(e.contains("mixes two sweeps"), "{e}");
    // The shards of one sweep still merge.
    assert_eq!(read_merge(&[b0, b1, b2]).unwrap().len(), 12);
}

#[test]
fn an_output_directory_is_checked_before_anything_runs() {
    let s = small();
    let fp = s.fingerprint();
    // Not writable: a path under a regular file (fails even for root).
    let file = tmp("a-file");
    std::fs::write(&file, "x").unwrap();
    let e = prepare_out(&file.join("out"), &fp, false).unwrap_err();
    assert!(matches!(e, OutError::NotWritable { .. }), "{e}");
    assert!(e.to_string().contains("nothing was run"), "{e}");
    // Another sweep's results: refused, named, unless --force.
    let d = tmp("reuse");
    shard_dir(&s, None, &d);
    std::fs::write(d.join("p95_wait_s_by_garage_stalls.png"), "old plot").unwrap();
    std::fs::write(d.join("notes.txt"), "mine").unwrap();
    let other = Sweep::from_toml(&SMALL.replace("seed = 9", "seed = 8"), scenarios_dir()).unwrap();
    let e = prepare_out(&d, &other.fingerprint(), false).unwrap_err();
    assert_eq!(
        e,
        OutError::OtherResults {
            dir: d.clone(),
            found: Some(fp.clone())
        }
    );
    assert!(e.to_string().contains("--force"), "{e}");
    assert!(d.join("runs.jsonl").exists(), "a refusal removes nothing");
    // The same sweep again: accepted, stale plots gone, results kept until rewritten.
    prepare_out(&d, &fp, false).unwrap();
    assert!(!d.join("p95_wait_s_by_garage_stalls.png").exists());
    assert!(d.join("runs.jsonl").exists() && d.join("notes.txt").exists());
    // --force: the other sweep may take it; the old results are gone, other files stay.
    prepare_out(&d, &other.fingerprint(), true).unwrap();
    assert!(!d.join("runs.jsonl").exists() && !d.join("sweep.toml").exists());
    assert!(d.join("notes.txt").exists());
    // A directory without results keeps files that merely look like plots.
    let mine = tmp("not-results");
    std::fs::create_dir_all(&mine).unwrap();
    for f in ["stand_by_me.png", "nb_notes.svg", "heatmap_holiday.png"] {
        std::fs::write(mine.join(f), "mine").unwrap();
    }
    prepare_out(&mine, &fp, false).unwrap();
    prepare_out(&mine, &fp, true).unwrap();
    for f in ["stand_by_me.png", "nb_notes.svg", "heatmap_holiday.png"] {
        assert!(mine.join(f).exists(), "{f} kept");
    }
    // Results nothing identifies (a run's --out) are refused too.
    let r = tmp("run-out");
    std::fs::create_dir_all(&r).unwrap();
    std::fs::write(r.join("summary.csv"), "a\n1\n").unwrap();
    let e = prepare_out(&r, &fp, false).unwrap_err();
    assert!(
        matches!(e, OutError::OtherResults { found: None, .. }),
        "{e}"
    );
}

fn parksim() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_parksim"))
}

/// Waits up to `secs` for `child`; kills it and fails if it is still running.
fn wait_for(mut child: std::process::Child, secs: u64) -> std::process::Output {
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed().as_secs() > secs {
            let _ = child.kill();
            panic!("still running after {secs} s: it ran the sweep first");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn sweep_to_an_unwritable_out_fails_before_running() {
    // 40,000 hospital weeks: hours of work if anything ran before the check.
    let dir = tmp("huge");
    std::fs::create_dir_all(&dir).unwrap();
    let sweep = dir.join("huge.toml");
    std::fs::write(
        &sweep,
        "replications = 20000\n[grid]\n\"garage.reservable_stalls\" = [30, 60]\n",
    )
    .unwrap();
    std::fs::write(dir.join("a-file"), "x").unwrap();
    let child = parksim()
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(dir.join("a-file").join("out"))
        .args(["--quiet", "--threads", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_for(child, 30);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot write to --out") && err.contains("a-file"),
        "{err}"
    );
    // And onto another sweep's results, the same (no --force).
    let other = tmp("other-results");
    shard_dir(&small(), None, &other);
    let child = parksim()
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(&other)
        .args(["--quiet", "--threads", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_for(child, 30);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("another sweep") && err.contains("--force"),
        "{err}"
    );
}

/// A shard past the last run is refused before anything is written (its
/// tables would have no header), and a merge of no runs is an error.
#[test]
fn an_empty_shard_and_an_empty_merge_are_errors() {
    let dir = tmp("cli-empty-shard");
    let sweep_file = small_file(&dir);
    let out = dir.join("out");
    let o = parksim()
        .arg("sweep")
        .arg(&sweep_file)
        .args(["--shard", "12/13", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("shard 12/13 holds no runs") && err.contains("0 to 11"),
        "{err}"
    );
    assert!(!out.join("runs.csv").exists());
    // The last shard with a run still runs.
    let o = parksim()
        .arg("sweep")
        .arg(&sweep_file)
        .args(["--shard", "11/13", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::write(empty.join("runs.jsonl"), "\n").unwrap();
    let e = read_merge(&[empty]).unwrap_err();
    assert!(e.contains("nothing to merge"), "{e}");
}

#[test]
fn a_sweep_writes_its_provenance_and_reruns_from_it() {
    let dir = tmp("cli-sweep");
    let sweep_file = small_file(&dir);
    let out = dir.join("out");
    let st = parksim()
        .arg("sweep")
        .arg(&sweep_file)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(0));
    let prov: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("provenance.json")).unwrap())
            .unwrap();
    assert_eq!(prov["parksim_version"], env!("CARGO_PKG_VERSION"));
    let rev = prov["git_revision"].as_str().unwrap();
    assert!(!rev.is_empty(), "{prov}");
    assert_eq!(prov["runs_in_sweep"], 12);
    assert_eq!(prov["sweep_fingerprint"], small().fingerprint());
    // The written sweep.toml runs the same sweep: same tables.
    let again = dir.join("again");
    let st = parksim()
        .arg("sweep")
        .arg(out.join("sweep.toml"))
        .arg("--out")
        .arg(&again)
        .arg("--quiet")
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(0));
    for f in ["runs.jsonl", "summary.csv", "sweep.toml", "provenance.json"] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(again.join(f)).unwrap(),
            "{f}"
        );
    }
    // Rerunning into its own directory is fine; seeds are text in runs.csv.
    let st = parksim()
        .arg("sweep")
        .arg(&sweep_file)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(0));
    let csv = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let seed = small().scenario(0, 0).unwrap().seed;
    assert!(
        csv.contains(&format!("\"{seed}\"")),
        "seed {seed} not quoted text"
    );
}

#[test]
fn confidence_intervals_on_a_known_sample() {
    // Sample 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sd sqrt(32/7), t(0.975, 7) = 2.365.
    let (m, sd, h) = mean_sd_ci(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
    assert!((m - 5.0).abs() < 1e-12);
    assert!((sd - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
    assert!((h - 2.365 * sd / 8f64.sqrt()).abs() < 1e-9);
    // The 0.975 quantiles of Student's t to six decimals (tables of the
    // exact distribution): the expansion beyond the table stays within
    // 2e-5 of them, where an interval's width is read.
    for (df, exact) in [
        (10, 2.228139),
        (11, 2.200985),
        (12, 2.178813),
        (13, 2.160369),
        (15, 2.131450),
        (19, 2.093024),
        (20, 2.085963),
        (29, 2.045230),
        (30, 2.042272),
        (60, 2.000298),
        (120, 1.979930),
    ] {
        assert!((t975(df) - exact).abs() < 2e-5, "df {df}: {}", t975(df));
    }
    assert!((t975(1000) - 1.962339).abs() < 2e-5);
    let (_, sd1, h1) = mean_sd_ci(&[1.0]);
    assert!(sd1.is_nan() && h1.is_nan());
}

#[test]
fn rate_intervals_stay_inside_0_1_and_others_do_not_move() {
    // mean 0.99, sd 0.0173, n 3: the t interval is 0.947..1.033.
    let xs = [1.0, 1.0, 0.97];
    let (m, _, h) = mean_sd_ci(&xs);
    assert!(m + h > 1.0 && m - h > 0.9);
    let r = Stat::of("fulfilment_rate", &xs);
    assert_eq!(r.ci_high, Some(1.0));
    assert!((r.ci_low.unwrap() - (m - h)).abs() < 1e-12);
    let low = Stat::of("blocking_rate", &[0.0, 0.0, 0.03]);
    assert_eq!(low.ci_low, Some(0.0));
    assert!(low.ci_high.unwrap() < 1.0);
    for k in [
        "peak_occupancy",
        "mean_occupancy",
        "time_share_full",
        "walkin_blocking_rate",
    ] {
        assert!(is_rate(k), "{k}");
    }
    for k in ["p95_wait_s", "revenue", "max_queue", "rate_of_x"] {
        assert!(!is_rate(k), "{k}");
    }
    let w = Stat::of("mean_wait_s", &[0.0, 0.0, 30.0]);
    assert!(w.ci_low.unwrap() < 0.0, "only rates are bounded");
    // Undefined values: no statistic, n says so.
    let none = Stat::of("booking_success_rate", &[]);
    assert_eq!((none.n, none.mean, none.ci_low), (0, None, None));
    let one = Stat::of("booking_success_rate", &[0.5]);
    assert_eq!(
        (one.n, one.mean, one.sd, one.ci_high),
        (1, Some(0.5), None, None)
    );
}

#[test]
fn summary_rows_per_point() {
    let runs = run_sweep(&small(), 2, None, &|_, _| {}).unwrap();
    let stats = point_stats(&runs);
    assert_eq!(stats.len(), 4);
    assert!(stats.iter().all(|p| p.runs == 3));
    // More stalls, less blocking, at the same load.
    let blocking = |p: usize| stats[p].get("blocking_rate").unwrap().mean.unwrap();
    assert!(blocking(1) < blocking(0) && blocking(3) < blocking(2));
    // Every rate's interval inside [0, 1], at every point.
    for p in &stats {
        for (k, s) in p.metrics.iter().filter(|(k, _)| is_rate(k)) {
            for x in [s.ci_low, s.ci_high].into_iter().flatten() {
                assert!((0.0..=1.0).contains(&x), "{k}: {s:?}");
            }
        }
    }
}

#[test]
fn every_numeric_key_of_a_run_has_its_statistics_in_summary_csv() {
    let runs = run_sweep(&small(), 2, None, &|_, _| {}).unwrap();
    let d = tmp("every-metric");
    write_all(&d, &runs).unwrap();
    let header = std::fs::read_to_string(d.join("summary.csv")).unwrap();
    let header: Vec<&str> = header.lines().next().unwrap().split(',').collect();
    let flat = parksim::sim::tables::flatten(&runs[0].summary);
    let mut numeric = 0;
    for (k, v) in &flat {
        let wanted = (v.is_number() || v.is_null()) && k != "seed";
        for suffix in ["_mean", "_sd", "_ci_low", "_ci_high", "_n"] {
            let col = format!("{k}{suffix}");
            assert_eq!(header.contains(&col.as_str()), wanted, "{col}");
        }
        numeric += usize::from(wanted);
    }
    assert!(numeric > 30, "{numeric}");
    for k in [
        "booking_success_rate",
        "blocking_rate",
        "p95_wait_s",
        "revenue",
    ] {
        assert!(header.contains(&format!("{k}_ci_high").as_str()), "{k}");
    }
}

#[test]
fn undefined_values_are_null_in_json_and_empty_in_csv() {
    let rows: Vec<Vec<(String, Value)>> = vec![
        vec![
            ("a_rate".into(), Value::Null),
            ("b".into(), Value::from(1.5)),
        ],
        vec![
            ("a_rate".into(), Value::from(0.25)),
            ("b".into(), Value::Null),
        ],
        vec![("b".into(), Value::from(2.5))],
    ];
    // A key null in some rows is still a metric; text is not.
    let mut with_text = rows.clone();
    with_text[0].push(("name".into(), Value::from("x")));
    assert_eq!(
        metric_keys(with_text.iter().map(|r| r.as_slice())),
        vec!["a_rate", "b"]
    );
    let d = tmp("nulls");
    std::fs::create_dir_all(&d).unwrap();
    write_rows(&d.join("t.csv"), &rows).unwrap();
    assert_eq!(
        std::fs::read_to_string(d.join("t.csv")).unwrap(),
        "a_rate,b\n,1.5\n0.25,\n,2.5\n"
    );
    write_rows(&d.join("t.json"), &rows).unwrap();
    let back: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("t.json")).unwrap()).unwrap();
    assert_eq!(back[0]["a_rate"], Value::Null);
    assert_eq!(back[1]["a_rate"], 0.25);
}

// ---- plan ----

fn mmcc_spec(knob: &str, range: &str, step: Option<&str>, targets: &[&str]) -> PlanSpec {
    PlanSpec {
        base_text: std::fs::read_to_string(scenarios_dir().join("mmcc.toml")).unwrap(),
        sets: vec!["days=10".into()],
        knob: knob.into(),
        range: range.into(),
        step: step.map(str::to_string),
        targets: targets.iter().map(|t| t.parse().unwrap()).collect(),
        replications: 6,
        threads: 2,
    }
}

fn answer(p: &Plan) -> Option<String> {
    p.answer_value().map(|v| v.text.clone())
}

fn index_of(p: &Plan, text: &str) -> usize {
    p.evidence
        .iter()
        .position(|e| e.value.text == text)
        .unwrap()
}

#[test]
fn plan_finds_the_erlang_b_answer() {
    // a = 15/h x 40 min = 10 erlangs: B(16, 10) = 0.0223, B(17, 10) = 0.0129,
    // so the smallest c with blocking <= 0.02 is 17.
    let mut spec = mmcc_spec("garage.stalls", "5..=40", None, &["blocking_rate<=0.02"]);
    spec.sets.push("demand.arrival_rate=15".into());
    spec.replications = 8;
    let p = plan(&spec).unwrap();
    assert_eq!(p.kind, KnobKind::Integer);
    assert_eq!(p.evidence.len(), 36, "every value of the grid");
    assert_eq!(answer(&p), Some("17".into()));
    assert!(!p.evidence[index_of(&p, "16")].meets);
    assert_eq!(p.trends, vec![Trend::MetFrom(12)]);
    let lines = p.answer_lines(&spec.targets).join("\n");
    assert!(lines.contains("16 misses blocking_rate<=0.02"), "{lines}");
    assert!(lines.contains("18 meets every target"), "{lines}");
    // --step: the same question on a coarser grid.
    let mut coarse = spec.clone();
    coarse.step = Some("5".into());
    let c = plan(&coarse).unwrap();
    assert_eq!(c.evidence.len(), 8);
    assert_eq!(answer(&c), Some("20".into()));
    // Too few stalls in range: none, and the exit says so.
    let mut none = spec.clone();
    none.range = "5..=12".into();
    let n = plan(&none).unwrap();
    assert_eq!(n.answer, None);
    assert_eq!(n.trends, vec![Trend::NeverMet]);
    assert!(n.answer_lines(&none.targets)[0].contains("none"));
}

#[test]
fn plan_is_deterministic_whatever_the_thread_count() {
    let mut a = mmcc_spec(
        "garage.stalls",
        "14..=20",
        Some("2"),
        &["blocking_rate<=0.05"],
    );
    a.threads = 1;
    let mut b = a.clone();
    b.threads = 3;
    assert_eq!(plan(&a).unwrap(), plan(&b).unwrap());
}

#[test]
fn a_decreasing_target_on_a_real_knob_and_a_feasible_band() {
    // c = 20 stalls, stays 40 min: a = rate x 2/3 erlangs. Erlang-B:
    // blocking 0.0217 at rate 20, 0.0785 at 25, 0.1589 at 30; occupancy
    // a(1 - B)/c 0.499 at 15, 0.652 at 20. Blocking <= 0.1 is met up to 25,
    // occupancy >= 0.6 from 20: every target holds at 20 and 25 only. (A
    // search assuming more is better checks 50 first and answers "none".)
    let spec = mmcc_spec(
        "demand.arrival_rate",
        "10..=50",
        Some("5"),
        &["blocking_rate<=0.1", "mean_occupancy>=0.6"],
    );
    let p = plan(&spec).unwrap();
    assert_eq!(p.kind, KnobKind::Real);
    let values: Vec<&str> = p.evidence.iter().map(|e| e.value.text.as_str()).collect();
    assert_eq!(
        values,
        [
            "10.0", "15.0", "20.0", "25.0", "30.0", "35.0", "40.0", "45.0", "50.0"
        ]
    );
    assert_eq!(answer(&p), Some("20.0".into()));
    assert_eq!(p.trends, vec![Trend::MetUpTo(3), Trend::MetFrom(2)]);
    assert_eq!(p.feasible(), vec![(2, 3)]);
    let trend = p.trend_lines(&spec.targets).join("\n");
    assert!(
        trend.contains("met up to 25.0 (missed at 30.0 and above)"),
        "{trend}"
    );
    let lines = p.answer_lines(&spec.targets).join("\n");
    assert!(
        lines.contains("values meeting every target: 20.0..=25.0 (larger values miss"),
        "{lines}"
    );
    assert!(lines.contains("15.0 misses mean_occupancy>=0.6"), "{lines}");
}

#[test]
fn a_target_that_is_not_monotone_in_the_knob() {
    // The share of time between half and all stalls occupied rises with the
    // load, then falls as the garage is full ever more often. Truncated
    // Poisson on 20 stalls: 0.54 at rate 15, 0.83 at 20, 0.88 at 25, 0.83
    // at 30, 0.76 at 35, 0.68 at 40. At least 0.72: met from 20 to 35 only.
    let spec = mmcc_spec(
        "demand.arrival_rate",
        "10..=50",
        Some("5"),
        &["time_share_saturated>=0.72"],
    );
    let p = plan(&spec).unwrap();
    assert_eq!(answer(&p), Some("20.0".into()));
    match &p.trends[0] {
        Trend::NotMonotone(s) => assert_eq!(s, &vec![(0, 1, false), (2, 5, true), (6, 8, false)]),
        t => panic!("{t:?}"),
    }
    let trend = p.trend_lines(&spec.targets).join("\n");
    assert!(
        trend.contains("NOT MONOTONE")
            && trend.contains("met at 20.0..=35.0")
            && trend.contains("missed at 40.0..=50.0"),
        "{trend}"
    );
    let lines = p.answer_lines(&spec.targets).join("\n");
    assert!(lines.contains("not monotone"), "{lines}");
    assert!(
        lines.contains("15.0 misses") && lines.contains("25.0 meets every target"),
        "{lines}"
    );
    // Met, missed, met: the answer is the first stretch, the later one reported.
    assert_eq!(
        Trend::of(&[true, false, true]),
        Trend::NotMonotone(vec![(0, 0, true), (1, 1, false), (2, 2, true)])
    );
    assert_eq!(Trend::of(&[false, false]), Trend::NeverMet);
    assert_eq!(Trend::of(&[true]), Trend::AlwaysMet);
    assert_eq!(Trend::of(&[true, true, false]), Trend::MetUpTo(1));
}

#[test]
fn blocking_grows_with_reservable_stalls_and_plan_reads_it_as_such() {
    // The hospital garage under load (2.5-hour stays) with the pool set
    // aside: reserving stalls takes them from walk-ins. The threshold is
    // set between what 0 and 150 reservable stalls show, so the test holds
    // whatever the scenario's calibration.
    let base = |target: &str| PlanSpec {
        base_text: parksim::scenario::DEFAULT.to_string(),
        sets: vec![
            "days=3".into(),
            "demand.stay_min={dist=\"lognormal\",mean=150,sd=90}".into(),
            "garage.pool=\"protected\"".into(),
        ],
        knob: "garage.reservable_stalls".into(),
        range: "0..=150".into(),
        step: Some("50".into()),
        targets: vec![target.parse().unwrap()],
        replications: 6,
        threads: 2,
    };
    let probe = plan(&base("blocking_rate<=1")).unwrap();
    let ci = |i: usize| probe.evidence[i].targets[0].0.clone();
    let (first, last) = (ci(0), ci(3));
    assert!(
        first.ci_high.unwrap() < last.ci_low.unwrap(),
        "blocking at 0 reservable {first:?} is not below blocking at 150 {last:?}"
    );
    let x = (first.ci_high.unwrap() + last.ci_low.unwrap()) / 2.0;
    let spec = base(&format!("blocking_rate<={x}"));
    let p = plan(&spec).unwrap();
    assert_eq!(answer(&p), Some("0".into()));
    assert!(
        matches!(p.trends[0], Trend::MetUpTo(k) if k < 3),
        "{:?}",
        p.trends
    );
    assert!(!p.evidence[3].meets);
}

#[test]
fn knobs_that_make_no_sense_are_refused_before_running() {
    let err = |spec: PlanSpec| plan(&spec).unwrap_err();
    // A real knob needs a step (0..=1 would otherwise try 0 and 1 only).
    let e = err(mmcc_spec(
        "demand.reserved_share",
        "0..=1",
        None,
        &["blocking_rate<=0.1"],
    ));
    assert!(e.contains("--step") && e.contains("real number"), "{e}");
    // Out of the key's valid range: the scenario's own check says why.
    let e = err(mmcc_spec(
        "demand.reserved_share",
        "0..=2",
        Some("0.5"),
        &["blocking_rate<=0.1"],
    ));
    assert!(
        e.contains("demand.reserved_share = 1.5") && e.contains("[0, 1]"),
        "{e}"
    );
    let e = err(mmcc_spec(
        "garage.reservable_stalls",
        "0..=30",
        Some("10"),
        &["blocking_rate<=0.1"],
    ));
    assert!(e.contains("= 30") && e.contains("exceeds"), "{e}");
    // Not numbers, not knobs, not integers.
    let e = err(mmcc_spec("name", "0..=3", None, &["blocking_rate<=0.1"]));
    assert!(e.contains("not a number"), "{e}");
    let e = err(mmcc_spec("seed", "0..=3", None, &["blocking_rate<=0.1"]));
    assert!(e.contains("not a knob"), "{e}");
    let e = err(mmcc_spec(
        "garage.stalls",
        "10..=20",
        Some("2.5"),
        &["blocking_rate<=0.1"],
    ));
    assert!(e.contains("whole number"), "{e}");
    let e = err(mmcc_spec(
        "garage.stalls",
        "10.5..=20",
        None,
        &["blocking_rate<=0.1"],
    ));
    assert!(e.contains("not an integer"), "{e}");
    let e = err(mmcc_spec(
        "garage.stalls",
        "20..=10",
        None,
        &["blocking_rate<=0.1"],
    ));
    assert!(e.contains("empty"), "{e}");
    let e = err(mmcc_spec(
        "garage.stals",
        "10..=20",
        None,
        &["blocking_rate<=0.1"],
    ));
    assert!(e.contains("stals"), "{e}");
    let e = err(mmcc_spec(
        "garage.stalls",
        "10..=20",
        None,
        &["no_such_metric>=1"],
    ));
    assert!(e.contains("unknown metric `no_such_metric`"), "{e}");
    let e = err(mmcc_spec(
        "garage.stalls",
        "10..=20",
        None,
        &["scenario>=1"],
    ));
    assert!(e.contains("not a number"), "{e}");
    let mut one = mmcc_spec("garage.stalls", "10..=20", None, &["blocking_rate<=0.1"]);
    one.replications = 1;
    assert!(err(one).contains("2 replications"));
    assert!(
        "blocking_rate=0.1"
            .parse::<parksim::planner::plan::Target>()
            .is_err()
    );
    assert!(
        "blocking_rate<=x"
            .parse::<parksim::planner::plan::Target>()
            .is_err()
    );
    assert!(knob_values(KnobKind::Integer, "k", "0..=100000000", None).is_err());
    // The widest integer ranges are too many values, not an overflow.
    for range in [
        "-9223372036854775808..=9223372036854775807",
        "-5..=9223372036854775807",
    ] {
        let e = knob_values(KnobKind::Integer, "k", range, None).unwrap_err();
        assert!(e.contains("at most"), "{e}");
    }
    let v = knob_values(
        KnobKind::Integer,
        "k",
        "9223372036854775800..=9223372036854775807",
        Some("3"),
    )
    .unwrap();
    let t: Vec<&str> = v.iter().map(|v| v.text.as_str()).collect();
    let wide = knob_values(
        KnobKind::Integer,
        "k",
        "-9000000000000000000..=9000000000000000000",
        Some("9000000000000000000"),
    )
    .unwrap();
    let w: Vec<&str> = wide.iter().map(|v| v.text.as_str()).collect();
    assert_eq!(w, ["-9000000000000000000", "0", "9000000000000000000"]);
    assert_eq!(
        t,
        [
            "9223372036854775800",
            "9223372036854775803",
            "9223372036854775806"
        ]
    );
    // Real grids keep the decimals of their step.
    let v = knob_values(KnobKind::Real, "k", "0..=0.3", Some("0.1")).unwrap();
    let t: Vec<&str> = v.iter().map(|v| v.text.as_str()).collect();
    assert_eq!(t, ["0.0", "0.1", "0.2", "0.3"]);
}

#[test]
fn plan_on_the_command_line_prints_and_writes_its_evidence() {
    let d = tmp("cli-plan");
    std::fs::create_dir_all(&d).unwrap();
    let out = d.join("evidence.csv");
    let o = parksim()
        .arg("plan")
        .arg(scenarios_dir().join("mmcc.toml"))
        .args([
            "--knob",
            "garage.stalls",
            "--range",
            "14..=22",
            "--step",
            "2",
        ])
        .args([
            "--target",
            "blocking_rate<=0.1",
            "--replications",
            "3",
            "--threads",
            "2",
        ])
        .args([
            "--set",
            "days=5",
            "--set",
            "demand.arrival_rate=15",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(text.contains("answer: garage.stalls = "), "{text}");
    let csv = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 6, "{csv}");
    assert!(
        lines[0].starts_with("garage.stalls,blocking_rate_mean,blocking_rate_ci_low,"),
        "{csv}"
    );
    // No answer: exit 1. Bad --out: an error before running.
    let o = parksim()
        .arg("plan")
        .arg(scenarios_dir().join("mmcc.toml"))
        .args(["--knob", "garage.stalls", "--range", "2..=4"])
        .args([
            "--target",
            "blocking_rate<=0.01",
            "--replications",
            "2",
            "--set",
            "days=2",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let o = parksim()
        .args(["plan", "--knob", "garage.stalls", "--range", "2..=4"])
        .args(["--target", "blocking_rate<=0.01", "--out"])
        .arg(d.join("missing-dir").join("x.csv"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing was run"));
}

/// In a log (stderr not a terminal) a sweep prints a line per
/// `--progress-every` runs with its rate and ETA, and one at the end;
/// `--quiet` prints nothing at all.
#[test]
fn a_sweep_in_a_log_prints_progress_lines_and_quiet_silences_them() {
    let dir = tmp("cli-progress");
    let sweep_file = small_file(&dir);
    let sweep = |extra: &[&str], out: &str| {
        let o = parksim()
            .arg("sweep")
            .arg(&sweep_file)
            .arg("--out")
            .arg(dir.join(out))
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0));
        String::from_utf8(o.stderr).unwrap()
    };
    let log = sweep(&["--progress-every", "5", "--threads", "1"], "a");
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(" sweep: ")).collect();
    // 12 runs: lines at 5, 10 and 12 (more if a minute passed, it will not).
    assert_eq!(lines.len(), 3, "{log}");
    for (l, done) in lines.iter().zip([5, 10, 12]) {
        assert!(l.contains(&format!(" {done}/12 runs (")), "{l}");
        assert!(l.contains("runs/s") && l.contains("ETA "), "{l}");
        assert!(l.as_bytes()[2] == b':' && l.contains("Z sweep: "), "{l}");
    }
    assert!(!log.contains('\r'), "a log gets no carriage returns");
    assert!(lines[2].contains("(100 %)") && lines[2].ends_with("ETA 0 s"));
    // A shard counts its own runs.
    let shard = sweep(&["--progress-every", "100", "--shard", "1/4"], "b");
    assert!(shard.contains(" 3/3 runs (100 %)"), "{shard}");
    assert_eq!(sweep(&["--quiet"], "c"), "");
}

#[test]
fn the_grid_keeps_the_order_the_file_lists_its_keys_in() {
    // Runs are numbered in byte order of the keys; plots and sweep.toml
    // follow the file's order.
    let text = "replications = 1\n[grid]\n\"garage.reservable_stalls\" = [20, 60]\n\"flow_control.full_rule\" = [\"out1in1\"]\n\"demand.reserved_share\" = [0.1, 0.3]\n";
    let s = Sweep::from_toml(text, scenarios_dir()).unwrap();
    let listed = [
        "garage.reservable_stalls",
        "flow_control.full_rule",
        "demand.reserved_share",
    ];
    assert_eq!(s.listed, listed);
    assert_eq!(
        s.keys,
        [
            "demand.reserved_share",
            "flow_control.full_rule",
            "garage.reservable_stalls"
        ]
    );
    let expanded = s.expanded_toml();
    let at: Vec<usize> = listed
        .iter()
        .map(|k| expanded.find(&format!("\"{k}\" =")).unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{expanded}");
    let back = Sweep::from_toml(&expanded, Path::new("/nonexistent")).unwrap();
    assert_eq!(back.listed, listed);
    assert_eq!(back.expanded_toml(), expanded);
    // A file listing its keys in byte order expands to the text (and the
    // fingerprint) it always had: a table written by toml.
    let sorted = "base = \"mmcc.toml\"\nreplications = 3\nseed = 9\n[grid]\n\"days\" = [2]\n\"demand.arrival_rate\" = [15.0, 30.0]\n\"garage.stalls\" = [10, 20]\n";
    let s = Sweep::from_toml(sorted, scenarios_dir()).unwrap();
    assert_eq!(s.listed, s.keys);
    let mut grid = toml::Table::new();
    for (k, vs) in s.keys.iter().zip(&s.values) {
        grid.insert(k.clone(), toml::Value::Array(vs.clone()));
    }
    let mut t = toml::Table::new();
    t.insert("replications".into(), toml::Value::Integer(3));
    t.insert("seed".into(), toml::Value::Integer(9));
    t.insert(
        "base_scenario".into(),
        toml::Value::String(s.base_text.clone()),
    );
    t.insert("grid".into(), toml::Value::Table(grid));
    assert_eq!(s.expanded_toml(), toml::to_string(&t).unwrap());
}
