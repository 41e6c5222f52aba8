//! Integration and property tests of the booking engine.

use parksim::engine::{
    Command, Config, ControlStrategy, Effect, Engine, EngineError, EntranceConfig, EntranceId,
    EventKind, FlowPolicy, FullRuleWhen, Gate, LaneKind, OneEntranceMode, PayType, PoolPolicy,
    PrioritySchedule, RatioScope, Reply, Saturation, Snapshot, Tariff, UTurnReason, VehicleClass,
    WaitReason,
};
use parksim::proto::codes::BizCode;
use parksim::proto::messages::{
    Amount, BlackWhiteGraySheet, BookConfirmRequest, BookRequest, ControlListDownlink,
    CouponDownlink, ParkCarInfo, ParkSpaceInfo,
};
use parksim::proto::time::DateTime;
use proptest::prelude::*;

const PARK: &str = "44030400100101000010";
const RES: EntranceId = EntranceId(0);
const GEN: EntranceId = EntranceId(1);

fn t(s: &str) -> DateTime {
    DateTime::parse(s).unwrap()
}

/// 08:00 on the standard's example day: priority on by the default schedule.
fn t0() -> DateTime {
    t("2018-01-06 08:00:00")
}

fn mins(base: DateTime, m: i64) -> DateTime {
    DateTime(base.0 + m * 60)
}

fn car(plate: &str) -> ParkCarInfo {
    ParkCarInfo {
        plate_no: plate.into(),
        ..Default::default()
    }
}

fn cfg(total: u32, pool: u32) -> Config {
    Config {
        total_stalls: total,
        reservable_stalls: pool,
        seed: 7,
        ..Config::default()
    }
}

fn engine(c: Config) -> Engine {
    Engine::new(c, t0()).unwrap()
}

fn drain(e: &mut Engine) -> Vec<Effect> {
    std::iter::from_fn(|| e.poll()).collect()
}

fn book(code: &str, plate: &str, book: DateTime, over: DateTime, obligat: i64, op: i64) -> Command {
    Command::Book(BookRequest {
        book_code: code.into(),
        book_time: book,
        car_info: car(plate),
        obligat_time: obligat,
        operate_type: op,
        over_time: over,
        park_code: PARK.into(),
    })
}

fn confirm(code: &str, status: i64) -> Command {
    Command::BookConfirm(BookConfirmRequest {
        book_code: code.into(),
        confirm_status: status,
        park_code: PARK.into(),
    })
}

/// A booking at `now` valid for an hour, held 30 minutes after.
fn book_now(e: &mut Engine, now: DateTime, code: &str, plate: &str) -> (i64, Option<i64>) {
    match e
        .handle(now, book(code, plate, now, mins(now, 60), 30, 1))
        .unwrap()
    {
        Reply::Book(r) => (r.code, r.rest_reserved_stalls),
        r => panic!("{r:?}"),
    }
}

fn book_code(r: Reply) -> i64 {
    match r {
        Reply::Book(r) => r.code,
        Reply::BookConfirm(r) => r.code,
        Reply::ControlList(r) => r.code,
        Reply::Coupon(r) => r.code,
        r => panic!("{r:?}"),
    }
}

fn arrive(e: &mut Engine, now: DateTime, gate: EntranceId, plate: &str) -> Reply {
    e.handle(
        now,
        Command::Arrive {
            entrance: gate,
            car: car(plate),
        },
    )
    .unwrap()
}

fn admit(e: &mut Engine, now: DateTime, gate: EntranceId) -> Reply {
    e.handle(now, Command::Admit { entrance: gate }).unwrap()
}

/// The plate admitted, or the wait reason, as a short string.
fn step(e: &mut Engine, now: DateTime, gate: EntranceId) -> String {
    match admit(e, now, gate) {
        Reply::Admitted { plate, .. } => plate,
        Reply::Wait(w) => format!("wait {w:?}"),
        r => panic!("{r:?}"),
    }
}

fn exit(e: &mut Engine, now: DateTime, plate: &str) -> Reply {
    e.handle(
        now,
        Command::Exit {
            plate: plate.into(),
            equipment_id: None,
        },
    )
    .unwrap()
}

/// Lets `n` general vehicles F0.. in through the general entrance.
fn fill(e: &mut Engine, now: DateTime, n: usize) {
    for i in 0..n {
        let p = format!("F{i}");
        arrive(e, now, GEN, &p);
        assert_eq!(step(e, now, GEN), p);
    }
}

fn spaces(fx: &[Effect]) -> Vec<&ParkSpaceInfo> {
    fx.iter()
        .filter_map(|f| match f {
            Effect::SpaceCount(s) => Some(s),
            _ => None,
        })
        .collect()
}

fn levels(fx: &[Effect]) -> Vec<(Saturation, Saturation)> {
    fx.iter()
        .filter_map(|f| match f {
            Effect::Saturation { from, to, .. } => Some((*from, *to)),
            _ => None,
        })
        .collect()
}

// ---- 1. stalls and saturation --------------------------------------------

#[test]
fn saturation_changes_at_exactly_70_and_90_percent() {
    let mut e = engine(cfg(100, 20));
    drain(&mut e);
    fill(&mut e, t0(), 69);
    assert_eq!(e.snapshot().level, Saturation::Unsaturated);
    assert!(levels(&drain(&mut e)).is_empty());
    fill_more(&mut e, 69, 1); // 70 of 100
    let fx = drain(&mut e);
    assert_eq!(
        levels(&fx),
        [(Saturation::Unsaturated, Saturation::Saturated)]
    );
    // 5004, then 5003, then the level change.
    assert!(matches!(fx[0], Effect::Entry(_)));
    assert!(matches!(fx[1], Effect::SpaceCount(_)));
    assert!(matches!(fx[2], Effect::Saturation { .. }));
    fill_more(&mut e, 70, 19); // 89
    assert_eq!(e.snapshot().level, Saturation::Saturated);
    assert!(levels(&drain(&mut e)).is_empty());
    fill_more(&mut e, 89, 1); // 90
    assert_eq!(
        levels(&drain(&mut e)),
        [(Saturation::Saturated, Saturation::Full)]
    );
    // One out: 89 % is saturated again; 5005, 5003, level.
    let r = exit(&mut e, t0(), "F0");
    assert!(matches!(r, Reply::Exited { .. }));
    let fx = drain(&mut e);
    assert!(matches!(fx[0], Effect::Exit(_)));
    assert!(matches!(fx[1], Effect::SpaceCount(_)));
    assert_eq!(levels(&fx), [(Saturation::Full, Saturation::Saturated)]);
}

fn fill_more(e: &mut Engine, from: usize, n: usize) {
    for i in from..from + n {
        let p = format!("F{i}");
        arrive(e, t0(), GEN, &p);
        assert_eq!(step(e, t0(), GEN), p);
    }
}

#[test]
fn thresholds_are_configurable() {
    let c = Config {
        saturated_at_permille: 500,
        full_at_permille: 750,
        ..cfg(4, 1)
    };
    let mut e = engine(c);
    fill(&mut e, t0(), 2);
    assert_eq!(e.snapshot().level, Saturation::Saturated);
    fill_more(&mut e, 2, 1);
    assert_eq!(e.snapshot().level, Saturation::Full);
}

#[test]
fn space_counts_follow_holds_and_occupancy() {
    let mut e = engine(cfg(10, 3));
    let fx = drain(&mut e);
    // The initial count.
    assert_eq!(spaces(&fx).len(), 1);
    assert_eq!(spaces(&fx)[0].unused_stalls, 10);
    assert_eq!(book_now(&mut e, t0(), "B1", "粤B00001"), (0, Some(2)));
    let fx = drain(&mut e);
    let s = spaces(&fx);
    assert_eq!(s.len(), 1);
    assert_eq!(
        (s[0].used_stalls, s[0].unused_stalls, s[0].reserved_stalls),
        (0, 9, Some(1))
    );
    arrive(&mut e, t0(), RES, "粤B00001");
    assert_eq!(step(&mut e, t0(), RES), "粤B00001");
    let fx = drain(&mut e);
    let s = spaces(&fx);
    // The hold turned into occupancy: one 5003, unused unchanged.
    assert_eq!(
        (s[0].used_stalls, s[0].unused_stalls, s[0].reserved_stalls),
        (1, 9, Some(0))
    );
    assert_eq!(s[0].park_code, PARK);
}

// ---- 2. entrances and lanes ----------------------------------------------

#[test]
fn general_vehicle_at_reserved_entrance_makes_a_u_turn() {
    let mut e = engine(cfg(10, 3));
    drain(&mut e);
    let r = arrive(&mut e, t0(), RES, "粤B11111");
    assert_eq!(r, Reply::TurnedAway(UTurnReason::GeneralAtReservedLane));
    let fx = drain(&mut e);
    assert!(matches!(
        &fx[..],
        [Effect::UTurn {
            entrance: RES,
            reason: UTurnReason::GeneralAtReservedLane,
            ..
        }]
    ));
    assert_eq!(e.snapshot().turned_away, 1);
    assert_eq!(e.snapshot().waiting_general, 0);
    // A reserved vehicle is recognised by its plate and queued.
    book_now(&mut e, t0(), "B1", "粤B22222");
    let r = arrive(&mut e, t0(), RES, "粤B22222");
    assert_eq!(
        r,
        Reply::Queued {
            class: VehicleClass::Reserved,
            book_code: Some("B1".into())
        }
    );
}

#[test]
fn lane_conversion_reserved_to_general_and_back() {
    let mut e = engine(cfg(10, 3));
    drain(&mut e);
    let r = e
        .handle(
            t0(),
            Command::SetLane {
                entrance: RES,
                kind: LaneKind::General,
            },
        )
        .unwrap();
    assert_eq!(
        r,
        Reply::Lane {
            from: LaneKind::ReservedOnly,
            to: LaneKind::General
        }
    );
    assert!(matches!(
        arrive(&mut e, t0(), RES, "G1"),
        Reply::Queued {
            class: VehicleClass::General,
            ..
        }
    ));
    arrive(&mut e, t0(), RES, "G2");
    assert_eq!(step(&mut e, t0(), RES), "G1");
    drain(&mut e);
    // Back to reservation-only: the general vehicle still waiting turns round.
    e.handle(
        t0(),
        Command::SetLane {
            entrance: RES,
            kind: LaneKind::ReservedOnly,
        },
    )
    .unwrap();
    let fx = drain(&mut e);
    assert!(matches!(
        fx[0],
        Effect::LaneChanged {
            from: LaneKind::General,
            to: LaneKind::ReservedOnly,
            ..
        }
    ));
    assert!(matches!(&fx[1], Effect::UTurn { car, .. } if car.plate_no == "G2"));
    assert_eq!(e.lane(RES), Some(LaneKind::ReservedOnly));
    assert_eq!(e.snapshot().waiting_general, 0);
    assert_eq!(
        arrive(&mut e, t0(), RES, "G3"),
        Reply::TurnedAway(UTurnReason::GeneralAtReservedLane)
    );
}

