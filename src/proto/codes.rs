//! Interface codes and the standard's result codes (tables 43 and 44).

use std::fmt;

/// Every interface of T/SZPIA 001—2020 (the `command` of an SZTC frame and
/// the last segment of an HTTP URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Command {
    /// 1001 login (HTTPS).
    LoginHttp,
    /// 1002 refresh token (HTTPS).
    RefreshToken,
    /// 1003 logout (HTTPS).
    LogoutHttp,
    /// 1004 login (TCP).
    LoginTcp,
    /// 1005 logout (TCP).
    LogoutTcp,
    /// 1006 heartbeat (TCP).
    Heartbeat,
    /// 3001 garage information upload.
    ParkInfo,
    /// 3002 entrance/exit information upload.
    EntranceInfo,
    /// 3005 tariff upload.
    ChargingStandard,
    /// 5003 space count upload.
    SpaceCount,
    /// 5004 vehicle entry upload.
    Entry,
    /// 5005 vehicle exit upload.
    Exit,
    /// 5006 record correction upload.
    Correction,
    /// 5008 charge record upload.
    Charge,
    /// 7001 reservation priority switched on or off.
    PrioritySwitch,
    /// 4001 control list downlink.
    ControlList,
    /// 4002 coupon downlink.
    Coupon,
    /// 6001 book (lock) a stall.
    Book,
    /// 6002 confirm or cancel a booking.
    BookConfirm,
}

impl Command {
    /// All interfaces, in code order.
    pub const ALL: [Command; 19] = [
        Command::LoginHttp,
        Command::RefreshToken,
        Command::LogoutHttp,
        Command::LoginTcp,
        Command::LogoutTcp,
        Command::Heartbeat,
        Command::ParkInfo,
        Command::EntranceInfo,
        Command::ChargingStandard,
        Command::ControlList,
        Command::Coupon,
        Command::SpaceCount,
        Command::Entry,
        Command::Exit,
        Command::Correction,
        Command::Charge,
        Command::Book,
        Command::BookConfirm,
        Command::PrioritySwitch,
    ];

    /// The numeric interface code.
    pub const fn code(self) -> u16 {
        match self {
            Command::LoginHttp => 1001,
            Command::RefreshToken => 1002,
            Command::LogoutHttp => 1003,
            Command::LoginTcp => 1004,
            Command::LogoutTcp => 1005,
            Command::Heartbeat => 1006,
            Command::ParkInfo => 3001,
            Command::EntranceInfo => 3002,
            Command::ChargingStandard => 3005,
            Command::SpaceCount => 5003,
            Command::Entry => 5004,
            Command::Exit => 5005,
            Command::Correction => 5006,
            Command::Charge => 5008,
            Command::PrioritySwitch => 7001,
            Command::ControlList => 4001,
            Command::Coupon => 4002,
            Command::Book => 6001,
            Command::BookConfirm => 6002,
        }
    }

    /// The interface with that code, if the standard defines one.
    pub fn from_code(code: u16) -> Option<Command> {
        Command::ALL.iter().copied().find(|c| c.code() == code)
    }

    /// True for the platform-to-garage interfaces (4001, 4002, 6001, 6002).
    pub const fn is_downlink(self) -> bool {
        matches!(
            self,
            Command::ControlList | Command::Coupon | Command::Book | Command::BookConfirm
        )
    }

    /// True for the interfaces used before a session exists (logins, refresh).
    pub const fn is_auth(self) -> bool {
        matches!(
            self,
            Command::LoginHttp | Command::RefreshToken | Command::LoginTcp
        )
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// General result codes of an envelope (`resultCode`, table 43).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultCode {
    /// 0 success.
    Ok,
    /// 2 malformed JSON.
    Json,
    /// 3 the envelope (the common format) is wrong: missing `timestamp`,
    /// `sign` or `data`, a wrong sign, an unknown interface.
    Format,
    /// 4 a parameter is wrong (details per item).
    Parameter,
    /// 5 any other error.
    Other,
}

impl ResultCode {
    pub const fn code(self) -> i64 {
        match self {
            ResultCode::Ok => 0,
            ResultCode::Json => 2,
            ResultCode::Format => 3,
            ResultCode::Parameter => 4,
            ResultCode::Other => 5,
        }
    }

