//! Saturation and the one decision "who enters next at this entrance"
//! (6.7, 6.8, 5.3 b). Pure functions of their inputs.
//!
//! The rules, with the priority function on:
//! - **unsaturated**: first come, first served among the heads of this
//!   entrance;
//! - **saturated**: while reserved and general vehicles both wait (anywhere
//!   in the garage, general ones only if a stall is free for them), admit
//!   `ratio_reserved` reserved, then `ratio_general` general, and repeat;
//!   otherwise whoever waits;
//! - **full**: reserved first (a general vehicle waits while a reserved one
//!   waits anywhere), and a general vehicle enters only after `out_n`
//!   exits per general admission ("out N in 1"), counted by
//!   [`FlowState::exit_credits`].
//!
//! With the priority function off, first come, first served at every level.
//! Always: a reserved vehicle holds its stall, so it never waits for room; a
//! general vehicle needs a stall that is neither occupied nor held; a
//! reservation-only lane never admits a general vehicle. A one-entrance
//! garage in [`OneEntranceMode::ReservedEnterGeneralWait`] puts a waiting
//! reserved vehicle first at every level while priority is on (no ratio);
//! in [`OneEntranceMode::ManualConfirmation`] the rules above apply and
//! every admission is flagged `manual`.

use super::config::{FlowPolicy, LaneKind, OneEntranceMode};

/// Saturation level of the garage (6.7): occupied / total stalls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Saturation {
    /// Below the saturated threshold (70 %).
    Unsaturated,
    /// From the saturated threshold (70 %) up to below full (90 %).
    Saturated,
    /// At or above the full threshold (90 %).
    Full,
}

impl Saturation {
    /// The level for `occupied` of `total` stalls with thresholds in ‰.
    /// Exact integer arithmetic: 70 of 100 is saturated, 90 of 100 full.
    pub fn of(occupied: u32, total: u32, saturated_at: u32, full_at: u32) -> Saturation {
        let o = occupied as u64 * 1000;
        let t = total as u64;
        if total == 0 || o >= t * full_at as u64 {
            Saturation::Full
        } else if o >= t * saturated_at as u64 {
            Saturation::Saturated
        } else {
            Saturation::Unsaturated
        }
    }
}

/// Reserved (recognised by plate, with a live booking) or general.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VehicleClass {
    Reserved,
    General,
}

/// Garage-wide flow-control counters, updated by [`flow_after`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FlowState {
    /// Position in the saturated ratio cycle: below `ratio_reserved` it is a
    /// reserved turn, otherwise a general turn. Reset to 0 whenever an
    /// admission happens without contention.
    pub cycle: u32,
    /// Exits counted while full, not yet spent on general admissions.
    pub exit_credits: u32,
}

/// Why nobody enters now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaitReason {
    /// No vehicle waits at this entrance.
    Empty,
    /// Only general vehicles wait here and no stall is free for them.
    NoFreeStall,
    /// Full: a reserved vehicle waits at another entrance and goes first.
    ReservedFirst,
    /// Saturated ratio: it is a reserved turn and the reserved vehicle waits
    /// at another entrance.
    ReservedTurn,
    /// Saturated ratio: it is a general turn and the general vehicle waits
    /// at another entrance.
    GeneralTurn,
    /// Full: "out N in 1" needs this many more exits.
    OutNIn1 { exits_needed: u32 },
}

/// The decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Admission {
    /// The head of this class at this entrance enters; `manual`: an
    /// attendant confirms it first (slower service).
    Admit {
        class: VehicleClass,
        manual: bool,
    },
    Wait(WaitReason),
}

