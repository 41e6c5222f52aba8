//! The engine's state and its command handlers. See the module doc of
//! [`crate::engine`] for the model and the ordering guarantees.

use super::admission::{
    Admission, AdmissionInput, FlowState, Saturation, VehicleClass, WaitReason, flow_after,
    next_admission,
};
use super::config::{Config, ConfigError, FullRuleWhen, LaneKind, PoolPolicy, RatioScope};
use super::fees::{CouponKind, PayType, apply_coupons};
use super::log::{EventKind, EventLog};
use super::{
    Command, ControlStrategy, Effect, EngineError, EntranceId, Gate, Reply, Snapshot, UTurnReason,
};
use crate::proto::codes::BizCode;
use crate::proto::messages::{
    Amount, BlackWhiteGraySheet, BookConfirmReply, BookConfirmRequest, BookReply, BookRequest,
    ControlListDownlink, CouponDownlink, CouponReply, DiscountRecord, IdReply, ParkCarInfo,
    ParkChargeInfo, ParkRecordInfo, ParkSpaceInfo, PrioritySwitch,
};
use crate::proto::time::{DateTime, days_from_civil};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap as HashMap;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// A schedule gap longer than this is not replayed boundary by boundary:
/// the state jumps to the scheduled one (one 7001 at most) \[s\].
const MAX_REPLAY_SECS: i64 = 366 * 86_400;

fn time_range() -> (i64, i64) {
    (
        days_from_civil(0, 1, 1) * 86_400,
        days_from_civil(9999, 12, 31) * 86_400 + 86_399,
    )
}

fn in_range(t: DateTime) -> bool {
    let (lo, hi) = time_range();
    (lo..=hi).contains(&t.0)
}

fn add(a: Amount, b: Amount) -> Amount {
    Amount(a.0 + b.0)
}

/// Where a booking is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BookingState {
    /// 6001 locked a stall.
    Locked,
    /// 6002 confirmed it.
    Confirmed,
    /// 6002 cancelled it; the stall went back to the pool.
    Cancelled,
    /// Its deadline passed; the stall went back to the pool.
    Expired,
    /// The vehicle entered on it.
    Arrived,
}

/// A booking (6001).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub code: String,
    pub car: ParkCarInfo,
    pub book_time: DateTime,
    pub over_time: DateTime,
    /// `obligatTime` \[min\].
    pub obligat_minutes: i64,
    /// `overTime + obligatTime`: the hold lapses at this instant.
    pub deadline: DateTime,
    /// The stall number locked (1-based; `stallNo` is `parkCode` + 8 digits).
    pub stall: u32,
    pub state: BookingState,
    /// When 6001 locked it.
    pub booked_at: DateTime,
}

impl Booking {
    /// Holds a stall and is recognised at an entrance.
    pub fn is_live(&self) -> bool {
        matches!(self.state, BookingState::Locked | BookingState::Confirmed)
    }
}

/// A parking record (table 7): one stay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub id: String,
    pub car: ParkCarInfo,
    pub enter_time: DateTime,
    pub leave_time: Option<DateTime>,
    pub entrance: EntranceId,
    pub in_equipment_id: Option<String>,
    pub out_equipment_id: Option<String>,
    pub class: VehicleClass,
    pub book_code: Option<String>,
    /// The booked stall, kept until exit.
    pub stall: Option<u32>,
    pub stall_no: Option<String>,
    pub receivables: Amount,
    pub discount: Amount,
    pub received: Amount,
    /// Charge ids (5008) of this stay; kept only when reports or the
    /// history are on (the 5005's `chargeIdList`, the log).
    pub charge_ids: Vec<String>,
    pub paid_at: Option<DateTime>,
}

impl Record {
    /// The table 7 item.
    pub fn info(&self, park_code: &str) -> ParkRecordInfo {
        ParkRecordInfo {
            car_info: self.car.clone(),
            charge_id_list: (!self.charge_ids.is_empty()).then(|| self.charge_ids.clone()),
            discount: self.discount,
            enter_time: self.enter_time,
            id: self.id.clone(),
            in_equipment_id: self.in_equipment_id.clone(),
            leave_time: self.leave_time,
            out_equipment_id: self.out_equipment_id.clone(),
            park_code: Some(park_code.to_owned()),
            receivables: self.receivables,
            received: self.received,
            stall_no: self.stall_no.clone(),
        }
    }
}

#[derive(Debug, Clone)]
struct Waiting {
    seq: u64,
    car: ParkCarInfo,
    book_code: Option<String>,
}

#[derive(Debug, Clone)]
struct Lane {
    kind: LaneKind,
    equipment_id: Option<String>,
    reserved: VecDeque<Waiting>,
    general: VecDeque<Waiting>,
    /// This barrier's position in the saturated ratio cycle
    /// ([`RatioScope::Barrier`]).
    cycle: u32,
}

/// The control-list verdict for a plate at an instant (list ids).
#[derive(Debug, Default)]
struct Controls {
    no_entry: Option<(String, ControlStrategy)>,
    no_exit: Option<String>,
    warn: Option<String>,
    free: Option<String>,
}

/// The garage. See the module doc.
///
/// Maps that are only looked up are `HashMap`s; every map whose order can
/// show (iteration, public accessors) is a `BTreeMap`, so runs stay
/// deterministic.
#[derive(Debug, Clone)]
pub struct Engine {
    cfg: Config,
    now: DateTime,
    sched_cursor: DateTime,
    next_id: u64,
    priority_on: bool,
    lanes: Vec<Lane>,
    /// Plate → (lane, class) of every waiting vehicle.
    waiting: HashMap<String, (usize, VehicleClass)>,
    waiting_reserved: u32,
    waiting_general: u32,
    arrival_seq: u64,
    /// Vehicles inside, by plate (hashed: a lookup costs one hash, not a
    /// dozen plate comparisons; [`Engine::inside_all`] sorts).
    inside: HashMap<String, Box<Record>>,
    /// Of those, the ones that entered as general.
    general_inside: u32,
    /// Finished stays, by record id.
    closed: HashMap<String, Box<Record>>,
    bookings: BTreeMap<String, Booking>,
    live_by_plate: HashMap<String, String>,
    next_label: u32,
    free_labels: BTreeSet<u32>,
    expiries: BTreeSet<(DateTime, String)>,
    holds: u32,
    control: HashMap<String, BlackWhiteGraySheet>,
    control_by_plate: HashMap<String, BTreeSet<String>>,
    coupons: HashMap<String, Vec<CouponDownlink>>,
    coupon_nos: HashMap<String, CouponDownlink>,
    effects: VecDeque<Effect>,
    log: EventLog,
    level: Saturation,
    flow: FlowState,
    last_space: ParkSpaceInfo,
    entered: u64,
    exited: u64,
    turned: u64,
}

