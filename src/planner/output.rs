//! A sweep's files: `runs.jsonl` (lossless, what `merge` reads),
//! `runs.{csv,parquet}` (one row per run: index, grid values, seed, every
//! summary metric), `summary.{csv,parquet}` (one row per grid point: mean,
//! sd and 95 % CI of the key metrics).

use super::{PointStats, RunRecord, point_stats};
use crate::sim::tables::{flatten, write_both as csv_and_parquet};
use polars::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::Path;

/// Columns from rows of (name, value): numbers as f64 (u64 when every
/// value is a whole number), booleans, text.
fn frame(rows: &[Vec<(String, Value)>]) -> PolarsResult<DataFrame> {
    let Some(first) = rows.first() else {
        return Ok(DataFrame::empty());
    };
    let mut cols = Vec::new();
    for (j, (name, v0)) in first.iter().enumerate() {
        let vals: Vec<&Value> = rows.iter().map(|r| &r[j].1).collect();
        let col = match v0 {
            Value::Bool(_) => Column::new(
                name.into(),
                vals.iter().map(|v| v.as_bool()).collect::<Vec<_>>(),
            ),
            Value::Number(_) if vals.iter().all(|v| v.as_u64().is_some()) => Column::new(
                name.into(),
                vals.iter().map(|v| v.as_u64()).collect::<Vec<_>>(),
            ),
            Value::Number(_) => Column::new(
                name.into(),
                vals.iter()
                    .map(|v| v.as_f64().or_else(|| v.to_string().parse().ok()))
                    .collect::<Vec<Option<f64>>>(),
            ),
            _ => Column::new(
                name.into(),
                vals.iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .collect::<Vec<_>>(),
            ),
        };
        cols.push(col);
    }
    DataFrame::new_infer_height(cols)
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
    // A grid key that is also a summary column (`days`) appears once.
    let taken: std::collections::BTreeSet<String> = row.iter().map(|(k, _)| k.clone()).collect();
    row.extend(
        flatten(&r.summary)
            .into_iter()
            .filter(|(k, _)| !taken.contains(k)),
    );
    row
}

/// One summary-table row.
pub fn stats_row(p: &PointStats) -> Vec<(String, Value)> {
    let f = |x: f64| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number);
    let mut row = vec![
        ("point".to_string(), Value::from(p.point as u64)),
        ("runs".to_string(), Value::from(p.runs as u64)),
    ];
    for (k, v) in &p.grid {
        row.push((k.clone(), grid_value(v)));
    }
    for (m, mean, sd, h) in &p.metrics {
        row.push((format!("{m}_mean"), f(*mean)));
        row.push((format!("{m}_sd"), f(*sd)));
        row.push((format!("{m}_ci_low"), f(mean - h)));
        row.push((format!("{m}_ci_high"), f(mean + h)));
    }
    row
}

/// Writes every file of a sweep (or shard) into `dir`.
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
    f.flush().map_err(|e| e.to_string())?;
    let rows: Vec<_> = runs.iter().map(run_row).collect();
    csv_and_parquet(dir, "runs", &mut frame(&rows).map_err(|e| e.to_string())?)?;
    let stats: Vec<_> = point_stats(runs).iter().map(stats_row).collect();
    csv_and_parquet(
        dir,
        "summary",
        &mut frame(&stats).map_err(|e| e.to_string())?,
    )
}

/// Reads `runs.jsonl` of each directory, checks that together they hold
/// runs 0..n exactly once, and returns them in index order.
pub fn read_merge(dirs: &[std::path::PathBuf]) -> Result<Vec<RunRecord>, String> {
    let mut all: BTreeMap<usize, RunRecord> = BTreeMap::new();
    for d in dirs {
        let path = d.join("runs.jsonl");
        let f = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        for (n, line) in std::io::BufReader::new(f).lines().enumerate() {
            let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
            let r: RunRecord = serde_json::from_str(&line)
                .map_err(|e| format!("{} line {}: {e}", path.display(), n + 1))?;
            if let Some(prev) = all.insert(r.run, r) {
                return Err(format!(
                    "run {} appears twice ({})",
                    prev.run,
                    path.display()
                ));
            }
        }
    }
    let expected = all.len();
    if let Some((&last, _)) = all.iter().next_back()
        && last + 1 != expected
    {
        let missing: Vec<String> = (0..=last)
            .filter(|i| !all.contains_key(i))
            .take(10)
            .map(|i| i.to_string())
            .collect();
        return Err(format!(
            "runs missing: {} (of 0..={last})",
            missing.join(", ")
        ));
    }
    Ok(all.into_values().collect())
}
