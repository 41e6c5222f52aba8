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

use crate::proto::codec::FrameDecoder;
use crate::proto::envelope::{self, Decoded};
use crate::proto::frame::{Direction, next_packet_no};
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

/// What the platform holds about one garage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ledger {
    pub park_info: Option<ParkInfoUpload>,
    pub entrances: BTreeMap<String, EntranceUpload>,
    pub tariffs: BTreeMap<String, ChargingStandard>,
    /// 5004 by record id.
    pub entries: BTreeMap<String, ParkRecordInfo>,
    /// 5005 by record id.
    pub exits: BTreeMap<String, ParkRecordInfo>,
    /// 5006 by record id (the latest correction).
    pub corrections: BTreeMap<String, ParkRecordInfo>,
    /// 5008 by charge id.
    pub charges: BTreeMap<String, ParkChargeInfo>,
    /// 7001 by event id.
    pub priority_switches: BTreeMap<String, PrioritySwitch>,
    /// The latest 5003 and its envelope timestamp [s].
    pub space: Option<(i64, ParkSpaceInfo)>,
    /// The garage's reply to each 6001 / 6002, by bookCode (latest).
    pub book_replies: BTreeMap<String, BookReply>,
    pub confirm_replies: BTreeMap<String, BookConfirmReply>,
    pub coupon_replies: BTreeMap<String, CouponReply>,
    pub control_replies: Vec<IdReply>,
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
}

/// The platform for one garage connection.
#[derive(Debug)]
pub struct Platform {
    cfg: PlatformConfig,
    decoder: FrameDecoder,
    logged_in: Option<String>,
    next_packet: u32,
    pending: BTreeMap<u32, Command>,
    tokens: TokenStore,
    pub ledger: Ledger,
    pub stats: PlatformStats,
}

impl Platform {
    pub fn new(cfg: PlatformConfig) -> Platform {
        Platform {
            tokens: TokenStore::new(cfg.token_secret, cfg.token_ttl, 7 * 86_400),
            cfg,
            decoder: FrameDecoder::new(),
            logged_in: None,
            next_packet: 0,
            pending: BTreeMap::new(),
            ledger: Ledger::default(),
            stats: PlatformStats::default(),
        }
    }

    /// The connection dropped: bytes in flight and the login are gone;
    /// downlinks still waiting for a reply stay pending.
    pub fn disconnect(&mut self) {
        self.decoder = FrameDecoder::new();
        self.logged_in = None;
    }

    pub fn logged_in(&self) -> Option<&str> {
        self.logged_in.as_deref()
    }

    /// Downlinks sent and not yet answered [count].
    pub fn pending_downlinks(&self) -> usize {
        self.pending.len()
    }

    /// Bytes from the garage at `now` [s]; returns the reply frames.
    pub fn receive(&mut self, now: i64, bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        // Whole frames read in place while nothing is buffered.
        let mut rest = bytes;
        while let Some((f, n)) = self.decoder.take_whole(rest) {
            if let Some(r) = self.frame(now, f.command, f.packet_no, f.direction, f.data) {
                out.push(r);
            }
            rest = &rest[n..];
        }
        if rest.is_empty() {
            return out;
        }
        self.decoder.feed(rest);
        loop {
            match self.decoder.decode() {
                Ok(Some(f)) => {
                    if let Some(r) = self.frame(now, f.command, f.packet_no, f.direction, &f.data) {
                        out.push(r);
                    }
                }
                Ok(None) => break,
                Err(_) => self.stats.stream_errors += 1,
            }
        }
        out
    }

    fn reject(&mut self, code: i64) {
        self.stats.frames_rejected += 1;
        *self.stats.rejects_by_code.entry(code).or_insert(0) += 1;
    }