impl Engine {
    /// A garage at `start`, empty, with the priority function in its
    /// scheduled state. Queues one 5003 with the initial counts.
    pub fn new(cfg: Config, start: DateTime) -> Result<Engine, ConfigError> {
        cfg.validate()?;
        if !in_range(start) {
            return Err(ConfigError::StartOutOfRange);
        }
        let lanes = cfg
            .entrances
            .iter()
            .map(|e| Lane {
                kind: e.kind,
                equipment_id: (!e.equipment_id.is_empty()).then(|| e.equipment_id.clone()),
                reserved: VecDeque::new(),
                general: VecDeque::new(),
                cycle: 0,
            })
            .collect();
        let level = Saturation::of(
            0,
            cfg.total_stalls,
            cfg.saturated_at_permille,
            cfg.full_at_permille,
        );
        let priority_on = cfg.schedule.on_at(start);
        let mut e = Engine {
            now: start,
            sched_cursor: start,
            next_id: 1,
            priority_on,
            lanes,
            waiting: HashMap::default(),
            waiting_reserved: 0,
            waiting_general: 0,
            arrival_seq: 0,
            inside: HashMap::default(),
            general_inside: 0,
            closed: HashMap::default(),
            bookings: BTreeMap::new(),
            live_by_plate: HashMap::default(),
            next_label: 1,
            free_labels: BTreeSet::new(),
            expiries: BTreeSet::new(),
            holds: 0,
            control: HashMap::default(),
            control_by_plate: HashMap::default(),
            coupons: HashMap::default(),
            coupon_nos: HashMap::default(),
            effects: VecDeque::new(),
            log: if cfg.history {
                EventLog::default()
            } else {
                EventLog::disabled()
            },
            level,
            flow: FlowState::default(),
            last_space: ParkSpaceInfo {
                park_code: String::new(),
                reserved_stalls: None,
                unused_stalls: 0,
                used_stalls: 0,
            },
            entered: 0,
            exited: 0,
            turned: 0,
            cfg,
        };
        e.counts_changed(start);
        Ok(e)
    }

    /// Handles one command at `now`. See the module doc for what happens
    /// first (time advance) and in which order effects are queued.
    pub fn handle(&mut self, now: DateTime, command: Command) -> Result<Reply, EngineError> {
        if !in_range(now) {
            return Err(EngineError::TimeOutOfRange(now));
        }
        if now < self.now {
            return Err(EngineError::TimeWentBackwards {
                last: self.now,
                now,
            });
        }
        self.advance(now);
        self.now = now;
        match command {
            Command::Arrive { entrance, car } => self.arrive(now, entrance, car),
            Command::Admit { entrance } => self.admit(now, entrance),
            Command::Pay {
                plate,
                pay_type,
                pay_from,
                order_no,
            } => self.pay(now, &plate, pay_type, pay_from, order_no),
            Command::Exit {
                plate,
                equipment_id,
            } => self.exit(now, &plate, equipment_id, false),
            Command::Release {
                plate,
                equipment_id,
            } => self.exit(now, &plate, equipment_id, true),
            Command::Correct {
                record_id,
                car,
                enter_time,
            } => self.correct(now, &record_id, car, enter_time),
            Command::ControlList(d) => Ok(Reply::ControlList(self.control_list(now, d))),
            Command::Coupon(c) => Ok(Reply::Coupon(self.coupon(now, c))),
            Command::Book(b) => Ok(Reply::Book(self.book(now, b))),
            Command::BookConfirm(c) => Ok(Reply::BookConfirm(self.book_confirm(now, c))),
            Command::SetPriority { on, remark } => {
                let changed = on != self.priority_on;
                if changed {
                    self.switch_priority(now, on, true, remark);
                }
                Ok(Reply::Priority { on, changed })
            }
            Command::SetLane { entrance, kind } => self.set_lane(now, entrance, kind),
            Command::Tick => Ok(Reply::Ticked),
        }
    }

    /// The oldest queued effect. O(1).
    pub fn poll(&mut self) -> Option<Effect> {
        self.effects.pop_front()
    }

    /// Effects queued and not yet polled.
    pub fn pending_effects(&self) -> usize {
        self.effects.len()
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            time: self.now,
            total_stalls: self.cfg.total_stalls,
            reservable_stalls: self.cfg.reservable_stalls,
            used: self.inside.len() as u32,
            reserved: self.holds,
            unused: self.unused(),
            general_inside: self.general_inside,
            general_room: self.general_room(),
            rest_reservable: self.rest_reservable(),
            level: self.level,
            priority_on: self.priority_on,
            waiting_reserved: self.waiting_reserved,
            waiting_general: self.waiting_general,
            entered: self.entered,
            exited: self.exited,
            turned_away: self.turned,
            flow: self.flow,
        }
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Vehicles inside and stalls held by live bookings. O(1).
    pub fn occupancy(&self) -> (u32, u32) {
        (self.inside.len() as u32, self.holds)
    }

    /// The time of the last call.
    pub fn now(&self) -> DateTime {
        self.now
    }

    pub fn log(&self) -> &EventLog {
        &self.log
    }

    /// Every booking ever made, by code.
    pub fn bookings(&self) -> impl Iterator<Item = &Booking> {
        self.bookings.values()
    }

    pub fn booking(&self, code: &str) -> Option<&Booking> {
        self.bookings.get(code)
    }

    /// The record of a vehicle inside.
    pub fn inside(&self, plate: &str) -> Option<&Record> {
        self.inside.get(plate).map(|r| &**r)
    }

    /// All vehicles inside, by plate.
    pub fn inside_all(&self) -> impl Iterator<Item = &Record> {
        let mut all: Vec<(&String, &Record)> = self.inside.iter().map(|(p, r)| (p, &**r)).collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        all.into_iter().map(|(_, r)| r)
    }

    /// A finished stay.
    pub fn closed_record(&self, record_id: &str) -> Option<&Record> {
        self.closed.get(record_id).map(|r| &**r)
    }

    /// The current lane kind of an entrance.
    pub fn lane(&self, entrance: EntranceId) -> Option<LaneKind> {
        self.lanes.get(entrance.0).map(|l| l.kind)
    }

