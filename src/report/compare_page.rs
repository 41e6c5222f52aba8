//! The page of a comparison (`parksim compare A B --out DIR`:
//! `compare.json`): the two sides, how their runs were paired, and B − A
//! with its 95 % CI for the headline metrics, then for every metric.

use super::headline;
use super::html::{Cell, Html, Table, details, para};
use super::page::Page;
use super::units::{self, Unit};
use crate::planner::compare::{Comparison, MetricRow};

/// The file `compare --out` writes and the page reads.
pub const FILE_NAME: &str = "compare.json";

/// A difference in the metric's unit: shares in percentage points.
fn diff_text(u: Unit, x: Option<f64>) -> String {
    match x.filter(|v| v.is_finite()) {
        None => "n/a".into(),
        Some(v) => {
            let s = u.number(Some(v));
            if v > 0.0 { format!("+{s}") } else { s }
        }
    }
}

fn diff_unit(u: Unit) -> &'static str {
    match u {
        Unit::Share => "pp",
        other => other.label(),
    }
}

fn row(m: &MetricRow, name: &str) -> Vec<Cell> {
    let u = units::unit(units::Table::Summary, &m.metric);
    let d = &m.diff;
    let ci = match (d.ci_low, d.ci_high) {
        (None, None) => "n/a".to_string(),
        (lo, hi) => format!("[{}, {}]", diff_text(u, lo), diff_text(u, hi)),
    };
    let verdict = match d.differs {
        Some(true) => Html::tag("span", &[("class", "good")], Html::text("yes")),
        Some(false) => Html::text("no (within noise)"),
        None => Html::text("n/a"),
    };
    vec![
        Cell::Text(name.to_string()),
        Cell::Text(u.label().to_string()),
        Cell::Num(u.with_ci(m.a.mean, m.a.ci_low, m.a.ci_high)),
        Cell::Num(u.with_ci(m.b.mean, m.b.ci_low, m.b.ci_high)),
        Cell::Num(format!("{} {}", diff_text(u, d.mean), diff_unit(u))),
        Cell::Num(ci),
        Cell::Num(d.n.to_string()),
        Cell::Html(verdict),
    ]
}

fn table<'a>(rows: impl Iterator<Item = (&'a MetricRow, &'a str)>) -> Html {
    let mut t = Table::new([
        "metric",
        "unit",
        "A: mean [95 % CI]",
        "B: mean [95 % CI]",
        "B − A",
        "95 % CI of B − A",
        "n",
        "differs",
    ]);
    for (m, name) in rows {
        t.row(row(m, name));
    }
    t.render()
}

/// The page of a comparison.
pub fn page(c: &Comparison) -> Page {
    let mut p = Page {
        title: "Two policies compared".into(),
        subtitle: format!("A: {} — B: {}", c.a, c.b),
        sections: Vec::new(),
    };
    let mut sides = Table::new(["side", "what", "runs"]);
    sides.row(vec![
        Cell::Text("A".into()),
        Cell::Text(c.a.clone()),
        Cell::Num(c.a_runs.to_string()),
    ]);
    sides.row(vec![
        Cell::Text("B".into()),
        Cell::Text(c.b.clone()),
        Cell::Num(c.b_runs.to_string()),
    ]);
    let mut body = sides.render();
    body.push(para(if c.paired {
        "The runs are paired by seed (common random numbers): run i of A and the run of B \
         with the same seed saw the same drivers wherever the two scenarios' demand agrees. \
         B − A is measured per seed; its 95 % CI is Student's t of the mean difference \
         over the n pairs in which the metric is defined on both sides."
    } else {
        "The sides ran on different seeds, so they are independent samples: the 95 % CI \
         of mean(B) − mean(A) is Welch's. Paired runs (the same seeds) would give a \
         narrower interval."
    }));
    body.push(para(
        "\"differs\" is yes when the CI of B − A excludes 0: the difference is beyond the \
         noise of the runs. Shares are in %, their differences in percentage points (pp); \
         n/a is undefined (a rate with nobody to count, or an interval from fewer than \
         two values).",
    ));
    p.section("sides", "The two sides", body);
    let headline = headline::RUN
        .iter()
        .filter_map(|(k, name)| c.get(k).map(|m| (m, *name)));
    p.section("headline", "Headline differences", table(headline));
    let all = c.metrics.iter().map(|m| (m, m.metric.as_str()));
    p.section(
        "every-metric",
        "Every metric",
        details(
            &format!("{} metrics of the runs' summaries", c.metrics.len()),
            table(all),
        ),
    );
    p
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::planner::compare::{Sample, compare};
    use serde_json::Value;

    fn side(label: &str, xs: &[(u64, f64, f64)]) -> Sample {
        Sample {
            label: label.into(),
            runs: xs
                .iter()
                .map(|&(s, rate, wait)| {
                    (
                        s,
                        vec![
                            ("booking_success_rate".to_string(), Value::from(rate)),
                            ("p95_wait_s".to_string(), Value::from(wait)),
                            ("revenue".to_string(), Value::Null),
                        ],
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn the_page_shows_sides_pairing_and_differences_in_their_units() {
        let a = side(
            "<A> policy",
            &[(1, 0.90, 30.0), (2, 0.80, 50.0), (3, 0.85, 40.0)],
        );
        let b = side(
            "B policy",
            &[(1, 0.95, 31.0), (2, 0.86, 49.0), (3, 0.90, 41.0)],
        );
        let html = page(&compare(&a, &b)).render();
        assert!(html.contains("&lt;A&gt; policy") && !html.contains("<A>"));
        assert!(html.contains("paired by seed"));
        // Booking success: +5.3 pp on average, every pair above 0.
        assert!(html.contains("+5.3 pp"), "{html}");
        assert!(html.contains("<span class=\"good\">yes</span>"));
        // p95 wait: +0.3 s, the pairs disagree in sign: within noise.
        assert!(html.contains("+0.3 s") && html.contains("no (within noise)"));
        // Revenue is undefined everywhere: n/a, never 0 or NaN.
        assert!(!html.contains("NaN"));
        assert!(html.contains("Every metric"));
        let unpaired = side("C", &[(7, 0.9, 30.0), (8, 0.8, 50.0)]);
        let html = page(&compare(&a, &unpaired)).render();
        assert!(html.contains("Welch"));
    }
}
