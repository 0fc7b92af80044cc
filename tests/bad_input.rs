//! Bad parameters and mismatched buffers are typed errors, never panics,
//! and leave the processor exactly as it was.

mod common;

use lanedsp::{EnvelopeFollower, Error, Isa, Processor, ShapeError};

fn follower() -> EnvelopeFollower {
    EnvelopeFollower::new(48_000.0, 2, 0.001, 0.1).unwrap()
}

const BAD_TIMES: [f32; 5] = [-1.0, -0.0001, f32::NAN, f32::INFINITY, f32::NEG_INFINITY];

#[test]
fn sample_rate_must_be_finite_and_positive() {
    for fs in [
        0.0,
        -0.0,
        -48_000.0,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
    ] {
        let err = EnvelopeFollower::new(fs, 2, 0.001, 0.1).unwrap_err();
        assert!(matches!(err, Error::SampleRate(_)), "{fs}: {err}");
    }
    assert!(EnvelopeFollower::new(f32::MIN_POSITIVE, 1, 0.0, 0.0).is_ok());
}

#[test]
fn times_must_be_finite_and_not_negative() {
    for t in BAD_TIMES {
        let err = EnvelopeFollower::new(48_000.0, 2, t, 0.1).unwrap_err();
        assert!(
            matches!(err, Error::Time { name: "attack", value } if value.to_bits() == t.to_bits()),
            "{err}"
        );
        let err = EnvelopeFollower::new(48_000.0, 2, 0.1, t).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Time {
                    name: "release",
                    ..
                }
            ),
            "{err}"
        );
        let mut env = follower();
        assert!(matches!(env.set_times(t, 0.1), Err(Error::Time { .. })));
        assert!(matches!(
            env.set_channel_times(1, 0.1, t),
            Err(Error::Time { .. })
        ));
    }
    // Huge but finite times are valid (the envelope barely moves).
    assert!(EnvelopeFollower::new(48_000.0, 1, 1e30, f32::MAX).is_ok());
}

#[test]
fn channels_must_be_at_least_one_and_indices_in_range() {
    assert_eq!(
        EnvelopeFollower::new(48_000.0, 0, 0.1, 0.1).unwrap_err(),
        Error::NoChannels
    );
    let mut env = follower();
    assert_eq!(
        env.set_channel_times(2, 0.1, 0.1).unwrap_err(),
        Error::ChannelIndex {
            index: 2,
            channels: 2
        }
    );
    assert!(EnvelopeFollower::new(48_000.0, 4096, 0.1, 0.1).is_ok());
}

#[test]
fn mismatched_buffers_are_errors_and_change_nothing() {
    let mut env = follower();
    let x = vec![0.5f32; 64];
    let mut a = vec![0.0f32; 64];
    let mut b = vec![0.0f32; 63];
    env.process_planar(&[&x, &x], &mut [&mut a, &mut vec![0.0; 64]])
        .unwrap();
    let state = env.envelope().to_vec();

    let cases: Vec<(Result<(), Error>, ShapeError)> = vec![
        (
            env.process_planar(&[&x], &mut [&mut a]),
            ShapeError::ChannelMismatch {
                expected: 2,
                got: 1,
            },
        ),
        (
            env.process_planar(&[&x, &x, &x], &mut [&mut a, &mut b]),
            ShapeError::ChannelMismatch {
                expected: 2,
                got: 3,
            },
        ),
        (
            env.process_planar(&[&x, &x], &mut [&mut a, &mut b]),
            ShapeError::LengthMismatch {
                expected: 64,
                got: 63,
            },
        ),
        (
            env.process_planar_in_place(&mut [&mut a, &mut b]),
            ShapeError::LengthMismatch {
                expected: 64,
                got: 63,
            },
        ),
        (
            env.process_planar_in_place(&mut [&mut a]),
            ShapeError::ChannelMismatch {
                expected: 2,
                got: 1,
            },
        ),
        (
            env.process_interleaved(&x, &mut b),
            ShapeError::LengthMismatch {
                expected: 64,
                got: 63,
            },
        ),
        (
            env.process_interleaved(&x[..63], &mut b),
            ShapeError::PartialFrame {
                len: 63,
                channels: 2,
            },
        ),
        (
            env.process_interleaved_in_place(&mut b),
            ShapeError::PartialFrame {
                len: 63,
                channels: 2,
            },
        ),
    ];
    for (result, shape) in cases {
        assert_eq!(result, Err(Error::Shape(shape)));
    }
    assert_eq!(
        env.envelope(),
        &state[..],
        "state changed by a rejected call"
    );
    assert!(
        a.iter().all(|&y| y != 0.0) && b.iter().all(|&y| y == 0.0),
        "output written by a rejected call"
    );
}

#[test]
fn empty_buffers_are_fine() {
    let mut env = follower();
    env.process_planar(&[&[], &[]], &mut [&mut [], &mut []])
        .unwrap();
    env.process_interleaved(&[], &mut []).unwrap();
    env.process_interleaved_in_place(&mut []).unwrap();
    env.process_planar_in_place(&mut [&mut [], &mut []])
        .unwrap();
    assert_eq!(env.envelope(), &[0.0, 0.0]);
}

#[test]
fn a_failed_parameter_change_keeps_the_old_parameters() {
    let mut a = follower();
    let mut b = follower();
    assert!(a.set_times(0.0001, f32::NAN).is_err());
    let x = vec![0.7f32; 100];
    let (mut ya, mut yb) = (vec![0.0; 200], vec![0.0; 200]);
    a.process_interleaved(&[x.clone(), x.clone()].concat(), &mut ya)
        .unwrap();
    b.process_interleaved(&[x.clone(), x].concat(), &mut yb)
        .unwrap();
    assert_eq!(ya, yb);
}

#[test]
fn forcing_an_unavailable_isa_is_an_error() {
    for isa in Isa::ALL {
        let result = follower().with_isa(isa);
        assert_eq!(result.is_ok(), isa.is_available(), "{isa}");
        if let Err(err) = result {
            assert_eq!(err, Error::Isa(lanedsp_kernels::IsaUnavailable(isa)));
        }
    }
}
