//! Plots (plotters), each as PNG and SVG:
//!
//! - a run (`series.csv` + `summary.csv`): queue length over the day per
//!   entrance (mean across days and a 90 % band, the priority window
//!   shaded), and occupancy over the day with the saturation bands;
//! - a sweep (`summary.csv` with grid columns): booking success, blocking
//!   (of walk-ins, `walkin_blocking_rate`, where the summary has it, else
//!   of all general-class arrivals, `blocking_rate`), p95 entrance wait and
//!   fulfilment against the first swept parameter, one line per value of
//!   the second, with 95 % CI bars; and heatmaps of the first three over
//!   the first two swept parameters. A metric the table lacks is skipped;
//!   an undefined mean (empty cell) leaves a gap.
//!
//! Text needs a TrueType font: DejaVu Sans from the system
//! (`fonts-dejavu-core`), loaded once.

use plotters::prelude::*;
use polars::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const FONT_PATHS: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
];

/// Registers DejaVu Sans for plot text, once per process (for every
/// figure parksim draws, the calibration's too).
pub(crate) fn font() -> Result<(), String> {
    static LOADED: OnceLock<Result<(), String>> = OnceLock::new();
    LOADED
        .get_or_init(|| {
            let bytes = FONT_PATHS
                .iter()
                .find_map(|p| std::fs::read(p).ok())
                .ok_or_else(|| {
                    format!(
                        "no font for plot text: install fonts-dejavu-core (looked in {})",
                        FONT_PATHS.join(", ")
                    )
                })?;
            // Registered once for the whole process.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
                .map_err(|_| "DejaVuSans.ttf is not a font".to_string())
        })
        .clone()
}

