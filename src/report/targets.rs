//! Best policies against stated targets: which grid points of a sweep
//! meet every target, and in what order to list them.
//!
//! # Met
//! A target (`metric>=value` or `metric<=value`, parsed as `parksim plan`
//! parses it: [`Target`]) is met at a point when the metric's whole 95 %
//! confidence interval is on its side: the CI's low bound `>=` value, or
//! its high bound `<=` value ([`Target::met_by`]). The mean alone never
//! meets a target; a metric undefined at the point, or with one run (no
//! CI), or missing from the summary, does not meet it.
//!
//! # Ranked
//! The points meeting every target are listed best first: by the first
//! target's CI bound (the higher the low bound of a `>=` target, the
//! lower the high bound of a `<=` target, the better), ties broken by the
//! second target's, and so on, and last by grid order. Put the target
//! that matters most first.
//!
//! # Defaults
//! Without `--target`: [`DEFAULT_TARGETS`] — at least 95 % of booking
//! attempts succeed, at most 5 % of walk-ins are turned away, and the 95th
//! percentile of the entrance wait is at most two minutes.

use super::points::SweepPoint;
use crate::planner::Stat;
use crate::planner::plan::Target;
use std::cmp::Ordering;

/// The targets a report states when none are given.
pub const DEFAULT_TARGETS: [&str; 3] = [
    "booking_success_rate>=0.95",
    "walkin_blocking_rate<=0.05",
    "p95_wait_s<=120",
];

/// [`DEFAULT_TARGETS`], parsed.
pub fn default_targets() -> Vec<Target> {
    DEFAULT_TARGETS
        .iter()
        .filter_map(|t| t.parse().ok())
        .collect()
}

/// `--target` texts, parsed; none given: the defaults.
pub fn parse_targets(texts: &[String]) -> Result<Vec<Target>, String> {
    if texts.is_empty() {
        return Ok(default_targets());
    }
    texts.iter().map(|t| t.parse()).collect()
}

/// One point against every target.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Index into the points.
    pub index: usize,
    /// Per target: the metric's statistics (`None`: not in the summary)
    /// and whether the target is met.
    pub targets: Vec<(Option<Stat>, bool)>,
    pub meets: bool,
}

/// Every point's verdict, and the points meeting every target, ranked.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    pub verdicts: Vec<Verdict>,
    /// Indices into the points, best first.
    pub ranked: Vec<usize>,
}

/// The CI bound a target is judged by.
pub fn bound(t: &Target, s: &Stat) -> Option<f64> {
    if t.at_least { s.ci_low } else { s.ci_high }
}

/// Judges and ranks `points` against `targets` (see the module doc).
pub fn rank(points: &[SweepPoint], targets: &[Target]) -> Ranking {
    let verdicts: Vec<Verdict> = points
        .iter()
        .enumerate()
        .map(|(index, p)| {
            let targets: Vec<(Option<Stat>, bool)> = targets
                .iter()
                .map(|t| {
                    let s = p.stat(&t.metric).cloned();
                    let ok = s.as_ref().is_some_and(|s| t.met_by(s));
                    (s, ok)
                })
                .collect();
            let meets = targets.iter().all(|(_, ok)| *ok);
            Verdict {
                index,
                targets,
                meets,
            }
        })
        .collect();
    let mut ranked: Vec<&Verdict> = verdicts.iter().filter(|v| v.meets).collect();
    ranked.sort_by(|a, b| {
        for (i, t) in targets.iter().enumerate() {
            // Met targets have their bound.
            let x = a.targets[i].0.as_ref().and_then(|s| bound(t, s));
            let y = b.targets[i].0.as_ref().and_then(|s| bound(t, s));
            let (x, y) = (x.unwrap_or(f64::NAN), y.unwrap_or(f64::NAN));
            let o = if t.at_least {
                y.total_cmp(&x)
            } else {
                x.total_cmp(&y)
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        points[a.index].point.cmp(&points[b.index].point)
    });
    let ranked = ranked.into_iter().map(|v| v.index).collect();
    Ranking { verdicts, ranked }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::report::csv::Csv;
    use crate::report::points::read_points;

    /// A summary of five points with known CIs (s = booking success, b =
    /// walk-in blocking): the columns `parksim sweep` writes.
    const SUMMARY: &str = "\
point,runs,garage.reservable_stalls,booking_success_rate_mean,booking_success_rate_sd,booking_success_rate_ci_low,booking_success_rate_ci_high,booking_success_rate_n,walkin_blocking_rate_mean,walkin_blocking_rate_sd,walkin_blocking_rate_ci_low,walkin_blocking_rate_ci_high,walkin_blocking_rate_n
0,3,30,0.97,0.01,0.93,0.99,3,0.01,0.01,0.0,0.03,3
1,3,60,0.98,0.01,0.96,1.0,3,0.02,0.01,0.0,0.04,3
2,3,90,0.99,0.005,0.97,1.0,3,0.04,0.01,0.01,0.06,3
3,3,120,0.99,0.005,0.97,1.0,3,0.01,0.005,0.0,0.02,3
4,1,150,1.0,,,,1,0.0,,,,1
";

    fn targets(ts: &[&str]) -> Vec<Target> {
        ts.iter().map(|t| t.parse().unwrap()).collect()
    }

    #[test]
    fn lists_the_points_whose_ci_meets_every_target_best_first() {
        let points = read_points(&Csv::parse(SUMMARY).unwrap()).unwrap();
        let cases: [(&[&str], &[usize]); 6] = [
            // Point 0: mean 0.97 but CI low 0.93 < 0.95. Point 2: blocking
            // CI high 0.06 > 0.05. Point 4: one run, no CI. Points 1 and 3
            // meet both; 3 has the higher low bound of the first target.
            (
                &["booking_success_rate>=0.95", "walkin_blocking_rate<=0.05"],
                &[3, 1],
            ),
            // Blocking first: 3 (0.02) before 1 (0.04).
            (
                &["walkin_blocking_rate<=0.05", "booking_success_rate>=0.95"],
                &[3, 1],
            ),
            // Ties on the first target (2, 3: 0.97) go to the second.
            (
                &["booking_success_rate>=0.96", "walkin_blocking_rate<=0.1"],
                &[3, 2, 1],
            ),
            // Ties on every target go by grid order.
            (&["booking_success_rate>=0.97"], &[2, 3]),
            (&["booking_success_rate>=0.999"], &[]),
            (&["no_such_metric<=1"], &[]),
        ];
        for (ts, want) in cases {
            let r = rank(&points, &targets(ts));
            let got: Vec<usize> = r.ranked.iter().map(|&i| points[i].point).collect();
            assert_eq!(got, want, "{ts:?}");
            assert_eq!(r.verdicts.len(), points.len());
        }
    }

    #[test]
    fn defaults_parse_and_bad_targets_are_errors() {
        assert_eq!(default_targets().len(), DEFAULT_TARGETS.len());
        assert_eq!(parse_targets(&[]).unwrap(), default_targets());
        let t = parse_targets(&["revenue>=10".into()]).unwrap();
        assert_eq!(t.len(), 1);
        assert!(parse_targets(&["revenue=10".into()]).is_err());
    }
}
