//! Load on loopback: many garages connected at once, each streaming a
//! garage-day at accelerated speed over TCP to one in-process platform;
//! every record accounted for. Prints records/s and reply latency.
//!
//! `load_100_garages` is the bounded CI variant; `load_large` (ignored)
//! gives the figures in docs/PERFORMANCE.md:
//! `cargo test --release --test net_load -- --ignored --nocapture`.

mod net_common;

use net_common::*;
use parksim::net::garage::{self, GarageConfig, Target, percentile};
use parksim::proto::messages::Request;
use parksim::scenario::Scenario;
use parksim::sim::run::{GarageTape, garage_tape};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

fn tape(scale: f64) -> GarageTape {
    let mut s = Scenario::from_toml(parksim::scenario::DEFAULT).unwrap();
    s.days = 1;
    s.warmup_days = 0;
    if let Some(p) = &mut s.demand.arrivals_per_hour {
        for x in p.iter_mut() {
            *x *= scale;
        }
    }
    garage_tape(&s).unwrap()
}

/// Distinct record ids of a tape by interface (rows a platform keeps).
fn rows(t: &GarageTape) -> u64 {
    let mut keys: BTreeMap<u16, BTreeSet<String>> = BTreeMap::new();
    for r in t.info.iter().chain(t.events.iter().map(|(_, r)| r)) {
        let ks: Vec<String> = match r {
            Request::ParkInfo(v) => v.iter().map(|i| i.park_info.park_code.clone()).collect(),
            Request::EntranceInfo(v) => v.iter().map(|i| i.entrance_exit_info.id.clone()).collect(),
            Request::ChargingStandard(v) => v.iter().map(|i| i.permit_no.clone()).collect(),
            Request::SpaceCount(v) => v.iter().map(|i| i.park_code.clone()).collect(),
            Request::Entry(v) | Request::Exit(v) | Request::Correction(v) => {
                v.iter().map(|i| i.id.clone()).collect()
            }
            Request::Charge(v) => v.iter().map(|i| i.id.clone()).collect(),
            Request::PrioritySwitch(v) => v.iter().map(|i| i.id.clone()).collect(),
            _ => Vec::new(),
        };
        keys.entry(r.command().code()).or_default().extend(ks);
    }
    keys.values().map(|s| s.len() as u64).sum()
}

async fn load(garages: usize, scale: f64, day_wall_s: f64, limit: Duration) {
    let t = tape(scale);
    let frames_per_garage = (t.info.len() + t.events.len()) as u64;
    let rows_per_garage = rows(&t);
    let users: Vec<String> = (0..garages).map(|i| format!("garage-{i:03}")).collect();
    let names: Vec<&str> = users.iter().map(String::as_str).collect();
    let dir = temp_dir(&format!("load-{garages}"));
    let mut cfg = config(&names);
    cfg.http = Some("127.0.0.1:0".parse().unwrap());
    let srv = start(cfg, &dir.join("p.db")).await;
    let addr = srv.tcp_addr.unwrap().to_string();
    let speed = 86_400.0 / day_wall_s;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for u in &users {
        let mut c = GarageConfig::new(Target::Tcp(addr.clone()), account(u));
        c.speed = speed;
        c.deadline = Some(limit);
        c.reconnect_delay = Duration::from_millis(200);
        c.ack_timeout = Duration::from_secs(60);
        tasks.push(tokio::spawn(garage::run(c, t.clone())));
    }
    // All connected at once (checked while the day runs).
    let mut peak = 0;
    while start.elapsed() < Duration::from_secs_f64(day_wall_s / 2.0) {
        peak = peak.max(srv.status().unwrap().garages.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut lat = Vec::new();
    let mut acked = 0;
    let mut resent = 0;
    for tk in tasks {
        let r = tk.await.unwrap().unwrap();
        assert!(
            r.complete,
            "a garage did not finish in {limit:?}: {} of {}",
            r.acked, r.records
        );
        assert_eq!(r.acked, r.records);
        acked += r.acked;
        resent += r.resent;
        lat.extend(r.latencies_us);
    }
    let wall = start.elapsed();
    let st = srv.status().unwrap();
    for u in &users {
        let held: u64 = st.records[u].values().sum();
        assert_eq!(held, rows_per_garage, "{u}: every record once");
    }
    assert_eq!(acked, frames_per_garage * garages as u64);
    assert!(peak >= garages, "peak {peak} connected of {garages}");
    eprintln!(
        "LOAD garages={garages} peak_connected={peak} frames={acked} rows={} resent={resent} \
         wall={:.1}s day_wall={day_wall_s}s records/s={:.0} p50={:.2}ms p99={:.2}ms max={:.2}ms",
        rows_per_garage * garages as u64,
        wall.as_secs_f64(),
        acked as f64 / wall.as_secs_f64(),
        percentile(&lat, 50.0) as f64 / 1000.0,
        percentile(&lat, 99.0) as f64 / 1000.0,
        percentile(&lat, 100.0) as f64 / 1000.0,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_100_garages() {
    // 100 garages, a tenth of the hospital's demand, a day in 15 s.
    load(100, 0.1, 15.0, Duration::from_secs(90)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long: the figures of docs/PERFORMANCE.md"]
async fn load_large() {
    // 200 garages at the hospital's full demand, a day in 60 s.
    load(200, 1.0, 60.0, Duration::from_secs(600)).await;
}
