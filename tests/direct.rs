//! The hand reader and writer of the hot items (`proto::direct`: 5003–5006,
//! 5008, 7001, 6001, 6002 and the replies to these and to 4001, 4002) against
//! serde_json, the reference:
//! - writing: the same bytes as `serde_json::to_vec` for every generated
//!   value (strings with escapes and CJK, amounts of any scale and sign,
//!   date-times outside 0000–9999, options present and absent);
//! - reading: the hand reader checks each value against its table as it
//!   reads it, so for those bytes, and for every mutation of them, it
//!   answers exactly where the table check (`clean_items`) finds the bytes
//!   clean and serde reads them, and then with serde's value; on values
//!   that fit their tables, written canonically, it must answer (or it is
//!   dead weight).

use parksim::proto::Command;
use parksim::proto::clean::clean_items;
use parksim::proto::direct::{read_reply, read_request, skim_reply, write_ok_id_reply};
use parksim::proto::messages::*;
use parksim::proto::schema::{Presence, Schema, Ty, reply_schema, request_schema};
use parksim::proto::time::DateTime;
use proptest::prelude::*;
use rust_decimal::Decimal;

/// Strings: plain, CJK, and the characters serde_json escapes.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[0-9a-f]{32}",
        2 => "[A-Z0-9粤京]{0,8}",
        1 => "[ -~]{0,12}",
        1 => "[\u{0}-\u{1f}\"\\\\/a\u{7f}é]{0,6}",
    ]
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

/// Amounts of scale 0–4, either sign (written rounded to two decimals).
fn amount() -> impl Strategy<Value = Amount> {
    (any::<i32>(), 0u32..5).prop_map(|(m, s)| Amount(Decimal::new(m as i64, s)))
}

/// Date-times mostly in range, sometimes years beyond 9999 or before 0.
fn datetime() -> impl Strategy<Value = DateTime> {
    prop_oneof![
        8 => (0i64..4_102_444_800).prop_map(DateTime),
        1 => (253_402_300_800i64..300_000_000_000).prop_map(DateTime),
        1 => (-70_000_000_000i64..-62_167_219_200).prop_map(DateTime),
    ]
}

fn int() -> impl Strategy<Value = i64> {
    prop_oneof![4 => 0i64..10_000, 1 => any::<i64>()]
}

fn car() -> impl Strategy<Value = ParkCarInfo> {
    (opt_text(), proptest::option::of(int()), opt_text(), text()).prop_map(
        |(car_color, car_model, plate_color, plate_no)| ParkCarInfo {
            car_color,
            car_model,
            plate_color,
            plate_no,
        },
    )
}

fn record() -> impl Strategy<Value = ParkRecordInfo> {
    (
        (
            car(),
            proptest::option::of(proptest::collection::vec(text(), 0..3)),
            amount(),
            datetime(),
            text(),
            opt_text(),
        ),
        (
            proptest::option::of(datetime()),
            opt_text(),
            opt_text(),
            amount(),
            amount(),
            opt_text(),
        ),
    )
        .prop_map(
            |(
                (car_info, charge_id_list, discount, enter_time, id, in_equipment_id),
                (leave_time, out_equipment_id, park_code, receivables, received, stall_no),
            )| ParkRecordInfo {
                car_info,
                charge_id_list,
                discount,
                enter_time,
                id,
                in_equipment_id,
                leave_time,
                out_equipment_id,
                park_code,
                receivables,
                received,
                stall_no,
            },
        )
}

fn discount_record() -> impl Strategy<Value = DiscountRecord> {
    (opt_text(), opt_text(), int(), amount(), opt_text(), text()).prop_map(
        |(channel_org_code, coupon_no, coupon_type, coupon_value, discount_channel, id)| {
            DiscountRecord {
                channel_org_code,
                coupon_no,
                coupon_type,
                coupon_value,
                discount_channel,
                id,
            }
        },
    )
}

