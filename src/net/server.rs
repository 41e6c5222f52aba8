//! The platform server: SZTC frames over TCP (7.1.4.1.3) and
//! `POST /api/{version}/{code}` over HTTP (7.1.4.1.2), both optionally in
//! TLS, in front of the sans-IO [`Platform`].
//!
//! Each TCP connection drives its own `Platform` (its login, its stream
//! decoder, its downlinks waiting for replies); HTTP requests share one
//! (its token store). After every call the platform's ledger is taken,
//! persisted in the [`Store`], and only then are the replies written.
//!
//! Besides the protocol, the HTTP listener (or a separate admin listener)
//! answers `GET /status` and `POST /admin/downlink`, with `Authorization:
//! Bearer <admin token>` (loopback peers without it only when
//! `admin_loopback` is set): see docs/NETWORK.md.
//!
//! Limits (docs/NETWORK.md, "Security"): a cap on open connections; a TCP
//! connection must log in within `login_timeout` of opening (not restarted
//! by bytes), sends frames of at most `prelogin_max_len` bytes until then,
//! and is closed after `stream_error_budget` bad stretches; an HTTP call's
//! token is checked before its body is read, and the body must arrive
//! within `body_timeout`. `/status` is built from counters kept in memory.

use super::store::{Persisted, Store, rows_of};
use super::{AccountEntry, NetError, Timers, wall_secs};
use crate::platform::{Ledger, Platform, PlatformConfig, PlatformStats, Policy};
use crate::proto::messages::Request;
use crate::proto::{BizCode, Command, Mode, ResultCode, SignAlgo, envelope};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, StatusCode};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};

/// 10 MiB: the largest request body (7.1.4.1.1 g).
pub const MAX_BODY: usize = 10 * 1024 * 1024;

/// How the server is set up.
#[derive(Clone)]
pub struct ServerConfig {
    /// SZTC listener (None: no TCP).
    pub tcp: Option<SocketAddr>,
    /// HTTP listener: the protocol, `/status`, `/admin/*` (None: no HTTP).
    pub http: Option<SocketAddr>,
    /// TLS on both listeners.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub accounts: Vec<AccountEntry>,
    /// Strict reading: deviations from the tables are errors.
    pub strict: bool,
    pub timers: Timers,
    /// Largest HTTP body accepted [B].
    pub max_body: usize,
    /// Access token lifetime [s].
    pub token_ttl: i64,
    /// Token required for `/status` and `/admin/*` (None: nobody, unless
    /// `admin_loopback`).
    pub admin_token: Option<String>,
    /// Loopback peers may use `/status` and `/admin/*` without the token.
    pub admin_loopback: bool,
    /// A separate listener for `/status` and `/admin/*`; when set, the
    /// HTTP listener serves only the protocol.
    pub admin: Option<SocketAddr>,
    /// Connections open at once, all listeners together; more are
    /// refused (closed at once) with a log line.
    pub max_connections: usize,
    /// A TCP connection must have logged in (1004) this long after it
    /// opened; bytes do not restart it.
    pub login_timeout: Duration,
    /// An HTTP request body must have arrived this long after its headers.
    pub body_timeout: Duration,
    /// Largest SZTC frame data before login [B].
    pub prelogin_max_len: usize,
    /// Bad stretches of the byte stream a TCP connection may send before
    /// it is closed.
    pub stream_error_budget: u64,
    /// Largest distance of a login's envelope timestamp from the wall
    /// clock [s] (None: unchecked). Lenient: counted; strict: refused.
    pub login_window: Option<i64>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            tcp: None,
            http: None,
            tls: None,
            accounts: Vec::new(),
            strict: false,
            timers: Timers::default(),
            max_body: MAX_BODY,
            token_ttl: 7200,
            admin_token: None,
            admin_loopback: false,
            admin: None,
            max_connections: 1024,
            login_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            prelogin_max_len: Policy::default().prelogin_max_len,
            stream_error_budget: Policy::default().stream_error_budget,
            login_window: Policy::default().login_window,
        }
    }
}

/// A downlink for a connected garage, and where to send its reply.
struct Downlink {
    req: Request,
    reply: Option<oneshot::Sender<Value>>,
}

