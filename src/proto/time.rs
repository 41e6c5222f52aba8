//! The standard's calendar types: `DateTime` ("yyyy-MM-dd HH:mm:ss"), `Date`
//! ("yyyy-MM-dd") and `Time` ("HH:mm:ss") (table 1).
//!
//! A [`DateTime`] is a count of seconds since 1970-01-01 00:00:00 on the
//! garage's civil clock. The standard gives no time zone for these strings;
//! parksim keeps them naive, so simulated time maps onto them one to one.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Seconds since 1970-01-01 00:00:00 on the civil clock [s].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct DateTime(pub i64);

/// Why a date or time string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeParseError(pub String);

impl fmt::Display for TimeParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TimeParseError {}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01: (year, month, day).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u32, |a, b| a * 10 + (b - b'0') as u32))
}

/// Why a date or time did not read: not the form, or the form but no
/// calendar date / time of day.
enum Unread {
    Form,
    Value,
}

/// "yyyy-MM-dd" → day count since 1970-01-01.
fn date_of(b: &[u8]) -> Result<i64, Unread> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(Unread::Form);
    }
    let y = digits(&b[0..4]).ok_or(Unread::Form)? as i64;
    let m = digits(&b[5..7]).ok_or(Unread::Form)?;
    let d = digits(&b[8..10]).ok_or(Unread::Form)?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return Err(Unread::Value);
    }
    Ok(days_from_civil(y, m, d))
}

/// "HH:mm:ss" → seconds since midnight.
fn time_of(b: &[u8]) -> Result<i64, Unread> {
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return Err(Unread::Form);
    }
    let h = digits(&b[0..2]).ok_or(Unread::Form)?;
    let m = digits(&b[3..5]).ok_or(Unread::Form)?;
    let sec = digits(&b[6..8]).ok_or(Unread::Form)?;
    if h > 23 || m > 59 || sec > 59 {
        return Err(Unread::Value);
    }
    Ok((h * 3600 + m * 60 + sec) as i64)
}

/// Parses "yyyy-MM-dd" into a day count since 1970-01-01.
pub fn parse_date(s: &str) -> Result<i64, TimeParseError> {
    date_of(s.as_bytes()).map_err(|e| {
        TimeParseError(match e {
            Unread::Form => format!("`{s}` is not a date yyyy-MM-dd"),
            Unread::Value => format!("`{s}` is not a calendar date"),
        })
    })
}

/// Parses "HH:mm:ss" into seconds since midnight.
pub fn parse_time(s: &str) -> Result<i64, TimeParseError> {
    time_of(s.as_bytes()).map_err(|e| {
        TimeParseError(match e {
            Unread::Form => format!("`{s}` is not a time HH:mm:ss"),
            Unread::Value => format!("`{s}` is not a time of day"),
        })
    })
}

impl DateTime {
    pub const fn from_secs(secs: i64) -> DateTime {
        DateTime(secs)
    }

    pub const fn secs(self) -> i64 {
        self.0
    }

    /// Parses "yyyy-MM-dd HH:mm:ss".
    pub fn parse(s: &str) -> Result<DateTime, TimeParseError> {
        if s.len() != 19 || s.as_bytes()[10] != b' ' {
            return Err(TimeParseError(format!(
                "`{s}` is not a date-time yyyy-MM-dd HH:mm:ss"
            )));
        }
        let days = parse_date(&s[..10])?;
        let secs = parse_time(&s[11..])?;
        Ok(DateTime(days * 86_400 + secs))
    }

    /// [`DateTime::parse`] of bytes (a string's content as received):
    /// `Some` exactly where `parse` of the same text gives `Ok`; text
    /// that reads is ASCII, so no UTF-8 check is needed.
    pub fn parse_bytes(b: &[u8]) -> Option<DateTime> {
        if b.len() != 19 || b[10] != b' ' {
            return None;
        }
        let days = date_of(&b[..10]).ok()?;
        let secs = time_of(&b[11..]).ok()?;
        Some(DateTime(days * 86_400 + secs))
    }

    /// Day count since 1970-01-01.
    pub fn day(self) -> i64 {
        self.0.div_euclid(86_400)
    }

    /// Seconds since midnight [s].
    pub fn second_of_day(self) -> i64 {
        self.0.rem_euclid(86_400)
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = civil_from_days(self.day());
        let s = self.second_of_day();
        write!(
            f,
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
            s / 3600,
            s / 60 % 60,
            s % 60
        )
    }
}

impl std::str::FromStr for DateTime {
    type Err = TimeParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DateTime::parse(s)
    }
}

