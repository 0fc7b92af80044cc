//! AVX2 + FMA3: eight `f32` lanes per `__m256` register.

use crate::isa::Isa;
use crate::job::LaneJob;
use crate::lanes::Lanes;
use core::arch::x86_64::*;

use super::Avx512;

/// Token proving that this CPU runs AVX2 and FMA3.
#[derive(Clone, Copy, Debug)]
pub struct Avx2(());

impl Avx2 {
    /// The token, if this CPU has AVX2 and FMA3.
    pub fn new() -> Option<Avx2> {
        (is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")).then_some(Avx2(()))
    }

    /// The token on a CPU proven to run AVX-512: [`Avx512::new`] detects
    /// AVX2 and FMA3 too.
    pub(super) fn implied_by(_: Avx512) -> Avx2 {
        Avx2(())
    }
}

#[target_feature(enable = "avx2,fma")]
fn entry<J: LaneJob>(s: Avx2, job: J) -> J::Output {
    job.run(s)
}

/// Lanes `0..n` set, for the masked partial loads and stores.
#[inline(always)]
fn prefix_mask(n: usize) -> __m256i {
    let n = n.min(8) as i32;
    // SAFETY: only called through an `Avx2` token (AVX2 detected).
    unsafe {
        _mm256_cmpgt_epi32(
            _mm256_set1_epi32(n),
            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
        )
    }
}

impl Lanes for Avx2 {
    type V = __m256;
    type M = __m256;
    type I = __m256i;
    type Square = [__m256; 8];

    const LANES: usize = 8;
    const ISA: Isa = Isa::Avx2;

    #[inline]
    fn run_job<J: LaneJob>(self, job: J) -> J::Output {
        // SAFETY: an `Avx2` exists only if AVX2 and FMA3 were detected, by
        // `new` or by `Avx512::new` (`implied_by`).
        unsafe { entry(self, job) }
    }

