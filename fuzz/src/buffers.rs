//! Running one block through a processor in each of the four buffer layouts,
//! with buffers that catch stray accesses.
//!
//! Inputs and in-place buffers are exact-length heap allocations
//! (`Box<[f32]>`), so under AddressSanitizer (cargo-fuzz's default) a read or
//! write past their end hits a redzone. Separate outputs sit between
//! [`GUARD`] canaries inside a larger allocation, so a stray write is caught
//! even without a sanitizer, and so is a sample left unwritten (it keeps the
//! [`CANARY`] NaN, which the numeric policy never outputs).

use crate::decode::Planes;
use lanedsp::Processor;

/// Canary floats on each side of a separate output buffer.
pub const GUARD: usize = 16;
/// A signalling NaN with a recognisable payload.
pub const CANARY: f32 = f32::from_bits(0x7fa5_5a5a);

/// The four layouts of [`Processor`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `process_planar`.
    Planar,
    /// `process_planar_in_place`.
    PlanarInPlace,
    /// `process_interleaved`.
    Interleaved,
    /// `process_interleaved_in_place`.
    InterleavedInPlace,
}

impl Layout {
    /// All four.
    pub const ALL: [Layout; 4] = [
        Layout::Planar,
        Layout::PlanarInPlace,
        Layout::Interleaved,
        Layout::InterleavedInPlace,
    ];

    /// The layout of the `i`-th ISA from a block's layout byte (two bits
    /// per ISA for up to three ISAs, so different ISAs may run the same
    /// block in different layouts; a fourth ISA reuses the first's bits).
    pub fn pick(layouts: u8, i: usize) -> Layout {
        Layout::ALL[(layouts >> (2 * (i % 3))) as usize & 3]
    }
}

/// An exact-length heap copy of `values`.
pub fn exact(values: impl Iterator<Item = f32>) -> Box<[f32]> {
    values.collect::<Vec<f32>>().into_boxed_slice()
}

/// Frames (sample `f` of channel `c` at `[f * channels + c]`) from
/// channels, in an exact-length allocation.
pub fn interleave(planes: &Planes) -> Box<[f32]> {
    let channels = planes.len();
    let frames = planes.first().map_or(0, Vec::len);
    let mut out = vec![0.0; frames * channels];
    for (c, plane) in planes.iter().enumerate() {
        for (f, &x) in plane.iter().enumerate() {
            out[f * channels + c] = x;
        }
    }
    out.into_boxed_slice()
}

/// Channels from frames.
pub fn deinterleave(frames: &[f32], channels: usize) -> Planes {
    let len = frames.len() / channels;
    let mut out = vec![vec![0.0; len]; channels];
    for (f, frame) in frames.chunks_exact(channels).enumerate() {
        for (plane, &x) in out.iter_mut().zip(frame) {
            plane[f] = x;
        }
    }
    out
}

/// How planar channels are allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alloc {
    /// One exact-length allocation per input or in-place channel, one
    /// guarded allocation per output channel: under AddressSanitizer, an
    /// access past any channel's end is caught.
    Separate,
    /// All channels in one allocation, separated by canaries: cheap for
    /// thousands of channels; stray writes are still caught, stray reads
    /// only at the ends.
    Packed,
}

/// `n` regions of `len` floats, each between [`GUARD`] canaries, in one
/// allocation.
struct Guarded {
    data: Vec<f32>,
    len: usize,
}

impl Guarded {
    fn canaries(n: usize, len: usize) -> Self {
        Guarded {
            data: vec![CANARY; GUARD + n * (len + GUARD)],
            len,
        }
    }

    /// The regions, all borrowed at once.
    fn regions(&mut self) -> Vec<&mut [f32]> {
        let len = self.len;
        self.data[GUARD..]
            .chunks_exact_mut(len + GUARD)
            .map(|r| &mut r[..len])
            .collect()
    }

