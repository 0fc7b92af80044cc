//! One [`KernelCase`] per kernel: how to build its processor with random
//! per-channel settings, and its scalar reference. The equivalence harness
//! (tests/equivalence.rs), the exact-buffer tails (tests/tails.rs) and the
//! no-allocation check (tests/realtime.rs) run every case in
//! [`every_case`]; adding a kernel is adding a case here and a line there.

use super::{Keyed, Layout, Planes, run, run_keyed, signal};
use lanedsp::advanced::{CompressorInternals, LimiterInternals};
use lanedsp::stages::{GainApply, GainComputer, GainSmoother, LevelDetector};
use lanedsp::{
    Band, BiquadCoefficients, Buffers, Chunking, Compressor, Detection, EnvelopeDetection,
    EnvelopeFollower, Equalizer, Isa, Limiter, LimiterSettings, LinkMode, MIN_KNEE_DB, Makeup,
    Mode, Processor, Settings, Sidechain, Time,
};
use lanedsp_kernels::policy::coefficient;
use lanedsp_kernels::reference;
use lanedsp_kernels::reference::dynamics::{
    self as dynref, Compressor as Params, CompressorState, Link,
};
use lanedsp_kernels::reference::limiter::Limiter as LimiterReference;
use rand::RngExt;

/// Calls macro `$m` with every kernel case, as `name: Type` pairs (the
/// name is a test-name fragment): the one list a new kernel case joins.
#[allow(unused_macros)] // test binaries that do not iterate over cases
macro_rules! every_case {
    ($m:ident) => {
        $m! {
            envelope: $crate::common::cases::Envelope,
            stage_detector: $crate::common::cases::DetectorStage,
            stage_curve: $crate::common::cases::CurveStage,
            stage_smoother: $crate::common::cases::SmootherStage,
            stage_apply: $crate::common::cases::ApplyStage,
            compressor: $crate::common::cases::Fused,
            compressor_linked: $crate::common::cases::Linked,
            compressor_sidechain: $crate::common::cases::Sidechained,
            limiter: $crate::common::cases::LimiterKernel,
            eq: $crate::common::cases::EqKernel,
            peak_hold: $crate::common::cases::PeakHoldKernel,
        }
    };
}
#[allow(unused_imports)]
pub(crate) use every_case;

/// A kernel under test.
pub trait KernelCase {
    /// Name used in test names.
    const NAME: &'static str;
    /// Random settings for every channel.
    type Settings: Clone + core::fmt::Debug;
    /// The processor.
    type Proc: Processor;
    /// Draws settings for `channels` channels, extremes included.
    fn settings(rng: &mut impl RngExt, channels: usize) -> Self::Settings;
    /// Builds the processor on `isa`.
    fn build(isa: Isa, settings: &Self::Settings) -> Self::Proc;
    /// The same processor streaming every planar call (threshold 0).
    fn streaming(proc: Self::Proc) -> Self::Proc;
    /// The same processor with the time-lanes route forced on (`Some(n)`:
    /// calls of at most `n` channels) or off (`Some(0)`); kernels without
    /// time lanes ignore it.
    fn time_lanes(proc: Self::Proc, _channels: Option<usize>) -> Self::Proc {
        proc
    }
    /// The same processor with chunks in lanes as `chunking` says;
    /// `None` for kernels that are never chunked.
    fn chunking(_proc: &mut Self::Proc, _chunking: Chunking) -> Option<()> {
        None
    }
    /// The detector input (sidechain) that goes with `input`, if any.
    fn key(_rng: &mut impl RngExt, _input: &Planes) -> Option<Planes> {
        None
    }
    /// Runs one block; `cross` hands the key over in the other layout kind.
    fn run(
        proc: &mut Self::Proc,
        layout: Layout,
        input: &Planes,
        _key: Option<&Planes>,
        _cross: bool,
    ) -> Planes {
        run(proc, layout, input)
    }
    /// The scalar reference over `input` from the initial state.
    fn reference(settings: &Self::Settings, input: &Planes, key: Option<&Planes>) -> Planes;
}

