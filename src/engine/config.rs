//! Garage configuration: stalls, thresholds, entrances, flow policy, the
//! priority schedule and the tariff. Checked once by [`Config::validate`]
//! (called by [`Engine::new`](super::Engine::new)).

use super::fees::Tariff;
use crate::proto::time::DateTime;
use std::fmt;

/// What an entrance lane accepts (5.3 a, 6.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LaneKind {
    /// Reservation-only (预约车专用入口): a general vehicle is turned round.
    ReservedOnly,
    /// General entrance: every vehicle may queue; reserved vehicles keep
    /// their hold.
    General,
    /// Mixed lane: both classes queue, the admission rule picks.
    Mixed,
}

/// How a garage with exactly one entrance serves reserved vehicles (5.3 b).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OneEntranceMode {
    /// "预约进、非预约等": while priority is on, a waiting reserved vehicle
    /// always goes before a general one (no 2 : 1 ratio); at full the
    /// "out N in 1" rule still limits general vehicles.
    ReservedEnterGeneralWait,
    /// "人工确认": an attendant confirms every vehicle. The flow-control
    /// rules of a multi-entrance garage apply unchanged, and every admission
    /// is flagged `manual` (the simulator serves it more slowly).
    ManualConfirmation,
}

/// When the full garage's "out N in 1" rule holds general vehicles back
/// (6.8 b).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FullRuleWhen {
    /// Only while reserved vehicles also wait ("非预约车入口、预约车入口处同时有车辆
    /// 排队", the text of 6.8 b): with no reserved vehicle waiting, general
    /// vehicles enter whenever a stall is free for them (default).
    #[default]
    BothQueue,
    /// Whenever the garage is full: a general vehicle waits while any
    /// reserved vehicle waits, and otherwise for N exits.
    Always,
}

/// Which vehicles the saturated 2 : 1 cycle counts (6.8 a).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RatioScope {
    /// Each barrier keeps its own cycle over the vehicles queued at it;
    /// separate barriers never wait for each other's turn (default).
    #[default]
    Barrier,
    /// One cycle for the whole garage: a barrier whose class is not on
    /// turn waits while the other class waits at another barrier.
    Garage,
}

/// Flow-control parameters (6.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowPolicy {
    /// Reserved vehicles per cycle while saturated and both classes wait
    /// (default 2).
    pub ratio_reserved: u32,
    /// General vehicles per cycle (default 1).
    pub ratio_general: u32,
    /// N of "out N in 1" when full: exits per general admission
    /// (1, 2 or 3; default 1).
    pub out_n: u32,
    /// When "out N in 1" applies (default [`FullRuleWhen::BothQueue`]).
    pub full_rule_when: FullRuleWhen,
    /// Where the saturated ratio counts (default [`RatioScope::Barrier`]).
    pub ratio_scope: RatioScope,
}

impl Default for FlowPolicy {
    fn default() -> Self {
        FlowPolicy {
            ratio_reserved: 2,
            ratio_general: 1,
            out_n: 1,
            full_rule_when: FullRuleWhen::default(),
            ratio_scope: RatioScope::default(),
        }
    }
}

/// What the reservable pool sets aside (table 2 `reservableStalls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PoolPolicy {
    /// A cap on simultaneous booking locks only: general vehicles may
    /// park in any stall nobody occupies or holds (default).
    #[default]
    Shared,
    /// The pool is set aside: vehicles that entered as general never
    /// occupy more than `total_stalls − reservable_stalls` stalls.
    Protected,
}

/// When the reservation-priority function is on (6.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrioritySchedule {
    /// On from the start; only manual switching changes it.
    AlwaysOn,
    /// Off from the start; only manual switching changes it.
    AlwaysOff,
    /// On every day from `on_at` to `off_at` \[s since midnight\]; the window
    /// wraps past midnight when `on_at > off_at`. A manual switch lasts
    /// until the next boundary.
    Daily { on_at: u32, off_at: u32 },
}

impl Default for PrioritySchedule {
    /// The standard's example: on 07:30–19:30.
    fn default() -> Self {
        PrioritySchedule::Daily {
            on_at: 7 * 3600 + 30 * 60,
            off_at: 19 * 3600 + 30 * 60,
        }
    }
}

impl PrioritySchedule {
    /// The scheduled state at `t` (the manual state for `AlwaysOn`/`AlwaysOff`
    /// is their initial value).
    pub fn on_at(&self, t: DateTime) -> bool {
        match *self {
            PrioritySchedule::AlwaysOn => true,
            PrioritySchedule::AlwaysOff => false,
            PrioritySchedule::Daily { on_at, off_at } => {
                let s = t.second_of_day();
                let (a, b) = (on_at as i64, off_at as i64);
                if a < b {
                    a <= s && s < b
                } else {
                    s >= a || s < b
                }
            }
        }
    }