fn one_entrance(mode: OneEntranceMode, total: u32) -> Engine {
    let c = Config {
        entrances: vec![EntranceConfig {
            equipment_id: "0123456789abcdef0123456789abcdef".into(),
            kind: LaneKind::Mixed,
        }],
        one_entrance_mode: mode,
        ..cfg(total, 20)
    };
    engine(c)
}

const ONE: EntranceId = EntranceId(0);

#[test]
fn one_entrance_reserved_enter_general_wait() {
    let mut e = one_entrance(OneEntranceMode::ReservedEnterGeneralWait, 100);
    let now = t0();
    // Unsaturated, priority on: reserved vehicles go first even if later.
    arrive(&mut e, now, ONE, "G1");
    for i in 1..=3 {
        book_now(&mut e, now, &format!("B{i}"), &format!("R{i}"));
        arrive(&mut e, now, ONE, &format!("R{i}"));
    }
    let seq: Vec<String> = (0..4).map(|_| step(&mut e, now, ONE)).collect();
    assert_eq!(seq, ["R1", "R2", "R3", "G1"]);
    // No manual flag in this mode; the record carries the entrance id.
    let r = e.inside("G1").unwrap();
    assert_eq!(
        r.in_equipment_id.as_deref(),
        Some("0123456789abcdef0123456789abcdef")
    );
    // Priority off: first come, first served.
    e.handle(
        now,
        Command::SetPriority {
            on: false,
            remark: None,
        },
    )
    .unwrap();
    arrive(&mut e, now, ONE, "G2");
    book_now(&mut e, now, "B4", "R4");
    arrive(&mut e, now, ONE, "R4");
    assert_eq!(step(&mut e, now, ONE), "G2");
    assert_eq!(step(&mut e, now, ONE), "R4");
}

#[test]
fn one_entrance_manual_confirmation_flags_every_admission_and_keeps_ratio() {
    let mut e = one_entrance(OneEntranceMode::ManualConfirmation, 100);
    let now = t0();
    for i in 0..70 {
        let p = format!("F{i}");
        arrive(&mut e, now, ONE, &p);
        match admit(&mut e, now, ONE) {
            Reply::Admitted { manual, .. } => assert!(manual),
            r => panic!("{r:?}"),
        }
    }
    assert_eq!(e.snapshot().level, Saturation::Saturated);
    arrive(&mut e, now, ONE, "G1");
    arrive(&mut e, now, ONE, "G2");
    for i in 1..=3 {
        book_now(&mut e, now, &format!("B{i}"), &format!("R{i}"));
        arrive(&mut e, now, ONE, &format!("R{i}"));
    }
    let seq: Vec<String> = (0..5).map(|_| step(&mut e, now, ONE)).collect();
    assert_eq!(seq, ["R1", "R2", "G1", "R3", "G2"]);
}

// ---- 3. flow control -------------------------------------------------------

#[test]
fn saturated_two_to_one_step_by_step() {
    // The garage-wide reading: one cycle for both barriers.
    let mut e = engine(Config {
        flow: FlowPolicy {
            ratio_scope: RatioScope::Garage,
            ..FlowPolicy::default()
        },
        ..cfg(100, 20)
    });
    let now = t0();
    fill(&mut e, now, 75);
    assert_eq!(e.snapshot().level, Saturation::Saturated);
    for i in 1..=4 {
        book_now(&mut e, now, &format!("B{i}"), &format!("R{i}"));
        arrive(&mut e, now, RES, &format!("R{i}"));
    }
    for i in 1..=3 {
        arrive(&mut e, now, GEN, &format!("G{i}"));
    }
    // Both classes wait: 2 reserved, then 1 general, and again.
    assert_eq!(step(&mut e, now, GEN), "wait ReservedTurn");
    assert_eq!(step(&mut e, now, RES), "R1");
    assert_eq!(step(&mut e, now, GEN), "wait ReservedTurn");
    assert_eq!(step(&mut e, now, RES), "R2");
    assert_eq!(step(&mut e, now, RES), "wait GeneralTurn");
    assert_eq!(step(&mut e, now, GEN), "G1");
    assert_eq!(step(&mut e, now, RES), "R3");
    assert_eq!(step(&mut e, now, RES), "R4");
    // No reserved vehicle waits any more: the general ones go.
    assert_eq!(step(&mut e, now, GEN), "G2");
    assert_eq!(step(&mut e, now, GEN), "G3");
    assert_eq!(step(&mut e, now, GEN), "wait Empty");
    assert_eq!(e.snapshot().used, 82);
}

#[test]
fn saturated_ratio_is_configurable_three_to_two() {
    let c = Config {
        flow: FlowPolicy {
            ratio_reserved: 3,
            ratio_general: 2,
            out_n: 1,
            ..FlowPolicy::default()
        },
        entrances: vec![EntranceConfig {
            equipment_id: String::new(),
            kind: LaneKind::Mixed,
        }],
        one_entrance_mode: OneEntranceMode::ManualConfirmation,
        ..cfg(100, 20)
    };
    let mut e = engine(c);
    let now = t0();
    for i in 0..70 {
        let p = format!("F{i}");
        arrive(&mut e, now, ONE, &p);
        step(&mut e, now, ONE);
    }
    for i in 1..=4 {
        arrive(&mut e, now, ONE, &format!("G{i}"));
    }
    for i in 1..=6 {
        book_now(&mut e, now, &format!("B{i}"), &format!("R{i}"));
        arrive(&mut e, now, ONE, &format!("R{i}"));
    }
    let seq: Vec<String> = (0..10).map(|_| step(&mut e, now, ONE)).collect();
    assert_eq!(
        seq,
        ["R1", "R2", "R3", "G1", "G2", "R4", "R5", "R6", "G3", "G4"]
    );
}

#[test]
fn unsaturated_is_first_come_first_served() {
    let mut e = engine(Config {
        entrances: vec![
            EntranceConfig {
                equipment_id: String::new(),
                kind: LaneKind::ReservedOnly,
            },
            EntranceConfig {
                equipment_id: String::new(),
                kind: LaneKind::Mixed,
            },
        ],
        ..cfg(100, 20)
    });
    let now = t0();
    arrive(&mut e, now, GEN, "G1");
    book_now(&mut e, now, "B1", "R1");
    arrive(&mut e, now, GEN, "R1");
    assert_eq!(step(&mut e, now, GEN), "G1");
    assert_eq!(step(&mut e, now, GEN), "R1");
}

#[test]
fn full_reserved_first_then_out_2_in_1_step_by_step() {
    // The "whenever full" reading of 6.8 b.
    let mut e = engine(Config {
        flow: FlowPolicy {
            out_n: 2,
            full_rule_when: FullRuleWhen::Always,
            ..FlowPolicy::default()
        },
        ..cfg(100, 20)
    });
    let now = t0();
    // Fill past 90 % with the priority function off (with it on, general
    // vehicles could not get in past 90 % without exits).
    e.handle(
        now,
        Command::SetPriority {
            on: false,
            remark: None,
        },
    )
    .unwrap();
    fill(&mut e, now, 94);
    e.handle(
        now,
        Command::SetPriority {
            on: true,
            remark: None,
        },
    )
    .unwrap();
    assert_eq!(e.snapshot().level, Saturation::Full);
    book_now(&mut e, now, "B1", "R1");
    arrive(&mut e, now, RES, "R1");
    for i in 1..=3 {
        arrive(&mut e, now, GEN, &format!("G{i}"));
    }
    // Reserved first.
    assert_eq!(step(&mut e, now, GEN), "wait ReservedFirst");
    assert_eq!(step(&mut e, now, RES), "R1");
    // 95 inside, 5 free stalls, but general vehicles need 2 exits each.
    assert_eq!(step(&mut e, now, GEN), "wait OutNIn1 { exits_needed: 2 }");
    exit(&mut e, now, "F0"); // out 1
    assert_eq!(step(&mut e, now, GEN), "wait OutNIn1 { exits_needed: 1 }");
    exit(&mut e, now, "F1"); // out 2
    assert_eq!(step(&mut e, now, GEN), "G1"); // in 1
    assert_eq!(step(&mut e, now, GEN), "wait OutNIn1 { exits_needed: 2 }");
    exit(&mut e, now, "F2");
    exit(&mut e, now, "F3");
    assert_eq!(step(&mut e, now, GEN), "G2");
    assert_eq!(step(&mut e, now, GEN), "wait OutNIn1 { exits_needed: 2 }");
    assert_eq!(e.snapshot().used, 93);
}

#[test]
fn out_n_in_1_for_n_1_and_3() {
    for n in [1u32, 3] {
        let mut e = engine(Config {
            flow: FlowPolicy {
                out_n: n,
                full_rule_when: FullRuleWhen::Always,
                ..FlowPolicy::default()
            },
            ..cfg(100, 2)
        });
        let now = t0();
        e.handle(
            now,
            Command::SetPriority {
                on: false,
                remark: None,
            },
        )
        .unwrap();
        fill(&mut e, now, 95);
        e.handle(
            now,
            Command::SetPriority {
                on: true,
                remark: None,
            },
        )
        .unwrap();
        arrive(&mut e, now, GEN, "G1");
        arrive(&mut e, now, GEN, "G2");
        for k in 0..n {
            assert_eq!(
                step(&mut e, now, GEN),
                format!("wait OutNIn1 {{ exits_needed: {} }}", n - k)
            );
            exit(&mut e, now, &format!("F{k}"));
            assert_eq!(e.snapshot().level, Saturation::Full);
        }
        assert_eq!(step(&mut e, now, GEN), "G1");
        assert_eq!(
            step(&mut e, now, GEN),
            format!("wait OutNIn1 {{ exits_needed: {n} }}")
        );
    }
}

