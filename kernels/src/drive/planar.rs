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
//! (docs/design.md, "The driver").

use super::{MAX_REGS, Planes, Regs, prepare};
use crate::bank::Bank;
use crate::job::LaneJob;
use crate::kernel::LaneKernel;
use crate::lanes::Lanes;
use crate::layout::Buffers;
use crate::plan::Plan;
use core::marker::PhantomData;
use core::ops::Range;

/// Output size (floats per call) from which whole aligned registers are
/// written with non-temporal stores: 32 MiB, a last-level cache of this
/// machine's size (docs/design.md, "The driver", has the measurements).
const STREAM_FLOATS: usize = 8 << 20;

/// A cache line.
const LINE_BYTES: usize = 64;

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
/// planar buffers, group by group, with an optional planar key.
pub(super) fn planar<S: Lanes, K: LaneKernel>(
    s: S,
    plan: &Plan,
    params: &Bank,
    state: &mut Bank,
    io: &mut PlanarIo<'_, '_, '_>,
    key: Option<&[&[f32]]>,
    frames: Range<usize>,
) {
    debug_assert!(frames.len().is_multiple_of(S::LANES));
    if frames.is_empty() {
        return;
    }
    let width = MAX_REGS * S::LANES;
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
            // Only whole-line registers: half-line non-temporal stores to
            // dozens of slices defeat write combining (measured slower).
            stream: S::LANES * 4 >= LINE_BYTES && frames.len() * io.output.len() >= STREAM_FLOATS,
            len: frames.len(),
        };
        let mut any = false;
        for (c, plane) in io.output.iter_mut().enumerate() {
            let slot = plan.slot(c);
            if (base..base + n).contains(&slot) {
                let i = slot - base;
                group.output[i] = &mut plane[frames.clone()];
                if let Some(input) = io.input {
                    group.input[i] = &input[c][frames.clone()];
                }
                if let Some(key) = key {
                    group.key[i] = &key[c][frames.clone()];
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
    /// Whether to write with non-temporal stores ([`STREAM_FLOATS`]).
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
            stream,
            len,
        } = self.0;
        let l = S::LANES;
        let mut regs = Regs::<S, K, N>::load(s, params, state, base);
        // Register r's square: element t holds frame o + t.
        let mut x = [s.zero_square(); N];
        let mut k = [s.zero_square(); N];
        let mut mid = [s.zero_square(); N];
        let mut o = 0;
        while o < len {
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
            if K::TWO_PASS {
                for t in 0..l {
                    let xt = prepare::<S, K, N>(s, column::<S, N>(&x, t));
                    set_column::<S, N>(&mut x, t, xt);
                    let kt = if has_key {
                        prepare::<S, K, N>(s, column::<S, N>(&k, t))
                    } else {
                        xt
                    };
                    let m = K::first(s, &regs.params, &mut regs.state, &kt);
                    set_column::<S, N>(&mut mid, t, m);
                }
                for t in 0..l {
                    let mut xt = column::<S, N>(&x, t);
                    K::second(
                        s,
                        &regs.params,
                        &mut regs.state,
                        &mut xt,
                        &column::<S, N>(&mid, t),
                    );
                    set_column::<S, N>(&mut x, t, xt);
                }
            } else if has_key {
                for t in 0..l {
                    let mut xt = column::<S, N>(&x, t);
                    K::step_frame(
                        s,
                        &regs.params,
                        &mut regs.state,
                        &mut xt,
                        &column::<S, N>(&k, t),
                    );
                    set_column::<S, N>(&mut x, t, xt);
                }
            } else {
                for t in 0..l {
                    let mut xt = column::<S, N>(&x, t);
                    let kt = xt;
                    K::step_frame(s, &regs.params, &mut regs.state, &mut xt, &kt);
                    set_column::<S, N>(&mut x, t, xt);
                }
            }
            for (r, x) in x.iter_mut().enumerate() {
                let planes = &mut output[r * l..];
                match (padded, stream) {
                    (false, false) => scatter::<S, false, false>(s, planes, o, x),
                    (false, true) => scatter::<S, false, true>(s, planes, o, x),
                    (true, false) => scatter::<S, true, false>(s, planes, o, x),
                    (true, true) => scatter::<S, true, true>(s, planes, o, x),
                }
            }
            o += l;
        }
        regs.store(s, state, base);
        if stream {
            s.stream_fence();
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
fn scatter<S: Lanes, const PADDED: bool, const STREAM: bool>(
    s: S,
    planes: &mut [&mut [f32]],
    o: usize,
    square: &mut S::Square,
) {
    s.transpose(square);
    let planes = &mut planes[..S::LANES];
    for (i, &v) in square.as_ref().iter().enumerate() {
        let plane = &mut planes[i];
        if !PADDED || !plane.is_empty() {
            if STREAM {
                s.store_stream(&mut plane[o..], v);
            } else {
                s.store(&mut plane[o..], v);
            }
        }
    }
}
