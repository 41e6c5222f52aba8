//! The booking engine: the admission decision alone, and one booking round
//! (6001 book + 6002 confirm + arrive + admit + pay + exit) on a garage that
//! is 80 % full.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use parksim::engine::{
    Admission, AdmissionInput, Command, Config, Engine, EntranceId, FlowPolicy, FlowState,
    LaneKind, PayType, Reply, Saturation, next_admission,
};
use parksim::proto::messages::{BookConfirmRequest, BookRequest, ParkCarInfo};
use parksim::proto::time::DateTime;
use std::hint::black_box;

/// The allocator the `parksim` binary runs with, so the figures match it.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn car(plate: &str) -> ParkCarInfo {
    ParkCarInfo {
        plate_no: plate.into(),
        ..Default::default()
    }
}

fn admission(c: &mut Criterion) {
    let input = AdmissionInput {
        lane: LaneKind::Mixed,
        one_entrance: None,
        reserved_here: Some(17),
        general_here: Some(12),
        reserved_elsewhere: true,
        general_elsewhere: true,
        priority_on: true,
        level: Saturation::Saturated,
        free_general: 12,
        flow: FlowState {
            cycle: 1,
            exit_credits: 0,
        },
        policy: FlowPolicy::default(),
    };
    c.bench_function("engine/next_admission", |b| {
        b.iter(|| {
            let a = next_admission(black_box(&input));
            assert!(matches!(a, Admission::Admit { .. }));
            a
        })
    });
}

/// A 1000-stall garage with 800 vehicles inside, at 09:00.
fn garage() -> (Engine, DateTime) {
    let t0 = DateTime::parse("2018-01-06 09:00:00").unwrap();
    let mut e = Engine::new(
        Config {
            total_stalls: 1000,
            reservable_stalls: 200,
            fixed_stalls: true,
            ..Config::default()
        },
        t0,
    )
    .unwrap();
    for i in 0..800 {
        let plate = format!("F{i}");
        e.handle(
            t0,
            Command::Arrive {
                entrance: EntranceId(1),
                car: car(&plate),
            },
        )
        .unwrap();
        e.handle(
            t0,
            Command::Admit {
                entrance: EntranceId(1),
            },
        )
        .unwrap();
    }
    while e.poll().is_some() {}
    (e, t0)
}

fn booking_round(e: &mut Engine, t0: DateTime) {
    let park = e.config().park_code.clone();
    let later = DateTime(t0.0 + 3 * 3600);
    let r = e
        .handle(
            t0,
            Command::Book(BookRequest {
                book_code: "YD201801061235241240001".into(),
                book_time: t0,
                car_info: car("粤B88888"),
                obligat_time: 30,
                operate_type: 1,
                over_time: DateTime(t0.0 + 3600),
                park_code: park.clone(),
            }),
        )
        .unwrap();
    assert!(matches!(r, Reply::Book(ref b) if b.code == 0));
    e.handle(
        t0,
        Command::BookConfirm(BookConfirmRequest {
            book_code: "YD201801061235241240001".into(),
            confirm_status: 1,
            park_code: park,
        }),
    )
    .unwrap();
    e.handle(
        t0,
        Command::Arrive {
            entrance: EntranceId(0),
            car: car("粤B88888"),
        },
    )
    .unwrap();
    let r = e
        .handle(
            t0,
            Command::Admit {
                entrance: EntranceId(0),
            },
        )
        .unwrap();
    assert!(matches!(r, Reply::Admitted { .. }));
    e.handle(
        later,
        Command::Pay {
            plate: "粤B88888".into(),
            pay_type: PayType::WeChat,
            pay_from: "微信公众号".into(),
            order_no: None,
        },
    )
    .unwrap();
    let r = e
        .handle(
            later,
            Command::Exit {
                plate: "粤B88888".into(),
                equipment_id: None,
            },
        )
        .unwrap();
    assert!(matches!(r, Reply::Exited { .. }));
    while let Some(f) = e.poll() {
        black_box(f);
    }
}

fn round(c: &mut Criterion) {
    let (base, t0) = garage();
    c.bench_function("engine/booking_round", |b| {
        b.iter_batched(
            || base.clone(),
            |mut e| {
                booking_round(&mut e, t0);
                e
            },
            BatchSize::LargeInput,
        )
    });
}

criterion_group!(benches, admission, round);
criterion_main!(benches);
