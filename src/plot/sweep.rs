//! A sweep's figures: each metric against the knob the sweep file lists
//! first among those it varies, one line per value of the second, one
//! panel per value of the third (any further varied knob averaged, and
//! said so), with 95 % CI bars; and the heatmaps (`heatmap.rs`).
//!
//! The knobs' order comes from the sweep's `sweep.toml` (its grid lists
//! the keys as the sweep file did, [`Sweep::listed`]); a directory without
//! one falls back to the summary's column order.

use super::chart::{
    Chart, DrawResult, Figure, Key, LEGEND_W, SeriesStyle, col_f64, col_str, draw_legend,
    draw_line, err, read_csv, titled, write_figure,
};
use super::labels::{
    self, BLOCKING, BOOKING_SUCCESS, FULFILMENT, KnobLabel, MetricLabel, P95_WAIT, WALKIN_BLOCKING,
};
use crate::planner::Sweep;
use plotters::coord::Shift;
use plotters::prelude::*;
use polars::prelude::DataFrame;
use std::path::{Path, PathBuf};

/// A swept knob and the values it takes, in the order they are shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Knob {
    pub key: String,
    pub label: KnobLabel,
    /// Numerically sorted where every value is a number, else in the order
    /// the sweep file lists them.
    pub values: Vec<String>,
    pub numeric: bool,
}

impl Knob {
    fn new(key: &str, column: &[String]) -> Knob {
        let mut values: Vec<String> = Vec::new();
        for v in column {
            if !values.contains(v) {
                values.push(v.clone());
            }
        }
        let numeric = values.iter().all(|v| v.parse::<f64>().is_ok());
        if numeric {
            values.sort_by(|a, b| {
                let (x, y) = (a.parse::<f64>(), b.parse::<f64>());
                x.unwrap_or(0.0).total_cmp(&y.unwrap_or(0.0))
            });
        }
        Knob {
            key: key.to_string(),
            label: labels::knob(key),
            values,
            numeric,
        }
    }

    /// Where value `v` sits on an axis: the number itself, or its rank.
    pub fn position(&self, v: &str) -> Option<f64> {
        let i = self.values.iter().position(|x| x == v)?;
        if self.numeric {
            v.parse().ok()
        } else {
            Some(i as f64)
        }
    }
}

/// Which knob goes where.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// The x axis: the first varied knob the sweep file lists.
    pub x: Knob,
    /// One line (or heatmap row) per value of the second.
    pub line: Option<Knob>,
    /// One panel per value of the third.
    pub panel: Option<Knob>,
    /// Further varied knobs: averaged over.
    pub rest: Vec<Knob>,
    /// Knobs with a single value: (label, value), for the subtitle.
    pub fixed: Vec<String>,
}

/// A sweep's summary table with its layout.
pub struct SweepData {
    pub df: DataFrame,
    pub layout: Layout,
    /// Each row's value of each knob, by key.
    grid: Vec<(String, Vec<String>)>,
    /// Replications per grid point (min, max).
    pub runs: (usize, usize),
    /// The base scenario's name, stalls and days (where no knob sets
    /// them) and the sweep's seed, where `sweep.toml` tells them.
    pub base: Option<String>,
}

/// Grid columns of a sweep summary: the columns between `runs` and the
/// first metric column.
fn grid_columns(df: &DataFrame) -> Vec<String> {
    df.get_column_names()
        .iter()
        .map(|s| s.to_string())
        .skip_while(|c| c != "runs")
        .skip(1)
        .take_while(|c| !c.ends_with("_mean"))
        .collect()
}

impl SweepData {
    /// The values of the panel knob, in order; one unnamed panel without.
    pub fn panels(&self) -> Vec<String> {
        self.layout
            .panel
            .as_ref()
            .map_or_else(|| vec![String::new()], |k| k.values.clone())
    }

