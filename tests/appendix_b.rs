//! The standard's Appendix B bodies (data/fixtures/appendix-b/): every one
//! reads in lenient mode, and strict mode reports each of its deviations.

use parksim::proto::envelope::{self, Decoded, SignStatus};
use parksim::proto::messages::{Reply, Request};
use parksim::proto::{Direction, Mode, ResultCode, SignAlgo, sign};
use serde_json::Value;
use std::collections::BTreeSet;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/fixtures/appendix-b");

/// (fixture, every (code, path) strict mode must report, the placeholder
/// sign aside). Reviewed one by one against the standard's tables; see the
/// fixture README.
const STRICT: &[(&str, &[(i64, &str)])] = &[
    ("B1-1001-request", &[(1007, "timestamp")]),
    (
        "B1-1001-reply",
        &[
            (1005, "data[0].code"),
            (1005, "data[0].expiresIn"),
            (1007, "timestamp"),
            (1005, "resultCode"),
        ],
    ),
    ("B2-1002-request", &[(1007, "timestamp")]),
    (
        "B2-1002-reply",
        &[
            (1005, "data[0].code"),
            (1005, "data[0].expiresIn"),
            (1007, "timestamp"),
            (1005, "resultCode"),
        ],
    ),
    ("B3-1003-request", &[(1007, "timestamp")]),
    (
        "B3-1003-reply",
        &[
            (1005, "data[0].code"),
            (1007, "timestamp"),
            (1005, "resultCode"),
        ],
    ),
    ("B4-1004-request", &[(1007, "timestamp")]),
    (
        "B4-1004-reply",
        &[(1005, "data[0].code"), (1007, "timestamp")],
    ),
    ("B5-1005-request", &[(1007, "timestamp")]),
    (
        "B5-1005-reply",
        &[(1007, "timestamp"), (1005, "resultCode")],
    ),
    ("B6-1006-request", &[(1007, "timestamp")]),
    (
        "B6-1006-reply",
        &[(1007, "timestamp"), (1005, "resultCode")],
    ),
    (
        "B7-3001-request",
        &[
            (1004, "data[0].parkInfo.charging.permitNo"),
            (1004, "data[0].parkInfo.charging.complaintTel"),
            (1007, "data[0].parkInfo.latitude"),
            (1004, "data[0].parkInfo.operatorId"),
            (1000, "data[0].parkInfo.totalStalls"),
            (1000, "data[0].parkInfo.staggerStalls"),
            (1007, "timestamp"),
        ],
    ),
    (
        "B7-3001-reply",
        &[
            (1005, "data[0].code"),
            (1007, "timestamp"),
            (1005, "resultCode"),
        ],
    ),
    (
        "B8-3002-request",
        &[
            (1000, "data[0].entranceExitInfo.garageCode"),
            (1007, "data[0].entranceExitInfo.latitude"),
            (1007, "timestamp"),
        ],
    ),
    (
        "B8-3002-reply",
        &[
            (1005, "data[0].code"),
            (1007, "timestamp"),
            (1005, "resultCode"),
        ],
    ),
    (
        "B9-3005-request",
        &[
            (1004, "data[0].permitNo"),
            (1004, "data[0].complaintTel"),
            (1007, "timestamp"),
        ],
    ),
    (
        "B9-3005-reply",
        &[
            (1004, "data[0].permitNo"),
            (1005, "data[0].code"),
            (1007, "timestamp"),
            (1005, "resultCode"),
        ],
    ),
    (
        "B10-4001-request",
        &[
            (4, "data[0]"),
            (1005, "data[0].blackWhiteGraySheet.beginDate"),
            (1005, "data[0].blackWhiteGraySheet.endDate"),
            (1007, "timestamp"),
        ],
    ),
    (
        "B10-4001-reply",
        &[
            (1005, "data[0].code"),
            (1007, "timestamp"),
            (1005, "resultCode"),
        ],
    ),
    ("B11-4002-request", &[(1007, "timestamp")]),
    (
        "B11-4002-reply",
        &[
            (1005, "data[0].code"),
            (1007, "timestamp"),
            (1005, "resultCode"),
        ],
    ),
    ("B12-5003-request", &[(1007, "timestamp")]),
    (
        "B12-5003-reply",
        &[
            (1005, "data[0].code"),
            (1007, "timestamp"),
            (1005, "resultCode"),
        ],
    ),
    (
        "B13-5004-request",
        &[(1005, "data[0].parkCode"), (1007, "timestamp")],
    ),
    (
        "B13-5004-reply",
        &[
            (1005, "data[0].code"),
            (1007, "timestamp"),
            (1005, "resultCode"),
        ],
    ),
    (
        "B14-5005-request",
        &[(1005, "data[0].parkCode"), (1007, "timestamp")],
    ),
    (
        "B14-5005-reply",
        &[
            (1005, "data[0].code"),
            (1007, "timestamp"),
            (1005, "resultCode"),
        ],
    ),
    (
        "B15-5006-request",
        &[(1005, "data[0].parkCode"), (1007, "timestamp")],
    ),
    (
        "B15-5006-reply",
        &[
            (1005, "data[0].code"),
            (1007, "timestamp"),
            (1005, "resultCode"),
        ],
    ),
    ("B16-5008-request", &[(1007, "timestamp")]),
    (
        "B16-5008-reply",
        &[
            (1005, "data[0].code"),
            (1007, "timestamp"),
            (1005, "resultCode"),
        ],
    ),
    ("B17-6001-request", &[(1007, "timestamp")]),
    (
        "B17-6001-reply",
        &[
            (1005, "data[0].code"),
            (1000, "data[0].bluetoothAddress"),
            (1007, "timestamp"),
            (1005, "resultCode"),
        ],
    ),
    ("B18-6002-request", &[(1007, "timestamp")]),
    (
        "B18-6002-reply",
        &[
            (1005, "data[0].code"),
            (1007, "timestamp"),
            (1005, "resultCode"),
        ],
    ),
    ("B19-7001-request", &[(1007, "timestamp")]),
    (
        "B19-7001-reply",
        &[
            (1005, "data[0].code"),
            (1007, "timestamp"),
            (1005, "resultCode"),
        ],
    ),
];

