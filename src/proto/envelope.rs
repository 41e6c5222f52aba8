//! Envelopes (tables 12 and 13): building signed requests and replies, and
//! reading one back with every check the standard implies.
//!
//! Request `{timestamp, sign, data: [...]}`; reply `{resultCode, resultMsg,
//! timestamp, data: [...]}`. parksim produces both canonically (keys sorted,
//! compact) and signs requests; the standard defines no sign for replies.

use super::canon;
use super::codes::{BizCode, Command, ResultCode};
use super::frame::{Direction, FrameRepr, VERSION, field};
use super::messages::{Reply, Request};
use super::schema::{self, Checked, Issue, Mode};
use super::sign::{self, SignAlgo, SignCheck};
use serde_json::{Map, Value};

/// Writes a request envelope around a canonical `data` array.
pub fn request_body(data_json: &[u8], timestamp: i64, algo: SignAlgo) -> Vec<u8> {
    let mut out = Vec::with_capacity(data_json.len() + 80);
    out.extend_from_slice(b"{\"data\":");
    out.extend_from_slice(data_json);
    request_tail(&mut out, 8, timestamp, algo);
    out
}

/// The request envelope after `data` (which stands in `out` from
/// `data_start`): its sign, the timestamp, the closing brace.
fn request_tail(out: &mut Vec<u8>, data_start: usize, timestamp: i64, algo: SignAlgo) {
    let sign = sign::digest_hex_array(algo, &out[data_start..]);
    out.extend_from_slice(b",\"sign\":\"");
    out.extend_from_slice(sign.as_slice());
    out.extend_from_slice(b"\",\"timestamp\":");
    super::direct::write_int(timestamp, out);
    out.push(b'}');
}

/// Writes a reply envelope around a canonical `data` array.
pub fn reply_body(result: ResultCode, message: &str, timestamp: i64, data_json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data_json.len() + 80);
    out.extend_from_slice(b"{\"data\":");
    out.extend_from_slice(data_json);
    reply_tail(&mut out, result, message, timestamp);
    out
}

/// A signed request as one SZTC frame, written in one buffer: header,
/// `{"data":…` serialized in place, the sign of that slice, the rest of
/// the envelope, then the header's length and the CRC.
pub fn request_frame(req: &Request, packet_no: u32, timestamp: i64, algo: SignAlgo) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    out.resize(field::HEADER_LEN, 0);
    out.extend_from_slice(b"{\"data\":");
    let data_start = out.len();
    req.write_data_json(&mut out);
    request_tail(&mut out, data_start, timestamp, algo);
    finish_frame(out, req.command().code(), packet_no, Direction::Request)
}

/// Seals a frame written in place after [`field::HEADER_LEN`] bytes of
/// room ([`FrameRepr::seal`]). Bodies over 10 MiB give an empty vector (as
/// [`frame_bytes`]).
fn finish_frame(out: Vec<u8>, command: u16, packet_no: u32, direction: Direction) -> Vec<u8> {
    FrameRepr {
        version: VERSION,
        packet_no,
        direction,
        command,
        data: &[],
    }
    .seal(out)
    .unwrap_or_default()
}

/// A reply as one SZTC frame (`packet_no` is the request's), written in
/// one buffer like [`request_frame`].
pub fn reply_frame(rep: &Reply, result: ResultCode, packet_no: u32, timestamp: i64) -> Vec<u8> {
    let mut out = reply_frame_begin();
    rep.write_data_json(&mut out);
    reply_frame_end(
        out,
        result,
        result.message(),
        timestamp,
        rep.command().code(),
        packet_no,
    )
}

/// The start of a reply frame written in one buffer: room for the header,
/// then `{"data":`. Append the canonical `data` array, then call
/// [`reply_frame_end`]; the bytes equal [`frame_bytes`] of
/// [`reply_body`].
pub fn reply_frame_begin() -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.resize(field::HEADER_LEN, 0);
    out.extend_from_slice(b"{\"data\":");
    out
}

/// The rest of a reply frame begun with [`reply_frame_begin`] (whose
/// `data` array has been appended): code, message, timestamp, header, CRC.
pub fn reply_frame_end(
    mut out: Vec<u8>,
    result: ResultCode,
    message: &str,
    timestamp: i64,
    command: u16,
    packet_no: u32,
) -> Vec<u8> {
    reply_tail(&mut out, result, message, timestamp);
    finish_frame(out, command, packet_no, Direction::Reply)
}

