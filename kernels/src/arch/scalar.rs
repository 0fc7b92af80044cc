//! The portable ISA: plain Rust on a four-lane "register" (`[f32; 4]`).
//!
//! It runs everywhere (the compiler may vectorise it for the baseline
//! target) and is the executable statement of every [`Lanes`] method's
//! exact result: each method is written per lane with ordinary `f32`
//! operations. Four lanes rather than one keep the same code paths as the
//! SIMD ISAs (partial registers, lane swaps, transposes), so the portable
//! path exercises them on any machine.

use crate::isa::Isa;
use crate::lanes::Lanes;

/// Token for the portable path; always available.
#[derive(Clone, Copy, Debug, Default)]
pub struct Scalar;

/// Four lanes of `f32`.
pub type F4 = [f32; 4];
/// Four lane booleans.
pub type M4 = [bool; 4];
/// Four lanes of `i32`.
pub type I4 = [i32; 4];

/// Each job body as its own function, as on the SIMD ISAs (whose entry
/// points carry the target features): inlined into the driver, the bodies
/// of every kernel made one function per kernel too big to compile quickly.
#[inline(never)]
fn entry<J: crate::job::LaneJob>(s: Scalar, job: J) -> J::Output {
    job.run(s)
}

#[inline(always)]
fn map<T: Copy, U: Copy + Default>(a: [T; 4], f: impl Fn(T) -> U) -> [U; 4] {
    let mut out = [U::default(); 4];
    for (o, a) in out.iter_mut().zip(a) {
        *o = f(a);
    }
    out
}

#[inline(always)]
fn zip<T: Copy, U: Copy + Default>(a: [T; 4], b: [T; 4], f: impl Fn(T, T) -> U) -> [U; 4] {
    let mut out = [U::default(); 4];
    for ((o, a), b) in out.iter_mut().zip(a).zip(b) {
        *o = f(a, b);
    }
    out
}

impl crate::lanes::sealed::Sealed for Scalar {}

impl Lanes for Scalar {
    type V = F4;
    type M = M4;
    type I = I4;
    type Square = [F4; 4];

    const LANES: usize = 4;
    const ISA: Isa = Isa::Scalar;

    #[inline]
    fn run_job<J: crate::job::LaneJob>(self, job: J) -> J::Output {
        entry(self, job)
    }

