//! A sweep's files:
//!
//! - `runs.jsonl` — one [`RunRecord`] per line, lossless: what `merge`
//!   reads, byte-identical whether the sweep ran whole or in shards;
//! - `runs.{csv,parquet}` — one row per run: index, point, replication,
//!   `seed` (as text: a 64-bit seed does not survive a float), the grid
//!   values, every key of the run's summary;
//! - `summary.{csv,parquet}` — one row per grid point: `point`, `runs`, the
//!   grid values, then per metric `_mean`, `_sd`, `_ci_low`, `_ci_high`
//!   and `_n` (the runs in which it was defined), as [`super::stats`]
//!   defines them; an undefined value is `null` (an empty CSV cell);
//! - `sweep.toml` — the expanded sweep, its base scenario inlined
//!   ([`Sweep::expanded_toml`]): `parksim sweep sweep.toml` runs it again;
//! - `provenance.json` — parksim's version and git revision, the sweep's
//!   fingerprint, the shard and its run count.
//!
//! [`prepare_out`] checks an output directory before anything runs.

use super::stats::Stat;

/// The columns of a metric `M` in `summary.{csv,parquet}`: `M` and each
/// suffix, in this order.
pub const SUMMARY_SUFFIXES: [&str; 5] = ["_mean", "_sd", "_ci_low", "_ci_high", "_n"];
use super::{PointStats, RunRecord, Shard, Sweep, point_stats};
use crate::sim::tables::flatten;
use polars::prelude::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// parksim's version (Cargo.toml).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git commit parksim was built from ("unknown" when built outside a
/// git checkout).
pub const GIT_REVISION: &str = match option_env!("PARKSIM_GIT_REV") {
    Some(r) => r,
    None => "unknown",
};

/// Files a sweep, a merge or a run writes into its directory.
const RESULT_FILES: [&str; 12] = [
    "runs.jsonl",
    "runs.csv",
    "runs.parquet",
    "summary.csv",
    "summary.parquet",
    "sweep.toml",
    "provenance.json",
    "series.csv",
    "series.parquet",
    "hourly.csv",
    "hourly.parquet",
    "scenario.toml",
];

