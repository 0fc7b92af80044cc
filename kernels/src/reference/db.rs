//! The crate's own `log2` and `exp2` (polynomial plus exponent tricks), the
//! only transcendental functions on the per-sample path. Every ISA
//! evaluates the same operations in the same order, so these define the
//! dB domain bit for bit (docs/kernels.md, "dB domain").

use super::clamp;
use core::f32::consts::SQRT_2;

/// `log2(1 + t) ~ t * P(t)` on `t` in `[sqrt(1/2) - 1, sqrt(2) - 1]`,
/// `P(t) = c0 + c1 t + ... + c5 t^5` (minimax fit, coefficients rounded to
/// `f32`; absolute error below 2.2e-6, i.e. 1.3e-5 dB).
pub const LOG2_COEFFS: [f32; 6] = [
    1.442_713_5,
    -0.721_131_86,
    0.479_348,
    -0.367_49,
    0.322_154_9,
    -0.206_591_81,
];

/// `2^f ~ Q(f) = d0 + d1 f + ... + d5 f^5` on `f` in `[-0.5, 0.5]` (minimax
/// fit, coefficients rounded to `f32`; relative error below 2.1e-7, i.e.
/// 1.8e-6 dB).
pub const EXP2_COEFFS: [f32; 6] = [
    1.000_000_1,
    0.693_147_24,
    0.240_221_07,
    0.055_502_973,
    0.009_676_036,
    0.001_341_000_5,
];

/// `20 * log10(2)`: dB per octave of amplitude.
pub const DB_PER_LOG2: f32 = 6.020_6;
/// `log2(10) / 20`: octaves of amplitude per dB.
pub const LOG2_PER_DB: f32 = 0.166_096_4;
/// [`exp2`] clamps its argument to `[-EXP2_LIMIT, EXP2_LIMIT]`, so its
/// result is a normal number between `2^-100` and `2^100`.
pub const EXP2_LIMIT: f32 = 100.0;
/// `1.5 * 2^23`: adding it rounds an `|x| < 2^22` to an integer.
pub const ROUNDER: f32 = 12_582_912.0;

/// Base-2 logarithm of a positive normal `x`.
///
/// `x = 2^e * m` with `m` in `[1, 2)` read from the bits; if `m > sqrt(2)`
/// then `m /= 2, e += 1`; with `t = m - 1` (exact), the result is
/// `fma(t, P(t), e)`, `P` evaluated by Horner's rule with `fma`.
#[inline(always)]
pub fn log2(x: f32) -> f32 {
    let bits = x.to_bits() as i32;
    let e = (bits >> 23).wrapping_sub(127);
    let m = f32::from_bits(((bits & 0x007f_ffff) | 0x3f80_0000) as u32);
    let (m, e) = if m > SQRT_2 {
        (m * 0.5, e as f32 + 1.0)
    } else {
        (m, e as f32)
    };
    let t = m - 1.0;
    let c = LOG2_COEFFS;
    let p = c[5]
        .mul_add(t, c[4])
        .mul_add(t, c[3])
        .mul_add(t, c[2])
        .mul_add(t, c[1])
        .mul_add(t, c[0]);
    t.mul_add(p, e)
}

/// `2^y` for a finite `y`, clamped to `[-EXP2_LIMIT, EXP2_LIMIT]`.
///
/// `n = round(y)` (ties to even) as `(y + ROUNDER) - ROUNDER`; `f = y - n`
/// (exact, in `[-0.5, 0.5]`); the result is `Q(f) * 2^n`, `Q` by Horner's
/// rule with `fma` and `2^n` built in the exponent field.
#[inline(always)]
pub fn exp2(y: f32) -> f32 {
    let y = clamp(y, -EXP2_LIMIT, EXP2_LIMIT);
    let r = y + ROUNDER;
    let f = y - (r - ROUNDER);
    let n = (r.to_bits() as i32).wrapping_sub(ROUNDER.to_bits() as i32);
    let scale = f32::from_bits((n.wrapping_add(127) << 23) as u32);
    let d = EXP2_COEFFS;
    let q = d[5]
        .mul_add(f, d[4])
        .mul_add(f, d[3])
        .mul_add(f, d[2])
        .mul_add(f, d[1])
        .mul_add(f, d[0]);
    q * scale
}
