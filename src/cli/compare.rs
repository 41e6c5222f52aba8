//! `parksim compare A B`: two policies side by side, B − A with its 95 % CI.
//!
//! A side is one of
//! - a sweep point: `DIR@N` (point `N` of the sweep in `DIR`, the
//!   `point` column of its tables), `DIR@key=value,key=value` (the point
//!   with those grid values), or `DIR` when the sweep has one point; its
//!   runs are read from `runs.jsonl`;
//! - a run directory (`parksim run --out DIR`: its `scenario.toml`) or a
//!   scenario file: replicated here, `--replications` runs.
//!
//! Replicated sides get the seeds a sweep would give its replications:
//! replication `r` has `splitmix64(seed ^ r)`, with `seed` from `--seed`,
//! else the sweep's seed when the other side is a sweep point (so its
//! runs are matched seed for seed), else A's scenario seed. Both sides
//! then share their seeds and the runs are paired
//! ([`parksim::planner::compare`]).

use parksim::planner::compare::{Comparison, Sample, compare};
use parksim::planner::output::read_merge;
use parksim::planner::{RunRecord, Sweep, run_sweep};
use parksim::report::headline;
use parksim::report::units::{Table, Unit, unit};
use parksim::scenario::Scenario;
use parksim::sim::summary::failed_checks;
use std::path::{Path, PathBuf};

/// One side as given on the command line.
enum Side {
    Point {
        dir: PathBuf,
        runs: Vec<RunRecord>,
        point: usize,
        seed: u64,
    },
    Scenario {
        /// The scenario's name.
        name: String,
        /// The file it was read from (a run directory's `scenario.toml`:
        /// the directory).
        path: PathBuf,
        text: String,
        seed: u64,
    },
}

impl Side {
    /// The path a label names.
    fn path(&self) -> &Path {
        match self {
            Side::Point { dir, .. } => dir,
            Side::Scenario { path, .. } => path,
        }
    }
}

pub struct CompareArgs {
    pub a: String,
    pub b: String,
    pub replications: u32,
    pub seed: Option<u64>,
    pub threads: usize,
    pub json: bool,
    pub all: bool,
    pub out: Option<PathBuf>,
}

pub fn run(args: CompareArgs) -> Result<i32, String> {
    if args.replications < 2 {
        return Err("--replications must be at least 2 (an interval needs two runs)".into());
    }
    if let Some(dir) = &args.out
        && let Some(f) = ["summary.csv", "runs.jsonl"]
            .iter()
            .find(|f| dir.join(f).exists())
    {
        // Its report.html would be that run's or sweep's page, beside
        // compare.json.
        return Err(format!(
            "{}: holds a run's or a sweep's results ({f}); give `compare --out` a directory of its own (nothing was run)",
            dir.display()
        ));
    }
    let (a, b) = (side(&args.a)?, side(&args.b)?);
    // Seeds and replications for replicated sides.
    let sweep_side = [&a, &b].into_iter().find_map(|s| match s {
        Side::Point {
            runs, point, seed, ..
        } => Some((
            *seed,
            runs.iter().filter(|r| r.point == *point).count() as u32,
        )),
        Side::Scenario { .. } => None,
    });
    let (seed, reps) = match (args.seed, sweep_side) {
        (Some(s), _) => (s, args.replications),
        (None, Some((s, n))) => (s, n.max(2)),
        (None, None) => match &a {
            Side::Scenario { seed, .. } => (*seed, args.replications),
            Side::Point { .. } => unreachable!("a sweep side was found above"),
        },
    };
    let depth = label_depth(a.path(), b.path());
    let (sa, broken_a) = sample(&a, seed, reps, args.threads, depth)?;
    let (sb, broken_b) = sample(&b, seed, reps, args.threads, depth)?;
    let mut c = compare(&sa, &sb);
    (c.a_arg, c.b_arg) = (Some(args.a.clone()), Some(args.b.clone()));
    if let Some(dir) = &args.out {
        write(dir, &c)?;
    }
    if args.json {
        println!("{}", serde_json::to_string(&c).map_err(|e| e.to_string())?);
    } else {
        print_table(&c, args.all);
        if let Some(dir) = &args.out {
            println!("tables in {}", dir.display());
        }
    }
    if broken_a + broken_b > 0 {
        eprintln!(
            "parksim: runs that broke conservation or did not reconcile: {broken_a} of A's, {broken_b} of B's"
        );
        return Ok(3);
    }
    Ok(0)
}

