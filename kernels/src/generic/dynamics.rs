//! The compressor's stages over lanes, as [`LaneKernel`]s: each stage alone
//! (for the unfused chain and its tests) and the fused compressor, with and
//! without linking. Each function is the lane form of the function of the
//! same name in [`crate::reference::dynamics`].

use super::db::{exp2, log2};
use super::{Ballistics, flush, follow, longest, magnitude, sanitize};
use crate::bank::Bank;
use crate::kernel::{LaneKernel, TIMED_FRAMES, TimedRun};
use crate::lanes::Lanes;
use crate::policy::STATE_FLUSH;
use crate::reference::db::LOG2_PER_DB;
use crate::reference::dynamics::{
    Apply, Compressor, CompressorState, Curve, Detector, GAIN_LIMIT_DB, LEVEL_FLOOR, Link,
    RMS_FLOOR, Smoother,
};

/// Bank rows of each stage's parameters, and how to write them.
pub mod rows {
    use super::*;

    /// Rows of [`Detector`]: rms flag, attack, release.
    pub const DETECTOR: usize = 3;
    /// Rows of [`Curve`].
    pub const CURVE: usize = 9;
    /// Rows of [`Smoother`]: makeup, attack, release.
    pub const SMOOTHER: usize = 3;
    /// Rows of [`Apply`]: mix, mix coefficient.
    pub const APPLY: usize = 2;
    /// Rows of [`Link`]: amount, block, inverse count, mean flag.
    pub const LINK: usize = 4;
    /// First row of each stage in the fused compressor's bank.
    pub const AT_CURVE: usize = DETECTOR;
    /// First smoother row in the fused bank.
    pub const AT_SMOOTHER: usize = AT_CURVE + CURVE;
    /// First apply row in the fused bank.
    pub const AT_APPLY: usize = AT_SMOOTHER + SMOOTHER;
    /// First link row in the fused bank.
    pub const AT_LINK: usize = AT_APPLY + APPLY;
    /// Rows of the fused compressor.
    pub const COMPRESSOR: usize = AT_LINK + LINK;
    /// State rows of the fused compressor: env, gain, mix, meter.
    pub const COMPRESSOR_STATE: usize = 4;

    fn flag(b: bool) -> f32 {
        if b { 1.0 } else { 0.0 }
    }

    /// Writes `values` to rows `row..` of `slot`.
    fn put(bank: &mut Bank, row: usize, slot: usize, values: &[f32]) {
        for (i, &v) in values.iter().enumerate() {
            bank.row_mut(row + i)[slot] = v;
        }
    }

    /// Writes a detector's rows starting at `row`.
    pub fn detector(bank: &mut Bank, row: usize, slot: usize, p: &Detector) {
        put(bank, row, slot, &[flag(p.rms), p.attack, p.release]);
    }

    /// Writes a curve's rows starting at `row`.
    pub fn curve(bank: &mut Bank, row: usize, slot: usize, p: &Curve) {
        let v = [
            p.db_scale,
            p.threshold,
            p.above,
            p.below,
            p.half_knee,
            p.above_knee,
            p.below_knee,
            p.range_lo,
            p.range_hi,
        ];
        put(bank, row, slot, &v);
    }

    /// Writes a smoother's rows starting at `row`.
    pub fn smoother(bank: &mut Bank, row: usize, slot: usize, p: &Smoother) {
        put(bank, row, slot, &[p.makeup, p.attack, p.release]);
    }

    /// Writes an application's rows starting at `row`.
    pub fn apply(bank: &mut Bank, row: usize, slot: usize, p: &Apply) {
        put(bank, row, slot, &[p.mix, p.mix_coeff]);
    }

    /// Writes a link's rows starting at `row`.
    pub fn link(bank: &mut Bank, row: usize, slot: usize, p: &Link) {
        put(
            bank,
            row,
            slot,
            &[p.amount, p.block, p.inv_count, flag(p.mean)],
        );
    }

    /// Writes every row of the fused compressor for `slot`.
    pub fn compressor(bank: &mut Bank, slot: usize, p: &Compressor) {
        detector(bank, 0, slot, &p.detector);
        curve(bank, AT_CURVE, slot, &p.curve);
        smoother(bank, AT_SMOOTHER, slot, &p.smoother);
        apply(bank, AT_APPLY, slot, &p.apply);
        link(bank, AT_LINK, slot, &p.link);
    }

