//! [`Compressor`] as a [`Case`] (differential target `compressor`): every
//! mode, detection, curve, time convention and makeup, per-channel settings,
//! link groups (max or mean, any amount), setting changes between blocks.
//!
//! The reference is `lanedsp_kernels::reference::dynamics::compress_linked`
//! over the processor's slot plan, one frame at a time (the unlinked case is
//! a plan of one-slot blocks). Which settings are valid, the slot plan and
//! the kernel parameters come from a configuration twin: the same
//! `Compressor` built on the scalar ISA and never run. The sidechain input is
//! not fuzzed here (tests/equivalence.rs covers it).

use crate::decode::{Input, Planes};
use crate::differential::{Case, Reference};
use lanedsp::advanced::CompressorInternals;
use lanedsp::{Compressor, Detection, Isa, LinkMode, Makeup, Mode, Processor, Settings, Time};
use lanedsp_kernels::reference::dynamics::{self as dynref, CompressorState, Link};

/// The fused compressor.
#[derive(Debug)]
pub struct Fuzzed;

/// Construction settings, raw.
#[derive(Clone, Debug)]
pub struct Setup {
    /// Hz.
    pub sample_rate: f32,
    /// One per channel: channel 0's go to the constructor, the others to
    /// `set_channel_settings`, which may refuse them (the channel then keeps
    /// channel 0's).
    pub channels: Vec<Settings>,
    /// Link groups, amount and mode, applied after the settings (skipped when
    /// refused).
    pub links: Option<(Vec<Vec<usize>>, f32, LinkMode)>,
}

/// A change between blocks.
#[derive(Clone, Debug)]
pub enum Change {
    /// `set_settings`.
    All(Settings),
    /// `set_channel_settings(channel, ..)`.
    Channel(usize, Settings),
    /// `set_link_amount`.
    LinkAmount(f32),
}

const THRESHOLDS: [f32; 10] = [
    -20.0,
    0.0,
    -60.0,
    -140.0,
    40.0,
    -600.0,
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    -1e30,
];
const RATIOS: [f32; 9] = [4.0, 1.0, f32::INFINITY, 1e7, 1.5, 0.5, f32::NAN, 0.0, -2.0];
const WIDTHS: [f32; 9] = [
    6.0,
    0.0,
    -0.0,
    24.0,
    600.0,
    f32::MAX,
    -1.0,
    f32::NAN,
    f32::INFINITY,
];
const SHARES: [f32; 8] = [1.0, 0.0, 0.5, -0.0, 1.5, -0.5, f32::NAN, f32::INFINITY];

fn signed(input: &mut Input, specials: &[f32], lo: f32, hi: f32) -> f32 {
    let x = input.param(specials, lo, hi);
    if input.byte() & 1 == 1 { -x } else { x }
}

/// A time in any [`Time`] convention (valid or not), shared with the limiter.
pub fn time(input: &mut Input) -> Time {
    let t = input.time();
    match input.byte() % 8 {
        0 => Time::FfmpegMs(t * 1000.0),
        1 => Time::JuceMs(t * 1000.0),
        2 => Time::Fundsp(t),
        3 => Time::ToFraction {
            seconds: t,
            fraction: input.param(&SHARES, -3.0, 0.0),
        },
        _ => Time::Seconds(t),
    }
}

/// Decodes the settings of one channel (valid or not).
pub fn settings(input: &mut Input) -> Settings {
    let b = input.byte();
    Settings {
        mode: [Mode::Compress, Mode::CompressUpward, Mode::Expand][b as usize % 3],
        detection: if b & 0x80 != 0 {
            Detection::Rms
        } else {
            Detection::Peak
        },
        threshold_db: signed(input, &THRESHOLDS, -2.0, 2.5),
        ratio: input.param(&RATIOS, 0.0, 3.0),
        knee_db: input.param(&WIDTHS, -1.0, 2.0),
        attack: time(input),
        release: time(input),
        detector_attack: time(input),
        detector_release: time(input),
        makeup: if b & 0x40 != 0 {
            Makeup::Auto
        } else {
            Makeup::Db(signed(input, &WIDTHS, -1.0, 2.5))
        },
        range_db: input.param(&WIDTHS, -1.0, 2.8),
        mix: input.param(&SHARES, -3.0, 0.0),
    }
}

/// Consecutive groups of 1..=17 channels from a random start (a group over
/// 16 channels is refused, as is a group over channels that do not exist).
fn links(input: &mut Input, channels: usize) -> Vec<Vec<usize>> {
    let mut groups = Vec::new();
    let mut next = input.below(channels.min(8));
    for _ in 0..1 + input.below(8) {
        let size = 1 + input.below(17);
        let end = if input.byte() == 0xff {
            next + size
        } else {
            (next + size).min(channels)
        };
        if next >= end {
            break;
        }
        groups.push((next..end).collect());
        next = end + input.below(3);
    }
    groups
}

/// The reference: a configuration twin and one state per slot.
pub struct Ref {
    twin: Compressor,
    params: Vec<dynref::Compressor>,
    states: Vec<CompressorState>,
}

impl Ref {
    /// Reads every slot's kernel parameters from the twin; padding slots
    /// carry their block size and the group's reduction (docs/kernels.md,
    /// "Linking": + for the mean, max otherwise).
    fn load(&mut self) {
        let plan = self.twin.plan();
        let mean = self.twin.kernel_params(0).is_some_and(|p| p.link.mean);
        self.params = (0..plan.slots())
            .map(|slot| match plan.channel(slot) {
                Some(c) => self.twin.kernel_params(c).expect("channel of the plan"),
                None => dynref::Compressor {
                    link: Link {
                        block: plan.block(slot) as f32,
                        mean,
                        ..Link::default()
                    },
                    ..dynref::Compressor::default()
                },
            })
            .collect();
    }
}

