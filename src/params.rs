//! Validation of user parameters, shared by every processor.

use crate::error::{Error, Result};

/// Checks that a sample rate is finite and positive.
pub(crate) fn sample_rate(hz: f32) -> Result<f32> {
    if hz.is_finite() && hz > 0.0 {
        Ok(hz)
    } else {
        Err(Error::SampleRate(hz))
    }
}

/// Most channels a processor accepts.
pub const MAX_CHANNELS: usize = 1 << 16;

/// Checks that a channel count is at least one and at most [`MAX_CHANNELS`].
pub(crate) fn channels(n: usize) -> Result<usize> {
    match n {
        0 => Err(Error::NoChannels),
        n if n > MAX_CHANNELS => Err(Error::TooManyChannels {
            got: n,
            max: MAX_CHANNELS,
        }),
        n => Ok(n),
    }
}

/// Checks a channel index.
pub(crate) fn channel_index(index: usize, channels: usize) -> Result<usize> {
    if index < channels {
        Ok(index)
    } else {
        Err(Error::ChannelIndex { index, channels })
    }
}

/// Checks that `value` is finite and within `lo..=hi`.
pub(crate) fn within(
    name: &'static str,
    value: f32,
    lo: f32,
    hi: f32,
    expected: &'static str,
) -> Result<f32> {
    if value.is_finite() && value >= lo && value <= hi {
        Ok(value)
    } else {
        Err(Error::Parameter {
            name,
            value,
            expected,
        })
    }
}
