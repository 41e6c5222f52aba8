//! A run's figures: occupancy and entrance queues by time of day, and
//! turn-aways, waits and booking refusals by hour of day — each titled
//! with the scenario, stalls, days and seed, and marked with what a
//! planner reads them against (the priority window, platform-link
//! outages, hours a reserved entrance takes general cars).

use super::chart::{
    Chart, DrawResult, Figure, Key, SeriesStyle, col_f64, col_str, draw_legend, draw_line, err,
    hhmm, plain, read_csv, titled, with_legend, write_figure,
};
use crate::scenario::{EntranceKind, Scenario, parse_day_hhmm, parse_hhmm};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use polars::prelude::DataFrame;
use std::path::{Path, PathBuf};

/// Minutes per point of the day lines: a mean over this many minutes of
/// every measured day (minute values are too noisy to read).
const BIN_MIN: usize = 10;

/// The q-quantile of `xs` (linear interpolation; sorts `xs`).
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

/// Per bin of `bin` minutes of the day: (mean, 5 %, 95 %) of `values`
/// over the days and the minutes in the bin; NaNs where nothing fell.
pub fn binned_profile(minute_of_day: &[f64], values: &[f64], bin: usize) -> Vec<(f64, f64, f64)> {
    let bin = bin.clamp(1, 1440);
    let mut by: Vec<Vec<f64>> = vec![Vec::new(); 1440usize.div_ceil(bin)];
    for (m, v) in minute_of_day.iter().zip(values) {
        if let Some(b) = by.get_mut(*m as usize / bin)
            && v.is_finite()
        {
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

/// Per minute of the day: (mean, 5 %, 95 %) of `values` across days.
pub fn daily_profile(minute_of_day: &[f64], values: &[f64]) -> Vec<(f64, f64, f64)> {
    binned_profile(minute_of_day, values, 1)
}

/// Ranges [h] of the day where `on` (one flag per minute) holds.
pub(crate) fn windows(on: &[bool]) -> Vec<(f64, f64)> {
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
        out.push((s as f64 / 60.0, on.len() as f64 / 60.0));
    }
    out
}

/// What the title says about the run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    pub scenario: String,
    pub stalls: String,
    pub days: String,
    pub warmup_days: Option<String>,
    pub seed: String,
    /// `--set` overrides other than days and seed.
    pub overrides: Vec<String>,
}

impl RunInfo {
    /// From `provenance.json` where the run has it, else `summary.csv`.
    fn read(dir: &Path, summary: &DataFrame) -> RunInfo {
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => "?".into(),
            other => other.to_string(),
        };
        if let Some(p) = std::fs::read_to_string(dir.join("provenance.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        {
            return RunInfo {
                scenario: text(&p["scenario"]),
                stalls: text(&p["stalls"]),
                days: text(&p["days"]),
                warmup_days: Some(text(&p["warmup_days"])),
                seed: text(&p["seed"]),
                overrides: p["overrides"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(text)
                            .filter(|s| !s.starts_with("days=") && !s.starts_with("seed="))
                            .collect()
                    })
                    .unwrap_or_default(),
            };
        }
        let first = |c: &str| {
            col_str(summary, c)
                .ok()
                .and_then(|v| v.first().cloned())
                .unwrap_or_else(|| "?".into())
        };
        RunInfo {
            scenario: first("scenario"),
            stalls: first("stalls"),
            days: first("days"),
            warmup_days: None,
            seed: first("seed"),
            overrides: Vec::new(),
        }
    }

    /// "hospital · 300 stalls · 2 days after 1 warm-up day · seed 42".
    pub fn subtitle(&self) -> String {
        let days = match self.warmup_days.as_deref() {
            Some("0") | None => format!("{} measured days", self.days),
            Some(w) => format!("{} measured days after {w} warm-up", self.days),
        };
        let mut s = format!(
            "scenario {} · {} stalls · {days} · seed {}",
            self.scenario, self.stalls, self.seed
        );
        if !self.overrides.is_empty() {
            s.push_str(&format!(" · set {}", self.overrides.join(", ")));
        }
        s
    }
}

