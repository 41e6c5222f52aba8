//! The hot items read from and written to canonical JSON by hand, without
//! serde: the reports a garage sends all day (5003 space counts, 5004 and
//! 5005 records, 5008 charges, 7001 switches), the bookings (6001, 6002)
//! and the answers to all of these (and to 4001 and 4002).
//!
//! **Reading** ([`read_request`], [`read_reply`], [`skim_reply`]) is the
//! fast path's table check and typed read in one pass. It takes only the
//! narrow form parksim and any canonical writer produce: compact, keys in
//! byte order, strings without escapes, numbers as plain JSON text. The
//! reader walks the struct's fields in key order beside the input's keys
//! and beside its table's fields ([`Schema::sorted`], the same fields one
//! for one), each key compared whole with its quotes and colon, and checks
//! each value against its field as [`clean`](super::clean) does: type,
//! length, enumeration, range, required keys present and not `null`, no
//! extension, at least one item. Anything else — a space, an escape, a key
//! out of order, repeated or unknown, a value the table refuses or calls a
//! deviation, `-0` — answers `None`, and the caller takes the full reader,
//! which explains what it found. So the contract is one equivalence:
//! **`Some(v)` exactly where `clean_items` finds the bytes clean and
//! `serde_json::from_slice` gives `Ok(v)`** (`tests/direct.rs` checks it
//! over generated and mutated inputs). Numbers convert through
//! [`number`](super::number) and date-times through [`DateTime::parse`],
//! the conversions serde's path uses.
//!
//! **Writing** ([`write_request`], [`write_reply`]) gives exactly the bytes
//! of `serde_json::to_writer` for the same value (fields in declaration
//! order, which is key order; absent options left out; strings escaped as
//! serde_json escapes them), so signs and frames do not change.

use super::codes::Command;
use super::messages::*;
use super::schema::{Presence, Schema, Ty, reply_schema, request_schema};
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
        std::str::from_utf8(self.raw_str()?).ok()
    }

    /// A string without escapes or control characters: its bytes, not yet
    /// checked to be UTF-8 (for a caller that checks a stricter form).
    fn raw_str(&mut self) -> Option<&'a [u8]> {
        self.need(b'"')?;
        let start = self.i;
        let end = start + plain_len(&self.b[start..]);
        if self.b.get(end) != Some(&b'"') {
            return None;
        }
        self.i = end + 1;
        Some(&self.b[start..end])
    }

    /// A JSON number's text (its grammar checked: ASCII).
    fn number(&mut self) -> Option<&'a [u8]> {
        let start = self.i;
        self.i = super::number::json_number_end(self.b, start)?;
        Some(&self.b[start..self.i])
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

/// A field's value: read in the narrow form and checked against its
/// table's type, written as serde writes it.
trait Val: Sized {
    /// Reads a value whose table type is `ty`: `Some(v)` exactly where the
    /// table check (`clean`'s rules for `ty`) finds nothing and serde
    /// reads `v`. A Rust type that does not fit `ty` answers `None`.
    /// `null` is the struct walker's business (the field's presence).
    fn read(r: &mut Rd, ty: &Ty) -> Option<Self>;
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
    fn skim(r: &mut Rd, ty: &Ty) -> bool {
        Self::read(r, ty).is_some()
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
    // Two digits at a time from a table of the pairs 00–99.
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut u = n.unsigned_abs();
    while u >= 100 {
        let r = (u % 100) as usize * 2;
        u /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[r..r + 2]);
    }
    if u >= 10 {
        let r = u as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[r..r + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + u as u8;
    }
    if n < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[i..]);
}

/// Whether a string fits its table type: a `String` of at most `max`
/// characters, or a `Uuid` (32 hex digits).
fn str_fits(s: &str, ty: &Ty) -> bool {
    match *ty {
        Ty::Str(max) => max.is_none_or(|m| s.len() <= m || s.chars().count() <= m),
        Ty::Uuid => s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()),
        _ => false,
    }
}

