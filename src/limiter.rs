//! [`Limiter`]: a lookahead brickwall limiter for many channels at once.

use crate::advanced::LimiterInternals;
use crate::core::{Core, core_methods};
use crate::error::{Error, Result};
use crate::params;
use crate::processor::Processor;
use crate::sequential::PerChannel;
use crate::time::Time;
use lanedsp_kernels::generic::limiter::Limiter as LimiterKernel;
use lanedsp_kernels::reference::limiter::{Limiter as Sequential, LimiterParams, LimiterShape};
use lanedsp_kernels::reference::truepeak;
use lanedsp_kernels::tuning::LIMITER_SEQUENTIAL_CHANNELS;
use lanedsp_kernels::{BlockKernel, Buffers, Isa, Plan};

/// Longest lookahead, in seconds.
pub const MAX_LOOKAHEAD: f32 = 0.05;

/// Longest lookahead in frames: [`MAX_LOOKAHEAD`] at 768 kHz. At higher
/// sample rates a lookahead of more frames is an error, so the history
/// (about five rows per lookahead frame) stays bounded.
pub const MAX_LOOKAHEAD_FRAMES: usize = 38_400;

/// The settings of a [`Limiter`] (every channel shares them).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LimiterSettings {
    /// The ceiling in dBFS, in `[-60, 24]`: no output sample exceeds it.
    pub ceiling_db: f32,
    /// Lookahead in seconds, in `[0, MAX_LOOKAHEAD]`: how early the gain
    /// starts to fall before a peak (the attack), and the latency without
    /// true peak. Rounded to whole frames.
    pub lookahead: f32,
    /// How fast the gain recovers after a peak.
    pub release: Time,
    /// Detect peaks between samples (ITU-R BS.1770-4 Annex 2, 4x below
    /// 96 kHz, 2x below 192 kHz); adds 6 frames of latency.
    pub true_peak: bool,
    /// Gain applied before limiting, in dB, in `[-60, 60]`.
    pub input_gain_db: f32,
    /// How much a linked channel follows its group's deepest reduction, in
    /// `[0, 1]` (only for channels in link groups).
    pub link_amount: f32,
}

impl Default for LimiterSettings {
    /// -1 dBFS, 5 ms lookahead, 50 ms release, sample peaks, no input gain,
    /// fully linked groups.
    fn default() -> Self {
        LimiterSettings {
            ceiling_db: -1.0,
            lookahead: 0.005,
            release: Time::Seconds(0.05),
            true_peak: false,
            input_gain_db: 0.0,
            link_amount: 1.0,
        }
    }
}

/// A lookahead limiter: no output sample ever exceeds the ceiling, on any
/// input (NaN, infinities and subnormals included), on every ISA, with
/// output bit-identical to [`lanedsp_kernels::reference::limiter`].
///
/// Per channel (docs/kernels.md, section 8): the gain each sample requires
/// (`ceiling / |x|` above the ceiling), its minimum over the lookahead
/// window, a moving average over the same window (so the gain falls
/// smoothly *before* the peak and is at most the required gain when the
/// peak comes out), a release one-pole, the audio delayed by
/// [`Limiter::latency`] frames, and a final clamp at the ceiling. Channels
/// in a link group share their deepest reduction.
///
/// The output lags the input by [`Limiter::latency`] frames; an offline
/// user calls [`Limiter::flush_interleaved`] (or `flush_planar`) at the end
/// to get the last frames back.
///
/// ```
/// use lanedsp::{Limiter, LimiterSettings, Processor};
///
/// let settings = LimiterSettings { ceiling_db: -6.0, ..LimiterSettings::default() };
/// let mut lim = Limiter::new(48_000.0, 1, settings)?;
/// let input = vec![1.0f32; 4800];
/// let mut out = vec![0.0f32; 4800];
/// lim.process_interleaved(&input, &mut out)?;
/// let ceiling = 10f32.powf(-6.0 / 20.0);
/// assert!(out.iter().all(|y| y.abs() <= ceiling));
/// # Ok::<(), lanedsp::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Limiter {
    core: Core,
    settings: LimiterSettings,
    shape: LimiterShape,
    groups: Vec<Vec<usize>>,
    /// A one-channel reference per channel when the channels are few and
    /// unlinked, for the sequential route ([`LIMITER_SEQUENTIAL_CHANNELS`]),
    /// else empty.
    sequential: Vec<Sequential>,
}

impl PerChannel for [Sequential] {
    #[inline(always)]
    fn process<'a>(&mut self, channel: usize, samples: impl Iterator<Item = &'a mut f32>) {
        self[channel].process_mono_samples(samples);
    }
}