/// Time constants worth testing: instant, sub-sample, typical, huge.
fn time(rng: &mut impl RngExt) -> f32 {
    match rng.random_range(0..6u32) {
        0 => 0.0,
        1 => 1e-7,
        2 => 1e5,
        _ => 10f32.powf(rng.random_range(-4.5f32..0.5)),
    }
}

/// A time in any of the conventions `Time` offers.
fn any_time(rng: &mut impl RngExt) -> Time {
    let t = time(rng);
    match rng.random_range(0..5u32) {
        0 => Time::ToFraction {
            seconds: t,
            fraction: [0.5, 0.9, 0.99][rng.random_range(0..3)],
        },
        1 => Time::FfmpegMs(t * 1000.0),
        2 => Time::JuceMs(t * 1000.0),
        3 => Time::Fundsp(t),
        _ => Time::Seconds(t),
    }
}

fn sample_rate(rng: &mut impl RngExt) -> f32 {
    [8_000.0, 44_100.0, 48_000.0, 96_000.0, 192_000.0][rng.random_range(0..5)]
}

fn pick<T: Copy>(rng: &mut impl RngExt, from: &[T]) -> T {
    from[rng.random_range(0..from.len())]
}

/// Subnormal and tiny normal magnitudes, which a parameter may be given
/// (docs/kernels.md, section 7: flushed by the input rule).
const TINY: [f32; 5] = [1e-45, -1e-45, 1e-40, 1.2e-38, 1e-30];

/// Random compressor settings, every mode and every parameter's edges
/// included: the ends of each valid range, subnormal and tiny values, and
/// knees on both sides of [`MIN_KNEE_DB`].
pub fn compressor_settings(rng: &mut impl RngExt) -> Settings {
    let tiny = |rng: &mut _| pick(rng, &TINY);
    Settings {
        mode: pick(rng, &[Mode::Compress, Mode::CompressUpward, Mode::Expand]),
        detection: pick(rng, &[Detection::Peak, Detection::Rms]),
        threshold_db: match rng.random_range(0..8u32) {
            0 => tiny(rng),
            1 => 600.0,
            _ => pick(rng, &[-600.0, -80.0, -40.0, -20.0, -6.0, 0.0, 12.0]),
        },
        ratio: pick(rng, &[1.0, 1.000_000_1, 1.5, 4.0, 20.0, f32::INFINITY, 1e7]),
        knee_db: match rng.random_range(0..8u32) {
            0 => tiny(rng).abs(),
            1 => pick(rng, &[MIN_KNEE_DB, 1e-6 * 0.99, 1e-4, 1200.0]),
            _ => pick(rng, &[0.0, 0.5, 6.0, 24.0]),
        },
        attack: any_time(rng),
        release: any_time(rng),
        detector_attack: any_time(rng),
        detector_release: any_time(rng),
        makeup: match rng.random_range(0..10u32) {
            0..=2 => Makeup::Auto,
            3 => Makeup::Db(tiny(rng)),
            4 => Makeup::Db(pick(rng, &[-600.0, 600.0])),
            _ => Makeup::Db(pick(rng, &[0.0, -12.0, 6.0, 24.0])),
        },
        range_db: match rng.random_range(0..8u32) {
            0 => tiny(rng).abs(),
            _ => pick(rng, &[0.0, 6.0, 24.0, 80.0, 600.0]),
        },
        mix: match rng.random_range(0..8u32) {
            0 => tiny(rng).abs(),
            _ => pick(rng, &[0.0, 0.3, 1.0]),
        },
    }
}

/// Sample rate and per-channel (attack, release) in seconds.
#[derive(Clone, Debug)]
pub struct EnvelopeSettings {
    /// Sample rate in Hz.
    pub sample_rate: f32,
    /// Attack and release per channel.
    pub times: Vec<(f32, f32)>,
    /// What every channel follows.
    pub detection: EnvelopeDetection,
}