/// Columns from rows of (name, value). The columns are every name of
/// every row, in order of first appearance; a name a row lacks is null
/// there. Types by the non-null values: all booleans → boolean, all whole
/// numbers ≥ 0 → u64, all numbers → f64, otherwise text; nothing but
/// nulls → f64.
fn frame(rows: &[Vec<(String, Value)>]) -> PolarsResult<DataFrame> {
    if rows.is_empty() {
        return Ok(DataFrame::empty());
    }
    let mut names: Vec<&str> = Vec::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for r in rows {
        for (k, _) in r {
            if seen.insert(k) {
                names.push(k);
            }
        }
    }
    let maps: Vec<HashMap<&str, &Value>> = rows
        .iter()
        .map(|r| r.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .collect();
    let mut cols = Vec::with_capacity(names.len());
    for name in names {
        let vals: Vec<&Value> = maps
            .iter()
            .map(|m| m.get(name).copied().unwrap_or(&Value::Null))
            .collect();
        let present = || vals.iter().filter(|v| !v.is_null());
        let col = if present().count() > 0 && present().all(|v| v.is_boolean()) {
            Column::new(
                name.into(),
                vals.iter().map(|v| v.as_bool()).collect::<Vec<_>>(),
            )
        } else if present().count() > 0 && present().all(|v| v.as_u64().is_some()) {
            Column::new(
                name.into(),
                vals.iter().map(|v| v.as_u64()).collect::<Vec<_>>(),
            )
        } else if present().all(|v| v.is_number()) {
            Column::new(
                name.into(),
                vals.iter()
                    .map(|v| v.as_f64().or_else(|| v.to_string().parse().ok()))
                    .collect::<Vec<Option<f64>>>(),
            )
        } else {
            Column::new(
                name.into(),
                vals.iter()
                    .map(|v| match v {
                        Value::Null => None,
                        Value::String(s) => Some(s.clone()),
                        other => Some(other.to_string()),
                    })
                    .collect::<Vec<Option<String>>>(),
            )
        };
        cols.push(col);
    }
    DataFrame::new_infer_height(cols)
}

/// Writes `df` as `dir/stem.csv` and `dir/stem.parquet`; `quote_text`
/// quotes every text field of the CSV (a 64-bit seed stays exact).
fn write_tables(
    dir: &Path,
    stem: &str,
    df: &mut DataFrame,
    quote_text: bool,
) -> Result<(), String> {
    let style = if quote_text {
        QuoteStyle::NonNumeric
    } else {
        QuoteStyle::Necessary
    };
    crate::sim::tables::write_both_quoted(dir, stem, df, style)
}

/// A grid value's text as a column value: a number stays a number.
fn grid_value(text: &str) -> Value {
    if let Ok(i) = text.parse::<u64>() {
        return Value::from(i);
    }
    match text
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
    {
        Some(n) => Value::Number(n),
        None => Value::String(text.trim_matches('"').to_string()),
    }
}

/// One runs-table row.
pub fn run_row(r: &RunRecord) -> Vec<(String, Value)> {
    let mut row = vec![
        ("run".to_string(), Value::from(r.run as u64)),
        ("point".to_string(), Value::from(r.point as u64)),
        ("replication".to_string(), Value::from(r.replication)),
        ("seed".to_string(), Value::String(r.seed.to_string())),
    ];
    for (k, v) in &r.grid {
        row.push((k.clone(), grid_value(v)));
    }
    // A grid key that is also a summary column (`days`) appears once; the
    // summary's own `seed` is the run's seed, already there as text.
    let taken: BTreeSet<String> = row.iter().map(|(k, _)| k.clone()).collect();
    row.extend(
        flatten(&r.summary)
            .into_iter()
            .filter(|(k, _)| !taken.contains(k)),
    );
    row
}

/// One summary-table row.
pub fn stats_row(p: &PointStats) -> Vec<(String, Value)> {
    let f = |x: Option<f64>| {
        x.and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number)
    };
    let mut row = vec![
        ("point".to_string(), Value::from(p.point as u64)),
        ("runs".to_string(), Value::from(p.runs as u64)),
    ];
    for (k, v) in &p.grid {
        row.push((k.clone(), grid_value(v)));
    }
    for (m, s) in &p.metrics {
        let Stat {
            n,
            mean,
            sd,
            ci_low,
            ci_high,
        } = s;
        let values = [
            f(*mean),
            f(*sd),
            f(*ci_low),
            f(*ci_high),
            Value::from(*n as u64),
        ];
        for (suffix, v) in SUMMARY_SUFFIXES.iter().zip(values) {
            row.push((format!("{m}{suffix}"), v));
        }
    }
    row
}

/// Writes `runs.jsonl` and the runs and summary tables into `dir`.
pub fn write_all(dir: &Path, runs: &[RunRecord]) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join("runs.jsonl");
    let mut f = std::io::BufWriter::new(
        std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?,
    );
    for r in runs {
        let line = serde_json::to_string(r).map_err(|e| e.to_string())?;
        writeln!(f, "{line}").map_err(|e| format!("{}: {e}", path.display()))?;
    }
    f.flush().map_err(|e| format!("{}: {e}", path.display()))?;
    let rows: Vec<_> = runs.iter().map(run_row).collect();
    write_tables(
        dir,
        "runs",
        &mut frame(&rows).map_err(|e| e.to_string())?,
        true,
    )?;
    let stats: Vec<_> = point_stats(runs).iter().map(stats_row).collect();
    write_tables(
        dir,
        "summary",
        &mut frame(&stats).map_err(|e| e.to_string())?,
        false,
    )
}

