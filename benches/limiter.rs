//! The lookahead limiter: every ISA x channels, sample peaks and true
//! peak, against the fastest one-channel scalar loop with the same bits
//! (the reference's `process_mono`, compiled for this CPU's widest ISA).
//!
//! `cargo bench --bench limiter`.

mod common;

use common::{config, id, isas, noise};
use criterion::{Criterion, criterion_group, criterion_main};
use lanedsp::advanced::LimiterInternals;
use lanedsp::{Isa, Limiter, LimiterSettings, Processor};
use lanedsp_kernels::Engine;
use lanedsp_kernels::job::Native;
use lanedsp_kernels::reference::limiter::Limiter as Reference;
use std::hint::black_box;

const CHANNELS: [usize; 7] = [1, 2, 3, 4, 8, 16, 64];
const FRAMES: usize = 44_100;
const FS: f32 = 44_100.0;

/// Loud music-like levels: noise under a slow envelope peaking ~8 dB over
/// the ceiling, so the limiter works most of the time.
fn input(channels: usize, frames: usize) -> Vec<f32> {
    let mut x = noise(channels * frames, 11);
    for (i, v) in x.iter_mut().enumerate() {
        let t = (i / channels) as f32 / FS;
        *v *= 0.2 + 2.0 * (t * 3.0 + (i % channels) as f32).sin().abs();
    }
    x
}

fn settings(true_peak: bool) -> LimiterSettings {
    LimiterSettings {
        true_peak,
        ..LimiterSettings::default()
    }
}

fn name(true_peak: bool) -> &'static str {
    if true_peak { "limiter-tp" } else { "limiter" }
}

/// The limiter, interleaved, every ISA x channel count.
fn lanes(c: &mut Criterion) {
    for tp in [false, true] {
        let mut g = c.benchmark_group(name(tp));
        for isa in isas() {
            for channels in CHANNELS {
                let x = input(channels, FRAMES);
                let mut y = vec![0.0f32; x.len()];
                let mut lim = Limiter::new(FS, channels, settings(tp))
                    .and_then(|l| l.with_isa(isa))
                    .unwrap();
                let (bid, t) = id(isa.name(), channels, FRAMES);
                g.throughput(t);
                g.bench_function(bid, |b| {
                    b.iter(|| lim.process_interleaved(black_box(&x), &mut y).unwrap())
                });
            }
        }
        g.finish();
    }
}

/// One channel of the scalar reference's plain loop, compiled for this
/// CPU's widest ISA (the fastest honest scalar baseline).
fn reference(c: &mut Criterion) {
    for tp in [false, true] {
        let mut g = c.benchmark_group(name(tp));
        let lim = Limiter::new(FS, 1, settings(tp)).unwrap();
        let (shape, p) = lim.kernel_params();
        let native = Engine::new(Isa::best()).unwrap();
        let x = input(1, FRAMES);
        let mut y = x.clone();
        let mut reference = Reference::new(shape, vec![p], &[]);
        let (bid, t) = id("reference-native", 1, FRAMES);
        g.throughput(t);
        g.bench_function(bid, |b| {
            b.iter(|| {
                y.copy_from_slice(black_box(&x));
                native.run_job(Native(|| reference.process_mono(&mut y)))
            })
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = reference, lanes
}
criterion_main!(benches);
