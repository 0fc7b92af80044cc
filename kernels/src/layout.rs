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
    /// A buffer's length differs from the length the call's other buffers
    /// set: for planar buffers, the first slice's (the first input
    /// channel's, or the first channel's in place); for an interleaved
    /// output, the input's; for a key, the main buffers' frames.
    LengthMismatch {
        /// The buffer whose length is wrong.
        buffer: BufferRole,
        /// Its channel, for one slice per channel; `None` for an
        /// interleaved buffer.
        channel: Option<usize>,
        /// The length it must have, in samples (`f32`s of the slice).
        expected: usize,
        /// Its length, in samples.
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

/// Which buffer of a call a [`ShapeError::LengthMismatch`] names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BufferRole {
    /// The input.
    Input,
    /// The output.
    Output,
    /// The buffer of an in-place call (input and output at once).
    InPlace,
    /// The sidechain key.
    Key,
}

impl fmt::Display for BufferRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BufferRole::Input => "input",
            BufferRole::Output => "output",
            BufferRole::InPlace => "in-place buffer",
            BufferRole::Key => "key",
        })
    }
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ShapeError::ChannelMismatch { expected, got } => {
                write!(f, "expected {expected} channels, got {got}")
            }
            ShapeError::LengthMismatch {
                buffer,
                channel: Some(c),
                expected,
                got,
            } => write!(
                f,
                "{buffer} channel {c} holds {got} samples, expected {expected}"
            ),
            ShapeError::LengthMismatch {
                buffer,
                channel: None,
                expected,
                got,
            } => write!(f, "{buffer} holds {got} samples, expected {expected}"),
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

/// A read-only detector input (sidechain), planar or interleaved; it must
/// have the main buffers' channels and frames.
///
/// Planar channels come as shared slices (`&[&[f32]]`) or as the mutable
/// ones plugin hosts hand out (`&[&mut [f32]]`, e.g. nih-plug's
/// `Buffer::as_slice_immutable`), read in place either way; each of these
/// slice types (and `&mut [&mut [f32]]`) converts into a key with `into()`.
#[derive(Clone, Copy, Debug)]
pub enum Key<'a, 'k> {
    /// One slice per channel.
    Planar(&'a [&'k [f32]]),
    /// One slice per channel, held mutably by the caller (only read).
    PlanarMut(&'a [&'k mut [f32]]),
    /// Interleaved frames.
    Interleaved(&'a [f32]),
}

impl<'a, 'k> Key<'a, 'k> {
    /// Channel `c` of a planar key (`None` for an interleaved one).
    #[inline]
    pub fn plane(self, c: usize) -> Option<&'a [f32]> {
        match self {
            Key::Planar(planes) => Some(planes[c]),
            Key::PlanarMut(planes) => Some(&*planes[c]),
            Key::Interleaved(_) => None,
        }
    }

    /// Whether the key is planar (either variant).
    #[inline]
    pub fn is_planar(self) -> bool {
        !matches!(self, Key::Interleaved(_))
    }
}

impl<'a, 'k> From<&'a [&'k [f32]]> for Key<'a, 'k> {
    fn from(planes: &'a [&'k [f32]]) -> Self {
        Key::Planar(planes)
    }
}

impl<'a, 'k> From<&'a [&'k mut [f32]]> for Key<'a, 'k> {
    fn from(planes: &'a [&'k mut [f32]]) -> Self {
        Key::PlanarMut(planes)
    }
}

impl<'a, 'k> From<&'a mut [&'k mut [f32]]> for Key<'a, 'k> {
    fn from(planes: &'a mut [&'k mut [f32]]) -> Self {
        Key::PlanarMut(planes)
    }
}

impl<'a> From<&'a [f32]> for Key<'a, '_> {
    fn from(frames: &'a [f32]) -> Self {
        Key::Interleaved(frames)
    }
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

/// The common length of planar slices, given as (buffer, channel, slice):
/// the first slice's, or an error naming the first slice that differs.
fn common_len<'s>(
    mut slices: impl Iterator<Item = (BufferRole, usize, &'s [f32])>,
) -> Result<usize, ShapeError> {
    let Some((_, _, first)) = slices.next() else {
        return Ok(0);
    };
    let expected = first.len();
    match slices.find(|(_, _, s)| s.len() != expected) {
        Some((buffer, c, s)) => Err(ShapeError::LengthMismatch {
            buffer,
            channel: Some(c),
            expected,
            got: s.len(),
        }),
        None => Ok(expected),
    }
}

/// Each slice of `planes` as (`buffer`, channel, slice).
fn named<'a, P: AsRef<[f32]>>(
    buffer: BufferRole,
    planes: &'a [P],
) -> impl Iterator<Item = (BufferRole, usize, &'a [f32])> + 'a {
    planes
        .iter()
        .enumerate()
        .map(move |(c, s)| (buffer, c, s.as_ref()))
}

impl Buffers<'_, '_, '_> {
    /// Checks the buffers for `channels` channels and returns the number of
    /// frames (samples per channel) they hold.
    pub fn frames(&self, channels: usize) -> Result<usize, ShapeError> {
        match self {
            Buffers::Planar { input, output } => {
                same_channels(channels, input.len())?;
                same_channels(channels, output.len())?;
                let outputs = named(BufferRole::Output, output);
                common_len(named(BufferRole::Input, input).chain(outputs))
            }
            Buffers::PlanarInPlace { bufs } => {
                same_channels(channels, bufs.len())?;
                common_len(named(BufferRole::InPlace, bufs))
            }
            Buffers::Interleaved { input, output } => {
                if input.len() != output.len() {
                    return Err(ShapeError::LengthMismatch {
                        buffer: BufferRole::Output,
                        channel: None,
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
        let mismatch = |channel, expected, got| ShapeError::LengthMismatch {
            buffer: BufferRole::Key,
            channel,
            expected,
            got,
        };
        let lens = |planes: &mut dyn Iterator<Item = usize>, count: usize| {
            same_channels(channels, count)?;
            match planes.enumerate().find(|&(_, len)| len != frames) {
                Some((c, len)) => Err(mismatch(Some(c), frames, len)),
                None => Ok(()),
            }
        };
        match self {
            Key::Planar(planes) => lens(&mut planes.iter().map(|p| p.len()), planes.len()),
            Key::PlanarMut(planes) => lens(&mut planes.iter().map(|p| p.len()), planes.len()),
            Key::Interleaved(buf) => {
                if whole_frames(buf.len(), channels)? == frames {
                    Ok(())
                } else {
                    Err(mismatch(None, frames * channels, buf.len()))
                }
            }
        }
    }
}