/// Writes `sweep.toml` and `provenance.json` into `dir`: the sweep, and
/// which parksim ran which part of it (`shard`, `runs_here` runs).
pub fn write_provenance(
    dir: &Path,
    sweep: &Sweep,
    shard: Option<Shard>,
    runs_here: usize,
) -> Result<(), String> {
    let fp = sweep.fingerprint();
    let text = format!(
        "# The sweep whose results are in this directory, its base scenario\n\
         # inlined; `parksim sweep sweep.toml --out DIR` runs it again.\n\
         # Fingerprint (SHA-1 of what follows): {fp}\n{}",
        sweep.expanded_toml()
    );
    let path = dir.join("sweep.toml");
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut m = serde_json::Map::new();
    m.insert("parksim_version".into(), VERSION.into());
    m.insert("git_revision".into(), GIT_REVISION.into());
    m.insert("sweep_fingerprint".into(), fp.into());
    m.insert("runs_in_sweep".into(), (sweep.total() as u64).into());
    m.insert("runs_here".into(), (runs_here as u64).into());
    m.insert(
        "shard".into(),
        shard.map_or(Value::Null, |s| format!("{}/{}", s.index, s.count).into()),
    );
    let path = dir.join("provenance.json");
    let body = serde_json::to_string_pretty(&Value::Object(m)).map_err(|e| e.to_string())?;
    std::fs::write(&path, body + "\n").map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes a run's `scenario.toml` (the scenario as simulated, overrides
/// applied, every key spelled out: `parksim run --scenario` on it runs
/// the same garage again) and `provenance.json` (parksim's version and
/// revision, the scenario's name, seed, days and warm-up, where the
/// scenario came from and the overrides given).
/// Refuses a `run --out` directory that holds a sweep's results (its
/// `runs.jsonl` or `sweep.toml`): a run's tables would replace part of
/// them and leave the rest. Checked before the run.
pub fn check_run_out(dir: &Path) -> Result<(), String> {
    match ["runs.jsonl", "sweep.toml"]
        .iter()
        .find(|f| dir.join(f).exists())
    {
        Some(f) => Err(format!(
            "{}: holds a sweep's results ({f}); give `run --out` a new directory or one of an \
             earlier run (nothing was run)",
            dir.display()
        )),
        None => Ok(()),
    }
}

pub fn write_run_provenance(
    dir: &Path,
    scn: &crate::scenario::Scenario,
    source: &str,
    sets: &[String],
) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let text = toml::to_string(scn).map_err(|e| format!("scenario.toml: {e}"))?;
    let path = dir.join("scenario.toml");
    std::fs::write(
        &path,
        format!("# The scenario this run simulated, overrides applied.\n{text}"),
    )
    .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut m = serde_json::Map::new();
    m.insert("parksim_version".into(), VERSION.into());
    m.insert("git_revision".into(), GIT_REVISION.into());
    m.insert("scenario".into(), scn.name.clone().into());
    m.insert("source".into(), source.into());
    m.insert("overrides".into(), sets.to_vec().into());
    // Seeds are written as text: a u64 does not survive every JSON reader.
    m.insert("seed".into(), scn.seed.to_string().into());
    m.insert("days".into(), scn.days.into());
    m.insert("warmup_days".into(), scn.warmup_days.into());
    m.insert("stalls".into(), scn.garage.stalls.into());
    let path = dir.join("provenance.json");
    let body = serde_json::to_string_pretty(&Value::Object(m)).map_err(|e| e.to_string())?;
    std::fs::write(&path, body + "\n").map_err(|e| format!("{}: {e}", path.display()))
}

/// Why an output directory cannot take a sweep's results.
#[derive(Debug, Clone, PartialEq)]
pub enum OutError {
    /// It cannot be created or written to.
    NotWritable { dir: PathBuf, reason: String },
    /// It holds results of another sweep (`found`: that sweep's
    /// fingerprint, `None` when nothing records it).
    OtherResults { dir: PathBuf, found: Option<String> },
}

impl std::fmt::Display for OutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutError::NotWritable { dir, reason } => write!(
                f,
                "cannot write to --out {}: {reason} (nothing was run)",
                dir.display()
            ),
            OutError::OtherResults {
                dir,
                found: Some(fp),
            } => write!(
                f,
                "--out {} holds the results of another sweep (fingerprint {}, see its sweep.toml); \
                 choose an empty directory, or --force to replace them (nothing was run)",
                dir.display(),
                short(fp)
            ),
            OutError::OtherResults { dir, found: None } => write!(
                f,
                "--out {} holds results that no sweep.toml/provenance.json identifies; \
                 choose an empty directory, or --force to replace them (nothing was run)",
                dir.display()
            ),
        }
    }
}

