//! The standard's field tables (2–11 for objects, 15–42 for requests and
//! replies) as [`Schema`] data, and which table a command's request and
//! reply items follow.

use super::*;

const fn f(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        presence: Presence::Required,
    }
}

const fn o(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        presence: Presence::Optional,
    }
}

const fn x(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        presence: Presence::Extension,
    }
}

const STR: Ty = Ty::Str(None);
const INT: Ty = Ty::Int(None);
const LON: Ty = Ty::Double(-180.0, 180.0);
const LAT: Ty = Ty::Double(-90.0, 90.0);
const CODE: Field = f("code", INT);
const MESSAGE: Field = o("message", Ty::Str(Some(255)));
const MESSAGE_REQ: Field = f("message", Ty::Str(Some(255)));
const STATUS: Field = f("status", Ty::Int(Some(&[1, 2])));
const COUPON_TYPES: &[i64] = &[0, 1, 2, 3, 4];

/// Table 2 `parkInfo`.
pub static PARK_INFO: Schema = Schema::new(
    "parkInfo",
    2,
    &[
        f("parkCode", Ty::Str(Some(20))),
        f("parkName", Ty::Str(Some(255))),
        f("charging", Ty::Object(&CHARGING_STANDARD)),
        o("roadName", Ty::Str(Some(10))),
        o("address", Ty::Str(Some(255))),
        f("reservableStalls", Ty::IntRange(0, i32::MAX as i64)),
        f("longitude", LON),
        f("latitude", LAT),
        o("shenzhenX", Ty::Double(f64::MIN, f64::MAX)),
        o("shenzhenY", Ty::Double(f64::MIN, f64::MAX)),
        o("shenzhenH", Ty::Double(f64::MIN, f64::MAX)),
        f("operatorId", Ty::Str(Some(10))),
        f("serviceType", Ty::Int(Some(&[1, 2, 3, 4, 5, 6, 7, 8]))),
        o("industAuthorInfo", Ty::Str(Some(50))),
        f("publicInfo", Ty::Str(Some(200))),
        o("mapImage", STR),
        x("totalStalls", Ty::IntRange(0, i32::MAX as i64)),
        x("staggerStalls", Ty::IntRange(0, i32::MAX as i64)),
    ],
);

/// Table 3 `chargingStandard` (also the 3005 request).
pub static CHARGING_STANDARD: Schema = Schema::new(
    "chargingStandard",
    3,
    &[
        f("parkCode", Ty::Str(Some(20))),
        f("permitNo", Ty::Str(Some(6))),
        f("charger", Ty::Str(Some(100))),
        f("pricing", Ty::Int(Some(&[1, 2, 3]))),
        f("region", Ty::Int(Some(&[1, 2, 3]))),
        f("complaintTel", Ty::Str(Some(5))),
        o("remark", Ty::Str(Some(500))),
        o("pricingSign", STR),
        f("items", Ty::List(&Ty::Object(&CHARGE_ITEM))),
    ],
);

/// Table 4 `chargeItem`.
pub static CHARGE_ITEM: Schema = Schema::new(
    "chargeItem",
    4,
    &[
        f("chargeItem", Ty::Str(Some(20))),
        f("chargeDesc", Ty::Str(Some(100))),
    ],
);

/// Table 5 `entranceInfo`.
pub static ENTRANCE_INFO: Schema = Schema::new(
    "entranceInfo",
    5,
    &[
        f("id", Ty::Uuid),
        f("name", Ty::Str(Some(10))),
        f("parkCode", Ty::Str(Some(20))),
        o("roadName", Ty::Str(Some(10))),
        f("type", Ty::Int(Some(&[1, 2, 3]))),
        f("longitude", LON),
        f("latitude", LAT),
    ],
);

/// Table 6 `parkCarInfo`.
pub static PARK_CAR_INFO: Schema = Schema::new(
    "parkCarInfo",
    6,
    &[
        f("plateNo", Ty::Str(Some(10))),
        o("plateColor", Ty::Str(Some(3))),
        o("carColor", Ty::Str(Some(3))),
        o("carModel", Ty::Int(Some(&[1, 2, 3]))),
    ],
);