/// A connected garage, as `/status` shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GarageStatus {
    /// None until it logged in.
    pub user_id: Option<String>,
    /// `tcp`, `tcp+tls`.
    pub transport: String,
    pub peer: String,
    /// Connected since [s since 1970].
    pub since: i64,
}

/// What `GET /status` returns.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Status {
    /// TCP connections open now.
    pub garages: Vec<GarageStatus>,
    /// Rows held, by account and interface (`"5004"`; replies to
    /// downlinks as `"6001r"`).
    pub records: BTreeMap<String, BTreeMap<String, u64>>,
    /// The latest space count (5003) by account and parkCode.
    pub space: BTreeMap<String, BTreeMap<String, Value>>,
    /// Records received again (resent ids) since start.
    pub duplicates: u64,
    /// Rejections by code (result code for envelopes, business code for items).
    pub rejects_by_code: BTreeMap<i64, u64>,
    pub frames_received: u64,
    pub frames_verified: u64,
    pub frames_rejected: u64,
    /// Bad stretches of TCP streams (bad magic, CRC, oversized length).
    pub stream_errors: u64,
    pub downlinks_sent: u64,
    pub downlink_replies: u64,
    pub unmatched_replies: u64,
    /// TCP connections accepted since start.
    pub connections: u64,
    /// TCP clients dropped for silence.
    pub timeouts: u64,
    /// HTTP bodies refused for size.
    pub oversized_bodies: u64,
    /// HTTP bodies that did not arrive within the body timeout.
    pub slow_bodies: u64,
    /// Connections refused because the cap was reached.
    pub refused_connections: u64,
    /// TCP connections closed for not logging in in time.
    pub login_timeouts: u64,
    /// TCP connections closed for too many bad stretches (or a reply
    /// frame before login).
    pub closed_for_errors: u64,
    /// Logins whose timestamp lay outside the window.
    pub stale_logins: u64,
    /// Frame headers outside table 14 (version, packetNo).
    pub header_deviations: u64,
}

#[derive(Default)]
struct State {
    garages: BTreeMap<u64, GarageStatus>,
    /// Where to push downlinks for a user: (connection id, channel).
    downlinks: HashMap<String, (u64, mpsc::Sender<Downlink>)>,
    stats: PlatformStats,
    duplicates: u64,
    connections: u64,
    timeouts: u64,
    oversized_bodies: u64,
    slow_bodies: u64,
    refused_connections: u64,
    login_timeouts: u64,
    closed_for_errors: u64,
    next_conn: u64,
    /// Rows held by account and kind (loaded once at start, then kept up
    /// to date after each commit): `/status` never touches the store.
    records: BTreeMap<String, BTreeMap<String, u64>>,
    /// The latest space count by account and parkCode.
    space: BTreeMap<String, BTreeMap<String, Value>>,
    /// When a refused connection was last logged (one line a second).
    last_refusal_log: Option<std::time::Instant>,
}

