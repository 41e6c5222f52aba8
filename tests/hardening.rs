//! Regression tests for the hardening findings, in process (sans-IO): each
//! test is named after what it guards and failed on the code before the fix.
//! The network-level ones (login deadline, connection cap, HTTP body,
//! `/status`, admin token) are in `tests/net_hardening.rs`.

use parksim::platform::{Account, Platform, PlatformConfig, Policy};
use parksim::proto::codec::{FrameDecoder, nested_header_stream};
use parksim::proto::envelope::{self, decode};
use parksim::proto::frame::{Direction, FrameRepr};
use parksim::proto::messages::*;
use parksim::proto::password::DesKey;
use parksim::proto::time::DateTime;
use parksim::proto::{Mode, ResultCode, SignAlgo, number, schema};
use serde_json::Value;

const NOW: i64 = 1_793_600_000;

fn cfg(mode: Mode) -> PlatformConfig {
    PlatformConfig {
        algo: SignAlgo::Sha1,
        mode,
        accounts: ["g1", "g2"]
            .iter()
            .map(|u| Account {
                user_id: (*u).into(),
                password: "secret".into(),
                key: DesKey::new(b"12345678").unwrap(),
            })
            .collect(),
        ..PlatformConfig::default()
    }
}

fn policy() -> Policy {
    let mut p = Policy::default();
    p.park_codes.insert("g1".into(), vec!["P1".into()]);
    p.park_codes.insert("g2".into(), vec!["P2".into()]);
    p
}

fn platform(mode: Mode) -> Platform {
    Platform::with_policy(cfg(mode), policy())
}

fn login_item(user: &str, pw: &str) -> TcpLoginRequest {
    TcpLoginRequest {
        password: DesKey::new(b"12345678").unwrap().encrypt(pw),
        user_id: user.into(),
    }
}

fn entry(id: &str, park: &str) -> Request {
    Request::Entry(vec![ParkRecordInfo {
        car_info: ParkCarInfo {
            plate_no: "粤B1".into(),
            ..Default::default()
        },
        charge_id_list: None,
        discount: Amount::ZERO,
        enter_time: DateTime::parse("2026-11-02 08:00:00").unwrap(),
        id: id.into(),
        in_equipment_id: None,
        leave_time: None,
        out_equipment_id: None,
        park_code: Some(park.into()),
        receivables: Amount::ZERO,
        received: Amount::ZERO,
        stall_no: None,
    }])
}

fn id(n: u32) -> String {
    format!("{n:032x}")
}

/// The one reply to `bytes`, as JSON (None: no reply).
fn reply_of(p: &mut Platform, now: i64, bytes: &[u8]) -> Option<Value> {
    let out = p.receive(now, bytes);
    assert!(out.len() <= 1, "{} replies", out.len());
    let f = FrameRepr::parse(out.first()?).unwrap();
    Some(serde_json::from_slice(f.data).unwrap())
}

fn send(p: &mut Platform, req: &Request, packet: u32, ts: i64) -> Value {
    reply_of(
        p,
        NOW,
        &envelope::request_frame(req, packet, ts, SignAlgo::Sha1),
    )
    .unwrap()
}

fn signed_frame(command: u16, packet: u32, data: &str, ts: i64) -> Vec<u8> {
    // (Past the nesting limit nothing parses: sign the bytes as they are.)
    let canonical = parksim::proto::canon::parse(data.as_bytes())
        .map(|n| n.canonical())
        .unwrap_or_else(|_| data.as_bytes().to_vec());
    let sign = parksim::proto::sign::digest_hex(SignAlgo::Sha1, &canonical);
    let body = format!("{{\"data\":{data},\"sign\":\"{sign}\",\"timestamp\":{ts}}}");
    envelope::frame_bytes(command, packet, Direction::Request, body.as_bytes())
}

/// CPU time of this thread [ns] (Linux), or None.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

// ------------------------------------------------------------ denial of service

