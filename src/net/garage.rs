//! A simulated garage against a real platform (`parksim garage connect`).
//!
//! The garage's day comes from the simulator ([`crate::sim::run::garage_tape`]):
//! every request its garage sent, with the simulated time of its event.
//! This client maps simulated time to wall time (`speed` simulated
//! seconds per wall second), logs in, sends 3001/3002/3005, then each
//! report when its time comes, and answers downlinks (4001, 4002, 6001,
//! 6002) through a booking [`Engine`] built from the scenario's garage.
//!
//! # Delivery
//! A record counts as delivered when the platform's reply (same packetNo,
//! TCP; the HTTP response) says `resultCode` 0. Until then it is kept: a
//! broken connection (read error, 3 heartbeats unanswered, no reply in
//! `ack_timeout`) puts every unanswered record in the backlog; after
//! reconnecting and logging in again, real-time records go first and the
//! backlog when nothing real-time is waiting (7.3). The platform keeps a
//! record once per id, so a record answered but not seen as answered is
//! resent harmlessly.
//!
//! Limitation: the engine that answers downlinks starts empty: it does
//! not replay the tape's vehicles, so its answers reflect the garage's
//! configuration (stalls, reservable stalls, bookings made over this
//! connection), not the tape's occupancy.

use super::client::{HttpConn, Url};
use super::{AccountEntry, NetError, Timers, tls};
use crate::engine::{Command as Cmd, Engine, Reply as ERe};
use crate::proto::codec::FrameDecoder;
use crate::proto::frame::{Direction, next_packet_no};
use crate::proto::messages::{
    BookConfirmReply, BookReply, CouponReply, IdReply, LoginRequest, Reply, Request,
    TcpLoginRequest,
};
use crate::proto::time::DateTime;
use crate::proto::{Mode, ResultCode, SignAlgo, envelope};
use crate::sim::kernel::SimTime;
use crate::sim::run::{DAY0, GarageTape};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

/// Where the platform is.
#[derive(Debug, Clone)]
pub enum Target {
    /// SZTC frames to `host:port`.
    Tcp(String),
    /// `POST {url}/1.0/{code}` (e.g. `https://host:8443/api`).
    Http(Url),
}

/// How the garage client runs.
#[derive(Clone)]
pub struct GarageConfig {
    pub target: Target,
    /// TLS, trusting these roots (TCP: always TLS when set; HTTP: for https URLs).
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Name the platform's certificate must carry (TCP; default: the host of the address).
    pub server_name: Option<String>,
    pub account: AccountEntry,
    pub timers: Timers,
    /// Simulated seconds per wall second (1.0: real time).
    pub speed: f64,
    /// Pause before reconnecting.
    pub reconnect_delay: Duration,
    /// Requests sent and not yet answered, at most.
    pub window: usize,
    /// A request unanswered this long means the connection is broken.
    pub ack_timeout: Duration,
    /// Give up after this long (None: never).
    pub deadline: Option<Duration>,
}

impl GarageConfig {
    pub fn new(target: Target, account: AccountEntry) -> GarageConfig {
        GarageConfig {
            target,
            tls: None,
            server_name: None,
            account,
            timers: Timers::default(),
            speed: 1.0,
            reconnect_delay: Duration::from_secs(1),
            window: 32,
            ack_timeout: Duration::from_secs(30),
            deadline: None,
        }
    }
}

/// What a garage run did.
#[derive(Debug, Clone, Default)]
pub struct GarageReport {
    /// Records on the tape (garage info included).
    pub records: u64,
    /// Records the platform acknowledged (resultCode 0).
    pub acked: u64,
    /// Records the platform answered with another code (not resent).
    pub refused: u64,
    /// Request frames sent, resends and heartbeats included.
    pub frames_sent: u64,
    /// Records sent again after a broken connection.
    pub resent: u64,
    pub connections: u64,
    pub heartbeats: u64,
    pub downlinks_answered: u64,
    /// Wall time from send to reply of each acknowledged record [µs].
    pub latencies_us: Vec<u64>,
    pub wall: Duration,
    /// False when the deadline came first.
    pub complete: bool,
}

