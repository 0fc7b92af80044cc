//! [`LoudnessMeter`]: ITU-R BS.1770-4 / EBU R128 loudness of many channels
//! at once.

use crate::core::{Core, core_methods};
use crate::error::{Error, Result};
use crate::params;
use lanedsp_kernels::generic::biquad::{Biquad, rows};
use lanedsp_kernels::generic::truepeak::{HISTORY, Scan, Stage};
use lanedsp_kernels::job::Native;
use lanedsp_kernels::reference::loudness::{k_weighting, lufs, power};
use lanedsp_kernels::reference::truepeak::phases_for_rate;
use lanedsp_kernels::reference::{magnitude, max};
use lanedsp_kernels::{BufferRole, Buffers, Isa, ShapeError};
use std::ops::Range;

/// Frames K-weighted per kernel call (the meter's scratch is this many
/// frames of every channel, allocated once).
const CHUNK: usize = 1024;

/// Histogram bins per LU: loudness values are kept to 0.01 LU.
const BINS_PER_LU: f64 = 100.0;
/// Histogram range: -70 LUFS (the absolute gate) to +30 LUFS; louder
/// blocks share the last bin (their energy is still summed exactly).
const BINS: usize = 100 * 100;

/// Gated blocks (400 ms blocks for the integrated loudness, 3 s blocks for
/// the loudness range) above the absolute gate, as a histogram of their
/// loudness in 0.01 LU bins with the exact energy sum and count per bin:
/// fixed size, so recording a block never allocates.
#[derive(Clone, Debug)]
struct Gate {
    sum: Vec<f64>,
    count: Vec<u64>,
    /// The bins that may be non-empty (every other bin is `0.0` and `0`,
    /// so sums over them read the same without it).
    used: Range<usize>,
}

impl Gate {
    fn new() -> Gate {
        Gate {
            sum: vec![0.0; BINS],
            count: vec![0; BINS],
            used: 0..0,
        }
    }

    fn clear(&mut self) {
        self.sum[self.used.clone()].fill(0.0);
        self.count[self.used.clone()].fill(0);
        self.used = 0..0;
    }

    /// Records a block of mean square `energy` if it passes the absolute
    /// gate (-70 LUFS).
    fn add(&mut self, energy: f64) {
        if energy >= power(-70.0) {
            let bin = ((lufs(energy) + 70.0) * BINS_PER_LU).max(0.0) as usize;
            let bin = bin.min(BINS - 1);
            self.sum[bin] += energy;
            self.count[bin] += 1;
            self.used = if self.used.is_empty() {
                bin..bin + 1
            } else {
                self.used.start.min(bin)..self.used.end.max(bin + 1)
            };
        }
    }

    /// The bins from `first` on that may be non-empty.
    fn used_from(&self, first: usize) -> Range<usize> {
        let from = first.max(self.used.start);
        from..self.used.end.max(from)
    }

    /// The sum of the energies of the bins from `first` on. Bins outside
    /// `used` hold `+0.0`, and adding `+0.0` to a sum of positive energies
    /// (or to the empty sum) changes nothing that is read: the same bits as
    /// the sum over every bin whenever a bin from `first` on is non-empty.
    fn energy_from(&self, first: usize) -> f64 {
        self.sum[self.used_from(first)].iter().sum()
    }

    /// The number of blocks in the bins from `first` on.
    fn count_from(&self, first: usize) -> u64 {
        self.count[self.used_from(first)].iter().sum()
    }

    /// The energy of a bin's centre.
    fn centre(bin: usize) -> f64 {
        power(-70.0 + (bin as f64 + 0.5) / BINS_PER_LU)
    }

    /// The mean energy of every block, and the first bin whose centre is
    /// at least `factor` times it (the relative gate); `None` when no
    /// block passed the absolute gate.
    fn relative(&self, factor: f64) -> Option<(usize, u64)> {
        let n = self.count_from(0);
        if n == 0 {
            return None;
        }
        let mean = self.energy_from(0) / n as f64;
        let gate = factor * mean;
        // The first bin whose centre reaches the gate: from the gate's
        // loudness, then checked against the centres themselves (so the
        // rounding of `log10` and `pow` cannot move it).
        let guess = ((lufs(gate) + 70.0) * BINS_PER_LU - 0.5).ceil().max(0.0) as usize;
        let mut first = guess.min(BINS);
        while first > 0 && Gate::centre(first - 1) >= gate {
            first -= 1;
        }
        while first < BINS && Gate::centre(first) < gate {
            first += 1;
        }
        Some((first, self.count_from(first)))
    }
}