    /// Plates waiting at an entrance in one class, head first.
    pub fn queue(&self, entrance: EntranceId, class: VehicleClass) -> Vec<&str> {
        self.lanes
            .get(entrance.0)
            .map(|l| match class {
                VehicleClass::Reserved => &l.reserved,
                VehicleClass::General => &l.general,
            })
            .into_iter()
            .flatten()
            .map(|w| w.car.plate_no.as_str())
            .collect()
    }

    /// Vehicles waiting at an entrance, both classes (no allocation).
    pub fn queue_len(&self, entrance: EntranceId) -> usize {
        self.lanes
            .get(entrance.0)
            .map_or(0, |l| l.reserved.len() + l.general.len())
    }

    /// The inputs [`next_admission`] would see at this entrance now.
    pub fn admission_input(&self, entrance: EntranceId) -> Option<AdmissionInput> {
        let lane = self.lanes.get(entrance.0)?;
        Some(AdmissionInput {
            lane: lane.kind,
            one_entrance: self.cfg.single_entrance_mode(),
            reserved_here: lane.reserved.front().map(|w| w.seq),
            general_here: lane.general.front().map(|w| w.seq),
            reserved_elsewhere: self.waiting_reserved as usize > lane.reserved.len(),
            general_elsewhere: self.waiting_general as usize > lane.general.len(),
            priority_on: self.priority_on,
            level: self.level,
            free_general: self.general_room(),
            flow: FlowState {
                cycle: match self.cfg.flow.ratio_scope {
                    RatioScope::Barrier => lane.cycle,
                    RatioScope::Garage => self.flow.cycle,
                },
                exit_credits: self.flow.exit_credits,
            },
            policy: self.cfg.flow,
        })
    }

    // ---- counts ----------------------------------------------------------

    /// Stalls neither occupied nor held (`unusedStalls`).
    fn unused(&self) -> u32 {
        self.cfg
            .total_stalls
            .saturating_sub(self.inside.len() as u32)
            .saturating_sub(self.holds)
    }

    /// Stalls a general vehicle may take: unused ones, and with a protected
    /// pool no more than `total − reservable` general vehicles inside.
    fn general_room(&self) -> u32 {
        let unused = self.unused();
        match self.cfg.pool {
            PoolPolicy::Shared => unused,
            PoolPolicy::Protected => unused.min(
                (self.cfg.total_stalls - self.cfg.reservable_stalls)
                    .saturating_sub(self.general_inside),
            ),
        }
    }

    fn rest_reservable(&self) -> u32 {
        self.cfg
            .reservable_stalls
            .saturating_sub(self.holds)
            .min(self.unused())
    }

    /// The next instant at which time alone changes the garage (a booking
    /// expiry or a scheduled priority switch), if any: a caller that wants
    /// those applied on time calls [`Command::Tick`] then. O(1).
    pub fn next_timer(&self) -> Option<DateTime> {
        let exp = self.expiries.first().map(|(t, _)| *t);
        let bnd = self
            .cfg
            .schedule
            .next_boundary(self.sched_cursor)
            .map(|(t, _)| t);
        match (exp, bnd) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn fresh_id(&mut self) -> String {
        let n = self.next_id;
        self.next_id += 1;
        let mut id = String::with_capacity(32);
        crate::proto::hex::push_lower(&mut id, self.cfg.seed, 16);
        crate::proto::hex::push_lower(&mut id, n, 16);
        id
    }

    fn stall_no(&self, stall: u32) -> String {
        format!("{}{:08}", self.cfg.park_code, stall)
    }

    fn take_label(&mut self) -> u32 {
        self.free_labels.pop_first().unwrap_or_else(|| {
            self.next_label += 1;
            self.next_label - 1
        })
    }

    /// Queues a 5003 if a count changed, then a level change if any.
    fn counts_changed(&mut self, t: DateTime) {
        let s = self.snapshot();
        if self.cfg.reports {
            let info = s.space_info(&self.cfg.park_code);
            if info != self.last_space {
                self.last_space = info.clone();
                self.effects.push_back(Effect::SpaceCount(info));
            }
        }
        let level = Saturation::of(
            s.used,
            self.cfg.total_stalls,
            self.cfg.saturated_at_permille,
            self.cfg.full_at_permille,
        );
        if level != self.level {
            let from = self.level;
            self.level = level;
            if level == Saturation::Full {
                self.flow.exit_credits = 0;
            }
            self.effects.push_back(Effect::Saturation {
                time: t,
                from,
                to: level,
            });
            self.log
                .push(t, None, None, || EventKind::SaturationChanged {
                    from,
                    to: level,
                });
        }
    }

    // ---- time ------------------------------------------------------------

    fn advance(&mut self, now: DateTime) {
        loop {
            let exp = self.expiries.first().filter(|(t, _)| *t <= now).cloned();
            let bnd = self
                .cfg
                .schedule
                .next_boundary(self.sched_cursor)
                .filter(|(t, _)| *t <= now);
            let expiry_first = match (&exp, &bnd) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                // An expiry goes before a switch at the same instant.
                (Some((te, _)), Some((tb, _))) => te <= tb,
            };
            if expiry_first {
                if let Some((te, code)) = exp {
                    self.expire(te, &code);
                }
                continue;
            }
            let Some((tb, on)) = bnd else { break };
            let limit = now.0 - MAX_REPLAY_SECS;
            if tb.0 < limit {
                // Long gap: jump, reporting at most one switch.
                let before_exp = exp.map_or(i64::MAX, |(t, _)| t.0 - 1);
                let j = DateTime(limit.min(before_exp).max(tb.0));
                self.sched_cursor = j;
                let on = self.cfg.schedule.on_at(j);
                if on != self.priority_on {
                    self.switch_priority(j, on, false, None);
                }
            } else {
                self.sched_cursor = tb;
                if on != self.priority_on {
                    self.switch_priority(tb, on, false, None);
                }
            }
        }
        if now > self.sched_cursor {
            self.sched_cursor = now;
        }
    }

    fn switch_priority(&mut self, t: DateTime, on: bool, manual: bool, remark: Option<String>) {
        self.priority_on = on;
        self.flow = FlowState::default();
        for l in &mut self.lanes {
            l.cycle = 0;
        }
        let id = self.fresh_id();
        let remark = remark
            .map(|r| r.chars().take(200).collect())
            .or_else(|| (!manual).then(|| "schedule".to_owned()));
        if self.cfg.reports {
            self.effects
                .push_back(Effect::PrioritySwitch(PrioritySwitch {
                    id,
                    operate_type: on as i64,
                    park_code: self.cfg.park_code.clone(),
                    remark,
                    time: t,
                }));
        }
        self.log
            .push(t, None, None, || EventKind::PrioritySwitched { on, manual });
    }

