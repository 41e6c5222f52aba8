//! The `parksim proto` command line, driven as scripts drive it.

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};

struct Out {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

fn parksim(args: &[&str], stdin: &[u8]) -> Out {
    let mut child = Command::new(env!("CARGO_BIN_EXE_parksim"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The process may exit before reading (a usage error): ignore EPIPE.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: o.stdout,
        stderr,
    }
}

fn lines(o: &Out) -> Vec<Value> {
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const VECTOR: &str = r#"{ "userId": "cadre01", "password": "205af3fa28810be321ef49d0993fee24", "callbackServer": "http://www.cncadre.com/" }"#;

#[test]
fn sign_prints_the_standard_vector() {
    let o = parksim(&["proto", "sign"], VECTOR.as_bytes());
    assert_eq!(
        (o.code, String::from_utf8(o.stdout).unwrap()),
        (0, "59f5688227e06ae8059cba5286a700c95103353b\n".into())
    );
    let o = parksim(&["proto", "sign", "--algo", "md5"], b"[]");
    assert_eq!(String::from_utf8(o.stdout).unwrap().trim().len(), 32);
}

#[test]
fn encode_then_decode() {
    let data = br#"[{"parkCode":"44030400100101000010","usedStalls":50,"unusedStalls":60,"reservedStalls":10}]"#;
    let f = parksim(
        &[
            "proto",
            "encode",
            "--command",
            "5003",
            "--packet-no",
            "9",
            "--timestamp",
            "1700000000",
        ],
        data,
    );
    assert_eq!(f.code, 0, "{}", f.stderr);
    assert_eq!(&f.stdout[..4], b"SZTC");
    let r = parksim(
        &[
            "proto",
            "encode",
            "--command",
            "5003",
            "--reply",
            "--timestamp",
            "1700000000",
        ],
        br#"[{"parkCode":"1","code":0}]"#,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut both = f.stdout.clone();
    both.extend(&r.stdout);
    let d = parksim(&["proto", "decode", "--strict"], &both);
    assert_eq!(d.code, 0, "{}", String::from_utf8_lossy(&d.stdout));
    let l = lines(&d);
    assert_eq!(l.len(), 2);
    assert_eq!(l[0]["packetNo"], 9);
    assert_eq!(l[0]["command"], 5003);
    assert_eq!(l[0]["direction"], 0);
    assert_eq!(l[0]["version"], "1.0");
    assert_eq!(l[0]["signValid"], true);
    assert_eq!(l[0]["deviations"], Value::Array(vec![]));
    assert_eq!(l[0]["body"]["timestamp"], 1_700_000_000);
    assert_eq!(l[0]["body"]["data"][0]["usedStalls"], 50);
    assert_eq!(l[1]["direction"], 1);
    assert_eq!(l[1]["body"]["resultCode"], 0);
}

#[test]
fn decode_reports_bad_stretches_with_offsets() {
    let good = parksim(
        &["proto", "encode", "--command", "1006", "--timestamp", "1"],
        b"[]",
    )
    .stdout;
    let mut bad_crc = good.clone();
    let n = bad_crc.len();
    bad_crc[n - 1] ^= 1;
    let mut stream = b"junk".to_vec();
    stream.extend(&good);
    stream.extend(&bad_crc);
    stream.extend(&good);
    let d = parksim(&["proto", "decode"], &stream);
    assert_eq!(d.code, 1);
    let l = lines(&d);
    assert_eq!(l.len(), 4);
    assert_eq!(l[0]["offset"], 0);
    assert!(l[0]["error"].as_str().unwrap().contains("magic"));
    assert_eq!(l[1]["signValid"], true);
    assert_eq!(l[2]["offset"], 4 + good.len());
    assert!(l[2]["error"].as_str().unwrap().contains("CRC"), "{}", l[2]);
    assert_eq!(l[3]["packetNo"], 1);
    // Nothing in, nothing out, success.
    let e = parksim(&["proto", "decode"], b"");
    assert_eq!((e.code, e.stdout.len()), (0, 0));
}

#[test]
fn strict_decode_fails_on_deviations_lenient_passes() {
    // The standard's 5004 item: parkCode as a bare 20-digit number.
    let data = r#"[{"id":"C78E319DAB604A268842ACF164774592","parkCode":44030400100101000010,"carInfo":{"plateNo":"粤 B88888"},"enterTime":"2018-01-01 01:01:01","receivables":20.00,"discount":5.00,"received":15.00}]"#.as_bytes();
    let f = parksim(
        &[
            "proto",
            "encode",
            "--command",
            "5004",
            "--timestamp",
            "1700000000",
        ],
        data,
    )
    .stdout;
    let lenient = parksim(&["proto", "decode"], &f);
    assert_eq!(lenient.code, 0);
    let l = &lines(&lenient)[0];
    assert_eq!(l["deviations"][0]["code"], 1005);
    assert_eq!(l["deviations"][0]["path"], "data[0].parkCode");
    assert_eq!(
        l["signValid"], true,
        "the sign covered the number's exact text"
    );
    let strict = parksim(&["proto", "decode", "--strict"], &f);
    assert_eq!(strict.code, 1);
    assert_eq!(lines(&strict)[0]["errors"][0]["code"], 1005);
}

#[test]
fn check_answers_like_a_platform() {
    let fixture = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/fixtures/appendix-b/B12-5003-request.json"
    ))
    .unwrap();
    let o = parksim(
        &["proto", "check", "--command", "5003", "--timestamp", "5"],
        &fixture,
    );
    assert_eq!(o.code, 1, "the example's sign is a placeholder");
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["resultCode"], 3);
    assert_eq!(r["timestamp"], 5);
    let data = br#"[{"parkCode":"44030400100101000010","usedStalls":50,"unusedStalls":60}]"#;
    let sign = String::from_utf8(parksim(&["proto", "sign"], data).stdout).unwrap();
    let body = format!(
        r#"{{"timestamp":1,"sign":"{}","data":{}}}"#,
        sign.trim(),
        String::from_utf8_lossy(data)
    );
    let o = parksim(&["proto", "check", "--command", "5003"], body.as_bytes());
    assert_eq!(o.code, 0, "{}", String::from_utf8_lossy(&o.stdout));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["resultCode"], 0);
    assert_eq!(r["data"][0]["parkCode"], "44030400100101000010");
    assert_eq!(r["data"][0]["code"], 0);
}

