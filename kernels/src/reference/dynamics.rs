//! The compressor's stages, one channel (one slot) at a time: level
//! detection, gain computer, gain smoothing, gain application, linking, and
//! the fused compressor that chains them. docs/kernels.md states the same
//! formulas.
//!
//! Parameter structs hold the values the kernels read (coefficients, slopes,
//! dB values) as `f32`; `lanedsp` derives them from user settings.

use super::db::{LOG2_PER_DB, exp2, log2};
use super::{clamp, flush, follow, magnitude, max, min, sanitize};
use crate::policy::INPUT_FLOOR;

/// Below this magnitude (`2^-48`, about -289 dBFS) a sample counts as `0`
/// for the RMS detector, so that its square (at least `2^-96`) stays normal.
pub const RMS_FLOOR: f32 = f32::from_bits((127 - 48) << 23);
/// Levels below [`INPUT_FLOOR`] (about -578 dBFS) are read as that level.
pub const LEVEL_FLOOR: f32 = INPUT_FLOOR;
/// The total gain (dB) is clamped to `[-GAIN_LIMIT_DB, GAIN_LIMIT_DB]`.
pub const GAIN_LIMIT_DB: f32 = 600.0;

/// Level detector of one slot.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Detector {
    /// Follow `x^2` (RMS) instead of `|x|` (peak).
    pub rms: bool,
    /// Coefficient while the level rises.
    pub attack: f32,
    /// Coefficient while the level falls.
    pub release: f32,
}

/// Static curve of one slot (see [`gain_change`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Curve {
    /// dB per octave of the detector value: `20 log10 2` for peak (an
    /// amplitude), `10 log10 2` for RMS (a power, so no square root).
    pub db_scale: f32,
    /// Threshold `T` in dB.
    pub threshold: f32,
    /// Slope `a` of the gain change above the knee (`1/R - 1` downward).
    pub above: f32,
    /// Slope `b` of the gain change below the knee (`R - 1` expanding,
    /// `1/R - 1` upward).
    pub below: f32,
    /// Half the knee width `W / 2` in dB.
    pub half_knee: f32,
    /// `a / (2W)`, the quadratic above the threshold (0 if `W = 0`).
    pub above_knee: f32,
    /// `-b / (2W)`, the quadratic below the threshold (0 if `W = 0`).
    pub below_knee: f32,
    /// Lowest gain change in dB.
    pub range_lo: f32,
    /// Highest gain change in dB.
    pub range_hi: f32,
}

/// Gain smoother of one slot.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Smoother {
    /// Makeup gain in dB, added before smoothing.
    pub makeup: f32,
    /// Coefficient while the gain falls (more reduction).
    pub attack: f32,
    /// Coefficient while the gain rises.
    pub release: f32,
}

/// Gain application of one slot.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Apply {
    /// Wet share in `[0, 1]` (already sanitized).
    pub mix: f32,
    /// Coefficient of the one-pole that glides the mix to a new value.
    pub mix_coeff: f32,
}

/// Link of one slot with the others of its block.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Link {
    /// How far the level moves to the group's: `0` unlinked, `1` fully.
    pub amount: f32,
    /// Size of the slot's block (power of two, 1 when unlinked).
    pub block: f32,
    /// `1 / channels in the group`, for the mean.
    pub inv_count: f32,
    /// Mean of the group rather than its maximum.
    pub mean: bool,
}

/// Everything the fused compressor reads for one slot.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Compressor {
    /// Level detection.
    pub detector: Detector,
    /// Static curve.
    pub curve: Curve,
    /// Gain smoothing and makeup.
    pub smoother: Smoother,
    /// Gain application and mix.
    pub apply: Apply,
    /// Linking.
    pub link: Link,
}

/// State of the fused compressor for one slot.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompressorState {
    /// Detector value (amplitude, or power for RMS).
    pub env: f32,
    /// Smoothed total gain in dB (makeup included).
    pub gain: f32,
    /// Current mix.
    pub mix: f32,
    /// Lowest `gain - makeup` since the meter was reset.
    pub meter: f32,
}