    #[inline(always)]
    fn splat(self, x: f32) -> __m256 {
        // SAFETY: `self` proves AVX2 (see `Avx2::new`).
        unsafe { _mm256_set1_ps(x) }
    }
    #[inline(always)]
    fn load(self, src: &[f32]) -> __m256 {
        let src = &src[..8];
        // SAFETY: `self` proves AVX2; `src` holds 8 readable floats.
        unsafe { _mm256_loadu_ps(src.as_ptr()) }
    }
    #[inline(always)]
    fn store(self, dst: &mut [f32], v: __m256) {
        let dst = &mut dst[..8];
        // SAFETY: `self` proves AVX2; `dst` holds 8 writable floats.
        unsafe { _mm256_storeu_ps(dst.as_mut_ptr(), v) }
    }
    #[inline(always)]
    fn load_partial(self, src: &[f32]) -> __m256 {
        let mask = prefix_mask(src.len());
        // SAFETY: `self` proves AVX2; the mask enables only lanes below
        // `src.len()`, and masked-off lanes are neither read nor faulted on.
        unsafe { _mm256_maskload_ps(src.as_ptr(), mask) }
    }
    #[inline(always)]
    fn store_partial(self, dst: &mut [f32], v: __m256) {
        let mask = prefix_mask(dst.len());
        // SAFETY: `self` proves AVX2; the mask enables only lanes below
        // `dst.len()`, and masked-off lanes are neither written nor faulted on.
        unsafe { _mm256_maskstore_ps(dst.as_mut_ptr(), mask, v) }
    }
    #[inline(always)]
    fn add(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_add_ps(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_sub_ps(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_mul_ps(a, b) }
    }
    #[inline(always)]
    fn div(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_div_ps(a, b) }
    }
    #[inline(always)]
    fn mul_add(self, a: __m256, b: __m256, c: __m256) -> __m256 {
        // SAFETY: `self` proves FMA3.
        unsafe { _mm256_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    fn sqrt(self, a: __m256) -> __m256 {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_sqrt_ps(a) }
    }
    #[inline(always)]
    fn abs(self, a: __m256) -> __m256 {
        // SAFETY: `self` proves AVX2.
        unsafe {
            _mm256_castsi256_ps(_mm256_and_si256(
                _mm256_castps_si256(a),
                _mm256_set1_epi32(0x7fff_ffff),
            ))
        }
    }
    #[inline(always)]
    fn min(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: `self` proves AVX2. `vminps` returns `a < b ? a : b`.
        unsafe { _mm256_min_ps(a, b) }
    }
    #[inline(always)]
    fn max(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: `self` proves AVX2. `vmaxps` returns `a > b ? a : b`.
        unsafe { _mm256_max_ps(a, b) }
    }
    #[inline(always)]
    fn lt(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_cmp_ps::<_CMP_LT_OQ>(a, b) }
    }
    #[inline(always)]
    fn le(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_cmp_ps::<_CMP_LE_OQ>(a, b) }
    }
    #[inline(always)]
    fn gt(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_cmp_ps::<_CMP_GT_OQ>(a, b) }
    }
    #[inline(always)]
    fn ge(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_cmp_ps::<_CMP_GE_OQ>(a, b) }
    }
    #[inline(always)]
    fn eq(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_cmp_ps::<_CMP_EQ_OQ>(a, b) }
    }
    #[inline(always)]
    fn select(self, m: __m256, t: __m256, f: __m256) -> __m256 {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_blendv_ps(f, t, m) }
    }
    #[inline(always)]
    fn select_m(self, m: __m256, t: __m256, f: __m256) -> __m256 {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_blendv_ps(f, t, m) }
    }
    #[inline(always)]
    fn and_m(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_and_ps(a, b) }
    }
    #[inline(always)]
    fn or_m(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_or_ps(a, b) }
    }
    #[inline(always)]
    fn splat_i(self, x: i32) -> __m256i {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_set1_epi32(x) }
    }
    #[inline(always)]
    fn bitcast_i(self, a: __m256) -> __m256i {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_castps_si256(a) }
    }
    #[inline(always)]
    fn bitcast_f(self, a: __m256i) -> __m256 {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_castsi256_ps(a) }
    }
    #[inline(always)]
    fn add_i(self, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_add_epi32(a, b) }
    }
    #[inline(always)]
    fn sub_i(self, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_sub_epi32(a, b) }
    }
    #[inline(always)]
    fn and_i(self, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_and_si256(a, b) }
    }
    #[inline(always)]
    fn or_i(self, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_or_si256(a, b) }
    }
    #[inline(always)]
    fn shl23_i(self, a: __m256i) -> __m256i {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_slli_epi32::<23>(a) }
    }
    #[inline(always)]
    fn shr23_i(self, a: __m256i) -> __m256i {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_srai_epi32::<23>(a) }
    }
    #[inline(always)]
    fn to_f32(self, a: __m256i) -> __m256 {
        // SAFETY: `self` proves AVX2.
        unsafe { _mm256_cvtepi32_ps(a) }
    }
    #[inline(always)]
    fn swap_lanes(self, v: __m256, d: usize) -> __m256 {
        // SAFETY: `self` proves AVX2; only register permutes.
        unsafe {
            match d {
                1 => _mm256_permute_ps::<0b10_11_00_01>(v),
                2 => _mm256_permute_ps::<0b01_00_11_10>(v),
                _ => _mm256_permute2f128_ps::<0x01>(v, v),
            }
        }
    }
    #[inline(always)]
    fn transpose4(self, b: &mut [__m256; 4]) {
        // SAFETY: `self` proves AVX2; only in-lane register shuffles.
        unsafe {
            let t0 = _mm256_unpacklo_ps(b[0], b[1]);
            let t1 = _mm256_unpackhi_ps(b[0], b[1]);
            let t2 = _mm256_unpacklo_ps(b[2], b[3]);
            let t3 = _mm256_unpackhi_ps(b[2], b[3]);
            b[0] = _mm256_shuffle_ps::<0x44>(t0, t2);
            b[1] = _mm256_shuffle_ps::<0xee>(t0, t2);
            b[2] = _mm256_shuffle_ps::<0x44>(t1, t3);
            b[3] = _mm256_shuffle_ps::<0xee>(t1, t3);
        }
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
        for m in 0..4 {
            // SAFETY: `self` proves AVX2; only register shuffles.
            unsafe {
                b[m] = _mm256_permute2f128_ps::<0x20>(half[0][m], half[1][m]);
                b[4 + m] = _mm256_permute2f128_ps::<0x31>(half[0][m], half[1][m]);
            }
        }
    }
    #[inline(always)]
    fn store_stream(self, dst: &mut [f32], v: __m256) {
        let dst = &mut dst[..Self::LANES];
        let p = dst.as_mut_ptr();
        if (p as usize).is_multiple_of(32) {
            // SAFETY: `self` proves the ISA; `dst` holds `LANES` floats and
            // starts on the 32-byte boundary a non-temporal store needs.
            unsafe { _mm256_stream_ps(p, v) }
        } else {
            self.store(dst, v);
        }
    }
    #[inline(always)]
    fn stream_fence(self) {
        // SAFETY: SSE is part of the x86-64 baseline; a fence has no other
        // effect than ordering stores.
        unsafe { _mm_sfence() }
    }
    #[inline(always)]
    fn prefetch(self, data: &[f32]) {
        if let Some(x) = data.first() {
            // SAFETY: a prefetch never faults and has no architectural
            // effect; SSE is part of the x86-64 baseline.
            unsafe { _mm_prefetch::<_MM_HINT_T0>((x as *const f32).cast()) }
        }
    }
    #[inline(always)]
    fn store_chunks(self, dst: &mut [f32], stride: usize, v: __m256) {
        let dst = &mut dst[..stride + 4];
        let p = dst.as_mut_ptr();
        // SAFETY: `self` proves AVX2; `dst` covers the 4-float chunks at
        // offsets 0 and `stride`.
        unsafe {
            _mm_storeu_ps(p, _mm256_castps256_ps128(v));
            _mm_storeu_ps(p.add(stride), _mm256_extractf128_ps::<1>(v));
        }
    }
    #[inline(always)]
    fn load_chunks(self, src: &[f32], stride: usize) -> __m256 {
        let src = &src[..stride + 4];
        let p = src.as_ptr();
        // SAFETY: `self` proves AVX2; `src` covers the 4-float chunks at
        // offsets 0 and `stride`.
        unsafe { _mm256_loadu2_m128(p.add(stride), p) }
    }
}
