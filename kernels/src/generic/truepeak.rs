//! True-peak detection in lanes: see [`crate::reference::truepeak`].
//!
//! The interpolator is an FIR (no recurrence), so [`scan`] runs one
//! channel along time, consecutive frames in the lanes; every interpolated
//! value is the same operations in the same order as
//! [`truepeak::interpolate`], and the maximum of non-negative, non-NaN
//! values does not depend on the order it is taken in.

use crate::generic::sanitize;
use crate::job::LaneJob;
use crate::lanes::Lanes;
use crate::reference::max;
use crate::reference::truepeak::{self, PHASES, TAPS};
use core::ops::Range;

/// Samples of history a channel carries between calls: the `TAPS - 1`
/// frames before the first new one.
pub const HISTORY: usize = TAPS - 1;

/// Lane form of [`truepeak::interpolate`]: `past[k]` is `x[n - k]`.
#[inline(always)]
pub fn interpolate<S: Lanes>(s: S, phase: usize, past: &[S::V; TAPS]) -> S::V {
    let h = &PHASES[phase];
    let mut acc = s.mul(s.splat(h[TAPS - 1]), past[TAPS - 1]);
    for k in (0..TAPS - 1).rev() {
        acc = s.mul_add(s.splat(h[k]), past[k], acc);
    }
    acc
}

/// Lane form of [`truepeak::peak`]: `acc` raised to the magnitude of each
/// interpolated point of `past` (phase by phase, in `phases`' order).
#[inline(always)]
pub fn peak<S: Lanes>(s: S, phases: &[usize], past: &[S::V; TAPS], mut acc: S::V) -> S::V {
    for &q in phases {
        acc = s.max(acc, s.abs(interpolate(s, q, past)));
    }
    acc
}

/// Lane form of [`truepeak::scan`], up to a floor: the largest
/// interpolated magnitude `r` of the frames of `xs` after its first
/// [`HISTORY`] samples (the history), with `phases` interpolation phases,
/// such that `max(r, floor)` equals `max(truepeak::scan(phases, xs), floor)`
/// bit for bit; with `floor` `+0`, `r` is the reference scan itself. `xs`
/// holds sanitized samples (so every value is finite and the result is
/// never NaN); `floor` is non-negative and not NaN.
///
/// Points that provably cannot exceed the larger of `floor` and the
/// running maximum are skipped ([`bound`]; docs/kernels.md, section 9,
/// "Skipped points").
#[inline(always)]
pub fn scan<S: Lanes>(s: S, phases: usize, xs: &[f32], floor: f32) -> f32 {
    // The phase lists as constants, so each compiles to its own body with
    // the taps as constants: all phases, the phases of the larger bound
    // only, none.
    match phases {
        4 => scan_phases(s, &[0, 1, 2, 3], &[1, 2], xs, floor),
        2 => scan_phases(s, &[0, 2], &[2], xs, floor),
        _ => {
            debug_assert!(truepeak::phase_list(phases).is_empty());
            0.0
        }
    }
}

/// Frames per pruning block of [`scan`]: one bound per block and phase.
const BLOCK: usize = 64;

/// `sum_k |PHASES[p][k]|` for phases 0 and 3 (the smaller) and 1 and 2
/// (the larger); exact in `f32` (multiples of `2^-13`).
const GAIN: [f32; 2] = [abs_sum(0), abs_sum(1)];

const fn abs_sum(p: usize) -> f32 {
    let mut sum = 0.0;
    let mut k = 0;
    while k < TAPS {
        let h = PHASES[p][k];
        sum += if h < 0.0 { -h } else { h };
        k += 1;
    }
    sum
}

