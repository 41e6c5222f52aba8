//! Property tests of the SZTC stream decoder: it never panics, never holds
//! more than it was fed, and recovers every good frame around garbage,
//! however the bytes are split.

use parksim::proto::codec::{DecodeError, FrameDecoder};
use parksim::proto::frame::{Direction, FrameRepr, MAX_DATA_LEN};
use proptest::prelude::*;

fn frame(no: u32, data: &[u8]) -> Vec<u8> {
    FrameRepr {
        version: (1, 0),
        packet_no: no,
        direction: Direction::Request,
        command: 5004,
        data,
    }
    .to_bytes()
    .unwrap()
}

fn run(stream: &[u8], cuts: &[usize]) -> (Vec<u32>, Vec<DecodeError>, usize) {
    let mut d = FrameDecoder::new();
    let (mut frames, mut errors, mut peak) = (Vec::new(), Vec::new(), 0);
    let mut pos = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
    cuts.sort();
    cuts.push(stream.len());
    for c in cuts {
        if c < pos {
            continue;
        }
        d.feed(&stream[pos..c]);
        pos = c;
        peak = peak.max(d.buffered());
        loop {
            match d.decode() {
                Ok(Some(f)) => frames.push(f.packet_no),
                Ok(None) => break,
                Err(e) => errors.push(e),
            }
        }
    }
    loop {
        match d.decode_eof() {
            Ok(Some(f)) => frames.push(f.packet_no),
            Ok(None) => break,
            Err(e) => errors.push(e),
        }
    }
    (frames, errors, peak)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048),
                                cuts in proptest::collection::vec(any::<usize>(), 0..16)) {
        let (_, _, peak) = run(&bytes, &cuts);
        prop_assert!(peak <= bytes.len());
    }

    #[test]
    fn frames_survive_garbage_and_splits(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 1..6),
        garbage in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 6),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
    ) {
        let mut stream = Vec::new();
        let mut bad_stretches = 0;
        for (i, p) in payloads.iter().enumerate() {
            // Garbage never contains or ends in a prefix of the magic here.
            let g: Vec<u8> = garbage[i].iter().map(|b| if b"SZTC".contains(b) { b'.' } else { *b }).collect();
            if !g.is_empty() { bad_stretches += 1; }
            stream.extend(&g);
            stream.extend(frame(i as u32 + 1, p));
        }
        let (frames, errors, _) = run(&stream, &cuts);
        let want: Vec<u32> = (1..=payloads.len() as u32).collect();
        prop_assert_eq!(frames, want);
        prop_assert_eq!(errors.len(), bad_stretches);
    }

    #[test]
    fn corrupted_frames_are_errors_and_the_rest_decode(
        flip in 0usize..1000, bit in 0u8..8,
        cuts in proptest::collection::vec(any::<usize>(), 0..10),
    ) {
        let a = frame(1, b"{\"data\":[],\"sign\":\"x\",\"timestamp\":1}");
        let b = frame(2, b"{}");
        let mut stream = a.clone();
        let at = flip % a.len();
        stream[at] ^= 1 << bit;
        stream.extend(&b);
        let (frames, errors, _) = run(&stream, &cuts);
        // Frame 2 always comes through (even when a flipped length made
        // frame 1 swallow it); frame 1 is reported as an error.
        // CRC-16 catches every single-bit error, in the header too.
        prop_assert_eq!(frames, vec![2]);
        prop_assert!(!errors.is_empty(), "flip at byte {}", at);
    }
}

#[test]
fn a_huge_announced_length_allocates_nothing() {
    let mut h = frame(1, b"");
    h.truncate(17);
    h[10..14].copy_from_slice(&((MAX_DATA_LEN as u32) + 1).to_be_bytes());
    let (frames, errors, peak) = run(&h, &[]);
    assert!(frames.is_empty());
    assert!(matches!(errors[0], DecodeError::TooLong { .. }));
    assert!(peak <= 17);
}
