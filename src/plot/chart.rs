//! Pieces every figure shares: the font, writing a figure as PNG and SVG,
//! series styles (colour, dash, marker), the legend panel beside the data,
//! titles, the time-of-day axis and number formats, and reading the saved
//! tables back.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use polars::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub(crate) type DrawResult<T> = Result<T, String>;

/// A chart with numeric axes (categorical axes are numbered 0, 1, …).
pub(crate) type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

pub(crate) fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

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

/// A figure: draws itself on any backend.
pub(crate) trait Figure {
    /// Width and height [px].
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<()>
    where
        DB::ErrorType: 'static;
}

/// Draws `fig` into `stem.png` and `stem.svg` in `dir`; returns both paths.
pub(crate) fn write_figure(dir: &Path, stem: &str, fig: &impl Figure) -> DrawResult<Vec<PathBuf>> {
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    {
        let root = BitMapBackend::new(&png, fig.size()).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        fig.draw(&root)?;
        root.present().map_err(err)?;
    }
    {
        let root = SVGBackend::new(&svg, fig.size()).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        fig.draw(&root)?;
        root.present().map_err(err)?;
    }
    Ok(vec![png, svg])
}

// ---- styles ---------------------------------------------------------------

/// Okabe–Ito colours: told apart with every common colour-vision deficiency.
pub(crate) const COLOURS: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Marker {
    Circle,
    Triangle,
    Square,
    Cross,
}

/// How one series looks: colour, solid or dashed, marker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SeriesStyle {
    pub colour: RGBColor,
    pub dashed: bool,
    pub marker: Marker,
}

impl SeriesStyle {
    /// The `i`-th style: colour, dash and marker all change from one series
    /// to the next, so two series differ even in grey print.
    pub fn nth(i: usize) -> SeriesStyle {
        const MARKERS: [Marker; 4] = [
            Marker::Circle,
            Marker::Triangle,
            Marker::Square,
            Marker::Cross,
        ];
        SeriesStyle {
            colour: COLOURS[i % COLOURS.len()],
            dashed: i % 2 == 1,
            marker: MARKERS[i % MARKERS.len()],
        }
    }
}

/// A line through `pts` in `style` (dashed or not), with markers at
/// `marks`.
pub(crate) fn draw_line<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    pts: &[(f64, f64)],
    marks: &[(f64, f64)],
    style: SeriesStyle,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let stroke = style.colour.stroke_width(2);
    // A gap (NaN) splits the line.
    for run in pts.split(|p| !p.1.is_finite()).filter(|r| !r.is_empty()) {
        if style.dashed {
            chart
                .draw_series(DashedLineSeries::new(run.iter().copied(), 9, 5, stroke))
                .map_err(err)?;
        } else {
            chart
                .draw_series(LineSeries::new(run.iter().copied(), stroke))
                .map_err(err)?;
        }
    }
    draw_markers(chart, marks, style)
}

/// Markers of `style` at `pts` (pixel-sized, whatever the scale).
pub(crate) fn draw_markers<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    pts: &[(f64, f64)],
    style: SeriesStyle,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let c = style.colour;
    let ok = pts.iter().copied().filter(|p| p.1.is_finite());
    match style.marker {
        Marker::Circle => chart
            .draw_series(ok.map(|p| Circle::new(p, 4, c.filled())))
            .map(|_| ()),
        Marker::Triangle => chart
            .draw_series(ok.map(|p| TriangleMarker::new(p, 5, c.filled())))
            .map(|_| ()),
        Marker::Square => chart
            .draw_series(
                ok.map(|p| EmptyElement::at(p) + Rectangle::new([(-4, -4), (4, 4)], c.filled())),
            )
            .map(|_| ()),
        Marker::Cross => chart
            .draw_series(ok.map(|p| Cross::new(p, 5, c.stroke_width(2))))
            .map(|_| ()),
    }
    .map_err(err)
}

