//! The route of [`BlockKernel`]s: every group of slots, tile by tile,
//! gathered from the call's layout into a frame-major tile and scattered
//! back (see [`crate::block`]).

use crate::arch::scalar::Scalar;
use crate::bank::Bank;
use crate::block::{BlockKernel, GROUP_SLOTS, Group, History, TILE_FRAMES};
use crate::job::LaneJob;
use crate::lanes::Lanes;
use crate::layout::{Buffers, Key};
use crate::plan::Plan;
use core::marker::PhantomData;

/// One call of a [`BlockKernel`] as a job for one ISA.
pub(crate) struct BlockJob<'a, 'b, 'i, 'o, 'k, K> {
    pub plan: &'a Plan,
    pub params: &'a Bank,
    pub state: &'a mut Bank,
    pub history: &'a mut History,
    pub buffers: Buffers<'b, 'i, 'o>,
    pub key: Option<Key<'b, 'k>>,
    pub frames: usize,
    pub kernel: PhantomData<K>,
}

/// Where the group's slots come from: channel per slot, or `None` for
/// padding.
type Channels = [Option<usize>; GROUP_SLOTS];

/// Registers per group for `plan` on `S`: one, or as many as the widest
/// link block needs.
pub(crate) fn registers<S: Lanes>(plan: &Plan) -> usize {
    plan.max_block().div_ceil(S::LANES).max(1)
}

/// The group's slots of planar `planes`, frames `f0..f0 + n`, into the
/// tile (padding slots `0.0`).
#[inline(always)]
fn gather_planes<P: AsRef<[f32]>>(
    planes: &[P],
    slots: &Channels,
    width: usize,
    f0: usize,
    n: usize,
    tile: &mut [f32],
) {
    for (k, ch) in slots[..width].iter().enumerate() {
        let column = tile[k..].iter_mut().step_by(width).take(n);
        match *ch {
            None => column.for_each(|t| *t = 0.0),
            Some(c) => {
                for (t, &x) in column.zip(&planes[c].as_ref()[f0..f0 + n]) {
                    *t = x;
                }
            }
        }
    }
}

/// The inverse of [`gather_planes`] for the used slots.
#[inline(always)]
fn scatter_planes(
    planes: &mut [&mut [f32]],
    slots: &Channels,
    width: usize,
    f0: usize,
    n: usize,
    tile: &[f32],
) {
    for (k, ch) in slots[..width].iter().enumerate() {
        if let Some(c) = *ch {
            let column = tile[k..].iter().step_by(width);
            for (y, &t) in planes[c][f0..f0 + n].iter_mut().zip(column) {
                *y = t;
            }
        }
    }
}

/// The group's slots of interleaved `src`, frames `f0..f0 + n`, into the
/// tile: frame by frame, a contiguous run of channels as one copy.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn gather_frames(
    src: &[f32],
    channels: usize,
    slots: &Channels,
    run: Option<(usize, usize)>,
    width: usize,
    f0: usize,
    n: usize,
    tile: &mut [f32],
) {
    let rows = src[f0 * channels..(f0 + n) * channels].chunks_exact(channels);
    for (row, out) in rows.zip(tile.chunks_exact_mut(width)) {
        match run {
            Some((c0, len)) => {
                out[..len].copy_from_slice(&row[c0..c0 + len]);
                out[len..].fill(0.0);
            }
            None => {
                for (o, ch) in out.iter_mut().zip(slots) {
                    *o = ch.map_or(0.0, |c| row[c]);
                }
            }
        }
    }
}

/// The inverse of [`gather_frames`] for the used slots.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn scatter_frames(
    dst: &mut [f32],
    channels: usize,
    slots: &Channels,
    run: Option<(usize, usize)>,
    width: usize,
    f0: usize,
    n: usize,
    tile: &[f32],
) {
    let rows = dst[f0 * channels..(f0 + n) * channels].chunks_exact_mut(channels);
    for (row, out) in rows.zip(tile.chunks_exact(width)) {
        match run {
            Some((c0, len)) => row[c0..c0 + len].copy_from_slice(&out[..len]),
            None => {
                for (o, ch) in out.iter().zip(&slots[..width]) {
                    if let Some(c) = *ch {
                        row[c] = *o;
                    }
                }
            }
        }
    }
}

/// `Some((c0, len))` when the group's used slots are channels
/// `c0..c0 + len` in order, followed only by padding.
fn contiguous(slots: &Channels, width: usize) -> Option<(usize, usize)> {
    let c0 = slots[0]?;
    let len = slots[..width].iter().take_while(|c| c.is_some()).count();
    let in_order = (0..len).all(|k| slots[k] == Some(c0 + k));
    let rest_pad = slots[len..width].iter().all(Option::is_none);
    (in_order && rest_pad).then_some((c0, len))
}

