//! Parameters at the edges of their valid ranges: tiny knees (items 3 of
//! the independent check), subnormal and tiny values of every parameter
//! (item 4), checked on every ISA with and without the CPU flushing
//! subnormals (x86-64 FTZ/DAZ, AArch64 FZ): the output must not depend on
//! the caller's floating-point environment (docs/kernels.md, sections 1
//! and 7).

use lanedsp::stages::GainComputer;
use lanedsp::{Compressor, LinkMode, MIN_KNEE_DB, Makeup, Mode, Processor, Settings, Time};
use lanedsp_kernels::with_subnormals_flushed;

const FS: f32 = 48_000.0;

fn dc(comp: &mut impl Processor, channels: usize, value: f32, frames: usize) -> Vec<f32> {
    let mut buf = vec![value; channels * frames];
    comp.process_interleaved_in_place(&mut buf).expect("valid");
    buf
}

fn bits(xs: &[f32]) -> Vec<u32> {
    xs.iter().map(|x| x.to_bits()).collect()
}

/// The reproducer: a knee of 1e-40 dB at a 0 dB threshold left DC
/// 1.0 at -60 dB; any knee below `MIN_KNEE_DB` is now a hard knee, so it
/// gives the hard knee's bits, on every ISA.
#[test]
fn knees_below_the_minimum_are_hard() {
    for isa in lanedsp::available_isas() {
        for mode in [Mode::Compress, Mode::Expand, Mode::CompressUpward] {
            for ratio in [4.0, f32::INFINITY] {
                let at = |knee_db: f32| {
                    let s = Settings {
                        mode,
                        ratio,
                        threshold_db: 0.0,
                        knee_db,
                        range_db: 60.0,
                        attack: Time::Seconds(0.0),
                        release: Time::Seconds(0.0),
                        ..Settings::compressor()
                    };
                    let mut comp = Compressor::new(FS, 1, s)
                        .and_then(|c| c.with_isa(isa))
                        .expect("valid");
                    bits(&dc(&mut comp, 1, 1.0, 64))
                };
                let hard = at(0.0);
                for knee in [
                    1e-45,
                    1e-40,
                    1.1e-39,
                    1.5e-33,
                    1e-20,
                    1e-10,
                    MIN_KNEE_DB * 0.99,
                ] {
                    assert_eq!(
                        at(knee),
                        hard,
                        "{isa} {mode:?} ratio {ratio}: knee {knee:e}"
                    );
                }
                // At the threshold the narrowest knee changes the gain by
                // slope * W / 8 dB: at most 0.125 dB with the expander's
                // largest slope (10^6).
                let y = f32::from_bits(at(MIN_KNEE_DB)[63]);
                assert!(
                    (0.98..=1.02).contains(&y),
                    "{isa} {mode:?}: knee at minimum gives {y}"
                );
            }
        }
    }
}

/// Every parameter at its edges: the ends of its range, subnormal and
/// tiny values. The output is finite and the same bits with and without
/// subnormal flushing, on every ISA.
#[test]
fn edge_parameters_do_not_depend_on_the_fp_environment() {
    let tiny = [0.0, 1e-45, -1e-45, 1e-40, 1.2e-38, 1e-30, 2e-29];
    let mut cases = Vec::new();
    let base = Settings {
        attack: Time::Seconds(0.0),
        release: Time::Seconds(0.001),
        ..Settings::compressor()
    };
    for &t in &tiny {
        for mode in [Mode::Compress, Mode::Expand, Mode::CompressUpward] {
            for ratio in [1.0, 1.000_000_1, 4.0, f32::INFINITY] {
                cases.push(Settings {
                    mode,
                    ratio,
                    threshold_db: t,
                    ..base
                });
            }
        }
        cases.push(Settings {
            makeup: Makeup::Db(t),
            ..base
        });
        cases.push(Settings {
            range_db: t.abs(),
            ..base
        });
        cases.push(Settings {
            knee_db: t.abs(),
            threshold_db: 0.0,
            ..base
        });
        cases.push(Settings {
            mix: t.abs(),
            ..base
        });
    }
    for (threshold_db, makeup) in [(-600.0, -600.0), (600.0, 600.0), (-600.0, 600.0)] {
        cases.push(Settings {
            threshold_db,
            makeup: Makeup::Db(makeup),
            range_db: 600.0,
            knee_db: 1200.0,
            ..base
        });
    }
    let inputs = [1.0, 1e-30, 2f32.powi(-96), 0.0, f32::INFINITY, 1e30];
    for isa in lanedsp::available_isas() {
        for s in &cases {
            for &x in &inputs {
                let mut plain = Compressor::new(FS, 2, *s)
                    .and_then(|c| c.with_isa(isa))
                    .expect("valid");
                let mut flushed = plain.clone();
                let want = dc(&mut plain, 2, x, 40);
                let (got, _) = with_subnormals_flushed(|| dc(&mut flushed, 2, x, 40));
                assert!(want.iter().all(|y| y.is_finite()), "{isa} {s:?} x {x}");
                assert_eq!(bits(&got), bits(&want), "{isa} {s:?} x {x}");
                for c in 0..2 {
                    let meters = |p: &Compressor| {
                        (
                            p.gain_reduction_db(c).to_bits(),
                            p.peak_reduction_db(c).to_bits(),
                        )
                    };
                    assert_eq!(meters(&flushed), meters(&plain), "{isa} {s:?} x {x}");
                    let (g, m) = meters(&plain);
                    for v in [f32::from_bits(g), f32::from_bits(m)] {
                        assert!(v == 0.0 || v.is_normal(), "{isa} {s:?}: meter {v:e}");
                    }
                }
            }
        }
    }
}

