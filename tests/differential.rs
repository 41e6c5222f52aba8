//! Differential fuzzing of the envelope readers: the fast path
//! (`decode_request_fast`, `decode_reply_fast`), the full reader
//! (`decode` + `typed_*`), and `accepted_*` that puts them together must
//! give one answer for the same bytes, and the same answer for bytes that
//! differ only in insignificant whitespace.
//!
//! Inputs are canonical envelopes (every Appendix B message re-encoded)
//! and the Appendix B bodies as printed, mutated the ways senders differ:
//! spaces and newlines, `\u` escapes, number forms (`20.0`, `1e2`, `007`,
//! 2^64, 1e29, 1e400, 0.333, …), nesting down to and past the limit,
//! repeated keys, dropped members, strings for numbers and the reverse,
//! stray bytes. After mutating `data`, the envelope is re-signed over the
//! canonical form (so the items, not just the sign, get checked).
//!
//! Checked for every input:
//! - fast path answers ⇒ the full reader accepts, in both modes, with no
//!   deviation, the same typed message and timestamp;
//! - `accepted_*` ⇔ the full reader accepts and types, with the same value;
//! - the same bytes with whitespace inserted between tokens read the same
//!   (accepted or not, result code, typed value);
//! - the one-pass reader of `data` under the fast path (`clean::request`,
//!   `clean::reply`) answers exactly as the table check followed by serde.
//!
//! `differential_ci` runs 60,000 inputs; `differential_long` (ignored)
//! runs `DIFF_N` (default 10^7) on all cores: see docs/NETWORK.md.

use parksim::proto::canon;
use parksim::proto::clean::{self, clean_items};
use parksim::proto::envelope::{self, Decoded, decode, decode_reply_fast, decode_request_fast};
use parksim::proto::messages::{Reply, Request};
use parksim::proto::schema::{reply_schema, request_schema};
use parksim::proto::{Command, Direction, Mode, ResultCode, SignAlgo};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/fixtures/appendix-b");

#[path = "support/xorshift.rs"]
mod xorshift;
use xorshift::Rng;

struct Base {
    code: u16,
    dir: Direction,
    /// The `data` array's text.
    data: Vec<u8>,
}

/// Every Appendix B body: as printed, and re-encoded canonically.
fn corpus() -> Vec<Base> {
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
        let body = std::fs::read(&p).unwrap();
        let d = decode(code, dir, &body, SignAlgo::Sha1, Mode::Lenient);
        if let Some(n) = canon::parse(&body)
            .ok()
            .and_then(|n| n.get("data").cloned())
        {
            // As printed (numbers as strings, dates, extra keys…), compact.
            out.push(Base {
                code,
                dir,
                data: n.canonical(),
            });
        }
        let data = match dir {
            Direction::Request => d
                .typed_request()
                .and_then(Result::ok)
                .map(|r| r.data_json()),
            Direction::Reply => d.typed_reply().and_then(Result::ok).map(|r| r.data_json()),
        };
        if let Some(data) = data {
            out.push(Base { code, dir, data });
        }
    }
    assert!(out.len() >= 60, "corpus too small: {}", out.len());
    out
}

/// Token boundaries of JSON text outside strings: (start, end, kind)
/// with kind `n` number, `s` string, `p` punctuation, `l` literal.
fn tokens(b: &[u8]) -> Vec<(usize, usize, u8)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' => {
                let s = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i = (i + 1).min(b.len());
                out.push((s, i, b's'));
            }
            b'-' | b'0'..=b'9' => {
                let s = i;
                while i < b.len() && matches!(b[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                out.push((s, i, b'n'));
            }
            b'{' | b'}' | b'[' | b']' | b',' | b':' => {
                out.push((i, i + 1, b'p'));
                i += 1;
            }
            b't' | b'f' | b'n' => {
                let s = i;
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                out.push((s, i, b'l'));
            }
            _ => i += 1,
        }
    }
    out
}

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "20",
    "20.0",
    "20.00",
    "20.01",
    "20.001",
    "1e2",
    "1E2",
    "1e+2",
    "2.5e1",
    "007",
    "-1",
    "0.333",
    "0.3",
    "11",
    "11.00",
    "2147483647",
    "2147483648",
    "-2147483649",
    "4294967295",
    "18446744073709551615",
    "18446744073709551616",
    "18446744073709551616.00",
    "99999999999999999999",
    "1e28",
    "1e29",
    "79228162514264337593543950335",
    "79228162514264337593543950336",
    "1e400",
    "-1e400",
    "1e-400",
    "0.1234567890123456789012345678",
    "0.12345678901234567890123456789",
    "1.5",
    "3e9",
    "1793600000",
    "1793600000000",
    "0e5",
    "22.5",
    "114.05",
    "95",
    "-95",
    "1.",
    ".5",
    "+1",
    "0x10",
    "NaN",
];

