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
