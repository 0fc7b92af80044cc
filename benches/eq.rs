//! The equalizer and the loudness meter: a 5-band EQ per ISA x channels
//! (the per-frame driver), against its one-channel scalar
//! reference (baseline build and native build); the loudness meter against
//! the `ebur128` crate measuring the same tracks, without and with true
//! peak (our meter always measures true peak).
//!
//! `cargo bench --bench eq`.

mod common;

use common::{config, id, isas, noise};
use criterion::{Criterion, criterion_group, criterion_main};
use ebur128::{EbuR128, Mode};
use lanedsp::{Band, Equalizer, Isa, LoudnessMeter, Processor};
use lanedsp_kernels::Engine;
use lanedsp_kernels::job::Native;
use lanedsp_kernels::reference::biquad::{Coefficients, process};
use std::hint::black_box;

const CHANNELS: [usize; 7] = [1, 2, 3, 4, 8, 16, 64];
const FRAMES: usize = 48_000;
const FS: f32 = 48_000.0;

fn bands() -> [Band; 5] {
    [
        Band::HighPass {
            freq: 40.0,
            q: 0.707,
        },
        Band::LowShelf {
            freq: 120.0,
            q: 0.707,
            gain_db: 4.0,
        },
        Band::Peaking {
            freq: 900.0,
            q: 1.4,
            gain_db: -6.0,
        },
        Band::Peaking {
            freq: 3_500.0,
            q: 2.0,
            gain_db: 5.0,
        },
        Band::HighShelf {
            freq: 10_000.0,
            q: 0.707,
            gain_db: -3.0,
        },
    ]
}

/// One channel of the scalar reference: baseline build and native build.
fn reference(c: &mut Criterion) {
    let mut g = c.benchmark_group("eq-reference");
    let sections: Vec<Coefficients> = bands()
        .iter()
        .map(|b| b.coefficients(f64::from(FS)).unwrap())
        .collect();
    let native = Engine::new(Isa::best()).unwrap();
    let x = noise(FRAMES, 3);
    let mut y = vec![0.0f32; FRAMES];
    let mut h = vec![0.0f32; 12];
    let (bid, tp) = id("reference", 1, FRAMES);
    g.throughput(tp);
    g.bench_function(bid, |b| {
        b.iter(|| process(&sections, &mut h, black_box(&x), &mut y))
    });
    let (bid, _) = id("reference-native", 1, FRAMES);
    g.bench_function(bid, |b| {
        b.iter(|| native.run_job(Native(|| process(&sections, &mut h, black_box(&x), &mut y))))
    });
    g.finish();
}

/// The 5-band EQ, interleaved, every ISA x channel count.
fn equalizer(c: &mut Criterion) {
    let mut g = c.benchmark_group("eq-5band");
    for isa in isas() {
        for channels in CHANNELS {
            let x = noise(channels * FRAMES, 5);
            let mut y = vec![0.0f32; x.len()];
            let mut eq = Equalizer::new(FS, channels, &bands())
                .and_then(|e| e.with_isa(isa))
                .unwrap();
            let (bid, tp) = id(isa.name(), channels, FRAMES);
            g.throughput(tp);
            g.bench_function(bid, |b| {
                b.iter(|| eq.process_interleaved(black_box(&x), &mut y).unwrap())
            });
        }
    }
    g.finish();
}

/// Loudness (integrated, range, momentary, short-term, sample peak) of
/// 16 stereo tracks: one meter per track, ours against `ebur128` (ours
/// measures true peak as well, always; `ebur128-true-peak` is the same job
/// with `Mode::TRUE_PEAK` and reading the true peaks, and our rows read
/// them too).
fn loudness(c: &mut Criterion) {
    let mut g = c.benchmark_group("loudness");
    let tracks: Vec<Vec<f32>> = (0..16).map(|t| noise(2 * FRAMES, 40 + t)).collect();
    let (bid, tp) = id("ebur128", 32, FRAMES);
    g.throughput(tp);
    g.bench_function(bid, |b| {
        b.iter(|| {
            for t in &tracks {
                let mut m =
                    EbuR128::new(2, FS as u32, Mode::I | Mode::LRA | Mode::SAMPLE_PEAK).unwrap();
                m.add_frames_f32(black_box(t)).unwrap();
                black_box(m.loudness_global().unwrap());
            }
        })
    });
    let (bid, tp) = id("ebur128-true-peak", 32, FRAMES);
    g.throughput(tp);
    g.bench_function(bid, |b| {
        b.iter(|| {
            for t in &tracks {
                let mode = Mode::I | Mode::LRA | Mode::SAMPLE_PEAK | Mode::TRUE_PEAK;
                let mut m = EbuR128::new(2, FS as u32, mode).unwrap();
                m.add_frames_f32(black_box(t)).unwrap();
                black_box(m.loudness_global().unwrap());
                black_box((m.true_peak(0).unwrap(), m.true_peak(1).unwrap()));
            }
        })
    });
    for isa in isas() {
        let mut meters: Vec<LoudnessMeter> = (0..16)
            .map(|_| LoudnessMeter::new(FS, 2).unwrap().with_isa(isa).unwrap())
            .collect();
        let mut batch = LoudnessMeter::new(FS, 32)
            .unwrap()
            .with_isa(isa)
            .unwrap()
            .with_programmes(&(0..16).map(|t| vec![2 * t, 2 * t + 1]).collect::<Vec<_>>())
            .unwrap();
        let frames: Vec<f32> = (0..FRAMES)
            .flat_map(|f| tracks.iter().flat_map(move |t| [t[2 * f], t[2 * f + 1]]))
            .collect();
        let (bid, tp) = id(&format!("{}-programmes", isa.name()), 32, FRAMES);
        g.throughput(tp);
        g.bench_function(bid, |b| {
            b.iter(|| {
                batch.reset();
                batch.process_interleaved(black_box(&frames)).unwrap();
                for p in 0..16 {
                    black_box(batch.programme(p).unwrap());
                }
            })
        });
        let (bid, tp) = id(&format!("{}-per-track", isa.name()), 32, FRAMES);
        g.throughput(tp);
        g.bench_function(bid, |b| {
            b.iter(|| {
                for (m, t) in meters.iter_mut().zip(&tracks) {
                    m.reset();
                    m.process_interleaved(black_box(t)).unwrap();
                    black_box(m.integrated());
                    black_box((m.true_peak(0).unwrap(), m.true_peak(1).unwrap()));
                }
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = reference, equalizer, loudness
}
criterion_main!(benches);
