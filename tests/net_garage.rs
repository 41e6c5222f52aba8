//! `parksim garage connect` as a library: a scenario's garage-day streamed
//! to a real platform on loopback, over TCP and HTTP; a platform killed and
//! restarted mid-day; heartbeats unanswered; a refused login.

mod net_common;

use net_common::*;
use parksim::net::garage::{self, GarageConfig, Target};
use parksim::net::server::Server;
use parksim::net::store::SqliteStore;
use parksim::net::{Timers, client::Url};
use parksim::proto::messages::Request;
use parksim::scenario::Scenario;
use parksim::sim::run::{GarageTape, garage_tape};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// One day of the hospital garage, demand scaled by `scale`.
pub fn small_tape(scale: f64) -> GarageTape {
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

/// Rows the platform should hold for a tape, by interface.
pub fn expected(t: &GarageTape) -> BTreeMap<String, u64> {
    let mut keys: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let all = t.info.iter().chain(t.events.iter().map(|(_, r)| r));
    for r in all {
        let (kind, ks): (&str, Vec<String>) = match r {
            Request::ParkInfo(v) => (
                "3001",
                v.iter().map(|i| i.park_info.park_code.clone()).collect(),
            ),
            Request::EntranceInfo(v) => (
                "3002",
                v.iter().map(|i| i.entrance_exit_info.id.clone()).collect(),
            ),
            Request::ChargingStandard(v) => {
                ("3005", v.iter().map(|i| i.permit_no.clone()).collect())
            }
            Request::SpaceCount(v) => ("5003", v.iter().map(|i| i.park_code.clone()).collect()),
            Request::Entry(v) => ("5004", v.iter().map(|i| i.id.clone()).collect()),
            Request::Exit(v) => ("5005", v.iter().map(|i| i.id.clone()).collect()),
            Request::Correction(v) => ("5006", v.iter().map(|i| i.id.clone()).collect()),
            Request::Charge(v) => ("5008", v.iter().map(|i| i.id.clone()).collect()),
            Request::PrioritySwitch(v) => ("7001", v.iter().map(|i| i.id.clone()).collect()),
            other => panic!("unexpected {:?} on the tape", other.command()),
        };
        keys.entry(kind).or_default().extend(ks);
    }
    keys.into_iter()
        .map(|(k, v)| (k.to_string(), v.len() as u64))
        .collect()
}

fn garage_cfg(target: Target, user: &str, speed: f64) -> GarageConfig {
    let mut c = GarageConfig::new(target, account(user));
    c.speed = speed;
    c.reconnect_delay = Duration::from_millis(200);
    c.deadline = Some(Duration::from_secs(90));
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garage_day_over_tcp_and_http() {
    let tape = small_tape(0.05);
    assert!(
        tape.events.len() > 100,
        "a day of reports: {}",
        tape.events.len()
    );
    let want = expected(&tape);
    assert!(
        want["5004"] > 10 && want["5005"] > 10 && want["5008"] > 10,
        "{want:?}"
    );
    let dir = temp_dir("garage-day");
    let srv = start(config(&["garage-1", "garage-2"]), &dir.join("p.db")).await;
    // A day in about 3 s of wall time, on both transports at once.
    let tcp = garage::run(
        garage_cfg(
            Target::Tcp(srv.tcp_addr.unwrap().to_string()),
            "garage-1",
            30_000.0,
        ),
        tape.clone(),
    );
    let url = Url::parse(&format!("http://{}/api", srv.http_addr.unwrap())).unwrap();
    let http = garage::run(
        garage_cfg(Target::Http(url), "garage-2", 30_000.0),
        tape.clone(),
    );
    let (a, b) = tokio::join!(tcp, http);
    let (a, b) = (a.unwrap(), b.unwrap());
    for r in [&a, &b] {
        assert!(r.complete);
        assert_eq!(r.acked, r.records, "{r:?}");
        assert_eq!(r.refused, 0);
    }
    let st = srv.status().unwrap();
    assert_eq!(st.records["garage-1"], want);
    assert_eq!(st.records["garage-2"], want);
    assert_eq!(st.duplicates, 0);
    assert!(st.space["garage-1"].contains_key("44030400100101000010"));
    // Nothing refused: the closing 1003 carries its token too.
    assert_eq!(
        st.rejects_by_code.get(&3002),
        None,
        "{:?}",
        st.rejects_by_code
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_killed_and_restarted_mid_day() {
    let tape = small_tape(0.1);
    let want = expected(&tape);
    let dir = temp_dir("garage-restart");
    let db = dir.join("p.db");
    let mut cfg = config(&["garage-1"]);
    cfg.http = None;
    let srv = start(cfg.clone(), &db).await;
    let addr = srv.tcp_addr.unwrap();
    // A day in about 8 s.
    let run = tokio::spawn(garage::run(
        garage_cfg(Target::Tcp(addr.to_string()), "garage-1", 11_000.0),
        tape.clone(),
    ));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let st = srv.status().unwrap();
    let before = st.records["garage-1"].get("5004").copied().unwrap_or(0);
    assert!(
        before > 0,
        "some entries were acknowledged before the kill: {:?}",
        st.records
    );
    drop(srv);
    tokio::time::sleep(Duration::from_millis(700)).await;
    // Same address, same database.
    cfg.tcp = Some(addr);
    let mut srv = None;
    for _ in 0..50 {
        match Server::start(cfg.clone(), Box::new(SqliteStore::open(&db).unwrap())).await {
            Ok(s) => {
                srv = Some(s);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let srv = srv.expect("rebound the address");
    assert!(srv.status().unwrap().records["garage-1"]["5004"] >= before);
    let r = run.await.unwrap().unwrap();
    assert!(r.complete, "{r:?}");
    assert_eq!(r.acked, r.records);
    assert!(r.connections >= 2);
    let st = srv.status().unwrap();
    assert_eq!(st.records["garage-1"], want, "every record once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_heartbeats_drop_and_reconnect() {
    use parksim::proto::{envelope, frame::Direction};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // A platform that answers the login and nothing else.
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u32>();
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                return;
            };
            n += 1;
            let _ = tx.send(n);
            tokio::spawn(async move {
                let mut dec = parksim::proto::codec::FrameDecoder::new();
                let mut buf = [0u8; 4096];
                loop {
                    let Ok(k) = s.read(&mut buf).await else {
                        return;
                    };
                    if k == 0 {
                        return;
                    }
                    dec.feed(&buf[..k]);
                    while let Ok(Some(f)) = dec.decode() {
                        if f.command == 1004 {
                            let rep = parksim::proto::messages::Reply::LoginTcp(vec![
                                parksim::proto::messages::CodeReply {
                                    code: 0,
                                    message: None,
                                },
                            ]);
                            let out = envelope::reply_frame(
                                &rep,
                                parksim::proto::ResultCode::Ok,
                                f.packet_no,
                                0,
                            );
                            let _ = s.write_all(&out).await;
                            let _ = f.direction == Direction::Request;
                        }
                    }
                }
            });
        }
    });
    let tape = small_tape(0.05);
    let mut cfg = garage_cfg(Target::Tcp(addr.to_string()), "garage-1", 1.0);
    cfg.timers = Timers {
        idle: Duration::from_secs(9),
        heartbeat: Duration::from_millis(300),
        heartbeat_retries: 2,
    };
    cfg.deadline = Some(Duration::from_secs(4));
    let t = std::time::Instant::now();
    let run = tokio::spawn(garage::run(cfg, tape));
    // First connection, then a second after 300 ms + 2 × 300 ms unanswered.
    assert_eq!(
        tokio::time::timeout(WAIT, rx.recv()).await.unwrap(),
        Some(1)
    );
    assert_eq!(
        tokio::time::timeout(WAIT, rx.recv()).await.unwrap(),
        Some(2)
    );
    let gap = t.elapsed();
    assert!(gap >= Duration::from_millis(800), "dropped after {gap:?}");
    let r = run.await.unwrap().unwrap();
    assert!(!r.complete, "nothing was acknowledged");
    assert!(r.connections >= 2);
    assert!(r.heartbeats >= 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_login_is_an_error_not_a_loop() {
    let dir = temp_dir("garage-badlogin");
    let srv = start(config(&["garage-1"]), &dir.join("p.db")).await;
    let mut acct = account("garage-1");
    acct.password = "wrong".into();
    let mut cfg = GarageConfig::new(Target::Tcp(srv.tcp_addr.unwrap().to_string()), acct);
    cfg.deadline = Some(Duration::from_secs(20));
    let e = garage::run(cfg, small_tape(0.05)).await.unwrap_err();
    assert!(e.0.contains("3001"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downlinks_are_answered_by_the_booking_engine() {
    use parksim::proto::messages::{BookConfirmRequest, BookRequest, ParkCarInfo};
    use parksim::proto::time::DateTime;
    let dir = temp_dir("garage-downlink");
    let srv = start(config(&["garage-1"]), &dir.join("p.db")).await;
    // Real time: the garage's clock is 2026-11-02 00:00:00 plus wall time.
    let run = tokio::spawn(garage::run(
        garage_cfg(
            Target::Tcp(srv.tcp_addr.unwrap().to_string()),
            "garage-1",
            1.0,
        ),
        small_tape(0.05),
    ));
    let t = std::time::Instant::now();
    while srv
        .status()
        .unwrap()
        .garages
        .iter()
        .all(|g| g.user_id.is_none())
    {
        assert!(t.elapsed() < WAIT, "the garage logged in");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let book = |code: &str| {
        Request::Book(vec![BookRequest {
            book_code: code.into(),
            book_time: DateTime::parse("2026-11-02 08:00:00").unwrap(),
            car_info: ParkCarInfo {
                plate_no: "粤B00001".into(),
                ..Default::default()
            },
            obligat_time: 30,
            operate_type: 1,
            over_time: DateTime::parse("2026-11-02 09:00:00").unwrap(),
            park_code: "44030400100101000010".into(),
        }])
    };
    let r = srv
        .downlink("garage-1", book("NET1"), WAIT)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r["code"], 0, "{r}");
    assert_eq!(r["bookCode"], "NET1");
    assert_eq!(r["restReservedStalls"], 59, "60 reservable, one held: {r}");
    // The same bookCode again: 1201 (table 44).
    let r = srv
        .downlink("garage-1", book("NET1"), WAIT)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r["code"], 1201, "{r}");
    // Cancelled (6002, confirmStatus 0), then cancelled again: 1401.
    let cancel = || {
        Request::BookConfirm(vec![BookConfirmRequest {
            book_code: "NET1".into(),
            confirm_status: 0,
            park_code: "44030400100101000010".into(),
        }])
    };
    let r = srv
        .downlink("garage-1", cancel(), WAIT)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r["code"], 0, "{r}");
    let r = srv
        .downlink("garage-1", cancel(), WAIT)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r["code"], 1401, "{r}");
    let st = srv.status().unwrap();
    assert_eq!(st.records["garage-1"]["6001r"], 1);
    assert_eq!(st.records["garage-1"]["6002r"], 1);
    run.abort();
}
