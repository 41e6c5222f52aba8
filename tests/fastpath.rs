//! The decode fast path (`decode_request_fast`, `decode_reply_fast`) must
//! never disagree with the full reader: whenever it answers, the full
//! `decode` accepts the same bytes with no deviation and reads the same
//! typed message. And it must actually answer for canonical frames, or it
//! would be dead weight. Under it, the one-pass reader of `data`
//! (`clean::request`, `clean::reply`) answers exactly as the table check
//! followed by serde would, on every body and mutation here.

use parksim::proto::clean::{self, clean_items};
use parksim::proto::envelope::{self, decode, decode_reply_fast, decode_request_fast};
use parksim::proto::messages::{Reply, Request};
use parksim::proto::schema::{reply_schema, request_schema};
use parksim::proto::{Command, Direction, Mode, ResultCode, SignAlgo};

#[path = "support/xorshift.rs"]
mod xorshift;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/fixtures/appendix-b");

/// Every Appendix B body, with its interface code and direction.
fn fixtures() -> Vec<(u16, Direction, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(DIR).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".json") {
            continue;
        }
        let code: u16 = name.split('-').nth(1).unwrap().parse().unwrap();
        let dir = if name.contains("-request") {
            Direction::Request
        } else {
            Direction::Reply
        };
        out.push((code, dir, std::fs::read(&p).unwrap()));
    }
    assert!(out.len() >= 38, "fixtures missing");
    out
}

/// The implication checked everywhere: fast ⇒ full agrees.
fn agree(code: u16, dir: Direction, body: &[u8]) -> bool {
    match dir {
        Direction::Request => {
            let Some((req, ts)) = decode_request_fast(code, body, SignAlgo::Sha1) else {
                return false;
            };
            for mode in [Mode::Lenient, Mode::Strict] {
                let d = decode(code, dir, body, SignAlgo::Sha1, mode);
                assert!(d.accepted(), "fast accepted what full refused: {d:?}");
                assert!(d.deviations.is_empty() && d.errors.is_empty());
                assert_eq!(d.typed_request().unwrap().unwrap(), req);
                assert_eq!(d.timestamp, Some(ts));
            }
            true
        }
        Direction::Reply => {
            let Some((rep, rc, ts)) = decode_reply_fast(code, body) else {
                return false;
            };
            for mode in [Mode::Lenient, Mode::Strict] {
                let d = decode(code, dir, body, SignAlgo::Sha1, mode);
                assert!(d.accepted(), "fast accepted what full refused: {d:?}");
                assert!(d.deviations.is_empty() && d.errors.is_empty());
                assert_eq!(d.typed_reply().unwrap().unwrap(), rep);
                assert_eq!((d.result_code, d.timestamp), (Some(rc), Some(ts)));
            }
            true
        }
    }
}

/// serde's reading of a `data` array of `cmd` (the reference).
fn serde_read(cmd: Command, dir: Direction, data: &[u8]) -> Option<Result<Request, Reply>> {
    macro_rules! read {
        ($($v:ident),*) => {
            match dir {
                Direction::Request => Ok(match cmd {
                    $(Command::$v => Request::$v(serde_json::from_slice(data).ok()?)),*
                }),
                Direction::Reply => Err(match cmd {
                    $(Command::$v => Reply::$v(serde_json::from_slice(data).ok()?)),*
                }),
            }
        };
    }
    Some(read!(
        LoginHttp,
        RefreshToken,
        LogoutHttp,
        LoginTcp,
        LogoutTcp,
        Heartbeat,
        ParkInfo,
        EntranceInfo,
        ChargingStandard,
        SpaceCount,
        Entry,
        Exit,
        Correction,
        Charge,
        PrioritySwitch,
        ControlList,
        Coupon,
        Book,
        BookConfirm
    ))
}

/// The one-pass reader of the fast path (`clean::request`, `clean::reply`)
/// must answer as the two passes it replaces did: the table check
/// (`clean_items`), then serde, with serde's value; and `clean::reply_ok`
/// exactly where `clean::reply` answers. Returns whether it answered.
fn one_pass_is_two_pass(code: u16, dir: Direction, data: &[u8]) -> Result<bool, String> {
    let Some(cmd) = Command::from_code(code) else {
        return Ok(false);
    };
    let schema = match dir {
        Direction::Request => request_schema(cmd),
        Direction::Reply => reply_schema(cmd),
    };
    let two = clean_items(schema, data)
        .then(|| serde_read(cmd, dir, data))
        .flatten();
    let one = match dir {
        Direction::Request => clean::request(cmd, data).map(Ok),
        Direction::Reply => {
            let rep = clean::reply(cmd, data);
            if clean::reply_ok(cmd, data) != rep.is_some() {
                return Err(format!(
                    "reply_ok and reply differ on {cmd} {}",
                    String::from_utf8_lossy(data)
                ));
            }
            rep.map(Err)
        }
    };
    if one != two {
        return Err(format!(
            "{cmd} {dir:?}: one pass {one:?}, two passes {two:?}\n{}",
            String::from_utf8_lossy(data)
        ));
    }
    Ok(one.is_some())
}

