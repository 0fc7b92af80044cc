//! The equalizer: every ISA bit-exact (`to_bits`) against the scalar
//! reference (`lanedsp_kernels::reference::biquad::process`) for 1..=17
//! channels, every layout, odd block splits, hostile input and per-channel
//! band counts 0..=8, coefficient changes between blocks; accuracy against
//! an `f64` model; designs against their analytic responses; typed errors.

mod common;

use common::cases::{EQ_RATE, equalizer, random_band, random_bands};
use common::{Layout, Planes, first_difference, planes, rng, run, slice};
use lanedsp::{Band, BiquadCoefficients, Equalizer, Error, FilterError, Isa, Processor};
use lanedsp_kernels::reference::biquad::{Coefficients, process};
use rand::RngExt;

const FS: f32 = EQ_RATE;

fn coefficients(bands: &[Band]) -> Vec<Coefficients> {
    bands
        .iter()
        .map(|b| b.coefficients(f64::from(FS)).expect("valid band"))
        .collect()
}

/// The reference output of every channel, carrying `history` (one per
/// channel) across calls.
fn reference(sections: &[Vec<Coefficients>], history: &mut [Vec<f32>], input: &Planes) -> Planes {
    input
        .iter()
        .zip(sections)
        .zip(history.iter_mut())
        .map(|((x, s), h)| {
            let mut y = vec![0.0; x.len()];
            process(s, h, x, &mut y);
            y
        })
        .collect()
}

fn fresh_history(sections: &[Vec<Coefficients>]) -> Vec<Vec<f32>> {
    sections
        .iter()
        .map(|s| vec![0.0; 2 * (s.len() + 1)])
        .collect()
}

#[test]
fn bit_exact_every_isa_channels_layouts_splits() {
    let mut ran = Vec::new();
    for isa in lanedsp::available_isas() {
        for channels in 1..=17usize {
            let mut r = rng(channels as u64 * 31 + 7);
            let bands = random_bands(&mut r, channels);
            let sections: Vec<Vec<Coefficients>> = bands.iter().map(|b| coefficients(b)).collect();
            let len = 1500;
            let input = planes(&mut r, channels, len, 0.02);
            let mut hist = fresh_history(&sections);
            let want = reference(&sections, &mut hist, &input);
            // Each layout twice, with other splits the second time.
            for (li, layout) in Layout::ALL.into_iter().flat_map(|l| [l, l]).enumerate() {
                let mut eq = equalizer(isa, &bands);
                // Odd splits: 0, 1, 7, 63, 64, 65, 333, and the rest.
                let cuts = [0usize, 1, 7, 63, 64, 65, 333];
                let mut at = 0;
                let mut got: Planes = vec![Vec::new(); channels];
                for (i, n) in cuts.iter().chain(&[len]).enumerate() {
                    let n = (*n + li * i).min(len - at);
                    let part = run(&mut eq, layout, &slice(&input, at..at + n));
                    for (g, p) in got.iter_mut().zip(part) {
                        g.extend(p);
                    }
                    at += n;
                }
                assert_eq!(at, len);
                if let Some(d) = first_difference(&got, &want) {
                    panic!("{isa}, {channels} ch, {layout:?}, pass {li}: {d}");
                }
            }
        }
        ran.push(isa.name());
    }
    println!(
        "eq: bit-exact on [{}] (1..=17 ch, 4 layouts, odd splits, hostile input)",
        ran.join(", ")
    );
}

