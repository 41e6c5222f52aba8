//! The capacity question: the smallest value of one knob (a numeric
//! scenario key) whose 95 % confidence interval meets every target.
//!
//! # How
//! The knob takes every value of a grid, `A, A+step, …` up to `B`
//! (integer knobs: step 1 unless given; real knobs: a step is required).
//! Every value runs the same replications with the same seeds (common
//! random numbers: replication `r` has the seed `splitmix64(seed ^ r)` at
//! every value), so neighbouring values differ by the knob, not by luck.
//! A target is met at a value when its whole 95 % CI ([`super::stats`]:
//! Student t, rates kept inside [0, 1]) is on the right side; a metric
//! undefined in every run (`null`) does not meet it. The answer is the
//! smallest grid value meeting every target.
//!
//! # No direction assumed
//! Nothing assumes that more is better. Each target's pattern over the
//! grid is reported ([`Trend`]): met from some value up (gets easier as the
//! knob grows), met up to some value (gets harder: blocking as reservable
//! stalls grow), always, never, or *not monotone* — met, missed, met again
//! — in which case the answer is still the smallest feasible grid value,
//! and the values on both sides of it are stated. Targets pulling in
//! opposite directions give a feasible band; it is reported whole.
//!
//! # Cost
//! (grid values) × replications runs, all of them (not a bisection, which
//! would be wrong for a target that is not monotone), in parallel on
//! `threads` threads, results reduced in grid order: the answer does not
//! depend on the thread count.

use super::splitmix64;
use super::stats::{Stat, value};
use crate::scenario::Scenario;
use crate::sim::run::{RunOptions, run};
use crate::sim::tables::flatten;
use rayon::prelude::*;
use serde_json::Value;
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
            .ok()
            .filter(|x: &f64| x.is_finite())
            .ok_or_else(|| format!("target `{s}`: `{}` is not a number", v.trim()))?;
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

impl Target {
    /// `>=` or `<=`, as the target is written.
    pub fn op(&self) -> &'static str {
        if self.at_least { ">=" } else { "<=" }
    }

    /// What to say of a metric not among `names`: up to eight names that
    /// share a word of four letters or more with it, or `otherwise`.
    pub fn near_metrics<'a>(
        &self,
        names: impl Iterator<Item = &'a str>,
        otherwise: &str,
    ) -> String {
        let near: Vec<&str> = names
            .filter(|k| self.metric.split('_').any(|w| w.len() > 3 && k.contains(w)))
            .take(8)
            .collect();
        if near.is_empty() {
            otherwise.to_string()
        } else {
            format!("; metrics with a similar name: {}", near.join(", "))
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.metric, self.op(), self.value)
    }
}

impl Target {
    /// Whether `s`'s 95 % CI lies on the target's side.
    pub fn met_by(&self, s: &Stat) -> bool {
        if self.at_least {
            s.ci_low.is_some_and(|lo| lo >= self.value)
        } else {
            s.ci_high.is_some_and(|hi| hi <= self.value)
        }
    }
}

/// The question and how to answer it.
#[derive(Debug, Clone)]
pub struct PlanSpec {
    pub base_text: String,
    /// `key=value` overrides of the base scenario.
    pub sets: Vec<String>,
    /// The dotted scenario key to vary.
    pub knob: String,
    /// `A..=B`.
    pub range: String,
    /// The grid step (integer knobs: 1 when absent; real knobs: required).
    pub step: Option<String>,
    pub targets: Vec<Target>,
    pub replications: u32,
    pub threads: usize,
}

/// What the knob is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnobKind {
    Integer,
    Real,
}

/// One grid value: its TOML text (what `--set` gets) and its number.
#[derive(Debug, Clone, PartialEq)]
pub struct KnobValue {
    pub text: String,
    pub x: f64,
}

/// What one knob value showed.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub value: KnobValue,
    /// Per target: the metric's statistics and whether the target is met.
    pub targets: Vec<(Stat, bool)>,
    pub meets: bool,
}

/// A target's pattern over the grid (indices into the grid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trend {
    AlwaysMet,
    NeverMet,
    /// Missed below grid index `from`, met from it up.
    MetFrom(usize),
    /// Met up to grid index `to`, missed above it.
    MetUpTo(usize),
    /// Met and missed in more than one stretch: the stretches, each
    /// (first index, last index, met).
    NotMonotone(Vec<(usize, usize, bool)>),
}

