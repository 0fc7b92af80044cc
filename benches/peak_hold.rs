//! The peak hold (the "Adding a kernel" example of docs/design.md): every
//! ISA x channels against the reference's one-channel loop compiled for
//! this CPU's widest ISA.
//!
//! `cargo bench --bench peak_hold`.

mod common;

use common::{config, id, isas, noise};
use criterion::{Criterion, criterion_group, criterion_main};
use lanedsp::{Isa, PeakHold, Processor};
use lanedsp_kernels::Engine;
use lanedsp_kernels::job::Native;
use lanedsp_kernels::reference::peak_hold::PeakHold as Reference;
use std::hint::black_box;

const CHANNELS: [usize; 7] = [1, 2, 3, 4, 8, 16, 64];
const FRAMES: usize = 44_100;
const FS: f32 = 44_100.0;
/// 10 ms: 441 frames.
const HOLD: f32 = 0.01;

/// Every ISA x channel count, interleaved.
fn lanes(c: &mut Criterion) {
    let mut g = c.benchmark_group("peak_hold");
    for isa in isas() {
        for channels in CHANNELS {
            let x = noise(channels * FRAMES, 5);
            let mut y = vec![0.0f32; x.len()];
            let mut hold = PeakHold::new(FS, channels, HOLD)
                .and_then(|p| p.with_isa(isa))
                .unwrap();
            let (bid, t) = id(isa.name(), channels, FRAMES);
            g.throughput(t);
            g.bench_function(bid, |b| {
                b.iter(|| hold.process_interleaved(black_box(&x), &mut y).unwrap())
            });
        }
    }
    g.finish();
}

/// One channel of the reference's loop, compiled for the widest ISA.
fn reference(c: &mut Criterion) {
    let mut g = c.benchmark_group("peak_hold");
    let native = Engine::new(Isa::best()).unwrap();
    let x = noise(FRAMES, 5);
    let mut y = x.clone();
    let window = PeakHold::new(FS, 1, HOLD).unwrap().window();
    let mut reference = Reference::new(window);
    let (bid, t) = id("reference-native", 1, FRAMES);
    g.throughput(t);
    g.bench_function(bid, |b| {
        b.iter(|| {
            y.copy_from_slice(black_box(&x));
            native.run_job(Native(|| reference.process(&mut y)))
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = reference, lanes
}
criterion_main!(benches);
