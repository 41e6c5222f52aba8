//! Calibration from observed occupancy: the Birmingham car-park file
//! (read from the shared data directory, never copied into the repo), a
//! platform database written by a real platform on loopback, and every
//! kind of bad input as an error, never a panic.

use parksim::calibrate::observed::{self, Profile, ProfileKind};
use parksim::calibrate::{CalibrateError, Options, StaySource, calibrate, evaluate, with_capacity};
use parksim::net::garage::{self, GarageConfig, Target};
use parksim::net::server::{Server, ServerConfig};
use parksim::net::store::SqliteStore;
use parksim::net::{AccountEntry, Timers};
use parksim::proto::time::days_from_civil;
use parksim::scenario::{DEFAULT, Scenario};
use parksim::sim::run::garage_tape;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The Birmingham file: `PARKSIM_BIRMINGHAM`, else `../shared/data/`
/// beside the repository.
fn birmingham() -> Option<PathBuf> {
    let p = std::env::var_os("PARKSIM_BIRMINGHAM")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/birmingham-parking.csv")
        });
    if p.is_file() {
        Some(p)
    } else {
        eprintln!(
            "SKIPPED: no Birmingham file at {} (set PARKSIM_BIRMINGHAM)",
            p.display()
        );
        None
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("parksim-cal-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn birmingham_cleaning_counts_match_the_known_faults() {
    let Some(path) = birmingham() else { return };
    let text = std::fs::read_to_string(&path).unwrap();
    let codes: std::collections::BTreeSet<&str> =
        text.lines().filter_map(|l| l.split(',').next()).collect();
    assert_eq!(codes.len(), 30);
    let (mut dup, mut clamped, mut neg, mut rows) = (0, 0, 0, 0);
    for c in &codes {
        let o = observed::parse_birmingham(&text, "birmingham", Some(c), None).unwrap();
        dup += o.cleaning.duplicates;
        clamped += o.cleaning.clamped;
        neg += o.cleaning.negative;
        rows += o.cleaning.rows;
        assert_eq!(o.cleaning.rows + o.cleaning.other, 35_717);
        assert!(
            o.samples
                .iter()
                .all(|s| s.used >= 0.0 && s.used <= o.capacity as f64)
        );
    }
    // shared/data/README.md: 216 exact duplicates, 12 negative values,
    // 373 rows above capacity (of which a few are also duplicates).
    assert_eq!(rows, 35_717);
    assert_eq!(dup, 216);
    assert_eq!(neg, 12);
    assert!((360..=373).contains(&clamped), "{clamped}");
}

/// Fit on the first six and a half weeks of one car park, check on the
/// last four: the calibrated scenario beats the uncalibrated base by far
/// and stays within a stated bound on days it never saw.
#[test]
fn birmingham_fit_holds_on_held_out_days() {
    let Some(path) = birmingham() else { return };
    let obs = observed::read_birmingham(&path, Some("BHMBCCMKT01"), None).unwrap();
    assert_eq!(obs.capacity, 577);
    let cut = days_from_civil(2016, 11, 20);
    let (fit_obs, held) = obs.split_at_day(cut);
    assert!(fit_obs.days().len() >= 40 && held.days().len() >= 25);
    let opts = Options::default();
    let t0 = std::time::Instant::now();
    let cal = calibrate(DEFAULT, &fit_obs, &opts).unwrap();
    assert_eq!(cal.kind, ProfileKind::Weekday);
    assert_eq!(cal.stay_source, StaySource::Grid);
    assert_eq!(cal.scenario.garage.stalls, 577);
    assert!(cal.scenario.demand.arrivals_per_hour_by_weekday.is_some());
    assert!(cal.scenario.demand.arrivals_per_hour.is_none());
    // Other keys stay as in the base.
    let base = Scenario::from_toml(DEFAULT).unwrap();
    assert_eq!(cal.scenario.fees, base.fees);
    assert_eq!(cal.scenario.flow_control, base.flow_control);
    assert_eq!(
        cal.scenario.demand.reserved_share,
        base.demand.reserved_share
    );

    let held_p = Profile::of(&held.samples, 577, cal.kind);
    let fits = evaluate(&cal.scenario, &[&cal.target, &held_p], &opts).unwrap();
    let base_fits = evaluate(&with_capacity(&base, 577), &[&cal.target, &held_p], &opts).unwrap();
    let (fit, hold, base_hold) = (fits[0].mean, fits[1].mean, base_fits[1].mean);
    eprintln!(
        "BHMBCCMKT01: fitted days RMSE {fit:.4} ± {:.4}, held out {hold:.4} ± {:.4}, base held out {base_hold:.4}; {:?}",
        fits[0].ci,
        fits[1].ci,
        t0.elapsed()
    );
    assert!(fit < 0.03, "fitted days RMSE {fit}");
    assert!(hold < 0.10, "held-out RMSE {hold}");
    assert!(
        hold < base_hold / 3.0,
        "held out {hold} vs base {base_hold}"
    );
    // Deterministic: the same calibration again gives the same file.
    let again = calibrate(DEFAULT, &fit_obs, &opts).unwrap();
    assert_eq!(again.toml, cal.toml);
}

// ---- a platform database ---------------------------------------------------

const PARK: &str = "44030400100101000010";

/// A garage whose truth we know: 150 stalls, walk-ins only, stays
/// lognormal 120 ± 60 min, three days.
fn truth() -> Scenario {
    let mut s = Scenario::from_toml(DEFAULT).unwrap();
    s.name = "truth".into();
    s.days = 3;
    s.warmup_days = 0;
    s.garage.stalls = 150;
    s.garage.reservable_stalls = 30;
    s.demand.reserved_share = 0.0;
    s.demand.stay_min = parksim::sim::dist::DistSpec::Lognormal {
        mean: 120.0,
        sd: 60.0,
    };
    if let Some(p) = &mut s.demand.arrivals_per_hour {
        for x in p.iter_mut() {
            *x *= 0.35;
        }
    }
    s
}

fn account() -> AccountEntry {
    AccountEntry {
        user_id: "garage-1".into(),
        password: "secret".into(),
        des_key: "12345678".into(),
        des_iv: None,
        park_codes: vec![PARK.into()],
        sign: None,
    }
}

/// Streams the truth garage's reports to a platform on loopback (what
/// `parksim platform serve` and `parksim garage connect` do) and returns
/// the database it wrote.
fn platform_db(dir: &Path) -> PathBuf {
    let db = dir.join("platform.db");
    let tape = garage_tape(&truth()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let cfg = ServerConfig {
            tcp: Some("127.0.0.1:0".parse().unwrap()),
            accounts: vec![account()],
            timers: Timers::default(),
            ..ServerConfig::default()
        };
        let srv = Server::start(cfg, Box::new(SqliteStore::open(&db).unwrap()))
            .await
            .unwrap();
        let mut g = GarageConfig::new(Target::Tcp(srv.tcp_addr.unwrap().to_string()), account());
        g.speed = 400_000.0;
        g.deadline = Some(Duration::from_secs(120));
        let r = garage::run(g, tape).await.unwrap();
        assert!(r.complete, "{r:?}");
        assert_eq!(r.acked, r.records);
        let st = srv.status().unwrap();
        assert!(st.records["garage-1"]["5004"] > 1000, "{:?}", st.records);
    });
    db
}