impl GarageReport {
    /// The p-th percentile (0–100) of the reply latency [µs].
    pub fn latency_percentile(&self, p: f64) -> u64 {
        percentile(&self.latencies_us, p)
    }
}

/// The p-th percentile (nearest rank) of `v` (unsorted).
pub fn percentile(v: &[u64], p: f64) -> u64 {
    if v.is_empty() {
        return 0;
    }
    let mut s = v.to_vec();
    s.sort_unstable();
    let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
    s[rank.clamp(1, s.len()) - 1]
}

/// Why a connection ended.
enum End {
    /// Everything delivered; logged out.
    Done,
    /// Try again.
    Broken(String),
    /// Do not try again (login refused).
    Fatal(String),
}

struct Item {
    req: Request,
    at: SimTime,
}

/// The client's delivery state across connections.
struct Garage {
    cfg: GarageConfig,
    items: Vec<Item>,
    /// Items with an event time ≤ now have been released: `released` is the
    /// first that has not.
    released: usize,
    realtime: VecDeque<usize>,
    backlog: VecDeque<usize>,
    done: Vec<bool>,
    n_done: usize,
    sent_once: Vec<bool>,
    engine: Engine,
    start: Instant,
    next_packet: u32,
    report: GarageReport,
}

impl Garage {
    fn new(cfg: GarageConfig, tape: GarageTape) -> Result<Garage, NetError> {
        let mut items: Vec<Item> = tape
            .info
            .into_iter()
            .map(|req| Item {
                req,
                at: SimTime(0),
            })
            .collect();
        items.extend(tape.events.into_iter().map(|(at, req)| Item { req, at }));
        let engine =
            Engine::new(tape.engine, DAY0).map_err(|e| NetError(format!("garage engine: {e}")))?;
        let n = items.len();
        Ok(Garage {
            cfg,
            items,
            released: 0,
            realtime: VecDeque::new(),
            backlog: VecDeque::new(),
            done: vec![false; n],
            n_done: 0,
            sent_once: vec![false; n],
            engine,
            start: Instant::now(),
            next_packet: 0,
            report: GarageReport {
                records: n as u64,
                ..GarageReport::default()
            },
        })
    }

    /// Simulated time now [ms].
    fn sim_now(&self) -> SimTime {
        let wall = self.start.elapsed().as_secs_f64();
        SimTime((wall * self.cfg.speed * 1000.0) as i64)
    }

    /// The account's sign algorithm (`sign` in the accounts file), else
    /// the transport's default.
    fn cfg_algo(&self, default: SignAlgo) -> SignAlgo {
        self.cfg
            .account
            .sign_algo()
            .ok()
            .flatten()
            .unwrap_or(default)
    }

    fn sim_dt(&self) -> DateTime {
        DateTime(DAY0.0 + self.sim_now().secs())
    }

    /// The wall instant at which simulated time `t` comes.
    fn wall_of(&self, t: SimTime) -> Instant {
        let secs = t.0 as f64 / 1000.0 / self.cfg.speed.max(1e-9);
        self.start + Duration::from_secs_f64(secs.min(1e9))
    }

    /// Releases the items whose time has come into `realtime`
    /// (or, while disconnected, into the backlog).
    fn release(&mut self, connected: bool) {
        let now = self.sim_now();
        while self.released < self.items.len() && self.items[self.released].at <= now {
            if connected {
                self.realtime.push_back(self.released);
            } else {
                self.backlog.push_back(self.released);
            }
            self.released += 1;
        }
    }

    fn all_done(&self) -> bool {
        self.n_done == self.items.len()
    }

    fn finish(&mut self, i: usize, ok: bool, sent: Instant) {
        if self.done[i] {
            return;
        }
        self.done[i] = true;
        self.n_done += 1;
        if ok {
            self.report.acked += 1;
            self.report
                .latencies_us
                .push(sent.elapsed().as_micros() as u64);
        } else {
            self.report.refused += 1;
        }
    }

