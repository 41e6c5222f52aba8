//! Heatmaps of a sweep metric over the first two varied knobs (one panel
//! per value of the third), coloured with viridis (perceptually uniform,
//! readable in grey and with colour-vision deficiencies) on a labelled
//! scale. The scale is fitted to the data but never narrower than a
//! typical 95 % CI: where the means differ by less, the range is widened
//! and the figure says the differences are within noise. Each cell
//! carries its mean and CI half-width.

use super::chart::{DrawResult, Figure, LEGEND_W, err, titled};
use super::labels::MetricLabel;
use super::sweep::{Cell, SweepData, grid_of};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Viridis at nine evenly spaced points (matplotlib's table), linearly
/// interpolated between.
const VIRIDIS: [(u8, u8, u8); 9] = [
    (68, 1, 84),
    (71, 44, 122),
    (59, 81, 139),
    (44, 113, 142),
    (33, 144, 141),
    (39, 173, 129),
    (92, 200, 99),
    (170, 220, 50),
    (253, 231, 37),
];

/// The colour of `t` in [0, 1] (clamped).
pub fn viridis(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let pos = t * (VIRIDIS.len() - 1) as f64;
    let i = (pos.floor() as usize).min(VIRIDIS.len() - 2);
    let f = pos - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Black or white, whichever reads on `c`.
fn ink(c: RGBColor) -> RGBColor {
    let lum = 0.2126 * c.0 as f64 + 0.7152 * c.1 as f64 + 0.0722 * c.2 as f64;
    if lum > 140.0 { BLACK } else { WHITE }
}

/// The colour scale's range for means `vals` with CI half-widths
/// `halves`: (low, high, widened). Fitted to the means, but at least one
/// typical (median) CI wide — differences smaller than that are noise
/// and get no more than part of the scale. Rates stay within [0, 1].
pub fn scale_range(vals: &[f64], halves: &[f64], rate: bool) -> (f64, f64, bool) {
    let (lo, hi) = vals
        .iter()
        .filter(|x| x.is_finite())
        .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    if lo > hi {
        return (0.0, 1.0, false);
    }
    let mut h: Vec<f64> = halves
        .iter()
        .copied()
        .filter(|x| x.is_finite() && *x > 0.0)
        .collect();
    h.sort_by(f64::total_cmp);
    let typical = h.get(h.len() / 2).copied().unwrap_or(0.0);
    // A floor for constant data without a CI: a scale around the value.
    let min_width = (2.0 * typical).max(if rate { 0.002 } else { 1e-9 });
    if hi - lo >= min_width {
        return (lo, hi, false);
    }
    let mid = (lo + hi) / 2.0;
    let (mut a, mut b) = (mid - min_width / 2.0, mid + min_width / 2.0);
    if rate {
        if a < 0.0 {
            (a, b) = (0.0, min_width.min(1.0));
        }
        if b > 1.0 {
            (a, b) = ((1.0 - min_width).max(0.0), 1.0);
        }
    }
    (a, b, typical > 0.0)
}

/// A metric over (x, line) knobs, panels by the third.
pub struct Heatmap<'a> {
    data: &'a SweepData,
    metric: MetricLabel,
    cells: Vec<Cell>,
    range: (f64, f64, bool),
    typical: f64,
}

impl<'a> Heatmap<'a> {
    pub fn new(data: &'a SweepData, metric: MetricLabel, cells: Vec<Cell>) -> Heatmap<'a> {
        let means: Vec<f64> = cells.iter().map(|c| c.mean).collect();
        let halves: Vec<f64> = cells.iter().map(|c| (c.high - c.low) / 2.0).collect();
        let range = scale_range(&means, &halves, metric.unit == super::labels::Unit::Share);
        let mut h: Vec<f64> = halves.into_iter().filter(|x| x.is_finite()).collect();
        h.sort_by(f64::total_cmp);
        Heatmap {
            data,
            metric,
            cells,
            range,
            typical: h.get(h.len() / 2).copied().unwrap_or(f64::NAN),
        }
    }

    fn panels(&self) -> Vec<String> {
        self.data.panels()
    }

    fn colour(&self, v: f64) -> RGBColor {
        let (a, b, _) = self.range;
        viridis(if b > a { (v - a) / (b - a) } else { 0.5 })
    }

    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        panel: &str,
    ) -> DrawResult<()>
    where
        DB::ErrorType: 'static,
    {
        let l = &self.data.layout;
        let (xk, Some(yk)) = (&l.x, &l.line) else {
            return Ok(());
        };
        let (nx, ny) = (xk.values.len(), yk.values.len());
        let mut b = ChartBuilder::on(area);
        b.margin(10)
            .margin_right(16)
            .x_label_area_size(46)
            .y_label_area_size(100);
        let caption = l.panel.as_ref().map(|k| k.label.is(panel));
        if let Some(c) = &caption {
            b.caption(c, ("sans-serif", 16));
        }
        let mut chart = b
            .build_cartesian_2d(0f64..nx as f64, 0f64..ny as f64)
            .map_err(err)?;
        let (xc, yc) = (xk.clone(), yk.clone());
        let at = |keys: &super::sweep::Knob, v: f64, flip: bool| {
            let i = (v - 0.5).round();
            if (v - 0.5 - i).abs() < 1e-6 && i >= 0.0 {
                let i = if flip {
                    keys.values.len().saturating_sub(1 + i as usize)
                } else {
                    i as usize
                };
                keys.values
                    .get(i)
                    .map(|s| keys.label.value(s))
                    .unwrap_or_default()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(xk.label.axis())
            .y_desc(yk.label.axis())
            .x_labels(nx * 2 + 1)
            .y_labels(ny * 2 + 1)
            .x_label_formatter(&|v| at(&xc, *v, false))
            .y_label_formatter(&|v| at(&yc, *v, true))
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 15))
            .draw()
            .map_err(err)?;
        let cw = area.dim_in_pixel().0.saturating_sub(130) as f64 / nx.max(1) as f64;
        let big = if cw > 80.0 { 14 } else { 11 };
        for c in self.cells.iter().filter(|c| c.at.0 == panel) {
            let (Some(i), Some(j)) = (
                xk.values.iter().position(|v| *v == c.at.2),
                yk.values.iter().position(|v| *v == c.at.1),
            ) else {
                continue;
            };
            // The first value on top, as in a table and the legends.
            let (x, y) = (i as f64, (ny - 1 - j) as f64);
            let fill = self.colour(c.mean);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x, y), (x + 1.0, y + 1.0)],
                    fill.filled(),
                )))
                .map_err(err)?;
            let centred = |size: u32| {
                ("sans-serif", size)
                    .into_font()
                    .color(&ink(fill))
                    .pos(Pos::new(HPos::Center, VPos::Center))
            };
            let half = (c.high - c.low) / 2.0;
            let lines: Vec<(String, u32)> = if half.is_finite() {
                vec![
                    (self.metric.value(c.mean), big),
                    (self.metric.pm(half), big - 2),
                ]
            } else {
                vec![(self.metric.value(c.mean), big)]
            };
            let n = lines.len() as f64;
            for (k, (t, size)) in lines.into_iter().enumerate() {
                let dy = 0.5 + (n - 1.0) * 0.1 - k as f64 * 0.2;
                chart
                    .draw_series(std::iter::once(Text::new(
                        t,
                        (x + 0.5, y + dy),
                        centred(size),
                    )))
                    .map_err(err)?;
            }
        }
        Ok(())
    }

    fn scale<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<()>
    where
        DB::ErrorType: 'static,
    {
        let (a, b, widened) = self.range;
        let (upper, lower) = area.split_vertically(area.dim_in_pixel().1 * 62 / 100);
        let m = self.metric;
        let mut chart = ChartBuilder::on(&upper)
            .margin(10)
            .margin_top(40)
            .margin_right(120)
            .y_label_area_size(84)
            .build_cartesian_2d(0f64..1f64, a..b)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_desc(m.axis)
            .y_labels(6)
            .y_label_formatter(&|v| m.tick(*v))
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        let steps = 64;
        chart
            .draw_series((0..steps).map(|i| {
                let lo = a + (b - a) * i as f64 / steps as f64;
                let hi = a + (b - a) * (i + 1) as f64 / steps as f64;
                Rectangle::new(
                    [(0.0, lo), (1.0, hi)],
                    self.colour((lo + hi) / 2.0).filled(),
                )
            }))
            .map_err(err)?;
        let mut notes = vec![
            "cells: mean".to_string(),
            format!(
                "and 95 % CI half-width{}",
                match m.unit {
                    super::labels::Unit::Share => " [pp]",
                    super::labels::Unit::Seconds => " [s]",
                    _ => "",
                }
            ),
        ];
        if widened {
            notes.push("The means span less than".into());
            notes.push(format!("a typical 95 % CI ({}):", m.pm(self.typical)));
            notes.push("differences are within noise;".into());
            notes.push("the scale is widened to it.".into());
        }
        for (i, t) in notes.into_iter().enumerate() {
            lower
                .draw(&Text::new(
                    t,
                    (10, 6 + 18 * i as i32),
                    ("sans-serif", 13).into_font().color(&RGBColor(50, 50, 50)),
                ))
                .map_err(err)?;
        }
        Ok(())
    }
}

