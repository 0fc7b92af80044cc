//! The shape of a per-channel recurrence, so one driver runs every kernel
//! over every buffer layout.

use crate::bank::Bank;
use crate::lanes::Lanes;

/// A per-channel recurrence: parameters and state per lane, one step per
/// sample.
///
/// Implementing this trait (with `#[inline(always)]` methods) is all a new
/// kernel needs to run on every ISA and every layout through
/// [`crate::Engine::run`]; its scalar reference lives in `reference/`.
/// Banks are indexed by *slot* (see [`crate::plan::Plan`]).
pub trait LaneKernel {
    /// Rows of the parameter [`Bank`].
    const PARAM_WORDS: usize;
    /// Rows of the state [`Bank`].
    const STATE_WORDS: usize;
    /// One register's worth of parameters.
    type Params<S: Lanes>: Copy;
    /// One register's worth of state.
    type State<S: Lanes>: Copy;

    /// Parameters of slots `at..at + S::LANES`.
    fn load_params<S: Lanes>(s: S, bank: &Bank, at: usize) -> Self::Params<S>;
    /// State of slots `at..at + S::LANES`.
    fn load_state<S: Lanes>(s: S, bank: &Bank, at: usize) -> Self::State<S>;
    /// Writes back the state of slots `at..at + S::LANES`.
    fn store_state<S: Lanes>(s: S, bank: &mut Bank, at: usize, state: Self::State<S>);

    /// Advances one sample: consumes input `x` and the detector input `key`
    /// (the sidechain, or `x` itself when there is none) and returns the
    /// output. Kernels with one input ignore `key`.
    fn step<S: Lanes>(
        s: S,
        p: &Self::Params<S>,
        state: &mut Self::State<S>,
        x: S::V,
        key: S::V,
    ) -> S::V;

    /// Advances all `N` registers of a group by one frame, in place. The
    /// default steps each register alone; a kernel whose lanes interact
    /// (linked channels) overrides it. `base` is the group's first slot.
    #[inline(always)]
    fn step_frame<S: Lanes, const N: usize>(
        s: S,
        p: &[Self::Params<S>; N],
        state: &mut [Self::State<S>; N],
        x: &mut [S::V; N],
        key: &[S::V; N],
    ) {
        for (((x, key), p), state) in x.iter_mut().zip(key).zip(p).zip(state) {
            *x = Self::step(s, p, state, *x, *key);
        }
    }
}
