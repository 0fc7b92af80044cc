//! AVX2 + FMA3: eight `f32` lanes per `__m256` register.
//!
//! Every value operation goes through the safe intrinsics of the
//! [`pulp::x86::V3`] the token holds; only memory access and the entry point
//! are `unsafe`.

use crate::isa::Isa;
use crate::job::LaneJob;
use crate::lanes::Lanes;
use core::arch::x86_64::{
    __m256, __m256i, _CMP_EQ_OQ, _CMP_GE_OQ, _CMP_GT_OQ, _CMP_LE_OQ, _CMP_LT_OQ, _MM_HINT_T0,
};
use pulp::x86::V3;

use super::Avx512;

/// Token proving that this CPU runs AVX2 and FMA3 (x86-64-v3, as
/// [`pulp::x86::V3`] detects it).
#[derive(Clone, Copy, Debug)]
pub struct Avx2(V3);

impl Avx2 {
    /// The token, if this CPU has AVX2 and FMA3.
    ///
    /// Detection is [`V3::try_new`]: besides AVX2 and FMA3 (and the AVX,
    /// SSE-SSE4.2 they extend) it requires POPCNT, FXSR, BMI1, BMI2 and
    /// LZCNT, which AVX2 + FMA3 CPUs have (Intel Haswell and later, AMD
    /// Excavator and later, qemu's `Haswell` model); a virtual CPU hiding
    /// them while showing AVX2 now gets scalar. It does not test MOVBE,
    /// F16C or XSAVE.
    pub fn new() -> Option<Avx2> {
        V3::try_new().map(Avx2)
    }

    /// The token on a CPU proven to run AVX-512: [`Avx512::new`]'s
    /// [`pulp::x86::V4`] includes every feature of [`V3`].
    pub(super) fn implied_by(s: Avx512) -> Avx2 {
        Avx2(s.v3())
    }
}

#[target_feature(enable = "avx2,fma")]
fn entry<J: LaneJob>(s: Avx2, job: J) -> J::Output {
    job.run(s)
}

/// Lanes `0..n` set, for the masked partial loads and stores.
#[inline(always)]
fn prefix_mask(s: V3, n: usize) -> __m256i {
    let n = n.min(8) as i32;
    s.avx2._mm256_cmpgt_epi32(
        s.avx._mm256_set1_epi32(n),
        s.avx._mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
    )
}

impl crate::lanes::sealed::Sealed for Avx2 {}

impl Lanes for Avx2 {
    type V = __m256;
    type M = __m256;
    type I = __m256i;
    type Square = [__m256; 8];

    const LANES: usize = 8;
    const ISA: Isa = Isa::Avx2;

    #[inline]
    fn run_job<J: LaneJob>(self, job: J) -> J::Output {
        // SAFETY: an `Avx2` holds a `V3`, which exists only if AVX2 and
        // FMA3 were detected (by `V3::try_new` in `new`, or `V4::try_new` in
        // `Avx512::new` for `implied_by`).
        unsafe { entry(self, job) }
    }