/// A platform-link outage on one measured day, in hours of that day.
#[derive(Debug, Clone, PartialEq)]
pub struct OutageMark {
    /// The scenario's day number (warm-up days counted, day 0 first).
    pub day: u32,
    pub from_h: f64,
    pub to_h: f64,
}

/// What a time-of-day chart is marked with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Marks {
    /// The priority window(s) [h].
    pub priority: Vec<(f64, f64)>,
    /// Outages on measured days.
    pub outages: Vec<OutageMark>,
    /// Outages during the warm-up (not in any figure).
    pub warmup_outages: usize,
    /// (entrance, from, to [h]): a reserved entrance taking general cars.
    pub open_to_general: Vec<(String, f64, f64)>,
}

impl Marks {
    /// The priority window from the series (any day it was on), outages
    /// and entrance windows from the scenario when the run recorded it.
    fn read(series: &DataFrame, scn: Option<&Scenario>) -> Result<Marks, String> {
        let mod_ = col_f64(series, "minute_of_day")?;
        let mut on = vec![false; 1440];
        for (m, p) in mod_.iter().zip(col_str(series, "priority_on")?) {
            if (p == "true" || p == "1")
                && let Some(x) = on.get_mut(*m as usize)
            {
                *x = true;
            }
        }
        let mut marks = Marks {
            priority: windows(&on),
            ..Marks::default()
        };
        let Some(scn) = scn else {
            return Ok(marks);
        };
        let (warm, days) = (scn.warmup_days, scn.days);
        for o in &scn.network.outages {
            let Some(start) = parse_day_hhmm(&o.start) else {
                continue;
            };
            let end = start + o.minutes;
            let mut t = start;
            while t < end {
                let day = t / 1440;
                let to = end.min((day + 1) * 1440);
                if day < warm {
                    marks.warmup_outages += 1;
                } else if day < warm + days {
                    marks.outages.push(OutageMark {
                        day,
                        from_h: (t - day * 1440) as f64 / 60.0,
                        to_h: (to - day * 1440) as f64 / 60.0,
                    });
                }
                t = to;
            }
        }
        for e in &scn.garage.entrances {
            if e.kind != EntranceKind::Reserved {
                continue;
            }
            for w in &e.open_to_general {
                if let (Some(a), Some(b)) = (parse_hhmm(&w.on), parse_hhmm(&w.off)) {
                    let (a, b) = (a as f64 / 60.0, b as f64 / 60.0);
                    if a <= b {
                        marks.open_to_general.push((e.name.clone(), a, b));
                    } else {
                        marks.open_to_general.push((e.name.clone(), a, 24.0));
                        marks.open_to_general.push((e.name.clone(), 0.0, b));
                    }
                }
            }
        }
        Ok(marks)
    }

    /// Legend entries for the marks (the outages listed one by one).
    fn keys(&self) -> Vec<Key> {
        let mut k = Vec::new();
        for (i, (a, b)) in self.priority.iter().enumerate() {
            let text = format!("reserved priority {}–{}", hhmm(*a), hhmm(*b));
            if i == 0 {
                k.push(Key::Area(PRIORITY, text));
            } else {
                k.push(Key::Note(format!("   and {}–{}", hhmm(*a), hhmm(*b))));
            }
        }
        if !self.outages.is_empty() {
            k.push(Key::Area(OUTAGE_BAR, "platform link down:".into()));
            for o in self.outages.iter().take(6) {
                k.push(Key::Note(format!(
                    "   day {}, {}–{}",
                    o.day,
                    hhmm(o.from_h),
                    hhmm(o.to_h)
                )));
            }
            if self.outages.len() > 6 {
                k.push(Key::Note(format!("   and {} more", self.outages.len() - 6)));
            }
        }
        if self.warmup_outages > 0 {
            k.push(Key::Note(format!(
                "({} outage(s) in the warm-up, not shown)",
                self.warmup_outages
            )));
        }
        k
    }
}

