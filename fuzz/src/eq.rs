//! [`Equalizer`] as a [`Case`] (differential target `eq`): every band kind
//! and raw coefficients, with design parameters typical or hostile (at and
//! past Nyquist, zero, negative, NaN, infinite, subnormal `f64`s; gains past
//! 120 dB; raw coefficients at and past `MAX_B`, `MIN_COEFF` and the
//! stability triangle), 0..=8 bands per channel (sometimes more, refused),
//! per channel or shared, crossfade lengths (seconds or frames, valid or
//! not), and between blocks `set_bands`, `set_channel_bands` (valid or
//! not, channel in range or not) and `set_crossfade`.
//!
//! The reference is `lanedsp_kernels::reference::biquad::process`, one
//! channel at a time, with the coefficients designed here independently
//! (`Band::coefficients` at the equalizer's rate; a list is valid when it
//! has at most `MAX_BANDS` bands and each designs). Its memory follows
//! docs/kernels.md, section 8: every channel runs the largest band count of
//! any channel, a channel with fewer bands padded with identity sections
//! (which pass its output through, so their memory holds copies of it); a
//! change keeps the histories of the sections that remain, and the bands a
//! channel gains start from silence (their output histories `0`). Band
//! changes crossfade as section 8 specifies: once audio went through
//! (since construction or a reset) and with a crossfade of `L > 0` frames
//! set, a change makes a copy of the running filter (coefficients
//! and histories) the outgoing filter, unless a fade began since the last
//! block (changes between two blocks make one fade); for the next `L`
//! frames both filters run on the input and frame `k` outputs
//! `reference::biquad::crossfade(old, new, k, L)`; a reset ends the fade.
//!
//! Sample rates above [`MAX_RATE`] become [`MAX_RATE`], and crossfades
//! longer than [`max_crossfade_frames`] are remapped to frames within it:
//! the equalizer keeps a scratch of crossfade frames times channels, and
//! at a valid rate of `1e30` Hz even its default 10 ms overflow (see
//! `fuzz/regressions/eq-huge-sample-rate.md`).
//!
//! Compared: every output sample, and after every block the coefficients
//! each channel runs ([`Equalizer::bands`], padded with identity sections to
//! the largest count) against the reference's designs, and the crossfade
//! length ([`Equalizer::crossfade_frames`], once per channel). The
//! equalizer does not expose its filter memory or a fade's progress, so
//! those are checked only through the outputs.

use crate::decode::{Input, Planes};
use crate::differential::{Case, Reference};
use lanedsp::{
    Band, BiquadCoefficients as Coefficients, Equalizer, Isa, MAX_BANDS, MAX_CROSSFADE_SECONDS,
    Processor,
};
use lanedsp_kernels::policy::MIN_COEFF;
use lanedsp_kernels::reference::biquad::{self, MAX_B};

/// The equalizer.
#[derive(Debug)]
pub struct Fuzzed;

/// Highest sample rate the target uses (higher valid rates become this).
pub const MAX_RATE: f32 = 768_000.0;
/// Crossfade frames times channels one input may ask for.
pub const CROSSFADE_BUDGET: usize = 1 << 14;

/// Most crossfade frames for `channels` channels (not counting the
/// constructor's default of 10 ms).
pub fn max_crossfade_frames(channels: usize) -> usize {
    (CROSSFADE_BUDGET / channels.max(1)).clamp(2, 4800)
}

/// A crossfade length as decoded: seconds (any bits), or whole frames at
/// the equalizer's rate.
#[derive(Clone, Copy, Debug)]
pub enum Crossfade {
    /// Seconds, valid or not.
    Seconds(f32),
    /// `k / sample_rate` seconds, `k` reduced to [`max_crossfade_frames`].
    Frames(u16),
}

/// Whether the equalizer must accept a crossfade of `seconds`.
pub fn valid_crossfade(seconds: f32) -> bool {
    seconds.is_finite() && (0.0..=MAX_CROSSFADE_SECONDS).contains(&seconds)
}

/// A crossfade's frames at `rate` Hz, as the equalizer rounds it.
fn crossfade_frames(seconds: f32, rate: f32) -> usize {
    (f64::from(seconds) * f64::from(rate)).round() as usize
}

