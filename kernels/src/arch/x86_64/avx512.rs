//! AVX-512 (F, BW, DQ, VL) with FMA: sixteen `f32` lanes per `__m512`
//! register, masks in `__mmask16` registers.
//!
//! Every value operation goes through the safe intrinsics of the
//! [`pulp::x86::V4`] the token holds; only memory access, the entry point
//! and the empty `asm!` of [`Lanes::opaque`] are `unsafe`.

use crate::isa::Isa;
use crate::job::LaneJob;
use crate::lanes::Lanes;
use core::arch::x86_64::{
    __m512, __m512i, __mmask16, _CMP_EQ_OQ, _CMP_GE_OQ, _CMP_GT_OQ, _CMP_LE_OQ, _CMP_LT_OQ,
    _MM_HINT_T0,
};
use pulp::x86::{V3, V4};

use super::Avx2;

/// Token proving that this CPU runs AVX-512 F, BW, DQ and VL (and FMA), as
/// [`pulp::x86::V4`] detects it.
#[derive(Clone, Copy, Debug)]
pub struct Avx512(V4);

impl Avx512 {
    /// The token, if this CPU has AVX-512 F, BW, DQ, VL, AVX2 and FMA3.
    ///
    /// Detection is [`V4::try_new`]: everything [`V3`] requires (see
    /// [`Avx2::new`]) plus AVX-512 F, BW, CD, DQ and VL. CD is the one
    /// AVX-512 feature this crate does not use; every CPU with BW, DQ and
    /// VL (Skylake-SP and later, Zen 4 and later) has it.
    pub fn new() -> Option<Avx512> {
        V4::try_new().map(Avx512)
    }

    /// The AVX2 token of the same CPU (AVX-512 detection includes AVX2 and
    /// FMA3), for kernels this ISA runs on 8-lane registers
    /// ([`crate::engine::register_lanes`]).
    pub fn avx2(self) -> Avx2 {
        Avx2::implied_by(self)
    }

    /// The x86-64-v3 level this CPU also runs (`V4` includes `V3`).
    pub(super) fn v3(self) -> V3 {
        *self.0
    }
}

/// Lane indices `0..32` of a register pair, for [`Lanes::splice`].
static PAIR_INDEX: [i32; 32] = {
    let mut index = [0; 32];
    let mut i = 0;
    while i < 32 {
        index[i] = i as i32;
        i += 1;
    }
    index
};

#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
fn entry<J: LaneJob>(s: Avx512, job: J) -> J::Output {
    job.run(s)
}

/// `v` through an empty `asm!` block: see [`Lanes::opaque`].
#[target_feature(enable = "avx512f")]
#[inline]
fn opaque(mut v: __m512) -> __m512 {
    // SAFETY: an empty template: no instruction runs and no memory, stack
    // or flag is touched; `v` stays in its register.
    unsafe {
        core::arch::asm!("/* {0} */", inout(zmm_reg) v, options(pure, nomem, nostack, preserves_flags));
    }
    v
}

/// Lanes `0..n` set, for the masked partial loads and stores.
#[inline(always)]
fn prefix_mask(n: usize) -> __mmask16 {
    ((1u32 << n.min(16)) - 1) as __mmask16
}

impl crate::lanes::sealed::Sealed for Avx512 {}

impl Lanes for Avx512 {
    type V = __m512;
    type M = __mmask16;
    type I = __m512i;
    type Square = [__m512; 16];

    const LANES: usize = 16;
    const ISA: Isa = Isa::Avx512;

    #[inline]
    fn run_job<J: LaneJob>(self, job: J) -> J::Output {
        // SAFETY: an `Avx512` holds a `V4`, which `V4::try_new` returns only
        // after detecting every feature enabled on `entry`.
        unsafe { entry(self, job) }
    }

