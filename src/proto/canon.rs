//! A small JSON reader that keeps every number's text exactly as received,
//! and the canonical writer behind the sign.
//!
//! serde_json (even with `arbitrary_precision`) rewrites some number text
//! (`1e5` becomes `1e+5`), and a verifier must hash what the sender hashed.
//! So the sign is computed over a tree read here: numbers are slices of the
//! input, strings are decoded (`\u7ca4` becomes `粤`) and written back
//! UTF-8 as is, with only the escapes JSON requires, byte-for-byte the way
//! serde_json writes them, so a message serialized by serde_json is already
//! canonical.

use std::borrow::Cow;
use std::fmt;

/// Nesting deeper than this is refused (no stack overflow on hostile input).
pub const MAX_DEPTH: usize = 128;

/// A JSON value whose numbers are their source text.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    Num(&'a str),
    Str(Cow<'a, str>),
    Arr(Vec<Node<'a>>),
    Obj(Vec<(Cow<'a, str>, Node<'a>)>),
}

/// Why the input is not JSON, with the byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonError {
    pub offset: usize,
    pub message: &'static str,
}

impl fmt::Display for CanonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.message, self.offset)
    }
}

impl std::error::Error for CanonError {}

struct Reader<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

/// Reads one JSON text (RFC 8259; surrounding whitespace allowed).
pub fn parse(bytes: &[u8]) -> Result<Node<'_>, CanonError> {
    let s = std::str::from_utf8(bytes).map_err(|e| CanonError {
        offset: e.valid_up_to(),
        message: "invalid UTF-8",
    })?;
    let mut r = Reader { s, b: bytes, i: 0 };
    r.ws();
    let v = r.value(0)?;
    r.ws();
    if r.i != r.b.len() {
        return Err(r.err("trailing characters"));
    }
    Ok(v)
}

impl<'a> Reader<'a> {
    fn err(&self, message: &'static str) -> CanonError {
        CanonError {
            offset: self.i,
            message,
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node<'a>, CanonError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        match self.b.get(self.i) {
            None => Err(self.err("unexpected end of input")),
            Some(b'{') => {
                self.i += 1;
                let mut members = Vec::new();
                self.ws();
                if self.eat(b'}') {
                    return Ok(Node::Obj(members));
                }
                loop {
                    self.ws();
                    if self.b.get(self.i) != Some(&b'"') {
                        return Err(self.err("expected a key string"));
                    }
                    let k = self.string()?;
                    self.ws();
                    if !self.eat(b':') {
                        return Err(self.err("expected `:`"));
                    }
                    self.ws();
                    let v = self.value(depth + 1)?;
                    members.push((k, v));
                    self.ws();
                    if self.eat(b',') {
                        continue;
                    }
                    if self.eat(b'}') {
                        return Ok(Node::Obj(members));
                    }
                    return Err(self.err("expected `,` or `}`"));
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat(b']') {
                    return Ok(Node::Arr(items));
                }
                loop {
                    self.ws();
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    if self.eat(b',') {
                        continue;
                    }
                    if self.eat(b']') {
                        return Ok(Node::Arr(items));
                    }
                    return Err(self.err("expected `,` or `]`"));
                }
            }
            Some(b'"') => Ok(Node::Str(self.string()?)),
            Some(b't') => self.literal("true", Node::Bool(true)),
            Some(b'f') => self.literal("false", Node::Bool(false)),
            Some(b'n') => self.literal("null", Node::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("unexpected character")),
        }
    }

    fn literal(&mut self, word: &'static str, node: Node<'a>) -> Result<Node<'a>, CanonError> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(node)
        } else {
            Err(self.err("invalid literal"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.b.get(self.i) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<Node<'a>, CanonError> {
        let start = self.i;
        self.eat(b'-');
        match self.b.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("invalid number")),
        }
        if self.eat(b'.') && self.digits() == 0 {
            return Err(self.err("invalid number: no digits after `.`"));
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid number: no exponent digits"));
            }
        }
        Ok(Node::Num(&self.s[start..self.i]))
    }

    fn hex4(&mut self) -> Result<u32, CanonError> {
        let h = self
            .b
            .get(self.i..self.i + 4)
            .ok_or_else(|| self.err("short \\u escape"))?;
        let mut v = 0u32;
        for &c in h {
            let d = (c as char)
                .to_digit(16)
                .ok_or_else(|| self.err("bad \\u escape"))?;
            v = v * 16 + d;
        }
        self.i += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<Cow<'a, str>, CanonError> {
        self.i += 1; // opening quote
        let start = self.i;
        // Fast path: no escapes.
        loop {
            match self.b.get(self.i) {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    let s = &self.s[start..self.i];
                    self.i += 1;
                    return Ok(Cow::Borrowed(s));
                }
                Some(b'\\') => break,
                Some(c) if *c < 0x20 => return Err(self.err("control character in string")),
                Some(_) => self.i += 1,
            }
        }
        let mut out = String::from(&self.s[start..self.i]);
        loop {
            match self.b.get(self.i) {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = *self
                        .b
                        .get(self.i)
                        .ok_or_else(|| self.err("unterminated escape"))?;
                    self.i += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&hi) {
                                if !(self.eat(b'\\') && self.eat(b'u')) {
                                    return Err(self.err("lone surrogate"));
                                }
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.err("bad low surrogate"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            out.push(char::from_u32(cp).ok_or_else(|| self.err("lone surrogate"))?);
                        }
                        _ => return Err(self.err("unknown escape")),
                    }
                }
                Some(c) if *c < 0x20 => return Err(self.err("control character in string")),
                Some(_) => {
                    // Copy one UTF-8 character.
                    let ch = self.s[self.i..].chars().next().unwrap_or('\u{fffd}');
                    out.push(ch);
                    self.i += ch.len_utf8();
                }
            }
        }
    }
}