/// Stretches of equal values in `m`: (first, last, value).
fn stretches(m: &[bool]) -> Vec<(usize, usize, bool)> {
    let mut out: Vec<(usize, usize, bool)> = Vec::new();
    for (i, &x) in m.iter().enumerate() {
        match out.last_mut() {
            Some(s) if s.2 == x => s.1 = i,
            _ => out.push((i, i, x)),
        }
    }
    out
}

impl Trend {
    /// The trend of a met/missed pattern over the grid.
    pub fn of(met: &[bool]) -> Trend {
        let s = stretches(met);
        match s.as_slice() {
            [] | [(_, _, false)] => Trend::NeverMet,
            [(_, _, true)] => Trend::AlwaysMet,
            [(_, _, false), (from, _, true)] => Trend::MetFrom(*from),
            [(_, to, true), (_, _, false)] => Trend::MetUpTo(*to),
            _ => Trend::NotMonotone(s),
        }
    }
}

/// The answer and its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub knob: String,
    pub kind: KnobKind,
    /// One entry per grid value, in grid order.
    pub evidence: Vec<Evidence>,
    /// Index into `evidence` of the smallest value meeting every target.
    pub answer: Option<usize>,
    /// Per target, its pattern over the grid.
    pub trends: Vec<Trend>,
    pub replications: u32,
}

impl Plan {
    /// The answer's knob value.
    pub fn answer_value(&self) -> Option<&KnobValue> {
        self.answer.map(|i| &self.evidence[i].value)
    }

    /// Stretches of the grid meeting every target: (first, last) indices.
    pub fn feasible(&self) -> Vec<(usize, usize)> {
        let m: Vec<bool> = self.evidence.iter().map(|e| e.meets).collect();
        stretches(&m)
            .into_iter()
            .filter(|s| s.2)
            .map(|s| (s.0, s.1))
            .collect()
    }

    fn span(&self, a: usize, b: usize) -> String {
        let (x, y) = (&self.evidence[a].value.text, &self.evidence[b].value.text);
        if a == b {
            x.clone()
        } else {
            format!("{x}..={y}")
        }
    }

