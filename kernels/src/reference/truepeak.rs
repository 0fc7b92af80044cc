//! True-peak interpolation of ITU-R BS.1770-4 Annex 2: a 48-tap FIR in 4
//! phases of 12 taps that estimates the signal between samples (4x
//! oversampling).
//!
//! Every coefficient is a multiple of `2^-13`, so the table is exact in
//! `f32`. Phase `p` at frame `n` is `sum_k PHASES[p][k] * x[n - k]`,
//! accumulated in the fixed order of [`interpolate`]; its main lobe lies
//! between taps 5 and 6, so the interpolated points sit between
//! `x[n - 6]` and `x[n - 5]` ([`CENTRE`]).

/// Taps per phase.
pub const TAPS: usize = 12;

/// The filter's centre: the interpolated points of frame `n` lie between
/// `x[n - CENTRE]` and `x[n - CENTRE + 1]`.
pub const CENTRE: usize = 6;

/// The published coefficients (BS.1770-4 Annex 2, table 1), phase by
/// phase, as multiples of `2^-13`; phase 3 is phase 0 reversed and phase 2
/// is phase 1 reversed.
pub const PHASES: [[f32; TAPS]; 4] = [
    q([
        14, 90, -161, 272, -487, 1125, 7964, -838, 390, -218, 122, -68,
    ]),
    q([
        -239, 240, -424, 730, -1364, 3810, 6388, -1641, 832, -477, 271, -155,
    ]),
    q([
        -155, 271, -477, 832, -1641, 6388, 3810, -1364, 730, -424, 240, -239,
    ]),
    q([
        -68, 122, -218, 390, -838, 7964, 1125, -487, 272, -161, 90, 14,
    ]),
];

/// Twelve multiples of `2^-13` as `f32` (exact).
const fn q(n: [i32; TAPS]) -> [f32; TAPS] {
    let mut out = [0.0; TAPS];
    let mut k = 0;
    while k < TAPS {
        out[k] = n[k] as f32 / 8192.0;
        k += 1;
    }
    out
}

/// Interpolation phases for a sample rate: 4 below 96 kHz, 2 (phases 0
/// and 2 of the same filter) below 192 kHz, none (sample peaks only)
/// from 192 kHz.
pub fn phases_for_rate(sample_rate: f32) -> usize {
    if sample_rate < 96_000.0 {
        4
    } else if sample_rate < 192_000.0 {
        2
    } else {
        0
    }
}

/// Phase `p` at the newest frame: `past[k]` is `x[n - k]`. The products
/// accumulate from the oldest tap to the newest, one fused multiply-add
/// each: `acc = h[11] * x[n - 11]`, then `acc = fma(h[k], x[n - k], acc)`
/// for `k = 10, ..., 0`.
#[inline(always)]
pub fn interpolate(p: usize, past: &[f32; TAPS]) -> f32 {
    let h = &PHASES[p];
    let mut acc = h[TAPS - 1] * past[TAPS - 1];
    for k in (0..TAPS - 1).rev() {
        acc = h[k].mul_add(past[k], acc);
    }
    acc
}

/// The phases a detector with `phases` interpolation phases uses (see
/// [`phases_for_rate`]).
pub fn phase_list(phases: usize) -> &'static [usize] {
    match phases {
        4 => &[0, 1, 2, 3],
        2 => &[0, 2],
        _ => &[],
    }
}

/// `acc` raised to the magnitude of each interpolated point of `past`
/// (`past[k]` is `x[n - k]`), for the phases of [`phase_list`]`(phases)`
/// in order: `acc = max(|interpolate(q, past)|, acc)`, with the `max` of
/// [`crate::reference::max`].
#[inline(always)]
pub fn peak(phases: usize, past: &[f32; TAPS], mut acc: f32) -> f32 {
    for &q in phase_list(phases) {
        acc = super::max(interpolate(q, past).abs(), acc);
    }
    acc
}

/// The largest interpolated magnitude over the frames of `xs` after its
/// first `TAPS - 1` samples (the history before the first frame), with
/// `phases` interpolation phases; `+0` when there are none. For sanitized
/// samples (finite, so no NaN arises) the result is the maximum of the
/// same values whatever order they are visited in.
pub fn scan(phases: usize, xs: &[f32]) -> f32 {
    let mut acc = 0.0;
    for end in TAPS - 1..xs.len() {
        let past: [f32; TAPS] = core::array::from_fn(|k| xs[end - k]);
        acc = peak(phases, &past, acc);
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_exact_and_symmetric() {
        for p in 0..4 {
            for k in 0..TAPS {
                let scaled = f64::from(PHASES[p][k]) * 8192.0;
                assert_eq!(scaled, scaled.round(), "phase {p} tap {k}");
                assert_eq!(PHASES[p][k], PHASES[3 - p][TAPS - 1 - k]);
            }
        }
        // Each phase passes DC with a gain close to 1 (the published
        // table's phases 1 and 2 sum to 7971 / 8192, about -0.24 dB).
        for phase in PHASES {
            let sum: f32 = phase.iter().sum();
            assert!((sum - 1.0).abs() < 0.03, "{sum}");
        }
    }
}
