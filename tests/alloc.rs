//! Allocations per simulated event in steady state, counted by a global
//! allocator: the run of 2n days minus the run of n days, over the events
//! between them, so set-up (drivers drawn, scenario read) drops out.
//! `cargo test --release --test alloc -- --nocapture` prints the figures
//! docs/PERFORMANCE.md quotes; the bounds catch a return of per-event
//! allocation.

use parksim::scenario::{DEFAULT, Scenario};
use parksim::sim::run::{RunOptions, run};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

const MONTH: &str = include_str!("../benches/month/month.toml");

/// (allocations, events) of one run.
fn counted(base: &str, sets: &[String]) -> (u64, u64) {
    let scn = Scenario::from_toml_with_overrides(base, sets).unwrap();
    let before = ALLOCS.load(Relaxed);
    let s = run(&scn, RunOptions::default()).unwrap().summary;
    (ALLOCS.load(Relaxed) - before, s.events_total)
}

/// Allocations per event between a run of `days` and one of `2 days`.
fn per_event(base: &str, sets: &[&str], days: u32) -> f64 {
    let with = |d: u32| {
        let mut v: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        v.push(format!("days={d}"));
        v.push("warmup_days=0".into());
        counted(base, &v)
    };
    let (a1, e1) = with(days);
    let (a2, e2) = with(2 * days);
    (a2 - a1) as f64 / (e2 - e1) as f64
}

#[test]
fn allocations_per_event_stay_low() {
    // (name, scenario, overrides, days, most allocations per event)
    let cases: [(&str, &str, &[&str], u32, f64); 4] = [
        (
            "month, frames off",
            MONTH,
            &["network.frames=false"],
            3,
            1.5,
        ),
        ("month, frames on", MONTH, &[], 2, 6.5),
        (
            "hospital, frames off",
            DEFAULT,
            &["network.frames=false"],
            2,
            4.5,
        ),
        ("hospital, frames on", DEFAULT, &[], 1, 6.5),
    ];
    let mut over = Vec::new();
    for (name, base, sets, days, most) in cases {
        let n = per_event(base, sets, days);
        println!("ALLOC {name}: {n:.2} allocations per event");
        if n > most {
            over.push(format!("{name}: {n:.2} > {most}"));
        }
    }
    assert!(over.is_empty(), "{over:?}");
}
