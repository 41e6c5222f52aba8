//! Speed near the floor: one table from one run, the runs interleaved
//! round by round (median of the rounds reported, min and max beside it).
//! Each simulation runs in a fresh child process (`--only`) and is timed
//! there, scenario read first; the floors are timed in this process.
//!
//! - the month (benches/month/month.toml: 30 days, 300 stalls, Poisson
//!   85 cars/h, one 6-s gate, lognormal stays mean 180 min sd 90 min, no
//!   bookings) as a bare binary-heap DES (benches/month/bare.rs), as
//!   parksim with frames off and with frames on, and in SimPy when
//!   `PARKSIM_SIMPY` names a Python with simpy installed
//!   (benches/month/requirements.txt; the script's own timing is used);
//! - the default hospital garage-day (`days = 1`, `warmup_days = 0`), frames
//!   on and off;
//! - the hashing floor of each run with frames: exactly the bytes the run
//!   put on the link (`sim::run::sent_frames`), each frame CRC'd twice
//!   (sender, receiver) and each signed request's `data` SHA1'd twice (sign,
//!   verify; replies carry no sign), with nothing else.
//!
//! `cargo bench --bench floor` (5 rounds; `PARKSIM_ROUNDS=n` for another
//! count); `cargo bench --bench floor -- --smoke`: one round, no SimPy
//! unless asked, the same table and ratios (CI; no time is asserted).

#[path = "month/bare.rs"]
mod bare;

use parksim::proto::frame::{CRC16, field};
use parksim::proto::sign::{SignAlgo, digest_hex_into};
use parksim::scenario::Scenario;
use parksim::sim::run::{RunOptions, run, sent_frames};
use std::hint::black_box;
use std::ops::Range;
use std::time::Instant;

/// The allocator the `parksim` binary runs with, so the figures match it.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const MONTH: &str = include_str!("month/month.toml");

fn scenario(base: &str, sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    Scenario::from_toml_with_overrides(base, &sets).unwrap()
}

/// The bytes of a run's frames, and where each signed request's `data` is.
struct Wire {
    frames: Vec<(Vec<u8>, Option<Range<usize>>)>,
    signed: usize,
    bytes: usize,
}

impl Wire {
    fn of(scn: &Scenario) -> (Wire, u64) {
        let (res, frames) = sent_frames(scn).unwrap();
        let mut signed = 0;
        let mut bytes = 0;
        let frames: Vec<_> = frames
            .into_iter()
            .map(|f| {
                bytes += f.len();
                let r = data_range(&f);
                signed += usize::from(r.is_some());
                (f, r)
            })
            .collect();
        assert_eq!(frames.len() as u64, res.summary.frames_sent_total);
        (
            Wire {
                frames,
                signed,
                bytes,
            },
            res.summary.frames_sent_total,
        )
    }

    /// Sign and verify every signed `data`, CRC every frame at both ends.
    #[inline(never)]
    fn floor(&self) -> u64 {
        let mut acc = 0u64;
        let mut hex = Vec::with_capacity(40);
        for (f, data) in &self.frames {
            let covered = &f[..f.len() - 2];
            acc = acc.wrapping_add(u64::from(CRC16.checksum(black_box(covered))));
            acc = acc.wrapping_add(u64::from(CRC16.checksum(black_box(covered))));
            if let Some(r) = data {
                for _ in 0..2 {
                    hex.clear();
                    digest_hex_into(SignAlgo::Sha1, black_box(&f[r.clone()]), &mut hex);
                    acc = acc.wrapping_add(u64::from(hex[0]));
                }
            }
        }
        acc
    }
}

/// The `data` array of a signed request frame: the body is
/// `{"data":[…],"sign":"…","timestamp":N}`.
fn data_range(f: &[u8]) -> Option<Range<usize>> {
    let body = &f[field::HEADER_LEN..f.len() - 2];
    let rest = body.strip_prefix(b"{\"data\":")?;
    let pat = b",\"sign\":\"";
    let at = rest.windows(pat.len()).rposition(|w| w == pat)?;
    let start = field::HEADER_LEN + 8;
    Some(start..start + at)
}

struct Timed {
    name: &'static str,
    secs: Vec<f64>,
}

impl Timed {
    fn median(&self) -> f64 {
        let mut v = self.secs.clone();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    }
}

fn time<T>(f: impl FnOnce() -> T) -> f64 {
    let t = Instant::now();
    black_box(f());
    t.elapsed().as_secs_f64()
}

/// SimPy's own timing of the month (the script prints `sim_s=…`).
fn simpy(python: &str) -> Option<f64> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/month/month_simpy.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find_map(|l| l.strip_prefix("sim_s="))?;
    line.trim().parse().ok()
}

/// `--only NAME`: one item once, in a fresh process, printing
/// `secs=` (the run alone, the scenario read before the clock starts). The
/// table's runs go through it, so no run inherits another's heap (a month
/// with frames leaves 270 MB of freed, fragmented heap behind). Also for a
/// profiler: callgrind counts only `floor` for the floors with
/// `--toggle-collect='*Wire*floor*'`.
fn only(name: &str) {
    let day = |sets: &[&str]| {
        let mut all = vec!["days=1", "warmup_days=0"];
        all.extend_from_slice(sets);
        scenario(parksim::scenario::DEFAULT, &all)
    };
    let go = |scn: Scenario| time(|| run(&scn, RunOptions::default()).unwrap());
    let secs = match name {
        "bare" => time(|| bare::run(bare::Month::ISSUE)),
        "month-off" => go(scenario(MONTH, &["network.frames=false"])),
        "month-on" => go(scenario(MONTH, &[])),
        "day-off" => go(day(&["network.frames=false"])),
        "day-on" => go(day(&[])),
        "floor-month" => {
            let w = Wire::of(&scenario(MONTH, &[])).0;
            time(|| w.floor())
        }
        "floor-day" => {
            let w = Wire::of(&day(&[])).0;
            time(|| w.floor())
        }
        _ => panic!("--only: bare, month-off, month-on, day-off, day-on, floor-month, floor-day"),
    };
    println!("secs={secs}");
}

