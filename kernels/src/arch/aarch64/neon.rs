//! NEON: four `f32` lanes per `float32x4_t` register.
//!
//! Every value operation goes through the safe intrinsics of the
//! [`pulp::aarch64::Neon`] the token holds; only memory access and the
//! entry point are `unsafe`.
//!
//! NEON's `fmin`/`fmax` follow IEEE `minimum`/`maximum` (NaN-propagating,
//! `-0 < +0`), which differs from the crate's `a < b ? a : b` rule, so
//! [`Lanes::min`] and [`Lanes::max`] are a compare and a bit-select here.

use crate::isa::Isa;
use crate::job::LaneJob;
use crate::lanes::Lanes;
use core::arch::aarch64::{float32x4_t, int32x4_t, uint32x4_t};

/// Token proving that this CPU runs NEON (as [`pulp::aarch64::Neon`]
/// detects it).
#[derive(Clone, Copy, Debug)]
pub struct Neon(pulp::aarch64::Neon);

impl Neon {
    /// The token, if this CPU has NEON (every AArch64 Linux CPU does).
    ///
    /// Detection is [`pulp::aarch64::Neon::try_new`], which asks
    /// `is_aarch64_feature_detected!("neon")` and nothing else.
    pub fn new() -> Option<Neon> {
        pulp::aarch64::Neon::try_new().map(Neon)
    }
}

#[target_feature(enable = "neon")]
fn entry<J: LaneJob>(s: Neon, job: J) -> J::Output {
    job.run(s)
}

impl crate::lanes::sealed::Sealed for Neon {}

impl Lanes for Neon {
    type V = float32x4_t;
    type M = uint32x4_t;
    type I = int32x4_t;
    type Square = [float32x4_t; 4];

    const LANES: usize = 4;
    const ISA: Isa = Isa::Neon;

    #[inline]
    fn run_job<J: LaneJob>(self, job: J) -> J::Output {
        // SAFETY: a `Neon` holds a `pulp::aarch64::Neon`, which exists only
        // if NEON was detected (by `try_new` in `new`).
        unsafe { entry(self, job) }
    }