fn read_csv(path: &Path) -> Result<DataFrame, String> {
    CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(|r| r.finish())
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn col_f64(df: &DataFrame, name: &str) -> Result<Vec<f64>, String> {
    let c = df.column(name).map_err(|e| e.to_string())?;
    let c = c.cast(&DataType::Float64).map_err(|e| e.to_string())?;
    Ok(c.f64()
        .map_err(|e| e.to_string())?
        .iter()
        .map(|x| x.unwrap_or(f64::NAN))
        .collect())
}

fn col_str(df: &DataFrame, name: &str) -> Result<Vec<String>, String> {
    let c = df.column(name).map_err(|e| e.to_string())?;
    let c = c.cast(&DataType::String).map_err(|e| e.to_string())?;
    Ok(c.str()
        .map_err(|e| e.to_string())?
        .iter()
        .map(|x| x.unwrap_or("").to_string())
        .collect())
}

/// The q-quantile of `xs` (linear interpolation).
pub fn quantile(xs: &mut [f64], q: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.sort_by(f64::total_cmp);
    let pos = q * (xs.len() - 1) as f64;
    let (i, f) = (pos.floor() as usize, pos.fract());
    if i + 1 < xs.len() {
        xs[i] * (1.0 - f) + xs[i + 1] * f
    } else {
        xs[i]
    }
}

/// Per minute of the day: (mean, 5 %, 95 %) of `values` across days.
pub fn daily_profile(minute_of_day: &[f64], values: &[f64]) -> Vec<(f64, f64, f64)> {
    let mut by: Vec<Vec<f64>> = vec![Vec::new(); 1440];
    for (m, v) in minute_of_day.iter().zip(values) {
        if let Some(b) = by.get_mut(*m as usize) {
            b.push(*v);
        }
    }
    by.into_iter()
        .map(|mut xs| {
            if xs.is_empty() {
                return (f64::NAN, f64::NAN, f64::NAN);
            }
            let mean = xs.iter().sum::<f64>() / xs.len() as f64;
            (mean, quantile(&mut xs, 0.05), quantile(&mut xs, 0.95))
        })
        .collect()
}

type DrawResult<T> = Result<T, String>;

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Draws with `f` into `stem.png` and `stem.svg` in `dir`.
fn both(
    dir: &Path,
    stem: &str,
    size: (u32, u32),
    f: &dyn Fn(&DrawingArea<BitMapBackend, plotters::coord::Shift>) -> DrawResult<()>,
    g: &dyn Fn(&DrawingArea<SVGBackend, plotters::coord::Shift>) -> DrawResult<()>,
) -> DrawResult<Vec<PathBuf>> {
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    {
        let root = BitMapBackend::new(&png, size).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        f(&root)?;
        root.present().map_err(err)?;
    }
    {
        let root = SVGBackend::new(&svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        g(&root)?;
        root.present().map_err(err)?;
    }
    Ok(vec![png, svg])
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Shaded minute ranges where `on` holds (the priority window).
fn windows(on: &[bool]) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let mut start = None;
    for (m, &x) in on.iter().enumerate() {
        match (x, start) {
            (true, None) => start = Some(m),
            (false, Some(s)) => {
                out.push((s as f64 / 60.0, m as f64 / 60.0));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s as f64 / 60.0, 24.0));
    }
    out
}

/// A shaded rectangle ((x0, y0), (x1, y1)) with an optional legend entry.
struct Shade {
    rect: ((f64, f64), (f64, f64)),
    color: RGBAColor,
    label: Option<String>,
}

/// A line over the day with its (x, low, high) band.
struct DayLine {
    band: Vec<(f64, f64, f64)>,
    line: Vec<(f64, f64)>,
    name: String,
}

impl DayLine {
    /// From a per-minute (mean, low, high) profile.
    fn from_profile(prof: &[(f64, f64, f64)], name: String) -> DayLine {
        let hours = |m: usize| m as f64 / 60.0;
        let ok = prof.iter().enumerate().filter(|p| !p.1.0.is_nan());
        DayLine {
            band: ok.clone().map(|(m, p)| (hours(m), p.1, p.2)).collect(),
            line: ok.map(|(m, p)| (hours(m), p.0)).collect(),
            name,
        }
    }
}

/// Draws the legend box of `chart`.
fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(err)
}

/// A chart over the 24 hours of a day: shaded areas, then each line with
/// its band, then the legend.
fn day_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    ylabel: &str,
    ymax: f64,
    shades: &[Shade],
    lines: &[DayLine],
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..24f64, 0f64..ymax)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("time of day [h]")
        .y_desc(ylabel)
        .x_labels(13)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .draw()
        .map_err(err)?;
    for s in shades {
        let c = s.color;
        let r = chart
            .draw_series(std::iter::once(Rectangle::new(
                [s.rect.0, s.rect.1],
                c.filled(),
            )))
            .map_err(err)?;
        if let Some(l) = &s.label {
            r.label(l.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 15, y + 5)], c.filled()));
        }
    }
    for (i, l) in lines.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let pts: Vec<(f64, f64)> = l
            .band
            .iter()
            .map(|p| (p.0, p.2))
            .chain(l.band.iter().rev().map(|p| (p.0, p.1)))
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(pts, color.mix(0.2).filled())))
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                l.line.iter().cloned(),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(l.name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 15, y)], color.stroke_width(2))
            });
    }
    legend(&mut chart)
}