/// 1 MiB of headers nested every 17 bytes, all ending at the same place:
/// once N²/34 CRC work (7 s); now linear, < 50 ms of CPU.
#[test]
fn nested_header_stream_is_linear() {
    let stream = nested_header_stream(1 << 20);
    let t = std::time::Instant::now();
    let cpu0 = thread_cpu_ns();
    let mut d = FrameDecoder::new();
    let mut errors = 0;
    for c in stream.chunks(64 * 1024) {
        d.feed(c);
        loop {
            match d.decode() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => errors += 1,
            }
        }
    }
    let wall = t.elapsed();
    let cpu = thread_cpu_ns().zip(cpu0).map(|(b, a)| b - a);
    eprintln!(
        "nested 1 MiB: {errors} bad stretches, work {} byte-steps ({:.1}/B), CPU {:?} ms, wall {:.1} ms",
        d.work(),
        d.work() as f64 / stream.len() as f64,
        cpu.map(|c| c as f64 / 1e6),
        wall.as_secs_f64() * 1e3
    );
    assert!(errors > 60_000);
    assert!(d.work() < 16 * stream.len() as u64);
    let spent = cpu.map_or(wall.as_nanos() as u64, |c| c);
    assert!(spent < 50_000_000, "{} ms", spent / 1_000_000);
}

/// After `stream_error_budget` bad stretches the platform says to close;
/// later bytes are ignored.
#[test]
fn a_stream_error_budget_closes_the_connection() {
    let mut p = platform(Mode::Lenient);
    let mut bad = envelope::request_frame(&entry(&id(1), "P1"), 1, NOW, SignAlgo::Sha1);
    *bad.last_mut().unwrap() ^= 1;
    for _ in 0..8 {
        p.receive(NOW, &bad);
        assert_eq!(p.close_reason(), None);
    }
    p.receive(NOW, &bad);
    assert!(p.close_reason().is_some());
    assert!(
        p.receive(
            NOW,
            &envelope::request_frame(
                &Request::LoginTcp(vec![login_item("g1", "secret")]),
                2,
                NOW,
                SignAlgo::Sha1
            )
        )
        .is_empty()
    );
}

/// Before login a frame may carry 16 KiB at most (refused on its header);
/// after login 10 MiB.
#[test]
fn frames_before_login_are_small() {
    let mut p = platform(Mode::Lenient);
    let mut hdr = FrameRepr {
        version: (1, 0),
        packet_no: 1,
        direction: Direction::Request,
        command: 5004,
        data: &[],
    }
    .to_bytes()
    .unwrap();
    hdr.truncate(17);
    hdr[10..14].copy_from_slice(&(1_000_000u32).to_be_bytes());
    assert!(p.receive(NOW, &hdr).is_empty());
    assert_eq!(p.stats.stream_errors, 1, "refused on the header alone");
    let mut p = platform(Mode::Lenient);
    send(
        &mut p,
        &Request::LoginTcp(vec![login_item("g1", "secret")]),
        1,
        NOW,
    );
    assert!(p.receive(NOW, &hdr).is_empty());
    assert_eq!(p.stats.stream_errors, 0, "waits for the data after login");
}

/// A reply-direction frame before login is not a garage's answer to
/// anything: the connection is to be closed.
#[test]
fn a_reply_before_login_closes() {
    let mut p = platform(Mode::Lenient);
    let r = envelope::reply_frame(&Reply::Heartbeat(vec![]), ResultCode::Ok, 1, NOW);
    assert!(p.receive(NOW, &r).is_empty());
    assert!(p.close_reason().is_some());
}

// ---------------------------------------------------------------- identity

