//! [`Compressor`]: the fused dynamics processor (compressor, upward
//! compressor, expander, gate) for many channels at once.

mod settings;

pub(crate) use settings::derive;
pub use settings::{Detection, MIN_KNEE_DB, Makeup, Mode, Settings};

use crate::Sidechain;
use crate::advanced::CompressorInternals;
use crate::core::{Core, core_methods};
use crate::error::{Error, Result};
use crate::params;
use crate::processor::Processor;
use lanedsp_kernels::generic::dynamics::{FusedCompressor, LinkedCompressor, rows};
use lanedsp_kernels::reference::dynamics::{Compressor as Params, CompressorState, Link};
use lanedsp_kernels::reference::sanitize;
use lanedsp_kernels::{Buffers, Isa, LaneKernel, Plan};

/// How the channels of a link group combine their detector values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LinkMode {
    /// The loudest channel drives the group (FFmpeg's `link=maximum`).
    #[default]
    Max,
    /// The mean detector value drives the group (FFmpeg's `link=average`).
    Mean,
}

/// `Compressor::group_of` for a channel in no link group.
const NO_GROUP: u32 = u32::MAX;

/// The kernel a link layout needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kernel {
    Fused,
    Linked,
}

/// A feed-forward dynamics processor for `channels` channels in SIMD lanes:
/// detector (peak or RMS) -> static curve with soft knee -> gain smoothing
/// with attack/release -> makeup -> gain with dry/wet mix, fused into one
/// pass over cache-sized tiles (docs/kernels.md gives every formula).
///
/// * Per-channel [`Settings`]; changes take effect at the next block
///   without clicks: threshold, ratio, knee, range and makeup move the
///   smoother's target (so the gain glides with the attack/release times),
///   and `mix` glides with a 5 ms time constant.
/// * Link groups share one detector value ([`Compressor::set_links`]),
///   with a continuous amount from 0 (unlinked) to 1 (fully linked).
/// * An optional sidechain feeds the detector
///   ([`Compressor::process_sidechain`]).
/// * Meters: the current and the peak gain change of each channel.
///
/// No process call allocates, locks or panics, and the output is
/// bit-identical on every ISA.
///
/// ```
/// use lanedsp::{Compressor, Processor, Settings};
///
/// // A stereo bus at 48 kHz: 4:1 above -18 dBFS, channels linked.
/// let settings = Settings { threshold_db: -18.0, ..Settings::compressor() };
/// let mut comp = Compressor::new(48_000.0, 2, settings)?;
/// comp.set_links(&[vec![0, 1]], 1.0, lanedsp::LinkMode::Max)?;
/// let mut frames = vec![0.5f32; 2 * 4800];
/// comp.process_interleaved_in_place(&mut frames)?;
/// assert!(comp.gain_reduction_db(0) < -2.0);
/// # Ok::<(), lanedsp::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Compressor {
    core: Core,
    settings: Vec<Settings>,
    groups: Vec<Vec<usize>>,
    /// Channel -> index of its link group in `groups`, or [`NO_GROUP`].
    group_of: Vec<u32>,
    link_amount: f32,
    link_mode: LinkMode,
    kernel: Kernel,
}

impl Compressor {
    /// A processor for `channels` channels at `sample_rate` Hz, every
    /// channel with `settings`, nothing linked, on the selected ISA.
    pub fn new(sample_rate: f32, channels: usize, settings: Settings) -> Result<Self> {
        let core = Core::for_kernel::<FusedCompressor>(sample_rate, channels)?;
        settings::derive(&settings, core.sample_rate)?;
        let mut comp = Compressor {
            core,
            settings: vec![settings; channels],
            groups: Vec::new(),
            group_of: vec![NO_GROUP; channels],
            link_amount: 0.0,
            link_mode: LinkMode::Max,
            kernel: Kernel::Fused,
        };
        comp.rebuild()?;
        comp.reset();
        Ok(comp)
    }

    core_methods!(
        isa,
        stream_threshold,
        time_lanes,
        chunking,
        execution,
        sample_rate
    );

    /// Sets the settings of every channel (between blocks; no clicks).
    pub fn set_settings(&mut self, settings: Settings) -> Result<()> {
        settings::derive(&settings, self.core.sample_rate)?;
        self.settings.fill(settings);
        self.check_link_detection(&self.groups)?;
        self.write_params()
    }

