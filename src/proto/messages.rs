//! Typed wire structs: the objects of tables 2–11 and the request and reply
//! item of every interface (tables 15–42), camelCase on the wire.
//!
//! **Fields are declared in byte order of their wire names**, so serde
//! writes every struct with its keys already sorted: `serde_json::to_vec`
//! of a message is its canonical form, and producing a sign needs no
//! re-sorting (`every_message_serializes_canonically` tests this for each
//! type). Absent optional fields are omitted.
//!
//! Amounts are [`Amount`]s: `rust_decimal` values written as JSON numbers
//! with exactly two decimals (`20.00`).

use super::codes::Command;
use super::time::DateTime;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A money amount [yuan] (or a coupon value), written with two decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(pub Decimal);

impl Amount {
    pub const ZERO: Amount = Amount(Decimal::ZERO);

    /// `yuan` whole yuan plus `fen` hundredths.
    pub fn new(cents: i64) -> Amount {
        Amount(Decimal::new(cents, 2))
    }
}

impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Half away from zero (四舍五入), as receipts round.
        let r = self
            .0
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        write!(f, "{r:.2}")
    }
}

/// serde_json's marker for a number written or read as its exact text
/// (the `arbitrary_precision` feature; `serde_json::Number` serializes
/// through it too).
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

impl Amount {
    /// The two-decimal text (as [`Display`](std::fmt::Display)) into `buf`,
    /// without `core::fmt`.
    pub fn write_into(self, buf: &mut [u8; 40]) -> &str {
        std::str::from_utf8(self.write_ascii(buf)).unwrap_or("0.00")
    }

    /// As [`Amount::write_into`], the text as bytes (ASCII).
    pub fn write_ascii(self, buf: &mut [u8; 40]) -> &[u8] {
        // Rounding to 2 decimals leaves a value of scale ≤ 2 as it is.
        let r = if self.0.scale() <= 2 {
            self.0
        } else {
            self.0
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        };
        // At most 2 decimals now: scale the mantissa to exactly 2.
        let mut m = r.mantissa();
        for _ in r.scale()..2 {
            m *= 10;
        }
        let neg = m < 0;
        let mut u = m.unsigned_abs();
        let mut i = buf.len();
        let mut digits = 0;
        while u > 0 || digits < 3 {
            if digits == 2 {
                i -= 1;
                buf[i] = b'.';
            }
            i -= 1;
            buf[i] = b'0' + (u % 10) as u8;
            u /= 10;
            digits += 1;
        }
        if neg {
            i -= 1;
            buf[i] = b'-';
        }
        &buf[i..]
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Written as a JSON number with exactly this text (two decimals).
        use serde::ser::SerializeStruct;
        let mut buf = [0u8; 40];
        let text = self.write_into(&mut buf);
        let mut st = s.serialize_struct(NUMBER_TOKEN, 1)?;
        st.serialize_field(NUMBER_TOKEN, text)?;
        st.end()
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        exact_decimal(d).map(Amount)
    }
}

/// A number read exactly into a Decimal, whichever way serde hands it
/// over: its text (serde_json's `arbitrary_precision` token), an integer
/// (u64, i64, u128, i128), or an f64 — which serde_json passes only when
/// the f64's shortest text is the received text, so that text is what is
/// converted, never the binary value. One conversion:
/// [`number::decimal`](super::number::decimal), bounded by the 16-byte
/// Decimal.
fn exact_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    use super::number;
    use serde::de::{Error, MapAccess, Visitor};
    fn text<E: Error>(s: &str) -> Result<Decimal, E> {
        number::decimal(s).map_err(|e| E::custom(format!("`{s}`: {e}")))
    }
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Decimal;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a decimal number")
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }
        fn visit_i128<E: Error>(self, v: i128) -> Result<Decimal, E> {
            text(&v.to_string())
        }
        fn visit_u128<E: Error>(self, v: u128) -> Result<Decimal, E> {
            text(&v.to_string())
        }
        fn visit_f64<E: Error>(self, v: f64) -> Result<Decimal, E> {
            if !v.is_finite() {
                return Err(E::custom(format!("{v} is not a decimal")));
            }
            // Rust writes the shortest text that reads back as `v`.
            text(&format!("{v}"))
        }
        // A number's exact text, as serde_json hands it over.
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Decimal, A::Error> {
            struct Text;
            impl<'de> serde::de::DeserializeSeed<'de> for Text {
                type Value = Decimal;
                fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Decimal, D::Error> {
                    struct T;
                    impl Visitor<'_> for T {
                        type Value = Decimal;
                        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                            f.write_str("number text")
                        }
                        fn visit_str<E: Error>(self, s: &str) -> Result<Decimal, E> {
                            text(s)
                        }
                    }
                    d.deserialize_str(T)
                }
            }
            match map.next_key::<&str>()? {
                Some(k) if k == NUMBER_TOKEN => map.next_value_seed(Text),
                _ => Err(A::Error::custom("expected a number")),
            }
        }
    }
    d.deserialize_any(V)
}