/// 1004 with two items: refused, nothing logged in ([good, bad] once
/// stayed logged in; [A, B] logged in as B).
#[test]
fn a_tcp_login_carries_exactly_one_item() {
    for items in [
        vec![login_item("g1", "secret"), login_item("g1", "wrong")],
        vec![login_item("g1", "secret"), login_item("g2", "secret")],
    ] {
        let mut p = platform(Mode::Lenient);
        let r = send(&mut p, &Request::LoginTcp(items), 1, NOW);
        assert_eq!(r["resultCode"], 4, "{r}");
        assert_eq!(p.logged_in(), None);
    }
    // A refused re-login on a logged-in connection logs it out.
    let mut p = platform(Mode::Lenient);
    send(
        &mut p,
        &Request::LoginTcp(vec![login_item("g1", "secret")]),
        1,
        NOW,
    );
    assert_eq!(p.logged_in(), Some("g1"));
    let r = send(
        &mut p,
        &Request::LoginTcp(vec![login_item("g1", "wrong")]),
        2,
        NOW,
    );
    assert_eq!(r["data"][0]["code"], 3001);
    assert_eq!(p.logged_in(), None);
}

mod https {
    use super::*;
    use parksim::platform::http;

    fn body(req: &Request, ts: i64) -> Vec<u8> {
        envelope::request_body(&req.data_json(), ts, SignAlgo::Sha1)
    }

    pub fn call(
        p: &mut Platform,
        code: u16,
        auth: Option<&str>,
        req: &Request,
    ) -> (u16, Value, Option<String>) {
        let (r, user) =
            p.receive_http_user(NOW, &format!("/api/1.0/{code}"), auth, &body(req, NOW));
        (r.status, serde_json::from_slice(&r.body).unwrap(), user)
    }

    fn login_http(user: &str) -> LoginRequest {
        LoginRequest {
            callback_server: None,
            online_order_url: None,
            password: DesKey::new(b"12345678").unwrap().encrypt("secret"),
            user_id: user.into(),
        }
    }

    pub fn token(p: &mut Platform, user: &str) -> String {
        let (s, v, u) = call(p, 1001, None, &Request::LoginHttp(vec![login_http(user)]));
        assert_eq!((s, u.as_deref()), (200, Some(user)), "{v}");
        v["data"][0]["accessToken"].as_str().unwrap().to_string()
    }

    /// 1001 with several items: refused, no token issued (once only
    /// data[0]'s token was bound to a user; the others stored records
    /// under "-" for any garage).
    #[test]
    fn an_http_login_carries_exactly_one_item() {
        let mut p = platform(Mode::Lenient);
        let (s, v, u) = call(
            &mut p,
            1001,
            None,
            &Request::LoginHttp(vec![login_http("g1"), login_http("g2")]),
        );
        assert_eq!(
            (s, v["resultCode"].as_i64(), u),
            (200, Some(4), None),
            "{v}"
        );
        assert!(v["data"][0].get("accessToken").is_none());
    }

    /// Every token acts for its own user, whichever item it came from,
    /// and the parkCode gate applies to it.
    #[test]
    fn identity_comes_from_the_token_store() {
        let mut p = platform(Mode::Lenient);
        let t2 = token(&mut p, "g2");
        let (s, v, u) = call(
            &mut p,
            5004,
            Some(&format!("Bearer {t2}")),
            &entry(&id(1), "P1"),
        );
        assert_eq!(
            (s, v["resultCode"].as_i64(), v["data"][0]["code"].as_i64()),
            (200, Some(4), Some(1101))
        );
        assert_eq!(u.as_deref(), Some("g2"));
        assert!(p.ledger.entries.is_empty());
        let (s, v, u) = call(
            &mut p,
            5004,
            Some(&format!("Bearer {t2}")),
            &entry(&id(1), "P2"),
        );
        assert_eq!(
            (s, v["resultCode"].as_i64(), u.as_deref()),
            (200, Some(0), Some("g2"))
        );
    }

