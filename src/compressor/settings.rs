//! Compressor settings per channel, their validation, and the kernel
//! parameters they become.

use crate::error::{Error, Result};
use crate::params::within;
use crate::time::Time;
use lanedsp_kernels::reference::db::DB_PER_LOG2;
use lanedsp_kernels::reference::dynamics::{Apply, Curve, Detector, GAIN_LIMIT_DB, Smoother};
use lanedsp_kernels::reference::sanitize;

/// What the static curve does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Downward compression above the threshold: `ratio` dB in give 1 dB
    /// out; an infinite ratio limits.
    Compress,
    /// Upward compression below the threshold: quiet signal is raised
    /// towards it, by at most `range_db` (FFmpeg's `mode=upward`).
    CompressUpward,
    /// Downward expansion below the threshold: 1 dB in gives `ratio` dB out,
    /// cut by at most `range_db`; an infinite ratio gates (FFmpeg's `agate`,
    /// JUCE's `NoiseGate`).
    Expand,
}

/// What the detector measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detection {
    /// The magnitude `|x|`, followed with the detector attack and release.
    Peak,
    /// The mean square `x^2`, followed with the detector attack and release
    /// (set both to the RMS window); its level is `10 log10` of the mean
    /// square, which is `20 log10` of the RMS.
    Rms,
}

/// Makeup gain.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Makeup {
    /// A fixed gain in dB.
    Db(f32),
    /// The gain that undoes the static curve at 0 dBFS:
    /// `-gain_change(0 dBFS)` (Giannoulis, Massberg and Reiss 2012).
    Auto,
}

/// The settings of one channel of a [`crate::Compressor`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// What the static curve does.
    pub mode: Mode,
    /// What the detector measures.
    pub detection: Detection,
    /// Threshold in dBFS. Like every dB setting, a magnitude below `2^-96`
    /// counts as 0 (docs/kernels.md, section 7).
    pub threshold_db: f32,
    /// Ratio, at least 1; `f32::INFINITY` limits (or gates, when expanding).
    pub ratio: f32,
    /// Width of the soft knee in dB, centred on the threshold; 0 is a hard
    /// knee, and so is any knee narrower than [`MIN_KNEE_DB`].
    pub knee_db: f32,
    /// Gain smoothing while the gain falls (more reduction).
    pub attack: Time,
    /// Gain smoothing while the gain rises.
    pub release: Time,
    /// Detector ballistics while the level rises (the RMS window for RMS).
    pub detector_attack: Time,
    /// Detector ballistics while the level falls.
    pub detector_release: Time,
    /// Makeup gain.
    pub makeup: Makeup,
    /// Largest gain change in dB: attenuation for `Compress` and `Expand`,
    /// boost for `CompressUpward`. At most 600.
    pub range_db: f32,
    /// Wet share in `[0, 1]`: `y = x * (mix * gain + 1 - mix)`.
    pub mix: f32,
}

impl Settings {
    /// A downward compressor: -20 dBFS, 4:1, 6 dB knee, 10 ms attack,
    /// 100 ms release, instant peak detection, no makeup.
    pub fn compressor() -> Settings {
        Settings {
            mode: Mode::Compress,
            detection: Detection::Peak,
            threshold_db: -20.0,
            ratio: 4.0,
            knee_db: 6.0,
            attack: Time::Seconds(0.010),
            release: Time::Seconds(0.100),
            detector_attack: Time::Seconds(0.0),
            detector_release: Time::Seconds(0.0),
            makeup: Makeup::Db(0.0),
            range_db: GAIN_LIMIT_DB,
            mix: 1.0,
        }
    }

    /// A limiter-like compressor: infinite ratio, hard knee, 1 ms attack.
    pub fn limiter(threshold_db: f32) -> Settings {
        Settings {
            threshold_db,
            ratio: f32::INFINITY,
            knee_db: 0.0,
            attack: Time::Seconds(0.001),
            ..Settings::compressor()
        }
    }

    /// An upward compressor: -40 dBFS, 2:1, 50 ms RMS, at most +24 dB.
    pub fn upward() -> Settings {
        Settings {
            mode: Mode::CompressUpward,
            detection: Detection::Rms,
            threshold_db: -40.0,
            ratio: 2.0,
            detector_attack: Time::Seconds(0.050),
            detector_release: Time::Seconds(0.050),
            range_db: 24.0,
            ..Settings::compressor()
        }
    }

    /// A downward expander: -50 dBFS, 1:2, 6 dB knee, at most -40 dB.
    pub fn expander() -> Settings {
        Settings {
            mode: Mode::Expand,
            threshold_db: -50.0,
            ratio: 2.0,
            range_db: 40.0,
            attack: Time::Seconds(0.002),
            ..Settings::compressor()
        }
    }

    /// A gate: infinite expansion below -50 dBFS, cutting by 80 dB, 1 ms
    /// attack, 100 ms release.
    pub fn gate() -> Settings {
        Settings {
            mode: Mode::Expand,
            threshold_db: -50.0,
            ratio: f32::INFINITY,
            knee_db: 0.0,
            range_db: 80.0,
            attack: Time::Seconds(0.001),
            ..Settings::compressor()
        }
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings::compressor()
    }
}