#[test]
fn password_round_trip() {
    let e = parksim(&["proto", "password", "--key", "12345678"], b"secret\n");
    assert_eq!(
        String::from_utf8(e.stdout.clone()).unwrap(),
        "k5WbHqyaHus=\n"
    );
    let d = parksim(
        &["proto", "password", "--key", "12345678", "--decrypt"],
        &e.stdout,
    );
    assert_eq!(String::from_utf8(d.stdout).unwrap(), "secret\n");
    let iv = parksim(
        &["proto", "password", "--key", "12345678", "--iv", "00000000"],
        b"secret",
    );
    assert_ne!(iv.stdout, e.stdout);
}

#[test]
fn bad_input_is_a_clear_error() {
    let cases: &[(&[&str], &[u8], &str)] = &[
        (&["proto", "sign"], b"{not json", "not valid JSON"),
        (
            &["proto", "encode", "--command", "9999"],
            b"[]",
            "unknown interface code 9999",
        ),
        (
            &["proto", "encode", "--command", "5003"],
            b"{}",
            "data` array",
        ),
        (
            &["proto", "encode", "--command", "5003", "--packet-no", "0"],
            b"[]",
            "packet-no",
        ),
        (&["proto", "password", "--key", "short"], b"x", "8 bytes"),
        (
            &["proto", "password", "--key", "12345678", "--decrypt"],
            b"!!!",
            "Base64",
        ),
        (
            &["proto", "password", "--key", "12345678", "--decrypt"],
            b"AAAAAAAAAAA=",
            "padding",
        ),
        (
            &["proto", "check", "--command", "5003"],
            b"\xff\xfe",
            "resultCode",
        ),
    ];
    for (args, input, text) in cases {
        let o = parksim(args, input);
        assert_ne!(o.code, 0, "{args:?}");
        let all = format!("{}{}", o.stderr, String::from_utf8_lossy(&o.stdout));
        assert!(all.contains(text), "{args:?}: {all}");
    }
    let o = parksim(&["proto", "bogus"], b"");
    assert_eq!(o.code, 2);
}

#[test]
fn bundled_session_decodes_cleanly() {
    let s = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/examples/session.sztc"
    ))
    .unwrap();
    let o = parksim(&["proto", "decode", "--strict"], &s);
    assert_eq!(o.code, 0, "{}", String::from_utf8_lossy(&o.stdout));
    let cmds: Vec<i64> = lines(&o)
        .iter()
        .map(|l| l["command"].as_i64().unwrap())
        .collect();
    assert_eq!(cmds, vec![1004, 3001, 5003, 5004, 1006, 5008, 5005, 5003]);
}

/// A reader that stops early (`| head`) ends the run quietly: no panic on
/// the broken pipe.
#[test]
fn closed_stdout_is_not_a_panic() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_parksim"))
        .args(["run", "--days", "1", "--set", "warmup_days=0", "--json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end before the answer is written.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{:?}: {err}", out.status);
}

/// `run --out` records what it simulated: `scenario.toml` runs the same
/// garage again (same summary), `provenance.json` names it.
#[test]
fn a_run_directory_records_its_scenario_and_provenance() {
    let dir = std::env::temp_dir().join(format!("parksim-cli-prov-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    let first = parksim(
        &[
            "run",
            "--days",
            "1",
            "--seed",
            "11",
            "--set",
            "garage.stalls=250",
            "--json",
            "--out",
            d,
        ],
        b"",
    );
    assert_eq!(first.code, 0, "{}", first.stderr);
    let prov: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("provenance.json")).unwrap())
            .unwrap();
    assert_eq!(prov["seed"], "11");
    assert_eq!(prov["days"], 1);
    assert_eq!(prov["stalls"], 250);
    assert_eq!(prov["scenario"], lines(&first)[0]["scenario"]);
    assert!(
        prov["overrides"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o == "garage.stalls=250")
    );
    let scn = dir.join("scenario.toml");
    let again = parksim(&["run", scn.to_str().unwrap(), "--json"], b"");
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        lines(&again),
        lines(&first),
        "scenario.toml simulates another garage"
    );
    // The same directory again: an earlier run's, accepted.
    let rerun = parksim(&["run", "--days", "1", "--out", d], b"");
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    // A sweep's directory is refused before anything runs, and kept whole.
    std::fs::write(dir.join("runs.jsonl"), "{}\n").unwrap();
    let summary = std::fs::read(dir.join("summary.csv")).unwrap();
    let refused = parksim(&["run", "--days", "1", "--out", d], b"");
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("sweep's results"),
        "{}",
        refused.stderr
    );
    assert_eq!(std::fs::read(dir.join("summary.csv")).unwrap(), summary);
    let _ = std::fs::remove_dir_all(&dir);
}