fn db_to_gain(db: f32) -> f32 {
    libm::pow(10.0, f64::from(db) / 20.0) as f32
}

impl Limiter {
    /// A limiter for `channels` unlinked channels at `sample_rate` Hz.
    pub fn new(sample_rate: f32, channels: usize, settings: LimiterSettings) -> Result<Self> {
        let words = (LimiterKernel::PARAM_WORDS, LimiterKernel::STATE_WORDS);
        let mut limiter = Limiter {
            core: Core::new(sample_rate, channels, words)?,
            settings,
            shape: LimiterShape {
                lookahead: 0,
                phases: 0,
            },
            groups: Vec::new(),
            sequential: Vec::new(),
        };
        limiter.set_settings(settings)?;
        Ok(limiter)
    }

    core_methods!(isa, execution, sample_rate);

    /// The same limiter with `groups` of channels linked (see
    /// [`Limiter::set_link_groups`]).
    pub fn with_link_groups(mut self, groups: &[Vec<usize>]) -> Result<Self> {
        self.set_link_groups(groups)?;
        Ok(self)
    }

    /// Links each group of channels (up to 16 each; a channel in at most
    /// one group): they share the deepest reduction, by
    /// [`LimiterSettings::link_amount`]. Resets the limiter and may
    /// allocate (not for a real-time thread).
    pub fn set_link_groups(&mut self, groups: &[Vec<usize>]) -> Result<()> {
        self.core.plan = Plan::linked(self.channels(), groups)?;
        self.groups = groups.to_vec();
        self.rebuild()
    }

    /// Changes the settings. A new ceiling, release, input gain or link
    /// amount takes effect at the next sample without allocating. A new
    /// lookahead or true-peak choice changes the latency: the limiter is
    /// reset and its history reallocated (not for a real-time thread).
    pub fn set_settings(&mut self, settings: LimiterSettings) -> Result<()> {
        let s = settings;
        params::within("ceiling_db", s.ceiling_db, -60.0, 24.0, "in [-60, 24] dB")?;
        let lookahead_ok = s.lookahead.is_finite() && (0.0..=MAX_LOOKAHEAD).contains(&s.lookahead);
        if !lookahead_ok {
            return Err(Error::Parameter {
                name: "lookahead",
                value: s.lookahead,
                expected: "in [0, 0.05] seconds",
            });
        }
        params::within(
            "input_gain_db",
            s.input_gain_db,
            -60.0,
            60.0,
            "in [-60, 60] dB",
        )?;
        params::within("link_amount", s.link_amount, 0.0, 1.0, "in [0, 1]")?;
        s.release.coefficient("release", self.core.sample_rate)?;
        let fs = self.core.sample_rate;
        let frames = (f64::from(s.lookahead) * f64::from(fs)).round();
        if frames > MAX_LOOKAHEAD_FRAMES as f64 {
            return Err(Error::Parameter {
                name: "lookahead",
                value: s.lookahead,
                expected: "at most 38,400 frames (50 ms at 768 kHz) at this sample rate",
            });
        }
        let shape = LimiterShape {
            lookahead: frames as usize,
            phases: if s.true_peak {
                truepeak::phases_for_rate(fs)
            } else {
                0
            },
        };
        let reshaped = shape != self.shape || self.core.history.bank().words() == 0;
        self.settings = s;
        self.shape = shape;
        if reshaped {
            self.rebuild()
        } else {
            self.write_params()
        }
    }

    /// Reallocates the banks for the plan and shape, and resets.
    fn rebuild(&mut self) -> Result<()> {
        let words = (LimiterKernel::PARAM_WORDS, LimiterKernel::STATE_WORDS);
        self.core
            .reallocate(words, LimiterKernel::history_rows(self.shape));
        let channels = self.channels();
        let unlinked = self.groups.iter().all(|g| g.len() <= 1);
        self.sequential.clear();
        if channels <= LIMITER_SEQUENTIAL_CHANNELS && unlinked {
            let p = self.settings_params()?;
            let one = || Sequential::new(self.shape, vec![p], &[]);
            self.sequential.extend((0..channels).map(|_| one()));
        }
        self.write_params()?;
        self.reset();
        Ok(())
    }

    /// The kernel's parameters for the settings (every channel's).
    fn settings_params(&self) -> Result<LimiterParams> {
        let s = &self.settings;
        Ok(LimiterParams {
            ceiling: db_to_gain(s.ceiling_db),
            gain: db_to_gain(s.input_gain_db),
            release: s.release.coefficient("release", self.core.sample_rate)?,
            amount: s.link_amount,
        })
    }

