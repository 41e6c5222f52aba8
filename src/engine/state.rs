//! The engine's state and its command handlers. See the module doc of
//! [`crate::engine`] for the model and the ordering guarantees.

use super::admission::{
    Admission, AdmissionInput, FlowState, Saturation, VehicleClass, WaitReason, flow_after,
    next_admission,
};
use super::config::{Config, ConfigError, FullRuleWhen, LaneKind, PoolPolicy, RatioScope};
use super::fees::{CouponKind, FeeTable, PayType, apply_coupons};
use super::log::{EventKind, EventLog};
use super::{
    Command, ControlStrategy, Effect, EngineError, EntranceId, Gate, Reply, ReportId, Snapshot,
    UTurnReason,
};
use crate::proto::codes::BizCode;
use crate::proto::messages::{
    Amount, BlackWhiteGraySheet, BookConfirmReply, BookConfirmRequest, BookReply, BookRequest,
    ControlListDownlink, CouponDownlink, CouponReply, DiscountRecord, IdReply, ParkCarInfo,
    ParkChargeInfo, ParkRecordInfo, ParkSpaceInfo, PrioritySwitch,
};
use crate::proto::time::DateTime;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap as HashMap;
use std::borrow::Cow;
use std::collections::{BTreeSet, VecDeque};

mod downlinks;
mod vehicles;

/// A schedule gap longer than this is not replayed boundary by boundary:
/// the state jumps to the scheduled one (one 7001 at most) \[s\].
const MAX_REPLAY_SECS: i64 = 366 * 86_400;

/// The times the standard's `yyyy-MM-dd HH:mm:ss` can write: 0000-01-01
/// 00:00:00 and 9999-12-31 23:59:59 \[s since 1970\] (checked against
/// `days_from_civil` in the tests).
const TIME_RANGE: (i64, i64) = (-62_167_219_200, 253_402_300_799);

fn in_range(t: DateTime) -> bool {
    (TIME_RANGE.0..=TIME_RANGE.1).contains(&t.0)
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
    pub id: ReportId,
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
    pub charge_ids: Vec<ReportId>,
    pub paid_at: Option<DateTime>,
}

