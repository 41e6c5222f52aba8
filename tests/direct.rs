//! The hand reader and writer of the hot items (`proto::direct`: 5003–5006,
//! 5008, 7001, 6001, 6002 and the replies to these and to 4001, 4002) against
//! serde_json, the reference:
//! - writing: the same bytes as `serde_json::to_vec` for every generated
//!   value (strings with escapes and CJK, amounts of any scale and sign,
//!   date-times outside 0000–9999, options present and absent);
//! - reading: for those bytes, and for every mutation of them, the hand
//!   reader answers only where serde reads, and then the same value; on
//!   parksim's own canonical bytes it must answer (or it is dead weight).

use parksim::proto::Command;
use parksim::proto::direct::{read_reply, read_request, skim_reply, write_ok_id_reply};
use parksim::proto::messages::*;
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

/// The implication, for one input.
fn agrees(cmd: Command, data: &[u8], request: bool) -> Result<(), TestCaseError> {
    if request {
        if let Some(v) = read_request(cmd, data) {
            prop_assert_eq!(
                Some(v),
                serde_read_request(cmd, data),
                "{}",
                String::from_utf8_lossy(data)
            );
        }
    } else {
        let read = read_reply(cmd, data);
        // Skimming answers exactly where reading does.
        prop_assert_eq!(
            skim_reply(cmd, data),
            read.is_some(),
            "{}",
            String::from_utf8_lossy(data)
        );
        if let Some(v) = read {
            prop_assert_eq!(
                Some(v),
                serde_read_reply(cmd, data),
                "{}",
                String::from_utf8_lossy(data)
            );
        }
    }
    Ok(())
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
        // Canonical bytes: the hand reader answers, as serde does.
        let serde = serde_read_request(cmd, &want);
        let direct = read_request(cmd, &want);
        let escaped = want.contains(&b'\\');
        if !escaped && serde.is_some() {
            prop_assert!(direct.is_some(), "{}", String::from_utf8_lossy(&want));
        }
        agrees(cmd, &want, true)?;
        prop_assert_eq!(Request::from_data_slice(cmd, &want).ok(), serde);
        // And every mutation keeps the implication.
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

    #[test]
    fn replies_write_as_serde_and_read_back(rep in reply(), seed in any::<u64>()) {
        let want = serde_reply(&rep);
        prop_assert_eq!(&rep.data_json(), &want);
        let cmd = rep.command();
        let serde = serde_read_reply(cmd, &want);
        if !want.contains(&b'\\') && serde.is_some() {
            prop_assert!(read_reply(cmd, &want).is_some());
        }
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
    // Another interface: not a hot item.
    assert_eq!(read_request(Command::Coupon, b"[]"), None);
}
