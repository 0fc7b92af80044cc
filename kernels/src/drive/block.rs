//! The route of [`BlockKernel`]s: every group of slots, tile by tile,
//! gathered from the call's layout into a frame-major tile and scattered
//! back (see [`crate::block`]).

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

#[inline(always)]
fn gather_input(
    buffers: &Buffers<'_, '_, '_>,
    channels: usize,
    slots: &Channels,
    width: usize,
    f0: usize,
    n: usize,
    tile: &mut [f32],
) {
    for (k, ch) in slots[..width].iter().enumerate() {
        match *ch {
            None => {
                for f in 0..n {
                    tile[f * width + k] = 0.0;
                }
            }
            Some(c) => {
                let src: &[f32] = match buffers {
                    Buffers::Planar { input, .. } => &input[c][f0..f0 + n],
                    Buffers::PlanarInPlace { bufs } => &bufs[c][f0..f0 + n],
                    Buffers::Interleaved { input, .. } => {
                        gather_strided(input, channels, c, f0, n, width, k, tile);
                        continue;
                    }
                    Buffers::InterleavedInPlace { buf } => {
                        gather_strided(buf, channels, c, f0, n, width, k, tile);
                        continue;
                    }
                };
                for (f, &x) in src.iter().enumerate() {
                    tile[f * width + k] = x;
                }
            }
        }
    }
}

#[inline(always)]
fn gather_key(
    key: &Key<'_, '_>,
    channels: usize,
    slots: &Channels,
    width: usize,
    f0: usize,
    n: usize,
    tile: &mut [f32],
) {
    for (k, ch) in slots[..width].iter().enumerate() {
        match (*ch, key) {
            (None, _) => {
                for f in 0..n {
                    tile[f * width + k] = 0.0;
                }
            }
            (Some(c), Key::Planar(planes)) => {
                for (f, &x) in planes[c][f0..f0 + n].iter().enumerate() {
                    tile[f * width + k] = x;
                }
            }
            (Some(c), Key::Interleaved(buf)) => {
                gather_strided(buf, channels, c, f0, n, width, k, tile)
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn gather_strided(
    src: &[f32],
    channels: usize,
    c: usize,
    f0: usize,
    n: usize,
    width: usize,
    k: usize,
    tile: &mut [f32],
) {
    let rows = src[f0 * channels + c..].iter().step_by(channels).take(n);
    for (f, &x) in rows.enumerate() {
        tile[f * width + k] = x;
    }
}

#[inline(always)]
fn scatter(
    buffers: &mut Buffers<'_, '_, '_>,
    channels: usize,
    slots: &Channels,
    width: usize,
    f0: usize,
    n: usize,
    tile: &[f32],
) {
    for (k, ch) in slots[..width].iter().enumerate() {
        let Some(c) = *ch else { continue };
        let dst: &mut [f32] = match buffers {
            Buffers::Planar { output, .. } => &mut output[c][f0..f0 + n],
            Buffers::PlanarInPlace { bufs } => &mut bufs[c][f0..f0 + n],
            Buffers::Interleaved { output, .. } => {
                let rows = output[f0 * channels + c..].iter_mut().step_by(channels);
                for (f, y) in rows.take(n).enumerate() {
                    *y = tile[f * width + k];
                }
                continue;
            }
            Buffers::InterleavedInPlace { buf } => {
                let rows = buf[f0 * channels + c..].iter_mut().step_by(channels);
                for (f, y) in rows.take(n).enumerate() {
                    *y = tile[f * width + k];
                }
                continue;
            }
        };
        for (f, y) in dst.iter_mut().enumerate() {
            *y = tile[f * width + k];
        }
    }
}

impl<K: BlockKernel> LaneJob for BlockJob<'_, '_, '_, '_, '_, K> {
    type Output = ();

    #[inline(always)]
    fn run<S: Lanes>(self, s: S) {
        let BlockJob {
            plan,
            params,
            state,
            history,
            mut buffers,
            key,
            frames,
            ..
        } = self;
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
            let mut f0 = 0;
            while f0 < frames {
                let n = (frames - f0).min(TILE_FRAMES);
                let tile = &mut tile[..n * width];
                gather_input(&buffers, channels, &slots, width, f0, n, tile);
                let key = key.as_ref().map(|key| {
                    let keys = &mut keys[..n * width];
                    gather_key(key, channels, &slots, width, f0, n, keys);
                    &*keys
                });
                let group = Group {
                    params,
                    state: &mut *state,
                    history: history.bank_mut(),
                    at,
                    registers,
                    frame: start + f0 as u64,
                };
                K::process(s, group, tile, key, n);
                scatter(&mut buffers, channels, &slots, width, f0, n, tile);
                f0 += n;
            }
            at += width;
        }
        history.advance(frames);
    }
}

/// Runs `job` on `s` (the entry point of `s`'s ISA).
pub(crate) fn run_block<S: Lanes, K: BlockKernel>(s: S, job: BlockJob<'_, '_, '_, '_, '_, K>) {
    s.run_job(job);
}
