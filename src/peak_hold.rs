//! [`PeakHold`]: each channel's largest magnitude over a sliding window.

use crate::core::{Core, core_methods};
use crate::error::{Error, Result};
use crate::processor::Processor;
use crate::sequential::{PerChannel, strided};
use lanedsp_kernels::generic::peak_hold::PeakHold as Kernel;
use lanedsp_kernels::reference::peak_hold::PeakHold as Sequential;
use lanedsp_kernels::tuning::PEAK_HOLD_SEQUENTIAL_CHANNELS;
use lanedsp_kernels::{BlockKernel, Buffers, Isa};

/// Longest hold window in frames (one second at 192 kHz).
pub const MAX_HOLD_FRAMES: usize = 192_000;

/// A peak-hold envelope: each output sample is the largest input magnitude
/// of its channel over the last `window()` frames, silence before the
/// first (docs/kernels.md, section 11). The output is not delayed
/// (`latency()` is 0). NaN counts as 0 and magnitudes are capped as every
/// kernel's input is (docs/kernels.md, section 1).
///
/// ```
/// use lanedsp::{PeakHold, Processor};
/// let mut hold = PeakHold::new(48_000.0, 1, 0.001)?; // 48 frames
/// let mut x = vec![0.0f32; 100];
/// x[10] = -0.5;
/// hold.process_planar_in_place(&mut [&mut x[..]])?;
/// assert_eq!(x[57], 0.5);
/// assert_eq!(x[58], 0.0);
/// # Ok::<(), lanedsp::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct PeakHold {
    core: Core,
    window: usize,
    /// One reference per channel when the channels are few enough for the
    /// sequential route ([`PEAK_HOLD_SEQUENTIAL_CHANNELS`]), else empty.
    sequential: Vec<Sequential>,
}

impl PerChannel for [Sequential] {
    #[inline(always)]
    fn process<'a>(&mut self, channel: usize, samples: impl Iterator<Item = &'a mut f32>) {
        self[channel].process_samples(samples);
    }

    /// Two to four interleaved channels run frame by frame: the hold's
    /// three operations per sample are too few to hide a strided walk.
    #[inline(always)]
    fn process_interleaved(&mut self, buf: &mut [f32], count: usize) {
        let holds = &mut *self;
        match count {
            2 => {
                if let Ok(holds) = holds.try_into() {
                    return Sequential::process_interleaved::<2>(holds, buf);
                }
            }
            3 => {
                if let Ok(holds) = holds.try_into() {
                    return Sequential::process_interleaved::<3>(holds, buf);
                }
            }
            4 => {
                if let Ok(holds) = holds.try_into() {
                    return Sequential::process_interleaved::<4>(holds, buf);
                }
            }
            _ => {}
        }
        strided(buf, count, self)
    }
}

impl PeakHold {
    /// A peak hold over `hold` seconds (rounded to whole frames, at least
    /// one and at most [`MAX_HOLD_FRAMES`]) for `channels` channels at
    /// `sample_rate` Hz. Allocates the window's history.
    pub fn new(sample_rate: f32, channels: usize, hold: f32) -> Result<Self> {
        let words = (Kernel::PARAM_WORDS, Kernel::STATE_WORDS);
        let mut core = Core::new(sample_rate, channels, words)?;
        let frames = (f64::from(hold) * f64::from(core.sample_rate)).round();
        if !(hold >= 0.0 && frames <= MAX_HOLD_FRAMES as f64) {
            return Err(Error::Parameter {
                name: "hold",
                value: hold,
                expected: "at least 0 seconds and at most 192,000 frames",
            });
        }
        let window = (frames as usize).max(1);
        let sequential: Vec<Sequential> = if channels <= PEAK_HOLD_SEQUENTIAL_CHANNELS {
            (0..channels).map(|_| Sequential::new(window)).collect()
        } else {
            Vec::new()
        };
        let history_rows = if sequential.is_empty() {
            Kernel::history_rows(window)
        } else {
            0
        };
        core.reallocate(words, history_rows);
        Kernel::write_params(&mut core.params, window);
        Ok(PeakHold {
            core,
            window,
            sequential,
        })
    }

    core_methods!(isa, execution, sample_rate);

    /// The window in frames.
    pub fn window(&self) -> usize {
        self.window
    }
}

impl Processor for PeakHold {
    fn channels(&self) -> usize {
        self.core.channels()
    }

    fn isa(&self) -> Isa {
        self.core.isa()
    }

    /// Forgets every input: the output starts from silence again.
    fn reset(&mut self) {
        self.core.state.clear();
        self.core.history.reset();
        for channel in &mut self.sequential {
            channel.reset();
        }
    }

    fn process(&mut self, buffers: Buffers<'_, '_, '_>) -> Result<()> {
        if self.sequential.is_empty() {
            self.core.run_block::<Kernel>(buffers, None)
        } else {
            self.core.run_per_channel(buffers, &mut self.sequential[..])
        }
    }
}
