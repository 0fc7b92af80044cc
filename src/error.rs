//! The crate's error type.

use lanedsp_kernels::plan::PlanError;
use lanedsp_kernels::reference::biquad::FilterError;
use lanedsp_kernels::{IsaUnavailable, ShapeError};

/// Everything that can go wrong when building or running a processor.
///
/// A processor that returns an error has not changed: no state was
/// advanced and no output written.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The sample rate is zero, negative, NaN or infinite.
    #[error("sample rate must be finite and greater than 0 Hz, got {0}")]
    SampleRate(f32),
    /// A time constant is negative, NaN or infinite.
    #[error("{name} must be finite and at least 0, got {value}")]
    Time {
        /// Which parameter.
        name: &'static str,
        /// The rejected value in the time's own unit: seconds, or
        /// milliseconds for [`Time::JuceMs`](crate::Time::JuceMs) and
        /// [`Time::FfmpegMs`](crate::Time::FfmpegMs).
        value: f32,
    },
    /// A processor needs at least one channel.
    #[error("a processor needs at least one channel")]
    NoChannels,
    /// More channels than a processor accepts.
    #[error("{got} channels requested, at most {max} are supported")]
    TooManyChannels {
        /// The requested count.
        got: usize,
        /// The limit ([`crate::MAX_CHANNELS`]).
        max: usize,
    },
    /// A channel index is past the last channel.
    #[error("channel {index} does not exist (the processor has {channels})")]
    ChannelIndex {
        /// The rejected index.
        index: usize,
        /// Channels the processor has.
        channels: usize,
    },
    /// A parameter is out of its range.
    #[error("{name} must be {expected}, got {value}")]
    Parameter {
        /// Which parameter.
        name: &'static str,
        /// The rejected value.
        value: f32,
        /// Its valid range, in words.
        expected: &'static str,
    },
    /// Link groups that cannot be formed.
    #[error("link groups: {0}")]
    Link(#[from] PlanError),
    /// Channels of one link group use different detectors (peak and RMS).
    #[error("link group of channel {channel} mixes peak and RMS detection")]
    LinkDetection {
        /// A channel of the offending group.
        channel: usize,
    },
    /// Buffers do not match the processor's channels or each other's length.
    #[error("buffer shape: {0}")]
    Shape(#[from] ShapeError),
    /// A filter that cannot be built (bad design parameters, unstable or
    /// non-finite coefficients, too many bands).
    #[error("filter: {0}")]
    Filter(#[from] FilterError),
    /// The requested ISA does not run on this CPU.
    #[error(transparent)]
    Isa(#[from] IsaUnavailable),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;