/// The peak envelope follower.
pub struct Envelope;

impl KernelCase for Envelope {
    const NAME: &'static str = "envelope";
    type Settings = EnvelopeSettings;
    type Proc = EnvelopeFollower;

    fn settings(rng: &mut impl RngExt, channels: usize) -> EnvelopeSettings {
        EnvelopeSettings {
            sample_rate: sample_rate(rng),
            times: (0..channels).map(|_| (time(rng), time(rng))).collect(),
            detection: pick(
                rng,
                &[
                    EnvelopeDetection::Signed,
                    EnvelopeDetection::Signed,
                    EnvelopeDetection::Peak,
                    EnvelopeDetection::MeanSquare,
                ],
            ),
        }
    }

    fn build(isa: Isa, s: &EnvelopeSettings) -> EnvelopeFollower {
        let mut env = EnvelopeFollower::new(s.sample_rate, s.times.len(), 0.0, 0.0)
            .and_then(|e| e.with_isa(isa))
            .expect("valid settings")
            .with_detection(s.detection);
        for (c, &(a, r)) in s.times.iter().enumerate() {
            env.set_channel_times(c, a, r).expect("valid times");
        }
        env
    }
    fn streaming(proc: EnvelopeFollower) -> EnvelopeFollower {
        proc.with_stream_threshold(0)
    }
    fn time_lanes(proc: EnvelopeFollower, channels: Option<usize>) -> EnvelopeFollower {
        proc.with_time_lanes(channels)
    }
    fn chunking(proc: &mut EnvelopeFollower, chunking: Chunking) -> Option<()> {
        proc.set_chunking(chunking);
        Some(())
    }

    fn reference(s: &EnvelopeSettings, input: &Planes, _key: Option<&Planes>) -> Planes {
        input
            .iter()
            .zip(&s.times)
            .map(|(x, &(a, r))| {
                let (a, r) = (coefficient(a, s.sample_rate), coefficient(r, s.sample_rate));
                let mut out = vec![0.0; x.len()];
                let mut env = 0.0;
                if s.detection == EnvelopeDetection::Signed {
                    reference::envelope::process(x, &mut out, a, r, &mut env);
                } else {
                    let p = dynref::Detector {
                        rms: s.detection == EnvelopeDetection::MeanSquare,
                        attack: a,
                        release: r,
                    };
                    for (y, &x) in out.iter_mut().zip(x) {
                        env = dynref::detect(&p, env, x);
                        *y = env;
                    }
                }
                out
            })
            .collect()
    }
}

/// Compressor settings of every channel, plus links.
#[derive(Clone, Debug)]
pub struct CompressorCase {
    /// Sample rate in Hz.
    pub sample_rate: f32,
    /// Settings per channel.
    pub channels: Vec<Settings>,
    /// Link groups.
    pub groups: Vec<Vec<usize>>,
    /// Link amount.
    pub amount: f32,
    /// Link mode.
    pub mode: LinkMode,
}

impl CompressorCase {
    fn random(rng: &mut impl RngExt, channels: usize, linked: bool) -> Self {
        let mut per: Vec<Settings> = (0..channels).map(|_| compressor_settings(rng)).collect();
        let mut groups = Vec::new();
        if linked {
            // Groups in channel order (which the identity plan may keep)
            // half the time, shuffled otherwise.
            let mut order: Vec<usize> = (0..channels).collect();
            if rng.random_bool(0.5) {
                for i in (1..order.len()).rev() {
                    order.swap(i, rng.random_range(0..=i));
                }
            }
            let mut rest = &order[..];
            while !rest.is_empty() {
                let size = rng.random_range(1..=16).min(rest.len());
                let group = rest[..size].to_vec();
                let detection = per[group[0]].detection;
                for &c in &group {
                    per[c].detection = detection;
                }
                groups.push(group);
                rest = &rest[size..];
            }
        }
        CompressorCase {
            sample_rate: sample_rate(rng),
            channels: per,
            groups,
            amount: pick(rng, &[0.0, 1e-45, 1.2e-38, 0.37, 1.0]),
            mode: pick(rng, &[LinkMode::Max, LinkMode::Mean]),
        }
    }

