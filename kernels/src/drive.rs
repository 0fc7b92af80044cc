//! The driver: runs any [`LaneKernel`] over any buffer layout, written once
//! over [`Lanes`] and compiled per ISA.
//!
//! Channels are processed in *groups* of up to [`MAX_REGS`] registers; a
//! group's registers advance together, one frame at a time, so their
//! independent recurrences overlap in the pipeline and hide each other's
//! latency. Only the last register of the last group may be partial.
//!
//! * Interleaved buffers are read and written in place: a frame's channels
//!   are contiguous, so a register is one (possibly partial) load.
//! * Planar buffers are gathered into an interleaved stack tile of
//!   [`TILE_FLOATS`] values, processed there, and scattered back, except on
//!   one-lane ISAs, which read the channel slices directly.
//!
//! Large channel counts are processed block by block (a block of frames for
//! every group, then the next block), so each block stays in cache.

use crate::bank::Bank;
use crate::job::LaneJob;
use crate::kernel::LaneKernel;
use crate::lanes::Lanes;
use crate::layout::{Interleaved, InterleavedInPlace, Layout, Planar, PlanarInPlace};
use core::marker::PhantomData;

/// Registers per group: enough independent recurrences to cover the latency
/// of one step on every ISA (see docs/design.md).
pub const MAX_REGS: usize = 4;
/// Floats in the planar gather tile (16 KiB, half of a typical L1D).
pub const TILE_FLOATS: usize = 4096;
/// Frames per block when an interleaved buffer has several groups.
pub const BLOCK_FRAMES: usize = 256;

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

/// A kernel run over one layout, as a job for an ISA entry point.
pub struct Drive<'a, K, L> {
    params: &'a Bank,
    state: &'a mut Bank,
    layout: L,
    kernel: PhantomData<K>,
}

impl<'a, K: LaneKernel, L> Drive<'a, K, L> {
    /// A job running kernel `K` with these banks over `layout`; the caller
    /// has validated the layout against the banks' channel count.
    pub(crate) fn new(params: &'a Bank, state: &'a mut Bank, layout: L) -> Self {
        Drive {
            params,
            state,
            layout,
            kernel: PhantomData,
        }
    }
}

/// Source and destination of interleaved frames (separate or the same).
trait FrameIo {
    fn src(&self) -> &[f32];
    fn dst(&mut self) -> &mut [f32];
}

impl FrameIo for Interleaved<'_> {
    #[inline(always)]
    fn src(&self) -> &[f32] {
        self.input
    }
    #[inline(always)]
    fn dst(&mut self) -> &mut [f32] {
        self.output
    }
}

impl FrameIo for InterleavedInPlace<'_> {
    #[inline(always)]
    fn src(&self) -> &[f32] {
        self.buf
    }
    #[inline(always)]
    fn dst(&mut self) -> &mut [f32] {
        self.buf
    }
}

/// Source and destination channel slices (separate or the same).
trait PlaneIo {
    fn channels(&self) -> usize;
    fn src(&self, c: usize) -> &[f32];
    fn dst(&mut self, c: usize) -> &mut [f32];
    /// Channels `c0..c0 + n` of the destination, all borrowed at once.
    fn dst_range(&mut self, c0: usize, n: usize) -> impl Iterator<Item = &mut [f32]>;
}

impl PlaneIo for Planar<'_, '_, '_> {
    #[inline(always)]
    fn channels(&self) -> usize {
        self.input.len()
    }
    #[inline(always)]
    fn src(&self, c: usize) -> &[f32] {
        self.input[c]
    }
    #[inline(always)]
    fn dst(&mut self, c: usize) -> &mut [f32] {
        self.output[c]
    }
    #[inline(always)]
    fn dst_range(&mut self, c0: usize, n: usize) -> impl Iterator<Item = &mut [f32]> {
        self.output[c0..c0 + n].iter_mut().map(|p| &mut **p)
    }
}