// ---- legend ---------------------------------------------------------------

/// One legend entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Key {
    /// A line series.
    Line(SeriesStyle, String),
    /// A shaded area (band, window, bar).
    Area(RGBAColor, String),
    /// A plain note under the entries.
    Note(String),
}

/// Width of the legend panel beside a chart [px].
pub(crate) const LEGEND_W: u32 = 270;

/// Draws `keys` top-down in `area` (beside the data, never over it).
pub(crate) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    keys: &[Key],
    top: i32,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let font = ("sans-serif", 14).into_font();
    let (x0, mut y) = (8, top);
    for k in keys {
        let text_y = y;
        // An entry's text, right of its swatch.
        let label = |t: &String| {
            area.draw(&Text::new(
                t.clone(),
                (x0 + 42, y),
                font.clone().color(&BLACK),
            ))
            .map_err(err)
        };
        match k {
            Key::Line(s, t) => {
                let mid = y + 8;
                let stroke = s.colour.stroke_width(2);
                if s.dashed {
                    for (a, b) in [(x0, x0 + 9), (x0 + 14, x0 + 23), (x0 + 28, x0 + 34)] {
                        area.draw(&PathElement::new(vec![(a, mid), (b, mid)], stroke))
                            .map_err(err)?;
                    }
                } else {
                    area.draw(&PathElement::new(vec![(x0, mid), (x0 + 34, mid)], stroke))
                        .map_err(err)?;
                }
                let c = (x0 + 17, mid);
                match s.marker {
                    Marker::Circle => area.draw(&Circle::new(c, 4, s.colour.filled())),
                    Marker::Triangle => area.draw(&TriangleMarker::new(c, 5, s.colour.filled())),
                    Marker::Square => area.draw(&Rectangle::new(
                        [(c.0 - 4, c.1 - 4), (c.0 + 4, c.1 + 4)],
                        s.colour.filled(),
                    )),
                    Marker::Cross => area.draw(&Cross::new(c, 5, s.colour.stroke_width(2))),
                }
                .map_err(err)?;
                label(t)?;
            }
            Key::Area(c, t) => {
                area.draw(&Rectangle::new(
                    [(x0, y + 1), (x0 + 34, y + 15)],
                    c.filled(),
                ))
                .map_err(err)?;
                area.draw(&Rectangle::new(
                    [(x0, y + 1), (x0 + 34, y + 15)],
                    RGBColor(120, 120, 120).stroke_width(1),
                ))
                .map_err(err)?;
                label(t)?;
            }
            Key::Note(t) => {
                area.draw(&Text::new(
                    t.clone(),
                    (x0, y),
                    ("sans-serif", 12).into_font().color(&RGBColor(70, 70, 70)),
                ))
                .map_err(err)?;
            }
        }
        y = text_y + 22;
    }
    Ok(())
}

/// Writes `title` (large) and `subtitle` (smaller, grey) at the top of
/// `root`; returns the area below them.
pub(crate) fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> DrawResult<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    // DejaVu Sans at 15 px averages under 8 px a character.
    let w = root.dim_in_pixel().0 as i32;
    let lines = wrap(subtitle, ((w - 20) / 8).max(20) as usize);
    let h = 40 + 22 * lines.len() as u32 + if lines.is_empty() { 0 } else { 2 };
    let (top, rest) = root.split_vertically(h);
    let centred = |size: u32, colour: RGBColor| {
        ("sans-serif", size)
            .into_font()
            .color(&colour)
            .pos(Pos::new(HPos::Center, VPos::Top))
    };
    top.draw(&Text::new(
        title.to_string(),
        (w / 2, 8),
        centred(22, BLACK),
    ))
    .map_err(err)?;
    for (i, line) in lines.into_iter().enumerate() {
        top.draw(&Text::new(
            line,
            (w / 2, 38 + 20 * i as i32),
            centred(15, RGBColor(60, 60, 60)),
        ))
        .map_err(err)?;
    }
    Ok(rest)
}

