//! `parksim report DIR`: one self-contained HTML page of a result
//! directory, to share.
//!
//! A run's directory (`parksim run --out DIR`) gives its scenario, its
//! provenance, the headline metrics with units, the hour-of-day table and
//! the plots; a sweep's (`parksim sweep`, a shard, `parksim merge`) gives
//! the grid, the provenance, the grid points whose 95 % CIs meet the
//! targets ([`targets`]), the headline metrics with their CIs per point
//! and the plots. Both end with every figure of `summary.csv`. A
//! comparison's directory (`parksim compare A B --out DIR`:
//! `compare.json`) gives the two sides, how their runs were paired and
//! B − A with its 95 % CI per metric.
//!
//! # Self-contained
//! One file: the style inline, every plot (the directory's `*.svg`,
//! [`plots`]) embedded, no script, and a Content-Security-Policy that
//! forbids fetching anything. Text from the directory's files is escaped
//! on its way into the page ([`html::Html`]). An undefined value (an empty
//! cell) is shown as `n/a`, never as 0 or NaN.
//!
//! # Deterministic
//! The page is a function of the directory's files and the targets: no
//! date, no path of the machine it was written on.

pub mod compare_page;
pub mod csv;
pub mod headline;
pub mod html;
pub mod input;
pub mod page;
pub mod plots;
pub mod points;
pub mod provenance;
pub mod run_page;
pub mod sweep_page;
pub mod targets;
pub mod units;

use crate::planner::plan::Target;
use input::Files;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why a report could not be made.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportError {
    /// The directory has no `summary.csv`.
    NotResults { dir: PathBuf },
    /// A file could not be read.
    Read { path: PathBuf, reason: String },
    /// A file does not read as what it should be.
    BadFile { path: PathBuf, reason: String },
    /// The page could not be written.
    Write { path: PathBuf, reason: String },
    /// A target names a metric the directory's `summary.csv` lacks, or
    /// targets were given for a directory that is not a sweep's.
    BadTarget { reason: String },
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportError::NotResults { dir } => write!(
                f,
                "{}: no summary.csv; give the --out directory of `parksim run`, `sweep` or `merge`",
                dir.display()
            ),
            ReportError::Read { path, reason } => {
                write!(f, "cannot read {}: {reason}", path.display())
            }
            ReportError::BadFile { path, reason } => write!(f, "{}: {reason}", path.display()),
            ReportError::Write { path, reason } => {
                write!(f, "cannot write {}: {reason}", path.display())
            }
            ReportError::BadTarget { reason } => f.write_str(reason),
        }
    }
}

impl std::error::Error for ReportError {}

/// The report's file name in a result directory.
pub const FILE_NAME: &str = "report.html";

/// The page of `dir`. `targets`: those a sweep's points are judged by
/// (`None` or none: [`targets::DEFAULT_TARGETS`]); each must name a
/// metric of the sweep's `summary.csv`. A run's or a comparison's
/// directory takes no targets.
pub fn build(dir: &Path, targets: Option<&[Target]>) -> Result<String, ReportError> {
    let given = targets.filter(|t| !t.is_empty());
    let cmp = dir.join(compare_page::FILE_NAME);
    if cmp.exists() && !dir.join("summary.csv").exists() {
        if given.is_some() {
            return Err(not_a_sweep(dir, "a comparison's"));
        }
        let text = std::fs::read_to_string(&cmp).map_err(|e| ReportError::Read {
            path: cmp.clone(),
            reason: e.to_string(),
        })?;
        let c = serde_json::from_str(&text).map_err(|e| ReportError::BadFile {
            path: cmp.clone(),
            reason: e.to_string(),
        })?;
        return Ok(compare_page::page(&c).render());
    }
    let page = match Files::read(dir)? {
        Files::Run(_) if given.is_some() => return Err(not_a_sweep(dir, "a run's")),
        Files::Run(f) => run_page::page(&f),
        Files::Sweep(f) => match given {
            Some(ts) => {
                known_metrics(ts, &f.metrics)?;
                sweep_page::page(&f, ts, false)
            }
            None => sweep_page::page(&f, &targets::default_targets(), true),
        },
    };
    Ok(page.render())
}

fn not_a_sweep(dir: &Path, what: &str) -> ReportError {
    ReportError::BadTarget {
        reason: format!(
            "{}: --target judges a sweep's grid points, and this is {what} directory",
            dir.display()
        ),
    }
}

/// Every target names a metric of the sweep's `summary.csv` (a `<m>` with
/// `<m>_mean` and `<m>_ci_low` columns): a misspelt metric is an error,
/// not a page where nothing meets it.
fn known_metrics(targets: &[Target], metrics: &[String]) -> Result<(), ReportError> {
    for t in targets {
        if metrics.contains(&t.metric) {
            continue;
        }
        // A column's name copied from the header: name its metric.
        let column_of = crate::planner::output::SUMMARY_SUFFIXES
            .iter()
            .find_map(|s| t.metric.strip_suffix(s).map(|m| (m, *s)))
            .filter(|(m, _)| metrics.iter().any(|k| k == m));
        let hint = match column_of {
            Some((m, "_sd" | "_n")) => format!(
                "; `{}` is a column of metric `{m}`, and a target judges the 95 % CI of a metric's mean: write it as {m}{}VALUE",
                t.metric,
                t.op()
            ),
            Some((m, _)) => format!(
                "; `{}` is a column of metric `{m}`: write the target as {}",
                t.metric,
                Target {
                    metric: m.to_string(),
                    ..t.clone()
                }
            ),
            None => t.near_metrics(
                metrics.iter().map(String::as_str),
                " (docs/METRICS.md lists the metrics)",
            ),
        };
        return Err(ReportError::BadTarget {
            reason: format!(
                "unknown metric `{}` in target {t}: not a metric of summary.csv (each metric M has the columns M_mean, M_sd, M_n, M_ci_low and M_ci_high){hint}",
                t.metric
            ),
        });
    }
    Ok(())
}

/// Writes the page of `dir` to `out` (default `dir/report.html`) and
/// returns where.
pub fn write(
    dir: &Path,
    out: Option<&Path>,
    targets: Option<&[Target]>,
) -> Result<PathBuf, ReportError> {
    let html = build(dir, targets)?;
    let path = out.map_or_else(|| dir.join(FILE_NAME), Path::to_path_buf);
    std::fs::write(&path, html).map_err(|e| ReportError::Write {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    Ok(path)
}
