//! [`Equalizer`]: a bank of biquad cascades (up to 8 bands per channel),
//! many channels at once.

use crate::core::{Core, core_methods};
use crate::error::{Error, Result};
use crate::params;
use crate::processor::Processor;
use lanedsp_kernels::generic::biquad::{Biquad, rows};
use lanedsp_kernels::reference::biquad::{
    Coefficients, Design, FilterError, MAX_SECTIONS, crossfade,
};
use lanedsp_kernels::{Bank, Buffers, Engine, Isa, Plan, ShapeError};

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
/// [`Equalizer::set_channel_bands`]). Once the equalizer has processed
/// audio (since construction or [`Processor::reset`]), a change
/// **crossfades**: for the next [`DEFAULT_CROSSFADE_SECONDS`] (or what
/// [`Equalizer::with_crossfade`] sets) a copy of the outgoing filter keeps
/// running beside the new one and the output moves linearly from the old
/// filter's output to the new one's (docs/kernels.md, section 8), so a
/// change makes no click or zipper noise. The new filter keeps the filter
/// memory (each band's last two inputs and outputs, plain signal values
/// in direct form I); changing the *number* of bands keeps the memory of
/// the bands that remain, and new bands start from silence. A crossfade
/// costs a second filter run over its frames and nothing after.
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
    /// Frames of a crossfade (0: changes apply at once).
    crossfade: usize,
    /// Whether audio went through since construction or reset (changes
    /// before that apply at once).
    started: bool,
    /// The crossfade in progress.
    fade: Fade,
}

/// The state of a crossfade (docs/kernels.md, section 8): the outgoing
/// filter's banks and section count, how far the fade is, and an
/// interleaved scratch for its output. Its buffers are allocated when the
/// crossfade length or the section count changes, never in a process call.
#[derive(Clone, Debug)]
struct Fade {
    /// Frames of the fade done; the fade is active while `len > 0`.
    done: usize,
    /// Frames of this fade (0: no fade).
    len: usize,
    /// Sections of the outgoing filter.
    sections: usize,
    /// The outgoing filter's parameters.
    params: Bank,
    /// The outgoing filter's state.
    state: Bank,
    /// The outgoing filter's input and output for the fade's frames,
    /// interleaved (`crossfade` frames of every channel).
    scratch: Vec<f32>,
}

impl Default for Fade {
    fn default() -> Fade {
        Fade {
            done: 0,
            len: 0,
            sections: 0,
            params: Bank::new(0, 0),
            state: Bank::new(0, 0),
            scratch: Vec::new(),
        }
    }
}

/// The crossfade length of a new [`Equalizer`]: 10 ms.
pub const DEFAULT_CROSSFADE_SECONDS: f32 = 0.01;

/// Longest crossfade, seconds.
pub const MAX_CROSSFADE_SECONDS: f32 = 10.0;

/// Most samples (frames times channels) a crossfade may span: its scratch.
const MAX_CROSSFADE_FLOATS: usize = 1 << 26;

impl Equalizer {
    /// An equalizer for `channels` channels at `sample_rate` Hz, every
    /// channel with the same `bands` (at most [`MAX_SECTIONS`]; none passes
    /// the sanitized input through), on the ISA [`crate::selected_isa`]
    /// picked.
    pub fn new(sample_rate: f32, channels: usize, bands: &[Design]) -> Result<Self> {
        let core = Core::new(sample_rate, channels, (rows::params(0), rows::state(0)))?;
        let fade = Fade {
            params: core.params.clone(),
            state: core.state.clone(),
            ..Fade::default()
        };
        let mut eq = Equalizer {
            core,
            bands: vec![([Coefficients::IDENTITY; MAX_SECTIONS], 0); channels],
            sections: 0,
            crossfade: 0,
            started: false,
            fade,
        };
        eq.set_crossfade(DEFAULT_CROSSFADE_SECONDS)?;
        eq.set_bands(bands)?;
        Ok(eq)
    }

    /// The same equalizer with band changes crossfading over `seconds`
    /// (rounded to whole frames; `0` applies them at once); an error for a
    /// negative, non-finite or longer than [`MAX_CROSSFADE_SECONDS`] value.
    pub fn with_crossfade(mut self, seconds: f32) -> Result<Self> {
        self.set_crossfade(seconds)?;
        Ok(self)
    }