/// One programme: its channels, the last 30 sub-blocks' weighted sums of
/// squares (a ring) and its gated blocks.
#[derive(Clone, Debug)]
struct Programme {
    channels: Vec<usize>,
    ring: [f64; 30],
    integrated: Gate,
    range: Gate,
}

impl Programme {
    fn new(channels: Vec<usize>) -> Programme {
        Programme {
            channels,
            ring: [0.0; 30],
            integrated: Gate::new(),
            range: Gate::new(),
        }
    }

    fn clear(&mut self) {
        self.ring = [0.0; 30];
        self.integrated.clear();
        self.range.clear();
    }
}

/// The readings of one programme of a [`LoudnessMeter`] (LUFS and LU).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Loudness {
    /// Momentary loudness (last 400 ms); `-inf` for silence.
    pub momentary: f64,
    /// Short-term loudness (last 3 s); `-inf` for silence.
    pub short_term: f64,
    /// Integrated (gated) loudness; `-inf` when no block passed the gate.
    pub integrated: f64,
    /// Loudness range (EBU Tech 3342); `0` without blocks.
    pub range: f64,
    /// The largest [`LoudnessMeter::true_peak`] of the programme's
    /// channels (linear); `0` for silence or a programme without channels.
    pub true_peak: f32,
}

/// A loudness meter after ITU-R BS.1770-4 and EBU R128 (Tech 3341, 3342)
/// for `channels` channels that form one programme: K-weighting, the
/// per-channel weights, momentary (400 ms), short-term (3 s) and
/// integrated loudness (absolute -70 LUFS and relative -10 LU gates), the
/// loudness range (EBU Tech 3342), sample peaks and true peaks (ITU-R
/// BS.1770-4 Annex 2).
///
/// The K-weighting filters (two biquad sections per channel, designed for
/// the meter's sample rate) run in SIMD lanes, every channel in its own
/// lane, bit-identical on every ISA; the squares accumulate per channel in
/// `f64` over 100 ms sub-blocks (`(rate + 5) / 10` frames, as libebur128).
/// Each completed sub-block after the fourth adds one 400 ms gating block
/// (75 % overlap); from 3 s on, every tenth sub-block adds one 3 s block to
/// the loudness range (libebur128's cadence). Gated blocks are kept as a
/// histogram of 0.01 LU bins with exact energy sums, so the integrated
/// loudness and range are exact up to the blocks in the one bin at the
/// relative gate (and the range's percentiles to a bin's half width,
/// 0.005 LU), and a process call never allocates.
///
/// True peak oversamples each channel 4x below 96 kHz (2x below 192 kHz,
/// sample peaks only from there) with the interpolator of BS.1770-4
/// Annex 2, the limiter's (`reference::truepeak`), run along time in the
/// lanes of the same ISA; bit-identical on every ISA and for every split
/// of the stream (docs/kernels.md, section 9).
///
/// ```
/// use lanedsp::LoudnessMeter;
///
/// let mut meter = LoudnessMeter::new(48_000.0, 2)?;
/// // 1 kHz at -23 dBFS peak... as RMS per channel: the EBU reference tone.
/// let a = 10f32.powf(-23.0 / 20.0);
/// let frames: Vec<f32> = (0..48_000 * 5)
///     .flat_map(|n| {
///         let x = a * (2.0 * std::f32::consts::PI * 1000.0 * n as f32 / 48_000.0).sin();
///         [x, x]
///     })
///     .collect();
/// meter.process_interleaved(&frames)?;
/// assert!((meter.integrated() - -23.0).abs() < 0.1);
/// # Ok::<(), lanedsp::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct LoudnessMeter {
    /// The banks of the K-weighting filters ([`Biquad`] of two sections).
    core: Core,
    /// Channel weights (BS.1770: 1.0, surround 1.41, LFE 0).
    weights: Vec<f64>,
    /// K-weighted frames of one chunk, interleaved.
    scratch: Vec<f32>,
    /// A planar call's chunk, interleaved (`CHUNK` frames of every
    /// channel): the K-weighting then reads it and writes the scratch, never
    /// in place.
    interleaved: Vec<f32>,
    /// Sum of squares of each channel in the current sub-block.
    sums: Vec<f64>,
    /// Frames per 100 ms sub-block.
    sub_frames: usize,
    /// Frames in the current sub-block so far.
    filled: usize,
    /// Sub-blocks completed since the start (or reset).
    subs: u64,
    /// The programmes (one, all channels, unless built with
    /// [`LoudnessMeter::with_programmes`]).
    programmes: Vec<Programme>,
    peaks: Vec<f32>,
    /// True-peak interpolation phases (4, 2 or 0).
    phases: usize,
    /// Per channel, a row of [`HISTORY`] sanitized samples of history
    /// followed by the chunk's (`HISTORY + CHUNK` floats); empty without
    /// phases.
    tp_rows: Vec<f32>,
    /// The largest interpolated magnitude of each channel so far.
    tp_peaks: Vec<f32>,
}