#[test]
fn coefficient_changes_between_blocks_every_isa() {
    let mut ran = Vec::new();
    for isa in lanedsp::available_isas() {
        let channels = 11;
        let mut r = rng(99);
        let input = planes(&mut r, channels, 900, 0.01);
        // Same band count throughout, so the reference keeps its history.
        let a: Vec<Vec<Band>> = (0..channels)
            .map(|_| (0..4).map(|_| random_band(&mut r)).collect())
            .collect();
        let b: Vec<Vec<Band>> = (0..channels)
            .map(|_| (0..4).map(|_| random_band(&mut r)).collect())
            .collect();
        let sa: Vec<Vec<Coefficients>> = a.iter().map(|x| coefficients(x)).collect();
        let sb: Vec<Vec<Coefficients>> = b.iter().map(|x| coefficients(x)).collect();
        let mut hist = fresh_history(&sa);
        let w1 = reference(&sa, &mut hist, &slice(&input, 0..300));
        let w2 = reference(&sb, &mut hist, &slice(&input, 300..900));
        for layout in Layout::ALL {
            // Without a crossfade, changes apply from the next sample.
            let mut eq = equalizer(isa, &a).with_crossfade(0.0).unwrap();
            let g1 = run(&mut eq, layout, &slice(&input, 0..300));
            for (c, bands) in b.iter().enumerate() {
                eq.set_channel_bands(c, bands).unwrap();
            }
            let g2 = run(&mut eq, layout, &slice(&input, 300..900));
            if let Some(d) = first_difference(&g1, &w1).or(first_difference(&g2, &w2)) {
                panic!("{isa}, {layout:?}: {d}");
            }
            // Reset clears the memory: the first block again.
            eq.reset();
            eq.set_bands(&a[0]).unwrap();
            let g = run(&mut eq, layout, &slice(&input, 0..300));
            let mut h = fresh_history(&vec![sa[0].clone(); channels]);
            let w = reference(
                &vec![sa[0].clone(); channels],
                &mut h,
                &slice(&input, 0..300),
            );
            assert!(first_difference(&g, &w).is_none(), "{isa} reset");
        }
        ran.push(isa.name());
    }
    println!("eq: coefficient changes bit-exact on [{}]", ran.join(", "));
}

/// The relative error (dB) of `bands` in lanes on `isa` against the same
/// cascade in `f64` (the `f32` coefficients, `f64` arithmetic), on `x`.
fn error_db(isa: Isa, bands: &[Band], x: &[f32]) -> f64 {
    let sections = coefficients(bands);
    let mut eq = Equalizer::new(FS, 1, bands).unwrap().with_isa(isa).unwrap();
    let mut y = vec![0.0f32; x.len()];
    eq.process_interleaved(x, &mut y).unwrap();
    let mut v: Vec<f64> = x.iter().map(|&s| f64::from(s)).collect();
    for c in &sections {
        let [b0, b1, b2, a1, a2] = [c.b0, c.b1, c.b2, c.a1, c.a2].map(f64::from);
        let (mut x1, mut x2, mut y1, mut y2) = (0.0, 0.0, 0.0, 0.0);
        for s in v.iter_mut() {
            let out = b0 * *s + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
            (x2, x1, y2, y1) = (x1, *s, y1, out);
            *s = out;
        }
    }
    let err: f64 = y
        .iter()
        .zip(&v)
        .map(|(&a, &b)| (f64::from(a) - b).powi(2))
        .sum();
    let sig: f64 = v.iter().map(|b| b * b).sum();
    10.0 * (err / sig).log10()
}

/// A 5-band EQ on white noise against an `f64` model: the error power
/// relative to the output power, for the whole EQ and each band alone.
/// Measured (every ISA the same bits): -71 dB for the EQ, dominated by
/// the 40 Hz high pass (poles near `z = 1`: the rounding of each output is
/// amplified by `1 / A(z)`: -76 dB alone, the 120 Hz shelf -88 dB); the
/// three bands from 900 Hz together -113 dB.
#[test]
fn five_band_accuracy_against_f64() {
    let bands = [
        Band::HighPass {
            freq: 40.0,
            q: 0.707,
        },
        Band::LowShelf {
            freq: 120.0,
            q: 0.707,
            gain_db: 4.0,
        },
        Band::Peaking {
            freq: 900.0,
            q: 1.4,
            gain_db: -6.0,
        },
        Band::Peaking {
            freq: 3_500.0,
            q: 2.0,
            gain_db: 5.0,
        },
        Band::HighShelf {
            freq: 10_000.0,
            q: 0.707,
            gain_db: -3.0,
        },
    ];
    let mut r = rng(5);
    let n = 1 << 17;
    let x: Vec<f32> = (0..n).map(|_| r.random_range(-0.5f32..0.5)).collect();
    let mut worst = f64::NEG_INFINITY;
    for isa in lanedsp::available_isas() {
        let db = error_db(isa, &bands, &x);
        println!("eq: 5-band EQ vs f64 model on {isa}: relative error {db:.1} dB");
        worst = worst.max(db);
    }
    let isa = lanedsp::selected_isa();
    for b in &bands {
        let db = error_db(isa, std::slice::from_ref(b), &x);
        println!("eq: {b:?} alone: relative error {db:.1} dB");
    }
    let mids = &bands[2..];
    let db = error_db(isa, mids, &x);
    println!("eq: the 3 bands from 900 Hz: relative error {db:.1} dB");
    assert!(db < -110.0, "mid bands: relative error {db:.1} dB");
    assert!(worst < -65.0, "relative error {worst:.1} dB");
}