/// 6.8 b as written (the default): at full, general vehicles enter while a
/// stall is free for them unless reserved vehicles queue too; then "out 2
/// in 1" counts the exits made while they queue.
#[test]
fn full_rule_applies_only_while_reserved_vehicles_queue() {
    let mut e = engine(Config {
        flow: FlowPolicy {
            out_n: 2,
            ..FlowPolicy::default()
        },
        ..cfg(100, 20)
    });
    let now = t0();
    fill(&mut e, now, 92);
    assert_eq!(e.snapshot().level, Saturation::Full);
    // No reserved vehicle waits: general vehicles fill the free stalls.
    for i in 1..=3 {
        arrive(&mut e, now, GEN, &format!("G{i}"));
    }
    assert_eq!(step(&mut e, now, GEN), "G1");
    assert_eq!(step(&mut e, now, GEN), "G2");
    // A reserved vehicle queues at its own barrier: general ones wait for
    // two exits made while it queues.
    book_now(&mut e, now, "B1", "R1");
    arrive(&mut e, now, RES, "R1");
    assert_eq!(step(&mut e, now, GEN), "wait OutNIn1 { exits_needed: 2 }");
    exit(&mut e, now, "F0");
    exit(&mut e, now, "F1");
    assert_eq!(step(&mut e, now, GEN), "G3");
    // The reserved vehicle enters on its hold.
    assert_eq!(step(&mut e, now, RES), "R1");
    assert_eq!(e.snapshot().used, 94);
}

/// A full garage with no bookings fills to the last stall (the "always"
/// reading stops general vehicles at the threshold until exits come).
#[test]
fn without_bookings_a_full_garage_fills_every_stall() {
    for (when, inside) in [(FullRuleWhen::BothQueue, 100), (FullRuleWhen::Always, 90)] {
        let mut e = engine(Config {
            flow: FlowPolicy {
                full_rule_when: when,
                ..FlowPolicy::default()
            },
            ..cfg(100, 0)
        });
        let now = t0();
        for i in 0..120 {
            arrive(&mut e, now, GEN, &format!("G{i}"));
        }
        while step(&mut e, now, GEN).starts_with('G') {}
        assert_eq!(e.snapshot().used, inside, "{when:?}");
    }
}

/// A protected pool keeps general vehicles out of the reservable stalls
/// even when no booking holds them; a shared pool does not.
#[test]
fn a_protected_pool_is_set_aside_for_bookings() {
    for (pool, general_max) in [(PoolPolicy::Protected, 80), (PoolPolicy::Shared, 100)] {
        let mut e = engine(Config {
            pool,
            schedule: PrioritySchedule::AlwaysOff,
            ..cfg(100, 20)
        });
        let now = t0();
        for i in 0..110 {
            arrive(&mut e, now, GEN, &format!("G{i}"));
        }
        while step(&mut e, now, GEN).starts_with('G') {}
        let s = e.snapshot();
        assert_eq!(
            (s.used, s.general_inside),
            (general_max, general_max),
            "{pool:?}"
        );
        if pool == PoolPolicy::Protected {
            assert_eq!(step(&mut e, now, GEN), "wait NoFreeStall");
            assert_eq!((s.unused, s.general_room), (20, 0));
            // Bookings still get the pool, and their vehicles enter.
            for i in 1..=20 {
                assert_eq!(
                    book_now(&mut e, now, &format!("B{i}"), &format!("R{i}")).0,
                    0
                );
                arrive(&mut e, now, RES, &format!("R{i}"));
                assert_eq!(step(&mut e, now, RES), format!("R{i}"));
            }
            assert_eq!(e.snapshot().used, 100);
            // A general vehicle leaving makes room for one general vehicle.
            exit(&mut e, now, "G0");
            assert_eq!(step(&mut e, now, GEN), "G80");
        }
    }
}

/// Staff let a car out that the control list holds at the exit (strategy
/// 2); the plain exit stays refused.
#[test]
fn staff_release_a_car_the_control_list_holds() {
    let mut e = engine(Config {
        tariff: Tariff {
            free_minutes: 24 * 60,
            ..Tariff::default()
        },
        ..cfg(100, 20)
    });
    let now = t0();
    arrive(&mut e, now, GEN, "L1");
    assert_eq!(step(&mut e, now, GEN), "L1");
    e.handle(now, sheet("S1", "L1", 2, None, mins(now, 600), 1))
        .unwrap();
    assert!(matches!(
        exit(&mut e, mins(now, 5), "L1"),
        Reply::ExitRefused { .. }
    ));
    let r = e
        .handle(
            mins(now, 20),
            Command::Release {
                plate: "L1".into(),
                equipment_id: None,
            },
        )
        .unwrap();
    assert!(matches!(r, Reply::Exited { .. }), "{r:?}");
    assert_eq!(e.snapshot().used, 0);
}

/// `next_timer` names the next expiry or scheduled switch.
#[test]
fn next_timer_is_the_next_expiry_or_switch() {
    let mut e = engine(cfg(100, 20));
    let now = t0(); // 08:00, the next switch 19:30
    assert_eq!(e.next_timer(), Some(t("2018-01-06 19:30:00")));
    let r = e
        .handle(now, book("B1", "R1", now, mins(now, 60), 30, 1))
        .unwrap();
    assert_eq!(book_code(r), 0);
    assert_eq!(e.next_timer(), Some(mins(now, 90)));
    e.handle(mins(now, 90), Command::Tick).unwrap();
    assert_eq!(e.snapshot().reserved, 0);
    assert_eq!(e.next_timer(), Some(t("2018-01-06 19:30:00")));
}

#[test]
fn general_vehicle_waits_when_no_stall_is_free() {
    let mut e = engine(Config {
        schedule: PrioritySchedule::AlwaysOff,
        ..cfg(3, 1)
    });
    let now = t0();
    fill(&mut e, now, 2);
    book_now(&mut e, now, "B1", "R1");
    arrive(&mut e, now, GEN, "G1");
    assert_eq!(step(&mut e, now, GEN), "wait NoFreeStall");
    // The reserved vehicle still has its stall.
    arrive(&mut e, now, RES, "R1");
    assert_eq!(step(&mut e, now, RES), "R1");
    assert_eq!(e.snapshot().used, 3);
}

// ---- 4. priority schedule ----------------------------------------------------

fn switches(fx: &[Effect]) -> Vec<(i64, String)> {
    fx.iter()
        .filter_map(|f| match f {
            Effect::PrioritySwitch(p) => Some((p.operate_type, p.time.to_string())),
            _ => None,
        })
        .collect()
}

#[test]
fn schedule_switches_report_7001_at_boundaries() {
    let mut e = Engine::new(cfg(10, 2), t("2018-01-06 07:00:00")).unwrap();
    assert!(!e.snapshot().priority_on);
    drain(&mut e);
    e.handle(t("2018-01-06 07:29:59"), Command::Tick).unwrap();
    assert!(switches(&drain(&mut e)).is_empty());
    e.handle(t("2018-01-06 07:30:00"), Command::Tick).unwrap();
    let fx = drain(&mut e);
    assert_eq!(switches(&fx), [(1, "2018-01-06 07:30:00".to_string())]);
    match &fx[0] {
        Effect::PrioritySwitch(p) => {
            assert_eq!(p.park_code, PARK);
            assert_eq!(p.id.len(), 32);
            let req = fx[0].report().unwrap();
            assert_eq!(req.command().code(), 7001);
        }
        f => panic!("{f:?}"),
    }
    // Two days later in one step: every switch, in time order.
    e.handle(t("2018-01-08 08:00:00"), Command::Tick).unwrap();
    assert_eq!(
        switches(&drain(&mut e)),
        [
            (0, "2018-01-06 19:30:00".to_string()),
            (1, "2018-01-07 07:30:00".to_string()),
            (0, "2018-01-07 19:30:00".to_string()),
            (1, "2018-01-08 07:30:00".to_string()),
        ]
    );
}

#[test]
fn manual_switch_reports_and_lasts_until_next_boundary() {
    let mut e = engine(cfg(10, 2));
    drain(&mut e);
    let r = e
        .handle(
            mins(t0(), 5),
            Command::SetPriority {
                on: false,
                remark: Some("maintenance".into()),
            },
        )
        .unwrap();
    assert_eq!(
        r,
        Reply::Priority {
            on: false,
            changed: true
        }
    );
    let fx = drain(&mut e);
    match &fx[..] {
        [Effect::PrioritySwitch(p)] => {
            assert_eq!(p.operate_type, 0);
            assert_eq!(p.remark.as_deref(), Some("maintenance"));
            assert_eq!(p.time, mins(t0(), 5));
        }
        f => panic!("{f:?}"),
    }
    // Same state again: no report.
    let r = e
        .handle(
            mins(t0(), 6),
            Command::SetPriority {
                on: false,
                remark: None,
            },
        )
        .unwrap();
    assert_eq!(
        r,
        Reply::Priority {
            on: false,
            changed: false
        }
    );
    assert!(drain(&mut e).is_empty());
    // 19:30 boundary says off: already off, no report; 07:30 next day on.
    e.handle(t("2018-01-07 08:00:00"), Command::Tick).unwrap();
    assert_eq!(
        switches(&drain(&mut e)),
        [(1, "2018-01-07 07:30:00".to_string())]
    );
}

#[test]
fn a_gap_of_years_reports_at_most_a_bounded_number_of_switches() {
    let mut e = engine(cfg(10, 2));
    drain(&mut e);
    e.handle(t("2030-01-01 08:00:00"), Command::Tick).unwrap();
    let n = switches(&drain(&mut e)).len();
    assert!(n <= 2 * 367 + 1, "{n}");
    assert!(e.snapshot().priority_on);
}

// ---- 5. bookings -------------------------------------------------------------

#[test]
fn booking_locks_a_numbered_stall_and_replies_rest() {
    let mut e = engine(Config {
        fixed_stalls: true,
        ..cfg(10, 2)
    });
    let r = e
        .handle(t0(), book("YD1", "粤B88888", t0(), mins(t0(), 60), 30, 1))
        .unwrap();
    let Reply::Book(r) = r else { panic!() };
    assert_eq!(r.code, 0);
    assert_eq!(r.message, "成功");
    assert_eq!(r.rest_reserved_stalls, Some(1));
    let stall = r.stall_no.unwrap();
    assert_eq!(stall.len(), 28);
    assert!(stall.starts_with(PARK));
    let r2 = e
        .handle(t0(), book("YD2", "粤B88889", t0(), mins(t0(), 60), 30, 1))
        .unwrap();
    let Reply::Book(r2) = r2 else { panic!() };
    assert_ne!(r2.stall_no.unwrap(), stall);
    assert_eq!(r2.rest_reserved_stalls, Some(0));
    // The standard's wording of the reply without fixed stalls: no stallNo.
    let mut e = engine(cfg(10, 2));
    let Reply::Book(r) = e
        .handle(t0(), book("YD1", "粤B88888", t0(), mins(t0(), 60), 30, 1))
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(r.stall_no, None);
}

