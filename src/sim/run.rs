//! One simulation run: a scenario's garage driven through simulated days.
//!
//! Every business event of the garage (the engine's report effects) is
//! encoded as a signed SZTC frame and delivered, after the uplink latency,
//! to an in-process [`Platform`] that decodes, verifies and records it;
//! the platform's downlinks (6001, 6002, 4002) travel back as frames to the
//! garage, which decodes them and hands them to the engine. At the end the
//! platform's ledger is reconciled with the garage's truth.
//!
//! # Time and order
//! Simulated time is [`SimTime`] (ms from the start of day 0, which is
//! `2026-11-02 00:00:00`, a Monday, on the garage's clock). Events are
//! ordered by (time, scheduling order) — see [`kernel`](super::kernel).
//! Two RNG streams per run, both seeded from the scenario's seed: one for
//! the garage (demand, service, stays), one for network latencies, so that
//! switching frames off leaves the garage's draws, and its results, unchanged.
//!
//! # Network
//! Frames keep their order on the link (TCP): a frame is delivered at
//! `max(send + latency, previous delivery)`. During an outage the garage
//! buffers; frames in flight when it starts are lost and resent. On
//! reconnect the garage logs in again, sends real-time data first and the
//! backlog when the link is idle (one frame per 100 ms without real-time
//! traffic) (7.3). The platform keeps a record once per id.

use super::dist::Dist;
use super::kernel::{EventQueue, SimTime};
use crate::engine::{
    self, Command as Cmd, Config, Effect, Engine, EntranceConfig, EntranceId, FlowPolicy, LaneKind,
    OneEntranceMode, PayType, PrioritySchedule, Reply as ERe, Tariff, VehicleClass,
};
use crate::platform::{Account, Platform, PlatformConfig, http};
use crate::proto::codec::FrameDecoder;
use crate::proto::envelope;
use crate::proto::frame::{Direction, next_packet_no};
use crate::proto::messages::{
    Amount, BookConfirmRequest, BookRequest, CouponDownlink, LoginRequest, ParkCarInfo,
    RefreshRequest, Reply as PReply, Request, TcpLoginRequest,
};
use crate::proto::password::DesKey;
use crate::proto::time::DateTime;
use crate::proto::{Mode, ResultCode, SignAlgo};
use crate::scenario::{self, EntranceKind, Scenario, SingleEntrance, WhenFull};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;

/// Day 0 of every run on the garage's clock: Monday 2026-11-02 00:00:00.
pub const DAY0: DateTime = DateTime(1_793_577_600);

const PARK_CODE: &str = "44030400100101000010";
const USER: &str = "garage-1";
const PASSWORD: &str = "parksim";
const DES_KEY: &[u8; 8] = b"12345678";
/// HTTPS access token lifetime [s]; the garage renews 10 min before.
const TOKEN_TTL_S: i64 = 7200;

/// What to keep besides the summary.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Sample queues, occupancy and level each simulated minute.
    pub series: bool,
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

/// Per-entrance figures.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EntranceSummary {
    pub name: String,
    /// Time-average queue length, sampled each minute [vehicles].
    pub mean_queue: f64,
    pub max_queue: u32,
    pub entered: u64,
}

/// Shares of time per saturation level [0..1].
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TimeShare {
    pub unsaturated: f64,
    pub saturated: f64,
    pub full: f64,
}

/// The run's summary (after the warm-up days, except the conservation
/// and network counts, which cover the whole run).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub scenario: String,
    pub seed: u64,
    pub days: u32,
    /// Total stalls [stalls].
    pub stalls: u32,
    /// The saturation thresholds [share of stalls].
    pub saturated_at: f64,
    pub full_at: f64,
    pub vehicles_arrived: u64,
    pub general_arrived: u64,
    pub general_entered: u64,
    pub general_turned_away: u64,
    /// general_turned_away / general_arrived.
    pub blocking_rate: f64,
    pub reserved_booked: u64,
    /// 6001 answered 1501 (nothing reservable).
    pub reserved_refused: u64,
    pub reserved_cancelled: u64,
    pub reserved_changed: u64,
    pub reserved_no_show: u64,
    /// Drivers with a live booking who came.
    pub reserved_arrived: u64,
    /// Of those, the ones who entered as reserved.
    pub reserved_fulfilled: u64,
    /// reserved_fulfilled / reserved_arrived.
    pub fulfilment_rate: f64,
    /// reserved_booked / (reserved_booked + reserved_refused): the share of
    /// booking attempts the garage accepted.
    pub booking_success_rate: f64,
    /// Entrance wait of entered vehicles [s].
    pub mean_wait_s: f64,
    pub p95_wait_s: f64,
    pub max_queue: u32,
    /// Total of all entrance queues, time-averaged [vehicles].
    pub mean_queue: f64,
    pub entrances: Vec<EntranceSummary>,
    /// Vehicles inside / stalls, time-averaged.
    pub mean_occupancy: f64,
    pub time_share: TimeShare,
    /// Received fees [yuan].
    pub revenue: f64,
    pub frames_sent: u64,
    pub frames_verified: u64,
    pub frames_rejected: u64,
    /// Report frames (5003, 5004, 5005, 5006, 5008, 7001) at the platform
    /// within 3 s of their event (7.2).
    pub uplink_within_3s_rate: f64,
    pub duplicates_ignored: u64,
    pub reconciled: bool,
    /// What did not reconcile (empty when `reconciled`).
    pub reconcile_problems: Vec<String>,
    /// arrived = entered + turned away + queued, entered = exited + inside.
    pub conservation_ok: bool,
    pub events: u64,
    pub vehicles_inside_at_end: u64,
}

/// Minute samples for plots and tables.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// Minute index since the start of day 0.
    pub minute: Vec<u32>,
    /// Queue length per entrance [vehicles], `queue[e][i]`.
    pub queue: Vec<Vec<u32>>,
    pub inside: Vec<u32>,
    /// 0 unsaturated, 1 saturated, 2 full.
    pub level: Vec<u8>,
    pub priority_on: Vec<bool>,
}

#[derive(Debug, Clone)]
pub struct RunResult {
    pub summary: Summary,
    pub series: Option<Series>,
}

