//! docs/SCENARIOS.md and the scenario reader name the same keys.

use parksim::scenario::{ControlListSpec, Coupon, Outage, Scenario, Window};
use parksim::sim::dist::DistSpec;
use std::collections::BTreeSet;

/// Every dotted key of a TOML value; a distribution (a table with `dist`)
/// is one key; arrays of tables as `key[]`.
fn keys(prefix: &str, v: &toml::Value, out: &mut BTreeSet<String>) {
    match v {
        toml::Value::Table(t) if !t.contains_key("dist") => {
            for (k, x) in t {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                keys(&p, x, out);
            }
        }
        // An empty list of tables (another element shows its keys).
        toml::Value::Array(a) if a.is_empty() => {}
        toml::Value::Array(a) if a.iter().any(|x| x.is_table()) => {
            for x in a {
                keys(&format!("{prefix}[]"), x, out);
            }
        }
        _ => {
            out.insert(prefix.to_string());
        }
    }
}

#[test]
fn every_key_is_documented_and_every_documented_key_is_read() {
    // A scenario with every optional key set.
    let mut s = Scenario::default_hospital();
    s.garage.entrances[0].manual_service_s = Some(DistSpec::Constant { value: 20.0 });
    s.garage.entrances[0].open_to_general = vec![Window {
        on: "20:00".into(),
        off: "06:00".into(),
    }];
    s.demand.arrivals_per_hour_by_weekday = Some(vec![vec![1.0; 24]; 7]);
    s.demand.arrival_rate = Some(1.0);
    s.demand.control_list = Some(ControlListSpec {
        share: 0.1,
        strategy: 2,
        pushed_min_before: 60,
        hold_min: 15,
    });
    s.fees.reserved_coupon = Some(Coupon {
        kind: 1,
        value: 5.0,
    });
    s.network.outages = vec![Outage {
        start: "1 10:00".into(),
        minutes: 5,
    }];
    let v = toml::Value::try_from(&s).unwrap();
    let mut code = BTreeSet::new();
    keys("", &v, &mut code);
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/SCENARIOS.md")).unwrap();
    let section = doc.split("\n## Keys").nth(1).unwrap();
    let documented: BTreeSet<String> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`').map(|(k, _)| k.to_string()))
        .collect();
    let missing: Vec<_> = code.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&code).collect();
    assert!(
        missing.is_empty(),
        "keys without a row in SCENARIOS.md: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for keys the reader does not take: {stale:?}"
    );
}
