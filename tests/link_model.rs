//! Linking against a model written from docs/kernels.md ("Linking") alone,
//! not from the code's slot plan or padding: with the detectors following
//! at once and the amount at 1, every member of a group is driven by the
//! group's level, which is the maximum of the members' levels, or their
//! sum times `f32(1 / members)`. So a linked member's output equals an
//! unlinked compressor's driven through its sidechain by that level.
//!
//! The levels are whole numbers in `[32, 64)`: every sum is exact whatever
//! the order of the butterfly, and the member's `fma(1, group - env, env)`
//! gives `group` exactly (the difference is exact by Sterbenz's lemma), so
//! the model needs no knowledge of the reduction order.
//!
//! Every group size 1..=16 at every offset inside a 16-slot block (and in
//! the second block), its members in channel order (the identity plan's
//! case) and shuffled, in both modes, every layout, every ISA this CPU has.

mod common;

use common::{Layout, Planes, run, run_keyed};
use lanedsp::{Compressor, Isa, LinkMode, Processor, Settings, Time};
use std::collections::HashMap;

const FS: f32 = 48_000.0;
const FRAMES: usize = 37;

fn settings() -> Settings {
    Settings {
        threshold_db: -20.0,
        knee_db: 6.0,
        attack: Time::Seconds(0.0),
        release: Time::Seconds(0.0),
        ..Settings::compressor()
    }
}

/// The level of channel `c` of a test: a whole number in `[32, 64)`.
fn level(c: usize, salt: usize) -> f32 {
    (32 + (c * 7 + salt * 13) % 32) as f32
}

/// The model's group level (docs/kernels.md, "Linking").
fn group_level(levels: &[f32], mode: LinkMode) -> f32 {
    match mode {
        LinkMode::Max => levels.iter().copied().fold(0.0, f32::max),
        LinkMode::Mean => {
            let sum: f32 = levels.iter().sum();
            sum * (1.0 / levels.len() as f64) as f32
        }
    }
}

/// Output of an unlinked one-channel compressor on `x` with its detector
/// driven by `key`, memoised: the expected bits of a member.
struct Expected(HashMap<(u32, u32), Vec<f32>>);

impl Expected {
    fn get(&mut self, x: f32, key: f32) -> &[f32] {
        self.0
            .entry((x.to_bits(), key.to_bits()))
            .or_insert_with(|| {
                let mut comp = Compressor::new(FS, 1, settings())
                    .and_then(|c| c.with_isa(Isa::Scalar))
                    .expect("valid");
                let input = vec![vec![x; FRAMES]];
                let key = vec![vec![key; FRAMES]];
                run_keyed(&mut comp, Layout::Planar, &input, &key, false)
                    .pop()
                    .expect("one channel")
            })
    }
}

#[derive(Debug, Clone, Copy)]
enum Order {
    InOrder,
    Shuffled,
}

/// One placement: `n` members starting at channel `at`, `extra` unlinked
/// channels after them; returns the first mismatch.
#[allow(clippy::too_many_arguments)]
fn check(
    isa: Isa,
    n: usize,
    at: usize,
    order: Order,
    mode: LinkMode,
    layout: Layout,
    expected: &mut Expected,
) -> Result<(), String> {
    let channels = at + n + 3;
    let salt = n * 31 + at;
    let mut group: Vec<usize> = (at..at + n).collect();
    if let Order::Shuffled = order {
        // A fixed derangement-like rotation and reversal.
        group.rotate_left(n / 3);
        group.reverse();
    }
    let mut comp = Compressor::new(FS, channels, settings())
        .and_then(|c| c.with_isa(isa))
        .expect("valid");
    comp.set_links(std::slice::from_ref(&group), 1.0, mode)
        .map_err(|e| e.to_string())?;
    let input: Planes = (0..channels)
        .map(|c| vec![level(c, salt); FRAMES])
        .collect();
    let got = run(&mut comp, layout, &input);
    let members: Vec<f32> = group.iter().map(|&c| level(c, salt)).collect();
    let g = group_level(&members, mode);
    for (c, out) in got.iter().enumerate() {
        let x = level(c, salt);
        let key = if group.contains(&c) { g } else { x };
        let want = expected.get(x, key);
        if let Some(f) = (0..FRAMES).find(|&f| out[f].to_bits() != want[f].to_bits()) {
            return Err(format!(
                "{isa}, {n} members from channel {at} ({order:?}), {mode:?}, {layout:?}: \
                 channel {c} frame {f} is {:#010x}, the model gives {:#010x} \
                 (group level {g})",
                out[f].to_bits(),
                want[f].to_bits()
            ));
        }
    }
    Ok(())
}