impl<K: BlockKernel> LaneJob for BlockJob<'_, '_, '_, '_, '_, K> {
    /// The lanes per register the call ran on.
    type Output = usize;

    /// One used slot runs on the portable ISA's registers (compiled with
    /// this ISA's features): a wide register would carry padding lanes for
    /// nothing (docs/tuning.md, "Block kernels on few channels").
    #[inline(always)]
    fn run<S: Lanes>(self, s: S) -> usize {
        if S::LANES > 1 && self.plan.used() <= 1 {
            self.body(Scalar);
            Scalar::LANES
        } else {
            self.body(s);
            S::LANES
        }
    }
}

impl<K: BlockKernel> BlockJob<'_, '_, '_, '_, '_, K> {
    #[inline(always)]
    fn body<S: Lanes>(self, s: S) {
        let BlockJob {
            plan,
            params,
            state,
            history,
            buffers,
            key,
            frames,
            ..
        } = self;
        // An interleaved call with a separate output copies its input there
        // and runs in place, so whole groups of adjacent channels are
        // processed where they are (the tile is the buffer, no gather).
        let mut buffers = match buffers {
            Buffers::Interleaved { input, output } => {
                output.copy_from_slice(input);
                Buffers::InterleavedInPlace { buf: output }
            }
            other => other,
        };
        let channels = plan.channels();
        let registers = registers::<S>(plan);
        let width = registers * S::LANES;
        let mut tile = [0.0f32; TILE_FRAMES * GROUP_SLOTS];
        let mut keys = [0.0f32; TILE_FRAMES * GROUP_SLOTS];
        let start = history.frame();
        let mut at = 0;
        while at < plan.used() {
            let mut slots: Channels = [None; GROUP_SLOTS];
            for (k, slot) in slots[..width].iter_mut().enumerate() {
                *slot = plan.channel(at + k);
            }
            let run = contiguous(&slots, width);
            let mut f0 = 0;
            while f0 < frames {
                let n = (frames - f0).min(TILE_FRAMES);
                let key = key.as_ref().map(|key| {
                    let keys = &mut keys[..n * width];
                    match key {
                        Key::Planar(planes) => gather_planes(planes, &slots, width, f0, n, keys),
                        Key::PlanarMut(planes) => gather_planes(planes, &slots, width, f0, n, keys),
                        Key::Interleaved(buf) => {
                            gather_frames(buf, channels, &slots, run, width, f0, n, keys)
                        }
                    }
                    &*keys
                });
                let group = Group {
                    params,
                    state: &mut *state,
                    history: history.bank_mut(),
                    at,
                    registers,
                    frame: start + f0 as u64,
                    stride: width,
                    key_stride: width,
                };
                // Whole groups of adjacent channels in an interleaved
                // buffer are processed where they are; the rest is gathered
                // into the tile and scattered back. One call site of
                // `K::process` (inlined, so compiled once per ISA here, not
                // once per layout).
                let in_buffer = matches!(buffers, Buffers::InterleavedInPlace { .. })
                    && run.is_some_and(|r| r.1 == width);
                if !in_buffer {
                    let tile = &mut tile[..n * width];
                    match &buffers {
                        Buffers::InterleavedInPlace { buf } => {
                            gather_frames(buf, channels, &slots, run, width, f0, n, tile);
                        }
                        Buffers::Planar { input, .. } => {
                            gather_planes(input, &slots, width, f0, n, tile);
                        }
                        Buffers::PlanarInPlace { bufs } => {
                            gather_planes(bufs, &slots, width, f0, n, tile);
                        }
                        // Became in place above.
                        Buffers::Interleaved { .. } => {}
                    }
                }
                let (data, stride) = match &mut buffers {
                    Buffers::InterleavedInPlace { buf } if in_buffer => {
                        let c0 = run.map_or(0, |r| r.0);
                        let direct =
                            &mut buf[f0 * channels + c0..(f0 + n - 1) * channels + c0 + width];
                        (direct, channels)
                    }
                    _ => (&mut tile[..n * width], width),
                };
                K::process(s, Group { stride, ..group }, data, key, n);
                if !in_buffer {
                    let tile = &tile[..n * width];
                    match &mut buffers {
                        Buffers::InterleavedInPlace { buf } => {
                            scatter_frames(buf, channels, &slots, run, width, f0, n, tile);
                        }
                        Buffers::Planar { output, .. } => {
                            scatter_planes(output, &slots, width, f0, n, tile);
                        }
                        Buffers::PlanarInPlace { bufs } => {
                            scatter_planes(bufs, &slots, width, f0, n, tile);
                        }
                        Buffers::Interleaved { .. } => {}
                    }
                }
                f0 += n;
            }
            at += width;
        }
        history.advance(frames);
    }
}

/// Runs `job` on `s` (the entry point of `s`'s ISA); the lanes per
/// register it ran on.
pub(crate) fn run_block<S: Lanes, K: BlockKernel>(
    s: S,
    job: BlockJob<'_, '_, '_, '_, '_, K>,
) -> usize {
    s.run_job(job)
}