#[test]
fn every_booking_error_code() {
    let mut e = engine(cfg(10, 1));
    let now = t0();
    assert_eq!(book_now(&mut e, now, "B1", "P1"), (0, Some(0)));
    // 1201 duplicate bookCode (and no restReservedStalls).
    assert_eq!(book_now(&mut e, now, "B1", "P9"), (1201, None));
    // 1501 nothing reservable (pool of one is used).
    assert_eq!(book_now(&mut e, now, "B2", "P2"), (1501, Some(0)));
    // 5004 bad times: overTime <= bookTime, negative hold, already lapsed.
    for cmd in [
        book("B3", "P3", now, now, 30, 1),
        book("B3", "P3", mins(now, 10), now, 30, 1),
        book("B3", "P3", now, mins(now, 60), -1, 1),
        book("B3", "P3", mins(now, -120), mins(now, -60), 30, 1),
        book("B3", "P3", now, mins(now, 60), i64::MAX, 1),
        book("B3", "P3", now, DateTime(i64::MAX), 30, 1),
    ] {
        assert_eq!(book_code(e.handle(now, cmd).unwrap()), 5004);
    }
    // 1104 unknown booking: change and confirm/cancel.
    assert_eq!(
        book_code(
            e.handle(now, book("NOPE", "P1", now, mins(now, 60), 30, 2))
                .unwrap()
        ),
        1104
    );
    assert_eq!(book_code(e.handle(now, confirm("NOPE", 1)).unwrap()), 1104);
    assert_eq!(book_code(e.handle(now, confirm("NOPE", 0)).unwrap()), 1104);
    // 1401 already cancelled.
    assert_eq!(book_code(e.handle(now, confirm("B1", 0)).unwrap()), 0);
    assert_eq!(book_code(e.handle(now, confirm("B1", 0)).unwrap()), 1401);
    assert_eq!(book_code(e.handle(now, confirm("B1", 1)).unwrap()), 1401);
    assert_eq!(
        book_code(
            e.handle(now, book("B1", "P1", now, mins(now, 60), 30, 2))
                .unwrap()
        ),
        1401
    );
    // 1301 expired: B4 lapses at 08:00 + 60 + 30 min.
    assert_eq!(book_now(&mut e, now, "B4", "P4"), (0, Some(0)));
    let later = mins(now, 90);
    assert_eq!(book_code(e.handle(later, confirm("B4", 1)).unwrap()), 1301);
    assert_eq!(book_code(e.handle(later, confirm("B4", 0)).unwrap()), 1301);
    assert_eq!(
        book_code(
            e.handle(later, book("B4", "P4", later, mins(later, 60), 30, 2))
                .unwrap()
        ),
        1301
    );
    // Other garage, other operateType / confirmStatus.
    let mut other = book("B5", "P5", later, mins(later, 60), 30, 1);
    if let Command::Book(b) = &mut other {
        b.park_code = "44030400100101000099".into();
    }
    assert_eq!(book_code(e.handle(later, other).unwrap()), 1101);
    assert_eq!(
        book_code(
            e.handle(later, book("B5", "P5", later, mins(later, 60), 30, 3))
                .unwrap()
        ),
        1007
    );
    assert_eq!(book_code(e.handle(later, confirm("B4", 2)).unwrap()), 1007);
    // Bad requests are logged with their code.
    let rejected: Vec<_> = e
        .log()
        .by_booking("B1")
        .filter_map(|ev| match ev.kind {
            EventKind::BookingRejected { code } => Some(code),
            _ => None,
        })
        .collect();
    assert_eq!(
        rejected,
        [
            BizCode::BookingExists,
            BizCode::BookingCancelled,
            BizCode::BookingCancelled,
            BizCode::BookingCancelled
        ]
    );
}

#[test]
fn confirm_change_and_cancel_unlocks() {
    let mut e = engine(cfg(10, 2));
    let now = t0();
    book_now(&mut e, now, "B1", "P1");
    assert_eq!(book_code(e.handle(now, confirm("B1", 1)).unwrap()), 0);
    assert_eq!(
        e.booking("B1").unwrap().state,
        parksim::engine::BookingState::Confirmed
    );
    // Change: a later window moves the deadline; reply carries rest.
    let r = e
        .handle(now, book("B1", "P1", mins(now, 60), mins(now, 180), 15, 2))
        .unwrap();
    let Reply::Book(r) = r else { panic!() };
    assert_eq!((r.code, r.rest_reserved_stalls), (0, Some(1)));
    assert_eq!(e.booking("B1").unwrap().deadline, mins(now, 195));
    assert_eq!(e.snapshot().reserved, 1);
    drain(&mut e);
    // Cancel unlocks: reserved back to 0, one 5003.
    assert_eq!(book_code(e.handle(now, confirm("B1", 0)).unwrap()), 0);
    let fx = drain(&mut e);
    assert_eq!(spaces(&fx).len(), 1);
    assert_eq!(spaces(&fx)[0].reserved_stalls, Some(0));
    assert_eq!(e.snapshot().rest_reservable, 2);
    // The plate is general now.
    assert!(matches!(
        arrive(&mut e, now, GEN, "P1"),
        Reply::Queued {
            class: VehicleClass::General,
            ..
        }
    ));
}

#[test]
fn expiry_at_over_time_plus_hold_returns_the_stall() {
    let mut e = engine(cfg(10, 2));
    let now = t0();
    // Hospital example: 30 minutes' grace after the booked time.
    e.handle(now, book("B1", "P1", now, mins(now, 60), 30, 1))
        .unwrap();
    e.handle(now, book("B2", "P2", now, mins(now, 60), 30, 1))
        .unwrap();
    drain(&mut e);
    let deadline = mins(now, 90);
    // One second before the deadline: still reserved.
    let just_in = DateTime(deadline.0 - 1);
    assert!(matches!(
        arrive(&mut e, just_in, RES, "P1"),
        Reply::Queued {
            class: VehicleClass::Reserved,
            ..
        }
    ));
    assert_eq!(step(&mut e, just_in, RES), "P1");
    drain(&mut e);
    // At the deadline: P2's hold lapses first, the vehicle is general.
    let late = mins(now, 91);
    assert_eq!(
        arrive(&mut e, late, RES, "P2"),
        Reply::TurnedAway(UTurnReason::GeneralAtReservedLane)
    );
    let fx = drain(&mut e);
    match &fx[0] {
        Effect::BookingExpired {
            time,
            book_code,
            plate,
        } => {
            assert_eq!(*time, deadline);
            assert_eq!(book_code, "B2");
            assert_eq!(plate, "P2");
        }
        f => panic!("{f:?}"),
    }
    assert_eq!(spaces(&fx)[0].reserved_stalls, Some(0));
    assert_eq!(
        e.booking("B2").unwrap().state,
        parksim::engine::BookingState::Expired
    );
    assert!(matches!(
        arrive(&mut e, late, GEN, "P2"),
        Reply::Queued {
            class: VehicleClass::General,
            ..
        }
    ));
}

#[test]
fn a_waiting_reserved_vehicle_whose_booking_lapses_is_demoted() {
    let mut e = engine(Config {
        entrances: vec![
            EntranceConfig {
                equipment_id: String::new(),
                kind: LaneKind::ReservedOnly,
            },
            EntranceConfig {
                equipment_id: String::new(),
                kind: LaneKind::Mixed,
            },
        ],
        ..cfg(10, 3)
    });
    let now = t0();
    book_now(&mut e, now, "B1", "P1");
    book_now(&mut e, now, "B2", "P2");
    arrive(&mut e, now, RES, "P1");
    arrive(&mut e, now, GEN, "G1");
    arrive(&mut e, now, GEN, "P2");
    arrive(&mut e, now, GEN, "G2");
    drain(&mut e);
    e.handle(mins(now, 90), Command::Tick).unwrap();
    let fx = drain(&mut e);
    // P1 at the reservation-only lane turns round; P2 waits as general,
    // between G1 and G2 (arrival order kept).
    assert!(
        fx.iter()
            .any(|f| matches!(f, Effect::UTurn { car, entrance: RES, .. } if car.plate_no == "P1"))
    );
    assert_eq!(e.queue(GEN, VehicleClass::General), ["G1", "P2", "G2"]);
    assert!(e.queue(GEN, VehicleClass::Reserved).is_empty());
    let s = e.snapshot();
    assert_eq!(
        (s.waiting_reserved, s.waiting_general, s.reserved),
        (0, 3, 0)
    );
}

// ---- 6. control lists --------------------------------------------------------

fn sheet(
    id: &str,
    plate: &str,
    strategy: i64,
    begin: Option<DateTime>,
    end: DateTime,
    status: i64,
) -> Command {
    Command::ControlList(ControlListDownlink {
        black_white_gray_sheet: BlackWhiteGraySheet {
            begin_date: begin,
            car_info: car(plate),
            end_date: end,
            id: id.into(),
            park_code: PARK.into(),
            strategy_from: "交警".into(),
            strategy_type: strategy,
        },
        status,
    })
}

