//! Buffer layouts a kernel runs over, and their validation.
//!
//! Every layout is checked before a kernel touches it; a mismatch is a
//! [`ShapeError`], never a panic.

use core::fmt;

/// Why a set of buffers cannot be processed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapeError {
    /// The buffers hold a different number of channels than the processor.
    ChannelMismatch {
        /// Channels the processor was built for.
        expected: usize,
        /// Channels the buffers hold.
        got: usize,
    },
    /// Two buffers that must have the same length do not.
    LengthMismatch {
        /// The length every buffer must have.
        expected: usize,
        /// The offending length.
        got: usize,
    },
    /// A state or parameter bank does not fit the kernel or the channels.
    Bank {
        /// Rows the kernel needs.
        words: usize,
        /// Rows the bank has.
        got_words: usize,
        /// Channels the other bank or the layout has.
        channels: usize,
        /// Channels the bank has.
        got_channels: usize,
    },
    /// An interleaved buffer's length is not a whole number of frames.
    PartialFrame {
        /// The buffer length in samples.
        len: usize,
        /// Samples per frame.
        channels: usize,
    },
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ShapeError::ChannelMismatch { expected, got } => {
                write!(f, "expected {expected} channels, got {got}")
            }
            ShapeError::LengthMismatch { expected, got } => {
                write!(
                    f,
                    "buffer lengths differ: expected {expected} samples, got {got}"
                )
            }
            ShapeError::Bank {
                words,
                got_words,
                channels,
                got_channels,
            } => write!(
                f,
                "bank of {got_words} rows x {got_channels} channels, kernel needs {words} x {channels}"
            ),
            ShapeError::PartialFrame { len, channels } => write!(
                f,
                "interleaved buffer of {len} samples is not a whole number of {channels}-channel frames"
            ),
        }
    }
}

impl std::error::Error for ShapeError {}

/// The buffers of one process call, in any of the four layouts.
///
/// Planar buffers hold one slice per channel; interleaved buffers hold
/// frames, sample `f` of channel `c` at `[f * channels + c]`. The in-place
/// forms overwrite their input with the output.
#[derive(Debug)]
pub enum Buffers<'a, 'i, 'o> {
    /// One slice per channel in, one per channel out, all the same length.
    Planar {
        /// Input channels.
        input: &'a [&'i [f32]],
        /// Output channels.
        output: &'a mut [&'o mut [f32]],
    },
    /// One slice per channel, processed in place.
    PlanarInPlace {
        /// Channels, overwritten by the output.
        bufs: &'a mut [&'o mut [f32]],
    },
    /// Interleaved frames in and out, the same length.
    Interleaved {
        /// Input frames.
        input: &'a [f32],
        /// Output frames.
        output: &'a mut [f32],
    },
    /// Interleaved frames processed in place.
    InterleavedInPlace {
        /// Frames, overwritten by the output.
        buf: &'a mut [f32],
    },
}

/// A read-only detector input (sidechain), in either layout; it must have
/// the main buffers' channels and frames.
#[derive(Clone, Copy, Debug)]
pub enum Key<'a, 'k> {
    /// One slice per channel.
    Planar(&'a [&'k [f32]]),
    /// Interleaved frames.
    Interleaved(&'a [f32]),
}

fn whole_frames(len: usize, channels: usize) -> Result<usize, ShapeError> {
    if channels == 0 || !len.is_multiple_of(channels) {
        return Err(ShapeError::PartialFrame { len, channels });
    }
    Ok(len / channels)
}

fn same_channels(expected: usize, got: usize) -> Result<(), ShapeError> {
    if expected == got {
        Ok(())
    } else {
        Err(ShapeError::ChannelMismatch { expected, got })
    }
}

fn common_len(mut lens: impl Iterator<Item = usize>) -> Result<usize, ShapeError> {
    let first = lens.next().unwrap_or(0);
    match lens.find(|&len| len != first) {
        Some(got) => Err(ShapeError::LengthMismatch {
            expected: first,
            got,
        }),
        None => Ok(first),
    }
}

impl Buffers<'_, '_, '_> {
    /// Checks the buffers for `channels` channels and returns the number of
    /// frames (samples per channel) they hold.
    pub fn frames(&self, channels: usize) -> Result<usize, ShapeError> {
        match self {
            Buffers::Planar { input, output } => {
                same_channels(channels, input.len())?;
                same_channels(channels, output.len())?;
                let lens = input.iter().map(|c| c.len());
                common_len(lens.chain(output.iter().map(|c| c.len())))
            }
            Buffers::PlanarInPlace { bufs } => {
                same_channels(channels, bufs.len())?;
                common_len(bufs.iter().map(|c| c.len()))
            }
            Buffers::Interleaved { input, output } => {
                if input.len() != output.len() {
                    return Err(ShapeError::LengthMismatch {
                        expected: input.len(),
                        got: output.len(),
                    });
                }
                whole_frames(input.len(), channels)
            }
            Buffers::InterleavedInPlace { buf } => whole_frames(buf.len(), channels),
        }
    }
}

impl Key<'_, '_> {
    /// Checks the key for `channels` channels and `frames` frames.
    pub fn check(&self, channels: usize, frames: usize) -> Result<(), ShapeError> {
        let got = match self {
            Key::Planar(planes) => {
                same_channels(channels, planes.len())?;
                common_len(planes.iter().map(|c| c.len()))?
            }
            Key::Interleaved(buf) => whole_frames(buf.len(), channels)?,
        };
        if got == frames || channels == 0 {
            Ok(())
        } else {
            Err(ShapeError::LengthMismatch {
                expected: frames,
                got,
            })
        }
    }
}
