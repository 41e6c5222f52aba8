//! The fast path of the table check: does a `data` array, as received,
//! need any reading at all — and if not, its typed items.
//!
//! The answer is "no reading needed" only when the full check
//! ([`schema::check_item`]) would find **nothing** — no error and no
//! deviation — *and* the bytes are already in canonical form (keys in byte
//! order at every depth, compact, strings without escapes). Then the sign
//! can be checked over the bytes as they are and the typed items read
//! straight from them, which gives what the full path gives. Anything
//! else — an escape, a stray space, an unknown key, a string where a
//! number belongs, a timestamp in milliseconds — answers no and the caller
//! takes the full path, which explains what it found.
//!
//! [`request`], [`reply`] and [`reply_ok`] are the entry points. The hot
//! interfaces (5003–5006, 5008, 7001, 6001, 6002, and the replies to these
//! and to 4001 and 4002) are checked and read in one pass by
//! [`direct`](super::direct)'s reader; any other interface is checked by
//! [`clean_items`], one pass over the bytes that builds nothing, then read
//! by serde. The two answer alike: `tests/direct.rs`,
//! `tests/fastpath.rs` and `tests/differential.rs` compare the one-pass
//! reader with [`clean_items`] followed by serde on every input they make.
//!
//! parksim's own frames, and those of any garage system that writes
//! canonical JSON, always take the fast path.

use super::codes::Command;
use super::direct;
use super::messages::{Reply, Request};
use super::schema::{self, Field, Presence, Schema, Ty};
use super::time::{DateTime, parse_date, parse_time};

/// The typed `data` of a request of `cmd` when it is clean and canonical
/// (see the module doc); `None` sends the caller to the full reader.
pub fn request(cmd: Command, data: &[u8]) -> Option<Request> {
    if direct::reads_request(cmd) {
        return direct::read_request(cmd, data);
    }
    if !clean_items(schema::request_schema(cmd), data) {
        return None;
    }
    Request::from_data_slice(cmd, data).ok()
}

/// The typed `data` of a reply of `cmd` when it is clean and canonical
/// (as [`request`]).
pub fn reply(cmd: Command, data: &[u8]) -> Option<Reply> {
    if direct::reads_reply(cmd) {
        return direct::read_reply(cmd, data);
    }
    if !clean_items(schema::reply_schema(cmd), data) {
        return None;
    }
    Reply::from_data_slice(cmd, data).ok()
}

/// `reply(cmd, data).is_some()`, without building the reply where the hot
/// reader can tell.
pub fn reply_ok(cmd: Command, data: &[u8]) -> bool {
    if direct::reads_reply(cmd) {
        return direct::skim_reply(cmd, data);
    }
    clean_items(schema::reply_schema(cmd), data) && Reply::from_data_slice(cmd, data).is_ok()
}

/// Whether `data` is clean and canonical (see the module doc), walking the
/// bytes once without building anything. `schema` is the interface's item
/// table (`None`: an interface without data, whose array must be empty).
pub fn clean_items(schema: Option<&Schema>, data: &[u8]) -> bool {
    let mut c = Cur { b: data, i: 0 };
    let ok = match schema {
        None => c.eat(b'[') && c.eat(b']'),
        Some(s) => {
            if !c.eat(b'[') || c.peek() == Some(b']') {
                return false; // not an array, or empty: the full path reports
            }
            loop {
                if !object(&mut c, s) {
                    return false;
                }
                if c.eat(b',') {
                    continue;
                }
                break c.eat(b']');
            }
        }
    };
    ok && c.i == data.len()
}

struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cur<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn lit(&mut self, word: &[u8]) -> bool {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    /// A string without escapes or control characters; its content.
    fn string(&mut self) -> Option<&'a [u8]> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.i;
        let end = start + super::direct::plain_len(&self.b[start..]);
        if self.b.get(end) != Some(&b'"') {
            return None; // an escape, a control character or the end
        }
        self.i = end + 1;
        Some(&self.b[start..end])
    }

    /// A JSON number's text (grammar checked).
    fn number(&mut self) -> Option<&'a [u8]> {
        let start = self.i;
        self.i = super::number::json_number_end(self.b, start)?;
        Some(&self.b[start..self.i])
    }
}

/// An object of `schema`: keys strictly increasing, each known, each value
/// clean, every required field present and not null. The keys are matched
/// against the schema's fields in key order ([`Schema::sorted`]): each key
/// must be one of the fields after the last one matched, so a key out of
/// order, repeated, unknown or escaped matches none and fails.
fn object(c: &mut Cur, schema: &Schema) -> bool {
    if !c.eat(b'{') {
        return false;
    }
    let sorted = schema.sorted();
    let mut fields = sorted.fields.iter();
    let mut required = sorted.required;
    if !c.eat(b'}') {
        loop {
            let rest = &c.b[c.i..];
            // `"name":` of the next field present.
            let Some(f) = fields.by_ref().find(|f| {
                let n = f.name.as_bytes();
                rest.len() > n.len() + 2
                    && rest[0] == b'"'
                    && &rest[1..=n.len()] == n
                    && rest[n.len() + 1] == b'"'
                    && rest[n.len() + 2] == b':'
            }) else {
                return false;
            };
            c.i += f.name.len() + 3;
            if c.lit(b"null") {
                if f.presence == Presence::Required {
                    return false;
                }
            } else {
                if !field(c, f) {
                    return false;
                }
                required -= usize::from(f.presence == Presence::Required);
            }
            if c.eat(b',') {
                continue;
            }
            if !c.eat(b'}') {
                return false;
            }
            break;
        }
    }
    required == 0
}

