//! The lookahead limiter in lanes: see [`crate::reference::limiter`],
//! whose steps it performs in the same order (docs/kernels.md, section 10).

use super::truepeak::interpolate;
use super::{flush, sanitize};
use crate::bank::Bank;
use crate::block::{BlockKernel, GROUP_SLOTS, Group, link_min};
use crate::lanes::Lanes;
use crate::reference::limiter::{LimiterParams, LimiterShape};
use crate::reference::truepeak::{self, CENTRE, TAPS};

/// The lookahead limiter as a [`BlockKernel`].
///
/// Parameter rows: see the constants; [`Limiter::WINDOW`] and
/// [`Limiter::PHASES`] hold the [`LimiterShape`] (the same in every slot).
/// State rows: the two running prefixes and the released gain.
/// History rows ([`Limiter::history_rows`]): the delay line, the last
/// [`TAPS`] inputs, then for the minimum and for the sum one run of
/// `W + 1` rows holding the current block's values and the previous
/// block's suffixes (see `Rows`).
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
        shape.latency() + TAPS + 2 * (shape.window() + 1)
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
            history.row_mut(rows.g + k).fill(1.0);
            history.row_mut(rows.m + k).fill((w - k) as f32);
        }
    }
}

/// Where each part of the history starts. The reference's `cur` and `suf`
/// arrays of a quantity share one run of `W + 1` rows: at frame `i` of a
/// block, rows `0..=i` hold `cur[0..=i]` and rows `i + 1..=W` still hold
/// `suf[i + 1..=W]`, the only suffixes the rest of the block reads, and the
/// block's end turns the rows into the next suffixes in place (the same
/// operations on the same values, in half the memory).
#[derive(Clone, Copy)]
struct Rows {
    delay: usize,
    past: usize,
    g: usize,
    m: usize,
}

