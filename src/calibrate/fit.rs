//! The first guess: an infinite-server model fitted by least squares.
//!
//! With room for everyone, vehicles inside at `t` are those who arrived at
//! `u ≤ t` and stay longer than `t − u`: `N(t) = ∫ λ(u) S(t − u) du`, with
//! `λ` the arrival rate (piecewise constant by hour, periodic over a day or
//! a week) and `S` the stay's survival function. For a given stay the
//! observed means are linear in the hourly rates, so the rates are a
//! non-negative least-squares fit, with a small penalty on the change from
//! one hour to the next (hours the observation does not cover are carried
//! smoothly, not left free) and a smaller one on size. The stay is then
//! chosen on a grid of lognormal means and coefficients of variation, or
//! taken from measured stays.
//!
//! Cost: O(cells × longest stay [min]) per stay to build the design, and
//! O(sweeps × hours²) to solve; a few hundred milliseconds for a weekly
//! profile over the whole grid.

use super::observed::ProfileKind;

/// A lognormal length of stay by mean and sd [min], as scenarios write it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stay {
    pub mean: f64,
    pub sd: f64,
}

/// The stays tried when none were measured: means [min] × coefficients of
/// variation.
pub const STAY_MEANS: [f64; 14] = [
    20.0, 30.0, 45.0, 60.0, 75.0, 90.0, 120.0, 150.0, 180.0, 240.0, 300.0, 360.0, 480.0, 600.0,
];
pub const STAY_CVS: [f64; 5] = [0.4, 0.6, 0.8, 1.0, 1.3];

/// Complementary error function (Numerical Recipes `erfcc`, relative
/// error below 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

impl Stay {
    /// P(stay > x), x [min].
    pub fn survival(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 1.0;
        }
        if self.sd <= 0.0 {
            return if x < self.mean { 1.0 } else { 0.0 };
        }
        let s2 = (1.0 + (self.sd / self.mean).powi(2)).ln();
        let mu = self.mean.ln() - s2 / 2.0;
        0.5 * erfc((x.ln() - mu) / (s2.sqrt() * std::f64::consts::SQRT_2))
    }

    /// Mean and sd of measured stays [min]; `None` for fewer than 10.
    pub fn measured(stays: &[f64]) -> Option<Stay> {
        if stays.len() < 10 {
            return None;
        }
        let n = stays.len() as f64;
        let mean = stays.iter().sum::<f64>() / n;
        let sd = (stays.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        (mean > 0.0).then_some(Stay { mean, sd })
    }
}

/// Minutes in the period of a profile kind.
pub fn period_min(kind: ProfileKind) -> usize {
    match kind {
        ProfileKind::Daily => 1440,
        ProfileKind::Weekday => 7 * 1440,
    }
}

/// One observed mean: minute within the period and vehicles inside.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    pub minute: usize,
    pub vehicles: f64,
}

/// Rows of the linear model: `rows[i][h]` = vehicles inside at target
/// `i`'s minute per vehicle/h arriving in hour `h` of the period.
fn design(kind: ProfileKind, targets: &[Target], stay: &Stay) -> Vec<Vec<f64>> {
    let p = period_min(kind);
    let hours = p / 60;
    // Ages up to where fewer than 1 in 10^5 are still inside, at most 14 days.
    let mut surv = Vec::new();
    for l in 0..14 * 1440 {
        let s = stay.survival(l as f64 + 0.5);
        if s < 1e-5 {
            break;
        }
        surv.push(s / 60.0);
    }
    targets
        .iter()
        .map(|t| {
            let mut row = vec![0.0; hours];
            for (l, s) in surv.iter().enumerate() {
                // Arrived in the minute starting l + 1 minutes before.
                let u = (t.minute as i64 - l as i64 - 1).rem_euclid(p as i64) as usize;
                row[u / 60] += s;
            }
            row
        })
        .collect()
}

