//! Scenario files: the embedded default reads; every problem names its key
//! and line.

use parksim::scenario::{DEFAULT, EntranceKind, FullRule, Scenario, line_of_key};

#[test]
fn the_embedded_default_reads() {
    let s = Scenario::default_hospital();
    assert_eq!(s.name, "hospital");
    assert_eq!((s.garage.stalls, s.garage.reservable_stalls), (300, 60));
    assert_eq!(s.garage.entrances.len(), 2);
    assert_eq!(s.garage.entrances[0].kind, EntranceKind::Reserved);
    assert_eq!(s.flow_control.full_rule, FullRule::Out2in1);
    let per_day: f64 = s.demand.arrivals_per_hour.as_ref().unwrap().iter().sum();
    assert_eq!(
        per_day, 1488.0,
        "4.96 per stall, as the file's comment says"
    );
    assert!(s.check().is_empty());
}

fn errors(text: &str) -> Vec<String> {
    Scenario::from_toml(text)
        .unwrap_err()
        .into_iter()
        .map(|e| e.to_string())
        .collect()
}

#[test]
fn an_unknown_key_names_key_and_line() {
    let text = DEFAULT.replace("max_queue = 20", "max_queue = 20\nmax_queeu = 5");
    let line = text
        .lines()
        .position(|l| l.starts_with("max_queeu"))
        .unwrap()
        + 1;
    let e = errors(&text);
    assert_eq!(e.len(), 1);
    assert!(
        e[0].contains(&format!("line {line}")) && e[0].contains("max_queeu"),
        "{e:?}"
    );
}

#[test]
fn a_wrong_type_names_the_line() {
    let text = DEFAULT.replace("stalls = 300", "stalls = \"many\"");
    let line = text
        .lines()
        .position(|l| l.starts_with("stalls ="))
        .unwrap()
        + 1;
    let e = errors(&text);
    assert!(e[0].contains(&format!("line {line}")), "{e:?}");
}

#[test]
fn bad_values_name_key_and_line() {
    let text = DEFAULT
        .replace("reservable_stalls = 60", "reservable_stalls = 400")
        .replace("sd = 3.0", "sd = -3.0");
    let e = errors(&text);
    let res_line = text
        .lines()
        .position(|l| l.starts_with("reservable_stalls"))
        .unwrap()
        + 1;
    assert!(
        e.iter()
            .any(|m| m.contains(&format!("line {res_line}, `garage.reservable_stalls`"))),
        "{e:?}"
    );
    let sd_line = text.lines().position(|l| l.contains("sd = -3.0")).unwrap() + 1;
    assert!(
        e.iter()
            .any(|m| m.contains(&format!("line {sd_line}, `garage.entrances[1].service_s`"))),
        "{e:?}"
    );
}

#[test]
fn lines_of_nested_keys() {
    let on = DEFAULT
        .lines()
        .position(|l| l.starts_with("priority ="))
        .unwrap()
        + 1;
    assert_eq!(line_of_key(DEFAULT, "flow_control.priority.on"), Some(on));
    let start = DEFAULT
        .lines()
        .position(|l| l.starts_with("outages"))
        .unwrap()
        + 1;
    assert_eq!(
        line_of_key(DEFAULT, "network.outages[0].start"),
        Some(start)
    );
}

#[test]
fn overrides_apply_and_are_checked() {
    let s = Scenario::from_toml_with_overrides(
        DEFAULT,
        &[
            "garage.stalls=200".into(),
            "flow_control.full_rule=out3in1".into(),
        ],
    )
    .unwrap();
    assert_eq!(s.garage.stalls, 200);
    assert_eq!(s.flow_control.full_rule, FullRule::Out3in1);
    let e = Scenario::from_toml_with_overrides(DEFAULT, &["garage.stals=200".into()]).unwrap_err();
    assert!(e[0].to_string().contains("stals"), "{e:?}");
    let e = Scenario::from_toml_with_overrides(DEFAULT, &["name.x=1".into()]).unwrap_err();
    assert!(e[0].to_string().contains("not a table"), "{e:?}");
    assert!(Scenario::from_toml_with_overrides(DEFAULT, &["nonsense".into()]).is_err());
}