#[test]
fn calibrates_from_a_platform_database() {
    let dir = temp_dir("db");
    let t0 = std::time::Instant::now();
    let db = platform_db(&dir);
    eprintln!("platform database written in {:?}", t0.elapsed());

    let obs = observed::read_platform_db(&db, PARK, None).unwrap();
    assert_eq!(
        obs.capacity, 150,
        "used + unused + reserved of the 5003 count"
    );
    assert_eq!(obs.days().len(), 3);
    assert!(obs.samples.len() >= 140);
    let measured = parksim::calibrate::fit::Stay::measured(&obs.stays_min).unwrap();
    assert!((measured.mean - 120.0).abs() < 8.0, "{measured:?}");

    let opts = Options {
        replications: 4,
        sim_days: 7,
        ..Options::default()
    };
    let cal = calibrate(DEFAULT, &obs, &opts).unwrap();
    assert_eq!(
        cal.kind,
        ProfileKind::Daily,
        "three days: no weekday profile"
    );
    assert_eq!(cal.stay_source, StaySource::Measured);
    let base = with_capacity(&Scenario::from_toml(DEFAULT).unwrap(), 150);
    let base_fit = evaluate(&base, &[&cal.target], &opts).unwrap().remove(0);
    eprintln!(
        "platform DB: RMSE {:.4} ± {:.4}, base {:.4}; {:?}",
        cal.fit.mean,
        cal.fit.ci,
        base_fit.mean,
        t0.elapsed()
    );
    assert!(cal.fit.mean < 0.05, "{}", cal.fit.mean);
    assert!(cal.fit.mean < base_fit.mean / 2.0);
    // About 0.35 × 1,488 vehicles a day came.
    let daily: f64 = cal
        .scenario
        .demand
        .arrivals_per_hour
        .as_ref()
        .unwrap()
        .iter()
        .sum();
    assert!((450.0..700.0).contains(&daily), "{daily}");

    // The command line on the same database.
    let out = dir.join("garage.toml");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_parksim"))
        .args(["calibrate", "--db"])
        .arg(&db)
        .args([
            "--park-code",
            PARK,
            "--replications",
            "2",
            "--sim-days",
            "3",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout.contains("RMSE of occupancy share by time of day"),
        "{stdout}"
    );
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.starts_with("# Calibrated by `parksim calibrate --db"));
    let scn = Scenario::from_toml(&written).unwrap();
    assert_eq!(scn.garage.stalls, 150);
    for f in ["garage.fit.csv", "garage.fit.png", "garage.fit.svg"] {
        assert!(std::fs::metadata(dir.join(f)).unwrap().len() > 100, "{f}");
    }
}

// ---- bad input ---------------------------------------------------------------

