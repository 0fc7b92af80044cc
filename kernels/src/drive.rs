//! The driver: runs any [`LaneKernel`] over any buffer layout, written once
//! over [`Lanes`] and compiled per ISA.
//!
//! Slots (see [`Plan`]) are processed in *groups* of up to [`MAX_REGS`]
//! registers; a group's registers advance together, one frame at a time, so
//! their independent recurrences overlap in the pipeline and hide each
//! other's latency.
//!
//! * Interleaved buffers with the identity plan are read and written where
//!   they are: a frame's channels are contiguous, so a register is one
//!   (possibly partial) load. Out of cache, with several groups and a
//!   separate output, the output is staged in a tile and copied out with
//!   non-temporal stores (`staged`).
//! * Planar buffers (any plan) take the direct planar path (`planar.rs`):
//!   squares of `LANES` frames x `LANES` channels are loaded a channel per
//!   register, transposed into frame rows in registers, processed, and
//!   transposed back; the few frames outside whole squares use the tile.
//! * Everything else (linked plans on interleaved buffers, a key in the
//!   other layout, planar outputs at mixed line offsets with groups of
//!   three or four registers, unless the groups are narrow) goes through a
//!   stack tile of [`TILE_FLOATS`] values: the group's slots are gathered
//!   into interleaved rows, processed, and scattered back.
//!
//! Large channel counts are processed block by block (a block of frames for
//! every group, then the next block), so each block stays in cache; out of
//! cache, the next block is prefetched (by `staged`, or by each group
//! for its own rows), because a group's rows are a strided pattern the
//! hardware prefetchers do not follow.

use crate::bank::Bank;
use crate::job::LaneJob;
use crate::kernel::{LaneKernel, MAX_MIDDLE_PASSES, RUN_FRAMES};
use crate::lanes::Lanes;
use crate::layout::{Buffers, Key};
use crate::plan::Plan;
use crate::route::{Path, Route};
use crate::tuning::IsaRoutes;
use core::marker::PhantomData;
use core::ops::Range;
pub use planar::STREAM_FLOATS;
use planar::{PlanarIo, narrow, planar, streams};

/// Registers per group: enough independent recurrences to cover the latency
/// of one step on every ISA (see docs/design.md).
pub const MAX_REGS: usize = 4;
/// Floats in a gather tile (16 KiB, half of a typical L1D).
pub const TILE_FLOATS: usize = 4096;

/// Planar calls from this many frames align the direct path's squares to
/// cache lines (see `planar_then_tiled`).
const ALIGN_FROM_FRAMES: usize = 1024;

/// Frames per block when an interleaved buffer has several groups.
pub const BLOCK_FRAMES: usize = 256;

/// Floats per cache line.
const LINE_FLOATS: usize = 16;

/// Floats from the start of `buf` to its first 64-byte (cache line)
/// boundary: 0 when it starts on one, at most 15.
fn to_line_boundary(buf: &[f32]) -> usize {
    let addr = buf.as_ptr() as usize;
    (LINE_FLOATS * 4 - addr % (LINE_FLOATS * 4)) % (LINE_FLOATS * 4) / 4
}

/// Interleaved calls of this many channels or more (frames of 1 KiB or
/// more) whose output reaches the stream threshold (`Run::stream_floats`,
/// out of cache) and that are not `staged` (in place, a multi-pass
/// kernel, or the scalar and NEON ISAs) prefetch each group's rows one
/// block ahead: a group's
/// visit of a block then touches each 4 KiB page at most four times, too
/// few for the hardware prefetchers to follow (docs/design.md, "The
/// driver"). In cache the prefetches measured slower, so smaller calls do
/// without.
pub const PREFETCH_CHANNELS: usize = 256;

/// Whether a call's output (`frames` x `channels` floats) reaches the
/// stream threshold, i.e. is taken to be out of cache: planar calls then
/// stream (`planar::streams`), interleaved ones are staged ([`stages`]) or
/// prefetch ([`PREFETCH_CHANNELS`]).
fn out_of_cache(frames: usize, channels: usize, threshold: usize) -> bool {
    frames.saturating_mul(channels) >= threshold
}

/// Calls `$f::<.., N>(..)` with `N` the const register count `1..=MAX_REGS`.
macro_rules! by_regs {
    ($regs:expr, $f:ident::<$($g:ty),*>($($arg:expr),* $(,)?)) => {
        match $regs {
            1 => $f::<$($g,)* 1>($($arg),*),
            2 => $f::<$($g,)* 2>($($arg),*),
            3 => $f::<$($g,)* 3>($($arg),*),
            _ => $f::<$($g,)* 4>($($arg),*),
        }
    };
}

mod block;
mod planar;
mod timed;

pub(crate) use block::{BlockJob, run_block};

pub(crate) use timed::{gather, scatter, timed};

/// A checked kernel run: everything [`drive`] needs.
pub(crate) struct Run<'a, 'b, 'i, 'o, 'k> {
    pub(crate) plan: &'a Plan,
    pub(crate) params: &'a Bank,
    pub(crate) state: &'a mut Bank,
    pub(crate) buffers: Buffers<'b, 'i, 'o>,
    pub(crate) key: Option<Key<'b, 'k>>,
    pub(crate) frames: usize,
    /// Output floats from which planar calls stream ([`STREAM_FLOATS`]).
    pub(crate) stream_floats: usize,
}

impl Run<'_, '_, '_, '_, '_> {
    /// Whether this call streams on ISA `S`: planar buffers of at least
    /// `stream_floats` output floats, on whole-line registers
    /// (`planar::streams`).
    pub(crate) fn streams<S: Lanes>(&self) -> bool {
        self.access::<S>() == Access::PlanarStream
    }

    /// How this call reaches its buffers on ISA `S`.
    pub(crate) fn access<S: Lanes>(&self) -> Access {
        match self.buffers {
            Buffers::Planar { .. } | Buffers::PlanarInPlace { .. } => {
                if streams::<S>(self.frames, self.plan.channels(), self.stream_floats) {
                    Access::PlanarStream
                } else {
                    Access::Planar
                }
            }
            _ => Access::Interleaved,
        }
    }
}