fn charge() -> impl Strategy<Value = ParkChargeInfo> {
    (
        (
            car(),
            amount(),
            text(),
            proptest::option::of(proptest::collection::vec(discount_record(), 0..3)),
            opt_text(),
            text(),
        ),
        (datetime(), int(), amount(), amount(), text()),
    )
        .prop_map(
            |(
                (car_info, discount, id, list_discounts, order_no, pay_from),
                (pay_time, pay_type, receivables, received, record_id),
            )| ParkChargeInfo {
                car_info,
                discount,
                id,
                list_discounts,
                order_no,
                pay_from,
                pay_time,
                pay_type,
                receivables,
                received,
                record_id,
            },
        )
}

fn space() -> impl Strategy<Value = ParkSpaceInfo> {
    (text(), proptest::option::of(int()), int(), int()).prop_map(
        |(park_code, reserved_stalls, unused_stalls, used_stalls)| ParkSpaceInfo {
            park_code,
            reserved_stalls,
            unused_stalls,
            used_stalls,
        },
    )
}

fn switch() -> impl Strategy<Value = PrioritySwitch> {
    (text(), int(), text(), opt_text(), datetime()).prop_map(
        |(id, operate_type, park_code, remark, time)| PrioritySwitch {
            id,
            operate_type,
            park_code,
            remark,
            time,
        },
    )
}

fn book() -> impl Strategy<Value = BookRequest> {
    (text(), datetime(), car(), int(), int(), datetime(), text()).prop_map(
        |(book_code, book_time, car_info, obligat_time, operate_type, over_time, park_code)| {
            BookRequest {
                book_code,
                book_time,
                car_info,
                obligat_time,
                operate_type,
                over_time,
                park_code,
            }
        },
    )
}

fn confirm() -> impl Strategy<Value = BookConfirmRequest> {
    (text(), int(), text()).prop_map(
        |(book_code, confirm_status, park_code)| BookConfirmRequest {
            book_code,
            confirm_status,
            park_code,
        },
    )
}

fn request() -> impl Strategy<Value = Request> {
    let n = 1..3;
    prop_oneof![
        proptest::collection::vec(switch(), n.clone()).prop_map(Request::PrioritySwitch),
        proptest::collection::vec(book(), n.clone()).prop_map(Request::Book),
        proptest::collection::vec(confirm(), n.clone()).prop_map(Request::BookConfirm),
        proptest::collection::vec(space(), n.clone()).prop_map(Request::SpaceCount),
        proptest::collection::vec(record(), n.clone()).prop_map(Request::Entry),
        proptest::collection::vec(record(), n.clone()).prop_map(Request::Exit),
        proptest::collection::vec(record(), n.clone()).prop_map(Request::Correction),
        proptest::collection::vec(charge(), n).prop_map(Request::Charge),
    ]
}

fn id_reply() -> impl Strategy<Value = IdReply> {
    (int(), opt_text(), opt_text()).prop_map(|(code, id, message)| IdReply { code, id, message })
}

fn reply() -> impl Strategy<Value = Reply> {
    let n = 1..3;
    prop_oneof![
        proptest::collection::vec(
            (int(), opt_text(), opt_text()).prop_map(|(code, message, park_code)| {
                ParkCodeReply {
                    code,
                    message,
                    park_code,
                }
            }),
            n.clone()
        )
        .prop_map(Reply::SpaceCount),
        proptest::collection::vec(id_reply(), n.clone()).prop_map(Reply::Entry),
        proptest::collection::vec(id_reply(), n.clone()).prop_map(Reply::Exit),
        proptest::collection::vec(id_reply(), n.clone()).prop_map(Reply::Correction),
        proptest::collection::vec(id_reply(), n.clone()).prop_map(Reply::Charge),
        proptest::collection::vec(id_reply(), n.clone()).prop_map(Reply::PrioritySwitch),
        proptest::collection::vec(id_reply(), n.clone()).prop_map(Reply::ControlList),
        proptest::collection::vec(
            (
                opt_text(),
                text(),
                int(),
                text(),
                proptest::option::of(int()),
                opt_text()
            )
                .prop_map(
                    |(
                        bluetooth_address,
                        book_code,
                        code,
                        message,
                        rest_reserved_stalls,
                        stall_no,
                    )| {
                        BookReply {
                            bluetooth_address,
                            book_code,
                            code,
                            message,
                            rest_reserved_stalls,
                            stall_no,
                        }
                    }
                ),
            n.clone()
        )
        .prop_map(Reply::Book),
        proptest::collection::vec(
            (text(), int(), text()).prop_map(|(book_code, code, message)| BookConfirmReply {
                book_code,
                code,
                message,
            }),
            n.clone()
        )
        .prop_map(Reply::BookConfirm),
        proptest::collection::vec(
            (int(), text(), opt_text()).prop_map(|(code, coupon_no, message)| CouponReply {
                code,
                coupon_no,
                message,
            }),
            n
        )
        .prop_map(Reply::Coupon),
    ]
}