    pub fn from_code(code: i64) -> Option<ResultCode> {
        Some(match code {
            0 => ResultCode::Ok,
            2 => ResultCode::Json,
            3 => ResultCode::Format,
            4 => ResultCode::Parameter,
            5 => ResultCode::Other,
            _ => return None,
        })
    }

    /// The standard's message text (Chinese, as table 43 words it).
    pub const fn message(self) -> &'static str {
        match self {
            ResultCode::Ok => "成功",
            ResultCode::Json => "JSON 格式错误",
            ResultCode::Format => "接口通用格式错误",
            ResultCode::Parameter => "参数错误",
            ResultCode::Other => "其它错误",
        }
    }
}

/// Business codes of a reply item (`code`, table 44), plus 0 for success
/// and the general codes, which items may carry too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BizCode {
    Ok,
    /// 2 malformed JSON (general code, table 43).
    Json,
    /// 3 the envelope is wrong (general code, table 43).
    Format,
    /// 4 parameter error (a required field is missing).
    Parameter,
    /// 5 other error.
    Other,
    /// 1000 naming error (an unknown field name).
    Naming,
    /// 1001 bad garage code.
    BadParkCode,
    /// 1002 bad stall code.
    BadStallCode,
    /// 1003 bad district code.
    BadDistrictCode,
    /// 1004 longer than allowed.
    TooLong,
    /// 1005 wrong field type.
    WrongType,
    /// 1007 value out of range.
    OutOfRange,
    /// 1100 object does not exist.
    NotFound,
    /// 1101 garage does not exist.
    ParkNotFound,
    /// 1102 stall does not exist.
    StallNotFound,
    /// 1103 vehicle does not exist.
    VehicleNotFound,
    /// 1104 booking does not exist.
    BookingNotFound,
    /// 1107 page does not exist.
    PageNotFound,
    /// 1200 object already exists.
    Exists,
    /// 1201 bookCode already exists.
    BookingExists,
    /// 1300 object no longer valid.
    Invalid,
    /// 1301 booking expired.
    BookingExpired,
    /// 1400 object deleted.
    Deleted,
    /// 1401 booking cancelled.
    BookingCancelled,
    /// 1500 nothing free.
    NoneFree,
    /// 1501 no reservable stall left.
    NoReservableStall,
    /// 3001 wrong user name or password.
    BadCredentials,
    /// 3002 wrong access token.
    BadToken,
    /// 4001 vehicle not inside.
    VehicleNotInside,
    /// 5004 bad booking times.
    BadBookingTime,
}

impl BizCode {
    pub const ALL: [BizCode; 30] = [
        BizCode::Ok,
        BizCode::Json,
        BizCode::Format,
        BizCode::Parameter,
        BizCode::Other,
        BizCode::Naming,
        BizCode::BadParkCode,
        BizCode::BadStallCode,
        BizCode::BadDistrictCode,
        BizCode::TooLong,
        BizCode::WrongType,
        BizCode::OutOfRange,
        BizCode::NotFound,
        BizCode::ParkNotFound,
        BizCode::StallNotFound,
        BizCode::VehicleNotFound,
        BizCode::BookingNotFound,
        BizCode::PageNotFound,
        BizCode::Exists,
        BizCode::BookingExists,
        BizCode::Invalid,
        BizCode::BookingExpired,
        BizCode::Deleted,
        BizCode::BookingCancelled,
        BizCode::NoneFree,
        BizCode::NoReservableStall,
        BizCode::BadCredentials,
        BizCode::BadToken,
        BizCode::VehicleNotInside,
        BizCode::BadBookingTime,
    ];

