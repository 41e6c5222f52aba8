//! The in-process platform: login, records kept once, space counts by
//! timestamp, rejects with the standard's codes, downlink replies matched.

use parksim::platform::{Account, Platform, PlatformConfig};
use parksim::proto::codec::FrameDecoder;
use parksim::proto::envelope;
use parksim::proto::frame::Direction;
use parksim::proto::messages::*;
use parksim::proto::password::DesKey;
use parksim::proto::time::DateTime;
use parksim::proto::{Mode, ResultCode, SignAlgo};

fn platform() -> Platform {
    Platform::new(PlatformConfig {
        algo: SignAlgo::Sha1,
        mode: Mode::Lenient,
        accounts: vec![Account {
            user_id: "g1".into(),
            password: "secret".into(),
            key: DesKey::new(b"12345678").unwrap(),
        }],
        ..PlatformConfig::default()
    })
}

fn login(pw: &str) -> Request {
    Request::LoginTcp(vec![TcpLoginRequest {
        password: DesKey::new(b"12345678").unwrap().encrypt(pw),
        user_id: "g1".into(),
    }])
}

fn entry(id: &str) -> Request {
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
        park_code: Some("P".into()),
        receivables: Amount::ZERO,
        received: Amount::ZERO,
        stall_no: None,
    }])
}

fn space(used: i64) -> Request {
    Request::SpaceCount(vec![ParkSpaceInfo {
        park_code: "P".into(),
        reserved_stalls: Some(0),
        unused_stalls: 300 - used,
        used_stalls: used,
    }])
}

/// Sends one request, returns the decoded reply.
fn send(p: &mut Platform, req: &Request, packet: u32, ts: i64) -> envelope::Decoded {
    let out = p.receive(
        ts,
        &envelope::request_frame(req, packet, ts, SignAlgo::Sha1),
    );
    assert_eq!(out.len(), 1);
    let mut d = FrameDecoder::new();
    d.feed(&out[0]);
    let f = d.decode().unwrap().unwrap();
    assert_eq!((f.packet_no, f.direction), (packet, Direction::Reply));
    envelope::decode(
        f.command,
        f.direction,
        &f.data,
        SignAlgo::Sha1,
        Mode::Strict,
    )
}

fn code(d: &envelope::Decoded) -> i64 {
    d.body["data"][0]["code"].as_i64().unwrap()
}

#[test]
fn login_comes_first() {
    let mut p = platform();
    let r = send(&mut p, &entry("a"), 1, 100);
    assert_eq!(code(&r), 3002);
    assert_eq!(p.stats.frames_rejected, 1);
    assert!(p.ledger.entries.is_empty());
    assert_eq!(code(&send(&mut p, &login("wrong"), 2, 100)), 3001);
    assert_eq!(p.logged_in(), None);
    assert_eq!(code(&send(&mut p, &login("secret"), 3, 100)), 0);
    assert_eq!(p.logged_in(), Some("g1"));
    assert_eq!(code(&send(&mut p, &entry("a"), 4, 100)), 0);
    assert_eq!(p.ledger.entries.len(), 1);
}

#[test]
fn a_resent_record_counts_once() {
    let mut p = platform();
    send(&mut p, &login("secret"), 1, 0);
    for n in 2..5 {
        let r = send(&mut p, &entry("c78e319dab604a268842acf164774592"), n, 10);
        assert!(r.accepted());
        assert_eq!(r.body["data"][0]["id"], "c78e319dab604a268842acf164774592");
    }
    assert_eq!(p.ledger.entries.len(), 1);
    assert_eq!(p.stats.duplicates, 2);
}

#[test]
fn the_latest_space_count_wins_by_timestamp() {
    let mut p = platform();
    send(&mut p, &login("secret"), 1, 0);
    send(&mut p, &space(200), 2, 500); // real time first
    send(&mut p, &space(100), 3, 400); // backlog after
    assert_eq!(p.ledger.space.as_ref().unwrap().1.used_stalls, 200);
    send(&mut p, &space(250), 4, 600);
    assert_eq!(
        p.ledger.space.as_ref().unwrap(),
        &(
            600,
            ParkSpaceInfo {
                park_code: "P".into(),
                reserved_stalls: Some(0),
                unused_stalls: 50,
                used_stalls: 250
            }
        )
    );
}