impl PlaneIo for PlanarInPlace<'_, '_> {
    #[inline(always)]
    fn channels(&self) -> usize {
        self.bufs.len()
    }
    #[inline(always)]
    fn src(&self, c: usize) -> &[f32] {
        self.bufs[c]
    }
    #[inline(always)]
    fn dst(&mut self, c: usize) -> &mut [f32] {
        self.bufs[c]
    }
    #[inline(always)]
    fn dst_range(&mut self, c0: usize, n: usize) -> impl Iterator<Item = &mut [f32]> {
        self.bufs[c0..c0 + n].iter_mut().map(|p| &mut **p)
    }
}

macro_rules! interleaved_job {
    ($ty:ty) => {
        impl<K: LaneKernel> LaneJob for Drive<'_, K, $ty> {
            type Output = ();
            #[inline(always)]
            fn run<S: Lanes>(mut self, s: S) {
                let channels = self.params.channels();
                if let Ok(frames) = self.layout.frames(channels) {
                    interleaved::<S, K, $ty>(s, self.params, self.state, &mut self.layout, frames);
                }
            }
        }
    };
}
interleaved_job!(Interleaved<'_>);
interleaved_job!(InterleavedInPlace<'_>);

macro_rules! planar_job {
    ($ty:ty) => {
        impl<K: LaneKernel> LaneJob for Drive<'_, K, $ty> {
            type Output = ();
            #[inline(always)]
            fn run<S: Lanes>(mut self, s: S) {
                let channels = self.params.channels();
                if let Ok(frames) = self.layout.frames(channels) {
                    planar::<S, K, $ty>(s, self.params, self.state, &mut self.layout, frames);
                }
            }
        }
    };
}
planar_job!(Planar<'_, '_, '_>);
planar_job!(PlanarInPlace<'_, '_>);

/// One group's registers: parameters and state, loaded from the banks.
struct Regs<S: Lanes, K: LaneKernel, const N: usize> {
    params: [K::Params<S>; N],
    state: [K::State<S>; N],
}

impl<S: Lanes, K: LaneKernel, const N: usize> Regs<S, K, N> {
    #[inline(always)]
    fn load(s: S, params: &Bank, state: &Bank, c0: usize) -> Self {
        let mut regs = Regs {
            params: [K::load_params(s, params, c0); N],
            state: [K::load_state(s, state, c0); N],
        };
        for r in 1..N {
            regs.params[r] = K::load_params(s, params, c0 + r * S::LANES);
            regs.state[r] = K::load_state(s, state, c0 + r * S::LANES);
        }
        regs
    }

    #[inline(always)]
    fn store(&self, s: S, state: &mut Bank, c0: usize) {
        for r in 0..N {
            K::store_state(s, state, c0 + r * S::LANES, self.state[r]);
        }
    }

    /// Advances every register by one frame, in place.
    #[inline(always)]
    fn step(&mut self, s: S, x: &mut [S::V; N]) {
        for ((x, p), state) in x.iter_mut().zip(&self.params).zip(&mut self.state) {
            *x = K::step(s, p, state, *x);
        }
    }
}

/// Loads a row of `n` contiguous lanes; only the last register may be
/// partial, and only when `PARTIAL`.
#[inline(always)]
fn load_row<S: Lanes, const N: usize, const PARTIAL: bool>(s: S, row: &[f32]) -> [S::V; N] {
    let mut x = [s.zero(); N];
    for (r, x) in x.iter_mut().enumerate() {
        let lanes = &row[r * S::LANES..];
        *x = if PARTIAL && r + 1 == N {
            s.load_partial(lanes)
        } else {
            s.load(lanes)
        };
    }
    x
}

/// Stores a row written by [`load_row`]'s rule.
#[inline(always)]
fn store_row<S: Lanes, const N: usize, const PARTIAL: bool>(s: S, row: &mut [f32], x: &[S::V; N]) {
    for (r, &x) in x.iter().enumerate() {
        let lanes = &mut row[r * S::LANES..];
        if PARTIAL && r + 1 == N {
            s.store_partial(lanes, x);
        } else {
            s.store(lanes, x);
        }
    }
}

#[inline(always)]
fn interleaved<S: Lanes, K: LaneKernel, IO: FrameIo>(
    s: S,
    params: &Bank,
    state: &mut Bank,
    io: &mut IO,
    frames: usize,
) {
    let channels = params.channels();
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
            if n.is_multiple_of(S::LANES) {
                by_regs!(
                    regs,
                    interleaved_group::<S, K, IO>(s, params, state, io, f0..f1, c0, n, false)
                );
            } else {
                by_regs!(
                    regs,
                    interleaved_group::<S, K, IO>(s, params, state, io, f0..f1, c0, n, true)
                );
            }
            c0 += n;
        }
        f0 = f1;
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn interleaved_group<S: Lanes, K: LaneKernel, IO: FrameIo, const N: usize>(
    s: S,
    params: &Bank,
    state: &mut Bank,
    io: &mut IO,
    frames: core::ops::Range<usize>,
    c0: usize,
    n: usize,
    partial: bool,
) {
    let channels = params.channels();
    let mut regs = Regs::<S, K, N>::load(s, params, state, c0);
    if partial {
        interleaved_rows::<S, K, IO, N, true>(s, &mut regs, io, frames, channels, c0, n);
    } else {
        interleaved_rows::<S, K, IO, N, false>(s, &mut regs, io, frames, channels, c0, n);
    }
    regs.store(s, state, c0);
}

#[inline(always)]
fn interleaved_rows<S: Lanes, K: LaneKernel, IO: FrameIo, const N: usize, const PARTIAL: bool>(
    s: S,
    regs: &mut Regs<S, K, N>,
    io: &mut IO,
    frames: core::ops::Range<usize>,
    channels: usize,
    c0: usize,
    n: usize,
) {
    for f in frames {
        let at = f * channels + c0;
        let mut x = load_row::<S, N, PARTIAL>(s, &io.src()[at..at + n]);
        regs.step(s, &mut x);
        store_row::<S, N, PARTIAL>(s, &mut io.dst()[at..at + n], &x);
    }
}

#[inline(always)]
fn planar<S: Lanes, K: LaneKernel, IO: PlaneIo>(
    s: S,
    params: &Bank,
    state: &mut Bank,
    io: &mut IO,
    frames: usize,
) {
    let channels = io.channels();
    let width = MAX_REGS * S::LANES;
    let mut tile = [0.0f32; TILE_FLOATS];
    let mut c0 = 0;
    while c0 < channels {
        let n = (channels - c0).min(width);
        let regs = n.div_ceil(S::LANES);
        by_regs!(
            regs,
            planar_group::<S, K, IO>(s, params, state, io, &mut tile, frames, c0, n)
        );
        c0 += n;
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn planar_group<S: Lanes, K: LaneKernel, IO: PlaneIo, const N: usize>(
    s: S,
    params: &Bank,
    state: &mut Bank,
    io: &mut IO,
    tile: &mut [f32; TILE_FLOATS],
    frames: usize,
    c0: usize,
    n: usize,
) {
    let mut regs = Regs::<S, K, N>::load(s, params, state, c0);
    if S::LANES == 1 {
        // One channel per register: read the slices directly.
        for f in 0..frames {
            let mut x = [s.zero(); N];
            for (r, x) in x.iter_mut().enumerate() {
                *x = s.splat(io.src(c0 + r)[f]);
            }
            regs.step(s, &mut x);
            for (r, x) in x.iter().enumerate() {
                s.store(&mut io.dst(c0 + r)[f..], *x);
            }
        }
    } else {
        let width = N * S::LANES;
        let block = TILE_FLOATS / width;
        let mut f0 = 0;
        while f0 < frames {
            let f1 = frames.min(f0 + block);
            let tile = &mut tile[..(f1 - f0) * width];
            gather(s, io, tile, width, f0..f1, c0, n);
            for row in tile.chunks_exact_mut(width) {
                let mut x = load_row::<S, N, false>(s, row);
                regs.step(s, &mut x);
                store_row::<S, N, false>(s, row, &x);
            }
            scatter(s, io, tile, width, f0..f1, c0, n);
            f0 = f1;
        }
    }
    regs.store(s, state, c0);
}

/// Copies channels `c0..c0 + n` of `frames` into tile rows of `width`
/// lanes, zeroing the lanes past `n`.
///
/// Four channels and `LANES` frames at a time move through
/// [`Lanes::transpose4`]: after it, chunk `j` of register `i` holds the four
/// channels at frame `4j + i`, written to its tile row as one 4-float chunk.
/// This needs no cross-chunk shuffles, which are the costly ones on wide
/// registers. The edges are copied one value at a time.
#[inline(always)]
fn gather<S: Lanes, IO: PlaneIo>(
    s: S,
    io: &IO,
    tile: &mut [f32],
    width: usize,
    frames: core::ops::Range<usize>,
    c0: usize,
    n: usize,
) {
    let l = S::LANES;
    let len = frames.len();
    let whole = if l >= 4 { len - len % l } else { 0 };
    let quads = if l >= 4 { n / 4 } else { 0 };
    for q in 0..quads {
        let planes: [&[f32]; 4] = core::array::from_fn(|i| &io.src(c0 + 4 * q + i)[frames.clone()]);
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
                s.store_chunks(&mut rows[i * width + 4 * q..], 4 * width, *v);
            }
        }
        for (i, p) in planes.iter().enumerate() {
            for (row, &v) in tile[whole * width..]
                .chunks_exact_mut(width)
                .zip(&p[whole..])
            {
                row[4 * q + i] = v;
            }
        }
    }
    for lane in 4 * quads..n {
        let p = &io.src(c0 + lane)[frames.clone()];
        for (row, &v) in tile.chunks_exact_mut(width).zip(p) {
            row[lane] = v;
        }
    }
    if n < width {
        for row in tile.chunks_exact_mut(width) {
            row[n..].fill(0.0);
        }
    }
}

/// Copies lanes `0..n` of the tile rows back to channels `c0..c0 + n`, the
/// inverse of [`gather`].
#[inline(always)]
fn scatter<S: Lanes, IO: PlaneIo>(
    s: S,
    io: &mut IO,
    tile: &[f32],
    width: usize,
    frames: core::ops::Range<usize>,
    c0: usize,
    n: usize,
) {
    let l = S::LANES;
    let len = frames.len();
    let whole = if l >= 4 { len - len % l } else { 0 };
    let quads = if l >= 4 { n / 4 } else { 0 };
    let mut dst = io.dst_range(c0, n);
    for q in 0..quads {
        let mut planes: [&mut [f32]; 4] = Default::default();
        for (p, d) in planes.iter_mut().zip(&mut dst) {
            *p = &mut d[frames.clone()];
        }
        for (b, rows) in tile[..whole * width].chunks_exact(l * width).enumerate() {
            let mut block = [s.zero(); 4];
            for (i, v) in block.iter_mut().enumerate() {
                *v = s.load_chunks(&rows[i * width + 4 * q..], 4 * width);
            }
            s.transpose4(&mut block);
            for (p, v) in planes.iter_mut().zip(&block) {
                s.store(&mut p[b * l..], *v);
            }
        }
        for (i, p) in planes.iter_mut().enumerate() {
            for (row, v) in tile[whole * width..]
                .chunks_exact(width)
                .zip(&mut p[whole..])
            {
                *v = row[4 * q + i];
            }
        }
    }
    for (lane, d) in (4 * quads..n).zip(dst) {
        for (row, v) in tile.chunks_exact(width).zip(&mut d[frames.clone()]) {
            *v = row[lane];
        }
    }
}
