//! One simulation run: a scenario's garage driven through simulated days.
//!
//! Every business event of the garage (the engine's report effects) is
//! encoded as a signed SZTC frame and delivered, after the uplink latency,
//! to an in-process [`Platform`] that decodes, verifies and records it;
//! the platform's downlinks (6001, 6002, 4001, 4002) travel back as frames
//! to the garage, which decodes them and hands them to the engine. At the
//! end what the platform recorded is reconciled with what the garage sent
//! (checked record by record as the platform records them).
//!
//! # Parts
//! The run loop ([`Sim`]) owns the garage ([`Engine`]) and the platform and
//! dispatches each event to the part it concerns:
//! - [`demand`](super::demand): every driver, drawn before the run;
//! - [`booking`](super::booking): the platform's bookings, its slot
//!   inventory and the time limits of 6.3 b/c; [`reserve`](super::reserve)
//!   drives them (book, lock, change, cancel);
//! - [`lanes`](super::lanes): entrance gates and exit lanes;
//! - [`link`](super::link): latency, outages and resending;
//! - [`wire`](super::wire): the garage's and the platform's messages as
//!   bytes;
//! - [`summary`](super::summary): counters, exact time integrals, the
//!   summary.
//!
//! After every event the loop offers every free entrance gate its next
//! vehicle ([`Sim::admit_all`]) — an exit, an arrival, a lock, an expiry or
//! a switch can each let a vehicle in anywhere — and arms a timer for the
//! engine's next expiry or scheduled switch ([`Engine::next_timer`]).
//!
//! # Time and order
//! Simulated time is [`SimTime`] (ms from the start of day 0, which is
//! `2026-11-02 00:00:00`, a Monday, on the garage's clock). Events are
//! ordered by (time, scheduling order) — see [`kernel`](super::kernel).
//! Three RNG streams per run, each seeded from the scenario's seed: demand
//! (every driver, drawn first), service (gates, stays, exits) and the
//! network's latencies, so that switching frames off leaves the garage's
//! draws unchanged.

use super::booking::{BookingPolicy, Inventory, Resv, ResvState};
use super::demand::{Demand, Driver, DriverId, Visit};
use super::dist::Dist;
use super::kernel::{EventQueue, Next, SimTime};
use super::lanes::{Exits, Gates, choose_entrance, other_entrance};
use super::link::Link;
use super::reconcile::Books;
pub use super::summary::{Audit, EntranceSummary, Hourly, RunResult, Series, Summary, TimeShare};
use super::summary::{Counts, Integrals, WaitHist, rate, ratio};
use crate::engine::{
    self, Admission, Command as Cmd, Config, Engine, EntranceConfig, EntranceId, FlowPolicy,
    LaneKind, OneEntranceMode, PayType, PrioritySchedule, Reply as ERe, ReportId, Tariff,
    VehicleClass, next_admission,
};
use crate::platform::{Account, Platform, PlatformConfig};
use crate::proto::messages::{Amount, ParkCarInfo, Request};
use crate::proto::password::DesKey;
use crate::proto::time::DateTime;
use crate::proto::{Mode, SignAlgo};
use crate::scenario::{self, EntranceKind, Scenario, SingleEntrance, WhenFull};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt;

mod drivers;
mod finish;

/// Day 0 of every run on the garage's clock: Monday 2026-11-02 00:00:00.
pub const DAY0: DateTime = DateTime(1_793_577_600);

pub(super) const PARK_CODE: &str = "44030400100101000010";
pub(super) const USER: &str = "garage-1";
pub(super) const PASSWORD: &str = "parksim";
pub(super) const DES_KEY: &[u8; 8] = b"12345678";
/// HTTPS access token lifetime [s]; the garage renews 10 min before.
pub(super) const TOKEN_TTL_S: i64 = 7200;