const PRIORITY: RGBAColor = RGBAColor(240, 200, 0, 0.18);
const OUTAGE_SHADE: RGBAColor = RGBAColor(90, 90, 90, 0.16);
const OUTAGE_BAR: RGBAColor = RGBAColor(90, 90, 90, 0.45);

/// Shades the priority window and the outages (with a strip on top
/// naming the day) on a chart whose y runs from 0 to `ymax`.
fn draw_marks<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    marks: &Marks,
    ymax: f64,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    chart
        .draw_series(
            marks
                .priority
                .iter()
                .map(|(a, b)| Rectangle::new([(*a, 0.0), (*b, ymax)], PRIORITY.filled())),
        )
        .map_err(err)?;
    let strip = ymax * 0.06;
    for (i, o) in marks.outages.iter().enumerate() {
        chart
            .draw_series([
                Rectangle::new([(o.from_h, 0.0), (o.to_h, ymax)], OUTAGE_SHADE.filled()),
                Rectangle::new(
                    [(o.from_h, ymax - strip), (o.to_h, ymax)],
                    OUTAGE_BAR.filled(),
                ),
            ])
            .map_err(err)?;
        // A label in the strip; outages that overlap it in time of day
        // (on other days) stack their labels below.
        let overlapping = marks.outages[..i]
            .iter()
            .filter(|p| p.from_h < o.to_h && o.from_h < p.to_h)
            .count();
        chart
            .draw_series(std::iter::once(Text::new(
                format!("day {}", o.day),
                (o.from_h + 0.05, ymax - strip * (0.12 + overlapping as f64)),
                ("sans-serif", 12)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Left, VPos::Top)),
            )))
            .map_err(err)?;
    }
    Ok(())
}

/// A chart over the 24 hours of a day with `HH:MM` ticks every 2 h.
fn day_axes<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    (ymin, ymax): (f64, f64),
    xdesc: &str,
    ydesc: &str,
    yfmt: &dyn Fn(&f64) -> String,
) -> DrawResult<Chart<'a, DB>>
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .margin_right(18)
        .x_label_area_size(if xdesc.is_empty() { 26 } else { 44 })
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..24f64, ymin..ymax)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(xdesc)
        .y_desc(ydesc)
        .x_labels(13)
        .y_labels(6)
        .x_label_formatter(&|h| hhmm(*h))
        .y_label_formatter(&|v| if *v < 0.0 { String::new() } else { yfmt(v) })
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(RGBColor(225, 225, 225))
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

/// One line over the day with its 5–95 % band.
struct DayLine {
    name: String,
    style: SeriesStyle,
    /// (hour, mean, low, high) per bin.
    pts: Vec<(f64, f64, f64, f64)>,
}

impl DayLine {
    fn new(name: String, style: SeriesStyle, prof: &[(f64, f64, f64)], bin: usize) -> DayLine {
        let h = bin as f64 / 60.0;
        DayLine {
            name,
            style,
            pts: prof
                .iter()
                .enumerate()
                .map(|(i, p)| ((i as f64 + 0.5) * h, p.0, p.1, p.2))
                .collect(),
        }
    }

    fn peak(&self) -> f64 {
        self.pts
            .iter()
            .map(|p| p.1)
            .filter(|x| x.is_finite())
            .fold(0.0, f64::max)
    }
}

/// Occupancy or queues over the day.
struct DayFigure<'a> {
    title: String,
    subtitle: String,
    ydesc: String,
    ymax: f64,
    percent: bool,
    /// Horizontal bands (saturated, full) with their legend entries.
    levels: Vec<(f64, f64, RGBAColor, String)>,
    lines: Vec<DayLine>,
    marks: &'a Marks,
    /// Mark the reserved entrances' general hours (the queue figure).
    entrance_windows: bool,
}