    /// The first boundary strictly after `t`: its time and the state it
    /// switches to. O(1).
    pub fn next_boundary(&self, t: DateTime) -> Option<(DateTime, bool)> {
        let PrioritySchedule::Daily { on_at, off_at } = *self else {
            return None;
        };
        let mut marks = [(on_at as i64, true), (off_at as i64, false)];
        marks.sort();
        let day = t.day();
        for d in [day, day + 1] {
            for (sec, state) in marks {
                let at = d.checked_mul(86_400)?.checked_add(sec)?;
                if at > t.0 {
                    return Some((DateTime(at), state));
                }
            }
        }
        None
    }
}

/// One entrance (table 5 `type` 1 or 3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntranceConfig {
    /// Equipment id written as `inEquipmentId` (32 hex); empty: omitted.
    pub equipment_id: String,
    pub kind: LaneKind,
}

/// The whole garage.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `parkCode` of every report (20 characters in the standard).
    pub park_code: String,
    /// Seed of the report ids: id n is `format!("{seed:016x}{n:016x}")`.
    pub seed: u64,
    /// Total stalls \[stalls\] (3.6 note: usable by reserved and general).
    pub total_stalls: u32,
    /// The reservable pool: at most this many stalls locked by bookings at
    /// once \[stalls\] (table 2 `reservableStalls`). At most `total_stalls`.
    pub reservable_stalls: u32,
    /// Whether general vehicles may use the pool's free stalls.
    pub pool: PoolPolicy,
    /// Saturated from this occupancy on \[‰ of total stalls\] (default 700).
    pub saturated_at_permille: u32,
    /// Full from this occupancy on \[‰ of total stalls\] (default 900).
    pub full_at_permille: u32,
    /// Entrances, addressed by index ([`EntranceId`](super::EntranceId)).
    pub entrances: Vec<EntranceConfig>,
    /// Used only when there is exactly one entrance.
    pub one_entrance_mode: OneEntranceMode,
    pub flow: FlowPolicy,
    pub schedule: PrioritySchedule,
    pub tariff: Tariff,
    /// Bookings lock a numbered stall and the 6001 reply carries `stallNo`
    /// (`parkCode` + 8 digits).
    pub fixed_stalls: bool,
    /// After a payment the vehicle may leave within this time without
    /// paying the extra time \[min\].
    pub pay_grace_minutes: u32,
    /// Keep history: the [`EventLog`](super::EventLog) and every finished
    /// stay (for [`Engine::closed_record`](super::Engine::closed_record)
    /// and corrections of closed records). A long simulation that needs
    /// neither turns it off, so memory stays flat in the number of
    /// vehicles (default on).
    pub history: bool,
    /// Queue the report effects (5003, 5004, 5005, 5006, 5008, 7001). A
    /// run that sends no frames turns them off and the engine builds no
    /// protocol message at all; every other effect stays (default on).
    pub reports: bool,
}

