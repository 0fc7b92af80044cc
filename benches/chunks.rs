//! Chunks in lanes: one long track (and a few) per ISA, whole and chunked,
//! against the one-channel scalar reference compiled for this CPU
//! (`reference-native`, the fastest honest scalar loop with the same bits),
//! and a sweep of chunk counts for the tuning rule.
//!
//! `cargo bench --bench chunks`; each chunked case prints how its last call
//! ran (chunks, warm-up, repaired frames).

mod common;

use common::{config, id, isas, noise};
use criterion::{Criterion, criterion_group, criterion_main};
use lanedsp::advanced::CompressorInternals;
use lanedsp::{Chunking, Compressor, EnvelopeFollower, Isa, LinkMode, Processor, Settings};
use lanedsp_kernels::Engine;
use lanedsp_kernels::job::Native;
use lanedsp_kernels::policy::coefficient;
use lanedsp_kernels::reference;
use lanedsp_kernels::reference::dynamics::{CompressorState, compress};
use std::hint::black_box;

const FS: f32 = 44_100.0;
/// One 100 s track, the seed's case.
const TRACK: usize = 4_410_000;

/// Noise under a slow envelope (music-like levels, so gains move).
fn music(channels: usize, frames: usize) -> Vec<f32> {
    let mut x = noise(channels * frames, 5);
    for (i, v) in x.iter_mut().enumerate() {
        let t = (i / channels) as f32 / FS;
        *v *= 0.05 + 0.6 * (t * 3.0 + (i % channels) as f32).sin().abs();
    }
    x
}

fn follower(isa: Isa, channels: usize, release: f32, chunking: Chunking) -> EnvelopeFollower {
    EnvelopeFollower::new(FS, channels, 0.005, release)
        .and_then(|e| e.with_isa(isa))
        .unwrap()
        .with_chunking(chunking)
}

/// The envelope follower, 5 ms / 50 ms: one track, then ten.
fn envelope(c: &mut Criterion) {
    let native = Engine::new(Isa::best()).unwrap();
    for channels in [1, 10] {
        let mut g = c.benchmark_group(format!("chunks-envelope-{channels}ch"));
        let x = music(channels, TRACK);
        let mut y = vec![0.0f32; x.len()];
        // The memory floor: copying the same bytes.
        let (bid, tp) = id("memcpy", channels, TRACK);
        g.throughput(tp);
        g.bench_function(bid, |b| b.iter(|| y.copy_from_slice(black_box(&x))));
        if channels == 1 {
            let (a, r) = (coefficient(0.005, FS), coefficient(0.05, FS));
            let (bid, tp) = id("reference-native", 1, TRACK);
            g.throughput(tp);
            g.bench_function(bid, |b| {
                b.iter(|| {
                    let mut env = 0.0;
                    native.run_job(Native(|| {
                        reference::envelope::process(black_box(&x), &mut y, a, r, &mut env)
                    }))
                })
            });
        }
        for isa in isas() {
            for (name, chunking) in [("whole", Chunking::Off), ("auto", Chunking::Auto)] {
                let mut env = follower(isa, channels, 0.05, chunking);
                let (bid, tp) = id(&format!("{}-{name}", isa.name()), channels, TRACK);
                g.throughput(tp);
                g.bench_function(bid, |b| {
                    b.iter(|| env.process_interleaved(black_box(&x), &mut y).unwrap())
                });
                println!("{isa} {channels}ch {name}: {}", env.last_execution());
            }
        }
        g.finish();
    }
}

/// A release of 1 s: the warm-ups would cost more than the lanes save, so
/// the call runs whole (within 1.1x of the unchunked path).
fn long_release(c: &mut Criterion) {
    let mut g = c.benchmark_group("chunks-envelope-release-1s");
    let x = music(1, TRACK);
    let mut y = vec![0.0f32; x.len()];
    for isa in isas() {
        for (name, chunking) in [("whole", Chunking::Off), ("auto", Chunking::Auto)] {
            let mut env = follower(isa, 1, 1.0, chunking);
            let (bid, tp) = id(&format!("{}-{name}", isa.name()), 1, TRACK);
            g.throughput(tp);
            g.bench_function(bid, |b| {
                b.iter(|| env.process_interleaved(black_box(&x), &mut y).unwrap())
            });
            println!("{isa} release 1 s {name}: {}", env.last_execution());
        }
    }
    g.finish();
}