#[test]
fn bad_frames_are_refused_and_the_stream_goes_on() {
    let mut p = platform();
    send(&mut p, &login("secret"), 1, 0);
    let mut bytes = envelope::request_frame(&entry("a"), 2, 1, SignAlgo::Sha1);
    // Tamper with the body and fix the CRC: only the sign can tell.
    let body_at = bytes.windows(3).position(|w| w == b"\"a\"").unwrap();
    bytes[body_at + 1] = b'b';
    let n = bytes.len();
    let crc = parksim::proto::frame::CRC16.checksum(&bytes[..n - 2]);
    bytes[n - 2..].copy_from_slice(&crc.to_be_bytes());
    let mut stream = b"noise".to_vec();
    stream.extend(&bytes);
    stream.extend(envelope::request_frame(&entry("c"), 3, 1, SignAlgo::Sha1));
    let replies = p.receive(1, &stream);
    assert_eq!(replies.len(), 2);
    assert_eq!(p.stats.stream_errors, 1, "the noise");
    assert_eq!(
        p.stats.rejects_by_code.get(&(ResultCode::Format.code())),
        Some(&1),
        "the bad sign"
    );
    assert_eq!(p.ledger.entries.keys().collect::<Vec<_>>(), vec!["c"]);
    // Unknown interface code.
    let odd = envelope::frame_bytes(
        9999,
        4,
        Direction::Request,
        &envelope::request_body(b"[]", 1, SignAlgo::Sha1),
    );
    let r = p.receive(1, &odd);
    assert_eq!(r.len(), 1);
    assert_eq!(p.stats.rejects_by_code.get(&3), Some(&2));
}

#[test]
fn downlink_replies_are_matched_by_packet_number() {
    let mut p = platform();
    // Downlinks go to logged-in garages (a reply before login closes).
    send(&mut p, &login("secret"), 1, 0);
    let book = Request::Book(vec![BookRequest {
        book_code: "YD1".into(),
        book_time: DateTime::parse("2026-11-02 09:00:00").unwrap(),
        car_info: ParkCarInfo {
            plate_no: "粤B1".into(),
            ..Default::default()
        },
        obligat_time: 30,
        operate_type: 1,
        over_time: DateTime::parse("2026-11-02 10:00:00").unwrap(),
        park_code: "P".into(),
    }]);
    let frame = p.downlink(0, &book);
    let mut d = FrameDecoder::new();
    d.feed(&frame);
    let f = d.decode().unwrap().unwrap();
    assert_eq!(p.pending_downlinks(), 1);
    let reply = Reply::Book(vec![BookReply {
        bluetooth_address: None,
        book_code: "YD1".into(),
        code: 0,
        message: "成功".into(),
        rest_reserved_stalls: Some(59),
        stall_no: None,
    }]);
    // A reply with the wrong packetNo is not matched.
    assert!(
        p.receive(
            1,
            &envelope::reply_frame(&reply, ResultCode::Ok, f.packet_no + 1, 1)
        )
        .is_empty()
    );
    assert_eq!(p.stats.unmatched_replies, 1);
    assert!(
        p.receive(
            1,
            &envelope::reply_frame(&reply, ResultCode::Ok, f.packet_no, 1)
        )
        .is_empty()
    );
    assert_eq!(p.pending_downlinks(), 0);
    assert_eq!(p.ledger.book_replies["YD1"].rest_reserved_stalls, Some(59));
}

mod https {
    use super::*;
    use parksim::platform::http;
    use serde_json::Value;

    fn body(req: &Request, ts: i64) -> Vec<u8> {
        envelope::request_body(&req.data_json(), ts, SignAlgo::Sha1)
    }

    fn call(
        p: &mut Platform,
        now: i64,
        code: u16,
        auth: Option<&str>,
        req: &Request,
    ) -> (u16, Value) {
        let bytes = http::request(&format!("/api/1.0/{code}"), auth, &body(req, now));
        let resp = p.receive_http_bytes(now, &bytes);
        let (status, b) = http::parse_response(&resp).unwrap();
        (status, serde_json::from_slice(b).unwrap())
    }

    fn http_login(p: &mut Platform, pw: &str) -> (u16, Value) {
        let req = Request::LoginHttp(vec![LoginRequest {
            callback_server: None,
            online_order_url: None,
            password: DesKey::new(b"12345678").unwrap().encrypt(pw),
            user_id: "g1".into(),
        }]);
        call(p, 1000, 1001, None, &req)
    }

