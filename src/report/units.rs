//! Units of the metrics, read from docs/METRICS.md (compiled in): the
//! last column of its summary and hour-of-day tables. One source: a key
//! `tests/metrics_doc.rs` keeps in step with the code has its unit here
//! too. Values are shown in their unit, shares as percent.

const METRICS_DOC: &str = include_str!("../../docs/METRICS.md");

/// How a value is shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    /// A share in [0, 1], shown as percent.
    Share,
    /// Seconds, one decimal.
    Seconds,
    /// Hours (or stall-hours: the text), one decimal.
    Hours(&'static str),
    /// Money, two decimals.
    Yuan,
    /// Whole things (vehicles, bookings, …); a mean over runs gets two
    /// decimals.
    Count(&'static str),
    /// Things per day, one decimal.
    PerDay(&'static str),
    /// Text, booleans, seeds: shown as they are.
    Plain,
}

impl Unit {
    fn of_doc(text: &'static str) -> Unit {
        match text {
            "share" | "share of stalls" => Unit::Share,
            "s" => Unit::Seconds,
            "h" | "stall·h" => Unit::Hours(text),
            "yuan" => Unit::Yuan,
            t if t.ends_with("/day") => Unit::PerDay(t),
            "vehicles" | "bookings" | "frames" | "events" | "records" | "stalls" | "days" => {
                Unit::Count(text)
            }
            _ => Unit::Plain,
        }
    }

    /// The unit as a column header shows it (`%` for shares; empty for
    /// plain values).
    pub fn label(&self) -> &'static str {
        match self {
            Unit::Share => "%",
            Unit::Seconds => "s",
            Unit::Hours(t) | Unit::Count(t) | Unit::PerDay(t) => t,
            Unit::Yuan => "yuan",
            Unit::Plain => "",
        }
    }

    /// `x` in this unit, without the unit; `n/a` when undefined or not
    /// finite.
    pub fn number(&self, x: Option<f64>) -> String {
        let Some(x) = x.filter(|x| x.is_finite()) else {
            return "n/a".into();
        };
        match self {
            Unit::Share => format!("{:.1}", 100.0 * x),
            Unit::Seconds | Unit::Hours(_) | Unit::PerDay(_) => format!("{x:.1}"),
            Unit::Yuan => format!("{x:.2}"),
            Unit::Count(_) | Unit::Plain if x.fract() == 0.0 && x.abs() < 1e15 => {
                format!("{x:.0}")
            }
            Unit::Count(_) | Unit::Plain => format!("{x:.2}"),
        }
    }

    /// A raw CSV field in this unit: numbers formatted, text as it is,
    /// empty as `n/a`.
    pub fn field(&self, raw: Option<&str>) -> String {
        match raw {
            None => "n/a".into(),
            Some(s) => match s.parse::<f64>() {
                Ok(x) if *self != Unit::Plain => self.number(Some(x)),
                Ok(x) if !x.is_finite() => "n/a".into(),
                _ => s.to_string(),
            },
        }
    }

    /// `mean [low, high]`, each part `n/a` where undefined.
    pub fn with_ci(&self, mean: Option<f64>, low: Option<f64>, high: Option<f64>) -> String {
        match (low, high) {
            (None, None) => format!("{} [n/a]", self.number(mean)),
            _ => format!(
                "{} [{}, {}]",
                self.number(mean),
                self.number(low),
                self.number(high)
            ),
        }
    }
}

/// Which table of METRICS.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Summary,
    Hourly,
}

/// The (key, unit) rows of one table of METRICS.md.
fn rows(table: Table) -> impl Iterator<Item = (&'static str, &'static str)> {
    let heading = match table {
        Table::Summary => "## Summary keys",
        Table::Hourly => "## Hour-of-day table",
    };
    METRICS_DOC
        .split("\n## ")
        .find(|s| s.starts_with(heading.trim_start_matches("## ")))
        .unwrap_or("")
        .lines()
        .filter(|l| l.starts_with("| `"))
        .filter_map(|l| {
            let cells: Vec<&str> = l.trim().trim_matches('|').split('|').collect();
            let key = cells.first()?.trim().trim_matches('`');
            let unit = cells.last()?.trim();
            Some((key, unit))
        })
}

/// The unit of `key` in `table`: an exact row, or a row with a `<name>`
/// placeholder (`entrance_<name>_entered`); `Plain` when none.
pub fn unit(table: Table, key: &str) -> Unit {
    for (k, u) in rows(table) {
        let matches = match k.split_once('<').zip(k.split_once('>')) {
            Some(((pre, _), (_, post))) => {
                key.len() > pre.len() + post.len() && key.starts_with(pre) && key.ends_with(post)
            }
            None => k == key,
        };
        if matches {
            return Unit::of_doc(u);
        }
    }
    Unit::Plain
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn units_come_from_the_metrics_page() {
        let cases = [
            (Table::Summary, "booking_success_rate", Unit::Share),
            (Table::Summary, "p95_wait_s", Unit::Seconds),
            (Table::Summary, "revenue", Unit::Yuan),
            (Table::Summary, "max_queue", Unit::Count("vehicles")),
            (
                Table::Summary,
                "entrance_A_entered",
                Unit::Count("vehicles"),
            ),
            (
                Table::Summary,
                "entrance_B_mean_queue",
                Unit::Count("vehicles"),
            ),
            (Table::Summary, "hours_full", Unit::Hours("h")),
            (Table::Summary, "time_share_full", Unit::Share),
            (Table::Summary, "saturated_at", Unit::Share),
            (Table::Summary, "scenario", Unit::Plain),
            (Table::Summary, "no_such_key", Unit::Plain),
            (
                Table::Hourly,
                "arrivals_per_day",
                Unit::PerDay("vehicles/day"),
            ),
            (Table::Hourly, "mean_occupancy", Unit::Share),
            (Table::Hourly, "p95_wait_s", Unit::Seconds),
        ];
        for (t, key, want) in cases {
            assert_eq!(unit(t, key), want, "{key}");
        }
    }

    #[test]
    fn undefined_is_na_never_zero_or_nan() {
        let cases = [
            (Unit::Share, Some(0.9512), "95.1"),
            (Unit::Share, None, "n/a"),
            (Unit::Seconds, Some(f64::NAN), "n/a"),
            (Unit::Count("vehicles"), Some(12.0), "12"),
            (Unit::Count("vehicles"), Some(0.345), "0.34"),
            (Unit::Yuan, Some(3.0), "3.00"),
        ];
        for (u, x, want) in cases {
            assert_eq!(u.number(x), want);
        }
        assert_eq!(Unit::Share.field(Some("NaN")), "n/a");
        assert_eq!(Unit::Plain.field(Some("NaN")), "n/a");
        assert_eq!(Unit::Plain.field(Some("hospital")), "hospital");
        assert_eq!(Unit::Plain.field(None), "n/a");
        assert_eq!(
            Unit::Share.with_ci(Some(0.5), Some(0.4), Some(0.6)),
            "50.0 [40.0, 60.0]"
        );
        assert_eq!(Unit::Share.with_ci(Some(0.5), None, None), "50.0 [n/a]");
    }
}