    fn build(&self, isa: Isa) -> Compressor {
        let mut c = Compressor::new(self.sample_rate, self.channels.len(), self.channels[0])
            .and_then(|c| c.with_isa(isa))
            .expect("valid settings");
        for (i, s) in self.channels.iter().enumerate() {
            c.set_channel_settings(i, *s).expect("valid settings");
        }
        if !self.groups.is_empty() {
            c.set_links(&self.groups, self.amount, self.mode)
                .expect("valid links");
        }
        // Start from each channel's own initial state (settings changes
        // alone keep the state, gliding to the new values).
        c.reset();
        c
    }

    /// The reference: unlinked per channel, linked frame by frame in slots.
    fn reference(&self, input: &Planes, key: Option<&Planes>) -> Planes {
        let comp = self.build(Isa::Scalar);
        let key = key.unwrap_or(input);
        if self.groups.is_empty() {
            return input
                .iter()
                .zip(key)
                .enumerate()
                .map(|(c, (x, k))| {
                    let p = comp.kernel_params(c).expect("channel");
                    let mut st = CompressorState::new(&p);
                    let mut out = vec![0.0; x.len()];
                    dynref::compress(&p, &mut st, x, k, &mut out);
                    out
                })
                .collect();
        }
        let plan = comp.plan();
        let len = input.first().map_or(0, Vec::len);
        let params: Vec<Params> = (0..plan.slots())
            .map(|slot| match plan.channel(slot) {
                Some(c) => comp.kernel_params(c).expect("channel"),
                // Padding relays the block's partial results with the
                // group's reduction (docs/kernels.md, "Linking").
                None => Params {
                    link: Link {
                        block: plan.block(slot) as f32,
                        mean: self.mode == LinkMode::Mean,
                        ..Link::default()
                    },
                    ..Params::default()
                },
            })
            .collect();
        let mut states: Vec<CompressorState> = params.iter().map(CompressorState::new).collect();
        let in_slots = |planes: &Planes| -> Planes {
            (0..plan.slots())
                .map(|slot| {
                    plan.channel(slot)
                        .map_or(vec![0.0; len], |c| planes[c].clone())
                })
                .collect()
        };
        let mut out = vec![vec![0.0; len]; plan.slots()];
        dynref::compress_linked(
            &params,
            &mut states,
            &in_slots(input),
            &in_slots(key),
            &mut out,
        );
        (0..input.len())
            .map(|c| out[plan.slot(c)].clone())
            .collect()
    }
}

/// The fused compressor, unlinked, no sidechain.
pub struct Fused;

impl KernelCase for Fused {
    const NAME: &'static str = "compressor";
    type Settings = CompressorCase;
    type Proc = Compressor;

    fn settings(rng: &mut impl RngExt, channels: usize) -> CompressorCase {
        CompressorCase::random(rng, channels, false)
    }
    fn build(isa: Isa, s: &CompressorCase) -> Compressor {
        s.build(isa)
    }
    fn streaming(proc: Compressor) -> Compressor {
        proc.with_stream_threshold(0)
    }
    fn time_lanes(proc: Compressor, channels: Option<usize>) -> Compressor {
        proc.with_time_lanes(channels)
    }
    fn chunking(proc: &mut Compressor, chunking: Chunking) -> Option<()> {
        proc.set_chunking(chunking);
        Some(())
    }
    fn reference(s: &CompressorCase, input: &Planes, key: Option<&Planes>) -> Planes {
        s.reference(input, key)
    }
}

/// The fused compressor with random link groups.
pub struct Linked;

impl KernelCase for Linked {
    const NAME: &'static str = "compressor-linked";
    type Settings = CompressorCase;
    type Proc = Compressor;

