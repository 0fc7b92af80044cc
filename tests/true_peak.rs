//! True peak of the loudness meter (ITU-R BS.1770-4 Annex 2): within a
//! stated bound of the `ebur128` crate; equal, bit for bit on every ISA, to
//! a model written from docs/kernels.md (section 9) alone, for every
//! channel count 1..=17, both layouts and odd splits of the stream;
//! cleared by `reset`; above the sample peak where it must be.

mod common;

use common::{planes, rng};
use ebur128::{EbuR128, Mode};
use lanedsp::LoudnessMeter;
use rand::RngExt;

/// The model of docs/kernels.md, section 9 (and section 1 for the input
/// rule), one channel at a time in plain scalar code.
mod model {
    /// Section 1: NaN and `|x| < 2^-96` give `+0`, the rest is clamped to
    /// `[-2^60, 2^60]`.
    fn sanitize(x: f32) -> f32 {
        let floor = 2f32.powi(-96);
        let ceil = 2f32.powi(60);
        if x.abs() >= floor {
            let x = if x > -ceil { x } else { -ceil };
            if x < ceil { x } else { ceil }
        } else {
            0.0
        }
    }

    /// `if a > b { a } else { b }`.
    fn max(a: f32, b: f32) -> f32 {
        if a > b { a } else { b }
    }

    /// The published table (BS.1770-4 Annex 2) in units of `2^-13`:
    /// phases 0 and 1; phase 2 is phase 1 reversed, phase 3 phase 0
    /// reversed.
    const P0: [i32; 12] = [
        14, 90, -161, 272, -487, 1125, 7964, -838, 390, -218, 122, -68,
    ];
    const P1: [i32; 12] = [
        -239, 240, -424, 730, -1364, 3810, 6388, -1641, 832, -477, 271, -155,
    ];

    pub fn taps(q: usize) -> [f32; 12] {
        let (row, reversed) = match q {
            0 => (P0, false),
            1 => (P1, false),
            2 => (P1, true),
            _ => (P0, true),
        };
        core::array::from_fn(|k| {
            let n = if reversed { row[11 - k] } else { row[k] };
            n as f32 / 8192.0
        })
    }

    /// The true peak of one channel's whole stream at `rate` Hz.
    pub fn true_peak(rate: f32, xs: &[f32]) -> f32 {
        let phases: &[usize] = if rate < 96_000.0 {
            &[0, 1, 2, 3]
        } else if rate < 192_000.0 {
            &[0, 2]
        } else {
            &[]
        };
        let h: Vec<[f32; 12]> = (0..4).map(taps).collect();
        // past[k] = x[n - k]; zeros before the first sample.
        let mut past = [0.0f32; 12];
        let mut peak = 0.0f32;
        for &x in xs {
            let x = sanitize(x);
            past.copy_within(0..11, 1);
            past[0] = x;
            peak = max(x.abs(), peak);
            for &q in phases {
                let mut y = h[q][11] * past[11];
                for k in (0..11).rev() {
                    y = h[q][k].mul_add(past[k], y);
                }
                peak = max(y.abs(), peak);
            }
        }
        peak
    }
}

fn db(x: f64) -> f64 {
    20.0 * x.log10()
}

/// A music-like channel: a sum of sines (40 Hz to 12 kHz) under a slow
/// envelope with quiet passages and, if `bursts`, short loud bursts of
/// white noise.
fn music(r: &mut impl RngExt, fs: f32, len: usize, bursts: bool) -> Vec<f32> {
    let f: Vec<f32> = (0..5).map(|_| r.random_range(40.0f32..12_000.0)).collect();
    let ph: Vec<f32> = (0..5)
        .map(|_| r.random_range(0.0f32..core::f32::consts::TAU))
        .collect();
    let level = r.random_range(0.1f32..0.6);
    (0..len)
        .map(|n| {
            let t = n as f32 / fs;
            let env = 0.6 + 0.4 * (t * 0.7 + level).sin();
            let tones: f32 = f
                .iter()
                .zip(&ph)
                .map(|(&f, &p)| (core::f32::consts::TAU * f * t + p).sin())
                .sum::<f32>()
                * 0.2;
            let burst = if bursts && n % 9000 < 300 {
                r.random_range(-1.0f32..1.0)
            } else {
                0.0
            };
            let quiet = if (t as u32) % 5 == 2 { 0.05 } else { 1.0 };
            level * quiet * (env * tones + burst)
        })
        .collect()
}

