//! What a platform answers to a request envelope: the general code for the
//! envelope (table 43) and, per item, the business code (table 44) with the
//! item's key field (the `id`, `parkCode`, `permitNo`, `couponNo` or
//! `bookCode` its reply table names).
//!
//! This validates; it does not act. A login checked here is answered with
//! its code only: issuing tokens needs the platform's accounts.

use super::codes::{BizCode, Command, ResultCode};
use super::envelope::{self, Decoded};
use super::frame::Direction;
use super::schema::{Issue, Mode};
use super::sign::SignAlgo;
use serde_json::{Map, Value};

/// The reply key of an item of `cmd`: (reply field, path in the request item).
pub fn reply_key(cmd: Command) -> Option<(&'static str, &'static [&'static str])> {
    use Command::*;
    Some(match cmd {
        ParkInfo => ("parkCode", &["parkInfo", "parkCode"]),
        EntranceInfo => ("id", &["entranceExitInfo", "id"]),
        ChargingStandard => ("permitNo", &["permitNo"]),
        SpaceCount => ("parkCode", &["parkCode"]),
        Entry | Exit | Correction | Charge | PrioritySwitch => ("id", &["id"]),
        ControlList => ("id", &["blackWhiteGraySheet", "id"]),
        Coupon => ("couponNo", &["couponNo"]),
        Book | BookConfirm => ("bookCode", &["bookCode"]),
        LoginHttp | RefreshToken | LogoutHttp | LoginTcp | LogoutTcp | Heartbeat => return None,
    })
}

/// The reply envelope (as a JSON value) and whether the request was accepted.
pub struct Verdict {
    pub reply: Value,
    pub accepted: bool,
    pub decoded: Decoded,
}

/// Answers a request body of interface `command` at `now` [s].
pub fn check_request(command: u16, body: &[u8], algo: SignAlgo, mode: Mode, now: i64) -> Verdict {
    let d = envelope::decode(command, Direction::Request, body, algo, mode);
    let mut items = Vec::new();
    if matches!(d.result, ResultCode::Ok | ResultCode::Parameter)
        && let Some(cmd) = d.command
    {
        for (i, c) in d.items.iter().enumerate() {
            let mut m = Map::new();
            if let Some((key, path)) = reply_key(cmd) {
                let raw = d.body.get("data").and_then(|a| a.get(i));
                let lookup = |root: &Value| path.iter().try_fold(root, |v, k| v.get(k)).cloned();
                let v = lookup(&c.value)
                    .or_else(|| raw.and_then(lookup))
                    .map(|v| match v {
                        Value::Number(n) => Value::String(n.to_string()),
                        other => other,
                    });
                if let Some(v) = v {
                    m.insert(key.to_string(), v);
                }
            }
            let (code, message) = item_verdict(&c.errors);
            m.insert("code".into(), Value::from(code.code()));
            m.insert("message".into(), Value::String(message));
            items.push(Value::Object(m));
        }
    }
    let msg = match d.result {
        ResultCode::Ok => ResultCode::Ok.message().to_string(),
        r => {
            let detail: Vec<String> = d
                .errors
                .iter()
                .filter(|e| !e.path.starts_with("data["))
                .map(|e| format!("{}: {}", e.path, e.message))
                .collect();
            if detail.is_empty() {
                r.message().to_string()
            } else {
                format!("{}: {}", r.message(), detail.join("; "))
            }
        }
    };
    let mut reply = Map::new();
    reply.insert("resultCode".into(), Value::from(d.result.code()));
    reply.insert("resultMsg".into(), Value::String(msg));
    reply.insert("timestamp".into(), Value::from(now));
    reply.insert("data".into(), Value::Array(items));
    Verdict {
        accepted: d.accepted(),
        reply: Value::Object(reply),
        decoded: d,
    }
}

/// The code and message of one item: success, or its first error's code
/// with every error listed.
fn item_verdict(errors: &[Issue]) -> (BizCode, String) {
    match errors.first() {
        None => (BizCode::Ok, BizCode::Ok.message().to_string()),
        Some(first) => (
            first.code,
            errors
                .iter()
                .map(|e| format!("{} {}: {}", e.code.code(), e.path, e.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
    }
}