    /// Sets the settings of one channel (between blocks; no clicks).
    pub fn set_channel_settings(&mut self, channel: usize, settings: Settings) -> Result<()> {
        let channel = params::channel_index(channel, self.channels())?;
        settings::derive(&settings, self.core.sample_rate)?;
        let old = std::mem::replace(&mut self.settings[channel], settings);
        // Only this channel's group can disagree now; only its row changes
        // (a channel's parameters depend on its settings and the links).
        let group = match self.group_of.get(channel) {
            Some(&g) if g != NO_GROUP => &self.groups[g as usize..=g as usize],
            _ => &[],
        };
        if let Err(err) = self.check_link_detection(group) {
            self.settings[channel] = old;
            return Err(err);
        }
        self.write_channel(channel)
    }

    /// The settings of `channel`.
    pub fn settings(&self, channel: usize) -> Option<&Settings> {
        self.settings.get(channel)
    }

    /// Links channels: each group (at most 16 channels, none in two groups)
    /// shares one detector value per sample, its maximum or mean, and each
    /// member moves its own value towards it by `amount` (0 = unlinked,
    /// 1 = fully linked). Channels in no group stay unlinked. Members of a
    /// group must use the same [`Detection`].
    ///
    /// Rearranges the lanes, so it allocates: call it when configuring, not
    /// in a real-time callback. The state of every channel is kept.
    pub fn set_links(&mut self, groups: &[Vec<usize>], amount: f32, mode: LinkMode) -> Result<()> {
        params::within("link amount", amount, 0.0, 1.0, "finite, from 0 to 1")?;
        let plan = Plan::linked(self.channels(), groups)?;
        self.check_link_detection(groups)?;
        let states: Vec<CompressorState> = (0..self.channels())
            .map(|c| rows::read_compressor_state(&self.core.state, self.core.plan.slot(c)))
            .collect();
        self.groups = groups.to_vec();
        self.group_of.fill(NO_GROUP);
        for (g, group) in groups.iter().enumerate() {
            for &c in group {
                self.group_of[c] = g as u32;
            }
        }
        self.link_amount = sanitize(amount);
        self.link_mode = mode;
        let words = (FusedCompressor::PARAM_WORDS, FusedCompressor::STATE_WORDS);
        self.core.replan(plan, words, 0);
        self.rebuild()?;
        for (c, st) in states.iter().enumerate() {
            rows::compressor_state(&mut self.core.state, self.core.plan.slot(c), st);
        }
        Ok(())
    }

    /// Changes only the link amount (no allocation; real-time safe).
    pub fn set_link_amount(&mut self, amount: f32) -> Result<()> {
        let amount = params::within("link amount", amount, 0.0, 1.0, "finite, from 0 to 1")?;
        // The input rule, as for every parameter (docs/kernels.md, section 7).
        self.link_amount = sanitize(amount);
        self.write_params()
    }

    fn check_link_detection(&self, groups: &[Vec<usize>]) -> Result<()> {
        for group in groups {
            let mut modes = group
                .iter()
                .filter_map(|&c| self.settings.get(c))
                .map(|s| s.detection);
            if let Some(first) = modes.next()
                && modes.any(|m| m != first)
            {
                return Err(Error::LinkDetection { channel: group[0] });
            }
        }
        Ok(())
    }

    /// Picks the kernel for the plan and writes every parameter.
    fn rebuild(&mut self) -> Result<()> {
        self.kernel = if self.core.plan.max_block() > 1 {
            Kernel::Linked
        } else {
            Kernel::Fused
        };
        self.write_params()
    }

    /// The kernel parameters of `channel`
    /// ([`CompressorInternals::kernel_params`](crate::advanced::CompressorInternals::kernel_params)).
    pub(crate) fn params_of(&self, channel: usize) -> Option<Params> {
        let s = self.settings.get(channel)?;
        let d = settings::derive(s, self.core.sample_rate).ok()?;
        let plan = &self.core.plan;
        let slot = plan.slot(channel);
        let members = plan.members(slot);
        Some(Params {
            detector: d.detector,
            curve: d.curve,
            smoother: d.smoother,
            apply: d.apply,
            link: Link {
                amount: if members > 1 { self.link_amount } else { 0.0 },
                block: plan.block(slot) as f32,
                inv_count: (1.0 / members as f64) as f32,
                mean: self.link_mode == LinkMode::Mean,
            },
        })
    }

    /// Writes the parameters of every channel and of the padding slots.
    fn write_params(&mut self) -> Result<()> {
        for c in 0..self.channels() {
            self.write_channel(c)?;
        }
        // Padding slots of a link block take part in its butterfly
        // (docs/kernels.md, "Linking"): they carry the block's size and
        // the group's reduction (+ for the mean, max otherwise), so that the
        // partial results they relay combine like the members' own.
        let Core { plan, params, .. } = &mut self.core;
        for slot in 0..plan.slots() {
            if plan.channel(slot).is_none() {
                let link = Link {
                    block: plan.block(slot) as f32,
                    mean: self.link_mode == LinkMode::Mean,
                    ..Link::default()
                };
                rows::link(params, rows::AT_LINK, slot, &link);
            }
        }
        Ok(())
    }