fn mutate(rng: &mut Rng, data: &mut Vec<u8>) {
    let toks = tokens(data);
    if toks.is_empty() {
        return;
    }
    let pick = |rng: &mut Rng, kind: u8| -> Option<(usize, usize)> {
        let c: Vec<_> = toks.iter().filter(|t| t.2 == kind).collect();
        (!c.is_empty()).then(|| {
            let t = c[rng.below(c.len())];
            (t.0, t.1)
        })
    };
    match rng.below(11) {
        // A number in another form.
        0 | 1 => {
            if let Some((s, e)) = pick(rng, b'n') {
                let n = NUMBERS[rng.below(NUMBERS.len())];
                data.splice(s..e, n.bytes());
            }
        }
        // A string's text as a number, or a number as a string.
        2 => {
            if rng.chance(2) {
                if let Some((s, e)) = pick(rng, b'n') {
                    let t = data[s..e].to_vec();
                    let mut q = vec![b'"'];
                    q.extend(t);
                    q.push(b'"');
                    data.splice(s..e, q);
                }
            } else if let Some((s, e)) = pick(rng, b's') {
                // Strings that are values (after a colon).
                if s > 0 && data[s - 1] == b':' && e - s > 2 {
                    let inner = data[s + 1..e - 1].to_vec();
                    if inner
                        .iter()
                        .all(|c| c.is_ascii_digit() || *c == b'.' || *c == b'-')
                    {
                        data.splice(s..e, inner);
                    } else {
                        let n = NUMBERS[rng.below(NUMBERS.len())];
                        data.splice(s..e, n.bytes());
                    }
                }
            }
        }
        // An escape inside a string.
        3 => {
            if let Some((s, e)) = pick(rng, b's')
                && e - s > 2
            {
                let i = s + 1 + rng.below(e - s - 2);
                let c = data[i];
                if c.is_ascii() && c != b'\\' && c != b'"' && (i == s + 1 || data[i - 1] != b'\\') {
                    let esc = if c == b'/' && rng.chance(2) {
                        "\\/".to_string()
                    } else {
                        format!("\\u{:04x}", c)
                    };
                    data.splice(i..i + 1, esc.bytes());
                }
            }
        }
        // Whitespace between tokens.
        4 => {
            if let Some((s, _)) = pick(rng, b'p') {
                let ws: &[u8] = [b" ".as_slice(), b"\n", b"\t", b"  \r\n"][rng.below(4)];
                data.splice(s + 1..s + 1, ws.iter().copied());
            }
        }
        // Nesting under an unknown key (sometimes past the limit).
        5 => {
            let opens: Vec<_> = toks.iter().filter(|t| data[t.0] == b'{').collect();
            if !opens.is_empty() {
                let at = opens[rng.below(opens.len())].0 + 1;
                let d = [1, 2, 10, 120, 126, 127, 128, 129, 130, 200][rng.below(10)];
                let mut ins = b"\"zz\":".to_vec();
                ins.extend(std::iter::repeat_n(b'[', d));
                ins.extend(std::iter::repeat_n(b']', d));
                let empty = data.get(at) == Some(&b'}');
                if !empty {
                    ins.push(b',');
                }
                data.splice(at..at, ins);
            }
        }
        // A member repeated (same key, maybe another value).
        6 => {
            let keys: Vec<_> = toks
                .windows(3)
                .filter(|w| w[0].2 == b's' && data[w[1].0] == b':' && w[2].2 != b'p')
                .map(|w| (w[0].0, w[2].1))
                .collect();
            if !keys.is_empty() {
                let (s, e) = keys[rng.below(keys.len())];
                let mut pair = data[s..e].to_vec();
                if rng.chance(2) {
                    // Same key, another value.
                    if let Some(c) = pair.iter().position(|&b| b == b':') {
                        pair.truncate(c + 1);
                        pair.extend(NUMBERS[rng.below(NUMBERS.len())].bytes());
                    }
                }
                let mut ins = vec![b','];
                ins.extend(pair);
                data.splice(e..e, ins);
            }
        }
        // A member dropped.
        7 => {
            let keys: Vec<_> = toks
                .windows(4)
                .filter(|w| {
                    w[0].2 == b's' && data[w[1].0] == b':' && w[2].2 != b'p' && data[w[3].0] == b','
                })
                .map(|w| (w[0].0, w[3].1))
                .collect();
            if !keys.is_empty() {
                let (s, e) = keys[rng.below(keys.len())];
                data.drain(s..e);
            }
        }
        // A stray byte.
        8 => {
            let i = rng.below(data.len());
            let c = b" ,:[]{}\"0123456789.e-\\a\x00\xff"[rng.below(24)];
            data[i] = c;
        }
        // Keys out of order (canonical no more, same content).
        9 => {
            let keys: Vec<_> = toks
                .windows(4)
                .filter(|w| {
                    w[0].2 == b's' && data[w[1].0] == b':' && w[2].2 != b'p' && data[w[3].0] == b','
                })
                .map(|w| (w[0].0, w[3].0))
                .collect();
            if !keys.is_empty() {
                let (s, e) = keys[rng.below(keys.len())];
                // Move the member to just before the object's end.
                let mut depth = 0i32;
                let mut end = None;
                for (j, &b) in data.iter().enumerate().skip(e) {
                    match b {
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' if depth > 0 => depth -= 1,
                        b'}' => {
                            end = Some(j);
                            break;
                        }
                        b']' => break,
                        _ => {}
                    }
                }
                if let Some(end) = end {
                    let member = data[s..e].to_vec();
                    let mut ins = vec![b','];
                    ins.extend(member);
                    data.splice(end..end, ins);
                    data.drain(s..e + 1);
                }
            }
        }
        // Empty the array.
        _ => {
            if rng.chance(8) {
                *data = b"[]".to_vec();
            }
        }
    }
}

