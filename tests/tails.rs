//! Tails: every frame count `0..=67` times every channel count `1..=67`, on
//! every available ISA and in every layout, in buffers whose heap allocation
//! is exactly as long as the data (`Box<[f32]>`: no spare capacity, every
//! planar channel its own allocation).
//!
//! Under AddressSanitizer (`.ci/sanitize`), any load or store past the end of
//! a buffer, such as a partial register at the last channels of an
//! interleaved frame or a planar tail, lands in a redzone and aborts the
//! run. Without a sanitizer the test still checks every output `to_bits`
//! against the scalar reference.

use lanedsp::{EnvelopeFollower, Isa, Processor};
use lanedsp_kernels::policy::coefficient;
use lanedsp_kernels::reference;

const MAX: usize = 67;
const SAMPLE_RATE: f32 = 48_000.0;

/// Per-channel times: instant, sub-sample, typical and huge.
fn times(c: usize) -> (f32, f32) {
    const T: [f32; 6] = [0.0, 1e-7, 0.001, 0.02, 0.3, 1e5];
    (T[c % 6], T[(c / 6 + c) % 6])
}

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

fn follower(isa: Isa, channels: usize) -> EnvelopeFollower {
    let mut env = EnvelopeFollower::new(SAMPLE_RATE, channels, 0.0, 0.0)
        .and_then(|e| e.with_isa(isa))
        .expect("valid settings");
    for c in 0..channels {
        let (a, r) = times(c);
        env.set_channel_times(c, a, r).expect("valid times");
    }
    env
}

/// The reference output of channel `c` for `frames` frames from rest.
fn reference(c: usize, frames: usize) -> Vec<f32> {
    let (a, r) = times(c);
    let input: Vec<f32> = (0..frames).map(|f| sample(c, f)).collect();
    let mut out = vec![0.0; frames];
    let mut env = 0.0;
    reference::envelope::process(
        &input,
        &mut out,
        coefficient(a, SAMPLE_RATE),
        coefficient(r, SAMPLE_RATE),
        &mut env,
    );
    out
}

#[derive(Clone, Copy, Debug)]
enum Layout {
    Planar,
    PlanarInPlace,
    Interleaved,
    InterleavedInPlace,
}

/// Runs `frames` frames from rest in `layout`; returns output channels.
fn run(env: &mut EnvelopeFollower, layout: Layout, frames: usize) -> Vec<Vec<f32>> {
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

#[test]
fn every_tail_in_exact_buffers() {
    let layouts = [
        Layout::Planar,
        Layout::PlanarInPlace,
        Layout::Interleaved,
        Layout::InterleavedInPlace,
    ];
    let mut ran = Vec::new();
    for isa in Isa::ALL {
        if !isa.is_available() {
            println!("tails: {isa} not available on this CPU, not run");
            continue;
        }
        for channels in 1..=MAX {
            let mut env = follower(isa, channels);
            let want: Vec<Vec<f32>> = (0..channels).map(|c| reference(c, MAX)).collect();
            for frames in 0..=MAX {
                for layout in layouts {
                    let got = run(&mut env, layout, frames);
                    for (c, (g, w)) in got.iter().zip(&want).enumerate() {
                        let w = &w[..frames];
                        if let Some(f) = (0..frames).find(|&f| g[f].to_bits() != w[f].to_bits()) {
                            panic!(
                                "{isa}, {layout:?}, {channels} ch x {frames} frames: channel {c}, \
                                 frame {f}: got {:#010x}, reference {:#010x}",
                                g[f].to_bits(),
                                w[f].to_bits()
                            );
                        }
                    }
                }
            }
        }
        ran.push(isa.name());
    }
    println!(
        "tails: exact buffers, 1..={MAX} ch x 0..={MAX} frames, checked on [{}]",
        ran.join(", ")
    );
}
