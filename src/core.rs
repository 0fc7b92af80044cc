//! [`Core`]: what every processor of the crate holds to run its kernel.
//!
//! A processor is its settings, their validation and a few lines of glue:
//! it turns its settings into the rows of [`Core::params`], names the
//! kernel a process call runs ([`Core::execute`] for a
//! [`LaneKernel`], [`Core::run_block`] for a [`BlockKernel`]) and says what
//! a reset restores. The core owns the rest: the engine (the ISA and its
//! route settings), the slot plan (where each channel sits in the lanes),
//! the parameter, state and history banks laid out for that plan, the
//! memory of chunked calls and how the last call ran. The public methods
//! that only configure or report these (`with_isa`,
//! `with_stream_threshold`, `with_time_lanes`, `with_chunking`,
//! `set_chunking`, `last_execution`, `sample_rate`) are generated for each
//! processor by [`core_methods!`], one line each.

use crate::error::Result;
use crate::params;
use lanedsp_kernels::chunk::{Execution, Reason, Scratch};
use lanedsp_kernels::route::Route;
use lanedsp_kernels::{Bank, BlockKernel, Buffers, Engine, History, Isa, Key, LaneKernel, Plan};

/// The engine, plan and banks of one processor.
#[derive(Clone, Debug)]
pub(crate) struct Core {
    /// The ISA and its route settings (stream threshold, time lanes,
    /// chunking).
    pub(crate) engine: Engine,
    /// The sample rate in Hz, validated.
    pub(crate) sample_rate: f32,
    /// Where each channel sits in the lanes.
    pub(crate) plan: Plan,
    /// The kernel's parameters, one column per slot of `plan`.
    pub(crate) params: Bank,
    /// The kernel's state, one column per slot of `plan`.
    pub(crate) state: Bank,
    /// A block kernel's per-slot history (no rows for a lane kernel).
    pub(crate) history: History,
    /// How the last process call ran.
    last: Execution,
    /// Memory of chunked calls.
    scratch: Scratch,
}

impl Core {
    /// A core at `sample_rate` Hz for `channels` channels, each in its own
    /// slot, with parameter and state banks of `words` (parameter, state)
    /// rows, no history, on the ISA [`crate::selected_isa`] picked.
    /// Validates the sample rate, then the channel count.
    pub(crate) fn new(sample_rate: f32, channels: usize, words: (usize, usize)) -> Result<Core> {
        let sample_rate = params::sample_rate(sample_rate)?;
        let plan = Plan::identity(params::channels(channels)?);
        Ok(Core {
            engine: Engine::selected(),
            sample_rate,
            params: Bank::new(words.0, plan.slots()),
            state: Bank::new(words.1, plan.slots()),
            history: History::new(0, plan.slots()),
            plan,
            last: Execution::whole(0, Reason::Short, Route::NotRun),
            scratch: Scratch::default(),
        })
    }

    /// [`Core::new`] with the banks lane kernel `K` needs.
    pub(crate) fn for_kernel<K: LaneKernel>(sample_rate: f32, channels: usize) -> Result<Core> {
        Core::new(sample_rate, channels, (K::PARAM_WORDS, K::STATE_WORDS))
    }

    /// Moves to `plan` with zeroed banks ([`Core::reallocate`]).
    pub(crate) fn replan(&mut self, plan: Plan, words: (usize, usize), history_rows: usize) {
        self.plan = plan;
        self.reallocate(words, history_rows);
    }

    /// Zeroed banks of `words` (parameter, state) rows and `history_rows`
    /// rows of history for the plan's slots, at frame 0. Allocates.
    pub(crate) fn reallocate(&mut self, words: (usize, usize), history_rows: usize) {
        let slots = self.plan.slots();
        self.params = Bank::new(words.0, slots);
        self.state = Bank::new(words.1, slots);
        self.history = History::new(history_rows, slots);
    }

    /// Number of channels.
    pub(crate) fn channels(&self) -> usize {
        self.plan.channels()
    }

    /// The ISA the kernels run on.
    pub(crate) fn isa(&self) -> Isa {
        self.engine.isa()
    }

    /// Runs on `isa` from now on; an error (and no change) if this CPU
    /// cannot run it.
    pub(crate) fn set_isa(&mut self, isa: Isa) -> Result<()> {
        self.engine = self.engine.on_isa(isa)?;
        Ok(())
    }

    /// How the last process call ran.
    pub(crate) fn last_execution(&self) -> Execution {
        self.last
    }

    /// Records that a call of `frames` frames ran whole by `route`.
    pub(crate) fn ran_whole(&mut self, frames: usize, route: Route) {
        self.last = Execution::whole(frames, Reason::Kernel, route);
    }

