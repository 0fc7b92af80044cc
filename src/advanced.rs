//! A look inside processors, for tests, models and benchmarks: the kernel
//! parameters a processor runs with and where its channels sit in the
//! lanes. Not needed to process audio; these follow the kernels crate
//! ([`lanedsp_kernels`]) and change with it.
//!
//! The scalar references of [`lanedsp_kernels::reference`] take these
//! parameters, so a test can reproduce a processor channel by channel:
//!
//! ```
//! use lanedsp::advanced::CompressorInternals;
//! use lanedsp::{Compressor, Settings};
//!
//! let comp = Compressor::new(48_000.0, 2, Settings::compressor())?;
//! let params = comp.kernel_params(1).expect("channel 1 exists");
//! assert_eq!(comp.plan().slot(1), 1);
//! assert_eq!(params.link.amount, 0.0);
//! # Ok::<(), lanedsp::Error>(())
//! ```

#[cfg(doc)]
use crate::{Compressor, Limiter};

pub use lanedsp_kernels::plan::Plan;
pub use lanedsp_kernels::reference::dynamics::Compressor as CompressorParams;
pub use lanedsp_kernels::reference::limiter::{LimiterParams, LimiterShape};

/// The internals of the [`Compressor`] and of the compressor's stages
/// ([`crate::stages`]).
pub trait CompressorInternals {
    /// The kernel parameters of `channel` (`None` if it does not exist):
    /// what [`lanedsp_kernels::reference::dynamics`] needs to reproduce
    /// the channel. A stage's parameters are unlinked.
    fn kernel_params(&self, channel: usize) -> Option<CompressorParams>;

    /// The slot plan: where each channel sits in the lanes (link groups
    /// are aligned blocks of slots).
    fn plan(&self) -> &Plan;
}

/// The internals of the [`Limiter`].
pub trait LimiterInternals {
    /// The shape (lookahead, true-peak phases) and the parameters the
    /// kernel runs with, the same for every channel:
    /// [`lanedsp_kernels::reference::limiter::Limiter`] takes them.
    fn kernel_params(&self) -> (LimiterShape, LimiterParams);

    /// The slot plan: where each channel sits in the lanes.
    fn plan(&self) -> &Plan;
}