    /// 1003 needs the token it revokes (once: no token needed, anyone's
    /// token revoked).
    #[test]
    fn logout_needs_its_own_token() {
        let mut p = platform(Mode::Lenient);
        let t1 = token(&mut p, "g1");
        let t2 = token(&mut p, "g2");
        let out = |t: &str| {
            Request::LogoutHttp(vec![LogoutRequest {
                access_token: t.into(),
            }])
        };
        let (s, v, _) = call(&mut p, 1003, None, &out(&t1));
        assert_eq!((s, v["data"][0]["code"].as_i64()), (401, Some(3002)));
        // g2 cannot log g1 out.
        let (s, v, _) = call(&mut p, 1003, Some(&format!("Bearer {t2}")), &out(&t1));
        assert_eq!((s, v["data"][0]["code"].as_i64()), (200, Some(3002)));
        assert_eq!(
            p.http_user(Some(&format!("Bearer {t1}")), NOW).as_deref(),
            Some("g1")
        );
        let (s, v, _) = call(&mut p, 1003, Some(&format!("Bearer {t1}")), &out(&t1));
        assert_eq!((s, v["data"][0]["code"].as_i64()), (200, Some(0)));
        assert_eq!(p.http_user(Some(&format!("Bearer {t1}")), NOW), None);
    }

    /// A revoked token is a 401, whatever the body says (once: a foreign
    /// parkCode answered 200/1101 first).
    #[test]
    fn a_revoked_token_is_401_before_the_park_gate() {
        let mut p = platform(Mode::Lenient);
        let t1 = token(&mut p, "g1");
        let out = Request::LogoutHttp(vec![LogoutRequest {
            access_token: t1.clone(),
        }]);
        call(&mut p, 1003, Some(&format!("Bearer {t1}")), &out);
        let (s, v, _) = call(
            &mut p,
            5004,
            Some(&format!("Bearer {t1}")),
            &entry(&id(1), "P2"),
        );
        assert_eq!((s, v["data"][0]["code"].as_i64()), (401, Some(3002)));
    }

    /// `/api/9.9/5004` and `/api/1.0/+5004` are not interfaces.
    #[test]
    fn the_url_version_is_checked() {
        for path in [
            "/api/9.9/5004",
            "/api/1.0/+5004",
            "/api/5004",
            "/api/1.0/05004x",
        ] {
            assert_eq!(http::interface_code(path), None, "{path}");
        }
        assert_eq!(http::interface_code("/api/1.0/5004"), Some(5004));
        let mut p = platform(Mode::Lenient);
        let t1 = token(&mut p, "g1");
        let r = p.receive_http(
            NOW,
            "/api/9.9/5004",
            Some(&format!("Bearer {t1}")),
            &body(&entry(&id(1), "P1"), NOW),
        );
        assert_eq!(r.status, 404);
        assert!(p.ledger.entries.is_empty());
    }

    /// MD5 for an account that says so; its SHA1 sign is refused.
    #[test]
    fn the_sign_algorithm_is_per_account() {
        let mut pol = policy();
        pol.sign.insert("g1".into(), SignAlgo::Md5);
        let mut p = Platform::with_policy(cfg(Mode::Lenient), pol);
        let login = Request::LoginHttp(vec![login_http("g1")]);
        let md5 = envelope::request_body(&login.data_json(), NOW, SignAlgo::Md5);
        let r = p.receive_http(NOW, "/api/1.0/1001", None, &md5);
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["data"][0]["code"], 0, "{v}");
        let t = v["data"][0]["accessToken"].as_str().unwrap().to_string();
        let sha1 = envelope::request_body(&entry(&id(1), "P1").data_json(), NOW, SignAlgo::Sha1);
        let r = p.receive_http(NOW, "/api/1.0/5004", Some(&format!("Bearer {t}")), &sha1);
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["resultCode"], 3, "{v}");
        let md5 = envelope::request_body(&entry(&id(1), "P1").data_json(), NOW, SignAlgo::Md5);
        let r = p.receive_http(NOW, "/api/1.0/5004", Some(&format!("Bearer {t}")), &md5);
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["resultCode"], 0, "{v}");
    }
}