/// The largest difference in dB between our true peak and `ebur128`'s,
/// per channel of `planes` at `fs`.
fn against(name: &str, fs: f32, planes: &[Vec<f32>]) -> f64 {
    let ch = planes.len();
    let frames = common::interleave(&planes.to_vec());
    let mut ours = LoudnessMeter::new(fs, ch).unwrap();
    let mut theirs = EbuR128::new(ch as u32, fs as u32, Mode::TRUE_PEAK).unwrap();
    ours.process_interleaved(&frames).unwrap();
    theirs.add_frames_f32(&frames).unwrap();
    let mut worst = 0.0f64;
    for c in 0..ch {
        let p = f64::from(ours.true_peak(c).unwrap());
        let q = theirs.true_peak(c as u32).unwrap();
        let s = f64::from(ours.sample_peak(c).unwrap());
        let d = db(p) - db(q);
        println!(
            "true peak: {name} @ {fs} Hz ch {c}: {:.4} dBTP vs ebur128 {:.4} ({d:+.4} dB; sample peak {:.4} dBFS)",
            db(p),
            db(q),
            db(s)
        );
        worst = worst.max(d.abs());
    }
    worst
}

/// Stereo noise and music-like signals at 44.1 and 48 kHz against the
/// `ebur128` crate. Both oversample 4x, but with different interpolators
/// (docs/kernels.md, section 9, "Against libebur128"): ours is the 48-tap
/// table of BS.1770-4 Annex 2, `ebur128`'s a Hann-windowed sinc of its
/// own, whose response falls off well below the Nyquist frequency. So the
/// 0.05 dB hoped for does not hold: on tones up to 12 kHz the two differ
/// by at most 0.076 dB (default seed; bound 0.1 dB), and where the signal
/// has content near Nyquist (white noise, noise bursts, the shared
/// generator's steps) ours reads up to 0.463 dB higher (bound 0.5 dB).
/// The bounds are the measured worst cases rounded up.
#[test]
fn against_ebur128() {
    if !common::accuracy_checks() {
        return;
    }
    const BAND_LIMITED_DB: f64 = 0.1;
    const FULL_BAND_DB: f64 = 0.5;
    let mut worst = 0.0f64;
    let mut tones = 0.0f64;
    for (i, fs) in [44_100.0f32, 48_000.0].into_iter().enumerate() {
        let mut r = rng(900 + i as u64);
        let len = fs as usize * 10;
        let noise: Vec<Vec<f32>> = (0..2)
            .map(|_| {
                let a = r.random_range(0.05f32..0.9);
                (0..len).map(|_| a * r.random_range(-1.0f32..1.0)).collect()
            })
            .collect();
        worst = worst.max(against("noise", fs, &noise));
        let m: Vec<Vec<f32>> = (0..2).map(|_| music(&mut r, fs, len, true)).collect();
        worst = worst.max(against("music-like with noise bursts", fs, &m));
        let p = planes(&mut r, 2, len, 0.0);
        worst = worst.max(against("mixed", fs, &p));
        for _ in 0..3 {
            let m: Vec<Vec<f32>> = (0..2).map(|_| music(&mut r, fs, len, false)).collect();
            tones = tones.max(against("music-like tones", fs, &m));
        }
    }
    println!(
        "true peak: worst difference from ebur128: tones {tones:.4} dB (bound {BAND_LIMITED_DB}), \
         noise, bursts and mixed {worst:.4} dB (bound {FULL_BAND_DB})"
    );
    assert!(tones <= BAND_LIMITED_DB, "tones: {tones} dB");
    assert!(worst <= FULL_BAND_DB, "{worst} dB");
}

