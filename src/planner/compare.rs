//! Two policies side by side: every metric of each, and the difference
//! B − A with its 95 % confidence interval.
//!
//! # Pairing
//! When both sides are runs of the same seeds, one run per seed (the
//! replications of two sweep points, or two scenarios replicated by
//! `parksim compare` with the same seeds), run `i` of A and the run of B
//! with the same seed saw the same drivers wherever the two scenarios'
//! demand agrees: *common random numbers*. The difference is then measured
//! on the pairs: `d = B − A` per seed, and its interval is Student's t of
//! the mean of `d`, `mean(d) ± t(0.975, n−1) · sd(d) / √n`, over the `n`
//! pairs in which the metric is defined on both sides. Pairing removes the
//! luck both sides share, so the interval is usually far narrower than the
//! sides' own intervals suggest.
//!
//! Otherwise (other seeds, or a seed twice) the sides are independent
//! samples and the interval is Welch's: `mean(B) − mean(A) ±
//! t(0.975, ν) · √(s²_A/n_A + s²_B/n_B)` with the Welch–Satterthwaite
//! degrees of freedom `ν` (rounded down).
//!
//! # Undefined values
//! A metric undefined (`null`) in a run is left out, as in a sweep's
//! statistics; a difference with fewer than two values has no interval
//! (`None`, `null` in JSON), and `differs` is `None` then. `differs` is
//! `Some(true)` when the interval excludes 0: B's value differs from A's
//! beyond the noise of the runs.

use super::stats::{Stat, metric_keys, t975};
use crate::sim::tables::flatten;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// One side's runs: each a seed and its flattened summary
/// ([`crate::sim::tables::flatten`]).
#[derive(Debug, Clone)]
pub struct Sample {
    /// What the side is, for people ("sweep-out point 3: …").
    pub label: String,
    pub runs: Vec<(u64, Vec<(String, Value)>)>,
}

impl Sample {
    /// A side from run summaries with their seeds.
    pub fn of(label: String, runs: &[(u64, crate::sim::run::Summary)]) -> Sample {
        Sample {
            label,
            runs: runs.iter().map(|(s, sum)| (*s, flatten(sum))).collect(),
        }
    }

    fn seeds(&self) -> Vec<u64> {
        let mut s: Vec<u64> = self.runs.iter().map(|r| r.0).collect();
        s.sort_unstable();
        s
    }

    /// The metric's defined values, by seed.
    fn values(&self, key: &str) -> BTreeMap<u64, f64> {
        self.runs
            .iter()
            .filter_map(|(seed, row)| {
                row.iter()
                    .find(|(k, _)| k == key)
                    .and_then(|(_, v)| v.as_f64())
                    .map(|x| (*seed, x))
            })
            .collect()
    }
}

/// The difference B − A of one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diff {
    /// Pairs (paired) or the smaller side's runs (unpaired) in which the
    /// metric is defined.
    pub n: usize,
    pub mean: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Whether the interval excludes 0 (`None` without an interval).
    pub differs: Option<bool>,
}

/// One metric on both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricRow {
    pub metric: String,
    pub a: StatJson,
    pub b: StatJson,
    /// B − A.
    pub diff: Diff,
}

/// A side's statistics of a metric, as JSON writes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatJson {
    pub n: usize,
    pub mean: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

impl From<Stat> for StatJson {
    fn from(s: Stat) -> StatJson {
        StatJson {
            n: s.n,
            mean: s.mean,
            ci_low: s.ci_low,
            ci_high: s.ci_high,
        }
    }
}

/// The comparison of two sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The sides' labels: a scenario's name and its file, or a sweep's
    /// directory and grid point, each path by as few trailing components
    /// as tell the two sides apart (the report page shows them and names
    /// no directory of the machine).
    pub a: String,
    pub b: String,
    /// The sides as given on the command line, paths in full (`compare`
    /// sets them; absent in comparisons made before it did).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a_arg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b_arg: Option<String>,
    pub a_runs: usize,
    pub b_runs: usize,
    /// Whether runs were paired by seed (common random numbers).
    pub paired: bool,
    /// Every metric of either side, in the order of A's summary.
    pub metrics: Vec<MetricRow>,
}

