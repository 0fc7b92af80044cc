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