/// Designs against their analytic magnitude at a few frequencies.
#[test]
fn designs_match_their_responses() {
    let fs = f64::from(FS);
    let mag = |c: &Coefficients, f: f64| {
        let w = 2.0 * std::f64::consts::PI * f / fs;
        let z1 = (w.cos(), -w.sin());
        let z2 = ((2.0 * w).cos(), -(2.0 * w).sin());
        let num = (
            f64::from(c.b0) + f64::from(c.b1) * z1.0 + f64::from(c.b2) * z2.0,
            f64::from(c.b1) * z1.1 + f64::from(c.b2) * z2.1,
        );
        let den = (
            1.0 + f64::from(c.a1) * z1.0 + f64::from(c.a2) * z2.0,
            f64::from(c.a1) * z1.1 + f64::from(c.a2) * z2.1,
        );
        20.0 * ((num.0.powi(2) + num.1.powi(2)) / (den.0.powi(2) + den.1.powi(2)))
            .sqrt()
            .log10()
    };
    let d = |b: Band| b.coefficients(fs).unwrap();
    let near = |a: f64, b: f64, tol: f64| assert!((a - b).abs() < tol, "{a} vs {b}");
    near(
        mag(
            &d(Band::Peaking {
                freq: 1000.0,
                q: 1.0,
                gain_db: 6.0,
            }),
            1000.0,
        ),
        6.0,
        1e-4,
    );
    near(
        mag(
            &d(Band::LowShelf {
                freq: 200.0,
                q: 0.707,
                gain_db: -9.0,
            }),
            5.0,
        ),
        -9.0,
        0.01,
    );
    near(
        mag(
            &d(Band::LowShelf {
                freq: 200.0,
                q: 0.707,
                gain_db: -9.0,
            }),
            200.0,
        ),
        -4.5,
        0.01,
    );
    near(
        mag(
            &d(Band::HighShelf {
                freq: 5000.0,
                q: 0.707,
                gain_db: 8.0,
            }),
            23_000.0,
        ),
        8.0,
        0.1,
    );
    near(
        mag(
            &d(Band::LowPass {
                freq: 1000.0,
                q: std::f64::consts::FRAC_1_SQRT_2,
            }),
            1000.0,
        ),
        -3.0103,
        1e-3,
    );
    near(
        mag(
            &d(Band::HighPass {
                freq: 1000.0,
                q: std::f64::consts::FRAC_1_SQRT_2,
            }),
            1000.0,
        ),
        -3.0103,
        1e-3,
    );
    near(
        mag(
            &d(Band::BandPass {
                freq: 2000.0,
                q: 3.0,
            }),
            2000.0,
        ),
        0.0,
        1e-4,
    );
    assert!(
        mag(
            &d(Band::Notch {
                freq: 2000.0,
                q: 3.0
            }),
            2000.0
        ) < -60.0
    );
    near(
        mag(
            &d(Band::AllPass {
                freq: 2000.0,
                q: 3.0,
            }),
            700.0,
        ),
        0.0,
        1e-4,
    );
}

#[test]
fn typed_errors() {
    let unstable = Band::Raw(BiquadCoefficients {
        b0: 1.0,
        b1: 0.0,
        b2: 0.0,
        a1: -2.0,
        a2: 1.0,
    });
    assert!(matches!(
        Equalizer::new(FS, 2, &[unstable]),
        Err(Error::Filter(FilterError::Unstable { .. }))
    ));
    let nan = Band::Raw(BiquadCoefficients {
        b0: f32::NAN,
        b1: 0.0,
        b2: 0.0,
        a1: 0.0,
        a2: 0.0,
    });
    assert!(matches!(
        Equalizer::new(FS, 2, &[nan]),
        Err(Error::Filter(FilterError::NonFinite))
    ));
    let too_high = Band::Peaking {
        freq: 24_000.0,
        q: 1.0,
        gain_db: 3.0,
    };
    assert!(matches!(
        Equalizer::new(FS, 1, &[too_high]),
        Err(Error::Filter(FilterError::Frequency(_)))
    ));
    let bad_q = Band::LowPass {
        freq: 100.0,
        q: 0.0,
    };
    assert!(matches!(
        Equalizer::new(FS, 1, &[bad_q]),
        Err(Error::Filter(FilterError::Q(_)))
    ));
    let nine = [Band::Notch {
        freq: 100.0,
        q: 1.0,
    }; 9];
    let mut eq = Equalizer::new(FS, 3, &[]).unwrap();
    assert!(matches!(
        eq.set_bands(&nine),
        Err(Error::Filter(FilterError::TooManySections(9)))
    ));
    assert!(matches!(
        eq.set_channel_bands(3, &[]),
        Err(Error::ChannelIndex { .. })
    ));
    // A failed change leaves the equalizer as it was.
    assert!(eq.bands(0).unwrap().is_empty());
    assert!(Equalizer::new(FS, 0, &[]).is_err());
}