/// An upper bound on the computed magnitude of every point of a phase with
/// absolute tap sum `gain` over frames whose taps are all at most `peak` in
/// magnitude: `|y| <= gain * peak` exactly; each of the twelve roundings
/// adds at most `2^-24` of the partial sum (or `2^-150` where it is
/// subnormal), which the factor `1 + 2^-18` and the `1e-37` cover with
/// room for the rounding of this product itself.
#[inline(always)]
pub fn bound(gain: f32, peak: f32) -> f32 {
    gain * peak * (1.0 + 1.0 / 262_144.0) + 1e-37
}

/// The largest lane of `v` (non-NaN lanes).
#[inline(always)]
fn hmax<S: Lanes>(s: S, mut v: S::V) -> f32 {
    // Unrolled for the widths (constant `d` picks each shuffle).
    for d in [8, 4, 2, 1] {
        if d < S::LANES {
            v = s.max(v, s.swap_lanes(v, d));
        }
    }
    let mut out = [0.0f32];
    s.store_partial(&mut out, v);
    out[0]
}

/// [`scan`] with the phases `all` (in [`truepeak::phase_list`]'s order),
/// of which `large` have the larger tap sum [`GAIN`]`[1]`.
#[inline(always)]
fn scan_phases<S: Lanes, const P: usize, const Q: usize>(
    s: S,
    all: &[usize; P],
    large: &[usize; Q],
    xs: &[f32],
    floor: f32,
) -> f32 {
    let frames = xs.len().saturating_sub(HISTORY);
    if frames == 0 {
        return 0.0;
    }
    let mut acc = s.zero();
    let mut known = floor;
    let mut f = 0;
    // Frames `f..f + LANES` in the lanes: tap `k` of frame `n` is
    // `xs[HISTORY + n - k]`.
    while f + BLOCK <= frames {
        // The block's frames read `xs[f..f + BLOCK + HISTORY]`: their
        // largest magnitude bounds every point (overlapping loads).
        let window = &xs[f..f + BLOCK + HISTORY];
        let mut m = s.zero();
        let mut i = 0;
        while i + S::LANES < window.len() {
            m = s.max(m, s.abs(s.load(&window[i..])));
            i += S::LANES;
        }
        m = s.max(m, s.abs(s.load(&window[window.len() - S::LANES..])));
        let top = hmax(s, m);
        // Unless no point of the block can raise the result above
        // `known`, the phases that can.
        if bound(GAIN[1], top) >= known {
            acc = if bound(GAIN[0], top) < known {
                registers(s, large, xs, f..f + BLOCK, acc)
            } else {
                registers(s, all, xs, f..f + BLOCK, acc)
            };
            known = max(hmax(s, acc), known);
        }
        f += BLOCK;
    }
    let whole = f + (frames - f) / S::LANES * S::LANES;
    acc = registers(s, all, xs, f..whole, acc);
    f = whole;
    if f < frames {
        // The last frames; lanes past them load `0` and give `|±0| = +0`.
        let past: [S::V; TAPS] =
            core::array::from_fn(|k| s.load_partial(&xs[f + HISTORY - k..frames + HISTORY - k]));
        acc = peak(s, all, &past, acc);
    }
    hmax(s, acc)
}

/// `acc` raised to the points of the phases `list` of the frames `frames`
/// (a whole number of registers) of `xs` (after its [`HISTORY`]).
#[inline(always)]
fn registers<S: Lanes, const P: usize>(
    s: S,
    list: &[usize; P],
    xs: &[f32],
    frames: Range<usize>,
    mut acc: S::V,
) -> S::V {
    let mut f = frames.start;
    // Two registers at a time, their chains interleaved: the phases'
    // fused multiply-adds are sequential within a point, so independent
    // points keep the multiplier busy.
    while f + 2 * S::LANES <= frames.end {
        let load = |at: usize| -> [S::V; TAPS] {
            core::array::from_fn(|k| s.load(&xs[at + HISTORY - k..]))
        };
        let pasts = [load(f), load(f + S::LANES)];
        let mut y: [[S::V; 2]; P] = core::array::from_fn(|i| {
            let h = PHASES[list[i]][TAPS - 1];
            core::array::from_fn(|r| s.mul(s.splat(h), pasts[r][TAPS - 1]))
        });
        for k in (0..TAPS - 1).rev() {
            for (i, y) in y.iter_mut().enumerate() {
                let h = s.splat(PHASES[list[i]][k]);
                for (r, y) in y.iter_mut().enumerate() {
                    *y = s.mul_add(h, pasts[r][k], *y);
                }
            }
        }
        for y in y.iter().flatten() {
            acc = s.max(acc, s.abs(*y));
        }
        f += 2 * S::LANES;
    }
    if f < frames.end {
        let past: [S::V; TAPS] = core::array::from_fn(|k| s.load(&xs[f + HISTORY - k..]));
        acc = peak(s, list, &past, acc);
    }
    acc
}