#[test]
fn every_control_list_strategy() {
    let mut e = engine(cfg(10, 2));
    let now = t0();
    let end = mins(now, 600);
    for (i, s) in (1..=5).enumerate() {
        let r = e
            .handle(
                now,
                sheet(&format!("L{s}"), &format!("C{s}"), s, None, end, 1),
            )
            .unwrap();
        assert_eq!(book_code(r), 0, "strategy {i}");
    }
    drain(&mut e);
    // 1 no entry.
    assert_eq!(
        arrive(&mut e, now, GEN, "C1"),
        Reply::TurnedAway(UTurnReason::ControlList {
            list_id: "L1".into(),
            strategy: ControlStrategy::NoEntry
        })
    );
    // 3 neither.
    assert!(matches!(
        arrive(&mut e, now, GEN, "C3"),
        Reply::TurnedAway(UTurnReason::ControlList {
            strategy: ControlStrategy::NoEntryNoExit,
            ..
        })
    ));
    // 2 entry but no exit.
    arrive(&mut e, now, GEN, "C2");
    assert_eq!(step(&mut e, now, GEN), "C2");
    assert_eq!(
        exit(&mut e, now, "C2"),
        Reply::ExitRefused {
            list_id: "L2".into()
        }
    );
    assert!(e.inside("C2").is_some());
    // 4 allowed, the platform is warned at entry and at exit.
    drain(&mut e);
    arrive(&mut e, now, GEN, "C4");
    assert_eq!(step(&mut e, now, GEN), "C4");
    let fx = drain(&mut e);
    assert!(
        matches!(&fx[0], Effect::Warning { list_id, at: Gate::Entrance(GEN), .. } if list_id == "L4")
    );
    // 5 free: enters, leaves without paying after hours.
    arrive(&mut e, now, GEN, "C5");
    assert_eq!(step(&mut e, now, GEN), "C5");
    let later = mins(now, 300);
    assert_eq!(
        e.handle(
            later,
            Command::Pay {
                plate: "C5".into(),
                pay_type: PayType::Cash,
                pay_from: "线下缴费".into(),
                order_no: None
            }
        )
        .unwrap(),
        Reply::NothingDue
    );
    assert!(matches!(exit(&mut e, later, "C5"), Reply::Exited { .. }));
    // C4 must pay; then the exit warns again.
    assert!(matches!(
        exit(&mut e, later, "C4"),
        Reply::PaymentDue { .. }
    ));
    drain(&mut e);
    pay(&mut e, later, "C4");
    assert!(matches!(exit(&mut e, later, "C4"), Reply::Exited { .. }));
    let fx = drain(&mut e);
    assert!(
        fx.iter()
            .any(|f| matches!(f, Effect::Warning { at: Gate::Exit, .. }))
    );
    // After the end date the list no longer applies.
    let after = mins(end, 1);
    assert!(matches!(
        arrive(&mut e, after, GEN, "C1"),
        Reply::Queued { .. }
    ));
}

#[test]
fn control_list_window_delete_and_errors() {
    let mut e = engine(cfg(10, 2));
    let now = t0();
    let begin = mins(now, 60);
    e.handle(now, sheet("L1", "C1", 1, Some(begin), mins(now, 120), 1))
        .unwrap();
    // Not yet in force.
    assert!(matches!(
        arrive(&mut e, now, GEN, "C1"),
        Reply::Queued { .. }
    ));
    assert!(matches!(
        arrive(&mut e, begin, GEN, "C9"),
        Reply::Queued { .. }
    ));
    // In force (a second vehicle with a listed plate cannot be tested while
    // C1 waits, so list C8 too).
    e.handle(begin, sheet("L8", "C8", 1, Some(begin), mins(now, 120), 1))
        .unwrap();
    assert!(matches!(
        arrive(&mut e, begin, GEN, "C8"),
        Reply::TurnedAway(_)
    ));
    // Status 2 deletes.
    assert_eq!(
        book_code(
            e.handle(begin, sheet("L8", "C8", 1, None, mins(now, 120), 2))
                .unwrap()
        ),
        0
    );
    assert!(matches!(
        arrive(&mut e, begin, GEN, "C8"),
        Reply::Queued { .. }
    ));
    // Deleting again: 1100; bad strategy and status: 1007; other garage: 1101.
    assert_eq!(
        book_code(
            e.handle(begin, sheet("L8", "C8", 1, None, mins(now, 120), 2))
                .unwrap()
        ),
        1100
    );
    assert_eq!(
        book_code(
            e.handle(begin, sheet("L9", "C9", 6, None, mins(now, 120), 1))
                .unwrap()
        ),
        1007
    );
    assert_eq!(
        book_code(
            e.handle(begin, sheet("L9", "C9", 1, None, mins(now, 120), 3))
                .unwrap()
        ),
        1007
    );
    assert_eq!(
        book_code(
            e.handle(
                begin,
                sheet("L9", "C9", 1, Some(mins(now, 200)), mins(now, 120), 1)
            )
            .unwrap()
        ),
        1007
    );
    let mut other = sheet("L9", "C9", 1, None, mins(now, 120), 1);
    if let Command::ControlList(d) = &mut other {
        d.black_white_gray_sheet.park_code = "x".into();
    }
    assert_eq!(book_code(e.handle(begin, other).unwrap()), 1101);
}

// ---- 7. fees, coupons, payment ----------------------------------------------

fn coupon(no: &str, plate: &str, kind: i64, value: Amount) -> Command {
    Command::Coupon(CouponDownlink {
        channel_org_code: Some("91440300MA5EXAMPLE".into()),
        coupon_no: no.into(),
        coupon_type: kind,
        coupon_value: value,
        discount_channel: Some("预约停车平台".into()),
        plate_no: plate.into(),
        time: t0(),
    })
}

fn pay(e: &mut Engine, now: DateTime, plate: &str) -> Reply {
    e.handle(
        now,
        Command::Pay {
            plate: plate.into(),
            pay_type: PayType::WeChat,
            pay_from: "微信公众号".into(),
            order_no: Some("ORDER-1".into()),
        },
    )
    .unwrap()
}

#[test]
fn standard_example_21_yuan_and_10_with_an_11_yuan_coupon() {
    let mut e = engine(cfg(100, 20));
    let now = t0();
    book_now(&mut e, now, "YD1", "粤B88888");
    arrive(&mut e, now, RES, "粤B88888");
    let Reply::Admitted { record_id, .. } = admit(&mut e, now, RES) else {
        panic!()
    };
    let record_id = record_id.text();
    assert_eq!(
        book_code(
            e.handle(now, coupon("Q1", "粤B88888", 1, Amount::new(1100)))
                .unwrap()
        ),
        0
    );
    drain(&mut e);
    let three_hours = mins(now, 180);
    // Unpaid: the exit stays closed.
    assert_eq!(
        exit(&mut e, three_hours, "粤B88888"),
        Reply::PaymentDue {
            amount: Amount::new(2100)
        }
    );
    let Reply::Paid {
        charge_id,
        receivables,
        discount,
        received,
    } = pay(&mut e, three_hours, "粤B88888")
    else {
        panic!()
    };
    let charge_id = charge_id.text();
    assert_eq!(
        (receivables, discount, received),
        (Amount::new(2100), Amount::new(1100), Amount::new(1000))
    );
    let fx = drain(&mut e);
    let Effect::Charge(c) = &fx[0] else { panic!() };
    assert_eq!(c.id, charge_id);
    assert_eq!(c.record_id, record_id);
    assert_eq!(c.pay_type, 2);
    assert_eq!(c.pay_from, "微信公众号");
    assert_eq!(c.pay_time, three_hours);
    let d = c.list_discounts.as_ref().unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(
        (d[0].coupon_type, d[0].coupon_value),
        (1, Amount::new(1100))
    );
    assert_eq!(d[0].coupon_no.as_deref(), Some("Q1"));
    assert_eq!(d[0].id.len(), 32);
    // The 5008 is ready to encode, amounts with two decimals.
    let json = String::from_utf8(fx[0].report().unwrap().data_json()).unwrap();
    assert!(json.contains("\"received\":10.00"), "{json}");
    // Paid: out within the grace period, 5005 with the totals.
    assert!(matches!(
        exit(&mut e, mins(three_hours, 10), "粤B88888"),
        Reply::Exited { .. }
    ));
    let fx = drain(&mut e);
    let Effect::Exit(x) = &fx[0] else { panic!() };
    assert_eq!(
        (x.receivables, x.discount, x.received),
        (Amount::new(2100), Amount::new(1100), Amount::new(1000))
    );
    assert_eq!(x.charge_id_list.as_deref(), Some(&[charge_id][..]));
    assert_eq!(x.leave_time, Some(mins(three_hours, 10)));
    assert_eq!(x.id, record_id);
}

#[test]
fn every_coupon_type_at_payment() {
    // 3 hours at 15 + 3/h = 21 yuan.
    for (kind, value, received) in [
        (0, Amount::ZERO, 2100),
        (1, Amount::new(1100), 1000),
        (2, Amount::new(200), 1500),
        (3, Amount::new(30), 1470),
        (4, Amount::new(100), 0),
    ] {
        let mut e = engine(cfg(10, 2));
        let now = t0();
        arrive(&mut e, now, GEN, "P1");
        step(&mut e, now, GEN);
        assert_eq!(
            book_code(e.handle(now, coupon("Q", "P1", kind, value)).unwrap()),
            0
        );
        let Reply::Paid { received: got, .. } = pay(&mut e, mins(now, 180), "P1") else {
            panic!()
        };
        assert_eq!(got, Amount::new(received), "coupon type {kind}");
    }
}

#[test]
fn coupon_errors_and_resend() {
    let mut e = engine(cfg(10, 2));
    let now = t0();
    assert_eq!(
        book_code(e.handle(now, coupon("Q1", "P1", 5, Amount::ZERO)).unwrap()),
        1007
    );
    assert_eq!(
        book_code(
            e.handle(now, coupon("Q1", "P1", 3, Amount::new(150)))
                .unwrap()
        ),
        1007
    );
    assert_eq!(
        book_code(
            e.handle(now, coupon("Q1", "P1", 1, Amount::new(-1)))
                .unwrap()
        ),
        1007
    );
    assert_eq!(
        book_code(e.handle(now, coupon("", "P1", 1, Amount::new(1))).unwrap()),
        4
    );
    assert_eq!(
        book_code(
            e.handle(now, coupon("Q1", "P1", 1, Amount::new(500)))
                .unwrap()
        ),
        0
    );
    // The same coupon resent is accepted and not counted twice.
    assert_eq!(
        book_code(
            e.handle(now, coupon("Q1", "P1", 1, Amount::new(500)))
                .unwrap()
        ),
        0
    );
    assert_eq!(
        book_code(
            e.handle(now, coupon("Q1", "P1", 1, Amount::new(900)))
                .unwrap()
        ),
        1200
    );
    arrive(&mut e, now, GEN, "P1");
    step(&mut e, now, GEN);
    let Reply::Paid { discount, .. } = pay(&mut e, mins(now, 180), "P1") else {
        panic!()
    };
    assert_eq!(discount, Amount::new(500));
}