/// Everything [`next_admission`] looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AdmissionInput {
    pub lane: LaneKind,
    /// `Some` only in a one-entrance garage.
    pub one_entrance: Option<OneEntranceMode>,
    /// Arrival sequence number of the first reserved vehicle waiting here.
    pub reserved_here: Option<u64>,
    /// Arrival sequence number of the first general vehicle waiting here.
    pub general_here: Option<u64>,
    /// A reserved vehicle waits at another entrance.
    pub reserved_elsewhere: bool,
    /// A general vehicle waits at another (non reservation-only) entrance.
    pub general_elsewhere: bool,
    pub priority_on: bool,
    pub level: Saturation,
    /// Stalls neither occupied nor held by a booking \[stalls\].
    pub free_general: u32,
    pub flow: FlowState,
    pub policy: FlowPolicy,
}

/// Who enters next at this entrance. O(1), pure.
pub fn next_admission(i: &AdmissionInput) -> Admission {
    use Admission::{Admit, Wait};
    use VehicleClass::{General, Reserved};
    let manual = i.one_entrance == Some(OneEntranceMode::ManualConfirmation);
    let admit = |class| Admit { class, manual };
    let r_here = i.reserved_here;
    let g_here = match i.lane {
        LaneKind::ReservedOnly => None,
        _ => i.general_here,
    };
    if r_here.is_none() && g_here.is_none() {
        return Wait(WaitReason::Empty);
    }
    let room = i.free_general > 0;
    let g_ok = g_here.filter(|_| room);
    let fifo = || match (r_here, g_ok) {
        (Some(r), Some(g)) if g < r => admit(General),
        (Some(_), _) => admit(Reserved),
        (None, Some(_)) => admit(General),
        (None, None) => Wait(WaitReason::NoFreeStall),
    };
    if !i.priority_on {
        return fifo();
    }
    let out_n_in_1 = || {
        if !room {
            Wait(WaitReason::NoFreeStall)
        } else if i.flow.exit_credits >= i.policy.out_n {
            admit(General)
        } else {
            Wait(WaitReason::OutNIn1 {
                exits_needed: i.policy.out_n - i.flow.exit_credits,
            })
        }
    };
    if i.one_entrance == Some(OneEntranceMode::ReservedEnterGeneralWait) {
        return if r_here.is_some() {
            admit(Reserved)
        } else if i.level == Saturation::Full && i.reserved_elsewhere {
            Wait(WaitReason::ReservedFirst)
        } else if i.level == Saturation::Full {
            out_n_in_1()
        } else {
            fifo()
        };
    }
    match i.level {
        Saturation::Unsaturated => fifo(),
        Saturation::Full => {
            if r_here.is_some() {
                admit(Reserved)
            } else if i.reserved_elsewhere {
                Wait(WaitReason::ReservedFirst)
            } else {
                out_n_in_1()
            }
        }
        Saturation::Saturated => {
            if contention(i) {
                if i.flow.cycle < i.policy.ratio_reserved {
                    if r_here.is_some() {
                        admit(Reserved)
                    } else {
                        Wait(WaitReason::ReservedTurn)
                    }
                } else if g_here.is_some() {
                    admit(General)
                } else {
                    Wait(WaitReason::GeneralTurn)
                }
            } else {
                fifo()
            }
        }
    }
}

/// Both classes wait and a general vehicle could enter.
fn contention(i: &AdmissionInput) -> bool {
    let g_here = i.lane != LaneKind::ReservedOnly && i.general_here.is_some();
    (i.reserved_here.is_some() || i.reserved_elsewhere)
        && (g_here || i.general_elsewhere)
        && i.free_general > 0
}

/// The counters after `class` was admitted on the decision made from `i`.
pub fn flow_after(i: &AdmissionInput, class: VehicleClass) -> FlowState {
    let mut f = i.flow;
    if !i.priority_on {
        return f;
    }
    match i.level {
        Saturation::Full if class == VehicleClass::General => {
            f.exit_credits = f.exit_credits.saturating_sub(i.policy.out_n);
        }
        Saturation::Saturated
            if i.one_entrance != Some(OneEntranceMode::ReservedEnterGeneralWait) =>
        {
            let cycle = i.policy.ratio_reserved + i.policy.ratio_general;
            f.cycle = if contention(i) {
                (f.cycle + 1) % cycle.max(1)
            } else {
                0
            };
        }
        _ => {}
    }
    f
}