    fn expire(&mut self, t: DateTime, code: &str) {
        self.expiries.remove(&(t, code.to_owned()));
        let Some(b) = self.bookings.get_mut(code) else {
            return;
        };
        if !b.is_live() {
            return;
        }
        b.state = BookingState::Expired;
        let (plate, stall) = (b.car.plate_no.clone(), b.stall);
        self.release_hold(&plate, stall);
        self.effects.push_back(Effect::BookingExpired {
            time: t,
            book_code: code.to_owned(),
            plate: plate.clone(),
        });
        self.log
            .push(t, Some(&plate), Some(code), || EventKind::BookingExpired);
        self.counts_changed(t);
        self.demote_waiting(t, &plate);
    }

    fn release_hold(&mut self, plate: &str, stall: u32) {
        self.holds = self.holds.saturating_sub(1);
        self.free_labels.insert(stall);
        self.live_by_plate.remove(plate);
    }

    /// A waiting reserved vehicle whose booking ended waits on as general,
    /// or is turned round at a reservation-only lane.
    fn demote_waiting(&mut self, t: DateTime, plate: &str) {
        let Some(&(ix, VehicleClass::Reserved)) = self.waiting.get(plate) else {
            return;
        };
        let lane = &mut self.lanes[ix];
        let Some(pos) = lane.reserved.iter().position(|w| w.car.plate_no == plate) else {
            return;
        };
        let Some(mut w) = lane.reserved.remove(pos) else {
            return;
        };
        self.waiting_reserved = self.waiting_reserved.saturating_sub(1);
        w.book_code = None;
        if lane.kind == LaneKind::ReservedOnly {
            self.waiting.remove(plate);
            self.turn_away(t, EntranceId(ix), w.car, UTurnReason::GeneralAtReservedLane);
        } else {
            let at = lane.general.partition_point(|x| x.seq < w.seq);
            lane.general.insert(at, w);
            self.waiting
                .insert(plate.to_owned(), (ix, VehicleClass::General));
            self.waiting_general += 1;
            self.log.push(t, Some(plate), None, || EventKind::Demoted {
                entrance: EntranceId(ix),
            });
        }
    }

    fn turn_away(
        &mut self,
        t: DateTime,
        entrance: EntranceId,
        car: ParkCarInfo,
        reason: UTurnReason,
    ) {
        self.turned += 1;
        self.log
            .push(t, Some(&car.plate_no), None, || EventKind::TurnedAway {
                entrance,
            });
        self.effects.push_back(Effect::UTurn {
            time: t,
            entrance,
            car,
            reason,
        });
    }

    // ---- vehicles --------------------------------------------------------

    fn lane_ix(&self, entrance: EntranceId) -> Result<usize, EngineError> {
        if entrance.0 < self.lanes.len() {
            Ok(entrance.0)
        } else {
            Err(EngineError::UnknownEntrance(entrance))
        }
    }

    fn controls(&self, plate: &str, now: DateTime) -> Controls {
        let mut c = Controls::default();
        let Some(ids) = self.control_by_plate.get(plate) else {
            return c;
        };
        for id in ids {
            let Some(s) = self.control.get(id) else {
                continue;
            };
            let active = s.begin_date.is_none_or(|b| b <= now) && now <= s.end_date;
            if !active {
                continue;
            }
            match ControlStrategy::from_code(s.strategy_type) {
                Some(k @ (ControlStrategy::NoEntry | ControlStrategy::NoEntryNoExit)) => {
                    c.no_entry.get_or_insert((id.clone(), k));
                    if k == ControlStrategy::NoEntryNoExit {
                        c.no_exit.get_or_insert(id.clone());
                    }
                }
                Some(ControlStrategy::NoExit) => {
                    c.no_exit.get_or_insert(id.clone());
                }
                Some(ControlStrategy::Warn) => {
                    c.warn.get_or_insert(id.clone());
                }
                Some(ControlStrategy::Free) => {
                    c.free.get_or_insert(id.clone());
                }
                None => {}
            }
        }
        c
    }

    fn warn(&mut self, t: DateTime, list_id: String, car: &ParkCarInfo, at: Gate) {
        self.log
            .push(t, Some(&car.plate_no), None, || EventKind::ControlWarning {
                list_id: list_id.clone(),
            });
        self.effects.push_back(Effect::Warning {
            time: t,
            list_id,
            car: car.clone(),
            at,
        });
    }

    fn arrive(
        &mut self,
        now: DateTime,
        entrance: EntranceId,
        car: ParkCarInfo,
    ) -> Result<Reply, EngineError> {
        let ix = self.lane_ix(entrance)?;
        let plate = car.plate_no.as_str();
        if plate.trim().is_empty() {
            return Err(EngineError::EmptyPlate);
        }
        if self.waiting.contains_key(plate) || self.inside.contains_key(plate) {
            return Err(EngineError::AlreadyPresent {
                plate: plate.to_owned(),
            });
        }
        let ctl = self.controls(plate, now);
        if let Some(id) = ctl.warn {
            self.warn(now, id, &car, Gate::Entrance(entrance));
        }
        if let Some((list_id, strategy)) = ctl.no_entry {
            let reason = UTurnReason::ControlList { list_id, strategy };
            self.turn_away(now, entrance, car, reason.clone());
            return Ok(Reply::TurnedAway(reason));
        }
        let book_code = self.live_by_plate.get(&car.plate_no).cloned();
        let class = if book_code.is_some() {
            VehicleClass::Reserved
        } else {
            VehicleClass::General
        };
        let lane = &mut self.lanes[ix];
        if class == VehicleClass::General && lane.kind == LaneKind::ReservedOnly {
            let reason = UTurnReason::GeneralAtReservedLane;
            self.turn_away(now, entrance, car, reason.clone());
            return Ok(Reply::TurnedAway(reason));
        }
        let seq = self.arrival_seq;
        self.arrival_seq += 1;
        let plate = car.plate_no.clone();
        let w = Waiting {
            seq,
            car,
            book_code: book_code.clone(),
        };
        match class {
            VehicleClass::Reserved => {
                lane.reserved.push_back(w);
                self.waiting_reserved += 1;
            }
            VehicleClass::General => {
                lane.general.push_back(w);
                self.waiting_general += 1;
            }
        }
        self.log.push(now, Some(&plate), book_code.as_deref(), || {
            EventKind::Arrived { entrance, class }
        });
        self.waiting.insert(plate, (ix, class));
        Ok(Reply::Queued { class, book_code })
    }

