//! Per-ISA lane types and entry points. All `unsafe` code and every
//! `#[target_feature]` attribute of the crate lives under this module.
//!
//! Each ISA has a zero-sized token type that can only be constructed on a
//! CPU that runs its instructions (`new()` detects; detection is cached by
//! `std`). The token implements [`crate::Lanes`] and has one entry point,
//! `run`, which executes any [`crate::LaneJob`] inside a function compiled
//! with the ISA's target features.

pub mod fpenv;
pub mod scalar;

#[cfg(target_arch = "x86_64")]
pub mod x86_64;

#[cfg(target_arch = "aarch64")]
pub mod aarch64;
