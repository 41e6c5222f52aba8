//! Number text → values: the one place where a JSON number's text becomes
//! an amount, an Int or a Double. Every reader (the full reader through
//! `serde_json::Value`, the fast path straight from the bytes, the table
//! check) converts through here, so they cannot disagree.
//!
//! - [`decimal`]: exact, from the text (never through `f64`); the bound is
//!   table 1's 16-byte Decimal (a 96-bit magnitude and at most 28
//!   decimals, what `rust_decimal` holds).
//! - [`int`]: table 1's 4-byte Int. `20.0` and `1e2` are integers written
//!   as decimals: [`IntText::Decimal`], a deviation in lenient reading.
//! - [`double`]: a finite `f64` (`1e400` is out of range, not infinity).

use rust_decimal::Decimal;
use std::fmt;

/// Why a number's text is not the value asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberError {
    /// Not JSON number text.
    Syntax,
    /// Beyond the 16-byte Decimal (|x| ≥ 2^96 units of its scale, or more
    /// than 28 decimals).
    DecimalRange,
    /// Not an integer (`20.5`).
    NotInteger,
    /// An integer outside the 4-byte Int range.
    IntRange,
    /// Beyond the 8-byte Double (overflows to infinity).
    DoubleRange,
}

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NumberError::Syntax => "not a JSON number",
            NumberError::DecimalRange => {
                "outside the 16-byte Decimal (at most 28 significant digits / 28 decimals, |x| < 7.9e28)"
            }
            NumberError::NotInteger => "not an integer",
            NumberError::IntRange => "outside the 4-byte Int range (-2147483648..=2147483647)",
            NumberError::DoubleRange => "outside the 8-byte Double range",
        })
    }
}

impl std::error::Error for NumberError {}

/// The parts of a JSON number: sign, significant digits, decimal exponent.
struct Parts<'a> {
    neg: bool,
    int: &'a [u8],
    frac: &'a [u8],
    exp: i64,
}

/// The end of the JSON number (RFC 8259 grammar: `-`, `0` or a digit
/// run, an optional fraction, an optional exponent) that starts at
/// `b[start]`, or `None` where the text is not one. The one number scanner
/// of the byte readers (`clean`, `direct`).
pub(crate) fn json_number_end(b: &[u8], start: usize) -> Option<usize> {
    let digit = |i: usize| matches!(b.get(i), Some(b'0'..=b'9'));
    let digits = |mut i: usize| {
        while digit(i) {
            i += 1;
        }
        i
    };
    let mut i = start + usize::from(b.get(start) == Some(&b'-'));
    i = match b.get(i)? {
        b'0' => i + 1,
        b'1'..=b'9' => digits(i),
        _ => return None,
    };
    if b.get(i) == Some(&b'.') {
        if !digit(i + 1) {
            return None;
        }
        i = digits(i + 1);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digit(i) {
            return None;
        }
        i = digits(i);
    }
    Some(i)
}

fn parts(b: &[u8]) -> Result<Parts<'_>, NumberError> {
    let mut i = 0;
    let neg = b.first() == Some(&b'-');
    if neg {
        i += 1;
    }
    let s = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int = &b[s..i];
    if int.is_empty() || (int.len() > 1 && int[0] == b'0') {
        return Err(NumberError::Syntax);
    }
    let mut frac: &[u8] = &[];
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac = &b[s..i];
        if frac.is_empty() {
            return Err(NumberError::Syntax);
        }
    }
    let mut exp: i64 = 0;
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        let eneg = i < b.len() && b[i] == b'-';
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            // Capped: anything this large is out of every range, and the
            // cap keeps `digits − exp` (a scale) far from i64 overflow.
            exp = (exp * 10 + (b[i] - b'0') as i64).min(EXP_CAP);
            i += 1;
        }
        if i == s {
            return Err(NumberError::Syntax);
        }
        if eneg {
            exp = -exp;
        }
    }
    if i != b.len() {
        return Err(NumberError::Syntax);
    }
    Ok(Parts {
        neg,
        int,
        frac,
        exp,
    })
}