/// The plots of one run directory (`series.csv`, `summary.csv`).
pub fn plot_run(dir: &Path) -> Result<Vec<PathBuf>, String> {
    font()?;
    let series = read_csv(&dir.join("series.csv"))?;
    let summary = read_csv(&dir.join("summary.csv"))?;
    let first = |c: &str, default: f64| -> Result<f64, String> {
        Ok(col_f64(&summary, c)?.first().copied().unwrap_or(default))
    };
    let (stalls, sat, full) = (
        first("stalls", f64::NAN)?,
        first("saturated_at", 0.7)?,
        first("full_at", 0.9)?,
    );
    let mod_ = col_f64(&series, "minute_of_day")?;
    let prio: Vec<bool> = col_f64(&series, "priority_on")?
        .iter()
        .take(1440)
        .map(|x| *x > 0.5)
        .collect();
    let mut queues = Vec::new();
    for name in series.get_column_names() {
        if let Some(e) = name.strip_prefix("queue_") {
            let prof = daily_profile(&mod_, &col_f64(&series, name)?);
            queues.push(DayLine::from_profile(
                &prof,
                format!("entrance {e} (mean, 90 % band)"),
            ));
        }
    }
    let ymax = queues
        .iter()
        .flat_map(|q| q.band.iter().map(|p| p.2))
        .fold(1.0, f64::max)
        * 1.1;
    let shade: Vec<Shade> = windows(&prio)
        .into_iter()
        .enumerate()
        .map(|(i, (a, b))| Shade {
            rect: ((a, 0.0), (b, ymax)),
            color: RGBColor(255, 215, 0).mix(0.18),
            label: (i == 0).then(|| "priority on".to_string()),
        })
        .collect();
    let (title, ylabel) = ("Entrance queues over the day", "queue [vehicles]");
    let mut out = both(
        dir,
        "queue_by_time_of_day",
        (1000, 560),
        &|r| day_chart(r, title, ylabel, ymax, &shade, &queues),
        &|r| day_chart(r, title, ylabel, ymax, &shade, &queues),
    )?;
    let occ: Vec<f64> = col_f64(&series, "inside")?
        .iter()
        .map(|x| 100.0 * x / stalls)
        .collect();
    let occ_line = vec![DayLine::from_profile(
        &daily_profile(&mod_, &occ),
        "occupancy (mean, 90 % band)".into(),
    )];
    let (s, f) = (sat * 100.0, full * 100.0);
    let levels = vec![
        Shade {
            rect: ((0.0, s), (24.0, f)),
            color: RGBColor(255, 165, 0).mix(0.15),
            label: Some(format!("saturated ({s:.0}–{f:.0} %)")),
        },
        Shade {
            rect: ((0.0, f), (24.0, 105.0)),
            color: RGBColor(214, 39, 40).mix(0.12),
            label: Some(format!("full (≥ {f:.0} %)")),
        },
    ];
    let (title, ylabel) = ("Occupancy over the day", "occupied stalls [% of stalls]");
    out.extend(both(
        dir,
        "occupancy_by_time_of_day",
        (1000, 560),
        &|r| day_chart(r, title, ylabel, 105.0, &levels, &occ_line),
        &|r| day_chart(r, title, ylabel, 105.0, &levels, &occ_line),
    )?);
    Ok(out)
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

fn metric_vs_param<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    df: &DataFrame,
    x: &str,
    by: Option<&str>,
    metric: &str,
    ylabel: &str,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let xs = col_f64(df, x)?;
    let mean = col_f64(df, &format!("{metric}_mean"))?;
    let lo = col_f64(df, &format!("{metric}_ci_low"))?;
    let hi = col_f64(df, &format!("{metric}_ci_high"))?;
    let groups: Vec<String> = match by {
        Some(b) => col_str(df, b)?,
        None => vec![String::new(); xs.len()],
    };
    let mut keys: Vec<String> = groups.clone();
    keys.sort();
    keys.dedup();
    let fin = |v: &[f64]| {
        v.iter()
            .cloned()
            .filter(|x| x.is_finite())
            .collect::<Vec<f64>>()
    };
    let (xmin, xmax) = fin(&xs)
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    let top = fin(&hi)
        .iter()
        .chain(fin(&mean).iter())
        .cloned()
        .fold(0.0, f64::max);
    let ymax = if top > 0.0 { top * 1.1 } else { 1.0 };
    let pad = ((xmax - xmin) * 0.05).max(0.5);
    let mut chart = ChartBuilder::on(root)
        .caption(format!("{ylabel} by {x}"), ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d((xmin - pad)..(xmax + pad), 0f64..ymax)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(x)
        .y_desc(ylabel)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .draw()
        .map_err(err)?;
    for (i, k) in keys.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let mut pts: Vec<(f64, f64, f64, f64)> = (0..xs.len())
            .filter(|&j| &groups[j] == k && xs[j].is_finite() && mean[j].is_finite())
            .map(|j| (xs[j], mean[j], lo[j], hi[j]))
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let label = match by {
            Some(b) => format!("{b} = {k}"),
            None => metric.to_string(),
        };
        chart
            .draw_series(LineSeries::new(
                pts.iter().map(|p| (p.0, p.1)),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 15, y)], color.stroke_width(2))
            });
        chart
            .draw_series(
                pts.iter()
                    .filter(|p| p.2.is_finite() && p.3.is_finite())
                    .map(|p| ErrorBar::new_vertical(p.0, p.2, p.1, p.3, color.filled(), 8)),
            )
            .map_err(err)?;
    }
    legend(&mut chart)
}

