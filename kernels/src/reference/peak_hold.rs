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

    /// [`PeakHold::process_samples`] for `C` channels of the interleaved
    /// `buf` at once, frame by frame: each channel takes the same steps as
    /// alone, so the bits are the same, and the `C` independent chains of
    /// maxima overlap in the pipeline instead of waiting on each other.
    /// Every hold must have the same window and frame count (holds created
    /// and run together); if not, or if `buf` is not whole frames, each
    /// channel runs alone.
    #[inline(always)]
    pub fn process_interleaved<const C: usize>(holds: &mut [PeakHold; C], buf: &mut [f32]) {
        let w = holds[0].cur.len();
        let frame = holds[0].frame;
        if C == 0
            || !buf.len().is_multiple_of(C)
            || holds.iter().any(|h| h.cur.len() != w || h.frame != frame)
        {
            for (c, hold) in holds.iter_mut().enumerate() {
                hold.process_samples(buf[c..].iter_mut().step_by(C.max(1)));
            }
            return;
        }
        let mut i = (frame % w as u64) as usize;
        let mut pre: [f32; C] = core::array::from_fn(|c| holds[c].pre);
        let mut rows = holds.each_mut().map(|h| (&mut h.cur[..], &mut h.suf[..]));
        let mut rest = &mut buf[..];
        while !rest.is_empty() {
            // The frames up to the end of the current block of `W`. At the
            // block's first frame `pre = max(+0, v)`, which is `v` bit for
            // bit (`v >= +0` and never NaN), so step 2 needs no branch.
            let n = (w - i).min(rest.len() / C);
            let (block, tail) = rest.split_at_mut(n * C);
            rest = tail;
            if i == 0 {
                pre = [0.0; C];
            }
            let mut run = rows
                .each_mut()
                .map(|(cur, suf)| (&mut cur[i..i + n], &suf[i + 1..i + 1 + n]));
            for (f, x) in block.chunks_exact_mut(C).enumerate() {
                for c in 0..C {
                    let (cur, suf) = &mut run[c];
                    let v = magnitude(x[c]);
                    pre[c] = max(pre[c], v);
                    cur[f] = v;
                    x[c] = max(pre[c], suf[f]);
                }
            }
            i += n;
            if i == w {
                // Step 4, each channel's `suf[k + 1]` carried in a register.
                let mut next: [f32; C] = core::array::from_fn(|c| rows[c].1[w]);
                for k in (0..w).rev() {
                    for ((cur, suf), next) in rows.iter_mut().zip(next.iter_mut()) {
                        *next = max(cur[k], *next);
                        suf[k] = *next;
                    }
                }
                i = 0;
            }
        }
        let frames = (buf.len() / C) as u64;
        for (hold, pre) in holds.iter_mut().zip(pre) {
            hold.pre = pre;
            hold.frame += frames;
        }
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

    /// The frame-by-frame loop of `C` interleaved channels equals each
    /// channel run alone, bit for bit, for every window up to 40 and splits
    /// of the stream, and so does the fallback for mismatched holds.
    #[test]
    fn interleaved_equals_each_channel_alone() {
        fn check<const C: usize>(input: &[f32]) {
            let frames = input.len() / C;
            for w in 1..=40 {
                let mut want = input[..frames * C].to_vec();
                for c in 0..C {
                    let mut alone = PeakHold::new(w);
                    alone.process_samples(want[c..].iter_mut().step_by(C));
                }
                for split in [0, 1, w, 63, 64] {
                    let split = split.min(frames) * C;
                    let mut holds: [PeakHold; C] = core::array::from_fn(|_| PeakHold::new(w));
                    let mut y = input[..frames * C].to_vec();
                    let (a, b) = y.split_at_mut(split);
                    PeakHold::process_interleaved(&mut holds, a);
                    PeakHold::process_interleaved(&mut holds, b);
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(
                        bits(&y),
                        bits(&want),
                        "{C} channels, window {w}, split {split}"
                    );
                }
            }
            // Holds that were not run together take the per-channel loop.
            let mut holds: [PeakHold; C] = core::array::from_fn(|c| PeakHold::new(3 + c));
            let mut y = input[..frames * C].to_vec();
            PeakHold::process_interleaved(&mut holds, &mut y);
            let mut want = input[..frames * C].to_vec();
            for c in 0..C {
                PeakHold::new(3 + c).process_samples(want[c..].iter_mut().step_by(C));
            }
            assert_eq!(y, want);
        }
        let input: Vec<f32> = (0..600u32)
            .map(|i| match i % 53 {
                7 => f32::NAN,
                11 => f32::INFINITY,
                13 => -1e-40,
                _ => (i.wrapping_mul(2_654_435_761) >> 8) as f32 / (1 << 24) as f32 - 0.5,
            })
            .collect();
        check::<1>(&input);
        check::<2>(&input);
        check::<3>(&input);
        check::<4>(&input);
    }
}
