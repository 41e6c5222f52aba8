//! The hot items read from and written to canonical JSON by hand, without
//! serde: the reports a garage sends all day (5003 space counts, 5004 and
//! 5005 records, 5008 charges, 7001 switches), the bookings (6001, 6002)
//! and the answers to all of these (and to 4001 and 4002).
//!
//! **Reading** ([`read_request`], [`read_reply`]) takes only the narrow
//! form parksim and any canonical writer produce: compact, keys in byte
//! order, strings without escapes, numbers as plain JSON text. Each field
//! is matched with one comparison: the reader walks the struct's fields in
//! key order beside the input's keys, each key compared whole with its
//! quotes and colon. Anything else — a space, an escape,
//! a key out of order, repeated or unknown, `-0` — answers `None`, and the
//! caller reads the bytes through serde as before. So the contract is one
//! implication: **`Some(v)` only where `serde_json::from_slice` gives
//! `Ok(v)`** (`tests/direct.rs` checks it over generated and mutated
//! inputs). Numbers convert through [`number`](super::number) and date-times
//! through [`DateTime::parse`], the conversions serde's path uses.
//!
//! **Writing** ([`write_request`], [`write_reply`]) gives exactly the bytes
//! of `serde_json::to_writer` for the same value (fields in declaration
//! order, which is key order; absent options left out; strings escaped as
//! serde_json escapes them), so signs and frames do not change.

use super::codes::Command;
use super::messages::*;
use super::time::DateTime;

/// A cursor over bytes in the narrow canonical form.
struct Rd<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Rd<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Takes `c` if it is next.
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn need(&mut self, c: u8) -> Option<()> {
        self.eat(c).then_some(())
    }

    /// Takes `word` if it is next.
    fn lit(&mut self, word: &[u8]) -> bool {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    fn null(&mut self) -> bool {
        self.lit(b"null")
    }

    /// A string without escapes or control characters, valid UTF-8.
    fn str(&mut self) -> Option<&'a str> {
        self.need(b'"')?;
        let start = self.i;
        let end = start + plain_len(&self.b[start..]);
        if self.b.get(end) != Some(&b'"') {
            return None;
        }
        self.i = end + 1;
        std::str::from_utf8(&self.b[start..end]).ok()
    }

    /// A JSON number's text (its grammar checked).
    fn number(&mut self) -> Option<&'a str> {
        let start = self.i;
        self.i = super::number::json_number_end(self.b, start)?;
        // ASCII by construction.
        std::str::from_utf8(&self.b[start..self.i]).ok()
    }
}