impl Figure for Heatmap<'_> {
    fn size(&self) -> (u32, u32) {
        let l = &self.data.layout;
        let nx = l.x.values.len() as u32;
        let ny = l.line.as_ref().map_or(1, |k| k.values.len()) as u32;
        let (c, r) = grid_of(self.panels().len());
        let pw = (nx * 95 + 140).clamp(380, 900);
        let ph = (ny * 64 + 150).clamp(360, 720);
        (c as u32 * pw + LEGEND_W, r as u32 * ph + 70)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<()>
    where
        DB::ErrorType: 'static,
    {
        let l = &self.data.layout;
        let y = l.line.as_ref().map_or("", |k| k.label.name.as_str());
        let title = format!("{} by {} and {y}", self.metric.name, l.x.label.name);
        let body = titled(root, &title, &self.data.subtitle("mean and 95 % CI"))?;
        let (w, _) = body.dim_in_pixel();
        let (left, right) = body.split_horizontally(w.saturating_sub(LEGEND_W));
        let panels = self.panels();
        let (cols, rows) = grid_of(panels.len());
        for (area, p) in left.split_evenly((rows, cols)).iter().zip(&panels) {
            self.panel(area, p)?;
        }
        self.scale(&right)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn viridis_ends_and_middle() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(0.5), RGBColor(33, 144, 141));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
        assert_eq!(ink(viridis(0.0)), WHITE);
        assert_eq!(ink(viridis(1.0)), BLACK);
    }

    #[test]
    fn the_scale_is_fitted_but_never_narrower_than_the_noise() {
        // (means, half-widths, rate) → (low, high, widened)
        type Case = (&'static [f64], &'static [f64], bool, (f64, f64, bool));
        let cases: [Case; 4] = [
            // Spread well beyond the CI: fitted to the data.
            (&[0.80, 0.95], &[0.01, 0.01], true, (0.80, 0.95, false)),
            // 0.997 vs 1.000 with CIs of ±0.01: widened to one CI (0.02),
            // kept within [0, 1].
            (&[0.997, 1.0], &[0.01, 0.01], true, (0.98, 1.0, true)),
            // Waits a few seconds apart with CIs of ±20 s.
            (&[830.0, 834.0], &[20.0, 20.0], false, (812.0, 852.0, true)),
            // No CI: the data's own range.
            (&[1.0, 3.0], &[f64::NAN, f64::NAN], false, (1.0, 3.0, false)),
        ];
        for (vals, halves, rate, want) in cases {
            let got = scale_range(vals, halves, rate);
            assert!(
                (got.0 - want.0).abs() < 1e-9 && (got.1 - want.1).abs() < 1e-9 && got.2 == want.2,
                "{vals:?}: {got:?} != {want:?}"
            );
        }
    }
}