impl LoudnessMeter {
    /// A meter for `channels` channels at `sample_rate` Hz (at least
    /// 4 kHz), every channel weighted 1.0, on the ISA
    /// [`crate::selected_isa`] picked.
    pub fn new(sample_rate: f32, channels: usize) -> Result<Self> {
        let mut core = Core::for_kernel::<Biquad<2>>(sample_rate, channels)?;
        let sample_rate = core.sample_rate;
        let stages = k_weighting(f64::from(sample_rate))?;
        for c in 0..channels {
            for (k, s) in stages.iter().enumerate() {
                rows::write(&mut core.params, core.plan.slot(c), k, s);
            }
        }
        // 100 ms rounded to whole frames; in f64 (exact below 2^50 Hz), so a
        // huge sample rate saturates (one endless block) instead of
        // overflowing.
        let sub_frames = ((f64::from(sample_rate.round()) + 5.0) / 10.0).floor() as usize;
        let phases = phases_for_rate(sample_rate);
        let tp_len = if phases > 0 { HISTORY + CHUNK } else { 0 };
        Ok(LoudnessMeter {
            core,
            weights: vec![1.0; channels],
            scratch: vec![0.0; CHUNK * channels],
            interleaved: vec![0.0; CHUNK * channels],
            sums: vec![0.0; channels],
            sub_frames,
            filled: 0,
            subs: 0,
            programmes: vec![Programme::new((0..channels).collect())],
            peaks: vec![0.0; channels],
            phases,
            tp_rows: vec![0.0; tp_len * channels],
            tp_peaks: vec![0.0; channels],
        })
    }

    /// The same meter measuring true peak (`true`, the default) or only
    /// sample peaks (`false`: [`LoudnessMeter::true_peak`] then reads the
    /// sample peak, and a process call skips the interpolation and the
    /// copy it reads). Peaks so far are dropped.
    pub fn with_true_peak(mut self, on: bool) -> Self {
        self.phases = if on {
            phases_for_rate(self.core.sample_rate)
        } else {
            0
        };
        let len = if self.phases > 0 { HISTORY + CHUNK } else { 0 };
        self.tp_rows = vec![0.0; len * self.channels()];
        self.peaks.fill(0.0);
        self.tp_peaks.fill(0.0);
        self
    }

    core_methods!(isa, sample_rate, execution);

    /// The same meter measuring several programmes side by side, each a
    /// list of channels (every channel in at most one; a channel in none
    /// is filtered but not measured): for example 16 stereo tracks as 32
    /// channels in one call, all of them in the lanes. Each programme has
    /// its own readings ([`LoudnessMeter::programme`]), the same bits as a
    /// meter of its channels alone. Measurements so far are dropped.
    pub fn with_programmes(mut self, programmes: &[Vec<usize>]) -> Result<Self> {
        let channels = self.channels();
        let mut seen = vec![false; channels];
        for p in programmes {
            for &c in p {
                let c = params::channel_index(c, channels)?;
                if std::mem::replace(&mut seen[c], true) {
                    return Err(Error::Parameter {
                        name: "programme channel",
                        value: c as f32,
                        expected: "in at most one programme",
                    });
                }
            }
        }
        if programmes.is_empty() {
            return Err(Error::Parameter {
                name: "programmes",
                value: 0.0,
                expected: "at least one",
            });
        }
        self.programmes = programmes.iter().cloned().map(Programme::new).collect();
        self.reset();
        Ok(self)
    }

