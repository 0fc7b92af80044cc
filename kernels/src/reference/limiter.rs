//! The lookahead limiter, one frame of every channel at a time
//! (docs/kernels.md, section 10, states the same steps).
//!
//! Per channel and frame `n`, with window `W = lookahead + 1` and delay
//! `D = lookahead` (`+ CENTRE` with true peak):
//! 1. `x = sanitize(input * gain)`;
//! 2. the peak `p = |x|`, or with true peak the largest of `|x[n - 6]|`,
//!    `|x[n - 5]|` and the interpolated points between them;
//! 3. the required gain `g = ceiling / max(p, ceiling)`;
//! 4. linking: `g = max(fma(amount, gmin - g, g), gmin)`, `gmin` the smallest
//!    `g` of the channel's link group;
//! 5. `m`, the minimum of `g` over the last `W` frames, and `a`, the mean
//!    of `m` over the last `W` frames (both as van Herk / Gil-Werman blocks
//!    of `W` frames: a running prefix within the current block and the
//!    previous block's suffixes), so `a <= g` at frame `n - W + 1`;
//! 6. release: `r = max(min(a, fma(release, a - r, r)), min(a, r))`;
//! 7. the output `clamp(flush(x[n - D] * r), -ceiling, ceiling)`.

use crate::reference::truepeak::{self, CENTRE, TAPS};
use crate::reference::{clamp, flush, max, min, sanitize};

/// A limiter channel's parameters (the processor derives them from its
/// settings; docs/kernels.md, section 10).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LimiterParams {
    /// The ceiling, linear, `> 0`.
    pub ceiling: f32,
    /// The input gain, linear.
    pub gain: f32,
    /// Release one-pole coefficient in `[0, 1]`.
    pub release: f32,
    /// Link amount in `[0, 1]`.
    pub amount: f32,
}

/// The shape every channel of a limiter shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimiterShape {
    /// Lookahead in frames.
    pub lookahead: usize,
    /// True-peak interpolation phases: 0, 2 or 4
    /// ([`truepeak::phases_for_rate`]).
    pub phases: usize,
}

impl LimiterShape {
    /// The window `W` of the sliding minimum and of the mean.
    pub fn window(&self) -> usize {
        self.lookahead + 1
    }

    /// The delay of the audio path, which is the limiter's latency.
    pub fn latency(&self) -> usize {
        self.lookahead + if self.phases > 0 { CENTRE } else { 0 }
    }
}

/// One channel's memory.
#[derive(Clone, Debug)]
struct Channel {
    delay: Vec<f32>,
    past: [f32; TAPS],
    cur_g: Vec<f32>,
    suf_g: Vec<f32>,
    cur_m: Vec<f32>,
    suf_m: Vec<f32>,
    pre_g: f32,
    pre_m: f32,
    gain: f32,
}

impl Channel {
    /// A channel of `shape`'s sizes, in its reset state.
    fn new(shape: LimiterShape) -> Channel {
        let w = shape.window();
        let mut ch = Channel {
            delay: vec![0.0; shape.latency()],
            past: [0.0; TAPS],
            cur_g: vec![0.0; w],
            suf_g: vec![0.0; w + 1],
            cur_m: vec![0.0; w],
            suf_m: vec![0.0; w + 1],
            pre_g: 0.0,
            pre_m: 0.0,
            gain: 1.0,
        };
        ch.reset();
        ch
    }

    /// The state after a reset (silence in the delay line and the window,
    /// unity gain), without allocating.
    fn reset(&mut self) {
        let w = self.cur_g.len();
        self.delay.fill(0.0);
        self.past = [0.0; TAPS];
        self.cur_g.fill(0.0);
        self.suf_g.fill(1.0);
        self.cur_m.fill(0.0);
        // The suffix sums of a block of ones, as step 5 would compute them.
        for (k, s) in self.suf_m.iter_mut().enumerate() {
            *s = (w - k) as f32;
        }
        self.pre_g = 0.0;
        self.pre_m = 0.0;
        self.gain = 1.0;
    }
}

/// The limiter over every channel, frame by frame: the specification the
/// lane kernel reproduces bit for bit.
#[derive(Clone, Debug)]
pub struct Limiter {
    shape: LimiterShape,
    params: Vec<LimiterParams>,
    /// Channel -> its link group's members (itself alone when unlinked).
    groups: Vec<Vec<usize>>,
    channels: Vec<Channel>,
    frame: u64,
    scratch: Vec<f32>,
}

impl Limiter {
    /// A limiter for `params.len()` channels; `groups` lists the linked
    /// channels (each channel in at most one group).
    pub fn new(shape: LimiterShape, params: Vec<LimiterParams>, groups: &[Vec<usize>]) -> Limiter {
        let n = params.len();
        let mut of: Vec<Vec<usize>> = (0..n).map(|c| vec![c]).collect();
        for g in groups {
            for &c in g {
                of[c] = g.clone();
            }
        }
        Limiter {
            shape,
            channels: vec![Channel::new(shape); n],
            params,
            groups: of,
            frame: 0,
            scratch: Vec::new(),
        }
    }

    /// Replaces the channels' parameters (one per channel); the state stays,
    /// as when the processor's settings change without a new shape.
    pub fn set_params(&mut self, params: &[LimiterParams]) {
        self.params.clear();
        self.params.extend_from_slice(params);
    }

