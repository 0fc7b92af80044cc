//! The lookahead limiter: bit-exact against its scalar reference on every
//! ISA (channel counts, link groups, layouts, block splits, hostile input),
//! the ceiling on adversarial signals, the latency, and an `f64` model
//! written from docs/kernels.md (section 10).

mod common;

use common::cases::{limiter_reference, limiter_settings, link_groups};
use common::{Layout, Planes, first_difference, isa_status, planes, rng, run};
use lanedsp::advanced::LimiterInternals;
use lanedsp::{Limiter, LimiterSettings, MAX_LOOKAHEAD, MAX_LOOKAHEAD_FRAMES, Processor, Time};
use rand::RngExt;

/// Every ISA against the reference, over random settings, groups, layouts
/// and block splits.
#[test]
fn bit_exact_on_every_isa() {
    let (isas, missing) = isa_status();
    let mut rng = rng(0x11);
    let mut trials = 0;
    for channels in (1..=18).chain([33]) {
        for _ in 0..3 {
            let (rate, settings) = limiter_settings(&mut rng);
            let groups = link_groups(&mut rng, channels);
            let len = rng.random_range(0..900);
            let input = planes(&mut rng, channels, len, 0.05);
            let base = Limiter::new(rate, channels, settings)
                .and_then(|l| l.with_link_groups(&groups))
                .expect("settings");
            let want = limiter_reference(&base, &input);
            for &isa in &isas {
                let layout = Layout::ALL[rng.random_range(0..4)];
                let mut lim = base.clone().with_isa(isa).expect("isa");
                let mut got: Planes = vec![Vec::new(); channels];
                let mut at = 0;
                while at < len {
                    let n = rng.random_range(1..=(len - at).min(200));
                    let part: Planes = input.iter().map(|p| p[at..at + n].to_vec()).collect();
                    for (g, o) in got.iter_mut().zip(run(&mut lim, layout, &part)) {
                        g.extend(o);
                    }
                    at += n;
                }
                if let Some(diff) = first_difference(&got, &want) {
                    panic!(
                        "{isa}, {channels} ch, {layout:?}, rate {rate}, {settings:?}, groups {groups:?}: {diff}"
                    );
                }
                trials += 1;
            }
        }
    }
    println!("limiter bit-exact on {isas:?} ({trials} trials); not run: {missing:?}");
}

/// Signals that break limiters: full-scale square waves, single-sample
/// spikes, DC at +20 dBFS, alternating extremes, NaN and infinities, and
/// denormal tails.
fn adversarial(kind: usize, len: usize, rng: &mut impl RngExt) -> Vec<f32> {
    (0..len)
        .map(|n| match kind {
            0 => {
                if (n / 7) % 2 == 0 {
                    1.0
                } else {
                    -1.0
                }
            }
            1 => {
                if n % 97 == 50 {
                    1e6
                } else {
                    0.0
                }
            }
            2 => 10.0,
            3 => {
                if n % 2 == 0 {
                    f32::MAX
                } else {
                    -f32::MAX
                }
            }
            4 => [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.5][n % 4],
            5 => f32::from_bits(rng.random_range(1..0x0080_0000u32)),
            _ => rng.random_range(-4.0f32..4.0) * if n % 1000 < 10 { 100.0 } else { 1.0 },
        })
        .collect()
}

/// No output sample exceeds the ceiling, whatever the input and settings.
#[test]
fn ceiling_holds() {
    let (isas, missing) = isa_status();
    let mut rng = rng(0x12);
    let mut samples = 0usize;
    for trial in 0..120 {
        let (rate, settings) = limiter_settings(&mut rng);
        let channels = rng.random_range(1..=5);
        let groups = link_groups(&mut rng, channels);
        let isa = isas[trial % isas.len()];
        let mut lim = Limiter::new(rate, channels, settings)
            .and_then(|l| l.with_link_groups(&groups))
            .and_then(|l| l.with_isa(isa))
            .expect("settings");
        let ceiling = lim.kernel_params().1.ceiling;
        let len = rng.random_range(1..5000);
        let input: Planes = (0..channels)
            .map(|c| adversarial((trial + c) % 7, len, &mut rng))
            .collect();
        let out = run(&mut lim, Layout::ALL[trial % 4], &input);
        for (c, ch) in out.iter().enumerate() {
            for (f, y) in ch.iter().enumerate() {
                assert!(
                    y.abs() <= ceiling,
                    "{isa} trial {trial} ch {c} frame {f}: {y} > {ceiling} ({settings:?})"
                );
            }
            samples += ch.len();
        }
    }
    println!("limiter ceiling held on {samples} samples on {isas:?}; not run: {missing:?}");
}