/// The model above equals the meter bit for bit on every ISA, for every
/// channel count 1..=17, at every interpolation setting (4, 2 and 0
/// phases), interleaved and planar in odd pieces, on input with hostile
/// values; each programme's reading is the largest of its channels'.
#[test]
fn model_bits_every_isa_split() {
    let mut ran = Vec::new();
    for isa in lanedsp::available_isas() {
        for (i, fs) in [44_100.0f32, 48_000.0, 96_000.0, 192_000.0]
            .into_iter()
            .enumerate()
        {
            for channels in 1..=17usize {
                let mut r = rng((channels * 10 + i) as u64 + 5000);
                let len = 9_000 + 37 * channels;
                let input = planes(&mut r, channels, len, 0.002);
                let want: Vec<u32> = input
                    .iter()
                    .map(|x| model::true_peak(fs, x).to_bits())
                    .collect();
                let frames = common::interleave(&input);
                let read = |m: &LoudnessMeter| -> Vec<u32> {
                    (0..channels)
                        .map(|c| m.true_peak(c).unwrap().to_bits())
                        .collect()
                };
                // Interleaved in odd pieces.
                let mut m = LoudnessMeter::new(fs, channels)
                    .unwrap()
                    .with_isa(isa)
                    .unwrap();
                let mut at = 0;
                for n in [0usize, 1, 5, 11, 12, 13, 1023, 1025, 2047, 3] {
                    let n = (n * channels).min(frames.len() - at);
                    m.process_interleaved(&frames[at..at + n]).unwrap();
                    at += n;
                }
                m.process_interleaved(&frames[at..]).unwrap();
                assert_eq!(read(&m), want, "{isa}, {fs} Hz, {channels} ch interleaved");
                // Planar in odd pieces, with programmes of up to 3 channels.
                let groups: Vec<Vec<usize>> = (0..channels)
                    .collect::<Vec<_>>()
                    .chunks(3)
                    .map(<[usize]>::to_vec)
                    .collect();
                let mut m = LoudnessMeter::new(fs, channels)
                    .unwrap()
                    .with_isa(isa)
                    .unwrap()
                    .with_programmes(&groups)
                    .unwrap();
                let mut at = 0;
                for n in [2usize, 10, 999, 1, 4800, 17, usize::MAX] {
                    let n = n.min(len - at);
                    let parts: Vec<&[f32]> = input.iter().map(|c| &c[at..at + n]).collect();
                    m.process_planar(&parts).unwrap();
                    at += n;
                }
                assert_eq!(read(&m), want, "{isa}, {fs} Hz, {channels} ch planar");
                for (p, g) in groups.iter().enumerate() {
                    let most = g
                        .iter()
                        .map(|&c| f32::from_bits(want[c]))
                        .fold(0.0f32, f32::max);
                    assert_eq!(
                        m.programme(p).unwrap().true_peak.to_bits(),
                        most.to_bits(),
                        "{isa}, {fs} Hz, programme {p}"
                    );
                }
                if fs >= 192_000.0 {
                    for c in 0..channels {
                        assert_eq!(m.true_peak(c).unwrap(), m.sample_peak(c).unwrap());
                    }
                }
            }
        }
        ran.push(isa.name());
    }
    println!(
        "true peak: the docs' model bit for bit on [{}] (1..=17 ch, 44.1/48/96/192 kHz, planar and interleaved, odd splits, hostile input)",
        ran.join(", ")
    );
}

/// The meter may skip interpolated points that provably cannot raise its
/// reading (docs/kernels.md, section 9); an over that lies just above the
/// reading so far, in a block of quiet samples after a loud passage, must
/// still be found, and one just below it must not change a bit. For each
/// phase, the frames whose taps carry the phase's signs at magnitude `a`
/// (the case where the bound is tight), `a` set from the model's reading of
/// the loud part so that the point lands one part in 100,000 above or
/// below it, at every offset within a 64-frame block, on every ISA, at
/// 48 and 96 kHz.
#[test]
fn skipped_points_never_hide_an_over() {
    let mut ran = Vec::new();
    for isa in lanedsp::available_isas() {
        for fs in [48_000.0f32, 96_000.0] {
            let phases: &[usize] = if fs < 96_000.0 {
                &[0, 1, 2, 3]
            } else {
                &[0, 2]
            };
            let mut r = rng(9100 + fs as u64);
            let loud: Vec<f32> = (0..3_000).map(|_| r.random_range(-0.5..0.5)).collect();
            let before = model::true_peak(fs, &loud);
            for &q in phases {
                let h = model::taps(q);
                let gain: f32 = h.iter().map(|x| x.abs()).sum();
                for side in [1.0 + 1e-5, 1.0 - 1e-5] {
                    let a = before / gain * side;
                    for offset in 0..64 {
                        let mut xs = loud.clone();
                        xs.extend((0..2_000 + offset).map(|_| r.random_range(-0.01..0.01)));
                        // x[n - k] = a * sign(h[k]) for the last frame n.
                        xs.extend((0..12).rev().map(|k| if h[k] < 0.0 { -a } else { a }));
                        xs.extend((0..300).map(|_| r.random_range(-0.01..0.01)));
                        let want = model::true_peak(fs, &xs);
                        let mut m = LoudnessMeter::new(fs, 1).unwrap().with_isa(isa).unwrap();
                        m.process_interleaved(&xs).unwrap();
                        let got = m.true_peak(0).unwrap();
                        assert_eq!(
                            got.to_bits(),
                            want.to_bits(),
                            "{isa} {fs} phase {q} {side} {offset}"
                        );
                        if side > 1.0 {
                            assert!(want > before, "{fs} phase {q}: the over is above");
                        }
                    }
                }
            }
        }
        ran.push(isa.name());
    }
    println!(
        "true peak: overs just above and below the reading after skippable blocks, model bits on [{}]",
        ran.join(", ")
    );
}

