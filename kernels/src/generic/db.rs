//! Lane forms of [`crate::reference::db`], operation for operation.

use crate::lanes::Lanes;
use crate::reference::db::{EXP2_COEFFS, EXP2_LIMIT, LOG2_COEFFS, ROUNDER};
use core::f32::consts::SQRT_2;

/// Lane form of [`crate::reference::db::log2`].
#[inline(always)]
pub fn log2<S: Lanes>(s: S, x: S::V) -> S::V {
    let bits = s.bitcast_i(x);
    let e = s.to_f32(s.sub_i(s.shr23_i(bits), s.splat_i(127)));
    let mantissa = s.or_i(
        s.and_i(bits, s.splat_i(0x007f_ffff)),
        s.splat_i(0x3f80_0000),
    );
    let m = s.bitcast_f(mantissa);
    let big = s.gt(m, s.splat(SQRT_2));
    let m = s.select(big, s.mul(m, s.splat(0.5)), m);
    let e = s.select(big, s.add(e, s.splat(1.0)), e);
    let t = s.sub(m, s.splat(1.0));
    let c = LOG2_COEFFS;
    let mut p = s.splat(c[5]);
    for &k in c[..5].iter().rev() {
        p = s.mul_add(p, t, s.splat(k));
    }
    s.mul_add(t, p, e)
}

/// Lane form of [`crate::reference::db::exp2`].
#[inline(always)]
pub fn exp2<S: Lanes>(s: S, y: S::V) -> S::V {
    let y = s.min(s.max(y, s.splat(-EXP2_LIMIT)), s.splat(EXP2_LIMIT));
    let rounder = s.splat(ROUNDER);
    let r = s.add(y, rounder);
    let f = s.sub(y, s.sub(r, rounder));
    let n = s.sub_i(s.bitcast_i(r), s.splat_i(ROUNDER.to_bits() as i32));
    let scale = s.bitcast_f(s.shl23_i(s.add_i(n, s.splat_i(127))));
    let d = EXP2_COEFFS;
    let mut q = s.splat(d[5]);
    for &k in d[..5].iter().rev() {
        q = s.mul_add(q, f, s.splat(k));
    }
    s.mul(q, scale)
}
