//! Result tables through polars: the per-minute series and the one-row
//! summary of a run, each as CSV and Parquet.

use super::run::{RunResult, Summary};
use polars::prelude::*;
use serde_json::Value;
use std::path::Path;

/// The summary flattened to `(column, value)`: nested objects joined with
/// `_` (`time_share_full`), entrances by name (`entrance_A_mean_queue`).
pub fn flatten(summary: &Summary) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let v = serde_json::to_value(summary).unwrap_or(Value::Null);
    fn walk(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}_{k}")
                    };
                    walk(&p, x, out);
                }
            }
            Value::Array(items) if prefix == "entrances" => {
                for e in items {
                    let name = e["name"].as_str().unwrap_or("?").to_string();
                    if let Value::Object(m) = e {
                        for (k, x) in m.iter().filter(|(k, _)| *k != "name") {
                            out.push((format!("entrance_{name}_{k}"), x.clone()));
                        }
                    }
                }
            }
            Value::Array(items) => {
                let text: Vec<String> = items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                    .collect();
                out.push((prefix.to_string(), Value::String(text.join("; "))));
            }
            other => out.push((prefix.to_string(), other.clone())),
        }
    }
    walk("", &v, &mut out);
    out
}

/// One-row DataFrame of a summary.
pub fn summary_frame(summary: &Summary) -> PolarsResult<DataFrame> {
    let cols: Vec<Column> = flatten(summary)
        .into_iter()
        .map(|(k, v)| match v {
            Value::Bool(b) => Column::new(k.into(), [b]),
            Value::Number(n) if n.as_u64().is_some() => {
                Column::new(k.into(), [n.as_u64().unwrap_or(0)])
            }
            Value::Number(n) => {
                Column::new(k.into(), [n.to_string().parse::<f64>().unwrap_or(f64::NAN)])
            }
            Value::String(s) => Column::new(k.into(), [s]),
            // An undefined rate: an empty cell.
            Value::Null => Column::new(k.into(), [None::<f64>]),
            other => Column::new(k.into(), [other.to_string()]),
        })
        .collect();
    DataFrame::new_infer_height(cols)
}

/// Per-minute series as a DataFrame (`queue_<entrance>` columns).
pub fn series_frame(r: &RunResult, names: &[String]) -> PolarsResult<DataFrame> {
    let Some(s) = &r.series else {
        return Ok(DataFrame::empty());
    };
    let mut cols = vec![
        Column::new("minute".into(), &s.minute),
        Column::new(
            "day".into(),
            s.minute.iter().map(|m| m / 1440).collect::<Vec<u32>>(),
        ),
        Column::new(
            "minute_of_day".into(),
            s.minute.iter().map(|m| m % 1440).collect::<Vec<u32>>(),
        ),
        Column::new("inside".into(), &s.inside),
        Column::new(
            "level".into(),
            &s.level.iter().map(|&l| l as u32).collect::<Vec<u32>>(),
        ),
        Column::new("priority_on".into(), &s.priority_on),
    ];
    for (q, name) in s.queue.iter().zip(names) {
        cols.push(Column::new(format!("queue_{name}").into(), q));
    }
    DataFrame::new_infer_height(cols)
}

/// The hour-of-day table: one row per hour 0–23 (counts per measured day,
/// waits and occupancy averaged; an undefined figure is null).
pub fn hourly_frame(r: &RunResult) -> PolarsResult<DataFrame> {
    let h = &r.hourly;
    let days = h.days.max(1) as f64;
    let per_day = |x: &[u64; 24]| x.iter().map(|&v| v as f64 / days).collect::<Vec<f64>>();
    DataFrame::new_infer_height(vec![
        Column::new("hour".into(), (0..24u32).collect::<Vec<u32>>()),
        Column::new("arrivals_per_day".into(), per_day(&h.arrivals)),
        Column::new("entries_per_day".into(), per_day(&h.entries)),
        Column::new("turned_away_per_day".into(), per_day(&h.turned_away)),
        Column::new(
            "booking_attempts_per_day".into(),
            per_day(&h.booking_attempts),
        ),
        Column::new(
            "booking_refusals_per_day".into(),
            per_day(&h.booking_refusals),
        ),
        Column::new("mean_wait_s".into(), h.mean_wait_s.to_vec()),
        Column::new("p95_wait_s".into(), h.p95_wait_s.to_vec()),
        Column::new("mean_occupancy".into(), h.mean_occupancy.to_vec()),
        Column::new("max_occupancy".into(), h.max_occupancy.to_vec()),
    ])
}

/// Writes `df` as `dir/stem.csv` and `dir/stem.parquet`.
pub fn write_both(dir: &Path, stem: &str, df: &mut DataFrame) -> Result<(), String> {
    write_both_quoted(dir, stem, df, QuoteStyle::Necessary)
}

/// [`write_both`] with the CSV's quoting (`NonNumeric` quotes every text
/// field, so a reader that keeps quoted fields as text keeps a 64-bit seed
/// exact).
pub fn write_both_quoted(
    dir: &Path,
    stem: &str,
    df: &mut DataFrame,
    quote: QuoteStyle,
) -> Result<(), String> {
    let csv = dir.join(format!("{stem}.csv"));
    let f = std::fs::File::create(&csv).map_err(|e| format!("{}: {e}", csv.display()))?;
    CsvWriter::new(f)
        .with_quote_style(quote)
        .finish(df)
        .map_err(|e| format!("{}: {e}", csv.display()))?;
    let pq = dir.join(format!("{stem}.parquet"));
    let f = std::fs::File::create(&pq).map_err(|e| format!("{}: {e}", pq.display()))?;
    ParquetWriter::new(f)
        .finish(df)
        .map_err(|e| format!("{}: {e}", pq.display()))?;
    Ok(())
}

/// Writes `series`, `summary` and `hourly` (CSV and Parquet) into `dir`.
pub fn write_run(dir: &Path, r: &RunResult) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let names: Vec<String> = r.summary.entrances.iter().map(|e| e.name.clone()).collect();
    let mut series = series_frame(r, &names).map_err(|e| e.to_string())?;
    write_both(dir, "series", &mut series)?;
    let mut hourly = hourly_frame(r).map_err(|e| e.to_string())?;
    write_both(dir, "hourly", &mut hourly)?;
    let mut summary = summary_frame(&r.summary).map_err(|e| e.to_string())?;
    write_both(dir, "summary", &mut summary)
}
