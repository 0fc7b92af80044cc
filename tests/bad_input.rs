//! Bad parameters and mismatched buffers are typed errors, never panics,
//! and leave the processor exactly as it was.

mod common;

use lanedsp::advanced::CompressorInternals;
use lanedsp::{BufferRole, EnvelopeFollower, Error, Isa, Processor, ShapeError};

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
    for n in [lanedsp::MAX_CHANNELS + 1, 1 << 40, usize::MAX] {
        assert_eq!(
            EnvelopeFollower::new(48_000.0, n, 0.1, 0.1).unwrap_err(),
            Error::TooManyChannels {
                got: n,
                max: lanedsp::MAX_CHANNELS
            }
        );
        assert!(matches!(
            lanedsp::Compressor::new(48_000.0, n, lanedsp::Settings::compressor()),
            Err(Error::TooManyChannels { .. })
        ));
    }
}

#[test]
fn a_zero_time_of_either_sign_follows_at_once() {
    for t in [0.0f32, -0.0] {
        let mut env = EnvelopeFollower::new(48_000.0, 1, t, t).unwrap();
        let mut buf = vec![0.5f32, 0.25, 0.75];
        env.process_interleaved_in_place(&mut buf).unwrap();
        assert_eq!(buf, [0.5, 0.25, 0.75], "time {t:?}");
        for time in [
            lanedsp::Time::Seconds(t),
            lanedsp::Time::FfmpegMs(t),
            lanedsp::Time::JuceMs(t),
            lanedsp::Time::Fundsp(t),
        ] {
            let s = lanedsp::Settings {
                attack: time,
                ..lanedsp::Settings::compressor()
            };
            let c = lanedsp::Compressor::new(48_000.0, 1, s).unwrap();
            assert_eq!(c.kernel_params(0).unwrap().smoother.attack, 1.0, "{time:?}");
        }
    }
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
                buffer: BufferRole::Output,
                channel: Some(1),
                expected: 64,
                got: 63,
            },
        ),
        (
            env.process_planar_in_place(&mut [&mut a, &mut b]),
            ShapeError::LengthMismatch {
                buffer: BufferRole::InPlace,
                channel: Some(1),
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
                buffer: BufferRole::Output,
                channel: None,
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

mod compressor {
    use lanedsp::{
        BufferRole, Compressor, Detection, Error, LinkMode, Makeup, Processor, Settings,
        ShapeError, Sidechain, Time,
    };

    fn comp(channels: usize) -> Compressor {
        Compressor::new(48_000.0, channels, Settings::compressor()).unwrap()
    }

    const NOT_FINITE: [f32; 3] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY];

    #[test]
    fn every_setting_out_of_range_is_a_typed_error() {
        let base = Settings::compressor();
        let mut bad: Vec<Settings> = Vec::new();
        for v in NOT_FINITE {
            bad.push(Settings {
                threshold_db: v,
                ..base
            });
            bad.push(Settings { knee_db: v, ..base });
            bad.push(Settings { mix: v, ..base });
            bad.push(Settings {
                range_db: v,
                ..base
            });
            bad.push(Settings {
                makeup: Makeup::Db(v),
                ..base
            });
            bad.push(Settings {
                attack: Time::Seconds(v),
                ..base
            });
            bad.push(Settings {
                release: Time::FfmpegMs(v),
                ..base
            });
            bad.push(Settings {
                detector_attack: Time::JuceMs(v),
                ..base
            });
            bad.push(Settings {
                detector_release: Time::Fundsp(v),
                ..base
            });
        }
        for r in [0.999, 0.0, -1.0, f32::NAN, f32::NEG_INFINITY] {
            bad.push(Settings { ratio: r, ..base });
        }
        for v in [-0.001, 1.001, 2.0] {
            bad.push(Settings { mix: v, ..base });
        }
        bad.push(Settings {
            knee_db: -1.0,
            ..base
        });
        bad.push(Settings {
            range_db: -1.0,
            ..base
        });
        bad.push(Settings {
            range_db: 601.0,
            ..base
        });
        bad.push(Settings {
            threshold_db: 1e9,
            ..base
        });
        bad.push(Settings {
            makeup: Makeup::Db(700.0),
            ..base
        });
        bad.push(Settings {
            attack: Time::Seconds(-0.1),
            ..base
        });
        for fraction in [0.0, 1.0, -0.5, f32::NAN] {
            bad.push(Settings {
                attack: Time::ToFraction {
                    seconds: 0.01,
                    fraction,
                },
                ..base
            });
        }
        // A bad fraction names the time it belongs to.
        let err = Compressor::new(
            48_000.0,
            2,
            Settings {
                release: Time::ToFraction {
                    seconds: 0.1,
                    fraction: 1.5,
                },
                ..base
            },
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Parameter {
                    name: "release",
                    ..
                }
            ),
            "{err}"
        );
        for s in bad {
            let err = Compressor::new(48_000.0, 2, s).unwrap_err();
            assert!(
                matches!(err, Error::Parameter { .. } | Error::Time { .. }),
                "{s:?}: {err}"
            );
            let mut c = comp(2);
            assert!(c.set_settings(s).is_err());
            assert!(c.set_channel_settings(1, s).is_err());
        }
        assert!(matches!(
            Compressor::new(0.0, 2, base),
            Err(Error::SampleRate(_))
        ));
        assert_eq!(
            Compressor::new(48_000.0, 0, base).unwrap_err(),
            Error::NoChannels
        );
        assert!(matches!(
            comp(2).set_channel_settings(2, base),
            Err(Error::ChannelIndex { .. })
        ));
    }

    #[test]
    fn extreme_but_valid_settings_work() {
        for s in [
            Settings {
                ratio: f32::INFINITY,
                knee_db: 0.0,
                range_db: 0.0,
                ..Settings::compressor()
            },
            Settings {
                ratio: 1.0,
                knee_db: 1200.0,
                threshold_db: -600.0,
                ..Settings::compressor()
            },
            Settings {
                threshold_db: 600.0,
                makeup: Makeup::Auto,
                mix: 0.0,
                ..Settings::expander()
            },
            Settings {
                attack: Time::Seconds(1e30),
                release: Time::FfmpegMs(0.0),
                ..Settings::gate()
            },
        ] {
            let mut c = Compressor::new(48_000.0, 3, s).unwrap();
            let mut frames = vec![f32::MAX; 3 * 100];
            c.process_interleaved_in_place(&mut frames).unwrap();
            assert!(frames.iter().all(|y| y.is_finite()), "{s:?}");
        }
    }

    #[test]
    fn link_errors_are_typed_and_change_nothing() {
        let mut c = comp(20);
        let cases: Vec<(Vec<Vec<usize>>, f32)> = vec![
            (vec![vec![0, 20]], 1.0),
            (vec![vec![0, 1], vec![1, 2]], 1.0),
            (vec![vec![3, 3]], 1.0),
            (vec![(0..17).collect()], 1.0),
            (vec![vec![0, 1]], 1.5),
            (vec![vec![0, 1]], f32::NAN),
        ];
        for (groups, amount) in cases {
            assert!(
                c.set_links(&groups, amount, LinkMode::Max).is_err(),
                "{groups:?} {amount}"
            );
            assert!(!c.is_linked());
        }
        c.set_channel_settings(
            5,
            Settings {
                detection: Detection::Rms,
                ..Settings::compressor()
            },
        )
        .unwrap();
        assert_eq!(
            c.set_links(&[vec![4, 5]], 1.0, LinkMode::Mean).unwrap_err(),
            Error::LinkDetection { channel: 4 }
        );
        c.set_links(&[vec![0, 1], (6..20).collect()], 1.0, LinkMode::Mean)
            .unwrap();
        assert!(c.is_linked());
        let rms = Settings {
            detection: Detection::Rms,
            ..Settings::compressor()
        };
        assert_eq!(
            c.set_channel_settings(7, rms).unwrap_err(),
            Error::LinkDetection { channel: 6 }
        );
        assert_eq!(
            c.settings(7),
            Some(&Settings::compressor()),
            "rejected change kept out"
        );
        assert!(c.set_link_amount(-0.1).is_err());
    }

    #[test]
    fn mismatched_sidechains_are_errors_and_change_nothing() {
        let mut c = comp(2);
        let x = vec![0.5f32; 128];
        let mut out = vec![0.0f32; 128];
        let short = vec![0.5f32; 126];
        let planes: [&[f32]; 2] = [&x[..64], &x[..64]];
        let cases = [
            (
                Sidechain::Interleaved(&short),
                ShapeError::LengthMismatch {
                    buffer: BufferRole::Key,
                    channel: None,
                    expected: 128,
                    got: 126,
                },
            ),
            (
                Sidechain::Interleaved(&short[..125]),
                ShapeError::PartialFrame {
                    len: 125,
                    channels: 2,
                },
            ),
            (
                Sidechain::Planar(&planes[..1]),
                ShapeError::ChannelMismatch {
                    expected: 2,
                    got: 1,
                },
            ),
        ];
        for (key, shape) in cases {
            let result = c.process_sidechain(
                lanedsp::Buffers::Interleaved {
                    input: &x,
                    output: &mut out,
                },
                key,
            );
            assert_eq!(result, Err(Error::Shape(shape)));
        }
        assert!(out.iter().all(|&y| y == 0.0));
        assert_eq!(c.gain_reduction_db(0), 0.0);
        // The right shapes work, planar key with interleaved main included.
        c.process_sidechain(
            lanedsp::Buffers::Interleaved {
                input: &x,
                output: &mut out,
            },
            Sidechain::Planar(&planes),
        )
        .unwrap();
    }

    #[test]
    fn thousands_of_channels_work() {
        let mut c = comp(4096);
        c.set_links(
            &[(0..16).collect(), vec![100, 2000, 4095]],
            0.5,
            LinkMode::Max,
        )
        .unwrap();
        let mut frames = vec![0.25f32; 4096 * 8];
        c.process_interleaved_in_place(&mut frames).unwrap();
        assert!(frames.iter().all(|y| y.is_finite()));
    }

    /// Fuzz finding (fuzz/regressions/compressor-output-overflow.md): a
    /// +600 dB gain on an input near `2^60` overflowed to infinity.
    #[test]
    fn the_largest_gain_on_the_largest_input_stays_finite_on_every_isa() {
        let s = Settings {
            ratio: 1.0,
            makeup: Makeup::Db(600.0),
            ..Settings::compressor()
        };
        for isa in lanedsp::Isa::available() {
            let mut c = Compressor::new(48_000.0, 3, s)
                .unwrap()
                .with_isa(isa)
                .unwrap();
            let mut frames = [f32::INFINITY, f32::NEG_INFINITY, 1e30, f32::NAN, 1.0, -1.0];
            c.process_interleaved_in_place(&mut frames).unwrap();
            // 1.0 at +600 dB (about 2^99.7) is finite without saturating.
            assert_eq!(
                frames[..4].iter().map(|y| y.to_bits()).collect::<Vec<_>>(),
                [f32::MAX, -f32::MAX, f32::MAX, 0.0].map(f32::to_bits),
                "{isa}"
            );
            assert!(frames[4] > 1e29 && frames[4] < f32::MAX && frames[5] == -frames[4]);
        }
    }
}

#[test]
fn length_errors_name_the_buffer_and_the_channel() {
    let mut env = follower();
    let x = vec![0.5f32; 64];
    let (mut a, mut b) = (vec![0.0f32; 64], vec![0.0f32; 63]);
    let err = env
        .process_planar(&[&x, &x], &mut [&mut a, &mut b])
        .unwrap_err();
    let Error::Shape(shape) = err else {
        panic!("{err}")
    };
    assert_eq!(
        shape.to_string(),
        "output channel 1 holds 63 samples, expected 64"
    );
    let err = env.process_interleaved(&x, &mut b).unwrap_err();
    assert!(
        err.to_string()
            .contains("output holds 63 samples, expected 64"),
        "{err}"
    );
}