fn field(c: &mut Cur, f: &Field) -> bool {
    // An extension's presence is a deviation (code 1000).
    f.presence != Presence::Extension && value(c, &f.ty)
}

/// A plain 4-byte Int (`20.0`, `1e2` are deviations: the full path).
fn int_text(t: &[u8]) -> Option<i64> {
    match super::number::int(std::str::from_utf8(t).ok()?) {
        Ok(super::number::IntText::Plain(n)) => Some(n),
        _ => None,
    }
}

fn num_str(t: &[u8]) -> Option<&str> {
    std::str::from_utf8(t).ok()
}

fn value(c: &mut Cur, ty: &Ty) -> bool {
    match *ty {
        Ty::Str(max) => match c.string() {
            Some(s) => max.is_none_or(|m| {
                s.len() <= m || s.iter().filter(|&&b| (b & 0xC0) != 0x80).count() <= m
            }),
            None => false,
        },
        Ty::Uuid => c
            .string()
            .is_some_and(|s| s.len() == 32 && s.iter().all(u8::is_ascii_hexdigit)),
        Ty::Int(values) => c
            .number()
            .and_then(int_text)
            .is_some_and(|n| values.is_none_or(|v| v.contains(&n))),
        Ty::IntRange(lo, hi) => c
            .number()
            .and_then(int_text)
            .is_some_and(|n| (lo..=hi).contains(&n)),
        Ty::Double(lo, hi) => c
            .number()
            .and_then(num_str)
            .is_some_and(|t| super::number::double(t).is_ok_and(|f| (lo..=hi).contains(&f))),
        Ty::ExactDouble(lo, hi) => c.number().and_then(num_str).is_some_and(|t| {
            super::number::double(t).is_ok_and(|f| (lo..=hi).contains(&f))
                && super::number::decimal(t).is_ok()
        }),
        Ty::Decimal => c
            .number()
            .and_then(num_str)
            .is_some_and(|t| super::number::decimal(t).is_ok_and(|d| d.scale() <= 2)),
        Ty::DateTime => c
            .string()
            .and_then(|s| std::str::from_utf8(s).ok())
            .is_some_and(|s| DateTime::parse(s).is_ok()),
        Ty::Date => c
            .string()
            .and_then(|s| std::str::from_utf8(s).ok())
            .is_some_and(|s| parse_date(s).is_ok()),
        Ty::Time => c
            .string()
            .and_then(|s| std::str::from_utf8(s).ok())
            .is_some_and(|s| parse_time(s).is_ok()),
        Ty::Timestamp => c
            .number()
            .and_then(int_text)
            .is_some_and(|n| (0..=u32::MAX as i64).contains(&n)),
        Ty::Bool => c.lit(b"true") || c.lit(b"false"),
        Ty::Object(s) => object(c, s),
        Ty::List(inner) => {
            if !c.eat(b'[') {
                return false;
            }
            if c.eat(b']') {
                return true;
            }
            loop {
                if !value(c, inner) {
                    return false;
                }
                if c.eat(b',') {
                    continue;
                }
                return c.eat(b']');
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::super::codes::Command;
    use super::super::schema::{Schema, Ty, reply_schema, request_schema};

    /// Every schema reachable from an interface, nested ones included.
    fn walk(s: &'static Schema, out: &mut Vec<&'static Schema>) {
        out.push(s);
        for f in s.fields {
            let mut ty = &f.ty;
            while let Ty::List(inner) = ty {
                ty = inner;
            }
            if let Ty::Object(o) = ty {
                walk(o, out);
            }
        }
    }

    #[test]
    fn sorted_fields_are_strictly_increasing_and_complete() {
        let mut all = Vec::new();
        for c in Command::ALL {
            for s in [request_schema(c), reply_schema(c)].into_iter().flatten() {
                walk(s, &mut all);
            }
        }
        assert!(all.len() > 30);
        for s in all {
            let sorted = s.sorted();
            assert_eq!(sorted.fields.len(), s.fields.len(), "{}", s.name);
            // Strictly: no name twice, or a repeated key could match twice.
            for w in sorted.fields.windows(2) {
                assert!(w[0].name.as_bytes() < w[1].name.as_bytes(), "{}", s.name);
            }
            for f in s.fields {
                assert!(sorted.fields.iter().any(|g| g.name == f.name));
            }
            let req = s
                .fields
                .iter()
                .filter(|f| f.presence == super::Presence::Required)
                .count();
            assert_eq!(sorted.required, req, "{}", s.name);
        }
    }
}
