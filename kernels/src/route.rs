//! How a call reached its kernel: the route the engine took, recorded in
//! each call's [`Execution`](crate::chunk::Execution) (`lanedsp info
//! --routes` prints it for a set of call shapes).

use core::fmt;

/// The route one process call took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// No call has run yet.
    NotRun,
    /// Each channel along time through the kernel's scalar reference,
    /// compiled for the ISA (block kernels with few channels).
    Sequential,
    /// One channel at a time: the recurrences along time, the stateless
    /// stages on consecutive frames in the lanes.
    TimeLanes,
    /// Chunks of each channel in the lanes, then the repair
    /// ([`crate::chunk`]).
    Chunks,
    /// Channels in the lanes of registers of `lanes` floats, reached
    /// through `path`.
    Lanes {
        /// Floats per register.
        lanes: usize,
        /// How the registers reach the buffers.
        path: Path,
    },
}

/// How a call with channels in the lanes reaches its buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// Interleaved frames loaded and stored where they lie.
    Direct,
    /// Interleaved, the output staged in a tile and copied out with
    /// non-temporal stores (out of cache).
    Staged,
    /// Planar squares of frames x channels transposed in registers; the
    /// frames outside whole squares through the tile.
    Planar,
    /// As [`Path::Planar`], with non-temporal stores of whole lines.
    PlanarStream,
    /// Every frame gathered into a stack tile and scattered back (linked
    /// plans on interleaved buffers, a key in the other layout, planar
    /// slices at mixed line offsets).
    Tiled,
    /// A block kernel's groups through the tile, with their history.
    Block,
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Path::Direct => "interleaved, direct",
            Path::Staged => "interleaved, staged output",
            Path::Planar => "planar squares",
            Path::PlanarStream => "planar squares, streaming stores",
            Path::Tiled => "gathered to a tile",
            Path::Block => "block kernel, gathered to a tile",
        })
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Route::NotRun => f.write_str("not run"),
            Route::Sequential => {
                f.write_str("sequential (each channel through the reference loop)")
            }
            Route::TimeLanes => f.write_str("time lanes (one channel at a time)"),
            Route::Chunks => f.write_str("chunks in lanes"),
            Route::Lanes { lanes, path } => write!(f, "channels in {lanes} lanes, {path}"),
        }
    }
}