/// The length of the run of bytes a JSON string holds as they are: up to
/// the first `"`, `\\` or control character (or the end). Eight bytes at
/// a time: a byte's high bit in `hit` marks a match, and the lowest marked
/// byte is exact (a false mark can only follow a true one).
pub(crate) fn plain_len(b: &[u8]) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let w = u64::from_le_bytes(w);
        let hit = zero(w ^ (LO * u64::from(b'"')))
            | zero(w ^ (LO * u64::from(b'\\')))
            | (w.wrapping_sub(LO * 0x20) & !w & HI);
        if hit != 0 {
            return i + (hit.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && !matches!(b[i], b'"' | b'\\' | 0..=0x1F) {
        i += 1;
    }
    i
}

/// A field's value: read in the narrow form, written as serde writes it.
trait Val: Sized {
    fn read(r: &mut Rd) -> Option<Self>;
    fn write(&self, out: &mut Vec<u8>);
    /// The value of an absent key (`None`: the key is required).
    fn absent() -> Option<Self> {
        None
    }
    /// Left out when writing (an absent option).
    fn skip(&self) -> bool {
        false
    }
    /// Steps over the value: true exactly where [`Val::read`] would give
    /// `Some`, without building it (no allocation).
    fn skim(r: &mut Rd) -> bool {
        Self::read(r).is_some()
    }
}

/// A string as serde_json writes it: raw unless it holds a character
/// serde_json escapes (`"`, `\`, controls), then through serde_json.
fn write_str(s: &str, out: &mut Vec<u8>) {
    if plain_len(s.as_bytes()) < s.len() {
        // Writing a str into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// An integer's decimal text (as itoa writes it).
pub(crate) fn write_int(n: i64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut u = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    if n < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[i..]);
}

impl Val for String {
    fn read(r: &mut Rd) -> Option<Self> {
        r.str().map(str::to_owned)
    }
    fn skim(r: &mut Rd) -> bool {
        r.str().is_some()
    }
    fn write(&self, out: &mut Vec<u8>) {
        write_str(self, out)
    }
}

impl Val for i64 {
    /// A plain integer (no fraction, no exponent, not `-0`) within i64:
    /// what serde reads as this i64 (serde_json reads `-0` as a float).
    fn read(r: &mut Rd) -> Option<Self> {
        let t = r.number()?;
        if t == "-0" || t.bytes().any(|c| matches!(c, b'.' | b'e' | b'E')) {
            return None;
        }
        t.parse().ok()
    }
    fn write(&self, out: &mut Vec<u8>) {
        write_int(*self, out)
    }
}

impl Val for Amount {
    /// Exactly from the text, as `Amount`'s `Deserialize` converts it.
    fn read(r: &mut Rd) -> Option<Self> {
        super::number::decimal(r.number()?).ok().map(Amount)
    }
    fn write(&self, out: &mut Vec<u8>) {
        let mut buf = [0u8; 40];
        out.extend_from_slice(self.write_ascii(&mut buf));
    }
}

impl Val for DateTime {
    fn read(r: &mut Rd) -> Option<Self> {
        DateTime::parse(r.str()?).ok()
    }
    fn write(&self, out: &mut Vec<u8>) {
        let mut buf = [0u8; 19];
        match self.write_into(&mut buf) {
            Some(t) => write_str(t, out),
            None => write_str(&self.to_string(), out),
        }
    }
}

impl<T: Val> Val for Option<T> {
    fn read(r: &mut Rd) -> Option<Self> {
        if r.null() {
            Some(None)
        } else {
            T::read(r).map(Some)
        }
    }
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Some(v) => v.write(out),
            None => out.extend_from_slice(b"null"),
        }
    }
    fn absent() -> Option<Self> {
        Some(None)
    }
    fn skip(&self) -> bool {
        self.is_none()
    }
    fn skim(r: &mut Rd) -> bool {
        r.null() || T::skim(r)
    }
}

impl<T: Val> Val for Vec<T> {
    fn read(r: &mut Rd) -> Option<Self> {
        r.need(b'[')?;
        if r.eat(b']') {
            return Some(Vec::new());
        }
        // Most arrays hold one item (a report, a reply).
        let mut v = Vec::with_capacity(1);
        loop {
            v.push(T::read(r)?);
            if r.eat(b',') {
                continue;
            }
            r.need(b']')?;
            return Some(v);
        }
    }
    fn skim(r: &mut Rd) -> bool {
        if !r.eat(b'[') {
            return false;
        }
        if r.eat(b']') {
            return true;
        }
        loop {
            if !T::skim(r) {
                return false;
            }
            if r.eat(b',') {
                continue;
            }
            return r.eat(b']');
        }
    }
    fn write(&self, out: &mut Vec<u8>) {
        out.push(b'[');
        for (i, x) in self.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            x.write(out);
        }
        out.push(b']');
    }
}

/// [`Val::skim`] for a struct's field, its type taken from the accessor.
fn skim_field<S, T: Val>(_: fn(&S) -> &T, r: &mut Rd) -> bool {
    T::skim(r)
}

/// Whether a struct's field may be absent (an option).
fn may_be_absent<S, T: Val>(_: fn(&S) -> &T) -> bool {
    T::absent().is_some()
}

/// `Val` for a struct whose fields are listed in key order (as they are
/// declared, which `every_message_serializes_canonically` keeps sorted).
macro_rules! direct_struct {
    ($ty:ident { $($key:literal => $field:ident),* $(,)? }) => {
        impl Val for $ty {
            fn read(r: &mut Rd) -> Option<Self> {
                r.need(b'{')?;
                // A key is next (after `{` or `,`).
                let mut more = !r.eat(b'}');
                $(
                    let $field = if more && r.lit(concat!("\"", $key, "\":").as_bytes()) {
                        let v = Val::read(r)?;
                        more = r.eat(b',');
                        if !more {
                            r.need(b'}')?;
                        }
                        v
                    } else {
                        Val::absent()?
                    };
                )*
                // A key left over: unknown, repeated, out of order or escaped.
                if more {
                    return None;
                }
                Some($ty { $($field),* })
            }
            fn skim(r: &mut Rd) -> bool {
                // `read`'s walk, each value skimmed instead of built.
                if !r.eat(b'{') {
                    return false;
                }
                let mut more = !r.eat(b'}');
                $(
                    if more && r.lit(concat!("\"", $key, "\":").as_bytes()) {
                        if !skim_field(|s: &$ty| &s.$field, r) {
                            return false;
                        }
                        more = r.eat(b',');
                        if !more && !r.eat(b'}') {
                            return false;
                        }
                    } else if !may_be_absent(|s: &$ty| &s.$field) {
                        return false;
                    }
                )*
                !more
            }
            fn write(&self, out: &mut Vec<u8>) {
                out.push(b'{');
                let mut first = true;
                $(
                    if !Val::skip(&self.$field) {
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        out.extend_from_slice(concat!("\"", $key, "\":").as_bytes());
                        Val::write(&self.$field, out);
                    }
                )*
                let _ = first;
                out.push(b'}');
            }
        }
    };
}

