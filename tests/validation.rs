//! Field validation: each kind of finding gets the standard's code and the
//! field's path (one helper, many cases).

use parksim::proto::check::check_request;
use parksim::proto::{Mode, SignAlgo, sign};
use serde_json::{Value, json};

/// Signs `data`, asks the platform check, returns (resultCode, item codes, item messages).
fn check(cmd: u16, data: Value, mode: Mode) -> (i64, Vec<i64>, Vec<String>) {
    let s = sign::sign_value(SignAlgo::Sha1, &data);
    let body = json!({"timestamp": 1_700_000_000, "sign": s, "data": data});
    let v = check_request(
        cmd,
        &serde_json::to_vec(&body).unwrap(),
        SignAlgo::Sha1,
        mode,
        1,
    );
    let r = &v.reply;
    assert_eq!(
        v.accepted,
        r["resultCode"] == 0 && r["data"].as_array().unwrap().iter().all(|i| i["code"] == 0)
    );
    (
        r["resultCode"].as_i64().unwrap(),
        r["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_i64().unwrap())
            .collect(),
        r["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["message"].as_str().unwrap().to_string())
            .collect(),
    )
}

fn space(extra: Value) -> Value {
    let mut v = json!({"parkCode": "44030400100101000010", "usedStalls": 10, "unusedStalls": 290});
    for (k, x) in extra.as_object().unwrap() {
        if x.is_null() {
            v.as_object_mut().unwrap().remove(k);
        } else {
            v[k] = x.clone();
        }
    }
    json!([v])
}

#[test]
fn each_finding_has_its_code_and_path() {
    // (case, data, mode, resultCode, item code, text the message must contain)
    let cases: Vec<(&str, Value, Mode, i64, i64, &str)> = vec![
        ("valid", space(json!({})), Mode::Strict, 0, 0, "成功"),
        (
            "missing required",
            space(json!({"usedStalls": null})),
            Mode::Lenient,
            4,
            4,
            "data[0].usedStalls",
        ),
        (
            "wrong type",
            space(json!({"usedStalls": true})),
            Mode::Lenient,
            4,
            1005,
            "data[0].usedStalls",
        ),
        (
            "not an integer",
            space(json!({"usedStalls": 1.5})),
            Mode::Lenient,
            4,
            1005,
            "not an integer",
        ),
        (
            "negative count",
            space(json!({"usedStalls": -1})),
            Mode::Lenient,
            4,
            1007,
            "outside",
        ),
        (
            "too long, lenient",
            space(json!({"parkCode": "4".repeat(21)})),
            Mode::Lenient,
            0,
            0,
            "成功",
        ),
        (
            "too long, strict",
            space(json!({"parkCode": "4".repeat(21)})),
            Mode::Strict,
            4,
            1004,
            "21 characters",
        ),
        (
            "numeric string, strict",
            space(json!({"usedStalls": "10"})),
            Mode::Strict,
            4,
            1005,
            "the string \"10\"",
        ),
        (
            "unknown key, strict",
            space(json!({"color": "red"})),
            Mode::Strict,
            4,
            1000,
            "data[0].color",
        ),
        (
            "unknown key, lenient",
            space(json!({"color": "red"})),
            Mode::Lenient,
            0,
            0,
            "成功",
        ),
    ];
    for (name, data, mode, rc, code, text) in cases {
        let (got_rc, codes, msgs) = check(5003, data, mode);
        assert_eq!((got_rc, codes[0]), (rc, code), "{name}: {msgs:?}");
        assert!(msgs[0].contains(text), "{name}: {msgs:?}");
    }
}

#[test]
fn enum_values_are_checked() {
    let item = |op: i64| json!([{"id": "b76238df0890486da2c1c8b32d75f15a", "parkCode": "1", "time": "2018-01-01 07:30:00", "operateType": op}]);
    assert_eq!(check(7001, item(1), Mode::Strict).1, vec![0]);
    let (rc, codes, msgs) = check(7001, item(2), Mode::Lenient);
    assert_eq!((rc, codes[0]), (4, 1007));
    assert!(msgs[0].contains("data[0].operateType"), "{msgs:?}");
}

#[test]
fn dates_and_nested_paths() {
    let book = |over: &str| {
        json!([{"bookCode": "B1", "parkCode": "1", "carInfo": {"plateNo": "粤B1", "carModel": 9},
                "bookTime": "2018-01-06 15:32:25", "overTime": over, "obligatTime": 30, "operateType": 1}])
    };
    let (rc, codes, msgs) = check(6001, book("2018-01-06 16:32:25"), Mode::Lenient);
    assert_eq!((rc, codes[0]), (4, 1007));
    assert!(msgs[0].contains("data[0].carInfo.carModel"), "{msgs:?}");
    let (_, codes, msgs) = check(6001, book("2018-02-30 16:32:25"), Mode::Lenient);
    assert_eq!(codes[0], 1007, "first error is carModel");
    assert!(
        msgs[0].contains("data[0].overTime"),
        "both errors listed: {msgs:?}"
    );
}

#[test]
fn envelope_errors_use_general_codes() {
    let reply =
        |body: &[u8], cmd: u16| check_request(cmd, body, SignAlgo::Sha1, Mode::Lenient, 1).reply;
    assert_eq!(reply(b"{not json", 5003)["resultCode"], 2);
    assert_eq!(reply(b"[1,2]", 5003)["resultCode"], 3);
    assert_eq!(
        reply(br#"{"timestamp":1,"data":[]}"#, 5003)["resultCode"],
        3,
        "no sign"
    );
    let r = reply(br#"{"timestamp":1,"sign":"x","data":[]}"#, 5003);
    assert_eq!(r["resultCode"], 3, "bad sign");
    assert!(r["resultMsg"].as_str().unwrap().contains("sign"));
    let s = sign::sign_value(SignAlgo::Sha1, &json!([]));
    let body = format!(r#"{{"timestamp":1,"sign":"{s}","data":[]}}"#);
    let r = reply(body.as_bytes(), 9999);
    assert_eq!(r["resultCode"], 3, "unknown interface");
    assert!(r["resultMsg"].as_str().unwrap().contains("9999"));
    assert_eq!(
        reply(body.as_bytes(), 5003)["resultCode"],
        4,
        "empty data for 5003"
    );
    assert_eq!(
        reply(body.as_bytes(), 1006)["resultCode"],
        0,
        "heartbeat has no data"
    );
}

#[test]
fn reply_items_carry_the_key_field() {
    let data = json!([{"couponNo": "C1", "plateNo": "粤B1", "couponType": 4, "couponValue": 1, "time": "2018-01-01 01:01:01"}]);
    let s = sign::sign_value(SignAlgo::Sha1, &data);
    let body = json!({"timestamp": 1, "sign": s, "data": data});
    let v = check_request(
        4002,
        &serde_json::to_vec(&body).unwrap(),
        SignAlgo::Sha1,
        Mode::Strict,
        99,
    );
    assert_eq!(v.reply["data"][0]["couponNo"], "C1");
    assert_eq!(v.reply["timestamp"], 99);
    assert!(v.accepted);
}
