//! `parksim proto …`: scriptable protocol tools. Output forms are stable:
//! other tools parse them.

use clap::Subcommand;
use parksim::proto::codec::{DecodeError, FrameDecoder, OwnedFrame};
use parksim::proto::envelope::{self, SignStatus};
use parksim::proto::password::DesKey;
use parksim::proto::schema::Issue;
use parksim::proto::{Command, Direction, Mode, ResultCode, SignAlgo, canon, check, sign};
use serde_json::{Map, Value, json};
use std::io::{Read, Write};

#[derive(Subcommand)]
pub enum ProtoCmd {
    /// Print the lowercase hex sign of the JSON value on stdin.
    Sign {
        #[arg(long, default_value = "sha1")]
        algo: SignAlgo,
    },
    /// Wrap the `data` array on stdin in a signed envelope and write one SZTC frame to stdout.
    Encode {
        /// Interface code (e.g. 5004).
        #[arg(long)]
        command: u16,
        #[arg(long, default_value_t = 1)]
        packet_no: u32,
        /// Write a reply envelope (resultCode 0) with direction 1.
        #[arg(long)]
        reply: bool,
        /// Envelope timestamp [s since 1970]; default: now.
        #[arg(long)]
        timestamp: Option<i64>,
        #[arg(long, default_value = "sha1")]
        algo: SignAlgo,
    },
    /// Read concatenated SZTC frames on stdin; print one JSON line per frame or bad stretch.
    Decode {
        /// Report deviations from the tables as errors.
        #[arg(long)]
        strict: bool,
        #[arg(long, default_value = "sha1")]
        algo: SignAlgo,
    },
    /// Print the reply envelope a platform would answer to the request body on stdin.
    Check {
        #[arg(long)]
        command: u16,
        #[arg(long)]
        strict: bool,
        #[arg(long, default_value = "sha1")]
        algo: SignAlgo,
        /// Reply timestamp [s since 1970]; default: now.
        #[arg(long)]
        timestamp: Option<i64>,
    },
    /// DES-CBC/PKCS7 + Base64 a password read from stdin (one trailing newline is ignored).
    Password {
        /// The 8-byte key the platform assigned.
        #[arg(long)]
        key: String,
        /// The 8-byte IV (default: the key).
        #[arg(long)]
        iv: Option<String>,
        /// Decrypt Base64 ciphertext instead.
        #[arg(long)]
        decrypt: bool,
    },
}

fn read_stdin() -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    std::io::stdin()
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    Ok(buf)
}

fn known_command(code: u16) -> Result<Command, String> {
    Command::from_code(code).ok_or_else(|| {
        let all: Vec<String> = Command::ALL.iter().map(|c| c.code().to_string()).collect();
        format!(
            "unknown interface code {code}; the standard defines {}",
            all.join(", ")
        )
    })
}

fn write_out(bytes: &[u8]) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .map_err(|e| format!("cannot write stdout: {e}"))
}