/// A plain 4-byte Int's value: what [`number::int`](super::number::int)
/// reads as `IntText::Plain` from JSON number text (an optional `-`, then
/// digits without a leading zero, within the 4-byte Int); `None` for
/// anything else (`20.0`, `1e2` and ints out of range among them).
fn plain_int(t: &[u8]) -> Option<i64> {
    let digits = t.strip_prefix(b"-").unwrap_or(t);
    if digits.is_empty()
        || digits.len() > 10
        || (digits.len() > 1 && digits[0] == b'0')
        || !digits.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    // At most 10 digits: no overflow.
    let m = digits
        .iter()
        .fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
    let n = if digits.len() < t.len() { -m } else { m };
    i32::try_from(n).is_ok().then_some(n)
}

impl Val for String {
    fn read(r: &mut Rd, ty: &Ty) -> Option<Self> {
        let s = r.str()?;
        str_fits(s, ty).then(|| s.to_owned())
    }
    fn skim(r: &mut Rd, ty: &Ty) -> bool {
        match *ty {
            // 32 hex digits are UTF-8: no check needed.
            Ty::Uuid => r
                .raw_str()
                .is_some_and(|b| b.len() == 32 && b.iter().all(u8::is_ascii_hexdigit)),
            _ => r.str().is_some_and(|s| str_fits(s, ty)),
        }
    }
    fn write(&self, out: &mut Vec<u8>) {
        write_str(self, out)
    }
}

impl Val for i64 {
    /// A plain 4-byte Int within the type's enumeration or range. Not
    /// `-0`: the table check takes it, but serde_json reads it as a float.
    fn read(r: &mut Rd, ty: &Ty) -> Option<Self> {
        let t = r.number()?;
        if t == b"-0" {
            return None;
        }
        let n = plain_int(t)?;
        let fits = match *ty {
            Ty::Int(values) => values.is_none_or(|v| v.contains(&n)),
            Ty::IntRange(lo, hi) => (lo..=hi).contains(&n),
            Ty::Timestamp => (0..=i64::from(u32::MAX)).contains(&n),
            _ => false,
        };
        fits.then_some(n)
    }
    fn write(&self, out: &mut Vec<u8>) {
        write_int(*self, out)
    }
}

impl Val for Amount {
    /// A `Decimal` of at most two decimals, exactly from the text (as
    /// `Amount`'s `Deserialize` converts it).
    fn read(r: &mut Rd, ty: &Ty) -> Option<Self> {
        if !matches!(ty, Ty::Decimal) {
            return None;
        }
        super::number::decimal_bytes(r.number()?)
            .ok()
            .filter(|d| d.scale() <= 2)
            .map(Amount)
    }
    fn write(&self, out: &mut Vec<u8>) {
        let mut buf = [0u8; 40];
        out.extend_from_slice(self.write_ascii(&mut buf));
    }
}

impl Val for DateTime {
    fn read(r: &mut Rd, ty: &Ty) -> Option<Self> {
        if !matches!(ty, Ty::DateTime) {
            return None;
        }
        DateTime::parse_bytes(r.raw_str()?)
    }
    fn write(&self, out: &mut Vec<u8>) {
        let mut buf = [0u8; 19];
        match self.write_into(&mut buf) {
            Some(t) => write_str(t, out),
            None => write_str(&self.to_string(), out),
        }
    }
}

