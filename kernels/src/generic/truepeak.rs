//! True-peak detection in lanes: see [`crate::reference::truepeak`].
//!
//! The interpolator is an FIR (no recurrence), so [`scan`] runs one
//! channel along time, consecutive frames in the lanes; every interpolated
//! value is the same operations in the same order as
//! [`truepeak::interpolate`], and the maximum of non-negative, non-NaN
//! values does not depend on the order it is taken in.

use crate::job::LaneJob;
use crate::lanes::Lanes;
use crate::reference::max;
use crate::reference::truepeak::{self, PHASES, TAPS};

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

/// Lane form of [`truepeak::scan`]: the largest interpolated magnitude of
/// the frames of `xs` after its first [`HISTORY`] samples (the history),
/// with `phases` interpolation phases; `+0` for none. `xs` holds
/// sanitized samples (so every value is finite and the result is never
/// NaN).
#[inline(always)]
pub fn scan<S: Lanes>(s: S, phases: usize, xs: &[f32]) -> f32 {
    // The phase list as a constant, so each count compiles to its own
    // body with the taps as constants.
    match phases {
        4 => scan_phases(s, &[0, 1, 2, 3], xs),
        2 => scan_phases(s, &[0, 2], xs),
        _ => {
            debug_assert!(truepeak::phase_list(phases).is_empty());
            0.0
        }
    }
}

/// [`scan`] with the phases `list` (in [`truepeak::phase_list`]'s order).
#[inline(always)]
fn scan_phases<S: Lanes, const P: usize>(s: S, list: &[usize; P], xs: &[f32]) -> f32 {
    let frames = xs.len().saturating_sub(HISTORY);
    if frames == 0 {
        return 0.0;
    }
    let mut acc = s.zero();
    let mut f = 0;
    // Frames `f..f + LANES` in the lanes: tap `k` of frame `n` is
    // `xs[HISTORY + n - k]`.
    while f + S::LANES <= frames {
        let past: [S::V; TAPS] = core::array::from_fn(|k| s.load(&xs[f + HISTORY - k..]));
        acc = peak(s, list, &past, acc);
        f += S::LANES;
    }
    if f < frames {
        // The last frames; lanes past them load `0` and give `|±0| = +0`.
        let past: [S::V; TAPS] =
            core::array::from_fn(|k| s.load_partial(&xs[f + HISTORY - k..frames + HISTORY - k]));
        acc = peak(s, list, &past, acc);
    }
    let mut lanes = [0.0f32; 16];
    s.store_partial(&mut lanes, acc);
    lanes[..S::LANES.min(16)]
        .iter()
        .fold(0.0, |m, &v| max(v, m))
}

/// The true-peak scan of a meter's channels as a [`LaneJob`]: row `c` of
/// `rows` (`row_len` floats each) holds channel `c`'s [`HISTORY`] samples
/// of history followed by `frames` new sanitized samples. Raises
/// `peaks[c]` to the row's [`scan`], then moves the last [`HISTORY`]
/// samples of the row to its front (the next call's history).
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
}

impl LaneJob for Scan<'_> {
    type Output = ();

    #[inline(always)]
    fn run<S: Lanes>(self, s: S) {
        let n = self.frames;
        for (row, p) in self.rows.chunks_exact_mut(self.row_len).zip(self.peaks) {
            *p = max(scan(s, self.phases, &row[..HISTORY + n]), *p);
            row.copy_within(n..n + HISTORY, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::isa::Isa;
    use crate::reference::sanitize;

    struct One<'a>(usize, &'a [f32]);

    impl LaneJob for One<'_> {
        type Output = f32;
        #[inline(always)]
        fn run<S: Lanes>(self, s: S) -> f32 {
            scan(s, self.0, self.1)
        }
    }

    /// Every ISA's scan equals the reference scan bit for bit, at every
    /// length around the register widths.
    #[test]
    fn scan_matches_reference() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let xs: Vec<f32> = (0..300)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let u = (seed >> 40) as f32 / (1u64 << 24) as f32;
                sanitize((u - 0.5) * 3.0)
            })
            .collect();
        for isa in Isa::available() {
            let engine = Engine::new(isa).unwrap();
            for phases in [4, 2, 0] {
                for len in 0..xs.len() {
                    let got = engine.run_job(One(phases, &xs[..len]));
                    let want = truepeak::scan(phases, &xs[..len]);
                    assert_eq!(got.to_bits(), want.to_bits(), "{isa} {phases} {len}");
                }
            }
        }
    }
}
