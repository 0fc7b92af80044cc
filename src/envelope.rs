//! [`EnvelopeFollower`]: a peak envelope follower for many channels at once.

use crate::error::Result;
use crate::params;
use crate::processor::Processor;
use lanedsp_kernels::chunk::{Chunking, Execution, Reason, Scratch};
use lanedsp_kernels::generic::dynamics::{DetectorKernel, rows};
use lanedsp_kernels::generic::envelope::PeakEnvelope;
use lanedsp_kernels::policy::coefficient;
use lanedsp_kernels::reference::dynamics::Detector;
use lanedsp_kernels::{Bank, Buffers, Engine, Isa, LaneKernel, Plan};

/// What an [`EnvelopeFollower`] follows (docs/kernels.md, section 3).
///
/// The default, [`EnvelopeDetection::Signed`], follows the input as given:
/// the seed pipeline's follower, which was fed level values (`|x|`, RMS
/// frames). For raw audio, choose [`EnvelopeDetection::Peak`]: a signed
/// follower gives a negative envelope for a negative DC and a half-wave
/// peak hold of a sine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EnvelopeDetection {
    /// The input as given, sign included (the default).
    #[default]
    Signed,
    /// `|x|`: a peak envelope, like JUCE's `BallisticsFilter` in peak mode.
    Peak,
    /// `x^2`: a mean-square (power) envelope; its square root is the RMS
    /// envelope, and `10 log10` of it the RMS level in dB (squares below
    /// `2^-96` count as 0, as in the compressor's RMS detector).
    MeanSquare,
}

/// An envelope follower with attack and release, for `channels`
/// independent channels processed side by side in SIMD lanes.
///
/// Per channel and sample (docs/kernels.md gives the exact rule):
/// `env += (d - env) * k` with `k = 1 - exp(-1 / (t * sample_rate))`, `t`
/// the attack time when `d > env` and the release time otherwise. A step
/// input reaches `1 - 1/e` of its height after `t * sample_rate` samples.
///
/// `d` is the input **as given by default** ([`EnvelopeDetection::Signed`],
/// the seed's follower of level values); [`EnvelopeFollower::with_detection`]
/// chooses `|x|` (a peak envelope, what audio users usually want) or `x^2`.
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
    detection: EnvelopeDetection,
    plan: Plan,
    /// The signed follower's rows: attack, release.
    params: Bank,
    /// The same coefficients in the detector's rows (`rows::DETECTOR`):
    /// mean-square flag, attack, release.
    detector: Bank,
    state: Bank,
    /// How the last process call ran.
    last: Execution,
    /// Memory of chunked calls.
    scratch: Scratch,
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
            detection: EnvelopeDetection::Signed,
            params: Bank::new(PeakEnvelope::PARAM_WORDS, plan.slots()),
            detector: Bank::new(rows::DETECTOR, plan.slots()),
            state: Bank::new(PeakEnvelope::STATE_WORDS, plan.slots()),
            plan,
            last: Execution::whole(0, Reason::Short),
            scratch: Scratch::default(),
        };
        follower.set_times(attack, release)?;
        Ok(follower)
    }

    /// The same follower running on `isa` instead; an error if this CPU
    /// cannot run it. Tests and benchmarks use this to force a path.
    pub fn with_isa(mut self, isa: Isa) -> Result<Self> {
        self.engine = self.engine.on_isa(isa)?;
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

    /// The same processor with calls of at most `channels` channels run
    /// one channel at a time, its recurrences along time and its stateless
    /// stages on consecutive frames in the lanes (`None`: the limit
    /// measured for its ISA, docs/tuning.md; `Some(0)`: never). Tests and
    /// benchmarks force a route with it; the output is the same bits
    /// either way.
    pub fn with_time_lanes(mut self, channels: Option<usize>) -> Self {
        self.engine = self.engine.with_timed_channels(channels);
        self
    }

    /// The same processor with long calls of few channels split into
    /// chunks in lanes as `chunking` says ([`Chunking::Auto`] by default;
    /// docs/design.md, "Chunks in lanes"). The output is the same bits
    /// either way; a chunked call allocates its scratch, so a real-time
    /// thread may turn it off (`Auto` never chunks blocks shorter than
    /// [`CHUNK_MIN_FRAMES`](crate::CHUNK_MIN_FRAMES)).
    pub fn with_chunking(mut self, chunking: Chunking) -> Self {
        self.set_chunking(chunking);
        self
    }

    /// Sets the chunking ([`EnvelopeFollower::with_chunking`]).
    pub fn set_chunking(&mut self, chunking: Chunking) {
        self.engine = self.engine.with_chunking(chunking);
    }

    /// How the last process call ran: whole or in chunks, and what the
    /// chunks' repair cost.
    pub fn last_execution(&self) -> Execution {
        self.last
    }

    /// Sets the attack and release times of every channel. Takes effect at
    /// the next sample; the envelope itself is kept.
    pub fn set_times(&mut self, attack: f32, release: f32) -> Result<()> {
        let (a, r) = self.coefficients(attack, release)?;
        let channels = self.channels();
        for c in 0..channels {
            self.write(c, a, r);
        }
        Ok(())
    }

    /// The same follower following `detection` instead (the envelope is
    /// kept).
    pub fn with_detection(mut self, detection: EnvelopeDetection) -> Self {
        self.set_detection(detection);
        self
    }

    /// Sets what every channel follows, from the next sample on; the
    /// envelope is kept. No allocation.
    pub fn set_detection(&mut self, detection: EnvelopeDetection) {
        self.detection = detection;
        let rms = detection == EnvelopeDetection::MeanSquare;
        for c in 0..self.channels() {
            let p = Detector {
                rms,
                attack: self.params.row(PeakEnvelope::ATTACK)[c],
                release: self.params.row(PeakEnvelope::RELEASE)[c],
            };
            rows::detector(&mut self.detector, 0, c, &p);
        }
    }

    /// Writes channel `c`'s coefficients to both banks.
    fn write(&mut self, c: usize, attack: f32, release: f32) {
        self.params.row_mut(PeakEnvelope::ATTACK)[c] = attack;
        self.params.row_mut(PeakEnvelope::RELEASE)[c] = release;
        let p = Detector {
            rms: self.detection == EnvelopeDetection::MeanSquare,
            attack,
            release,
        };
        rows::detector(&mut self.detector, 0, c, &p);
    }

    /// What the follower follows.
    pub fn detection(&self) -> EnvelopeDetection {
        self.detection
    }

    /// Sets the attack and release times of one channel.
    pub fn set_channel_times(&mut self, channel: usize, attack: f32, release: f32) -> Result<()> {
        let channel = params::channel_index(channel, self.channels())?;
        let (a, r) = self.coefficients(attack, release)?;
        self.write(channel, a, r);
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
        let (engine, plan, state) = (&self.engine, &self.plan, &mut self.state);
        let scratch = &mut self.scratch;
        self.last = match self.detection {
            EnvelopeDetection::Signed => {
                let params = &self.params;
                engine.execute::<PeakEnvelope>(plan, params, state, buffers, None, scratch)
            }
            _ => {
                let params = &self.detector;
                engine.execute::<DetectorKernel>(plan, params, state, buffers, None, scratch)
            }
        }?;
        Ok(())
    }
}