/// How a call reaches its buffers, which decides the register width the
/// AVX-512 engine uses ([`crate::engine::register_lanes`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Interleaved buffers (in place or not).
    Interleaved,
    /// Planar buffers with plain stores (the direct planar path and the tile).
    Planar,
    /// Planar buffers past the stream threshold on whole-line registers:
    /// non-temporal stores of whole lines ([`STREAM_FLOATS`]).
    PlanarStream,
}

/// Runs kernel `K` on ISA `S`. This function and its loops over groups and
/// tiles are plain code; the per-sample work happens in jobs run through
/// the ISA's entry point (`Lanes::run_job`), each compiled once per ISA:
/// the kernel steps once per (kernel, register count, path), the gathers
/// and scatters once per layout whatever the kernel. Returns the route
/// taken.
pub(crate) fn drive<S: Lanes, K: LaneKernel>(s: S, run: Run<'_, '_, '_, '_, '_>) -> Route {
    let stream = run.streams::<S>();
    let narrow = narrow::<S, K>(stream, run.plan.used());
    let Run {
        plan,
        params,
        state,
        buffers,
        key,
        frames,
        stream_floats,
    } = run;
    let channels = plan.channels();
    let prefetch = channels >= PREFETCH_CHANNELS && out_of_cache(frames, channels, stream_floats);
    let direct_key = match key {
        None => Some(None),
        Some(Key::Interleaved(k)) => Some(Some(k)),
        Some(_) => None,
    };
    let path = match (buffers, direct_key) {
        (Buffers::Interleaved { input, output }, Some(key))
            if plan.is_identity() && stages::<S, K>(frames, channels, stream_floats) =>
        {
            staged::<S, K>(s, params, state, input, output, key, channels, frames);
            Path::Staged
        }
        (Buffers::Interleaved { input, output }, Some(key)) if plan.is_identity() => {
            let io = Frames {
                input: Some(input),
                output,
            };
            interleaved::<S, K>(s, params, state, io, key, channels, frames, prefetch);
            Path::Direct
        }
        (Buffers::InterleavedInPlace { buf }, Some(key)) if plan.is_identity() => {
            let io = Frames {
                input: None,
                output: buf,
            };
            interleaved::<S, K>(s, params, state, io, key, channels, frames, prefetch);
            Path::Direct
        }
        (Buffers::Planar { input, output }, _) => {
            let io = PlanarIo {
                input: Some(input),
                output,
            };
            planar_then_tiled::<S, K>(s, plan, params, state, io, key, frames, stream, narrow)
        }
        (Buffers::PlanarInPlace { bufs }, _) => {
            let io = PlanarIo {
                input: None,
                output: bufs,
            };
            planar_then_tiled::<S, K>(s, plan, params, state, io, key, frames, stream, narrow)
        }
        (buffers, _) => {
            tiled::<S, K>(s, plan, params, state, buffers, key, 0..frames);
            Path::Tiled
        }
    };
    Route::Lanes {
        lanes: S::LANES,
        path,
    }
}

/// Planar buffers: whole squares of `LANES` frames on the direct planar
/// path, the frames before the first line-aligned square (long calls) and
/// after the last whole one through the tile. A key in the other layout,
/// or output slices at mixed line offsets with groups of three or four
/// registers, send everything through the tile. Calls of at least
/// `stream_floats` output floats stream (`stream`, from [`Run::streams`]);
/// `narrow` (from `planar::narrow`) makes every group one register (or
/// one link block). Returns the path most frames took.
#[allow(clippy::too_many_arguments)]
fn planar_then_tiled<S: Lanes, K: LaneKernel>(
    s: S,
    plan: &Plan,
    params: &Bank,
    state: &mut Bank,
    mut io: PlanarIo<'_, '_, '_>,
    key: Option<Key<'_, '_>>,
    frames: usize,
    stream: bool,
    narrow: bool,
) -> Path {
    // In long calls the squares start at the cache-line boundary most
    // output slices share, so their stores write whole lines (and may be
    // non-temporal). Short calls skip the extra tile pass this costs.
    let (offset, shared) = common_line_offset(io.output.iter().map(|p| &**p));
    let head = match key {
        Some(Key::Interleaved(_)) => frames,
        // Groups of three or four registers with output slices at mixed
        // line offsets: every store of the direct path splits a line, one
        // register per slice in turn, and measured slower than the tile,
        // which writes four registers per slice in a row (docs/tuning.md).
        // Narrow groups take the direct path at any offset: with one
        // register per group it measured faster than the tile (AVX-512,
        // 16 channels: 0.87 ns against 1.31), and streaming calls write
        // whole aligned lines whatever the offset (`planar`).
        _ if !shared && !narrow && plan.used() > 2 * S::LANES => frames,
        _ if frames < ALIGN_FROM_FRAMES => 0,
        _ => offset,
    };
    let head = head.min(frames);
    let whole = head + (frames - head) / S::LANES * S::LANES;
    let planar_key = key.filter(|k| k.is_planar());
    if head > 0 {
        tiled::<S, K>(s, plan, params, state, io.buffers(), key, 0..head);
    }
    planar::<S, K>(
        s,
        plan,
        params,
        state,
        &mut io,
        planar_key,
        head..whole,
        stream,
        narrow,
    );
    if whole < frames {
        tiled::<S, K>(s, plan, params, state, io.buffers(), key, whole..frames);
    }
    if whole - head < frames / 2 {
        Path::Tiled
    } else if stream {
        Path::PlanarStream
    } else {
        Path::Planar
    }
}