#[derive(Debug, Clone)]
enum Ev {
    /// A general driver arrives; `entrance` is set for a driver coming
    /// round after a U-turn; `plate` for one planned ahead (control list).
    GeneralArrival {
        entrance: Option<usize>,
        plate: Option<String>,
    },
    ControlPush(String, u8),
    Lane(usize, LaneKind),
    Book(usize),
    Change(usize),
    Cancel(usize),
    Confirm(usize),
    ReservedArrival(usize, u32),
    GateDone(usize),
    StayEnd(String),
    ExitDone(usize),
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
    Boundary,
    Backlog,
    Sample,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ResvState {
    Planned,
    Booked,
    Refused,
    Cancelled,
}

#[derive(Debug, Clone)]
struct Resv {
    code: String,
    plate: String,
    /// Booked arrival time (overTime).
    booked: SimTime,
    /// A changed time sent in a 6001 change, until the garage answers.
    pending: Option<SimTime>,
    /// Arrival minus booked time [ms]; `None`: the driver never comes.
    offset_ms: Option<i64>,
    /// Bumped when an accepted change moves the arrival: an arrival event
    /// of an older generation is stale.
    generation: u32,
    state: ResvState,
    no_show: bool,
}

#[derive(Debug, Clone)]
struct Waiting {
    arrived: SimTime,
    /// Came round after a U-turn (already counted as an arrival).
    rearrival: bool,
    /// Index into `resvs` when the driver holds a booking.
    resv: Option<usize>,
    counted: bool,
}

struct Lane {
    busy: bool,
    service: Dist,
    manual: Dist,
    max_queue: u32,
    entered: u64,
    queue_samples: u64,
}

struct ExitLane {
    busy: bool,
    serving: Option<String>,
    queue: VecDeque<String>,
    service: Dist,
}

/// Garage side of the TCP link.
struct Link {
    up: bool,
    epoch: u32,
    next_packet: u32,
    /// Latest scheduled delivery per direction (order on the link).
    last_up: SimTime,
    last_down: SimTime,
    /// Frames sent and not yet answered: packetNo → (frame, event time).
    unacked: BTreeMap<u32, (Vec<u8>, SimTime, bool)>,
    /// Frames waiting for the link, oldest first.
    backlog: VecDeque<(Vec<u8>, SimTime, bool)>,
    /// Real-time frames waiting for the link after a reconnect.
    realtime: VecDeque<(Vec<u8>, SimTime, bool)>,
    last_realtime_send: SimTime,
    backlog_scheduled: bool,
    /// Downlinks the platform could not send during an outage.
    platform_out: VecDeque<(Vec<u8>, u32)>,
    garage_decoder: FrameDecoder,
    /// HTTPS transport (else TCP frames).
    http: bool,
    /// The HTTPS access token, once 1001 answered.
    token: Option<String>,
}

struct Stats {
    vehicles_arrived: u64,
    general_arrived: u64,
    general_entered: u64,
    general_turned_away: u64,
    reserved_booked: u64,
    reserved_refused: u64,
    reserved_cancelled: u64,
    reserved_changed: u64,
    reserved_no_show: u64,
    reserved_arrived: u64,
    reserved_fulfilled: u64,
    wait_hist: Vec<u64>,
    wait_sum: f64,
    wait_n: u64,
    max_queue: u32,
    samples: u64,
    queue_total_samples: u64,
    inside_samples: u64,
    level_samples: [u64; 3],
    revenue: Decimal,
    frames_sent: u64,
    garage_frames_verified: u64,
    garage_frames_rejected: u64,
    reports: u64,
    reports_within_3s: u64,
    events: u64,
    // whole-run conservation
    all_arrivals: u64,
    all_turned: u64,
    all_entered: u64,
    all_exited: u64,
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
    checked(&scn)?;
    let mut sim = Sim::new(scn, opts)?;
    sim.schedule_all();
    sim.main_loop();
    Ok(sim.finish())
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
    sim.schedule_all();
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

fn amount(x: f64) -> Amount {
    Amount(Decimal::from_f64_retain(x).unwrap_or_default().round_dp(2))
}

fn build(d: &crate::sim::dist::DistSpec) -> Result<Dist, SimError> {
    d.build().map_err(|e| SimError(e.to_string()))
}

struct Sim<'a> {
    scn: &'a Scenario,
    opts: RunOptions,
    rng: StdRng,
    /// Network latencies draw from their own stream, so switching frames
    /// off leaves the garage's draws unchanged.
    net_rng: StdRng,
    q: EventQueue<Ev>,
    engine: Engine,
    platform: Platform,
    lanes: Vec<Lane>,
    exits: Vec<ExitLane>,
    waiting: BTreeMap<String, Waiting>,
    /// Plate → index of its booking, while the driver has one.
    resv_by_plate: BTreeMap<String, usize>,
    resvs: Vec<Resv>,
    link: Link,
    stats: Stats,
    warm: SimTime,
    end: SimTime,
    uplink: Dist,
    downlink: Dist,
    stay: Dist,
    offset: Dist,
    change_shift: Dist,
    lead: Dist,
    next_plate: u64,
    control_pushes: u64,
    /// Entries of reserved vehicles the platform owes a coupon once it holds them.
    coupon_due: BTreeMap<String, String>,
    /// Vehicles the control list keeps inside (strategy 2 or 3).
    held_inside: u64,
    series: Series,
    /// Every record id the garage reported, by kind, for reconciliation.
    truth_entries: BTreeMap<String, ()>,
    truth_exits: BTreeMap<String, ()>,
    truth_charges: BTreeMap<String, ()>,
    truth_switches: BTreeMap<String, ()>,
    /// Every garage request sent, with its event time (see [`garage_tape`]).
    tape: Option<Vec<(SimTime, Request)>>,
}

fn t2dt(t: SimTime) -> DateTime {
    DateTime(DAY0.0 + t.secs())
}

impl<'a> Sim<'a> {
    fn new(scn: &'a Scenario, opts: RunOptions) -> Result<Sim<'a>, SimError> {
        let g = &scn.garage;
        let fc = &scn.flow_control;
        let on = scenario::parse_hhmm(&fc.priority.on).unwrap_or(450) * 60;
        let off = scenario::parse_hhmm(&fc.priority.off).unwrap_or(1170) * 60;
        let cfg = Config {
            park_code: PARK_CODE.into(),
            seed: scn.seed,
            total_stalls: g.stalls,
            reservable_stalls: g.reservable_stalls,
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
        };
        let engine = Engine::new(cfg, DAY0).map_err(|e| SimError(format!("garage: {e}")))?;
        let platform = Platform::new(PlatformConfig {
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
        let lanes = g
            .entrances
            .iter()
            .map(|e| {
                let service = build(&e.service_s)?;
                let manual = match &e.manual_service_s {
                    Some(m) => build(m)?,
                    None => Dist::Constant(3.0 * service.mean()),
                };
                Ok(Lane {
                    busy: false,
                    service,
                    manual,
                    max_queue: 0,
                    entered: 0,
                    queue_samples: 0,
                })
            })
            .collect::<Result<Vec<_>, SimError>>()?;
        let exits = g
            .exits
            .iter()
            .map(|x| {
                Ok(ExitLane {
                    busy: false,
                    serving: None,
                    queue: VecDeque::new(),
                    service: build(&x.service_s)?,
                })
            })
            .collect::<Result<Vec<_>, SimError>>()?;
        let n_ent = lanes.len();
        Ok(Sim {
            scn,
            opts,
            rng: StdRng::seed_from_u64(scn.seed),
            net_rng: StdRng::seed_from_u64(scn.seed ^ 0x6E65_7477_6F72_6B21),
            q: EventQueue::new(),
            engine,
            platform,
            lanes,
            exits,
            waiting: BTreeMap::new(),
            resv_by_plate: BTreeMap::new(),
            resvs: Vec::new(),
            link: Link {
                up: true,
                epoch: 0,
                next_packet: 0,
                last_up: SimTime(0),
                last_down: SimTime(0),
                unacked: BTreeMap::new(),
                backlog: VecDeque::new(),
                realtime: VecDeque::new(),
                last_realtime_send: SimTime(0),
                backlog_scheduled: false,
                platform_out: VecDeque::new(),
                garage_decoder: FrameDecoder::new(),
                http: scn.network.transport == scenario::Transport::Http,
                token: None,
            },
            stats: Stats {
                vehicles_arrived: 0,
                general_arrived: 0,
                general_entered: 0,
                general_turned_away: 0,
                reserved_booked: 0,
                reserved_refused: 0,
                reserved_cancelled: 0,
                reserved_changed: 0,
                reserved_no_show: 0,
                reserved_arrived: 0,
                reserved_fulfilled: 0,
                wait_hist: vec![0; 4 * 3600 + 1],
                wait_sum: 0.0,
                wait_n: 0,
                max_queue: 0,
                samples: 0,
                queue_total_samples: 0,
                inside_samples: 0,
                level_samples: [0; 3],
                revenue: Decimal::ZERO,
                frames_sent: 0,
                garage_frames_verified: 0,
                garage_frames_rejected: 0,
                reports: 0,
                reports_within_3s: 0,
                events: 0,
                all_arrivals: 0,
                all_turned: 0,
                all_entered: 0,
                all_exited: 0,
            },
            warm: SimTime(scn.warmup_days as i64 * SimTime::MS_PER_DAY),
            end: SimTime((scn.warmup_days + scn.days) as i64 * SimTime::MS_PER_DAY),
            uplink: build(&scn.network.uplink_ms)?,
            downlink: build(&scn.network.downlink_ms)?,
            stay: build(&scn.demand.stay_min)?,
            offset: build(&scn.demand.arrival_offset_min)?,
            change_shift: build(&scn.demand.change_shift_min)?,
            lead: build(&scn.demand.lead_time_min)?,
            next_plate: 0,
            control_pushes: 0,
            coupon_due: BTreeMap::new(),
            held_inside: 0,
            series: Series {
                queue: vec![Vec::new(); n_ent],
                ..Series::default()
            },
            truth_entries: BTreeMap::new(),
            truth_exits: BTreeMap::new(),
            truth_charges: BTreeMap::new(),
            truth_switches: BTreeMap::new(),
            tape: None,
        })
    }

    fn frames(&self) -> bool {
        self.scn.network.frames
    }

    fn plate(&mut self) -> String {
        self.next_plate += 1;
        let mut p = String::with_capacity(10);
        p.push_str("粤B");
        crate::proto::hex::push_upper(&mut p, self.next_plate, 6);
        p
    }

    /// Hourly arrival rate at `t` [vehicles/h].
    fn rate(&self, t: SimTime) -> f64 {
        let d = &self.scn.demand;
        let hour = (t.of_day() / 3_600_000) as usize;
        if let Some(r) = d.arrival_rate {
            r
        } else if let Some(w) = &d.arrivals_per_hour_by_weekday {
            w[(t.day() % 7) as usize][hour]
        } else {
            d.arrivals_per_hour.as_ref().map_or(0.0, |p| p[hour])
        }
    }

    fn max_rate(&self) -> f64 {
        let d = &self.scn.demand;
        if let Some(r) = d.arrival_rate {
            r
        } else if let Some(w) = &d.arrivals_per_hour_by_weekday {
            w.iter().flatten().cloned().fold(0.0, f64::max)
        } else {
            d.arrivals_per_hour
                .as_ref()
                .map_or(0.0, |p| p.iter().cloned().fold(0.0, f64::max))
        }
    }

    /// Draws every driver of the run (non-homogeneous Poisson by thinning)
    /// and schedules what follows from each; the schedule, samples, outages.
    fn schedule_all(&mut self) {
        let lmax = self.max_rate();
        if lmax > 0.0 {
            let mut t = 0.0f64; // hours
            let end_h = self.end.0 as f64 / 3_600_000.0;
            loop {
                let u: f64 = self.rng.random();
                t += -(1.0 - u).ln() / lmax;
                if t >= end_h {
                    break;
                }
                let at = SimTime((t * 3_600_000.0) as i64);
                let accept: f64 = self.rng.random();
                if accept * lmax > self.rate(at) {
                    continue;
                }
                let reserved: f64 = self.rng.random();
                if reserved < self.scn.demand.reserved_share {
                    self.plan_reservation(at);
                } else {
                    let listed = self
                        .scn
                        .demand
                        .control_list
                        .as_ref()
                        .map(|c| (c.share, c.strategy, c.pushed_min_before));
                    let u: f64 = self.rng.random();
                    match listed {
                        Some((share, strategy, before)) if u < share => {
                            let plate = self.plate();
                            let push = SimTime((at.0 - before as i64 * 60_000).max(0));
                            self.q
                                .schedule(push, Ev::ControlPush(plate.clone(), strategy));
                            self.q.schedule(
                                at,
                                Ev::GeneralArrival {
                                    entrance: None,
                                    plate: Some(plate),
                                },
                            );
                        }
                        _ => self.q.schedule(
                            at,
                            Ev::GeneralArrival {
                                entrance: None,
                                plate: None,
                            },
                        ),
                    }
                }
            }
        }
        // Priority schedule boundaries (7001 at their own times).
        let mut b = DAY0;
        while let Some((next, _)) = self.engine.config().schedule.next_boundary(b) {
            let st = SimTime((next.0 - DAY0.0) * 1000);
            if st >= self.end {
                break;
            }
            self.q.schedule(st, Ev::Boundary);
            b = next;
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
        self.q.schedule(SimTime(0), Ev::Sample);
        // Log in and describe the garage first.
        self.garage_login(SimTime(0));
        if self.frames() {
            let info = self.garage_info();
            for r in info {
                self.garage_send(SimTime(0), &r, SimTime(0), false);
            }
        }
        self.drain_effects(SimTime(0));
    }

    fn plan_reservation(&mut self, booked: SimTime) {
        let d = &self.scn.demand;
        let lead_min = self.lead.sample_nonneg(&mut self.rng);
        let book_at = SimTime((booked.0 - (lead_min * 60_000.0) as i64).max(0));
        let plate = self.plate();
        let i = self.resvs.len();
        let fate: f64 = self.rng.random();
        let (cancel, no_show) = (
            fate < d.cancel,
            fate >= d.cancel && fate < d.cancel + d.no_show,
        );
        let change: f64 = self.rng.random();
        self.resvs.push(Resv {
            code: format!("YD{:010}", i + 1),
            plate,
            booked,
            pending: None,
            offset_ms: None,
            generation: 0,
            state: ResvState::Planned,
            no_show,
        });
        self.q.schedule(book_at, Ev::Book(i));
        if cancel {
            let u: f64 = self.rng.random();
            self.q.schedule(
                SimTime(book_at.0 + ((booked.0 - book_at.0) as f64 * u) as i64 + 1000),
                Ev::Cancel(i),
            );
        } else if change < d.change {
            let u: f64 = self.rng.random();
            self.q.schedule(
                SimTime(book_at.0 + ((booked.0 - book_at.0) as f64 * u) as i64 + 1000),
                Ev::Change(i),
            );
        }
        if !cancel && !no_show {
            let off = (self.offset.sample(&mut self.rng) * 60_000.0) as i64;
            self.resvs[i].offset_ms = Some(off);
            let at = SimTime(booked.0 + off).max(SimTime(book_at.0 + 1000));
            self.q.schedule(at, Ev::ReservedArrival(i, 0));
        }
    }

    fn garage_info(&self) -> Vec<Request> {
        use crate::proto::messages::*;
        let cfg = self.engine.config();
        let charging = ChargingStandard {
            charger: "parksim".into(),
            complaint_tel: "12358".into(),
            items: vec![cfg.tariff.charge_item()],
            park_code: PARK_CODE.into(),
            permit_no: "000001".into(),
            pricing: 3,
            pricing_sign: None,
            region: 2,
            remark: None,
        };
        let park = ParkInfoUpload {
            park_info: ParkInfo {
                address: None,
                charging: charging.clone(),
                indust_author_info: None,
                latitude: 22.54,
                longitude: 114.05,
                map_image: None,
                operator_id: "OP00000001".into(),
                park_code: PARK_CODE.into(),
                park_name: self.scn.name.chars().take(255).collect(),
                public_info: "全天 24 小时".into(),
                reservable_stalls: cfg.reservable_stalls as i64,
                road_name: None,
                service_type: 3,
                shenzhen_h: None,
                shenzhen_x: None,
                shenzhen_y: None,
                stagger_stalls: None,
                total_stalls: None,
            },
            status: 1,
        };
        let entrances = self
            .scn
            .garage
            .entrances
            .iter()
            .enumerate()
            .map(|(i, e)| EntranceUpload {
                entrance_exit_info: EntranceInfo {
                    garage_code: None,
                    id: format!("{:032x}", 0xE0 + i),
                    latitude: 22.54,
                    longitude: 114.05,
                    name: e.name.chars().take(10).collect(),
                    park_code: PARK_CODE.into(),
                    road_name: None,
                    kind: 1,
                },
                status: 1,
            })
            .collect();
        vec![
            Request::ParkInfo(vec![park]),
            Request::EntranceInfo(entrances),
            Request::ChargingStandard(vec![charging]),
        ]
    }

    fn main_loop(&mut self) {
        while let Some((t, ev)) = self.q.pop() {
            if t >= self.end {
                break;
            }
            self.stats.events += 1;
            self.event(t, ev);
        }
    }

    fn event(&mut self, t: SimTime, ev: Ev) {
        match ev {
            Ev::GeneralArrival { entrance, plate } => {
                let plate = plate.unwrap_or_else(|| self.plate());
                self.vehicle_arrives(t, plate, None, entrance);
            }
            Ev::ControlPush(plate, strategy) => {
                use crate::proto::messages::{BlackWhiteGraySheet, ControlListDownlink};
                self.control_pushes += 1;
                let sheet = BlackWhiteGraySheet {
                    begin_date: None,
                    car_info: car(&plate),
                    end_date: t2dt(SimTime(t.0 + 7 * SimTime::MS_PER_DAY)),
                    id: format!("{:032x}", 0xC0000 + self.control_pushes),
                    park_code: PARK_CODE.into(),
                    strategy_from: "预约平台".into(),
                    strategy_type: strategy as i64,
                };
                self.platform_send(
                    t,
                    Request::ControlList(vec![ControlListDownlink {
                        black_white_gray_sheet: sheet,
                        status: 1,
                    }]),
                );
            }
            Ev::Lane(e, kind) => {
                let _ = self.engine.handle(
                    t2dt(t),
                    Cmd::SetLane {
                        entrance: EntranceId(e),
                        kind,
                    },
                );
                self.drain_effects(t);
                for x in 0..self.lanes.len() {
                    self.try_admit(t, x);
                }
            }
            Ev::Book(i) => {
                let req = self.book_request(i, t, 1);
                self.platform_send(t, Request::Book(vec![req]));
            }
            Ev::Change(i) => {
                if self.resvs[i].state != ResvState::Booked {
                    return;
                }
                // The driver moves the booked time (at least a minute ahead)
                // and will come then, whatever the network does with the
                // change; the arrival drawn for the old time goes stale.
                let shift = self.change_shift.sample(&mut self.rng);
                let moved =
                    SimTime((self.resvs[i].booked.0 + (shift * 60_000.0) as i64).max(t.0 + 60_000));
                let r = &mut self.resvs[i];
                r.pending = Some(moved);
                if let Some(off) = r.offset_ms {
                    r.generation += 1;
                    let at = SimTime(moved.0 + off).max(SimTime(t.0 + 1000));
                    let ev = Ev::ReservedArrival(i, r.generation);
                    self.q.schedule(at, ev);
                }
                let req = self.book_request(i, t, 2);
                self.stats.reserved_changed += u64::from(self.resvs[i].booked >= self.warm);
                self.platform_send(t, Request::Book(vec![req]));
            }
            Ev::Cancel(i) => {
                if self.resvs[i].state != ResvState::Booked {
                    return;
                }
                let req = BookConfirmRequest {
                    book_code: self.resvs[i].code.clone(),
                    confirm_status: 0,
                    park_code: PARK_CODE.into(),
                };
                self.platform_send(t, Request::BookConfirm(vec![req]));
            }
            Ev::Confirm(i) => {
                let req = BookConfirmRequest {
                    book_code: self.resvs[i].code.clone(),
                    confirm_status: 1,
                    park_code: PARK_CODE.into(),
                };
                self.platform_send(t, Request::BookConfirm(vec![req]));
            }
            Ev::ReservedArrival(i, generation) => {
                if generation != self.resvs[i].generation {
                    return; // moved by a change
                }
                let plate = self.resvs[i].plate.clone();
                let has = matches!(self.resvs[i].state, ResvState::Booked);
                self.vehicle_arrives(t, plate, has.then_some(i), None);
            }
            Ev::GateDone(e) => {
                self.lanes[e].busy = false;
                self.try_admit(t, e);
            }
            Ev::StayEnd(plate) => {
                // Pay at the pay station, then queue at the least busy exit.
                let r = self.engine.handle(
                    t2dt(t),
                    Cmd::Pay {
                        plate: plate.clone(),
                        pay_type: PayType::WeChat,
                        pay_from: "微信公众号".into(),
                        order_no: None,
                    },
                );
                if let Ok(ERe::Paid { received, .. }) = r
                    && t >= self.warm
                {
                    self.stats.revenue += received.0;
                }
                self.drain_effects(t);
                let x = (0..self.exits.len())
                    .min_by_key(|&x| self.exits[x].queue.len() + usize::from(self.exits[x].busy))
                    .unwrap_or(0);
                self.exits[x].queue.push_back(plate);
                self.try_exit(t, x);
            }
            Ev::ExitDone(x) => self.exit_done(t, x),
            Ev::Uplink { epoch, bytes, seq } => {
                if epoch != self.link.epoch {
                    return; // lost with the connection
                }
                let now = t.secs() + DAY0.0;
                if self.link.http {
                    if http::is_response(&bytes) {
                        // The garage's answer to a downlink.
                        self.platform.http_downlink_response(seq, &bytes);
                    } else {
                        let resp = self.platform.receive_http_bytes(now, &bytes);
                        self.platform_follow_up(t);
                        let at = self.down_time(t);
                        self.stats.frames_sent += 1;
                        self.q.schedule(
                            at,
                            Ev::Downlink {
                                epoch,
                                bytes: resp,
                                seq,
                            },
                        );
                    }
                    return;
                }
                let replies = self.platform.receive(now, &bytes);
                for r in replies {
                    let at = self.down_time(t);
                    self.q.schedule(
                        at,
                        Ev::Downlink {
                            epoch,
                            bytes: r,
                            seq: 0,
                        },
                    );
                    self.stats.frames_sent += 1;
                }
                self.platform_follow_up(t);
            }
            Ev::Downlink { epoch, bytes, seq } => {
                if epoch != self.link.epoch {
                    return;
                }
                if self.link.http {
                    self.garage_receive_http(t, &bytes, seq);
                } else {
                    self.garage_receive(t, &bytes);
                }
            }
            Ev::Refresh => {
                if let (true, Some(tok)) = (self.link.up, self.link.token.clone()) {
                    let key = self.des_key();
                    let req = Request::RefreshToken(vec![RefreshRequest {
                        access_token: tok,
                        password: key.encrypt(PASSWORD),
                        user_id: USER.into(),
                    }]);
                    let bytes = self.encode_up(&req, t);
                    self.transmit_inner(t, bytes, t, false);
                }
            }
            Ev::OutageStart => {
                self.link.up = false;
                self.link.epoch += 1;
                self.platform.disconnect();
                self.link.garage_decoder = FrameDecoder::new();
                // What was in flight is lost: resend after reconnect.
                let lost: Vec<_> = std::mem::take(&mut self.link.unacked)
                    .into_values()
                    .collect();
                for f in lost {
                    self.link.backlog.push_back(f);
                }
            }
            Ev::OutageEnd => {
                self.link.up = true;
                self.link.last_up = t;
                self.link.last_down = t;
                self.garage_login(t);
                let rt: Vec<_> = self.link.realtime.drain(..).collect();
                for (f, ev_t, rep) in rt {
                    self.transmit(t, f, ev_t, rep);
                }
                let out: Vec<_> = self.link.platform_out.drain(..).collect();
                for (b, seq) in out {
                    let at = self.down_time(t);
                    self.q.schedule(
                        at,
                        Ev::Downlink {
                            epoch: self.link.epoch,
                            bytes: b,
                            seq,
                        },
                    );
                }
                self.kick_backlog(t);
            }
            Ev::Backlog => {
                self.link.backlog_scheduled = false;
                if !self.link.up {
                    return;
                }
                if t.0 - self.link.last_realtime_send.0 >= 100 {
                    if let Some((f, ev_t, rep)) = self.link.backlog.pop_front() {
                        self.transmit_inner(t, f, ev_t, rep);
                    }
                }
                self.kick_backlog(t);
            }
            Ev::Boundary => {
                let _ = self.engine.handle(t2dt(t), Cmd::Tick);
                self.drain_effects(t);
                for e in 0..self.lanes.len() {
                    self.try_admit(t, e);
                }
            }
            Ev::Sample => {
                self.sample(t);
                self.q.schedule(SimTime(t.0 + 60_000), Ev::Sample);
            }
        }
    }

    /// The 6001 for booking `i` sent at `t`: 1 book, 2 change. `bookTime`
    /// is the moment of booking, `overTime` the booked arrival (a change:
    /// the moved one; at least a second later), `obligatTime` the
    /// scenario's hold.
    fn book_request(&self, i: usize, t: SimTime, operate_type: i64) -> BookRequest {
        let r = &self.resvs[i];
        let booked = match (operate_type, r.pending) {
            (2, Some(p)) => p,
            _ => r.booked,
        };
        BookRequest {
            book_code: r.code.clone(),
            book_time: t2dt(t),
            car_info: car(&r.plate),
            obligat_time: self.scn.demand.obligat_min as i64,
            operate_type,
            over_time: t2dt(booked).max(DateTime(t2dt(t).0 + 1)),
            park_code: PARK_CODE.into(),
        }
    }

    fn kick_backlog(&mut self, t: SimTime) {
        if !self.link.backlog.is_empty() && !self.link.backlog_scheduled {
            self.link.backlog_scheduled = true;
            self.q.schedule(SimTime(t.0 + 100), Ev::Backlog);
        }
    }

    fn up_time(&mut self, t: SimTime) -> SimTime {
        let lat = self.uplink.sample_nonneg(&mut self.net_rng);
        let at = SimTime((t.0 + lat.round() as i64).max(self.link.last_up.0));
        self.link.last_up = at;
        at
    }

    fn down_time(&mut self, t: SimTime) -> SimTime {
        let lat = self.downlink.sample_nonneg(&mut self.net_rng);
        let at = SimTime((t.0 + lat.round() as i64).max(self.link.last_down.0));
        self.link.last_down = at;
        at
    }

    fn des_key(&self) -> DesKey {
        // An 8-byte constant: `new` cannot fail on it.
        DesKey::new(DES_KEY).unwrap_or_else(|_| unreachable!("8-byte key"))
    }

    /// Logs in on a new connection (1004 over TCP, 1001 over HTTPS), ahead
    /// of everything else.
    fn garage_login(&mut self, t: SimTime) {
        if !self.frames() {
            return;
        }
        let password = self.des_key().encrypt(PASSWORD);
        let req = if self.link.http {
            self.link.token = None;
            Request::LoginHttp(vec![LoginRequest {
                callback_server: Some("https://garage.invalid/callback".into()),
                online_order_url: None,
                password,
                user_id: USER.into(),
            }])
        } else {
            Request::LoginTcp(vec![TcpLoginRequest {
                password,
                user_id: USER.into(),
            }])
        };
        let bytes = self.encode_up(&req, t);
        self.transmit_inner(t, bytes, t, false);
    }

    /// A garage request as bytes: an SZTC frame (TCP) or an HTTP request
    /// without its Authorization header (added when it is sent).
    fn encode_up(&mut self, req: &Request, t: SimTime) -> Vec<u8> {
        if let Some(tape) = &mut self.tape
            && !req.command().is_auth()
        {
            tape.push((t, req.clone()));
        }
        let ts = t.secs() + DAY0.0;
        if self.link.http {
            let body = envelope::request_body(&req.data_json(), ts, SignAlgo::Sha1);
            return http::request(&format!("/api/1.0/{}", req.command().code()), None, &body);
        }
        self.link.next_packet = next_packet_no(self.link.next_packet);
        envelope::request_frame(req, self.link.next_packet, ts, SignAlgo::Sha1)
    }

    /// The garage sends a request (a report or garage info) that happened at `ev_t`.
    fn garage_send(&mut self, t: SimTime, req: &Request, ev_t: SimTime, report: bool) {
        let bytes = self.encode_up(req, ev_t);
        if self.link.up {
            self.transmit(t, bytes, ev_t, report);
        } else {
            self.link.backlog.push_back((bytes, ev_t, report));
        }
    }

    fn transmit(&mut self, t: SimTime, bytes: Vec<u8>, ev_t: SimTime, report: bool) {
        self.link.last_realtime_send = t;
        self.transmit_inner(t, bytes, ev_t, report);
    }

    fn transmit_inner(&mut self, t: SimTime, bytes: Vec<u8>, ev_t: SimTime, report: bool) {
        let (seq, wire) = if self.link.http {
            let login = bytes.starts_with(b"POST /api/1.0/1001 ");
            let wire = match (&self.link.token, login) {
                (_, true) => bytes.clone(),
                (Some(tok), false) => match http::parse_request(&bytes) {
                    Ok(r) => http::request(r.path, Some(&format!("Bearer {tok}")), r.body),
                    Err(_) => bytes.clone(),
                },
                (None, false) => {
                    // No token yet: hold it until 1001 answers.
                    self.link.realtime.push_back((bytes, ev_t, report));
                    return;
                }
            };
            self.link.next_packet = next_packet_no(self.link.next_packet);
            (self.link.next_packet, wire)
        } else {
            (packet_no(&bytes).unwrap_or(0), bytes.clone())
        };
        let at = self.up_time(t);
        self.link.unacked.insert(seq, (bytes, ev_t, report));
        if report {
            self.stats.reports += 1;
            if at.0 - ev_t.0 <= 3000 {
                self.stats.reports_within_3s += 1;
            }
        }
        self.stats.frames_sent += 1;
        let seq = if self.link.http { seq } else { 0 };
        self.q.schedule(
            at,
            Ev::Uplink {
                epoch: self.link.epoch,
                bytes: wire,
                seq,
            },
        );
    }

    /// The platform sends a downlink at `t`.
    fn platform_send(&mut self, t: SimTime, req: Request) {
        if !self.frames() {
            // Straight into the engine, no bytes.
            self.garage_handle_downlink(t, req);
            return;
        }
        let now = t.secs() + DAY0.0;
        let (seq, bytes) = if self.link.http {
            self.platform.http_downlink(now, &req)
        } else {
            (0, self.platform.downlink(now, &req))
        };
        self.stats.frames_sent += 1;
        if self.link.up {
            let at = self.down_time(t);
            self.q.schedule(
                at,
                Ev::Downlink {
                    epoch: self.link.epoch,
                    bytes,
                    seq,
                },
            );
        } else {
            self.link.platform_out.push_back((bytes, seq));
        }
    }

    /// After the platform took bytes: its follow-up actions (a coupon for
    /// a reserved vehicle's entry).
    /// What the platform does once it has recorded something: a coupon
    /// (4002) for each reserved vehicle whose entry (5004) it now holds.
    fn platform_follow_up(&mut self, t: SimTime) {
        let Some(c) = self.scn.fees.reserved_coupon.clone() else {
            return;
        };
        let recorded: Vec<(String, String)> = self
            .coupon_due
            .iter()
            // Without frames the platform learns of the entry at once.
            .filter(|(id, _)| !self.frames() || self.platform.ledger.entries.contains_key(*id))
            .map(|(id, plate)| (id.clone(), plate.clone()))
            .collect();
        for (id, plate) in recorded {
            self.coupon_due.remove(&id);
            let req = CouponDownlink {
                channel_org_code: None,
                coupon_no: format!("C{}", &id[16..]),
                coupon_type: c.kind as i64,
                coupon_value: amount(c.value),
                discount_channel: Some("预约平台".into()),
                plate_no: plate,
                time: t2dt(t),
            };
            self.platform_send(t, Request::Coupon(vec![req]));
        }
    }

    /// Bytes from the platform reach the garage.
    fn garage_receive(&mut self, t: SimTime, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some((f, n)) = self.link.garage_decoder.take_whole(rest) {
            self.garage_frame(t, f.command, f.packet_no, f.direction, f.data);
            rest = &rest[n..];
        }
        if rest.is_empty() {
            return;
        }
        self.link.garage_decoder.feed(rest);
        loop {
            match self.link.garage_decoder.decode() {
                Ok(Some(f)) => self.garage_frame(t, f.command, f.packet_no, f.direction, &f.data),
                Ok(None) => break,
                Err(_) => self.stats.garage_frames_rejected += 1,
            }
        }
    }

    /// One frame from the platform: a reply to an uplink, or a downlink.
    fn garage_frame(
        &mut self,
        t: SimTime,
        command: u16,
        packet_no: u32,
        direction: Direction,
        data: &[u8],
    ) {
        if direction == Direction::Reply {
            // An answer to one of our uplinks: acknowledged.
            if envelope::accepted_reply(command, data, SignAlgo::Sha1, Mode::Lenient).is_ok() {
                self.stats.garage_frames_verified += 1;
                self.link.unacked.remove(&packet_no);
            } else {
                self.stats.garage_frames_rejected += 1;
            }
            return;
        }
        let Ok((req, _)) = envelope::accepted_request(command, data, SignAlgo::Sha1, Mode::Lenient)
        else {
            self.stats.garage_frames_rejected += 1;
            return;
        };
        self.stats.garage_frames_verified += 1;
        if let Some(rep) = self.garage_handle_downlink(t, req) {
            let body = envelope::reply_frame(&rep, ResultCode::Ok, packet_no, t.secs() + DAY0.0);
            if self.link.up {
                let at = self.up_time(t);
                self.stats.frames_sent += 1;
                self.q.schedule(
                    at,
                    Ev::Uplink {
                        epoch: self.link.epoch,
                        bytes: body,
                        seq: 0,
                    },
                );
            }
        }
    }

    /// An HTTP message reaches the garage: the response to one of its
    /// requests (`seq`), or a downlink request from the platform.
    fn garage_receive_http(&mut self, t: SimTime, bytes: &[u8], seq: u32) {
        if http::is_response(bytes) {
            let Some((sent, ev_t, report)) = self.link.unacked.remove(&seq) else {
                return;
            };
            match http::parse_response(bytes) {
                Ok((200, body)) => {
                    let cmd = http::parse_request(&sent)
                        .ok()
                        .and_then(|r| http::interface_code(r.path))
                        .unwrap_or(0);
                    let Ok(rep) =
                        envelope::accepted_reply(cmd, body, SignAlgo::Sha1, Mode::Lenient)
                    else {
                        self.stats.garage_frames_rejected += 1;
                        return;
                    };
                    self.stats.garage_frames_verified += 1;
                    // 1001 and 1002 answer with the (new) access token.
                    let token = match rep {
                        PReply::LoginHttp(items) => {
                            items.into_iter().next().map(|i| i.access_token)
                        }
                        PReply::RefreshToken(items) => {
                            items.into_iter().next().map(|i| i.access_token)
                        }
                        _ => None,
                    }
                    .filter(|s| !s.is_empty());
                    if let Some(tok) = token {
                        self.link.token = Some(tok);
                        self.q
                            .schedule(SimTime(t.0 + (TOKEN_TTL_S - 600) * 1000), Ev::Refresh);
                        let held: Vec<_> = self.link.realtime.drain(..).collect();
                        for (b, e, r) in held {
                            self.transmit(t, b, e, r);
                        }
                    }
                }
                Ok((401, _)) => {
                    // Token refused: log in again and resend this one.
                    self.stats.garage_frames_verified += 1;
                    self.link.realtime.push_front((sent, ev_t, report));
                    if self.link.token.is_some() {
                        self.garage_login(t);
                    }
                }
                _ => self.stats.garage_frames_rejected += 1,
            }
            return;
        }
        let Ok(r) = http::parse_request(bytes) else {
            self.stats.garage_frames_rejected += 1;
            return;
        };
        let code = http::interface_code(r.path).unwrap_or(0);
        let (result, reply) =
            match envelope::accepted_request(code, r.body, SignAlgo::Sha1, Mode::Lenient) {
                Ok((req, _)) => {
                    self.stats.garage_frames_verified += 1;
                    (ResultCode::Ok, self.garage_handle_downlink(t, req))
                }
                Err(d) => {
                    self.stats.garage_frames_rejected += 1;
                    (d.result, None)
                }
            };
        let now = t.secs() + DAY0.0;
        let body = match reply {
            Some(rep) => envelope::reply_body(
                ResultCode::Ok,
                ResultCode::Ok.message(),
                now,
                &rep.data_json(),
            ),
            None => envelope::reply_body(result, result.message(), now, b"[]"),
        };
        if self.link.up {
            let at = self.up_time(t);
            self.stats.frames_sent += 1;
            self.q.schedule(
                at,
                Ev::Uplink {
                    epoch: self.link.epoch,
                    bytes: http::response(200, &body),
                    seq,
                },
            );
        }
    }

    /// A downlink reaches the engine; returns the protocol reply.

    fn garage_handle_downlink(
        &mut self,
        t: SimTime,
        req: Request,
    ) -> Option<crate::proto::messages::Reply> {
        use crate::proto::messages::Reply as PRe;
        let now = t2dt(t);
        let out = match req {
            Request::Book(items) => {
                let mut replies = Vec::new();
                for b in items {
                    let code = b.book_code.clone();
                    let change = b.operate_type == 2;
                    if let Ok(ERe::Book(r)) = self.engine.handle(now, Cmd::Book(b)) {
                        self.booking_answer(t, &code, r.code, change);
                        replies.push(r);
                    }
                }
                Some(PRe::Book(replies))
            }
            Request::BookConfirm(items) => {
                let mut replies = Vec::new();
                for c in items {
                    let code = c.book_code.clone();
                    let cancel = c.confirm_status == 0;
                    if let Ok(ERe::BookConfirm(r)) = self.engine.handle(now, Cmd::BookConfirm(c)) {
                        if cancel && r.code == 0 {
                            if let Some(i) = self.resv_index(&code) {
                                self.resvs[i].state = ResvState::Cancelled;
                                self.resv_by_plate.remove(&self.resvs[i].plate.clone());
                                self.stats.reserved_cancelled +=
                                    u64::from(self.resvs[i].booked >= self.warm);
                            }
                        }
                        replies.push(r);
                    }
                }
                Some(PRe::BookConfirm(replies))
            }
            Request::Coupon(items) => Some(PRe::Coupon(
                items
                    .into_iter()
                    .filter_map(|c| match self.engine.handle(now, Cmd::Coupon(c)) {
                        Ok(ERe::Coupon(r)) => Some(r),
                        _ => None,
                    })
                    .collect(),
            )),
            Request::ControlList(items) => Some(PRe::ControlList(
                items
                    .into_iter()
                    .filter_map(|c| match self.engine.handle(now, Cmd::ControlList(c)) {
                        Ok(ERe::ControlList(r)) => Some(r),
                        _ => None,
                    })
                    .collect(),
            )),
            _ => None,
        };
        self.drain_effects(t);
        out
    }

    fn resv_index(&self, code: &str) -> Option<usize> {
        code.strip_prefix("YD")
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| n.checked_sub(1))
            .filter(|&i| i < self.resvs.len())
    }

    fn booking_answer(&mut self, t: SimTime, code: &str, result: i64, change: bool) {
        let Some(i) = self.resv_index(code) else {
            return;
        };
        let counted = self.resvs[i].booked >= self.warm;
        if change {
            // Accepted: the booking now holds for the new time (refused:
            // the driver still comes then, on the old booking).
            let r = &mut self.resvs[i];
            if let (0, Some(moved)) = (result, r.pending.take()) {
                r.booked = moved;
            }
            return;
        }
        if result == 0 {
            self.resvs[i].state = ResvState::Booked;
            self.resv_by_plate.insert(self.resvs[i].plate.clone(), i);
            self.stats.reserved_booked += u64::from(counted);
            // The platform confirms the booking a moment later (6002).
            self.q.schedule(SimTime(t.0 + 1000), Ev::Confirm(i));
        } else {
            self.resvs[i].state = ResvState::Refused;
            self.stats.reserved_refused += u64::from(counted);
        }
        if self.resvs[i].no_show && result == 0 {
            self.stats.reserved_no_show += u64::from(counted);
        }
    }

    /// Picks the entrance for a vehicle: reserved vehicles the
    /// reservation-only lane, general ones the shortest open queue.
    fn choose_entrance(&self, reserved: bool) -> usize {
        let n = self.lanes.len();
        let qlen = |e: usize| self.engine.queue_len(EntranceId(e));
        if reserved {
            if let Some(e) =
                (0..n).find(|&e| self.engine.lane(EntranceId(e)) == Some(LaneKind::ReservedOnly))
            {
                return e;
            }
        }
        (0..n)
            .filter(|&e| n == 1 || self.engine.lane(EntranceId(e)) != Some(LaneKind::ReservedOnly))
            .min_by_key(|&e| qlen(e))
            .unwrap_or(0)
    }

    fn vehicle_arrives(
        &mut self,
        t: SimTime,
        plate: String,
        resv: Option<usize>,
        entrance: Option<usize>,
    ) {
        let counted = t >= self.warm;
        let e = entrance.unwrap_or_else(|| self.choose_entrance(resv.is_some()));
        let first_time = entrance.is_none();
        if first_time {
            self.stats.all_arrivals += 1;
            if counted {
                self.stats.vehicles_arrived += 1;
                if resv.is_some() {
                    self.stats.reserved_arrived += 1;
                } else {
                    self.stats.general_arrived += 1;
                }
            }
        }
        let queued = self.engine.queue_len(EntranceId(e));
        let general = resv.is_none()
            || !self
                .engine
                .booking(&self.resvs[resv.unwrap_or(0)].code)
                .is_some_and(|b| b.is_live());
        let fc = &self.scn.flow_control;
        let full = self.engine.snapshot().level == engine::Saturation::Full;
        if general && (queued as u32 >= fc.max_queue || (full && fc.when_full == WhenFull::Leave)) {
            self.turn_away(t, counted, resv.is_some());
            return;
        }
        match self.engine.handle(
            t2dt(t),
            Cmd::Arrive {
                entrance: EntranceId(e),
                car: car(&plate),
            },
        ) {
            Ok(ERe::Queued { .. }) => {
                self.waiting.insert(
                    plate,
                    Waiting {
                        arrived: t,
                        rearrival: !first_time,
                        resv,
                        counted,
                    },
                );
                let q = (queued + 1) as u32;
                self.lanes[e].max_queue = self.lanes[e].max_queue.max(q);
                if counted {
                    self.stats.max_queue = self.stats.max_queue.max(q);
                }
                self.drain_effects(t);
                self.try_admit(t, e);
            }
            Ok(ERe::TurnedAway(reason))
                if !matches!(reason, engine::UTurnReason::GeneralAtReservedLane) =>
            {
                // The control list keeps it out.
                self.drain_effects(t);
                self.turn_away(t, counted, resv.is_some());
            }
            Ok(ERe::TurnedAway(_)) => {
                self.drain_effects(t);
                // A U-turn at a reservation-only lane: drive round to a general one.
                let other = (0..self.lanes.len())
                    .find(|&x| self.engine.lane(EntranceId(x)) != Some(LaneKind::ReservedOnly));
                match other {
                    Some(x) if x != e => {
                        // The driver drives round to another entrance: the
                        // same driver, counted once (at this first arrival).
                        self.q.schedule(
                            SimTime(t.0 + 60_000),
                            Ev::GeneralArrival {
                                entrance: Some(x),
                                plate: None,
                            },
                        );
                    }
                    _ => self.turn_away(t, counted, resv.is_some()),
                }
            }
            _ => self.turn_away(t, counted, resv.is_some()),
        }
    }

    fn turn_away(&mut self, t: SimTime, counted: bool, _reserved: bool) {
        self.stats.all_turned += 1;
        if counted {
            self.stats.general_turned_away += 1;
        }
        let _ = t;
    }

    fn try_admit(&mut self, t: SimTime, e: usize) {
        if self.lanes[e].busy {
            return;
        }
        let Ok(r) = self.engine.handle(
            t2dt(t),
            Cmd::Admit {
                entrance: EntranceId(e),
            },
        ) else {
            return;
        };
        if let ERe::Admitted {
            plate,
            class,
            manual,
            record_id,
        } = r
        {
            // The platform owes a reserved driver's entry a coupon once it
            // holds the 5004 (see `platform_follow_up`).
            if self.scn.fees.reserved_coupon.is_some() && self.resv_by_plate.contains_key(&plate) {
                self.coupon_due.insert(record_id, plate.clone());
            }
            self.stats.all_entered += 1;
            self.lanes[e].entered += 1;
            if let Some(w) = self.waiting.remove(&plate) {
                if w.counted {
                    let wait = (t.0 - w.arrived.0) as f64 / 1000.0;
                    self.stats.wait_sum += wait;
                    self.stats.wait_n += 1;
                    let b = (wait.round() as usize).min(self.stats.wait_hist.len() - 1);
                    self.stats.wait_hist[b] += 1;
                    match (class, w.resv) {
                        (VehicleClass::Reserved, Some(_)) => self.stats.reserved_fulfilled += 1,
                        (_, None) if !w.rearrival => self.stats.general_entered += 1,
                        _ => {}
                    }
                }
            }
            let service = if manual {
                &self.lanes[e].manual
            } else {
                &self.lanes[e].service
            };
            let s = service.sample_nonneg(&mut self.rng);
            self.lanes[e].busy = true;
            self.q.schedule(t.plus_secs(s), Ev::GateDone(e));
            let stay = self.stay.sample_nonneg(&mut self.rng);
            self.q
                .schedule(t.plus_secs(s + stay * 60.0), Ev::StayEnd(plate));
            self.drain_effects(t);
        }
    }

    /// Starts serving the next vehicle at exit `x` if it is free.
    fn try_exit(&mut self, t: SimTime, x: usize) {
        if self.exits[x].busy {
            return;
        }
        let Some(plate) = self.exits[x].queue.pop_front() else {
            return;
        };
        let s = self.exits[x].service.sample_nonneg(&mut self.rng);
        self.exits[x].busy = true;
        self.exits[x].serving = Some(plate);
        self.q.schedule(t.plus_secs(s), Ev::ExitDone(x));
    }

    /// The barrier of exit `x` opens for the vehicle it served.
    fn exit_done(&mut self, t: SimTime, x: usize) {
        self.exits[x].busy = false;
        if let Some(plate) = self.exits[x].serving.take() {
            let now = t2dt(t);
            let mut r = self.engine.handle(
                now,
                Cmd::Exit {
                    plate: plate.clone(),
                    equipment_id: None,
                },
            );
            if let Ok(ERe::PaymentDue { .. }) = r {
                // Overstayed the paid time: pay the extra at the barrier.
                if let Ok(ERe::Paid { received, .. }) = self.engine.handle(
                    now,
                    Cmd::Pay {
                        plate: plate.clone(),
                        pay_type: PayType::Cash,
                        pay_from: "线下缴费".into(),
                        order_no: None,
                    },
                ) && t >= self.warm
                {
                    self.stats.revenue += received.0;
                }
                r = self.engine.handle(
                    now,
                    Cmd::Exit {
                        plate: plate.clone(),
                        equipment_id: None,
                    },
                );
            }
            match r {
                Ok(ERe::Exited { .. }) => {
                    self.stats.all_exited += 1;
                    self.resv_by_plate.remove(&plate);
                }
                // The control list keeps it inside: it stays parked.
                Ok(ERe::ExitRefused { .. }) => self.held_inside += 1,
                _ => {}
            }
            self.drain_effects(t);
            for e in 0..self.lanes.len() {
                self.try_admit(t, e);
            }
        }
        self.try_exit(t, x);
    }

    /// Sends every report effect as a frame.
    fn drain_effects(&mut self, t: SimTime) {
        self.drain_effects_inner(t);
        if !self.frames() && !self.coupon_due.is_empty() {
            self.platform_follow_up(t);
        }
    }

    fn drain_effects_inner(&mut self, t: SimTime) {
        let frames = self.frames();
        while let Some(fx) = self.engine.poll() {
            match &fx {
                Effect::UTurn { car, .. } => {
                    // A vehicle already queued was sent round (its lane became
                    // reservation-only): it comes round to another entrance.
                    if let Some(w) = self.waiting.remove(&car.plate_no) {
                        let other = (0..self.lanes.len()).find(|&x| {
                            self.engine.lane(EntranceId(x)) != Some(LaneKind::ReservedOnly)
                        });
                        match other {
                            Some(x) => self.q.schedule(
                                SimTime(t.0 + 60_000),
                                Ev::GeneralArrival {
                                    entrance: Some(x),
                                    plate: Some(car.plate_no.clone()),
                                },
                            ),
                            None => self.turn_away(t, w.counted, w.resv.is_some()),
                        }
                    }
                }
                Effect::Entry(r) if frames => {
                    self.truth_entries.insert(r.id.clone(), ());
                }
                // The garage's truth, for reconciling with the platform.
                Effect::Exit(r) if frames => {
                    self.truth_exits.insert(r.id.clone(), ());
                }
                Effect::Charge(c) if frames => {
                    self.truth_charges.insert(c.id.clone(), ());
                }
                Effect::PrioritySwitch(p) if frames => {
                    self.truth_switches.insert(p.id.clone(), ());
                }
                _ => {}
            }
            if !frames {
                continue;
            }
            if let Some(req) = fx.into_report() {
                self.garage_send(t, &req, t, true);
            }
        }
    }

    fn sample(&mut self, t: SimTime) {
        let snap = self.engine.snapshot();
        let level = match snap.level {
            engine::Saturation::Unsaturated => 0usize,
            engine::Saturation::Saturated => 1,
            engine::Saturation::Full => 2,
        };
        let mut total = 0u64;
        for e in 0..self.lanes.len() {
            let n = (self.engine.queue_len(EntranceId(e))) as u32;
            total += n as u64;
            if t >= self.warm {
                self.lanes[e].queue_samples += n as u64;
            }
            if self.opts.series && t >= self.warm {
                self.series.queue[e].push(n);
            }
        }
        if self.opts.series && t >= self.warm {
            self.series.minute.push((t.0 / 60_000) as u32);
            self.series.inside.push(snap.used);
            self.series.level.push(level as u8);
            self.series.priority_on.push(snap.priority_on);
        }
        if t >= self.warm {
            self.stats.samples += 1;
            self.stats.queue_total_samples += total;
            self.stats.inside_samples += snap.used as u64;
            self.stats.level_samples[level] += 1;
        }
    }

    fn finish(mut self) -> RunResult {
        // Let the link drain: deliver what is in flight and the backlog.
        let end = self.end;
        let mut guard = 0;
        while let Some((t, ev)) = self.q.pop() {
            guard += 1;
            if guard > 10_000_000 {
                break;
            }
            match ev {
                Ev::Uplink { .. } | Ev::Downlink { .. } | Ev::Backlog | Ev::OutageEnd => {
                    self.event(t.max(end), ev)
                }
                _ => {}
            }
        }
        let s = &self.stats;
        let snap = self.engine.snapshot();
        let frac = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let p95 = {
            let target = (s.wait_n as f64 * 0.95).ceil() as u64;
            let mut acc = 0;
            let mut v = 0.0;
            for (i, c) in s.wait_hist.iter().enumerate() {
                acc += c;
                if acc >= target && s.wait_n > 0 {
                    v = i as f64;
                    break;
                }
            }
            v
        };
        let queued_now = self.waiting.len() as u64;
        let conservation_ok = s.all_arrivals == s.all_entered + s.all_turned + queued_now
            && s.all_entered == s.all_exited + snap.used as u64
            && snap.entered == s.all_entered;
        let problems = if self.frames() {
            self.reconcile()
        } else {
            Vec::new()
        };
        let names: Vec<String> = self
            .scn
            .garage
            .entrances
            .iter()
            .map(|e| e.name.clone())
            .collect();
        let summary = Summary {
            scenario: self.scn.name.clone(),
            seed: self.scn.seed,
            days: self.scn.days,
            stalls: self.scn.garage.stalls,
            saturated_at: self.scn.garage.saturated_at,
            full_at: self.scn.garage.full_at,
            vehicles_arrived: s.vehicles_arrived,
            general_arrived: s.general_arrived,
            general_entered: s.general_entered,
            general_turned_away: s.general_turned_away,
            blocking_rate: frac(s.general_turned_away, s.general_arrived),
            reserved_booked: s.reserved_booked,
            reserved_refused: s.reserved_refused,
            reserved_cancelled: s.reserved_cancelled,
            reserved_changed: s.reserved_changed,
            reserved_no_show: s.reserved_no_show,
            reserved_arrived: s.reserved_arrived,
            reserved_fulfilled: s.reserved_fulfilled,
            fulfilment_rate: frac(s.reserved_fulfilled, s.reserved_arrived),
            booking_success_rate: frac(s.reserved_booked, s.reserved_booked + s.reserved_refused),
            mean_wait_s: if s.wait_n == 0 {
                0.0
            } else {
                s.wait_sum / s.wait_n as f64
            },
            p95_wait_s: p95,
            max_queue: s.max_queue,
            mean_queue: frac(s.queue_total_samples, s.samples),
            entrances: self
                .lanes
                .iter()
                .zip(names)
                .map(|(l, name)| EntranceSummary {
                    name,
                    mean_queue: frac(l.queue_samples, s.samples),
                    max_queue: l.max_queue,
                    entered: l.entered,
                })
                .collect(),
            mean_occupancy: frac(s.inside_samples, s.samples) / self.scn.garage.stalls as f64,
            time_share: TimeShare {
                unsaturated: frac(s.level_samples[0], s.samples),
                saturated: frac(s.level_samples[1], s.samples),
                full: frac(s.level_samples[2], s.samples),
            },
            revenue: s.revenue.round_dp(2).to_string().parse().unwrap_or(0.0),
            frames_sent: s.frames_sent,
            frames_verified: self.platform.stats.frames_verified + s.garage_frames_verified,
            frames_rejected: self.platform.stats.frames_rejected + s.garage_frames_rejected,
            uplink_within_3s_rate: frac(s.reports_within_3s, s.reports),
            duplicates_ignored: self.platform.stats.duplicates,
            reconciled: problems.is_empty(),
            reconcile_problems: problems,
            conservation_ok,
            events: s.events,
            vehicles_inside_at_end: snap.used as u64,
        };
        RunResult {
            summary,
            series: self.opts.series.then_some(self.series),
        }
    }

    /// The platform's ledger against the garage's truth.
    fn reconcile(&self) -> Vec<String> {
        let l = &self.platform.ledger;
        let mut p = Vec::new();
        fn cmp<T>(
            name: &str,
            truth: &BTreeMap<String, ()>,
            got: &BTreeMap<String, T>,
            p: &mut Vec<String>,
        ) {
            let missing = truth.keys().filter(|k| !got.contains_key(*k)).count();
            let extra = got.keys().filter(|k| !truth.contains_key(*k)).count();
            if missing > 0 || extra > 0 {
                p.push(format!(
                    "{name}: {missing} missing, {extra} unknown (garage {}, platform {})",
                    truth.len(),
                    got.len()
                ));
            }
        }
        cmp("5004 entries", &self.truth_entries, &l.entries, &mut p);
        cmp("5005 exits", &self.truth_exits, &l.exits, &mut p);
        cmp("5008 charges", &self.truth_charges, &l.charges, &mut p);
        cmp(
            "7001 switches",
            &self.truth_switches,
            &l.priority_switches,
            &mut p,
        );
        let snap = self.engine.snapshot();
        match &l.space {
            Some((_, s))
                if s.used_stalls == snap.used as i64
                    && s.unused_stalls == snap.unused as i64
                    && s.reserved_stalls == Some(snap.reserved as i64) => {}
            other => p.push(format!(
                "5003: platform has {:?}, garage has used {} unused {} reserved {}",
                other.as_ref().map(|x| &x.1),
                snap.used,
                snap.unused,
                snap.reserved
            )),
        }
        p
    }
}

fn car(plate: &str) -> ParkCarInfo {
    ParkCarInfo {
        plate_no: plate.to_string(),
        ..Default::default()
    }
}

fn packet_no(frame: &[u8]) -> Option<u32> {
    frame
        .get(6..10)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}