impl Figure for DayFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (1150, 580)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<()>
    where
        DB::ErrorType: 'static,
    {
        let body = titled(root, &self.title, &self.subtitle)?;
        let (left, right) = with_legend(&body);
        let pct = self.percent;
        let yfmt = move |v: &f64| if pct { format!("{v:.0} %") } else { plain(*v) };
        // Below zero: room for the strips of the entrances' general hours.
        let ymin = if self.entrance_windows && !self.marks.open_to_general.is_empty() {
            -self.ymax * 0.05
        } else {
            0.0
        };
        let mut chart = day_axes(&left, (ymin, self.ymax), "time of day", &self.ydesc, &yfmt)?;
        for (a, b, c, _) in &self.levels {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, *a), (24.0, *b)],
                    c.filled(),
                )))
                .map_err(err)?;
        }
        draw_marks(&mut chart, self.marks, self.ymax)?;
        let mut keys = Vec::new();
        if self.entrance_windows {
            for (name, a, b) in &self.marks.open_to_general {
                let style = self
                    .lines
                    .iter()
                    .find(|l| l.name == format!("entrance {name}"))
                    .map_or(SeriesStyle::nth(6), |l| l.style);
                let c = style.colour.mix(0.55);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(*a, ymin * 0.9), (*b, ymin * 0.2)],
                        c.filled(),
                    )))
                    .map_err(err)?;
                let text = format!("{name} takes general cars {}–{}", hhmm(*a), hhmm(*b));
                if !keys.contains(&Key::Area(c, text.clone())) {
                    keys.push(Key::Area(c, text));
                }
            }
        }
        // Bands first, then lines, the highest line first so that a lower
        // one is drawn over it, never hidden under it.
        for l in &self.lines {
            let c = l.style.colour.mix(0.16);
            let ok: Vec<_> = l.pts.iter().filter(|p| p.1.is_finite()).collect();
            let poly: Vec<(f64, f64)> = ok
                .iter()
                .map(|p| (p.0, p.3))
                .chain(ok.iter().rev().map(|p| (p.0, p.2)))
                .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(poly, c.filled())))
                .map_err(err)?;
        }
        let mut order: Vec<&DayLine> = self.lines.iter().collect();
        order.sort_by(|a, b| b.peak().total_cmp(&a.peak()));
        for l in order {
            let line: Vec<(f64, f64)> = l.pts.iter().map(|p| (p.0, p.1)).collect();
            // A marker every 2 h, placed apart from line to line.
            let step = (120 / BIN_MIN).max(1);
            let shift = self
                .lines
                .iter()
                .position(|x| x.name == l.name)
                .unwrap_or(0)
                * 2;
            let marks: Vec<(f64, f64)> = line
                .iter()
                .skip(shift % step)
                .step_by(step)
                .copied()
                .collect();
            draw_line(&mut chart, &line, &marks, l.style)?;
        }
        let mut legend: Vec<Key> = self
            .lines
            .iter()
            .map(|l| Key::Line(l.style, l.name.clone()))
            .collect();
        legend.push(Key::Area(
            RGBColor(120, 120, 120).mix(0.2),
            "5–95 % of days and minutes".into(),
        ));
        legend.push(Key::Note(format!(
            "lines: mean per {BIN_MIN} min over the days"
        )));
        for (_, _, c, t) in &self.levels {
            legend.push(Key::Area(*c, t.clone()));
        }
        legend.extend(self.marks.keys());
        legend.extend(keys);
        draw_legend(&right, &legend, 16)
    }
}

/// One row of `hourly.csv`.
#[derive(Debug, Clone, Copy)]
struct Hour {
    turned_away: f64,
    arrivals: f64,
    attempts: f64,
    refusals: f64,
    mean_wait: f64,
    p95_wait: f64,
}

/// Turn-aways, waits and booking refusals by hour of day, three panels.
struct HourlyFigure<'a> {
    subtitle: String,
    hours: Vec<Hour>,
    marks: &'a Marks,
}

