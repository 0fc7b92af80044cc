//! [`Limiter`] as a [`Case`] (differential target `limiter`): ceiling,
//! lookahead, release in every `Time` convention, true peak, input gain and
//! link amount (valid or not), link groups (consecutive, aligned, shuffled,
//! oversized, duplicated, out of range), and between blocks `set_settings`
//! (whole, or one field of the current settings, so that most changes keep
//! the shape and take effect without a reset) and `set_link_groups`.
//!
//! The reference is `lanedsp_kernels::reference::limiter::Limiter`, fed with
//! the processor's `kernel_params()` and `link_groups()` and run frame by
//! frame, as tests/limiter.rs does; a parameter change that keeps the shape
//! reaches it by `set_params`, with its state kept, as in the processor.
//! Which settings are valid, when a change resets (a new shape, any new
//! link groups) and the kernel parameters come from a configuration twin:
//! the same `Limiter` on the scalar ISA, never run.
//!
//! Compared: every output sample and, after every block, each channel's
//! gain ([`Limiter::gain`]). The lookahead is kept to
//! [`max_lookahead_frames`] so that no input allocates much (the limiter
//! keeps about five rows per lookahead frame and slot).

use crate::compressor::time;
use crate::decode::{Input, Planes};
use crate::differential::{Case, Reference};
use lanedsp::advanced::LimiterInternals;
use lanedsp::{Isa, Limiter, LimiterSettings, MAX_LOOKAHEAD, Processor, Time};
use lanedsp_kernels::reference::limiter::Limiter as LibraryRef;

/// The lookahead limiter.
#[derive(Debug)]
pub struct Fuzzed;

/// Lookahead frames times channels one input may ask for.
pub const LOOKAHEAD_BUDGET: usize = 1 << 14;
/// Most lookahead frames (50 ms at 48 kHz). A block of an input has at most
/// a few thousand frames, so longer windows would add allocation, not
/// coverage.
pub const MAX_LOOKAHEAD_FRAMES: usize = 2400;

/// Most lookahead frames for `channels` channels.
pub fn max_lookahead_frames(channels: usize) -> usize {
    (LOOKAHEAD_BUDGET / channels.max(1)).clamp(4, MAX_LOOKAHEAD_FRAMES)
}

/// A lookahead as decoded: seconds (any bits), or whole frames at the
/// limiter's rate.
#[derive(Clone, Copy, Debug)]
pub enum Lookahead {
    /// Seconds, valid or not.
    Seconds(f32),
    /// `k / sample_rate` seconds, `k` reduced to what the rate and
    /// [`max_lookahead_frames`] allow.
    Frames(u16),
}

impl Lookahead {
    /// The lookahead in seconds for a limiter of `channels` channels at
    /// `rate` Hz. Valid lookaheads of more frames than
    /// [`max_lookahead_frames`] become a number of frames within it
    /// (at a valid rate of `1e30` Hz any lookahead but `0` is billions of
    /// frames); invalid ones stay as they are.
    pub fn seconds(self, rate: f32, channels: usize) -> f32 {
        let cap = max_lookahead_frames(channels);
        let rate_ok = rate.is_finite() && rate > 0.0;
        let frames = |k: usize| {
            if rate_ok {
                // At most MAX_LOOKAHEAD seconds (up to rounding).
                let most = (f64::from(MAX_LOOKAHEAD) * f64::from(rate)) as usize;
                let k = k % (cap.min(most) + 1);
                (k as f64 / f64::from(rate)) as f32
            } else {
                k as f32 * 1e-5
            }
        };
        match self {
            Lookahead::Frames(k) => frames(usize::from(k)),
            Lookahead::Seconds(s) => {
                let valid = s.is_finite() && (0.0..=MAX_LOOKAHEAD).contains(&s);
                let n = (f64::from(s) * f64::from(rate)).round();
                if rate_ok && valid && n > cap as f64 {
                    frames(s.to_bits() as usize)
                } else {
                    s
                }
            }
        }
    }
}

