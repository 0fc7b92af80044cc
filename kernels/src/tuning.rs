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

/// The route choices of one ISA that are not thresholds: which of the
/// driver's alternatives measured faster on it (docs/tuning.md, "Driver
/// routes"). The driver reads these, never an ISA's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IsaRoutes {
    /// Interleaved calls out of cache, with a separate output, of a
    /// single-pass kernel over more channels than one group holds, stage
    /// the output in an L1 tile and copy it out with non-temporal stores
    /// (docs/tuning.md, `stages`).
    pub staged_output: bool,
    /// Planar calls below the stream threshold run one register per group
    /// for single-pass kernels, and for multi-pass kernels past two
    /// registers of slots (docs/tuning.md, `planar::narrow`).
    pub narrow_planar: bool,
    /// Kernels that want [`crate::LaneKernel::CHAINS`] independent
    /// registers run on the 8-lane body: in planar calls, and in
    /// interleaved calls whose slots fill whole 8-lane registers but fewer
    /// than `CHAINS` full ones (docs/tuning.md, "The AVX-512 engine on its
    /// AVX2 body").
    pub chains_on_eight_lanes: bool,
    /// The time-lanes route runs the 8-lane body (docs/tuning.md, "Time
    /// lanes").
    pub time_lanes_on_eight_lanes: bool,
    /// Multi-pass lane kernels (the compressors) over at most 8 used
    /// slots run on the 8-lane body, interleaved or planar: their passes
    /// are throughput-bound, and a 16-lane register with at most 8 used
    /// lanes costs as much as a full one (docs/tuning.md, "The AVX-512
    /// engine on its AVX2 body").
    pub few_passes_on_eight_lanes: bool,
    /// Block kernels over at most 8 used slots run on the 8-lane body
    /// (docs/tuning.md, "Block kernels on few channels").
    pub blocks_on_eight_lanes: bool,
}

impl IsaRoutes {
    /// The choices of `isa`. NEON: as the portable ISA (not measured on
    /// hardware).
    pub const fn of(isa: Isa) -> IsaRoutes {
        match isa {
            Isa::Scalar | Isa::Neon => IsaRoutes {
                staged_output: false,
                narrow_planar: false,
                chains_on_eight_lanes: false,
                time_lanes_on_eight_lanes: false,
                few_passes_on_eight_lanes: false,
                blocks_on_eight_lanes: false,
            },
            Isa::Avx2 => IsaRoutes {
                staged_output: true,
                narrow_planar: true,
                chains_on_eight_lanes: false,
                time_lanes_on_eight_lanes: false,
                few_passes_on_eight_lanes: false,
                blocks_on_eight_lanes: false,
            },
            Isa::Avx512 => IsaRoutes {
                staged_output: true,
                narrow_planar: false,
                chains_on_eight_lanes: true,
                time_lanes_on_eight_lanes: true,
                few_passes_on_eight_lanes: true,
                blocks_on_eight_lanes: true,
            },
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

/// Slots a chunked call of the envelope follower fills, per ISA
/// ([`crate::chunk`]): the measured best chunk count of one channel. Fewer
/// chunks leave the recurrence's latency exposed; more add warm-ups and
/// cost each slot about as much (the planar route is bound by its loads,
/// stores and transposes).
/// None on the portable ISA, where the reference's loop beats its
/// four-lane arrays (see [`ENVELOPE_TIMED`]). NEON: not measured, set to
/// one register.
pub const ENVELOPE_CHUNK_SLOTS: TimedChannels = TimedChannels {
    scalar: 0,
    avx2: 16,
    avx512: 16,
    neon: 4,
};

/// Slots a chunked call of the compressor fills, per ISA (as
/// [`ENVELOPE_CHUNK_SLOTS`]). NEON: not measured, set to one register.
pub const COMPRESSOR_CHUNK_SLOTS: TimedChannels = TimedChannels {
    scalar: 0,
    avx2: 8,
    avx512: 16,
    neon: 4,
};

/// Fewest frames for which [`crate::chunk::Chunking::Auto`] splits a call:
/// real-time blocks stay whole (and free of allocation).
pub const CHUNK_MIN_FRAMES: usize = 1 << 16;

/// Warm-up of a chunk, in time constants of the kernel's slowest
/// recurrence ([`crate::LaneKernel::memory_frames`]): a one-pole forgets a
/// difference of its state by `exp(-20)`, below `f32`'s `2^-24`, so a
/// chunk's speculative state usually equals the sequential one before the
/// chunk starts.
pub const WARMUP_TIME_CONSTANTS: f64 = 20.0;

/// Least modelled speed-up for which [`crate::chunk::Chunking::Auto`]
/// splits a call: `frames / (warm-up + chunk)`, the lanes being free up to
/// [`crate::LaneKernel::CHUNK_SLOTS`]. Below it the warm-ups cost more than
/// the lanes save.
pub const CHUNK_MIN_GAIN: f64 = 2.0;

/// Frames between the checkpoints at which a chunk's speculative state is
/// kept for the repair to compare against: a chunk that meets the
/// sequential state within its first checkpoint costs at most this many
/// sequential frames.
pub const CHECKPOINT_FRAMES: usize = 1024;

/// Most channels for which a peak-hold processor runs each channel along
/// time through the reference's loop (lanedsp's sequential route) instead
/// of the lanes, on every ISA (a processor's route depends on its channel
/// count only, so its state lives in one place). One or two channels fill
/// one or two lanes while each register still pays its history's loads
/// and stores.
pub const PEAK_HOLD_SEQUENTIAL_CHANNELS: usize = 4;

/// Most unlinked channels for which a limiter processor takes the
/// sequential route (as [`PEAK_HOLD_SEQUENTIAL_CHANNELS`]); channels in
/// link groups always run in lanes, where a group shares its gain.
pub const LIMITER_SEQUENTIAL_CHANNELS: usize = 2;
