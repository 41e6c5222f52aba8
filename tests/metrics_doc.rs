//! docs/METRICS.md and the code name the same keys.

use parksim::scenario::Scenario;
use parksim::sim::run::{RunOptions, run};
use parksim::sim::tables::{flatten, hourly_frame};
use std::collections::BTreeSet;

/// The backticked keys in the first column of the tables under `heading`.
fn documented(doc: &str, heading: &str) -> BTreeSet<String> {
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with(heading))
        .unwrap_or_else(|| panic!("no section {heading}"));
    section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`').map(|(k, _)| k.to_string()))
        .collect()
}

#[test]
fn every_metric_is_documented_and_every_documented_metric_exists() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/METRICS.md")).unwrap();
    let scn =
        Scenario::from_toml_with_overrides(parksim::scenario::DEFAULT, &["days=1".to_string()])
            .unwrap();
    let r = run(&scn, RunOptions::default()).unwrap();
    let names: Vec<String> = scn
        .garage
        .entrances
        .iter()
        .map(|e| e.name.clone())
        .collect();
    let code: BTreeSet<String> = flatten(&r.summary)
        .into_iter()
        .map(|(k, _)| {
            for n in &names {
                if let Some(rest) = k.strip_prefix(&format!("entrance_{n}_")) {
                    return format!("entrance_<name>_{rest}");
                }
            }
            k
        })
        .collect();
    let doc_keys = documented(&doc, "Summary keys");
    let missing: Vec<_> = code.difference(&doc_keys).collect();
    let stale: Vec<_> = doc_keys.difference(&code).collect();
    assert!(
        missing.is_empty(),
        "keys without a row in METRICS.md: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for keys the summary does not have: {stale:?}"
    );
    let hourly: BTreeSet<String> = hourly_frame(&r)
        .unwrap()
        .get_column_names()
        .into_iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(hourly, documented(&doc, "Hour-of-day table"));
}
