//! Every interface, request and reply: typed → canonical JSON → signed
//! envelope → SZTC frame → stream decoder (fed in pieces) → envelope
//! check in strict mode → the same typed value.

use parksim::proto::codec::FrameDecoder;
use parksim::proto::envelope::{self, SignStatus};
use parksim::proto::messages::*;
use parksim::proto::time::DateTime;
use parksim::proto::{Command, Direction, Mode, ResultCode, SignAlgo, sign};

fn t(s: &str) -> DateTime {
    DateTime::parse(s).unwrap()
}

fn car() -> ParkCarInfo {
    ParkCarInfo {
        car_color: Some("白色".into()),
        car_model: Some(3),
        plate_color: Some("蓝色".into()),
        plate_no: "粤B88888".into(),
    }
}

const PARK: &str = "44030400100101000010";
const ID: &str = "c78e319dab604a268842acf164774592";

fn charging() -> ChargingStandard {
    ChargingStandard {
        charger: "深圳市某停车管理有限公司".into(),
        complaint_tel: "12358".into(),
        items: vec![ChargeItem {
            charge_desc: "第一小时 15.00 元，第二小时起 3.00 元/小时，每天最高收费 60.00 元".into(),
            charge_item: "小车临时停放".into(),
        }],
        park_code: PARK.into(),
        permit_no: "663434".into(),
        pricing: 3,
        pricing_sign: None,
        region: 2,
        remark: Some("".into()),
    }
}

fn record(leave: bool) -> ParkRecordInfo {
    ParkRecordInfo {
        car_info: car(),
        charge_id_list: leave.then(|| vec![ID.to_string()]),
        discount: Amount::new(500),
        enter_time: t("2018-01-01 01:01:01"),
        id: ID.into(),
        in_equipment_id: Some("c78e319dab604a268842acf164774591".into()),
        leave_time: leave.then(|| t("2018-01-01 04:01:01")),
        out_equipment_id: None,
        park_code: Some(PARK.into()),
        receivables: Amount::new(2000),
        received: Amount::new(1500),
        stall_no: Some("4403040010010100001000B1A108".into()),
    }
}

fn requests() -> Vec<Request> {
    vec![
        Request::LoginHttp(vec![LoginRequest {
            callback_server: Some("https://garage.example/cb".into()),
            online_order_url: None,
            password: "k5WbHqyaHus=".into(),
            user_id: "garage-1".into(),
        }]),
        Request::RefreshToken(vec![RefreshRequest {
            access_token: "a".repeat(40),
            password: "k5WbHqyaHus=".into(),
            user_id: "garage-1".into(),
        }]),
        Request::LogoutHttp(vec![LogoutRequest {
            access_token: "a".repeat(40),
        }]),
        Request::LoginTcp(vec![TcpLoginRequest {
            password: "k5WbHqyaHus=".into(),
            user_id: "garage-1".into(),
        }]),
        Request::LogoutTcp(vec![]),
        Request::Heartbeat(vec![]),
        Request::ParkInfo(vec![ParkInfoUpload {
            park_info: ParkInfo {
                address: Some("广东省深圳市福田区百花五路".into()),
                charging: charging(),
                indust_author_info: None,
                latitude: 22.55,
                longitude: 114.08,
                map_image: None,
                operator_id: "OP00000001".into(),
                park_code: PARK.into(),
                park_name: "儿童医院停车场".into(),
                public_info: "全天 24 小时".into(),
                reservable_stalls: 60,
                road_name: Some("百花五路".into()),
                service_type: 3,
                shenzhen_h: None,
                shenzhen_x: Some(29988.789),
                shenzhen_y: Some(91168.5851),
                stagger_stalls: None,
                total_stalls: None,
            },
            status: 1,
        }]),
        Request::EntranceInfo(vec![EntranceUpload {
            entrance_exit_info: EntranceInfo {
                garage_code: None,
                id: "90731c48a7ea4c27bd4d57ff0e13d0d5".into(),
                latitude: 22.55,
                longitude: 114.08,
                name: "入口 A".into(),
                park_code: PARK.into(),
                road_name: None,
                kind: 1,
            },
            status: 1,
        }]),
        Request::ChargingStandard(vec![charging()]),
        Request::SpaceCount(vec![ParkSpaceInfo {
            park_code: PARK.into(),
            reserved_stalls: Some(10),
            unused_stalls: 60,
            used_stalls: 240,
        }]),
        Request::Entry(vec![record(false)]),
        Request::Exit(vec![record(true)]),
        Request::Correction(vec![record(false), record(true)]),
        Request::Charge(vec![ParkChargeInfo {
            car_info: car(),
            discount: Amount::new(1100),
            id: "ff8080814d9be81f014d9beb81090003".into(),
            list_discounts: Some(vec![DiscountRecord {
                channel_org_code: Some("91440300MA5EXAMPLE".into()),
                coupon_no: Some("35238475923475".into()),
                coupon_type: 1,
                coupon_value: Amount::new(1100),
                discount_channel: Some("预约平台".into()),
                id: "111180814d9be81f014d9beb81090003".into(),
            }]),
            order_no: Some("8882018010199001".into()),
            pay_from: "线下缴费".into(),
            pay_time: t("2018-01-01 04:00:00"),
            pay_type: 2,
            receivables: Amount::new(2100),
            received: Amount::new(1000),
            record_id: ID.into(),
        }]),
        Request::PrioritySwitch(vec![PrioritySwitch {
            id: "b76238df0890486da2c1c8b32d75f15a".into(),
            operate_type: 1,
            park_code: PARK.into(),
            remark: Some("schedule 07:30".into()),
            time: t("2018-01-01 07:30:00"),
        }]),
        Request::ControlList(vec![ControlListDownlink {
            black_white_gray_sheet: BlackWhiteGraySheet {
                begin_date: None,
                car_info: car(),
                end_date: t("2020-01-01 00:00:00"),
                id: "ff8080814d9be81f014d9beb81090003".into(),
                park_code: PARK.into(),
                strategy_from: "预约平台".into(),
                strategy_type: 3,
            },
            status: 1,
        }]),
        Request::Coupon(vec![CouponDownlink {
            channel_org_code: None,
            coupon_no: "35238475923475".into(),
            coupon_type: 3,
            coupon_value: Amount::new(30),
            discount_channel: Some("XXX".into()),
            plate_no: "粤B88888".into(),
            time: t("2018-01-01 01:01:01"),
        }]),
        Request::Book(vec![BookRequest {
            book_code: "YD201801061235241240001".into(),
            book_time: t("2018-01-06 15:32:25"),
            car_info: car(),
            obligat_time: 30,
            operate_type: 1,
            over_time: t("2018-01-06 16:32:25"),
            park_code: PARK.into(),
        }]),
        Request::BookConfirm(vec![BookConfirmRequest {
            book_code: "YD201801061235241240001".into(),
            confirm_status: 1,
            park_code: PARK.into(),
        }]),
    ]
}

