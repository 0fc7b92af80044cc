//! Biquad sections and cascades (direct form I), one channel: designs from
//! the RBJ Audio EQ Cookbook and the exact per-sample arithmetic.
//!
//! Designs are computed in `f64` with `libm` (the same bits on every
//! platform), normalized by `a0`, and rounded once to `f32`; a coefficient
//! whose magnitude is below [`MIN_COEFF`] becomes `0` (so that no product of
//! a coefficient and a signal value is subnormal, see [`crate::policy`]).
//!
//! One section, per sample (docs/kernels.md, section 8), from the sanitized
//! input `x` and the section's history (`x1`, `x2`: its last two inputs,
//! `y1`, `y2`: its last two outputs):
//!
//! ```text
//! acc = b0 * x
//! acc = fma(b1, x1, acc)
//! acc = fma(b2, x2, acc)
//! acc = fma(-a2, y2, acc)
//! acc = fma(-a1, y1, acc)
//! y   = sanitize(acc)
//! ```
//!
//! Every value that enters an operation is `0` or normal: the input and
//! every output pass [`sanitize`] (`|v| < 2^-96` gives `0`,
//! NaN gives `0`, the rest is clamped to `2^60`), the history holds only
//! such values, and every non-zero coefficient is at least `2^-30`. The
//! history is the state flush: a state below the input floor restarts from
//! `0` by construction, so the result never depends on FTZ/DAZ.
//!
//! In a cascade, section `k`'s input history is section `k - 1`'s output
//! history, so `n` sections keep `2 (n + 1)` values per channel.

use super::sanitize;
use crate::policy::MIN_COEFF;
use core::f64::consts::PI;
use core::fmt;

/// Most sections in one cascade.
pub const MAX_SECTIONS: usize = 8;

/// Largest magnitude of a feed-forward coefficient: `2^24` (+144 dB).
pub const MAX_B: f32 = 16_777_216.0;

/// Why a filter cannot be built.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FilterError {
    /// The sample rate is not finite and positive.
    SampleRate(f64),
    /// The frequency is not in `(0, sample_rate / 2)`.
    Frequency(f64),
    /// The quality factor is not finite and positive.
    Q(f64),
    /// The gain in dB is not finite or outside `[-120, 120]`.
    Gain(f64),
    /// A coefficient is NaN or infinite.
    NonFinite,
    /// A feed-forward coefficient is larger than [`MAX_B`] in magnitude.
    Range(f32),
    /// The poles are not strictly inside the unit circle: stability needs
    /// `|a2| < 1` and `|a1| < 1 + a2`.
    Unstable {
        /// The rejected `a1` (normalized).
        a1: f32,
        /// The rejected `a2` (normalized).
        a2: f32,
    },
    /// More sections than [`MAX_SECTIONS`].
    TooManySections(usize),
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FilterError::SampleRate(v) => write!(f, "sample rate must be finite and > 0, got {v}"),
            FilterError::Frequency(v) => {
                write!(f, "frequency must be in (0, sample_rate / 2), got {v}")
            }
            FilterError::Q(v) => write!(f, "Q must be finite and > 0, got {v}"),
            FilterError::Gain(v) => write!(f, "gain must be finite, in [-120, 120] dB, got {v}"),
            FilterError::NonFinite => write!(f, "filter coefficients must be finite"),
            FilterError::Range(v) => {
                write!(f, "feed-forward coefficient {v} is larger than 2^24")
            }
            FilterError::Unstable { a1, a2 } => write!(
                f,
                "unstable biquad (a1 = {a1}, a2 = {a2}): needs |a2| < 1 and |a1| < 1 + a2"
            ),
            FilterError::TooManySections(n) => {
                write!(f, "{n} sections, at most {MAX_SECTIONS} per channel")
            }
        }
    }
}

impl std::error::Error for FilterError {}