    /// Writes [`Limiter::settings_params`] to every slot's parameter rows
    /// and to the sequential route's references.
    fn write_params(&mut self) -> Result<()> {
        let p = self.settings_params()?;
        // Padding slots get the same parameters: their input is 0, so their
        // required gain is 1 and never lowers a group's minimum.
        let Core { plan, params, .. } = &mut self.core;
        for slot in 0..plan.slots() {
            let block = plan.block(slot);
            LimiterKernel::write_params(params, slot, &p, block, self.shape);
        }
        for channel in &mut self.sequential {
            channel.set_params(std::slice::from_ref(&p));
        }
        Ok(())
    }

    /// The parameters the kernel runs with
    /// ([`LimiterInternals::kernel_params`](crate::advanced::LimiterInternals::kernel_params)).
    pub(crate) fn params_of(&self) -> (LimiterShape, LimiterParams) {
        let slot = self.core.plan.slot(0);
        let row = |r: usize| self.core.params.row(r)[slot];
        (
            self.shape,
            LimiterParams {
                ceiling: row(LimiterKernel::CEILING),
                gain: row(LimiterKernel::GAIN),
                release: row(LimiterKernel::RELEASE),
                amount: row(LimiterKernel::AMOUNT),
            },
        )
    }

    /// The link groups.
    pub fn link_groups(&self) -> &[Vec<usize>] {
        &self.groups
    }

    /// The settings.
    pub fn settings(&self) -> &LimiterSettings {
        &self.settings
    }

    /// The current gain of each channel (linear, 1 when not limiting).
    pub fn gain(&self, channel: usize) -> Option<f32> {
        if let Some(sequential) = self.sequential.get(channel) {
            return Some(sequential.gain(0));
        }
        (channel < self.channels()).then(|| self.core.state.row(2)[self.core.plan.slot(channel)])
    }

    /// Writes the last [`Limiter::latency`] frames of output (the input
    /// still in the delay line) to `out`, interleaved, by processing
    /// silence: `out` must hold `latency() * channels()` samples. Call it
    /// once at the end of a stream; the limiter is then as after that much
    /// silence.
    pub fn flush_interleaved(&mut self, out: &mut [f32]) -> Result<()> {
        let want = self.latency() * self.channels();
        if out.len() != want {
            return Err(Error::Shape(lanedsp_kernels::ShapeError::LengthMismatch {
                buffer: lanedsp_kernels::BufferRole::Output,
                channel: None,
                expected: want,
                got: out.len(),
            }));
        }
        out.fill(0.0);
        self.process_interleaved_in_place(out)
    }

    /// [`Limiter::flush_interleaved`] for planar output: one slice of
    /// `latency()` frames per channel.
    pub fn flush_planar(&mut self, out: &mut [&mut [f32]]) -> Result<()> {
        let want = self.latency();
        for (c, ch) in out.iter().enumerate() {
            if ch.len() != want {
                return Err(Error::Shape(lanedsp_kernels::ShapeError::LengthMismatch {
                    buffer: lanedsp_kernels::BufferRole::Output,
                    channel: Some(c),
                    expected: want,
                    got: ch.len(),
                }));
            }
        }
        if out.len() != self.channels() {
            return Err(Error::Shape(lanedsp_kernels::ShapeError::ChannelMismatch {
                expected: self.channels(),
                got: out.len(),
            }));
        }
        for ch in out.iter_mut() {
            ch.fill(0.0);
        }
        self.process_planar_in_place(out)
    }
}

impl LimiterInternals for Limiter {
    fn kernel_params(&self) -> (LimiterShape, LimiterParams) {
        self.params_of()
    }

    fn plan(&self) -> &Plan {
        &self.core.plan
    }
}

impl Processor for Limiter {
    fn channels(&self) -> usize {
        self.core.channels()
    }

    fn isa(&self) -> Isa {
        self.core.isa()
    }

    /// The lookahead in frames, plus 6 frames with true peak.
    fn latency(&self) -> usize {
        self.shape.latency()
    }

    /// Empties the delay line and the window, and restores unity gain.
    fn reset(&mut self) {
        let Core { state, history, .. } = &mut self.core;
        LimiterKernel::reset(state, history.bank_mut(), self.shape);
        history.rewind();
        for channel in &mut self.sequential {
            channel.reset();
        }
    }

    fn process(&mut self, buffers: Buffers<'_, '_, '_>) -> Result<()> {
        if self.sequential.is_empty() {
            self.core.run_block::<LimiterKernel>(buffers, None)
        } else {
            self.core.run_per_channel(buffers, &mut self.sequential[..])
        }
    }
}