/// Reads one side's argument.
fn side(arg: &str) -> Result<Side, String> {
    let (path, sel) = match arg.rsplit_once('@') {
        Some((p, s)) if Path::new(p).join("runs.jsonl").exists() => (p, Some(s)),
        _ => (arg, None),
    };
    let path = Path::new(path);
    if path.join("runs.jsonl").exists() {
        let runs = read_merge(&[path.to_path_buf()])?;
        let point = select(path, &runs, sel)?;
        let seed = seed_of_sweep(path)?;
        return Ok(Side::Point {
            dir: path.to_path_buf(),
            runs,
            point,
            seed,
        });
    }
    let file = if path.is_dir() {
        path.join("scenario.toml")
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file).map_err(|e| {
        format!(
            "{arg}: neither a sweep directory (runs.jsonl), a run directory (scenario.toml) nor a scenario file: {e}"
        )
    })?;
    let scn = Scenario::from_toml(&text).map_err(|errs| {
        let all: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        format!("{}: {}", file.display(), all.join("; "))
    })?;
    Ok(Side::Scenario {
        name: scn.name,
        path: path.to_path_buf(),
        seed: scn.seed,
        text,
    })
}

/// A side's path in its label: its last `depth` components (`runs/a/` is
/// `a`, `x/h.toml` is `h.toml`), so labels, and the page that shows them,
/// name no directory of the machine; `compare.json` keeps the argument
/// whole.
fn shown(path: &Path, depth: usize) -> String {
    let parts: Vec<_> = path
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(p) => Some(p.to_string_lossy()),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        return path.display().to_string();
    }
    parts[parts.len().saturating_sub(depth)..].join("/")
}

/// How many trailing components tell the two sides' paths apart (`old/out`
/// and `new/out` need two); 1 when the last ones differ or nothing does.
fn label_depth(a: &Path, b: &Path) -> usize {
    let most = a.components().count().max(b.components().count());
    (1..=most)
        .find(|&d| shown(a, d) != shown(b, d))
        .unwrap_or(1)
}

