//! The standard's field tables as data, and the validator that checks a JSON
//! item against them.
//!
//! Each table of the standard (2–11 for objects, 15–42 for requests and
//! replies) is a [`Schema`]: a list of [`Field`]s with the table's type,
//! length, required flag, enum values and ranges. [`check`] walks a JSON
//! value against a schema and returns the value **normalized** (numeric
//! strings turned into numbers, a bare-number `parkCode` into its digits as
//! a string, a `Date` where a `DateTime` belongs read as 00:00:00, unknown
//! keys dropped) with two lists of [`Issue`]s, each carrying the standard's
//! code (table 44) and the field's path:
//!
//! - **errors**: the item cannot be read (missing required field → 4, wrong
//!   type → 1005, value outside an enumeration → 1007, …);
//! - **deviations**: the item can be read but departs from the tables (too
//!   long → 1004, a number as a string → 1005, an unknown key → 1000, a
//!   latitude outside ±90 → 1007, …). [`Mode::Strict`] turns every
//!   deviation into an error.
//!
//! See `shared/spec/NOTES.md` for the readings behind the lenient rules.

use super::codes::{BizCode, Command};
use super::number::{IntText, NumberError};
use super::time::{DateTime, parse_date, parse_time};
use serde_json::{Map, Number, Value};
use std::fmt;
use std::fmt::Write as _;

mod tables;
pub use tables::*;

/// A field's type, with the constraints the tables give.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    /// `String` of at most `max` characters (`None`: no length given).
    Str(Option<usize>),
    /// `Uuid`: 32 hex digits, no dashes (either case).
    Uuid,
    /// `Int`/`Long`, optionally restricted to an enumeration.
    Int(Option<&'static [i64]>),
    /// `Int` within an inclusive range.
    IntRange(i64, i64),
    /// `Double` within an inclusive range (ranges outside are deviations).
    Double(f64, f64),
    /// `Decimal`: at most two decimals, within the 16-byte Decimal.
    Decimal,
    /// A `Double` parksim keeps exactly (as a decimal, not an `f64`):
    /// finite, within the 16-byte Decimal, any number of decimals up to
    /// 28 (table 37 `couponValue`: `0.333`). Outside the range: deviation.
    ExactDouble(f64, f64),
    DateTime,
    Date,
    Time,
    /// Seconds since 1970 (values above 10^11 read as milliseconds).
    Timestamp,
    Bool,
    Object(&'static Schema),
    List(&'static Ty),
}

/// Whether a field must be present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    /// Not in the table, but sent by the standard's own examples and kept;
    /// its presence is a deviation (code 1000).
    Extension,
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The wire name (camelCase, as the standard spells it).
    pub name: &'static str,
    pub ty: Ty,
    pub presence: Presence,
}

/// One table of the standard.
#[derive(Debug)]
pub struct Schema {
    /// The object's name in the standard (e.g. `parkInfo`), or a label.
    pub name: &'static str,
    /// The table number.
    pub table: u8,
    pub fields: &'static [Field],
    /// The fields in byte order of their names, made once on first use
    /// ([`Schema::sorted`]).
    sorted: std::sync::OnceLock<SortedFields>,
}

/// A schema's fields in byte order of their names (canonical JSON's key
/// order), and how many are required.
#[derive(Debug)]
pub struct SortedFields {
    pub fields: Vec<Field>,
    pub required: usize,
}

impl Schema {
    pub const fn new(name: &'static str, table: u8, fields: &'static [Field]) -> Schema {
        Schema {
            name,
            table,
            fields,
            sorted: std::sync::OnceLock::new(),
        }
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The fields in key order (what a canonical object walks through).
    pub fn sorted(&self) -> &SortedFields {
        self.sorted.get_or_init(|| {
            let mut fields = self.fields.to_vec();
            fields.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
            SortedFields {
                required: fields
                    .iter()
                    .filter(|f| f.presence == Presence::Required)
                    .count(),
                fields,
            }
        })
    }
}

/// Lenient reading (accept and report deviations) or strict conformance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Lenient,
    Strict,
}

/// A finding about one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub code: BizCode,
    /// Path of the field in the message, e.g. `data[0].parkInfo.latitude`.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}: {}", self.code.code(), self.path, self.message)
    }
}

/// The outcome of [`check`].
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// The normalized item (meaningful when `errors` is empty).
    pub value: Value,
    pub errors: Vec<Issue>,
    pub deviations: Vec<Issue>,
}