/// An optional field: present (the struct walker has taken `null`), or
/// absent.
impl<T: Val> Val for Option<T> {
    fn read(r: &mut Rd, ty: &Ty) -> Option<Self> {
        T::read(r, ty).map(Some)
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
    fn skim(r: &mut Rd, ty: &Ty) -> bool {
        T::skim(r, ty)
    }
}

/// The items of an array, each of type `item` (`empty`: whether `[]`
/// passes; a `data` array must hold an item).
fn read_items<T: Val>(r: &mut Rd, item: &Ty, empty: bool) -> Option<Vec<T>> {
    r.need(b'[')?;
    if r.eat(b']') {
        return empty.then(Vec::new);
    }
    // Most arrays hold one item (a report, a reply).
    let mut v = Vec::with_capacity(1);
    loop {
        v.push(T::read(r, item)?);
        if r.eat(b',') {
            continue;
        }
        r.need(b']')?;
        return Some(v);
    }
}

/// [`read_items`] without building them.
fn skim_items<T: Val>(r: &mut Rd, item: &Ty, empty: bool) -> bool {
    if !r.eat(b'[') {
        return false;
    }
    if r.eat(b']') {
        return empty;
    }
    loop {
        if !T::skim(r, item) {
            return false;
        }
        if r.eat(b',') {
            continue;
        }
        return r.eat(b']');
    }
}

impl<T: Val> Val for Vec<T> {
    fn read(r: &mut Rd, ty: &Ty) -> Option<Self> {
        match *ty {
            Ty::List(item) => read_items(r, item, true),
            _ => None,
        }
    }
    fn skim(r: &mut Rd, ty: &Ty) -> bool {
        match *ty {
            Ty::List(item) => skim_items::<T>(r, item, true),
            _ => false,
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
fn skim_field<S, T: Val>(_: fn(&S) -> &T, r: &mut Rd, ty: &Ty) -> bool {
    T::skim(r, ty)
}

/// Whether a struct's field may be absent (an option).
fn may_be_absent<S, T: Val>(_: fn(&S) -> &T) -> bool {
    T::absent().is_some()
}

/// `Val` for a struct whose fields are listed in key order (as they are
/// declared, which `every_message_serializes_canonically` keeps sorted).
/// The struct is read as an object of the table its type names
/// (`Ty::Object`), whose fields in key order ([`Schema::sorted`]) are the
/// struct's, one for one (`hot_structs_match_their_tables`): each key the
/// next field's or absent, each value checked against its field, as the
/// table check walks it. A key left over (unknown, repeated, out of order,
/// escaped), a required field absent or `null`, an extension present:
/// `None`.
macro_rules! direct_struct {
    ($ty:ident { $($key:literal => $field:ident),* $(,)? }) => {
        impl $ty {
            /// The keys, in the order read and written.
            #[cfg(test)]
            const KEYS: &[&str] = &[$($key),*];
        }

        impl Val for $ty {
            fn read(r: &mut Rd, ty: &Ty) -> Option<Self> {
                let Ty::Object(schema) = *ty else {
                    return None;
                };
                let mut fields = schema.sorted().fields.iter();
                r.need(b'{')?;
                // A key is next (after `{` or `,`).
                let mut more = !r.eat(b'}');
                $(
                    let f = fields.next()?;
                    let $field = if more && r.lit(concat!("\"", $key, "\":").as_bytes()) {
                        let v = if r.null() {
                            if f.presence == Presence::Required {
                                return None;
                            }
                            Val::absent()?
                        } else {
                            if f.presence == Presence::Extension {
                                return None;
                            }
                            Val::read(r, &f.ty)?
                        };
                        more = r.eat(b',');
                        if !more {
                            r.need(b'}')?;
                        }
                        v
                    } else {
                        if f.presence == Presence::Required {
                            return None;
                        }
                        Val::absent()?
                    };
                )*
                // A key left over, or a table longer than the struct.
                if more || fields.next().is_some() {
                    return None;
                }
                Some($ty { $($field),* })
            }
            fn skim(r: &mut Rd, ty: &Ty) -> bool {
                // `read`'s walk, each value skimmed instead of built.
                let Ty::Object(schema) = *ty else {
                    return false;
                };
                let mut fields = schema.sorted().fields.iter();
                if !r.eat(b'{') {
                    return false;
                }
                let mut more = !r.eat(b'}');
                $(
                    let Some(f) = fields.next() else {
                        return false;
                    };
                    if more && r.lit(concat!("\"", $key, "\":").as_bytes()) {
                        let ok = if r.null() {
                            f.presence != Presence::Required
                                && may_be_absent(|s: &$ty| &s.$field)
                        } else {
                            f.presence != Presence::Extension
                                && skim_field(|s: &$ty| &s.$field, r, &f.ty)
                        };
                        if !ok {
                            return false;
                        }
                        more = r.eat(b',');
                        if !more && !r.eat(b'}') {
                            return false;
                        }
                    } else if f.presence == Presence::Required
                        || !may_be_absent(|s: &$ty| &s.$field)
                    {
                        return false;
                    }
                )*
                !more && fields.next().is_none()
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

/// A whole `data` array of items of `schema`, at least one, nothing after
/// it.
fn read_all<T: Val>(data: &[u8], schema: &'static Schema) -> Option<Vec<T>> {
    let mut r = Rd { b: data, i: 0 };
    let v = read_items(&mut r, &Ty::Object(schema), false)?;
    (r.i == data.len()).then_some(v)
}

/// Whether [`read_request`] reads `cmd`'s requests: the hot interfaces
/// (5003–5006, 5008, 7001, 6001, 6002).
pub fn reads_request(cmd: Command) -> bool {
    use Command::*;
    matches!(
        cmd,
        SpaceCount | Entry | Exit | Correction | Charge | PrioritySwitch | Book | BookConfirm
    )
}

/// Whether [`read_reply`] and [`skim_reply`] read `cmd`'s replies: the
/// hot interfaces' and those to 4001 and 4002.
pub fn reads_reply(cmd: Command) -> bool {
    reads_request(cmd) || matches!(cmd, Command::ControlList | Command::Coupon)
}

/// The `data` of a hot request read by hand and checked against its table
/// in one pass: `Some` exactly where the table check
/// ([`clean_items`](super::clean::clean_items)) finds it clean and
/// canonical and serde reads it, with serde's value (see the module doc);
/// `None` for anything else and for another interface.
pub fn read_request(cmd: Command, data: &[u8]) -> Option<Request> {
    let s = request_schema(cmd)?;
    Some(match cmd {
        Command::SpaceCount => Request::SpaceCount(read_all(data, s)?),
        Command::Entry => Request::Entry(read_all(data, s)?),
        Command::Exit => Request::Exit(read_all(data, s)?),
        Command::Correction => Request::Correction(read_all(data, s)?),
        Command::Charge => Request::Charge(read_all(data, s)?),
        Command::PrioritySwitch => Request::PrioritySwitch(read_all(data, s)?),
        Command::Book => Request::Book(read_all(data, s)?),
        Command::BookConfirm => Request::BookConfirm(read_all(data, s)?),
        _ => return None,
    })
}

/// The `data` of a reply to a hot request, to 4001 or to 4002, read and
/// checked by hand (as [`read_request`]).
pub fn read_reply(cmd: Command, data: &[u8]) -> Option<Reply> {
    let s = reply_schema(cmd)?;
    Some(match cmd {
        Command::SpaceCount => Reply::SpaceCount(read_all(data, s)?),
        Command::Entry => Reply::Entry(read_all(data, s)?),
        Command::Exit => Reply::Exit(read_all(data, s)?),
        Command::Correction => Reply::Correction(read_all(data, s)?),
        Command::Charge => Reply::Charge(read_all(data, s)?),
        Command::PrioritySwitch => Reply::PrioritySwitch(read_all(data, s)?),
        Command::ControlList => Reply::ControlList(read_all(data, s)?),
        Command::Book => Reply::Book(read_all(data, s)?),
        Command::BookConfirm => Reply::BookConfirm(read_all(data, s)?),
        Command::Coupon => Reply::Coupon(read_all(data, s)?),
        _ => return None,
    })
}

/// Whether [`read_reply`] would read `data`, without building the reply
/// (for a caller that only needs to know the reply is clean and well
/// formed).
pub fn skim_reply(cmd: Command, data: &[u8]) -> bool {
    fn all<T: Val>(data: &[u8], schema: &'static Schema) -> bool {
        let mut r = Rd { b: data, i: 0 };
        skim_items::<T>(&mut r, &Ty::Object(schema), false) && r.i == data.len()
    }
    let Some(s) = reply_schema(cmd) else {
        return false;
    };
    match cmd {
        Command::SpaceCount => all::<ParkCodeReply>(data, s),
        Command::Entry
        | Command::Exit
        | Command::Correction
        | Command::Charge
        | Command::PrioritySwitch
        | Command::ControlList => all::<IdReply>(data, s),
        Command::Book => all::<BookReply>(data, s),
        Command::BookConfirm => all::<BookConfirmReply>(data, s),
        Command::Coupon => all::<CouponReply>(data, s),
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
    use super::*;
    use crate::proto::number::{self, IntText};

    /// The walk pairs each struct field with its table's field by position:
    /// the keys must be the table's, in key order, for every table a hot
    /// interface reads (nested ones included).
    #[test]
    fn hot_structs_match_their_tables() {
        use super::super::schema::{DISCOUNT_RECORD, PARK_CAR_INFO};
        use Command::*;
        let names =
            |s: &Schema| -> Vec<&str> { s.sorted().fields.iter().map(|f| f.name).collect() };
        let requests: &[(Command, &[&str])] = &[
            (SpaceCount, ParkSpaceInfo::KEYS),
            (Entry, ParkRecordInfo::KEYS),
            (Exit, ParkRecordInfo::KEYS),
            (Correction, ParkRecordInfo::KEYS),
            (Charge, ParkChargeInfo::KEYS),
            (PrioritySwitch, super::PrioritySwitch::KEYS),
            (Book, BookRequest::KEYS),
            (BookConfirm, BookConfirmRequest::KEYS),
        ];
        let replies: &[(Command, &[&str])] = &[
            (SpaceCount, ParkCodeReply::KEYS),
            (Entry, IdReply::KEYS),
            (Exit, IdReply::KEYS),
            (Correction, IdReply::KEYS),
            (Charge, IdReply::KEYS),
            (PrioritySwitch, IdReply::KEYS),
            (ControlList, IdReply::KEYS),
            (Book, BookReply::KEYS),
            (BookConfirm, BookConfirmReply::KEYS),
            (Coupon, CouponReply::KEYS),
        ];
        for &(cmd, keys) in requests {
            assert!(reads_request(cmd), "{cmd}");
            assert_eq!(names(request_schema(cmd).unwrap()), keys, "{cmd} request");
        }
        for &(cmd, keys) in replies {
            assert!(reads_reply(cmd), "{cmd}");
            assert_eq!(names(reply_schema(cmd).unwrap()), keys, "{cmd} reply");
        }
        let hot = |list: &[(Command, &[&str])], c| list.iter().any(|&(d, _)| d == c);
        for c in Command::ALL {
            assert_eq!(reads_request(c), hot(requests, c), "{c}");
            assert_eq!(reads_reply(c), hot(replies, c), "{c}");
        }
        assert_eq!(names(&PARK_CAR_INFO), ParkCarInfo::KEYS);
        assert_eq!(names(&DISCOUNT_RECORD), DiscountRecord::KEYS);
    }

    /// `write_int` writes what `to_string` (and itoa, serde_json's) writes.
    #[test]
    fn write_int_is_to_string() {
        let mut next = crate::testing::xorshift(0x0DDB_1A5E_5BAD_5EED);
        let mut values = vec![0, 9, 10, 99, 100, 101, 999, 1000, -1, -10, -99, -100];
        values.extend([
            i64::MIN,
            i64::MAX,
            i64::MIN + 1,
            1_600_000_000,
            -1_600_000_000,
        ]);
        for _ in 0..50_000 {
            let x = next();
            values.push(match x % 3 {
                0 => x as i64,
                1 => (x >> (x % 64)) as i64,
                _ => -((x >> (x % 64)) as i64),
            });
        }
        for n in values {
            let mut out = b"x".to_vec();
            write_int(n, &mut out);
            assert_eq!(&out[1..], n.to_string().as_bytes(), "{n}");
        }
    }

    /// `plain_int` is `number::int`'s `Plain` on JSON number text.
    #[test]
    fn plain_int_is_number_int_plain() {
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "7",
            "-7",
            "10",
            "2147483647",
            "2147483648",
            "-2147483648",
            "-2147483649",
            "9999999999",
            "-9999999999",
            "12345678901",
            "20.0",
            "1e2",
            "1E0",
            "-1.5",
            "0.0",
            "100",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect();
        let mut next = crate::testing::xorshift(0x51_7CC1_B727_220A);
        for _ in 0..20_000 {
            let x = next();
            let n = match x % 4 {
                0 => (x >> 8) as i64,
                1 => (x >> 8) as i32 as i64,
                2 => (x >> 40) as i64 - (1 << 23),
                _ => (x >> 8) as i64 % 100_000_000_000,
            };
            texts.push(n.to_string());
        }
        for t in &texts {
            // Only JSON number text reaches it.
            if number::json_number_end(t.as_bytes(), 0) != Some(t.len()) {
                continue;
            }
            let want = match number::int(t) {
                Ok(IntText::Plain(n)) => Some(n),
                _ => None,
            };
            assert_eq!(plain_int(t.as_bytes()), want, "{t}");
        }
    }

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