/// A login a year old: lenient counts it, strict refuses it.
#[test]
fn stale_logins_are_reported_or_refused() {
    let year_ago = NOW - 365 * 86_400;
    let login = Request::LoginTcp(vec![login_item("g1", "secret")]);
    let mut p = platform(Mode::Lenient);
    let r = send(&mut p, &login, 1, year_ago);
    assert_eq!(
        (r["data"][0]["code"].as_i64(), p.logged_in()),
        (Some(0), Some("g1"))
    );
    assert_eq!(p.stats.stale_logins, 1);
    let mut p = platform(Mode::Strict);
    let r = send(&mut p, &login, 1, year_ago);
    assert_eq!(
        (r["resultCode"].as_i64(), r["data"][0]["code"].as_i64()),
        (Some(4), Some(1007)),
        "{r}"
    );
    assert_eq!(p.logged_in(), None);
    // Within ±10 min: fine in strict mode too.
    let mut p = platform(Mode::Strict);
    send(&mut p, &login, 1, NOW - 590);
    assert_eq!(p.logged_in(), Some("g1"));
}

/// A 5004 for a foreign garage with ~125 nested `[]` under an unknown
/// key was let through by the gate (its own parse failed) and stored.
#[test]
fn the_park_gate_reads_the_decoded_items() {
    let mut p = platform(Mode::Lenient);
    send(
        &mut p,
        &Request::LoginTcp(vec![login_item("g1", "secret")]),
        1,
        NOW,
    );
    let mut data = String::from_utf8(entry(&id(1), "P2").data_json()).unwrap();
    let nest = format!("\"zz\":{}{},", "[".repeat(125), "]".repeat(125));
    data.insert_str(2, &nest);
    let r = reply_of(&mut p, NOW, &signed_frame(5004, 2, &data, NOW)).unwrap();
    assert_eq!(
        (r["resultCode"].as_i64(), r["data"][0]["code"].as_i64()),
        (Some(4), Some(1101)),
        "{r}"
    );
    assert!(p.ledger.entries.is_empty());
    // Past the one nesting limit: refused as JSON by every reader.
    let mut data = String::from_utf8(entry(&id(2), "P1").data_json()).unwrap();
    data.insert_str(
        2,
        &format!("\"zz\":{}{},", "[".repeat(200), "]".repeat(200)),
    );
    let r = reply_of(&mut p, NOW, &signed_frame(5004, 3, &data, NOW)).unwrap();
    assert_eq!(r["resultCode"], 2, "{r}");
    assert!(p.ledger.entries.is_empty());
}

// ------------------------------------------------------- one reader's answer

/// Table 14: packetNo 1..=2^31−1, version 1.0; strict refuses, lenient
/// counts.
#[test]
fn frame_headers_are_checked_against_table_14() {
    let hb = |version: (u8, u8), packet_no: u32| {
        let body = envelope::request_body(b"[]", NOW, SignAlgo::Sha1);
        FrameRepr {
            version,
            packet_no,
            direction: Direction::Request,
            command: 1006,
            data: &body,
        }
        .to_bytes()
        .unwrap()
    };
    for (v, n) in [
        ((1, 0), 0),
        ((1, 0), 1 << 31),
        ((1, 0), u32::MAX),
        ((2, 0), 5),
        ((0, 0), 5),
    ] {
        let mut strict = platform(Mode::Strict);
        send(
            &mut strict,
            &Request::LoginTcp(vec![login_item("g1", "secret")]),
            1,
            NOW,
        );
        let r = reply_of(&mut strict, NOW, &hb(v, n)).unwrap();
        assert_eq!(r["resultCode"], 3, "{v:?} {n}: {r}");
        let mut lenient = platform(Mode::Lenient);
        send(
            &mut lenient,
            &Request::LoginTcp(vec![login_item("g1", "secret")]),
            1,
            NOW,
        );
        let r = reply_of(&mut lenient, NOW, &hb(v, n)).unwrap();
        assert_eq!(r["resultCode"], 0, "{v:?} {n}: {r}");
        assert_eq!(lenient.stats.header_deviations, 1);
    }
}

fn reply_env(data: &str) -> Vec<u8> {
    format!("{{\"data\":{data},\"resultCode\":0,\"resultMsg\":\"ok\",\"timestamp\":{NOW}}}")
        .into_bytes()
}

