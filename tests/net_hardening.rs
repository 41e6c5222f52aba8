//! The hardening findings on loopback: login deadline, connection cap,
//! stream-error budget, HTTP token before body and body timeout, admin
//! token and listener, `/status` off the store. Each failed on the code
//! before the fix.

mod net_common;

use net_common::*;
use parksim::net::client::{HttpConn, Url};
use parksim::net::store::{Policy, Row, SqliteStore, Store};
use parksim::proto::SignAlgo;
use parksim::proto::envelope;
use parksim::proto::messages::*;
use parksim::proto::password::DesKey;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// True when the peer closed `s` within `wait` (reads and drops data).
async fn closed_within(s: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

/// A connection dripping one byte every 200 ms (inside a frame it
/// announced, so no stream error) is closed at the login deadline: bytes
/// do not restart it (once: open forever).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_deadline_is_not_restarted_by_bytes() {
    let dir = temp_dir("hard-login-deadline");
    let mut cfg = config(&["garage-1"]);
    cfg.login_timeout = Duration::from_millis(1000);
    let srv = start(cfg, &dir.join("p.db")).await;
    let mut s = TcpStream::connect(srv.tcp_addr.unwrap()).await.unwrap();
    s.write_all(&header(10_000)).await.unwrap();
    let t = Instant::now();
    let (mut rd, mut wr) = s.into_split();
    let drip = tokio::spawn(async move {
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if wr.write_all(b"x").await.is_err() {
                return;
            }
        }
    });
    let mut buf = [0u8; 64];
    let r = tokio::time::timeout(Duration::from_secs(5), rd.read(&mut buf)).await;
    assert!(
        matches!(r, Ok(Ok(0)) | Ok(Err(_))),
        "still open after 5 s: {r:?}"
    );
    let took = t.elapsed();
    assert!(took < Duration::from_millis(2500), "closed after {took:?}");
    drip.abort();
    assert_eq!(srv.status().unwrap().login_timeouts, 1);
}

/// More connections than the cap: the extra ones are closed at once and
/// counted (and a line is logged).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_are_refused() {
    let dir = temp_dir("hard-cap");
    let mut cfg = config(&["garage-1"]);
    cfg.max_connections = 3;
    let srv = start(cfg, &dir.join("p.db")).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(srv.tcp_addr.unwrap()).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = TcpStream::connect(srv.tcp_addr.unwrap()).await.unwrap();
    assert!(closed_within(&mut extra, Duration::from_secs(2)).await);
    // HTTP counts against the same cap.
    let mut h = TcpStream::connect(srv.http_addr.unwrap()).await.unwrap();
    assert!(closed_within(&mut h, Duration::from_secs(2)).await);
    assert!(srv.status().unwrap().refused_connections >= 2);
    // One goes, one more may come: and a garage can log in on it.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut c = Raw::connect(srv.tcp_addr.unwrap()).await;
    let d = c.call(&login("garage-1", "secret"), 1).await;
    assert_eq!(item_code(&d), Some(0));
}

/// Bad CRCs before login: after the budget the connection is closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_bad_stretches_close_the_connection() {
    let dir = temp_dir("hard-budget");
    let srv = start(config(&["garage-1"]), &dir.join("p.db")).await;
    let mut s = TcpStream::connect(srv.tcp_addr.unwrap()).await.unwrap();
    let mut bad = frame(&entry(&id(1)), 1);
    *bad.last_mut().unwrap() ^= 1;
    for _ in 0..20 {
        if s.write_all(&bad).await.is_err() {
            break;
        }
    }
    assert!(closed_within(&mut s, Duration::from_secs(3)).await);
    assert_eq!(srv.status().unwrap().closed_for_errors, 1);
}

/// A head announcing a body, no token, no body: 401 at once (once: the
/// body was awaited first, forever).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_checks_the_token_before_the_body() {
    let dir = temp_dir("hard-http-token");
    let srv = start(config(&["garage-1"]), &dir.join("p.db")).await;
    let mut s = TcpStream::connect(srv.http_addr.unwrap()).await.unwrap();
    s.write_all(b"POST /api/1.0/5004 HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf))
        .await
        .expect("an answer without the body")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
}

