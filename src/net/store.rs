//! Where the platform keeps what it acknowledged: one narrow trait
//! ([`Store`]) and its embedded SQLite implementation ([`SqliteStore`],
//! bundled, nothing to install). A PostgreSQL backend implements the same
//! four methods.
//!
//! Every record is a row `(account, kind, key) → body`, `kind` being the
//! interface code (`"5004"`) or a downlink reply (`"6001r"`). How a second
//! row with the same key is treated is the [`Policy`] of its kind:
//! reports with ids are kept once (duplicates counted), descriptions and
//! corrections are replaced, space counts keep the latest by timestamp.

use super::NetError;
use crate::platform::Ledger;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::path::Path;

/// What happens to a row whose key is already held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Keep the first, count a duplicate (5004, 5005, 5008, 7001).
    Once,
    /// Keep the latest received (3001, 3002, 3005, 5006, replies).
    Replace,
    /// Keep the one with the greatest `ts` (5003 by envelope timestamp).
    Latest,
}

/// One record to persist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub kind: &'static str,
    pub key: String,
    /// Envelope timestamp [s] (5003), else 0.
    pub ts: i64,
    /// The record as wire JSON.
    pub body: String,
    pub policy: Policy,
}

/// What one [`Store::persist`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Persisted {
    /// Rows new to the store.
    pub new: u64,
    /// `Once` rows already held (resent ids).
    pub duplicates: u64,
    /// Rows new to the store by kind (a replaced row is not new): what
    /// `/status` adds to the counts it keeps in memory.
    pub inserted: std::collections::BTreeMap<String, u64>,
}

/// The narrow storage interface of the network platform.
pub trait Store: Send + 'static {
    /// Stores `rows` for `account` in one transaction: all or nothing.
    fn persist(&mut self, account: &str, rows: &[Row], now: i64) -> Result<Persisted, NetError>;
    /// Rows held, by account and kind.
    fn counts(&self) -> Result<Vec<(String, String, u64)>, NetError>;
    /// Keys held for `account` and `kind`, sorted.
    fn keys(&self, account: &str, kind: &str) -> Result<Vec<String>, NetError>;
    /// The body of one row.
    fn get(&self, account: &str, kind: &str, key: &str) -> Result<Option<String>, NetError>;
    /// Every (account, key, body) of one kind.
    fn all_of(&self, kind: &str) -> Result<Vec<(String, String, String)>, NetError>;
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// The rows of what a platform recorded (its ledger, taken after a call).
pub fn rows_of(l: &Ledger) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut add = |kind, key: &str, ts, body, policy| {
        rows.push(Row {
            kind,
            key: key.to_string(),
            ts,
            body,
            policy,
        })
    };
    if let Some(p) = &l.park_info {
        add("3001", &p.park_info.park_code, 0, json(p), Policy::Replace);
    }
    for (k, v) in &l.entrances {
        add("3002", k, 0, json(v), Policy::Replace);
    }
    for (k, v) in &l.tariffs {
        add("3005", k, 0, json(v), Policy::Replace);
    }
    if let Some((ts, s)) = &l.space {
        add("5003", &s.park_code, *ts, json(s), Policy::Latest);
    }
    for (k, v) in &l.entries {
        add("5004", k, 0, json(v), Policy::Once);
    }
    for (k, v) in &l.exits {
        add("5005", k, 0, json(v), Policy::Once);
    }
    for (k, v) in &l.corrections {
        add("5006", k, 0, json(v), Policy::Replace);
    }
    for (k, v) in &l.charges {
        add("5008", k, 0, json(v), Policy::Once);
    }
    for (k, v) in &l.priority_switches {
        add("7001", k, 0, json(v), Policy::Once);
    }
    for (k, v) in &l.book_replies {
        add("6001r", k, 0, json(v), Policy::Replace);
    }
    for (k, v) in &l.confirm_replies {
        add("6002r", k, 0, json(v), Policy::Replace);
    }
    for (k, v) in &l.coupon_replies {
        add("4002r", k, 0, json(v), Policy::Replace);
    }
    for v in &l.control_replies {
        let key = v.id.clone().unwrap_or_else(|| "-".into());
        add("4001r", &key, 0, json(v), Policy::Replace);
    }
    rows
}

