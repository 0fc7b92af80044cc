//! [`Time`]: attack and release times, in this crate's convention or in a
//! peer's, so settings ported from FFmpeg, JUCE or fundsp keep their
//! ballistics.
//!
//! Every form becomes one per-sample coefficient `k` of the one-pole
//! follower `y += (x - y) * k` (docs/kernels.md, "Time constants").

use crate::error::{Error, Result};
use lanedsp_kernels::policy::{coefficient_from_samples, round_coefficient};

/// An attack or release time.
///
/// A plain `f32` converts to [`Time::Seconds`], the crate's convention.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Time {
    /// Time constant in seconds: a step is followed to `1 - 1/e` (63.2%)
    /// after this long. `k = 1 - exp(-1 / (s * fs))`. `0` follows at once.
    Seconds(f32),
    /// A step is followed to `fraction` (in `(0, 1)`) after `seconds`: 0.5
    /// is a half-life, 0.9 a 10-90%-style rise, 0.99 Unreal's "digital"
    /// time. Same curve as `Seconds(seconds / -ln(1 - fraction))`.
    ToFraction {
        /// Seconds to reach `fraction`.
        seconds: f32,
        /// Fraction of the step, in `(0, 1)`.
        fraction: f32,
    },
    /// FFmpeg's `acompressor`, `agate` and `sidechaincompress` attack and
    /// release in milliseconds, with FFmpeg's own coefficient
    /// `k = min(1, 4000 / (ms * fs))` (a linear, not exponential, mapping).
    FfmpegMs(f32),
    /// JUCE's `Compressor`/`BallisticsFilter` attack and release in
    /// milliseconds: `k = 1 - exp(-2 pi * 1000 / (fs * ms))`, i.e. a time
    /// constant of `ms / (2 pi)`.
    JuceMs(f32),
    /// fundsp's `follow`/`afollow` halfway response time in seconds. fundsp
    /// cascades three one-poles; this is the one-pole that reaches 50% at
    /// the same time (`ToFraction { seconds, fraction: 0.5 }`), so the
    /// halfway point matches and the curve's shape does not.
    Fundsp(f32),
}

impl From<f32> for Time {
    fn from(seconds: f32) -> Time {
        Time::Seconds(seconds)
    }
}

fn non_negative(name: &'static str, value: f32) -> Result<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(f64::from(value))
    } else {
        Err(Error::Time { name, value })
    }
}

impl Time {
    /// The per-sample coefficient at `sample_rate` (validated by the
    /// caller); `name` labels the error if the time is invalid.
    pub(crate) fn coefficient(self, name: &'static str, sample_rate: f32) -> Result<f32> {
        let fs = f64::from(sample_rate);
        Ok(match self {
            Time::Seconds(s) => coefficient_from_samples(non_negative(name, s)? * fs),
            Time::ToFraction { seconds, fraction } => {
                let s = non_negative(name, seconds)?;
                if !(fraction > 0.0 && fraction < 1.0) {
                    // Named after the time it belongs to (`attack`, ...).
                    return Err(Error::Parameter {
                        name,
                        value: fraction,
                        expected: "a time whose fraction is strictly between 0 and 1",
                    });
                }
                let tau = s / -libm::log1p(-f64::from(fraction));
                coefficient_from_samples(tau * fs)
            }
            Time::Fundsp(s) => {
                coefficient_from_samples(non_negative(name, s)? / core::f64::consts::LN_2 * fs)
            }
            Time::JuceMs(ms) => coefficient_from_samples(
                non_negative(name, ms)? / 1000.0 / core::f64::consts::TAU * fs,
            ),
            Time::FfmpegMs(ms) => {
                let samples = non_negative(name, ms)? / 1000.0 * fs;
                // A zero time of either sign follows at once, as in FFmpeg.
                if samples <= 0.0 {
                    1.0
                } else {
                    round_coefficient((4.0 / samples).min(1.0))
                }
            }
        })
    }
}
