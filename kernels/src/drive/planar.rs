//! The direct planar path: channel slices in and out, no tile.
//!
//! A group's registers advance by squares of `LANES` frames: for each
//! register, one load per channel slice (`LANES` frames of one channel)
//! and one [`Lanes::transpose`] give `LANES` frame rows; the kernel runs
//! over the rows; a transpose back and one store per channel slice write
//! them out. The slices are looked up once per group, so the inner loop is
//! loads, shuffles, the kernel and stores. The caller (`drive`) aligns the
//! squares to cache lines in long calls, chooses between this path and the
//! tile, and sends the frames outside whole squares through the tile
//! (docs/design.md, "The driver"). Calls larger than the cache *stream*:
//! one register per group, input prefetched, and every slice written in
//! whole aligned lines with non-temporal stores, whatever its offset. On
//! AVX2 most calls run one register per group too ([`narrow`]), with plain
//! stores.

use super::{MAX_REGS, Planes, Regs, middle_passes, out_of_cache, prepare, to_line_boundary};
use crate::bank::Bank;
use crate::job::LaneJob;
use crate::kernel::{LaneKernel, RUN_FRAMES};
use crate::lanes::Lanes;
use crate::layout::{Buffers, Key};
use crate::plan::Plan;
use crate::tuning::IsaRoutes;
use core::marker::PhantomData;
use core::ops::Range;

/// The default output size (floats per call) from which planar calls
/// stream, writing whole aligned registers with non-temporal stores: 32 MiB,
/// a last-level cache of the size of the machine measured (docs/tuning.md,
/// "Planar calls", has the figures). [`crate::Engine::with_stream_threshold`]
/// sets another.
pub const STREAM_FLOATS: usize = 8 << 20;

/// Whether a planar call of `frames` frames of `channels` output slices
/// writes with non-temporal stores: outputs of at least `threshold` floats
/// ([`STREAM_FLOATS`] by default), on ISAs whose register is a whole cache
/// line (half-line non-temporal stores to dozens of slices defeat write
/// combining; measured slower on AVX2).
pub(super) fn streams<S: Lanes>(frames: usize, channels: usize, threshold: usize) -> bool {
    S::LANES * 4 == LINE_BYTES && out_of_cache(frames, channels, threshold)
}

/// Whether a planar call of kernel `K` over `used` slots runs *narrow
/// groups*: one register per group (one link block where a block is wider)
/// instead of up to [`MAX_REGS`]. Every call that [`streams`] does, and on
/// AVX2 every call of a single-pass kernel, and every call of a multi-pass
/// kernel whose wide groups would hold three or four registers (more than
/// 16 slots). Measured on AVX2 (docs/tuning.md, "Planar calls"):
/// the envelope follower from 1.05x (16 x 1,024) to about 2x (64 and 256
/// channels x 441,000) faster; the compressor slower on 16 channels (two
/// registers), faster on 64. The likely cause: channel slices of equal
/// length often sit at one offset within a page (a separate allocation
/// per channel), so their lines share a set of the 8-way L1 cache, and 32
/// slices in and 32 out per group evict each other's lines (4K aliasing
/// between loads and stores is the other candidate; this machine has no
/// counters to tell). The output bits are the same either way.
///
/// `stream` is the call's [`streams`] answer.
pub(super) fn narrow<S: Lanes, K: LaneKernel>(stream: bool, used: usize) -> bool {
    stream || (IsaRoutes::of(S::ISA).narrow_planar && (!K::MULTI_PASS || used > 2 * S::LANES))
}

/// A cache line.
const LINE_BYTES: usize = super::LINE_FLOATS * 4;

/// How far ahead of a square streaming calls prefetch each input and key
/// slice: 128 frames, eight lines (measured: 64 and 256 gave the same).
const PREFETCH_FRAMES: usize = 128;

/// Slots of the widest group (AVX-512's 16 lanes per register).
const MAX_SLOTS: usize = MAX_REGS * 16;

/// Planar channel slices: read from `input`, or from `output` itself when
/// processing in place, and written to `output`.
pub(super) struct PlanarIo<'a, 'i, 'o> {
    pub(super) input: Option<&'a [&'i [f32]]>,
    pub(super) output: &'a mut [&'o mut [f32]],
}

impl<'i, 'o> PlanarIo<'_, 'i, 'o> {
    /// The same slices as tile-path buffers.
    pub(super) fn buffers(&mut self) -> Buffers<'_, 'i, 'o> {
        match self.input {
            Some(input) => Buffers::Planar {
                input,
                output: &mut *self.output,
            },
            None => Buffers::PlanarInPlace {
                bufs: &mut *self.output,
            },
        }
    }
}

