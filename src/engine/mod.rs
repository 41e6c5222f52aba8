//! The booking engine: the garage of sections 5 and 6 of T/SZPIA 001—2020
//! as a pure, deterministic state machine.
//!
//! No clock, no I/O, no randomness. Time comes in with every call,
//! [`Engine::handle`]`(now, command)` answers with a [`Reply`] (or an
//! [`EngineError`] for input that makes no sense), and what the garage must
//! tell the outside world — the reports 5003, 5004, 5005, 5006, 5008 and
//! 7001 as their protocol types, U-turns, platform warnings, level changes —
//! queues up as [`Effect`]s drained with [`Engine::poll`]. Report ids are
//! [`ReportId`]s, `{seed:016x}{n:016x}` with the configured seed and a
//! counter, so a run is reproducible byte for byte.
//!
//! # Model
//! - `total` stalls; a reservable pool: at most `reservable` stalls locked
//!   by live bookings at once ("holds"); `inside` vehicles. A booking locks
//!   a stall only while `inside + holds < total`, a general vehicle enters
//!   only into a stall neither occupied nor held, and an arriving reserved
//!   vehicle turns its hold into occupancy, so `inside + holds <= total`
//!   always. 5003 reports `usedStalls = inside`, `reservedStalls = holds`,
//!   `unusedStalls = total − inside − holds`.
//! - Saturation (6.7) is `inside / total` against the thresholds
//!   (default 70 % and 90 %), see [`Saturation::of`].
//! - Vehicles queue per entrance and class; [`next_admission`] decides who
//!   enters next (see [`admission`] for the rules).
//! - Bookings (6001/6002): [`BookingState`]. A booking is live (holds its
//!   stall, recognises the plate at an entrance) from 6001 until it is
//!   used, cancelled, or its deadline `overTime + obligatTime` passes: at
//!   the deadline instant it expires.
//!
//! # Ordering guarantees
//! 1. Calls are processed strictly in call order; `now` must never go
//!    backwards ([`EngineError::TimeWentBackwards`]).
//! 2. Each call first advances time to `now`: booking expiries and
//!    scheduled priority switches with times in `(previous now, now]` are
//!    applied in time order (an expiry before a switch at the same instant,
//!    expiries at the same instant in booking-code order). Their effects
//!    carry their own time, not `now`. They stand even if the command
//!    itself is then refused.
//! 3. Within a call, effects are queued in the order their causes happen:
//!    e.g. an entry queues 5004, then 5003, then a saturation change; an
//!    exit queues 5005, then 5003, then a saturation change.
//! 4. [`Engine::poll`] drains effects first in, first out. A 5003 is queued
//!    only when a count changed, and always equals the counts at the
//!    instant it was queued; the engine queues one at creation, so the
//!    last 5003 drained always equals [`Engine::snapshot`].
//! 5. Event-log entries are appended in the same order as the effects.
//!
//! A refused command ([`EngineError`], or a reply carrying an error code)
//! changes no state beyond step 2.
//!
//! # Readings of the standard
//! Where sections 5–6 and tables 6–11, 33, 35–42 leave room, the engine
//! reads them so (see also `NOTES.md`, "Garage rules"):
//! - Saturation counts parked vehicles only (3.6); holds do not count, but
//!   they do reduce `unusedStalls` and the room for general vehicles.
//!   Boundaries are inclusive upward: exactly 70 % is saturated, exactly
//!   90 % full.
//! - The reservable pool caps simultaneous locks; stall numbers
//!   (`stallNo`, with [`Config::fixed_stalls`]) are allocated lowest-free
//!   from the whole garage and stay taken until the reserved vehicle
//!   leaves. `restReservedStalls` = min(pool − holds, total − inside −
//!   holds). What it sets aside is [`Config::pool`]: `Shared` (general
//!   vehicles may take any stall nobody occupies or holds) or `Protected`
//!   (vehicles that entered as general never occupy more than total − pool
//!   stalls, so the pool's stalls wait for bookings).
//! - 6001 locks at once, whatever `bookTime` says; an early vehicle is
//!   recognised. `bookTime`/`overTime` outside years 0000–9999,
//!   `overTime <= bookTime`, `obligatTime < 0`, or a deadline not after
//!   `now` answer 5004. A plate with a live booking cannot book again
//!   (1200). A duplicate `bookCode` answers 1201 without
//!   `restReservedStalls` ("有效期内重复预订无此参数"); every other reply
//!   carries it. A change or cancel of a used booking answers 1300;
//!   confirming a used one answers 0. A foreign `parkCode` answers 1101,
//!   an unknown `operateType`/`confirmStatus` 1007.
//! - A vehicle's class is decided when it arrives. A reserved vehicle
//!   still queued when its booking lapses or is cancelled waits on as
//!   general (in arrival order) or, at a reservation-only lane, turns
//!   round. A booking made while the plate already queues as general does
//!   not promote it.
//! - Flow control (6.8) is read as [`admission`] documents: the 2 : 1
//!   ratio per barrier ([`RatioScope::Barrier`], default) or garage-wide
//!   ([`RatioScope::Garage`]); "out N in 1" only while reserved vehicles
//!   also queue ([`FullRuleWhen::BothQueue`], default, the text of 6.8 b)
//!   or whenever full ([`FullRuleWhen::Always`]). Both are knobs of
//!   [`FlowPolicy`].
//! - Time moves only when a command comes: [`Engine::next_timer`] says when
//!   the next expiry or scheduled switch falls, so a driver can tick then.
//! - Lane kinds are independent of the priority function: a
//!   reservation-only lane turns general vehicles round even with priority
//!   off; converting it is the explicit [`Command::SetLane`].
//! - Control lists: a list is in force for `beginDate <= now <= endDate`
//!   (no `beginDate`: at once). Entry refusals (1, 3) are checked on
//!   arrival, exit refusals (2, 3) at the exit, a warning (4) is emitted at
//!   both, free (5) makes every payment zero. Deleting an unknown id
//!   answers 1100; a bad strategy, status or `beginDate > endDate` 1007.
//! - Fees: a stay of at most `free_minutes` is free, a longer one is
//!   charged from entry; the cap applies per 24 h from entry. Coupons
//!   received for a plate wait until its next payment and are all used
//!   there, applied free → hours → fraction → amount. A resent identical
//!   coupon is accepted once (7.3); the same number with other content
//!   answers 1200. After a payment the vehicle may leave within
//!   [`Config::pay_grace_minutes`]; later it owes the extra time.
//! - 7001 is reported for every switch, scheduled or manual, with the
//!   switch's own time; a manual switch lasts until the next scheduled
//!   boundary. A call more than 366 days after the previous one replays
//!   only the last 366 days of the schedule.
//!
//! # Example
//! ```
//! use parksim::engine::{Command, Config, Engine, EntranceId, Reply};
//! use parksim::proto::messages::ParkCarInfo;
//! use parksim::proto::time::DateTime;
//!
//! let t0 = DateTime::parse("2018-01-06 08:00:00").unwrap();
//! let mut e = Engine::new(Config::default(), t0).unwrap();
//! let car = ParkCarInfo { plate_no: "粤B12345".into(), ..Default::default() };
//! let gate = EntranceId(1); // the general entrance
//! e.handle(t0, Command::Arrive { entrance: gate, car }).unwrap();
//! let r = e.handle(t0, Command::Admit { entrance: gate }).unwrap();
//! assert!(matches!(r, Reply::Admitted { .. }));
//! let kinds: Vec<u16> = std::iter::from_fn(|| e.poll())
//!     .filter_map(|fx| fx.report().map(|r| r.command().code()))
//!     .collect();
//! assert_eq!(kinds, [5003, 5004, 5003]);
//! assert_eq!(e.snapshot().used, 1);
//! ```