/// What to keep besides the summary.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Sample queues, occupancy and level each simulated minute.
    pub series: bool,
    /// Check after every event that no free entrance gate is left idle
    /// while its head vehicle could enter, and record the most general
    /// vehicles inside ([`Audit`]). Costs a decision per gate per event.
    pub audit: bool,
}

/// Why a run could not start.
#[derive(Debug, Clone, PartialEq)]
pub struct SimError(pub String);

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SimError {}

/// The run's events. Drivers and bookings are named by index.
#[derive(Debug, Clone)]
pub(super) enum Ev {
    /// A walk-in comes.
    Arrive(DriverId),
    /// A driver turned round at a reservation-only lane comes to this one.
    ComeRound(DriverId, usize),
    /// The platform pushes a driver's control-list entry (4001).
    ControlPush(DriverId),
    /// Staff let out a car the control list held at the exit.
    ControlRelease(DriverId),
    /// Lane conversion (6.6).
    Lane(usize, LaneKind),
    /// A driver books (booking index).
    Book(usize),
    /// The platform sends a held booking's 6001 (booking, lock generation).
    Lock(usize, u32),
    Change(usize),
    Cancel(usize),
    /// The platform confirms a locked booking (6002).
    Confirm(usize),
    /// A booker comes (booking, arrival generation).
    ReservedArrival(usize, u32),
    GateDone(usize),
    StayEnd(DriverId),
    ExitDone(usize),
    /// The engine's next expiry or scheduled switch.
    Timer,
    /// Bytes reaching the platform; `seq` pairs an HTTP response with
    /// its request (0 on TCP, where frames carry packetNo).
    Uplink {
        epoch: u32,
        bytes: Vec<u8>,
        seq: u32,
    },
    Downlink {
        epoch: u32,
        bytes: Vec<u8>,
        seq: u32,
    },
    /// Renew the HTTPS access token (1002) before it expires.
    Refresh,
    OutageStart,
    OutageEnd,
    Backlog,
}

/// Which population a driver belongs to when they come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pop {
    /// Never tried to book.
    Walkin,
    /// Booked, was refused (at once or late), came anyway.
    Refused,
    /// Came with a live booking.
    Reserved,
    /// Came with a booking whose hold had lapsed.
    Lapsed,
}

/// Counters that run across the warm-up, read at its end and at the end.
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    events: u64,
    frames_sent: u64,
    reports: u64,
    reports_within_3s: u64,
    verified: u64,
    rejected: u64,
    duplicates: u64,
}

/// A driver at the garage: waiting at an entrance, inside, or coming round.
#[derive(Debug, Clone, Copy)]
struct Presence {
    pop: Pop,
    arrived: SimTime,
    /// Arrived in the measured days.
    counted: bool,
    /// The booking they came with (locked when they set off).
    resv: Option<usize>,
    /// In an entrance queue of the engine.
    queued: bool,
}

/// Every problem of a scenario as one error (key: message; …).
fn checked(scn: &Scenario) -> Result<(), SimError> {
    let problems = scn.check();
    if problems.is_empty() {
        return Ok(());
    }
    Err(SimError(
        problems
            .iter()
            .map(|(k, m)| format!("`{k}`: {m}"))
            .collect::<Vec<_>>()
            .join("; "),
    ))
}

/// Runs a scenario. Deterministic: the same scenario gives the same result.
pub fn run(scn: &Scenario, opts: RunOptions) -> Result<RunResult, SimError> {
    checked(scn)?;
    let mut sim = Sim::new(scn, opts)?;
    sim.start();
    sim.main_loop();
    Ok(sim.finish())
}

