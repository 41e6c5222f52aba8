//! `parksim compare`: two policies side by side, paired by seed.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("parksim-compare-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs parksim; returns (exit code, stdout, stderr).
fn parksim(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_parksim"))
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8(o.stdout).unwrap(),
        err,
    )
}

fn json(args: &[&str]) -> Value {
    let (code, out, err) = parksim(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap()
}

fn metric<'a>(c: &'a Value, name: &str) -> &'a Value {
    c["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

/// An M/M/c/c garage at two sizes: 20 stalls block far less than 10 at
/// 30 cars/h × 40 min = 20 erlangs (Erlang-B(10, 20) = 0.538,
/// Erlang-B(20, 20) = 0.159),
/// and the paired interval says so.
#[test]
fn two_sweep_points_are_paired_by_seed() {
    let dir = tmp("sweep");
    let file = dir.join("s.toml");
    std::fs::write(
        &file,
        format!(
            "base = {:?}\nreplications = 4\nseed = 5\n[grid]\n\"days\" = [3]\n\"garage.stalls\" = [10, 20]\n",
            scenarios().join("mmcc.toml")
        ),
    )
    .unwrap();
    let out = dir.join("out");
    let (code, _, err) = parksim(&[
        "sweep",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 0, "{err}");
    let o = out.to_str().unwrap();
    let c = json(&[
        "compare",
        &format!("{o}@0"),
        &format!("{o}@garage.stalls=20"),
        "--json",
    ]);
    assert_eq!(c["paired"], true);
    assert_eq!(
        (c["a_runs"].as_u64(), c["b_runs"].as_u64()),
        (Some(4), Some(4))
    );
    // Labels name the sweep by its directory's name, the arguments stay whole.
    assert!(
        c["a"].as_str().unwrap().starts_with("out point 0: "),
        "{}",
        c["a"]
    );
    assert_eq!(
        c["b_arg"].as_str(),
        Some(format!("{o}@garage.stalls=20").as_str())
    );
    let b = metric(&c, "blocking_rate");
    let (lo, hi) = (
        b["diff"]["ci_low"].as_f64().unwrap(),
        b["diff"]["ci_high"].as_f64().unwrap(),
    );
    assert!(hi < 0.0, "20 stalls block less: {b}");
    assert!(
        (0.32..0.44).contains(&-b["diff"]["mean"].as_f64().unwrap()),
        "{b}"
    );
    assert!(lo < b["diff"]["mean"].as_f64().unwrap());
    assert_eq!(b["diff"]["differs"], true);
    assert!(
        (b["a"]["mean"].as_f64().unwrap() - 0.538).abs() < 0.05,
        "{b}"
    );
    assert!(
        (b["b"]["mean"].as_f64().unwrap() - 0.159).abs() < 0.05,
        "{b}"
    );
    // Two shards merged compare as the whole sweep does.
    for i in 0..2 {
        let (code, _, err) = parksim(&[
            "sweep",
            file.to_str().unwrap(),
            "--out",
            dir.join(format!("shard{i}")).to_str().unwrap(),
            "--shard",
            &format!("{i}/2"),
            "--quiet",
        ]);
        assert_eq!(code, 0, "{err}");
    }
    let merged = dir.join("merged");
    let (code, _, err) = parksim(&[
        "merge",
        dir.join("shard0").to_str().unwrap(),
        dir.join("shard1").to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let m = merged.to_str().unwrap();
    let from_merge = json(&["compare", &format!("{m}@0"), &format!("{m}@1"), "--json"]);
    assert_eq!(from_merge["metrics"], c["metrics"]);
    // The same point twice: every difference is exactly 0.
    let same = json(&["compare", &format!("{o}@1"), &format!("{o}@1"), "--json"]);
    for m in same["metrics"].as_array().unwrap() {
        if !m["diff"]["mean"].is_null() {
            assert_eq!(m["diff"]["mean"].as_f64(), Some(0.0), "{m}");
            assert_eq!(m["diff"]["differs"], false, "{m}");
        }
    }
    // A run that broke conservation: merge and compare still write their
    // results, and say so with exit status 3.
    let runs = dir.join("shard1").join("runs.jsonl");
    let text = std::fs::read_to_string(&runs).unwrap();
    let first = text.lines().next().unwrap();
    assert!(first.contains("\"conservation_ok\":true"), "{first}");
    let tampered = text.replacen("\"conservation_ok\":true", "\"conservation_ok\":false", 1);
    std::fs::write(&runs, tampered).unwrap();
    let broken = dir.join("broken");
    let (code, _, err) = parksim(&[
        "merge",
        dir.join("shard0").to_str().unwrap(),
        dir.join("shard1").to_str().unwrap(),
        "--out",
        broken.to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("1 runs broke conservation"), "{err}");
    assert!(broken.join("summary.csv").exists());
    let b = broken.to_str().unwrap();
    let (code, table, err) = parksim(&["compare", &format!("{b}@0"), &format!("{b}@1")]);
    assert_eq!(code, 3, "{err}");
    assert!(table.contains("paired by seed"), "{table}");
    assert!(err.contains("broke conservation"), "{err}");
    // The untouched whole sweep compares with exit 0 (above, through json()).
    // A point the sweep does not have: the points are listed.
    let (code, _, err) = parksim(&["compare", &format!("{o}@7"), &format!("{o}@0")]);
    assert_ne!(code, 0);
    assert!(err.contains("@1  days=3,garage.stalls=20"), "{err}");
    let (code, _, err) = parksim(&["compare", o, &format!("{o}@0")]);
    assert_ne!(code, 0);
    assert!(err.contains("name one grid point"), "{err}");
}

/// A run directory and a scenario file are replicated with shared seeds;
/// `--out` writes the JSON and the CSV.
#[test]
fn a_run_directory_against_a_scenario_file() {
    let dir = tmp("run");
    let run = dir.join("run");
    let (code, _, err) = parksim(&[
        "run",
        scenarios().join("mmcc.toml").to_str().unwrap(),
        "--days",
        "2",
        "--set",
        "garage.stalls=10",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(scenarios().join("mmcc.toml"))
        .unwrap()
        .replace("days = 20", "days = 2");
    let file = dir.join("twenty.toml");
    std::fs::write(&file, text).unwrap();
    let out = dir.join("cmp");
    let args = [
        "compare",
        run.to_str().unwrap(),
        file.to_str().unwrap(),
        "--replications",
        "3",
        "--out",
        out.to_str().unwrap(),
    ];
    let (code, table, err) = parksim(&args);
    assert_eq!(code, 0, "{err}");
    assert!(table.contains("paired by seed"), "{table}");
    assert!(table.contains("General class turned away"), "{table}");
    let c: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("compare.json")).unwrap()).unwrap();
    assert_eq!(
        (c["paired"].as_bool(), c["a_runs"].as_u64()),
        (Some(true), Some(3))
    );
    assert_eq!(metric(&c, "days")["a"]["mean"].as_f64(), Some(2.0));
    assert!(
        metric(&c, "blocking_rate")["diff"]["mean"]
            .as_f64()
            .unwrap()
            < -0.1
    );
    // compare.json keeps the sides as given; the labels, and so the page,
    // name the run's directory and the file by their last component only.
    assert_eq!(c["a_arg"].as_str(), run.to_str());
    assert_eq!(c["b_arg"].as_str(), file.to_str());
    assert!(
        c["a"].as_str().unwrap().starts_with("mmcc (run), "),
        "{}",
        c["a"]
    );
    assert!(
        c["b"].as_str().unwrap().contains(" (twenty.toml), "),
        "{}",
        c["b"]
    );
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("Headline differences") && page.contains("paired by seed"));
    let parent = dir.to_str().unwrap();
    assert!(!page.contains(parent), "the page names {parent}");
    assert!(!page.contains("NaN") && !page.contains("http://") && !page.contains("https://"));
    // A comparison has no grid points to judge: --target is refused and
    // the page stays as it is.
    let (code, _, err) = parksim(&[
        "report",
        out.to_str().unwrap(),
        "--target",
        "blocking_rate<=0.1",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("this is a comparison's directory"), "{err}");
    assert_eq!(
        std::fs::read_to_string(out.join("report.html")).unwrap(),
        page
    );
    // `parksim report` on the directory draws the same page.
    std::fs::remove_file(out.join("report.html")).unwrap();
    let (code, _, err) = parksim(&["report", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(out.join("report.html")).unwrap(),
        page
    );
    let csv = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    assert_eq!(
        csv.lines().count(),
        1 + c["metrics"].as_array().unwrap().len()
    );
    assert!(csv.starts_with("metric,a_n,a_mean,"));
    // The same again is the same, byte for byte.
    let (_, again, _) = parksim(&args);
    assert_eq!(again, table);
    // One replication cannot give an interval.
    let (code, _, err) = parksim(&[
        "compare",
        run.to_str().unwrap(),
        file.to_str().unwrap(),
        "--replications",
        "1",
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("at least 2"), "{err}");
}

/// Fields of one CSV line (RFC 4180: quoted fields, quotes doubled).
fn csv_fields(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut chars) =
        (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// An entrance named with a comma and a quote still gives every row of
/// `compare.csv` the header's fields, the name read back whole.
#[test]
fn compare_csv_quotes_names_that_need_it() {
    let dir = tmp("quote");
    let text = std::fs::read_to_string(scenarios().join("mmcc.toml"))
        .unwrap()
        .replace("name = \"In\"", "name = 'A,\"1\"'")
        .replace("days = 20", "days = 1");
    let file = dir.join("comma.toml");
    std::fs::write(&file, text).unwrap();
    let out = dir.join("cmp");
    let f = file.to_str().unwrap();
    let (code, _, err) = parksim(&[
        "compare",
        f,
        f,
        "--replications",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let csv = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    let mut lines = csv.lines();
    let width = csv_fields(lines.next().unwrap()).len();
    let mut named = 0;
    for l in lines {
        let f = csv_fields(l);
        assert_eq!(f.len(), width, "{l}");
        named += usize::from(f[0].contains("A,\"1\""));
    }
    assert!(named > 0, "no metric names the entrance:\n{csv}");
    // A run's directory is not a comparison's: refused, left as it was.
    let run = dir.join("run");
    let (code, _, err) = parksim(&["run", f, "--out", run.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read(run.join("report.html")).unwrap();
    let (code, _, err) = parksim(&[
        "compare",
        f,
        f,
        "--replications",
        "2",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("a directory of its own"), "{err}");
    assert!(!run.join("compare.json").exists());
    assert_eq!(std::fs::read(run.join("report.html")).unwrap(), page);
}