    /// The regions' values; panics if a canary was overwritten.
    fn check(self, what: &dyn Fn() -> String) -> Planes {
        let stride = self.len + GUARD;
        let intact = |r: &[f32]| r.iter().all(|x| x.to_bits() == CANARY.to_bits());
        for (i, chunk) in self.data.chunks(stride).enumerate() {
            // Chunk `i` is the guard before region `i`, then region `i`.
            if !intact(&chunk[..GUARD.min(chunk.len())]) {
                panic!(
                    "{}: write outside the output buffers ({} floats each), in the guard before region {i}",
                    what(),
                    self.len
                );
            }
        }
        self.data[GUARD..]
            .chunks_exact(stride)
            .map(|r| r[..self.len].to_vec())
            .collect()
    }
}

/// Runs one block (every channel the same length, `input.len()` equal to
/// the processor's channels) in `layout` and returns the output channels.
/// Panics if the processor rejects the buffers or writes outside them.
pub fn run(proc: &mut impl Processor, layout: Layout, alloc: Alloc, input: &Planes) -> Planes {
    let channels = input.len();
    let frames = input.first().map_or(0, Vec::len);
    let what = || format!("{layout:?} block of {channels} ch x {frames} frames");
    let refused = |e: lanedsp::Error| -> ! { panic!("{}: valid buffers refused: {e}", what()) };
    match (layout, alloc) {
        (Layout::Planar, Alloc::Separate) => {
            let ins: Vec<Box<[f32]>> = input.iter().map(|c| exact(c.iter().copied())).collect();
            let ins: Vec<&[f32]> = ins.iter().map(|c| &**c).collect();
            let mut outs: Vec<Guarded> = (0..channels)
                .map(|_| Guarded::canaries(1, frames))
                .collect();
            let mut refs: Vec<&mut [f32]> = outs
                .iter_mut()
                .map(|o| o.regions().pop().expect("one region"))
                .collect();
            proc.process_planar(&ins, &mut refs)
                .unwrap_or_else(|e| refused(e));
            outs.into_iter().flat_map(|o| o.check(&what)).collect()
        }
        (Layout::Planar, Alloc::Packed) => {
            let packed = exact(input.iter().flatten().copied());
            let ins: Vec<&[f32]> = if frames == 0 {
                vec![&[]; channels]
            } else {
                packed.chunks_exact(frames).collect()
            };
            let mut out = Guarded::canaries(channels, frames);
            let mut refs = out.regions();
            proc.process_planar(&ins, &mut refs)
                .unwrap_or_else(|e| refused(e));
            out.check(&what)
        }
        (Layout::PlanarInPlace, Alloc::Separate) => {
            let mut bufs: Vec<Box<[f32]>> =
                input.iter().map(|c| exact(c.iter().copied())).collect();
            let mut refs: Vec<&mut [f32]> = bufs.iter_mut().map(|c| &mut **c).collect();
            proc.process_planar_in_place(&mut refs)
                .unwrap_or_else(|e| refused(e));
            bufs.into_iter().map(Vec::from).collect()
        }
        (Layout::PlanarInPlace, Alloc::Packed) => {
            let mut bufs = Guarded::canaries(channels, frames);
            let mut refs = bufs.regions();
            for (r, c) in refs.iter_mut().zip(input) {
                r.copy_from_slice(c);
            }
            proc.process_planar_in_place(&mut refs)
                .unwrap_or_else(|e| refused(e));
            bufs.check(&what)
        }
        (Layout::Interleaved, _) => {
            let frames_in = interleave(input);
            let mut out = Guarded::canaries(1, frames_in.len());
            let mut refs = out.regions();
            proc.process_interleaved(&frames_in, refs[0])
                .unwrap_or_else(|e| refused(e));
            deinterleave(&out.check(&what)[0], channels)
        }
        (Layout::InterleavedInPlace, _) => {
            let mut buf = interleave(input);
            proc.process_interleaved_in_place(&mut buf)
                .unwrap_or_else(|e| refused(e));
            deinterleave(&buf, channels)
        }
    }
}
