//! The sequential route: a block processor with few channels runs each
//! channel along time through its kernel's scalar reference, compiled with
//! the processor's ISA's target features.
//!
//! A block kernel keeps a history per slot (delay lines, sliding windows);
//! one or two channels fill one or two lanes of a register, and the lane
//! form then pays each register's history traffic for almost no work. The
//! reference's loop keeps that history in a few kilobytes of L1 and, being
//! the specification, has the kernel's bits by definition. Which channel
//! counts take this route is a tuning rule per kernel (docs/tuning.md); it
//! depends on the channel count only, so a processor's state stays in one
//! place for its whole life.

use crate::core::Core;
use crate::error::Result;
use lanedsp_kernels::job::LaneJob;
use lanedsp_kernels::route::Route;
use lanedsp_kernels::{Buffers, Lanes};

/// Frames of an interleaved call that each channel runs through before
/// the next channel takes them, so they stay in the L1 cache.
const PIECE: usize = 1024;

/// The channels of a processor on the sequential route: each runs its
/// samples through its scalar reference.
pub(crate) trait PerChannel {
    /// Processes `samples` of `channel` (in order: contiguous, or one
    /// channel of an interleaved buffer), in place, continuing its stream.
    /// Implementations are `#[inline(always)]`, so that the reference's
    /// loop is compiled inside the ISA's entry point, with its features.
    fn process<'a>(&mut self, channel: usize, samples: impl Iterator<Item = &'a mut f32>);

    /// Processes the interleaved `buf` of `count` channels (whole frames),
    /// in place, continuing every channel's stream. By default each channel
    /// runs alone, reading its samples where they lie ([`strided`]); a
    /// kernel whose per-sample work is small enough that the stride shows
    /// runs its channels frame by frame instead, with the same bits.
    #[inline(always)]
    fn process_interleaved(&mut self, buf: &mut [f32], count: usize) {
        strided(buf, count, self);
    }
}

impl Core {
    /// Checks `buffers` for the core's channels, then runs each channel's
    /// samples, in order, through `channels` on the core's
    /// ISA: planar channels in place (after copying the input to the
    /// output), interleaved ones where they lie, in pieces of [`PIECE`]
    /// frames. On error nothing is written.
    pub(crate) fn run_per_channel<P: PerChannel + ?Sized>(
        &mut self,
        buffers: Buffers<'_, '_, '_>,
        channels: &mut P,
    ) -> Result<()> {
        let count = self.channels();
        let frames = buffers.frames(count)?;
        self.engine.run_job(Job {
            buffers,
            count,
            channels,
        });
        self.ran_whole(frames, Route::Sequential);
        Ok(())
    }
}

/// One call of the sequential route, as a job for the ISA's entry point.
struct Job<'a, 'b, 'i, 'o, P: ?Sized> {
    buffers: Buffers<'b, 'i, 'o>,
    count: usize,
    channels: &'a mut P,
}

impl<P: PerChannel + ?Sized> LaneJob for Job<'_, '_, '_, '_, P> {
    type Output = ();

    #[inline(always)]
    fn run<S: Lanes>(self, _s: S) {
        let Job {
            buffers,
            count,
            channels,
        } = self;
        match buffers {
            Buffers::Planar { input, output } => {
                for (c, (x, y)) in input.iter().zip(output.iter_mut()).enumerate() {
                    y.copy_from_slice(x);
                    channels.process(c, y.iter_mut());
                }
            }
            Buffers::PlanarInPlace { bufs } => {
                for (c, y) in bufs.iter_mut().enumerate() {
                    channels.process(c, y.iter_mut());
                }
            }
            Buffers::Interleaved { input, output } => {
                output.copy_from_slice(input);
                channels.process_interleaved(output, count);
            }
            Buffers::InterleavedInPlace { buf } => channels.process_interleaved(buf, count),
        }
    }
}

/// Each channel of the interleaved `buf`, read and written where it lies
/// (a stride of `count`), [`PIECE`] frames at a time.
#[inline(always)]
pub(crate) fn strided<P: PerChannel + ?Sized>(buf: &mut [f32], count: usize, channels: &mut P) {
    if count <= 1 {
        if count == 1 {
            channels.process(0, buf.iter_mut());
        }
        return;
    }
    for frames in buf.chunks_mut(PIECE * count) {
        for c in 0..count {
            channels.process(c, frames[c..].iter_mut().step_by(count));
        }
    }
}
