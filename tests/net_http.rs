//! The platform over HTTP (7.1.4.1.2) on loopback: 1001/1002/1003 tokens,
//! bearer forms, bad sign, expired token, oversized body, status and the
//! admin downlink endpoint, TLS.

mod net_common;

use net_common::*;
use parksim::net::client::{HttpConn, Url};
use parksim::net::tls;
use parksim::proto::envelope::{self, Decoded};
use parksim::proto::frame::Direction;
use parksim::proto::messages::*;
use parksim::proto::password::DesKey;
use parksim::proto::{Mode, SignAlgo};
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Over HTTP the default sign is MD5 (7.1.4.1.2); logins carry the wall
/// clock's time.
fn body(req: &Request) -> Vec<u8> {
    let ts = if matches!(req, Request::LoginHttp(_)) {
        parksim::net::wall_secs()
    } else {
        1_793_600_000
    };
    envelope::request_body(&req.data_json(), ts, SignAlgo::Md5)
}

fn login_http(user: &str, pw: &str) -> Request {
    Request::LoginHttp(vec![LoginRequest {
        callback_server: None,
        online_order_url: None,
        password: DesKey::new(b"12345678").unwrap().encrypt(pw),
        user_id: user.into(),
    }])
}

fn reply(code: u16, b: &[u8]) -> Decoded {
    envelope::decode(code, Direction::Reply, b, SignAlgo::Sha1, Mode::Lenient)
}

async fn conn(url: &str) -> HttpConn {
    HttpConn::open(&Url::parse(url).unwrap(), None, WAIT)
        .await
        .unwrap()
}

async fn post(c: &mut HttpConn, code: u16, auth: Option<&str>, b: Vec<u8>) -> (u16, Decoded) {
    let (s, out) = c
        .request("POST", &format!("/api/1.0/{code}"), auth, b)
        .await
        .unwrap();
    (s, reply(code, &out))
}

