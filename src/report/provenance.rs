//! The provenance section: what made the results (`provenance.json` of
//! a run or a sweep), each known key under a readable name, any other
//! key as it is.

use super::html::{Cell, Html, Table, para};
use super::page::json_text;
use serde_json::{Map, Value};

/// Keys of `provenance.json` (a run's and a sweep's) and their names.
const LABELS: [(&str, &str); 13] = [
    ("parksim_version", "parksim version"),
    ("git_revision", "git revision"),
    ("scenario", "scenario"),
    ("source", "scenario source"),
    ("overrides", "overrides (--set)"),
    ("seed", "seed"),
    ("days", "days measured"),
    ("warmup_days", "warm-up days"),
    ("stalls", "stalls"),
    (
        "sweep_fingerprint",
        "sweep fingerprint (SHA-1 of sweep.toml)",
    ),
    ("runs_in_sweep", "runs in the sweep"),
    ("runs_here", "runs in this directory"),
    ("shard", "shard"),
];

/// The table of `m`, then `extra` rows (name, value) the caller derived.
pub fn section(m: Option<&Map<String, Value>>, extra: &[(String, String)]) -> Html {
    let mut h = Html::new();
    let Some(m) = m else {
        h.push(para(
            "No provenance.json in this directory (written by parksim before it recorded one).",
        ));
        return h;
    };
    let mut t = Table::new(["", "value"]);
    for (k, label) in LABELS {
        if let Some(v) = m.get(k) {
            t.row(vec![Cell::Text(label.into()), Cell::Code(json_text(v))]);
        }
    }
    for (k, v) in m {
        if !LABELS.iter().any(|(l, _)| l == k) {
            t.row(vec![Cell::Code(k.clone()), Cell::Code(json_text(v))]);
        }
    }
    for (k, v) in extra {
        t.row(vec![Cell::Text(k.clone()), Cell::Text(v.clone())]);
    }
    h.push(t.render());
    h
}
