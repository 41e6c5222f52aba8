//! The network commands as a user runs them: `parksim platform serve` as a
//! child process (killed and restarted), `parksim garage connect`,
//! `parksim platform status` and `book`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_parksim");

fn dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("parksim-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const ACCOUNTS: &str = r#"
[[account]]
user_id = "garage-1"
password = "secret"
des_key = "12345678"
park_codes = ["44030400100101000010"]
"#;

struct Platform {
    child: Child,
    tcp: String,
    http: String,
}

impl Drop for Platform {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `parksim platform serve` on free ports; reads them from stderr.
fn serve(d: &std::path::Path, tcp: &str, http: &str) -> Platform {
    let mut child = Command::new(BIN)
        .args([
            "platform",
            "serve",
            "--tcp",
            tcp,
            "--http",
            http,
            // The admin commands below come from loopback without a token.
            "--admin-loopback",
            "--accounts",
        ])
        .arg(d.join("accounts.toml"))
        .arg("--db")
        .arg(d.join("platform.db"))
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let err = child.stderr.take().unwrap();
    let mut lines = BufReader::new(err).lines();
    let (mut t, mut h) = (None, None);
    while t.is_none() || h.is_none() {
        let line = lines
            .next()
            .expect("the platform's start-up lines")
            .unwrap();
        if let Some(a) = line.strip_prefix("parksim platform: SZTC on ") {
            t = Some(a.trim().to_string());
        }
        if let Some(rest) = line.strip_prefix("parksim platform: HTTP on ") {
            h = rest.split_whitespace().next().map(str::to_string);
        }
    }
    // Keep draining stderr so the child never blocks on it.
    std::thread::spawn(move || for _ in lines {});
    Platform {
        child,
        tcp: t.unwrap(),
        http: h.unwrap(),
    }
}

fn run(args: &[&str], limit: Duration) -> (i32, String) {
    let mut c = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(_s) = c.try_wait().unwrap() {
            let out = c.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr);
            return (out.status.code().unwrap_or(-1), text);
        }
        if start.elapsed() > limit {
            let _ = c.kill();
            panic!("{args:?} did not finish in {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn status(http: &str) -> serde_json::Value {
    let (code, out) = run(
        &["platform", "status", "--url", &format!("http://{http}")],
        Duration::from_secs(30),
    );
    assert_eq!(code, 0, "{out}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn serve_connect_kill_restart_status_book() {
    let d = dir("e2e");
    std::fs::write(d.join("accounts.toml"), ACCOUNTS).unwrap();
    let p = serve(&d, "127.0.0.1:0", "127.0.0.1:0");
    let account = d.join("accounts.toml");
    // A hospital garage-day at 40 000x (about 2 s).
    let (code, out) = run(
        &[
            "garage",
            "connect",
            "--tcp",
            &p.tcp,
            "--account",
            account.to_str().unwrap(),
            "--speed",
            "40000",
            "--set",
            "days=1",
            "--set",
            "warmup_days=0",
        ],
        Duration::from_secs(120),
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("refused 0"), "{out}");
    let st = status(&p.http);
    let entries = st["records"]["garage-1"]["5004"].as_u64().unwrap();
    let exits = st["records"]["garage-1"]["5005"].as_u64().unwrap();
    assert!(entries > 500, "{st}");

    // Killed (SIGKILL), restarted on the same database: nothing lost.
    let (tcp, http) = (p.tcp.clone(), p.http.clone());
    drop(p);
    let p = serve(&d, &tcp, &http);
    let st = status(&p.http);
    assert_eq!(st["records"]["garage-1"]["5004"].as_u64(), Some(entries));
    assert_eq!(st["records"]["garage-1"]["5005"].as_u64(), Some(exits));
    // The same day again: every record a duplicate, none stored twice.
    let (code, out) = run(
        &[
            "garage",
            "connect",
            "--tcp",
            &p.tcp,
            "--account",
            account.to_str().unwrap(),
            "--speed",
            "40000",
            "--set",
            "days=1",
            "--set",
            "warmup_days=0",
        ],
        Duration::from_secs(120),
    );
    assert_eq!(code, 0, "{out}");
    let st = status(&p.http);
    assert_eq!(st["records"]["garage-1"]["5004"].as_u64(), Some(entries));
    assert!(st["duplicates"].as_u64().unwrap() >= entries + exits);

    // A downlink to a garage that is not connected: a clear error, exit 1.
    let (code, out) = run(
        &[
            "platform",
            "book",
            "--url",
            &format!("http://{}", p.http),
            "--user",
            "garage-1",
            "--book-code",
            "YD1",
            "--plate",
            "粤B1",
            "--book-time",
            "2026-11-02 08:00:00",
            "--over-time",
            "2026-11-02 10:00:00",
        ],
        Duration::from_secs(30),
    );
    assert_eq!(code, 1);
    assert!(out.contains("not connected"), "{out}");
}

#[test]
fn bad_accounts_file_is_a_clear_error() {
    let d = dir("badacct");
    std::fs::write(
        d.join("accounts.toml"),
        "[[account]]\nuser_id = \"g\"\npassword = \"p\"\ndes_key = \"short\"\n",
    )
    .unwrap();
    let (code, out) = run(
        &[
            "platform",
            "serve",
            "--tcp",
            "127.0.0.1:0",
            "--accounts",
            d.join("accounts.toml").to_str().unwrap(),
        ],
        Duration::from_secs(30),
    );
    assert_eq!(code, 1);
    assert!(out.contains("des_key"), "{out}");
}

#[test]
fn downlinks_from_the_command_line_reach_a_connected_garage() {
    let d = dir("downlinks");
    std::fs::write(d.join("accounts.toml"), ACCOUNTS).unwrap();
    let p = serve(&d, "127.0.0.1:0", "127.0.0.1:0");
    let account = d.join("accounts.toml");
    // A garage in real time (it would run a day): killed at the end.
    let mut garage = Command::new(BIN)
        .args(["garage", "connect", "--tcp", &p.tcp, "--account"])
        .arg(&account)
        .args(["--set", "days=1", "--set", "warmup_days=0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while status(&p.http)["garages"]
        .as_array()
        .is_none_or(|g| g.iter().all(|g| g["user_id"].is_null()))
    {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the garage logged in"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let url = format!("http://{}", p.http);
    let (code, out) = run(
        &[
            "platform",
            "book",
            "--url",
            &url,
            "--user",
            "garage-1",
            "--book-code",
            "CLI1",
            "--plate",
            "粤B00001",
            "--book-time",
            "2026-11-02 08:00:00",
            "--over-time",
            "2026-11-02 09:00:00",
        ],
        Duration::from_secs(30),
    );
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["reply"]["code"], 0, "{v}");
    assert_eq!(v["reply"]["bookCode"], "CLI1");
    // A script: cancel it at once, then a control list entry after 0.2 s.
    let script = d.join("downlinks.txt");
    std::fs::write(
        &script,
        "# seconds user code data\n\
         0 garage-1 6002 {\"bookCode\":\"CLI1\",\"confirmStatus\":0,\"parkCode\":\"44030400100101000010\"}\n\
         0.2 garage-1 4001 {\"blackWhiteGraySheet\":{\"carInfo\":{\"plateNo\":\"粤B00002\"},\"endDate\":\"2026-12-31 00:00:00\",\"id\":\"L1\",\"parkCode\":\"44030400100101000010\",\"strategyFrom\":\"cli\",\"strategyType\":1},\"status\":1}\n",
    )
    .unwrap();
    let (code, out) = run(
        &[
            "platform",
            "script",
            "--url",
            &url,
            script.to_str().unwrap(),
        ],
        Duration::from_secs(30),
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.lines().all(|l| l.contains("-> 200")), "{out}");
    let st = status(&p.http);
    assert_eq!(st["records"]["garage-1"]["6001r"], 1);
    assert_eq!(st["records"]["garage-1"]["6002r"], 1);
    assert_eq!(st["records"]["garage-1"]["4001r"], 1);
    // SECONDS that no wait can take are refused by line, nothing sent.
    for at in ["inf", "NaN", "1e300", "31536001"] {
        let bad = d.join("bad.txt");
        std::fs::write(
            &bad,
            format!("{at} garage-1 6002 {{\"bookCode\":\"CLI1\",\"confirmStatus\":0,\"parkCode\":\"44030400100101000010\"}}\n"),
        )
        .unwrap();
        let (code, out) = run(
            &["platform", "script", "--url", &url, bad.to_str().unwrap()],
            Duration::from_secs(30),
        );
        assert_eq!(code, 1, "{at}: {out}");
        assert!(out.contains("bad.txt:1: SECONDS"), "{at}: {out}");
        assert!(!out.contains("panicked"), "{at}: {out}");
    }
    assert_eq!(status(&p.http)["records"]["garage-1"]["6002r"], 1);
    let _ = garage.kill();
    let _ = garage.wait();
}