    /// Writes the fused compressor's state of `slot`.
    pub fn compressor_state(bank: &mut Bank, slot: usize, st: &CompressorState) {
        put(bank, 0, slot, &[st.env, st.gain, st.mix, st.meter]);
    }

    /// Reads every row of the fused compressor for `slot`.
    pub fn read_compressor(bank: &Bank, slot: usize) -> Compressor {
        let v = |row: usize| bank.row(row)[slot];
        let c = AT_CURVE;
        Compressor {
            detector: Detector {
                rms: v(0) > 0.5,
                attack: v(1),
                release: v(2),
            },
            curve: Curve {
                db_scale: v(c),
                threshold: v(c + 1),
                above: v(c + 2),
                below: v(c + 3),
                half_knee: v(c + 4),
                above_knee: v(c + 5),
                below_knee: v(c + 6),
                range_lo: v(c + 7),
                range_hi: v(c + 8),
            },
            smoother: Smoother {
                makeup: v(AT_SMOOTHER),
                attack: v(AT_SMOOTHER + 1),
                release: v(AT_SMOOTHER + 2),
            },
            apply: Apply {
                mix: v(AT_APPLY),
                mix_coeff: v(AT_APPLY + 1),
            },
            link: Link {
                amount: v(AT_LINK),
                block: v(AT_LINK + 1),
                inv_count: v(AT_LINK + 2),
                mean: v(AT_LINK + 3) > 0.5,
            },
        }
    }

    /// Reads the fused compressor's state of `slot`.
    pub fn read_compressor_state(bank: &Bank, slot: usize) -> CompressorState {
        CompressorState {
            env: bank.row(0)[slot],
            gain: bank.row(1)[slot],
            mix: bank.row(2)[slot],
            meter: bank.row(3)[slot],
        }
    }
}

#[inline(always)]
fn load<S: Lanes>(s: S, bank: &Bank, row: usize, at: usize) -> S::V {
    s.load(&bank.row(row)[at..])
}

#[inline(always)]
fn flag<S: Lanes>(s: S, bank: &Bank, row: usize, at: usize) -> S::M {
    s.gt(load(s, bank, row, at), s.splat(0.5))
}

/// [`Detector`] of one register.
#[derive(Clone, Copy, Debug)]
pub struct DetectorLanes<S: Lanes> {
    rms: S::M,
    ballistics: Ballistics<S>,
}

impl<S: Lanes> DetectorLanes<S> {
    #[inline(always)]
    fn load(s: S, bank: &Bank, row: usize, at: usize) -> Self {
        DetectorLanes {
            rms: flag(s, bank, row, at),
            ballistics: Ballistics::new(s, load(s, bank, row + 1, at), load(s, bank, row + 2, at)),
        }
    }
}

/// [`Curve`] of one register.
#[derive(Clone, Copy, Debug)]
pub struct CurveLanes<S: Lanes> {
    db_scale: S::V,
    threshold: S::V,
    above: S::V,
    below: S::V,
    half_knee: S::V,
    above_knee: S::V,
    below_knee: S::V,
    range_lo: S::V,
    range_hi: S::V,
}

impl<S: Lanes> CurveLanes<S> {
    #[inline(always)]
    fn load(s: S, bank: &Bank, row: usize, at: usize) -> Self {
        let v = |i: usize| load(s, bank, row + i, at);
        CurveLanes {
            db_scale: v(0),
            threshold: v(1),
            above: v(2),
            below: v(3),
            half_knee: v(4),
            above_knee: v(5),
            below_knee: v(6),
            range_lo: v(7),
            range_hi: v(8),
        }
    }
}

impl<S: Lanes> DetectorLanes<S> {
    /// One detector in every lane.
    #[inline(always)]
    fn splat(s: S, p: &Detector) -> Self {
        let rms = if p.rms { 1.0 } else { 0.0 };
        DetectorLanes {
            rms: s.gt(s.splat(rms), s.splat(0.5)),
            ballistics: Ballistics::new(s, s.splat(p.attack), s.splat(p.release)),
        }
    }
}

impl<S: Lanes> SmootherLanes<S> {
    /// One smoother in every lane.
    #[inline(always)]
    fn splat(s: S, p: &Smoother) -> Self {
        SmootherLanes {
            makeup: s.splat(p.makeup),
            ballistics: Ballistics::new(s, s.splat(p.release), s.splat(p.attack)),
        }
    }
}