fn field(d: &Decoded, k: &str) -> Value {
    d.body["data"][0][k].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_bearer_forms_sign_and_expiry() {
    let dir = temp_dir("http-tokens");
    let mut cfg = config(&["garage-1"]);
    cfg.token_ttl = 5;
    let srv = start(cfg, &dir.join("p.db")).await;
    let url = format!("http://{}", srv.http_addr.unwrap());
    let mut c = conn(&url).await;

    // Wrong password: 3001, no token.
    let (s, d) = post(&mut c, 1001, None, body(&login_http("garage-1", "nope"))).await;
    assert_eq!(s, 200);
    assert_eq!(item_code(&d), Some(3001));

    // Right password: accessToken, refreshToken, expiresIn.
    let (s, d) = post(&mut c, 1001, None, body(&login_http("garage-1", "secret"))).await;
    assert_eq!((s, item_code(&d)), (200, Some(0)));
    let access = field(&d, "accessToken").as_str().unwrap().to_string();
    let refresh = field(&d, "refreshToken").as_str().unwrap().to_string();
    assert!(!access.is_empty() && !refresh.is_empty());
    assert_eq!(field(&d, "expiresIn").as_i64(), Some(5));

    // No token: 401 and 3002.
    let (s, d) = post(&mut c, 5004, None, body(&entry(&id(1)))).await;
    assert_eq!((s, item_code(&d)), (401, Some(3002)));
    // "Bearer x" and the examples' "bearerx" both work.
    let (s, d) = post(
        &mut c,
        5004,
        Some(&format!("Bearer {access}")),
        body(&entry(&id(1))),
    )
    .await;
    assert_eq!((s, d.result_code), (200, Some(0)));
    let (s, d) = post(
        &mut c,
        5004,
        Some(&format!("bearer{access}")),
        body(&entry(&id(2))),
    )
    .await;
    assert_eq!((s, d.result_code), (200, Some(0)));
    // The same id again: acknowledged, counted once.
    let (s, d) = post(
        &mut c,
        5004,
        Some(&format!("Bearer {access}")),
        body(&entry(&id(2))),
    )
    .await;
    assert_eq!((s, d.result_code), (200, Some(0)));

    // Another garage's parkCode: 4 with item code 1101, not recorded.
    let mut other = entry(&id(9));
    if let Request::Entry(v) = &mut other {
        v[0].park_code = Some("44030400100101000099".into());
    }
    let (s, d) = post(
        &mut c,
        5004,
        Some(&format!("Bearer {access}")),
        body(&other),
    )
    .await;
    assert_eq!(
        (s, d.result_code, item_code(&d)),
        (200, Some(4), Some(1101))
    );

    // Bad sign: resultCode 3.
    let mut b = String::from_utf8(body(&entry(&id(3)))).unwrap();
    let i = b.find("\"sign\":\"").unwrap() + 8;
    let flip = if &b[i..i + 1] == "0" { "1" } else { "0" };
    b.replace_range(i..i + 1, flip);
    let (s, d) = post(
        &mut c,
        5004,
        Some(&format!("Bearer {access}")),
        b.into_bytes(),
    )
    .await;
    assert_eq!((s, d.result_code), (200, Some(3)));
    // Bad JSON: resultCode 2. Unknown interface: 3.
    let (_, d) = post(
        &mut c,
        5004,
        Some(&format!("Bearer {access}")),
        b"{".to_vec(),
    )
    .await;
    assert_eq!(d.result_code, Some(2));
    let (_, raw) = c
        .request(
            "POST",
            "/api/1.0/9999",
            Some(&format!("Bearer {access}")),
            body(&entry(&id(4))),
        )
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(v["resultCode"], 3);

    // Expired: after its 5 s lifetime the token is refused (401, 3002).
    tokio::time::sleep(Duration::from_millis(6100)).await;
    let (s, d) = post(
        &mut c,
        5004,
        Some(&format!("Bearer {access}")),
        body(&entry(&id(5))),
    )
    .await;
    assert_eq!((s, item_code(&d)), (401, Some(3002)));
    // 1002 refresh gives a working token.
    let rq = Request::RefreshToken(vec![RefreshRequest {
        access_token: access.clone(),
        password: DesKey::new(b"12345678").unwrap().encrypt("secret"),
        user_id: "garage-1".into(),
    }]);
    let (s, d) = post(&mut c, 1002, None, body(&rq)).await;
    assert_eq!((s, item_code(&d)), (200, Some(0)), "{}", d.body);
    let fresh = field(&d, "accessToken").as_str().unwrap().to_string();
    let (s, d) = post(
        &mut c,
        5004,
        Some(&format!("Bearer {fresh}")),
        body(&entry(&id(5))),
    )
    .await;
    assert_eq!((s, d.result_code), (200, Some(0)));
    // 1003 logout revokes it.
    let lo = Request::LogoutHttp(vec![LogoutRequest {
        access_token: fresh.clone(),
    }]);
    // Not without the token.
    let (s, d) = post(&mut c, 1003, None, body(&lo)).await;
    assert_eq!((s, item_code(&d)), (401, Some(3002)));
    let (_, d) = post(&mut c, 1003, Some(&format!("Bearer {fresh}")), body(&lo)).await;
    assert_eq!(item_code(&d), Some(0));
    let (s, _) = post(
        &mut c,
        5004,
        Some(&format!("Bearer {fresh}")),
        body(&entry(&id(6))),
    )
    .await;
    assert_eq!(s, 401);

    let st = srv.status().unwrap();
    assert_eq!(st.records["garage-1"]["5004"], 3, "ids 1, 2, 5");
    assert_eq!(st.duplicates, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_body_is_refused_before_it_is_read() {
    let dir = temp_dir("http-big");
    let srv = start(config(&["garage-1"]), &dir.join("p.db")).await;
    let addr = srv.http_addr.unwrap();
    // Declared 11 MiB, nothing sent: answered 413 at once.
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/1.0/5004 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        11 * 1024 * 1024
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(WAIT, s.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    // Chunked, no length: cut off at the limit (small limit here).
    drop(srv);
    let mut cfg = config(&["garage-1"]);
    cfg.max_body = 1000;
    let srv = start(cfg, &dir.join("p2.db")).await;
    let mut s = tokio::net::TcpStream::connect(srv.http_addr.unwrap())
        .await
        .unwrap();
    // (1001: no token needed, so the body is read.)
    s.write_all(b"POST /api/1.0/1001 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        .await
        .unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", 2000, "x".repeat(2000));
    s.write_all(chunk.as_bytes()).await.unwrap();
    let n = tokio::time::timeout(WAIT, s.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    // And the server still serves.
    let mut c = conn(&format!("http://{}", srv.http_addr.unwrap())).await;
    let (s, d) = post(&mut c, 1001, None, body(&login_http("garage-1", "secret"))).await;
    assert_eq!((s, item_code(&d)), (200, Some(0)));
    assert_eq!(srv.status().unwrap().oversized_bodies, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_admin_downlink_over_http() {
    let dir = temp_dir("http-admin");
    let mut cfg = config(&["garage-1"]);
    cfg.admin_token = Some("admin-secret".into());
    let srv = start(cfg, &dir.join("p.db")).await;
    let admin = Some("Bearer admin-secret");
    let url = format!("http://{}", srv.http_addr.unwrap());
    // A garage on TCP that answers downlinks.
    let mut g = Raw::connect(srv.tcp_addr.unwrap()).await;
    g.call(&login("garage-1", "secret"), 1).await;
    g.call(&entry(&id(1)), 2).await;
    let garage = tokio::spawn(async move {
        let f = g.next(WAIT).await.expect("a downlink");
        assert_eq!(f.command, 4001);
        let rep = Reply::ControlList(vec![IdReply {
            code: 0,
            id: Some("L1".into()),
            message: Some("成功".into()),
        }]);
        g.send(&envelope::reply_frame(
            &rep,
            parksim::proto::ResultCode::Ok,
            f.packet_no,
            1_793_600_000,
        ))
        .await;
        g
    });
    let req = serde_json::json!({
        "user_id": "garage-1", "command": 4001, "wait_ms": 15000,
        "data": [{"blackWhiteGraySheet": {"carInfo": {"plateNo": "粤B00001"},
                  "endDate": "2026-12-31 00:00:00", "id": "L1",
                  "parkCode": "44030400100101000010", "strategyFrom": "test",
                  "strategyType": 1}, "status": 1}]
    });
    let (s, out) = parksim::net::client::once(
        &url,
        None,
        "POST",
        "/admin/downlink",
        admin,
        req.to_string().into_bytes(),
    )
    .await
    .unwrap();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["reply"]["id"], "L1");
    let _g = garage.await.unwrap();
    // Not a downlink: 400. Not connected: 404.
    let bad = serde_json::json!({"user_id": "garage-1", "command": 5004, "data": []});
    let (s, _) = parksim::net::client::once(
        &url,
        None,
        "POST",
        "/admin/downlink",
        admin,
        bad.to_string().into_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(s, 400);
    let away = serde_json::json!({"user_id": "garage-7", "command": 6002,
        "data": [{"bookCode": "B", "confirmStatus": 0, "parkCode": "P"}]});
    let (s, _) = parksim::net::client::once(
        &url,
        None,
        "POST",
        "/admin/downlink",
        admin,
        away.to_string().into_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(s, 404);
    // Status: the connected garage, counts, replies.
    // Without the admin token: 403, loopback or not.
    let (s, _) = parksim::net::client::once(&url, None, "GET", "/status", None, Vec::new())
        .await
        .unwrap();
    assert_eq!(s, 403);
    let (s, out) = parksim::net::client::once(&url, None, "GET", "/status", admin, Vec::new())
        .await
        .unwrap();
    assert_eq!(s, 200);
    let st: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(st["garages"][0]["user_id"], "garage-1");
    assert_eq!(st["records"]["garage-1"]["5004"], 1);
    assert_eq!(st["records"]["garage-1"]["4001r"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_on_http() {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = ck.cert.pem();
    let key = ck.signing_key.serialize_pem();
    let dir = temp_dir("http-tls");
    let mut cfg = config(&["garage-1"]);
    cfg.tls = Some(tls::server_config(cert.as_bytes(), key.as_bytes()).unwrap());
    let srv = start(cfg, &dir.join("p.db")).await;
    let url = format!("https://localhost:{}", srv.http_addr.unwrap().port());
    let roots = tls::client_config(cert.as_bytes()).unwrap();
    let mut c = HttpConn::open(&Url::parse(&url).unwrap(), Some(&roots), WAIT)
        .await
        .unwrap();
    let (s, d) = post(&mut c, 1001, None, body(&login_http("garage-1", "secret"))).await;
    assert_eq!((s, item_code(&d)), (200, Some(0)));
    let access = field(&d, "accessToken").as_str().unwrap().to_string();
    let (s, d) = post(
        &mut c,
        5004,
        Some(&format!("Bearer {access}")),
        body(&entry(&id(1))),
    )
    .await;
    assert_eq!((s, d.result_code), (200, Some(0)));
    assert_eq!(srv.status().unwrap().records["garage-1"]["5004"], 1);
    // Plain HTTP to the TLS port fails.
    let plain = format!("http://127.0.0.1:{}", srv.http_addr.unwrap().port());
    let r = parksim::net::client::once(&plain, None, "GET", "/status", None, Vec::new()).await;
    assert!(r.is_err() || r.is_ok_and(|(s, _)| s != 200));
}
