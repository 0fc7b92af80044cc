//! Kernels of `lanedsp`: per-lane dynamics math written once, its scalar
//! reference, the per-ISA bodies and the runtime dispatch that picks among
//! them.
//!
//! * [`reference`](mod@reference): the exact arithmetic of each kernel, one channel at a
//!   time (the specification in code).
//! * [`generic`]: the same arithmetic over [`Lanes`], one register of
//!   channels at a time, as [`LaneKernel`]s.
//! * `arch`: the ISA tokens (scalar, AVX2, AVX-512, NEON) implementing
//!   [`Lanes`], and their `#[target_feature]` entry points. All `unsafe`
//!   code of the two library crates is there.
//! * [`Engine`]: an ISA this CPU runs; [`Engine::run`] runs a kernel over a
//!   buffer [`layout`]. [`isa::selected`] is the cached process-wide choice.
//!
//! Every ISA produces output bit-identical to the scalar reference for every
//! input; see docs/kernels.md for the formulas and docs/design.md for how.

pub mod bank;
pub mod block;
pub mod chunk;
pub mod drive;
pub mod engine;
pub mod generic;
pub mod isa;
pub mod job;
pub mod kernel;
pub mod lanes;
pub mod layout;
pub mod plan;
pub mod policy;
pub mod reference;
pub mod route;
pub mod tuning;

mod arch;

#[cfg(target_arch = "aarch64")]
pub use arch::aarch64::Neon;
pub use arch::fpenv::with_subnormals_flushed;
pub use arch::scalar::Scalar;
#[cfg(target_arch = "x86_64")]
pub use arch::x86_64::{Avx2, Avx512};

pub use bank::Bank;
pub use block::{BlockKernel, History};
pub use chunk::{Chunking, Execution};
pub use engine::{Engine, IsaUnavailable};
pub use isa::{Isa, Selection};
pub use job::LaneJob;
pub use kernel::LaneKernel;
pub use lanes::Lanes;
pub use layout::{BufferRole, Buffers, Key, ShapeError};
pub use plan::Plan;