/// Non-negative, smoothed least squares: argmin over `x ≥ 0` of
/// `|A x − y|² + α |D x|² + β |x|²`, `D` the cyclic first difference,
/// by coordinate descent (deterministic, a fixed order).
fn solve(a: &[Vec<f64>], y: &[f64], hours: usize) -> Vec<f64> {
    let mut q = vec![vec![0.0; hours]; hours];
    let mut c = vec![0.0; hours];
    for (row, yi) in a.iter().zip(y) {
        for i in 0..hours {
            if row[i] == 0.0 {
                continue;
            }
            c[i] += row[i] * yi;
            for j in 0..hours {
                q[i][j] += row[i] * row[j];
            }
        }
    }
    let scale = (0..hours).map(|i| q[i][i]).sum::<f64>() / hours as f64;
    let (alpha, beta) = (0.01 * scale.max(1e-9), 0.01 * scale.max(1e-9));
    #[allow(clippy::needless_range_loop)] // i and its neighbour j index q
    for i in 0..hours {
        let j = (i + 1) % hours;
        q[i][i] += 2.0 * alpha + beta;
        q[i][j] -= alpha;
        q[j][i] -= alpha;
    }
    let mut x = vec![0.0; hours];
    let mut grad: Vec<f64> = c.iter().map(|ci| -ci).collect(); // Q x − c at x = 0
    for _ in 0..2000 {
        let mut moved = 0.0f64;
        for i in 0..hours {
            let new = (x[i] - grad[i] / q[i][i]).max(0.0);
            let d = new - x[i];
            if d != 0.0 {
                for (g, qi) in grad.iter_mut().zip(&q[i]) {
                    *g += qi * d;
                }
                x[i] = new;
                moved = moved.max(d.abs());
            }
        }
        if moved < 1e-7 {
            break;
        }
    }
    x
}

/// Hourly rates [vehicles/h] for `stay` and the model's root mean square
/// error at the targets [vehicles].
pub fn fit_rates(kind: ProfileKind, targets: &[Target], stay: &Stay) -> (Vec<f64>, f64) {
    let a = design(kind, targets, stay);
    let y: Vec<f64> = targets.iter().map(|t| t.vehicles).collect();
    let x = solve(&a, &y, period_min(kind) / 60);
    let sse: f64 = a
        .iter()
        .zip(&y)
        .map(|(row, yi)| (row.iter().zip(&x).map(|(r, xi)| r * xi).sum::<f64>() - yi).powi(2))
        .sum();
    (x, (sse / targets.len().max(1) as f64).sqrt())
}

/// The stay of the grid whose fitted rates come closest to the targets,
/// with those rates and the error [vehicles]. Ties keep the first.
pub fn fit_stay(kind: ProfileKind, targets: &[Target]) -> (Stay, Vec<f64>, f64) {
    use rayon::prelude::*;
    let grid: Vec<Stay> = STAY_MEANS
        .iter()
        .flat_map(|&m| {
            STAY_CVS.iter().map(move |&cv| Stay {
                mean: m,
                sd: m * cv,
            })
        })
        .collect();
    let fits: Vec<(Vec<f64>, f64)> = grid
        .par_iter()
        .map(|s| fit_rates(kind, targets, s))
        .collect();
    let mut best = 0;
    for (i, f) in fits.iter().enumerate() {
        if f.1 < fits[best].1 {
            best = i;
        }
    }
    let (rates, err) = fits[best].clone();
    (grid[best], rates, err)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn survival_is_a_lognormal_tail() {
        let s = Stay {
            mean: 120.0,
            sd: 60.0,
        };
        assert_eq!(s.survival(0.0), 1.0);
        // Median = mean / sqrt(1 + cv²).
        let median = 120.0 / (1.0f64 + 0.25).sqrt();
        assert!((s.survival(median) - 0.5).abs() < 1e-6);
        assert!(s.survival(1e6) < 1e-9);
    }

    #[test]
    fn recovers_rates_of_an_exact_model() {
        // A constant 60 vehicles/h with 120-minute stays: 120 inside.
        let stay = Stay {
            mean: 120.0,
            sd: 60.0,
        };
        let targets: Vec<Target> = (0..48)
            .map(|b| Target {
                minute: b * 30,
                vehicles: 120.0,
            })
            .collect();
        let (x, err) = fit_rates(ProfileKind::Daily, &targets, &stay);
        assert!(err < 0.5, "{err}");
        for r in x {
            assert!((r - 60.0).abs() < 1.0, "{r}");
        }
    }
}
