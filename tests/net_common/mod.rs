//! Helpers shared by the tests/net_*.rs suites: accounts, a platform on
//! 127.0.0.1 port 0 with a fresh SQLite file, a raw SZTC client.
#![allow(dead_code)]

use parksim::net::server::{Server, ServerConfig};
use parksim::net::store::SqliteStore;
use parksim::net::{AccountEntry, Timers};
use parksim::proto::codec::{FrameDecoder, OwnedFrame};
use parksim::proto::envelope::{self, Decoded};
use parksim::proto::frame::{Direction, FrameRepr};
use parksim::proto::messages::*;
use parksim::proto::password::DesKey;
use parksim::proto::time::DateTime;
use parksim::proto::{Mode, SignAlgo};
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Generous: the machine is small and shared.
pub const WAIT: Duration = Duration::from_secs(20);

pub fn account(user: &str) -> AccountEntry {
    AccountEntry {
        user_id: user.into(),
        password: "secret".into(),
        des_key: "12345678".into(),
        des_iv: None,
        park_codes: vec!["44030400100101000010".into()],
        sign: None,
    }
}

/// A fresh directory under the system temp dir.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("parksim-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn config(users: &[&str]) -> ServerConfig {
    ServerConfig {
        tcp: Some("127.0.0.1:0".parse().unwrap()),
        http: Some("127.0.0.1:0".parse().unwrap()),
        accounts: users.iter().map(|u| account(u)).collect(),
        timers: Timers::default(),
        ..ServerConfig::default()
    }
}

pub async fn start(cfg: ServerConfig, db: &std::path::Path) -> Server {
    Server::start(cfg, Box::new(SqliteStore::open(db).unwrap()))
        .await
        .unwrap()
}

pub fn login(user: &str, pw: &str) -> Request {
    Request::LoginTcp(vec![TcpLoginRequest {
        password: DesKey::new(b"12345678").unwrap().encrypt(pw),
        user_id: user.into(),
    }])
}

pub fn entry(id: &str) -> Request {
    Request::Entry(vec![ParkRecordInfo {
        car_info: ParkCarInfo {
            plate_no: "粤B12345".into(),
            ..Default::default()
        },
        charge_id_list: None,
        discount: Amount::ZERO,
        enter_time: DateTime::parse("2026-11-02 08:00:00").unwrap(),
        id: id.into(),
        in_equipment_id: None,
        leave_time: None,
        out_equipment_id: None,
        park_code: Some("44030400100101000010".into()),
        receivables: Amount::ZERO,
        received: Amount::ZERO,
        stall_no: None,
    }])
}

pub fn id(n: u64) -> String {
    format!("{:032x}", 0xabc0_0000_0000u64 + n)
}

/// A request frame; a login is stamped with the wall clock (the platform
/// checks a login's timestamp against its own), the rest with the
/// scenario calendar's 2026-11-02.
pub fn frame(req: &Request, packet: u32) -> Vec<u8> {
    let ts = if matches!(req, Request::LoginTcp(_)) {
        parksim::net::wall_secs()
    } else {
        1_793_600_000
    };
    envelope::request_frame(req, packet, ts, SignAlgo::Sha1)
}

/// A raw SZTC connection.
pub struct Raw {
    pub s: TcpStream,
    dec: FrameDecoder,
}

impl Raw {
    pub async fn connect(addr: std::net::SocketAddr) -> Raw {
        Raw {
            s: TcpStream::connect(addr).await.unwrap(),
            dec: FrameDecoder::new(),
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).await.unwrap();
    }

    /// The next frame, or None when the server closed or `wait` passed.
    pub async fn next(&mut self, wait: Duration) -> Option<OwnedFrame> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut buf = [0u8; 8192];
        loop {
            if let Ok(Some(f)) = self.dec.decode() {
                return Some(f);
            }
            let r = tokio::time::timeout_at(deadline, self.s.read(&mut buf)).await;
            match r {
                Ok(Ok(n)) if n > 0 => self.dec.feed(&buf[..n]),
                _ => return None,
            }
        }
    }

    /// Sends a request, returns its reply (checks the packetNo).
    pub async fn call(&mut self, req: &Request, packet: u32) -> Decoded {
        self.send(&frame(req, packet)).await;
        let f = self.next(WAIT).await.expect("a reply");
        assert_eq!((f.packet_no, f.direction), (packet, Direction::Reply));
        decode(&f)
    }

    /// True when the server closed the connection within `wait`.
    pub async fn closed(&mut self, wait: Duration) -> bool {
        let mut buf = [0u8; 1024];
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.s.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => continue,
                Err(_) => return false,
            }
        }
    }
}

pub fn decode(f: &OwnedFrame) -> Decoded {
    envelope::decode(
        f.command,
        f.direction,
        &f.data,
        SignAlgo::Sha1,
        Mode::Lenient,
    )
}

/// `data[0].code` of a reply.
pub fn item_code(d: &Decoded) -> Option<i64> {
    let c = d.body.get("data")?.get(0)?.get("code")?;
    c.as_i64().or_else(|| c.as_str()?.parse().ok())
}

/// A header announcing `len` bytes of data (no data).
pub fn header(len: u32) -> Vec<u8> {
    let mut h = FrameRepr {
        version: (1, 0),
        packet_no: 1,
        direction: Direction::Request,
        command: 5004,
        data: &[],
    }
    .to_bytes()
    .unwrap();
    h.truncate(17);
    h[10..14].copy_from_slice(&len.to_be_bytes());
    h
}