impl<'a> Node<'a> {
    /// The member `key` of an object (the last one if repeated, as serde_json reads).
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match self {
            Node::Obj(m) => m.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Element `i` of an array.
    pub fn item(&self, i: usize) -> Option<&Node<'a>> {
        match self {
            Node::Arr(items) => items.get(i),
            _ => None,
        }
    }

    /// The path of the first object member whose key repeats an earlier
    /// one in the same object (`data[0].id`), depth first. serde_json and
    /// the canonical writer keep the last; a sender may have meant the
    /// first, so the reader reports it.
    pub fn first_duplicate(&self) -> Option<String> {
        fn walk(n: &Node, path: &mut String) -> bool {
            match n {
                Node::Arr(items) => items.iter().enumerate().any(|(i, x)| {
                    let base = path.len();
                    path.push_str(&format!("[{i}]"));
                    let found = walk(x, path);
                    if !found {
                        path.truncate(base);
                    }
                    found
                }),
                Node::Obj(members) => {
                    let sorted = members
                        .windows(2)
                        .all(|w| w[0].0.as_bytes() < w[1].0.as_bytes());
                    if !sorted {
                        let mut keys: Vec<&str> = members.iter().map(|(k, _)| k.as_ref()).collect();
                        keys.sort_unstable();
                        if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
                            if !path.is_empty() {
                                path.push('.');
                            }
                            path.push_str(w[0]);
                            return true;
                        }
                    }
                    members.iter().any(|(k, x)| {
                        let base = path.len();
                        if !path.is_empty() {
                            path.push('.');
                        }
                        path.push_str(k);
                        let found = walk(x, path);
                        if !found {
                            path.truncate(base);
                        }
                        found
                    })
                }
                _ => false,
            }
        }
        let mut path = String::new();
        walk(self, &mut path).then_some(path)
    }

    /// Appends the canonical form.
    pub fn write_canonical(&self, out: &mut Vec<u8>) {
        match self {
            Node::Null => out.extend_from_slice(b"null"),
            Node::Bool(true) => out.extend_from_slice(b"true"),
            Node::Bool(false) => out.extend_from_slice(b"false"),
            Node::Num(t) => out.extend_from_slice(t.as_bytes()),
            Node::Str(s) => write_str(s, out),
            Node::Arr(items) => {
                out.push(b'[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    v.write_canonical(out);
                }
                out.push(b']');
            }
            Node::Obj(members) => {
                out.push(b'{');
                let sorted = members
                    .windows(2)
                    .all(|w| w[0].0.as_bytes() < w[1].0.as_bytes());
                if sorted {
                    // Already canonical order (what parksim and most
                    // serializers of sorted maps send): no index to build.
                    for (n, (k, v)) in members.iter().enumerate() {
                        if n > 0 {
                            out.push(b',');
                        }
                        write_str(k, out);
                        out.push(b':');
                        v.write_canonical(out);
                    }
                } else {
                    // Sort by key bytes; a repeated key keeps its last value.
                    let mut idx: Vec<usize> = (0..members.len()).collect();
                    idx.sort_by(|&a, &b| {
                        members[a]
                            .0
                            .as_bytes()
                            .cmp(members[b].0.as_bytes())
                            .then(b.cmp(&a))
                    });
                    idx.dedup_by(|a, b| members[*a].0 == members[*b].0);
                    for (n, &i) in idx.iter().enumerate() {
                        if n > 0 {
                            out.push(b',');
                        }
                        write_str(&members[i].0, out);
                        out.push(b':');
                        members[i].1.write_canonical(out);
                    }
                }
                out.push(b'}');
            }
        }
    }

    /// The same value as a `serde_json::Value` (numbers keep their text:
    /// the crate uses serde_json's `arbitrary_precision`). Cheaper than
    /// reading the text a second time.
    pub fn to_value(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            // The text exactly as received (serde_json's own parse would
            // write `1e2` as `1e+2`, and messages would misquote it). The
            // reader has checked the grammar.
            Node::Num(t) => Value::Number(serde_json::Number::from_string_unchecked(t.to_string())),
            Node::Str(s) => Value::String(s.to_string()),
            Node::Arr(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            Node::Obj(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_value()))
                    .collect(),
            ),
        }
    }

    pub fn canonical(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.write_canonical(&mut v);
        v
    }
}

