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
            let text = match (k, v) {
                ("source", Value::String(s)) => file_name(s).to_string(),
                _ => json_text(v),
            };
            t.row(vec![Cell::Text(label.into()), Cell::Code(text)]);
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

/// A scenario source's file name: the page names the file, never the
/// directories of the machine the run was made on (`/home/a/x.toml` and
/// `C:\\runs\\x.toml` are both `x.toml`; a label such as
/// `(embedded hospital scenario)` stays as it is).
fn file_name(source: &str) -> &str {
    source.rsplit(['/', '\\']).next().unwrap_or(source)
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn a_source_is_shown_by_its_file_name() {
        assert_eq!(file_name("/home/a/garage x/h.toml"), "h.toml");
        assert_eq!(file_name("C:\\runs\\h.toml"), "h.toml");
        assert_eq!(file_name("scenarios/h.toml"), "h.toml");
        assert_eq!(file_name("h.toml"), "h.toml");
        assert_eq!(
            file_name("(embedded hospital scenario)"),
            "(embedded hospital scenario)"
        );
    }
}