fn parse(text: &str, garage: Option<&str>) -> Result<observed::Observed, CalibrateError> {
    observed::parse_birmingham(text, "t.csv", garage, None)
}

#[test]
fn bad_csv_input_is_an_error_with_its_line() {
    let good = "A,100,10,2016-10-04 08:00:00\nA,100,20,2016-10-04 08:30:00\n";
    assert_eq!(parse(good, None).unwrap().samples.len(), 2);
    let cases: &[(&str, Option<&str>, &str)] = &[
        ("", None, "nothing to fit"),
        ("\n\n", None, "nothing to fit"),
        ("A,100,10\n", None, "line 1: expected 4 fields"),
        (
            "A,100,10,2016-10-04 08:00:00\nA,x,10,2016-10-04 08:30:00\n",
            None,
            "line 2: capacity `x`",
        ),
        (
            "A,100,1.5,2016-10-04 08:00:00\n",
            None,
            "line 1: occupancy `1.5`",
        ),
        ("A,100,10,2016-13-04 08:00:00\n", None, "line 1:"),
        ("A,100,10,yesterday\n", None, "line 1:"),
        (
            ",100,10,2016-10-04 08:00:00\n",
            None,
            "line 1: empty SystemCodeNumber",
        ),
        (
            "A,100,-1,2016-10-04 08:00:00\n",
            None,
            "no usable rows for A",
        ),
        ("A,0,1,2016-10-04 08:00:00\n", None, "capacity 0"),
        (good, Some("B"), "no garage `B` in the data; it has: A"),
        (
            "A,1,0,2016-10-04 08:00:00\nB,1,0,2016-10-04 08:00:00\n",
            None,
            "choose one with --garage: A, B",
        ),
    ];
    for (text, garage, want) in cases {
        let e = parse(text, *garage).unwrap_err().to_string();
        assert!(e.contains(want), "{text:?}: {e}");
    }
    // Bad rows of another car park are errors too: the file is broken.
    assert!(parse("A,100,10,2016-10-04 08:00:00\nB,1\n", Some("A")).is_err());
}

#[test]
fn bad_databases_are_errors() {
    let dir = temp_dir("baddb");
    let e = |p: &Path, code: &str| {
        observed::read_platform_db(p, code, None)
            .unwrap_err()
            .to_string()
    };
    let missing = dir.join("missing.db");
    assert!(e(&missing, PARK).contains("no such database file"));
    assert!(!missing.exists(), "reading never creates a database");
    let junk = dir.join("junk.db");
    std::fs::write(
        &junk,
        b"this is not SQLite, not at all; it is long enough to look like a header",
    )
    .unwrap();
    assert!(
        e(&junk, PARK).contains("not a readable platform database"),
        "{}",
        e(&junk, PARK)
    );
    let other = dir.join("other.db");
    rusqlite_like_empty(&other);
    assert!(e(&other, PARK).contains("no `records` table"));

    // A store with one space count only: no series.
    let one = dir.join("one.db");
    {
        use parksim::net::store::{Policy, Row, Store};
        let mut st = SqliteStore::open(&one).unwrap();
        let body = format!(
            r#"{{"parkCode":"{PARK}","reservedStalls":0,"unusedStalls":90,"usedStalls":10}}"#
        );
        st.persist(
            "garage-1",
            &[Row {
                kind: "5003",
                key: PARK.into(),
                ts: 1_793_600_000,
                body,
                policy: Policy::Latest,
            }],
            0,
        )
        .unwrap();
    }
    assert!(e(&one, "nope").contains(&format!("no garage `nope` in the data; it has: {PARK}")));
    assert!(
        e(&one, PARK).contains("a calibration needs a series"),
        "{}",
        e(&one, PARK)
    );
}

/// An SQLite database without the platform's table.
fn rusqlite_like_empty(p: &Path) {
    let c = rusqlite::Connection::open(p).unwrap();
    c.execute_batch("CREATE TABLE t (x INTEGER);").unwrap();
}

#[test]
fn the_command_line_refuses_bad_input_with_a_message() {
    let dir = temp_dir("cli");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "A,100,10,2016-10-04 08:00:00\nA,100\n").unwrap();
    let run = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_parksim"))
            .arg("calibrate")
            .args(args)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    };
    let out = dir.join("s.toml");
    let out = out.to_str().unwrap();
    let (code, err) = run(&[bad.to_str().unwrap(), "--out", out]);
    assert_eq!(code, Some(1));
    assert!(err.contains("line 2: expected 4 fields"), "{err}");
    let (code, err) = run(&[
        "--db",
        dir.join("none.db").to_str().unwrap(),
        "--park-code",
        "X",
        "--out",
        out,
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("no such database file"), "{err}");
    let (code, err) = run(&["--out", out]);
    assert_eq!(code, Some(1));
    assert!(err.contains("give an observed CSV file or --db"), "{err}");
    let (code, err) = run(&[bad.to_str().unwrap(), "--out", "/no/such/dir/s.toml"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("--out: no directory"), "{err}");
    assert!(!err.contains("panicked"));
}