    /// Number of programmes.
    pub fn programmes(&self) -> usize {
        self.programmes.len()
    }

    /// The readings of programme `p`.
    pub fn programme(&self, p: usize) -> Result<Loudness> {
        let p = params::channel_index(p, self.programmes.len())?;
        Ok(self.readings(p))
    }

    fn readings(&self, p: usize) -> Loudness {
        let prog = &self.programmes[p];
        Loudness {
            momentary: lufs(self.window(prog, 4)),
            short_term: lufs(self.window(prog, 30)),
            integrated: integrated(&prog.integrated),
            range: range(&prog.range),
            true_peak: prog
                .channels
                .iter()
                .fold(0.0, |m, &c| max(self.channel_true_peak(c), m)),
        }
    }

    /// Sets the BS.1770 weight of one channel (finite, `>= 0`): `1.0` for
    /// left, right and centre, `1.41` (+1.5 dB) for the surround channels,
    /// `0` to exclude a channel (LFE). Applies to blocks completed from now
    /// on.
    pub fn set_channel_weight(&mut self, channel: usize, weight: f32) -> Result<()> {
        let channel = params::channel_index(channel, self.channels())?;
        let weight = params::within("channel weight", weight, 0.0, 1e6, "finite and >= 0")?;
        self.weights[channel] = f64::from(weight);
        Ok(())
    }

    /// Number of channels.
    pub fn channels(&self) -> usize {
        self.core.channels()
    }

    /// The ISA the filters run on.
    pub fn isa(&self) -> Isa {
        self.core.isa()
    }

    /// Forgets everything measured (filters, blocks, sample and true
    /// peaks with the true-peak history); the weights stay.
    pub fn reset(&mut self) {
        self.core.state.clear();
        self.sums.fill(0.0);
        self.filled = 0;
        self.subs = 0;
        for p in &mut self.programmes {
            p.clear();
        }
        self.peaks.fill(0.0);
        self.tp_rows.fill(0.0);
        self.tp_peaks.fill(0.0);
    }

    /// Measures interleaved frames (sample `f` of channel `c` at
    /// `[f * channels + c]`). No allocation.
    pub fn process_interleaved(&mut self, frames: &[f32]) -> Result<()> {
        let ch = self.channels();
        if !frames.len().is_multiple_of(ch) {
            return Err(Error::Shape(ShapeError::PartialFrame {
                len: frames.len(),
                channels: ch,
            }));
        }
        let mut rest = frames;
        while !rest.is_empty() {
            let n = (rest.len() / ch)
                .min(CHUNK)
                .min(self.sub_frames - self.filled);
            let (now, later) = rest.split_at(n * ch);
            self.chunk(n, now)?;
            rest = later;
        }
        Ok(())
    }

    /// Measures planar channels (`input[c]` is channel `c`, all the same
    /// length). No allocation.
    pub fn process_planar(&mut self, input: &[&[f32]]) -> Result<()> {
        let ch = self.channels();
        if input.len() != ch {
            return Err(Error::Shape(ShapeError::ChannelMismatch {
                expected: ch,
                got: input.len(),
            }));
        }
        let len = input[0].len();
        if let Some((c, bad)) = input.iter().enumerate().find(|(_, x)| x.len() != len) {
            return Err(Error::Shape(ShapeError::LengthMismatch {
                buffer: BufferRole::Input,
                channel: Some(c),
                expected: len,
                got: bad.len(),
            }));
        }
        let mut at = 0;
        while at < len {
            let n = (len - at).min(CHUNK).min(self.sub_frames - self.filled);
            // Taken out for the call (no allocation), so that the chunk
            // reads it while writing the meter's other buffers.
            let mut frames = std::mem::take(&mut self.interleaved);
            for (c, x) in input.iter().enumerate() {
                for (f, &v) in x[at..at + n].iter().enumerate() {
                    frames[f * ch + c] = v;
                }
            }
            let done = self.chunk(n, &frames[..n * ch]);
            self.interleaved = frames;
            done?;
            at += n;
        }
        Ok(())
    }

