//! Chunks in lanes beyond the equivalence harness's `chunks` check: what
//! `Chunking::Auto` decides, the state after a chunked call (meters
//! included), chunks whose speculation never meets, and the statistics.
//! Every comparison is `to_bits()` against the same processor unchunked.

mod common;

use common::{Layout, Planes, first_difference, isa_status, planes, rng, run};
use lanedsp::{ChunkReason, Chunking, Compressor, EnvelopeFollower, Isa, LinkMode, Settings, Time};

/// The ISAs this CPU runs.
fn isas() -> Vec<Isa> {
    let (run, not_run) = isa_status();
    println!("chunks: compared on {run:?}; not run: {not_run:?}");
    run
}

fn same(got: &Planes, want: &Planes, what: &str) {
    if let Some(diff) = first_difference(got, want) {
        panic!("{what}: {diff}");
    }
}

fn bits(xs: &[f32]) -> Vec<u32> {
    xs.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn auto_chunks_a_long_track_and_matches_whole() {
    let input = planes(&mut rng(11), 1, 1 << 18, 0.001);
    for isa in isas() {
        let follower = || {
            EnvelopeFollower::new(44_100.0, 1, 0.005, 0.05)
                .unwrap()
                .with_isa(isa)
                .unwrap()
        };
        let mut whole = follower().with_chunking(Chunking::Off);
        let mut auto = follower();
        let want = run(&mut whole, Layout::Planar, &input);
        let got = run(&mut auto, Layout::Interleaved, &input);
        same(&got, &want, &format!("{isa}"));
        assert_eq!(
            bits(auto.envelope()),
            bits(whole.envelope()),
            "{isa}: state"
        );
        let ex = auto.last_execution();
        println!("{isa}: {ex}");
        // The portable ISA never chunks (its lanes lose to the plain loop).
        assert_eq!(ex.is_chunked(), isa != Isa::Scalar, "{isa}: {ex}");
        assert_eq!(whole.last_execution().reason, ChunkReason::Off);
    }
}

#[test]
fn long_release_falls_back_to_whole() {
    let input = planes(&mut rng(12), 2, 1 << 17, 0.0);
    for isa in isas() {
        let mut auto = EnvelopeFollower::new(44_100.0, 2, 0.005, 2.0)
            .unwrap()
            .with_isa(isa)
            .unwrap();
        let mut whole = auto.clone().with_chunking(Chunking::Off);
        let got = run(&mut auto, Layout::Planar, &input);
        let want = run(&mut whole, Layout::Planar, &input);
        same(&got, &want, &format!("{isa}"));
        let ex = auto.last_execution();
        assert!(!ex.is_chunked(), "{isa}: {ex}");
        if isa != Isa::Scalar {
            assert_eq!(ex.reason, ChunkReason::Warmup, "{isa}: {ex}");
        }
    }
}

#[test]
fn real_time_blocks_stay_whole() {
    let input = planes(&mut rng(13), 1, 1024, 0.0);
    let mut env = EnvelopeFollower::new(48_000.0, 1, 0.001, 0.01).unwrap();
    run(&mut env, Layout::Planar, &input);
    assert_eq!(env.last_execution().reason, ChunkReason::Short);
}

/// Without warm-up and with a release far longer than a chunk, the
/// speculation never meets the sequential state: every chunk is recomputed,
/// and the result is still exact.
#[test]
fn unmet_chunks_are_recomputed() {
    let input = planes(&mut rng(14), 3, 20_000, 0.0);
    for isa in isas() {
        let mut whole = EnvelopeFollower::new(44_100.0, 3, 0.0001, 30.0)
            .unwrap()
            .with_isa(isa)
            .unwrap()
            .with_chunking(Chunking::Off);
        let mut chunked = whole.clone().with_chunking(Chunking::Forced {
            chunks: 8,
            warmup: 0,
        });
        let want = run(&mut whole, Layout::Planar, &input);
        let got = run(&mut chunked, Layout::PlanarInPlace, &input);
        same(&got, &want, &format!("{isa}"));
        let ex = chunked.last_execution();
        assert!(ex.unmet_chunks > 0, "{isa}: {ex}");
        assert_eq!(
            ex.repaired_frames,
            ex.unmet_chunks * ex.chunk_frames,
            "{isa}: {ex}"
        );
    }
}

/// A linked stereo compressor chunked: outputs, gain and peak meters, and
/// the next (whole) call, every bit as without chunks.
#[test]
fn compressor_state_and_meters_match() {
    let mut rng = rng(15);
    let input = planes(&mut rng, 4, 30_000, 0.01);
    let more = planes(&mut rng, 4, 3_000, 0.01);
    let settings = Settings {
        attack: Time::Seconds(0.002),
        release: Time::Seconds(0.04),
        ..Settings::compressor()
    };
    for isa in isas() {
        for mode in [LinkMode::Max, LinkMode::Mean] {
            let mut whole = Compressor::new(48_000.0, 4, settings)
                .unwrap()
                .with_isa(isa)
                .unwrap();
            whole
                .set_links(&[vec![0, 2], vec![1, 3]], 0.7, mode)
                .unwrap();
            let mut whole = whole.with_chunking(Chunking::Off);
            let mut chunked = whole.clone().with_chunking(Chunking::Forced {
                chunks: 6,
                warmup: 2_000,
            });
            let want = run(&mut whole, Layout::Interleaved, &input);
            let got = run(&mut chunked, Layout::InterleavedInPlace, &input);
            same(&got, &want, &format!("{isa} {mode:?}"));
            assert!(chunked.last_execution().is_chunked());
            for c in 0..4 {
                let pair = |p: &Compressor| {
                    (
                        p.gain_reduction_db(c).to_bits(),
                        p.peak_reduction_db(c).to_bits(),
                    )
                };
                assert_eq!(pair(&chunked), pair(&whole), "{isa} {mode:?} channel {c}");
            }
            chunked.set_chunking(Chunking::Off);
            let want = run(&mut whole, Layout::Planar, &more);
            let got = run(&mut chunked, Layout::Planar, &more);
            same(&got, &want, &format!("{isa} {mode:?}, the call after"));
        }
    }
}

#[test]
fn execution_reads_as_a_sentence() {
    let input = planes(&mut rng(16), 1, 10_000, 0.0);
    let mut env = EnvelopeFollower::new(48_000.0, 1, 0.001, 0.01)
        .unwrap()
        .with_chunking(Chunking::Forced {
            chunks: 4,
            warmup: 1_000,
        });
    run(&mut env, Layout::Planar, &input);
    let text = env.last_execution().to_string();
    assert!(text.contains("4 chunks of 2250"), "{text}");
}
