//! Envelopes (tables 12 and 13): building signed requests and replies, and
//! reading one back with every check the standard implies.
//!
//! Request `{timestamp, sign, data: [...]}`; reply `{resultCode, resultMsg,
//! timestamp, data: [...]}`. parksim produces both canonically (keys sorted,
//! compact) and signs requests; the standard defines no sign for replies.

use super::canon;
use super::codes::{BizCode, Command, ResultCode};
use super::frame::{Direction, FrameRepr, VERSION};
use super::messages::{Reply, Request};
use super::schema::{self, Checked, Issue, Mode};
use super::sign::{self, SignAlgo, SignCheck};
use serde_json::{Map, Value};
use std::fmt::Write as _;

/// Writes a request envelope around a canonical `data` array.
pub fn request_body(data_json: &[u8], timestamp: i64, algo: SignAlgo) -> Vec<u8> {
    let sign = sign::digest_hex(algo, data_json);
    let mut out = Vec::with_capacity(data_json.len() + 80);
    out.extend_from_slice(b"{\"data\":");
    out.extend_from_slice(data_json);
    out.extend_from_slice(b",\"sign\":\"");
    out.extend_from_slice(sign.as_bytes());
    out.extend_from_slice(b"\",\"timestamp\":");
    out.extend_from_slice(timestamp.to_string().as_bytes());
    out.push(b'}');
    out
}

/// Writes a reply envelope around a canonical `data` array.
pub fn reply_body(result: ResultCode, message: &str, timestamp: i64, data_json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data_json.len() + 80);
    out.extend_from_slice(b"{\"data\":");
    out.extend_from_slice(data_json);
    let _ = write!(
        VecWriter(&mut out),
        ",\"resultCode\":{},\"resultMsg\":{},\"timestamp\":{}}}",
        result.code(),
        Value::String(message.to_string()),
        timestamp
    );
    out
}

struct VecWriter<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for VecWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// A signed request as one SZTC frame.
pub fn request_frame(req: &Request, packet_no: u32, timestamp: i64, algo: SignAlgo) -> Vec<u8> {
    let body = request_body(&req.data_json(), timestamp, algo);
    frame_bytes(req.command().code(), packet_no, Direction::Request, &body)
}

/// A reply as one SZTC frame (`packet_no` is the request's).
pub fn reply_frame(rep: &Reply, result: ResultCode, packet_no: u32, timestamp: i64) -> Vec<u8> {
    let body = reply_body(result, result.message(), timestamp, &rep.data_json());
    frame_bytes(rep.command().code(), packet_no, Direction::Reply, &body)
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
        &env,
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
            &env,
            "resultCode",
            schema::Ty::Int(None),
            true,
            &mut errs,
            &mut devs,
        );
        d.result_code = rc.as_ref().and_then(Value::as_i64);
        check_scalar(
            &env,
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