    #[test]
    fn login_tokens_and_bearer_forms() {
        let mut p = platform();
        let (s, r) = http_login(&mut p, "wrong");
        assert_eq!((s, r["data"][0]["code"].as_i64()), (200, Some(3001)));
        let (s, r) = http_login(&mut p, "secret");
        assert_eq!(s, 200);
        let tok = r["data"][0]["accessToken"].as_str().unwrap().to_string();
        assert_eq!(r["data"][0]["tokenType"], "bearer");
        assert_eq!(r["data"][0]["expiresIn"], 7200);
        // No token, a wrong token: 401 with business code 3002, nothing recorded.
        let (s, r) = call(&mut p, 1001, 5004, None, &entry("a"));
        assert_eq!((s, r["data"][0]["code"].as_i64()), (401, Some(3002)));
        let (s, _) = call(&mut p, 1001, 5004, Some("Bearer nope"), &entry("a"));
        assert_eq!(s, 401);
        assert!(p.ledger.entries.is_empty());
        // Both forms of the header: with the space, and the examples' without.
        let (s, r) = call(
            &mut p,
            1002,
            5004,
            Some(&format!("Bearer {tok}")),
            &entry("a"),
        );
        assert_eq!(
            (s, r["resultCode"].as_i64(), r["data"][0]["id"].as_str()),
            (200, Some(0), Some("a"))
        );
        let (s, _) = call(
            &mut p,
            1003,
            5004,
            Some(&format!("bearer{tok}")),
            &entry("b"),
        );
        assert_eq!(s, 200);
        assert_eq!(p.ledger.entries.len(), 2);
        // Expired after its lifetime.
        let (s, _) = call(
            &mut p,
            1000 + 7200,
            5004,
            Some(&format!("Bearer {tok}")),
            &entry("c"),
        );
        assert_eq!(s, 401);
    }

    #[test]
    fn refresh_and_logout() {
        let mut p = platform();
        let (_, r) = http_login(&mut p, "secret");
        let tok = r["data"][0]["accessToken"].as_str().unwrap().to_string();
        let refresh = Request::RefreshToken(vec![RefreshRequest {
            access_token: tok.clone(),
            password: DesKey::new(b"12345678").unwrap().encrypt("secret"),
            user_id: "g1".into(),
        }]);
        let (s, r) = call(&mut p, 2000, 1002, None, &refresh);
        assert_eq!((s, r["data"][0]["code"].as_i64()), (200, Some(0)));
        let new = r["data"][0]["accessToken"].as_str().unwrap().to_string();
        assert_ne!(new, tok);
        // The old token lives out its lifetime (requests in flight pass) but
        // cannot be refreshed twice.
        assert_eq!(
            call(
                &mut p,
                2001,
                5004,
                Some(&format!("Bearer {tok}")),
                &entry("a")
            )
            .0,
            200
        );
        assert_eq!(
            call(&mut p, 2001, 1002, None, &refresh).1["data"][0]["code"],
            3002
        );
        assert_eq!(
            call(
                &mut p,
                2001,
                5004,
                Some(&format!("Bearer {new}")),
                &entry("a")
            )
            .0,
            200
        );
        let logout = Request::LogoutHttp(vec![LogoutRequest {
            access_token: new.clone(),
        }]);
        // Logout needs the token it revokes.
        let (s, r) = call(&mut p, 2002, 1003, None, &logout);
        assert_eq!((s, r["data"][0]["code"].as_i64()), (401, Some(3002)));
        let (s, r) = call(&mut p, 2002, 1003, Some(&format!("Bearer {tok}")), &logout);
        assert_eq!((s, r["data"][0]["code"].as_i64()), (200, Some(0)));
        assert_eq!(
            call(
                &mut p,
                2003,
                5004,
                Some(&format!("Bearer {new}")),
                &entry("b")
            )
            .0,
            401
        );
    }

    #[test]
    fn bad_http_is_refused() {
        let mut p = platform();
        let r = p.receive_http_bytes(0, b"GARBAGE");
        assert_eq!(http::parse_response(&r).unwrap().0, 400);
        let r = p.receive_http_bytes(0, &http::request("/api/1.0/", None, b"{}"));
        assert_eq!(http::parse_response(&r).unwrap().0, 404);
        // TCP-only interfaces are not served over HTTPS.
        let (_, r) = http_login(&mut p, "secret");
        let tok = r["data"][0]["accessToken"].as_str().unwrap().to_string();
        let (_, r) = call(
            &mut p,
            1,
            1006,
            Some(&format!("Bearer {tok}")),
            &Request::Heartbeat(vec![]),
        );
        assert_eq!(r["resultCode"], 3);
    }
}