/// Stages a chunk of interleaved frames for [`Scan`], as a [`LaneJob`]:
/// each sample of `frames` (`channels` per frame) sanitized into its
/// channel's row of `rows` (`row_len` floats each, the samples from
/// position [`HISTORY`] on), and its magnitude into the channel's sample
/// peak (`peaks[c] = max(|sanitize(x)|, peaks[c])`). In lanes: squares of
/// `LANES` frames of `LANES` channels, transposed into rows.
pub struct Stage<'a> {
    /// Interleaved frames (a whole number of frames).
    pub frames: &'a [f32],
    /// Channels per frame (rows, peaks).
    pub channels: usize,
    /// The channels' rows.
    pub rows: &'a mut [f32],
    /// Floats per row (at least `HISTORY` plus the frames).
    pub row_len: usize,
    /// The sample peak of each channel, raised.
    pub peaks: &'a mut [f32],
}

impl LaneJob for Stage<'_> {
    type Output = ();

    #[inline(always)]
    fn run<S: Lanes>(self, s: S) {
        let ch = self.channels;
        let n = self.frames.len() / ch;
        let l = S::LANES;
        // Square by square along the frames, every channel group of a
        // square in turn, so each line of the input is read once.
        for f in (0..n).step_by(l) {
            let m = (n - f).min(l);
            // The next square's lines (docs/tuning.md, "The loudness
            // meter's buffers").
            let ahead = (f + 2 * l).min(n) * ch;
            for at in ((f + l) * ch..ahead).step_by(LINE) {
                s.prefetch(&self.frames[at..]);
            }
            for c0 in (0..ch).step_by(l) {
                let width = (ch - c0).min(l);
                let mut square = s.zero_square();
                let mut top = s.zero();
                for (i, v) in square.as_mut()[..m].iter_mut().enumerate() {
                    let at = (f + i) * ch + c0;
                    let x = if width == l {
                        s.load(&self.frames[at..])
                    } else {
                        s.load_partial(&self.frames[at..at + width])
                    };
                    *v = sanitize(s, x);
                    top = s.max(top, s.abs(*v));
                }
                s.transpose(&mut square);
                for (j, &v) in square.as_ref()[..width].iter().enumerate() {
                    let at = (c0 + j) * self.row_len + HISTORY + f;
                    if m == l {
                        s.store(&mut self.rows[at..], v);
                    } else {
                        s.store_partial(&mut self.rows[at..at + m], v);
                    }
                }
                // Lane `j` is channel `c0 + j`: `max(|y|, peak)` for each.
                let peaks = &mut self.peaks[c0..c0 + width];
                let old = s.load_partial(peaks);
                s.store_partial(peaks, s.max(top, old));
            }
        }
    }
}

/// Floats per cache line (the prefetch stride of [`Stage`]).
const LINE: usize = 16;