pub mod admission;
pub mod config;
pub mod fees;
pub mod ids;
pub mod log;
mod state;

pub use admission::{
    Admission, AdmissionInput, FlowState, Saturation, VehicleClass, WaitReason, flow_after,
    next_admission,
};
pub use config::{
    Config, ConfigError, EntranceConfig, FlowPolicy, FullRuleWhen, LaneKind, OneEntranceMode,
    PoolPolicy, PrioritySchedule, RatioScope,
};
pub use fees::{CouponKind, FeeTable, PayType, Tariff, apply_coupons};
pub use ids::ReportId;
pub use log::{Event, EventKind, EventLog};
pub use state::{Booking, BookingState, Engine, Record};

use crate::proto::codes::BizCode;
use crate::proto::messages::{
    Amount, BookConfirmReply, BookConfirmRequest, BookReply, BookRequest, ControlListDownlink,
    CouponDownlink, CouponReply, IdReply, ParkCarInfo, ParkChargeInfo, ParkRecordInfo,
    ParkSpaceInfo, PrioritySwitch, Request,
};
use crate::proto::time::DateTime;
use std::borrow::Cow;
use std::fmt;

/// An entrance, by index into [`Config::entrances`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntranceId(pub usize);

/// Control-list strategies (table 10 `strategyType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ControlStrategy {
    /// 1: no entry.
    NoEntry,
    /// 2: entry allowed, exit refused.
    NoExit,
    /// 3: neither entry nor exit.
    NoEntryNoExit,
    /// 4: allowed; the platform is warned.
    Warn,
    /// 5: free automatic entry and exit (no fee).
    Free,
}