/// Writes a JSON string the way serde_json does: `"` and `\` escaped,
/// `\b \f \n \r \t`, other control characters as `\u00xx`, all else as is.
fn write_str(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let b = s.as_bytes();
    out.push(b'"');
    if !b.iter().any(|&c| c < 0x20 || c == b'"' || c == b'\\') {
        out.extend_from_slice(b);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => &[],
            _ => continue,
        };
        out.extend_from_slice(&b[start..i]);
        if esc.is_empty() {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(c >> 4) as usize],
                HEX[(c & 15) as usize],
            ]);
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod test {
    use super::*;

    fn canon(s: &str) -> String {
        String::from_utf8(parse(s.as_bytes()).unwrap().canonical()).unwrap()
    }

    #[test]
    fn numbers_are_their_text() {
        assert_eq!(
            canon(" [1e5, 1E-5, -0.10, 20.00, 44030400100101000010] "),
            "[1e5,1E-5,-0.10,20.00,44030400100101000010]"
        );
    }

    #[test]
    fn strings_are_decoded_and_rewritten() {
        assert_eq!(
            canon(r#"{"b":"\u7ca4B\/1","a":"x\u0001\"\\\n"}"#),
            "{\"a\":\"x\\u0001\\\"\\\\\\n\",\"b\":\"粤B/1\"}"
        );
        assert_eq!(canon(r#""\ud83d\ude00""#), "\"😀\"");
    }

    #[test]
    fn to_value_matches_serde() {
        let text =
            r#"{"b":[1,2.50,-3e+2,null,true],"a":{"x":"粤\u0042"},"a2":44030400100101000010}"#;
        let ours = parse(text.as_bytes()).unwrap().to_value();
        let serde: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(ours, serde);
        assert_eq!(ours["a2"].to_string(), "44030400100101000010");
        // Number text as received (serde_json writes `-3e2` as `-3e+2`).
        let v = parse(b"[-3e2,1E5]").unwrap().to_value();
        assert_eq!(v.to_string(), "[-3e2,1E5]");
    }

    #[test]
    fn repeated_keys_keep_the_last() {
        assert_eq!(canon(r#"{"a":1,"b":2,"a":3}"#), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn matches_serde_json_on_what_serde_writes() {
        let v = serde_json::json!({"z": ["\u{1}\u{7f}é\t", null, true], "A": {"y": 1, "x": [], "w": {}}});
        let serde = serde_json::to_vec(&v).unwrap();
        assert_eq!(parse(&serde).unwrap().canonical(), serde);
    }

    #[test]
    fn bad_json_is_an_error_not_a_panic() {
        for bad in [
            "",
            "{",
            "[1,]",
            "01",
            "1.",
            "-",
            "\"\\x\"",
            "\"\\ud800\"",
            "tru",
            "{\"a\" 1}",
            "[1] x",
            "\"\u{1}\"",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert!(parse(&[0xff, 0xfe]).is_err());
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert_eq!(
            parse(deep.as_bytes()).unwrap_err().message,
            "nesting too deep"
        );
    }
}