/// With FTZ/DAZ (x86-64) or FZ (AArch64) set around the process calls,
/// every ISA still gives the reference bits: no operation sees or keeps a
/// subnormal. Inputs near the policy's thresholds, decaying tails.
#[test]
fn same_bits_with_subnormals_flushed() {
    let mut ran = Vec::new();
    let channels = 13;
    let mut r = rng(4242);
    let bands = random_bands(&mut r, channels);
    let sections: Vec<Vec<Coefficients>> = bands.iter().map(|b| coefficients(b)).collect();
    // Tiny signals around 2^-96..2^-60, then silence (tails).
    let input: Planes = (0..channels)
        .map(|c| {
            (0..3000)
                .map(|n| {
                    if n > 1500 {
                        0.0
                    } else {
                        let e = -96 + ((n * 7 + c * 3) % 40) as i32;
                        let v = 2f32.powi(e) * r.random_range(0.5f32..2.0);
                        if n % 3 == 0 { -v } else { v }
                    }
                })
                .collect()
        })
        .collect();
    let mut hist = fresh_history(&sections);
    let want = reference(&sections, &mut hist, &input);
    let mut flushed_any = false;
    for isa in lanedsp::available_isas() {
        for layout in Layout::ALL {
            let mut eq = equalizer(isa, &bands);
            let (got, set) =
                lanedsp_kernels::with_subnormals_flushed(|| run(&mut eq, layout, &input));
            flushed_any |= set;
            if let Some(d) = first_difference(&got, &want) {
                panic!("{isa}, {layout:?}, flushed {set}: {d}");
            }
        }
        ran.push(isa.name());
    }
    println!(
        "eq: bit-exact with subnormals flushed ({}) on [{}]",
        if flushed_any {
            "flags set"
        } else {
            "flags not available"
        },
        ran.join(", ")
    );
}

/// One channel of the crossfade model of docs/kernels.md, section 8: the
/// running filter (sections padded with identities to the processor's
/// count, and their history), and the outgoing filter and the fade's
/// progress during a crossfade.
#[derive(Clone)]
struct FadeModel {
    sections: Vec<Coefficients>,
    history: Vec<f32>,
    old: Option<(Vec<Coefficients>, Vec<f32>)>,
}

/// `bands` as `n` sections: the designs, then identities.
fn padded(bands: &[Band], n: usize) -> Vec<Coefficients> {
    let mut s = coefficients(bands);
    s.resize(n, Coefficients::IDENTITY);
    s
}

/// The model of an equalizer's channels with crossfades of `len` frames.
struct Model {
    channels: Vec<FadeModel>,
    bands: Vec<Vec<Band>>,
    len: usize,
    /// Frames of the current fade done.
    done: usize,
    /// Whether audio went through since construction or reset.
    started: bool,
}

impl Model {
    fn new(bands: &[Vec<Band>], len: usize) -> Model {
        let n = bands.iter().map(Vec::len).max().unwrap_or(0);
        Model {
            channels: bands
                .iter()
                .map(|b| FadeModel {
                    sections: padded(b, n),
                    history: vec![0.0; 2 * (n + 1)],
                    old: None,
                })
                .collect(),
            bands: bands.to_vec(),
            len,
            done: 0,
            started: false,
        }
    }

    /// New bands for every channel: the processor's section count is the
    /// largest band count; histories keep the rows that remain.
    fn change(&mut self, bands: &[Vec<Band>]) {
        let n = bands.iter().map(Vec::len).max().unwrap_or(0);
        let fade = self.started && self.len > 0;
        // Changes between the same two calls make one fade.
        let pending = self.channels[0].old.is_some() && self.done == 0;
        for ((ch, b), was) in self.channels.iter_mut().zip(bands).zip(&self.bands) {
            if fade && !pending {
                ch.old = Some((ch.sections.clone(), ch.history.clone()));
            }
            ch.sections = padded(b, n);
            ch.history.resize(2 * (n + 1), 0.0);
            // Bands added to a channel start from silence.
            for k in was.len()..b.len() {
                ch.history[2 * k + 2..2 * k + 4].fill(0.0);
            }
        }
        if fade && !pending {
            self.done = 0;
        }
        self.bands = bands.to_vec();
    }

