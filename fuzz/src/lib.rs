//! Shared machinery of the `lanedsp` fuzz targets.
//!
//! * [`decode`]: fuzzer bytes as channel counts, block splits, layouts and
//!   raw `f32` bit patterns (NaN payloads, infinities, subnormals, `-0.0`,
//!   the thresholds of the numeric policy).
//! * [`buffers`]: one block through a processor in each of the four
//!   layouts, in exact-length or canary-guarded buffers.
//! * [`differential`]: every available ISA against the scalar reference,
//!   `to_bits` equal, with the policy's invariants on every output and
//!   state ([`Case`]).
//! * [`api`]: every constructor, setter and process call with arbitrary
//!   arguments and buffer shapes: typed errors only, and a refused call
//!   changes nothing ([`ApiCase`]).
//! * [`envelope`]: the envelope follower as both.
//! * [`compressor`]: the compressor as a [`Case`].
//! * [`limiter`]: the lookahead limiter as a [`Case`].
//! * [`eq`]: the equalizer as a [`Case`].
//! * [`peak_hold`]: the peak hold as a [`Case`] (the smallest one: no
//!   setters, no state to compare).
//!
//! A new processor needs a [`Case`] and an [`ApiCase`] implementation (its
//! settings, its reference, its setters) and two three-line targets in
//! `fuzz_targets/`.

pub mod api;
pub mod buffers;
pub mod compressor;
pub mod decode;
pub mod differential;
pub mod envelope;
pub mod eq;
pub mod limiter;
pub mod peak_hold;

pub use api::{ApiCase, api};
pub use differential::{Case, Reference, differential};
