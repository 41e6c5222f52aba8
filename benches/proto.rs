//! Encode+sign and decode+verify of a typical 5004 (vehicle entry) frame:
//! the full reader (any input, every finding explained) and the fast path
//! (clean canonical frames, the platform's common case), and the
//! primitives under them.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use parksim::proto::codec::FrameDecoder;
use parksim::proto::envelope;
use parksim::proto::messages::{Amount, ParkCarInfo, ParkRecordInfo, Request};
use parksim::proto::time::DateTime;
use parksim::proto::{Mode, SignAlgo};
use std::hint::black_box;

/// The allocator the `parksim` binary runs with, so the figures match it.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn entry() -> Request {
    Request::Entry(vec![ParkRecordInfo {
        car_info: ParkCarInfo {
            car_color: Some("白色".into()),
            car_model: Some(3),
            plate_color: Some("蓝色".into()),
            plate_no: "粤B88888".into(),
        },
        charge_id_list: None,
        discount: Amount::ZERO,
        enter_time: DateTime::parse("2026-11-02 08:01:01").unwrap(),
        id: "c78e319dab604a268842acf164774592".into(),
        in_equipment_id: Some("c78e319dab604a268842acf164774591".into()),
        leave_time: None,
        out_equipment_id: None,
        park_code: Some("44030400100101000010".into()),
        receivables: Amount::ZERO,
        received: Amount::ZERO,
        stall_no: Some("4403040010010100001000B1A108".into()),
    }])
}

/// The full reader: stream decoder, then `envelope::decode`.
fn decode_full(frame: &[u8]) -> Request {
    let mut d = FrameDecoder::new();
    d.feed(frame);
    let f = d.decode().unwrap().unwrap();
    let e = envelope::decode(
        f.command,
        f.direction,
        &f.data,
        SignAlgo::Sha1,
        Mode::Lenient,
    );
    assert!(e.accepted());
    e.typed_request().unwrap().unwrap()
}

/// The fast path: the frame read in place, then `decode_request_fast`.
fn decode_fast(frame: &[u8]) -> Request {
    let mut d = FrameDecoder::new();
    let (f, _) = d.take_whole(frame).unwrap();
    envelope::decode_request_fast(f.command, f.data, SignAlgo::Sha1)
        .unwrap()
        .0
}

fn encode(req: &Request) -> Vec<u8> {
    envelope::request_frame(req, 1, 1_793_577_661, SignAlgo::Sha1)
}

fn bench(c: &mut Criterion) {
    let req = entry();
    let frame = encode(&req);
    let mut g = c.benchmark_group("proto_5004");
    g.throughput(Throughput::Elements(1));
    g.bench_function("encode_sign", |b| b.iter(|| encode(black_box(&req))));
    g.bench_function("decode_verify", |b| {
        b.iter(|| decode_full(black_box(&frame)))
    });
    g.bench_function("decode_verify_fast", |b| {
        b.iter(|| decode_fast(black_box(&frame)))
    });
    g.bench_function("round_trip_fast", |b| {
        b.iter(|| decode_fast(&encode(black_box(&req))))
    });
    g.bench_function("round_trip", |b| {
        b.iter(|| decode_full(&encode(black_box(&req))))
    });
    g.finish();
    println!("5004 frame: {} bytes", frame.len());

    // The smallest report: a 5003 space count.
    let space = Request::SpaceCount(vec![parksim::proto::messages::ParkSpaceInfo {
        park_code: "44030400100101000010".into(),
        reserved_stalls: Some(12),
        unused_stalls: 97,
        used_stalls: 191,
    }]);
    let small = encode(&space);
    let mut g = c.benchmark_group("proto_5003");
    g.bench_function("round_trip_fast", |b| {
        b.iter(|| decode_fast(&encode(black_box(&space))))
    });
    g.finish();
    println!("5003 frame: {} bytes", small.len());

    // The floor under a round trip: the primitives every frame pays twice
    // (sign at the sender, verify at the receiver; CRC on both sides).
    let data = req.data_json();
    let mut p = c.benchmark_group("primitives_5004");
    p.bench_function("sha1_data", |b| {
        b.iter(|| parksim::proto::sign::digest_hex(SignAlgo::Sha1, black_box(&data)))
    });
    p.bench_function("crc16_frame", |b| {
        b.iter(|| parksim::proto::frame::CRC16.checksum(black_box(&frame)))
    });
    p.bench_function("serde_to_vec", |b| b.iter(|| black_box(&req).data_json()));
    p.bench_function("clean_check", |b| {
        b.iter(|| {
            parksim::proto::clean::clean_items(
                parksim::proto::schema::request_schema(parksim::proto::Command::Entry),
                black_box(&data),
            )
        })
    });
    p.bench_function("one_pass_read", |b| {
        b.iter(|| {
            parksim::proto::clean::request(parksim::proto::Command::Entry, black_box(&data))
                .unwrap()
        })
    });
    p.bench_function("serde_from_slice", |b| {
        b.iter(|| serde_json::from_slice::<Vec<ParkRecordInfo>>(black_box(&data)).unwrap())
    });
    p.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