    /// Runs lane kernel `K` with the core's parameters over `buffers`
    /// (`key` driving its detector if given), chunked when the engine's
    /// chunking decides so; on error nothing has changed.
    pub(crate) fn execute<K: LaneKernel>(
        &mut self,
        buffers: Buffers<'_, '_, '_>,
        key: Option<Key<'_, '_>>,
    ) -> Result<()> {
        let Core {
            engine,
            plan,
            params,
            state,
            last,
            scratch,
            ..
        } = self;
        *last = engine.execute::<K>(plan, params, state, buffers, key, scratch)?;
        Ok(())
    }

    /// [`Core::execute`] with `params` (laid out for the core's plan) in
    /// place of the core's own: for a processor that keeps its parameters
    /// in more than one kernel's rows.
    pub(crate) fn execute_with<K: LaneKernel>(
        &mut self,
        params: &Bank,
        buffers: Buffers<'_, '_, '_>,
        key: Option<Key<'_, '_>>,
    ) -> Result<()> {
        let Core {
            engine,
            plan,
            state,
            last,
            scratch,
            ..
        } = self;
        *last = engine.execute::<K>(plan, params, state, buffers, key, scratch)?;
        Ok(())
    }

    /// Runs block kernel `K` with the core's parameters, state and history
    /// over `buffers` (`key` driving its detector if given); on error
    /// nothing has changed.
    pub(crate) fn run_block<K: BlockKernel>(
        &mut self,
        buffers: Buffers<'_, '_, '_>,
        key: Option<Key<'_, '_>>,
    ) -> Result<()> {
        let Core {
            engine,
            plan,
            params,
            state,
            history,
            last,
            ..
        } = self;
        *last = engine.run_block::<K>(plan, params, state, history, buffers, key)?;
        Ok(())
    }
}

/// Generates a processor's public methods that configure or report its
/// [`Core`] (in the field `core`), each delegating in one line, with their
/// documentation. Groups: `isa` (`with_isa`), `stream_threshold`
/// (`with_stream_threshold`), `time_lanes` (`with_time_lanes`), `chunking`
/// (`with_chunking`, `set_chunking`), `execution` (`last_execution`),
/// `sample_rate`.
/// A processor names only the groups whose settings its kernel's route
/// reads.
macro_rules! core_methods {
    ($($group:ident),+ $(,)?) => {
        $($crate::core::core_methods!(@$group);)+
    };
    (@isa) => {
        /// The same processor running on `isa` instead; an error if this
        /// CPU cannot run it. Tests and benchmarks use this to force a path.
        pub fn with_isa(mut self, isa: $crate::Isa) -> $crate::Result<Self> {
            self.core.set_isa(isa)?;
            Ok(self)
        }
    };
    (@stream_threshold) => {
        /// The same processor with planar calls streaming from `floats`
        /// floats of output per call (channels times frames) instead of
        /// [`STREAM_FLOATS`](crate::STREAM_FLOATS): non-temporal stores and
        /// prefetched loads on AVX-512, which pay once a call's output no
        /// longer fits in the last-level cache. The output is the same bits
        /// either way.
        pub fn with_stream_threshold(mut self, floats: usize) -> Self {
            self.core.engine = self.core.engine.with_stream_threshold(floats);
            self
        }
    };
    (@time_lanes) => {
        /// The same processor with calls of at most `channels` channels run
        /// one channel at a time, its recurrences along time and its
        /// stateless stages on consecutive frames in the lanes (`None`: the
        /// limit measured for its ISA, docs/tuning.md; `Some(0)`: never).
        /// Tests and benchmarks force a route with it; the output is the
        /// same bits either way.
        pub fn with_time_lanes(mut self, channels: Option<usize>) -> Self {
            self.core.engine = self.core.engine.with_timed_channels(channels);
            self
        }
    };
    (@execution) => {
        /// How the last process call ran: its route (docs/design.md,
        /// "The driver"), whole or in chunks, and what the chunks' repair
        /// cost.
        pub fn last_execution(&self) -> $crate::Execution {
            self.core.last_execution()
        }
    };
    (@chunking) => {
        /// The same processor with long calls of few channels split into
        /// chunks in lanes as `chunking` says
        /// ([`Chunking::Auto`](crate::Chunking::Auto) by default;
        /// docs/design.md, "Chunks in lanes"). The output and the state are
        /// the same bits either way; a chunked call allocates its scratch,
        /// so a real-time thread may turn it off (`Auto` never chunks
        /// blocks shorter than [`CHUNK_MIN_FRAMES`](crate::CHUNK_MIN_FRAMES)).
        pub fn with_chunking(mut self, chunking: $crate::Chunking) -> Self {
            self.set_chunking(chunking);
            self
        }

        /// Sets the chunking ([`Self::with_chunking`]).
        pub fn set_chunking(&mut self, chunking: $crate::Chunking) {
            self.core.engine = self.core.engine.with_chunking(chunking);
        }
    };
    (@sample_rate) => {
        /// Sample rate in Hz.
        pub fn sample_rate(&self) -> f32 {
            self.core.sample_rate
        }
    };
}

pub(crate) use core_methods;