/// Table 7 `parkRecordInfo` (the 5004, 5005 and 5006 requests).
pub static PARK_RECORD_INFO: Schema = Schema::new(
    "parkRecordInfo",
    7,
    &[
        f("id", Ty::Uuid),
        o("parkCode", Ty::Str(Some(20))),
        o("stallNo", Ty::Str(Some(28))),
        f("carInfo", Ty::Object(&PARK_CAR_INFO)),
        f("enterTime", Ty::DateTime),
        o("inEquipmentId", Ty::Uuid),
        o("leaveTime", Ty::DateTime),
        o("outEquipmentId", Ty::Uuid),
        o("chargeIdList", Ty::List(&Ty::Uuid)),
        f("receivables", Ty::Decimal),
        f("discount", Ty::Decimal),
        f("received", Ty::Decimal),
    ],
);

/// Table 8 `parkChargeInfo` (the 5008 request).
pub static PARK_CHARGE_INFO: Schema = Schema::new(
    "parkChargeInfo",
    8,
    &[
        f("id", Ty::Uuid),
        o("orderNo", Ty::Str(Some(50))),
        f("recordId", Ty::Uuid),
        f("carInfo", Ty::Object(&PARK_CAR_INFO)),
        f("payTime", Ty::DateTime),
        f("receivables", Ty::Decimal),
        f("discount", Ty::Decimal),
        f("received", Ty::Decimal),
        f("payType", Ty::Int(Some(&[1, 2, 3, 4, 5, 6]))),
        f("payFrom", Ty::Str(Some(10))),
        o("listDiscounts", Ty::List(&Ty::Object(&DISCOUNT_RECORD))),
    ],
);

/// Table 9 `discountRecord`.
pub static DISCOUNT_RECORD: Schema = Schema::new(
    "discountRecord",
    9,
    &[
        f("id", Ty::Uuid),
        o("couponNo", Ty::Str(Some(20))),
        f("couponType", Ty::Int(Some(COUPON_TYPES))),
        f("couponValue", Ty::Decimal),
        o("discountChannel", Ty::Str(Some(100))),
        o("channelOrgCode", Ty::Str(Some(18))),
    ],
);

/// Table 10 `blackWhiteGraySheet`.
pub static BLACK_WHITE_GRAY_SHEET: Schema = Schema::new(
    "blackWhiteGraySheet",
    10,
    &[
        f("id", Ty::Uuid),
        f("parkCode", Ty::Str(Some(20))),
        f("carInfo", Ty::Object(&PARK_CAR_INFO)),
        f("strategyType", Ty::Int(Some(&[1, 2, 3, 4, 5]))),
        o("beginDate", Ty::DateTime),
        f("endDate", Ty::DateTime),
        f("strategyFrom", Ty::Str(Some(50))),
    ],
);

/// Table 11 `parkSpaceInfo` (the 5003 request).
pub static PARK_SPACE_INFO: Schema = Schema::new(
    "parkSpaceInfo",
    11,
    &[
        f("parkCode", Ty::Str(Some(20))),
        f("usedStalls", Ty::IntRange(0, i32::MAX as i64)),
        f("unusedStalls", Ty::IntRange(0, i32::MAX as i64)),
        o("reservedStalls", Ty::IntRange(0, i32::MAX as i64)),
    ],
);

/// Table 15: 1001 request.
pub static LOGIN_HTTP_REQ: Schema = Schema::new(
    "1001 request",
    15,
    &[
        f("userId", Ty::Str(Some(32))),
        f("password", Ty::Str(Some(64))),
        o("callbackServer", Ty::Str(Some(200))),
        o("onlineOrderUrl", Ty::Str(Some(512))),
    ],
);

/// Table 16: 1001 reply.
pub static LOGIN_HTTP_REP: Schema = Schema::new(
    "1001 reply",
    16,
    &[
        CODE,
        MESSAGE,
        f("scope", STR),
        f("tokenType", STR),
        f("expiresIn", INT),
        f("accessToken", STR),
        f("refreshToken", STR),
    ],
);

/// Table 17: 1002 request.
pub static REFRESH_REQ: Schema = Schema::new(
    "1002 request",
    17,
    &[
        f("userId", Ty::Str(Some(32))),
        f("password", Ty::Str(Some(64))),
        f("accessToken", STR),
    ],
);