impl Crossfade {
    /// The crossfade in seconds for an equalizer of `channels` channels at
    /// `rate` Hz (a valid rate). Valid crossfades of more frames than
    /// [`max_crossfade_frames`] become a number of frames within it;
    /// invalid ones stay as they are.
    pub fn seconds(self, rate: f32, channels: usize) -> f32 {
        let cap = max_crossfade_frames(channels);
        let frames = |k: usize| ((k % (cap + 1)) as f64 / f64::from(rate)) as f32;
        match self {
            Crossfade::Frames(k) => frames(usize::from(k)),
            Crossfade::Seconds(s) if valid_crossfade(s) && crossfade_frames(s, rate) > cap => {
                frames(s.to_bits() as usize)
            }
            Crossfade::Seconds(s) => s,
        }
    }
}

const fn up(x: f32) -> f32 {
    f32::from_bits(x.to_bits() + 1)
}

const fn down(x: f32) -> f32 {
    f32::from_bits(x.to_bits() - 1)
}

/// Crossfades in seconds: none, the default, one frame at 48 kHz, the
/// longest and just past it, invalid ones.
const CROSSFADES: [f32; 10] = [
    0.0,
    -0.0,
    0.01,
    1.0 / 48_000.0,
    MAX_CROSSFADE_SECONDS,
    up(MAX_CROSSFADE_SECONDS),
    -f32::from_bits(1),
    f32::from_bits(1),
    f32::NAN,
    f32::INFINITY,
];

fn crossfade(input: &mut Input) -> Crossfade {
    let b = input.byte();
    match b % 4 {
        0 => Crossfade::Frames(input.byte().into()),
        1 => Crossfade::Frames(input.u16()),
        2 => Crossfade::Seconds(CROSSFADES[usize::from(b >> 2) % CROSSFADES.len()]),
        _ => Crossfade::Seconds(input.param(&CROSSFADES, -5.0, 0.0)),
    }
}

/// Construction settings, raw.
#[derive(Clone, Debug)]
pub struct Setup {
    /// Hz (at most [`MAX_RATE`]).
    pub sample_rate: f32,
    /// `with_crossfade` after construction, resolved for the rate and the
    /// channel count (skipped when refused: the default stays); `None`:
    /// the default.
    pub crossfade: Option<f32>,
    /// One list per channel: channel 0's go to the constructor, the others
    /// to `set_channel_bands`, which may refuse them (the channel then keeps
    /// channel 0's).
    pub bands: Vec<Vec<Band>>,
}

/// A change between blocks.
#[derive(Clone, Debug)]
pub enum Change {
    /// `set_bands`.
    All(Vec<Band>),
    /// `set_channel_bands(channel, ..)`.
    Channel(usize, Vec<Band>),
    /// `set_crossfade`, resolved at the equalizer's rate.
    Crossfade(Crossfade),
}

/// The coefficients of `bands` at `rate` Hz; `None` when the equalizer must
/// refuse them.
pub fn design(rate: f32, bands: &[Band]) -> Option<Vec<Coefficients>> {
    if bands.len() > MAX_BANDS {
        return None;
    }
    bands
        .iter()
        .map(|b| b.coefficients(f64::from(rate)).ok())
        .collect()
}

const FREQS: [f64; 16] = [
    1000.0,
    20.0,
    23_999.998,
    22_049.998,
    24_000.0,
    22_050.0,
    47_999.0,
    96_000.0,
    0.0,
    -0.0,
    -1000.0,
    1e-3,
    1e-300,
    5e-324,
    f64::NAN,
    f64::INFINITY,
];
const QS: [f64; 14] = [
    0.707,
    0.5,
    1e-3,
    1e-9,
    100.0,
    1e4,
    1e30,
    0.0,
    -0.0,
    -1.0,
    5e-324,
    1e-300,
    f64::NAN,
    f64::INFINITY,
];
const GAINS: [f64; 14] = [
    0.0,
    120.0,
    -120.0,
    120.000_000_000_001,
    -120.000_000_000_001,
    24.0,
    -24.0,
    6.0,
    -0.0,
    5e-324,
    1e300,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
];
/// Feed-forward coefficients at and past the limits.
const BS: [f32; 16] = [
    1.0,
    0.0,
    -1.0,
    MAX_B,
    up(MAX_B),
    -MAX_B,
    MIN_COEFF,
    down(MIN_COEFF),
    -MIN_COEFF,
    0.5,
    2.0,
    1e-20,
    -0.0,
    f32::from_bits(1),
    f32::NAN,
    f32::INFINITY,
];
/// Feedback coefficients at and near the stability limits.
const A2S: [f32; 10] = [
    0.0,
    0.999_999_94,
    -0.999_999_94,
    1.0,
    -1.0,
    MIN_COEFF,
    down(MIN_COEFF),
    0.5,
    f32::NAN,
    f32::NEG_INFINITY,
];

