//! The reservation platform's side of the protocol, sans-IO: bytes from a
//! garage's connection go in, reply frames come out, and what the garage
//! reported lands once in a [`Ledger`]. Downlinks (4001, 4002, 6001, 6002)
//! are framed here and their replies matched by `packetNo`.
//!
//! The simulator drives one `Platform` per garage in process; the network
//! platform will drive the same type behind sockets.
//!
//! Records are keyed by their ids: a resent record (same id) is
//! acknowledged and counted as a duplicate, never recorded twice. Space
//! counts (5003) carry no id: the one with the latest envelope timestamp
//! wins, so a backlog sent after real-time data cannot overwrite it.

pub mod http;
mod ledger;

pub use ledger::{Digested, Ledger, Report, digest};

use crate::proto::codec::FrameDecoder;
use crate::proto::envelope::{self, Decoded};
use crate::proto::frame::{Direction, MAX_DATA_LEN, VERSION, next_packet_no};
use crate::proto::messages::*;
use crate::proto::password::DesKey;
use crate::proto::token::TokenStore;
use crate::proto::{BizCode, Command, Mode, ResultCode, SignAlgo};
use std::collections::BTreeMap;

/// A garage account.
#[derive(Debug, Clone)]
pub struct Account {
    pub user_id: String,
    pub password: String,
    pub key: DesKey,
}

#[derive(Debug, Clone)]
pub struct PlatformConfig {
    pub algo: SignAlgo,
    pub mode: Mode,
    /// Accounts allowed to log in; empty: login not required.
    pub accounts: Vec<Account>,
    /// Secret behind the HTTPS tokens (the network layer draws it from the
    /// OS; a simulation derives it from its seed).
    pub token_secret: [u8; 16],
    /// Access token lifetime [s].
    pub token_ttl: i64,
}

impl Default for PlatformConfig {
    fn default() -> Self {
        PlatformConfig {
            algo: SignAlgo::Sha1,
            mode: Mode::Lenient,
            accounts: Vec::new(),
            token_secret: [0; 16],
            token_ttl: 7200,
        }
    }
}

/// Rules beyond the standard's text that keep one garage from writing for
/// another or tying up the platform. [`Policy::default`] holds the
/// defaults; a [`Platform::new`] uses them.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Garages (parkCode) each account may report for; an account absent
    /// or with an empty list may report for any. An upload naming another
    /// garage is answered 4 with item code 1101 and not recorded.
    pub park_codes: BTreeMap<String, Vec<String>>,
    /// Sign algorithm per account (absent: [`PlatformConfig::algo`]).
    pub sign: BTreeMap<String, SignAlgo>,
    /// Largest `length` of a frame before login [B] (16 KiB: a 1004 is a
    /// few hundred bytes); 10 MiB after.
    pub prelogin_max_len: usize,
    /// Bad stretches of the byte stream (bad magic, CRC, length) one
    /// connection may send; one more and [`Platform::close_reason`] says
    /// to close it.
    pub stream_error_budget: u64,
    /// Largest distance of a login's envelope timestamp from `now` [s]
    /// (None: unchecked). Lenient mode counts a login outside it
    /// (`PlatformStats::stale_logins`); strict mode refuses it.
    pub login_window: Option<i64>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            park_codes: BTreeMap::new(),
            sign: BTreeMap::new(),
            prelogin_max_len: 16 * 1024,
            stream_error_budget: 8,
            login_window: Some(600),
        }
    }
}

/// An HTTP answer: status and the reply envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Whether the caller may use business interfaces.
#[derive(Debug, Clone, Copy)]
enum Session {
    Open,
    Closed(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Tcp,
    Http,
}

/// Counters [frames or records].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlatformStats {
    pub frames_received: u64,
    /// Frames whose CRC, sign and body passed.
    pub frames_verified: u64,
    /// Frames refused (bad sign, bad body, unknown command, not logged in).
    pub frames_rejected: u64,
    /// Bad stretches of the byte stream (bad magic, CRC, length).
    pub stream_errors: u64,
    /// Records received again with an id already held.
    pub duplicates: u64,
    /// Rejections by code (result code for envelopes, business code for items).
    pub rejects_by_code: BTreeMap<i64, u64>,
    pub downlinks_sent: u64,
    pub downlink_replies: u64,
    /// Replies with a packetNo no downlink is waiting for.
    pub unmatched_replies: u64,
    /// Logins whose envelope timestamp lay outside the window (lenient:
    /// accepted and counted; strict: refused).
    pub stale_logins: u64,
    /// Frame headers outside table 14 (version other than 1.0, packetNo
    /// outside 1..=2^31−1): counted in lenient mode, refused in strict.
    pub header_deviations: u64,
}

/// The platform for one garage connection.
#[derive(Debug)]
pub struct Platform {
    cfg: PlatformConfig,
    decoder: FrameDecoder,
    /// The account logged in on this connection (shared, not copied, with
    /// each call that acts for it).
    logged_in: Option<std::sync::Arc<str>>,
    next_packet: u32,
    pending: BTreeMap<u32, Command>,
    tokens: TokenStore,
    policy: Policy,
    /// Bad stretches of this connection's stream.
    conn_stream_errors: u64,
    /// Why the connection should be closed (set once).
    closing: Option<&'static str>,
    /// Reports kept by id go to [`Ledger::digested`], not to its maps.
    digests_only: bool,
    pub ledger: Ledger,
    pub stats: PlatformStats,
}

