//! The peak hold: each channel's largest input magnitude over the last `W`
//! frames (docs/kernels.md, section 11, states the same steps).
//!
//! Per channel and frame `n`, with `i = n mod W` (frames counted from the
//! last reset):
//! 1. `v = magnitude(x)` (`|sanitize(x)|`);
//! 2. `pre = (i == 0) ? v : max(pre, v)`; `cur[i] = v`;
//! 3. the output `max(pre, suf[i + 1])`;
//! 4. when `i == W - 1`, for `k = W - 1` down to `0`:
//!    `suf[k] = max(cur[k], suf[k + 1])`.
//!
//! `suf[W] = 0` always; after a reset every `suf[k]` and `pre` are `0`
//! (silence before the first frame). `pre` is the maximum of the current
//! block of `W` frames so far and `suf[i + 1]` that of the previous block's
//! frames still in the window (van Herk / Gil-Werman).

use crate::reference::{magnitude, max};

/// One channel's peak hold over a window of `W` frames.
#[derive(Clone, Debug, PartialEq)]
pub struct PeakHold {
    pre: f32,
    cur: Vec<f32>,
    suf: Vec<f32>,
    frame: u64,
}

impl PeakHold {
    /// A peak hold over `window` frames (at least 1), after a reset.
    pub fn new(window: usize) -> PeakHold {
        let w = window.max(1);
        PeakHold {
            pre: 0.0,
            cur: vec![0.0; w],
            suf: vec![0.0; w + 1],
            frame: 0,
        }
    }

    /// Back to the state of [`PeakHold::new`], without allocating.
    pub fn reset(&mut self) {
        self.pre = 0.0;
        self.cur.fill(0.0);
        self.suf.fill(0.0);
        self.frame = 0;
    }

    /// Replaces each sample of `buf` by the peak hold's output. Inlined
    /// where called, so that a caller compiled with an ISA's features (the
    /// processors' sequential route) compiles this loop with them.
    #[inline(always)]
    pub fn process(&mut self, buf: &mut [f32]) {
        self.process_samples(buf.iter_mut());
    }

    /// [`PeakHold::process`] over any sequence of one channel's samples,
    /// such as one channel of an interleaved buffer.
    #[inline(always)]
    pub fn process_samples<'a>(&mut self, samples: impl Iterator<Item = &'a mut f32>) {
        let w = self.cur.len();
        // `i = frame mod W`, counted rather than divided for every frame.
        let mut i = (self.frame % w as u64) as usize;
        let mut pre = self.pre;
        let mut frames = 0u64;
        for x in samples {
            let v = magnitude(*x);
            pre = if i == 0 { v } else { max(pre, v) };
            self.cur[i] = v;
            *x = max(pre, self.suf[i + 1]);
            i += 1;
            if i == w {
                for k in (0..w).rev() {
                    self.suf[k] = max(self.cur[k], self.suf[k + 1]);
                }
                i = 0;
            }
            frames += 1;
        }
        self.pre = pre;
        self.frame += frames;
    }
}

#[cfg(test)]
mod tests {
    use super::PeakHold;
    use crate::reference::magnitude;

    /// Against the definition: the largest magnitude of the last `W`
    /// inputs, silence before the first, for every window up to 70 and
    /// every split of the stream into two calls.
    #[test]
    fn equals_the_sliding_maximum() {
        let input: Vec<f32> = (0..200u32)
            .map(|i| {
                let v = (i.wrapping_mul(2_654_435_761) >> 8) as f32 / (1 << 24) as f32 - 0.5;
                if i % 37 == 5 { f32::NAN } else { v }
            })
            .collect();
        for w in 1..=70 {
            let want: Vec<f32> = (0..input.len())
                .map(|n| {
                    let from = (n + 1).saturating_sub(w);
                    input[from..=n]
                        .iter()
                        .map(|&x| magnitude(x))
                        .fold(0.0, f32::max)
                })
                .collect();
            for split in [0, 1, w, 63, 64, 65] {
                let mut p = PeakHold::new(w);
                let mut y = input.clone();
                let (a, b) = y.split_at_mut(split);
                p.process(a);
                p.process(b);
                assert_eq!(y, want, "window {w}, split {split}");
            }
        }
    }
}