    /// A sentence per target on its pattern.
    pub fn trend_lines(&self, targets: &[Target]) -> Vec<String> {
        let v = |i: usize| self.evidence[i].value.text.clone();
        targets
            .iter()
            .zip(&self.trends)
            .map(|(t, tr)| match tr {
                Trend::AlwaysMet => format!("{t}: met at every value"),
                Trend::NeverMet => format!("{t}: met at no value"),
                Trend::MetFrom(i) => format!(
                    "{t}: met from {} up (missed at {} and below)",
                    v(*i),
                    v(i - 1)
                ),
                Trend::MetUpTo(i) => format!(
                    "{t}: met up to {} (missed at {} and above): it gets harder as {} grows",
                    v(*i),
                    v(i + 1),
                    self.knob
                ),
                Trend::NotMonotone(s) => format!(
                    "{t}: NOT MONOTONE in {}: {}",
                    self.knob,
                    s.iter()
                        .map(|(a, b, m)| format!(
                            "{} at {}",
                            if *m { "met" } else { "missed" },
                            self.span(*a, *b)
                        ))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
            .collect()
    }

    /// The answer as sentences: the value, its neighbours on the grid and
    /// what they miss, the feasible stretches.
    pub fn answer_lines(&self, targets: &[Target]) -> Vec<String> {
        let misses = |i: usize| -> String {
            let e = &self.evidence[i];
            let missed: Vec<String> = targets
                .iter()
                .zip(&e.targets)
                .filter(|(_, (_, met))| !met)
                .map(|(t, _)| t.to_string())
                .collect();
            if missed.is_empty() {
                format!("{} meets every target", e.value.text)
            } else {
                format!("{} misses {}", e.value.text, missed.join(" and "))
            }
        };
        let feasible = self.feasible();
        let mut out = Vec::new();
        match self.answer {
            None => out.push(format!(
                "answer: none — no value of {} in the grid meets every target",
                self.knob
            )),
            Some(i) => {
                let non_monotone = self
                    .trends
                    .iter()
                    .any(|t| matches!(t, Trend::NotMonotone(_)));
                out.push(format!(
                    "answer: {} = {} (the smallest value of the grid whose 95 % CI meets every \
                     target; {} values x {} replications, the same seeds at every value){}",
                    self.knob,
                    self.evidence[i].value.text,
                    self.evidence.len(),
                    self.replications,
                    if non_monotone {
                        "; a target is not monotone in the knob, so this is the smallest \
                         feasible value of this grid, not a threshold"
                    } else {
                        ""
                    }
                ));
                let below = if i > 0 {
                    misses(i - 1)
                } else {
                    "it is the bottom of the range".to_string()
                };
                let above = if i + 1 < self.evidence.len() {
                    misses(i + 1)
                } else {
                    "it is the top of the range".to_string()
                };
                out.push(format!("  on either side: {below}; {above}"));
            }
        }
        if !feasible.is_empty() && (feasible.len() > 1 || self.answer.is_some()) {
            let last = self.evidence.len() - 1;
            let parts: Vec<String> = feasible.iter().map(|&(a, b)| self.span(a, b)).collect();
            let upper_end = feasible.last().is_some_and(|&(_, b)| b < last);
            out.push(format!(
                "  values meeting every target: {}{}",
                parts.join(", "),
                if upper_end {
                    " (larger values miss a target)"
                } else {
                    ""
                }
            ));
        }
        out
    }
}

/// The knob's kind from the scenario: its value there (defaults filled
/// in) is an integer or a real number; anything else is refused.
fn knob_kind(spec: &PlanSpec) -> Result<KnobKind, String> {
    let k = spec.knob.as_str();
    if k == "seed" {
        return Err(
            "`seed` is not a knob: plan gives every value the same seeds (common random numbers)"
                .into(),
        );
    }
    let base = build(spec, None)?;
    let tree = toml::Value::try_from(&base).map_err(|e| e.to_string())?;
    match lookup(&tree, k) {
        Some(toml::Value::Integer(_)) => Ok(KnobKind::Integer),
        Some(toml::Value::Float(_)) => Ok(KnobKind::Real),
        Some(other) => Err(format!(
            "knob `{k}` is a {} ({other}), not a number; compare such settings with a sweep",
            other.type_str()
        )),
        // Not in the scenario as written out (an optional key left out):
        // the range's own form tells.
        None => {
            let real = spec.range.replace("..=", " ").contains('.')
                || spec.step.as_deref().is_some_and(|s| s.contains('.'));
            Ok(if real {
                KnobKind::Real
            } else {
                KnobKind::Integer
            })
        }
    }
}

/// The value at dotted `key` (`a.b`, `a.list[2].c`) of a TOML tree.
fn lookup<'a>(tree: &'a toml::Value, key: &str) -> Option<&'a toml::Value> {
    let mut v = tree;
    for part in key.split('.') {
        let (name, idx) = match part.split_once('[') {
            Some((n, rest)) => (n, Some(rest.strip_suffix(']')?.parse::<usize>().ok()?)),
            None => (part, None),
        };
        v = v.get(name)?;
        if let Some(i) = idx {
            v = v.get(i)?;
        }
    }
    Some(v)
}

/// Decimal places written in a number's text (`0.05` → 2, `1e-3` → 3).
fn decimals(text: &str) -> usize {
    let t = text.trim();
    let (mant, exp) = match t.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().unwrap_or(0)),
        None => (t, 0),
    };
    let frac = mant.split_once('.').map_or(0, |(_, f)| f.len()) as i64;
    (frac - exp).clamp(0, 15) as usize
}

/// The most grid values a plan evaluates.
pub const MAX_VALUES: usize = 10_000;