/// The true-peak scan of a meter's channels as a [`LaneJob`]: row `c` of
/// `rows` (`row_len` floats each) holds channel `c`'s [`HISTORY`] samples
/// of history followed by `frames` new sanitized samples. Raises
/// `peaks[c]` to the row's [`scan`] above `floors[c]` (so
/// `max(peaks[c], floors[c])` becomes what the full scan would give), then
/// moves the last [`HISTORY`] samples of the row to its front (the next
/// call's history).
pub struct Scan<'a> {
    /// Interpolation phases (4, 2 or 0, [`truepeak::phases_for_rate`]).
    pub phases: usize,
    /// The channels' rows.
    pub rows: &'a mut [f32],
    /// Floats per row (at least `HISTORY + frames`).
    pub row_len: usize,
    /// New frames in each row.
    pub frames: usize,
    /// The running interpolated peak of each channel (one per row).
    pub peaks: &'a mut [f32],
    /// A value each channel's result is read above (its sample peak): one
    /// per row, non-negative.
    pub floors: &'a [f32],
}

impl LaneJob for Scan<'_> {
    type Output = ();

    #[inline(always)]
    fn run<S: Lanes>(self, s: S) {
        let n = self.frames;
        let rows = self.rows.chunks_exact_mut(self.row_len);
        for ((row, p), &floor) in rows.zip(self.peaks).zip(self.floors) {
            *p = max(
                scan(s, self.phases, &row[..HISTORY + n], max(*p, floor)),
                *p,
            );
            row.copy_within(n..n + HISTORY, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::isa::Isa;
    use crate::policy::{INPUT_CEIL, INPUT_FLOOR};
    use crate::reference::sanitize;

    struct One<'a>(usize, &'a [f32], f32);

    impl LaneJob for One<'_> {
        type Output = f32;
        #[inline(always)]
        fn run<S: Lanes>(self, s: S) -> f32 {
            scan(s, self.0, self.1, self.2)
        }
    }

    fn noise(len: usize, scale: f32) -> Vec<f32> {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let u = (seed >> 40) as f32 / (1u64 << 24) as f32;
                sanitize((u - 0.5) * scale)
            })
            .collect()
    }

    /// Every ISA's scan with a `+0` floor equals the reference scan bit for
    /// bit, at every length around the register widths and the pruning
    /// block.
    #[test]
    fn scan_matches_reference() {
        let xs = noise(300, 3.0);
        for isa in Isa::available() {
            let engine = Engine::new(isa).unwrap();
            for phases in [4, 2, 0] {
                for len in 0..xs.len() {
                    let got = engine.run_job(One(phases, &xs[..len], 0.0));
                    let want = truepeak::scan(phases, &xs[..len]);
                    assert_eq!(got.to_bits(), want.to_bits(), "{isa} {phases} {len}");
                }
            }
        }
    }

    /// Frames whose taps match phase `p`'s signs at magnitude `a`: the
    /// point of phase `p` there reaches the tap sum times `a`, the case
    /// where the pruning bound is tight.
    fn extremal(p: usize, a: f32, len: usize) -> Vec<f32> {
        // x[n - k] = a * sign(h[k]) for the frame n = len - 1.
        let mut xs = vec![0.0; len];
        for k in 0..TAPS {
            let h = PHASES[p][k];
            xs[len - 1 - k] = if h < 0.0 { -a } else { a };
        }
        xs
    }

    /// With any floor, `max(scan, floor)` equals `max(reference, floor)`
    /// bit for bit: on noise, and on signals where a block's largest point
    /// sits exactly at the pruning bound (every phase, magnitudes from the
    /// input floor to the input ceiling, the floor just below, at and just
    /// above the point).
    #[test]
    fn pruning_never_changes_the_peak_above_the_floor() {
        let mut signals = vec![noise(700, 3.0), noise(700, 0.01)];
        for p in 0..4 {
            for a in [1.0, 0.7, INPUT_CEIL, INPUT_FLOOR, 3.0e-20] {
                // Quiet noise, then the extremal frames at a block's end,
                // then more noise: the running maximum is below them.
                let mut xs: Vec<f32> = noise(200, 1e-3).iter().map(|&x| x * a).collect();
                xs.extend(extremal(p, a, 64 + 11));
                xs.extend(noise(150, a.min(1.0)));
                signals.push(xs.iter().map(|&x| sanitize(x)).collect());
            }
        }
        for isa in Isa::available() {
            let engine = Engine::new(isa).unwrap();
            for xs in &signals {
                for phases in [4, 2] {
                    let want = truepeak::scan(phases, xs);
                    let floors = [
                        0.0,
                        want * 0.25,
                        want * 0.5,
                        f32::from_bits(want.to_bits() - 1),
                        want,
                        f32::from_bits(want.to_bits() + 1),
                        want * 2.0,
                    ];
                    for floor in floors {
                        let got = engine.run_job(One(phases, xs, floor));
                        assert!(got <= want, "{isa} {phases} {floor}");
                        assert_eq!(
                            max(got, floor).to_bits(),
                            max(want, floor).to_bits(),
                            "{isa} {phases} {floor}"
                        );
                    }
                }
            }
        }
    }

    /// The bound holds for the computed extremal points themselves.
    #[test]
    fn bound_covers_the_extremal_points() {
        for p in 0..4 {
            let gain = GAIN[usize::from(p == 1 || p == 2)];
            for a in [
                1.0,
                0.7,
                INPUT_CEIL,
                INPUT_FLOOR,
                3.0e-20,
                1.0 + f32::EPSILON,
            ] {
                let xs = extremal(p, a, TAPS);
                let past: [f32; TAPS] = core::array::from_fn(|k| xs[TAPS - 1 - k]);
                let y = truepeak::interpolate(p, &past).abs();
                assert!(y <= bound(gain, a), "{p} {a}: {y} > {}", bound(gain, a));
                assert!(y > gain * a * 0.999, "{p} {a}");
            }
        }
    }

    struct Staged<'a>(&'a [f32], usize, &'a mut [f32], usize, &'a mut [f32]);

    impl LaneJob for Staged<'_> {
        type Output = ();
        #[inline(always)]
        fn run<S: Lanes>(self, s: S) {
            Stage {
                frames: self.0,
                channels: self.1,
                rows: self.2,
                row_len: self.3,
                peaks: self.4,
            }
            .run(s)
        }
    }

    /// Staging equals the per-sample loop it replaces (sanitize into the
    /// row, the magnitude into the peak) for every channel count 1-35 and
    /// frame count 0-40, hostile samples included, on every ISA; the
    /// history and the rest of each row are left alone.
    #[test]
    fn stage_matches_the_sample_loop() {
        let hostile = [f32::NAN, f32::INFINITY, -f32::INFINITY, 1e-40, -0.0, 3e30];
        for isa in Isa::available() {
            let engine = Engine::new(isa).unwrap();
            for ch in 1..=35 {
                for n in 0..=40 {
                    let mut frames = noise(n * ch, 4.0);
                    for (i, x) in frames.iter_mut().enumerate().step_by(7) {
                        *x = hostile[i % hostile.len()];
                    }
                    let row_len = HISTORY + 41;
                    let mut rows = vec![-5.0; ch * row_len];
                    let mut peaks: Vec<f32> = (0..ch).map(|c| c as f32 * 0.05).collect();
                    let mut want_rows = rows.clone();
                    let mut want_peaks = peaks.clone();
                    for (f, frame) in frames.chunks_exact(ch).enumerate() {
                        for (c, &x) in frame.iter().enumerate() {
                            let y = sanitize(x);
                            want_rows[c * row_len + HISTORY + f] = y;
                            want_peaks[c] = max(y.abs(), want_peaks[c]);
                        }
                    }
                    engine.run_job(Staged(&frames, ch, &mut rows, row_len, &mut peaks));
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&rows), bits(&want_rows), "{isa} {ch} {n}");
                    assert_eq!(bits(&peaks), bits(&want_peaks), "{isa} {ch} {n}");
                }
            }
        }
    }
}
