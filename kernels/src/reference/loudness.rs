//! ITU-R BS.1770-4 K-weighting for any sample rate, and the loudness of a
//! mean square.
//!
//! The two stages (a high shelf of about +4 dB above 1.5 kHz, the "RLB"
//! high pass at 38 Hz) are designed from their analog prototypes through
//! the bilinear transform, as libebur128 and the `ebur128` crate do, in
//! `f64`; at 48 kHz the result matches the table of BS.1770-4 to 1e-8.
//! [`k_weighting`] rounds them once to `f32` sections for
//! [`crate::reference::biquad`].

use super::biquad::{Coefficients, FilterError};
use core::f64::consts::PI;

/// Stage 1 (the head's shelving filter): centre, gain in dB, Q.
const SHELF: (f64, f64, f64) = (1681.974450955533, 3.999843853973347, 0.7071752369554196);
/// The shelf's zero-pair weighting exponent (libebur128's `Vb = Vh^e`).
const SHELF_VB: f64 = 0.4996667741545416;
/// Stage 2 (the RLB high pass): corner and Q.
const RLB: (f64, f64) = (38.13547087602444, 0.5003270373238773);

/// One section in `f64`: `(b, a)` with `a[0] = 1`.
pub type SectionF64 = ([f64; 3], [f64; 3]);

/// The two K-weighting stages at `sample_rate` Hz in `f64`
/// (`a0 = 1`): the shelf, then the high pass.
pub fn k_weighting_f64(sample_rate: f64) -> [SectionF64; 2] {
    let (f0, g, q) = SHELF;
    let k = libm::tan(PI * f0 / sample_rate);
    let vh = libm::pow(10.0, g / 20.0);
    let vb = libm::pow(vh, SHELF_VB);
    let a0 = 1.0 + k / q + k * k;
    let shelf = (
        [
            (vh + vb * k / q + k * k) / a0,
            2.0 * (k * k - vh) / a0,
            (vh - vb * k / q + k * k) / a0,
        ],
        [1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0],
    );
    let (f0, q) = RLB;
    let k = libm::tan(PI * f0 / sample_rate);
    let a0 = 1.0 + k / q + k * k;
    let high_pass = (
        [1.0, -2.0, 1.0],
        [1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0],
    );
    [shelf, high_pass]
}

/// [`k_weighting_f64`] rounded once to `f32` sections. Sample rates from
/// about 8 kHz up are fine; an error for a rate that is not finite and
/// positive or below the shelf's frequency.
pub fn k_weighting(sample_rate: f64) -> Result<[Coefficients; 2], FilterError> {
    if !(sample_rate.is_finite() && sample_rate > 2.0 * SHELF.0) {
        return Err(FilterError::SampleRate(sample_rate));
    }
    let [s1, s2] = k_weighting_f64(sample_rate);
    Ok([
        Coefficients::from_f64(s1.0, s1.1)?,
        Coefficients::from_f64(s2.0, s2.1)?,
    ])
}

/// Loudness in LUFS of a (weighted) mean square:
/// `-0.691 + 10 log10(power)`; `-inf` for `0`.
pub fn lufs(power: f64) -> f64 {
    -0.691 + 10.0 * libm::log10(power)
}

/// The mean square whose loudness is `lufs` (the inverse of [`lufs`]).
pub fn power(lufs: f64) -> f64 {
    libm::pow(10.0, (lufs + 0.691) / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_at_48k() {
        let [(b1, a1), (b2, a2)] = k_weighting_f64(48_000.0);
        let want1 = (
            [1.53512485958697, -2.69169618940638, 1.19839281085285],
            [1.0, -1.69065929318241, 0.73248077421585],
        );
        let want2 = ([1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621]);
        for (got, want) in b1.iter().chain(&a1).zip(want1.0.iter().chain(&want1.1)) {
            assert!((got - want).abs() < 1e-8, "{got} {want}");
        }
        for (got, want) in b2.iter().chain(&a2).zip(want2.0.iter().chain(&want2.1)) {
            assert!((got - want).abs() < 1e-8, "{got} {want}");
        }
        assert!(k_weighting(48_000.0).is_ok());
        assert!(k_weighting(8_000.0).is_ok());
        assert!(k_weighting(384_000.0).is_ok());
    }
}
