//! The direct planar path (`kernels/src/drive/planar.rs`): channel slices
//! starting at every offset within a cache line, each channel at its own
//! offset, in and out of place, and a call large enough for non-temporal
//! stores, on every available ISA, `to_bits`-equal to the portable ISA
//! (itself checked against the reference in `tests/equivalence.rs`) and,
//! for the envelope, to the reference loop.

mod common;

use lanedsp::{
    Buffers, Compressor, EnvelopeFollower, Isa, LinkMode, Processor, Settings, Sidechain, Time,
};
use lanedsp_kernels::policy::coefficient;
use lanedsp_kernels::reference;

const SAMPLE_RATE: f32 = 48_000.0;
const ATTACK: f32 = 0.001;
const RELEASE: f32 = 0.05;

/// Deterministic samples with a sprinkling of hostile values.
fn sample(c: usize, f: usize) -> f32 {
    let h = (c as u32 ^ 0x5bd1_e995)
        .wrapping_mul(0x9e37_79b9)
        .wrapping_add((f as u32).wrapping_mul(0x85eb_ca6b))
        .rotate_left(11)
        .wrapping_mul(0xc2b2_ae35);
    match h % 64 {
        0 => f32::NAN,
        1 => f32::INFINITY,
        2 => f32::from_bits(h >> 9),
        _ => (h >> 8) as f32 / (1u32 << 23) as f32 - 1.0,
    }
}

/// Per channel, a backing buffer and where in it the channel starts.
struct Planes {
    backing: Vec<Vec<f32>>,
    offsets: Vec<usize>,
    frames: usize,
}

impl Planes {
    fn new(channels: usize, frames: usize, offset: impl Fn(usize) -> usize) -> Planes {
        let offsets: Vec<usize> = (0..channels).map(offset).collect();
        let backing = offsets
            .iter()
            .enumerate()
            .map(|(c, &o)| {
                let mut v = vec![f32::NAN; o + frames];
                for (f, x) in v[o..].iter_mut().enumerate() {
                    *x = sample(c, f);
                }
                v
            })
            .collect();
        Planes {
            backing,
            offsets,
            frames,
        }
    }

    fn slices(&self) -> Vec<&[f32]> {
        let n = self.frames;
        self.backing
            .iter()
            .zip(&self.offsets)
            .map(|(v, &o)| &v[o..o + n])
            .collect()
    }

    fn slices_mut(&mut self) -> Vec<&mut [f32]> {
        let n = self.frames;
        self.backing
            .iter_mut()
            .zip(&self.offsets)
            .map(|(v, &o)| &mut v[o..o + n])
            .collect()
    }

    fn to_bits(&self) -> Vec<Vec<u32>> {
        self.slices()
            .iter()
            .map(|p| p.iter().map(|x| x.to_bits()).collect())
            .collect()
    }
}

/// Runs `p` over `input` out of place (into slices at `out_offset`) and in
/// place; returns both outputs' bits.
fn run<P: Processor>(
    p: &mut P,
    input: &mut Planes,
    out_offset: &dyn Fn(usize) -> usize,
) -> [Vec<Vec<u32>>; 2] {
    let channels = input.offsets.len();
    let mut output = Planes::new(channels, input.frames, out_offset);
    p.reset();
    p.process_planar(&input.slices(), &mut output.slices_mut())
        .expect("planar");
    let out_of_place = output.to_bits();
    p.reset();
    p.process_planar_in_place(&mut input.slices_mut())
        .expect("planar in place");
    [out_of_place, input.to_bits()]
}

fn follower(isa: Isa, channels: usize) -> EnvelopeFollower {
    EnvelopeFollower::new(SAMPLE_RATE, channels, ATTACK, RELEASE)
        .and_then(|e| e.with_isa(isa))
        .expect("valid settings")
}

fn compressor(isa: Isa, channels: usize) -> Compressor {
    let settings = Settings {
        threshold_db: -12.0,
        ratio: 4.0,
        knee_db: 6.0,
        attack: Time::Seconds(0.002),
        release: Time::Seconds(0.04),
        ..Settings::compressor()
    };
    let mut comp = Compressor::new(SAMPLE_RATE, channels, settings)
        .and_then(|c| c.with_isa(isa))
        .expect("valid settings");
    if channels >= 5 {
        // A link group across registers and one with a padding slot.
        comp.set_links(&[vec![0, channels - 1], vec![1, 2, 3]], 0.7, LinkMode::Max)
            .expect("valid groups");
    }
    comp
}

fn available() -> Vec<Isa> {
    let (isas, missing) = common::isa_status();
    for isa in missing {
        println!("planar: {isa} not available on this CPU, not run");
    }
    isas
}

