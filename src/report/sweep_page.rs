//! The page of a sweep (`parksim sweep`, a shard of one, `parksim merge`).

use super::headline;
use super::html::{Cell, Html, Table, details, para};
use super::input::SweepFiles;
use super::page::{Page, plots, toml_get, toml_text};
use super::points::SweepPoint;
use super::targets::{Ranking, rank};
use super::units::{self, Unit};
use crate::planner::Stat;
use crate::planner::plan::Target;

fn unit(metric: &str) -> Unit {
    units::unit(units::Table::Summary, metric)
}

/// `mean [low, high]` of a metric's statistics, and `(n of runs)` when
/// it was undefined in some runs.
fn stat_text(metric: &str, s: Option<&Stat>, runs: usize) -> String {
    let Some(s) = s else {
        return "n/a (not in summary.csv)".into();
    };
    let mut t = unit(metric).with_ci(s.mean, s.ci_low, s.ci_high);
    if s.n < runs {
        t.push_str(&format!(" ({} of {runs} runs)", s.n));
    }
    t
}

/// A column header: the metric and its unit.
fn header(metric: &str) -> String {
    match unit(metric).label() {
        "" => metric.to_string(),
        l => format!("{metric} [{l}]"),
    }
}

/// The base scenario's (name, days, warm-up days, stalls) as text, a
/// gridded key saying so.
fn base_rows(f: &SweepFiles) -> Vec<(String, String)> {
    let Some(sw) = &f.sweep else {
        return Vec::new();
    };
    let Ok(base) = toml::from_str::<toml::Table>(&sw.base_text) else {
        return vec![("base scenario".into(), "does not read as TOML".into())];
    };
    let mut rows = vec![
        (
            "replications per grid point".into(),
            sw.replications.to_string(),
        ),
        ("sweep seed".into(), sw.seed.to_string()),
    ];
    for (k, name) in [
        ("name", "base scenario"),
        ("days", "days measured"),
        ("warmup_days", "warm-up days"),
        ("garage.stalls", "stalls"),
        ("garage.reservable_stalls", "reservable stalls"),
    ] {
        let v = if let Some(i) = sw.keys.iter().position(|g| g == k) {
            let vs: Vec<String> = sw.values[i].iter().map(toml_text).collect();
            format!("set by the grid: {}", vs.join(", "))
        } else {
            toml_get(&base, k).map_or("n/a".into(), toml_text)
        };
        rows.push((name.into(), v));
    }
    rows
}

fn sweep_section(f: &SweepFiles) -> Html {
    let mut h = Html::new();
    let runs: usize = f.points.iter().map(|p| p.runs).sum();
    let mut t = Table::new(["", "value"]);
    t.row(vec![
        Cell::Text("grid points here".into()),
        Cell::Num(f.points.len().to_string()),
    ]);
    t.row(vec![
        Cell::Text("runs here".into()),
        Cell::Num(runs.to_string()),
    ]);
    for (k, v) in base_rows(f) {
        t.row(vec![Cell::Text(k), Cell::Text(v)]);
    }
    h.push(t.render());
    let mut g = Table::new(["grid key", "values"]);
    match &f.sweep {
        Some(sw) => {
            for (k, vs) in sw.keys.iter().zip(&sw.values) {
                let vs: Vec<String> = vs.iter().map(|v| v.to_string()).collect();
                g.row(vec![Cell::Code(k.clone()), Cell::Code(vs.join(", "))]);
            }
            h.push(para(
                "The grid: keys in the order the points run (the last fastest), values as the \
                 sweep file lists them.",
            ));
        }
        None => {
            // No sweep.toml: the grid as the summary shows it.
            if let Some(first) = f.points.first() {
                for (i, (k, _)) in first.grid.iter().enumerate() {
                    let mut vs: Vec<&str> = Vec::new();
                    for p in &f.points {
                        let v = p.grid[i].1.as_str();
                        if !vs.contains(&v) {
                            vs.push(v);
                        }
                    }
                    g.row(vec![Cell::Code(k.clone()), Cell::Code(vs.join(", "))]);
                }
            }
            h.push(para(
                "No sweep.toml here: the grid as summary.csv shows it.",
            ));
        }
    }
    h.push(g.render());
    if let Some(sw) = &f.sweep {
        h.push(details(
            "The base scenario (TOML)",
            Html::el("pre", &sw.base_text),
        ));
    }
    if let Some(text) = &f.sweep_toml {
        h.push(details(
            "sweep.toml (`parksim sweep sweep.toml --out DIR` runs the sweep again)",
            Html::el("pre", text),
        ));
    }
    h
}