/// The reply envelope after `data`: code, message, timestamp.
fn reply_tail(out: &mut Vec<u8>, result: ResultCode, message: &str, timestamp: i64) {
    out.extend_from_slice(b",\"resultCode\":");
    super::direct::write_int(result.code(), out);
    out.extend_from_slice(b",\"resultMsg\":");
    // A JSON string (escaped as serde_json does: canonical).
    let _ = serde_json::to_writer(&mut *out, message);
    out.extend_from_slice(b",\"timestamp\":");
    super::direct::write_int(timestamp, out);
    out.push(b'}');
}

/// Wraps an envelope in a frame. Bodies over 10 MiB come out empty-bodied
/// never: callers build bodies far below the cap; an oversized one is
/// reported by [`FrameRepr::emit`] and yields an empty vector.
pub fn frame_bytes(command: u16, packet_no: u32, direction: Direction, body: &[u8]) -> Vec<u8> {
    FrameRepr {
        version: VERSION,
        packet_no,
        direction,
        command,
        data: body,
    }
    .to_bytes()
    .unwrap_or_default()
}

/// The sign status of a decoded envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignStatus {
    Valid,
    /// Matches the single `data` element alone (lenient).
    ElementOnly,
    Invalid,
    /// A reply without a sign (the standard defines none).
    NotSigned,
}

impl SignStatus {
    /// True unless the sign is wrong.
    pub fn is_valid(self) -> bool {
        !matches!(self, SignStatus::Invalid)
    }
}

/// An envelope read back and checked.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub raw_command: u16,
    pub command: Option<Command>,
    pub direction: Direction,
    /// The envelope as received (numbers keep their text).
    pub body: Value,
    /// `timestamp` in seconds (milliseconds converted).
    pub timestamp: Option<i64>,
    pub sign: SignStatus,
    /// `resultCode` of a reply.
    pub result_code: Option<i64>,
    /// Each `data` item checked against its table.
    pub items: Vec<Checked>,
    /// Problems that make the message unacceptable (in strict mode,
    /// deviations too).
    pub errors: Vec<Issue>,
    /// Departures from the tables that lenient reading accepted.
    pub deviations: Vec<Issue>,
    /// The general code a platform answers (table 43).
    pub result: ResultCode,
}

impl Decoded {
    /// True when the envelope was accepted: sign valid, no errors.
    pub fn accepted(&self) -> bool {
        self.result == ResultCode::Ok && self.errors.is_empty()
    }

    /// True when every `data` item could be read (sign aside). In strict
    /// mode deviations count as errors.
    pub fn items_ok(&self) -> bool {
        self.command.is_some()
            && self.body.get("data").is_some_and(Value::is_array)
            && self.items.iter().all(|c| c.errors.is_empty())
    }

    /// The typed request, when this is a request whose items could be read.
    /// The sign is not considered: see [`Decoded::accepted`].
    pub fn typed_request(&self) -> Option<Result<Request, serde_json::Error>> {
        let cmd = self.command?;
        (self.direction == Direction::Request && self.items_ok())
            .then(|| Request::from_item_refs(cmd, self.items.iter().map(|c| &c.value)))
    }

    /// The typed reply, when this is a reply whose items could be read.
    pub fn typed_reply(&self) -> Option<Result<Reply, serde_json::Error>> {
        let cmd = self.command?;
        (self.direction == Direction::Reply && self.items_ok())
            .then(|| Reply::from_item_refs(cmd, self.items.iter().map(|c| &c.value)))
    }
}

fn issue(code: BizCode, path: &str, message: impl Into<String>) -> Issue {
    Issue {
        code,
        path: path.to_string(),
        message: message.into(),
    }
}