fn load(name: &str) -> (u16, Direction, Vec<u8>) {
    let code: u16 = name.split('-').nth(1).unwrap().parse().unwrap();
    let dir = if name.ends_with("reply") {
        Direction::Reply
    } else {
        Direction::Request
    };
    let bytes = std::fs::read(format!("{DIR}/{name}.json")).unwrap();
    (code, dir, bytes)
}

fn decode(name: &str, mode: Mode) -> Decoded {
    let (code, dir, bytes) = load(name);
    envelope::decode(code, dir, &bytes, SignAlgo::Sha1, mode)
}

#[test]
fn every_fixture_is_listed() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(DIR)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        .map(|n| n.trim_end_matches(".json").to_string())
        .collect();
    let listed: BTreeSet<String> = STRICT.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(on_disk, listed);
    assert_eq!(listed.len(), 38, "19 interfaces, request and reply each");
}

#[test]
fn every_body_reads_leniently() {
    for (name, _) in STRICT {
        let d = decode(name, Mode::Lenient);
        assert!(d.items_ok(), "{name}: {:?}", d.errors);
        match d.direction {
            Direction::Request => {
                // The examples' sign is a 30-digit placeholder: read, not valid.
                assert_eq!(d.sign, SignStatus::Invalid, "{name}");
                let errs: Vec<_> = d.errors.iter().filter(|e| e.path != "sign").collect();
                assert!(errs.is_empty(), "{name}: {errs:?}");
                d.typed_request()
                    .unwrap()
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            Direction::Reply => {
                assert!(d.accepted(), "{name}: {:?}", d.errors);
                d.typed_reply()
                    .unwrap()
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
            }
        }
    }
}

#[test]
fn strict_mode_reports_each_deviation() {
    for (name, expected) in STRICT {
        let d = decode(name, Mode::Strict);
        let got: BTreeSet<(i64, String)> = d
            .errors
            .iter()
            .filter(|e| e.path != "sign")
            .map(|e| (e.code.code(), e.path.clone()))
            .collect();
        let want: BTreeSet<(i64, String)> =
            expected.iter().map(|(c, p)| (*c, p.to_string())).collect();
        assert_eq!(got, want, "{name}");
        assert!(
            d.deviations.is_empty(),
            "strict mode leaves no mere deviations"
        );
        assert!(!d.accepted(), "{name} is not conformant");
        let lenient = decode(name, Mode::Lenient);
        assert_eq!(
            lenient.deviations.len(),
            expected.len(),
            "{name}: same findings, as deviations"
        );
    }
}

/// Replaces the placeholder sign by the real one, keeping number text.
fn resign(bytes: &[u8]) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(bytes).unwrap();
    let s = sign::sign_value(SignAlgo::Sha1, &v["data"]);
    v["sign"] = Value::String(s);
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn resigned_requests_are_accepted_leniently() {
    for (name, _) in STRICT.iter().filter(|(n, _)| n.ends_with("request")) {
        let (code, dir, bytes) = load(name);
        let d = envelope::decode(code, dir, &resign(&bytes), SignAlgo::Sha1, Mode::Lenient);
        assert_eq!(d.sign, SignStatus::Valid, "{name}");
        assert!(d.accepted(), "{name}: {:?}", d.errors);
        assert_eq!(d.result, ResultCode::Ok);
    }
}

#[test]
fn typed_values_survive_exactly() {
    let d = decode("B13-5004-request", Mode::Lenient);
    let Request::Entry(items) = d.typed_request().unwrap().unwrap() else {
        panic!()
    };
    let r = &items[0];
    assert_eq!(r.park_code.as_deref(), Some("44030400100101000010"));
    assert_eq!(r.receivables.to_string(), "20.00");
    assert_eq!(r.received.to_string(), "15.00");
    assert_eq!(r.enter_time.to_string(), "2018-01-01 01:01:01");
    assert_eq!(r.car_info.plate_no, "粤 B88888");
    // The raw body keeps the bare 20-digit number and 20.00 as sent.
    let canon = String::from_utf8(sign::canonical(&d.body["data"])).unwrap();
    assert!(
        canon.contains("\"parkCode\":44030400100101000010"),
        "{canon}"
    );
    assert!(canon.contains("\"receivables\":20.00"), "{canon}");
    // A timestamp above 10^11 is read as milliseconds.
    assert_eq!(d.timestamp, Some(125_555_556));

    let d = decode("B7-3001-request", Mode::Lenient);
    let Request::ParkInfo(items) = d.typed_request().unwrap().unwrap() else {
        panic!()
    };
    assert_eq!(items[0].park_info.total_stalls, Some(300));
    assert_eq!(items[0].park_info.charging.items.len(), 2);
    assert_eq!(items[0].status, 1);

    let d = decode("B10-4001-request", Mode::Lenient);
    let Request::ControlList(items) = d.typed_request().unwrap().unwrap() else {
        panic!()
    };
    assert_eq!(items[0].status, 1);
    assert_eq!(items[0].black_white_gray_sheet.strategy_type, 3);
    assert_eq!(
        items[0]
            .black_white_gray_sheet
            .begin_date
            .map(|t| t.to_string())
            .as_deref(),
        Some("2015-01-01 00:00:00")
    );

    let d = decode("B17-6001-reply", Mode::Lenient);
    let Reply::Book(items) = d.typed_reply().unwrap().unwrap() else {
        panic!()
    };
    assert_eq!(items[0].rest_reserved_stalls, Some(14));
    assert_eq!(items[0].code, 0);

    let d = decode("B1-1001-reply", Mode::Lenient);
    let Reply::LoginHttp(items) = d.typed_reply().unwrap().unwrap() else {
        panic!()
    };
    assert_eq!(items[0].expires_in, 0, "placeholder read as 0");
}
