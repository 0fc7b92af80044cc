//! The compressor's stages as separate processors, for custom chains and
//! to measure what fusing them saves. Chained as
//! `LevelDetector -> GainComputer -> GainSmoother -> GainApply`, they give
//! [`crate::Compressor`]'s output bit for bit (unlinked, same settings).

use crate::Sidechain;
use crate::advanced::CompressorInternals;
use crate::compressor::{Settings, derive};
use crate::core::{Core, core_methods};
use crate::error::Result;
use crate::processor::Processor;
use lanedsp_kernels::generic::dynamics::{
    ApplyKernel, CurveKernel, DetectorKernel, SmootherKernel, rows,
};
use lanedsp_kernels::reference::dynamics::{Compressor as Params, CompressorState, Link};
use lanedsp_kernels::{Bank, Buffers, Isa, LaneKernel, Plan};

/// What a stage keeps beside its [`Core`]: the state it resets to and the
/// kernel parameters of each channel.
#[derive(Clone, Debug)]
struct Stage {
    initial: Bank,
    per_channel: Vec<Params>,
}

impl Stage {
    /// The core of kernel `K` for one channel per entry of `settings`, its
    /// parameters written by `write` and its one state row (if `K` has
    /// one) set by `init`.
    fn new<K: LaneKernel>(
        sample_rate: f32,
        settings: &[Settings],
        write: fn(&mut Bank, usize, &Params),
        init: fn(&CompressorState) -> f32,
    ) -> Result<(Core, Stage)> {
        let mut core = Core::for_kernel::<K>(sample_rate, settings.len())?;
        let per_channel = settings
            .iter()
            .map(|s| {
                let d = derive(s, core.sample_rate)?;
                Ok(Params {
                    detector: d.detector,
                    curve: d.curve,
                    smoother: d.smoother,
                    apply: d.apply,
                    link: Link::default(),
                })
            })
            .collect::<Result<Vec<Params>>>()?;
        for (slot, p) in per_channel.iter().enumerate() {
            write(&mut core.params, slot, p);
            if K::STATE_WORDS == 1 {
                core.state.row_mut(0)[slot] = init(&CompressorState::new(p));
            }
        }
        let initial = core.state.clone();
        Ok((
            core,
            Stage {
                initial,
                per_channel,
            },
        ))
    }
}

macro_rules! stage {
    ($(#[$doc:meta])* $name:ident, $kernel:ty, $write:expr, $init:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name {
            core: Core,
            stage: Stage,
        }

        impl $name {
            /// One channel per entry of `settings` (the stage reads its part
            /// of them), on the selected ISA.
            pub fn new(sample_rate: f32, settings: &[Settings]) -> Result<Self> {
                let (core, stage) = Stage::new::<$kernel>(sample_rate, settings, $write, $init)?;
                Ok($name { core, stage })
            }

            core_methods!(isa, stream_threshold, execution);

            /// The kernel parameters of `channel`
            /// ([`CompressorInternals::kernel_params`](crate::advanced::CompressorInternals::kernel_params)).
            pub(crate) fn params_of(&self, channel: usize) -> Option<Params> {
                self.stage.per_channel.get(channel).copied()
            }
        }

        impl CompressorInternals for $name {
            fn kernel_params(&self, channel: usize) -> Option<Params> {
                self.params_of(channel)
            }

            fn plan(&self) -> &Plan {
                &self.core.plan
            }
        }

        impl Processor for $name {
            fn channels(&self) -> usize {
                self.core.channels()
            }
            fn isa(&self) -> Isa {
                self.core.isa()
            }
            fn reset(&mut self) {
                // Same shape: the storage is reused, not reallocated.
                self.core.state.clone_from(&self.stage.initial);
            }
            fn process(&mut self, buffers: Buffers<'_, '_, '_>) -> Result<()> {
                self.core.execute::<$kernel>(buffers, None)
            }
        }
    };
}

stage!(
    /// The detector: input in, detector value out (amplitude for peak,
    /// mean square for RMS), with the detector attack and release.
    LevelDetector,
    DetectorKernel,
    |b, slot, p| rows::detector(b, 0, slot, &p.detector),
    |st| st.env
);
stage!(
    /// The static curve: detector value in, gain change in dB out.
    GainComputer,
    CurveKernel,
    |b, slot, p| rows::curve(b, 0, slot, &p.curve),
    |_| 0.0
);
stage!(
    /// The gain smoother: gain change in, smoothed total gain in dB out
    /// (makeup included).
    GainSmoother,
    SmootherKernel,
    |b, slot, p| rows::smoother(b, 0, slot, &p.smoother),
    |st| st.gain
);
stage!(
    /// Gain application: audio in, audio out, with the total gain in dB
    /// supplied per sample through [`GainApply::process_gain`] (plain
    /// `process` reads the gain from the input itself, which is rarely what
    /// you want).
    GainApply,
    ApplyKernel,
    |b, slot, p| rows::apply(b, 0, slot, &p.apply),
    |st| st.mix
);

impl GainApply {
    /// Applies `gain` (dB per channel and sample, same shape as the audio,
    /// planar or interleaved like a [`Sidechain`]) with
    /// the makeup-free mix of the settings.
    pub fn process_gain<'a, 'k: 'a>(
        &mut self,
        buffers: Buffers<'_, '_, '_>,
        gain: impl Into<Sidechain<'a, 'k>>,
    ) -> Result<()> {
        self.core.execute::<ApplyKernel>(buffers, Some(gain.into()))
    }
}

impl LevelDetector {
    /// Runs the detector on `sidechain` instead of the input (a
    /// [`Sidechain`], or its planar or interleaved
    /// slices); the output is still written to `buffers`' output.
    pub fn process_key<'a, 'k: 'a>(
        &mut self,
        buffers: Buffers<'_, '_, '_>,
        sidechain: impl Into<Sidechain<'a, 'k>>,
    ) -> Result<()> {
        self.core
            .execute::<DetectorKernel>(buffers, Some(sidechain.into()))
    }
}
