//! One default hospital garage-day with every frame (encoded, signed,
//! CRC'd, decoded, verified), and the engine alone over 30 days.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use parksim::scenario::Scenario;
use parksim::sim::run::{RunOptions, run};
use std::hint::black_box;

/// The allocator the `parksim` binary runs with, so the figures match it.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn scenario(sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    Scenario::from_toml_with_overrides(parksim::scenario::DEFAULT, &sets).unwrap()
}

fn bench(c: &mut Criterion) {
    let day = scenario(&["days=1", "warmup_days=0"]);
    let s = run(&day, RunOptions::default()).unwrap().summary;
    println!(
        "hospital garage-day: {} events, {} frames, {} vehicles",
        s.events, s.frames_sent, s.vehicles_arrived
    );
    let mut g = c.benchmark_group("sim");
    g.sample_size(10);
    g.throughput(Throughput::Elements(s.frames_sent));
    g.bench_function("hospital_day_with_frames", |b| {
        b.iter(|| run(black_box(&day), RunOptions::default()).unwrap())
    });
    // The same day with 6001 sent at the booking moment (the workload of
    // the earlier default, for like-for-like comparisons).
    let at_booking = scenario(&[
        "days=1",
        "warmup_days=0",
        "booking.lock_ahead_min=\"at_booking\"",
    ]);
    g.bench_function("hospital_day_with_frames_at_booking", |b| {
        b.iter(|| run(black_box(&at_booking), RunOptions::default()).unwrap())
    });
    let month = scenario(&["days=30", "warmup_days=0", "network.frames=false"]);
    let m = run(&month, RunOptions::default()).unwrap().summary;
    println!(
        "hospital 30 days, engine only: {} events, {} vehicles",
        m.events, m.vehicles_arrived
    );
    g.throughput(Throughput::Elements(m.events));
    g.bench_function("hospital_30_days_engine_only", |b| {
        b.iter(|| run(black_box(&month), RunOptions::default()).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