/// A number in `[lo, hi]` from two bytes.
fn uniform(input: &mut Input, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * f64::from(input.u16()) / f64::from(u16::MAX)
}

/// One in eight from any `f32` bit pattern, three in eight from `specials`,
/// half log-uniform in `10^lo..10^hi`.
fn param(input: &mut Input, specials: &[f64], lo: f64, hi: f64) -> f64 {
    let b = input.byte();
    match b & 7 {
        0 => f64::from(f32::from_bits(input.u32())),
        1..=3 => specials[usize::from(b >> 3) % specials.len()],
        _ => 10f64.powf(uniform(input, lo, hi)),
    }
}

fn coefficient(input: &mut Input, specials: &[f32], lo: f64, hi: f64) -> f32 {
    let b = input.byte();
    match b & 3 {
        0 => f32::from_bits(input.u32()),
        1 => specials[usize::from(b >> 2) % specials.len()],
        _ => uniform(input, lo, hi) as f32,
    }
}

/// Raw coefficients: feed-forward ones typical or at the limits, poles
/// inside, on or just outside the stability triangle.
fn raw(input: &mut Input) -> Band {
    let b0 = coefficient(input, &BS, -2.0, 2.0);
    let b1 = coefficient(input, &BS, -2.0, 2.0);
    let b2 = coefficient(input, &BS, -2.0, 2.0);
    let a2 = coefficient(input, &A2S, -1.02, 1.02);
    let edge = 1.0 + a2;
    let b = input.byte();
    let sign = if b & 0x80 != 0 { -1.0 } else { 1.0 };
    let a1 = match b % 4 {
        0 => f32::from_bits(input.u32()),
        // On the edge (unstable when `1 + a2` is exact), or just inside.
        1 => sign * edge,
        2 if edge > 0.0 && edge.is_finite() => sign * down(edge),
        _ => sign * edge * uniform(input, 0.0, 1.02) as f32,
    };
    Band::Raw(Coefficients { b0, b1, b2, a1, a2 })
}

/// One band: its kind from the low bits of a byte; typical design
/// parameters, or with the top bit hostile ones.
pub fn band(input: &mut Input) -> Band {
    let b = input.byte();
    let (freq, q, gain_db) = if b & 0x80 == 0 {
        (
            10f64.powf(uniform(input, 1.0, 4.3)),
            10f64.powf(uniform(input, -1.0, 1.3)),
            uniform(input, -24.0, 24.0),
        )
    } else {
        (
            param(input, &FREQS, 0.0, 5.0),
            param(input, &QS, -2.5, 2.5),
            {
                let g = param(input, &GAINS, -1.0, 2.12);
                if input.byte() & 1 == 1 { -g } else { g }
            },
        )
    };
    match b % 10 {
        0 => Band::Peaking { freq, q, gain_db },
        1 => Band::LowShelf { freq, q, gain_db },
        2 => Band::HighShelf { freq, q, gain_db },
        3 => Band::LowPass { freq, q },
        4 => Band::HighPass { freq, q },
        5 => Band::BandPass { freq, q },
        6 => Band::Notch { freq, q },
        7 => Band::AllPass { freq, q },
        _ => raw(input),
    }
}

/// A band list: 0..=8 bands, one in 256 times 9..=16 (refused).
pub fn bands(input: &mut Input) -> Vec<Band> {
    let b = input.byte();
    let n = if b == 0xff {
        MAX_BANDS + 1 + input.below(8)
    } else {
        usize::from(b) % (MAX_BANDS + 1)
    };
    (0..n).map(|_| band(input)).collect()
}

/// The outgoing filter of a crossfade: every channel's coefficients
/// (padded to its section count) and histories, and the fade's progress.
struct Fade {
    coeffs: Vec<Vec<Coefficients>>,
    history: Vec<Vec<f32>>,
    len: usize,
    done: usize,
}

/// The reference: per channel, its coefficients and the history of the
/// slot's cascade (`2 (sections + 1)` values); the crossfade.
pub struct Ref {
    sample_rate: f32,
    coeffs: Vec<Vec<Coefficients>>,
    /// The largest band count of any channel: the cascade every channel runs.
    sections: usize,
    history: Vec<Vec<f32>>,
    /// Frames of the crossfade a change starts.
    crossfade: usize,
    /// Whether audio went through since construction or reset.
    started: bool,
    fade: Option<Fade>,
}