#[test]
fn every_group_size_and_offset_matches_the_model() {
    let mut expected = Expected(HashMap::new());
    let mut failures = Vec::new();
    let mut ran = Vec::new();
    let offsets: Vec<usize> = (0..16).chain([16, 21, 24, 27]).collect();
    // The emulated runs (LANEDSP_TEST_MATRIX set) keep every size and
    // offset but take one planar and one interleaved layout: the in-place
    // layouts go through the same paths.
    let layouts: &[Layout] = if std::env::var_os("LANEDSP_TEST_MATRIX").is_some() {
        &[Layout::Planar, Layout::Interleaved]
    } else {
        &Layout::ALL
    };
    for isa in lanedsp::available_isas() {
        for n in 1..=16 {
            for &at in &offsets {
                for order in [Order::InOrder, Order::Shuffled] {
                    for mode in [LinkMode::Max, LinkMode::Mean] {
                        for &layout in layouts {
                            if let Err(e) = check(isa, n, at, order, mode, layout, &mut expected) {
                                failures.push(e);
                            }
                        }
                    }
                }
            }
        }
        ran.push(isa.name());
    }
    println!("link model checked on [{}]", ran.join(", "));
    assert!(
        failures.is_empty(),
        "{} placements differ from the model, e.g.:\n{}",
        failures.len(),
        failures[..failures.len().min(12)].join("\n")
    );
}

/// The reproducer: 9 channels linked in order (Max), channel 8
/// loud; channel 4 must be reduced as much as channel 8 on every ISA.
#[test]
fn nine_in_order_share_the_loudest_level() {
    for isa in lanedsp::available_isas() {
        let mut comp = Compressor::new(48_000.0, 9, Settings::compressor())
            .and_then(|c| c.with_isa(isa))
            .expect("valid");
        comp.set_links(&[(0..9).collect()], 1.0, LinkMode::Max)
            .expect("valid");
        let mut frames: Vec<f32> = (0..4800 * 9)
            .map(|i| if i % 9 == 8 { 1.0 } else { 0.01 })
            .collect();
        comp.process_interleaved_in_place(&mut frames)
            .expect("valid");
        let last = &frames[frames.len() - 9..];
        assert_eq!(last[4].to_bits(), 0x3ae9_19cb, "{isa}: channel 4");
        assert!(comp.gain_reduction_db(4) < -14.9, "{isa}");
    }
}

/// The reproducer: 7 equal channels, Mean: all see the same level.
#[test]
fn seven_equal_channels_mean_alike() {
    for isa in lanedsp::available_isas() {
        let mut comp = Compressor::new(48_000.0, 7, Settings::compressor())
            .and_then(|c| c.with_isa(isa))
            .expect("valid");
        comp.set_links(&[(0..7).collect()], 1.0, LinkMode::Mean)
            .expect("valid");
        let mut frames = vec![1.0f32; 4800 * 7];
        comp.process_interleaved_in_place(&mut frames)
            .expect("valid");
        let last = &frames[frames.len() - 7..];
        for c in 1..7 {
            assert_eq!(last[c].to_bits(), last[0].to_bits(), "{isa}: channel {c}");
            assert_eq!(
                comp.gain_reduction_db(c).to_bits(),
                comp.gain_reduction_db(0).to_bits(),
                "{isa}: channel {c}"
            );
        }
    }
}
