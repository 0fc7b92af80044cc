//! Shared pieces of the criterion benches: inputs, ISA lists, the memcpy
//! floor and a uniform naming scheme that `scripts/bench-table` reads.

#![allow(dead_code)]

use criterion::{BenchmarkId, Criterion, Throughput};
use lanedsp::Isa;
use std::time::Duration;

/// Criterion settings for multi-second suites: short warm-up, few samples.
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1200))
        .sample_size(10)
        .configure_from_args()
}

/// Deterministic noise in [-1, 1) (a 32-bit LCG; enough for timing).
pub fn noise(len: usize, seed: u32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 23) as f32 - 1.0
        })
        .collect()
}

/// The ISAs to bench: `LANEDSP_BENCH_ISAS=avx2,avx512` narrows the list.
pub fn isas() -> Vec<Isa> {
    let wanted = std::env::var("LANEDSP_BENCH_ISAS").ok();
    Isa::available()
        .into_iter()
        .filter(|isa| {
            wanted
                .as_deref()
                .is_none_or(|w| w.split(',').any(|n| n.trim() == isa.name()))
        })
        .collect()
}

/// Benchmark id `"{what}/{channels}ch/{frames}"` with element throughput.
pub fn id(what: &str, channels: usize, frames: usize) -> (BenchmarkId, Throughput) {
    (
        BenchmarkId::new(what, format!("{channels}ch/{frames}")),
        Throughput::Elements((channels * frames) as u64),
    )
}

/// The memory floor: copying the same bytes, interleaved (one slice) and
/// planar (one slice per channel).
pub fn memcpy(c: &mut Criterion, group: &str, shapes: &[(usize, usize)]) {
    let mut g = c.benchmark_group(group);
    for &(channels, frames) in shapes {
        let src = noise(channels * frames, 7);
        let mut dst = vec![0.0f32; channels * frames];
        let (bid, tp) = id("memcpy-interleaved", channels, frames);
        g.throughput(tp);
        g.bench_function(bid, |b| b.iter(|| dst.copy_from_slice(&src)));
        let srcs: Vec<Vec<f32>> = (0..channels).map(|c| noise(frames, c as u32)).collect();
        let mut dsts: Vec<Vec<f32>> = vec![vec![0.0; frames]; channels];
        let (bid, tp) = id("memcpy-planar", channels, frames);
        g.throughput(tp);
        g.bench_function(bid, |b| {
            b.iter(|| {
                for (d, s) in dsts.iter_mut().zip(&srcs) {
                    d.copy_from_slice(s);
                }
            })
        });
    }
    g.finish();
}