fn req_env(data: &str) -> Vec<u8> {
    let node = parksim::proto::canon::parse(data.as_bytes()).unwrap();
    let sign = parksim::proto::sign::digest_hex(SignAlgo::Sha1, &node.canonical());
    format!("{{\"data\":{data},\"sign\":\"{sign}\",\"timestamp\":{NOW}}}").into_bytes()
}

/// Int is 4 bytes (table 1); `20.0` and `1e2` are integers in decimal
/// form: lenient reads them (deviation, quoted as written), strict refuses.
#[test]
fn ints_are_four_bytes_and_decimal_forms_are_deviations() {
    let d = decode(
        1004,
        Direction::Reply,
        &reply_env("[{\"code\":2147483648,\"message\":\"x\"}]"),
        SignAlgo::Sha1,
        Mode::Lenient,
    );
    assert!(!d.accepted());
    assert_eq!(d.errors[0].code.code(), 1007, "{:?}", d.errors);
    for t in ["20.0", "1e2"] {
        let body = reply_env(&format!("[{{\"code\":{t},\"message\":\"x\"}}]"));
        let d = decode(1004, Direction::Reply, &body, SignAlgo::Sha1, Mode::Lenient);
        assert!(d.accepted(), "{t}: {:?}", d.errors);
        // Quoted as written (once: `1e+2`).
        assert!(
            d.deviations[0]
                .message
                .starts_with(&format!("{t} is an integer")),
            "{:?}",
            d.deviations
        );
        let want = if t == "20.0" { 20 } else { 100 };
        let Some(Ok(Reply::LoginTcp(v))) = d.typed_reply() else {
            panic!()
        };
        assert_eq!(v[0].code, want);
        let d = decode(1004, Direction::Reply, &body, SignAlgo::Sha1, Mode::Strict);
        assert!(!d.accepted(), "{t}");
    }
}

/// Repeated keys: a deviation; strict refuses.
#[test]
fn duplicate_keys_are_deviations() {
    let body = reply_env("[{\"code\":0,\"code\":5,\"message\":\"x\"}]");
    let d = decode(1004, Direction::Reply, &body, SignAlgo::Sha1, Mode::Lenient);
    assert!(d.accepted());
    assert!(
        d.deviations.iter().any(|i| i.path == "data[0].code"),
        "{:?}",
        d.deviations
    );
    assert!(!decode(1004, Direction::Reply, &body, SignAlgo::Sha1, Mode::Strict).accepted());
    assert!(envelope::decode_reply_fast(1004, &body).is_none());
}

/// Decimal: exact from the text (20.01 stays 20.01, not
/// 20.010000000000001563…), integers past 2^64 read the same with or
/// without spaces, and past the 16-byte Decimal an error that says so.
#[test]
fn amounts_come_from_the_text() {
    let data = |received: &str, sep: &str| {
        format!(
            "[{{\"carInfo\":{{\"plateNo\":\"粤B1\"}},{sep}\"discount\":0.00,{sep}\"enterTime\":\"2026-11-02 08:00:00\",\"id\":\"{}\",\"parkCode\":\"P1\",\"receivables\":0.00,{sep}\"received\":{received}}}]",
            id(1)
        )
    };
    for (received, want) in [
        ("20.01", "20.01"),
        ("18446744073709551616", "18446744073709551616"),
        ("18446744073709551616.00", "18446744073709551616"),
    ] {
        let mut got = Vec::new();
        for sep in ["", " "] {
            let body = req_env(&data(received, sep));
            let (req, _) = envelope::accepted_request(5004, &body, SignAlgo::Sha1, Mode::Lenient)
                .unwrap_or_else(|d| panic!("{received} {sep:?}: {:?}", d.errors));
            let Request::Entry(v) = req else { panic!() };
            got.push(v[0].received.0);
        }
        assert_eq!(got[0], got[1]);
        assert_eq!(got[0], want.parse::<rust_decimal::Decimal>().unwrap());
    }
    let d = decode(
        5004,
        Direction::Request,
        &req_env(&data("1e29", "")),
        SignAlgo::Sha1,
        Mode::Lenient,
    );
    assert!(!d.accepted());
    assert!(
        d.errors
            .iter()
            .any(|e| e.code.code() == 1007 && e.message.contains("16-byte Decimal")),
        "{:?}",
        d.errors
    );
    assert_eq!(number::decimal("20.01").unwrap().to_string(), "20.01");
}

