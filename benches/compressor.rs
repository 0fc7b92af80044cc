//! The compressor: the fused kernel per ISA x channels, its scalar
//! reference (baseline build and native build), the unfused chain of its
//! stages, each stage alone, linked stereo pairs, and the memcpy floor.
//!
//! `cargo bench --bench compressor`; `scripts/bench-table` turns the results
//! into docs/benchmarks.md.

mod common;

use common::{config, id, isas, memcpy, noise};
use criterion::{Criterion, criterion_group, criterion_main};
use lanedsp::advanced::CompressorInternals;
use lanedsp::stages::{GainApply, GainComputer, GainSmoother, LevelDetector};
use lanedsp::{Buffers, Compressor, Isa, LinkMode, Processor, Settings, Sidechain};
use lanedsp_kernels::Engine;
use lanedsp_kernels::job::Native;
use lanedsp_kernels::reference::dynamics::{CompressorState, compress};
use std::hint::black_box;

const CHANNELS: [usize; 8] = [1, 2, 3, 4, 8, 16, 64, 256];
const FRAMES: usize = 44_100;
const FS: f32 = 44_100.0;

/// Music-like levels: noise with a slow envelope, so the gain moves.
fn input(channels: usize, frames: usize) -> Vec<f32> {
    let mut x = noise(channels * frames, 11);
    for (i, v) in x.iter_mut().enumerate() {
        let t = (i / channels) as f32 / FS;
        *v *= 0.05 + 0.6 * (t * 3.0 + (i % channels) as f32).sin().abs();
    }
    x
}

fn settings() -> Settings {
    Settings {
        threshold_db: -24.0,
        detector_attack: lanedsp::Time::Seconds(0.0005),
        detector_release: lanedsp::Time::Seconds(0.05),
        ..Settings::compressor()
    }
}

fn compressor(isa: Isa, channels: usize) -> Compressor {
    Compressor::new(FS, channels, settings())
        .and_then(|c| c.with_isa(isa))
        .unwrap()
}

/// The fused compressor, interleaved, every ISA x channel count.
fn fused(c: &mut Criterion) {
    let mut g = c.benchmark_group("compressor-fused");
    for isa in isas() {
        for channels in CHANNELS {
            let x = input(channels, FRAMES);
            let mut y = vec![0.0f32; x.len()];
            let mut comp = compressor(isa, channels);
            let (bid, tp) = id(isa.name(), channels, FRAMES);
            g.throughput(tp);
            g.bench_function(bid, |b| {
                b.iter(|| comp.process_interleaved(black_box(&x), &mut y).unwrap())
            });
        }
    }
    g.finish();
}

/// One channel of the scalar reference: baseline build and native build.
fn reference(c: &mut Criterion) {
    let mut g = c.benchmark_group("compressor-reference");
    let comp = compressor(Isa::Scalar, 1);
    let p = comp.kernel_params(0).unwrap();
    let native = Engine::new(Isa::best()).unwrap();
    let x = input(1, FRAMES);
    let mut y = vec![0.0f32; FRAMES];
    let (bid, tp) = id("reference", 1, FRAMES);
    g.throughput(tp.clone());
    g.bench_function(bid, |b| {
        b.iter(|| {
            let mut st = CompressorState::new(&p);
            compress(&p, &mut st, black_box(&x), &x, &mut y)
        })
    });
    let (bid, _) = id("reference-native", 1, FRAMES);
    g.bench_function(bid, |b| {
        b.iter(|| {
            let mut st = CompressorState::new(&p);
            native.run_job(Native(|| compress(&p, &mut st, black_box(&x), &x, &mut y)))
        })
    });
    g.finish();
}

/// The same work as separate passes: detector, curve, smoother, apply.
fn chain(c: &mut Criterion) {
    let mut g = c.benchmark_group("compressor-chain");
    for isa in isas() {
        for channels in CHANNELS {
            let all = vec![settings(); channels];
            let x = input(channels, FRAMES);
            let (mut level, mut change, mut gain, mut y) =
                (x.clone(), x.clone(), x.clone(), x.clone());
            let mut detector = LevelDetector::new(FS, &all).unwrap().with_isa(isa).unwrap();
            let mut curve = GainComputer::new(FS, &all).unwrap().with_isa(isa).unwrap();
            let mut smoother = GainSmoother::new(FS, &all).unwrap().with_isa(isa).unwrap();
            let mut apply = GainApply::new(FS, &all).unwrap().with_isa(isa).unwrap();
            let (bid, tp) = id(isa.name(), channels, FRAMES);
            g.throughput(tp);
            g.bench_function(bid, |b| {
                b.iter(|| {
                    detector
                        .process_interleaved(black_box(&x), &mut level)
                        .unwrap();
                    curve.process_interleaved(&level, &mut change).unwrap();
                    smoother.process_interleaved(&change, &mut gain).unwrap();
                    let buffers = Buffers::Interleaved {
                        input: &x,
                        output: &mut y,
                    };
                    apply
                        .process_gain(buffers, Sidechain::Interleaved(&gain))
                        .unwrap();
                })
            });
        }
    }
    g.finish();
}

/// Each stage alone, 16 and 64 channels.
fn stages(c: &mut Criterion) {
    let mut g = c.benchmark_group("compressor-stage");
    for isa in isas() {
        for channels in [16, 64] {
            let all = vec![settings(); channels];
            let x = input(channels, FRAMES);
            let mut y = x.clone();
            let mut detector = LevelDetector::new(FS, &all).unwrap().with_isa(isa).unwrap();
            let mut curve = GainComputer::new(FS, &all).unwrap().with_isa(isa).unwrap();
            let mut smoother = GainSmoother::new(FS, &all).unwrap().with_isa(isa).unwrap();
            let mut apply = GainApply::new(FS, &all).unwrap().with_isa(isa).unwrap();
            let procs: [(&str, &mut dyn Processor); 4] = [
                ("detector", &mut detector),
                ("curve", &mut curve),
                ("smoother", &mut smoother),
                ("apply", &mut apply),
            ];
            for (name, proc) in procs {
                let (bid, tp) = id(&format!("{name}-{isa}"), channels, FRAMES);
                g.throughput(tp);
                g.bench_function(bid, |b| {
                    b.iter(|| proc.process_interleaved(black_box(&x), &mut y).unwrap())
                });
            }
        }
    }
    g.finish();
}

/// Stereo pairs linked (max), planar, to price the link butterfly.
fn linked(c: &mut Criterion) {
    let mut g = c.benchmark_group("compressor-linked");
    for isa in isas() {
        for channels in [2, 16, 64] {
            let x = input(channels, FRAMES);
            let mut y = vec![0.0f32; x.len()];
            let mut comp = compressor(isa, channels);
            let pairs: Vec<Vec<usize>> =
                (0..channels / 2).map(|p| vec![2 * p, 2 * p + 1]).collect();
            comp.set_links(&pairs, 1.0, LinkMode::Max).unwrap();
            let (bid, tp) = id(isa.name(), channels, FRAMES);
            g.throughput(tp);
            g.bench_function(bid, |b| {
                b.iter(|| comp.process_interleaved(black_box(&x), &mut y).unwrap())
            });
        }
    }
    g.finish();
}

fn floors(c: &mut Criterion) {
    let shapes: Vec<(usize, usize)> = CHANNELS.iter().map(|&ch| (ch, FRAMES)).collect();
    memcpy(c, "compressor-memcpy", &shapes);
}

criterion_group! {
    name = benches;
    config = config();
    targets = reference, fused, chain, stages, linked, floors
}
criterion_main!(benches);
