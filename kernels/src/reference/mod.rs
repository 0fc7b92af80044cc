//! The scalar references: the exact arithmetic of every kernel, one channel
//! at a time, in plain Rust.
//!
//! These functions *define* the output bits. Every ISA path is tested to
//! reproduce them exactly, and docs/kernels.md states the same formulas.
//! They are written for clarity first and are also the baseline the
//! benchmarks compare against.

pub mod biquad;
pub mod db;
pub mod dynamics;
pub mod envelope;
pub mod limiter;
pub mod loudness;
pub mod peak_hold;
pub mod truepeak;

use crate::policy::{INPUT_CEIL, INPUT_FLOOR, STATE_FLUSH};

/// `if a > b { a } else { b }`: the maximum every ISA computes (so `b`
/// when the two are equal, which matters for the sign of a zero).
#[inline(always)]
pub fn max(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}

/// `if a < b { a } else { b }`: the minimum every ISA computes.
#[inline(always)]
pub fn min(a: f32, b: f32) -> f32 {
    if a < b { a } else { b }
}

/// `min(max(v, lo), hi)` with the two functions above.
#[inline(always)]
pub fn clamp(v: f32, lo: f32, hi: f32) -> f32 {
    min(max(v, lo), hi)
}

/// The input rule of every recurrence (see [`crate::policy`]):
/// NaN and `|x| < INPUT_FLOOR` give `+0`, everything else is clamped to
/// `[-INPUT_CEIL, INPUT_CEIL]`.
#[inline(always)]
pub fn sanitize(x: f32) -> f32 {
    if x.abs() >= INPUT_FLOOR {
        clamp(x, -INPUT_CEIL, INPUT_CEIL)
    } else {
        0.0
    }
}

/// `|sanitize(x)|`, computed without the sign: `min(|x|, INPUT_CEIL)` when
/// `|x| >= INPUT_FLOOR`, else `+0`. Every operation is exact (a selection
/// among `|x|`, the constants and zero), so it equals `sanitize(x).abs()`
/// bit for bit, in four operations instead of six.
#[inline(always)]
pub fn magnitude(x: f32) -> f32 {
    let a = x.abs();
    if a >= INPUT_FLOOR {
        min(a, INPUT_CEIL)
    } else {
        0.0
    }
}

/// The input rule for a value already in `[-INPUT_CEIL, INPUT_CEIL]` and
/// not NaN: `|x| < INPUT_FLOOR` gives `+0`. On such values it equals
/// [`sanitize`] bit for bit.
#[inline(always)]
pub fn flush(x: f32) -> f32 {
    if x.abs() >= INPUT_FLOOR { x } else { 0.0 }
}

/// One step of the one-pole follower shared by every recurrence:
/// `state` moves towards the sanitized input `x` with coefficient `up` when
/// `x > state` and `down` otherwise:
///
/// `state' = fma(x - state, k, state)`, i.e. `state + (x - state) * k`
/// rounded once; but the step *restarts* from `0`, giving `state' = x * k`,
/// when the state is below `STATE_FLUSH` in magnitude (so no subnormal can
/// arise) or when `k == 1` (so an instant time constant follows `x` exactly).
#[inline(always)]
pub fn follow(state: f32, x: f32, up: f32, down: f32) -> f32 {
    let k = if x > state { up } else { down };
    if state.abs() < STATE_FLUSH || k == 1.0 {
        x * k
    } else {
        (x - state).mul_add(k, state)
    }
}