impl Rows {
    #[inline(always)]
    fn new(latency: usize, w: usize) -> Rows {
        let past = latency;
        let g = past + TAPS;
        let m = g + w + 1;
        Rows {
            delay: 0,
            past,
            g,
            m,
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
        // Registers per group are a power of two (link blocks and lanes
        // are), at most `GROUP_SLOTS / S::LANES`: the group counts `S`
        // cannot have are not compiled for it (their guards are constants).
        match group.registers {
            1 => run::<S, 1>(s, group, tile, frames),
            2 if const { S::LANES * 2 <= GROUP_SLOTS } => run::<S, 2>(s, group, tile, frames),
            4 if const { S::LANES * 4 <= GROUP_SLOTS } => run::<S, 4>(s, group, tile, frames),
            8 if const { S::LANES * 8 <= GROUP_SLOTS } => run::<S, 8>(s, group, tile, frames),
            _ if const { S::LANES == 1 } => run::<S, GROUP_SLOTS>(s, group, tile, frames),
            // No other count reaches a kernel (`registers * S::LANES` is
            // at most `GROUP_SLOTS`).
            _ => debug_assert!(false, "{} registers of {} lanes", group.registers, S::LANES),
        }
    }
}

/// `i + 1`, wrapping to 0 at `n`.
#[inline(always)]
fn next(i: usize, n: usize) -> usize {
    if i + 1 == n { 0 } else { i + 1 }
}

/// [`Limiter::process`] for groups of `R` registers.
#[inline(always)]
fn run<S: Lanes, const R: usize>(s: S, group: Group<'_>, tile: &mut [f32], frames: usize) {
    let Group {
        params,
        state,
        history,
        at,
        frame,
        stride: tile_stride,
        ..
    } = group;
    let lanes = S::LANES;
    let w = params.row(Limiter::WINDOW)[at] as usize;
    let phases = params.row(Limiter::PHASES)[at] as usize;
    let shape = LimiterShape {
        lookahead: w - 1,
        phases,
    };
    let d = shape.latency();
    let rows = Rows::new(d, w);
    let linked = params.row(Limiter::BLOCK)[at..at + R * lanes]
        .iter()
        .any(|&b| b > 1.0);
    let wv = s.splat(w as f32);
    let inv_w = s.splat(1.0 / w as f32);
    let one = s.splat(1.0);
    let zero = s.zero();
    let p = |row: usize, r: usize| get(s, params, row, at + r * lanes);
    let ceiling: [S::V; R] = core::array::from_fn(|r| p(Limiter::CEILING, r));
    let neg_ceiling: [S::V; R] = core::array::from_fn(|r| s.sub(zero, ceiling[r]));
    let gain: [S::V; R] = core::array::from_fn(|r| p(Limiter::GAIN, r));
    let release: [S::V; R] = core::array::from_fn(|r| p(Limiter::RELEASE, r));
    let amount: [S::V; R] = core::array::from_fn(|r| p(Limiter::AMOUNT, r));
    let block: [S::V; R] = core::array::from_fn(|r| p(Limiter::BLOCK, r));
    let st = |row: usize, r: usize| get(s, state, row, at + r * lanes);
    let mut pre_g: [S::V; R] = core::array::from_fn(|r| st(Limiter::PRE_G, r));
    let mut pre_m: [S::V; R] = core::array::from_fn(|r| st(Limiter::PRE_M, r));
    let mut level: [S::V; R] = core::array::from_fn(|r| st(Limiter::GAIN_STATE, r));
    let stride = history.stride();
    let hist = history.data_mut();
    // Offset of row `row`, register `r` of the group in `hist`.
    let h = |row: usize, r: usize| row * stride + at + r * lanes;
    let phase_list = truepeak::phase_list(phases);
    let mut i = (frame % w as u64) as usize;
    let mut delay_at = if d == 0 {
        0
    } else {
        (frame % d as u64) as usize
    };
    let mut newest = (frame % TAPS as u64) as usize;
    for f in 0..frames {
        let mut xs = [zero; R];
        let mut gs = [zero; R];
        // Steps 1-3.
        for r in 0..R {
            let t = f * tile_stride + r * lanes;
            let x = sanitize(s, s.mul(s.load(&tile[t..]), gain[r]));
            let peak = if phases > 0 {
                s.store(&mut hist[h(rows.past + newest, r)..], x);
                let past: [S::V; TAPS] = core::array::from_fn(|k| {
                    s.load(&hist[h(rows.past + (newest + TAPS - k) % TAPS, r)..])
                });
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
        // Step 4 (an unlinked slot's is the identity).
        if linked {
            let mut gmin = gs;
            link_min(s, &mut gmin, &block);
            for r in 0..R {
                let toward = s.mul_add(amount[r], s.sub(gmin[r], gs[r]), gs[r]);
                gs[r] = s.max(toward, gmin[r]);
            }
        }
        // Steps 5-7.
        for r in 0..R {
            let t = f * tile_stride + r * lanes;
            let g = gs[r];
            pre_g[r] = if i == 0 { g } else { s.min(pre_g[r], g) };
            s.store(&mut hist[h(rows.g + i, r)..], g);
            let m = s.min(pre_g[r], s.load(&hist[h(rows.g + i + 1, r)..]));
            pre_m[r] = if i == 0 { m } else { s.add(pre_m[r], m) };
            s.store(&mut hist[h(rows.m + i, r)..], m);
            let sum = s.add(s.load(&hist[h(rows.m + i + 1, r)..]), pre_m[r]);
            let a = s.select(s.eq(sum, wv), one, s.mul(sum, inv_w));
            if i == w - 1 {
                suffixes(s, hist, rows, w, |row| h(row, r));
            }
            let rise = s.min(a, s.mul_add(release[r], s.sub(a, level[r]), level[r]));
            level[r] = s.max(rise, s.min(a, level[r]));
            let delayed = if d == 0 {
                xs[r]
            } else {
                let slot = h(rows.delay + delay_at, r);
                let old = s.load(&hist[slot..]);
                s.store(&mut hist[slot..], xs[r]);
                old
            };
            let y = flush(s, s.mul(delayed, level[r]));
            s.store(&mut tile[t..], s.min(s.max(y, neg_ceiling[r]), ceiling[r]));
        }
        i = next(i, w);
        if d > 0 {
            delay_at = next(delay_at, d);
        }
        newest = next(newest, TAPS);
    }
    for r in 0..R {
        let o = at + r * lanes;
        put(s, state, Limiter::PRE_G, o, pre_g[r]);
        put(s, state, Limiter::PRE_M, o, pre_m[r]);
        put(s, state, Limiter::GAIN_STATE, o, level[r]);
    }
}

/// The end of a block: the suffix minima and sums of the block just
/// completed, from its last frame back (`at(row)` locates a row).
#[inline(always)]
fn suffixes<S: Lanes>(s: S, hist: &mut [f32], rows: Rows, w: usize, at: impl Fn(usize) -> usize) {
    // `suf[W]`, then each suffix from the one after it, kept in a register.
    let mut sg = s.load(&hist[at(rows.g + w)..]);
    let mut sm = s.load(&hist[at(rows.m + w)..]);
    for k in (0..w).rev() {
        sg = s.min(s.load(&hist[at(rows.g + k)..]), sg);
        s.store(&mut hist[at(rows.g + k)..], sg);
        sm = s.add(s.load(&hist[at(rows.m + k)..]), sm);
        s.store(&mut hist[at(rows.m + k)..], sm);
    }
}