    fn admit(&mut self, now: DateTime, entrance: EntranceId) -> Result<Reply, EngineError> {
        let ix = self.lane_ix(entrance)?;
        let Some(input) = self.admission_input(entrance) else {
            return Err(EngineError::UnknownEntrance(entrance));
        };
        let (class, manual) = match next_admission(&input) {
            Admission::Wait(r) => return Ok(Reply::Wait(r)),
            Admission::Admit { class, manual } => (class, manual),
        };
        // Defensive: a reserved head always has a live booking (lapsed ones
        // are demoted at once); without one it would need a free stall.
        let head_live = self.lanes[ix]
            .reserved
            .front()
            .and_then(|w| w.book_code.as_ref())
            .and_then(|c| self.bookings.get(c))
            .is_some_and(Booking::is_live);
        let needs_room = class == VehicleClass::General || !head_live;
        if needs_room && self.general_room() == 0 {
            return Ok(Reply::Wait(WaitReason::NoFreeStall));
        }
        let lane = &mut self.lanes[ix];
        let w = match class {
            VehicleClass::Reserved => lane.reserved.pop_front(),
            VehicleClass::General => lane.general.pop_front(),
        };
        let Some(w) = w else {
            return Ok(Reply::Wait(WaitReason::Empty));
        };
        match class {
            VehicleClass::Reserved => {
                self.waiting_reserved = self.waiting_reserved.saturating_sub(1)
            }
            VehicleClass::General => self.waiting_general = self.waiting_general.saturating_sub(1),
        }
        self.waiting.remove(&w.car.plate_no);
        let f = flow_after(&input, class);
        self.flow.exit_credits = f.exit_credits;
        match self.cfg.flow.ratio_scope {
            RatioScope::Barrier => self.lanes[ix].cycle = f.cycle,
            RatioScope::Garage => self.flow.cycle = f.cycle,
        }
        Ok(self.enter(now, ix, w, class, manual))
    }

    fn enter(
        &mut self,
        now: DateTime,
        ix: usize,
        w: Waiting,
        class: VehicleClass,
        manual: bool,
    ) -> Reply {
        let record_id = self.fresh_id();
        let plate = w.car.plate_no.clone();
        let mut stall = None;
        if let Some(code) = &w.book_code
            && let Some(b) = self.bookings.get_mut(code)
            && b.is_live()
        {
            b.state = BookingState::Arrived;
            let (deadline, s) = (b.deadline, b.stall);
            self.expiries.remove(&(deadline, code.clone()));
            // The hold becomes occupancy; the stall number stays taken
            // until the vehicle leaves.
            self.holds = self.holds.saturating_sub(1);
            self.live_by_plate.remove(&plate);
            stall = Some(s);
        }
        let rec = Record {
            id: record_id.clone(),
            car: w.car,
            enter_time: now,
            leave_time: None,
            entrance: EntranceId(ix),
            in_equipment_id: self.lanes[ix].equipment_id.clone(),
            out_equipment_id: None,
            class,
            book_code: w.book_code.clone(),
            stall,
            stall_no: stall
                .filter(|_| self.cfg.fixed_stalls)
                .map(|s| self.stall_no(s)),
            receivables: Amount::ZERO,
            discount: Amount::ZERO,
            received: Amount::ZERO,
            charge_ids: Vec::new(),
            paid_at: None,
        };
        self.entered += 1;
        if class == VehicleClass::General {
            self.general_inside += 1;
        }
        if self.cfg.reports {
            self.effects
                .push_back(Effect::Entry(rec.info(&self.cfg.park_code)));
        }
        self.log
            .push(now, Some(&plate), w.book_code.as_deref(), || {
                EventKind::Entered {
                    entrance: EntranceId(ix),
                    record_id: record_id.clone(),
                    class,
                    manual,
                }
            });
        self.inside.insert(plate.clone(), Box::new(rec));
        self.counts_changed(now);
        Reply::Admitted {
            plate,
            record_id,
            class,
            manual,
        }
    }

    /// What a vehicle inside owes at `now` beyond what it was charged.
    fn due(&self, rec: &Record, now: DateTime) -> Amount {
        let stay = now.0 - rec.enter_time.0;
        Amount(self.cfg.tariff.fee(stay).0 - rec.receivables.0)
    }

    fn pay(
        &mut self,
        now: DateTime,
        plate: &str,
        pay_type: PayType,
        pay_from: Cow<'static, str>,
        order_no: Option<String>,
    ) -> Result<Reply, EngineError> {
        let Some(rec) = self.inside.get(plate) else {
            return Err(EngineError::NotInside {
                plate: plate.to_owned(),
            });
        };
        if self.controls(plate, now).free.is_some() {
            return Ok(Reply::NothingDue);
        }
        let due = self.due(rec, now);
        if due.0 <= Decimal::ZERO {
            return Ok(Reply::NothingDue);
        }
        let stay = now.0 - rec.enter_time.0;
        let pending = self.coupons.remove(plate).unwrap_or_default();
        let d = apply_coupons(&self.cfg.tariff, stay, due, &pending);
        let received = Amount(due.0 - d.discount.0);
        let charge_id = self.fresh_id();
        let mut list = Vec::new();
        for (c, _) in &d.applied {
            let id = self.fresh_id();
            list.push(DiscountRecord {
                channel_org_code: c.channel_org_code.clone(),
                coupon_no: Some(c.coupon_no.clone()),
                coupon_type: c.coupon_type,
                coupon_value: c.coupon_value,
                discount_channel: c.discount_channel.clone(),
                id,
            });
        }
        let Some(rec) = self.inside.get_mut(plate) else {
            return Err(EngineError::NotInside {
                plate: plate.to_owned(),
            });
        };
        rec.receivables = add(rec.receivables, due);
        rec.discount = add(rec.discount, d.discount);
        rec.received = add(rec.received, received);
        if self.cfg.reports || self.cfg.history {
            rec.charge_ids.push(charge_id.clone());
        }
        rec.paid_at = Some(now);
        if self.cfg.reports {
            let charge = ParkChargeInfo {
                car_info: rec.car.clone(),
                discount: d.discount,
                id: charge_id.clone(),
                list_discounts: (!list.is_empty()).then_some(list),
                order_no,
                pay_from: pay_from.into_owned(),
                pay_time: now,
                pay_type: pay_type.code(),
                receivables: due,
                received,
                record_id: rec.id.clone(),
            };
            self.effects.push_back(Effect::Charge(charge));
        }
        let book = rec.book_code.clone();
        self.log
            .push(now, Some(plate), book.as_deref(), || EventKind::Paid {
                charge_id: charge_id.clone(),
                receivables: due,
                discount: d.discount,
                received,
            });
        Ok(Reply::Paid {
            charge_id,
            receivables: due,
            discount: d.discount,
            received,
        })
    }