/// Settings as decoded (the lookahead still to resolve at a rate).
#[derive(Clone, Copy, Debug)]
pub struct Raw {
    /// dBFS.
    pub ceiling_db: f32,
    /// Seconds or frames.
    pub lookahead: Lookahead,
    /// Any convention.
    pub release: Time,
    /// True-peak detection.
    pub true_peak: bool,
    /// dB.
    pub input_gain_db: f32,
    /// Share.
    pub link_amount: f32,
}

impl Raw {
    /// The settings for a limiter of `channels` channels at `rate` Hz.
    pub fn settings(&self, rate: f32, channels: usize) -> LimiterSettings {
        LimiterSettings {
            ceiling_db: self.ceiling_db,
            lookahead: self.lookahead.seconds(rate, channels),
            release: self.release,
            true_peak: self.true_peak,
            input_gain_db: self.input_gain_db,
            link_amount: self.link_amount,
        }
    }
}

/// Construction settings, raw.
#[derive(Clone, Debug)]
pub struct Setup {
    /// Hz.
    pub sample_rate: f32,
    /// Resolved for the rate and the channel count.
    pub settings: LimiterSettings,
    /// Channels.
    pub channels: usize,
    /// Link groups given to `set_link_groups` after construction (skipped
    /// when refused).
    pub groups: Option<Vec<Vec<usize>>>,
}

/// One field of the current settings changed.
#[derive(Clone, Copy, Debug)]
pub enum Tweak {
    /// dBFS.
    Ceiling(f32),
    /// Resolved at the limiter's rate.
    Lookahead(Lookahead),
    /// Any convention.
    Release(Time),
    /// Toggles true-peak detection.
    TruePeak,
    /// dB.
    InputGain(f32),
    /// Share.
    LinkAmount(f32),
}

/// A change between blocks.
#[derive(Clone, Debug)]
pub enum Change {
    /// `set_settings` with every field new.
    Settings(Raw),
    /// `set_settings` with one field of the current settings changed.
    Tweak(Tweak),
    /// `set_link_groups`.
    Groups(Vec<Vec<usize>>),
}

const fn up(x: f32) -> f32 {
    f32::from_bits(x.to_bits() + 1)
}

/// Ceilings (either sign): the range's ends and just past them.
const CEILINGS: [f32; 12] = [
    1.0,
    0.0,
    -0.0,
    60.0,
    24.0,
    up(60.0),
    up(24.0),
    6.0,
    0.1,
    f32::NAN,
    f32::INFINITY,
    1e30,
];
/// Input gains (either sign).
const GAINS: [f32; 10] = [
    0.0,
    6.0,
    60.0,
    up(60.0),
    20.0,
    -0.0,
    f32::MIN_POSITIVE,
    f32::NAN,
    f32::INFINITY,
    1e30,
];
const AMOUNTS: [f32; 10] = [
    1.0,
    0.0,
    0.5,
    -0.0,
    up(1.0),
    -f32::MIN_POSITIVE,
    0.999_999_94,
    1.5,
    f32::NAN,
    f32::INFINITY,
];

fn signed(input: &mut Input, specials: &[f32], lo: f32, hi: f32) -> f32 {
    let x = input.param(specials, lo, hi);
    if input.byte() & 1 == 1 { -x } else { x }
}

fn lookahead(input: &mut Input) -> Lookahead {
    let b = input.byte();
    match b % 4 {
        0 => Lookahead::Frames(input.byte().into()),
        1 => Lookahead::Frames(input.u16()),
        2 => Lookahead::Seconds(
            [
                0.0,
                -0.0,
                MAX_LOOKAHEAD,
                up(MAX_LOOKAHEAD),
                0.005,
                -f32::from_bits(1),
                f32::from_bits(1),
                f32::NAN,
                f32::INFINITY,
                -0.001,
            ][usize::from(b >> 2) % 10],
        ),
        _ => Lookahead::Seconds(input.param(&[MAX_LOOKAHEAD], -6.0, -1.0)),
    }
}