/// Table 37's `couponValue` is a Double, not a two-decimal amount: read
/// exactly ([`exact_decimal`]) and written with every decimal it has (at
/// least two: `11.00`, `0.30`, `0.333`), so `0.333` stays `0.333`. The
/// Rust type stays [`Amount`] (its `.0` is the exact value).
pub mod double_value {
    use super::{Amount, NUMBER_TOKEN};
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(a: &Amount, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let d = a.0.normalize();
        let text = if d.scale() <= 2 {
            let mut buf = [0u8; 40];
            a.write_into(&mut buf).to_string()
        } else {
            d.to_string()
        };
        let mut st = s.serialize_struct(NUMBER_TOKEN, 1)?;
        st.serialize_field(NUMBER_TOKEN, &text)?;
        st.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Amount, D::Error> {
        super::exact_decimal(d).map(Amount)
    }
}

/// Table 2 `parkInfo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParkInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    pub charging: ChargingStandard,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indust_author_info: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
    /// Base64 image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_image: Option<String>,
    pub operator_id: String,
    pub park_code: String,
    pub park_name: String,
    pub public_info: String,
    pub reservable_stalls: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub road_name: Option<String>,
    /// 1 commercial … 3 hospital … 8 other.
    pub service_type: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shenzhen_h: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shenzhen_x: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shenzhen_y: Option<f64>,
    /// Extension sent by the 3001 example (not in table 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stagger_stalls: Option<i64>,
    /// Extension sent by the 3001 example (not in table 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_stalls: Option<i64>,
}

/// Table 3 `chargingStandard` (also the 3005 request item).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargingStandard {
    pub charger: String,
    pub complaint_tel: String,
    pub items: Vec<ChargeItem>,
    pub park_code: String,
    pub permit_no: String,
    /// 1 government price, 2 government guided, 3 market.
    pub pricing: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing_sign: Option<String>,
    /// 1, 2, 3: district class.
    pub region: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// Table 4 `chargeItem`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargeItem {
    pub charge_desc: String,
    pub charge_item: String,
}

/// Table 5 `entranceInfo` (sent under the key `entranceExitInfo` in 3002).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntranceInfo {
    /// Extension sent by the 3002 example (not in table 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub garage_code: Option<String>,
    pub id: String,
    pub latitude: f64,
    pub longitude: f64,
    pub name: String,
    pub park_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub road_name: Option<String>,
    /// 1 entrance, 2 exit, 3 both.
    #[serde(rename = "type")]
    pub kind: i64,
}

/// Table 6 `parkCarInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ParkCarInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub car_color: Option<String>,
    /// 1 large, 2 medium, 3 small.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub car_model: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plate_color: Option<String>,
    pub plate_no: String,
}

/// Table 7 `parkRecordInfo` (5004 entry, 5005 exit, 5006 correction).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParkRecordInfo {
    pub car_info: ParkCarInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_id_list: Option<Vec<String>>,
    pub discount: Amount,
    pub enter_time: DateTime,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_equipment_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leave_time: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_equipment_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub park_code: Option<String>,
    pub receivables: Amount,
    pub received: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall_no: Option<String>,
}

/// Table 8 `parkChargeInfo` (5008).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParkChargeInfo {
    pub car_info: ParkCarInfo,
    pub discount: Amount,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_discounts: Option<Vec<DiscountRecord>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_no: Option<String>,
    pub pay_from: String,
    pub pay_time: DateTime,
    /// 1 cash, 2 WeChat, 3 Alipay, 4 UnionPay, 5 ETC, 6 other.
    pub pay_type: i64,
    pub receivables: Amount,
    pub received: Amount,
    pub record_id: String,
}

/// Table 9 `discountRecord`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscountRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_org_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_no: Option<String>,
    /// 0 none, 1 amount, 2 hours, 3 fraction, 4 free.
    pub coupon_type: i64,
    pub coupon_value: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_channel: Option<String>,
    pub id: String,
}

/// Table 10 `blackWhiteGraySheet`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlackWhiteGraySheet {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub begin_date: Option<DateTime>,
    pub car_info: ParkCarInfo,
    pub end_date: DateTime,
    pub id: String,
    pub park_code: String,
    pub strategy_from: String,
    /// 1 no entry, 2 entry but no exit, 3 neither, 4 warn, 5 free.
    pub strategy_type: i64,
}

/// Table 11 `parkSpaceInfo` (5003).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParkSpaceInfo {
    pub park_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_stalls: Option<i64>,
    pub unused_stalls: i64,
    pub used_stalls: i64,
}