/// The most common distance, in frames, from a slice's start to its first
/// 64-byte boundary (the first such on a tie), and whether every slice
/// has it.
fn common_line_offset<'a>(planes: impl Iterator<Item = &'a [f32]>) -> (usize, bool) {
    let mut count = [0usize; LINE_FLOATS];
    for plane in planes {
        count[to_line_boundary(plane)] += 1;
    }
    let best = count.iter().max().copied().unwrap_or(0);
    let offset = count.iter().position(|&n| n == best).unwrap_or(0);
    (offset, best == count.iter().sum::<usize>())
}

/// [`LaneKernel::prepare`] on each register of a row.
#[inline(always)]
fn prepare<S: Lanes, K: LaneKernel, const N: usize>(s: S, mut row: [S::V; N]) -> [S::V; N] {
    for x in &mut row {
        *x = K::prepare(s, *x);
    }
    row
}

/// The middle passes of a multi-pass kernel ([`LaneKernel::middle`]), each
/// over all of a run's carried values before the next.
#[inline(always)]
fn middle_passes<S: Lanes, K: LaneKernel, const N: usize>(
    s: S,
    regs: &mut Regs<S, K, N>,
    mids: &mut [[S::V; N]],
) {
    const { assert!(K::MIDDLE_PASSES <= MAX_MIDDLE_PASSES) };
    if K::MIDDLE_PASSES > 0 {
        for mid in mids.iter_mut() {
            K::middle::<S, N, 0>(s, &regs.params, &mut regs.state, mid);
        }
    }
    if K::MIDDLE_PASSES > 1 {
        for mid in mids.iter_mut() {
            K::middle::<S, N, 1>(s, &regs.params, &mut regs.state, mid);
        }
    }
}

/// One group's registers: parameters and state, loaded from the banks.
struct Regs<S: Lanes, K: LaneKernel, const N: usize> {
    params: [K::Params<S>; N],
    state: [K::State<S>; N],
}

impl<S: Lanes, K: LaneKernel, const N: usize> Regs<S, K, N> {
    #[inline(always)]
    fn load(s: S, params: &Bank, state: &Bank, at: usize) -> Self {
        let mut regs = Regs {
            params: [K::load_params(s, params, at); N],
            state: [K::load_state(s, state, at); N],
        };
        for r in 1..N {
            regs.params[r] = K::load_params(s, params, at + r * S::LANES);
            regs.state[r] = K::load_state(s, state, at + r * S::LANES);
        }
        regs
    }

    #[inline(always)]
    fn store(&self, s: S, state: &mut Bank, at: usize) {
        for (r, st) in self.state.iter().enumerate() {
            K::store_state(s, state, at + r * S::LANES, *st);
        }
    }
}

/// Loads a row of lanes; only the last register may be partial, and only
/// when `partial` (then `row.len()` says how many lanes are real).
#[inline(always)]
fn load_row<S: Lanes, const N: usize>(s: S, row: &[f32], partial: bool) -> [S::V; N] {
    let mut x = [s.zero(); N];
    for (r, x) in x.iter_mut().enumerate() {
        let lanes = &row[r * S::LANES..];
        *x = if partial && r + 1 == N {
            s.load_partial(lanes)
        } else {
            s.load(lanes)
        };
    }
    x
}

/// Stores a row written by [`load_row`]'s rule.
#[inline(always)]
fn store_row<S: Lanes, const N: usize>(s: S, row: &mut [f32], x: &[S::V; N], partial: bool) {
    for (r, &x) in x.iter().enumerate() {
        let lanes = &mut row[r * S::LANES..];
        if partial && r + 1 == N {
            s.store_partial(lanes, x);
        } else {
            s.store(lanes, x);
        }
    }
}

/// Interleaved frames: read from `input`, or from `output` itself when
/// processing in place, and written to `output`.
struct Frames<'a> {
    input: Option<&'a [f32]>,
    output: &'a mut [f32],
}

/// The direct path: interleaved frames, identity plan, no tile; with
/// `prefetch` (and several groups), each group prefetches its rows one
/// block ahead ([`PREFETCH_CHANNELS`]).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn interleaved<S: Lanes, K: LaneKernel>(
    s: S,
    params: &Bank,
    state: &mut Bank,
    mut io: Frames<'_>,
    key: Option<&[f32]>,
    channels: usize,
    frames: usize,
    prefetch: bool,
) {
    let width = MAX_REGS * S::LANES;
    // One block for a single group; cache-sized blocks when groups revisit it.
    let block = if channels > width {
        BLOCK_FRAMES
    } else {
        frames
    };
    let mut f0 = 0;
    while f0 < frames {
        let f1 = frames.min(f0 + block);
        let mut c0 = 0;
        while c0 < channels {
            let n = (channels - c0).min(width);
            let regs = n.div_ceil(S::LANES);
            let at = Cut {
                frames: f0..f1,
                channels,
                c0,
                n,
                ahead: if prefetch && channels > width {
                    block * channels
                } else {
                    0
                },
            };
            by_regs!(
                regs,
                direct_group::<S, K>(s, params, state, &mut io, key, at)
            );
            c0 += n;
        }
        f0 = f1;
    }
}

/// Whether an interleaved call of kernel `K` with a separate output
/// (identity plan) runs [`staged`]: a single-pass kernel on AVX2 or AVX-512
/// whose channels take several groups (the direct path would go block by
/// block) with a frame that fits the tile, and whose output reaches the
/// stream threshold. One group (at most 64 channels on AVX-512, 32 on
/// AVX2) measured slower staged, and so did the multi-pass compressors
/// (compute-bound; tiles of 16 frames at 256 channels), which keep the
/// direct path (docs/tuning.md, "Interleaved calls").
fn stages<S: Lanes, K: LaneKernel>(frames: usize, channels: usize, threshold: usize) -> bool {
    !K::MULTI_PASS
        && IsaRoutes::of(S::ISA).staged_output
        && channels > MAX_REGS * S::LANES
        && channels <= TILE_FLOATS
        && out_of_cache(frames, channels, threshold)
}