fn login_http() -> Vec<u8> {
    let req = Request::LoginHttp(vec![LoginRequest {
        callback_server: None,
        online_order_url: None,
        password: DesKey::new(b"12345678").unwrap().encrypt("secret"),
        user_id: "garage-1".into(),
    }]);
    envelope::request_body(&req.data_json(), parksim::net::wall_secs(), SignAlgo::Md5)
}

async fn http_token(addr: std::net::SocketAddr) -> String {
    let mut c = HttpConn::open(&Url::parse(&format!("http://{addr}")).unwrap(), None, WAIT)
        .await
        .unwrap();
    let (s, out) = c
        .request("POST", "/api/1.0/1001", None, login_http())
        .await
        .unwrap();
    assert_eq!(s, 200);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    v["data"][0]["accessToken"].as_str().unwrap().to_string()
}

/// A valid token and a body that drips: 408 at the body timeout (once:
/// no timeout at all).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_times_out() {
    let dir = temp_dir("hard-http-slow");
    let mut cfg = config(&["garage-1"]);
    cfg.body_timeout = Duration::from_millis(800);
    let srv = start(cfg, &dir.join("p.db")).await;
    let token = http_token(srv.http_addr.unwrap()).await;
    let mut s = TcpStream::connect(srv.http_addr.unwrap()).await.unwrap();
    let head = format!(
        "POST /api/1.0/5004 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: 5000\r\n\r\n{{\"data\":"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let t = Instant::now();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .expect("an answer at the body timeout")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(t.elapsed() < Duration::from_secs(3));
    assert_eq!(srv.status().unwrap().slow_bodies, 1);
}

/// `/status` needs the admin token from loopback too, unless
/// `admin_loopback`; with a separate admin listener it is served there
/// only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_token_and_listener() {
    let dir = temp_dir("hard-admin");
    let get = |url: String, auth: Option<&'static str>| async move {
        parksim::net::client::once(&url, None, "GET", "/status", auth, Vec::new())
            .await
            .unwrap()
            .0
    };
    // No token configured: nobody (loopback included).
    let srv = start(config(&["garage-1"]), &dir.join("a.db")).await;
    let url = format!("http://{}", srv.http_addr.unwrap());
    assert_eq!(get(url.clone(), None).await, 403);
    drop(srv);
    // --admin-loopback.
    let mut cfg = config(&["garage-1"]);
    cfg.admin_loopback = true;
    let srv = start(cfg, &dir.join("b.db")).await;
    assert_eq!(
        get(format!("http://{}", srv.http_addr.unwrap()), None).await,
        200
    );
    drop(srv);
    // A separate admin listener with a token.
    let mut cfg = config(&["garage-1"]);
    cfg.admin_token = Some("t0k".into());
    cfg.admin = Some("127.0.0.1:0".parse().unwrap());
    let srv = start(cfg, &dir.join("c.db")).await;
    let api = format!("http://{}", srv.http_addr.unwrap());
    let admin = format!("http://{}", srv.admin_addr.unwrap());
    assert_eq!(get(api, Some("Bearer t0k")).await, 404);
    assert_eq!(get(admin.clone(), None).await, 403);
    assert_eq!(get(admin.clone(), Some("Bearer wrong")).await, 403);
    assert_eq!(get(admin, Some("Bearer t0k")).await, 200);
}

/// Sends `n` entries one at a time; the time it took.
async fn ingest(addr: std::net::SocketAddr, first: u64, n: u64) -> Duration {
    let mut c = Raw::connect(addr).await;
    assert_eq!(
        item_code(&c.call(&login("garage-1", "secret"), 1).await),
        Some(0)
    );
    let t = Instant::now();
    for k in 0..n {
        let d = c.call(&entry(&id(first + k)), 2 + k as u32).await;
        assert!(d.accepted());
    }
    t.elapsed()
}