/// The envelope around `data`, signed over its canonical form when it
/// parses (else a sign of the raw bytes).
fn envelope_of(rng: &mut Rng, b: &Base, data: &[u8]) -> Vec<u8> {
    let ts = [
        "1793600000",
        "1793600000000",
        "0",
        "\"1793600000\"",
        "1e9",
        "-5",
        "4294967296",
    ][if rng.chance(6) { rng.below(7) } else { 0 }];
    match b.dir {
        Direction::Request => {
            let signed = canon::parse(data)
                .map(|n| n.canonical())
                .unwrap_or(data.to_vec());
            let sign = parksim::proto::sign::digest_hex(SignAlgo::Sha1, &signed);
            let mut out = b"{\"data\":".to_vec();
            out.extend_from_slice(data);
            out.extend_from_slice(format!(",\"sign\":\"{sign}\",\"timestamp\":{ts}}}").as_bytes());
            out
        }
        Direction::Reply => {
            let rc = [
                "0",
                "0",
                "0",
                "4",
                "007",
                "-0",
                "2147483648",
                "\"0\"",
                "0.0",
            ][if rng.chance(4) { rng.below(9) } else { 0 }];
            let msg = ["成功", "ok", "a\\\"b", ""][rng.below(4)];
            let mut out = b"{\"data\":".to_vec();
            out.extend_from_slice(data);
            out.extend_from_slice(
                format!(",\"resultCode\":{rc},\"resultMsg\":\"{msg}\",\"timestamp\":{ts}}}")
                    .as_bytes(),
            );
            out
        }
    }
}

/// The same JSON with a space after every `,` and `:` outside strings.
fn spaced(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len() * 2);
    let mut in_str = false;
    let mut esc = false;
    for &c in b {
        out.push(c);
        if in_str {
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
        } else if c == b',' || c == b':' || c == b'[' {
            out.push(b' ');
        }
    }
    out
}

