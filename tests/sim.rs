//! The simulator against queueing theory and its own invariants.

use parksim::scenario::{DEFAULT, Scenario};
use parksim::sim::run::{RunOptions, Summary, run};

fn scenario(file: &str, sets: &[&str]) -> Scenario {
    let text = if file == "hospital" {
        DEFAULT.to_string()
    } else {
        std::fs::read_to_string(format!(
            "{}/scenarios/{file}.toml",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    Scenario::from_toml_with_overrides(&text, &sets).unwrap()
}

fn summary(s: &Scenario) -> Summary {
    run(s, RunOptions::default()).unwrap().summary
}

/// Erlang-B by the usual recursion: B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)).
fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (k as f64 + a * b))
}

/// Mean and half-width of the 95 % confidence interval (Student t).
fn mean_ci(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let sd = (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    // t(0.975, 19) = 2.093
    (m, 2.093 * sd / n.sqrt())
}

#[test]
fn erlang_b_recursion_matches_known_values() {
    assert!((erlang_b(1, 1.0) - 0.5).abs() < 1e-12);
    // Reference values from the closed form a^c/c! / sum a^k/k!.
    assert!((erlang_b(20, 20.0) - 0.158_892).abs() < 1e-5);
    assert!((erlang_b(10, 5.0) - 0.018_385).abs() < 1e-5);
}

#[test]
fn the_hospital_day_reconciles_and_conserves() {
    let s = summary(&scenario("hospital", &["days=2"]));
    assert!(s.conservation_ok);
    assert!(s.reconciled, "{:?}", s.reconcile_problems);
    assert_eq!(s.frames_rejected, 0);
    assert_eq!(
        s.frames_sent, s.frames_verified,
        "every frame sent was verified"
    );
    assert!(s.vehicles_arrived > 2500, "{}", s.vehicles_arrived);
    assert_eq!(s.vehicles_arrived, s.general_arrived + s.reserved_arrived);
    assert!(s.general_entered + s.general_turned_away <= s.general_arrived);
    assert!(s.reserved_fulfilled <= s.reserved_arrived);
    let attempts = (s.reserved_booked + s.reserved_refused) as f64;
    assert!((s.booking_success_rate - s.reserved_booked as f64 / attempts).abs() < 1e-12);
    assert!(
        s.booking_success_rate > 0.0 && s.booking_success_rate < 1.0,
        "{}",
        s.booking_success_rate
    );
    assert!(s.uplink_within_3s_rate > 0.95);
    let shares = s.time_share.unsaturated + s.time_share.saturated + s.time_share.full;
    assert!((shares - 1.0).abs() < 1e-9);
}

#[test]
fn outages_lose_nothing_and_count_nothing_twice() {
    let s = summary(&scenario("outage-heavy", &[]));
    assert!(s.reconciled, "{:?}", s.reconcile_problems);
    assert!(s.conservation_ok);
    assert!(s.uplink_within_3s_rate < 0.99, "outages delay reports");
    // A link that drops for a minute every half hour of a busy day: replies
    // get lost in flight, so the garage resends records the platform
    // already holds; it acknowledges them without counting them twice.
    let outages: Vec<String> = (0..40)
        .map(|i| {
            format!(
                "{{ start = \"1 {:02}:{:02}\", minutes = 1 }}",
                4 + i / 2,
                (i % 2) * 30 + 7
            )
        })
        .collect();
    let flaky = summary(&scenario(
        "outage-heavy",
        &[
            "days=1",
            &format!("network.outages=[{}]", outages.join(",")),
        ],
    ));
    assert!(flaky.reconciled, "{:?}", flaky.reconcile_problems);
    assert!(flaky.conservation_ok);
    assert!(
        flaky.frames_sent > flaky.frames_verified,
        "frames were lost in flight"
    );
    assert!(
        flaky.duplicates_ignored >= 1,
        "resent records were recognised: {}",
        flaky.duplicates_ignored
    );
}

#[test]
fn same_seed_same_bytes_other_seed_other_result() {
    let s = scenario("single-entrance", &["days=2"]);
    let a = serde_json::to_string(&summary(&s)).unwrap();
    let b = serde_json::to_string(&summary(&s)).unwrap();
    assert_eq!(a, b);
    let mut t = s.clone();
    t.seed += 1;
    assert_ne!(a, serde_json::to_string(&summary(&t)).unwrap());
}

#[test]
fn mmcc_blocking_matches_erlang_b() {
    // 20 replications of 5 days: c = 20 stalls, a = 30/h x 40 min = 20 erlangs.
    let base = scenario("mmcc", &["days=5"]);
    let b: Vec<f64> = (0..20)
        .map(|i| {
            let mut s = base.clone();
            s.seed = 1000 + i;
            summary(&s).blocking_rate
        })
        .collect();
    let (m, h) = mean_ci(&b);
    let expected = erlang_b(20, 20.0);
    assert!(
        (m - expected).abs() <= h,
        "blocking {m:.4} ± {h:.4}, Erlang-B {expected:.4}"
    );
}

#[test]
fn little_law_on_the_lot() {
    // L = lambda W: mean vehicles inside = entry rate x mean stay.
    let s = summary(&scenario("mmcc", &["days=20"]));
    let inside = s.mean_occupancy * 20.0;
    let rate_per_min = s.general_entered as f64 / (20.0 * 1440.0);
    let l = rate_per_min * 40.0;
    assert!(
        (inside - l).abs() / l < 0.03,
        "L = {inside:.3}, lambda W = {l:.3}"
    );
}

#[test]
fn md1_gate_wait_matches_pollaczek_khinchine() {
    // One gate, deterministic 8 s service, Poisson arrivals 300/h: rho = 2/3,
    // Wq = lambda D^2 / (2 (1 - rho)) = 8 s. A garage too big to fill.
    let text = r#"
name = "md1"
seed = 5
days = 20
warmup_days = 1
[garage]
stalls = 100000
reservable_stalls = 0
[[garage.entrances]]
name = "G"
kind = "general"
service_s = { dist = "constant", value = 8.0 }
[[garage.exits]]
name = "X"
service_s = { dist = "constant", value = 0.001 }
[flow_control]
max_queue = 1000000
[demand]
arrival_rate = 300
stay_min = { dist = "constant", value = 30 }
[fees]
first_hour = 0
per_hour = 0
daily_cap = 0
[network]
frames = false
"#;
    let s = summary(&Scenario::from_toml(text).unwrap());
    let (lambda, d) = (300.0 / 3600.0, 8.0);
    let rho: f64 = lambda * d;
    let wq = lambda * d * d / (2.0 * (1.0 - rho));
    assert!(
        (s.mean_wait_s - wq).abs() / wq < 0.05,
        "mean wait {:.3} s, P-K {wq:.3} s",
        s.mean_wait_s
    );
    assert_eq!(s.general_turned_away, 0);
}

#[test]
fn a_control_list_keeps_listed_vehicles_out() {
    let all = summary(&scenario(
        "hospital",
        &[
            "days=1",
            "demand.control_list={ share = 1.0, strategy = 1 }",
            "demand.reserved_share=0",
        ],
    ));
    assert_eq!(all.general_entered, 0);
    assert_eq!(all.general_turned_away, all.general_arrived);
    assert!(
        all.conservation_ok && all.reconciled,
        "{:?}",
        all.reconcile_problems
    );
    let free = summary(&scenario(
        "hospital",
        &[
            "days=1",
            "demand.control_list={ share = 1.0, strategy = 5 }",
            "demand.reserved_share=0",
        ],
    ));
    assert_eq!(free.revenue, 0.0, "strategy 5: free entry and exit");
    assert!(free.general_entered > 1000);
}

#[test]
fn frames_off_gives_the_same_garage() {
    // Latencies draw from their own stream, and this scenario's bookings
    // and coupons reach the engine in time either way: the garage's
    // figures are the same with or without the byte path. Booking changes
    // are the exception: when a moved booking takes effect in the garage
    // depends on the downlink latency, so they are compared on a network
    // without latency (below).
    let same = |on: &Summary, off: &Summary| {
        assert_eq!(off.frames_sent, 0);
        assert!(on.frames_sent > 10_000);
        assert_eq!(on.vehicles_arrived, off.vehicles_arrived);
        assert_eq!(on.general_entered, off.general_entered);
        assert_eq!(on.general_turned_away, off.general_turned_away);
        assert_eq!(on.revenue, off.revenue);
        assert_eq!(on.reserved_fulfilled, off.reserved_fulfilled);
        assert_eq!(on.reserved_cancelled, off.reserved_cancelled);
    };
    let sets = ["days=2", "demand.change=0"];
    let on = summary(&scenario("hospital", &sets));
    let off = summary(&scenario(
        "hospital",
        &[&sets[..], &["network.frames=false"]].concat(),
    ));
    same(&on, &off);
    let instant = [
        "days=2",
        "demand.change=0.3",
        "network.outages=[]",
        "network.uplink_ms={dist=\"constant\",value=0}",
        "network.downlink_ms={dist=\"constant\",value=0}",
    ];
    let on = summary(&scenario("hospital", &instant));
    let off = summary(&scenario(
        "hospital",
        &[&instant[..], &["network.frames=false"]].concat(),
    ));
    assert!(on.reserved_changed > 20);
    same(&on, &off);
}

#[test]
fn https_transport_reconciles_too() {
    // Every report as an HTTP request with a bearer token (1001 first,
    // 1002 before the token expires), through the outages.
    let s = summary(&scenario(
        "outage-heavy",
        &["network.transport=\"http\"", "days=2"],
    ));
    assert!(s.reconciled, "{:?}", s.reconcile_problems);
    assert!(s.conservation_ok);
    assert!(s.frames_verified > 10_000);
    let t = summary(&scenario(
        "hospital",
        &["days=1", "network.transport=\"http\""],
    ));
    assert!(t.reconciled && t.frames_rejected == 0, "{t:?}");
}

/// A change (6001 operateType 2) moves the driver: pushed past the end of
/// the run, changed drivers no longer arrive in it; a zero shift changes
/// nothing about who arrives.
#[test]
fn a_booking_change_moves_the_arrival() {
    let base = [
        "days=2",
        "warmup_days=0",
        "demand.cancel=0",
        "demand.no_show=0",
        "demand.change=1",
        "garage.reservable_stalls=150",
    ];
    let with = |shift: &str| {
        let mut sets = base.to_vec();
        sets.push(shift);
        summary(&scenario("hospital", &sets))
    };
    let stay = with("demand.change_shift_min={dist=\"constant\",value=0}");
    let away = with("demand.change_shift_min={dist=\"constant\",value=5000}");
    assert!(stay.reserved_changed > 50, "{}", stay.reserved_changed);
    assert!(away.reserved_changed > 50, "{}", away.reserved_changed);
    // Shift 0: nearly every booked driver still comes.
    assert!(
        stay.reserved_arrived as f64 > 0.8 * stay.reserved_booked as f64,
        "{} of {}",
        stay.reserved_arrived,
        stay.reserved_booked
    );
    // Shift 5000 min: the changed ones now come after the run.
    assert!(
        (away.reserved_arrived as f64) < 0.5 * stay.reserved_arrived as f64,
        "{} vs {}",
        away.reserved_arrived,
        stay.reserved_arrived
    );
    assert!(stay.conservation_ok && away.conservation_ok);
    assert!(stay.reconciled && away.reconciled);
}
