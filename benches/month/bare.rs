//! The month of docs/PERFORMANCE.md as a bare discrete-event simulation:
//! one binary heap of (time [ms], sequence) events — arrivals, the gate
//! finishing a car, departures — a FIFO queue at the gate, a stall
//! counter. No engine, no protocol, no summary beyond four figures: what
//! a hand-written DES of the same queue costs, the yardstick of the
//! "frames off within 3x of a bare DES" target.
//!
//! Model (as benches/month/month.toml): Poisson arrivals at 85 cars/h,
//! one gate of 6 s, FIFO; the head enters when the gate is free and a
//! stall is free (it takes the stall as it starts through the gate);
//! lognormal stays of mean 180 min and sd 90 min from the end of the gate;
//! 300 stalls; 30 days; times rounded to the millisecond like parksim's.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Exp, LogNormal};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// The model's parameters.
#[derive(Debug, Clone, Copy)]
pub struct Month {
    pub days: u32,
    pub stalls: u32,
    /// Arrivals [cars/h].
    pub rate_per_h: f64,
    /// Gate service [s].
    pub gate_s: f64,
    /// Stay: mean and sd of the value itself [min].
    pub stay_mean_min: f64,
    pub stay_sd_min: f64,
    pub seed: u64,
}

impl Month {
    pub const ISSUE: Month = Month {
        days: 30,
        stalls: 300,
        rate_per_h: 85.0,
        gate_s: 6.0,
        stay_mean_min: 180.0,
        stay_sd_min: 90.0,
        seed: 1,
    };
}

/// What the run gives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub arrived: u64,
    pub entered: u64,
    pub events: u64,
    /// Mean wait from arrival to the start of the gate [s].
    pub mean_wait_s: f64,
    /// Time-mean stalls taken over the month, as a share of the stalls.
    pub mean_occupancy: f64,
}

const ARRIVE: u8 = 0;
const GATE_DONE: u8 = 1;
const DEPART: u8 = 2;

/// Runs the month. O(n log n) in the number of cars.
#[inline(never)]
pub fn run(m: Month) -> Outcome {
    let mut rng = StdRng::seed_from_u64(m.seed);
    let inter = Exp::new(m.rate_per_h / 3_600_000.0).unwrap(); // [1/ms]
    let sigma2 = (1.0 + (m.stay_sd_min / m.stay_mean_min).powi(2)).ln();
    let stay = LogNormal::new(m.stay_mean_min.ln() - sigma2 / 2.0, sigma2.sqrt()).unwrap();
    let gate_ms = (m.gate_s * 1000.0).round() as i64;
    let end = i64::from(m.days) * 86_400_000;

    // (time, sequence, kind): equal times in scheduling order.
    let mut heap: BinaryHeap<Reverse<(i64, u64, u8)>> = BinaryHeap::with_capacity(1024);
    let mut seq = 0u64;
    let mut push = |heap: &mut BinaryHeap<_>, t: i64, k: u8| {
        heap.push(Reverse((t, seq, k)));
        seq += 1;
    };
    let mut queue: VecDeque<i64> = VecDeque::new(); // arrival times
    let mut free = m.stalls;
    let mut gate_busy = false;
    let (mut arrived, mut entered, mut events) = (0u64, 0u64, 0u64);
    let mut wait_ms = 0i64;
    let (mut area, mut last_t) = (0f64, 0i64); // stall-ms taken

    push(&mut heap, inter.sample(&mut rng).round() as i64, ARRIVE);
    while let Some(Reverse((t, _, kind))) = heap.pop() {
        if t >= end {
            break;
        }
        events += 1;
        area += f64::from(m.stalls - free) * (t - last_t) as f64;
        last_t = t;
        match kind {
            ARRIVE => {
                arrived += 1;
                queue.push_back(t);
                push(&mut heap, t + inter.sample(&mut rng).round() as i64, ARRIVE);
            }
            GATE_DONE => {
                gate_busy = false;
                let s = (stay.sample(&mut rng) * 60_000.0).round() as i64;
                push(&mut heap, t + s, DEPART);
            }
            _ => free += 1,
        }
        if !gate_busy
            && free > 0
            && let Some(a) = queue.pop_front()
        {
            free -= 1;
            gate_busy = true;
            entered += 1;
            wait_ms += t - a;
            push(&mut heap, t + gate_ms, GATE_DONE);
        }
    }
    area += f64::from(m.stalls - free) * (end - last_t) as f64;
    Outcome {
        arrived,
        entered,
        events,
        mean_wait_s: wait_ms as f64 / 1000.0 / entered.max(1) as f64,
        mean_occupancy: area / end as f64 / f64::from(m.stalls),
    }
}
