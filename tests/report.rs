//! `parksim report`: the page of a run, a sweep and a merge made by the
//! binary holds what it should, embeds every plot, fetches nothing, shows
//! no NaN and escapes what it read.

use std::path::{Path, PathBuf};
use std::process::Command;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("parksim-report-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Runs the binary; returns (exit code, stdout, stderr).
fn parksim(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_parksim"))
        .args(args)
        .output()
        .unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    (o.status.code().unwrap_or(-1), out, err)
}

fn ok(args: &[&str]) -> String {
    let (code, out, err) = parksim(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn provenance(dir: &Path) -> serde_json::Map<String, serde_json::Value> {
    serde_json::from_str(&read(&dir.join("provenance.json"))).unwrap()
}

/// What every page must be: one document that references nothing outside
/// itself (every `src`/`href` a fragment or a `data:` URL, no `@import`,
/// no `url(` to elsewhere), no script, no NaN, every SVG of the directory
/// embedded.
fn check_page(dir: &Path, html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    let lower = html.to_ascii_lowercase();
    for marker in ["src=\"", "href=\"", "src='", "href='"] {
        for (i, _) in lower.match_indices(marker) {
            let v = &lower[i + marker.len()..];
            assert!(
                v.starts_with('#') || v.starts_with("data:"),
                "a reference outside the page: {}",
                &html[i..(i + 80).min(html.len())]
            );
        }
    }
    for bad in ["@import", "url(http", "<script", "<link", "<iframe"] {
        assert!(!lower.contains(bad), "{bad} in the page");
    }
    assert!(!html.contains("NaN"), "NaN in the page");
    let mut svgs = 0;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "svg") {
            let svg = read(&p);
            assert!(html.contains(svg.trim()), "{} is not embedded", p.display());
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            assert!(html.contains(&name), "no caption names {name}");
            svgs += 1;
        }
    }
    assert!(svgs > 0, "no plots in {}", dir.display());
    assert_eq!(lower.matches("<svg").count(), svgs);
}

/// The provenance table has the row `label`: `value`.
fn provenance_row(html: &str, label: &str, value: &serde_json::Value) {
    let v = match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "none".into(),
        v => v.to_string(),
    };
    let row = format!("<tr><td>{label}</td><td><code>{v}</code></td></tr>");
    assert!(html.contains(&row), "no provenance row {row}");
}

/// The `<tr>` of the page whose cell holds `key` as code.
fn row_of<'a>(html: &'a str, key: &str) -> &'a str {
    let at = html
        .find(&format!("<code>{key}</code>"))
        .unwrap_or_else(|| panic!("no row for {key}"));
    let start = html[..at].rfind("<tr>").unwrap();
    let end = at + html[at..].find("</tr>").unwrap();
    &html[start..end]
}

#[test]
fn a_run_report_has_provenance_plots_na_and_escapes_the_name() {
    let dir = tmp("run");
    let d = dir.to_str().unwrap();
    // No bookers: booking success and fulfilment are undefined.
    ok(&[
        "run",
        "--days",
        "1",
        "--seed",
        "7",
        "--set",
        "name=\"<script>alert('x')</script> & co\"",
        "--set",
        "demand.reserved_share=0.0",
        "--out",
        d,
    ]);
    // `run --out` wrote the report itself.
    let html = read(&dir.join("report.html"));
    check_page(&dir, &html);
    assert!(
        !html.contains("<script>alert"),
        "the name went in unescaped"
    );
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
    let p = provenance(&dir);
    for (key, label) in [
        ("parksim_version", "parksim version"),
        ("git_revision", "git revision"),
        ("seed", "seed"),
        ("days", "days measured"),
        ("warmup_days", "warm-up days"),
        ("stalls", "stalls"),
    ] {
        provenance_row(&html, label, &p[key]);
    }
    assert_eq!(p["seed"], "7");
    for key in ["booking_success_rate", "fulfilment_rate"] {
        let row = row_of(&html, key);
        assert!(row.contains(">n/a<"), "{key}: {row}");
    }
    // A defined share in percent, a wait in seconds.
    assert!(row_of(&html, "walkin_blocking_rate").contains("<td>%</td>"));
    assert!(row_of(&html, "p95_wait_s").contains("<td>s</td>"));
    for section in [
        "Scenario",
        "Provenance",
        "Headline metrics",
        "Hour of day",
        "Plots",
    ] {
        assert!(html.contains(&format!("<h2>{section}</h2>")), "{section}");
    }
    // 24 hours in the hour-of-day table (its rows start with the hour).
    for h in 0..24 {
        assert!(
            html.contains(&format!("<tr><td class=\"num\">{h}</td>")),
            "hour {h}"
        );
    }
    // The report command writes the same page again, where it is told.
    let out = dir.join("again.html");
    let printed = ok(&["report", d, "--out", out.to_str().unwrap()]);
    assert_eq!(printed.trim(), out.to_str().unwrap());
    assert_eq!(read(&out), html, "the page is not a function of the files");
    // A run has no grid points to judge: --target is refused, not ignored.
    let (code, _, err) = parksim(&["report", d, "--target", "p95_wait_s<=60"]);
    assert_eq!(code, 1);
    assert!(err.contains("this is a run's directory"), "{err}");
}