    /// `staff`: an attendant lets the vehicle out whatever the control list
    /// says (fees still apply).
    fn exit(
        &mut self,
        now: DateTime,
        plate: &str,
        equipment_id: Option<String>,
        staff: bool,
    ) -> Result<Reply, EngineError> {
        let Some(rec) = self.inside.get(plate) else {
            return Err(EngineError::NotInside {
                plate: plate.to_owned(),
            });
        };
        let ctl = self.controls(plate, now);
        if let Some(id) = ctl.warn {
            let car = rec.car.clone();
            self.warn(now, id, &car, Gate::Exit);
        }
        let Some(rec) = self.inside.get(plate) else {
            return Err(EngineError::NotInside {
                plate: plate.to_owned(),
            });
        };
        if let Some(list_id) = ctl.no_exit.filter(|_| !staff) {
            self.log
                .push(now, Some(plate), None, || EventKind::ExitRefused {
                    list_id: list_id.clone(),
                });
            return Ok(Reply::ExitRefused { list_id });
        }
        if ctl.free.is_none() {
            let due = self.due(rec, now);
            let grace = self.cfg.pay_grace_minutes as i64 * 60;
            let in_grace = rec.paid_at.is_some_and(|p| now.0 - p.0 <= grace);
            if due.0 > Decimal::ZERO && !in_grace {
                return Ok(Reply::PaymentDue { amount: due });
            }
        }
        let Some(mut rec) = self.inside.remove(plate) else {
            return Err(EngineError::NotInside {
                plate: plate.to_owned(),
            });
        };
        if rec.class == VehicleClass::General {
            self.general_inside = self.general_inside.saturating_sub(1);
        }
        rec.leave_time = Some(now);
        rec.out_equipment_id = equipment_id;
        if let Some(s) = rec.stall {
            self.free_labels.insert(s);
        }
        self.exited += 1;
        if self.cfg.reports {
            self.effects
                .push_back(Effect::Exit(rec.info(&self.cfg.park_code)));
        }
        self.log
            .push(now, Some(plate), rec.book_code.as_deref(), || {
                EventKind::Exited {
                    record_id: rec.id.clone(),
                }
            });
        self.counts_changed(now);
        let rule_in_force = match self.cfg.flow.full_rule_when {
            FullRuleWhen::Always => true,
            FullRuleWhen::BothQueue => self.waiting_reserved > 0,
        };
        if self.level == Saturation::Full && self.priority_on && rule_in_force {
            self.flow.exit_credits = self.flow.exit_credits.saturating_add(1);
        }
        let record_id = rec.id.clone();
        if self.cfg.history {
            self.closed.insert(record_id.clone(), rec);
        }
        Ok(Reply::Exited { record_id })
    }

    fn correct(
        &mut self,
        now: DateTime,
        record_id: &str,
        car: Option<ParkCarInfo>,
        enter_time: Option<DateTime>,
    ) -> Result<Reply, EngineError> {
        // Corrections are rare: the vehicle inside is found by a scan, so
        // that no entry pays for an index by record id.
        let inside_plate = self
            .inside
            .iter()
            .find(|(_, r)| r.id == record_id)
            .map(|(p, _)| p.clone());
        let rec = match &inside_plate {
            Some(p) => self.inside.get(p),
            None => self.closed.get(record_id),
        };
        let Some(rec) = rec else {
            return Err(EngineError::UnknownRecord {
                record_id: record_id.to_owned(),
            });
        };
        if let Some(t) = enter_time {
            if !in_range(t) {
                return Err(EngineError::TimeOutOfRange(t));
            }
            if t > now || rec.leave_time.is_some_and(|l| t > l) {
                return Err(EngineError::BadCorrection {
                    reason: "entry time after now or after the exit",
                });
            }
        }
        if let Some(c) = &car {
            if c.plate_no.trim().is_empty() {
                return Err(EngineError::EmptyPlate);
            }
            let moved = inside_plate.as_deref().is_some_and(|p| p != c.plate_no);
            if moved
                && (self.inside.contains_key(&c.plate_no) || self.waiting.contains_key(&c.plate_no))
            {
                return Err(EngineError::AlreadyPresent {
                    plate: c.plate_no.clone(),
                });
            }
        }
        let mut rec = match &inside_plate {
            Some(p) => self.inside.remove(p),
            None => self.closed.remove(record_id),
        }
        .ok_or_else(|| EngineError::UnknownRecord {
            record_id: record_id.to_owned(),
        })?;
        if let Some(c) = car {
            rec.car = c;
        }
        if let Some(t) = enter_time {
            rec.enter_time = t;
        }
        let plate = rec.car.plate_no.clone();
        if self.cfg.reports {
            self.effects
                .push_back(Effect::Correction(rec.info(&self.cfg.park_code)));
        }
        self.log
            .push(now, Some(&plate), rec.book_code.as_deref(), || {
                EventKind::Corrected {
                    record_id: record_id.to_owned(),
                }
            });
        if inside_plate.is_some() {
            self.inside.insert(plate, rec);
        } else {
            self.closed.insert(record_id.to_owned(), rec);
        }
        Ok(Reply::Corrected {
            record_id: record_id.to_owned(),
        })
    }

    fn set_lane(
        &mut self,
        now: DateTime,
        entrance: EntranceId,
        kind: LaneKind,
    ) -> Result<Reply, EngineError> {
        let ix = self.lane_ix(entrance)?;
        let from = self.lanes[ix].kind;
        if from != kind {
            self.lanes[ix].kind = kind;
            self.effects.push_back(Effect::LaneChanged {
                time: now,
                entrance,
                from,
                to: kind,
            });
            self.log.push(now, None, None, || EventKind::LaneChanged {
                entrance,
                from,
                to: kind,
            });
            if kind == LaneKind::ReservedOnly {
                let gone: Vec<Waiting> = self.lanes[ix].general.drain(..).collect();
                for w in gone {
                    self.waiting_general = self.waiting_general.saturating_sub(1);
                    self.waiting.remove(&w.car.plate_no);
                    self.turn_away(now, entrance, w.car, UTurnReason::GeneralAtReservedLane);
                }
            }
        }
        Ok(Reply::Lane { from, to: kind })
    }

