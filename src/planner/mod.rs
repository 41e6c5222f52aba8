//! The planner: sweeps of many scenario runs in parallel, their result
//! tables, and the capacity question (`plan`).
//!
//! # Determinism
//! A sweep's runs are numbered: grid points in the order of their keys
//! (byte order, last key fastest), `replications` runs per point. Run `i`
//! is replication `r` of its grid point and gets the seed
//! `splitmix64(sweep seed ^ r)`, so its result depends on the sweep file
//! and `i` only — not on `--threads`, not on sharding. Runs are executed
//! with rayon and collected in index order; every statistic is reduced
//! serially in that order.
//!
//! # Common random numbers
//! Replication `r` has the same seed at every grid point, so two points
//! see the same drivers wherever their demand settings agree, and a
//! difference between them is measured on paired runs (`parksim compare`
//! pairs them by seed): the policy's effect, not the luck of the draw.
//!
//! # Identity
//! [`Sweep::expanded_toml`] writes the sweep with its base scenario
//! inlined (`sweep.toml` in `--out`, runnable as it is); its SHA-1, the
//! sweep's *fingerprint*, is stored in every run record, so `merge` can
//! tell shards of one sweep from shards of another. Its grid lists the
//! keys in the order the sweep file did ([`Sweep::listed`], which plots
//! follow); runs are numbered in byte order all the same.
//!
//! # Memory
//! Each run keeps only its [`Summary`] (no events, no series), so memory
//! grows with the number of runs by a few kilobytes each.

use crate::scenario::Scenario;
use crate::sim::run::{RunOptions, Summary, run};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A sweep file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    /// Scenario file, relative to the sweep file; absent or "default": the
    /// embedded hospital scenario.
    #[serde(default)]
    pub base: Option<String>,
    /// The base scenario's text itself (what `sweep.toml` in a sweep's
    /// output holds); excludes `base`.
    #[serde(default)]
    pub base_scenario: Option<String>,
    #[serde(default = "one")]
    pub replications: u32,
    /// Seed of the whole sweep (each run's seed derives from it).
    #[serde(default = "one_u64")]
    pub seed: u64,
    /// Dotted scenario key → the values it takes.
    #[serde(default)]
    pub grid: BTreeMap<String, Vec<toml::Value>>,
}

fn one() -> u32 {
    1
}
fn one_u64() -> u64 {
    1
}

/// A sweep ready to run: the base scenario text and the expanded grid.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub base_text: String,
    pub replications: u32,
    pub seed: u64,
    pub keys: Vec<String>,
    /// The grid keys in the order the sweep file lists them (`keys` is in
    /// byte order): what plots put on the x axis, the lines and the panels.
    pub listed: Vec<String>,
    /// Each key's values as the sweep file lists them, in key order.
    pub values: Vec<Vec<toml::Value>>,
    /// Each grid point's values, in key order.
    pub points: Vec<Vec<toml::Value>>,
}

/// A problem with a sweep, before anything runs.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepError(pub String);

impl fmt::Display for SweepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SweepError {}

/// SplitMix64: a run's seed from the sweep seed and the run index.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `key=value` as `--set` takes it.
pub fn set_arg(key: &str, v: &toml::Value) -> String {
    format!("{key}={v}")
}

