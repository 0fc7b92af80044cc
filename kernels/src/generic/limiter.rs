//! The lookahead limiter in lanes: see [`crate::reference::limiter`],
//! whose steps it performs in the same order (docs/kernels.md, section 8).

use super::{flush, sanitize};
use crate::bank::Bank;
use crate::block::{BlockKernel, GROUP_SLOTS, Group, link_min};
use crate::lanes::Lanes;
use crate::reference::limiter::{LimiterParams, LimiterShape};
use crate::reference::truepeak::{self, CENTRE, PHASES, TAPS};

/// The lookahead limiter as a [`BlockKernel`].
///
/// Parameter rows: see the constants; [`Limiter::WINDOW`] and
/// [`Limiter::PHASES`] hold the [`LimiterShape`] (the same in every slot).
/// State rows: the two running prefixes and the released gain.
/// History rows ([`Limiter::history_rows`]): the delay line, the last
/// [`TAPS`] inputs, then the current block and the previous block's
/// suffixes of the minimum and of the sum.
#[derive(Clone, Copy, Debug)]
pub struct Limiter;

impl Limiter {
    /// Parameter row: the ceiling (linear).
    pub const CEILING: usize = 0;
    /// Parameter row: the input gain (linear).
    pub const GAIN: usize = 1;
    /// Parameter row: the release coefficient.
    pub const RELEASE: usize = 2;
    /// Parameter row: the link amount.
    pub const AMOUNT: usize = 3;
    /// Parameter row: the slot's link block size (1 when unlinked).
    pub const BLOCK: usize = 4;
    /// Parameter row: the window `W` in frames.
    pub const WINDOW: usize = 5;
    /// Parameter row: the true-peak phases (0, 2 or 4).
    pub const PHASES: usize = 6;

    const PRE_G: usize = 0;
    const PRE_M: usize = 1;
    const GAIN_STATE: usize = 2;

    /// History rows a limiter of `shape` needs.
    pub fn history_rows(shape: LimiterShape) -> usize {
        shape.latency() + TAPS + 4 * shape.window() + 2
    }

    /// Writes slot `slot`'s parameters (`block` is its link block size).
    pub fn write_params(
        bank: &mut Bank,
        slot: usize,
        p: &LimiterParams,
        block: usize,
        shape: LimiterShape,
    ) {
        let values = [
            p.ceiling,
            p.gain,
            p.release,
            p.amount,
            block as f32,
            shape.window() as f32,
            shape.phases as f32,
        ];
        for (row, v) in values.into_iter().enumerate() {
            bank.row_mut(row)[slot] = v;
        }
    }

    /// Sets the state and history banks (every slot) to the state the
    /// reference starts from: released gain 1, the window full of gain 1.
    pub fn reset(state: &mut Bank, history: &mut Bank, shape: LimiterShape) {
        state.clear();
        state.row_mut(Self::GAIN_STATE).fill(1.0);
        history.clear();
        let w = shape.window();
        let rows = Rows::new(shape.latency(), w);
        for k in 0..=w {
            history.row_mut(rows.suf_g + k).fill(1.0);
            history.row_mut(rows.suf_m + k).fill((w - k) as f32);
        }
    }
}

/// Where each part of the history starts.
#[derive(Clone, Copy)]
struct Rows {
    delay: usize,
    past: usize,
    cur_g: usize,
    suf_g: usize,
    cur_m: usize,
    suf_m: usize,
}

impl Rows {
    #[inline(always)]
    fn new(latency: usize, w: usize) -> Rows {
        let past = latency;
        let cur_g = past + TAPS;
        let suf_g = cur_g + w;
        let cur_m = suf_g + w + 1;
        let suf_m = cur_m + w;
        Rows {
            delay: 0,
            past,
            cur_g,
            suf_g,
            cur_m,
            suf_m,
        }
    }
}

#[inline(always)]
fn get<S: Lanes>(s: S, bank: &Bank, row: usize, at: usize) -> S::V {
    s.load(&bank.row(row)[at..])
}

#[inline(always)]
fn put<S: Lanes>(s: S, bank: &mut Bank, row: usize, at: usize, v: S::V) {
    s.store(&mut bank.row_mut(row)[at..], v);
}

/// Lane form of [`truepeak::interpolate`]: `past(k)` is `x[n - k]`.
#[inline(always)]
fn interpolate<S: Lanes>(s: S, phase: usize, past: &[S::V; TAPS]) -> S::V {
    let h = &PHASES[phase];
    let mut acc = s.mul(s.splat(h[TAPS - 1]), past[TAPS - 1]);
    for k in (0..TAPS - 1).rev() {
        acc = s.mul_add(s.splat(h[k]), past[k], acc);
    }
    acc
}

impl BlockKernel for Limiter {
    const PARAM_WORDS: usize = 7;
    const STATE_WORDS: usize = 3;