    #[inline(always)]
    fn splat(self, x: f32) -> __m512 {
        self.0.avx512f._mm512_set1_ps(x)
    }
    #[inline(always)]
    fn load(self, src: &[f32]) -> __m512 {
        let src = &src[..16];
        // SAFETY: `src` holds 16 readable floats (an unaligned load).
        unsafe { self.0.avx512f._mm512_loadu_ps(src.as_ptr()) }
    }
    #[inline(always)]
    fn store(self, dst: &mut [f32], v: __m512) {
        let dst = &mut dst[..16];
        // SAFETY: `dst` holds 16 writable floats (an unaligned store).
        unsafe { self.0.avx512f._mm512_storeu_ps(dst.as_mut_ptr(), v) }
    }
    #[inline(always)]
    fn load_partial(self, src: &[f32]) -> __m512 {
        let mask = prefix_mask(src.len());
        // SAFETY: the mask enables only lanes below `src.len()`, and
        // masked-off lanes are neither read nor faulted on.
        unsafe { self.0.avx512f._mm512_maskz_loadu_ps(mask, src.as_ptr()) }
    }
    #[inline(always)]
    fn store_partial(self, dst: &mut [f32], v: __m512) {
        let (f, mask) = (self.0.avx512f, prefix_mask(dst.len()));
        // SAFETY: the mask enables only lanes below `dst.len()`, and
        // masked-off lanes are neither written nor faulted on.
        unsafe { f._mm512_mask_storeu_ps(dst.as_mut_ptr(), mask, v) }
    }
    #[inline(always)]
    fn add(self, a: __m512, b: __m512) -> __m512 {
        self.0.avx512f._mm512_add_ps(a, b)
    }
    #[inline(always)]
    fn sub(self, a: __m512, b: __m512) -> __m512 {
        self.0.avx512f._mm512_sub_ps(a, b)
    }
    #[inline(always)]
    fn mul(self, a: __m512, b: __m512) -> __m512 {
        self.0.avx512f._mm512_mul_ps(a, b)
    }
    #[inline(always)]
    fn div(self, a: __m512, b: __m512) -> __m512 {
        self.0.avx512f._mm512_div_ps(a, b)
    }
    #[inline(always)]
    fn mul_add(self, a: __m512, b: __m512, c: __m512) -> __m512 {
        self.0.avx512f._mm512_fmadd_ps(a, b, c)
    }
    #[inline(always)]
    fn sqrt(self, a: __m512) -> __m512 {
        self.0.avx512f._mm512_sqrt_ps(a)
    }
    #[inline(always)]
    fn abs(self, a: __m512) -> __m512 {
        let f = self.0.avx512f;
        f._mm512_castsi512_ps(
            f._mm512_and_si512(f._mm512_castps_si512(a), f._mm512_set1_epi32(0x7fff_ffff)),
        )
    }
    #[inline(always)]
    fn min(self, a: __m512, b: __m512) -> __m512 {
        // `vminps` returns `a < b ? a : b`.
        self.0.avx512f._mm512_min_ps(a, b)
    }
    #[inline(always)]
    fn max(self, a: __m512, b: __m512) -> __m512 {
        // `vmaxps` returns `a > b ? a : b`.
        self.0.avx512f._mm512_max_ps(a, b)
    }
    #[inline(always)]
    fn lt(self, a: __m512, b: __m512) -> __mmask16 {
        self.0.avx512f._mm512_cmp_ps_mask::<_CMP_LT_OQ>(a, b)
    }
    #[inline(always)]
    fn le(self, a: __m512, b: __m512) -> __mmask16 {
        self.0.avx512f._mm512_cmp_ps_mask::<_CMP_LE_OQ>(a, b)
    }
    #[inline(always)]
    fn gt(self, a: __m512, b: __m512) -> __mmask16 {
        self.0.avx512f._mm512_cmp_ps_mask::<_CMP_GT_OQ>(a, b)
    }
    #[inline(always)]
    fn ge(self, a: __m512, b: __m512) -> __mmask16 {
        self.0.avx512f._mm512_cmp_ps_mask::<_CMP_GE_OQ>(a, b)
    }
    #[inline(always)]
    fn eq(self, a: __m512, b: __m512) -> __mmask16 {
        self.0.avx512f._mm512_cmp_ps_mask::<_CMP_EQ_OQ>(a, b)
    }
    #[inline(always)]
    fn select(self, m: __mmask16, t: __m512, f: __m512) -> __m512 {
        self.0.avx512f._mm512_mask_blend_ps(m, f, t)
    }
    #[inline(always)]
    fn select_m(self, m: __mmask16, t: __mmask16, f: __mmask16) -> __mmask16 {
        (m & t) | (!m & f)
    }
    #[inline(always)]
    fn and_m(self, a: __mmask16, b: __mmask16) -> __mmask16 {
        a & b
    }
    #[inline(always)]
    fn or_m(self, a: __mmask16, b: __mmask16) -> __mmask16 {
        a | b
    }
    #[inline(always)]
    fn splat_i(self, x: i32) -> __m512i {
        self.0.avx512f._mm512_set1_epi32(x)
    }
    #[inline(always)]
    fn bitcast_i(self, a: __m512) -> __m512i {
        self.0.avx512f._mm512_castps_si512(a)
    }
    #[inline(always)]
    fn bitcast_f(self, a: __m512i) -> __m512 {
        self.0.avx512f._mm512_castsi512_ps(a)
    }
    #[inline(always)]
    fn add_i(self, a: __m512i, b: __m512i) -> __m512i {
        self.0.avx512f._mm512_add_epi32(a, b)
    }
    #[inline(always)]
    fn sub_i(self, a: __m512i, b: __m512i) -> __m512i {
        self.0.avx512f._mm512_sub_epi32(a, b)
    }
    #[inline(always)]
    fn and_i(self, a: __m512i, b: __m512i) -> __m512i {
        self.0.avx512f._mm512_and_si512(a, b)
    }
    #[inline(always)]
    fn or_i(self, a: __m512i, b: __m512i) -> __m512i {
        self.0.avx512f._mm512_or_si512(a, b)
    }
    #[inline(always)]
    fn shl23_i(self, a: __m512i) -> __m512i {
        self.0.avx512f._mm512_slli_epi32::<23>(a)
    }
    #[inline(always)]
    fn shr23_i(self, a: __m512i) -> __m512i {
        self.0.avx512f._mm512_srai_epi32::<23>(a)
    }
    #[inline(always)]
    fn to_f32(self, a: __m512i) -> __m512 {
        self.0.avx512f._mm512_cvtepi32_ps(a)
    }
    #[inline(always)]
    fn swap_lanes(self, v: __m512, d: usize) -> __m512 {
        let f = self.0.avx512f;
        match d {
            1 => f._mm512_permute_ps::<0b10_11_00_01>(v),
            2 => f._mm512_permute_ps::<0b01_00_11_10>(v),
            4 => f._mm512_shuffle_f32x4::<0b10_11_00_01>(v, v),
            _ => f._mm512_shuffle_f32x4::<0b01_00_11_10>(v, v),
        }
    }
    #[inline(always)]
    fn transpose4(self, b: &mut [__m512; 4]) {
        // Only in-lane register shuffles.
        let f = self.0.avx512f;
        let t0 = f._mm512_unpacklo_ps(b[0], b[1]);
        let t1 = f._mm512_unpackhi_ps(b[0], b[1]);
        let t2 = f._mm512_unpacklo_ps(b[2], b[3]);
        let t3 = f._mm512_unpackhi_ps(b[2], b[3]);
        b[0] = f._mm512_shuffle_ps::<0x44>(t0, t2);
        b[1] = f._mm512_shuffle_ps::<0xee>(t0, t2);
        b[2] = f._mm512_shuffle_ps::<0x44>(t1, t3);
        b[3] = f._mm512_shuffle_ps::<0xee>(t1, t3);
    }
    #[inline(always)]
    fn zero_square(self) -> [__m512; 16] {
        [self.zero(); 16]
    }
    #[inline(always)]
    fn transpose(self, b: &mut [__m512; 16]) {
        // Each quarter of four registers as 4x4 blocks within the 128-bit
        // chunks: chunk c of quarter[q][m] then holds rows 4q..4q + 4 of
        // column 4c + m.
        let mut quarter = [[self.zero(); 4]; 4];
        for (q, quarter) in quarter.iter_mut().enumerate() {
            *quarter = [b[4 * q], b[4 * q + 1], b[4 * q + 2], b[4 * q + 3]];
            self.transpose4(quarter);
        }
        // Then a 4x4 transpose of chunks across the quarters: column
        // 4c + m is chunk c of quarter[0..4][m], in order.
        let f = self.0.avx512f;
        for m in 0..4 {
            let x = [quarter[0][m], quarter[1][m], quarter[2][m], quarter[3][m]];
            let t0 = f._mm512_shuffle_f32x4::<0x44>(x[0], x[1]);
            let t1 = f._mm512_shuffle_f32x4::<0xee>(x[0], x[1]);
            let t2 = f._mm512_shuffle_f32x4::<0x44>(x[2], x[3]);
            let t3 = f._mm512_shuffle_f32x4::<0xee>(x[2], x[3]);
            b[m] = f._mm512_shuffle_f32x4::<0x88>(t0, t2);
            b[4 + m] = f._mm512_shuffle_f32x4::<0xdd>(t0, t2);
            b[8 + m] = f._mm512_shuffle_f32x4::<0x88>(t1, t3);
            b[12 + m] = f._mm512_shuffle_f32x4::<0xdd>(t1, t3);
        }
    }
    #[inline(always)]
    fn store_stream(self, dst: &mut [f32], v: __m512) {
        let dst = &mut dst[..Self::LANES];
        let p = dst.as_mut_ptr();
        if (p as usize).is_multiple_of(64) {
            // SAFETY: `dst` holds `LANES` floats and starts on the 64-byte
            // boundary a non-temporal store needs.
            unsafe { self.0.avx512f._mm512_stream_ps(p, v) }
        } else {
            self.store(dst, v);
        }
    }
    #[inline(always)]
    fn splice(self, prev: __m512, cur: __m512, shift: usize) -> __m512 {
        // Lane j takes lane `shift + j` of the pair (index bit 4 picks `cur`).
        let index = &PAIR_INDEX[shift % 16..][..16];
        // SAFETY: `index` holds 16 `i32` (an unaligned load).
        let index = unsafe { self.0.avx512f._mm512_loadu_si512(index.as_ptr().cast()) };
        // The permute only moves lanes.
        self.0.avx512f._mm512_permutex2var_ps(prev, index, cur)
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
    fn opaque(self, v: __m512) -> __m512 {
        // SAFETY: `self` proves AVX-512F, the feature `opaque` enables.
        unsafe { opaque(v) }
    }
    #[inline(always)]
    fn store_chunks(self, dst: &mut [f32], stride: usize, v: __m512) {
        let dst = &mut dst[..3 * stride + 4];
        let p = dst.as_mut_ptr();
        let f = self.0.avx512f;
        let chunks = [
            f._mm512_castps512_ps128(v),
            f._mm512_extractf32x4_ps::<1>(v),
            f._mm512_extractf32x4_ps::<2>(v),
            f._mm512_extractf32x4_ps::<3>(v),
        ];
        let sse = self.0.sse;
        // SAFETY: `dst` covers the four 4-float chunks at offsets 0, stride,
        // 2 * stride and 3 * stride (unaligned stores).
        unsafe {
            sse._mm_storeu_ps(p, chunks[0]);
            sse._mm_storeu_ps(p.add(stride), chunks[1]);
            sse._mm_storeu_ps(p.add(2 * stride), chunks[2]);
            sse._mm_storeu_ps(p.add(3 * stride), chunks[3]);
        }
    }
    #[inline(always)]
    fn load_chunks(self, src: &[f32], stride: usize) -> __m512 {
        let src = &src[..3 * stride + 4];
        let p = src.as_ptr();
        let avx = self.0.avx;
        // SAFETY: `src` covers the four 4-float chunks at offsets 0, stride,
        // 2 * stride and 3 * stride (unaligned loads).
        let (lo, hi) = unsafe {
            (
                avx._mm256_loadu2_m128(p.add(stride), p),
                avx._mm256_loadu2_m128(p.add(3 * stride), p.add(2 * stride)),
            )
        };
        self.0
            .avx512dq
            ._mm512_insertf32x8::<1>(self.0.avx512f._mm512_castps256_ps512(lo), hi)
    }
}