/// One normalized section (`a0 = 1`):
/// `H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coefficients {
    /// Feed-forward coefficient of `x[n]`.
    pub b0: f32,
    /// Feed-forward coefficient of `x[n - 1]`.
    pub b1: f32,
    /// Feed-forward coefficient of `x[n - 2]`.
    pub b2: f32,
    /// Feedback coefficient of `y[n - 1]` (subtracted).
    pub a1: f32,
    /// Feedback coefficient of `y[n - 2]` (subtracted).
    pub a2: f32,
}

impl Coefficients {
    /// The section that passes its input through: `b0 = 1`, the rest `0`.
    pub const IDENTITY: Coefficients = Coefficients {
        b0: 1.0,
        b1: 0.0,
        b2: 0.0,
        a1: 0.0,
        a2: 0.0,
    };

    /// Raw coefficients (`a0` already divided out), checked by
    /// [`Coefficients::validate`] after flushing magnitudes below
    /// [`MIN_COEFF`] to `0`.
    pub fn raw(b0: f32, b1: f32, b2: f32, a1: f32, a2: f32) -> Result<Coefficients, FilterError> {
        let flush = |c: f32| if c.abs() < MIN_COEFF { 0.0 } else { c };
        Coefficients {
            b0: flush(b0),
            b1: flush(b1),
            b2: flush(b2),
            a1: flush(a1),
            a2: flush(a2),
        }
        .validate()
    }

    /// Normalizes `f64` coefficients by `a0`, rounds each once to `f32`
    /// and goes through [`Coefficients::raw`].
    pub fn from_f64(b: [f64; 3], a: [f64; 3]) -> Result<Coefficients, FilterError> {
        let a0 = a[0];
        if !(b.iter().chain(&a).all(|v| v.is_finite()) && a0 != 0.0) {
            return Err(FilterError::NonFinite);
        }
        Coefficients::raw(
            (b[0] / a0) as f32,
            (b[1] / a0) as f32,
            (b[2] / a0) as f32,
            (a[1] / a0) as f32,
            (a[2] / a0) as f32,
        )
    }

    /// Checks that every coefficient is finite, `|b| <= MAX_B`, and the
    /// poles are strictly inside the unit circle (`|a2| < 1` and
    /// `|a1| < 1 + a2`, evaluated exactly in `f64`).
    pub fn validate(self) -> Result<Coefficients, FilterError> {
        let all = [self.b0, self.b1, self.b2, self.a1, self.a2];
        if !all.iter().all(|v| v.is_finite()) {
            return Err(FilterError::NonFinite);
        }
        if let Some(&b) = all[..3].iter().find(|b| b.abs() > MAX_B) {
            return Err(FilterError::Range(b));
        }
        let (a1, a2) = (f64::from(self.a1), f64::from(self.a2));
        if !(a2.abs() < 1.0 && a1.abs() < 1.0 + a2) {
            return Err(FilterError::Unstable {
                a1: self.a1,
                a2: self.a2,
            });
        }
        Ok(self)
    }
}

/// A filter design from the RBJ Audio EQ Cookbook (frequencies in Hz,
/// gains in dB), or raw coefficients.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Design {
    /// Peaking EQ: `gain_db` at `freq`, bandwidth from `q`.
    Peaking {
        /// Centre frequency.
        freq: f64,
        /// Quality factor.
        q: f64,
        /// Gain at the centre.
        gain_db: f64,
    },
    /// Low shelf with midpoint `freq` and shelf slope from `q`
    /// (`q = 1/sqrt(2)` is the cookbook's `S = 1`).
    LowShelf {
        /// Midpoint frequency.
        freq: f64,
        /// Quality factor.
        q: f64,
        /// Shelf gain.
        gain_db: f64,
    },
    /// High shelf, as [`Design::LowShelf`].
    HighShelf {
        /// Midpoint frequency.
        freq: f64,
        /// Quality factor.
        q: f64,
        /// Shelf gain.
        gain_db: f64,
    },
    /// Second-order low pass.
    LowPass {
        /// Cutoff frequency.
        freq: f64,
        /// Quality factor (`1/sqrt(2)`: Butterworth).
        q: f64,
    },
    /// Second-order high pass.
    HighPass {
        /// Cutoff frequency.
        freq: f64,
        /// Quality factor.
        q: f64,
    },
    /// Band pass with 0 dB peak gain.
    BandPass {
        /// Centre frequency.
        freq: f64,
        /// Quality factor.
        q: f64,
    },
    /// Notch.
    Notch {
        /// Centre frequency.
        freq: f64,
        /// Quality factor.
        q: f64,
    },
    /// All pass (phase shift 180 degrees at `freq`).
    AllPass {
        /// Centre frequency.
        freq: f64,
        /// Quality factor.
        q: f64,
    },
    /// Coefficients given directly (see [`Coefficients::raw`]).
    Raw(Coefficients),
}

