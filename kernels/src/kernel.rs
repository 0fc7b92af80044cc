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

    /// Whether the driver runs this kernel as two passes over short runs of
    /// [`RUN_FRAMES`] frames ([`LaneKernel::first`] over the run, then
    /// [`LaneKernel::second`] over it) instead of [`LaneKernel::step_frame`]
    /// per frame. For a kernel whose step is a long dependency path between
    /// two recurrences (the compressor: detector, then curve polynomials,
    /// then smoother): each pass is a short loop the core overlaps across
    /// frames. Every lane does the same operations in the same order either
    /// way, so the results are identical.
    const TWO_PASS: bool = false;

    /// The form in which an input sample enters the two passes (only when
    /// [`LaneKernel::TWO_PASS`]; the compressor sanitizes it). The driver
    /// applies it to the input and to the key, once per sample: without a
    /// sidechain both passes get the same prepared value.
    #[inline(always)]
    fn prepare<S: Lanes>(_s: S, x: S::V) -> S::V {
        x
    }

    /// First pass over one frame (only when [`LaneKernel::TWO_PASS`]):
    /// advances the state this pass owns from the prepared key and returns
    /// what the second pass needs for the frame.
    #[inline(always)]
    fn first<S: Lanes, const N: usize>(
        _s: S,
        _p: &[Self::Params<S>; N],
        _state: &mut [Self::State<S>; N],
        key: &[S::V; N],
    ) -> [S::V; N] {
        *key
    }

    /// Second pass over one frame (only when [`LaneKernel::TWO_PASS`]): the
    /// output from the prepared input `x` (in place) and the first pass's
    /// value.
    #[inline(always)]
    fn second<S: Lanes, const N: usize>(
        _s: S,
        _p: &[Self::Params<S>; N],
        _state: &mut [Self::State<S>; N],
        _x: &mut [S::V; N],
        _mid: &[S::V; N],
    ) {
    }
}

/// Frames per run of the two-pass form ([`LaneKernel::TWO_PASS`]): the
/// first pass's values and the prepared inputs of a run stay in L1 (2 x 16
/// frames x 4 registers x 64 bytes = 8 KiB at most).
pub const RUN_FRAMES: usize = 16;