/// An impulse below the ceiling comes out `latency()` frames later,
/// unchanged, and `flush_*` returns the delayed frames.
#[test]
fn latency_is_exact() {
    for true_peak in [false, true] {
        for lookahead in [0.0, 0.001, 0.005] {
            let settings = LimiterSettings {
                lookahead,
                true_peak,
                ..LimiterSettings::default()
            };
            let mut lim = Limiter::new(48_000.0, 2, settings).expect("settings");
            let latency = lim.latency();
            let expected = (lookahead * 48_000.0).round() as usize + if true_peak { 6 } else { 0 };
            assert_eq!(latency, expected);
            let len = 100;
            let mut input = vec![0.0f32; len * 2];
            input[0] = 0.5;
            input[1] = -0.25;
            let mut out = vec![0.0f32; len * 2];
            lim.process_interleaved(&input, &mut out).expect("process");
            let mut tail = vec![1.0f32; latency * 2];
            lim.flush_interleaved(&mut tail).expect("flush");
            let all: Vec<f32> = out.iter().chain(&tail).copied().collect();
            for (i, &y) in all.iter().enumerate() {
                let want = match i {
                    i if i == latency * 2 => 0.5,
                    i if i == latency * 2 + 1 => -0.25,
                    _ => 0.0,
                };
                assert_eq!(y, want, "frame {} ({settings:?})", i / 2);
            }
        }
    }
}

/// The algorithm of docs/kernels.md, section 10, in `f64`, written from the
/// text (a running minimum and mean recomputed over the window directly,
/// not by blocks).
fn model(input: &[f32], ceiling: f64, lookahead: usize, release: f64) -> Vec<f64> {
    let w = lookahead + 1;
    let mut gs: Vec<f64> = Vec::new();
    let mut ms: Vec<f64> = Vec::new();
    let mut level = 1.0f64;
    let mut out = Vec::new();
    for (n, &x) in input.iter().enumerate() {
        let x = f64::from(x);
        gs.push(if x.abs() > ceiling {
            ceiling / x.abs()
        } else {
            1.0
        });
        let lo = (n + 1).saturating_sub(w);
        let m = gs[lo..=n].iter().copied().fold(1.0, f64::min);
        ms.push(m);
        // Frames before the start count as gain 1.
        let sum: f64 = ms[lo..=n].iter().sum::<f64>() + (w - (n + 1 - lo)) as f64;
        let a = sum / w as f64;
        level = a.min(level + release * (a - level));
        let delayed = if n >= lookahead {
            f64::from(input[n - lookahead])
        } else {
            0.0
        };
        out.push((delayed * level).clamp(-ceiling, ceiling));
    }
    out
}

/// The `f32` kernel stays within `1e-5` of the ceiling from the `f64`
/// model on music-like signals driven 12 dB into the limiter.
#[test]
fn matches_f64_model() {
    let mut rng = rng(0x13);
    let mut worst = 0.0f64;
    for _ in 0..20 {
        let settings = LimiterSettings {
            ceiling_db: -3.0,
            lookahead: 0.002,
            release: Time::Seconds(0.02),
            ..LimiterSettings::default()
        };
        let mut lim = Limiter::new(48_000.0, 1, settings).expect("settings");
        let (shape, p) = lim.kernel_params();
        let input: Vec<f32> = common::signal(&mut rng, 6000, 0.0)
            .into_iter()
            .map(|x| x * 4.0)
            .collect();
        let mut out = vec![0.0f32; input.len()];
        lim.process_interleaved(&input, &mut out).expect("process");
        let want = model(
            &input,
            f64::from(p.ceiling),
            shape.lookahead,
            f64::from(p.release),
        );
        for (y, m) in out.iter().zip(&want) {
            worst = worst.max((f64::from(*y) - m).abs() / f64::from(p.ceiling));
        }
    }
    println!("limiter vs f64 model: worst error {worst:e} of the ceiling");
    assert!(worst < 1e-5, "worst error {worst:e}");
}