fn heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    df: &DataFrame,
    x: &str,
    y: &str,
    metric: &str,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let xs = col_str(df, x)?;
    let ys = col_str(df, y)?;
    let v = col_f64(df, &format!("{metric}_mean"))?;
    let mut xk: Vec<String> = xs.clone();
    xk.dedup();
    let mut xk2 = xk.clone();
    xk2.sort_by(|a, b| {
        a.parse::<f64>()
            .unwrap_or(0.0)
            .total_cmp(&b.parse::<f64>().unwrap_or(0.0))
            .then(a.cmp(b))
    });
    xk2.dedup();
    let mut yk: Vec<String> = ys.clone();
    yk.sort_by(|a, b| {
        a.parse::<f64>()
            .unwrap_or(0.0)
            .total_cmp(&b.parse::<f64>().unwrap_or(0.0))
            .then(a.cmp(b))
    });
    yk.dedup();
    // Mean over any other swept parameters.
    let mut cells = vec![vec![(0.0, 0usize); yk.len()]; xk2.len()];
    for j in 0..v.len() {
        if let (Some(a), Some(b)) = (
            xk2.iter().position(|k| *k == xs[j]),
            yk.iter().position(|k| *k == ys[j]),
        ) && v[j].is_finite()
        {
            cells[a][b].0 += v[j];
            cells[a][b].1 += 1;
        }
    }
    let vals: Vec<f64> = cells
        .iter()
        .flatten()
        .filter(|c| c.1 > 0)
        .map(|c| c.0 / c.1 as f64)
        .collect();
    if vals.is_empty() {
        // Nothing defined to colour (plotters would loop on an empty scale).
        return Err(format!("{metric}: no defined value to draw"));
    }
    let (mut vmin, mut vmax) = vals
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    if !(vmax - vmin > 1e-9) {
        // One value everywhere: a scale around it.
        vmin -= 0.5;
        vmax += 0.5;
    }
    let (nx, ny) = (xk2.len(), yk.len());
    let (left, bottom) = root.split_horizontally(root.dim_in_pixel().0 - 150);
    let mut chart = ChartBuilder::on(&left)
        .caption(
            format!("{metric} (mean) by {x} and {y}"),
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..nx as f64, 0f64..ny as f64)
        .map_err(err)?;
    let (xk_c, yk_c) = (xk2.clone(), yk.clone());
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(x)
        .y_desc(y)
        .x_labels(nx * 2 + 1)
        .y_labels(ny * 2 + 1)
        .x_label_formatter(&move |v| {
            let i = (*v - 0.5).round();
            if (v - 0.5 - i).abs() < 1e-6 && i >= 0.0 {
                xk_c.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&move |v| {
            let i = (*v - 0.5).round();
            if (v - 0.5 - i).abs() < 1e-6 && i >= 0.0 {
                yk_c.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .draw()
        .map_err(err)?;
    let color = |x: f64| {
        let t = if vmax > vmin {
            (x - vmin) / (vmax - vmin)
        } else {
            0.5
        };
        HSLColor(0.66 - 0.66 * t, 0.75, 0.5)
    };
    for a in 0..nx {
        for b in 0..ny {
            let (s, n) = cells[a][b];
            if n == 0 {
                continue;
            }
            let m = s / n as f64;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(a as f64, b as f64), (a as f64 + 1.0, b as f64 + 1.0)],
                    color(m).filled(),
                )))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{m:.3}"),
                    (a as f64 + 0.3, b as f64 + 0.55),
                    ("sans-serif", 13).into_font().color(&BLACK),
                )))
                .map_err(err)?;
        }
    }
    // Colour scale.
    let mut scale = ChartBuilder::on(&bottom)
        .margin(20)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..1f64, vmin..(vmax + 1e-12))
        .map_err(err)?;
    scale
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .label_style(("sans-serif", 12))
        .draw()
        .map_err(err)?;
    let steps = 50;
    scale
        .draw_series((0..steps).map(|i| {
            let a = vmin + (vmax - vmin) * i as f64 / steps as f64;
            let b = vmin + (vmax - vmin) * (i + 1) as f64 / steps as f64;
            Rectangle::new([(0.0, a), (1.0, b)], color((a + b) / 2.0).filled())
        }))
        .map_err(err)?;
    Ok(())
}