/// `coeffs` padded with identity sections to `sections`.
fn padded(coeffs: &[Coefficients], sections: usize) -> Vec<Coefficients> {
    let mut p = coeffs.to_vec();
    p.resize(sections, Coefficients::IDENTITY);
    p
}

/// Runs every channel's cascade over its input.
fn cascade(coeffs: &[Vec<Coefficients>], history: &mut [Vec<f32>], input: &Planes) -> Planes {
    input
        .iter()
        .zip(coeffs)
        .zip(history)
        .map(|((x, cs), h)| {
            let mut y = vec![0.0; x.len()];
            biquad::process(cs, h, x, &mut y);
            y
        })
        .collect()
}

impl Ref {
    /// Sets channel `c`'s coefficients; bands it gains start from silence
    /// (their output histories are zeroed, also when the largest count
    /// does not grow: src/eq.rs `silence_new_bands`).
    fn set(&mut self, c: usize, coeffs: Vec<Coefficients>) {
        let (old, new) = (self.coeffs[c].len(), coeffs.len());
        self.coeffs[c] = coeffs;
        self.resize();
        for k in old..new {
            self.history[c][2 * k + 2..2 * k + 4].fill(0.0);
        }
    }

    /// Before an accepted band change: the running filter becomes the
    /// outgoing filter of a new fade, unless no audio went through, the
    /// crossfade is 0, or a fade began since the last block.
    fn begin_fade(&mut self) {
        let pending = self.fade.as_ref().is_some_and(|f| f.done == 0);
        if !self.started || self.crossfade == 0 || pending {
            return;
        }
        self.fade = Some(Fade {
            coeffs: self
                .coeffs
                .iter()
                .map(|c| padded(c, self.sections))
                .collect(),
            history: self.history.clone(),
            len: self.crossfade,
            done: 0,
        });
    }

    /// After a change of coefficients: a new largest count keeps the
    /// histories of the sections that remain, new ones start from `0`.
    fn resize(&mut self) {
        let sections = self.coeffs.iter().map(Vec::len).max().unwrap_or(0);
        if sections != self.sections {
            for h in &mut self.history {
                h.resize(2 * (sections + 1), 0.0);
            }
            self.sections = sections;
        }
    }
}

/// Every channel's coefficients, padded with identity sections to
/// `sections`: section `k`'s field `j` of channel `c` at
/// `(5 k + j) * channels + c`.
fn words(channels: &[&[Coefficients]], sections: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(5 * sections * channels.len());
    for k in 0..sections {
        for j in 0..5 {
            out.extend(channels.iter().map(|cs| {
                let c = cs.get(k).unwrap_or(&Coefficients::IDENTITY);
                [c.b0, c.b1, c.b2, c.a1, c.a2][j]
            }));
        }
    }
    out
}

impl Reference for Ref {
    fn process(&mut self, input: &Planes) -> Planes {
        let running: Vec<Vec<Coefficients>> = self
            .coeffs
            .iter()
            .map(|c| padded(c, self.sections))
            .collect();
        let mut out = cascade(&running, &mut self.history, input);
        let frames = input.first().map_or(0, Vec::len);
        self.started |= frames > 0;
        if let Some(fade) = &mut self.fade {
            let fading = (fade.len - fade.done).min(frames);
            let head: Planes = input.iter().map(|x| x[..fading].to_vec()).collect();
            let old = cascade(&fade.coeffs, &mut fade.history, &head);
            for (y, o) in out.iter_mut().zip(&old) {
                for (k, (y, &o)) in y.iter_mut().zip(o).enumerate() {
                    *y = biquad::crossfade(o, *y, fade.done + k, fade.len);
                }
            }
            fade.done += fading;
            if fade.done == fade.len {
                self.fade = None;
            }
        }
        out
    }

    fn reset(&mut self) {
        for h in &mut self.history {
            h.fill(0.0);
        }
        self.fade = None;
        self.started = false;
    }

    fn state(&self) -> Vec<f32> {
        let channels: Vec<&[Coefficients]> = self.coeffs.iter().map(Vec::as_slice).collect();
        let mut words = words(&channels, self.sections);
        words.extend(channels.iter().map(|_| self.crossfade as f32));
        words
    }
}

impl Case for Fuzzed {
    const NAME: &'static str = "eq";
    type Settings = Setup;
    type Change = Change;
    type Proc = Equalizer;
    type Ref = Ref;

