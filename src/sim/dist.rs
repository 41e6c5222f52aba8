//! Distributions of the random quantities of a scenario, as scenario files
//! write them: `{ dist = "lognormal", mean = 6.0, sd = 2.0 }`.
//!
//! | `dist` | keys | notes |
//! |---|---|---|
//! | `constant` | `value` | |
//! | `exponential` | `mean` | rate = 1 / mean |
//! | `uniform` | `low`, `high` | continuous on [low, high) |
//! | `normal` | `mean`, `sd` | [`Dist::sample_nonneg`] truncates at 0 |
//! | `lognormal` | `mean`, `sd` | of the value itself, not of its log |
//! | `empirical` | `values`, `weights` | weights optional (equal) |
//!
//! Units are those of the key that holds the distribution (`service_s` is
//! in seconds, `stay_min` in minutes).

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Exp, LogNormal, Normal};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A distribution as written in a scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
pub enum DistSpec {
    Constant {
        value: f64,
    },
    Exponential {
        mean: f64,
    },
    Uniform {
        low: f64,
        high: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    Lognormal {
        mean: f64,
        sd: f64,
    },
    Empirical {
        values: Vec<f64>,
        #[serde(default)]
        weights: Option<Vec<f64>>,
    },
}

/// A distribution ready to sample.
#[derive(Debug, Clone)]
pub enum Dist {
    Constant(f64),
    Exponential(Exp<f64>, f64),
    Uniform(f64, f64),
    Normal(Normal<f64>, f64, f64),
    Lognormal(LogNormal<f64>, f64, f64),
    /// Values and their cumulative weights (last = 1).
    Empirical(Vec<f64>, Vec<f64>),
}

/// Why a distribution's parameters are refused.
#[derive(Debug, Clone, PartialEq)]
pub struct DistError(pub String);

impl fmt::Display for DistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DistError {}

fn finite(name: &str, v: f64) -> Result<f64, DistError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(DistError(format!(
            "`{name}` must be a finite number, got {v}"
        )))
    }
}

impl DistSpec {
    /// Checks the parameters and builds the sampler.
    pub fn build(&self) -> Result<Dist, DistError> {
        Ok(match *self {
            DistSpec::Constant { value } => Dist::Constant(finite("value", value)?),
            DistSpec::Exponential { mean } => {
                if finite("mean", mean)? <= 0.0 {
                    return Err(DistError(format!(
                        "exponential `mean` must be > 0, got {mean}"
                    )));
                }
                Dist::Exponential(
                    Exp::new(1.0 / mean).map_err(|e| DistError(e.to_string()))?,
                    mean,
                )
            }
            DistSpec::Uniform { low, high } => {
                if finite("low", low)? >= finite("high", high)? {
                    return Err(DistError(format!(
                        "uniform needs `low` < `high`, got {low} and {high}"
                    )));
                }
                Dist::Uniform(low, high)
            }
            DistSpec::Normal { mean, sd } => {
                if finite("sd", sd)? < 0.0 {
                    return Err(DistError(format!("normal `sd` must be >= 0, got {sd}")));
                }
                let n =
                    Normal::new(finite("mean", mean)?, sd).map_err(|e| DistError(e.to_string()))?;
                Dist::Normal(n, mean, sd)
            }
            DistSpec::Lognormal { mean, sd } => {
                if finite("mean", mean)? <= 0.0 || finite("sd", sd)? < 0.0 {
                    return Err(DistError(format!(
                        "lognormal needs `mean` > 0 and `sd` >= 0, got {mean} and {sd}"
                    )));
                }
                // Moments of the value: sigma^2 = ln(1 + sd^2/mean^2), mu = ln(mean) - sigma^2/2.
                let s2 = (1.0 + (sd / mean).powi(2)).ln();
                let ln = LogNormal::new(mean.ln() - s2 / 2.0, s2.sqrt())
                    .map_err(|e| DistError(e.to_string()))?;
                Dist::Lognormal(ln, mean, sd)
            }
            DistSpec::Empirical {
                ref values,
                ref weights,
            } => {
                if values.is_empty() {
                    return Err(DistError("empirical `values` must not be empty".into()));
                }
                for &v in values {
                    finite("values", v)?;
                }
                let w: Vec<f64> = match weights {
                    None => vec![1.0; values.len()],
                    Some(w) if w.len() == values.len() => w.clone(),
                    Some(w) => {
                        return Err(DistError(format!(
                            "empirical has {} `values` but {} `weights`",
                            values.len(),
                            w.len()
                        )));
                    }
                };
                if w.iter().any(|x| !x.is_finite() || *x < 0.0) {
                    return Err(DistError(
                        "empirical `weights` must be finite and >= 0".into(),
                    ));
                }
                let total: f64 = w.iter().sum();
                if total <= 0.0 {
                    return Err(DistError("empirical `weights` must not all be 0".into()));
                }
                let mut acc = 0.0;
                let mut cum: Vec<f64> = w
                    .iter()
                    .map(|x| {
                        acc += x / total;
                        acc
                    })
                    .collect();
                if let Some(last) = cum.last_mut() {
                    *last = 1.0;
                }
                Dist::Empirical(values.clone(), cum)
            }
        })
    }
}