impl Default for Config {
    /// 100 stalls, 20 reservable, a reservation-only and a general
    /// entrance, the standard's thresholds, ratio, schedule and tariff.
    fn default() -> Self {
        Config {
            park_code: "44030400100101000010".into(),
            seed: 0,
            total_stalls: 100,
            reservable_stalls: 20,
            pool: PoolPolicy::Shared,
            saturated_at_permille: 700,
            full_at_permille: 900,
            entrances: vec![
                EntranceConfig {
                    equipment_id: String::new(),
                    kind: LaneKind::ReservedOnly,
                },
                EntranceConfig {
                    equipment_id: String::new(),
                    kind: LaneKind::General,
                },
            ],
            one_entrance_mode: OneEntranceMode::ReservedEnterGeneralWait,
            flow: FlowPolicy::default(),
            schedule: PrioritySchedule::default(),
            tariff: Tariff::default(),
            fixed_stalls: false,
            pay_grace_minutes: 15,
            history: true,
            reports: true,
        }
    }
}

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    NoStalls,
    PoolLargerThanGarage {
        reservable: u32,
        total: u32,
    },
    /// Need 0 < saturated ≤ full ≤ 1000.
    BadThresholds {
        saturated: u32,
        full: u32,
    },
    NoEntrance,
    /// 5.3 a: with two or more entrances at least one is reservation-only.
    NoReservedEntrance,
    /// Both ratio terms must be at least 1.
    BadRatio,
    /// N of "out N in 1" must be 1, 2 or 3.
    BadOutN(u32),
    /// Window times must be under 86 400 s and differ.
    BadSchedule,
    /// Tariff amounts must be within 0 ..= 1 000 000 yuan.
    BadTariff,
    /// The start time is outside years 0000–9999.
    StartOutOfRange,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NoStalls => write!(f, "a garage needs at least one stall"),
            ConfigError::PoolLargerThanGarage { reservable, total } => {
                write!(f, "reservable pool {reservable} exceeds {total} stalls")
            }
            ConfigError::BadThresholds { saturated, full } => write!(
                f,
                "thresholds need 0 < saturated ({saturated}) <= full ({full}) <= 1000 permille"
            ),
            ConfigError::NoEntrance => write!(f, "a garage needs an entrance"),
            ConfigError::NoReservedEntrance => write!(
                f,
                "with two or more entrances one must be reservation-only (5.3 a)"
            ),
            ConfigError::BadRatio => write!(f, "both ratio terms must be at least 1"),
            ConfigError::BadOutN(n) => write!(f, "\"out {n} in 1\": N must be 1, 2 or 3"),
            ConfigError::BadSchedule => write!(f, "schedule times must be < 86400 s and differ"),
            ConfigError::BadTariff => write!(f, "tariff amounts must be within 0..=1000000 yuan"),
            ConfigError::StartOutOfRange => write!(f, "start time outside years 0000-9999"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.total_stalls == 0 {
            return Err(ConfigError::NoStalls);
        }
        if self.reservable_stalls > self.total_stalls {
            return Err(ConfigError::PoolLargerThanGarage {
                reservable: self.reservable_stalls,
                total: self.total_stalls,
            });
        }
        let (s, f) = (self.saturated_at_permille, self.full_at_permille);
        if s == 0 || s > f || f > 1000 {
            return Err(ConfigError::BadThresholds {
                saturated: s,
                full: f,
            });
        }
        if self.entrances.is_empty() {
            return Err(ConfigError::NoEntrance);
        }
        if self.entrances.len() >= 2
            && !self
                .entrances
                .iter()
                .any(|e| e.kind == LaneKind::ReservedOnly)
        {
            return Err(ConfigError::NoReservedEntrance);
        }
        if self.flow.ratio_reserved == 0 || self.flow.ratio_general == 0 {
            return Err(ConfigError::BadRatio);
        }
        if !(1..=3).contains(&self.flow.out_n) {
            return Err(ConfigError::BadOutN(self.flow.out_n));
        }
        if let PrioritySchedule::Daily { on_at, off_at } = self.schedule
            && (on_at >= 86_400 || off_at >= 86_400 || on_at == off_at)
        {
            return Err(ConfigError::BadSchedule);
        }
        if !self.tariff.is_valid() {
            return Err(ConfigError::BadTariff);
        }
        Ok(())
    }

    /// The mode of a one-entrance garage, `None` with several entrances.
    pub fn single_entrance_mode(&self) -> Option<OneEntranceMode> {
        (self.entrances.len() == 1).then_some(self.one_entrance_mode)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn daily_schedule_and_boundaries() {
        let s = PrioritySchedule::default();
        let day = DateTime::parse("2018-01-06 00:00:00").unwrap();
        let at = |h: i64, m: i64| DateTime(day.0 + h * 3600 + m * 60);
        assert!(!s.on_at(at(7, 29)));
        assert!(s.on_at(at(7, 30)));
        assert!(s.on_at(at(19, 29)));
        assert!(!s.on_at(at(19, 30)));
        assert_eq!(s.next_boundary(at(0, 0)), Some((at(7, 30), true)));
        assert_eq!(s.next_boundary(at(7, 30)), Some((at(19, 30), false)));
        assert_eq!(s.next_boundary(at(20, 0)), Some((at(24 + 7, 30), true)));
        let night = PrioritySchedule::Daily {
            on_at: 22 * 3600,
            off_at: 6 * 3600,
        };
        assert!(night.on_at(at(23, 0)));
        assert!(night.on_at(at(5, 59)));
        assert!(!night.on_at(at(6, 0)));
        assert_eq!(night.next_boundary(at(1, 0)), Some((at(6, 0), false)));
        assert_eq!(PrioritySchedule::AlwaysOn.next_boundary(at(1, 0)), None);
    }

    #[test]
    fn validation() {
        assert_eq!(Config::default().validate(), Ok(()));
        let bad = |f: fn(&mut Config)| {
            let mut c = Config::default();
            f(&mut c);
            c.validate().unwrap_err()
        };
        assert_eq!(bad(|c| c.total_stalls = 0), ConfigError::NoStalls);
        assert!(matches!(
            bad(|c| c.reservable_stalls = 101),
            ConfigError::PoolLargerThanGarage { .. }
        ));
        assert!(matches!(
            bad(|c| c.saturated_at_permille = 950),
            ConfigError::BadThresholds { .. }
        ));
        assert_eq!(bad(|c| c.entrances.clear()), ConfigError::NoEntrance);
        assert_eq!(
            bad(|c| c.entrances[0].kind = LaneKind::Mixed),
            ConfigError::NoReservedEntrance
        );
        assert_eq!(bad(|c| c.flow.out_n = 4), ConfigError::BadOutN(4));
        assert_eq!(bad(|c| c.flow.ratio_general = 0), ConfigError::BadRatio);
        assert_eq!(
            bad(|c| c.schedule = PrioritySchedule::Daily {
                on_at: 10,
                off_at: 10
            }),
            ConfigError::BadSchedule
        );
    }
}