    // ---- downlinks -------------------------------------------------------

    fn control_list(&mut self, now: DateTime, d: ControlListDownlink) -> IdReply {
        let s = d.black_white_gray_sheet;
        let reply = |code: BizCode| IdReply {
            code: code.code(),
            id: Some(s.id.clone()),
            message: Some(code.message().to_owned()),
        };
        let plate = s.car_info.plate_no.clone();
        let code = if s.park_code != self.cfg.park_code {
            BizCode::ParkNotFound
        } else if s.id.trim().is_empty() {
            BizCode::Parameter
        } else {
            match d.status {
                2 => {
                    if let Some(old) = self.control.remove(&s.id) {
                        self.unindex_control(&old);
                        self.log.push(now, Some(&old.car_info.plate_no), None, || {
                            EventKind::ControlListDeleted {
                                list_id: s.id.clone(),
                            }
                        });
                        return reply(BizCode::Ok);
                    }
                    BizCode::NotFound
                }
                1 => {
                    if ControlStrategy::from_code(s.strategy_type).is_none() {
                        BizCode::OutOfRange
                    } else if plate.trim().is_empty() {
                        BizCode::Parameter
                    } else if s.begin_date.is_some_and(|b| b > s.end_date) {
                        BizCode::OutOfRange
                    } else {
                        if let Some(old) = self.control.remove(&s.id) {
                            self.unindex_control(&old);
                        }
                        self.control_by_plate
                            .entry(plate.clone())
                            .or_default()
                            .insert(s.id.clone());
                        self.log
                            .push(now, Some(&plate), None, || EventKind::ControlListSet {
                                list_id: s.id.clone(),
                                strategy: s.strategy_type,
                            });
                        let r = reply(BizCode::Ok);
                        self.control.insert(s.id.clone(), s);
                        return r;
                    }
                }
                _ => BizCode::OutOfRange,
            }
        };
        self.log.push(
            now,
            (!plate.is_empty()).then_some(plate.as_str()),
            None,
            || EventKind::ControlListRejected { code },
        );
        reply(code)
    }

    fn unindex_control(&mut self, old: &BlackWhiteGraySheet) {
        if let Some(ids) = self.control_by_plate.get_mut(&old.car_info.plate_no) {
            ids.remove(&old.id);
            if ids.is_empty() {
                self.control_by_plate.remove(&old.car_info.plate_no);
            }
        }
    }

    fn coupon(&mut self, now: DateTime, c: CouponDownlink) -> CouponReply {
        let code = match CouponKind::from_code(c.coupon_type) {
            _ if c.coupon_no.trim().is_empty() || c.plate_no.trim().is_empty() => {
                BizCode::Parameter
            }
            None => BizCode::OutOfRange,
            Some(k) if !k.value_ok(c.coupon_value.0) => BizCode::OutOfRange,
            Some(_) => match self.coupon_nos.get(&c.coupon_no) {
                // A resend of the same coupon is accepted once (7.3).
                Some(old) if *old == c => BizCode::Ok,
                Some(_) => BizCode::Exists,
                None => {
                    self.coupon_nos.insert(c.coupon_no.clone(), c.clone());
                    self.log
                        .push(now, Some(&c.plate_no), None, || EventKind::CouponReceived {
                            coupon_no: c.coupon_no.clone(),
                            coupon_type: c.coupon_type,
                        });
                    let r = CouponReply {
                        code: 0,
                        coupon_no: c.coupon_no.clone(),
                        message: Some(BizCode::Ok.message().to_owned()),
                    };
                    self.coupons.entry(c.plate_no.clone()).or_default().push(c);
                    return r;
                }
            },
        };
        if code != BizCode::Ok {
            self.log.push(
                now,
                (!c.plate_no.is_empty()).then_some(c.plate_no.as_str()),
                None,
                || EventKind::CouponRejected {
                    coupon_no: c.coupon_no.clone(),
                    code,
                },
            );
        }
        CouponReply {
            code: code.code(),
            coupon_no: c.coupon_no,
            message: Some(code.message().to_owned()),
        }
    }

    /// The deadline of a booking's times, or `None` if they are bad (5004).
    fn booking_deadline(&self, now: DateTime, r: &BookRequest) -> Option<DateTime> {
        if !in_range(r.book_time) || !in_range(r.over_time) || r.obligat_time < 0 {
            return None;
        }
        if r.over_time <= r.book_time {
            return None;
        }
        let d = r.obligat_time.checked_mul(60)?.checked_add(r.over_time.0)?;
        let d = DateTime(d);
        (in_range(d) && d > now).then_some(d)
    }

    fn book_reply(
        &self,
        r: &BookRequest,
        code: BizCode,
        rest: bool,
        stall: Option<u32>,
    ) -> BookReply {
        BookReply {
            bluetooth_address: None,
            book_code: r.book_code.clone(),
            code: code.code(),
            message: code.message().to_owned(),
            rest_reserved_stalls: rest.then(|| self.rest_reservable() as i64),
            stall_no: stall
                .filter(|_| self.cfg.fixed_stalls)
                .map(|s| self.stall_no(s)),
        }
    }

    fn book(&mut self, now: DateTime, r: BookRequest) -> BookReply {
        let plate = r.car_info.plate_no.clone();
        let code = if r.park_code != self.cfg.park_code {
            BizCode::ParkNotFound
        } else {
            match r.operate_type {
                1 => match self.book_new(now, &r) {
                    Ok(stall) => return self.book_reply(&r, BizCode::Ok, true, Some(stall)),
                    Err(c) => c,
                },
                2 => match self.book_change(now, &r) {
                    Ok(stall) => return self.book_reply(&r, BizCode::Ok, true, Some(stall)),
                    Err(c) => c,
                },
                _ => BizCode::OutOfRange,
            }
        };
        self.log.push(
            now,
            (!plate.is_empty()).then_some(plate.as_str()),
            (!r.book_code.is_empty()).then_some(r.book_code.as_str()),
            || EventKind::BookingRejected { code },
        );
        // "有效期内重复预订无此参数": no restReservedStalls on a duplicate.
        self.book_reply(&r, code, code != BizCode::BookingExists, None)
    }