/// Table 15: 1001 request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_order_url: Option<String>,
    /// DES-CBC + Base64 (see `password`).
    pub password: String,
    pub user_id: String,
}

/// Table 16: 1001 reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginReply {
    pub access_token: String,
    pub code: i64,
    /// Access token lifetime [s].
    pub expires_in: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub refresh_token: String,
    pub scope: String,
    pub token_type: String,
}

/// Table 17: 1002 request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshRequest {
    pub access_token: String,
    pub password: String,
    pub user_id: String,
}

/// Table 18: 1002 reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshReply {
    pub access_token: String,
    pub code: i64,
    pub expires_in: i64,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub refresh_token: String,
    pub token_type: String,
}

/// Table 19: 1003 request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogoutRequest {
    pub access_token: String,
}

/// Tables 20 and 22: code and message (1003 and 1004 replies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeReply {
    pub code: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Table 21: 1004 request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TcpLoginRequest {
    pub password: String,
    pub user_id: String,
}

/// The empty item type of 1005 and 1006 (their `data` is `[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// Table 23: 3001 request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParkInfoUpload {
    pub park_info: ParkInfo,
    /// 1 normal, 2 deleted.
    pub status: i64,
}

/// Table 24: 3001 reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParkCodeReply {
    pub code: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Required in table 24, optional in table 28.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub park_code: Option<String>,
}

/// Table 25: 3002 request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntranceUpload {
    pub entrance_exit_info: EntranceInfo,
    /// 1 normal, 2 deleted.
    pub status: i64,
}

/// Tables 26, 29–32, 34, 36: id, code, message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdReply {
    pub code: i64,
    /// Required in tables 26, 29, 32, 34; optional in 30, 31, 36.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Table 27: 3005 reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermitReply {
    pub code: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub permit_no: String,
}

/// Table 33: 7001 request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrioritySwitch {
    pub id: String,
    /// 0 off, 1 on.
    pub operate_type: i64,
    pub park_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    pub time: DateTime,
}

/// Table 35: 4001 request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlListDownlink {
    pub black_white_gray_sheet: BlackWhiteGraySheet,
    /// 1 normal, 2 delete.
    pub status: i64,
}

/// Table 37: 4002 request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CouponDownlink {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_org_code: Option<String>,
    pub coupon_no: String,
    /// 0 none, 1 amount, 2 hours, 3 fraction, 4 free.
    pub coupon_type: i64,
    #[serde(with = "double_value")]
    pub coupon_value: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_channel: Option<String>,
    pub plate_no: String,
    pub time: DateTime,
}

/// Table 38: 4002 reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CouponReply {
    pub code: i64,
    pub coupon_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Table 39: 6001 request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookRequest {
    pub book_code: String,
    pub book_time: DateTime,
    pub car_info: ParkCarInfo,
    /// Minutes the stall stays held after `overTime` [min].
    pub obligat_time: i64,
    /// 1 book, 2 change.
    pub operate_type: i64,
    pub over_time: DateTime,
    pub park_code: String,
}

/// Table 40: 6001 reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookReply {
    /// Extension sent by the 6001 example (not in table 40).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bluetooth_address: Option<String>,
    pub book_code: String,
    pub code: i64,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rest_reserved_stalls: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall_no: Option<String>,
}

/// Table 41: 6002 request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookConfirmRequest {
    pub book_code: String,
    /// 0 cancel (unlock), 1 confirm.
    pub confirm_status: i64,
    pub park_code: String,
}

/// Table 42: 6002 reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookConfirmReply {
    pub book_code: String,
    pub code: i64,
    pub message: String,
}

