//! `parksim platform …` and `parksim garage connect`: the network side
//! (parksim::net) from the command line. Reads the wall clock, files and
//! the terminal; the library does the rest.

use clap::{Args, Subcommand};
use parksim::net::{self, client, garage, server, store::SqliteStore, tls};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

const DEFAULT_ADMIN: &str = "http://127.0.0.1:8080";
/// The latest a `platform script` line may be due [s after the start]:
/// a year.
const MAX_SCRIPT_SECS: f64 = 365.0 * 86_400.0;

#[derive(Subcommand)]
pub enum PlatformCmd {
    /// Run a platform: SZTC over TCP and/or the HTTP interface, TLS optional.
    Serve {
        /// TCP (SZTC frames) listen address, e.g. 0.0.0.0:9000.
        #[arg(long)]
        tcp: Option<String>,
        /// HTTP listen address, e.g. 0.0.0.0:8080 (protocol, /status, /admin/downlink).
        #[arg(long)]
        http: Option<String>,
        /// TLS certificate chain (PEM) for both listeners.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// TLS private key (PEM).
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Accounts file (TOML, [[account]] user_id, password, des_key, park_codes).
        #[arg(long)]
        accounts: PathBuf,
        /// SQLite database holding every acknowledged record.
        #[arg(long, default_value = "parksim-platform.db")]
        db: PathBuf,
        /// Strict reading: deviations from the tables are errors.
        #[arg(long)]
        strict: bool,
        /// Token required for /status and /admin/* (from every peer,
        /// loopback included, unless --admin-loopback).
        #[arg(long)]
        admin_token: Option<String>,
        /// Let loopback peers use /status and /admin/* without the token.
        #[arg(long)]
        admin_loopback: bool,
        /// Serve /status and /admin/* on this address only (not on --http).
        #[arg(long)]
        admin_listen: Option<String>,
        /// Connections open at once, all listeners together.
        #[arg(long, default_value_t = 1024)]
        max_connections: usize,
        /// Seconds a TCP connection has to log in (1004) after opening.
        #[arg(long, default_value_t = 10)]
        login_timeout: u64,
        /// Largest distance of a login's timestamp from this clock [s]
        /// (lenient: counted; --strict: refused).
        #[arg(long, default_value_t = 600)]
        login_window: i64,
    },
    /// Print a running platform's status (GET /status).
    Status {
        #[command(flatten)]
        admin: AdminArgs,
    },
    /// Send 6001 (book) to a connected garage and print its reply.
    Book {
        #[command(flatten)]
        admin: AdminArgs,
        #[arg(long)]
        book_code: String,
        #[arg(long)]
        plate: String,
        /// bookTime, "yyyy-MM-dd HH:mm:ss".
        #[arg(long)]
        book_time: String,
        /// overTime, "yyyy-MM-dd HH:mm:ss".
        #[arg(long)]
        over_time: String,
        /// obligatTime [min].
        #[arg(long, default_value_t = 30)]
        obligat_min: i64,
        /// 1 new booking, 2 change.
        #[arg(long, default_value_t = 1)]
        operate_type: i64,
        #[arg(long, default_value = "44030400100101000010")]
        park_code: String,
    },
    /// Send 6002 with confirmStatus 0 (cancel a booking).
    Cancel {
        #[command(flatten)]
        admin: AdminArgs,
        #[arg(long)]
        book_code: String,
        #[arg(long, default_value = "44030400100101000010")]
        park_code: String,
    },
    /// Send 4002 (a coupon).
    Coupon {
        #[command(flatten)]
        admin: AdminArgs,
        #[arg(long)]
        coupon_no: String,
        #[arg(long)]
        plate: String,
        /// 1 amount, 2 hours, 3 fraction, 4 free.
        #[arg(long, default_value_t = 1)]
        coupon_type: i64,
        #[arg(long)]
        value: String,
        /// "yyyy-MM-dd HH:mm:ss".
        #[arg(long)]
        time: String,
    },
    /// Send 4001 (a control list entry; strategy 1 = no entry).
    Blacklist {
        #[command(flatten)]
        admin: AdminArgs,
        #[arg(long)]
        id: String,
        #[arg(long)]
        plate: String,
        /// 1 no entry, 2 entry but no exit, 3 neither, 4 warn, 5 free.
        #[arg(long, default_value_t = 1)]
        strategy: i64,
        /// endDate, "yyyy-MM-dd HH:mm:ss".
        #[arg(long)]
        until: String,
        /// 1 normal, 2 delete.
        #[arg(long, default_value_t = 1)]
        status: i64,
        #[arg(long, default_value = "44030400100101000010")]
        park_code: String,
    },
    /// Send downlinks from a script: one per line, `SECONDS USER CODE DATA-JSON`
    /// (SECONDS after the start; `#` comments).
    Script {
        #[command(flatten)]
        admin: AdminArgs,
        file: PathBuf,
    },
}

