//! A sweep's grid points as its `summary.csv` states them: the grid
//! values and, per metric, the statistics over the point's runs
//! (`<m>_mean`, `_sd`, `_ci_low`, `_ci_high`, `_n`; see
//! [`crate::planner::stats`]).

use super::csv::Csv;
use crate::planner::Stat;
use std::collections::BTreeMap;

/// One grid point of a sweep summary.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepPoint {
    pub point: usize,
    pub runs: usize,
    /// (key, value text) in the summary's column order.
    pub grid: Vec<(String, String)>,
    pub stats: BTreeMap<String, Stat>,
}

impl SweepPoint {
    /// "key=value, key=value".
    pub fn label(&self) -> String {
        if self.grid.is_empty() {
            return format!("point {}", self.point);
        }
        self.grid
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn stat(&self, metric: &str) -> Option<&Stat> {
        self.stats.get(metric)
    }
}

/// The grid columns of a sweep summary: those between `runs` and the
/// first `_mean` column.
pub fn grid_columns(t: &Csv) -> Vec<String> {
    t.header
        .iter()
        .skip_while(|c| *c != "runs")
        .skip(1)
        .take_while(|c| !c.ends_with("_mean"))
        .cloned()
        .collect()
}

/// The metrics of a sweep summary, in column order: every `<m>` with a
/// `<m>_mean` column.
pub fn metric_names(t: &Csv) -> Vec<String> {
    t.header
        .iter()
        .filter_map(|c| c.strip_suffix("_mean"))
        .filter(|m| t.column(&format!("{m}_ci_low")).is_some())
        .map(str::to_string)
        .collect()
}

/// Every row of a sweep summary as a [`SweepPoint`]; a summary without
/// `point` and `runs` columns is not a sweep's.
pub fn read_points(t: &Csv) -> Result<Vec<SweepPoint>, String> {
    for c in ["point", "runs"] {
        if t.column(c).is_none() {
            return Err(format!("no `{c}` column: not a sweep summary"));
        }
    }
    let grid = grid_columns(t);
    let metrics = metric_names(t);
    let count = |r: usize, c: &str| -> Result<usize, String> {
        t.get(r, c)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("row {}: `{c}` is not a count", r + 1))
    };
    (0..t.rows.len())
        .map(|r| {
            Ok(SweepPoint {
                point: count(r, "point")?,
                runs: count(r, "runs")?,
                grid: grid
                    .iter()
                    .map(|g| (g.clone(), t.get(r, g).unwrap_or("").to_string()))
                    .collect(),
                stats: metrics
                    .iter()
                    .map(|m| {
                        let f = |s: &str| t.number(r, &format!("{m}_{s}"));
                        let stat = Stat {
                            n: f("n").map_or(0, |x| x as usize),
                            mean: f("mean"),
                            sd: f("sd"),
                            ci_low: f("ci_low"),
                            ci_high: f("ci_high"),
                        };
                        (m.clone(), stat)
                    })
                    .collect(),
            })
        })
        .collect()
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn reads_grid_and_statistics() {
        let t = Csv::parse(
            "point,runs,garage.stalls,x_rate_mean,x_rate_sd,x_rate_ci_low,x_rate_ci_high,x_rate_n\n\
             0,3,10,0.5,0.1,0.25,0.75,3\n\
             1,3,20,,,,,0\n",
        )
        .unwrap();
        assert_eq!(grid_columns(&t), vec!["garage.stalls"]);
        assert_eq!(metric_names(&t), vec!["x_rate"]);
        let p = read_points(&t).unwrap();
        assert_eq!(p[0].label(), "garage.stalls=10");
        assert_eq!(p[0].stat("x_rate").unwrap().ci_low, Some(0.25));
        assert_eq!(p[1].stat("x_rate").unwrap().mean, None);
        assert_eq!(p[1].stat("x_rate").unwrap().n, 0);
        let e = read_points(&Csv::parse("a\n1\n").unwrap()).unwrap_err();
        assert!(e.contains("point"), "{e}");
    }
}