#[test]
fn every_bundled_scenario_reads() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            let text = std::fs::read_to_string(&p).unwrap();
            Scenario::from_toml(&text).unwrap_or_else(|e| panic!("{}: {e:?}", p.display()));
            n += 1;
        }
    }
    assert!(n >= 1);
}

/// `validate` reports every problem in one pass, each with its key and
/// line, and `--set` problems name the key and the override.
#[test]
fn every_problem_in_one_pass() {
    let text = DEFAULT
        .replace("stalls = 300", "stalls = \"many\"")
        .replace("no_show = 0.05", "no_show = \"x\"")
        .replace("max_queue = 20", "max_queue = 20\nmax_queeu = 5")
        .replace("sd = 3.0 }", "sd = -3.0 }");
    let line = |needle: &str| text.lines().position(|l| l.starts_with(needle)).unwrap() + 1;
    let e = errors(&text);
    for (key, l) in [
        ("garage.stalls", line("stalls =")),
        ("demand.no_show", line("no_show =")),
        ("flow_control.max_queeu", line("max_queeu")),
    ] {
        assert!(
            e.iter().any(|m| m.contains(&format!("line {l}, `{key}`"))),
            "{key} at line {l}: {e:?}"
        );
    }
    assert!(
        e.iter()
            .any(|m| m.contains("`garage.entrances[1].service_s`")),
        "{e:?}"
    );
    // The stand-in for the bad stall count raises nothing of its own.
    assert!(!e.iter().any(|m| m.contains("reservable_stalls")), "{e:?}");
    assert_eq!(e.len(), 4, "{e:?}");
    // Missing keys are named too.
    let e = errors(&DEFAULT.replace("reservable_stalls = 60", ""));
    assert!(
        e[0].contains("`garage.reservable_stalls`") && e[0].contains("missing"),
        "{e:?}"
    );
}

#[test]
fn overrides_name_their_key_and_nonsense_is_refused() {
    let e: Vec<String> = Scenario::from_toml_with_overrides(
        DEFAULT,
        &[
            "garage.stallz=3".to_string(),
            "demand.cancel=2".to_string(),
            "network.outages=[{start=\"9 10:00\", minutes=5}]".to_string(),
        ],
    )
    .unwrap_err()
    .into_iter()
    .map(|e| e.to_string())
    .collect();
    assert!(
        e.iter()
            .any(|m| m.contains("`garage.stallz`") && m.contains("--set garage.stallz=3")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|m| m.contains("`demand.cancel`") && m.contains("got 2")),
        "{e:?}"
    );
    assert!(
        !e.iter().any(|m| m.contains("network.outages")),
        "a warning, not an error: {e:?}"
    );
    let huge = Scenario::from_toml_with_overrides(DEFAULT, &["garage.stalls=1000000000".into()]);
    assert!(
        huge.unwrap_err()[0]
            .to_string()
            .contains("more than 100000")
    );
    // An outage in the last simulated day is fine, one after it draws a
    // warning that says why.
    let within = Scenario::from_toml_with_overrides(
        DEFAULT,
        &[
            "days=2".into(),
            "network.outages=[{start=\"2 10:00\", minutes=5}]".into(),
        ],
    )
    .unwrap();
    assert!(within.warnings().is_empty());
    let after = Scenario::from_toml_with_overrides(
        DEFAULT,
        &[
            "days=2".into(),
            "network.outages=[{start=\"3 00:00\", minutes=5}]".into(),
        ],
    )
    .unwrap();
    let w = after.warnings();
    assert_eq!(w.len(), 1);
    assert!(
        w[0].0 == "network.outages[0].start" && w[0].1.contains("day 3"),
        "{w:?}"
    );
}
