//! Saturation and the one decision "who enters next at this entrance"
//! (6.7, 6.8, 5.3 b). Pure functions of their inputs.
//!
//! The rules, with the priority function on:
//! - **unsaturated**: first come, first served among the heads of this
//!   entrance;
//! - **saturated** (6.8 a): while reserved and general vehicles both wait
//!   (and a stall is free for the general one), admit `ratio_reserved`
//!   reserved, then `ratio_general` general, and repeat; otherwise whoever
//!   waits. [`RatioScope::Barrier`] (default) counts the vehicles queued at
//!   this barrier, with a cycle per barrier, so separate barriers never
//!   hold each other up; [`RatioScope::Garage`] counts the whole garage
//!   with one cycle, and a barrier not on turn waits;
//! - **full** (6.8 b): a reserved vehicle at this barrier enters first.
//!   General vehicles enter "out N in 1" — one per `out_n` exits, counted
//!   by [`FlowState::exit_credits`] — under [`FullRuleWhen::BothQueue`]
//!   (default) only while a reserved vehicle waits at another barrier
//!   (with none waiting they enter whenever a stall is free for them);
//!   under [`FullRuleWhen::Always`] a general vehicle waits while any
//!   reserved vehicle waits, and otherwise for N exits.
//!
//! Exit credits: an exit earns one when the garage is still full after it
//! and the rule is in force (priority on; under `BothQueue` a reserved
//! vehicle waiting); a general admission under the rule spends N; the count
//! restarts at 0 whenever the garage becomes full and whenever priority is
//! switched.
//!
//! With the priority function off, first come, first served at every level.
//! Always: a reserved vehicle holds its stall, so it never waits for room; a
//! general vehicle needs a stall that is free for it
//! ([`AdmissionInput::free_general`]); a reservation-only lane never admits
//! a general vehicle. A one-entrance garage in
//! [`OneEntranceMode::ReservedEnterGeneralWait`] puts a waiting reserved
//! vehicle first at every level while priority is on (no ratio); in
//! [`OneEntranceMode::ManualConfirmation`] the rules above apply and every
//! admission is flagged `manual`.

use super::config::{FlowPolicy, FullRuleWhen, LaneKind, OneEntranceMode, RatioScope};

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
    /// Position in the saturated ratio cycle (of this barrier, or of the
    /// garage with [`RatioScope::Garage`]): below `ratio_reserved` it is a
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
    /// Full ([`FullRuleWhen::Always`]): a reserved vehicle waits at another
    /// entrance and goes first.
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
    /// Stalls a general vehicle may take now: neither occupied nor held by
    /// a booking, and within the general share when the pool is protected
    /// \[stalls\].
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
    // Full, nobody reserved at this barrier: the general head's rule.
    let full_general = || match (i.policy.full_rule_when, i.reserved_elsewhere) {
        (FullRuleWhen::Always, true) => Wait(WaitReason::ReservedFirst),
        (FullRuleWhen::Always, false) | (FullRuleWhen::BothQueue, true) => out_n_in_1(),
        (FullRuleWhen::BothQueue, false) => fifo(),
    };
    if i.one_entrance == Some(OneEntranceMode::ReservedEnterGeneralWait) {
        return if r_here.is_some() {
            admit(Reserved)
        } else if i.level == Saturation::Full {
            full_general()
        } else {
            fifo()
        };
    }
    match i.level {
        Saturation::Unsaturated => fifo(),
        Saturation::Full => {
            if r_here.is_some() {
                admit(Reserved)
            } else {
                full_general()
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

/// Both classes wait (at this barrier, or anywhere with
/// [`RatioScope::Garage`]) and a general vehicle could enter.
fn contention(i: &AdmissionInput) -> bool {
    let g_here = i.lane != LaneKind::ReservedOnly && i.general_here.is_some();
    let both = match i.policy.ratio_scope {
        RatioScope::Barrier => i.reserved_here.is_some() && g_here,
        RatioScope::Garage => {
            (i.reserved_here.is_some() || i.reserved_elsewhere) && (g_here || i.general_elsewhere)
        }
    };
    both && i.free_general > 0
}

/// The full garage's "out N in 1" rule decides a general admission.
fn out_n_applies(i: &AdmissionInput) -> bool {
    i.priority_on
        && i.level == Saturation::Full
        && match i.policy.full_rule_when {
            FullRuleWhen::Always => true,
            FullRuleWhen::BothQueue => i.reserved_elsewhere,
        }
}

/// The counters after `class` was admitted on the decision made from `i`.
pub fn flow_after(i: &AdmissionInput, class: VehicleClass) -> FlowState {
    let mut f = i.flow;
    if !i.priority_on {
        return f;
    }
    match i.level {
        Saturation::Full if class == VehicleClass::General && out_n_applies(i) => {
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
        i.policy.full_rule_when = FullRuleWhen::Always;
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
        i.policy.full_rule_when = FullRuleWhen::Always;
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

    /// 6.8 b as written: at full, "out N in 1" holds general vehicles back
    /// only while reserved vehicles queue too.
    #[test]
    fn full_rule_only_while_both_queue_by_default() {
        let mut i = input();
        i.level = Saturation::Full;
        i.general_here = Some(1);
        i.policy.out_n = 2;
        let general = Admission::Admit {
            class: VehicleClass::General,
            manual: false,
        };
        // Nobody reserved waits: the general head takes a free stall.
        assert_eq!(next_admission(&i), general);
        assert_eq!(flow_after(&i, VehicleClass::General).exit_credits, 0);
        // A reserved vehicle waits at the other barrier: out 2 in 1.
        i.reserved_elsewhere = true;
        assert_eq!(
            next_admission(&i),
            Admission::Wait(WaitReason::OutNIn1 { exits_needed: 2 })
        );
        i.flow.exit_credits = 2;
        assert_eq!(next_admission(&i), general);
        assert_eq!(flow_after(&i, VehicleClass::General).exit_credits, 0);
        // No free stall: nobody general enters, whatever the rule.
        i.free_general = 0;
        assert_eq!(next_admission(&i), Admission::Wait(WaitReason::NoFreeStall));
    }

    /// Per barrier (default) the saturated ratio never idles a barrier for
    /// a vehicle at another one; garage-wide it does.
    #[test]
    fn saturated_ratio_scope() {
        let mut i = input();
        i.level = Saturation::Saturated;
        i.lane = LaneKind::General;
        i.general_here = Some(3);
        i.reserved_elsewhere = true;
        let general = Admission::Admit {
            class: VehicleClass::General,
            manual: false,
        };
        assert_eq!(next_admission(&i), general);
        i.policy.ratio_scope = RatioScope::Garage;
        assert_eq!(
            next_admission(&i),
            Admission::Wait(WaitReason::ReservedTurn)
        );
        // Both at this barrier: the cycle applies in either scope.
        i.policy.ratio_scope = RatioScope::Barrier;
        i.reserved_here = Some(5);
        assert_eq!(
            next_admission(&i),
            Admission::Admit {
                class: VehicleClass::Reserved,
                manual: false
            }
        );
        i.flow.cycle = 2;
        assert_eq!(next_admission(&i), general);
        assert_eq!(flow_after(&i, VehicleClass::General).cycle, 0);
    }
}