#[test]
fn payment_accrues_and_free_minutes() {
    let mut e = engine(Config {
        tariff: Tariff {
            free_minutes: 15,
            ..Tariff::default()
        },
        pay_grace_minutes: 10,
        ..cfg(10, 2)
    });
    let now = t0();
    arrive(&mut e, now, GEN, "P1");
    step(&mut e, now, GEN);
    // Free stay.
    assert_eq!(pay(&mut e, mins(now, 15), "P1"), Reply::NothingDue);
    assert!(matches!(
        exit(&mut e, mins(now, 15), "P1"),
        Reply::Exited { .. }
    ));
    arrive(&mut e, mins(now, 15), GEN, "P2");
    step(&mut e, mins(now, 15), GEN);
    // Pay 1 hour, leave 2 h later: the second hour is due.
    let Reply::Paid { received, .. } = pay(&mut e, mins(now, 75), "P2") else {
        panic!()
    };
    assert_eq!(received, Amount::new(1500));
    assert_eq!(pay(&mut e, mins(now, 75), "P2"), Reply::NothingDue);
    assert_eq!(
        exit(&mut e, mins(now, 135), "P2"),
        Reply::PaymentDue {
            amount: Amount::new(300)
        }
    );
    pay(&mut e, mins(now, 135), "P2");
    let rec = e.inside("P2").unwrap();
    assert_eq!(rec.receivables, Amount::new(1800));
    assert_eq!(rec.charge_ids.len(), 2);
    assert!(matches!(
        exit(&mut e, mins(now, 140), "P2"),
        Reply::Exited { .. }
    ));
}

#[test]
fn charge_desc_renders_the_tariff() {
    let e = engine(cfg(10, 2));
    assert_eq!(
        e.config().tariff.charge_desc(),
        "第一小时 15.00 元，第二小时起 3.00 元/小时，每天最高收费 60.00 元"
    );
}

// ---- 8. reports: corrections, ids --------------------------------------------

#[test]
fn correction_reports_5006() {
    let mut e = engine(cfg(10, 2));
    let now = t0();
    arrive(&mut e, now, GEN, "粤B1234");
    let Reply::Admitted { record_id, .. } = admit(&mut e, now, GEN) else {
        panic!()
    };
    let record_id = record_id.text();
    drain(&mut e);
    let r = e
        .handle(
            mins(now, 5),
            Command::Correct {
                record_id: record_id.clone(),
                car: Some(car("粤B12345")),
                enter_time: Some(mins(now, -1)),
            },
        )
        .unwrap();
    assert_eq!(
        r,
        Reply::Corrected {
            record_id: record_id.clone()
        }
    );
    let fx = drain(&mut e);
    let Effect::Correction(c) = &fx[0] else {
        panic!()
    };
    assert_eq!(c.id, record_id);
    assert_eq!(c.car_info.plate_no, "粤B12345");
    assert_eq!(c.enter_time, mins(now, -1));
    assert_eq!(fx[0].report().unwrap().command().code(), 5006);
    assert!(e.inside("粤B12345").is_some());
    assert!(e.inside("粤B1234").is_none());
    // Corrections of a finished stay, and refusals.
    pay(&mut e, mins(now, 60), "粤B12345");
    exit(&mut e, mins(now, 60), "粤B12345");
    assert!(
        e.handle(
            mins(now, 61),
            Command::Correct {
                record_id: record_id.clone(),
                car: None,
                enter_time: Some(mins(now, 61)),
            },
        )
        .is_err()
    );
    assert!(
        e.handle(
            mins(now, 61),
            Command::Correct {
                record_id: record_id.clone(),
                car: None,
                enter_time: Some(now),
            },
        )
        .is_ok()
    );
    assert_eq!(e.closed_record(&record_id).unwrap().enter_time, now);
    assert_eq!(
        e.handle(
            mins(now, 61),
            Command::Correct {
                record_id: "nope".into(),
                car: None,
                enter_time: None
            }
        ),
        Err(EngineError::UnknownRecord {
            record_id: "nope".into()
        })
    );
}

#[test]
fn every_report_has_a_fresh_32_hex_id_and_encodes() {
    let mut e = engine(cfg(10, 2));
    let now = t0();
    book_now(&mut e, now, "B1", "R1");
    arrive(&mut e, now, RES, "R1");
    step(&mut e, now, RES);
    e.handle(now, coupon("Q1", "R1", 1, Amount::new(100)))
        .unwrap();
    pay(&mut e, mins(now, 60), "R1");
    exit(&mut e, mins(now, 60), "R1");
    e.handle(
        mins(now, 61),
        Command::SetPriority {
            on: false,
            remark: None,
        },
    )
    .unwrap();
    let mut ids = std::collections::BTreeSet::new();
    let mut codes = Vec::new();
    for f in drain(&mut e) {
        let Some(req) = f.report() else { continue };
        codes.push(req.command().code());
        let id = match &f {
            Effect::Entry(r) | Effect::Exit(r) | Effect::Correction(r) => Some(r.id.clone()),
            Effect::Charge(c) => Some(c.id.clone()),
            Effect::PrioritySwitch(p) => Some(p.id.clone()),
            _ => None,
        };
        if let Some(id) = id {
            assert_eq!(id.len(), 32);
            assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
            assert!(
                ids.insert(id.clone()) || matches!(f, Effect::Exit(_)),
                "{id}"
            );
        }
        assert!(!req.data_json().is_empty());
    }
    assert_eq!(codes, [5003, 5003, 5004, 5003, 5008, 5005, 5003, 7001]);
}

// ---- 9. event log ------------------------------------------------------------

#[test]
fn event_log_by_plate_booking_and_time() {
    let mut e = engine(cfg(10, 2));
    let now = t0();
    book_now(&mut e, now, "B1", "R1");
    arrive(&mut e, mins(now, 10), RES, "R1");
    step(&mut e, mins(now, 11), RES);
    arrive(&mut e, mins(now, 12), GEN, "G1");
    pay(&mut e, mins(now, 70), "R1");
    exit(&mut e, mins(now, 71), "R1");
    let kinds: Vec<&EventKind> = e.log().by_plate("R1").map(|ev| &ev.kind).collect();
    assert!(matches!(kinds[0], EventKind::Booked { .. }));
    assert!(matches!(
        kinds[1],
        EventKind::Arrived {
            class: VehicleClass::Reserved,
            ..
        }
    ));
    assert!(matches!(kinds[2], EventKind::Entered { .. }));
    assert!(matches!(kinds[3], EventKind::Paid { .. }));
    assert!(matches!(kinds[4], EventKind::Exited { .. }));
    assert_eq!(kinds.len(), 5);
    let by_booking: Vec<_> = e.log().by_booking("B1").collect();
    assert_eq!(by_booking.len(), 5);
    assert!(
        by_booking
            .iter()
            .all(|ev| ev.plate.as_deref() == Some("R1"))
    );
    let window = e.log().between(mins(now, 10), mins(now, 12));
    assert_eq!(window.len(), 2);
    assert!(
        window
            .iter()
            .all(|ev| ev.time >= mins(now, 10) && ev.time < mins(now, 12))
    );
    assert!(e.log().by_plate("nobody").next().is_none());
    assert!(e.log().between(mins(now, 100), mins(now, 50)).is_empty());
}

// ---- refusals, determinism -------------------------------------------------

#[test]
fn bad_input_is_refused_not_panicking() {
    let mut e = engine(cfg(10, 2));
    let now = t0();
    assert!(matches!(
        e.handle(DateTime(now.0 - 1), Command::Tick),
        Err(EngineError::TimeWentBackwards { .. })
    ));
    assert!(matches!(
        e.handle(DateTime(i64::MAX), Command::Tick),
        Err(EngineError::TimeOutOfRange(_))
    ));
    assert_eq!(
        e.handle(
            now,
            Command::Admit {
                entrance: EntranceId(9)
            }
        ),
        Err(EngineError::UnknownEntrance(EntranceId(9)))
    );
    assert_eq!(
        e.handle(
            now,
            Command::Arrive {
                entrance: GEN,
                car: car(" ")
            }
        ),
        Err(EngineError::EmptyPlate)
    );
    arrive(&mut e, now, GEN, "P1");
    assert!(matches!(
        e.handle(
            now,
            Command::Arrive {
                entrance: GEN,
                car: car("P1")
            }
        ),
        Err(EngineError::AlreadyPresent { .. })
    ));
    let err = e
        .handle(
            now,
            Command::Exit {
                plate: "P9".into(),
                equipment_id: None,
            },
        )
        .unwrap_err();
    assert_eq!(err.biz_code(), BizCode::VehicleNotInside);
    assert!(!err.to_string().is_empty());
    assert!(Engine::new(cfg(0, 0), now).is_err());
}

fn scripted_run(seed: u64) -> Vec<Effect> {
    let mut e = engine(Config { seed, ..cfg(20, 5) });
    let now = t0();
    book_now(&mut e, now, "B1", "R1");
    fill(&mut e, now, 12);
    arrive(&mut e, now, RES, "R1");
    step(&mut e, now, RES);
    pay(&mut e, mins(now, 100), "F3");
    exit(&mut e, mins(now, 100), "F3");
    e.handle(t("2018-01-07 08:00:00"), Command::Tick).unwrap();
    drain(&mut e)
}

#[test]
fn runs_are_deterministic() {
    assert_eq!(scripted_run(1), scripted_run(1));
    assert_ne!(scripted_run(1), scripted_run(2));
}