#[derive(Args)]
pub struct AdminArgs {
    /// The platform's HTTP address.
    #[arg(long, default_value = DEFAULT_ADMIN)]
    url: String,
    /// The garage account (user_id) to send to (not used by status/script).
    #[arg(long, default_value = "garage-1")]
    user: String,
    /// CA certificate (PEM) to trust for https:// URLs.
    #[arg(long)]
    tls_ca: Option<PathBuf>,
    /// Admin token (needed from non-loopback hosts).
    #[arg(long)]
    admin_token: Option<String>,
    /// How long to wait for the garage's reply [ms].
    #[arg(long, default_value_t = 5000)]
    wait_ms: u64,
}

#[derive(Subcommand)]
pub enum GarageCmd {
    /// Run a scenario's simulated garage against a real platform.
    Connect {
        /// Platform's TCP address (SZTC frames), host:port.
        #[arg(long, conflicts_with = "http", required_unless_present = "http")]
        tcp: Option<String>,
        /// Platform's HTTP base URL, e.g. https://host:8443/api.
        #[arg(long)]
        http: Option<String>,
        /// Accounts file; the first [[account]] is this garage's.
        #[arg(long)]
        account: PathBuf,
        /// Scenario file (default: the embedded hospital scenario).
        scenario: Option<PathBuf>,
        /// `realtime` or N simulated seconds per wall second.
        #[arg(long, default_value = "realtime")]
        speed: String,
        /// TLS: trust this CA (PEM); on TCP this turns TLS on.
        #[arg(long)]
        tls_ca: Option<PathBuf>,
        /// TLS: the name on the platform's certificate (default: the host).
        #[arg(long)]
        server_name: Option<String>,
        /// Override a scenario key, e.g. --set days=1 (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))
}

fn read(p: &PathBuf) -> Result<Vec<u8>, String> {
    std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
}

fn addr(s: &Option<String>) -> Result<Option<std::net::SocketAddr>, String> {
    s.as_ref()
        .map(|a| a.parse().map_err(|e| format!("bad address {a:?}: {e}")))
        .transpose()
}

pub fn platform(cmd: PlatformCmd) -> Result<i32, String> {
    match cmd {
        PlatformCmd::Serve {
            tcp,
            http,
            tls_cert,
            tls_key,
            accounts,
            db,
            strict,
            admin_token,
            admin_loopback,
            admin_listen,
            max_connections,
            login_timeout,
            login_window,
        } => {
            let text = String::from_utf8(read(&accounts)?)
                .map_err(|_| format!("{}: not UTF-8", accounts.display()))?;
            let accounts = net::parse_accounts(&text).map_err(|e| e.0)?;
            if accounts.is_empty() {
                return Err("the accounts file has no [[account]]".into());
            }
            let tls = match (tls_cert, tls_key) {
                (Some(c), Some(k)) => Some(tls::server_config_files(&c, &k).map_err(|e| e.0)?),
                _ => None,
            };
            let cfg = server::ServerConfig {
                tcp: addr(&tcp)?,
                http: addr(&http)?,
                tls,
                accounts,
                strict,
                admin_token,
                admin_loopback,
                admin: addr(&admin_listen)?,
                max_connections,
                login_timeout: std::time::Duration::from_secs(login_timeout),
                login_window: Some(login_window),
                ..server::ServerConfig::default()
            };
            let store = SqliteStore::open(&db).map_err(|e| e.0)?;
            runtime()?.block_on(async move {
                let s = server::Server::start(cfg, Box::new(store))
                    .await
                    .map_err(|e| e.0)?;
                if let Some(a) = s.tcp_addr {
                    eprintln!("parksim platform: SZTC on {a}");
                }
                if let Some(a) = s.admin_addr {
                    eprintln!("parksim platform: admin on {a} (/status, /admin/downlink)");
                }
                if let Some(a) = s.http_addr {
                    eprintln!(
                        "parksim platform: HTTP on {a} (/api/1.0/CODE, /status, /admin/downlink)"
                    );
                }
                // Every acknowledged record is committed before its answer
                // is written, so stopping the process (Ctrl-C, kill) is safe.
                eprintln!(
                    "parksim platform: records in {}; Ctrl-C stops",
                    db.display()
                );
                std::future::pending::<()>().await;
                s.shutdown();
                Ok(0)
            })
        }
        PlatformCmd::Status { admin } => {
            let (status, body) = admin_call(&admin, "GET", "/status", Vec::new())?;
            println!("{}", String::from_utf8_lossy(&body));
            Ok(if status == 200 { 0 } else { 1 })
        }
        PlatformCmd::Book {
            admin,
            book_code,
            plate,
            book_time,
            over_time,
            obligat_min,
            operate_type,
            park_code,
        } => send(
            &admin,
            6001,
            json!({
                "bookCode": book_code, "bookTime": book_time, "carInfo": {"plateNo": plate},
                "obligatTime": obligat_min, "operateType": operate_type,
                "overTime": over_time, "parkCode": park_code,
            }),
        ),
        PlatformCmd::Cancel {
            admin,
            book_code,
            park_code,
        } => send(
            &admin,
            6002,
            json!({"bookCode": book_code, "confirmStatus": 0, "parkCode": park_code}),
        ),
        PlatformCmd::Coupon {
            admin,
            coupon_no,
            plate,
            coupon_type,
            value,
            time,
        } => {
            let v = coupon_value(&value)?;
            send(
                &admin,
                4002,
                json!({"couponNo": coupon_no, "couponType": coupon_type, "couponValue": v,
                       "plateNo": plate, "time": time}),
            )
        }
        PlatformCmd::Blacklist {
            admin,
            id,
            plate,
            strategy,
            until,
            status,
            park_code,
        } => send(
            &admin,
            4001,
            json!({"blackWhiteGraySheet": {"carInfo": {"plateNo": plate}, "endDate": until,
                    "id": id, "parkCode": park_code, "strategyFrom": "parksim",
                    "strategyType": strategy}, "status": status}),
        ),
        PlatformCmd::Script { admin, file } => script(&admin, &file),
    }
}

fn client_tls(
    ca: &Option<PathBuf>,
) -> Result<Option<std::sync::Arc<rustls::ClientConfig>>, String> {
    ca.as_ref()
        .map(|p| tls::client_config(&read(p)?).map_err(|e| e.0))
        .transpose()
}

fn admin_call(
    a: &AdminArgs,
    method: &str,
    path: &str,
    body: Vec<u8>,
) -> Result<(u16, Vec<u8>), String> {
    let tls = client_tls(&a.tls_ca)?;
    let auth = a.admin_token.as_ref().map(|t| format!("Bearer {t}"));
    runtime()?
        .block_on(client::once(
            &a.url,
            tls.as_ref(),
            method,
            path,
            auth.as_deref(),
            body,
        ))
        .map_err(|e| e.0)
}

fn send_to(a: &AdminArgs, user: &str, command: u16, item: Value) -> Result<(u16, Value), String> {
    let body = json!({"user_id": user, "command": command, "data": [item], "wait_ms": a.wait_ms});
    let (status, out) = admin_call(a, "POST", "/admin/downlink", body.to_string().into_bytes())?;
    let v: Value = serde_json::from_slice(&out).unwrap_or(Value::Null);
    Ok((status, v))
}

/// `--value` of a coupon: a JSON number literal (the digits go on the wire
/// as typed, `5.50` stays `5.50`), not negative, and within what a garage
/// reads a `couponValue` as: a 16-byte Decimal (at most 28 decimals, below
/// about 7.9e28), read by the same reader the garage uses
/// ([`parksim::proto::number::decimal`]). `NaN`, `inf`, `+1`, `.5`, `-0`,
/// `1e30` or 29 decimals would make the 4002 body invalid JSON or a value
/// no garage can read, so they are refused before anything is sent.
fn coupon_value(text: &str) -> Result<Value, String> {
    let bad = |why: &str| format!("--value {text:?}: {why}");
    let t = text.trim();
    serde_json::from_str::<serde_json::Number>(t)
        .map_err(|_| bad("not a JSON number (digits, an optional fraction and exponent)"))?;
    if t.starts_with('-') {
        return Err(bad("a coupon's value cannot be negative"));
    }
    parksim::proto::number::decimal(t).map_err(|_| {
        bad("out of the range a garage reads (a decimal of at most 28 places, below 7.9e28)")
    })?;
    // Valid JSON, so the literal itself goes on the wire (serde would
    // write `1e2` as `1e+2`).
    Ok(Value::Number(serde_json::Number::from_string_unchecked(
        text.trim().to_string(),
    )))
}

fn send(a: &AdminArgs, command: u16, item: Value) -> Result<i32, String> {
    let (status, v) = send_to(a, &a.user, command, item)?;
    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    Ok(if status == 200 { 0 } else { 1 })
}

fn script(a: &AdminArgs, file: &PathBuf) -> Result<i32, String> {
    let text = String::from_utf8(read(file)?).map_err(|_| "script: not UTF-8".to_string())?;
    let start = std::time::Instant::now();
    let mut failed = 0;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |m: &str| format!("{}:{}: {m}", file.display(), n + 1);
        let mut parts = line.splitn(4, char::is_whitespace);
        let (Some(at), Some(user), Some(code), Some(data)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected SECONDS USER CODE DATA-JSON"));
        };
        let at: f64 = at
            .parse()
            .ok()
            .filter(|s: &f64| s.is_finite() && *s <= MAX_SCRIPT_SECS)
            .ok_or_else(|| {
                bad(&format!(
                    "SECONDS is not a number of seconds from 0 to {MAX_SCRIPT_SECS}"
                ))
            })?;
        let code: u16 = code.parse().map_err(|_| bad("CODE is not a number"))?;
        let item: Value =
            serde_json::from_str(data.trim()).map_err(|e| bad(&format!("DATA: {e}")))?;
        let due = Duration::from_secs_f64(at.max(0.0));
        if let Some(left) = due.checked_sub(start.elapsed()) {
            std::thread::sleep(left);
        }
        let (status, v) = send_to(a, user, code, item)?;
        println!(
            "{:.3} {user} {code} -> {status} {v}",
            start.elapsed().as_secs_f64()
        );
        if status != 200 {
            failed += 1;
        }
    }
    Ok(if failed == 0 { 0 } else { 1 })
}