pub fn run(cmd: ProtoCmd) -> Result<i32, String> {
    match cmd {
        ProtoCmd::Sign { algo } => {
            let s = sign::sign_slice(algo, &read_stdin()?)
                .map_err(|e| format!("stdin is not valid JSON: {e}"))?;
            println!("{s}");
            Ok(0)
        }
        ProtoCmd::Encode {
            command,
            packet_no,
            reply,
            timestamp,
            algo,
        } => {
            let cmd = known_command(command)?;
            let input = read_stdin()?;
            let node = canon::parse(&input).map_err(|e| format!("stdin is not valid JSON: {e}"))?;
            if !matches!(node, canon::Node::Arr(_)) {
                return Err("stdin must be the `data` array (a JSON list)".into());
            }
            if packet_no == 0 || packet_no > i32::MAX as u32 {
                return Err(format!("--packet-no must be in 1..={}", i32::MAX));
            }
            let ts = timestamp.unwrap_or_else(super::wall_clock_secs);
            let data = node.canonical();
            let (dir, body) = if reply {
                (
                    Direction::Reply,
                    envelope::reply_body(ResultCode::Ok, ResultCode::Ok.message(), ts, &data),
                )
            } else {
                (Direction::Request, envelope::request_body(&data, ts, algo))
            };
            // Warn about what a platform would refuse, but encode anyway:
            // the tool also makes bad messages on purpose.
            let d = envelope::decode(cmd.code(), dir, &body, algo, Mode::Lenient);
            for e in &d.errors {
                eprintln!(
                    "parksim: warning: {} {}: {}",
                    e.code.code(),
                    e.path,
                    e.message
                );
            }
            if body.len() > parksim::proto::frame::MAX_DATA_LEN {
                return Err("the envelope exceeds the 10 MiB frame limit".into());
            }
            write_out(&envelope::frame_bytes(cmd.code(), packet_no, dir, &body))?;
            Ok(0)
        }
        ProtoCmd::Decode { strict, algo } => {
            decode(if strict { Mode::Strict } else { Mode::Lenient }, algo)
        }
        ProtoCmd::Check {
            command,
            strict,
            algo,
            timestamp,
        } => {
            let body = read_stdin()?;
            let ts = timestamp.unwrap_or_else(super::wall_clock_secs);
            let mode = if strict { Mode::Strict } else { Mode::Lenient };
            let verdict = check::check_request(command, &body, algo, mode, ts);
            println!("{}", verdict.reply);
            Ok(if verdict.accepted { 0 } else { 1 })
        }
        ProtoCmd::Password { key, iv, decrypt } => {
            let k = match iv {
                Some(iv) => DesKey::with_iv(key.as_bytes(), iv.as_bytes()),
                None => DesKey::new(key.as_bytes()),
            }
            .map_err(|e| e.to_string())?;
            let input =
                String::from_utf8(read_stdin()?).map_err(|_| "stdin is not UTF-8".to_string())?;
            let input = input.strip_suffix('\n').unwrap_or(&input);
            let input = input.strip_suffix('\r').unwrap_or(input);
            if decrypt {
                println!("{}", k.decrypt(input).map_err(|e| e.to_string())?);
            } else {
                println!("{}", k.encrypt(input));
            }
            Ok(0)
        }
    }
}

fn issues_json(list: &[Issue]) -> Value {
    Value::Array(
        list.iter()
            .map(|i| json!({"code": i.code.code(), "path": i.path, "message": i.message}))
            .collect(),
    )
}

fn frame_line(f: &OwnedFrame, mode: Mode, algo: SignAlgo) -> (Value, bool) {
    let d = envelope::decode(f.command, f.direction, &f.data, algo, mode);
    let mut m = Map::new();
    m.insert("packetNo".into(), Value::from(f.packet_no));
    m.insert("command".into(), Value::from(f.command));
    m.insert("direction".into(), Value::from(f.direction.byte()));
    m.insert(
        "version".into(),
        Value::String(format!("{}.{}", f.version.0, f.version.1)),
    );
    m.insert("signValid".into(), Value::Bool(d.sign.is_valid()));
    if d.sign == SignStatus::NotSigned {
        m.insert("signed".into(), Value::Bool(false));
    }
    m.insert("deviations".into(), issues_json(&d.deviations));
    m.insert("errors".into(), issues_json(&d.errors));
    m.insert("offset".into(), Value::from(f.offset));
    m.insert("body".into(), d.body.clone());
    let good = d.sign.is_valid() && d.errors.is_empty();
    (Value::Object(m), good)
}

fn error_line(e: &DecodeError) -> Value {
    json!({"error": e.to_string(), "offset": e.offset()})
}

fn decode(mode: Mode, algo: SignAlgo) -> Result<i32, String> {
    let mut dec = FrameDecoder::new();
    let mut stdin = std::io::stdin().lock();
    let mut out = std::io::stdout().lock();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut all_good = true;
    let emit = |line: Value, out: &mut std::io::StdoutLock| -> Result<(), String> {
        writeln!(out, "{line}").map_err(|e| format!("cannot write stdout: {e}"))
    };
    let mut eof = false;
    while !eof {
        let n = stdin
            .read(&mut chunk)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        if n == 0 {
            eof = true;
        } else {
            dec.feed(&chunk[..n]);
        }
        loop {
            let r = if eof { dec.decode_eof() } else { dec.decode() };
            match r {
                Ok(Some(f)) => {
                    let (line, good) = frame_line(&f, mode, algo);
                    all_good &= good;
                    emit(line, &mut out)?;
                }
                Ok(None) => break,
                Err(e) => {
                    all_good = false;
                    emit(error_line(&e), &mut out)?;
                }
            }
        }
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(if all_good { 0 } else { 1 })
}