/// Interleaved frames out of cache, with a separate output: the direct
/// path runs block by block (as many frames as fill the tile) into a stack
/// tile that stays in L1, and each block is then copied to the output in
/// whole aligned lines with non-temporal stores ([`StreamOut`]), prefetching
/// the next block's input. A plain store out of cache first reads the line
/// it overwrites; this moves two lines per line of input instead of three
/// (docs/design.md, "The driver"). Same kernel steps over the same frames
/// in the same order, so the same values.
#[allow(clippy::too_many_arguments)]
fn staged<S: Lanes, K: LaneKernel>(
    s: S,
    params: &Bank,
    state: &mut Bank,
    input: &[f32],
    output: &mut [f32],
    key: Option<&[f32]>,
    channels: usize,
    frames: usize,
) {
    let mut tile = [0.0f32; TILE_FLOATS];
    let block = TILE_FLOATS / channels;
    let mut f0 = 0;
    while f0 < frames {
        let f1 = frames.min(f0 + block);
        let rows = f0 * channels..f1 * channels;
        let staged = &mut tile[..rows.len()];
        let io = Frames {
            input: Some(&input[rows.clone()]),
            output: &mut *staged,
        };
        let key = key.map(|k| &k[rows.clone()]);
        interleaved::<S, K>(s, params, state, io, key, channels, f1 - f0, false);
        let next = input.get(rows.end..).unwrap_or(&[]);
        s.run_job(StreamOut {
            src: staged,
            dst: &mut output[rows],
            next: &next[..next.len().min(TILE_FLOATS)],
        });
        f0 = f1;
    }
    s.stream_fence();
}

/// Copies `src` to `dst` (same length): plain stores up to `dst`'s first
/// cache-line boundary and after its last whole line, non-temporal stores
/// of whole lines between; prefetches the lines of `next` as it goes.
struct StreamOut<'a, 'o> {
    src: &'a [f32],
    dst: &'o mut [f32],
    next: &'a [f32],
}

impl LaneJob for StreamOut<'_, '_> {
    type Output = ();

    #[inline(always)]
    fn run<S: Lanes>(self, s: S) {
        let StreamOut { src, dst, next } = self;
        let head = to_line_boundary(dst).min(dst.len());
        let (dst_head, dst) = dst.split_at_mut(head);
        let (src_head, src) = src.split_at(head);
        dst_head.copy_from_slice(src_head);
        let mut lines = dst.chunks_exact_mut(LINE_FLOATS);
        let mut src_lines = src.chunks_exact(LINE_FLOATS);
        for (i, (d, x)) in (&mut lines).zip(&mut src_lines).enumerate() {
            s.prefetch(next.get(i * LINE_FLOATS..).unwrap_or(&[]));
            for (d, x) in d.chunks_exact_mut(S::LANES).zip(x.chunks_exact(S::LANES)) {
                s.store_stream(d, s.load(x));
            }
        }
        lines
            .into_remainder()
            .copy_from_slice(src_lines.remainder());
    }
}

/// A group's frames and channels within interleaved buffers.
struct Cut {
    frames: Range<usize>,
    channels: usize,
    c0: usize,
    n: usize,
    /// Floats from a row to the group's row one block later, which the
    /// group prefetches frame by frame (`0`: a single group, no prefetch).
    ahead: usize,
}

/// One group over its frames, as one job: the skewed schedule for a
/// one-register group of a two-middle-pass kernel, runs of `RUN_FRAMES`
/// frames pass by pass for other multi-pass kernels, and for single-pass
/// kernels either one prefetching loop with runtime choices (blocks of
/// several groups) or one loop per combination of separate input and key,
/// with no per-frame choice but the partial last register.
#[inline(always)]
fn direct_group<S: Lanes, K: LaneKernel, const N: usize>(
    s: S,
    params: &Bank,
    state: &mut Bank,
    io: &mut Frames<'_>,
    key: Option<&[f32]>,
    at: Cut,
) {
    s.run_job(DirectJob::<K, N> {
        params,
        state,
        io,
        key,
        at,
        kernel: PhantomData,
    });
}

struct DirectJob<'a, 'f, K, const N: usize> {
    params: &'a Bank,
    state: &'a mut Bank,
    io: &'a mut Frames<'f>,
    key: Option<&'a [f32]>,
    at: Cut,
    kernel: PhantomData<K>,
}

impl<K: LaneKernel, const N: usize> LaneJob for DirectJob<'_, '_, K, N> {
    type Output = ();