    /// Writes the parameters of `channel` alone.
    fn write_channel(&mut self, channel: usize) -> Result<()> {
        let p = self.params_of(channel).ok_or(Error::ChannelIndex {
            index: channel,
            channels: self.channels(),
        })?;
        rows::compressor(&mut self.core.params, self.core.plan.slot(channel), &p);
        Ok(())
    }

    /// Processes `buffers` with `sidechain` driving the detectors: the
    /// same channels and frames, planar (`&[&[f32]]`, or `&[&mut [f32]]`
    /// as plugin hosts hand out) or interleaved (a [`Sidechain`], or any
    /// of those slices).
    pub fn process_sidechain<'a, 'k: 'a>(
        &mut self,
        buffers: Buffers<'_, '_, '_>,
        sidechain: impl Into<Sidechain<'a, 'k>>,
    ) -> Result<()> {
        self.run(buffers, Some(sidechain.into()))
    }

    fn run(&mut self, buffers: Buffers<'_, '_, '_>, key: Option<Sidechain<'_, '_>>) -> Result<()> {
        match self.kernel {
            Kernel::Fused => self.core.execute::<FusedCompressor>(buffers, key),
            Kernel::Linked => self.core.execute::<LinkedCompressor>(buffers, key),
        }
    }

    fn state_of(&self, channel: usize) -> Option<CompressorState> {
        (channel < self.channels())
            .then(|| rows::read_compressor_state(&self.core.state, self.core.plan.slot(channel)))
    }

    /// The current gain change of `channel` in dB, makeup excluded (negative
    /// when reducing); `0` for a channel that does not exist.
    ///
    /// The smoothed gain carries the makeup (docs/kernels.md, "Smoother"),
    /// and the current makeup is subtracted: after a change of the makeup
    /// (or, with [`Makeup::Auto`], of the curve), the meter reads the glide
    /// towards the new makeup as gain change until the gain has settled.
    pub fn gain_reduction_db(&self, channel: usize) -> f32 {
        self.state_of(channel).map_or(0.0, |st| {
            st.gain - self.core.params.row(rows::AT_SMOOTHER)[self.core.plan.slot(channel)]
        })
    }

    /// The lowest gain change of `channel` in dB since the last
    /// [`Compressor::reset_meters`] or reset, makeup excluded (`0` for a
    /// channel that does not exist). A minimum that starts at `0`: in
    /// [`Mode::CompressUpward`], whose gain changes are positive, it stays
    /// `0` (read [`Compressor::gain_reduction_db`]); a makeup change shows
    /// as [`Compressor::gain_reduction_db`] describes.
    pub fn peak_reduction_db(&self, channel: usize) -> f32 {
        self.state_of(channel).map_or(0.0, |st| st.meter)
    }

    /// Restarts the peak meters.
    pub fn reset_meters(&mut self) {
        self.core.state.row_mut(3).fill(0.0);
    }

    /// Whether the linked kernel runs (some channels are linked).
    pub fn is_linked(&self) -> bool {
        self.kernel == Kernel::Linked
    }
}

impl CompressorInternals for Compressor {
    fn kernel_params(&self, channel: usize) -> Option<Params> {
        self.params_of(channel)
    }

    fn plan(&self) -> &Plan {
        &self.core.plan
    }
}

impl Processor for Compressor {
    fn channels(&self) -> usize {
        self.core.channels()
    }

    fn isa(&self) -> Isa {
        self.core.isa()
    }

    /// Returns every channel to its initial state: no level, the gain at
    /// its makeup, the mix at its setting, meters at 0.
    fn reset(&mut self) {
        self.core.state.clear();
        for c in 0..self.channels() {
            if let Some(p) = self.params_of(c) {
                let slot = self.core.plan.slot(c);
                rows::compressor_state(&mut self.core.state, slot, &CompressorState::new(&p));
            }
        }
    }

    fn process(&mut self, buffers: Buffers<'_, '_, '_>) -> Result<()> {
        self.run(buffers, None)
    }
}

// Every kernel of this module has the same bank shape.
const _: () = assert!(
    FusedCompressor::PARAM_WORDS == LinkedCompressor::PARAM_WORDS
        && FusedCompressor::STATE_WORDS == LinkedCompressor::STATE_WORDS
);
