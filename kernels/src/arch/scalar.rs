//! The portable ISA: one channel per "register", plain Rust.
//!
//! This is both the fallback on CPUs without a SIMD path and the executable
//! statement of every [`Lanes`] method's exact result.

use crate::isa::Isa;
use crate::lanes::Lanes;

/// Token for the portable path; always available.
#[derive(Clone, Copy, Debug, Default)]
pub struct Scalar;

impl Lanes for Scalar {
    type V = f32;
    type M = bool;
    type I = i32;

    const LANES: usize = 1;
    const ISA: Isa = Isa::Scalar;

    #[inline(always)]
    fn splat(self, x: f32) -> f32 {
        x
    }
    #[inline(always)]
    fn load(self, src: &[f32]) -> f32 {
        src[0]
    }
    #[inline(always)]
    fn store(self, dst: &mut [f32], v: f32) {
        dst[0] = v;
    }
    #[inline(always)]
    fn load_partial(self, src: &[f32]) -> f32 {
        src.first().copied().unwrap_or(0.0)
    }
    #[inline(always)]
    fn store_partial(self, dst: &mut [f32], v: f32) {
        if let Some(d) = dst.first_mut() {
            *d = v;
        }
    }
    #[inline(always)]
    fn add(self, a: f32, b: f32) -> f32 {
        a + b
    }
    #[inline(always)]
    fn sub(self, a: f32, b: f32) -> f32 {
        a - b
    }
    #[inline(always)]
    fn mul(self, a: f32, b: f32) -> f32 {
        a * b
    }
    #[inline(always)]
    fn div(self, a: f32, b: f32) -> f32 {
        a / b
    }
    #[inline(always)]
    fn mul_add(self, a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
    #[inline(always)]
    fn sqrt(self, a: f32) -> f32 {
        a.sqrt()
    }
    #[inline(always)]
    fn abs(self, a: f32) -> f32 {
        f32::from_bits(a.to_bits() & 0x7fff_ffff)
    }
    #[inline(always)]
    fn min(self, a: f32, b: f32) -> f32 {
        if a < b { a } else { b }
    }
    #[inline(always)]
    fn max(self, a: f32, b: f32) -> f32 {
        if a > b { a } else { b }
    }
    #[inline(always)]
    fn lt(self, a: f32, b: f32) -> bool {
        a < b
    }
    #[inline(always)]
    fn le(self, a: f32, b: f32) -> bool {
        a <= b
    }
    #[inline(always)]
    fn gt(self, a: f32, b: f32) -> bool {
        a > b
    }
    #[inline(always)]
    fn ge(self, a: f32, b: f32) -> bool {
        a >= b
    }
    #[inline(always)]
    fn eq(self, a: f32, b: f32) -> bool {
        a == b
    }
    #[inline(always)]
    fn select(self, m: bool, t: f32, f: f32) -> f32 {
        if m { t } else { f }
    }
    #[inline(always)]
    fn select_m(self, m: bool, t: bool, f: bool) -> bool {
        if m { t } else { f }
    }
    #[inline(always)]
    fn and_m(self, a: bool, b: bool) -> bool {
        a & b
    }
    #[inline(always)]
    fn or_m(self, a: bool, b: bool) -> bool {
        a | b
    }
    #[inline(always)]
    fn splat_i(self, x: i32) -> i32 {
        x
    }
    #[inline(always)]
    fn bitcast_i(self, a: f32) -> i32 {
        a.to_bits() as i32
    }
    #[inline(always)]
    fn bitcast_f(self, a: i32) -> f32 {
        f32::from_bits(a as u32)
    }
    #[inline(always)]
    fn add_i(self, a: i32, b: i32) -> i32 {
        a.wrapping_add(b)
    }
    #[inline(always)]
    fn sub_i(self, a: i32, b: i32) -> i32 {
        a.wrapping_sub(b)
    }
    #[inline(always)]
    fn and_i(self, a: i32, b: i32) -> i32 {
        a & b
    }
    #[inline(always)]
    fn or_i(self, a: i32, b: i32) -> i32 {
        a | b
    }
    #[inline(always)]
    fn shl23_i(self, a: i32) -> i32 {
        a.wrapping_shl(23)
    }
    #[inline(always)]
    fn shr23_i(self, a: i32) -> i32 {
        a >> 23
    }
    #[inline(always)]
    fn to_f32(self, a: i32) -> f32 {
        a as f32
    }
    #[inline(always)]
    fn transpose4(self, _b: &mut [f32; 4]) {}
    #[inline(always)]
    fn store_chunks(self, dst: &mut [f32], _stride: usize, v: f32) {
        dst[0] = v;
    }
    #[inline(always)]
    fn load_chunks(self, src: &[f32], _stride: usize) -> f32 {
        src[0]
    }
}

impl Scalar {
    /// Runs a lane job on the portable path.
    pub fn run<J: crate::job::LaneJob>(self, job: J) -> J::Output {
        job.run(self)
    }
}