    fn process(&mut self, input: &Planes) -> Planes {
        let frames = input.first().map_or(0, Vec::len);
        if frames > 0 {
            self.started = true;
        }
        let mix = self.channels[0]
            .old
            .as_ref()
            .map_or(0, |_| (self.len - self.done).min(frames));
        let out = self
            .channels
            .iter_mut()
            .zip(input)
            .map(|(ch, x)| {
                let mut y = vec![0.0; frames];
                process(&ch.sections, &mut ch.history, x, &mut y);
                if let Some((s, h)) = ch.old.as_mut() {
                    let mut y_old = vec![0.0; mix];
                    process(s, h, &x[..mix], &mut y_old);
                    for (k, (y, &o)) in y.iter_mut().zip(&y_old).enumerate() {
                        // w = (k + 1) / L; y = sanitize(fma(w, new - old, old)).
                        let w = (self.done + k + 1) as f32 / self.len as f32;
                        let v = w.mul_add(*y - o, o);
                        *y = lanedsp_kernels::reference::sanitize(v);
                    }
                }
                y
            })
            .collect();
        if mix > 0 {
            self.done += mix;
            if self.done == self.len {
                for ch in &mut self.channels {
                    ch.old = None;
                }
            }
        }
        out
    }

    fn reset(&mut self) {
        for ch in &mut self.channels {
            ch.history.fill(0.0);
            ch.old = None;
        }
        self.started = false;
    }
}

/// Band changes between blocks crossfade (docs/kernels.md, section 8),
/// against a model written from that section: fades of 1, 7, 480 and
/// 1,000 frames (10 ms at 48 kHz is 480) and none, changes of every
/// channel or of one, of the band count (up and down), during a fade,
/// before the first call and after `reset` (immediate), in random blocks
/// and layouts, on every ISA, bit for bit.
#[test]
fn crossfades_match_the_model_every_isa() {
    let mut ran = Vec::new();
    for isa in lanedsp::available_isas() {
        for (trial, len) in [0usize, 1, 7, 480, 1000].into_iter().enumerate() {
            let mut r = rng(0xfade + trial as u64);
            let channels = [1, 3, 8, 17][trial % 4];
            let frames = 6000;
            let input = planes(&mut r, channels, frames, 0.01);
            let mut bands = random_bands(&mut r, channels);
            let mut eq = equalizer(isa, &bands)
                .with_crossfade(len as f32 / EQ_RATE)
                .unwrap();
            let mut model = Model::new(&bands, len);
            // A change before the first call applies at once.
            bands = random_bands(&mut r, channels);
            eq.set_bands(&bands[0]).unwrap();
            bands = vec![bands[0].clone(); channels];
            model.change(&bands);
            let mut at = 0;
            let mut block = 0;
            while at < frames {
                let n = [0, 1, 5, 64, 300, 777][r.random_range(0..6)].min(frames - at);
                let layout = Layout::ALL[r.random_range(0..4)];
                let part = slice(&input, at..at + n);
                let got = run(&mut eq, layout, &part);
                let want = model.process(&part);
                if let Some(d) = first_difference(&got, &want) {
                    panic!(
                        "{isa}, fade {len}, {channels} ch, block {block} at frame {at}, {layout:?}: {d}"
                    );
                }
                at += n;
                block += 1;
                match r.random_range(0..8u32) {
                    0 | 1 => {
                        // Channel by channel: each call is a change (the
                        // section count, and so the kept history, follows
                        // each), all of them one crossfade.
                        for (c, b) in random_bands(&mut r, channels).into_iter().enumerate() {
                            eq.set_channel_bands(c, &b).unwrap();
                            bands[c] = b;
                            model.change(&bands);
                        }
                    }
                    2 => {
                        let c = r.random_range(0..channels);
                        bands[c] = (0..r.random_range(0..=8))
                            .map(|_| random_band(&mut r))
                            .collect();
                        eq.set_channel_bands(c, &bands[c]).unwrap();
                        model.change(&bands);
                    }
                    3 if block % 7 == 0 => {
                        eq.reset();
                        model.reset();
                    }
                    _ => {}
                }
            }
        }
        ran.push(isa.name());
    }
    println!(
        "eq: crossfades bit-exact against the model on [{}]",
        ran.join(", ")
    );
}