impl CompressorState {
    /// The state after a reset: no level, the gain at its makeup, the mix at
    /// its target.
    pub fn new(p: &Compressor) -> Self {
        CompressorState {
            env: 0.0,
            gain: sanitize(clamp(p.smoother.makeup, -GAIN_LIMIT_DB, GAIN_LIMIT_DB)),
            mix: p.apply.mix,
            meter: 0.0,
        }
    }
}

/// One detector step: the level of the sanitized key, `|k|` (peak) or `k^2`
/// (RMS, with `|k| < RMS_FLOOR` read as 0), followed with attack/release.
#[inline(always)]
pub fn detect(p: &Detector, env: f32, key: f32) -> f32 {
    detect_magnitude(p, env, magnitude(key))
}

/// [`detect`] from `a = |sanitize(key)|`.
#[inline(always)]
pub fn detect_magnitude(p: &Detector, env: f32, a: f32) -> f32 {
    let d = if p.rms {
        if a >= RMS_FLOOR { a * a } else { 0.0 }
    } else {
        a
    };
    follow(env, d, p.attack, p.release)
}

/// The static curve: gain change in dB for a detector value.
///
/// `L = db_scale * log2(max(env, LEVEL_FLOOR))`, `o = L - T`, then (Giannoulis,
/// Massberg, Reiss 2012, generalised to both sides of the threshold):
/// above part `a*o` if `o >= W/2`, `a/(2W) * (o + W/2)^2` if `o > -W/2`,
/// else 0; below part `b*o` if `o <= -W/2`, `-b/(2W) * (o - W/2)^2` if
/// `o < W/2`, else 0; their sum clamped to `[range_lo, range_hi]`.
#[inline(always)]
pub fn gain_change(p: &Curve, env: f32) -> f32 {
    let level = p.db_scale * log2(max(env, LEVEL_FLOOR));
    let o = level - p.threshold;
    let low_edge = 0.0 - p.half_knee;
    let above = if o >= p.half_knee {
        p.above * o
    } else if o > low_edge {
        let t = o + p.half_knee;
        p.above_knee * (t * t)
    } else {
        0.0
    };
    let below = if o <= low_edge {
        p.below * o
    } else if o < p.half_knee {
        let t = o - p.half_knee;
        p.below_knee * (t * t)
    } else {
        0.0
    };
    clamp(above + below, p.range_lo, p.range_hi)
}

/// The static curve as a stage of its own, on a raw input:
/// `gain_change(p, x + 0)`.
///
/// The `+ 0` quiets a signalling NaN. Compilers may treat a signalling NaN
/// as quiet (LLVM's default floating-point model, which Rust inherits), and
/// may lower `max(x, constant)` to an instruction that returns NaN for a
/// signalling NaN (AArch64's `fmaxnm`) but the constant for a quiet one;
/// after any arithmetic the NaN is quiet and `max` gives the constant on
/// every target. Inside the fused kernel the level is a detector state,
/// never NaN, so the fused kernel skips the addition (for a detector value
/// `x + 0 == x`, so the chain of stages still equals the fused kernel).
#[inline(always)]
pub fn curve_stage(p: &Curve, x: f32) -> f32 {
    gain_change(p, x + 0.0)
}

/// One smoothing step: the target `gain change + makeup` (clamped to
/// `±GAIN_LIMIT_DB`, sanitized) followed with release while rising and
/// attack while falling.
#[inline(always)]
pub fn smooth(p: &Smoother, gain: f32, change: f32) -> f32 {
    // The clamp maps NaN to -GAIN_LIMIT_DB (`max` returns its second
    // operand), so the target is finite and far below INPUT_CEIL: of
    // `sanitize`, only the flush of tiny values can change it.
    let target = clamp(change + p.makeup, -GAIN_LIMIT_DB, GAIN_LIMIT_DB);
    follow(gain, flush(target), p.release, p.attack)
}

/// One application step: glides the mix, converts the gain to linear, and
/// returns `(clamp(sanitize(x) * fma(mix, 2^(gain * LOG2_PER_DB), 1 - mix),
/// -f32::MAX, f32::MAX), mix)` with results below `f32::MIN_POSITIVE` in
/// magnitude flushed to `0`.
#[inline(always)]
pub fn apply(p: &Apply, mix: f32, gain: f32, x: f32) -> (f32, f32) {
    apply_sanitized(p, mix, gain, sanitize(x))
}