    /// Reads `summary.csv` and the knob order of `sweep.toml` in `dir`.
    pub fn read(dir: &Path) -> Result<SweepData, String> {
        let df = read_csv(&dir.join("summary.csv"))?;
        let mut keys = grid_columns(&df);
        let sweep = std::fs::read_to_string(dir.join("sweep.toml"))
            .ok()
            .and_then(|t| Sweep::from_toml(&t, dir).ok());
        if let Some(s) = &sweep {
            keys.sort_by_key(|k| s.listed.iter().position(|l| l == k).unwrap_or(usize::MAX));
        }
        let base = sweep.and_then(|s| {
            let scn = s.scenario(0, 0).ok()?;
            let mut parts = vec![format!("scenario {}", scn.name)];
            if !keys.iter().any(|k| k == "garage.stalls") {
                parts.push(format!("{} stalls", scn.garage.stalls));
            }
            if !keys.iter().any(|k| k == "days") {
                parts.push(format!("{} measured days", scn.days));
            }
            parts.push(format!("sweep seed {}", s.seed));
            Some(parts.join(" · "))
        });
        let mut grid = Vec::new();
        for k in &keys {
            grid.push((k.clone(), col_str(&df, k)?));
        }
        let mut varied = Vec::new();
        let mut fixed = Vec::new();
        for (k, col) in &grid {
            let knob = Knob::new(k, col);
            if knob.values.len() > 1 {
                varied.push(knob);
            } else if let Some(v) = knob.values.first() {
                fixed.push(knob.label.is(v));
            }
        }
        let mut varied = varied.into_iter();
        let Some(x) = varied.next() else {
            return Err("no swept parameter takes more than one value: nothing to plot".into());
        };
        let runs = col_f64(&df, "runs")
            .unwrap_or_default()
            .iter()
            .filter(|x| x.is_finite())
            .fold((usize::MAX, 0), |(a, b), &r| {
                (a.min(r as usize), b.max(r as usize))
            });
        Ok(SweepData {
            layout: Layout {
                x,
                line: varied.next(),
                panel: varied.next(),
                rest: varied.collect(),
                fixed,
            },
            df,
            grid,
            runs,
            base,
        })
    }

    fn column(&self, key: &str) -> Option<&[String]> {
        self.grid
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, c)| c.as_slice())
    }

    /// Cells of `metric`: for each (panel value, line value, x value) the
    /// mean and 95 % CI (low, high) over replications; averaged (means
    /// only, no CI) over the knobs of `Layout::rest`.
    pub fn cells(&self, metric: &str) -> Result<Vec<Cell>, String> {
        let mean = col_f64(&self.df, &format!("{metric}_mean"))?;
        let lo = col_f64(&self.df, &format!("{metric}_ci_low"))?;
        let hi = col_f64(&self.df, &format!("{metric}_ci_high"))?;
        let l = &self.layout;
        let value = |k: Option<&Knob>, row: usize| -> String {
            k.and_then(|k| self.column(&k.key))
                .map_or_else(String::new, |c| c[row].clone())
        };
        let mut out: Vec<(Cell, usize)> = Vec::new();
        for row in 0..mean.len() {
            if !mean[row].is_finite() {
                continue;
            }
            let key = (
                value(l.panel.as_ref(), row),
                value(l.line.as_ref(), row),
                value(Some(&l.x), row),
            );
            match out.iter_mut().find(|(c, _)| c.at == key) {
                Some((c, n)) => {
                    c.mean += mean[row];
                    *n += 1;
                }
                None => out.push((
                    Cell {
                        at: key,
                        mean: mean[row],
                        low: lo[row],
                        high: hi[row],
                    },
                    1,
                )),
            }
        }
        Ok(out
            .into_iter()
            .map(|(mut c, n)| {
                if n > 1 {
                    c.mean /= n as f64;
                    (c.low, c.high) = (f64::NAN, f64::NAN);
                }
                c
            })
            .collect())
    }

    /// "mean and 95 % CI of 3 replications · fixed: measured days = 1".
    pub fn subtitle(&self, what: &str) -> String {
        let (a, b) = self.runs;
        let reps = if a == b {
            format!("{a} replications")
        } else {
            format!("{a}–{b} replications")
        };
        let mut s = match &self.base {
            Some(b) => format!("{b} · {what} of {reps} per point"),
            None => format!("{what} of {reps} per point"),
        };
        if !self.layout.rest.is_empty() {
            let names: Vec<&str> = self
                .layout
                .rest
                .iter()
                .map(|k| k.label.name.as_str())
                .collect();
            s.push_str(&format!(" · averaged over {} (no CI)", names.join(", ")));
        }
        if !self.layout.fixed.is_empty() {
            s.push_str(&format!(" · {}", self.layout.fixed.join(", ")));
        }
        s
    }
}

/// One grid point's figure: (panel value, line value, x value) and the
/// metric's mean with its 95 % CI.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub at: (String, String, String),
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