/// What a reading amounts to: accepted, result code, typed value.
#[derive(Debug, PartialEq)]
enum Verdict {
    Request(bool, ResultCode, Option<Request>, Option<i64>),
    Reply(bool, ResultCode, Option<Reply>, Option<i64>),
}

fn verdict(code: u16, dir: Direction, body: &[u8], mode: Mode) -> (Verdict, Decoded) {
    let d = decode(code, dir, body, SignAlgo::Sha1, mode);
    let v = match dir {
        Direction::Request => {
            let typed = d
                .typed_request()
                .and_then(Result::ok)
                .filter(|_| d.accepted());
            Verdict::Request(
                d.accepted() && typed.is_some(),
                d.result,
                typed,
                d.timestamp,
            )
        }
        Direction::Reply => {
            let typed = d
                .typed_reply()
                .and_then(Result::ok)
                .filter(|_| d.accepted());
            Verdict::Reply(
                d.accepted() && typed.is_some(),
                d.result,
                typed,
                d.result_code,
            )
        }
    };
    (v, d)
}

/// Checks one input; a description of the disagreement, if any.
fn check(code: u16, dir: Direction, body: &[u8]) -> Result<bool, String> {
    let show = || String::from_utf8_lossy(body).into_owned();
    let (lenient, d) = verdict(code, dir, body, Mode::Lenient);
    let mut fast_taken = false;
    match dir {
        Direction::Request => {
            if let Some((req, ts)) = decode_request_fast(code, body, SignAlgo::Sha1) {
                fast_taken = true;
                for mode in [Mode::Lenient, Mode::Strict] {
                    let d = decode(code, dir, body, SignAlgo::Sha1, mode);
                    if !d.accepted() || !d.deviations.is_empty() {
                        return Err(format!(
                            "fast path took what the full reader ({mode:?}) refused or remarked on: {:?}\n{}",
                            d.errors.iter().chain(&d.deviations).collect::<Vec<_>>(),
                            show()
                        ));
                    }
                    if d.typed_request().and_then(Result::ok).as_ref() != Some(&req)
                        || d.timestamp != Some(ts)
                    {
                        return Err(format!("fast and full typed values differ\n{}", show()));
                    }
                }
            }
            let acc = envelope::accepted_request(code, body, SignAlgo::Sha1, Mode::Lenient);
            let acc_typed = acc.as_ref().ok().map(|(r, _)| r.clone());
            let Verdict::Request(ok, _, typed, _) = &lenient else {
                unreachable!()
            };
            if acc.is_ok() != *ok || (acc.is_ok() && acc_typed != *typed) {
                return Err(format!(
                    "accepted_request ({}) and the full reader ({ok}) differ\n{}",
                    acc.is_ok(),
                    show()
                ));
            }
        }
        Direction::Reply => {
            if let Some((rep, rc, ts)) = decode_reply_fast(code, body) {
                fast_taken = true;
                for mode in [Mode::Lenient, Mode::Strict] {
                    let d = decode(code, dir, body, SignAlgo::Sha1, mode);
                    if !d.accepted() || !d.deviations.is_empty() {
                        return Err(format!(
                            "reply fast path took what the full reader ({mode:?}) refused or remarked on: {:?}\n{}",
                            d.errors.iter().chain(&d.deviations).collect::<Vec<_>>(),
                            show()
                        ));
                    }
                    if d.typed_reply().and_then(Result::ok).as_ref() != Some(&rep)
                        || d.result_code != Some(rc)
                        || d.timestamp != Some(ts)
                    {
                        return Err(format!(
                            "reply fast and full typed values differ\n{}",
                            show()
                        ));
                    }
                }
            }
            let acc = envelope::accepted_reply(code, body, SignAlgo::Sha1, Mode::Lenient);
            let Verdict::Reply(ok, _, typed, _) = &lenient else {
                unreachable!()
            };
            if acc.is_ok() != *ok || (acc.is_ok() && acc.as_ref().ok() != typed.as_ref()) {
                return Err(format!(
                    "accepted_reply ({}) and the full reader ({ok}) differ\n{}",
                    acc.is_ok(),
                    show()
                ));
            }
        }
    }
    // Insignificant whitespace changes nothing.
    let (spaced_v, _) = verdict(code, dir, &spaced(body), Mode::Lenient);
    if spaced_v != lenient {
        return Err(format!(
            "the same bytes with spaces read differently:\n{lenient:?}\n{spaced_v:?}\n{}\n{:?}",
            show(),
            d.errors
        ));
    }
    Ok(fast_taken)
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

/// Runs `n` inputs from `seed`; returns (inputs, fast path taken, accepted).
fn run(seed: u64, n: u64) -> (u64, u64) {
    let corpus = corpus();
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut fast = 0;
    for _ in 0..n {
        let b = &corpus[rng.below(corpus.len())];
        let mut data = b.data.clone();
        let k = if rng.chance(5) { 0 } else { 1 + rng.below(3) };
        for _ in 0..k {
            mutate(&mut rng, &mut data);
        }
        if let Err(e) = one_pass_is_two_pass(b.code, b.dir, &data) {
            panic!("interface {} {:?}: {e}", b.code, b.dir);
        }
        let body = envelope_of(&mut rng, b, &data);
        match check(b.code, b.dir, &body) {
            Ok(f) => fast += u64::from(f),
            Err(e) => panic!("interface {} {:?}: {e}", b.code, b.dir),
        }
    }
    (n, fast)
}

#[test]
fn differential_ci() {
    let (n, fast) = run(1, 60_000);
    // The fast path must be exercised, not just stepped around.
    assert!(fast > n / 20, "fast path taken {fast} of {n}");
}

/// The findings the fuzzer is built to catch, as fixed inputs.
#[test]
fn known_disagreements_are_gone() {
    let entry = |received: &str| {
        format!(
            "[{{\"carInfo\":{{\"plateNo\":\"粤B1\"}},\"discount\":0.00,\"enterTime\":\"2026-11-02 08:00:00\",\"id\":\"abc00000000000000000000000000001\",\"parkCode\":\"P\",\"receivables\":0.00,\"received\":{received}}}]"
        )
    };
    for received in [
        "20.01",
        "18446744073709551616.00",
        "18446744073709551616",
        "1e2",
        "0.1",
    ] {
        let data = entry(received);
        let b = Base {
            code: 5004,
            dir: Direction::Request,
            data: data.clone().into_bytes(),
        };
        let body = envelope_of(&mut Rng(7), &b, data.as_bytes());
        check(5004, Direction::Request, &body).unwrap();
        let (v, _) = verdict(5004, Direction::Request, &body, Mode::Lenient);
        let Verdict::Request(true, _, Some(Request::Entry(t)), _) = v else {
            panic!("{received}: {v:?}")
        };
        // The exact text's value, never a binary approximation.
        let want = parksim::proto::number::decimal(received).unwrap();
        assert_eq!(t[0].received.0, want, "{received}");
    }
    // resultCode 007 is not JSON: no reader takes it.
    let body = b"{\"data\":[],\"resultCode\":007,\"resultMsg\":\"ok\",\"timestamp\":1}";
    assert!(decode_reply_fast(1006, body).is_none());
    assert!(envelope::accepted_reply(1006, body, SignAlgo::Sha1, Mode::Lenient).is_err());
    check(1006, Direction::Reply, body).unwrap();
}

/// ≥ 10^7 inputs on every core (`DIFF_N` to change): the figure in
/// docs/NETWORK.md.
#[test]
#[ignore]
fn differential_long() {
    let n: u64 = std::env::var("DIFF_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let t = std::time::Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|k| {
            std::thread::spawn(move || run(1000 + k, n / threads + u64::from(k < n % threads)))
        })
        .collect();
    let (mut total, mut fast) = (0, 0);
    for h in handles {
        let (a, b) = h.join().unwrap();
        total += a;
        fast += b;
    }
    eprintln!(
        "differential_long: {total} inputs, fast path taken {fast}, no disagreement, {:.0} s on {threads} threads",
        t.elapsed().as_secs_f64()
    );
}
