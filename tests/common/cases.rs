//! One [`KernelCase`] per kernel: how to build its processor with random
//! per-channel settings, and its scalar reference. The equivalence harness,
//! the streaming tests and the fuzz targets all iterate over these.

use super::Planes;
use lanedsp::{EnvelopeFollower, Isa, Processor};
use lanedsp_kernels::policy::coefficient;
use lanedsp_kernels::reference;
use rand::RngExt;

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
    /// The scalar reference over `input`, one channel at a time, from the
    /// initial state.
    fn reference(settings: &Self::Settings, input: &Planes) -> Planes;
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

fn sample_rate(rng: &mut impl RngExt) -> f32 {
    [8_000.0, 44_100.0, 48_000.0, 96_000.0, 192_000.0][rng.random_range(0..5)]
}

/// Sample rate and per-channel (attack, release) in seconds.
#[derive(Clone, Debug)]
pub struct EnvelopeSettings {
    /// Sample rate in Hz.
    pub sample_rate: f32,
    /// Attack and release per channel.
    pub times: Vec<(f32, f32)>,
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
        }
    }

    fn build(isa: Isa, s: &EnvelopeSettings) -> EnvelopeFollower {
        let mut env = EnvelopeFollower::new(s.sample_rate, s.times.len(), 0.0, 0.0)
            .and_then(|e| e.with_isa(isa))
            .expect("valid settings");
        for (c, &(a, r)) in s.times.iter().enumerate() {
            env.set_channel_times(c, a, r).expect("valid times");
        }
        env
    }

    fn reference(s: &EnvelopeSettings, input: &Planes) -> Planes {
        input
            .iter()
            .zip(&s.times)
            .map(|(x, &(a, r))| {
                let (a, r) = (coefficient(a, s.sample_rate), coefficient(r, s.sample_rate));
                let mut out = vec![0.0; x.len()];
                let mut env = 0.0;
                reference::envelope::process(x, &mut out, a, r, &mut env);
                out
            })
            .collect()
    }
}