    /// Sets the crossfade of later band changes (see
    /// [`Equalizer::with_crossfade`]); a fade in progress keeps its length.
    /// Allocates its scratch when the length grows.
    pub fn set_crossfade(&mut self, seconds: f32) -> Result<()> {
        if !(seconds.is_finite() && (0.0..=MAX_CROSSFADE_SECONDS).contains(&seconds)) {
            return Err(crate::Error::Parameter {
                name: "crossfade",
                value: seconds,
                expected: "finite, from 0 to 10 seconds",
            });
        }
        let frames = (f64::from(seconds) * f64::from(self.core.sample_rate)).round();
        // The scratch holds `frames` frames of every channel: at most
        // MAX_CROSSFADE_FLOATS floats (and `k + 1` stays exact in `f32`).
        let floats = frames * self.channels() as f64;
        if frames > f64::from(1u32 << 24) || floats > MAX_CROSSFADE_FLOATS as f64 {
            return Err(crate::Error::Parameter {
                name: "crossfade",
                value: seconds,
                expected: "at most 2^24 frames and 2^26 samples over all channels at this sample rate",
            });
        }
        let frames = frames as usize;
        let need = frames.max(self.fade.len) * self.channels();
        if self.fade.scratch.len() < need {
            self.fade.scratch.resize(need, 0.0);
        }
        self.crossfade = frames;
        Ok(())
    }

    /// Frames of the crossfade that a band change starts.
    pub fn crossfade_frames(&self) -> usize {
        self.crossfade
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
        self.begin_fade();
        for c in 0..self.channels() {
            let old = self.bands[c].1;
            self.bands[c] = designed;
            self.silence_new_bands(c, old);
        }
        self.rebuild();
        Ok(())
    }

