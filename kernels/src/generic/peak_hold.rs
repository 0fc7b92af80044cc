//! The peak hold in lanes: see [`crate::reference::peak_hold`], whose
//! steps it performs in the same order (docs/kernels.md, section 11).

use super::magnitude;
use crate::bank::Bank;
use crate::block::{BlockKernel, Group};
use crate::lanes::Lanes;

/// The peak hold as a [`BlockKernel`].
///
/// Parameter row [`PeakHold::WINDOW`]: the window `W` in frames (the same
/// in every slot). State row 0: the running maximum `pre`. History rows
/// ([`PeakHold::history_rows`]): `cur[0..W]`, then `suf[0..=W]`.
#[derive(Clone, Copy, Debug)]
pub struct PeakHold;

impl PeakHold {
    /// Parameter row: the window `W` in frames.
    pub const WINDOW: usize = 0;

    const PRE: usize = 0;

    /// History rows a window of `window` frames needs.
    pub fn history_rows(window: usize) -> usize {
        2 * window + 1
    }

    /// Writes the window into every slot's parameters.
    pub fn write_params(bank: &mut Bank, window: usize) {
        bank.row_mut(Self::WINDOW).fill(window as f32);
    }
}

impl BlockKernel for PeakHold {
    const PARAM_WORDS: usize = 1;
    const STATE_WORDS: usize = 1;

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
            stride,
            ..
        } = group;
        let w = params.row(Self::WINDOW)[at] as usize;
        let (cur, suf) = (0, w);
        // Slots are independent (no linking): one register at a time.
        for r in 0..registers {
            let slot = at + r * S::LANES;
            let mut pre = s.load(&state.row(Self::PRE)[slot..]);
            let mut i = (frame % w as u64) as usize;
            for f in 0..frames {
                let t = f * stride + r * S::LANES;
                let v = magnitude(s, s.load(&tile[t..]));
                pre = if i == 0 { v } else { s.max(pre, v) };
                s.store(&mut history.row_mut(cur + i)[slot..], v);
                let held = s.load(&history.row(suf + i + 1)[slot..]);
                s.store(&mut tile[t..], s.max(pre, held));
                if i == w - 1 {
                    for k in (0..w).rev() {
                        let c = s.load(&history.row(cur + k)[slot..]);
                        let next = s.load(&history.row(suf + k + 1)[slot..]);
                        s.store(&mut history.row_mut(suf + k)[slot..], s.max(c, next));
                    }
                    i = 0;
                } else {
                    i += 1;
                }
            }
            s.store(&mut state.row_mut(Self::PRE)[slot..], pre);
        }
    }
}