impl ControlStrategy {
    pub fn from_code(code: i64) -> Option<ControlStrategy> {
        Some(match code {
            1 => ControlStrategy::NoEntry,
            2 => ControlStrategy::NoExit,
            3 => ControlStrategy::NoEntryNoExit,
            4 => ControlStrategy::Warn,
            5 => ControlStrategy::Free,
            _ => return None,
        })
    }

    pub const fn code(self) -> i64 {
        match self {
            ControlStrategy::NoEntry => 1,
            ControlStrategy::NoExit => 2,
            ControlStrategy::NoEntryNoExit => 3,
            ControlStrategy::Warn => 4,
            ControlStrategy::Free => 5,
        }
    }
}

/// What the engine is told.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// A vehicle's plate was read at an entrance: it joins the queue there,
    /// or is turned round.
    Arrive {
        entrance: EntranceId,
        car: ParkCarInfo,
    },
    /// The gate of `entrance` is free: decide who enters next and let that
    /// vehicle in. Call again after any change (exit, arrival, switch).
    Admit { entrance: EntranceId },
    /// A vehicle inside pays what it owes so far; pending coupons apply.
    Pay {
        plate: String,
        pay_type: PayType,
        /// `payFrom` (e.g. "线下缴费"; a constant costs no allocation).
        pay_from: Cow<'static, str>,
        order_no: Option<String>,
    },
    /// A vehicle inside reaches an exit.
    Exit {
        plate: String,
        /// `outEquipmentId`.
        equipment_id: Option<String>,
    },
    /// An attendant lets a vehicle out that the control list holds
    /// (strategies 2, 3), after dealing with it; otherwise as [`Command::Exit`].
    Release {
        plate: String,
        equipment_id: Option<String>,
    },
    /// Correct an entry record (reported as 5006).
    Correct {
        record_id: String,
        car: Option<ParkCarInfo>,
        enter_time: Option<DateTime>,
    },
    /// 4001 control list downlink.
    ControlList(ControlListDownlink),
    /// 4002 coupon downlink.
    Coupon(CouponDownlink),
    /// 6001 book (operateType 1) or change (2).
    Book(BookRequest),
    /// 6002 confirm (1) or cancel (0).
    BookConfirm(BookConfirmRequest),
    /// Switch the priority function by hand (reported as 7001).
    SetPriority { on: bool, remark: Option<String> },
    /// Lane conversion (6.6): e.g. a reservation-only entrance made general
    /// and back.
    SetLane {
        entrance: EntranceId,
        kind: LaneKind,
    },
    /// Only advance time (expiries, schedule).
    Tick,
}