/// Rows the provenance section adds: what share of the sweep is here,
/// and the runs' checks.
fn provenance_extra(f: &SweepFiles) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    if let Some(m) = &f.provenance {
        let here = m.get("runs_here").and_then(|v| v.as_u64());
        let all = m.get("runs_in_sweep").and_then(|v| v.as_u64());
        let shard = m.get("shard").and_then(|v| v.as_str());
        let what = match (shard, here, all) {
            (Some(s), Some(h), Some(a)) => format!(
                "shard {s}: {h} of the sweep's {a} runs; statistics cover these runs only \
                 (`parksim merge` joins the shards)"
            ),
            (None, Some(h), Some(a)) if h == a => format!(
                "all {a} runs of the sweep (run whole, or merged from its shards by `parksim merge`)"
            ),
            (_, Some(h), Some(a)) => format!("{h} of the sweep's {a} runs"),
            _ => "not recorded".into(),
        };
        rows.push(("what is here".into(), what));
    }
    if let Some((n, broken)) = f.checks {
        let text = if broken == 0 {
            format!("all {n} runs conserved vehicles and reconciled the platform's ledger")
        } else {
            format!("{broken} of {n} runs broke conservation or did not reconcile (see runs.csv)")
        };
        rows.push(("checks".into(), text));
    }
    rows
}

/// A target in words: `booking_success_rate ≥ 95.0 %`.
fn target_text(t: &Target) -> String {
    let u = unit(&t.metric);
    let l = match u.label() {
        "" => String::new(),
        l => format!(" {l}"),
    };
    format!(
        "{} {} {}{l}",
        t.metric,
        if t.at_least { "≥" } else { "≤" },
        u.number(Some(t.value))
    )
}

fn targets_section(f: &SweepFiles, targets: &[Target], defaults: bool) -> Html {
    let mut h = para(
        "A target is met at a grid point when its whole 95 % confidence interval lies on the \
         target's side — the CI's low bound for ≥, its high bound for ≤ — not when the mean \
         does. Points meeting every target are ranked by the first target's CI bound (higher \
         low bound, lower high bound first), ties by the second target's, and so on, then by \
         grid order.",
    );
    let mut tt = Table::new(["target", "as given"]);
    for t in targets {
        tt.row(vec![
            Cell::Text(target_text(t)),
            Cell::Code(format!("--target \"{t}\"")),
        ]);
    }
    h.push(tt.render());
    if defaults {
        h.push(para(
            "These are the default targets; give your own with `parksim report DIR --target \
             metric>=value --target metric<=value …`.",
        ));
    }
    let r = rank(&f.points, targets);
    let n = f.points.len();
    if r.ranked.is_empty() {
        h.push(Html::tag(
            "p",
            &[("class", "bad")],
            Html::text(&format!(
                "None of the {n} grid points meets every target with its 95 % CI."
            )),
        ));
        for reason in why_none(f, targets, &r) {
            h.push(para(&reason));
        }
    } else {
        h.push(Html::tag(
            "p",
            &[("class", "good")],
            Html::text(&format!(
                "{} of the {n} grid points meet every target with their 95 % CI, best first:",
                r.ranked.len()
            )),
        ));
        let mut t = Table::new(
            ["rank", "grid point", "runs"]
                .into_iter()
                .map(String::from)
                .chain(targets.iter().map(|t| header(&t.metric))),
        );
        for (i, &p) in r.ranked.iter().enumerate() {
            let pt = &f.points[p];
            let mut row = vec![
                Cell::Num((i + 1).to_string()),
                Cell::Code(pt.label()),
                Cell::Num(pt.runs.to_string()),
            ];
            for tg in targets {
                row.push(Cell::Num(stat_text(
                    &tg.metric,
                    pt.stat(&tg.metric),
                    pt.runs,
                )));
            }
            t.row(row);
        }
        h.push(t.render());
    }
    h.push(details(
        "Every grid point against the targets (mean [95 % CI])",
        verdict_table(&f.points, targets, &r),
    ));
    h
}