fn ceiling(input: &mut Input) -> f32 {
    signed(input, &CEILINGS, -2.0, 1.85)
}

fn input_gain(input: &mut Input) -> f32 {
    signed(input, &GAINS, -2.0, 1.85)
}

fn amount(input: &mut Input) -> f32 {
    input.param(&AMOUNTS, -3.0, 0.0)
}

/// Decodes settings (valid or not).
pub fn raw(input: &mut Input) -> Raw {
    let b = input.byte();
    Raw {
        ceiling_db: ceiling(input),
        lookahead: lookahead(input),
        release: time(input),
        true_peak: b & 1 == 1,
        input_gain_db: input_gain(input),
        link_amount: amount(input),
    }
}

/// Link groups: up to 8, each of 0..=17 channels taken from those not yet
/// linked, in channel order from a random one, as an aligned power-of-two
/// block (the natural plan), or picked at random; rarely raw indices
/// (duplicates and channels that do not exist are refused).
pub fn groups(input: &mut Input, channels: usize) -> Vec<Vec<usize>> {
    let mut free: Vec<usize> = (0..channels).collect();
    let mut groups = Vec::new();
    for _ in 0..1 + input.below(8) {
        let size = input.below(18);
        let kind = input.byte();
        let group: Vec<usize> = match kind % 8 {
            _ if free.is_empty() => break,
            0..=3 => {
                let at = input.below(free.len());
                free.drain(at..(at + size).min(free.len())).collect()
            }
            4 | 5 => {
                let b = 1usize << ((kind >> 3) % 5);
                let start = b * input.below(channels.div_ceil(b));
                let block: Vec<usize> = (start..(start + b).min(channels)).collect();
                if block.iter().all(|c| free.contains(c)) {
                    free.retain(|c| !block.contains(c));
                    block
                } else {
                    continue;
                }
            }
            6 => (0..size.min(free.len()))
                .map(|_| {
                    let at = input.below(free.len());
                    free.swap_remove(at)
                })
                .collect(),
            _ => (0..size).map(|_| input.below(channels + 2)).collect(),
        };
        groups.push(group);
    }
    groups
}

/// The reference: a configuration twin and the library's reference.
pub struct Ref {
    twin: Limiter,
    reference: LibraryRef,
}

impl Ref {
    /// The reference as after a reset, from the twin's shape, parameters
    /// and link groups.
    fn restart(&mut self) {
        self.reference = Self::fresh(&self.twin);
    }

    fn fresh(twin: &Limiter) -> LibraryRef {
        let (shape, p) = twin.kernel_params();
        LibraryRef::new(shape, vec![p; twin.channels()], twin.link_groups())
    }
}

fn bits(x: f32) -> String {
    format!("{x:e} ({:#010x})", x.to_bits())
}

impl Reference for Ref {
    fn process(&mut self, input: &Planes) -> Planes {
        let channels = input.len();
        let frames = input.first().map_or(0, Vec::len);
        let ceiling = self.twin.kernel_params().1.ceiling;
        let mut out = vec![vec![0.0; frames]; channels];
        let mut frame = vec![0.0; channels];
        for f in 0..frames {
            for (x, ch) in frame.iter_mut().zip(input) {
                *x = ch[f];
            }
            self.reference.process_frame(&mut frame);
            for (c, &y) in frame.iter().enumerate() {
                assert!(
                    y.abs() <= ceiling,
                    "[limiter] reference output {} above the ceiling {}",
                    bits(y),
                    bits(ceiling)
                );
                out[c][f] = y;
            }
        }
        out
    }

    fn reset(&mut self) {
        self.restart();
    }

    fn state(&self) -> Vec<f32> {
        (0..self.twin.channels())
            .map(|c| self.reference.gain(c))
            .collect()
    }
}

impl Case for Fuzzed {
    const NAME: &'static str = "limiter";
    type Settings = Setup;
    type Change = Change;
    type Proc = Limiter;
    type Ref = Ref;