impl Sweep {
    /// Reads a sweep file; `dir` is where it lives (for `base`). Every grid
    /// point's scenario is built and checked here, so a bad path or value
    /// is an error before anything runs.
    pub fn from_toml(text: &str, dir: &std::path::Path) -> Result<Sweep, SweepError> {
        grid_shape(text)?;
        let f: SweepFile = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|r| text[..r.start.min(text.len())].matches('\n').count() + 1);
            SweepError(match line {
                Some(l) => format!("line {l}: {}", e.message().trim()),
                None => e.message().trim().to_string(),
            })
        })?;
        let base_text = match (f.base.as_deref(), f.base_scenario) {
            (Some(_), Some(_)) => {
                return Err(SweepError(
                    "give `base` (a file) or `base_scenario` (its text), not both".into(),
                ));
            }
            (_, Some(text)) => text,
            (None | Some("default"), None) => crate::scenario::DEFAULT.to_string(),
            (Some(p), None) => {
                let path = dir.join(p);
                std::fs::read_to_string(&path)
                    .map_err(|e| SweepError(format!("base `{}`: {e}", path.display())))?
            }
        };
        if f.replications == 0 {
            return Err(SweepError("`replications` must be at least 1".into()));
        }
        let keys: Vec<String> = f.grid.keys().cloned().collect();
        for (k, vs) in &f.grid {
            if vs.is_empty() {
                return Err(SweepError(format!("grid key `{k}` has no values")));
            }
        }
        let mut points: Vec<Vec<toml::Value>> = vec![Vec::new()];
        for k in &keys {
            let vs = &f.grid[k];
            points = points
                .into_iter()
                .flat_map(|p| {
                    vs.iter().map(move |v| {
                        let mut q = p.clone();
                        q.push(v.clone());
                        q
                    })
                })
                .collect();
        }
        let values = keys.iter().map(|k| f.grid[k].clone()).collect();
        let listed = listed_order(text, &keys);
        let sweep = Sweep {
            base_text,
            replications: f.replications,
            seed: f.seed,
            keys,
            listed,
            values,
            points,
        };
        for i in 0..sweep.points.len() {
            sweep
                .scenario(i, 0)
                .map_err(|e| SweepError(format!("grid point {} ({}): {e}", i, sweep.label(i))))?;
        }
        Ok(sweep)
    }

    /// The sweep as one self-contained file: `replications`, `seed`, the
    /// base scenario's text as `base_scenario`, and the grid, its keys in
    /// the order the sweep file listed them. Reading it back with
    /// [`Sweep::from_toml`] gives the same sweep (and the same text again).
    pub fn expanded_toml(&self) -> String {
        #[derive(Serialize)]
        struct Expanded<'a> {
            base_scenario: &'a str,
            replications: u32,
            seed: i64,
            grid: ListedGrid<'a>,
        }
        toml::to_string(&Expanded {
            base_scenario: &self.base_text,
            replications: self.replications,
            // A sweep file's seed is a TOML integer, so it fits an i64.
            seed: i64::try_from(self.seed).unwrap_or(i64::MAX),
            grid: ListedGrid(self),
        })
        .unwrap_or_default()
    }

    /// SHA-1 of [`Sweep::expanded_toml`], in hex: the sweep's identity.
    pub fn fingerprint(&self) -> String {
        use sha1::Digest;
        hex::encode(sha1::Sha1::digest(self.expanded_toml().as_bytes()))
    }

    /// A sweep without a grid: `replications` runs of one scenario, with
    /// the seeds a sweep gives its replications (`splitmix64(seed ^ r)`).
    pub fn replications_of(base_text: String, replications: u32, seed: u64) -> Sweep {
        Sweep {
            base_text,
            replications,
            seed,
            keys: Vec::new(),
            listed: Vec::new(),
            values: Vec::new(),
            points: vec![Vec::new()],
        }
    }

    /// Runs in the sweep.
    pub fn total(&self) -> usize {
        self.points.len() * self.replications as usize
    }

    /// "key=value, key=value" of grid point `p`.
    pub fn label(&self, p: usize) -> String {
        self.keys
            .iter()
            .zip(&self.points[p])
            .map(|(k, v)| set_arg(k, v))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The scenario of grid point `p`, replication `r`.
    pub fn scenario(&self, p: usize, r: u32) -> Result<Scenario, String> {
        let sets: Vec<String> = self
            .keys
            .iter()
            .zip(&self.points[p])
            .map(|(k, v)| set_arg(k, v))
            .collect();
        let mut s =
            Scenario::from_toml_with(&self.base_text, &sets, "the sweep's grid").map_err(|e| {
                e.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            })?;
        s.seed = splitmix64(self.seed ^ u64::from(r));
        Ok(s)
    }
}