/// Reads an envelope of interface `command` travelling in `direction`.
/// Never fails: JSON and format problems are reported in `result` and
/// `errors`.
pub fn decode(
    command: u16,
    direction: Direction,
    bytes: &[u8],
    algo: SignAlgo,
    mode: Mode,
) -> Decoded {
    let mut d = Decoded {
        raw_command: command,
        command: Command::from_code(command),
        direction,
        body: Value::Null,
        timestamp: None,
        sign: SignStatus::NotSigned,
        result_code: None,
        items: Vec::new(),
        errors: Vec::new(),
        deviations: Vec::new(),
        result: ResultCode::Ok,
    };
    let node = match canon::parse(bytes) {
        Ok(n) => n,
        Err(e) => {
            d.result = ResultCode::Json;
            d.errors
                .push(issue(BizCode::Json, "$", format!("malformed JSON: {e}")));
            return d;
        }
    };
    let body = node.to_value();
    let Value::Object(env) = &body else {
        d.body = body;
        d.result = ResultCode::Format;
        d.errors.push(issue(
            BizCode::Format,
            "$",
            "the envelope is not a JSON object",
        ));
        return d;
    };
    let Some(cmd) = d.command else {
        d.body = body.clone();
        d.result = ResultCode::Format;
        d.errors.push(issue(
            BizCode::Format,
            "command",
            format!("unknown interface code {command}"),
        ));
        return d;
    };
    let mut errs = Vec::new();
    let mut devs = Vec::new();
    if let Some(path) = node.first_duplicate() {
        devs.push(issue(
            BizCode::Format,
            &path,
            "key repeated in one object; the last value is read",
        ));
    }
    let expected: &[&str] = match direction {
        Direction::Request => &["data", "sign", "timestamp"],
        Direction::Reply => &["data", "resultCode", "resultMsg", "sign", "timestamp"],
    };
    for k in env.keys() {
        if !expected.contains(&k.as_str()) {
            devs.push(issue(
                BizCode::Naming,
                k,
                format!("unknown envelope field `{k}`; ignored"),
            ));
        }
    }
    // timestamp
    let ts = check_scalar(
        env,
        "timestamp",
        schema::Ty::Timestamp,
        true,
        &mut errs,
        &mut devs,
    );
    d.timestamp = ts
        .as_ref()
        .and_then(Value::as_i64)
        .map(schema::timestamp_secs);
    // reply: resultCode, resultMsg
    if direction == Direction::Reply {
        let rc = check_scalar(
            env,
            "resultCode",
            schema::Ty::Int(None),
            true,
            &mut errs,
            &mut devs,
        );
        d.result_code = rc.as_ref().and_then(Value::as_i64);
        check_scalar(
            env,
            "resultMsg",
            schema::Ty::Str(Some(255)),
            false,
            &mut errs,
            &mut devs,
        );
    }
    // data
    let data = match env.get("data") {
        Some(Value::Array(a)) => Some(a),
        Some(other) => {
            errs.push(issue(
                BizCode::Format,
                "data",
                format!("`data` must be a list, got {other}"),
            ));
            None
        }
        None => {
            errs.push(issue(BizCode::Format, "data", "`data` is missing"));
            None
        }
    };
    // sign
    match (env.get("sign"), direction) {
        (Some(Value::String(s)), _) => {
            if let Some(data @ canon::Node::Arr(_)) = node.get("data") {
                d.sign = match sign::verify(algo, data, s) {
                    SignCheck::Valid => SignStatus::Valid,
                    SignCheck::ValidElementOnly => {
                        devs.push(issue(
                            BizCode::Format,
                            "sign",
                            "the sign covers the single data element, not the data array",
                        ));
                        SignStatus::ElementOnly
                    }
                    SignCheck::Invalid => {
                        errs.push(issue(
                            BizCode::Format,
                            "sign",
                            format!("sign mismatch ({algo} of the canonical data)"),
                        ));
                        SignStatus::Invalid
                    }
                };
            }
        }
        (Some(other), _) => {
            errs.push(issue(
                BizCode::Format,
                "sign",
                format!("`sign` must be a string, got {other}"),
            ));
            d.sign = SignStatus::Invalid;
        }
        (None, Direction::Request) => {
            errs.push(issue(BizCode::Format, "sign", "`sign` is missing"));
            d.sign = SignStatus::Invalid;
        }
        (None, Direction::Reply) => {}
    }
    if !errs.is_empty() || (mode == Mode::Strict && !devs.is_empty()) {
        d.result = ResultCode::Format;
    }
    // items
    if let Some(items) = data {
        let schema = match direction {
            Direction::Request => schema::request_schema(cmd),
            Direction::Reply => schema::reply_schema(cmd),
        };
        match schema {
            None => {
                if !items.is_empty() {
                    devs.push(issue(
                        BizCode::Parameter,
                        "data",
                        format!(
                            "interface {cmd} carries no data; {} items ignored",
                            items.len()
                        ),
                    ));
                }
            }
            Some(schema) => {
                if items.is_empty() {
                    errs.push(issue(BizCode::Parameter, "data", "`data` is empty"));
                    if d.result == ResultCode::Ok {
                        d.result = ResultCode::Parameter;
                    }
                }
                for (i, item) in items.iter().enumerate() {
                    let c =
                        schema::check_item(schema, Some(cmd), item, &format!("data[{i}]"), mode);
                    if !c.errors.is_empty() && d.result == ResultCode::Ok {
                        d.result = ResultCode::Parameter;
                    }
                    errs.extend(c.errors.iter().cloned());
                    devs.extend(c.deviations.iter().cloned());
                    d.items.push(c);
                }
            }
        }
    }
    if mode == Mode::Strict {
        errs.append(&mut devs);
    }
    d.errors = errs;
    d.body = body;
    d.deviations = devs;
    d
}