impl<S: Lanes> ApplyLanes<S> {
    /// One application in every lane.
    #[inline(always)]
    fn splat(s: S, p: &Apply) -> Self {
        let coeff = s.splat(p.mix_coeff);
        ApplyLanes {
            mix: s.splat(p.mix),
            glide: Ballistics::new(s, coeff, coeff),
        }
    }
}

impl<S: Lanes> CurveLanes<S> {
    /// One curve in every lane.
    #[inline(always)]
    fn splat(s: S, p: &Curve) -> Self {
        CurveLanes {
            db_scale: s.splat(p.db_scale),
            threshold: s.splat(p.threshold),
            above: s.splat(p.above),
            below: s.splat(p.below),
            half_knee: s.splat(p.half_knee),
            above_knee: s.splat(p.above_knee),
            below_knee: s.splat(p.below_knee),
            range_lo: s.splat(p.range_lo),
            range_hi: s.splat(p.range_hi),
        }
    }
}

/// [`Smoother`] of one register.
#[derive(Clone, Copy, Debug)]
pub struct SmootherLanes<S: Lanes> {
    makeup: S::V,
    ballistics: Ballistics<S>,
}

impl<S: Lanes> SmootherLanes<S> {
    #[inline(always)]
    fn load(s: S, bank: &Bank, row: usize, at: usize) -> Self {
        // Rising gain releases, falling gain attacks.
        let (attack, release) = (load(s, bank, row + 1, at), load(s, bank, row + 2, at));
        SmootherLanes {
            makeup: load(s, bank, row, at),
            ballistics: Ballistics::new(s, release, attack),
        }
    }
}

/// [`Apply`] of one register.
#[derive(Clone, Copy, Debug)]
pub struct ApplyLanes<S: Lanes> {
    mix: S::V,
    glide: Ballistics<S>,
}

impl<S: Lanes> ApplyLanes<S> {
    #[inline(always)]
    fn load(s: S, bank: &Bank, row: usize, at: usize) -> Self {
        let coeff = load(s, bank, row + 1, at);
        ApplyLanes {
            mix: load(s, bank, row, at),
            glide: Ballistics::new(s, coeff, coeff),
        }
    }
}

/// [`Link`] of one register.
#[derive(Clone, Copy, Debug)]
pub struct LinkLanes<S: Lanes> {
    amount: S::V,
    block: S::V,
    inv_count: S::V,
    mean: S::M,
}

impl<S: Lanes> LinkLanes<S> {
    #[inline(always)]
    fn load(s: S, bank: &Bank, row: usize, at: usize) -> Self {
        LinkLanes {
            amount: load(s, bank, row, at),
            block: load(s, bank, row + 1, at),
            inv_count: load(s, bank, row + 2, at),
            mean: flag(s, bank, row + 3, at),
        }
    }
}

/// Lane form of [`crate::reference::dynamics::detect`].
#[inline(always)]
pub fn detect<S: Lanes>(s: S, p: &DetectorLanes<S>, env: S::V, key: S::V) -> S::V {
    detect_magnitude(s, p, env, magnitude(s, key))
}

/// Lane form of [`crate::reference::dynamics::detect_magnitude`].
#[inline(always)]
pub fn detect_magnitude<S: Lanes>(s: S, p: &DetectorLanes<S>, env: S::V, a: S::V) -> S::V {
    let squared = s.select(s.ge(a, s.splat(RMS_FLOOR)), s.mul(a, a), s.zero());
    let d = s.select(p.rms, squared, a);
    follow(s, env, d, &p.ballistics)
}

/// Lane form of [`crate::reference::dynamics::gain_change`].
#[inline(always)]
pub fn gain_change<S: Lanes>(s: S, p: &CurveLanes<S>, env: S::V) -> S::V {
    let level = s.mul(p.db_scale, log2(s, s.max(env, s.splat(LEVEL_FLOOR))));
    let o = s.sub(level, p.threshold);
    let low_edge = s.sub(s.zero(), p.half_knee);
    let t = s.add(o, p.half_knee);
    let above_knee = s.select(
        s.gt(o, low_edge),
        s.mul(p.above_knee, s.mul(t, t)),
        s.zero(),
    );
    let above = s.select(s.ge(o, p.half_knee), s.mul(p.above, o), above_knee);
    let t = s.sub(o, p.half_knee);
    let below_knee = s.select(
        s.lt(o, p.half_knee),
        s.mul(p.below_knee, s.mul(t, t)),
        s.zero(),
    );
    let below = s.select(s.le(o, low_edge), s.mul(p.below, o), below_knee);
    s.min(s.max(s.add(above, below), p.range_lo), p.range_hi)
}

