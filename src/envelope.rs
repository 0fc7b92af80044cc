//! [`EnvelopeFollower`]: a peak envelope follower for many channels at once.

use crate::error::Result;
use crate::params;
use crate::processor::Processor;
use lanedsp_kernels::generic::envelope::PeakEnvelope;
use lanedsp_kernels::policy::coefficient;
use lanedsp_kernels::{Bank, Buffers, Engine, Isa, LaneKernel, Plan};

/// A peak envelope follower with attack and release, for `channels`
/// independent channels processed side by side in SIMD lanes.
///
/// Per channel and sample (docs/kernels.md gives the exact rule):
/// `env += (x - env) * k` with `k = 1 - exp(-1 / (t * sample_rate))`, `t`
/// the attack time when `x > env` and the release time otherwise. A step
/// input reaches `1 - 1/e` of its height after `t * sample_rate` samples.
///
/// State carries across process calls; no process call allocates, locks or
/// panics. Output is bit-identical on every ISA.
///
/// ```
/// use lanedsp::{EnvelopeFollower, Processor};
///
/// // 2 channels at 48 kHz, 1 ms attack, 50 ms release.
/// let mut env = EnvelopeFollower::new(48_000.0, 2, 0.001, 0.050)?;
/// let left = vec![0.5f32; 480];
/// let right = vec![0.0f32; 480];
/// let mut out = vec![vec![0.0f32; 480]; 2];
/// let mut outs: Vec<&mut [f32]> = out.iter_mut().map(|c| c.as_mut_slice()).collect();
/// env.process_planar(&[&left, &right], &mut outs)?;
/// assert!((out[0][479] - 0.5).abs() < 1e-3 && out[1][479] == 0.0);
/// # Ok::<(), lanedsp::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct EnvelopeFollower {
    engine: Engine,
    sample_rate: f32,
    plan: Plan,
    params: Bank,
    state: Bank,
}

impl EnvelopeFollower {
    /// A follower for `channels` channels at `sample_rate` Hz, every channel
    /// with the same attack and release times (seconds, `>= 0`; `0` means
    /// the envelope follows the input at once), on the ISA
    /// [`crate::selected_isa`] picked.
    pub fn new(sample_rate: f32, channels: usize, attack: f32, release: f32) -> Result<Self> {
        let sample_rate = params::sample_rate(sample_rate)?;
        let channels = params::channels(channels)?;
        let plan = Plan::identity(channels);
        let mut follower = EnvelopeFollower {
            engine: Engine::selected(),
            sample_rate,
            params: Bank::new(PeakEnvelope::PARAM_WORDS, plan.slots()),
            state: Bank::new(PeakEnvelope::STATE_WORDS, plan.slots()),
            plan,
        };
        follower.set_times(attack, release)?;
        Ok(follower)
    }

    /// The same follower running on `isa` instead; an error if this CPU
    /// cannot run it. Tests and benchmarks use this to force a path.
    pub fn with_isa(mut self, isa: Isa) -> Result<Self> {
        self.engine = Engine::new(isa)?.with_stream_threshold(self.engine.stream_threshold());
        Ok(self)
    }

    /// The same processor with planar calls streaming from `floats` floats
    /// of output per call (channels times frames) instead of
    /// [`STREAM_FLOATS`](crate::STREAM_FLOATS): non-temporal stores and
    /// prefetched loads on AVX-512, which pay once a call's output no
    /// longer fits in the last-level cache. The output is the same bits
    /// either way.
    pub fn with_stream_threshold(mut self, floats: usize) -> Self {
        self.engine = self.engine.with_stream_threshold(floats);
        self
    }

    /// Sets the attack and release times of every channel. Takes effect at
    /// the next sample; the envelope itself is kept.
    pub fn set_times(&mut self, attack: f32, release: f32) -> Result<()> {
        let (a, r) = self.coefficients(attack, release)?;
        let channels = self.channels();
        self.params.row_mut(PeakEnvelope::ATTACK)[..channels].fill(a);
        self.params.row_mut(PeakEnvelope::RELEASE)[..channels].fill(r);
        Ok(())
    }

    /// Sets the attack and release times of one channel.
    pub fn set_channel_times(&mut self, channel: usize, attack: f32, release: f32) -> Result<()> {
        let channel = params::channel_index(channel, self.channels())?;
        let (a, r) = self.coefficients(attack, release)?;
        self.params.row_mut(PeakEnvelope::ATTACK)[channel] = a;
        self.params.row_mut(PeakEnvelope::RELEASE)[channel] = r;
        Ok(())
    }

    fn coefficients(&self, attack: f32, release: f32) -> Result<(f32, f32)> {
        let attack = params::time("attack", attack)?;
        let release = params::time("release", release)?;
        Ok((
            coefficient(attack, self.sample_rate),
            coefficient(release, self.sample_rate),
        ))
    }

    /// The current envelope of each channel (after the last processed sample).
    pub fn envelope(&self) -> &[f32] {
        &self.state.row(0)[..self.channels()]
    }

    /// Sample rate in Hz.
    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }
}

impl Processor for EnvelopeFollower {
    fn channels(&self) -> usize {
        self.plan.channels()
    }

    fn isa(&self) -> Isa {
        self.engine.isa()
    }

    /// Sets every channel's envelope back to 0.
    fn reset(&mut self) {
        self.state.clear();
    }

    fn process(&mut self, buffers: Buffers<'_, '_, '_>) -> Result<()> {
        let (plan, params) = (&self.plan, &self.params);
        Ok(self
            .engine
            .run::<PeakEnvelope>(plan, params, &mut self.state, buffers, None)?)
    }
}