    /// The next item to send: real-time first, the backlog when idle.
    fn next_item(&mut self) -> Option<usize> {
        while let Some(i) = self.realtime.pop_front() {
            if !self.done[i] {
                return Some(i);
            }
        }
        while let Some(i) = self.backlog.pop_front() {
            if !self.done[i] {
                return Some(i);
            }
        }
        None
    }

    fn mark_sent(&mut self, i: usize) {
        if self.sent_once[i] {
            self.report.resent += 1;
        }
        self.sent_once[i] = true;
        self.report.frames_sent += 1;
    }

    /// Items in flight go back to the backlog, in tape order, ahead of it.
    fn requeue(&mut self, mut inflight: Vec<usize>) {
        inflight.sort_unstable();
        for i in inflight.into_iter().rev() {
            self.backlog.push_front(i);
        }
        // Real-time items not yet sent wait in the backlog too.
        let rt: Vec<usize> = self.realtime.drain(..).collect();
        self.backlog.extend(rt);
    }

    fn packet(&mut self) -> u32 {
        self.next_packet = next_packet_no(self.next_packet);
        self.next_packet
    }

    fn password(&self) -> Result<String, NetError> {
        Ok(self.cfg.account.des()?.encrypt(&self.cfg.account.password))
    }

    /// A downlink through the booking engine; the protocol reply.
    fn downlink(&mut self, req: Request) -> Option<Reply> {
        let now = self.sim_dt();
        self.report.downlinks_answered += 1;
        let e = &mut self.engine;
        let out = match req {
            Request::Book(items) => Some(Reply::Book(
                items
                    .into_iter()
                    .map(|b| {
                        let code = b.book_code.clone();
                        match e.handle(now, Cmd::Book(b)) {
                            Ok(ERe::Book(r)) => r,
                            other => BookReply {
                                bluetooth_address: None,
                                book_code: code,
                                code: biz(&other),
                                message: "refused".into(),
                                rest_reserved_stalls: None,
                                stall_no: None,
                            },
                        }
                    })
                    .collect(),
            )),
            Request::BookConfirm(items) => Some(Reply::BookConfirm(
                items
                    .into_iter()
                    .map(|c| {
                        let code = c.book_code.clone();
                        match e.handle(now, Cmd::BookConfirm(c)) {
                            Ok(ERe::BookConfirm(r)) => r,
                            other => BookConfirmReply {
                                book_code: code,
                                code: biz(&other),
                                message: "refused".into(),
                            },
                        }
                    })
                    .collect(),
            )),
            Request::Coupon(items) => Some(Reply::Coupon(
                items
                    .into_iter()
                    .map(|c| {
                        let no = c.coupon_no.clone();
                        match e.handle(now, Cmd::Coupon(c)) {
                            Ok(ERe::Coupon(r)) => r,
                            other => CouponReply {
                                code: biz(&other),
                                coupon_no: no,
                                message: Some("refused".into()),
                            },
                        }
                    })
                    .collect(),
            )),
            Request::ControlList(items) => Some(Reply::ControlList(
                items
                    .into_iter()
                    .map(|c| match e.handle(now, Cmd::ControlList(c)) {
                        Ok(ERe::ControlList(r)) => r,
                        other => IdReply {
                            code: biz(&other),
                            id: None,
                            message: Some("refused".into()),
                        },
                    })
                    .collect(),
            )),
            _ => None,
        };
        // The engine's own reports (space counts after a booking) are
        // not sent: the tape carries the garage's reports.
        while self.engine.poll().is_some() {}
        out
    }
}

fn biz(r: &Result<ERe, crate::engine::EngineError>) -> i64 {
    match r {
        Err(e) => e.biz_code().code(),
        Ok(_) => crate::proto::BizCode::Other.code(),
    }
}