    #[inline(always)]
    fn run<S: Lanes>(self, s: S) {
        let DirectJob {
            params,
            state,
            io,
            key,
            at,
            ..
        } = self;
        if at.frames.is_empty() {
            return;
        }
        let mut regs = Regs::<S, K, N>::load(s, params, state, at.c0);
        let partial = !at.n.is_multiple_of(S::LANES);
        if K::MULTI_PASS && K::MIDDLE_PASSES == 2 && N == 1 {
            skewed::<S, K, N>(s, &mut regs, io, key, &at, partial);
            regs.store(s, state, at.c0);
            return;
        }
        if K::MULTI_PASS {
            let mut mid = [[s.zero(); N]; RUN_FRAMES];
            let mut xs = [[s.zero(); N]; RUN_FRAMES];
            let mut f0 = at.frames.start;
            while f0 < at.frames.end {
                let run = f0..at.frames.end.min(f0 + RUN_FRAMES);
                for ((f, mid), xs) in run.clone().zip(mid.iter_mut()).zip(xs.iter_mut()) {
                    let lo = f * at.channels + at.c0;
                    *mid = first_pass::<S, K, N>(s, &mut regs, io, key, &at, partial, lo, xs);
                }
                middle_passes::<S, K, N>(s, &mut regs, &mut mid[..run.len()]);
                for ((f, mid), xs) in run.clone().zip(mid.iter()).zip(xs.iter()) {
                    let lo = f * at.channels + at.c0;
                    last_pass::<S, K, N>(s, &mut regs, io, &at, partial, lo, *xs, mid);
                }
                f0 = run.end;
            }
            regs.store(s, state, at.c0);
            return;
        }
        if at.ahead > 0 {
            // Blocks of several groups: throughput-bound, so one loop with
            // runtime choices serves every combination.
            for f in at.frames.clone() {
                let lo = f * at.channels + at.c0;
                prefetch_row::<S, N>(s, io, key, lo + at.ahead);
                let src = io.input.unwrap_or(&*io.output);
                let mut x = load_row::<S, N>(s, &src[lo..lo + at.n], partial);
                let k = match key {
                    Some(key) => load_row::<S, N>(s, &key[lo..lo + at.n], partial),
                    None => x,
                };
                K::step_frame(s, &regs.params, &mut regs.state, &mut x, &k);
                store_row::<S, N>(s, &mut io.output[lo..lo + at.n], &x, partial);
            }
        } else {
            // The group's rows: frame `f` at `f * channels + c0`, `n` wide.
            let rows = at.frames.start * at.channels + at.c0
                ..(at.frames.end - 1) * at.channels + at.c0 + at.n;
            let out = io.output[rows.clone()].chunks_mut(at.channels);
            let none = core::iter::repeat(None);
            // One loop per combination, so no per-frame choice remains.
            match (io.input, key) {
                (Some(i), Some(k)) => {
                    let (i, k) = (&i[rows.clone()], &k[rows]);
                    let (i, k) = (
                        i.chunks(at.channels).map(Some),
                        k.chunks(at.channels).map(Some),
                    );
                    steps::<S, K, N>(s, &mut regs, at.n, partial, out, i, k);
                }
                (Some(i), None) => {
                    let i = i[rows].chunks(at.channels).map(Some);
                    steps::<S, K, N>(s, &mut regs, at.n, partial, out, i, none);
                }
                (None, Some(k)) => {
                    let k = k[rows].chunks(at.channels).map(Some);
                    steps::<S, K, N>(s, &mut regs, at.n, partial, out, none, k);
                }
                (None, None) => {
                    steps::<S, K, N>(s, &mut regs, at.n, partial, out, none.clone(), none);
                }
            }
        }
        regs.store(s, state, at.c0);
    }
}

/// The multi-pass loop of [`DirectJob`] for a kernel with two middle passes
/// in one register (the compressor at up to one register of channels),
/// skewed over runs so that each loop pairs a recurrence with independent
/// arithmetic: run `r`'s first pass (the detector) shares a loop with run
/// `r - 1`'s middle pass 0 (the curve), and run `r - 1`'s middle pass 1
/// (the smoother) shares one with run `r - 2`'s last pass (the
/// application). Each pass still visits the runs in order and owns its
/// state, so the output is unchanged (docs/design.md, "Passes").
#[inline(always)]
fn skewed<S: Lanes, K: LaneKernel, const N: usize>(
    s: S,
    regs: &mut Regs<S, K, N>,
    io: &mut Frames<'_>,
    key: Option<&[f32]>,
    at: &Cut,
    partial: bool,
) {
    // Three runs in flight: the detector's, the curve's and smoother's,
    // and the application's.
    let mut mid = [[[s.zero(); N]; RUN_FRAMES]; 3];
    let mut xs = [[[s.zero(); N]; RUN_FRAMES]; 3];
    let total = at.frames.len();
    let runs = total.div_ceil(RUN_FRAMES);
    let len = |r: usize| (total - r * RUN_FRAMES).min(RUN_FRAMES);
    let row = |r: usize, i: usize| (at.frames.start + r * RUN_FRAMES + i) * at.channels + at.c0;
    for r in 0..runs + 2 {
        let first = if r < runs { len(r) } else { 0 };
        let middle = if (1..=runs).contains(&r) {
            len(r - 1)
        } else {
            0
        };
        let last = if r >= 2 { len(r - 2) } else { 0 };
        let [m0, m1, m2] = &mut mid;
        let [x0, x1, x2] = &mut xs;
        // Buffers of runs r, r - 1 and r - 2 (modulo 3).
        let (cur, prev, old, x_cur, x_old) = match r % 3 {
            0 => (m0, m2, m1, x0, x1),
            1 => (m1, m0, m2, x1, x2),
            _ => (m2, m1, m0, x2, x0),
        };
        for i in 0..first.max(middle) {
            if i < first {
                let lo = row(r, i);
                cur[i] = first_pass::<S, K, N>(s, regs, io, key, at, partial, lo, &mut x_cur[i]);
            }
            if i < middle {
                K::middle::<S, N, 0>(s, &regs.params, &mut regs.state, &mut prev[i]);
            }
        }
        for i in 0..middle.max(last) {
            if i < middle {
                K::middle::<S, N, 1>(s, &regs.params, &mut regs.state, &mut prev[i]);
            }
            if i < last {
                let lo = row(r - 2, i);
                last_pass::<S, K, N>(s, regs, io, at, partial, lo, x_old[i], &old[i]);
            }
        }
    }
}

/// The first pass of [`DirectJob`]'s multi-pass loops over the group's row
/// at `lo`: prefetches one block ahead (when `at.ahead > 0`), prepares the
/// input (into `xs`, for the last pass) and the key, and returns the value
/// the later passes carry.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn first_pass<S: Lanes, K: LaneKernel, const N: usize>(
    s: S,
    regs: &mut Regs<S, K, N>,
    io: &Frames<'_>,
    key: Option<&[f32]>,
    at: &Cut,
    partial: bool,
    lo: usize,
    xs: &mut [S::V; N],
) -> [S::V; N] {
    if at.ahead > 0 {
        prefetch_row::<S, N>(s, io, key, lo + at.ahead);
    }
    let src = io.input.unwrap_or(&*io.output);
    *xs = prepare::<S, K, N>(s, load_row(s, &src[lo..lo + at.n], partial));
    let k = match key {
        Some(key) => prepare::<S, K, N>(s, load_row(s, &key[lo..lo + at.n], partial)),
        None => *xs,
    };
    K::first(s, &regs.params, &mut regs.state, &k)
}