direct_struct!(ParkCarInfo {
    "carColor" => car_color,
    "carModel" => car_model,
    "plateColor" => plate_color,
    "plateNo" => plate_no,
});

direct_struct!(ParkRecordInfo {
    "carInfo" => car_info,
    "chargeIdList" => charge_id_list,
    "discount" => discount,
    "enterTime" => enter_time,
    "id" => id,
    "inEquipmentId" => in_equipment_id,
    "leaveTime" => leave_time,
    "outEquipmentId" => out_equipment_id,
    "parkCode" => park_code,
    "receivables" => receivables,
    "received" => received,
    "stallNo" => stall_no,
});

direct_struct!(DiscountRecord {
    "channelOrgCode" => channel_org_code,
    "couponNo" => coupon_no,
    "couponType" => coupon_type,
    "couponValue" => coupon_value,
    "discountChannel" => discount_channel,
    "id" => id,
});

direct_struct!(ParkChargeInfo {
    "carInfo" => car_info,
    "discount" => discount,
    "id" => id,
    "listDiscounts" => list_discounts,
    "orderNo" => order_no,
    "payFrom" => pay_from,
    "payTime" => pay_time,
    "payType" => pay_type,
    "receivables" => receivables,
    "received" => received,
    "recordId" => record_id,
});

direct_struct!(ParkSpaceInfo {
    "parkCode" => park_code,
    "reservedStalls" => reserved_stalls,
    "unusedStalls" => unused_stalls,
    "usedStalls" => used_stalls,
});

direct_struct!(IdReply {
    "code" => code,
    "id" => id,
    "message" => message,
});

direct_struct!(ParkCodeReply {
    "code" => code,
    "message" => message,
    "parkCode" => park_code,
});

direct_struct!(PrioritySwitch {
    "id" => id,
    "operateType" => operate_type,
    "parkCode" => park_code,
    "remark" => remark,
    "time" => time,
});

direct_struct!(BookRequest {
    "bookCode" => book_code,
    "bookTime" => book_time,
    "carInfo" => car_info,
    "obligatTime" => obligat_time,
    "operateType" => operate_type,
    "overTime" => over_time,
    "parkCode" => park_code,
});

direct_struct!(BookReply {
    "bluetoothAddress" => bluetooth_address,
    "bookCode" => book_code,
    "code" => code,
    "message" => message,
    "restReservedStalls" => rest_reserved_stalls,
    "stallNo" => stall_no,
});

direct_struct!(BookConfirmRequest {
    "bookCode" => book_code,
    "confirmStatus" => confirm_status,
    "parkCode" => park_code,
});

direct_struct!(BookConfirmReply {
    "bookCode" => book_code,
    "code" => code,
    "message" => message,
});

direct_struct!(CouponReply {
    "code" => code,
    "couponNo" => coupon_no,
    "message" => message,
});

/// Appends `{"code":0,"id":…,"message":"成功"}`: the bytes serde_json
/// writes for `IdReply { code: 0, id: Some(id), message: Some("成功") }`,
/// the platform's answer to each report it records, without building one.
pub fn write_ok_id_reply(id: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"code\":0,\"id\":");
    write_str(id, out);
    out.extend_from_slice(",\"message\":\"成功\"}".as_bytes());
}

/// A whole `data` array of `T`, nothing after it.
fn read_all<T: Val>(data: &[u8]) -> Option<Vec<T>> {
    let mut r = Rd { b: data, i: 0 };
    let v = Vec::<T>::read(&mut r)?;
    (r.i == data.len()).then_some(v)
}