/// With 300,000 rows held, two clients polling `/status` do not slow an
/// honest garage (once: a full-table GROUP BY under the store lock on
/// every poll).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_status_does_not_slow_ingest() {
    let dir = temp_dir("hard-status");
    let db = dir.join("p.db");
    {
        let mut st = SqliteStore::open(&db).unwrap();
        let rows: Vec<Row> = (0..300_000u64)
            .map(|k| Row {
                kind: "5004",
                key: format!("old{k:012}"),
                ts: 0,
                body: "{}".into(),
                policy: Policy::Once,
            })
            .collect();
        st.persist("garage-1", &rows, 0).unwrap();
    }
    let mut cfg = config(&["garage-1"]);
    cfg.admin_token = Some("t0k".into());
    let srv = start(cfg, &db).await;
    assert_eq!(srv.status().unwrap().records["garage-1"]["5004"], 300_000);
    let tcp = srv.tcp_addr.unwrap();
    let url = format!("http://{}", srv.http_addr.unwrap());
    // Warm up, then the quiet baseline.
    ingest(tcp, 0, 20).await;
    let quiet = ingest(tcp, 100, 1000).await;
    // Two pollers, one request every 10 ms each.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let polls = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut pollers = Vec::new();
    for _ in 0..2 {
        let (url, stop, polls) = (url.clone(), stop.clone(), polls.clone());
        pollers.push(tokio::spawn(async move {
            let mut c = HttpConn::open(&Url::parse(&url).unwrap(), None, WAIT)
                .await
                .unwrap();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let (s, _) = c
                    .request("GET", "/status", Some("Bearer t0k"), Vec::new())
                    .await
                    .unwrap();
                assert_eq!(s, 200);
                polls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let busy = ingest(tcp, 10_000, 1000).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for p in pollers {
        p.await.unwrap();
    }
    let polls = polls.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!("1000 entries: quiet {quiet:?}, with /status polled ({polls} polls) {busy:?}");
    assert!(polls >= 10, "{polls} polls");
    assert!(
        busy.as_secs_f64() < quiet.as_secs_f64() * 2.0 + 0.1,
        "quiet {quiet:?}, polled {busy:?}"
    );
    assert_eq!(
        srv.status().unwrap().records["garage-1"]["5004"],
        300_000 + 2020
    );
}

/// `sign = "md5"` in the accounts file: that account's TCP frames are
/// checked with MD5 (SHA1 is refused with resultCode 3), others keep the
/// transport's default.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_algorithm_comes_from_the_accounts_file() {
    let dir = temp_dir("hard-sign");
    let mut cfg = config(&["garage-1", "garage-2"]);
    cfg.accounts[0].sign = Some("md5".into());
    let srv = start(cfg, &dir.join("p.db")).await;
    let login_as = |user: &str, algo: SignAlgo| {
        envelope::request_frame(&login(user, "secret"), 1, parksim::net::wall_secs(), algo)
    };
    let mut c = Raw::connect(srv.tcp_addr.unwrap()).await;
    c.send(&login_as("garage-1", SignAlgo::Sha1)).await;
    let d = decode(&c.next(WAIT).await.unwrap());
    assert_eq!(d.result_code, Some(3));
    let mut c = Raw::connect(srv.tcp_addr.unwrap()).await;
    c.send(&login_as("garage-1", SignAlgo::Md5)).await;
    assert_eq!(item_code(&decode(&c.next(WAIT).await.unwrap())), Some(0));
    c.send(&envelope::request_frame(
        &entry(&id(1)),
        2,
        1_793_600_000,
        SignAlgo::Md5,
    ))
    .await;
    assert!(decode(&c.next(WAIT).await.unwrap()).accepted());
    let mut c = Raw::connect(srv.tcp_addr.unwrap()).await;
    c.send(&login_as("garage-2", SignAlgo::Sha1)).await;
    assert_eq!(item_code(&decode(&c.next(WAIT).await.unwrap())), Some(0));
    // An unknown algorithm in the file is an error at start.
    let mut bad = config(&["garage-1"]);
    bad.accounts[0].sign = Some("crc32".into());
    let e = parksim::net::server::Server::start(
        bad,
        Box::new(SqliteStore::open(&dir.join("q.db")).unwrap()),
    )
    .await;
    assert!(e.is_err_and(|e| e.0.contains("sign")));
}