/// The sweep seed recorded in a sweep directory's `sweep.toml`.
fn seed_of_sweep(dir: &Path) -> Result<u64, String> {
    let path = dir.join("sweep.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Sweep::from_toml(&text, dir)
        .map(|s| s.seed)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The grid point `sel` names (an index or `key=value,…`), or the only one.
fn select(dir: &Path, runs: &[RunRecord], sel: Option<&str>) -> Result<usize, String> {
    let mut points: Vec<(usize, String)> = runs
        .iter()
        .map(|r| {
            let g: Vec<String> = r.grid.iter().map(|(k, v)| format!("{k}={v}")).collect();
            (r.point, g.join(","))
        })
        .collect();
    points.dedup();
    let listing = || {
        points
            .iter()
            .map(|(p, g)| format!("  {}@{p}  {g}", dir.display()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let found = match sel {
        None if points.len() == 1 => Some(points[0].0),
        None => None,
        Some(s) => match s.parse::<usize>() {
            Ok(p) => points.iter().find(|(q, _)| *q == p).map(|(q, _)| *q),
            Err(_) => {
                let want: Vec<String> = s.split(',').map(|x| x.trim().replace(' ', "")).collect();
                let hits: Vec<usize> = points
                    .iter()
                    .filter(|(_, g)| {
                        let have: Vec<String> = g.split(',').map(|x| x.replace(' ', "")).collect();
                        want.iter().all(|w| have.contains(w))
                    })
                    .map(|(p, _)| *p)
                    .collect();
                (hits.len() == 1).then(|| hits[0])
            }
        },
    };
    found.ok_or_else(|| {
        format!(
            "{}: name one grid point{}; the sweep has:\n{}",
            dir.display(),
            sel.map_or(String::new(), |s| format!(" (`{s}` names none or several)")),
            listing()
        )
    })
}

/// A side's runs, and how many of them failed their checks
/// ([`parksim::sim::summary::failed_checks`]).
fn sample(
    side: &Side,
    seed: u64,
    reps: u32,
    threads: usize,
    depth: usize,
) -> Result<(Sample, usize), String> {
    match side {
        Side::Point {
            dir, runs, point, ..
        } => {
            let mine: Vec<(u64, parksim::sim::run::Summary)> = runs
                .iter()
                .filter(|r| r.point == *point)
                .map(|r| (r.seed, r.summary.clone()))
                .collect();
            let grid = runs
                .iter()
                .find(|r| r.point == *point)
                .map(|r| {
                    r.grid
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            Ok((
                Sample::of(
                    format!("{} point {point}: {grid}", shown(dir, depth)),
                    &mine,
                ),
                failed_checks(mine.iter().map(|m| &m.1)),
            ))
        }
        Side::Scenario {
            name, path, text, ..
        } => {
            let label = format!("{name} ({})", shown(path, depth));
            let sweep = Sweep::replications_of(text.clone(), reps, seed);
            let runs = run_sweep(&sweep, threads, None, &|_, _| {}).map_err(|e| e.to_string())?;
            let mine: Vec<(u64, parksim::sim::run::Summary)> =
                runs.into_iter().map(|r| (r.seed, r.summary)).collect();
            Ok((
                Sample::of(format!("{label}, {reps} replications"), &mine),
                failed_checks(mine.iter().map(|m| &m.1)),
            ))
        }
    }
}

fn print_table(c: &Comparison, all: bool) {
    println!("A: {} ({} runs)", c.a, c.a_runs);
    println!("B: {} ({} runs)", c.b, c.b_runs);
    println!(
        "{}",
        if c.paired {
            "paired by seed (common random numbers): B − A per seed, Student's t 95 % CI"
        } else {
            "not paired (the seeds differ): Welch's 95 % CI of mean(B) − mean(A)"
        }
    );
    println!(
        "{:<52} {:>10} {:>10} {:>10} {:>24}  differs",
        "metric [unit]", "A", "B", "B − A", "95 % CI of B − A"
    );
    let rows: Vec<(&str, &str)> = if all {
        c.metrics
            .iter()
            .map(|m| (m.metric.as_str(), m.metric.as_str()))
            .collect()
    } else {
        headline::RUN.to_vec()
    };
    for (key, name) in rows {
        let Some(m) = c.get(key) else { continue };
        let u = unit(Table::Summary, key);
        let d = &m.diff;
        let signed = |x: Option<f64>| match x {
            Some(v) if v > 0.0 => format!("+{}", u.number(x)),
            _ => u.number(x),
        };
        let ci = match (d.ci_low, d.ci_high) {
            (None, None) => "n/a".into(),
            (lo, hi) => format!("[{}, {}]", signed(lo), signed(hi)),
        };
        let label = match (u, u.label()) {
            (Unit::Share, _) => format!("{name} [%, diff pp]"),
            (_, "") => name.to_string(),
            (_, l) => format!("{name} [{l}]"),
        };
        println!(
            "{:<52} {:>10} {:>10} {:>10} {:>24}  {}",
            label,
            u.number(m.a.mean),
            u.number(m.b.mean),
            signed(d.mean),
            ci,
            match d.differs {
                Some(true) => "yes",
                Some(false) => "no",
                None => "n/a",
            }
        );
    }
}

/// A CSV field (RFC 4180): quoted, its quotes doubled, when it holds a
/// comma, a quote or a line break (a metric named after an entrance
/// carries the entrance's name).
fn csv_text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

/// `compare.json` (the whole comparison), `compare.csv` (a row per
/// metric) and `report.html` (the page of both) in `dir`.
fn write(dir: &Path, c: &Comparison) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let json = serde_json::to_string_pretty(c).map_err(|e| e.to_string())?;
    let path = dir.join("compare.json");
    std::fs::write(&path, json + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    let cell = |x: Option<f64>| x.map_or(String::new(), |v| v.to_string());
    let mut csv = String::from(
        "metric,a_n,a_mean,a_ci_low,a_ci_high,b_n,b_mean,b_ci_low,b_ci_high,diff_n,diff_mean,diff_ci_low,diff_ci_high,differs,paired\n",
    );
    for m in &c.metrics {
        csv += &format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            csv_text(&m.metric),
            m.a.n,
            cell(m.a.mean),
            cell(m.a.ci_low),
            cell(m.a.ci_high),
            m.b.n,
            cell(m.b.mean),
            cell(m.b.ci_low),
            cell(m.b.ci_high),
            m.diff.n,
            cell(m.diff.mean),
            cell(m.diff.ci_low),
            cell(m.diff.ci_high),
            m.diff.differs.map_or(String::new(), |d| d.to_string()),
            c.paired
        );
    }
    let path = dir.join("compare.csv");
    std::fs::write(&path, csv).map_err(|e| format!("{}: {e}", path.display()))?;
    parksim::report::write(dir, None, None)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::{label_depth, shown};
    use std::path::Path;

    #[test]
    fn labels_name_as_few_components_as_tell_the_sides_apart() {
        let p = Path::new;
        assert_eq!(shown(p("/home/a/runs/x/"), 1), "x");
        assert_eq!(shown(p("x/h.toml"), 1), "h.toml");
        assert_eq!(shown(p("/home/a/runs/x"), 2), "runs/x");
        assert_eq!(shown(p("h.toml"), 3), "h.toml");
        assert_eq!(shown(p("."), 1), ".");
        // Last components differ: one is enough.
        assert_eq!(label_depth(p("/a/run1"), p("/a/run2")), 1);
        // `old/out` and `new/out`: two.
        let (a, b) = (p("/home/u/old/out"), p("/home/u/new/out"));
        let d = label_depth(a, b);
        assert_eq!(
            (d, shown(a, d), shown(b, d)),
            (2, "old/out".into(), "new/out".into())
        );
        // The same path twice: nothing tells them apart, one component.
        assert_eq!(label_depth(p("/x/y/out"), p("/x/y/out")), 1);
        // Different depths: `a/out` against `b/c/out`.
        assert_eq!(label_depth(p("a/out"), p("b/c/out")), 2);
    }
}