/// The grid of knob values from `--range` and `--step`.
pub fn knob_values(
    kind: KnobKind,
    knob: &str,
    range: &str,
    step: Option<&str>,
) -> Result<Vec<KnobValue>, String> {
    let (a, b) = range
        .split_once("..=")
        .ok_or_else(|| format!("--range `{range}`: expected A..=B, e.g. 0..=150"))?;
    let (a, b) = (a.trim(), b.trim());
    match kind {
        KnobKind::Integer => {
            let int = |s: &str| {
                s.parse::<i64>().map_err(|_| {
                    format!(
                        "--range `{range}`: `{s}` is not an integer, and `{knob}` is an integer key"
                    )
                })
            };
            let (lo, hi) = (int(a)?, int(b)?);
            let step = match step {
                None => 1,
                Some(s) => s.trim().parse::<i64>().ok().filter(|s| *s > 0).ok_or_else(|| {
                    format!("--step `{s}`: `{knob}` is an integer key, so the step is a whole number ≥ 1")
                })?,
            };
            if lo > hi {
                return Err(format!("--range `{range}` is empty (A > B)"));
            }
            // In i128: the span of two i64s does not fit an i64.
            let n = ((hi as i128 - lo as i128) / step as i128) as u128 + 1;
            if n > MAX_VALUES as u128 {
                return Err(format!(
                    "--range `{range}` with step {step} is {n} values; at most {MAX_VALUES} (give a larger --step)"
                ));
            }
            Ok((0..n as i64)
                .map(|i| {
                    // lo + i·step lies in lo..=hi, but i·step alone may
                    // not fit an i64.
                    let v = (lo as i128 + i as i128 * step as i128) as i64;
                    KnobValue {
                        text: v.to_string(),
                        x: v as f64,
                    }
                })
                .collect())
        }
        KnobKind::Real => {
            let step_text = step.ok_or_else(|| {
                format!("`{knob}` is a real number: give --step, e.g. --range {range} --step 0.05")
            })?;
            let num = |s: &str, what: &str| {
                s.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| format!("{what} `{s}` is not a number"))
            };
            let (lo, hi) = (num(a, "--range: A")?, num(b, "--range: B")?);
            let st = num(step_text.trim(), "--step")?;
            if st <= 0.0 {
                return Err(format!("--step `{step_text}` must be above 0"));
            }
            if lo > hi {
                return Err(format!("--range `{range}` is empty (A > B)"));
            }
            let n = ((hi - lo) / st + 1e-9).floor() + 1.0;
            if n > MAX_VALUES as f64 {
                return Err(format!(
                    "--range `{range}` with step {step_text} is {n} values; at most {MAX_VALUES}"
                ));
            }
            let d = decimals(a).max(decimals(step_text)).max(1);
            Ok((0..n as usize)
                .map(|i| {
                    let text = format!("{:.d$}", lo + i as f64 * st);
                    let x = text.parse().unwrap_or(f64::NAN);
                    KnobValue { text, x }
                })
                .collect())
        }
    }
}

/// The scenario with the overrides and, if given, the knob at `v`.
fn build(spec: &PlanSpec, v: Option<&KnobValue>) -> Result<Scenario, String> {
    let mut sets = spec.sets.clone();
    if let Some(v) = v {
        sets.push(format!("{}={}", spec.knob, v.text));
    }
    Scenario::from_toml_with(&spec.base_text, &sets, "the knob").map_err(|e| {
        let msg = e
            .iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join("; ");
        match v {
            Some(v) => format!("{} = {} is not a valid scenario: {msg}", spec.knob, v.text),
            None => msg,
        }
    })
}