/// serde_json's bytes of a message's `data`.
fn serde_bytes<T: serde::Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

fn serde_request(r: &Request) -> Vec<u8> {
    match r {
        Request::SpaceCount(v) => serde_bytes(v),
        Request::Entry(v) | Request::Exit(v) | Request::Correction(v) => serde_bytes(v),
        Request::Charge(v) => serde_bytes(v),
        Request::PrioritySwitch(v) => serde_bytes(v),
        Request::Book(v) => serde_bytes(v),
        Request::BookConfirm(v) => serde_bytes(v),
        _ => unreachable!(),
    }
}

fn serde_reply(r: &Reply) -> Vec<u8> {
    match r {
        Reply::SpaceCount(v) => serde_bytes(v),
        Reply::Entry(v)
        | Reply::Exit(v)
        | Reply::Correction(v)
        | Reply::Charge(v)
        | Reply::PrioritySwitch(v)
        | Reply::ControlList(v) => serde_bytes(v),
        Reply::Book(v) => serde_bytes(v),
        Reply::BookConfirm(v) => serde_bytes(v),
        Reply::Coupon(v) => serde_bytes(v),
        _ => unreachable!(),
    }
}

/// serde's reading of a request's `data` (the reference).
fn serde_read_request(cmd: Command, data: &[u8]) -> Option<Request> {
    Some(match cmd {
        Command::SpaceCount => Request::SpaceCount(serde_json::from_slice(data).ok()?),
        Command::Entry => Request::Entry(serde_json::from_slice(data).ok()?),
        Command::Exit => Request::Exit(serde_json::from_slice(data).ok()?),
        Command::Correction => Request::Correction(serde_json::from_slice(data).ok()?),
        Command::Charge => Request::Charge(serde_json::from_slice(data).ok()?),
        Command::PrioritySwitch => Request::PrioritySwitch(serde_json::from_slice(data).ok()?),
        Command::Book => Request::Book(serde_json::from_slice(data).ok()?),
        Command::BookConfirm => Request::BookConfirm(serde_json::from_slice(data).ok()?),
        _ => unreachable!(),
    })
}

fn serde_read_reply(cmd: Command, data: &[u8]) -> Option<Reply> {
    Some(match cmd {
        Command::SpaceCount => Reply::SpaceCount(serde_json::from_slice(data).ok()?),
        Command::Entry => Reply::Entry(serde_json::from_slice(data).ok()?),
        Command::Exit => Reply::Exit(serde_json::from_slice(data).ok()?),
        Command::Correction => Reply::Correction(serde_json::from_slice(data).ok()?),
        Command::Charge => Reply::Charge(serde_json::from_slice(data).ok()?),
        Command::PrioritySwitch => Reply::PrioritySwitch(serde_json::from_slice(data).ok()?),
        Command::ControlList => Reply::ControlList(serde_json::from_slice(data).ok()?),
        Command::Book => Reply::Book(serde_json::from_slice(data).ok()?),
        Command::BookConfirm => Reply::BookConfirm(serde_json::from_slice(data).ok()?),
        Command::Coupon => Reply::Coupon(serde_json::from_slice(data).ok()?),
        _ => unreachable!(),
    })
}

#[path = "support/xorshift.rs"]
mod xorshift;
use xorshift::Rng;

/// Replacement pieces that make the narrow form wider or wrong.
const PIECES: &[&[u8]] = &[
    b" ",
    b"\n",
    b"\\u0041",
    b"\\\"",
    b"null",
    b"-0",
    b"0",
    b"1.0",
    b"1e2",
    b"-",
    b".",
    b"\"",
    b",",
    b":",
    b"{",
    b"}",
    b"[",
    b"]",
    b"true",
    b"\"x\":1,",
    b"\xff",
    b"\xe7\xb2",
    b"00",
    b"99999999999999999999",
    b"1e400",
    b"0.333",
    b"\"2026-02-30 00:00:00\"",
    b"\"id\":\"x\",",
];