impl Platform {
    pub fn new(cfg: PlatformConfig) -> Platform {
        Platform::with_policy(cfg, Policy::default())
    }

    /// A platform with `policy` instead of the defaults.
    pub fn with_policy(cfg: PlatformConfig, policy: Policy) -> Platform {
        let mut p = Platform {
            tokens: TokenStore::new(cfg.token_secret, cfg.token_ttl, 7 * 86_400),
            cfg,
            decoder: FrameDecoder::new(),
            logged_in: None,
            next_packet: 0,
            pending: BTreeMap::new(),
            policy,
            conn_stream_errors: 0,
            closing: None,
            digests_only: false,
            ledger: Ledger::default(),
            stats: PlatformStats::default(),
        };
        p.sync_limit();
        p
    }

    /// From now on, keeps each report kept by id (5004, 5005, 5008, 7001)
    /// as its kind, id and [`digest`] in [`Ledger::digested`] instead of
    /// the record itself: for a caller that checks the records against
    /// what it sent and takes the ledger after every call (the
    /// simulator). Replies, duplicates and counts are as before.
    pub fn keep_digests(&mut self) {
        self.digests_only = true;
    }

    /// The connection dropped: bytes in flight and the login are gone;
    /// downlinks still waiting for a reply stay pending.
    pub fn disconnect(&mut self) {
        self.decoder = FrameDecoder::new();
        self.logged_in = None;
        self.conn_stream_errors = 0;
        self.closing = None;
        self.sync_limit();
    }