/// Runs the garage of `tape` against the platform until every record is
/// acknowledged (then logs out), or until the deadline.
pub async fn run(cfg: GarageConfig, tape: GarageTape) -> Result<GarageReport, NetError> {
    let mut g = Garage::new(cfg, tape)?;
    let deadline = g.cfg.deadline.map(|d| g.start + d);
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        g.report.connections += 1;
        let end = match g.cfg.target.clone() {
            Target::Tcp(addr) => tcp_session(&mut g, &addr, deadline).await,
            Target::Http(url) => http_session(&mut g, &url, deadline).await,
        };
        match end {
            End::Done => {
                g.report.complete = true;
                break;
            }
            End::Fatal(e) => return Err(NetError(e)),
            End::Broken(why) => {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    break;
                }
                eprintln!("parksim garage: connection lost ({why}); reconnecting");
                tokio::time::sleep(g.cfg.reconnect_delay).await;
                g.release(false);
            }
        }
    }
    g.report.wall = g.start.elapsed();
    Ok(g.report)
}

fn first_code(d: &envelope::Decoded) -> Option<i64> {
    let c = d.body.get("data")?.get(0)?.get("code")?;
    c.as_i64()
        .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
}

fn deadline_reached(d: Option<Instant>) -> bool {
    d.is_some_and(|d| Instant::now() >= d)
}