/// The page names a run's scenario file, not the directories it sat in.
#[test]
fn a_run_report_names_its_scenario_file_without_its_directory() {
    let dir = tmp("source");
    let nested = dir.join("private-dir-name");
    std::fs::create_dir_all(&nested).unwrap();
    let file = nested.join("my-garage.toml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mmcc.toml"),
        &file,
    )
    .unwrap();
    let out = dir.join("out");
    ok(&[
        "run",
        file.to_str().unwrap(),
        "--days",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    // provenance.json keeps the path as given; the page, the file name.
    assert_eq!(provenance(&out)["source"], file.to_str().unwrap());
    let html = read(&out.join("report.html"));
    provenance_row(&html, "scenario source", &"my-garage.toml".into());
    assert!(
        !html.contains("private-dir-name"),
        "a directory of the machine is on the page"
    );
}

const SWEEP: &str = r#"
replications = 2
seed = 5
[grid]
"days" = [1]
"garage.reservable_stalls" = [20, 80]
"#;

#[test]
fn sweep_shard_and_merge_reports() {
    let root = tmp("sweep");
    std::fs::create_dir_all(&root).unwrap();
    let file = root.join("sweep.toml");
    std::fs::write(&file, SWEEP).unwrap();
    let f = file.to_str().unwrap();
    let dir = |n: &str| root.join(n);
    let s = |p: &PathBuf| p.to_str().unwrap().to_string();
    let (whole, s0, s1, merged) = (dir("whole"), dir("s0"), dir("s1"), dir("merged"));
    ok(&["sweep", f, "--out", &s(&whole), "--quiet", "--threads", "2"]);
    for (i, d) in [&s0, &s1].into_iter().enumerate() {
        let shard = format!("{i}/2");
        ok(&["sweep", f, "--out", &s(d), "--quiet", "--shard", &shard]);
    }
    ok(&["merge", &s(&s0), &s(&s1), "--out", &s(&merged)]);

    let page = read(&whole.join("report.html"));
    check_page(&whole, &page);
    let p = provenance(&whole);
    for (key, label) in [
        ("parksim_version", "parksim version"),
        ("git_revision", "git revision"),
        (
            "sweep_fingerprint",
            "sweep fingerprint (SHA-1 of sweep.toml)",
        ),
        ("runs_in_sweep", "runs in the sweep"),
        ("shard", "shard"),
    ] {
        provenance_row(&page, label, &p[key]);
    }
    // The grid, the replications, the sweep seed.
    assert!(row_of(&page, "garage.reservable_stalls").contains("<code>20, 80</code>"));
    assert!(page.contains("<td>replications per grid point</td><td>2</td>"));
    assert!(page.contains("<td>sweep seed</td><td>5</td>"));
    // The default targets, stated, and a verdict either way.
    assert!(page.contains("--target &quot;booking_success_rate&gt;=0.95&quot;"));
    assert!(page.contains("These are the default targets"));
    assert!(page.contains("grid points meet every target") || page.contains("None of the 2"));
    // Means with CIs: `mean [low, high]`.
    assert!(page.contains(" ["), "no CIs");

    // The merge is the whole sweep: the same page, byte for byte.
    let merged_page = read(&merged.join("report.html"));
    check_page(&merged, &merged_page);
    assert_eq!(merged_page, page);
    assert!(page.contains("all 4 runs of the sweep"));
    // A shard says it is one.
    let shard_page = read(&s0.join("report.html"));
    check_page(&s0, &shard_page);
    assert!(shard_page.contains("shard 0/2: 2 of the sweep&#39;s 4 runs"));

    // Targets from the command line: one no point meets, said plainly.
    let out = root.join("strict.html");
    ok(&[
        "report",
        &s(&whole),
        "--out",
        &s(&out),
        "--target",
        "revenue>=1e12",
    ]);
    let strict = read(&out);
    check_page(&whole, &strict);
    assert!(strict.contains("None of the 2 grid points meets every target"));
    assert!(strict.contains("No grid point meets `revenue&gt;=1000000000000`"));
    assert!(!strict.contains("These are the default targets"));
    // One every point meets (a CI inside [0, 1] always is): both listed.
    ok(&[
        "report",
        &s(&whole),
        "--out",
        &s(&out),
        "--target",
        "walkin_blocking_rate<=1",
    ]);
    let easy = read(&out);
    assert!(easy.contains("2 of the 2 grid points meet every target"));
    // A bad target is an error before anything is written.
    let (code, _, err) = parksim(&["report", &s(&whole), "--target", "revenue=3"]);
    assert_eq!(code, 1);
    assert!(err.contains("expected metric>=value"), "{err}");
    // A target naming no metric is an error, and no page is written.
    let typo = root.join("typo.html");
    let refused = |target: &str| -> String {
        let (code, _, err) =
            parksim(&["report", &s(&whole), "--out", &s(&typo), "--target", target]);
        assert_eq!(code, 1, "{target}: {err}");
        assert!(!typo.exists(), "{target}");
        err
    };
    // A misspelt metric: the near ones are named.
    let err = refused("booking_sucess_rate>=0.9");
    assert!(
        err.contains("unknown metric `booking_sucess_rate`"),
        "{err}"
    );
    assert!(err.contains("booking_success_rate"), "{err}");
    // A column's name copied from summary.csv: the error names its metric.
    let err = refused("booking_success_rate_mean>=0.9");
    assert!(
        err.contains("write the target as booking_success_rate>=0.9"),
        "{err}"
    );
    let err = refused("booking_success_rate_sd<=0.01");
    assert!(
        err.contains(
            "judges the 95 % CI of a metric's mean: write it as booking_success_rate<=VALUE"
        ),
        "{err}"
    );
}

#[test]
fn a_directory_without_results_is_a_clear_error() {
    let d = tmp("empty");
    std::fs::create_dir_all(&d).unwrap();
    let (code, _, err) = parksim(&["report", d.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("no summary.csv"), "{err}");
    let (code, _, err) = parksim(&["report", d.join("missing").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("no summary.csv"), "{err}");
}
