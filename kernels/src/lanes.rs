//! The lane-vector trait every kernel body is written against.
//!
//! A value implementing [`Lanes`] is a zero-sized *token*: it can only be
//! obtained on a CPU that runs its instructions (see `arch/`), so the safe
//! methods below may use them. A kernel written once as
//! `fn body<S: Lanes>(s: S, ..)` is compiled per ISA by the entry points in
//! `arch/`, which carry the `#[target_feature]` attributes.
//!
//! The trait is deliberately small: it offers only operations whose result is
//! one fixed bit pattern on every ISA, so a kernel cannot call an operation
//! that differs between them (such as a multiply-add that is fused on one ISA
//! and not on another, or a `max` whose NaN rule depends on the instruction).
//! Each method states its result exactly; the scalar implementation in
//! `arch/scalar.rs` is the executable form of those statements.

use crate::isa::Isa;
use crate::job::LaneJob;

/// Keeps [`Lanes`] implemented by this crate's tokens only: a token
/// outside `arch/` could claim an ISA the CPU lacks, or an operation with
/// other bits.
pub(crate) mod sealed {
    /// Implemented by the tokens in `arch/`.
    pub trait Sealed {}
}

/// A token for one ISA's registers of `f32` lanes.
///
/// All float operations are IEEE 754 binary32 with round-to-nearest-even;
/// none flushes subnormals (kernels flush explicitly where they need to, the
/// same way on every ISA). When a result is NaN, its sign and payload are
/// unspecified and may differ between ISAs (hardware and the compiler may
/// propagate either operand's); every kernel sanitizes its inputs so that no
/// NaN reaches its arithmetic, its state or its output.
///
/// Sealed: only the tokens of `arch/` implement it.
pub trait Lanes: sealed::Sealed + Copy + Send + Sync + 'static {
    /// One register of [`Lanes::LANES`] `f32` values.
    type V: Copy + core::fmt::Debug;
    /// One register of [`Lanes::LANES`] booleans.
    type M: Copy + core::fmt::Debug;
    /// One register of [`Lanes::LANES`] `i32` values.
    type I: Copy + core::fmt::Debug;
    /// [`Lanes::LANES`] registers: a square of lanes (see
    /// [`Lanes::transpose`]).
    type Square: Copy + AsRef<[Self::V]> + AsMut<[Self::V]>;

    /// Channels per register.
    const LANES: usize;
    /// The ISA this token stands for.
    const ISA: Isa;

    /// Runs `job` compiled for this ISA, through its entry point (a
    /// `#[target_feature]` function on the SIMD ISAs, an
    /// `#[inline(never)]` one on the portable ISA).
    fn run_job<J: LaneJob>(self, job: J) -> J::Output;

    /// Every lane set to `x`.
    fn splat(self, x: f32) -> Self::V;
    /// Lanes from `src[..LANES]`; `src` must hold at least `LANES` values
    /// (a shorter slice is a bug in the caller and panics).
    fn load(self, src: &[f32]) -> Self::V;
    /// Writes the lanes to `dst[..LANES]`; `dst` must hold at least `LANES`.
    fn store(self, dst: &mut [f32], v: Self::V);
    /// Lanes from `src[..min(len, LANES)]`; lanes past the slice are `0.0`.
    fn load_partial(self, src: &[f32]) -> Self::V;
    /// Writes the first `min(dst.len(), LANES)` lanes to `dst`.
    fn store_partial(self, dst: &mut [f32], v: Self::V);

    /// Writes the lanes to `dst[..LANES]` as [`Lanes::store`] does, but
    /// when `dst` starts at a whole-register boundary the write may bypass
    /// the caches (a non-temporal store: the same values, for outputs much
    /// larger than the cache). Call [`Lanes::stream_fence`] after the last.
    #[inline(always)]
    fn store_stream(self, dst: &mut [f32], v: Self::V) {
        self.store(dst, v);
    }
    /// Orders earlier [`Lanes::store_stream`] writes before later stores.
    #[inline(always)]
    fn stream_fence(self) {}
    /// Lanes `shift..LANES` of `prev` followed by lanes `0..shift` of
    /// `cur`, for `shift < LANES`: a register's window sliding over two
    /// consecutive registers of one channel's frames. Pure data movement;
    /// the planar path writes whole aligned lines of slices at any line
    /// offset with it (see `drive::planar`).
    #[inline(always)]
    fn splice(self, prev: Self::V, cur: Self::V, shift: usize) -> Self::V {
        let mut pair = [0.0f32; 32];
        self.store(&mut pair, prev);
        self.store(&mut pair[Self::LANES..], cur);
        self.load(&pair[shift % Self::LANES..])
    }

    /// `a + b`.
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a - b`.
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a * b`.
    fn mul(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a / b`.
    fn div(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a * b + c` with a single rounding (fused), as `f32::mul_add`.
    fn mul_add(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// Correctly rounded square root.
    fn sqrt(self, a: Self::V) -> Self::V;
    /// `a` with its sign bit cleared (also for NaN).
    fn abs(self, a: Self::V) -> Self::V;
    /// `if a < b { a } else { b }` (so `b` when either is NaN or both are zero).
    fn min(self, a: Self::V, b: Self::V) -> Self::V;
    /// `if a > b { a } else { b }` (so `b` when either is NaN or both are zero).
    fn max(self, a: Self::V, b: Self::V) -> Self::V;

    /// `a < b` (false when either is NaN).
    fn lt(self, a: Self::V, b: Self::V) -> Self::M;
    /// `a <= b` (false when either is NaN).
    fn le(self, a: Self::V, b: Self::V) -> Self::M;
    /// `a > b` (false when either is NaN).
    fn gt(self, a: Self::V, b: Self::V) -> Self::M;
    /// `a >= b` (false when either is NaN).
    fn ge(self, a: Self::V, b: Self::V) -> Self::M;
    /// `a == b` (false when either is NaN; `-0.0 == 0.0`).
    fn eq(self, a: Self::V, b: Self::V) -> Self::M;
    /// `if m { t } else { f }` per lane.
    fn select(self, m: Self::M, t: Self::V, f: Self::V) -> Self::V;
    /// `if m { t } else { f }` per lane, on masks.
    fn select_m(self, m: Self::M, t: Self::M, f: Self::M) -> Self::M;
    /// `a && b` per lane.
    fn and_m(self, a: Self::M, b: Self::M) -> Self::M;
    /// `a || b` per lane.
    fn or_m(self, a: Self::M, b: Self::M) -> Self::M;

    /// Every lane set to `x`.
    fn splat_i(self, x: i32) -> Self::I;
    /// The IEEE bit pattern of each lane, as `f32::to_bits(a) as i32`.
    fn bitcast_i(self, a: Self::V) -> Self::I;
    /// Each lane's bits as an `f32`, as `f32::from_bits(a as u32)`.
    fn bitcast_f(self, a: Self::I) -> Self::V;
    /// Wrapping `a + b`.
    fn add_i(self, a: Self::I, b: Self::I) -> Self::I;
    /// Wrapping `a - b`.
    fn sub_i(self, a: Self::I, b: Self::I) -> Self::I;
    /// Bitwise `a & b`.
    fn and_i(self, a: Self::I, b: Self::I) -> Self::I;
    /// Bitwise `a | b`.
    fn or_i(self, a: Self::I, b: Self::I) -> Self::I;
    /// `a << 23`: moves an integer into the exponent field.
    fn shl23_i(self, a: Self::I) -> Self::I;
    /// Arithmetic `a >> 23`: the sign and exponent field as an integer.
    fn shr23_i(self, a: Self::I) -> Self::I;
    /// `a as f32` (exact for `|a| <= 2^24`, which is all kernels use).
    fn to_f32(self, a: Self::I) -> Self::V;

    /// Lane `i` of the result is lane `i ^ d` of `v`, for `d` a power of two
    /// below `LANES` (so pairs of lanes, or of blocks of `d` lanes, trade
    /// places). Used by the butterfly reductions of linked channels.
    fn swap_lanes(self, v: Self::V, d: usize) -> Self::V;

    /// Hints that the cache line holding `data[0]` will be read soon (a
    /// software prefetch; no architectural effect, so it changes no result).
    /// The default does nothing.
    #[inline(always)]
    fn prefetch(self, data: &[f32]) {
        let _ = data;
    }

    /// `v` unchanged, but opaque to the compiler's instruction selection:
    /// an operation producing `v` is not merged into a later one (AVX-512
    /// would otherwise turn `select(m, a * b, c)` into a masked multiply
    /// whose result waits for `c`, lengthening a recurrence). No-op by
    /// default.
    #[inline(always)]
    fn opaque(self, v: Self::V) -> Self::V {
        v
    }

    /// Transposes the four registers as `LANES / 4` independent 4x4 blocks,
    /// one per 128-bit chunk: afterwards lane `4j + i` of `b[k]` holds what
    /// lane `4j + k` of `b[i]` held. A no-op on one-lane ISAs. Pure data
    /// movement (used to stage planar buffers, see `drive`).
    fn transpose4(self, b: &mut [Self::V; 4]);
    /// Transposes a square of `LANES` registers: afterwards lane `j` of
    /// `b[i]` holds what lane `i` of `b[j]` held. Pure data movement (the
    /// planar path of `drive` turns `LANES` frames of `LANES` channel
    /// slices into frame rows with it, and back).
    fn transpose(self, b: &mut Self::Square);
    /// A square of `0.0` registers.
    fn zero_square(self) -> Self::Square;
    /// Writes chunk `j` (lanes `4j..4j + 4`) to `dst[j * stride..][..4]`, for
    /// every chunk (one lane, to `dst[0]`, on one-lane ISAs).
    fn store_chunks(self, dst: &mut [f32], stride: usize, v: Self::V);
    /// The inverse of [`Lanes::store_chunks`].
    fn load_chunks(self, src: &[f32], stride: usize) -> Self::V;

    /// `0.0` in every lane.
    #[inline(always)]
    fn zero(self) -> Self::V {
        self.splat(0.0)
    }
}
