//! The compressor against `f64` models of its formulas: the dB
//! approximations, the static curve, attack and release times, the named
//! time conventions, and the fused kernel against the chain of its stages.

mod common;

use common::{Layout, planes, rng, run};
use lanedsp::advanced::CompressorInternals;
use lanedsp::stages::{GainApply, GainComputer, GainSmoother, LevelDetector};
use lanedsp::{Compressor, Detection, Makeup, Mode, Processor, Settings, Time};
use lanedsp_kernels::reference::db::{DB_PER_LOG2, LOG2_PER_DB, exp2, log2};

const FS: f32 = 48_000.0;

fn db(x: f64) -> f64 {
    20.0 * x.log10()
}

#[test]
fn level_in_db_is_within_0_01_db_from_minus_140_to_plus_40_dbfs() {
    // Every 16th f32 from -140 dBFS to +40 dBFS (1e-7 .. 100).
    let (lo, hi) = (1e-7f32.to_bits(), 100f32.to_bits());
    let mut worst = 0f64;
    for bits in (lo..=hi).step_by(16) {
        let x = f32::from_bits(bits);
        let got = f64::from(DB_PER_LOG2 * log2(x));
        worst = worst.max((got - db(f64::from(x))).abs());
    }
    assert!(worst < 0.01, "worst level error {worst} dB");
    // The design bound is far tighter (docs/kernels.md): 5e-5 dB.
    assert!(worst < 5e-5, "worst level error {worst} dB");
}

#[test]
fn log2_is_accurate_over_every_positive_normal_float() {
    // Polynomial error (2.2e-6) plus the final rounding of the sum, half an
    // ulp of the result (up to 7.6e-6 near +-128).
    for bits in (f32::MIN_POSITIVE.to_bits()..f32::MAX.to_bits()).step_by(4099) {
        let x = f32::from_bits(bits);
        let got = log2(x);
        let half_ulp = f64::from(f32::from_bits(got.abs().to_bits() + 1) - got.abs()) / 2.0;
        let err = (f64::from(got) - f64::from(x).log2()).abs();
        assert!(err < 2.5e-6 + half_ulp, "log2({x:e}) = {got}, error {err}");
    }
}

#[test]
fn gain_to_linear_is_within_0_01_db_from_minus_140_to_plus_40_db() {
    let mut worst = 0f64;
    let mut g = -140.0f32;
    while g <= 40.0 {
        let linear = f64::from(exp2(g * LOG2_PER_DB));
        worst = worst.max((db(linear) - f64::from(g)).abs());
        g += 0.001;
    }
    assert!(worst < 0.01, "worst gain error {worst} dB");
    assert!(worst < 1e-4, "worst gain error {worst} dB");
    // Across the whole clamped range the result stays normal.
    for y in [-1e30f32, -100.0, -99.5, 0.0, 99.5, 100.0, 1e30] {
        let v = exp2(y);
        assert!(v.is_normal(), "exp2({y}) = {v:e}");
    }
}