/// The plots of a sweep directory (`summary.csv`).
pub fn plot_sweep(dir: &Path) -> Result<Vec<PathBuf>, String> {
    font()?;
    let df = read_csv(&dir.join("summary.csv"))?;
    let grid: Vec<String> = grid_columns(&df)
        .into_iter()
        .filter(|c| {
            col_str(&df, c)
                .map(|v| {
                    let mut u = v.clone();
                    u.sort();
                    u.dedup();
                    u.len() > 1
                })
                .unwrap_or(false)
        })
        .collect();
    let Some(x) = grid
        .iter()
        .find(|c| col_f64(&df, c).is_ok_and(|v| v.iter().all(|x| x.is_finite())))
        .cloned()
    else {
        return Err("no numeric swept parameter to plot against".into());
    };
    let by = grid.iter().find(|c| **c != x).cloned();
    let metrics = sweep_metrics(&df);
    let mut out = Vec::new();
    for (metric, label) in &metrics {
        let stem = format!("{metric}_by_{}", x.replace('.', "_"));
        out.extend(both(
            dir,
            &stem,
            (1000, 560),
            &|r| metric_vs_param(r, &df, &x, by.as_deref(), metric, label),
            &|r| metric_vs_param(r, &df, &x, by.as_deref(), metric, label),
        )?);
    }
    if let Some(y) = &by {
        for (metric, _) in metrics.iter().filter(|(m, _)| *m != "fulfilment_rate") {
            let stem = format!(
                "heatmap_{metric}_{}_{}",
                x.replace('.', "_"),
                y.replace('.', "_")
            );
            out.extend(both(
                dir,
                &stem,
                (1000, 600),
                &|r| heatmap(r, &df, &x, y, metric),
                &|r| heatmap(r, &df, &x, y, metric),
            )?);
        }
    }
    Ok(out)
}

/// The metrics a sweep's plots show, with their axis labels: those of
/// the module doc whose `<metric>_mean` column `df` has with at least one
/// defined value (a sweep without bookings has no booking success).
pub fn sweep_metrics(df: &DataFrame) -> Vec<(&'static str, &'static str)> {
    let has =
        |m: &str| col_f64(df, &format!("{m}_mean")).is_ok_and(|v| v.iter().any(|x| x.is_finite()));
    let blocking = if has("walkin_blocking_rate") {
        (
            "walkin_blocking_rate",
            "walk-in blocking [share turned away]",
        )
    } else {
        (
            "blocking_rate",
            "blocking [share of general arrivals turned away]",
        )
    };
    [
        (
            "booking_success_rate",
            "booking success [share of attempts]",
        ),
        blocking,
        ("p95_wait_s", "p95 entrance wait [s]"),
        ("fulfilment_rate", "fulfilment [share of reserved arrivals]"),
    ]
    .into_iter()
    .filter(|(m, _)| has(m))
    .collect()
}

/// `parksim plot DIR`: a run's plots or a sweep's, by what `DIR` holds.
pub fn plot_dir(dir: &Path) -> Result<Vec<PathBuf>, String> {
    if dir.join("series.csv").exists() {
        plot_run(dir)
    } else if dir.join("summary.csv").exists() {
        plot_sweep(dir)
    } else {
        Err(format!(
            "{}: neither series.csv (a run) nor summary.csv (a sweep)",
            dir.display()
        ))
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn quantiles_and_profiles() {
        let mut xs = vec![4.0, 1.0, 3.0, 2.0, 5.0];
        assert_eq!(quantile(&mut xs, 0.5), 3.0);
        assert_eq!(quantile(&mut xs, 0.0), 1.0);
        assert!((quantile(&mut xs, 0.95) - 4.8).abs() < 1e-12);
        let p = daily_profile(&[0.0, 0.0, 1.0], &[1.0, 3.0, 5.0]);
        assert_eq!(p[0].0, 2.0);
        assert_eq!(p[1], (5.0, 5.0, 5.0));
        assert!(p[2].0.is_nan());
        assert_eq!(
            windows(&[false, true, true, false]),
            vec![(1.0 / 60.0, 3.0 / 60.0)]
        );
    }
}