    fn settings(rng: &mut impl RngExt, channels: usize) -> CompressorCase {
        CompressorCase::random(rng, channels, true)
    }
    fn build(isa: Isa, s: &CompressorCase) -> Compressor {
        s.build(isa)
    }
    fn streaming(proc: Compressor) -> Compressor {
        proc.with_stream_threshold(0)
    }
    fn time_lanes(proc: Compressor, channels: Option<usize>) -> Compressor {
        proc.with_time_lanes(channels)
    }
    fn chunking(proc: &mut Compressor, chunking: Chunking) -> Option<()> {
        proc.set_chunking(chunking);
        Some(())
    }
    fn reference(s: &CompressorCase, input: &Planes, key: Option<&Planes>) -> Planes {
        s.reference(input, key)
    }
}

/// Random detector input for `input`: a different signal of the same shape.
fn random_key(rng: &mut impl RngExt, input: &Planes) -> Planes {
    input.iter().map(|x| signal(rng, x.len(), 0.01)).collect()
}

/// The fused compressor (sometimes linked) driven by a sidechain.
pub struct Sidechained;

impl KernelCase for Sidechained {
    const NAME: &'static str = "compressor-sidechain";
    type Settings = CompressorCase;
    type Proc = Compressor;

    fn settings(rng: &mut impl RngExt, channels: usize) -> CompressorCase {
        let linked = rng.random_bool(0.5);
        CompressorCase::random(rng, channels, linked)
    }
    fn build(isa: Isa, s: &CompressorCase) -> Compressor {
        s.build(isa)
    }
    fn streaming(proc: Compressor) -> Compressor {
        proc.with_stream_threshold(0)
    }
    fn time_lanes(proc: Compressor, channels: Option<usize>) -> Compressor {
        proc.with_time_lanes(channels)
    }
    fn chunking(proc: &mut Compressor, chunking: Chunking) -> Option<()> {
        proc.set_chunking(chunking);
        Some(())
    }
    fn key(rng: &mut impl RngExt, input: &Planes) -> Option<Planes> {
        Some(random_key(rng, input))
    }
    fn run(
        proc: &mut Compressor,
        layout: Layout,
        input: &Planes,
        key: Option<&Planes>,
        cross: bool,
    ) -> Planes {
        run_keyed(proc, layout, input, key.expect("keyed case"), cross)
    }
    fn reference(s: &CompressorCase, input: &Planes, key: Option<&Planes>) -> Planes {
        s.reference(input, key)
    }
}

/// Sample rate and settings of every channel, for the stage processors.
#[derive(Clone, Debug)]
pub struct StageSettings {
    /// Sample rate in Hz.
    pub sample_rate: f32,
    /// Settings per channel.
    pub channels: Vec<Settings>,
}

impl StageSettings {
    fn random(rng: &mut impl RngExt, channels: usize) -> Self {
        let case = CompressorCase::random(rng, channels, false);
        StageSettings {
            sample_rate: case.sample_rate,
            channels: case.channels,
        }
    }

    /// Runs `step(params, state, x, key)` over every channel from the
    /// fused compressor's initial state, with the parameters `params` gives.
    fn reference(
        &self,
        params: impl Fn(usize) -> Params,
        input: &Planes,
        key: Option<&Planes>,
        step: impl Fn(&Params, &mut CompressorState, f32, f32) -> f32,
    ) -> Planes {
        let key = key.unwrap_or(input);
        input
            .iter()
            .zip(key)
            .enumerate()
            .map(|(c, (x, k))| {
                let p = params(c);
                let mut st = CompressorState::new(&p);
                x.iter()
                    .zip(k)
                    .map(|(&x, &k)| step(&p, &mut st, x, k))
                    .collect()
            })
            .collect()
    }
}

impl Keyed for GainApply {
    fn process_keyed(
        &mut self,
        buffers: Buffers<'_, '_, '_>,
        key: Sidechain<'_, '_>,
    ) -> lanedsp::Result<()> {
        self.process_gain(buffers, key)
    }
}