    #[inline(always)]
    fn splat(self, x: f32) -> float32x4_t {
        self.0.neon.vdupq_n_f32(x)
    }
    #[inline(always)]
    fn load(self, src: &[f32]) -> float32x4_t {
        let src = &src[..4];
        // SAFETY: `src` holds 4 readable floats (an unaligned load).
        unsafe { self.0.neon.vld1q_f32(src.as_ptr()) }
    }
    #[inline(always)]
    fn store(self, dst: &mut [f32], v: float32x4_t) {
        let dst = &mut dst[..4];
        // SAFETY: `dst` holds 4 writable floats (an unaligned store).
        unsafe { self.0.neon.vst1q_f32(dst.as_mut_ptr(), v) }
    }
    #[inline(always)]
    fn load_partial(self, src: &[f32]) -> float32x4_t {
        let mut lanes = [0.0f32; 4];
        let n = src.len().min(4);
        lanes[..n].copy_from_slice(&src[..n]);
        self.load(&lanes)
    }
    #[inline(always)]
    fn store_partial(self, dst: &mut [f32], v: float32x4_t) {
        let mut lanes = [0.0f32; 4];
        self.store(&mut lanes, v);
        let n = dst.len().min(4);
        dst[..n].copy_from_slice(&lanes[..n]);
    }
    #[inline(always)]
    fn add(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        self.0.neon.vaddq_f32(a, b)
    }
    #[inline(always)]
    fn sub(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        self.0.neon.vsubq_f32(a, b)
    }
    #[inline(always)]
    fn mul(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        self.0.neon.vmulq_f32(a, b)
    }
    #[inline(always)]
    fn div(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        self.0.neon.vdivq_f32(a, b)
    }
    #[inline(always)]
    fn mul_add(self, a: float32x4_t, b: float32x4_t, c: float32x4_t) -> float32x4_t {
        // `vfmaq_f32(c, a, b)` is fused `c + a * b`.
        self.0.neon.vfmaq_f32(c, a, b)
    }
    #[inline(always)]
    fn sqrt(self, a: float32x4_t) -> float32x4_t {
        self.0.neon.vsqrtq_f32(a)
    }
    #[inline(always)]
    fn abs(self, a: float32x4_t) -> float32x4_t {
        let n = self.0.neon;
        n.vreinterpretq_f32_u32(n.vandq_u32(n.vreinterpretq_u32_f32(a), n.vdupq_n_u32(0x7fff_ffff)))
    }
    #[inline(always)]
    fn min(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        let n = self.0.neon;
        n.vbslq_f32(n.vcltq_f32(a, b), a, b)
    }
    #[inline(always)]
    fn max(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        let n = self.0.neon;
        n.vbslq_f32(n.vcgtq_f32(a, b), a, b)
    }
    #[inline(always)]
    fn lt(self, a: float32x4_t, b: float32x4_t) -> uint32x4_t {
        self.0.neon.vcltq_f32(a, b)
    }
    #[inline(always)]
    fn le(self, a: float32x4_t, b: float32x4_t) -> uint32x4_t {
        self.0.neon.vcleq_f32(a, b)
    }
    #[inline(always)]
    fn gt(self, a: float32x4_t, b: float32x4_t) -> uint32x4_t {
        self.0.neon.vcgtq_f32(a, b)
    }
    #[inline(always)]
    fn ge(self, a: float32x4_t, b: float32x4_t) -> uint32x4_t {
        self.0.neon.vcgeq_f32(a, b)
    }
    #[inline(always)]
    fn eq(self, a: float32x4_t, b: float32x4_t) -> uint32x4_t {
        self.0.neon.vceqq_f32(a, b)
    }
    #[inline(always)]
    fn select(self, m: uint32x4_t, t: float32x4_t, f: float32x4_t) -> float32x4_t {
        self.0.neon.vbslq_f32(m, t, f)
    }
    #[inline(always)]
    fn select_m(self, m: uint32x4_t, t: uint32x4_t, f: uint32x4_t) -> uint32x4_t {
        self.0.neon.vbslq_u32(m, t, f)
    }
    #[inline(always)]
    fn and_m(self, a: uint32x4_t, b: uint32x4_t) -> uint32x4_t {
        self.0.neon.vandq_u32(a, b)
    }
    #[inline(always)]
    fn or_m(self, a: uint32x4_t, b: uint32x4_t) -> uint32x4_t {
        self.0.neon.vorrq_u32(a, b)
    }
    #[inline(always)]
    fn splat_i(self, x: i32) -> int32x4_t {
        self.0.neon.vdupq_n_s32(x)
    }
    #[inline(always)]
    fn bitcast_i(self, a: float32x4_t) -> int32x4_t {
        self.0.neon.vreinterpretq_s32_f32(a)
    }
    #[inline(always)]
    fn bitcast_f(self, a: int32x4_t) -> float32x4_t {
        self.0.neon.vreinterpretq_f32_s32(a)
    }
    #[inline(always)]
    fn add_i(self, a: int32x4_t, b: int32x4_t) -> int32x4_t {
        self.0.neon.vaddq_s32(a, b)
    }
    #[inline(always)]
    fn sub_i(self, a: int32x4_t, b: int32x4_t) -> int32x4_t {
        self.0.neon.vsubq_s32(a, b)
    }
    #[inline(always)]
    fn and_i(self, a: int32x4_t, b: int32x4_t) -> int32x4_t {
        self.0.neon.vandq_s32(a, b)
    }
    #[inline(always)]
    fn or_i(self, a: int32x4_t, b: int32x4_t) -> int32x4_t {
        self.0.neon.vorrq_s32(a, b)
    }
    #[inline(always)]
    fn shl23_i(self, a: int32x4_t) -> int32x4_t {
        self.0.neon.vshlq_n_s32::<23>(a)
    }
    #[inline(always)]
    fn shr23_i(self, a: int32x4_t) -> int32x4_t {
        self.0.neon.vshrq_n_s32::<23>(a)
    }
    #[inline(always)]
    fn to_f32(self, a: int32x4_t) -> float32x4_t {
        self.0.neon.vcvtq_f32_s32(a)
    }
    #[inline(always)]
    fn swap_lanes(self, v: float32x4_t, d: usize) -> float32x4_t {
        let n = self.0.neon;
        match d {
            1 => n.vrev64q_f32(v),
            _ => n.vextq_f32::<2>(v, v),
        }
    }
    #[inline(always)]
    fn transpose4(self, b: &mut [float32x4_t; 4]) {
        let n = self.0.neon;
        let t0 = n.vtrn1q_f32(b[0], b[1]);
        let t1 = n.vtrn2q_f32(b[0], b[1]);
        let t2 = n.vtrn1q_f32(b[2], b[3]);
        let t3 = n.vtrn2q_f32(b[2], b[3]);
        let (t0, t1) = (n.vreinterpretq_f64_f32(t0), n.vreinterpretq_f64_f32(t1));
        let (t2, t3) = (n.vreinterpretq_f64_f32(t2), n.vreinterpretq_f64_f32(t3));
        b[0] = n.vreinterpretq_f32_f64(n.vtrn1q_f64(t0, t2));
        b[1] = n.vreinterpretq_f32_f64(n.vtrn1q_f64(t1, t3));
        b[2] = n.vreinterpretq_f32_f64(n.vtrn2q_f64(t0, t2));
        b[3] = n.vreinterpretq_f32_f64(n.vtrn2q_f64(t1, t3));
    }
    #[inline(always)]
    fn zero_square(self) -> [float32x4_t; 4] {
        [self.zero(); 4]
    }
    #[inline(always)]
    fn transpose(self, b: &mut [float32x4_t; 4]) {
        // Four lanes: one 4x4 block is the whole square.
        self.transpose4(b);
    }
    #[inline(always)]
    fn store_chunks(self, dst: &mut [f32], _stride: usize, v: float32x4_t) {
        self.store(dst, v);
    }
    #[inline(always)]
    fn load_chunks(self, src: &[f32], _stride: usize) -> float32x4_t {
        self.load(src)
    }
}
