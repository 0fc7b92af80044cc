//! The block kernel contract: kernels with memory.
//!
//! A [`BlockKernel`] advances one *group* of slots (one to sixteen lanes'
//! worth of channels, see [`Group`]) over a *tile* of up to
//! [`TILE_FRAMES`] frames at a time. Unlike [`crate::LaneKernel`], whose
//! state is a few registers, a block kernel owns per-slot **history**: rows
//! of values per slot in a [`History`] that the processor allocates at
//! construction (delay lines, sliding windows, filter cascades), and a
//! frame counter shared by every slot, so that ring positions are the same
//! in every lane and no lane takes a data-dependent branch.
//!
//! The driver ([`crate::Engine::run_block`]) gathers the group's channels
//! from any buffer layout into the tile (frame-major: frame `f`, register
//! `r` of the group at `tile[f * stride + r * LANES..]`, padding slots
//! `0.0`), calls [`BlockKernel::process`] and scatters the used slots back;
//! when the group's channels are adjacent in an interleaved buffer, the
//! tile *is* the buffer (`stride` is then the channel count).
//! A kernel therefore sees one layout only, and a new kernel needs no
//! change to the driver. Every ISA runs the same kernel code over
//! [`Lanes`], so the output is the same bits on each.
//!
//! Link groups ([`crate::plan::Plan::linked`]) are aligned blocks of up to
//! 16 slots; a group of the driver always holds whole link blocks, spread
//! over [`Group::registers`] registers when a block is wider than one
//! register. [`link_min`] reduces across a link block.

use crate::bank::Bank;
use crate::lanes::Lanes;

/// Most frames of one [`BlockKernel::process`] call.
pub const TILE_FRAMES: usize = 64;

/// Most slots in one group (the widest link block).
pub const GROUP_SLOTS: usize = 16;

/// Per-slot history of a [`BlockKernel`]: `rows` values per slot and the
/// number of frames processed since the last reset.
///
/// Allocated once by the processor (never in a process call); the kernel
/// decides what each row means (docs/kernels.md per kernel).
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    bank: Bank,
    frame: u64,
}

impl History {
    /// `rows` rows of `0.0` for `slots` slots, at frame 0.
    pub fn new(rows: usize, slots: usize) -> History {
        History {
            bank: Bank::new(rows, slots),
            frame: 0,
        }
    }

    /// Frames processed since construction or [`History::reset`].
    pub fn frame(&self) -> u64 {
        self.frame
    }

    /// The rows (read only).
    pub fn bank(&self) -> &Bank {
        &self.bank
    }

    /// The rows, for a processor that initializes them.
    pub fn bank_mut(&mut self) -> &mut Bank {
        &mut self.bank
    }

    /// Every row back to `0.0` and the frame counter to 0.
    pub fn reset(&mut self) {
        self.bank.clear();
        self.frame = 0;
    }

    /// The frame counter back to 0, rows kept (for a kernel that sets its
    /// own initial rows).
    pub fn rewind(&mut self) {
        self.frame = 0;
    }

    /// Adds `frames` to the frame counter (the driver, after a call).
    pub(crate) fn advance(&mut self, frames: usize) {
        self.frame += frames as u64;
    }
}

/// What one [`BlockKernel::process`] call works on: the banks, positioned
/// at the group's first slot.
pub struct Group<'a> {
    /// The parameter bank (rows [`BlockKernel::PARAM_WORDS`]).
    pub params: &'a Bank,
    /// The state bank (rows [`BlockKernel::STATE_WORDS`]).
    pub state: &'a mut Bank,
    /// The history rows.
    pub history: &'a mut Bank,
    /// The group's first slot.
    pub at: usize,
    /// Registers in the group (`1` unless a link block is wider than one
    /// register); the group's slots are `at..at + registers * LANES`.
    pub registers: usize,
    /// Frames processed before this tile (the same for every slot).
    pub frame: u64,
    /// Floats from one frame of the tile to the next (at least
    /// `registers * LANES`): register `r` of frame `f` is at
    /// `tile[f * stride + r * LANES..]`.
    pub stride: usize,
    /// The same for the key.
    pub key_stride: usize,
}

/// A per-slot kernel with history, run over tiles of frames.
///
/// Implementations are `#[inline(always)]` and use only [`Lanes`]
/// operations on values (so the result is one bit pattern on every ISA);
/// their scalar reference lives in `reference/` and defines those bits.
pub trait BlockKernel {
    /// Rows of the parameter [`Bank`].
    const PARAM_WORDS: usize;
    /// Rows of the state [`Bank`].
    const STATE_WORDS: usize;

    /// Advances the group by `frames` (`1..=TILE_FRAMES`) frames: `tile`
    /// holds the input as described in the module docs and receives the
    /// output in place; `key` is the detector input in the same layout, or
    /// `None` when the call has no sidechain.
    fn process<S: Lanes>(
        s: S,
        group: Group<'_>,
        tile: &mut [f32],
        key: Option<&[f32]>,
        frames: usize,
    );
}

/// Replaces each lane of `regs` (the registers of one frame of a group)
/// by the minimum over its link block, `block` holding each lane's block
/// size (a power of two up to [`GROUP_SLOTS`], as `f32`) register by
/// register. `min` is exact, commutative and associative on the values
/// kernels reduce (never NaN), so the butterfly's order does not matter.
#[inline(always)]
pub fn link_min<S: Lanes>(s: S, regs: &mut [S::V], block: &[S::V]) {
    let mut d = 1;
    while d < S::LANES {
        let dv = s.splat(d as f32);
        for (v, b) in regs.iter_mut().zip(block) {
            let partner = s.swap_lanes(*v, d);
            *v = s.select(s.gt(*b, dv), s.min(*v, partner), *v);
        }
        d *= 2;
    }
    let mut step = 1;
    while step < regs.len() {
        let dv = s.splat((step * S::LANES) as f32);
        let mut r = 0;
        while r < regs.len() {
            let (a, b) = (r, r ^ step);
            if a < b && b < regs.len() {
                let m = s.min(regs[a], regs[b]);
                regs[a] = s.select(s.gt(block[a], dv), m, regs[a]);
                regs[b] = s.select(s.gt(block[b], dv), m, regs[b]);
            }
            r += 1;
        }
        step *= 2;
    }
}

/// Calls `f(frame, register, value)` for every frame and register of a
/// tile and stores what it returns: the form of a kernel whose frames need
/// no per-tile setup.
#[inline(always)]
pub fn per_frame<S: Lanes>(
    s: S,
    tile: &mut [f32],
    group: &Group<'_>,
    frames: usize,
    mut f: impl FnMut(usize, usize, S::V) -> S::V,
) {
    for frame in 0..frames {
        for r in 0..group.registers {
            let at = frame * group.stride + r * S::LANES;
            let y = f(frame, r, s.load(&tile[at..]));
            s.store(&mut tile[at..], y);
        }
    }
}
