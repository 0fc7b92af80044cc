//! Peak envelope follower: per ISA x channels x frames, both layouts, the
//! scalar reference for one channel (baseline build and native build), the
//! memcpy floor over the same bytes, and a silence tail beside noise.
//!
//! `cargo bench --bench envelope`; `scripts/bench-table` turns the results
//! into the tables of docs/benchmarks.md.

mod common;

use common::{config, id, isas, memcpy, noise};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use lanedsp::{EnvelopeFollower, Isa, Processor};
use lanedsp_kernels::job::Native;
use lanedsp_kernels::policy::coefficient;
use lanedsp_kernels::{Engine, reference};
use std::hint::black_box;

const CHANNELS: [usize; 8] = [1, 2, 3, 4, 8, 16, 64, 256];
const FRAMES: [usize; 3] = [1024, 44_100, 441_000];
const SEED_FRAMES: [usize; 4] = [1024, 44_100, 441_000, 4_410_000];
const FS: f32 = 44_100.0;
const ATTACK: f32 = 0.001;
const RELEASE: f32 = 0.050;

fn follower(isa: Isa, channels: usize) -> EnvelopeFollower {
    EnvelopeFollower::new(FS, channels, ATTACK, RELEASE)
        .and_then(|e| e.with_isa(isa))
        .expect("bench settings")
}

/// Interleaved, every ISA x channel count x length.
fn interleaved(c: &mut Criterion) {
    let mut g = c.benchmark_group("envelope-interleaved");
    for isa in isas() {
        for channels in CHANNELS {
            for frames in FRAMES {
                let input = noise(channels * frames, 1);
                let mut output = vec![0.0f32; input.len()];
                let mut env = follower(isa, channels);
                let (bid, tp) = id(isa.name(), channels, frames);
                g.throughput(tp);
                g.bench_function(bid, |b| {
                    b.iter(|| {
                        env.process_interleaved(black_box(&input), &mut output)
                            .unwrap()
                    })
                });
            }
        }
    }
    g.finish();
}

/// Planar, every ISA at the channel counts where layout matters.
fn planar(c: &mut Criterion) {
    let mut g = c.benchmark_group("envelope-planar");
    for isa in isas() {
        for channels in [16, 64, 256] {
            for frames in [44_100, 441_000] {
                let input: Vec<Vec<f32>> = (0..channels).map(|c| noise(frames, c as u32)).collect();
                let mut output = input.clone();
                let ins: Vec<&[f32]> = input.iter().map(Vec::as_slice).collect();
                let mut env = follower(isa, channels);
                let (bid, tp) = id(isa.name(), channels, frames);
                g.throughput(tp);
                g.bench_function(bid, |b| {
                    b.iter(|| {
                        let mut outs: Vec<&mut [f32]> =
                            output.iter_mut().map(Vec::as_mut_slice).collect();
                        env.process_planar(black_box(&ins), &mut outs).unwrap()
                    })
                });
            }
        }
    }
    g.finish();
}

/// One channel, the seed's sizes: the scalar reference as built for the
/// baseline target (`f32::mul_add` is a library call there), the same code
/// compiled for this CPU (`reference-native`, the fastest honest scalar
/// loop and the baseline of every speedup), and each ISA's processor.
fn one_channel(c: &mut Criterion) {
    let mut g = c.benchmark_group("envelope-1ch");
    let (a, r) = (coefficient(ATTACK, FS), coefficient(RELEASE, FS));
    let native = Engine::new(lanedsp::Isa::best()).expect("best ISA");
    for frames in SEED_FRAMES {
        let input = noise(frames, 3);
        let mut output = vec![0.0f32; frames];
        let (bid, tp) = id("reference", 1, frames);
        g.throughput(tp.clone());
        g.bench_function(bid, |b| {
            b.iter(|| {
                let mut env = 0.0;
                reference::envelope::process(black_box(&input), &mut output, a, r, &mut env);
            })
        });
        let (bid, _) = id("reference-native", 1, frames);
        g.bench_function(bid, |b| {
            b.iter(|| {
                let mut env = 0.0;
                native.run_job(Native(|| {
                    reference::envelope::process(black_box(&input), &mut output, a, r, &mut env)
                }));
            })
        });
        for isa in isas() {
            let mut env = follower(isa, 1);
            let (bid, _) = id(isa.name(), 1, frames);
            g.bench_function(bid, |b| {
                b.iter(|| {
                    env.process_interleaved(black_box(&input), &mut output)
                        .unwrap()
                })
            });
        }
    }
    g.finish();
}

/// A silence tail (one loud sample, then zeros: the envelope decays through
/// the range where subnormals would appear) beside noise, same size.
fn silence_tail(c: &mut Criterion) {
    let mut g = c.benchmark_group("envelope-tail");
    // Out of cache (the case) and in cache (1 MiB each way), where
    // the compute shows; the tail is flushed after about 2,400 frames.
    for (channels, frames) in [(16, 441_000), (16, 16_384)] {
        tail_case(&mut g, channels, frames);
    }
    g.finish();
}

/// Silence tail and noise of one shape, every ISA.
fn tail_case(g: &mut BenchmarkGroup<'_, WallTime>, channels: usize, frames: usize) {
    let noisy = noise(channels * frames, 5);
    let mut tail = vec![0.0f32; channels * frames];
    tail[..channels].fill(1.0);
    let mut output = vec![0.0f32; channels * frames];
    for isa in isas() {
        for (what, input) in [("noise", &noisy), ("silence-tail", &tail)] {
            // A 1 ms release reaches the flush threshold within the block.
            let mut env = EnvelopeFollower::new(FS, channels, 0.0, 0.001)
                .and_then(|e| e.with_isa(isa))
                .unwrap();
            let (bid, tp) = id(&format!("{isa}-{what}"), channels, frames);
            g.throughput(tp);
            g.bench_function(bid, |b| {
                b.iter(|| {
                    env.reset();
                    env.process_interleaved(black_box(input), &mut output)
                        .unwrap()
                })
            });
        }
    }
}

fn floors(c: &mut Criterion) {
    let mut shapes: Vec<(usize, usize)> = Vec::new();
    for channels in CHANNELS {
        for frames in FRAMES {
            shapes.push((channels, frames));
        }
    }
    memcpy(c, "memcpy", &shapes);
}

criterion_group! {
    name = benches;
    config = config();
    targets = one_channel, interleaved, planar, silence_tail, floors
}
criterion_main!(benches);