impl HourlyFigure<'_> {
    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        which: usize,
    ) -> DrawResult<()>
    where
        DB::ErrorType: 'static,
    {
        let (left, right) = with_legend(area);
        let top = |f: &dyn Fn(&Hour) -> f64| {
            self.hours
                .iter()
                .map(f)
                .filter(|x| x.is_finite())
                .fold(0.0, f64::max)
        };
        let ymax = |m: f64| if m > 0.0 { m * 1.2 } else { 1.0 };
        let xdesc = if which == 2 { "hour of day" } else { "" };
        let bar = |h: usize, v: f64, inset: f64, c: RGBColor| {
            Rectangle::new(
                [(h as f64 + inset, 0.0), (h as f64 + 1.0 - inset, v)],
                c.filled(),
            )
        };
        let mut keys = Vec::new();
        match which {
            0 => {
                let y = ymax(top(&|h| h.turned_away));
                let mut chart = day_axes(&left, (0.0, y), xdesc, "turned away [per day]", &|v| {
                    plain(*v)
                })?;
                draw_marks(&mut chart, self.marks, y)?;
                let c = super::chart::COLOURS[1];
                chart
                    .draw_series(
                        self.hours
                            .iter()
                            .enumerate()
                            .filter(|(_, h)| h.turned_away.is_finite())
                            .map(|(i, h)| bar(i, h.turned_away, 0.1, c)),
                    )
                    .map_err(err)?;
                let total: f64 = self.hours.iter().map(|h| h.turned_away).sum();
                let arrivals: f64 = self.hours.iter().map(|h| h.arrivals).sum();
                keys.push(Key::Area(c.into(), "drivers turned away".into()));
                keys.push(Key::Note(if total > 0.0 {
                    format!(
                        "{} a day, of {} arrivals a day",
                        plain((total * 10.0).round() / 10.0),
                        plain(arrivals.round())
                    )
                } else {
                    format!("none, of {} arrivals a day", plain(arrivals.round()))
                }));
            }
            1 => {
                let y = ymax(top(&|h| h.p95_wait));
                let mut chart =
                    day_axes(&left, (0.0, y), xdesc, "entrance wait [s]", &|v| plain(*v))?;
                draw_marks(&mut chart, self.marks, y)?;
                for (i, (name, f)) in [
                    ("mean wait", (|h: &Hour| h.mean_wait) as fn(&Hour) -> f64),
                    ("95th percentile", |h: &Hour| h.p95_wait),
                ]
                .into_iter()
                .enumerate()
                {
                    let style = SeriesStyle::nth(i);
                    let pts: Vec<(f64, f64)> = self
                        .hours
                        .iter()
                        .enumerate()
                        .map(|(h, r)| (h as f64 + 0.5, f(r)))
                        .collect();
                    draw_line(&mut chart, &pts, &pts, style)?;
                    keys.push(Key::Line(style, name.into()));
                }
                keys.push(Key::Note("of cars entering in the hour".into()));
            }
            _ => {
                let y = ymax(top(&|h| h.attempts));
                let mut chart =
                    day_axes(&left, (0.0, y), xdesc, "bookings [per day]", &|v| plain(*v))?;
                draw_marks(&mut chart, self.marks, y)?;
                let (a, r) = (super::chart::COLOURS[5], super::chart::COLOURS[3]);
                chart
                    .draw_series(
                        self.hours
                            .iter()
                            .enumerate()
                            .filter(|(_, h)| h.attempts.is_finite())
                            .map(|(i, h)| bar(i, h.attempts, 0.1, a)),
                    )
                    .map_err(err)?;
                chart
                    .draw_series(
                        self.hours
                            .iter()
                            .enumerate()
                            .filter(|(_, h)| h.refusals.is_finite())
                            .map(|(i, h)| bar(i, h.refusals, 0.25, r)),
                    )
                    .map_err(err)?;
                let total: f64 = self.hours.iter().map(|h| h.refusals).sum();
                keys.push(Key::Area(a.into(), "booking attempts".into()));
                keys.push(Key::Area(r.into(), "refused".into()));
                let attempts: f64 = self.hours.iter().map(|h| h.attempts).sum();
                keys.push(Key::Note(format!(
                    "{} of {} a day refused",
                    plain((total * 10.0).round() / 10.0),
                    plain((attempts * 10.0).round() / 10.0)
                )));
                keys.push(Key::Note("by the hour booked for".into()));
            }
        }
        if which == 0 {
            keys.extend(self.marks.keys());
        }
        draw_legend(&right, &keys, 12)
    }
}

