//! Kernel bodies written once over [`Lanes`], compiled for every ISA.
//!
//! Each function here is the lane-parallel form of the function of the same
//! name in [`crate::reference`], performing the same IEEE operations in the
//! same order.

pub mod biquad;
pub mod db;
pub mod dynamics;
pub mod envelope;
pub mod limiter;
pub mod peak_hold;
pub mod truepeak;

use crate::lanes::Lanes;
use crate::policy::{INPUT_CEIL, INPUT_FLOOR, STATE_FLUSH};

/// Lane form of [`crate::reference::sanitize`].
#[inline(always)]
pub fn sanitize<S: Lanes>(s: S, x: S::V) -> S::V {
    let keep = s.ge(s.abs(x), s.splat(INPUT_FLOOR));
    let clamped = s.min(s.max(x, s.splat(-INPUT_CEIL)), s.splat(INPUT_CEIL));
    s.select(keep, clamped, s.zero())
}

/// Lane form of [`crate::reference::magnitude`].
#[inline(always)]
pub fn magnitude<S: Lanes>(s: S, x: S::V) -> S::V {
    let a = s.abs(x);
    s.select(
        s.ge(a, s.splat(INPUT_FLOOR)),
        s.min(a, s.splat(INPUT_CEIL)),
        s.zero(),
    )
}

/// Lane form of [`crate::reference::flush`].
#[inline(always)]
pub fn flush<S: Lanes>(s: S, x: S::V) -> S::V {
    s.select(s.ge(s.abs(x), s.splat(INPUT_FLOOR)), x, s.zero())
}

/// The two coefficients of a follower for one register, with the
/// `k == 1` tests of [`follow`] done once instead of per sample.
#[derive(Clone, Copy, Debug)]
pub struct Ballistics<S: Lanes> {
    up: S::V,
    down: S::V,
    up_instant: S::M,
    down_instant: S::M,
}

impl<S: Lanes> Ballistics<S> {
    /// From the coefficients used when the input is above (`up`) and not
    /// above (`down`) the state.
    #[inline(always)]
    pub fn new(s: S, up: S::V, down: S::V) -> Self {
        let one = s.splat(1.0);
        Ballistics {
            up,
            down,
            up_instant: s.eq(up, one),
            down_instant: s.eq(down, one),
        }
    }
}

/// Lane form of [`crate::reference::follow`].
#[inline(always)]
pub fn follow<S: Lanes>(s: S, state: S::V, x: S::V, b: &Ballistics<S>) -> S::V {
    let rising = s.gt(x, state);
    let k = s.select(rising, b.up, b.down);
    let next = s.mul_add(s.sub(x, state), k, state);
    // Off the state's critical path: operands and masks are ready early.
    // Opaque, so AVX-512 keeps a plain multiply and a blend instead of a
    // masked multiply that waits for `next` (docs/design.md, "The driver").
    let restart = s.opaque(s.mul(x, k));
    let tiny = s.lt(s.abs(state), s.splat(STATE_FLUSH));
    let instant = s.select_m(rising, b.up_instant, b.down_instant);
    s.select(s.or_m(tiny, instant), restart, next)
}

/// The longest time constant, in samples, of one-pole coefficients `ks`
/// ([`crate::policy::time_constant`]), or `None` if one never forgets:
/// what [`crate::LaneKernel::memory_frames`] returns for a kernel made of
/// one-poles.
pub fn longest(ks: &[f32]) -> Option<f64> {
    ks.iter().try_fold(0.0f64, |m, &k| {
        crate::policy::time_constant(k).map(|t| m.max(t))
    })
}