async fn tcp_session(g: &mut Garage, addr: &str, deadline: Option<Instant>) -> End {
    let t = g.cfg.timers;
    let host = addr
        .rsplit_once(':')
        .map_or(addr, |(h, _)| h)
        .trim_matches(['[', ']']);
    let name = g
        .cfg
        .server_name
        .clone()
        .unwrap_or_else(|| host.to_string());
    let tlscfg = g.cfg.tls.clone();
    let connect = tls::connect(addr, tlscfg.as_ref().map(|c| (c, name.as_str())));
    let stream = match tokio::time::timeout(t.heartbeat * 3, connect).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return End::Broken(e.0),
        Err(_) => return End::Broken(format!("connect {addr}: timed out")),
    };
    let (mut rd, mut wr) = tokio::io::split(stream);
    let mut dec = FrameDecoder::new();
    let mut buf = vec![0u8; 64 * 1024];
    // SHA1 over TCP unless the account says otherwise.
    let algo = g.cfg_algo(SignAlgo::Sha1);

    // 1004 first.
    let password = match g.password() {
        Ok(p) => p,
        Err(e) => return End::Fatal(e.0),
    };
    let login = Request::LoginTcp(vec![TcpLoginRequest {
        password,
        user_id: g.cfg.account.user_id.clone(),
    }]);
    let login_no = g.packet();
    // A login is stamped with the wall clock: the platform refuses (strict)
    // or reports logins far from its own clock (replay).
    let ts = super::wall_secs();
    if wr
        .write_all(&envelope::request_frame(&login, login_no, ts, algo))
        .await
        .is_err()
    {
        return End::Broken("write failed".into());
    }
    g.report.frames_sent += 1;
    let login_by = Instant::now() + t.heartbeat * (t.heartbeat_retries + 1);
    let mut logged_in = false;

    // packetNo → (item, sent at)
    let mut inflight: HashMap<u32, (usize, Instant)> = HashMap::new();
    let mut hb_outstanding: Vec<u32> = Vec::new();
    let mut hb_sent_at = Instant::now();
    let mut hb_tries = 0u32;
    let mut next_hb = Instant::now() + t.heartbeat;
    let mut logout_no: Option<u32> = None;

    let broken = |g: &mut Garage, inflight: &HashMap<u32, (usize, Instant)>, why: String| {
        g.requeue(inflight.values().map(|(i, _)| *i).collect());
        End::Broken(why)
    };

    loop {
        if deadline_reached(deadline) {
            return broken(g, &inflight, "deadline".into());
        }
        let now = Instant::now();
        if logged_in {
            g.release(true);
            // Send while the window allows.
            let mut out = Vec::new();
            while inflight.len() < g.cfg.window.max(1) && logout_no.is_none() {
                let Some(i) = g.next_item() else { break };
                let pno = g.packet();
                let ts = DAY0.0 + g.items[i].at.secs();
                out.extend_from_slice(&envelope::request_frame(&g.items[i].req, pno, ts, algo));
                inflight.insert(pno, (i, Instant::now()));
                g.mark_sent(i);
            }
            // Heartbeats: every `heartbeat`; unanswered for `heartbeat`,
            // sent again, `heartbeat_retries` times, then the link is dead.
            if !hb_outstanding.is_empty() && now >= hb_sent_at + t.heartbeat {
                if hb_tries >= t.heartbeat_retries {
                    return broken(g, &inflight, "heartbeat unanswered".into());
                }
                hb_tries += 1;
                next_hb = now; // resend now
            }
            if now >= next_hb {
                let pno = g.packet();
                let hb = Request::Heartbeat(vec![]);
                out.extend_from_slice(&envelope::request_frame(&hb, pno, g.sim_dt().0, algo));
                if hb_outstanding.is_empty() {
                    hb_tries = 0;
                }
                hb_outstanding.push(pno);
                hb_sent_at = now;
                next_hb = now + t.heartbeat;
                g.report.heartbeats += 1;
                g.report.frames_sent += 1;
            }
            if g.all_done() && inflight.is_empty() && logout_no.is_none() {
                let pno = g.packet();
                let bye = Request::LogoutTcp(vec![]);
                out.extend_from_slice(&envelope::request_frame(&bye, pno, g.sim_dt().0, algo));
                g.report.frames_sent += 1;
                logout_no = Some(pno);
            }
            if !out.is_empty() && (wr.write_all(&out).await.is_err() || wr.flush().await.is_err()) {
                return broken(g, &inflight, "write failed".into());
            }
            if let Some(oldest) = inflight.values().map(|(_, s)| *s).min()
                && oldest.elapsed() > g.cfg.ack_timeout
            {
                return broken(g, &inflight, "no reply in time".into());
            }
        } else if now >= login_by {
            return End::Broken("no answer to login (1004)".into());
        }
        // Wake for the next due item, the heartbeat, or bytes.
        let mut wake = next_hb.min(now + Duration::from_millis(200));
        if !hb_outstanding.is_empty() {
            wake = wake.min(hb_sent_at + t.heartbeat);
        }
        if !logged_in {
            wake = wake.min(login_by);
        }
        if g.released < g.items.len() {
            wake = wake.min(g.wall_of(g.items[g.released].at));
        }
        if let Some(d) = deadline {
            wake = wake.min(d);
        }
        let wake = wake.max(now + Duration::from_millis(1));
        tokio::select! {
            r = rd.read(&mut buf) => {
                let n = match r {
                    Ok(0) => return broken(g, &inflight, "closed by the platform".into()),
                    Err(e) => return broken(g, &inflight, e.to_string()),
                    Ok(n) => n,
                };
                dec.feed(&buf[..n]);
                let mut replies = Vec::new();
                loop {
                    let f = match dec.decode() {
                        Ok(Some(f)) => f,
                        Ok(None) => break,
                        Err(_) => continue,
                    };
                    let d = envelope::decode(f.command, f.direction, &f.data, algo, Mode::Lenient);
                    if f.direction == Direction::Reply {
                        if f.packet_no == login_no && !logged_in {
                            match first_code(&d) {
                                Some(0) if d.accepted() => logged_in = true,
                                Some(c) => return End::Fatal(format!("login (1004) refused with code {c}")),
                                None => return End::Fatal("login (1004) refused".into()),
                            }
                        } else if hb_outstanding.contains(&f.packet_no) {
                            hb_outstanding.clear();
                            hb_tries = 0;
                        } else if Some(f.packet_no) == logout_no {
                            return End::Done;
                        } else if let Some((i, sent)) = inflight.remove(&f.packet_no) {
                            let ok = d.accepted() && d.result_code == Some(ResultCode::Ok.code());
                            g.finish(i, ok, sent);
                        }
                        continue;
                    }
                    // A downlink.
                    let rep = match d.typed_request() {
                        Some(Ok(req)) if d.accepted() => g.downlink(req),
                        _ => None,
                    };
                    if let Some(rep) = rep {
                        replies.extend_from_slice(&envelope::reply_frame(
                            &rep,
                            ResultCode::Ok,
                            f.packet_no,
                            g.sim_dt().0,
                        ));
                    }
                }
                if !replies.is_empty()
                    && (wr.write_all(&replies).await.is_err() || wr.flush().await.is_err())
                {
                    return broken(g, &inflight, "write failed".into());
                }
            }
            _ = tokio::time::sleep_until(wake) => {}
        }
    }
}

