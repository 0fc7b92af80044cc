//! AArch64: Advanced SIMD (NEON).

mod neon;

pub use neon::Neon;
