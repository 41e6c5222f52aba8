//! The capacity question: the smallest value of one knob (an integer
//! scenario key) whose 95 % confidence interval meets every target.
//!
//! The search assumes the targets get easier as the knob grows (more
//! stalls, more reservable stalls, a longer grace): it checks the top of
//! the range, then bisects, so it runs about log2(range) evaluations, not
//! the whole grid. Every evaluation runs the same replications with the
//! same seeds (common random numbers), so neighbouring values differ by
//! the knob, not by luck.

use super::{mean_sd_ci, metric, splitmix64};
use crate::scenario::Scenario;
use crate::sim::run::{RunOptions, run};
use rayon::prelude::*;
use std::fmt;

/// `metric>=value` or `metric<=value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub metric: String,
    pub at_least: bool,
    pub value: f64,
}

impl std::str::FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Target, String> {
        let (metric, at_least, v) = if let Some((m, v)) = s.split_once(">=") {
            (m, true, v)
        } else if let Some((m, v)) = s.split_once("<=") {
            (m, false, v)
        } else {
            return Err(format!(
                "target `{s}`: expected metric>=value or metric<=value"
            ));
        };
        let value: f64 = v
            .trim()
            .parse()
            .map_err(|_| format!("target `{s}`: `{}` is not a number", v.trim()))?;
        let metric = metric.trim().to_string();
        if metric.is_empty() {
            return Err(format!("target `{s}`: no metric"));
        }
        Ok(Target {
            metric,
            at_least,
            value,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}{}",
            self.metric,
            if self.at_least { ">=" } else { "<=" },
            self.value
        )
    }
}

/// What one knob value showed.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub value: i64,
    /// Per target: (mean, ci low, ci high, met).
    pub targets: Vec<(f64, f64, f64, bool)>,
    pub meets: bool,
}

/// The question and how to answer it.
#[derive(Debug, Clone)]
pub struct PlanSpec {
    pub base_text: String,
    pub sets: Vec<String>,
    pub knob: String,
    pub lo: i64,
    pub hi: i64,
    pub targets: Vec<Target>,
    pub replications: u32,
    pub threads: usize,
}

/// The answer: the smallest value meeting every target (None: not even
/// the top of the range does), and every evaluation in the order made.
pub fn plan(spec: &PlanSpec) -> Result<(Option<i64>, Vec<Evidence>), String> {
    if spec.lo > spec.hi {
        return Err(format!("empty range {}..={}", spec.lo, spec.hi));
    }
    if spec.replications < 2 {
        return Err("at least 2 replications (a confidence interval needs them)".into());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(spec.threads.max(1))
        .build()
        .map_err(|e| e.to_string())?;
    // Check the knob, the metrics and the base once, before running.
    let probe = scenario(spec, spec.lo)?;
    for t in &spec.targets {
        let s = crate::sim::run::Summary::default();
        if !crate::sim::tables::flatten(&s).iter().any(|(k, _)| *k == t.metric) {
            return Err(format!("unknown metric `{}` in target {t}", t.metric));
        }
    }
    let _ = probe;
    let mut evidence = Vec::new();
    let mut eval = |v: i64| -> Result<bool, String> {
        let s = scenario(spec, v)?;
        let summaries: Vec<Result<_, String>> = pool.install(|| {
            (0..spec.replications)
                .into_par_iter()
                .map(|r| {
                    let mut s = s.clone();
                    s.seed = splitmix64(s.seed ^ r as u64);
                    run(&s, RunOptions::default())
                        .map(|x| x.summary)
                        .map_err(|e| e.to_string())
                })
                .collect()
        });
        let summaries: Vec<_> = summaries.into_iter().collect::<Result<_, _>>()?;
        let mut all = true;
        let targets = spec
            .targets
            .iter()
            .map(|t| {
                let xs: Vec<f64> = summaries
                    .iter()
                    .filter_map(|s| metric(s, &t.metric))
                    .collect();
                let (m, _, h) = mean_sd_ci(&xs);
                let met = if t.at_least {
                    m - h >= t.value
                } else {
                    m + h <= t.value
                };
                all &= met;
                (m, m - h, m + h, met)
            })
            .collect();
        evidence.push(Evidence {
            value: v,
            targets,
            meets: all,
        });
        Ok(all)
    };
    if !eval(spec.hi)? {
        return Ok((None, evidence));
    }
    let (mut lo, mut hi) = (spec.lo, spec.hi); // hi meets
    if eval(lo)? {
        return Ok((Some(lo), evidence));
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if eval(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok((Some(hi), evidence))
}

fn scenario(spec: &PlanSpec, v: i64) -> Result<Scenario, String> {
    let mut sets = spec.sets.clone();
    sets.push(format!("{}={v}", spec.knob));
    Scenario::from_toml_with_overrides(&spec.base_text, &sets).map_err(|e| {
        e.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })
}