/// Lane form of [`crate::reference::dynamics::smooth`].
#[inline(always)]
pub fn smooth<S: Lanes>(s: S, p: &SmootherLanes<S>, gain: S::V, change: S::V) -> S::V {
    let limit = s.splat(GAIN_LIMIT_DB);
    let target = s.min(
        s.max(s.add(change, p.makeup), s.sub(s.zero(), limit)),
        limit,
    );
    follow(s, gain, flush(s, target), &p.ballistics)
}

/// Lane form of [`crate::reference::dynamics::apply`]: `(output, mix)`.
#[inline(always)]
pub fn apply<S: Lanes>(s: S, p: &ApplyLanes<S>, mix: S::V, gain: S::V, x: S::V) -> (S::V, S::V) {
    apply_sanitized(s, p, mix, gain, sanitize(s, x))
}

/// Lane form of [`crate::reference::dynamics::apply_sanitized`].
#[inline(always)]
pub fn apply_sanitized<S: Lanes>(
    s: S,
    p: &ApplyLanes<S>,
    mix: S::V,
    gain: S::V,
    x: S::V,
) -> (S::V, S::V) {
    let mix = follow(s, mix, p.mix, &p.glide);
    (apply_mixed(s, mix, gain, x), mix)
}

/// The stateless part of [`apply_sanitized`]: the output from the glided
/// mix, the gain and the sanitized input.
#[inline(always)]
fn apply_mixed<S: Lanes>(s: S, mix: S::V, gain: S::V, x: S::V) -> S::V {
    let linear = exp2(s, s.mul(gain, s.splat(LOG2_PER_DB)));
    let w = s.mul_add(mix, linear, s.sub(s.splat(1.0), mix));
    // Saturate an overflow (a +600 dB gain on a 2^60 input) to ±f32::MAX.
    let y = s.min(s.max(s.mul(x, w), s.splat(-f32::MAX)), s.splat(f32::MAX));
    let tiny = s.lt(s.abs(y), s.splat(f32::MIN_POSITIVE));
    s.select(tiny, s.zero(), y)
}

/// Loads `LANES` values from `src`, or fewer (the rest `0`) at its end.
#[inline(always)]
fn load_run<S: Lanes>(s: S, src: &[f32]) -> S::V {
    if src.len() >= S::LANES {
        s.load(src)
    } else {
        s.load_partial(src)
    }
}

/// Stores `v` to `dst`, only `dst.len()` lanes at its end.
#[inline(always)]
fn store_run<S: Lanes>(s: S, dst: &mut [f32], v: S::V) {
    if dst.len() >= S::LANES {
        s.store(dst, v)
    } else {
        s.store_partial(dst, v)
    }
}