/// The static curve in `f64`, from the settings (docs/kernels.md).
fn model_curve(s: &Settings, level: f64) -> f64 {
    let (t, w) = (f64::from(s.threshold_db), f64::from(s.knee_db));
    let r = f64::from(s.ratio);
    let inv = if s.ratio.is_infinite() { 0.0 } else { 1.0 / r };
    let (a, b, lo, hi) = match s.mode {
        Mode::Compress => (inv - 1.0, 0.0, -f64::from(s.range_db), 0.0),
        Mode::CompressUpward => (0.0, inv - 1.0, 0.0, f64::from(s.range_db)),
        Mode::Expand => (0.0, (r - 1.0).min(1e6), -f64::from(s.range_db), 0.0),
    };
    let o = level - t;
    let above = if o >= w / 2.0 {
        a * o
    } else if o > -w / 2.0 {
        a * (o + w / 2.0).powi(2) / (2.0 * w)
    } else {
        0.0
    };
    let below = if o <= -w / 2.0 {
        b * o
    } else if o < w / 2.0 {
        -b * (o - w / 2.0).powi(2) / (2.0 * w)
    } else {
        0.0
    };
    (above + below).clamp(lo, hi)
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

#[test]
fn static_curve_of_a_steady_sine_matches_the_formula_within_0_05_db() {
    let modes = [
        Settings {
            knee_db: 0.0,
            ..Settings::compressor()
        },
        Settings {
            knee_db: 12.0,
            ratio: 3.0,
            ..Settings::compressor()
        },
        Settings {
            ratio: f32::INFINITY,
            knee_db: 6.0,
            threshold_db: -30.0,
            ..Settings::compressor()
        },
        Settings {
            threshold_db: -30.0,
            ratio: 2.0,
            range_db: 60.0,
            ..Settings::expander()
        },
        Settings {
            threshold_db: -20.0,
            range_db: 30.0,
            ..Settings::upward()
        },
    ];
    let len = (FS * 1.5) as usize;
    for base in modes {
        let settings = Settings {
            detection: Detection::Rms,
            detector_attack: Time::Seconds(0.2),
            detector_release: Time::Seconds(0.2),
            makeup: Makeup::Db(0.0),
            ..base
        };
        for level_db in (-60..=0).step_by(3) {
            let amplitude = 10f64.powf(f64::from(level_db) / 20.0) * std::f64::consts::SQRT_2;
            let x: Vec<f32> = (0..len)
                .map(|n| {
                    (amplitude * (n as f64 * 1000.0 / f64::from(FS) * std::f64::consts::TAU).sin())
                        as f32
                })
                .collect();
            let mut comp = Compressor::new(FS, 1, settings).unwrap();
            let mut y = vec![0.0; len];
            comp.process_planar(&[&x], &mut [&mut y]).unwrap();
            let tail = len - (FS * 0.25) as usize;
            let measured = db(rms(&y[tail..]) / rms(&x[tail..]));
            let want = model_curve(&settings, f64::from(level_db));
            assert!(
                (measured - want).abs() < 0.05,
                "{:?} at {level_db} dBFS RMS: gain {measured:.4} dB, formula {want:.4} dB",
                settings.mode
            );
        }
    }
}

/// Gain in dB of a unit DC input's output, sample by sample.
fn gain_track(settings: Settings, x: &[f32]) -> Vec<f64> {
    let mut comp = Compressor::new(FS, 1, settings).unwrap();
    let mut y = vec![0.0; x.len()];
    comp.process_planar(&[x], &mut [&mut y]).unwrap();
    y.iter()
        .zip(x)
        .map(|(&y, &x)| db(f64::from(y) / f64::from(x)))
        .collect()
}

#[test]
fn attack_and_release_times_are_within_one_sample() {
    for (attack, release) in [(0.001f32, 0.05f32), (0.010, 0.2), (0.0005, 1.0)] {
        let settings = Settings {
            attack: Time::Seconds(attack),
            release: Time::Seconds(release),
            ..Settings::limiter(-20.0)
        };
        // Attack: 0 dBFS DC drives the gain from 0 to -20 dB.
        let len = (attack * FS * 5.0) as usize + 10;
        let g = gain_track(settings, &vec![1.0; len]);
        let target = -20.0 * (1.0 - (-1.0f64).exp());
        let n = g.iter().position(|&g| g <= target + 1e-4).unwrap() as f64 + 1.0;
        let want = f64::from(attack) * f64::from(FS);
        assert!(
            (n - want).abs() <= 1.0,
            "attack {attack}: {n} samples, model {want}"
        );
        // Release: after settling at -20 dB, -60 dBFS lets it rise to 0.
        let settle = (attack * FS * 20.0) as usize;
        let mut x = vec![1.0f32; settle];
        x.extend(std::iter::repeat_n(0.001, (release * FS * 4.0) as usize));
        let g = gain_track(settings, &x);
        assert!((g[settle - 1] + 20.0).abs() < 1e-3);
        let target = -20.0 * (-1.0f64).exp();
        let n = g[settle..]
            .iter()
            .position(|&g| g >= target - 1e-4)
            .unwrap() as f64
            + 1.0;
        let want = f64::from(release) * f64::from(FS);
        assert!(
            (n - want).abs() <= 1.0,
            "release {release}: {n} samples, model {want}"
        );
    }
}

/// Index (1-based count of updates) where a unit step response first
/// reaches `fraction`, for a gain smoother with attack `time`.
fn rise(time: Time, fraction: f64) -> f64 {
    let settings = Settings {
        attack: time,
        ..Settings::limiter(-20.0)
    };
    let g = gain_track(settings, &vec![1.0; (FS * 2.0) as usize]);
    g.iter()
        .position(|&g| g / -20.0 >= fraction - 1e-6)
        .unwrap() as f64
        + 1.0
}

#[test]
fn named_time_conventions_keep_their_ballistics() {
    let samples = |s: f64| s * f64::from(FS);
    // Half-life and 90% rise.
    assert!(
        (rise(
            Time::ToFraction {
                seconds: 0.01,
                fraction: 0.5
            },
            0.5
        ) - samples(0.01))
        .abs()
            <= 1.0
    );
    assert!(
        (rise(
            Time::ToFraction {
                seconds: 0.02,
                fraction: 0.9
            },
            0.9
        ) - samples(0.02))
        .abs()
            <= 1.0
    );
    assert!((rise(Time::Fundsp(0.01), 0.5) - samples(0.01)).abs() <= 1.0);
    // JUCE: a = exp(-2 pi 1000 / (fs ms)) reaches 1 - 1/e after ms / (2 pi).
    let tau = 0.050 / std::f64::consts::TAU;
    assert!((rise(Time::JuceMs(50.0), 1.0 - (-1.0f64).exp()) - samples(tau)).abs() <= 1.0);
    // FFmpeg: k = 4000 / (ms * fs) per sample, exactly FFmpeg's coefficient.
    let comp = Compressor::new(
        FS,
        1,
        Settings {
            attack: Time::FfmpegMs(20.0),
            ..Settings::compressor()
        },
    )
    .unwrap();
    let k = comp.kernel_params(0).unwrap().smoother.attack;
    assert_eq!(k, (4000.0 / (20.0 * f64::from(FS))) as f32);
}

#[test]
fn auto_makeup_undoes_the_curve_at_0_dbfs() {
    let s = Settings {
        threshold_db: -20.0,
        ratio: 4.0,
        knee_db: 0.0,
        makeup: Makeup::Auto,
        ..Settings::compressor()
    };
    let comp = Compressor::new(FS, 1, s).unwrap();
    assert_eq!(comp.kernel_params(0).unwrap().smoother.makeup, 15.0);
}

#[test]
fn gate_cuts_by_its_range_and_upward_boosts_by_at_most_its_range() {
    let quiet = vec![0.001f32; (FS * 0.5) as usize]; // -60 dBFS
    let g = gain_track(
        Settings {
            range_db: 80.0,
            ..Settings::gate()
        },
        &quiet,
    );
    assert!(
        (g.last().unwrap() + 80.0).abs() < 0.01,
        "gate: {}",
        g.last().unwrap()
    );
    let s = Settings {
        detection: Detection::Peak,
        threshold_db: -20.0,
        ratio: f32::INFINITY,
        range_db: 24.0,
        release: Time::Seconds(0.01),
        ..Settings::upward()
    };
    let g = gain_track(s, &quiet);
    assert!(
        (g.last().unwrap() - 24.0).abs() < 0.01,
        "upward: {}",
        g.last().unwrap()
    );
}

#[test]
fn meters_report_current_and_peak_reduction() {
    let mut comp = Compressor::new(FS, 2, Settings::limiter(-20.0)).unwrap();
    let loud = vec![1.0f32; 4800];
    let silent = vec![0.0f32; 4800];
    let mut y = vec![vec![0.0; 4800]; 2];
    let mut outs: Vec<&mut [f32]> = y.iter_mut().map(Vec::as_mut_slice).collect();
    comp.process_planar(&[&loud, &silent], &mut outs).unwrap();
    assert!((comp.gain_reduction_db(0) + 20.0).abs() < 1e-3);
    assert_eq!(comp.gain_reduction_db(1), 0.0);
    let mut outs: Vec<&mut [f32]> = y.iter_mut().map(Vec::as_mut_slice).collect();
    comp.process_planar(&[&silent, &silent], &mut outs).unwrap();
    assert!(comp.gain_reduction_db(0) > -20.0 + 1.0, "released");
    assert!((comp.peak_reduction_db(0) + 20.0).abs() < 1e-3, "peak kept");
    comp.reset_meters();
    assert_eq!(comp.peak_reduction_db(0), 0.0);
    assert_eq!(comp.gain_reduction_db(7), 0.0, "no such channel");
}

#[test]
fn parameter_changes_between_blocks_glide_without_clicks() {
    let s = Settings {
        attack: Time::Seconds(0.010),
        release: Time::Seconds(0.050),
        ..Settings::compressor()
    };
    let mut comp = Compressor::new(FS, 1, s).unwrap();
    let x = vec![0.5f32; 4800];
    let mut y = vec![0.0; 4800];
    comp.process_planar(&[&x], &mut [&mut y]).unwrap();
    let before = *y.last().unwrap();
    // A 20 dB lower threshold, 20 dB of makeup and a dry mix at once.
    comp.set_settings(Settings {
        threshold_db: -40.0,
        makeup: Makeup::Db(20.0),
        mix: 0.0,
        ..s
    })
    .unwrap();
    comp.process_planar(&[&x], &mut [&mut y]).unwrap();
    let mut prev = before;
    for &v in &y {
        // One step of a 5 ms glide of the mix or a 10 ms smoother moves the
        // output by well under 1 dB.
        assert!(
            (db(f64::from(v) / f64::from(prev))).abs() < 0.1,
            "jump {prev} -> {v}"
        );
        prev = v;
    }
}

#[test]
fn fused_compressor_equals_the_chain_of_its_stages_on_every_isa() {
    let mut rng = rng(30);
    let channels = 21;
    let input = planes(&mut rng, channels, 3000, 0.01);
    for isa in lanedsp::available_isas() {
        let settings: Vec<Settings> = (0..channels)
            .map(|_| common::cases::compressor_settings(&mut rng))
            .collect();
        let mut comp = Compressor::new(FS, channels, settings[0])
            .unwrap()
            .with_isa(isa)
            .unwrap();
        for (c, s) in settings.iter().enumerate() {
            comp.set_channel_settings(c, *s).unwrap();
        }
        comp.reset();
        let fused = run(&mut comp, Layout::Planar, &input);
        let level = run(
            &mut LevelDetector::new(FS, &settings)
                .unwrap()
                .with_isa(isa)
                .unwrap(),
            Layout::Planar,
            &input,
        );
        let change = run(
            &mut GainComputer::new(FS, &settings)
                .unwrap()
                .with_isa(isa)
                .unwrap(),
            Layout::Planar,
            &level,
        );
        let gain = run(
            &mut GainSmoother::new(FS, &settings)
                .unwrap()
                .with_isa(isa)
                .unwrap(),
            Layout::Planar,
            &change,
        );
        let mut apply = GainApply::new(FS, &settings)
            .unwrap()
            .with_isa(isa)
            .unwrap();
        let chain = common::run_keyed(&mut apply, Layout::Interleaved, &input, &gain, true);
        assert_eq!(common::first_difference(&fused, &chain), None, "{isa}");
    }
}

/// The compressor with a planar sidechain held as `&[&mut [f32]]` (what
/// plugin hosts hand out), as a [`Processor`] for [`run`].
struct HeldKey<'k> {
    comp: Compressor,
    key: Vec<&'k mut [f32]>,
    /// Pass the key as `&mut [&mut [f32]]` instead of `&[&mut [f32]]`.
    exclusive: bool,
}

