//! The calibration's figure: observed and simulated occupancy share by
//! time of day, as PNG and SVG (plotters, text in DejaVu Sans as in
//! `crate::plot`).

use super::CalibrateError;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

fn font() -> Result<(), CalibrateError> {
    crate::plot::font().map_err(CalibrateError::Plot)
}

/// One line of the figure: (hour of day, share) points, and an optional
/// (hour, low, high) band drawn under it.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub band: Vec<(f64, f64, f64)>,
    /// Drawn dashed-looking: thinner, with markers.
    pub markers: bool,
}

const COLORS: [RGBColor; 4] = [
    RGBColor(0, 0, 0),
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
];

fn e<E: std::fmt::Display>(x: E) -> CalibrateError {
    CalibrateError::Plot(x.to_string())
}

fn chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    curves: &[Curve],
) -> Result<(), CalibrateError>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(e)?;
    let xs = curves.iter().flat_map(|c| c.points.iter().map(|p| p.0));
    let (x0, x1) = xs.fold((24.0f64, 0.0f64), |(a, b), x| (a.min(x), b.max(x)));
    let (x0, x1) = if x0 < x1 {
        ((x0 - 0.5).floor().max(0.0), (x1 + 0.5).ceil().min(24.0))
    } else {
        (0.0, 24.0)
    };
    let mut c = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, 0f64..1.05f64)
        .map_err(e)?;
    c.configure_mesh()
        .x_desc("time of day [h]")
        .y_desc("occupancy [share of stalls]")
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .draw()
        .map_err(e)?;
    for (i, cv) in curves.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        if !cv.band.is_empty() {
            let pts: Vec<(f64, f64)> = cv
                .band
                .iter()
                .map(|p| (p.0, p.2))
                .chain(cv.band.iter().rev().map(|p| (p.0, p.1)))
                .collect();
            c.draw_series(std::iter::once(Polygon::new(pts, color.mix(0.2).filled())))
                .map_err(e)?;
        }
        let width = if cv.markers { 1 } else { 2 };
        c.draw_series(LineSeries::new(
            cv.points.iter().cloned(),
            color.stroke_width(width),
        ))
        .map_err(e)?
        .label(cv.name.clone())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 15, y)], color.stroke_width(2)));
        if cv.markers {
            c.draw_series(cv.points.iter().map(|p| Circle::new(*p, 3, color.filled())))
                .map_err(e)?;
        }
    }
    c.configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(e)?;
    root.present().map_err(e)
}

/// Draws `curves` into `stem.png` and `stem.svg`; returns the two paths.
pub fn draw(stem: &Path, title: &str, curves: &[Curve]) -> Result<Vec<PathBuf>, CalibrateError> {
    font()?;
    let with = |ext: &str| {
        let mut s = stem.as_os_str().to_owned();
        s.push(ext);
        PathBuf::from(s)
    };
    let (png, svg) = (with(".png"), with(".svg"));
    let size = (1000, 560);
    chart(
        &BitMapBackend::new(&png, size).into_drawing_area(),
        title,
        curves,
    )?;
    chart(
        &SVGBackend::new(&svg, size).into_drawing_area(),
        title,
        curves,
    )?;
    Ok(vec![png, svg])
}