    /// Why the caller should close this connection now (too many bad
    /// stretches, a reply frame before login); None: keep it.
    pub fn close_reason(&self) -> Option<&'static str> {
        self.closing
    }

    fn login_required(&self) -> bool {
        !self.cfg.accounts.is_empty()
    }

    /// The frame size cap: small until the connection logged in.
    fn sync_limit(&mut self) {
        let max = if self.login_required() && self.logged_in.is_none() {
            self.policy.prelogin_max_len
        } else {
            MAX_DATA_LEN
        };
        self.decoder.set_max_len(max);
    }

    fn stream_error(&mut self) {
        self.stats.stream_errors += 1;
        self.conn_stream_errors += 1;
        if self.conn_stream_errors > self.policy.stream_error_budget {
            self.closing = Some("too many bad stretches in the byte stream");
        }
    }

    /// The sign algorithm of `user` (its account's, else the platform's).
    fn algo_of(&self, user: Option<&str>) -> SignAlgo {
        user.and_then(|u| self.policy.sign.get(u).copied())
            .unwrap_or(self.cfg.algo)
    }

    /// The sign algorithm for a login envelope: that of the account its
    /// single item names (read without trusting anything else).
    fn login_algo(&self, body: &[u8]) -> SignAlgo {
        if self.policy.sign.is_empty() {
            return self.cfg.algo;
        }
        let user = crate::proto::canon::parse(body).ok().and_then(|n| {
            match n.get("data")?.item(0)?.get("userId")? {
                crate::proto::canon::Node::Str(s) => Some(s.to_string()),
                _ => None,
            }
        });
        self.algo_of(user.as_deref())
    }

    /// The first parkCode of `req`'s items that `user` may not report
    /// for; read from the decoded items (the reader that accepted them).
    fn foreign_park_code(&self, user: Option<&str>, req: &Request) -> Option<String> {
        let allowed = self.policy.park_codes.get(user?)?;
        if allowed.is_empty() {
            return None;
        }
        fn walk(v: &serde_json::Value, allowed: &[String]) -> Option<String> {
            match v {
                serde_json::Value::Object(m) => m.iter().find_map(|(k, x)| {
                    if k == "parkCode" {
                        let code = match x {
                            serde_json::Value::String(s) => s.clone(),
                            serde_json::Value::Number(n) => n.to_string(),
                            _ => return walk(x, allowed),
                        };
                        (!allowed.contains(&code)).then_some(code)
                    } else {
                        walk(x, allowed)
                    }
                }),
                serde_json::Value::Array(a) => a.iter().find_map(|x| walk(x, allowed)),
                _ => None,
            }
        }
        // Typed items: their nesting is the tables', never the sender's.
        let v: serde_json::Value = serde_json::from_slice(&req.data_json()).ok()?;
        walk(&v, allowed)
    }

    pub fn logged_in(&self) -> Option<&str> {
        self.logged_in.as_deref()
    }

    /// Downlinks sent and not yet answered [count].
    pub fn pending_downlinks(&self) -> usize {
        self.pending.len()
    }

    /// Bytes from the garage at `now` [s]; returns the reply frames.
    /// Once [`Platform::close_reason`] is set, further bytes are ignored.
    pub fn receive(&mut self, now: i64, bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        self.receive_each(now, bytes, |r| out.push(r));
        out
    }

    /// As [`Platform::receive`], each reply frame handed to `answer` as it
    /// is made (no list of them).
    pub fn receive_each(&mut self, now: i64, bytes: &[u8], mut answer: impl FnMut(Vec<u8>)) {
        // Whole frames read in place while nothing is buffered.
        let mut rest = bytes;
        while self.closing.is_none()
            && let Some((f, n)) = self.decoder.take_whole(rest)
        {
            if let Some(r) = self.frame(now, f.version, f.command, f.packet_no, f.direction, f.data)
            {
                answer(r);
            }
            rest = &rest[n..];
            self.sync_limit();
        }
        if rest.is_empty() || self.closing.is_some() {
            return;
        }
        self.decoder.feed(rest);
        while self.closing.is_none() {
            match self.decoder.decode() {
                Ok(Some(f)) => {
                    if let Some(r) =
                        self.frame(now, f.version, f.command, f.packet_no, f.direction, &f.data)
                    {
                        answer(r);
                    }
                    self.sync_limit();
                }
                Ok(None) => break,
                Err(_) => self.stream_error(),
            }
        }
    }

    fn reject(&mut self, code: i64) {
        self.stats.frames_rejected += 1;
        *self.stats.rejects_by_code.entry(code).or_insert(0) += 1;
    }

    fn frame(
        &mut self,
        now: i64,
        version: (u8, u8),
        command: u16,
        packet_no: u32,
        direction: Direction,
        data: &[u8],
    ) -> Option<Vec<u8>> {
        self.stats.frames_received += 1;
        let logged_out = self.login_required() && self.logged_in.is_none();
        if direction == Direction::Reply {
            if logged_out {
                // Nothing was sent to a connection that has not logged in.
                self.reject(ResultCode::Format.code());
                self.closing = Some("a reply frame before login");
                return None;
            }
            return self.downlink_reply(packet_no, command, data);
        }
        // Table 14: version 1.0, packetNo 1..=2^31−1.
        let header_issue = if version != VERSION {
            Some(format!(
                "frame version {}.{}: table 14 has 1.0",
                version.0, version.1
            ))
        } else if packet_no == 0 || packet_no > i32::MAX as u32 {
            Some(format!(
                "packetNo {packet_no} outside 1..=2147483647 (table 14)"
            ))
        } else {
            None
        };
        if let Some(why) = header_issue {
            self.stats.header_deviations += 1;
            if self.cfg.mode == crate::proto::Mode::Strict {
                self.reject(ResultCode::Format.code());
                let body = envelope::reply_body(ResultCode::Format, &why, now, b"[]");
                return Some(envelope::frame_bytes(
                    command,
                    packet_no,
                    Direction::Reply,
                    &body,
                ));
            }
        }
        let session = if !logged_out {
            Session::Open
        } else {
            Session::Closed("login (1004) first")
        };
        let algo = if logged_out && command == Command::LoginTcp.code() {
            self.login_algo(data)
        } else {
            self.algo_of(self.logged_in.as_deref())
        };
        let user = self.logged_in.clone();
        // The reply frame in one buffer, its data written in place.
        let mut out = envelope::reply_frame_begin();
        let result = match envelope::accepted_request(command, data, algo, self.cfg.mode) {
            Ok((req, ts)) => self.answer(
                now,
                req,
                ts.unwrap_or(now),
                session,
                Transport::Tcp,
                user.as_deref(),
                &mut out,
            ),
            Err(d) => self.refuse(&d, &mut out),
        };
        Some(envelope::reply_frame_end(
            out,
            result,
            result.message(),
            now,
            command,
            packet_no,
        ))
    }

    /// An HTTPS request (7.1.4.1.2): `POST {base}/{version}/{code}` with an
    /// envelope body; `authorization` is the header's value ("Bearer x",
    /// or the examples' "bearerx"). Returns the HTTP status and the reply
    /// envelope. 1001 logs in (tokens), 1002 refreshes, 1003 logs out;
    /// every other call needs a valid access token.
    pub fn receive_http(
        &mut self,
        now: i64,
        path: &str,
        authorization: Option<&str>,
        body: &[u8],
    ) -> HttpReply {
        self.receive_http_user(now, path, authorization, body).0
    }

    /// The user an `Authorization` header's token belongs to, if it is
    /// valid at `now`: the one place an HTTP caller's identity comes from.
    pub fn http_user(&self, authorization: Option<&str>, now: i64) -> Option<String> {
        let token = bearer_token(authorization?);
        self.tokens.validate(token, now).ok().map(str::to_string)
    }

    /// As [`Platform::receive_http`], with the account the call acted for
    /// (the token's user; for a login, the user it logged in).
    pub fn receive_http_user(
        &mut self,
        now: i64,
        path: &str,
        authorization: Option<&str>,
        body: &[u8],
    ) -> (HttpReply, Option<String>) {
        self.stats.frames_received += 1;
        let Some(code) = http::interface_code(path) else {
            self.reject(ResultCode::Format.code());
            let body = envelope::reply_body(
                ResultCode::Format,
                "the URL is not {base}/1.0/{interface code}",
                now,
                b"[]",
            );
            return (HttpReply { status: 404, body }, None);
        };
        let token = authorization.map(bearer_token);
        let token_user = token.and_then(|t| self.tokens.validate(t, now).ok().map(str::to_string));
        let auth_call = Command::from_code(code).is_some_and(|c| c.is_auth());
        let algo = if auth_call {
            self.login_algo(body)
        } else {
            self.algo_of(token_user.as_deref())
        };
        let read = envelope::accepted_request(code, body, algo, self.cfg.mode);
        let command = match &read {
            Ok((req, _)) => Some(req.command()),
            Err(d) => d.command,
        };
        let session = match command {
            // 1001 and 1002 carry the password; 1003 needs the token.
            Some(c) if c.is_auth() && c != Command::LogoutHttp => Session::Open,
            _ => match (token, &token_user) {
                (_, Some(_)) => Session::Open,
                (Some(_), None) => Session::Closed("access token invalid or expired"),
                (None, _) => Session::Closed("no Authorization: Bearer token"),
            },
        };
        let closed = matches!(session, Session::Closed(_));
        self.logged_in = None;
        let mut data = Vec::new();
        let result = match read {
            Ok((req, ts)) => self.answer(
                now,
                req,
                ts.unwrap_or(now),
                session,
                Transport::Http,
                token_user.as_deref(),
                &mut data,
            ),
            Err(d) => self.refuse(&d, &mut data),
        };
        let status = if closed { 401 } else { 200 };
        // A login acts for the user it logged in.
        let user = self.logged_in.take().map(|u| u.to_string()).or(token_user);
        (
            HttpReply {
                status,
                body: envelope::reply_body(result, result.message(), now, &data),
            },
            user,
        )
    }

    /// The answer to a request envelope that was not accepted: its general
    /// code (table 43), with per-item codes where items were at fault.
    fn refuse(&mut self, d: &Decoded, out: &mut Vec<u8>) -> ResultCode {
        let code = match d.command {
            None => ResultCode::Format,
            Some(_) if d.result != ResultCode::Ok => {
                self.reject(d.result.code());
                out.extend_from_slice(&self.item_codes(d));
                return d.result;
            }
            // Accepted, yet the items did not read as the interface's type.
            Some(_) => ResultCode::Parameter,
        };
        self.reject(code.code());
        out.extend_from_slice(b"[]");
        code
    }

    /// The reply to an accepted, typed request: its general code, its
    /// `data` array appended to `out`.
    #[allow(clippy::too_many_arguments)]
    fn answer(
        &mut self,
        now: i64,
        req: Request,
        timestamp: i64,
        session: Session,
        transport: Transport,
        user: Option<&str>,
        out: &mut Vec<u8>,
    ) -> ResultCode {
        let cmd = req.command();
        if let Session::Closed(why) = session
            && cmd != Command::LoginTcp
        {
            self.reject(BizCode::BadToken.code());
            let item = CodeReply {
                code: BizCode::BadToken.code(),
                message: Some(why.into()),
            };
            out.extend_from_slice(&crate::proto::sign::canonical(&serde_json::json!([item])));
            return ResultCode::Ok;
        }
        let wrong_transport = match transport {
            Transport::Tcp => matches!(
                cmd,
                Command::LoginHttp | Command::RefreshToken | Command::LogoutHttp
            ),
            Transport::Http => matches!(
                cmd,
                Command::LoginTcp | Command::LogoutTcp | Command::Heartbeat
            ),
        };
        if wrong_transport {
            self.reject(ResultCode::Format.code());
            out.extend_from_slice(b"[]");
            return ResultCode::Format;
        }
        if cmd.is_auth() || cmd == Command::LoginTcp {
            // A login carries exactly one item: one connection or token,
            // one account.
            if req.len() != 1 {
                if cmd == Command::LoginTcp {
                    self.logged_in = None;
                }
                return self.refuse_items(
                    out,
                    ResultCode::Parameter,
                    BizCode::Parameter,
                    format!(
                        "a {cmd} request carries exactly one item, not {}",
                        req.len()
                    ),
                    1,
                );
            }
            if let Some(w) = self.policy.login_window
                && matches!(cmd, Command::LoginTcp | Command::LoginHttp)
                && (timestamp - now).abs() > w
            {
                self.stats.stale_logins += 1;
                if self.cfg.mode == crate::proto::Mode::Strict {
                    self.logged_in = None;
                    return self.refuse_items(
                    out,
                        ResultCode::Parameter,
                        BizCode::OutOfRange,
                        format!(
                            "timestamp {timestamp} is {} s from the platform's clock (window ±{w} s)",
                            timestamp - now
                        ),
                        1,
                    );
                }
            }
        }
        if let Some(code) = self.foreign_park_code(user, &req) {
            let msg = format!(
                "parkCode {code} is not a garage of account {}",
                user.unwrap_or("-")
            );
            let n = req.len().max(1);
            return self.refuse_items(out, ResultCode::Parameter, BizCode::ParkNotFound, msg, n);
        }
        self.stats.frames_verified += 1;
        self.record(req, timestamp, now, user, out);
        ResultCode::Ok
    }

    /// A refusal with `n` items each carrying `code` and `msg`.
    fn refuse_items(
        &mut self,
        out: &mut Vec<u8>,
        result: ResultCode,
        code: BizCode,
        msg: String,
        n: usize,
    ) -> ResultCode {
        self.reject(code.code());
        let item = serde_json::json!({"code": code.code(), "message": msg});
        out.extend_from_slice(&crate::proto::sign::canonical(&serde_json::Value::Array(
            vec![item; n],
        )));
        result
    }

    fn item_codes(&self, d: &Decoded) -> Vec<u8> {
        let items: Vec<serde_json::Value> = d
            .items
            .iter()
            .map(|c| {
                let code = c.errors.first().map_or(0, |e| e.code.code());
                let message = c.errors.first().map_or("成功".to_string(), |e| {
                    format!("{}: {}", e.path, e.message)
                });
                serde_json::json!({"code": code, "message": message})
            })
            .collect();
        crate::proto::sign::canonical(&serde_json::Value::Array(items))
    }

    /// Records an accepted request and appends the reply's `data` array to
    /// `out`. The reports kept by id (5004, 5005, 5008, 7001) are answered
    /// straight into `out`, each item `{"code":0,"id":…,"message":"成功"}`;
    /// everything else through a typed [`Reply`].
    fn record(
        &mut self,
        req: Request,
        timestamp: i64,
        now: i64,
        user: Option<&str>,
        out: &mut Vec<u8>,
    ) {
        let digests = self.digests_only;
        let dup = &mut self.stats.duplicates;
        let l = &mut self.ledger;
        /// Answers each item by its id, then keeps it in `map` (by id, once).
        fn keep<T>(
            items: Vec<T>,
            id: impl Fn(&T) -> &String,
            map: &mut BTreeMap<String, T>,
            dup: &mut u64,
            out: &mut Vec<u8>,
        ) {
            out.push(b'[');
            for (n, i) in items.into_iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                crate::proto::direct::write_ok_id_reply(id(&i), out);
                match map.entry(id(&i).clone()) {
                    std::collections::btree_map::Entry::Occupied(_) => *dup += 1,
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert(i);
                    }
                }
            }
            out.push(b']');
        }
        /// As `keep`, into `list` as digests (the id taken out of the
        /// record once digested).
        fn keep_digest<T: std::hash::Hash>(
            items: Vec<T>,
            report: Report,
            id: impl Fn(&mut T) -> &mut String,
            list: &mut Vec<Digested>,
            dup: &mut u64,
            out: &mut Vec<u8>,
        ) {
            out.push(b'[');
            for (n, mut i) in items.into_iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                crate::proto::direct::write_ok_id_reply(id(&mut i), out);
                let held = list
                    .iter()
                    .any(|d| d.report == report && d.id == *id(&mut i));
                if held {
                    *dup += 1;
                    continue;
                }
                let digest = digest(&i);
                list.push(Digested {
                    report,
                    id: std::mem::take(id(&mut i)),
                    digest,
                });
            }
            out.push(b']');
        }
        let list = &mut l.digested;
        match req {
            Request::Entry(items) if digests => {
                keep_digest(items, Report::Entry, |i| &mut i.id, list, dup, out)
            }
            Request::Exit(items) if digests => {
                keep_digest(items, Report::Exit, |i| &mut i.id, list, dup, out)
            }
            Request::Charge(items) if digests => {
                keep_digest(items, Report::Charge, |i| &mut i.id, list, dup, out)
            }
            Request::PrioritySwitch(items) if digests => {
                keep_digest(items, Report::Switch, |i| &mut i.id, list, dup, out)
            }
            Request::Entry(items) => keep(items, |i| &i.id, &mut l.entries, dup, out),
            Request::Exit(items) => keep(items, |i| &i.id, &mut l.exits, dup, out),
            Request::Charge(items) => keep(items, |i| &i.id, &mut l.charges, dup, out),
            Request::PrioritySwitch(items) => {
                keep(items, |i| &i.id, &mut l.priority_switches, dup, out)
            }
            other => self
                .record_typed(other, timestamp, now, user)
                .write_data_json(out),
        }
    }

    /// Records an accepted request other than those [`Platform::record`]
    /// answers itself, and builds the reply.
    fn record_typed(
        &mut self,
        req: Request,
        timestamp: i64,
        now: i64,
        user: Option<&str>,
    ) -> Reply {
        let ok = || Some("成功".to_string());
        let l = &mut self.ledger;
        match req {
            Request::LoginTcp(items) => {
                // Exactly one item (checked in `answer`).
                let mut code = BizCode::Ok;
                for it in &items {
                    if self.account_ok(&it.user_id, &it.password) {
                        self.logged_in = Some(it.user_id.as_str().into());
                    } else {
                        self.logged_in = None;
                        code = BizCode::BadCredentials;
                    }
                }
                Reply::LoginTcp(vec![CodeReply {
                    code: code.code(),
                    message: Some(code.message().into()),
                }])
            }
            Request::LoginHttp(items) => Reply::LoginHttp(
                items
                    .iter()
                    .map(|it| {
                        if self.account_ok(&it.user_id, &it.password) {
                            self.logged_in = Some(it.user_id.as_str().into());
                            let t = self.tokens.issue(&it.user_id, now);
                            LoginReply {
                                access_token: t.access_token,
                                code: 0,
                                expires_in: t.expires_in,
                                message: ok(),
                                refresh_token: t.refresh_token,
                                scope: "default".into(),
                                token_type: "bearer".into(),
                            }
                        } else {
                            LoginReply {
                                access_token: String::new(),
                                code: BizCode::BadCredentials.code(),
                                expires_in: 0,
                                message: Some(BizCode::BadCredentials.message().into()),
                                refresh_token: String::new(),
                                scope: "default".into(),
                                token_type: "bearer".into(),
                            }
                        }
                    })
                    .collect(),
            ),
            Request::RefreshToken(items) => Reply::RefreshToken(
                items
                    .iter()
                    .map(|it| {
                        let refreshed = if self.account_ok(&it.user_id, &it.password) {
                            self.tokens
                                .refresh(&it.user_id, &it.access_token, now)
                                .map_err(|_| BizCode::BadToken)
                        } else {
                            Err(BizCode::BadCredentials)
                        };
                        let id = format!("{:032x}", now as u64);
                        match refreshed {
                            Ok(t) => RefreshReply {
                                access_token: t.access_token,
                                code: 0,
                                expires_in: t.expires_in,
                                id,
                                message: ok(),
                                refresh_token: t.refresh_token,
                                token_type: "bearer".into(),
                            },
                            Err(c) => RefreshReply {
                                access_token: String::new(),
                                code: c.code(),
                                expires_in: 0,
                                id,
                                message: Some(c.message().into()),
                                refresh_token: String::new(),
                                token_type: "bearer".into(),
                            },
                        }
                    })
                    .collect(),
            ),
            Request::LogoutHttp(items) => Reply::LogoutHttp(
                items
                    .iter()
                    .map(|it| {
                        // Only the caller's own tokens (the bearer token's user).
                        let own = user.is_some() && self.tokens.owner(&it.access_token) == user;
                        match if own {
                            self.tokens.revoke(&it.access_token, now)
                        } else {
                            Err(crate::proto::token::TokenError::WrongUser)
                        } {
                            Ok(()) => CodeReply {
                                code: 0,
                                message: ok(),
                            },
                            Err(_) => CodeReply {
                                code: BizCode::BadToken.code(),
                                message: Some(BizCode::BadToken.message().into()),
                            },
                        }
                    })
                    .collect(),
            ),
            Request::LogoutTcp(_) => {
                self.logged_in = None;
                Reply::LogoutTcp(vec![])
            }
            Request::Heartbeat(_) => Reply::Heartbeat(vec![]),
            Request::ParkInfo(items) => {
                let r = items
                    .iter()
                    .map(|i| ParkCodeReply {
                        code: 0,
                        message: ok(),
                        park_code: Some(i.park_info.park_code.clone()),
                    })
                    .collect();
                l.park_info = items.into_iter().last();
                Reply::ParkInfo(r)
            }
            Request::EntranceInfo(items) => Reply::EntranceInfo(
                items
                    .into_iter()
                    .map(|i| {
                        let id = i.entrance_exit_info.id.clone();
                        l.entrances.insert(id.clone(), i);
                        IdReply {
                            code: 0,
                            id: Some(id),
                            message: ok(),
                        }
                    })
                    .collect(),
            ),
            Request::ChargingStandard(items) => Reply::ChargingStandard(
                items
                    .into_iter()
                    .map(|i| {
                        let p = i.permit_no.clone();
                        l.tariffs.insert(p.clone(), i);
                        PermitReply {
                            code: 0,
                            message: ok(),
                            permit_no: p,
                        }
                    })
                    .collect(),
            ),
            Request::SpaceCount(items) => {
                let r = items
                    .iter()
                    .map(|i| ParkCodeReply {
                        code: 0,
                        message: ok(),
                        park_code: Some(i.park_code.clone()),
                    })
                    .collect();
                for i in items {
                    if l.space.as_ref().is_none_or(|(t, _)| timestamp >= *t) {
                        l.space = Some((timestamp, i));
                    }
                }
                Reply::SpaceCount(r)
            }
            Request::Correction(items) => Reply::Correction(id_replies(items, |i| {
                l.corrections.insert(i.id.clone(), i);
            })),
            // 5004, 5005, 5008 and 7001 are answered in `record`; they do
            // not reach here.
            // Logins over HTTP, downlinks sent *to* the platform: not for a
            // TCP platform to accept.
            other => {
                let cmd = other.command();
                *self
                    .stats
                    .rejects_by_code
                    .entry(BizCode::Other.code())
                    .or_insert(0) += 1;
                match other {
                    Request::ControlList(_) => Reply::ControlList(vec![IdReply {
                        code: 5,
                        id: None,
                        message: Some(format!("{cmd} is a downlink")),
                    }]),
                    Request::Coupon(v) => Reply::Coupon(
                        v.into_iter()
                            .map(|c| CouponReply {
                                code: 5,
                                coupon_no: c.coupon_no,
                                message: Some(format!("{cmd} is a downlink")),
                            })
                            .collect(),
                    ),
                    Request::Book(v) => Reply::Book(
                        v.into_iter()
                            .map(|b| BookReply {
                                bluetooth_address: None,
                                book_code: b.book_code,
                                code: 5,
                                message: format!("{cmd} is a downlink"),
                                rest_reserved_stalls: None,
                                stall_no: None,
                            })
                            .collect(),
                    ),
                    Request::BookConfirm(v) => Reply::BookConfirm(
                        v.into_iter()
                            .map(|b| BookConfirmReply {
                                book_code: b.book_code,
                                code: 5,
                                message: format!("{cmd} is a downlink"),
                            })
                            .collect(),
                    ),
                    _ => Reply::LogoutHttp(vec![CodeReply {
                        code: 5,
                        message: Some(format!("{cmd} is an HTTPS interface")),
                    }]),
                }
            }
        }
    }

    /// An HTTP request message from the garage; returns the HTTP response.
    pub fn receive_http_bytes(&mut self, now: i64, bytes: &[u8]) -> Vec<u8> {
        match http::parse_request(bytes) {
            Ok(r) => {
                let a = self.receive_http(now, r.path, r.authorization, r.body);
                http::response(a.status, &a.body)
            }
            Err(e) => {
                self.stats.stream_errors += 1;
                let body = envelope::reply_body(ResultCode::Format, e.0, now, b"[]");
                http::response(400, &body)
            }
        }
    }

    /// A downlink as an HTTP request to the garage's callback address;
    /// returns the exchange number its response must carry back.
    pub fn http_downlink(&mut self, now: i64, req: &Request) -> (u32, Vec<u8>) {
        self.next_packet = next_packet_no(self.next_packet);
        self.pending.insert(self.next_packet, req.command());
        self.stats.downlinks_sent += 1;
        let body = envelope::request_body(&req.data_json(), now, self.cfg.algo);
        let path = format!("/callback/1.0/{}", req.command().code());
        (self.next_packet, http::request(&path, None, &body))
    }

    /// The garage's HTTP response to downlink `exchange`.
    pub fn http_downlink_response(&mut self, exchange: u32, bytes: &[u8]) {
        self.stats.frames_received += 1;
        let Some(&cmd) = self.pending.get(&exchange) else {
            self.stats.unmatched_replies += 1;
            return;
        };
        match http::parse_response(bytes) {
            Ok((200, body)) => {
                let _ = self.downlink_reply(exchange, cmd.code(), body);
            }
            _ => {
                self.pending.remove(&exchange);
                self.reject(ResultCode::Other.code());
            }
        }
    }

    /// True when `user_id` exists and `password` (DES + Base64) is its
    /// password (or no accounts are configured).
    fn account_ok(&self, user_id: &str, password: &str) -> bool {
        self.cfg.accounts.is_empty()
            || self
                .cfg
                .accounts
                .iter()
                .any(|a| a.user_id == user_id && a.key.check(password, &a.password))
    }

    /// Frames a downlink to the garage; its reply is matched by packetNo.
    pub fn downlink(&mut self, now: i64, req: &Request) -> Vec<u8> {
        self.next_packet = next_packet_no(self.next_packet);
        self.pending.insert(self.next_packet, req.command());
        self.stats.downlinks_sent += 1;
        envelope::request_frame(req, self.next_packet, now, self.cfg.algo)
    }

    fn downlink_reply(&mut self, packet_no: u32, command: u16, data: &[u8]) -> Option<Vec<u8>> {
        let Some(cmd) = self.pending.remove(&packet_no) else {
            self.stats.unmatched_replies += 1;
            return None;
        };
        if Command::from_code(command) != Some(cmd) {
            self.reject(ResultCode::Format.code());
            return None;
        }
        // Fast path, else the full reader, and only if it accepted.
        let rep = envelope::accepted_reply(command, data, self.cfg.algo, self.cfg.mode).ok();
        match rep {
            Some(rep) => {
                self.stats.frames_verified += 1;
                self.stats.downlink_replies += 1;
                let l = &mut self.ledger;
                match rep {
                    Reply::Book(v) => v.into_iter().for_each(|r| {
                        l.book_replies.insert(r.book_code.clone(), r);
                    }),
                    Reply::BookConfirm(v) => v.into_iter().for_each(|r| {
                        l.confirm_replies.insert(r.book_code.clone(), r);
                    }),
                    Reply::Coupon(v) => v.into_iter().for_each(|r| {
                        l.coupon_replies.insert(r.coupon_no.clone(), r);
                    }),
                    Reply::ControlList(v) => l.control_replies.extend(v),
                    _ => {}
                }
            }
            _ => self.reject(ResultCode::Parameter.code()),
        }
        None
    }
}

