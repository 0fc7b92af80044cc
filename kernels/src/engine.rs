//! The dispatcher: an available ISA, and the kernel entry points on it.

use crate::arch::scalar::Scalar;
use crate::bank::Bank;
use crate::block::{BlockKernel, History};
use crate::chunk::{self, Chunking, Execution, Reason, Scratch};
use crate::drive::{Access, BlockJob, Run, STREAM_FLOATS, drive, run_block, timed};
use crate::isa::{self, Isa};
use crate::job::LaneJob;
use crate::kernel::LaneKernel;
use crate::lanes::Lanes;
use crate::layout::{Buffers, Key, ShapeError};
use crate::plan::Plan;
use crate::route::{Path, Route};
use crate::tuning::IsaRoutes;
use core::fmt;
use core::marker::PhantomData;

#[cfg(target_arch = "aarch64")]
use crate::arch::aarch64::Neon;
#[cfg(target_arch = "x86_64")]
use crate::arch::x86_64::{Avx2, Avx512};

/// The requested ISA does not run on this CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IsaUnavailable(pub Isa);

impl fmt::Display for IsaUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ISA {} is not available on this CPU", self.0)
    }
}

impl std::error::Error for IsaUnavailable {}

/// An ISA that this CPU runs, holding the token that proves it, and the
/// output size from which planar calls stream
/// ([`Engine::with_stream_threshold`]).
///
/// Choosing the ISA costs one `match` per call, not per sample.
#[derive(Clone, Copy, Debug)]
pub struct Engine {
    token: Token,
    stream_floats: usize,
    /// The time-lanes limit in channels, or `None` for the kernel's
    /// measured one ([`crate::tuning`]).
    timed_channels: Option<usize>,
    /// Whether long calls of few channels run in chunks.
    chunking: Chunking,
}

#[derive(Clone, Copy, Debug)]
enum Token {
    Scalar(Scalar),
    #[cfg(target_arch = "x86_64")]
    Avx2(Avx2),
    #[cfg(target_arch = "x86_64")]
    Avx512(Avx512),
    #[cfg(target_arch = "aarch64")]
    Neon(Neon),
}

impl Engine {
    /// The engine for `isa`, or an error if this CPU cannot run it.
    pub fn new(isa: Isa) -> Result<Engine, IsaUnavailable> {
        let token = match isa {
            Isa::Scalar => Some(Token::Scalar(Scalar)),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => Avx2::new().map(Token::Avx2),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => Avx512::new().map(Token::Avx512),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => Neon::new().map(Token::Neon),
            #[allow(unreachable_patterns)]
            _ => None,
        };
        token
            .map(|token| Engine {
                token,
                stream_floats: STREAM_FLOATS,
                timed_channels: None,
                chunking: Chunking::Auto,
            })
            .ok_or(IsaUnavailable(isa))
    }

    /// The engine for the process-wide selection ([`isa::selected`]).
    pub fn selected() -> Engine {
        Engine::new(isa::selected()).unwrap_or(Engine {
            token: Token::Scalar(Scalar),
            stream_floats: STREAM_FLOATS,
            timed_channels: None,
            chunking: Chunking::Auto,
        })
    }

    /// This engine's settings (stream threshold, time-lanes limit) on
    /// `isa` instead; an error if this CPU cannot run it.
    pub fn on_isa(self, isa: Isa) -> Result<Engine, IsaUnavailable> {
        Ok(Engine {
            token: Engine::new(isa)?.token,
            ..self
        })
    }

    /// This engine with long calls of few channels split into chunks in
    /// lanes as `chunking` says ([`crate::chunk`]; [`Chunking::Auto`] by
    /// default). Same bits either way.
    pub fn with_chunking(self, chunking: Chunking) -> Engine {
        Engine { chunking, ..self }
    }

    /// The chunking setting ([`Engine::with_chunking`]).
    pub fn chunking(&self) -> Chunking {
        self.chunking
    }