/// Canonical bodies made from every fixture's typed message.
fn canonical_bodies() -> Vec<(u16, Direction, Vec<u8>)> {
    let mut out = Vec::new();
    for (code, dir, body) in fixtures() {
        let d = decode(code, dir, &body, SignAlgo::Sha1, Mode::Lenient);
        match dir {
            Direction::Request => {
                if let Some(Ok(req)) = d.typed_request() {
                    out.push((
                        code,
                        dir,
                        envelope::request_body(&req.data_json(), 1_600_000_000, SignAlgo::Sha1),
                    ));
                }
            }
            Direction::Reply => {
                if let Some(Ok(rep)) = d.typed_reply() {
                    out.push((
                        code,
                        dir,
                        envelope::reply_body(
                            ResultCode::Ok,
                            "成功",
                            1_600_000_000,
                            &rep.data_json(),
                        ),
                    ));
                }
            }
        }
    }
    out
}

#[test]
fn appendix_b_as_printed_never_disagrees() {
    // Placeholder signs, millisecond timestamps, strings for numbers: the
    // fast path must step aside for all of these.
    for (code, dir, body) in fixtures() {
        agree(code, dir, &body);
    }
}

#[test]
fn canonical_frames_take_the_fast_path() {
    let bodies = canonical_bodies();
    let mut fast = 0;
    for (code, dir, body) in &bodies {
        let d = decode(*code, *dir, body, SignAlgo::Sha1, Mode::Strict);
        let data = serde_json::to_vec(&d.body["data"]).unwrap();
        one_pass_is_two_pass(*code, *dir, &data).unwrap();
        if d.accepted() {
            assert!(
                agree(*code, *dir, body),
                "{code} {dir:?}: clean and canonical, yet not fast: {}",
                String::from_utf8_lossy(body)
            );
            fast += 1;
        }
    }
    // Most interfaces' typed examples are strict-clean once re-written.
    assert!(
        fast >= 25,
        "only {fast} of {} took the fast path",
        bodies.len()
    );
}

#[test]
fn mutated_bodies_never_disagree() {
    let bodies = canonical_bodies();
    let mut next = xorshift::stream(0x2545_F491_4F6C_DD1D);
    let edits: &[&[u8]] = &[
        b" ",
        b"\\n",
        b"\\\"",
        b"\"",
        b",",
        b":",
        b"1",
        b"0",
        b".",
        b"e",
        b"-",
        b"a",
        b"null",
        b"true",
        b"{}",
        b"[]",
        b"\xE7\xB2\xA4",
        b"\xFF",
        b"A",
    ];
    let (mut tried, mut fast, mut one_pass) = (0, 0, 0);
    for (code, dir, body) in &bodies {
        // Mutate inside `data`, then re-sign, so the sign cannot hide a
        // disagreement about the data.
        let d = decode(*code, *dir, body, SignAlgo::Sha1, Mode::Lenient);
        let data = serde_json::to_vec(&d.body["data"]).unwrap();
        for _ in 0..300 {
            let mut m = data.clone();
            let at = 1 + (next() as usize) % (m.len() - 1);
            let e = edits[(next() as usize) % edits.len()];
            match next() % 3 {
                0 => {
                    m.splice(at..at, e.iter().copied());
                }
                1 => {
                    let end = (at + e.len()).min(m.len());
                    m.splice(at..end, e.iter().copied());
                }
                _ => {
                    m.remove(at);
                }
            }
            one_pass += usize::from(one_pass_is_two_pass(*code, *dir, &m).unwrap());
            let b = match dir {
                Direction::Request => envelope::request_body(&m, 1_600_000_000, SignAlgo::Sha1),
                Direction::Reply => envelope::reply_body(ResultCode::Ok, "ok", 1_600_000_000, &m),
            };
            tried += 1;
            fast += usize::from(agree(*code, *dir, &b));
            if *dir == Direction::Reply {
                // The check that builds nothing says what the reader says.
                for mode in [Mode::Lenient, Mode::Strict] {
                    assert_eq!(
                        envelope::reply_accepted(*code, &b, SignAlgo::Sha1, mode),
                        envelope::accepted_reply(*code, &b, SignAlgo::Sha1, mode).is_ok(),
                        "{}",
                        String::from_utf8_lossy(&b)
                    );
                }
            }
        }
    }
    assert!(
        tried > 10_000 && fast > 0 && one_pass > 0,
        "{tried} tried, {fast} fast, {one_pass} read in one pass"
    );
}

