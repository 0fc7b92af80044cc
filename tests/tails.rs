//! Tails: every frame count `0..=67` times every channel count `1..=67`, on
//! every available ISA and in every layout, in buffers whose heap allocation
//! is exactly as long as the data (`Box<[f32]>`: no spare capacity, every
//! planar channel its own allocation), for every kernel case of the
//! equivalence harness (tests/common/cases.rs) with random settings.
//!
//! Under AddressSanitizer (`.ci/sanitize`), any load or store past the end of
//! a buffer, such as a partial register at the last channels of an
//! interleaved frame or a planar tail, lands in a redzone and aborts the
//! run. Without a sanitizer the test still checks every output `to_bits`
//! against the scalar reference.

mod common;

use common::Planes;
use common::cases::{KernelCase, every_case};
use lanedsp::{Isa, Processor};

const MAX: usize = 67;

/// Deterministic samples: ordinary levels mixed with NaN, infinities,
/// subnormals and zeros of both signs.
fn sample(c: usize, f: usize) -> f32 {
    let h = (c as u32)
        .wrapping_mul(0x9e37_79b9)
        .wrapping_add((f as u32).wrapping_mul(0x85eb_ca6b))
        .rotate_left(13)
        .wrapping_mul(0xc2b2_ae35);
    match h % 16 {
        0 => f32::NAN,
        1 => f32::NEG_INFINITY,
        2 => f32::from_bits(h >> 9),
        3 => -0.0,
        4 => f32::MAX,
        _ => (h >> 8) as f32 / (1u32 << 23) as f32 - 1.0,
    }
}

/// Exact-length heap copy.
fn exact(values: impl Iterator<Item = f32>) -> Box<[f32]> {
    values.collect::<Vec<f32>>().into_boxed_slice()
}

#[derive(Clone, Copy, Debug)]
enum Layout {
    Planar,
    PlanarInPlace,
    Interleaved,
    InterleavedInPlace,
}

/// Runs `frames` frames from rest in `layout`; returns output channels.
fn run(env: &mut impl Processor, layout: Layout, frames: usize) -> Vec<Vec<f32>> {
    let channels = env.channels();
    env.reset();
    let planes = || -> Vec<Box<[f32]>> {
        (0..channels)
            .map(|c| exact((0..frames).map(|f| sample(c, f))))
            .collect()
    };
    let frames_of = || exact((0..frames * channels).map(|i| sample(i % channels, i / channels)));
    let split = |buf: &[f32]| -> Vec<Vec<f32>> {
        (0..channels)
            .map(|c| buf.iter().skip(c).step_by(channels).copied().collect())
            .collect()
    };
    match layout {
        Layout::Planar => {
            let input = planes();
            let ins: Vec<&[f32]> = input.iter().map(|c| &**c).collect();
            let mut output: Vec<Box<[f32]>> = (0..channels)
                .map(|_| exact(std::iter::repeat_n(f32::NAN, frames)))
                .collect();
            let mut outs: Vec<&mut [f32]> = output.iter_mut().map(|c| &mut **c).collect();
            env.process_planar(&ins, &mut outs).expect("planar");
            output.iter().map(|c| c.to_vec()).collect()
        }
        Layout::PlanarInPlace => {
            let mut bufs = planes();
            let mut refs: Vec<&mut [f32]> = bufs.iter_mut().map(|c| &mut **c).collect();
            env.process_planar_in_place(&mut refs)
                .expect("planar in place");
            bufs.iter().map(|c| c.to_vec()).collect()
        }
        Layout::Interleaved => {
            let input = frames_of();
            let mut output = exact(std::iter::repeat_n(f32::NAN, input.len()));
            env.process_interleaved(&input, &mut output)
                .expect("interleaved");
            split(&output)
        }
        Layout::InterleavedInPlace => {
            let mut buf = frames_of();
            env.process_interleaved_in_place(&mut buf)
                .expect("interleaved in place");
            split(&buf)
        }
    }
}

/// Whether the reduced matrix of the emulated and sanitizer runs is asked
/// for (`LANEDSP_TEST_MATRIX=reduced` or `smoke`).
fn reduced() -> bool {
    matches!(
        std::env::var("LANEDSP_TEST_MATRIX").as_deref(),
        Ok("reduced" | "smoke")
    )
}

/// Channel counts of case `name`: every count `1..=MAX`; in the reduced
/// matrix, the envelope's still all, the other cases' every remainder of a
/// 16-lane group (`1..=17`) and several groups (31, 33, 67).
fn channel_counts(name: &str) -> Vec<usize> {
    if reduced() && name != "envelope" {
        (1..=17).chain([31, 33, MAX]).collect()
    } else {
        (1..=MAX).collect()
    }
}

/// Frame counts of case `name`, as [`channel_counts`]: in the reduced
/// matrix the other cases take every remainder of a 16-frame register
/// (`0..=17`), a block kernel's tile edges (63, 64, 65) and a few more.
fn frame_counts(name: &str) -> Vec<usize> {
    if reduced() && name != "envelope" {
        (0..=17).chain([31, 32, 33, 63, 64, 65, MAX]).collect()
    } else {
        (0..=MAX).collect()
    }
}

/// Every tail of kernel case `K` on every available ISA; the reference is
/// computed once per channel count (outputs are causal, so the first
/// `frames` frames of the `MAX`-frame reference are the `frames`-frame
/// reference).
fn every_tail_in_exact_buffers<K: KernelCase>() {
    let layouts = [
        Layout::Planar,
        Layout::PlanarInPlace,
        Layout::Interleaved,
        Layout::InterleavedInPlace,
    ];
    let isas: Vec<Isa> = Isa::ALL.into_iter().filter(|i| i.is_available()).collect();
    let mut rng = common::rng(0x7a11);
    for channels in channel_counts(K::NAME) {
        let settings = K::settings(&mut rng, channels);
        let input: Planes = (0..channels)
            .map(|c| (0..MAX).map(|f| sample(c, f)).collect())
            .collect();
        let want = K::reference(&settings, &input, None);
        for &isa in &isas {
            let mut proc = K::build(isa, &settings);
            for &frames in &frame_counts(K::NAME) {
                for layout in layouts {
                    let got = run(&mut proc, layout, frames);
                    for (c, (g, w)) in got.iter().zip(&want).enumerate() {
                        let w = &w[..frames];
                        if let Some(f) = (0..frames).find(|&f| g[f].to_bits() != w[f].to_bits()) {
                            panic!(
                                "{}, {isa}, {layout:?}, {channels} ch x {frames} frames: channel \
                                 {c}, frame {f}: got {:#010x}, reference {:#010x} ({settings:?})",
                                K::NAME,
                                g[f].to_bits(),
                                w[f].to_bits()
                            );
                        }
                    }
                }
            }
        }
    }
    let missing: Vec<Isa> = Isa::ALL.into_iter().filter(|i| !isas.contains(i)).collect();
    println!(
        "tails: {}, exact buffers, {} channel counts x {} frame counts up to {MAX}, checked on \
         {isas:?}; not available here: {missing:?}",
        K::NAME,
        channel_counts(K::NAME).len(),
        frame_counts(K::NAME).len()
    );
}

macro_rules! tails {
    ($($test:ident: $case:ty),* $(,)?) => {$(
        #[test]
        fn $test() {
            every_tail_in_exact_buffers::<$case>();
        }
    )*};
}

every_case!(tails);