    /// This engine with calls of at most `channels` channels taking the
    /// time-lanes route of kernels that have one ([`LaneKernel::timed`])
    /// instead of the measured limit ([`crate::tuning`]); `Some(0)` never
    /// takes it. Same bits either way: tests and benchmarks force a route with it.
    pub fn with_timed_channels(self, channels: Option<usize>) -> Engine {
        Engine {
            timed_channels: channels,
            ..self
        }
    }

    /// The same engine with planar calls streaming from `floats` floats of
    /// output per call (channels times frames) instead of
    /// [`STREAM_FLOATS`]: their stores bypass the cache (non-temporal) and
    /// their loads are prefetched, which pays once the output no longer
    /// fits in the last-level cache. Set it to your cache's size in floats,
    /// `usize::MAX` to never stream, `0` to always. Only ISAs whose
    /// register is a whole cache line (AVX-512) stream; the output is the
    /// same bits either way.
    pub fn with_stream_threshold(self, floats: usize) -> Engine {
        Engine {
            stream_floats: floats,
            ..self
        }
    }

    /// The output size (floats per call) from which planar calls stream.
    pub fn stream_threshold(&self) -> usize {
        self.stream_floats
    }

    /// The ISA this engine runs.
    pub fn isa(&self) -> Isa {
        match self.token {
            Token::Scalar(_) => Isa::Scalar,
            #[cfg(target_arch = "x86_64")]
            Token::Avx2(_) => Isa::Avx2,
            #[cfg(target_arch = "x86_64")]
            Token::Avx512(_) => Isa::Avx512,
            #[cfg(target_arch = "aarch64")]
            Token::Neon(_) => Isa::Neon,
        }
    }

    /// Runs any lane job on this engine's ISA.
    pub fn run_job<J: LaneJob>(&self, job: J) -> J::Output {
        match self.token {
            Token::Scalar(s) => s.run_job(job),
            #[cfg(target_arch = "x86_64")]
            Token::Avx2(s) => s.run_job(job),
            #[cfg(target_arch = "x86_64")]
            Token::Avx512(s) => s.run_job(job),
            #[cfg(target_arch = "aarch64")]
            Token::Neon(s) => s.run_job(job),
        }
    }

    /// Runs kernel `K` with its parameter and state banks (indexed by the
    /// slots of `plan`) over `buffers`, with `key` as the detector input if
    /// given.
    ///
    /// Checks every shape first: on error nothing is read or written.
    pub fn run<K: LaneKernel>(
        &self,
        plan: &Plan,
        params: &Bank,
        state: &mut Bank,
        buffers: Buffers<'_, '_, '_>,
        key: Option<Key<'_, '_>>,
    ) -> Result<(), ShapeError> {
        let mut scratch = Scratch::default();
        self.execute::<K>(plan, params, state, buffers, key, &mut scratch)
            .map(|_| ())
    }

    /// [`Engine::run`], chunked in lanes when this engine's [`Chunking`]
    /// decides so ([`crate::chunk`]) with `scratch` as its memory, and how
    /// the call ran.
    pub fn execute<K: LaneKernel>(
        &self,
        plan: &Plan,
        params: &Bank,
        state: &mut Bank,
        buffers: Buffers<'_, '_, '_>,
        key: Option<Key<'_, '_>>,
        scratch: &mut Scratch,
    ) -> Result<Execution, ShapeError> {
        let banks = [(params, K::PARAM_WORDS), (&*state, K::STATE_WORDS)];
        let frames = check_shapes(plan, &banks, &buffers, key.as_ref())?;
        let isa = self.isa();
        match chunk::decide::<K>(self.chunking, isa, plan, params, &buffers, frames) {
            Ok((split, reason)) => {
                let whole = self.with_chunking(Chunking::Off);
                let call = (frames, split, reason);
                chunk::run::<K>(&whole, plan, params, state, buffers, key, call, scratch)
            }
            Err(reason) => {
                let route = self.run_whole::<K>(plan, params, state, buffers, key, frames);
                Ok(Execution::whole(frames, reason, route))
            }
        }
    }

