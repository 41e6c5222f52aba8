//! Statistics over replications: the metrics of a run, their mean,
//! standard deviation and 95 % confidence interval.
//!
//! # Which metrics
//! A *metric* is any key of a run's flattened summary
//! ([`crate::sim::tables::flatten`], the keys of `parksim run --json` with
//! nested objects joined by `_`) whose value is a number, or `null`, in
//! every run — except `seed`, which names a run rather than measuring it.
//! Text (`scenario`, `reconcile_problems`) and booleans (`reconciled`,
//! `conservation_ok`) are not metrics of the summary table; [`value`]
//! still reads a boolean as 0 or 1 for a `plan` target.
//!
//! # Undefined values
//! `null` means the metric is undefined in that run (a rate whose
//! denominator is 0, a wait with nobody waiting). It is left out of the
//! mean, sd and CI, and `n` says in how many runs the metric was defined.
//! With `n = 0` every statistic is undefined; with `n = 1` the mean is the
//! value and sd and CI are undefined.
//!
//! # Confidence intervals
//! The 95 % interval is Student's t interval of the mean across runs,
//! `mean ± t(0.975, n−1) · sd / √n`. For a *rate* — a key ending in
//! `_rate`, a key ending in `_occupancy` (`mean_occupancy`,
//! `peak_occupancy`), or a key starting with `time_share_` — the interval is
//! intersected with [0, 1]. The true value of a rate lies in [0, 1], so the
//! intersection contains it exactly when the t interval does: the coverage
//! is unchanged, and no interval claims an impossible value. (A Wilson
//! interval with n runs as trials would also stay inside [0, 1] but treats
//! each run as a coin toss, several times wider than the runs' spread
//! warrants.) When every run gives the same value the interval is that
//! point: more replications, or a look at the run counts, tell whether
//! that is certainty or too few runs.

use serde_json::Value;

/// Two-sided 95 % Student t quantile for `df` degrees of freedom.
pub fn t975(df: usize) -> f64 {
    const T: [f64; 10] = [
        f64::NAN,
        12.706,
        4.303,
        3.182,
        2.776,
        2.571,
        2.447,
        2.365,
        2.306,
        2.262,
    ];
    if df < T.len() {
        return T[df];
    }
    // Cornish-Fisher expansion around z = 1.959964, four terms: within
    // 1e-5 of the exact quantile for df >= 10 (three terms were 2.7e-3
    // short at df 10, an interval 0.1 % too narrow).
    let z: f64 = 1.959_964;
    let d = df as f64;
    z + (z.powi(3) + z) / (4.0 * d)
        + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * d.powi(2))
        + (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / (384.0 * d.powi(3))
        + (79.0 * z.powi(9) + 776.0 * z.powi(7) + 1482.0 * z.powi(5)
            - 1920.0 * z.powi(3)
            - 945.0 * z)
            / (92160.0 * d.powi(4))
}

/// Mean, sample standard deviation and 95 % CI half-width of `xs` (NaN
/// where undefined: all three for no values, sd and half-width for one).
pub fn mean_sd_ci(xs: &[f64]) -> (f64, f64, f64) {
    let n = xs.len();
    if n == 0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let m = xs.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return (m, f64::NAN, f64::NAN);
    }
    let sd = (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
    (m, sd, t975(n - 1) * sd / (n as f64).sqrt())
}

/// Whether `key` is a rate (a share in [0, 1]) by the rule of the module
/// doc: ends in `_rate` or `_occupancy`, or starts with `time_share_`.
pub fn is_rate(key: &str) -> bool {
    key.ends_with("_rate") || key.ends_with("_occupancy") || key.starts_with("time_share_")
}

/// One metric's statistics over the runs that defined it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stat {
    /// Runs in which the metric was defined (a number, not `null`).
    pub n: usize,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

impl Stat {
    /// Statistics of `xs` (the defined values) for metric `key`.
    pub fn of(key: &str, xs: &[f64]) -> Stat {
        let (m, sd, h) = mean_sd_ci(xs);
        let fin = |x: f64| x.is_finite().then_some(x);
        let (mut lo, mut hi) = (m - h, m + h);
        if is_rate(key) {
            lo = lo.clamp(0.0, 1.0);
            hi = hi.clamp(0.0, 1.0);
        }
        Stat {
            n: xs.len(),
            mean: fin(m),
            sd: fin(sd),
            ci_low: fin(lo),
            ci_high: fin(hi),
        }
    }
}

/// A flattened summary value as a number: numbers as they are, booleans as
/// 0 or 1, `null` and text as undefined.
pub fn value(v: &Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_bool().map(|b| f64::from(u8::from(b))))
}

/// The metric keys of a set of flattened summaries, in order of first
/// appearance: keys whose value is a number or `null` in every summary
/// that has them, `seed` excepted.
pub fn metric_keys<'a, I>(rows: I) -> Vec<String>
where
    I: IntoIterator<Item = &'a [(String, Value)]>,
{
    let mut order: Vec<String> = Vec::new();
    let mut numeric: std::collections::BTreeMap<String, bool> = Default::default();
    for row in rows {
        for (k, v) in row {
            let ok = matches!(v, Value::Number(_) | Value::Null);
            match numeric.get_mut(k) {
                Some(x) => *x &= ok,
                None => {
                    numeric.insert(k.clone(), ok);
                    order.push(k.clone());
                }
            }
        }
    }
    order
        .into_iter()
        .filter(|k| k != "seed" && numeric[k])
        .collect()
}
