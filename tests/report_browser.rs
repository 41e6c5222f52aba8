//! The report in a real browser: Debian's Chromium, headless, driven by
//! chromedriver over WebDriver (plain HTTP/1.1 and JSON on loopback, a
//! small client below). For a run's page and a sweep's: no console
//! errors (a blocked fetch would be one: the page's Content-Security-
//! Policy reports it), nothing fetched, every plot laid out with a
//! non-zero box, and screenshots that show content (many colours, not
//! blank), kept in a temporary directory, outside the repository.
//!
//! # Without Chromium
//! The test needs `/usr/bin/chromium` and `/usr/bin/chromedriver`
//! (`apt-get install -y chromium chromium-driver`). When either is
//! missing it **fails** if `PARKSIM_REQUIRE_BROWSER=1` (as `.ci/run`
//! sets), and otherwise prints "skipped: no /usr/bin/chromium" (or the
//! driver) and passes, for a developer machine without them.
//!
//! Chromium runs with `--headless --no-sandbox --disable-gpu
//! --disable-quic --no-first-run --disable-background-networking
//! --disable-component-update --disable-sync` and a new, empty
//! `--user-data-dir`: without the background-networking flags it hangs
//! on a machine without network.

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// WebDriver's key for an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("parksim-browser-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn parksim(args: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_parksim"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// One HTTP/1.1 exchange with chromedriver: the JSON of the reply, or
/// the WebDriver error.
fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(120)))
        .map_err(|e| e.to_string())?;
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    // chromedriver keeps the connection open: read the head, then
    // Content-Length bytes (or chunks up to the last).
    let mut raw = Vec::new();
    let mut byte = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = s.read(&mut byte).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!("{method} {path}: no HTTP reply"));
        }
        raw.extend_from_slice(&byte[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_ascii_lowercase();
    let mut body_bytes = raw[head_end + 4..].to_vec();
    let length = head.lines().find_map(|l| {
        l.strip_prefix("content-length:")
            .and_then(|v| v.trim().parse::<usize>().ok())
    });
    let chunked = head.contains("transfer-encoding:") && head.contains("chunked");
    loop {
        let done = match length {
            Some(n) => body_bytes.len() >= n,
            None if chunked => body_bytes.ends_with(b"0\r\n\r\n"),
            None => false,
        };
        if done {
            break;
        }
        let n = s.read(&mut byte).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        body_bytes.extend_from_slice(&byte[..n]);
    }
    let mut payload = String::from_utf8_lossy(&body_bytes).into_owned();
    if chunked {
        payload = dechunk(&payload);
    }
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let v: Value = serde_json::from_str(&payload)
        .map_err(|e| format!("{method} {path}: {e}: {payload:.200}"))?;
    if status != 200 {
        return Err(format!("{method} {path}: HTTP {status}: {v}"));
    }
    Ok(v["value"].clone())
}

fn dechunk(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

/// chromedriver, ended when dropped (the child this test started).
struct Driver {
    child: Child,
    port: u16,
    session: Option<String>,
}

impl Driver {
    fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut d = Driver {
            child,
            port,
            session: None,
        };
        let t = Instant::now();
        loop {
            if let Ok(v) = http(port, "GET", "/status", None)
                && v["ready"] == json!(true)
            {
                break;
            }
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "chromedriver not ready"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tmp("profile");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    format!("--user-data-dir={}", profile.display()),
                    "--window-size=1280,1400",
                ],
            },
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let v = d.call("POST", "/session", Some(&caps));
        d.session = Some(v["sessionId"].as_str().expect("a session id").to_string());
        d
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        http(self.port, method, path, body).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A command of the session.
    fn cmd(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let id = self.session.as_deref().expect("a session");
        self.call(method, &format!("/session/{id}{path}"), body)
    }

    fn browser_log(&self) -> Vec<Value> {
        let v = self.cmd("POST", "/se/log", Some(&json!({"type": "browser"})));
        v.as_array().cloned().unwrap_or_default()
    }

    fn screenshot(&self, path: &str) -> Vec<u8> {
        let b64 = self.cmd("GET", path, None);
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().expect("base64 text"))
            .expect("a base64 PNG")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(id) = self.session.take() {
            let _ = http(self.port, "DELETE", &format!("/session/{id}"), None);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// (distinct colours, share of pixels not near-white, pixels clearly
/// coloured, not grey) of a PNG.
fn colours(png_bytes: &[u8]) -> (usize, f64, usize) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let channels = info.color_type.samples();
    assert!(channels >= 3, "{:?}", info.color_type);
    let px = &buf[..info.buffer_size()];
    let mut seen = std::collections::HashSet::new();
    let (mut ink, mut coloured, mut n) = (0usize, 0usize, 0usize);
    for p in px.chunks(channels) {
        let (r, g, b) = (p[0], p[1], p[2]);
        seen.insert((r, g, b));
        n += 1;
        if r.min(g).min(b) < 235 {
            ink += 1;
        }
        if r.max(g).max(b) - r.min(g).min(b) > 60 {
            coloured += 1;
        }
    }
    (seen.len(), ink as f64 / n.max(1) as f64, coloured)
}

const LAYOUT: &str = r#"
const plots = Array.from(document.querySelectorAll('figure.plot > svg, figure.plot img'));
return {
  plots: plots.map(e => {
    const r = e.getBoundingClientRect();
    return {tag: e.tagName.toLowerCase(), w: r.width, h: r.height,
            shapes: e.tagName.toLowerCase() === 'svg' ? e.querySelectorAll('*').length : 0,
            natural: e.tagName.toLowerCase() === 'img' ? e.naturalWidth : -1};
  }),
  fetched: performance.getEntriesByType('resource').map(r => r.name),
  sections: document.querySelectorAll('section').length,
  tables: document.querySelectorAll('table').length,
  scripts: document.scripts.length,
  title: document.title,
  width: document.documentElement.scrollWidth,
};
"#;

/// Loads `dir/report.html` and checks it (see the module doc).
fn check_page(d: &Driver, dir: &Path, shots: &Path, name: &str) {
    let page = dir.join("report.html");
    let url = format!("file://{}", page.display());
    d.cmd("POST", "/url", Some(&json!({"url": url})));
    let v = d.cmd(
        "POST",
        "/execute/sync",
        Some(&json!({"script": LAYOUT, "args": []})),
    );
    let svgs = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "svg"))
        .count();
    let plots = v["plots"].as_array().unwrap();
    assert!(svgs > 0);
    assert_eq!(plots.len(), svgs, "{name}: plots shown {v}");
    for p in plots {
        let (w, h) = (p["w"].as_f64().unwrap(), p["h"].as_f64().unwrap());
        assert!(w > 300.0 && h > 150.0, "{name}: a plot of {w} x {h}: {p}");
        if p["tag"] == "svg" {
            assert!(
                p["shapes"].as_u64().unwrap() > 20,
                "{name}: an empty plot {p}"
            );
        } else {
            assert!(
                p["natural"].as_u64().unwrap() > 0,
                "{name}: a broken image {p}"
            );
        }
    }
    assert_eq!(v["fetched"], json!([]), "{name}: fetched {}", v["fetched"]);
    assert_eq!(v["scripts"], json!(0));
    assert!(v["sections"].as_u64().unwrap() >= 5, "{name}: {v}");
    assert!(v["tables"].as_u64().unwrap() >= 3, "{name}: {v}");
    assert!(v["title"].as_str().unwrap().starts_with("parksim "));

    let errors: Vec<Value> = d
        .browser_log()
        .into_iter()
        .filter(|e| e["level"] == "SEVERE")
        .collect();
    assert!(errors.is_empty(), "{name}: console errors {errors:?}");

    // The top of the page: text and tables.
    let top = d.screenshot("/screenshot");
    std::fs::write(shots.join(format!("{name}-top.png")), &top).unwrap();
    let (distinct, ink, _) = colours(&top);
    assert!(
        distinct >= 16 && ink > 0.01,
        "{name}: a blank page? {distinct} colours, {ink:.3} ink"
    );
    // The first plot, scrolled into view: lines in colour.
    let fig = d.cmd(
        "POST",
        "/element",
        Some(&json!({"using": "css selector", "value": "figure.plot"})),
    );
    let id = fig[ELEMENT].as_str().expect("an element").to_string();
    let shot = d.screenshot(&format!("/element/{id}/screenshot"));
    std::fs::write(shots.join(format!("{name}-plot.png")), &shot).unwrap();
    let (distinct, ink, coloured) = colours(&shot);
    assert!(
        distinct >= 64 && ink > 0.02 && coloured > 200,
        "{name}: the plot looks empty: {distinct} colours, {ink:.3} ink, {coloured} coloured pixels"
    );
    eprintln!(
        "{name}: {} plots, screenshots in {} ({distinct} colours in the first plot)",
        plots.len(),
        shots.display()
    );
}