    #[inline(always)]
    fn splat(self, x: f32) -> F4 {
        [x; 4]
    }
    #[inline(always)]
    fn load(self, src: &[f32]) -> F4 {
        let mut v = [0.0; 4];
        v.copy_from_slice(&src[..4]);
        v
    }
    #[inline(always)]
    fn store(self, dst: &mut [f32], v: F4) {
        dst[..4].copy_from_slice(&v);
    }
    #[inline(always)]
    fn load_partial(self, src: &[f32]) -> F4 {
        let mut v = [0.0; 4];
        let n = src.len().min(4);
        v[..n].copy_from_slice(&src[..n]);
        v
    }
    #[inline(always)]
    fn store_partial(self, dst: &mut [f32], v: F4) {
        let n = dst.len().min(4);
        dst[..n].copy_from_slice(&v[..n]);
    }
    #[inline(always)]
    fn add(self, a: F4, b: F4) -> F4 {
        zip(a, b, |a, b| a + b)
    }
    #[inline(always)]
    fn sub(self, a: F4, b: F4) -> F4 {
        zip(a, b, |a, b| a - b)
    }
    #[inline(always)]
    fn mul(self, a: F4, b: F4) -> F4 {
        zip(a, b, |a, b| a * b)
    }
    #[inline(always)]
    fn div(self, a: F4, b: F4) -> F4 {
        zip(a, b, |a, b| a / b)
    }
    #[inline(always)]
    fn mul_add(self, a: F4, b: F4, c: F4) -> F4 {
        let mut out = [0.0; 4];
        for i in 0..4 {
            out[i] = a[i].mul_add(b[i], c[i]);
        }
        out
    }
    #[inline(always)]
    fn sqrt(self, a: F4) -> F4 {
        map(a, f32::sqrt)
    }
    #[inline(always)]
    fn abs(self, a: F4) -> F4 {
        map(a, |a| f32::from_bits(a.to_bits() & 0x7fff_ffff))
    }
    #[inline(always)]
    fn min(self, a: F4, b: F4) -> F4 {
        zip(a, b, |a, b| if a < b { a } else { b })
    }
    #[inline(always)]
    fn max(self, a: F4, b: F4) -> F4 {
        zip(a, b, |a, b| if a > b { a } else { b })
    }
    #[inline(always)]
    fn lt(self, a: F4, b: F4) -> M4 {
        zip(a, b, |a, b| a < b)
    }
    #[inline(always)]
    fn le(self, a: F4, b: F4) -> M4 {
        zip(a, b, |a, b| a <= b)
    }
    #[inline(always)]
    fn gt(self, a: F4, b: F4) -> M4 {
        zip(a, b, |a, b| a > b)
    }
    #[inline(always)]
    fn ge(self, a: F4, b: F4) -> M4 {
        zip(a, b, |a, b| a >= b)
    }
    #[inline(always)]
    fn eq(self, a: F4, b: F4) -> M4 {
        zip(a, b, |a, b| a == b)
    }
    #[inline(always)]
    fn select(self, m: M4, t: F4, f: F4) -> F4 {
        let mut out = f;
        for i in 0..4 {
            if m[i] {
                out[i] = t[i];
            }
        }
        out
    }
    #[inline(always)]
    fn select_m(self, m: M4, t: M4, f: M4) -> M4 {
        let mut out = f;
        for i in 0..4 {
            if m[i] {
                out[i] = t[i];
            }
        }
        out
    }
    #[inline(always)]
    fn and_m(self, a: M4, b: M4) -> M4 {
        zip(a, b, |a, b| a & b)
    }
    #[inline(always)]
    fn or_m(self, a: M4, b: M4) -> M4 {
        zip(a, b, |a, b| a | b)
    }
    #[inline(always)]
    fn splat_i(self, x: i32) -> I4 {
        [x; 4]
    }
    #[inline(always)]
    fn bitcast_i(self, a: F4) -> I4 {
        map(a, |a| a.to_bits() as i32)
    }
    #[inline(always)]
    fn bitcast_f(self, a: I4) -> F4 {
        map(a, |a| f32::from_bits(a as u32))
    }
    #[inline(always)]
    fn add_i(self, a: I4, b: I4) -> I4 {
        zip(a, b, i32::wrapping_add)
    }
    #[inline(always)]
    fn sub_i(self, a: I4, b: I4) -> I4 {
        zip(a, b, i32::wrapping_sub)
    }
    #[inline(always)]
    fn and_i(self, a: I4, b: I4) -> I4 {
        zip(a, b, |a, b| a & b)
    }
    #[inline(always)]
    fn or_i(self, a: I4, b: I4) -> I4 {
        zip(a, b, |a, b| a | b)
    }
    #[inline(always)]
    fn shl23_i(self, a: I4) -> I4 {
        map(a, |a| a.wrapping_shl(23))
    }
    #[inline(always)]
    fn shr23_i(self, a: I4) -> I4 {
        map(a, |a| a >> 23)
    }
    #[inline(always)]
    fn to_f32(self, a: I4) -> F4 {
        map(a, |a| a as f32)
    }
    #[inline(always)]
    fn swap_lanes(self, v: F4, d: usize) -> F4 {
        let mut out = v;
        for (i, o) in out.iter_mut().enumerate() {
            *o = v[(i ^ d) & 3];
        }
        out
    }
    #[inline(always)]
    fn transpose4(self, b: &mut [F4; 4]) {
        let a = *b;
        for (i, row) in b.iter_mut().enumerate() {
            for (k, v) in row.iter_mut().enumerate() {
                *v = a[k][i];
            }
        }
    }
    #[inline(always)]
    fn zero_square(self) -> [F4; 4] {
        [self.zero(); 4]
    }
    #[inline(always)]
    fn transpose(self, b: &mut [F4; 4]) {
        // Four lanes: one 4x4 block is the whole square.
        self.transpose4(b);
    }
    #[inline(always)]
    fn store_chunks(self, dst: &mut [f32], _stride: usize, v: F4) {
        self.store(dst, v);
    }
    #[inline(always)]
    fn load_chunks(self, src: &[f32], _stride: usize) -> F4 {
        self.load(src)
    }
}