/// The `data` of a hot request (5003–5006, 5008, 7001, 6001, 6002) read by
/// hand; `None` for another interface or for bytes outside the narrow form
/// (see the module doc: then read through serde).
pub fn read_request(cmd: Command, data: &[u8]) -> Option<Request> {
    Some(match cmd {
        Command::SpaceCount => Request::SpaceCount(read_all(data)?),
        Command::Entry => Request::Entry(read_all(data)?),
        Command::Exit => Request::Exit(read_all(data)?),
        Command::Correction => Request::Correction(read_all(data)?),
        Command::Charge => Request::Charge(read_all(data)?),
        Command::PrioritySwitch => Request::PrioritySwitch(read_all(data)?),
        Command::Book => Request::Book(read_all(data)?),
        Command::BookConfirm => Request::BookConfirm(read_all(data)?),
        _ => return None,
    })
}

/// The `data` of a reply to a hot request, read by hand (as
/// [`read_request`]).
pub fn read_reply(cmd: Command, data: &[u8]) -> Option<Reply> {
    Some(match cmd {
        Command::SpaceCount => Reply::SpaceCount(read_all(data)?),
        Command::Entry => Reply::Entry(read_all(data)?),
        Command::Exit => Reply::Exit(read_all(data)?),
        Command::Correction => Reply::Correction(read_all(data)?),
        Command::Charge => Reply::Charge(read_all(data)?),
        Command::PrioritySwitch => Reply::PrioritySwitch(read_all(data)?),
        Command::ControlList => Reply::ControlList(read_all(data)?),
        Command::Book => Reply::Book(read_all(data)?),
        Command::BookConfirm => Reply::BookConfirm(read_all(data)?),
        Command::Coupon => Reply::Coupon(read_all(data)?),
        _ => return None,
    })
}

/// Whether [`read_reply`] would read `data`, without building the reply
/// (for a caller that only needs to know the reply is well formed).
pub fn skim_reply(cmd: Command, data: &[u8]) -> bool {
    fn all<T: Val>(data: &[u8]) -> bool {
        let mut r = Rd { b: data, i: 0 };
        Vec::<T>::skim(&mut r) && r.i == data.len()
    }
    match cmd {
        Command::SpaceCount => all::<ParkCodeReply>(data),
        Command::Entry
        | Command::Exit
        | Command::Correction
        | Command::Charge
        | Command::PrioritySwitch
        | Command::ControlList => all::<IdReply>(data),
        Command::Book => all::<BookReply>(data),
        Command::BookConfirm => all::<BookConfirmReply>(data),
        Command::Coupon => all::<CouponReply>(data),
        _ => false,
    }
}

/// Appends the `data` array of a hot request as serde_json writes it;
/// false (nothing written) for another interface.
pub fn write_request(req: &Request, out: &mut Vec<u8>) -> bool {
    match req {
        Request::SpaceCount(v) => v.write(out),
        Request::Entry(v) | Request::Exit(v) | Request::Correction(v) => v.write(out),
        Request::Charge(v) => v.write(out),
        Request::PrioritySwitch(v) => v.write(out),
        Request::Book(v) => v.write(out),
        Request::BookConfirm(v) => v.write(out),
        _ => return false,
    }
    true
}

/// Appends the `data` array of a reply to a hot request as serde_json
/// writes it; false (nothing written) for another interface.
pub fn write_reply(rep: &Reply, out: &mut Vec<u8>) -> bool {
    match rep {
        Reply::SpaceCount(v) => v.write(out),
        Reply::Entry(v)
        | Reply::Exit(v)
        | Reply::Correction(v)
        | Reply::Charge(v)
        | Reply::PrioritySwitch(v)
        | Reply::ControlList(v) => v.write(out),
        Reply::Book(v) => v.write(out),
        Reply::BookConfirm(v) => v.write(out),
        Reply::Coupon(v) => v.write(out),
        _ => return false,
    }
    true
}

#[cfg(test)]
mod test {
    use super::plain_len;

    #[test]
    fn plain_len_stops_at_the_first_special_byte() {
        let naive = |b: &[u8]| {
            b.iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .unwrap_or(b.len())
        };
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let alphabet = b"ab\"\\\x00\x1f\x20\x21\x7f\x80\xff\xe7\x5b\x5d\x5c";
        for n in 0..40 {
            for _ in 0..500 {
                let b: Vec<u8> = (0..n)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        // Mostly plain bytes, a special one now and then.
                        if x.is_multiple_of(7) {
                            alphabet[(x >> 8) as usize % alphabet.len()]
                        } else {
                            b'a' + (x >> 16) as u8 % 26
                        }
                    })
                    .collect();
                assert_eq!(plain_len(&b), naive(&b), "{b:?}");
            }
        }
    }
}