/// A crossfade smooths a large change: a 1 kHz sine through +0 dB then
/// +18 dB at 1 kHz (peaking) changes level gradually over the fade, where
/// an immediate switch (`with_crossfade(0)`) jumps.
#[test]
fn crossfade_smooths_a_gain_step() {
    let peak = |gain_db| Band::Peaking {
        freq: 1_000.0,
        q: 1.0,
        gain_db,
    };
    let x: Vec<f32> = (0..9600)
        .map(|n| 0.25 * (2.0 * std::f32::consts::PI * 1_000.0 * n as f32 / EQ_RATE).sin())
        .collect();
    let largest_step = |seconds: f32| {
        let mut eq = Equalizer::new(EQ_RATE, 1, &[peak(0.0)])
            .unwrap()
            .with_crossfade(seconds)
            .unwrap();
        let mut y = vec![0.0f32; x.len()];
        eq.process_interleaved(&x[..4800], &mut y[..4800]).unwrap();
        eq.set_bands(&[peak(18.0)]).unwrap();
        eq.process_interleaved(&x[4800..], &mut y[4800..]).unwrap();
        // The largest change of the output from one sample to the next,
        // around the switch.
        y[4790..4820]
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0f32, f32::max)
    };
    let abrupt = largest_step(0.0);
    let faded = largest_step(0.01);
    println!(
        "eq: largest sample step at an 18 dB change: {abrupt} abrupt, {faded} with a 10 ms crossfade"
    );
    assert!(faded < 0.75 * abrupt, "{faded} vs {abrupt}");
}

/// A crossfade too long for the sample rate and channel count is a typed
/// error, also from `new` (the default crossfade at a huge sample rate),
/// never a panic or a huge allocation.
#[test]
fn huge_crossfades_are_errors() {
    for fs in [1e12f32, 1e30, f32::MAX] {
        assert!(matches!(
            Equalizer::new(fs, 2, &[]),
            Err(Error::Parameter {
                name: "crossfade",
                ..
            })
        ));
    }
    let eq = Equalizer::new(48_000.0, 1024, &[]).unwrap();
    assert!(matches!(
        eq.with_crossfade(10.0),
        Err(Error::Parameter {
            name: "crossfade",
            ..
        })
    ));
}

/// `set_bands_per_channel` is `set_channel_bands` for each channel between
/// the same two calls, bit for bit (crossfade included), and a list of the
/// wrong length or with a bad band changes nothing.
#[test]
fn bands_per_channel_equal_one_channel_at_a_time() {
    let mut r = rng(41);
    let channels = 5;
    let input = planes(&mut r, channels, 3_000, 0.01);
    let first: Vec<Band> = (0..3).map(|_| random_band(&mut r)).collect();
    let lists: Vec<Vec<Band>> = random_bands(&mut r, channels);
    let (head, tail) = (slice(&input, 0..1_000), slice(&input, 1_000..3_000));
    let mut one = Equalizer::new(EQ_RATE, channels, &first).expect("valid");
    let mut all = one.clone();
    let mut outs = Vec::new();
    for (i, eq) in [&mut one, &mut all].into_iter().enumerate() {
        let mut y = run(eq, Layout::Planar, &head);
        if i == 0 {
            for (c, bands) in lists.iter().enumerate() {
                eq.set_channel_bands(c, bands).expect("valid");
            }
        } else {
            eq.set_bands_per_channel(&lists).expect("valid");
        }
        let rest = run(eq, Layout::Planar, &tail);
        for (a, b) in y.iter_mut().zip(rest) {
            a.extend(b);
        }
        outs.push(y);
    }
    assert_eq!(first_difference(&outs[0], &outs[1]), None);
    let before: Vec<Vec<Coefficients>> = (0..channels)
        .map(|c| all.bands(c).expect("channel").to_vec())
        .collect();
    assert!(all.set_bands_per_channel(&lists[..channels - 1]).is_err());
    let mut bad = lists.clone();
    bad[2].push(Band::LowPass {
        freq: 30_000.0,
        q: 0.7,
    });
    assert!(all.set_bands_per_channel(&bad).is_err());
    for (c, b) in before.iter().enumerate() {
        assert_eq!(all.bands(c).expect("channel"), &b[..]);
    }
}