fn verdict_table(points: &[SweepPoint], targets: &[Target], r: &Ranking) -> Html {
    let mut t = Table::new(
        ["point", "grid point"]
            .into_iter()
            .map(String::from)
            .chain(targets.iter().map(target_text))
            .chain(["meets every target".to_string()]),
    );
    for v in &r.verdicts {
        let p = &points[v.index];
        let mut row = vec![Cell::Num(p.point.to_string()), Cell::Code(p.label())];
        for (tg, (s, ok)) in targets.iter().zip(&v.targets) {
            row.push(Cell::Num(format!(
                "{} {}",
                stat_text(&tg.metric, s.as_ref(), p.runs),
                if *ok { "met" } else { "not met" }
            )));
        }
        row.push(Cell::Text(if v.meets { "yes" } else { "no" }.into()));
        t.row(row);
    }
    t.render()
}

/// Why no point meets the targets, where a reason applies to all.
fn why_none(f: &SweepFiles, targets: &[Target], r: &Ranking) -> Vec<String> {
    let mut out = Vec::new();
    if f.points.iter().all(|p| p.runs < 2) {
        out.push(
            "Every grid point has one run, so no confidence interval exists: run the sweep \
             with `replications` of at least 2 (10 or more for useful intervals)."
                .to_string(),
        );
    }
    for (i, t) in targets.iter().enumerate() {
        if r.verdicts.iter().all(|v| v.targets[i].0.is_none()) {
            out.push(format!(
                "`{}` is not a metric of this summary.csv (docs/METRICS.md lists them).",
                t.metric
            ));
        } else if r.verdicts.iter().all(|v| !v.targets[i].1) {
            out.push(format!("No grid point meets `{t}`."));
        }
    }
    out
}

fn points_section(f: &SweepFiles, targets: &[Target]) -> Html {
    let mut metrics: Vec<&str> = headline::SWEEP.to_vec();
    for t in targets {
        if !metrics.contains(&t.metric.as_str()) {
            metrics.push(&t.metric);
        }
    }
    metrics.retain(|m| f.metrics.iter().any(|x| x == m));
    let grid: Vec<String> = f
        .points
        .first()
        .map(|p| p.grid.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    let mut t = Table::new(
        ["point".to_string()]
            .into_iter()
            .chain(grid.iter().cloned())
            .chain(["runs".to_string()])
            .chain(metrics.iter().map(|m| header(m))),
    );
    for p in &f.points {
        let mut row = vec![Cell::Num(p.point.to_string())];
        row.extend(p.grid.iter().map(|(_, v)| Cell::Code(v.clone())));
        row.push(Cell::Num(p.runs.to_string()));
        for m in &metrics {
            row.push(Cell::Num(stat_text(m, p.stat(m), p.runs)));
        }
        t.row(row);
    }
    let mut h = para(
        "Per grid point: the mean over its runs and the 95 % confidence interval [low, high] \
         (Student t; rates kept inside [0, 1]); n/a where undefined. Shares in percent.",
    );
    h.push(t.render());
    h
}

fn all_metrics(f: &SweepFiles) -> Html {
    let mut t = Table::new(
        ["metric".to_string(), "unit".to_string()]
            .into_iter()
            .chain(f.points.iter().map(|p| format!("point {}", p.point))),
    );
    for m in &f.metrics {
        let mut row = vec![Cell::Code(m.clone()), Cell::Text(unit(m).label().into())];
        for p in &f.points {
            row.push(Cell::Num(stat_text(m, p.stat(m), p.runs)));
        }
        t.row(row);
    }
    details(
        "Every metric of summary.csv, per grid point (mean [95 % CI])",
        t.render(),
    )
}

/// The sweep's page; `defaults` says the targets are the defaults.
pub fn page(f: &SweepFiles, targets: &[Target], defaults: bool) -> Page {
    let base = f
        .sweep
        .as_ref()
        .and_then(|s| toml::from_str::<toml::Table>(&s.base_text).ok())
        .and_then(|t| t.get("name").map(toml_text))
        .unwrap_or_else(|| "(base scenario not recorded)".into());
    let runs: usize = f.points.iter().map(|p| p.runs).sum();
    let mut p = Page {
        title: format!("parksim sweep: {base}"),
        subtitle: format!("{} grid points, {runs} runs", f.points.len()),
        sections: Vec::new(),
    };
    p.section("sweep", "Sweep", sweep_section(f));
    p.section(
        "provenance",
        "Provenance",
        super::provenance::section(f.provenance.as_ref(), &provenance_extra(f)),
    );
    p.section(
        "targets",
        "Best policies against the targets",
        targets_section(f, targets, defaults),
    );
    p.section(
        "points",
        "Headline metrics by grid point",
        points_section(f, targets),
    );
    p.section("plots", "Plots", plots(&f.plots));
    p.section("all", "Every metric", all_metrics(f));
    p
}