/// The metrics a sweep's figures show, in order: booking success,
/// blocking (of walk-ins where the summary has it, else of all general
/// arrivals), p95 entrance wait, and fulfilment only where it varies by
/// more than 0.1 percentage point between grid points (it is 100 % in
/// most sweeps, and a flat line says nothing). A metric without a
/// defined mean anywhere is left out (a sweep without bookings has no
/// booking success).
pub fn metrics(df: &DataFrame) -> Vec<MetricLabel> {
    let means = |m: &str| -> Vec<f64> {
        col_f64(df, &format!("{m}_mean"))
            .unwrap_or_default()
            .into_iter()
            .filter(|x| x.is_finite())
            .collect()
    };
    let has = |m: &str| !means(m).is_empty();
    let varies = |m: &str| {
        let v = means(m);
        let (a, b) = v
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        !v.is_empty() && b - a > 0.001
    };
    let blocking = if has(WALKIN_BLOCKING.key) {
        WALKIN_BLOCKING
    } else {
        BLOCKING
    };
    [BOOKING_SUCCESS, blocking, P95_WAIT]
        .into_iter()
        .filter(|m| has(m.key))
        .chain(varies(FULFILMENT.key).then_some(FULFILMENT))
        .collect()
}

/// Panels of `n` figures: (columns, rows).
pub(crate) fn grid_of(n: usize) -> (usize, usize) {
    let cols = n.clamp(1, 3);
    (cols, n.max(1).div_ceil(cols))
}

/// The value range of a metric on an axis, fitted to the data: rates
/// within [0, 1] and at least 2 percentage points wide, waits from 0.
fn y_range(metric: &MetricLabel, cells: &[Cell]) -> (f64, f64) {
    let vals: Vec<f64> = cells
        .iter()
        .flat_map(|c| [c.mean, c.low, c.high])
        .filter(|x| x.is_finite())
        .collect();
    let (lo, hi) = vals
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    if vals.is_empty() {
        return (0.0, 1.0);
    }
    match metric.unit {
        labels::Unit::Share => {
            let pad = ((hi - lo) * 0.1).max(0.005);
            let (mut a, mut b) = ((lo - pad).max(0.0), (hi + pad).min(1.0));
            if b - a < 0.02 {
                let mid = ((a + b) / 2.0).clamp(0.01, 0.99);
                (a, b) = (mid - 0.01, mid + 0.01);
            }
            (a, b)
        }
        _ => (0.0, if hi > 0.0 { hi * 1.12 } else { 1.0 }),
    }
}

/// A metric against the x knob, lines and panels as the layout says.
struct LineFigure<'a> {
    data: &'a SweepData,
    metric: MetricLabel,
    cells: Vec<Cell>,
}

impl LineFigure<'_> {
    fn panels(&self) -> Vec<String> {
        self.data.panels()
    }

    fn lines(&self) -> Vec<String> {
        self.data
            .layout
            .line
            .as_ref()
            .map_or_else(|| vec![String::new()], |k| k.values.clone())
    }

    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        panel: &str,
        (ylo, yhi): (f64, f64),
    ) -> DrawResult<()>
    where
        DB::ErrorType: 'static,
    {
        let l = &self.data.layout;
        let x = &l.x;
        let xs: Vec<f64> = x.values.iter().filter_map(|v| x.position(v)).collect();
        let (xmin, xmax) = xs
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        let pad = if x.numeric {
            ((xmax - xmin) * 0.06).max(0.5)
        } else {
            0.5
        };
        let caption = l.panel.as_ref().map(|k| k.label.is(panel));
        let mut b = ChartBuilder::on(area);
        b.margin(10)
            .margin_right(16)
            .x_label_area_size(46)
            .y_label_area_size(70);
        if let Some(c) = &caption {
            b.caption(c, ("sans-serif", 16));
        }
        let mut chart: Chart<'_, DB> = b
            .build_cartesian_2d((xmin - pad)..(xmax + pad), ylo..yhi)
            .map_err(err)?;
        let (xk, xnum) = (x.clone(), x.numeric);
        let m = self.metric;
        let yfmt = move |v: &f64| m.tick(*v);
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(x.label.axis())
            .y_desc(m.axis)
            .y_labels(7)
            .y_label_formatter(&yfmt)
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(RGBColor(225, 225, 225))
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 15));
        let xfmt = move |v: &f64| {
            if xnum {
                xk.label.value(&super::chart::plain(*v))
            } else {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 {
                    xk.values
                        .get(i as usize)
                        .map(|s| xk.label.value(s))
                        .unwrap_or_default()
                } else {
                    String::new()
                }
            }
        };
        if !x.numeric {
            mesh.x_labels(x.values.len() * 4 + 1);
        }
        mesh.x_label_formatter(&xfmt);
        mesh.draw().map_err(err)?;
        let lines = self.lines();
        let span = if x.numeric { xmax - xmin } else { 1.0 };
        let dodge = span * if x.numeric { 0.012 } else { 0.06 };
        for (i, lv) in lines.iter().enumerate() {
            let style = SeriesStyle::nth(i);
            let off = (i as f64 - (lines.len() - 1) as f64 / 2.0) * dodge;
            let mut pts: Vec<(f64, &Cell)> = self
                .cells
                .iter()
                .filter(|c| c.at.0 == panel && c.at.1 == *lv)
                .filter_map(|c| Some((x.position(&c.at.2)? + off, c)))
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let line: Vec<(f64, f64)> = pts.iter().map(|(p, c)| (*p, c.mean)).collect();
            chart
                .draw_series(
                    pts.iter()
                        .filter(|(_, c)| c.low.is_finite() && c.high.is_finite())
                        .map(|(p, c)| {
                            ErrorBar::new_vertical(
                                *p,
                                c.low.max(ylo),
                                c.mean,
                                c.high.min(yhi),
                                style.colour.stroke_width(2),
                                10,
                            )
                        }),
                )
                .map_err(err)?;
            draw_line(&mut chart, &line, &line, style)?;
        }
        Ok(())
    }
}