    fn frame(
        &mut self,
        now: i64,
        command: u16,
        packet_no: u32,
        direction: Direction,
        data: &[u8],
    ) -> Option<Vec<u8>> {
        self.stats.frames_received += 1;
        if direction == Direction::Reply {
            return self.downlink_reply(packet_no, command, data);
        }
        let session = if self.cfg.accounts.is_empty() || self.logged_in.is_some() {
            Session::Open
        } else {
            Session::Closed("login (1004) first")
        };
        let (result, data) =
            match envelope::accepted_request(command, data, self.cfg.algo, self.cfg.mode) {
                Ok((req, ts)) => self.answer(now, req, ts.unwrap_or(now), session, Transport::Tcp),
                Err(d) => self.refuse(&d),
            };
        let body = envelope::reply_body(result, result.message(), now, &data);
        Some(envelope::frame_bytes(
            command,
            packet_no,
            Direction::Reply,
            &body,
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
        self.stats.frames_received += 1;
        let code = http::interface_code(path);
        let Some(code) = code else {
            self.reject(ResultCode::Format.code());
            let body = envelope::reply_body(
                ResultCode::Format,
                "no interface code in the URL",
                now,
                b"[]",
            );
            return HttpReply { status: 404, body };
        };
        let read = envelope::accepted_request(code, body, self.cfg.algo, self.cfg.mode);
        let command = match &read {
            Ok((req, _)) => Some(req.command()),
            Err(d) => d.command,
        };
        let token = authorization.map(|h| {
            let h = h.trim();
            let lower = h.to_ascii_lowercase();
            if lower.starts_with("bearer") {
                h[6..].trim()
            } else {
                h
            }
        });
        let session = match command {
            Some(c) if c.is_auth() || c == Command::LogoutHttp => Session::Open,
            _ => match token.map(|t| self.tokens.validate(t, now)) {
                Some(Ok(_)) => Session::Open,
                Some(Err(_)) => Session::Closed("access token invalid or expired"),
                None => Session::Closed("no Authorization: Bearer token"),
            },
        };
        let closed = matches!(session, Session::Closed(_));
        let (result, data) = match read {
            Ok((req, ts)) => self.answer(now, req, ts.unwrap_or(now), session, Transport::Http),
            Err(d) => self.refuse(&d),
        };
        let status = if closed { 401 } else { 200 };
        HttpReply {
            status,
            body: envelope::reply_body(result, result.message(), now, &data),
        }
    }

    /// The answer to a request envelope that was not accepted: its general
    /// code (table 43), with per-item codes where items were at fault.
    fn refuse(&mut self, d: &Decoded) -> (ResultCode, Vec<u8>) {
        let code = match d.command {
            None => ResultCode::Format,
            Some(_) if d.result != ResultCode::Ok => {
                self.reject(d.result.code());
                return (d.result, self.item_codes(d));
            }
            // Accepted, yet the items did not read as the interface's type.
            Some(_) => ResultCode::Parameter,
        };
        self.reject(code.code());
        (code, b"[]".to_vec())
    }

    /// The reply to an accepted, typed request.
    fn answer(
        &mut self,
        now: i64,
        req: Request,
        timestamp: i64,
        session: Session,
        transport: Transport,
    ) -> (ResultCode, Vec<u8>) {
        let cmd = req.command();
        if let Session::Closed(why) = session
            && cmd != Command::LoginTcp
        {
            self.reject(BizCode::BadToken.code());
            let item = CodeReply {
                code: BizCode::BadToken.code(),
                message: Some(why.into()),
            };
            return (
                ResultCode::Ok,
                crate::proto::sign::canonical(&serde_json::json!([item])),
            );
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
            return (ResultCode::Format, b"[]".to_vec());
        }
        self.stats.frames_verified += 1;
        let reply = self.record(req, timestamp, now);
        (ResultCode::Ok, reply.data_json())
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

    /// Records an accepted request and builds the reply.
    fn record(&mut self, req: Request, timestamp: i64, now: i64) -> Reply {
        let ok = || Some("成功".to_string());
        let dup = &mut self.stats.duplicates;
        let l = &mut self.ledger;
        fn put<T>(map: &mut BTreeMap<String, T>, id: &str, v: T, dup: &mut u64) {
            if map.contains_key(id) {
                *dup += 1;
            } else {
                map.insert(id.to_string(), v);
            }
        }
        match req {
            Request::LoginTcp(items) => {
                let mut code = BizCode::Ok;
                for it in &items {
                    let good =
                        self.cfg.accounts.iter().any(|a| {
                            a.user_id == it.user_id && a.key.check(&it.password, &a.password)
                        });
                    if good || self.cfg.accounts.is_empty() {
                        self.logged_in = Some(it.user_id.clone());
                    } else {
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
                            self.logged_in = Some(it.user_id.clone());
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
                    .map(|it| match self.tokens.revoke(&it.access_token, now) {
                        Ok(()) => CodeReply {
                            code: 0,
                            message: ok(),
                        },
                        Err(_) => CodeReply {
                            code: BizCode::BadToken.code(),
                            message: Some(BizCode::BadToken.message().into()),
                        },
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
            Request::Entry(items) => Reply::Entry(id_replies(items, |i| {
                put(&mut l.entries, &i.id.clone(), i, dup)
            })),
            Request::Exit(items) => Reply::Exit(id_replies(items, |i| {
                put(&mut l.exits, &i.id.clone(), i, dup)
            })),
            Request::Correction(items) => Reply::Correction(id_replies(items, |i| {
                l.corrections.insert(i.id.clone(), i);
            })),
            Request::Charge(items) => Reply::Charge(
                items
                    .into_iter()
                    .map(|i| {
                        let id = i.id.clone();
                        put(&mut l.charges, &id, i, dup);
                        IdReply {
                            code: 0,
                            id: Some(id),
                            message: ok(),
                        }
                    })
                    .collect(),
            ),
            Request::PrioritySwitch(items) => Reply::PrioritySwitch(
                items
                    .into_iter()
                    .map(|i| {
                        let id = i.id.clone();
                        put(&mut l.priority_switches, &id, i, dup);
                        IdReply {
                            code: 0,
                            id: Some(id),
                            message: ok(),
                        }
                    })
                    .collect(),
            ),
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
        let rep = match envelope::decode_reply_fast(command, data) {
            Some((rep, _, _)) => Some(rep),
            None => envelope::decode(
                command,
                Direction::Reply,
                data,
                self.cfg.algo,
                self.cfg.mode,
            )
            .typed_reply()
            .and_then(Result::ok),
        };
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