    #[inline(always)]
    fn splat(self, x: f32) -> __m256 {
        self.0.avx._mm256_set1_ps(x)
    }
    #[inline(always)]
    fn load(self, src: &[f32]) -> __m256 {
        let src = &src[..8];
        // SAFETY: `src` holds 8 readable floats (an unaligned load).
        unsafe { self.0.avx._mm256_loadu_ps(src.as_ptr()) }
    }
    #[inline(always)]
    fn store(self, dst: &mut [f32], v: __m256) {
        let dst = &mut dst[..8];
        // SAFETY: `dst` holds 8 writable floats (an unaligned store).
        unsafe { self.0.avx._mm256_storeu_ps(dst.as_mut_ptr(), v) }
    }
    #[inline(always)]
    fn load_partial(self, src: &[f32]) -> __m256 {
        let mask = prefix_mask(self.0, src.len());
        // SAFETY: the mask enables only lanes below `src.len()`, and
        // masked-off lanes are neither read nor faulted on.
        unsafe { self.0.avx._mm256_maskload_ps(src.as_ptr(), mask) }
    }
    #[inline(always)]
    fn store_partial(self, dst: &mut [f32], v: __m256) {
        let mask = prefix_mask(self.0, dst.len());
        // SAFETY: the mask enables only lanes below `dst.len()`, and
        // masked-off lanes are neither written nor faulted on.
        unsafe { self.0.avx._mm256_maskstore_ps(dst.as_mut_ptr(), mask, v) }
    }
    #[inline(always)]
    fn add(self, a: __m256, b: __m256) -> __m256 {
        self.0.avx._mm256_add_ps(a, b)
    }
    #[inline(always)]
    fn sub(self, a: __m256, b: __m256) -> __m256 {
        self.0.avx._mm256_sub_ps(a, b)
    }
    #[inline(always)]
    fn mul(self, a: __m256, b: __m256) -> __m256 {
        self.0.avx._mm256_mul_ps(a, b)
    }
    #[inline(always)]
    fn div(self, a: __m256, b: __m256) -> __m256 {
        self.0.avx._mm256_div_ps(a, b)
    }
    #[inline(always)]
    fn mul_add(self, a: __m256, b: __m256, c: __m256) -> __m256 {
        self.0.fma._mm256_fmadd_ps(a, b, c)
    }
    #[inline(always)]
    fn sqrt(self, a: __m256) -> __m256 {
        self.0.avx._mm256_sqrt_ps(a)
    }
    #[inline(always)]
    fn abs(self, a: __m256) -> __m256 {
        let s = self.0;
        s.avx._mm256_castsi256_ps(s.avx2._mm256_and_si256(
            s.avx._mm256_castps_si256(a),
            s.avx._mm256_set1_epi32(0x7fff_ffff),
        ))
    }
    #[inline(always)]
    fn min(self, a: __m256, b: __m256) -> __m256 {
        // `vminps` returns `a < b ? a : b`.
        self.0.avx._mm256_min_ps(a, b)
    }
    #[inline(always)]
    fn max(self, a: __m256, b: __m256) -> __m256 {
        // `vmaxps` returns `a > b ? a : b`.
        self.0.avx._mm256_max_ps(a, b)
    }
    #[inline(always)]
    fn lt(self, a: __m256, b: __m256) -> __m256 {
        self.0.avx._mm256_cmp_ps::<_CMP_LT_OQ>(a, b)
    }
    #[inline(always)]
    fn le(self, a: __m256, b: __m256) -> __m256 {
        self.0.avx._mm256_cmp_ps::<_CMP_LE_OQ>(a, b)
    }
    #[inline(always)]
    fn gt(self, a: __m256, b: __m256) -> __m256 {
        self.0.avx._mm256_cmp_ps::<_CMP_GT_OQ>(a, b)
    }
    #[inline(always)]
    fn ge(self, a: __m256, b: __m256) -> __m256 {
        self.0.avx._mm256_cmp_ps::<_CMP_GE_OQ>(a, b)
    }
    #[inline(always)]
    fn eq(self, a: __m256, b: __m256) -> __m256 {
        self.0.avx._mm256_cmp_ps::<_CMP_EQ_OQ>(a, b)
    }
    #[inline(always)]
    fn select(self, m: __m256, t: __m256, f: __m256) -> __m256 {
        self.0.avx._mm256_blendv_ps(f, t, m)
    }
    #[inline(always)]
    fn select_m(self, m: __m256, t: __m256, f: __m256) -> __m256 {
        self.0.avx._mm256_blendv_ps(f, t, m)
    }
    #[inline(always)]
    fn and_m(self, a: __m256, b: __m256) -> __m256 {
        self.0.avx._mm256_and_ps(a, b)
    }
    #[inline(always)]
    fn or_m(self, a: __m256, b: __m256) -> __m256 {
        self.0.avx._mm256_or_ps(a, b)
    }
    #[inline(always)]
    fn splat_i(self, x: i32) -> __m256i {
        self.0.avx._mm256_set1_epi32(x)
    }
    #[inline(always)]
    fn bitcast_i(self, a: __m256) -> __m256i {
        self.0.avx._mm256_castps_si256(a)
    }
    #[inline(always)]
    fn bitcast_f(self, a: __m256i) -> __m256 {
        self.0.avx._mm256_castsi256_ps(a)
    }
    #[inline(always)]
    fn add_i(self, a: __m256i, b: __m256i) -> __m256i {
        self.0.avx2._mm256_add_epi32(a, b)
    }
    #[inline(always)]
    fn sub_i(self, a: __m256i, b: __m256i) -> __m256i {
        self.0.avx2._mm256_sub_epi32(a, b)
    }
    #[inline(always)]
    fn and_i(self, a: __m256i, b: __m256i) -> __m256i {
        self.0.avx2._mm256_and_si256(a, b)
    }
    #[inline(always)]
    fn or_i(self, a: __m256i, b: __m256i) -> __m256i {
        self.0.avx2._mm256_or_si256(a, b)
    }
    #[inline(always)]
    fn shl23_i(self, a: __m256i) -> __m256i {
        self.0.avx2._mm256_slli_epi32::<23>(a)
    }
    #[inline(always)]
    fn shr23_i(self, a: __m256i) -> __m256i {
        self.0.avx2._mm256_srai_epi32::<23>(a)
    }
    #[inline(always)]
    fn to_f32(self, a: __m256i) -> __m256 {
        self.0.avx._mm256_cvtepi32_ps(a)
    }
    #[inline(always)]
    fn swap_lanes(self, v: __m256, d: usize) -> __m256 {
        let avx = self.0.avx;
        match d {
            1 => avx._mm256_permute_ps::<0b10_11_00_01>(v),
            2 => avx._mm256_permute_ps::<0b01_00_11_10>(v),
            _ => avx._mm256_permute2f128_ps::<0x01>(v, v),
        }
    }
    #[inline(always)]
    fn transpose4(self, b: &mut [__m256; 4]) {
        // Only in-lane register shuffles.
        let avx = self.0.avx;
        let t0 = avx._mm256_unpacklo_ps(b[0], b[1]);
        let t1 = avx._mm256_unpackhi_ps(b[0], b[1]);
        let t2 = avx._mm256_unpacklo_ps(b[2], b[3]);
        let t3 = avx._mm256_unpackhi_ps(b[2], b[3]);
        b[0] = avx._mm256_shuffle_ps::<0x44>(t0, t2);
        b[1] = avx._mm256_shuffle_ps::<0xee>(t0, t2);
        b[2] = avx._mm256_shuffle_ps::<0x44>(t1, t3);
        b[3] = avx._mm256_shuffle_ps::<0xee>(t1, t3);
    }
    #[inline(always)]
    fn zero_square(self) -> [__m256; 8] {
        [self.zero(); 8]
    }
    #[inline(always)]
    fn transpose(self, b: &mut [__m256; 8]) {
        // Each half as 4x4 blocks within the 128-bit chunks: chunk c of
        // half[h][m] then holds rows 4h..4h + 4 of column 4c + m.
        let mut half = [[b[0], b[1], b[2], b[3]], [b[4], b[5], b[6], b[7]]];
        self.transpose4(&mut half[0]);
        self.transpose4(&mut half[1]);
        let avx = self.0.avx;
        for m in 0..4 {
            b[m] = avx._mm256_permute2f128_ps::<0x20>(half[0][m], half[1][m]);
            b[4 + m] = avx._mm256_permute2f128_ps::<0x31>(half[0][m], half[1][m]);
        }
    }
    #[inline(always)]
    fn store_stream(self, dst: &mut [f32], v: __m256) {
        let dst = &mut dst[..Self::LANES];
        let p = dst.as_mut_ptr();
        if (p as usize).is_multiple_of(32) {
            // SAFETY: `dst` holds `LANES` floats and starts on the 32-byte
            // boundary a non-temporal store needs.
            unsafe { self.0.avx._mm256_stream_ps(p, v) }
        } else {
            self.store(dst, v);
        }
    }
    #[inline(always)]
    fn stream_fence(self) {
        // Orders stores only; safe in pulp.
        self.0.sse._mm_sfence();
    }
    #[inline(always)]
    fn prefetch(self, data: &[f32]) {
        if let Some(x) = data.first() {
            // A prefetch never faults and has no architectural effect (a
            // safe method in pulp).
            self.0
                .sse
                ._mm_prefetch::<_MM_HINT_T0>((x as *const f32).cast());
        }
    }
    #[inline(always)]
    fn store_chunks(self, dst: &mut [f32], stride: usize, v: __m256) {
        let dst = &mut dst[..stride + 4];
        let p = dst.as_mut_ptr();
        let s = self.0;
        let (lo, hi) = (
            s.avx._mm256_castps256_ps128(v),
            s.avx._mm256_extractf128_ps::<1>(v),
        );
        // SAFETY: `dst` covers the 4-float chunks at offsets 0 and `stride`
        // (unaligned stores).
        unsafe {
            s.sse._mm_storeu_ps(p, lo);
            s.sse._mm_storeu_ps(p.add(stride), hi);
        }
    }
    #[inline(always)]
    fn load_chunks(self, src: &[f32], stride: usize) -> __m256 {
        let src = &src[..stride + 4];
        let p = src.as_ptr();
        // SAFETY: `src` covers the 4-float chunks at offsets 0 and `stride`
        // (unaligned loads).
        unsafe { self.0.avx._mm256_loadu2_m128(p.add(stride), p) }
    }
}