impl Figure for LineFigure<'_> {
    fn size(&self) -> (u32, u32) {
        let (c, r) = grid_of(self.panels().len());
        if c * r == 1 {
            (900 + LEGEND_W, 560)
        } else {
            (c as u32 * 430 + LEGEND_W, r as u32 * 360 + 70)
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<()>
    where
        DB::ErrorType: 'static,
    {
        let l = &self.data.layout;
        let title = format!("{} by {}", self.metric.name, l.x.label.name);
        let body = titled(root, &title, &self.data.subtitle("mean and 95 % CI"))?;
        let (w, _) = body.dim_in_pixel();
        let (left, right) = body.split_horizontally(w.saturating_sub(LEGEND_W));
        let panels = self.panels();
        let (cols, rows) = grid_of(panels.len());
        let range = y_range(&self.metric, &self.cells);
        for (area, p) in left.split_evenly((rows, cols)).iter().zip(&panels) {
            self.panel(area, p, range)?;
        }
        let mut keys = Vec::new();
        match &l.line {
            Some(k) => {
                for (i, v) in k.values.iter().enumerate() {
                    keys.push(Key::Line(SeriesStyle::nth(i), k.label.is(v)));
                }
            }
            None => keys.push(Key::Line(SeriesStyle::nth(0), self.metric.name.to_string())),
        }
        keys.push(Key::Note("bars: 95 % CI of the mean".into()));
        if l.line.is_some() {
            keys.push(Key::Note("(lines shifted apart a little on x)".into()));
        }
        draw_legend(&right, &keys, 40)
    }
}

/// Metric `m` as a file stem: `booking_success_rate_by_garage_reservable_stalls`.
fn stem(metric: &str, x: &str) -> String {
    format!("{metric}_by_{}", x.replace('.', "_"))
}

/// The figures of a sweep directory (`summary.csv`, and `sweep.toml` for
/// the knobs' order): per metric, `<metric>_by_<x>` and, where a second
/// knob varies, `heatmap_<metric>_<x>_<y>` (dots in keys as `_`), each as
/// PNG and SVG.
pub fn plot_sweep(dir: &Path) -> Result<Vec<PathBuf>, String> {
    super::chart::font()?;
    let data = SweepData::read(dir)?;
    let l = &data.layout;
    let mut out = Vec::new();
    for metric in metrics(&data.df) {
        let cells = data.cells(metric.key)?;
        let fig = LineFigure {
            data: &data,
            metric,
            cells: cells.clone(),
        };
        out.extend(write_figure(dir, &stem(metric.key, &l.x.key), &fig)?);
        if let Some(y) = &l.line {
            let name = format!(
                "heatmap_{}_{}_{}",
                metric.key,
                l.x.key.replace('.', "_"),
                y.key.replace('.', "_")
            );
            let fig = super::heatmap::Heatmap::new(&data, metric, cells);
            out.extend(write_figure(dir, &name, &fig)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn knobs_sort_numbers_as_numbers_and_keep_text_in_listed_order() {
        let col = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let k = Knob::new("flow_control.max_queue", &col(&["100", "40", "100", "40"]));
        assert_eq!(k.values, ["40", "100"]);
        assert_eq!(k.position("100"), Some(100.0));
        let k = Knob::new("flow_control.full_rule", &col(&["out3in1", "out1in1"]));
        assert_eq!(k.values, ["out3in1", "out1in1"]);
        assert_eq!(k.position("out1in1"), Some(1.0));
        assert_eq!(grid_of(1), (1, 1));
        assert_eq!(grid_of(5), (3, 2));
    }
}
