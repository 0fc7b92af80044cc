//! [`Equalizer`]: a bank of biquad cascades (up to 8 bands per channel),
//! many channels at once.

use crate::core::{Core, core_methods};
use crate::error::Result;
use crate::params;
use crate::processor::Processor;
use lanedsp_kernels::generic::biquad::{Biquad, rows};
use lanedsp_kernels::reference::biquad::{Coefficients, Design, FilterError, MAX_SECTIONS};
use lanedsp_kernels::{Bank, Buffers, Isa};

/// A parametric equalizer: per channel, a cascade of up to
/// [`MAX_SECTIONS`] biquad bands (RBJ Audio EQ Cookbook designs, or raw
/// coefficients), every channel in its own SIMD lane.
///
/// Each band is a direct-form-I section in `f32` with one fixed order of
/// fused multiply-adds (docs/kernels.md, section 8); the input and every
/// band's output pass the crate's input rule (NaN gives 0, infinities are
/// clamped, values below `2^-96` give 0), so the output never depends on
/// the CPU's FTZ/DAZ flags and is bit-identical on every ISA.
///
/// Bands may change between process calls ([`Equalizer::set_bands`],
/// [`Equalizer::set_channel_bands`]): the new coefficients apply from the
/// next sample, and the filter memory (each band's last two inputs and
/// outputs, which in direct form I are plain signal values) is kept, so a
/// change produces no state discontinuity beyond that of the new filter
/// itself; there is no interpolation or crossfade (for large jumps, change
/// in small steps across blocks). Changing the *number* of bands keeps the
/// memory of the bands that remain; new bands start from silence.
///
/// ```
/// use lanedsp::{Band, Equalizer, Processor};
///
/// let bands = [
///     Band::HighPass { freq: 30.0, q: 0.707 },
///     Band::Peaking { freq: 1_000.0, q: 1.0, gain_db: -3.0 },
///     Band::HighShelf { freq: 8_000.0, q: 0.707, gain_db: 2.0 },
/// ];
/// let mut eq = Equalizer::new(48_000.0, 2, &bands)?;
/// let mut frames = vec![0.25f32; 2 * 480];
/// eq.process_interleaved_in_place(&mut frames)?;
/// # Ok::<(), lanedsp::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Equalizer {
    /// The banks of [`Biquad`] with `sections` sections.
    core: Core,
    /// Sections of each channel (its own count; the rest of the row unused).
    bands: Vec<([Coefficients; MAX_SECTIONS], usize)>,
    /// Sections every slot runs: the largest count of any channel.
    sections: usize,
}

impl Equalizer {
    /// An equalizer for `channels` channels at `sample_rate` Hz, every
    /// channel with the same `bands` (at most [`MAX_SECTIONS`]; none passes
    /// the sanitized input through), on the ISA [`crate::selected_isa`]
    /// picked.
    pub fn new(sample_rate: f32, channels: usize, bands: &[Design]) -> Result<Self> {
        let mut eq = Equalizer {
            core: Core::new(sample_rate, channels, (0, rows::state(0)))?,
            bands: vec![([Coefficients::IDENTITY; MAX_SECTIONS], 0); channels],
            sections: 0,
        };
        eq.set_bands(bands)?;
        Ok(eq)
    }

    core_methods!(isa, sample_rate);

    /// Designs `bands` for this sample rate (nothing changes on error).
    fn design(&self, bands: &[Design]) -> Result<([Coefficients; MAX_SECTIONS], usize)> {
        if bands.len() > MAX_SECTIONS {
            return Err(FilterError::TooManySections(bands.len()).into());
        }
        let mut out = [Coefficients::IDENTITY; MAX_SECTIONS];
        for (o, b) in out.iter_mut().zip(bands) {
            *o = b.coefficients(f64::from(self.core.sample_rate))?;
        }
        Ok((out, bands.len()))
    }

    /// Sets the bands of every channel, from the next sample on (see the
    /// type's documentation for what happens to the filter memory).
    /// Allocates only when the largest band count changes.
    pub fn set_bands(&mut self, bands: &[Design]) -> Result<()> {
        let designed = self.design(bands)?;
        self.bands.fill(designed);
        self.rebuild();
        Ok(())
    }

    /// Sets the bands of one channel, from the next sample on.
    pub fn set_channel_bands(&mut self, channel: usize, bands: &[Design]) -> Result<()> {
        let channel = params::channel_index(channel, self.channels())?;
        let designed = self.design(bands)?;
        self.bands[channel] = designed;
        self.rebuild();
        Ok(())
    }

    /// The coefficients of `channel`'s bands as they run (after rounding to
    /// `f32`).
    pub fn bands(&self, channel: usize) -> Result<&[Coefficients]> {
        let channel = params::channel_index(channel, self.channels())?;
        let (c, n) = &self.bands[channel];
        Ok(&c[..*n])
    }

    /// Rewrites the parameter bank; resizes the banks (keeping the history
    /// rows that remain) when the section count changes.
    fn rebuild(&mut self) {
        let sections = self.bands.iter().map(|b| b.1).max().unwrap_or(0);
        let core = &mut self.core;
        let slots = core.plan.slots();
        if sections != self.sections {
            core.params = Bank::new(rows::params(sections), slots);
            let mut state = Bank::new(rows::state(sections), slots);
            let keep = rows::state(sections.min(self.sections));
            for r in 0..keep {
                state.row_mut(r).copy_from_slice(core.state.row(r));
            }
            core.state = state;
            self.sections = sections;
        }
        for (c, (coeffs, _)) in self.bands.iter().enumerate() {
            let slot = core.plan.slot(c);
            for (k, co) in coeffs.iter().enumerate().take(sections) {
                rows::write(&mut core.params, slot, k, co);
            }
        }
    }
}

impl Processor for Equalizer {
    fn channels(&self) -> usize {
        self.core.channels()
    }

    fn isa(&self) -> Isa {
        self.core.isa()
    }

    /// Clears every band's memory (the coefficients stay).
    fn reset(&mut self) {
        self.core.state.clear();
    }

    fn process(&mut self, buffers: Buffers<'_, '_, '_>) -> Result<()> {
        macro_rules! run {
            ($($n:literal)*) => {
                match self.sections {
                    $($n => self.core.execute::<Biquad<$n>>(buffers, None),)*
                    _ => unreachable!("at most MAX_SECTIONS sections"),
                }
            };
        }
        run!(0 1 2 3 4 5 6 7 8)
    }
}