/// Runs kernel `K` over `frames` (a multiple of `S::LANES` long) of
/// planar buffers, group by group, with an optional planar key; `stream`
/// (from [`streams`]) writes every slice in whole aligned lines with
/// non-temporal stores; `narrow` (from [`narrow`]) makes every group one
/// register, or one link block where a block is wider.
#[allow(clippy::too_many_arguments)]
pub(super) fn planar<S: Lanes, K: LaneKernel>(
    s: S,
    plan: &Plan,
    params: &Bank,
    state: &mut Bank,
    io: &mut PlanarIo<'_, '_, '_>,
    key: Option<Key<'_, '_>>,
    frames: Range<usize>,
    stream: bool,
    narrow: bool,
) {
    debug_assert!(frames.len().is_multiple_of(S::LANES));
    if frames.is_empty() {
        return;
    }
    // Narrow groups: one register per group keeps the slices read and
    // written at once few enough for the hardware to stream out of cache
    // (32 at a time instead of 128 on AVX-512) and for the L1 cache's sets
    // ([`narrow`]). A group holds whole link blocks (at most 16 slots).
    let width = if narrow {
        S::LANES.max(plan.max_block())
    } else {
        MAX_REGS * S::LANES
    };
    // Whole link blocks: a butterfly reads every register of its block.
    let used = plan.used().next_multiple_of(plan.max_block());
    let mut base = 0;
    while base < used {
        let n = (used - base).min(width);
        let regs = n.div_ceil(S::LANES);
        // Each slot's frames of its channel (empty for padding slots).
        let mut group = Group {
            params,
            state: &mut *state,
            base,
            input: [&[]; MAX_SLOTS],
            output: core::array::from_fn(|_| <&mut [f32]>::default()),
            key: [&[]; MAX_SLOTS],
            has_input: io.input.is_some(),
            has_key: key.is_some(),
            padded: false,
            shift: [0; MAX_SLOTS],
            stream: stream && S::LANES * 4 == LINE_BYTES,
            len: frames.len(),
        };
        let mut any = false;
        for (c, plane) in io.output.iter_mut().enumerate() {
            let slot = plan.slot(c);
            if (base..base + n).contains(&slot) {
                let i = slot - base;
                group.output[i] = &mut plane[frames.clone()];
                // Frames from the slice's start to its first line boundary.
                group.shift[i] = to_line_boundary(group.output[i]);
                if let Some(input) = io.input {
                    group.input[i] = &input[c][frames.clone()];
                }
                if let Some(plane) = key.and_then(|k| k.plane(c)) {
                    group.key[i] = &plane[frames.clone()];
                }
                any = true;
            }
        }
        group.padded = group.output[..regs * S::LANES].iter().any(|p| p.is_empty());
        // A group without channels has nothing to compute or write.
        if any {
            by_regs!(regs, run_group::<S, K>(s, group));
        }
        base += n;
    }
}