impl Design {
    /// The section for `sample_rate` Hz: the cookbook formulas in `f64`,
    /// divided by `a0`, rounded once to `f32`, validated.
    pub fn coefficients(&self, sample_rate: f64) -> Result<Coefficients, FilterError> {
        if let Design::Raw(c) = *self {
            return Coefficients::raw(c.b0, c.b1, c.b2, c.a1, c.a2);
        }
        if !(sample_rate.is_finite() && sample_rate > 0.0) {
            return Err(FilterError::SampleRate(sample_rate));
        }
        let (freq, q, gain_db) = match *self {
            Design::Peaking { freq, q, gain_db }
            | Design::LowShelf { freq, q, gain_db }
            | Design::HighShelf { freq, q, gain_db } => (freq, q, gain_db),
            Design::LowPass { freq, q }
            | Design::HighPass { freq, q }
            | Design::BandPass { freq, q }
            | Design::Notch { freq, q }
            | Design::AllPass { freq, q } => (freq, q, 0.0),
            Design::Raw(_) => unreachable!(),
        };
        if !(freq.is_finite() && freq > 0.0 && freq < sample_rate / 2.0) {
            return Err(FilterError::Frequency(freq));
        }
        if !(q.is_finite() && q > 0.0) {
            return Err(FilterError::Q(q));
        }
        if !(gain_db.is_finite() && gain_db.abs() <= 120.0) {
            return Err(FilterError::Gain(gain_db));
        }
        let w0 = 2.0 * PI * freq / sample_rate;
        let (sin, cos) = (libm::sin(w0), libm::cos(w0));
        let alpha = sin / (2.0 * q);
        let a = libm::pow(10.0, gain_db / 40.0);
        let (b, den) = match *self {
            Design::Peaking { .. } => (
                [1.0 + alpha * a, -2.0 * cos, 1.0 - alpha * a],
                [1.0 + alpha / a, -2.0 * cos, 1.0 - alpha / a],
            ),
            Design::LowShelf { .. } => {
                let s = 2.0 * libm::sqrt(a) * alpha;
                (
                    [
                        a * ((a + 1.0) - (a - 1.0) * cos + s),
                        2.0 * a * ((a - 1.0) - (a + 1.0) * cos),
                        a * ((a + 1.0) - (a - 1.0) * cos - s),
                    ],
                    [
                        (a + 1.0) + (a - 1.0) * cos + s,
                        -2.0 * ((a - 1.0) + (a + 1.0) * cos),
                        (a + 1.0) + (a - 1.0) * cos - s,
                    ],
                )
            }
            Design::HighShelf { .. } => {
                let s = 2.0 * libm::sqrt(a) * alpha;
                (
                    [
                        a * ((a + 1.0) + (a - 1.0) * cos + s),
                        -2.0 * a * ((a - 1.0) + (a + 1.0) * cos),
                        a * ((a + 1.0) + (a - 1.0) * cos - s),
                    ],
                    [
                        (a + 1.0) - (a - 1.0) * cos + s,
                        2.0 * ((a - 1.0) - (a + 1.0) * cos),
                        (a + 1.0) - (a - 1.0) * cos - s,
                    ],
                )
            }
            Design::LowPass { .. } => (
                [(1.0 - cos) / 2.0, 1.0 - cos, (1.0 - cos) / 2.0],
                [1.0 + alpha, -2.0 * cos, 1.0 - alpha],
            ),
            Design::HighPass { .. } => (
                [(1.0 + cos) / 2.0, -(1.0 + cos), (1.0 + cos) / 2.0],
                [1.0 + alpha, -2.0 * cos, 1.0 - alpha],
            ),
            Design::BandPass { .. } => {
                ([alpha, 0.0, -alpha], [1.0 + alpha, -2.0 * cos, 1.0 - alpha])
            }
            Design::Notch { .. } => (
                [1.0, -2.0 * cos, 1.0],
                [1.0 + alpha, -2.0 * cos, 1.0 - alpha],
            ),
            Design::AllPass { .. } => (
                [1.0 - alpha, -2.0 * cos, 1.0 + alpha],
                [1.0 + alpha, -2.0 * cos, 1.0 - alpha],
            ),
            Design::Raw(_) => unreachable!(),
        };
        Coefficients::from_f64(b, den)
    }
}