/// The fused compressor over one run of one channel in time lanes
/// ([`LaneKernel::timed`]): the detector's and the smoother's recurrences
/// (with the meter and the mix glide) run along time, branch-free, with the
/// channel's value in every lane; the static curve and the application,
/// which hold no state, run on `LANES` consecutive frames at a time. Each
/// sample sees the operations of [`crate::reference::dynamics::compress`]
/// in the same order, so the output is the same bits.
#[inline(always)]
pub fn compress_timed<S: Lanes>(s: S, p: &Compressor, st: &mut CompressorState, run: TimedRun<'_>) {
    let n = run.xs.len();
    if n == 0 {
        return;
    }
    // Per frame: the level, then the gain change; the gain; the mix. A
    // recurrence stores its whole register at each frame (every lane holds
    // the channel's value), hence the room for one register past the run.
    const ROOM: usize = TIMED_FRAMES + 16;
    let mut level = [0.0f32; ROOM];
    let mut gains = [0.0f32; ROOM];
    let mut mixes = [0.0f32; ROOM];
    let keys = run.keys.unwrap_or(run.xs);
    let det = DetectorLanes::splat(s, &p.detector);
    let curve = CurveLanes::splat(s, &p.curve);
    let smoother = SmootherLanes::splat(s, &p.smoother);
    let apply = ApplyLanes::splat(s, &p.apply);
    let mut env = s.splat(st.env);
    let (mut gain, mut mix, mut meter) = (s.splat(st.gain), s.splat(st.mix), s.splat(st.meter));
    // A mix at its setting stays there: the follower's step from `m`
    // towards `m` gives `fma(0, k, m) = m`, or `m * 1` for an instant
    // glide, or `0 * k = 0` from 0; only a restart from a tiny non-zero
    // mix (below STATE_FLUSH) would move it. Such a run skips the glide.
    let settled = st.mix == p.apply.mix
        && (st.mix == 0.0 || st.mix.abs() >= STATE_FLUSH || p.apply.mix_coeff == 1.0);
    let gliding = !settled;
    if settled {
        mixes[..n].fill(st.mix);
    }
    for (f, &k) in keys.iter().enumerate() {
        env = detect(s, &det, env, s.splat(k));
        s.store(&mut level[f..], env);
    }
    for chunk in level[..n].chunks_mut(S::LANES) {
        let change = gain_change(s, &curve, load_run(s, chunk));
        store_run(s, chunk, change);
    }
    for (f, &change) in level[..n].iter().enumerate() {
        gain = smooth(s, &smoother, gain, s.splat(change));
        meter = s.min(s.sub(gain, smoother.makeup), meter);
        s.store(&mut gains[f..], gain);
        if gliding {
            mix = follow(s, mix, apply.mix, &apply.glide);
            s.store(&mut mixes[f..], mix);
        }
    }
    let mut last = [0.0f32; 16];
    s.store(&mut last, env);
    st.env = last[0];
    s.store(&mut last, meter);
    (st.gain, st.mix, st.meter) = (gains[n - 1], mixes[n - 1], last[0]);
    let lanes = S::LANES;
    for (i, ys) in run.ys.chunks_mut(lanes).enumerate() {
        let at = i * lanes;
        let x = sanitize(s, load_run(s, &run.xs[at..]));
        let y = apply_mixed(s, load_run(s, &mixes[at..]), load_run(s, &gains[at..]), x);
        store_run(s, ys, y);
    }
}

/// Lane form of [`crate::reference::dynamics::link`] for a group of `N`
/// registers (blocks of up to 16 slots, so four butterfly steps; a slot
/// whose block is smaller keeps its value in the later steps).
#[inline(always)]
pub fn link<S: Lanes, const N: usize>(s: S, p: &[LinkLanes<S>; N], env: &[S::V; N]) -> [S::V; N] {
    let mut v = *env;
    let mut d = 1;
    while d < crate::plan::MAX_LINK {
        let prev = v;
        for (r, v) in v.iter_mut().enumerate() {
            let partner = if d < S::LANES {
                s.swap_lanes(prev[r], d)
            } else {
                // Groups hold whole blocks, so the partner register exists
                // whenever this lane's block needs it.
                prev.get(r ^ (d / S::LANES)).copied().unwrap_or(prev[r])
            };
            let combined = s.select(p[r].mean, s.add(prev[r], partner), s.max(prev[r], partner));
            *v = s.select(s.gt(p[r].block, s.splat(d as f32)), combined, prev[r]);
        }
        d *= 2;
    }
    let mut out = *env;
    for ((out, v), p) in out.iter_mut().zip(&v).zip(p) {
        let group = s.select(p.mean, s.mul(*v, p.inv_count), *v);
        *out = s.mul_add(p.amount, s.sub(group, *out), *out);
    }
    out
}

/// [`Compressor`] of one register.
#[derive(Clone, Copy, Debug)]
pub struct CompressorLanes<S: Lanes> {
    detector: DetectorLanes<S>,
    curve: CurveLanes<S>,
    smoother: SmootherLanes<S>,
    apply: ApplyLanes<S>,
    link: LinkLanes<S>,
}

/// [`CompressorState`] of one register.
#[derive(Clone, Copy, Debug)]
pub struct StateLanes<S: Lanes> {
    env: S::V,
    gain: S::V,
    mix: S::V,
    meter: S::V,
}

/// Lane form of [`crate::reference::dynamics::finish`].
#[inline(always)]
fn finish<S: Lanes>(
    s: S,
    p: &CompressorLanes<S>,
    st: &mut StateLanes<S>,
    level: S::V,
    x: S::V,
) -> S::V {
    let change = gain_change(s, &p.curve, level);
    finish_change(s, p, st, change, sanitize(s, x))
}