/// One group over its frames: each slot's frames of its channel, empty for
/// padding slots (which read as `0.0` and are not written).
struct Group<'a, 'p> {
    params: &'a Bank,
    state: &'a mut Bank,
    /// First slot of the group.
    base: usize,
    input: [&'p [f32]; MAX_SLOTS],
    output: [&'p mut [f32]; MAX_SLOTS],
    key: [&'p [f32]; MAX_SLOTS],
    /// Whether `input` holds the input (else it is `output`, in place).
    has_input: bool,
    has_key: bool,
    /// Whether any slot of the group is padding.
    padded: bool,
    /// Per slot: frames from the start of its output slice to the slice's
    /// first cache-line boundary (`0..16`, a whole register on AVX-512).
    shift: [usize; MAX_SLOTS],
    /// Whether to write whole aligned lines with non-temporal stores
    /// ([`streams`]; only when a register is a cache line).
    stream: bool,
    /// Frames of each slice.
    len: usize,
}

struct GroupJob<'a, 'p, K, const N: usize>(Group<'a, 'p>, PhantomData<K>);

/// Runs one group with `N` registers as one job.
#[inline(always)]
fn run_group<S: Lanes, K: LaneKernel, const N: usize>(s: S, group: Group<'_, '_>) {
    s.run_job(GroupJob::<K, N>(group, PhantomData));
}

impl<K: LaneKernel, const N: usize> LaneJob for GroupJob<'_, '_, K, N> {
    type Output = ();

    #[inline(always)]
    fn run<S: Lanes>(self, s: S) {
        // Streaming groups are one register of a whole cache line; the
        // constant test keeps the streaming body from being compiled for
        // any other ISA or register count (half this function's copies).
        if const { N == 1 && S::LANES * 4 == LINE_BYTES } && self.0.stream {
            run_squares::<S, K, N, true>(s, self.0);
        } else {
            run_squares::<S, K, N, false>(s, self.0);
        }
    }
}

/// The group's squares in order. With `STREAM`, register `r`'s square is
/// kept until the next one is computed: each slice is then written as the
/// whole aligned line that straddles the two ([`Lanes::splice`]), one
/// square behind, with a non-temporal store; the first and the last square
/// are also written with plain stores, which cover the slice's frames
/// before its first line boundary and after its last one. The lines
/// overlap those stores only with the same values, and in place no frame
/// is written before it has been read.
#[inline(always)]
fn run_squares<S: Lanes, K: LaneKernel, const N: usize, const STREAM: bool>(
    s: S,
    group: Group<'_, '_>,
) {
    let Group {
        params,
        state,
        base,
        input,
        mut output,
        key,
        has_input,
        has_key,
        padded,
        shift,
        stream: _,
        len,
    } = group;
    let l = S::LANES;
    let mut regs = Regs::<S, K, N>::load(s, params, state, base);
    // Register r's square: element t holds frame o + t. With `STREAM`, the
    // current and the previous square take turns in `squares`.
    let mut squares = [[s.zero_square(); N]; 2];
    let mut k = [s.zero_square(); N];
    // The carried values of a multi-pass kernel, frame by frame: a square's
    // frames are one run.
    const { assert!(S::LANES <= RUN_FRAMES) };
    let mut mid = [[s.zero(); N]; RUN_FRAMES];
    let mut o = 0;
    let mut odd = false;
    while o < len {
        if STREAM {
            // Out of cache, the squares' loads would each wait for memory:
            // ask for the lines `PREFETCH_FRAMES` ahead of them.
            let ahead = o + PREFETCH_FRAMES;
            if has_input {
                prefetch::<S, _>(s, &input[..N * l], N * l, ahead);
            } else {
                prefetch::<S, _>(s, &output[..N * l], N * l, ahead);
            }
            if has_key {
                prefetch::<S, _>(s, &key[..N * l], N * l, ahead);
            }
        }
        let [even_squares, odd_squares] = &mut squares;
        let (x, prev) = if STREAM && odd {
            (odd_squares, &*even_squares)
        } else {
            (even_squares, &*odd_squares)
        };
        for (r, x) in x.iter_mut().enumerate() {
            *x = match (has_input, padded) {
                (true, false) => gather::<S, _, false>(s, &input[r * l..], o),
                (true, true) => gather::<S, _, true>(s, &input[r * l..], o),
                (false, false) => gather::<S, _, false>(s, &output[r * l..], o),
                (false, true) => gather::<S, _, true>(s, &output[r * l..], o),
            };
        }
        if has_key {
            for (r, k) in k.iter_mut().enumerate() {
                *k = if padded {
                    gather::<S, _, true>(s, &key[r * l..], o)
                } else {
                    gather::<S, _, false>(s, &key[r * l..], o)
                };
            }
        }
        if K::MULTI_PASS {
            for (t, mid) in mid[..l].iter_mut().enumerate() {
                let xt = prepare::<S, K, N>(s, column::<S, N>(x, t));
                set_column::<S, N>(x, t, xt);
                let kt = if has_key {
                    prepare::<S, K, N>(s, column::<S, N>(&k, t))
                } else {
                    xt
                };
                *mid = K::first(s, &regs.params, &mut regs.state, &kt);
            }
            middle_passes::<S, K, N>(s, &mut regs, &mut mid[..l]);
            for (t, mid) in mid[..l].iter().enumerate() {
                let mut xt = column::<S, N>(x, t);
                K::second(s, &regs.params, &mut regs.state, &mut xt, mid);
                set_column::<S, N>(x, t, xt);
            }
        } else if has_key {
            for t in 0..l {
                let mut xt = column::<S, N>(x, t);
                K::step_frame(
                    s,
                    &regs.params,
                    &mut regs.state,
                    &mut xt,
                    &column::<S, N>(&k, t),
                );
                set_column::<S, N>(x, t, xt);
            }
        } else {
            for t in 0..l {
                let mut xt = column::<S, N>(x, t);
                let kt = xt;
                K::step_frame(s, &regs.params, &mut regs.state, &mut xt, &kt);
                set_column::<S, N>(x, t, xt);
            }
        }
        for (r, (x, prev)) in x.iter_mut().zip(prev).enumerate() {
            let planes = &mut output[r * l..];
            if STREAM {
                let shift = &shift[r * l..];
                match (padded, o == 0) {
                    (false, false) => scatter_lines::<S, false>(s, planes, shift, o, x, prev),
                    (true, false) => scatter_lines::<S, true>(s, planes, shift, o, x, prev),
                    // The first square: transposed back and stored plainly.
                    (false, true) => scatter::<S, false>(s, planes, o, x),
                    (true, true) => scatter::<S, true>(s, planes, o, x),
                }
            } else if padded {
                scatter::<S, true>(s, planes, o, x);
            } else {
                scatter::<S, false>(s, planes, o, x);
            }
        }
        o += l;
        odd = !odd;
    }
    if STREAM && len > 0 {
        // The last square (already transposed back), stored plainly.
        let last = &squares[usize::from(!odd)];
        for (r, square) in last.iter().enumerate() {
            store_square::<S, true>(s, &mut output[r * l..], len - l, square);
        }
        s.stream_fence();
    }
    regs.store(s, state, base);
}

/// Prefetches frame `ahead` of each of the first `count` slices that has it.
#[inline(always)]
fn prefetch<S: Lanes, P: Planes + ?Sized>(s: S, planes: &P, count: usize, ahead: usize) {
    for i in 0..count {
        if let Some(lines) = planes.plane(i).get(ahead..) {
            s.prefetch(lines);
        }
    }
}

/// Frame `t` of every register's square.
#[inline(always)]
fn column<S: Lanes, const N: usize>(squares: &[S::Square; N], t: usize) -> [S::V; N] {
    let mut v = [squares[0].as_ref()[t]; N];
    for (v, square) in v.iter_mut().zip(squares) {
        *v = square.as_ref()[t];
    }
    v
}

/// Writes frame `t` of every register's square.
#[inline(always)]
fn set_column<S: Lanes, const N: usize>(squares: &mut [S::Square; N], t: usize, v: [S::V; N]) {
    for (square, v) in squares.iter_mut().zip(v) {
        square.as_mut()[t] = v;
    }
}

/// Frames `o..o + LANES` of `planes[..LANES]`, transposed: element `t` of
/// the square holds frame `o + t`. When `PADDED`, empty slices (padding
/// slots) read as `0.0`.
#[inline(always)]
fn gather<S: Lanes, P: Planes + ?Sized, const PADDED: bool>(
    s: S,
    planes: &P,
    o: usize,
) -> S::Square {
    let mut square = s.zero_square();
    for (i, v) in square.as_mut().iter_mut().enumerate() {
        let plane = planes.plane(i);
        if !PADDED || !plane.is_empty() {
            *v = s.load(&plane[o..]);
        }
    }
    s.transpose(&mut square);
    square
}

/// The inverse of [`gather`]; padding slots are not written (`square` is
/// left transposed back).
#[inline(always)]
fn scatter<S: Lanes, const PADDED: bool>(
    s: S,
    planes: &mut [&mut [f32]],
    o: usize,
    square: &mut S::Square,
) {
    s.transpose(square);
    store_square::<S, PADDED>(s, planes, o, square);
}

/// Stores a square already transposed back: register `i` to frames
/// `o..o + LANES` of `planes[i]`; when `PADDED`, empty slices (padding
/// slots) are skipped.
#[inline(always)]
fn store_square<S: Lanes, const PADDED: bool>(
    s: S,
    planes: &mut [&mut [f32]],
    o: usize,
    square: &S::Square,
) {
    let planes = &mut planes[..S::LANES];
    for (plane, &v) in planes.iter_mut().zip(square.as_ref()) {
        if !PADDED || !plane.is_empty() {
            s.store(&mut plane[o..], v);
        }
    }
}

/// [`scatter`] for streaming (`o > 0`, one register per cache line): each
/// slice gets the aligned line that starts `shift` frames into the
/// previous square, `prev` (already transposed back), and ends `shift`
/// frames into this one, with a non-temporal store.
#[inline(always)]
fn scatter_lines<S: Lanes, const PADDED: bool>(
    s: S,
    planes: &mut [&mut [f32]],
    shift: &[usize],
    o: usize,
    square: &mut S::Square,
    prev: &S::Square,
) {
    s.transpose(square);
    let l = S::LANES;
    let planes = &mut planes[..l];
    let lines = square.as_ref().iter().zip(prev.as_ref()).zip(&shift[..l]);
    for (plane, ((&v, &p), &shift)) in planes.iter_mut().zip(lines) {
        if !PADDED || !plane.is_empty() {
            s.store_stream(&mut plane[o - l + shift..], s.splice(p, v, shift));
        }
    }
}