/// [`apply`] on `sanitize(x)`.
#[inline(always)]
pub fn apply_sanitized(p: &Apply, mix: f32, gain: f32, x: f32) -> (f32, f32) {
    let mix = follow(mix, p.mix, p.mix_coeff, p.mix_coeff);
    let linear = exp2(gain * LOG2_PER_DB);
    let w = mix.mul_add(linear, 1.0 - mix);
    // Saturate an overflow (a +600 dB gain on a 2^60 input) to ±f32::MAX.
    let y = clamp(x * w, -f32::MAX, f32::MAX);
    let y = if y.abs() < f32::MIN_POSITIVE { 0.0 } else { y };
    (y, mix)
}

/// The detector values of a row of slots after linking.
///
/// Within each block, a butterfly combines slot `i` with slot `i ^ d` for
/// `d = 1, 2, 4, 8` while `d < block` (maximum `a > b ? a : b`, or sum for
/// the mean, then times `inv_count`); each slot then moves to the group
/// value by `amount`: `fma(amount, group - env, env)`.
pub fn link(links: &[Link], env: &[f32]) -> Vec<f32> {
    let mut v = env.to_vec();
    let mut d = 1;
    while d < crate::plan::MAX_LINK {
        let prev = v.clone();
        for (i, out) in v.iter_mut().enumerate() {
            if links[i].block > d as f32 {
                let (a, b) = (prev[i], prev[i ^ d]);
                *out = if links[i].mean { a + b } else { max(a, b) };
            }
        }
        d *= 2;
    }
    v.iter()
        .zip(env)
        .zip(links)
        .map(|((&group, &e), l)| {
            let group = if l.mean { group * l.inv_count } else { group };
            l.amount.mul_add(group - e, e)
        })
        .collect()
}

/// The rest of a fused step after detection (and linking): gain change,
/// smoothing, meter, application. Returns the output sample.
#[inline(always)]
pub fn finish(p: &Compressor, st: &mut CompressorState, level: f32, x: f32) -> f32 {
    let change = gain_change(&p.curve, level);
    st.gain = smooth(&p.smoother, st.gain, change);
    let reduction = st.gain - p.smoother.makeup;
    st.meter = min(reduction, st.meter);
    let (y, mix) = apply(&p.apply, st.mix, st.gain, x);
    st.mix = mix;
    y
}

/// The fused compressor over one unlinked channel: `key` drives the
/// detector (pass `input` itself when there is no sidechain). Inlined
/// where called, so that a caller compiled with an ISA's features (the
/// benchmarks' native baseline) compiles this loop with them.
#[inline(always)]
pub fn compress(
    p: &Compressor,
    st: &mut CompressorState,
    input: &[f32],
    key: &[f32],
    output: &mut [f32],
) {
    for ((y, &x), &k) in output.iter_mut().zip(input).zip(key) {
        st.env = detect(&p.detector, st.env, k);
        *y = finish(p, st, st.env, x);
    }
}

/// The fused compressor over a row of slots with linking, frame by frame:
/// `input[slot][n]` (padding slots hold zeros), the same for `key`.
pub fn compress_linked(
    p: &[Compressor],
    st: &mut [CompressorState],
    input: &[Vec<f32>],
    key: &[Vec<f32>],
    output: &mut [Vec<f32>],
) {
    let frames = input.first().map_or(0, Vec::len);
    let links: Vec<Link> = p.iter().map(|p| p.link).collect();
    for n in 0..frames {
        let env: Vec<f32> = st
            .iter_mut()
            .zip(p)
            .zip(key)
            .map(|((st, p), key)| {
                st.env = detect(&p.detector, st.env, key[n]);
                st.env
            })
            .collect();
        let level = link(&links, &env);
        for (slot, ((p, st), out)) in p
            .iter()
            .zip(st.iter_mut())
            .zip(output.iter_mut())
            .enumerate()
        {
            out[n] = finish(p, st, level[slot], input[slot][n]);
        }
    }
}