/// Every `[grid]` entry is one quoted scenario path with a list of
/// values. An unquoted dotted key (`garage.stalls = [...]`) is a nested
/// table in TOML, and a bare value is not a list: both are named here,
/// with the fix, rather than left to the deserializer's type error.
fn grid_shape(text: &str) -> Result<(), SweepError> {
    let Ok(doc) = text.parse::<toml::Table>() else {
        return Ok(()); // the TOML error, with its line, comes from the full read
    };
    let Some(toml::Value::Table(grid)) = doc.get("grid") else {
        return Ok(());
    };
    for (k, v) in grid {
        match v {
            // An empty `[grid.x]` table: a header with no key under it.
            toml::Value::Table(t) if t.is_empty() => {
                return Err(SweepError(format!(
                    "[grid.{k}] is empty: write each key quoted under [grid], e.g. \"{k}.stalls\" = [...]"
                )));
            }
            // A quoted key (it holds a dot) was not an unquoted dotted
            // key: the value itself is wrong.
            toml::Value::Table(_) if k.contains('.') => {
                return Err(SweepError(format!(
                    "[grid] key `{k}` must list its values, not a table: \"{k}\" = [...]"
                )));
            }
            toml::Value::Table(t) => {
                let mut path = k.clone();
                let mut at = t;
                while let Some((sub, next)) = at.iter().next() {
                    path.push('.');
                    path.push_str(sub);
                    match next {
                        toml::Value::Table(n) => at = n,
                        _ => break,
                    }
                }
                return Err(SweepError(format!(
                    "[grid] key `{path}` is unquoted, so TOML reads it as nested tables: \
                     write it quoted, \"{path}\" = [...]"
                )));
            }
            toml::Value::Array(_) => {}
            other => {
                return Err(SweepError(format!(
                    "[grid] key `{k}` must list its values: \"{k}\" = [{other}]"
                )));
            }
        }
    }
    Ok(())
}

/// A sweep's grid as a map in the order the sweep file listed its keys.
struct ListedGrid<'a>(&'a Sweep);

impl Serialize for ListedGrid<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let sweep = self.0;
        let mut m = s.serialize_map(Some(sweep.keys.len()))?;
        for k in &sweep.listed {
            if let Some(i) = sweep.keys.iter().position(|x| x == k) {
                m.serialize_entry(k, &sweep.values[i])?;
            }
        }
        m.end()
    }
}

/// The grid keys in the order `text` lists them under `[grid]` (by where
/// each key sits in the file); `keys` (byte order) where the text cannot
/// tell.
fn listed_order(text: &str, keys: &[String]) -> Vec<String> {
    let Ok(doc) = toml::de::DeTable::parse(text) else {
        return keys.to_vec();
    };
    let grid = doc
        .get_ref()
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == "grid")
        .map(|(_, v)| v.get_ref());
    let Some(toml::de::DeValue::Table(grid)) = grid else {
        return keys.to_vec();
    };
    let mut at: Vec<(usize, String)> = grid
        .iter()
        .map(|(k, _)| (k.span().start, k.get_ref().to_string()))
        .collect();
    at.sort();
    let listed: Vec<String> = at.into_iter().map(|(_, k)| k).collect();
    let mut sorted = listed.clone();
    sorted.sort();
    if sorted == keys {
        listed
    } else {
        keys.to_vec()
    }
}

/// One run's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The fingerprint of the sweep the run belongs to
    /// ([`Sweep::fingerprint`]; empty in files written before it existed).
    #[serde(default)]
    pub sweep: String,
    pub run: usize,
    pub point: usize,
    pub replication: u32,
    pub seed: u64,
    /// The grid values, `key=value` text, in key order.
    pub grid: Vec<(String, String)>,
    pub summary: Summary,
}

/// `--shard I/N`: this process runs the runs `i` with `i % N == I`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let (i, n) = s.split_once('/').ok_or("expected I/N, e.g. 0/4")?;
        let (index, count): (usize, usize) = (
            i.parse().map_err(|_| "bad I")?,
            n.parse().map_err(|_| "bad N")?,
        );
        if count == 0 || index >= count {
            return Err(format!("shard {index}/{count}: need 0 <= I < N"));
        }
        Ok(Shard { index, count })
    }
}