const SWEEP: &str = r#"
replications = 2
seed = 3
[grid]
"days" = [1]
"garage.reservable_stalls" = [30, 90]
"flow_control.full_rule" = ["out1in1", "out3in1"]
"#;

#[test]
fn reports_render_in_chromium() {
    let require = std::env::var("PARKSIM_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if !missing.is_empty() {
        assert!(
            !require,
            "PARKSIM_REQUIRE_BROWSER=1 but {} missing: apt-get install -y chromium chromium-driver",
            missing.join(", ")
        );
        eprintln!("skipped: no {}", missing.join(", no "));
        return;
    }
    let root = tmp("pages");
    let run = root.join("run");
    parksim(&["run", "--days", "1", "--out", run.to_str().unwrap()]);
    let file = root.join("sweep.toml");
    std::fs::write(&file, SWEEP).unwrap();
    let sweep = root.join("sweep");
    parksim(&[
        "sweep",
        file.to_str().unwrap(),
        "--out",
        sweep.to_str().unwrap(),
        "--quiet",
    ]);
    let shots = tmp("screenshots");
    let d = Driver::start();
    check_page(&d, &run, &shots, "run");
    check_page(&d, &sweep, &shots, "sweep");

    // The control: a page under the report's policy that tries a fetch
    // leaves a console error, so the check above can see one.
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    let policy = html
        .lines()
        .find(|l| l.contains("Content-Security-Policy"))
        .expect("the report states its policy");
    let control = root.join("control.html");
    std::fs::write(
        &control,
        format!("<!DOCTYPE html><html><head>{policy}</head><body><img src=\"http://192.0.2.1/x.png\"></body></html>"),
    )
    .unwrap();
    let url = format!("file://{}", control.display());
    d.cmd("POST", "/url", Some(&json!({"url": url})));
    let errors: Vec<Value> = d
        .browser_log()
        .into_iter()
        .filter(|e| e["level"] == "SEVERE")
        .collect();
    assert!(
        errors.iter().any(|e| e["message"]
            .as_str()
            .unwrap_or("")
            .contains("Content Security Policy")),
        "a blocked fetch left no console error: {errors:?}"
    );
}