/// The fused compressor with default settings: one track, then a linked
/// stereo pair.
fn compressor(c: &mut Criterion) {
    let native = Engine::new(Isa::best()).unwrap();
    for channels in [1, 2] {
        let mut g = c.benchmark_group(format!("chunks-compressor-{channels}ch"));
        let x = music(channels, TRACK);
        let mut y = vec![0.0f32; x.len()];
        if channels == 1 {
            let comp = Compressor::new(FS, 1, Settings::compressor()).unwrap();
            let p = comp.kernel_params(0).unwrap();
            let (bid, tp) = id("reference-native", 1, TRACK);
            g.throughput(tp);
            g.bench_function(bid, |b| {
                b.iter(|| {
                    let mut st = CompressorState::new(&p);
                    native.run_job(Native(|| compress(&p, &mut st, black_box(&x), &x, &mut y)))
                })
            });
        }
        for isa in isas() {
            for (name, chunking) in [("whole", Chunking::Off), ("auto", Chunking::Auto)] {
                let mut comp = Compressor::new(FS, channels, Settings::compressor())
                    .and_then(|c| c.with_isa(isa))
                    .unwrap()
                    .with_chunking(chunking);
                if channels == 2 {
                    comp.set_links(&[vec![0, 1]], 1.0, LinkMode::Max).unwrap();
                }
                let (bid, tp) = id(&format!("{}-{name}", isa.name()), channels, TRACK);
                g.throughput(tp);
                g.bench_function(bid, |b| {
                    b.iter(|| comp.process_interleaved(black_box(&x), &mut y).unwrap())
                });
                println!(
                    "{isa} compressor {channels}ch {name}: {}",
                    comp.last_execution()
                );
            }
        }
        g.finish();
    }
}

/// Chunk counts at the warm-up `Auto` picks (one track; the envelope at
/// 5 ms / 50 ms, the compressor with default settings): the cost of a
/// chunked frame as the slots grow, for the rule in docs/tuning.md.
fn sweep(c: &mut Criterion) {
    let mut g = c.benchmark_group("chunks-sweep");
    let x = music(1, TRACK);
    let mut y = vec![0.0f32; x.len()];
    for isa in isas().into_iter().filter(|&i| i != Isa::Scalar) {
        for chunks in [4, 8, 16, 32, 64, 128] {
            let chunking = Chunking::Forced {
                chunks,
                warmup: 44_100,
            };
            let mut env = follower(isa, 1, 0.05, chunking);
            let (bid, tp) = id(&format!("{}-{chunks}", isa.name()), 1, TRACK);
            g.throughput(tp);
            g.bench_function(bid, |b| {
                b.iter(|| env.process_interleaved(black_box(&x), &mut y).unwrap())
            });
        }
    }
    let x = music(1, TRACK);
    for isa in isas().into_iter().filter(|&i| i != Isa::Scalar) {
        for chunks in [4, 8, 16, 32, 64] {
            let chunking = Chunking::Forced {
                chunks,
                warmup: 88_201,
            };
            let mut comp = Compressor::new(FS, 1, Settings::compressor())
                .and_then(|c| c.with_isa(isa))
                .unwrap()
                .with_chunking(chunking);
            let (bid, tp) = id(&format!("compressor-{}-{chunks}", isa.name()), 1, TRACK);
            g.throughput(tp);
            g.bench_function(bid, |b| {
                b.iter(|| comp.process_interleaved(black_box(&x), &mut y).unwrap())
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = envelope, long_release, compressor, sweep
}
criterion_main!(benches);