/// The envelope around `data` is split by position (the sign where a
/// 40- or 32-character sign begins, `resultMsg` at the last quote,
/// `resultCode` at its digits): mutations of the envelope's tail — keys
/// repeated, quotes, digits, signs of other lengths — never make the fast
/// path disagree with the full reader.
#[test]
fn mutated_envelope_tails_never_disagree() {
    let mut next = xorshift::stream(0x1234_5678_9ABC_DEF1);
    let edits: &[&[u8]] = &[
        b",\"sign\":\"",
        b",\"resultCode\":",
        b",\"resultMsg\":\"",
        b"\"",
        b"-",
        b"0",
        b"7",
        b"a",
        b"A",
        b":",
        b",",
        b"}",
        b"0123456789abcdef",
        b"\\",
    ];
    let (mut tried, mut fast) = (0, 0);
    for (code, dir, body) in canonical_bodies() {
        for _ in 0..200 {
            let mut b = body.clone();
            let tail = b.len().min(90);
            for _ in 0..1 + next() % 2 {
                let at = b.len() - 1 - (next() as usize) % tail.min(b.len() - 1);
                let e = edits[(next() as usize) % edits.len()];
                match next() % 3 {
                    0 => {
                        b.splice(at..at, e.iter().copied());
                    }
                    1 => {
                        let end = (at + e.len()).min(b.len());
                        b.splice(at..end, e.iter().copied());
                    }
                    _ => {
                        b.remove(at);
                    }
                }
            }
            tried += 1;
            fast += usize::from(agree(code, dir, &b));
            if dir == Direction::Reply {
                for mode in [Mode::Lenient, Mode::Strict] {
                    assert_eq!(
                        envelope::reply_accepted(code, &b, SignAlgo::Sha1, mode),
                        envelope::accepted_reply(code, &b, SignAlgo::Sha1, mode).is_ok(),
                        "{}",
                        String::from_utf8_lossy(&b)
                    );
                }
            }
        }
    }
    assert!(tried > 5_000 && fast > 0, "{tried} tried, {fast} fast");
    // An MD5 sign (32 characters) is found where it begins.
    let req = Request::Heartbeat(vec![]);
    let md5 = envelope::request_body(&req.data_json(), 1_600_000_000, SignAlgo::Md5);
    let code = Command::Heartbeat.code();
    assert!(decode_request_fast(code, &md5, SignAlgo::Md5).is_some());
    assert!(decode_request_fast(code, &md5, SignAlgo::Sha1).is_none());
}

#[test]
fn envelope_variants_step_aside() {
    let req = Request::Heartbeat(vec![]);
    let ok = envelope::request_body(&req.data_json(), 1_600_000_000, SignAlgo::Sha1);
    let code = Command::Heartbeat.code();
    assert!(agree(code, Direction::Request, &ok));
    let cases: Vec<Vec<u8>> = vec![
        // milliseconds: a deviation
        envelope::request_body(b"[]", 1_600_000_000_000, SignAlgo::Sha1),
        // a space, an extra key, another key order, a bad sign
        String::from_utf8(ok.clone())
            .unwrap()
            .replacen(":[]", ": []", 1)
            .into_bytes(),
        String::from_utf8(ok.clone())
            .unwrap()
            .replacen("{", "{\"x\":1,", 1)
            .into_bytes(),
        String::from_utf8(ok.clone())
            .unwrap()
            .replacen("\"sign\"", "\"sigN\"", 1)
            .into_bytes(),
        String::from_utf8(ok.clone())
            .unwrap()
            .replacen("\"sign\":\"", "\"sign\":\"0", 1)
            .into_bytes(),
        // data in a heartbeat
        envelope::request_body(b"[{}]", 1_600_000_000, SignAlgo::Sha1),
    ];
    for c in cases {
        assert!(
            decode_request_fast(code, &c, SignAlgo::Sha1).is_none(),
            "{}",
            String::from_utf8_lossy(&c)
        );
    }
    // A reply body is not a request and the other way round.
    let rep = envelope::reply_body(ResultCode::Ok, "成功", 1_600_000_000, b"[]");
    assert!(decode_request_fast(code, &rep, SignAlgo::Sha1).is_none());
    assert!(decode_reply_fast(code, &ok).is_none());
    assert!(agree(code, Direction::Reply, &rep));
    let _ = Reply::Heartbeat(vec![]);
}

