//! The shape of a per-channel recurrence, so one driver runs every kernel
//! over every buffer layout.

use crate::bank::Bank;
use crate::lanes::Lanes;

/// A per-channel recurrence: parameters and state per lane, one step per
/// sample, lanes independent of one another.
///
/// Implementing this trait (with `#[inline(always)]` methods) is all a new
/// kernel needs to run on every ISA and every layout through
/// [`crate::Engine::run`]; its scalar reference lives in `reference/`.
pub trait LaneKernel {
    /// Rows of the parameter [`Bank`].
    const PARAM_WORDS: usize;
    /// Rows of the state [`Bank`].
    const STATE_WORDS: usize;
    /// One register's worth of parameters.
    type Params<S: Lanes>: Copy;
    /// One register's worth of state.
    type State<S: Lanes>: Copy;

    /// Parameters of channels `ch..ch + S::LANES`.
    fn load_params<S: Lanes>(s: S, bank: &Bank, ch: usize) -> Self::Params<S>;
    /// State of channels `ch..ch + S::LANES`.
    fn load_state<S: Lanes>(s: S, bank: &Bank, ch: usize) -> Self::State<S>;
    /// Writes back the state of channels `ch..ch + S::LANES`.
    fn store_state<S: Lanes>(s: S, bank: &mut Bank, ch: usize, state: Self::State<S>);
    /// Advances one sample: consumes input `x`, returns the output.
    fn step<S: Lanes>(s: S, p: &Self::Params<S>, state: &mut Self::State<S>, x: S::V) -> S::V;
}