macro_rules! stage_case {
    ($name:ident, $label:literal, $proc:ty, keyed = $keyed:tt,
     |$rp:ident, $st:ident, $x:ident, $k:ident| $step:expr) => {
        #[doc = concat!("The `", stringify!($proc), "` stage alone.")]
        pub struct $name;

        impl KernelCase for $name {
            const NAME: &'static str = $label;
            type Settings = StageSettings;
            type Proc = $proc;

            fn settings(rng: &mut impl RngExt, channels: usize) -> StageSettings {
                StageSettings::random(rng, channels)
            }
            fn build(isa: Isa, s: &StageSettings) -> $proc {
                <$proc>::new(s.sample_rate, &s.channels).and_then(|p| p.with_isa(isa)).expect("valid settings")
            }
            fn streaming(proc: $proc) -> $proc {
                proc.with_stream_threshold(0)
            }
            fn key(rng: &mut impl RngExt, input: &Planes) -> Option<Planes> {
                $keyed.then(|| gain_key(rng, input))
            }
            fn run(proc: &mut $proc, layout: Layout, input: &Planes, key: Option<&Planes>, cross: bool) -> Planes {
                stage_case!(@run $keyed, proc, layout, input, key, cross)
            }
            fn reference(s: &StageSettings, input: &Planes, key: Option<&Planes>) -> Planes {
                let proc = Self::build(Isa::Scalar, s);
                let params = |c| proc.kernel_params(c).expect("channel");
                s.reference(params, input, key, |$rp: &Params, $st: &mut CompressorState, $x: f32, $k: f32| $step)
            }
        }
    };
    (@run true, $proc:ident, $layout:ident, $input:ident, $key:ident, $cross:ident) => {
        run_keyed($proc, $layout, $input, $key.expect("keyed case"), $cross)
    };
    (@run false, $proc:ident, $layout:ident, $input:ident, $key:ident, $cross:ident) => {{
        let _ = ($key, $cross);
        run($proc, $layout, $input)
    }};
}

/// Gains in dB for the application stage: a wide range, some hostile.
fn gain_key(rng: &mut impl RngExt, input: &Planes) -> Planes {
    input
        .iter()
        .map(|x| {
            x.iter()
                .map(|_| match rng.random_range(0..20u32) {
                    0 => f32::NAN,
                    1 => f32::INFINITY,
                    2 => -1e30,
                    _ => rng.random_range(-120.0f32..40.0),
                })
                .collect()
        })
        .collect()
}

stage_case!(
    DetectorStage,
    "stage-detector",
    LevelDetector,
    keyed = false,
    |p, st, _x, k| {
        st.env = dynref::detect(&p.detector, st.env, k);
        st.env
    }
);
stage_case!(
    CurveStage,
    "stage-curve",
    GainComputer,
    keyed = false,
    |p, _st, x, _k| dynref::curve_stage(&p.curve, x)
);
stage_case!(
    SmootherStage,
    "stage-smoother",
    GainSmoother,
    keyed = false,
    |p, st, x, _k| {
        st.gain = dynref::smooth(&p.smoother, st.gain, x);
        st.gain
    }
);
stage_case!(
    ApplyStage,
    "stage-apply",
    GainApply,
    keyed = true,
    |p, st, x, k| {
        let (y, mix) = dynref::apply(&p.apply, st.mix, k, x);
        st.mix = mix;
        y
    }
);

/// The lookahead limiter's scalar reference over `input`, frame by frame,
/// with `lim`'s parameters and link groups, from the initial state.
pub fn limiter_reference(lim: &Limiter, input: &Planes) -> Planes {
    let (shape, p) = lim.kernel_params();
    let channels = input.len();
    let mut reference = LimiterReference::new(shape, vec![p; channels], lim.link_groups());
    let len = input.first().map_or(0, Vec::len);
    let mut out = vec![vec![0.0f32; len]; channels];
    let mut frame = vec![0.0f32; channels];
    for f in 0..len {
        for (x, ch) in frame.iter_mut().zip(input) {
            *x = ch[f];
        }
        reference.process_frame(&mut frame);
        for (o, y) in out.iter_mut().zip(&frame) {
            o[f] = *y;
        }
    }
    out
}