    fn settings(input: &mut Input, channels: usize) -> Setup {
        let sample_rate = input.sample_rate();
        let settings = raw(input).settings(sample_rate, channels);
        let groups = (input.byte() & 1 == 1).then(|| groups(input, channels));
        Setup {
            sample_rate,
            settings,
            channels,
            groups,
        }
    }

    fn build(s: &Setup, isa: Isa) -> lanedsp::Result<Limiter> {
        let mut lim = Limiter::new(s.sample_rate, s.channels, s.settings)?;
        if let Some(groups) = &s.groups {
            if lim.set_link_groups(groups).is_err() {
                assert!(
                    lim.link_groups().is_empty(),
                    "a refused set_link_groups changed the groups"
                );
            } else {
                assert_eq!(lim.link_groups(), &groups[..]);
            }
        }
        lim.with_isa(isa)
    }

    fn reference(s: &Setup) -> Ref {
        let twin = Self::build(s, Isa::Scalar).expect("accepted on every ISA");
        Ref {
            reference: Ref::fresh(&twin),
            twin,
        }
    }

    fn change(input: &mut Input, channels: usize) -> Change {
        let b = input.byte();
        match b % 8 {
            0 => Change::Settings(raw(input)),
            1 => Change::Groups(groups(input, channels)),
            _ => Change::Tweak(match (b >> 3) % 6 {
                0 => Tweak::Ceiling(ceiling(input)),
                1 => Tweak::Lookahead(lookahead(input)),
                2 => Tweak::Release(time(input)),
                3 => Tweak::TruePeak,
                4 => Tweak::InputGain(input_gain(input)),
                _ => Tweak::LinkAmount(amount(input)),
            }),
        }
    }

    fn apply(lim: &mut Limiter, change: &Change) -> lanedsp::Result<()> {
        let (rate, channels) = (lim.sample_rate(), lim.channels());
        match change {
            Change::Settings(raw) => lim.set_settings(raw.settings(rate, channels)),
            Change::Tweak(tweak) => {
                let mut s = *lim.settings();
                match *tweak {
                    Tweak::Ceiling(db) => s.ceiling_db = db,
                    Tweak::Lookahead(l) => s.lookahead = l.seconds(rate, channels),
                    Tweak::Release(t) => s.release = t,
                    Tweak::TruePeak => s.true_peak = !s.true_peak,
                    Tweak::InputGain(db) => s.input_gain_db = db,
                    Tweak::LinkAmount(a) => s.link_amount = a,
                }
                lim.set_settings(s)
            }
            Change::Groups(groups) => lim.set_link_groups(groups),
        }
    }

    fn apply_ref(r: &mut Ref, change: &Change) -> bool {
        let (shape, params) = r.twin.kernel_params();
        let groups = r.twin.link_groups().to_vec();
        let settings = *r.twin.settings();
        let accepted = Self::apply(&mut r.twin, change).is_ok();
        let (new_shape, new_params) = r.twin.kernel_params();
        if !accepted {
            assert!(
                new_shape == shape
                    && new_params == params
                    && r.twin.link_groups() == &groups[..]
                    && *r.twin.settings() == settings,
                "[limiter] the refused {change:?} changed the limiter"
            );
        } else if matches!(change, Change::Groups(_)) || new_shape != shape {
            // New link groups or a new latency: the limiter starts over.
            r.restart();
        } else if new_params != params {
            // Takes effect at the next sample; the state stays.
            r.reference.set_params(&vec![new_params; r.twin.channels()]);
        }
        accepted
    }

    fn state(lim: &Limiter) -> Vec<f32> {
        (0..lim.channels())
            .map(|c| lim.gain(c).expect("a channel of the limiter"))
            .collect()
    }

    /// Gains are normal numbers in `(0, 1]` (docs/kernels.md, section 10;
    /// `fuzz/regressions/limiter-gain-cancels-to-zero.md` is the finding
    /// that once gave `+0`).
    fn state_ok(x: f32) -> bool {
        x.is_normal() && x > 0.0 && x <= 1.0
    }
}