    /// Back to the state of [`Limiter::new`] (silence in the delay line
    /// and the window, unity gain, frame 0), without allocating.
    pub fn reset(&mut self) {
        for ch in &mut self.channels {
            ch.reset();
        }
        self.frame = 0;
    }

    /// Channel `channel`'s released gain `r` (step 6).
    pub fn gain(&self, channel: usize) -> f32 {
        self.channels[channel].gain
    }

    /// Processes one frame in place: `frame[c]` is channel `c`.
    pub fn process_frame(&mut self, frame: &mut [f32]) {
        let shape = self.shape;
        let n = self.frame;
        let (w, d) = (shape.window(), shape.latency());
        // Steps 1-3 for every channel.
        let mut gs = core::mem::take(&mut self.scratch);
        gs.clear();
        for (c, x) in frame.iter_mut().enumerate() {
            let (sx, g) = detect(&mut self.channels[c], &self.params[c], shape, *x);
            *x = sx;
            gs.push(g);
        }
        // Step 4, then steps 5-7.
        for (c, x) in frame.iter_mut().enumerate() {
            let gmin = self.groups[c].iter().map(|&m| gs[m]).fold(1.0, min);
            let p = &self.params[c];
            let g = max(p.amount.mul_add(gmin - gs[c], gs[c]), gmin);
            *x = finish(&mut self.channels[c], p, shape, at(n, w), at(n, d), *x, g);
        }
        self.scratch = gs;
        self.frame += 1;
    }

    /// Processes the frames of a one-channel limiter in place: the same
    /// steps as [`Limiter::process_frame`] (an unlinked channel's step 4
    /// leaves `g` as it is), as a plain loop (the benchmarks' scalar
    /// baseline). Inlined where called, so that a caller compiled with an
    /// ISA's features (the processor's sequential route) compiles this loop
    /// with them.
    #[inline(always)]
    pub fn process_mono(&mut self, buf: &mut [f32]) {
        self.process_mono_samples(buf.iter_mut());
    }

    /// [`Limiter::process_mono`] over any sequence of the channel's
    /// samples, such as one channel of an interleaved buffer.
    #[inline(always)]
    pub fn process_mono_samples<'a>(&mut self, samples: impl Iterator<Item = &'a mut f32>) {
        let shape = self.shape;
        let (w, d) = (shape.window(), shape.latency());
        let (p, ch) = (&self.params[0], &mut self.channels[0]);
        // `frame mod W` and `frame mod D`, counted rather than divided.
        let (mut i, mut j) = (at(self.frame, w), at(self.frame, d));
        let mut frames = 0u64;
        for x in samples {
            let (sx, g) = detect(ch, p, shape, *x);
            *x = finish(ch, p, shape, i, j, sx, g);
            i += 1;
            if i == w {
                i = 0;
            }
            j += 1;
            if j >= d {
                j = 0;
            }
            frames += 1;
        }
        self.frame += frames;
    }
}

/// `n mod len`, or 0 for a length of 0 (no delay line).
#[inline(always)]
fn at(n: u64, len: usize) -> usize {
    if len == 0 {
        0
    } else {
        (n % len as u64) as usize
    }
}

/// Steps 1-3: the sanitized, gained input and its required gain.
#[inline(always)]
fn detect(ch: &mut Channel, p: &LimiterParams, shape: LimiterShape, input: f32) -> (f32, f32) {
    let x = sanitize(input * p.gain);
    let peak = if shape.phases > 0 {
        ch.past.copy_within(0..TAPS - 1, 1);
        ch.past[0] = x;
        let mut peak = max(ch.past[CENTRE].abs(), ch.past[CENTRE - 1].abs());
        for &phase in truepeak::phase_list(shape.phases) {
            peak = max(peak, truepeak::interpolate(phase, &ch.past).abs());
        }
        peak
    } else {
        x.abs()
    };
    (x, p.ceiling / max(peak, p.ceiling))
}

/// Steps 5-7 for the linked gain `g` at a frame `n` with `i = n mod W`
/// and `j = n mod D` (`0` without delay): the output sample.
#[inline(always)]
fn finish(
    ch: &mut Channel,
    p: &LimiterParams,
    shape: LimiterShape,
    i: usize,
    j: usize,
    x: f32,
    g: f32,
) -> f32 {
    let w = shape.window();
    let d = shape.latency();
    ch.pre_g = if i == 0 { g } else { min(ch.pre_g, g) };
    ch.cur_g[i] = g;
    let m = min(ch.pre_g, ch.suf_g[i + 1]);
    ch.pre_m = if i == 0 { m } else { ch.pre_m + m };
    ch.cur_m[i] = m;
    // The mean: exactly 1 for a window of ones, else a product with the
    // rounded reciprocal (docs/kernels.md, section 10).
    let sum = ch.suf_m[i + 1] + ch.pre_m;
    let a = if sum == w as f32 {
        1.0
    } else {
        sum * (1.0 / w as f32)
    };
    if i == w - 1 {
        for k in (0..w).rev() {
            ch.suf_g[k] = min(ch.cur_g[k], ch.suf_g[k + 1]);
            ch.suf_m[k] = ch.cur_m[k] + ch.suf_m[k + 1];
        }
    }
    ch.gain = max(
        min(a, p.release.mul_add(a - ch.gain, ch.gain)),
        min(a, ch.gain),
    );
    let delayed = if d == 0 {
        x
    } else {
        core::mem::replace(&mut ch.delay[j], x)
    };
    clamp(flush(delayed * ch.gain), -p.ceiling, p.ceiling)
}