impl Checked {
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Checks one `data` item of `cmd` at `path` (e.g. `data[0]`). For 4001 a
/// flat sheet (as the standard's example sends it) is read as
/// `{blackWhiteGraySheet: item, status: 1}`, a deviation.
pub fn check_item(
    schema: &Schema,
    cmd: Option<Command>,
    item: &Value,
    path: &str,
    mode: Mode,
) -> Checked {
    let mut c = Checked::default();
    let wrapped;
    let mut item = item;
    if cmd == Some(Command::ControlList)
        && let Value::Object(m) = item
        && !m.contains_key("blackWhiteGraySheet")
        && m.contains_key("strategyType")
    {
        c.deviations.push(Issue {
            code: BizCode::Parameter,
            path: path.to_string(),
            message: "item is the sheet itself (table 10), not {blackWhiteGraySheet, status} (table 35); read as status 1".into(),
        });
        let mut w = Map::new();
        w.insert("blackWhiteGraySheet".into(), item.clone());
        w.insert("status".into(), Value::from(1));
        wrapped = Value::Object(w);
        item = &wrapped;
    }
    c.value = check_object(
        schema,
        item,
        &mut path.to_string(),
        &mut c.errors,
        &mut c.deviations,
    );
    if mode == Mode::Strict {
        let devs = std::mem::take(&mut c.deviations);
        c.errors.extend(devs);
    }
    c
}

/// Checks a value against a schema (no command-specific readings).
pub fn check(schema: &Schema, item: &Value, path: &str, mode: Mode) -> Checked {
    check_item(schema, None, item, path, mode)
}

fn issue(out: &mut Vec<Issue>, code: BizCode, path: &str, message: String) {
    out.push(Issue {
        code,
        path: path.to_string(),
        message,
    });
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn check_object(
    schema: &Schema,
    v: &Value,
    path: &mut String,
    errs: &mut Vec<Issue>,
    devs: &mut Vec<Issue>,
) -> Value {
    let Value::Object(m) = v else {
        issue(
            errs,
            BizCode::WrongType,
            path,
            format!(
                "expected {} (table {}), got {}",
                schema.name,
                schema.table,
                type_name(v)
            ),
        );
        return Value::Null;
    };
    let mut out = Map::new();
    for field in schema.fields {
        let base = path.len();
        path.push('.');
        path.push_str(field.name);
        let p = &mut *path;
        match m.get(field.name) {
            None | Some(Value::Null) => {
                if field.presence == Presence::Required {
                    issue(
                        errs,
                        BizCode::Parameter,
                        p,
                        format!("required field missing (table {})", schema.table),
                    );
                }
            }
            Some(val) => {
                if field.presence == Presence::Extension {
                    issue(
                        devs,
                        BizCode::Naming,
                        p,
                        format!(
                            "`{}` is not in table {} (kept as an extension)",
                            field.name, schema.table
                        ),
                    );
                }
                let n = check_value(&field.ty, val, p, errs, devs);
                if !n.is_null() {
                    out.insert(field.name.to_string(), n);
                }
            }
        }
        path.truncate(base);
    }
    for key in m.keys() {
        if schema.field(key).is_none() {
            issue(
                devs,
                BizCode::Naming,
                &format!("{path}.{key}"), // rare: an unknown key
                format!(
                    "unknown field `{key}` (not in table {}); ignored",
                    schema.table
                ),
            );
        }
    }
    Value::Object(out)
}

/// A string of asterisks: the examples' redaction placeholder ("*****").
fn is_placeholder(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b == b'*')
}

fn number_from_str(s: &str) -> Option<Number> {
    let t = s.trim();
    let v: Value = serde_json::from_str(t).ok()?;
    match v {
        Value::Number(n) => Some(n),
        _ => None,
    }
}

fn is_integer_text(n: &Number) -> Option<i64> {
    let t = n.to_string();
    if t.contains(['.', 'e', 'E']) {
        return None;
    }
    t.parse().ok()
}

/// An Int (4 bytes, table 1) from a JSON number: the value, or why not.
/// `20.0` / `1e2` are a deviation (read as 20 / 100).
fn int_of(
    t: &str,
    p: &str,
    errs: &mut Vec<Issue>,
    devs: &mut Vec<Issue>,
    what: &str,
) -> Option<i64> {
    match super::number::int(t) {
        Ok(IntText::Plain(i)) => Some(i),
        Ok(IntText::Decimal(i)) => {
            issue(
                devs,
                BizCode::WrongType,
                p,
                format!(
                    "{what}{t} is an integer written as a decimal where the table says Int; read as {i}"
                ),
            );
            Some(i)
        }
        Err(NumberError::IntRange) => {
            issue(
                errs,
                BizCode::OutOfRange,
                p,
                format!("{what}{t} is {}", NumberError::IntRange),
            );
            None
        }
        Err(_) => {
            issue(
                errs,
                BizCode::WrongType,
                p,
                format!("{what}{t} is not an integer"),
            );
            None
        }
    }
}

/// Checks one value of type `ty` at `p`, pushing what it finds; returns
/// the normalized value (`Null` after an error).
pub fn check_value(
    ty: &Ty,
    v: &Value,
    p: &mut String,
    errs: &mut Vec<Issue>,
    devs: &mut Vec<Issue>,
) -> Value {
    match *ty {
        Ty::Str(max) => {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => {
                    let t = n.to_string();
                    issue(
                        devs,
                        BizCode::WrongType,
                        p,
                        format!("a number ({t}) where the table says String; read as its digits"),
                    );
                    t
                }
                _ => {
                    issue(
                        errs,
                        BizCode::WrongType,
                        p,
                        format!("expected a string, got {}", type_name(v)),
                    );
                    return Value::Null;
                }
            };
            if let Some(max) = max {
                let n = s.chars().count();
                if n > max {
                    issue(
                        devs,
                        BizCode::TooLong,
                        p,
                        format!("{n} characters, the table allows {max}"),
                    );
                }
            }
            Value::String(s)
        }
        Ty::Uuid => {
            let Value::String(s) = v else {
                issue(
                    errs,
                    BizCode::WrongType,
                    p,
                    format!("expected a 32-hex-digit Uuid string, got {}", type_name(v)),
                );
                return Value::Null;
            };
            if s.len() != 32 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
                let code = if s.chars().count() > 32 {
                    BizCode::TooLong
                } else {
                    BizCode::WrongType
                };
                issue(
                    devs,
                    code,
                    p,
                    format!("`{s}` is not a Uuid (32 hex digits, no dashes)"),
                );
            }
            v.clone()
        }
        Ty::Int(_) | Ty::IntRange(..) => {
            let n = match v {
                Value::Number(n) => match int_of(&n.to_string(), p, errs, devs, "") {
                    Some(i) => i,
                    None => return Value::Null,
                },
                Value::String(s) if is_placeholder(s) => {
                    issue(
                        devs,
                        BizCode::WrongType,
                        p,
                        format!("placeholder \"{s}\" where the table says Int; read as 0"),
                    );
                    return Value::from(0);
                }
                Value::String(s) => match number_from_str(s) {
                    Some(num) => {
                        issue(
                            devs,
                            BizCode::WrongType,
                            p,
                            format!("the string \"{s}\" where the table says Int"),
                        );
                        match int_of(&num.to_string(), p, errs, devs, "the string's number ") {
                            Some(i) => i,
                            None => return Value::Null,
                        }
                    }
                    None => {
                        issue(
                            errs,
                            BizCode::WrongType,
                            p,
                            format!("expected an integer, got the string \"{s}\""),
                        );
                        return Value::Null;
                    }
                },
                _ => {
                    issue(
                        errs,
                        BizCode::WrongType,
                        p,
                        format!("expected an integer, got {}", type_name(v)),
                    );
                    return Value::Null;
                }
            };
            match *ty {
                Ty::Int(Some(values)) if !values.contains(&n) => {
                    issue(
                        errs,
                        BizCode::OutOfRange,
                        p,
                        format!("{n} is not one of {values:?}"),
                    );
                    Value::Null
                }
                Ty::IntRange(lo, hi) if n < lo || n > hi => {
                    issue(
                        errs,
                        BizCode::OutOfRange,
                        p,
                        format!("{n} is outside {lo}..={hi}"),
                    );
                    Value::Null
                }
                _ => Value::from(n),
            }
        }
        Ty::Double(lo, hi) | Ty::ExactDouble(lo, hi) => {
            let num = match v {
                Value::Number(n) => n.clone(),
                Value::String(s) => match number_from_str(s) {
                    Some(n) => {
                        issue(
                            devs,
                            BizCode::WrongType,
                            p,
                            format!("the string \"{s}\" where the table says a number"),
                        );
                        n
                    }
                    None => {
                        issue(
                            errs,
                            BizCode::WrongType,
                            p,
                            format!("expected a number, got the string \"{s}\""),
                        );
                        return Value::Null;
                    }
                },
                _ => {
                    issue(
                        errs,
                        BizCode::WrongType,
                        p,
                        format!("expected a number, got {}", type_name(v)),
                    );
                    return Value::Null;
                }
            };
            let t = num.to_string();
            let f = match super::number::double(&t) {
                Ok(f) => f,
                Err(e) => {
                    issue(errs, BizCode::OutOfRange, p, format!("{t} is {e}"));
                    return Value::Null;
                }
            };
            if !(lo..=hi).contains(&f) {
                issue(
                    devs,
                    BizCode::OutOfRange,
                    p,
                    format!("{num} is outside {lo}..={hi}"),
                );
            }
            if matches!(ty, Ty::ExactDouble(..))
                && let Err(e) = super::number::decimal(&t)
            {
                issue(errs, BizCode::OutOfRange, p, format!("{t} is {e}"));
                return Value::Null;
            }
            Value::Number(num)
        }
        Ty::Decimal => {
            let num = match v {
                Value::Number(n) => n.clone(),
                Value::String(s) => match number_from_str(s) {
                    Some(n) => {
                        issue(
                            devs,
                            BizCode::WrongType,
                            p,
                            format!("the string \"{s}\" where the table says Decimal"),
                        );
                        n
                    }
                    None => {
                        issue(
                            errs,
                            BizCode::WrongType,
                            p,
                            format!("expected a Decimal, got the string \"{s}\""),
                        );
                        return Value::Null;
                    }
                },
                _ => {
                    issue(
                        errs,
                        BizCode::WrongType,
                        p,
                        format!("expected a Decimal, got {}", type_name(v)),
                    );
                    return Value::Null;
                }
            };
            let t = num.to_string();
            match super::number::decimal(&t) {
                Ok(d) if d.scale() > 2 => {
                    issue(
                        devs,
                        BizCode::OutOfRange,
                        p,
                        format!("{t} has more than two decimals"),
                    );
                }
                Ok(_) => {}
                Err(e) => {
                    issue(errs, BizCode::OutOfRange, p, format!("{t} is {e}"));
                    return Value::Null;
                }
            }
            Value::Number(num)
        }
        Ty::DateTime => {
            let Value::String(s) = v else {
                issue(
                    errs,
                    BizCode::WrongType,
                    p,
                    format!("expected a DateTime string, got {}", type_name(v)),
                );
                return Value::Null;
            };
            if DateTime::parse(s).is_ok() {
                v.clone()
            } else if parse_date(s).is_ok() {
                issue(
                    devs,
                    BizCode::WrongType,
                    p,
                    format!("the Date \"{s}\" where the table says DateTime; read as {s} 00:00:00"),
                );
                Value::String(format!("{s} 00:00:00"))
            } else {
                issue(
                    errs,
                    BizCode::WrongType,
                    p,
                    format!("\"{s}\" is not yyyy-MM-dd HH:mm:ss"),
                );
                Value::Null
            }
        }
        Ty::Date => match v {
            Value::String(s) if parse_date(s).is_ok() => v.clone(),
            _ => {
                issue(
                    errs,
                    BizCode::WrongType,
                    p,
                    format!("expected a Date yyyy-MM-dd, got {v}"),
                );
                Value::Null
            }
        },
        Ty::Time => match v {
            Value::String(s) if parse_time(s).is_ok() => v.clone(),
            _ => {
                issue(
                    errs,
                    BizCode::WrongType,
                    p,
                    format!("expected a Time HH:mm:ss, got {v}"),
                );
                Value::Null
            }
        },
        Ty::Timestamp => {
            let n = match v {
                Value::Number(n) => is_integer_text(n),
                Value::String(s) => {
                    let n = number_from_str(s).as_ref().and_then(is_integer_text);
                    if n.is_some() {
                        issue(
                            devs,
                            BizCode::WrongType,
                            p,
                            format!("the string \"{s}\" where a Timestamp number belongs"),
                        );
                    }
                    n
                }
                _ => None,
            };
            match n {
                Some(n) if n >= 0 => {
                    if n > 100_000_000_000 {
                        issue(
                            devs,
                            BizCode::OutOfRange,
                            p,
                            format!("{n} is above 10^11: read as milliseconds"),
                        );
                    } else if n > u32::MAX as i64 {
                        issue(
                            devs,
                            BizCode::OutOfRange,
                            p,
                            format!("{n} does not fit the 4-byte Timestamp"),
                        );
                    }
                    Value::from(n)
                }
                _ => {
                    issue(
                        errs,
                        BizCode::WrongType,
                        p,
                        format!("expected a Timestamp (seconds since 1970), got {v}"),
                    );
                    Value::Null
                }
            }
        }
        Ty::Bool => match v {
            Value::Bool(_) => v.clone(),
            _ => {
                issue(
                    errs,
                    BizCode::WrongType,
                    p,
                    format!("expected a boolean, got {}", type_name(v)),
                );
                Value::Null
            }
        },
        Ty::Object(schema) => check_object(schema, v, p, errs, devs),
        Ty::List(inner) => {
            let Value::Array(items) = v else {
                issue(
                    errs,
                    BizCode::WrongType,
                    p,
                    format!("expected a list, got {}", type_name(v)),
                );
                return Value::Null;
            };
            Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, it)| {
                        let base = p.len();
                        let _ = write!(p, "[{i}]");
                        let v = check_value(inner, it, p, errs, devs);
                        p.truncate(base);
                        v
                    })
                    .collect(),
            )
        }
    }
}

/// Seconds of an envelope timestamp (values above 10^11 are milliseconds).
pub fn timestamp_secs(raw: i64) -> i64 {
    if raw > 100_000_000_000 {
        raw / 1000
    } else {
        raw
    }
}
