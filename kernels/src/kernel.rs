//! The shape of a per-channel recurrence, so one driver runs every kernel
//! over every buffer layout.

use crate::bank::Bank;
use crate::lanes::Lanes;
use crate::tuning::TimedChannels;

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

    /// Independent registers a group needs for its recurrences to overlap
    /// in the pipeline. A kernel whose step is one short recurrence (the
    /// envelope follower) waits on its own latency when one register holds
    /// every channel; with `CHAINS > 1` the AVX-512 engine runs it on 8-lane
    /// registers in interleaved calls where they hold the channels exactly
    /// but fewer than `CHAINS` 16-lane ones would, and in every planar
    /// call ([`crate::engine::register_lanes`];
    /// docs/design.md, "Narrow groups").
    const CHAINS: usize = 1;

    /// Whether the driver runs this kernel in passes over short runs of
    /// [`RUN_FRAMES`] frames ([`LaneKernel::first`] over the run, then each
    /// [`LaneKernel::middle`] pass, then [`LaneKernel::second`]) instead of
    /// [`LaneKernel::step_frame`] per frame. For a kernel whose step chains
    /// several recurrences and long stateless stretches (the compressor:
    /// detector, curve polynomials, smoother, application): each pass is a
    /// short loop that the core overlaps across frames, with few enough
    /// live values that its recurrence's state stays in a register. Every
    /// lane does the same operations in the same order either way, so the
    /// results are identical. Its passes are throughput-bound, so the
    /// AVX-512 engine runs it on 8-lane registers when the plan uses at
    /// most 8 slots ([`crate::engine::register_lanes`]; docs/design.md,
    /// "Narrow groups").
    const MULTI_PASS: bool = false;

    /// Passes between [`LaneKernel::first`] and [`LaneKernel::second`]
    /// (only when [`LaneKernel::MULTI_PASS`]), at most
    /// [`MAX_MIDDLE_PASSES`].
    const MIDDLE_PASSES: usize = 0;

    /// The form in which an input sample enters the passes (only when
    /// [`LaneKernel::MULTI_PASS`]; the compressor sanitizes it). The driver
    /// applies it to the input and to the key, once per sample: without a
    /// sidechain every pass gets the same prepared value.
    #[inline(always)]
    fn prepare<S: Lanes>(_s: S, x: S::V) -> S::V {
        x
    }

    /// First pass over one frame (only when [`LaneKernel::MULTI_PASS`]):
    /// advances the state this pass owns from the prepared key and returns
    /// the value the later passes carry for the frame.
    #[inline(always)]
    fn first<S: Lanes, const N: usize>(
        _s: S,
        _p: &[Self::Params<S>; N],
        _state: &mut [Self::State<S>; N],
        key: &[S::V; N],
    ) -> [S::V; N] {
        *key
    }

    /// Middle pass `PASS` (`< MIDDLE_PASSES`) over one frame: replaces the
    /// carried value in place, advancing the state this pass owns.
    #[inline(always)]
    fn middle<S: Lanes, const N: usize, const PASS: usize>(
        _s: S,
        _p: &[Self::Params<S>; N],
        _state: &mut [Self::State<S>; N],
        _mid: &mut [S::V; N],
    ) {
    }

    /// The longest time constant, in frames, of slot `slot`'s recurrences
    /// with the parameters in `params`, or `None` when some state word
    /// never forgets its start (a coefficient of 0) or the kernel does not
    /// say. Chunks in lanes ([`crate::chunk`]) size their warm-up from it;
    /// `None` keeps a call unchunked.
    fn memory_frames(_params: &Bank, _slot: usize) -> Option<f64> {
        None
    }

    /// State rows that only observe (a running minimum such as a meter:
    /// nothing else reads them, and each frame sets the row to
    /// `min(value, row)`). Chunks in lanes restart them at `+inf` at each
    /// checkpoint and combine the pieces in order, so they never hold a
    /// chunk's state apart from the sequential one.
    const RUNNING_MIN_ROWS: &'static [usize] = &[];

    /// Slots a chunked call fills, per ISA ([`crate::chunk`]; the values
    /// live in [`crate::tuning`]): a call is chunked only when at least two
    /// copies of its plan fit. None by default.
    const CHUNK_SLOTS: TimedChannels = TimedChannels::NONE;

    /// Whether chunking pays when the chunks of several interleaved
    /// channels must be gathered into a tile and scattered back (a kernel
    /// whose step costs much more than that copy).
    const CHUNK_GATHERS: bool = false;

    /// Whether the kernel has a time-lanes body ([`LaneKernel::timed`]).
    const TIMED: bool = false;

    /// Most channels for which a call takes the time-lanes route, per ISA
    /// (only when [`LaneKernel::TIMED`]; the values live in
    /// [`crate::tuning`]).
    const TIMED_CHANNELS: TimedChannels = TimedChannels::NONE;

    /// The time-lanes body: advances slot `slot` over one run of one
    /// channel, its recurrences along time in scalar code (the reference's
    /// functions, compiled with the ISA's features) and its stateless
    /// stages with consecutive frames in the lanes. Reads the slot's
    /// parameters and state from the banks and writes the state back.
    /// Every sample sees the same operations in the same order as in
    /// [`LaneKernel::step`], so the output is the same bits. The driver
    /// takes this route for calls with few channels (`crate::tuning`).
    #[inline(always)]
    fn timed<S: Lanes>(_s: S, _params: &Bank, _state: &mut Bank, _slot: usize, _run: TimedRun<'_>) {
    }

    /// Last pass over one frame (only when [`LaneKernel::MULTI_PASS`]): the
    /// output from the prepared input `x` (in place) and the carried value.
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

/// One run of one channel for [`LaneKernel::timed`]: at most
/// [`TIMED_FRAMES`] frames.
pub struct TimedRun<'a> {
    /// The channel's input samples.
    pub xs: &'a [f32],
    /// The detector input (a sidechain), or `None` for the input itself.
    pub keys: Option<&'a [f32]>,
    /// Where the output goes; as long as `xs`.
    pub ys: &'a mut [f32],
}

/// Frames per run of the time-lanes route ([`LaneKernel::timed`]): a run's
/// per-frame intermediates (a few `f32` arrays) stay in L1.
pub const TIMED_FRAMES: usize = 256;

/// Most middle passes a [`LaneKernel`] may have.
pub const MAX_MIDDLE_PASSES: usize = 2;

/// Frames per run of the multi-pass form ([`LaneKernel::MULTI_PASS`]):
/// the carried values and the prepared inputs of a run stay in L1 (2 x 16
/// frames x 4 registers x 64 bytes = 8 KiB at most).
pub const RUN_FRAMES: usize = 16;
