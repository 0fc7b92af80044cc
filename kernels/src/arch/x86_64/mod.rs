//! x86-64: AVX2 (with FMA) and AVX-512.

mod avx2;
mod avx512;

pub use avx2::Avx2;
pub use avx512::Avx512;
