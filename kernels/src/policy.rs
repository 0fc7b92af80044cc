//! The numeric policy shared by every kernel, on every ISA.
//!
//! It guarantees three things, identically on all paths (docs/kernels.md
//! gives the proofs):
//!
//! 1. **Non-finite input never reaches state.** Before any recurrence, an
//!    input `x` becomes `sanitize(x)`: NaN becomes `0`, and finite or
//!    infinite values are clamped to `[-INPUT_CEIL, INPUT_CEIL]`.
//! 2. **No subnormal arithmetic.** Inputs with `|x| < INPUT_FLOOR` (zeros,
//!    subnormals and anything below about -578 dBFS) become `+0`;
//!    coefficients below [`MIN_COEFF`] become `0`; and a state below
//!    [`STATE_FLUSH`] in magnitude restarts from `0`. Together these keep
//!    every state value either `0` or a normal number, so a decaying tail
//!    runs as fast as a loud signal and the result does not depend on the
//!    caller's FTZ/DAZ setting.
//! 3. **One rounding per operation, the same everywhere.** The recurrence
//!    uses a fused multiply-add on every ISA, scalar included.

/// Smallest input magnitude kept: `2^-96` (about -578 dBFS).
pub const INPUT_FLOOR: f32 = f32::from_bits((127 - 96) << 23);
/// Largest input magnitude: `2^60`; larger values and infinities saturate.
pub const INPUT_CEIL: f32 = f32::from_bits((127 + 60) << 23);
/// A state below `2^-77` in magnitude is treated as `0` by the next step.
pub const STATE_FLUSH: f32 = f32::from_bits((127 - 77) << 23);
/// Smallest non-zero recurrence coefficient: `2^-30` (a time constant of
/// about 1.07e9 samples, 6.2 hours at 48 kHz).
pub const MIN_COEFF: f32 = f32::from_bits((127 - 30) << 23);

/// The one-pole coefficient `k = 1 - exp(-1 / (seconds * sample_rate))`.
///
/// Computed as `-expm1(-1 / (seconds * sample_rate))` in `f64` with `libm`
/// (the same bits on every platform, and full relative precision even for
/// long time constants, where `k` is tiny), rounded once to `f32` (round to
/// nearest); values below [`MIN_COEFF`] become `0`. A time of `0` gives
/// `k = 1` (the state follows the input at once). The caller validates that
/// `seconds >= 0` and `sample_rate > 0`, both finite.
pub fn coefficient(seconds: f32, sample_rate: f32) -> f32 {
    coefficient_from_samples(f64::from(seconds) * f64::from(sample_rate))
}

/// [`coefficient`] for a time constant given in samples (`f64`, `>= 0`);
/// a zero time of either sign gives `k = 1`.
pub fn coefficient_from_samples(samples: f64) -> f32 {
    if samples <= 0.0 {
        return 1.0;
    }
    round_coefficient(-libm::expm1(-1.0 / samples))
}

/// An `f64` coefficient in `[0, 1]` rounded once to `f32`, with values
/// below [`MIN_COEFF`] set to `0`.
pub fn round_coefficient(k: f64) -> f32 {
    let k = k as f32;
    if k < MIN_COEFF { 0.0 } else { k.min(1.0) }
}

/// The time constant, in samples, of a one-pole coefficient `k` from
/// [`coefficient`] (`k = 1 - exp(-1 / tau)`, so `tau = -1 / ln(1 - k)`):
/// `Some(0.0)` for `k >= 1` (the state follows its input at once), `None`
/// for `k <= 0` or NaN (the state never moves, so it never forgets).
pub fn time_constant(k: f32) -> Option<f64> {
    if k >= 1.0 {
        Some(0.0)
    } else if k > 0.0 {
        Some(-1.0 / libm::log1p(-f64::from(k)))
    } else {
        None
    }
}