macro_rules! message_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident($ty:ty)),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq)]
        pub enum $name {
            $($variant(Vec<$ty>)),*
        }

        impl $name {
            /// The interface this message belongs to.
            pub fn command(&self) -> Command {
                match self {
                    $($name::$variant(_) => Command::$variant),*
                }
            }

            /// Reads the (normalized) `data` items of `cmd`.
            pub fn from_items(cmd: Command, items: Vec<Value>) -> Result<$name, serde_json::Error> {
                Ok(match cmd {
                    $(Command::$variant => $name::$variant(
                        items.into_iter().map(serde_json::from_value).collect::<Result<_, _>>()?,
                    )),*
                })
            }

            /// Reads (normalized) `data` items of `cmd` without copying them.
            pub fn from_item_refs<'a>(
                cmd: Command,
                items: impl Iterator<Item = &'a Value>,
            ) -> Result<$name, serde_json::Error> {
                Ok(match cmd {
                    $(Command::$variant => $name::$variant(
                        items.map(<$ty>::deserialize).collect::<Result<_, _>>()?,
                    )),*
                })
            }

            /// Appends the `data` array, canonical (keys sorted, compact).
            pub fn write_data_json(&self, out: &mut Vec<u8>) {
                if $name::write_direct(self, out) {
                    return;
                }
                let start = out.len();
                let r = match self {
                    $($name::$variant(v) => serde_json::to_writer(&mut *out, v)),*
                };
                // Cannot fail (string keys, finite numbers); see data_json.
                if r.is_err() {
                    out.truncate(start);
                    out.extend_from_slice(b"[]");
                }
            }

            /// Reads `data` (a JSON array) of `cmd` straight from its bytes:
            /// what serde reads. For bytes the table check found clean
            /// (`clean::clean_items`) it gives what the checked path gives.
            pub fn from_data_slice(cmd: Command, data: &[u8]) -> Result<$name, serde_json::Error> {
                // The hot items by hand when they are clean (the same value).
                if let Some(m) = $name::read_direct(cmd, data) {
                    return Ok(m);
                }
                Ok(match cmd {
                    $(Command::$variant => $name::$variant(serde_json::from_slice(data)?)),*
                })
            }

            /// The `data` array, canonical (keys sorted, compact).
            pub fn data_json(&self) -> Vec<u8> {
                let mut out = Vec::new();
                if $name::write_direct(self, &mut out) {
                    return out;
                }
                // Serializing these types cannot fail (string keys, finite
                // numbers); an empty array is the harmless fallback.
                match self {
                    $($name::$variant(v) => serde_json::to_vec(v).unwrap_or_else(|_| b"[]".to_vec())),*
                }
            }

            /// Number of items in `data`.
            pub fn len(&self) -> usize {
                match self {
                    $($name::$variant(v) => v.len()),*
                }
            }

            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }
        }
    };
}

impl Request {
    fn read_direct(cmd: Command, data: &[u8]) -> Option<Request> {
        super::direct::read_request(cmd, data)
    }
    fn write_direct(&self, out: &mut Vec<u8>) -> bool {
        super::direct::write_request(self, out)
    }
}

impl Reply {
    fn read_direct(cmd: Command, data: &[u8]) -> Option<Reply> {
        super::direct::read_reply(cmd, data)
    }
    fn write_direct(&self, out: &mut Vec<u8>) -> bool {
        super::direct::write_reply(self, out)
    }
}

message_enum! {
    /// A request's `data` for each interface, typed.
    Request {
        LoginHttp(LoginRequest),
        RefreshToken(RefreshRequest),
        LogoutHttp(LogoutRequest),
        LoginTcp(TcpLoginRequest),
        LogoutTcp(Empty),
        Heartbeat(Empty),
        ParkInfo(ParkInfoUpload),
        EntranceInfo(EntranceUpload),
        ChargingStandard(ChargingStandard),
        SpaceCount(ParkSpaceInfo),
        Entry(ParkRecordInfo),
        Exit(ParkRecordInfo),
        Correction(ParkRecordInfo),
        Charge(ParkChargeInfo),
        PrioritySwitch(PrioritySwitch),
        ControlList(ControlListDownlink),
        Coupon(CouponDownlink),
        Book(BookRequest),
        BookConfirm(BookConfirmRequest),
    }
}

message_enum! {
    /// A reply's `data` for each interface, typed.
    Reply {
        LoginHttp(LoginReply),
        RefreshToken(RefreshReply),
        LogoutHttp(CodeReply),
        LoginTcp(CodeReply),
        LogoutTcp(Empty),
        Heartbeat(Empty),
        ParkInfo(ParkCodeReply),
        EntranceInfo(IdReply),
        ChargingStandard(PermitReply),
        SpaceCount(ParkCodeReply),
        Entry(IdReply),
        Exit(IdReply),
        Correction(IdReply),
        Charge(IdReply),
        PrioritySwitch(IdReply),
        ControlList(IdReply),
        Coupon(CouponReply),
        Book(BookReply),
        BookConfirm(BookConfirmReply),
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn amount_text_matches_display_and_reads_back() {
        let mut x: u64 = 7;
        for i in 0..20_000i64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let scale = (x % 5) as u32;
            let m = (x >> 8) as i64 % 10_000_000_000 * if i % 3 == 0 { -1 } else { 1 };
            let a = Amount(Decimal::new(m, scale));
            let mut buf = [0u8; 40];
            let text = a.write_into(&mut buf).to_string();
            assert_eq!(text, a.to_string(), "{m}e-{scale}");
            assert_eq!(serde_json::to_string(&a).unwrap(), text);
            let back: Amount = serde_json::from_str(&text).unwrap();
            assert_eq!(back.to_string(), text);
            // Through a Value too (the lenient reader's path).
            let v: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(Amount::deserialize(&v).unwrap().to_string(), text);
        }
        assert_eq!(Amount::new(-5).to_string(), "-0.05");
        assert!(serde_json::from_str::<Amount>("\"1.00\"").is_err());
    }
}