/// Checks the targets' metrics against one run's flattened summary.
fn check_metrics(targets: &[Target], flat: &[(String, Value)]) -> Result<(), String> {
    for t in targets {
        match flat.iter().find(|(k, _)| *k == t.metric) {
            None => {
                return Err(format!(
                    "unknown metric `{}` in target {t}{}",
                    t.metric,
                    t.near_metrics(
                        flat.iter().map(|(k, _)| k.as_str()),
                        " (the keys of `parksim run --json` are the metrics)"
                    )
                ));
            }
            Some((_, v)) if !(v.is_number() || v.is_null() || v.is_boolean()) => {
                return Err(format!(
                    "metric `{}` in target {t} is not a number ({v})",
                    t.metric
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Answers the question. Everything that can be wrong with it (the knob,
/// the range, a value the scenario refuses, a metric) is an error before
/// the bulk of the runs.
pub fn plan(spec: &PlanSpec) -> Result<Plan, String> {
    if spec.replications < 2 {
        return Err("at least 2 replications (a confidence interval needs them)".into());
    }
    if spec.targets.is_empty() {
        return Err("give at least one target".into());
    }
    let kind = knob_kind(spec)?;
    let values = knob_values(kind, &spec.knob, &spec.range, spec.step.as_deref())?;
    let scenarios: Vec<Scenario> = values
        .iter()
        .map(|v| build(spec, Some(v)))
        .collect::<Result<_, _>>()?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(spec.threads.max(1))
        .build()
        .map_err(|e| e.to_string())?;
    let reps = spec.replications as usize;
    // Replication r has the same seed at every value.
    let one = |i: usize| -> Result<Vec<Option<f64>>, String> {
        let (vi, r) = (i / reps, i % reps);
        let mut s = scenarios[vi].clone();
        s.seed = splitmix64(s.seed ^ r as u64);
        let res = run(&s, RunOptions::default())
            .map_err(|e| format!("{} = {}: {e}", spec.knob, values[vi].text))?;
        if !res.summary.checks_passed() {
            return Err(format!(
                "{} = {}, replication {r} (0-based, seed {}): the run broke conservation or did not reconcile ({}); no plan is drawn from it",
                spec.knob,
                values[vi].text,
                s.seed,
                res.summary.check_failures().join("; ")
            ));
        }
        let flat = flatten(&res.summary);
        if i == 0 {
            check_metrics(&spec.targets, &flat)?;
        }
        Ok(spec
            .targets
            .iter()
            .map(|t| {
                flat.iter()
                    .find(|(k, _)| *k == t.metric)
                    .and_then(|(_, v)| value(v))
            })
            .collect())
    };
    // The first run alone: a wrong metric name costs one run, not all.
    let first = one(0)?;
    let rest: Vec<Result<Vec<Option<f64>>, String>> =
        pool.install(|| (1..values.len() * reps).into_par_iter().map(one).collect());
    let mut results = vec![first];
    for r in rest {
        results.push(r?);
    }
    let evidence: Vec<Evidence> = values
        .iter()
        .enumerate()
        .map(|(vi, v)| {
            let rows = &results[vi * reps..(vi + 1) * reps];
            let targets: Vec<(Stat, bool)> = spec
                .targets
                .iter()
                .enumerate()
                .map(|(ti, t)| {
                    let xs: Vec<f64> = rows.iter().filter_map(|r| r[ti]).collect();
                    let s = Stat::of(&t.metric, &xs);
                    let met = t.met_by(&s);
                    (s, met)
                })
                .collect();
            Evidence {
                value: v.clone(),
                meets: targets.iter().all(|t| t.1),
                targets,
            }
        })
        .collect();
    let trends = (0..spec.targets.len())
        .map(|ti| Trend::of(&evidence.iter().map(|e| e.targets[ti].1).collect::<Vec<_>>()))
        .collect();
    let answer = evidence.iter().position(|e| e.meets);
    Ok(Plan {
        knob: spec.knob.clone(),
        kind,
        evidence,
        answer,
        trends,
        replications: spec.replications,
    })
}

/// The evidence table as rows of (column, value): the knob value, then per
/// target the metric's mean, CI, defined runs and whether it is met, then
/// whether every target is.
pub fn evidence_rows(p: &Plan, targets: &[Target]) -> Vec<Vec<(String, Value)>> {
    let num = |x: Option<f64>| {
        x.and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number)
    };
    p.evidence
        .iter()
        .map(|e| {
            let mut row = vec![(
                p.knob.clone(),
                match p.kind {
                    KnobKind::Integer => {
                        e.value.text.parse::<i64>().map_or(Value::Null, Value::from)
                    }
                    KnobKind::Real => num(Some(e.value.x)),
                },
            )];
            for (t, (s, met)) in targets.iter().zip(&e.targets) {
                if !row.iter().any(|(k, _)| *k == format!("{}_mean", t.metric)) {
                    row.push((format!("{}_mean", t.metric), num(s.mean)));
                    row.push((format!("{}_ci_low", t.metric), num(s.ci_low)));
                    row.push((format!("{}_ci_high", t.metric), num(s.ci_high)));
                    row.push((format!("{}_n", t.metric), Value::from(s.n as u64)));
                }
                row.push((format!("met: {t}"), Value::Bool(*met)));
            }
            row.push(("meets_all".into(), Value::Bool(e.meets)));
            row
        })
        .collect()
}