/// The part of [`finish`] after the static curve, on the sanitized input.
#[inline(always)]
fn finish_change<S: Lanes>(
    s: S,
    p: &CompressorLanes<S>,
    st: &mut StateLanes<S>,
    change: S::V,
    x: S::V,
) -> S::V {
    let gain = smooth_gain(s, p, st, change);
    apply_gain(s, p, st, gain, x)
}

/// The smoother and the meter of [`finish_change`]: the new gain.
#[inline(always)]
fn smooth_gain<S: Lanes>(
    s: S,
    p: &CompressorLanes<S>,
    st: &mut StateLanes<S>,
    change: S::V,
) -> S::V {
    st.gain = smooth(s, &p.smoother, st.gain, change);
    st.meter = s.min(s.sub(st.gain, p.smoother.makeup), st.meter);
    st.gain
}

/// The application (with the mix glide) of [`finish_change`].
#[inline(always)]
fn apply_gain<S: Lanes>(
    s: S,
    p: &CompressorLanes<S>,
    st: &mut StateLanes<S>,
    gain: S::V,
    x: S::V,
) -> S::V {
    let (y, mix) = apply_sanitized(s, &p.apply, st.mix, gain, x);
    st.mix = mix;
    y
}

/// The fused compressor: detector, static curve, smoothing, makeup,
/// application with mix, and the meter, in one step per sample. Channels
/// are unlinked; see [`LinkedCompressor`].
///
/// Parameter rows: [`rows`]; state rows: env, gain, mix, meter.
#[derive(Clone, Copy, Debug)]
pub struct FusedCompressor;

/// The fused compressor with linked channels: every register's detector
/// runs first, the group's levels are combined by [`link`], then the rest of
/// each step.
#[derive(Clone, Copy, Debug)]
pub struct LinkedCompressor;