fn ok() -> Option<String> {
    Some("成功".into())
}

fn id_reply() -> IdReply {
    IdReply {
        code: 0,
        id: Some(ID.into()),
        message: ok(),
    }
}

fn replies() -> Vec<Reply> {
    vec![
        Reply::LoginHttp(vec![LoginReply {
            access_token: "a".repeat(40),
            code: 0,
            expires_in: 7200,
            message: ok(),
            refresh_token: "r".repeat(40),
            scope: "default".into(),
            token_type: "bearer".into(),
        }]),
        Reply::RefreshToken(vec![RefreshReply {
            access_token: "a".repeat(40),
            code: 0,
            expires_in: 7200,
            id: "b38080814d9be81f014d9beb8109033a".into(),
            message: ok(),
            refresh_token: "r".repeat(40),
            token_type: "bearer".into(),
        }]),
        Reply::LogoutHttp(vec![CodeReply {
            code: 0,
            message: ok(),
        }]),
        Reply::LoginTcp(vec![CodeReply {
            code: 3001,
            message: Some("用户名或密码错误".into()),
        }]),
        Reply::LogoutTcp(vec![]),
        Reply::Heartbeat(vec![]),
        Reply::ParkInfo(vec![ParkCodeReply {
            code: 0,
            message: ok(),
            park_code: Some(PARK.into()),
        }]),
        Reply::EntranceInfo(vec![id_reply()]),
        Reply::ChargingStandard(vec![PermitReply {
            code: 0,
            message: ok(),
            permit_no: "663434".into(),
        }]),
        Reply::SpaceCount(vec![ParkCodeReply {
            code: 0,
            message: None,
            park_code: None,
        }]),
        Reply::Entry(vec![id_reply()]),
        Reply::Exit(vec![IdReply {
            code: 0,
            id: None,
            message: None,
        }]),
        Reply::Correction(vec![id_reply()]),
        Reply::Charge(vec![id_reply()]),
        Reply::PrioritySwitch(vec![id_reply()]),
        Reply::ControlList(vec![id_reply()]),
        Reply::Coupon(vec![CouponReply {
            code: 0,
            coupon_no: "35238475923475".into(),
            message: ok(),
        }]),
        Reply::Book(vec![BookReply {
            bluetooth_address: None,
            book_code: "YD201801061235241240001".into(),
            code: 0,
            message: "成功".into(),
            rest_reserved_stalls: Some(14),
            stall_no: Some("4403040010010100001000B1A108".into()),
        }]),
        Reply::BookConfirm(vec![BookConfirmReply {
            book_code: "YD201801061235241240001".into(),
            code: 1104,
            message: "预订订单不存在".into(),
        }]),
    ]
}