/// Numbers in every form serde and the hand reader might read apart.
const NUMBERS: &[&[u8]] = &[
    b"-0",
    b"0",
    b"-1",
    b"1.0",
    b"1e2",
    b"1E2",
    b"-0.0",
    b"0.10",
    b"12.345",
    b"007",
    b"1.",
    b"9223372036854775807",
    b"9223372036854775808",
    b"-9223372036854775808",
    b"-9223372036854775809",
    b"18446744073709551616",
    b"1e29",
    b"1e400",
    b"2.5e-1",
    b"\"1\"",
    b"null",
    b"true",
    b"79228162514264337593543950336",
];

/// One mutation of `b`: a byte changed, dropped, duplicated, a piece
/// inserted or put in place of a byte, a span repeated or dropped.
fn mutate(rng: &mut Rng, b: &mut Vec<u8>) {
    if b.is_empty() {
        return;
    }
    let i = rng.below(b.len());
    match rng.below(8) {
        7 => {
            // A whole number put in another form.
            let starts: Vec<usize> = (0..b.len())
                .filter(|&k| {
                    b[k] == b':'
                        && b.get(k + 1)
                            .is_some_and(|c| c.is_ascii_digit() || *c == b'-')
                })
                .map(|k| k + 1)
                .collect();
            if let Some(&at) = starts.get(rng.below(starts.len())) {
                let end = (at..b.len())
                    .find(|&k| !matches!(b[k], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                    .unwrap_or(b.len());
                let p = NUMBERS[rng.below(NUMBERS.len())];
                b.splice(at..end, p.iter().copied());
            }
        }
        0 => b[i] = b"\" ,:{}[]0123456789-.eEnul\\aA"[rng.below(28)],
        1 => {
            b.remove(i);
        }
        2 => b.insert(i, b[i]),
        3 => {
            let p = PIECES[rng.below(PIECES.len())];
            b.splice(i..i, p.iter().copied());
        }
        4 => {
            let p = PIECES[rng.below(PIECES.len())];
            b.splice(i..i + 1, p.iter().copied());
        }
        5 => {
            let j = (i + 1 + rng.below(24)).min(b.len());
            let span = b[i..j].to_vec();
            b.splice(j..j, span);
        }
        _ => {
            let j = (i + 1 + rng.below(24)).min(b.len());
            b.drain(i..j);
        }
    }
}

/// The reference answer for one input: the table check, then serde.
fn reference(cmd: Command, data: &[u8], request: bool) -> Option<Result<Request, Reply>> {
    if request {
        clean_items(request_schema(cmd), data)
            .then(|| serde_read_request(cmd, data).map(Ok))
            .flatten()
    } else {
        clean_items(reply_schema(cmd), data)
            .then(|| serde_read_reply(cmd, data).map(Err))
            .flatten()
    }
}

/// The equivalence, for one input: the one-pass reader answers exactly
/// where the table check and serde do, with serde's value.
fn agrees(cmd: Command, data: &[u8], request: bool) -> Result<(), TestCaseError> {
    let want = reference(cmd, data, request);
    if request {
        prop_assert_eq!(
            read_request(cmd, data).map(Ok),
            want,
            "{}",
            String::from_utf8_lossy(data)
        );
    } else {
        let read = read_reply(cmd, data);
        // Skimming answers exactly where reading does.
        prop_assert_eq!(
            skim_reply(cmd, data),
            read.is_some(),
            "{}",
            String::from_utf8_lossy(data)
        );
        prop_assert_eq!(read.map(Err), want, "{}", String::from_utf8_lossy(data));
    }
    Ok(())
}

/// A small deterministic hash (FNV-1a) to derive fitted values from.
fn fnv(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325, |h, &c| {
        (h ^ u64::from(c)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A value of `ty` for a required field the Rust type left out.
fn filler(ty: &Ty) -> Option<serde_json::Value> {
    use serde_json::{Value, json};
    Some(match *ty {
        Ty::Str(_) => json!("x"),
        Ty::Uuid => json!("0123456789abcdef0123456789ABCDEF"),
        Ty::Int(Some(v)) => json!(v[0]),
        Ty::Int(None) => json!(0),
        Ty::IntRange(lo, _) => json!(lo),
        Ty::Decimal => serde_json::from_str::<Value>("0.00").ok()?,
        Ty::DateTime => json!("2026-01-01 00:00:00"),
        _ => return None,
    })
}

/// Makes `v` fit `ty` (the table's rules): strings cut to their length,
/// ids made hex, ints into their enumeration or range, amounts to two
/// decimals, date-times out of range into 1970–2099, extensions dropped,
/// required fields filled.
fn fit(ty: &Ty, v: &mut serde_json::Value) {
    use serde_json::Value;
    match (*ty, &mut *v) {
        (Ty::Str(Some(max)), Value::String(s)) => *s = s.chars().take(max).collect(),
        (Ty::Uuid, Value::String(s)) => {
            let h = fnv(s.as_bytes());
            *s = format!("{h:016x}{:016X}", h.rotate_left(29));
        }
        (Ty::Int(values), Value::Number(n)) => {
            let x = n.as_i64().unwrap_or(0);
            *v = match values {
                Some(vals) => vals[x.rem_euclid(vals.len() as i64) as usize].into(),
                None => i64::from(x as i32).into(),
            };
        }
        (Ty::IntRange(lo, hi), Value::Number(n)) => {
            let x = n.as_i64().unwrap_or(0);
            *v = (lo + x.rem_euclid(hi - lo + 1)).into();
        }
        (Ty::Decimal, Value::Number(n)) => {
            let d: Decimal = n.to_string().parse().unwrap_or_default();
            let t = d.round_dp(2).to_string();
            *v = serde_json::from_str(&t).unwrap();
        }
        (Ty::DateTime, Value::String(s)) if DateTime::parse(s).is_err() => {
            let secs = (fnv(s.as_bytes()) % 4_102_444_800) as i64;
            *s = DateTime::from_secs(secs).to_string();
        }
        (Ty::Object(schema), Value::Object(m)) => {
            for f in schema.fields {
                if f.presence == Presence::Extension {
                    m.remove(f.name);
                    continue;
                }
                match m.get_mut(f.name) {
                    Some(x) => fit(&f.ty, x),
                    None if f.presence == Presence::Required => {
                        if let Some(x) = filler(&f.ty) {
                            m.insert(f.name.to_string(), x);
                        }
                    }
                    None => {}
                }
            }
        }
        (Ty::List(inner), Value::Array(a)) => a.iter_mut().for_each(|x| fit(inner, x)),
        _ => {}
    }
}

/// A `data` array's bytes made to fit `schema`'s table, written as serde
/// writes the typed items it reads back to (canonical).
fn fitted(schema: &'static Schema, data: &[u8]) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(data).unwrap();
    if let serde_json::Value::Array(items) = &mut v {
        items.iter_mut().for_each(|x| fit(&Ty::Object(schema), x));
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn requests_write_as_serde_and_read_back(req in request(), seed in any::<u64>()) {
        let want = serde_request(&req);
        prop_assert_eq!(&req.data_json(), &want);
        let mut out = b"xyz".to_vec();
        req.write_data_json(&mut out);
        prop_assert_eq!(&out[3..], &want[..]);
        let cmd = req.command();
        agrees(cmd, &want, true)?;
        prop_assert_eq!(Request::from_data_slice(cmd, &want).ok(), serde_read_request(cmd, &want));
        // And every mutation keeps the equivalence.
        let mut rng = Rng(seed | 1);
        for _ in 0..40 {
            let mut m = want.clone();
            for _ in 0..=rng.below(3) {
                mutate(&mut rng, &mut m);
            }
            agrees(cmd, &m, true)?;
            prop_assert_eq!(
                Request::from_data_slice(cmd, &m).ok(),
                serde_read_request(cmd, &m)
            );
        }
    }

    /// Values that fit their tables: written canonically and without an
    /// escape, the hand reader must answer (with the value); mutated, it
    /// keeps the equivalence.
    #[test]
    fn requests_that_fit_their_tables_read_by_hand(req in request(), seed in any::<u64>()) {
        let cmd = req.command();
        let v = fitted(request_schema(cmd).unwrap(), &serde_request(&req));
        let typed = serde_read_request(cmd, &serde_json::to_vec(&v).unwrap()).unwrap();
        let want = typed.data_json();
        if !want.contains(&b'\\') {
            prop_assert!(clean_items(request_schema(cmd), &want), "{}", String::from_utf8_lossy(&want));
            prop_assert_eq!(read_request(cmd, &want), Some(typed));
        }
        agrees(cmd, &want, true)?;
        let mut rng = Rng(seed | 1);
        for _ in 0..40 {
            let mut m = want.clone();
            for _ in 0..=rng.below(3) {
                mutate(&mut rng, &mut m);
            }
            agrees(cmd, &m, true)?;
        }
    }

    #[test]
    fn replies_that_fit_their_tables_read_by_hand(rep in reply(), seed in any::<u64>()) {
        let cmd = rep.command();
        let v = fitted(reply_schema(cmd).unwrap(), &serde_reply(&rep));
        let typed = serde_read_reply(cmd, &serde_json::to_vec(&v).unwrap()).unwrap();
        let want = typed.data_json();
        if !want.contains(&b'\\') {
            prop_assert!(clean_items(reply_schema(cmd), &want), "{}", String::from_utf8_lossy(&want));
            prop_assert!(skim_reply(cmd, &want));
            prop_assert_eq!(read_reply(cmd, &want), Some(typed));
        }
        agrees(cmd, &want, false)?;
        let mut rng = Rng(seed | 1);
        for _ in 0..40 {
            let mut m = want.clone();
            for _ in 0..=rng.below(3) {
                mutate(&mut rng, &mut m);
            }
            agrees(cmd, &m, false)?;
        }
    }

    #[test]
    fn replies_write_as_serde_and_read_back(rep in reply(), seed in any::<u64>()) {
        let want = serde_reply(&rep);
        prop_assert_eq!(&rep.data_json(), &want);
        let cmd = rep.command();
        agrees(cmd, &want, false)?;
        let mut rng = Rng(seed | 1);
        for _ in 0..40 {
            let mut m = want.clone();
            for _ in 0..=rng.below(3) {
                mutate(&mut rng, &mut m);
            }
            agrees(cmd, &m, false)?;
            prop_assert_eq!(Reply::from_data_slice(cmd, &m).ok(), serde_read_reply(cmd, &m));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn the_platforms_ok_answer_writes_as_serde(id in text()) {
        let mut out = b"[".to_vec();
        write_ok_id_reply(&id, &mut out);
        out.push(b']');
        let typed = vec![IdReply { code: 0, id: Some(id), message: Some("成功".into()) }];
        prop_assert_eq!(out, serde_json::to_vec(&typed).unwrap());
    }
}

/// parksim's own reports take the hand reader.
#[test]
fn a_typical_entry_reads_by_hand() {
    let data = r#"[{"carInfo":{"plateNo":"粤B12345"},"discount":0.00,"enterTime":"2026-01-01 08:00:00","id":"0123456789abcdef0123456789abcdef","inEquipmentId":"000000000000000000000000000000e0","receivables":0.00,"received":0.00,"stallNo":"12"}]"#.as_bytes();
    let r = read_request(Command::Entry, data).expect("read by hand");
    assert_eq!(Some(r), serde_read_request(Command::Entry, data));
    // A space, an escape, a key out of order: serde's turn.
    for bad in [
        &br#"[{"carInfo":{"plateNo":"B1"}, "discount":0.00,"enterTime":"2026-01-01 08:00:00","id":"x","receivables":0,"received":0}]"#[..],
        br#"[{"carInfo":{"plateNo":"\u0042"},"discount":0.00,"enterTime":"2026-01-01 08:00:00","id":"x","receivables":0,"received":0}]"#,
        br#"[{"discount":0.00,"carInfo":{"plateNo":"B1"},"enterTime":"2026-01-01 08:00:00","id":"x","receivables":0,"received":0}]"#,
    ] {
        assert_eq!(read_request(Command::Entry, bad), None);
        assert!(serde_read_request(Command::Entry, bad).is_some());
    }
    // Canonical and read by serde, but the table refuses or remarks: an id
    // that is no Uuid, a car model outside 1–3, three decimals, a plate of
    // 11 characters, a required field null, an empty array. The full
    // reader's turn.
    let text = std::str::from_utf8(data).unwrap();
    for (from, to) in [
        (
            "\"id\":\"0123456789abcdef0123456789abcdef\"",
            "\"id\":\"x\"",
        ),
        ("{\"plateNo\"", "{\"carModel\":7,\"plateNo\""),
        ("\"discount\":0.00", "\"discount\":0.001"),
        ("粤B12345", "粤B1234567890"),
        ("\"stallNo\":\"12\"", "\"stallNo\":null"),
    ] {
        let bad = text.replacen(from, to, 1);
        assert_ne!(bad, text);
        assert!(
            serde_read_request(Command::Entry, bad.as_bytes()).is_some(),
            "{bad}"
        );
        let clean = clean_items(request_schema(Command::Entry), bad.as_bytes());
        // `stallNo` is optional: null passes both.
        assert_eq!(
            read_request(Command::Entry, bad.as_bytes()).is_some(),
            clean,
            "{bad}"
        );
        assert_eq!(clean, from.contains("stallNo"), "{bad}");
    }
    let required_null = text.replacen("\"received\":0.00", "\"received\":null", 1);
    assert!(!clean_items(
        request_schema(Command::Entry),
        required_null.as_bytes()
    ));
    assert_eq!(read_request(Command::Entry, required_null.as_bytes()), None);
    assert_eq!(read_request(Command::Entry, b"[]"), None);
    assert!(serde_read_request(Command::Entry, b"[]").is_some());
    // Another interface: not a hot item.
    assert_eq!(read_request(Command::Coupon, b"[]"), None);
}

/// What a reply's table says about presence, where the Rust type is more
/// lenient: `id` is required in table 26 (5004's reply) but optional in
/// table 30 (5005's), and `bluetoothAddress` is an extension (present: a
/// deviation; `null`: nothing). serde reads all of these; the hand reader
/// only what the table check finds clean.
#[test]
fn replies_follow_their_tables_presence_rules() {
    let cases: &[(Command, &str, bool)] = &[
        (
            Command::Entry,
            r#"[{"code":0,"id":"0123456789abcdef0123456789abcdef","message":"成功"}]"#,
            true,
        ),
        (
            Command::Entry,
            r#"[{"code":0,"id":null,"message":"成功"}]"#,
            false,
        ),
        (Command::Entry, r#"[{"code":0,"message":"成功"}]"#, false),
        (
            Command::Exit,
            r#"[{"code":0,"id":null,"message":"成功"}]"#,
            true,
        ),
        (Command::Exit, r#"[{"code":0,"message":"成功"}]"#, true),
        (
            Command::Exit,
            r#"[{"code":0,"id":"x","message":"成功"}]"#,
            false,
        ),
        (
            Command::Book,
            r#"[{"bookCode":"B1","code":0,"message":"ok"}]"#,
            true,
        ),
        (
            Command::Book,
            r#"[{"bluetoothAddress":null,"bookCode":"B1","code":0,"message":"ok"}]"#,
            true,
        ),
        (
            Command::Book,
            r#"[{"bluetoothAddress":"AA:BB","bookCode":"B1","code":0,"message":"ok"}]"#,
            false,
        ),
        (
            Command::Book,
            r#"[{"bookCode":"B1","code":0,"message":null}]"#,
            false,
        ),
    ];
    for &(cmd, data, clean) in cases {
        let data = data.as_bytes();
        let show = String::from_utf8_lossy(data);
        assert_eq!(clean_items(reply_schema(cmd), data), clean, "{cmd} {show}");
        assert_eq!(read_reply(cmd, data).is_some(), clean, "{cmd} {show}");
        assert_eq!(skim_reply(cmd, data), clean, "{cmd} {show}");
        if clean {
            assert_eq!(
                read_reply(cmd, data),
                serde_read_reply(cmd, data),
                "{cmd} {show}"
            );
        }
    }
}
