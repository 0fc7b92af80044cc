//! The unit of work handed to an ISA entry point.

use crate::lanes::Lanes;

/// A computation written once over [`Lanes`] and run on one ISA.
///
/// The `arch/` entry points call [`LaneJob::run`] inside a function compiled
/// with that ISA's target features; implementations must be
/// `#[inline(always)]` (and so must everything they call) so that the whole
/// body is compiled with those features (rust-lang/rust#108338).
pub trait LaneJob {
    /// What the job returns.
    type Output;
    /// Runs the job with the given ISA token.
    fn run<S: Lanes>(self, s: S) -> Self::Output;
}

/// A closure as a [`LaneJob`]: runs plain scalar code inside an ISA's entry
/// point, so it is compiled with that ISA's target features.
///
/// Benchmarks use it to time the scalar reference as this CPU would run it
/// natively (with its fused multiply-add instruction rather than a library
/// call), the fastest honest scalar baseline. The closure should be small
/// enough to inline into the entry point.
pub struct Native<F>(pub F);

impl<F: FnOnce() -> R, R> LaneJob for Native<F> {
    type Output = R;
    #[inline(always)]
    fn run<S: Lanes>(self, _s: S) -> R {
        (self.0)()
    }
}