/// Runs a scenario and returns, beside its result, every frame (or HTTP
/// message) put on the link, both ways, in sending order: the bytes whose
/// signing, verifying and CRC set the run's hashing floor (benches/floor.rs).
/// Same result as [`run`]; the copies cost memory, not a different run.
pub fn sent_frames(scn: &Scenario) -> Result<(RunResult, Vec<Vec<u8>>), SimError> {
    checked(scn)?;
    let mut sim = Sim::new(scn, RunOptions::default())?;
    sim.link.capture = Some(Vec::new());
    sim.start();
    sim.main_loop();
    sim.drain_link();
    let frames = sim.link.capture.take().unwrap_or_default();
    Ok((sim.finish(), frames))
}

/// A garage's run recorded for replay over a real network (`parksim
/// garage connect`): the requests the garage sent (garage info first,
/// then every report) with their event times, and the booking engine's
/// configuration to answer downlinks with.
#[derive(Debug, Clone)]
pub struct GarageTape {
    /// 3001, 3002, 3005, sent at the start.
    pub info: Vec<Request>,
    /// Reports (5003–5008, 7001) by event time [ms of simulated time].
    pub events: Vec<(SimTime, Request)>,
    pub engine: Config,
}

/// Runs a scenario (TCP frames on, outages off) and records what its
/// garage sent. Deterministic, like [`run`].
pub fn garage_tape(scn: &Scenario) -> Result<GarageTape, SimError> {
    let mut scn = scn.clone();
    scn.network.frames = true;
    scn.network.outages.clear();
    scn.network.transport = scenario::Transport::Tcp;
    checked(&scn)?;
    let mut sim = Sim::new(&scn, RunOptions::default())?;
    sim.tape = Some(Vec::new());
    sim.start();
    sim.main_loop();
    let mut all = sim.tape.take().unwrap_or_default();
    all.sort_by_key(|(t, _)| *t);
    let n_info = sim.garage_info().len().min(all.len());
    let info = all.drain(..n_info).map(|(_, r)| r).collect();
    Ok(GarageTape {
        info,
        events: all,
        engine: sim.engine.config().clone(),
    })
}

fn lane_kind(k: EntranceKind) -> LaneKind {
    match k {
        EntranceKind::Reserved => LaneKind::ReservedOnly,
        EntranceKind::General => LaneKind::General,
        EntranceKind::Mixed => LaneKind::Mixed,
    }
}

pub(super) fn amount(x: f64) -> Amount {
    Amount(Decimal::from_f64_retain(x).unwrap_or_default().round_dp(2))
}

pub(super) fn t2dt(t: SimTime) -> DateTime {
    DateTime(DAY0.0 + t.secs())
}

pub(super) fn car(plate: &str) -> ParkCarInfo {
    ParkCarInfo {
        plate_no: plate.to_string(),
        ..Default::default()
    }
}

/// The engine's configuration for a scenario's garage.
fn engine_config(scn: &Scenario) -> Config {
    let g = &scn.garage;
    let fc = &scn.flow_control;
    let on = scenario::parse_hhmm(&fc.priority.on).unwrap_or(450) * 60;
    let off = scenario::parse_hhmm(&fc.priority.off).unwrap_or(1170) * 60;
    Config {
        park_code: PARK_CODE.into(),
        seed: scn.seed,
        total_stalls: g.stalls,
        reservable_stalls: g.reservable_stalls,
        pool: match g.pool {
            scenario::Pool::Shared => engine::PoolPolicy::Shared,
            scenario::Pool::Protected => engine::PoolPolicy::Protected,
        },
        saturated_at_permille: (g.saturated_at * 1000.0).round() as u32,
        full_at_permille: (g.full_at * 1000.0).round() as u32,
        entrances: g
            .entrances
            .iter()
            .enumerate()
            .map(|(i, e)| EntranceConfig {
                equipment_id: format!("{:032x}", 0xE0 + i),
                kind: lane_kind(e.kind),
            })
            .collect(),
        one_entrance_mode: match g.single_entrance {
            SingleEntrance::ReservedFirst => OneEntranceMode::ReservedEnterGeneralWait,
            SingleEntrance::Manual => OneEntranceMode::ManualConfirmation,
        },
        flow: FlowPolicy {
            ratio_reserved: fc.saturated_ratio[0],
            ratio_general: fc.saturated_ratio[1],
            out_n: fc.full_rule.n(),
            full_rule_when: match fc.full_rule_when {
                scenario::FullRuleWhen::BothQueue => engine::FullRuleWhen::BothQueue,
                scenario::FullRuleWhen::Always => engine::FullRuleWhen::Always,
            },
            ratio_scope: match fc.ratio_scope {
                scenario::RatioScope::Barrier => engine::RatioScope::Barrier,
                scenario::RatioScope::Garage => engine::RatioScope::Garage,
            },
        },
        schedule: PrioritySchedule::Daily {
            on_at: on,
            off_at: off,
        },
        tariff: Tariff {
            first_hour: amount(scn.fees.first_hour),
            per_hour: amount(scn.fees.per_hour),
            daily_cap: (scn.fees.daily_cap > 0.0).then(|| amount(scn.fees.daily_cap)),
            free_minutes: scn.fees.free_min,
        },
        fixed_stalls: false,
        pay_grace_minutes: 15,
        // The run keeps its own per-vehicle figures; no engine log.
        history: false,
        // Without frames nobody reads the reports: do not build them.
        reports: scn.network.frames,
    }
}