impl Comparison {
    /// The row of metric `name`.
    pub fn get(&self, name: &str) -> Option<&MetricRow> {
        self.metrics.iter().find(|m| m.metric == name)
    }
}

/// Compares B against A (see the module doc for pairing and intervals).
pub fn compare(a: &Sample, b: &Sample) -> Comparison {
    let seeds = a.seeds();
    let paired = !seeds.is_empty() && seeds == b.seeds() && seeds.windows(2).all(|w| w[0] != w[1]);
    let keys = metric_keys(a.runs.iter().chain(&b.runs).map(|(_, row)| row.as_slice()));
    let metrics = keys
        .into_iter()
        .map(|k| {
            let (va, vb) = (a.values(&k), b.values(&k));
            let xs = |m: &BTreeMap<u64, f64>| m.values().copied().collect::<Vec<_>>();
            let diff = if paired {
                paired_diff(&va, &vb)
            } else {
                welch_diff(&xs(&va), &xs(&vb))
            };
            MetricRow {
                a: Stat::of(&k, &xs(&va)).into(),
                b: Stat::of(&k, &xs(&vb)).into(),
                metric: k,
                diff,
            }
        })
        .collect();
    Comparison {
        a: a.label.clone(),
        b: b.label.clone(),
        a_arg: None,
        b_arg: None,
        a_runs: a.runs.len(),
        b_runs: b.runs.len(),
        paired,
        metrics,
    }
}

fn interval(n: usize, mean: f64, half: f64) -> Diff {
    let fin = |x: f64| x.is_finite().then_some(x);
    let (lo, hi) = (fin(mean - half), fin(mean + half));
    Diff {
        n,
        mean: fin(mean),
        ci_low: lo,
        ci_high: hi,
        differs: lo.zip(hi).map(|(l, h)| l > 0.0 || h < 0.0),
    }
}

/// Student's t interval of the mean of the per-seed differences.
fn paired_diff(a: &BTreeMap<u64, f64>, b: &BTreeMap<u64, f64>) -> Diff {
    let d: Vec<f64> = a
        .iter()
        .filter_map(|(s, x)| b.get(s).map(|y| y - x))
        .collect();
    let (m, _, h) = super::stats::mean_sd_ci(&d);
    interval(d.len(), m, h)
}

/// Welch's interval of mean(b) − mean(a).
fn welch_diff(a: &[f64], b: &[f64]) -> Diff {
    let (ma, sa, _) = super::stats::mean_sd_ci(a);
    let (mb, sb, _) = super::stats::mean_sd_ci(b);
    let n = a.len().min(b.len());
    let (va, vb) = (sa * sa / a.len() as f64, sb * sb / b.len() as f64);
    let se = (va + vb).sqrt();
    let half = if se == 0.0 {
        0.0
    } else {
        let nu = (va + vb).powi(2)
            / (va * va / (a.len() as f64 - 1.0) + vb * vb / (b.len() as f64 - 1.0));
        t975(nu.floor().max(1.0) as usize) * se
    };
    interval(n, mb - ma, half)
}

#[cfg(test)]
mod test {
    use super::*;

    fn side(label: &str, runs: &[(u64, f64)]) -> Sample {
        Sample {
            label: label.into(),
            runs: runs
                .iter()
                .map(|&(s, x)| {
                    let v = if x.is_nan() { Value::Null } else { x.into() };
                    (s, vec![("wait_s".to_string(), v)])
                })
                .collect(),
        }
    }