/// The three reproducers of the FTZ dependence.
#[test]
fn subnormal_parameters_reproduced() {
    for isa in lanedsp::available_isas() {
        // Link amount 1e-45, threshold -600 dB, channel 0 silent, channel
        // 1 at inf: the amount counts as 0 (channel 0 stays unlinked).
        let s = Settings {
            threshold_db: -600.0,
            ..Settings::compressor()
        };
        let mut comp = Compressor::new(FS, 2, s)
            .and_then(|c| c.with_isa(isa))
            .expect("valid");
        comp.set_links(&[vec![0, 1]], 1e-45, LinkMode::Max)
            .expect("valid");
        let mut flushed = comp.clone();
        let frames: Vec<f32> = (0..960)
            .map(|i| if i % 2 == 1 { f32::INFINITY } else { 0.0 })
            .collect();
        let mut a = frames.clone();
        comp.process_interleaved_in_place(&mut a).expect("valid");
        let mut b = frames.clone();
        with_subnormals_flushed(|| flushed.process_interleaved_in_place(&mut b).expect("valid"));
        assert_eq!(bits(&a), bits(&b), "{isa}: link amount");
        assert_eq!(
            comp.gain_reduction_db(0).to_bits(),
            flushed.gain_reduction_db(0).to_bits(),
            "{isa}"
        );
        let mut unlinked = Compressor::new(FS, 2, s)
            .and_then(|c| c.with_isa(isa))
            .expect("valid");
        unlinked
            .set_links(&[vec![0, 1]], 0.0, LinkMode::Max)
            .expect("valid");
        let mut c = frames.clone();
        unlinked
            .process_interleaved_in_place(&mut c)
            .expect("valid");
        assert_eq!(bits(&a), bits(&c), "{isa}: amount 1e-45 acts as 0");

        // Makeup 1e-45 dB: the meters read 0, not a subnormal.
        let mut comp = Compressor::new(
            FS,
            1,
            Settings {
                makeup: Makeup::Db(1e-45),
                ..Settings::compressor()
            },
        )
        .and_then(|c| c.with_isa(isa))
        .expect("valid");
        dc(&mut comp, 1, 0.001, 100);
        assert_eq!(
            comp.peak_reduction_db(0).to_bits(),
            0,
            "{isa}: makeup meter"
        );

        // GainComputer, Expand, ratio 4, threshold 1e-45, input 1.0: 0.
        let s = Settings {
            mode: Mode::Expand,
            ratio: 4.0,
            threshold_db: 1e-45,
            knee_db: 0.0,
            ..Settings::compressor()
        };
        let mut curve = GainComputer::new(FS, &[s])
            .and_then(|c| c.with_isa(isa))
            .expect("valid");
        let out = dc(&mut curve, 1, 1.0, 8);
        assert!(out.iter().all(|&y| y.to_bits() == 0), "{isa}: {out:?}");
    }
}

/// `set_channel_settings` writes one channel's row (it re-derived every
/// channel, 1.4 ms a call at 4,096 channels): configured one by one, 4,096
/// channels give what `set_settings` gives.
#[test]
fn per_channel_settings_match_settings_for_all() {
    let n = 4096;
    let mut one_by_one = Compressor::new(FS, n, Settings::compressor()).expect("valid");
    let s = Settings {
        threshold_db: -30.0,
        ..Settings::compressor()
    };
    for c in 0..n {
        one_by_one.set_channel_settings(c, s).expect("valid");
    }
    let mut all = Compressor::new(FS, n, Settings::compressor()).expect("valid");
    all.set_settings(s).expect("valid");
    let a = dc(&mut one_by_one, n, 0.5, 16);
    let b = dc(&mut all, n, 0.5, 16);
    assert_eq!(bits(&a), bits(&b));
}

/// Every processor at huge (finite) sample rates: a typed error or a
/// processor that runs, never a panic, an overflow or an allocation that
/// grows with the rate (fuzz/regressions/limiter-huge-sample-rate.md,
/// eq-huge-sample-rate.md).
#[test]
fn huge_sample_rates_never_panic() {
    use lanedsp::{Band, EnvelopeFollower, Equalizer, Limiter, LimiterSettings, LoudnessMeter};
    for fs in [1e9, 1e12, 1e19, 1e30, f32::MAX] {
        let mut input = vec![0.5f32; 64];
        input[7] = 4.0;
        let mut out = vec![0.0f32; 64];
        if let Ok(mut p) = Compressor::new(fs, 2, Settings::default()) {
            p.process_interleaved(&input, &mut out).expect("process");
        }
        if let Ok(mut p) = EnvelopeFollower::new(fs, 2, Time::Seconds(0.01), Time::Seconds(0.1)) {
            p.process_interleaved(&input, &mut out).expect("process");
        }
        if let Ok(mut p) = Limiter::new(fs, 2, LimiterSettings::default()) {
            p.process_interleaved(&input, &mut out).expect("process");
            assert!(out.iter().all(|y| y.abs() <= 1.0));
        }
        if let Ok(mut p) = Equalizer::new(
            fs,
            2,
            &[Band::Peaking {
                freq: 1000.0,
                q: 1.0,
                gain_db: 3.0,
            }],
        ) {
            p.process_interleaved(&input, &mut out).expect("process");
        }
        if let Ok(mut m) = LoudnessMeter::new(fs, 2) {
            m.process_interleaved(&input).expect("meter");
            // 64 frames complete no 100 ms block at these rates.
            assert_eq!(m.momentary(), f64::NEG_INFINITY);
            assert!(m.true_peak(0).is_ok_and(|p| p >= 0.0));
        }
    }
}
