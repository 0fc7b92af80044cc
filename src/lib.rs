//! # lanedsp
//!
//! SIMD dynamics processing for many channels at once, bit-identical on
//! every CPU.
//!
//! A dynamics processor is a per-sample recurrence: sample `n` needs the
//! state after sample `n - 1`, so it cannot be vectorised along time.
//! `lanedsp` vectorises *across channels* instead: independent channels sit
//! in SIMD lanes (16 per AVX-512 register, 8 per AVX2, 4 per NEON), so one
//! instruction advances many channels by one sample.
//!
//! * Processors: [`EnvelopeFollower`], [`Compressor`] (also upward
//!   compression, expansion and gating, with linking and sidechain), its
//!   [`stages`] as separate processors, [`Limiter`], [`Equalizer`] and
//!   [`LoudnessMeter`]. Attack and release times are [`Time`]s (plain
//!   `f32` seconds, or a peer's convention).
//! * Buffers: planar (`&[&[f32]]`) or interleaved (`&[f32]`), separate or in
//!   place, any length; state carries across calls. A [`Sidechain`] is
//!   planar, as shared slices or as the `&[&mut [f32]]` plugin hosts hand
//!   out (read in place, nothing copied), or interleaved.
//! * Dispatch: the widest ISA this CPU runs is detected once and cached
//!   ([`selected_isa`]); `LANEDSP_ISA=scalar|avx2|avx512|neon` overrides it,
//!   and every processor can be built for any available ISA
//!   (`with_isa`). Planar calls past the cache stream (non-temporal
//!   stores, on AVX-512) from [`STREAM_FLOATS`] floats of output, or the
//!   size `with_stream_threshold` sets.
//! * Exactness: every ISA gives output bit-identical (`to_bits`) to the
//!   scalar reference in [`lanedsp_kernels::reference`], for every input,
//!   NaN, infinities and subnormals included (docs/kernels.md).
//! * Real time: no process call allocates, locks or panics; bad
//!   parameters and mismatched buffers are an [`Error`].
//! * Internals: the kernel parameters a processor runs with and where its
//!   channels sit in the lanes, for tests and models, are in [`advanced`].

pub mod advanced;
mod compressor;
mod core;
mod envelope;
mod eq;
mod limiter;
mod loudness;
mod peak_hold;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod error;
mod params;
mod processor;
mod sequential;
pub mod stages;
mod time;

pub use compressor::{Compressor, Detection, LinkMode, MIN_KNEE_DB, Makeup, Mode, Settings};
pub use envelope::{EnvelopeDetection, EnvelopeFollower};
pub use eq::{DEFAULT_CROSSFADE_SECONDS, Equalizer, MAX_CROSSFADE_SECONDS};
pub use error::{Error, Result};
pub use lanedsp_kernels::chunk::{Chunking, Execution, Reason as ChunkReason};
pub use lanedsp_kernels::drive::STREAM_FLOATS;
pub use lanedsp_kernels::isa::{ISA_ENV, Reason, Selection};
pub use lanedsp_kernels::plan::{MAX_LINK, PlanError};
pub use lanedsp_kernels::reference::biquad::{
    Coefficients as BiquadCoefficients, Design as Band, FilterError, MAX_SECTIONS as MAX_BANDS,
};
pub use lanedsp_kernels::route::{Path as RoutePath, Route};
pub use lanedsp_kernels::tuning::CHUNK_MIN_FRAMES;
pub use lanedsp_kernels::{BufferRole, Buffers, Isa, IsaUnavailable, Key as Sidechain, ShapeError};
pub use limiter::{Limiter, LimiterSettings, MAX_LOOKAHEAD, MAX_LOOKAHEAD_FRAMES};
pub use loudness::{Loudness, LoudnessMeter};
pub use params::MAX_CHANNELS;
pub use peak_hold::{MAX_HOLD_FRAMES, PeakHold};
pub use processor::Processor;
pub use time::Time;

/// The ISA processors use unless built for another one: detected once per
/// process (the widest available), or the one [`ISA_ENV`] names.
pub fn selected_isa() -> Isa {
    lanedsp_kernels::isa::selected()
}

/// The process-wide ISA choice and why it was made.
pub fn isa_selection() -> &'static Selection {
    lanedsp_kernels::isa::selection()
}

/// The ISAs this CPU runs, from the most portable to the widest.
pub fn available_isas() -> Vec<Isa> {
    Isa::available()
}
