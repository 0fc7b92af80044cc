//! The compressor's stages as separate processors, for custom chains and
//! to measure what fusing them saves. Chained as
//! `LevelDetector -> GainComputer -> GainSmoother -> GainApply`, they give
//! [`crate::Compressor`]'s output bit for bit (unlinked, same settings).

use crate::compressor::{Settings, derive};
use crate::error::Result;
use crate::params;
use crate::processor::Processor;
use lanedsp_kernels::generic::dynamics::{
    ApplyKernel, CurveKernel, DetectorKernel, SmootherKernel, rows,
};
use lanedsp_kernels::reference::dynamics::{Compressor as Params, CompressorState, Link};
use lanedsp_kernels::{Bank, Buffers, Engine, Isa, Key, LaneKernel, Plan};

/// One stage: its kernel, banks, and the state it resets to.
#[derive(Clone, Debug)]
struct Stage {
    engine: Engine,
    plan: Plan,
    params: Bank,
    state: Bank,
    initial: Bank,
    per_channel: Vec<Params>,
}

impl Stage {
    fn new(
        sample_rate: f32,
        settings: &[Settings],
        words: (usize, usize),
        write: fn(&mut Bank, usize, &Params),
        init: fn(&CompressorState) -> f32,
    ) -> Result<Stage> {
        let sample_rate = params::sample_rate(sample_rate)?;
        params::channels(settings.len())?;
        let per_channel = settings
            .iter()
            .map(|s| {
                let d = derive(s, sample_rate)?;
                Ok(Params {
                    detector: d.detector,
                    curve: d.curve,
                    smoother: d.smoother,
                    apply: d.apply,
                    link: Link::default(),
                })
            })
            .collect::<Result<Vec<Params>>>()?;
        let plan = Plan::identity(settings.len());
        let mut params = Bank::new(words.0, plan.slots());
        let mut state = Bank::new(words.1, plan.slots());
        for (slot, p) in per_channel.iter().enumerate() {
            write(&mut params, slot, p);
            if words.1 == 1 {
                state.row_mut(0)[slot] = init(&CompressorState::new(p));
            }
        }
        Ok(Stage {
            engine: Engine::selected(),
            plan,
            params,
            initial: state.clone(),
            state,
            per_channel,
        })
    }

    fn run<K: LaneKernel>(
        &mut self,
        buffers: Buffers<'_, '_, '_>,
        key: Option<Key<'_, '_>>,
    ) -> Result<()> {
        Ok(self
            .engine
            .run::<K>(&self.plan, &self.params, &mut self.state, buffers, key)?)
    }
}

macro_rules! stage {
    ($(#[$doc:meta])* $name:ident, $kernel:ty, $rows:expr, $state:expr, $write:expr, $init:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(Stage);

        impl $name {
            /// One channel per entry of `settings` (the stage reads its part
            /// of them), on the selected ISA.
            pub fn new(sample_rate: f32, settings: &[Settings]) -> Result<Self> {
                Stage::new(sample_rate, settings, ($rows, $state), $write, $init).map($name)
            }

            /// The same stage running on `isa`.
            pub fn with_isa(mut self, isa: Isa) -> Result<Self> {
                self.0.engine = self.0.engine.on_isa(isa)?;
                Ok(self)
            }

            /// The same stage with planar calls streaming from `floats`
            /// floats of output ([`Engine::with_stream_threshold`]).
            pub fn with_stream_threshold(mut self, floats: usize) -> Self {
                self.0.engine = self.0.engine.with_stream_threshold(floats);
                self
            }

            /// The kernel parameters of `channel` (for the scalar reference).
            pub fn kernel_params(&self, channel: usize) -> Option<Params> {
                self.0.per_channel.get(channel).copied()
            }
        }

        impl Processor for $name {
            fn channels(&self) -> usize {
                self.0.plan.channels()
            }
            fn isa(&self) -> Isa {
                self.0.engine.isa()
            }
            fn reset(&mut self) {
                // Same shape: the storage is reused, not reallocated.
                self.0.state.clone_from(&self.0.initial);
            }
            fn process(&mut self, buffers: Buffers<'_, '_, '_>) -> Result<()> {
                self.0.run::<$kernel>(buffers, None)
            }
        }
    };
}

stage!(
    /// The detector: input in, detector value out (amplitude for peak,
    /// mean square for RMS), with the detector attack and release.
    LevelDetector,
    DetectorKernel,
    rows::DETECTOR,
    1,
    |b, slot, p| rows::detector(b, 0, slot, &p.detector),
    |st| st.env
);
stage!(
    /// The static curve: detector value in, gain change in dB out.
    GainComputer,
    CurveKernel,
    rows::CURVE,
    0,
    |b, slot, p| rows::curve(b, 0, slot, &p.curve),
    |_| 0.0
);
stage!(
    /// The gain smoother: gain change in, smoothed total gain in dB out
    /// (makeup included).
    GainSmoother,
    SmootherKernel,
    rows::SMOOTHER,
    1,
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
    rows::APPLY,
    1,
    |b, slot, p| rows::apply(b, 0, slot, &p.apply),
    |st| st.mix
);

impl GainApply {
    /// Applies `gain` (dB per channel and sample, same shape as the audio)
    /// with the makeup-free mix of the settings.
    pub fn process_gain(&mut self, buffers: Buffers<'_, '_, '_>, gain: Key<'_, '_>) -> Result<()> {
        self.0.run::<ApplyKernel>(buffers, Some(gain))
    }
}

impl LevelDetector {
    /// Runs the detector on `key` (sidechain) instead of the input;
    /// the output is still written to `buffers`' output.
    pub fn process_key(&mut self, buffers: Buffers<'_, '_, '_>, key: Key<'_, '_>) -> Result<()> {
        self.0.run::<DetectorKernel>(buffers, Some(key))
    }
}