/// The run loop and the state its parts share.
pub(super) struct Sim<'a> {
    pub(super) scn: &'a Scenario,
    opts: RunOptions,
    /// Gates, stays, exits.
    service_rng: StdRng,
    pub(super) q: EventQueue<Ev>,
    /// The next minute sample: its time and its place in the event order.
    next_sample: Option<(SimTime, u64)>,
    pub(super) engine: Engine,
    pub(super) platform: Platform,
    drivers: Vec<Driver>,
    present: Vec<Option<Presence>>,
    pub(super) resvs: Vec<Resv>,
    pub(super) inventory: Inventory,
    pub(super) policy: BookingPolicy,
    gates: Gates,
    exits: Exits,
    pub(super) link: Link,
    pub(super) counts: Counts,
    integrals: Integrals,
    waits: WaitHist,
    reserved_waits: WaitHist,
    walkin_waits: WaitHist,
    /// Waits of vehicles entered in each hour of day [s].
    hour_waits: Vec<Vec<f64>>,
    pub(super) hourly: Hourly,
    /// Counters at the end of the warm-up.
    at_warm: Option<Totals>,
    /// A reserved entry within this wait is fulfilled [ms].
    fulfilment_wait_ms: i64,
    warm: SimTime,
    end: SimTime,
    stay: Dist,
    control_pushes: u64,
    /// Hold of a listed car at the exit [ms].
    control_hold_ms: i64,
    /// Entries of reserved vehicles the platform owes a coupon once it
    /// holds them: record id → plate.
    pub(super) coupon_due: BTreeMap<ReportId, String>,
    /// The earliest engine timer scheduled.
    timer_at: Option<SimTime>,
    series: Series,
    audit: Option<Audit>,
    /// What the garage sent against what the platform recorded.
    pub(super) books: Books,
    /// Every garage request sent, with its event time (see [`garage_tape`]).
    pub(super) tape: Option<Vec<(SimTime, Request)>>,
}