/// Bad input is an answer, never a panic: every prefix of a canonical
/// body, and bodies of random bytes around its envelope, go through both
/// fast readers and the shared `accepted_*` entry points.
#[test]
fn truncated_and_random_bodies_do_not_panic() {
    let mut next = xorshift::stream(0x9E37_79B9_7F4A_7C15);
    for (code, dir, body) in canonical_bodies() {
        for n in 0..body.len() {
            let cut = &body[..n];
            assert!(decode_request_fast(code, cut, SignAlgo::Sha1).is_none());
            assert!(decode_reply_fast(code, cut).is_none());
            let _ = envelope::accepted_request(code, cut, SignAlgo::Sha1, Mode::Lenient);
            let _ = envelope::accepted_reply(code, cut, SignAlgo::Sha1, Mode::Lenient);
        }
        for _ in 0..50 {
            let mut b = body.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % b.len();
                b[at] = next() as u8;
            }
            agree(code, dir, &b);
            let _ = envelope::accepted_request(code, &b, SignAlgo::Sha1, Mode::Strict);
            let _ = envelope::accepted_reply(code, &b, SignAlgo::Sha1, Mode::Strict);
        }
    }
}

/// The shared entry points take the fast path for a clean body and the
/// full reader otherwise, and refuse what the full reader refuses.
#[test]
fn accepted_entry_points_match_the_full_reader() {
    for (code, dir, body) in fixtures().into_iter().chain(canonical_bodies()) {
        let full = decode(code, dir, &body, SignAlgo::Sha1, Mode::Lenient);
        match dir {
            Direction::Request => {
                let r = envelope::accepted_request(code, &body, SignAlgo::Sha1, Mode::Lenient);
                let want = full
                    .typed_request()
                    .and_then(Result::ok)
                    .filter(|_| full.accepted());
                assert_eq!(r.as_ref().ok().map(|(q, _)| q.clone()), want, "{code}");
                if let Ok((_, ts)) = r {
                    assert_eq!(ts, full.timestamp);
                }
            }
            Direction::Reply => {
                let r = envelope::accepted_reply(code, &body, SignAlgo::Sha1, Mode::Lenient);
                let want = full
                    .typed_reply()
                    .and_then(Result::ok)
                    .filter(|_| full.accepted());
                assert_eq!(
                    envelope::reply_accepted(code, &body, SignAlgo::Sha1, Mode::Lenient),
                    want.is_some(),
                    "{code}"
                );
                assert_eq!(r.ok(), want, "{code}");
            }
        }
    }
}

/// The three disagreements the fast path once had with the full reader:
/// (a) `20.01` (the full reader went through f64), (b) an integer amount
/// ≥ 2^64 (refused by one, stored by the other), (c) `"resultCode":007`
/// (not JSON, yet taken by the reply fast path).
#[test]
fn the_three_old_disagreements() {
    let entry = |received: &str| {
        format!(
            "[{{\"carInfo\":{{\"plateNo\":\"粤B1\"}},\"discount\":0.00,\"enterTime\":\"2026-11-02 08:00:00\",\"id\":\"abc00000000000000000000000000001\",\"parkCode\":\"P\",\"receivables\":0.00,\"received\":{received}}}]"
        )
    };
    for received in ["20.01", "18446744073709551616.00", "18446744073709551616"] {
        let data = entry(received);
        let body = envelope::request_body(data.as_bytes(), 1_600_000_000, SignAlgo::Sha1);
        let fast = decode_request_fast(5004, &body, SignAlgo::Sha1);
        let full = decode(
            5004,
            Direction::Request,
            &body,
            SignAlgo::Sha1,
            Mode::Lenient,
        );
        assert!(full.accepted(), "{received}: {:?}", full.errors);
        let typed = full.typed_request().unwrap().unwrap();
        if let Some((req, _)) = &fast {
            assert_eq!(req, &typed, "{received}");
        }
        let Request::Entry(v) = typed else { panic!() };
        assert_eq!(
            v[0].received.0.to_string().trim_end_matches(".00"),
            received.trim_end_matches(".00")
        );
        // With spaces (full reader only): the same.
        let spaced = String::from_utf8(body.clone())
            .unwrap()
            .replace(",\"", ", \"");
        let d = decode(
            5004,
            Direction::Request,
            spaced.as_bytes(),
            SignAlgo::Sha1,
            Mode::Lenient,
        );
        assert_eq!(
            d.typed_request().unwrap().unwrap(),
            Request::Entry(v),
            "{received}"
        );
    }
    let body = b"{\"data\":[],\"resultCode\":007,\"resultMsg\":\"ok\",\"timestamp\":1}";
    assert!(decode_reply_fast(1006, body).is_none());
    assert!(!decode(1006, Direction::Reply, body, SignAlgo::Sha1, Mode::Lenient).accepted());
}