    /// K-weights the `n` frames of `frames` (interleaved) into the scratch
    /// (in lanes), accumulates their squares, sample peaks and true peaks
    /// (in lanes), and closes the sub-block when it is full. The
    /// K-weighting cannot fail (the meter's banks and scratch match its
    /// plan); if it did, the error would be returned, with this chunk's
    /// peaks already counted.
    fn chunk(&mut self, n: usize, frames: &[f32]) -> Result<()> {
        let ch = self.channels();
        let row_len = HISTORY + CHUNK;
        let LoudnessMeter {
            core,
            scratch,
            peaks,
            tp_rows,
            tp_peaks,
            sums,
            phases,
            ..
        } = self;
        if *phases == 0 {
            // A native job: compiled with the ISA's features, so the
            // compiler vectorizes it across channels (the same operations
            // per channel in the same order: the same bits).
            core.engine.run_job(Native(|| {
                for frame in frames.chunks_exact(ch) {
                    for (p, &x) in peaks.iter_mut().zip(frame) {
                        *p = p.max(magnitude(x));
                    }
                }
            }));
        } else {
            // Each sanitized sample into its channel's row and its
            // magnitude into the sample peak; then the interpolation, which
            // may skip points below the sample peak (the meter reports the
            // larger of the two).
            core.engine.run_job(Stage {
                frames,
                channels: ch,
                rows: tp_rows,
                row_len,
                peaks,
            });
            core.engine.run_job(Scan {
                phases: *phases,
                rows: tp_rows,
                row_len,
                frames: n,
                peaks: tp_peaks,
                floors: peaks,
            });
        }
        core.execute::<Biquad<2>>(
            Buffers::Interleaved {
                input: frames,
                output: &mut scratch[..n * ch],
            },
            None,
        )?;
        let buf = &scratch[..n * ch];
        core.engine.run_job(Native(|| {
            let c = add_squares::<32>(sums, buf, 0);
            let c = add_squares::<8>(sums, buf, c);
            // The last channels in one group, so their chains interleave.
            match ch - c {
                1 => add_squares::<1>(sums, buf, c),
                2 => add_squares::<2>(sums, buf, c),
                3 => add_squares::<3>(sums, buf, c),
                4 => add_squares::<4>(sums, buf, c),
                5 => add_squares::<5>(sums, buf, c),
                6 => add_squares::<6>(sums, buf, c),
                7 => add_squares::<7>(sums, buf, c),
                _ => c,
            };
        }));
        self.filled += n;
        if self.filled == self.sub_frames {
            self.close_sub_block();
        }
        Ok(())
    }

    fn close_sub_block(&mut self) {
        let subs = self.subs + 1;
        let slot = (self.subs % 30) as usize;
        for p in 0..self.programmes.len() {
            let weighted: f64 = self.programmes[p]
                .channels
                .iter()
                .map(|&c| self.sums[c] * self.weights[c])
                .sum();
            self.programmes[p].ring[slot] = weighted;
        }
        self.subs = subs;
        self.sums.fill(0.0);
        self.filled = 0;
        for p in 0..self.programmes.len() {
            if subs >= 4 {
                let e = self.window(&self.programmes[p], 4);
                self.programmes[p].integrated.add(e);
            }
            if subs >= 30 && (subs - 30).is_multiple_of(10) {
                let e = self.window(&self.programmes[p], 30);
                self.programmes[p].range.add(e);
            }
        }
    }

    /// Mean square (weighted over channels) of the last `subs` completed
    /// sub-blocks of `prog` (fewer at the start count as silence).
    fn window(&self, prog: &Programme, subs: usize) -> f64 {
        let have = (self.subs as usize).min(subs);
        let sum: f64 = (0..have)
            .map(|i| prog.ring[((self.subs - 1 - i as u64) % 30) as usize])
            .sum();
        sum / (subs as f64 * self.sub_frames as f64)
    }

    /// Momentary loudness (LUFS) of the first programme (all channels,
    /// unless [`LoudnessMeter::with_programmes`]) over the last 400 ms of
    /// completed sub-blocks; `-inf` for silence.
    pub fn momentary(&self) -> f64 {
        self.readings(0).momentary
    }