impl Figure for HourlyFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (1150, 900)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<()>
    where
        DB::ErrorType: 'static,
    {
        let body = titled(
            root,
            "Turn-aways, entrance waits and booking refusals by hour of day",
            &self.subtitle,
        )?;
        let h = body.dim_in_pixel().1;
        let (a, rest) = body.split_vertically(h * 32 / 100);
        let (b, c) = rest.split_vertically(h * 32 / 100);
        self.panel(&a, 0)?;
        self.panel(&b, 1)?;
        self.panel(&c, 2)
    }
}

/// The figures of one run directory (`series.csv`, `summary.csv`,
/// `hourly.csv`; `provenance.json` and `scenario.toml` where present):
/// `occupancy_by_time_of_day`, `queue_by_time_of_day` and `by_hour_of_day`
/// (the last where the run has `hourly.csv`), each as PNG and SVG.
pub fn plot_run(dir: &Path) -> Result<Vec<PathBuf>, String> {
    super::chart::font()?;
    let series = read_csv(&dir.join("series.csv"))?;
    let summary = read_csv(&dir.join("summary.csv"))?;
    let info = RunInfo::read(dir, &summary);
    let scn = match std::fs::read_to_string(dir.join("scenario.toml")) {
        Ok(text) => Some(Scenario::from_toml(&text).map_err(|e| {
            format!(
                "{}: {}",
                dir.join("scenario.toml").display(),
                e.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })?),
        Err(_) => None,
    };
    let marks = Marks::read(&series, scn.as_ref())?;
    let first = |c: &str, default: f64| -> Result<f64, String> {
        Ok(col_f64(&summary, c)?.first().copied().unwrap_or(default))
    };
    let (stalls, sat, full) = (
        first("stalls", f64::NAN)?,
        first("saturated_at", 0.7)?,
        first("full_at", 0.9)?,
    );
    let mod_ = col_f64(&series, "minute_of_day")?;
    let subtitle = info.subtitle();

    let occ: Vec<f64> = col_f64(&series, "inside")?
        .iter()
        .map(|x| 100.0 * x / stalls)
        .collect();
    let (s, f) = (sat * 100.0, full * 100.0);
    let occupancy = DayFigure {
        title: "Occupancy by time of day".into(),
        subtitle: subtitle.clone(),
        ydesc: "occupied stalls [% of stalls]".into(),
        ymax: 105.0,
        percent: true,
        levels: vec![
            (
                s,
                f,
                RGBColor(230, 159, 0).mix(0.13),
                format!("saturated ({s:.0}–{f:.0} %)"),
            ),
            (
                f,
                105.0,
                RGBColor(213, 94, 0).mix(0.13),
                format!("full (≥ {f:.0} %)"),
            ),
        ],
        lines: vec![DayLine::new(
            "occupancy".into(),
            SeriesStyle::nth(0),
            &binned_profile(&mod_, &occ, BIN_MIN),
            BIN_MIN,
        )],
        marks: &marks,
        entrance_windows: false,
    };
    let mut out = write_figure(dir, "occupancy_by_time_of_day", &occupancy)?;

    let mut lines = Vec::new();
    for name in series.get_column_names() {
        if let Some(e) = name.strip_prefix("queue_") {
            let prof = binned_profile(&mod_, &col_f64(&series, name)?, BIN_MIN);
            lines.push(DayLine::new(
                format!("entrance {e}"),
                SeriesStyle::nth(lines.len()),
                &prof,
                BIN_MIN,
            ));
        }
    }
    let ymax = lines
        .iter()
        .flat_map(|l| l.pts.iter().map(|p| p.3))
        .filter(|x| x.is_finite())
        .fold(1.0, f64::max)
        * 1.15;
    let queues = DayFigure {
        title: "Entrance queues by time of day".into(),
        subtitle: subtitle.clone(),
        ydesc: "queue [vehicles]".into(),
        ymax,
        percent: false,
        levels: Vec::new(),
        lines,
        marks: &marks,
        entrance_windows: true,
    };
    out.extend(write_figure(dir, "queue_by_time_of_day", &queues)?);

    let hourly_path = dir.join("hourly.csv");
    if hourly_path.exists() {
        let h = read_csv(&hourly_path)?;
        let c = |n: &str| col_f64(&h, n);
        let (ta, ar, at, rf, mw, pw) = (
            c("turned_away_per_day")?,
            c("arrivals_per_day")?,
            c("booking_attempts_per_day")?,
            c("booking_refusals_per_day")?,
            c("mean_wait_s")?,
            c("p95_wait_s")?,
        );
        let hour = col_f64(&h, "hour")?;
        let mut hours = vec![
            Hour {
                turned_away: f64::NAN,
                arrivals: 0.0,
                attempts: f64::NAN,
                refusals: f64::NAN,
                mean_wait: f64::NAN,
                p95_wait: f64::NAN,
            };
            24
        ];
        for (i, hh) in hour.iter().enumerate() {
            if let Some(x) = hours.get_mut(*hh as usize) {
                *x = Hour {
                    turned_away: ta[i],
                    arrivals: ar[i],
                    attempts: at[i],
                    refusals: rf[i],
                    mean_wait: mw[i],
                    p95_wait: pw[i],
                };
            }
        }
        let fig = HourlyFigure {
            subtitle,
            hours,
            marks: &marks,
        };
        out.extend(write_figure(dir, "by_hour_of_day", &fig)?);
    }
    Ok(out)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn quantiles_profiles_and_windows() {
        let mut xs = vec![4.0, 1.0, 3.0, 2.0, 5.0];
        assert_eq!(quantile(&mut xs, 0.5), 3.0);
        assert_eq!(quantile(&mut xs, 0.0), 1.0);
        assert!((quantile(&mut xs, 0.95) - 4.8).abs() < 1e-12);
        let p = daily_profile(&[0.0, 0.0, 1.0], &[1.0, 3.0, 5.0]);
        assert_eq!(p[0].0, 2.0);
        assert_eq!(p[1], (5.0, 5.0, 5.0));
        assert!(p[2].0.is_nan());
        let b = binned_profile(&[0.0, 9.0, 10.0], &[1.0, 3.0, 5.0], 10);
        assert_eq!(b.len(), 144);
        assert_eq!((b[0].0, b[1].0), (2.0, 5.0));
        assert_eq!(
            windows(&[false, true, true, false]),
            vec![(1.0 / 60.0, 3.0 / 60.0)]
        );
    }

    #[test]
    fn outages_fall_on_measured_days_split_at_midnight() {
        let text = crate::scenario::DEFAULT;
        let mut scn = Scenario::from_toml(text).unwrap();
        scn.warmup_days = 1;
        scn.days = 2;
        scn.network.outages = vec![
            crate::scenario::Outage {
                start: "0 10:00".into(),
                minutes: 30,
            },
            crate::scenario::Outage {
                start: "1 23:30".into(),
                minutes: 60,
            },
        ];
        let series = DataFrame::empty();
        // No series columns: the priority window cannot be read.
        assert!(Marks::read(&series, Some(&scn)).is_err());
        let df = polars::df!("minute_of_day" => [0u32, 1], "priority_on" => [false, true]).unwrap();
        let m = Marks::read(&df, Some(&scn)).unwrap();
        assert_eq!(m.warmup_outages, 1);
        assert_eq!(
            m.outages,
            vec![
                OutageMark {
                    day: 1,
                    from_h: 23.5,
                    to_h: 24.0
                },
                OutageMark {
                    day: 2,
                    from_h: 0.0,
                    to_h: 0.5
                }
            ]
        );
        assert_eq!(m.priority, vec![(1.0 / 60.0, 2.0 / 60.0)]);
    }
}
