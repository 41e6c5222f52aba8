//! The page of one run (`parksim run --out DIR`).

use super::headline;
use super::html::{Cell, Html, Table, details, para};
use super::input::RunFiles;
use super::page::{Page, plots, toml_get, toml_text};
use super::units::{self, Unit};

/// Settings of `scenario.toml` shown in the scenario table: (dotted key,
/// name). A key the file lacks is left out.
const KEY_SETTINGS: [(&str, &str); 30] = [
    ("name", "scenario"),
    ("seed", "seed"),
    ("days", "days measured"),
    ("warmup_days", "warm-up days"),
    ("garage.stalls", "stalls"),
    ("garage.reservable_stalls", "reservable stalls"),
    ("garage.pool", "reservable pool"),
    ("garage.saturated_at", "saturated at [share of stalls]"),
    ("garage.full_at", "full at [share of stalls]"),
    ("garage.entrances", "entrances"),
    ("garage.exits", "exits"),
    ("flow_control.priority", "priority window"),
    (
        "flow_control.saturated_ratio",
        "saturated ratio (reserved : general)",
    ),
    ("flow_control.full_rule", "full rule"),
    ("flow_control.when_full", "when full"),
    (
        "flow_control.max_queue",
        "queue a general driver leaves at [vehicles]",
    ),
    (
        "demand.arrivals_per_hour",
        "arrivals per day (hourly profile)",
    ),
    ("demand.arrival_rate", "arrival rate [per hour]"),
    ("demand.reserved_share", "share of drivers who book"),
    ("demand.no_show", "no-show share"),
    ("demand.cancel", "cancellation share"),
    ("demand.change", "change share"),
    ("demand.stay_min", "stay [min]"),
    ("booking.lock_ahead_min", "lock ahead [min]"),
    ("fees.first_hour", "first hour [yuan]"),
    ("fees.per_hour", "each further hour [yuan]"),
    ("fees.daily_cap", "daily cap [yuan]"),
    ("network.transport", "transport"),
    ("network.frames", "frames simulated"),
    ("network.outages", "network outages"),
];

/// A key setting's value: the hourly profile as its daily total.
fn setting_text(key: &str, v: &toml::Value) -> String {
    if key == "demand.arrivals_per_hour"
        && let Some(a) = v.as_array()
    {
        let total: f64 = a
            .iter()
            .filter_map(|x| x.as_float().or_else(|| x.as_integer().map(|i| i as f64)))
            .sum();
        return format!("{total:.0}");
    }
    toml_text(v)
}

fn scenario_section(text: Option<&str>) -> Html {
    let mut h = Html::new();
    let Some(text) = text else {
        h.push(para(
            "No scenario.toml in this directory (written by parksim before it recorded one).",
        ));
        return h;
    };
    match toml::from_str::<toml::Table>(text) {
        Ok(t) => {
            let mut tab = Table::new(["setting", "value", "key"]);
            for (k, name) in KEY_SETTINGS {
                if let Some(v) = toml_get(&t, k) {
                    tab.row(vec![
                        Cell::Text(name.into()),
                        Cell::Text(setting_text(k, v)),
                        Cell::Code(k.into()),
                    ]);
                }
            }
            h.push(tab.render());
        }
        Err(e) => {
            h.push(para(&format!("scenario.toml does not read as TOML: {e}")));
        }
    }
    h.push(details(
        "The whole scenario (scenario.toml: `parksim run scenario.toml` runs it again)",
        Html::el("pre", text),
    ));
    h
}

fn headline_section(f: &RunFiles) -> Html {
    let s = &f.summary;
    let mut t = Table::new(["metric", "value", "unit", "key"]);
    for (k, name) in headline::RUN {
        if s.column(k).is_none() {
            continue;
        }
        let u = units::unit(units::Table::Summary, k);
        t.row(vec![
            Cell::Text(name.into()),
            Cell::Num(u.field(s.get(0, k))),
            Cell::Text(u.label().into()),
            Cell::Code(k.into()),
        ]);
    }
    let mut h = Html::new();
    h.push(t.render());
    h.push(para(
        "Measured days only (the warm-up left out); n/a: undefined, nobody in the population \
         (docs/METRICS.md defines every key).",
    ));
    let ok = |c: &str| s.get(0, c) == Some("true");
    let line = if ok("conservation_ok") && ok("reconciled") {
        Html::tag(
            "p",
            &[("class", "good")],
            Html::text(
                "Checks passed: vehicles conserved, and the platform's ledger reconciles with \
                 the garage's records.",
            ),
        )
    } else {
        Html::tag(
            "p",
            &[("class", "bad")],
            Html::text(&format!(
                "Checks failed: conservation {}, reconciled {} ({}).",
                s.get(0, "conservation_ok").unwrap_or("n/a"),
                s.get(0, "reconciled").unwrap_or("n/a"),
                s.get(0, "reconcile_problems").unwrap_or("")
            )),
        )
    };
    h.push(line);
    h
}

fn hourly_section(hourly: Option<&super::csv::Csv>) -> Html {
    let Some(hr) = hourly else {
        return para("No hourly.csv in this directory.");
    };
    let cols: Vec<(String, Unit)> = hr
        .header
        .iter()
        .map(|c| {
            // The hour is a label, not a duration.
            let u = match c.as_str() {
                "hour" => Unit::Plain,
                c => units::unit(units::Table::Hourly, c),
            };
            (c.clone(), u)
        })
        .collect();
    let header = cols.iter().map(|(c, u)| {
        let name = c.replace('_', " ");
        match u.label() {
            "" => name,
            l => format!("{name} [{l}]"),
        }
    });
    let mut t = Table::new(header);
    for r in 0..hr.rows.len() {
        t.row(
            cols.iter()
                .map(|(c, u)| Cell::Num(u.field(hr.get(r, c))))
                .collect(),
        );
    }
    let mut h = para(
        "Per hour of the day over the measured days: counts per day, waits and occupancy \
         averaged.",
    );
    h.push(t.render());
    h
}

fn all_values(f: &RunFiles) -> Html {
    let s = &f.summary;
    let mut t = Table::new(["key", "value", "unit"]);
    for k in &s.header {
        let u = units::unit(units::Table::Summary, k);
        t.row(vec![
            Cell::Code(k.clone()),
            Cell::Num(u.field(s.get(0, k))),
            Cell::Text(u.label().into()),
        ]);
    }
    details("Every value of summary.csv", t.render())
}

/// The run's page.
pub fn page(f: &RunFiles) -> Page {
    let s = &f.summary;
    let name = s.get(0, "scenario").unwrap_or("(unnamed)");
    let mut p = Page {
        title: format!("parksim run: {name}"),
        subtitle: format!(
            "{} days measured, seed {}, {} stalls",
            s.get(0, "days").unwrap_or("n/a"),
            s.get(0, "seed").unwrap_or("n/a"),
            s.get(0, "stalls").unwrap_or("n/a"),
        ),
        sections: Vec::new(),
    };
    p.section(
        "scenario",
        "Scenario",
        scenario_section(f.scenario_toml.as_deref()),
    );
    p.section(
        "provenance",
        "Provenance",
        super::provenance::section(f.provenance.as_ref(), &[]),
    );
    p.section("headline", "Headline metrics", headline_section(f));
    p.section("hourly", "Hour of day", hourly_section(f.hourly.as_ref()));
    p.section("plots", "Plots", plots(&f.plots));
    p.section("all", "Every figure", all_values(f));
    p
}
