//! The numeric policy (docs/kernels.md): whatever the input, every state is
//! finite and never subnormal, and non-finite input stays in its channel.

mod common;

use common::{edge_values, rng};
use lanedsp::{EnvelopeFollower, Isa, Processor};
use lanedsp_kernels::policy::{INPUT_CEIL, INPUT_FLOOR, MIN_COEFF, coefficient};
use lanedsp_kernels::reference::{flush, follow, magnitude, sanitize};
use rand::RngExt;

#[test]
fn sanitize_maps_every_bit_pattern_class() {
    assert_eq!(sanitize(f32::NAN).to_bits(), 0);
    assert_eq!(sanitize(-f32::NAN).to_bits(), 0);
    assert_eq!(sanitize(f32::INFINITY), INPUT_CEIL);
    assert_eq!(sanitize(f32::NEG_INFINITY), -INPUT_CEIL);
    assert_eq!(sanitize(f32::MAX), INPUT_CEIL);
    assert_eq!(sanitize(-0.0).to_bits(), 0);
    assert_eq!(sanitize(f32::from_bits(1)).to_bits(), 0);
    assert_eq!(sanitize(f32::MIN_POSITIVE).to_bits(), 0);
    assert_eq!(sanitize(INPUT_FLOOR), INPUT_FLOOR);
    assert_eq!(sanitize(-0.25), -0.25);
}

/// The shortcuts the kernels take for `|sanitize(x)|` and for sanitizing a
/// value already in range give the same bits, over every 61st bit pattern
/// (both signs, every exponent) and the edge values.
#[test]
fn magnitude_and_flush_equal_their_sanitize_forms() {
    let patterns = (0..=u32::MAX).step_by(61).map(f32::from_bits);
    for x in patterns.chain(edge_values()) {
        assert_eq!(magnitude(x).to_bits(), sanitize(x).abs().to_bits(), "{x:e}");
        if !x.is_nan() && x.abs() <= INPUT_CEIL {
            assert_eq!(flush(x).to_bits(), sanitize(x).to_bits(), "{x:e}");
        }
    }
}

#[test]
fn state_is_always_zero_or_normal_and_finite() {
    // The proof in docs/kernels.md, checked over hostile random inputs and
    // every coefficient class, including the smallest non-zero one.
    let mut rng = rng(10);
    let edges = edge_values();
    let coeffs = [
        0.0,
        MIN_COEFF,
        1e-6,
        0.001,
        0.5,
        0.999,
        1.0 - f32::EPSILON / 2.0,
        1.0,
    ];
    for _ in 0..2_000 {
        let up = coeffs[rng.random_range(0..coeffs.len())];
        let down = coeffs[rng.random_range(0..coeffs.len())];
        let mut state = 0.0f32;
        for _ in 0..500 {
            let x = match rng.random_range(0..4u32) {
                0 => edges[rng.random_range(0..edges.len())],
                1 => 0.0,
                2 => f32::from_bits(rng.random::<u32>()),
                _ => rng.random_range(-1.0f32..1.0) * 10f32.powi(rng.random_range(-20..5)),
            };
            state = follow(state, sanitize(x), up, down);
            assert!(
                state.is_finite() && !state.is_subnormal(),
                "state {state:e} after {x:e} (up {up}, down {down})"
            );
        }
    }
}

#[test]
fn coefficients_are_zero_or_at_least_min_coeff() {
    for samples in [
        0.0f32,
        1e-9,
        0.01,
        0.1,
        1.0,
        1e3,
        1e9,
        1.07e9,
        1.08e9,
        1e12,
        f32::MAX,
    ] {
        let k = coefficient(samples, 1.0);
        assert!(
            k == 0.0 || (MIN_COEFF..=1.0).contains(&k),
            "{samples} samples -> {k}"
        );
    }
    assert_eq!(coefficient(0.0, 48_000.0), 1.0);
    assert_eq!(coefficient(1e12, 1.0), 0.0);
}

#[test]
fn non_finite_input_stays_in_its_channel_on_every_isa() {
    for isa in Isa::available() {
        let mut env = EnvelopeFollower::new(48_000.0, 3, 0.001, 0.1)
            .unwrap()
            .with_isa(isa)
            .unwrap();
        let clean: Vec<f32> = (0..512).map(|i| (i as f32 * 0.05).sin()).collect();
        let poisoned: Vec<f32> = clean
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                if i % 7 == 0 {
                    f32::NAN
                } else if i % 11 == 0 {
                    f32::INFINITY
                } else {
                    x
                }
            })
            .collect();
        let mut out = vec![vec![0.0; 512]; 3];
        {
            let mut outs: Vec<&mut [f32]> = out.iter_mut().map(|c| c.as_mut_slice()).collect();
            env.process_planar(&[&clean, &poisoned, &clean], &mut outs)
                .unwrap();
        }
        let mut alone = EnvelopeFollower::new(48_000.0, 1, 0.001, 0.1)
            .unwrap()
            .with_isa(isa)
            .unwrap();
        let mut want = vec![0.0; 512];
        alone.process_planar(&[&clean], &mut [&mut want]).unwrap();
        assert_eq!(out[0], want, "{isa}: channel 0 disturbed by channel 1");
        assert_eq!(out[2], want, "{isa}: channel 2 disturbed by channel 1");
        assert!(
            out[1].iter().all(|y| y.is_finite()),
            "{isa}: poisoned channel's state not finite"
        );
        assert!(env.envelope().iter().all(|y| y.is_finite()));
    }
}