impl Record {
    /// The table 7 item.
    pub fn info(&self, park_code: &str) -> ParkRecordInfo {
        ParkRecordInfo {
            car_info: self.car.clone(),
            charge_id_list: (!self.charge_ids.is_empty())
                .then(|| self.charge_ids.iter().map(|c| c.text()).collect()),
            discount: self.discount,
            enter_time: self.enter_time,
            id: self.id.text(),
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
/// Maps are `HashMap`s (FxHash, deterministic); where their order can
/// show (iteration, public accessors) it is sorted there, or the map is a
/// `BTreeSet`, so runs stay deterministic.
#[derive(Debug, Clone)]
pub struct Engine {
    cfg: Config,
    /// `cfg.tariff`, its first day's fees looked up.
    fees: FeeTable,
    now: DateTime,
    sched_cursor: DateTime,
    /// `cfg.schedule.next_boundary(sched_cursor)`, kept with the cursor
    /// (see [`Engine::set_cursor`]).
    next_switch: Option<(DateTime, bool)>,
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
    closed: HashMap<ReportId, Box<Record>>,
    /// Every booking ever made, by code (hashed: a week's thousands of
    /// `YD…` codes share their first bytes, and a tree compared them a
    /// dozen times per look-up; [`Engine::bookings`] sorts).
    bookings: HashMap<String, Booking>,
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
            fees: cfg.tariff.table(),
            now: start,
            sched_cursor: start,
            next_switch: cfg.schedule.next_boundary(start),
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
            bookings: HashMap::default(),
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
        self.begin(now)?;
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

    /// [`Command::Pay`] for a plate the caller keeps: the same checks,
    /// effects and reply as [`Engine::handle`], without a copy of the plate.
    pub fn pay_plate(
        &mut self,
        now: DateTime,
        plate: &str,
        pay_type: PayType,
        pay_from: Cow<'static, str>,
    ) -> Result<Reply, EngineError> {
        self.begin(now)?;
        self.pay(now, plate, pay_type, pay_from, None)
    }

    /// [`Command::Exit`] (`staff`: [`Command::Release`]) for a plate the
    /// caller keeps, without equipment id: the same checks, effects and
    /// reply as [`Engine::handle`], without a copy of the plate.
    pub fn exit_plate(
        &mut self,
        now: DateTime,
        plate: &str,
        staff: bool,
    ) -> Result<Reply, EngineError> {
        self.begin(now)?;
        self.exit(now, plate, None, staff)
    }

    /// What every call does first: checks `now` and advances time to it.
    fn begin(&mut self, now: DateTime) -> Result<(), EngineError> {
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
        Ok(())
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

    /// Every booking ever made, in code order.
    pub fn bookings(&self) -> impl Iterator<Item = &Booking> {
        let mut all: Vec<(&String, &Booking)> = self.bookings.iter().collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        all.into_iter().map(|(_, b)| b)
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
        let id = ReportId::parse(record_id)?;
        self.closed.get(&id).map(|r| &**r)
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
        let bnd = self.next_switch.map(|(t, _)| t);
        match (exp, bnd) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn fresh_id(&mut self) -> ReportId {
        self.next_id += 1;
        ReportId::new(self.cfg.seed, self.next_id - 1)
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
        if self.cfg.reports {
            let info = self.snapshot().space_info(&self.cfg.park_code);
            if info != self.last_space {
                self.last_space = info.clone();
                self.effects.push_back(Effect::SpaceCount(info));
            }
        }
        let level = Saturation::of(
            self.inside.len() as u32,
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
            let bnd = self.next_switch.filter(|(t, _)| *t <= now);
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
                self.set_cursor(j);
                let on = self.cfg.schedule.on_at(j);
                if on != self.priority_on {
                    self.switch_priority(j, on, false, None);
                }
            } else {
                self.set_cursor(tb);
                if on != self.priority_on {
                    self.switch_priority(tb, on, false, None);
                }
            }
        }
        if now > self.sched_cursor {
            self.set_cursor(now);
        }
    }

    /// Moves the schedule cursor forward to `t`. The next boundary after
    /// the old cursor is still the next after `t` while `t` is before it
    /// (no boundary lies between), so it is computed again only once `t`
    /// reaches it.
    fn set_cursor(&mut self, t: DateTime) {
        debug_assert!(t >= self.sched_cursor);
        self.sched_cursor = t;
        if self.next_switch.is_some_and(|(at, _)| at <= t) {
            self.next_switch = self.cfg.schedule.next_boundary(t);
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
                    id: id.text(),
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
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::proto::time::days_from_civil;

    #[test]
    fn ids_are_32_hex_and_seeded() {
        let cfg = Config {
            seed: 0xABCD,
            ..Config::default()
        };
        let mut e = Engine::new(cfg, DateTime(0)).unwrap();
        let a = e.fresh_id().text();
        let b = e.fresh_id().text();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(a, "000000000000abcd0000000000000001");
        assert_ne!(a, b);
    }

    #[test]
    fn time_range_is_years_0_to_9999() {
        assert_eq!(TIME_RANGE.0, days_from_civil(0, 1, 1) * 86_400);
        assert_eq!(
            TIME_RANGE.1,
            days_from_civil(9999, 12, 31) * 86_400 + 86_399
        );
        assert!(in_range(DateTime::parse("0000-01-01 00:00:00").unwrap()));
        assert!(in_range(DateTime::parse("9999-12-31 23:59:59").unwrap()));
        assert!(!in_range(DateTime(i64::MAX)));
        assert!(!in_range(DateTime(i64::MIN)));
    }
}