// ---- property tests ----------------------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    Arrive(usize, u8),
    Admit(usize),
    Pay(u8),
    Exit(u8),
    Book(u8, u8, i64, i64),
    Change(u8, u8, i64),
    Confirm(u8, i64),
    Control(u8, u8, i64, i64),
    Coupon(u8, u8, i64, i64),
    Priority(bool),
    Lane(usize, u8),
    Correct(u8, u8),
    Wait(i64),
    /// Book for a plate, then that plate arrives at an entrance.
    BookArrive(u8, u8, usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 0..8u8).prop_map(|(g, p)| Op::Arrive(g, p)),
        6 => (0..3usize).prop_map(Op::Admit),
        2 => (0..8u8).prop_map(Op::Pay),
        3 => (0..8u8).prop_map(Op::Exit),
        3 => (0..6u8, 0..8u8, -30..200i64, -5..60i64).prop_map(|(b, p, o, h)| Op::Book(b, p, o, h)),
        1 => (0..6u8, 0..8u8, -30..200i64).prop_map(|(b, p, o)| Op::Change(b, p, o)),
        2 => (0..6u8, -1..3i64).prop_map(|(b, s)| Op::Confirm(b, s)),
        1 => (0..4u8, 0..8u8, 0..7i64, 1..3i64).prop_map(|(l, p, s, st)| Op::Control(l, p, s, st)),
        1 => (0..6u8, 0..8u8, -1..6i64, -50..500i64).prop_map(|(n, p, k, v)| Op::Coupon(n, p, k, v)),
        1 => any::<bool>().prop_map(Op::Priority),
        1 => (0..3usize, 0..3u8).prop_map(|(g, k)| Op::Lane(g, k)),
        1 => (0..8u8, 0..8u8).prop_map(|(r, p)| Op::Correct(r, p)),
        3 => (0..400i64).prop_map(Op::Wait),
        3 => (0..6u8, 0..8u8, 0..3usize).prop_map(|(b, p, g)| Op::BookArrive(b, p, g)),
    ]
}

fn prop_config(total: u32, pool: u32, out_n: u32) -> Config {
    Config {
        total_stalls: total,
        reservable_stalls: pool.min(total),
        // Odd totals protect the pool, even ones share it.
        pool: if total % 2 == 1 {
            PoolPolicy::Protected
        } else {
            PoolPolicy::Shared
        },
        entrances: vec![
            EntranceConfig {
                equipment_id: String::new(),
                kind: LaneKind::ReservedOnly,
            },
            EntranceConfig {
                equipment_id: String::new(),
                kind: LaneKind::General,
            },
            EntranceConfig {
                equipment_id: String::new(),
                kind: LaneKind::Mixed,
            },
        ],
        flow: FlowPolicy {
            out_n,
            full_rule_when: if out_n == 2 {
                FullRuleWhen::Always
            } else {
                FullRuleWhen::BothQueue
            },
            ratio_scope: if total.is_multiple_of(3) {
                RatioScope::Garage
            } else {
                RatioScope::Barrier
            },
            ..FlowPolicy::default()
        },
        fixed_stalls: true,
        ..Config::default()
    }
}

fn command(op: &Op, now: DateTime, records: &[String]) -> Command {
    let plate = |p: u8| format!("P{p}");
    match *op {
        Op::Arrive(g, p) => Command::Arrive {
            entrance: EntranceId(g),
            car: car(&plate(p)),
        },
        Op::Admit(g) => Command::Admit {
            entrance: EntranceId(g),
        },
        Op::Pay(p) => Command::Pay {
            plate: plate(p),
            pay_type: PayType::Cash,
            pay_from: "线下缴费".into(),
            order_no: None,
        },
        Op::Exit(p) => Command::Exit {
            plate: plate(p),
            equipment_id: None,
        },
        Op::Book(b, p, over, hold) => {
            book(&format!("B{b}"), &plate(p), now, mins(now, over), hold, 1)
        }
        Op::Change(b, p, over) => book(&format!("B{b}"), &plate(p), now, mins(now, over), 10, 2),
        Op::Confirm(b, s) => confirm(&format!("B{b}"), s),
        Op::Control(l, p, s, st) => sheet(&format!("L{l}"), &plate(p), s, None, mins(now, 300), st),
        Op::Coupon(n, p, k, v) => coupon(&format!("Q{n}"), &plate(p), k, Amount::new(v)),
        Op::Priority(on) => Command::SetPriority { on, remark: None },
        Op::Lane(g, k) => Command::SetLane {
            entrance: EntranceId(g),
            kind: [LaneKind::ReservedOnly, LaneKind::General, LaneKind::Mixed][k as usize],
        },
        Op::Correct(r, p) => Command::Correct {
            record_id: records.get(r as usize).cloned().unwrap_or_default(),
            car: Some(car(&plate(p))),
            enter_time: None,
        },
        Op::Wait(_) => Command::Tick,
        Op::BookArrive(b, p, _) => book(&format!("B{b}"), &plate(p), now, mins(now, 90), 15, 1),
    }
}

/// The commands of one op (most ops are one command).
fn commands(op: &Op, now: DateTime, records: &[String]) -> Vec<Command> {
    match *op {
        Op::BookArrive(_, p, g) => vec![
            command(op, now, records),
            Command::Arrive {
                entrance: EntranceId(g),
                car: car(&format!("P{p}")),
            },
        ],
        _ => vec![command(op, now, records)],
    }
}

fn check_invariants(
    e: &Engine,
    s: &Snapshot,
    last_space: &Option<ParkSpaceInfo>,
) -> Result<(), TestCaseError> {
    prop_assert!(s.used <= s.total_stalls);
    prop_assert!(s.reserved <= s.reservable_stalls);
    prop_assert!(s.used + s.reserved <= s.total_stalls);
    prop_assert_eq!(s.unused, s.total_stalls - s.used - s.reserved);
    // General vehicles inside, and the protected pool kept from them.
    let general = e
        .inside_all()
        .filter(|r| r.class == VehicleClass::General)
        .count() as u32;
    prop_assert_eq!(general, s.general_inside);
    if e.config().pool == PoolPolicy::Protected {
        prop_assert!(s.general_inside <= s.total_stalls - s.reservable_stalls);
    }
    prop_assert!(s.general_room <= s.unused);
    prop_assert_eq!(s.entered, s.exited + s.used as u64);
    // No stall held by two live bookings, and the holds are the live bookings.
    let live: Vec<u32> = e
        .bookings()
        .filter(|b| b.is_live())
        .map(|b| b.stall)
        .collect();
    let distinct: std::collections::BTreeSet<u32> = live.iter().copied().collect();
    prop_assert_eq!(distinct.len(), live.len());
    prop_assert_eq!(live.len() as u32, s.reserved);
    // Numbered stalls of reserved vehicles inside are not held by a booking.
    for r in e.inside_all() {
        if let Some(st) = r.stall {
            prop_assert!(!distinct.contains(&st));
        }
    }
    prop_assert_eq!(e.inside_all().count() as u32, s.used);
    let expected = s.space_info(PARK);
    prop_assert_eq!(last_space.as_ref(), Some(&expected));
    let level = Saturation::of(s.used, s.total_stalls, 700, 900);
    prop_assert_eq!(level, s.level);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn random_command_sequences_keep_the_invariants(
        total in 1u32..15,
        pool in 0u32..8,
        out_n in 1u32..4,
        ops in proptest::collection::vec(op(), 1..150),
    ) {
        let mut e = Engine::new(prop_config(total, pool, out_n), t("2018-01-06 06:00:00")).unwrap();
        let mut now = e.now();
        let mut last_space = None;
        let mut records: Vec<String> = Vec::new();
        let mut log_len = 0;
        for op in &ops {
            if let Op::Wait(m) = op {
                now = mins(now, *m);
            }
            for cmd in commands(op, now, &records) {
            match e.handle(now, cmd) {
                Ok(Reply::Admitted { record_id, .. }) => records.push(record_id.text()),
                Ok(Reply::Book(r)) => {
                    prop_assert!(r.rest_reserved_stalls.is_none_or(|n| n >= 0));
                }
                Ok(Reply::PaymentDue { amount }) => {
                    // Pay at the exit, then leave.
                    prop_assert!(amount > Amount::ZERO);
                    let Op::Exit(p) = op else { unreachable!() };
                    let paid = e.handle(now, command(&Op::Pay(*p), now, &records));
                    prop_assert!(matches!(paid, Ok(Reply::Paid { .. })), "{:?}", paid);
                    let out = e.handle(now, command(op, now, &records));
                    prop_assert!(matches!(out, Ok(Reply::Exited { .. })), "{:?}", out);
                }
                Ok(_) | Err(_) => {}
            }
            }
            while let Some(f) = e.poll() {
                if let Effect::SpaceCount(s) = f {
                    last_space = Some(s);
                }
            }
            let s = e.snapshot();
            check_invariants(&e, &s, &last_space)?;
            if std::env::var_os("ENGINE_PROP_STATS").is_some() && std::ptr::eq(op, ops.last().unwrap()) {
                eprintln!("{s:?} log {}", e.log().len());
            }
            // The log only grows, in time order.
            prop_assert!(e.log().len() >= log_len);
            log_len = e.log().len();
            prop_assert!(e.log().all().windows(2).all(|w| w[0].time <= w[1].time));
        }
    }

    #[test]
    fn same_commands_same_effects(ops in proptest::collection::vec(op(), 1..80)) {
        let run = || {
            let mut e = Engine::new(prop_config(6, 3, 2), t0()).unwrap();
            let mut now = t0();
            let mut out = Vec::new();
            let mut records: Vec<String> = Vec::new();
            for op in &ops {
                if let Op::Wait(m) = op {
                    now = mins(now, *m);
                }
                for cmd in commands(op, now, &records) {
                    let r = e.handle(now, cmd);
                    if let Ok(Reply::Admitted { record_id, .. }) = &r {
                        records.push(record_id.text());
                    }
                    out.push(format!("{r:?}"));
                }
                while let Some(f) = e.poll() {
                    out.push(format!("{f:?}"));
                }
            }
            out
        };
        prop_assert_eq!(run(), run());
    }
}

