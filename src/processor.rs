//! [`Processor`]: what every multi-channel processor of the crate offers.

use crate::error::Result;
use lanedsp_kernels::{Buffers, Isa};

/// A streaming multi-channel processor.
///
/// Every process call takes one of the four [`Buffers`] layouts, of any
/// length including 0, continues from the state the previous call left, and
/// never allocates, locks or panics (a call of at least
/// [`CHUNK_MIN_FRAMES`](crate::CHUNK_MIN_FRAMES) frames that a processor
/// runs in chunks allocates their scratch once; see
/// [`Chunking`](crate::Chunking)). A call that returns an error has read
/// and written nothing and left the state as it was.
pub trait Processor {
    /// Number of channels.
    fn channels(&self) -> usize;
    /// The ISA the processor runs on.
    fn isa(&self) -> Isa;
    /// Returns every channel to its initial state.
    fn reset(&mut self);
    /// The delay from input to output in frames: an impulse at input frame
    /// 0 comes out at output frame `latency()` (0 for every processor
    /// without lookahead). It changes only when settings change it.
    fn latency(&self) -> usize {
        0
    }
    /// Processes one block in any layout.
    fn process(&mut self, buffers: Buffers<'_, '_, '_>) -> Result<()>;

    /// Processes planar buffers: `input[c]` and `output[c]` are channel `c`,
    /// all the same length.
    fn process_planar(&mut self, input: &[&[f32]], output: &mut [&mut [f32]]) -> Result<()> {
        self.process(Buffers::Planar { input, output })
    }

    /// Processes planar buffers in place.
    fn process_planar_in_place(&mut self, bufs: &mut [&mut [f32]]) -> Result<()> {
        self.process(Buffers::PlanarInPlace { bufs })
    }

    /// Processes interleaved frames (sample `f` of channel `c` at
    /// `[f * channels + c]`); `output` is as long as `input`, both a whole
    /// number of frames.
    fn process_interleaved(&mut self, input: &[f32], output: &mut [f32]) -> Result<()> {
        self.process(Buffers::Interleaved { input, output })
    }

    /// Processes interleaved frames in place.
    fn process_interleaved_in_place(&mut self, buf: &mut [f32]) -> Result<()> {
        self.process(Buffers::InterleavedInPlace { buf })
    }
}