/// Why a vehicle was turned round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UTurnReason {
    /// A general vehicle at a reservation-only entrance (5.3 d).
    GeneralAtReservedLane,
    /// The control list forbids entry (strategy 1 or 3).
    ControlList {
        list_id: String,
        strategy: ControlStrategy,
    },
}

/// Which gate a warning comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gate {
    Entrance(EntranceId),
    Exit,
}

/// The engine's answer to one command.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// The vehicle waits at the entrance. `book_code`: its live booking.
    Queued {
        class: VehicleClass,
        book_code: Option<String>,
    },
    TurnedAway(UTurnReason),
    Admitted {
        plate: String,
        record_id: ReportId,
        class: VehicleClass,
        /// An attendant confirmed it (one-entrance manual mode).
        manual: bool,
    },
    Wait(WaitReason),
    Paid {
        charge_id: ReportId,
        receivables: Amount,
        discount: Amount,
        received: Amount,
    },
    /// Nothing to pay (free stay, free strategy, or already paid).
    NothingDue,
    /// The exit stays closed until this is paid \[yuan\].
    PaymentDue {
        amount: Amount,
    },
    Exited {
        record_id: ReportId,
    },
    /// The control list forbids this vehicle to leave.
    ExitRefused {
        list_id: String,
    },
    Corrected {
        record_id: String,
    },
    ControlList(IdReply),
    Coupon(CouponReply),
    Book(BookReply),
    BookConfirm(BookConfirmReply),
    Priority {
        on: bool,
        changed: bool,
    },
    Lane {
        from: LaneKind,
        to: LaneKind,
    },
    Ticked,
}

/// What the garage tells the outside world. The report variants carry the
/// protocol types ready to encode ([`Effect::report`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// 5003.
    SpaceCount(ParkSpaceInfo),
    /// 5004.
    Entry(ParkRecordInfo),
    /// 5005.
    Exit(ParkRecordInfo),
    /// 5006.
    Correction(ParkRecordInfo),
    /// 5008.
    Charge(ParkChargeInfo),
    /// 7001.
    PrioritySwitch(PrioritySwitch),
    /// The saturation level changed.
    Saturation {
        time: DateTime,
        from: Saturation,
        to: Saturation,
    },
    /// Turn this vehicle round at this entrance.
    UTurn {
        time: DateTime,
        entrance: EntranceId,
        car: ParkCarInfo,
        reason: UTurnReason,
    },
    /// Strategy 4: warn the platform that this vehicle was seen.
    Warning {
        time: DateTime,
        list_id: String,
        car: ParkCarInfo,
        at: Gate,
    },
    /// A booking lapsed; its stall is back in the pool.
    BookingExpired {
        time: DateTime,
        book_code: String,
        plate: String,
    },
    LaneChanged {
        time: DateTime,
        entrance: EntranceId,
        from: LaneKind,
        to: LaneKind,
    },
}

impl Effect {
    /// The protocol request for a report effect, `None` for the others
    /// (by value: no copy of the record).
    pub fn into_report(self) -> Option<Request> {
        Some(match self {
            Effect::SpaceCount(x) => Request::SpaceCount(vec![x]),
            Effect::Entry(x) => Request::Entry(vec![x]),
            Effect::Exit(x) => Request::Exit(vec![x]),
            Effect::Correction(x) => Request::Correction(vec![x]),
            Effect::Charge(x) => Request::Charge(vec![x]),
            Effect::PrioritySwitch(x) => Request::PrioritySwitch(vec![x]),
            _ => return None,
        })
    }