/// Table 18: 1002 reply.
pub static REFRESH_REP: Schema = Schema::new(
    "1002 reply",
    18,
    &[
        f("id", Ty::Uuid),
        CODE,
        MESSAGE,
        f("tokenType", STR),
        f("expiresIn", INT),
        f("accessToken", STR),
        f("refreshToken", STR),
    ],
);

/// Table 19: 1003 request.
pub static LOGOUT_HTTP_REQ: Schema = Schema::new("1003 request", 19, &[f("accessToken", STR)]);

/// Tables 20 and 22: a bare code and message (1003, 1004 replies).
pub static CODE_REP: Schema = Schema::new("code reply", 20, &[CODE, MESSAGE]);

/// Table 21: 1004 request.
pub static LOGIN_TCP_REQ: Schema = Schema::new(
    "1004 request",
    21,
    &[
        f("userId", Ty::Str(Some(32))),
        f("password", Ty::Str(Some(64))),
    ],
);

/// Table 23: 3001 request.
pub static PARK_INFO_REQ: Schema = Schema::new(
    "3001 request",
    23,
    &[f("parkInfo", Ty::Object(&PARK_INFO)), STATUS],
);

/// Table 24: 3001 reply.
pub static PARK_INFO_REP: Schema = Schema::new(
    "3001 reply",
    24,
    &[f("parkCode", Ty::Str(Some(20))), CODE, MESSAGE],
);

/// Table 25: 3002 request (the object is table 5, under the key
/// `entranceExitInfo`).
pub static ENTRANCE_REQ: Schema = Schema::new(
    "3002 request",
    25,
    &[
        f("entranceExitInfo", Ty::Object(&ENTRANCE_INFO_3002)),
        STATUS,
    ],
);

/// Table 5 as the 3002 example sends it: with an extra `garageCode`.
pub static ENTRANCE_INFO_3002: Schema = Schema::new(
    "entranceExitInfo",
    5,
    &[
        f("id", Ty::Uuid),
        f("name", Ty::Str(Some(10))),
        f("parkCode", Ty::Str(Some(20))),
        x("garageCode", Ty::Str(Some(22))),
        o("roadName", Ty::Str(Some(10))),
        f("type", Ty::Int(Some(&[1, 2, 3]))),
        f("longitude", LON),
        f("latitude", LAT),
    ],
);

/// Tables 26, 29, 32, 34: id (required), code, message.
pub static ID_REP: Schema = Schema::new("id reply", 26, &[f("id", Ty::Uuid), CODE, MESSAGE]);

/// Tables 30, 31, 36: id (optional), code, message.
pub static OPT_ID_REP: Schema = Schema::new("id reply", 30, &[o("id", Ty::Uuid), CODE, MESSAGE]);

/// Table 27: 3005 reply.
pub static PERMIT_REP: Schema = Schema::new(
    "3005 reply",
    27,
    &[f("permitNo", Ty::Str(Some(6))), CODE, MESSAGE],
);

/// Table 28: 5003 reply.
pub static SPACE_REP: Schema = Schema::new(
    "5003 reply",
    28,
    &[o("parkCode", Ty::Str(Some(20))), CODE, MESSAGE],
);

/// Table 33: 7001 request.
pub static PRIORITY_REQ: Schema = Schema::new(
    "7001 request",
    33,
    &[
        f("id", Ty::Uuid),
        f("parkCode", Ty::Str(Some(20))),
        f("time", Ty::DateTime),
        f("operateType", Ty::Int(Some(&[0, 1]))),
        o("remark", Ty::Str(Some(200))),
    ],
);

/// Table 35: 4001 request.
pub static CONTROL_LIST_REQ: Schema = Schema::new(
    "4001 request",
    35,
    &[
        f("blackWhiteGraySheet", Ty::Object(&BLACK_WHITE_GRAY_SHEET)),
        STATUS,
    ],
);

