//! What a report reads from a result directory. A directory whose
//! `summary.csv` has `point` and `runs` columns is a sweep's (`parksim
//! sweep`, a shard of one, or `parksim merge`); any other `summary.csv` is
//! a run's (`parksim run --out`).

use super::ReportError;
use super::csv::Csv;
use super::plots::{Plot, read_plots};
use super::points::{SweepPoint, read_points};
use crate::planner::Sweep;
use crate::planner::output::recorded_sweep;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A run directory's files.
#[derive(Debug, Clone)]
pub struct RunFiles {
    /// The one-row summary.
    pub summary: Csv,
    /// `hourly.csv`, when there.
    pub hourly: Option<Csv>,
    /// `scenario.toml`, when there.
    pub scenario_toml: Option<String>,
    pub provenance: Option<Map<String, Value>>,
    pub plots: Vec<Plot>,
}

/// A sweep directory's files.
#[derive(Debug, Clone)]
pub struct SweepFiles {
    pub points: Vec<SweepPoint>,
    /// Every metric of `summary.csv`, in column order.
    pub metrics: Vec<String>,
    /// `sweep.toml`, read, when there and readable.
    pub sweep: Option<Sweep>,
    /// `sweep.toml`'s text, when there.
    pub sweep_toml: Option<String>,
    pub provenance: Option<Map<String, Value>>,
    /// From `runs.csv`: (runs, runs that broke conservation or did not
    /// reconcile), when there.
    pub checks: Option<(usize, usize)>,
    pub plots: Vec<Plot>,
}

/// A result directory's files.
#[derive(Debug, Clone)]
pub enum Files {
    Run(RunFiles),
    Sweep(SweepFiles),
}

fn read_text(path: &Path) -> Result<Option<String>, ReportError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ReportError::Read {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }),
    }
}

fn bad(path: PathBuf, reason: String) -> ReportError {
    ReportError::BadFile { path, reason }
}

fn read_csv(path: &Path) -> Result<Option<Csv>, ReportError> {
    read_text(path)?
        .map(|t| Csv::parse(&t).map_err(|e| bad(path.to_path_buf(), e)))
        .transpose()
}

fn read_provenance(dir: &Path) -> Result<Option<Map<String, Value>>, ReportError> {
    let path = dir.join("provenance.json");
    let Some(text) = read_text(&path)? else {
        return Ok(None);
    };
    match serde_json::from_str(&text) {
        Ok(Value::Object(m)) => Ok(Some(m)),
        Ok(_) => Err(bad(path, "not a JSON object".into())),
        Err(e) => Err(bad(path, e.to_string())),
    }
}

/// (runs, runs with `conservation_ok` or `reconciled` false) of `runs.csv`.
fn run_checks(t: &Csv) -> (usize, usize) {
    let broken = (0..t.rows.len())
        .filter(|&r| {
            ["conservation_ok", "reconciled"]
                .iter()
                .any(|c| t.get(r, c) == Some("false"))
        })
        .count();
    (t.rows.len(), broken)
}

impl Files {
    /// Reads `dir`.
    pub fn read(dir: &Path) -> Result<Files, ReportError> {
        let summary_path = dir.join("summary.csv");
        let Some(summary) = read_csv(&summary_path)? else {
            return Err(ReportError::NotResults {
                dir: dir.to_path_buf(),
            });
        };
        let provenance = read_provenance(dir)?;
        let plots = read_plots(dir).map_err(|e| ReportError::Read {
            path: dir.to_path_buf(),
            reason: e,
        })?;
        if summary.column("point").is_some() && summary.column("runs").is_some() {
            let points = read_points(&summary).map_err(|e| bad(summary_path, e))?;
            let sweep_toml = read_text(&dir.join("sweep.toml"))?;
            Ok(Files::Sweep(SweepFiles {
                points,
                metrics: super::points::metric_names(&summary),
                sweep: sweep_toml.as_ref().and_then(|_| recorded_sweep(dir)),
                sweep_toml,
                provenance,
                checks: read_csv(&dir.join("runs.csv"))?.map(|t| run_checks(&t)),
                plots,
            }))
        } else {
            if summary.rows.len() != 1 {
                return Err(bad(
                    summary_path,
                    format!(
                        "{} rows: a run's summary has one, a sweep's has `point` and `runs` columns",
                        summary.rows.len()
                    ),
                ));
            }
            Ok(Files::Run(RunFiles {
                summary,
                hourly: read_csv(&dir.join("hourly.csv"))?,
                scenario_toml: read_text(&dir.join("scenario.toml"))?,
                provenance,
                plots,
            }))
        }
    }
}