/// A random sample rate and limiter settings, extremes included (no
/// lookahead, one frame of it, release 0 and 1e5 s, +-60 dB input gain).
pub fn limiter_settings(rng: &mut impl RngExt) -> (f32, LimiterSettings) {
    let rate = [44_100.0, 48_000.0, 96_000.0, 192_000.0][rng.random_range(0..4)];
    let settings = LimiterSettings {
        ceiling_db: [-60.0, -12.0, -1.0, 0.0, 24.0][rng.random_range(0..5)],
        lookahead: [0.0, 1.0 / rate, 0.0005, 0.002, 0.005][rng.random_range(0..5)],
        release: Time::Seconds([0.0, 0.001, 0.05, 1e5][rng.random_range(0..4)]),
        true_peak: rng.random_bool(0.5),
        input_gain_db: [-60.0, 0.0, 6.0, 60.0][rng.random_range(0..4)],
        link_amount: [0.0, 0.5, 1.0][rng.random_range(0..3)],
    };
    (rate, settings)
}

/// Disjoint random link groups of 1..=16 channels, in channel order or
/// shuffled; some channels stay unlinked.
pub fn link_groups(rng: &mut impl RngExt, channels: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..channels).collect();
    if rng.random_bool(0.5) {
        for i in (1..order.len()).rev() {
            order.swap(i, rng.random_range(0..=i));
        }
    }
    let mut groups = Vec::new();
    let mut rest = &order[..];
    while !rest.is_empty() {
        let n = rng.random_range(1..=rest.len().min(16));
        if rng.random_bool(0.7) {
            groups.push(rest[..n].to_vec());
        }
        rest = &rest[n..];
    }
    groups
}

/// A limiter's sample rate, settings and link groups.
#[derive(Clone, Debug)]
pub struct LimiterCase {
    /// Sample rate in Hz.
    pub sample_rate: f32,
    /// Settings shared by every channel.
    pub settings: LimiterSettings,
    /// Link groups.
    pub groups: Vec<Vec<usize>>,
    /// Channel count.
    pub channels: usize,
}

/// The lookahead limiter (sample or true peak, random link groups).
pub struct LimiterKernel;

impl KernelCase for LimiterKernel {
    const NAME: &'static str = "limiter";
    type Settings = LimiterCase;
    type Proc = Limiter;

    fn settings(rng: &mut impl RngExt, channels: usize) -> LimiterCase {
        let (sample_rate, settings) = limiter_settings(rng);
        LimiterCase {
            sample_rate,
            settings,
            groups: link_groups(rng, channels),
            channels,
        }
    }
    fn build(isa: Isa, s: &LimiterCase) -> Limiter {
        Limiter::new(s.sample_rate, s.channels, s.settings)
            .and_then(|l| l.with_link_groups(&s.groups))
            .and_then(|l| l.with_isa(isa))
            .expect("valid settings")
    }
    fn streaming(proc: Limiter) -> Limiter {
        // Block kernels have no streaming stores to force.
        proc
    }
    fn reference(s: &LimiterCase, input: &Planes, _key: Option<&Planes>) -> Planes {
        limiter_reference(&Self::build(Isa::Scalar, s), input)
    }
}

/// The sample rate of the equalizer cases (bands up to 20 kHz).
pub const EQ_RATE: f32 = 48_000.0;