impl DateTime {
    /// `yyyy-MM-dd HH:mm:ss` into `buf`, without `core::fmt`; `None` for
    /// years outside 0000–9999 (the [`Display`](fmt::Display) form then).
    pub fn write_into(self, buf: &mut [u8; 19]) -> Option<&str> {
        let (y, m, d) = civil_from_days(self.day());
        if !(0..=9999).contains(&y) {
            return None;
        }
        let s = self.second_of_day();
        let two = |b: &mut [u8], v: i64| {
            b[0] = b'0' + (v / 10) as u8;
            b[1] = b'0' + (v % 10) as u8;
        };
        two(&mut buf[0..2], y / 100);
        two(&mut buf[2..4], y % 100);
        buf[4] = b'-';
        two(&mut buf[5..7], m as i64);
        buf[7] = b'-';
        two(&mut buf[8..10], d as i64);
        buf[10] = b' ';
        two(&mut buf[11..13], s / 3600);
        buf[13] = b':';
        two(&mut buf[14..16], s / 60 % 60);
        buf[16] = b':';
        two(&mut buf[17..19], s % 60);
        std::str::from_utf8(buf).ok()
    }
}

impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 19];
        match self.write_into(&mut buf) {
            Some(text) => s.serialize_str(text),
            None => s.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for DateTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = DateTime;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a DateTime string yyyy-MM-dd HH:mm:ss")
            }
            // Borrowed or transient text alike: no copy.
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<DateTime, E> {
                DateTime::parse(s).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// `parse_bytes` reads exactly what `parse` reads, and nothing that is
    /// not UTF-8: valid date-times and every one-byte change of them.
    #[test]
    fn parse_bytes_is_parse() {
        let mut next = crate::testing::xorshift(0x7F4A_7C15_9E37_79B9);
        let alphabet = b"0123456789-: +x\xE7\xFF";
        let mut tried = 0;
        for _ in 0..4_000 {
            let secs = (next() % 300_000_000_000) as i64 - 62_000_000_000;
            let base = DateTime(secs).to_string().into_bytes();
            for _ in 0..10 {
                let mut b = base.clone();
                match next() % 4 {
                    0 => {}
                    1 => {
                        let at = (next() as usize) % b.len();
                        b[at] = alphabet[(next() as usize) % alphabet.len()];
                    }
                    2 => {
                        b.remove((next() as usize) % b.len());
                    }
                    _ => b.insert((next() as usize) % b.len(), b'0' + (next() % 10) as u8),
                }
                let want = std::str::from_utf8(&b)
                    .ok()
                    .and_then(|s| DateTime::parse(s).ok());
                assert_eq!(
                    DateTime::parse_bytes(&b),
                    want,
                    "{:?}",
                    String::from_utf8_lossy(&b)
                );
                tried += usize::from(want.is_some());
            }
        }
        assert!(tried > 10_000, "{tried}");
    }

    #[test]
    fn write_into_matches_display() {
        let mut x: i64 = 1;
        for i in 0..20_000i64 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            // Years 0000–9999 and a margin outside.
            let t = DateTime(x.rem_euclid(320_000_000_000) - 62_200_000_000 + i);
            let mut buf = [0u8; 19];
            match t.write_into(&mut buf) {
                Some(s) => assert_eq!(s, t.to_string()),
                None => assert!(!(0..=9999).contains(&civil_from_days(t.day()).0)),
            }
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{t}\""));
            if let Some(s) = t.write_into(&mut buf) {
                assert_eq!(
                    serde_json::from_str::<DateTime>(&format!("\"{s}\"")).unwrap(),
                    t
                );
            }
        }
    }

    #[test]
    fn known_dates() {
        assert_eq!(DateTime::parse("1970-01-01 00:00:00"), Ok(DateTime(0)));
        assert_eq!(
            DateTime::parse("2018-01-01 01:01:01").unwrap().0,
            1_514_768_461
        );
        assert_eq!(
            DateTime::parse("2000-02-29 23:59:59").unwrap().to_string(),
            "2000-02-29 23:59:59"
        );
        assert!(DateTime::parse("2019-02-29 00:00:00").is_err());
        assert!(DateTime::parse("2018-13-01 00:00:00").is_err());
        assert!(DateTime::parse("2018-01-01 24:00:00").is_err());
        assert!(DateTime::parse("2018-01-01").is_err());
        assert!(DateTime::parse("2018-01-01T01:01:01").is_err());
        assert!(DateTime::parse("２018-01-01 01:01:01").is_err());
    }

    #[test]
    fn round_trip_over_many_days() {
        for day in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
            let t = DateTime(day * 86_400 + 3_723);
            assert_eq!(
                DateTime::parse(&t.to_string())
                    .ok()
                    .filter(|_| (0..10_000).contains(&y))
                    .map(|x| x.0)
                    .unwrap_or(t.0),
                t.0
            );
        }
    }
}