impl std::error::Error for OutError {}

fn short(fp: &str) -> &str {
    &fp[..fp.len().min(12)]
}

/// Files a previous sweep or run drew in a directory: `*_by_*`,
/// `heatmap_*` and `nb_*` PNG and SVG files.
fn is_plot(name: &str) -> bool {
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    matches!(ext, "png" | "svg")
        && (stem.contains("_by_") || stem.starts_with("heatmap_") || stem.starts_with("nb_"))
}

/// The sweep fingerprint recorded in `dir/provenance.json`, if any.
pub fn recorded_fingerprint(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("provenance.json")).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    v.get("sweep_fingerprint")?.as_str().map(str::to_string)
}

/// Makes `dir` ready for the results of the sweep `fingerprint`, before
/// anything runs: creates it, proves a file can be written there, and
/// refuses it when it holds results of another sweep (or results nothing
/// identifies) unless `force`. Results of the same sweep (a rerun, another
/// shard) are replaced. Either way the plots of a previous sweep are
/// removed, so none outlives the tables it was drawn from.
pub fn prepare_out(dir: &Path, fingerprint: &str, force: bool) -> Result<(), OutError> {
    let not_writable = |e: std::io::Error| OutError::NotWritable {
        dir: dir.to_path_buf(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(not_writable)?;
    let probe = dir.join(format!(".parksim-write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"probe").map_err(not_writable)?;
    std::fs::remove_file(&probe).map_err(not_writable)?;
    let has_results = RESULT_FILES.iter().any(|f| dir.join(f).exists());
    if has_results && !force {
        match recorded_fingerprint(dir) {
            Some(fp) if fp == fingerprint => {}
            found => {
                return Err(OutError::OtherResults {
                    dir: dir.to_path_buf(),
                    found,
                });
            }
        }
    }
    // Plots are removed only beside results they were drawn from: a
    // directory without results keeps every file, whatever its name.
    let entries = std::fs::read_dir(dir).map_err(not_writable)?;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if (has_results && is_plot(&name)) || (force && RESULT_FILES.contains(&name.as_str())) {
            std::fs::remove_file(e.path()).map_err(not_writable)?;
        }
    }
    Ok(())
}

/// Writes rows of (column, value) to `path`: JSON (an array of objects,
/// `null` where undefined) when it ends in `.json`, else CSV (empty where
/// undefined).
pub fn write_rows(path: &Path, rows: &[Vec<(String, Value)>]) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    if path.extension().is_some_and(|e| e == "json") {
        // Objects in column order (a serde_json map would sort them).
        let body: Vec<String> = rows
            .iter()
            .map(|r| {
                let fields: Vec<String> = r
                    .iter()
                    .map(|(k, v)| format!("{}: {v}", Value::String(k.clone())))
                    .collect();
                format!("  {{{}}}", fields.join(", "))
            })
            .collect();
        return std::fs::write(path, format!("[\n{}\n]\n", body.join(",\n"))).map_err(|e| err(&e));
    }
    let mut df = frame(rows).map_err(|e| err(&e))?;
    let f = std::fs::File::create(path).map_err(|e| err(&e))?;
    CsvWriter::new(f).finish(&mut df).map_err(|e| err(&e))
}

/// The sweep recorded in `dir/sweep.toml`, if there is one and it reads.
pub fn recorded_sweep(dir: &Path) -> Option<Sweep> {
    let text = std::fs::read_to_string(dir.join("sweep.toml")).ok()?;
    Sweep::from_toml(&text, dir).ok()
}

/// Reads `runs.jsonl` of each directory; checks that every run belongs to
/// one sweep (one fingerprint, and that of the directories' `sweep.toml`
/// where present) and that together they hold runs 0..n exactly once (n
/// from `sweep.toml` when present, else up to the highest run found);
/// returns the runs in index order.
pub fn read_merge(dirs: &[PathBuf]) -> Result<Vec<RunRecord>, String> {
    let mut all: BTreeMap<usize, (RunRecord, usize)> = BTreeMap::new();
    // Fingerprint → the directories holding runs of it, and a few runs.
    let mut sweeps: BTreeMap<String, Vec<(usize, Vec<usize>)>> = BTreeMap::new();
    let mut duplicate: Option<(usize, usize, usize)> = None;
    for (d, dir) in dirs.iter().enumerate() {
        let path = dir.join("runs.jsonl");
        let f = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        for (n, line) in std::io::BufReader::new(f).lines().enumerate() {
            let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
            if line.trim().is_empty() {
                continue;
            }
            let r: RunRecord = serde_json::from_str(&line)
                .map_err(|e| format!("{} line {}: {e}", path.display(), n + 1))?;
            let by_dir = sweeps.entry(r.sweep.clone()).or_default();
            match by_dir.iter_mut().find(|(i, _)| *i == d) {
                Some((_, runs)) => runs.push(r.run),
                None => by_dir.push((d, vec![r.run])),
            }
            let run = r.run;
            if let Some((_, first)) = all.insert(run, (r, d)) {
                duplicate.get_or_insert((run, first, d));
            }
        }
    }
    if all.is_empty() {
        return Err(format!(
            "no runs in the runs.jsonl of {}: nothing to merge",
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if sweeps.len() > 1 {
        let parts: Vec<String> = sweeps
            .iter()
            .map(|(fp, ds)| {
                let fp = if fp.is_empty() {
                    "none recorded"
                } else {
                    short(fp)
                };
                let where_: Vec<String> = ds
                    .iter()
                    .map(|(d, runs)| {
                        let some: Vec<String> =
                            runs.iter().take(3).map(|r| r.to_string()).collect();
                        let more = if runs.len() > 3 { ", …" } else { "" };
                        format!("{} (runs {}{more})", dirs[*d].display(), some.join(", "))
                    })
                    .collect();
                format!("sweep {fp}: {}", where_.join(", "))
            })
            .collect();
        return Err(format!(
            "these directories hold runs of {} different sweeps (different sweep files, seeds, \
             values or base scenarios), which cannot be merged: {}. Merge only the shards of \
             one sweep; each directory's sweep.toml shows the sweep it ran",
            sweeps.len(),
            parts.join("; ")
        ));
    }
    let fingerprint = sweeps.keys().next().cloned().unwrap_or_default();
    let mut total = None;
    for dir in dirs {
        if let Some(s) = recorded_sweep(dir) {
            let fp = s.fingerprint();
            if !fingerprint.is_empty() && fp != fingerprint {
                return Err(format!(
                    "{}: sweep.toml is sweep {} but its runs.jsonl holds runs of sweep {}; \
                     the directory mixes two sweeps",
                    dir.display(),
                    short(&fp),
                    short(&fingerprint)
                ));
            }
            total = Some(s.total());
        }
    }
    if let Some((run, a, b)) = duplicate {
        return Err(if a == b {
            format!("run {run} appears twice in {}", dirs[a].display())
        } else {
            format!(
                "run {run} appears in both {} and {} (the same shard given twice?)",
                dirs[a].display(),
                dirs[b].display()
            )
        });
    }
    let last = match (total, all.keys().next_back()) {
        (Some(t), _) => t.checked_sub(1),
        (None, Some(&l)) => Some(l),
        (None, None) => None,
    };
    if let Some(last) = last {
        if let Some(&beyond) = all.keys().find(|&&k| k > last) {
            return Err(format!(
                "run {beyond} is beyond the sweep's {} runs",
                last + 1
            ));
        }
        if all.len() != last + 1 {
            let missing: Vec<String> = (0..=last)
                .filter(|i| !all.contains_key(i))
                .take(10)
                .map(|i| i.to_string())
                .collect();
            return Err(format!(
                "runs missing: {}{} (of 0..={last}); is a shard left out?",
                missing.join(", "),
                if last + 1 - all.len() > missing.len() {
                    ", …"
                } else {
                    ""
                }
            ));
        }
    }
    Ok(all.into_values().map(|(r, _)| r).collect())
}

/// The sweep the merged directories ran (from the first `sweep.toml`
/// that reads), to write the merge's own provenance.
pub fn merged_sweep(dirs: &[PathBuf]) -> Option<Sweep> {
    dirs.iter().find_map(|d| recorded_sweep(d))
}