    #[test]
    fn pairs_by_seed_and_measures_the_shared_luck_away() {
        // Large run-to-run spread, B always 1 above A on the same seed.
        let a = side("A", &[(1, 10.0), (2, 50.0), (3, 30.0), (4, 90.0)]);
        let b = side("B", &[(4, 91.0), (3, 31.0), (1, 11.0), (2, 51.0)]);
        let c = compare(&a, &b);
        assert!(c.paired);
        let d = &c.get("wait_s").unwrap().diff;
        assert_eq!(
            (d.n, d.mean, d.ci_low, d.ci_high),
            (4, Some(1.0), Some(1.0), Some(1.0))
        );
        assert_eq!(d.differs, Some(true));
        // Unpaired (other seeds), the same numbers are within the noise.
        let b2 = side("B", &[(5, 91.0), (6, 31.0), (7, 11.0), (8, 51.0)]);
        let u = compare(&a, &b2);
        assert!(!u.paired);
        let d = &u.get("wait_s").unwrap().diff;
        assert_eq!(d.mean, Some(1.0));
        assert_eq!(d.differs, Some(false));
        assert!(
            d.ci_low.unwrap() < -40.0 && d.ci_high.unwrap() > 40.0,
            "{d:?}"
        );
    }

    #[test]
    fn paired_interval_is_students_t_of_the_differences() {
        let a = side("A", &[(1, 0.0), (2, 0.0), (3, 0.0)]);
        let b = side("B", &[(1, 1.0), (2, 2.0), (3, 3.0)]);
        let d = compare(&a, &b).get("wait_s").unwrap().diff.clone();
        // mean 2, sd 1, t(0.975, 2) = 4.303: 2 ± 4.303/√3.
        let h = 4.303 / 3f64.sqrt();
        assert_eq!(d.mean, Some(2.0));
        assert!((d.ci_low.unwrap() - (2.0 - h)).abs() < 1e-9);
        assert!((d.ci_high.unwrap() - (2.0 + h)).abs() < 1e-9);
        assert_eq!(d.differs, Some(false));
    }

    #[test]
    fn welch_matches_a_worked_example() {
        // a: mean 2, var 1 (n 3); b: mean 6, var 4 (n 3). se² = 1/3 + 4/3,
        // ν = (5/3)² / ((1/3)²/2 + (4/3)²/2) = 2.94 → 2: 4 ± 4.303·√(5/3).
        let a = side("A", &[(1, 1.0), (2, 2.0), (3, 3.0)]);
        let b = side("B", &[(4, 4.0), (5, 6.0), (6, 8.0)]);
        let d = compare(&a, &b).get("wait_s").unwrap().diff.clone();
        let h = 4.303 * (5.0f64 / 3.0).sqrt();
        assert!((d.ci_low.unwrap() - (4.0 - h)).abs() < 1e-9, "{d:?}");
        assert_eq!(d.differs, Some(false));
    }

    #[test]
    fn undefined_values_are_left_out_and_too_few_give_no_interval() {
        let a = side("A", &[(1, f64::NAN), (2, 5.0), (3, 7.0)]);
        let b = side("B", &[(1, 4.0), (2, 6.0), (3, f64::NAN)]);
        let r = compare(&a, &b);
        let row = r.get("wait_s").unwrap();
        assert_eq!((row.a.n, row.b.n), (2, 2));
        // One pair (seed 2) with both defined: a mean, no interval.
        assert_eq!(row.diff.n, 1);
        assert_eq!(row.diff.mean, Some(1.0));
        assert_eq!((row.diff.ci_low, row.diff.differs), (None, None));
        let json = serde_json::to_value(&r).unwrap();
        assert!(json["metrics"][0]["diff"]["ci_low"].is_null());
    }

    #[test]
    fn a_seed_twice_is_not_paired() {
        let a = side("A", &[(1, 1.0), (1, 2.0)]);
        let b = side("B", &[(1, 1.0), (1, 2.0)]);
        assert!(!compare(&a, &b).paired);
    }
}