/// The largest exponent magnitude [`parts`] keeps: beyond every range
/// (a Double ends near 1e308) and beyond any count of digits a message can
/// hold, so a scale `digits − exp` never overflows.
const EXP_CAP: i64 = 1 << 40;

/// The number `t` exactly, as a 16-byte Decimal. The scale is kept as
/// written (`20.00` has scale 2) unless the exponent moves it.
pub fn decimal(t: &str) -> Result<Decimal, NumberError> {
    decimal_bytes(t.as_bytes())
}

/// [`decimal`] of text given as bytes (the byte readers' form: no UTF-8
/// check needed, anything but number text is refused).
pub(crate) fn decimal_bytes(t: &[u8]) -> Result<Decimal, NumberError> {
    let p = parts(t)?;
    // Significant digits (leading zeros dropped), scale = decimals − exp.
    let digits = p.int.iter().chain(p.frac.iter());
    let mut m: u128 = 0;
    let mut sig = 0usize;
    for &d in digits {
        if sig == 0 && d == b'0' {
            continue;
        }
        sig += 1;
        if sig > 29 {
            return Err(NumberError::DecimalRange);
        }
        m = m * 10 + (d - b'0') as u128;
    }
    let mut scale = p.frac.len() as i64 - p.exp;
    if m == 0 {
        return Ok(Decimal::new(0, scale.clamp(0, 28) as u32));
    }
    while scale < 0 {
        m = m.checked_mul(10).ok_or(NumberError::DecimalRange)?;
        if m >= 1u128 << 96 {
            return Err(NumberError::DecimalRange);
        }
        scale += 1;
    }
    // Trailing zeros beyond 28 decimals carry no value.
    while scale > 28 && m.is_multiple_of(10) {
        m /= 10;
        scale -= 1;
    }
    if scale > 28 || m >= 1u128 << 96 {
        return Err(NumberError::DecimalRange);
    }
    let v = if p.neg { -(m as i128) } else { m as i128 };
    Decimal::try_from_i128_with_scale(v, scale as u32).map_err(|_| NumberError::DecimalRange)
}

/// An Int's text: plainly an integer, or an integer written as a decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntText {
    /// `20`, `-3`.
    Plain(i64),
    /// `20.0`, `1e2`, `2.5e1`: an integer value in decimal form (a
    /// deviation: lenient reading takes the value, strict refuses).
    Decimal(i64),
}

impl IntText {
    pub fn value(self) -> i64 {
        match self {
            IntText::Plain(n) | IntText::Decimal(n) => n,
        }
    }
}

/// The 4-byte Int written as `t`.
pub fn int(t: &str) -> Result<IntText, NumberError> {
    let p = parts(t.as_bytes())?;
    if p.frac.is_empty() && p.exp == 0 {
        return match t.parse::<i64>() {
            Ok(n) if i32::try_from(n).is_ok() => Ok(IntText::Plain(n)),
            _ => Err(NumberError::IntRange),
        };
    }
    let d = match decimal(t) {
        Ok(d) => d,
        // Too many digits for a Decimal: surely not a 4-byte Int (or not
        // an integer at all; say which).
        Err(_) => {
            return Err(if p.exp > 0 || p.frac.iter().all(|&c| c == b'0') {
                NumberError::IntRange
            } else {
                NumberError::NotInteger
            });
        }
    };
    if !d.fract().is_zero() {
        return Err(NumberError::NotInteger);
    }
    let n = i64::try_from(d.trunc()).map_err(|_| NumberError::IntRange)?;
    if i32::try_from(n).is_err() {
        return Err(NumberError::IntRange);
    }
    Ok(IntText::Decimal(n))
}