impl Reference for Ref {
    fn process(&mut self, input: &Planes) -> Planes {
        let plan = self.twin.plan();
        let frames = input.first().map_or(0, Vec::len);
        let slots: Planes = (0..plan.slots())
            .map(|slot| {
                plan.channel(slot)
                    .map_or_else(|| vec![0.0; frames], |c| input[c].clone())
            })
            .collect();
        let mut out = vec![vec![0.0; frames]; plan.slots()];
        dynref::compress_linked(&self.params, &mut self.states, &slots, &slots, &mut out);
        (0..input.len())
            .map(|c| std::mem::take(&mut out[plan.slot(c)]))
            .collect()
    }

    fn reset(&mut self) {
        self.states = self.params.iter().map(CompressorState::new).collect();
    }

    fn state(&self) -> Vec<f32> {
        // As `Fuzzed::state` orders it: the gain changes of every channel,
        // then the meters.
        let plan = self.twin.plan();
        let slot = |c: usize| plan.slot(c);
        let n = self.twin.channels();
        (0..n)
            .map(|c| self.states[slot(c)].gain - self.params[slot(c)].smoother.makeup)
            .chain((0..n).map(|c| self.states[slot(c)].meter))
            .collect()
    }
}

impl Case for Fuzzed {
    const NAME: &'static str = "compressor";
    type Settings = Setup;
    type Change = Change;
    type Proc = Compressor;
    type Ref = Ref;

    fn settings(input: &mut Input, channels: usize) -> Setup {
        let sample_rate = input.sample_rate();
        let mode = input.byte();
        // Bit 0: settings per channel; bit 1: linked.
        let channels_settings = if mode & 1 == 1 {
            (0..channels).map(|_| settings(input)).collect()
        } else {
            vec![settings(input); channels]
        };
        let links = (mode & 2 != 0).then(|| {
            let groups = links(input, channels);
            let amount = input.param(&SHARES, -3.0, 0.0);
            let how = if input.byte() & 1 == 1 {
                LinkMode::Mean
            } else {
                LinkMode::Max
            };
            (groups, amount, how)
        });
        Setup {
            sample_rate,
            channels: channels_settings,
            links,
        }
    }

    fn build(s: &Setup, isa: Isa) -> lanedsp::Result<Compressor> {
        let mut comp = Compressor::new(s.sample_rate, s.channels.len(), s.channels[0])?;
        for (c, &settings) in s.channels.iter().enumerate().skip(1) {
            // Refused settings leave the channel with channel 0's.
            let _ = comp.set_channel_settings(c, settings);
        }
        if let Some((groups, amount, mode)) = &s.links {
            let before = comp.plan().clone();
            if comp.set_links(groups, *amount, *mode).is_err() {
                assert_eq!(comp.plan(), &before, "a refused set_links changed the plan");
            }
        }
        comp.with_isa(isa)
    }

    fn reference(s: &Setup) -> Ref {
        let twin = Self::build(s, Isa::Scalar).expect("accepted on every ISA");
        let mut r = Ref {
            twin,
            params: Vec::new(),
            states: Vec::new(),
        };
        r.load();
        r.reset();
        // The constructor sets every channel's state from channel 0's
        // settings; later per-channel settings keep that state (the gain
        // glides to a new makeup), and linking moves states with their
        // channels.
        let first = Compressor::new(s.sample_rate, s.channels.len(), s.channels[0])
            .expect("accepted above");
        let plan = r.twin.plan();
        for c in 0..s.channels.len() {
            let p = first.kernel_params(c).expect("channel");
            r.states[plan.slot(c)] = CompressorState::new(&p);
        }
        r
    }

    fn change(input: &mut Input, channels: usize) -> Change {
        match input.byte() % 4 {
            0 => Change::All(settings(input)),
            1 => Change::LinkAmount(input.param(&SHARES, -3.0, 0.0)),
            _ => {
                let c = input.below(channels + 1);
                Change::Channel(c, settings(input))
            }
        }
    }

    fn chunking(comp: &mut Compressor, chunking: lanedsp::Chunking) {
        comp.set_chunking(chunking);
    }

    fn apply(comp: &mut Compressor, change: &Change) -> lanedsp::Result<()> {
        match change {
            Change::All(s) => comp.set_settings(*s),
            Change::Channel(c, s) => comp.set_channel_settings(*c, *s),
            Change::LinkAmount(a) => comp.set_link_amount(*a),
        }
    }

    fn apply_ref(r: &mut Ref, change: &Change) -> bool {
        let accepted = Self::apply(&mut r.twin, change).is_ok();
        // Settings take effect at the next sample; the state stays.
        r.load();
        accepted
    }

    fn state(comp: &Compressor) -> Vec<f32> {
        let n = comp.channels();
        (0..n)
            .map(|c| comp.gain_reduction_db(c))
            .chain((0..n).map(|c| comp.peak_reduction_db(c)))
            .collect()
    }

    /// Gain changes are finite dB values, bounded by the gain limit.
    fn state_ok(x: f32) -> bool {
        x.is_finite() && x.abs() <= 2.0 * dynref::GAIN_LIMIT_DB
    }
}