fn check_scalar(
    env: &Map<String, Value>,
    key: &str,
    ty: schema::Ty,
    required: bool,
    errs: &mut Vec<Issue>,
    devs: &mut Vec<Issue>,
) -> Option<Value> {
    match env.get(key) {
        None | Some(Value::Null) => {
            if required {
                errs.push(issue(BizCode::Format, key, format!("`{key}` is missing")));
            }
            None
        }
        Some(v) => {
            let before = errs.len();
            let out = schema::check_value(&ty, v, &mut key.to_string(), errs, devs);
            (errs.len() == before).then_some(out)
        }
    }
}

/// The fast path of [`decode`] for a request: `Some` only when the body is
/// exactly `{"data":[…],"sign":"…","timestamp":N}`, the data is clean and
/// canonical and reads ([`clean::request`](super::clean::request)), and
/// the sign matches those bytes. Then it equals what [`decode`] and
/// [`Decoded::typed_request`] give for the same bytes (with the timestamp in
/// seconds); in every other case the caller takes [`decode`], which says
/// what is wrong. No intermediate tree, no copy of the data.
pub fn decode_request_fast(command: u16, bytes: &[u8], algo: SignAlgo) -> Option<(Request, i64)> {
    let cmd = Command::from_code(command)?;
    let rest = bytes.strip_prefix(b"{\"data\":")?;
    let (rest, timestamp) = split_timestamp(rest)?;
    let (data, sign) = split_sign(rest)?;
    let req = super::clean::request(cmd, data)?;
    sign::verify_canonical(algo, data, sign).then_some((req, timestamp))
}

/// The fast path of [`decode`] for a reply (see [`decode_request_fast`]):
/// `{"data":[…],"resultCode":N,"resultMsg":"…","timestamp":N}`, unsigned.
/// Returns the typed reply, `resultCode` and the timestamp.
pub fn decode_reply_fast(command: u16, bytes: &[u8]) -> Option<(Reply, i64, i64)> {
    let cmd = Command::from_code(command)?;
    let (data, code, timestamp) = reply_parts(bytes)?;
    Some((super::clean::reply(cmd, data)?, code, timestamp))
}

/// Everything [`decode_reply_fast`] checks but the `data` array: the
/// envelope's form, a clean `resultCode` and `resultMsg`, the timestamp.
/// Returns the `data` bytes, `resultCode` and the timestamp.
fn reply_parts(bytes: &[u8]) -> Option<(&[u8], i64, i64)> {
    let rest = bytes.strip_prefix(b"{\"data\":")?;
    let (rest, timestamp) = split_timestamp(rest)?;
    // The message holds no quote (checked below), and the code no letter:
    // each key is found by the byte its value cannot hold.
    let rest = rest.strip_suffix(b"\"")?;
    let q = rest.iter().rposition(|&c| c == b'"')?;
    let (rest, msg) = (
        rest[..=q].strip_suffix(b",\"resultMsg\":\"")?,
        &rest[q + 1..],
    );
    let digits = rest
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_digit() || **c == b'-')
        .count();
    let (rest, code) = rest.split_at(rest.len() - digits);
    let data = rest.strip_suffix(b",\"resultCode\":")?;
    // JSON number text of a plain 4-byte Int (`007` is not JSON; `4.0`
    // is a deviation): exactly what the full reader takes without remark.
    let code = match super::number::int(std::str::from_utf8(code).ok()?) {
        Ok(super::number::IntText::Plain(n)) => n,
        _ => return None,
    };
    let msg_ok = !msg.iter().any(|&b| b == b'\\' || b == b'"' || b < 0x20)
        && std::str::from_utf8(msg).is_ok_and(|m| m.chars().count() <= 255);
    msg_ok.then_some((data, code, timestamp))
}