impl Processor for HeldKey<'_> {
    fn channels(&self) -> usize {
        self.comp.channels()
    }
    fn isa(&self) -> lanedsp::Isa {
        self.comp.isa()
    }
    fn reset(&mut self) {
        self.comp.reset();
    }
    fn process(&mut self, buffers: lanedsp::Buffers<'_, '_, '_>) -> lanedsp::Result<()> {
        if self.exclusive {
            self.comp.process_sidechain(buffers, &mut self.key[..])
        } else {
            self.comp.process_sidechain(buffers, &self.key[..])
        }
    }
}

/// A planar sidechain of mutable slices drives the detectors with the same
/// bits as one of shared slices, on every ISA, route (whole, time lanes,
/// chunks) and layout, linked or not; it is checked the same way.
#[test]
fn a_sidechain_of_mutable_slices_gives_the_bits_of_shared_ones() {
    use lanedsp::{BufferRole, Chunking, Error, LinkMode, ShapeError, Sidechain};
    let mut rng = rng(31);
    let routes = [
        (None, Chunking::Off),
        (Some(0), Chunking::Off),
        (Some(64), Chunking::Off),
        (
            None,
            Chunking::Forced {
                chunks: 3,
                warmup: 100,
            },
        ),
    ];
    for isa in lanedsp::available_isas() {
        for (channels, frames) in [(1, 3000), (2, 2000), (3, 700), (16, 257), (21, 600)] {
            let input = planes(&mut rng, channels, frames, 0.01);
            let key = planes(&mut rng, channels, frames, 0.01);
            let settings: Vec<Settings> = (0..channels)
                .map(|_| common::cases::compressor_settings(&mut rng))
                .collect();
            for (r, &(time_lanes, chunking)) in routes.iter().enumerate() {
                let build = || {
                    let mut comp = Compressor::new(FS, channels, settings[0])
                        .unwrap()
                        .with_isa(isa)
                        .unwrap()
                        .with_time_lanes(time_lanes)
                        .with_chunking(chunking);
                    for (c, s) in settings.iter().enumerate().skip(1) {
                        let mut s = *s;
                        s.detection = settings[0].detection;
                        comp.set_channel_settings(c, s).unwrap();
                    }
                    if channels >= 3 {
                        comp.set_links(&[vec![0, 2]], 0.7, LinkMode::Max).unwrap();
                    }
                    comp.reset();
                    comp
                };
                for layout in Layout::ALL {
                    let mut shared = build();
                    let planar = matches!(layout, Layout::Planar | Layout::PlanarInPlace);
                    let want = common::run_keyed(&mut shared, layout, &input, &key, !planar);
                    let mut held_key = key.clone();
                    let mut held = HeldKey {
                        comp: build(),
                        key: held_key.iter_mut().map(Vec::as_mut_slice).collect(),
                        exclusive: r % 2 == 1,
                    };
                    let got = run(&mut held, layout, &input);
                    let at = format!("{isa} {channels} ch route {r} {layout:?}");
                    assert_eq!(common::first_difference(&got, &want), None, "{at}");
                    for c in 0..channels {
                        let (a, b) = (held.comp.peak_reduction_db(c), shared.peak_reduction_db(c));
                        assert_eq!(a.to_bits(), b.to_bits(), "{at} meter {c}");
                    }
                }
            }
        }
    }
    // Shapes are checked as for shared slices: nothing runs on a mismatch.
    let mut comp = Compressor::new(FS, 2, Settings::compressor()).unwrap();
    let input = vec![0.5f32; 2 * 100];
    let mut output = vec![0.0f32; 2 * 100];
    let (mut a, mut b) = (vec![0.0f32; 100], vec![0.0f32; 99]);
    let mut short: Vec<&mut [f32]> = vec![&mut a, &mut b];
    let buffers = lanedsp::Buffers::Interleaved {
        input: &input,
        output: &mut output,
    };
    let err = comp.process_sidechain(buffers, &short[..]).unwrap_err();
    let want = Error::Shape(ShapeError::LengthMismatch {
        buffer: BufferRole::Key,
        channel: Some(1),
        expected: 100,
        got: 99,
    });
    assert_eq!(err, want);
    let one = &mut short[..1];
    let buffers = lanedsp::Buffers::Interleaved {
        input: &input,
        output: &mut output,
    };
    let err = comp
        .process_sidechain(buffers, Sidechain::PlanarMut(one))
        .unwrap_err();
    assert!(
        matches!(err, Error::Shape(ShapeError::ChannelMismatch { .. })),
        "{err}"
    );
    assert!(output.iter().all(|&y| y == 0.0));
}