#[test]
fn samples_cover_every_interface() {
    let req: Vec<Command> = requests().iter().map(Request::command).collect();
    let rep: Vec<Command> = replies().iter().map(Reply::command).collect();
    for c in Command::ALL {
        assert!(req.contains(&c), "request {c}");
        assert!(rep.contains(&c), "reply {c}");
    }
}

#[test]
fn every_message_serializes_canonically() {
    // Fields are declared in key order, so serde's output is canonical.
    for r in requests() {
        let data = r.data_json();
        assert_eq!(
            sign::canonical_from_slice(&data).unwrap(),
            data,
            "{}",
            r.command()
        );
    }
    for r in replies() {
        let data = r.data_json();
        assert_eq!(
            sign::canonical_from_slice(&data).unwrap(),
            data,
            "{}",
            r.command()
        );
    }
}

fn feed_in_pieces(bytes: &[u8], piece: usize) -> Vec<parksim::proto::codec::OwnedFrame> {
    let mut d = FrameDecoder::new();
    let mut out = Vec::new();
    for c in bytes.chunks(piece) {
        d.feed(c);
        while let Some(f) = d.decode().unwrap() {
            out.push(f);
        }
    }
    assert_eq!(d.decode_eof().unwrap(), None);
    out
}

#[test]
fn every_request_round_trips_through_a_frame() {
    for algo in [SignAlgo::Sha1, SignAlgo::Md5] {
        let reqs = requests();
        let mut stream = Vec::new();
        for (i, r) in reqs.iter().enumerate() {
            stream.extend(envelope::request_frame(
                r,
                i as u32 + 1,
                1_700_000_000 + i as i64,
                algo,
            ));
        }
        for piece in [1, 5, 64, stream.len()] {
            let frames = feed_in_pieces(&stream, piece);
            assert_eq!(frames.len(), reqs.len());
            for (i, (f, r)) in frames.iter().zip(&reqs).enumerate() {
                assert_eq!(f.packet_no, i as u32 + 1);
                assert_eq!(f.command, r.command().code());
                assert_eq!(f.direction, Direction::Request);
                let d = envelope::decode(f.command, f.direction, &f.data, algo, Mode::Strict);
                assert_eq!(d.sign, SignStatus::Valid, "{}", r.command());
                assert!(d.accepted(), "{}: {:?}", r.command(), d.errors);
                assert_eq!(d.timestamp, Some(1_700_000_000 + i as i64));
                assert_eq!(&d.typed_request().unwrap().unwrap(), r);
            }
        }
    }
}

#[test]
fn every_reply_round_trips_through_a_frame() {
    for (i, r) in replies().iter().enumerate() {
        let bytes = envelope::reply_frame(r, ResultCode::Ok, 77 + i as u32, 1_700_000_000);
        let frames = feed_in_pieces(&bytes, 3);
        assert_eq!(frames.len(), 1);
        let f = &frames[0];
        assert_eq!(
            (f.packet_no, f.direction),
            (77 + i as u32, Direction::Reply)
        );
        let d = envelope::decode(
            f.command,
            f.direction,
            &f.data,
            SignAlgo::Sha1,
            Mode::Strict,
        );
        assert!(d.accepted(), "{}: {:?}", r.command(), d.errors);
        assert_eq!(d.result_code, Some(0));
        assert_eq!(&d.typed_reply().unwrap().unwrap(), r);
    }
}

#[test]
fn a_tampered_body_fails_the_sign() {
    let r = &requests()[10];
    let frame = envelope::request_frame(r, 1, 1_700_000_000, SignAlgo::Sha1);
    let f = &feed_in_pieces(&frame, 1000)[0];
    let tampered = String::from_utf8(f.data.clone())
        .unwrap()
        .replace("20.00", "2.00");
    let d = envelope::decode(
        f.command,
        f.direction,
        tampered.as_bytes(),
        SignAlgo::Sha1,
        Mode::Lenient,
    );
    assert_eq!(d.sign, SignStatus::Invalid);
    assert_eq!(d.result, ResultCode::Format);
    assert!(!d.accepted());
}

#[test]
fn amounts_have_two_decimals() {
    let r = Request::Charge(vec![]);
    assert_eq!(r.data_json(), b"[]");
    let json = String::from_utf8(requests()[13].data_json()).unwrap();
    assert!(json.contains("\"receivables\":21.00"), "{json}");
    assert!(json.contains("\"couponValue\":11.00"), "{json}");
    assert_eq!(Amount(rust_decimal::Decimal::new(5, 0)).to_string(), "5.00");
    assert_eq!(
        Amount(rust_decimal::Decimal::new(12345, 3)).to_string(),
        "12.35"
    );
}