/// The token of an `Authorization` value: `Bearer x`, or the examples'
/// `bearerx`.
pub fn bearer_token(h: &str) -> &str {
    let h = h.trim();
    if h.len() >= 6 && h.as_bytes()[..6].eq_ignore_ascii_case(b"bearer") {
        h[6..].trim()
    } else {
        h
    }
}

fn id_replies(items: Vec<ParkRecordInfo>, mut keep: impl FnMut(ParkRecordInfo)) -> Vec<IdReply> {
    items
        .into_iter()
        .map(|i| {
            let id = i.id.clone();
            keep(i);
            IdReply {
                code: 0,
                id: Some(id),
                message: Some("成功".into()),
            }
        })
        .collect()
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::proto::time::DateTime;

    fn car(plate: &str) -> ParkCarInfo {
        ParkCarInfo {
            plate_no: plate.into(),
            ..ParkCarInfo::default()
        }
    }

    fn record(n: u64, plate: &str) -> ParkRecordInfo {
        ParkRecordInfo {
            car_info: car(plate),
            charge_id_list: None,
            discount: Amount::ZERO,
            enter_time: DateTime(1_700_000_000 + n as i64),
            id: format!("{:016x}{n:016x}", 0xabcu64),
            in_equipment_id: None,
            leave_time: None,
            out_equipment_id: None,
            park_code: Some("P1".into()),
            receivables: Amount::new(1500),
            received: Amount::new(1500),
            stall_no: None,
        }
    }

    fn charge(n: u64) -> ParkChargeInfo {
        ParkChargeInfo {
            car_info: car("粤B1"),
            discount: Amount::ZERO,
            id: format!("{:016x}{n:016x}", 0xcdeu64),
            list_discounts: None,
            order_no: None,
            pay_from: "app".into(),
            pay_time: DateTime(1_700_000_100),
            pay_type: 1,
            receivables: Amount::new(700),
            received: Amount::new(700),
            record_id: format!("{:016x}{n:016x}", 0xabcu64),
        }
    }

    /// The same frames to a platform that keeps records and to one that
    /// keeps digests: the same replies and counts, and the digests of the
    /// one are those of the other's records (duplicates, within a call
    /// and across calls, counted alike and kept once).
    #[test]
    fn digests_are_the_records_digests() {
        let switch = PrioritySwitch {
            id: format!("{:032x}", 77),
            operate_type: 1,
            park_code: "P1".into(),
            remark: None,
            time: DateTime(1_700_000_200),
        };
        let calls = [
            vec![
                Request::Entry(vec![
                    record(1, "粤B1"),
                    record(2, "粤B2"),
                    record(1, "粤B1"),
                ]),
                Request::Charge(vec![charge(1)]),
            ],
            vec![
                Request::Exit(vec![record(1, "粤B1")]),
                Request::Entry(vec![record(2, "粤B2"), record(3, "粤B3")]),
                Request::PrioritySwitch(vec![switch]),
                Request::SpaceCount(vec![ParkSpaceInfo {
                    park_code: "P1".into(),
                    reserved_stalls: Some(0),
                    unused_stalls: 7,
                    used_stalls: 3,
                }]),
            ],
        ];
        let mut kept = Platform::new(PlatformConfig::default());
        let mut digested = Platform::new(PlatformConfig::default());
        digested.keep_digests();
        let mut packet = 0;
        for call in &calls {
            let mut bytes = Vec::new();
            for req in call {
                packet += 1;
                bytes.extend(envelope::request_frame(
                    req,
                    packet,
                    1_700_000_000,
                    SignAlgo::Sha1,
                ));
            }
            assert_eq!(
                kept.receive(1_700_000_000, &bytes),
                digested.receive(1_700_000_000, &bytes)
            );
            let (a, b) = (
                std::mem::take(&mut kept.ledger),
                std::mem::take(&mut digested.ledger),
            );
            let mut want: Vec<(Report, String, u64)> = Vec::new();
            for (report, map) in [(Report::Entry, &a.entries), (Report::Exit, &a.exits)] {
                want.extend(map.iter().map(|(id, r)| (report, id.clone(), digest(r))));
            }
            want.extend(
                a.charges
                    .iter()
                    .map(|(id, r)| (Report::Charge, id.clone(), digest(r))),
            );
            want.extend(
                a.priority_switches
                    .iter()
                    .map(|(id, r)| (Report::Switch, id.clone(), digest(r))),
            );
            let mut got: Vec<(Report, String, u64)> = b
                .digested
                .iter()
                .map(|d| (d.report, d.id.clone(), d.digest))
                .collect();
            let key = |x: &(Report, String, u64)| (x.0 as u8, x.1.clone());
            want.sort_by_key(key);
            got.sort_by_key(key);
            assert!(!want.is_empty());
            assert_eq!(got, want);
            // Everything else as the record-keeping platform has it.
            assert!(b.entries.is_empty() && b.exits.is_empty() && b.charges.is_empty());
            assert_eq!(a.space, b.space);
        }
        assert_eq!(kept.stats, digested.stats);
        // One duplicate within a call (record 1 twice in one frame); record
        // 2 again in the second call is not the platform's to see once the
        // ledger is taken.
        assert_eq!(kept.stats.duplicates, 1);
    }
}