    #[inline(always)]
    fn process<S: Lanes>(
        s: S,
        group: Group<'_>,
        tile: &mut [f32],
        _key: Option<&[f32]>,
        frames: usize,
    ) {
        let Group {
            params,
            state,
            history,
            at,
            registers,
            frame,
        } = group;
        let lanes = S::LANES;
        let w = params.row(Self::WINDOW)[at] as usize;
        let phases = params.row(Self::PHASES)[at] as usize;
        let shape = LimiterShape {
            lookahead: w - 1,
            phases,
        };
        let d = shape.latency();
        let rows = Rows::new(d, w);
        let wv = s.splat(w as f32);
        let zero = s.zero();
        let mut ceiling = [zero; GROUP_SLOTS];
        let mut gain = [zero; GROUP_SLOTS];
        let mut release = [zero; GROUP_SLOTS];
        let mut amount = [zero; GROUP_SLOTS];
        let mut block = [zero; GROUP_SLOTS];
        let mut pre_g = [zero; GROUP_SLOTS];
        let mut pre_m = [zero; GROUP_SLOTS];
        let mut level = [zero; GROUP_SLOTS];
        for r in 0..registers {
            let o = at + r * lanes;
            ceiling[r] = get(s, params, Self::CEILING, o);
            gain[r] = get(s, params, Self::GAIN, o);
            release[r] = get(s, params, Self::RELEASE, o);
            amount[r] = get(s, params, Self::AMOUNT, o);
            block[r] = get(s, params, Self::BLOCK, o);
            pre_g[r] = get(s, state, Self::PRE_G, o);
            pre_m[r] = get(s, state, Self::PRE_M, o);
            level[r] = get(s, state, Self::GAIN_STATE, o);
        }
        let phase_list = truepeak::phase_list(phases);
        for f in 0..frames {
            let n = frame + f as u64;
            let i = (n % w as u64) as usize;
            let mut xs = [zero; GROUP_SLOTS];
            let mut gs = [zero; GROUP_SLOTS];
            // Steps 1-3.
            for r in 0..registers {
                let o = at + r * lanes;
                let t = (f * registers + r) * lanes;
                let x = sanitize(s, s.mul(s.load(&tile[t..]), gain[r]));
                let peak = if phases > 0 {
                    let newest = (n % TAPS as u64) as usize;
                    put(s, history, rows.past + newest, o, x);
                    let mut past = [zero; TAPS];
                    for (k, v) in past.iter_mut().enumerate() {
                        *v = get(s, history, rows.past + (newest + TAPS - k) % TAPS, o);
                    }
                    let mut peak = s.max(s.abs(past[CENTRE]), s.abs(past[CENTRE - 1]));
                    for &phase in phase_list {
                        peak = s.max(peak, s.abs(interpolate(s, phase, &past)));
                    }
                    peak
                } else {
                    s.abs(x)
                };
                xs[r] = x;
                gs[r] = s.div(ceiling[r], s.max(peak, ceiling[r]));
            }
            // Step 4.
            let mut gmin = gs;
            link_min(s, &mut gmin[..registers], &block[..registers]);
            // Steps 5-7.
            for r in 0..registers {
                let o = at + r * lanes;
                let t = (f * registers + r) * lanes;
                let g = s.mul_add(amount[r], s.sub(gmin[r], gs[r]), gs[r]);
                pre_g[r] = if i == 0 { g } else { s.min(pre_g[r], g) };
                put(s, history, rows.cur_g + i, o, g);
                let m = s.min(pre_g[r], get(s, history, rows.suf_g + i + 1, o));
                pre_m[r] = if i == 0 { m } else { s.add(pre_m[r], m) };
                put(s, history, rows.cur_m + i, o, m);
                let a = s.div(s.add(get(s, history, rows.suf_m + i + 1, o), pre_m[r]), wv);
                if i == w - 1 {
                    for k in (0..w).rev() {
                        let sg = s.min(
                            get(s, history, rows.cur_g + k, o),
                            get(s, history, rows.suf_g + k + 1, o),
                        );
                        put(s, history, rows.suf_g + k, o, sg);
                        let sm = s.add(
                            get(s, history, rows.cur_m + k, o),
                            get(s, history, rows.suf_m + k + 1, o),
                        );
                        put(s, history, rows.suf_m + k, o, sm);
                    }
                }
                level[r] = s.min(a, s.mul_add(release[r], s.sub(a, level[r]), level[r]));
                let delayed = if d == 0 {
                    xs[r]
                } else {
                    let slot = rows.delay + (n % d as u64) as usize;
                    let old = get(s, history, slot, o);
                    put(s, history, slot, o, xs[r]);
                    old
                };
                let y = flush(s, s.mul(delayed, level[r]));
                let neg = s.sub(zero, ceiling[r]);
                s.store(&mut tile[t..], s.min(s.max(y, neg), ceiling[r]));
            }
        }
        for r in 0..registers {
            let o = at + r * lanes;
            put(s, state, Self::PRE_G, o, pre_g[r]);
            put(s, state, Self::PRE_M, o, pre_m[r]);
            put(s, state, Self::GAIN_STATE, o, level[r]);
        }
    }
}