/// Runs the sweep (or one shard of it) on `threads` threads; `progress` is
/// called with (runs done, runs to do) from worker threads.
pub fn run_sweep(
    sweep: &Sweep,
    threads: usize,
    shard: Option<Shard>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<RunRecord>, SweepError> {
    let mine: Vec<usize> = (0..sweep.total())
        .filter(|i| shard.is_none_or(|s| i % s.count == s.index))
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| SweepError(e.to_string()))?;
    let done = AtomicUsize::new(0);
    let n = mine.len();
    let fingerprint = sweep.fingerprint();
    let results: Vec<Result<RunRecord, SweepError>> = pool.install(|| {
        mine.par_iter()
            .map(|&i| {
                let reps = sweep.replications as usize;
                let (p, r) = (i / reps, (i % reps) as u32);
                let s = sweep.scenario(p, r).map_err(SweepError)?;
                let res = run(&s, RunOptions::default())
                    .map_err(|e| SweepError(format!("run {i}: {e}")))?;
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, n);
                Ok(RunRecord {
                    sweep: fingerprint.clone(),
                    run: i,
                    point: p,
                    replication: r,
                    seed: s.seed,
                    grid: sweep
                        .keys
                        .iter()
                        .zip(&sweep.points[p])
                        .map(|(k, v)| (k.clone(), v.to_string()))
                        .collect(),
                    summary: res.summary,
                })
            })
            .collect()
    });
    results.into_iter().collect()
}

/// A metric of a summary by name (`time_share_full` and the like
/// included): `None` when the summary has no such key or the metric is
/// undefined (`null`) in it. Booleans read as 0 or 1.
pub fn metric(s: &Summary, name: &str) -> Option<f64> {
    crate::sim::tables::flatten(s)
        .into_iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| stats::value(&v))
}

/// One grid point's statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct PointStats {
    pub point: usize,
    pub grid: Vec<(String, String)>,
    pub runs: usize,
    /// Per metric (every numeric key of the runs' summaries, in the order
    /// of the first run; see [`stats`]): its statistics.
    pub metrics: Vec<(String, Stat)>,
}

impl PointStats {
    /// The statistics of metric `name`.
    pub fn get(&self, name: &str) -> Option<&Stat> {
        self.metrics.iter().find(|(k, _)| k == name).map(|(_, s)| s)
    }
}

/// Statistics per grid point, from runs sorted by index. Every point has
/// the same metrics (those of all runs together), so the summary table
/// has one set of columns.
pub fn point_stats(runs: &[RunRecord]) -> Vec<PointStats> {
    let flat: Vec<Vec<(String, serde_json::Value)>> = runs
        .iter()
        .map(|r| crate::sim::tables::flatten(&r.summary))
        .collect();
    let keys = stats::metric_keys(flat.iter().map(|f| f.as_slice()));
    let mut by_point: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, r) in runs.iter().enumerate() {
        by_point.entry(r.point).or_default().push(i);
    }
    by_point
        .into_iter()
        .map(|(point, idx)| {
            let lookup: Vec<BTreeMap<&str, &serde_json::Value>> = idx
                .iter()
                .map(|&i| flat[i].iter().map(|(k, v)| (k.as_str(), v)).collect())
                .collect();
            PointStats {
                point,
                grid: runs[idx[0]].grid.clone(),
                runs: idx.len(),
                metrics: keys
                    .iter()
                    .map(|k| {
                        let xs: Vec<f64> = lookup
                            .iter()
                            .filter_map(|m| m.get(k.as_str()).and_then(|v| v.as_f64()))
                            .collect();
                        (k.clone(), Stat::of(k, &xs))
                    })
                    .collect(),
            }
        })
        .collect()
}

pub mod compare;
pub mod output;
pub mod plan;
pub mod stats;

pub use stats::{Stat, is_rate, mean_sd_ci, t975};