/// Runs `--only NAME` in a child process and reads its `secs=`.
fn child(name: &str) -> f64 {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["--only", name])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let secs = text.lines().find_map(|l| l.strip_prefix("secs="));
    secs.and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("--only {name}: {text}"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--only") {
        only(args.get(i + 1).map(String::as_str).unwrap_or(""));
        return;
    }
    let smoke = std::env::args().any(|a| a == "--smoke");
    let rounds: usize = if smoke {
        1
    } else {
        std::env::var("PARKSIM_ROUNDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(5)
    };
    let python = std::env::var("PARKSIM_SIMPY")
        .ok()
        .filter(|s| !s.is_empty());

    let month_off = scenario(MONTH, &["network.frames=false"]);
    let month_on = scenario(MONTH, &[]);
    let day_on = scenario(parksim::scenario::DEFAULT, &["days=1", "warmup_days=0"]);

    let (wire_month, frames_month) = Wire::of(&month_on);
    let (wire_day, frames_day) = Wire::of(&day_on);
    let b = bare::run(bare::Month::ISSUE);
    let p = run(&month_off, RunOptions::default()).unwrap().summary;
    println!(
        "month, bare DES: {} arrived, {} entered, {} events, mean wait {:.2} s, mean occupancy {:.4}",
        b.arrived, b.entered, b.events, b.mean_wait_s, b.mean_occupancy
    );
    println!(
        "month, parksim:  {} arrived, {} entered, {} events, mean wait {:.2} s, mean occupancy {:.4}",
        p.vehicles_arrived,
        p.general_entered,
        p.events,
        p.mean_wait_s.unwrap_or(f64::NAN),
        p.mean_occupancy
    );
    for (name, w) in [("month", &wire_month), ("hospital day", &wire_day)] {
        println!(
            "{name} with frames: {} frames ({} signed requests), {:.1} MB on the link",
            w.frames.len(),
            w.signed,
            w.bytes as f64 / 1e6
        );
    }

    let mut t: Vec<Timed> = [
        "SimPy month",
        "bare DES month",
        "parksim month, frames off",
        "parksim month, frames on",
        "floor of the month's frames",
        "parksim hospital day, frames off",
        "parksim hospital day, frames on",
        "floor of the day's frames",
    ]
    .into_iter()
    .map(|name| Timed {
        name,
        secs: Vec::new(),
    })
    .collect();
    let n = t.len();
    for r in 0..rounds {
        // Each round starts one item later, so no item always follows the
        // same one.
        for k in 0..n {
            let i = (r + k) % n;
            let s = match i {
                0 => match python.as_deref().and_then(simpy) {
                    Some(s) => s,
                    None => continue,
                },
                1 => child("bare"),
                2 => child("month-off"),
                3 => child("month-on"),
                4 => time(|| wire_month.floor()),
                5 => child("day-off"),
                6 => child("day-on"),
                _ => time(|| wire_day.floor()),
            };
            t[i].secs.push(s);
        }
    }

    println!("\n{rounds} round(s), median [min, max]:\n");
    println!("| run | wall | per frame |");
    println!("|---|---|---|");
    for (i, x) in t.iter().enumerate() {
        if x.secs.is_empty() {
            println!("| {} | not run (set PARKSIM_SIMPY) | |", x.name);
            continue;
        }
        let lo = x.secs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = x.secs.iter().copied().fold(0.0, f64::max);
        let per = match i {
            3 | 4 => format!("{:.2} µs", x.median() / frames_month as f64 * 1e6),
            6 | 7 => format!("{:.2} µs", x.median() / frames_day as f64 * 1e6),
            _ => String::new(),
        };
        println!(
            "| {} | {:.4} s [{:.4}, {:.4}] | {per} |",
            x.name,
            x.median(),
            lo,
            hi
        );
    }
    let m = |i: usize| t[i].median();
    println!("\nratios (targets):");
    if !t[0].secs.is_empty() {
        println!(
            "  SimPy month / parksim month frames on  = {:.2}",
            m(0) / m(3)
        );
        println!(
            "  SimPy month / parksim month frames off = {:.1}",
            m(0) / m(2)
        );
    }
    println!(
        "  T1 hospital day frames on / its floor = {:.2} (target <= 2.0)",
        m(6) / m(7)
    );
    println!(
        "  T1 month frames on / its floor        = {:.2} (target <= 2.0)",
        m(3) / m(4)
    );
    println!(
        "  T2 month frames off / bare DES month  = {:.2} (target <= 3.0)",
        m(2) / m(1)
    );
    println!(
        "  T3 (estimate from one day, no per-run set-up) 10,000 hospital garage-days frames off on 2 cores = {:.1} s (target <= 20 s)",
        m(5) * 10_000.0 / 2.0
    );
    println!(
        "  T3 (estimate) frames on = {:.0} s against 2 x floor / 2 cores = {:.0} s: ratio to floor {:.2} (target <= 2.0)",
        m(6) * 10_000.0 / 2.0,
        2.0 * m(7) * 10_000.0 / 2.0,
        m(6) / m(7)
    );
}