    fn book_new(&mut self, now: DateTime, r: &BookRequest) -> Result<u32, BizCode> {
        if self.bookings.contains_key(&r.book_code) {
            return Err(BizCode::BookingExists);
        }
        let plate = &r.car_info.plate_no;
        if r.book_code.trim().is_empty() || plate.trim().is_empty() {
            return Err(BizCode::Parameter);
        }
        let deadline = self
            .booking_deadline(now, r)
            .ok_or(BizCode::BadBookingTime)?;
        if self.live_by_plate.contains_key(plate) {
            return Err(BizCode::Exists);
        }
        if self.rest_reservable() == 0 {
            return Err(BizCode::NoReservableStall);
        }
        let stall = self.take_label();
        self.holds += 1;
        self.bookings.insert(
            r.book_code.clone(),
            Booking {
                code: r.book_code.clone(),
                car: r.car_info.clone(),
                book_time: r.book_time,
                over_time: r.over_time,
                obligat_minutes: r.obligat_time,
                deadline,
                stall,
                state: BookingState::Locked,
                booked_at: now,
            },
        );
        self.live_by_plate
            .insert(plate.clone(), r.book_code.clone());
        self.expiries.insert((deadline, r.book_code.clone()));
        self.log
            .push(now, Some(plate), Some(&r.book_code), || EventKind::Booked {
                stall,
            });
        self.counts_changed(now);
        Ok(stall)
    }

    fn state_error(state: BookingState) -> Option<BizCode> {
        match state {
            BookingState::Cancelled => Some(BizCode::BookingCancelled),
            BookingState::Expired => Some(BizCode::BookingExpired),
            BookingState::Arrived => Some(BizCode::Invalid),
            BookingState::Locked | BookingState::Confirmed => None,
        }
    }

    fn book_change(&mut self, now: DateTime, r: &BookRequest) -> Result<u32, BizCode> {
        let Some(b) = self.bookings.get(&r.book_code) else {
            return Err(BizCode::BookingNotFound);
        };
        if let Some(c) = Self::state_error(b.state) {
            return Err(c);
        }
        let deadline = self
            .booking_deadline(now, r)
            .ok_or(BizCode::BadBookingTime)?;
        let new_plate = &r.car_info.plate_no;
        if new_plate.trim().is_empty() {
            return Err(BizCode::Parameter);
        }
        let old_plate = b.car.plate_no.clone();
        if *new_plate != old_plate && self.live_by_plate.contains_key(new_plate) {
            return Err(BizCode::Exists);
        }
        let old_deadline = b.deadline;
        let stall = b.stall;
        self.expiries.remove(&(old_deadline, r.book_code.clone()));
        self.expiries.insert((deadline, r.book_code.clone()));
        if let Some(b) = self.bookings.get_mut(&r.book_code) {
            b.car = r.car_info.clone();
            b.book_time = r.book_time;
            b.over_time = r.over_time;
            b.obligat_minutes = r.obligat_time;
            b.deadline = deadline;
        }
        if *new_plate != old_plate {
            self.live_by_plate.remove(&old_plate);
            self.live_by_plate
                .insert(new_plate.clone(), r.book_code.clone());
            self.demote_waiting(now, &old_plate);
        }
        self.log.push(now, Some(new_plate), Some(&r.book_code), || {
            EventKind::BookingChanged
        });
        Ok(stall)
    }

    fn book_confirm(&mut self, now: DateTime, r: BookConfirmRequest) -> BookConfirmReply {
        let reply = |code: BizCode| BookConfirmReply {
            book_code: r.book_code.clone(),
            code: code.code(),
            message: code.message().to_owned(),
        };
        let code = self.book_confirm_inner(now, &r);
        if code != BizCode::Ok {
            let plate = self
                .bookings
                .get(&r.book_code)
                .map(|b| b.car.plate_no.clone());
            self.log.push(
                now,
                plate.as_deref(),
                (!r.book_code.is_empty()).then_some(r.book_code.as_str()),
                || EventKind::BookingRejected { code },
            );
        }
        reply(code)
    }

    fn book_confirm_inner(&mut self, now: DateTime, r: &BookConfirmRequest) -> BizCode {
        if r.park_code != self.cfg.park_code {
            return BizCode::ParkNotFound;
        }
        if !matches!(r.confirm_status, 0 | 1) {
            return BizCode::OutOfRange;
        }
        let Some(b) = self.bookings.get_mut(&r.book_code) else {
            return BizCode::BookingNotFound;
        };
        match (r.confirm_status, b.state) {
            (_, BookingState::Cancelled) => BizCode::BookingCancelled,
            (_, BookingState::Expired) => BizCode::BookingExpired,
            // Confirming a used booking changes nothing.
            (1, BookingState::Arrived) => BizCode::Ok,
            (_, BookingState::Arrived) => BizCode::Invalid,
            (1, _) => {
                b.state = BookingState::Confirmed;
                let plate = b.car.plate_no.clone();
                self.log.push(now, Some(&plate), Some(&r.book_code), || {
                    EventKind::BookingConfirmed
                });
                BizCode::Ok
            }
            (_, _) => {
                b.state = BookingState::Cancelled;
                let (plate, stall, deadline) = (b.car.plate_no.clone(), b.stall, b.deadline);
                self.expiries.remove(&(deadline, r.book_code.clone()));
                self.release_hold(&plate, stall);
                self.log.push(now, Some(&plate), Some(&r.book_code), || {
                    EventKind::BookingCancelled
                });
                self.counts_changed(now);
                self.demote_waiting(now, &plate);
                BizCode::Ok
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn ids_are_32_hex_and_seeded() {
        let cfg = Config {
            seed: 0xABCD,
            ..Config::default()
        };
        let mut e = Engine::new(cfg, DateTime(0)).unwrap();
        let a = e.fresh_id();
        let b = e.fresh_id();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(a, "000000000000abcd0000000000000001");
        assert_ne!(a, b);
    }

    #[test]
    fn time_range_is_years_0_to_9999() {
        assert!(in_range(DateTime::parse("0000-01-01 00:00:00").unwrap()));
        assert!(in_range(DateTime::parse("9999-12-31 23:59:59").unwrap()));
        assert!(!in_range(DateTime(i64::MAX)));
        assert!(!in_range(DateTime(i64::MIN)));
    }
}