impl<'a> Sim<'a> {
    fn new(scn: &'a Scenario, opts: RunOptions) -> Result<Sim<'a>, SimError> {
        let engine =
            Engine::new(engine_config(scn), DAY0).map_err(|e| SimError(format!("garage: {e}")))?;
        let mut platform = Platform::new(PlatformConfig {
            algo: SignAlgo::Sha1,
            mode: Mode::Lenient,
            accounts: vec![Account {
                user_id: USER.into(),
                password: PASSWORD.into(),
                key: DesKey::new(DES_KEY).map_err(|e| SimError(e.to_string()))?,
            }],
            token_secret: {
                let mut k = [0u8; 16];
                k[..8].copy_from_slice(&scn.seed.to_be_bytes());
                k
            },
            token_ttl: TOKEN_TTL_S,
        });
        // The run checks what the platform recorded by (id, digest).
        platform.keep_digests();
        let warm = SimTime(scn.warmup_days as i64 * SimTime::MS_PER_DAY);
        let end = SimTime((scn.warmup_days + scn.days) as i64 * SimTime::MS_PER_DAY);
        let demand = Demand::new(scn)?;
        let drivers = demand.draw(&mut StdRng::seed_from_u64(scn.seed), end);
        let min = |m: f64| (m * 60_000.0) as i64;
        let b = &scn.booking;
        Ok(Sim {
            scn,
            opts,
            service_rng: StdRng::seed_from_u64(scn.seed ^ 0x7365_7276_6963_6521),
            q: EventQueue::new(),
            next_sample: None,
            engine,
            platform,
            present: vec![None; drivers.len()],
            drivers,
            resvs: Vec::new(),
            inventory: Inventory::new(scn.garage.reservable_stalls),
            policy: BookingPolicy {
                lock_ahead: b.lock_ahead_min.minutes().map(min),
                change_until: min(b.change_until_min as f64),
                cancel_until: min(b.cancel_until_min as f64),
                hold: min(scn.demand.obligat_min as f64),
            },
            gates: Gates::new(scn)?,
            exits: Exits::new(scn)?,
            link: Link::new(scn)?,
            counts: Counts::default(),
            integrals: Integrals::new(warm),
            waits: WaitHist::default(),
            reserved_waits: WaitHist::default(),
            walkin_waits: WaitHist::default(),
            hour_waits: vec![Vec::new(); 24],
            hourly: Hourly {
                days: scn.days,
                ..Hourly::default()
            },
            // Without warm-up everything from the first login counts.
            at_warm: (warm == SimTime(0)).then(Totals::default),
            fulfilment_wait_ms: (scn.metrics.fulfilment_wait_s * 1000.0) as i64,
            warm,
            end,
            stay: scn
                .demand
                .stay_min
                .build()
                .map_err(|e| SimError(e.to_string()))?,
            control_pushes: 0,
            control_hold_ms: scn
                .demand
                .control_list
                .as_ref()
                .map_or(0, |c| min(c.hold_min as f64)),
            coupon_due: BTreeMap::new(),
            timer_at: None,
            series: Series {
                queue: vec![Vec::new(); scn.garage.entrances.len()],
                ..Series::default()
            },
            audit: opts.audit.then(Audit::default),
            books: Books::default(),
            tape: None,
        })
    }

    pub(super) fn frames(&self) -> bool {
        self.scn.network.frames
    }

    /// Schedules every driver's story, the lane conversions, outages and
    /// samples; logs in and describes the garage.
    fn start(&mut self) {
        self.q.reserve(self.drivers.len());
        for i in 0..self.drivers.len() {
            let d = DriverId(i as u32);
            let x = &self.drivers[i];
            match x.visit {
                Visit::Walkin => self.q.schedule(x.at, Ev::Arrive(d)),
                Visit::Listed { push_at, .. } => {
                    let at = x.at;
                    self.q.schedule(push_at, Ev::ControlPush(d));
                    self.q.schedule(at, Ev::Arrive(d));
                }
                Visit::Booker(plan) => {
                    let booked = x.at;
                    let r = self.resvs.len();
                    self.resvs.push(Resv {
                        driver: d,
                        code: Resv::code_of(r),
                        booked,
                        pending: None,
                        window: None,
                        arrival_gen: 0,
                        lock_gen: 0,
                        state: ResvState::Planned,
                        arrived: false,
                        counted: booked >= self.warm,
                        plan,
                    });
                    self.q.schedule(plan.book_at, Ev::Book(r));
                    if let Some(at) = plan.cancel_at {
                        self.q.schedule(at, Ev::Cancel(r));
                    } else if let Some((at, _)) = plan.change {
                        self.q.schedule(at, Ev::Change(r));
                    }
                    if plan.cancel_at.is_none() && !plan.no_show {
                        let at =
                            SimTime(booked.0 + plan.offset_ms).max(SimTime(plan.book_at.0 + 1000));
                        self.q.schedule(at, Ev::ReservedArrival(r, 0));
                    }
                }
            }
        }
        for o in &self.scn.network.outages {
            if let Some(m) = scenario::parse_day_hhmm(&o.start) {
                let s = SimTime(m as i64 * 60_000);
                self.q.schedule(s, Ev::OutageStart);
                self.q
                    .schedule(SimTime(s.0 + o.minutes as i64 * 60_000), Ev::OutageEnd);
            }
        }
        // Lane conversions (6.6): general during the window, back after.
        for (e, spec) in self.scn.garage.entrances.iter().enumerate() {
            let base = lane_kind(spec.kind);
            for w in &spec.open_to_general {
                let (Some(on), Some(off)) =
                    (scenario::parse_hhmm(&w.on), scenario::parse_hhmm(&w.off))
                else {
                    continue;
                };
                for day in 0..(self.end.0 / SimTime::MS_PER_DAY + 1) {
                    let d = day * SimTime::MS_PER_DAY;
                    self.q.schedule(
                        SimTime(d + on as i64 * 60_000),
                        Ev::Lane(e, LaneKind::General),
                    );
                    self.q
                        .schedule(SimTime(d + off as i64 * 60_000), Ev::Lane(e, base));
                }
            }
        }
        self.next_sample = Some((SimTime(0), self.q.take_seq()));
        self.arm_timer();
        // Log in and describe the garage first.
        self.garage_login(SimTime(0));
        if self.frames() {
            for r in self.garage_info() {
                self.garage_send(SimTime(0), &r, SimTime(0), false);
            }
        }
        self.drain_effects(SimTime(0));
    }

    fn main_loop(&mut self) {
        loop {
            // The minute sample is an event kept beside the queue, ordered
            // against it by the sequence number it took.
            let (t, ev) = match self.q.pop_unless(self.next_sample) {
                Next::Event(t, ev) => (t, Some(ev)),
                Next::Outside => match self.next_sample {
                    Some((t, _)) => (t, None),
                    None => break,
                },
                Next::Empty => break,
            };
            if t >= self.end {
                break;
            }
            if self.at_warm.is_none() && t >= self.warm {
                self.at_warm = Some(self.totals());
            }
            self.counts.events += 1;
            let (inside, holds) = self.engine.occupancy();
            self.integrals.observe(t, inside, holds);
            match ev {
                Some(ev) => self.event(t, ev),
                None => {
                    self.sample(t);
                    self.next_sample = Some((SimTime(t.0 + 60_000), self.q.take_seq()));
                }
            }
        }
        let (inside, holds) = self.engine.occupancy();
        self.integrals.observe(self.end, inside, holds);
    }

    fn totals(&self) -> Totals {
        let p = &self.platform.stats;
        let l = &self.link.stats;
        Totals {
            events: self.counts.events,
            frames_sent: l.frames_sent,
            reports: l.reports,
            reports_within_3s: l.reports_within_3s,
            verified: p.frames_verified + self.counts.garage_frames_verified,
            rejected: p.frames_rejected + self.counts.garage_frames_rejected,
            duplicates: p.duplicates + self.books.duplicates,
        }
    }

    /// One event, then every free gate offered its next vehicle and the
    /// engine's next timer armed.
    fn event(&mut self, t: SimTime, ev: Ev) {
        match ev {
            Ev::Arrive(d) => self.arrive(t, d, None, None),
            Ev::ComeRound(d, e) => {
                let resv = self.present[d.0 as usize].and_then(|p| p.resv);
                self.arrive(t, d, Some(e), resv);
            }
            Ev::ControlPush(d) => self.control_push(t, d),
            Ev::ControlRelease(d) => self.leave(t, d, true),
            Ev::Lane(e, kind) => {
                let _ = self.engine.handle(
                    t2dt(t),
                    Cmd::SetLane {
                        entrance: EntranceId(e),
                        kind,
                    },
                );
                self.drain_effects(t);
            }
            Ev::Book(i) => self.book(t, i),
            Ev::Lock(i, g) => {
                if self.resvs[i].state == ResvState::Held && self.resvs[i].lock_gen == g {
                    self.send_book(t, i, 1);
                }
            }
            Ev::Change(i) => self.change(t, i),
            Ev::Cancel(i) => self.cancel(t, i),
            Ev::Confirm(i) => {
                if self.resvs[i].state == ResvState::Locked {
                    self.send_confirm(t, i, 1);
                }
            }
            Ev::ReservedArrival(i, g) => self.reserved_arrival(t, i, g),
            Ev::GateDone(e) => self.gates.done(e),
            Ev::StayEnd(d) => self.stay_end(t, d),
            Ev::ExitDone(x) => {
                if let Some(d) = self.exits.done(x) {
                    self.leave(t, d, false);
                }
                self.try_exit(t, x);
            }
            Ev::Timer => {
                if self.timer_at == Some(t) {
                    self.timer_at = None;
                }
                let _ = self.engine.handle(t2dt(t), Cmd::Tick);
                self.drain_effects(t);
            }
            Ev::Uplink { epoch, bytes, seq } => self.uplink(t, epoch, bytes, seq),
            Ev::Downlink { epoch, bytes, seq } => self.downlink(t, epoch, &bytes, seq),
            Ev::Refresh => self.refresh(t),
            Ev::OutageStart => self.outage_start(),
            Ev::OutageEnd => self.outage_end(t),
            Ev::Backlog => {
                self.link.backlog_tick(&mut self.q, t);
                return;
            }
        }
        self.admit_all(t);
        self.arm_timer();
        if self.audit.is_some() {
            self.audit_gates();
        }
    }

    /// Schedules a timer for the engine's next expiry or switch, unless
    /// one at or before it is already scheduled.
    fn arm_timer(&mut self) {
        let Some(next) = self.engine.next_timer() else {
            return;
        };
        let at = SimTime((next.0 - DAY0.0) * 1000);
        if self.timer_at.is_none_or(|s| at < s) {
            self.timer_at = Some(at);
            self.q.schedule(at, Ev::Timer);
        }
    }

    /// Every free gate admits its next vehicle, until none can: an
    /// admission at one gate can change the decision at another (the
    /// garage-wide ratio, the room left).
    fn admit_all(&mut self, t: SimTime) {
        loop {
            let mut admitted = false;
            for e in 0..self.gates.len() {
                if !self.gates.get(e).busy
                    && self.engine.queue_len(EntranceId(e)) > 0
                    && self.try_admit(t, e)
                {
                    admitted = true;
                }
            }
            if !admitted {
                return;
            }
        }
    }

    /// Checks that no free gate is idle while its head could enter.
    fn audit_gates(&mut self) {
        let Some(a) = &mut self.audit else { return };
        for e in 0..self.gates.len() {
            if self.gates.get(e).busy {
                continue;
            }
            if let Some(i) = self.engine.admission_input(EntranceId(e))
                && matches!(next_admission(&i), Admission::Admit { .. })
            {
                a.idle_gates += 1;
            }
        }
        let s = self.engine.snapshot();
        a.max_general_inside = a.max_general_inside.max(s.general_inside);
    }

    // ---- drivers ---------------------------------------------------------

    fn sample(&mut self, t: SimTime) {
        if t < self.warm {
            return;
        }
        let snap = self.engine.snapshot();
        let level = match snap.level {
            engine::Saturation::Unsaturated => 0usize,
            engine::Saturation::Saturated => 1,
            engine::Saturation::Full => 2,
        };
        let mut total = 0u64;
        for e in 0..self.gates.len() {
            let n = self.engine.queue_len(EntranceId(e)) as u32;
            total += n as u64;
            self.gates.sample(e, n);
            if self.opts.series {
                self.series.queue[e].push(n);
            }
        }
        if self.opts.series {
            self.series.minute.push((t.0 / 60_000) as u32);
            self.series.inside.push(snap.used);
            self.series.level.push(level as u8);
            self.series.priority_on.push(snap.priority_on);
        }
        self.counts.samples += 1;
        self.counts.queue_total_samples += total;
        self.counts.level_samples[level] += 1;
    }

    /// Lets the link drain after the last event: delivers what is in
    /// flight and the backlog.
    fn drain_link(&mut self) {
        let end = self.end;
        let mut guard = 0;
        while let Some((t, ev)) = self.q.pop() {
            guard += 1;
            if guard > 10_000_000 {
                break;
            }
            match ev {
                Ev::Uplink { epoch, bytes, seq } => self.uplink(t.max(end), epoch, bytes, seq),
                Ev::Downlink { epoch, bytes, seq } => self.downlink(t.max(end), epoch, &bytes, seq),
                Ev::Backlog => self.link.backlog_tick(&mut self.q, t.max(end)),
                Ev::OutageEnd => self.outage_end(t.max(end)),
                _ => {}
            }
        }
    }
}

/// The hour of day of `t`, 0–23.
pub(super) fn hour(t: SimTime) -> usize {
    (t.of_day() / 3_600_000) as usize
}

#[cfg(test)]
mod test {
    use super::*;