pub fn garage(cmd: GarageCmd) -> Result<i32, String> {
    let GarageCmd::Connect {
        tcp,
        http,
        account,
        scenario,
        speed,
        tls_ca,
        server_name,
        sets,
    } = cmd;
    let text = String::from_utf8(read(&account)?)
        .map_err(|_| format!("{}: not UTF-8", account.display()))?;
    let acct = net::parse_accounts(&text)
        .map_err(|e| e.0)?
        .into_iter()
        .next()
        .ok_or_else(|| format!("{}: no [[account]]", account.display()))?;
    let (label, stext) = super::scenario_text(&scenario)?;
    let scn =
        parksim::scenario::Scenario::from_toml_with_overrides(&stext, &sets).map_err(|errs| {
            errs.iter()
                .map(|e| format!("{label}: {e}"))
                .collect::<Vec<_>>()
                .join("\n")
        })?;
    let speed = match speed.as_str() {
        "realtime" => 1.0,
        s => match s.parse::<f64>() {
            Ok(v) if v > 0.0 && v.is_finite() => v,
            _ => return Err(format!("--speed {s:?}: `realtime` or a positive number")),
        },
    };
    let tape = parksim::sim::run::garage_tape(&scn).map_err(|e| e.to_string())?;
    let target = match (tcp, http) {
        (Some(a), _) => garage::Target::Tcp(a),
        (None, Some(u)) => garage::Target::Http(client::Url::parse(&u).map_err(|e| e.0)?),
        (None, None) => return Err("give --tcp ADDR or --http URL".into()),
    };
    let mut cfg = garage::GarageConfig::new(target, acct);
    cfg.tls = client_tls(&tls_ca)?;
    cfg.server_name = server_name;
    cfg.speed = speed;
    eprintln!(
        "parksim garage: {} records from {label} at {speed}x",
        tape.info.len() + tape.events.len()
    );
    let r = runtime()?
        .block_on(garage::run(cfg, tape))
        .map_err(|e| e.0)?;
    println!(
        "records {}  acknowledged {}  refused {}  resent {}  connections {}  heartbeats {}  downlinks answered {}  p99 reply {:.1} ms  wall {:.1} s",
        r.records,
        r.acked,
        r.refused,
        r.resent,
        r.connections,
        r.heartbeats,
        r.downlinks_answered,
        r.latency_percentile(99.0) as f64 / 1000.0,
        r.wall.as_secs_f64()
    );
    Ok(if r.complete && r.refused == 0 { 0 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::coupon_value;

    #[test]
    fn a_coupon_value_is_a_finite_non_negative_json_number() {
        for ok in [
            "5",
            "5.50",
            "0",
            "0.85",
            "1e2",
            "12.345",
            "1e28",
            "0.0000000000000000000000000001",
        ] {
            let v = coupon_value(ok).unwrap();
            // Written back as typed, and valid JSON that reads as the same number.
            assert_eq!(v.to_string(), ok);
            let back: serde_json::Value = serde_json::from_str(&v.to_string()).unwrap();
            assert_eq!(back.as_f64(), ok.parse::<f64>().ok());
        }
        for bad in [
            "NaN",
            "nan",
            "inf",
            "-inf",
            "infinity",
            "+1",
            ".5",
            "5.",
            "1e999",
            "-3",
            "five",
            "",
            "1 2",
            "-0",
            "-0.0",
            "1e30",
            "79228162514264337593543950336",
            "0.00000000000000000000000000001",
            "1.5e-99999999999999999999",
        ] {
            assert!(coupon_value(bad).is_err(), "{bad:?} accepted");
        }
    }
}