macro_rules! compressor_kernel {
    ($ty:ty, timed: $timed:expr $(, $linked:ident)?) => {
        impl LaneKernel for $ty {
            const PARAM_WORDS: usize = rows::COMPRESSOR;
            const STATE_WORDS: usize = rows::COMPRESSOR_STATE;
            type Params<S: Lanes> = CompressorLanes<S>;
            type State<S: Lanes> = StateLanes<S>;

            #[inline(always)]
            fn load_params<S: Lanes>(s: S, bank: &Bank, at: usize) -> CompressorLanes<S> {
                CompressorLanes {
                    detector: DetectorLanes::load(s, bank, 0, at),
                    curve: CurveLanes::load(s, bank, rows::AT_CURVE, at),
                    smoother: SmootherLanes::load(s, bank, rows::AT_SMOOTHER, at),
                    apply: ApplyLanes::load(s, bank, rows::AT_APPLY, at),
                    link: LinkLanes::load(s, bank, rows::AT_LINK, at),
                }
            }
            #[inline(always)]
            fn load_state<S: Lanes>(s: S, bank: &Bank, at: usize) -> StateLanes<S> {
                StateLanes {
                    env: load(s, bank, 0, at),
                    gain: load(s, bank, 1, at),
                    mix: load(s, bank, 2, at),
                    meter: load(s, bank, 3, at),
                }
            }
            #[inline(always)]
            fn store_state<S: Lanes>(s: S, bank: &mut Bank, at: usize, st: StateLanes<S>) {
                s.store(&mut bank.row_mut(0)[at..], st.env);
                s.store(&mut bank.row_mut(1)[at..], st.gain);
                s.store(&mut bank.row_mut(2)[at..], st.mix);
                s.store(&mut bank.row_mut(3)[at..], st.meter);
            }
            #[inline(always)]
            fn step<S: Lanes>(s: S, p: &CompressorLanes<S>, st: &mut StateLanes<S>, x: S::V, key: S::V) -> S::V {
                st.env = detect(s, &p.detector, st.env, key);
                finish(s, p, st, st.env, x)
            }

            const TIMED: bool = $timed;
            const TIMED_CHANNELS: crate::tuning::TimedChannels = crate::tuning::COMPRESSOR_TIMED;

            /// The detector's, the smoother's and the mix glide's.
            fn memory_frames(params: &Bank, slot: usize) -> Option<f64> {
                let row = |r: usize| params.row(r)[slot];
                longest(&[
                    row(1),
                    row(2),
                    row(rows::AT_SMOOTHER + 1),
                    row(rows::AT_SMOOTHER + 2),
                    row(rows::AT_APPLY + 1),
                ])
            }

            /// The meter.
            const RUNNING_MIN_ROWS: &'static [usize] = &[3];
            const CHUNK_SLOTS: crate::tuning::TimedChannels = crate::tuning::COMPRESSOR_CHUNK_SLOTS;
            const CHUNK_GATHERS: bool = true;

            #[inline(always)]
            fn timed<S: Lanes>(s: S, params: &Bank, state: &mut Bank, slot: usize, run: TimedRun<'_>) {
                let p = rows::read_compressor(params, slot);
                let mut st = rows::read_compressor_state(state, slot);
                compress_timed(s, &p, &mut st, run);
                rows::compressor_state(state, slot, &st);
            }

            // Four passes, one per stage (docs/design.md, "Passes"): each
            // loop's recurrence state stays in a register.
            const MULTI_PASS: bool = true;
            const MIDDLE_PASSES: usize = 2;

            /// Every pass reads the sanitized input.
            #[inline(always)]
            fn prepare<S: Lanes>(s: S, x: S::V) -> S::V {
                sanitize(s, x)
            }

            /// Detector (and link): the level.
            #[inline(always)]
            fn first<S: Lanes, const N: usize>(
                s: S,
                p: &[CompressorLanes<S>; N],
                st: &mut [StateLanes<S>; N],
                key: &[S::V; N],
            ) -> [S::V; N] {
                let mut level = [s.zero(); N];
                for (((level, st), p), key) in level.iter_mut().zip(st.iter_mut()).zip(p).zip(key) {
                    // |sanitize(k)| is `magnitude(k)` (reference::magnitude).
                    st.env = detect_magnitude(s, &p.detector, st.env, s.abs(*key));
                    *level = st.env;
                }
                // Linked channels combine their levels before the curve.
                $(
                let _ = stringify!($linked);
                let mut links = [p[0].link; N];
                for (l, p) in links.iter_mut().zip(p) {
                    *l = p.link;
                }
                level = link::<S, N>(s, &links, &level);
                )?
                level
            }

            /// Pass 0, the static curve: level to gain change. Pass 1, the
            /// smoother and the meter: gain change to gain.
            #[inline(always)]
            fn middle<S: Lanes, const N: usize, const PASS: usize>(
                s: S,
                p: &[CompressorLanes<S>; N],
                st: &mut [StateLanes<S>; N],
                mid: &mut [S::V; N],
            ) {
                for ((mid, st), p) in mid.iter_mut().zip(st.iter_mut()).zip(p) {
                    *mid = if PASS == 0 {
                        gain_change(s, &p.curve, *mid)
                    } else {
                        smooth_gain(s, p, st, *mid)
                    };
                }
            }

            /// Application with the mix glide: the output.
            #[inline(always)]
            fn second<S: Lanes, const N: usize>(
                s: S,
                p: &[CompressorLanes<S>; N],
                st: &mut [StateLanes<S>; N],
                x: &mut [S::V; N],
                gain: &[S::V; N],
            ) {
                for (((x, st), p), gain) in x.iter_mut().zip(st.iter_mut()).zip(p).zip(gain) {
                    *x = apply_gain(s, p, st, *gain, *x);
                }
            }
        }
    };
}

// Linked channels share their levels frame by frame: no time lanes.
compressor_kernel!(FusedCompressor, timed: true);
compressor_kernel!(LinkedCompressor, timed: false, linked);

/// The detector alone: key in, detector value out (amplitude for peak,
/// power for RMS). Rows: [`rows::DETECTOR`]; state: env.
#[derive(Clone, Copy, Debug)]
pub struct DetectorKernel;

impl LaneKernel for DetectorKernel {
    const PARAM_WORDS: usize = rows::DETECTOR;
    const STATE_WORDS: usize = 1;
    type Params<S: Lanes> = DetectorLanes<S>;
    type State<S: Lanes> = S::V;

    #[inline(always)]
    fn load_params<S: Lanes>(s: S, bank: &Bank, at: usize) -> DetectorLanes<S> {
        DetectorLanes::load(s, bank, 0, at)
    }
    #[inline(always)]
    fn load_state<S: Lanes>(s: S, bank: &Bank, at: usize) -> S::V {
        load(s, bank, 0, at)
    }
    #[inline(always)]
    fn store_state<S: Lanes>(s: S, bank: &mut Bank, at: usize, env: S::V) {
        s.store(&mut bank.row_mut(0)[at..], env);
    }
    #[inline(always)]
    fn step<S: Lanes>(s: S, p: &DetectorLanes<S>, env: &mut S::V, _x: S::V, key: S::V) -> S::V {
        *env = detect(s, p, *env, key);
        *env
    }

