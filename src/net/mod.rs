//! The protocol over real sockets: a platform server
//! ([`server`]) and a garage client ([`garage`]), on tokio, with hyper for
//! HTTP/1.1 and rustls (ring provider) for TLS on both transports.
//!
//! The protocol itself stays in [`crate::proto`] and [`crate::platform`]:
//! this layer only moves bytes, reads the wall clock, keeps the timers
//! (9 s silence, 3 s heartbeat) and persists what the platform recorded
//! **before** the acknowledgement is written ([`store`]).
//!
//! # Invariants
//! - Nothing acknowledged is lost: a reply frame (TCP) or response (HTTP)
//!   is written only after the records the request carried are committed
//!   to the store in one transaction; if the commit fails, the connection
//!   is closed without an answer and the garage resends.
//! - A record is counted once per (account, interface, id): duplicates are
//!   decided by the store's primary key, so they survive restarts.
//! - A bad client (bad CRC, bad sign, oversized frame, silence) affects
//!   only its own connection.

pub mod client;
pub mod garage;
pub mod server;
pub mod store;
pub mod tls;

use crate::platform::Account;
use crate::proto::password::DesKey;
use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// An error of the network layer (set-up, I/O, TLS, storage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetError(pub String);

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NetError {}

impl From<std::io::Error> for NetError {
    fn from(e: std::io::Error) -> Self {
        NetError(e.to_string())
    }
}

/// The standard's timers (7.1.4.1.3 c), configurable for tests.
#[derive(Debug, Clone, Copy)]
pub struct Timers {
    /// The server drops a TCP client silent this long (9 s).
    pub idle: Duration,
    /// The client sends a heartbeat this often, and waits this long for
    /// its answer before each retry (3 s).
    pub heartbeat: Duration,
    /// Heartbeat retries before the client drops the connection (2).
    pub heartbeat_retries: u32,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            idle: Duration::from_secs(9),
            heartbeat: Duration::from_secs(3),
            heartbeat_retries: 2,
        }
    }
}

/// One `[[account]]` of an accounts file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountEntry {
    pub user_id: String,
    pub password: String,
    /// The 8-byte DES key the platform assigned.
    pub des_key: String,
    /// The 8-byte DES IV (default: the key).
    #[serde(default)]
    pub des_iv: Option<String>,
    /// Garages (parkCode) this account may report for.
    #[serde(default)]
    pub park_codes: Vec<String>,
    /// Sign algorithm, `"md5"` or `"sha1"` (default per transport, as
    /// 7.1.4.1.2 says: MD5 over HTTP(S), SHA1 over TCP).
    #[serde(default)]
    pub sign: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountsFile {
    #[serde(default)]
    account: Vec<AccountEntry>,
}

impl AccountEntry {
    pub fn des(&self) -> Result<DesKey, NetError> {
        let key = self.des_key.as_bytes();
        let r = match &self.des_iv {
            Some(iv) => DesKey::with_iv(key, iv.as_bytes()),
            None => DesKey::new(key),
        };
        r.map_err(|e| NetError(format!("account {}: des_key: {e}", self.user_id)))
    }

    /// The account's sign algorithm, if it names one.
    pub fn sign_algo(&self) -> Result<Option<crate::proto::SignAlgo>, NetError> {
        self.sign
            .as_deref()
            .map(|s| {
                s.parse()
                    .map_err(|e| NetError(format!("account {}: sign: {e}", self.user_id)))
            })
            .transpose()
    }

    pub fn account(&self) -> Result<Account, NetError> {
        Ok(Account {
            user_id: self.user_id.clone(),
            password: self.password.clone(),
            key: self.des()?,
        })
    }
}

/// Reads an accounts file (TOML, `[[account]]` tables).
pub fn parse_accounts(text: &str) -> Result<Vec<AccountEntry>, NetError> {
    let f: AccountsFile =
        toml::from_str(text).map_err(|e| NetError(format!("accounts file: {e}")))?;
    for a in &f.account {
        a.des()?;
        a.sign_algo()?;
    }
    Ok(f.account)
}

/// Seconds since 1970 by the wall clock.
pub fn wall_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