impl Dist {
    /// One draw.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Dist::Constant(v) => *v,
            Dist::Exponential(e, _) => e.sample(rng),
            Dist::Uniform(lo, hi) => lo + (hi - lo) * rng.random::<f64>(),
            Dist::Normal(n, _, _) => n.sample(rng),
            Dist::Lognormal(l, _, _) => l.sample(rng),
            Dist::Empirical(values, cum) => {
                let u: f64 = rng.random();
                let i = cum.partition_point(|&c| c <= u).min(values.len() - 1);
                values[i]
            }
        }
    }

    /// One draw of a quantity that cannot be negative (a duration): a
    /// normal is truncated at 0 by redrawing (up to 64 times, then 0).
    pub fn sample_nonneg<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        for _ in 0..64 {
            let x = self.sample(rng);
            if x >= 0.0 {
                return x;
            }
        }
        0.0
    }

    /// The mean of the (untruncated) distribution.
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Constant(v) => *v,
            Dist::Exponential(_, m) => *m,
            Dist::Uniform(lo, hi) => (lo + hi) / 2.0,
            Dist::Normal(_, m, _) | Dist::Lognormal(_, m, _) => *m,
            Dist::Empirical(values, cum) => {
                let mut prev = 0.0;
                values
                    .iter()
                    .zip(cum)
                    .map(|(v, c)| {
                        let p = c - prev;
                        prev = *c;
                        v * p
                    })
                    .sum()
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn moments(spec: DistSpec, n: usize) -> (f64, f64) {
        let d = spec.build().unwrap();
        let mut rng = StdRng::seed_from_u64(7);
        let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng)).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
        (m, v.sqrt())
    }

    #[test]
    fn sample_moments_match_parameters() {
        let n = 200_000;
        let (m, s) = moments(
            DistSpec::Lognormal {
                mean: 150.0,
                sd: 90.0,
            },
            n,
        );
        assert!((m - 150.0).abs() < 1.5, "{m}");
        assert!((s - 90.0).abs() < 2.0, "{s}");
        let (m, s) = moments(DistSpec::Exponential { mean: 60.0 }, n);
        assert!((m - 60.0).abs() < 0.6 && (s - 60.0).abs() < 1.0, "{m} {s}");
        let (m, s) = moments(
            DistSpec::Uniform {
                low: 30.0,
                high: 1440.0,
            },
            n,
        );
        assert!(
            (m - 735.0).abs() < 5.0 && (s - 1410.0 / 12f64.sqrt()).abs() < 3.0,
            "{m} {s}"
        );
        let (m, s) = moments(
            DistSpec::Normal {
                mean: -5.0,
                sd: 10.0,
            },
            n,
        );
        assert!((m + 5.0).abs() < 0.1 && (s - 10.0).abs() < 0.1, "{m} {s}");
        assert_eq!(moments(DistSpec::Constant { value: 8.0 }, 10), (8.0, 0.0));
    }

    #[test]
    fn empirical_follows_weights() {
        let d = DistSpec::Empirical {
            values: vec![1.0, 2.0, 3.0],
            weights: Some(vec![1.0, 0.0, 3.0]),
        }
        .build()
        .unwrap();
        assert_eq!(d.mean(), 2.5);
        let mut rng = StdRng::seed_from_u64(1);
        let mut counts = [0usize; 3];
        for _ in 0..40_000 {
            counts[d.sample(&mut rng) as usize - 1] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!(
            (counts[0] as f64 / 40_000.0 - 0.25).abs() < 0.01,
            "{counts:?}"
        );
    }

    #[test]
    fn truncation_at_zero() {
        let d = DistSpec::Normal { mean: 1.0, sd: 5.0 }.build().unwrap();
        let mut rng = StdRng::seed_from_u64(3);
        assert!((0..10_000).all(|_| d.sample_nonneg(&mut rng) >= 0.0));
    }

    #[test]
    fn bad_parameters_are_errors() {
        for bad in [
            DistSpec::Exponential { mean: 0.0 },
            DistSpec::Uniform {
                low: 2.0,
                high: 1.0,
            },
            DistSpec::Normal {
                mean: 0.0,
                sd: -1.0,
            },
            DistSpec::Lognormal {
                mean: -1.0,
                sd: 1.0,
            },
            DistSpec::Constant { value: f64::NAN },
            DistSpec::Empirical {
                values: vec![],
                weights: None,
            },
            DistSpec::Empirical {
                values: vec![1.0],
                weights: Some(vec![1.0, 2.0]),
            },
            DistSpec::Empirical {
                values: vec![1.0],
                weights: Some(vec![0.0]),
            },
        ] {
            assert!(bad.build().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn reads_scenario_syntax() {
        let t: toml::Table =
            toml::from_str(r#"s = { dist = "lognormal", mean = 6.0, sd = 2.0 }"#).unwrap();
        let s: DistSpec = t["s"].clone().try_into().unwrap();
        assert_eq!(s, DistSpec::Lognormal { mean: 6.0, sd: 2.0 });
        let bad: Result<DistSpec, _> = toml::Value::try_into(
            toml::from_str::<toml::Table>(r#"s = { dist = "lognormal", mean = 6.0, sdev = 2.0 }"#)
                .unwrap()["s"]
                .clone(),
        );
        assert!(bad.unwrap_err().to_string().contains("sdev"));
    }
}