/// Bad settings are errors, and leave the limiter as it was.
#[test]
fn bad_settings_are_errors() {
    let mut lim = Limiter::new(48_000.0, 2, LimiterSettings::default()).expect("default");
    let bad = [
        LimiterSettings {
            ceiling_db: f32::NAN,
            ..LimiterSettings::default()
        },
        LimiterSettings {
            ceiling_db: 30.0,
            ..LimiterSettings::default()
        },
        LimiterSettings {
            lookahead: -1.0,
            ..LimiterSettings::default()
        },
        LimiterSettings {
            lookahead: 1.0,
            ..LimiterSettings::default()
        },
        LimiterSettings {
            release: Time::Seconds(-1.0),
            ..LimiterSettings::default()
        },
        LimiterSettings {
            link_amount: 2.0,
            ..LimiterSettings::default()
        },
        LimiterSettings {
            input_gain_db: f32::INFINITY,
            ..LimiterSettings::default()
        },
    ];
    for s in bad {
        assert!(lim.set_settings(s).is_err(), "{s:?}");
        assert!(Limiter::new(48_000.0, 2, s).is_err(), "{s:?}");
    }
    assert_eq!(*lim.settings(), LimiterSettings::default());
    assert!(Limiter::new(0.0, 2, LimiterSettings::default()).is_err());
    // A lookahead of more than MAX_LOOKAHEAD_FRAMES is refused, not
    // allocated (or overflowed) at huge sample rates.
    for fs in [1e9, 1e12, 1e30, f32::MAX] {
        assert!(
            Limiter::new(fs, 1, LimiterSettings::default()).is_err(),
            "{fs}"
        );
    }
    let zero = LimiterSettings {
        lookahead: 0.0,
        ..LimiterSettings::default()
    };
    assert!(Limiter::new(1e30, 1, zero).is_ok());
    let at_limit = LimiterSettings {
        lookahead: MAX_LOOKAHEAD,
        ..LimiterSettings::default()
    };
    let lim768 = Limiter::new(768_000.0, 1, at_limit).expect("50 ms at 768 kHz");
    assert_eq!(lim768.latency(), MAX_LOOKAHEAD_FRAMES);
    assert!(Limiter::new(48_000.0, 0, LimiterSettings::default()).is_err());
    assert!(lim.set_link_groups(&[vec![0, 5]]).is_err());
    let mut short = vec![0.0f32; 3];
    assert!(lim.flush_interleaved(&mut short).is_err());
    let mut odd = vec![0.0f32; 3];
    assert!(lim.process_interleaved_in_place(&mut odd).is_err());
}

/// A peak far above the ceiling (about 150 dB and more) in a linked group
/// with instant release: the loud channel's frame sits at the ceiling and
/// the quiet member gets the group's gain, not 0 (docs/kernels.md, section
/// 10, steps 4 and 6; fuzz/regressions/limiter-gain-cancels-to-zero.md).
#[test]
fn huge_peaks_keep_normal_gains() {
    let s = LimiterSettings {
        ceiling_db: -1.0,
        lookahead: 0.0,
        release: Time::Seconds(0.0),
        ..LimiterSettings::default()
    };
    let mut tested = Vec::new();
    for isa in lanedsp::available_isas() {
        let mut lim = Limiter::new(48_000.0, 2, s)
            .and_then(|l| l.with_link_groups(&[vec![0, 1]]))
            .and_then(|l| l.with_isa(isa))
            .expect("valid");
        let mut y = [0.0f32; 4];
        lim.process_interleaved(&[1e30, 0.5, 1e30, 0.5], &mut y)
            .expect("process");
        let ceiling = 10f32.powf(-1.0 / 20.0);
        for f in 0..2 {
            assert!(
                (y[2 * f] - ceiling).abs() <= 1e-6 * ceiling,
                "{isa:?} {y:?}"
            );
            let quiet = y[2 * f + 1];
            assert!(
                quiet.is_normal() && quiet > 0.0 && quiet < 1e-18,
                "{isa:?} {y:?}"
            );
        }
        for c in 0..2 {
            let g = lim.gain(c).expect("channel");
            assert!(g.is_normal() && g > 0.0, "{isa:?} gain {c} = {g:e}");
        }
        tested.push(isa);
    }
    println!("huge peaks: ISAs exercised {tested:?}");
}