    /// The unchunked run of [`Engine::execute`], shapes checked; returns
    /// the route taken.
    fn run_whole<K: LaneKernel>(
        &self,
        plan: &Plan,
        params: &Bank,
        state: &mut Bank,
        buffers: Buffers<'_, '_, '_>,
        key: Option<Key<'_, '_>>,
        frames: usize,
    ) -> Route {
        let channels = plan.channels();
        let timed_limit = match self.timed_channels {
            Some(n) => n,
            None => K::TIMED_CHANNELS.get(self.isa()),
        };
        if K::TIMED && channels <= timed_limit {
            match self.token {
                Token::Scalar(s) => timed::<_, K>(s, plan, params, state, buffers, key, frames),
                #[cfg(target_arch = "x86_64")]
                Token::Avx2(s) => timed::<_, K>(s, plan, params, state, buffers, key, frames),
                #[cfg(target_arch = "x86_64")]
                // The AVX2 body (`IsaRoutes::time_lanes_on_eight_lanes`;
                // one instance of the route instead of two).
                Token::Avx512(s) => {
                    const { assert!(IsaRoutes::of(Isa::Avx512).time_lanes_on_eight_lanes) };
                    timed::<_, K>(s.avx2(), plan, params, state, buffers, key, frames)
                }
                #[cfg(target_arch = "aarch64")]
                Token::Neon(s) => timed::<_, K>(s, plan, params, state, buffers, key, frames),
            }
            return Route::TimeLanes;
        }
        let run = Run {
            plan,
            params,
            state,
            buffers,
            key,
            frames,
            stream_floats: self.stream_floats,
        };
        match self.token {
            Token::Scalar(s) => drive::<_, K>(s, run),
            #[cfg(target_arch = "x86_64")]
            Token::Avx2(s) => drive::<_, K>(s, run),
            #[cfg(target_arch = "x86_64")]
            // 8-lane registers where `register_lanes` says so.
            Token::Avx512(s)
                if register_lanes::<K>(Isa::Avx512, plan, run.access::<Avx512>())
                    == Isa::Avx2.lanes() =>
            {
                drive::<_, K>(s.avx2(), run)
            }
            #[cfg(target_arch = "x86_64")]
            Token::Avx512(s) => drive::<_, K>(s, run),
            #[cfg(target_arch = "aarch64")]
            Token::Neon(s) => drive::<_, K>(s, run),
        }
    }

    /// Runs block kernel `K` ([`crate::block`]) with its parameter, state
    /// and history banks (indexed by the slots of `plan`) over `buffers`,
    /// with `key` as the detector input if given.
    ///
    /// Checks every shape first: on error nothing is read or written.
    /// Returns how the call ran (block kernels run whole).
    pub fn run_block<K: BlockKernel>(
        &self,
        plan: &Plan,
        params: &Bank,
        state: &mut Bank,
        history: &mut History,
        buffers: Buffers<'_, '_, '_>,
        key: Option<Key<'_, '_>>,
    ) -> Result<Execution, ShapeError> {
        let banks = [
            (params, K::PARAM_WORDS),
            (&*state, K::STATE_WORDS),
            (history.bank(), history.bank().words()),
        ];
        let frames = check_shapes(plan, &banks, &buffers, key.as_ref())?;
        let job = BlockJob::<K> {
            plan,
            params,
            state,
            history,
            buffers,
            key,
            frames,
            kernel: PhantomData,
        };
        let lanes = match self.token {
            Token::Scalar(s) => run_block(s, job),
            #[cfg(target_arch = "x86_64")]
            Token::Avx2(s) => run_block(s, job),
            #[cfg(target_arch = "x86_64")]
            Token::Avx512(s) if block_lanes(Isa::Avx512, plan) == Isa::Avx2.lanes() => {
                run_block(s.avx2(), job)
            }
            #[cfg(target_arch = "x86_64")]
            Token::Avx512(s) => run_block(s, job),
            #[cfg(target_arch = "aarch64")]
            Token::Neon(s) => run_block(s, job),
        };
        let route = Route::Lanes {
            lanes,
            path: Path::Block,
        };
        Ok(Execution::whole(frames, Reason::Kernel, route))
    }