    fn settings(input: &mut Input, channels: usize) -> Setup {
        let mut sample_rate = input.sample_rate();
        if sample_rate.is_finite() && sample_rate > MAX_RATE {
            sample_rate = MAX_RATE;
        }
        // Mode byte: bit 0, bands per channel (else one list for all);
        // bit 1, a crossfade (else the default).
        let mode = input.byte();
        let bands = if mode & 1 == 1 {
            (0..channels).map(|_| bands(input)).collect()
        } else {
            vec![bands(input); channels]
        };
        let crossfade = (mode & 2 != 0).then(|| crossfade(input).seconds(sample_rate, channels));
        Setup {
            sample_rate,
            crossfade,
            bands,
        }
    }

    fn build(s: &Setup, isa: Isa) -> lanedsp::Result<Equalizer> {
        let mut eq = Equalizer::new(s.sample_rate, s.bands.len(), &s.bands[0])?;
        if let Some(seconds) = s.crossfade {
            let refused = eq.set_crossfade(seconds).is_err();
            assert_eq!(
                refused,
                !valid_crossfade(seconds),
                "set_crossfade({seconds:e}) refused: {refused}"
            );
        }
        for (c, bands) in s.bands.iter().enumerate().skip(1) {
            let refused = eq.set_channel_bands(c, bands).is_err();
            assert_eq!(
                refused,
                design(s.sample_rate, bands).is_none(),
                "set_channel_bands({c}, {bands:?}) at {} Hz refused: {refused}",
                s.sample_rate
            );
        }
        eq.with_isa(isa)
    }

    fn reference(s: &Setup) -> Ref {
        let first = design(s.sample_rate, &s.bands[0]).expect("accepted on every ISA");
        let coeffs: Vec<Vec<Coefficients>> = s
            .bands
            .iter()
            .map(|b| design(s.sample_rate, b).unwrap_or_else(|| first.clone()))
            .collect();
        let seconds = s
            .crossfade
            .filter(|&c| valid_crossfade(c))
            .unwrap_or(lanedsp::DEFAULT_CROSSFADE_SECONDS);
        let mut r = Ref {
            sample_rate: s.sample_rate,
            history: vec![vec![0.0; 2]; coeffs.len()],
            coeffs,
            sections: 0,
            crossfade: crossfade_frames(seconds, s.sample_rate),
            started: false,
            fade: None,
        };
        r.resize();
        r
    }

    fn change(input: &mut Input, channels: usize) -> Change {
        let b = input.byte();
        match b % 8 {
            0 | 4 => Change::All(bands(input)),
            7 => Change::Crossfade(crossfade(input)),
            1 => {
                let c = if b & 0x80 != 0 {
                    input.u64() as usize
                } else {
                    input.below(channels + 1)
                };
                Change::Channel(c, bands(input))
            }
            _ => {
                let c = input.below(channels);
                Change::Channel(c, bands(input))
            }
        }
    }

    fn apply(eq: &mut Equalizer, change: &Change) -> lanedsp::Result<()> {
        match change {
            Change::All(bands) => eq.set_bands(bands),
            Change::Channel(c, bands) => eq.set_channel_bands(*c, bands),
            Change::Crossfade(c) => eq.set_crossfade(c.seconds(eq.sample_rate(), eq.channels())),
        }
    }

    fn apply_ref(r: &mut Ref, change: &Change) -> bool {
        match change {
            Change::All(bands) => match design(r.sample_rate, bands) {
                Some(cs) => {
                    r.begin_fade();
                    for c in 0..r.coeffs.len() {
                        r.set(c, cs.clone());
                    }
                }
                None => return false,
            },
            Change::Channel(c, bands) => match design(r.sample_rate, bands) {
                Some(cs) if *c < r.coeffs.len() => {
                    r.begin_fade();
                    r.set(*c, cs);
                }
                _ => return false,
            },
            Change::Crossfade(c) => {
                let seconds = c.seconds(r.sample_rate, r.coeffs.len());
                if !valid_crossfade(seconds) {
                    return false;
                }
                // A fade in progress keeps its length.
                r.crossfade = crossfade_frames(seconds, r.sample_rate);
                return true;
            }
        }
        true
    }

    fn state(eq: &Equalizer) -> Vec<f32> {
        let channels: Vec<&[Coefficients]> = (0..eq.channels())
            .map(|c| eq.bands(c).expect("a channel of the equalizer"))
            .collect();
        let sections = channels.iter().map(|c| c.len()).max().unwrap_or(0);
        let mut words = words(&channels, sections);
        words.extend(channels.iter().map(|_| eq.crossfade_frames() as f32));
        words
    }
}