    /// The protocol request for a report effect, `None` for the others.
    pub fn report(&self) -> Option<Request> {
        Some(match self {
            Effect::SpaceCount(x) => Request::SpaceCount(vec![x.clone()]),
            Effect::Entry(x) => Request::Entry(vec![x.clone()]),
            Effect::Exit(x) => Request::Exit(vec![x.clone()]),
            Effect::Correction(x) => Request::Correction(vec![x.clone()]),
            Effect::Charge(x) => Request::Charge(vec![x.clone()]),
            Effect::PrioritySwitch(x) => Request::PrioritySwitch(vec![x.clone()]),
            _ => return None,
        })
    }
}

/// Input the engine refuses outright (the downlinks answer with the
/// standard's codes in their replies instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineError {
    TimeWentBackwards {
        last: DateTime,
        now: DateTime,
    },
    /// `now` or a given time outside years 0000–9999.
    TimeOutOfRange(DateTime),
    UnknownEntrance(EntranceId),
    EmptyPlate,
    /// The plate already waits or is inside.
    AlreadyPresent {
        plate: String,
    },
    NotInside {
        plate: String,
    },
    UnknownRecord {
        record_id: String,
    },
    BadCorrection {
        reason: &'static str,
    },
}

impl EngineError {
    /// The closest code of table 44.
    pub fn biz_code(&self) -> BizCode {
        match self {
            EngineError::TimeWentBackwards { .. } | EngineError::TimeOutOfRange(_) => {
                BizCode::OutOfRange
            }
            EngineError::UnknownEntrance(_) => BizCode::NotFound,
            EngineError::EmptyPlate => BizCode::Parameter,
            EngineError::AlreadyPresent { .. } => BizCode::Exists,
            EngineError::NotInside { .. } => BizCode::VehicleNotInside,
            EngineError::UnknownRecord { .. } => BizCode::NotFound,
            EngineError::BadCorrection { .. } => BizCode::Parameter,
        }
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::TimeWentBackwards { last, now } => {
                write!(f, "time went backwards: {now} after {last}")
            }
            EngineError::TimeOutOfRange(t) => write!(f, "time {} out of range", t.0),
            EngineError::UnknownEntrance(e) => write!(f, "no entrance {}", e.0),
            EngineError::EmptyPlate => write!(f, "empty plate number"),
            EngineError::AlreadyPresent { plate } => {
                write!(f, "{plate} already waits or is inside")
            }
            EngineError::NotInside { plate } => write!(f, "{plate} is not inside"),
            EngineError::UnknownRecord { record_id } => write!(f, "no record {record_id}"),
            EngineError::BadCorrection { reason } => write!(f, "bad correction: {reason}"),
        }
    }
}

impl std::error::Error for EngineError {}

/// Counts at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Snapshot {
    pub time: DateTime,
    pub total_stalls: u32,
    pub reservable_stalls: u32,
    /// Vehicles inside (`usedStalls`).
    pub used: u32,
    /// Stalls held by live bookings (`reservedStalls`).
    pub reserved: u32,
    /// `total − used − reserved` (`unusedStalls`).
    pub unused: u32,
    /// Of `used`, the vehicles that entered as general.
    pub general_inside: u32,
    /// Stalls a general vehicle may take now (`unused`, and within
    /// `total − reservable` general vehicles when the pool is protected).
    pub general_room: u32,
    /// Bookings that could still be made (`restReservedStalls`).
    pub rest_reservable: u32,
    pub level: Saturation,
    pub priority_on: bool,
    pub waiting_reserved: u32,
    pub waiting_general: u32,
    /// Vehicles that ever entered / left / were turned round.
    pub entered: u64,
    pub exited: u64,
    pub turned_away: u64,
    pub flow: FlowState,
}

impl Snapshot {
    /// The 5003 item these counts make.
    pub fn space_info(&self, park_code: &str) -> ParkSpaceInfo {
        ParkSpaceInfo {
            park_code: park_code.to_owned(),
            reserved_stalls: Some(self.reserved as i64),
            unused_stalls: self.unused as i64,
            used_stalls: self.used as i64,
        }
    }
}