    /// Short-term loudness (LUFS) of the first programme over the last 3 s
    /// of completed sub-blocks; `-inf` for silence.
    pub fn short_term(&self) -> f64 {
        self.readings(0).short_term
    }

    /// Integrated (gated) loudness in LUFS of the first programme since
    /// the start or the last [`LoudnessMeter::reset`]: the mean of the
    /// 400 ms blocks above -70 LUFS and above the relative gate 10 LU below
    /// their mean; `-inf` when no block passed the absolute gate.
    pub fn integrated(&self) -> f64 {
        self.readings(0).integrated
    }

    /// Loudness range in LU (EBU Tech 3342) of the first programme: the
    /// spread between the 10th and 95th percentiles of the 3 s blocks
    /// above -70 LUFS and above the relative gate 20 LU below their mean;
    /// `0` without blocks.
    pub fn loudness_range(&self) -> f64 {
        self.readings(0).range
    }

    /// The largest sanitized sample magnitude of `channel` so far (linear;
    /// NaN counts as 0, infinities as `2^60`).
    pub fn sample_peak(&self, channel: usize) -> Result<f32> {
        let channel = params::channel_index(channel, self.channels())?;
        Ok(self.peaks[channel])
    }

    /// The true peak of `channel` so far (linear; ITU-R BS.1770-4 Annex 2):
    /// the largest of its [`LoudnessMeter::sample_peak`] and the magnitudes
    /// of the points the Annex 2 interpolator puts between its samples (4
    /// per sample below 96 kHz, 2 below 192 kHz, none from 192 kHz, where
    /// this is the sample peak). The input passes the sample peak's rule
    /// first (NaN counts as 0, infinities as `+-2^60`, `|x| < 2^-96` as
    /// 0); the samples before the first one (or the last reset) count as
    /// 0. Points between the last samples of a call are measured when the
    /// following frames arrive (the filter looks 6 frames ahead). The same
    /// bits on every ISA and for every split of the stream into calls
    /// (docs/kernels.md, section 9); to read dBTP take `20 log10`.
    pub fn true_peak(&self, channel: usize) -> Result<f32> {
        let channel = params::channel_index(channel, self.channels())?;
        Ok(self.channel_true_peak(channel))
    }

    fn channel_true_peak(&self, c: usize) -> f32 {
        max(self.tp_peaks[c], self.peaks[c])
    }
}

/// `sums[c] += y * y` in `f64` for every frame of `frames` (interleaved,
/// `sums.len()` channels) in order, for the channels from `from` on in
/// groups of `W` (the sums of a group held in registers across the
/// frames); returns the first channel left over.
#[inline(always)]
fn add_squares<const W: usize>(sums: &mut [f64], frames: &[f32], from: usize) -> usize {
    let ch = sums.len();
    let mut c0 = from;
    while c0 + W <= ch {
        let group = &mut sums[c0..c0 + W];
        let mut acc: [f64; W] = core::array::from_fn(|j| group[j]);
        for frame in frames.chunks_exact(ch) {
            let ys = &frame[c0..c0 + W];
            for (a, &y) in acc.iter_mut().zip(ys) {
                let y = f64::from(y);
                *a += y * y;
            }
        }
        group.copy_from_slice(&acc);
        c0 += W;
    }
    c0
}

/// Integrated loudness from the 400 ms blocks of one programme.
fn integrated(gate: &Gate) -> f64 {
    let Some((first, n)) = gate.relative(0.1) else {
        return f64::NEG_INFINITY;
    };
    if n == 0 {
        return f64::NEG_INFINITY;
    }
    let sum = gate.energy_from(first);
    lufs(sum / n as f64)
}

/// Loudness range from the 3 s blocks of one programme.
fn range(gate: &Gate) -> f64 {
    let Some((first, n)) = gate.relative(0.01) else {
        return 0.0;
    };
    if n == 0 {
        return 0.0;
    }
    let at = |p: f64| {
        let index = ((n - 1) as f64 * p + 0.5) as u64;
        let mut seen = 0;
        for b in first..BINS {
            seen += gate.count[b];
            if seen > index {
                return lufs(Gate::centre(b));
            }
        }
        lufs(Gate::centre(BINS - 1))
    };
    at(0.95) - at(0.10)
}
