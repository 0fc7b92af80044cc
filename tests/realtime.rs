//! No process call allocates: a counting global allocator watches every
//! layout, channel count and ISA (this file is its own test binary, so the
//! allocator sees nothing else; it counts per thread). Every kernel case of
//! the equivalence harness (tests/common/cases.rs) is checked by
//! [`case_does_not_allocate`]; the tests after it add each processor's
//! setters and special calls.

mod common;

use common::cases::{KernelCase, every_case};
use lanedsp::{
    Buffers, Compressor, EnvelopeFollower, Isa, LinkMode, LoudnessMeter, Processor, Settings,
    Sidechain,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    /// Allocations made by this thread (tests run on several threads).
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    ALLOCATIONS.with(|n| n.set(n.get() + 1));
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: forwards every call to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Kernel case `K` with random settings, on every ISA at 1, 3, 16, 17 and
/// 67 channels: every layout (separate and in place, planar and
/// interleaved), hostile input, then `reset`, with no allocation.
fn case_does_not_allocate<K: KernelCase>() {
    let mut rng = common::rng(0x5a11);
    for isa in Isa::available() {
        for channels in [1, 3, 16, 17, 67] {
            let settings = K::settings(&mut rng, channels);
            let mut proc = K::build(isa, &settings);
            let input = common::planes(&mut rng, channels, 700, 0.02);
            let mut output = input.clone();
            let ins: Vec<&[f32]> = input.iter().map(Vec::as_slice).collect();
            let mut outs: Vec<&mut [f32]> = output.iter_mut().map(Vec::as_mut_slice).collect();
            let frames = common::interleave(&input);
            let mut frames_out = frames.clone();

            let before = allocations();
            proc.process_planar(&ins, &mut outs).unwrap();
            proc.process_planar_in_place(&mut outs).unwrap();
            proc.process_interleaved(&frames, &mut frames_out).unwrap();
            proc.process_interleaved_in_place(&mut frames_out).unwrap();
            proc.reset();
            assert_eq!(
                allocations(),
                before,
                "{}, {isa}, {channels} channels: a process call or reset allocated ({settings:?})",
                K::NAME
            );
        }
    }
    println!("{}: no allocation on {:?}", K::NAME, Isa::available());
}

macro_rules! no_allocation {
    ($($test:ident: $case:ty),* $(,)?) => {$(
        #[test]
        fn $test() {
            case_does_not_allocate::<$case>();
        }
    )*};
}

every_case!(no_allocation);

/// The equalizer's band changes after audio went through start a
/// crossfade; neither the change (same band count) nor the calls that
/// crossfade allocate, on every ISA, in every layout.
#[test]
fn eq_crossfades_do_not_allocate() {
    let mut rng = common::rng(0xe0);
    for isa in Isa::available() {
        for channels in [1, 2, 17] {
            let bands = common::cases::random_bands(&mut rng, 1)[0].clone();
            let other: Vec<lanedsp::Band> = (0..bands.len())
                .map(|_| common::cases::random_band(&mut rng))
                .collect();
            let mut eq = lanedsp::Equalizer::new(48_000.0, channels, &bands)
                .and_then(|e| e.with_isa(isa))
                .unwrap();
            let input = common::planes(&mut rng, channels, 300, 0.01);
            let mut output = input.clone();
            let ins: Vec<&[f32]> = input.iter().map(Vec::as_slice).collect();
            let mut outs: Vec<&mut [f32]> = output.iter_mut().map(Vec::as_mut_slice).collect();
            let frames = common::interleave(&input);
            let mut frames_out = frames.clone();
            eq.process_planar(&ins, &mut outs).unwrap();
            let before = allocations();
            for round in 0..4 {
                eq.set_bands(if round % 2 == 0 { &other } else { &bands })
                    .unwrap();
                eq.process_planar(&ins, &mut outs).unwrap();
                eq.process_planar_in_place(&mut outs).unwrap();
                eq.set_channel_bands(0, &bands).unwrap();
                eq.process_interleaved(&frames, &mut frames_out).unwrap();
                eq.process_interleaved_in_place(&mut frames_out).unwrap();
            }
            assert_eq!(
                allocations(),
                before,
                "{isa}, {channels} channels: allocated"
            );
        }
    }
}

/// The loudness meter (not an audio processor, so not a kernel case): its
/// process calls and readings, with and without true peak, every ISA.
#[test]
fn meter_process_calls_and_readings_do_not_allocate() {
    let mut rng = common::rng(0x3e7e);
    for isa in Isa::available() {
        for (channels, true_peak) in [(1, true), (2, false), (6, true), (17, true)] {
            let mut meter = LoudnessMeter::new(48_000.0, channels)
                .and_then(|m| m.with_isa(isa))
                .unwrap()
                .with_true_peak(true_peak);
            let input = common::planes(&mut rng, channels, 30_000, 0.001);
            let ins: Vec<&[f32]> = input.iter().map(Vec::as_slice).collect();
            let frames = common::interleave(&input);
            let before = allocations();
            meter.process_planar(&ins).unwrap();
            meter.process_interleaved(&frames).unwrap();
            let readings = (
                meter.momentary(),
                meter.short_term(),
                meter.integrated(),
                meter.loudness_range(),
                meter.sample_peak(0).unwrap(),
                meter.true_peak(0).unwrap(),
            );
            meter.reset();
            assert_eq!(
                allocations(),
                before,
                "{isa}, {channels} channels, true peak {true_peak}: allocated ({readings:?})"
            );
        }
    }
}

#[test]
fn process_calls_do_not_allocate() {
    for isa in Isa::available() {
        for channels in [1, 3, 16, 17, 64, 67] {
            let len = 1000;
            let mut env = EnvelopeFollower::new(48_000.0, channels, 0.001, 0.1)
                .unwrap()
                .with_isa(isa)
                .unwrap();
            let input: Vec<Vec<f32>> = (0..channels).map(|c| vec![0.1 * c as f32; len]).collect();
            let mut output = input.clone();
            let ins: Vec<&[f32]> = input.iter().map(Vec::as_slice).collect();
            let mut outs: Vec<&mut [f32]> = output.iter_mut().map(Vec::as_mut_slice).collect();
            let frames = vec![0.25f32; len * channels];
            let mut frames_out = frames.clone();

            let before = allocations();
            env.process_planar(&ins, &mut outs).unwrap();
            env.process_planar_in_place(&mut outs).unwrap();
            env.process_interleaved(&frames, &mut frames_out).unwrap();
            env.process_interleaved_in_place(&mut frames_out).unwrap();
            let _ = env.process_interleaved(&frames[1..], &mut frames_out[1..]);
            env.set_times(0.002, 0.2).unwrap();
            env.reset();
            let after = allocations();
            // The streaming planar path (threshold 0: every planar call).
            let mut env = env.with_stream_threshold(0);
            let before_stream = allocations();
            env.process_planar(&ins, &mut outs).unwrap();
            env.process_planar_in_place(&mut outs).unwrap();
            assert_eq!(
                allocations(),
                before_stream,
                "{isa}, {channels} channels: allocated in a streaming call"
            );
            assert_eq!(
                after, before,
                "{isa}, {channels} channels: allocated in a process call"
            );
        }
    }
}

#[test]
fn compressor_process_calls_and_realtime_setters_do_not_allocate() {
    for isa in Isa::available() {
        for (channels, linked) in [(1, false), (2, true), (17, false), (67, true)] {
            let len = 500;
            let mut comp = Compressor::new(48_000.0, channels, Settings::compressor())
                .unwrap()
                .with_isa(isa)
                .unwrap();
            if linked {
                let groups: Vec<Vec<usize>> =
                    (0..channels / 3).map(|g| vec![3 * g, 3 * g + 2]).collect();
                comp.set_links(&groups, 0.8, LinkMode::Mean).unwrap();
            }
            let input: Vec<Vec<f32>> = (0..channels).map(|c| vec![0.1 * c as f32; len]).collect();
            let mut output = input.clone();
            let ins: Vec<&[f32]> = input.iter().map(Vec::as_slice).collect();
            let mut outs: Vec<&mut [f32]> = output.iter_mut().map(Vec::as_mut_slice).collect();
            let frames = vec![0.25f32; len * channels];
            let mut frames_out = frames.clone();

            // The streaming planar path (threshold 0: every planar call).
            let mut streaming = comp.clone().with_stream_threshold(0);
            let before = allocations();
            comp.process_planar(&ins, &mut outs).unwrap();
            comp.process_planar_in_place(&mut outs).unwrap();
            let before_stream = allocations();
            streaming.process_planar(&ins, &mut outs).unwrap();
            streaming.process_planar_in_place(&mut outs).unwrap();
            assert_eq!(
                allocations(),
                before_stream,
                "{isa}: streaming call allocated"
            );
            comp.process_interleaved(&frames, &mut frames_out).unwrap();
            comp.process_interleaved_in_place(&mut frames_out).unwrap();
            comp.process_sidechain(
                Buffers::Interleaved {
                    input: &frames,
                    output: &mut frames_out,
                },
                Sidechain::Planar(&ins),
            )
            .unwrap();
            comp.set_settings(Settings {
                threshold_db: -30.0,
                ..Settings::compressor()
            })
            .unwrap();
            comp.set_channel_settings(0, Settings::gate()).ok();
            comp.set_link_amount(0.2).unwrap();
            let _ = (comp.gain_reduction_db(0), comp.peak_reduction_db(0));
            comp.reset_meters();
            comp.reset();
            let after = allocations();
            assert_eq!(after, before, "{isa}, {channels} channels: allocated");
        }
    }
}

#[test]
fn stage_process_calls_and_reset_do_not_allocate() {
    use lanedsp::stages::{GainApply, GainComputer, GainSmoother, LevelDetector};
    for isa in Isa::available() {
        for channels in [1, 17, 67] {
            let s = vec![Settings::compressor(); channels];
            let fs = 48_000.0;
            let mut stages: Vec<Box<dyn Processor>> = vec![
                Box::new(LevelDetector::new(fs, &s).unwrap().with_isa(isa).unwrap()),
                Box::new(GainComputer::new(fs, &s).unwrap().with_isa(isa).unwrap()),
                Box::new(GainSmoother::new(fs, &s).unwrap().with_isa(isa).unwrap()),
                Box::new(GainApply::new(fs, &s).unwrap().with_isa(isa).unwrap()),
            ];
            let frames = vec![0.25f32; 300 * channels];
            let mut frames_out = frames.clone();
            for stage in &mut stages {
                let before = allocations();
                stage.process_interleaved(&frames, &mut frames_out).unwrap();
                stage.process_interleaved_in_place(&mut frames_out).unwrap();
                stage.reset();
                assert_eq!(
                    allocations(),
                    before,
                    "{isa}, {channels} channels: a stage's process call or reset allocated"
                );
            }
        }
    }
}