/// The last pass of [`DirectJob`]'s multi-pass loops over the group's row
/// at `lo`: the output from the prepared input `xs` and the carried value
/// `mid`, stored.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn last_pass<S: Lanes, K: LaneKernel, const N: usize>(
    s: S,
    regs: &mut Regs<S, K, N>,
    io: &mut Frames<'_>,
    at: &Cut,
    partial: bool,
    lo: usize,
    xs: [S::V; N],
    mid: &[S::V; N],
) {
    let mut x = xs;
    K::second(s, &regs.params, &mut regs.state, &mut x, mid);
    store_row::<S, N>(s, &mut io.output[lo..lo + at.n], &x, partial);
}

/// Prefetches the lines of a group's row of `N` registers at `at` (the
/// same row one block ahead): of the input (or of the output in place), of
/// the output when not in place, and of the key. Rows past the buffers'
/// end are skipped.
#[inline(always)]
fn prefetch_row<S: Lanes, const N: usize>(s: S, io: &Frames<'_>, key: Option<&[f32]>, at: usize) {
    let src = io.input.unwrap_or(&*io.output);
    let dst = io.input.map(|_| &*io.output);
    // One prefetch per line of the row (a register is at most a line).
    for r in (0..N).step_by(LINE_FLOATS / S::LANES) {
        let at = at + r * S::LANES;
        for buf in [Some(src), dst, key].into_iter().flatten() {
            if let Some(line) = buf.get(at..) {
                s.prefetch(line);
            }
        }
    }
}

/// The single-pass frame loop of [`DirectJob`] over rows of `channels`
/// floats whose first `n` belong to the group: the input row (`None`: the
/// output row itself, in place) and the key row (`None`: the input).
#[inline(always)]
fn steps<'a, S: Lanes, K: LaneKernel, const N: usize>(
    s: S,
    regs: &mut Regs<S, K, N>,
    n: usize,
    partial: bool,
    out: core::slice::ChunksMut<'_, f32>,
    input: impl Iterator<Item = Option<&'a [f32]>>,
    key: impl Iterator<Item = Option<&'a [f32]>>,
) {
    for ((out, input), key) in out.zip(input).zip(key) {
        let out = &mut out[..n];
        let mut x = load_row::<S, N>(s, input.map_or(&*out, |i| &i[..n]), partial);
        let k = match key {
            Some(key) => load_row::<S, N>(s, &key[..n], partial),
            None => x,
        };
        K::step_frame(s, &regs.params, &mut regs.state, &mut x, &k);
        store_row::<S, N>(s, out, &x, partial);
    }
}

/// What the tile path needs of a group.
struct Span<'p> {
    plan: &'p Plan,
    /// First slot of the group.
    base: usize,
    /// Slots of the group that may hold channels.
    n: usize,
    /// Lanes per tile row.
    width: usize,
    frames: Range<usize>,
}

/// Any layout, through the tile: per group and block of frames, a gather
/// job, a kernel job and a scatter job.
fn tiled<S: Lanes, K: LaneKernel>(
    s: S,
    plan: &Plan,
    params: &Bank,
    state: &mut Bank,
    mut buffers: Buffers<'_, '_, '_>,
    key: Option<Key<'_, '_>>,
    frames: Range<usize>,
) {
    let width = MAX_REGS * S::LANES;
    // Whole link blocks: a butterfly reads every register of its block.
    let used = plan.used().next_multiple_of(plan.max_block());
    let mut tile = [0.0f32; TILE_FLOATS];
    let mut key_tile = [0.0f32; TILE_FLOATS];
    let mut base = 0;
    while base < used {
        let n = (used - base).min(width);
        let regs = n.div_ceil(S::LANES);
        let width = regs * S::LANES;
        let block = TILE_FLOATS / width;
        let mut f0 = frames.start;
        while f0 < frames.end {
            let f1 = frames.end.min(f0 + block);
            let span = Span {
                plan,
                base,
                n,
                width,
                frames: f0..f1,
            };
            let rows = (f1 - f0) * width;
            let (tile, key_tile) = (&mut tile[..rows], &mut key_tile[..rows]);
            match &buffers {
                Buffers::Planar { input, .. } => s.run_job(GatherPlanar {
                    src: *input,
                    tile,
                    span: &span,
                }),
                Buffers::PlanarInPlace { bufs } => s.run_job(GatherPlanar {
                    src: &**bufs,
                    tile,
                    span: &span,
                }),
                Buffers::Interleaved { input, .. } => s.run_job(GatherInterleaved {
                    src: input,
                    tile,
                    span: &span,
                }),
                Buffers::InterleavedInPlace { buf } => s.run_job(GatherInterleaved {
                    src: buf,
                    tile,
                    span: &span,
                }),
            }
            let key_tile = match key {
                None => None,
                Some(Key::Planar(src)) => {
                    s.run_job(GatherPlanar {
                        src,
                        tile: key_tile,
                        span: &span,
                    });
                    Some(&*key_tile)
                }
                Some(Key::PlanarMut(src)) => {
                    s.run_job(GatherPlanar {
                        src,
                        tile: key_tile,
                        span: &span,
                    });
                    Some(&*key_tile)
                }
                Some(Key::Interleaved(src)) => {
                    s.run_job(GatherInterleaved {
                        src,
                        tile: key_tile,
                        span: &span,
                    });
                    Some(&*key_tile)
                }
            };
            by_regs!(
                regs,
                tile_step::<S, K>(s, params, state, base, tile, key_tile)
            );
            match &mut buffers {
                Buffers::Planar { output, .. } => s.run_job(ScatterPlanar {
                    dst: output,
                    tile,
                    span: &span,
                }),
                Buffers::PlanarInPlace { bufs } => s.run_job(ScatterPlanar {
                    dst: bufs,
                    tile,
                    span: &span,
                }),
                Buffers::Interleaved { output, .. } => s.run_job(ScatterInterleaved {
                    dst: output,
                    tile,
                    span: &span,
                }),
                Buffers::InterleavedInPlace { buf } => s.run_job(ScatterInterleaved {
                    dst: buf,
                    tile,
                    span: &span,
                }),
            }
            f0 = f1;
        }
        base += n;
    }
}