/// Table 37: 4002 request.
pub static COUPON_REQ: Schema = Schema::new(
    "4002 request",
    37,
    &[
        f("couponNo", Ty::Str(Some(20))),
        f("plateNo", Ty::Str(Some(10))),
        f("couponType", Ty::Int(Some(COUPON_TYPES))),
        f("couponValue", Ty::ExactDouble(0.0, f64::MAX)),
        f("time", Ty::DateTime),
        o("discountChannel", Ty::Str(Some(100))),
        o("channelOrgCode", Ty::Str(Some(18))),
    ],
);

/// Table 38: 4002 reply.
pub static COUPON_REP: Schema = Schema::new(
    "4002 reply",
    38,
    &[f("couponNo", Ty::Str(Some(20))), CODE, MESSAGE],
);

/// Table 39: 6001 request.
pub static BOOK_REQ: Schema = Schema::new(
    "6001 request",
    39,
    &[
        f("bookCode", Ty::Str(Some(50))),
        f("parkCode", Ty::Str(Some(20))),
        f("carInfo", Ty::Object(&PARK_CAR_INFO)),
        f("bookTime", Ty::DateTime),
        f("overTime", Ty::DateTime),
        f("obligatTime", Ty::IntRange(0, i32::MAX as i64)),
        f("operateType", Ty::Int(Some(&[1, 2]))),
    ],
);

/// Table 40: 6001 reply.
pub static BOOK_REP: Schema = Schema::new(
    "6001 reply",
    40,
    &[
        f("bookCode", Ty::Str(Some(50))),
        CODE,
        MESSAGE_REQ,
        o("stallNo", Ty::Str(Some(28))),
        o("restReservedStalls", Ty::IntRange(0, i32::MAX as i64)),
        x("bluetoothAddress", STR),
    ],
);

/// Table 41: 6002 request.
pub static BOOK_CONFIRM_REQ: Schema = Schema::new(
    "6002 request",
    41,
    &[
        f("bookCode", Ty::Str(Some(50))),
        f("parkCode", Ty::Str(Some(20))),
        f("confirmStatus", Ty::Int(Some(&[0, 1]))),
    ],
);

/// Table 42: 6002 reply.
pub static BOOK_CONFIRM_REP: Schema = Schema::new(
    "6002 reply",
    42,
    &[f("bookCode", Ty::Str(Some(50))), CODE, MESSAGE_REQ],
);

/// The schema of one request item of `cmd` (`None`: 1005 and 1006, whose
/// `data` is empty).
pub fn request_schema(cmd: Command) -> Option<&'static Schema> {
    use Command::*;
    Some(match cmd {
        LoginHttp => &LOGIN_HTTP_REQ,
        RefreshToken => &REFRESH_REQ,
        LogoutHttp => &LOGOUT_HTTP_REQ,
        LoginTcp => &LOGIN_TCP_REQ,
        LogoutTcp | Heartbeat => return None,
        ParkInfo => &PARK_INFO_REQ,
        EntranceInfo => &ENTRANCE_REQ,
        ChargingStandard => &CHARGING_STANDARD,
        SpaceCount => &PARK_SPACE_INFO,
        Entry | Exit | Correction => &PARK_RECORD_INFO,
        Charge => &PARK_CHARGE_INFO,
        PrioritySwitch => &PRIORITY_REQ,
        ControlList => &CONTROL_LIST_REQ,
        Coupon => &COUPON_REQ,
        Book => &BOOK_REQ,
        BookConfirm => &BOOK_CONFIRM_REQ,
    })
}

/// The schema of one reply item of `cmd` (`None`: 1005 and 1006).
pub fn reply_schema(cmd: Command) -> Option<&'static Schema> {
    use Command::*;
    Some(match cmd {
        LoginHttp => &LOGIN_HTTP_REP,
        RefreshToken => &REFRESH_REP,
        LogoutHttp | LoginTcp => &CODE_REP,
        LogoutTcp | Heartbeat => return None,
        ParkInfo => &PARK_INFO_REP,
        EntranceInfo | Entry | Charge | PrioritySwitch => &ID_REP,
        Exit | Correction | ControlList => &OPT_ID_REP,
        ChargingStandard => &PERMIT_REP,
        SpaceCount => &SPACE_REP,
        Coupon => &COUPON_REP,
        Book => &BOOK_REP,
        BookConfirm => &BOOK_CONFIRM_REP,
    })
}