    /// Sets every channel's own bands at once (`bands[c]` for channel `c`,
    /// one list per channel), from the next sample on: the same as
    /// [`Equalizer::set_channel_bands`] for each channel between the same
    /// two process calls, in one pass over the banks instead of one per
    /// channel. Nothing changes on error. Allocates (not for a real-time
    /// thread).
    pub fn set_bands_per_channel<B: AsRef<[Design]>>(&mut self, bands: &[B]) -> Result<()> {
        if bands.len() != self.channels() {
            return Err(Error::Parameter {
                name: "bands per channel",
                value: bands.len() as f32,
                expected: "one list of bands per channel",
            });
        }
        let designed = bands
            .iter()
            .map(|b| self.design(b.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        self.begin_fade();
        for (c, d) in designed.into_iter().enumerate() {
            let old = self.bands[c].1;
            self.bands[c] = d;
            self.silence_new_bands(c, old);
        }
        self.rebuild();
        Ok(())
    }

    /// Sets the bands of one channel, from the next sample on.
    pub fn set_channel_bands(&mut self, channel: usize, bands: &[Design]) -> Result<()> {
        let channel = params::channel_index(channel, self.channels())?;
        let designed = self.design(bands)?;
        self.begin_fade();
        let old = self.bands[channel].1;
        self.bands[channel] = designed;
        self.silence_new_bands(channel, old);
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

    /// Before a band change: once audio went through and with a crossfade
    /// set, the running filter (parameters, state, section count) becomes
    /// the outgoing filter of a new fade, unless a fade began since the
    /// last process call. Allocates only when the section
    /// count differs from the previous outgoing filter's.
    fn begin_fade(&mut self) {
        // Changes between the same two calls make one fade, from the
        // filter before the first of them.
        let pending = self.fade.len > 0 && self.fade.done == 0;
        if !self.started || self.crossfade == 0 || pending {
            return;
        }
        let fade = &mut self.fade;
        if fade.params.words() != self.core.params.words()
            || fade.state.words() != self.core.state.words()
            || fade.params.channels() != self.core.params.channels()
        {
            fade.params = self.core.params.clone();
            fade.state = self.core.state.clone();
        } else {
            for (to, from) in [
                (&mut fade.params, &self.core.params),
                (&mut fade.state, &self.core.state),
            ] {
                for r in 0..from.words() {
                    to.row_mut(r).copy_from_slice(from.row(r));
                }
            }
        }
        fade.sections = self.sections;
        fade.len = self.crossfade;
        fade.done = 0;
    }

    /// Bands added to `channel` (it had `old`) start from silence: the
    /// output history of each new section is zeroed. (A channel with fewer
    /// bands than the largest count runs identity sections whose histories
    /// hold copies of its output; rows past the bank's current count are
    /// zeroed by [`Equalizer::rebuild`] when the bank grows.)
    fn silence_new_bands(&mut self, channel: usize, old: usize) {
        let new = self.bands[channel].1;
        let slot = self.core.plan.slot(channel);
        let state = &mut self.core.state;
        for k in old..new.min(self.sections) {
            state.row_mut(2 * k + 2)[slot] = 0.0;
            state.row_mut(2 * k + 3)[slot] = 0.0;
        }
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
            if self.fade.len == 0 {
                // Banks of the new size for the next fade's outgoing
                // filter, so that starting it does not allocate.
                self.fade.params = Bank::new(rows::params(sections), slots);
                self.fade.state = Bank::new(rows::state(sections), slots);
            }
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

    /// Clears every band's memory and ends a crossfade (the coefficients
    /// stay); the next band change applies at once until audio goes
    /// through again.
    fn reset(&mut self) {
        self.core.state.clear();
        (self.fade.len, self.fade.done) = (0, 0);
        self.started = false;
    }

    fn process(&mut self, buffers: Buffers<'_, '_, '_>) -> Result<()> {
        let channels = self.channels();
        let frames = buffers.frames(channels)?;
        let fading = self.fade.len.saturating_sub(self.fade.done).min(frames);
        if fading > 0 {
            // The outgoing filter's input, before an in-place call
            // overwrites it.
            copy_in(&buffers, channels, fading, &mut self.fade.scratch);
        }
        let mut buffers = buffers;
        run_cascade(
            self.sections,
            &self.core.engine,
            &self.core.plan,
            &self.core.params,
            &mut self.core.state,
            reborrow(&mut buffers),
        )?;
        if frames > 0 {
            self.started = true;
        }
        if fading > 0 {
            let fade = &mut self.fade;
            let mixed = &mut fade.scratch[..fading * channels];
            run_cascade(
                fade.sections,
                &self.core.engine,
                &self.core.plan,
                &fade.params,
                &mut fade.state,
                Buffers::InterleavedInPlace { buf: mixed },
            )?;
            mix_out(&mut buffers, channels, mixed, fade.done, fade.len);
            fade.done += fading;
            if fade.done == fade.len {
                (fade.len, fade.done) = (0, 0);
            }
        }
        Ok(())
    }
}

/// Runs an `n`-section cascade over `buffers`.
fn run_cascade(
    n: usize,
    engine: &Engine,
    plan: &Plan,
    params: &Bank,
    state: &mut Bank,
    buffers: Buffers<'_, '_, '_>,
) -> core::result::Result<(), ShapeError> {
    macro_rules! run {
        ($($n:literal)*) => {
            match n {
                $($n => engine.run::<Biquad<$n>>(plan, params, state, buffers, None),)*
                // `rebuild` keeps the count at most MAX_SECTIONS.
                _ => engine.run::<Biquad<MAX_SECTIONS>>(plan, params, state, buffers, None),
            }
        };
    }
    run!(0 1 2 3 4 5 6 7)
}

/// The same buffers, borrowed again (the process call keeps `buffers` for
/// the crossfade's mix).
fn reborrow<'b, 'i, 'o>(buffers: &'b mut Buffers<'_, 'i, 'o>) -> Buffers<'b, 'i, 'o> {
    match buffers {
        Buffers::Planar { input, output } => Buffers::Planar { input, output },
        Buffers::PlanarInPlace { bufs } => Buffers::PlanarInPlace { bufs },
        Buffers::Interleaved { input, output } => Buffers::Interleaved { input, output },
        Buffers::InterleavedInPlace { buf } => Buffers::InterleavedInPlace { buf },
    }
}

/// The first `frames` input frames of every channel into `to`,
/// interleaved.
fn copy_in(buffers: &Buffers<'_, '_, '_>, channels: usize, frames: usize, to: &mut [f32]) {
    let to = &mut to[..frames * channels];
    let mut planar = |x: &[f32], c: usize| {
        for (f, &v) in x[..frames].iter().enumerate() {
            to[f * channels + c] = v;
        }
    };
    match buffers {
        Buffers::Planar { input, .. } => input.iter().enumerate().for_each(|(c, x)| planar(x, c)),
        Buffers::PlanarInPlace { bufs } => bufs.iter().enumerate().for_each(|(c, x)| planar(x, c)),
        Buffers::Interleaved { input: x, .. } => to.copy_from_slice(&x[..to.len()]),
        Buffers::InterleavedInPlace { buf: x } => to.copy_from_slice(&x[..to.len()]),
    }
}

/// Mixes the outgoing filter's output `old` (interleaved, its first
/// frames) into the output of `buffers`: frame `k` of the call is frame
/// `done + k` of a fade of `len` frames ([`crossfade`]).
fn mix_out(
    buffers: &mut Buffers<'_, '_, '_>,
    channels: usize,
    old: &[f32],
    done: usize,
    len: usize,
) {
    let frames = old.len() / channels;
    match buffers {
        Buffers::Planar { output: ys, .. } | Buffers::PlanarInPlace { bufs: ys } => {
            for (c, y) in ys.iter_mut().enumerate() {
                for (f, y) in y[..frames].iter_mut().enumerate() {
                    *y = crossfade(old[f * channels + c], *y, done + f, len);
                }
            }
        }
        Buffers::Interleaved { output: ys, .. } | Buffers::InterleavedInPlace { buf: ys } => {
            for (i, y) in ys[..old.len()].iter_mut().enumerate() {
                *y = crossfade(old[i], *y, done + i / channels, len);
            }
        }
    }
}