/// One step of one section: the sanitized input `x`, the input history
/// `xh = [x1, x2]` and the output history `yh = [y1, y2]`; returns `y` and
/// shifts the *input* history (`xh = [x, x1]`). The output history is
/// shifted by the caller: in a cascade it is the next section's input
/// history, which that section's step shifts. `x` and the histories must
/// be `0` or sanitized values (as every value this module produces is).
#[inline(always)]
pub fn step(c: &Coefficients, x: f32, xh: &mut [f32; 2], yh: &[f32; 2]) -> f32 {
    let mut acc = c.b0 * x;
    acc = c.b1.mul_add(xh[0], acc);
    acc = c.b2.mul_add(xh[1], acc);
    acc = (-c.a2).mul_add(yh[1], acc);
    acc = (-c.a1).mul_add(yh[0], acc);
    *xh = [x, xh[0]];
    sanitize(acc)
}

/// Runs a cascade of `sections` (at most [`MAX_SECTIONS`]) over `input`,
/// writing `output` (as long as `input`), with `history` the channel's
/// `2 (sections.len() + 1)` history values: `history[0..2]` the cascade's
/// last two sanitized inputs `[x1, x2]`, `history[2k + 2..2k + 4]` section
/// `k`'s last two outputs (which are section `k + 1`'s input history).
///
/// Per sample: `v = sanitize(input[n])`, then `v = step(section_k, v)` for
/// each section in order, `output[n] = v`. No sections: the output is the
/// sanitized input.
#[inline(always)]
pub fn process(sections: &[Coefficients], history: &mut [f32], input: &[f32], output: &mut [f32]) {
    let n = sections.len();
    assert!(n <= MAX_SECTIONS && history.len() >= 2 * (n + 1));
    let mut h = [[0.0f32; 2]; MAX_SECTIONS + 1];
    for (k, pair) in h.iter_mut().enumerate().take(n + 1) {
        *pair = [history[2 * k], history[2 * k + 1]];
    }
    for (y, &x) in output.iter_mut().zip(input) {
        let mut v = sanitize(x);
        for (k, c) in sections.iter().enumerate() {
            let (head, tail) = h.split_at_mut(k + 1);
            v = step(c, v, &mut head[k], &tail[0]);
        }
        h[n] = [v, h[n][0]];
        *y = v;
    }
    for (k, pair) in h.iter().enumerate().take(n + 1) {
        history[2 * k] = pair[0];
        history[2 * k + 1] = pair[1];
    }
}

/// Frame `k` (from 0) of a crossfade of `len` frames between the outgoing
/// filter's output `old` and the incoming filter's output `new`
/// (docs/kernels.md, section 8): with `w = (k + 1) / len` rounded once to
/// `f32`, `sanitize(fma(w, new - old, old))`. After frame `len - 1` the
/// incoming filter's output is used alone.
#[inline(always)]
pub fn crossfade(old: f32, new: f32, k: usize, len: usize) -> f32 {
    let w = (k + 1) as f32 / len as f32;
    sanitize(w.mul_add(new - old, old))
}