#[cfg(test)]
mod test {
    use super::*;

    fn input() -> AdmissionInput {
        AdmissionInput {
            lane: LaneKind::Mixed,
            one_entrance: None,
            reserved_here: None,
            general_here: None,
            reserved_elsewhere: false,
            general_elsewhere: false,
            priority_on: true,
            level: Saturation::Unsaturated,
            free_general: 10,
            flow: FlowState::default(),
            policy: FlowPolicy::default(),
        }
    }

    #[test]
    fn levels_at_exact_boundaries() {
        let of = |o| Saturation::of(o, 100, 700, 900);
        assert_eq!(of(0), Saturation::Unsaturated);
        assert_eq!(of(69), Saturation::Unsaturated);
        assert_eq!(of(70), Saturation::Saturated);
        assert_eq!(of(89), Saturation::Saturated);
        assert_eq!(of(90), Saturation::Full);
        assert_eq!(of(100), Saturation::Full);
        // 7 of 10 is exactly 70 %; 6.9 of 10 cannot happen.
        assert_eq!(Saturation::of(7, 10, 700, 900), Saturation::Saturated);
        assert_eq!(Saturation::of(6, 10, 700, 900), Saturation::Unsaturated);
        assert_eq!(Saturation::of(9, 10, 700, 900), Saturation::Full);
    }

    #[test]
    fn fifo_when_unsaturated_or_priority_off() {
        let mut i = input();
        i.reserved_here = Some(5);
        i.general_here = Some(3);
        let g = Admission::Admit {
            class: VehicleClass::General,
            manual: false,
        };
        assert_eq!(next_admission(&i), g);
        i.priority_on = false;
        i.level = Saturation::Full;
        assert_eq!(next_admission(&i), g);
        i.free_general = 0;
        assert_eq!(
            next_admission(&i),
            Admission::Admit {
                class: VehicleClass::Reserved,
                manual: false
            }
        );
    }

    #[test]
    fn reserved_lane_never_admits_general() {
        let mut i = input();
        i.lane = LaneKind::ReservedOnly;
        i.general_here = Some(1);
        assert_eq!(next_admission(&i), Admission::Wait(WaitReason::Empty));
    }

    /// Found by the property test: in "reserved enter, general wait" a
    /// general vehicle must not pass a reserved one waiting elsewhere at
    /// full, even though a one-entrance garage has no "elsewhere".
    #[test]
    fn reserved_enter_general_wait_at_full_keeps_reserved_first() {
        let mut i = input();
        i.one_entrance = Some(OneEntranceMode::ReservedEnterGeneralWait);
        i.level = Saturation::Full;
        i.general_here = Some(1);
        i.reserved_elsewhere = true;
        i.flow.exit_credits = 3;
        assert_eq!(
            next_admission(&i),
            Admission::Wait(WaitReason::ReservedFirst)
        );
    }

    #[test]
    fn out_n_in_1_counts_credits() {
        let mut i = input();
        i.level = Saturation::Full;
        i.general_here = Some(1);
        i.policy.out_n = 2;
        assert_eq!(
            next_admission(&i),
            Admission::Wait(WaitReason::OutNIn1 { exits_needed: 2 })
        );
        i.flow.exit_credits = 2;
        assert!(matches!(
            next_admission(&i),
            Admission::Admit {
                class: VehicleClass::General,
                ..
            }
        ));
        assert_eq!(flow_after(&i, VehicleClass::General).exit_credits, 0);
        i.reserved_elsewhere = true;
        assert_eq!(
            next_admission(&i),
            Admission::Wait(WaitReason::ReservedFirst)
        );
    }
}