/// Table 37 couponValue is a Double: 0.333 stays 0.333.
#[test]
fn coupon_value_is_a_double() {
    let c = CouponDownlink {
        channel_org_code: None,
        coupon_no: "C1".into(),
        coupon_type: 3,
        coupon_value: Amount(number::decimal("0.333").unwrap()),
        discount_channel: None,
        plate_no: "粤B1".into(),
        time: DateTime::parse("2026-11-02 08:00:00").unwrap(),
    };
    let json = Request::Coupon(vec![c.clone()]).data_json();
    let text = String::from_utf8(json.clone()).unwrap();
    assert!(text.contains("\"couponValue\":0.333"), "{text}");
    let body = req_env(&text);
    let (req, _) = envelope::accepted_request(4002, &body, SignAlgo::Sha1, Mode::Strict).unwrap();
    assert_eq!(req, Request::Coupon(vec![c.clone()]));
    // Two decimals at least, as before, for whole values.
    let mut eleven = c;
    eleven.coupon_value = Amount::new(1100);
    let text = String::from_utf8(Request::Coupon(vec![eleven]).data_json()).unwrap();
    assert!(text.contains("\"couponValue\":11.00"), "{text}");
}

/// latitude 1e400 is out of the Double's range, not `inf` then `null`.
#[test]
fn doubles_are_finite() {
    let mut v = schema_sample_3001();
    v["parkInfo"]["latitude"] = serde_json::from_str("1e400").unwrap();
    let c = schema::check_item(
        schema::request_schema(parksim::proto::Command::ParkInfo).unwrap(),
        None,
        &v,
        "data[0]",
        Mode::Lenient,
    );
    assert!(
        c.errors
            .iter()
            .any(|e| e.path.ends_with("latitude") && e.code.code() == 1007),
        "{:?}",
        c.errors
    );
}

fn schema_sample_3001() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/fixtures/appendix-b");
    for e in std::fs::read_dir(path).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.contains("-3001-") && name.contains("request") {
            let v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            return v["data"][0].clone();
        }
    }
    panic!("no 3001 request fixture")
}

/// `"resultCode":007` is not JSON: the reply fast path once took it.
#[test]
fn reply_fast_path_refuses_leading_zeros() {
    let body = b"{\"data\":[],\"resultCode\":007,\"resultMsg\":\"ok\",\"timestamp\":1793600000}";
    assert!(envelope::decode_reply_fast(1006, body).is_none());
    assert!(envelope::accepted_reply(1006, body, SignAlgo::Sha1, Mode::Lenient).is_err());
}

/// A downlink reply the full reader does not accept (strict: an unknown
/// key) is not stored (the fallback once typed it without asking).
#[test]
fn downlink_replies_must_be_accepted() {
    let mut p = platform(Mode::Strict);
    send(
        &mut p,
        &Request::LoginTcp(vec![login_item("g1", "secret")]),
        1,
        NOW,
    );
    let book = Request::BookConfirm(vec![BookConfirmRequest {
        book_code: "YD1".into(),
        confirm_status: 1,
        park_code: "P1".into(),
    }]);
    let f = p.downlink(NOW, &book);
    let pno = FrameRepr::parse(&f).unwrap().packet_no;
    let data = "[{\"bookCode\":\"YD1\",\"code\":0,\"message\":\"ok\",\"zz\":1}]";
    let body = reply_env(data);
    let r = envelope::frame_bytes(6002, pno, Direction::Reply, &body);
    p.receive(NOW, &r);
    assert!(p.ledger.confirm_replies.is_empty());
    assert_eq!(p.stats.downlink_replies, 0);
}