    pub const fn code(self) -> i64 {
        match self {
            BizCode::Ok => 0,
            BizCode::Json => 2,
            BizCode::Format => 3,
            BizCode::Parameter => 4,
            BizCode::Other => 5,
            BizCode::Naming => 1000,
            BizCode::BadParkCode => 1001,
            BizCode::BadStallCode => 1002,
            BizCode::BadDistrictCode => 1003,
            BizCode::TooLong => 1004,
            BizCode::WrongType => 1005,
            BizCode::OutOfRange => 1007,
            BizCode::NotFound => 1100,
            BizCode::ParkNotFound => 1101,
            BizCode::StallNotFound => 1102,
            BizCode::VehicleNotFound => 1103,
            BizCode::BookingNotFound => 1104,
            BizCode::PageNotFound => 1107,
            BizCode::Exists => 1200,
            BizCode::BookingExists => 1201,
            BizCode::Invalid => 1300,
            BizCode::BookingExpired => 1301,
            BizCode::Deleted => 1400,
            BizCode::BookingCancelled => 1401,
            BizCode::NoneFree => 1500,
            BizCode::NoReservableStall => 1501,
            BizCode::BadCredentials => 3001,
            BizCode::BadToken => 3002,
            BizCode::VehicleNotInside => 4001,
            BizCode::BadBookingTime => 5004,
        }
    }

    pub fn from_code(code: i64) -> Option<BizCode> {
        BizCode::ALL.iter().copied().find(|c| c.code() == code)
    }

    /// The standard's message text (Chinese, as table 44 words it).
    pub const fn message(self) -> &'static str {
        match self {
            BizCode::Ok => "成功",
            BizCode::Json => "JSON 格式错误",
            BizCode::Format => "接口通用格式错误",
            BizCode::Parameter => "参数错误",
            BizCode::Other => "其它错误",
            BizCode::Naming => "编码/命名错误",
            BizCode::BadParkCode => "停车库（场）编号编码错误",
            BizCode::BadStallCode => "车位编号编码错误",
            BizCode::BadDistrictCode => "行政区编码错误",
            BizCode::TooLong => "超出规定长度",
            BizCode::WrongType => "字段类型错误",
            BizCode::OutOfRange => "超出规定值范围",
            BizCode::NotFound => "对象不存在",
            BizCode::ParkNotFound => "停车库（场）不存在",
            BizCode::StallNotFound => "车位不存在",
            BizCode::VehicleNotFound => "车辆不存在",
            BizCode::BookingNotFound => "预订订单不存在",
            BizCode::PageNotFound => "指定页码不存在",
            BizCode::Exists => "对象已存在",
            BizCode::BookingExists => "预订编号已存在",
            BizCode::Invalid => "对象已失效",
            BizCode::BookingExpired => "预订已过期",
            BizCode::Deleted => "对象已删除",
            BizCode::BookingCancelled => "预订已取消",
            BizCode::NoneFree => "没有空余对象",
            BizCode::NoReservableStall => "没有可预订车位",
            BizCode::BadCredentials => "用户名或密码错误",
            BizCode::BadToken => "访问令牌错误",
            BizCode::VehicleNotInside => "车辆不在场内",
            BizCode::BadBookingTime => "预约时间有误",
        }
    }
}

impl fmt::Display for BizCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn command_codes_round_trip_and_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for c in Command::ALL {
            assert!(seen.insert(c.code()), "duplicate code {}", c.code());
            assert_eq!(Command::from_code(c.code()), Some(c));
        }
        assert_eq!(Command::from_code(9999), None);
        assert_eq!(Command::from_code(5004), Some(Command::Entry));
    }

    #[test]
    fn biz_codes_round_trip() {
        for c in BizCode::ALL {
            assert_eq!(BizCode::from_code(c.code()), Some(c));
        }
        assert_eq!(BizCode::from_code(1006), None);
        assert_eq!(BizCode::BookingExists.code(), 1201);
        assert_eq!(ResultCode::from_code(3), Some(ResultCode::Format));
        assert_eq!(ResultCode::from_code(1), None);
    }
}