struct Shared {
    /// TCP: SHA1 unless the account says otherwise.
    platform_cfg: PlatformConfig,
    policy: Policy,
    cfg: ServerConfig,
    store: Arc<Mutex<Box<dyn Store>>>,
    state: Mutex<State>,
    /// HTTP: MD5 unless the account says otherwise (7.1.4.1.2).
    http_platform: Mutex<Platform>,
    /// Connections open now, all listeners.
    open: AtomicUsize,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves counters only: go on.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn merge(into: &mut PlatformStats, s: PlatformStats) {
    into.frames_received += s.frames_received;
    into.frames_verified += s.frames_verified;
    into.frames_rejected += s.frames_rejected;
    into.stream_errors += s.stream_errors;
    into.duplicates += s.duplicates;
    into.downlinks_sent += s.downlinks_sent;
    into.downlink_replies += s.downlink_replies;
    into.unmatched_replies += s.unmatched_replies;
    into.stale_logins += s.stale_logins;
    into.header_deviations += s.header_deviations;
    for (k, v) in s.rejects_by_code {
        *into.rejects_by_code.entry(k).or_insert(0) += v;
    }
}

/// A running platform server; dropping it stops it.
pub struct Server {
    pub tcp_addr: Option<SocketAddr>,
    pub http_addr: Option<SocketAddr>,
    /// The separate admin listener, if configured.
    pub admin_addr: Option<SocketAddr>,
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Server {
    /// Binds the listeners and starts serving (on the current tokio runtime).
    pub async fn start(cfg: ServerConfig, store: Box<dyn Store>) -> Result<Server, NetError> {
        if cfg.tcp.is_none() && cfg.http.is_none() {
            return Err(NetError("give a TCP or an HTTP address (or both)".into()));
        }
        let accounts = cfg
            .accounts
            .iter()
            .map(AccountEntry::account)
            .collect::<Result<Vec<_>, _>>()?;
        let mut policy = Policy {
            prelogin_max_len: cfg.prelogin_max_len,
            stream_error_budget: cfg.stream_error_budget,
            login_window: cfg.login_window,
            ..Policy::default()
        };
        for a in &cfg.accounts {
            policy
                .park_codes
                .insert(a.user_id.clone(), a.park_codes.clone());
            if let Some(algo) = a.sign_algo()? {
                policy.sign.insert(a.user_id.clone(), algo);
            }
        }
        let platform_cfg = PlatformConfig {
            algo: SignAlgo::Sha1,
            mode: if cfg.strict {
                Mode::Strict
            } else {
                Mode::Lenient
            },
            accounts,
            token_secret: rand::random(),
            token_ttl: cfg.token_ttl,
        };
        let http_cfg = PlatformConfig {
            algo: SignAlgo::Md5,
            ..platform_cfg.clone()
        };
        // Counts and space counts once, here; then kept in memory.
        let mut state = State::default();
        for (account, kind, n) in store.counts()? {
            state.records.entry(account).or_default().insert(kind, n);
        }
        for (account, key, body) in store.all_of("5003")? {
            let v = serde_json::from_str(&body).unwrap_or(Value::Null);
            state.space.entry(account).or_default().insert(key, v);
        }
        let shared = Arc::new(Shared {
            http_platform: Mutex::new(Platform::with_policy(http_cfg, policy.clone())),
            platform_cfg,
            policy,
            cfg: cfg.clone(),
            store: Arc::new(Mutex::new(store)),
            state: Mutex::new(state),
            open: AtomicUsize::new(0),
        });
        let mut tasks = Vec::new();
        let mut tcp_addr = None;
        let mut http_addr = None;
        let mut admin_addr = None;
        if let Some(a) = cfg.tcp {
            let l = TcpListener::bind(a)
                .await
                .map_err(|e| NetError(format!("TCP listen on {a}: {e}")))?;
            tcp_addr = Some(l.local_addr()?);
            tasks.push(tokio::spawn(accept_loop(shared.clone(), l, Role::Tcp)));
        }
        if let Some(a) = cfg.http {
            let l = TcpListener::bind(a)
                .await
                .map_err(|e| NetError(format!("HTTP listen on {a}: {e}")))?;
            http_addr = Some(l.local_addr()?);
            tasks.push(tokio::spawn(accept_loop(shared.clone(), l, Role::Http)));
        }
        if let Some(a) = cfg.admin {
            let l = TcpListener::bind(a)
                .await
                .map_err(|e| NetError(format!("admin listen on {a}: {e}")))?;
            admin_addr = Some(l.local_addr()?);
            tasks.push(tokio::spawn(accept_loop(shared.clone(), l, Role::Admin)));
        }
        Ok(Server {
            tcp_addr,
            http_addr,
            admin_addr,
            shared,
            tasks,
        })
    }

    /// Stops listening and drops every connection.
    pub fn shutdown(self) {}

    /// Connected garages, records held, counters.
    pub fn status(&self) -> Result<Status, NetError> {
        status(&self.shared)
    }

    /// Sends a downlink to the garage logged in as `user_id` over TCP and
    /// waits up to `wait` for its reply (None: no reply in time).
    pub async fn downlink(
        &self,
        user_id: &str,
        req: Request,
        wait: Duration,
    ) -> Result<Option<Value>, NetError> {
        downlink(&self.shared, user_id, req, wait).await
    }
}

fn status(shared: &Shared) -> Result<Status, NetError> {
    let st = shared.state();
    Ok(Status {
        garages: st.garages.values().cloned().collect(),
        records: st.records.clone(),
        space: st.space.clone(),
        duplicates: st.duplicates,
        rejects_by_code: st.stats.rejects_by_code.clone(),
        frames_received: st.stats.frames_received,
        frames_verified: st.stats.frames_verified,
        frames_rejected: st.stats.frames_rejected,
        stream_errors: st.stats.stream_errors,
        downlinks_sent: st.stats.downlinks_sent,
        downlink_replies: st.stats.downlink_replies,
        unmatched_replies: st.stats.unmatched_replies,
        connections: st.connections,
        timeouts: st.timeouts,
        oversized_bodies: st.oversized_bodies,
        slow_bodies: st.slow_bodies,
        refused_connections: st.refused_connections,
        login_timeouts: st.login_timeouts,
        closed_for_errors: st.closed_for_errors,
        stale_logins: st.stats.stale_logins,
        header_deviations: st.stats.header_deviations,
    })
}

async fn downlink(
    shared: &Shared,
    user_id: &str,
    req: Request,
    wait: Duration,
) -> Result<Option<Value>, NetError> {
    if !req.command().is_downlink() {
        return Err(NetError(format!("{} is not a downlink", req.command())));
    }
    let tx = shared
        .state()
        .downlinks
        .get(user_id)
        .map(|(_, tx)| tx.clone())
        .ok_or_else(|| NetError(format!("{user_id} is not connected over TCP")))?;
    let (rtx, rrx) = oneshot::channel();
    tx.send(Downlink {
        req,
        reply: Some(rtx),
    })
    .await
    .map_err(|_| NetError(format!("{user_id} disconnected")))?;
    match tokio::time::timeout(wait, rrx).await {
        Ok(Ok(v)) => Ok(Some(v)),
        _ => Ok(None),
    }
}

/// Stores what a call recorded; the caller writes the answer only on Ok.
async fn persist(
    shared: &Arc<Shared>,
    account: &str,
    ledger: &Ledger,
) -> Result<Persisted, NetError> {
    let rows = rows_of(ledger);
    if rows.is_empty() {
        return Ok(Persisted::default());
    }
    let store = shared.store.clone();
    let who = account.to_string();
    let space_key = ledger.space.as_ref().map(|(_, s)| s.park_code.clone());
    let (p, space) = tokio::task::spawn_blocking(move || {
        let mut s = store.lock().unwrap_or_else(|e| e.into_inner());
        let p = s.persist(&who, &rows, wall_secs())?;
        // The space count the store kept (the latest by timestamp).
        let space = match space_key {
            Some(k) => s.get(&who, "5003", &k)?.map(|b| (k, b)),
            None => None,
        };
        Ok::<_, NetError>((p, space))
    })
    .await
    .map_err(|e| NetError(format!("store task: {e}")))??;
    let mut st = shared.state();
    st.duplicates += p.duplicates;
    if !p.inserted.is_empty() {
        let acc = st.records.entry(account.to_string()).or_default();
        for (k, n) in &p.inserted {
            *acc.entry(k.clone()).or_insert(0) += n;
        }
    }
    if let Some((key, body)) = space {
        let v = serde_json::from_str(&body).unwrap_or(Value::Null);
        st.space
            .entry(account.to_string())
            .or_default()
            .insert(key, v);
    }
    drop(st);
    Ok(p)
}

/// Which listener a connection came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Tcp,
    Http,
    Admin,
}

/// Counts an open connection; uncounts it when dropped.
struct OpenGuard(Arc<Shared>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener, role: Role) {
    // Connections live in this set: aborting the loop drops them all.
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            r = listener.accept() => {
                let Ok((tcp, peer)) = r else {
                    // Out of descriptors and the like: pause, go on.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let max = shared.cfg.max_connections;
                if shared.open.load(Ordering::Relaxed) >= max {
                    refuse_connection(&shared, peer, max);
                    drop(tcp);
                    continue;
                }
                shared.open.fetch_add(1, Ordering::Relaxed);
                let guard = OpenGuard(shared.clone());
                let _ = tcp.set_nodelay(true);
                let shared = shared.clone();
                conns.spawn(async move {
                    let _guard = guard;
                    match shared.cfg.tls.clone() {
                        Some(tls) => {
                            let acc = tokio_rustls::TlsAcceptor::from(tls);
                            let hs = tokio::time::timeout(Duration::from_secs(10), acc.accept(tcp)).await;
                            let Ok(Ok(s)) = hs else { return };
                            serve(shared, s, peer, role, true).await;
                        }
                        None => serve(shared, tcp, peer, role, false).await,
                    }
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

/// Counts a connection refused at the cap; logs at most one line a second.
fn refuse_connection(shared: &Shared, peer: SocketAddr, max: usize) {
    let mut st = shared.state();
    st.refused_connections += 1;
    let now = std::time::Instant::now();
    if st
        .last_refusal_log
        .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1))
    {
        st.last_refusal_log = Some(now);
        eprintln!(
            "parksim platform: refusing connection from {peer}: {max} connections open \
             (the cap, --max-connections); {} refused since start",
            st.refused_connections
        );
    }
}

async fn serve<S>(shared: Arc<Shared>, s: S, peer: SocketAddr, role: Role, tls: bool)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    match role {
        Role::Tcp => serve_tcp(shared, s, peer, tls).await,
        Role::Http | Role::Admin => serve_http(shared, s, peer, role).await,
    }
}

// ---------------------------------------------------------------- TCP

struct Waiter {
    cmd: Command,
    key: Option<String>,
    tx: oneshot::Sender<Value>,
}

fn waiter_key(req: &Request) -> Option<String> {
    match req {
        Request::Book(v) => v.first().map(|b| b.book_code.clone()),
        Request::BookConfirm(v) => v.first().map(|b| b.book_code.clone()),
        Request::Coupon(v) => v.first().map(|c| c.coupon_no.clone()),
        _ => None,
    }
}

fn answer_waiters(waiters: &mut Vec<Waiter>, l: &Ledger) {
    let mut found: Vec<(Command, Option<String>, Value)> = Vec::new();
    for (k, v) in &l.book_replies {
        found.push((Command::Book, Some(k.clone()), j(v)));
    }
    for (k, v) in &l.confirm_replies {
        found.push((Command::BookConfirm, Some(k.clone()), j(v)));
    }
    for (k, v) in &l.coupon_replies {
        found.push((Command::Coupon, Some(k.clone()), j(v)));
    }
    for v in &l.control_replies {
        found.push((Command::ControlList, None, j(v)));
    }
    for (cmd, key, v) in found {
        if let Some(i) = waiters
            .iter()
            .position(|w| w.cmd == cmd && (w.key.is_none() || w.key == key))
        {
            let w = waiters.swap_remove(i);
            let _ = w.tx.send(v);
        }
    }
    waiters.retain(|w| !w.tx.is_closed());
}

/// Counts 3001 answers to 1004 (the platform counts other rejects itself).
fn count_login_refusals(stats: &mut PlatformStats, replies: &[Vec<u8>]) {
    for r in replies {
        if r.get(15..17) != Some(&1004u16.to_be_bytes()[..]) {
            continue;
        }
        let data = r.get(17..r.len().saturating_sub(2)).unwrap_or_default();
        if item_code(data) == Some(crate::proto::BizCode::BadCredentials.code()) {
            *stats.rejects_by_code.entry(3001).or_insert(0) += 1;
        }
    }
}

/// `data[0].code` of a reply envelope.
fn item_code(body: &[u8]) -> Option<i64> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let c = v.get("data")?.get(0)?.get("code")?;
    c.as_i64().or_else(|| c.as_str()?.parse().ok())
}

fn j<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

async fn serve_tcp<S>(shared: Arc<Shared>, s: S, peer: SocketAddr, tls: bool)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let conn_id = {
        let mut st = shared.state();
        st.next_conn += 1;
        st.connections += 1;
        let id = st.next_conn;
        st.garages.insert(
            id,
            GarageStatus {
                user_id: None,
                transport: if tls { "tcp+tls" } else { "tcp" }.into(),
                peer: peer.to_string(),
                since: wall_secs(),
            },
        );
        id
    };
    let idle = shared.cfg.timers.idle;
    let login_required = !shared.platform_cfg.accounts.is_empty();
    let (mut rd, mut wr) = tokio::io::split(s);
    let mut platform = Platform::with_policy(shared.platform_cfg.clone(), shared.policy.clone());
    let (tx, mut rx) = mpsc::channel::<Downlink>(64);
    let mut buf = vec![0u8; 64 * 1024];
    let opened = tokio::time::Instant::now();
    let mut deadline = opened + idle;
    // Not restarted by bytes: a connection that never logs in is closed.
    let login_deadline = opened + shared.cfg.login_timeout;
    let mut waiters: Vec<Waiter> = Vec::new();
    let mut user: Option<String> = None;
    loop {
        tokio::select! {
            r = rd.read(&mut buf) => {
                let n = match r {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                deadline = tokio::time::Instant::now() + idle;
                let replies = platform.receive(wall_secs(), &buf[..n]);
                let ledger = std::mem::take(&mut platform.ledger);
                let stats = std::mem::take(&mut platform.stats);
                let now_user = platform.logged_in().map(str::to_string);
                let account = now_user.clone().or_else(|| user.clone()).unwrap_or_else(|| "-".into());
                if now_user != user {
                    let mut st = shared.state();
                    if let Some(old) = &user
                        && st.downlinks.get(old).is_some_and(|(c, _)| *c == conn_id)
                    {
                        st.downlinks.remove(old);
                    }
                    if let Some(u) = &now_user {
                        // The newest connection of a user gets its downlinks.
                        st.downlinks.insert(u.clone(), (conn_id, tx.clone()));
                    }
                    if let Some(g) = st.garages.get_mut(&conn_id) {
                        g.user_id = now_user.clone();
                    }
                    user = now_user.clone();
                }
                let persisted = persist(&shared, &account, &ledger).await;
                {
                    let mut st = shared.state();
                    merge(&mut st.stats, stats);
                    count_login_refusals(&mut st.stats, &replies);
                }
                if let Err(e) = persisted {
                    eprintln!("parksim platform: {e}: closing {peer} without acknowledging");
                    break;
                }
                // Stored and counted: now the admin waiting may hear of it.
                answer_waiters(&mut waiters, &ledger);
                let mut failed = false;
                for r in &replies {
                    if wr.write_all(r).await.is_err() {
                        failed = true;
                        break;
                    }
                }
                if failed || wr.flush().await.is_err() {
                    break;
                }
                // Not logged in (a request before 1004, a refused 1004)
                // or logged out (1005): the answer went out, now close.
                if login_required && user.is_none() && !replies.is_empty() {
                    break;
                }
                // Too many bad stretches, a reply before login: close.
                if platform.close_reason().is_some() {
                    shared.state().closed_for_errors += 1;
                    break;
                }
            }
            Some(d) = rx.recv() => {
                let bytes = platform.downlink(wall_secs(), &d.req);
                merge(&mut shared.state().stats, std::mem::take(&mut platform.stats));
                if let Some(tx) = d.reply {
                    waiters.push(Waiter { cmd: d.req.command(), key: waiter_key(&d.req), tx });
                }
                if wr.write_all(&bytes).await.is_err() || wr.flush().await.is_err() {
                    break;
                }
            }
            _ = tokio::time::sleep_until(deadline) => {
                shared.state().timeouts += 1;
                break;
            }
            _ = tokio::time::sleep_until(login_deadline), if login_required && user.is_none() => {
                shared.state().login_timeouts += 1;
                break;
            }
        }
    }
    let _ = wr.shutdown().await;
    let mut st = shared.state();
    st.garages.remove(&conn_id);
    if let Some(u) = &user
        && st.downlinks.get(u).is_some_and(|(c, _)| *c == conn_id)
    {
        st.downlinks.remove(u);
    }
}

// ---------------------------------------------------------------- HTTP

type Resp = hyper::Response<Full<Bytes>>;

fn respond(status: u16, content_type: &str, body: Vec<u8>) -> Resp {
    let mut r = hyper::Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = hyper::header::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

fn envelope_resp(status: u16, code: ResultCode, msg: &str) -> Resp {
    let body = envelope::reply_body(code, msg, wall_secs(), b"[]");
    respond(status, "application/json;charset=UTF-8", body)
}

fn json_resp(status: u16, v: &impl Serialize) -> Resp {
    let body = serde_json::to_vec_pretty(v).unwrap_or_default();
    respond(status, "application/json", body)
}

async fn serve_http<S>(shared: Arc<Shared>, s: S, peer: SocketAddr, role: Role)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |req| {
        let shared = shared.clone();
        async move { Ok::<_, Infallible>(handle(shared, peer, req, role).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10))
        .serve_connection(hyper_util::rt::TokioIo::new(s), svc)
        .await;
}

/// `/status` and `/admin/*` need the admin token; a loopback peer goes
/// without it only when `admin_loopback` is set.
fn admin_ok(shared: &Shared, peer: SocketAddr, req: &hyper::Request<Incoming>) -> bool {
    if shared.cfg.admin_loopback && peer.ip().is_loopback() {
        return true;
    }
    let given = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(crate::platform::bearer_token);
    match (&shared.cfg.admin_token, given) {
        (Some(t), Some(g)) => crate::proto::sign::ct_eq(t.as_bytes(), g.as_bytes()),
        _ => false,
    }
}

/// Why a body was not read.
enum BodyError {
    TooBig,
    Slow,
}

/// The body, at most `max` bytes, within `wait`.
async fn read_body(body: Incoming, max: usize, wait: Duration) -> Result<Bytes, BodyError> {
    match tokio::time::timeout(wait, Limited::new(body, max).collect()).await {
        Ok(Ok(c)) => Ok(c.to_bytes()),
        Ok(Err(_)) => Err(BodyError::TooBig),
        Err(_) => Err(BodyError::Slow),
    }
}

async fn handle(
    shared: Arc<Shared>,
    peer: SocketAddr,
    req: hyper::Request<Incoming>,
    role: Role,
) -> Resp {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let admin_path = path == "/status" || path.starts_with("/admin/");
    // With a separate admin listener, each listener serves its part only.
    let here = match role {
        Role::Admin => admin_path,
        _ => !admin_path || shared.cfg.admin.is_none(),
    };
    if !here {
        return envelope_resp(404, ResultCode::Format, "no such interface");
    }
    if admin_path && !admin_ok(&shared, peer, &req) {
        return json_resp(
            403,
            &serde_json::json!({"error": "admin token required (Authorization: Bearer <admin token>)"}),
        );
    }
    if method == Method::GET && path == "/status" {
        return match status(&shared) {
            Ok(s) => json_resp(200, &s),
            Err(e) => json_resp(500, &serde_json::json!({"error": e.0})),
        };
    }
    if method == Method::POST && path == "/admin/downlink" {
        let body = match read_body(req.into_body(), 1024 * 1024, shared.cfg.body_timeout).await {
            Ok(b) => b,
            Err(BodyError::TooBig) => {
                return json_resp(413, &serde_json::json!({"error": "body over 1 MiB"}));
            }
            Err(BodyError::Slow) => {
                return json_resp(408, &serde_json::json!({"error": "body too slow"}));
            }
        };
        return admin_downlink(&shared, &body).await;
    }
    if path.starts_with("/api/") {
        if method != Method::POST {
            return envelope_resp(405, ResultCode::Format, "POST only");
        }
        return api(shared, req, path).await;
    }
    envelope_resp(404, ResultCode::Format, "no such interface")
}

#[derive(serde::Deserialize)]
struct AdminDownlink {
    user_id: String,
    command: u16,
    data: Vec<Value>,
    #[serde(default = "default_wait")]
    wait_ms: u64,
}

fn default_wait() -> u64 {
    5000
}

async fn admin_downlink(shared: &Shared, body: &[u8]) -> Resp {
    let bad = |m: String| json_resp(400, &serde_json::json!({"error": m}));
    let a: AdminDownlink = match serde_json::from_slice(body) {
        Ok(a) => a,
        Err(e) => return bad(format!("body: {e}")),
    };
    let Some(cmd) = Command::from_code(a.command).filter(|c| c.is_downlink()) else {
        return bad(format!(
            "{} is not a downlink (4001, 4002, 6001, 6002)",
            a.command
        ));
    };
    let req = match Request::from_item_refs(cmd, a.data.iter()) {
        Ok(r) => r,
        Err(e) => return bad(format!("data of {cmd}: {e}")),
    };
    match downlink(shared, &a.user_id, req, Duration::from_millis(a.wait_ms)).await {
        Ok(reply) => json_resp(200, &serde_json::json!({"sent": true, "reply": reply})),
        Err(e) => json_resp(404, &serde_json::json!({"error": e.0})),
    }
}

async fn api(shared: Arc<Shared>, req: hyper::Request<Incoming>, path: String) -> Resp {
    let max = shared.cfg.max_body;
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let count = |shared: &Shared, code: i64| {
        let mut st = shared.state();
        st.stats.frames_received += 1;
        st.stats.frames_rejected += 1;
        *st.stats.rejects_by_code.entry(code).or_insert(0) += 1;
    };
    if declared.is_some_and(|n| n > max as u64) {
        shared.state().oversized_bodies += 1;
        count(&shared, ResultCode::Other.code());
        return envelope_resp(413, ResultCode::Other, "body over 10 MiB (7.1.4.1.1 g)");
    }
    let auth = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // The token is checked before the body is read: a caller without a
    // valid one costs the platform its headers only. 1001 and 1002 carry
    // the password instead.
    let code = crate::platform::http::interface_code(&path);
    if !matches!(code, Some(1001) | Some(1002)) {
        let user = shared
            .http_platform
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .http_user(auth.as_deref(), wall_secs());
        if user.is_none() {
            count(&shared, BizCode::BadToken.code());
            let why = if auth.is_some() {
                "access token invalid or expired"
            } else {
                "no Authorization: Bearer token"
            };
            let item = serde_json::json!({"code": BizCode::BadToken.code(), "message": why});
            let data = crate::proto::sign::canonical(&Value::Array(vec![item]));
            let body =
                envelope::reply_body(ResultCode::Ok, ResultCode::Ok.message(), wall_secs(), &data);
            return respond(401, "application/json;charset=UTF-8", body);
        }
    }
    let body = match read_body(req.into_body(), max, shared.cfg.body_timeout).await {
        Ok(b) => b,
        Err(BodyError::TooBig) => {
            shared.state().oversized_bodies += 1;
            count(&shared, ResultCode::Other.code());
            return envelope_resp(413, ResultCode::Other, "body over 10 MiB (7.1.4.1.1 g)");
        }
        Err(BodyError::Slow) => {
            shared.state().slow_bodies += 1;
            count(&shared, ResultCode::Other.code());
            return envelope_resp(408, ResultCode::Other, "body did not arrive in time");
        }
    };
    let login = matches!(code, Some(1001) | Some(1002));
    // Who the call acts for comes from the platform's token store alone.
    let (reply, user, ledger, stats) = {
        let mut p = shared
            .http_platform
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let (r, user) = p.receive_http_user(wall_secs(), &path, auth.as_deref(), &body);
        (
            r,
            user,
            std::mem::take(&mut p.ledger),
            std::mem::take(&mut p.stats),
        )
    };
    let account = user.unwrap_or_else(|| "-".into());
    let persisted = persist(&shared, &account, &ledger).await;
    {
        let mut st = shared.state();
        merge(&mut st.stats, stats);
        if login && item_code(&reply.body) == Some(crate::proto::BizCode::BadCredentials.code()) {
            *st.stats.rejects_by_code.entry(3001).or_insert(0) += 1;
        }
    }
    if let Err(e) = persisted {
        eprintln!("parksim platform: {e}: answering 503, nothing acknowledged");
        return envelope_resp(503, ResultCode::Other, "storage unavailable, resend later");
    }
    respond(reply.status, "application/json;charset=UTF-8", reply.body)
}