    /// Lanes per register this engine uses for kernel `K` over `plan` in
    /// a call of `access` ([`register_lanes`]).
    pub fn register_lanes<K: LaneKernel>(&self, plan: &Plan, access: Access) -> usize {
        register_lanes::<K>(self.isa(), plan, access)
    }
}

/// Checks that each bank has its expected rows and a column for every
/// slot of `plan`, and that the buffers and the key fit the plan's
/// channels; returns the call's frames.
fn check_shapes(
    plan: &Plan,
    banks: &[(&Bank, usize)],
    buffers: &Buffers<'_, '_, '_>,
    key: Option<&Key<'_, '_>>,
) -> Result<usize, ShapeError> {
    for &(bank, words) in banks {
        if bank.words() != words || bank.channels() < plan.slots() {
            return Err(ShapeError::Bank {
                words,
                got_words: bank.words(),
                channels: plan.slots(),
                got_channels: bank.channels(),
            });
        }
    }
    let channels = plan.channels();
    let frames = buffers.frames(channels)?;
    if let Some(key) = key {
        key.check(channels, frames)?;
    }
    Ok(frames)
}

/// Lanes per register that the engine of `isa` uses for a block kernel
/// over `plan`: [`Isa::lanes`], except that an ISA with
/// [`IsaRoutes::blocks_on_eight_lanes`] (AVX-512) runs plans of at most 8
/// used slots on its 8-lane body. A block kernel's history traffic is per
/// register, full or not, so one 8-lane register of history costs half
/// of a 16-lane one that is half empty. The output bits are the same
/// either way.
pub fn block_lanes(isa: Isa, plan: &Plan) -> usize {
    let narrow = Isa::Avx2.lanes();
    if IsaRoutes::of(isa).blocks_on_eight_lanes && plan.used() <= narrow {
        narrow
    } else {
        isa.lanes()
    }
}

/// Lanes per register that the engine of `isa` uses for kernel `K` over
/// `plan` in a call of `access`: [`Isa::lanes`], except that an ISA with
/// [`IsaRoutes::chains_on_eight_lanes`] (AVX-512) runs a kernel that wants
/// [`LaneKernel::CHAINS`] independent registers (the envelope follower)
/// with AVX2's 8-lane registers (docs/design.md, "Narrow groups"):
/// - in interleaved calls, when the plan's slots fill whole 8-lane
///   registers but fewer than `CHAINS` full ones (8 or 16 channels):
///   two 8-lane recurrences then overlap where one 16-lane recurrence
///   would wait on its own latency;
/// - in planar calls, at every channel count: the AVX2 body's narrow
///   planar groups (one 8-lane register each, 8x8 transposes, plain
///   stores) measured faster than one 16-lane register per group, and
///   out of cache faster than or level with the AVX-512 body's streaming
///   (whole-line non-temporal) stores;
///
/// and an ISA with [`IsaRoutes::few_passes_on_eight_lanes`] (AVX-512) runs
/// a [`LaneKernel::MULTI_PASS`] kernel (the compressors) over at most 8
/// used slots on 8-lane registers, in every call: its passes are
/// throughput-bound, so a 16-lane register at most half used costs what
/// a full one does.
///
/// The output bits are the same either way.
pub fn register_lanes<K: LaneKernel>(isa: Isa, plan: &Plan, access: Access) -> usize {
    let used = plan.used();
    let narrow = Isa::Avx2.lanes();
    if IsaRoutes::of(isa).few_passes_on_eight_lanes && K::MULTI_PASS && used <= narrow {
        return narrow;
    }
    let wants_chains = K::CHAINS > 1 && used > 0;
    let eight = match access {
        Access::Interleaved => {
            used.is_multiple_of(narrow) && used.div_ceil(isa.lanes()) < K::CHAINS
        }
        Access::Planar | Access::PlanarStream => true,
    };
    if IsaRoutes::of(isa).chains_on_eight_lanes && wants_chains && eight {
        narrow
    } else {
        isa.lanes()
    }
}