fn admission_input() -> impl Strategy<Value = parksim::engine::AdmissionInput> {
    use parksim::engine::{AdmissionInput, FlowState};
    let lane = prop_oneof![
        Just(LaneKind::ReservedOnly),
        Just(LaneKind::General),
        Just(LaneKind::Mixed)
    ];
    let mode = prop_oneof![
        Just(None),
        Just(Some(OneEntranceMode::ReservedEnterGeneralWait)),
        Just(Some(OneEntranceMode::ManualConfirmation))
    ];
    let level = prop_oneof![
        Just(Saturation::Unsaturated),
        Just(Saturation::Saturated),
        Just(Saturation::Full)
    ];
    (
        (
            lane,
            mode,
            proptest::option::of(0..50u64),
            proptest::option::of(0..50u64),
        ),
        (any::<bool>(), any::<bool>(), any::<bool>(), level, 0..3u32),
        (0..4u32, 0..5u32, 1..4u32, 1..3u32, 1..4u32),
        (any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |(
                (lane, one_entrance, r, g),
                (re, ge, on, level, free),
                (cycle, credits, rr, rg, n),
                (always, garage),
            )| {
                AdmissionInput {
                    lane,
                    one_entrance,
                    reserved_here: r,
                    general_here: g,
                    reserved_elsewhere: re,
                    general_elsewhere: ge,
                    priority_on: on,
                    level,
                    free_general: free,
                    flow: FlowState {
                        cycle: cycle % (rr + rg),
                        exit_credits: credits,
                    },
                    policy: FlowPolicy {
                        ratio_reserved: rr,
                        ratio_general: rg,
                        out_n: n,
                        full_rule_when: if always {
                            FullRuleWhen::Always
                        } else {
                            FullRuleWhen::BothQueue
                        },
                        ratio_scope: if garage {
                            RatioScope::Garage
                        } else {
                            RatioScope::Barrier
                        },
                    },
                }
            },
        )
}

proptest! {
    #[test]
    fn the_admission_decision_respects_its_rules(i in admission_input()) {
        use parksim::engine::{Admission, flow_after, next_admission};
        match next_admission(&i) {
            Admission::Admit { class, manual } => {
                prop_assert_eq!(manual, i.one_entrance == Some(OneEntranceMode::ManualConfirmation));
                match class {
                    VehicleClass::Reserved => prop_assert!(i.reserved_here.is_some()),
                    VehicleClass::General => {
                        prop_assert!(i.general_here.is_some());
                        prop_assert!(i.lane != LaneKind::ReservedOnly);
                        prop_assert!(i.free_general > 0);
                        if i.priority_on && i.level == Saturation::Full {
                            // Reserved first at this barrier; out N in 1
                            // while reserved vehicles wait elsewhere (or
                            // always, in that reading).
                            prop_assert!(i.reserved_here.is_none());
                            match i.policy.full_rule_when {
                                FullRuleWhen::Always => {
                                    prop_assert!(i.flow.exit_credits >= i.policy.out_n);
                                    prop_assert!(!i.reserved_elsewhere);
                                }
                                FullRuleWhen::BothQueue if i.reserved_elsewhere => {
                                    prop_assert!(i.flow.exit_credits >= i.policy.out_n);
                                }
                                FullRuleWhen::BothQueue => {}
                            }
                        }
                        if i.priority_on && i.one_entrance == Some(OneEntranceMode::ReservedEnterGeneralWait) {
                            prop_assert!(i.reserved_here.is_none());
                        }
                    }
                }
                let f = flow_after(&i, class);
                prop_assert!(f.cycle < i.policy.ratio_reserved + i.policy.ratio_general);
                prop_assert!(f.exit_credits <= i.flow.exit_credits);
            }
            Admission::Wait(w) => {
                // Nobody waits here, or there is a reason a general vehicle
                // cannot go; a waiting reserved head is only held back by
                // the garage-wide ratio's general turn.
                if let Some(_r) = i.reserved_here {
                    prop_assert_eq!(w, WaitReason::GeneralTurn);
                    prop_assert_eq!(i.policy.ratio_scope, RatioScope::Garage);
                }
                // A barrier idles with a general head that has a stall free
                // only for a reason of the rules: the other class waits.
                let g_head = i.general_here.is_some() && i.lane != LaneKind::ReservedOnly;
                if g_head
                    && i.free_general > 0
                    && i.priority_on
                    && i.policy.full_rule_when == FullRuleWhen::BothQueue
                {
                    prop_assert!(
                        i.reserved_here.is_some() || i.reserved_elsewhere,
                        "general head idles with room and no reserved vehicle: {:?}", w
                    );
                }
                if w == WaitReason::Empty {
                    prop_assert!(i.reserved_here.is_none());
                    prop_assert!(i.general_here.is_none() || i.lane == LaneKind::ReservedOnly);
                }
            }
        }
    }
}

/// With reports off (a run without frames) the engine builds no protocol
/// message, and everything else — counts, levels, U-turns, ids — is as
/// with them on.
#[test]
fn reports_off_builds_no_protocol_message() {
    let run = |reports: bool, history: bool| {
        let mut c = cfg(10, 2);
        c.reports = reports;
        c.history = history;
        let mut e = engine(c);
        let gate = EntranceId(1);
        let mut fx = drain(&mut e);
        for i in 0..8 {
            arrive(&mut e, t0(), gate, &format!("粤B{i:05}"));
            step(&mut e, t0(), gate);
        }
        // A general vehicle at the reservation-only lane turns round.
        arrive(&mut e, t0(), EntranceId(0), "粤BX0000");
        fx.extend(drain(&mut e));
        (fx, e.snapshot(), e.log().len())
    };
    let (on, snap_on, log_on) = run(true, true);
    let (off, snap_off, log_off) = run(false, false);
    let reports = on.iter().filter(|f| f.report().is_some()).count();
    assert!(reports > 2 * snap_on.entered as usize, "{reports} reports");
    assert!(snap_on.entered >= 7, "{snap_on:?}");
    assert!(off.iter().all(|f| f.report().is_none()), "{off:?}");
    let others = |v: &[Effect]| -> Vec<Effect> {
        v.iter().filter(|f| f.report().is_none()).cloned().collect()
    };
    assert_eq!(others(&on), others(&off));
    assert!(
        others(&off)
            .iter()
            .any(|f| matches!(f, Effect::Saturation { .. }))
    );
    assert!(
        others(&off)
            .iter()
            .any(|f| matches!(f, Effect::UTurn { .. }))
    );
    assert_eq!(snap_on, snap_off);
    assert!(log_on > 0);
    assert_eq!(log_off, 0, "history off keeps no log");
}

/// `pay_plate` and `exit_plate` (a borrowed plate) answer, change state and
/// queue effects exactly as `handle` with `Pay`, `Exit` and `Release`: two
/// engines fed the same story, one through each, agree at every step,
/// refusals and errors included.
#[test]
fn borrowed_plate_calls_equal_handle() {
    #[derive(Clone, Copy)]
    enum Call {
        Pay(PayType, &'static str),
        Exit,
        Release,
    }
    let mut a = engine(cfg(10, 2));
    let mut b = engine(cfg(10, 2));
    let now = t0();
    for e in [&mut a, &mut b] {
        for p in ["P1", "P2", "P3"] {
            arrive(e, now, GEN, p);
            step(e, now, GEN);
        }
        e.handle(now, sheet("L2", "P2", 2, None, mins(now, 600), 1))
            .unwrap();
        drain(e);
    }
    let story: [(i64, &str, Call); 12] = [
        (30, "P1", Call::Pay(PayType::WeChat, "微信公众号")),
        (31, "P1", Call::Exit),
        (40, "P3", Call::Exit),
        (40, "P3", Call::Pay(PayType::Cash, "线下缴费")),
        (40, "P3", Call::Pay(PayType::Cash, "线下缴费")),
        (41, "P3", Call::Exit),
        (50, "P2", Call::Exit),
        (50, "P2", Call::Release),
        (50, "P2", Call::Pay(PayType::Alipay, "支付宝")),
        (51, "P2", Call::Release),
        (60, "NOBODY", Call::Pay(PayType::Cash, "线下缴费")),
        (5, "P1", Call::Exit),
    ];
    let mut kinds = Vec::new();
    for (m, plate, call) in story {
        let at = mins(now, m);
        let via_handle = a.handle(
            at,
            match call {
                Call::Pay(pay_type, from) => Command::Pay {
                    plate: plate.into(),
                    pay_type,
                    pay_from: from.into(),
                    order_no: None,
                },
                Call::Exit => Command::Exit {
                    plate: plate.into(),
                    equipment_id: None,
                },
                Call::Release => Command::Release {
                    plate: plate.into(),
                    equipment_id: None,
                },
            },
        );
        let borrowed = match call {
            Call::Pay(pay_type, from) => b.pay_plate(at, plate, pay_type, from.into()),
            Call::Exit => b.exit_plate(at, plate, false),
            Call::Release => b.exit_plate(at, plate, true),
        };
        let what = format!("minute {m}, {plate}");
        assert_eq!(format!("{via_handle:?}"), format!("{borrowed:?}"), "{what}");
        kinds.push(match &via_handle {
            Ok(Reply::Paid { .. }) => "paid",
            Ok(Reply::NothingDue) => "nothing due",
            Ok(Reply::Exited { .. }) => "exited",
            Ok(Reply::PaymentDue { .. }) => "payment due",
            Ok(Reply::ExitRefused { .. }) => "refused",
            Err(EngineError::NotInside { .. }) => "not inside",
            Err(EngineError::TimeWentBackwards { .. }) => "backwards",
            other => panic!("{what}: {other:?}"),
        });
        assert_eq!(
            format!("{:?}", drain(&mut a)),
            format!("{:?}", drain(&mut b)),
            "{what}"
        );
        assert_eq!(a.snapshot(), b.snapshot(), "{what}");
    }
    // The story reached every kind of answer.
    assert_eq!(
        kinds,
        [
            "paid",
            "exited",
            "payment due",
            "paid",
            "nothing due",
            "exited",
            "refused",
            "payment due",
            "paid",
            "exited",
            "not inside",
            "backwards"
        ]
    );
    assert_eq!(a.snapshot().used, 0);
    assert_eq!(a.snapshot().exited, 3);
}

/// `Engine::bookings` lists every booking ever made in code order, whatever
/// order they came in and whatever became of them.
#[test]
fn bookings_are_listed_in_code_order() {
    let mut e = engine(cfg(50, 40));
    let now = t0();
    // Codes that sort differently from their arrival order, prefixes shared.
    let codes = [
        "YD0000000300",
        "B7",
        "YD0000000020",
        "A",
        "YD0000000021",
        "YD000000002",
    ];
    for (i, code) in codes.iter().enumerate() {
        assert_eq!(
            book_now(&mut e, now, code, &format!("粤B{:05}", i + 1)).0,
            0
        );
    }
    // One cancelled: still listed.
    assert_eq!(book_code(e.handle(now, confirm("B7", 0)).unwrap()), 0);
    assert_eq!(
        e.booking("B7").map(|b| b.state),
        Some(parksim::engine::BookingState::Cancelled)
    );
    let listed: Vec<&str> = e.bookings().map(|b| b.code.as_str()).collect();
    let mut sorted = codes.to_vec();
    sorted.sort_unstable();
    assert_eq!(listed, sorted);
    for code in codes {
        assert_eq!(e.booking(code).map(|b| b.code.as_str()), Some(code));
    }
    assert!(e.booking("YD0000000001").is_none());
}
