//! The platform over TCP (SZTC frames, 7.1.4.1.3) on loopback: login,
//! heartbeats and the silence timeout, bad input answered or refused while
//! other garages are served, records kept across a restart and a broken
//! connection, downlinks pushed, TLS.

mod net_common;

use net_common::*;
use parksim::net::Timers;
use parksim::net::tls;
use parksim::proto::envelope;
use parksim::proto::frame::Direction;
use parksim::proto::messages::*;
use parksim::proto::time::DateTime;
use parksim::proto::{Command, SignAlgo};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_right_wrong_and_missing() {
    let dir = temp_dir("tcp-login");
    let srv = start(config(&["garage-1"]), &dir.join("p.db")).await;
    let addr = srv.tcp_addr.unwrap();

    // Right password: code 0, and the connection serves.
    let mut ok = Raw::connect(addr).await;
    let d = ok.call(&login("garage-1", "secret"), 1).await;
    assert!(d.accepted());
    assert_eq!(item_code(&d), Some(0));
    let d = ok.call(&Request::Heartbeat(vec![]), 2).await;
    assert_eq!(d.result_code, Some(0));

    // Wrong password: 3001, then the platform closes.
    let mut bad = Raw::connect(addr).await;
    let d = bad.call(&login("garage-1", "wrong"), 1).await;
    assert_eq!(item_code(&d), Some(3001));
    assert!(bad.closed(WAIT).await);

    // Unknown user: 3001 too.
    let mut who = Raw::connect(addr).await;
    let d = who.call(&login("nobody", "secret"), 1).await;
    assert_eq!(item_code(&d), Some(3001));
    assert!(who.closed(WAIT).await);

    // A report before 1004: 3002 and close; nothing recorded.
    let mut early = Raw::connect(addr).await;
    let d = early.call(&entry(&id(1)), 7).await;
    assert_eq!(item_code(&d), Some(3002));
    assert!(early.closed(WAIT).await);

    // The good connection is still served; 1005 answers, then closes.
    let d = ok.call(&entry(&id(2)), 3).await;
    assert!(d.accepted());
    let d = ok.call(&Request::LogoutTcp(vec![]), 4).await;
    assert_eq!(d.result_code, Some(0));
    assert!(ok.closed(WAIT).await);

    let st = srv.status().unwrap();
    assert_eq!(st.records["garage-1"]["5004"], 1);
    assert!(st.rejects_by_code.get(&3001).copied().unwrap_or(0) >= 2);
    assert!(st.rejects_by_code.get(&3002).copied().unwrap_or(0) >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_keeps_and_silence_drops() {
    let dir = temp_dir("tcp-idle");
    let mut cfg = config(&["garage-1"]);
    cfg.timers = Timers {
        idle: Duration::from_millis(1500),
        ..Timers::default()
    };
    let srv = start(cfg, &dir.join("p.db")).await;
    let mut c = Raw::connect(srv.tcp_addr.unwrap()).await;
    c.call(&login("garage-1", "secret"), 1).await;
    // Heartbeats every 500 ms for 3 s (twice the timeout): kept.
    for n in 0..6 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let d = c.call(&Request::Heartbeat(vec![]), 10 + n).await;
        assert_eq!(d.result_code, Some(0));
    }
    assert_eq!(srv.status().unwrap().garages.len(), 1);
    assert_eq!(
        srv.status().unwrap().garages[0].user_id.as_deref(),
        Some("garage-1")
    );
    // Silent: dropped after about 1.5 s.
    let t = std::time::Instant::now();
    assert!(c.closed(WAIT).await);
    assert!(
        t.elapsed() >= Duration::from_millis(1000),
        "{:?}",
        t.elapsed()
    );
    let st = srv.status().unwrap();
    assert_eq!(st.timeouts, 1);
    assert!(st.garages.is_empty());
}

/// A frame whose sign does not match its data.
fn bad_sign_frame(req: &Request, packet: u32) -> Vec<u8> {
    let body = envelope::request_body(&req.data_json(), 1_793_600_000, SignAlgo::Sha1);
    let text = String::from_utf8(body).unwrap();
    let i = text.find("\"sign\":\"").unwrap() + 8;
    let mut b = text.into_bytes();
    b[i] = if b[i] == b'0' { b'1' } else { b'0' };
    envelope::frame_bytes(req.command().code(), packet, Direction::Request, &b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_answered_or_refused_and_others_are_served() {
    let dir = temp_dir("tcp-bad");
    let srv = start(config(&["garage-1", "garage-2"]), &dir.join("p.db")).await;
    let addr = srv.tcp_addr.unwrap();
    let mut bad = Raw::connect(addr).await;
    bad.call(&login("garage-1", "secret"), 1).await;
    let mut good = Raw::connect(addr).await;
    good.call(&login("garage-2", "secret"), 1).await;

    // Bad CRC: no answer (its packetNo cannot be trusted), stream goes on.
    let mut f = frame(&entry(&id(1)), 2);
    let n = f.len();
    f[n - 1] ^= 0xFF;
    bad.send(&f).await;
    let d = bad.call(&Request::Heartbeat(vec![]), 3).await;
    assert_eq!(
        d.result_code,
        Some(0),
        "the heartbeat after a bad CRC is answered"
    );

    // Bad sign: resultCode 3, nothing recorded.
    bad.send(&bad_sign_frame(&entry(&id(2)), 4)).await;
    let r = bad.next(WAIT).await.unwrap();
    assert_eq!(r.packet_no, 4);
    assert_eq!(decode(&r).result_code, Some(3));

    // Unknown command 9999: resultCode 3.
    let body = envelope::request_body(b"[]", 1_793_600_000, SignAlgo::Sha1);
    bad.send(&envelope::frame_bytes(9999, 5, Direction::Request, &body))
        .await;
    let r = bad.next(WAIT).await.unwrap();
    assert_eq!((r.packet_no, r.command), (5, 9999));
    let v: serde_json::Value = serde_json::from_slice(&r.data).unwrap();
    assert_eq!(v["resultCode"], 3);

    // Oversized: a header announcing 11 MiB is refused before any
    // allocation; the stream resynchronizes on the next frame.
    let mut h = Vec::new();
    h.extend_from_slice(b"SZTC\x01\x00");
    h.extend_from_slice(&6u32.to_be_bytes());
    h.extend_from_slice(&(11u32 * 1024 * 1024).to_be_bytes());
    h.push(0);
    h.extend_from_slice(&1006u16.to_be_bytes());
    h.extend_from_slice(&[0u8; 64]);
    bad.send(&h).await;
    let d = bad.call(&entry(&id(3)), 7).await;
    assert!(d.accepted(), "served after an oversized header");

    // Meanwhile the other garage is served.
    for n in 0..5u32 {
        let d = good.call(&entry(&id(100 + n as u64)), 10 + n).await;
        assert!(d.accepted());
    }

    let st = srv.status().unwrap();
    assert_eq!(
        st.records["garage-1"]["5004"], 1,
        "only the good entry of garage-1"
    );
    assert_eq!(st.records["garage-2"]["5004"], 5);
    assert!(
        st.stream_errors >= 2,
        "bad CRC and oversized: {}",
        st.stream_errors
    );
    assert!(st.rejects_by_code.get(&3).copied().unwrap_or(0) >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_every_acknowledged_record() {
    let dir = temp_dir("tcp-restart");
    let db = dir.join("p.db");
    let srv = start(config(&["garage-1"]), &db).await;
    let mut c = Raw::connect(srv.tcp_addr.unwrap()).await;
    c.call(&login("garage-1", "secret"), 1).await;
    for n in 0..40u64 {
        let d = c.call(&entry(&id(n)), 2 + n as u32).await;
        assert!(d.accepted());
    }
    // Killed: the task and every connection are dropped at once.
    drop(srv);
    assert!(c.closed(WAIT).await);

    let srv = start(config(&["garage-1"]), &db).await;
    assert_eq!(srv.status().unwrap().records["garage-1"]["5004"], 40);
    // The garage resends all it had (it cannot know), plus new ones.
    let mut c = Raw::connect(srv.tcp_addr.unwrap()).await;
    c.call(&login("garage-1", "secret"), 1).await;
    for n in 0..50u64 {
        let d = c.call(&entry(&id(n)), 100 + n as u32).await;
        assert!(d.accepted(), "a resent id is acknowledged");
    }
    let st = srv.status().unwrap();
    assert_eq!(st.records["garage-1"]["5004"], 50);
    assert_eq!(st.duplicates, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_killed_mid_frame_loses_nothing_counts_nothing_twice() {
    let dir = temp_dir("tcp-midframe");
    let srv = start(config(&["garage-1"]), &dir.join("p.db")).await;
    let addr = srv.tcp_addr.unwrap();
    let mut c = Raw::connect(addr).await;
    c.call(&login("garage-1", "secret"), 1).await;
    for n in 0..10u64 {
        c.call(&entry(&id(n)), 2 + n as u32).await;
    }
    // Frame 10 sent, its reply never read; frame 11 cut in half.
    c.send(&frame(&entry(&id(10)), 20)).await;
    let f = frame(&entry(&id(11)), 21);
    c.send(&f[..f.len() / 2]).await;
    c.s.shutdown().await.unwrap();
    drop(c);

    // Reconnect: resend what was not seen acknowledged (10 and 11).
    let mut c = Raw::connect(addr).await;
    c.call(&login("garage-1", "secret"), 1).await;
    for n in 10..12u64 {
        assert!(c.call(&entry(&id(n)), 30 + n as u32).await.accepted());
    }
    // Wait for the first connection's task to finish with its half frame.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let st = srv.status().unwrap();
    assert_eq!(st.records["garage-1"]["5004"], 12);
    assert_eq!(st.duplicates, 1, "entry 10 arrived twice, counted once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downlinks_are_pushed_and_replies_matched() {
    let dir = temp_dir("tcp-downlink");
    let srv = start(config(&["garage-1"]), &dir.join("p.db")).await;
    let mut c = Raw::connect(srv.tcp_addr.unwrap()).await;
    c.call(&login("garage-1", "secret"), 1).await;
    let book = Request::Book(vec![BookRequest {
        book_code: "YD0000000001".into(),
        book_time: DateTime::parse("2026-11-02 08:00:00").unwrap(),
        car_info: ParkCarInfo {
            plate_no: "粤B00001".into(),
            ..Default::default()
        },
        obligat_time: 30,
        operate_type: 1,
        over_time: DateTime::parse("2026-11-02 10:00:00").unwrap(),
        park_code: "44030400100101000010".into(),
    }]);
    let srv = std::sync::Arc::new(srv);
    let s2 = srv.clone();
    let sent = tokio::spawn(async move { s2.downlink("garage-1", book, WAIT).await });
    // The garage receives the 6001 request and answers it.
    let f = c.next(WAIT).await.expect("the downlink");
    assert_eq!((f.command, f.direction), (6001, Direction::Request));
    let rep = Reply::Book(vec![BookReply {
        bluetooth_address: None,
        book_code: "YD0000000001".into(),
        code: 0,
        message: "成功".into(),
        rest_reserved_stalls: Some(59),
        stall_no: None,
    }]);
    c.send(&envelope::reply_frame(
        &rep,
        parksim::proto::ResultCode::Ok,
        f.packet_no,
        1_793_600_000,
    ))
    .await;
    let v = sent.await.unwrap().unwrap().expect("a reply");
    assert_eq!(v["bookCode"], "YD0000000001");
    assert_eq!(v["restReservedStalls"], 59);
    let st = srv.status().unwrap();
    assert_eq!(st.downlink_replies, 1);
    assert_eq!(st.records["garage-1"]["6001r"], 1);
    // Not connected: a clear error.
    let none = Request::BookConfirm(vec![BookConfirmRequest {
        book_code: "X".into(),
        confirm_status: 0,
        park_code: "P".into(),
    }]);
    assert!(srv.downlink("garage-9", none, WAIT).await.is_err());
    assert_eq!(Command::Book.code(), 6001);
}

const TLS_NAME: &str = "localhost";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_on_tcp() {
    let ck = rcgen::generate_simple_self_signed(vec![TLS_NAME.to_string()]).unwrap();
    let cert = ck.cert.pem();
    let key = ck.signing_key.serialize_pem();
    let dir = temp_dir("tcp-tls");
    let mut cfg = config(&["garage-1"]);
    cfg.tls = Some(tls::server_config(cert.as_bytes(), key.as_bytes()).unwrap());
    let srv = start(cfg, &dir.join("p.db")).await;
    let addr = srv.tcp_addr.unwrap().to_string();

    let client = tls::client_config(cert.as_bytes()).unwrap();
    let mut s = tls::connect(&addr, Some((&client, TLS_NAME)))
        .await
        .unwrap();
    s.write_all(&frame(&login("garage-1", "secret"), 1))
        .await
        .unwrap();
    s.write_all(&frame(&entry(&id(1)), 2)).await.unwrap();
    let mut dec = parksim::proto::codec::FrameDecoder::new();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while got.len() < 2 {
        let n = tokio::time::timeout(WAIT, s.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0);
        dec.feed(&buf[..n]);
        while let Ok(Some(f)) = dec.decode() {
            got.push(f);
        }
    }
    assert_eq!(item_code(&decode(&got[0])), Some(0));
    assert!(decode(&got[1]).accepted());
    assert_eq!(srv.status().unwrap().records["garage-1"]["5004"], 1);

    // A plain-text client gets nothing useful and does not disturb it.
    let mut plain = Raw::connect(srv.tcp_addr.unwrap()).await;
    plain.send(&frame(&login("garage-1", "secret"), 1)).await;
    assert!(plain.next(Duration::from_secs(2)).await.is_none());
    // Wrong name on the certificate: refused by the client.
    assert!(
        tls::connect(&addr, Some((&client, "other.example")))
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_mode_refuses_what_lenient_accepts() {
    // An entry whose parkCode is a bare number (as the 5004 example writes
    // it): lenient reading accepts it, strict answers 4 with the item's code.
    let mut body = String::from_utf8(entry(&id(1)).data_json()).unwrap();
    body = body.replace(
        "\"parkCode\":\"44030400100101000010\"",
        "\"parkCode\":44030400100101000010",
    );
    let data: serde_json::Value = serde_json::from_str(&body).unwrap();
    let sign = parksim::proto::sign::sign_value(SignAlgo::Sha1, &data);
    let env = format!("{{\"data\":{body},\"sign\":\"{sign}\",\"timestamp\":1793600000}}");
    let f = envelope::frame_bytes(5004, 2, Direction::Request, env.as_bytes());
    for (strict, want) in [(false, 0), (true, 4)] {
        let dir = temp_dir(&format!("tcp-strict-{strict}"));
        let mut cfg = config(&["garage-1"]);
        cfg.strict = strict;
        let srv = start(cfg, &dir.join("p.db")).await;
        let mut c = Raw::connect(srv.tcp_addr.unwrap()).await;
        c.call(&login("garage-1", "secret"), 1).await;
        c.send(&f).await;
        let r = c.next(WAIT).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&r.data).unwrap();
        assert_eq!(v["resultCode"], want, "strict={strict}: {v}");
        let held = srv
            .status()
            .unwrap()
            .records
            .get("garage-1")
            .and_then(|m| m.get("5004"))
            .copied();
        assert_eq!(held, if strict { None } else { Some(1) });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_for_another_garage_are_refused_with_1101() {
    let dir = temp_dir("tcp-parkcode");
    let srv = start(config(&["garage-1"]), &dir.join("p.db")).await;
    let mut c = Raw::connect(srv.tcp_addr.unwrap()).await;
    c.call(&login("garage-1", "secret"), 1).await;
    let mut other = entry(&id(1));
    if let Request::Entry(v) = &mut other {
        v[0].park_code = Some("44030400100101000099".into());
    }
    let d = c.call(&other, 2).await;
    assert_eq!(d.result_code, Some(4));
    assert_eq!(item_code(&d), Some(1101));
    // Its own garage: accepted, on the same connection.
    assert!(c.call(&entry(&id(2)), 3).await.accepted());
    let st = srv.status().unwrap();
    assert_eq!(st.records["garage-1"]["5004"], 1);
    assert_eq!(st.rejects_by_code.get(&1101), Some(&1));
}