/// `text`'s parts (joined by " · ") on lines of at most `max` characters
/// where they fit; a part longer than a line gets a line of its own.
pub(crate) fn wrap(text: &str, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for part in text.split(" · ").filter(|p| !p.is_empty()) {
        match lines.last_mut() {
            Some(l) if l.chars().count() + 3 + part.chars().count() <= max => {
                l.push_str(" · ");
                l.push_str(part);
            }
            _ => lines.push(part.to_string()),
        }
    }
    lines
}

/// Splits `area` into the data part and the legend panel on its right.
pub(crate) fn with_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
) -> (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>) {
    let w = area.dim_in_pixel().0;
    area.split_horizontally(w.saturating_sub(LEGEND_W))
}

// ---- formats --------------------------------------------------------------

/// Hours since midnight as `HH:MM` (`24:00` at the end of the day).
pub fn hhmm(hours: f64) -> String {
    let m = (hours * 60.0).round().max(0.0) as i64;
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// A share as a percentage with `decimals` (`0.961` → `96.1 %`).
pub fn pct(x: f64, decimals: usize) -> String {
    format!("{:.*} %", decimals, 100.0 * x)
}

/// Seconds without false precision: whole seconds from 100 s on, one
/// decimal below.
pub fn secs(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.0} s")
    } else {
        format!("{x:.1} s")
    }
}

/// A number as it reads best: integers without decimals, else up to three
/// significant decimals trimmed (`0.30` → `0.3`).
pub fn plain(x: f64) -> String {
    if x == x.round() && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

// ---- tables ---------------------------------------------------------------

pub(crate) fn read_csv(path: &Path) -> Result<DataFrame, String> {
    CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(|r| r.finish())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// A column as numbers; an empty or non-numeric cell is NaN.
pub(crate) fn col_f64(df: &DataFrame, name: &str) -> Result<Vec<f64>, String> {
    let c = df.column(name).map_err(|e| format!("column {name}: {e}"))?;
    let c = c.cast(&DataType::Float64).map_err(|e| e.to_string())?;
    Ok(c.f64()
        .map_err(|e| e.to_string())?
        .iter()
        .map(|x| x.unwrap_or(f64::NAN))
        .collect())
}

pub(crate) fn col_str(df: &DataFrame, name: &str) -> Result<Vec<String>, String> {
    let c = df.column(name).map_err(|e| format!("column {name}: {e}"))?;
    let c = c.cast(&DataType::String).map_err(|e| e.to_string())?;
    Ok(c.str()
        .map_err(|e| e.to_string())?
        .iter()
        .map(|x| x.unwrap_or("").to_string())
        .collect())
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn subtitles_wrap_between_their_parts() {
        assert_eq!(wrap("", 30), Vec::<String>::new());
        assert_eq!(wrap("a · b · c", 30), ["a · b · c"]);
        assert_eq!(
            wrap("scenario hospital · 300 stalls · sweep seed 1", 20),
            ["scenario hospital", "300 stalls", "sweep seed 1"]
        );
        assert_eq!(
            wrap("aaaa · bb · cccccccccccc", 9),
            ["aaaa · bb", "cccccccccccc"]
        );
    }

    #[test]
    fn formats() {
        for (h, want) in [
            (0.0, "00:00"),
            (14.0, "14:00"),
            (8.5, "08:30"),
            (24.0, "24:00"),
        ] {
            assert_eq!(hhmm(h), want);
        }
        assert_eq!(pct(0.9612, 1), "96.1 %");
        assert_eq!(secs(833.667), "834 s");
        assert_eq!(secs(12.34), "12.3 s");
        assert_eq!(plain(100.0), "100");
        assert_eq!(plain(0.30), "0.3");
        assert_ne!(SeriesStyle::nth(0), SeriesStyle::nth(1));
    }
}