    fn scenario(sets: &[&str]) -> Scenario {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        Scenario::from_toml_with_overrides(scenario::DEFAULT, &sets).unwrap()
    }

    /// A booked driver who comes after the hold lapsed is turned round at
    /// the reservation-only entrance and comes to the general one under
    /// the same plate, as a general vehicle.
    #[test]
    fn a_lapsed_booking_comes_round_under_its_own_plate() {
        let scn = scenario(&[
            "days=1",
            "warmup_days=0",
            "demand.reserved_share=1",
            "demand.cancel=0",
            "demand.no_show=0",
            "demand.change=0",
            "demand.arrival_offset_min={dist=\"constant\",value=90}",
            "flow_control.max_queue=100000",
            "network.frames=false",
        ]);
        let mut sim = Sim::new(&scn, RunOptions::default()).unwrap();
        // Keep the engine's log for this test.
        let mut cfg = sim.engine.config().clone();
        cfg.history = true;
        sim.engine = Engine::new(cfg, DAY0).unwrap();
        sim.start();
        sim.main_loop();
        let log = sim.engine.log();
        let mut round = 0;
        for ev in log.all() {
            let last_minute = t2dt(SimTime(SimTime::MS_PER_DAY - 60_000));
            if let engine::EventKind::TurnedAway { entrance } = &ev.kind
                && ev.time < last_minute
            {
                let plate = ev.plate.clone().unwrap_or_default();
                assert_eq!(*entrance, EntranceId(0), "at the reserved lane");
                // The same plate arrives at the general entrance.
                let again = log.all().iter().any(|x| {
                    x.plate.as_deref() == Some(plate.as_str())
                        && matches!(
                            x.kind,
                            engine::EventKind::Arrived {
                                entrance: EntranceId(1),
                                class: VehicleClass::General
                            }
                        )
                });
                assert!(again, "{plate} came round");
                round += 1;
            }
        }
        assert!(round > 100, "{round} drivers came round");
        let s = sim.finish().summary;
        assert_eq!(s.reserved_fulfilled, 0, "every hold had lapsed");
        assert!(s.conservation_ok);
    }
}