/// `reset` forgets the peaks and the interpolator's history: a meter that
/// measured a loud signal and was reset reads the same bits on a quiet
/// one as a new meter (the loud signal's last samples would otherwise
/// enter the first interpolated points).
#[test]
fn reset_clears_history() {
    for isa in lanedsp::available_isas() {
        let loud: Vec<f32> = (0..1000)
            .map(|n| if n % 2 == 0 { 0.9 } else { -0.9 })
            .collect();
        let quiet: Vec<f32> = (0..1000).map(|n| 0.01 * (n as f32 * 0.3).sin()).collect();
        let mut fresh = LoudnessMeter::new(48_000.0, 1)
            .unwrap()
            .with_isa(isa)
            .unwrap();
        fresh.process_interleaved(&quiet).unwrap();
        let mut m = LoudnessMeter::new(48_000.0, 1)
            .unwrap()
            .with_isa(isa)
            .unwrap();
        m.process_interleaved(&loud).unwrap();
        assert!(m.true_peak(0).unwrap() > 0.9);
        m.reset();
        assert_eq!(m.true_peak(0).unwrap(), 0.0);
        assert_eq!(m.programme(0).unwrap().true_peak, 0.0);
        m.process_interleaved(&quiet).unwrap();
        assert_eq!(
            m.true_peak(0).unwrap().to_bits(),
            fresh.true_peak(0).unwrap().to_bits(),
            "{isa}"
        );
        assert_eq!(
            m.true_peak(0).unwrap().to_bits(),
            model::true_peak(48_000.0, &quiet).to_bits()
        );
    }
    assert!(
        LoudnessMeter::new(48_000.0, 2)
            .unwrap()
            .true_peak(2)
            .is_err()
    );
}

/// A full-scale sine at `fs/4` with a 45-degree phase: every sample is
/// `+-sqrt(1/2)` (-3.01 dBFS) while the signal peaks at 1 between them;
/// the true peak is well above the sample peak, near 0 dBTP.
#[test]
fn quarter_rate_sine_at_45_degrees() {
    for fs in [44_100.0f32, 48_000.0] {
        let x: Vec<f32> = (0..4800)
            .map(|n| {
                (core::f64::consts::FRAC_PI_2 * n as f64 + core::f64::consts::FRAC_PI_4).sin()
                    as f32
            })
            .collect();
        let mut m = LoudnessMeter::new(fs, 1).unwrap();
        m.process_interleaved(&x).unwrap();
        let (tp, sp) = (m.true_peak(0).unwrap(), m.sample_peak(0).unwrap());
        let mut e = EbuR128::new(1, fs as u32, Mode::TRUE_PEAK).unwrap();
        e.add_frames_f32(&x).unwrap();
        println!(
            "true peak: fs/4 sine at 45 degrees, {fs} Hz: sample peak {:.3} dBFS, true peak {:.3} dBTP (ebur128 {:.3})",
            db(f64::from(sp)),
            db(f64::from(tp)),
            db(e.true_peak(0).unwrap())
        );
        assert!((sp - core::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
        assert!(tp > sp);
        assert!(db(f64::from(tp)).abs() < 0.5, "{tp}");
    }
}

/// Without true peak the meter reads sample peaks and the same loudness,
/// bit for bit, on every ISA; switching it back on measures true peak
/// again.
#[test]
fn true_peak_off_reads_sample_peaks() {
    let mut r = rng(77);
    let x = music(&mut r, 48_000.0, 48_000 * 2, true);
    for isa in lanedsp::available_isas() {
        let meter = |on: bool| {
            let mut m = LoudnessMeter::new(48_000.0, 1)
                .unwrap()
                .with_true_peak(on)
                .with_isa(isa)
                .unwrap();
            m.process_interleaved(&x).unwrap();
            m
        };
        let (on, off) = (meter(true), meter(false));
        assert_eq!(off.true_peak(0).unwrap(), off.sample_peak(0).unwrap());
        assert_eq!(off.sample_peak(0).unwrap(), on.sample_peak(0).unwrap());
        assert!(on.true_peak(0).unwrap() >= on.sample_peak(0).unwrap());
        assert_eq!(
            on.integrated().to_bits(),
            off.integrated().to_bits(),
            "{isa}"
        );
        let mut again = LoudnessMeter::new(48_000.0, 1)
            .unwrap()
            .with_true_peak(false)
            .with_true_peak(true)
            .with_isa(isa)
            .unwrap();
        again.process_interleaved(&x).unwrap();
        assert_eq!(again.true_peak(0).unwrap(), on.true_peak(0).unwrap());
    }
}