#[inline(always)]
fn tile_step<S: Lanes, K: LaneKernel, const N: usize>(
    s: S,
    params: &Bank,
    state: &mut Bank,
    base: usize,
    tile: &mut [f32],
    key_tile: Option<&[f32]>,
) {
    s.run_job(TileJob::<K, N> {
        params,
        state,
        base,
        tile,
        key_tile,
        kernel: PhantomData,
    });
}

/// The kernel over the rows of a tile, registers loaded from and stored to
/// the banks around it.
struct TileJob<'a, K, const N: usize> {
    params: &'a Bank,
    state: &'a mut Bank,
    base: usize,
    tile: &'a mut [f32],
    key_tile: Option<&'a [f32]>,
    kernel: PhantomData<K>,
}

impl<K: LaneKernel, const N: usize> LaneJob for TileJob<'_, K, N> {
    type Output = ();

    #[inline(always)]
    fn run<S: Lanes>(self, s: S) {
        let width = N * S::LANES;
        let mut regs = Regs::<S, K, N>::load(s, self.params, self.state, self.base);
        if K::MULTI_PASS {
            let mut mid = [[s.zero(); N]; RUN_FRAMES];
            let mut xs = [[s.zero(); N]; RUN_FRAMES];
            let run_rows = RUN_FRAMES * width;
            for (r, rows) in self.tile.chunks_mut(run_rows).enumerate() {
                let keys = self
                    .key_tile
                    .map(|key| &key[r * run_rows..r * run_rows + rows.len()]);
                let frames = rows
                    .chunks_exact(width)
                    .zip(mid.iter_mut())
                    .zip(xs.iter_mut());
                for (i, ((row, mid), xs)) in frames.enumerate() {
                    *xs = prepare::<S, K, N>(s, load_row(s, row, false));
                    let k = match keys {
                        Some(keys) => {
                            let row = &keys[i * width..(i + 1) * width];
                            prepare::<S, K, N>(s, load_row(s, row, false))
                        }
                        None => *xs,
                    };
                    *mid = K::first(s, &regs.params, &mut regs.state, &k);
                }
                middle_passes::<S, K, N>(s, &mut regs, &mut mid[..rows.len() / width]);
                for ((row, mid), xs) in rows.chunks_exact_mut(width).zip(mid.iter()).zip(&xs) {
                    let mut x = *xs;
                    K::second(s, &regs.params, &mut regs.state, &mut x, mid);
                    store_row::<S, N>(s, row, &x, false);
                }
            }
            regs.store(s, self.state, self.base);
            return;
        }
        for (i, row) in self.tile.chunks_exact_mut(width).enumerate() {
            let mut x = load_row::<S, N>(s, row, false);
            let k = match self.key_tile {
                Some(key) => load_row::<S, N>(s, &key[i * width..(i + 1) * width], false),
                None => x,
            };
            K::step_frame(s, &regs.params, &mut regs.state, &mut x, &k);
            store_row::<S, N>(s, row, &x, false);
        }
        regs.store(s, self.state, self.base);
    }
}

struct GatherPlanar<'a, P: ?Sized> {
    src: &'a P,
    tile: &'a mut [f32],
    span: &'a Span<'a>,
}

impl<P: Planes + ?Sized> LaneJob for GatherPlanar<'_, P> {
    type Output = ();
    #[inline(always)]
    fn run<S: Lanes>(self, s: S) {
        gather_planar(s, self.src, self.tile, self.span);
    }
}

struct GatherInterleaved<'a> {
    src: &'a [f32],
    tile: &'a mut [f32],
    span: &'a Span<'a>,
}

impl LaneJob for GatherInterleaved<'_> {
    type Output = ();
    #[inline(always)]
    fn run<S: Lanes>(self, _s: S) {
        gather_interleaved(self.src, self.tile, self.span);
    }
}

struct ScatterPlanar<'a, 'o> {
    dst: &'a mut [&'o mut [f32]],
    tile: &'a [f32],
    span: &'a Span<'a>,
}

impl LaneJob for ScatterPlanar<'_, '_> {
    type Output = ();
    #[inline(always)]
    fn run<S: Lanes>(self, s: S) {
        scatter_planar(s, self.dst, self.tile, self.span);
    }
}

struct ScatterInterleaved<'a> {
    dst: &'a mut [f32],
    tile: &'a [f32],
    span: &'a Span<'a>,
}

impl LaneJob for ScatterInterleaved<'_> {
    type Output = ();
    #[inline(always)]
    fn run<S: Lanes>(self, _s: S) {
        scatter_interleaved(self.dst, self.tile, self.span);
    }
}

/// Channel slices, shared or exclusive.
trait Planes {
    fn plane(&self, c: usize) -> &[f32];
}

impl Planes for [&[f32]] {
    #[inline(always)]
    fn plane(&self, c: usize) -> &[f32] {
        self[c]
    }
}

impl Planes for [&mut [f32]] {
    #[inline(always)]
    fn plane(&self, c: usize) -> &[f32] {
        self[c]
    }
}