#[test]
fn slices_at_every_offset_match_the_portable_isa() {
    let isas = available();
    // Short calls start squares at frame 0; long ones align them to the
    // first channel's cache lines (a tile pass before and after).
    for (channels, frames) in [
        (1, 1100),
        (3, 301),
        (16, 1100),
        (17, 301),
        (40, 1100),
        (67, 1030),
    ] {
        // The same offset for every channel (0..16 floats, every position
        // in a 64-byte line), then a different offset per channel.
        let layouts: Vec<Box<dyn Fn(usize) -> usize>> = (0..16)
            .map(|o: usize| Box::new(move |_| o) as Box<dyn Fn(usize) -> usize>)
            .chain([Box::new(|c: usize| (c * 5 + 3) % 16) as Box<dyn Fn(usize) -> usize>])
            .collect();
        for (i, offset) in layouts.iter().enumerate() {
            let out_offset = |c: usize| (offset(c) + i) % 16;
            let want_env = run(
                &mut follower(Isa::Scalar, channels),
                &mut Planes::new(channels, frames, offset),
                &out_offset,
            );
            let want_comp = run(
                &mut compressor(Isa::Scalar, channels),
                &mut Planes::new(channels, frames, offset),
                &out_offset,
            );
            for &isa in &isas {
                let got = run(
                    &mut follower(isa, channels),
                    &mut Planes::new(channels, frames, offset),
                    &out_offset,
                );
                assert_eq!(got, want_env, "envelope, {isa}, {channels} ch, layout {i}");
                let got = run(
                    &mut compressor(isa, channels),
                    &mut Planes::new(channels, frames, offset),
                    &out_offset,
                );
                assert_eq!(
                    got, want_comp,
                    "compressor, {isa}, {channels} ch, layout {i}"
                );
            }
        }
    }
    let names: Vec<&str> = isas.iter().map(|i| i.name()).collect();
    println!(
        "planar: every slice offset checked on [{}]",
        names.join(", ")
    );
}

#[test]
fn a_call_past_the_streaming_size_matches_the_reference() {
    // 64 x 131,100 floats: past the size from which whole aligned lines
    // are written with non-temporal stores (8 Mi floats), output slices at
    // every line offset.
    let (channels, frames) = (64, 131_100);
    let input = Planes::new(channels, frames, |_| 0);
    let (a, r) = (
        coefficient(ATTACK, SAMPLE_RATE),
        coefficient(RELEASE, SAMPLE_RATE),
    );
    let want: Vec<Vec<u32>> = input
        .slices()
        .iter()
        .map(|x| {
            let mut out = vec![0.0; frames];
            reference::envelope::process(x, &mut out, a, r, &mut 0.0);
            out.iter().map(|v| v.to_bits()).collect()
        })
        .collect();
    // Only ISAs whose registers are whole lines stream; on the others this
    // is the direct path, checked at every offset by the tests around it
    // (and slow under emulation: the portable ISA, NEON under qemu).
    let isas: Vec<Isa> = available()
        .into_iter()
        .filter(|isa| isa.lanes() * 4 == 64)
        .collect();
    for &isa in &isas {
        let mut env = follower(isa, channels);
        let mut output = Planes::new(channels, frames, |c| c % 16);
        env.process_planar(&input.slices(), &mut output.slices_mut())
            .expect("planar");
        assert!(
            output.to_bits() == want,
            "{isa}: differs from the reference"
        );
    }
    let names: Vec<&str> = isas.iter().map(|i| i.name()).collect();
    println!(
        "planar: a streaming-size call checked on [{}] (the ISAs here whose calls stream)",
        names.join(", ")
    );
}

#[test]
fn streaming_calls_in_place_linked_and_with_a_key_match_the_portable_isa() {
    // Every planar call streams (threshold 0), so short calls take the
    // path that calls past the cache size take: 67 channels (a partial
    // last register, link groups), input, output and key slices at mixed
    // line offsets, calls of less than one square, a few squares, and
    // long enough to align the squares. The envelope in and out of place;
    // the compressor in place, and out of place with a planar key.
    let channels = 67;
    let at = |c: usize| (c * 7 + 1) % 16;
    let out_at = |c: usize| (c * 3) % 16;
    let streaming = |isa: Isa| {
        (
            follower(isa, channels).with_stream_threshold(0),
            compressor(isa, channels).with_stream_threshold(0),
        )
    };
    let results = |isa: Isa, frames: usize| {
        let (mut env, mut comp) = streaming(isa);
        let envelope = run(&mut env, &mut Planes::new(channels, frames, at), &out_at);
        let key = Planes::new(channels, frames, |c| (c + 5) % 16);
        let mut input = Planes::new(channels, frames, at);
        let mut output = Planes::new(channels, frames, out_at);
        comp.process_sidechain(
            Buffers::Planar {
                input: &input.slices(),
                output: &mut output.slices_mut(),
            },
            Sidechain::Planar(&key.slices()),
        )
        .expect("planar with a key");
        comp.reset();
        comp.process_planar_in_place(&mut input.slices_mut())
            .expect("planar in place");
        (envelope, [output.to_bits(), input.to_bits()])
    };
    let isas = available();
    for frames in [5, 16, 47, 300, 2_011] {
        let want = results(Isa::Scalar, frames);
        for &isa in &isas {
            let (envelope, compressed) = results(isa, frames);
            assert!(
                envelope == want.0,
                "envelope, {isa}, {frames} frames: differs"
            );
            assert!(
                compressed == want.1,
                "compressor, {isa}, {frames} frames: differs"
            );
        }
    }
    let names: Vec<&str> = isas.iter().map(|i| i.name()).collect();
    println!(
        "planar: streaming calls (in place, linked, keyed) checked on [{}]",
        names.join(", ")
    );
}
