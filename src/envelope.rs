//! [`EnvelopeFollower`]: a peak envelope follower for many channels at once.

use crate::core::{Core, core_methods};
use crate::error::Result;
use crate::params;
use crate::processor::Processor;
use crate::time::Time;
use lanedsp_kernels::generic::dynamics::{DetectorKernel, rows};
use lanedsp_kernels::generic::envelope::PeakEnvelope;
use lanedsp_kernels::reference::dynamics::Detector;
use lanedsp_kernels::{Bank, Buffers, Isa};

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
/// The times are [`Time`]s, as the compressor's: plain `f32` seconds are
/// [`Time::Seconds`], and the other forms give a peer's coefficient
/// (`Time::JuceMs(5.0)` follows like JUCE's `BallisticsFilter`).
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
    /// The signed follower's rows in `params`: attack, release.
    core: Core,
    detection: EnvelopeDetection,
    /// The same coefficients in the detector's rows (`rows::DETECTOR`):
    /// mean-square flag, attack, release.
    detector: Bank,
}

impl EnvelopeFollower {
    /// A follower for `channels` channels at `sample_rate` Hz, every channel
    /// with the same attack and release times ([`Time`], or plain `f32`
    /// seconds, `>= 0`; `0` means the envelope follows the input at once),
    /// on the ISA [`crate::selected_isa`] picked.
    pub fn new(
        sample_rate: f32,
        channels: usize,
        attack: impl Into<Time>,
        release: impl Into<Time>,
    ) -> Result<Self> {
        let core = Core::for_kernel::<PeakEnvelope>(sample_rate, channels)?;
        let mut follower = EnvelopeFollower {
            detection: EnvelopeDetection::Signed,
            detector: Bank::new(rows::DETECTOR, core.plan.slots()),
            core,
        };
        follower.set_times(attack, release)?;
        Ok(follower)
    }

    core_methods!(
        isa,
        stream_threshold,
        time_lanes,
        chunking,
        execution,
        sample_rate
    );

    /// Sets the attack and release times of every channel ([`Time`], or
    /// plain `f32` seconds). Takes effect at the next sample; the envelope
    /// itself is kept.
    pub fn set_times(&mut self, attack: impl Into<Time>, release: impl Into<Time>) -> Result<()> {
        let (a, r) = self.coefficients(attack.into(), release.into())?;
        for c in 0..self.channels() {
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
                attack: self.core.params.row(PeakEnvelope::ATTACK)[c],
                release: self.core.params.row(PeakEnvelope::RELEASE)[c],
            };
            rows::detector(&mut self.detector, 0, c, &p);
        }
    }

    /// Writes channel `c`'s coefficients to both banks.
    fn write(&mut self, c: usize, attack: f32, release: f32) {
        self.core.params.row_mut(PeakEnvelope::ATTACK)[c] = attack;
        self.core.params.row_mut(PeakEnvelope::RELEASE)[c] = release;
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
    pub fn set_channel_times(
        &mut self,
        channel: usize,
        attack: impl Into<Time>,
        release: impl Into<Time>,
    ) -> Result<()> {
        let channel = params::channel_index(channel, self.channels())?;
        let (a, r) = self.coefficients(attack.into(), release.into())?;
        self.write(channel, a, r);
        Ok(())
    }

    /// The one-pole coefficients of the two times (attack checked first).
    fn coefficients(&self, attack: Time, release: Time) -> Result<(f32, f32)> {
        let fs = self.core.sample_rate;
        Ok((
            attack.coefficient("attack", fs)?,
            release.coefficient("release", fs)?,
        ))
    }

    /// The current envelope of each channel (after the last processed sample).
    pub fn envelope(&self) -> &[f32] {
        &self.core.state.row(0)[..self.channels()]
    }
}

impl Processor for EnvelopeFollower {
    fn channels(&self) -> usize {
        self.core.channels()
    }

    fn isa(&self) -> Isa {
        self.core.isa()
    }

    /// Sets every channel's envelope back to 0.
    fn reset(&mut self) {
        self.core.state.clear();
    }

    fn process(&mut self, buffers: Buffers<'_, '_, '_>) -> Result<()> {
        match self.detection {
            EnvelopeDetection::Signed => self.core.execute::<PeakEnvelope>(buffers, None),
            _ => self
                .core
                .execute_with::<DetectorKernel>(&self.detector, buffers, None),
        }
    }
}