/// Whether [`decode_reply_fast`] would answer for these bytes, without
/// building the typed reply where the hand reader can tell
/// ([`clean::reply_ok`](super::clean::reply_ok)).
fn reply_fast_ok(command: u16, bytes: &[u8]) -> bool {
    let Some(cmd) = Command::from_code(command) else {
        return false;
    };
    reply_parts(bytes).is_some_and(|(data, _, _)| super::clean::reply_ok(cmd, data))
}

/// `…,"timestamp":N}` → (`…`, N) for a clean timestamp (seconds, 4 bytes).
fn split_timestamp(b: &[u8]) -> Option<(&[u8], i64)> {
    let b = b.strip_suffix(b"}")?;
    let digits = b.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 10 || (digits > 1 && b[b.len() - digits] == b'0') {
        return None;
    }
    let (head, num) = b.split_at(b.len() - digits);
    let head = head.strip_suffix(b",\"timestamp\":")?;
    // At most 10 ASCII digits: no overflow.
    let n = num.iter().fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
    (n <= u32::MAX as i64).then_some((head, n))
}

/// `…,"sign":"<sign>"` → (`…`, sign) for a sign of 40 or 32 characters
/// (SHA1, MD5 hex), the key looked for where such a sign begins. A sign
/// of another length is refused; so is one the key would overlap, since
/// the key's bytes are no hex digits and the sign would not verify.
fn split_sign(b: &[u8]) -> Option<(&[u8], &[u8])> {
    const KEY: &[u8] = b",\"sign\":\"";
    let b = b.strip_suffix(b"\"")?;
    [40, 32].into_iter().find_map(|n| {
        let at = b.len().checked_sub(n + KEY.len())?;
        (&b[at..at + KEY.len()] == KEY).then(|| (&b[..at], &b[at + KEY.len()..]))
    })
}

/// A request envelope read the cheapest exact way: the fast path when it
/// is clean ([`decode_request_fast`]), else the full reader. `Ok` with the
/// typed request and its timestamp in seconds when the envelope is
/// accepted and its items read; `Err` with the full reading otherwise,
/// which says what is wrong.
pub fn accepted_request(
    command: u16,
    bytes: &[u8],
    algo: SignAlgo,
    mode: Mode,
) -> Result<(Request, Option<i64>), Box<Decoded>> {
    if let Some((req, ts)) = decode_request_fast(command, bytes, algo) {
        return Ok((req, Some(ts)));
    }
    let d = decode(command, Direction::Request, bytes, algo, mode);
    match d.typed_request() {
        Some(Ok(req)) if d.accepted() => Ok((req, d.timestamp)),
        _ => Err(Box::new(d)),
    }
}

/// `accepted_reply(…).is_ok()`, without building the typed reply when
/// the fast path can answer.
pub fn reply_accepted(command: u16, bytes: &[u8], algo: SignAlgo, mode: Mode) -> bool {
    reply_fast_ok(command, bytes) || accepted_reply(command, bytes, algo, mode).is_ok()
}

/// As [`accepted_request`], for a reply envelope (unsigned).
pub fn accepted_reply(
    command: u16,
    bytes: &[u8],
    algo: SignAlgo,
    mode: Mode,
) -> Result<Reply, Box<Decoded>> {
    if let Some((rep, _, _)) = decode_reply_fast(command, bytes) {
        return Ok(rep);
    }
    let d = decode(command, Direction::Reply, bytes, algo, mode);
    match d.typed_reply() {
        Some(Ok(rep)) if d.accepted() => Ok(rep),
        _ => Err(Box::new(d)),
    }
}