/// The embedded store: one SQLite file, WAL journal.
///
/// Durability: `synchronous = NORMAL` in WAL mode, so a committed
/// transaction survives the platform process being killed; with
/// [`SqliteStore::open_full_sync`] it also survives a power cut.
pub struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, NetError> {
        Self::open_with(path, "NORMAL")
    }

    /// Like [`SqliteStore::open`], fsync on every commit.
    pub fn open_full_sync(path: &Path) -> Result<SqliteStore, NetError> {
        Self::open_with(path, "FULL")
    }

    fn open_with(path: &Path, sync: &str) -> Result<SqliteStore, NetError> {
        let err = |e: rusqlite::Error| NetError(format!("database {}: {e}", path.display()));
        let conn = Connection::open(path).map_err(err)?;
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = {sync};
             PRAGMA busy_timeout = 5000;
             CREATE TABLE IF NOT EXISTS records (
                 account TEXT NOT NULL,
                 kind TEXT NOT NULL,
                 key TEXT NOT NULL,
                 ts INTEGER NOT NULL,
                 body TEXT NOT NULL,
                 received_at INTEGER NOT NULL,
                 PRIMARY KEY (account, kind, key)
             );"
        ))
        .map_err(err)?;
        Ok(SqliteStore { conn })
    }
}

fn db(e: rusqlite::Error) -> NetError {
    NetError(format!("database: {e}"))
}

impl Store for SqliteStore {
    fn persist(&mut self, account: &str, rows: &[Row], now: i64) -> Result<Persisted, NetError> {
        let mut out = Persisted::default();
        if rows.is_empty() {
            return Ok(out);
        }
        let tx = self.conn.transaction().map_err(db)?;
        {
            let mut once = tx
                .prepare_cached("INSERT OR IGNORE INTO records VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .map_err(db)?;
            let mut replace = tx
                .prepare_cached(
                    "INSERT INTO records VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (account, kind, key) DO UPDATE
                     SET ts = excluded.ts, body = excluded.body,
                         received_at = excluded.received_at",
                )
                .map_err(db)?;
            let mut latest = tx
                .prepare_cached(
                    "INSERT INTO records VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (account, kind, key) DO UPDATE
                     SET ts = excluded.ts, body = excluded.body,
                         received_at = excluded.received_at
                     WHERE excluded.ts >= records.ts",
                )
                .map_err(db)?;
            for r in rows {
                // Inserted if new; else the policy says what happens.
                let n = once
                    .execute(params![account, r.kind, r.key, r.ts, r.body, now])
                    .map_err(db)?;
                if n == 1 {
                    out.new += 1;
                    *out.inserted.entry(r.kind.to_string()).or_insert(0) += 1;
                    continue;
                }
                match r.policy {
                    Policy::Once => out.duplicates += 1,
                    Policy::Replace | Policy::Latest => {
                        let stmt = if r.policy == Policy::Replace {
                            &mut replace
                        } else {
                            &mut latest
                        };
                        stmt.execute(params![account, r.kind, r.key, r.ts, r.body, now])
                            .map_err(db)?;
                        out.new += 1;
                    }
                }
            }
        }
        tx.commit().map_err(db)?;
        Ok(out)
    }

    fn counts(&self) -> Result<Vec<(String, String, u64)>, NetError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT account, kind, count(*) FROM records GROUP BY account, kind
                 ORDER BY account, kind",
            )
            .map_err(db)?;
        let rows = st
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64))
            })
            .map_err(db)?;
        rows.collect::<Result<_, _>>().map_err(db)
    }

    fn keys(&self, account: &str, kind: &str) -> Result<Vec<String>, NetError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT key FROM records WHERE account = ?1 AND kind = ?2 ORDER BY key")
            .map_err(db)?;
        let rows = st
            .query_map(params![account, kind], |r| r.get(0))
            .map_err(db)?;
        rows.collect::<Result<_, _>>().map_err(db)
    }

    fn get(&self, account: &str, kind: &str, key: &str) -> Result<Option<String>, NetError> {
        self.conn
            .query_row(
                "SELECT body FROM records WHERE account = ?1 AND kind = ?2 AND key = ?3",
                params![account, kind, key],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)
    }

    fn all_of(&self, kind: &str) -> Result<Vec<(String, String, String)>, NetError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT account, key, body FROM records WHERE kind = ?1 ORDER BY account, key",
            )
            .map_err(db)?;
        let rows = st
            .query_map(params![kind], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(db)?;
        rows.collect::<Result<_, _>>().map_err(db)
    }
}