    const CHUNK_SLOTS: crate::tuning::TimedChannels = crate::tuning::ENVELOPE_CHUNK_SLOTS;

    fn memory_frames(params: &Bank, slot: usize) -> Option<f64> {
        longest(&[params.row(1)[slot], params.row(2)[slot]])
    }
}

/// The static curve alone: detector value in, gain change (dB) out, as
/// [`crate::reference::dynamics::curve_stage`]. Rows: [`rows::CURVE`]; no
/// state.
#[derive(Clone, Copy, Debug)]
pub struct CurveKernel;

impl LaneKernel for CurveKernel {
    const PARAM_WORDS: usize = rows::CURVE;
    const STATE_WORDS: usize = 0;
    type Params<S: Lanes> = CurveLanes<S>;
    type State<S: Lanes> = ();

    #[inline(always)]
    fn load_params<S: Lanes>(s: S, bank: &Bank, at: usize) -> CurveLanes<S> {
        CurveLanes::load(s, bank, 0, at)
    }
    #[inline(always)]
    fn load_state<S: Lanes>(_s: S, _bank: &Bank, _at: usize) {}
    #[inline(always)]
    fn store_state<S: Lanes>(_s: S, _bank: &mut Bank, _at: usize, _state: ()) {}
    #[inline(always)]
    fn step<S: Lanes>(s: S, p: &CurveLanes<S>, _state: &mut (), x: S::V, _key: S::V) -> S::V {
        gain_change(s, p, s.add(x, s.zero()))
    }
}

/// The gain smoother alone: gain change (dB) in, smoothed total gain (dB,
/// makeup included) out. Rows: [`rows::SMOOTHER`]; state: gain.
#[derive(Clone, Copy, Debug)]
pub struct SmootherKernel;

impl LaneKernel for SmootherKernel {
    const PARAM_WORDS: usize = rows::SMOOTHER;
    const STATE_WORDS: usize = 1;
    type Params<S: Lanes> = SmootherLanes<S>;
    type State<S: Lanes> = S::V;

    #[inline(always)]
    fn load_params<S: Lanes>(s: S, bank: &Bank, at: usize) -> SmootherLanes<S> {
        SmootherLanes::load(s, bank, 0, at)
    }
    #[inline(always)]
    fn load_state<S: Lanes>(s: S, bank: &Bank, at: usize) -> S::V {
        load(s, bank, 0, at)
    }
    #[inline(always)]
    fn store_state<S: Lanes>(s: S, bank: &mut Bank, at: usize, gain: S::V) {
        s.store(&mut bank.row_mut(0)[at..], gain);
    }
    #[inline(always)]
    fn step<S: Lanes>(s: S, p: &SmootherLanes<S>, gain: &mut S::V, x: S::V, _key: S::V) -> S::V {
        *gain = smooth(s, p, *gain, x);
        *gain
    }
}

/// Gain application alone: audio in `x`, total gain (dB) in `key`, audio
/// out. Rows: [`rows::APPLY`]; state: mix.
#[derive(Clone, Copy, Debug)]
pub struct ApplyKernel;

impl LaneKernel for ApplyKernel {
    const PARAM_WORDS: usize = rows::APPLY;
    const STATE_WORDS: usize = 1;
    type Params<S: Lanes> = ApplyLanes<S>;
    type State<S: Lanes> = S::V;

    #[inline(always)]
    fn load_params<S: Lanes>(s: S, bank: &Bank, at: usize) -> ApplyLanes<S> {
        ApplyLanes::load(s, bank, 0, at)
    }
    #[inline(always)]
    fn load_state<S: Lanes>(s: S, bank: &Bank, at: usize) -> S::V {
        load(s, bank, 0, at)
    }
    #[inline(always)]
    fn store_state<S: Lanes>(s: S, bank: &mut Bank, at: usize, mix: S::V) {
        s.store(&mut bank.row_mut(0)[at..], mix);
    }
    #[inline(always)]
    fn step<S: Lanes>(s: S, p: &ApplyLanes<S>, mix: &mut S::V, x: S::V, key: S::V) -> S::V {
        let (y, m) = apply(s, p, *mix, key, x);
        *mix = m;
        y
    }
}