/// A random band of any design, raw coefficients included.
pub fn random_band(r: &mut impl RngExt) -> Band {
    let freq = 10f64.powf(r.random_range(1.3f64..4.3));
    let q = 10f64.powf(r.random_range(-0.5f64..1.0));
    let gain_db = r.random_range(-24.0f64..24.0);
    match r.random_range(0..9u32) {
        0 => Band::Peaking { freq, q, gain_db },
        1 => Band::LowShelf { freq, q, gain_db },
        2 => Band::HighShelf { freq, q, gain_db },
        3 => Band::LowPass { freq, q },
        4 => Band::HighPass { freq, q },
        5 => Band::BandPass { freq, q },
        6 => Band::Notch { freq, q },
        7 => Band::AllPass { freq, q },
        _ => Band::Raw(BiquadCoefficients {
            b0: 0.5,
            b1: -0.25,
            b2: 0.125,
            a1: -1.5,
            a2: 0.7,
        }),
    }
}

/// Random bands for each channel (0..=8 each).
pub fn random_bands(r: &mut impl RngExt, channels: usize) -> Vec<Vec<Band>> {
    (0..channels)
        .map(|_| {
            let n = r.random_range(0..=8usize);
            (0..n).map(|_| random_band(r)).collect()
        })
        .collect()
}

/// An equalizer at [`EQ_RATE`] on `isa` with `bands[c]` on channel `c`.
pub fn equalizer(isa: Isa, bands: &[Vec<Band>]) -> Equalizer {
    let mut eq = Equalizer::new(EQ_RATE, bands.len(), &[])
        .and_then(|e| e.with_isa(isa))
        .expect("valid");
    for (c, b) in bands.iter().enumerate() {
        eq.set_channel_bands(c, b).expect("valid bands");
    }
    eq
}

/// The biquad equalizer (cascades of 0..=8 sections per channel).
pub struct EqKernel;

impl KernelCase for EqKernel {
    const NAME: &'static str = "eq";
    type Settings = Vec<Vec<Band>>;
    type Proc = Equalizer;

    fn settings(rng: &mut impl RngExt, channels: usize) -> Vec<Vec<Band>> {
        random_bands(rng, channels)
    }
    fn build(isa: Isa, bands: &Vec<Vec<Band>>) -> Equalizer {
        equalizer(isa, bands)
    }
    fn streaming(proc: Equalizer) -> Equalizer {
        // Block kernels have no streaming stores to force.
        proc
    }
    fn reference(bands: &Vec<Vec<Band>>, input: &Planes, _key: Option<&Planes>) -> Planes {
        input
            .iter()
            .zip(bands)
            .map(|(x, b)| {
                let sections: Vec<_> = b
                    .iter()
                    .map(|b| b.coefficients(f64::from(EQ_RATE)).expect("valid band"))
                    .collect();
                let mut history = vec![0.0; 2 * (sections.len() + 1)];
                let mut y = vec![0.0; x.len()];
                reference::biquad::process(&sections, &mut history, x, &mut y);
                y
            })
            .collect()
    }
}

/// The peak hold over windows of 1 to 200 frames (shorter, as long as and
/// longer than a 64-frame tile).
pub struct PeakHoldKernel;

impl KernelCase for PeakHoldKernel {
    const NAME: &'static str = "peak_hold";
    type Settings = (usize, usize);
    type Proc = lanedsp::PeakHold;

    fn settings(rng: &mut impl RngExt, channels: usize) -> (usize, usize) {
        (channels, rng.random_range(1..=200))
    }
    fn build(isa: Isa, &(channels, window): &(usize, usize)) -> lanedsp::PeakHold {
        let p = lanedsp::PeakHold::new(48_000.0, channels, window as f32 / 48_000.0)
            .and_then(|p| p.with_isa(isa))
            .expect("valid settings");
        assert_eq!(p.window(), window);
        p
    }
    fn streaming(proc: lanedsp::PeakHold) -> lanedsp::PeakHold {
        proc
    }
    fn reference(&(_, window): &(usize, usize), input: &Planes, _key: Option<&Planes>) -> Planes {
        let mut out = input.clone();
        for ch in &mut out {
            reference::peak_hold::PeakHold::new(window).process(ch);
        }
        out
    }
}