/// The 8-byte Double written as `t` (finite).
pub fn double(t: &str) -> Result<f64, NumberError> {
    parts(t.as_bytes())?;
    let f: f64 = t.parse().map_err(|_| NumberError::Syntax)?;
    if f.is_finite() {
        Ok(f)
    } else {
        Err(NumberError::DoubleRange)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn json_number_grammar() {
        for (t, end) in [
            ("0", Some(1)),
            ("-0", Some(2)),
            ("12.50,", Some(5)),
            ("1e5}", Some(3)),
            ("-1.5E-3]", Some(7)),
            ("1E+2", Some(4)),
            ("01", Some(1)),
            ("-", None),
            ("1.", None),
            (".5", None),
            ("1e", None),
            ("1e+", None),
            ("x", None),
            ("", None),
        ] {
            assert_eq!(json_number_end(t.as_bytes(), 0), end, "{t:?}");
        }
        assert_eq!(json_number_end(b"[3.25]", 1), Some(5));
    }

    /// Exponents of any length: out of range (or zero), never an overflow
    /// of the scale. Without the cap this panics in `.ci/run`'s
    /// overflow-checked pass ("attempt to subtract with overflow"); a plain
    /// release build wraps, and only the `exp` assertions see the cap.
    #[test]
    fn huge_exponents_are_out_of_range() {
        let huge = "99999999999999999999999999999999";
        for t in [
            format!("1.5e-{huge}"),
            format!("1e{huge}"),
            format!("-7E+{huge}"),
        ] {
            assert_eq!(decimal(&t), Err(NumberError::DecimalRange), "{t}");
            assert_eq!(
                int(&t).err(),
                Some(if t.contains("e-") {
                    NumberError::NotInteger
                } else {
                    NumberError::IntRange
                }),
                "{t}"
            );
        }
        assert_eq!(decimal(&format!("0e-{huge}")), Ok(Decimal::ZERO));
        assert_eq!(decimal(&format!("0.00e{huge}")), Ok(Decimal::ZERO));
        assert_eq!(
            parts(format!("1e{huge}").as_bytes()).map(|p| p.exp),
            Ok(EXP_CAP)
        );
        assert_eq!(
            parts(format!("1e-{huge}").as_bytes()).map(|p| p.exp),
            Ok(-EXP_CAP)
        );
    }

    #[test]
    fn decimals_from_text() {
        for (t, want) in [
            ("20.01", "20.01"),
            ("20.00", "20.00"),
            ("0", "0"),
            ("-0.5", "-0.5"),
            ("1e2", "100"),
            ("2.5E-1", "0.25"),
            ("18446744073709551616", "18446744073709551616"),
            ("18446744073709551616.00", "18446744073709551616.00"),
            (
                "79228162514264337593543950335",
                "79228162514264337593543950335",
            ),
            ("0e999999", "0"),
        ] {
            assert_eq!(decimal(t).unwrap().to_string(), want, "{t}");
        }
        for t in [
            "1e29",
            "79228162514264337593543950336",
            "1e-29",
            "1e99999999999999999999",
            "0.12345678901234567890123456789",
        ] {
            assert_eq!(decimal(t), Err(NumberError::DecimalRange), "{t}");
        }
        for t in ["", "-", "01", "1.", ".5", "1e", "1x", "+1", "NaN"] {
            assert_eq!(decimal(t), Err(NumberError::Syntax), "{t}");
        }
    }

    #[test]
    fn ints_from_text() {
        assert_eq!(int("20"), Ok(IntText::Plain(20)));
        assert_eq!(int("-2147483648"), Ok(IntText::Plain(-2147483648)));
        assert_eq!(int("20.0"), Ok(IntText::Decimal(20)));
        assert_eq!(int("1e2"), Ok(IntText::Decimal(100)));
        assert_eq!(int("20.5"), Err(NumberError::NotInteger));
        assert_eq!(int("2147483648"), Err(NumberError::IntRange));
        assert_eq!(int("3e9"), Err(NumberError::IntRange));
        assert_eq!(int("1e400"), Err(NumberError::IntRange));
        assert_eq!(int("99999999999999999999"), Err(NumberError::IntRange));
    }

    #[test]
    fn doubles_are_finite() {
        assert_eq!(double("22.5"), Ok(22.5));
        assert_eq!(double("1e400"), Err(NumberError::DoubleRange));
        assert_eq!(double("-1e400"), Err(NumberError::DoubleRange));
        assert_eq!(double("1e-400"), Ok(0.0));
    }
}
