//! Tuning rules that pick a route per call shape and ISA. Each value is
//! the measured crossover; docs/tuning.md gives the measurement behind it
//! (figure, CPU, date). Changing a value changes speed only, never bits.

use crate::isa::Isa;

/// Most channels for which a call of a kernel takes the time-lanes route
/// ([`crate::LaneKernel::timed`]), per ISA. Past it, channels fill the
/// lanes instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimedChannels {
    /// On [`Isa::Scalar`].
    pub scalar: usize,
    /// On [`Isa::Avx2`].
    pub avx2: usize,
    /// On [`Isa::Avx512`].
    pub avx512: usize,
    /// On [`Isa::Neon`].
    pub neon: usize,
}

impl TimedChannels {
    /// Never the time-lanes route.
    pub const NONE: TimedChannels = TimedChannels {
        scalar: 0,
        avx2: 0,
        avx512: 0,
        neon: 0,
    };

    /// The value for `isa`.
    pub const fn get(&self, isa: Isa) -> usize {
        match isa {
            Isa::Scalar => self.scalar,
            Isa::Avx2 => self.avx2,
            Isa::Avx512 => self.avx512,
            Isa::Neon => self.neon,
        }
    }
}

/// The envelope follower: its one recurrence is the whole kernel, so the
/// time-lanes route is the reference's loop. On AVX2 and AVX-512 it beats
/// the lanes at one channel only; on the portable ISA (four-lane arrays)
/// at every count measured (up to 16). NEON: not measured on hardware,
/// set as on AVX2.
pub const ENVELOPE_TIMED: TimedChannels = TimedChannels {
    scalar: 16,
    avx2: 1,
    avx512: 1,
    neon: 1,
};

/// The fused compressor: its two recurrences along time, branch-free; the
/// curve's and the application's polynomials on consecutive frames. On
/// AVX2 and AVX-512 it beats the lanes up to two channels, on the portable
/// ISA at one. NEON: not measured on hardware, set as on AVX2.
pub const COMPRESSOR_TIMED: TimedChannels = TimedChannels {
    scalar: 1,
    avx2: 2,
    avx512: 2,
    neon: 2,
};