/// The narrowest soft knee, in dB: a narrower `knee_db` is a hard knee.
/// Below about `2^-37` dB the knee's quadratic would underflow or overflow
/// in `f32` (docs/kernels.md, section 7); at this width the knee is already
/// inaudible.
pub const MIN_KNEE_DB: f32 = 1e-6;

/// Slope of the expander past which a larger ratio changes nothing (about
/// 1:10^6): the gain then hits `range_db` within a fraction of a dB.
const MAX_EXPAND_SLOPE: f64 = 1e6;
/// Time constant of the mix glide after a change of `mix`.
pub(crate) const MIX_GLIDE_SECONDS: f32 = 0.005;

/// The kernel's view of one channel's settings.
pub(crate) struct Derived {
    pub detector: Detector,
    pub curve: Curve,
    pub smoother: Smoother,
    pub apply: Apply,
}

/// Validates `s` and derives the kernel parameters at `sample_rate`. All
/// arithmetic is `f64` (with `libm` where a function is needed), each value
/// rounded once to `f32`.
pub(crate) fn derive(s: &Settings, sample_rate: f32) -> Result<Derived> {
    within(
        "threshold_db",
        s.threshold_db,
        -GAIN_LIMIT_DB,
        GAIN_LIMIT_DB,
        "finite, within ±600 dB",
    )?;
    if s.ratio.is_nan() || s.ratio < 1.0 {
        return Err(Error::Parameter {
            name: "ratio",
            value: s.ratio,
            expected: "at least 1 (infinity allowed)",
        });
    }
    let knee = within(
        "knee_db",
        s.knee_db,
        0.0,
        2.0 * GAIN_LIMIT_DB,
        "finite, from 0 to 1200 dB",
    )?;
    let range = within(
        "range_db",
        s.range_db,
        0.0,
        GAIN_LIMIT_DB,
        "finite, from 0 to 600 dB",
    )?;
    let mix = within("mix", s.mix, 0.0, 1.0, "finite, from 0 to 1")?;
    // Every setting in dB goes through the input rule (a magnitude below
    // 2^-96 is 0), so no parameter is subnormal (docs/kernels.md, section 7).
    let knee = if knee < MIN_KNEE_DB { 0.0 } else { knee };
    let range = sanitize(range);
    let (ratio, w) = (f64::from(s.ratio), f64::from(knee));
    let inverse = if s.ratio.is_infinite() {
        0.0
    } else {
        1.0 / ratio
    };
    let (above, below, lo, hi) = match s.mode {
        Mode::Compress => (inverse - 1.0, 0.0, -f64::from(range), 0.0),
        Mode::CompressUpward => (0.0, inverse - 1.0, 0.0, f64::from(range)),
        Mode::Expand => (
            0.0,
            (ratio - 1.0).min(MAX_EXPAND_SLOPE),
            -f64::from(range),
            0.0,
        ),
    };
    let knee_term = |slope: f64| if w > 0.0 { slope / (2.0 * w) } else { 0.0 };
    let threshold_db = sanitize(s.threshold_db);
    let threshold = f64::from(threshold_db);
    let makeup = sanitize(match s.makeup {
        Makeup::Db(db) => within(
            "makeup_db",
            db,
            -GAIN_LIMIT_DB,
            GAIN_LIMIT_DB,
            "finite, within ±600 dB",
        )?,
        Makeup::Auto => {
            // The static curve in f64 at 0 dBFS, negated.
            let o = -threshold;
            let part = |slope: f64, side: f64| {
                let edge = side * o;
                if edge >= w / 2.0 {
                    slope * o
                } else if edge > -w / 2.0 {
                    side * slope * (o + side * w / 2.0).powi(2) / (2.0 * w)
                } else {
                    0.0
                }
            };
            let change = (part(above, 1.0) + part(below, -1.0)).clamp(lo, hi);
            (-change) as f32
        }
    });
    let db_scale = match s.detection {
        Detection::Peak => DB_PER_LOG2,
        Detection::Rms => DB_PER_LOG2 * 0.5,
    };
    Ok(Derived {
        detector: Detector {
            rms: s.detection == Detection::Rms,
            attack: s
                .detector_attack
                .coefficient("detector_attack", sample_rate)?,
            release: s
                .detector_release
                .coefficient("detector_release", sample_rate)?,
        },
        curve: Curve {
            db_scale,
            threshold: threshold_db,
            above: above as f32,
            below: below as f32,
            half_knee: (w / 2.0) as f32,
            above_knee: knee_term(above) as f32,
            below_knee: -knee_term(below) as f32,
            range_lo: lo as f32,
            range_hi: hi as f32,
        },
        smoother: Smoother {
            makeup,
            attack: s.attack.coefficient("attack", sample_rate)?,
            release: s.release.coefficient("release", sample_rate)?,
        },
        apply: Apply {
            mix: sanitize(mix),
            mix_coeff: Time::Seconds(MIX_GLIDE_SECONDS).coefficient("mix glide", sample_rate)?,
        },
    })
}