/// Prefetches the lines of `plane` the next tile of the span will use:
/// dozens of planes accessed in short runs are more streams than the
/// hardware prefetchers follow (docs/design.md, "The driver").
#[inline(always)]
fn prefetch_next<S: Lanes>(s: S, plane: &[f32], span: &Span<'_>) {
    // One tile ahead.
    let start = span.frames.end;
    let end = plane.len().min(start + span.frames.len());
    let mut at = start;
    while at < end {
        s.prefetch(&plane[at..]);
        at += 16;
    }
}

/// The channels of four consecutive slots, if all four hold one.
#[inline(always)]
fn quad(span: &Span<'_>, slot: usize) -> Option<[usize; 4]> {
    let c = |i: usize| span.plan.channel(span.base + slot + i);
    Some([c(0)?, c(1)?, c(2)?, c(3)?])
}

/// Copies the span's slots from channel slices into tile rows of
/// `span.width` lanes; padding lanes become `0.0`.
///
/// Four slots and `LANES` frames at a time move through
/// [`Lanes::transpose4`]: after it, chunk `j` of register `i` holds the four
/// slots at frame `4j + i`, written to its tile row as one 4-float chunk.
/// This needs no cross-chunk shuffles, the costly ones on wide registers.
/// The edges are copied one value at a time.
#[inline(always)]
fn gather_planar<S: Lanes, P: Planes + ?Sized>(s: S, src: &P, tile: &mut [f32], span: &Span<'_>) {
    let (l, width) = (S::LANES, span.width);
    let len = span.frames.len();
    let whole = len - len % l;
    let mut slot = 0;
    while slot < span.n {
        let Some(channels) = quad(span, slot).filter(|_| slot + 4 <= span.n) else {
            let channel = span.plan.channel(span.base + slot);
            for (t, row) in tile.chunks_exact_mut(width).enumerate() {
                row[slot] = channel.map_or(0.0, |c| src.plane(c)[span.frames.start + t]);
            }
            slot += 1;
            continue;
        };
        let planes = channels.map(|c| &src.plane(c)[span.frames.clone()]);
        // The next tile's lines of these planes: dozens of planes read in
        // short runs are more streams than the hardware prefetchers track.
        for c in channels {
            prefetch_next(s, src.plane(c), span);
        }
        for (b, rows) in tile[..whole * width]
            .chunks_exact_mut(l * width)
            .enumerate()
        {
            let mut block = [s.zero(); 4];
            for (v, p) in block.iter_mut().zip(&planes) {
                *v = s.load(&p[b * l..]);
            }
            s.transpose4(&mut block);
            for (i, v) in block.iter().enumerate() {
                s.store_chunks(&mut rows[i * width + slot..], 4 * width, *v);
            }
        }
        for (i, p) in planes.iter().enumerate() {
            for (row, &v) in tile[whole * width..]
                .chunks_exact_mut(width)
                .zip(&p[whole..])
            {
                row[slot + i] = v;
            }
        }
        slot += 4;
    }
    if span.n < width {
        for row in tile.chunks_exact_mut(width) {
            row[span.n..].fill(0.0);
        }
    }
}

/// The inverse of [`gather_planar`] for the slots that hold channels.
#[inline(always)]
fn scatter_planar<S: Lanes>(s: S, dst: &mut [&mut [f32]], tile: &[f32], span: &Span<'_>) {
    let (l, width) = (S::LANES, span.width);
    let len = span.frames.len();
    let whole = len - len % l;
    let mut slot = 0;
    while slot < span.n {
        let planes = quad(span, slot)
            .filter(|_| slot + 4 <= span.n)
            .and_then(|channels| dst.get_disjoint_mut(channels).ok());
        let Some(mut planes) = planes else {
            if let Some(c) = span.plan.channel(span.base + slot) {
                let plane = &mut dst[c][span.frames.clone()];
                for (v, row) in plane.iter_mut().zip(tile.chunks_exact(width)) {
                    *v = row[slot];
                }
            }
            slot += 1;
            continue;
        };
        for p in planes.iter() {
            prefetch_next(s, p, span);
        }
        for (b, rows) in tile[..whole * width].chunks_exact(l * width).enumerate() {
            let mut block = [s.zero(); 4];
            for (i, v) in block.iter_mut().enumerate() {
                *v = s.load_chunks(&rows[i * width + slot..], 4 * width);
            }
            s.transpose4(&mut block);
            for (p, v) in planes.iter_mut().zip(&block) {
                s.store(&mut p[span.frames.start + b * l..], *v);
            }
        }
        for (i, p) in planes.iter_mut().enumerate() {
            let tail = &mut p[span.frames.start + whole..span.frames.end];
            for (row, v) in tile[whole * width..].chunks_exact(width).zip(tail) {
                *v = row[slot + i];
            }
        }
        slot += 4;
    }
}

/// Copies the span's slots from interleaved frames into tile rows; padding
/// lanes become `0.0`.
#[inline(always)]
fn gather_interleaved(src: &[f32], tile: &mut [f32], span: &Span<'_>) {
    let (channels, width) = (span.plan.channels(), span.width);
    let frames = &src[span.frames.start * channels..span.frames.end * channels];
    for (row, frame) in tile
        .chunks_exact_mut(width)
        .zip(frames.chunks_exact(channels))
    {
        for (slot, v) in row.iter_mut().enumerate() {
            *v = span
                .plan
                .channel(span.base + slot)
                .map_or(0.0, |c| frame[c]);
        }
    }
}

/// The inverse of [`gather_interleaved`] for the slots that hold channels.
#[inline(always)]
fn scatter_interleaved(dst: &mut [f32], tile: &[f32], span: &Span<'_>) {
    let (channels, width) = (span.plan.channels(), span.width);
    let frames = &mut dst[span.frames.start * channels..span.frames.end * channels];
    for (row, frame) in tile
        .chunks_exact(width)
        .zip(frames.chunks_exact_mut(channels))
    {
        for (slot, &v) in row.iter().enumerate().take(span.n) {
            if let Some(c) = span.plan.channel(span.base + slot) {
                frame[c] = v;
            }
        }
    }
}