async fn http_session(g: &mut Garage, url: &Url, deadline: Option<Instant>) -> End {
    let timeout = g.cfg.ack_timeout;
    let mut conn = match HttpConn::open(url, g.cfg.tls.as_ref(), timeout).await {
        Ok(c) => c,
        Err(e) => return End::Broken(e.0),
    };
    // 7.1.4.1.2: HTTPS signs with MD5 unless the account says otherwise.
    let algo = g.cfg_algo(SignAlgo::Md5);
    let path = |code: u16| format!("{}/1.0/{code}", url.base);
    // 1001 login.
    let password = match g.password() {
        Ok(p) => p,
        Err(e) => return End::Fatal(e.0),
    };
    let login = Request::LoginHttp(vec![LoginRequest {
        callback_server: None,
        online_order_url: None,
        password,
        user_id: g.cfg.account.user_id.clone(),
    }]);
    let body = envelope::request_body(&login.data_json(), super::wall_secs(), algo);
    g.report.frames_sent += 1;
    let token = match conn.request("POST", &path(1001), None, body).await {
        Ok((200, b)) => {
            let d = envelope::decode(1001, Direction::Reply, &b, algo, Mode::Lenient);
            let tok = d
                .body
                .get("data")
                .and_then(|v| v.get(0))
                .and_then(|v| v.get("accessToken"))
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            match first_code(&d) {
                Some(0) if !tok.is_empty() => tok,
                Some(c) => return End::Fatal(format!("login (1001) refused with code {c}")),
                None => return End::Fatal("login (1001) refused".into()),
            }
        }
        Ok((s, _)) => return End::Fatal(format!("login (1001): HTTP {s}")),
        Err(e) => return End::Broken(e.0),
    };
    let auth = format!("Bearer {token}");
    loop {
        if deadline_reached(deadline) {
            return End::Broken("deadline".into());
        }
        g.release(true);
        let Some(i) = g.next_item() else {
            if g.all_done() {
                let bye = Request::LogoutHttp(vec![crate::proto::messages::LogoutRequest {
                    access_token: token.clone(),
                }]);
                let body = envelope::request_body(&bye.data_json(), g.sim_dt().0, algo);
                g.report.frames_sent += 1;
                // 1003 needs the token it revokes.
                let _ = conn
                    .request("POST", &path(1003), Some(auth.as_str()), body)
                    .await;
                return End::Done;
            }
            // Nothing due: sleep until the next item's time (at most 200 ms).
            let mut wake = Instant::now() + Duration::from_millis(200);
            if g.released < g.items.len() {
                wake = wake.min(g.wall_of(g.items[g.released].at));
            }
            tokio::time::sleep_until(wake.max(Instant::now() + Duration::from_millis(1))).await;
            continue;
        };
        let req = &g.items[i].req;
        let body = envelope::request_body(&req.data_json(), DAY0.0 + g.items[i].at.secs(), algo);
        let code = req.command().code();
        g.mark_sent(i);
        let sent = Instant::now();
        match conn.request("POST", &path(code), Some(&auth), body).await {
            Ok((200, b)) => {
                let d = envelope::decode(code, Direction::Reply, &b, algo, Mode::Lenient);
                if first_code(&d) == Some(crate::proto::BizCode::BadToken.code()) {
                    g.requeue(vec![i]);
                    return End::Broken("access token refused (3002); logging in again".into());
                }
                let ok = d.accepted() && d.result_code == Some(0);
                g.finish(i, ok, sent);
            }
            Ok((401, _)) => {
                g.requeue(vec![i]);
                return End::Broken("access token refused (401); logging in again".into());
            }
            Ok((s, _)) if s >= 500 => {
                g.requeue(vec![i]);
                return End::Broken(format!("HTTP {s}"));
            }
            Ok((_, b)) => {
                let _ = b;
                g.finish(i, false, sent);
            }
            Err(e) => {
                g.requeue(vec![i]);
                return End::Broken(e.0);
            }
        }
    }
}