/// The stages take a sidechain of mutable slices too.
#[test]
fn stages_take_a_sidechain_of_mutable_slices() {
    use lanedsp::Sidechain;
    let mut rng = rng(32);
    let (channels, frames) = (5, 900);
    let input = planes(&mut rng, channels, frames, 0.01);
    let key = planes(&mut rng, channels, frames, 0.0);
    let settings: Vec<Settings> = (0..channels)
        .map(|_| common::cases::compressor_settings(&mut rng))
        .collect();
    let shared: Vec<&[f32]> = key.iter().map(Vec::as_slice).collect();
    let mut held_key = key.clone();
    let held: Vec<&mut [f32]> = held_key.iter_mut().map(Vec::as_mut_slice).collect();
    for isa in lanedsp::available_isas() {
        let mut outs = Vec::new();
        let keys = [Sidechain::from(&shared[..]), Sidechain::from(&held[..])];
        for planar_key in keys {
            let mut detector = LevelDetector::new(FS, &settings)
                .unwrap()
                .with_isa(isa)
                .unwrap();
            let mut apply = GainApply::new(FS, &settings)
                .unwrap()
                .with_isa(isa)
                .unwrap();
            let mut level = input.clone();
            let mut bufs: Vec<&mut [f32]> = level.iter_mut().map(Vec::as_mut_slice).collect();
            let buffers = lanedsp::Buffers::PlanarInPlace { bufs: &mut bufs };
            detector.process_key(buffers, planar_key).unwrap();
            let mut audio = input.clone();
            let mut bufs: Vec<&mut [f32]> = audio.iter_mut().map(Vec::as_mut_slice).collect();
            let buffers = lanedsp::Buffers::PlanarInPlace { bufs: &mut bufs };
            apply.process_gain(buffers, planar_key).unwrap();
            outs.push((level, audio));
        }
        assert_eq!(
            common::first_difference(&outs[0].0, &outs[1].0),
            None,
            "{isa}"
        );
        assert_eq!(
            common::first_difference(&outs[0].1, &outs[1].1),
            None,
            "{isa}"
        );
    }
}
